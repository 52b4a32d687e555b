import Testing
import Foundation
@testable import Plasticity
import PlasticityTestSupport

/// Network kernel: e-prop gradients (accumulated in C) against exact BPTT (reverse sweep over the
/// kernel's recorded local Jacobians).
@Suite struct NetworkTests {
    /// Runs one step at a time (state carries over between calls), counting hidden spikes.
    func runStepwise(_ sim: NetworkSimulation, input: [Float], targets: [Float], steps: Int) -> (NetworkRunResult, spikeRate: Double) {
        let net = sim.network, B = sim.batch
        var total = NetworkRunResult(loss: 0, correct: 0, counted: 0, failure: nil, readout: [])
        var spikes = 0.0
        for t in 0..<steps {
            let x = Array(input[(t * B * net.inputs)..<((t + 1) * B * net.inputs)])
            let width = B * net.targetWidth
            let y = Array(targets[(t * width)..<((t + 1) * width)])
            let r = sim.run(input: x, targets: y, steps: 1)
            total.loss += r.loss; total.correct += r.correct; total.counted += r.counted
            if total.failure == nil, let f = r.failure { total.failure = (t + f.step, f.tensor) }
            spikes += Double(sim.layers[0].spike.array.reduce(0, +))
        }
        return (total, spikes / Double(steps * B * sim.layers[0].neurons))
    }

    /// One layer, no recurrent weights, leaky readout with the same κ as ē, symmetric feedback,
    /// cross-entropy at every step: e-prop equals BPTT (cosine ≥ 0.99999, max error ≤ 1e-4 of the
    /// largest BPTT entry, per weight matrix), while neurons spike on ≥ 5% of steps.
    /// (Also adLIF, whose learnable α, β, a, b follow the same rule, the time-summed loss, and the
    /// binary cross-entropy per output, whose C error is checked against its float64 oracle here.)
    @Test(arguments: [("lif", NetworkSpec.Loss.crossEntropy), ("alif", .crossEntropy), ("cuba-lif", .crossEntropy),
                      ("adlif", .crossEntropy), ("lif", .crossEntropySummed), ("adlif", .crossEntropySummed),
                      ("lif", .binaryCrossEntropy), ("adlif", .binaryCrossEntropy)])
    func epropEqualsBPTTInTheExactSetting(_ name: String, _ loss: NetworkSpec.Loss) throws {
        let (T, B, nIn, n, nOut) = (200, 4, 20, 64, 4)
        let model = Models.builtin(named: name)!
        let spec = NetworkSpec(inputs: nIn, hidden: [.init(model, neurons: n)], outputs: nOut, kappa: exp(-1.0 / 20), loss: loss)
        let kernel = try compile(spec)
        let sim = try NetworkSimulation(kernel: kernel, batch: B)
        sim.initializeWeights(seed: 5, inputGain: ["cuba-lif": 4, "adlif": 8, "alif": 4][name] ?? 1.5)
        var rng = SplitMix64(seed: 8)
        let input = (0..<T * B * nIn).map { _ in Double.random(in: 0..<1, using: &rng) < 0.3 ? Float(1) : 0 }
        let targets = loss.definition.targets == .classLabel ? (0..<T * B).map { Float(($0 % B) % nOut) }
            : (0..<T * B * nOut).map { Float(($0 / nOut + $0 % nOut) % 2) }   // yes/no per output and step
        sim.resetSequence(); sim.zeroGradients()
        let result: NetworkRunResult, rate: Double
        if loss == .crossEntropySummed {
            // One sequence, one call: the summed loss spans the call. Spikes from the kernel's counter.
            result = sim.run(input: input, targets: targets, steps: T, countSpikes: true)
            rate = Double(sim.layers[0].spikeCount!.array.reduce(0, +)) / Double(T * B * n)
        } else {
            (result, rate) = runStepwise(sim, input: input, targets: targets, steps: T)
        }
        #expect(result.failure == nil)
        #expect(rate >= 0.05, "\(name): hidden neurons spiked on \(rate) of steps")
        let eprop = sim.accumulatedGradients
        let bptt = try backpropagationThroughTime(sim, input: input, targets: targets, steps: T)
        #expect(abs(result.loss - bptt.loss) <= 1e-4 * abs(bptt.loss), "loss \(result.loss) vs \(bptt.loss)")
        for ((label, a), (_, b)) in zip(eprop.named, bptt.named) where !b.isEmpty {
            let c = compareGradients(a, b)
            #expect(c.cosine >= 0.99999 && c.maxRelativeError <= 1e-4, "\(name) \(loss) \(label): cosine \(c.cosine), max rel \(c.maxRelativeError)")
        }
    }

