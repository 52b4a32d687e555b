/// Emits the network kernel: every hidden layer's step functions (from `CKernelGenerator`),
/// `plasticity_layer_info`, `plasticity_layer_local_step`, and `plasticity_network_run`, which
/// prints the network loop of the kernel IR (`NetworkOperation`): layers, readout, loss, learning
/// signals, gradient accumulation, chunk passes.
struct CNetworkGenerator {
    let layers: [CKernelGenerator]
    let loop: [KernelStatement<NetworkOperation>]
    let network: NetworkSpec

    init(_ kernel: NetworkKernelIR) {
        layers = kernel.layers.map(CKernelGenerator.init(kernel:))
        loop = kernel.loop
        network = kernel.network
    }

    func emit() -> String {
        let w = CWriter()
        let names = layers.map { "'\($0.model.name)'" }.joined(separator: ", ")
        layers[0].emitPreamble(w, title: "a network of \(layers.count) hidden layers: \(names); loss \(network.loss.rawValue)")
        InputDelays.cSummary(of: network)?.forEach { w.comment($0) }
        for (l, layer) in layers.enumerated() { layer.emitLayerFunctions(w, prefix: "layer\(l)") }
        w.block("const plasticity_kernel_info *plasticity_layer_info(int l)") {
            for l in layers.indices { w.line("if (l == \(l)) return &layer\(l)_info;") }
            w.line("return 0;")
        }
        w.block("void plasticity_layer_local_step(int l, const plasticity_layer_args *a, const float *current, const " +
                "plasticity_local_jacobian *jac)") {
            for l in layers.indices { w.line("if (l == \(l)) layer\(l)_local_step(a, current, jac);") }
        }
        w.blank()
        emitChunkRecordTables(w)
        emitRun(w)
        return w.text
    }

    /// `plasticity_network_run`: the declarations, then the network loop of the kernel IR (`NetworkKernelIR.loop`).
    private func emitRun(_ w: CWriter) {
        w.block("int plasticity_network_run(plasticity_network_args *net)") {
            w.line("const int B = net->batch, n_out = net->n_out, T = net->n_steps;")
            w.line("const int n_last = net->layers[\(layers.count - 1)].n;")
            w.line("const float kappa = net->kappa;")
            w.line("const int K = net->chunk_steps; /* > 0: traces advance once per chunk of K steps */")
            w.line("net->failed_step = -1;")
            w.line("net->failed_tensor = PLASTICITY_TENSOR_NONE;")
            w.line("if (net->profile) net->profile[PLASTICITY_PROFILE_LAST] = plasticity_ticks();")
            emitAll(loop, w)
            w.line(ProfilePhase.other.lap("net->profile"))
            w.line("return 0;")
        }
    }

    /// Statements in order, each followed by its profile lap (`profileLaps`).
    private func emitAll(_ statements: [KernelStatement<NetworkOperation>], _ w: CWriter) {
        for (statement, lap) in zip(statements, profileLaps(statements, \.phase)) {
            emit(statement, w)
            if let lap { w.line(lap.lap("net->profile")) }
        }
    }

    private func emit(_ statement: KernelStatement<NetworkOperation>, _ w: CWriter) {
        switch statement {
        case .run(let op): emit(op, w)
        case .loop(.chunks, let inner):
            w.comment("sequences are independent: each runs a chunk (step by step: the whole of T) on its own, so that")
            w.comment("its traces and chunk rows stay in cache from the step that writes them to the pass that reads them")
            w.block("for (int t0 = 0; t0 < T; t0 += K > 0 ? K : T)") {
                w.line("const int t1 = K > 0 && t0 + K < T ? t0 + K : T;")
                emitAll(inner, w)
            }
        case .loop(.sequences, let inner): w.block("for (int b = net->batch_begin; b < net->batch_end; ++b)") { emitAll(inner, w) }
        case .loop(.steps, let inner): w.block("for (int t = t0; t < t1; ++t)") { emitAll(inner, w) }
        case .loop(.neurons, _): preconditionFailure("the network loop has no loop over neurons of its own")
        case .when(let condition, let inner):
            guard !inner.isEmpty else { return }
            switch condition {
            case .chunked: w.block("if (K > 0)") { emitAll(inner, w) }
            case .stepMode: w.block("if (K == 0)") { emitAll(inner, w) }
            case .synapseRowsLive: preconditionFailure("synapse rows are a layer's")
            }
        }
    }

