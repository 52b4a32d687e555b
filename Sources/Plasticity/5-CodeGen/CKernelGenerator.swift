/// Generated C for one layer, with the layout it implies.
public struct KernelSource: Sendable {
    /// The C translation unit. It includes `plasticity_kernel.h` (runtime-c/include).
    public var text: String
    public var layout: KernelLayout
    public var plan: EliminationPlan
    public static let headerInclude = "#include \"plasticity_kernel.h\""
}

/// Emits the kernel of one layer: `plasticity_info`, `plasticity_local_step` (one step with dense
/// local Jacobians, for oracles and inspection) and `plasticity_run` (the fused forward + trace
/// loop over T steps). No globals but the constant info, no allocation, deterministic output.
struct CKernelGenerator {
    let kernel: LayerKernel
    var model: CheckedModel { kernel.model }
    var plan: EliminationPlan { kernel.plan }
    var layout: KernelLayout { kernel.layout }
    var body: CBodyEmitter { CBodyEmitter(body: kernel.body) }

    /// The translation unit of a single-layer kernel: the layer's functions plus the exported
    /// entry points of the ABI.
    func emit() -> String {
        let w = CWriter()
        emitPreamble(w, title: "model '\(model.name)'")
        emitLayerFunctions(w, prefix: "layer0")
        w.line("const plasticity_kernel_info *plasticity_info(void) { return &layer0_info; }")
        w.block("void plasticity_local_step(const plasticity_layer_args *a, const float *current, const plasticity_local_jacobian *jac)") {
            w.line("layer0_local_step(a, current, jac);")
        }
        w.block("int plasticity_run(const plasticity_layer_args *a)") {
            w.line("for (int t = 0; t < a->n_steps; ++t) layer0_step(a, t, a->input + (long)t * a->batch * a->n_in, a->batch_begin, a->batch_end);")
            w.line("return 0;")
        }
        return w.text
    }

    /// Comments naming the model and plan, and the ABI header.
    func emitPreamble(_ w: CWriter, title: String) {
        w.comment("Plasticity kernel for \(title). Generated: do not edit.")
        w.line("#define PLASTICITY_GENERATED 1")
        w.line(KernelSource.headerInclude)
        w.blank()
    }

    /// `<prefix>_info`, `<prefix>_local_step` and `<prefix>_step` (one time step of the layer for
    /// the whole batch), all static: a network kernel emits one set per layer.
    func emitLayerFunctions(_ w: CWriter, prefix: String) {
        w.comment("layer \(prefix): model '\(model.name)'")
        w.comment("states: \(model.states.map(\.name).joined(separator: ", ")) | inputs: \(model.inputs.joined(separator: ", ")) | learnable: " +
                  "\(model.learnables.map(\.name).joined(separator: ", "))")
        w.comment("elimination order: \(plan.chosen.rawValue), \(plan.multiplies) multiplies per neuron and step, \(plan.partialMultiplies) more " +
                  "in partials")
        w.comment("reset gradient: \(model.resetGradient.rawValue)")
        emitInfo(w, name: "\(prefix)_info")
        w.blank()
        emitLocalStep(w, name: "\(prefix)_local_step")
        w.blank()
        emitStep(w, name: "\(prefix)_step")
        w.blank()
    }

    // MARK: info

    private func emitInfo(_ w: CWriter, name: String) {
        func list(_ xs: [Int]) -> String { "{" + xs.map(String.init).joined(separator: ", ") + "}" }
        let p = layout.projections
        w.line("static const plasticity_kernel_info \(name) = {")
        w.line("    PLASTICITY_ABI_VERSION, \(layout.stateCount), \(layout.channelCount), \(layout.learnableCount), \(p.count), " +
               "\(layout.spiking ? 1 : 0),")
        w.line("    \(list(p.map { $0.source == .input ? 0 : 1 })), \(list(p.map(\.channel))),")
        w.line("    \(list(p.map(\.components.count))), \(list(p.map(\.sharedCount))), \(layout.parameterTraceComponents)")
        w.line("};")
    }

    // MARK: plan values

