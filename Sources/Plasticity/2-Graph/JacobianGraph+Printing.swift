import Foundation

extension JacobianGraph.Kind {
    func describe(label: String?) -> String {
        let name = label.map { "[\($0)]" } ?? ""
        switch self {
        case .previousState: return "h^{t-1}\(name)"
        case .previousSpike: return "z^{t-1}"
        case .input: return "I\(name)"
        case .learnable: return "θ\(name)"
        case .newState: return "h^t\(name) (read by output)"
        case .constant(let c): return "const \(c.shortDescription)"
        case .op(let op): return op.description
        case .stateOut: return "out h^t\(name)"
        case .layerOutput: return "out z^t"
        }
    }
}

extension Partial: CustomStringConvertible {
    public var description: String {
        switch self {
        case .constant(let c): return c.shortDescription
        case .value(let id): return "\(id)"
        case .negate(let a): return "-(\(a))"
        case .add(let a, let b): return "(\(a) + \(b))"
        case .subtract(let a, let b): return "(\(a) - \(b))"
        case .multiply(let a, let b): return "\(a)·\(b)"
        case .divide(let a, let b): return "\(a)/\(b)"
        case .pow(let a, let b): return "pow(\(a), \(b))"
        case .log(let a): return "log(\(a))"
        case .indicator(let c, let a, let b): return "[\(a) \(c.rawValue) \(b)]"
        case .surrogate(let s, let g): return "\(s.name)'(\(g))"
        case .previousSurrogate(let s, let g): return "\(s.name)'(\(g))·[t>0]"
        case .tanhDerivative(let x): return "tanh'(\(x))"
        case .sigmoidDerivative(let x): return "sigmoid'(\(x))"
        case .sin(let x): return "sin(\(x))"
        case .cos(let x): return "cos(\(x))"
        case .sign(let x): return "sign(\(x))"
        }
    }
}

extension JacobianGraph: CustomStringConvertible {
    /// Text form: one line per vertex, then one per edge with its partial and sparsity, then the
    /// network-level edges that connect neurons (the ones e-prop cuts or keeps).
    public var description: String {
        var out = "graph \(model.name.debugDescription): \(vertices.count) vertices, \(edges.count) edges, reset gradient " +
                  "\(model.resetGradient.rawValue)\n"
        for v in vertices {
            let ops = v.operands.isEmpty ? "" : " " + v.operands.map(\.description).joined(separator: ", ")
            out += "  \(v.id) = \(v.kind.describe(label: v.label))\(ops)\n"
        }
        out += "edges (∂to/∂from) [sparsity over neurons]:\n"
        for e in edges.sorted(by: { ($0.to, $0.from) < ($1.to, $1.from) }) {
            out += "  \(e.from) -> \(e.to): \(e.partial) [\(e.sparsity)]\n"
        }
        out += "network edges:\n"
        for name in model.inputs {
            out += "  W (each projection into \(name)) -> I[\(name)]: [\(Sparsity.weightStructured)]\n"
            out += "  z^{t-1} (all neurons) -> I[\(name)] via recurrent W: [\(Sparsity.dense)] (cut by e-prop, kept by BPTT/RTRL)\n"
        }
        out += "  h^{t-1} -> h^t: [\(Sparsity.block(model.states.count))] per neuron (D, after elimination)\n"
        return out
    }

    /// Graphviz DOT: inputs as boxes, outputs as double circles, edges labelled with partials.
    public var dot: String {
        func quote(_ s: String) -> String {
            "\"" + s.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\""
        }
        var out = "digraph \(quote(model.name)) {\n  rankdir=LR;\n"
        for v in vertices {
            let shape: String
            switch v.kind {
            case .previousState, .input, .learnable, .newState: shape = "box"
            case .stateOut, .layerOutput: shape = "doublecircle"
            case .constant: shape = "plaintext"
            default: shape = "ellipse"
            }
            out += "  v\(v.id.raw) [label=\(quote("\(v.id) \(v.kind.describe(label: v.label))")), shape=\(shape)];\n"
        }
        for e in edges {
            out += "  v\(e.from.raw) -> v\(e.to.raw) [label=\(quote("\(e.partial) [\(e.sparsity)]"))];\n"
        }
        return out + "}\n"
    }
}
