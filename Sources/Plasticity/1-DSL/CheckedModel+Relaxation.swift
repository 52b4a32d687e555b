/// A spiking model with its spike made smooth, for finite-difference checks of the compiler's
/// derivatives (docs/testing.md, "Finite differences").
///
/// The spike z^t = Θ(g(h^t)) becomes a state z^t = σ(k·g(h^t)) in (0, 1), and the model a
/// non-spiking one with output z: every function of it is differentiable, so the gradient that
/// BPTT computes from the kernel's local Jacobians can be compared with central differences of a
/// float64 forward pass that never looks at the kernel. Resets become blends of the previous
/// state, as the kernel differentiates them (`ResetRule`): ĥ = h − z r, h + z r, h + z (r − h);
/// reads of the previous spike read z^{t−1}. Gradients are not stopped anywhere (a stopped
/// gradient is a chosen approximation, which differences of the function would not show), except
/// around `heaviside`, whose true derivative is 0 wherever it exists. Everything else — updates,
/// lets, parameters, inputs — is kept, so every derivative rule the model uses is exercised.
extension CheckedModel {
    /// The relaxed model with sharpness `k` (σ(k g); a spike condition of order 1 near threshold
    /// wants k of a few units). Learnable parameters keep their order, so weights and parameter
    /// tensors carry over unchanged.
    public func relaxed(sharpness k: Double) -> NeuronModel {
        precondition(isSpiking, "only a spiking model has a spike to relax")
        var zName = "z_relaxed"
        let taken = Set(states.map(\.name) + inputs + Array(fixedParameters.keys) + learnables.map(\.name) + definitions.map(\.name))
        while taken.contains(zName) { zName += "_" }
        let z = Expr.symbol(zName)
        var postReset: [String: Expr] = [BuiltinSymbol.previousSpike: z]
        for state in states {
            let h = Expr.symbol(state.name)
            switch state.reset.map({ ($0, $0.expr.differentiatedEverywhere) }) {
            case nil: postReset[state.name] = h
            case (.subtract, let r)?: postReset[state.name] = h - z * r
            case (.add, let r)?: postReset[state.name] = h + z * r
            case (.to, let r)?: postReset[state.name] = h + z * (r - h)
            }
        }
        let updates = states.map { $0.update.differentiatedEverywhere.substituting(postReset) }
        let newStates = Dictionary(uniqueKeysWithValues: zip(states.map(\.name), updates))
        let at = location
        var declarations: [Declaration] = fixedParameters.keys.sorted().map {
            .parameter(name: $0, value: fixedParameters[$0]!, learnable: false, at: at)
        }
        declarations += learnables.map { .parameter(name: $0.name, value: $0.initial, learnable: true, at: at) }
        declarations += inputs.map { name in noise[name].map { .noise(name: name, $0, at: at) } ?? .input(name: name, at: at) }
        declarations += states.map { .state(name: $0.name, initial: $0.initial, at: at) } + [.state(name: zName, initial: 0, at: at)]
        declarations += definitions.map { .define(name: $0.name, $0.expr.differentiatedEverywhere.substituting(postReset), at: at) }
        declarations += zip(states, updates).map { .update(state: $0.name, $1, at: at) }
        let g = output.expr.differentiatedEverywhere.substituting(newStates)
        declarations.append(.update(state: zName, sigmoid(.constant(k) * g), at: at))
        declarations.append(.output(z, at: at))
        var model = NeuronModel("\(name) (relaxed)", resetGradient: .differentiated, location: at)
        model.declarations = declarations
        return model
    }
}

extension Expr {
    /// The expression without `stopGradient`, except where it guards a `heaviside`.
    var differentiatedEverywhere: Expr {
        switch self {
        case .constant, .symbol: return self
        case .unary(.stopGradient, let x): return x.containsHeaviside ? self : x.differentiatedEverywhere
        case .unary(let op, let x): return .unary(op, x.differentiatedEverywhere)
        case .binary(let op, let a, let b): return .binary(op, a.differentiatedEverywhere, b.differentiatedEverywhere)
        case .select(let c, let a, let b): return .select(c, a.differentiatedEverywhere, b.differentiatedEverywhere)
        }
    }

    var containsHeaviside: Bool {
        switch self {
        case .constant, .symbol: return false
        case .unary(.heaviside, _): return true
        case .unary(_, let x): return x.containsHeaviside
        case .binary(_, let a, let b): return a.containsHeaviside || b.containsHeaviside
        case .select(let c, let a, let b): return [c.lhs, c.rhs, a, b].contains(where: \.containsHeaviside)
        }
    }

    /// The expression with each symbol in `map` replaced by its expression (once, not recursively).
    public func substituting(_ map: [String: Expr]) -> Expr {
        switch self {
        case .constant: return self
        case .symbol(let name): return map[name] ?? self
        case .unary(let op, let x): return .unary(op, x.substituting(map))
        case .binary(let op, let a, let b): return .binary(op, a.substituting(map), b.substituting(map))
        case .select(let c, let a, let b):
            return .select(Condition(lhs: c.lhs.substituting(map), comparison: c.comparison, rhs: c.rhs.substituting(map)),
                           a.substituting(map), b.substituting(map))
        }
    }
}
