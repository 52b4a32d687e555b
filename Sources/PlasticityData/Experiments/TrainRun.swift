import Foundation
import Plasticity

/// A run folder a command refuses to use (it holds another run, or files Plasticity did not
/// write): nothing was read, removed or written. The CLI reports it as a usage error.
public struct RunFolderRefusal: Error, CustomStringConvertible, Sendable {
    public var description: String
}

/// `plasticity train` as a library call, for the CLI and the C ABI alike: the folder is prepared
/// (locked; another run or a foreign file refused; with `overwrite` the old run's own files
/// removed), the experiment runs and the best checkpoint is tested and reported.
public struct TrainRun {
    public var config: TrainConfig
    public var output: URL
    public var resume = false, overwrite = false

    public init(config: TrainConfig, output: URL, resume: Bool = false, overwrite: Bool = false) {
        self.config = config; self.output = output; self.resume = resume; self.overwrite = overwrite
    }

    /// What a finished run reports: the last epoch's test accuracy and the best checkpoint's.
    public struct Summary: Sendable {
        public var finalTestAccuracy: Double?
        public var bestEpoch: Int?, bestTestAccuracy: Double?
        public var report: URL?
        public var seconds: Double
        public var lines: [String]
    }

    /// Rank 0, before anything in the folder is read or removed: takes the folder's lock, refuses
    /// to mix runs or to replace a file the project did not write, and with `overwrite` removes the
    /// old run's files (those the folder's ledger proves, nothing else). Hold the lock to the end.
    public func prepare() throws -> RunLock {
        let lock = try RunLock(folder: output)
        let names = (try? FileManager.default.contentsOfDirectory(atPath: output.path)) ?? []
        let held = ["checkpoint.json", "metrics.jsonl", "best.json"].filter(names.contains)
        if !resume && !overwrite && !held.isEmpty {
            throw RunFolderRefusal(description: "\(output.path) holds a run (\(held.joined(separator: ", "))): continue it with --resume, or " +
                                   "start over with --overwrite")
        }
        let foreign = try WriteContract.foreign(names.filter(SpeechExperiment.isRunFile).sorted(), in: output)
        guard foreign.isEmpty else {
            let them = foreign.count == 1 ? "it" : "them"
            throw RunFolderRefusal(description: "\(output.path) holds \(foreign.joined(separator: ", ")), not written by plasticity (or " +
                                   "changed since): a run would replace \(them), so nothing is done; move \(them) away or choose another --out")
        }
        if overwrite && !resume {   // the old run's files go first, so none of them can be taken for the new run's
            try WriteContract.removeOwned(in: output, matching: SpeechExperiment.isRunFile)
        }
        return lock
    }

    /// Runs the experiment; `say` gets the lines the CLI prints (rank 0), `building` the data
    /// build's progress, `progress` each batch's.
    public func run(group: ProcessGroup = SingleProcess(), say: (String) -> Void = { _ in },
                    building: @escaping @Sendable (Int, Int) -> Void = { _, _ in }, progress: (ExperimentProgress) -> Void = { _ in },
                    epochDone: (String) -> Void = { _ in }) throws -> Summary {
        let lock = group.rank == 0 ? try prepare() : nil
        defer { withExtendedLifetime(lock) {} }
        var lines: [String] = []
        func announce(_ line: String) { lines.append(line); if group.rank == 0 { say(line) } }
        let checkpoint = output.appendingPathComponent("checkpoint.json")
        // A refused resume costs nothing: checked before any data is built or read.
        if resume && FileManager.default.fileExists(atPath: checkpoint.path) { try config.checkResumable(from: checkpoint) }
        let experiment = try SpeechExperiment(config: config, output: output, group: group, buildProgress: building)
        let t = config.training
        let processes = group.size > 1 ? " over \(group.size) processes" : ""
        announce("train: \(experiment.train.samples.count) samples, validation \(experiment.validation?.samples.count ?? 0), test " +
            "\(experiment.test.samples.count); "
          + "\(experiment.spec.inputs) inputs x \(experiment.spec.hidden.map { "\($0.neurons) \($0.model.name)" }.joined(separator: " x ")) -> " +
            "\(experiment.spec.outputs); "
          + "\(t.method), \(t.epochs) epochs of \(experiment.batchesPerEpoch) batches of \(t.batch)\(processes); kernel compiled in "
          + String(format: "%.0f ms (%@)", experiment.compileMilliseconds, config.network.backend.rawValue))
        let spiking = experiment.spec.hidden[0].checkedModel?.isSpiking ?? true, stepMs = experiment.spec.stepMs
        var lastEpoch = 0
        let started = Date()
        try experiment.run(resume: resume) { p in
            if p.epoch != lastEpoch, lastEpoch > 0, let r = experiment.history.last {
                let line = Self.describe(r, spiking: spiking, stepMs: stepMs)
                lines.append(line)
                epochDone(line)
            }
            lastEpoch = p.epoch
            progress(p)
        }
        if let r = experiment.history.last { announce(Self.describe(r, spiking: spiking, stepMs: stepMs)) }
        // The best checkpoint (by validation accuracy) on the test set; every process evaluates its share,
        // once rank 0 has written it.
        try group.barrier()
        var summary = Summary(finalTestAccuracy: experiment.history.last?.testAccuracy, seconds: 0, lines: [])
        var text = "final test accuracy \(String(format: "%.4f", summary.finalTestAccuracy ?? 0))"
        if FileManager.default.fileExists(atPath: experiment.bestURL.path) {
            let state = try Checkpoint.load(experiment.bestURL, into: experiment.trainer)
            let best = try experiment.evaluate(experiment.test)
            let chosen = experiment.validation == nil ? "no validation split: best.json is the last epoch's checkpoint"
                : "best-validation checkpoint"
            text += String(format: "; %@ (epoch %d): test accuracy %.4f", chosen, state.iteration, best.accuracy)
            (summary.bestEpoch, summary.bestTestAccuracy) = (state.iteration, best.accuracy)
            if group.rank == 0 {
                summary.report = try SpeechReport(experiment: experiment, evaluation: best,
                                                  checkpointEpoch: state.iteration).write(to: output.appendingPathComponent("report.html"))
                text += "\nreport: \(summary.report!.path)"
            }
        }
        summary.seconds = Date().timeIntervalSince(started)
        announce(text + String(format: "\n(%.0f s)", summary.seconds))
        summary.lines = lines
        return summary
    }

