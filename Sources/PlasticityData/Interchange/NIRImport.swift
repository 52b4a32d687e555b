import Foundation
import Plasticity

/// A NIR graph as a Plasticity network: hidden layers (models as data), their weights and the
/// readout, ready to become a train config and a checkpoint at epoch 0 (docs/nir.md). The graph
/// must be a chain input → projection → neuron layer (→ its own recurrence) → … → projection
/// (→ LI) → output; anything else is refused naming the node.
public struct NIRNetwork {
    public var inputs: Int, outputs: Int
    public var hidden: [LayerSpec]
    public var readoutDecay: Double
    /// A Delay node right after the Input: the first layer's axonal delays, in steps.
    public var inputDelays: [Double]?
    /// Under the trainer's names: layer<l>.w0 (input), layer<l>.w1 (recurrent), readout.w, readout.b.
    public var weights: [String: SafeTensors.Tensor]

    public init(_ written: NIRGraph, dt: Double, file: String) throws {
        let graph = written.withoutIdentities()   // identity Linear nodes (snnTorch-profile recurrences) change nothing
        func fail(_ node: String, _ message: String) -> FileFormatError { FileFormatError(file: file, field: "node \(node)", message: message) }
        guard dt.isFinite, dt > 0 else {
            throw FileFormatError(file: "--dt", field: "dt", message: "must be a positive number of seconds, not \(dt)")
        }
        for (name, node) in graph.nodes.sorted(by: { $0.key < $1.key }) {
            if case .unsupported(let type) = node {
                throw fail(name, "is a \(type) node; Plasticity runs Input, Output, Linear, Affine, LIF, CubaLIF, IF and LI (a readout)")
            }
        }
        let starts = graph.nodes.filter { if case .input = $0.value { return true } else { return false } }
        guard starts.count == 1, let (start, startNode) = starts.first, case .input(let shape) = startNode else {
            throw fail(starts.keys.sorted().joined(separator: ", "), "a trainable graph has exactly one Input node (this one has \(starts.count))")
        }
        var successors: [String: [String]] = [:], predecessors: [String: [String]] = [:]
        for e in graph.edges { successors[e.source, default: []].append(e.target); predecessors[e.target, default: []].append(e.source) }
        func only(_ list: [String]?, after node: String) throws -> String {
            guard let list, list.count == 1 else {
                throw fail(node, "feeds \(list?.count ?? 0) nodes (\((list ?? []).joined(separator: ", "))); Plasticity trains chains of layers " +
                           "(no branches or skip connections)")
            }
            return list[0]
        }
        inputs = shape.reduce(1, *)
        var layers: [LayerSpec] = [], tensors: [String: SafeTensors.Tensor] = [:], visited: Set<String> = [start]
        var current = start, width = inputs, firstDelays: [Double]?
        var readout: (weight: NIRGraph.Matrix, bias: [Float], decay: Double, gain: Double, offset: Double, through: String)?
        while readout == nil {
            let feedsForward = (successors[current] ?? []).filter { !(predecessors[current] ?? []).contains($0) || layers.isEmpty }
            var projection = try only(feedsForward, after: current)
            // A Delay before a layer's projection: that layer's axonal delays, in steps.
            var delays: [Double]?
            if case .delay(let seconds) = graph.nodes[projection]! {
                guard seconds.count == width || seconds.count == 1 else { throw fail(projection, "delays \(seconds.count) inputs, not \(width)") }
                if let bad = seconds.firstIndex(where: { !($0.isFinite && $0 >= 0) }) {
                    throw fail(projection, "delay[\(bad)] is \(seconds[bad]) s; a delay is a finite number of seconds, not negative")
                }
                delays = (seconds.count == 1 ? .init(repeating: seconds[0], count: width) : seconds).map { $0 / dt }
                guard delays!.max()! <= Double(DelaySpec.maxStepsLimit) else {
                    throw fail(projection, "delays by up to \(delays!.max()!) steps of \(dt) s; Plasticity takes up to \(DelaySpec.maxStepsLimit)")
                }
                if layers.isEmpty { firstDelays = delays }
                visited.insert(projection); current = projection
                projection = try only(successors[projection], after: projection)
            }
            if case .output = graph.nodes[projection]!, !layers.isEmpty {
                throw fail(current, "is a spiking layer that feeds the Output node directly (a spiking output layer, as snnTorch's last " +
                           "Leaky): Plasticity's networks end in a readout of the last layer's spikes — Linear/Affine → LI → Output, or " +
                           "Linear/Affine → Output — and their losses are on that readout, not on output spike counts; add the readout " +
                           "(or export the peer network without its output neurons)")
            }
            let (weight, bias) = try Self.projection(graph.nodes[projection]!, name: projection, fail: fail)
            guard weight.columns == width else { throw fail(projection, "takes \(weight.columns) inputs, \(current) gives \(width)") }
            let target = try only(successors[projection], after: projection)
            visited.formUnion([projection, target])
            switch graph.nodes[target]! {
            case .lif, .cubaLIF, .integrateAndFire:
                let l = layers.count
                if let count = graph.nodes[target]!.parameterCount, count != 1, count != weight.rows {
                    throw fail(target, "has \(count) neurons, but \(projection) gives \(weight.rows) inputs to it")
                }
                var model: NeuronModel, perNeuron: [String: [Double]]
                do { (model, perNeuron) = try NIRNeurons.model(of: graph.nodes[target]!, dt: dt, name: target) } catch let error as NIRError {
                    throw fail(target, error.message)
                }
                if let exported = Self.exportedModel(graph, node: target, neurons: weight.rows, dt: dt) { (model, perNeuron) = exported }
                let recurrence = (predecessors[target] ?? []).filter { $0 != projection }
                guard recurrence.count <= 1 else { throw fail(target, "has inputs from \(recurrence.joined(separator: ", ")) besides \(projection)") }
                var biases = [(projection, bias)]
                if let loop = recurrence.first {
                    // A layer's own recurrence: a Linear, or an Affine (RLeaky writes one) whose bias joins the input's.
                    guard predecessors[loop] == [target], successors[loop] == [target],
                          let (w, loopBias) = try? Self.projection(graph.nodes[loop]!, name: loop, fail: fail) else {
                        throw fail(loop, "feeds \(target) but is not its own recurrence (a Linear or Affine from \(target) back to " +
                                   "\(target) alone); only a layer's own recurrence is supported")
                    }
                    biases.append((loop, loopBias))
                    guard w.rows == weight.rows, w.columns == weight.rows else {
                        throw fail(loop, "is \(w.rows) × \(w.columns), not \(weight.rows) × \(weight.rows)")
                    }
                    tensors[TensorID.weights(layer: l, projection: 1).name] = .init(shape: [w.rows, w.columns], values: w.values)
                    visited.insert(loop)
                }
                tensors[TensorID.weights(layer: l, projection: 0).name] = .init(shape: [weight.rows, weight.columns], values: weight.values)
                if biases.contains(where: { $0.1.contains { $0 != 0 } }) {
                    (model, perNeuron) = try Self.foldingBiases(biases, into: model, perNeuron: perNeuron, neurons: weight.rows, target: target,
                                                                fail: fail)
                }
                var projections: [LayerSpec.Projection]?
                if let delays {
                    // Whole steps stay fixed; a fraction is read by interpolation, so those delays learn.
                    let learnable = delays.contains { abs($0 - $0.rounded()) > 1e-6 }
                    let spec = DelaySpec(.axonal, maxSteps: max(1, Int(delays.max()!.rounded(.up))), learnable: learnable)
                    projections = LayerSpec.defaultProjections(of: model, recurrent: !recurrence.isEmpty)
                    projections![0].delays = spec
                    tensors[TensorID.delays(layer: l, projection: 0).name] = .init(shape: [width],
                        values: delays.map { Float(learnable ? $0 : $0.rounded()) })
                }
                var layer = LayerSpec(model: ModelChoice(model), neurons: weight.rows, recurrent: !recurrence.isEmpty, feedback: .random,
                                      projections: projections)
                layer.initializers = perNeuron.mapValues { ParameterInit(.values, values: $0) }
                layers.append(layer)
                current = target; width = weight.rows
            case .leakyIntegrator(let tau, let r, let vLeak):
                if delays != nil { throw fail(current, "delays the readout's input; Plasticity delays the inputs of hidden layers only") }
                guard tau.count == 1 || tau.count == weight.rows else {
                    throw fail(target, "has \(tau.count) neurons, but \(projection) gives \(weight.rows) inputs to it")
                }
                let tauValue = try Self.uniform(tau, "tau", target, fail)!
                guard tauValue >= dt else { throw fail(target, "tau = \(tauValue) s is shorter than dt = \(dt) s: forward Euler would overshoot") }
                let a = dt / tauValue
                readout = (weight, bias, 1 - a, a * (try Self.uniform(r, "r", target, fail)!), a * (try Self.uniform(vLeak, "v_leak", target, fail)!),
                           try only(successors[target], after: target))
                if let exact = graph.metadata["plasticity_readout_decay"].flatMap(Double.init), abs(exact - (1 - a)) <= 1e-9,
                   abs(readout!.gain - 1) <= 1e-9, readout!.offset == 0 {
                    readout!.decay = exact; readout!.gain = 1   // as exported: no rounding of κ through τ
                }
            case .output:
                if delays != nil { throw fail(current, "delays the readout's input; Plasticity delays the inputs of hidden layers only") }
                readout = (weight, bias, 0, 1, 0, target)
            default:
                throw fail(target, "is a \(graph.nodes[target]!.typeName) node after \(projection); expected a neuron layer or the " +
                           "readout (LI → Output)")
            }
        }
        guard let readout, case .output(let outputShape) = graph.nodes[readout.through] ?? .unsupported(type: "") else {
            throw fail(readout?.through ?? "readout", "the readout must lead to the Output node")
        }
        visited.insert(readout.through)
        guard !layers.isEmpty else { throw fail(start, "the graph has no spiking layer between Input and Output") }
        if let stray = graph.nodes.keys.sorted().first(where: { !visited.contains($0) }) {
            throw fail(stray, "is not on the chain from Input to Output")
        }
        guard outputShape.reduce(1, *) == readout.weight.rows else {
            throw fail(readout.through, "has shape \(outputShape), the readout gives \(readout.weight.rows)")
        }
        layers[layers.count - 1].feedback = .symmetric
        let g = Float(readout.gain), c = Float(readout.offset)
        tensors[TensorID.readoutWeights.name] = .init(shape: [readout.weight.rows, readout.weight.columns],
                                     values: g == 1 ? readout.weight.values : readout.weight.values.map { $0 * g })
        tensors[TensorID.readoutBias.name] = .init(shape: [readout.weight.rows],
                                                   values: g == 1 && c == 0 ? readout.bias : readout.bias.map { $0 * g + c })
        hidden = layers; readoutDecay = readout.decay; outputs = readout.weight.rows; weights = tensors; inputDelays = firstDelays
    }

