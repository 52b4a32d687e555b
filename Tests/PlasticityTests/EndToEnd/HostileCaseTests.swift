import Foundation
@testable import Plasticity
import Testing
@testable import PlasticityData

/// Commands run as a hostile or careless user would: each case names what it sets up, the command,
/// the exit status and error it must give, and the user's files that must come out unchanged
/// (compared by SHA-256 before and after).
@Suite(.serialized) struct HostileCaseTests {
    struct Case: CustomStringConvertible, Sendable {
        var name: String
        /// Makes the files in the folder; returns the command's arguments.
        var setup: @Sendable (URL) throws -> [String]
        var status: Int32
        var error: String
        /// The user's files, relative to the folder, that must survive byte for byte.
        var kept: [String]
        var description: String { name }
    }

    /// A small trained run (two epochs on a copy of the tiny spoken-digit set in `data`, named by a
    /// relative path), copied with its data for each case that needs one.
    static let run: URL = {
        let folder = try! scratchDirectory("hostile-run")
        try! FileManager.default.copyItem(at: TinySpokenDigits.directory, to: folder.appendingPathComponent("data"))
        let config = folder.appendingPathComponent("tiny.json")
        try! Data(TinySpokenDigits.config(epochs: 2).setting("network.model=lif").setting("data.directory=data").json.utf8).write(to: config)
        let result = try! PlasticityProcess.run(["train", "--config", config.path, "--out", "run"], in: folder)
        precondition(result.status == 0, result.output)
        return folder.appendingPathComponent("run")
    }()

    static func copyOfRun(into folder: URL) throws -> URL {
        let copy = folder.appendingPathComponent("run")
        try FileManager.default.copyItem(at: run, to: copy)
        let data = run.deletingLastPathComponent().appendingPathComponent("data")
        try FileManager.default.copyItem(at: data, to: folder.appendingPathComponent("data"))
        try? FileManager.default.removeItem(at: copy.appendingPathComponent(".lock"))
        return copy
    }

    /// The built-in LIF as a model file with one part of its update replaced.
    static func lifFile(in folder: URL, replacing part: String, with replacement: String) throws -> String {
        let url = folder.appendingPathComponent("model.json")
        let text = try ModelFile(BuiltinModel.lif.model).text()
        precondition(text.contains(part), "the LIF file no longer holds \(part)")
        try Data(text.replacingOccurrences(of: part, with: replacement).utf8).write(to: url)
        return url.path
    }

    static func tinyConfig(_ folder: URL) throws -> String {
        let url = folder.appendingPathComponent("tiny.json")
        try Data(TinySpokenDigits.config(epochs: 1).json.utf8).write(to: url)
        return url.path
    }

    static func write(_ text: String, _ path: String, in folder: URL) throws {
        let url = folder.appendingPathComponent(path)
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Data(text.utf8).write(to: url)
    }

