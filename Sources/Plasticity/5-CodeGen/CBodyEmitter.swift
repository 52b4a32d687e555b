/// Prints a `NeuronBody` as C, three ways over the same values in the same order (so the same
/// floats: RowBodyTests, 0 ulp):
/// - rows: one `plasticity_row_*` call per value (TinyCC: precompiled vectorized runtime-c code);
/// - a fused loop over the neurons whose values stay in registers, storing only the rows read after
///   the body (optimizing compilers; bodies calling libm keep the rows, since gcc does not
///   vectorize a loop with a call);
/// - scalars for one neuron (`plasticity_local_step`).
/// Operations print through `ElementOp.entry`, the one op → C table.
struct CBodyEmitter {
    typealias Operand = NeuronBody.Operand
    let body: NeuronBody

    // MARK: names

    private func row(_ id: NeuronBody.ValueID) -> String { "row_\(body[id].name)" }
    private func scalar(_ id: NeuronBody.ValueID) -> String { "s_\(body[id].name)" }

    /// Per sequence b of a layer step: the address of a view (its first element; strided views step by k).
    private func address(_ view: NeuronBody.View) -> String {
        let k = body.stateCount
        switch view {
        case .state(let s): return Self.strided("a->state", s, k)
        case .psi(let s): return Self.strided("a->psi", s, k)
        case .spike: return "a->spike + (long)b * n"
        case .parameter(let p): return "a->params + (long)\(p) * n"
        case .current(let c): return "work\(c)"
        case .nextSpike: return "work\(body.channelCount)"
        case .instantGain: return "instant_gain + (long)b * n"
        }
    }

    private static func strided(_ buffer: String, _ s: Int, _ k: Int) -> String {
        k == 1 ? "\(buffer) + (long)b * n" : k == 2 ? "\(buffer) + (long)b * n * 2" : "\(buffer) + (long)b * n * \(k) + \(s)"
    }

    // MARK: rows

    /// Declares the constant rows and fills them where `fill` (a C condition) holds: the calls
    /// sharing a slice's block fill them once.
    func emitConstantRows(_ w: CWriter, fill: String) {
        let constants = body.values.indices.compactMap { id -> (Int, Float, Int)? in
            guard case .constant(let f) = body[id].definition, let r = body[id].placement.workRow else { return nil }
            return (id, f, r)
        }
        for (id, _, r) in constants { w.line("float *\(row(id)) = work + (long)\(r) * n;") }
        guard !constants.isEmpty else { return }
        w.block("if (\(fill))") {
            for (id, f, _) in constants { w.line("plasticity_fill(\(row(id)), n, \(CNames.literal(Double(f))));") }
        }
    }

    /// The row pointers of the values (constants excepted), then the body: row calls, or for an
    /// optimizing compiler without libm calls the fused loop. Expects `work`, `n`, `b`, `t`, `work<c>`
    /// and, with record slots, `chunked` and `record<p>` in scope.
    func emitBody(_ w: CWriter) {
        if body.readsPreviousSpikeLiveness {
            w.line("const int z_prev_live = !(a->spike_is_initial && t == 0); /* z^{-1} is a constant: no derivative */")
        }
        w.comment("the neuron body (kernel IR): \(body.values.count) values, \(body.temporaries.count) temporaries of the local Jacobian")
        for id in body.values.indices where !body[id].forGain { declareRow(w, id) }
        let calls = body.values.indices.filter { !body[$0].forGain }.compactMap(rowCall)
        guard !body.callsLibm else { calls.forEach(w.line); return }
        let stored = body.readAfterBody
        w.line("#ifdef PLASTICITY_TINYCC")
        calls.forEach(w.line)
        w.line("#else")
        w.comment("one pass over the neurons: iterations touch element j of each row only")
        w.line("#pragma GCC ivdep")
        w.block("for (int j = 0; j < n; ++j)") {
            for id in body.values.indices where !body[id].forGain { if let e = element(id) { w.line("const float \(scalar(id)) = \(e);") } }
            for id in body.values.indices where stored.contains(id) && hasComputedRow(id) { w.line("\(row(id))[j] = \(scalar(id));") }
        }
        w.line("#endif")
    }

