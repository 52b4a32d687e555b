import Foundation

/// A file that is not what it claims to be: names the file, the field, and what is wrong.
public struct FileFormatError: Error, CustomStringConvertible, Sendable {
    public var file: String
    public var field: String
    public var message: String
    public init(file: String, field: String, message: String) { self.file = file; self.field = field; self.message = message }
    public var description: String { "\(file): \(field): \(message)" }
}
