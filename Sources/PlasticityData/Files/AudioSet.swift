import Foundation
import Plasticity

/// Own recordings as a labelled set, turned into SHD-layout spike files through the cochlea
/// (`plasticity data audio`). Labels come from class folders (`DIR/<class>/*.wav`) or a CSV
/// manifest (`path,label[,speaker]`); speakers from the manifest or a file-name pattern. Class
/// keys are the label names, sorted; speakers are numbered in sorted order.
public struct AudioSet: Sendable {
    public struct Item: Sendable, Equatable {
        public var url: URL
        public var label: String
        public var speaker: String?
    }
    public var items: [Item]

    static let extensions: Set<String> = ["wav", "wave", "flac", "ogg", "oga", "aif", "aiff", "aifc", "au", "snd", "caf", "w64"]

    /// Every audio file in `DIR/<class>/` (class folders sorted; files sorted; other files ignored).
    public static func classFolders(_ directory: URL) throws -> AudioSet {
        let fm = FileManager.default
        func list(_ url: URL) throws -> [String] {
            var isFolder: ObjCBool = false
            if fm.fileExists(atPath: url.path, isDirectory: &isFolder), !isFolder.boolValue {
                throw FileFormatError(file: url.path, field: "folder", message: "is a file, not a folder of class folders (or give --manifest)")
            }
            do { return try fm.contentsOfDirectory(atPath: url.path).sorted() } catch {
                throw FileFormatError(file: url.path, field: "folder", message: "cannot be listed (\(systemReason(error)))")
            }
        }
        var items: [Item] = []
        for name in try list(directory) where !name.hasPrefix(".") {
            var isFolder: ObjCBool = false
            let folder = directory.appendingPathComponent(name)
            guard fm.fileExists(atPath: folder.path, isDirectory: &isFolder), isFolder.boolValue else { continue }
            for file in try list(folder) where extensions.contains((file as NSString).pathExtension.lowercased()) {
                items.append(Item(url: folder.appendingPathComponent(file), label: name, speaker: nil))
            }
        }
        guard !items.isEmpty else {
            throw FileFormatError(file: directory.path, field: "folder", message: "holds no class folders with audio files (DIR/<class>/*.wav)")
        }
        return AudioSet(items: items)
    }

    /// A CSV manifest: `path,label[,speaker]` per line (a first line starting with `path` is a
    /// header); relative paths are relative to `root`. Errors name the manifest and the line.
    public static func manifest(_ url: URL, root: URL) throws -> AudioSet {
        try requireRegularFile(url)
        let text: String
        do { text = try String(contentsOf: url, encoding: .utf8) } catch {
            throw FileFormatError(file: url.path, field: "file", message: "is not UTF-8 text")
        }
        var items: [Item] = []
        var lineOf: [String: Int] = [:]
        // Any line ending (\n, \r\n, \r): "\r\n" is one Character in Swift, so splitting on "\n" alone would not split it.
        for (number, raw) in text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline).enumerated() {
            let line = raw.trimmingCharacters(in: .whitespacesAndNewlines)
            if line.isEmpty || (number == 0 && line.lowercased().hasPrefix("path")) { continue }
            let fields = line.split(separator: ",", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
            guard fields.count == 2 || fields.count == 3, !fields[0].isEmpty, !fields[1].isEmpty, fields.count == 2 || !fields[2].isEmpty else {
                throw FileFormatError(file: url.path, field: "line \(number + 1)", message: "'\(line.prefix(80))' is not path,label[,speaker]")
            }
            let path = fields[0].hasPrefix("/") ? URL(fileURLWithPath: fields[0]) : root.appendingPathComponent(fields[0])
            let key = path.standardizedFileURL.path
            if let first = lineOf[key] {
                throw FileFormatError(file: url.path, field: "line \(number + 1)",
                                      message: "lists \(fields[0]) again (first on line \(first)): a file is one sample with one label")
            }
            lineOf[key] = number + 1
            items.append(Item(url: path, label: fields[1], speaker: fields.count == 3 ? fields[2] : nil))
        }
        guard !items.isEmpty else { throw FileFormatError(file: url.path, field: "file", message: "lists no audio files") }
        return AudioSet(items: items)
    }

