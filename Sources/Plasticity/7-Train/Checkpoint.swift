import Foundation

/// A checkpoint is two files: `<name>.json` (format, config, the network in the schema of a
/// network config, every hidden layer's neuron model in the `plasticity-model` format, optimizer
/// kind, settings and step, iteration, RNG state, and the name of the weights file) and `<name>-<iteration>.safetensors`
/// (the network's tensors under their trainable names, the optimizer's moments under
/// `optimizer.m.<name>` / `optimizer.v.<name>`, and sparsity masks under `mask.<name>`).
///
/// Integrity: the manifest records the SHA-256 of the weights file, of the config text, of the
/// network and of the models; a mismatch on load is an error naming the file and what differs. The weights file's
/// name carries the iteration, and the iteration lies in 0…`maximumIteration`.
///
/// Crash safety: the weights go to a new file (temp + fsync + rename), then the JSON is replaced
/// the same way, then older weights files are removed. A kill at any moment leaves a JSON that
/// names a complete weights file. Every write and removal follows `WriteContract`.
public enum Checkpoint {
    public struct State: Sendable {
        public var iteration: Int
        public var rng: SplitMix64
        public var config: String
        /// The class names of the data trained on (nil: none known), so that a checkpoint alone can
        /// tell whether another file's classes are its own.
        public var keys: [String]?
        public init(iteration: Int, rng: SplitMix64, config: String, keys: [String]? = nil) {
            self.iteration = iteration; self.rng = rng; self.config = config; self.keys = keys
        }
    }

    struct Manifest: Codable {
        var format: String
        var weights: String
        var iteration: Int
        var optimizerStep: Int
        var optimizer: OptimizerConfig
        var rngState: String        // a decimal string: JSON numbers lose 64-bit integers
        var config: String
        /// The hidden layers' models, as trained.
        var models: [ModelFile]
        /// The network, in the schema of a network config (absent in checkpoints of older versions).
        var network: NetworkSpec?
        var keys: [String]?
        var checksums: Checksums
    }

    /// SHA-256 of the weights file's bytes, the config's UTF-8 text, and the canonical JSON of the
    /// models and of the class keys.
    struct Checksums: Codable, Equatable {
        var weights: String
        var config: String
        var models: String
        var keys: String
        var network: String?
    }
    static let format = "plasticity-checkpoint-3"
    /// Epochs or iterations beyond this are a damaged manifest, not a long run.
    public static let maximumIteration = 100_000_000

    static func weightsName(stem: String, iteration: Int) -> String { "\(stem)-\(String(format: "%09d", iteration)).safetensors" }

