import Foundation
import Plasticity
import Testing
@testable import PlasticityData

/// Own recordings in (`plasticity data audio`, docs/testing.md): files the test writes itself
/// through libsndfile at 8, 16, 22.05 and 44.1 kHz in every encoding read back to their
/// samples; labels, speakers and the split from folders, a manifest and a name pattern; the
/// spikes of a file equal the in-memory path's; bad files are named.
@Suite struct AudioTests {
    /// A tone burst: `hz` for 150 ms in 300 ms, amplitude 0.5.
    func burst(_ hz: Double, rate: Double) -> AudioFile {
        let n = Int(0.3 * rate)
        return AudioFile(samples: (0..<n).map { i in
            let t = Double(i) / rate
            return t > 0.05 && t < 0.2 ? Float(0.5 * sin(2 * Double.pi * hz * t)) : 0
        }, sampleRate: rate)
    }

    /// Largest |read − written| allowed per encoding: the quantization step (half a step and
    /// rounding), exact for float, and for lossy Vorbis a tenth of the amplitude.
    static let tolerance: [AudioFile.Encoding: Float] = [.wav16: 1.0 / 32768, .flac16: 1.0 / 32768, .wav24: 1.0 / 8_388_608,
                                                         .wav32: 1e-7, .wavFloat: 0, .oggVorbis: 0.05]

    @Test(arguments: [8000.0, 16000, 22050, 44100])
    func everyEncodingReadsBackAtItsRate(rate: Double) throws {
        let folder = try scratchDirectory("audio-\(Int(rate))")
        let original = burst(440, rate: rate)
        for encoding in AudioFile.Encoding.allCases {
            for channels in [1, 2] {
                let suffix = encoding == .flac16 ? "flac" : encoding == .oggVorbis ? "ogg" : "wav"
                let url = folder.appendingPathComponent("\(encoding.rawValue)-\(channels).\(suffix)")
                try original.write(to: url, encoding: encoding, channels: channels)
                let read = try AudioFile.read(url)
                #expect(read.sampleRate == rate, "\(url.lastPathComponent)")
                try #require(read.samples.count == original.samples.count, "\(url.lastPathComponent): \(read.samples.count) frames")
                let error = zip(read.samples, original.samples).map { abs($0 - $1) }.max()!
                if encoding == .oggVorbis {
                    let squares = zip(read.samples, original.samples).map { ($0 - $1) * ($0 - $1) }
                    let rms = (squares.reduce(0, +) / Float(read.samples.count)).squareRoot()
                    #expect(rms <= Self.tolerance[encoding]!, "\(url.lastPathComponent): rms error \(rms)")
                } else {
                    #expect(error <= Self.tolerance[encoding]!, "\(url.lastPathComponent): error \(error)")
                }
            }
        }
    }

    /// Two classes of tones (300 Hz "low", 3 kHz "high") by four speakers at four rates, named
    /// `<speaker>_<n>.wav` in class folders: keys sorted, speakers from the pattern, a
    /// speaker-disjoint split, each tone's spikes on its own side of the cochlea, and a float WAV's
    /// spikes exactly the in-memory waveform's. A manifest gives the same set.
    @Test func foldersManifestSpeakersSplitAndSpikes() throws {
        let folder = try scratchDirectory("audio-set")
        var lines = ["path,label,speaker"]
        for (label, hz) in [("low", 300.0), ("high", 3000.0)] {
            try FileManager.default.createDirectory(at: folder.appendingPathComponent(label), withIntermediateDirectories: true)
            for (s, rate) in [8000.0, 16000, 22050, 44100].enumerated() {
                let name = "\(label)/spk\(s)_1.wav"
                try burst(hz, rate: rate).write(to: folder.appendingPathComponent(name), encoding: .wavFloat)
                lines.append("\(name),\(label),spk\(s)")
            }
        }
        try (lines.joined(separator: "\n") + "\n").write(to: folder.appendingPathComponent("manifest.csv"), atomically: true, encoding: .utf8)
        var set = try AudioSet.classFolders(folder)
        try set.speakers(fromPattern: "^(spk[0-9]+)_")
        let manifest = try AudioSet.manifest(folder.appendingPathComponent("manifest.csv"), root: folder)
        let describe = { (item: AudioSet.Item) in "\(item.url.path) \(item.label) \(item.speaker!)" }
        #expect(Set(manifest.items.map(describe)) == Set(set.items.map(describe)))
        #expect(set.keys == ["high", "low"])
        let (train, test) = set.split(testEvery: 2)
        let trainSpeakers = Set(train.map { set.items[$0].speaker! }), testSpeakers = Set(test.map { set.items[$0].speaker! })
        #expect(trainSpeakers == ["spk0", "spk2"] && testSpeakers == ["spk1", "spk3"])
        let cochlea = Cochlea()
        let results = try set.spikes(cochlea: cochlea, skipBad: false)
        for (item, result) in zip(set.items, results) {
            let sample = try #require(result.sample)
            #expect(sample.label == set.keys.firstIndex(of: item.label))
            let centre = Double(sample.units.map(Double.init).reduce(0, +)) / Double(max(sample.units.count, 1))
            #expect(sample.units.count > 20, "\(item.url.lastPathComponent): \(sample.units.count) spikes")
            #expect(item.label == "low" ? centre < 20 : centre > 35, "\(item.url.lastPathComponent): mean channel \(centre)")
            let audio = try AudioFile.read(item.url)
            let direct = cochlea.spikes(audio.samples, sampleRate: audio.sampleRate)
            let rate = audio.sampleRate
            #expect(direct.times == sample.times && direct.units == sample.units)
            #expect(cochlea.spikes(burst(item.label == "low" ? 300 : 3000, rate: rate).samples, sampleRate: rate).units == sample.units)
        }
    }

