import Foundation

/// Neuron models as files: the JSON format `plasticity-model`, version 1 (docs/model-format.md).
///
///     {"format": "plasticity-model", "version": 1, "name": "LIF", "resetGradient": "stopped",
///      "parameters": [{"name": "alpha", "value": 0.95}], "inputs": ["I"], "states": [{"name": "v"}],
///      "resets": [{"state": "v", "subtract": "threshold"}], "lets": [],
///      "updates": [{"state": "v", "expression": {"op": "add", "args": [{"op": "multiply", "args": ["alpha", "v"]}, "I"]}}],
///      "spike": {"surrogate": {"kind": "fast_sigmoid", "scale": 10}, "condition": …}}
///
/// An expression is a number (a constant), a string (infix text, `Expr+Text.swift`; a name is a
/// symbol) or `{"op": …, "args": […]}` with one op per `UnaryOp` and `BinaryOp` case, and
/// `select` with a `compare` (`Comparison`) over four args (lhs, rhs, if true, if false). The file holds exactly what the DSL holds; the
/// checks are the DSL's own (`checked()`), with locations naming the file and the JSON path.
public struct ModelFile: Codable, Sendable, Hashable {
    public static let format = "plasticity-model"
    public static let version = 1

    public struct Parameter: Codable, Sendable, Hashable {
        public var name: String
        /// In `unit`; the model holds it in ms (times) or per ms (rates).
        public var value: Double
        public var learnable = false
        public var unit: Unit?
        public init(name: String, value: Double, learnable: Bool) { self.name = name; self.value = value; self.learnable = learnable }
        public init(from decoder: Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            name = try c.decode(String.self, forKey: .name)
            value = try c.decode(Double.self, forKey: .value)
            learnable = try c.decodeIfPresent(Bool.self, forKey: .learnable) ?? false
            unit = try c.decodeIfPresent(Unit.self, forKey: .unit)
        }
        /// The value in the model's units: ms for times, 1/ms for rates.
        var modelValue: Double { value * (unit?.factor ?? 1) }
    }
    /// Units a parameter may be written in; times become ms and rates 1/ms, the units of `dt`.
    public enum Unit: String, Codable, Sendable, Hashable, CaseIterable {
        case ms, s, Hz, kHz
        var factor: Double {
            switch self {
            case .ms: return 1
            case .s: return 1000
            case .Hz: return 0.001
            case .kHz: return 1
            }
        }
    }
    public struct NoiseSource: Codable, Sendable, Hashable {
        public var name: String
        public var distribution: NoiseDistribution
    }
    public struct State: Codable, Sendable, Hashable {
        public var name: String
        public var initial = 0.0
        public init(name: String, initial: Double) { self.name = name; self.initial = initial }
        public init(from decoder: Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            name = try c.decode(String.self, forKey: .name)
            initial = try c.decodeIfPresent(Double.self, forKey: .initial) ?? 0
        }
    }
    /// Exactly one of `subtract`, `add`, `to` (`ResetRule`).
    public struct Reset: Codable, Sendable, Hashable {
        public var state: String
        public var subtract: Expr?, add: Expr?, to: Expr?
    }
    public struct Assignment: Codable, Sendable, Hashable {
        /// The state an update assigns (`updates`) or the name a definition introduces (`lets`).
        public var state: String?, name: String?
        public var expression: Expr
    }
    public struct SurrogateChoice: Codable, Sendable, Hashable {
        public var kind: Surrogate.Kind
        public var scale: Double
    }
    public struct Spike: Codable, Sendable, Hashable {
        public var surrogate: SurrogateChoice?
        public var condition: Expr
    }

    public var format = ModelFile.format
    public var version = ModelFile.version
    /// What the model is, for its readers (lines of text; not part of the model).
    public var comment: [String]?
    public var name: String
    public var resetGradient = ResetGradient.stopped
    /// The parameter that holds the step in ms (`NeuronModel.timeStep`).
    public var timeStep: String?
    /// Default projections of a layer of this model (`NeuronModel.projections`).
    public var projections: [LayerSpec.Projection]?
    public var parameters: [Parameter] = []
    public var inputs: [String] = []
    /// Noise sources (nil: none; omitted from files then).
    public var noise: [NoiseSource]?
    public var states: [State] = []
    public var resets: [Reset] = []
    public var lets: [Assignment] = []
    public var updates: [Assignment] = []
    public var spike: Spike?
    public var output: Expr?

