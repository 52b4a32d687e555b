import Foundation
#if canImport(Glibc)
import Glibc
#endif
@testable import Plasticity
import Testing
@testable import PlasticityData

/// SHA-256 against the standard's vectors and `sha256sum`; the ledger's rules one by one.
@Suite struct WriteContractTests {
    @Test func sha256MatchesTheStandardAndCoreutils() throws {
        #expect(SHA256.hex("") == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        #expect(SHA256.hex("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(SHA256.hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq")
                == "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
        let folder = try scratchDirectory("sha")
        var rng = SplitMix64(seed: 3)
        for size in [0, 1, 55, 56, 63, 64, 65, 119, 120, 1000, (1 << 20) + 17] {
            let url = folder.appendingPathComponent("f\(size)")
            try Data((0..<size).map { _ in UInt8(truncatingIfNeeded: rng.next()) }).write(to: url)
            let process = Process(), pipe = Pipe()
            process.executableURL = URL(fileURLWithPath: "/usr/bin/sha256sum")
            process.arguments = [url.path]
            process.standardOutput = pipe
            try process.run()
            let printed = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            process.waitUntilExit()
            #expect(try SHA256.hex(file: url) == String(printed.prefix(64)), "\(size) bytes")
            #expect(SHA256.hex(try Data(contentsOf: url)) == String(printed.prefix(64)), "\(size) bytes in memory")
        }
    }

    @Test func onlyProvenFilesAreReplacedOrRemoved() throws {
        let folder = try scratchDirectory("contract")
        let ours = folder.appendingPathComponent("ours.txt"), users = folder.appendingPathComponent("users.txt")
        try WriteContract.write(Data("1".utf8), to: ours)
        try WriteContract.write(Data("2".utf8), to: ours)             // ours: replaced
        #expect(try String(contentsOf: ours, encoding: .utf8) == "2" && WriteContract.isOwned(ours))
        try Data("mine".utf8).write(to: users)
        let refused = #expect(throws: FileFormatError.self) { try WriteContract.write(Data("x".utf8), to: users) }
        #expect(refused?.message.contains("not written by plasticity") == true && refused?.field == "--out")
        #expect(throws: FileFormatError.self) { try WriteContract.remove(users) }
        #expect(try String(contentsOf: users, encoding: .utf8) == "mine")
        // Changed after plasticity wrote it: the user's now.
        try Data("edited".utf8).write(to: ours)
        #expect(try !WriteContract.isOwned(ours))
        #expect(throws: FileFormatError.self) { try WriteContract.write(Data("3".utf8), to: ours) }
        #expect(throws: FileFormatError.self) { try WriteContract.removeOwned(in: folder) { _ in true } }
        #expect(try String(contentsOf: ours, encoding: .utf8) == "edited")
        // Named with --overwrite: replaced, and plasticity's from then on.
        try WriteContract.write(Data("4".utf8), to: users, overwrite: true)
        #expect(try WriteContract.isOwned(users))
        // Never an input, even with --overwrite; never a folder.
        let input = #expect(throws: FileFormatError.self) { try WriteContract.write(Data("5".utf8), to: users, overwrite: true, inputs: [users]) }
        #expect(input?.message.contains("this command's input") == true)
        try FileManager.default.createDirectory(at: folder.appendingPathComponent("d"), withIntermediateDirectories: true)
        #expect(throws: FileFormatError.self) { try WriteContract.write(Data("6".utf8), to: folder.appendingPathComponent("d"), overwrite: true) }
        #expect(throws: FileFormatError.self) {
            try WriteContract.write(Data("{}".utf8), to: folder.appendingPathComponent(WriteContract.ledgerName), overwrite: true)
        }
        // removeOwned takes only proven files, never folders or unlisted files.
        try WriteContract.write(Data("7".utf8), to: ours, overwrite: true)
        let removed = try WriteContract.removeOwned(in: folder) { _ in true }
        #expect(removed == ["ours.txt", "users.txt"])
        #expect(FileManager.default.fileExists(atPath: folder.appendingPathComponent("d").path))
    }

    /// A write killed between its steps leaves a file the ledger still proves (old or new digest).
    @Test func aReplacementInFlightIsStillProven() throws {
        let folder = try scratchDirectory("contract-inflight")
        let url = folder.appendingPathComponent("f")
        let first = try WriteContract.write(Data("old".utf8), to: url)
        try WriteContract.withLedger(folder) { $0.files["f"] = [first, SHA256.hex("new")] }   // as after the ledger's first update
        #expect(try WriteContract.isOwned(url))
        try Data("new".utf8).write(to: url)                                                   // as after the rename
        #expect(try WriteContract.isOwned(url))
        try Data("garbage".utf8).write(to: folder.appendingPathComponent(WriteContract.ledgerName))
        let damaged = #expect(throws: FileFormatError.self) { try WriteContract.isOwned(url) }
        #expect(damaged?.message.contains("not a plasticity file ledger") == true)
    }
}
