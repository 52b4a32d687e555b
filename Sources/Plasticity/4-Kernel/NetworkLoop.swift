/// The network loop as the kernel IR orders it: over chunks, then each sequence of the call's
/// slice through the chunk step by step — the hidden layers bottom up, the readout, the loss, the
/// learning signals top down and step mode's gradient accumulation — then, chunked, each layer's
/// trace pass at the chunk's end; after the chunks the accumulators are flushed and the gradients
/// checked. `NetworkKernelIR.loop` is a tree of these.
public enum NetworkOperation: KernelOperation {
    /// Where a layer's presynaptic spikes come from.
    public enum Presynaptic: Hashable, Sendable, CustomStringConvertible {
        /// The network input x^t [B][n_in].
        case networkInput
        /// The spikes layer l emitted at this step.
        case layer(Int)
        /// Layer l's input columns gathered from its delay line (`delayLine`).
        case taps(Int)
        /// Synaptic delays in event form: the input events in layer l's delay line.
        case arrivals(Int)
        public var description: String {
            switch self {
            case .networkInput: return "input[t][b]"
            case .layer(let l): return "spike[\(l)][b]"
            case .taps(let l): return "taps[\(l)][b]"
            case .arrivals(let l): return "delay_line[\(l)][b] event"   // "(from delay_line[l][b] event rows)": by arrival
            }
        }
    }

    /// A tensor whose values must stay finite; the run stops at the first that is not.
    public enum Tensor: Hashable, Sendable, CustomStringConvertible {
        case layerState(Int), readout, loss, gradient(layer: Int, projection: Int)
        public var description: String {
            switch self {
            case .layerState(let l): return "state[\(l)][b]"
            case .readout: return "y[b]"
            case .loss: return "the loss"
            case .gradient(let l, let p): return "G[\(l)][\(p)]"
            }
        }
    }

    /// Chunked: the slot of a layer's chunk spike rows — 0 holds the spikes from before the chunk.
    public enum SpikeSlot: Hashable, Sendable { case beforeChunk, afterStep }

    /// Every layer's first step of the chunk ← t0.
    case startChunk
    /// Chunked: layer l's spikes of sequence b into a slot of its chunk rows.
    case keepSpikes(layer: Int, slot: SpikeSlot)
    /// Chunked: z̄ of sequence b from before the chunk, for the readout's chunk gradient.
    case keepReadoutTrace
    /// Layer l's input of this step (the network input, or layer l − 1's spikes) into its delay line
    /// (a ring of D + 2 steps per sequence), and layer l's input columns gathered from it: column c
    /// is input tap_source[c] of tap_lag[c] steps ago (`InputDelays.tapTable`).
    case delayLine(layer: Int)
    /// Chunked: layer l's input columns of this step into its chunk rows.
    case keepTaps(layer: Int)
    /// Layer l's spikes of this step into its delay line, after its input, for its recurrent
    /// projection with delays (which reads them from the next step on).
    case delayOwnSpikes(layer: Int)
    /// Layer l's step for sequence b (`LayerKernel.step`).
    case layerStep(layer: Int, input: Presynaptic)
    case checkFinite(Tensor)
    /// z̄ ← κ z̄ + z (and the bias trace, and their sums when asked), y ← κ y + W_out z + b over the
    /// nonzero z of the last layer.
    case readout(layer: Int)
    /// y of step t into the readout record, when asked.
    case recordReadout
    /// The loss of step t and err (cross-entropy: softmax − one-hot; MSE: y − target). A step with no
    /// target zeroes its chunk rows of err and L and goes on to the next step.
    case loss
    /// err z̄ into the readout weights' gradient (chunked: err kept for the chunk), err b̄ into the bias's.
    case readoutGradient
    /// L of layer l, by the runtime's choice: Σ_o B_jo err_o (B = W_outᵀ when `symmetric`, else the
    /// feedback matrix), the target's column of B, or the backward pass through layer l + 1.
    case learningSignal(layer: Int, symmetric: Bool, backwardFrom: Int?)
    /// Step mode: G_p += L ē over layer l's live rows.
    case synapseGradient(layer: Int, projection: Int)
    /// G_θ += L ē_θ of layer l's learnable parameters.
    case parameterGradient(layer: Int, parameters: Int)
    /// Chunked, at the chunk's end: layer l's propagators of each recorded channel (`owners`), then
    /// the synapses of each projection with a trace, from its presynaptic spike rows.
    case chunkTraces(layer: Int, owners: [Int], projections: [Int], inputs: [Presynaptic])
    /// Chunked, at the chunk's end: the readout weights' gradient of the chunk, folded onto the last
    /// layer's spikes (`plasticity_chunk_readout`).
    case chunkReadout(layer: Int)
    /// Chunked, after every chunk: layer l's accumulators of these projections into the gradients.
    case chunkFlush(layer: Int, projections: [Int])

