import PlasticityRuntime

/// A float buffer with a stable address, so the kernel can be handed many at once.
public final class FloatBuffer: @unchecked Sendable {
    /// At least one element is allocated so that the address is never null; `count` is the
    /// logical size.
    private let storage: UnsafeMutableBufferPointer<Float>
    public let count: Int
    /// Cache-line aligned: rows of a multiple of 16 floats then start on a line, so that a 64-byte
    /// vector load never straddles two (malloc's large blocks sit 16 bytes past a page).
    static let alignment = 64
    public init(count: Int, value: Float = 0) {
        self.count = count
        let raw = UnsafeMutableRawPointer.allocate(byteCount: max(count, 1) * MemoryLayout<Float>.stride, alignment: Self.alignment)
        storage = UnsafeMutableBufferPointer(start: raw.bindMemory(to: Float.self, capacity: max(count, 1)), count: max(count, 1))
        storage.initialize(repeating: value)
    }
    deinit { storage.deallocate() }
    public var pointer: UnsafeMutableBufferPointer<Float> { UnsafeMutableBufferPointer(rebasing: storage[0..<count]) }
    public var array: [Float] {
        get { Array(storage[0..<count]) }
        set { precondition(newValue.count == count); _ = UnsafeMutableBufferPointer(rebasing: storage[0..<count]).update(from: newValue) }
    }
    public subscript(i: Int) -> Float {
        get { precondition(i < count); return storage[i] }
        set { precondition(i < count); storage[i] = newValue }
    }
    var base: UnsafeMutablePointer<Float> { storage.baseAddress! }
}

/// The buffers of one layer for a batch (layouts of `runtime-c/include/plasticity_kernel.h`).
public class LayerBuffers {
    public let layout: KernelLayout
    public let model: CheckedModel
    public let batch: Int, inputs: Int, neurons: Int
    public var kappa: Float = 0

    public let state, spike, psi, parameters, work, parameterEligibilityVector, parameterEligibilityTrace: FloatBuffer
    /// [batch][n]: 0 while neuron j's per-synapse traces are all exactly zero (`plasticity_kernel.h`).
    public let synapsesLive: FloatBuffer
    public let weights, eligibilityVectors, eligibilityTraces: [FloatBuffer]
    /// Wᵀ [n_pre][n] per projection, refreshed from `weights` by every `arguments` call.
    let weightsTransposed: [FloatBuffer]

    /// Sums over steps, kept only when asked for (`keepSums`): spike counts [n] and Σ e [n][n_pre]
    /// for rate regularization; Σ ē [batch][n][n_pre] for time-summed losses; likewise for θ.
    public private(set) var spikeCount: FloatBuffer?
    public private(set) var eligibilitySums: [FloatBuffer] = []
    public private(set) var eligibilityTraceSums: [FloatBuffer] = []
    public private(set) var parameterEligibilitySum: FloatBuffer?
    public private(set) var parameterEligibilityTraceSum: FloatBuffer?

    /// Scratch for the active presynaptic indices (Σ over projections of n_pre, at least n).
    let active: UnsafeMutablePointer<Int32>
    /// Entries of `active`: every projection's presynaptic count, and at least n, since a
    /// network's readout gathers the last layer's spikes in it.
    var activeCount: Int { Self.activeCount(layout: layout, inputs: inputs, neurons: neurons) }
    static func activeCount(layout: KernelLayout, inputs: Int, neurons: Int) -> Int {
        max(layout.projections.reduce(0) { $0 + ($1.source == .input ? inputs : neurons) }, neurons, 1)
    }

    deinit { active.deallocate() }

    /// ∂z/∂I per neuron at the last step [batch][n], when a layer below learns by backward pass.
    public private(set) var instantGain: FloatBuffer?
    public func enableInstantGain() { if instantGain == nil { instantGain = FloatBuffer(count: batch * neurons) } }

    /// Which sums the next kernel call keeps (buffers stay allocated; only enabled ones are passed).
    private(set) var keepsSpikeCount = false, keepsEligibilitySums = false, keepsTraceSums = false