    /// The exact setting for every built-in spiking model and the example model files, silent or
    /// not, in step mode and chunk mode: e-prop equals BPTT (cosine ≥ 0.99999, max error ≤ 1e-4;
    /// the conductance-based LIF 3e-4).
    /// Regression: models whose trace rows can never be skipped (AdEx, Izhikevich: a constant in
    /// their ψ path) never marked their rows live, and the gradient pass skipped them all (e-prop
    /// input gradients exactly 0, cosine 0 against BPTT).
    /// (The example models on both backends: each is a model a user wrote, so each is checked where it runs.)
    @Test(arguments: ["lif", "alif", "cuba-lif", "adlif", "izhikevich", "adex", "qif.json", "resonate-and-fire.json", "theta.json",
                      "conductance-lif.json", "escape-noise-lif.json"], [0, 50])
    func epropEqualsBPTTForEveryModel(_ name: String, chunkSteps: Int) throws {
        let (T, B, nIn, n, nOut) = (120, 3, 12, 10, 3)
        let examples = TestPaths.exampleModels
        let model = try Models.builtin(named: name) ?? NeuronModel.read(examples.appendingPathComponent(name))
        let checked = try model.checked(), channels = checked.inputs.filter { checked.noise[$0] == nil }
        let layer = LayerSpec(model, neurons: n, projections: channels.map { LayerSpec.Projection(.input, into: $0) })
        let spec = NetworkSpec(inputs: nIn, hidden: [layer], outputs: nOut, kappa: exp(-1.0 / 20))
        // The conductance model's float32 traces (three coupled states, an exponential of their sum)
        // differ from BPTT's float64 sweep by up to 2.1e-4 of the largest entry (cosine 0.99999999).
        let tolerance = name == "conductance-lif.json" ? 3e-4 : 1e-4
        for backend in name.hasSuffix(".json") ? [Backend.tinyCC, .systemCC] : [.tinyCC] {
            try checkExactSetting(spec, name: "\(name) \(backend)", backend: backend, chunkSteps: chunkSteps, steps: T, batch: B,
                                  tolerance: tolerance)
        }
    }

