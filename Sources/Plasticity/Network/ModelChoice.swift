import Foundation

/// The neuron model of a config's hidden layer: a built-in name (`"alif"`), the path of a model
/// file (`"models/qif.json"`, relative to the config file), or a model inline (a
/// `plasticity-model` object). Readers resolve paths at once (`resolvingFiles(relativeTo:)`), so a
/// resolved config — the one a run writes and a checkpoint keeps — holds the model itself and
/// still works when the file is deleted or edited.
public enum ModelChoice: Codable, Sendable, Hashable {
    case builtin(BuiltinModel)
    case file(String)
    case inline(ModelFile)

    /// A model written in Swift, carried inline.
    public init(_ model: NeuronModel) { self = .inline(ModelFile(model)) }

    public init(from decoder: Decoder) throws {
        let single = try decoder.singleValueContainer()
        if let text = try? single.decode(String.self) {
            if let builtin = BuiltinModel(named: text) { self = .builtin(builtin); return }
            guard text.hasSuffix(".json") else {
                throw DecodingError.dataCorruptedError(in: single, debugDescription: "'\(text)' is neither a built-in model (" +
                    BuiltinModel.allCases.map(\.rawValue).joined(separator: ", ") + ") nor the path of a model file (*.json)")
            }
            self = .file(text)
            return
        }
        self = .inline(try single.decode(ModelFile.self))
    }

    public func encode(to encoder: Encoder) throws {
        var single = encoder.singleValueContainer()
        switch self {
        case .builtin(let builtin): try single.encode(builtin)
        case .file(let path): try single.encode(path)
        case .inline(let model): try single.encode(model)
        }
    }

    /// This choice with a file path read into an inline model (relative paths from `directory`).
    public func resolvingFiles(relativeTo directory: URL) throws -> ModelChoice {
        guard case .file(let path) = self else { return self }
        let url = path.hasPrefix("/") ? URL(fileURLWithPath: path) : directory.appendingPathComponent(path)
        return .inline(ModelFile(try NeuronModel.read(url)))
    }

    /// The model this choice makes with `parameters` set, and its check: the one place a layer's
    /// model is checked. Errors name `file` and the JSON path under `field` (`hidden[0].model`).
    public func checkedModel(parameters: [String: Double], file: String, field: String) throws -> (NeuronModel, CheckedModel) {
        switch self {
        case .builtin(let builtin):
            let model = try builtin.model.setting(parameters: parameters)
            return (model, try model.checked())
        case .file(let path):
            return try ModelChoice.inline(ModelFile(NeuronModel.read(URL(fileURLWithPath: path))))
                .checkedModel(parameters: parameters, file: path, field: "")
        case .inline(let model): return try model.checkedModel(parameters: parameters, file: file, at: field)
        }
    }

    /// The model before its values are set and checked (a built-in's defaults), for a layer not resolved yet.
    var unresolvedModel: NeuronModel {
        switch self {
        case .builtin(let builtin): return builtin.model
        case .inline(let model): if let made = try? model.model(file: "") { return made }
        case .file: break
        }
        return NeuronModel(name, resetGradient: .stopped) {}
    }

    /// The parameter of the model that holds the time step (`NeuronModel.timeStep`), if any.
    public var timeStep: String? {
        switch self {
        case .builtin(let builtin): return builtin.model.timeStep
        case .file(let path): return (try? NeuronModel.read(URL(fileURLWithPath: path)))?.timeStep
        case .inline(let model): return model.timeStep
        }
    }

    /// The built-in this choice names, if it names one.
    public var builtin: BuiltinModel? { if case .builtin(let b) = self { return b } else { return nil } }

    /// The model's name, for printing.
    public var name: String {
        switch self {
        case .builtin(let builtin): return builtin.rawValue
        case .file(let path): return path
        case .inline(let model): return model.name
        }
    }
}

extension ModelFile {
    /// What differs between this model and `other`, one line per field (`parameters.threshold: 0.6, 0.8`).
    public func differences(from other: ModelFile) -> [String] {
        var lines: [String] = []
        func compare<T: Equatable>(_ field: String, _ a: T, _ b: T, _ text: (T) -> String) {
            if a != b { lines.append("\(field): \(text(a)) here, \(text(b)) there") }
        }
        compare("name", name, other.name) { $0 }
        compare("resetGradient", resetGradient, other.resetGradient) { $0.rawValue }
        let mine = Dictionary(parameters.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
        let theirs = Dictionary(other.parameters.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
        for name in Set(mine.keys).union(theirs.keys).sorted() {
            compare("parameters.\(name)", mine[name], theirs[name]) { $0.map { "\($0.value)\($0.learnable ? " (learnable)" : "")" } ?? "absent" }
        }
        compare("inputs", inputs, other.inputs) { $0.joined(separator: ", ") }
        compare("projections", projections ?? [], other.projections ?? []) {
            $0.map { "\($0.source.rawValue) → \($0.channel)\($0.sign.map { " (\($0.rawValue))" } ?? "")" }.joined(separator: ", ")
        }
        compare("noise", noise ?? [], other.noise ?? []) { $0.map { "\($0.name) (\($0.distribution.rawValue))" }.joined(separator: ", ") }
        compare("states", states, other.states) { $0.map { "\($0.name)=\($0.initial)" }.joined(separator: ", ") }
        compare("resets", resets, other.resets) { "\($0.count) reset(s) \($0.map(\.state))" }
        compare("lets", lets, other.lets) { $0.map { "\($0.name ?? "") = \($0.expression)" }.joined(separator: "; ") }
        compare("updates", updates, other.updates) { $0.map { "\($0.state ?? "") = \($0.expression)" }.joined(separator: "; ") }
        compare("spike", spike, other.spike) { $0.map { "\($0.condition) (\($0.surrogate.map { "\($0.kind.rawValue) \($0.scale)" } ?? "none"))" }
                                              ?? "none" }
        compare("output", output, other.output) { $0.map(\.description) ?? "none" }
        return lines
    }
}
