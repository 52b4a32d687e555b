import Foundation
import PlasticityRuntime

/// Exact BPTT from the same graph: a forward pass through the kernel's local steps records the
/// local Jacobians (D, c, ∂h/∂θ, ψ, ∂z/∂θ) of every layer at every step, then a float64 reverse
/// sweep over the stored sequence. Memory grows with T (it is the oracle, not the method).
///
/// Reverse recursion, per layer l and step t (external δz: readout, layer above, recurrent):
///     δy^t   = err^t + κ δy^{t+1}
///     δz^t   = W_outᵀ δy^t [last layer] + Σ W^{l+1}ᵀ δI^{l+1,t} + W_recᵀ δI^{l,t+1}
///     δh^t   = D^{t+1}ᵀ δh^{t+1} + ψ^t δz^t,   δI^t = c^tᵀ δh^t
///     ∂L/∂W  = Σ_t δI^t preᵀ,   ∂L/∂θ = Σ_t (∂h^t/∂θ)ᵀ δh^t + (∂z^t/∂θ) δz^t
public func backpropagationThroughTime(_ simulation: NetworkSimulation, input: [Float], targets: [Float], steps T: Int,
                                       keepRecord: Bool = false) throws -> NetworkGradients {
    // With delays the oracle runs each layer over its taps, as the kernel does: layer 0's from the
    // input, a higher layer's from the recorded spikes of the layer below.
    try simulation.requireDelayTaps(oracle: "exact BPTT")
    for (l, d) in simulation.delays.enumerated() { d?.refreshKernelWeights(simulation.layers[l].weights) }
    var pass = try BackpropagationPass(simulation, input: input, targets: targets, steps: T)
    // Non-finite values stop the oracle as they stop e-prop: at their step, naming the tensor.
    for t in 0..<T {
        for l in 0..<pass.L {
            pass.recordLocalStep(layer: l, step: t)
            if let tensor = pass.nonFinite(layer: l, step: t) { throw NonFiniteError(update: 0, step: t, tensor: "exact BPTT: \(tensor)") }
        }
        pass.readoutStep(t)
        if pass.y.contains(where: { !$0.isFinite }) { throw NonFiniteError(update: 0, step: t, tensor: "exact BPTT: the readout") }
    }
    pass.applySequenceLoss()
    var gradients = simulation.foldingDelays(pass.reverseSweep())
    if keepRecord { gradients.record = pass.forwardRecord }
    return gradients
}

/// The state of one `backpropagationThroughTime` call: the forward record, then the sweep.
private struct BackpropagationPass {
    typealias Step = ForwardRecord.Step
    let simulation: NetworkSimulation, net: NetworkSpec
    let input: [Float], targets: [Float], T: Int, B: Int, L: Int, nOut: Int, kappa: Double
    let sizes: [Int], nLast: Int
    /// Per layer with delays, where its input columns read (`ForwardRecord.taps`).
    let taps: [[ForwardRecord.Tap]?]
    /// Fresh buffers with the simulation's parameters: the oracle does not disturb the simulation.
    let layers: [LayerBuffers]
    let weights: [[[Double]]], readoutWeights: [Double], readoutBias: [Double]
    var record: [[Step]]
    var errors: [[Double]] = []
    var loss = 0.0
    var y: [Double]
    var summedReadout: [[Double]] = []

    init(_ simulation: NetworkSimulation, input: [Float], targets: [Float], steps T: Int) throws {
        self.simulation = simulation; net = simulation.network
        self.input = input; self.targets = targets; self.T = T
        B = simulation.batch; L = simulation.layers.count; nOut = net.outputs; kappa = net.kappa
        sizes = simulation.layers.map(\.neurons); nLast = sizes.last!
        taps = simulation.delays.map { $0.map(ForwardRecord.taps) }
        let batch = B
        let recordElements = NetworkSimulation.bpttRecordElements(layers: simulation.layers.map(\.layout), sizes: sizes, batch: B, steps: T)
        try MemoryCap.check(elements: recordElements, what: "exact BPTT's record of the sequence (\(T) steps, batch \(B))",
                            largest: ("the local Jacobians of every step", recordElements), cap: MemoryCap.bytes)
        layers = try simulation.layers.map { layer -> LayerBuffers in
            let copy = try LayerBuffers(layout: layer.layout, model: layer.model, batch: batch, inputs: layer.inputs, neurons: layer.neurons)
            copy.parameters.array = layer.parameters.array
            copy.noiseSeed = layer.noiseSeed
            return copy
        }
        weights = simulation.layers.map { $0.weights.map { $0.array.map(Double.init) } }
        readoutWeights = simulation.readoutWeights.array.map(Double.init)
        readoutBias = simulation.readoutBias.array.map(Double.init)
        record = [[Step]](repeating: [], count: L)
        y = [Double](repeating: 0, count: B * nOut)
    }

