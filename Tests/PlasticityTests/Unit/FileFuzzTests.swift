import Foundation
import Testing
@testable import Plasticity
import PlasticityData
import PlasticityTestSupport

/// Mutated and truncated files through every reader (`plasticity fuzz --files N` runs the long
/// version; `.ci/fuzz-files.sh` drives the same readers under libFuzzer). A crash would kill
/// the test process; an error that does not name the file fails here.
@Suite struct FileFuzzTests {
    @Test func mutatedFilesAreRejectedNamingTheFile() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("plasticity-file-fuzz-\(getpid())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let report = try FileFuzzer(seed: 2026, directory: directory).run(mutantsPerFormat: 300)
        #expect(report.total == 300 * FileFuzzer.Format.allCases.count)
        #expect(report.unclear.isEmpty, "\(report)")
        #expect(report.hangs == 0, "\(report)")
        // The mutants exercise the error paths: most formats reject most mutants (audio samples are
        // any numbers, so mutated audio often still loads).
        for format in FileFuzzer.Format.allCases {
            #expect((report.rejectedCleanly[format] ?? 0) >= (format == .audioFile ? 30 : 60), "\(format): \(report)")
        }
    }

    /// The unmutated files load: the fuzzer starts from valid inputs.
    @Test func seedFilesLoad() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("plasticity-file-seeds-\(getpid())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let fuzzer = FileFuzzer(seed: 1, directory: directory)
        for format in FileFuzzer.Format.allCases {
            let url = directory.appendingPathComponent("seed.\(format)")
            try fuzzer.validFile(format).write(to: url)
            try FileFuzzer.load(format, url)
        }
    }

    @Test func mutatorIsSeeded() {
        let data = Data((0..<200).map { UInt8($0) })
        var a = FileMutator(seed: 3), b = FileMutator(seed: 3), c = FileMutator(seed: 4)
        let x = (0..<20).map { _ in a.mutate(data).data }, y = (0..<20).map { _ in b.mutate(data).data }
        let z = (0..<20).map { _ in c.mutate(data).data }
        #expect(x == y)
        #expect(x != z)
        #expect(x.filter { $0 != data }.count >= 18)
    }
}

/// Sizes from configs meet the memory cap before anything is allocated.
@Suite struct MemoryCapTests {
    @Test func oversizedNetworkIsRefusedWithItsSize() throws {
        // 10⁶ recurrent ALIF neurons: 10¹² recurrent weights, ~8 TB of synapse traces per sequence.
        let spec = NetworkSpec(inputs: 100, hidden: [.init(Models.alif(), neurons: 1_000_000, recurrent: true)], outputs: 10, kappa: 0.9)
        let kernel = try compile(spec)
        do {
            _ = try NetworkSimulation(kernel: kernel, batch: 32)
            Issue.record("a network of 10⁶ recurrent neurons was accepted")
        } catch let error as ResourceError {
            #expect(error.message.contains("PiB") || error.message.contains("TiB"), "\(error)")
            #expect(error.message.contains("memory cap"), "\(error)")
            #expect(error.message.contains("eligibility_vector"), "\(error)")
        }
    }

    @Test func capIsConfigurable() throws {
        let spec = NetworkSpec(inputs: 10, hidden: [.init(Models.lif(), neurons: 16)], outputs: 2, kappa: 0.9)
        let kernel = try compile(spec)
        _ = try NetworkSimulation(kernel: kernel, batch: 4)
        #expect(throws: ResourceError.self) { _ = try NetworkSimulation(kernel: kernel, batch: 4, memoryCap: 1024) }
        // Sizes whose product overflows Int are refused, not trapped on.
        let layer = try compile(LayerSpec(model: Models.lif()))
        #expect(throws: ResourceError.self) { _ = try LayerSimulation(kernel: layer, batch: 1 << 40, inputs: 1 << 40, neurons: 1 << 40) }
        #expect(throws: ResourceError.self) { _ = try LayerSimulation(kernel: layer, batch: 0, inputs: 1, neurons: 1) }
        #expect(MemoryCap.parse("2G") == 2 << 30)
        #expect(MemoryCap.parse("512") == 512)
        #expect(MemoryCap.parse("-1") == nil)
        #expect(MemoryCap.parse("lots") == nil)
    }
}

/// Values mutated inside valid configs, model files, spike files and gradcheck inputs (boundaries:
/// 0, −1, Int.max, 1e300, NaN, ±Inf, huge labels, units and times) through the readers and the
/// setup they size: every mutant loads or is rejected naming its file; a trap would end the run.
@Suite struct ValueFuzzTests {
    @Test func valueMutantsAreRejectedNamingTheFile() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("plasticity-value-fuzz-\(getpid())")
        defer { try? FileManager.default.removeItem(at: directory) }
        let report = try ValueFuzzer(seed: 2026, directory: directory).run(mutantsPerFormat: 200)
        #expect(report.total == 200 * ValueFuzzer.Format.allCases.count)
        #expect(report.unclear.isEmpty, "\(report)")
        #expect(report.hangs == 0, "\(report)")
        for format in ValueFuzzer.Format.allCases { #expect((report.rejectedCleanly[format] ?? 0) >= 40, "\(format): \(report)") }
    }
}
