import Foundation
import Plasticity
import Testing
@testable import PlasticityData

/// A model that is not built in travels through every entry point: configs (path, inline,
/// `--set`), training, checkpoints (which embed it), resume (which compares it) and `eval` (which
/// rebuilds it from the checkpoint after the file is gone).
@Suite(.serialized) struct ModelTravelTests {
    static let examples = TestPaths.exampleModels

    /// A copy of an example model in a scratch folder, so tests can delete or edit it.
    func copyOfExample(_ name: String, into folder: URL) throws -> URL {
        let url = folder.appendingPathComponent(name)
        try FileManager.default.copyItem(at: Self.examples.appendingPathComponent(name), to: url)
        return url
    }

    @Test func configsTakeAPathAnInlineModelOrAName() throws {
        let folder = try scratchDirectory("model-config")
        _ = try copyOfExample("qif.json", into: folder)
        let configURL = folder.appendingPathComponent("net.json")
        try #"{"inputs": 3, "outputs": 2, "kappa": 0.9, "hidden": [{"model": "qif.json", "neurons": 4, "parameters": {"k": 0.2}}]}"#
            .write(to: configURL, atomically: true, encoding: .utf8)
        let spec = try NetworkSpec.read(configURL)
        guard case .inline(let file) = spec.hidden[0].model else { Issue.record("not resolved: \(spec.hidden[0].model)"); return }
        #expect(file.name == "QIF")
        #expect(spec.hidden[0].checkedModel?.fixedParameters["k"] == 0.2)
        // The resolved config holds the model itself: it reads back without the file.
        try FileManager.default.removeItem(at: folder.appendingPathComponent("qif.json"))
        let encoded = try JSONSerialization.jsonObject(with: JSONEncoder().encode(spec)) as! [String: Any]
        let reread = try ConfigFile.decode(NetworkSpec.self, from: encoded, file: "resolved")
        #expect(ModelFile(reread.hidden[0].neuronModel) == ModelFile(spec.hidden[0].neuronModel))
        // Constants of built-in models do not silently apply to model files.
        var constants = spec
        constants.hidden[0].constants.membraneMs = 20
        let error = #expect(throws: FileFormatError.self) { try constants.validated(file: "net.json") }
        #expect(error?.field == "hidden[0].membraneMs" && error?.message.contains("parameters") == true)
        // A missing file and an unknown parameter name their config field.
        let missing = #expect(throws: FileFormatError.self) { try TrainConfig().setting("network.model=\(folder.path)/gone.json") }
        #expect(missing?.field == "network.model" && missing?.message.contains("gone.json") == true)
        var typo = spec
        typo.hidden[0].parameters = ["kk": 0.2]
        let unknown = #expect(throws: FileFormatError.self) { try typo.validated(file: "net.json") }
        #expect(unknown?.field == "hidden[0].parameters.kk" && unknown?.message.contains("v_crit") == true)
    }

    @Test func trainConfigSetResolvesAModelFileInline() throws {
        let path = Self.examples.appendingPathComponent("resonate-and-fire.json").path
        let config = try TrainConfig().setting("network.model=\(path)")
        guard case .inline(let file) = config.network.model else { Issue.record("\(config.network.model)"); return }
        #expect(file.name == "ResonateAndFire" && config.json.contains("\"rho_cos\""))
        // The built-in constants (membraneMs, threshold, …) do not touch a model file's parameters.
        let spec = try config.networkSpec(inputs: 8, classes: 3)
        #expect(spec.hidden[0].checkedModel?.fixedParameters["threshold"] == 0.5)
        let overridden = try config.setting("network.parameters.threshold=0.7").networkSpec(inputs: 8, classes: 3)
        #expect(overridden.hidden[0].checkedModel?.fixedParameters["threshold"] == 0.7)
    }

    /// One epoch on the tiny spoken-digit set with the QIF model from its file; the checkpoint
    /// embeds it; a changed model cannot resume; the embedded one evaluates to the logged accuracy.
    @Test func checkpointsCarryTheirModels() throws {
        let folder = try scratchDirectory("model-train"), out = folder.appendingPathComponent("run")
        let modelURL = try copyOfExample("qif.json", into: folder)
        let config = try TinySpokenDigits.config(epochs: 1).setting("network.model=\(modelURL.path)")
        let experiment = try SpeechExperiment(config: config, output: out)
        try experiment.run(resume: false)
        let checkpoint = out.appendingPathComponent("checkpoint.json")
        #expect(try Checkpoint.embedded(checkpoint).models.map(\.name) == ["QIF"])
        try FileManager.default.removeItem(at: modelURL)

        let changed = try config.setting("network.parameters.threshold=0.9")
        let error = #expect(throws: FileFormatError.self) { try SpeechExperiment(config: changed, output: out).run(resume: true) }
        #expect(error?.field == "models[0]" && error?.message.contains("parameters.threshold: 0.9 here, 1.0 there") == true,
                "\(String(describing: error))")

