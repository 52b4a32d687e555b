import ArgumentParser
import Foundation
import Plasticity
import PlasticityData

/// Trains a network on one of the built-in tasks and logs the curve (JSON lines).
struct TaskCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "task", abstract: "Train on a built-in task: evidence, sine, exact, lag.")
    @Argument var task: SyntheticTaskSource.Task
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
    @Flag(inversion: .prefixedNo, help: "Recurrent weights in the hidden layers (not in the exact task).") var recurrent = true
    @Option(help: "Delays on the projection from the input: none, axonal or synaptic (DelaySpec).") var delays = DelayChoice.none
    @Option(parsing: .unconditional, help: "The largest delay D in steps.") var maxDelay = 16
    @Flag(help: "Learn the delays (linear interpolation between whole steps); fixed delays are whole steps drawn on [0, D].")
    var learnableDelays = false
    @Option(parsing: .unconditional, help: "Adam's step size for the delays, in steps per update.") var delayLearningRate = 0.1
    @Option(help: "How synaptic delays run: taps (every lag a column) or events (scattered by delay; chunked traces only).")
    var delayForm = DelaySpec.Form.taps

    enum DelayChoice: String, ExpressibleByArgument, CaseIterable { case none, axonal, synaptic }

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
        try require("max-delay", maxDelay, in: 1...DelaySpec.maxStepsLimit)
        try require("delay-learning-rate", delayLearningRate, in: 0...1e3)
    }

    /// The command's settings, stored in checkpoints.
    var description: String {
        "task \(task.rawValue) model \(selection.modelFile ?? selection.model?.rawValue ?? "default") beta \(adaptationBeta) tau_a \(adaptationMs) " +
        "neurons \(neurons) layers " +
        "\(layers) feedback \(feedback.rawValue)/\(lowerFeedback.rawValue) lr \(learningRate)\(cosine ? " cosine" : "") batch \(batch) seed " +
        "\(seed) steps \(steps) recurrent \(recurrent) delays \(delays.rawValue) D \(maxDelay) learnable \(learnableDelays) " +
        "delay lr \(delayLearningRate)\(delays == .synaptic && delayForm == .events ? " events" : "")"
    }

    /// The network of the task: `layers` hidden layers (one for the exact task, without recurrent
    /// weights, with symmetric feedback), a leaky readout and the task's loss.
    func network(inputs: Int, outputs: Int) throws -> NetworkSpec {
        let exactSetting = task == .exact
        // The LSNN/e-prop reference code moves the adaptation by (1 − ρ) per spike; with a += z
        // here, the same dynamics take the step β (1 − ρ).
        let rho = exp(-1 / adaptationMs)
        let model = try selection.choice() ?? .builtin(task == .evidence ? .alif : .lif)
        let constants = model.builtin == nil ? NeuronConstants() : NeuronConstants(adaptationMs: adaptationMs,
                                                                                   adaptationStep: adaptationBeta * (1 - rho))
        var hidden = (0..<(exactSetting ? 1 : layers)).map { l in
            LayerSpec(model: model, neurons: neurons, recurrent: recurrent && !exactSetting,
                      feedback: exactSetting ? .symmetric : (l == layers - 1 ? feedback : lowerFeedback), constants: constants)
        }
        if let kind = DelaySpec.Kind(rawValue: delays.rawValue) {
            // The layer's projections are made with its model, when the network is validated.
            hidden[0] = try hidden[0].resolved(stepMs: 1, file: "task \(task.rawValue)", field: "hidden[0]")
            let spec = DelaySpec(kind, maxSteps: maxDelay, learnable: learnableDelays, learningRate: delayLearningRate,
                                  form: kind == .synaptic ? delayForm : .taps)
            for p in hidden[0].projections.indices where hidden[0].projections[p].source == .input { hidden[0].projections[p].delays = spec }
        }
        let strength = rateStrength ?? (task == .evidence ? 300 : 0)
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
        for ((id, a), (_, b)) in zip(eprop.named, bptt.named) {
            let c = compareGradients(a, b)
            print(String(format: "first batch, e-prop vs BPTT, %@: cosine %.7f, max relative error %.2g", id.name, c.cosine, c.maxRelativeError))
        }
        sim.zeroGradients()
    }

    /// The optimizer settings of the flags (Adam, clipping at norm 10, 10 warmup updates before a cosine decay).
    var training: TrainConfig.TrainingSection {
        var training = TrainConfig.TrainingSection()
        training.optimizer = .adam
        training.learningRate = learningRate
        training.clipNorm = 10
        training.cosine = cosine
        training.warmupSteps = 10
        return training
    }

    func run() throws {
        let batchSize = batch > 0 ? batch : (task == .sine ? 1 : 32)
        let source = SyntheticTaskSource(task, batch: batchSize, sineSteps: steps, seed: seed)
        source.evaluateEvery = evaluateEvery; source.testTrials = testTrials
        let spec = try network(inputs: source.inputs, outputs: source.outputs)
        let logURL = log.map { URL(fileURLWithPath: $0) }, checkpointURL = checkpoint.map { URL(fileURLWithPath: $0) }
        if let logURL { try WriteContract.check(logURL, flag: "--log", inputs: checkpointURL.map { [$0] } ?? []) }
        let kernel = try compile(spec, backend: backend)
        let sim = try NetworkSimulation(kernel: kernel, batch: batchSize, chunkSteps: chunkSteps)
        sim.initializeWeights(seed: seed, inputGain: inputGain ?? (task == .evidence ? 4 : 2), recurrentGain: recurrentGain, readoutGain: 1)
        let trainer = Trainer(simulation: sim, optimizer: Optimizer(training.optimizerConfig(updates: iterations)), updateEvery: updateEvery)
        var first = 1
        if resume, let checkpointURL, FileManager.default.fileExists(atPath: checkpointURL.path) {
            let state = try Checkpoint.load(checkpointURL, into: trainer)
            source.rng = state.rng
            first = state.iteration + 1
            print("resumed from \(checkpointURL.path) after iteration \(state.iteration)")
        }
        print("task \(task.rawValue): \(layers) x \(neurons) \(spec.hidden[0].neuronModel.name), batch \(batchSize), \(backend.rawValue), kernel " +
              "compiled in \(String(format: "%.1f", kernel.compileMilliseconds)) ms")
        guard first <= iterations else { return }
        if task == .exact {
            let probe = source.rng
            try Self.compareWithBPTT(sim, on: source.nextBatch())
            source.rng = probe
        }
        let settings = description
        var loop = ExperimentLoop(trainer: trainer) { [source] in Checkpoint.State(iteration: $0, rng: source.rng, config: settings) }
        loop.metrics = logURL; loop.metricsFlag = "--log"; loop.metricsEvery = evaluateEvery
        loop.checkpoint = checkpointURL; loop.checkpointEvery = checkpointEvery
        let start = Date()
        var history: [EpochRecord] = []
        do {
            try loop.run(source, epochs: first, through: iterations, of: iterations, history: &history, onEpoch: { record in
                guard record.epoch % evaluateEvery == 0 || record.epoch == 1 || record.epoch == iterations else { return }
                let accuracy = record.testAccuracy.map { String(format: ", test accuracy %.3f", $0) } ?? ""
                print(String(format: "iteration %5d  loss %.5f%@  (%.1f s)", record.epoch, record.trainLoss, accuracy,
                             Date().timeIntervalSince(start)))
            })
        } catch let error as NonFiniteError {
            print("error: \(error)")
            throw ExitCode(3)
        }
    }
}
extension SyntheticTaskSource.Task: ExpressibleByArgument {}
