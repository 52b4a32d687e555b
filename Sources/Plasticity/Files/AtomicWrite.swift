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
        throw FileFormatError(file: url.path, field: "file", message: "cannot be written (\(systemReason(error)))")
    }
    guard rename(temporary.path, url.path) == 0 else {
        let error = failure("replaced")
        try? FileManager.default.removeItem(at: temporary)
        throw error
    }
}

/// The system's reason for a file-system error (`strerror` of the POSIX code Foundation wraps),
/// never Foundation's own text ("The operation could not be completed").
public func systemReason(_ error: Error) -> String {
    let error = error as NSError
    if let underlying = error.userInfo[NSUnderlyingErrorKey] as? NSError, underlying.domain == NSPOSIXErrorDomain {
        return String(cString: strerror(Int32(underlying.code)))
    }
    if error.domain == NSPOSIXErrorDomain { return String(cString: strerror(Int32(error.code))) }
    return error.localizedFailureReason ?? "error \(error.code)"
}

/// Throws unless `url`'s folder exists or can be created: the nearest existing ancestor must be a
/// folder (a path under a file is refused before any work).
public func requireCreatableFolder(of url: URL, flag: String) throws {
    var folder = url.deletingLastPathComponent()
    var isFolder: ObjCBool = false
    while !FileManager.default.fileExists(atPath: folder.path, isDirectory: &isFolder) {
        let parent = folder.deletingLastPathComponent()
        if parent.path == folder.path { return }
        folder = parent
    }
    guard isFolder.boolValue else {
        throw FileFormatError(file: url.path, field: flag, message: "cannot be created: \(folder.path) is a file, not a folder")
    }
}
