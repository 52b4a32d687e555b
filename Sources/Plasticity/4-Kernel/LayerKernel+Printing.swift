/// `plasticity compile --emit kernel`: the kernel IR as text, one value per line.
extension NeuronBody.Operand: CustomStringConvertible {
    public var description: String {
        switch self {
        case .value(let id): return "%\(id)"
        case .literal(let f): return "\(f)"
        }
    }
}

extension NeuronBody.View: CustomStringConvertible {
    /// The view and its symbolic extent, per sequence b.
    public var description: String {
        switch self {
        case .state(let s): return "state[b][j][\(s)]"
        case .psi(let s): return "psi[b][j][\(s)]"
        case .spike: return "spike[b][j]"
        case .parameter(let p): return "params[\(p)][j]"
        case .current(let c): return "work[b][\(c)][j]"
        case .nextSpike: return "work[b][C][j]"
        case .instantGain: return "instant_gain[b][j]"
        }
    }
}

extension NeuronBody: CustomStringConvertible {
    public var description: String {
        var lines = ["neuron body of '\(modelName)': rows of n floats, \(rowCount) rows of work per sequence " +
                     "(\(channelCount) currents, 1 next spikes, then constants and values)"]
        func placement(_ p: Placement) -> String {
            switch p {
            case .inPlace: return "in place"
            case .row(let r): return "work row \(r)"
            case .rowOrRecord(let r, let owner, let row): return "work row \(r) | chunked: record[\(owner)] row \(row)"
            }
        }
        for (id, value) in values.enumerated() {
            let rhs: String
            switch value.definition {
            case .load(let view): rhs = "load \(view)"
            case .constant(let f): rhs = "constant \(f)"
            case .apply(let op, let x): rhs = "\(op.printed) " + x.map(\.description).joined(separator: ", ")
            case .applyAfterFirstStep(let op, let x): rhs = "\(op.printed) " + x.map(\.description).joined(separator: ", ") + " after step 0"
            }
            let text = "  %\(id) \(value.name) = \(rhs)"
            let pad = String(repeating: " ", count: max(1, 56 - text.count))
            lines.append(text + pad + "; " + placement(value.placement) + (value.forGain ? ", instant gain only" : ""))
        }
        lines.append("  temporaries: " + temporaries.enumerated().map { "t\($0.offset) = \($0.element)" }.joined(separator: ", "))
        for store in stores { lines.append("  store \(store.view) <- \(store.source)") }
        if let gain { lines.append("  store \(View.instantGain) <- \(gain) (when asked)") }
        for copy in recordCopies { lines.append("  chunked: record[\(copy.owner)] row \(copy.row) <- \(copy.source)") }
        return lines.joined(separator: "\n") + "\n"
    }
}

extension LayerKernel: CustomStringConvertible {
    public var description: String {
        var lines = ["kernel of layer '\(model.name)': k = \(layout.stateCount) states, C = \(layout.channelCount) channels, " +
                     "P = \(layout.learnableCount) learnable"]
        for (p, projection) in layout.projections.enumerated() {
            let pre = projection.source == .input ? "n_in" : "n"
            var text = "  projection \(p): \(projection.source.rawValue) -> channel \(projection.channel), eligibility components " +
                "\(projection.components) (\(projection.sharedCount) shared as presynaptic traces [B][\(pre)][\(projection.sharedCount)])"
            if projection.perSynapseCount > 0 { text += ", \(projection.perSynapseCount) per synapse [B][n][\(pre)][\(projection.perSynapseCount)]" }
            if layout.chunkRecordOwners.contains(p) { text += "; chunk record of \(projection.recordWidth) rows per step" }
            lines.append(text)
        }
        if layout.parameterTraceComponents > 0 {
            lines.append("  parameter traces: \(layout.parameterTraceComponents) components [B][n][\(layout.parameterTraceComponents)]")
        }
        let step = ["step of the layer (t, for the call's sequences):"] + self.step.flatMap { $0.printed() }
        return lines.joined(separator: "\n") + "\n" + body.description + synapses.description + step.joined(separator: "\n") + "\n"
    }
}

extension NetworkKernelIR: CustomStringConvertible {
    public var description: String {
        let sizes = ([network.inputs] + network.hidden.map(\.neurons) + [network.outputs]).map(String.init).joined(separator: " -> ")
        let loop = (InputDelays.summary(of: network) ?? []) + ["network loop (\(sizes)):"] + self.loop.flatMap { $0.printed() }
        return layers.enumerated().map { "layer \($0.offset): \($0.element.description)" }.joined(separator: "\n") + "\n"
            + loop.joined(separator: "\n") + "\n"
    }
}