    /// An espeak-ng word saved as float WAV gives exactly the in-memory spikes; as 16-bit FLAC,
    /// within 5 % of their count (quantization moves a few threshold crossings).
    @Test func anEspeakWordThroughFiles() throws {
        let folder = try scratchDirectory("audio-word")
        let word = AudioFile(samples: try SpokenDigits.speak("seven", voice: "en", rate: 160, pitch: 50), sampleRate: 22050)
        let cochlea = Cochlea(), direct = cochlea.spikes(word.samples, sampleRate: 22050)
        try word.write(to: folder.appendingPathComponent("w.wav"), encoding: .wavFloat)
        try word.write(to: folder.appendingPathComponent("w.flac"), encoding: .flac16)
        let float = try AudioFile.read(folder.appendingPathComponent("w.wav")), flac = try AudioFile.read(folder.appendingPathComponent("w.flac"))
        #expect(cochlea.spikes(float.samples, sampleRate: float.sampleRate).units == direct.units && direct.units.count > 200)
        let fromFlac = cochlea.spikes(flac.samples, sampleRate: flac.sampleRate).units.count
        #expect(abs(Double(fromFlac - direct.units.count)) <= 0.05 * Double(direct.units.count), "\(fromFlac) vs \(direct.units.count)")
    }

    /// A corrupt, an empty and a text file are named; with --skip-bad they are counted and listed.
    @Test func badFilesAreNamed() throws {
        let folder = try scratchDirectory("audio-bad")
        try FileManager.default.createDirectory(at: folder.appendingPathComponent("a"), withIntermediateDirectories: true)
        try burst(500, rate: 16000).write(to: folder.appendingPathComponent("a/good.wav"), encoding: .wav16)
        var truncated = try Data(contentsOf: folder.appendingPathComponent("a/good.wav"))
        truncated = truncated.prefix(30)
        try truncated.write(to: folder.appendingPathComponent("a/cut.wav"))
        try AudioFile(samples: [], sampleRate: 16000).write(to: folder.appendingPathComponent("a/empty.wav"), encoding: .wav16)
        try Data("not audio".utf8).write(to: folder.appendingPathComponent("a/text.flac"))
        for name in ["cut.wav", "empty.wav", "text.flac"] {
            let error = #expect(throws: FileFormatError.self) { try AudioFile.read(folder.appendingPathComponent("a/\(name)")) }
            #expect(error?.file.hasSuffix(name) == true, "\(String(describing: error))")
        }
        let set = try AudioSet.classFolders(folder)
        let stop = #expect(throws: FileFormatError.self) { try set.spikes(cochlea: Cochlea(), skipBad: false) }
        #expect(stop?.file.hasSuffix("cut.wav") == true && stop?.message.contains("--skip-bad") == true, "\(String(describing: stop))")
        let out = folder.appendingPathComponent("set.h5")
        let run = try PlasticityProcess.run(["data", "audio", "--from", folder.path, "--out", out.path, "--skip-bad"])
        #expect(run.status == 0 && run.output.contains("skipped 3 unreadable files"), "\(run.output)")
        #expect(try SpikeFile(out).count == 1)
        let log = try String(contentsOf: folder.appendingPathComponent("set.h5.skipped.txt"), encoding: .utf8)
        #expect(["cut.wav", "empty.wav", "text.flac"].allSatisfy { log.contains($0) }, "\(log)")
    }
}
