import Foundation

/// A hidden layer's input as its kernel sees it when projections from it have delays (`DelaySpec`):
/// each such projection reads its own block of taps — x_i^{t−lag} for the lags it needs — and the
/// kernel's weights over the taps carry the interpolation. Inputs with no delay share one block of
/// x itself. The network kernel gathers the taps from a delay line of the layer's input — the
/// network input, or the spikes of the layer below — over the last D + 2 steps (`tapTable`,
/// `DelayLine`). With k = ⌊d⌋ and f = d − k:
///
///     learnable axonal  taps (x^{t−k_i}, x^{t−k_i−1}),  weights (w_ji (1 − f_i), w_ji f_i)
///     fixed axonal      tap x^{t−d_i},                  weight w_ji
///     synaptic          taps x^{t−0} … x^{t−D−1},       w_ji (1 − f_ji) at lag k_ji, w_ji f_ji at k_ji + 1
///
/// The kernel's traces and gradients over the taps are exact (they are an input like any other),
/// and the chain rule folds them back: ∂L/∂w_ji = (1 − f) G_{j,k} + f G_{j,k+1} and
/// ∂L/∂d = w_ji (G_{j,k+1} − G_{j,k}) summed over j for an axonal delay. Memory per sequence:
/// the last D + 2 steps of the input in the kernel's delay line (O(n_in · D), independent of T).
public final class InputDelays {
    /// Where a projection of the layer reads the expanded input.
    public enum Block: Sendable {
        case direct(offset: Int)
        case delayed(offset: Int, spec: DelaySpec)
    }

    /// The layer, its input width (the network's inputs or the layer below's neurons) and size.
    public let layer: Int, inputs: Int, neurons: Int, batch: Int
    /// Width of the kernel's input: the sum of the blocks.
    public let columns: Int
    /// Per projection of the layer: its block (nil for a recurrent projection without delays,
    /// which the kernel runs as it is).
    public let blocks: [Block?]
    /// Per projection: what it reads. A recurrent projection with delays reads the layer's own
    /// spikes through the delay line, one step later than its lag (z^{t−1−d}): an input of the
    /// layer's kernel like any other.
    public let sources: [LayerSpec.Source]
    /// Per projection with a block: its weights w [n][n_pre] as trained and stored, and their
    /// gradient; the kernel runs the expanded weights made from them (`refreshKernelWeights`).
    public let weights, weightGradients: [FloatBuffer?]
    /// Per delayed projection: d [n_pre] (axonal) or [n][n_pre] (synaptic), in steps, and its gradient.
    public let delays, delayGradients: [FloatBuffer?]
    /// Steps before the current one a tap may read: the largest lag any block reads.
    let historySteps: Int
    /// The projection with synaptic delays in event form (`DelaySpec.Form.events`), if any: its
    /// block is x itself, and the kernel scatters each event by delay (`arrivalTables`).
    public let eventProjection: Int?

    /// The expansion of `network`'s layer `l`, or nil when none of its projections has delays.
    public convenience init?(_ network: NetworkSpec, layer l: Int = 0, batch: Int) {
        guard let layout = Self.layout(of: network, layer: l) else { return nil }
        self.init(network: network, layer: l, blocks: layout.blocks, columns: layout.columns, batch: batch)
    }

    private init(network: NetworkSpec, layer l: Int, blocks: [Block?], columns: Int, batch: Int) {
        let n = network.hidden[l].neurons, nIn = Self.inputWidth(of: network, layer: l)
        layer = l; inputs = nIn; neurons = n; self.batch = batch
        self.blocks = blocks; self.columns = columns
        let sources = network.hidden[l].projections.map(\.source)
        self.sources = sources
        let widths = sources.map { $0 == .input ? nIn : n }
        weights = blocks.indices.map { blocks[$0] == nil ? nil : FloatBuffer(count: n * widths[$0]) }
        weightGradients = blocks.indices.map { blocks[$0] == nil ? nil : FloatBuffer(count: n * widths[$0]) }
        let counts = blocks.indices.map { p -> Int? in
            guard case .delayed(_, let spec)? = blocks[p] else { return nil }
            return spec.count(neurons: n, inputs: widths[p])
        }
        delays = counts.map { $0.map { FloatBuffer(count: $0) } }
        delayGradients = counts.map { $0.map { FloatBuffer(count: $0) } }
        eventProjection = blocks.indices.first { if case .delayed(_, let spec)? = blocks[$0] { spec.runsAsEvents } else { false } }
        historySteps = blocks.indices.compactMap { p in
            guard case .delayed(_, let spec)? = blocks[p] else { return nil }
            return spec.maxSteps + 1 + (sources[p] == .recurrent ? 1 : 0)
        }.max() ?? 0
    }

