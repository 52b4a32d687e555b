import Foundation
import Plasticity
import PlasticityData

/// Simulations and trainers (include/plasticity.h): a simulation holds the network's kernel,
/// weights and buffers for `batch` sequences; its lock serializes calls on it.
final class SimulationObject {
    let simulation: NetworkSimulation
    let evaluator: Trainer
    var gradients: [String: [Float]] = [:]
    let lock = NSLock()

    init(_ simulation: NetworkSimulation) {
        self.simulation = simulation
        evaluator = Trainer(simulation: simulation, optimizer: Optimizer(OptimizerConfig()))
    }

    /// The input and targets of one call, checked against the network: shapes, finite values,
    /// labels within the readout.
    func batch(_ input: UnsafePointer<Float>?, _ steps: Int64, _ batch: Int64, _ inputs: Int64, _ targets: UnsafePointer<Float>?,
               _ targetCount: Int64, requireTargets: Bool) throws -> (input: [Float], targets: [Float], steps: Int, labelled: Bool) {
        let spec = simulation.network
        guard batch == Int64(simulation.batch) else { throw BoundaryError("batch is \(batch), the simulation runs \(simulation.batch) sequences") }
        guard inputs == Int64(spec.inputs) else { throw BoundaryError("inputs is \(inputs), the network has \(spec.inputs)") }
        guard steps >= 1, steps <= 10_000_000, MemoryCap.product(Int(steps), Int(batch), spec.inputs) <= Int(Int32.max) else {
            throw BoundaryError("steps is \(steps): from 1, with steps × batch × inputs at most \(Int32.max)")
        }
        let T = Int(steps), B = Int(batch)
        let x = try floats(input, Int64(T * B * spec.inputs), expected: T * B * spec.inputs, "input")
        guard targets != nil || !requireTargets else { throw BoundaryError("targets is NULL") }
        guard targets != nil else { return (x, [Float](repeating: 0, count: T * B * spec.targetWidth), T, false) }
        let y = try floats(targets, targetCount, expected: T * B * spec.targetWidth, "targets")
        if let (index, message) = spec.invalidTarget(in: y) { throw BoundaryError("targets[\(index)] \(message)", .badInput) }
        return (x, y, T, true)
    }
}

final class TrainerObject {
    let owner: SimulationObject
    let trainer: Trainer
    let method: TrainingMethod
    init(owner: SimulationObject, trainer: Trainer, method: TrainingMethod) { self.owner = owner; self.trainer = trainer; self.method = method }
}

@_cdecl("plasticity_simulation_create")
public func simulationCreate(_ networkJSON: UnsafePointer<CChar>?, _ backend: UnsafePointer<CChar>?, _ batch: Int64, _ chunkSteps: Int64,
                             _ seed: UInt64, _ handle: UnsafeMutablePointer<UInt64>?) -> Int32 {
    guarded {
        guard let handle else { throw BoundaryError("handle is NULL") }
        let name = try text(backend, "backend")
        guard let chosen = Backend(rawValue: name) else { throw BoundaryError("backend is '\(name)', not tinyCC or systemCC") }
        guard (1...65_536).contains(batch) else { throw BoundaryError("batch is \(batch), not 1 to 65536") }
        guard (0...1_000_000).contains(chunkSteps) else { throw BoundaryError("chunk_steps is \(chunkSteps), not 0 (step by step) to 1000000") }
        let simulation = try NetworkSimulation(kernel: try compile(try networkSpec(networkJSON), backend: chosen), batch: Int(batch),
                                               chunkSteps: Int(chunkSteps))
        simulation.initializeWeights(seed: seed)
        simulation.initializeParameters(seed: seed)
        handle.pointee = Registry.shared.add(SimulationObject(simulation))
    }
}

