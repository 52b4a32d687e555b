import Foundation
import PlasticityRuntime

/// What one call of the network kernel produced.
public struct NetworkRunResult: Sendable {
    /// Summed over batch and steps.
    public var loss: Double
    /// Cross-entropy: steps where argmax y was the label, and steps that had a label.
    public var correct: Int, counted: Int
    /// The first step whose tensors went non-finite, and the tensor's name.
    public var failure: (step: Int, tensor: String)?
    /// [steps][batch][outputs] when recorded.
    public var readout: [Float]
    public init(loss: Double, correct: Int, counted: Int, failure: (step: Int, tensor: String)?, readout: [Float]) {
        self.loss = loss; self.correct = correct; self.counted = counted; self.failure = failure; self.readout = readout
    }
}

/// The buffers of a network for a batch: every hidden layer, the readout, feedback matrices and
/// gradients (sums over batch and steps), and the call into the fused kernel.
public final class NetworkSimulation {
    public let kernel: NetworkKernel
    public let batch: Int
    public let layers: [LayerBuffers]
    public let readoutWeights, readoutBias: FloatBuffer
    /// Fixed feedback B [n_l][n_out] per layer (nil for symmetric feedback).
    public let feedback: [FloatBuffer?]
    public let readoutState, readoutTrace, readoutBiasTrace: FloatBuffer
    public let weightGradients: [[FloatBuffer]]
    public let parameterGradients: [FloatBuffer]
    public let readoutWeightGradient, readoutBiasGradient: FloatBuffer
    private let error, learningSignal: FloatBuffer

    public var network: NetworkSpec { kernel.network }

    public init(kernel: NetworkKernel, batch: Int) throws {
        self.kernel = kernel
        self.batch = batch
        let net = kernel.network
        var below = net.inputs
        var layers: [LayerBuffers] = []
        for (l, stages) in kernel.stages.layers.enumerated() {
            let buffers = try LayerBuffers(layout: stages.source.layout, model: stages.model, batch: batch,
                                           inputs: below, neurons: net.hidden[l].neurons)
            buffers.kappa = Float(net.kappa)
            layers.append(buffers)
            below = net.hidden[l].neurons
        }
        self.layers = layers
        let last = below
        readoutWeights = FloatBuffer(count: net.outputs * last)
        readoutBias = FloatBuffer(count: net.outputs)
        feedback = net.hidden.map { $0.feedback == .symmetric ? nil : FloatBuffer(count: $0.neurons * net.outputs) }
        readoutState = FloatBuffer(count: batch * net.outputs)
        readoutTrace = FloatBuffer(count: batch * last)
        readoutBiasTrace = FloatBuffer(count: batch)
        weightGradients = layers.map { layer in layer.weights.map { FloatBuffer(count: $0.count) } }
        parameterGradients = layers.map { FloatBuffer(count: $0.parameters.count) }
        readoutWeightGradient = FloatBuffer(count: readoutWeights.count)
        readoutBiasGradient = FloatBuffer(count: net.outputs)
        error = FloatBuffer(count: batch * net.outputs)
        learningSignal = FloatBuffer(count: net.hidden.map(\.neurons).max()!)
    }

    /// Gaussian initialisation scaled by fan-in: W ~ N(0, gain²/fan_in); fixed feedback
    /// B ~ N(0, 1/n_out); biases 0.
    public func initializeWeights(seed: UInt64, inputGain: Double = 1, recurrentGain: Double = 1, readoutGain: Double = 1) {
        var rng = SplitMix64(seed: seed)
        func fill(_ buffer: FloatBuffer, std: Double) {
            for i in 0..<buffer.count { buffer[i] = Float(rng.normal() * std) }
        }
        for layer in layers {
            for (p, projection) in layer.layout.projections.enumerated() {
                let fanIn = projection.source == .input ? layer.inputs : layer.neurons
                let gain = projection.source == .input ? inputGain : recurrentGain
                fill(layer.weights[p], std: gain / Double(fanIn).squareRoot())
            }
        }
        fill(readoutWeights, std: readoutGain / Double(layers.last!.neurons).squareRoot())
        readoutBias.pointer.update(repeating: 0)
        for b in feedback { if let b { fill(b, std: 1 / Double(network.outputs).squareRoot()) } }
    }

    /// Start of a new batch of sequences: initial states, empty traces, zero readout.
    public func resetSequence() {
        for layer in layers { layer.resetSequence() }
        for buffer in [readoutState, readoutTrace, readoutBiasTrace] { buffer.pointer.update(repeating: 0) }
    }

    public func zeroGradients() {
        for buffer in weightGradients.flatMap({ $0 }) + parameterGradients + [readoutWeightGradient, readoutBiasGradient] {
            buffer.pointer.update(repeating: 0)
        }
    }

