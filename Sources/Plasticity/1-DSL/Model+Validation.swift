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
    public var inputs: [String]
    public var definitions: [(name: String, expr: Expr)]
    public var output: Output
    public var location: SourceLocation

    public var isSpiking: Bool { if case .spike = output { return true }; return false }

    public static func == (a: CheckedModel, b: CheckedModel) -> Bool {
        a.name == b.name && a.states == b.states && a.fixedParameters == b.fixedParameters
            && a.learnables == b.learnables && a.inputs == b.inputs && a.output == b.output
            && a.resetGradient == b.resetGradient
            && a.definitions.map(\.name) == b.definitions.map(\.name)
            && a.definitions.map(\.expr) == b.definitions.map(\.expr)
    }
    public func hash(into h: inout Hasher) { h.combine(name); h.combine(states); h.combine(output) }
}

extension NeuronModel {
    private enum SymbolKind: String {
        case state, parameter, input, definition
        var article: String { self == .input ? "an input" : "a \(rawValue)" }
    }

    /// Checks the model and resolves it; throws a `ModelError` naming the line and symbol.
    public func checked() throws -> CheckedModel {
        func fail(_ kind: ModelError.Kind, _ symbol: String, _ at: SourceLocation, _ message: String) -> ModelError {
            ModelError(kind: kind, model: name, symbol: symbol, location: at, message: message)
        }
        guard !name.isEmpty else { throw fail(.invalidName, name, location, "the model needs a non-empty name") }

        // 1. Declarations of names: unique, non-empty, not reserved, finite values.
        var kinds: [String: (SymbolKind, SourceLocation)] = [:]
        var stateOrder: [(String, Double, SourceLocation)] = []
        var fixed: [String: Double] = [:]
        var learnables: [CheckedModel.LearnableParameter] = []
        var inputs: [String] = []
        var definitionExprs: [String: (Expr, SourceLocation)] = [:]
        var definitionOrder: [String] = []
        func declare(_ symbol: String, _ kind: SymbolKind, _ at: SourceLocation) throws {
            if symbol.isEmpty { throw fail(.invalidName, symbol, at, "a \(kind.rawValue) needs a non-empty name") }
            if symbol == BuiltinSymbol.previousSpike {
                throw fail(.duplicateName, symbol, at, "'\(symbol)' is reserved for the previous spike z^{t-1}")
            }
            if let (other, first) = kinds[symbol] {
                throw fail(.duplicateName, symbol, at, "'\(symbol)' is declared twice (first as \(other.article) at \(first))")
            }
            kinds[symbol] = (kind, at)
        }
        for d in declarations {
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
            case .define(let n, let e, let at):
                try declare(n, .definition, at); definitionExprs[n] = (e, at); definitionOrder.append(n)
            default: break
            }
        }
        guard !stateOrder.isEmpty else { throw fail(.missingOutput, name, location, "the model declares no State") }

        // 2. Updates and resets target states, once each.
        var updates: [String: Expr] = [:], resets: [String: ResetRule] = [:]
        var output: (Expr, Surrogate?, Bool, SourceLocation)?
        for d in declarations {
            switch d {
            case .update(let s, _, let at), .reset(let s, _, let at):
                let isUpdate: Bool = { if case .update = d { return true }; return false }()
                let verb = isUpdate ? "Update" : "Reset"
                guard let (kind, _) = kinds[s] else {
                    throw fail(.unknownSymbol, s, at, "\(verb) of unknown state '\(s)'")
                }
                guard kind == .state else {
                    throw fail(.notAState, s, at, "\(verb) of '\(s)', which is a \(kind.rawValue), not a state")
                }
                if isUpdate {
                    if updates[s] != nil { throw fail(.duplicateUpdate, s, at, "state '\(s)' is updated twice") }
                    if case .update(_, let e, _) = d { updates[s] = e }
                } else {
                    if resets[s] != nil { throw fail(.duplicateUpdate, s, at, "state '\(s)' has two resets") }
                    if case .reset(_, let rule, _) = d { resets[s] = rule }
                }
            case .spike(let e, let surrogate, let at):
                if let first = output?.3 { throw fail(.duplicateName, "Spike", at, "the model has two outputs (the first at \(first))") }
                output = (e, surrogate, true, at)
            case .output(let e, let at):
                if let first = output?.3 { throw fail(.duplicateName, "Output", at, "the model has two outputs (the first at \(first))") }
                output = (e, nil, false, at)
            default: break
            }
        }
        for (s, _, at) in stateOrder where updates[s] == nil {
            throw fail(.stateWithoutUpdate, s, at, "state '\(s)' has no Update")
        }
        guard let (outputExpr, surrogate, spiking, outputAt) = output else {
            throw fail(.missingOutput, name, location, "the model has neither a Spike nor an Output")
        }
        if spiking {
            guard let surrogate else {
                throw fail(.missingSurrogate, "Spike", outputAt,
                           "Spike has no surrogate: Θ has no useful derivative; choose one of fast sigmoid, piecewise linear, exponential, arctan, boxcar")
            }
            guard surrogate.scale.isFinite, surrogate.scale > 0 else {
                throw fail(.invalidValue, "Spike", outputAt, "the surrogate scale must be positive and finite, not \(surrogate.scale)")
            }
        }