    var forwardRecord: ForwardRecord {
        ForwardRecord(steps: record, errors: errors, input: input, inputs: net.inputs, batch: B, sizes: sizes, taps: taps)
    }

    func presynaptic(_ l: Int, _ source: LayerSpec.Source, _ t: Int, _ b: Int) -> [Double] {
        forwardRecord.presynaptic(l, source, t, b)
    }

    /// The first of layer l's recorded values at step t that is not finite, by name, or nil.
    func nonFinite(layer l: Int, step t: Int) -> String? {
        let step = record[l][t]
        if step.z.contains(where: { !$0.isFinite }) { return "layer\(l) z" }
        let jacobians: [(String, [Float])] = [("D", step.D), ("c", step.c), ("dh/dθ", step.dhdTheta), ("ψ", step.psi), ("dz/dθ", step.dzdTheta)]
        if let bad = jacobians.first(where: { $0.1.contains { !$0.isFinite } }) { return "layer\(l) \(bad.0)" }
        return layers[l].state.array.contains { !$0.isFinite } ? "layer\(l) state" : nil
    }

    /// Layer l at step t through the kernel's local step: its outputs and local Jacobians.
    mutating func recordLocalStep(layer l: Int, step t: Int) {
        let layer = layers[l], layout = layer.layout, n = sizes[l], C = layout.channelCount
        var currents = [Float](repeating: 0, count: B * n * max(C, 1))
        layer.fillNoise(&currents, step: t)   // noise is a given input, the draws the kernel made
        for b in 0..<B {
            for (p, projection) in layout.projections.enumerated() {
                let pre = presynaptic(l, projection.source, t, b)
                let nPre = pre.count
                for j in 0..<n {
                    var s = 0.0
                    for i in 0..<nPre { s += weights[l][p][j * nPre + i] * pre[i] }
                    currents[(b * n + j) * C + projection.channel] += Float(s)
                }
            }
        }
        let k = layout.stateCount, P = layout.learnableCount, cells = B * n
        var step = Step(z: [], D: .init(repeating: 0, count: cells * k * k), c: .init(repeating: 0, count: cells * k * C),
                        dhdTheta: .init(repeating: 0, count: cells * k * P), psi: .init(repeating: 0, count: cells * k),
                        dzdTheta: .init(repeating: 0, count: cells * P))
        let kernel = simulation.kernel
        currents.withUnsafeBufferPointer { cur in
            step.D.withUnsafeMutableBufferPointer { d in step.c.withUnsafeMutableBufferPointer { c in
            step.dhdTheta.withUnsafeMutableBufferPointer { p in step.psi.withUnsafeMutableBufferPointer { psi in
            step.dzdTheta.withUnsafeMutableBufferPointer { zp in
                var jac = plasticity_local_jacobian(state_jacobian: d.baseAddress, input_jacobian: c.baseAddress,
                                                    param_jacobian: p.baseAddress, output_gradient: psi.baseAddress,
                                                    output_param_gradient: zp.baseAddress)
                var args = layer.arguments(steps: 1, input: nil, outputRecord: nil, stateRecord: nil, weightsChanged: false)
                kernel.localStep(Int32(l), &args, cur.baseAddress, &jac)
            } } } } }
        }
        layer.advanced(by: 1)
        step.z = layer.spike.array.map(Double.init)
        record[l].append(step)
    }

    /// The readout y^t = κ y^{t−1} + W_out z^t + b and the error of the per-step losses.
    mutating func readoutStep(_ t: Int) {
        var err = [Double](repeating: 0, count: B * nOut)
        for b in 0..<B {
            let z = record[L - 1][t].z[(b * nLast)..<((b + 1) * nLast)]
            for o in 0..<nOut {
                var s = readoutBias[o]
                for (j, zj) in z.enumerated() { s += readoutWeights[o * nLast + j] * zj }
                y[b * nOut + o] = kappa * y[b * nOut + o] + s
            }
            let definition = net.loss.definition
            guard definition.scope == .step,   // a sequence's loss comes after the forward pass
                  let (label, target) = definition.stepTarget(targets, step: t, sequence: b, batch: B, outputs: nOut) else { continue }
            let step = definition.oracle(Array(y[(b * nOut)..<((b + 1) * nOut)]), label: label, target: target)
            for o in 0..<nOut { err[b * nOut + o] = step.error[o] }
            loss += step.loss
        }
        errors.append(err)
        summedReadout.append(y)
    }