    /// Chooses the sums the next calls keep, allocating (once) and zeroing their buffers:
    /// spike counts (firing rates), Σ e (rate regularization), Σ ē (time-summed losses).
    public func keepSums(spikes: Bool, eligibility: Bool, traces: Bool) {
        let P = layout.learnableCount
        keepsSpikeCount = spikes || eligibility
        keepsEligibilitySums = eligibility
        keepsTraceSums = traces
        if keepsSpikeCount {
            if spikeCount == nil { spikeCount = FloatBuffer(count: neurons) }
            spikeCount!.pointer.update(repeating: 0)
        }
        if eligibility {
            if eligibilitySums.isEmpty {
                eligibilitySums = weights.indices.map { FloatBuffer(count: weights[$0].count * layout.projections[$0].taps) }
                parameterEligibilitySum = FloatBuffer(count: neurons * P)
            }
            for b in [parameterEligibilitySum!] + eligibilitySums { b.pointer.update(repeating: 0) }
        }
        if traces {
            if eligibilityTraceSums.isEmpty {
                eligibilityTraceSums = eligibilityTraces.map { FloatBuffer(count: $0.count) }
                parameterEligibilityTraceSum = FloatBuffer(count: batch * neurons * P)
            }
            for b in eligibilityTraceSums + [parameterEligibilityTraceSum!] { b.pointer.update(repeating: 0) }
        }
    }

    /// - Parameter parameterValues: per-neuron initial values of learnable parameters by name
    ///   (`neurons` values each); others start at the model's value.
    /// - Throws: `ResourceError` before allocating anything when the buffers would exceed `memoryCap` bytes.
    public init(layout: KernelLayout, model: CheckedModel, batch: Int, inputs: Int, neurons: Int,
                parameterValues: [String: [Float]] = [:], memoryCap: Int = MemoryCap.bytes) throws {
        self.layout = layout; self.model = model
        self.batch = batch; self.inputs = inputs; self.neurons = neurons
        guard batch > 0, inputs >= 0, neurons > 0 else {
            throw ResourceError(message: "a layer needs batch > 0, inputs ≥ 0 and neurons > 0 (got \(batch), \(inputs), \(neurons))")
        }
        let elements = layout.bufferElements(batch: batch, inputs: inputs, neurons: neurons)
        try MemoryCap.check(elements: MemoryCap.sum(elements.map(\.elements)), what: "layer '\(model.name)' (\(neurons) neurons, batch \(batch))",
                            largest: elements.max { $0.elements < $1.elements }!, cap: memoryCap)
        let sizes = Dictionary(uniqueKeysWithValues: elements.map { ($0.name, $0.elements) })
        state = FloatBuffer(count: sizes["state"]!)
        spike = FloatBuffer(count: sizes["spike"]!)
        psi = FloatBuffer(count: sizes["psi"]!)
        synapsesLive = FloatBuffer(count: sizes["synapses_live"]!)
        parameters = FloatBuffer(count: sizes["params"]!)
        for name in parameterValues.keys where !model.learnables.contains(where: { $0.name == name }) {
            throw ModelError(kind: .unknownSymbol, model: model.name, symbol: name, location: model.location,
                             message: "values given for '\(name)', which is not a learnable parameter")
        }
        for (p, learnable) in model.learnables.enumerated() {
            let values = parameterValues[learnable.name] ?? Array(repeating: Float(learnable.initial), count: neurons)
            guard values.count == neurons else {
                let at = model.location
                throw ModelError(kind: .shapeMismatch, model: model.name, symbol: learnable.name, location: at,
                                 message: "parameter '\(learnable.name)' has \(values.count) values but the layer has \(neurons) neurons")
            }
            for j in 0..<neurons { parameters[p * neurons + j] = values[j] }
        }
        work = FloatBuffer(count: sizes["work"]!)
        parameterEligibilityVector = FloatBuffer(count: sizes["param_eligibility_vector"]!)
        parameterEligibilityTrace = FloatBuffer(count: sizes["param_eligibility_trace"]!)
        weights = layout.projections.indices.map { FloatBuffer(count: sizes["weights[\($0)]"]!) }
        weightsTransposed = weights.map { FloatBuffer(count: $0.count) }
        eligibilityVectors = layout.projections.indices.map { FloatBuffer(count: sizes["eligibility_vector[\($0)]"]!) }
        eligibilityTraces = layout.projections.indices.map { FloatBuffer(count: sizes["eligibility_trace[\($0)]"]!) }
        let count = Self.activeCount(layout: layout, inputs: inputs, neurons: neurons)
        active = .allocate(capacity: count)
        active.initialize(repeating: 0, count: count)
        resetSequence()
    }

    /// Chunk mode (network kernels): the forward pass records K steps of local Jacobians and the
    /// traces advance once per chunk (runtime-c/plasticity_chunk.c). ε and ē are then stored
    /// neuron-innermost; see plasticity_kernel.h.
    public private(set) var chunkSteps = 0
    private var chunkRecords: [FloatBuffer?] = [], chunkPropagators: [FloatBuffer?] = []
    private var chunkSignal: FloatBuffer?, chunkSpikes: FloatBuffer?
    /// The calling thread's scratch for the chunk's inputs by presynaptic index (4-byte slots; extra
    /// threads have their own).
    private(set) var chunkEvents: FloatBuffer?
    /// Per projection: the gradient and Σe of a call [n_pre][n] (one per thread; extra threads
    /// have their own), Σē [batch][n_pre][n].
    private(set) var chunkGradients: [FloatBuffer?] = [], chunkEligibilitySums: [FloatBuffer?] = []
    private var chunkTraceSums: [FloatBuffer?] = []

