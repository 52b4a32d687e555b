import Foundation
import Plasticity
import PlasticityData

/// Seeded byte-level mutations of a valid file: bit flips, boundary bytes and 4/8-byte
/// integers (0, −1, 2³¹, 2⁶³ …, where sizes and offsets live), truncation, deleted, duplicated
/// and inserted runs, and for text, numbers replaced by extreme ones. One to three per mutant.
public struct FileMutator {
    var rng: SplitMix64
    public init(seed: UInt64) { rng = SplitMix64(seed: seed) }

    mutating func below(_ n: Int) -> Int { n <= 0 ? 0 : Int(rng.next() % UInt64(n)) }

    static let boundaryIntegers: [UInt64] = [0, 1, 0x7F, 0x80, 0xFF, 0xFFFF, 0x7FFF_FFFF, 0x8000_0000, 0xFFFF_FFFF,
                                             1 << 32, 1 << 40, 0x7FFF_FFFF_FFFF_FFFF, 0x8000_0000_0000_0000, UInt64.max]
    static let extremeNumbers = ["-1", "0", "1e308", "-1e308", "1e-320", "99999999999999999999", "9223372036854775807",
                                 "-9223372036854775808", "4294967296", "0.5", "\"x\"", "null", "[]", "{}", "true"]

    /// A mutant of `data` and what was done to it.
    public mutating func mutate(_ data: Data, text: Bool = false) -> (data: Data, description: String) {
        var bytes = [UInt8](data)
        var done: [String] = []
        for _ in 0...below(3) {
            guard !bytes.isEmpty else { break }
            let at = below(bytes.count)
            switch below(text ? 9 : 8) {
            case 0:
                let bit = below(8); bytes[at] ^= 1 << bit; done.append("flip bit \(bit) of byte \(at)")
            case 1:
                let value: UInt8 = [0, 1, 0x7F, 0x80, 0xFF][below(5)]; bytes[at] = value; done.append("byte \(at) = \(value)")
            case 2, 3:
                let width = below(2) == 0 ? 4 : 8
                let value = Self.boundaryIntegers[below(Self.boundaryIntegers.count)]
                for i in 0..<width where at + i < bytes.count { bytes[at + i] = UInt8(truncatingIfNeeded: value >> (8 * UInt64(i))) }
                done.append("\(width) bytes at \(at) = \(value)")
            case 4:
                bytes.removeSubrange(at...); done.append("truncate to \(at) bytes")
            case 5:
                let end = min(bytes.count, at + 1 + below(64)); bytes.removeSubrange(at..<end); done.append("delete \(at)..<\(end)")
            case 6:
                let end = min(bytes.count, at + 1 + below(64)); bytes.insert(contentsOf: bytes[at..<end], at: end)
                done.append("duplicate \(at)..<\(end)")
            case 7:
                let run = (0..<(1 + below(16))).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
                bytes.insert(contentsOf: run, at: at); done.append("insert \(run.count) random bytes at \(at)")
            default:
                // A number (a maximal run of digits, sign, point, exponent) becomes an extreme one.
                let numeric = Set("0123456789-.eE+".utf8)
                guard let start = (at..<bytes.count).first(where: { (48...57).contains(bytes[$0]) }) else { continue }
                var first = start, last = start
                while first > 0, numeric.contains(bytes[first - 1]) { first -= 1 }
                while last + 1 < bytes.count, numeric.contains(bytes[last + 1]) { last += 1 }
                let replacement = Self.extremeNumbers[below(Self.extremeNumbers.count)]
                bytes.replaceSubrange(first...last, with: Array(replacement.utf8))
                done.append("number at \(first) = \(replacement)")
            }
        }
        return (Data(bytes), done.joined(separator: ", "))
    }
}

