import Foundation
import Testing
import Plasticity
@testable import PlasticityData

/// Samples with known spikes: sample i has i+1 spikes at (k+1)·10 ms on units 3k+i.
func knownSamples(_ count: Int) -> [SpikeSample] {
    (0..<count).map { i in
        SpikeSample(times: (0...i).map { Float($0 + 1) / 100 }, units: (0...i).map { UInt32(3 * $0 + i) }, label: i % 3, speaker: i / 2)
    }
}

@Suite struct SpikeFileTests {
    /// Both storage precisions of the published files (float16/uint16, float32/uint32) read back
    /// as native float/uint32; float16 times within its 2^-11 relative precision.
    @Test(arguments: [true, false])
    func roundTrip(halfPrecision: Bool) throws {
        let dir = try scratchDirectory("roundtrip")
        let url = dir.appendingPathComponent("a.h5")
        let samples = knownSamples(5)
        try SpikeFile.write(samples, keys: ["zero", "one", "two"], to: url, halfPrecision: halfPrecision)
        let file = try SpikeFile(url)
        #expect(file.count == 5)
        #expect(file.labels == [0, 1, 2, 0, 1])
        #expect(file.speakers == [0, 0, 1, 1, 2])
        #expect(file.keys == ["zero", "one", "two"])
        #expect(file.classCount == 3)
        for i in 0..<5 {
            let s = try file.sample(i)
            #expect(s.units == samples[i].units)
            for (a, b) in zip(s.times, samples[i].times) { #expect(abs(a - b) <= (halfPrecision ? 5e-4 * b : 0)) }
        }
        // No temporary file is left beside it; the folder's ledger records it.
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path).sorted() == [WriteContract.ledgerName, "a.h5"])
        #expect(try WriteContract.isOwned(url))
    }

    /// Files written by h5py (the tool the SHD files were made with): float16/uint16/uint8 and
    /// float32/uint32/int64, fixed-length byte-string keys. Needs PLASTICITY_PYTHON, a Python
    /// with h5py (`.ci/test.sh` makes one); without it the test is recorded as skipped.
    @Test(.enabled(if: ProcessInfo.processInfo.environment["PLASTICITY_PYTHON"] != nil, "PLASTICITY_PYTHON (Python with h5py) not set"))
    func readsFilesWrittenByH5py() throws {
        let dir = try scratchDirectory("h5py")
        let process = Process()
        process.executableURL = URL(fileURLWithPath: ProcessInfo.processInfo.environment["PLASTICITY_PYTHON"]!)
        let script = TestPaths.fixtures.appendingPathComponent("write_shd.py")
        process.arguments = [script.path, dir.path]
        try process.run()
        process.waitUntilExit()
        try #require(process.terminationStatus == 0)
        let expected = knownSamples(4)
        for name in ["h5py-f16.h5", "h5py-f32.h5"] {
            let file = try SpikeFile(dir.appendingPathComponent(name))
            #expect(file.count == 4)
            #expect(file.labels == [0, 1, 2, 0])
            #expect(file.speakers == [0, 0, 1, 1])
            #expect(file.keys == ["zero", "one", "two"])
            for i in 0..<4 {
                let s = try file.sample(i)
                #expect(s.units == expected[i].units, "\(name) sample \(i)")
                for (a, b) in zip(s.times, expected[i].times) { #expect(abs(a - b) <= 5e-4 * b, "\(name)") }
            }
        }
        let mismatch = try SpikeFile(dir.appendingPathComponent("h5py-mismatch.h5"))
        let error = #expect(throws: FileFormatError.self) { try mismatch.sample(2) }
        #expect(error?.field == "spikes/times[2]" && error!.file.hasSuffix("h5py-mismatch.h5"), "\(String(describing: error))")
        let missing = #expect(throws: FileFormatError.self) { try SpikeFile(dir.appendingPathComponent("h5py-nolabels.h5")) }
        #expect(missing?.field == "labels" && missing!.message == "is missing")
    }

    /// Broken files give an error naming the file and the field, never a crash.
    @Test func brokenFilesNameFileAndField() throws {
        let dir = try scratchDirectory("broken")
        let good = dir.appendingPathComponent("good.h5")
        try SpikeFile.write(knownSamples(6), keys: nil, to: good)
        let bytes = try Data(contentsOf: good)

        func expectError(_ url: URL, field: String, _ comment: Comment) {
            let error = #expect(throws: FileFormatError.self, comment) {
                let file = try SpikeFile(url)
                for i in 0..<file.count { _ = try file.sample(i) }
            }
            #expect(error?.file == url.path, comment)
            #expect(error?.field == field, "\(comment): \(String(describing: error))")
        }
        for cut in [0, 100, bytes.count / 2, bytes.count - 64] {
            let url = dir.appendingPathComponent("truncated-\(cut).h5")
            try bytes.prefix(cut).write(to: url)
            expectError(url, field: cut == 0 || cut == 100 ? "file" : (try? SpikeFile(url)) == nil ? "file" : "spikes/times[0]",
                        "truncated at \(cut)")
        }
        let garbage = dir.appendingPathComponent("garbage.h5")
        try Data("this is not HDF5".utf8).write(to: garbage)
        expectError(garbage, field: "file", "not HDF5")

        let noLabels = dir.appendingPathComponent("nolabels.h5")
        try SpikeFile.write(knownSamples(3), keys: nil, to: noLabels, halfPrecision: false, withLabels: false, unitsShift: 0)
        expectError(noLabels, field: "labels", "missing labels")

        let mismatch = dir.appendingPathComponent("mismatch.h5")
        try SpikeFile.write(knownSamples(3), keys: nil, to: mismatch, halfPrecision: false, withLabels: true, unitsShift: 1)
        expectError(mismatch, field: "spikes/times[0]", "units longer than times")

        let missing = dir.appendingPathComponent("does-not-exist.h5")
        expectError(missing, field: "file", "missing file")
    }
}

