import ArgumentParser
import Foundation
import Plasticity
import PlasticityData

/// `plasticity data …`: build and inspect spike datasets.
struct DataCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "data", abstract: "Build or inspect spike datasets (SHD layout).",
                                                    subcommands: [SpokenDigitsCommand.self, AudioCommand.self, DataInfo.self])
}

struct SpokenDigitsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "spoken-digits",
        abstract: "Build an SHD-like English/German spoken-digit set with espeak-ng: DIR/train.h5 and DIR/test.h5 (speaker-disjoint).")

    @Option(help: "Output directory.") var out: String
    @Option(parsing: .unconditional, help: "Speakers (espeak-ng voice variants); every --test-every-th is a test speaker.") var speakers = 30
    @Option(parsing: .unconditional) var testEvery = 5
    @Option(parsing: .unconditional, help: "Utterances per speaker and word.") var repetitions = 3
    @Option(parsing: .unconditional) var seed: UInt64 = 1
    @Option(parsing: .unconditional, help: "Lowest background-noise SNR (dB); the highest is 20 dB above.") var snr = 20.0
    @Option(parsing: .unconditional, help: "Largest onset delay (ms).") var onsetMs = 100.0
    @Option(parsing: .unconditional) var channels = 64
    @Flag(help: "Replace DIR/train.h5 and DIR/test.h5 even when plasticity did not write them.") var overwrite = false

    func validate() throws {
        if out.isEmpty { throw ValidationError("--out must name a folder, not ''") }
        try require("speakers", speakers, in: 1...10_000)
        try require("test-every", testEvery, in: 2...10_000)
        try require("repetitions", repetitions, in: 1...1_000)
        try require("snr", snr, in: -60...120)
        try require("onset-ms", onsetMs, in: 0...10_000)
        try require("channels", channels, in: 1...Cochlea.maxChannels)
    }

    func run() throws {
        var builder = SpokenDigits()
        builder.speakers = speakers; builder.testEvery = testEvery; builder.repetitions = repetitions; builder.seed = seed
        builder.snrDB = snr...(snr + 20); builder.onsetMs = 0...onsetMs
        builder.cochlea.channels = channels
        let start = Date()
        let bar = ProgressBar(label: "spoken digits")
        try builder.build(into: URL(fileURLWithPath: out), overwrite: overwrite) { done, total in
            bar.update(done, of: total, detail: "utterances")
        }
        bar.finish()
        let train = try SpikeFile(URL(fileURLWithPath: out).appendingPathComponent("train.h5"))
        let test = try SpikeFile(URL(fileURLWithPath: out).appendingPathComponent("test.h5"))
        print(String(format: "wrote %@/train.h5 (%d samples) and test.h5 (%d samples) in %.1f s", out, train.count, test.count,
                     Date().timeIntervalSince(start)))
    }
}

