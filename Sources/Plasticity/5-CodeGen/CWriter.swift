import Foundation

/// Emits C through scoped blocks, so indentation and braces are never hand-assembled. Public for
/// the C fragments that extension points write (`LossDefinition.emitStep`).
public final class CWriter {
    private(set) var lines: [String] = []
    private var depth = 0

    public func line(_ text: String) { lines.append(String(repeating: "    ", count: depth) + text) }
    public func blank() { lines.append("") }
    /// A comment whose text is reduced to a safe character set (no comment closers, no newlines);
    /// the generator's own comments are plain ASCII so nothing of theirs is replaced.
    public func comment(_ text: String) { line("/* \(CNames.commentSafe(text)) */") }
    public func block(_ header: String, _ body: () -> Void) {
        line(header.isEmpty ? "{" : header + " {")
        depth += 1
        body()
        depth -= 1
        line("}")
    }
    var text: String { lines.joined(separator: "\n") + "\n" }
}

/// C identifiers and literals derived from DSL names and values.
///
/// Every identifier is a fixed role prefix plus an index plus the sanitized name (letters, digits,
/// underscores; at most 24 characters), so names are unique, never C keywords, and user text can
/// never reach the C source as code.
enum CNames {
    static func identifier(_ prefix: String, _ index: Int, _ name: String?) -> String {
        guard let name else { return "\(prefix)\(index)" }
        var cleaned = ""
        for scalar in name.unicodeScalars {
            if cleaned.count >= 24 { break }
            let ok = (scalar >= "a" && scalar <= "z") || (scalar >= "A" && scalar <= "Z") || (scalar >= "0" && scalar <= "9")
            cleaned.append(ok ? Character(scalar) : "_")
        }
        return "\(prefix)\(index)_\(cleaned)"
    }

    /// Text safe inside a C block comment.
    static func commentSafe(_ text: String) -> String {
        var out = ""
        for scalar in text.unicodeScalars.prefix(200) {
            let ok = (scalar >= "a" && scalar <= "z") || (scalar >= "A" && scalar <= "Z") || (scalar >= "0" && scalar <= "9")
                || " _.,:+-='|".unicodeScalars.contains(scalar)
            out.unicodeScalars.append(ok ? scalar : "?")
        }
        return out
    }

    /// A float literal that round-trips the value rounded to float. Zero is written unsigned:
    /// JSON readers drop the sign of −0 (model files, docs/model-format.md), and a constant −0
    /// changes a result only in the sign of a zero.
    static func literal(_ value: Double) -> String {
        let f = value == 0 ? Float(0) : Float(value)
        if f.isInfinite { return f > 0 ? "(1.0f/0.0f)" : "(-1.0f/0.0f)" }
        var text = String(format: "%.9g", Double(f))
        if !text.contains(".") && !text.contains("e") { text += ".0" }
        return f < 0 ? "(\(text)f)" : "\(text)f"
    }
}