    /// One epoch's line; a rate (non-spiking) first layer reports its mean output per step, not Hz.
    public static func describe(_ r: EpochRecord, spiking: Bool, stepMs: Double) -> String {
        let validation = r.validationAccuracy.map { String(format: " validation %.3f", $0) } ?? ""
        let train = r.trainAccuracy.map { String(format: " train acc %.3f", $0) } ?? ""
        let activity = r.firingRateHz?.first ?? 0
        let test = r.testAccuracy.map {
            spiking ? String(format: "  test %.3f  rate %.1f Hz", $0, activity)
                : String(format: "  test %.3f  mean output %.3g", $0, activity * stepMs / 1000)
        } ?? ""
        return String(format: "epoch %3d  loss %.4f%@%@%@  %.0f samples/s", r.epoch, r.trainLoss, train, validation, test, r.samplesPerSecond)
    }
}

extension SpeechExperiment {
    /// `plasticity eval` as a library call: a checkpoint on its config's test set, or on `data`
    /// (then only the checkpoint and that file are read: the readout's width from the weights, the
    /// input width from data.channels). `warn` gets what the CLI prints as a warning.
    public static func evaluating(checkpoint url: URL, data: URL?, outputs: Bool = false, spikes: Bool = false,
                                  warn: (String) -> Void = { _ in }) throws -> (state: Checkpoint.State, dataset: SpikeDataset,
                                                                                 result: Evaluation) {
        var config = try TrainConfig.embedded(in: url)
        config.data.build = false
        let stored = try Checkpoint.embedded(url).keys
        let experiment: SpeechExperiment, dataset: SpikeDataset
        if let data {
            let weights = try SafeTensors.read(try Checkpoint.weightsURL(url))
            guard let outputs = weights.tensors[TensorID.readoutBias.name]?.shape.first else {
                throw FileFormatError(file: url.path, field: TensorID.readoutBias.name, message: "is missing from the weights")
            }
            let file = try SpikeFile(data)
            guard file.classCount <= outputs else {
                throw FileFormatError(file: data.path, field: "labels",
                                      message: "\(file.classCount) classes, the checkpoint's readout has \(outputs)")
            }
            if let stored, let keys = file.keys, keys != stored {
                warn("\(data.path) names its classes \(describe(keys)), the checkpoint was trained on \(describe(stored)): accuracy " +
                     "compares label numbers")
            }
            dataset = try SpikeDataset(file: file, binning: config.data.binning, channels: config.data.channels, classCount: outputs,
                                       field: "data.channels")
            let sets = Datasets(train: dataset, validation: nil, test: dataset, classes: outputs)
            experiment = try SpeechExperiment(config: config, output: url.deletingLastPathComponent(), data: sets)
        } else {
            experiment = try SpeechExperiment(config: config, output: url.deletingLastPathComponent())
            dataset = experiment.test
        }
        let state = try Checkpoint.load(url, into: experiment.trainer)
        return (state, dataset, try experiment.evaluate(dataset, outputs: outputs, spikes: spikes))
    }
}
