/// The operations of the graph. Their derivative rules live in `Op+Derivative.swift`.
public enum Op: Hashable, Sendable, CustomStringConvertible {
    case unary(UnaryOp)
    case binary(BinaryOp)
    /// operands (lhs, rhs, a, b): lhs cmp rhs ? a : b
    case select(Comparison)
    /// operands (z, r, h): z > 1/2 ? r : h — a hard reset.
    case resetTo
    /// operand g: z = Θ(g), with ∂z/∂g = σ'(g).
    case spike(Surrogate)

    public var description: String {
        switch self {
        case .unary(let u): return u.rawValue
        case .binary(let b): return b.rawValue
        case .select(let c): return "select\(c.rawValue)"
        case .resetTo: return "reset_to"
        case .spike(let s): return "spike[\(s)]"
        }
    }

    /// Forward value in the arithmetic of the caller, for constant folding and interpreters.
    public func evaluate<T: BinaryFloatingPoint & ElementaryMath>(_ x: [T]) -> T {
        switch self {
        case .unary(let u):
            switch u {
            case .negate: return -x[0]
            case .exp: return T.exp(x[0])
            case .log: return T.log(x[0])
            case .tanh: return T.tanh(x[0])
            case .sigmoid: return 1 / (1 + T.exp(-x[0]))
            case .stopGradient: return x[0]
            case .heaviside: return x[0] > 0 ? 1 : 0
            case .sin: return T.sin(x[0])
            case .cos: return T.cos(x[0])
            case .abs: return x[0] < 0 ? -x[0] : x[0]
            case .sqrt: return x[0].squareRoot()
            }
        case .binary(let b):
            switch b {
            case .add: return x[0] + x[1]
            case .subtract: return x[0] - x[1]
            case .multiply: return x[0] * x[1]
            case .divide: return x[0] / x[1]
            case .pow: return T.pow(x[0], x[1])
            case .min: return x[0] < x[1] ? x[0] : x[1]
            case .max: return x[0] > x[1] ? x[0] : x[1]
            }
        case .select(let c): return c.holds(x[0], x[1]) ? x[2] : x[3]
        case .resetTo: return x[0] > T(0.5) ? x[1] : x[2]
        case .spike: return x[0] > 0 ? 1 : 0
        }
    }
}

extension Comparison {
    public func holds<T: Comparable>(_ a: T, _ b: T) -> Bool {
        switch self {
        case .less: return a < b
        case .lessEqual: return a <= b
        case .greater: return a > b
        case .greaterEqual: return a >= b
        case .equal: return a == b
        case .notEqual: return a != b
        }
    }
    public var negated: Comparison {
        switch self {
        case .less: return .greaterEqual
        case .lessEqual: return .greater
        case .greater: return .lessEqual
        case .greaterEqual: return .less
        case .equal: return .notEqual
        case .notEqual: return .equal
        }
    }
}
