import Foundation
import PlasticityRuntime

/// The most memory a layer's or network's buffers may take. Sizes come from configs and files,
/// so they are multiplied out (overflow-checked) and compared with the cap before anything is
/// allocated: a network that does not fit is refused with the size it would need.
public enum MemoryCap {
    /// `PLASTICITY_MEMORY_CAP` (bytes, or with a K, M or G suffix) when set, else half the
    /// physical memory.
    /// A value that does not parse is reported on stderr, not silently replaced.
    public static var bytes: Int {
        if let text = ProcessInfo.processInfo.environment["PLASTICITY_MEMORY_CAP"] {
            if let value = parse(text) { return value }
            let warning = "warning: PLASTICITY_MEMORY_CAP='\(text)' is not bytes with an optional K, M or G suffix; using half the physical memory\n"
            FileHandle.standardError.write(Data(warning.utf8))
        }
        return Int(min(ProcessInfo.processInfo.physicalMemory / 2, UInt64(Int.max)))
    }

    static func parse(_ text: String) -> Int? {
        let units: [Character: Int] = ["K": 1 << 10, "M": 1 << 20, "G": 1 << 30]
        var digits = text.trimmingCharacters(in: .whitespaces).uppercased()
        var unit = 1
        if let last = digits.last, let u = units[last] { unit = u; digits.removeLast() }
        guard let value = Int(digits), value >= 0 else { return nil }
        let (product, overflow) = value.multipliedReportingOverflow(by: unit)
        return overflow ? nil : product
    }

    /// Exact products and sums of element counts, saturating at `Int.max` instead of trapping.
    public static func product(_ factors: Int...) -> Int {
        factors.reduce(1) { a, b in let (p, o) = a.multipliedReportingOverflow(by: b); return o ? Int.max : p }
    }
    public static func sum<S: Sequence>(_ terms: S) -> Int where S.Element == Int {
        terms.reduce(0) { a, b in let (s, o) = a.addingReportingOverflow(b); return o ? Int.max : s }
    }

    /// Throws unless `elements` floats fit under `cap`.
    /// - Parameter largest: the biggest single buffer, named in the message.
    public static func check(elements: Int, what: String, largest: (name: String, elements: Int), cap: Int) throws {
        let bytes = product(elements, MemoryLayout<Float>.size)
        guard bytes <= cap else {
            throw ResourceError(message: "\(what) need \(format(bytes)) of buffers (the largest, \(largest.name), " +
                                         "\(format(product(largest.elements, 4)))), "
                                + "above the memory cap of \(format(cap)); shrink the network or the batch, or set PLASTICITY_MEMORY_CAP (bytes, " +
                                  "K/M/G suffix)")
        }
    }

    static func format(_ bytes: Int) -> String {
        if bytes == Int.max { return "more than 8 EiB" }
        let units = ["bytes", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"]
        var value = Double(bytes), u = 0
        while value >= 1024, u < units.count - 1 { value /= 1024; u += 1 }
        return u == 0 ? "\(bytes) bytes" : String(format: "%.1f %@", value, units[u])
    }
}

/// A request the machine cannot serve (memory above `MemoryCap`).
public struct ResourceError: Error, CustomStringConvertible, Sendable {
    public var message: String
    public var description: String { message }
}

extension KernelLayout {
    /// Floats `LayerBuffers` allocates for this layout, by buffer, without overflow.
    func bufferElements(batch: Int, inputs: Int, neurons: Int) -> [(name: String, elements: Int)] {
        let p = MemoryCap.product
        var sizes: [(String, Int)] = [
            ("state", p(batch, neurons, stateCount)), ("spike", p(batch, neurons)), ("psi", p(batch, neurons, stateCount)),
            ("params", p(learnableCount, neurons)), ("work", p(batch, neurons, workRows)), ("synapses_live", p(batch, neurons)),
            ("param_eligibility_vector", p(batch, neurons, parameterTraceComponents)),
            ("param_eligibility_trace", p(batch, neurons, learnableCount)),
        ]
        for (i, projection) in projections.enumerated() {
            let pre = projection.source == .input ? inputs : neurons
            sizes.append(("weights[\(i)]", p(neurons, pre)))
            sizes.append(("weights_transposed[\(i)]", p(neurons, pre)))
            sizes.append(("eligibility_vector[\(i)]", projection.eligibilityVectorElements(batch: batch, inputs: pre, neurons: neurons)))
            sizes.append(("eligibility_trace[\(i)]", p(projection.taps, batch, neurons, pre)))
        }
        return sizes
    }

    /// 4-byte slots of one thread's chunk-event scratch: the step lists of the projections with
    /// traces (`chunkListSlots`), then runtime-c's scratch for the largest presynaptic count among them.
    func chunkEventSlots(inputs: Int, neurons: Int, steps: Int) -> Int {
        let pre = projections.filter { !$0.components.isEmpty }.map { $0.source == .input ? inputs : neurons }.max() ?? 0
        // runtime-c's count (plasticity_chunk_event_slots), saturating: sizes come from configs.
        let scratch = MemoryCap.sum([MemoryCap.product(2, steps, pre), pre, 1])
        return MemoryCap.sum([chunkListSlots(before: projections.count).value(steps: steps, inputs: inputs, neurons: neurons), scratch])
    }

    /// Floats of the chunk-mode buffers (`LayerBuffers.enableChunks`) for chunks of `steps` steps,
    /// the optional sums included.
    func chunkBufferElements(batch: Int, inputs: Int, neurons: Int, steps: Int) -> [(name: String, elements: Int)] {
        let p = MemoryCap.product
        var sizes: [(String, Int)] = [("chunk_signal", p(steps, batch, neurons)), ("chunk_spikes", p(steps + 1, batch, neurons)),
                                      ("chunk_events", chunkEventSlots(inputs: inputs, neurons: neurons, steps: steps))]
        for o in chunkRecordOwners {
            let m = projections[o].components.count
            sizes.append(("chunk_record[\(o)]", p(steps, batch, projections[o].recordWidth, neurons)))
            sizes.append(("chunk_propagator[\(o)]", p(batch, Self.chunkPropagatorWidth(m), neurons)))
        }
        for (i, projection) in projections.enumerated() where !projection.components.isEmpty {
            let pre = projection.source == .input ? inputs : neurons
            sizes.append(("chunk_gradient[\(i)]", p(projection.taps, pre, neurons)))
            sizes.append(("chunk_eligibility_sum[\(i)]", p(projection.taps, pre, neurons)))
            sizes.append(("chunk_eligibility_trace_sum[\(i)]", p(projection.taps, batch, pre, neurons)))
        }
        return sizes
    }
}