    private func emit(_ op: NetworkOperation, _ w: CWriter) {
        switch op {
        case .startChunk: for l in layers.indices { w.line("net->layers[\(l)].chunk_first = t0;") }
        case .keepSpikes(0, .beforeChunk):
            w.comment("the chunk's presynaptic rows start with the spikes from before it, its readout gradient with z-bar")
            emitKeepSpikes(w, layer: 0, slot: "0")
        case .keepSpikes(let l, let slot): emitKeepSpikes(w, layer: l, slot: slot == .beforeChunk ? "0" : "t - t0 + 1")
        case .delayLine(let l): emitDelayLine(w, layer: l)
        case .delayOwnSpikes(let l):
            w.block("") {
                w.comment("layer \(l)'s spikes into its delay line, after its input: its delayed recurrence reads them from the next step")
                w.line("plasticity_layer_args *a = &net->layers[\(l)];")
                w.line("const int now = (int)((a->noise_step + t) % a->delay_rows), n_input = a->delay_width - a->n;")
                w.line("float *row = a->delay_line + ((long)b * a->delay_rows + now) * a->delay_width + n_input;")
                w.line("plasticity_copy(row, a->spike + (long)b * a->n, a->n);")
            }
        case .keepTaps(let l):
            w.block("") {
                w.line("const plasticity_layer_args *a = &net->layers[\(l)];")
                w.line("plasticity_copy(\(sliceRow("a->chunk_taps", rows: "(K + 1)", row: "t - t0 + 1", width: "a->n_in")), " +
                       "a->taps + (long)b * a->n_in, a->n_in);")
            }
        case .keepReadoutTrace:
            w.line("plasticity_copy(\(sliceRow("net->chunk_readout_trace", rows: "1", row: "0", width: "n_last")), net->readout_trace " +
                   "+ (long)b * n_last, n_last);")
        case .layerStep(let l, let input):
            if l == 0 { w.comment("hidden layers, bottom up: layer l+1 reads the spikes layer l emitted at this step") }
            let x: String
            switch input {
            case .networkInput:
                x = "net->input + (long)t * B * net->n_in"
                w.comment("the next step's input row of this sequence, which the hardware would not prefetch")
                w.line("if (t + 1 < t1) plasticity_prefetch(net->input + ((long)(t + 1) * B + b) * net->n_in, net->n_in);")
            case .layer(let below): x = "net->layers[\(below)].spike"
            case .taps(let l), .arrivals(let l): x = "net->layers[\(l)].taps"   // the event form steps on its taps too: x itself
            }
            w.line("layer\(l)_step(&net->layers[\(l)], t, \(x), b, b + 1);")
        case .checkFinite(let tensor): emitCheckFinite(w, tensor)
        case .readout(let l): emitReadout(w, layer: l)
        case .recordReadout: w.line("if (net->readout_record) plasticity_copy(net->readout_record + ((long)t * B + b) * n_out, y, n_out);")
        case .loss: emitLoss(w)
        case .readoutGradient: emitReadoutGradient(w)
        case .learningSignal(let l, let symmetric, let above): emitLearningSignal(w, layer: l, symmetric: symmetric, backwardFrom: above)
        case .synapseGradient(let l, let p): emitSynapseGradient(w, layer: l, projection: p)
        case .parameterGradient(let l, let count): emitParameterGradient(w, layer: l, parameters: count)
        case .chunkTraces(let l, let owners, let projections, let inputs):
            emitChunkEnd(w, layer: l, owners: owners, projections: Array(zip(projections, inputs)))
        case .chunkReadout(let l):
            w.comment("the readout gradient of the chunk, folded onto the last layer's spikes")
            w.line("net->chunk_readout(net->grad_readout_weights,")
            w.line("    \(sliceRow("net->chunk_error", rows: "K", row: "0", width: "n_out")),")
            w.line("    \(sliceRow("net->layers[\(l)].chunk_spikes", rows: "(K + 1)", row: "0", width: "n_last")),")
            w.line("    \(sliceRow("net->chunk_readout_trace", rows: "1", row: "0", width: "n_last")),")
            w.line("    t1 - t0, n_last, n_out, kappa, net->layers[\(l)].active);")
        case .chunkFlush(let l, let projections): emitChunkFlush(w, layer: l, projections: projections)
        }
    }