    /// Presynaptic neurons of projection p: the layer's inputs, or its own neurons.
    func width(_ p: Int) -> Int { sources[p] == .input ? inputs : neurons }

    /// Floats of one row of the delay line: the input, then the layer's own spikes when a
    /// recurrent projection has delays.
    public var lineWidth: Int { inputs + (readsOwnSpikes ? neurons : 0) }
    /// Whether a recurrent projection has delays (the delay line then keeps the layer's spikes).
    public var readsOwnSpikes: Bool { blocks.indices.contains { blocks[$0] != nil && sources[$0] == .recurrent } }

    /// The width of layer l's input before any expansion: the network's inputs, or layer l − 1's neurons.
    public static func inputWidth(of network: NetworkSpec, layer l: Int) -> Int { l == 0 ? network.inputs : network.hidden[l - 1].neurons }

    /// The expansions of every layer of `network` (nil for a layer without delays).
    public static func all(_ network: NetworkSpec, batch: Int) -> [InputDelays?] {
        network.hidden.indices.map { InputDelays(network, layer: $0, batch: batch) }
    }

    /// The kernel's input width of each layer: its columns of taps, or its input width without delays.
    public static func kernelInputs(of network: NetworkSpec) -> [Int] {
        network.hidden.indices.map { layout(of: network, layer: $0)?.columns ?? inputWidth(of: network, layer: $0) }
    }

    /// The blocks of layer l's projections and the kernel's input width, or nil without delays.
    public static func layout(of network: NetworkSpec, layer l: Int = 0) -> (blocks: [Block?], columns: Int)? {
        let projections = network.hidden[l].projections
        guard projections.contains(where: { $0.delays != nil }) else { return nil }
        let nIn = inputWidth(of: network, layer: l), n = network.hidden[l].neurons
        var columns = 0, direct: Int?
        let blocks = projections.map { projection -> Block? in
            guard let spec = projection.delays else {
                guard projection.source == .input else { return nil }
                if direct == nil { direct = columns; columns += nIn }
                return .direct(offset: direct!)
            }
            defer { columns += (projection.source == .input ? nIn : n) * spec.tapsPerInput }
            return .delayed(offset: columns, spec: spec)
        }
        return (blocks, columns)
    }

    /// What each layer's kernel reads with delays, for the printed stages (`--emit plan|kernel|c`):
    /// per layer with delays, one line per block of its expanded input; nil without delays. The
    /// layers' code does not change (sizes are arguments); their input and weights do.
    public static func summary(of network: NetworkSpec) -> [String]? { perLayer(network, summary) }

    /// Lines of every layer with delays, or nil when none has any.
    private static func perLayer(_ network: NetworkSpec, _ lines: (NetworkSpec, Int) -> [String]) -> [String]? {
        let all = network.hidden.indices.flatMap { lines(network, $0) }
        return all.isEmpty ? nil : all
    }