    func checkExactSetting(_ spec: NetworkSpec, name: String, backend: Backend, chunkSteps: Int, steps T: Int, batch B: Int,
                           tolerance: Double) throws {
        let nIn = spec.inputs
        let sim = try NetworkSimulation(kernel: try compile(spec, backend: backend), batch: B, chunkSteps: chunkSteps)
        sim.initializeWeights(seed: 9, inputGain: 2)
        var rng = SplitMix64(seed: 10)
        let input = (0..<T * B * nIn).map { _ in Double(rng.next() >> 11) / Double(1 << 53) < 0.2 ? Float(1) : 0 }
        // Unbalanced labels: with a silent layer, balanced ones would leave the bias gradient at rounding level.
        let targets = (0..<T * B).map { Float($0 % 4 == 0 ? 1 : 0) }
        sim.resetSequence(); sim.zeroGradients()
        let result = sim.run(input: input, targets: targets, steps: T)
        #expect(result.failure == nil)
        let eprop = sim.accumulatedGradients
        let bptt = try backpropagationThroughTime(sim, input: input, targets: targets, steps: T)
        for ((label, a), (_, b)) in zip(eprop.named, bptt.named) where !b.isEmpty {
            let c = compareGradients(a, b)
            #expect(c.cosine >= 0.99999 && c.maxRelativeError <= tolerance,
                    "\(name) K=\(chunkSteps) \(label): cosine \(c.cosine), max rel \(c.maxRelativeError)")
        }
    }

    /// Memoryless neurons (α = 0) and a memoryless readout (κ = 0): every path from a weight to
    /// the loss lies within one step, so e-prop with the instantaneous backward pass to the lower
    /// layer equals BPTT for both layers (cosine ≥ 0.99999, max error ≤ 1e-4).
    @Test func backwardPassIsExactForMemorylessLayers() throws {
        let (T, B) = (100, 4)
        let memoryless = Models.lif(alpha: 0, threshold: 0.5)
        let spec = NetworkSpec(inputs: 12, hidden: [.init(memoryless, neurons: 20, feedback: .backward),
                                                   .init(memoryless, neurons: 16, feedback: .symmetric)],
                               outputs: 3, kappa: 0)
        let sim = try NetworkSimulation(kernel: try compile(spec), batch: B)
        sim.initializeWeights(seed: 31, inputGain: 3)
        var rng = SplitMix64(seed: 32)
        let input = (0..<T * B * 12).map { _ in Double(rng.next() >> 11) / Double(1 << 53) < 0.3 ? Float(1) : 0 }
        let targets = (0..<T * B).map { Float($0 % 3) }
        sim.resetSequence(); sim.zeroGradients()
        let r = sim.run(input: input, targets: targets, steps: T)
        #expect(r.failure == nil)
        let bptt = try backpropagationThroughTime(sim, input: input, targets: targets, steps: T)
        for ((label, a), (_, b)) in zip(sim.accumulatedGradients.named, bptt.named) where !b.isEmpty {
            let c = compareGradients(a, b)
            #expect(c.cosine >= 0.99999 && c.maxRelativeError <= 1e-4, "\(label): cosine \(c.cosine), max rel \(c.maxRelativeError)")
            #expect(b.contains { $0 != 0 }, "\(label) is all zero")
        }
    }

    /// The whole sequence in one call equals step-by-step calls: state, spikes, traces and readout
    /// carry over exactly. The gradient sums over (t, b) are added sequence by sequence within a
    /// call, so their order depends on how T is split into calls: equal to float reassociation
    /// (relative 1e-5 of the tensor's largest entry; measured differences are ≤ 1e-6).
    @Test func oneCallEqualsStepwiseCalls() throws {
        let spec = NetworkSpec(inputs: 10, hidden: [.init(Models.alif(), neurons: 16, recurrent: true)], outputs: 3, kappa: 0.9)
        let kernel = try compile(spec)
        let (T, B) = (50, 2)
        var rng = SplitMix64(seed: 1)
        let input = (0..<T * B * 10).map { _ in Double.random(in: 0..<1, using: &rng) < 0.3 ? Float(1) : 0 }
        let targets = (0..<T * B).map { Float($0 % 3) }
        var gradients: [[(id: TensorID, values: [Double])]] = [], carried: [[Float]] = []
        for stepwise in [false, true] {
            let sim = try NetworkSimulation(kernel: kernel, batch: B)
            sim.initializeWeights(seed: 2, inputGain: 2)
            if stepwise { _ = runStepwise(sim, input: input, targets: targets, steps: T) } else { _ = sim.run(input: input, targets: targets,
                steps: T) }
            gradients.append(sim.accumulatedGradients.named)
            let layer = sim.layers[0]
            carried.append(layer.state.array + layer.spike.array + layer.eligibilityVectors.flatMap(\.array)
                           + layer.eligibilityTraces.flatMap(\.array) + sim.readoutState.array + sim.readoutTrace.array)
        }
        #expect(carried[0] == carried[1])
        for ((label, a), (_, b)) in zip(gradients[0], gradients[1]) {
            let e = worstMismatch(a, b, rtol: 1e-5, floor: 1)
            #expect(e.ratio <= 1, "\(label): \(e)")
            #expect(b.contains { $0 != 0 }, "\(label) is all zero")
        }
    }

    /// A state that overflows stops the run at that step, naming the tensor; so does a NaN weight,
    /// at the first step its input is active.
    @Test func nonFiniteStateStopsWithStepAndTensor() throws {
        let spec = NetworkSpec(inputs: 4, hidden: [.init(Models.lif(), neurons: 3)], outputs: 2, kappa: 0.9)
        let sim = try NetworkSimulation(kernel: try compile(spec), batch: 1)
        sim.initializeWeights(seed: 3)
        sim.layers[0].weights[0][2 * 4 + 1] = 3e38           // neuron 2, inputs 1 and 3: finite alone,
        sim.layers[0].weights[0][2 * 4 + 3] = 3e38           // +Inf together
        var input = [Float](repeating: 0, count: 10 * 4)
        input[3 * 4 + 1] = 1
        input[7 * 4 + 1] = 1; input[7 * 4 + 3] = 1           // both fire at step 7
        let r = sim.run(input: input, targets: [Float](repeating: 0, count: 10), steps: 10)
        #expect(r.failure?.step == 7)
        #expect(r.failure?.tensor == "layer 0 state h")

        // Input is event-driven: a NaN weight is caught at the first step its input fires.
        sim.resetSequence()
        sim.layers[0].weights[0][2 * 4 + 1] = 0.5; sim.layers[0].weights[0][2 * 4 + 3] = 0.5
        sim.layers[0].weights[0][0] = .nan                    // neuron 0, input 0
        var quiet = [Float](repeating: 0, count: 10 * 4)
        quiet[4 * 4 + 0] = 1                                  // input 0 first fires at step 4
        let nan = sim.run(input: quiet, targets: [Float](repeating: 0, count: 10), steps: 10)
        #expect(nan.failure?.step == 4)
        #expect(nan.failure?.tensor == "layer 0 state h")
    }

    @Test func symmetricFeedbackOnlyForTheLastLayer() {
        let spec = NetworkSpec(inputs: 4, hidden: [.init(Models.lif(), neurons: 3), .init(Models.lif(), neurons: 3)], outputs: 2, kappa: 0.9)
        #expect(throws: NetworkError.self) { _ = try lower(spec) }
    }
}

