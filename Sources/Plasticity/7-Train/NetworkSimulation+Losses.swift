import Foundation

/// The losses a network kernel call leaves to Swift: a loss of the sequence's mean readout (it
/// needs the whole sequence) and the firing-rate regularization (it needs the spike counts). The
/// first's math is its `LossDefinition.oracle`, the second's `ReadoutLoss`; the kernel keeps the
/// sums Σ_t ē, Σ_t z̄ and Σ e they need.
extension NetworkSimulation {
    /// L(ȳ) with ȳ = (1/T) Σ_t y^t: every step shares err = ∂L/∂ȳ / T, so the gradients are
    /// L_j Σ_t ē_ji (and err Σ_t z̄ for the readout).
    func applySequenceLoss(readout: [Float], targets: [Float], steps T: Int, into result: inout NetworkRunResult) {
        let nOut = network.outputs, nLast = layers.last!.neurons, definition = network.loss.definition
        for b in 0..<batch {
            guard let (label, target) = definition.sequenceTarget(targets, sequence: b, batch: batch, steps: T, outputs: nOut) else { continue }
            let mean = ReadoutLoss.meanReadout(steps: T, outputs: nOut, sequence: b) { t, i in Double(readout[t * batch * nOut + i]) }
            let sequence = definition.oracle(mean, label: label, target: target)
            let err = sequence.error.map { $0 / Double(T) }
            result.loss += sequence.loss
            result.correct += sequence.correct == true ? 1 : 0
            result.counted += 1
            for o in 0..<nOut {
                for j in 0..<nLast { readoutWeightGradient[o * nLast + j] += Float(err[o] * Double(readoutTraceSum![b * nLast + j])) }
                readoutBiasGradient[o] += Float(err[o] * Double(readoutBiasTraceSum![b]))
            }
            for (l, layer) in layers.enumerated() {
                let n = layer.neurons, P = layer.layout.learnableCount
                for j in 0..<n {
                    var signal = 0.0
                    switch network.hidden[l].feedback {
                    case .backward: continue   // the summed loss has no per-step signal to pass down
                    case .targetProjection:
                        signal = label >= 0 ? Double(feedback[l]![j * nOut + label]) / Double(T)
                            : (0..<nOut).reduce(0) { $0 + Double(feedback[l]![j * nOut + $1]) * target[$1] } / Double(T)
                    case .symmetric: for o in 0..<nOut { signal += Double(readoutWeights[o * n + j]) * err[o] }
                    case .random: for o in 0..<nOut { signal += Double(feedback[l]![j * nOut + o]) * err[o] }
                    }
                    guard signal != 0 else { continue }
                    for (p, sums) in layer.eligibilityTraceSums.enumerated() {
                        // per tap block (two with synaptic delays in event form): g [taps][n][nPre], sums [taps][batch][n][nPre]
                        let nPre = layer.weights[p].count / n, g = weightGradients[l][p]
                        for tap in 0..<layer.layout.projections[p].taps {
                            let to = tap * n * nPre + j * nPre, from = tap * batch * n * nPre + (b * n + j) * nPre
                            for i in 0..<nPre { g[to + i] += Float(signal * Double(sums[from + i])) }
                        }
                    }
                    for p in 0..<P {
                        parameterGradients[l][p * n + j] += Float(signal * Double(layer.parameterEligibilityTraceSum![(b * n + j) * P + p]))
                    }
                }
            }
        }
    }

    /// Σ_j of `ReadoutLoss.rateRegularization` over every hidden neuron, with its weight and parameter gradients.
    func applyRateRegularization(_ r: NetworkSpec.RateRegularization, steps T: Int, into result: inout NetworkRunResult) {
        for (l, layer) in layers.enumerated() {
            let n = layer.neurons, P = layer.layout.learnableCount
            for j in 0..<n {
                let (loss, scale) = ReadoutLoss.rateRegularization(spikes: Double(layer.spikeCount![j]), steps: T, batch: batch, r)
                result.loss += loss
                for (p, sums) in layer.eligibilitySums.enumerated() {
                    let nPre = layer.weights[p].count / n, g = weightGradients[l][p]
                    for tap in 0..<layer.layout.projections[p].taps {   // g and sums [taps][n][nPre]
                        let row = tap * n * nPre + j * nPre
                        for i in 0..<nPre { g[row + i] += Float(scale * Double(sums[row + i])) }
                    }
                }
                for p in 0..<P { parameterGradients[l][p * n + j] += Float(scale * Double(layer.parameterEligibilitySum![j * P + p])) }
            }
        }
    }

}