        if !spiking {
            for d in declarations {
                if case .reset(let s, _, let at) = d {
                    throw fail(.symbolNotAllowedHere, s, at, "Reset of '\(s)' in a model without a Spike")
                }
            }
        }

        // 3. Symbols each expression may read.
        func check(_ e: Expr, allowed: Set<SymbolKind>, spikeAllowed: Bool, context: String, at: SourceLocation) throws {
            for s in e.symbols {
                if s == BuiltinSymbol.previousSpike {
                    if spikeAllowed && spiking { continue }
                    throw fail(.symbolNotAllowedHere, s, at, "\(context) may not read the previous spike '\(s)'")
                }
                guard let (kind, _) = kinds[s] else {
                    throw fail(.unknownSymbol, s, at, "unknown symbol '\(s)' in \(context)")
                }
                guard allowed.contains(kind) else {
                    throw fail(.symbolNotAllowedHere, s, at, "\(context) may not read the \(kind.rawValue) '\(s)'")
                }
            }
            try checkConstants(e, context: context, at: at)
            try checkDifferentiable(e, context: context, at: at)
        }
        func checkConstants(_ e: Expr, context: String, at: SourceLocation) throws {
            switch e {
            case .constant(let c) where !c.isFinite:
                throw fail(.invalidValue, "\(c)", at, "non-finite constant in \(context)")
            case .unary(_, let x): try checkConstants(x, context: context, at: at)
            case .binary(_, let a, let b): try checkConstants(a, context: context, at: at); try checkConstants(b, context: context, at: at)
            case .select(let c, let a, let b):
                for x in [c.lhs, c.rhs, a, b] { try checkConstants(x, context: context, at: at) }
            default: break
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
        for n in definitionOrder {
            let (e, at) = definitionExprs[n]!
            try check(e, allowed: [.state, .parameter, .input, .definition], spikeAllowed: true, context: "definition of '\(n)'", at: at)
        }
        for d in declarations {
            switch d {
            case .update(let s, let e, let at):
                try check(e, allowed: [.state, .parameter, .input, .definition], spikeAllowed: true, context: "the update of '\(s)'", at: at)
            case .reset(let s, let rule, let at):
                try check(rule.expr, allowed: [.state, .parameter], spikeAllowed: false, context: "the reset of '\(s)'", at: at)
            default: break
            }
        }
        try check(outputExpr, allowed: [.state, .parameter], spikeAllowed: false,
                  context: spiking ? "the spike condition" : "the output", at: outputAt)

        // 4. Definitions in dependency order; a cycle within one step is an error.
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

        return CheckedModel(
            name: name, resetGradient: resetGradient,
            states: stateOrder.map { .init(name: $0.0, initial: $0.1, update: updates[$0.0]!, reset: resets[$0.0], location: $0.2) },
            fixedParameters: fixed, learnables: learnables, inputs: inputs, definitions: ordered,
            output: spiking ? .spike(condition: outputExpr, surrogate: surrogate!) : .value(outputExpr),
            location: location)
    }
}
