import Foundation
import Plasticity
import PlasticityRuntime

/// A roofline of the chunked network kernel (docs/benchmarks.md, "Roofline"): per phase, the
/// arithmetic (flops) and the compulsory memory traffic (bytes) that the sizes and the run's
/// activity make unavoidable for the algorithm as written, and the least time the machine's
/// measured ceilings allow for them, max(flops / F, bytes / BW).
///
/// Bytes count each float a phase must read or write once per use: rows of Wᵀ per presynaptic
/// event, state and records per step, every synapse's carried state once per chunk. Data that
/// stays in L1 between uses inside a phase (the feedback matrix, a row being summed) is not
/// counted. The bandwidth is the cache's, except for the carried state of every synapse of every
/// sequence, which streams through the chunk carry once per chunk and is measured at its own size.
public struct Roofline {
    /// The calling core's ceilings, measured by the loops of runtime-c/plasticity_roofline.c.
    public struct Ceilings: Sendable {
        /// Separate multiplies and adds per second (the kernels do not contract).
        public var flopsPerSecond: Double
        /// y += a x over 2 × 128 KiB (L2), counting 12 bytes per element.
        public var cacheBytesPerSecond: Double
        /// The same over two arrays of the carried synapse state's size.
        public var stateBytesPerSecond: Double
        public var stateBytes: Int

        /// Best of five timings of each loop.
        public static func measure(stateBytes: Int) -> Ceilings {
            let iterations = 2_000_000
            let flopsSeconds = best { _ = plasticity_ceiling_flops(iterations) }
            let flops = Double(iterations) * Double(plasticity_ceiling_flops_per_iteration())
            return Ceilings(flopsPerSecond: flops / flopsSeconds, cacheBytesPerSecond: stream(bytes: 256 << 10),
                            stateBytesPerSecond: stream(bytes: max(stateBytes, 256 << 10)), stateBytes: stateBytes)
        }

        /// Bytes per second of y += a x with x and y of `bytes / 2` each, about 1 GB moved per timing.
        private static func stream(bytes: Int) -> Double {
            let count = max(bytes / 8, 1024)
            let x = [Float](repeating: 1, count: count)
            var y = [Float](repeating: 0, count: count)
            let repeats = max(1, 1_000_000_000 / (12 * count))
            let seconds = x.withUnsafeBufferPointer { xp in
                y.withUnsafeMutableBufferPointer { yp in
                    best { plasticity_ceiling_stream(yp.baseAddress, xp.baseAddress, count, Int32(repeats)) }
                }
            }
            return 12 * Double(count) * Double(repeats) / seconds
        }

        private static func best(_ body: () -> Void) -> Double {
            (0..<5).map { _ in
                let start = DispatchTime.now().uptimeNanoseconds
                body()
                return Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
            }.min()!
        }
    }

    /// The work of one phase over a run.
    public struct Work: Sendable {
        public var flops = 0.0, bytes = 0.0
        /// Its bytes stream from the carried synapse state rather than from cache.
        public var fromState = false

        /// The least time the ceilings allow.
        public func bound(_ c: Ceilings) -> Double {
            max(flops / c.flopsPerSecond, bytes / (fromState ? c.stateBytesPerSecond : c.cacheBytesPerSecond))
        }
    }

    public var work: [ProfilePhase: Work] = [:]

    /// Bytes of every sequence's carried synapse state (ε per synapse and ē), what the chunk carry streams.
    public static func stateBytes(_ kernel: NetworkKernel, batch: Int) -> Int {
        kernel.stages.layers.enumerated().reduce(0) { total, layer in
            let (l, k) = layer
            let n = kernel.network.hidden[l].neurons, nIn = l == 0 ? kernel.network.inputs : kernel.network.hidden[l - 1].neurons
            return total + k.layout.projections.filter { !$0.components.isEmpty }.reduce(0) {
                $0 + 4 * batch * ($1.source == .input ? nIn : n) * n * ($1.perSynapseCount + 1)
            }
        }
    }