@_cdecl("plasticity_simulation_load")
public func simulationLoad(_ checkpoint: UnsafePointer<CChar>?, _ batch: Int64, _ handle: UnsafeMutablePointer<UInt64>?) -> Int32 {
    guarded {
        guard let handle else { throw BoundaryError("handle is NULL") }
        guard (1...65_536).contains(batch) else { throw BoundaryError("batch is \(batch), not 1 to 65536") }
        let url = URL(fileURLWithPath: try text(checkpoint, "checkpoint"))
        let config = try TrainConfig.embedded(in: url)
        let weights = try SafeTensors.read(try Checkpoint.weightsURL(url)).tensors
        guard let readout = weights[TensorID.readoutWeights.name], readout.shape.count == 2,
              let input = weights[TensorID.weights(layer: 0, projection: 0).name], input.shape.count == 2 else {
            throw FileFormatError(file: url.path, field: "weights", message: "lack readout.w or layer0.w0 of rank 2")
        }
        let spec = try Checkpoint.network(url) ?? config.networkSpec(inputs: input.shape[1], classes: readout.shape[0], file: url.path)
        let simulation = try NetworkSimulation(kernel: try compile(spec, backend: config.network.backend), batch: Int(batch))
        let object = SimulationObject(simulation)
        _ = try Checkpoint.load(url, into: object.evaluator)
        handle.pointee = Registry.shared.add(object)
    }
}

@_cdecl("plasticity_simulation_free")
public func simulationFree(_ handle: UInt64) -> Int32 {
    guarded { try Registry.shared.remove(handle, SimulationObject.self, "simulation") }
}

