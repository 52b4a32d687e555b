import Foundation
import Plasticity
import PlasticityRuntime
import PlasticityTestSupport
import Testing

/// Noise sources (docs/model-format.md): draws keyed by seed, sequence, step, channel and neuron;
/// the same on both backends, any thread count and time chunking; a given input to the oracles.
@Suite struct NoiseTests {
    static let escapeNoise = TestPaths.exampleModels.appendingPathComponent("escape-noise-lif.json")

    /// 200,000 draws of each distribution: normal mean within 0.01 of 0 and variance within 0.02
    /// of 1; uniform inside (0, 1] with mean within 0.005 of 1/2; a key gives the same draws
    /// again, and changing any part of it changes them.
    @Test func drawsFollowTheirDistributionAndTheirKey() {
        func draws(_ kind: Int32, seed: UInt64 = 7, b: Int32 = 0, step: Int64 = 0, channel: Int32 = 0, n: Int = 1000) -> [Float] {
            var y = [Float](repeating: 0, count: n)
            plasticity_noise(&y, Int32(n), kind, seed, b, step, channel)
            return y
        }
        let normal = (0..<200).flatMap { draws(PLASTICITY_NOISE_NORMAL, step: Int64($0)) }.map(Double.init)
        let mean = normal.reduce(0, +) / Double(normal.count)
        let variance = normal.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(normal.count)
        #expect(abs(mean) < 0.01 && abs(variance - 1) < 0.02, "mean \(mean), variance \(variance)")
        let uniform = (0..<200).flatMap { draws(PLASTICITY_NOISE_UNIFORM, b: Int32($0)) }.map(Double.init)
        #expect(uniform.allSatisfy { $0 > 0 && $0 <= 1 })
        let uniformMean: Double = uniform.reduce(0, +) / Double(uniform.count)
        #expect(abs(uniformMean - 0.5) < 0.005)
        let base = draws(PLASTICITY_NOISE_NORMAL)
        #expect(draws(PLASTICITY_NOISE_NORMAL) == base)
        for other in [draws(PLASTICITY_NOISE_NORMAL, seed: 8), draws(PLASTICITY_NOISE_NORMAL, b: 1), draws(PLASTICITY_NOISE_NORMAL, step: 1),
                      draws(PLASTICITY_NOISE_NORMAL, channel: 1)] {
            #expect(zip(other, base).filter { $0 == $1 }.count < 5)
        }
    }

    static func run(backend: Backend, chunkSteps: Int = 0, threads: Int = 1, seed: UInt64 = 3) throws -> (readout: [Float], spikes: Float) {
        let (T, B, nIn) = (80, 4, 10)
        let model = try NeuronModel.read(escapeNoise)
        let spec = NetworkSpec(inputs: nIn, hidden: [.init(model, neurons: 12, recurrent: true)], outputs: 3, kappa: 0.9)
        let sim = try NetworkSimulation(kernel: try compile(spec, backend: backend), batch: B, chunkSteps: chunkSteps)
        sim.threads = threads
        sim.initializeWeights(seed: seed, inputGain: 3)
        var rng = SplitMix64(seed: 4)
        let input = (0..<T * B * nIn).map { _ in Double(rng.next() >> 11) / Double(1 << 53) < 0.2 ? Float(1) : 0 }
        sim.resetSequence(); sim.zeroGradients()
        // Two calls: the second continues the noise stream where the first stopped.
        let first = sim.run(input: Array(input[0..<(T / 2 * B * nIn)]), targets: (0..<T / 2 * B).map { Float($0 % 3) }, steps: T / 2,
                            recordReadout: true, countSpikes: true)
        let second = sim.run(input: Array(input[(T / 2 * B * nIn)...]), targets: (0..<T / 2 * B).map { Float($0 % 3) }, steps: T / 2,
                             recordReadout: true, countSpikes: true)
        return (first.readout + second.readout, sim.layers[0].spikeCount!.array.reduce(0, +))
    }

    /// The same noisy network on TinyCC and cc, on 1 and 2 threads, step by step and chunked
    /// (K = 25): the same spikes, readouts within float reassociation (1e-5 of the largest);
    /// another seed draws other noise.
    @Test func everyBackendThreadCountAndChunkingDrawsTheSameNoise() throws {
        let reference = try Self.run(backend: .tinyCC)
        #expect(reference.spikes > 50, "the layer is silent")
        let scale = reference.readout.map(abs).max()!
        for (label, other) in [("cc", try Self.run(backend: .systemCC)), ("2 threads", try Self.run(backend: .tinyCC, threads: 2)),
                               ("chunked", try Self.run(backend: .systemCC, chunkSteps: 25))] {
            let error = zip(reference.readout, other.readout).map { abs($0 - $1) }.max()!
            #expect(other.spikes == reference.spikes && error <= 1e-5 * scale, "\(label): spikes \(other.spikes) vs \(reference.spikes), Δ \(error)")
        }
        #expect(try Self.run(backend: .tinyCC, seed: 4).readout != reference.readout)
    }

    /// With noise as a given input the oracles still hold: e-prop equals BPTT in the exact
    /// setting and RTRL equals BPTT (cosine ≥ 0.99999, max error ≤ 1e-4).
    @Test(arguments: [Backend.tinyCC, .systemCC])
    func oraclesTakeTheDrawsAsGiven(backend: Backend) throws {
        let (T, B, nIn) = (100, 3, 8)
        let model = try NeuronModel.read(Self.escapeNoise)
        for recurrent in [false, true] {
            let spec = NetworkSpec(inputs: nIn, hidden: [.init(model, neurons: recurrent ? 8 : 24, recurrent: recurrent)], outputs: 3,
                                   kappa: exp(-1.0 / 20))
            let sim = try NetworkSimulation(kernel: try compile(spec, backend: backend), batch: B)
            sim.initializeWeights(seed: 5, inputGain: 3)
            var rng = SplitMix64(seed: 6)
            let input = (0..<T * B * nIn).map { _ in Double(rng.next() >> 11) / Double(1 << 53) < 0.3 ? Float(1) : 0 }
            let targets = (0..<T * B).map { Float($0 % 3) }
            sim.resetSequence(); sim.zeroGradients()
            #expect(sim.run(input: input, targets: targets, steps: T).failure == nil)
            let bptt = try backpropagationThroughTime(sim, input: input, targets: targets, steps: T)
            let other = recurrent ? try realTimeRecurrentLearning(sim, input: input, targets: targets, steps: T) : sim.accumulatedGradients
            for ((label, a), (_, b)) in zip(other.named, bptt.named) where !b.isEmpty {
                let c = compareGradients(a, b)
                #expect(c.cosine >= 0.99999 && c.maxRelativeError <= 1e-4, "\(backend) \(recurrent ? "rtrl" : "eprop") \(label): \(c)")
            }
        }
    }

    /// A projection into a noise source is refused by name.
    @Test func noProjectionFeedsANoiseSource() throws {
        let model = try NeuronModel.read(Self.escapeNoise)
        let spec = NetworkSpec(inputs: 2, hidden: [.init(model, neurons: 3, projections: [.init(.input, into: "I"), .init(.input, into: "xi")])],
                               outputs: 2, kappa: 0.9)
        let error = #expect(throws: ModelError.self) { try compile(spec) }
        #expect(error?.symbol == "xi" && error?.message.contains("noise source") == true, "\(String(describing: error))")
    }
}
