import Testing
import Foundation
@testable import Plasticity
import PlasticityTestSupport

/// Delays on projections from the network input (`DelaySpec`, `InputDelays`): e-prop against
/// exact BPTT where e-prop is exact, BPTT against RTRL and against finite differences of a
/// float64 forward pass that interpolates the input itself (`ReferenceNetwork`).
@Suite struct DelayTests {
    static func network(_ model: NeuronModel, kind: DelaySpec.Kind, learnable: Bool, recurrent: Bool = false, inputs: Int = 12,
                        neurons: Int = 16, maxSteps: Int = 6) -> NetworkSpec {
        let channel = LayerSpec.defaultProjections(of: model, recurrent: false)[0].channel
        let delays = DelaySpec(kind, maxSteps: maxSteps, learnable: learnable, initial: 0...Double(maxSteps))
        var projections = [LayerSpec.Projection(.input, into: channel, delays: delays)]
        if recurrent { projections.append(.init(.recurrent, into: channel)) }
        return NetworkSpec(inputs: inputs, hidden: [LayerSpec(model, neurons: neurons, projections: projections)], outputs: 3,
                           kappa: exp(-1.0 / 20))
    }

    static func spikes(_ count: Int, rate: Double, seed: UInt64) -> [Float] {
        var rng = SplitMix64(seed: seed)
        return (0..<count).map { _ in Double(rng.next() >> 11) / Double(1 << 53) < rate ? 1 : 0 }
    }

    /// e-prop of `sim` over the sequence in two calls (the second reads the first one's last steps
    /// through the delay lines) and exact BPTT over it in one: both runs finite, the losses equal
    /// to 1e-4, the same tensors.
    static func twoCallsAndBPTT(_ sim: NetworkSimulation, input: [Float], targets: [Float], steps T: Int) throws
        -> (eprop: NetworkGradients, bptt: NetworkGradients) {
        let inputs = sim.network.inputs, half = T / 2 * sim.batch
        sim.resetSequence(); sim.zeroGradients()
        let first = sim.run(input: Array(input[..<(half * inputs)]), targets: Array(targets[..<half]), steps: T / 2)
        let second = sim.run(input: Array(input[(half * inputs)...]), targets: Array(targets[half...]), steps: T - T / 2)
        #expect(first.failure == nil && second.failure == nil)
        let eprop = sim.accumulatedGradients
        let bptt = try backpropagationThroughTime(sim, input: input, targets: targets, steps: T)
        #expect(abs(first.loss + second.loss - bptt.loss) <= 1e-4 * bptt.loss)
        #expect(eprop.named.map(\.id) == bptt.named.map(\.id))
        return (eprop, bptt)
    }

