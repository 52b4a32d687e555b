import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The write contract (docs/architecture.md, "The write contract"): Plasticity replaces or removes
/// only files it can prove it wrote, never a folder, never one of the command's own inputs.
///
/// The proof is the folder's ledger, `.plasticity-files.json`: every file written through this
/// type is recorded there with the SHA-256 of its bytes. An existing file whose name the ledger
/// does not list, or whose bytes changed since, is the user's: it is replaced only when the caller
/// passes `overwrite` (the user named it with `--overwrite`), and removed never. A file that is
/// the same file (device and inode) as one of the command's inputs is never an output.
///
/// A replacement is crash-safe: the new bytes go to a temporary file beside the target (fsync),
/// the ledger accepts both the old and the new digest, the temporary file is renamed over the
/// target, and the ledger keeps the new digest only. A kill at any moment leaves a file the
/// ledger still proves.
public enum WriteContract {
    public static let ledgerName = ".plasticity-files.json"

    /// Throws unless `url` may be written: it does not exist yet, or Plasticity wrote its current
    /// bytes, or `overwrite` names it; and it is a regular file, not one of `inputs`.
    /// - Parameter flag: what the user set the path with, for the error (`--out`, `data.directory`).
    public static func check(_ url: URL, flag: String = "--out", overwrite: Bool = false, inputs: [URL] = []) throws {
        let path = url.path
        func refuse(_ message: String) -> FileFormatError { FileFormatError(file: path, field: flag, message: message) }
        guard !url.lastPathComponent.isEmpty, url.lastPathComponent != ".", url.lastPathComponent != ".." else {
            throw refuse("names no file")
        }
        guard url.lastPathComponent != ledgerName else { throw refuse("is the name of plasticity's ledger of written files; choose another") }
        var status = stat()
        guard lstat(path, &status) == 0 else { return try requireCreatableFolder(of: url, flag: flag) }
        if let input = inputs.first(where: { sameFile($0, status) }) {
            throw refuse("is also this command's input (\(input.path)): it is never overwritten; choose another path")
        }
        guard status.st_mode & S_IFMT == S_IFREG else {
            throw refuse("exists and is not a regular file (a folder, a link or a device): it is not replaced; choose another path")
        }
        if overwrite { return }
        guard try isOwned(url) else {
            throw refuse("exists and was not written by plasticity (or was changed since): it is not replaced; move it, " +
                         "choose another path, or name it with --overwrite")
        }
    }

    /// Whether the folder's ledger proves that Plasticity wrote the file's current bytes.
    public static func isOwned(_ url: URL) throws -> Bool {
        let accepted = try withLedger(url.deletingLastPathComponent(), change: false) { $0.files[url.lastPathComponent] } ?? []
        guard !accepted.isEmpty, FileManager.default.fileExists(atPath: url.path) else { return false }
        return accepted.contains(try SHA256.hex(file: url))
    }

    /// Checks `url` (`check`), then writes `data` there atomically and records it.
    /// - Returns: the SHA-256 of the bytes written.
    @discardableResult
    public static func write(_ data: Data, to url: URL, flag: String = "--out", overwrite: Bool = false, inputs: [URL] = []) throws -> String {
        try replace(url, flag: flag, overwrite: overwrite, inputs: inputs) { temporary in
            guard FileManager.default.createFile(atPath: temporary.path, contents: data) else {
                throw FileFormatError(file: url.path, field: "file", message: "cannot be written (\(String(cString: strerror(errno))))")
            }
        }
    }

