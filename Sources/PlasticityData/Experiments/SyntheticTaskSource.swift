import Foundation
import Plasticity

/// The synthetic tasks as the experiment loop's data (`plasticity task`): an epoch is one batch
/// (one iteration), drawn from a generator whose state a checkpoint keeps. The evidence and lag
/// tasks are evaluated on held-out trials every `evaluateEvery` epochs and after the last.
public final class SyntheticTaskSource: DataSource {
    public enum Task: String, ConfigEnum { case evidence, sine, exact, lag }
    public let task: Task
    public let evidence = EvidenceAccumulation(), exact = ExactGradientTask(), lag = LagClassification()
    public let sine: SinePattern
    public let sequencesPerBatch: Int
    public var evaluateEvery = 25
    /// Held-out trials per evaluation (evidence and lag tasks; a fixed seed, whole batches).
    public var testTrials = 256
    /// The generator of the training batches (a checkpoint stores it; a resume restores it).
    public var rng: SplitMix64
    private let sineBatch: TaskBatch?

    public init(_ task: Task, batch: Int, sineSteps: Int, seed: UInt64) {
        self.task = task; sequencesPerBatch = batch
        var sine = SinePattern()
        sine.steps = sineSteps
        self.sine = sine
        rng = SplitMix64(seed: seed &+ 1)
        sineBatch = task == .sine ? sine.batch(batch) : nil
    }

    public var inputs: Int {
        switch task { case .evidence: evidence.inputs; case .sine: sine.inputs; case .exact: exact.inputs; case .lag: lag.inputs }
    }
    public var outputs: Int {
        switch task { case .evidence: evidence.outputs; case .sine: sine.outputs; case .exact: exact.outputs; case .lag: lag.outputs }
    }
    public var batchesPerEpoch: Int { 1 }

    /// The next batch of the generator (the sine task's one fixed batch).
    public func nextBatch() -> TaskBatch {
        switch task {
        case .evidence: return evidence.batch(sequencesPerBatch, rng: &rng)
        case .exact: return exact.batch(sequencesPerBatch, rng: &rng)
        case .lag: return lag.batch(sequencesPerBatch, rng: &rng)
        case .sine: return sineBatch!
        }
    }

    public func trainingBatches(epoch: Int) -> AnyIterator<TaskBatch> {
        var done = false
        return AnyIterator { [self] in
            guard !done else { return nil }
            done = true
            return nextBatch()
        }
    }

    public func evaluate(after epoch: Int, last: Bool, trainer: Trainer) throws -> EpochEvaluation {
        guard task == .evidence || task == .lag, last || epoch % evaluateEvery == 0 else { return EpochEvaluation() }
        return try evaluateTrials(trainer)
    }

    /// Held-out evidence or lag trials (a fixed seed, whole batches): accuracy per trial (the class with
    /// the larger mean readout over the recall window), per recall step, and firing rates (steps of 1 ms).
    func evaluateTrials(_ trainer: Trainer) throws -> EpochEvaluation {
        let batchSize = trainer.simulation.batch, nOut = trainer.simulation.network.outputs
        var evalRng = SplitMix64(seed: 999)
        var correctTrials = 0, trials = 0, stepAccuracy = 0.0, rates = [Double](repeating: 0, count: trainer.simulation.layers.count)
        let batches = max(1, (testTrials + batchSize - 1) / batchSize)
        for _ in 0..<batches {
            let test = task == .lag ? lag.batch(batchSize, rng: &evalRng) : evidence.batch(batchSize, rng: &evalRng)
            let result = try trainer.evaluate(input: test.input, targets: test.targets, steps: test.steps)
            stepAccuracy += (result.metrics.accuracy ?? 0) / Double(batches)
            for (l, r) in result.firingRates.enumerated() { rates[l] += r / Double(batches) }
            for b in 0..<batchSize {
                var sums = [Double](repeating: 0, count: nOut), label = -1
                for t in 0..<test.steps where test.targets[t * batchSize + b] >= 0 {
                    label = Int(test.targets[t * batchSize + b])
                    for o in 0..<nOut { sums[o] += Double(result.readout[(t * batchSize + b) * nOut + o]) }
                }
                if label >= 0 { trials += 1; if sums.firstIndex(of: sums.max()!) == label { correctTrials += 1 } }
            }
        }
        return EpochEvaluation(testAccuracy: Double(correctTrials) / Double(max(trials, 1)), testStepAccuracy: stepAccuracy,
                               firingRateHz: rates.map { $0 * 1000 })
    }
}
