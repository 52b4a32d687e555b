/// Training stopped because a tensor became NaN or ±Inf; nothing was updated from that batch.
public struct NonFiniteError: Error, CustomStringConvertible, Sendable {
    public var update: Int
    public var step: Int
    public var tensor: String
    public var description: String { "training stopped: \(tensor) became non-finite at step \(step) of the sequence (update \(update)); the last checkpoint is untouched" }
}

public struct BatchMetrics: Sendable {
    /// Loss per sequence (summed over steps, averaged over the batch).
    public var loss: Double
    /// Fraction of labelled steps where argmax y was right (cross-entropy), else nil.
    public var accuracy: Double?
    public var gradientNorm: Double
    public var learningRate: Double
}

/// Runs batches through the network kernel and applies the optimizer: once per batch of
/// sequences, or online every `updateEvery` steps inside a sequence (weights change at those
/// boundaries; states and traces carry on).
public final class Trainer {
    public let simulation: NetworkSimulation
    public let optimizer: Optimizer
    public var updateEvery: Int?

    public init(simulation: NetworkSimulation, optimizer: Optimizer, updateEvery: Int? = nil) {
        self.simulation = simulation; self.optimizer = optimizer; self.updateEvery = updateEvery
    }

    /// One batch: input [steps][batch][inputs], targets as for `NetworkSimulation.run`.
    public func train(input: [Float], targets: [Float], steps: Int) throws -> BatchMetrics {
        let sim = simulation, net = sim.network, B = sim.batch
        let chunk = updateEvery ?? steps
        sim.resetSequence()
        sim.zeroGradients()
        var loss = 0.0, correct = 0, counted = 0
        var last = (gradientNorm: 0.0, learningRate: optimizer.learningRate(at: optimizer.step))
        let targetWidth = B * net.targetWidth
        var start = 0
        while start < steps {
            let length = min(chunk, steps - start)
            let x = Array(input[(start * B * net.inputs)..<((start + length) * B * net.inputs)])
            let y = Array(targets[(start * targetWidth)..<((start + length) * targetWidth)])
            let result = sim.run(input: x, targets: y, steps: length)
            if let failure = result.failure {
                throw NonFiniteError(update: optimizer.step, step: start + failure.step, tensor: failure.tensor)
            }
            loss += result.loss; correct += result.correct; counted += result.counted
            sim.applyMasks(toGradients: true)
            last = optimizer.update(sim.trainableTensors, scale: 1 / Double(B))
            sim.applyMasks(toGradients: false)
            sim.zeroGradients()
            start += length
        }
        return BatchMetrics(loss: loss / Double(B), accuracy: net.loss != .meanSquaredError && counted > 0 ? Double(correct) / Double(counted) : nil,
                            gradientNorm: last.gradientNorm, learningRate: last.learningRate)
    }

    /// Loss and accuracy without updating anything.
    public func evaluate(input: [Float], targets: [Float], steps: Int) throws -> BatchMetrics {
        let sim = simulation
        sim.resetSequence()
        sim.zeroGradients()
        let result = sim.run(input: input, targets: targets, steps: steps, recordReadout: true, countSpikes: true)
        sim.lastReadout = result.readout
        sim.lastFiringRates = sim.layers.map { Double($0.spikeCount!.array.reduce(0, +)) / Double(steps * sim.batch * $0.neurons) }
        sim.zeroGradients()
        if let failure = result.failure { throw NonFiniteError(update: optimizer.step, step: failure.step, tensor: failure.tensor) }
        return BatchMetrics(loss: result.loss / Double(sim.batch),
                            accuracy: sim.network.loss != .meanSquaredError && result.counted > 0 ? Double(result.correct) / Double(result.counted) : nil,
                            gradientNorm: 0, learningRate: 0)
    }
}
