import Foundation

/// Readout math in float64 shared by the losses' oracles (`LossDefinition`), the trainer (the
/// rate regularization applied after a kernel call) and the BPTT oracle. The kernel's per-step
/// cross-entropy runs in C (`plasticity_softmax_error` in runtime-c) with the same formula in float32.
public enum ReadoutLoss {
    /// L = −log softmax(y)_label; ∂L/∂y = softmax(y) − onehot(label). Shifted by max(y) for range.
    public static func crossEntropy(_ y: [Double], label: Int) -> (loss: Double, error: [Double], correct: Bool) {
        let top = y.max()!
        let exps = y.map { Foundation.exp($0 - top) }, total = exps.reduce(0, +)
        let error = (0..<y.count).map { exps[$0] / total - ($0 == label ? 1 : 0) }
        return (-(y[label] - top - Foundation.log(total)), error, y.firstIndex(of: top)! == label)
    }

    /// ȳ = (1/T) Σ_t y^t of sequence `b`; `y(t, i)` reads entry i of step t's readout [batch][n_out].
    public static func meanReadout(steps: Int, outputs: Int, sequence b: Int, _ y: (Int, Int) -> Double) -> [Double] {
        var mean = [Double](repeating: 0, count: outputs)
        for t in 0..<steps { for o in 0..<outputs { mean[o] += y(t, b * outputs + o) / Double(steps) } }
        return mean
    }

    /// Firing-rate regularization of one neuron (Bellec et al. 2020): strength/2 · (f̄ − target)²
    /// per sequence, f̄ its spikes per step over T steps and the batch; `gradientScale` multiplies
    /// Σ_{t,b} e_ji to give ∂L/∂W_ji (∂f̄/∂W_ji ≈ Σ_{t,b} e_ji / (T B), times B sequences).
    public static func rateRegularization(spikes: Double, steps: Int, batch: Int,
                                          _ r: NetworkSpec.RateRegularization) -> (loss: Double, gradientScale: Double) {
        let excess = spikes / Double(steps * batch) - r.target
        return (0.5 * r.strength * excess * excess * Double(batch), r.strength * excess / Double(steps))
    }
}
