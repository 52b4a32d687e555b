import PlasticityRuntime

/// Layer l's delay line in the network kernel (with delays on its input): the layer's input — the
/// network input, or the spikes of layer l − 1 — of the last `rows` steps per sequence, the step's
/// input columns the kernel gathers from them, and the table of where each column reads
/// (`InputDelays.tapTable`). Memory per sequence: O(n_in · D) for the ring plus the columns,
/// independent of T.
final class DelayLine {
    let rows: Int, width: Int, columns: Int, batch: Int
    /// [batch][rows][width], step s of a sequence in row s mod rows; zero at a sequence's start
    /// (`width`: the layer's input, then its own spikes when a recurrent projection has delays).
    let line: FloatBuffer
    /// [batch][columns]: the step's input of the layer.
    let taps: FloatBuffer
    /// Chunk mode: [batch][K + 1][columns], the slices' chunk rows.
    let chunkTaps: FloatBuffer?
    private let tapSource, tapLag: UnsafeMutablePointer<Int32>
    /// Synaptic delays in event form (`InputDelays.eventProjection`): the ring of arriving
    /// currents [batch][D + 2][n], zero at a sequence's start, and the tables [n_in][n] of each
    /// synapse's lag k_ji and tap weights (`InputDelays.arrivalTables`).
    private let arrivals: Events?
    private struct Events {
        let rows: Int
        let ring, low, high: FloatBuffer
        let lag: UnsafeMutablePointer<Int32>
    }

    init(delays: InputDelays, chunkSteps: Int) {
        rows = Self.rows(delays.delayLineRows, eventMaxSteps: delays.eventMaxSteps, chunkSteps: chunkSteps)
        width = delays.lineWidth; columns = delays.columns; batch = delays.batch
        line = FloatBuffer(count: batch * rows * width)
        taps = FloatBuffer(count: batch * columns)
        chunkTaps = chunkSteps > 0 ? FloatBuffer(count: batch * (chunkSteps + 1) * columns) : nil
        tapSource = .allocate(capacity: max(columns, 1)); tapSource.initialize(repeating: 0, count: max(columns, 1))
        tapLag = .allocate(capacity: max(columns, 1)); tapLag.initialize(repeating: 0, count: max(columns, 1))
        arrivals = delays.eventMaxSteps.map { D in
            let synapses = delays.inputs * delays.neurons
            let lag = UnsafeMutablePointer<Int32>.allocate(capacity: synapses); lag.initialize(repeating: 0, count: synapses)
            return Events(rows: D + 2, ring: FloatBuffer(count: delays.batch * (D + 2) * delays.neurons), low: FloatBuffer(count: synapses),
                          high: FloatBuffer(count: synapses), lag: lag)
        }
    }
    deinit { tapSource.deallocate(); tapLag.deallocate(); arrivals?.lag.deallocate() }

    /// Rows of the line: the taps' history, and in event form the chunk's K steps and the D + 1
    /// before them, whose events the chunk pass reads (one more: the current step).
    static func rows(_ taps: Int, eventMaxSteps: Int?, chunkSteps: Int) -> Int {
        guard let D = eventMaxSteps else { return taps }
        return max(taps, chunkSteps + D + 2)
    }

    /// Float-sized elements of the buffers of layer l's line (at most: the own spikes counted, the
    /// rows of a recurrent delay), for the memory check before allocating.
    static func elements(network: NetworkSpec, layer l: Int, batch: Int, chunkSteps: Int) -> Int {
        guard let (blocks, columns) = InputDelays.layout(of: network, layer: l) else { return 0 }
        let specs = blocks.compactMap { if case .delayed(_, let spec)? = $0 { spec } else { nil } }
        let events = specs.first(where: \.runsAsEvents)?.maxSteps
        let steps = rows(specs.map { $0.maxSteps + 3 }.max() ?? 1, eventMaxSteps: events, chunkSteps: chunkSteps)
        let nIn = InputDelays.inputWidth(of: network, layer: l), n = network.hidden[l].neurons
        let p = MemoryCap.product
        let arrivals = events.map { MemoryCap.sum([p(batch, $0 + 2, n), p(3, nIn, n)]) } ?? 0
        return MemoryCap.sum([p(batch, steps, nIn + n), p(batch, columns), p(batch, chunkSteps + 1, columns), p(2, columns), arrivals])
    }

    /// The table from the current delays (their whole parts move with every update).
    func refresh(from delays: InputDelays) {
        let (source, lag) = delays.tapTable()
        precondition(source.count == columns && lag.allSatisfy { $0 >= 0 && Int($0) < rows })
        for c in 0..<columns { tapSource[c] = source[c]; tapLag[c] = lag[c] }
        if let arrivals { delays.arrivalTables(lag: arrivals.lag, low: arrivals.low, high: arrivals.high) }
    }

    /// A new batch of sequences: no input before the first step, nothing on its way.
    func reset() {
        line.pointer.update(repeating: 0)
        arrivals?.ring.pointer.update(repeating: 0)
    }

    /// Points layer l's kernel arguments at the line.
    func setArguments(_ a: inout plasticity_layer_args) {
        a.delay_line = line.base; a.delay_rows = Int32(rows); a.delay_width = Int32(width)
        a.tap_source = UnsafePointer(tapSource); a.tap_lag = UnsafePointer(tapLag)
        a.taps = taps.base; a.chunk_taps = chunkTaps?.base
        guard let arrivals else { return }
        a.synapse_lag = UnsafePointer(arrivals.lag); a.synapse_low = UnsafePointer(arrivals.low.base)
        a.synapse_high = UnsafePointer(arrivals.high.base)
        a.arrivals = arrivals.ring.base; a.arrival_rows = Int32(arrivals.rows); a.delay_arrivals = plasticity_delay_arrivals
    }
}
