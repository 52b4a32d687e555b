import Testing
@testable import Plasticity
import PlasticityTestSupport

/// The hand-written C e-prop (runtime-c/plasticity_reference.c), the benchmark's yardstick,
/// computes the same gradients as the generated network kernel: recurrent LIF and ALIF,
/// symmetric feedback, cross-entropy at every step, both backends. Same math with a different
/// association of float sums (the reference folds ε_v into one presynaptic trace), so equal to
/// 1e-4 relative, norm-wise per tensor.
@Suite struct HandWrittenReferenceTests {
    @Test(arguments: [("lif", Backend.tinyCC), ("alif", .tinyCC), ("lif", .systemCC), ("alif", .systemCC)])
    func referenceEqualsTheGeneratedKernel(model name: String, backend: Backend) throws {
        let (T, B, nIn, n, nOut) = (150, 3, 30, 40, 5)
        let model = Models.builtin(named: name)!
        let spec = NetworkSpec(inputs: nIn, hidden: [.init(model, neurons: n, recurrent: true)], outputs: nOut, kappa: 0.9)
        let sim = try NetworkSimulation(kernel: try compile(spec, backend: backend), batch: B)
        sim.initializeWeights(seed: 4, inputGain: name == "lif" ? 3 : 8, recurrentGain: 0.5)
        var rng = SplitMix64(seed: 9)
        let input = (0..<T * B * nIn).map { _ in rng.next() % 100 < 8 ? Float(1) : 0 }
        let targets = (0..<T * B).map { Float(($0 / 7) % nOut) }
        sim.resetSequence(); sim.zeroGradients()
        let generated = sim.run(input: input, targets: targets, steps: T, countSpikes: true)
        let rate = sim.layers[0].spikeCount!.array.reduce(0, +) / Float(T * B * n)
        #expect(rate > 0.02 && rate < 0.5, "firing rate \(rate): the comparison must exercise spikes")
        let reference = try HandWrittenEProp.run(sim, input: input, targets: targets, steps: T)
        for (label, actual, expected) in [("W_in", sim.weightGradients[0][0].array, reference.input),
                                          ("W_rec", sim.weightGradients[0][1].array, reference.recurrent),
                                          ("W_out", sim.readoutWeightGradient.array, reference.readout),
                                          ("b_out", sim.readoutBiasGradient.array, reference.readoutBias)] {
            let e = worstMismatch(actual.doubles, expected.doubles, rtol: 1e-4, floor: 1)
            #expect(e.ratio <= 1, "\(name) \(backend) \(label): \(e)")
            #expect(expected.contains { $0 != 0 }, "\(label): all zero")
        }
        #expect(abs(generated.loss - reference.loss) <= 1e-4 * abs(reference.loss))
    }
}
