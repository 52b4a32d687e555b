/// One time step of a layer, as the kernel IR orders it: per sequence of the call, the event-driven
/// inputs, the channel currents, step mode's presynaptic traces, the neuron body, then per neuron
/// the synapse and parameter traces, then the stores. `LayerKernel.step` is a tree of these.
public enum LayerStepOperation: KernelOperation {
    /// The nonzero presynaptic inputs of projection p at this step (`plasticity_nonzero`); with a
    /// trace, also kept in the chunk's event lists when chunked (`KernelLayout.chunkListSlots`).
    case gather(projection: Int, keptForChunk: Bool)
    /// I_c = Σ over the projections into channel c of W x over their active inputs, as rows of Wᵀ
    /// (`plasticity_combine_rows`); no projection: I_c = 0.
    case current(channel: Int, projections: [Int])
    /// I_c = a fresh draw per neuron of noise source c (`plasticity_noise_fill`), keyed by the
    /// noise seed, the sequence, the step since the sequence began and c.
    case noise(channel: Int, NoiseDistribution)
    /// x̄ ← D x̄ + c x of projection p's shared components, once per step; `keepsPrevious`: x̄^{t-1}
    /// is kept first for the per-synapse components that read it.
    case presynapticTrace(projection: Int, keepsPrevious: Bool)
    /// The neuron body (`NeuronBody`) over the C channel currents.
    case body(channels: Int)
    /// ∂z/∂I of the gain channel, when the caller asks for it.
    case instantGain
    /// Chunked: the record entries no operation of the body wrote in place.
    case recordCopies
    /// The body's temporaries t_i of neuron j, read back from their rows.
    case temporaries
    /// Step mode: ε and ē of neuron j's synapses of projection p (`SynapseTraces.loop(of:)`);
    /// `shared`: it reads the presynaptic trace x̄.
    case synapseTraces(projection: Int, shared: Bool)
    /// Σ e and Σ ē of neuron j's synapses of projection p, when their buffers are given.
    case traceSums(projection: Int)
    /// ε_θ, ē_θ (and their sums, when asked) of learnable parameter p for neuron j.
    case parameterTrace(parameter: Int)
    /// h^t, ψ^t and z^t, after every read of h^{t-1}.
    case stores
    /// The optional output, spike-count and state records.
    case records
    /// z^t into `spike`, the previous spikes of the next step.
    case nextSpikes

    public enum Value: Hashable, Sendable, CustomStringConvertible {
        case active(Int), current(Int), presynapticTrace(Int), body, temporaries, eligibility(Int), newState
        public var description: String {
            switch self {
            case .active(let p): return "active[\(p)]"
            case .current(let c): return "I[\(c)]"
            case .presynapticTrace(let p): return "xbar[\(p)]"
            case .body: return "the body's rows"
            case .temporaries: return "t[j]"
            case .eligibility(let p): return "ebar[\(p)][j]"
            case .newState: return "h^t"
            }
        }
    }

    public var loops: Set<KernelLoop> {
        switch self {
        case .temporaries, .synapseTraces, .traceSums, .parameterTrace: return [.sequences, .neurons]
        default: return [.sequences]
        }
    }

    public var mode: KernelCondition? {
        switch self {
        case .presynapticTrace, .synapseTraces, .traceSums: return .stepMode
        case .recordCopies: return .chunked
        default: return nil
        }
    }

    public var reads: [Value] {
        switch self {
        case .gather, .presynapticTrace, .noise: return []
        case .current(_, let ps): return ps.map(Value.active)
        case .body(let channels): return (0..<channels).map(Value.current)
        case .instantGain, .recordCopies, .temporaries, .stores, .nextSpikes: return [.body]
        case .synapseTraces(let p, let shared): return [.temporaries] + (shared ? [.presynapticTrace(p)] : [])
        case .traceSums(let p): return [.eligibility(p)]
        case .parameterTrace: return [.temporaries]
        case .records: return [.newState]
        }
    }

    public var writes: [Value] {
        switch self {
        case .gather(let p, _): return [.active(p)]
        case .current(let c, _), .noise(let c, _): return [.current(c)]
        case .presynapticTrace(let p, _): return [.presynapticTrace(p)]
        case .body: return [.body]
        case .temporaries: return [.temporaries]
        case .synapseTraces(let p, _): return [.eligibility(p)]
        case .stores: return [.newState]
        case .instantGain, .recordCopies, .traceSums, .parameterTrace, .records, .nextSpikes: return []
        }
    }