    private func declareRow(_ w: CWriter, _ id: NeuronBody.ValueID) {
        let value = body[id], place = { (r: Int) in "work + (long)\(r) * n" }
        switch (value.definition, value.placement) {
        case (.constant, _): return
        case (.load(let view), .inPlace): w.line("const float *\(row(id)) = \(address(view));")
        case (_, .inPlace): preconditionFailure("only loads read in place")
        case (_, .row(let r)): w.line("float *\(row(id)) = \(place(r));")
        case (_, .rowOrRecord(let r, let owner, let recordRow)):
            w.line("float *\(row(id)) = chunked ? record\(owner) + (long)\(recordRow) * n : \(place(r));")
        }
    }

    /// A value computed into a row of its own (not a constant, not read in place).
    private func hasComputedRow(_ id: NeuronBody.ValueID) -> Bool {
        if case .constant = body[id].definition { return false }
        return body[id].placement != .inPlace
    }

    /// The row call of a value, if it is computed.
    private func rowCall(_ id: NeuronBody.ValueID) -> String? {
        let y = row(id)
        switch body[id].definition {
        case .constant: return nil
        case .load(.state(let s)) where body[id].placement != .inPlace:
            let k = body.stateCount, state = address(.state(s))
            guard k == 2 else { return "plasticity_row_gather(\(y), \(state), \(k), n);" }
            // both components in one pass, at the first
            guard s == 0, let other = body.values.indices.first(where: { body[$0].definition == .load(.state(1)) }) else { return nil }
            return "plasticity_row_deinterleave2(\(y), \(row(other)), \(state), n);"
        case .load: return nil
        case .apply(let op, let x): return rowCall(op, y, x)
        case .applyAfterFirstStep(let op, let x): return "if (z_prev_live) \(rowCall(op, y, x)) else plasticity_fill(\(y), n, 0.0f);"
        }
    }

    /// `plasticity_row_<stem>(y, x…, n)`; a binary operation with one literal calls its scalar form
    /// (`_rs`: row op scalar, `_sr`: scalar op row).
    private func rowCall(_ op: ElementOp, _ y: String, _ x: [Operand]) -> String {
        let stem = op.entry.stem
        if case .surrogate(let s) = op { return "plasticity_row_\(stem)(\(y), \(rowOperand(x[0])), n, \(CNames.literal(s.scale)));" }
        let literal = x.firstIndex { if case .literal = $0 { return true }; return false }
        let suffix = literal.map { $0 == 0 ? "_sr" : "_rs" } ?? ""
        return "plasticity_row_\(stem)\(suffix)(\(([y] + x.map(rowOperand)).joined(separator: ", ")), n);"
    }

    private func rowOperand(_ x: Operand) -> String {
        switch x {
        case .literal(let f): return CNames.literal(Double(f))
        case .value(let id): return row(id)
        }
    }

    /// Element j of a computed value in the fused loop.
    private func element(_ id: NeuronBody.ValueID) -> String? {
        switch body[id].definition {
        case .constant: return nil
        case .load(.state(let s)) where body[id].placement != .inPlace:
            let k = body.stateCount
            return k == 2 ? "(\(address(.state(s))))[2 * (long)j + \(s)]" : "(\(address(.state(s))))[(long)j * \(k)]"
        case .load: return nil
        case .apply(let op, let x): return Self.expression(op, x.map(elementOperand))
        case .applyAfterFirstStep(let op, let x): return "z_prev_live ? \(Self.expression(op, x.map(elementOperand))) : 0.0f"
        }
    }

    private func elementOperand(_ x: Operand) -> String {
        switch x {
        case .literal(let f): return CNames.literal(Double(f))
        case .value(let id):
            switch body[id].definition {
            case .constant(let f): return CNames.literal(Double(f))
            case .load where body[id].placement == .inPlace: return "\(row(id))[j]"
            default: return scalar(id)
            }
        }
    }

    /// One operation on scalars: the element helper, or a surrogate's σ' with its scale.
    static func expression(_ op: ElementOp, _ x: [String]) -> String {
        if case .surrogate(let s) = op { return "plasticity_surrogate_\(s.kind.rawValue)(\(x[0]), \(CNames.literal(s.scale)))" }
        return "plasticity_elem_\(op.entry.stem)(\(x.joined(separator: ", ")))"
    }

