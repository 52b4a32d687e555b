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
        let buildBar = ProgressBar(label: "building spoken digits")
        let bar = ProgressBar(label: "train", showsTiming: false)
        var barShown = false
        let line = { (text: String) in
            if barShown { bar.finish(); barShown = false }
            printNow(text)
        }
        do {
            _ = try TrainRun(config: resolved, output: URL(fileURLWithPath: out), resume: resume, overwrite: overwrite)
                .run(group: group, say: line, building: { done, total in buildBar.update(done, of: total, detail: "utterances") },
                     progress: { p in
                         barShown = group.rank == 0
                         let accuracy = p.accuracy.map { String(format: " acc %.3f", $0) } ?? ""
                         bar.update(p.batch, of: p.batches, detail: String(format: "epoch %d/%d loss %.3f%@ %.0f samples/s ETA %.0f s",
                                                                           p.epoch, p.epochs, p.loss, accuracy, p.samplesPerSecond, p.etaSeconds))
                     }, epochDone: line)
        } catch let refusal as RunFolderRefusal {
            throw ValidationError(refusal.description.replacingOccurrences(of: URL(fileURLWithPath: out).path, with: out))
        }
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
        let (state, dataset, result) = try SpeechExperiment.evaluating(checkpoint: url, data: data.map(URL.init(fileURLWithPath:)),
                                                                       outputs: outputs != nil, spikes: spikes) { warning in
            FileHandle.standardError.write(Data("warning: \(warning)\n".utf8))
        }
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