        let embedded = try TrainConfig.embedded(in: checkpoint)
        let restored = try SpeechExperiment(config: embedded, output: out)
        _ = try Checkpoint.load(checkpoint, into: restored.trainer)
        #expect(abs(try restored.evaluate(restored.test).accuracy - (try #require(experiment.history[0].testAccuracy))) < 1e-12)
    }

    /// The user's path from the CLI: train from a model file, delete the file, evaluate the checkpoint.
    @Test func cliTrainsFromAModelFileAndEvaluatesAfterItIsGone() throws {
        let binary = PlasticityProcess.binary
        let folder = try scratchDirectory("model-cli"), out = folder.appendingPathComponent("run")
        let modelURL = try copyOfExample("resonate-and-fire.json", into: folder)
        let settings = ["data.directory=\(TinySpokenDigits.directory.path)", "data.build=false", "data.validationEvery=0", "data.binning.steps=80",
                        "network.neurons=32", "network.backend=tinyCC", "training.batch=16", "training.shiftChannels=0", "training.shiftMs=0",
                        "network.model=\(modelURL.path)"]
        let train = try run(binary, ["train", "--epochs", "1", "--out", out.path] + settings.flatMap { ["--set", $0] })
        #expect(train.status == 0, "\(train.output)")
        try FileManager.default.removeItem(at: modelURL)
        let eval = try run(binary, ["eval", out.appendingPathComponent("checkpoint.json").path])
        #expect(eval.status == 0, "\(eval.output)")
        let metrics = try String(contentsOf: out.appendingPathComponent("metrics.jsonl"), encoding: .utf8)
        let record = try JSONDecoder().decode(EpochRecord.self, from: Data(metrics.split(separator: "\n")[0].utf8))
        let accuracy = try #require(record.testAccuracy)
        #expect(eval.output.contains(String(format: "accuracy %.4f", accuracy)), "\(eval.output) vs \(accuracy)")
        // The loss averages the real samples only (the test set is not a multiple of the batch: the last one is padded).
        #expect(eval.output.contains(String(format: "loss %.4f", try #require(record.testLoss))), "\(eval.output)")

        // Per-sample outputs: predictions that give the accuracy, readouts and spikes with their shapes.
        let outputs = folder.appendingPathComponent("outputs.safetensors")
        let withOutputs = try run(binary, ["eval", out.appendingPathComponent("checkpoint.json").path, "--outputs", outputs.path, "--spikes"])
        #expect(withOutputs.status == 0, "\(withOutputs.output)")
        let tensors = try SafeTensors.read(outputs).tensors
        let predictions = try #require(tensors["prediction"]).values, labels = try #require(tensors["label"]).values
        let N = predictions.count
        #expect(N > 16 && N % 16 != 0 && labels.count == N)
        #expect(abs(Double(zip(predictions, labels).filter { $0 == $1 }.count) / Double(N) - accuracy) < 1e-12)
        let classes = Int(labels.max()!) + 1
        #expect(tensors["readout"]?.shape == [N, 80, classes] && tensors["spikes.layer0"]?.shape == [N, 80, 32],
                "\(String(describing: tensors["readout"]?.shape)) \(String(describing: tensors["spikes.layer0"]?.shape))")
        let ontoCheckpoint = try run(binary, ["eval", out.appendingPathComponent("checkpoint.json").path, "--outputs",
                                              out.appendingPathComponent("checkpoint.json").path])
        #expect(ontoCheckpoint.status != 0 && ontoCheckpoint.output.contains("--outputs"), "\(ontoCheckpoint.output)")
    }

    /// Every command that takes `--model NAME` takes `--model-file PATH`, and gradcheck's e-prop
    /// equals exact BPTT for the file's model on its default network (no recurrent weights).
    @Test func everyCommandAcceptsAModelFile() throws {
        let binary = PlasticityProcess.binary
        let model = Self.examples.appendingPathComponent("resonate-and-fire.json").path
        let commands: [[String]] = [
            ["compile", "--model-file", model, "--emit", "c"],
            ["task", "exact", "--model-file", model, "--iterations", "1", "--backend", "tinyCC"],
            ["bench", "network", "--model-file", model, "--configs", "N100", "--repeats", "1", "--steps", "20", "--backends", "tinyCC", "--chunks",
             "0"],
            ["bench", "compile", "--models", "lif", "--model-file", model, "--repeats", "1"],
        ]
        for arguments in commands {
            let result = try run(binary, arguments)
            #expect(result.status == 0 && (result.output.contains("ResonateAndFire") || result.output.contains(model)),
                    "\(arguments): \(result.output)")
        }
        let check = try run(binary, ["gradcheck", "--model-file", model, "--synthetic", "100,4,0.2", "--backend", "tinyCC", "--json"])
        try #require(check.status == 0, "\(check.output)")
        let json = try JSONSerialization.jsonObject(with: Data(check.output.utf8)) as! [String: Any]
        for row in json["comparisons"] as! [[String: Any]] {
            #expect((row["cosine"] as! NSNumber).doubleValue >= 0.99999 && (row["max_relative_error"] as! NSNumber).doubleValue <= 1e-4, "\(row)")
        }
    }

    func run(_ binary: URL, _ arguments: [String]) throws -> (status: Int32, output: String) { try PlasticityProcess.run(arguments) }
}
