import Foundation
import Testing
@testable import Plasticity
@testable import PlasticityData

/// The voice-robust spoken-digit recipe (docs/testing.md): espeak-ng's variants and their
/// synthesis methods, the leave-one-method-out split, each waveform augmentation against its
/// definition, and spike masking.
@Suite struct SpeechAugmentationTests {
    static let voices = URL(fileURLWithPath: "/usr/lib/x86_64-linux-gnu/espeak-ng-data/voices/!v")

    /// The variant lists are the installed espeak-ng's: every variant file (but the one whose name
    /// has a space), Klatt exactly where the file selects the Klatt synthesizer.
    @Test func variantsAreTheInstalledOnesWithTheirMethod() throws {
        let names = try FileManager.default.contentsOfDirectory(atPath: Self.voices.path).filter { !$0.contains(" ") }
        #expect(Set(names) == Set(SpokenDigits.variants) && names.count == SpokenDigits.variants.count)
        for name in names {
            let text = try String(contentsOf: Self.voices.appendingPathComponent(name), encoding: .isoLatin1)
            let klatt = text.components(separatedBy: .newlines).contains { $0.trimmingCharacters(in: .whitespaces).hasPrefix("klatt") }
            #expect(SpokenDigits.method(of: name) == (klatt ? .klatt : .formant), "\(name)")
        }
        #expect(SpokenDigits.variants.prefix(30).filter { SpokenDigits.method(of: $0) == .klatt }.count == 8)
    }

    /// Leaving a method out: every test speaker uses it, no training speaker does; all 100 voices are used.
    @Test(arguments: SpokenDigits.SynthesisMethod.allCases)
    func heldOutMethodSplitsByMethod(_ method: SpokenDigits.SynthesisMethod) {
        var set = SpokenDigits()
        set.speakers = SpokenDigits.variants.count
        set.heldOutMethod = method
        let test = Set(set.utterances(test: true).map(\.speaker)), train = Set(set.utterances(test: false).map(\.speaker))
        #expect(test.allSatisfy { SpokenDigits.method(of: set.voice($0).variant) == method })
        #expect(train.allSatisfy { SpokenDigits.method(of: set.voice($0).variant) != method })
        #expect(test.count + train.count == 100 && test.count == (method == .klatt ? 17 : 83))
    }

    @Test func augmentationIsDeterministicAndFollowsItsDraw() throws {
        var set = SpokenDigits()
        set.augmentation = SpeechAugmentation()
        let u = set.utterances(test: false)[7]
        let a = try set.waveform(u), b = try set.waveform(u)
        #expect(a.signal == b.signal && a.warp == b.warp)
        #expect(a.warp >= 0.9 && a.warp <= 1.1)
        let test = set.utterances(test: true)[0]
        #expect(try set.waveform(test).warp == 1, "test utterances are not augmented")
    }

    /// Resampling by 1.1 shortens by 1/1.1 and keeps a tone's samples on the tone at 1.1× frequency.
    @Test func speedPerturbationScalesTime() {
        let tone = (0..<22050).map { Float(sin(2 * Double.pi * 200 * Double($0) / 22050)) }
        let fast = SpeechAugmentation.resample(tone, factor: 1.1)
        #expect(fast.count == Int(22050 / 1.1))
        let expected = (0..<fast.count).map { Float(sin(2 * Double.pi * 220 * Double($0) / 22050)) }
        #expect(zip(fast, expected).map { abs($0 - $1) }.max()! < 2e-3)
    }

    /// The peaking filter's gain at its centre frequency is its gain in dB (±0.1 dB), and 1 far away.
    @Test func peakingFilterHasItsGain() {
        func gain(_ f: Double) -> Double {
            let tone = (0..<44100).map { Float(sin(2 * Double.pi * f * Double($0) / 22050)) }
            let y = SpeechAugmentation.peaking(tone, frequency: 1000, gainDB: 6, sampleRate: 22050)
            let rms = { (x: ArraySlice<Float>) in (x.reduce(0) { $0 + Double($1) * Double($1) } / Double(x.count)).squareRoot() }
            return 20 * log10(rms(y[22050...]) / rms(tone[22050...]))
        }
        #expect(abs(gain(1000) - 6) < 0.1)
        #expect(abs(gain(8000)) < 0.5)
    }

    /// Noise lands at the drawn SNR (white, ±0.2 dB over a second); reverb keeps a decaying tail.
    @Test func noiseAtItsSNRAndReverbTail() {
        var rng = SplitMix64(seed: 3)
        let speech = (0..<22050).map { Float(0.3 * sin(2 * Double.pi * 300 * Double($0) / 22050)) }
        let draw = SpeechAugmentation.Draw(speed: 1, warp: 1, tilt: 0, eqHz: 1000, eqDB: 0, rt60: nil, wet: 1, noise: .white, snrDB: 10,
                                           levelDB: 0)
        let noisy = SpeechAugmentation.apply(draw, to: speech, sampleRate: 22050, babble: [], rng: &rng)
        let power = { (x: [Float]) in x.reduce(0) { $0 + Double($1) * Double($1) } }
        let noise = zip(noisy, speech).map { $0 - $1 }
        #expect(abs(10 * log10(power(speech) / power(noise)) - 10) < 0.2)
        let wet = SpeechAugmentation.reverberated(speech, rt60: 0.4, wet: 1, sampleRate: 22050)
        #expect(wet.count == speech.count + Int(0.4 * 22050))
        let tail = power(Array(wet[(speech.count + 2205)...])), late = power(Array(wet[(speech.count + 6615)...]))
        #expect(tail > 0 && late < tail / 10, "the tail decays (60 dB in 0.4 s)")
    }

    /// Masked steps and channels carry no events; the rest are as without the mask.
    @Test func masksDropExactlyTheirBands() throws {
        let events = (0..<40).map { (index: Int32($0 * 13 % 400), count: Float(1)) }
        let set = SpikeDataset(samples: [.init(events: events, label: 1, speaker: 0)], steps: 20, inputs: 20, classCount: 2)
        let plain = set.batch([0]).input, masked = set.batch([0], masks: [(steps: 3..<7, channels: 10..<12)]).input
        for t in 0..<20 {
            for c in 0..<20 {
                let inBand = (3..<7).contains(t) || (10..<12).contains(c)
                #expect(masked[t * 20 + c] == (inBand ? 0 : plain[t * 20 + c]))
            }
        }
        #expect(plain.reduce(0, +) > masked.reduce(0, +))
    }

    @Test func maskAndMethodFieldsAreValidated() throws {
        var config = TrainConfig()
        config.training.channelMask = -1
        #expect(throws: FileFormatError.self) { try config.validate(file: "c.json") }
        #expect(throws: (any Error).self) { try TrainConfig().merging(["data": ["heldOutMethod": "neural"]], file: "c.json") }
        config = TrainConfig()
        config.data.heldOutMethod = .klatt
        config.data.speakers = 10
        #expect(throws: FileFormatError.self) { try config.validate(file: "c.json") }
        config.data.speakers = 100
        try config.validate(file: "c.json")
        let merged = try TrainConfig().merging(["data": ["heldOutMethod": "klatt"], "training": ["timeMaskMs": 100]], file: "c.json")
        #expect(merged.data.heldOutMethod == .klatt && merged.training.timeMaskMs == 100)
    }
}
