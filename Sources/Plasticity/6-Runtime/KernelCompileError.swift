/// A C compile or link error, quoting the generated line with a few lines of context.
public struct KernelCompileError: Error, CustomStringConvertible {
    public var backend: Backend
    public var message: String
    public var line: Int?
    public var context: String

    init(backend: Backend, message: String, source: String) {
        self.backend = backend
        self.message = message
        // TinyCC says "kernel.c:LINE: error: …", cc says "kernel.c:LINE:COL: error: …".
        var found: Int?
        var rest = message[...]
        while found == nil, let range = rest.range(of: "kernel.c:") {
            found = Int(rest[range.upperBound...].prefix { $0.isNumber })
            rest = rest[range.upperBound...]
        }
        line = found
        var context = ""
        if let found {
            let lines = source.split(separator: "\n", omittingEmptySubsequences: false)
            for n in max(1, found - 3)...min(lines.count, found + 2) {
                context += (n == found ? ">" : " ") + " \(n) | \(lines[n - 1])\n"
            }
        }
        self.context = context
    }

    public var description: String {
        "\(backend.rawValue) failed to compile the generated kernel: \(message)" + (context.isEmpty ? "" : "\n" + context)
    }
}
