import Foundation
import PlasticityRuntime

/// What one call of the network kernel produced.
public struct NetworkRunResult: Sendable {
    /// Summed over batch and steps.
    public var loss: Double
    /// Cross-entropy: steps where argmax y was the label, and steps that had a label.
    public var correct: Int, counted: Int
    /// The first step whose tensors went non-finite, and the tensor's name.
    public var failure: (step: Int, tensor: String)?
    /// [steps][batch][outputs] when recorded.
    public var readout: [Float]
    /// Per hidden layer, [steps][batch][neurons] spikes, when recorded.
    public var spikes: [[Float]] = []
    /// Per hidden layer, [steps][batch][neurons][states] state values at the end of each step
    /// (before the next step's reset), when recorded.
    public var states: [[Float]] = []
    public init(loss: Double, correct: Int, counted: Int, failure: (step: Int, tensor: String)?, readout: [Float]) {
        self.loss = loss; self.correct = correct; self.counted = counted; self.failure = failure; self.readout = readout
    }
}

/// The buffers of a network for a batch: every hidden layer, the readout, feedback matrices and
/// gradients (sums over batch and steps), and the call into the fused kernel.
public final class NetworkSimulation {
    public let kernel: NetworkKernel
    public let batch: Int
    public let layers: [LayerBuffers]
    /// Per layer, delays on its projections from its input (nil: none): the layer's kernel then
    /// reads an expanded input of taps, gathered by the network loop from its `delayLines`, and its
    /// `weights` and `weightGradients` are over the taps (`InputDelays`).
    public let delays: [InputDelays?]
    /// Layer 0's delays (on projections from the network input).
    public var inputDelays: InputDelays? { delays[0] }
    /// Per layer with delays: the kernel's ring of the layer's input (network input or spikes below).
    let delayLines: [DelayLine?]
    public let readoutWeights, readoutBias: FloatBuffer
    /// W_outᵀ [n_last][n_out], refreshed from `readoutWeights` by every `run`.
    private let readoutWeightsTransposed: FloatBuffer
    /// Fixed feedback B [n_l][n_out] per layer (nil for symmetric feedback).
    public let feedback: [FloatBuffer?]
    public let readoutState, readoutTrace, readoutBiasTrace: FloatBuffer
    public let weightGradients: [[FloatBuffer]]
    public let parameterGradients: [FloatBuffer]
    public let readoutWeightGradient, readoutBiasGradient: FloatBuffer
    private let error, learningSignal: FloatBuffer
    /// Chunk mode: each step's readout error [batch][K][outputs] and z̄ before the chunk
    /// [batch][last layer], scratch of the slice that folds the readout gradient onto the spikes.
    private let chunkError, chunkReadoutTrace: FloatBuffer?
    /// Σ_t z̄ and Σ_t (κ-filtered 1) per sequence, for the time-summed loss.
    var readoutTraceSum, readoutBiasTraceSum: FloatBuffer?

    public var network: NetworkSpec { kernel.network }
    /// Threads the batch is split over in `run` (each a slice of sequences with private
    /// gradient buffers, summed afterwards; equal to one thread up to float reassociation).
    public var threads = 1
    /// Private accumulators of threads 1…threads−1, kept between calls.
    var sliceBuffers: [SliceBuffers] = []
    /// When set, `run` adds each phase's cycles and the gathered events to it (`KernelProfile`).
    public var profile: KernelProfile?
    /// Fixed sparsity masks (1 keeps a synapse, 0 removes it) per layer and projection.
    public private(set) var masks: [[FloatBuffer?]] = []

    /// Fixes the connectivity of a projection: masked weights are set to zero and stay there
    /// (their gradients are zeroed before every update).
    public func setMask(layer l: Int, projection p: Int, _ mask: [Bool]) {
        if masks.isEmpty { masks = layers.map { $0.weights.map { _ in nil } } }
        let w = weights(layer: l, projection: p)
        precondition(mask.count == w.count, "the mask must have one entry per weight [n][n_pre]")
        let buffer = FloatBuffer(count: w.count)
        for i in 0..<w.count { buffer[i] = mask[i] ? 1 : 0; if !mask[i] { w[i] = 0 } }
        masks[l][p] = buffer
    }

