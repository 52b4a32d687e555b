import Foundation
import Plasticity
import _PlasticityHDF5

/// Any HDF5 file as a tree of groups and datasets, read and written by path through the
/// `_PlasticityHDF5` shim (`hdf5_tree.h`). Every error is a `FileFormatError` naming the file and
/// the path inside it. Used for NIR graphs (`NIRGraph+File.swift`).
final class HDF5Tree {
    enum Kind { case missing, group, dataset }
    enum ElementClass { case integer, float, string, other }

    let url: URL
    private let handle: OpaquePointer

    private init(url: URL, create: Bool) throws {
        var error = [CChar](repeating: 0, count: 512)
        var tree: OpaquePointer?
        let status = create ? plasticity_h5_tree_create(url.path, &tree, &error, error.count)
                            : plasticity_h5_tree_open(url.path, &tree, &error, error.count)
        guard status == 0, let tree else { throw Self.error(url, path: "file", error) }
        self.url = url
        handle = tree
    }

    deinit { if !closed { plasticity_h5_tree_close(handle) } }

    static func open(_ url: URL) throws -> HDF5Tree {
        try requireRegularFile(url)
        return try HDF5Tree(url: url, create: false)
    }

    /// Writes a file through `body` into a temporary file beside `url`, then renames it into place:
    /// readers see the old file or the whole new one.
    /// Writes a new file atomically under the write contract (`WriteContract`).
    static func write(_ url: URL, overwrite: Bool = false, inputs: [URL] = [], _ body: (HDF5Tree) throws -> Void) throws {
        try WriteContract.replace(url, overwrite: overwrite, inputs: inputs) { temporary in
            let tree = try HDF5Tree(url: temporary, create: true)
            try body(tree)
            guard plasticity_h5_tree_close(tree.handle) == 0 else {
                throw FileFormatError(file: url.path, field: "file", message: "cannot be flushed to disk")
            }
            tree.closed = true
        }
    }
    private var closed = false

    static func error(_ url: URL, path: String, _ message: [CChar]) -> FileFormatError {
        var text = String(decoding: message.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        if text.hasPrefix(path + " ") { text.removeFirst(path.count + 1) }
        return FileFormatError(file: url.path, field: path, message: text)
    }

    private func call(_ path: String, _ body: (UnsafeMutablePointer<CChar>, Int) -> Int32) throws {
        var message = [CChar](repeating: 0, count: 512)
        let status = message.withUnsafeMutableBufferPointer { body($0.baseAddress!, $0.count) }
        guard status == 0 else { throw Self.error(url, path: path, message) }
    }

    func kind(_ path: String) -> Kind {
        switch plasticity_h5_tree_kind(handle, path) {
        case Int32(PLASTICITY_H5_GROUP): return .group
        case Int32(PLASTICITY_H5_DATASET): return .dataset
        default: return .missing
        }
    }

    private func unpack(_ packed: UnsafeMutablePointer<CChar>?, size: Int, count: Int64) -> [String] {
        guard let packed else { return [] }
        defer { plasticity_h5_tree_free(packed) }
        let bytes = UnsafeBufferPointer(start: UnsafeRawPointer(packed).assumingMemoryBound(to: UInt8.self), count: size)
        return bytes.split(separator: 0, omittingEmptySubsequences: false).prefix(Int(count)).map { String(decoding: $0, as: UTF8.self) }
    }

    /// The members of a group, by name.
    func children(_ path: String) throws -> [String] {
        var packed: UnsafeMutablePointer<CChar>?
        var size = 0, count: Int64 = 0
        try call(path) { plasticity_h5_tree_children(handle, path, &packed, &size, &count, $0, $1) }
        return unpack(packed, size: size, count: count)
    }

    /// A dataset's element class and shape ([] for a scalar).
    func describe(_ path: String) throws -> (elementClass: ElementClass, shape: [Int]) {
        var elementClass: Int32 = 0, rank: Int32 = 0
        var dims = [Int64](repeating: 0, count: Int(PLASTICITY_H5_MAX_RANK))
        try call(path) { plasticity_h5_tree_describe(handle, path, &elementClass, &rank, &dims, $0, $1) }
        let classes: [Int32: ElementClass] = [Int32(PLASTICITY_H5_INTEGER): .integer, Int32(PLASTICITY_H5_FLOAT): .float,
                                              Int32(PLASTICITY_H5_STRING): .string]
        return (classes[elementClass] ?? .other, dims.prefix(Int(rank)).map { Int($0) })
    }

    /// A numeric dataset as `T`, converted by HDF5 through `read` (one of the shim's typed readers).
    private func numbers<T: Numeric>(_ path: String,
                                     _ read: (OpaquePointer, UnsafeMutablePointer<T>, Int64, UnsafeMutablePointer<CChar>, Int) -> Int32)
        throws -> (shape: [Int], values: [T]) {
        let shape = try describe(path).shape
        let count = shape.reduce(1, *)
        var values = [T](repeating: 0, count: max(count, 1))   // never an empty buffer without an address
        try values.withUnsafeMutableBufferPointer { buffer in
            try call(path) { read(handle, buffer.baseAddress!, Int64(count), $0, $1) }
        }
        return (shape, Array(values.prefix(count)))
    }

    func floats(_ path: String) throws -> (shape: [Int], values: [Float]) {
        try numbers(path) { plasticity_h5_tree_read_floats($0, path, $1, $2, $3, $4) }
    }

    func doubles(_ path: String) throws -> (shape: [Int], values: [Double]) {
        try numbers(path) { plasticity_h5_tree_read_doubles($0, path, $1, $2, $3, $4) }
    }

    func integers(_ path: String) throws -> (shape: [Int], values: [Int64]) {
        try numbers(path) { plasticity_h5_tree_read_integers($0, path, $1, $2, $3, $4) }
    }

    func strings(_ path: String) throws -> (shape: [Int], values: [String]) {
        let shape = try describe(path).shape
        var packed: UnsafeMutablePointer<CChar>?
        var size = 0, count: Int64 = 0
        try call(path) { plasticity_h5_tree_read_strings(handle, path, &packed, &size, &count, $0, $1) }
        return (shape, unpack(packed, size: size, count: count))
    }

    func writeGroup(_ path: String) throws { try call(path) { plasticity_h5_tree_write_group(handle, path, $0, $1) } }

    func write(_ path: String, strings: [String], shape: [Int]) throws {
        let copies = strings.map { strdup($0) }
        defer { copies.forEach { free($0) } }
        let dims = shape.map(Int64.init)
        try copies.map { UnsafePointer($0) }.withUnsafeBufferPointer { pointers in
            try call(path) { plasticity_h5_tree_write_strings(handle, path, pointers.baseAddress, Int32(shape.count), dims, $0, $1) }
        }
    }

    func write(_ path: String, floats: [Float], shape: [Int]) throws {
        try call(path) { plasticity_h5_tree_write_floats(handle, path, floats, Int32(shape.count), shape.map(Int64.init), $0, $1) }
    }

    func write(_ path: String, doubles: [Double], shape: [Int]) throws {
        try call(path) { plasticity_h5_tree_write_doubles(handle, path, doubles, Int32(shape.count), shape.map(Int64.init), $0, $1) }
    }

    func write(_ path: String, integers: [Int64], shape: [Int]) throws {
        try call(path) { plasticity_h5_tree_write_integers(handle, path, integers, Int32(shape.count), shape.map(Int64.init), $0, $1) }
    }
}
