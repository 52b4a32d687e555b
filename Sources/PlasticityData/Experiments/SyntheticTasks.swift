import Foundation
import Plasticity

/// A batch of a task: input [steps][batch][inputs] and targets in the layout of
/// `NetworkSimulation.run` for the task's loss.
public struct TaskBatch: Sendable {
    public var input: [Float]
    public var targets: [Float]
    public var steps: Int
    public var batch: Int
    public init(input: [Float], targets: [Float], steps: Int, batch: Int) {
        self.input = input; self.targets = targets; self.steps = steps; self.batch = batch
    }
}

/// Evidence accumulation (Bellec et al. 2020, the e-prop cue task), 1 ms steps: four input
/// populations — left cues, right cues, recall, background noise. Cues of `cueDuration` ms at
/// `cueRate` Hz separated by `gap` ms, then a delay, then the recall cue; the label is the side
/// that had more cues, and the loss applies during the recall window only.
public struct EvidenceAccumulation: Sendable {
    public var populationSize = 10
    public var cues = 7
    public var cueDuration = 100
    public var gap = 50
    public var delay = 1000
    public var recallDuration = 150
    public var cueRate = 40.0
    public var noiseRate = 10.0
    public init() {}

    public var inputs: Int { 4 * populationSize }
    public var outputs: Int { 2 }
    public var steps: Int { cues * (cueDuration + gap) + delay + recallDuration }

    public func batch(_ size: Int, rng: inout SplitMix64) -> TaskBatch {
        let T = steps, n = inputs, p = populationSize
        var input = [Float](repeating: 0, count: T * size * n)
        var targets = [Float](repeating: -1, count: T * size)
        for b in 0..<size {
            var left = 0
            var sides: [Int] = []
            for _ in 0..<cues { let side = Int(rng.next() % 2); sides.append(side); left += side == 0 ? 1 : 0 }
            let label = left * 2 > cues ? 0 : 1
            for t in 0..<T {
                var active: [(Int, Double)] = [(3, noiseRate)]
                let cue = t / (cueDuration + gap)
                if cue < cues, t % (cueDuration + gap) < cueDuration { active.append((sides[cue], cueRate)) }
                if t >= T - recallDuration { active.append((2, cueRate)); targets[t * size + b] = Float(label) }
                for (population, rate) in active {
                    for i in 0..<p where Double(rng.next() >> 11) / Double(1 << 53) < rate / 1000 {
                        input[(t * size + b) * n + population * p + i] = 1
                    }
                }
            }
        }
        return TaskBatch(input: input, targets: targets, steps: T, batch: size)
    }
}

/// Pattern generation (the classic e-prop / NEST tutorial task): a fixed ("frozen") Poisson
/// input pattern must drive one readout along a sum of sines; MSE at every step.
public struct SinePattern: Sendable {
    public var inputs = 100
    public var steps = 1000
    public var inputRate = 50.0
    public var periods: [Double] = [1000, 500, 333, 200]
    public var seed: UInt64 = 1
    public init() {}

    public var outputs: Int { 1 }

    /// The same pattern and target every time (batch copies).
    public func batch(_ size: Int) -> TaskBatch {
        var rng = SplitMix64(seed: seed)
        let pattern = (0..<steps * inputs).map { _ in Double(rng.next() >> 11) / Double(1 << 53) < inputRate / 1000 ? Float(1) : 0 }
        var amplitudes: [Double] = [], phases: [Double] = []
        for _ in periods { amplitudes.append(0.5 + Double(rng.next() % 1000) / 1000); phases.append(Double(rng.next() % 6283) / 1000) }
        var input = [Float](repeating: 0, count: steps * size * inputs)
        var targets = [Float](repeating: 0, count: steps * size)
        for t in 0..<steps {
            var y = 0.0
            for (k, period) in periods.enumerated() { y += amplitudes[k] * sin(2 * Double.pi * Double(t) / period + phases[k]) }
            for b in 0..<size {
                targets[t * size + b] = Float(y / Double(periods.count))
                for i in 0..<inputs { input[(t * size + b) * inputs + i] = pattern[t * inputs + i] }
            }
        }
        return TaskBatch(input: input, targets: targets, steps: steps, batch: size)
    }
}

/// The setting where e-prop is exact (one layer, no recurrent weights, cross-entropy at every
/// step): Bernoulli input spikes, the inputs split into one group per class; a sequence of class
/// c has its group firing at `signalRate`, the others at `inputRate`.
public struct ExactGradientTask: Sendable {
    public var inputs = 20
    public var outputs = 4
    public var steps = 200
    public var inputRate = 0.1
    public var signalRate = 0.3
    public init() {}

    public func batch(_ size: Int, rng: inout SplitMix64) -> TaskBatch {
        let labels = (0..<size).map { _ in Int(rng.next() % UInt64(outputs)) }
        let group = max(1, inputs / outputs)
        var input = [Float](repeating: 0, count: steps * size * inputs)
        for t in 0..<steps { for b in 0..<size { for i in 0..<inputs {
            let p = i / group == labels[b] ? signalRate : inputRate
            if Double(rng.next() >> 11) / Double(1 << 53) < p { input[(t * size + b) * inputs + i] = 1 }
        } } }
        let targets = (0..<steps * size).map { Float(labels[$0 % size]) }
        return TaskBatch(input: input, targets: targets, steps: steps, batch: size)
    }
}

/// Interval classification, 1 ms steps: two input populations each fire one volley — every
/// neuron of population A spikes at an onset t0 drawn uniformly from [0, `onsetJitter`), every
/// neuron of B `lags[c]` ms later — and the label is c, scored over the last `recallDuration`
/// steps. The lags are longer than a membrane time constant of 20 ms and the onset jitter hides
/// them from the readout's leak, so the answer lives in the interval between the two volleys:
/// delaying A's spikes until they meet B's (a coincidence) reads it. Background spikes at
/// `noiseRate` Hz on every input.
public struct LagClassification: Sendable {
    public var populationSize = 8
    public var lags = [15, 35, 55, 75]
    public var onsetJitter = 40
    public var recallDuration = 20
    public var noiseRate = 5.0
    public init() {}

    public var inputs: Int { 2 * populationSize }
    public var outputs: Int { lags.count }
    public var steps: Int { onsetJitter + lags.max()! + 10 + recallDuration }

    public func batch(_ size: Int, rng: inout SplitMix64) -> TaskBatch {
        let T = steps, n = inputs
        var input = [Float](repeating: 0, count: T * size * n)
        var targets = [Float](repeating: -1, count: T * size)
        for b in 0..<size {
            let label = Int(rng.next() % UInt64(lags.count)), onset = Int(rng.next() % UInt64(onsetJitter))
            for t in 0..<T {
                for i in 0..<n where Double(rng.next() >> 11) / Double(1 << 53) < noiseRate / 1000 { input[(t * size + b) * n + i] = 1 }
                if t >= T - recallDuration { targets[t * size + b] = Float(label) }
            }
            for i in 0..<populationSize {
                input[(onset * size + b) * n + i] = 1
                input[((onset + lags[label]) * size + b) * n + populationSize + i] = 1
            }
        }
        return TaskBatch(input: input, targets: targets, steps: T, batch: size)
    }
}