    /// What updates must keep: parameters inside their initializers' bounds (clamped), and
    /// projections of one sign (Dale's law): after an update, weights of the wrong sign become 0
    /// (the projection onto the constraint); at initialization (`magnitudes`), w becomes ±|w|.
    func enforceConstraints(magnitudes: Bool = false) {
        for (l, layer) in layers.enumerated() {
            for (p, learnable) in layer.model.learnables.enumerated() {
                guard let range = network.hidden[l].initializers[learnable.name]?.range else { continue }
                let (lower, upper) = (Float(range.lowerBound), Float(range.upperBound))
                for i in (p * layer.neurons)..<((p + 1) * layer.neurons) { layer.parameters[i] = min(max(layer.parameters[i], lower), upper) }
            }
            for (p, projection) in network.hidden[l].projections.enumerated() {
                guard let sign = projection.sign else { continue }
                let w = weights(layer: l, projection: p), positive = sign == .excitatory
                for i in 0..<w.count {
                    let v = w[i]
                    w[i] = magnitudes ? (positive ? abs(v) : -abs(v)) : (positive ? max(v, 0) : min(v, 0))
                }
            }
        }
        for d in delays { d?.clampDelays() }
    }

    /// The first delay of any layer the kernel cannot take (`InputDelays.invalidDelay`), or nil.
    public func invalidDelay() -> (tensor: TensorID, index: Int, message: String)? {
        delays.lazy.compactMap { $0?.invalidDelay() }.first
    }

    /// The weights of projection p into layer l as they are trained and stored ([n][n_pre]):
    /// the kernel's own, or with delays the ones its tap weights are made from.
    public func weights(layer l: Int, projection p: Int) -> FloatBuffer {
        delays[l]?.weights[p] ?? layers[l].weights[p]
    }

    /// The gradient of `weights(layer:projection:)`.
    public func weightGradient(layer l: Int, projection p: Int) -> FloatBuffer {
        delays[l]?.weightGradients[p] ?? weightGradients[l][p]
    }

    /// Zeroes masked gradients and those of frozen parameters (before an update), and masked
    /// weights (after one).
    func applyMasks(toGradients: Bool) {
        if toGradients {
            for (l, layer) in layers.enumerated() {
                for (p, learnable) in layer.model.learnables.enumerated() where network.hidden[l].frozenParameters.contains(learnable.name) {
                    for j in 0..<layer.neurons { parameterGradients[l][p * layer.neurons + j] = 0 }
                }
            }
        }
        for (l, projections) in masks.enumerated() {
            for (p, mask) in projections.enumerated() {
                guard let mask else { continue }
                let target = toGradients ? weightGradient(layer: l, projection: p) : weights(layer: l, projection: p)
                for i in 0..<mask.count where mask[i] == 0 { target[i] = 0 }
            }
        }
    }

    /// Steps per chunk of time-chunked exact traces (0: the traces advance every step).
    public let chunkSteps: Int

