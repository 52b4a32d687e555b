/// Transmission delays of a projection — from a layer's input (the network input, or the spikes of
/// the layer below) or from the layer itself (recurrent: z^{t−1−d}) — in steps of the network.
///
///     "projections": [{"source": "input", "channel": "I",
///                      "delays": {"kind": "axonal", "maxSteps": 32, "learnable": true, "learningRate": 0.1}}]
///
/// The input reaches neuron j through synapse ji d steps late: axonal delays are one d_i per
/// presynaptic neuron (shared by its synapses; NIR's `Delay` node), synaptic ones one d_ji per
/// synapse. Fixed delays are whole steps drawn uniformly from [`initialLow`, `initialHigh`].
/// Learnable delays are real numbers in [0, D] read by linear interpolation between the two
/// whole-step taps around them,
///
///     x̃_i^t = (1 − f) x_i^{t−k} + f x_i^{t−k−1},   k = ⌊d⌋, f = d − k,
///
/// so ∂x̃/∂d = x_i^{t−k−1} − x_i^{t−k}: the delay's gradient is w_ji times the difference of
/// the two taps' eligibility gradients (docs/architecture.md, "Delays"). Updates clamp d to [0, D].
public struct DelaySpec: Sendable, Hashable {
    public enum Kind: String, ConfigEnum { case axonal, synaptic }
    /// How the kernel runs synaptic delays: as taps (every lag 0…D+1 of each input is a column of
    /// the layer's input; any mode, time and memory grow with D), or as events (each input event
    /// scatters its two weights to the steps it arrives at, and each synapse keeps the traces of its
    /// two taps only; chunked traces only, cost independent of D). The same gradients up to float
    /// reassociation (docs/architecture.md, "Delays").
    public enum Form: String, ConfigEnum { case taps, events }
    public var kind: Kind
    /// Synaptic delays only; axonal delays are always taps.
    public var form: Form
    /// D: the largest delay, in steps (1…`maxStepsLimit`).
    public var maxSteps: Int
    public var learnable: Bool
    /// Initial delays are uniform on [initialLow, initialHigh] steps (whole steps when fixed);
    /// initialHigh nil: D.
    public var initialLow: Double
    public var initialHigh: Double?
    var initialRange: ClosedRange<Double> { initialLow...max(initialLow, initialHigh ?? Double(maxSteps)) }
    /// Adam's (or SGD's) step size for the delays, in steps per update: delays live on a scale
    /// of steps, weights of a fraction of one, so they take their own rate.
    public var learningRate: Double

    public static let maxStepsLimit = 4096

    public init(_ kind: Kind = .axonal, maxSteps: Int = 16, learnable: Bool = false, initial: ClosedRange<Double>? = nil,
                learningRate: Double = 0.1, form: Form = .taps) {
        self.kind = kind; self.maxSteps = maxSteps; self.learnable = learnable; self.form = form
        initialLow = initial?.lowerBound ?? 0; initialHigh = initial?.upperBound
        self.learningRate = learningRate
    }

    /// Taps per presynaptic input in the kernel's expanded input: the two around each delay
    /// (learnable axonal), the one it is (fixed axonal), or every lag 0…D+1 (synaptic).
    public var tapsPerInput: Int {
        switch (kind, learnable) {
        case (.axonal, true): return 2
        case (.axonal, false): return 1
        case (.synaptic, _): return form == .events ? 1 : maxSteps + 2
        }
    }

    /// Synaptic delays run as events: the kernel reads x itself and scatters it by delay.
    public var runsAsEvents: Bool { kind == .synaptic && form == .events }

    /// Delay values per projection: n_pre (axonal) or n·n_pre (synaptic).
    public func count(neurons: Int, inputs: Int) -> Int { kind == .axonal ? inputs : neurons * inputs }

    /// Ranges and sizes, naming `field` (e.g. `hidden[0].projections[0].delays`).
    public func check(fail: (String, String) -> Error) throws {
        if form == .events && kind != .synaptic { throw fail("form", "events is a form of synaptic delays; axonal ones are taps") }
        guard (1...Self.maxStepsLimit).contains(maxSteps) else {
            throw fail("maxSteps", "must be a whole number of steps in 1…\(Self.maxStepsLimit), not \(maxSteps)")
        }
        let D = Double(maxSteps)
        guard initialLow.isFinite, initialLow >= 0, initialLow <= D else {
            throw fail("initialLow", "must be in [0, maxSteps \(maxSteps)], not \(initialLow)")
        }
        if let high = initialHigh, !(high.isFinite && high >= initialLow && high <= D) {
            throw fail("initialHigh", "must be in [initialLow \(initialLow), maxSteps \(maxSteps)], not \(high)")
        }
        guard learningRate.isFinite, learningRate >= 0, learningRate <= 1e3 else {
            throw fail("learningRate", "must be a number in [0, 1000] (steps per update), not \(learningRate)")
        }
    }
}

extension DelaySpec: Codable {
    enum CodingKeys: String, CodingKey { case kind, maxSteps, learnable, initialLow, initialHigh, learningRate, form }

    /// Every field may be left out (`--set network.delays.learnable=true` alone is a whole spec).
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let maxSteps = try c.decodeIfPresent(Int.self, forKey: .maxSteps) ?? 16
        self.init(try c.decodeIfPresent(Kind.self, forKey: .kind) ?? .axonal, maxSteps: maxSteps,
                  learnable: try c.decodeIfPresent(Bool.self, forKey: .learnable) ?? false,
                  learningRate: try c.decodeIfPresent(Double.self, forKey: .learningRate) ?? 0.1,
                  form: try c.decodeIfPresent(Form.self, forKey: .form) ?? .taps)
        initialLow = try c.decodeIfPresent(Double.self, forKey: .initialLow) ?? 0
        initialHigh = try c.decodeIfPresent(Double.self, forKey: .initialHigh)
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(kind, forKey: .kind); try c.encode(maxSteps, forKey: .maxSteps); try c.encode(learnable, forKey: .learnable)
        try c.encode(initialLow, forKey: .initialLow); try c.encode(initialHigh, forKey: .initialHigh)   // null: D
        try c.encode(learningRate, forKey: .learningRate)
        // taps, the default, is left out of what a run writes; the unknown-key check (everyConfigKey) sees every field
        if form != .taps || encoder.userInfo[.everyConfigKey] as? Bool == true { try c.encode(form, forKey: .form) }
    }
}