    /// Every tensor of `eprop` against `bptt` but those `skipped`: cosine ≥ 0.99999 and max error
    /// ≤ 1e-4 of the largest entry; the delays' reference gradients not all zero.
    static func expectEqual(_ eprop: NetworkGradients, _ bptt: NetworkGradients, skipping skipped: (TensorID) -> Bool = { _ in false },
                            _ label: String) {
        for ((id, a), (_, b)) in zip(eprop.named, bptt.named) where !skipped(id) {
            let c = compareGradients(a, b)
            #expect(c.cosine >= 0.99999 && c.maxRelativeError <= 1e-4, "\(label) \(id): cosine \(c.cosine), max rel \(c.maxRelativeError)")
            if case .delays = id { #expect(b.contains { $0 != 0 }, "\(label) \(id) is all zero") }
        }
    }

    /// The exact setting (one layer, no recurrent weights, symmetric feedback, a loss at every
    /// step) with delays: e-prop's weight and delay gradients equal BPTT's (cosine ≥ 0.99999, max
    /// error ≤ 1e-4 of the largest entry), step by step and chunked, on both backends; the delay
    /// gradients are not zero.
    @Test(arguments: [(DelaySpec.Kind.axonal, true), (.axonal, false), (.synaptic, true), (.synaptic, false)], [0, 40])
    func epropEqualsBPTT(_ kind: (DelaySpec.Kind, Bool), chunkSteps: Int) throws {
        let (T, B) = (120, 3)
        for name in ["lif", "alif"] {
            let spec = Self.network(Models.builtin(named: name)!, kind: kind.0, learnable: kind.1)
            for backend in [Backend.tinyCC, .systemCC] {
                let sim = try NetworkSimulation(kernel: try compile(spec, backend: backend), batch: B, chunkSteps: chunkSteps)
                sim.initializeWeights(seed: 3, inputGain: 3)
                let input = Self.spikes(T * B * spec.inputs, rate: 0.2, seed: 4)
                let targets = (0..<T * B).map { Float($0 % 3) }
                let (eprop, bptt) = try Self.twoCallsAndBPTT(sim, input: input, targets: targets, steps: T)
                #expect(bptt.delays.isEmpty != kind.1)
                Self.expectEqual(eprop, bptt, "\(name) \(kind) \(backend) K=\(chunkSteps)")
            }
        }
    }

    /// A layer with a delayed and an undelayed projection from the input (blocks of taps and of x
    /// side by side): e-prop equals BPTT in the exact setting for both weights and the delays.
    @Test(arguments: [0, 40])
    func delayedBesideUndelayed(chunkSteps: Int) throws {
        let (T, B) = (100, 2)
        var spec = Self.network(Models.builtin(named: "lif")!, kind: .axonal, learnable: true)
        spec.hidden[0].projections.append(.init(.input, into: "I"))
        #expect(InputDelays.layout(of: spec)?.columns == 3 * spec.inputs)
        let sim = try NetworkSimulation(kernel: try compile(spec), batch: B, chunkSteps: chunkSteps)
        sim.initializeWeights(seed: 6, inputGain: 2)
        let input = Self.spikes(T * B * spec.inputs, rate: 0.2, seed: 7), targets = (0..<T * B).map { Float($0 % 3) }
        sim.resetSequence(); sim.zeroGradients()
        #expect(sim.run(input: input, targets: targets, steps: T).failure == nil)
        let eprop = sim.accumulatedGradients, bptt = try backpropagationThroughTime(sim, input: input, targets: targets, steps: T)
        #expect(eprop.named.map(\.id) == [.weights(layer: 0, projection: 0), .weights(layer: 0, projection: 1), .delays(layer: 0, projection: 0),
                                          .readoutWeights, .readoutBias])
        for ((id, a), (_, b)) in zip(eprop.named, bptt.named) {
            let c = compareGradients(a, b)
            #expect(c.cosine >= 0.99999 && c.maxRelativeError <= 1e-4, "K=\(chunkSteps) \(id): cosine \(c.cosine), max rel \(c.maxRelativeError)")
        }
    }

    /// Fixed delays move the input: a network whose every input is d steps late runs as the same
    /// network without delays on the input shifted by d steps (readouts equal to 1e-6).
    @Test func fixedAxonalDelaysShiftTheInput() throws {
        let (T, B, d) = (50, 2, 4)
        let delayed = Self.network(Models.builtin(named: "lif")!, kind: .axonal, learnable: false)
        var plain = delayed
        plain.hidden[0].projections[0].delays = nil
        let a = try NetworkSimulation(kernel: try compile(delayed), batch: B), b = try NetworkSimulation(kernel: try compile(plain), batch: B)
        a.initializeWeights(seed: 1, inputGain: 3)
        for (mine, theirs) in zip(b.trainableTensors, a.trainableTensors.filter { $0.id != .delays(layer: 0, projection: 0) }) {
            mine.value.array = theirs.value.array
        }
        a.inputDelays!.delays[0]!.array = [Float](repeating: Float(d), count: delayed.inputs)
        let input = Self.spikes(T * B * delayed.inputs, rate: 0.3, seed: 2)
        let shifted = [Float](repeating: 0, count: d * B * delayed.inputs) + input[..<((T - d) * B * delayed.inputs)]
        let targets = [Float](repeating: -1, count: T * B)
        a.resetSequence(); b.resetSequence()
        let ya = a.run(input: input, targets: targets, steps: T, recordReadout: true).readout
        let yb = b.run(input: shifted, targets: targets, steps: T, recordReadout: true).readout
        #expect(ya.contains { $0 != 0 })
        #expect(zip(ya, yb).allSatisfy { abs($0 - $1) <= 1e-6 })
    }

    /// The printed stages say what layer 0 reads: the kernel IR (and `--emit plan`) each block of
    /// taps, the C a comment; without delays neither changes (the golden snapshots hold that).
    @Test func stagesShowTheDelays() throws {
        let stages = try lower(Self.network(Models.builtin(named: "lif")!, kind: .axonal, learnable: true, maxSteps: 32))
        #expect(stages.kernel.description.contains("layer 0 reads the delay line (12 inputs, kept D + 2 steps by the kernel -> 24 columns of taps)"))
        #expect(stages.kernel.description.contains("axonal learnable delays, D = 32: x[t-k_i], x[t-k_i-1] at columns 0..<24"))
        #expect(stages.text.contains("/*   projection 0: axonal learnable delays, D = 32, 2 taps per input, columns 0 to 23 */"))
        let synaptic = try lower(Self.network(Models.builtin(named: "lif")!, kind: .synaptic, learnable: false, maxSteps: 4))
        #expect(synaptic.kernel.description.contains("x[t-0] ... x[t-5] per input at columns 0..<72"))
    }

    /// Training (once per sequence and online, every 15 steps) moves learnable delays and keeps
    /// them in [0, D], leaves fixed ones as drawn;
    /// a checkpoint stores both and loads them back; a delay outside [0, D] in a checkpoint is
    /// refused naming the tensor and index, and the simulation keeps its own.
    @Test func trainingCheckpointsAndBounds() throws {
        let folder = try scratchDirectory("delays-checkpoint")
        var spec = Self.network(Models.builtin(named: "lif")!, kind: .axonal, learnable: true, maxSteps: 3)
        spec.hidden[0].projections.append(.init(.input, into: "I", delays: DelaySpec(.synaptic, maxSteps: 2)))
        let sim = try NetworkSimulation(kernel: try compile(spec), batch: 2, chunkSteps: 20)
        sim.initializeWeights(seed: 4, inputGain: 3)
        var config = OptimizerConfig()
        config.learningRate = 0.01
        let trainer = Trainer(simulation: sim, optimizer: Optimizer(config))
        let learnable = sim.inputDelays!.delays[0]!, fixed = sim.inputDelays!.delays[1]!
        learnable.array = learnable.array.map { min($0, 2.9) }
        let (before, drawn) = (learnable.array, fixed.array)
        #expect(drawn.allSatisfy { $0 == $0.rounded() && (0...2).contains($0) })
        let input = Self.spikes(60 * 2 * spec.inputs, rate: 0.3, seed: 5), targets = (0..<120).map { Float($0 % 3) }
        for _ in 0..<5 { _ = try trainer.train(input: input, targets: targets, steps: 60) }
        #expect(learnable.array != before && learnable.array.allSatisfy { (0...3).contains($0) })
        #expect(fixed.array == drawn)
        // Online: updates every 15 steps move the delays inside the sequence (the taps follow).
        let online = Trainer(simulation: sim, optimizer: Optimizer(config), updateEvery: 15)
        let (midway, weights) = (learnable.array, sim.weights(layer: 0, projection: 0).array)
        let metrics = try online.train(input: input, targets: targets, steps: 60)
        #expect(metrics.loss.isFinite && online.optimizer.step == 4)
        #expect(learnable.array != midway && sim.weights(layer: 0, projection: 0).array != weights && fixed.array == drawn)

        let checkpoint = folder.appendingPathComponent("checkpoint.json")
        try Checkpoint.save(trainer, state: .init(iteration: 1, rng: SplitMix64(seed: 1), config: "{}"), to: checkpoint)
        let stored = try #require(try Checkpoint.network(checkpoint))
        let reloaded = Trainer(simulation: try NetworkSimulation(kernel: try compile(stored), batch: 1), optimizer: Optimizer(config))
        _ = try Checkpoint.load(checkpoint, into: reloaded)
        #expect(reloaded.simulation.inputDelays!.delays.map { $0?.array } == sim.inputDelays!.delays.map { $0?.array })

        learnable[1] = 3.5
        try Checkpoint.save(trainer, state: .init(iteration: 2, rng: SplitMix64(seed: 1), config: "{}"), to: checkpoint)
        let fresh = Trainer(simulation: try NetworkSimulation(kernel: try compile(stored), batch: 1), optimizer: Optimizer(config))
        let kept = fresh.simulation.inputDelays!.delays[0]!.array
        let error = #expect(throws: FileFormatError.self) { try Checkpoint.load(checkpoint, into: fresh) }
        #expect(error?.field == "layer0.d0[1]" && error?.message.contains("[0, maxSteps 3]") == true, "\(String(describing: error))")
        #expect(fresh.simulation.inputDelays!.delays[0]!.array == kept)
    }

    static let rate = NeuronModel("rate") {
        Parameter("alpha", 0.8, learnable: true)
        Input("I")
        State("h")
        Update("h") { $0.alpha * $0.h + (1 - $0.alpha) * tanh($0.I) }
        Output { $0.h }
    }

    /// BPTT's delay gradients (over the taps, folded by the chain rule) against central
    /// differences of a float64 forward pass that interpolates the delayed input itself, on a
    /// smooth model with a recurrent projection: max error ≤ 1e-3 of the largest entry per tensor.
    @Test(arguments: [DelaySpec.Kind.axonal, .synaptic])
    func bpttMatchesFiniteDifferences(_ kind: DelaySpec.Kind) throws {
        let (T, B) = (40, 2)
        let spec = Self.network(Self.rate, kind: kind, learnable: true, recurrent: true, inputs: 4, neurons: 5)
        let sim = try NetworkSimulation(kernel: try compile(spec), batch: B)
        sim.initializeWeights(seed: 7, inputGain: 2, recurrentGain: 1, readoutGain: 2)
        var rng = SplitMix64(seed: 8)
        let input = (0..<T * B * spec.inputs).map { _ in Float.random(in: -1...1, using: &rng) }
        let targets = (0..<T * B).map { Float($0 % 3) }
        let results = try FiniteDifferenceCheck.compare(sim, input: input, targets: targets, steps: T, perTensor: 8)
        #expect(results.contains { $0.tensor == "layer0.d0" })
        for r in results { #expect(r.maxRelativeError <= 1e-3, "\(kind) \(r.tensor): max rel \(r.maxRelativeError)") }
    }

    /// Exact RTRL knows the delays as BPTT does (cosine ≥ 0.99999, max error ≤ 1e-4).
    @Test func rtrlEqualsBPTT() throws {
        let (T, B) = (60, 2)
        let spec = Self.network(Models.builtin(named: "lif")!, kind: .axonal, learnable: true, recurrent: true, inputs: 5, neurons: 8)
        let sim = try NetworkSimulation(kernel: try compile(spec), batch: B)
        sim.initializeWeights(seed: 9, inputGain: 3, recurrentGain: 1)
        let input = Self.spikes(T * B * 5, rate: 0.3, seed: 10)
        let targets = (0..<T * B).map { Float($0 % 3) }
        let bptt = try backpropagationThroughTime(sim, input: input, targets: targets, steps: T)
        let rtrl = try realTimeRecurrentLearning(sim, input: input, targets: targets, steps: T)
        #expect(rtrl.named.map(\.id) == bptt.named.map(\.id))
        for ((id, a), (_, b)) in zip(rtrl.named, bptt.named) {
            let c = compareGradients(a, b)
            #expect(c.cosine >= 0.99999 && c.maxRelativeError <= 1e-4, "\(id): cosine \(c.cosine), max rel \(c.maxRelativeError)")
        }
    }
}
