import Testing
import Foundation
@testable import Plasticity
import PlasticityTestSupport

/// Delays between hidden layers: layer 1 reads layer 0's spikes through a delay line inside the
/// network kernel (`NetworkOperation.delayLine`, `DelayLine`). e-prop against exact BPTT on the
/// delayed layer, where e-prop is exact; BPTT against central differences of the float64
/// reference, which delays the spikes itself.
@Suite struct HiddenDelayTests {
    /// Input → layer 0 (LIF, random feedback) → layer 1 (`model`, delays on its input from layer 0,
    /// no recurrence, symmetric feedback) → readout.
    static func network(_ model: NeuronModel, kind: DelaySpec.Kind, learnable: Bool, lower: NeuronModel = Models.builtin(named: "lif")!,
                        inputs: Int = 10, neurons: [Int] = [14, 12], maxSteps: Int = 5) -> NetworkSpec {
        let delays = DelaySpec(kind, maxSteps: maxSteps, learnable: learnable, initial: 0...Double(maxSteps))
        var first = LayerSpec(lower, neurons: neurons[0], projections: [.init(.input, into: Self.channel(lower))])
        first.feedback = .random
        let second = LayerSpec(model, neurons: neurons[1], projections: [.init(.input, into: Self.channel(model), delays: delays)])
        return NetworkSpec(inputs: inputs, hidden: [first, second], outputs: 3, kappa: exp(-1.0 / 20))
    }

    static func channel(_ model: NeuronModel) -> String { LayerSpec.defaultProjections(of: model, recurrent: false)[0].channel }

    /// The exact setting on layer 1 (no recurrence, symmetric feedback, a loss at every step):
    /// e-prop's gradients of its weights and delays equal BPTT's (cosine ≥ 0.99999, max error
    /// ≤ 1e-4 of the largest entry), step by step and chunked, on both backends, over two calls
    /// (the second reads the first one's last steps from the delay line); the losses agree to 1e-4.
    @Test(arguments: [(DelaySpec.Kind.axonal, true), (.axonal, false), (.synaptic, true)], [0, 40])
    func epropEqualsBPTTOnTheDelayedLayer(_ kind: (DelaySpec.Kind, Bool), chunkSteps: Int) throws {
        let (T, B) = (100, 2)
        for name in ["lif", "alif"] {
            let spec = Self.network(Models.builtin(named: name)!, kind: kind.0, learnable: kind.1)
            for backend in [Backend.tinyCC, .systemCC] {
                let sim = try NetworkSimulation(kernel: try compile(spec, backend: backend), batch: B, chunkSteps: chunkSteps)
                sim.initializeWeights(seed: 5, inputGain: 4)
                let input = DelayTests.spikes(T * B * spec.inputs, rate: 0.25, seed: 6)
                let targets = (0..<T * B).map { Float($0 % 3) }
                let (eprop, bptt) = try DelayTests.twoCallsAndBPTT(sim, input: input, targets: targets, steps: T)
                #expect(bptt.weights[1][0].contains { $0 != 0 }, "layer 1 hears layer 0's spikes")
                #expect(bptt.delays.keys.sorted { $0.name < $1.name } == (kind.1 ? [.delays(layer: 1, projection: 0)] : []))
                DelayTests.expectEqual(eprop, bptt, skipping: { $0.name.hasPrefix("layer0.") }, "\(name) \(kind) \(backend) K=\(chunkSteps)")
            }
        }
    }

    /// BPTT through delays between layers — the delayed layer's weights and delays, and the
    /// layer below's, whose gradient flows back through the delay line — against central
    /// differences of the float64 reference on a smooth model: max error ≤ 1e-3 of the largest
    /// entry per tensor.
    @Test(arguments: [DelaySpec.Kind.axonal, .synaptic])
    func bpttMatchesFiniteDifferences(_ kind: DelaySpec.Kind) throws {
        let (T, B) = (30, 2)
        let spec = Self.network(DelayTests.rate, kind: kind, learnable: true, lower: DelayTests.rate, inputs: 3, neurons: [4, 3])
        let sim = try NetworkSimulation(kernel: try compile(spec), batch: B)
        sim.initializeWeights(seed: 11, inputGain: 2, readoutGain: 2)
        var rng = SplitMix64(seed: 12)
        let input = (0..<T * B * spec.inputs).map { _ in Float.random(in: -1...1, using: &rng) }
        let targets = (0..<T * B).map { Float($0 % 3) }
        let results = try FiniteDifferenceCheck.compare(sim, input: input, targets: targets, steps: T, perTensor: 8)
        #expect(Set(results.map(\.tensor)).isSuperset(of: ["layer0.w0", "layer1.w0", "layer1.d0"]))
        for r in results { #expect(r.maxRelativeError <= 1e-3, "\(kind) \(r.tensor): max rel \(r.maxRelativeError)") }
    }

    /// Fixed whole-step delays between the layers give the loss of the float64 reference, which
    /// delays the spikes itself (1e-4), and two threads (each a slice of the sequences through the
    /// same delay lines) the gradients of one (1e-5 relative).
    @Test func fixedDelaysFollowTheReference() throws {
        let (T, B) = (60, 2)
        let spec = Self.network(Models.builtin(named: "lif")!, kind: .axonal, learnable: false)
        let sim = try NetworkSimulation(kernel: try compile(spec), batch: B, chunkSteps: 25)
        sim.initializeWeights(seed: 13, inputGain: 4)
        let d = sim.delays[1]!.delays[0]!.array
        #expect(d.allSatisfy { $0 == $0.rounded() && (0...5).contains($0) } && Set(d).count > 1, "\(d)")
        let input = DelayTests.spikes(T * B * spec.inputs, rate: 0.25, seed: 14), targets = (0..<T * B).map { Float($0 % 3) }
        sim.resetSequence(); sim.zeroGradients()
        let run = sim.run(input: input, targets: targets, steps: T)
        let reference = ReferenceNetwork(sim).loss(input: input, targets: targets, steps: T, batch: B)
        #expect(abs(run.loss - reference) <= 1e-4 * abs(reference), "kernel \(run.loss), reference \(reference)")
        let one = sim.accumulatedGradients
        sim.threads = 2
        sim.resetSequence(); sim.zeroGradients()
        _ = sim.run(input: input, targets: targets, steps: T)
        for ((id, a), (_, b)) in zip(sim.accumulatedGradients.named, one.named) {
            #expect(compareGradients(a, b).maxRelativeError <= 1e-5, "\(id)")
        }
    }

    /// A backward learning signal may not pass through a delayed layer: named by field.
    @Test func refusals() {
        var backward = Self.network(Models.builtin(named: "lif")!, kind: .axonal, learnable: true)
        backward.hidden[0].feedback = .backward
        let refused = #expect(throws: NetworkError.self) { try backward.check() }
        #expect(refused?.message.contains("passes backward through layer 1") == true)
    }
}
