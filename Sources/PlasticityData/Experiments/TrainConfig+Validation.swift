import Foundation
import Plasticity

/// The ranges of a train config's values, checked where a config enters (`merging`, so every file
/// and every `--set`), before any of them sizes a buffer, indexes an array or reaches C. Bounds
/// are generous (a 24 GiB machine is the target), but every product of them fits in an `Int`.
extension TrainConfig {
    struct RangeCheck {
        let file: String
        func fail(_ field: String, _ message: String) -> FileFormatError { FileFormatError(file: file, field: field, message: message) }

        func count(_ field: String, _ value: Int, _ range: ClosedRange<Int>) throws {
            guard range.contains(value) else { throw fail(field, "must be an integer from \(range.lowerBound) to \(range.upperBound), not \(value)") }
        }
        func number(_ field: String, _ value: Double, _ range: ClosedRange<Double>) throws {
            guard value.isFinite, range.contains(value) else {
                throw fail(field, "must be a number from \(range.lowerBound.shortText) to \(range.upperBound.shortText), not \(value)")
            }
        }
        /// Strictly positive and at most `upper`.
        func positive(_ field: String, _ value: Double, upTo upper: Double) throws {
            guard value.isFinite, value > 0, value <= upper else {
                throw fail(field, "must be a positive number up to \(upper.shortText), not \(value)")
            }
        }
    }

    /// Throws a `FileFormatError` naming `file` and the first field out of its range.
    public func validate(file: String) throws {
        let check = RangeCheck(file: file)
        let d = data, b = data.binning, n = network, t = training
        for (field, name) in [("data.directory", d.directory), ("data.trainFile", d.trainFile), ("data.testFile", d.testFile)] where name.isEmpty {
            throw check.fail(field, "must name a file or folder, not ''")
        }
        guard d.trainFile != d.testFile else { throw check.fail("data.testFile", "is the same file as data.trainFile ('\(d.trainFile)')") }
        try check.count("data.speakers", d.speakers, 1...10_000)
        try check.count("data.repetitions", d.repetitions, 1...1_000)
        try check.count("data.testEvery", d.testEvery, 2...10_000)
        if d.build && d.heldOutMethod.rawValue == "none" && d.speakers < d.testEvery {
            throw check.fail("data.speakers", "\(d.speakers) speakers leave the test set empty: every \(d.testEvery)-th speaker " +
                             "(data.testEvery) is a test speaker")
        }
        try check.count("data.channels", d.channels, 1...65_536)
        if d.build && d.channels > Cochlea.maxChannels {
            throw check.fail("data.channels", "\(d.channels) is more than the cochlea's \(Cochlea.maxChannels) filters (a set built here); " +
                             "up to 65536 only for spike files of your own (data.build false)")
        }
        try check.number("data.dynamicRangeDB", d.dynamicRangeDB, 1...200)
        try check.count("data.limit", d.limit, 0...100_000_000)
        try check.count("data.validationEvery", d.validationEvery, 0...10_000)
        if let method = SpokenDigits.SynthesisMethod(rawValue: d.heldOutMethod.rawValue), d.build {
            let methods = Set((0..<d.speakers).map { SpokenDigits.method(of: SpokenDigits.variants[$0 % SpokenDigits.variants.count]) })
            guard methods.count == 2 else {
                throw check.fail("data.heldOutMethod", "\(method.rawValue) leaves no speaker on one side: the first \(d.speakers) speakers " +
                                 "all use the \(methods.first!.rawValue) method (data.speakers \(SpokenDigits.variants.count) uses every voice)")
            }
        }
        try check.positive("data.binning.binMs", b.binMs, upTo: 60_000)
        guard b.binMs >= 1e-3 else { throw check.fail("data.binning.binMs", "must be at least 0.001 ms, not \(b.binMs)") }
        try check.count("data.binning.steps", b.steps, 1...1_000_000)
        try check.count("data.binning.pool", b.pool, 1...65_536)
        try check.positive("data.binning.maxCount", Double(b.maxCount), upTo: 1e6)
        try check.count("network.neurons", n.neurons, 1...10_000_000)
        try check.count("network.layers", n.layers, 1...16)
        try check.count("network.hidden", n.hidden.count, 0...16)
        for (l, h) in n.hidden.enumerated() { try check.count("network.hidden[\(l)].neurons", h.neurons, 1...10_000_000) }
        if let kappa = n.readoutDecay { try check.number("network.readoutDecay", kappa, 0...1) }
        let times = [("membraneMs", n.membraneMs), ("adaptationMs", n.adaptationMs), ("threshold", n.threshold), ("readoutMs", n.readoutMs)]
        for (field, value) in times {
            try check.positive("network.\(field)", value, upTo: 1e9)
        }
        try check.number("network.adaptationStep", n.adaptationStep, 0...1e6)
        try check.number("network.inputGain", n.inputGain, 0...1e6)
        try check.number("network.recurrentGain", n.recurrentGain, 0...1e6)
        for (name, value) in n.parameters.sorted(by: { $0.key < $1.key }) where !value.isFinite {
            throw check.fail("network.parameters.\(name)", "must be finite, not \(value)")
        }
        try check.count("training.epochs", t.epochs, 1...1_000_000)
        try check.count("training.batch", t.batch, 1...65_536)
        try check.positive("training.learningRate", t.learningRate, upTo: 1e3)
        try check.number("training.clipNorm", t.clipNorm, 0...1e12)
        for (field, value) in [("momentum", t.momentum), ("beta1", t.beta1), ("beta2", t.beta2)] {
            guard value.isFinite, value >= 0, value < 1 else { throw check.fail("training.\(field)", "must be from 0 to below 1, not \(value)") }
        }
        try check.number("training.weightDecay", t.weightDecay, 0...1)
        try check.count("training.warmupSteps", t.warmupSteps, 0...100_000_000)
        let sequenceMs = Double(b.steps) * b.binMs
        guard t.labelFromMs.isFinite, t.labelFromMs >= 0, t.labelFromMs < sequenceMs else {
            throw check.fail("training.labelFromMs", "must be from 0 to below the sequence's \(sequenceMs.shortText) ms (steps × binMs), " +
                                                      "not \(t.labelFromMs)")
        }
        try check.number("training.rateTargetHz", t.rateTargetHz, 0...(1000 / b.binMs))
        try check.number("training.rateStrength", t.rateStrength, 0...1e9)
        try check.count("training.shiftChannels", t.shiftChannels, 0...65_536)
        try check.number("training.shiftMs", t.shiftMs, 0...sequenceMs)
        try check.count("training.channelMask", t.channelMask, 0...65_536)
        try check.number("training.timeMaskMs", t.timeMaskMs, 0...sequenceMs)
        try check.count("training.testEvery", t.testEvery, 0...1_000_000)
        try check.count("training.threads", t.threads, 1...1_024)
        try check.count("training.chunkSteps", t.chunkSteps, 0...1_000_000)
        try n.delays?.check { check.fail("network.delays.\($0)", $1) }
        try n.recurrentDelays?.check { check.fail("network.recurrentDelays.\($0)", $1) }
    }
}