    /// Stops the run at the first tensor that is not finite, naming the step and the tensor.
    private func emitCheckFinite(_ w: CWriter, _ tensor: NetworkOperation.Tensor) {
        switch tensor {
        case .layerState(let l):
            w.block("") {
                w.line("const plasticity_layer_args *a = &net->layers[\(l)];")
                w.line("const long per_sequence = (long)a->n * \(layers[l].model.states.count);")
                w.block("if (!plasticity_all_finite(a->state + b * per_sequence, per_sequence))") {
                    w.line("net->failed_step = t; net->failed_tensor = PLASTICITY_TENSOR_LAYER_STATE + \(l); return 1;")
                }
            }
        case .readout:
            w.block("if (!plasticity_all_finite(y, n_out))") {
                w.line("net->failed_step = t; net->failed_tensor = PLASTICITY_TENSOR_READOUT; return 1;")
            }
        case .loss:
            w.block("if (!(net->loss_sum == net->loss_sum) || net->loss_sum - net->loss_sum != 0.0)") {
                w.line("net->failed_step = t; net->failed_tensor = PLASTICITY_TENSOR_LOSS; return 1;")
            }
        case .gradient(let l, let p):
            if l == 0 && p == 0 { w.comment("accumulated gradients must be finite") }
            let pre = layers[l].layout.projections[p].source == .input ? "net->layers[\(l)].n_in" : "net->layers[\(l)].n"
            w.block("if (!plasticity_all_finite(net->grad_weights[\(l * LayerSpec.maxProjections + p)], (long)net->layers[\(l)].n * \(pre)))") {
                w.line("net->failed_step = T - 1; net->failed_tensor = PLASTICITY_TENSOR_GRADIENT + \(l); return 1;")
            }
        }
    }

    /// Row `row` of the slice's block of a chunk buffer with `rows` rows of `width` floats per
    /// sequence: the block of the slice's first sequence, which its sequences reuse in turn.
    private func sliceRow(_ buffer: String, rows: String, row: String, width: String) -> String {
        row == "0" ? "\(buffer) + (long)net->batch_begin * \(rows) * \(width)"
                   : "\(buffer) + ((long)net->batch_begin * \(rows) + \(row)) * \(width)"
    }

    /// Layer l's input of sequence b (the network input, or layer l − 1's spikes) into row (step mod
    /// rows) of its delay line, then layer l's input columns from it, each its tap's source and lag.
    private func emitDelayLine(_ w: CWriter, layer l: Int) {
        w.block("") {
            let (source, width) = l == 0 ? ("net->input + ((long)t * B + b) * net->n_in", "net->n_in")
                                         : ("net->layers[\(l - 1)].spike + (long)b * n_below", "net->layers[\(l - 1)].n")
            w.comment("layer \(l) reads \(l == 0 ? "the network input" : "the spikes of layer \(l - 1)") through its delays: " +
                      "a ring of the last delay_rows steps")
            if l == 0 {
                w.comment("the next step's input row of this sequence, which the hardware would not prefetch")
                w.line("if (t + 1 < t1) plasticity_prefetch(net->input + ((long)(t + 1) * B + b) * net->n_in, net->n_in);")
            }
            w.line("plasticity_layer_args *a = &net->layers[\(l)];")
            w.line("const int n_below = \(width), rows = a->delay_rows, stride = a->delay_width;")
            w.line("const int now = (int)((a->noise_step + t) % rows);")
            w.line("float *line = a->delay_line + (long)b * rows * stride, *taps = a->taps + (long)b * a->n_in;")
            w.line("plasticity_copy(line + (long)now * stride, \(source), n_below);")
            w.block("for (int c = 0; c < a->n_in; ++c)") {
                w.line("const int row = now >= a->tap_lag[c] ? now - a->tap_lag[c] : now - a->tap_lag[c] + rows;")
                w.line("taps[c] = line[(long)row * stride + a->tap_source[c]];")
            }
        }
    }

