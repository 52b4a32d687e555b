/// One element-wise operation of the kernel IR: y_j = f(x_j, …) for every neuron j of a row.
///
/// This is the only place an operation meets its C form. `entry` is the table: the C stem of the
/// row primitive `plasticity_row_<stem>` and of its element helper `plasticity_elem_<stem>`, and
/// the C expression both apply. The element-operation lists of `runtime-c/include/plasticity_kernel.h`
/// are generated from it (`headerLists`; `ElementOpTableTests` fails while they differ), and every
/// emitter prints operations through it, so a new operation is one entry here plus its derivative
/// rule (`Op+Derivative.swift`) and its value (`Op.evaluate`, or `Surrogate.derivative`).
public enum ElementOp: Hashable, Sendable {
    case negate, exp, log, tanh, sigmoid, heaviside, tanhDerivative, sigmoidDerivative
    case sin, cos, abs, sqrt, sign
    case add, subtract, multiply, divide, pow, min, max
    /// operands (a, b, p, q): a cmp b ? p : q
    case select(Comparison)
    /// operands (a, b): a cmp b ? 1 : 0
    case indicator(Comparison)
    /// σ'(x) of a surrogate; its scale is part of the operation.
    case surrogate(Surrogate)

    /// How an operation is written in C, for one operation of the table.
    public struct Entry: Sendable, Hashable {
        /// `plasticity_row_<stem>`, `plasticity_elem_<stem>`.
        public var stem: String
        public var arity: Int
        /// The C expression in x (unary), p and q (binary), x and s (surrogates); for comparisons the operator.
        public var expression: String
        /// The expression calls libm: a fused loop holding it is not vectorized, so such bodies stay rows.
        public var callsLibm: Bool
    }

    public var entry: Entry {
        switch self {
        case .negate: return Entry(stem: "negate", arity: 1, expression: "-x", callsLibm: false)
        case .exp: return Entry(stem: "exp", arity: 1, expression: "expf(x)", callsLibm: true)
        case .log: return Entry(stem: "log", arity: 1, expression: "logf(x)", callsLibm: true)
        case .tanh: return Entry(stem: "tanh", arity: 1, expression: "tanhf(x)", callsLibm: true)
        case .sigmoid: return Entry(stem: "sigmoid", arity: 1, expression: "plasticity_sigmoid(x)", callsLibm: true)
        case .heaviside: return Entry(stem: "heaviside", arity: 1, expression: "plasticity_heaviside(x)", callsLibm: false)
        case .tanhDerivative: return Entry(stem: "tanh_derivative", arity: 1, expression: "plasticity_tanh_derivative(x)", callsLibm: true)
        case .sigmoidDerivative:
            return Entry(stem: "sigmoid_derivative", arity: 1, expression: "plasticity_sigmoid_derivative(x)", callsLibm: true)
        case .sin: return Entry(stem: "sin", arity: 1, expression: "sinf(x)", callsLibm: true)
        case .cos: return Entry(stem: "cos", arity: 1, expression: "cosf(x)", callsLibm: true)
        case .abs: return Entry(stem: "abs", arity: 1, expression: "plasticity_abs(x)", callsLibm: false)
        case .sqrt: return Entry(stem: "sqrt", arity: 1, expression: "sqrtf(x)", callsLibm: true)
        case .sign: return Entry(stem: "sign", arity: 1, expression: "plasticity_sign(x)", callsLibm: false)
        case .add: return Entry(stem: "add", arity: 2, expression: "p + q", callsLibm: false)
        case .subtract: return Entry(stem: "subtract", arity: 2, expression: "p - q", callsLibm: false)
        case .multiply: return Entry(stem: "multiply", arity: 2, expression: "p * q", callsLibm: false)
        case .divide: return Entry(stem: "divide", arity: 2, expression: "p / q", callsLibm: false)
        case .pow: return Entry(stem: "pow", arity: 2, expression: "powf(p, q)", callsLibm: true)
        case .min: return Entry(stem: "min", arity: 2, expression: "plasticity_min(p, q)", callsLibm: false)
        case .max: return Entry(stem: "max", arity: 2, expression: "plasticity_max(p, q)", callsLibm: false)
        case .select(let c): return Entry(stem: "select_\(c.stem)", arity: 4, expression: c.rawValue, callsLibm: false)
        case .indicator(let c): return Entry(stem: "indicator_\(c.stem)", arity: 2, expression: c.rawValue, callsLibm: false)
        case .surrogate(let s):
            let kind = s.kind
            return Entry(stem: "surrogate_\(kind.rawValue)", arity: 1, expression: kind.cExpression, callsLibm: kind.cExpression.contains("expf("))
        }
    }

