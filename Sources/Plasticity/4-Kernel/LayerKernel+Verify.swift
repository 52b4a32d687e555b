public struct KernelVerificationError: Error, CustomStringConvertible {
    public var problems: [String]
    public var description: String { "kernel IR verifier: " + problems.joined(separator: "; ") }
}

extension LayerKernel {
    /// Invariants: every value reads only earlier ones and operations get their arity; every view
    /// names a buffer of the layout (state and ψ components, parameters, channels); rows are
    /// distinct, above the currents and next spikes, and the layout's work rows are the body's;
    /// chunk record slots are rows of a record owner; one temporary per plan step; names are C identifiers.
    public func verify() throws {
        var problems: [String] = []
        let body = self.body
        func check(_ operand: NeuronBody.Operand?, before limit: Int, _ what: String) {
            if case .value(let id)? = operand, !(0..<limit).contains(id) { problems.append("\(what) reads %\(id), not defined before it") }
        }
        func check(_ view: NeuronBody.View, _ what: String) {
            let ok: Bool
            switch view {
            case .state(let s), .psi(let s): ok = (0..<layout.stateCount).contains(s)
            case .parameter(let p): ok = (0..<layout.learnableCount).contains(p)
            case .current(let c): ok = (0..<layout.channelCount).contains(c)
            case .spike, .nextSpike, .instantGain: ok = true
            }
            if !ok { problems.append("\(what): \(view) is not a buffer of the layout") }
        }
        var rows = Set<Int>(), names = Set<String>()
        for (id, value) in body.values.enumerated() {
            let what = "%\(id) \(value.name)"
            NeuronBody.operands(of: value.definition).forEach { check($0, before: id, what) }
            switch value.definition {
            case .load(let view): check(view, what)
            case .constant: break
            case .apply(let op, let x), .applyAfterFirstStep(let op, let x):
                if x.count != op.entry.arity { problems.append("\(what): \(op.printed) takes \(op.entry.arity) operands, not \(x.count)") }
            }
            if let row = value.placement.workRow {
                if row <= layout.channelCount || row >= layout.workRows || !rows.insert(row).inserted {
                    problems.append("\(what): work row \(row) is taken or outside \(layout.channelCount + 1)..<\(layout.workRows)")
                }
            }
            if case .rowOrRecord(_, let owner, let row) = value.placement,
               !layout.chunkRecordOwners.contains(owner) || !(0..<layout.projections[owner].recordWidth).contains(row) {
                problems.append("\(what): record[\(owner)] row \(row) is not a record slot")
            }
            if !names.insert(value.name).inserted || !value.name.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_") }) {
                problems.append("\(what): name is repeated or not a C identifier")
            }
        }
        let count = body.values.count
        body.temporaries.enumerated().forEach { check($0.element, before: count, "t\($0.offset)") }
        for store in body.stores { check(store.source, before: count, "store to \(store.view)"); check(store.view, "store") }
        check(body.gain, before: count, "instant gain")
        for copy in body.recordCopies where !layout.chunkRecordOwners.contains(copy.owner) { problems.append("record copy to \(copy.owner)") }
        if body.temporaries.count != plan.steps.count { problems.append("\(body.temporaries.count) temporaries for \(plan.steps.count) plan steps") }
        if body.rowCount != layout.workRows { problems.append("layout has \(layout.workRows) work rows, the body \(body.rowCount)") }
        if layout.stateCount > 1 {
            for store in body.stores where store.view != .nextSpike {
                if case .literal = store.source { problems.append("\(store.view) of \(layout.stateCount) components from a literal") }
            }
        }
        problems += synapses.problems(layout: layout, temporaries: plan.steps.count)
        problems += stepProblems()
        if !problems.isEmpty { throw KernelVerificationError(problems: problems) }
    }
}