    static func checksum<T: Encodable>(_ value: T) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return SHA256.hex(try encoder.encode(value))
    }

    /// - Parameter url: the JSON file; the weights file is written beside it.
    public static func save(_ trainer: Trainer, state: State, to url: URL) throws {
        let directory = url.deletingLastPathComponent(), stem = url.deletingPathExtension().lastPathComponent
        guard (0...maximumIteration).contains(state.iteration) else {
            throw FileFormatError(file: url.path, field: "iteration", message: "\(state.iteration) is outside 0…\(maximumIteration)")
        }
        let weightsName = weightsName(stem: stem, iteration: state.iteration)
        var file = SafeTensors()
        for t in trainer.simulation.trainableTensors {
            file.tensors[t.name] = .init(shape: t.shape, values: t.value.array)
            if let m = trainer.optimizer.first[t.id] { file.tensors[t.id.firstMomentName] = .init(shape: t.shape, values: m) }
            if let v = trainer.optimizer.second[t.id] { file.tensors[t.id.secondMomentName] = .init(shape: t.shape, values: v) }
        }
        for (l, projections) in trainer.simulation.masks.enumerated() {
            for (p, mask) in projections.enumerated() {
                guard let mask else { continue }
                let neurons = trainer.simulation.layers[l].neurons
                file.tensors[TensorID.weights(layer: l, projection: p).maskName] = .init(shape: [neurons, mask.count / neurons], values: mask.array)
            }
        }
        let weightsDigest = try file.write(to: directory.appendingPathComponent(weightsName))
        let network = trainer.simulation.network, models = network.hidden.map { ModelFile($0.neuronModel) }
        let manifest = Manifest(format: format, weights: weightsName, iteration: state.iteration, optimizerStep: trainer.optimizer.step,
                                optimizer: trainer.optimizer.config, rngState: String(state.rng.state), config: state.config, models: models,
                                network: network, keys: state.keys,
                                checksums: Checksums(weights: weightsDigest, config: SHA256.hex(state.config), models: try checksum(models),
                                                     keys: try checksum(state.keys), network: try checksum(network)))
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try WriteContract.write(try encoder.encode(manifest), to: url)
        // Only weights files Plasticity wrote go; a user's file of the same pattern stays.
        let stale = (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
        for name in stale where name.hasPrefix("\(stem)-") && name.hasSuffix(".safetensors") && name != weightsName {
            try? WriteContract.remove(directory.appendingPathComponent(name))
        }
    }

    /// The config, the hidden layers' models and the class keys a checkpoint holds, checked against its checksums.
    public static func embedded(_ url: URL) throws -> (config: String, models: [ModelFile], keys: [String]?) {
        let manifest = try manifest(url)
        return (manifest.config, manifest.models, manifest.keys)
    }

    /// The network a checkpoint was trained with, checked against its checksum (nil: a checkpoint
    /// of an older version, which stores the config and the models only).
    public static func network(_ url: URL) throws -> NetworkSpec? { try manifest(url).network }

    /// The weights file a checkpoint names, its bytes checked against the manifest.
    public static func weightsURL(_ url: URL) throws -> URL {
        try checkedWeights(try manifest(url), of: url)
    }

    static func manifest(_ url: URL) throws -> Manifest {
        try requireRegularFile(url)
        let data: Data
        do { data = try Data(contentsOf: url) } catch { throw FileFormatError(file: url.path, field: "file", message: "cannot be read") }
        let manifest: Manifest
        // The stored network's layers are read (and their models checked) as they decode: their
        // errors name this file and the layer's field.
        let decoder = JSONDecoder()
        decoder.userInfo[.plasticityConfig] = ConfigContext(file: url.path, folder: url.deletingLastPathComponent())
        do { manifest = try decoder.decode(Manifest.self, from: data) } catch let error as DecodingError {
            if case .dataCorrupted(let context) = error, context.codingPath.isEmpty {
                throw FileFormatError(file: url.path, field: "file", message: "is not a checkpoint manifest (JSON)")
            }
            throw ConfigFile.fileFormatError(error, file: url.path)   // names the field's path, never an empty one
        } catch let error as FileFormatError {
            throw error
        } catch let error as ModelError {
            throw FileFormatError(file: url.path, field: "network", message: "\(error)")
        } catch {
            throw FileFormatError(file: url.path, field: "file", message: "is not a checkpoint manifest (JSON)")
        }
        func fail(_ field: String, _ message: String) -> FileFormatError { FileFormatError(file: url.path, field: field, message: message) }
        guard manifest.format == format else {
            throw fail("format", "'\(manifest.format)' is not \(format)" +
                       (manifest.format == "plasticity-checkpoint-2" ? " (written by an older plasticity, without checksums)" : ""))
        }
        guard (0...maximumIteration).contains(manifest.iteration) else {
            throw fail("iteration", "\(manifest.iteration) is outside 0…\(maximumIteration)")
        }
        guard (0...Int(Int32.max)).contains(manifest.optimizerStep) else {
            throw fail("optimizerStep", "\(manifest.optimizerStep) is outside 0…\(Int32.max)")
        }
        // The name's iteration must be the manifest's (a copied or renamed manifest keeps its weights' stem).
        let suffix = "-\(String(format: "%09d", manifest.iteration)).safetensors"
        guard manifest.weights.hasSuffix(suffix) else {
            throw fail("weights", "'\(manifest.weights)' is not the weights file of iteration \(manifest.iteration) (…\(suffix))")
        }
        guard SHA256.hex(manifest.config) == manifest.checksums.config else {
            throw fail("config", "does not match the manifest (sha256 \(manifest.checksums.config)): the stored config was changed")
        }
        guard try checksum(manifest.models) == manifest.checksums.models else {
            throw fail("models", "do not match the manifest (sha256 \(manifest.checksums.models)): the stored models were changed")
        }
        guard try checksum(manifest.keys) == manifest.checksums.keys else {
            throw fail("keys", "do not match the manifest (sha256 \(manifest.checksums.keys)): the stored class names were changed")
        }
        guard try manifest.network.map(checksum) == manifest.checksums.network else {
            throw fail("network", "does not match the manifest (sha256 \(manifest.checksums.network ?? "none")): the stored network was changed")
        }
        return manifest
    }

    /// The weights file a manifest names, with its bytes checked against the manifest's checksum.
    static func checkedWeights(_ manifest: Manifest, of url: URL) throws -> URL {
        let weightsURL = url.deletingLastPathComponent().appendingPathComponent(manifest.weights)
        try requireRegularFile(weightsURL)
        let digest = try SHA256.hex(file: weightsURL)
        guard digest == manifest.checksums.weights else {
            throw FileFormatError(file: url.path, field: "checksums.weights",
                                  message: "weights file \(manifest.weights) does not match the manifest (sha256 \(digest), the manifest " +
                                  "records \(manifest.checksums.weights))")
        }
        return weightsURL
    }

    /// Restores tensors and optimizer state; every tensor must be present with its shape, and
    /// the optimizer kind must match. Nothing changes unless everything checks.
    public static func load(_ url: URL, into trainer: Trainer) throws -> State {
        let manifest = try manifest(url)
        guard let rng = UInt64(manifest.rngState) else { throw FileFormatError(file: url.path, field: "rngState",
                                                                               message: "is not an unsigned integer") }
        guard manifest.optimizer.kind == trainer.optimizer.config.kind else {
            throw FileFormatError(file: url.path, field: "optimizer.kind",
                                  message: "\(manifest.optimizer.kind.rawValue), the trainer uses \(trainer.optimizer.config.kind.rawValue)")
        }
        try checkModels(manifest.models, of: url, match: trainer.simulation.network)
        let weightsURL = try checkedWeights(manifest, of: url)
        let file = try SafeTensors.read(weightsURL)
        func fail(_ field: String, _ message: String) -> FileFormatError { FileFormatError(file: weightsURL.path, field: field, message: message) }
        let tensors = trainer.simulation.trainableTensors
        for t in tensors {
            guard let stored = file.tensors[t.name] else { throw fail(t.name, "is missing") }
            guard stored.shape == t.shape else { throw fail("\(t.name).shape", "\(stored.shape) in the file, \(t.shape) in the network") }
            for name in [t.id.firstMomentName, t.id.secondMomentName] {
                if let moment = file.tensors[name], moment.shape != t.shape { throw fail("\(name).shape", "\(moment.shape), expected \(t.shape)") }
            }
        }
        let layerDelays = trainer.simulation.delays.compactMap { $0 }
        let kept = layerDelays.map { $0.delays.map { $0?.array } }
        for t in tensors where t.id.isDelays { t.value.array = file.tensors[t.name]!.values }
        if let bad = trainer.simulation.invalidDelay() {
            for (delays, values) in zip(layerDelays, kept) {
                for (buffer, values) in zip(delays.delays, values) { if let buffer, let values { buffer.array = values } }
            }
            throw fail("\(bad.tensor.name)[\(bad.index)]", bad.message)
        }
        for t in tensors {
            t.value.array = file.tensors[t.name]!.values
            trainer.optimizer.first[t.id] = file.tensors[t.id.firstMomentName]?.values
            trainer.optimizer.second[t.id] = file.tensors[t.id.secondMomentName]?.values
        }
        for (l, layer) in trainer.simulation.layers.enumerated() {
            for p in layer.weights.indices {
                if let mask = file.tensors[TensorID.weights(layer: l, projection: p).maskName], mask.values.count == layer.weights[p].count {
                    trainer.simulation.setMask(layer: l, projection: p, mask.values.map { $0 != 0 })
                }
            }
        }
        trainer.optimizer.step = manifest.optimizerStep
        return State(iteration: manifest.iteration, rng: SplitMix64(seed: rng), config: manifest.config, keys: manifest.keys)
    }

    /// Weights trained for one model mean nothing for another: every embedded model must be the
    /// network's, or the error names the layer and what differs.
    static func checkModels(_ models: [ModelFile], of url: URL, match network: NetworkSpec) throws {
        guard models.count == network.hidden.count else {
            throw FileFormatError(file: url.path, field: "models", message: "\(models.count) hidden layers, the network has \(network.hidden.count)")
        }
        for (l, (stored, hidden)) in zip(models, network.hidden).enumerated() {
            let differences = ModelFile(hidden.neuronModel).differences(from: stored)
            guard differences.isEmpty else {
                throw FileFormatError(file: url.path, field: "models[\(l)]",
                                      message: "hidden layer \(l) runs a different model than the checkpoint's " +
                                      "'\(stored.name)' (here: the configured model, there: the checkpoint's): " +
                                      differences.joined(separator: "; "))
            }
        }
    }
}