    /// Allocates the chunk buffers for chunks of `steps` steps (the caller has checked their size
    /// against the memory cap) and starts a new sequence: the trace layouts change.
    func enableChunks(steps: Int) {
        precondition(steps > 0 && layout.projections.allSatisfy { $0.components.count <= Int(PLASTICITY_CHUNK_MAX_COMPONENTS) })
        chunkSteps = steps
        let sizes = Dictionary(uniqueKeysWithValues: layout.chunkBufferElements(batch: batch, inputs: inputs, neurons: neurons, steps: steps)
            .map { ($0.name, $0.elements) })
        chunkSignal = FloatBuffer(count: sizes["chunk_signal"]!)
        chunkSpikes = FloatBuffer(count: sizes["chunk_spikes"]!)
        chunkEvents = FloatBuffer(count: sizes["chunk_events"]!)
        chunkRecords = layout.projections.indices.map { p in sizes["chunk_record[\(p)]"].map { FloatBuffer(count: $0) } }
        chunkPropagators = layout.projections.indices.map { p in sizes["chunk_propagator[\(p)]"].map { FloatBuffer(count: $0) } }
        chunkGradients = layout.projections.indices.map { p in sizes["chunk_gradient[\(p)]"].map { FloatBuffer(count: $0) } }
        chunkEligibilitySums = layout.projections.map { _ in nil }
        chunkTraceSums = layout.projections.map { _ in nil }
        resetSequence()
    }

    /// Zeroes what a chunk-mode call accumulates (after a call that stopped before flushing it).
    func clearChunkAccumulators() {
        for buffer in (chunkGradients + chunkEligibilitySums + chunkTraceSums).compactMap({ $0 }) { buffer.pointer.update(repeating: 0) }
    }

    /// Whether `spike` holds the sequence's initial z^{-1} = 0 (a constant, so the first step
    /// takes no derivative through it) rather than a spike the dynamics emitted. Set by
    /// `resetSequence`, cleared by every call that advances the layer.
    public var spikeIsInitial = true
    /// Noise sources: the key of this layer's current batch of sequences (set by the network at
    /// each `resetSequence`), and the steps the sequences have taken (the step of the next call's
    /// first step).
    public var noiseSeed: UInt64 = 0
    public var noiseStep = 0

    /// After a call that advanced the layer by `steps`.
    func advanced(by steps: Int) {
        guard steps > 0 else { return }
        spikeIsInitial = false
        noiseStep += steps
    }

    /// The draws of the model's noise sources for step `t` of the sequences (since they began),
    /// into `currents` [batch][neurons][channels]: the oracles' given input.
    public func fillNoise(_ currents: inout [Float], step t: Int) {
        let C = layout.channelCount
        for (c, name) in model.inputs.enumerated() {
            guard let distribution = model.noise[name] else { continue }
            var row = [Float](repeating: 0, count: neurons)
            for b in 0..<batch {
                plasticity_noise(&row, Int32(neurons), distribution == .normal ? PLASTICITY_NOISE_NORMAL : PLASTICITY_NOISE_UNIFORM, noiseSeed,
                                 Int32(b), Int64(t), Int32(c))
                for j in 0..<neurons { currents[(b * neurons + j) * C + c] = row[j] }
            }
        }
    }

    /// Sequences start from the model's initial state with empty traces (weights and parameters stay).
    public func resetSequence() {
        spikeIsInitial = true
        noiseStep = 0
        for b in 0..<batch { for j in 0..<neurons { for (s, variable) in model.states.enumerated() {
            state[(b * neurons + j) * layout.stateCount + s] = Float(variable.initial)
        } } }
        for buffer in [spike, psi, synapsesLive, parameterEligibilityVector, parameterEligibilityTrace] + eligibilityVectors + eligibilityTraces {
            buffer.pointer.update(repeating: 0)
        }
    }

