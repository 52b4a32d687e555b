import ArgumentParser
import Foundation
import Plasticity
import PlasticityData

/// Trains a network on one of the built-in tasks and logs the curve (JSON lines).
struct TaskCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "task", abstract: "Train on a built-in task: evidence, sine, exact.")
    enum Name: String, ExpressibleByArgument { case evidence, sine, exact }

    @Argument var task: Name
    @Option(parsing: .unconditional) var iterations = 200
    @Option(parsing: .unconditional) var batch = 0
    /// The hidden model (default: alif for evidence, lif otherwise).
    @OptionGroup var selection: ModelSelection
    @Option(parsing: .unconditional) var neurons = 100
    @Option(parsing: .unconditional, help: "Hidden layers (2+: lower layers learn by random feedback).") var layers = 1
    @Option(help: "Feedback for the top layer.") var feedback = NetworkSpec.Feedback.symmetric
    @Option(help: "Feedback for lower layers: random (direct feedback) or backward (instantaneous pass through the layer above).")
    var lowerFeedback = NetworkSpec.Feedback.random
    @Option(parsing: .unconditional) var learningRate = 5e-3
    @Option(parsing: .unconditional, help: "Update every K steps inside a sequence (online); default once per batch.") var updateEvery: Int?
    @Option var backend = Backend.systemCC
    @Option(parsing: .unconditional, help: "Steps per chunk of time-chunked exact traces (0: every step).") var chunkSteps = 100
    @Option(parsing: .unconditional) var seed: UInt64 = 1
    @Option(help: "Write the curve as JSON lines to this file.") var log: String?
    @Option(parsing: .unconditional) var evaluateEvery = 25
    @Flag(help: "Cosine learning-rate decay to zero over the run (after 10 warmup updates).") var cosine = false
    @Option(parsing: .unconditional, help: "Held-out trials per evaluation (evidence task; a fixed seed, whole batches).") var testTrials = 256
    @Option(help: "Checkpoint manifest (JSON; weights go to <name>-<iteration>.safetensors beside it), every --checkpoint-every iterations.")
    var checkpoint: String?
    @Option(parsing: .unconditional) var checkpointEvery = 25
    @Flag(help: "Continue from --checkpoint if it exists.") var resume = false
    @Option(parsing: .unconditional, help: "Sequence length of the sine task (ms).") var steps = 1000
    @Option(parsing: .unconditional, help: "Input weight gain (std = gain/sqrt(fan-in)); default 4 for evidence, 2 otherwise.") var inputGain: Double?
    @Option(parsing: .unconditional) var recurrentGain = 0.5
    @Option(parsing: .unconditional, help: "Firing-rate regularization: target spikes per step (0: off).") var rateTarget = 0.01
    @Option(parsing: .unconditional, help: "Firing-rate regularization strength (default 300 for evidence, else off).") var rateStrength: Double?
    @Option(parsing: .unconditional,
            help: "ALIF adaptation strength β in the LSNN convention (threshold += β (1 − ρ) per spike; 400 with τ_a = 2 s is +0.2).")
    var adaptationBeta = 400.0
    @Option(help: "ALIF adaptation time constant in ms (evidence accumulation needs one longer than the delay).")
    var adaptationMs: Double = 2000

    func validate() throws {
        try require("iterations", iterations, in: 1...100_000_000)
        try require("batch", batch, in: 0...65_536)
        try require("neurons", neurons, in: 1...1_000_000)
        try require("layers", layers, in: 1...NetworkSpec.maxHiddenLayers)
        try require("learning-rate", learningRate, in: 1e-12...1e3)
        if let updateEvery { try require("update-every", updateEvery, in: 1...10_000_000) }
        try require("chunk-steps", chunkSteps, in: 0...1_000_000)
        try require("evaluate-every", evaluateEvery, in: 1...100_000_000)
        try require("test-trials", testTrials, in: 1...1_000_000)
        try require("checkpoint-every", checkpointEvery, in: 1...100_000_000)
        try require("steps", steps, in: 1...10_000_000)
        if let inputGain { try require("input-gain", inputGain, in: 0...1e6) }
        try require("recurrent-gain", recurrentGain, in: 0...1e6)
        try require("rate-target", rateTarget, in: 0...1)
        if let rateStrength { try require("rate-strength", rateStrength, in: 0...1e9) }
        try require("adaptation-beta", adaptationBeta, in: 0...1e9)
        try require("adaptation-ms", adaptationMs, in: 1e-3...1e9)
    }

    /// The command's settings, stored in checkpoints.
    var description: String {
        "task \(task.rawValue) model \(selection.modelFile ?? selection.model?.rawValue ?? "default") beta \(adaptationBeta) tau_a \(adaptationMs) " +
        "neurons \(neurons) layers " +
        "\(layers) feedback \(feedback.rawValue)/\(lowerFeedback.rawValue) lr \(learningRate)\(cosine ? " cosine" : "") batch \(batch) seed " +
        "\(seed) steps \(steps)"
    }

    /// The network of the task: `layers` hidden layers (one for the exact task, without recurrent
    /// weights, with symmetric feedback), a leaky readout and the task's loss.
    func network(evidence: EvidenceAccumulation, sine: SinePattern, exact: ExactGradientTask) throws -> NetworkSpec {
        let exactSetting = task == .exact
        // The LSNN/e-prop reference code moves the adaptation by (1 − ρ) per spike; with a += z
        // here, the same dynamics take the step β (1 − ρ).
        let rho = exp(-1 / adaptationMs)
        let model = try selection.choice() ?? .builtin(task == .evidence ? .alif : .lif)
        let constants = model.builtin == nil ? NeuronConstants() : NeuronConstants(adaptationMs: adaptationMs,
                                                                                   adaptationStep: adaptationBeta * (1 - rho))
        let hidden = (0..<(exactSetting ? 1 : layers)).map { l in
            LayerSpec(model: model, neurons: neurons, recurrent: !exactSetting,
                      feedback: exactSetting ? .symmetric : (l == layers - 1 ? feedback : lowerFeedback), constants: constants)
        }
        let strength = rateStrength ?? (task == .evidence ? 300 : 0)
        let (inputs, outputs) = switch task {
        case .evidence: (evidence.inputs, evidence.outputs)
        case .sine: (sine.inputs, sine.outputs)
        case .exact: (exact.inputs, exact.outputs)
        }
        return try NetworkSpec(inputs: inputs, hidden: hidden, outputs: outputs, kappa: exp(-1.0 / 20),
                               loss: task == .sine ? .meanSquaredError : .crossEntropy,
                               rateRegularization: strength > 0 ? .init(target: rateTarget, strength: strength) : nil)
            .validated(file: "task \(task.rawValue)")
    }

    /// The exact setting's check on its first batch: e-prop against BPTT, tensor by tensor.
    static func compareWithBPTT(_ sim: NetworkSimulation, on data: TaskBatch) throws {
        sim.resetSequence(); sim.zeroGradients()
        _ = sim.run(input: data.input, targets: data.targets, steps: data.steps)
        let eprop = sim.accumulatedGradients
        let bptt = try backpropagationThroughTime(sim, input: data.input, targets: data.targets, steps: data.steps)
        for ((name, a), (_, b)) in zip(eprop.named, bptt.named) {
            let c = compareGradients(a, b)
            print(String(format: "first batch, e-prop vs BPTT, %@: cosine %.7f, max relative error %.2g", name, c.cosine, c.maxRelativeError))
        }
        sim.zeroGradients()
    }

    /// Held-out evidence trials (a fixed seed, whole batches): accuracy per trial (the class with
    /// the larger mean readout over the recall window), per recall step, and firing rates.
    func evaluateEvidence(_ evidence: EvidenceAccumulation, trainer: Trainer) throws -> [String: Any] {
        let batchSize = trainer.simulation.batch, nOut = trainer.simulation.network.outputs
        var evalRng = SplitMix64(seed: 999)
        var correctTrials = 0, trials = 0, stepAccuracy = 0.0, rates = [Double](repeating: 0, count: trainer.simulation.layers.count)
        let batches = max(1, (testTrials + batchSize - 1) / batchSize)
        for _ in 0..<batches {
            let test = evidence.batch(batchSize, rng: &evalRng)
            let result = try trainer.evaluate(input: test.input, targets: test.targets, steps: test.steps)
            stepAccuracy += (result.metrics.accuracy ?? 0) / Double(batches)
            for (l, r) in result.firingRates.enumerated() { rates[l] += r / Double(batches) }
            for b in 0..<batchSize {
                var sums = [Double](repeating: 0, count: nOut), label = -1
                for t in 0..<test.steps where test.targets[t * batchSize + b] >= 0 {
                    label = Int(test.targets[t * batchSize + b])
                    for o in 0..<nOut { sums[o] += Double(result.readout[(t * batchSize + b) * nOut + o]) }
                }
                if label >= 0 { trials += 1; if sums.firstIndex(of: sums.max()!) == label { correctTrials += 1 } }
            }
        }
        return ["test_step_accuracy": stepAccuracy, "test_accuracy": Double(correctTrials) / Double(trials),
                "test_trials": trials, "firing_rate": rates]
    }

    func run() throws {
        let evidence = EvidenceAccumulation(), exact = ExactGradientTask()
        var sine = SinePattern()
        sine.steps = steps
        let spec = try network(evidence: evidence, sine: sine, exact: exact)
        let kernel = try compile(spec, backend: backend)
        let batchSize = batch > 0 ? batch : (task == .sine ? 1 : 32)
        let sim = try NetworkSimulation(kernel: kernel, batch: batchSize, chunkSteps: chunkSteps)
        sim.initializeWeights(seed: seed, inputGain: inputGain ?? (task == .evidence ? 4 : 2), recurrentGain: recurrentGain, readoutGain: 1)
        var config = OptimizerConfig()
        config.learningRate = learningRate
        config.clipNorm = 10
        if cosine { config.warmupSteps = 10; config.totalSteps = iterations }
        let trainer = Trainer(simulation: sim, optimizer: Optimizer(config), updateEvery: updateEvery)
        var rng = SplitMix64(seed: seed &+ 1)
        let logURL = log.map { URL(fileURLWithPath: $0) }
        if let logURL { try WriteContract.check(logURL, flag: "--log", inputs: checkpoint.map { [URL(fileURLWithPath: $0)] } ?? []) }
        var logLines = Data()
        let sineBatch = sine.batch(batchSize)
        let start = Date()
        let checkpointURL = checkpoint.map { URL(fileURLWithPath: $0) }
        var first = 1
        if resume, let checkpointURL, FileManager.default.fileExists(atPath: checkpointURL.path) {
            let state = try Checkpoint.load(checkpointURL, into: trainer)
            rng = state.rng
            first = state.iteration + 1
            print("resumed from \(checkpointURL.path) after iteration \(state.iteration)")
        }
        print("task \(task.rawValue): \(layers) x \(neurons) \(spec.hidden[0].model.name), batch \(batchSize), \(backend.rawValue), kernel " +
              "compiled in \(String(format: "%.1f", kernel.compileMilliseconds)) ms")
        guard first <= iterations else { return }
        if task == .exact {
            var probe = rng
            try Self.compareWithBPTT(sim, on: exact.batch(batchSize, rng: &probe))
        }
        for iteration in first...iterations {
            let data: TaskBatch
            switch task {
            case .evidence: data = evidence.batch(batchSize, rng: &rng)
            case .exact: data = exact.batch(batchSize, rng: &rng)
            case .sine: data = sineBatch
            }
            let metrics: BatchMetrics
            do { metrics = try trainer.train(input: data.input, targets: data.targets, steps: data.steps) } catch let error as NonFiniteError {
                print("error: \(error)")
                throw ExitCode(3)
            }
            if let checkpointURL, iteration % checkpointEvery == 0 || iteration == iterations {
                try Checkpoint.save(trainer, state: .init(iteration: iteration, rng: rng, config: description), to: checkpointURL)
            }
            var record: [String: Any] = ["iteration": iteration, "loss": metrics.loss, "seconds": Date().timeIntervalSince(start)]
            if let accuracy = metrics.accuracy { record["train_accuracy"] = accuracy }
            if task == .evidence, iteration % evaluateEvery == 0 || iteration == iterations {
                record.merge(try evaluateEvidence(evidence, trainer: trainer)) { $1 }
            }
            if let logURL {   // the whole curve, atomically, at every evaluation and at the end
                logLines += try JSONSerialization.data(withJSONObject: record, options: [.sortedKeys]) + Data("\n".utf8)
                if iteration % evaluateEvery == 0 || iteration == iterations { try WriteContract.write(logLines, to: logURL, flag: "--log") }
            }
            if iteration % evaluateEvery == 0 || iteration == 1 || iteration == iterations {
                let accuracy = record["test_accuracy"].map { String(format: ", test accuracy %.3f", $0 as! Double) } ?? ""
                print(String(format: "iteration %5d  loss %.5f%@  (%.1f s)", iteration, metrics.loss, accuracy, Date().timeIntervalSince(start)))
            }
        }
    }
}