    /// The model Plasticity exported for `node` (kept in the metadata), with the per-neuron values
    /// the node holds, when it holds exactly what that model exports to: the same floats as
    /// before the export, no rounding through τ.
    static func exportedModel(_ graph: NIRGraph, node: String, neurons: Int, dt: Double) -> (NeuronModel, [String: [Double]])? {
        guard let text = graph.metadata["plasticity_\(node)_model"],
              let file = try? ConfigFile.decode(ModelFile.self, from: ConfigFile.object(Data(text.utf8), file: node), file: node),
              let kind = NIRNeurons.kind(of: file), let model = (try? file.checkedModel(file: node))?.0 else { return nil }
        // The values per neuron: the file's fixed ones, and for learnable ones the node's (per neuron where they
        // differ); through the model's own export they must give the node back.
        guard let (generic, perNeuron) = try? NIRNeurons.model(of: graph.nodes[node]!, dt: dt, name: node),
              let scalars = try? generic.checked().fixedParameters else { return nil }
        var values: [String: [Double]] = [:]
        for p in file.parameters {
            values[p.name] = p.learnable ? perNeuron[p.name] ?? .init(repeating: scalars[p.name] ?? p.value, count: neurons)
                : .init(repeating: p.value, count: neurons)
        }
        guard let exported = try? NIRNeurons.node(kind, values, dt: dt, resetToZero: false, layer: node), exported == graph.nodes[node] else {
            return nil
        }
        // Learnable values start from the node's (trained) values even where they agree: the file holds their initial ones.
        let learnable = Set(file.parameters.filter(\.learnable).map(\.name))
        return (model, values.filter { name, _ in learnable.contains(name) })
    }

