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
