import Foundation

/// A closed set of names that configs, checkpoints and command-line flags choose from (a backend,
/// a loss, a feedback, …). The list of allowed values is `allCases`, nowhere else: decoding an
/// unknown name fails with an error that lists them, and the CLI's `ExpressibleByArgument`
/// conformances print the same list in `--help`.
public protocol ConfigEnum: RawRepresentable, CaseIterable, Codable, Sendable, Hashable where RawValue == String {
    /// Other spellings accepted on input (never written).
    static var aliases: [String: Self] { get }
}

extension ConfigEnum {
    public static var aliases: [String: Self] { [:] }

    /// The allowed values, for error messages: `a, b or c`.
    public static var allowedValues: String {
        let names = allCases.map(\.rawValue)
        return names.count < 2 ? names.joined() : names.dropLast().joined(separator: ", ") + " or " + names.last!
    }

    /// The case named `text` (exact, then an alias, then case-insensitively), or nil.
    public init?(named text: String) {
        if let value = Self(rawValue: text) ?? Self.aliases[text] { self = value; return }
        let lowered = text.lowercased()
        guard let value = Self.allCases.first(where: { $0.rawValue.lowercased() == lowered }) ?? Self.aliases[lowered] else { return nil }
        self = value
    }

    /// The case named `text`; otherwise an error naming the file, the field and the allowed values.
    public init(named text: String, file: String, field: String) throws {
        guard let value = Self(named: text) else {
            throw FileFormatError(file: file, field: field, message: "'\(text)' is not \(Self.allowedValues)")
        }
        self = value
    }

    public init(from decoder: Decoder) throws {
        let container = try decoder.singleValueContainer()
        let text = try container.decode(String.self)
        guard let value = Self(named: text) else {
            throw DecodingError.dataCorruptedError(in: container, debugDescription: "'\(text)' is not \(Self.allowedValues)")
        }
        self = value
    }

    public func encode(to encoder: Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(rawValue)
    }
}

/// How gradients are computed: online by the kernel's eligibility traces, or by an exact oracle
/// (backpropagation through time over the recorded Jacobians; real-time recurrent learning).
public enum GradientMethod: String, ConfigEnum {
    case eprop, bptt, rtrl
}

/// How `plasticity train` computes its gradients: e-prop, or exact BPTT for comparison.
public enum TrainingMethod: String, ConfigEnum {
    case eprop, bptt
}

/// The JSON config files: strict decoding (every key known, every value typed) with errors that
/// name the file, the key's path and, for syntax errors, the line and column.
public enum ConfigFile {
    /// Reads and parses a JSON object, naming the file on every failure.
    public static func object(at url: URL) throws -> [String: Any] {
        try requireRegularFile(url)
        let data: Data
        do { data = try Data(contentsOf: url) } catch {
            throw FileFormatError(file: url.path, field: "file", message: "cannot be read (\(systemReason(error)))")
        }
        return try object(data, file: url.path)
    }

    public static func object(_ data: Data, file: String) throws -> [String: Any] {
        let parsed: Any
        do { parsed = try JSONSerialization.jsonObject(with: data) } catch {
            let reason = ((error as NSError).userInfo["NSDebugDescription"] as? String)?.components(separatedBy: " around").first
            throw FileFormatError(file: file, field: "file", message: "is not valid JSON\(syntaxPosition(data, error))" + (reason.map { " (\($0))" }
                ?? ""))
        }
        guard let object = parsed as? [String: Any] else { throw FileFormatError(file: file, field: "file", message: "is not a JSON object") }
        return object
    }

    /// Decodes `object` as `T` and rejects every key that `T` does not read: the decoded value is
    /// encoded again and the two key trees compared, so a misspelled key never passes silently.
    /// `context` tells the layers of a network what their JSON does not say (`ConfigContext`).
    public static func decode<T: Codable>(_ type: T.Type, from object: [String: Any], file: String, context: ConfigContext? = nil) throws -> T {
        let decoder = JSONDecoder()
        decoder.userInfo[.plasticityConfig] = context ?? ConfigContext(file: file)
        let value: T
        do {
            value = try decoder.decode(T.self, from: JSONSerialization.data(withJSONObject: object))
        } catch let error as DecodingError {
            let decodes: (Any) throws -> Void = { _ = try decoder.decode(T.self, from: JSONSerialization.data(withJSONObject: $0)) }
            if case .dataCorrupted(let context) = error, context.codingPath.isEmpty, let field = blameNumber(in: object, decodes: decodes) {
                throw FileFormatError(file: file, field: field.path, message: "must be a number its field can hold (a whole number " +
                                      "where one is expected, within its type's range), not \(field.value)")
            }
            throw fileFormatError(error, file: file)
        }
        let encoder = JSONEncoder()
        encoder.userInfo[.everyConfigKey] = true
        let known = try JSONSerialization.jsonObject(with: encoder.encode(value))
        try rejectUnknownKeys(object, known: known, path: "", file: file)
        return value
    }

    /// Every key of `given` must exist in `known` at the same place.
    static func rejectUnknownKeys(_ given: Any, known: Any, path: String, file: String) throws {
        if let given = given as? [String: Any] {
            let known = known as? [String: Any] ?? [:]
            for key in given.keys.sorted() {
                let field = path.isEmpty ? key : "\(path).\(key)"
                guard let inner = known[key] else {
                    let names = known.keys.sorted().joined(separator: ", ")
                    throw FileFormatError(file: file, field: field, message: "is not a known field (known here: \(names))")
                }
                try rejectUnknownKeys(given[key]!, known: inner, path: field, file: file)
            }
        } else if let given = given as? [Any], let known = known as? [Any] {
            for (i, (g, k)) in zip(given, known).enumerated() { try rejectUnknownKeys(g, known: k, path: "\(path)[\(i)]", file: file) }
        }
    }