    /// A bias b on the projections into a LIF or IF layer is a constant input: with
    /// v ← α v + leak + gain (I + b), it is exactly a per-neuron leak + gain·b. A CubaLIF layer's
    /// bias would enter its synaptic current, which has no constant term: refused.
    static func foldingBiases(_ biases: [(String, [Float])], into model: NeuronModel, perNeuron: [String: [Double]], neurons n: Int,
                              target: String, fail: (String, String) -> FileFormatError) throws -> (NeuronModel, [String: [Double]]) {
        let checked = try model.checked()
        guard checked.states.count == 1, let leak = checked.fixedParameters["leak"], let gain = checked.fixedParameters["gain"] else {
            let named = biases.first { $0.1.contains { $0 != 0 } }!.0
            throw fail(named, "has a bias into \(target), a \(checked.name) layer: a bias is a constant input, which Plasticity folds into " +
                       "the membrane's leak for LIF and IF; a CubaLIF's synaptic current has no constant term, so export the network " +
                       "without biases (bias=False) or into LIF neurons")
        }
        let gains = perNeuron["gain"] ?? .init(repeating: gain, count: n)
        let leaks = (0..<n).map { j in (perNeuron["leak"]?[j] ?? leak) + gains[j] * biases.reduce(0.0) { $0 + Double($1.1[j]) } }
        var values = perNeuron
        values["leak"] = leaks
        let differing = values.filter { _, v in v.contains { $0 != v[0] } }
        return (try model.setting(parameters: ["leak": leaks[0]]), differing)
    }

