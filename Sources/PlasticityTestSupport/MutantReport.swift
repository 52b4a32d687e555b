import Foundation
import Plasticity

/// What one mutant did when read.
public enum MutantOutcome: Equatable, Sendable { case loaded, rejectedCleanly, unclear(String) }

/// What a fuzzer's mutants did, per format: loaded, rejected with an error naming the file, or
/// unclear (an error that does not name it, or an untyped one); and the slowest, as a hang check.
public struct MutantReport<Format: RawRepresentable & CaseIterable & Hashable & Sendable>: Sendable, CustomStringConvertible
where Format.RawValue == String {
    public typealias Outcome = MutantOutcome

    /// "file mutations", "value mutations": the report's first words.
    public var kind: String
    public var tried: [Format: Int] = [:], loaded: [Format: Int] = [:], rejectedCleanly: [Format: Int] = [:]
    /// Mutants whose error did not name the file (or was not a typed error): what was done, and the error.
    public var unclear: [(format: Format, mutation: String, error: String)] = []
    public var slowest: (seconds: Double, format: Format?, mutation: String) = (0, nil, "")
    /// A mutant taking longer than this counts as a hang.
    public var hangSeconds = 10.0
    public var hangs: Int { slowest.seconds > hangSeconds ? 1 : 0 }
    public var total: Int { tried.values.reduce(0, +) }

    public init(kind: String) { self.kind = kind }

    /// Counts one mutant, timing how `outcome` came about.
    public mutating func record(_ format: Format, mutation: String, _ outcome: () -> Outcome) {
        tried[format, default: 0] += 1
        let start = Date()
        switch outcome() {
        case .loaded: loaded[format, default: 0] += 1
        case .rejectedCleanly: rejectedCleanly[format, default: 0] += 1
        case .unclear(let error): unclear.append((format, mutation, error))
        }
        let seconds = Date().timeIntervalSince(start)
        if seconds > slowest.seconds { slowest = (seconds, format, mutation) }
    }

    public var description: String {
        var lines = Format.allCases.filter { tried[$0] != nil }.map { f in
            "\(f.rawValue): \(tried[f]!) mutants, \(loaded[f] ?? 0) loaded, \(rejectedCleanly[f] ?? 0) rejected naming the file, " +
            "\(unclear.filter { $0.format == f }.count) unclear"
        }
        lines.append("\(kind) tried: \(total); crashes: 0 (the run finished); hangs (> \(Int(hangSeconds)) s): \(hangs); "
                     + String(format: "slowest %.3f s (%@: %@)", slowest.seconds, slowest.format?.rawValue ?? "-", slowest.mutation))
        for u in unclear.prefix(10) { lines.append("UNCLEAR \(u.format.rawValue) [\(u.mutation)]: \(u.error)") }
        return lines.joined(separator: "\n")
    }
}

/// How a reader's error counts: naming the file (or, for sizes, stating the memory) is clean.
func mutantOutcome(file url: URL, sizesAllowed: Bool = true, _ load: () throws -> Void) -> MutantOutcome {
    do {
        try load()
        return .loaded
    } catch let error as FileFormatError where error.file == url.path {
        return .rejectedCleanly
    } catch let error as ModelError where error.location.file == url.path && error.location.path != nil {
        return .rejectedCleanly
    } catch is ResourceError where sizesAllowed {
        return .rejectedCleanly
    } catch {
        return .unclear("\(type(of: error)): \(error)")
    }
}
