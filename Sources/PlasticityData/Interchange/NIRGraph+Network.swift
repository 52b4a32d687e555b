import Foundation
import Plasticity

/// A trained network as a NIR graph, and a NIR graph as a network to train (docs/nir.md):
///
///     input → hidden0.in (Linear) → hidden0 (LIF | CubaLIF | IF) ⇄ hidden0.rec (Linear)
///           → hidden1.in → hidden1 … → readout.affine (Affine: W_out, b) → readout (LI) → output
///
/// The readout y ← κ y + W_out z + b is NIR's LI with τ = dt/(1 − κ) and r = 1/(1 − κ).
extension NIRGraph {
    /// The graph of a checkpoint of `plasticity train`, for steps of `dt` seconds (default: the
    /// config's bin width). Refuses layers whose model has no NIR node, naming them.
    public static func exporting(checkpoint: URL, dt requested: Double? = nil, resetToZero: Bool = false) throws -> NIRGraph {
        let config = try TrainConfig.embedded(in: checkpoint)
        let weights = try SafeTensors.read(try Checkpoint.weightsURL(checkpoint)).tensors
        func tensor(_ id: TensorID) throws -> SafeTensors.Tensor {
            guard let t = weights[id.name] else {
                throw FileFormatError(file: checkpoint.path, field: id.name, message: "is missing from the weights")
            }
            return t
        }
        func matrix(_ id: TensorID) throws -> Matrix {
            let t = try tensor(id)
            return Matrix(rows: t.shape[0], columns: t.values.count / max(t.shape[0], 1), values: t.values)
        }
        let inputs = try matrix(.weights(layer: 0, projection: 0)).columns, readoutWeights = try matrix(.readoutWeights)
        let spec = try Checkpoint.network(checkpoint) ?? config.networkSpec(inputs: inputs, classes: readoutWeights.rows, file: checkpoint.path)
        let dt = requested ?? config.data.binning.binMs / 1000
        guard NIRGraph.stepRange.contains(dt) else {
            throw FileFormatError(file: "--dt", field: "dt", message: "must be from \(NIRGraph.stepRange.lowerBound) to " +
                                  "\(NIRGraph.stepRange.upperBound) seconds (the bin widths a run takes), not \(dt)")
        }
        var graph = NIRGraph(nodes: ["input": .input(shape: [inputs]), "output": .output(shape: [spec.outputs])], edges: [])
        graph.metadata = ["plasticity_dt": "\(dt)", "plasticity_discretization": discretization, "plasticity_readout_decay": "\(spec.kappa)"]
        var previous = "input"
        for (l, hidden) in spec.hidden.enumerated() {
            let name = "hidden\(l)", file = ModelFile(hidden.neuronModel)
            guard hidden.projections.map(\.source) == (hidden.recurrent ? [.input, .recurrent] : [.input]),
                  Set(hidden.projections.map(\.channel)).count == 1 else {
                let listed = hidden.projections.map { "\($0.source.rawValue) → \($0.channel)" }.joined(separator: ", ")
                throw NIRError(name, "its projections (\(listed)) have no NIR form: a NIR neuron node has one input, fed by one Linear " +
                               "(and its own recurrent one)")
            }
            guard let kind = NIRNeurons.kind(of: file) else {
                throw NIRError(name, "its model (\(file.name)) has no NIR node: NIR has LIF, CubaLIF and IF neurons; ALIF, adLIF, Izhikevich, " +
                               "AdEx and other models cannot be exported")
            }
            let values = try perNeuronValues(file, neurons: hidden.neurons, learnable: weights[TensorID.parameters(layer: l).name], layer: name)
            graph.nodes[name] = try NIRNeurons.node(kind, values, dt: dt, resetToZero: resetToZero, layer: name)
            graph.nodes["\(name).in"] = .linear(weight: try matrix(.weights(layer: l, projection: 0)))
            if let delays = hidden.projections[0].delays {
                guard delays.kind == .axonal else {
                    throw NIRError("\(name).in", "its synaptic delays (one per synapse) have no NIR form: NIR's Delay node delays each " +
                                   "presynaptic neuron's output (axonal delays)")
                }
                let steps = try tensor(.delays(layer: l, projection: 0)).values
                graph.nodes["\(name).delay"] = .delay(delay: steps.map { Double($0) * dt })
                graph.edges.append((previous, "\(name).delay"))
                graph.metadata["plasticity_delay_interpolation"] = "a delay of d = k + f steps (0 <= f < 1) gives (1 - f) x(t - k) + f x(t - k - 1)"
                previous = "\(name).delay"
            }
            graph.edges += [(previous, "\(name).in"), ("\(name).in", name)]
            if hidden.recurrent {
                if hidden.projections[1].delays != nil {
                    throw NIRError("\(name).rec", "its delays have no NIR form here: a Delay node inside a layer's recurrence is not " +
                                   "something NIR's peers run; export the network without recurrent delays")
                }
                graph.nodes["\(name).rec"] = .linear(weight: try matrix(.weights(layer: l, projection: 1)))
                graph.edges += [(name, "\(name).rec"), ("\(name).rec", name)]
            }
            if kind != .subtractiveLIF { graph.metadata["plasticity_\(name)_model"] = try file.text() }
            previous = name
        }
        guard spec.kappa < 1 else { throw NIRError("readout", "κ = 1 (a pure integrator) is not exported") }
        graph.nodes["readout.affine"] = .affine(weight: readoutWeights, bias: try tensor(.readoutBias).values)
        let n = spec.outputs
        graph.nodes["readout"] = .leakyIntegrator(tau: .init(repeating: dt / (1 - spec.kappa), count: n),
                                                  r: .init(repeating: 1 / (1 - spec.kappa), count: n), vLeak: .init(repeating: 0, count: n))
        graph.edges += [(previous, "readout.affine"), ("readout.affine", "readout"), ("readout", "output")]
        return graph
    }

    static let discretization = "forward Euler with step dt: v <- v + dt/tau (v_leak - v + r I); spike when v > v_threshold, then v = v_reset " +
                                "for the next step; Plasticity's alpha = 1 - dt/tau, leak = dt/tau v_leak, gain = dt/tau r; " +
                                "readout kappa = 1 - dt/tau"

    /// Each parameter's value per neuron: a learnable one from the layer's parameter tensor [P][n].
    static func perNeuronValues(_ file: ModelFile, neurons: Int, learnable: SafeTensors.Tensor?, layer: String) throws -> [String: [Double]] {
        var values: [String: [Double]] = [:], row = 0
        for p in file.parameters {
            if p.learnable {
                guard let learnable, learnable.values.count >= (row + 1) * neurons else {
                    throw NIRError(layer, "its learnable \(p.name) is missing")
                }
                values[p.name] = learnable.values[(row * neurons)..<((row + 1) * neurons)].map(Double.init)
                row += 1
            } else {
                values[p.name] = .init(repeating: p.value, count: neurons)
            }
        }
        return values
    }
}
