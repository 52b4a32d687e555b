/// A partial derivative as a small expression over per-neuron vertex values.
///
/// The smart constructors fold constants (0·x = 0, 1·x = x, c₁·c₂ = c), so a partial that does
/// not depend on any per-neuron value ends up `.constant` and the edge is annotated `c·I`.
public indirect enum Partial: Hashable, Sendable {
    case constant(Double)
    /// The forward value of a vertex.
    case value(JacobianGraph.VertexID)
    case negate(Partial)
    case add(Partial, Partial)
    case subtract(Partial, Partial)
    case multiply(Partial, Partial)
    case divide(Partial, Partial)
    case pow(Partial, Partial)
    case log(Partial)
    /// 1 where `lhs cmp rhs` holds, else 0.
    case indicator(Comparison, JacobianGraph.VertexID, JacobianGraph.VertexID)
    /// σ'(g) of a surrogate at the value of g.
    case surrogate(Surrogate, JacobianGraph.VertexID)
    /// tanh′(x) = 1/cosh²(x) at the value of x, accurate to float32 rounding where 1 − tanh²
    /// would cancel (|x| ≳ 4: tanh rounds to ±1 and the difference loses every digit).
    case tanhDerivative(JacobianGraph.VertexID)
    /// sigmoid′(x) = σ(x)σ(−x) at the value of x, accurate where σ(1 − σ) cancels (x ≳ 9).
    case sigmoidDerivative(JacobianGraph.VertexID)
    /// σ'(g^{t-1}) of the previous spike z^{t-1} = Θ(g(h^{t-1}; θ)) — but 0 at a sequence's first
    /// step, where z^{-1} is the initial condition (a constant), not an output of the dynamics.
    case previousSurrogate(Surrogate, JacobianGraph.VertexID)
    /// sin, cos and sign (−1, 0, 1) at the value of a vertex: the derivatives of cos, sin and abs.
    case sin(JacobianGraph.VertexID), cos(JacobianGraph.VertexID), sign(JacobianGraph.VertexID)

    public var constantValue: Double? { if case .constant(let c) = self { return c }; return nil }

    public static func + (a: Partial, b: Partial) -> Partial {
        switch (a.constantValue, b.constantValue) {
        case let (x?, y?): return .constant(x + y)
        case (0?, _): return b
        case (_, 0?): return a
        default: return .add(a, b)
        }
    }
    public static func - (a: Partial, b: Partial) -> Partial {
        switch (a.constantValue, b.constantValue) {
        case let (x?, y?): return .constant(x - y)
        case (_, 0?): return a
        case (0?, _): return -b
        default: return .subtract(a, b)
        }
    }
    public static prefix func - (a: Partial) -> Partial {
        if let x = a.constantValue { return .constant(-x) }
        if case .negate(let inner) = a { return inner }
        return .negate(a)
    }
    public static func * (a: Partial, b: Partial) -> Partial {
        switch (a.constantValue, b.constantValue) {
        case let (x?, y?): return .constant(x * y)
        case (0?, _), (_, 0?): return .constant(0)
        case (1, _): return b
        case (_, 1): return a
        case (-1, _): return -b
        case (_, -1): return -a
        default: return .multiply(a, b)
        }
    }
    public static func / (a: Partial, b: Partial) -> Partial {
        switch (a.constantValue, b.constantValue) {
        case let (x?, y?): return .constant(x / y)
        case (0?, _): return .constant(0)
        case (_, 1?): return a
        default: return .divide(a, b)
        }
    }
}
