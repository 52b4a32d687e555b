/// The neuron body of a layer step as row operations.
///
/// Every value of the step (forward values, local-Jacobian temporaries) is a row of n floats —
/// one per neuron of sequence b — and every operation one call of a row primitive of
/// plasticity_kernel.h (`plasticity_row_*`). Under TinyCC, which neither vectorizes nor keeps
/// values in registers, each call runs precompiled vectorized code from runtime-c; an optimizing
/// compiler inlines the same definitions. The primitives apply the scalar helpers element by
/// element and the rows follow the scalar body's expression trees operation for operation, so the
/// floats equal those of the scalar body (`plasticity_local_step` keeps that one).
///
/// Rows live in the layer's `work` buffer, in the block of the call's first sequence (threads
/// take disjoint slices, so blocks never overlap): rows 0..<C are the channel currents, row C the
/// next spikes, then one row per literal the body uses (filled once per call), then one per value.
/// Rows are never reused, so no output aliases an input.
///
/// The body is printed twice: as row calls for TinyCC, and for an optimizing compiler as one fused
/// loop over neurons whose values stay in registers (literals as literals, not rows), storing only
/// the rows read after the body. Each operation of the loop is the row primitive's element helper
/// (`plasticity_elem_*`, from the same expression lists), in the same order, so the floats are the
/// rows' (RowBodyTests, 0 ulp). Bodies that call libm keep the rows on both backends: a loop with a
/// call is not vectorized, while the rows without calls still are.
final class NeuronRows {
    typealias VertexID = JacobianGraph.VertexID
    let model: CheckedModel
    let plan: EliminationPlan
    var graph: JacobianGraph { plan.graph }
    /// Rows of `work` in all (currents, spikes, literals, values).
    private(set) var rowCount: Int
    /// Literal → its constant row, in row order.
    private(set) var constants: [(literal: String, row: Int)] = []
    private var vertexRows: [VertexID: String] = [:]
    private(set) var tempRows: [String] = []
    private let preassigned: Bool
    /// The body as printed for TinyCC: one row call per line.
    private var calls: [String] = []
    /// The same body as the statements of one iteration j of the fused loop.
    private var elements: [String] = []
    /// Row → its value in iteration j of the fused loop (rows the body computes, and their aliases).
    private var scalars: [String: String] = [:]
    /// Rows the body computes, in order (the fused loop stores those read after it).
    private var computed: [String] = []
    /// Alias row → the row it names.
    private var aliases: [String: String] = [:]
    /// Whether some operation of the body calls libm (then the body stays as rows).
    private var callsLibm = false

    /// `literals`: the literals whose constant rows come first (found by a dry run); nil for the dry run.
    private init(model: CheckedModel, plan: EliminationPlan, literals: [String]?) {
        self.model = model
        self.plan = plan
        rowCount = model.inputs.count + 1
        preassigned = literals != nil
        for literal in literals ?? [] { constants.append((literal, rowCount)); rowCount += 1 }
    }

    /// An emitter whose literal rows come first. `gainChannel`: the channel of the layer's first
    /// projection (the instant gain ψ·c of the backward learning signal), nil without projections.
    static func prepared(model: CheckedModel, plan: EliminationPlan, gainChannel: Int?) -> NeuronRows {
        NeuronRows(model: model, plan: plan, literals: dryRun(model: model, plan: plan, gainChannel: gainChannel).constants.map(\.literal))
    }

    /// The rows of `work` a layer step with this body uses.
    static func rowCount(model: CheckedModel, plan: EliminationPlan, gainChannel: Int?) -> Int {
        dryRun(model: model, plan: plan, gainChannel: gainChannel).rowCount
    }

    /// Every row-allocating part, emitted into a discarded writer: the literals and the row count.
    private static func dryRun(model: CheckedModel, plan: EliminationPlan, gainChannel: Int?) -> NeuronRows {
        let dry = NeuronRows(model: model, plan: plan, literals: nil)
        dry.emitAllocatingParts(CWriter(), gainChannel: gainChannel)
        return dry
    }

    /// Every part that takes rows, in the order a layer step emits them.
    func emitAllocatingParts(_ w: CWriter, gainChannel: Int?) {
        emitBody(w)
        emitInstantGain(w, channel: gainChannel)
        emitStores(w)
    }

    // MARK: rows

