import Foundation
import Plasticity
import PlasticityData

/// Values, not bytes: valid configs, model files, spike files and gradcheck inputs with one value
/// replaced by a boundary (0, −1, Int.max, 1e300, NaN, ±Inf, huge labels, units and times),
/// through the readers and the setup each input goes through (network spec, kernel, memory
/// check). A mutant must load or be rejected with an error naming its file; a trap would end the
/// process, a hang shows as the slowest mutant.
public struct ValueFuzzer {
    public enum Format: String, CaseIterable, Sendable {
        case trainConfig = "train config", networkConfig = "network config", modelFile = "model file", spikeFile = "spike file",
             gradcheckInputs = "gradcheck inputs"
    }

    public typealias Report = MutantReport<Format>

    public var seed: UInt64
    public var directory: URL
    public init(seed: UInt64, directory: URL) { self.seed = seed; self.directory = directory }

    /// Boundary values for a JSON leaf.
    static var jsonValues: [Any] { [0, -1, 1, 2, 0.5, -0.5, 1e-300, 1e300, -1e300, 2_147_483_647, 2_147_483_648, 4_294_967_296, 3e9, 1e18,
                                    Int.max, Int.min, "", "x", "NaN", "-Infinity", "lif", true, NSNull(), [Any](), [String: Any]()] }
    static let floatValues: [Float] = [0, -1, 1, 0.5, 2.7, 19, 20, 1e-30, 1e30, 3e38, -3e38, .nan, .infinity, -.infinity, 4e9]

