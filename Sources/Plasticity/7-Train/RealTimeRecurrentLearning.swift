import Foundation
import PlasticityRuntime

/// Exact RTRL for tiny single-layer networks (n ≤ 16): forward-mode sensitivities of every state
/// with respect to every hidden weight and parameter through the full Jacobian — the neuron-local
/// block D plus the dense coupling through the recurrent weights that e-prop cuts:
///
///     M_j^t = D_j^t M_j^{t-1} + c_j^t ( Σ_i W_rec,ji dz_i^{t-1} + ∂I_j/∂w ) + ∂h_j^t/∂θ
///     dz_i^t = ψ_i^t M_i^t + ∂z_i^t/∂θ,   dy^t = κ dy^{t-1} + W_out dz^t,   dL/dw = Σ_t errᵗ · dy^t
///
/// Memory O(n k · #weights); cost O(n² k · #weights) per step. Readout gradients as in BPTT.
public func realTimeRecurrentLearning(_ simulation: NetworkSimulation, input: [Float], targets: [Float], steps T: Int) throws -> NetworkGradients {
    guard simulation.layers.count == 1, simulation.layers[0].neurons <= 16 else {
        throw NetworkError(message: "exact RTRL is for one hidden layer of at most 16 neurons")
    }
    guard simulation.inputDelays?.readsOwnSpikes != true else {
        throw NetworkError(message: "exact RTRL does not take delays on a recurrent projection; use exact BPTT")
    }
    try simulation.requireDelayTaps(oracle: "exact RTRL")
    // Forward and local Jacobians come from the BPTT recording pass; readout gradients agree with
    // BPTT by construction, so only the hidden-layer sensitivities are propagated here.
    let reference = try backpropagationThroughTime(simulation, input: input, targets: targets, steps: T, keepRecord: true)
    let record = reference.record!
    let net = simulation.network, B = simulation.batch, layer = simulation.layers[0], layout = layer.layout
    let n = layer.neurons, k = layout.stateCount, C = layout.channelCount, P = layout.learnableCount, nOut = net.outputs
    let weights = layer.weights.map { $0.array.map(Double.init) }
    let readout = simulation.readoutWeights.array.map(Double.init)
    // Parameter space: every projection's weights, then the learnable parameters [P][n].
    var offsets: [Int] = [], count = 0
    for w in weights { offsets.append(count); count += w.count }
    let parameterOffset = count
    count += P * n

    var gradient = [Double](repeating: 0, count: count)
    for b in 0..<B {
        var M = [Double](repeating: 0, count: n * k * count)       // dh_j,s / dw
        var dz = [Double](repeating: 0, count: n * count)          // dz_i^{t-1} / dw
        var dy = [Double](repeating: 0, count: nOut * count)
        for t in 0..<T {
            let step = record.steps[0][t]
            var next = [Double](repeating: 0, count: n * k * count)
            for j in 0..<n {
                let cell = b * n + j
                // Direct ∂I_j,c/∂w and the recurrent coupling Σ_i W_rec,ji dz_i^{t-1}.
                var dI = [Double](repeating: 0, count: C * count)
                for (p, projection) in layout.projections.enumerated() {
                    let pre = record.presynaptic(0, projection.source, t, b), nPre = pre.count
                    for i in 0..<nPre { dI[projection.channel * count + offsets[p] + j * nPre + i] += pre[i] }
                    if projection.source == .recurrent {
                        for i in 0..<n {
                            let w = weights[p][j * n + i]
                            guard w != 0 else { continue }
                            for q in 0..<count { dI[projection.channel * count + q] += w * dz[i * count + q] }
                        }
                    }
                }
                for s in 0..<k {
                    let row = (j * k + s) * count
                    for s2 in 0..<k {
                        let d = Double(step.D[(cell * k + s) * k + s2])
                        if d != 0 { for q in 0..<count { next[row + q] += d * M[(j * k + s2) * count + q] } }
                    }
                    for c in 0..<C {
                        let cc = Double(step.c[(cell * k + s) * C + c])
                        if cc != 0 { for q in 0..<count { next[row + q] += cc * dI[c * count + q] } }
                    }
                    for p in 0..<P { next[row + parameterOffset + p * n + j] += Double(step.dhdTheta[(cell * k + s) * P + p]) }
                }
            }
            M = next
            for j in 0..<n {
                let cell = b * n + j
                for q in 0..<count {
                    var v = 0.0
                    for s in 0..<k { v += Double(step.psi[cell * k + s]) * M[(j * k + s) * count + q] }
                    dz[j * count + q] = v
                }
                for p in 0..<P { dz[j * count + parameterOffset + p * n + j] += Double(step.dzdTheta[cell * P + p]) }
            }
            for o in 0..<nOut {
                for q in 0..<count {
                    var v = net.kappa * dy[o * count + q]
                    for j in 0..<n { v += readout[o * n + j] * dz[j * count + q] }
                    dy[o * count + q] = v
                }
                let e = record.errors[t][b * nOut + o]
                if e != 0 { for q in 0..<count { gradient[q] += e * dy[o * count + q] } }
            }
        }
    }
    var result = reference
    result.record = nil
    for (p, w) in weights.enumerated() { result.weights[0][p] = Array(gradient[offsets[p]..<(offsets[p] + w.count)]) }
    result.parameters[0] = Array(gradient[parameterOffset..<count])
    return simulation.foldingDelays(result)
}