    /// - Parameter chunkSteps: K > 0 runs the kernel in chunk mode: the forward pass records K
    ///   steps of local Jacobians, then every synapse's ε, ē and gradient advance once for the
    ///   whole chunk and the chunk's inputs enter only where they are nonzero
    ///   (docs/architecture.md, "Time-chunked traces"). The same gradients as step by step up to float reassociation (relative
    ///   1e-4 in `ChunkedTraceTests`); memory grows with K, not with T.
    /// - Throws: `ResourceError` before allocating anything when the buffers would exceed
    ///   `memoryCap` bytes (default: `MemoryCap.bytes`, half the physical memory).
    public init(kernel: NetworkKernel, batch: Int, chunkSteps: Int = 0, memoryCap: Int = MemoryCap.bytes) throws {
        self.kernel = kernel
        self.batch = batch
        self.chunkSteps = chunkSteps
        let net = kernel.network
        guard (0...Int(Int32.max)).contains(chunkSteps) else {
            throw ResourceError(message: "chunk steps must be 0 (off) or positive and at most \(Int32.max), not \(chunkSteps)")
        }
        let maxComponents = Int(PLASTICITY_CHUNK_MAX_COMPONENTS)
        let tooWide = kernel.stages.layers.first { $0.layout.projections.contains { $0.components.count > maxComponents } }
        if chunkSteps > 0, let wide = tooWide {
            throw ResourceError(message: "chunk mode supports up to \(PLASTICITY_CHUNK_MAX_COMPONENTS) trace components per synapse; model " +
                                         "'\(wide.model.name)' has more (use chunkSteps 0)")
        }
        try Self.checkMemory(kernel: kernel, batch: batch, chunkSteps: chunkSteps, cap: memoryCap)
        delays = InputDelays.all(net, batch: batch)
        delayLines = delays.map { d in d.map { DelayLine(delays: $0, chunkSteps: chunkSteps) } }
        let inputs = InputDelays.kernelInputs(of: net)
        var layers: [LayerBuffers] = []
        for (l, stages) in kernel.stages.layers.enumerated() {
            let buffers = try LayerBuffers(layout: stages.layout, model: stages.model, batch: batch,
                                           inputs: inputs[l], neurons: net.hidden[l].neurons)
            buffers.kappa = Float(net.kappa)
            if chunkSteps > 0 { buffers.enableChunks(steps: chunkSteps) }
            layers.append(buffers)
        }
        self.layers = layers
        let last = net.hidden.last!.neurons
        readoutWeights = FloatBuffer(count: net.outputs * last)
        readoutBias = FloatBuffer(count: net.outputs)
        readoutWeightsTransposed = FloatBuffer(count: readoutWeights.count)
        feedback = net.hidden.map { [.symmetric, .backward].contains($0.feedback) ? nil : FloatBuffer(count: $0.neurons * net.outputs) }
        // A layer under a backward-pass layer reports its instantaneous gain ψ·c.
        for (l, h) in net.hidden.enumerated() where h.feedback == .backward { layers[l + 1].enableInstantGain() }
        readoutState = FloatBuffer(count: batch * net.outputs)
        readoutTrace = FloatBuffer(count: batch * last)
        readoutBiasTrace = FloatBuffer(count: batch)
        weightGradients = layers.map { layer in
            layer.weights.indices.map { FloatBuffer(count: layer.weights[$0].count * layer.layout.projections[$0].taps) }
        }
        parameterGradients = layers.map { FloatBuffer(count: $0.parameters.count) }
        readoutWeightGradient = FloatBuffer(count: readoutWeights.count)
        readoutBiasGradient = FloatBuffer(count: net.outputs)
        error = FloatBuffer(count: batch * net.outputs)
        learningSignal = FloatBuffer(count: net.hidden.count * net.hidden.map(\.neurons).max()!)
        chunkError = chunkSteps > 0 ? FloatBuffer(count: batch * chunkSteps * net.outputs) : nil
        chunkReadoutTrace = chunkSteps > 0 ? FloatBuffer(count: batch * last) : nil
    }

    /// Synaptic delays in event form keep chunked traces only: no step-by-step ones.
    static func checkEventDelays(_ net: NetworkSpec, chunkSteps: Int) throws {
        for (l, layer) in net.hidden.enumerated() {
            guard let p = layer.projections.firstIndex(where: { $0.delays?.runsAsEvents ?? false }), chunkSteps == 0 else { continue }
            throw NetworkError(message: "hidden[\(l)].projections[\(p)].delays.form events runs with chunked traces (chunkSteps > 0), not " +
                                        "step by step; use form taps")
        }
    }

    /// The oracles run delays over their taps; a simulation of the same network with form taps
    /// gives them what the event form computes.
    public func requireDelayTaps(oracle: String) throws {
        guard let l = delays.firstIndex(where: { $0?.eventProjection != nil }), let p = delays[l]!.eventProjection else { return }
        throw NetworkError(message: "\(oracle) runs synaptic delays as taps; hidden[\(l)].projections[\(p)] has form events " +
                                    "(compare with a simulation of form taps)")
    }

