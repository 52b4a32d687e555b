import PlasticityRuntime
/// A network trained online: input → hidden spiking layers → leaky readout → loss.
///
/// Every hidden layer learns from its own learning signal L_j^t = Σ_o B_jo err_o^t, delivered
/// directly from the readout error (symmetric B = W_outᵀ for the last layer, or a fixed random B
/// as in DFA/e-prop), or from the target alone (target projection, as in DRTP/tpSGD). The ē of
/// every layer is filtered with the readout leak κ, which makes e-prop exact where it can be
/// (one layer, no recurrent weights, symmetric feedback, loss at every step).
///
/// The one description of a network: the Swift API builds it, a network config is its JSON
/// (`read(_:)`, the format of `plasticity gradcheck --config` and `compile --config`), a train
/// config makes it from its sections, and a checkpoint stores it. It is checked where it enters
/// (decoding, `validated(file:)`), and `lower` takes its checked layers as they are.
///
///     {"inputs": 100, "outputs": 10, "kappa": 0.95, "loss": "crossEntropy", "stepMs": 1,
///      "hidden": [{"model": "lif", "neurons": 256, "recurrent": true, "feedback": "symmetric",
///                  "membraneMs": 20, "parameters": {"threshold": 0.8}}]}
public struct NetworkSpec: Sendable, Hashable {
    /// How a hidden layer receives its learning signal: directly from the readout error
    /// (symmetric B = W_outᵀ for the last layer, or fixed random B), from the target alone
    /// (target projection), or by an instantaneous backward pass through the layer above at the
    /// same step (no backward in time, OSTL-style; not for the last layer).
    public enum Feedback: String, ConfigEnum { case symmetric, random, targetProjection, backward }
    /// A hidden layer (the same type as a layer compiled on its own).
    public typealias Hidden = LayerSpec

    /// Firing-rate regularization (Bellec et al. 2020): strength/2 · Σ_j (f̄_j − target)², f̄_j the
    /// mean spikes per step of neuron j over the batch, with the gradient from Σ_t e_ji.
    public struct RateRegularization: Codable, Sendable, Hashable {
        public var target: Double
        public var strength: Double
        public init(target: Double, strength: Double) { self.target = target; self.strength = strength }
    }

    public var inputs: Int
    public var hidden: [Hidden]
    public var outputs: Int
    /// Readout leak κ (y^t = κ y^{t-1} + W_out z^t + b), also the filter of ē.
    public var kappa: Double
    public var loss: Loss
    /// The length of one step in milliseconds: turns the layers' time constants into decays.
    public var stepMs: Double
    public var rateRegularization: RateRegularization?

    public init(inputs: Int, hidden: [Hidden], outputs: Int, kappa: Double, loss: Loss = .crossEntropy, stepMs: Double = 1,
                rateRegularization: RateRegularization? = nil) {
        self.inputs = inputs; self.hidden = hidden; self.outputs = outputs; self.kappa = kappa; self.loss = loss
        self.stepMs = stepMs; self.rateRegularization = rateRegularization
    }

    /// Hidden layers the kernel ABI has slots for (`plasticity_network_args.layers`).
    public static let maxHiddenLayers = Int(PLASTICITY_MAX_LAYERS)

    /// Targets per step and sequence: a class index, or a vector of `outputs` (`LossTargets`).
    public var targetWidth: Int { loss.definition.targets == .vector ? outputs : 1 }

    /// The first target the kernel cannot take, as (index, what is wrong), or nil: class labels
    /// are whole numbers in 0..<outputs (a label of `outputs` would read past the readout),
    /// regression targets finite. Negative labels mean "no loss at this step".
    public func invalidTarget(in targets: [Float]) -> (index: Int, message: String)? {
        let definition = loss.definition
        for (i, y) in targets.enumerated() { if let message = definition.invalid(y, outputs: outputs) { return (i, message) } }
        return nil
    }

    /// Sizes, layer count and feedback choices that the kernel can run.
    public func check() throws {
        func fail(_ message: String) -> NetworkError { NetworkError(message: message) }
        guard (1...Self.maxHiddenLayers).contains(hidden.count) else {
            throw fail("a network has 1 to \(Self.maxHiddenLayers) hidden layers, not \(hidden.count)")
        }
        guard inputs > 0, outputs > 0, hidden.allSatisfy({ $0.neurons > 0 }) else {
            throw fail("layer sizes must be positive (inputs \(inputs), hidden neurons \(hidden.map(\.neurons)), outputs \(outputs))")
        }
        let largest = Int(Int32.max)   // the kernels' sizes are C ints
        guard inputs <= largest, outputs <= largest, hidden.allSatisfy({ $0.neurons <= largest }) else {
            throw fail("layer sizes must be at most \(largest) (inputs \(inputs), neurons \(hidden.map(\.neurons)), outputs \(outputs))")
        }
        guard kappa.isFinite, (0..<1).contains(kappa) else { throw fail("kappa must be in [0, 1), not \(kappa)") }
        for (l, h) in hidden.enumerated() where h.feedback == .symmetric && l != hidden.count - 1 {
            throw fail("hidden layer \(l): symmetric feedback (B = W_outᵀ) needs the layer to feed the readout; use random, target projection " +
                       "or backward")
        }
        if hidden.last!.feedback == .backward { throw fail("the last hidden layer has no layer above for a backward pass") }
        for (l, layer) in hidden.enumerated() {
            let fed = Set(layer.projections.map(\.channel))
            let channels = layer.neuronModel.declarations.compactMap { d -> String? in if case .input(let n, _) = d { return n }; return nil }
            if let unfed = channels.first(where: { !fed.contains($0) }) {
                throw fail("hidden layer \(l): input channel '\(unfed)' of model '\(layer.neuronModel.name)' is fed by no projection; list " +
                           "the layer's projections, e.g. {\"source\": \"input\", \"channel\": \"\(unfed)\"}")
            }
        }
        for (l, layer) in hidden.enumerated() {
            for (p, projection) in layer.projections.enumerated() {
                guard let delays = projection.delays else { continue }
                let field = "hidden[\(l)].projections[\(p)].delays"
                if l > 0, hidden[l - 1].feedback == .backward {
                    throw fail("\(field): layer \(l - 1)'s learning signal passes backward through layer \(l) within a step, which " +
                               "its delays forbid; use random feedback or target projection on layer \(l - 1)")
                }
                try delays.check { fail("\(field).\($0) \($1)") }
                let others = layer.projections.indices.filter { q in
                    q != p && (layer.projections[q].source == .input || layer.projections[q].delays != nil)
                }
                if delays.runsAsEvents, projection.source != .input || !others.isEmpty {
                    throw fail("\(field).form events needs the layer's only input projection, without other delays in the layer; " +
                               (projection.source == .input ? "projections \(others) also read the input or have delays" : "this one is recurrent") +
                               "; use form taps")
                }
            }
        }
        if loss.definition.scope == .sequenceMean, hidden.contains(where: { $0.feedback == .backward }) {
            throw fail("the time-summed loss gives no per-step signal to pass backward; use random feedback or target projection")
        }
    }
}

public struct NetworkError: Error, CustomStringConvertible, Sendable {
    public var message: String
    public var description: String { "network: \(message)" }
}
