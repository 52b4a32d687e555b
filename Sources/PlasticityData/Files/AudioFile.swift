import Foundation
import Plasticity
import _CSndFile

/// Audio files through libsndfile (`_CSndFile`): WAV (16/24/32-bit integer, 32/64-bit float),
/// FLAC, OGG/Vorbis, AIFF and the other formats it reads. Channels are mixed to mono by their
/// mean; samples come as floats in [−1, 1] at the file's own rate (the cochlea is told the rate).
/// Every defect — unreadable, not audio, empty, an implausible rate, non-finite samples, longer
/// than `maxSeconds` — is a `FileFormatError` naming the file.
public struct AudioFile: Sendable {
    public var samples: [Float]
    public var sampleRate: Double

    /// Longer recordings are refused (a 10-minute limit keeps a mislabelled hour-long file from
    /// filling memory; spike samples are a few seconds).
    public static let maxSeconds = 600.0

    public init(samples: [Float], sampleRate: Double) { self.samples = samples; self.sampleRate = sampleRate }

    public static func read(_ url: URL) throws -> AudioFile {
        func fail(_ field: String, _ message: String) -> FileFormatError { FileFormatError(file: url.path, field: field, message: message) }
        try requireRegularFile(url)
        var info = SF_INFO()
        guard let file = sf_open(url.path, Int32(SFM_READ), &info) else {
            throw fail("audio", "is not an audio file libsndfile reads (\(String(cString: sf_strerror(nil))))")
        }
        defer { sf_close(file) }
        guard info.channels >= 1, info.channels <= 64 else { throw fail("channels", "\(info.channels), not 1 to 64") }
        guard info.samplerate >= 1000, info.samplerate <= 384_000 else { throw fail("sample rate", "\(info.samplerate) Hz, not 1 to 384 kHz") }
        guard info.frames > 0 else { throw fail("frames", "the file holds no audio") }
        guard Double(info.frames) <= maxSeconds * Double(info.samplerate) else {
            throw fail("frames", "\(info.frames) frames at \(info.samplerate) Hz is longer than \(Int(maxSeconds)) s")
        }
        try checkWAVChunks(url)
        let channels = Int(info.channels), frames = Int(info.frames)
        var interleaved = [Float](repeating: 0, count: frames * channels)
        let read = interleaved.withUnsafeMutableBufferPointer { sf_readf_float(file, $0.baseAddress, sf_count_t(frames)) }
        guard read > 0 else { throw fail("audio", "no frame could be read (\(String(cString: sf_strerror(file))))") }
        guard read == frames else { throw fail("frames", "the header claims \(frames) frames, only \(read) could be read") }
        var mono = [Float](repeating: 0, count: Int(read))
        for f in 0..<Int(read) {
            var sum: Float = 0
            for c in 0..<channels { sum += interleaved[f * channels + c] }
            mono[f] = channels == 1 ? sum : sum / Float(channels)
        }
        if let bad = mono.firstIndex(where: { !$0.isFinite }) { throw fail("samples[\(bad)]", "is \(mono[bad]), not a finite sample") }
        return AudioFile(samples: mono, sampleRate: Double(info.samplerate))
    }

    /// Formats `write` produces (for tests and for saving synthesized audio).
    public enum Encoding: String, CaseIterable, Sendable {
        case wav16, wav24, wav32, wavFloat, flac16, oggVorbis
        var format: Int32 {
            switch self {
            case .wav16: return Int32(SF_FORMAT_WAV | SF_FORMAT_PCM_16)
            case .wav24: return Int32(SF_FORMAT_WAV | SF_FORMAT_PCM_24)
            case .wav32: return Int32(SF_FORMAT_WAV | SF_FORMAT_PCM_32)
            case .wavFloat: return Int32(SF_FORMAT_WAV | SF_FORMAT_FLOAT)
            case .flac16: return Int32(SF_FORMAT_FLAC | SF_FORMAT_PCM_16)
            case .oggVorbis: return Int32(SF_FORMAT_OGG | SF_FORMAT_VORBIS)
            }
        }
    }

    /// Writes `channels` interleaved channels (the samples repeated in each), atomically.
    public func write(to url: URL, encoding: Encoding, channels: Int = 1) throws {
        let temporary = url.deletingLastPathComponent().appendingPathComponent(".\(url.lastPathComponent).tmp-\(getpid())")
        var info = SF_INFO(frames: 0, samplerate: Int32(sampleRate), channels: Int32(channels), format: encoding.format, sections: 0, seekable: 0)
        guard let file = sf_open(temporary.path, Int32(SFM_WRITE), &info) else {
            throw FileFormatError(file: url.path, field: "audio", message: "cannot be written (\(String(cString: sf_strerror(nil))))")
        }
        let interleaved = samples.flatMap { [Float](repeating: $0, count: channels) }
        let written = interleaved.withUnsafeBufferPointer { sf_writef_float(file, $0.baseAddress, sf_count_t(samples.count)) }
        sf_close(file)
        guard written == samples.count, rename(temporary.path, url.path) == 0 else {
            try? FileManager.default.removeItem(at: temporary)
            throw FileFormatError(file: url.path, field: "audio", message: "cannot be written (\(written) of \(samples.count) frames)")
        }
    }

    /// libsndfile reads a WAV whose chunk sizes claim more bytes than the file holds (a cut copy or
    /// download) as if it were whole: every chunk up to and including `data` must fit the file.
    static func checkWAVChunks(_ url: URL) throws {
        guard let handle = try? FileHandle(forReadingFrom: url) else { return }
        defer { try? handle.close() }
        let size = (try? handle.seekToEnd()) ?? 0
        try? handle.seek(toOffset: 0)
        guard let header = try? handle.read(upToCount: 12), header.count == 12,
              header.prefix(4) == Data("RIFF".utf8), header.suffix(4) == Data("WAVE".utf8) else { return }
        var offset: UInt64 = 12
        while offset + 8 <= size {
            try? handle.seek(toOffset: offset)
            guard let chunk = try? handle.read(upToCount: 8), chunk.count == 8 else { return }
            let length = UInt64(chunk[4]) | UInt64(chunk[5]) << 8 | UInt64(chunk[6]) << 16 | UInt64(chunk[7]) << 24
            let id = String(decoding: chunk.prefix(4), as: UTF8.self)
            guard offset + 8 + length <= size else {
                throw FileFormatError(file: url.path, field: "\(id) chunk", message: "claims \(length) bytes at byte \(offset + 8), the file " +
                                      "holds \(size - offset - 8) after it: the file was cut off")
            }
            if id == "data" { return }
            offset += 8 + length + (length & 1)
        }
    }
}