    /// Copies layer l's spikes of sequence b into slot `slot` of its chunk rows.
    private func emitKeepSpikes(_ w: CWriter, layer l: Int, slot: String) {
        w.block("") {
            w.line("const plasticity_layer_args *a = &net->layers[\(l)];")
            w.line("plasticity_copy(\(sliceRow("a->chunk_spikes", rows: "(K + 1)", row: slot, width: "a->n")), a->spike + (long)b * a->n, a->n);")
        }
    }

    /// Chunk arguments common to every call for layer l.
    private func emitChunkArguments(_ w: CWriter, layer l: Int) {
        w.line("plasticity_layer_args *a = &net->layers[\(l)];")
        w.line("plasticity_chunk_args c; /* every field set: an initializer would make TinyCC call memset */")
        w.line("c.n = a->n; c.n_pre = 0; c.m = 0; c.width = 0; c.steps = 0; c.b = 0; c.b_end = 0; c.shared = 0; c.kappa = kappa;")
        w.comment("the slice's chunk rows: the block of its first sequence")
        w.line("c.record = 0; c.record_row = 0; c.record_constant = 0; c.propagator = 0;")
        w.line("c.signal = \(sliceRow("a->chunk_signal", rows: "K", row: "0", width: "a->n"));")
        w.line("c.pre = 0; c.pre_step_stride = 0; c.pre_sequence_stride = 0;")
        w.line("c.shared_eps = 0; c.eps = 0; c.ebar = 0; c.grad = 0; c.esum = 0; c.ebarsum = 0;")
        let layout = layers[l].layout
        w.comment("chunk_events: the layer step's lists of the chunk's nonzero inputs per projection, then the primitives' scratch")
        w.line("c.events = a->chunk_events")
        w.line("    + \(layout.chunkListSlots(before: layout.projections.count).c(steps: "a->chunk_steps", inputs: "a->n_in", neurons: "a->n"));")
        w.line("c.active_first = 0; c.active_list = 0; c.profile = net->profile;")
        w.line("c.lag = 0; c.lag_offset = 0; c.max_lag = 0; c.history = 0; c.history_rows = 0; c.history_stride = 0; c.first_step = 0;")
    }

    /// The optional sums of projection p (Σe, Σē), null when the call does not keep them; they
    /// also tell the propagator sweep which of its rows are needed.
    private func emitChunkSums(_ w: CWriter, projection p: Int) {
        w.line("c.esum = a->eligibility_sum[\(p)] ? a->chunk_eligibility_sum[\(p)] : 0;")
        w.line("c.ebarsum = a->eligibility_trace_sum[\(p)] ? a->chunk_eligibility_trace_sum[\(p)] : 0;")
    }

    /// Chunk mode: per layer and recorded channel, where each entry of a step's (D, c, ψ) lies in
    /// the record (−1: not recorded) and the values of the constant ones.
    private func emitChunkRecordTables(_ w: CWriter) {
        for (l, layer) in layers.enumerated() {
            for p in layer.layout.chunkRecordOwners {
                let entries = layer.layout.projections[p].recordEntries
                let rows = entries.map { if case .recorded(let row) = $0 { "\(row)" } else { "-1" } }
                let constants = entries.map { if case .constant(let c) = $0 { CNames.literal(c) } else { "0.0f" } }
                w.line("static const int layer\(l)_record_row\(p)[\(entries.count)] = {\(rows.joined(separator: ", "))};")
                w.line("static const float layer\(l)_record_constant\(p)[\(entries.count)] = {\(constants.joined(separator: ", "))};")
            }
        }
        w.blank()
    }