    /// The kernel arguments over this layer's buffers.
    /// - Parameter weightsChanged: refresh Wᵀ from the weights (local steps with explicit currents
    ///   do not read them).
    func arguments(steps: Int, input: UnsafePointer<Float>?, outputRecord: UnsafeMutablePointer<Float>?,
                   stateRecord: UnsafeMutablePointer<Float>?, weightsChanged: Bool = true) -> plasticity_layer_args {
        var a = plasticity_layer_args()
        a.batch = Int32(batch); a.n_in = Int32(inputs); a.n = Int32(neurons); a.n_steps = Int32(steps)
        a.kappa = kappa
        a.input = input
        a.state = state.base; a.spike = spike.base; a.psi = psi.base
        a.params = UnsafePointer(parameters.base)
        withUnsafeMutableBytes(of: &a.weights) { raw in
            let slots = raw.bindMemory(to: UnsafePointer<Float>?.self)
            for (p, w) in weights.enumerated() { slots[p] = UnsafePointer(w.base) }
        }
        withUnsafeMutableBytes(of: &a.weights_transposed) { raw in
            let slots = raw.bindMemory(to: UnsafePointer<Float>?.self)
            for (p, (w, wt)) in zip(weights, weightsTransposed).enumerated() {
                if weightsChanged { plasticity_transpose(wt.base, w.base, Int32(neurons), Int32(w.count / neurons)) }
                slots[p] = UnsafePointer(wt.base)
            }
        }
        withUnsafeMutableBytes(of: &a.eligibility_vector) { raw in
            let slots = raw.bindMemory(to: UnsafeMutablePointer<Float>?.self)
            for (p, e) in eligibilityVectors.enumerated() { slots[p] = e.base }
        }
        withUnsafeMutableBytes(of: &a.eligibility_trace) { raw in
            let slots = raw.bindMemory(to: UnsafeMutablePointer<Float>?.self)
            for (p, e) in eligibilityTraces.enumerated() { slots[p] = e.base }
        }
        a.param_eligibility_vector = parameterEligibilityVector.base
        a.param_eligibility_trace = parameterEligibilityTrace.base
        a.work = work.base
        a.output_record = outputRecord
        a.state_record = stateRecord
        a.spike_count = keepsSpikeCount ? spikeCount?.base : nil
        if keepsEligibilitySums {
            withUnsafeMutableBytes(of: &a.eligibility_sum) { raw in
                let slots = raw.bindMemory(to: UnsafeMutablePointer<Float>?.self)
                for (p, e) in eligibilitySums.enumerated() { slots[p] = e.base }
            }
            a.param_eligibility_sum = parameterEligibilitySum?.base
        }
        if keepsTraceSums {
            withUnsafeMutableBytes(of: &a.eligibility_trace_sum) { raw in
                let slots = raw.bindMemory(to: UnsafeMutablePointer<Float>?.self)
                for (p, e) in eligibilityTraceSums.enumerated() { slots[p] = e.base }
            }
            a.param_eligibility_trace_sum = parameterEligibilityTraceSum?.base
        }
        a.instant_gain = instantGain?.base
        a.active = active
        a.synapses_live = synapsesLive.base
        a.spike_is_initial = spikeIsInitial ? 1 : 0
        a.noise_seed = noiseSeed; a.noise_step = Int64(noiseStep)
        a.batch_begin = 0; a.batch_end = Int32(batch)
        if chunkSteps > 0 { setChunkArguments(&a) }
        return a
    }

}

extension LayerBuffers {
    private func setChunkArguments(_ a: inout plasticity_layer_args) {
        a.chunk_steps = Int32(chunkSteps)
        a.chunk_signal = chunkSignal!.base
        a.chunk_spikes = chunkSpikes!.base
        a.chunk_events = chunkEvents!.eventSlots
        for p in layout.projections.indices where !layout.projections[p].components.isEmpty {
            let pre = layout.projections[p].source == .input ? inputs : neurons, taps = layout.projections[p].taps
            if keepsEligibilitySums, chunkEligibilitySums[p] == nil { chunkEligibilitySums[p] = FloatBuffer(count: taps * pre * neurons) }
            if keepsTraceSums, chunkTraceSums[p] == nil { chunkTraceSums[p] = FloatBuffer(count: taps * batch * pre * neurons) }
        }
        let owners = layout.projections.indices.map { p in layout.projections[p].components.isEmpty ? nil : layout.chunkRecordOwner(of: p) }
        setProjectionSlots(&a.chunk_record, owners.map { $0.flatMap { chunkRecords[$0] } })
        setProjectionSlots(&a.chunk_propagator, owners.map { $0.flatMap { chunkPropagators[$0] } })
        setProjectionSlots(&a.chunk_gradient, chunkGradients)
        setProjectionSlots(&a.chunk_eligibility_sum, chunkEligibilitySums)
        setProjectionSlots(&a.chunk_eligibility_trace_sum, chunkTraceSums)
    }
}

