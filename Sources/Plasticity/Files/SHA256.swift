import Foundation
import _PlasticityDigest

/// SHA-256 digests (FIPS 180-4) as lowercase hex, for checkpoint manifests and the ledger of
/// written files. Checked in the tests against the standard's vectors and `sha256sum`.
public enum SHA256 {
    public static func hex(_ data: Data) -> String {
        var context = plasticity_sha256()
        plasticity_sha256_init(&context)
        data.withUnsafeBytes { plasticity_sha256_update(&context, $0.baseAddress, $0.count) }
        var digest = [UInt8](repeating: 0, count: 32)
        plasticity_sha256_final(&context, &digest)
        return hex(digest)
    }

    public static func hex(_ text: String) -> String { hex(Data(text.utf8)) }

    /// The digest of a file's bytes; the error names the file.
    public static func hex(file url: URL) throws -> String {
        var digest = [UInt8](repeating: 0, count: 32)
        let status = plasticity_sha256_file(url.path, &digest)
        guard status == 0 else {
            throw FileFormatError(file: url.path, field: "file", message: "cannot be read (\(String(cString: strerror(status))))")
        }
        return hex(digest)
    }

    static func hex(_ digest: [UInt8]) -> String {
        let digits = Array("0123456789abcdef".utf8)
        return String(decoding: digest.flatMap { [digits[Int($0 >> 4)], digits[Int($0 & 15)]] }, as: UTF8.self)
    }
}
