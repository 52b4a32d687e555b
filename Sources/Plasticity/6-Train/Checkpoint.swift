import Foundation

/// One file per checkpoint (safetensors): the network's tensors under their trainable names, the
/// optimizer's moments under `optimizer.m.<name>` / `optimizer.v.<name>`, and in the metadata the
/// update count, iteration, RNG state and the caller's config. Written atomically, so a crash or a
/// kill leaves the previous checkpoint whole.
public enum Checkpoint {
    public struct State: Sendable {
        public var iteration: Int
        public var rng: SplitMix64
        public var config: String
        public init(iteration: Int, rng: SplitMix64, config: String) { self.iteration = iteration; self.rng = rng; self.config = config }
    }

    public static func save(_ trainer: Trainer, state: State, to url: URL) throws {
        var file = SafeTensors()
        for t in trainer.simulation.trainableTensors {
            file.tensors[t.name] = .init(shape: t.shape, values: t.value.array)
            if let m = trainer.optimizer.first[t.name] { file.tensors["optimizer.m.\(t.name)"] = .init(shape: t.shape, values: m) }
            if let v = trainer.optimizer.second[t.name] { file.tensors["optimizer.v.\(t.name)"] = .init(shape: t.shape, values: v) }
        }
        file.metadata = ["format": "plasticity-checkpoint-1", "optimizer_step": String(trainer.optimizer.step),
                         "optimizer": trainer.optimizer.config.kind.rawValue,
                         "iteration": String(state.iteration), "rng_state": String(state.rng.state), "config": state.config]
        try file.write(to: url)
    }

    /// Restores tensors and optimizer state; every tensor must be present with its shape.
    public static func load(_ url: URL, into trainer: Trainer) throws -> State {
        let file = try SafeTensors.read(url)
        func fail(_ field: String, _ message: String) -> FileFormatError { FileFormatError(file: url.path, field: field, message: message) }
        guard file.metadata["format"] == "plasticity-checkpoint-1" else { throw fail("__metadata__.format", "is not a Plasticity checkpoint") }
        guard let step = file.metadata["optimizer_step"].flatMap(Int.init) else { throw fail("__metadata__.optimizer_step", "is missing or not an integer") }
        guard let iteration = file.metadata["iteration"].flatMap(Int.init) else { throw fail("__metadata__.iteration", "is missing or not an integer") }
        guard let rng = file.metadata["rng_state"].flatMap(UInt64.init) else { throw fail("__metadata__.rng_state", "is missing or not an integer") }
        let tensors = trainer.simulation.trainableTensors
        for t in tensors {
            guard let stored = file.tensors[t.name] else { throw fail(t.name, "is missing") }
            guard stored.shape == t.shape else { throw fail("\(t.name).shape", "\(stored.shape) in the file, \(t.shape) in the network") }
            for name in ["optimizer.m.\(t.name)", "optimizer.v.\(t.name)"] {
                if let moment = file.tensors[name], moment.shape != t.shape { throw fail("\(name).shape", "\(moment.shape), expected \(t.shape)") }
            }
        }
        // Everything checked: now change the trainer.
        for t in tensors {
            t.value.array = file.tensors[t.name]!.values
            trainer.optimizer.first[t.name] = file.tensors["optimizer.m.\(t.name)"]?.values
            trainer.optimizer.second[t.name] = file.tensors["optimizer.v.\(t.name)"]?.values
        }
        trainer.optimizer.step = step
        return State(iteration: iteration, rng: SplitMix64(seed: rng), config: file.metadata["config"] ?? "")
    }
}
