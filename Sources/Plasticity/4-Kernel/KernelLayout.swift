import PlasticityRuntime

/// What a generated kernel stores, mirrored by `plasticity_kernel_info` in the C source.
public struct KernelLayout: Sendable, Hashable {
    public struct Projection: Sendable, Hashable {
        public var source: LayerSpec.Source
        public var channel: Int
        /// State indices of the stored components of ε (m = components.count).
        public var components: [Int]
        /// The leading components shared by all neurons: ε_ji = x̄_i there (`TraceStructure`).
        public var sharedCount: Int
        /// Every component shared: ε is a presynaptic trace [batch][n_pre][m].
        public var factorized: Bool { sharedCount == components.count && !components.isEmpty }
        public var perSynapseCount: Int { components.count - sharedCount }
        /// Synaptic delays in event form (`DelaySpec.Form.events`): the kernel scatters the input by
        /// delay into a ring of currents, and every synapse keeps the state of its two taps
        /// (k_ji, k_ji + 1) — chunk mode only, and no shared components.
        public var delayedEvents = false
        /// States per synapse: two taps in event form, else one. The per-synapse buffers
        /// (`eligibility_vector`, `eligibility_trace`, `chunk_gradient`) and the weight gradient hold
        /// one block per tap.
        public var taps: Int { delayedEvents ? 2 : 1 }

        /// `eligibility_vector[p]` holds, in this order: the shared components x̄ [batch][n_pre][m_s];
        /// when some components are also per synapse, x̄ of the previous step [batch][n_pre][m_s]
        /// (their update reads it after x̄ has advanced); then the per-synapse components,
        /// [batch][n][n_pre][m_r] in step mode and [batch][n_pre][m_r][n] in chunk mode.
        /// Blocks of shared components: x̄, and x̄ of the previous step when some are per synapse.
        public var sharedBlocks: Int { sharedCount == 0 ? 0 : perSynapseCount == 0 ? 1 : 2 }
        /// Floats of `eligibility_vector[p]`.
        public func eligibilityVectorElements(batch: Int, inputs pre: Int, neurons: Int) -> Int {
            MemoryCap.sum([MemoryCap.product(batch, pre, sharedCount * sharedBlocks), MemoryCap.product(taps, batch, neurons, pre, perSynapseCount)])
        }
        /// Chunk mode: each entry of a step's record (D row-major, c, ψ on `components`): its row
        /// in the per-step record, or the constant it always is. Constants are not recorded: the
        /// chunk primitives take them once per call (`record_row`, `record_constant`).
        public var recordEntries: [RecordEntry]
        public enum RecordEntry: Sendable, Hashable { case recorded(row: Int), constant(Double) }
        /// Rows of n floats per step and sequence in a chunk record: the recorded entries in, the
        /// input column W (ε, ē, Σ L ē, Σ e, Σ ē: m + 4 rows) out, in place.
        public var recordWidth: Int {
            max(recordEntries.filter { if case .recorded = $0 { true } else { false } }.count, components.count + 4)
        }
        /// Step mode: where component r (in `components` order) of ε_ji of sequence b lies.
        public func eligibilityIndex(batch: Int, inputs pre: Int, neurons: Int, b: Int, j: Int, i: Int, component r: Int) -> Int {
            if r < sharedCount { return (b * pre + i) * sharedCount + r }
            let m = perSynapseCount
            return batch * pre * sharedCount * sharedBlocks + ((b * neurons + j) * pre + i) * m + (r - sharedCount)
        }
    }
    public var stateCount: Int
    public var channelCount: Int
    public var learnableCount: Int
    public var spiking: Bool
    public var projections: [Projection]
    /// Stored components of each learnable parameter's eligibility vector, and their offsets.
    public var parameterComponents: [[Int]]
    public var parameterOffsets: [Int]
    public var parameterTraceComponents: Int
    /// Rows of n floats in a layer step's `work` block: the channel currents, the next spikes,
    /// and the rows of the neuron body (`NeuronBody.rowCount`, set by `LayerKernel`).
    public internal(set) var workRows = 0

    init(layer: LayerSpec, model: CheckedModel, plan: EliminationPlan) {
        stateCount = model.states.count
        channelCount = model.inputs.count
        learnableCount = model.learnables.count
        spiking = model.isSpiking
        projections = layer.projections.map { p in
            let channel = model.inputs.firstIndex(of: p.channel)!
            let t = plan.traceStructure(channel: channel)
            var recorded = 0
            let entries: [Projection.RecordEntry] = plan.chunkRecordEntries(channel: channel, components: t.components).map {
                switch $0 {
                case nil: return .constant(0)
                case .constant(let c)?: return .constant(c)
                case .temp?: defer { recorded += 1 }; return .recorded(row: recorded)
                }
            }
            let events = p.delays?.runsAsEvents ?? false
            var projection = Projection(source: p.source, channel: channel, components: t.components, sharedCount: events ? 0 : t.sharedCount,
                                        recordEntries: entries)
            projection.delayedEvents = events
            return projection
        }
        parameterComponents = model.learnables.indices.map(plan.parameterComponents)
        var offset = 0
        parameterOffsets = parameterComponents.map { c in defer { offset += c.count }; return offset }
        parameterTraceComponents = offset
    }

    /// The projections with a trace the step-by-step kernel advances: all but synaptic delays in
    /// event form, whose traces are chunked only (`Projection.delayedEvents`).
    public var stepTraceProjections: [Int] {
        projections.indices.filter { !projections[$0].components.isEmpty && !projections[$0].delayedEvents }
    }

    /// Chunk mode: the projections whose channel record the forward pass writes (the first
    /// projection into each channel with a trace; later ones on that channel share its record).
    public var chunkRecordOwners: [Int] {
        projections.indices.filter { p in
            !projections[p].components.isEmpty && !projections[..<p].contains { $0.channel == projections[p].channel && !$0.components.isEmpty }
        }
    }
    /// The record owner of projection p.
    public func chunkRecordOwner(of p: Int) -> Int {
        projections.firstIndex { $0.channel == projections[p].channel && !$0.components.isEmpty }!
    }
    /// Chunk mode: `chunk_events` starts with the step lists of each projection with a trace — the
    /// nonzero inputs of every step of the chunk, as the layer step gathers them for its currents
    /// (K + 1 offsets, then up to K·n_pre indices) — so that the synapse pass need not gather them
    /// again; the primitives' scratch follows. The slots before projection p's lists (p = the
    /// projection count: before the scratch).
    public func chunkListSlots(before p: Int) -> Extent {
        .sum(projections[..<p].filter { !$0.components.isEmpty }.map {
            .sum([.steps, .constant(1), .product([.steps, $0.source == .input ? .inputs : .neurons])])
        })
    }

    /// Floats per (sequence, neuron) of a chunk propagator, as runtime-c/plasticity_chunk.c defines it.
    public static func chunkPropagatorWidth(_ m: Int) -> Int { Int(plasticity_chunk_propagator_width(Int32(m))) }

    /// Floats of each buffer for a batch of `batch` sequences, `inputs` presynaptic inputs and
    /// `neurons` neurons.
    public func bufferSizes(batch: Int, inputs: Int, neurons: Int) -> [String: Int] {
        Dictionary(uniqueKeysWithValues: bufferElements(batch: batch, inputs: inputs, neurons: neurons).map { ($0.name, $0.elements) })
    }
}
