import Foundation

/// A checkpoint is two files: `<name>.json` (format, config, every hidden layer's neuron model in
/// the `plasticity-model` format, optimizer kind, settings and step, iteration, RNG state, and the
/// name of the weights file) and `<name>-<iteration>.safetensors`
/// (the network's tensors under their trainable names, the optimizer's moments under
/// `optimizer.m.<name>` / `optimizer.v.<name>`, and sparsity masks under `mask.<name>`).
///
/// Crash safety: the weights go to a new file (temp + fsync + rename), then the JSON is replaced
/// the same way, then older weights files are removed. A kill at any moment leaves a JSON that
/// names a complete weights file.
public enum Checkpoint {
    public struct State: Sendable {
        public var iteration: Int
        public var rng: SplitMix64
        public var config: String
        public init(iteration: Int, rng: SplitMix64, config: String) { self.iteration = iteration; self.rng = rng; self.config = config }
    }

    struct Manifest: Codable {
        var format: String
        var weights: String
        var iteration: Int
        var optimizerStep: Int
        var optimizer: OptimizerConfig
        var rngState: String        // a decimal string: JSON numbers lose 64-bit integers
        var config: String
        /// The hidden layers' models, as trained (absent in checkpoints written before models travelled).
        var models: [ModelFile]?
    }
    static let format = "plasticity-checkpoint-2"

    /// - Parameter url: the JSON file; the weights file is written beside it.
    public static func save(_ trainer: Trainer, state: State, to url: URL) throws {
        let directory = url.deletingLastPathComponent(), stem = url.deletingPathExtension().lastPathComponent
        let weightsName = "\(stem)-\(String(format: "%09d", state.iteration)).safetensors"
        var file = SafeTensors()
        for t in trainer.simulation.trainableTensors {
            file.tensors[t.name] = .init(shape: t.shape, values: t.value.array)
            if let m = trainer.optimizer.first[t.name] { file.tensors["optimizer.m.\(t.name)"] = .init(shape: t.shape, values: m) }
            if let v = trainer.optimizer.second[t.name] { file.tensors["optimizer.v.\(t.name)"] = .init(shape: t.shape, values: v) }
        }
        for (l, projections) in trainer.simulation.masks.enumerated() {
            for (p, mask) in projections.enumerated() {
                guard let mask else { continue }
                let neurons = trainer.simulation.layers[l].neurons
                file.tensors["mask.layer\(l).w\(p)"] = .init(shape: [neurons, mask.count / neurons], values: mask.array)
            }
        }
        try file.write(to: directory.appendingPathComponent(weightsName))
        let manifest = Manifest(format: format, weights: weightsName, iteration: state.iteration, optimizerStep: trainer.optimizer.step,
                                optimizer: trainer.optimizer.config, rngState: String(state.rng.state), config: state.config,
                                models: trainer.simulation.network.hidden.map { ModelFile($0.model) })
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try writeAtomically(try encoder.encode(manifest), to: url)
        let stale = (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
        for name in stale where name.hasPrefix("\(stem)-") && name.hasSuffix(".safetensors") && name != weightsName {
            try? FileManager.default.removeItem(at: directory.appendingPathComponent(name))
        }
    }

    /// The config and the hidden layers' models a checkpoint holds (models: nil in old checkpoints).
    public static func embedded(_ url: URL) throws -> (config: String, models: [ModelFile]?) {
        let manifest = try manifest(url)
        return (manifest.config, manifest.models)
    }

    /// The weights file a checkpoint names.
    public static func weightsURL(_ url: URL) throws -> URL {
        url.deletingLastPathComponent().appendingPathComponent(try manifest(url).weights)
    }

    static func manifest(_ url: URL) throws -> Manifest {
        try requireRegularFile(url)
        let data: Data
        do { data = try Data(contentsOf: url) } catch { throw FileFormatError(file: url.path, field: "file", message: "cannot be read") }
        let manifest: Manifest
        do { manifest = try JSONDecoder().decode(Manifest.self, from: data) } catch let error as DecodingError {
            if case .dataCorrupted(let context) = error, context.codingPath.isEmpty {
                throw FileFormatError(file: url.path, field: "file", message: "is not a checkpoint manifest (JSON)")
            }
            throw ConfigFile.fileFormatError(error, file: url.path)   // names the field's path, never an empty one
        } catch {
            throw FileFormatError(file: url.path, field: "file", message: "is not a checkpoint manifest (JSON)")
        }
        guard manifest.format == format else { throw FileFormatError(file: url.path, field: "format",
                                                                     message: "'\(manifest.format)' is not \(format)") }
        guard !manifest.weights.contains("/") else { throw FileFormatError(file: url.path, field: "weights",
                                                                           message: "must name a file beside the manifest") }
        return manifest
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
        let weightsURL = url.deletingLastPathComponent().appendingPathComponent(manifest.weights)
        let file = try SafeTensors.read(weightsURL)
        func fail(_ field: String, _ message: String) -> FileFormatError { FileFormatError(file: weightsURL.path, field: field, message: message) }
        let tensors = trainer.simulation.trainableTensors
        for t in tensors {
            guard let stored = file.tensors[t.name] else { throw fail(t.name, "is missing") }
            guard stored.shape == t.shape else { throw fail("\(t.name).shape", "\(stored.shape) in the file, \(t.shape) in the network") }
            for name in ["optimizer.m.\(t.name)", "optimizer.v.\(t.name)"] {
                if let moment = file.tensors[name], moment.shape != t.shape { throw fail("\(name).shape", "\(moment.shape), expected \(t.shape)") }
            }
        }
        for t in tensors {
            t.value.array = file.tensors[t.name]!.values
            trainer.optimizer.first[t.name] = file.tensors["optimizer.m.\(t.name)"]?.values
            trainer.optimizer.second[t.name] = file.tensors["optimizer.v.\(t.name)"]?.values
        }
        for (l, layer) in trainer.simulation.layers.enumerated() {
            for p in layer.weights.indices {
                if let mask = file.tensors["mask.layer\(l).w\(p)"], mask.values.count == layer.weights[p].count {
                    trainer.simulation.setMask(layer: l, projection: p, mask.values.map { $0 != 0 })
                }
            }
        }
        trainer.optimizer.step = manifest.optimizerStep
        return State(iteration: manifest.iteration, rng: SplitMix64(seed: rng), config: manifest.config)
    }

    /// Weights trained for one model mean nothing for another: every embedded model must be the
    /// network's, or the error names the layer and what differs.
    static func checkModels(_ models: [ModelFile]?, of url: URL, match network: NetworkSpec) throws {
        guard let models else { return }
        guard models.count == network.hidden.count else {
            throw FileFormatError(file: url.path, field: "models", message: "\(models.count) hidden layers, the network has \(network.hidden.count)")
        }
        for (l, (stored, hidden)) in zip(models, network.hidden).enumerated() {
            let differences = ModelFile(hidden.model).differences(from: stored)
            guard differences.isEmpty else {
                throw FileFormatError(file: url.path, field: "models[\(l)]",
                                      message: "hidden layer \(l) runs a different model than the checkpoint's " +
                                      "'\(stored.name)' (here: the configured model, there: the checkpoint's): " +
                                      differences.joined(separator: "; "))
            }
        }
    }
}