    /// A row of `work`, or, where `chunked` holds and `placement` is given, that place instead.
    private func newRow(_ w: CWriter, named name: String, placement: String? = nil) -> String {
        let row = "row_\(name)", place = "work + (long)\(rowCount) * n"
        w.line("float *\(row) = \(placement.map { "chunked ? \($0) : \(place)" } ?? place);")
        rowCount += 1
        return row
    }

    private func alias(_ w: CWriter, named name: String, to operand: String) -> String {
        let alias = "row_\(name)", row = materialized(operand)
        if alias != row {
            w.line("const float *\(alias) = \(row);")
            aliases[alias] = row
            if let value = scalars[row] { scalars[alias] = value }
        }
        return alias
    }

    /// Value of a row in iteration j of the fused loop: a computed value, a literal, or a load.
    private func scalar(_ row: String) -> String {
        if let value = scalars[row] { return value }
        if let literal = literal(of: row) { return literal }
        if let found = constants.first(where: { "row_const\($0.row)" == row }) { return found.literal }
        return "\(row)[j]"
    }

    /// One operation of the body: its row call, and the same operation on element j, `element`
    /// taking the operands' scalars (in the order of `operands`).
    private func op(_ output: String, call: String, operands: [String], libm: Bool = false, element: ([String]) -> String) {
        calls.append(call)
        let value = "s_\(output.dropFirst("row_".count))"
        elements.append("const float \(value) = \(element(operands.map(scalar)));")
        scalars[output] = value
        computed.append(output)
        callsLibm = callsLibm || libm
    }

    /// Operation names whose element helper calls libm (surrogates as `surrogate_<name>`).
    private static let libmOperations: Set<String> = ["exp", "log", "tanh", "sigmoid", "pow", "tanh_derivative", "sigmoid_derivative",
                                                      "surrogate_exponential"]

    /// The constant row of a literal.
    func constantRow(_ literal: String) -> String {
        if let found = constants.first(where: { $0.literal == literal }) { return "row_const\(found.row)" }
        precondition(!preassigned, "literal \(literal) was not found by the dry run")
        constants.append((literal, rowCount))
        rowCount += 1
        return "row_const\(rowCount - 1)"
    }

    /// A literal as an operand of the body: a marker that a binary operation takes as a float
    /// (`rowOp`), and that becomes the literal's constant row wherever a row is read (`materialized`),
    /// so that literals used only as scalars get no row.
    private func literalOperand(_ literal: String) -> String { Self.literalMarker + literal + ")" }
    private static let literalMarker = "literal("

    private func literal(of operand: String) -> String? {
        operand.hasPrefix(Self.literalMarker) ? String(operand.dropFirst(Self.literalMarker.count).dropLast()) : nil
    }

    private func materialized(_ operand: String) -> String { literal(of: operand).map(constantRow) ?? operand }

    /// A plan value as an operand of the body: literals as markers.
    private func valueOperand(_ v: EliminationPlan.Value?) -> String {
        switch v {
        case nil: return literalOperand("0.0f")
        case .constant(let c)?: return literalOperand(CNames.literal(c))
        case .temp(let t)?: return tempRows[t]
        }
    }

    /// Declares the rows of literals in `work`, filled only where `fill` (a C condition) holds, so
    /// that the calls sharing the block fill them once.
    func emitConstantRows(_ w: CWriter, fill: String) {
        for (_, row) in constants { w.line("float *row_const\(row) = work + (long)\(row) * n;") }
        guard !constants.isEmpty else { return }
        w.block("if (\(fill))") {
            for (literal, row) in constants { w.line("plasticity_fill(row_const\(row), n, \(literal));") }
        }
    }

    func valueRow(_ v: EliminationPlan.Value?) -> String {
        switch v {
        case nil: return constantRow("0.0f")
        case .constant(let c)?: return constantRow(CNames.literal(c))
        case .temp(let t)?: return tempRows[t]
        }
    }

    // MARK: the body

