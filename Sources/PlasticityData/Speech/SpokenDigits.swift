import Foundation
import Plasticity

/// Builds an SHD-like spoken-digit set with Debian's `espeak-ng`: English and German digits 0–9
/// (20 classes: 0–9 English, 10–19 German, as in SHD), espeak-ng voice variants as speakers
/// (the same speakers in both languages), and per utterance a random speaking rate, pitch,
/// onset delay and background noise. Audio goes through `Cochlea` (64 ERB-spaced gammatone
/// channels, 80 Hz–8 kHz, spikes at 1 ms). Speakers are split disjointly into train and test.
///
/// Deterministic for a seed: every random choice comes from SplitMix64 seeded per utterance, and
/// espeak-ng is deterministic for fixed arguments.
public struct SpokenDigits: Sendable {
    public static let english = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"]
    public static let german = ["null", "eins", "zwei", "drei", "vier", "fünf", "sechs", "sieben", "acht", "neun"]
    /// `extra/keys`, one per label.
    public static var keys: [String] { english.map { "english \($0)" } + german.map { "german \($0)" } }

    /// espeak-ng's two synthesis methods: the default formant synthesizer, and Klatt's (the
    /// variants whose voice file says `klatt`).
    public enum SynthesisMethod: String, Sendable, Codable, CaseIterable { case formant, klatt }

    /// The variants of Debian 12's espeak-ng 1.51 that use the Klatt synthesizer.
    public static let klattVariants = [
        "klatt", "klatt2", "klatt3", "klatt4", "klatt5", "klatt6", "adam", "benjamin", "caleb", "david", "edward", "edward2",
        "UniRobot", "announcer", "robosoft", "robosoft2", "robosoft3",
    ]
    /// The others (its whole `voices/!v` folder but `Mr serious`, whose name has a space).
    public static let formantVariants = [
        "m1", "f1", "m2", "f2", "m3", "f3", "m4", "f4", "m5", "f5", "m6", "m7", "m8", "Alex", "Alicia", "Andrea", "Andy", "Annie",
        "aunty", "belinda", "boris", "ed", "Gene", "gustave", "Henrique", "Hugo", "iven", "iven2", "Jacky", "john", "Lee", "linda",
        "marcelo", "Marco", "max", "Michael", "michel", "miguel", "Mike", "norbert", "pablo", "paul", "pedro", "quincy", "rob",
        "robert", "sandro", "shelby", "steph", "steph2", "travis", "victor", "zac", "anika", "grandma", "grandpa", "AnxiousAndy",
        "Demonic", "Denis", "Diogo", "Gene2", "Mario", "Nguyen", "RicishayMax", "RicishayMax2", "RicishayMax3", "Storm", "Tweaky",
        "anikaRobot", "antonio", "croak", "fast", "iven3", "iven4", "kaukovalta", "robosoft4", "robosoft5", "robosoft6",
        "robosoft7", "robosoft8", "steph3", "whisper", "whisperf",
    ]
    /// Speaker s speaks with `variants[s % count]`: first the 65 variants the set has always used
    /// (so its default 30 speakers are unchanged), then the rest of espeak-ng's.
    public static let variants: [String] = {
        let first = [
            "m1", "f1", "m2", "f2", "m3", "f3", "m4", "f4", "m5", "f5", "m6", "m7", "m8",
            "klatt", "klatt2", "klatt3", "klatt4", "adam", "Alex", "Alicia", "Andrea", "Andy", "Annie", "aunty",
            "belinda", "benjamin", "boris", "caleb", "david", "ed", "edward", "Gene", "gustave", "Henrique",
            "Hugo", "iven", "iven2", "Jacky", "john", "Lee", "linda", "marcelo", "Marco", "max", "Michael",
            "michel", "miguel", "Mike", "norbert", "pablo", "paul", "pedro", "quincy", "rob", "robert",
            "sandro", "shelby", "steph", "steph2", "travis", "victor", "zac", "anika", "grandma", "grandpa",
        ]
        return first + (formantVariants + klattVariants).filter { !first.contains($0) }
    }()

    public static func method(of variant: String) -> SynthesisMethod { klattVariants.contains(variant) ? .klatt : .formant }

