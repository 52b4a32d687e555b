import Foundation
import Plasticity
#if canImport(Glibc)
import Glibc
#endif

/// An exclusive lock on an output folder while a run writes it (`flock` on `<folder>/.lock`, so
/// the kernel releases it when the process ends, however it ends). A second writer is refused
/// instead of interleaving metrics and deleting the other's weights. Within one process the lock
/// is shared: the CLI holds it while it clears a folder, and the run it starts takes it again.
public final class RunLock: @unchecked Sendable {
    private static let registry = NSLock()
    nonisolated(unsafe) private static var held: [String: (descriptor: Int32, count: Int)] = [:]
    private let path: String

    public init(folder: URL) throws {
        var isFolder: ObjCBool = false
        if FileManager.default.fileExists(atPath: folder.path, isDirectory: &isFolder), !isFolder.boolValue {
            throw FileFormatError(file: folder.path, field: "--out", message: "is a file, not a folder")
        }
        try requireCreatableFolder(of: folder, flag: "--out")
        do { try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true) } catch {
            throw FileFormatError(file: folder.path, field: "--out", message: "cannot be created (\(systemReason(error)))")
        }
        path = folder.appendingPathComponent(".lock").standardizedFileURL.path
        Self.registry.lock()
        defer { Self.registry.unlock() }
        if let entry = Self.held[path] { Self.held[path] = (entry.descriptor, entry.count + 1); return }
        let descriptor = open(path, O_CREAT | O_RDWR | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else {
            throw FileFormatError(file: path, field: "file", message: "cannot be opened (\(String(cString: strerror(errno))))")
        }
        guard flock(descriptor, LOCK_EX | LOCK_NB) == 0 else {
            close(descriptor)
            throw FileFormatError(file: folder.path, field: "--out", message: "another plasticity run is writing this folder (\(path) is locked); " +
                                  "wait for it to end or choose another --out")
        }
        Self.held[path] = (descriptor, 1)
        // No other writer holds the folder: temporary files of killed writes are leftovers.
        for name in (try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? [] where name.hasPrefix(".") && name.contains(".tmp-") {
            try? FileManager.default.removeItem(at: folder.appendingPathComponent(name))
        }
    }

    deinit {
        Self.registry.lock()
        defer { Self.registry.unlock() }
        guard let entry = Self.held[path] else { return }
        if entry.count > 1 { Self.held[path] = (entry.descriptor, entry.count - 1) } else { close(entry.descriptor); Self.held[path] = nil }
    }
}