    /// Speakers from each file's name: the first capture group of `pattern` (e.g. `^(\w+)_`).
    /// A name the pattern does not match is an error naming the file.
    public mutating func speakers(fromPattern pattern: String) throws {
        let expression: NSRegularExpression
        do { expression = try NSRegularExpression(pattern: pattern) } catch {
            throw FileFormatError(file: "--speaker-pattern", field: "pattern", message: "'\(pattern)' is not a regular expression")
        }
        guard expression.numberOfCaptureGroups >= 1 else {
            throw FileFormatError(file: "--speaker-pattern", field: "pattern", message: "'\(pattern)' has no capture group for the speaker")
        }
        for i in items.indices {
            let name = items[i].url.lastPathComponent
            guard let match = expression.firstMatch(in: name, range: NSRange(name.startIndex..., in: name)),
                  let range = Range(match.range(at: 1), in: name) else {
                throw FileFormatError(file: items[i].url.path, field: "speaker", message: "the name does not match --speaker-pattern '\(pattern)'")
            }
            items[i].speaker = String(name[range])
        }
    }

    public var keys: [String] { Array(Set(items.map(\.label))).sorted() }

    /// Train and test indices: speaker-disjoint (every `testEvery`-th speaker, sorted) when every
    /// file has a speaker, else every `testEvery`-th file of each class. 0: everything is train.
    public func split(testEvery: Int) -> (train: [Int], test: [Int]) {
        guard testEvery > 0 else { return (Array(items.indices), []) }
        var test: Set<Int> = []
        if items.allSatisfy({ $0.speaker != nil }) {
            let speakers = Array(Set(items.map { $0.speaker! })).sorted()
            let held = Set(speakers.enumerated().filter { $0.offset % testEvery == testEvery - 1 }.map(\.element))
            test = Set(items.indices.filter { held.contains(items[$0].speaker!) })
        } else {
            var seen: [String: Int] = [:]
            for i in items.indices {
                seen[items[i].label, default: 0] += 1
                if seen[items[i].label]! % testEvery == 0 { test.insert(i) }
            }
        }
        return (items.indices.filter { !test.contains($0) }, items.indices.filter { test.contains($0) })
    }

    /// The spike sample of every file, in parallel over the cores; a file that cannot be read is
    /// an error naming it, or with `skipBad` nil with its reason.
    public func spikes(cochlea: Cochlea, skipBad: Bool, progress: @escaping @Sendable (Int, Int) -> Void = { _, _ in })
        throws -> [(sample: SpikeSample?, problem: String?)] {
        let keys = self.keys, speakers = Array(Set(items.compactMap(\.speaker))).sorted()
        let results = ResultSlots<(SpikeSample?, String?)>(count: items.count)
        let items = self.items
        DispatchQueue.concurrentPerform(iterations: items.count) { i in
            let item = items[i]
            do {
                let audio = try AudioFile.read(item.url)
                let (times, units) = cochlea.spikes(audio.samples, sampleRate: audio.sampleRate)
                let sample = SpikeSample(times: times, units: units, label: keys.firstIndex(of: item.label)!,
                                         speaker: item.speaker.flatMap { speakers.firstIndex(of: $0) })
                results.set(i, (sample, nil))
            } catch let error as FileFormatError {
                results.set(i, (nil, error.field == "file" || error.field == "audio" ? error.message : "\(error.field): \(error.message)"))
            } catch {
                results.set(i, (nil, "\(error)"))
            }
            progress(results.done, items.count)
        }
        let all = results.values.map { (sample: $0.0, problem: $0.1) }
        if !skipBad, let bad = all.firstIndex(where: { $0.problem != nil }) {
            throw FileFormatError(file: items[bad].url.path, field: "audio", message: "\(all[bad].problem!); --skip-bad leaves such files out")
        }
        return all
    }
}

/// Results written by concurrent workers, one slot each.
final class ResultSlots<Value>: @unchecked Sendable {
    private let lock = NSLock()
    private var slots: [Value?]
    private var filled = 0
    init(count: Int) { slots = Array(repeating: nil, count: count) }
    func set(_ index: Int, _ value: Value) { lock.lock(); slots[index] = value; filled += 1; lock.unlock() }
    var done: Int { lock.lock(); defer { lock.unlock() }; return filled }
    var values: [Value] { lock.lock(); defer { lock.unlock() }; return slots.map { $0! } }
}