    enum CodingKeys: String, CodingKey {
        case format, version, comment, name, resetGradient, timeStep, parameters, inputs, noise, projections, states, resets, lets, updates, spike,
             output
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        format = try c.decode(String.self, forKey: .format)
        guard format == Self.format else {
            throw DecodingError.dataCorruptedError(forKey: .format, in: c, debugDescription: "'\(format)' is not \(Self.format)")
        }
        version = try c.decode(Int.self, forKey: .version)
        guard version <= Self.version, version >= 1 else {
            throw DecodingError.dataCorruptedError(forKey: .version, in: c,
                                                   debugDescription: "'\(version)' is not a version this reader knows (1 to \(Self.version))")
        }
        comment = try c.decodeIfPresent([String].self, forKey: .comment)
        name = try c.decode(String.self, forKey: .name)
        resetGradient = try c.decodeIfPresent(ResetGradient.self, forKey: .resetGradient) ?? .stopped
        timeStep = try c.decodeIfPresent(String.self, forKey: .timeStep)
        parameters = try c.decodeIfPresent([Parameter].self, forKey: .parameters) ?? []
        inputs = try c.decodeIfPresent([String].self, forKey: .inputs) ?? []
        noise = try c.decodeIfPresent([NoiseSource].self, forKey: .noise)
        projections = try c.decodeIfPresent([LayerSpec.Projection].self, forKey: .projections)
        states = try c.decodeIfPresent([State].self, forKey: .states) ?? []
        resets = try c.decodeIfPresent([Reset].self, forKey: .resets) ?? []
        lets = try c.decodeIfPresent([Assignment].self, forKey: .lets) ?? []
        updates = try c.decodeIfPresent([Assignment].self, forKey: .updates) ?? []
        spike = try c.decodeIfPresent(Spike.self, forKey: .spike)
        output = try c.decodeIfPresent(Expr.self, forKey: .output)
    }
}

extension ModelFile {
    /// The file form of a model (declarations grouped by kind, in their order within each kind).
    public init(_ model: NeuronModel) {
        name = model.name
        resetGradient = model.resetGradient
        timeStep = model.timeStep
        projections = model.projections
        for d in model.declarations {
            switch d {
            case .parameter(let n, let v, let learnable, _): parameters.append(.init(name: n, value: v, learnable: learnable))
            case .input(let n, _): inputs.append(n)
            case .noise(let n, let distribution, _): noise = (noise ?? []) + [.init(name: n, distribution: distribution)]
            case .state(let n, let v, _): states.append(.init(name: n, initial: v))
            case .reset(let s, .subtract(let e), _): resets.append(.init(state: s, subtract: e))
            case .reset(let s, .add(let e), _): resets.append(.init(state: s, add: e))
            case .reset(let s, .to(let e), _): resets.append(.init(state: s, to: e))
            case .define(let n, let e, _): lets.append(.init(name: n, expression: e))
            case .update(let s, let e, _): updates.append(.init(state: s, expression: e))
            case .spike(let e, let surrogate, _):
                spike = Spike(surrogate: surrogate.map { SurrogateChoice(kind: $0.kind, scale: $0.scale) }, condition: e)
            case .output(let e, _): output = e
            }
        }
    }

