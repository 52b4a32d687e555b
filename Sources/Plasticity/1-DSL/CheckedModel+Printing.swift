extension ResetRule: CustomStringConvertible {
    public var description: String {
        switch self {
        case .subtract(let e): return "subtract \(e)"
        case .add(let e): return "add \(e)"
        case .to(let e): return "to \(e)"
        }
    }
}

extension CheckedModel: CustomStringConvertible {
    /// The resolved model, one declaration per line, definitions in dependency order.
    public var description: String {
        var out = "model \(name.debugDescription) (reset gradient \(resetGradient.rawValue))\n"
        for (n, v) in fixedParameters.sorted(by: { $0.key < $1.key }) { out += "  parameter \(n) = \(v.shortDescription)\n" }
        for l in learnables { out += "  learnable \(l.name) = \(l.initial.shortDescription) per neuron\n" }
        for i in inputs { out += noise[i].map { "  noise \(i) (\($0.rawValue))\n" } ?? "  input \(i)\n" }
        for s in states {
            out += "  state \(s.name) = \(s.initial.shortDescription)" + (s.reset.map { ", on spike: \($0)" } ?? "") + "\n"
        }
        for d in definitions { out += "  let \(d.name) = \(d.expr)\n" }
        for s in states { out += "  \(s.name) <- \(s.update)\n" }
        switch output {
        case .spike(let g, let surrogate): out += "  spike when \(g) > 0, surrogate \(surrogate)\n"
        case .value(let g): out += "  output \(g)\n"
        }
        return out
    }
}