    static let networkConfig = #"""
    {"inputs": 12, "outputs": 3, "kappa": 0.9, "loss": "crossEntropy", "stepMs": 1,
     "rateRegularization": {"target": 0.01, "strength": 1},
     "hidden": [{"model": "alif", "neurons": 16, "recurrent": true, "feedback": "symmetric", "membraneMs": 20, "threshold": 0.6,
                 "parameters": {"beta": 1.5}}]}
    """#

    public func run(mutantsPerFormat: Int, formats: [Format] = Format.allCases, progress: (Int, Int) -> Void = { _, _ in }) throws -> Report {
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        var report = Report(kind: "value mutations"), rng = SplitMix64(seed: seed), done = 0
        for format in formats {
            for _ in 0..<mutantsPerFormat {
                let suffix = format == .spikeFile ? "h5" : format == .gradcheckInputs ? "safetensors" : "json"
                let url = directory.appendingPathComponent("value-mutant.\(suffix)")
                let mutation = try writeMutant(format, to: url, rng: &rng)
                report.record(format, mutation: mutation) { mutantOutcome(file: url) { try Self.load(format, url) } }
                done += 1
                progress(done, mutantsPerFormat * formats.count)
            }
        }
        return report
    }

    /// Writes one mutant of `format` to `url`; returns what was changed.
    func writeMutant(_ format: Format, to url: URL, rng: inout SplitMix64) throws -> String {
        func pick<T>(_ list: [T]) -> T { list[Int(rng.next() % UInt64(list.count))] }
        switch format {
        case .trainConfig, .networkConfig, .modelFile:
            let text = format == .trainConfig ? TrainConfig().json : format == .networkConfig ? Self.networkConfig
                : try ModelFile(BuiltinModel.allCases.filter { $0 != .readout }[Int(rng.next() % 6)].model).text()
            var tree = try JSONSerialization.jsonObject(with: Data(text.utf8))
            let paths = Self.leafPaths(tree).filter { !$0.isEmpty }   // the top level stays an object
            let path = pick(paths), value = pick(Self.jsonValues)
            tree = Self.replacing(tree, at: path[...], with: value)
            try JSONSerialization.data(withJSONObject: tree).write(to: url)
            return "\(path.map { "\($0)" }.joined(separator: ".")) = \(value)"
        case .spikeFile:
            var samples = (0..<4).map { i in SpikeSample(times: [0.01, 0.02, 0.5], units: [0, 3, 7], label: i % 3, speaker: i % 2) }
            let s = Int(rng.next() % 4), e = Int(rng.next() % 3), mutation: String
            switch rng.next() % 3 {
            case 0:
                let time = pick(Self.floatValues)
                samples[s].times[e] = time; mutation = "times[\(s)][\(e)] = \(time)"
            case 1:
                let unit = pick([UInt32(0), 65_535, 1 << 20, 1 << 24, UInt32.max])
                samples[s].units[e] = unit; mutation = "units[\(s)][\(e)] = \(unit)"
            default:
                let label = pick([0, 2, 3, 1000, Int(Int32.max)])
                samples[s].label = label; mutation = "labels[\(s)] = \(label)"
            }
            try SpikeFile.write(samples, keys: ["a", "b", "c"], to: url, overwrite: true)
            return mutation
        case .gradcheckInputs:
            var file = SafeTensors()
            file.tensors["input"] = .init(shape: [6, 2, 12], values: [Float](repeating: 0, count: 144))
            file.tensors["targets"] = .init(shape: [6, 2], values: [0, 1, 2, 0, 1, 2, 0, 1, 2, 0, 1, 2])
            let value = pick(Self.floatValues)
            switch rng.next() % 3 {
            case 0:
                file.tensors["input"]!.values[Int(rng.next() % 144)] = value
                try file.write(to: url, overwrite: true)
                return "input value = \(value)"
            case 1:
                file.tensors["targets"]!.values[Int(rng.next() % 12)] = value
                try file.write(to: url, overwrite: true)
                return "target = \(value)"
            default:   // a header whose shape does not match its data
                let dim = Int(rng.next() % 3), size = pick([0, 1, 5, 65_537, Int(Int32.max), Int.max])
                var shape = [6, 2, 12]
                shape[dim] = size
                try Self.writeWithShape(file, input: shape, to: url)
                return "input.shape = \(shape)"
            }
        }
    }
}

extension ValueFuzzer {
    /// Every path to a leaf (keys and indices), objects and arrays included as leaves when empty.
    static func leafPaths(_ tree: Any, prefix: [AnyHashable] = []) -> [[AnyHashable]] {
        if let object = tree as? [String: Any], !object.isEmpty {
            return [prefix] + object.keys.sorted().flatMap { leafPaths(object[$0]!, prefix: prefix + [$0]) }
        }
        if let array = tree as? [Any], !array.isEmpty {
            return [prefix] + array.indices.flatMap { leafPaths(array[$0], prefix: prefix + [$0]) }
        }
        return [prefix]
    }

    static func replacing(_ tree: Any, at path: ArraySlice<AnyHashable>, with value: Any) -> Any {
        guard let key = path.first else { return value }
        if var object = tree as? [String: Any], let name = key as? String, let inner = object[name] {
            object[name] = replacing(inner, at: path.dropFirst(), with: value)
            return object
        }
        if var array = tree as? [Any], let index = key as? Int, array.indices.contains(index) {
            array[index] = replacing(array[index], at: path.dropFirst(), with: value)
            return array
        }
        return tree
    }

    /// A safetensors file whose `input` header claims `shape` over the data it has (a lie the reader must catch).
    static func writeWithShape(_ file: SafeTensors, input shape: [Int], to url: URL) throws {
        try file.write(to: url, overwrite: true)
        var data = try Data(contentsOf: url)
        let headerLength = Int(data.prefix(8).withUnsafeBytes { $0.loadUnaligned(as: UInt64.self) })
        let header = String(decoding: data[8..<(8 + headerLength)], as: UTF8.self)
            .replacingOccurrences(of: "[6,2,12]", with: "[\(shape.map(String.init).joined(separator: ","))]")
        var bytes = Data(header.trimmingCharacters(in: .whitespaces).utf8)
        while bytes.count % 8 != 0 { bytes.append(0x20) }
        var length = UInt64(bytes.count).littleEndian
        data = Data(bytes: &length, count: 8) + bytes + data[(8 + headerLength)...]
        try data.write(to: url)
    }

    static func load(_ format: Format, _ url: URL) throws {
        let cap = 256 << 20
        switch format {
        case .trainConfig:
            let config = try TrainConfig.read(url)
            let kernel = try compile(config.networkSpec(inputs: 64, classes: 20, file: url.path), backend: .tinyCC)
            _ = try NetworkSimulation(kernel: kernel, batch: config.training.batch, chunkSteps: config.training.chunkSteps, memoryCap: cap)
        case .networkConfig:
            let kernel = try compile(NetworkSpec.read(url), backend: .tinyCC)
            _ = try NetworkSimulation(kernel: kernel, batch: 4, memoryCap: cap)
        case .modelFile:
            _ = try compile(LayerSpec(model: NeuronModel.read(url), recurrent: true), backend: .tinyCC)
        case .spikeFile:
            let file = try SpikeFile(url)
            let data = try SpikeDataset(file: file, binning: SpikeBinning(binMs: 10, steps: 100, pool: 1, maxCount: 8))
            _ = data.batch(Array(data.samples.indices), labelFrom: 0)
        case .gradcheckInputs:
            let spec = NetworkSpec(inputs: 12, hidden: [.init(Models.lif(), neurons: 8)], outputs: 3, kappa: 0.9)
            let inputs = try spec.readSequenceInputs(url.path)
            let sim = try NetworkSimulation(kernel: compile(spec, backend: .tinyCC), batch: inputs.batch, memoryCap: cap)
            _ = sim.run(input: inputs.input, targets: inputs.targets, steps: inputs.steps)
        }
    }
}