    /// Element j of an operand after the body (the per-neuron traces read the temporaries so).
    func rowElement(_ x: Operand) -> String {
        switch x {
        case .literal(let f): return CNames.literal(Double(f))
        case .value(let id): return "\(row(id))[j]"
        }
    }

    // MARK: after the body

    /// ∂z/∂I of the gain channel into `instant_gain` when the caller asks for it.
    func emitInstantGain(_ w: CWriter) {
        guard let gain = body.gain else { return }
        w.block("if (instant_gain)") {
            let ids = body.values.indices.filter { body[$0].forGain }
            for id in ids { declareRow(w, id) }
            for id in ids { if let call = rowCall(id) { w.line(call) } }
            emitMove(w, to: address(.instantGain), gain)
        }
    }

    /// Chunk mode: the record entries no operation wrote in place.
    func emitRecordCopies(_ w: CWriter) {
        for copy in body.recordCopies { emitMove(w, to: "record\(copy.owner) + (long)\(copy.row) * n", copy.source) }
    }

    /// `destination` row ← an operand (a fill for literals).
    private func emitMove(_ w: CWriter, to destination: String, _ x: Operand) {
        switch x {
        case .literal(let f): w.line("plasticity_fill(\(destination), n, \(CNames.literal(Double(f))));")
        case .value(let id): w.line("plasticity_copy(\(destination), \(row(id)), n);")
        }
    }

    /// h^t, ψ^t and z^t, after everything that reads h^{t-1}.
    func emitStores(_ w: CWriter) {
        let k = body.stateCount
        func source(_ view: NeuronBody.View) -> Operand? { body.stores.first { $0.view == view }?.source }
        if k == 2 {
            for buffer in ["state", "psi"] {
                let views: [NeuronBody.View] = buffer == "state" ? [.state(0), .state(1)] : [.psi(0), .psi(1)]
                if let a = source(views[0]), let c = source(views[1]) {
                    w.line("plasticity_row_interleave2(\(address(views[0])), \(rowOperand(a)), \(rowOperand(c)), n);")
                }
            }
        } else {
            for store in body.stores where store.view != .nextSpike {
                if k == 1 { emitMove(w, to: address(store.view), store.source); continue }
                w.line("plasticity_row_scatter(\(address(store.view)), \(k), \(rowOperand(store.source)), n);")
            }
        }
        if let spike = source(.nextSpike) { emitMove(w, to: address(.nextSpike), spike) }
    }

    // MARK: one neuron

    /// The body for neuron j of sequence b (`plasticity_local_step`): every load into a scalar,
    /// then the operations, then the temporaries `t<i>`. Expects `st`, `cur`, `j`, `nj` in scope.
    func emitScalars(_ w: CWriter) {
        if body.readsPreviousSpikeLiveness { w.line("const int z_prev_live = !(a->spike_is_initial); /* z^{-1} is a constant: no derivative */") }
        for id in body.values.indices where !body[id].forGain {
            let value: String
            switch body[id].definition {
            case .constant: continue
            case .load(.state(let s)): value = "st[\(s)]"
            case .load(.spike): value = "a->spike[nj]"
            case .load(.parameter(let p)): value = "a->params[(long)\(p) * n + j]"
            case .load(.current(let c)): value = "cur[\(c)]"
            case .load(let view): preconditionFailure("the body does not load \(view)")
            case .apply(let op, let x): value = Self.expression(op, x.map(scalarOperand))
            case .applyAfterFirstStep(let op, let x): value = "z_prev_live ? \(Self.expression(op, x.map(scalarOperand))) : 0.0f"
            }
            w.line("const float \(scalar(id)) = \(value);")
        }
        for (i, t) in body.temporaries.enumerated() { w.line("const float t\(i) = \(scalarOperand(t));") }
    }

    /// An operand as a scalar of the one-neuron body.
    func scalarOperand(_ x: Operand) -> String {
        switch x {
        case .literal(let f): return CNames.literal(Double(f))
        case .value(let id):
            if case .constant(let f) = body[id].definition { return CNames.literal(Double(f)) }
            return scalar(id)
        }
    }
}
