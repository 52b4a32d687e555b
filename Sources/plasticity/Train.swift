import ArgumentParser
import Foundation
import Plasticity
import PlasticityData

/// `plasticity train`: the main job. Spoken digits by default (the set is built with espeak-ng
/// on first use and cached), recurrent ALIF with e-prop.
struct Train: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Train a spiking network on a spike dataset (SHD layout); default: spoken digits, recurrent ALIF, e-prop.",
        discussion: "The config is JSON (see examples/configs/spoken-digits.json and README); --set a.b=value overrides one field.")

    @Option(help: "Config file (JSON); missing fields take the defaults.") var config: String?
    @Option(help: "Output directory: metrics.jsonl, checkpoints, report.html.") var out = "out/train"
    @Option(name: .customLong("set"), help: "Override one config field, e.g. --set training.epochs=5 (repeatable).") var settings: [String] = []
    @Option(parsing: .unconditional, help: "Shorthand for --set training.epochs=N.") var epochs: Int?
    @Option(help: "Shorthand for --set training.method=METHOD.") var method: TrainingMethod?
    @Option(help: "Shorthand for --set data.directory=DIR.") var data: String?
    @Flag(help: "Continue after the last completed epoch in OUT/checkpoint.json (without --config: with the checkpoint's config and model).")
    var resume = false
    @Flag(help: "Start over in an --out folder that holds a run (its metrics and checkpoints are replaced).") var overwrite = false
    @Flag(help: "Print the resolved config and exit.") var printConfig = false

    func validate() throws {
        if out.isEmpty { throw ValidationError("--out must name a folder, not ''") }
        if resume && overwrite { throw ValidationError("--resume and --overwrite exclude each other") }
    }

    /// Under mpirun every process runs this; an error on one ends them all (MPI_Abort), since the
    /// others may be waiting for it in a collective call.
    func run() throws {
        let group = try MPIProcessGroup.start()
        do {
            try train(in: group)
            (group as? MPIProcessGroup)?.finish()
        } catch {
            guard let mpi = group as? MPIProcessGroup else { throw error }
            FileHandle.standardError.write(Data("Error (rank \(mpi.rank) of \(mpi.size)): \(error)\n".utf8))
            mpi.abort(code: 1)
        }
    }

    func train(in group: ProcessGroup) throws {
        let checkpoint = URL(fileURLWithPath: out).appendingPathComponent("checkpoint.json")
        let continuing = resume && config == nil && FileManager.default.fileExists(atPath: checkpoint.path)
        let base = continuing ? try TrainConfig.embedded(in: checkpoint) : TrainConfig()
        var resolved = try config.map { try TrainConfig.read(URL(fileURLWithPath: $0)) } ?? base
        for s in settings { resolved = try resolved.setting(s) }
        // Flags enter like --set: checked once, where they are merged.
        if let epochs { resolved = try resolved.merging(["training": ["epochs": epochs]], file: "--epochs") }
        if let method { resolved = try resolved.merging(["training": ["method": method.rawValue]], file: "--method") }
        if let data { resolved = try resolved.merging(["data": ["directory": data]], file: "--data") }
        if printConfig { if group.rank == 0 { print(resolved.json) }; return }
        let output = URL(fileURLWithPath: out)
        let lock = group.rank == 0 ? try prepare(output) : nil
        defer { withExtendedLifetime(lock) {} }
        // A refused resume costs nothing: checked before any data is built or read.
        if resume && FileManager.default.fileExists(atPath: checkpoint.path) { try resolved.checkResumable(from: checkpoint) }
        let buildBar = ProgressBar(label: "building spoken digits")
        let experiment = try SpeechExperiment(config: resolved, output: output, group: group) { done, total in
            buildBar.update(done, of: total, detail: "utterances")
        }
        let say = group.rank == 0 ? printNow : { _ in }
        let t = resolved.training
        let processes = group.size > 1 ? " over \(group.size) processes" : ""
        say("train: \(experiment.train.samples.count) samples, validation \(experiment.validation?.samples.count ?? 0), test " +
            "\(experiment.test.samples.count); "
          + "\(experiment.spec.inputs) inputs x \(experiment.spec.hidden.map { "\($0.neurons) \($0.model.name)" }.joined(separator: " x ")) -> " +
            "\(experiment.spec.outputs); "
          + "\(t.method), \(t.epochs) epochs of \(experiment.batchesPerEpoch) batches of \(t.batch)\(processes); kernel compiled in "
          + String(format: "%.0f ms (%@)", experiment.compileMilliseconds, resolved.network.backend.rawValue))
        let spiking = experiment.spec.hidden[0].checkedModel?.isSpiking ?? true, stepMs = experiment.spec.stepMs
        let bar = ProgressBar(label: "train", showsTiming: false)
        var lastEpoch = 0
        let started = Date()
        try experiment.run(resume: resume) { p in
            if p.epoch != lastEpoch, lastEpoch > 0, let r = experiment.history.last {
                bar.finish()
                printNow(Self.describe(r, spiking: spiking, stepMs: stepMs))
            }
            lastEpoch = p.epoch
            let accuracy = p.accuracy.map { String(format: " acc %.3f", $0) } ?? ""
            bar.update(p.batch, of: p.batches, detail: String(format: "epoch %d/%d loss %.3f%@ %.0f samples/s ETA %.0f s",
                                                              p.epoch, p.epochs, p.loss, accuracy, p.samplesPerSecond, p.etaSeconds))
        }
        if group.rank == 0 { bar.finish() }
        if let r = experiment.history.last { say(Self.describe(r, spiking: spiking, stepMs: stepMs)) }
        // The best checkpoint (by validation accuracy) on the test set; every process evaluates its share,
        // once rank 0 has written it.
        try group.barrier()
        var summary = "final test accuracy \(String(format: "%.4f", experiment.history.last?.testAccuracy ?? 0))"
        if FileManager.default.fileExists(atPath: experiment.bestURL.path) {
            let state = try Checkpoint.load(experiment.bestURL, into: experiment.trainer)
            let best = try experiment.evaluate(experiment.test)
            let chosen = experiment.validation == nil ? "no validation split: best.json is the last epoch's checkpoint"
                : "best-validation checkpoint"
            summary += String(format: "; %@ (epoch %d): test accuracy %.4f", chosen, state.iteration, best.accuracy)
            if group.rank == 0 {
                let report = try SpeechReport(experiment: experiment, evaluation: best,
                                              checkpointEpoch: state.iteration).write(to: output.appendingPathComponent("report.html"))
                summary += "\nreport: \(report.path)"
            }
        }
        say(summary + String(format: "\n(%.0f s)", Date().timeIntervalSince(started)))
    }

    /// Rank 0, before anything in the folder is read or removed: takes the folder's lock, refuses
    /// to mix runs or to replace a file the project did not write, and with --overwrite removes the
    /// old run's files (those the folder's ledger proves, nothing else). The lock is held to the end.
    func prepare(_ output: URL) throws -> RunLock {
        let lock = try RunLock(folder: output)
        let names = (try? FileManager.default.contentsOfDirectory(atPath: output.path)) ?? []
        let held = ["checkpoint.json", "metrics.jsonl", "best.json"].filter(names.contains)
        if !resume && !overwrite && !held.isEmpty {
            throw ValidationError("\(out) holds a run (\(held.joined(separator: ", "))): continue it with --resume, or start over with --overwrite")
        }
        let foreign = try WriteContract.foreign(names.filter(SpeechExperiment.isRunFile).sorted(), in: output)
        guard foreign.isEmpty else {
            let them = foreign.count == 1 ? "it" : "them"
            throw ValidationError("\(out) holds \(foreign.joined(separator: ", ")), not written by plasticity (or changed since): a run " +
                                  "would replace \(them), so nothing is done; move \(them) away or choose another --out")
        }
        if overwrite && !resume {   // the old run's files go first, so none of them can be taken for the new run's
            try WriteContract.removeOwned(in: output, matching: SpeechExperiment.isRunFile)
        }
        return lock
    }

    /// One epoch's line; a rate (non-spiking) first layer reports its mean output per step, not Hz.
    static func describe(_ r: EpochRecord, spiking: Bool, stepMs: Double) -> String {
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

/// `plasticity eval CHECKPOINT --data FILE`: accuracy and confusion matrix.
struct Eval: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Evaluate a checkpoint of `plasticity train` on a spike file: accuracy and " +
                                                              "confusion matrix.")
    @Argument(help: "checkpoint.json or best.json from a train output directory.") var checkpoint: String
    @Option(help: "A spike file in the SHD layout (default: the config's test.h5).") var data: String?
    @Option(help: ArgumentHelp("Write each sample's outputs to this safetensors file: prediction [N], label [N], readout [N][T][n_out] " +
                               "(float32), label_from [1] (the first step the prediction sums the readout over)."))
    var outputs: String?
    @Flag(help: "With --outputs: also the input, input [N][T][n_in], and each hidden layer's spikes, spikes.layer<l> [N][T][n].")
    var spikes = false
    @Flag(help: "Replace --outputs even when plasticity did not write it.") var overwrite = false

    func validate() throws {
        if outputs?.isEmpty == true { throw ValidationError("--outputs must name a file, not ''") }
        if spikes && outputs == nil { throw ValidationError("--spikes needs --outputs FILE") }
    }

    func run() throws {
        let url = URL(fileURLWithPath: checkpoint)
        let inputs = [url, try Checkpoint.weightsURL(url)] + (data.map { [URL(fileURLWithPath: $0)] } ?? [])
        if let outputs { try WriteContract.check(URL(fileURLWithPath: outputs), flag: "--outputs", overwrite: overwrite, inputs: inputs) }
        var config = try TrainConfig.embedded(in: url)
        config.data.build = false
        let stored = try Checkpoint.embedded(url).keys
        let experiment: SpeechExperiment, dataset: SpikeDataset
        if let data {
            // Only the checkpoint and FILE: the readout's width comes from the weights, the input width from data.channels.
            let weights = try SafeTensors.read(try Checkpoint.weightsURL(url))
            guard let outputs = weights.tensors[TensorID.readoutBias.name]?.shape.first else {
                throw FileFormatError(file: url.path, field: TensorID.readoutBias.name, message: "is missing from the weights")
            }
            let file = try SpikeFile(URL(fileURLWithPath: data))
            guard file.classCount <= outputs else {
                throw FileFormatError(file: data, field: "labels", message: "\(file.classCount) classes, the checkpoint's readout has \(outputs)")
            }
            if let stored, let keys = file.keys, keys != stored {
                FileHandle.standardError.write(Data(("warning: \(data) names its classes \(SpeechExperiment.describe(keys)), the checkpoint " +
                                                     "was trained on \(SpeechExperiment.describe(stored)): accuracy compares label numbers\n").utf8))
            }
            dataset = try SpikeDataset(file: file, binning: config.data.binning, channels: config.data.channels, classCount: outputs,
                                       field: "data.channels")
            let sets = SpeechExperiment.Datasets(train: dataset, validation: nil, test: dataset, classes: outputs)
            experiment = try SpeechExperiment(config: config, output: url.deletingLastPathComponent(), data: sets)
        } else {
            experiment = try SpeechExperiment(config: config, output: url.deletingLastPathComponent())
            dataset = experiment.test
        }
        let state = try Checkpoint.load(url, into: experiment.trainer)
        let result = try experiment.evaluate(dataset, outputs: outputs != nil, spikes: spikes)
        if let outputs, let samples = result.samples {
            try Self.write(samples, steps: dataset.steps, to: outputs, overwrite: overwrite, inputs: inputs)
        }
        print(String(format: "%@ (epoch %d) on %@: accuracy %.4f (%d samples), loss %.4f", checkpoint, state.iteration, dataset.file, result.accuracy,
                     dataset.samples.count, result.loss))
        print("confusion matrix (rows: label, columns: prediction):")
        let width = max(3, String(result.confusion.flatMap { $0 }.max() ?? 0).count + 1)
        func pad(_ s: String) -> String { String(repeating: " ", count: max(0, width - s.count)) + s }
        print(pad("") + "  " + (0..<result.confusion.count).map { pad(String($0)) }.joined())
        for (label, row) in result.confusion.enumerated() {
            let name = dataset.keys.flatMap { label < $0.count ? $0[label] : nil } ?? ""
            print(pad(String(label)) + "  " + row.map { pad(String($0)) }.joined() + "  " + name)
        }
    }
}

