/// Surrogate pseudo-derivatives σ'(x) used for ∂z/∂x of a spike z = Θ(x).
///
/// Definitions (s is the scale; the C versions are `Kind.cExpression`):
/// - fast sigmoid (SuperSpike, Zenke & Ganguli 2018): 1 / (1 + s|x|)²
/// - piecewise linear (Bellec et al. 2018): s · max(0, 1 − |x|)   (s is the dampening γ)
/// - exponential: (s/2) · exp(−s|x|)
/// - arctan: (s/2) / (1 + (π s x / 2)²)
/// - boxcar: 1/(2s) for |x| ≤ s, else 0
/// - gaussian: s/√(2π) · exp(−(s x)²/2), a normal density of width 1/s
public enum Surrogate: Sendable, Hashable, CustomStringConvertible {
    case fastSigmoid(scale: Double)
    case piecewiseLinear(scale: Double)
    case exponential(scale: Double)
    case arctan(scale: Double)
    case boxcar(scale: Double)
    case gaussian(scale: Double)

    public var scale: Double {
        switch self {
        case .fastSigmoid(let s), .piecewiseLinear(let s), .exponential(let s), .arctan(let s), .boxcar(let s), .gaussian(let s): return s
        }
    }

    /// The surrogate's family, without its scale; its raw value is the C name of σ'.
    public enum Kind: String, ConfigEnum {
        case fastSigmoid = "fast_sigmoid", piecewiseLinear = "piecewise_linear", exponential, arctan, boxcar, gaussian

        /// σ'(x) in C, in x and the scale s, with the operations of `derivative(at:)` in the same
        /// order (float kernels equal a Float evaluation of it). The kernel IR's operation table
        /// (`ElementOp`) takes it from here, and plasticity_kernel.h's lists are generated from that.
        public var cExpression: String {
            switch self {
            case .fastSigmoid: return "1.0f / ((1.0f + s * plasticity_abs(x)) * (1.0f + s * plasticity_abs(x)))"
            case .piecewiseLinear: return "1.0f - plasticity_abs(x) > 0.0f ? s * (1.0f - plasticity_abs(x)) : 0.0f"
            case .exponential: return "0.5f * s * expf(-s * plasticity_abs(x))"
            case .arctan: return "0.5f * s / (1.0f + (1.57079632679f * s * x) * (1.57079632679f * s * x))"
            case .boxcar: return "plasticity_abs(x) <= s ? 0.5f / s : 0.0f"
            case .gaussian: return "0.398942280f * s * expf(-0.5f * (s * x) * (s * x))"
            }
        }
    }

    public init(_ kind: Kind, scale: Double) {
        switch kind {
        case .fastSigmoid: self = .fastSigmoid(scale: scale)
        case .piecewiseLinear: self = .piecewiseLinear(scale: scale)
        case .exponential: self = .exponential(scale: scale)
        case .arctan: self = .arctan(scale: scale)
        case .boxcar: self = .boxcar(scale: scale)
        case .gaussian: self = .gaussian(scale: scale)
        }
    }

    public var kind: Kind {
        switch self {
        case .fastSigmoid: return .fastSigmoid
        case .piecewiseLinear: return .piecewiseLinear
        case .exponential: return .exponential
        case .arctan: return .arctan
        case .boxcar: return .boxcar
        case .gaussian: return .gaussian
        }
    }

    public var name: String { kind.rawValue }

    /// σ'(x), in the arithmetic of the caller (Float for bit-level checks, Double for oracles).
    public func derivative<T: BinaryFloatingPoint & ElementaryMath>(at x: T) -> T {
        let s = T(scale), ax = Swift.abs(x)
        switch self {
        case .fastSigmoid: let d = 1 + s * ax; return 1 / (d * d)
        case .piecewiseLinear: let r = 1 - ax; return r > 0 ? s * r : 0
        case .exponential: return T(0.5) * s * T.exp(-s * ax)
        case .arctan: let u = T(1.57079632679) * s * x; return T(0.5) * s / (1 + u * u)
        case .boxcar: return ax <= s ? T(0.5) / s : 0
        case .gaussian: return T(0.398942280) * s * T.exp(T(-0.5) * (s * x) * (s * x))
        }
    }

    public var description: String { "\(name)(scale: \(scale.shortDescription))" }
}

/// The elementary functions the DSL needs, for the arithmetic types the interpreters run in.
public protocol ElementaryMath {
    static func exp(_ x: Self) -> Self
    static func log(_ x: Self) -> Self
    static func tanh(_ x: Self) -> Self
    static func pow(_ x: Self, _ y: Self) -> Self
    static func sin(_ x: Self) -> Self
    static func cos(_ x: Self) -> Self
}
