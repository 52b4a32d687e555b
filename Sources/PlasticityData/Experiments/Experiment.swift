import Foundation
import Plasticity

/// Where an experiment's batches come from, and what it measures after an epoch: the spoken
/// digits and SHD-layout files (`SpeechExperiment`), the synthetic tasks (`SyntheticTaskSource`).
/// A new kind of data is one type conforming to this.
public protocol DataSource {
    /// Training batches per epoch.
    var batchesPerEpoch: Int { get }
    /// Sequences per batch, over all processes.
    var sequencesPerBatch: Int { get }
    /// The training batches of `epoch` (from 1), this process's share of each: a function of
    /// the seed and the epoch, so that a resumed run trains on the same batches.
    func trainingBatches(epoch: Int) -> AnyIterator<TaskBatch>
    /// The measurements after `epoch`; `last` is the run's last epoch.
    func evaluate(after epoch: Int, last: Bool, trainer: Trainer) throws -> EpochEvaluation
}

/// What an experiment measures after an epoch (nil: not measured that epoch).
public struct EpochEvaluation: Sendable {
    public var validationAccuracy: Double?
    public var testAccuracy: Double?
    public var testLoss: Double?
    /// Accuracy over the labelled steps (the synthetic tasks'), beside the per-sequence one.
    public var testStepAccuracy: Double?
    public var firingRateHz: [Double]?
    public init(validationAccuracy: Double? = nil, testAccuracy: Double? = nil, testLoss: Double? = nil, testStepAccuracy: Double? = nil,
                firingRateHz: [Double]? = nil) {
        self.validationAccuracy = validationAccuracy; self.testAccuracy = testAccuracy; self.testLoss = testLoss
        self.testStepAccuracy = testStepAccuracy; self.firingRateHz = firingRateHz
    }
    /// The figure that selects the best checkpoint: validation accuracy only (never the test set;
    /// without a validation split `best` is the last epoch's checkpoint).
    public var selection: Double? { validationAccuracy }
}

/// One line of a run's metrics (JSON lines): every writer of metrics writes this record.
public struct EpochRecord: Codable, Sendable, Equatable {
    public var epoch: Int
    public var trainLoss: Double
    public var trainAccuracy: Double?
    public var validationAccuracy: Double?
    /// Test-set figures, nil after an epoch that is not evaluated.
    public var testAccuracy: Double?
    public var testLoss: Double?
    public var testStepAccuracy: Double?
    /// Per hidden layer: spikes per neuron and second; for a rate (non-spiking) layer its mean
    /// output per step times the steps per second (the CLI and report print the mean output).
    public var firingRateHz: [Double]?
    public var seconds: Double
    public var samplesPerSecond: Double
    public var learningRate: Double
}

/// Progress of the epoch loop, for a progress bar.
public struct ExperimentProgress: Sendable {
    public var epoch: Int, epochs: Int, batch: Int, batches: Int
    public var loss: Double, accuracy: Double?, samplesPerSecond: Double, etaSeconds: Double
}

/// The one training loop: for each epoch, the source's batches through the trainer (e-prop, or
/// BPTT for comparison), the source's evaluation, one `EpochRecord`, then the metrics file and
/// checkpoints — `checkpoint` every `checkpointEvery` epochs and after the last, `best` whenever
/// the validation accuracy improves (every epoch, when the source has no validation split). Every file is written under the `WriteContract`, by the
/// process that `writes` (rank 0 of a data-parallel run).
public struct ExperimentLoop {
    public var trainer: Trainer
    public var method: TrainingMethod = .eprop
    public var metrics: URL?
    public var metricsFlag = "--out"
    /// The metrics file is rewritten every this many epochs and after the last.
    public var metricsEvery = 1
    public var checkpoint: URL?
    public var checkpointEvery = 1
    public var best: URL?
    public var writes = true
    /// The checkpoint state after an epoch.
    public var state: (Int) -> Checkpoint.State

    public init(trainer: Trainer, state: @escaping (Int) -> Checkpoint.State) { self.trainer = trainer; self.state = state }