    private static func summary(of network: NetworkSpec, layer l: Int) -> [String] {
        guard let (blocks, columns) = layout(of: network, layer: l) else { return [] }
        let nIn = inputWidth(of: network, layer: l), projections = network.hidden[l].projections
        let source = l == 0 ? "\(nIn) inputs" : "\(nIn) spikes of layer \(l - 1)"
        var lines = ["layer \(l) reads the delay line (\(source), kept D + 2 steps by the kernel -> \(columns) columns of taps):"]
        for (p, block) in blocks.enumerated() {
            let recurrent = projections[p].source == .recurrent, n = recurrent ? network.hidden[l].neurons : nIn
            switch block {
            case .direct(let o)?: lines.append("  projection \(p): x[t] at columns \(o)..<\(o + n), weights w")
            case .delayed(let o, let spec)? where recurrent:
                lines.append("  projection \(p), recurrent \(spec.kind.rawValue) \(spec.learnable ? "learnable" : "fixed") delays, D = " +
                             "\(spec.maxSteps): the layer's own spikes z[t-1-lag] at columns \(o)..<\(o + n * spec.tapsPerInput), as an input")
            case .delayed(let o, let spec)?:
                let end = o + n * spec.tapsPerInput
                let what = "\(spec.kind.rawValue) \(spec.learnable ? "learnable" : "fixed") delays, D = \(spec.maxSteps)"
                switch (spec.kind, spec.learnable) {
                case (.axonal, true):
                    lines.append("  projection \(p), \(what): x[t-k_i], x[t-k_i-1] at columns \(o)..<\(end) (k = floor d, f = d - k), weights " +
                                 "w_ji (1-f_i), w_ji f_i; dL/dd_i = sum_j w_ji (G_j,k+1 - G_j,k)")
                case (.axonal, false): lines.append("  projection \(p), \(what): x[t-d_i] at columns \(o)..<\(end), weights w")
                case (.synaptic, _) where spec.runsAsEvents:
                    lines.append("  projection \(p), \(what), as events: x[t] at columns \(o)..<\(end); each event adds w_ji (1-f_ji) to the " +
                                 "current of step t+k_ji and w_ji f_ji to t+k_ji+1 (a ring of D + 2 rows); each synapse keeps the traces of " +
                                 "its taps k_ji and k_ji+1, fed in the chunk pass by the events of the chunk and the D + 1 steps before it" +
                                 (spec.learnable ? "; dL/dd_ji = w_ji (G_j,k+1 - G_j,k)" : ""))
                case (.synaptic, _):
                    lines.append("  projection \(p), \(what): x[t-0] ... x[t-\(spec.maxSteps + 1)] per input at columns \(o)..<\(end), weights " +
                                 "w_ji (1-f_ji) at lag k_ji and w_ji f_ji at k_ji+1" + (spec.learnable ? "; dL/dd_ji = w_ji (G_j,k+1 - G_j,k)" : ""))
                }
            case nil: continue
            }
        }
        return lines
    }

    /// The same in the characters of a C comment: per layer, block by block, its kind and columns.
    public static func cSummary(of network: NetworkSpec) -> [String]? { perLayer(network, cSummary) }

    private static func cSummary(of network: NetworkSpec, layer l: Int) -> [String] {
        guard let (blocks, columns) = layout(of: network, layer: l) else { return [] }
        let nIn = inputWidth(of: network, layer: l), projections = network.hidden[l].projections
        let source = l == 0 ? "\(nIn) inputs" : "\(nIn) spikes of layer \(l - 1)"
        var lines = ["layer \(l) reads a delay line: \(source), \(columns) columns of taps, its weights made from w and d"]
        for (p, block) in blocks.enumerated() {
            let n = projections[p].source == .recurrent ? network.hidden[l].neurons : nIn
            switch block {
            case .direct(let o)?: lines.append("  projection \(p): no delays, columns \(o) to \(o + n - 1)")
            case .delayed(let o, let spec)?:
                let form = spec.runsAsEvents ? "as events (a ring of arrivals, two taps per synapse)" : "\(spec.tapsPerInput) taps per input"
                lines.append("  projection \(p): \(projections[p].source == .recurrent ? "recurrent, " : "")\(spec.kind.rawValue) " +
                             "\(spec.learnable ? "learnable" : "fixed") delays, D = \(spec.maxSteps), \(form), " +
                             "columns \(o) to \(o + n * spec.tapsPerInput - 1)")
            case nil: continue
            }
        }
        return lines
    }

    /// Initial delays: uniform on [initialLow, initialHigh] (whole steps when fixed).
    func initialize(seed: UInt64) {
        var rng = SplitMix64(seed: seed ^ 0x6465_6c61_7973)
        for case let (buffer?, .delayed(_, spec)?) in zip(delays, blocks) {
            for i in 0..<buffer.count {
                let u = Double(rng.next() >> 11) / Double(1 << 53)
                let range = spec.initialRange, d = range.lowerBound + u * (range.upperBound - range.lowerBound)
                buffer[i] = Float(spec.learnable ? d : d.rounded())
            }
        }
    }