/// BPTT against float64 central finite differences of the whole loss, on a smooth (non-spiking)
/// recurrent network, where the loss is differentiable: max error ≤ 1e-3 of the largest entry,
/// per tensor.
@Suite struct FiniteDifferenceTests {
    static let rate = NeuronModel("Rate") {
        Parameter("alpha", 0.8)
        Parameter("gain", 1.0, learnable: true)
        Input("I")
        State("h")
        Update("h") { $0.alpha * $0.h + (1 - $0.alpha) * tanh($0.gain * $0.I) }
        Output { $0.h }
    }

    @Test(arguments: [NetworkSpec.Loss.crossEntropy, .crossEntropySummed, .meanSquaredError, .binaryCrossEntropy])
    func bpttMatchesFiniteDifferences(_ loss: NetworkSpec.Loss) throws {
        let (T, B) = (30, 2)
        let spec = NetworkSpec(inputs: 3, hidden: [.init(Self.rate, neurons: 4, recurrent: true, feedback: .random),
                                                   .init(Self.rate, neurons: 3, recurrent: false)],
                               outputs: 2, kappa: 0.8, loss: loss)
        let sim = try NetworkSimulation(kernel: try compile(spec), batch: B)
        sim.initializeWeights(seed: 4, inputGain: 2, recurrentGain: 1, readoutGain: 2)
        for l in sim.layers { for j in 0..<l.parameters.count { l.parameters[j] = 0.7 + 0.1 * Float(j) } }
        var rng = SplitMix64(seed: 6)
        let input = (0..<T * B * 3).map { _ in Float.random(in: -1...1, using: &rng) }
        let targets: [Float] = switch loss {
        case .meanSquaredError: (0..<T * B * 2).map { _ in Float.random(in: -0.5...0.5, using: &rng) }
        case .binaryCrossEntropy: (0..<T * B * 2).map { Float(($0 / 2 + $0 % 2) % 2) }
        default: (0..<T * B).map { Float($0 % 2) }
        }
        let bptt = try backpropagationThroughTime(sim, input: input, targets: targets, steps: T)
        let reference = ReferenceNetwork(sim)
        #expect(abs(reference.loss(input: input, targets: targets, steps: T, batch: B) - bptt.loss) <= 1e-5 * abs(bptt.loss))

        let h = 1e-5
        func central(_ perturb: (inout ReferenceNetwork, Double) -> Void) -> Double {
            var plus = reference, minus = reference
            perturb(&plus, h); perturb(&minus, -h)
            return (plus.loss(input: input, targets: targets, steps: T, batch: B) - minus.loss(input: input, targets: targets, steps: T,
                batch: B)) / (2 * h)
        }
        var tensors: [(String, [Double], [Double])] = []
        for l in 0..<2 {
            for p in bptt.weights[l].indices {
                let fd = bptt.weights[l][p].indices.map { i in central { $0.weights[l][p][i] += $1 } }
                tensors.append(("layer\(l).w\(p)", bptt.weights[l][p], fd))
            }
            let fd = bptt.parameters[l].indices.map { i in central { $0.parameters[l][i] += $1 } }
            tensors.append(("layer\(l).gain", bptt.parameters[l], fd))
        }
        tensors.append(("readout.w", bptt.readoutWeights, bptt.readoutWeights.indices.map { i in central { $0.readoutWeights[i] += $1 } }))
        tensors.append(("readout.b", bptt.readoutBias, bptt.readoutBias.indices.map { i in central { $0.readoutBias[i] += $1 } }))
        for (name, a, fd) in tensors {
            let c = compareGradients(a, fd)
            #expect(c.maxRelativeError <= 1e-3, "\(loss) \(name): max rel \(c.maxRelativeError), cosine \(c.cosine)")
        }
    }
}

