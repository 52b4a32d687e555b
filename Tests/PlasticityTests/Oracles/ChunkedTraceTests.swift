import Testing
@testable import Plasticity
import PlasticityTestSupport

/// Time-chunked exact traces (docs/architecture.md, "Time-chunked traces") against the step-by-step kernel of the same
/// network: the forward pass is the same code, so the loss and readout gradients agree exactly;
/// weight and parameter gradients agree up to float reassociation (1e-4 relative to each
/// tensor's largest entry, the bound).
@Suite struct ChunkedTraceTests {
    struct Case: Sendable, CustomStringConvertible {
        var name: String
        var spec: NetworkSpec
        var description: String { name }
    }

    static let cases: [Case] = {
        var rate = NetworkSpec(inputs: 20, hidden: [.init(Models.alif(beta: 0.2), neurons: 24, recurrent: true, feedback: .random),
                                                    .init(Models.lif(), neurons: 16, recurrent: true)],
                               outputs: 4, kappa: 0.9)
        rate.rateRegularization = .init(target: 0.02, strength: 0.1)
        return [
            // factorized LIF: ε is a presynaptic trace, only ē and G per synapse
            Case(name: "LIF recurrent", spec: NetworkSpec(inputs: 20, hidden: [.init(Models.lif(), neurons: 32, recurrent: true)], outputs: 4,
                                                          kappa: 0.9)),
            // ALIF: ε_v shared, ε_a per synapse; rate regularization (Σe) on two layers
            Case(name: "ALIF+LIF, rate regularization", spec: rate),
            // learnable parameters and two coupled states (adLIF), MSE
            Case(name: "adLIF, MSE", spec: NetworkSpec(inputs: 20, hidden: [.init(Models.adaptiveLIF(), neurons: 20, recurrent: true)],
                                                      outputs: 3, kappa: 0.8, loss: .meanSquaredError)),
            // time-summed loss (Σē per sequence), CuBa-LIF, backward pass between layers
            Case(name: "CuBa-LIF, time-summed", spec: NetworkSpec(inputs: 20, hidden: [.init(Models.currentBasedLIF(), neurons: 20, recurrent: true)],
                                                                 outputs: 4, kappa: 0.9, loss: .crossEntropySummed)),
            // two components shared as presynaptic traces, one per synapse (the general path)
            Case(name: "CuBa-ALIF", spec: NetworkSpec(inputs: 20, hidden: [.init(RecurrentEligibilityTests.currentBasedALIF, neurons: 20,
                                                                                 recurrent: true)],
                                                     outputs: 4, kappa: 0.9)),
            Case(name: "backward pass", spec: NetworkSpec(inputs: 20, hidden: [.init(Models.lif(), neurons: 24, recurrent: false,
                                                                                     feedback: .backward),
                                                                               .init(Models.alif(beta: 0.2), neurons: 16, recurrent: true)],
                                                          outputs: 4, kappa: 0.9)),
        ]
    }()

    /// Gradients of two consecutive calls of `T/2` steps (state and traces carried over), so the
    /// chunk boundaries fall inside and across calls.
    static func gradients(_ spec: NetworkSpec, kernel: NetworkKernel, chunk: Int, threads: Int = 1)
        throws -> (tensors: [[Float]], loss: Double, readout: [Float]) {
        let (T, batch) = (90, 3)
        var rng = SplitMix64(seed: 7)
        let input = (0..<T * batch * spec.inputs).map { _ in rng.next() % 8 == 0 ? Float(1) : 0 }
        var targets: [Float] = []
        if spec.loss == .meanSquaredError {
            // some steps without a target (NaN): no loss and no learning signal there
            targets = (0..<T * batch * spec.outputs).map { ($0 / spec.outputs) % 7 == 3 ? .nan : Float(($0 * 37) % 11) / 10 - 0.5 }
        } else {
            // some steps without a label: no learning signal there
            targets = (0..<T * batch).map { $0 % 7 == 3 ? -1 : Float($0 % spec.outputs) }
        }
        let sim = try NetworkSimulation(kernel: kernel, batch: batch, chunkSteps: chunk)
        sim.initializeWeights(seed: 3, inputGain: 3, recurrentGain: 0.5)
        sim.threads = threads
        sim.resetSequence(); sim.zeroGradients()
        var loss = 0.0
        let half = T / 2, width = spec.targetWidth
        for part in 0..<2 {
            let x = Array(input[(part * half * batch * spec.inputs)..<((part + 1) * half * batch * spec.inputs)])
            let y = Array(targets[(part * half * batch * width)..<((part + 1) * half * batch * width)])
            let result = sim.run(input: x, targets: y, steps: half, countSpikes: true)
            #expect(result.failure == nil)
            loss += result.loss
        }
        let tensors = sim.weightGradients.flatMap { $0.map(\.array) } + sim.parameterGradients.map(\.array)
        return (tensors, loss, sim.readoutWeightGradient.array + sim.readoutBiasGradient.array)
    }