    /// The model, its declarations located at `file` and their JSON paths (under `prefix`, the
    /// path of a model inline in a config). Structural defects (a reset with no rule, a let
    /// without a name) are `ModelError`s there; `checked()` does the rest.
    public func model(file: String, at prefix: String = "") throws -> NeuronModel {
        func at(_ path: String) -> SourceLocation { SourceLocation(file: file, path: prefix.isEmpty ? path : "\(prefix).\(path)") }
        func fail(_ path: String, _ symbol: String, _ message: String) -> ModelError {
            ModelError(kind: .invalidValue, model: name, symbol: symbol, location: at(path), message: message)
        }
        var declarations: [Declaration] = []
        for (i, p) in parameters.enumerated() {
            declarations.append(.parameter(name: p.name, value: p.modelValue, learnable: p.learnable, at: at("parameters[\(i)]")))
        }
        for (i, n) in inputs.enumerated() { declarations.append(.input(name: n, at: at("inputs[\(i)]"))) }
        for (i, n) in (noise ?? []).enumerated() { declarations.append(.noise(name: n.name, n.distribution, at: at("noise[\(i)]"))) }
        for (i, s) in states.enumerated() { declarations.append(.state(name: s.name, initial: s.initial, at: at("states[\(i)]"))) }
        for (i, r) in resets.enumerated() {
            let rules = [r.subtract.map(ResetRule.subtract), r.add.map(ResetRule.add), r.to.map(ResetRule.to)].compactMap { $0 }
            guard rules.count == 1 else { throw fail("resets[\(i)]", r.state, "a reset needs exactly one of subtract, add, to") }
            declarations.append(.reset(state: r.state, rules[0], at: at("resets[\(i)]")))
        }
        for (i, l) in lets.enumerated() {
            guard let n = l.name, l.state == nil else { throw fail("lets[\(i)]", l.name ?? "", "a let needs a name (and no state)") }
            declarations.append(.define(name: n, l.expression, at: at("lets[\(i)]")))
        }
        for (i, u) in updates.enumerated() {
            guard let s = u.state, u.name == nil else { throw fail("updates[\(i)]", u.state ?? "", "an update needs a state (and no name)") }
            declarations.append(.update(state: s, u.expression, at: at("updates[\(i)]")))
        }
        if let spike {
            let surrogate = spike.surrogate.map { Surrogate($0.kind, scale: $0.scale) }
            declarations.append(.spike(condition: spike.condition, surrogate: surrogate, at: at("spike")))
        }
        if let output { declarations.append(.output(output, at: at("output"))) }
        var model = NeuronModel(name, resetGradient: resetGradient, location: at("name"))
        model.declarations = declarations
        model.timeStep = timeStep
        model.projections = projections
        return model
    }
}

extension NeuronModel {
    /// A model with the given declarations, for readers that build models from data.
    public init(_ name: String, resetGradient: ResetGradient = .stopped, location: SourceLocation) {
        self.name = name
        self.resetGradient = resetGradient
        self.declarations = []
        self.location = location
    }

    /// The model in the `plasticity-model` format; throws for a non-finite value (JSON has none).
    public func fileData() throws -> Data { Data(try ModelFile(self).text().utf8) }

    /// Reads a `plasticity-model` file; errors name the file and the JSON path of the defect.
    public static func read(_ url: URL) throws -> NeuronModel {
        try read(ConfigFile.object(at: url), file: url.path)
    }

    /// A checked model from a parsed JSON object (a file, or a model inline in a config). A
    /// `ModelError` about a symbol names the JSON path of its first use (`updates[1].expression.args[0]`).
    public static func read(_ object: [String: Any], file: String) throws -> NeuronModel {
        try ConfigFile.decode(ModelFile.self, from: object, file: file).checkedModel(file: file).0
    }
}