    /// Loads, forward values and the local-Jacobian temporaries, as rows. Expects `work`, `n`,
    /// `b`, `t` and the channel current rows `work<c>` in scope. `placements`: temporary → the row
    /// of the chunk record it is written to when `chunked` (an operation's temporaries only, not
    /// partials, which may name rows of other values), so that the record needs no copy.
    func emitBody(_ w: CWriter, placements: [Int: String] = [:]) {
        let k = model.states.count
        if plan.steps.contains(where: { if case .partial(.previousSurrogate) = $0 { return true }; return false }) {
            w.line("const int z_prev_live = !(a->spike_is_initial && t == 0); /* z^{-1} is a constant: no derivative */")
        }
        w.comment("rows: the previous state, the forward values (reset, update, output), then the local Jacobian's")
        w.comment("\(plan.steps.count) temporaries, elimination order \(plan.chosen.rawValue)")
        if k == 2 {
            // both components in one pass (an unused one still gets its row)
            let ids = (0..<2).map { graph.previousState($0) }
            let rows = ids.enumerated().map { s, id in newRow(w, named: id.map(graph.cName) ?? "hp\(s)_unused") }
            let state = "a->state + (long)b * n * 2"
            calls.append("plasticity_row_deinterleave2(\(rows[0]), \(rows[1]), \(state), n);")
            for (s, row) in rows.enumerated() {
                let value = "s_\(row.dropFirst("row_".count))"
                elements.append("const float \(value) = (\(state))[2 * (long)j + \(s)];")
                scalars[row] = value
                computed.append(row)   // stored if read later: a state whose new value is the previous one
            }
            for (id, row) in zip(ids, rows) { if let id { vertexRows[id] = row } }
        }
        for s in model.states.indices where k != 2 {
            guard let id = graph.previousState(s) else { continue }
            let name = graph.cName(id)
            if k == 1 {
                vertexRows[id] = alias(w, named: name, to: "a->state + (long)b * n")
            } else {
                let row = newRow(w, named: name), state = "a->state + (long)b * n * \(k) + \(s)"
                op(row, call: "plasticity_row_gather(\(row), \(state), \(k), n);", operands: []) { _ in "(\(state))[(long)j * \(k)]" }
                vertexRows[id] = row
            }
        }
        for s in model.states.indices { _ = row(of: graph.stateOut(s), w) }
        _ = row(of: graph.layerOutput, w)
        for (i, step) in plan.steps.enumerated() {
            let row: String
            switch step {
            case .partial(let p):
                row = alias(w, named: "t\(i)", to: partialRow(p, w))
            case .product(let a, let b):
                row = newRow(w, named: "t\(i)", placement: placements[i])
                rowOp("multiply", row, [valueOperand(a), valueOperand(b)])
            case .sum(let a, let b):
                row = newRow(w, named: "t\(i)", placement: placements[i])
                rowOp("add", row, [valueOperand(a), valueOperand(b)])
            case .negate(let a):
                row = newRow(w, named: "t\(i)", placement: placements[i])
                rowOp("negate", row, [valueOperand(a)])
            }
            tempRows.append(row)
        }
        emitBodyOperations(w)
    }

    /// A row primitive `plasticity_row_<name>(y, x…, n)`, whose element helper is `plasticity_elem_<name>(x…)`.
    /// A binary operation with one literal operand calls its scalar form (`_rs` or `_sr`), which
    /// takes the literal as a float; any other literal operand becomes its constant row.
    private func rowOp(_ name: String, _ y: String, _ x: [String]) {
        let literals = x.map(literal(of:))
        let call: String
        if Self.scalarForms.contains(name), x.count == 2, literals.compactMap({ $0 }).count == 1 {
            let form = literals[0] != nil ? "sr" : "rs"
            call = "plasticity_row_\(name)_\(form)(\(([y] + zip(x, literals).map { $1 ?? $0 }).joined(separator: ", ")), n);"
        } else {
            call = "plasticity_row_\(name)(\(([y] + x.map(materialized)).joined(separator: ", ")), n);"
        }
        op(y, call: call, operands: x, libm: Self.libmOperations.contains(name)) { "plasticity_elem_\(name)(\($0.joined(separator: ", ")))" }
    }

    /// Operations with scalar forms `plasticity_row_<name>_rs` / `_sr` (plasticity_kernel.h).
    private static let scalarForms = Set(BinaryOp.allCases.map(\.rawValue))

    /// The body's operations: the row calls, or (optimizing compilers, no libm) the fused loop that
    /// stores the rows read after the body — the temporaries, the new state and the output.
    private func emitBodyOperations(_ w: CWriter) {
        func rows() { for call in calls { w.line(call) } }
        guard !callsLibm else { rows(); return }
        func resolved(_ row: String) -> String { aliases[row].map(resolved) ?? row }
        let read = tempRows + model.states.indices.compactMap { vertexRows[graph.stateOut($0)] } + [vertexRows[graph.layerOutput]].compactMap { $0 }
        let stored = Set(read.map(resolved))
        w.line("#ifdef PLASTICITY_TINYCC")
        rows()
        w.line("#else")
        w.comment("one pass over the neurons: iterations touch element j of each row only")
        w.line("#pragma GCC ivdep")
        w.block("for (int j = 0; j < n; ++j)") {
            for element in elements { w.line(element) }
            for row in computed where stored.contains(row) { w.line("\(row)[j] = \(scalars[row]!);") }
        }
        w.line("#endif")
    }