    /// The record and propagator of the channel whose record projection `owner` of layer l writes.
    private func emitChunkRecordArguments(_ w: CWriter, layer l: Int, owner: Int) {
        let projection = layers[l].layout.projections[owner]
        let m = projection.components.count
        w.line("c.m = \(m); c.width = \(projection.recordWidth);")
        w.line("c.record = \(sliceRow("a->chunk_record[\(owner)]", rows: "K", row: "0", width: "c.width * a->n"));")
        let propagatorRows = "\(KernelLayout.chunkPropagatorWidth(m))"
        w.line("c.propagator = \(sliceRow("a->chunk_propagator[\(owner)]", rows: propagatorRows, row: "0", width: "a->n"));")
        w.line("c.record_row = layer\(l)_record_row\(owner); c.record_constant = layer\(l)_record_constant\(owner);")
    }

    /// The end of a chunk of layer l for sequence b: the propagators of each recorded channel,
    /// then every projection's synapses.
    private func emitChunkEnd(_ w: CWriter, layer l: Int, owners: [Int], projections: [(Int, NetworkOperation.Presynaptic)]) {
        let layout = layers[l].layout
        w.block("") {
            emitChunkArguments(w, layer: l)
            w.line("c.steps = t1 - t0;")
            w.line("c.b = b;")
            for p in owners {
                emitChunkRecordArguments(w, layer: l, owner: p)
                emitChunkSums(w, projection: p)
                w.line("net->chunk_coefficients(&c);")
                w.line(ProfilePhase.tracePropagation.lap("net->profile"))
            }
            for (p, input) in projections {
                let projection = layout.projections[p], owner = layout.chunkRecordOwner(of: p)
                if case .arrivals = input {
                    emitChunkRecordArguments(w, layer: l, owner: owner)
                    emitDelayedSynapses(w, projection: p)
                    continue
                }
                // (first row, step stride, sequence stride, n_pre); chunk spikes: the slice's rows, [K+1][n]
                let (pre, step, sequence, count): (String, String, String, String)
                switch input {
                case .layer(let source) where source == l:
                    (pre, step, sequence, count) = (sliceRow("a->chunk_spikes", rows: "(K + 1)", row: "0", width: "a->n"), "a->n", "0", "a->n")
                case .networkInput:
                    (pre, step, sequence, count) = ("net->input + (long)t0 * B * net->n_in", "(long)B * net->n_in", "net->n_in", "a->n_in")
                case .layer(let below):
                    (pre, step, sequence, count) = (sliceRow("net->layers[\(below)].chunk_spikes", rows: "(K + 1)", row: "1", width: "a->n_in"),
                                                    "a->n_in", "0", "a->n_in")
                case .taps:
                    (pre, step, sequence, count) = (sliceRow("a->chunk_taps", rows: "(K + 1)", row: "1", width: "a->n_in"), "a->n_in", "0", "a->n_in")
                case .arrivals: continue   // emitted above
                }
                emitChunkRecordArguments(w, layer: l, owner: owner)
                w.line("c.n_pre = \(count); c.shared = \(projection.sharedCount); c.pre = \(pre);")
                w.line("c.pre_step_stride = \(step); c.pre_sequence_stride = \(sequence);")
                w.comment("eligibility_vector: x-bar, then, past the shared blocks, the per-synapse components")
                w.line("c.shared_eps = a->eligibility_vector[\(p)]; c.eps = c.shared_eps + (long)B * c.n_pre * " +
                       "\(projection.sharedBlocks * projection.sharedCount);")
                w.line("c.ebar = a->eligibility_trace[\(p)]; c.grad = a->chunk_gradient[\(p)];")
                emitChunkSums(w, projection: p)
                w.comment("the nonzero inputs of each step, as the layer step gathered them")
                w.line("c.active_first = a->chunk_events + " +
                       "\(layout.chunkListSlots(before: p).c(steps: "a->chunk_steps", inputs: "a->n_in", neurons: "a->n"));")
                w.line("c.active_list = c.active_first + a->chunk_steps + 1;")
                w.line("net->chunk_synapses(&c);")
            }
        }
    }