    /// Every buffer `init` allocates, counted before any is: per layer its own buffers plus a
    /// gradient per weight matrix and parameter vector; the readout, its traces and gradients;
    /// feedback matrices; per-step error and learning signals.
    static func checkMemory(kernel: NetworkKernel, batch: Int, chunkSteps: Int = 0, cap: Int) throws {
        try checkMemory(stages: kernel.stages, batch: batch, chunkSteps: chunkSteps, cap: cap)
    }

    /// The same count from the lowered stages alone (no C compiled), so that a run can refuse a
    /// network before it builds or reads its data; also the chunk mode the event form of delays
    /// needs (`checkEventDelays`). With `recordSteps` > 0 exact BPTT's record of that many steps
    /// (`bpttRecordElements`) counts too.
    public static func checkMemory(stages: NetworkStages, batch: Int, chunkSteps: Int = 0, recordSteps: Int = 0, cap: Int) throws {
        let net = stages.network, p = MemoryCap.product
        try checkEventDelays(net, chunkSteps: chunkSteps)
        guard batch > 0, batch <= Int(Int32.max) else {
            throw ResourceError(message: "the batch must be positive and at most \(Int32.max), not \(batch)")
        }
        var buffers: [(name: String, elements: Int)] = []
        var below = 0
        let inputs = InputDelays.kernelInputs(of: net)
        for (l, layer) in stages.layers.enumerated() {
            let n = net.hidden[l].neurons
            below = inputs[l]
            let line = DelayLine.elements(network: net, layer: l, batch: batch, chunkSteps: chunkSteps)
            if line > 0 { buffers.append(("layer \(l) delay line", line)) }
            for b in layer.layout.bufferElements(batch: batch, inputs: below, neurons: n) {
                buffers.append(("layer \(l) \(b.name)", b.elements))
                if b.name.hasPrefix("weights[") || b.name == "params" { buffers.append(("layer \(l) gradient of \(b.name)", b.elements)) }
            }
            for (p, projection) in layer.layout.projections.enumerated() where projection.delayedEvents {
                buffers.append(("layer \(l) gradient of the second tap of weights[\(p)]", MemoryCap.product(n, below)))
            }
            if chunkSteps > 0 {
                buffers += layer.layout.chunkBufferElements(batch: batch, inputs: below, neurons: n, steps: chunkSteps)
                    .map { ("layer \(l) \($0.name)", $0.elements) }
            }
            if net.hidden[l].feedback == .random || net.hidden[l].feedback == .targetProjection { buffers.append(("layer \(l) feedback", p(n,
                net.outputs))) }
            below = n
        }
        buffers += [("readout weights, their transpose and gradient", p(3, net.outputs, below)), ("readout traces", p(batch, below)),
                    ("readout state and error", p(2, batch, net.outputs)),
                    ("learning signals", p(net.hidden.count, net.hidden.map(\.neurons).max() ?? 0))]
        if chunkSteps > 0 { buffers += [("chunk readout error", p(batch, chunkSteps, net.outputs)), ("chunk readout trace", p(batch, below))] }
        if recordSteps > 0 {
            let record = bpttRecordElements(layers: stages.layers.map(\.layout), sizes: net.hidden.map(\.neurons), batch: batch, steps: recordSteps)
            buffers.append(("BPTT's record of \(recordSteps) steps", record))
        }
        try MemoryCap.check(elements: MemoryCap.sum(buffers.map(\.elements)), what: "the network (batch \(batch))",
                            largest: buffers.max { $0.elements < $1.elements }!, cap: cap)
    }

    /// Float-sized elements of exact BPTT's forward record: per step, layer and cell the local
    /// Jacobians D (k×k), c (k×C), ∂h/∂θ (k×P), ψ (k), ∂z/∂θ (P) and z, each a Double (two elements).
    public static func bpttRecordElements(layers: [KernelLayout], sizes: [Int], batch: Int, steps: Int) -> Int {
        let p = MemoryCap.product
        let perStep = MemoryCap.sum(zip(layers, sizes).map { layout, n in
            let k = layout.stateCount, C = max(layout.channelCount, 1), P = layout.learnableCount
            return p(batch, n, MemoryCap.sum([p(k, k), p(k, C), p(k, P), k, P, 1]))
        })
        return p(2, steps, perStep)
    }

