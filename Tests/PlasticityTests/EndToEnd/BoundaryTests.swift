import Foundation
#if canImport(Glibc)
import Glibc
#endif
@testable import Plasticity
import Testing
@testable import PlasticityData

/// Values from outside are checked where they enter: each case here trapped, ran silently wrong
/// or lost data before, and must now end in an error naming the file or flag and the field.
@Suite(.serialized) struct BoundaryTests {
    func run(_ arguments: [String]) throws -> (status: Int32, output: String) { try PlasticityProcess.run(arguments) }

    /// Config values out of range (several trapped in the memory check, the binning or the label
    /// arithmetic): each `--set` is refused naming its own field.
    @Test func trainConfigValuesOutOfRangeNameTheirField() throws {
        let cases = ["network.neurons=3e9", "network.neurons=1e18", "training.chunkSteps=3e9", "training.labelFromMs=5000",
                     "training.labelFromMs=-100", "training.labelFromMs=1e300", "training.shiftMs=1e300",
                     "training.shiftChannels=9223372036854775807", "data.binning.pool=9223372036854775807", "data.binning.binMs=1e-300",
                     "training.epochs=0", "training.epochs=-1", "network.membraneMs=-5", "network.threshold=-1", "data.binning.maxCount=-1",
                     "data.testEvery=0", "data.speakers=-3", "network.readoutMs=-50", "training.threads=0", "data.limit=-5",
                     "training.learningRate=0", "data.channels=0", "training.beta2=1", "training.momentum=-0.1", "training.weightDecay=2",
                     "training.warmupSteps=-1"]
        for assignment in cases {
            let field = String(assignment.prefix { $0 != "=" })
            let error = #expect(throws: FileFormatError.self, "\(assignment)") { try TrainConfig().setting(assignment) }
            #expect(error?.file == "--set" && error?.field == field, "\(assignment): \(String(describing: error))")
        }
        // The readout model as a hidden layer trained silently.
        let readout = #expect(throws: FileFormatError.self) { try TrainConfig().setting("network.model=readout").networkSpec(inputs: 4, classes: 2) }
        #expect(readout?.field == "hidden[0].model" && readout?.message.contains("network's own readout") == true)
        #expect(throws: FileFormatError.self) { try SpeechExperiment(config: { var c = TrainConfig(); c.training.epochs = 0; return c }(),
                                                                     output: scratchDirectory("epochs")) }
    }

    /// Sizes that do not fit the kernels' C ints or memory are refused before anything is allocated.
    @Test func oversizedNetworksAreRefusedNotTrapped() throws {
        let huge = NetworkSpec(inputs: 4, hidden: [.init(Models.lif(), neurons: 3_000_000_000)], outputs: 2, kappa: 0.9)
        #expect(throws: NetworkError.self) { try huge.check() }
        let spec = NetworkSpec(inputs: 4, hidden: [.init(Models.lif(), neurons: 2_000_000_000, recurrent: true)], outputs: 2, kappa: 0.9)
        let kernel = try compile(spec, backend: .tinyCC)
        #expect(throws: ResourceError.self) { try NetworkSimulation(kernel: kernel, batch: 32, chunkSteps: 100) }
        let small = try compile(NetworkSpec(inputs: 4, hidden: [.init(Models.lif(), neurons: 8)], outputs: 2, kappa: 0.9), backend: .tinyCC)
        #expect(throws: ResourceError.self) { try NetworkSimulation(kernel: small, batch: 4, chunkSteps: 3_000_000_000) }
    }

    /// A label equal to n_out made BPTT trap and the C kernel read past the readout row; 2.7 was
    /// truncated and NaN meant "no loss".
    @Test func labelsOutsideTheReadoutAreNamed() {
        let spec = NetworkSpec(inputs: 4, hidden: [.init(Models.lif(), neurons: 8)], outputs: 3, kappa: 0.9)
        #expect(spec.invalidTarget(in: [0, 2, -1]) == nil)
        #expect(spec.invalidTarget(in: [0, 3])?.index == 1)
        #expect(spec.invalidTarget(in: [2.7])?.message.contains("not a class label") == true)
        #expect(spec.invalidTarget(in: [1, .nan])?.index == 1)
    }

    @Test func gradcheckRefusesBadInputFilesAndRunsEpropAsTheTrainerDoes() throws {
        let folder = try scratchDirectory("gradcheck-inputs")
        var file = SafeTensors()
        file.tensors["input"] = .init(shape: [5, 2, 20], values: [Float](repeating: 1, count: 200))
        file.tensors["targets"] = .init(shape: [5, 2], values: [0, 1, 2, 0, 1, 2, 3, 0, 1, 2])   // 3 = n_out
        try file.write(to: folder.appendingPathComponent("bad-label.safetensors"))
        let label = try run(["gradcheck", "--inputs", folder.appendingPathComponent("bad-label.safetensors").path, "--backend", "tinyCC"])
        #expect(label.status != 0 && label.output.contains("targets[6]") && label.output.contains("not a class label"), "\(label.output)")
        file.tensors["targets"] = .init(shape: [5, 2], values: [Float](repeating: 1, count: 10))
        file.tensors["inputs"] = .init(shape: [1], values: [0])
        try file.write(to: folder.appendingPathComponent("extra.safetensors"))
        let extra = try run(["gradcheck", "--inputs", folder.appendingPathComponent("extra.safetensors").path, "--backend", "tinyCC"])
        #expect(extra.status != 0 && extra.output.contains("inputs: is not a tensor gradcheck reads"), "\(extra.output)")
        for synthetic in ["-5,3,0.1", "1e11,3,0.1", "10,3,1.5"] {
            let bad = try run(["gradcheck", "--synthetic=\(synthetic)"])
            #expect(bad.status != 0 && bad.output.contains("--synthetic"), "\(synthetic): \(bad.output)")
        }
        // The time-summed loss spans the whole sequence: e-prop (one call) equals BPTT.
        let config = folder.appendingPathComponent("summed.json")
        try #"{"inputs": 20, "outputs": 3, "kappa": 0.95, "loss": "crossEntropySummed", "hidden": [{"model": "lif", "neurons": 16}]}"#
            .write(to: config, atomically: true, encoding: .utf8)
        let summed = try run(["gradcheck", "--config", config.path, "--synthetic", "100,4,0.2", "--backend", "tinyCC", "--json"])
        try #require(summed.status == 0, "\(summed.output)")
        let json = try JSONSerialization.jsonObject(with: Data(summed.output.utf8)) as! [String: Any]
        let losses = json["losses"] as! [String: Double]
        #expect(abs(losses["eprop"]! - losses["bptt"]!) <= 1e-4 * abs(losses["bptt"]!), "\(losses)")
        for row in json["comparisons"] as! [[String: Any]] {
            #expect((row["cosine"] as! NSNumber).doubleValue >= 0.99999, "\(row)")
        }
        #expect((json["firing_rate"] as? Double ?? 0) > 0)
    }

    /// A unit of 4e9 or a time of 3e38 (a one-byte mutant of a real file) trapped in the binning.
    @Test func spikeValuesOutOfRangeAreNamedOrSkipped() throws {
        let folder = try scratchDirectory("spike-values")
        let units = folder.appendingPathComponent("units.h5"), times = folder.appendingPathComponent("times.h5")
        try SpikeFile.write([SpikeSample(times: [0.1, 0.2], units: [1, 4_000_000_000], label: 0)], keys: nil, to: units)
        let error = #expect(throws: FileFormatError.self) { try SpikeDataset(file: SpikeFile(units), binning: SpikeBinning()) }
        #expect(error?.field == "spikes/units[0]", "\(String(describing: error))")
        try SpikeFile.write([SpikeSample(times: [0.1, 3e38], units: [1, 2], label: 0)], keys: nil, to: times)
        let data = try SpikeDataset(file: SpikeFile(times), binning: SpikeBinning())
        #expect(data.samples[0].events.count == 1)   // the spike at 3e38 s lies after the last bin
    }

    /// Deep expressions end in an error at a stated depth, not a stack overflow.
    @Test func deepExpressionsAreRefusedAtAStatedDepth() throws {
        var chain: Expr = .symbol("v")
        for _ in 0..<10_000 { chain = .binary(.add, chain, .symbol("I")) }
        let deep = chain
        let model = NeuronModel("Deep") {
            Input("I"); State("v")
            Update("v") { _ in deep }
            Spike(surrogate: .boxcar(scale: 1)) { $0.v }
        }
        let error = #expect(throws: ModelError.self) { try model.checked() }
        #expect(error?.message.contains("nested more than \(NeuronModel.maxExpressionDepth)") == true)
    }

    /// A wide model (4,096 distinct product terms, 12,000 graph vertices) lowers through the
    /// large-graph path of the planner (its plan verified in debug builds) and compiles; it took
    /// 90 s in a debug build when edge lookups and the planner's greedy orders were quadratic.
    @Test func wideModelsLowerAndCompile() throws {
        var counter = 0.0
        func tree(_ depth: Int) -> Expr {
            if depth == 0 { counter += 1; return .binary(.multiply, .symbol("v"), .constant(counter / 8192)) }
            return .binary(.add, tree(depth - 1), tree(depth - 1))
        }
        let sum = tree(12)
        let model = NeuronModel("Wide") {
            Input("I"); State("v")
            Update("v") { $0.I + sum }
            Spike(surrogate: .boxcar(scale: 1)) { $0.v }
        }
        let stages = try lower(LayerSpec(model: model))
        #expect(stages.graph.vertices.count > 12_000 && stages.plan.candidates.map(\.kind) == [.forward, .reverse, .search])
        _ = try Kernel(stages: stages, backend: .tinyCC)
    }

    /// Data is never lost: the set builder leaves a user's files alone, a finished run needs
    /// --resume or --overwrite, a second writer is refused, a resume keeps its config, and a
    /// metrics line that is not a record stops the resume.
    @Test func runsAndDataAreNeverOverwrittenSilently() throws {
        let folder = try scratchDirectory("no-loss")
        try Data("mine".utf8).write(to: folder.appendingPathComponent("train.h5"))
        var section = TrainConfig.DataSection()
        section.directory = folder.path
        let build = #expect(throws: FileFormatError.self) { try SpeechExperiment.buildIfNeeded(section, into: folder) { _, _ in } }
        #expect(build?.field == "data.build" && build?.message.contains("not built by plasticity") == true)
        #expect(try String(contentsOf: folder.appendingPathComponent("train.h5"), encoding: .utf8) == "mine")

        // A build killed half way (its marker says so) is redone, never used; files it wrote are its own.
        let killed = try scratchDirectory("killed-build")
        try WriteContract.write(Data("half".utf8), to: killed.appendingPathComponent("train.h5"))
        var small = TrainConfig.DataSection()
        small.speakers = 2; small.repetitions = 1; small.testEvery = 2
        try WriteContract.write(Data("building: an earlier build".utf8), to: killed.appendingPathComponent("build.txt"))
        try SpeechExperiment.buildIfNeeded(small, into: killed) { _, _ in }
        #expect(try SpikeFile(killed.appendingPathComponent("train.h5")).count > 0)
        #expect(try !String(contentsOf: killed.appendingPathComponent("build.txt"), encoding: .utf8).hasPrefix("building"))
        // Temporary files of killed writes are removed when the next run takes the folder.
        try Data().write(to: killed.appendingPathComponent(".checkpoint.json.tmp-12345"))
        _ = try RunLock(folder: killed)
        #expect(!FileManager.default.fileExists(atPath: killed.appendingPathComponent(".checkpoint.json.tmp-12345").path))

        let out = folder.appendingPathComponent("run")
        let settings = ["data.directory=\(TinySpokenDigits.directory.path)", "data.build=false", "data.validationEvery=0", "data.binning.steps=80",
                        "network.neurons=16", "network.backend=tinyCC", "training.batch=16"].flatMap { ["--set", $0] }
        let first = try run(["train", "--epochs", "1", "--out", out.path] + settings)
        try #require(first.status == 0, "\(first.output)")
        let again = try run(["train", "--epochs", "1", "--out", out.path] + settings)
        #expect(again.status != 0 && again.output.contains("--resume, or start over with --overwrite"), "\(again.output)")
        let changed = try run(["train", "--epochs", "2", "--resume", "--out", out.path, "--set", "training.batch=8"] + settings.dropLast(2))
        #expect(changed.status != 0 && changed.output.contains("training.batch: 16 then, 8 now"), "\(changed.output)")
        // This process holds the folder's lock, as a running trainer would.
        let descriptor = open(out.appendingPathComponent(".lock").path, O_RDWR)
        try #require(descriptor >= 0 && flock(descriptor, LOCK_EX | LOCK_NB) == 0)
        let locked = try run(["train", "--epochs", "2", "--resume", "--out", out.path])
        close(descriptor)
        #expect(locked.status != 0 && locked.output.contains("another plasticity run is writing this folder"), "\(locked.output)")
        let metrics = out.appendingPathComponent("metrics.jsonl")
        let logged = try String(contentsOf: metrics, encoding: .utf8)
        // Edited by hand: the user's file now, so the run refuses to replace it.
        try (logged + "garbage\n").write(to: metrics, atomically: true, encoding: .utf8)
        let edited = try run(["train", "--epochs", "2", "--resume", "--out", out.path])
        #expect(edited.status != 0 && edited.output.contains("metrics.jsonl, not written by plasticity"), "\(edited.output)")
        // Damaged under a ledger that proves it (as a disk error would leave it): named by line.
        try WriteContract.write(Data((logged + "garbage\n").utf8), to: metrics, overwrite: true)
        let garbage = try run(["train", "--epochs", "2", "--resume", "--out", out.path])
        #expect(garbage.status != 0 && garbage.output.contains("metrics.jsonl: line 2: is not an epoch record"), "\(garbage.output)")
        // A last line without its newline is a torn write, not garbage: the resume redoes its epoch.
        try WriteContract.write(Data((logged + #"{"epoch": 2, "trainLo"#).utf8), to: metrics, overwrite: true)
        let torn = try run(["train", "--epochs", "2", "--resume", "--out", out.path])
        #expect(torn.status == 0, "\(torn.output)")
        #expect(try String(contentsOf: metrics, encoding: .utf8).split(separator: "\n").count == 2)
        let file = try run(["train", "--epochs", "1", "--out", metrics.path])
        #expect(file.status != 0 && file.output.contains("--out: is a file, not a folder"), "\(file.output)")
    }

    /// A FIFO as a data file blocked forever; a manifest error named an empty field (": :").
    @Test func unclearErrorsNameTheFileAndField() throws {
        let folder = try scratchDirectory("unclear")
        let fifo = folder.appendingPathComponent("config.json")
        try #require(mkfifo(fifo.path, 0o600) == 0)
        for read in [{ _ = try TrainConfig.read(fifo) }, { _ = try SpikeFile(fifo) }, { _ = try SafeTensors.read(fifo) }] as [() throws -> Void] {
            let error = #expect(throws: FileFormatError.self) { try read() }
            #expect(error?.file == fifo.path && error?.message.contains("not a regular file") == true, "\(String(describing: error))")
        }
        let manifest = folder.appendingPathComponent("checkpoint.json")
        try #"{"format": 2, "weights": "w.safetensors"}"#.write(to: manifest, atomically: true, encoding: .utf8)
        let error = #expect(throws: FileFormatError.self) { try Checkpoint.weightsURL(manifest) }
        #expect(error?.field == "format" && error?.message.contains("wrong type") == true, "\(String(describing: error))")
        let evaluation = NonFiniteError(update: 3, step: 7, tensor: "layer0.state", duringEvaluation: true)
        #expect(evaluation.description.hasPrefix("evaluation stopped: layer0.state became non-finite at step 7"))
    }

    /// A batch-first input file (it ran with T and B swapped) is read by its layout metadata.
    @Test func batchFirstInputsAreTransposed() throws {
        let folder = try scratchDirectory("layout")
        let spec = NetworkSpec(inputs: 2, hidden: [.init(Models.lif(), neurons: 4)], outputs: 3, kappa: 0.9)
        let (T, B) = (3, 2)
        let timeFirst = (0..<T * B * 2).map(Float.init), labels: [Float] = [0, 1, 2, 0, 1, 2]   // [t][b]
        var batchFirst = [Float](repeating: 0, count: timeFirst.count), batchLabels = labels
        for t in 0..<T { for b in 0..<B {
            for i in 0..<2 { batchFirst[(b * T + t) * 2 + i] = timeFirst[(t * B + b) * 2 + i] }
            batchLabels[b * T + t] = labels[t * B + b]
        } }
        var file = SafeTensors()
        file.tensors["input"] = .init(shape: [B, T, 2], values: batchFirst)
        file.tensors["targets"] = .init(shape: [B, T], values: batchLabels)
        file.metadata["layout"] = "batch-first"
        try file.write(to: folder.appendingPathComponent("bf.safetensors"))
        let read = try spec.readSequenceInputs(folder.appendingPathComponent("bf.safetensors").path)
        #expect(read.input == timeFirst && read.targets == labels && read.steps == T && read.batch == B)
        file.metadata["layout"] = "BTN"
        try file.write(to: folder.appendingPathComponent("unknown.safetensors"))
        let error = #expect(throws: FileFormatError.self) { try spec.readSequenceInputs(folder.appendingPathComponent("unknown.safetensors").path) }
        #expect(error?.field == "__metadata__.layout")
    }

    /// Labels beyond `extra/keys` trained, then trapped in the report: they are refused where the
    /// file is opened; a file whose keys name every label trains and reports.
    @Test func labelsBeyondTheKeysAreRefused() throws {
        let folder = try scratchDirectory("keys")
        var rng = SplitMix64(seed: 3)
        let samples = (0..<24).map { i in
            SpikeSample(times: (0..<20).map { Float($0) * 0.01 }, units: (0..<20).map { _ in UInt32(rng.next() % 8) }, label: i % 3, speaker: i % 4)
        }
        try SpikeFile.write(samples, keys: ["zero"], to: folder.appendingPathComponent("train.h5"))
        let refused = #expect(throws: FileFormatError.self) { try SpikeFile(folder.appendingPathComponent("train.h5")) }
        #expect(refused?.field == "labels[1]" && refused?.message.contains("extra/keys names 1 classes") == true, "\(String(describing: refused))")
        for name in ["train.h5", "test.h5"] { try SpikeFile.write(samples, keys: ["zero", "one", "two"], to: folder.appendingPathComponent(name)) }
        var config = TrainConfig()
        config.data.directory = folder.path; config.data.build = false; config.data.validationEvery = 0; config.data.binning.steps = 30
        config.network.neurons = 8; config.network.backend = .tinyCC; config.data.channels = 8
        config.training.batch = 8; config.training.epochs = 1; config.training.shiftMs = 0; config.training.shiftChannels = 0
        let experiment = try SpeechExperiment(config: config, output: folder.appendingPathComponent("run"))
        try experiment.run(resume: false)
        let html = try SpeechReport(experiment: experiment, evaluation: experiment.evaluate(experiment.test), checkpointEpoch: 1).html()
        #expect(html.contains("zero") && experiment.spec.outputs == 3)
        // The data counts against the memory cap (it covered only the kernel's buffers).
        let capped = #expect(throws: ResourceError.self) { try SpeechExperiment(config: config, output: folder, memoryCap: 4_000) }
        #expect(capped?.message.contains("(batch 8") == true, "\(String(describing: capped))")
    }

    /// CLI flags out of range are refused naming the flag (they trapped or hung).
    @Test func flagsOutOfRangeNameTheFlag() throws {
        let cases: [([String], String)] = [
            (["demo", "--steps=-5"], "--steps"), (["task", "sine", "--steps=-10"], "--steps"),
            (["data", "spoken-digits", "--out", "/tmp/never", "--test-every", "0"], "--test-every"),
            (["data", "spoken-digits", "--out", "/tmp/never", "--speakers=-3"], "--speakers"),
            (["data", "spoken-digits", "--out", "/tmp/never", "--onset-ms=-50"], "--onset-ms"),
            (["data", "spoken-digits", "--out", "/tmp/never", "--channels", "0"], "--channels"),
            (["demo", "--rate", "1.5"], "--rate"),
        ]
        for (arguments, flag) in cases {
            let result = try run(arguments)
            #expect(result.status != 0 && result.output.contains(flag), "\(arguments): \(result.output)")
        }
    }
}
