/// A model rejected by the checker: names the line of the model and the offending symbol.
public struct ModelError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Kind: String, Sendable {
        case unknownSymbol, stateWithoutUpdate, algebraicCycle, missingSurrogate, duplicateName,
             shapeMismatch, notAState, nonDifferentiable, invalidName, invalidValue, missingOutput,
             symbolNotAllowedHere, duplicateUpdate
    }
    public var kind: Kind
    public var model: String
    public var symbol: String
    public var location: SourceLocation
    public var message: String

    public var description: String { "\(location): error: in model '\(model)': \(message)" }
}

/// A model that passed every check, with its pieces resolved and definitions in dependency order.
public struct CheckedModel: Sendable, Hashable {
    public struct StateVariable: Sendable, Hashable {
        public var name: String, initial: Double, update: Expr, reset: ResetRule?, location: SourceLocation
    }
    public struct LearnableParameter: Sendable, Hashable { public var name: String, initial: Double }
    public enum Output: Sendable, Hashable {
        case spike(condition: Expr, surrogate: Surrogate)
        case value(Expr)
        public var expr: Expr { switch self { case .spike(let e, _), .value(let e): return e } }
    }

    public var name: String
    public var resetGradient: ResetGradient
    public var states: [StateVariable]
    public var fixedParameters: [String: Double]
    public var learnables: [LearnableParameter]
    /// The input channels: the synaptic ones in declaration order, then the noise sources.
    public var inputs: [String]
    /// The channels of `inputs` that are noise sources, with their distributions.
    public var noise: [String: NoiseDistribution] = [:]
    public var definitions: [(name: String, expr: Expr)]
    public var output: Output
    public var location: SourceLocation

    public var isSpiking: Bool { if case .spike = output { return true }; return false }

    public static func == (a: CheckedModel, b: CheckedModel) -> Bool {
        a.name == b.name && a.states == b.states && a.fixedParameters == b.fixedParameters
            && a.learnables == b.learnables && a.inputs == b.inputs && a.noise == b.noise && a.output == b.output
            && a.resetGradient == b.resetGradient
            && a.definitions.map(\.name) == b.definitions.map(\.name)
            && a.definitions.map(\.expr) == b.definitions.map(\.expr)
    }
    public func hash(into h: inout Hasher) { h.combine(name); h.combine(states); h.combine(output) }
}

extension NeuronModel {
    /// Checks the model and resolves it; throws a `ModelError` naming the line and symbol.
    /// The phases run in order, and each throws the first defect it finds.
    public func checked() throws -> CheckedModel {
        guard !name.isEmpty else {
            throw ModelError(kind: .invalidName, model: name, symbol: name, location: location, message: "the model needs a non-empty name")
        }
        try checkDepth()
        var checker = ModelChecker(model: self)
        try checker.declareNames()
        try checker.collectUpdatesAndOutput()
        try checker.expandDefinitionsInOutput()
        try checker.checkExpressions()
        return try checker.resolved()
    }
}

extension NeuronModel {
    /// The deepest expression the compiler takes. Every stage walks expressions recursively; the
    /// limit keeps them far from the stack's end (a model file cannot nest deeper anyway: JSON
    /// readers stop at 512 levels, two per expression node).
    public static let maxExpressionDepth = 256

    /// Measured without recursion, so that any depth is reported, not overflowed.
    func checkDepth() throws {
        for d in declarations {
            let roots: [Expr]
            switch d {
            case .update(_, let e, _), .define(_, let e, _), .spike(let e, _, _), .output(let e, _): roots = [e]
            case .reset(_, let rule, _): roots = [rule.expr]
            default: roots = []
            }
            var stack = roots.map { ($0, 1) }, deepest = 0
            while let (e, depth) = stack.popLast() {
                deepest = Swift.max(deepest, depth)
                if deepest > Self.maxExpressionDepth {
                    throw ModelError(kind: .invalidValue, model: name, symbol: "expression", location: d.location,
                                     message: "an expression is nested more than \(Self.maxExpressionDepth) levels deep (the compiler's limit)")
                }
                switch e {
                case .constant, .symbol: break
                case .unary(_, let x): stack.append((x, depth + 1))
                case .binary(_, let a, let b): stack += [(a, depth + 1), (b, depth + 1)]
                case .select(let c, let a, let b): stack += [c.lhs, c.rhs, a, b].map { ($0, depth + 1) }
                }
            }
        }
    }
}

/// The state of `NeuronModel.checked()` between its phases.
private struct ModelChecker {
    enum SymbolKind: String {
        case state, parameter, input, definition
        var article: String { self == .input ? "an input" : "a \(rawValue)" }
    }
    struct ModelOutput { var expr: Expr, surrogate: Surrogate?, spiking: Bool, location: SourceLocation }