    /// The row of a vertex's value, emitting its operands first.
    private func row(of id: VertexID, _ w: CWriter) -> String {
        if let found = vertexRows[id] { return found }
        let v = graph[id], name = graph.cName(id)
        let result: String
        switch v.kind {
        case .previousState: preconditionFailure("loaded before the forward values")
        case .previousSpike: result = alias(w, named: name, to: "a->spike + (long)b * n")
        case .input(let c): result = "work\(c)"
        case .learnable(let p): result = alias(w, named: name, to: "a->params + (long)\(p) * n")
        case .constant(let c): result = literalOperand(CNames.literal(c))
        case .newState(let s): result = row(of: graph.stateOut(s), w)
        case .stateOut, .layerOutput: result = row(of: v.operands[0], w)
        case .op(.unary(.stopGradient)): result = row(of: v.operands[0], w)
        case .op(.resetTo):
            // z > 0.5 ? reset value : value, as the scalar body
            let x = v.operands.map { row(of: $0, w) }, half = constantRow("0.5f")
            result = newRow(w, named: name)
            rowOp("select_greater", result, [x[0], half, x[1], x[2]])
        case .op(let operation):
            let x = v.operands.map { row(of: $0, w) }
            result = newRow(w, named: name)
            rowOp(Self.primitive(operation), result, x)
        }
        vertexRows[id] = result
        return result
    }

    /// The primitive of an operation: `plasticity_row_<name>` (and its element helper
    /// `plasticity_elem_<name>`) with the DSL operation's name.
    private static func primitive(_ op: Op) -> String {
        switch op {
        case .unary(.stopGradient): preconditionFailure("an alias, not a call")
        case .unary(let u): return u.rawValue
        case .binary(let b): return b.rawValue
        case .select(let c): return "select_\(comparisonName(c))"
        case .resetTo: preconditionFailure("emitted by row(of:), with its 0.5 row")
        case .spike: return "heaviside"
        }
    }

    private static func comparisonName(_ c: Comparison) -> String {
        switch c {
        case .less: return "less"
        case .lessEqual: return "less_equal"
        case .greater: return "greater"
        case .greaterEqual: return "greater_equal"
        }
    }

    /// The row of a partial derivative, one primitive per node of its expression.
    private func partialRow(_ p: Partial, _ w: CWriter) -> String {
        func unary(_ f: String, _ a: String) -> String {
            let y = newRow(w, named: "p\(rowCount)")
            rowOp(f, y, [a])
            return y
        }
        func binary(_ f: String, _ a: Partial, _ b: Partial) -> String {
            let x0 = partialRow(a, w), x1 = partialRow(b, w)
            let y = newRow(w, named: "p\(rowCount)")
            rowOp(f, y, [x0, x1])
            return y
        }
        func surrogate(_ s: Surrogate, _ x: String, _ y: String, live: Bool) {
            let scale = CNames.literal(s.scale), call = "plasticity_row_surrogate_\(s.name)(\(y), \(x), n, \(scale));"
            op(y, call: live ? "if (z_prev_live) \(call) else plasticity_fill(\(y), n, 0.0f);" : call, operands: [x],
               libm: Self.libmOperations.contains("surrogate_\(s.name)")) {
                let value = "plasticity_surrogate_\(s.name)(\($0[0]), \(scale))"
                return live ? "z_prev_live ? \(value) : 0.0f" : value
            }
        }
        switch p {
        case .constant(let c): return literalOperand(CNames.literal(c))
        case .value(let id): return row(of: id, w)
        case .negate(let a): return unary("negate", partialRow(a, w))
        case .add(let a, let b): return binary("add", a, b)
        case .subtract(let a, let b): return binary("subtract", a, b)
        case .multiply(let a, let b): return binary("multiply", a, b)
        case .divide(let a, let b): return binary("divide", a, b)
        case .pow(let a, let b): return binary("pow", a, b)
        case .log(let a): return unary("log", partialRow(a, w))
        case .indicator(let c, let a, let b):
            let x0 = row(of: a, w), x1 = row(of: b, w)
            let y = newRow(w, named: "p\(rowCount)")
            rowOp("indicator_\(Self.comparisonName(c))", y, [x0, x1])
            return y
        case .surrogate(let s, let g):
            let x = materialized(row(of: g, w))
            let y = newRow(w, named: "p\(rowCount)")
            surrogate(s, x, y, live: false)
            return y
        case .tanhDerivative(let x): return unary("tanh_derivative", row(of: x, w))
        case .sigmoidDerivative(let x): return unary("sigmoid_derivative", row(of: x, w))
        case .previousSurrogate(let s, let g):
            let x = materialized(row(of: g, w))
            let y = newRow(w, named: "p\(rowCount)")
            surrogate(s, x, y, live: true)
            return y
        }
    }