/// Mutated and truncated files through every reader of the project. A mutant must load or be
/// rejected with an error naming its file (`FileFormatError`, or a `ModelError` naming the file
/// and the JSON path), or — for network sizes that do
/// not fit — a `ResourceError` stating the size; never a crash (the process would die), never
/// a hang, never an untyped error.
public struct FileFuzzer {
    public enum Format: String, CaseIterable, Sendable {
        case spikeFile = "HDF5 spike file", safetensors, checkpoint = "checkpoint manifest", trainConfig = "train config",
             networkConfig = "network config", modelFile = "model file", nirGraph = "NIR graph",
             audioFile = "audio file"
        var fileExtension: String {
            switch self { case .spikeFile: "h5"; case .safetensors: "safetensors"; case .nirGraph: "nir"; case .audioFile: "wav"; default: "json" }
        }
    }

    public typealias Report = MutantReport<Format>

    public var seed: UInt64
    /// Where mutants are written (the last one stays there, to reproduce a crash).
    public var directory: URL
    public init(seed: UInt64, directory: URL) { self.seed = seed; self.directory = directory }

    /// A valid file of each format, also written into `directory` as `valid-<format>.<extension>`.
    public func validFile(_ format: Format) throws -> Data {
        let url = directory.appendingPathComponent("valid-\(format).\(format.fileExtension)")
        let data = try validContents(format, url: url)
        try data.write(to: url)
        return data
    }

    private func validContents(_ format: Format, url: URL) throws -> Data {
        switch format {
        case .spikeFile:
            var rng = SplitMix64(seed: 11)
            let samples = (0..<6).map { i in
                let n = 3 + Int(rng.next() % 20)
                return SpikeSample(times: (0..<n).map { Float($0) * 0.01 }, units: (0..<n).map { _ in UInt32(rng.next() % 16) }, label: i % 3,
                                   speaker: i % 2)
            }
            try SpikeFile.write(samples, keys: ["a", "b", "c"], to: url, halfPrecision: seed % 2 == 1, overwrite: true)
            return try Data(contentsOf: url)
        case .safetensors:
            var file = SafeTensors()
            file.tensors["layer0.w0"] = .init(shape: [3, 4], values: (0..<12).map(Float.init))
            file.tensors["readout.bias"] = .init(shape: [2], values: [0.5, -0.5])
            file.metadata["format"] = "plasticity"
            try file.write(to: url, overwrite: true)
            return try Data(contentsOf: url)
        case .checkpoint:
            return Data("""
            {"config": "{}", "format": "plasticity-checkpoint-3", "iteration": 12, "models": [],
             "checksums": {"config": "\(SHA256.hex("{}"))", "models": "\(SHA256.hex("[]"))", "keys": "\(SHA256.hex("null"))",
                           "weights": "\(String(repeating: "0", count: 64))"},
             "optimizer": {"kind": "adam", "learningRate": 0.001, "momentum": 0.9, "beta1": 0.9, "beta2": 0.999, "epsilon": 1e-8,
                           "weightDecay": 0, "warmupSteps": 0},
             "optimizerStep": 12, "rngState": "12345678901234567890",
             "weights": "\(url.deletingPathExtension().lastPathComponent)-000000012.safetensors"}
            """.utf8)
        case .trainConfig:
            return Data(TrainConfig().json.utf8)
        case .modelFile:
            return try BuiltinModel.alif.model.fileData()
        case .nirGraph:
            let w = { (rows: Int, columns: Int) in
                NIRGraph.Matrix(rows: rows, columns: columns, values: (0..<rows * columns).map { Float($0 % 7) * 0.1 - 0.3 }) }
            let lif = NIRGraph.Node.lif(tau: [0.02, 0.02, 0.02], r: [1, 1, 1], vLeak: [0, 0, 0], vThreshold: [1, 1, 1], vReset: [0, 0, 0])
            try NIRGraph(nodes: ["input": .input(shape: [4]), "in": .linear(weight: w(3, 4)), "lif": lif, "rec": .linear(weight: w(3, 3)),
                                 "affine": .affine(weight: w(2, 3), bias: [0.1, -0.1]),
                                 "li": .leakyIntegrator(tau: [0.01, 0.01], r: [10, 10], vLeak: [0, 0]), "output": .output(shape: [2])],
                         edges: [("input", "in"), ("in", "lif"), ("lif", "rec"), ("rec", "lif"), ("lif", "affine"), ("affine", "li"),
                                 ("li", "output")],
                         metadata: ["plasticity_dt": "0.001"]).write(to: url, overwrite: true)
            return try Data(contentsOf: url)
        case .audioFile:
            // Short, so that most mutations meet the header rather than the samples.
            let samples = (0..<48).map { i in Float(0.4 * sin(Double(i) * 0.3)) }
            try AudioFile(samples: samples, sampleRate: 8000).write(to: url, encoding: seed % 2 == 0 ? .wav16 : .wavFloat, channels: 2)
            return try Data(contentsOf: url)
        case .networkConfig:
            return Data("""
            {"inputs": 20, "outputs": 4, "kappa": 0.9, "loss": "crossEntropy",
             "hidden": [{"model": "alif", "neurons": 32, "recurrent": true}]}
            """.utf8)
        }
    }

