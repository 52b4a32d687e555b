import Foundation

/// A trainable tensor of a network: its values and the gradient the kernel accumulated.
public struct TrainableTensor {
    public var id: TensorID
    public var name: String { id.name }
    public var shape: [Int]
    public var value: FloatBuffer
    public var gradient: FloatBuffer
    /// Fixed tensors (fixed delays) are stored with the rest but never updated.
    public var learnable = true
    /// The tensor's own peak learning rate (delays, in steps per update), on the optimizer's
    /// schedule; nil: the optimizer's. Such tensors take no weight decay.
    public var learningRate: Double?
}

extension NetworkSimulation {
    /// Every trainable tensor, in a stable order (`TensorID`).
    public var trainableTensors: [TrainableTensor] {
        var out: [TrainableTensor] = []
        for (l, layer) in layers.enumerated() {
            for p in layer.weights.indices {
                let w = weights(layer: l, projection: p)
                out.append(.init(id: .weights(layer: l, projection: p), shape: [layer.neurons, w.count / layer.neurons], value: w,
                                 gradient: weightGradient(layer: l, projection: p)))
            }
            if let layerDelays = delays[l] { out += delayTensors(layerDelays) }
            if layer.parameters.count > 0 {
                out.append(.init(id: .parameters(layer: l), shape: [layer.layout.learnableCount, layer.neurons], value: layer.parameters,
                                 gradient: parameterGradients[l]))
            }
        }
        out.append(.init(id: .readoutWeights, shape: [network.outputs, layers.last!.neurons], value: readoutWeights, gradient: readoutWeightGradient))
        out.append(.init(id: .readoutBias, shape: [network.outputs], value: readoutBias, gradient: readoutBiasGradient))
        return out
    }

    private func delayTensors(_ delays: InputDelays) -> [TrainableTensor] {
        delays.blocks.enumerated().compactMap { p, block in
            guard case .delayed(_, let spec)? = block, let d = delays.delays[p], let g = delays.delayGradients[p] else { return nil }
            let shape = spec.kind == .axonal ? [delays.width(p)] : [delays.neurons, delays.width(p)]
            var tensor = TrainableTensor(id: .delays(layer: delays.layer, projection: p), shape: shape, value: d, gradient: g)
            tensor.learnable = spec.learnable
            tensor.learningRate = spec.learningRate
            return tensor
        }
    }
}

public struct OptimizerConfig: Codable, Sendable, Hashable {
    public enum Kind: String, ConfigEnum { case sgd, adam, adamw }
    public var kind: Kind = .adam
    public var learningRate: Double = 1e-3
    /// SGD momentum.
    public var momentum: Double = 0.9
    public var beta1: Double = 0.9
    public var beta2: Double = 0.999
    public var epsilon: Double = 1e-8
    /// AdamW: decoupled decay of the weights; SGD and Adam: L2 term added to the gradient.
    public var weightDecay: Double = 0
    /// Clip the global gradient norm to this value.
    public var clipNorm: Double? = nil
    /// Linear warmup over this many updates, then cosine decay to zero at `totalSteps` if given.
    public var warmupSteps: Int = 0
    public var totalSteps: Int? = nil
    public init() {}
}

/// SGD with momentum, Adam and AdamW over a network's tensors, with global-norm clipping and a
/// warmup + cosine schedule. Moments are kept in float32 like the weights.
public final class Optimizer {
    public let config: OptimizerConfig
    public internal(set) var step = 0
    var first: [TensorID: [Float]] = [:]
    var second: [TensorID: [Float]] = [:]

    public init(_ config: OptimizerConfig) { self.config = config }

    /// The learning rate at update `step` (0-based).
    public func learningRate(at step: Int) -> Double {
        var rate = config.learningRate
        if config.warmupSteps > 0, step < config.warmupSteps { rate *= Double(step + 1) / Double(config.warmupSteps) }
        if let total = config.totalSteps, step >= config.warmupSteps {
            let progress = min(1, Double(step - config.warmupSteps) / Double(max(1, total - config.warmupSteps)))
            rate *= 0.5 * (1 + cos(Double.pi * progress))
        }
        return rate
    }

    /// Applies one update with gradients scaled by `scale` (e.g. 1/batch); returns the global
    /// gradient norm before clipping and the learning rate used.
    @discardableResult
    public func update(_ tensors: [TrainableTensor], scale: Double = 1) -> (gradientNorm: Double, learningRate: Double) {
        let tensors = tensors.filter(\.learnable)
        var squared = 0.0
        for t in tensors { for i in 0..<t.gradient.count { let g = Double(t.gradient[i]) * scale; squared += g * g } }
        let norm = squared.squareRoot()
        var factor = scale
        if let clip = config.clipNorm, norm > clip { factor *= clip / norm }
        let baseRate = learningRate(at: step)
        step += 1
        let c = config
        let correction1 = 1 - pow(c.beta1, Double(step)), correction2 = 1 - pow(c.beta2, Double(step))
        for t in tensors {
            let rate = t.learningRate.map { config.learningRate > 0 ? baseRate / config.learningRate * $0 : 0 } ?? baseRate
            let decay = t.learningRate == nil ? c.weightDecay : 0
            var m = first[t.id] ?? [Float](repeating: 0, count: t.value.count)
            var v = c.kind == .sgd ? [] : (second[t.id] ?? [Float](repeating: 0, count: t.value.count))
            for i in 0..<t.value.count {
                let w = Double(t.value[i])
                var g = Double(t.gradient[i]) * factor
                if c.kind != .adamw { g += decay * w }
                switch c.kind {
                case .sgd:
                    let velocity = c.momentum * Double(m[i]) + g
                    m[i] = Float(velocity)
                    t.value[i] = Float(w - rate * velocity)
                case .adam, .adamw:
                    let mi = c.beta1 * Double(m[i]) + (1 - c.beta1) * g
                    let vi = c.beta2 * Double(v[i]) + (1 - c.beta2) * g * g
                    m[i] = Float(mi); v[i] = Float(vi)
                    var next = w - rate * (mi / correction1) / ((vi / correction2).squareRoot() + c.epsilon)
                    if c.kind == .adamw { next -= rate * decay * w }
                    t.value[i] = Float(next)
                }
            }
            first[t.id] = m
            if c.kind != .sgd { second[t.id] = v }
        }
        return (norm, baseRate)
    }
}
