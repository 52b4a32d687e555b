/// A network trained online: input → hidden spiking layers → leaky readout → loss.
///
/// Every hidden layer learns from its own learning signal L_j^t = Σ_o B_jo err_o^t, delivered
/// directly from the readout error (symmetric B = W_outᵀ for the last layer, or a fixed random B
/// as in DFA/e-prop), or from the target alone (target projection, as in DRTP/tpSGD). The ē of
/// every layer is filtered with the readout leak κ, which makes e-prop exact where it can be
/// (one layer, no recurrent weights, symmetric feedback, loss at every step).
public struct NetworkSpec: Sendable, Hashable {
    public enum Feedback: String, Sendable, Hashable { case symmetric, random, targetProjection }
    public enum Loss: String, Sendable, Hashable { case crossEntropy, meanSquaredError }

    public struct Hidden: Sendable, Hashable {
        public var model: NeuronModel
        public var neurons: Int
        public var recurrent: Bool
        public var feedback: Feedback
        public init(_ model: NeuronModel, neurons: Int, recurrent: Bool = false, feedback: Feedback = .symmetric) {
            self.model = model; self.neurons = neurons; self.recurrent = recurrent; self.feedback = feedback
        }
        var layer: LayerSpec { LayerSpec(model: model, recurrent: recurrent) }
    }

    public var inputs: Int
    public var hidden: [Hidden]
    public var outputs: Int
    /// Readout leak κ (y^t = κ y^{t-1} + W_out z^t + b), also the filter of ē.
    public var kappa: Double
    public var loss: Loss

    public init(inputs: Int, hidden: [Hidden], outputs: Int, kappa: Double, loss: Loss = .crossEntropy) {
        self.inputs = inputs; self.hidden = hidden; self.outputs = outputs; self.kappa = kappa; self.loss = loss
    }

    /// Sizes, layer count and feedback choices that the kernel can run.
    public func check() throws {
        func fail(_ message: String) -> NetworkError { NetworkError(message: message) }
        guard (1...4).contains(hidden.count) else { throw fail("a network has 1 to 4 hidden layers, not \(hidden.count)") }
        guard inputs > 0, outputs > 0, hidden.allSatisfy({ $0.neurons > 0 }) else { throw fail("layer sizes must be positive") }
        guard kappa.isFinite, (0..<1).contains(kappa) else { throw fail("kappa must be in [0, 1), not \(kappa)") }
        for (l, h) in hidden.enumerated() where h.feedback == .symmetric && l != hidden.count - 1 {
            throw fail("hidden layer \(l): symmetric feedback (B = W_outᵀ) needs the layer to feed the readout; use random or target projection")
        }
    }
}

public struct NetworkError: Error, CustomStringConvertible, Sendable {
    public var message: String
    public var description: String { "network: \(message)" }
}