extension ModelFile {
    /// The file's text: one line per field, one line per declaration, keys in the order of the format.
    public func text(expressions form: ExpressionForm = .tree) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        encoder.userInfo[.expressionForm] = form
        func line(_ value: some Encodable) throws -> String {
            JSONLine.text(try JSONSerialization.jsonObject(with: encoder.encode([value]),
                                                           options: [.fragmentsAllowed]) as! [Any]).dropFirst().dropLast()
                .description
        }
        func list<T: Encodable>(_ items: [T]) throws -> String {
            items.isEmpty ? "[]" : "[\n    " + (try items.map(line).joined(separator: ",\n    ")) + "\n  ]"
        }
        var fields = [("format", try line(format)), ("version", try line(version))]
        if let comment { fields.append(("comment", try list(comment))) }
        fields += [("name", try line(name)), ("resetGradient", try line(resetGradient))]
        if let timeStep { fields.append(("timeStep", try line(timeStep))) }
        fields += [("parameters", try list(parameters)),
                   ("inputs", try line(inputs))]
        if let noise { fields.append(("noise", try list(noise))) }
        if let projections { fields.append(("projections", try list(projections))) }
        fields += [("states", try list(states)), ("resets", try list(resets)), ("lets", try list(lets)),
                   ("updates", try list(updates))]
        if let spike { fields.append(("spike", try line(spike))) }
        if let output { fields.append(("output", try line(output))) }
        return "{\n" + fields.map { "  \"\($0.0)\": \($0.1)" }.joined(separator: ",\n") + "\n}\n"
    }

    /// `model(file:at:)` with `parameters` set, and its check; a `ModelError` about a symbol
    /// names the JSON path of its first use.
    public func checkedModel(parameters: [String: Double] = [:], file: String, at prefix: String = "") throws -> (NeuronModel, CheckedModel) {
        let model = try model(file: file, at: prefix).setting(parameters: parameters)
        do { return (model, try model.checked()) } catch var error as ModelError {
            let local = error.location.path.map { prefix.isEmpty ? $0 : String($0.dropFirst(prefix.count + 1)) }
            if let local, let exact = path(of: error.symbol, within: local) {
                error.location.path = prefix.isEmpty ? exact : "\(prefix).\(exact)"
            }
            throw error
        }
    }
}

extension ModelFile {
    /// The JSON path of the first use of `symbol` in the expression of the declaration at `path`.
    func path(of symbol: String, within path: String) -> String? {
        func index(_ prefix: String) -> Int? {
            guard path.hasPrefix(prefix + "["), path.hasSuffix("]") else { return nil }
            return Int(path.dropFirst(prefix.count + 1).dropLast())
        }
        var found: (key: String, expr: Expr)?
        if let i = index("updates"), updates.indices.contains(i) { found = ("expression", updates[i].expression) }
        if let i = index("lets"), lets.indices.contains(i) { found = ("expression", lets[i].expression) }
        if let i = index("resets"), resets.indices.contains(i) {
            let r = resets[i]
            found = r.subtract.map { ("subtract", $0) } ?? r.add.map { ("add", $0) } ?? r.to.map { ("to", $0) }
        }
        if path == "spike", let spike { found = ("condition", spike.condition) }
        if path == "output", let output { found = ("", output) }
        guard let found, let inner = found.expr.path(to: symbol) else { return nil }
        return [path, found.key, inner].filter { !$0.isEmpty }.joined(separator: ".")
    }
}

extension Expr {
    /// The path (`args[0].args[1]`) of the first node that reads `symbol` or holds it as a
    /// non-finite constant's text; "" for this node, nil if absent.
    func path(to symbol: String) -> String? {
        let children: [Expr]
        switch self {
        case .symbol(let name): return name == symbol ? "" : nil
        case .constant(let value): return "\(value)" == symbol ? "" : nil
        case .unary(_, let x): children = [x]
        case .binary(_, let a, let b): children = [a, b]
        case .select(let c, let a, let b): children = [c.lhs, c.rhs, a, b]
        }
        for (i, child) in children.enumerated() {
            if let inner = child.path(to: symbol) { return inner.isEmpty ? "args[\(i)]" : "args[\(i)].\(inner)" }
        }
        return nil
    }
}

extension Expr: Codable {
    enum NodeKeys: String, CodingKey { case op, args, compare }

