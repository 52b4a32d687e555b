import Foundation
import Plasticity
import PlasticityData
import _PlasticityCABI

/// The statuses of include/plasticity.h.
enum Status: Int32 {
    case ok = 0, invalidArgument = 1, badInput = 2, nonFinite = 3, failed = 4
}

/// A call refused at the boundary, before any work: the status and the message the caller reads.
struct BoundaryError: Error, CustomStringConvertible {
    var status: Status
    var description: String
    init(_ message: String, _ status: Status = .invalidArgument) { self.description = message; self.status = status }
}

/// Runs one call: a thrown error becomes its status and this thread's last error message (the
/// text the CLI prints for the same error); nothing escapes across the C boundary.
func guarded(_ body: () throws -> Void) -> Int32 {
    do {
        try body()
        plasticity_set_last_error(nil)
        return Status.ok.rawValue
    } catch {
        let status: Status
        switch error {
        case let boundary as BoundaryError: status = boundary.status
        case is FileFormatError, is ModelError, is NIRError, is KernelCompileError: status = .badInput
        case is NonFiniteError: status = .nonFinite
        default: status = .failed
        }
        plasticity_set_last_error("\(error)")
        return status.rawValue
    }
}

/// A required C string argument.
func text(_ pointer: UnsafePointer<CChar>?, _ name: String) throws -> String {
    guard let pointer else { throw BoundaryError("\(name) is NULL") }
    return String(cString: pointer)
}

/// `value` into a library-owned C string the caller frees with plasticity_string_free.
func give(_ value: String, to out: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?, _ name: String) throws {
    guard let out else { throw BoundaryError("\(name) is NULL") }
    out.pointee = strdup(value)
}

/// A JSON object argument, read as the file readers read theirs (errors name `file`).
func jsonObject(_ pointer: UnsafePointer<CChar>?, _ name: String) throws -> [String: Any] {
    try ConfigFile.object(Data(try text(pointer, name).utf8), file: name)
}

/// JSON text of a dictionary, keys sorted.
func jsonText(_ object: Any) throws -> String {
    String(decoding: try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]), as: UTF8.self)
}

/// `count` floats from `pointer`, which must be exactly `expected` and finite.
func floats(_ pointer: UnsafePointer<Float>?, _ count: Int64, expected: Int, _ name: String) throws -> [Float] {
    guard let pointer else { throw BoundaryError("\(name) is NULL") }
    guard count == Int64(expected) else { throw BoundaryError("\(name) holds \(count) values, this call needs \(expected)") }
    let values = Array(UnsafeBufferPointer(start: pointer, count: expected))
    if let bad = values.firstIndex(where: { !$0.isFinite }) {
        throw BoundaryError("\(name)[\(bad)] is \(values[bad]), not a finite number", .badInput)
    }
    return values
}

/// Copies `values` into a caller's buffer of `count` floats, which must be exactly that long.
func copy(_ values: [Float], to pointer: UnsafeMutablePointer<Float>?, _ count: Int64, _ name: String) throws {
    guard let pointer else { throw BoundaryError("\(name) is NULL") }
    guard count == Int64(values.count) else { throw BoundaryError("\(name) has room for \(count) values, the result has \(values.count)") }
    values.withUnsafeBufferPointer { pointer.update(from: $0.baseAddress!, count: values.count) }
}

/// Live objects by handle: a freed or unknown handle is an error naming it, never a dangling
/// pointer. Each object carries its own lock, so calls on one object are serialized and calls on
/// different objects run in parallel.
final class Registry: @unchecked Sendable {
    static let shared = Registry()
    private let lock = NSLock()
    private var next: UInt64 = 1
    private var objects: [UInt64: AnyObject] = [:]

    func add(_ object: AnyObject) -> UInt64 {
        lock.lock(); defer { lock.unlock() }
        let handle = next
        next += 1
        objects[handle] = object
        return handle
    }

    func get<T: AnyObject>(_ handle: UInt64, _ kind: T.Type, _ name: String) throws -> T {
        lock.lock(); defer { lock.unlock() }
        guard let object = objects[handle] as? T else {
            throw BoundaryError("\(name) \(handle) is not a live \(name) (freed, or never created)")
        }
        return object
    }

    func remove<T: AnyObject>(_ handle: UInt64, _ kind: T.Type, _ name: String) throws {
        lock.lock(); defer { lock.unlock() }
        guard objects[handle] is T else { throw BoundaryError("\(name) \(handle) is not a live \(name) (freed twice, or never created)") }
        objects[handle] = nil
    }
}

@_cdecl("plasticity_abi_version")
public func abiVersion() -> Int32 { 1 }

@_cdecl("plasticity_string_free")
public func stringFree(_ text: UnsafeMutablePointer<CChar>?) { free(text) }
