import Foundation
import Plasticity
import _PlasticityHDF5

/// One sample of a spike dataset: spike times (seconds) and channel indices, in file order.
public struct SpikeSample: Sendable, Equatable {
    public var times: [Float]
    public var units: [UInt32]
    public var label: Int
    public var speaker: Int?
    public init(times: [Float], units: [UInt32], label: Int, speaker: Int? = nil) {
        self.times = times; self.units = units; self.label = label; self.speaker = speaker
    }
}

/// A spike file in the SHD/SSC layout (`spikes/times`, `spikes/units`, `labels`,
/// `extra/speaker`, `extra/keys`), read through libhdf5. Samples are read one at a time
/// (streaming), times as native float and units as native uint32 whatever the stored types
/// (float16/float32, uint16/uint32). Sample counts and label names come from the file.
///
/// Errors are `FileFormatError`s naming the file and the dataset.
public final class SpikeFile {
    public let url: URL
    public let count: Int
    public let labels: [Int]
    public let speakers: [Int]?
    /// `extra/keys`: class names, when present.
    public let keys: [String]?
    private let handle: OpaquePointer

    public init(_ url: URL) throws {
        try requireRegularFile(url)
        self.url = url
        var error = [CChar](repeating: 0, count: 512)
        var file: OpaquePointer?
        if plasticity_spike_file_open(url.path, &file, &error, error.count) != 0 || file == nil { throw Self.error(url, error) }
        let handle = file!
        self.handle = handle
        let n = Int(plasticity_spike_file_count(handle))
        count = n
        func integers(_ name: String, required: Bool) throws -> [Int]? {
            var values = [Int32](repeating: 0, count: n)
            switch plasticity_spike_file_read_integers(handle, name, &values, Int64(n), &error, error.count) {
            case 0: return values.map(Int.init)
            case 1 where !required: return nil
            case 1: throw FileFormatError(file: url.path, field: name, message: "is missing")
            default: throw Self.error(url, error)
            }
        }
        do {
            let labels = try integers("labels", required: true)!
            if let bad = labels.firstIndex(where: { $0 < 0 }) {
                throw FileFormatError(file: url.path, field: "labels[\(bad)]", message: "is negative (\(labels[bad]))")
            }
            self.labels = labels
            self.speakers = try integers("extra/speaker", required: false)
            var packed: UnsafeMutablePointer<CChar>?
            var packedSize = 0, keyCount: Int64 = 0
            switch plasticity_spike_file_read_strings(handle, "extra/keys", &packed, &packedSize, &keyCount, &error, error.count) {
            case 0:
                defer { plasticity_spike_file_free(packed) }
                let bytes = UnsafeBufferPointer(start: UnsafeRawPointer(packed!).assumingMemoryBound(to: UInt8.self), count: packedSize)
                keys = bytes.split(separator: 0, omittingEmptySubsequences: false).prefix(Int(keyCount)).map { String(decoding: $0, as: UTF8.self) }
            case 1: keys = nil
            default: throw Self.error(url, error)
            }
        } catch {
            plasticity_spike_file_close(handle)
            throw error
        }
        // Every property is set from here on: a throw runs deinit, which closes the file.
        if let keys, let bad = labels.firstIndex(where: { $0 >= keys.count }) {
            throw FileFormatError(file: url.path, field: "labels[\(bad)]", message: "is \(labels[bad]), but extra/keys names \(keys.count) classes")
        }
        if let speakers, let bad = speakers.firstIndex(where: { $0 < 0 }) {
            throw FileFormatError(file: url.path, field: "extra/speaker[\(bad)]", message: "is negative (\(speakers[bad]))")
        }
    }

    deinit { plasticity_spike_file_close(handle) }

    /// Number of classes: the keys' count when present, else the largest label + 1.
    public var classCount: Int { max(keys?.count ?? 0, (labels.max() ?? -1) + 1) }