    /// Gaussian initialisation scaled by fan-in: W ~ N(0, gain²/fan_in); fixed feedback
    /// B ~ N(0, 1/n_out); biases 0.
    public func initializeWeights(seed: UInt64, inputGain: Double = 1, recurrentGain: Double = 1, readoutGain: Double = 1) {
        var rng = SplitMix64(seed: seed)
        func fill(_ buffer: FloatBuffer, std: Double) {
            for i in 0..<buffer.count { buffer[i] = Float(rng.normal() * std) }
        }
        for (l, layer) in layers.enumerated() {
            for (p, projection) in network.hidden[l].projections.enumerated() {
                let fanIn = projection.source == .input ? InputDelays.inputWidth(of: network, layer: l) : layer.neurons
                let gain = projection.source == .input ? inputGain : recurrentGain
                fill(weights(layer: l, projection: p), std: gain / Double(fanIn).squareRoot())
            }
        }
        // Layer 0's delays draw from the seed itself, higher layers' from a stream each.
        for (l, d) in delays.enumerated() { d?.initialize(seed: l == 0 ? seed : seed &+ UInt64(l) &* 0x9E37_79B9_7F4A_7C15) }
        initializeParameters(seed: seed)
        noiseSeed = seed
        enforceConstraints(magnitudes: true)
        fill(readoutWeights, std: readoutGain / Double(layers.last!.neurons).squareRoot())
        readoutBias.pointer.update(repeating: 0)
        for b in feedback { if let b { fill(b, std: 1 / Double(network.outputs).squareRoot()) } }
    }

    /// Per-neuron parameter values from the layers' initializers (a stream of its own, so that
    /// the weights of a seed do not depend on them).
    public func initializeParameters(seed: UInt64) {
        var rng = SplitMix64(seed: seed ^ 0x7061_7261_6d73)
        for (l, layer) in layers.enumerated() {
            for (p, learnable) in layer.model.learnables.enumerated() {
                guard let initializer = network.hidden[l].initializers[learnable.name] else { continue }
                let values = initializer.draw(neurons: layer.neurons, stepMs: network.stepMs, using: &rng)
                for j in 0..<layer.neurons { layer.parameters[p * layer.neurons + j] = Float(values[j]) }
            }
        }
    }

    /// The seed of the layers' noise sources (`initializeWeights` sets it to its seed). Each
    /// batch of sequences draws from its own key: the seed, the batch's number since the seed was
    /// set, and the layer.
    public var noiseSeed: UInt64 = 0 { didSet { noiseBatches = 0 } }
    private var noiseBatches: UInt64 = 0

    /// Start of a new batch of sequences: initial states, empty traces, zero readout.
    public func resetSequence() {
        var keys = SplitMix64(seed: noiseSeed ^ (noiseBatches &* 0xD1B5_4A32_D192_ED03))
        noiseBatches &+= 1
        for line in delayLines { line?.reset() }
        for layer in layers {
            layer.resetSequence()
            layer.noiseSeed = keys.next()
        }
        for buffer in [readoutState, readoutTrace, readoutBiasTrace] { buffer.pointer.update(repeating: 0) }
    }

    public func zeroGradients() {
        let delayed = delays.flatMap { ($0?.weightGradients ?? []) + ($0?.delayGradients ?? []) }
        let buffers = weightGradients.flatMap({ $0 }) + parameterGradients + [readoutWeightGradient, readoutBiasGradient] + delayed.compactMap({ $0 })
        for buffer in buffers {
            buffer.pointer.update(repeating: 0)
        }
    }

