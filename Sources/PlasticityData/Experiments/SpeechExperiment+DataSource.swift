import Foundation
import Plasticity

/// The spoken digits (or any SHD-layout pair of files) as the experiment loop's data: shuffled
/// training batches with shift and mask augmentation, validation and test accuracy after an epoch.
extension SpeechExperiment: DataSource {
    public var sequencesPerBatch: Int { config.training.batch }

    /// Every process draws the whole batch's order, shifts and masks and takes its share: the
    /// same sequences as one process.
    public func trainingBatches(epoch: Int) -> AnyIterator<TaskBatch> {
        let B = config.training.batch, share = B / group.size, offset = group.rank * share
        var rng = SplitMix64(seed: config.training.seed &* 1_000_003 &+ UInt64(epoch))
        var order = Array(train.samples.indices)
        order.shuffle(using: &rng)
        let binMs = config.data.binning.binMs
        let shiftSteps = Int(config.training.shiftMs / binMs), shiftChannels = config.training.shiftChannels
        let maskWidths = (steps: Int(config.training.timeMaskMs / binMs), channels: config.training.channelMask)
        let train = train, labelFrom = labelFrom, batches = batchesPerEpoch
        var b = 0
        return AnyIterator {
            guard b < batches else { return nil }
            defer { b += 1 }
            let shifts = (0..<B).map { _ in (steps: Self.uniform(&rng, shiftSteps), channels: Self.uniform(&rng, shiftChannels)) }
            let masks = maskWidths == (0, 0) ? nil : (0..<B).map { _ in
                (steps: Self.band(&rng, maxWidth: maskWidths.steps, within: train.steps),
                 channels: Self.band(&rng, maxWidth: maskWidths.channels, within: train.inputs))
            }
            let mine = (b * B + offset)..<(b * B + offset + share)
            return train.batch(Array(order[mine]), labelFrom: labelFrom, shifts: Array(shifts[offset..<offset + share]),
                               masks: masks.map { Array($0[offset..<offset + share]) })
        }
    }

    /// Validation accuracy every epoch (when there is a validation split); the test set every
    /// `training.testEvery`-th epoch and after the last.
    public func evaluate(after epoch: Int, last: Bool, trainer: Trainer) throws -> EpochEvaluation {
        let validationResult = try validation.map { try evaluate($0) }
        let testEvery = config.training.testEvery
        let testResult = last || (testEvery > 0 && epoch % testEvery == 0) ? try evaluate(test) : nil
        return EpochEvaluation(validationAccuracy: validationResult?.accuracy, testAccuracy: testResult?.accuracy, testLoss: testResult?.loss,
                               firingRateHz: testResult?.firingRateHz)
    }

    /// A uniform integer in -k...k (0 when k is 0).
    static func uniform(_ rng: inout SplitMix64, _ k: Int) -> Int { k > 0 ? Int(rng.next() % UInt64(2 * k + 1)) - k : 0 }

    /// A band of 0…maxWidth indices at a uniform start within 0..<count (empty when maxWidth is 0).
    static func band(_ rng: inout SplitMix64, maxWidth: Int, within count: Int) -> Range<Int> {
        guard maxWidth > 0, count > 0 else { return 0..<0 }
        let width = Int(rng.next() % UInt64(maxWidth + 1)), start = Int(rng.next() % UInt64(count))
        return start..<min(start + width, count)
    }
}