    func value(_ v: EliminationPlan.Value?) -> String? {
        switch v {
        case nil: return nil
        case .constant(let c)?: return c == 0 ? nil : CNames.literal(c)
        case .temp(let t)?: return "t\(t)"
        }
    }

    /// `Σ coefficient·term` with structural zeros dropped and unit coefficients not multiplied;
    /// a nil term stands for the coefficient alone.
    func linearCombination(_ terms: [(EliminationPlan.Value?, String?)]) -> String {
        let parts: [String] = terms.compactMap { coefficient, term in
            guard let c = value(coefficient) else { return nil }
            guard let term else { return c }
            if case .constant(1)? = coefficient { return term }
            return "\(c) * \(term)"
        }
        return parts.isEmpty ? "0.0f" : parts.joined(separator: " + ")
    }

    private var psiExpressions: [String] { plan.outputGradient.map { value($0) ?? "0.0f" } }

    /// h^t, ψ^t and z^t of one neuron (`plasticity_local_step`), after its body.
    private func emitStoreState(_ w: CWriter) {
        for store in kernel.body.stores {
            let value = body.scalarOperand(store.source)
            switch store.view {
            case .state(let s): w.line("st[\(s)] = \(value);")
            case .psi(let s): w.line("ps[\(s)] = \(value);")
            case .nextSpike: w.line("a->spike[nj] = \(value);")
            default: preconditionFailure("a body stores only h, psi and z")
            }
        }
    }

    // MARK: plasticity_local_step

    private func emitLocalStep(_ w: CWriter, name: String) {
        let k = model.states.count, C = model.inputs.count, P = model.learnables.count
        w.block("static void \(name)(const plasticity_layer_args *a, const float *current, const plasticity_local_jacobian *jac)") {
            w.line("const int n = a->n;")
            w.block("for (int b = a->batch_begin; b < a->batch_end; ++b)") {
                w.block("for (int j = 0; j < n; ++j)") {
                    w.line("const long nj = (long)b * n + j;")
                    w.line("float *st = a->state + nj * \(k);")
                    w.line("float *ps = a->psi + nj * \(k);")
                    w.line("const float *cur = current + nj * \(max(C, 1));")
                    body.emitScalars(w)
                    emitStoreState(w)
                    w.block("if (jac)") {
                        // Many structural zeros as one loop, then a line per nonzero: a line per cell made the C
                        // (and its compile) quadratic in the states.
                        func dense(_ field: String, _ cells: [EliminationPlan.Value?], _ stride: Int) {
                            guard !cells.isEmpty else { return }
                            w.block("if (jac->\(field))") {
                                w.line("float *m = jac->\(field) + nj * \(stride);")
                                let nonzero = cells.enumerated().compactMap { i, cell in value(cell).map { (i, $0) } }
                                if cells.count - nonzero.count > 8 {
                                    w.line("for (int i = 0; i < \(stride); ++i) m[i] = 0.0f;")
                                    for (i, text) in nonzero { w.line("m[\(i)] = \(text);") }
                                } else {
                                    for (i, cell) in cells.enumerated() { w.line("m[\(i)] = \(value(cell) ?? "0.0f");") }
                                }
                            }
                        }
                        // D row-major, from its nonzeros: never a k² array in the compiler.
                        func sparse(_ field: String, _ block: SparseBlock, _ stride: Int) {
                            guard block.nonzeroCount + 8 >= stride else {
                                w.block("if (jac->\(field))") {
                                    w.line("float *m = jac->\(field) + nj * \(stride);")
                                    w.line("for (int i = 0; i < \(stride); ++i) m[i] = 0.0f;")
                                    for (s, row) in block.rows.enumerated() {
                                        for entry in row.nonzeros {
                                            w.line("m[\(s * block.columns + entry.column)] = \(value(entry.value) ?? "0.0f");")
                                        }
                                    }
                                }
                                return
                            }
                            dense(field, block.rows.flatMap { $0.dense(columns: block.columns) }, stride)
                        }
                        sparse("state_jacobian", plan.stateJacobian, k * k)
                        dense("input_jacobian", plan.inputJacobian.flatMap { $0 }, k * C)
                        dense("param_jacobian", plan.parameterJacobian.flatMap { $0 }, k * P)
                        dense("output_gradient", plan.outputGradient, k)
                        dense("output_param_gradient", plan.outputParameterGradient, P)
                    }
                }
            }
        }
    }