    /// Checks `url`, lets `body` write the new file at a temporary path beside it, then moves it
    /// into place and records it (see the type's comment for the order).
    /// - Returns: the SHA-256 of the file written.
    @discardableResult
    public static func replace(_ url: URL, flag: String = "--out", overwrite: Bool = false, inputs: [URL] = [],
                               body: (URL) throws -> Void) throws -> String {
        try check(url, flag: flag, overwrite: overwrite, inputs: inputs)
        let folder = url.deletingLastPathComponent(), name = url.lastPathComponent
        do { try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true) } catch {
            throw FileFormatError(file: folder.path, field: flag, message: "cannot be created as a folder (\(describe(error)))")
        }
        removeLeftovers(of: name, in: folder)
        let temporary = folder.appendingPathComponent(".\(name).tmp-\(getpid())")
        defer { unlink(temporary.path) }
        try body(temporary)
        try synchronize(temporary, for: url)
        let digest = try SHA256.hex(file: temporary)
        // The digests already listed keep proving the old file until the rename (a file the user
        // named with --overwrite was never listed, and stays theirs until then): no second hash.
        try withLedger(folder) { $0.files[name] = ($0.files[name] ?? []) + [digest] }
        guard rename(temporary.path, url.path) == 0 else {
            throw FileFormatError(file: url.path, field: "file", message: "cannot be replaced (\(String(cString: strerror(errno))))")
        }
        try withLedger(folder) { $0.files[name] = [digest] }
        return digest
    }

    /// Removes a file Plasticity wrote; a missing file is no error, a file it cannot prove is.
    public static func remove(_ url: URL) throws {
        guard FileManager.default.fileExists(atPath: url.path) else {
            try withLedger(url.deletingLastPathComponent()) { $0.files[url.lastPathComponent] = nil }
            return
        }
        guard try isOwned(url) else {
            throw FileFormatError(file: url.path, field: "file", message: "was not written by plasticity (or was changed since): it is not removed")
        }
        guard unlink(url.path) == 0 else {
            throw FileFormatError(file: url.path, field: "file", message: "cannot be removed (\(String(cString: strerror(errno))))")
        }
        try withLedger(url.deletingLastPathComponent()) { $0.files[url.lastPathComponent] = nil }
    }

    /// Removes every file of `folder` whose name `matching` accepts and that Plasticity wrote;
    /// nothing at all when one of them was changed since (the error lists them). Other files and
    /// every folder stay.
    /// - Returns: the names removed.
    @discardableResult
    public static func removeOwned(in folder: URL, matching: (String) -> Bool) throws -> [String] {
        let listed = try withLedger(folder, change: false) { $0.files.keys.filter(matching).sorted() }
        let present = listed.filter { FileManager.default.fileExists(atPath: folder.appendingPathComponent($0).path) }
        let changed = try present.filter { try !isOwned(folder.appendingPathComponent($0)) }
        guard changed.isEmpty else {
            throw FileFormatError(file: folder.path, field: changed.joined(separator: ", "),
                                  message: "changed since plasticity wrote them: nothing is removed; move them away first")
        }
        // Every present one was just proven: removed without hashing it again.
        for name in present where unlink(folder.appendingPathComponent(name).path) != 0 {
            throw FileFormatError(file: folder.appendingPathComponent(name).path, field: "file",
                                  message: "cannot be removed (\(String(cString: strerror(errno))))")
        }
        try withLedger(folder) { ledger in for name in listed { ledger.files[name] = nil } }
        return present
    }

    /// The existing files among `names` in `folder` that Plasticity cannot prove it wrote.
    public static func foreign(_ names: [String], in folder: URL) throws -> [String] {
        try names.filter { name in
            let url = folder.appendingPathComponent(name)
            var status = stat()
            guard lstat(url.path, &status) == 0 else { return false }
            return try !isOwned(url)
        }
    }

    // MARK: the ledger

    struct Ledger: Codable, Equatable {
        var format = "plasticity-files-1"
        /// File name → the digests its bytes may have (two only while a replacement is in flight).
        var files: [String: [String]] = [:]
    }

    /// Runs `body` on the folder's ledger under an exclusive `flock` of the folder, and writes the
    /// ledger back when it changed. A missing folder has an empty ledger.
    @discardableResult
    static func withLedger<T>(_ folder: URL, change: Bool = true, _ body: (inout Ledger) throws -> T) throws -> T {
        let descriptor = open(folder.path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard descriptor >= 0 else { var empty = Ledger(); return try body(&empty) }
        defer { close(descriptor) }
        while flock(descriptor, change ? LOCK_EX : LOCK_SH) != 0 && errno == EINTR {}
        let url = folder.appendingPathComponent(ledgerName)
        var ledger = Ledger()
        if let data = FileManager.default.contents(atPath: url.path) {
            do { ledger = try JSONDecoder().decode(Ledger.self, from: data) } catch {
                throw FileFormatError(file: url.path, field: "file", message: "is not a plasticity file ledger: no file in " +
                                      "\(folder.path) can be proven to be plasticity's; remove it to start the ledger anew")
            }
        }
        let before = ledger
        let result = try body(&ledger)
        if change && ledger != before {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            try writeAtomically(try encoder.encode(ledger), to: url)
        }
        return result
    }

    /// Temporary files of writes to `name` by processes that no longer run (killed mid-write).
    static func removeLeftovers(of name: String, in folder: URL) {
        let prefix = ".\(name).tmp-"
        for entry in (try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? [] where entry.hasPrefix(prefix) {
            guard let pid = Int32(entry.dropFirst(prefix.count)), pid != getpid(), kill(pid, 0) != 0, errno == ESRCH else { continue }
            unlink(folder.appendingPathComponent(entry).path)
        }
    }

    static func sameFile(_ url: URL, _ status: stat) -> Bool {
        var other = stat()
        return stat(url.path, &other) == 0 && other.st_dev == status.st_dev && other.st_ino == status.st_ino
    }

    static func synchronize(_ temporary: URL, for url: URL) throws {
        let descriptor = open(temporary.path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else {
            throw FileFormatError(file: url.path, field: "file", message: "was not written (\(String(cString: strerror(errno))))")
        }
        defer { close(descriptor) }
        fsync(descriptor)
    }

    static func describe(_ error: Error) -> String { systemReason(error) }
}