    /// The network kernel's arguments for a call of `steps` steps over the whole batch (input,
    /// targets and the readout record are set by the caller).
    private func kernelArguments(steps: Int, spikeRecords: [FloatBuffer?], stateRecords: [FloatBuffer?]) -> plasticity_network_args {
        let net = network
        var args = plasticity_network_args()
        args.batch = Int32(batch); args.n_in = Int32(net.inputs); args.n_out = Int32(net.outputs)
        args.n_steps = Int32(steps); args.n_layers = Int32(layers.count)
        args.kappa = Float(net.kappa)
        args.readout_weights = UnsafePointer(readoutWeights.base); args.readout_bias = UnsafePointer(readoutBias.base)
        plasticity_transpose(readoutWeightsTransposed.base, readoutWeights.base, Int32(net.outputs), Int32(layers.last!.neurons))
        args.readout_weights_transposed = UnsafePointer(readoutWeightsTransposed.base)
        args.readout_state = readoutState.base; args.readout_trace = readoutTrace.base; args.readout_bias_trace = readoutBiasTrace.base
        args.readout_trace_sum = readoutTraceSum?.base
        args.readout_bias_trace_sum = readoutBiasTraceSum?.base
        args.grad_readout_weights = readoutWeightGradient.base; args.grad_readout_bias = readoutBiasGradient.base
        args.error = error.base; args.learning_signal = learningSignal.base
        args.n_max = Int32(net.hidden.map(\.neurons).max()!)
        args.chunk_steps = Int32(chunkSteps)
        args.chunk_coefficients = plasticity_chunk_coefficients
        args.chunk_synapses = plasticity_chunk_synapses
        args.chunk_synapses_delayed = plasticity_chunk_synapses_delayed
        args.chunk_flush = plasticity_chunk_flush
        args.chunk_readout = plasticity_chunk_readout
        args.chunk_error = chunkError?.base; args.chunk_readout_trace = chunkReadoutTrace?.base
        withUnsafeMutableBytes(of: &args.layers) { raw in
            let slots = raw.bindMemory(to: plasticity_layer_args.self)
            for (l, layer) in layers.enumerated() {
                slots[l] = layer.arguments(steps: steps, input: nil, outputRecord: spikeRecords[l]?.base, stateRecord: stateRecords[l]?.base)
                delayLines[l]?.setArguments(&slots[l])
            }
        }
        withUnsafeMutableBytes(of: &args.feedback) { raw in
            let slots = raw.bindMemory(to: UnsafePointer<Float>?.self)
            for (l, b) in feedback.enumerated() { slots[l] = b.map { UnsafePointer($0.base) } }
        }
        withUnsafeMutableBytes(of: &args.signal) { raw in
            let slots = raw.bindMemory(to: Int32.self)
            for (l, h) in net.hidden.enumerated() {
                switch h.feedback {
                case .targetProjection: slots[l] = PLASTICITY_SIGNAL_TARGET
                case .backward: slots[l] = PLASTICITY_SIGNAL_BACKWARD
                case .symmetric, .random: slots[l] = PLASTICITY_SIGNAL_ERROR
                }
            }
        }
        withUnsafeMutableBytes(of: &args.grad_weights) { raw in
            let slots = raw.bindMemory(to: UnsafeMutablePointer<Float>?.self)
            for (l, grads) in weightGradients.enumerated() { for (p, g) in grads.enumerated() { slots[l * LayerSpec.maxProjections + p] = g.base } }
        }
        withUnsafeMutableBytes(of: &args.grad_params) { raw in
            let slots = raw.bindMemory(to: UnsafeMutablePointer<Float>?.self)
            for (l, g) in parameterGradients.enumerated() { slots[l] = g.base }
        }
        return args
    }

