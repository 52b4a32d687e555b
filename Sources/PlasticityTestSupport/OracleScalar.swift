import Foundation
import Plasticity

/// Arithmetic the reference interpreter runs in: `Float` (bit-level agreement with kernels),
/// `Double`, or `Dual` (float64 forward-mode derivatives).
public protocol OracleScalar {
    init(constant: Double)
    var value: Double { get }
    static func + (a: Self, b: Self) -> Self
    static func - (a: Self, b: Self) -> Self
    static func * (a: Self, b: Self) -> Self
    static func / (a: Self, b: Self) -> Self
    static prefix func - (a: Self) -> Self
    func exp() -> Self
    func log() -> Self
    func tanh() -> Self
    func pow(_ y: Self) -> Self
    func sin() -> Self
    func cos() -> Self
    func squareRooted() -> Self
    /// |x| with derivative sign(x) (0 at 0).
    func absoluteValue() -> Self
    /// The value with a zero derivative.
    var detached: Self { get }
    /// Θ(g) with derivative σ'(g) ∂g.
    static func spike(_ g: Self, _ surrogate: Surrogate) -> Self
    /// z > 1/2 ? r : h, differentiated as h + z (r − h).
    static func resetTo(z: Self, r: Self, h: Self) -> Self
}

extension Float: OracleScalar {
    public init(constant: Double) { self = Float(constant) }
    public var value: Double { Double(self) }
    public func exp() -> Float { Float.exp(self) }
    public func log() -> Float { Float.log(self) }
    public func tanh() -> Float { Float.tanh(self) }
    public func pow(_ y: Float) -> Float { Float.pow(self, y) }
    public func sin() -> Float { Float.sin(self) }
    public func cos() -> Float { Float.cos(self) }
    public func squareRooted() -> Float { squareRoot() }
    public func absoluteValue() -> Float { Swift.abs(self) }
    public var detached: Float { self }
    public static func spike(_ g: Float, _ surrogate: Surrogate) -> Float { g > 0 ? 1 : 0 }
    public static func resetTo(z: Float, r: Float, h: Float) -> Float { z > 0.5 ? r : h }
}

extension Double: OracleScalar {
    public init(constant: Double) { self = constant }
    public var value: Double { self }
    public func exp() -> Double { Double.exp(self) }
    public func log() -> Double { Double.log(self) }
    public func tanh() -> Double { Double.tanh(self) }
    public func pow(_ y: Double) -> Double { Double.pow(self, y) }
    public func sin() -> Double { Double.sin(self) }
    public func cos() -> Double { Double.cos(self) }
    public func squareRooted() -> Double { squareRoot() }
    public func absoluteValue() -> Double { Swift.abs(self) }
    public var detached: Double { self }
    public static func spike(_ g: Double, _ surrogate: Surrogate) -> Double { g > 0 ? 1 : 0 }
    public static func resetTo(z: Double, r: Double, h: Double) -> Double { z > 0.5 ? r : h }
}

/// A float64 dual number with a tangent vector: exact forward-mode derivatives.
public struct Dual: OracleScalar {
    public var value: Double
    public var tangent: [Double]

    public init(_ value: Double, tangent: [Double]) { self.value = value; self.tangent = tangent }
    public init(constant: Double) { value = constant; tangent = [] }
    /// A variable seeded on direction `index` of a `dimension`-dimensional tangent space.
    public static func variable(_ value: Double, index: Int, dimension: Int) -> Dual {
        var t = [Double](repeating: 0, count: dimension); t[index] = 1
        return Dual(value, tangent: t)
    }
    public subscript(i: Int) -> Double { i < tangent.count ? tangent[i] : 0 }

    private static func combine(_ a: [Double], _ ca: Double, _ b: [Double], _ cb: Double) -> [Double] {
        let n = Swift.max(a.count, b.count)
        if n == 0 { return [] }
        return (0..<n).map { i in (i < a.count ? ca * a[i] : 0) + (i < b.count ? cb * b[i] : 0) }
    }
    private func scaled(_ c: Double) -> Dual { Dual(value, tangent: tangent.map { $0 * c }) }

    public static func + (a: Dual, b: Dual) -> Dual { Dual(a.value + b.value, tangent: combine(a.tangent, 1, b.tangent, 1)) }
    public static func - (a: Dual, b: Dual) -> Dual { Dual(a.value - b.value, tangent: combine(a.tangent, 1, b.tangent, -1)) }
    public static func * (a: Dual, b: Dual) -> Dual { Dual(a.value * b.value, tangent: combine(a.tangent, b.value, b.tangent, a.value)) }
    public static func / (a: Dual, b: Dual) -> Dual {
        let q = a.value / b.value
        return Dual(q, tangent: combine(a.tangent, 1 / b.value, b.tangent, -q / b.value))
    }
    public static prefix func - (a: Dual) -> Dual { Dual(-a.value, tangent: a.tangent.map { -$0 }) }
    public func exp() -> Dual { let e = Foundation.exp(value); return Dual(e, tangent: tangent.map { $0 * e }) }
    public func log() -> Dual { Dual(Foundation.log(value), tangent: tangent.map { $0 / value }) }
    public func tanh() -> Dual {
        // 1/cosh²: 1 − tanh² cancels in float64 too once |x| ≳ 10.
        let e = Foundation.exp(-2 * abs(value)), derivative = 4 * e / ((1 + e) * (1 + e))
        return Dual(Foundation.tanh(value), tangent: tangent.map { $0 * derivative })
    }
    public func pow(_ y: Dual) -> Dual {
        let p = Foundation.pow(value, y.value)
        let dx = y.value * Foundation.pow(value, y.value - 1)
        let dy = y.tangent.contains { $0 != 0 } ? p * Foundation.log(value) : 0
        return Dual(p, tangent: Dual.combine(tangent, dx, y.tangent, dy))
    }
    public func sin() -> Dual { Dual(Foundation.sin(value), tangent: tangent.map { $0 * Foundation.cos(value) }) }
    public func cos() -> Dual { Dual(Foundation.cos(value), tangent: tangent.map { -$0 * Foundation.sin(value) }) }
    public func squareRooted() -> Dual {
        let r = value.squareRoot()
        return Dual(r, tangent: tangent.map { $0 * 0.5 / r })
    }
    public func absoluteValue() -> Dual {
        let sign: Double = value > 0 ? 1 : (value < 0 ? -1 : 0)
        return Dual(Swift.abs(value), tangent: tangent.map { $0 * sign })
    }
    public var detached: Dual { Dual(value, tangent: []) }
    public static func spike(_ g: Dual, _ surrogate: Surrogate) -> Dual {
        Dual(g.value > 0 ? 1 : 0, tangent: g.tangent.map { $0 * surrogate.derivative(at: g.value) })
    }
    public static func resetTo(z: Dual, r: Dual, h: Dual) -> Dual {
        let t = combine(combine(z.tangent, r.value - h.value, r.tangent, z.value), 1, h.tangent, 1 - z.value)
        return Dual(z.value > 0.5 ? r.value : h.value, tangent: t)
    }
}
