import Foundation
import Plasticity

/// Ranges of random states and inputs per built-in model, and a spiking regime for long runs.
public struct ModelCase: CustomStringConvertible, Sendable {
    public var name: String
    public var stateRanges: [ClosedRange<Double>]
    public var inputRange: ClosedRange<Double>
    public var parameterRanges: [String: ClosedRange<Double>] = [:]
    /// Feed-forward weights U(range) on Bernoulli(rate) input spikes make the neurons spike.
    public var weightRange: ClosedRange<Double>
    public var inputRate: Double
    /// A model that is neither built in nor `allOps` (e.g. from the fuzzer).
    public var custom: NeuronModel?
    public var description: String { name }

    public init(name: String, stateRanges: [ClosedRange<Double>], inputRange: ClosedRange<Double>,
                parameterRanges: [String: ClosedRange<Double>] = [:], weightRange: ClosedRange<Double>,
                inputRate: Double, custom: NeuronModel? = nil) {
        self.name = name; self.stateRanges = stateRanges; self.inputRange = inputRange
        self.parameterRanges = parameterRanges; self.weightRange = weightRange; self.inputRate = inputRate
        self.custom = custom
    }

    public var model: NeuronModel { custom ?? Models.builtin(named: name) ?? Self.allOps }

    /// Every DSL operation in one model (two channels, a learnable exponent), so each derivative
    /// rule and its C emission meet the oracles.
    public static let allOps = NeuronModel("AllOps") {
        Parameter("alpha", 0.9)
        Parameter("gain", 1.5, learnable: true)
        Parameter("p", 1.7)
        Input("I")
        Input("J")
        State("v")
        State("s", initial: 0.5)
        State("q", initial: 1)
        Let("drive") { tanh($0.gain * $0.I) + sigmoid($0.J) }
        Reset("v", to: { _ in 0 })
        Update("v") { $0.alpha * $0.v + $0.drive - 0.1 * log(1 + $0.q * $0.q) }
        Update("s") { clamp($0.s * 0.95 + 0.05 * pow(1 + $0.q * $0.q, $0.p), -1, 2) }
        Update("q") { select($0.v > $0.s, max($0.q, 0.5) * 0.9, pow(1 + $0.s * $0.s, $0.gain) - 0.5) + stopGradient($0.v) * 0.01 - $0.q / 4 }
        Spike(surrogate: .exponential(scale: 3)) { $0.v - 1 + 0.1 * $0.s - 0.05 * $0.gain }
    }

    /// The model for long runs. ALIF at β = 1.8 only fires on ≥ 5% of steps with a threshold
    /// A = v_th + βa ≈ 18 against v_th = 0.6, where float32 cancellation in ψ alone is ~30 ulp;
    /// β = 0.2 keeps the 200-step comparison a measure of the traces, not of that cancellation.
    public var longRunModel: NeuronModel { custom == nil && name == "alif" ? Models.alif(beta: 0.2) : model }

    public static let all: [ModelCase] = [
        .init(name: "lif", stateRanges: [-1...2], inputRange: -1...1.5, weightRange: 0...0.9, inputRate: 0.2),
        .init(name: "alif", stateRanges: [-0.5...1.5, 0...1], inputRange: -0.5...1, weightRange: 0...0.8, inputRate: 0.2),
        .init(name: "cuba-lif", stateRanges: [-1...3, -1...2], inputRange: -1...3, weightRange: 0...1.2, inputRate: 0.2),
        .init(name: "adlif", stateRanges: [-1...2, -1...1], inputRange: -2...5,
              parameterRanges: ["alpha": 0.8...0.98, "beta": 0.95...0.999, "a": -1...1, "b": 0...2],
              weightRange: 0...4, inputRate: 0.3),
        .init(name: "izhikevich", stateRanges: [-80...35, -20...5], inputRange: 0...20, weightRange: 5...25, inputRate: 0.25),
        .init(name: "adex", stateRanges: [-75...5, 0...50], inputRange: 0...40, weightRange: 20...45, inputRate: 0.3),
        .init(name: "readout", stateRanges: [-2...2], inputRange: -1...1, weightRange: -1...1, inputRate: 0.2),
        .init(name: "all-ops", stateRanges: [-1...2, -1...2, 0...2], inputRange: -2...2,
              parameterRanges: ["gain": 0.5...2], weightRange: 0...0.8, inputRate: 0.3),
        // The surrogate added with the kernel IR (one table entry and its rule); β = 0.2 as `longRunModel`.
        .init(name: "gaussian-alif", stateRanges: [-0.5...1.5, 0...1], inputRange: -0.5...1, weightRange: 0...0.8, inputRate: 0.2,
              custom: Models.alif(beta: 0.2, surrogate: .gaussian(scale: 2))),
    ]

    /// Every built-in model with the reset gradient stopped, and every spiking one with it
    /// differentiated: the cases the local-step and row-body tests run.
    public static let allResetVariants: [(ModelCase, ResetGradient)] =
        all.map { ($0, .stopped) } + all.filter { $0.name != "readout" }.map { ($0, .differentiated) }
}

/// Largest violation of |actual − expected| ≤ rtol · max(|expected|, floor · max|expected|):
/// relative error, with entries below `floor` of the largest entry compared against that level.
/// Returns the worst ratio (≤ 1 passes) and where it happened.
/// With `magnitudes`, an entry that is a sum of terms is measured against the sum of the terms'
/// magnitudes (the size float rounding scales with) when that is larger than the entry.
public func worstMismatch(_ actual: [Double], _ expected: [Double], rtol: Double, floor: Double = 1e-3,
                   magnitudes: [Double]? = nil) -> (ratio: Double, index: Int, actual: Double, expected: Double) {
    precondition(actual.count == expected.count)
    let scale = max(expected.map(abs).max() ?? 0, 1e-30)
    var worst = (ratio: 0.0, index: -1, actual: 0.0, expected: 0.0)
    for i in actual.indices {
        let allowed = rtol * max(abs(expected[i]), floor * scale, magnitudes?[i] ?? 0)
        let ratio = abs(actual[i] - expected[i]) / allowed
        if !(ratio <= worst.ratio) { worst = (ratio, i, actual[i], expected[i]) }
    }
    return worst
}

extension Array where Element == Float {
    public var doubles: [Double] { map(Double.init) }
}
