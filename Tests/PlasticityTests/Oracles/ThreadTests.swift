import Testing
@testable import Plasticity
import PlasticityTestSupport

/// The batch split over threads gives the gradients, loss and spike counts of one thread, up
/// to the order in which per-slice sums are added (1e-5 relative, norm-wise per tensor).
@Suite struct ThreadTests {
    @Test(arguments: [(2, 4), (3, 5), (4, 3)])
    func slicesEqualOneThread(threads: Int, batch: Int) throws {
        let (T, nIn, nOut) = (80, 20, 4)
        var spec = NetworkSpec(inputs: nIn, hidden: [.init(Models.alif(beta: 0.2), neurons: 24, recurrent: true, feedback: .random),
                                                     .init(Models.lif(), neurons: 16, recurrent: true)],
                               outputs: nOut, kappa: 0.9)
        spec.rateRegularization = .init(target: 0.02, strength: 0.1)
        let kernel = try compile(spec)
        var rng = SplitMix64(seed: 5)
        let input = (0..<T * batch * nIn).map { _ in rng.next() % 10 == 0 ? Float(1) : 0 }
        let targets = (0..<T * batch).map { Float($0 % nOut) }
        func gradients(threads: Int) throws -> (tensors: [[Float]], loss: Double, counts: [[Float]], correct: Int) {
            let sim = try NetworkSimulation(kernel: kernel, batch: batch)
            sim.initializeWeights(seed: 3, inputGain: 3, recurrentGain: 0.5)
            sim.threads = threads
            var tensors: [[Float]] = [], loss = 0.0, correct = 0
            // Two calls: the second reuses the slices' buffers (they must be re-zeroed).
            for _ in 0..<2 {
                sim.resetSequence(); sim.zeroGradients()
                let result = sim.run(input: input, targets: targets, steps: T, countSpikes: true)
                #expect(result.failure == nil)
                tensors = sim.weightGradients.flatMap { $0.map(\.array) } + [sim.readoutWeightGradient.array, sim.readoutBiasGradient.array]
                loss = result.loss; correct = result.correct
            }
            return (tensors, loss, sim.layers.map { $0.spikeCount!.array }, correct)
        }
        let one = try gradients(threads: 1), many = try gradients(threads: threads)
        #expect(one.tensors.count == many.tensors.count)
        for (a, b) in zip(one.tensors, many.tensors) {
            let e = worstMismatch(b.doubles, a.doubles, rtol: 1e-5, floor: 1)
            #expect(e.ratio <= 1, "\(e)")
            #expect(a.contains { $0 != 0 })
        }
        #expect(abs(one.loss - many.loss) <= 1e-9 * abs(one.loss))
        #expect(one.counts == many.counts)
        #expect(one.counts.allSatisfy { $0.reduce(0, +) > 0 })
        #expect(one.correct == many.correct)
    }
}