    static func projection(_ node: NIRGraph.Node, name: String, fail: (String, String) -> FileFormatError) throws -> (NIRGraph.Matrix, [Float]) {
        switch node {
        case .linear(let w): return (w, [Float](repeating: 0, count: w.rows))
        case .affine(let w, let b): return (w, b)
        default: throw fail(name, "is a \(node.typeName) node where a projection (Linear or Affine) belongs")
        }
    }

    static func uniform(_ values: [Double], _ parameter: String, _ node: String, _ fail: (String, String) -> FileFormatError) throws -> Double? {
        guard let first = values.first, values.allSatisfy({ $0 == first }) else { throw fail(node, "\(parameter) differs between neurons") }
        guard parameter != "tau" || first > 0 else { throw fail(node, "tau must be positive, not \(first)") }
        return first
    }

    /// `base` (the data, training and backend sections) with this network, whose time constants
    /// were made for a step of `dt` seconds. The data's binning is the user's: when its bins are
    /// not dt long, the error says so and how to make them agree (nothing is changed behind them).
    public func config(over base: TrainConfig, dt: Double) throws -> TrainConfig {
        let binMs = base.data.binning.binMs
        // 10 ms bins match dt·1000 = 10.000000000000002.
        guard abs(binMs - dt * 1000) <= 1e-9 * dt * 1000 else {
            throw FileFormatError(file: "--dt", field: "dt", message: "the graph's time constants are made for steps of \(dt) s, but the " +
                                  "data's bins are \(binMs) ms (data.binning.binMs): give --dt \(binMs / 1000) to make them for the bins, " +
                                  "or --set data.binning.binMs=\(dt * 1000) to bin the data at dt (data.binning.steps and training.shiftMs " +
                                  "count in those bins too)")
        }
        var config = base
        config.network.hidden = hidden
        config.network.readoutDecay = readoutDecay
        return config
    }

    /// A simulation of this network (batch sequences at a time) holding its weights.
    public func simulation(config: TrainConfig, batch: Int) throws -> NetworkSimulation {
        let spec = try config.networkSpec(inputs: inputs, classes: outputs)
        let simulation = try NetworkSimulation(kernel: try compile(spec, backend: config.network.backend), batch: batch)
        simulation.initializeParameters(seed: 0)   // the per-neuron values (initializers of kind values)
        for t in simulation.trainableTensors {
            if case .parameters = t.id, weights[t.name] == nil { continue }
            guard let stored = weights[t.name], stored.values.count == t.value.count else {
                throw NIRError(t.name, "the imported weights do not fit the network (\(weights[t.name]?.shape ?? []) for \(t.shape))")
            }
            t.value.array = stored.values
        }
        return simulation
    }

    /// Writes `directory/config.json` and `directory/checkpoint.json` (epoch 0, no optimizer state):
    /// `plasticity eval`, `train --resume` and `export nir` take it like any checkpoint.
    public func writeCheckpoint(config: TrainConfig, to directory: URL) throws -> URL {
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let optimizer = Optimizer(config.training.optimizerConfig(updates: nil))
        let trainer = Trainer(simulation: try simulation(config: config, batch: 1), optimizer: optimizer)
        try WriteContract.write(Data(config.json.utf8), to: directory.appendingPathComponent("config.json"))
        let checkpoint = directory.appendingPathComponent("checkpoint.json")
        try Checkpoint.save(trainer, state: .init(iteration: 0, rng: SplitMix64(seed: config.training.seed), config: config.json), to: checkpoint)
        return checkpoint
    }
}

extension NIRNetwork {
    /// `plasticity import nir` as a library call: `folder`'s lock and the check that it holds no
    /// run come first (a folder that holds one is refused before the graph is read), then the
    /// graph in NIR's terms (`NIRGraph.forImport`), the network over `base`, and
    /// folder/config.json + folder/checkpoint.json at epoch 0.
    public static func importing(_ file: URL, into folder: URL, from profile: NIRProfile?, dt: Double?,
                                 base: TrainConfig) throws -> (checkpoint: URL, network: NIRNetwork, dt: Double) {
        let lock = try RunLock(folder: folder)
        defer { withExtendedLifetime(lock) {} }
        let names = (try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []
        let held = names.filter(SpeechExperiment.isRunFile).sorted()
        guard held.isEmpty else {
            throw RunFolderRefusal(description: "\(folder.path) holds a run (\(held.joined(separator: ", "))): import into an empty or new folder")
        }
        let (graph, step) = try NIRGraph.read(file).forImport(from: profile, dt: dt, binMs: base.data.binning.binMs, file: file.path)
        let network = try NIRNetwork(graph, dt: step, file: file.path)
        let resolved = try network.config(over: base, dt: step)
        try resolved.validate(file: "the command line")
        return (try network.writeCheckpoint(config: resolved, to: folder), network, step)
    }
}
