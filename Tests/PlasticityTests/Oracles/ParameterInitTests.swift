import Foundation
import Plasticity
import PlasticityData
import PlasticityTestSupport
import Testing

/// Per-neuron parameters (docs/architecture.md, "Per-neuron parameters"): initializers draw a
/// value per neuron, fixed parameters with one become frozen runtime values, bounds hold after
/// every update, and the gradients stay exact.
@Suite struct ParameterInitTests {
    /// LIF with a per-neuron (frozen) threshold, adLIF with per-neuron α = exp(−dt/τ) from
    /// τ log-uniform on [5, 50] ms: e-prop equals BPTT in the exact setting (cosine ≥ 0.99999,
    /// max error ≤ 1e-4), on both backends.
    @Test(arguments: [Backend.tinyCC, .systemCC])
    func perNeuronParametersKeepGradientsExact(backend: Backend) throws {
        let (T, B, nIn, n, nOut) = (150, 3, 16, 24, 3)
        var lif = LayerSpec(Models.lif(), neurons: n)
        lif.initializers = ["threshold": ParameterInit(.uniform, low: 0.6, high: 1.4)]
        var adlif = LayerSpec(Models.adaptiveLIF(), neurons: n)
        adlif.initializers = ["alpha": ParameterInit(.logUniformDecay, low: 5, high: 50, bounds: 0...0.999)]
        for layer in [lif, adlif] {
            let spec = NetworkSpec(inputs: nIn, hidden: [layer], outputs: nOut, kappa: exp(-1.0 / 20))
            let sim = try NetworkSimulation(kernel: try compile(spec, backend: backend), batch: B)
            sim.initializeWeights(seed: 3, inputGain: 4)
            let name = layer.initializers.keys.first!
            let values = try #require(sim.parameterValues(layer: 0, name))
            #expect(Set(values).count == n, "\(name): \(values)")
            var rng = SplitMix64(seed: 4)
            let input = (0..<T * B * nIn).map { _ in Double.random(in: 0..<1, using: &rng) < 0.3 ? Float(1) : 0 }
            let targets = (0..<T * B).map { Float($0 % 4 == 0 ? 1 : 0) }
            sim.resetSequence(); sim.zeroGradients()
            let result = sim.run(input: input, targets: targets, steps: T, countSpikes: true)
            #expect(result.failure == nil)
            #expect(sim.layers[0].spikeCount!.array.reduce(0, +) > Float(T * B * n) / 50, "\(name): too few spikes")
            let bptt = try backpropagationThroughTime(sim, input: input, targets: targets, steps: T)
            for ((label, a), (_, b)) in zip(sim.accumulatedGradients.named, bptt.named) where !b.isEmpty {
                let c = compareGradients(a, b)
                #expect(c.cosine >= 0.99999 && c.maxRelativeError <= 1e-4, "\(name) \(backend) \(label): \(c.cosine), \(c.maxRelativeError)")
            }
        }
    }

    /// A frozen parameter keeps its drawn values through training; a bounded learnable one
    /// stays inside its bounds (and moves); the draws are a function of the seed.
    @Test func frozenValuesStayAndBoundsHold() throws {
        let (T, B, nIn, n) = (60, 4, 10, 16)
        var layer = LayerSpec(Models.adaptiveLIF(), neurons: n)
        layer.initializers = ["threshold": ParameterInit(.normal, mean: 1, std: 0.1, bounds: 0.5...1.5),
                              "beta": ParameterInit(.uniform, low: 0.9, high: 0.95, bounds: 0.9...0.95)]
        let spec = NetworkSpec(inputs: nIn, hidden: [layer], outputs: 2, kappa: 0.9)
        let sim = try NetworkSimulation(kernel: try compile(spec), batch: B)
        sim.initializeWeights(seed: 5, inputGain: 4)
        let threshold = try #require(sim.parameterValues(layer: 0, "threshold")), beta = try #require(sim.parameterValues(layer: 0, "beta"))
        #expect(threshold.allSatisfy { (0.5...1.5).contains($0) } && Set(threshold).count == n, "\(threshold)")
        let again = try NetworkSimulation(kernel: try compile(spec), batch: B)
        again.initializeWeights(seed: 5, inputGain: 4)
        #expect(again.parameterValues(layer: 0, "threshold") == threshold)
        try trainOnRandomBatches(sim, steps: T, learningRate: 0.2, seed: 6)
        #expect(sim.parameterValues(layer: 0, "threshold") == threshold, "a frozen parameter moved")
        let trained = try #require(sim.parameterValues(layer: 0, "beta"))
        #expect(trained.allSatisfy { $0 >= 0.9 && $0 <= 0.95 } && trained != beta, "\(trained)")
    }