    /// A loss of the mean readout ȳ = (1/T) Σ_t y^t: every step shares err = ∂L/∂ȳ / T.
    mutating func applySequenceLoss() {
        let definition = net.loss.definition
        guard definition.scope == .sequenceMean else { return }
        for b in 0..<B {
            guard let (label, target) = definition.sequenceTarget(targets, sequence: b, batch: B, steps: T, outputs: nOut) else { continue }
            let readout = summedReadout
            let mean = ReadoutLoss.meanReadout(steps: T, outputs: nOut, sequence: b) { t, i in readout[t][i] }
            let sequence = definition.oracle(mean, label: label, target: target)
            loss += sequence.loss
            for t in 0..<T { for o in 0..<nOut { errors[t][b * nOut + o] = sequence.error[o] / Double(T) } }
        }
    }

    /// The reverse recursion over the stored sequence (see `backpropagationThroughTime`).
    func reverseSweep() -> NetworkGradients {
        var gradients = NetworkGradients(
            weights: simulation.layers.map { $0.weights.map { [Double](repeating: 0, count: $0.count) } },
            parameters: simulation.layers.map { [Double](repeating: 0, count: $0.parameters.count) },
            readoutWeights: .init(repeating: 0, count: readoutWeights.count), readoutBias: .init(repeating: 0, count: nOut),
            loss: loss, record: nil)
        var deltaY = [Double](repeating: 0, count: B * nOut)
        var carry = (0..<L).map { [Double](repeating: 0, count: B * sizes[$0] * layers[$0].layout.stateCount) }   // D^{t+1}ᵀ δh^{t+1}
        var recurrentCarry = (0..<L).map { [Double](repeating: 0, count: B * sizes[$0]) }                        // W_recᵀ δI^{t+1}
        // δz through delays, by layer and step: a tap reaches back tap_lag steps to its source, a
        // spike of the layer below or (a delayed recurrent projection) of the layer itself.
        var delayed = (0..<L).map { _ in [[Double]](repeating: [], count: T) }
        for t in stride(from: T - 1, through: 0, by: -1) {
            for i in deltaY.indices { deltaY[i] = errors[t][i] + kappa * deltaY[i] }
            var fromAbove = reverseReadout(t, deltaY: deltaY, into: &gradients)
            var nextCarry = carry, nextRecurrent = recurrentCarry
            for l in stride(from: L - 1, through: 0, by: -1) {
                if fromAbove.isEmpty { fromAbove = [Double](repeating: 0, count: B * sizes[l]) }
                if !delayed[l][t].isEmpty { for i in fromAbove.indices { fromAbove[i] += delayed[l][t][i] } }
                let below = reverseLayer(l, t, fromAbove: fromAbove, carry: carry[l], recurrentCarry: recurrentCarry[l],
                                         nextCarry: &nextCarry[l], nextRecurrent: &nextRecurrent[l], into: &gradients)
                if let columns = taps[l] {
                    spread(below, taps: columns, layer: l, step: t, into: &delayed)
                    fromAbove = []
                } else {
                    fromAbove = below
                }
            }
            carry = nextCarry
            recurrentCarry = nextRecurrent
        }
        return gradients
    }

    /// δ of layer l's input columns at step t onto their sources at step t − lag: spikes of the
    /// layer below (none under layer 0: the network input), or of layer l itself.
    func spread(_ columns: [Double], taps: [ForwardRecord.Tap], layer l: Int, step t: Int, into pending: inout [[[Double]]]) {
        let width = taps.count
        for (c, tap) in taps.enumerated() where t - tap.lag >= 0 && (tap.own || l > 0) {
            let target = tap.own ? l : l - 1, n = sizes[target]
            if pending[target][t - tap.lag].isEmpty { pending[target][t - tap.lag] = [Double](repeating: 0, count: B * n) }
            for b in 0..<B { pending[target][t - tap.lag][b * n + tap.source] += columns[b * width + c] }
        }
    }

    /// The readout's gradients at step t; returns δz of the last layer from the readout.
    func reverseReadout(_ t: Int, deltaY: [Double], into gradients: inout NetworkGradients) -> [Double] {
        var fromAbove = [Double](repeating: 0, count: B * nLast)
        let z = record[L - 1][t].z
        for b in 0..<B {
            for o in 0..<nOut {
                let d = deltaY[b * nOut + o]
                gradients.readoutBias[o] += d
                for j in 0..<nLast {
                    gradients.readoutWeights[o * nLast + j] += d * z[b * nLast + j]
                    fromAbove[b * nLast + j] += readoutWeights[o * nLast + j] * d
                }
            }
        }
        return fromAbove
    }