    /// The first delay the kernel cannot take — outside [0, D], not finite, or a fixed one that is
    /// not a whole step — as (tensor, index, what is wrong); nil when all are. Delays that enter
    /// from outside (a checkpoint, the C ABI) are checked with it before any run.
    public func invalidDelay() -> (tensor: TensorID, index: Int, message: String)? {
        for case let (p, (buffer?, .delayed(_, spec)?)) in zip(delays, blocks).enumerated() {
            for i in 0..<buffer.count {
                let d = buffer[i]
                if !(d.isFinite && d >= 0 && d <= Float(spec.maxSteps)) {
                    return (.delays(layer: layer, projection: p), i, "is \(d); delays are in [0, maxSteps \(spec.maxSteps)] steps")
                }
                if !spec.learnable && d != d.rounded() { return (.delays(layer: layer, projection: p), i, "is \(d); fixed delays are whole steps") }
            }
        }
        return nil
    }

    /// Delays back into [0, D] (whole steps when fixed) after an update.
    func clampDelays() {
        for case let (buffer?, .delayed(_, spec)?) in zip(delays, blocks) {
            let D = Float(spec.maxSteps)
            for i in 0..<buffer.count {
                let d = min(max(buffer[i], 0), D)
                buffer[i] = spec.learnable ? d : d.rounded()
            }
        }
    }

    /// The tap of delay d: its whole part k ≤ D and fraction f (0 for fixed delays).
    @inline(__always) static func split(_ d: Float, _ spec: DelaySpec) -> (k: Int, f: Float) {
        let clamped = min(max(d, 0), Float(spec.maxSteps))
        guard spec.learnable else { return (Int(clamped.rounded()), 0) }
        let k = Int(clamped.rounded(.down))
        return (k, clamped - Float(k))
    }

    /// Rows of a delay line in the kernel: the current step and the `historySteps` before it.
    public var delayLineRows: Int { historySteps + 1 }

    /// Where each column of the expanded input reads: entry `source[c]` of the delay line's row of
    /// `lag[c]` steps ago — the input, then the layer's own spikes (`lineWidth`), which a recurrent
    /// projection reads one step later than its delay. The lags follow the current delays, so the
    /// table is rebuilt before each call.
    public func tapTable() -> (source: [Int32], lag: [Int32]) {
        var source = [Int32](repeating: 0, count: columns), lag = [Int32](repeating: 0, count: columns)
        for (p, block) in blocks.enumerated() {
            let (first, later) = sources[p] == .input ? (0, 0) : (inputs, 1)
            switch block {
            case .direct(let o)?: for i in 0..<inputs { source[o + i] = Int32(i) }
            case .delayed(let o, let spec)?:
                let taps = spec.tapsPerInput
                for i in 0..<width(p) {
                    let k = spec.kind == .axonal ? Self.split(delays[p]![i], spec).k : 0
                    for r in 0..<taps { source[o + i * taps + r] = Int32(first + i); lag[o + i * taps + r] = Int32(later + k + r) }
                }
            case nil: continue
            }
        }
        return (source, lag)
    }

    /// The event form's D (nil without one).
    public var eventMaxSteps: Int? {
        guard let p = eventProjection, case .delayed(_, let spec)? = blocks[p] else { return nil }
        return spec.maxSteps
    }

    /// The event form's tables [n_pre][n] (neuron innermost) from the current w and d: the whole
    /// part k_ji of each delay and the weights w_ji (1 − f_ji), w_ji f_ji of the taps k_ji and
    /// k_ji + 1. Rebuilt before each call, like the tap table.
    func arrivalTables(lag: UnsafeMutablePointer<Int32>, low: FloatBuffer, high: FloatBuffer) {
        guard let p = eventProjection, case .delayed(_, let spec)? = blocks[p], let w = weights[p] else { return }
        let n = neurons, nIn = width(p)
        for j in 0..<n {
            for i in 0..<nIn {
                let (k, f) = Self.split(delays[p]![j * nIn + i], spec), wji = w[j * nIn + i]
                lag[i * n + j] = Int32(k); low[i * n + j] = wji * (1 - f); high[i * n + j] = wji * f
            }
        }
    }