    let model: NeuronModel
    var kinds: [String: (SymbolKind, SourceLocation)] = [:]
    var stateOrder: [(String, Double, SourceLocation)] = []
    var fixed: [String: Double] = [:]
    var learnables: [CheckedModel.LearnableParameter] = []
    var inputs: [String] = []
    var noise: [(String, NoiseDistribution)] = []
    var definitionExprs: [String: (Expr, SourceLocation)] = [:]
    var definitionOrder: [String] = []
    var updates: [String: Expr] = [:], resets: [String: ResetRule] = [:]
    var output: ModelOutput?

    init(model: NeuronModel) { self.model = model }

    func fail(_ kind: ModelError.Kind, _ symbol: String, _ at: SourceLocation, _ message: String) -> ModelError {
        ModelError(kind: kind, model: model.name, symbol: symbol, location: at, message: message)
    }

    /// 1. Declarations of names: unique, non-empty, not reserved, finite values.
    mutating func declareNames() throws {
        for d in model.declarations {
            switch d {
            case .state(let n, let v, let at):
                try declare(n, .state, at)
                guard v.isFinite else { throw fail(.invalidValue, n, at, "state '\(n)' has a non-finite initial value") }
                stateOrder.append((n, v, at))
            case .parameter(let n, let v, let learnable, let at):
                try declare(n, .parameter, at)
                guard v.isFinite else { throw fail(.invalidValue, n, at, "parameter '\(n)' has a non-finite value") }
                if learnable { learnables.append(.init(name: n, initial: v)) } else { fixed[n] = v }
            case .input(let n, let at):
                try declare(n, .input, at); inputs.append(n)
            case .noise(let n, let distribution, let at):
                try declare(n, .input, at); noise.append((n, distribution))
            case .define(let n, let e, let at):
                try declare(n, .definition, at); definitionExprs[n] = (e, at); definitionOrder.append(n)
            default: break
            }
        }
        guard !stateOrder.isEmpty else { throw fail(.missingOutput, model.name, model.location, "the model declares no State") }
        for projection in model.projections ?? [] where !inputs.contains(projection.channel) {
            throw fail(.unknownSymbol, projection.channel, model.location, "a default projection targets '\(projection.channel)', which is " +
                       "not an input channel of the model (its inputs: \(inputs.joined(separator: ", ")))")
        }
        if let step = model.timeStep {
            guard let value = fixed[step] else {
                throw fail(.unknownSymbol, step, model.location, "the time step '\(step)' must be a fixed parameter of the model (its value in ms)")
            }
            guard value > 0 else { throw fail(.invalidValue, step, model.location, "the time step '\(step)' must be positive, not \(value)") }
        }
    }

    mutating func declare(_ symbol: String, _ kind: SymbolKind, _ at: SourceLocation) throws {
        if symbol.isEmpty { throw fail(.invalidName, symbol, at, "a \(kind.rawValue) needs a non-empty name") }
        // Infix text writes any other name in backquotes (`Expr+Text.swift`).
        if symbol.contains("`") { throw fail(.invalidName, symbol, at, "the name '\(symbol)' contains '`'") }
        if symbol == BuiltinSymbol.previousSpike {
            throw fail(.duplicateName, symbol, at, "'\(symbol)' is reserved for the previous spike z^{t-1}")
        }
        if let (other, first) = kinds[symbol] {
            throw fail(.duplicateName, symbol, at, "'\(symbol)' is declared twice (first as \(other.article) at \(first))")
        }
        kinds[symbol] = (kind, at)
    }