    // MARK: one time step

    /// One step t of the layer for sequences [b_begin, b_end) of the call's slice, from presynaptic
    /// activity x_t [batch][n_in]: the declarations, then the step tree of the kernel IR (`LayerKernel.step`).
    private func emitStep(_ w: CWriter, name: String) {
        let C = model.inputs.count
        w.block("static void \(name)(const plasticity_layer_args *a, int t, const float *x_t, int b_begin, int b_end)") {
            w.line("const int n = a->n, n_in = a->n_in, B = a->batch;")
            w.line("const float kappa = a->kappa;")
            w.comment("the slice's \(layout.workRows) scratch rows, in the block of its first sequence, so that one block stays in cache:")
            w.comment("currents, next spikes, literals, values. The call that starts the slice fills the literals")
            w.line("float *work = a->work + (long)a->batch_begin * n * \(layout.workRows);")
            for c in 0...C { w.line("float *work\(c) = work + (long)\(c) * n;") }
            body.emitConstantRows(w, fill: "b_begin == a->batch_begin")
            w.line("float *instant_gain = a->instant_gain;")
            w.line("const int chunked = a->chunk_steps;")
            if layout.projections.contains(where: { !$0.components.isEmpty }) {
                w.line("const int chunk_step = t - a->chunk_first; /* chunked: the step within the chunk */")
            }
            if !layout.chunkRecordOwners.isEmpty { w.comment("chunk mode: this step's rows of the chunk record, the slice's, reused by its " +
                                                             "sequences in turn") }
            for p in layout.chunkRecordOwners {
                w.line("float *record\(p) = chunked ? a->chunk_record[\(p)] + ((long)a->batch_begin * a->chunk_steps + t - a->chunk_first) * " +
                       "\(layout.projections[p].recordWidth) * n : 0;")
            }
            emitAll(kernel.step, w)
        }
    }

    /// Statements in order, each followed by its profile lap (`profileLaps`).
    private func emitAll(_ statements: [KernelStatement<LayerStepOperation>], _ w: CWriter) {
        for (statement, lap) in zip(statements, profileLaps(statements, { $0.phase(in: layout) })) {
            emit(statement, w)
            if let lap { w.line(lap.lap("a->profile")) }
        }
    }

    /// A statement of the step tree; `if (c) for (...)` when a region holds one loop only.
    private func emit(_ statement: KernelStatement<LayerStepOperation>, _ w: CWriter, prefix: String = "") {
        switch statement {
        case .run(let op): emit(op, w)
        case .loop(.sequences, let inner):
            w.block(prefix + "for (int b = b_begin; b < b_end; ++b)") {
                w.line("const float *x = x_t + (long)b * n_in;")
                w.line("const float *z = a->spike + (long)b * n;")
                emitAll(inner, w)
            }
        case .loop(.neurons, let inner):
            w.block(prefix + "for (int j = 0; j < n; ++j)") {
                w.line("const long nj = (long)b * n + j;")
                emitAll(inner, w)
            }
            w.line(ProfilePhase.tracePropagation.lap("a->profile"))
        case .loop(let loop, _): preconditionFailure("a layer step has no loop over \(loop.rawValue)")
        case .when(.synapseRowsLive(nil), let inner):
            // rows that can never be skipped are always live: gradient passes skip rows not marked live
            w.line("a->synapses_live[nj] = 1.0f;")
            emitAll(inner, w)
        case .when(.synapseRowsLive(let temporaries?), let inner):
            w.line("float *live = a->synapses_live + nj;")
            w.comment("psi = 0: rows that are exactly zero stay zero")
            w.block("if (*live != 0.0f || !(\(temporaries.map { "t\($0) == 0.0f" }.joined(separator: " && "))))") {
                w.line("*live = 1.0f;")
                emitAll(inner, w)
            }
        case .when(let condition, let inner):
            let header = condition == .chunked ? "if (chunked) " : "if (!chunked) "
            if inner.count == 1, case .loop = inner[0] { emit(inner[0], w, prefix: header); return }
            w.block(String(header.dropLast())) { emitAll(inner, w) }
        }
    }

