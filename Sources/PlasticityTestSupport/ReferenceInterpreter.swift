import Plasticity

/// A direct interpreter of a checked DSL model — it never looks at the graph, the plan or the C —
/// used as the oracle for kernels.
///
/// One step, per neuron: ĥ = reset(h^{t-1}, z^{t-1}); h^t = update(ĥ, I, z^{t-1}; θ);
/// output = Θ(g(h^t)) with its surrogate derivative (or g(h^t) for value outputs).
public struct ReferenceInterpreter {
    public let model: CheckedModel
    public init(_ model: CheckedModel) { self.model = model }

    /// Evaluates an expression; `env` maps every symbol the expression may read.
    public func evaluate<T: OracleScalar>(_ e: Expr, _ env: [String: T]) -> T {
        switch e {
        case .constant(let c): return T(constant: c)
        case .symbol(let name): return env[name]!
        case .unary(let op, let x):
            let v: T = evaluate(x, env)
            switch op {
            case .negate: return -v
            case .exp: return v.exp()
            case .log: return v.log()
            case .tanh: return v.tanh()
            case .sigmoid: return T(constant: 1) / (T(constant: 1) + (-v).exp())
            case .stopGradient: return v.detached
            case .heaviside: return T(constant: v.value > 0 ? 1 : 0)
            case .sin: return v.sin()
            case .cos: return v.cos()
            case .abs: return v.absoluteValue()
            case .sqrt: return v.squareRooted()
            }
        case .binary(let op, let a, let b):
            let x: T = evaluate(a, env), y: T = evaluate(b, env)
            switch op {
            case .add: return x + y
            case .subtract: return x - y
            case .multiply: return x * y
            case .divide: return x / y
            case .pow: return x.pow(y)
            case .min: return Self.float32(x) < Self.float32(y) ? x : y
            case .max: return Self.float32(x) > Self.float32(y) ? x : y
            }
        case .select(let c, let a, let b):
            let l: T = evaluate(c.lhs, env), r: T = evaluate(c.rhs, env)
            return c.comparison.holds(Self.float32(l), Self.float32(r)) ? evaluate(a, env) : evaluate(b, env)
        }
    }

    /// Branches (min, max, select) are decided on operands rounded to float32, as the kernel
    /// decides them: where float32 rounding makes two operands tie (p + s with |s| below half
    /// an ulp of p) and float64 does not, the two would take different sides of a kink and
    /// disagree on its derivative by the whole jump (fuzz case fuzz1_1859).
    static func float32<T: OracleScalar>(_ x: T) -> Double { Double(Float(x.value)) }

    func parameterEnvironment<T: OracleScalar>(_ learnables: [T]) -> [String: T] {
        var env: [String: T] = [:]
        for (name, value) in model.fixedParameters { env[name] = T(constant: value) }
        for (p, learnable) in model.learnables.enumerated() { env[learnable.name] = learnables[p] }
        return env
    }

    /// The layer output for states h: a spike Θ(g(h)) with surrogate derivative, or g(h).
    public func output<T: OracleScalar>(states: [T], learnables: [T]) -> T {
        var env = parameterEnvironment(learnables)
        for (s, state) in model.states.enumerated() { env[state.name] = states[s] }
        let g: T = evaluate(model.output.expr, env)
        if case .spike(_, let surrogate) = model.output { return T.spike(g, surrogate) }
        return g
    }

    /// One step. `previousSpike` is z^{t-1} with its own derivative (e.g. `output(previous)`).
    public func step<T: OracleScalar>(previous: [T], previousSpike: T, inputs: [T], learnables: [T]) -> (states: [T], output: T) {
        let params: [String: T] = parameterEnvironment(learnables)
        var resetEnv = params
        for (s, state) in model.states.enumerated() { resetEnv[state.name] = previous[s] }
        let resetSpike = model.resetGradient == .stopped ? previousSpike.detached : previousSpike
        var env = params
        for (c, name) in model.inputs.enumerated() { env[name] = inputs[c] }
        env[BuiltinSymbol.previousSpike] = previousSpike
        for (s, state) in model.states.enumerated() {
            guard let rule = state.reset else { env[state.name] = previous[s]; continue }
            let r: T = evaluate(rule.expr, resetEnv)
            switch rule {
            case .subtract: env[state.name] = previous[s] - resetSpike * r
            case .add: env[state.name] = previous[s] + resetSpike * r
            case .to: env[state.name] = T.resetTo(z: resetSpike, r: r, h: previous[s])
            }
        }
        for definition in model.definitions { env[definition.name] = evaluate(definition.expr, env) as T }
        let next: [T] = model.states.map { evaluate($0.update, env) }
        return (next, output(states: next, learnables: learnables))
    }
}
