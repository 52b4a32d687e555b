import Foundation
import Testing

/// The `plasticity` executable beside the test bundle, run as a user would.
enum PlasticityProcess {
    static var binary: URL { URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("plasticity") }

    /// Exit status and output (stdout and stderr together).
    /// - Parameter directory: the process's working directory (default: the test's).
    static func run(_ arguments: [String], in directory: URL? = nil) throws -> (status: Int32, output: String) {
        try #require(FileManager.default.isExecutableFile(atPath: binary.path), "build the plasticity executable first (swift build)")
        let process = Process(), pipe = Pipe()
        process.executableURL = binary
        process.arguments = arguments
        if let directory { process.currentDirectoryURL = directory }
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: data, as: UTF8.self))
    }
}