    /// Layer l at step t: δh, δI, the weight and parameter gradients, the carries to step t−1;
    /// returns δ of the layer's input from below (empty for the first layer): δz of the layer
    /// below, or with delays δ of its input columns [batch][columns].
    func reverseLayer(_ l: Int, _ t: Int, fromAbove: [Double], carry: [Double], recurrentCarry: [Double],
                      nextCarry: inout [Double], nextRecurrent: inout [Double], into gradients: inout NetworkGradients) -> [Double] {
        let layout = layers[l].layout, n = sizes[l], k = layout.stateCount, C = layout.channelCount, P = layout.learnableCount
        let step = record[l][t]
        let width = taps[l]?.count ?? (l > 0 ? sizes[l - 1] : 0)
        var below = [Double](repeating: 0, count: B * width)
        nextCarry = [Double](repeating: 0, count: B * n * k)
        nextRecurrent = [Double](repeating: 0, count: B * n)
        for b in 0..<B {
            var deltaI = [Double](repeating: 0, count: n * max(C, 1))
            for j in 0..<n {
                let cell = b * n + j
                let deltaZ = fromAbove[cell] + recurrentCarry[cell]
                var deltaH = [Double](repeating: 0, count: k)
                for s in 0..<k { deltaH[s] = carry[cell * k + s] + Double(step.psi[cell * k + s]) * deltaZ }
                for p in 0..<P {
                    var g = Double(step.dzdTheta[cell * P + p]) * deltaZ
                    for s in 0..<k { g += Double(step.dhdTheta[(cell * k + s) * P + p]) * deltaH[s] }
                    gradients.parameters[l][p * n + j] += g
                }
                for c in 0..<C { for s in 0..<k { deltaI[j * C + c] += Double(step.c[(cell * k + s) * C + c]) * deltaH[s] } }
                for s2 in 0..<k { for s in 0..<k { nextCarry[cell * k + s2] += Double(step.D[(cell * k + s) * k + s2]) * deltaH[s] } }
            }
            for (p, projection) in layout.projections.enumerated() {
                let pre = presynaptic(l, projection.source, t, b), nPre = pre.count
                for j in 0..<n {
                    let d = deltaI[j * C + projection.channel]
                    guard d != 0 else { continue }
                    for i in 0..<nPre {
                        gradients.weights[l][p][j * nPre + i] += d * pre[i]
                        let back = weights[l][p][j * nPre + i] * d
                        switch projection.source {
                        case .recurrent: nextRecurrent[b * n + i] += back
                        case .input where width > 0: below[b * width + i] += back
                        case .input: break
                        }
                    }
                }
            }
        }
        return below
    }
}

/// What the oracles' forward pass stored: per layer and step, the outputs and local Jacobians;
/// per step, the readout error.
public struct ForwardRecord: Sendable {
    public struct Step: Sendable { public var z: [Double]; public var D, c, dhdTheta, psi, dzdTheta: [Float] }
    public var steps: [[Step]]
    public var errors: [[Double]]
    var input: [Float]
    var inputs: Int, batch: Int, sizes: [Int]
    /// Where an input column of a delayed layer reads: entry `source` of the layer's input (the
    /// network input, or the spikes of the layer below) or, `own`, of its own spikes, `lag` steps ago.
    public struct Tap: Sendable { public var source: Int, lag: Int, own: Bool }
    /// Per layer with delays: its input columns (`InputDelays.tapTable`).
    var taps: [[Tap]?] = []

    static func taps(_ delays: InputDelays) -> [Tap] {
        let (source, lag) = delays.tapTable()
        return zip(source, lag).map { s, lag in
            let own = Int(s) >= delays.inputs
            return Tap(source: own ? Int(s) - delays.inputs : Int(s), lag: Int(lag), own: own)
        }
    }

    /// Spike i of layer l at step s of sequence b (0 before the first step).
    func spike(_ l: Int, _ s: Int, _ b: Int, _ i: Int) -> Double { s >= 0 ? steps[l][s].z[b * sizes[l] + i] : 0 }

    /// Presynaptic activity of a projection of layer l at step t for sequence b.
    public func presynaptic(_ l: Int, _ source: LayerSpec.Source, _ t: Int, _ b: Int) -> [Double] {
        switch source {
        case .input where l == 0:
            func x(_ s: Int, _ i: Int) -> Double { s >= 0 ? Double(input[(s * batch + b) * inputs + i]) : 0 }
            guard taps.count > l, let columns = taps[l] else { return (0..<inputs).map { x(t, $0) } }
            return columns.map { $0.own ? spike(l, t - $0.lag, b, $0.source) : x(t - $0.lag, $0.source) }
        case .input:
            let n = sizes[l - 1]
            guard taps.count > l, let columns = taps[l] else { return Array(steps[l - 1][t].z[(b * n)..<((b + 1) * n)]) }
            return columns.map { spike($0.own ? l : l - 1, t - $0.lag, b, $0.source) }
        case .recurrent: return t == 0 ? [Double](repeating: 0, count: sizes[l]) : Array(steps[l][t - 1].z[(b * sizes[l])..<((b + 1) * sizes[l])])
        }
    }
}