    /// Projection p with synaptic delays in event form: the synapse pass of each of its two taps
    /// over its own blocks, the input events of the chunk and the D + 1 steps before it read from
    /// the delay line.
    private func emitDelayedSynapses(_ w: CWriter, projection p: Int) {
        w.comment("synaptic delays in event form: tap k_ji, then tap k_ji + 1, each over its own blocks; events from the delay line")
        w.line("c.n_pre = a->n_in; c.shared = 0; c.pre = 0; c.pre_step_stride = 0; c.pre_sequence_stride = 0;")
        w.line("c.shared_eps = a->eligibility_vector[\(p)]; c.eps = c.shared_eps;")
        w.line("c.ebar = a->eligibility_trace[\(p)]; c.grad = a->chunk_gradient[\(p)];")
        emitChunkSums(w, projection: p)
        w.line("c.lag = a->synapse_lag; c.max_lag = a->arrival_rows - 1; c.first_step = a->noise_step + t0;")
        w.line("c.history = a->delay_line + (long)b * a->delay_rows * a->delay_width;")
        w.line("c.history_rows = a->delay_rows; c.history_stride = a->delay_width;")
        w.line("c.lag_offset = 0;")
        w.line("net->chunk_synapses_delayed(&c);")
        w.line("c.eps += (long)B * c.n_pre * c.m * a->n; c.ebar += (long)B * c.n_pre * a->n; c.grad += (long)c.n_pre * a->n;")
        w.line("if (c.esum) c.esum += (long)c.n_pre * a->n;")
        w.line("if (c.ebarsum) c.ebarsum += (long)B * c.n_pre * a->n;")
        w.line("c.lag_offset = 1;")
        w.line("net->chunk_synapses_delayed(&c);")
    }

    private func emitChunkFlush(_ w: CWriter, layer l: Int, projections: [Int]) {
        if l == 0 { w.comment("the chunk accumulators into the outputs, from neuron-innermost to n by n_pre") }
        w.block("") {
            emitChunkArguments(w, layer: l)
            w.line("c.b = net->batch_begin; c.b_end = net->batch_end;")
            for p in projections {
                let projection = layers[l].layout.projections[p]
                w.line("c.n_pre = \(projection.source == .input ? "a->n_in" : "a->n"); c.grad = a->chunk_gradient[\(p)];")
                emitChunkSums(w, projection: p)
                w.line("net->chunk_flush(&c, net->grad_weights[\(l * LayerSpec.maxProjections + p)], a->eligibility_sum[\(p)], " +
                       "a->eligibility_trace_sum[\(p)]);")
                if projection.delayedEvents {
                    w.comment("the second tap's gradient and sums, after the first's")
                    w.line("c.grad = a->chunk_gradient[\(p)] + (long)c.n_pre * a->n;")
                    w.line("if (c.esum) c.esum += (long)c.n_pre * a->n;")
                    w.line("if (c.ebarsum) c.ebarsum += (long)B * c.n_pre * a->n;")
                    w.line("net->chunk_flush(&c, net->grad_weights[\(l * LayerSpec.maxProjections + p)] + (long)a->n * c.n_pre,")
                    w.line("                a->eligibility_sum[\(p)] ? a->eligibility_sum[\(p)] + (long)a->n * c.n_pre : 0,")
                    w.line("                a->eligibility_trace_sum[\(p)] ? a->eligibility_trace_sum[\(p)] + (long)B * a->n * c.n_pre : 0);")
                }
            }
        }
    }