    /// The work of a chunked run of `steps` steps over `batch` sequences in chunks of `chunk` steps,
    /// with the events the profile counted and each layer's spike total (`spikes[l]`).
    public init(kernel: NetworkKernel, batch: Int, steps: Int, chunk: Int, profile: KernelProfile, spikes: [Double]) {
        let net = kernel.network
        let sequenceSteps = Double(batch * steps), chunks = Double(batch * ((steps + chunk - 1) / chunk))
        for (l, layer) in kernel.stages.layers.enumerated() {
            let n = Double(net.hidden[l].neurons), nIn = Double(l == 0 ? net.inputs : net.hidden[l - 1].neurons)
            let events = (input: Double(profile.inputEvents[l]), recurrent: Double(profile.recurrentEvents[l]))
            add(.inputGather, flops: 2 * events.input * n, bytes: 4 * (sequenceSteps * nIn + events.input * n))
            add(.recurrentGather, flops: 2 * events.recurrent * n, bytes: 4 * (sequenceSteps * n + events.recurrent * n))
            let operations = Double(layer.body.values.filter { if case .load = $0.definition { false } else { true } }.count)
            let recorded = Double(layer.layout.chunkRecordOwners.reduce(0) { $0 + layer.layout.projections[$1].recordWidth })
            let k = Double(layer.layout.stateCount)
            add(.neuronBody, flops: operations * sequenceSteps * n, bytes: 4 * sequenceSteps * n * (2 * k + 2 + recorded))
            add(.learningSignal, flops: 2 * sequenceSteps * n * Double(net.outputs), bytes: 4 * sequenceSteps * n)
            for owner in layer.layout.chunkRecordOwners {
                let m = Double(layer.layout.projections[owner].components.count)
                let width = Double(layer.layout.projections[owner].recordWidth)
                add(.tracePropagation, flops: sequenceSteps * n * (2 * m * m * m + 6 * m * m + 8 * m + 4),
                    bytes: 4 * sequenceSteps * n * (width + m + 3))
            }
            for projection in layer.layout.projections where !projection.components.isEmpty {
                let m = Double(projection.components.count), r = Double(projection.perSynapseCount)
                let pre = projection.source == .input ? nIn : n
                let e = projection.source == .input ? events.input : events.recurrent
                add(.chunkCarry, flops: chunks * pre * n * (4 * m + 2 + 2 * m * r), bytes: 4 * chunks * pre * n * (2 * (1 + r) + 2),
                    fromState: true)
                // a row of W(r) per event and row; each presynaptic index's rows once per chunk in which it has events
                add(.gradientAccumulation, flops: 2 * e * n * (r + 2), bytes: 4 * e * n * (r + 2) + 8 * min(e, chunks * pre) * n * (r + 2))
            }
        }
        let last = Double(net.hidden.last!.neurons), outputs = Double(net.outputs), z = spikes.last ?? 0
        add(.readoutAndLoss, flops: sequenceSteps * (2 * last + 12 * outputs) + 4 * z * outputs + 2 * chunks * Double(chunk) * outputs,
            bytes: 4 * sequenceSteps * (3 * last + 4 * outputs) + 8 * z * outputs)
    }

    private mutating func add(_ phase: ProfilePhase, flops: Double, bytes: Double, fromState: Bool = false) {
        var w = work[phase] ?? Work()
        w.flops += flops; w.bytes += bytes; w.fromState = w.fromState || fromState
        work[phase] = w
    }
}

extension KernelProfile {
    /// Time-stamp-counter cycles per second, over a busy interval of about 50 ms.
    public static func measureCyclesPerSecond() -> Double {
        let start = DispatchTime.now().uptimeNanoseconds, first = plasticity_ticks()
        var now = start
        while now - start < 50_000_000 { now = DispatchTime.now().uptimeNanoseconds }
        return Double(plasticity_ticks() - first) / (Double(now - start) / 1e9)
    }
}