    // MARK: outputs

    /// ∂z/∂I of the gain channel, Σ_s ψ_s c_s, into `instant_gain` when the caller asks for it.
    func emitInstantGain(_ w: CWriter, channel: Int?) {
        guard let channel else { return }
        let terms = plan.outputGradient.indices.filter { plan.outputGradient[$0] != nil && nonzero(plan.inputJacobian[$0][channel]) }
        w.block("if (instant_gain)") {
            // Σ_s ψ_s·c_s left to right, as the scalar sum
            var sum: String?
            for s in terms {
                let product = newRow(w, named: "gain\(rowCount)")
                w.line("plasticity_row_multiply(\(product), \(valueRow(plan.outputGradient[s])), \(valueRow(plan.inputJacobian[s][channel])), n);")
                if let previous = sum {
                    let next = newRow(w, named: "gain\(rowCount)")
                    w.line("plasticity_row_add(\(next), \(previous), \(product), n);")
                    sum = next
                } else {
                    sum = product
                }
            }
            if let sum { w.line("plasticity_copy(instant_gain + (long)b * n, \(sum), n);") }
            else { w.line("plasticity_fill(instant_gain + (long)b * n, n, 0.0f);") }
        }
    }

    private func nonzero(_ v: EliminationPlan.Value?) -> Bool {
        if case .constant(0)? = v { return false }
        return v != nil
    }

    /// `destination` row ← a plan value (a fill for literals).
    func emitCopy(_ w: CWriter, to destination: String, _ v: EliminationPlan.Value?) {
        switch v {
        case nil: w.line("plasticity_fill(\(destination), n, 0.0f);")
        case .constant(let c)?: w.line("plasticity_fill(\(destination), n, \(CNames.literal(c)));")
        case .temp(let t)?: w.line("plasticity_copy(\(destination), \(tempRows[t]), n);")
        }
    }

    /// h^t into `state`, ψ^t into `psi`, z^t into row C of `work`: after everything that reads the
    /// previous state (with one state, its row is `state` itself).
    func emitStores(_ w: CWriter) {
        let k = model.states.count
        if k == 2 {
            let states = (0..<2).map { materialized(row(of: graph.stateOut($0), w)) }
            w.line("plasticity_row_interleave2(a->state + (long)b * n * 2, \(states[0]), \(states[1]), n);")
            w.line("plasticity_row_interleave2(a->psi + (long)b * n * 2, \(valueRow(plan.outputGradient[0])), " +
                   "\(valueRow(plan.outputGradient[1])), n);")
            w.line("plasticity_copy(work\(model.inputs.count), \(materialized(row(of: graph.layerOutput, w))), n);")
            return
        }
        for s in model.states.indices {
            let source = materialized(row(of: graph.stateOut(s), w))
            if k == 1 {
                if let previous = graph.previousState(s), vertexRows[previous] == source { continue }   // h^t = h^{t-1}
                w.line("plasticity_copy(a->state + (long)b * n, \(source), n);")
            } else {
                w.line("plasticity_row_scatter(a->state + (long)b * n * \(k) + \(s), \(k), \(source), n);")
            }
        }
        for s in model.states.indices {
            let psi = plan.outputGradient[s]
            if k == 1 { emitCopy(w, to: "a->psi + (long)b * n", psi) }
            else { w.line("plasticity_row_scatter(a->psi + (long)b * n * \(k) + \(s), \(k), \(valueRow(psi)), n);") }
        }
        w.line("plasticity_copy(work\(model.inputs.count), \(materialized(row(of: graph.layerOutput, w))), n);")
    }
}
