public struct GraphVerificationError: Error, CustomStringConvertible {
    public var problems: [String]
    public var description: String { "graph verifier: " + problems.joined(separator: "; ") }
}

extension JacobianGraph {
    /// Structural invariants: topological numbering, edges between existing vertices along
    /// operands, no edge into an independent, none out of an output,
    /// no stored zero partial, and every partial reads only earlier vertices.
    public func verify() throws {
        var problems: [String] = []
        for v in vertices {
            if v.id.raw >= vertices.count { problems.append("\(v.id) out of range") }
            for o in v.operands where o >= v.id { problems.append("\(v.id) reads later vertex \(o)") }
        }
        var seen = Set<[Int]>()
        for e in edges {
            if e.from.raw >= vertices.count || e.to.raw >= vertices.count { problems.append("edge \(e.from)->\(e.to) out of range"); continue }
            if !seen.insert([e.from.raw, e.to.raw]).inserted { problems.append("duplicate edge \(e.from)->\(e.to)") }
            if e.from >= e.to { problems.append("edge \(e.from)->\(e.to) is not forward") }
            if e.partial.constantValue == 0 { problems.append("zero partial stored on \(e.from)->\(e.to)") }
            if isOutput(e.from) { problems.append("edge out of output \(e.from)") }
            switch self[e.to].kind {
            case .previousState, .input, .learnable, .newState, .constant: problems.append("edge into independent \(e.to)")
            default: if !self[e.to].operands.contains(e.from) { problems.append("edge \(e.from)->\(e.to) not along an operand") }
            }
            for id in e.partial.reads where id >= e.to && id != e.to { problems.append("partial of \(e.from)->\(e.to) reads later \(id)") }
        }
        if !problems.isEmpty { throw GraphVerificationError(problems: problems) }
    }
}

extension Partial {
    /// Vertices whose values the partial reads.
    public var reads: [JacobianGraph.VertexID] {
        switch self {
        case .constant: return []
        case .value(let id), .surrogate(_, let id), .previousSurrogate(_, let id), .tanhDerivative(let id), .sigmoidDerivative(let id),
             .sin(let id), .cos(let id), .sign(let id): return [id]
        case .indicator(_, let a, let b): return [a, b]
        case .negate(let a), .log(let a): return a.reads
        case .add(let a, let b), .subtract(let a, let b), .multiply(let a, let b), .divide(let a, let b), .pow(let a, let b):
            return a.reads + b.reads
        }
    }
}