    /// Runs `steps` steps from the current state, accumulating gradients.
    /// - Parameters:
    ///   - input: [steps][batch][inputs]
    ///   - targets: cross-entropy: [steps][batch] class index (negative: no loss at that step);
    ///     MSE: [steps][batch][outputs] (NaN in the first entry: no loss at that step).
    public func run(input: [Float], targets: [Float], steps: Int, recordReadout: Bool = false) -> NetworkRunResult {
        let net = network
        precondition(input.count == steps * batch * net.inputs, "input must be [steps][batch][inputs]")
        precondition(targets.count == steps * batch * (net.loss == .crossEntropy ? 1 : net.outputs), "targets have the wrong shape")
        var args = plasticity_network_args()
        args.batch = Int32(batch); args.n_in = Int32(net.inputs); args.n_out = Int32(net.outputs)
        args.n_steps = Int32(steps); args.n_layers = Int32(layers.count)
        args.kappa = Float(net.kappa)
        args.readout_weights = UnsafePointer(readoutWeights.base); args.readout_bias = UnsafePointer(readoutBias.base)
        args.readout_state = readoutState.base; args.readout_trace = readoutTrace.base; args.readout_bias_trace = readoutBiasTrace.base
        args.loss = net.loss == .crossEntropy ? PLASTICITY_LOSS_CROSS_ENTROPY : PLASTICITY_LOSS_MSE
        args.grad_readout_weights = readoutWeightGradient.base; args.grad_readout_bias = readoutBiasGradient.base
        args.error = error.base; args.learning_signal = learningSignal.base
        withUnsafeMutableBytes(of: &args.layers) { raw in
            let slots = raw.bindMemory(to: plasticity_layer_args.self)
            for (l, layer) in layers.enumerated() { slots[l] = layer.arguments(steps: steps, input: nil, outputRecord: nil, stateRecord: nil) }
        }
        withUnsafeMutableBytes(of: &args.feedback) { raw in
            let slots = raw.bindMemory(to: UnsafePointer<Float>?.self)
            for (l, b) in feedback.enumerated() { slots[l] = b.map { UnsafePointer($0.base) } }
        }
        withUnsafeMutableBytes(of: &args.signal) { raw in
            let slots = raw.bindMemory(to: Int32.self)
            for (l, h) in net.hidden.enumerated() { slots[l] = h.feedback == .targetProjection ? PLASTICITY_SIGNAL_TARGET : PLASTICITY_SIGNAL_ERROR }
        }
        withUnsafeMutableBytes(of: &args.grad_weights) { raw in
            let slots = raw.bindMemory(to: UnsafeMutablePointer<Float>?.self)
            for (l, grads) in weightGradients.enumerated() { for (p, g) in grads.enumerated() { slots[l * 8 + p] = g.base } }
        }
        withUnsafeMutableBytes(of: &args.grad_params) { raw in
            let slots = raw.bindMemory(to: UnsafeMutablePointer<Float>?.self)
            for (l, g) in parameterGradients.enumerated() { slots[l] = g.base }
        }
        var readout = [Float](repeating: 0, count: recordReadout ? steps * batch * net.outputs : 0)
        input.withUnsafeBufferPointer { x in
            targets.withUnsafeBufferPointer { y in
                readout.withUnsafeMutableBufferPointer { r in
                    args.input = x.baseAddress
                    args.targets = y.baseAddress
                    args.readout_record = recordReadout ? r.baseAddress : nil
                    _ = kernel.run(&args)
                }
            }
        }
        var failure: (Int, String)?
        if args.failed_step >= 0 { failure = (Int(args.failed_step), Self.tensorName(args.failed_tensor)) }
        return NetworkRunResult(loss: args.loss_sum, correct: Int(args.correct), counted: Int(args.counted),
                                failure: failure, readout: readout)
    }

    static func tensorName(_ code: Int32) -> String {
        switch code {
        case PLASTICITY_TENSOR_READOUT: return "readout y"
        case PLASTICITY_TENSOR_LOSS: return "loss"
        case PLASTICITY_TENSOR_LAYER_STATE..<PLASTICITY_TENSOR_GRADIENT: return "layer \(code - PLASTICITY_TENSOR_LAYER_STATE) state h"
        case PLASTICITY_TENSOR_GRADIENT...: return "layer \(code - PLASTICITY_TENSOR_GRADIENT) weight gradients"
        default: return "tensor \(code)"
        }
    }
}

extension SplitMix64 {
    /// A standard normal sample (Box–Muller).
    public mutating func normal() -> Double {
        let u = max(Double(next() >> 11) / Double(1 << 53), 1e-300), v = Double(next() >> 11) / Double(1 << 53)
        return (-2 * Foundation.log(u)).squareRoot() * Foundation.cos(2 * Double.pi * v)
    }
}
