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

    init(delays: InputDelays, chunkSteps: Int) {
        rows = delays.delayLineRows; width = delays.lineWidth; columns = delays.columns; batch = delays.batch
        line = FloatBuffer(count: batch * rows * width)
        taps = FloatBuffer(count: batch * columns)
        chunkTaps = chunkSteps > 0 ? FloatBuffer(count: batch * (chunkSteps + 1) * columns) : nil
        tapSource = .allocate(capacity: max(columns, 1)); tapSource.initialize(repeating: 0, count: max(columns, 1))
        tapLag = .allocate(capacity: max(columns, 1)); tapLag.initialize(repeating: 0, count: max(columns, 1))
    }
    deinit { tapSource.deallocate(); tapLag.deallocate() }

    /// Float-sized elements of the buffers of layer l's line (at most: the own spikes counted, the
    /// rows of a recurrent delay), for the memory check before allocating.
    static func elements(network: NetworkSpec, layer l: Int, batch: Int, chunkSteps: Int) -> Int {
        guard let (blocks, columns) = InputDelays.layout(of: network, layer: l) else { return 0 }
        let steps = blocks.compactMap { if case .delayed(_, let spec)? = $0 { spec.maxSteps + 3 } else { nil } }.max() ?? 1
        let width = InputDelays.inputWidth(of: network, layer: l) + network.hidden[l].neurons
        let p = MemoryCap.product
        return MemoryCap.sum([p(batch, steps, width), p(batch, columns), p(batch, chunkSteps + 1, columns), p(2, columns)])
    }

    /// The table from the current delays (their whole parts move with every update).
    func refresh(from delays: InputDelays) {
        let (source, lag) = delays.tapTable()
        precondition(source.count == columns && lag.allSatisfy { $0 >= 0 && Int($0) < rows })
        for c in 0..<columns { tapSource[c] = source[c]; tapLag[c] = lag[c] }
    }

    /// A new batch of sequences: no input before the first step.
    func reset() { line.pointer.update(repeating: 0) }

    /// Points layer l's kernel arguments at the line.
    func setArguments(_ a: inout plasticity_layer_args) {
        a.delay_line = line.base; a.delay_rows = Int32(rows); a.delay_width = Int32(width)
        a.tap_source = UnsafePointer(tapSource); a.tap_lag = UnsafePointer(tapLag)
        a.taps = taps.base; a.chunk_taps = chunkTaps?.base
    }
}