    /// Runs `steps` steps from the current state, accumulating gradients.
    /// - Parameters:
    ///   - input: [steps][batch][inputs]
    ///   - targets: cross-entropy: [steps][batch] class index (negative: no loss at that step);
    ///     MSE: [steps][batch][outputs] (NaN in the first entry: no loss at that step).
    /// - Parameter countSpikes: keep per-neuron spike counts of this call (`LayerBuffers.spikeCount`).
    public func run(input: [Float], targets: [Float], steps: Int, recordReadout: Bool = false, countSpikes: Bool = false,
                    recordSpikes: Bool = false, recordStates: Bool = false) -> NetworkRunResult {
        let net = network
        precondition(input.count == steps * batch * net.inputs, "input must be [steps][batch][inputs]")
        precondition(targets.count == steps * batch * net.targetWidth, "targets have the wrong shape")
        for (l, d) in delays.enumerated() {
            d?.refreshKernelWeights(layers[l].weights)
            if let d { delayLines[l]?.refresh(from: d) }
        }
        defer { for (l, d) in delays.enumerated() { d?.foldKernelGradients(weightGradients[l]) } }
        let summed = net.loss.definition.scope == .sequenceMean
        for layer in layers { layer.keepSums(spikes: countSpikes, eligibility: net.rateRegularization != nil, traces: summed) }
        if summed {
            if readoutTraceSum == nil {
                readoutTraceSum = FloatBuffer(count: batch * layers.last!.neurons)
                readoutBiasTraceSum = FloatBuffer(count: batch)
            }
            readoutTraceSum!.pointer.update(repeating: 0); readoutBiasTraceSum!.pointer.update(repeating: 0)
        }
        // The kernel computes per-step losses only; a loss of the sequence is applied afterwards.
        let kernelTargets = summed ? [Float](repeating: -1, count: targets.count) : targets
        let spikeRecords = layers.map { recordSpikes ? FloatBuffer(count: steps * batch * $0.neurons) : nil }
        let stateRecords = layers.map { recordStates ? FloatBuffer(count: steps * batch * $0.neurons * $0.layout.stateCount) : nil }
        var args = kernelArguments(steps: steps, spikeRecords: spikeRecords, stateRecords: stateRecords)
        let record = recordReadout || summed
        var readout = [Float](repeating: 0, count: record ? steps * batch * net.outputs : 0)
        input.withUnsafeBufferPointer { x in
            kernelTargets.withUnsafeBufferPointer { y in
                readout.withUnsafeMutableBufferPointer { r in
                    args.input = x.baseAddress
                    args.targets = y.baseAddress
                    args.readout_record = record ? r.baseAddress : nil
                    args.batch_begin = 0; args.batch_end = Int32(batch)
                    runSlices(&args)
                }
            }
        }
        for layer in layers { layer.advanced(by: steps) }
        var failure: (Int, String)?
        if args.failed_step >= 0 {
            failure = (Int(args.failed_step), Self.tensorName(args.failed_tensor))
            for layer in layers { layer.clearChunkAccumulators() }
        }
        var result = NetworkRunResult(loss: args.loss_sum, correct: Int(args.correct), counted: Int(args.counted),
                                      failure: failure, readout: recordReadout ? readout : [])
        result.spikes = spikeRecords.compactMap { $0?.array }
        result.states = stateRecords.compactMap { $0?.array }
        guard failure == nil else { return result }
        if summed { applySequenceLoss(readout: readout, targets: targets, steps: steps, into: &result) }
        if let regularization = net.rateRegularization { applyRateRegularization(regularization, steps: steps, into: &result) }
        return result
    }

    static func tensorName(_ code: Int32) -> String {
        switch code {
        case PLASTICITY_TENSOR_READOUT: return "readout y"
        case PLASTICITY_TENSOR_LOSS: return "loss"
        case PLASTICITY_TENSOR_LAYER_STATE..<PLASTICITY_TENSOR_GRADIENT: return "layer \(code - PLASTICITY_TENSOR_LAYER_STATE) state h"
        case PLASTICITY_TENSOR_GRADIENT...: return "layer \(code - PLASTICITY_TENSOR_GRADIENT) weight gradients"
        default: return "tensor \(code)"
        }
    }
}

extension SplitMix64 {
    /// A standard normal sample (Box–Muller).
    public mutating func normal() -> Double {
        let u = max(Double(next() >> 11) / Double(1 << 53), 1e-300), v = Double(next() >> 11) / Double(1 << 53)
        return (-2 * Foundation.log(u)).squareRoot() * Foundation.cos(2 * Double.pi * v)
    }
}