    private func emit(_ op: LayerStepOperation, _ w: CWriter) {
        switch op {
        case .gather(let p, let kept): emitGather(w, projection: p, keptForChunk: kept)
        case .current(let c, let projections): emitCurrent(w, channel: c, projections: projections)
        case .noise(let c, let distribution):
            w.comment("noise source \(c): one draw per neuron, keyed by the seed, the sequence, the step and the channel")
            w.line("plasticity_noise_fill(work\(c), n, \(distribution == .normal ? "PLASTICITY_NOISE_NORMAL" : "PLASTICITY_NOISE_UNIFORM"), " +
                   "a->noise_seed, b, a->noise_step + t, \(c));")
        case .presynapticTrace(let p, let keepsPrevious): emitPresynapticTrace(w, projection: p, keepsPrevious: keepsPrevious)
        case .body: body.emitBody(w)
        case .instantGain: body.emitInstantGain(w)
        case .recordCopies: body.emitRecordCopies(w)
        case .temporaries: for (i, t) in kernel.body.temporaries.enumerated() { w.line("const float t\(i) = \(body.rowElement(t));") }
        case .synapseTraces(let p, _): emitSynapseTraces(w, projection: p)
        case .traceSums(let p): emitTraceSums(w, projection: p)
        case .parameterTrace(let p): emitParameterTrace(w, parameter: p)
        case .stores:
            w.comment("stores, after every read of the previous state")
            body.emitStores(w)
        case .records:
            let C = model.inputs.count, k = model.states.count
            w.comment("optional records")
            w.line("if (a->output_record) plasticity_copy(a->output_record + ((long)t * B + b) * n, work\(C), n);")
            w.line("if (a->spike_count) plasticity_axpy(a->spike_count, work\(C), n, 1.0f);")
            w.line("if (a->state_record) plasticity_copy(a->state_record + ((long)t * B + b) * n * \(k), a->state + (long)b * n * \(k), " +
                   "n * \(k));")
        case .nextSpikes:
            w.comment("the new spikes become the previous spikes of the next step")
            w.line("plasticity_copy(a->spike + (long)b * n, work\(model.inputs.count), n);")
        }
    }

    /// Event-driven input: the nonzero presynaptic entries of projection p, gathered once per step;
    /// chunked, a projection with a trace keeps its list in chunk_events for the chunk's synapse pass.
    private func emitGather(_ w: CWriter, projection p: Int, keptForChunk: Bool) {
        let (pre, count) = preActivity(layout.projections[p])
        let offset = (["0"] + layout.projections[..<p].map { preActivity($0).count }).joined(separator: " + ")
        if p == 0 { w.comment("event-driven input: gather the nonzero presynaptic entries once per step") }
        if !keptForChunk {
            w.line("int *active\(p) = a->active + \(offset);")
        } else {
            w.comment("chunked, the list stays in chunk_events for the chunk's synapse pass (KernelLayout.chunkListSlots)")
            let slots = layout.chunkListSlots(before: p).c(steps: "a->chunk_steps", inputs: "n_in", neurons: "n")
            w.line("int *first\(p) = chunked ? a->chunk_events + \(slots) : 0;")
            w.line("if (first\(p) && chunk_step == 0) first\(p)[0] = 0;")
            w.line("int *active\(p) = first\(p) ? first\(p) + a->chunk_steps + 1 + first\(p)[chunk_step] : a->active + \(offset);")
        }
        w.line("const int count\(p) = plasticity_nonzero(\(pre), \(count), active\(p));")
        w.line("if (a->profile_events) a->profile_events[\(layout.projections[p].source == .input ? 0 : 1)] += count\(p);")
        if keptForChunk { w.line("if (first\(p)) first\(p)[chunk_step + 1] = first\(p)[chunk_step] + count\(p);") }
    }

