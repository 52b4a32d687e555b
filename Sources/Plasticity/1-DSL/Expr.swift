/// A scalar expression of the neuron DSL, evaluated once per neuron per time step.
///
/// Symbols are resolved by name when a model is checked, so an unknown name is reported with the
/// line of the declaration that used it. Every operation has its derivative rule in
/// `2-Graph/Op+Derivative.swift`.
public indirect enum Expr: Sendable, Hashable {
    case constant(Double)
    case symbol(String)
    case unary(UnaryOp, Expr)
    case binary(BinaryOp, Expr, Expr)
    /// `lhs cmp rhs ? ifTrue : ifFalse`; the comparison is not differentiated (exact almost everywhere).
    case select(Condition, Expr, Expr)
}

public enum UnaryOp: String, Sendable, Hashable, CaseIterable {
    case negate, exp, log, tanh, sigmoid, stopGradient
    /// sin, cos: phase variables (theta neurons, oscillators). abs: derivative sign(x), 0 at 0.
    /// sqrt: derivative 1/(2√x), infinite at 0 as in float arithmetic.
    case sin, cos, abs, sqrt
    /// Θ(x) as a value: it has no useful derivative, so it must sit under `stopGradient`.
    case heaviside
}

public enum BinaryOp: String, Sendable, Hashable, CaseIterable {
    case add, subtract, multiply, divide, pow, min, max
}

public enum Comparison: String, Sendable, Hashable, CaseIterable {
    case less = "<", lessEqual = "<=", greater = ">", greaterEqual = ">=", equal = "==", notEqual = "!="
}

public struct Condition: Sendable, Hashable {
    public var lhs: Expr, comparison: Comparison, rhs: Expr
}

extension Expr: ExpressibleByFloatLiteral, ExpressibleByIntegerLiteral {
    public init(floatLiteral value: Double) { self = .constant(value) }
    public init(integerLiteral value: Int) { self = .constant(Double(value)) }
}

public prefix func - (x: Expr) -> Expr { .unary(.negate, x) }
public func + (a: Expr, b: Expr) -> Expr { .binary(.add, a, b) }
public func - (a: Expr, b: Expr) -> Expr { .binary(.subtract, a, b) }
public func * (a: Expr, b: Expr) -> Expr { .binary(.multiply, a, b) }
public func / (a: Expr, b: Expr) -> Expr { .binary(.divide, a, b) }
// No mixed Expr/Double operators: literals already become `Expr`, and mixed overloads would make
// ordinary code such as `[Double].reduce(0, +)` ambiguous for anyone importing Plasticity.
// A Double variable enters an expression as `.constant(x)`.

public func < (a: Expr, b: Expr) -> Condition { Condition(lhs: a, comparison: .less, rhs: b) }
public func <= (a: Expr, b: Expr) -> Condition { Condition(lhs: a, comparison: .lessEqual, rhs: b) }
public func > (a: Expr, b: Expr) -> Condition { Condition(lhs: a, comparison: .greater, rhs: b) }
public func >= (a: Expr, b: Expr) -> Condition { Condition(lhs: a, comparison: .greaterEqual, rhs: b) }
// `==` and `!=` on two `Expr`s already mean structural equality (Hashable), so these two are named.
/// `a == b` as a condition (exact float32 equality, as in C).
public func equal(_ a: Expr, _ b: Expr) -> Condition { Condition(lhs: a, comparison: .equal, rhs: b) }
/// `a != b` as a condition.
public func notEqual(_ a: Expr, _ b: Expr) -> Condition { Condition(lhs: a, comparison: .notEqual, rhs: b) }

