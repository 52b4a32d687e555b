import Foundation
import Testing
import Plasticity
@testable import PlasticityData

/// A tiny spoken-digit set (5 speakers, one utterance per word: 80 train, 20 test samples),
/// built once per test process with espeak-ng.
enum TinySpokenDigits {
    static let directory: URL = {
        let url = ScratchRoot.folder.appendingPathComponent("tiny-digits")
        try! TinySpokenDigits.builder.build(into: url)
        return url
    }()
    static var builder: SpokenDigits {
        var b = SpokenDigits()
        b.speakers = 5; b.repetitions = 1; b.testEvery = 5
        return b
    }

    static func config(epochs: Int, method: TrainingMethod = .eprop) -> TrainConfig {
        var c = TrainConfig()
        c.data.directory = directory.path
        c.data.build = false
        c.data.validationEvery = 0
        c.data.binning.steps = 80
        c.network.neurons = 32
        c.training.batch = 16
        c.training.epochs = epochs
        c.training.method = method
        c.training.learningRate = 1e-2
        c.training.shiftChannels = 0
        c.training.shiftMs = 0
        return c
    }
}

@Suite(.serialized) struct SpokenDigitTests {
    /// The set has the SHD layout, 20 classes, keys, and a speaker-disjoint split; building it
    /// again with the same seed gives the same spikes.
    @Test func buildIsSpeakerDisjointAndDeterministic() throws {
        let train = try SpikeFile(TinySpokenDigits.directory.appendingPathComponent("train.h5"))
        let test = try SpikeFile(TinySpokenDigits.directory.appendingPathComponent("test.h5"))
        #expect(train.count == 80 && test.count == 20)
        #expect(train.classCount == 20 && train.keys == SpokenDigits.keys)
        #expect(Set(train.labels) == Set(0..<20))
        #expect(Set(train.speakers!).isDisjoint(with: Set(test.speakers!)))
        // Synthesizing again gives the same spikes (test utterances come in file order).
        let builder = TinySpokenDigits.builder
        for (i, u) in builder.utterances(test: true).enumerated().prefix(3) {
            let spikes = builder.cochlea.spikes(try builder.waveform(u).signal, sampleRate: 22050)
            let stored = try test.sample(i)
            #expect(spikes.times == stored.times && spikes.units == stored.units && u.label == stored.label, "utterance \(i)")
        }
        // Every utterance produced spikes, and they end within the 1.2 s an utterance takes at most.
        for i in 0..<test.count {
            let s = try test.sample(i)
            #expect(s.times.count > 200 && s.times.max()! < 1.2 && s.units.max()! < 64, "sample \(i)")
        }
    }

