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
        if !problems.isEmpty { throw KernelVerificationError(problems: problems) }
    }
}