    /// z̄, the bias trace and their sums, and y^t of sequence b; leaves z, y, z̄ and err in scope.
    private func emitReadout(_ w: CWriter, layer last: Int) {
        w.line("const float *z = net->layers[\(last)].spike + (long)b * n_last;")
        w.line("float *y = net->readout_state + (long)b * n_out;")
        w.line("float *zbar = net->readout_trace + (long)b * n_last;")
        w.line("float *err = net->error + (long)b * n_out;")
        w.line("plasticity_axpby(zbar, z, n_last, kappa, 1.0f);")
        w.line("net->readout_bias_trace[b] = kappa * net->readout_bias_trace[b] + 1.0f;")
        w.line("if (net->readout_trace_sum) for (int j = 0; j < n_last; ++j) net->readout_trace_sum[(long)b * n_last + j] += zbar[j];")
        w.line("if (net->readout_bias_trace_sum) net->readout_bias_trace_sum[b] += net->readout_bias_trace[b];")
        w.comment("W_out z + b over the nonzero z only, as rows of W_out transposed: the same sums, since zeros add nothing")
        w.line("plasticity_copy(err, net->readout_bias, n_out);")
        w.block("") {
            w.comment("the spikes gathered by the vectorized primitive: a scan of n_last in TinyCC's code costs more")
            w.line("int *active = net->layers[\(last)].active; /* free: the layer's step is done */")
            w.line("const int count = plasticity_nonzero(z, n_last, active);")
            w.block("for (int q = 0; q < count; ++q)") {
                w.line("const int j = active[q];")
                w.line("plasticity_axpy(err, net->readout_weights_transposed + (long)j * n_out, n_out, z[j]);")
            }
        }
        w.comment("y = kappa y + 1 err: the floats of kappa y + err")
        w.line("plasticity_axpby(y, err, n_out, kappa, 1.0f);")
    }

    /// The loss of step t and err (the network's `LossDefinition`); leaves `label` (class
    /// targets) or `target` (vector targets) in scope. A loss on the whole sequence gets none here.
    private func emitLoss(_ w: CWriter) {
        let definition = network.loss.definition
        w.line("int label = -1;")
        w.line("const float *target = 0;")
        switch definition.targets {
        case .classLabel:
            w.line("const float code = net->targets[(long)t * B + b];")
            w.block("if (!(code >= 0.0f))") { emitStepWithoutLoss(w) }
            w.line("label = (int)code;")
        case .vector:
            w.line("target = net->targets + ((long)t * B + b) * n_out;")
            w.block("if (!(target[0] == target[0]))") { emitStepWithoutLoss(w) }
        }
        definition.emitStep(w)
        w.line("net->counted += 1;")
    }

    /// Err times the κ-filtered readout input z̄, and times the filtered 1 for the bias; chunked,
    /// err is kept and the weights' gradient folded onto the spikes at the chunk's end.
    private func emitReadoutGradient(_ w: CWriter) {
        w.comment("readout gradients: err times the kappa-filtered readout input zbar, and times the filtered 1 for the bias;")
        w.comment("chunked, err is kept and the weights' gradient folded onto the spikes at the chunk's end")
        w.line("if (K > 0) plasticity_copy(\(sliceRow("net->chunk_error", rows: "K", row: "t - t0", width: "n_out")), err, n_out);")
        w.line("else for (int o = 0; o < n_out; ++o) plasticity_axpy(net->grad_readout_weights + (long)o * n_last, zbar, n_last, err[o]);")
        w.line("plasticity_axpy(net->grad_readout_bias, err, n_out, net->readout_bias_trace[b]);")
    }

    /// A step without a loss: chunked, its rows of readout error and learning signals are zero (a
    /// step with a loss writes them whole); then on to the next step.
    private func emitStepWithoutLoss(_ w: CWriter) {
        w.block("if (K > 0)") {
            w.line("plasticity_fill(\(sliceRow("net->chunk_error", rows: "K", row: "t - t0", width: "n_out")), n_out, 0.0f);")
            for l in layers.indices {
                let n = "net->layers[\(l)].n"
                w.line("plasticity_fill(\(sliceRow("net->layers[\(l)].chunk_signal", rows: "K", row: "t - t0", width: n)),")
                w.line("    \(n), 0.0f);")
            }
        }
        w.line(ProfilePhase.readoutAndLoss.lap("net->profile"))
        w.line("continue;")
    }

    /// Layer l's arguments and its learning-signal row of this step (chunked: its chunk row).
    private func emitSignalRow(_ w: CWriter, layer l: Int) {
        w.line("const plasticity_layer_args *a = &net->layers[\(l)];")
        w.line("const int nl = a->n;")
        w.line("float *signal = K > 0 ? \(sliceRow("a->chunk_signal", rows: "K", row: "t - t0", width: "nl"))")
        w.line("    : net->learning_signal + (long)\(l) * net->n_max;")
    }