@Suite struct SpikeDatasetTests {
    /// Binning by hand (10 ms bins, 3 steps, pairs of channels pooled): a spike at time τ lands
    /// in bin ⌊τ/10 ms⌋ on channel ⌊unit/2⌋; bins past step 3 are cropped; counts add up.
    @Test func binsPoolsAndCrops() throws {
        let dir = try scratchDirectory("binning")
        let url = dir.appendingPathComponent("a.h5")
        let samples = [
            SpikeSample(times: [0.015, 0.025, 0.035, 0.045, 0.0151, 0.0152], units: [3, 6, 9, 12, 3, 4], label: 2),
            SpikeSample(times: [0.012], units: [0], label: 0),
        ]
        try SpikeFile.write(samples, keys: nil, to: url)
        let data = try SpikeDataset(file: SpikeFile(url), binning: SpikeBinning(binMs: 10, steps: 3, pool: 2, maxCount: 8))
        #expect(data.inputs == 7)   // units 0…12: 13 channels, pooled in pairs
        #expect(data.classCount == 3)
        let batch = data.batch([0, 1], labelFrom: 1)
        var expected = [Float](repeating: 0, count: 3 * 2 * 7)
        func set(_ t: Int, _ b: Int, _ c: Int, _ v: Float) { expected[(t * 2 + b) * 7 + c] = v }
        set(1, 0, 1, 2); set(1, 0, 2, 1); set(2, 0, 3, 1)   // units 3, 3 → 1; 4 → 2; 6 → 3; 9 and 12 cropped
        set(1, 1, 0, 1)
        #expect(batch.input == expected)
        #expect(batch.targets == [-1, -1, 2, 0, 2, 0])
        // Augmentation: sample 0 moved one step later and one channel down, sample 1 one step
        // earlier (its only event falls off the grid).
        let shifted = data.batch([0, 1], shifts: [(steps: 1, channels: -1), (steps: -2, channels: 0)])
        expected = [Float](repeating: 0, count: 3 * 2 * 7)
        set(2, 0, 0, 2); set(2, 0, 1, 1)
        #expect(shifted.input == expected)
        // maxCount caps a bin.
        let capped = try SpikeDataset(file: SpikeFile(url), binning: SpikeBinning(binMs: 10, steps: 3, pool: 2, maxCount: 1))
        #expect(capped.batch([0, 1]).input.max() == 1)
    }