    /// I_c = Σ over the projections into c of W x over the active columns, as rows of Wᵀ: each
    /// neuron's sum keeps the order of the active inputs.
    private func emitCurrent(_ w: CWriter, channel c: Int, projections: [Int]) {
        if c == 0 {
            w.comment("synaptic input per channel: I_c = sum over projections into c of W x, active columns only,")
            w.comment("as rows of W transposed: each neuron's sum keeps the order of the active inputs")
        }
        if projections.isEmpty { w.line("plasticity_fill(work\(c), n, 0.0f);") }
        for (k, p) in projections.enumerated() {
            let (pre, _) = preActivity(layout.projections[p])
            if layout.projections[p].delayedEvents {
                w.comment("projection \(p) has synaptic delays: its events go to the ring rows of their arrivals, the step takes its row")
                w.line("a->delay_arrivals(work\(c), a->arrivals + (long)b * a->arrival_rows * n, a->arrival_rows, a->noise_step + t, \(pre), " +
                       "active\(p), count\(p), a->synapse_lag, a->synapse_low, a->synapse_high, n, \(k == 0 ? 0 : 1));")
            } else {
                w.line("plasticity_combine_rows(work\(c), a->weights_transposed[\(p)], n, active\(p), \(pre), count\(p), n, \(k == 0 ? 0 : 1));")
            }
            w.line(LayerStepOperation.gather(projection: p, keptForChunk: false).phase(in: layout)!.lap("a->profile"))
        }
    }

    private func preActivity(_ projection: KernelLayout.Projection) -> (pointer: String, count: String) {
        projection.source == .input ? ("x", "n_in") : ("z", "n")
    }

    /// ε ← D ε + seed over the stored components, in place: `slot(r)` is the C lvalue of
    /// component r, `seed(s)` the coefficient and term driving state s. Leaves `e<r>` in scope.
    /// Only the components at `rows` are advanced (all by default); `previous(r)` reads
    /// component r before the step (`slot` by default).
    private func emitPropagation(_ w: CWriter, components: [Int], rows: Range<Int>? = nil, previous: ((Int) -> String)? = nil,
                                 slot: (Int) -> String, seed: (Int) -> (EliminationPlan.Value?, String?)) {
        let rows = rows ?? components.indices
        for r in rows {
            let s = components[r]
            let terms = components.enumerated().map { q in (plan.stateJacobian[s][q.element], Optional(previous?(q.offset)
                ?? slot(q.offset))) } + [seed(s)]
            w.line("const float e\(r) = \(linearCombination(terms));")
        }
        for r in rows { w.line("\(slot(r)) = e\(r);") }
    }

    /// C pointers into `eligibility_vector[p]` (layout in `KernelLayout.Projection`) for sequence
    /// b and, per synapse, neuron j (`nj` in scope): x̄, x̄ of the previous step, ε per synapse.
    private func eligibilityPointers(_ p: Int) -> (shared: String, previous: String, perSynapse: String) {
        let projection = layout.projections[p], count = preActivity(projection).count
        let s = projection.sharedCount, r = projection.perSynapseCount
        let base = "a->eligibility_vector[\(p)]"
        let shared = s == 0 ? base : "\(base) + (long)b * \(count) * \(s)"
        let previous = "\(base) + ((long)B + b) * \(count) * \(s)"
        let blocks = projection.sharedBlocks * s
        let perSynapse = blocks == 0 ? "\(base) + nj * \(count) * \(r)" : "\(base) + (long)B * \(count) * \(blocks) + nj * \(count) * \(r)"
        return (shared, previous, perSynapse)
    }

    /// `Σ ψ_s e<r>` over the stored components.
    private func psiDotEligibility(_ components: [Int], _ component: (Int) -> String) -> [String] {
        components.enumerated().map { "\(psiExpressions[$0.element]) * \(component($0.offset))" }
    }