    /// Config errors name the field; a checkpoint and NIR export carry the per-neuron values.
    @Test func initializersTravelThroughConfigsCheckpointsAndNIR() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("plasticity-init-\(getpid())")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let url = folder.appendingPathComponent("net.json")
        func network(_ initializers: String) throws -> NetworkSpec {
            try #"{"inputs": 4, "outputs": 2, "kappa": 0.9, "hidden": [{"model": "lif", "neurons": 5, "initializers": \#(initializers)}]}"#
                .write(to: url, atomically: true, encoding: .utf8)
            return try NetworkSpec.read(url)
        }
        for (initializers, field) in [(#"{"theta": {"distribution": "constant", "value": 1}}"#, "hidden[0].initializers.theta"),
                                      (#"{"threshold": {"distribution": "uniform", "low": 1}}"#, "hidden[0].initializers.threshold.high"),
                                      (#"{"alpha": {"distribution": "logUniform", "low": -1, "high": 2}}"#, "hidden[0].initializers.alpha.low"),
                                      (#"{"alpha": {"distribution": "normal", "mean": 0.9, "std": 0.1, "bounds": [1, 0]}}"#,
                                       "hidden[0].initializers.alpha.bounds")] {
            let error = #expect(throws: FileFormatError.self) { try network(initializers) }
            #expect(error?.field == field, "\(String(describing: error))")
        }
        let spec = try network(#"{"threshold": {"distribution": "uniform", "low": 0.5, "high": 1.5}}"#)
        #expect(spec.hidden[0].frozenParameters == ["threshold"])
        let sim = try NetworkSimulation(kernel: try compile(spec), batch: 1)
        sim.initializeWeights(seed: 9)
        let drawn = try #require(sim.parameterValues(layer: 0, "threshold"))
        let checkpoint = folder.appendingPathComponent("checkpoint.json")
        let trainer = Trainer(simulation: sim, optimizer: Optimizer(OptimizerConfig()))
        try Checkpoint.save(trainer, state: .init(iteration: 1, rng: SplitMix64(seed: 1), config: TrainConfig().json), to: checkpoint)
        let stored = try #require(try Checkpoint.network(checkpoint))
        let reloaded = Trainer(simulation: try NetworkSimulation(kernel: try compile(stored), batch: 1), optimizer: Optimizer(OptimizerConfig()))
        _ = try Checkpoint.load(checkpoint, into: reloaded)
        #expect(reloaded.simulation.parameterValues(layer: 0, "threshold") == drawn)
        let graph = try NIRGraph.exporting(checkpoint: checkpoint, resetToZero: true)
        guard case .lif(_, _, _, let vThreshold, _) = graph.nodes["hidden0"] else { Issue.record("no LIF node"); return }
        #expect(vThreshold.map { Float($0) } == drawn)

        // Plasticity's own round trip with a learnable per-neuron threshold (NIR's LIF model): the same values come back.
        var model = NIRNeurons.lif()
        model.declarations = model.declarations.map {
            if case .parameter("threshold", let v, _, let at) = $0 { return .parameter(name: "threshold", value: v, learnable: true, at: at) }
            return $0
        }
        var layer = LayerSpec(model, neurons: 5)
        layer.initializers = ["threshold": ParameterInit(.uniform, low: 0.5, high: 1.5)]
        let learnable = try NetworkSimulation(kernel: try compile(NetworkSpec(inputs: 4, hidden: [layer], outputs: 2, kappa: 0.9, stepMs: 10)),
                                              batch: 1)
        learnable.initializeWeights(seed: 3)
        let thresholds = try #require(learnable.parameterValues(layer: 0, "threshold"))
        let second = folder.appendingPathComponent("learnable.json")
        try Checkpoint.save(Trainer(simulation: learnable, optimizer: Optimizer(OptimizerConfig())),
                            state: .init(iteration: 1, rng: SplitMix64(seed: 1), config: TrainConfig().json), to: second)
        let back = try NIRNetwork(try NIRGraph.exporting(checkpoint: second), dt: 0.01, file: "learnable")
        let imported = try back.simulation(config: try back.config(over: TrainConfig(), dt: 0.01), batch: 1)
        #expect(imported.parameterValues(layer: 0, "threshold") == thresholds)
    }
}

extension NetworkSimulation {
    /// The per-neuron values of parameter `name` of layer `l` (nil: not a runtime parameter).
    func parameterValues(layer l: Int, _ name: String) -> [Float]? {
        let layer = layers[l]
        guard let p = layer.model.learnables.firstIndex(where: { $0.name == name }) else { return nil }
        return Array(layer.parameters.array[(p * layer.neurons)..<((p + 1) * layer.neurons)])
    }
}