    @Test(arguments: cases, [1, 7, 45, 200])
    func chunkedEqualsStepByStep(_ c: Case, chunk: Int) throws {
        let kernel = try compile(c.spec)
        let step = try Self.gradients(c.spec, kernel: kernel, chunk: 0)
        let chunked = try Self.gradients(c.spec, kernel: kernel, chunk: chunk)
        // The loss and readout sums run sequence by sequence per chunk, so their order depends on K.
        #expect(abs(chunked.loss - step.loss) <= 1e-9 * abs(step.loss))
        let readout = worstMismatch(chunked.readout.doubles, step.readout.doubles, rtol: 1e-4, floor: 1)
        #expect(readout.ratio <= 1, "readout: \(readout)")
        for (t, (a, b)) in zip(chunked.tensors, step.tensors).enumerated() {
            let e = worstMismatch(a.doubles, b.doubles, rtol: 1e-4, floor: 1)
            #expect(e.ratio <= 1, "tensor \(t): \(e)")
            #expect(b.isEmpty || b.contains { $0 != 0 }, "tensor \(t) is zero: the comparison would not test anything")
        }
    }

    /// Threads over batch slices in chunk mode: each slice advances its own sequences' chunks.
    @Test func chunkedThreads() throws {
        let spec = Self.cases[1].spec
        let kernel = try compile(spec, backend: .tinyCC)
        let one = try Self.gradients(spec, kernel: kernel, chunk: 10)
        let two = try Self.gradients(spec, kernel: kernel, chunk: 10, threads: 2)
        for (a, b) in zip(two.tensors, one.tensors) {
            let e = worstMismatch(a.doubles, b.doubles, rtol: 1e-5, floor: 1)
            #expect(e.ratio <= 1, "\(e)")
        }
    }

    /// A call that stops on a non-finite state mid-chunk leaves nothing behind: the next call's
    /// gradients equal a fresh simulation's, on one thread and on two.
    @Test(arguments: [1, 2])
    func stoppedCallLeavesNoStaleAccumulators(threads: Int) throws {
        let spec = NetworkSpec(inputs: 20, hidden: [.init(Models.lif(), neurons: 16, recurrent: true)], outputs: 4, kappa: 0.9)
        let kernel = try compile(spec)
        let (T, batch) = (60, 4)
        var rng = SplitMix64(seed: 11)
        var input = (0..<T * batch * spec.inputs).map { _ in rng.next() % 6 == 0 ? Float(1) : 0 }
        // input 0 first fires at step 40 (sequence 0): after the first chunk, before the call's end
        let late = 0, lateStep = 40
        for t in 0..<lateStep { for b in 0..<batch { input[(t * batch + b) * spec.inputs + late] = 0 } }
        input[(lateStep * batch) * spec.inputs + late] = 1
        let targets = (0..<T * batch).map { Float($0 % spec.outputs) }
        func simulation() throws -> NetworkSimulation {
            let sim = try NetworkSimulation(kernel: kernel, batch: batch, chunkSteps: 25)
            sim.initializeWeights(seed: 3, inputGain: 3, recurrentGain: 0.5)
            sim.threads = threads
            return sim
        }
        let fresh = try simulation()
        _ = fresh.run(input: input, targets: targets, steps: T)
        let broken = try simulation()
        let saved = broken.layers[0].weights[0].array
        for j in 0..<16 { broken.layers[0].weights[0][j * spec.inputs + late] = .infinity }
        let failed = broken.run(input: input, targets: targets, steps: T)
        #expect(failed.failure?.step == lateStep)
        broken.layers[0].weights[0].array = saved
        broken.resetSequence(); broken.zeroGradients()
        let result = broken.run(input: input, targets: targets, steps: T)
        #expect(result.failure == nil)
        for (a, b) in zip(broken.weightGradients[0], fresh.weightGradients[0]) {
            #expect(a.array == b.array)
            #expect(b.array.contains { $0 != 0 })
        }
    }
}