/// Exact RTRL (forward, full Jacobian) against exact BPTT (reverse) on tiny recurrent spiking
/// networks: cosine ≥ 0.99999 and max error ≤ 1e-4 of the largest entry, per tensor.
@Suite struct RTRLTests {
    @Test(arguments: ["lif", "adlif"])
    func rtrlEqualsBPTT(_ name: String) throws {
        let (T, B) = (60, 2)
        let spec = NetworkSpec(inputs: 5, hidden: [.init(Models.builtin(named: name)!, neurons: 8, recurrent: true)], outputs: 3, kappa: 0.9)
        let sim = try NetworkSimulation(kernel: try compile(spec), batch: B)
        sim.initializeWeights(seed: 9, inputGain: name == "adlif" ? 6 : 2, recurrentGain: 1)
        var rng = SplitMix64(seed: 10)
        let input = (0..<T * B * 5).map { _ in Double.random(in: 0..<1, using: &rng) < 0.3 ? Float(1) : 0 }
        let targets = (0..<T * B).map { Float($0 % 3) }
        let bptt = try backpropagationThroughTime(sim, input: input, targets: targets, steps: T)
        let rtrl = try realTimeRecurrentLearning(sim, input: input, targets: targets, steps: T)
        for ((label, a), (_, b)) in zip(rtrl.named, bptt.named) where !b.isEmpty {
            let c = compareGradients(a, b)
            #expect(c.cosine >= 0.99999 && c.maxRelativeError <= 1e-4, "\(name) \(label): cosine \(c.cosine), max rel \(c.maxRelativeError)")
            #expect(b.contains { $0 != 0 }, "\(label) is all zero")
        }
    }
}
