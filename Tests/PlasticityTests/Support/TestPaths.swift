import Foundation

/// Folders the tests read, found from this file's place in the repository (tests live in
/// Unit/, Oracles/ and EndToEnd/; docs/testing.md says which goes where).
enum TestPaths {
    /// Tests/PlasticityTests.
    static let tests = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    static let repository = tests.deletingLastPathComponent().deletingLastPathComponent()
    static let snapshots = tests.appendingPathComponent("Snapshots")
    static let fixtures = tests.appendingPathComponent("Fixtures")
    static let exampleModels = repository.appendingPathComponent("examples/models")
    static let exampleConfigs = repository.appendingPathComponent("examples/configs")
    static let runtimeHeader = repository.appendingPathComponent("runtime-c/include/plasticity_kernel.h")
}

/// A scratch directory per test, in the test process's own folder of the temporary directory,
/// which is removed when the process exits.
func scratchDirectory(_ name: String) throws -> URL {
    let url = ScratchRoot.folder.appendingPathComponent("\(name)-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
}

/// `plasticity-tests-<pid>` in the temporary directory: every scratch directory of this test
/// process. Made at its first use, when the folders of test processes that no longer run (a
/// crash, a kill) are removed too; removed itself at exit.
enum ScratchRoot {
    static let prefix = "plasticity-tests-"
    static let folder: URL = {
        let fm = FileManager.default, temporary = fm.temporaryDirectory
        for name in (try? fm.contentsOfDirectory(atPath: temporary.path)) ?? [] where name.hasPrefix(prefix) {
            // kill(pid, 0) fails with ESRCH only when no such process exists
            if let pid = Int32(name.dropFirst(prefix.count)), pid != getpid(), kill(pid, 0) != 0, errno == ESRCH {
                try? fm.removeItem(at: temporary.appendingPathComponent(name))
            }
        }
        let folder = path(of: getpid())
        try? fm.createDirectory(at: folder, withIntermediateDirectories: true)
        atexit { try? FileManager.default.removeItem(at: ScratchRoot.path(of: getpid())) }
        return folder
    }()

    static func path(of pid: Int32) -> URL { FileManager.default.temporaryDirectory.appendingPathComponent("\(prefix)\(pid)") }
}