@_cdecl("plasticity_simulation_describe")
public func simulationDescribe(_ handle: UInt64, _ out: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> Int32 {
    guarded {
        let object = try Registry.shared.get(handle, SimulationObject.self, "simulation")
        object.lock.lock(); defer { object.lock.unlock() }
        let sim = object.simulation, spec = sim.network
        let tensors: [[String: Any]] = sim.trainableTensors.map { ["name": $0.name, "shape": $0.shape] }
        try give(try jsonText(["inputs": spec.inputs, "outputs": spec.outputs, "batch": sim.batch, "hidden": spec.hidden.map(\.neurons),
                               "states": sim.layers.map { $0.model.states.map(\.name) }, "targetWidth": spec.targetWidth,
                               "tensors": tensors] as [String: Any]), to: out, "json")
    }
}

func tensor(_ object: SimulationObject, _ name: UnsafePointer<CChar>?) throws -> TrainableTensor {
    let wanted = try text(name, "name")
    guard let found = object.simulation.trainableTensors.first(where: { $0.name == wanted }) else {
        throw BoundaryError("'\(wanted)' is not a tensor of this network (\(object.simulation.trainableTensors.map(\.name).joined(separator: ", ")))")
    }
    return found
}

@_cdecl("plasticity_tensor_get")
public func tensorGet(_ handle: UInt64, _ name: UnsafePointer<CChar>?, _ values: UnsafeMutablePointer<Float>?, _ count: Int64) -> Int32 {
    guarded {
        let object = try Registry.shared.get(handle, SimulationObject.self, "simulation")
        object.lock.lock(); defer { object.lock.unlock() }
        try copy(try tensor(object, name).value.array, to: values, count, "values")
    }
}

@_cdecl("plasticity_tensor_set")
public func tensorSet(_ handle: UInt64, _ name: UnsafePointer<CChar>?, _ values: UnsafePointer<Float>?, _ count: Int64) -> Int32 {
    guarded {
        let object = try Registry.shared.get(handle, SimulationObject.self, "simulation")
        object.lock.lock(); defer { object.lock.unlock() }
        let t = try tensor(object, name)
        let given = try floats(values, count, expected: t.value.count, t.name), kept = t.value.array
        t.value.array = given
        if let bad = object.simulation.invalidDelay() {
            t.value.array = kept
            throw BoundaryError("\(bad.tensor.name)[\(bad.index)] \(bad.message)", .badInput)
        }
    }
}

@_cdecl("plasticity_simulation_run")
public func simulationRun(_ handle: UInt64, _ input: UnsafePointer<Float>?, _ steps: Int64, _ batch: Int64, _ inputs: Int64,
                          _ targets: UnsafePointer<Float>?, _ targetCount: Int64, _ readout: UnsafeMutablePointer<Float>?, _ readoutCount: Int64,
                          _ spikes: UnsafeMutablePointer<Float>?, _ spikeCount: Int64, _ states: UnsafeMutablePointer<Float>?, _ stateCount: Int64,
                          _ loss: UnsafeMutablePointer<Double>?) -> Int32 {
    guarded {
        let object = try Registry.shared.get(handle, SimulationObject.self, "simulation")
        object.lock.lock(); defer { object.lock.unlock() }
        let call = try object.batch(input, steps, batch, inputs, targets, targetCount, requireTargets: false)
        let spec = object.simulation.network, width = Int64(call.steps) * batch
        guard readoutCount == width * Int64(spec.outputs) else {
            throw BoundaryError("readout has room for \(readoutCount) values, the run gives \(width * Int64(spec.outputs))")
        }
        let neurons = Int64(spec.hidden.reduce(0) { $0 + $1.neurons })
        if spikes != nil, spikeCount != width * neurons {
            throw BoundaryError("spikes has room for \(spikeCount) values, the run gives \(width * neurons)")
        }
        let stateValues = Int64(zip(spec.hidden, object.simulation.layers).reduce(0) { $0 + $1.0.neurons * $1.1.layout.stateCount })
        if states != nil, stateCount != width * stateValues {
            throw BoundaryError("states has room for \(stateCount) values, the run gives \(width * stateValues)")
        }
        let result = try object.evaluator.evaluate(input: call.input, targets: call.targets, steps: call.steps, recordSpikes: spikes != nil,
                                                   recordStates: states != nil)
        try copy(result.readout, to: readout, readoutCount, "readout")
        if let spikes { try copy(result.spikes.flatMap { $0 }, to: spikes, spikeCount, "spikes") }
        if let states { try copy(result.states.flatMap { $0 }, to: states, stateCount, "states") }
        loss?.pointee = call.labelled ? result.metrics.loss : .nan
    }
}

@_cdecl("plasticity_simulation_gradients")
public func simulationGradients(_ handle: UInt64, _ method: UnsafePointer<CChar>?, _ input: UnsafePointer<Float>?, _ steps: Int64,
                                _ batch: Int64, _ inputs: Int64, _ targets: UnsafePointer<Float>?, _ targetCount: Int64,
                                _ loss: UnsafeMutablePointer<Double>?) -> Int32 {
    guarded {
        let object = try Registry.shared.get(handle, SimulationObject.self, "simulation")
        object.lock.lock(); defer { object.lock.unlock() }
        let name = try text(method, "method")
        let call = try object.batch(input, steps, batch, inputs, targets, targetCount, requireTargets: true)
        let sim = object.simulation
        let gradients: NetworkGradients
        switch name {
        case "eprop":   // one call for the whole sequence, as the trainer and gradcheck run it
            sim.resetSequence(); sim.zeroGradients()
            let r = sim.run(input: call.input, targets: call.targets, steps: call.steps)
            if let f = r.failure { throw BoundaryError("e-prop: \(f.tensor) became non-finite at step \(f.step)", .nonFinite) }
            gradients = { var g = sim.accumulatedGradients; g.loss = r.loss; return g }()
        case "bptt": gradients = try backpropagationThroughTime(sim, input: call.input, targets: call.targets, steps: call.steps)
        case "rtrl": gradients = try realTimeRecurrentLearning(sim, input: call.input, targets: call.targets, steps: call.steps)
        default: throw BoundaryError("method is '\(name)', not eprop, bptt or rtrl")
        }
        object.gradients = Dictionary(uniqueKeysWithValues: gradients.named.map { ($0.id.name, $0.values.map { Float($0) }) })
        // A fixed tensor (fixed delays) is never updated: its gradient is zero.
        for t in sim.trainableTensors where !t.learnable { object.gradients[t.name] = [Float](repeating: 0, count: t.value.count) }
        loss?.pointee = gradients.loss
    }
}

@_cdecl("plasticity_gradient_get")
public func gradientGet(_ handle: UInt64, _ name: UnsafePointer<CChar>?, _ values: UnsafeMutablePointer<Float>?, _ count: Int64) -> Int32 {
    guarded {
        let object = try Registry.shared.get(handle, SimulationObject.self, "simulation")
        object.lock.lock(); defer { object.lock.unlock() }
        let wanted = try text(name, "name")
        guard let gradient = object.gradients[wanted] else {
            throw BoundaryError(object.gradients.isEmpty ? "no gradients yet: call plasticity_simulation_gradients first"
                                : "'\(wanted)' is not a tensor of this network (\(object.gradients.keys.sorted().joined(separator: ", ")))")
        }
        try copy(gradient, to: values, count, "values")
    }
}

@_cdecl("plasticity_trainer_create")
public func trainerCreate(_ simulation: UInt64, _ trainingJSON: UnsafePointer<CChar>?, _ updateEvery: Int64, _ method: UnsafePointer<CChar>?,
                          _ handle: UnsafeMutablePointer<UInt64>?) -> Int32 {
    guarded {
        guard let handle else { throw BoundaryError("handle is NULL") }
        let owner = try Registry.shared.get(simulation, SimulationObject.self, "simulation")
        var config = TrainConfig()
        if trainingJSON != nil {
            config = try config.merging(["training": try jsonObject(trainingJSON, "training_json")], file: "training_json", folder: workingFolder)
        }
        let methodName = try text(method, "method")
        guard let chosen = TrainingMethod(rawValue: methodName) else { throw BoundaryError("method is '\(methodName)', not eprop or bptt") }
        guard updateEvery >= 0 else { throw BoundaryError("update_every is \(updateEvery), not 0 (once per batch) or a number of steps") }
        let trainer = Trainer(simulation: owner.simulation, optimizer: Optimizer(config.training.optimizerConfig(updates: nil)),
                              updateEvery: updateEvery == 0 ? nil : Int(updateEvery))
        handle.pointee = Registry.shared.add(TrainerObject(owner: owner, trainer: trainer, method: chosen))
    }
}

@_cdecl("plasticity_trainer_free")
public func trainerFree(_ handle: UInt64) -> Int32 {
    guarded { try Registry.shared.remove(handle, TrainerObject.self, "trainer") }
}

@_cdecl("plasticity_trainer_save")
public func trainerSave(_ handle: UInt64, _ path: UnsafePointer<CChar>?, _ iteration: Int64, _ overwrite: Int32) -> Int32 {
    guarded {
        let object = try Registry.shared.get(handle, TrainerObject.self, "trainer")
        object.owner.lock.lock(); defer { object.owner.lock.unlock() }
        let url = URL(fileURLWithPath: try text(path, "path"))
        try WriteContract.check(url, overwrite: overwrite != 0, inputs: [])
        let spec = object.owner.simulation.network
        // The network as a train config holds it: its layers, κ, loss and step; inputs as channels.
        var config = TrainConfig()
        config.network.hidden = spec.hidden
        config.network.readoutDecay = spec.kappa
        config.network.backend = object.owner.simulation.kernel.backend
        config.data.channels = spec.inputs
        config.data.binning.pool = 1
        config.data.binning.binMs = spec.stepMs
        config.training.loss = spec.loss
        config.training.method = object.method
        try Checkpoint.save(object.trainer, state: .init(iteration: Int(iteration), rng: SplitMix64(seed: 0), config: config.json), to: url)
    }
}

@_cdecl("plasticity_trainer_load")
public func trainerLoad(_ handle: UInt64, _ path: UnsafePointer<CChar>?, _ iteration: UnsafeMutablePointer<Int64>?) -> Int32 {
    guarded {
        let object = try Registry.shared.get(handle, TrainerObject.self, "trainer")
        object.owner.lock.lock(); defer { object.owner.lock.unlock() }
        let state = try Checkpoint.load(URL(fileURLWithPath: try text(path, "path")), into: object.trainer)
        iteration?.pointee = Int64(state.iteration)
    }
}

@_cdecl("plasticity_trainer_step")
public func trainerStep(_ handle: UInt64, _ input: UnsafePointer<Float>?, _ steps: Int64, _ batch: Int64, _ inputs: Int64,
                        _ targets: UnsafePointer<Float>?, _ targetCount: Int64, _ loss: UnsafeMutablePointer<Double>?,
                        _ accuracy: UnsafeMutablePointer<Double>?) -> Int32 {
    guarded {
        let object = try Registry.shared.get(handle, TrainerObject.self, "trainer")
        object.owner.lock.lock(); defer { object.owner.lock.unlock() }
        let call = try object.owner.batch(input, steps, batch, inputs, targets, targetCount, requireTargets: true)
        let trainer = object.trainer
        let metrics = object.method == .bptt ? try trainer.trainWithBackpropagation(input: call.input, targets: call.targets, steps: call.steps)
            : try trainer.train(input: call.input, targets: call.targets, steps: call.steps)
        loss?.pointee = metrics.loss
        accuracy?.pointee = metrics.accuracy ?? .nan
    }
}