    public var description: String {
        switch self {
        case .gather(let p, let kept):
            return "active[\(p)] = nonzero presynaptic inputs of projection \(p)" + (kept ? " (chunked: kept for the chunk)" : "")
        case .current(let c, let ps):
            return ps.isEmpty ? "I[\(c)] = 0" : "I[\(c)] = " + ps.map { "W[\($0)] x[active[\($0)]]" }.joined(separator: " + ")
        case .noise(let c, let distribution): return "I[\(c)] = \(distribution.rawValue) noise (seed, sequence, step, channel \(c))"
        case .presynapticTrace(let p, let keeps): return "xbar[\(p)] = D xbar[\(p)] + c x" + (keeps ? " (xbar^{t-1} kept)" : "")
        case .body(let channels): return "neuron body over I[0..<\(channels)]"
        case .instantGain: return "instant gain dz/dI (when asked)"
        case .recordCopies: return "record copies"
        case .temporaries: return "t[j] = the body's temporaries"
        case .synapseTraces(let p, _): return "eps, ebar of projection \(p) for i < n_pre, by its synapse loop above"
        case .traceSums(let p): return "sum e, sum ebar of projection \(p) (when asked)"
        case .parameterTrace(let p): return "eps_theta, ebar_theta of parameter \(p)"
        case .stores: return "store h^t, psi^t, z^t"
        case .records: return "output, spike-count and state records (when asked)"
        case .nextSpikes: return "spike[b] = z^t"
        }
    }
}

extension LayerKernel {
    /// The step's tree, from the layout, the body and the synapse loops.
    /// `noise`: the channels that are noise sources.
    static func step(layout: KernelLayout, body: NeuronBody, synapses: SynapseTraces,
                     noise: [Int: NoiseDistribution] = [:]) -> [KernelStatement<LayerStepOperation>] {
        let projections = layout.projections
        var perSequence: [KernelStatement<LayerStepOperation>] = projections.indices.map {
            .run(.gather(projection: $0, keptForChunk: !projections[$0].components.isEmpty))
        }
        perSequence += (0..<layout.channelCount).map { c in
            if let distribution = noise[c] { return .run(.noise(channel: c, distribution)) }
            return .run(.current(channel: c, projections: projections.indices.filter { projections[$0].channel == c }))
        }
        let presynaptic = projections.indices.filter { projections[$0].sharedCount > 0 }
        if !presynaptic.isEmpty {
            perSequence.append(.when(.stepMode, presynaptic.map {
                .run(.presynapticTrace(projection: $0, keepsPrevious: projections[$0].perSynapseCount > 0))
            }))
        }
        perSequence.append(.run(.body(channels: layout.channelCount)))
        if body.gain != nil { perSequence.append(.run(.instantGain)) }
        if !body.recordCopies.isEmpty { perSequence.append(.when(.chunked, [.run(.recordCopies)])) }
        let P = layout.learnableCount
        if !synapses.projections.isEmpty || P > 0 {
            var perNeuron: [KernelStatement<LayerStepOperation>] = [.run(.temporaries)]
            if !synapses.projections.isEmpty {
                let skipped: [Int]? = if case .whileZero(let ts) = synapses.skipping { ts } else { nil }
                let rows: [KernelStatement<LayerStepOperation>] =
                    synapses.projections.map { .run(.synapseTraces(projection: $0, shared: projections[$0].sharedCount > 0)) }
                    + synapses.projections.map { .run(.traceSums(projection: $0)) }
                let live = KernelStatement<LayerStepOperation>.when(.synapseRowsLive(skippedWhileZero: skipped), rows)
                perNeuron.append(P > 0 ? .when(.stepMode, [live]) : live)
            }
            perNeuron += (0..<P).map { .run(.parameterTrace(parameter: $0)) }
            perSequence.append(P > 0 ? .loop(.neurons, perNeuron) : .when(.stepMode, [.loop(.neurons, perNeuron)]))
        }
        perSequence += [.run(.stores), .run(.records), .run(.nextSpikes)]
        return [.loop(.sequences, perSequence)]
    }
}