    public func sample(_ index: Int) throws -> SpikeSample {
        var error = [CChar](repeating: 0, count: 512)
        var times: UnsafeMutablePointer<Float>?, units: UnsafeMutablePointer<UInt32>?
        var length = 0
        guard plasticity_spike_file_sample(handle, Int64(index), &times, &units, &length, &error, error.count) == 0 else {
            throw Self.error(url, error)
        }
        defer { plasticity_spike_file_free(times); plasticity_spike_file_free(units) }
        return SpikeSample(times: Array(UnsafeBufferPointer(start: times, count: length)),
                           units: Array(UnsafeBufferPointer(start: units, count: length)),
                           label: labels[index], speaker: speakers?[index])
    }

    /// The C side writes "<dataset> <what is wrong>"; the dataset becomes the field.
    static func error(_ url: URL, _ buffer: [CChar]) -> FileFormatError {
        let message = String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        let space = message.firstIndex(of: " ") ?? message.endIndex
        return FileFormatError(file: url.path, field: String(message[..<space]),
                               message: String(message[space...]).trimmingCharacters(in: .whitespaces))
    }

    /// Writes samples in the SHD layout, atomically and under the write contract (`WriteContract`:
    /// a file Plasticity did not write is refused unless `overwrite` names it).
    /// - Parameter halfPrecision: float16 times and uint16 units/labels, as in the published SHD
    ///   files; otherwise float32 / uint32 / int32.
    public static func write(_ samples: [SpikeSample], keys: [String]?, to url: URL, halfPrecision: Bool = false,
                             flag: String = "--out", overwrite: Bool = false) throws {
        try write(samples, keys: keys, to: url, halfPrecision: halfPrecision, withLabels: true, unitsShift: 0, flag: flag, overwrite: overwrite)
    }

    /// Also writes invalid files, for tests: without `labels`, or with sample 0's units list
    /// `unitsShift` entries longer or shorter than its times (the others shifted along).
    static func write(_ samples: [SpikeSample], keys: [String]?, to url: URL, halfPrecision: Bool, withLabels: Bool, unitsShift: Int,
                      flag: String = "--out", overwrite: Bool = true) throws {
        var times: [Float] = [], units: [UInt32] = [], offsets: [UInt64] = [0]
        for s in samples {
            precondition(s.times.count == s.units.count, "times and units differ in length")
            times += s.times; units += s.units; offsets.append(UInt64(times.count))
        }
        let labels = samples.map { Int32($0.label) }
        let speakers = samples.allSatisfy({ $0.speaker != nil }) ? samples.map { Int32($0.speaker!) } : nil
        try WriteContract.replace(url, flag: flag, overwrite: overwrite) { temporary in
            try writeFile(samples, keys: keys, labels: withLabels ? labels : nil, speakers: speakers, offsets: offsets, times: times,
                          units: units, unitsShift: unitsShift, halfPrecision: halfPrecision, temporary: temporary, url: url)
        }
    }

    private static func writeFile(_ samples: [SpikeSample], keys: [String]?, labels: [Int32]?, speakers: [Int32]?, offsets: [UInt64],
                                  times: [Float], units: [UInt32], unitsShift: Int, halfPrecision: Bool, temporary: URL, url: URL) throws {
        var error = [CChar](repeating: 0, count: 512)
        let keyStrings = (keys ?? []).map { strdup($0) }
        defer { keyStrings.forEach { free($0) } }
        let status = keyStrings.map { UnsafePointer($0) }.withUnsafeBufferPointer { keyPointers in
            plasticity_spike_file_write(temporary.path, Int64(samples.count), times, units, offsets,
                                        unitsShift == 0 ? nil : [0] + offsets.dropFirst().map { UInt64(Int($0)
                                            + unitsShift) }.dropLast() + [offsets.last!],
                                        labels, speakers,
                                        keys == nil ? nil : keyPointers.baseAddress, Int64(keyStrings.count),
                                        halfPrecision ? 1 : 0, &error, error.count)
        }
        guard status == 0 else { throw Self.error(url, error) }
    }
}