    @Test func unitOutsideTheDeclaredChannelsIsAnError() throws {
        let dir = try scratchDirectory("channels")
        let url = dir.appendingPathComponent("a.h5")
        try SpikeFile.write(knownSamples(3), keys: nil, to: url)
        let error = #expect(throws: FileFormatError.self) { try SpikeDataset(file: SpikeFile(url), binning: SpikeBinning(), channels: 4) }
        #expect(error?.field == "spikes/units[1]")
    }
}

@Suite struct CochleaTests {
    /// A pure tone drives the channels around its frequency: the channel with the most spikes is
    /// the one whose centre frequency is nearest (±1 channel), for tones across the band.
    @Test(arguments: [250.0, 1000.0, 3000.0])
    func toneExcitesItsChannel(frequency: Double) {
        let cochlea = Cochlea()
        let rate = 22050.0
        let tone = (0..<Int(rate / 2)).map { Float(0.3 * sin(2 * Double.pi * frequency * Double($0) / rate)) }
        let spikes = cochlea.spikes(tone, sampleRate: rate)
        var counts = [Int](repeating: 0, count: cochlea.channels)
        for u in spikes.units { counts[Int(u)] += 1 }
        let busiest = counts.firstIndex(of: counts.max()!)!
        let nearest = cochlea.centreFrequencies.enumerated().min { abs($0.element - frequency) < abs($1.element - frequency) }!.offset
        #expect(abs(busiest - nearest) <= 1, "tone \(frequency) Hz: busiest channel \(busiest), nearest \(nearest)")
        // Far channels (an octave and more away) stay nearly silent.
        let far = cochlea.centreFrequencies.enumerated().filter { abs(log2($0.element / frequency)) > 1 }.map { counts[$0.offset] }
        #expect(far.max()! * 5 < counts.max()!, "\(counts)")
        #expect(spikes.times == spikes.times.sorted())
    }
}

@Suite struct TrainConfigTests {
    @Test func overridesAndUnknownKeys() throws {
        let config = try TrainConfig().setting("training.epochs=3").setting("network.model=lif").setting("data.binning.steps=50")
        #expect(config.training.epochs == 3 && config.network.model == .builtin(.lif) && config.data.binning.steps == 50)
        #expect(config.network.neurons == TrainConfig().network.neurons)
        let typo = #expect(throws: FileFormatError.self) { try TrainConfig().setting("training.epoch=3") }
        #expect(typo?.field == "training.epoch")
        let type = #expect(throws: FileFormatError.self) { try TrainConfig().setting("training.epochs=\"many\"") }
        #expect(type?.field == "training.epochs")
        let model = #expect(throws: FileFormatError.self) { try TrainConfig().setting("network.model=hodgkin") }
        #expect(model?.field == "network.model")
    }
}

/// The report's axes: ticks at 1-2-5 × 10^k, integers for epochs, covering the data.
@Suite struct ReportAxisTests {
    @Test(arguments: [(0.0, 1.0), (1, 30), (0.837, 0.942), (-3.2, 7.9), (0.0915, 4.2), (5, 5), (1e-5, 3e-5), (1, 2)])
    func ticksAreRoundAndCoverTheData(_ range: (Double, Double)) {
        for integer in [false, true] {
            let ticks = SVG.ticks(range.0, range.1, integer: integer)
            #expect(ticks.count >= 2 && ticks.count <= 6, "\(range) \(ticks)")
            #expect(ticks.first! <= range.0 && ticks.last! >= range.1, "\(range) \(ticks)")
            let step = ticks[1] - ticks[0]
            let mantissa = step / pow(10, floor(log10(step)))
            #expect([1.0, 2, 5].contains { abs(mantissa - $0) < 1e-9 }, "\(range) step \(step)")
            for (a, b) in zip(ticks, ticks.dropFirst()) { #expect(abs((b - a) - step) <= step * 1e-9) }
            if integer { #expect(step >= 1 && ticks.allSatisfy { $0 == $0.rounded() }, "\(range) \(ticks)") }
        }
    }
}
