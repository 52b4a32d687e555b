import Foundation
import PlasticityTestSupport

/// One libFuzzer input: the first byte picks the reader (HDF5 spike file, safetensors,
/// checkpoint manifest, train config, network config), the rest is the file. The same rule
/// as the seeded test (`FileFuzzTests`): load, or an error naming the file; anything else
/// aborts, which libFuzzer records as a finding with the input that caused it.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ bytes: UnsafePointer<UInt8>, _ count: Int) -> CInt {
    guard count > 0 else { return 0 }
    let formats = FileFuzzer.Format.allCases
    let format = formats[Int(bytes[0]) % formats.count]
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("plasticity-libfuzzer-\(getpid()).\(format)")
    do { try Data(bytes: bytes + 1, count: count - 1).write(to: url) } catch { return 0 }
    defer { try? FileManager.default.removeItem(at: url) }
    if let problem = FileFuzzer.check(format, url) { fatalError("\(format): \(problem)") }
    return 0
}
