import Foundation
import Plasticity

/// How spike times become network input: bins of `binMs`, `steps` bins per sample (later spikes
/// are cropped, short samples padded with silence), channels pooled in groups of `pool`. An input
/// entry is the number of spikes in its bin and pooled channel, capped at `maxCount`.
public struct SpikeBinning: Codable, Sendable, Hashable {
    public var binMs: Double = 10
    public var steps: Int = 100
    public var pool: Int = 1
    public var maxCount: Float = 8
    public init(binMs: Double = 10, steps: Int = 100, pool: Int = 1, maxCount: Float = 8) {
        self.binMs = binMs; self.steps = steps; self.pool = pool; self.maxCount = maxCount
    }
}

/// A labelled spike dataset held as sparse binned events (SHD-sized sets stay small), turned
/// into dense batches on demand.
public struct SpikeDataset: Sendable {
    /// Per sample: (step · inputs + input, count) for every non-empty bin.
    public struct Sample: Sendable {
        public var events: [(index: Int32, count: Float)]
        public var label: Int
        public var speaker: Int?
    }
    public var samples: [Sample]
    public var inputs: Int
    public var steps: Int
    public var classCount: Int
    public var keys: [String]?
    public var file: String

    /// Streams a file sample by sample. `channels`: the input channel count before pooling
    /// (default: the largest unit in the file + 1); a unit outside it is an error naming the
    /// sample. `limit` reads only the first samples.
    /// - Parameter field: where `channels` came from, for the error (a config field).
    public init(file: SpikeFile, binning: SpikeBinning, channels: Int? = nil, classCount: Int? = nil, limit: Int? = nil,
                field: String = "channels") throws {
        let count = min(file.count, limit ?? file.count)
        var raw: [SpikeSample] = []
        var largest = -1
        for i in 0..<count {
            let s = try file.sample(i)
            if let m = s.units.max() { largest = max(largest, Int(m)) }
            if let bad = s.times.firstIndex(where: { !$0.isFinite || $0 < 0 }) {
                throw FileFormatError(file: file.url.path, field: "spikes/times[\(i)][\(bad)]", message: "is \(s.times[bad]), not a time ≥ 0")
            }
            raw.append(s)
        }
        let maxUnits = 1 << 20
        if largest >= maxUnits {
            let i = raw.firstIndex { ($0.units.max().map(Int.init) ?? -1) >= maxUnits }!
            throw FileFormatError(file: file.url.path, field: "spikes/units[\(i)]",
                                  message: "has unit \(raw[i].units.max()!); this reader takes up to \(maxUnits) units")
        }
        let width = channels ?? (largest + 1)
        if largest >= width {
            let i = raw.firstIndex { ($0.units.max().map(Int.init) ?? -1) >= width }!
            throw FileFormatError(file: file.url.path, field: "spikes/units[\(i)]",
                                  message: "has unit \(raw[i].units.max()!), but \(channels == nil ? "the data has" : "\(field) is") \(width)" +
                                  (channels == nil ? " channels" : ": set \(field) to the file's channel count if the file is right"))
        }
        guard binning.pool >= 1, binning.steps >= 1, binning.binMs > 0 else {
            throw FileFormatError(file: file.url.path, field: "binning", message: "pool, steps and binMs must be positive")
        }
        inputs = (max(width, 1) + binning.pool - 1) / binning.pool
        steps = binning.steps
        guard MemoryCap.product(steps, inputs) <= Int(Int32.max) else {
            throw FileFormatError(file: file.url.path, field: "binning", message: "\(steps) steps × \(inputs) inputs do not fit one sample's index")
        }
        self.classCount = classCount ?? file.classCount
        keys = file.keys
        self.file = file.url.path
        let inputs = inputs
        samples = raw.map { s in
            var counts: [Int32: Float] = [:]
            for (t, u) in zip(s.times, s.units) {
                let bin = Double(t) * 1000 / binning.binMs   // a Double: a time of 3e38 s must not trap
                guard bin < Double(binning.steps) else { continue }
                counts[Int32(Int(bin) * inputs + Int(u) / binning.pool), default: 0] += 1
            }
            let events = counts.keys.sorted().map { (index: $0, count: min(counts[$0]!, binning.maxCount)) }
            return Sample(events: events, label: s.label, speaker: s.speaker)
        }
        if let bad = samples.firstIndex(where: { $0.label >= self.classCount }) {
            throw FileFormatError(file: file.url.path, field: "labels[\(bad)]",
                                  message: "is \(samples[bad].label), the data has \(self.classCount) classes")
        }
    }

    /// A batch in the trainer's layout: input [steps][batch][inputs]; targets [steps][batch]
    /// holding the label from step `labelFrom` on (−1 before: no loss there). A time-summed loss
    /// reads the label from any labelled step.
    /// - Parameter shifts: per sample (steps, channels) to move its events by, for augmentation;
    ///   events moved outside the grid are dropped.
    /// - Parameter masks: per sample, steps and channels (after the shift) that keep no events.
    public func batch(_ indices: [Int], labelFrom: Int = 0, shifts: [(steps: Int, channels: Int)]? = nil,
                      masks: [(steps: Range<Int>, channels: Range<Int>)]? = nil) -> TaskBatch {
        let B = indices.count, n = inputs, T = steps
        var input = [Float](repeating: 0, count: T * B * n)
        var targets = [Float](repeating: -1, count: T * B)
        for (b, i) in indices.enumerated() {
            let s = samples[i]
            let shift = shifts?[b] ?? (steps: 0, channels: 0), mask = masks?[b] ?? (steps: 0..<0, channels: 0..<0)
            for e in s.events {
                let t = Int(e.index) / n + shift.steps, c = Int(e.index) % n + shift.channels
                guard t >= 0, t < T, c >= 0, c < n, !mask.steps.contains(t), !mask.channels.contains(c) else { continue }
                input[(t * B + b) * n + c] = e.count
            }
            for t in max(0, labelFrom)..<T { targets[t * B + b] = Float(s.label) }
        }
        return TaskBatch(input: input, targets: targets, steps: T, batch: B)
    }

    /// A set in memory (tests).
    init(samples: [Sample], steps: Int, inputs: Int, classCount: Int) {
        self.samples = samples; self.steps = steps; self.inputs = inputs; self.classCount = classCount
        keys = nil; file = "memory"
    }

}
