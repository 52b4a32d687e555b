import Testing
import Foundation
@testable import Plasticity
import PlasticityTestSupport

/// Delays on a recurrent projection: the layer reads its own spikes z^{t−1−d} through the network
/// loop's delay line, as taps its kernel takes for an input. With recurrence e-prop is not exact,
/// so the oracles are: BPTT where the recurrent weights are zero (the network is then feed-forward
/// and e-prop exact, while the taps still carry the spikes), BPTT against central differences of
/// the float64 reference (which delays the spikes itself) with live recurrence, the reference's
/// loss, and the step-by-step kernel for the chunked one.
@Suite struct RecurrentDelayTests {
    static func network(_ model: NeuronModel, kind: DelaySpec.Kind, learnable: Bool, inputs: Int = 10, neurons: Int = 14,
                        maxSteps: Int = 5) -> NetworkSpec {
        let channel = HiddenDelayTests.channel(model)
        let delays = DelaySpec(kind, maxSteps: maxSteps, learnable: learnable, initial: 0...Double(maxSteps))
        let layer = LayerSpec(model, neurons: neurons, projections: [.init(.input, into: channel), .init(.recurrent, into: channel, delays: delays)])
        return NetworkSpec(inputs: inputs, hidden: [layer], outputs: 3, kappa: exp(-1.0 / 20))
    }

    static func data(_ spec: NetworkSpec, steps T: Int, batch B: Int, seed: UInt64) -> (input: [Float], targets: [Float]) {
        (DelayTests.spikes(T * B * spec.inputs, rate: 0.25, seed: seed), (0..<T * B).map { Float($0 % 3) })
    }

    /// Zero recurrent weights: e-prop equals BPTT for every tensor, the recurrent weights' gradient
    /// among them, which checks which spike each tap carries (cosine ≥ 0.99999, max error ≤ 1e-4
    /// of the largest entry); step by step and chunked, both backends, over two calls.
    @Test(arguments: [(DelaySpec.Kind.axonal, true), (.axonal, false), (.synaptic, true)], [0, 40])
    func epropEqualsBPTTWithSilentRecurrence(_ kind: (DelaySpec.Kind, Bool), chunkSteps: Int) throws {
        let (T, B) = (100, 2)
        for name in ["lif", "alif"] {
            let spec = Self.network(Models.builtin(named: name)!, kind: kind.0, learnable: kind.1)
            for backend in [Backend.tinyCC, .systemCC] {
                let sim = try NetworkSimulation(kernel: try compile(spec, backend: backend), batch: B, chunkSteps: chunkSteps)
                sim.initializeWeights(seed: 21, inputGain: 4)
                sim.weights(layer: 0, projection: 1).pointer.update(repeating: 0)
                let shape = sim.trainableTensors.first { $0.id == .delays(layer: 0, projection: 1) }?.shape
                #expect(shape == (kind.0 == .axonal ? [14] : [14, 14]), "one delay per presynaptic neuron (or synapse) of the layer")
                let (input, targets) = Self.data(spec, steps: T, batch: B, seed: 22)
                let (eprop, bptt) = try DelayTests.twoCallsAndBPTT(sim, input: input, targets: targets, steps: T)
                // The delays' gradients are w (G_k+1 − G_k) = 0 here; the recurrent weights' are not.
                DelayTests.expectEqual(eprop, bptt, skipping: { $0.isDelays }, "\(name) \(kind) \(backend) K=\(chunkSteps)")
                let recurrent = bptt.named.first { $0.id == .weights(layer: 0, projection: 1) }!.values
                #expect(recurrent.contains { $0 != 0 }, "the recurrent weights' gradient is all zero")
            }
        }
    }

    /// BPTT through a delayed recurrence (its backward pass reaching each tap's spike 1 + lag
    /// steps back) against central differences of the float64 reference on a smooth model: max
    /// error ≤ 1e-3 of the largest entry per tensor, the delays' among them.
    @Test(arguments: [DelaySpec.Kind.axonal, .synaptic])
    func bpttMatchesFiniteDifferences(_ kind: DelaySpec.Kind) throws {
        let (T, B) = (30, 2)
        let spec = Self.network(DelayTests.rate, kind: kind, learnable: true, inputs: 3, neurons: 4)
        let sim = try NetworkSimulation(kernel: try compile(spec), batch: B)
        sim.initializeWeights(seed: 23, inputGain: 2, recurrentGain: 1.5, readoutGain: 2)
        var rng = SplitMix64(seed: 24)
        let input = (0..<T * B * spec.inputs).map { _ in Float.random(in: -1...1, using: &rng) }
        let targets = (0..<T * B).map { Float($0 % 3) }
        let results = try FiniteDifferenceCheck.compare(sim, input: input, targets: targets, steps: T, perTensor: 8)
        #expect(Set(results.map(\.tensor)).isSuperset(of: ["layer0.w0", "layer0.w1", "layer0.d1"]))
        for r in results { #expect(r.maxRelativeError <= 1e-3, "\(kind) \(r.tensor): max rel \(r.maxRelativeError)") }
    }

    /// Live recurrence with fixed delays: the kernel's loss is the reference's (1e-4); chunks of
    /// 25 give the step-by-step gradients (1e-4 relative); RTRL, which does not take them, says so.
    @Test func liveRecurrenceFollowsTheReference() throws {
        let (T, B) = (80, 2)
        let spec = Self.network(Models.builtin(named: "lif")!, kind: .synaptic, learnable: false)
        let (input, targets) = Self.data(spec, steps: T, batch: B, seed: 25)
        var gradients: [NetworkGradients] = []
        for chunkSteps in [0, 25] {
            let sim = try NetworkSimulation(kernel: try compile(spec), batch: B, chunkSteps: chunkSteps)
            sim.initializeWeights(seed: 26, inputGain: 4, recurrentGain: 2)
            sim.resetSequence(); sim.zeroGradients()
            let run = sim.run(input: input, targets: targets, steps: T, recordSpikes: true)
            let reference = ReferenceNetwork(sim).loss(input: input, targets: targets, steps: T, batch: B)
            #expect(abs(run.loss - reference) <= 1e-4 * abs(reference), "K=\(chunkSteps): kernel \(run.loss), reference \(reference)")
            #expect(run.spikes[0].reduce(0, +) > Float(T * B), "the layer spikes")
            gradients.append(sim.accumulatedGradients)
            let refused = #expect(throws: NetworkError.self) { try realTimeRecurrentLearning(sim, input: input, targets: targets, steps: T) }
            #expect(refused?.message.contains("recurrent projection") == true)
        }
        for ((id, a), (_, b)) in zip(gradients[1].named, gradients[0].named) {
            #expect(compareGradients(a, b).maxRelativeError <= 1e-4, "\(id)")
        }
        // A layer kernel alone has no delay line: it refuses the delays rather than drop them.
        let alone = #expect(throws: NetworkError.self) { try lower(spec.hidden[0]) }
        #expect(alone?.message.contains("projection 1 has delays") == true)
    }
}