    public var speakers = 30
    public var repetitions = 3
    /// Every n-th speaker goes to the test set.
    public var testEvery = 5
    public var seed: UInt64 = 1
    /// Background-noise SNR range (dB, white noise).
    public var snrDB: ClosedRange<Double> = 20...40
    /// Onset delay range (ms of leading silence).
    public var onsetMs: ClosedRange<Double> = 0...100
    /// Relative speaking-rate and pitch jitter per utterance around the speaker's own.
    public var rateJitter = 0.12
    public var pitchJitter = 8.0
    /// Speakers' base rate 140–200 words per minute and pitch 30–69 (espeak-ng's 0–99); with
    /// `wideVoices`, 120–220 and 10–90 with jitters of ±15 % and ±10.
    public var wideVoices = false {
        didSet { (rateJitter, pitchJitter) = wideVoices ? (0.15, 10) : (0.12, 8) }
    }
    /// When set, the test set is every speaker whose variant uses this method and training has
    /// none of them (leave one synthesis method out); else every `testEvery`-th speaker.
    public var heldOutMethod: SynthesisMethod?
    /// Waveform augmentation of the training utterances (nil: none); test utterances stay clean.
    public var augmentation: SpeechAugmentation?
    public var cochlea = Cochlea()
    public var executable = "espeak-ng"
    public init() {}

    public struct Utterance: Sendable {
        public var label: Int, speaker: Int, repetition: Int
        public var text: String { label < 10 ? SpokenDigits.english[label] : SpokenDigits.german[label - 10] }
        public var language: String { label < 10 ? "en" : "de" }
    }

    public func isTestSpeaker(_ s: Int) -> Bool {
        if let heldOutMethod { return Self.method(of: voice(s).variant) == heldOutMethod }
        return s % testEvery == testEvery - 1
    }

    public func utterances(test: Bool) -> [Utterance] {
        (0..<speakers).filter { isTestSpeaker($0) == test }.flatMap { s in
            (0..<20).flatMap { label in (0..<repetitions).map { Utterance(label: label, speaker: s, repetition: $0) } }
        }
    }

    /// Speaker-specific base rate (words/min) and pitch (0–99), fixed by the speaker index.
    func voice(_ speaker: Int) -> (variant: String, rate: Double, pitch: Double) {
        var rng = SplitMix64(seed: seed &* 0x9E37 &+ UInt64(speaker) &* 7919)
        let variant = Self.variants[speaker % Self.variants.count]
        guard wideVoices else { return (variant, 140 + Double(rng.next() % 60), 30 + Double(rng.next() % 40)) }
        return (variant, 120 + 100 * rng.unit(), 10 + 80 * rng.unit())
    }

    /// The waveform of one utterance at 22050 Hz, with onset delay and noise — or, for a training
    /// utterance with `augmentation`, its augmented form — and the cochlea warp to hear it with.
    public func waveform(_ u: Utterance) throws -> (signal: [Float], warp: Double) {
        var rng = SplitMix64(seed: seed ^ (UInt64(u.speaker) << 32 | UInt64(u.label) << 16 | UInt64(u.repetition)) &* 0x2545_F491_4F6C_DD1D)
        func uniform(_ r: ClosedRange<Double>) -> Double { r.lowerBound + (r.upperBound - r.lowerBound) * rng.unit() }
        let voice = voice(u.speaker)
        let rate = voice.rate * (1 + uniform(-rateJitter...rateJitter))
        let pitch = min(99, max(0, voice.pitch + uniform(-pitchJitter...pitchJitter)))
        let speech = try Self.speak(u.text, voice: "\(u.language)+\(voice.variant)", rate: Int(rate), pitch: Int(pitch), executable: executable)
        let onset = Int(uniform(onsetMs) * 22.05)
        if let augmentation, !isTestSpeaker(u.speaker) {
            let draw = augmentation.draw(&rng)
            let babble = draw.noise == .babble ? try babble(for: u, rng: &rng) : []
            let signal = SpeechAugmentation.apply(draw, to: speech, sampleRate: 22050, babble: babble, rng: &rng)
            return ([Float](repeating: 0, count: onset) + signal, draw.warp)
        }
        var signal = [Float](repeating: 0, count: onset) + speech
        let power = speech.reduce(0) { $0 + Double($1) * Double($1) } / Double(max(speech.count, 1))
        let noiseStd = (power / pow(10, uniform(snrDB) / 10)).squareRoot()
        var normal = GaussianSource(rng: rng)
        for i in signal.indices { signal[i] += Float(noiseStd * normal.next()) }
        return (signal, 1)
    }