extension FloatBuffer {
    /// The buffer as the 4-byte int slots of a C scratch (plasticity_chunk_args.events), which C
    /// alone reads and writes.
    var eventSlots: UnsafeMutablePointer<Int32> { UnsafeMutableRawPointer(base).assumingMemoryBound(to: Int32.self) }
}

/// Points the per-projection slots of a pointer-array field of the layer args at `buffers`
/// (nil: a null pointer).
func setProjectionSlots<T>(_ field: inout T, _ buffers: [FloatBuffer?]) {
    withUnsafeMutableBytes(of: &field) { raw in
        let slots = raw.bindMemory(to: UnsafeMutablePointer<Float>?.self)
        for (p, buffer) in buffers.enumerated() { slots[p] = buffer?.base }
    }
}

/// A layer with its own kernel, and the calls that advance it. Nothing is allocated per step.
public final class LayerSimulation: LayerBuffers {
    public let kernel: Kernel

    public init(kernel: Kernel, batch: Int, inputs: Int, neurons: Int, parameterValues: [String: [Float]] = [:],
                memoryCap: Int = MemoryCap.bytes) throws {
        self.kernel = kernel
        try super.init(layout: kernel.layout, model: kernel.model, batch: batch, inputs: inputs, neurons: neurons,
                       parameterValues: parameterValues, memoryCap: memoryCap)
    }

    /// Runs `steps` fused steps on `input` ([steps][batch][inputs]); returns the recorded layer
    /// outputs [steps][batch][neurons] and, if asked, states [steps][batch][neurons][k].
    @discardableResult
    public func run(input: [Float], steps: Int, recordStates: Bool = false) -> (outputs: [Float], states: [Float]) {
        precondition(input.count == steps * batch * inputs, "input must be [steps][batch][inputs]")
        var outputs = [Float](repeating: 0, count: steps * batch * neurons)
        var states = [Float](repeating: 0, count: recordStates ? steps * batch * neurons * kernel.layout.stateCount : 0)
        input.withUnsafeBufferPointer { x in
            outputs.withUnsafeMutableBufferPointer { o in
                states.withUnsafeMutableBufferPointer { s in
                    var a = arguments(steps: steps, input: x.baseAddress, outputRecord: o.baseAddress,
                                      stateRecord: recordStates ? s.baseAddress : nil)
                    _ = kernel.run(&a)
                }
            }
        }
        advanced(by: steps)
        return (outputs, states)
    }

    /// Dense local Jacobians of one step, per neuron of the batch.
    public struct LocalJacobians {
        public var state: [Float]           // D   [batch][n][k][k]
        public var input: [Float]           // c   [batch][n][k][C]
        public var parameter: [Float]       // dh/dθ [batch][n][k][P]
        public var outputGradient: [Float]  // ψ   [batch][n][k]
        public var outputParameter: [Float] // dz/dθ [batch][n][P]
    }

    /// One step driven by explicit channel currents ([batch][neurons][channels]); advances state,
    /// spike and ψ and returns the local Jacobians of that step.
    public func localStep(currents: [Float]) -> LocalJacobians {
        let k = kernel.layout.stateCount, C = kernel.layout.channelCount, P = kernel.layout.learnableCount
        let cells = batch * neurons
        precondition(currents.count == cells * C)
        var j = LocalJacobians(state: .init(repeating: 0, count: cells * k * k), input: .init(repeating: 0, count: cells * k * C),
                               parameter: .init(repeating: 0, count: cells * k * P), outputGradient: .init(repeating: 0, count: cells * k),
                               outputParameter: .init(repeating: 0, count: cells * P))
        var padded = currents
        if C == 0 { padded = [Float](repeating: 0, count: cells) }
        padded.withUnsafeBufferPointer { cur in
            j.state.withUnsafeMutableBufferPointer { d in
            j.input.withUnsafeMutableBufferPointer { c in
            j.parameter.withUnsafeMutableBufferPointer { p in
            j.outputGradient.withUnsafeMutableBufferPointer { psiOut in
            j.outputParameter.withUnsafeMutableBufferPointer { zp in
                var out = plasticity_local_jacobian(state_jacobian: d.baseAddress, input_jacobian: c.baseAddress,
                                                    param_jacobian: p.baseAddress, output_gradient: psiOut.baseAddress,
                                                    output_param_gradient: zp.baseAddress)
                var a = arguments(steps: 1, input: nil, outputRecord: nil, stateRecord: nil, weightsChanged: false)
                kernel.localStep(&a, cur.baseAddress, &out)
            } } } } }
        }
        advanced(by: 1)
        return j
    }
}
