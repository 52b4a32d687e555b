import Foundation
import Plasticity
import PlasticityRuntime

/// The loss of a network evaluated in float64 by the reference interpreter, independent of the
/// kernels: the oracle for finite differences.
public struct ReferenceNetwork {
    public var spec: NetworkSpec
    public var models: [CheckedModel]
    public var projections: [[LayerSpec.Projection]]
    public var weights: [[[Double]]]          // [layer][projection][n][n_pre]
    /// Delays of the layers' projections from their input, in steps: [n_pre] axonal, [n][n_pre] synaptic.
    public var delays: [TensorID: [Double]] = [:]
    public var parameters: [[Double]]         // [layer][P][n]
    public var readoutWeights: [Double]
    public var readoutBias: [Double]
    /// Each layer's noise key (`LayerBuffers.noiseSeed`): noise sources take the kernel's draws as given.
    public var noiseSeeds: [UInt64]

    public init(_ simulation: NetworkSimulation) {
        spec = simulation.network
        models = simulation.layers.map(\.model)
        projections = simulation.network.hidden.map(\.projections)
        weights = simulation.layers.indices.map { l in
            simulation.layers[l].weights.indices.map { simulation.weights(layer: l, projection: $0).array.map(Double.init) }
        }
        for t in simulation.trainableTensors where t.id.isDelays { delays[t.id] = t.value.array.map(Double.init) }
        parameters = simulation.layers.map { $0.parameters.array.map(Double.init) }
        readoutWeights = simulation.readoutWeights.array.map(Double.init)
        readoutBias = simulation.readoutBias.array.map(Double.init)
        noiseSeeds = simulation.layers.map(\.noiseSeed)
    }

    /// Noise source c of layer l for sequence b at step t, one draw per neuron.
    func noise(layer l: Int, channel c: Int, _ distribution: NoiseDistribution, sequence b: Int, step t: Int) -> [Double] {
        var row = [Float](repeating: 0, count: spec.hidden[l].neurons)
        plasticity_noise(&row, Int32(row.count), distribution == .normal ? PLASTICITY_NOISE_NORMAL : PLASTICITY_NOISE_UNIFORM, noiseSeeds[l],
                         Int32(b), Int64(t), Int32(c))
        return row.map(Double.init)
    }

    /// An input at step t, d steps late, from its values x(s) by step: linear between the whole
    /// steps around d when learnable, d rounded when fixed; nothing before the first step.
    func delayed(_ x: (Int) -> Double, by d: Double, _ spec: DelaySpec, step t: Int) -> Double {
        let clamped = min(max(d, 0), Double(spec.maxSteps))
        guard spec.learnable else { return x(t - Int(clamped.rounded())) }
        let k = clamped.rounded(.down), f = clamped - k
        return (1 - f) * x(t - Int(k)) + f * x(t - Int(k) - 1)
    }

    /// Summed loss over batch and steps; targets as for `NetworkSimulation.run`.
    public func loss(input: [Float], targets: [Float], steps T: Int, batch B: Int) -> Double {
        let L = models.count, sizes = spec.hidden.map(\.neurons), nOut = spec.outputs
        var total = 0.0
        for b in 0..<B {
            var h = (0..<L).map { l in (0..<sizes[l]).map { _ in models[l].states.map(\.initial) } }
            var z = (0..<L).map { [Double](repeating: 0, count: sizes[$0]) }
            var y = [Double](repeating: 0, count: nOut)
            var mean = [Double](repeating: 0, count: nOut)
            // Every layer's spikes of the steps so far, for the delays of the layer above.
            var spikes = (0..<L).map { _ in [[Double]]() }
            for t in 0..<T {
                for l in 0..<L {
                    let oracle = ReferenceInterpreter(models[l]), n = sizes[l]
                    let x = l == 0 ? (0..<spec.inputs).map { Double(input[(t * B + b) * spec.inputs + $0]) } : z[l - 1]
                    var nextH = h[l], nextZ = z[l]
                    let noise = models[l].inputs.enumerated().compactMap { c, name in
                        models[l].noise[name].map { (c, self.noise(layer: l, channel: c, $0, sequence: b, step: t)) }
                    }
                    for j in 0..<n {
                        var currents = [Double](repeating: 0, count: models[l].inputs.count)
                        for (c, draws) in noise { currents[c] = draws[j] }
                        for (p, projection) in projections[l].enumerated() {
                            let pre = projection.source == .input ? x : z[l]
                            let c = models[l].inputs.firstIndex(of: projection.channel)!
                            if let spec = projection.delays {
                                for i in pre.indices {
                                    let d = delays[.delays(layer: l, projection: p)]![spec.kind == .axonal ? i : j * pre.count + i]
                                    // A recurrent projection reads z^{s-1}: its delays start from the previous step.
                                    let source: (Int) -> Double = { s in
                                        if projection.source == .recurrent { return s >= 1 ? spikes[l][s - 1][i] : 0 }
                                        guard s >= 0 else { return 0 }
                                        return l == 0 ? Double(input[(s * B + b) * self.spec.inputs + i]) : spikes[l - 1][s][i]
                                    }
                                    currents[c] += weights[l][p][j * pre.count + i] * delayed(source, by: d, spec, step: t)
                                }
                                continue
                            }
                            for i in pre.indices { currents[c] += weights[l][p][j * pre.count + i] * pre[i] }
                        }
                        let theta = models[l].learnables.indices.map { parameters[l][$0 * n + j] }
                        let step = oracle.step(previous: h[l][j], previousSpike: z[l][j], inputs: currents, learnables: theta)
                        nextH[j] = step.states; nextZ[j] = step.output
                    }
                    h[l] = nextH; z[l] = nextZ
                    spikes[l].append(nextZ)
                }
                let last = z[L - 1]
                for o in 0..<nOut {
                    var s = readoutBias[o]
                    for j in last.indices { s += readoutWeights[o * last.count + j] * last[j] }
                    y[o] = spec.kappa * y[o] + s
                }
                for o in 0..<nOut { mean[o] += y[o] / Double(T) }
                // The loss's own float64 definition: finite differences of it check the kernel's C error.
                let definition = spec.loss.definition
                guard definition.scope == .step,
                      let (label, target) = definition.stepTarget(targets, step: t, sequence: b, batch: B, outputs: nOut) else { continue }
                total += definition.oracle(y, label: label, target: target).loss
            }
            let definition = spec.loss.definition
            if definition.scope == .sequenceMean,
               let (label, target) = definition.sequenceTarget(targets, sequence: b, batch: B, steps: T, outputs: nOut) {
                total += definition.oracle(mean, label: label, target: target).loss
            }
        }
        return total
    }
}
