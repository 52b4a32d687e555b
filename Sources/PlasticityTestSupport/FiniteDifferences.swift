import Foundation
import Plasticity

/// The finite-difference oracle of the compiler's derivatives (docs/testing.md, "Finite
/// differences"): a network with smooth spikes (`CheckedModel.relaxed`), its loss from a float64
/// forward pass that evaluates the model's equations directly (`ReferenceNetwork`, never the
/// graph, the plan or the C), and central differences of that loss against the gradient exact
/// BPTT computes from the kernel's local Jacobians. A wrong derivative rule, partial or emitted
/// expression changes BPTT but not the differences.
public struct FiniteDifferenceCheck {
    /// One compared entry of a tensor.
    public struct Entry: Sendable {
        public var tensor: String, index: Int, finiteDifference: Double, backpropagation: Double
    }
    /// Per tensor: the entries compared and the largest error relative to the tensor's largest
    /// BPTT entry.
    public struct TensorResult: Sendable {
        public var tensor: String, entries: [Entry], maxRelativeError: Double
    }

    /// σ(k·g): sharp enough to keep the network's character, smooth at float64 steps of 1e-5.
    public static let sharpness = 4.0
    /// Central difference step, relative to max(|θ|, 0.1).
    public static let step = 1e-5
    /// Documented agreement: relative error per tensor (to its largest BPTT entry). Central
    /// differences have an O(h²) error ≈ 1e-10 and float64 rounding ≈ 1e-16/h of the loss; BPTT
    /// differentiates the float32 trajectory, whose distance from the float64 one is ≈ 1e-6 for
    /// models with states of order 1. Models whose states reach the hundreds with steep dynamics
    /// (the Izhikevich and AdEx built-ins, in mV) amplify that rounding along the trajectory to
    /// ≈ 3e-3, so they are held to `stiffTolerance`. A wrong derivative rule is off by far more
    /// (a threshold 10 % off: > 1e-2, `aDifferentModelIsCaught`).
    public static let tolerance = 1e-3
    public static let stiffTolerance = 1e-2

    /// A network of the same shape with every hidden layer relaxed; weights and parameters are
    /// `spiking`'s (the parameters' layout is unchanged).
    public static func relaxed(_ spiking: NetworkSimulation, backend: Backend = .tinyCC) throws -> NetworkSimulation {
        var spec = spiking.network
        for (l, layer) in spiking.layers.enumerated() where layer.model.isSpiking {
            spec.hidden[l] = LayerSpec(layer.model.relaxed(sharpness: sharpness), neurons: layer.neurons, feedback: spec.hidden[l].feedback,
                                       projections: spec.hidden[l].projections)
        }
        spec.rateRegularization = nil
        let sim = try NetworkSimulation(kernel: try compile(spec, backend: backend), batch: spiking.batch)
        for (mine, theirs) in zip(sim.trainableTensors, spiking.trainableTensors) { mine.value.array = theirs.value.array }
        return sim
    }

    /// BPTT of `sim` against central differences of the float64 loss (of `other`'s equations and
    /// values when given: a mutant, to show the check fails), for `perTensor` entries of every
    /// trainable tensor (half the largest BPTT entries, half random ones).
    public static func compare(_ sim: NetworkSimulation, input: [Float], targets: [Float], steps T: Int, perTensor: Int = 6,
                               seed: UInt64 = 1, finiteDifferencesOf other: NetworkSimulation? = nil) throws -> [TensorResult] {
        let bptt = try backpropagationThroughTime(sim, input: input, targets: targets, steps: T)
        var reference = ReferenceNetwork(other ?? sim)
        var rng = SplitMix64(seed: seed)
        var results: [TensorResult] = []
        for (tensor, gradient) in bptt.named where !gradient.isEmpty {
            let largest = gradient.indices.sorted { abs(gradient[$0]) > abs(gradient[$1]) }.prefix(perTensor / 2)
            var chosen = Array(largest)
            while chosen.count < min(perTensor, gradient.count) {
                let i = Int(rng.next() % UInt64(gradient.count))
                if !chosen.contains(i) { chosen.append(i) }
            }
            let scale = max(gradient.map(abs).max() ?? 0, 1e-12)
            var entries: [Entry] = []
            for i in chosen {
                let original = reference.value(tensor, i)
                let h = step * max(abs(original), 0.1)
                reference.set(tensor, i, original + h)
                let up = reference.loss(input: input, targets: targets, steps: T, batch: sim.batch)
                reference.set(tensor, i, original - h)
                let down = reference.loss(input: input, targets: targets, steps: T, batch: sim.batch)
                reference.set(tensor, i, original)
                entries.append(Entry(tensor: tensor.name, index: i, finiteDifference: (up - down) / (2 * h), backpropagation: gradient[i]))
            }
            let error = entries.map { abs($0.finiteDifference - $0.backpropagation) / scale }.max() ?? 0
            results.append(TensorResult(tensor: tensor.name, entries: entries, maxRelativeError: error))
        }
        return results
    }
}

extension ReferenceNetwork {
    func value(_ id: TensorID, _ i: Int) -> Double {
        switch id {
        case .weights(let l, let p): return weights[l][p][i]
        case .delays: return delays[id]![i]
        case .parameters(let l): return parameters[l][i]
        case .readoutWeights: return readoutWeights[i]
        case .readoutBias: return readoutBias[i]
        }
    }

    mutating func set(_ id: TensorID, _ i: Int, _ x: Double) {
        switch id {
        case .weights(let l, let p): weights[l][p][i] = x
        case .delays: delays[id]![i] = x
        case .parameters(let l): parameters[l][i] = x
        case .readoutWeights: readoutWeights[i] = x
        case .readoutBias: readoutBias[i] = x
        }
    }
}