    public enum Value: Hashable, Sendable, CustomStringConvertible {
        case spikes(Int), taps(Int), gain(Int), readout, error, signal(Int)
        public var description: String {
            switch self {
            case .spikes(let l): return "spike[\(l)] of this step"
            case .taps(let l): return "taps[\(l)] of this step"
            case .gain(let l): return "instant gain of layer \(l)"
            case .readout: return "y"
            case .error: return "err"
            case .signal(let l): return "L[\(l)]"
            }
        }
    }

    public var loops: Set<KernelLoop> {
        switch self {
        case .startChunk: return [.chunks]
        case .keepSpikes(_, .beforeChunk), .keepReadoutTrace, .chunkTraces, .chunkReadout: return [.chunks, .sequences]
        case .chunkFlush, .checkFinite(.gradient): return []
        default: return [.chunks, .sequences, .steps]
        }
    }

    public var mode: KernelCondition? {
        switch self {
        case .keepSpikes, .keepTaps, .keepReadoutTrace, .chunkTraces, .chunkReadout, .chunkFlush: return .chunked
        case .synapseGradient: return .stepMode
        default: return nil
        }
    }

    public var reads: [Value] {
        switch self {
        case .layerStep(_, .layer(let below)): return [.spikes(below)]
        case .layerStep(_, .taps(let l)), .keepTaps(let l): return [.taps(l)]
        case .delayOwnSpikes(let l): return [.spikes(l)]
        case .delayLine(let l): return l > 0 ? [.spikes(l - 1)] : []
        case .keepSpikes(let l, .afterStep), .readout(let l): return [.spikes(l)]
        case .recordReadout, .loss: return [.readout]
        case .readoutGradient, .chunkReadout: return [.error]
        case .learningSignal(_, _, let above?): return [.error, .signal(above), .gain(above)]
        case .learningSignal: return [.error]
        case .synapseGradient(let l, _), .parameterGradient(let l, _), .chunkTraces(let l, _, _, _): return [.signal(l)]
        default: return []
        }
    }

    public var writes: [Value] {
        switch self {
        case .layerStep(let l, _): return [.spikes(l), .gain(l)]
        case .delayLine(let l): return [.taps(l)]
        case .readout: return [.readout]
        case .loss: return [.error]
        case .learningSignal(let l, _, _): return [.signal(l)]
        default: return []
        }
    }

    public var description: String {
        switch self {
        case .startChunk: return "chunk_first = t0 in every layer"
        case .keepSpikes(let l, .beforeChunk): return "chunk_spikes[\(l)][b][0] = spike[\(l)][b] (the spikes before the chunk)"
        case .keepSpikes(let l, .afterStep): return "chunk_spikes[\(l)][b][t - t0 + 1] = spike[\(l)][b]"
        case .keepReadoutTrace: return "chunk_readout_trace[b] = zbar[b]"
        case .delayLine(let l):
            let source = l == 0 ? "input[t][b]" : "spike[\(l - 1)][b]"
            return "delay_line[\(l)][b][t] = \(source); taps[\(l)][b][c] = delay_line[\(l)][b][t - tap_lag[c]][tap_source[c]]"
        case .keepTaps(let l): return "chunk_taps[\(l)][b][t - t0 + 1] = taps[\(l)][b]"
        case .delayOwnSpikes(let l): return "delay_line[\(l)][b][t] += spike[\(l)][b] (after the input, for the delayed recurrence)"
        case .layerStep(let l, let input): return "layer \(l) step: \(input) -> spike[\(l)][b]"
        case .checkFinite(let tensor): return "stop unless \(tensor) is finite"
        case .readout(let l): return "zbar[b] = kappa zbar[b] + spike[\(l)][b]; y[b] = kappa y[b] + W_out spike[\(l)][b] + b_out"
        case .recordReadout: return "readout record[t][b] = y[b] (when asked)"
        case .loss: return "loss and err[b] from y[b] and the target (no target: next step)"
        case .readoutGradient: return "G_out += err zbar (chunked: err kept), G_b += err bbar"
        case .learningSignal(let l, let symmetric, let above):
            let sources = (symmetric ? ["W_out^T err"] : []) + ["B err", "B target"] + (above.map { ["backward through layer \($0)"] } ?? [])
            return "L[\(l)] = " + sources.joined(separator: " | ")
        case .synapseGradient(let l, let p): return "G[\(l)][\(p)] += L[\(l)] ebar[\(l)][\(p)] over live rows"
        case .parameterGradient(let l, let count): return "G_theta[\(l)] += L[\(l)] ebar_theta[\(l)] (\(count) parameters)"
        case .chunkTraces(let l, let owners, let projections, let inputs):
            return "layer \(l) chunk pass: propagators of records \(owners), then synapses of projections " +
                zip(projections, inputs).map { "\($0) (from \($1) rows)" }.joined(separator: ", ")
        case .chunkReadout(let l): return "G_out += the chunk's err folded onto chunk_spikes[\(l)]"
        case .chunkFlush(let l, let projections): return "G[\(l)][p] += the chunk accumulators, p in \(projections)"
        }
    }
}

