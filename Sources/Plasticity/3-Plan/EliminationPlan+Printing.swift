extension EliminationPlan.Value: CustomStringConvertible {
    public var description: String {
        switch self { case .constant(let c): return c.shortDescription; case .temp(let t): return "t\(t)" }
    }
}

extension EliminationPlan: CustomStringConvertible {
    /// The multiply count of every order, the chosen one, the local Jacobian blocks with their
    /// sparsity, the trace structure, and the per-neuron temporaries.
    public var description: String {
        let model = graph.model
        var out = "plan \(model.name.debugDescription): \(order.count) intermediate vertices eliminated\n"
        out += "  order        multiplies  additions\n"
        for c in candidates {
            let note = c.kind == .search ? (searchWasExhaustive ? " (exhaustive)" : " (heuristic)") : ""
            out += "  " + "\(c.kind.rawValue)\(note)".padded(12) + " " + "\(c.multiplies)".padded(11) + " \(c.additions)\n"
        }
        out += "  chosen: \(chosen.rawValue), order \(order.map { "%\($0)" }.joined(separator: " "))\n"
        out += "  per neuron and step: \(multiplies) elimination multiplies + \(partialMultiplies) in primitive partials\n"
        func cell(_ v: Value?) -> String {
            switch v { case nil: return "0"; case .constant(let c)?: return "\(c.shortDescription)·I"; case .temp(let t)?: return "diag(t\(t))" }
        }
        let names = model.states.map(\.name)
        out += "local Jacobian (block \(names.count)x\(names.count) per neuron):\n"
        for (s, row) in stateJacobian.rows.enumerated() {
            if names.count <= 32 {
                out += "  D[\(names[s])] = [" + row.dense(columns: names.count).map(cell).joined(separator: ", ") + "]\n"
            } else {   // large blocks by their nonzeros
                out += "  D[\(names[s])] = {" + row.nonzeros.map { "\(names[$0.column]): \(cell($0.value))" }.joined(separator: ", ") + "}\n"
            }
        }
        for (c, name) in model.inputs.enumerated() {
            out += "  c[\(name)] = [" + inputJacobian.map { cell($0[c]) }.joined(separator: ", ") + "]\n"
        }
        for (p, learnable) in model.learnables.enumerated() {
            out += "  dh/d\(learnable.name) = [" + parameterJacobian.map { cell($0[p]) }.joined(separator: ", ") + "]"
            out += ", dz/d\(learnable.name) direct = \(cell(outputParameterGradient[p]))\n"
        }
        out += "  psi = [" + outputGradient.map(cell).joined(separator: ", ") + "]\n"
        out += "eligibility vectors:\n"
        for (c, name) in model.inputs.enumerated() {
            let t = traceStructure(channel: c)
            out += "  weights into \(name): components [" + t.components.map { names[$0] }.joined(separator: ", ") + "]"
            if t.factorized { out += ", factorized: presynaptic trace only\n" }
            else if t.sharedCount > 0 { out += ", the first \(t.sharedCount) shared as a presynaptic trace, the rest per synapse\n" }
            else { out += ", per synapse\n" }
        }
        for (p, learnable) in model.learnables.enumerated() {
            out += "  \(learnable.name): components [" + parameterComponents(p).map { names[$0] }.joined(separator: ", ") + "] per neuron\n"
        }
        out += "temporaries:\n"
        for (i, step) in steps.enumerated() {
            switch step {
            case .partial(let p): out += "  t\(i) = \(p)\n"
            case .product(let a, let b): out += "  t\(i) = \(a) * \(b)\n"
            case .sum(let a, let b): out += "  t\(i) = \(a) + \(b)\n"
            case .negate(let a): out += "  t\(i) = -\(a)\n"
            }
        }
        return out
    }
}

extension String {
    func padded(_ width: Int) -> String { count >= width ? self : self + String(repeating: " ", count: width - count) }
}