    /// Six epochs on 80 samples: training accuracy well above chance (1/20), loss falling,
    /// metrics and both checkpoints written, and `plasticity eval`'s path reproduces the accuracy.
    @Test func trainsAboveChanceAndWritesEverything() throws {
        let out = try scratchDirectory("train")
        let experiment = try SpeechExperiment(config: TinySpokenDigits.config(epochs: 6), output: out)
        try experiment.run(resume: false)
        let h = experiment.history
        #expect(h.count == 6)
        #expect(h[5].trainLoss < 0.8 * h[0].trainLoss, "\(h.map(\.trainLoss))")
        #expect(h[5].trainAccuracy! > 0.3, "train accuracy per epoch: \(h.map { $0.trainAccuracy! })")
        let lines = try String(contentsOf: out.appendingPathComponent("metrics.jsonl"), encoding: .utf8).split(separator: "\n")
        #expect(lines.count == 6)
        for name in ["checkpoint.json", "best.json"] { #expect(FileManager.default.fileExists(atPath: out.appendingPathComponent(name).path)) }
        // A fresh experiment loading the final checkpoint evaluates to the logged test accuracy.
        let fresh = try SpeechExperiment(config: TinySpokenDigits.config(epochs: 6), output: out)
        _ = try Checkpoint.load(out.appendingPathComponent("checkpoint.json"), into: fresh.trainer)
        let evaluation = try fresh.evaluate(fresh.test)
        #expect(abs(evaluation.accuracy - (try #require(h[5].testAccuracy))) < 1e-12)
        #expect(evaluation.confusion.flatMap { $0 }.reduce(0, +) == 20)
    }

    /// `training.testEvery` 2 over 3 epochs: the test set is evaluated after epochs 2 and 3 only, to the
    /// same figures as evaluating after every epoch (evaluation leaves training untouched), and the
    /// best-validation checkpoint is still written.
    @Test func testEveryEvaluatesOnlyTheEpochsItNames() throws {
        var config = TinySpokenDigits.config(epochs: 3)
        config.data.validationEvery = 2
        let every = try SpeechExperiment(config: config, output: try scratchDirectory("test-every-1"))
        try every.run(resume: false)
        config.training.testEvery = 2
        let out = try scratchDirectory("test-every-2")
        let sparse = try SpeechExperiment(config: config, output: out)
        try sparse.run(resume: false)
        #expect(sparse.history.map { $0.testAccuracy != nil } == [false, true, true])
        #expect(sparse.history.map(\.trainLoss) == every.history.map(\.trainLoss))
        #expect(sparse.history.map(\.validationAccuracy) == every.history.map(\.validationAccuracy))
        for e in [1, 2] { #expect(sparse.history[e].testAccuracy == every.history[e].testAccuracy, "epoch \(e + 1)") }
        #expect(FileManager.default.fileExists(atPath: out.appendingPathComponent("best.json").path))
    }

    /// Interrupted after epoch 1 and resumed: the same weights as the uninterrupted run, bit for
    /// bit (with augmentation on, so the random shifts must continue where they left off).
    @Test func resumeReproducesTheUninterruptedRun() throws {
        let straight = try scratchDirectory("straight"), interrupted = try scratchDirectory("interrupted")
        var config = TinySpokenDigits.config(epochs: 2)
        config.training.shiftChannels = 2; config.training.shiftMs = 30
        let a = try SpeechExperiment(config: config, output: straight)
        try a.run(resume: false)
        let b = try SpeechExperiment(config: config, output: interrupted)
        try b.run(resume: false, stopAfter: 1)
        let c = try SpeechExperiment(config: config, output: interrupted)
        try c.run(resume: true)
        #expect(c.history.map(\.epoch) == [1, 2])
        for (x, y) in zip(a.simulation.trainableTensors, c.simulation.trainableTensors) { #expect(x.value.array == y.value.array, "\(x.name)") }
    }

    /// The BPTT oracle trains through the same loop, and its first-batch gradient agrees in
    /// direction with e-prop's on this recurrent network (cosine > 0.5; e-prop is approximate here).
    @Test func bpttMethodTrains() throws {
        let out = try scratchDirectory("bptt")
        let experiment = try SpeechExperiment(config: TinySpokenDigits.config(epochs: 2, method: .bptt), output: out)
        try experiment.run(resume: false)
        #expect(experiment.history.count == 2)
        #expect(experiment.history[1].trainLoss < experiment.history[0].trainLoss)
        let sim = experiment.simulation
        let batch = experiment.train.batch(Array(0..<16))
        sim.resetSequence(); sim.zeroGradients()
        _ = sim.run(input: batch.input, targets: batch.targets, steps: batch.steps)
        let eprop = sim.accumulatedGradients
        sim.zeroGradients()
        let bptt = try backpropagationThroughTime(sim, input: batch.input, targets: batch.targets, steps: batch.steps)
        let readout = compareGradients(eprop.readoutWeights, bptt.readoutWeights)
        #expect(readout.cosine > 0.999, "readout gradients are exact in e-prop: \(readout)")
        let input = compareGradients(eprop.weights[0][0], bptt.weights[0][0])
        #expect(input.cosine > 0.5, "\(input)")
    }

    /// The report renders in headless Chromium: a screenshot of the expected size that is far
    /// from blank (its PNG is ≥ 10× the size of a blank page's at the same size).
    @Test(.enabled(if: ReportScreenshot.chromium != nil, "chromium not installed (.ci/test.sh installs it)"))
    func reportRendersInChromium() throws {
        let out = try scratchDirectory("report")
        let experiment = try SpeechExperiment(config: TinySpokenDigits.config(epochs: 2), output: out)
        try experiment.run(resume: false)
        let evaluation = try experiment.evaluate(experiment.test)
        let page = try SpeechReport(experiment: experiment, evaluation: evaluation,
                                    checkpointEpoch: 2).write(to: out.appendingPathComponent("report.html"))
        let html = try String(contentsOf: page, encoding: .utf8)
        #expect(html.components(separatedBy: "<svg").count - 1 == 7)
        // Self-contained: no scripts, no external resources.
        #expect(!html.contains("<script") && !html.contains("src=") && !html.contains("href="))
        let blank = out.appendingPathComponent("blank.html")
        try "<!DOCTYPE html><html><body style=\"background:white\"></body></html>".write(to: blank, atomically: true, encoding: .utf8)
        let shot = try ReportScreenshot.take(page, width: 1280, height: 2400), empty = try ReportScreenshot.take(blank, width: 1280, height: 2400)
        let size = try #require(ReportScreenshot.pngSize(shot))
        #expect(size == (1280, 2400))
        #expect(shot.count > 10 * empty.count, "screenshot \(shot.count) bytes, blank page \(empty.count)")
    }
}

enum ReportScreenshot {
    static let chromium: String? = ["/usr/bin/chromium", "/usr/bin/chromium-browser"].first { FileManager.default.isExecutableFile(atPath: $0) }

    static func take(_ page: URL, width: Int, height: Int) throws -> Data {
        let png = page.deletingPathExtension().appendingPathExtension("png")
        let process = Process()
        process.executableURL = URL(fileURLWithPath: chromium!)
        process.arguments = ["--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", "--screenshot=\(png.path)",
                             "--window-size=\(width),\(height)", page.absoluteString]
        process.standardError = FileHandle.nullDevice
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        return try Data(contentsOf: png)
    }

    /// Width and height from the PNG's IHDR chunk.
    static func pngSize(_ data: Data) -> (Int, Int)? {
        guard data.count > 24, data.prefix(8) == Data([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]) else { return nil }
        func be(_ at: Int) -> Int { data[at..<(at + 4)].reduce(0) { $0 << 8 | Int($1) } }
        return (be(16), be(20))
    }
}

@Suite struct SHDConfigTests {
    /// `examples/configs/shd.json` reads files laid out and named like the published SHD set
    /// (shd_train.h5 / shd_test.h5, 700 units, float16 times) with the set builder off, pools
    /// 700 units into 70 inputs and learns a synthetic 20-class problem (class c fires units
    /// 35c…35c+34) far above chance (1/20): test accuracy > 0.5 after 3 epochs.
    @Test func shdConfigReadsSHDNamedFiles() throws {
        let dir = try scratchDirectory("shd")
        var rng = SplitMix64(seed: 7)
        func samples(speakers: Range<Int>) -> [SpikeSample] {
            var list: [SpikeSample] = []
            for speaker in speakers {
                for label in 0..<20 {
                    var events: [(Float, UInt32)] = (0..<150).map { _ in
                        (Float(rng.next() % 800) / 1000, UInt32(35 * label) + UInt32(rng.next() % 35))
                    }
                    events += (0..<50).map { _ in (Float(rng.next() % 800) / 1000, UInt32(rng.next() % 700)) }   // noise
                    events.sort { $0.0 < $1.0 }
                    list.append(SpikeSample(times: events.map(\.0), units: events.map(\.1), label: label, speaker: speaker))
                }
            }
            return list
        }
        try SpikeFile.write(samples(speakers: 0..<6), keys: nil, to: dir.appendingPathComponent("shd_train.h5"), halfPrecision: true)
        try SpikeFile.write(samples(speakers: 6..<8), keys: nil, to: dir.appendingPathComponent("shd_test.h5"), halfPrecision: true)
        let file = TestPaths.exampleConfigs.appendingPathComponent("shd.json")
        var config = try TrainConfig.read(file)
        config = try config.setting("data.directory=\(dir.path)").setting("network.neurons=32").setting("training.batch=16")
            .setting("training.epochs=3").setting("training.learningRate=0.01")
        #expect(!config.data.build && config.data.trainFile == "shd_train.h5")
        let experiment = try SpeechExperiment(config: config, output: dir.appendingPathComponent("run"))
        #expect(experiment.spec.inputs == 70)
        #expect(experiment.train.samples.count == 100 && experiment.validation?.samples.count == 20)
        try experiment.run(resume: false)
        let accuracy = try #require(experiment.history.last?.testAccuracy)
        #expect(accuracy > 0.5, "\(experiment.history.map(\.testAccuracy))")
    }
}