    public init(from decoder: Decoder) throws {
        if let single = try? decoder.singleValueContainer() {
            if let value = try? single.decode(Double.self) { self = .constant(value); return }
            if let text = try? single.decode(String.self) {
                do { self = try Expr(parsing: text) } catch let error as ExpressionSyntaxError {
                    let detail = "'\(text)': column \(error.column): \(error.message)"
                    throw DecodingError.dataCorruptedError(in: single, debugDescription: detail)
                }
                return
            }
        }
        let c = try decoder.container(keyedBy: NodeKeys.self)
        let op = try c.decode(String.self, forKey: .op)
        let args = try c.decode([Expr].self, forKey: .args)
        func arity(_ n: Int) throws {
            guard args.count == n else {
                throw DecodingError.dataCorruptedError(forKey: .args, in: c, debugDescription: "'\(op)' takes \(n) args, not \(args.count)")
            }
        }
        if let unary = UnaryOp(rawValue: op) {
            try arity(1); self = .unary(unary, args[0])
        } else if let binary = BinaryOp(rawValue: op) {
            try arity(2); self = .binary(binary, args[0], args[1])
        } else if op == "select" {
            try arity(4)
            let text = try c.decode(String.self, forKey: .compare)
            guard let comparison = Comparison(rawValue: text) else {
                let known = Comparison.allCases.map(\.rawValue).joined(separator: ", ")
                throw DecodingError.dataCorruptedError(forKey: .compare, in: c, debugDescription: "'\(text)' is not a comparison (\(known))")
            }
            self = .select(Condition(lhs: args[0], comparison: comparison, rhs: args[1]), args[2], args[3])
        } else {
            let known = (UnaryOp.allCases.map(\.rawValue) + BinaryOp.allCases.map(\.rawValue) + ["select"]).joined(separator: ", ")
            throw DecodingError.dataCorruptedError(forKey: .op, in: c, debugDescription: "'\(op)' is not an operation (\(known))")
        }
    }

    public func encode(to encoder: Encoder) throws {
        let textForm = encoder.userInfo[.expressionForm] as? ExpressionForm == .text
        switch self {
        case .constant(let value):
            var c = encoder.singleValueContainer(); try c.encode(value)
        case .symbol(let name):
            var c = encoder.singleValueContainer(); try c.encode(name)
        case _ where textForm:
            var c = encoder.singleValueContainer(); try c.encode(text)
        case .unary(let op, let x):
            var c = encoder.container(keyedBy: NodeKeys.self)
            try c.encode(op.rawValue, forKey: .op); try c.encode([x], forKey: .args)
        case .binary(let op, let a, let b):
            var c = encoder.container(keyedBy: NodeKeys.self)
            try c.encode(op.rawValue, forKey: .op); try c.encode([a, b], forKey: .args)
        case .select(let condition, let a, let b):
            var c = encoder.container(keyedBy: NodeKeys.self)
            try c.encode("select", forKey: .op); try c.encode(condition.comparison.rawValue, forKey: .compare)
            try c.encode([condition.lhs, condition.rhs, a, b], forKey: .args)
        }
    }
}

/// How a model file writes expressions: `{"op", "args"}` trees, or infix text (`Expr.text`).
public enum ExpressionForm: String, Sendable, CaseIterable, Codable {
    case tree, text
}

extension CodingUserInfoKey {
    /// An `ExpressionForm` for the encoder of a model file (absent: `.tree`).
    public static let expressionForm = CodingUserInfoKey(rawValue: "plasticity.expressionForm")!
}

/// One-line JSON with the keys of the model format in reading order (`op` before `args`), so
/// that written files read like the DSL and are the same bytes on every run.
enum JSONLine {
    static let keyOrder = ["name", "state", "source", "channel", "sign", "op", "compare", "args", "value", "unit", "distribution", "initial",
                           "learnable", "subtract", "add", "to",
                           "expression", "kind", "scale", "surrogate", "condition"]

    static func text(_ value: Any) -> String {
        switch value {
        case let object as [String: Any]:
            let keys = object.keys.sorted { (keyOrder.firstIndex(of: $0) ?? keyOrder.count, $0) < (keyOrder.firstIndex(of: $1) ?? keyOrder.count,
                $1) }
            return "{" + keys.map { "\(quoted($0)): \(text(object[$0]!))" }.joined(separator: ", ") + "}"
        case let array as [Any]: return "[" + array.map(text).joined(separator: ", ") + "]"
        case let string as String: return quoted(string)
        case let number as NSNumber:
            // Numbers parse as NSDecimalNumber, whose text is exact (its doubleValue is not).
            return String(cString: number.objCType) == "c" ? (number.boolValue ? "true" : "false") : number.description
        default: return "null"
        }
    }

    static func quoted(_ string: String) -> String {
        let data = try! JSONSerialization.data(withJSONObject: [string], options: [.withoutEscapingSlashes])
        return String(decoding: data.dropFirst().dropLast(), as: UTF8.self)
    }
}