    /// 2. Updates and resets target states, once each; exactly one Spike or Output.
    mutating func collectUpdatesAndOutput() throws {
        for d in model.declarations {
            switch d {
            case .update(let s, let e, let at):
                try checkTarget(s, verb: "Update", at: at)
                if updates[s] != nil { throw fail(.duplicateUpdate, s, at, "state '\(s)' is updated twice") }
                updates[s] = e
            case .reset(let s, let rule, let at):
                try checkTarget(s, verb: "Reset", at: at)
                if resets[s] != nil { throw fail(.duplicateUpdate, s, at, "state '\(s)' has two resets") }
                resets[s] = rule
            case .spike(let e, let surrogate, let at):
                if let first = output?.location { throw fail(.duplicateName, "Spike", at, "the model has two outputs (the first at \(first))") }
                output = ModelOutput(expr: e, surrogate: surrogate, spiking: true, location: at)
            case .output(let e, let at):
                if let first = output?.location { throw fail(.duplicateName, "Output", at, "the model has two outputs (the first at \(first))") }
                output = ModelOutput(expr: e, surrogate: nil, spiking: false, location: at)
            default: break
            }
        }
        for (s, _, at) in stateOrder where updates[s] == nil {
            throw fail(.stateWithoutUpdate, s, at, "state '\(s)' has no Update")
        }
        guard let output else { throw fail(.missingOutput, model.name, model.location, "the model has neither a Spike nor an Output") }
        if output.spiking {
            guard let surrogate = output.surrogate else {
                let choices = Surrogate.Kind.allCases.map(\.rawValue).joined(separator: ", ")
                throw fail(.missingSurrogate, "Spike", output.location,
                           "Spike has no surrogate: Θ has no useful derivative; choose one of \(choices) (in Swift: .fastSigmoid(scale:), …)")
            }
            guard surrogate.scale.isFinite, surrogate.scale > 0 else {
                throw fail(.invalidValue, "Spike", output.location, "the surrogate scale must be positive and finite, not \(surrogate.scale)")
            }
        } else {
            for case .reset(let s, _, let at) in model.declarations {
                throw fail(.symbolNotAllowedHere, s, at, "Reset of '\(s)' in a model without a Spike")
            }
        }
    }

    func checkTarget(_ s: String, verb: String, at: SourceLocation) throws {
        guard let (kind, _) = kinds[s] else { throw fail(.unknownSymbol, s, at, "\(verb) of unknown state '\(s)'") }
        guard kind == .state else { throw fail(.notAState, s, at, "\(verb) of '\(s)', which is a \(kind.rawValue), not a state") }
    }

    /// 3a. The spike condition and the output may read Lets: each is replaced by its expression
    /// (recursively), so there a Let is evaluated on the step's new states. A Let that reads an
    /// input or the previous spike cannot be used there (the check below names what it reads).
    mutating func expandDefinitionsInOutput() throws {
        var budget = Self.expansionLimit
        let place = output!.spiking ? "spike condition" : "output"
        func expand(_ e: Expr, _ visiting: Set<String>, depth: Int) throws -> Expr {
            budget -= 1
            guard budget > 0, depth <= NeuronModel.maxExpressionDepth else {
                throw fail(.invalidValue, "Let", output!.location, "the \(place) with its Lets written out has more than " +
                           "\(Self.expansionLimit) operations or \(NeuronModel.maxExpressionDepth) levels; read fewer Lets there")
            }
            switch e {
            case .constant: return e
            case .symbol(let s):
                guard let (definition, _) = definitionExprs[s], !visiting.contains(s) else { return e }
                return try expand(definition, visiting.union([s]), depth: depth)
            case .unary(let op, let x): return .unary(op, try expand(x, visiting, depth: depth + 1))
            case .binary(let op, let a, let b):
                return .binary(op, try expand(a, visiting, depth: depth + 1), try expand(b, visiting, depth: depth + 1))
            case .select(let c, let a, let b):
                let lhs = try expand(c.lhs, visiting, depth: depth + 1), rhs = try expand(c.rhs, visiting, depth: depth + 1)
                return .select(Condition(lhs: lhs, comparison: c.comparison, rhs: rhs), try expand(a, visiting, depth: depth + 1),
                               try expand(b, visiting, depth: depth + 1))
            }
        }
        output!.expr = try expand(output!.expr, [], depth: 1)
    }
    static let expansionLimit = 100_000

    /// 3. Symbols each expression may read; finite constants; derivatives everywhere.
    func checkExpressions() throws {
        let spiking = output!.spiking
        for n in definitionOrder {
            let (e, at) = definitionExprs[n]!
            try check(e, allowed: [.state, .parameter, .input, .definition], spikeAllowed: true, context: "definition of '\(n)'", at: at)
        }
        for d in model.declarations {
            switch d {
            case .update(let s, let e, let at):
                try check(e, allowed: [.state, .parameter, .input, .definition], spikeAllowed: true, context: "the update of '\(s)'", at: at)
            case .reset(let s, let rule, let at):
                try check(rule.expr, allowed: [.state, .parameter], spikeAllowed: false, context: "the reset of '\(s)'", at: at)
            default: break
            }
        }
        try check(output!.expr, allowed: [.state, .parameter], spikeAllowed: false,
                  context: spiking ? "the spike condition" : "the output", at: output!.location)
    }