    /// The decoder names no field for a number that its type cannot hold (2.5 or 1e300 for an
    /// integer, −1 for an unsigned one): the field is the first fractional, huge or negative number
    /// whose replacement by 1 lets the object decode.
    static func blameNumber(in object: Any, decodes: (Any) throws -> Void) -> (path: String, value: String)? {
        func leaves(_ value: Any, _ path: String) -> [(path: String, value: NSNumber)] {
            if let object = value as? [String: Any] {
                return object.keys.sorted().flatMap { leaves(object[$0]!, path.isEmpty ? $0 : "\(path).\($0)") }
            }
            if let array = value as? [Any] { return array.indices.flatMap { leaves(array[$0], "\(path)[\($0)]") } }
            if let number = value as? NSNumber { return [(path, number)] }   // true and false (0, 1) are never blamed
            return []
        }
        func replacing(_ value: Any, at path: ArraySlice<String>) -> Any {
            guard let key = path.first else { return 1 }
            if var object = value as? [String: Any], let inner = object[key] {
                object[key] = replacing(inner, at: path.dropFirst()); return object
            }
            if var array = value as? [Any], let index = Int(key), array.indices.contains(index) {
                array[index] = replacing(array[index], at: path.dropFirst()); return array
            }
            return value
        }
        for leaf in leaves(object, "") {
            let x = leaf.value.doubleValue
            guard x != x.rounded() || abs(x) > 9e15 || x < 0 else { continue }
            let keys = leaf.path.replacingOccurrences(of: "[", with: ".").replacingOccurrences(of: "]", with: "")
                .split(separator: ".").map(String.init)
            if (try? decodes(replacing(object, at: keys[...]))) != nil { return (leaf.path, "\(leaf.value)") }
        }
        return nil
    }

    /// A decoding error as the file, the key's path and what is wrong with its value.
    public static func fileFormatError(_ error: DecodingError, file: String) -> FileFormatError {
        func path(_ keys: [CodingKey]) -> String {
            let text = keys.reduce("") { text, key in
                if let index = key.intValue { return text + "[\(index)]" }
                return text.isEmpty ? key.stringValue : text + "." + key.stringValue
            }
            return text.isEmpty ? "file" : text
        }
        switch error {
        case .typeMismatch(let type, let context):
            return FileFormatError(file: file, field: path(context.codingPath), message: "has the wrong type (expected \(typeName(type)))")
        case .valueNotFound(_, let context):
            return FileFormatError(file: file, field: path(context.codingPath), message: "is null")
        case .keyNotFound(let key, let context):
            return FileFormatError(file: file, field: path(context.codingPath + [key]), message: "is missing")
        case .dataCorrupted(let context):
            let detail = context.debugDescription.hasPrefix("'") ? context.debugDescription : "has an invalid value"
            return FileFormatError(file: file, field: path(context.codingPath), message: detail)
        @unknown default:
            return FileFormatError(file: file, field: "file", message: "is not a valid config (\(error))")
        }
    }

    private static func typeName(_ type: Any.Type) -> String {
        switch type {
        case is Int.Type, is UInt64.Type: return "an integer"
        case is Double.Type, is Float.Type: return "a number"
        case is Bool.Type: return "true or false"
        case is String.Type: return "a string"
        default: return type is any Collection.Type ? "a list" : "an object"
        }
    }

    /// ` at line L, column C` for a JSON syntax error, from Foundation's character index.
    private static func syntaxPosition(_ data: Data, _ error: Error) -> String {
        let info = (error as NSError).userInfo
        let description = info["NSDebugDescription"] as? String
        let index = (info["NSJSONSerializationErrorIndex"] as? Int) ?? description.flatMap(characterIndex)
            ?? description.flatMap { unrepresentableNumberIndex($0, in: data) }
        guard let index else { return "" }
        let prefix = String(decoding: data.prefix(index), as: UTF8.self)
        let lines = prefix.split(separator: "\n", omittingEmptySubsequences: false)
        return " at line \(lines.count), column \((lines.last?.count ?? 0) + 1)"
    }

    /// "Number 1e999 is not representable …" carries no position: the number's first occurrence does.
    private static func unrepresentableNumberIndex(_ description: String, in data: Data) -> Int? {
        guard description.hasPrefix("Number "), let token = description.dropFirst(7).split(separator: " ").first,
              let range = data.range(of: Data(token.utf8)) else { return nil }
        return range.lowerBound - data.startIndex
    }

    private static func characterIndex(_ description: String) -> Int? {
        guard let range = description.range(of: "character ") else { return nil }
        return Int(description[range.upperBound...].prefix { $0.isNumber })
    }
}

extension CodingUserInfoKey {
    /// Set when a value is encoded to list the keys its type reads (`ConfigFile.decode`): fields
    /// that stored files omit while empty (so that files and checksums written before the field
    /// existed stay valid) are written too.
    public static let everyConfigKey = CodingUserInfoKey(rawValue: "plasticity.everyConfigKey")!
}
