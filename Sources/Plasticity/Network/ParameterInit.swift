import Foundation

/// How one parameter of a layer starts, neuron by neuron, and the range it is kept in.
///
///     "initializers": {"alpha": {"distribution": "logUniformDecay", "low": 5, "high": 100, "bounds": [0, 0.999]},
///                      "threshold": {"distribution": "uniform", "low": 0.5, "high": 1.5}}
///
/// A learnable parameter starts from the draw and is clamped to `bounds` after each update. A
/// fixed parameter with an initializer becomes a per-neuron runtime value (no longer folded into
/// the C): the kernel carries it like a learnable one, but no update touches it (its gradient is
/// zeroed before the optimizer), so it keeps the drawn values.
public struct ParameterInit: Codable, Sendable, Hashable {
    public enum Distribution: String, ConfigEnum {
        /// `value` for every neuron.
        case constant
        /// Uniform on [`low`, `high`].
        case uniform
        /// Normal with `mean` and `std`.
        case normal
        /// Log-uniform on [`low`, `high`] (both > 0), for time constants written in ms.
        case logUniform
        /// exp(−dt/τ) with τ log-uniform on [`low`, `high`] ms: a decay factor per step from a
        /// spread of time constants (the heterogeneous τ of adLIF networks).
        case logUniformDecay
        /// `values`, one per neuron (NIR's per-neuron arrays import as these).
        case values
    }
    public var distribution: Distribution
    public var value: Double?
    public var low: Double?, high: Double?
    public var mean: Double?, std: Double?
    public var values: [Double]?
    /// [lower, upper]: draws and updates are clamped to it.
    public var bounds: [Double]?

    public init(_ distribution: Distribution, value: Double? = nil, low: Double? = nil, high: Double? = nil, mean: Double? = nil,
                std: Double? = nil, values: [Double]? = nil, bounds: ClosedRange<Double>? = nil) {
        self.distribution = distribution; self.value = value; self.low = low; self.high = high; self.mean = mean; self.std = std
        self.values = values
        self.bounds = bounds.map { [$0.lowerBound, $0.upperBound] }
    }

    /// The clamp range, once `checked` has passed.
    public var range: ClosedRange<Double>? { bounds.map { $0[0]...$0[1] } }

    /// Every field the distribution needs, finite and in range, for a layer of `neurons`; errors name `field`.
    func checked(neurons: Int, fail: (String, String) -> FileFormatError) throws {
        func need(_ name: String, _ x: Double?) throws -> Double {
            guard let x else { throw fail(name, "is missing (the \(distribution.rawValue) distribution needs it)") }
            guard x.isFinite else { throw fail(name, "must be a finite number, not \(x)") }
            return x
        }
        switch distribution {
        case .constant: _ = try need("value", value)
        case .uniform:
            guard try need("low", low) <= need("high", high) else { throw fail("high", "must be at least low (\(low!)), not \(high!)") }
        case .normal:
            _ = try need("mean", mean)
            guard try need("std", std) >= 0 else { throw fail("std", "must not be negative, not \(std!)") }
        case .logUniform, .logUniformDecay:
            let (l, h) = (try need("low", low), try need("high", high))
            guard l > 0, l <= h else { throw fail("low", "must be positive and at most high (\(h)), not \(l)") }
        case .values:
            guard let values else { throw fail("values", "is missing (the values distribution needs one per neuron)") }
            guard values.count == neurons else { throw fail("values", "has \(values.count) values; the layer has \(neurons) neurons") }
            if let bad = values.firstIndex(where: { !$0.isFinite }) { throw fail("values[\(bad)]", "must be finite, not \(values[bad])") }
        }
        if let bounds {
            guard bounds.count == 2, bounds.allSatisfy(\.isFinite), bounds[0] <= bounds[1] else {
                throw fail("bounds", "must be [lower, upper] with finite lower ≤ upper, not \(bounds)")
            }
        }
    }

    /// One value per neuron at a step of `stepMs`, clamped to the bounds.
    public func draw(neurons: Int, stepMs: Double, using rng: inout SplitMix64) -> [Double] {
        (0..<neurons).map { j in
            let x: Double
            switch distribution {
            case .constant: x = value!
            case .uniform: x = low! + (high! - low!) * rng.unit()
            case .normal: x = mean! + std! * rng.normal()
            case .logUniform: x = exp(log(low!) + (log(high!) - log(low!)) * rng.unit())
            case .logUniformDecay: x = exp(-stepMs / exp(log(low!) + (log(high!) - log(low!)) * rng.unit()))
            case .values: x = values![j]
            }
            return range.map { Swift.min(Swift.max(x, $0.lowerBound), $0.upperBound) } ?? x
        }
    }
}

extension SplitMix64 {
    /// Uniform on [0, 1).
    mutating func unit() -> Double { Double(next() >> 11) / Double(1 << 53) }
}