extension NetworkKernelIR {
    /// What layer l reads: the network input (layer 0), the spikes of the layer below, or with
    /// delays the taps of its delay line.
    static func presynaptic(_ l: Int, delayed: Set<Int>) -> NetworkOperation.Presynaptic {
        delayed.contains(l) ? .taps(l) : l == 0 ? .networkInput : .layer(l - 1)
    }

    /// The layer whose step a learning signal of layer l may pass backward through: the one above,
    /// unless its input is delayed (the signal would have to come from later steps).
    static func backwardSource(_ l: Int, last: Int, delayed: Set<Int>) -> Int? {
        l < last && !delayed.contains(l + 1) ? l + 1 : nil
    }

    /// The network loop's tree, from the layers' layouts and models; `delayed`: the layers whose
    /// input has delays.
    static func loop(_ layers: [LayerKernel], delayed: Set<Int>, delayedRecurrence: Set<Int> = []) -> [KernelStatement<NetworkOperation>] {
        let last = layers.count - 1
        let inputs = layers.indices.map { presynaptic($0, delayed: delayed) }
        var step: [KernelStatement<NetworkOperation>] = layers.indices.flatMap { l -> [KernelStatement<NetworkOperation>] in
            (delayed.contains(l) ? [.run(.delayLine(layer: l))] : [])
                + [.run(.layerStep(layer: l, input: inputs[l])), .run(.checkFinite(.layerState(l)))]
                + (delayedRecurrence.contains(l) ? [.run(.delayOwnSpikes(layer: l))] : [])
        }
        step.append(.when(.chunked, layers.indices.map { .run(.keepSpikes(layer: $0, slot: .afterStep)) }
                                    + delayed.sorted().map { .run(.keepTaps(layer: $0)) }))
        step += [.run(.readout(layer: last)), .run(.checkFinite(.readout)), .run(.recordReadout), .run(.loss), .run(.readoutGradient)]
        for (l, layer) in layers.enumerated().reversed() {
            step.append(.run(.learningSignal(layer: l, symmetric: l == last, backwardFrom: backwardSource(l, last: last, delayed: delayed))))
            step.append(.when(.stepMode, layer.layout.projections.indices.map { .run(.synapseGradient(layer: l, projection: $0)) }))
            if layer.layout.learnableCount > 0 { step.append(.run(.parameterGradient(layer: l, parameters: layer.layout.learnableCount))) }
        }
        step.append(.run(.checkFinite(.loss)))

        let beforeChunk: [KernelStatement<NetworkOperation>] = layers.indices.map { .run(.keepSpikes(layer: $0, slot: .beforeChunk)) }
            + [.run(.keepReadoutTrace)]
        let chunkEnd: [KernelStatement<NetworkOperation>] = layers.enumerated().map { l, layer in
            let traced = layer.layout.projections.indices.filter { !layer.layout.projections[$0].components.isEmpty }
            let input: (Int) -> NetworkOperation.Presynaptic = {
                layer.layout.projections[$0].delayedEvents ? .arrivals(l) : layer.layout.projections[$0].source == .input ? inputs[l] : .layer(l)
            }
            return .run(.chunkTraces(layer: l, owners: layer.layout.chunkRecordOwners, projections: traced, inputs: traced.map(input)))
        } + [.run(.chunkReadout(layer: last))]
        let flush: [KernelStatement<NetworkOperation>] = layers.enumerated().map { l, layer in
            .run(.chunkFlush(layer: l, projections: layer.layout.projections.indices.filter { !layer.layout.projections[$0].components.isEmpty }))
        }
        let gradients: [KernelStatement<NetworkOperation>] = layers.enumerated().flatMap { l, layer in
            layer.layout.projections.indices.map { .run(.checkFinite(.gradient(layer: l, projection: $0))) }
        }
        return [
            .loop(.chunks, [
                .run(.startChunk),
                .loop(.sequences, [.when(.chunked, beforeChunk), .loop(.steps, step), .when(.chunked, chunkEnd)]),
            ]),
            .when(.chunked, flush),
        ] + gradients
    }
}