    /// The kernel's weights [n][columns] over the taps, from `weights` and `delays`.
    func refreshKernelWeights(_ kernel: [FloatBuffer]) {
        let n = neurons, C = columns
        for (p, block) in blocks.enumerated() {
            guard let block, let w = weights[p] else { continue }
            let target = kernel[p], nIn = width(p)
            target.pointer.update(repeating: 0)
            for j in 0..<n {
                for i in 0..<nIn {
                    let wji = w[j * nIn + i], row = j * C
                    switch block {
                    case .direct(let o): target[row + o + i] = wji
                    case .delayed(let o, let spec) where spec.runsAsEvents: target[row + o + i] = wji   // the kernel scatters by the tables
                    case .delayed(let o, let spec):
                        let (column, f) = tap(spec, offset: o, j: j, i: i, p: p)
                        target[row + column] += wji * (1 - f)
                        if f != 0 { target[row + column + 1] += wji * f }
                    }
                }
            }
        }
    }

    /// Column of the lower tap of synapse ji in the expanded input, and the fraction f of its delay.
    @inline(__always) private func tap(_ spec: DelaySpec, offset o: Int, j: Int, i: Int, p: Int) -> (column: Int, f: Float) {
        switch spec.kind {
        case .axonal: return (o + i * spec.tapsPerInput, Self.split(delays[p]![i], spec).f)
        case .synaptic:
            let (k, f) = Self.split(delays[p]![j * width(p) + i], spec)
            return spec.runsAsEvents ? (o + i, f) : (o + i * spec.tapsPerInput + k, f)
        }
    }

    /// The kernel's gradients over the taps ([n][columns] per projection; in event form the
    /// gradients of the taps k_ji and k_ji + 1, [2][n][n_pre]) folded by the chain rule into
    /// gradients of w ([n][n_pre]) and of d; nil for projections without a block.
    public func fold(_ kernelGradients: [[Double]]) -> (weights: [[Double]?], delays: [[Double]?]) {
        let n = neurons, C = columns
        var w: [[Double]?] = blocks.indices.map { blocks[$0] == nil ? nil : [Double](repeating: 0, count: n * width($0)) }
        var d: [[Double]?] = delays.map { $0.map { [Double](repeating: 0, count: $0.count) } }
        for (p, block) in blocks.enumerated() {
            guard let block else { continue }
            let g = kernelGradients[p], weight = weights[p]!, nIn = width(p)
            for j in 0..<n {
                for i in 0..<nIn {
                    switch block {
                    case .direct(let o): w[p]![j * nIn + i] = g[j * C + o + i]
                    case .delayed(let o, let spec):
                        let (column, f) = tap(spec, offset: o, j: j, i: i, p: p)
                        let second = spec.runsAsEvents ? n * C : 1   // where the tap k_ji + 1 lies from the tap k_ji
                        let low = g[j * C + column], high = spec.learnable ? g[j * C + column + second] : 0
                        w[p]![j * nIn + i] = (1 - Double(f)) * low + Double(f) * high
                        guard spec.learnable else { continue }
                        let dd = Double(weight[j * nIn + i]) * (high - low)
                        d[p]![spec.kind == .axonal ? i : j * nIn + i] += dd
                    }
                }
            }
        }
        return (w, d)
    }

    /// Adds the kernel's accumulated gradients over the taps into `weightGradients` and
    /// `delayGradients`, and zeroes the kernel's.
    func foldKernelGradients(_ kernel: [FloatBuffer]) {
        let folded = fold(kernel.map { $0.array.map(Double.init) })
        for p in blocks.indices where blocks[p] != nil {
            let g = weightGradients[p]!
            for (i, v) in folded.weights[p]!.enumerated() { g[i] += Float(v) }
            if let target = delayGradients[p], let values = folded.delays[p] { for (i, v) in values.enumerated() { target[i] += Float(v) } }
            kernel[p].pointer.update(repeating: 0)
        }
    }
}
