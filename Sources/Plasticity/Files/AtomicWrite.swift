import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Throws unless `url` is a regular file: reading a FIFO would block forever, a device never end.
public func requireRegularFile(_ url: URL) throws {
    var status = stat()
    guard stat(url.path, &status) == 0 else {
        throw FileFormatError(file: url.path, field: "file", message: "cannot be read (\(String(cString: strerror(errno))))")
    }
    guard status.st_mode & S_IFMT == S_IFREG else {
        throw FileFormatError(file: url.path, field: "file", message: "is not a regular file (a folder, a FIFO or a device)")
    }
}

/// Temporary file beside the target, fsync, rename: readers see the old file or the new one.
public func writeAtomically(_ data: Data, to url: URL) throws {
    let temporary = url.deletingLastPathComponent().appendingPathComponent(".\(url.lastPathComponent).tmp-\(getpid())")
    func failure(_ operation: String) -> FileFormatError {
        FileFormatError(file: url.path, field: "file", message: "cannot be \(operation) (\(String(cString: strerror(errno))))")
    }
    guard FileManager.default.createFile(atPath: temporary.path,
                                         contents: nil) else { throw failure("written: its temporary file cannot be created") }
    do {
        let handle = try FileHandle(forWritingTo: temporary)
        defer { try? handle.close() }
        try handle.write(contentsOf: data)
        try handle.synchronize()
    } catch {
        try? FileManager.default.removeItem(at: temporary)
        throw FileFormatError(file: url.path, field: "file", message: "cannot be written (\(error.localizedDescription))")
    }
    guard rename(temporary.path, url.path) == 0 else {
        let error = failure("replaced")
        try? FileManager.default.removeItem(at: temporary)
        throw error
    }
}
