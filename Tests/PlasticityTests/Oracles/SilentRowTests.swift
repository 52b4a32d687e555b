import Testing
@testable import Plasticity
import PlasticityTestSupport

/// Step mode skips a neuron's per-synapse rows (ε, ē, their sums and its gradient rows) while
/// they are exactly zero and stay so: every ψ_s is 0 — a bounded surrogate far from threshold —
/// and nothing feeds ε from x̄ or x. Skipping must change nothing: gradients, loss and traces equal
/// a run with every row forced live, bit for bit (tolerance 0). And it must happen: the silent
/// neurons' rows are still skipped at the end.
@Suite struct SilentRowTests {
    @Test(arguments: [Backend.tinyCC, .systemCC])
    func skippingZeroRowsChangesNothing(backend: Backend) throws {
        // ALIF (ε_v shared, ε_a per synapse) under LIF (presynaptic trace only), both piecewise-linear
        let spec = NetworkSpec(inputs: 20, hidden: [.init(Models.alif(beta: 0.2), neurons: 24, recurrent: true, feedback: .random),
                                                    .init(Models.lif(surrogate: .piecewiseLinear(scale: 0.3)), neurons: 16, recurrent: true)],
                               outputs: 4, kappa: 0.9)
        let kernel = try compile(spec, backend: backend)
        let (T, batch, silent) = (80, 3, 10)
        var rng = SplitMix64(seed: 5)
        let input = (0..<T * batch * spec.inputs).map { _ in rng.next() % 5 == 0 ? Float(1) : 0 }
        let targets = (0..<T * batch).map { Float($0 % spec.outputs) }

        func run(forceLive: Bool) throws -> (tensors: [[Float]], loss: Double, live: [[Float]]) {
            let sim = try NetworkSimulation(kernel: kernel, batch: batch)
            sim.initializeWeights(seed: 3, inputGain: 3, recurrentGain: 0.3)
            // the first neurons of each layer get no input from below and none from their own layer
            for layer in sim.layers {
                let weights = layer.weights.map(\.array), n = layer.neurons
                for (p, w) in weights.enumerated() {
                    let pre = w.count / n
                    var muted = w
                    for j in 0..<silent { for i in 0..<pre { muted[j * pre + i] = 0 } }
                    layer.weights[p].array = muted
                }
            }
            sim.resetSequence(); sim.zeroGradients()
            if forceLive { for layer in sim.layers { layer.synapsesLive.pointer.update(repeating: 1) } }
            let result = sim.run(input: input, targets: targets, steps: T)
            #expect(result.failure == nil)
            let traces = sim.layers.flatMap { $0.eligibilityVectors.map(\.array) + $0.eligibilityTraces.map(\.array) }
            let tensors = sim.weightGradients.flatMap { $0.map(\.array) } + traces
            return (tensors, result.loss, sim.layers.map(\.synapsesLive.array))
        }
        let skipping = try run(forceLive: false), dense = try run(forceLive: true)
        #expect(skipping.loss == dense.loss)
        for (t, (a, b)) in zip(skipping.tensors, dense.tensors).enumerated() {
            let differing = zip(a, b).filter { $0 != $1 }.count
            #expect(differing == 0, "tensor \(t): \(differing) entries differ")
            #expect(b.contains { $0 != 0 }, "tensor \(t) is zero: the comparison would not test anything")
        }
        for (l, live) in skipping.live.enumerated() {
            let n = spec.hidden[l].neurons
            let skipped = (0..<batch).flatMap { b in (0..<silent).map { live[b * n + $0] } }.filter { $0 == 0 }.count
            #expect(skipped == batch * silent, "layer \(l): \(skipped) of \(batch * silent) silent rows skipped")
            #expect(live.contains { $0 != 0 }, "layer \(l): no live row")
        }
    }
}