extension LayerKernel {
    /// The step tree: in its loops and modes, values written before read, every projection gathered
    /// and summed into its channel once, a synapse loop per projection with a trace, a trace per
    /// learnable parameter, and stores after the body.
    func stepProblems() -> [String] {
        var defined = Set<LayerStepOperation.Value>()
        var problems = KernelStatement.treeProblems(step, defined: &defined)
        let ops = KernelStatement.operations(step), projections = layout.projections
        let gathered = ops.compactMap { if case .gather(let p, _) = $0 { p } else { nil } }
        if gathered != Array(projections.indices) { problems.append("step gathers projections \(gathered), not \(Array(projections.indices))") }
        for case .current(let c, let ps) in ops where !(0..<layout.channelCount).contains(c) || ps.contains(where: {
            !projections.indices.contains($0) || projections[$0].channel != c
        }) { problems.append("I[\(c)] sums projections \(ps), not those into channel \(c)") }
        let summed = ops.flatMap { op -> [Int] in if case .current(_, let ps) = op { ps } else { [] } }
        if summed.sorted() != Array(projections.indices) { problems.append("currents sum projections \(summed.sorted())") }
        let traced = ops.compactMap { if case .synapseTraces(let p, _) = $0 { p } else { nil } }
        if traced != synapses.projections { problems.append("synapse traces of projections \(traced), not \(synapses.projections)") }
        let parameters = ops.compactMap { if case .parameterTrace(let p) = $0 { p } else { nil } }
        if parameters != Array(0..<layout.learnableCount) { problems.append("parameter traces \(parameters) of \(layout.learnableCount)") }
        for case .presynapticTrace(let p, _) in ops where !projections.indices.contains(p) || projections[p].sharedCount == 0 {
            problems.append("presynaptic trace of projection \(p), which has no shared component")
        }
        if !ops.contains(.stores) || !ops.contains(.nextSpikes) { problems.append("the step never stores") }
        return problems.map { "step: \($0)" }
    }
}

extension NetworkKernelIR {
    /// Every layer's IR, then the loop: in its loops and modes, values written before read (a layer
    /// steps after the one it reads, the signal of a layer after the signal above it), each layer
    /// stepped once per step from the layer below, sizes that chain, and the chunk passes and
    /// gradient checks over exactly the projections of each layout.
    public func verify() throws {
        var problems: [String] = []
        for (l, layer) in layers.enumerated() {
            do { try layer.verify() } catch let error as KernelVerificationError { problems += error.problems.map { "layer \(l): \($0)" } }
        }
        var defined = Set<NetworkOperation.Value>()
        problems += KernelStatement.treeProblems(loop, defined: &defined)
        if network.hidden.count != layers.count || network.hidden.contains(where: { $0.neurons < 1 }) || network.inputs < 1 || network.outputs < 1 {
            problems.append("sizes \(network.inputs), \(network.hidden.map(\.neurons)), \(network.outputs) do not chain \(layers.count) layers")
        }
        let ops = KernelStatement.operations(loop), last = layers.count - 1
        let stepped = ops.compactMap { if case .layerStep(let l, let input) = $0 { [l: input] } else { nil } }
        let delayed = Self.delayedLayers(network)
        let expected = layers.indices.map { [$0: Self.presynaptic($0, delayed: delayed)] }
        if stepped != expected { problems.append("layer steps \(stepped), not each layer once from the one below") }
        for op in ops { problems += fitProblems(of: op, last: last) }
        if !ops.contains(.readout(layer: last)) || !ops.contains(.loss) { problems.append("no readout of layer \(last) or no loss") }
        if !problems.isEmpty { throw KernelVerificationError(problems: problems) }
    }

    private func traced(_ l: Int) -> [Int] { layers[l].layout.projections.indices.filter { !layers[l].layout.projections[$0].components.isEmpty } }

    private func fitProblems(of op: NetworkOperation, last: Int) -> [String] {
        func layer(_ l: Int) -> Bool { layers.indices.contains(l) }
        func projection(_ l: Int, _ p: Int) -> Bool { layer(l) && layers[l].layout.projections.indices.contains(p) }
        let ok: Bool
        switch op {
        case .keepSpikes(let l, _), .layerStep(let l, _), .checkFinite(.layerState(let l)): ok = layer(l)
        case .delayLine(let l), .keepTaps(let l): ok = layer(l) && Self.delayedLayers(network).contains(l)
        case .delayOwnSpikes(let l): ok = layer(l) && Self.delayedRecurrence(network).contains(l)
        case .readout(let l), .chunkReadout(let l): ok = l == last
        case .learningSignal(let l, let symmetric, let above):
            ok = layer(l) && symmetric == (l == last) && above == Self.backwardSource(l, last: last, delayed: Self.delayedLayers(network))
        case .synapseGradient(let l, let p), .checkFinite(.gradient(let l, let p)): ok = projection(l, p)
        case .parameterGradient(let l, let count): ok = layer(l) && count == layers[l].layout.learnableCount && count > 0
        case .chunkTraces(let l, let owners, let ps, let inputs):
            let below = Self.presynaptic(l, delayed: Self.delayedLayers(network))
            ok = layer(l) && owners == layers[l].layout.chunkRecordOwners && ps == traced(l) && inputs.count == ps.count
                && zip(ps, inputs).allSatisfy { p, input in
                    let projection = layers[l].layout.projections[p]
                    return input == (projection.delayedEvents ? .arrivals(l) : projection.source == .recurrent ? .layer(l) : below)
                }
        case .chunkFlush(let l, let ps): ok = layer(l) && ps == traced(l)
        default: ok = true
        }
        return ok ? [] : ["\(op) does not fit the layers"]
    }
}