    /// Presynaptic trace x̄ = D x̄ + c x of projection p's shared components (D, c constant there),
    /// once per step; x̄ of the previous step is kept first when per-synapse components read it.
    private func emitPresynapticTrace(_ w: CWriter, projection p: Int, keepsPrevious: Bool) {
        let projection = layout.projections[p]
        let (pre, count) = preActivity(projection), shared = Array(projection.components.prefix(projection.sharedCount))
        let names = shared.map { model.states[$0].name }.joined(separator: " ")
        w.comment("projection \(p): presynaptic trace of \(names), shared by all neurons since D and c are constant there")
        w.block("") {
            let pointers = eligibilityPointers(p)
            w.line("float *xbar = \(pointers.shared);")
            if keepsPrevious { w.line("plasticity_copy(\(pointers.previous), xbar, \(count) * \(shared.count));") }
            w.block("for (int i = 0; i < \(count); ++i)") {
                w.line("float *e = xbar + (long)i * \(shared.count);")
                emitPropagation(w, components: shared, slot: { "e[\($0)]" }) { (plan.inputJacobian[$0][projection.channel], "\(pre)[i]") }
            }
        }
    }

    /// ε_ji = D ε_ji + c x_i, ē_ji = κ ē_ji + ψ·ε_ji for every synapse of neuron j; the shared
    /// components are read from x̄ (advanced before), the others stored per synapse.
    private func emitSynapseTraces(_ w: CWriter, projection p: Int) {
        let projection = layout.projections[p]
        let (pre, count) = preActivity(projection), comps = projection.components, m = comps.count
        let shared = projection.sharedCount, r = projection.perSynapseCount, channel = projection.channel
        let kind = projection.factorized ? "from the presynaptic trace" : shared > 0 ? "\(shared) shared, \(r) per synapse" : "vectors, \(m) " +
            "per synapse"
        w.comment("projection \(p), \(projection.source.rawValue): eligibility \(kind)")
        w.block("") {
            let pointers = eligibilityPointers(p)
            w.line("float *ebar = a->eligibility_trace[\(p)] + nj * \(count);")
            if shared > 0 { w.line("const float *xbar = \(pointers.shared);") }
            if r > 0 { w.line("float *eps = \(pointers.perSynapse);") }
            if shared > 0 && r > 0 { w.line("const float *xbar_prev = \(pointers.previous);") }
            let coefficient = { (v: SynapseTraces.Coefficient) in value(v) ?? "0.0f" }
            let list = { (vs: [SynapseTraces.Coefficient]) in vs.map(coefficient).joined(separator: ", ") }
            switch kernel.synapses.loop(of: p) {
            case .presynapticAxpby(let psi):
                w.line("plasticity_axpby(ebar, xbar, \(count), kappa, \(coefficient(psi)));")
            case .presynapticSum:
                let e = psiDotEligibility(comps) { "xbar[(long)i * \(m) + \($0)]" }.joined(separator: " + ")
                w.line("for (int i = 0; i < \(count); ++i) ebar[i] = kappa * ebar[i] + \(e);")
            case .trace1(let d, let c, let psi):
                w.line("plasticity_trace1(eps, ebar, \(pre), \(count), \(list([d, c, psi])), kappa);")
            case .trace2(let d, let c, let psi):
                w.line("plasticity_trace2(eps, ebar, \(pre), \(count), \(list(d + c + psi)), kappa);")
            case .trace1Shared1(let dShared, let dOwn, let c, let psi):
                // no input term when c is structurally zero there (ALIF): x = 0 skips it
                let x = value(c) == nil ? "0" : pre
                w.line("plasticity_trace1_shared1(eps, ebar, xbar_prev, xbar, \(x), \(count), \(list([dShared, dOwn, c] + psi)), kappa);")
            case .general:
                w.block("for (int i = 0; i < \(count); ++i)") {
                    w.line("float *e = eps + (long)i * \(r);")
                    w.line("const float x_i = \(pre)[i];")
                    let previous = { (q: Int) in q < shared ? "xbar_prev[(long)i * \(shared) + \(q)]" : "e[\(q - shared)]" }
                    emitPropagation(w, components: comps, rows: shared..<m, previous: previous, slot: { "e[\($0 - shared)]" }) {
                        (plan.inputJacobian[$0][channel], "x_i")
                    }
                    for q in 0..<shared { w.line("const float e\(q) = xbar[(long)i * \(shared) + \(q)];") }
                    w.line("ebar[i] = kappa * ebar[i] + \(psiDotEligibility(comps) { "e\($0)" }.joined(separator: " + "));")
                }
            }
        }
    }