    /// Binary operations have row primitives taking one operand as a float (`_rs`, `_sr`).
    public var hasScalarForms: Bool { Self.binary.contains(self) }

    static let unary: [ElementOp] = [.negate, .exp, .log, .tanh, .sigmoid, .heaviside, .tanhDerivative, .sigmoidDerivative,
                                     .sin, .cos, .abs, .sqrt, .sign]
    static let binary: [ElementOp] = [.add, .subtract, .multiply, .divide, .pow, .min, .max]
    static let comparisons = Comparison.allCases

    /// The operation of a graph op (nil: not an element-wise operation of its own — a stop-gradient
    /// is its operand, a reset a select with its 1/2).
    init?(_ op: Op) {
        switch op {
        case .unary(let u):
            switch u {
            case .negate: self = .negate
            case .exp: self = .exp
            case .log: self = .log
            case .tanh: self = .tanh
            case .sigmoid: self = .sigmoid
            case .heaviside: self = .heaviside
            case .sin: self = .sin
            case .cos: self = .cos
            case .abs: self = .abs
            case .sqrt: self = .sqrt
            case .stopGradient: return nil
            }
        case .binary(let b): self = Self.binary[BinaryOp.allCases.firstIndex(of: b)!]
        case .select(let c): self = .select(c)
        case .resetTo: return nil
        case .spike: self = .heaviside
        }
    }

    /// The operation in the printed IR: `add`, `select<`, `surrogate_fast_sigmoid[1.0]`.
    public var printed: String {
        switch self {
        case .select(let c): return "select\(c.rawValue)"
        case .indicator(let c): return "indicator\(c.rawValue)"
        case .surrogate(let s): return "\(entry.stem)[\(s.scale.shortDescription)]"
        default: return entry.stem
        }
    }

    /// The X-macro lists of `plasticity_kernel.h`, as this table defines them.
    public static var headerLists: String {
        func list(_ name: String, _ items: [String]) -> String {
            "#define \(name)(X) \\\n" + items.map { "    X(\($0))" }.joined(separator: " \\\n") + "\n"
        }
        return list("PLASTICITY_ROW_UNARY", unary.map { "\($0.entry.stem), \($0.entry.expression)" })
            + list("PLASTICITY_ROW_BINARY", binary.map { "\($0.entry.stem), \($0.entry.expression)" })
            + list("PLASTICITY_ROW_COMPARISONS", comparisons.map { "\($0.stem), \($0.rawValue)" })
            + list("PLASTICITY_ROW_SURROGATES", Surrogate.Kind.allCases.map { "\($0.rawValue), \($0.cExpression)" })
    }
    static let headerBegin = "/* BEGIN element operations, generated from ElementOp.entry (Sources/Plasticity/4-Kernel/ElementOp.swift) */"
    static let headerEnd = "/* END element operations */"
}

extension Comparison {
    /// The C stem of a comparison's select and indicator primitives.
    var stem: String {
        switch self {
        case .less: return "less"
        case .lessEqual: return "less_equal"
        case .greater: return "greater"
        case .greaterEqual: return "greater_equal"
        case .equal: return "equal"
        case .notEqual: return "not_equal"
        }
    }
}