/// `plasticity data audio`: own recordings → SHD-layout spike files.
struct AudioCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "audio",
        abstract: "Turn audio files (WAV, FLAC, OGG, …; any rate, stereo mixed to mono) into an SHD-layout spike file through the cochlea.",
        discussion: "Labels from class folders (DIR/<class>/*.wav) or --manifest (path,label[,speaker]). With --test-every N, the test " +
                    "split (speaker-disjoint when speakers are known) goes to <out stem>-test.h5.")
    @Option(help: "Folder of class folders, or the root of the manifest's relative paths.") var from: String
    @Option(help: "The spike file to write (the training split with --test-every).") var out: String
    @Option(help: "CSV: path,label[,speaker] per line.") var manifest: String?
    @Option(help: "Regular expression whose first capture group in a file name is its speaker (e.g. '^([a-z]+)_').") var speakerPattern: String?
    @Option(parsing: .unconditional, help: "Every N-th speaker (or file of each class, without speakers) is a test sample (0: no split).")
    var testEvery = 0
    @Option(parsing: .unconditional) var channels = 64
    @Flag(help: "Leave out files that cannot be read (listed in <out>.skipped.txt) instead of stopping.") var skipBad = false
    @Flag(help: "Replace the output files even when plasticity did not write them.") var overwrite = false

    func validate() throws {
        if out.isEmpty { throw ValidationError("--out must name a file, not ''") }
        if testEvery == 1 { throw ValidationError("--test-every 1 would put every file into the test split: use 0 (no split) or 2 and more") }
        try require("test-every", testEvery, in: 0...10_000)
        try require("channels", channels, in: 1...Cochlea.maxChannels)
    }

    func run() throws {
        let root = URL(fileURLWithPath: from), output = URL(fileURLWithPath: out)
        let testURL = output.deletingLastPathComponent().appendingPathComponent(output.deletingPathExtension().lastPathComponent + "-test.h5")
        let skippedURL = output.appendingPathExtension("skipped.txt")
        var set = try manifest.map { try AudioSet.manifest(URL(fileURLWithPath: $0), root: root) } ?? AudioSet.classFolders(root)
        if let speakerPattern { try set.speakers(fromPattern: speakerPattern) }
        // Every output is checked before any audio is read: cheap refusals first.
        let inputs = set.items.map(\.url) + (manifest.map { [URL(fileURLWithPath: $0)] } ?? [])
        for url in [output, testURL, skippedURL] where url != testURL || testEvery > 0 {
            try WriteContract.check(url, overwrite: overwrite, inputs: inputs)
        }
        let (trainIndices, testIndices) = set.split(testEvery: testEvery)
        for (indices, split) in [(trainIndices, "training"), (testIndices, "test")] where indices.isEmpty && (split == "training" || testEvery > 0) {
            throw ValidationError("the \(split) split of \(set.items.count) files would be empty with --test-every \(testEvery)")
        }
        var cochlea = Cochlea()
        cochlea.channels = channels
        let bar = ProgressBar(label: "audio")
        let results = try set.spikes(cochlea: cochlea, skipBad: skipBad) { done, total in bar.update(done, of: total, detail: "files") }
        bar.finish()
        let skipped = set.items.indices.filter { results[$0].sample == nil }
        if !skipped.isEmpty {
            let log = skipped.map { "\(set.items[$0].url.path): \(results[$0].problem!)" }.joined(separator: "\n") + "\n"
            try WriteContract.write(Data(log.utf8), to: skippedURL, overwrite: overwrite, inputs: inputs)
            print("skipped \(skipped.count) unreadable files (listed in \(out).skipped.txt)")
        }
        let keys = set.keys
        for (indices, url) in [(trainIndices, output), (testIndices, testURL)] where url == output || testEvery > 0 {
            let samples = indices.compactMap { results[$0].sample }
            try SpikeFile.write(samples, keys: keys, to: url, overwrite: overwrite)
            let speakers = Set(samples.compactMap(\.speaker)).count
            print("wrote \(url.path): \(samples.count) samples, \(keys.count) classes" + (speakers > 0 ? ", \(speakers) speakers" : ""))
        }
        // Outputs of an earlier run that this one does not write would pass for its own: they go
        // when Plasticity wrote them, and are named when it did not.
        let stale = [(testURL, testEvery == 0), (skippedURL, skipped.isEmpty)].filter { $0.1 }.map(\.0)
        for url in stale where FileManager.default.fileExists(atPath: url.path) {
            if (try? WriteContract.remove(url)) != nil { print("removed \(url.path) of an earlier run") } else {
                print("note: \(url.path) is not from this run and was not written by plasticity: left as it is")
            }
        }
    }
}

struct DataInfo: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "info",
                                                    abstract: "Summarize a spike file: samples, classes, speakers, spikes, duration.")
    @Argument var file: String
    func run() throws {
        // The checks `train` makes: a set cut off mid-build, labels, speakers, times and units.
        try SpeechExperiment.requireCompleteBuild(in: URL(fileURLWithPath: file).deletingLastPathComponent())
        let f = try SpikeFile(URL(fileURLWithPath: file))
        _ = try SpikeDataset(file: f, binning: SpikeBinning())
        var spikes = 0, longest: Float = 0, channels: UInt32 = 0
        for i in 0..<f.count {
            let s = try f.sample(i)
            spikes += s.times.count; longest = max(longest, s.times.max() ?? 0); channels = max(channels, s.units.max() ?? 0)
        }
        print("\(file): \(f.count) samples, \(f.classCount) classes, \(Set(f.speakers ?? []).count) speakers, \(Int(channels) + 1) channels")
        print(String(format: "spikes per sample %.0f on average, last spike at %.3f s", Double(spikes) / Double(max(f.count, 1)), longest))
        if let keys = f.keys { print("keys: \(keys.joined(separator: ", "))") }
    }
}

/// A one-line progress bar on stderr (redrawn in place on a terminal, a line every 10% otherwise).
final class ProgressBar: @unchecked Sendable {
    let label: String
    let start = Date()
    let terminal = isatty(2) != 0
    private let lock = NSLock()
    private var lastDecile = -1

    /// Whether the bar appends its own elapsed time and ETA (off when `detail` carries them).
    let showsTiming: Bool

    init(label: String, showsTiming: Bool = true) { self.label = label; self.showsTiming = showsTiming }

    func update(_ done: Int, of total: Int, detail: String) {
        lock.lock(); defer { lock.unlock() }
        let fraction = Double(done) / Double(max(total, 1))
        let elapsed = Date().timeIntervalSince(start)
        let eta = done > 0 ? elapsed / Double(done) * Double(total - done) : 0
        let width = 24, filled = Int(fraction * Double(width))
        var line = String(format: "%@ [%@%@] %d/%d %@", label, String(repeating: "#", count: filled),
                          String(repeating: ".", count: width - filled), done, total, detail)
        if showsTiming { line += String(format: "  %.0f s, ETA %.0f s", elapsed, eta) }
        if terminal {
            FileHandle.standardError.write(Data(("\r" + line + "\u{1B}[K").utf8))
        } else if Int(fraction * 10) != lastDecile {
            lastDecile = Int(fraction * 10)
            FileHandle.standardError.write(Data((line + "\n").utf8))
        }
    }

    func finish() { if terminal { FileHandle.standardError.write(Data("\n".utf8)) } }
}