    /// Optional sums over steps: Σ e = Σ ψ·ε (rate regularization) and Σ ē (time-summed losses),
    /// in separate loops so they cost nothing when their buffers are absent.
    private func emitTraceSums(_ w: CWriter, projection p: Int) {
        let projection = layout.projections[p]
        let (_, count) = preActivity(projection), shared = projection.sharedCount, r = projection.perSynapseCount
        let pointers = eligibilityPointers(p)
        w.block("if (a->eligibility_sum[\(p)])") {
            w.line("float *esum = a->eligibility_sum[\(p)] + (long)j * \(count);")
            if shared > 0 { w.line("const float *xbar_sum = \(pointers.shared);") }
            if r > 0 { w.line("const float *eps_sum = \(pointers.perSynapse);") }
            let e = psiDotEligibility(projection.components) {
                $0 < shared ? "xbar_sum[(long)i * \(shared) + \($0)]" : "eps_sum[(long)i * \(r) + \($0 - shared)]"
            }.joined(separator: " + ")
            w.line("for (int i = 0; i < \(count); ++i) esum[i] += \(e);")
        }
        w.block("if (a->eligibility_trace_sum[\(p)])") {
            w.line("float *bsum = a->eligibility_trace_sum[\(p)] + nj * \(count);")
            w.line("const float *ebar_now = a->eligibility_trace[\(p)] + nj * \(count);")
            w.line("for (int i = 0; i < \(count); ++i) bsum[i] += ebar_now[i];")
        }
    }

    /// ε_θ = D ε_θ + ∂h/∂θ, ē_θ = κ ē_θ + ψ·ε_θ + ∂z/∂θ for learnable parameter p of neuron j.
    private func emitParameterTrace(_ w: CWriter, parameter p: Int) {
        let M = layout.parameterTraceComponents, P = model.learnables.count
        w.comment("learnable parameter \(p): eligibility vector and trace")
        w.block("") {
            w.line("float *pe = a->param_eligibility_vector + nj * \(max(M, 1));")
            w.line("float *pt = a->param_eligibility_trace + nj * \(P);")
            let comps = layout.parameterComponents[p], offset = layout.parameterOffsets[p]
            emitPropagation(w, components: comps, slot: { "pe[\(offset + $0)]" }) { (plan.parameterJacobian[$0][p], nil) }
            let direct = value(plan.outputParameterGradient[p]).map { [$0] } ?? []
            let e = psiDotEligibility(comps) { "e\($0)" } + direct
            w.line("const float e_theta = \(e.isEmpty ? "0.0f" : e.joined(separator: " + "));")
            w.line("pt[\(p)] = kappa * pt[\(p)] + e_theta;")
            w.line("if (a->param_eligibility_sum) a->param_eligibility_sum[(long)j * \(P) + \(p)] += e_theta;")
            w.line("if (a->param_eligibility_trace_sum) a->param_eligibility_trace_sum[nj * \(P) + \(p)] += pt[\(p)];")
        }
    }
}

extension JacobianGraph {
    /// The C identifier (or literal) of a vertex's value in generated code.
    func cName(_ id: VertexID) -> String {
        let v = self[id]
        switch v.kind {
        case .previousState(let s): return CNames.identifier("hp", s, v.label)
        case .previousSpike: return "z_prev"
        case .input(let c): return CNames.identifier("in", c, v.label)
        case .learnable(let p): return CNames.identifier("th", p, v.label)
        case .newState(let s): return cName(stateOut(s))
        case .constant(let c): return CNames.literal(c)
        case .op: return CNames.identifier("v", id.raw, v.label)
        case .stateOut(let s): return CNames.identifier("h", s, v.label)
        case .layerOutput: return "out"
        }
    }
}