    /// Edits a run's checkpoint manifest as JSON.
    static func editManifest(_ url: URL, _ edit: (inout [String: Any]) -> Void) throws {
        var object = try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as! [String: Any]
        edit(&object)
        try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]).write(to: url)
    }

    static let cases: [Case] = [
        Case(name: "train --overwrite in a folder without a run keeps the user's files and folders", setup: { f in
            try write("keep", "u/best_models/mine.txt", in: f); try write("keep", "u/checkpoint-notes.txt", in: f)
            try write("keep", "u/best-idea.safetensors", in: f)
            return ["train", "--config", try tinyConfig(f), "--epochs", "1", "--out", f.appendingPathComponent("u").path, "--overwrite"]
        }, status: 64, error: "best-idea.safetensors, not written by plasticity", kept: ["u/best_models/mine.txt", "u/checkpoint-notes.txt",
                                                                                        "u/best-idea.safetensors"]),
        Case(name: "train into a folder holding only the user's config.json", setup: { f in
            try write("{\"mine\": true}", "u/config.json", in: f)
            return ["train", "--config", try tinyConfig(f), "--out", f.appendingPathComponent("u").path]
        }, status: 64, error: "config.json, not written by plasticity", kept: ["u/config.json"]),
        Case(name: "train --config DIR/config.json --out DIR --overwrite: its own input", setup: { f in
            let run = try copyOfRun(into: f)
            try write(try String(contentsOf: run.appendingPathComponent("config.json"), encoding: .utf8) + " ", "run/config.json", in: f)
            return ["train", "--config", run.appendingPathComponent("config.json").path, "--out", run.path, "--overwrite"]
        }, status: 64, error: "config.json, not written by plasticity", kept: ["run/config.json", "run/metrics.jsonl", "run/checkpoint.json"]),
        Case(name: "data spoken-digits over the user's train.h5", setup: { f in
            try write("my data", "d/train.h5", in: f)
            return ["data", "spoken-digits", "--out", f.appendingPathComponent("d").path, "--speakers", "5"]
        }, status: 1, error: "train.h5: --out: exists and was not written by plasticity", kept: ["d/train.h5"]),
        Case(name: "data spoken-digits with a test split that is empty", setup: { f in
            ["data", "spoken-digits", "--out", f.appendingPathComponent("d").path, "--speakers", "2", "--test-every", "5"]
        }, status: 1, error: "no utterance falls into this split", kept: []),
        Case(name: "import nir over a finished run (refused before the graph is read)", setup: { f in
            let run = try copyOfRun(into: f)
            try write("not even a graph", "net.nir", in: f)
            return ["import", "nir", f.appendingPathComponent("net.nir").path, "--out", run.path]
        }, status: 64, error: "holds a run", kept: ["run/checkpoint.json", "run/metrics.jsonl", "run/best.json", "run/config.json"]),
        Case(name: "export nir onto its own checkpoint", setup: { f in
            let run = try copyOfRun(into: f)
            return ["export", "nir", run.appendingPathComponent("checkpoint.json").path, "--out", run.appendingPathComponent("checkpoint.json").path,
                    "--reset-to-zero", "--overwrite"]
        }, status: 1, error: "is also this command's input", kept: ["run/checkpoint.json"]),
        Case(name: "export nir over a user's file", setup: { f in
            let run = try copyOfRun(into: f)
            try write("my notes", "net.nir", in: f)
            return ["export", "nir", run.appendingPathComponent("checkpoint.json").path, "--out", f.appendingPathComponent("net.nir").path,
                    "--reset-to-zero"]
        }, status: 1, error: "exists and was not written by plasticity", kept: ["net.nir"]),
        Case(name: "gradcheck --out onto its own --inputs", setup: { f in
            var file = SafeTensors()
            file.tensors["input"] = .init(shape: [5, 2, 20], values: [Float](repeating: 1, count: 200))
            file.tensors["targets"] = .init(shape: [5, 2], values: [0, 1, 2, 0, 1, 2, 0, 0, 1, 2])
            try Data(try file.encoded()).write(to: f.appendingPathComponent("f.safetensors"))
            let path = f.appendingPathComponent("f.safetensors").path
            return ["gradcheck", "--inputs", path, "--out", path, "--overwrite"]
        }, status: 1, error: "is also this command's input", kept: ["f.safetensors"]),
        Case(name: "a checkpoint whose iteration is -1", setup: { f in
            let run = try copyOfRun(into: f)
            try editManifest(run.appendingPathComponent("checkpoint.json")) { $0["iteration"] = -1 }
            return ["eval", run.appendingPathComponent("checkpoint.json").path]
        }, status: 1, error: "iteration: -1 is outside", kept: ["run/metrics.jsonl", "run/best.json"]),
        Case(name: "a user's edit of a run's checkpoint, resumed", setup: { f in
            let run = try copyOfRun(into: f)
            try editManifest(run.appendingPathComponent("checkpoint.json")) { $0["optimizerStep"] = 1 }
            return ["train", "--out", run.path, "--resume"]
        }, status: 64, error: "checkpoint.json, not written by plasticity", kept: ["run/metrics.jsonl", "run/best.json", "run/checkpoint.json"]),
        Case(name: "a checkpoint whose stored model was edited", setup: { f in
            let run = try copyOfRun(into: f)
            try editManifest(run.appendingPathComponent("checkpoint.json")) { manifest in
                var models = manifest["models"] as! [[String: Any]]
                var parameters = models[0]["parameters"] as! [[String: Any]]
                parameters[parameters.indices.first { parameters[$0]["name"] as? String == "threshold" }!]["value"] = 100
                models[0]["parameters"] = parameters
                manifest["models"] = models
            }
            return ["eval", run.appendingPathComponent("checkpoint.json").path]
        }, status: 1, error: "models: do not match the manifest", kept: ["run/checkpoint.json"]),
        Case(name: "a checkpoint whose stored config was edited", setup: { f in
            let run = try copyOfRun(into: f)
            try editManifest(run.appendingPathComponent("checkpoint.json")) { manifest in
                manifest["config"] = (manifest["config"] as! String).replacingOccurrences(of: "\"binMs\" : 10", with: "\"binMs\" : 5")
            }
            return ["eval", run.appendingPathComponent("checkpoint.json").path]
        }, status: 1, error: "config: does not match the manifest", kept: ["run/checkpoint.json"]),
        Case(name: "best.json pointing at another epoch's weights", setup: { f in
            let run = try copyOfRun(into: f)
            let best = try Checkpoint.manifest(run.appendingPathComponent("best.json"))
            try editManifest(run.appendingPathComponent("best.json")) { $0["iteration"] = best.iteration == 1 ? 2 : 1 }
            return ["eval", run.appendingPathComponent("best.json").path]
        }, status: 1, error: "is not the weights file of iteration", kept: ["run/best.json"]),
        Case(name: "weights changed under their manifest", setup: { f in
            let run = try copyOfRun(into: f)
            let weights = try Checkpoint.weightsURL(run.appendingPathComponent("checkpoint.json"))
            var bytes = try Data(contentsOf: weights)
            bytes[bytes.count - 1] ^= 1
            try bytes.write(to: weights)
            return ["eval", run.appendingPathComponent("checkpoint.json").path]
        }, status: 1, error: "does not match the manifest (sha256", kept: []),
        Case(name: "a checkpoint behind its metrics (a folder that mixes runs)", setup: { f in
            let run = try copyOfRun(into: f)
            var lines = try String(contentsOf: run.appendingPathComponent("metrics.jsonl"), encoding: .utf8)
            lines += lines.replacingOccurrences(of: "\"epoch\":1,", with: "\"epoch\":3,")
                .replacingOccurrences(of: "\"epoch\":2,", with: "\"epoch\":4,")
            try WriteContract.write(Data(lines.utf8), to: run.appendingPathComponent("metrics.jsonl"), overwrite: true)
            return ["train", "--out", run.path, "--resume", "--epochs", "6"]
        }, status: 1, error: "mixes runs", kept: ["run/metrics.jsonl", "run/best.json"]),
        Case(name: "--out ''", setup: { _ in ["train", "--out", ""] }, status: 64, error: "--out must name a folder", kept: []),
        Case(name: "a negative number for a flag reaches the range check", setup: { _ in ["train", "--epochs", "-1", "--out", "x"] },
             status: 1, error: "training.epochs: must be an integer from 1", kept: []),
        Case(name: "a fractional batch names its field", setup: { _ in ["train", "--set", "training.batch=2.5", "--out", "x"] },
             status: 1, error: "training.batch: must be a number its field can hold", kept: []),
        Case(name: "a model constant that folds to NaN", setup: { f in
            ["compile", "--model-file", try lifFile(in: f, replacing: #"["alpha", "v"]"#, with: #"[{"op": "log", "args": [-1]}, "v"]"#),
             "--emit", "c"]
        }, status: 1, error: "is a constant that evaluates to NaN", kept: []),
        Case(name: "BPTT meets a non-finite value: a runtime failure naming step and tensor, exit 1", setup: { f in
            ["gradcheck", "--model-file", try lifFile(in: f, replacing: #"["alpha", "v"]"#, with: #"[{"op": "log", "args": ["v"]}, "v"]"#),
             "--synthetic", "50,2,0.3", "--method", "bptt,eprop"]
        }, status: 1, error: "bptt: exact BPTT: layer0 D became non-finite at step 0", kept: []),
        Case(name: "a division by a constant 0", setup: { f in
            ["compile", "--model-file", try lifFile(in: f, replacing: #"["alpha", "v"]"#,
                                                   with: #"[{"op": "divide", "args": ["v", {"op": "subtract", "args": ["alpha", "alpha"]}]}, "v"]"#)]
        }, status: 1, error: "which is 0", kept: []),
        Case(name: "BPTT's record beyond the memory cap, refused before any data is built", setup: { _ in
            ["train", "--method", "bptt", "--set", "data.binning.steps=1000000", "--set", "network.neurons=4096", "--out", "x"]
        }, status: 1, error: "BPTT's record", kept: []),
        Case(name: "a network beyond the memory cap, refused before any data is built", setup: { _ in
            ["train", "--set", "network.neurons=10000000", "--set", "data.channels=4096", "--out", "x"]
        }, status: 1, error: "the network (batch", kept: []),
        Case(name: "more cochlea channels than a set can be built with", setup: { _ in
            ["data", "audio", "--from", ".", "--out", "x.h5", "--channels", "65536"]
        }, status: 64, error: "--channels must be from 1 to 4096", kept: []),
        Case(name: "data audio over the user's X-test.h5, refused before any audio is read", setup: { f in
            try write("my test set", "x-test.h5", in: f)
            try write("not audio either", "audio/yes/a.wav", in: f)
            return ["data", "audio", "--from", f.appendingPathComponent("audio").path, "--out", f.appendingPathComponent("x.h5").path,
                    "--test-every", "2"]
        }, status: 1, error: "x-test.h5: --out: exists and was not written by plasticity", kept: ["x-test.h5"]),
        Case(name: "data info on a set whose build was cut off", setup: { f in
            try FileManager.default.copyItem(at: TinySpokenDigits.directory, to: f.appendingPathComponent("d"))
            try write("building: speakers 5", "d/build.txt", in: f)
            return ["data", "info", f.appendingPathComponent("d/train.h5").path]
        }, status: 1, error: "records a build that did not finish", kept: []),
        Case(name: "validation needs speakers the file does not have", setup: { f in
            let samples = (0..<20).map { SpikeSample(times: [0.01], units: [UInt32($0 % 4)], label: $0 % 2, speaker: nil) }
            for name in ["train.h5", "test.h5"] { try SpikeFile.write(samples, keys: ["a", "b"], to: f.appendingPathComponent("s/\(name)")) }
            return ["train", "--set", "data.directory=s", "--set", "data.build=false", "--set", "data.channels=4", "--set", "training.batch=4",
                    "--out", "x"]
        }, status: 1, error: "extra/speaker: is missing, but data.validationEvery 6", kept: []),
        Case(name: "a NIR file whose recorded dt is not a number", setup: { f in
            let w = NIRGraph.Matrix(rows: 2, columns: 2, values: [1, 0, 0, 1])
            try NIRGraph(nodes: ["in": .input(shape: [2]), "w": .linear(weight: w), "out": .output(shape: [2])], edges: [("in", "w"), ("w", "out")],
                         metadata: ["plasticity_dt": "abc"]).write(to: f.appendingPathComponent("g.nir"))
            return ["import", "nir", f.appendingPathComponent("g.nir").path, "--out", f.appendingPathComponent("imported").path]
        }, status: 1, error: "metadata/plasticity_dt: is 'abc'", kept: ["g.nir"]),
        Case(name: "a spike unit beyond data.channels", setup: { f in
            ["train", "--config", try tinyConfig(f), "--set", "data.channels=16", "--out", "x"]
        }, status: 1, error: "but data.channels is 16", kept: []),
        Case(name: "eval --data FILE needs only the checkpoint and FILE", setup: { f in
            let run = try copyOfRun(into: f)
            try FileManager.default.moveItem(at: f.appendingPathComponent("data/test.h5"), to: f.appendingPathComponent("other.h5"))
            try FileManager.default.removeItem(at: f.appendingPathComponent("data"))
            return ["eval", run.appendingPathComponent("best.json").path, "--data", f.appendingPathComponent("other.h5").path]
        }, status: 0, error: "accuracy", kept: ["other.h5"]),
        Case(name: "eval --data FILE whose classes differ from the checkpoint's", setup: { f in
            let run = try copyOfRun(into: f)
            let samples = (0..<4).map { SpikeSample(times: [0.01, 0.02], units: [1, 2], label: $0 % 2, speaker: 0) }
            try SpikeFile.write(samples, keys: ["cat", "dog"], to: f.appendingPathComponent("pets.h5"))
            return ["eval", run.appendingPathComponent("best.json").path, "--data", f.appendingPathComponent("pets.h5").path]
        }, status: 0, error: "names its classes 2 (cat, dog…), the checkpoint was trained on 20", kept: []),
        Case(name: "data.directory ''", setup: { _ in ["train", "--set", "data.directory=", "--out", "x"] },
             status: 1, error: "data.directory: must name a file or folder", kept: []),
    ]

    @Test(arguments: cases)
    func refusedAndNothingOfTheUsersChanged(_ hostile: Case) throws {
        let folder = try scratchDirectory("hostile")
        defer { try? FileManager.default.removeItem(at: folder) }
        let arguments = try hostile.setup(folder)
        let before = try hostile.kept.map { try SHA256.hex(file: folder.appendingPathComponent($0)) }
        let result = try PlasticityProcess.run(arguments, in: folder)
        #expect(result.status == hostile.status, "\(hostile.name): \(result.output)")
        #expect(result.output.contains(hostile.error), "\(hostile.name): \(result.output)")
        let after = try hostile.kept.map { try SHA256.hex(file: folder.appendingPathComponent($0)) }
        #expect(before == after, "\(hostile.name): a file of the user's changed")
    }

    /// The reported case end to end: `--overwrite` in a folder with no run and the user's files runs
    /// and leaves them; a second `--overwrite` replaces only the run's own files.
    @Test func overwriteRemovesOnlyTheRunsOwnFiles() throws {
        let folder = try scratchDirectory("hostile-overwrite"), out = folder.appendingPathComponent("u")
        try Self.write("keep", "u/best_models/mine.txt", in: folder)
        try Self.write("keep", "u/checkpoint-notes.txt", in: folder)
        let config = try Self.tinyConfig(folder)
        for _ in 0..<2 {
            let result = try PlasticityProcess.run(["train", "--config", config, "--epochs", "1", "--out", out.path, "--overwrite"])
            #expect(result.status == 0, "\(result.output)")
        }
        #expect(try String(contentsOf: out.appendingPathComponent("best_models/mine.txt"), encoding: .utf8) == "keep")
        #expect(try String(contentsOf: out.appendingPathComponent("checkpoint-notes.txt"), encoding: .utf8) == "keep")
        let metrics = try String(contentsOf: out.appendingPathComponent("metrics.jsonl"), encoding: .utf8)
        #expect(metrics.split(separator: "\n").count == 1)
    }
}

/// Damaged files that were read as if whole: each is refused naming the file and the field.
@Suite struct DamagedFileTests {
    @Test func aWAVCutShortOfItsDataChunkIsRefused() throws {
        let folder = try scratchDirectory("damaged-wav"), url = folder.appendingPathComponent("a.wav")
        try AudioFile(samples: (0..<800).map { Float(sin(Double($0) * 0.1)) * 0.3 }, sampleRate: 8000).write(to: url, encoding: .wav16)
        #expect(try AudioFile.read(url).samples.count == 800)
        let whole = try Data(contentsOf: url)
        try whole.prefix(whole.count - 600).write(to: url)   // the data chunk still claims 1,600 bytes
        let error = #expect(throws: FileFormatError.self) { try AudioFile.read(url) }
        #expect(error?.field == "data chunk" && error?.message.contains("cut off") == true, "\(String(describing: error))")
    }

    @Test func manifestsTakeAnyLineEndingAndRefuseDuplicates() throws {
        let folder = try scratchDirectory("manifest")
        for name in ["a.wav", "b.wav"] {
            let quiet = AudioFile(samples: [Float](repeating: 0.1, count: 400), sampleRate: 8000)
            try quiet.write(to: folder.appendingPathComponent(name), encoding: .wav16)
        }
        let manifest = folder.appendingPathComponent("m.csv")
        try Data("path,label\r\na.wav,yes\r\nb.wav,no\r\n".utf8).write(to: manifest)
        #expect(try AudioSet.manifest(manifest, root: folder).items.map(\.label) == ["yes", "no"])
        try Data("a.wav,yes\nb.wav,no\n./a.wav,no\n".utf8).write(to: manifest)
        let duplicate = #expect(throws: FileFormatError.self) { try AudioSet.manifest(manifest, root: folder) }
        #expect(duplicate?.field == "line 3" && duplicate?.message.contains("first on line 1") == true, "\(String(describing: duplicate))")
    }

    @Test func overlappingTensorsAreRefused() throws {
        let url = try scratchDirectory("overlap").appendingPathComponent("o.safetensors")
        var header = Data(#"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}}"#.utf8)
        while header.count % 8 != 0 { header.append(0x20) }
        var length = UInt64(header.count).littleEndian
        try (Data(bytes: &length, count: 8) + header + Data(repeating: 0, count: 12)).write(to: url)
        let error = #expect(throws: FileFormatError.self) { try SafeTensors.read(url) }
        #expect(error?.field == "b.data_offsets" && error?.message.contains("overlaps a's") == true, "\(String(describing: error))")
    }

    @Test func aNIRFileOfALaterMajorVersionIsRefused() throws {
        let url = try scratchDirectory("nir-version").appendingPathComponent("g.nir")
        let w = NIRGraph.Matrix(rows: 2, columns: 2, values: [1, 0, 0, 1])
        let graph = NIRGraph(nodes: ["in": .input(shape: [2]), "w": .linear(weight: w), "out": .output(shape: [2])],
                             edges: [("in", "w"), ("w", "out")])
        try graph.write(to: url)
        #expect(try NIRGraph.read(url).nodes.count == 3)
        let python = try #require(ProcessInfo.processInfo.environment["PLASTICITY_PYTHON"], "PLASTICITY_PYTHON is not set: run .ci/test.sh")
        let process = Process()
        process.executableURL = URL(fileURLWithPath: python)
        process.arguments = ["-c", "import h5py, sys; f = h5py.File(sys.argv[1], 'a'); del f['version']; f['version'] = '2.0.0'", url.path]
        try process.run()
        process.waitUntilExit()
        try #require(process.terminationStatus == 0)
        let error = #expect(throws: FileFormatError.self) { try NIRGraph.read(url) }
        #expect(error?.field == "/version" && error?.message.contains("'2.0.0'") == true, "\(String(describing: error))")
    }
}