extension TrainConfig {
    /// Fields a resumed run may change. The model's fields (model, parameters and the built-in
    /// constants) are compared as the model they make, by `Checkpoint.load`.
    public static let resumableFields: Set<String> = ["training.epochs", "training.threads", "training.testEvery", "network.backend",
                                                      "data.directory", "data.build"]
    static let modelFields: Set<String> = ["network.model", "network.parameters", "network.membraneMs", "network.adaptationMs",
                                           "network.adaptationStep", "network.threshold"]

    /// Throws unless this config continues the run of `checkpoint`: every other field as it was,
    /// the error naming each field that differs.
    public func checkResumable(from checkpoint: URL) throws {
        let stored = try TrainConfig.embeddedText(in: checkpoint)
        func leaves(_ value: Any, _ path: String, into out: inout [String: String]) {
            if let object = value as? [String: Any] {
                for (key, inner) in object { leaves(inner, path.isEmpty ? key : "\(path).\(key)", into: &out) }
            } else if value is [Any], let data = try? JSONSerialization.data(withJSONObject: value, options: [.sortedKeys]) {
                out[path] = String(decoding: data, as: UTF8.self)   // canonical: dictionaries inside print in any order
            } else {
                out[path] = "\(value)"
            }
        }
        func flattened(_ text: String) throws -> [String: String] {
            var out: [String: String] = [:]
            leaves(try JSONSerialization.jsonObject(with: Data(text.utf8)), "", into: &out)
            return out.filter { key, _ in !Self.modelFields.contains { key == $0 || key.hasPrefix($0 + ".") } }
        }
        let before = try flattened(stored), now = try flattened(json)
        // A field the checkpoint's config does not have (an older schema) is not a change.
        let changed = before.keys.filter { before[$0] != now[$0] && !Self.resumableFields.contains($0) }.sorted()
        guard changed.isEmpty else {
            let list = changed.map { "\($0): \(before[$0] ?? "absent") then, \(now[$0] ?? "absent") now" }.joined(separator: "; ")
            throw FileFormatError(file: checkpoint.path, field: "config", message: "the run was trained with other settings (\(list)); " +
                                  "a resume may " +
                                  "change only \(Self.resumableFields.sorted().joined(separator: ", ")) (start a new --out instead)")
        }
    }
}

extension Double {
    /// The value without a trailing ".0" for whole numbers (for messages).
    var shortText: String { self == rounded() && abs(self) < 1e15 ? String(Int64(self)) : "\(self)" }
}