extension Eval {
    /// The samples' outputs as safetensors (float32; classes as whole numbers), in the data's order.
    static func write(_ samples: SpeechExperiment.SampleOutputs, steps T: Int, to path: String, overwrite: Bool, inputs: [URL]) throws {
        let N = samples.predictions.count, nOut = samples.readouts.first.map { $0.count / max(T, 1) } ?? 0
        var file = SafeTensors()
        file.tensors["prediction"] = .init(shape: [N], values: samples.predictions.map(Float.init))
        file.tensors["label"] = .init(shape: [N], values: samples.labels.map(Float.init))
        file.tensors["readout"] = .init(shape: [N, T, nOut], values: samples.readouts.flatMap { $0 })
        file.tensors["label_from"] = .init(shape: [1], values: [Float(samples.labelFrom)])
        if let inputs = samples.inputs, let first = inputs.first {
            file.tensors["input"] = .init(shape: [N, T, first.count / max(T, 1)], values: inputs.flatMap { $0 })
        }
        for (l, _) in (samples.spikes?.first ?? []).enumerated() {
            let layer = samples.spikes!.map { $0[l] }
            file.tensors["spikes.layer\(l)"] = .init(shape: [N, T, (layer.first?.count ?? 0) / max(T, 1)], values: layer.flatMap { $0 })
        }
        _ = try file.write(to: URL(fileURLWithPath: path), flag: "--outputs", overwrite: overwrite, inputs: inputs)
        print("outputs of \(N) samples: \(path)")
    }
}

/// Prints and flushes, so that lines reach a log file as they happen (stdout is block-buffered there).
func printNow(_ line: String) {
    print(line)
    fflush(nil)
}
