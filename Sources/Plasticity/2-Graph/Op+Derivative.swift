/// Derivative rules: the partial of an op's result with respect to each operand.
extension Op {
    /// `result` is the op's own vertex (its value is reused where the rule allows, e.g. exp).
    /// `constant` gives the folded value of an operand that is a constant vertex.
    func partials(operands x: [JacobianGraph.VertexID], result y: JacobianGraph.VertexID,
                  constant: (JacobianGraph.VertexID) -> Double?) -> [Partial] {
        func v(_ id: JacobianGraph.VertexID) -> Partial { constant(id).map(Partial.constant) ?? .value(id) }
        switch self {
        case .unary(let u):
            switch u {
            case .negate: return [.constant(-1)]
            case .exp: return [v(y)]                                  // d exp(a) = exp(a)
            case .log: return [.constant(1) / v(x[0])]                // d log(a) = 1/a
            case .tanh: return [.tanhDerivative(x[0])]                // 1/cosh², not 1 − tanh² (cancels)
            case .sigmoid: return [.sigmoidDerivative(x[0])]          // σ(a)σ(−a), not σ(1 − σ) (cancels)
            case .stopGradient, .heaviside: return [.constant(0)]
            case .sin: return [.cos(x[0])]
            case .cos: return [-.sin(x[0])]
            case .abs: return [.sign(x[0])]                           // 0 at 0, as a subgradient
            case .sqrt: return [.constant(0.5) / v(y)]                // 1/(2√a)
            }
        case .binary(let b):
            switch b {
            case .add: return [.constant(1), .constant(1)]
            case .subtract: return [.constant(1), .constant(-1)]
            case .multiply: return [v(x[1]), v(x[0])]
            case .divide: return [.constant(1) / v(x[1]), -(v(y) / v(x[1]))]   // 1/b, −(a/b)/b
            case .pow:
                // d a^b/da = b·a^(b−1);  d a^b/db = a^b·log a
                let exponent = v(x[1])
                let base: Partial
                if let e = exponent.constantValue {
                    base = e == 2 ? .constant(2) * v(x[0]) : .constant(e) * .pow(v(x[0]), .constant(e - 1))
                } else {
                    base = exponent * .pow(v(x[0]), exponent - .constant(1))
                }
                return [base, v(y) * .log(v(x[0]))]
            case .min: return [.indicator(.less, x[0], x[1]), .indicator(.greaterEqual, x[0], x[1])]
            case .max: return [.indicator(.greater, x[0], x[1]), .indicator(.lessEqual, x[0], x[1])]
            }
        case .select(let c):
            return [.constant(0), .constant(0), .indicator(c, x[0], x[1]), .indicator(c.negated, x[0], x[1])]
        case .resetTo:
            // ĥ = z ? r : h, differentiated as the blend h + z(r − h).
            return [v(x[1]) - v(x[2]), v(x[0]), .constant(1) - v(x[0])]
        case .spike(let s):
            return [.surrogate(s, x[0])]
        }
    }
}