    /// Trains epochs `first...last` of a run of `epochs`, appending to `history` (the records of
    /// earlier epochs, for a resumed run) and rewriting the metrics after each epoch.
    /// - Parameter onEpoch: called with each record after its files are written.
    public func run(_ source: some DataSource, epochs first: Int, through last: Int, of epochs: Int, history: inout [EpochRecord],
                    progress: (ExperimentProgress) -> Void = { _ in }, onEpoch: (EpochRecord) -> Void = { _ in }) throws {
        guard first <= last else { return }
        var bestSelection = history.compactMap(\.validationAccuracy).max() ?? -1
        for epoch in first...last {
            let (train, seconds) = try trainEpoch(source, epoch: epoch, of: epochs, progress: progress)
            let evaluation = try source.evaluate(after: epoch, last: epoch == last, trainer: trainer)
            let sequences = Double(source.batchesPerEpoch * source.sequencesPerBatch)
            let record = EpochRecord(epoch: epoch, trainLoss: train.loss, trainAccuracy: train.accuracy,
                                     validationAccuracy: evaluation.validationAccuracy, testAccuracy: evaluation.testAccuracy,
                                     testLoss: evaluation.testLoss, testStepAccuracy: evaluation.testStepAccuracy,
                                     firingRateHz: evaluation.firingRateHz, seconds: seconds, samplesPerSecond: sequences / max(seconds, 1e-9),
                                     learningRate: train.learningRate)
            history.append(record)
            if writes {
                if let metrics, epoch % metricsEvery == 0 || epoch == last { try Self.write(history, to: metrics, flag: metricsFlag) }
                if let best, evaluation.selection.map({ $0 > bestSelection }) ?? true {
                    bestSelection = evaluation.selection ?? bestSelection
                    try Checkpoint.save(trainer, state: state(epoch), to: best)
                }
                if let checkpoint, epoch % checkpointEvery == 0 || epoch == last { try Checkpoint.save(trainer, state: state(epoch), to: checkpoint) }
            }
            onEpoch(record)
        }
    }

    /// One epoch of training: the mean loss and accuracy over its batches, the last learning rate.
    func trainEpoch(_ source: some DataSource, epoch: Int, of epochs: Int,
                    progress: (ExperimentProgress) -> Void) throws -> (BatchSummary, seconds: Double) {
        let start = Date(), batches = source.batchesPerEpoch, B = source.sequencesPerBatch
        var summary = BatchSummary(), b = 0
        let iterator = source.trainingBatches(epoch: epoch)
        while let data = iterator.next() {
            let metrics = method == .bptt
                ? try trainer.trainWithBackpropagation(input: data.input, targets: data.targets, steps: data.steps)
                : try trainer.train(input: data.input, targets: data.targets, steps: data.steps)
            summary.add(metrics)
            b += 1
            let elapsed = Date().timeIntervalSince(start), perSecond = Double(b * B) / max(elapsed, 1e-9)
            let remaining = Double((batches - b) * B + (epochs - epoch) * batches * B) / perSecond
            if writes { progress(ExperimentProgress(epoch: epoch, epochs: epochs, batch: b, batches: batches, loss: summary.loss,
                                                    accuracy: summary.accuracy, samplesPerSecond: perSecond, etaSeconds: remaining)) }
        }
        return (summary, Date().timeIntervalSince(start))
    }

    /// The metrics file: every record so far, one JSON line each, replaced atomically.
    public static func write(_ history: [EpochRecord], to url: URL, flag: String) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        var data = Data()
        for record in history { data += try encoder.encode(record); data += Data("\n".utf8) }
        try WriteContract.write(data, to: url, flag: flag)
    }
}

/// Running means of an epoch's batch metrics.
struct BatchSummary {
    var lossSum = 0.0, batches = 0, accuracySum = 0.0, accuracyCount = 0, learningRate = 0.0
    mutating func add(_ metrics: BatchMetrics) {
        lossSum += metrics.loss; batches += 1
        if let a = metrics.accuracy { accuracySum += a; accuracyCount += 1 }
        learningRate = metrics.learningRate
    }
    var loss: Double { lossSum / Double(max(batches, 1)) }
    var accuracy: Double? { accuracyCount > 0 ? accuracySum / Double(accuracyCount) : nil }
}