    /// Loads a file of `format` the way the product does; throws what the product throws.
    public static func load(_ format: Format, _ url: URL) throws {
        switch format {
        case .spikeFile:
            let file = try SpikeFile(url)
            for i in 0..<file.count { _ = try file.sample(i) }
        case .safetensors:
            _ = try SafeTensors.read(url)
        case .checkpoint:
            _ = try Checkpoint.embedded(url)
        case .trainConfig:
            _ = try TrainConfig.read(url)
        case .networkConfig:
            let spec = try NetworkSpec.read(url)
            // Sizes from the file meet the memory cap before anything is allocated.
            let kernel = try compile(spec)
            _ = try NetworkSimulation(kernel: kernel, batch: 4, memoryCap: 256 << 20)
        case .modelFile:
            _ = try compile(LayerSpec(model: NeuronModel.read(url), recurrent: true))
        case .audioFile:
            let audio = try AudioFile.read(url)
            _ = Cochlea().spikes(audio.samples, sampleRate: audio.sampleRate)
        case .nirGraph:
            let network = try NIRNetwork(NIRGraph.read(url), dt: 1e-3, file: url.path)
            var config = TrainConfig()
            config.network.backend = .tinyCC
            config.data.binning.binMs = 1
            _ = try network.simulation(config: try network.config(over: config, dt: 1e-3), batch: 2)
        }
    }

    /// Loads the file; an error must name the file (or, for network sizes, state the memory needed).
    public static func classify(_ format: Format, _ url: URL) -> Report.Outcome {
        mutantOutcome(file: url, sizesAllowed: format == .networkConfig || format == .nirGraph) { try load(format, url) }
    }

    /// nil when the file loads or is rejected cleanly; otherwise what went wrong.
    public static func check(_ format: Format, _ url: URL) -> String? {
        if case .unclear(let problem) = classify(format, url) { return problem }
        return nil
    }

    public func run(mutantsPerFormat: Int, formats: [Format] = Format.allCases, progress: (Int, Int) -> Void = { _, _ in }) throws -> Report {
        var report = Report(kind: "file mutations")
        var mutator = FileMutator(seed: seed)
        var done = 0
        for format in formats {
            let valid = try validFile(format)
            let url = directory.appendingPathComponent("mutant.\(format.fileExtension)")
            for _ in 0..<mutantsPerFormat {
                let (mutant, mutation) = mutator.mutate(valid, text: format.fileExtension == "json")
                try mutant.write(to: url)
                report.record(format, mutation: mutation) { Self.classify(format, url) }
                done += 1
                progress(done, mutantsPerFormat * formats.count)
            }
        }
        return report
    }
}