    func check(_ e: Expr, allowed: Set<SymbolKind>, spikeAllowed: Bool, context: String, at: SourceLocation) throws {
        for s in e.symbols {
            if s == BuiltinSymbol.previousSpike {
                if spikeAllowed && output!.spiking { continue }
                throw fail(.symbolNotAllowedHere, s, at, "\(context) may not read the previous spike '\(s)'")
            }
            guard let (kind, _) = kinds[s] else { throw fail(.unknownSymbol, s, at, "unknown symbol '\(s)' in \(context)") }
            guard allowed.contains(kind) else { throw fail(.symbolNotAllowedHere, s, at, "\(context) may not read the \(kind.rawValue) '\(s)'") }
        }
        try checkConstants(e, context: context, at: at)
        try checkDifferentiable(e, context: context, at: at)
    }

    /// Every literal finite; every part the compiler folds (constants and fixed parameters only)
    /// finite too, and no division by a part that folds to 0: `log(-1)` or `exp(1000) - exp(1000)`
    /// would otherwise reach C as `nan`. Children first, so the innermost such part is named.
    func checkConstants(_ e: Expr, context: String, at: SourceLocation) throws {
        switch e {
        case .constant(let c) where !c.isFinite:
            throw fail(.invalidValue, "\(c)", at, "non-finite constant in \(context)")
        case .unary(_, let x): try checkConstants(x, context: context, at: at)
        case .binary(let op, let a, let b):
            try checkConstants(a, context: context, at: at); try checkConstants(b, context: context, at: at)
            if op == .divide, folded(b) == 0 { throw fail(.invalidValue, "\(b)", at, "\(context) divides by '\(b)', which is 0") }
        case .select(let c, let a, let b):
            for x in [c.lhs, c.rhs, a, b] { try checkConstants(x, context: context, at: at) }
        default: break
        }
        if let value = folded(e), !value.isFinite {
            let shown = value.isNaN ? "NaN" : "\(value)"
            throw fail(.invalidValue, "\(e)", at, "'\(e)' in \(context) is a constant that evaluates to \(shown), not a finite number")
        }
    }

    /// The value the compiler folds a part to (it reads constants and fixed parameters only), or nil.
    func folded(_ e: Expr) -> Double? {
        switch e {
        case .constant(let c): return c
        case .symbol(let name): return fixed[name]
        case .unary(let op, let x): return folded(x).map { Op.unary(op).evaluate([$0]) }
        case .binary(let op, let a, let b):
            guard let x = folded(a), let y = folded(b) else { return nil }
            return Op.binary(op).evaluate([x, y])
        case .select(let c, let a, let b):
            let values = [c.lhs, c.rhs, a, b].compactMap(folded)
            return values.count == 4 ? Op.select(c.comparison).evaluate(values) : nil
        }
    }

    func checkDifferentiable(_ e: Expr, context: String, at: SourceLocation) throws {
        switch e {
        case .unary(.stopGradient, _): return
        case .unary(.heaviside, let x):
            throw fail(.nonDifferentiable, x.symbols.first ?? "heaviside", at,
                       "heaviside(\(x)) in \(context) has no derivative: wrap it in stopGradient, or declare a Spike with a surrogate")
        case .unary(_, let x): try checkDifferentiable(x, context: context, at: at)
        case .binary(_, let a, let b): try checkDifferentiable(a, context: context, at: at); try checkDifferentiable(b, context: context, at: at)
        case .select(_, let a, let b): try checkDifferentiable(a, context: context, at: at); try checkDifferentiable(b, context: context, at: at)
        default: return
        }
    }

    /// 4. Definitions in dependency order (a cycle within one step is an error), and the result.
    func resolved() throws -> CheckedModel {
        var ordered: [(name: String, expr: Expr)] = []
        var mark: [String: Int] = [:]  // 1 visiting, 2 done
        func visit(_ n: String, path: [String]) throws {
            if mark[n] == 2 { return }
            let (e, at) = definitionExprs[n]!
            if mark[n] == 1 {
                let cycle = (path.drop { $0 != n } + [n]).joined(separator: " -> ")
                throw fail(.algebraicCycle, n, at, "algebraic cycle within one step: \(cycle)")
            }
            mark[n] = 1
            for s in e.symbols where definitionExprs[s] != nil { try visit(s, path: path + [n]) }
            mark[n] = 2
            ordered.append((n, e))
        }
        for n in definitionOrder { try visit(n, path: []) }
        let output = output!
        return CheckedModel(
            name: model.name, resetGradient: model.resetGradient,
            states: stateOrder.map { .init(name: $0.0, initial: $0.1, update: updates[$0.0]!, reset: resets[$0.0], location: $0.2) },
            fixedParameters: fixed, learnables: learnables, inputs: inputs + noise.map(\.0),
            noise: Dictionary(uniqueKeysWithValues: noise), definitions: ordered,
            output: output.spiking ? .spike(condition: output.expr, surrogate: output.surrogate!) : .value(output.expr),
            location: model.location)
    }
}