    /// L_j = Σ_o B_jo err_o (B = W_outᵀ when symmetric, else the feedback matrix), the target's
    /// column of B, or the instantaneous backward pass from the layer above.
    private func emitLearningSignal(_ w: CWriter, layer l: Int, symmetric: Bool, backwardFrom above: Int?) {
        w.comment("layer \(l): learning signal")
        w.block("") {
            emitSignalRow(w, layer: l)
            w.line("const float *feedback = net->feedback[\(l)];")
            if symmetric {
                w.block("if (net->signal[\(l)] == PLASTICITY_SIGNAL_ERROR && !feedback)") {
                    w.comment("symmetric feedback: L = W_out transposed times err, as rows of W_out: each L_j sums over o in order")
                    w.line("plasticity_combine_rows(signal, net->readout_weights, n_last, 0, err, n_out, nl, 0);")
                }
                w.line("else")
            }
            w.block("for (int j = 0; j < nl; ++j)") {
                w.line("float s = 0.0f;")
                if let above {
                    w.block("if (net->signal[\(l)] == PLASTICITY_SIGNAL_BACKWARD)") {
                        w.comment("same-step path: spike j of layer l, input current of layer l+1 neuron i, its spike, through projection 0 " +
                                  "of layer l+1")
                        w.line("const plasticity_layer_args *up = &net->layers[\(above)];")
                        w.line("const float *above = K > 0 ? \(sliceRow("up->chunk_signal", rows: "K", row: "t - t0", width: "up->n")) : " +
                               "net->learning_signal + (long)\(above) * net->n_max;")
                        w.line("const float *gain = up->instant_gain + (long)b * up->n;")
                        w.line("for (int i = 0; i < up->n; ++i) s += up->weights[0][(long)i * nl + j] * gain[i] * above[i];")
                    }
                    w.line("else")
                }
                w.block("if (net->signal[\(l)] == PLASTICITY_SIGNAL_TARGET)") {
                    w.line("if (label >= 0) s = feedback[(long)j * n_out + label];")
                    w.line("else for (int o = 0; o < n_out; ++o) s += feedback[(long)j * n_out + o] * target[o];")
                }
                w.line("else for (int o = 0; o < n_out; ++o) s += feedback[(long)j * n_out + o] * err[o];")
                w.line("signal[j] = s;")
            }
        }
    }

    /// Step mode: G += L ē over the live rows of projection p of layer l (a zero row adds nothing).
    private func emitSynapseGradient(_ w: CWriter, layer l: Int, projection p: Int) {
        let pre = layers[l].layout.projections[p].source == .input ? "a->n_in" : "nl"
        w.block("") {
            emitSignalRow(w, layer: l)
            w.line("const int n_pre = \(pre);")
            w.line("float *g = net->grad_weights[\(l * LayerSpec.maxProjections + p)];")
            w.line("const float *ebar = a->eligibility_trace[\(p)] + (long)b * nl * n_pre;")
            w.line("const float *live = a->synapses_live + (long)b * nl;")
            w.block("for (int j = 0; j < nl; ++j)") {
                w.line("const float s = signal[j];")
                w.line("if (s == 0.0f || live[j] == 0.0f) continue; /* a zero row adds nothing */")
                w.line("plasticity_axpy(g + (long)j * n_pre, ebar + (long)j * n_pre, n_pre, s);")
            }
        }
    }

    /// G_θ += L ē_θ for each of layer l's learnable parameters.
    private func emitParameterGradient(_ w: CWriter, layer l: Int, parameters P: Int) {
        w.block("") {
            emitSignalRow(w, layer: l)
            w.block("for (int j = 0; j < nl; ++j)") {
                w.line("const float *et = a->param_eligibility_trace + ((long)b * nl + j) * \(P);")
                for p in 0..<P { w.line("net->grad_params[\(l)][(long)\(p) * nl + j] += signal[j] * et[\(p)];") }
            }
        }
    }
}