    /// Three other words by three other training speakers, summed: the babble behind a training utterance.
    func babble(for u: Utterance, rng: inout SplitMix64) throws -> [Float] {
        let others = (0..<speakers).filter { !isTestSpeaker($0) && $0 != u.speaker }
        guard !others.isEmpty else { return [] }
        var sum: [Float] = []
        for _ in 0..<3 {
            let speaker = others[Int(rng.next() % UInt64(others.count))], label = Int(rng.next() % 20)
            let other = Utterance(label: label, speaker: speaker, repetition: 0), voice = voice(speaker)
            let speech = try Self.speak(other.text, voice: "\(other.language)+\(voice.variant)", rate: Int(voice.rate), pitch: Int(voice.pitch),
                                        executable: executable)
            if speech.count > sum.count { sum += [Float](repeating: 0, count: speech.count - sum.count) }
            for i in speech.indices { sum[i] += speech[i] }
        }
        return sum
    }

    /// espeak-ng's WAV on stdout: the header's sizes are bogus (streamed), so skip 44 bytes and
    /// read int16 samples at 22050 Hz.
    public static func speak(_ text: String, voice: String, rate: Int, pitch: Int, executable: String = "espeak-ng") throws -> [Float] {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = [executable, "-v", voice, "-s", String(rate), "-p", String(pitch), "--stdout", text]
        let pipe = Pipe(), errors = Pipe()
        process.standardOutput = pipe
        process.standardError = errors
        do { try process.run() } catch { throw DataBuildError("cannot start \(executable): \(error)") }
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        let message = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        guard process.terminationStatus == 0, data.count > 44 else {
            throw DataBuildError("\(executable) -v \(voice) '\(text)' failed (exit \(process.terminationStatus)): \(message.prefix(200))")
        }
        return data.dropFirst(44).withUnsafeBytes { raw in
            stride(from: 0, to: raw.count - 1, by: 2).map { Float(Int16(littleEndian: raw.loadUnaligned(fromByteOffset: $0,
                as: Int16.self))) / 32768 }
        }
    }

    /// Builds `trainFile` and `testFile` in `directory` (atomic writes), in parallel over the
    /// machine's cores; `progress(done, total)` is called as utterances finish.
    /// - Parameter overwrite: replace files of these names that Plasticity did not write
    ///   (`WriteContract`); without it they are refused before any utterance is synthesized.
    public func build(into directory: URL, trainFile: String = "train.h5", testFile: String = "test.h5", overwrite: Bool = false,
                      flag: String = "--out", progress: @escaping @Sendable (Int, Int) -> Void = { _, _ in }) throws {
        let sets = [(trainFile, utterances(test: false)), (testFile, utterances(test: true))]
        for (name, list) in sets {
            try WriteContract.check(directory.appendingPathComponent(name), flag: flag, overwrite: overwrite)
            guard !list.isEmpty else {
                throw DataBuildError("\(directory.appendingPathComponent(name).path): no utterance falls into this split (\(speakers) speakers, " +
                                     "every \(testEvery)-th a test speaker\(heldOutMethod.map { ", test method \($0.rawValue)" } ?? "")): " +
                                     "it would be empty")
            }
        }
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let total = sets.reduce(0) { $0 + $1.1.count }
        let counter = Counter()
        for (name, list) in sets {
            let results = Results(count: list.count)
            DispatchQueue.concurrentPerform(iterations: list.count) { i in
                let u = list[i]
                results.set(i, Result {
                    let (signal, warp) = try waveform(u)
                    var cochlea = cochlea
                    cochlea.warp = warp
                    let spikes = cochlea.spikes(signal, sampleRate: 22050)
                    return SpikeSample(times: spikes.times, units: spikes.units, label: u.label, speaker: u.speaker)
                })
                progress(counter.increment(), total)
            }
            let samples = try results.values.map { try $0!.get() }
            try SpikeFile.write(samples, keys: Self.keys, to: directory.appendingPathComponent(name), flag: flag, overwrite: overwrite)
        }
    }
}

public struct DataBuildError: Error, CustomStringConvertible, Sendable {
    public var description: String
    init(_ description: String) { self.description = description }
}

/// Box-Muller normals from SplitMix64.
struct GaussianSource {
    var rng: SplitMix64
    mutating func next() -> Double {
        let u1 = max(Double(rng.next() >> 11) / Double(1 << 53), 1e-300), u2 = Double(rng.next() >> 11) / Double(1 << 53)
        return (-2 * log(u1)).squareRoot() * cos(2 * Double.pi * u2)
    }
}

private final class Counter: @unchecked Sendable {
    private let lock = NSLock()
    private var value = 0
    func increment() -> Int { lock.lock(); defer { lock.unlock() }; value += 1; return value }
}

private final class Results: @unchecked Sendable {
    private let lock = NSLock()
    private(set) var values: [Result<SpikeSample, Error>?]
    init(count: Int) { values = Array(repeating: nil, count: count) }
    func set(_ i: Int, _ r: Result<SpikeSample, Error>) { lock.lock(); values[i] = r; lock.unlock() }
}