/// Conditions joined by and/or. A select on one is written out as selects on single comparisons
/// (`select(p and q, a, b)` = `select(p, select(q, a, b), b)`), so the compiler sees comparisons only.
public indirect enum Predicate: Sendable, Hashable {
    case comparison(Condition)
    case and(Predicate, Predicate)
    case or(Predicate, Predicate)
}
/// A comparison or a predicate, where either may stand.
public protocol PredicateConvertible { var predicate: Predicate { get } }
extension Condition: PredicateConvertible { public var predicate: Predicate { .comparison(self) } }
extension Predicate: PredicateConvertible { public var predicate: Predicate { self } }
public func && <A: PredicateConvertible, B: PredicateConvertible>(a: A, b: B) -> Predicate { .and(a.predicate, b.predicate) }
public func || <A: PredicateConvertible, B: PredicateConvertible>(a: A, b: B) -> Predicate { .or(a.predicate, b.predicate) }

public func exp(_ x: Expr) -> Expr { .unary(.exp, x) }
public func log(_ x: Expr) -> Expr { .unary(.log, x) }
public func tanh(_ x: Expr) -> Expr { .unary(.tanh, x) }
public func sigmoid(_ x: Expr) -> Expr { .unary(.sigmoid, x) }
public func stopGradient(_ x: Expr) -> Expr { .unary(.stopGradient, x) }
public func heaviside(_ x: Expr) -> Expr { .unary(.heaviside, x) }
public func sin(_ x: Expr) -> Expr { .unary(.sin, x) }
public func cos(_ x: Expr) -> Expr { .unary(.cos, x) }
public func abs(_ x: Expr) -> Expr { .unary(.abs, x) }
public func sqrt(_ x: Expr) -> Expr { .unary(.sqrt, x) }
public func pow(_ x: Expr, _ y: Expr) -> Expr { .binary(.pow, x, y) }
public func min(_ x: Expr, _ y: Expr) -> Expr { .binary(.min, x, y) }
public func max(_ x: Expr, _ y: Expr) -> Expr { .binary(.max, x, y) }
/// `min(max(x, lo), hi)`.
public func clamp(_ x: Expr, _ lo: Expr, _ hi: Expr) -> Expr { min(max(x, lo), hi) }
public func select(_ condition: Condition, _ ifTrue: Expr, _ ifFalse: Expr) -> Expr { .select(condition, ifTrue, ifFalse) }
public func select(_ predicate: Predicate, _ ifTrue: Expr, _ ifFalse: Expr) -> Expr {
    switch predicate {
    case .comparison(let c): return .select(c, ifTrue, ifFalse)
    case .and(let p, let q): return select(p, select(q, ifTrue, ifFalse), ifFalse)
    case .or(let p, let q): return select(p, ifTrue, select(q, ifTrue, ifFalse))
    }
}

extension Expr {
    /// Every symbol the expression reads, in first-use order.
    public var symbols: [String] {
        var seen: [String] = []
        func visit(_ e: Expr) {
            switch e {
            case .constant: break
            case .symbol(let name): if !seen.contains(name) { seen.append(name) }
            case .unary(_, let x): visit(x)
            case .binary(_, let a, let b): visit(a); visit(b)
            case .select(let c, let a, let b): visit(c.lhs); visit(c.rhs); visit(a); visit(b)
            }
        }
        visit(self)
        return seen
    }
}

extension Expr: CustomStringConvertible {
    public var description: String {
        switch self {
        case .constant(let c): return c.shortDescription
        case .symbol(let s): return s
        case .unary(.negate, let x): return "-(\(x))"
        case .unary(let op, let x): return "\(op.rawValue)(\(x))"
        case .binary(let op, let a, let b):
            switch op {
            case .add: return "(\(a) + \(b))"
            case .subtract: return "(\(a) - \(b))"
            case .multiply: return "\(a) * \(b)"
            case .divide: return "\(a) / \(b)"
            default: return "\(op.rawValue)(\(a), \(b))"
            }
        case .select(let c, let a, let b): return "select(\(c.lhs) \(c.comparison.rawValue) \(c.rhs), \(a), \(b))"
        }
    }
}

extension Double {
    /// Shortest round-tripping text of the value.
    var shortDescription: String {
        if self == rounded(), abs(self) < 1e15 { return String(Int64(self)) }
        return "\(self)"
    }
}
