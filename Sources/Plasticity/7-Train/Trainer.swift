/// Training stopped because a tensor became NaN or ±Inf; nothing was updated from that batch.
public struct NonFiniteError: Error, CustomStringConvertible, Sendable {
    public var update: Int
    public var step: Int
    public var tensor: String
    /// Evaluation: no update was made; the weights loaded or the inputs drive a value out of range.
    public var duringEvaluation = false
    public var description: String {
        if duringEvaluation {
            return "evaluation stopped: \(tensor) became non-finite at step \(step) of the sequence (are the weights finite, the inputs in range?)"
        }
        return "training stopped: \(tensor) became non-finite at step \(step) of the sequence (update \(update)); the last checkpoint is untouched"
    }
}

/// What `Trainer.evaluate` saw: the metrics and the recorded readout, spikes and firing rates.
public struct EvaluationResult: Sendable {
    public var metrics: BatchMetrics
    /// [steps][batch][outputs]
    public var readout: [Float]
    /// Per hidden layer [steps][batch][neurons], when asked for (`recordSpikes`).
    public var spikes: [[Float]]
    /// Per hidden layer [steps][batch][neurons][states], when asked for (`recordStates`).
    public var states: [[Float]] = []
    /// Spikes per neuron and step, per hidden layer.
    public var firingRates: [Double]
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
/// boundaries; states and traces carry on). Split over the processes of `group`, each runs its
/// share of the batch and the gradients are summed before every update.
public final class Trainer {
    public let simulation: NetworkSimulation
    public let optimizer: Optimizer
    public var updateEvery: Int?
    /// The processes the batch is split over; `simulation.batch` is this process's share.
    public var group: ProcessGroup = SingleProcess()
    /// The whole batch, over every process.
    public var globalBatch: Int { simulation.batch * group.size }

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
            let totals = try group.sumGradients(sim.trainableTensors, scalars: [result.loss, Double(result.correct), Double(result.counted),
                                                                                result.failure == nil ? 0 : 1])
            if let failure = result.failure {
                throw NonFiniteError(update: optimizer.step, step: start + failure.step, tensor: failure.tensor)
            }
            if totals[3] > 0 {
                throw NonFiniteError(update: optimizer.step, step: start, tensor: "a tensor of another process (in this chunk)")
            }
            loss += totals[0]; correct += Int(totals[1]); counted += Int(totals[2])
            sim.applyMasks(toGradients: true)
            last = optimizer.update(sim.trainableTensors, scale: 1 / Double(globalBatch))
            sim.applyMasks(toGradients: false)
            sim.enforceConstraints()
            sim.zeroGradients()
            start += length
        }
        let accuracy = net.loss.definition.classifies && counted > 0 ? Double(correct) / Double(counted) : nil
        return BatchMetrics(loss: loss / Double(globalBatch), accuracy: accuracy,
                            gradientNorm: last.gradientNorm, learningRate: last.learningRate)
    }

    /// One batch with exact BPTT gradients (the float64 oracle; its memory grows with T) in place
    /// of e-prop's, through the same optimizer: the baseline e-prop is compared against.
    /// Rate regularization is not part of the BPTT oracle's loss.
    public func trainWithBackpropagation(input: [Float], targets: [Float], steps: Int) throws -> BatchMetrics {
        let sim = simulation
        sim.resetSequence()
        sim.zeroGradients()
        let gradients: NetworkGradients
        do { gradients = try backpropagationThroughTime(sim, input: input, targets: targets, steps: steps) } catch var error as NonFiniteError {
            error.update = optimizer.step
            throw error
        }
        func store(_ values: [Double], into buffer: FloatBuffer, id: TensorID) throws {
            for i in values.indices {
                guard values[i].isFinite else { throw NonFiniteError(update: optimizer.step, step: steps - 1, tensor: "BPTT gradient of \(id)") }
                buffer[i] = Float(values[i])
            }
        }
        let tensors = Dictionary(uniqueKeysWithValues: sim.trainableTensors.map { ($0.id, $0) })
        for (id, values) in gradients.named { try store(values, into: tensors[id]!.gradient, id: id) }
        let loss = try group.sumGradients(sim.trainableTensors, scalars: [gradients.loss])[0]
        sim.applyMasks(toGradients: true)
        let last = optimizer.update(sim.trainableTensors, scale: 1 / Double(globalBatch))
        sim.applyMasks(toGradients: false)
        sim.enforceConstraints()
        sim.zeroGradients()
        return BatchMetrics(loss: loss / Double(globalBatch), accuracy: nil, gradientNorm: last.gradientNorm, learningRate: last.learningRate)
    }

    /// Loss, accuracy, readout and firing rates without updating anything.
    public func evaluate(input: [Float], targets: [Float], steps: Int, recordSpikes: Bool = false,
                         recordStates: Bool = false) throws -> EvaluationResult {
        let sim = simulation
        sim.resetSequence()
        sim.zeroGradients()
        let result = sim.run(input: input, targets: targets, steps: steps, recordReadout: true, countSpikes: true, recordSpikes: recordSpikes,
                             recordStates: recordStates)
        let rates = sim.layers.map { Double($0.spikeCount!.array.reduce(0, +)) / Double(steps * sim.batch * $0.neurons) }
        sim.zeroGradients()
        if let failure = result.failure {
            throw NonFiniteError(update: optimizer.step, step: failure.step, tensor: failure.tensor, duringEvaluation: true)
        }
        let accuracy = sim.network.loss.definition.classifies && result.counted > 0 ? Double(result.correct) / Double(result.counted) : nil
        let metrics = BatchMetrics(loss: result.loss / Double(sim.batch), accuracy: accuracy, gradientNorm: 0, learningRate: 0)
        var evaluation = EvaluationResult(metrics: metrics, readout: result.readout, spikes: result.spikes, firingRates: rates)
        evaluation.states = result.states
        return evaluation
    }
}
