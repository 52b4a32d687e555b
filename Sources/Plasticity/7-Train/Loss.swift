import Foundation

extension NetworkSpec {
    /// The losses on the readout y. Each case's `definition` is the whole of it: the C of a step's
    /// error, the float64 oracle of the BPTT and reference checks, the targets it takes. A new
    /// loss is a case here and its definition below, nothing else (docs/architecture.md, "Losses").
    public enum Loss: String, ConfigEnum {
        case crossEntropy, crossEntropySummed, meanSquaredError, binaryCrossEntropy
        public static var aliases: [String: Loss] { ["mse": .meanSquaredError, "bce": .binaryCrossEntropy] }

        public var definition: any LossDefinition {
            switch self {
            case .crossEntropy: return CrossEntropy()
            case .crossEntropySummed: return SummedCrossEntropy()
            case .meanSquaredError: return SquaredError()
            case .binaryCrossEntropy: return BinaryCrossEntropy()
            }
        }
    }
}

/// What the targets of a loss are: a class index per step and sequence ([T][B]; negative: no loss
/// at that step), or a vector per step and sequence ([T][B][n_out]; NaN in its first entry: none).
public enum LossTargets: Sendable { case classLabel, vector }

/// Where a loss applies: at every step with a target (in the kernel, in C), or once per sequence
/// on the mean readout ȳ = (1/T) Σ_t y^t (in Swift after the kernel call; every step then shares
/// err = ∂L/∂ȳ / T, so the gradients are the traces' sums over the sequence times it).
public enum LossScope: Sendable { case step, sequenceMean }

/// A loss on the readout: one type holds its C fragment, its float64 oracle and its targets.
public protocol LossDefinition: Sendable {
    var targets: LossTargets { get }
    var scope: LossScope { get }
    /// Whether the largest readout names the class (accuracy is counted).
    var classifies: Bool { get }
    /// Step losses: C that sets `err[o]` (o < n_out) from `y` and `label` (class targets) or
    /// `target` (vector targets), adds the step's loss to `net->loss_sum` (double), and, for a
    /// classifier, `best == label` to `net->correct`. Float32, the formulas of `oracle`.
    func emitStep(_ w: CWriter)
    /// The loss and ∂L/∂y of one readout (a step's y, or ȳ) in float64, and whether its largest
    /// entry is the label (nil for a loss that does not classify).
    func oracle(_ y: [Double], label: Int, target: [Double]) -> (loss: Double, error: [Double], correct: Bool?)
    /// Why a target value (not a skip marker) cannot be taken, or nil.
    func invalid(_ value: Float, outputs: Int) -> String?
    /// A random target for synthetic checks (`plasticity gradcheck --synthetic`): a class index or one entry of a vector.
    func randomTarget(_ rng: inout SplitMix64, outputs: Int) -> Float
}

extension LossDefinition {
    /// The target of step t of sequence b in `targets` (the kernel's layout: [T][B] or [T][B][n_out]),
    /// or nil where that step has none: (label, []) for class targets, (−1, vector) for vectors.
    public func stepTarget(_ targets: [Float], step t: Int, sequence b: Int, batch B: Int, outputs: Int) -> (label: Int, vector: [Double])? {
        switch self.targets {
        case .classLabel:
            let code = targets[t * B + b]
            return code >= 0 ? (Int(code), []) : nil
        case .vector:
            let first = (t * B + b) * outputs
            return targets[first].isNaN ? nil : (-1, targets[first..<(first + outputs)].map(Double.init))
        }
    }

    /// The loss of sequence b in float64, from a recorded readout [T][B][n_out] and the targets:
    /// the sum over its steps with a target (per-step losses), or the loss of its mean readout.
    public func sequenceLoss(readout: [Float], targets: [Float], sequence b: Int, batch B: Int, steps T: Int, outputs: Int) -> Double {
        func y(_ t: Int) -> [Double] { readout[((t * B + b) * outputs)..<((t * B + b + 1) * outputs)].map(Double.init) }
        switch scope {
        case .step:
            return (0..<T).reduce(0.0) { sum, t in
                guard let (label, target) = stepTarget(targets, step: t, sequence: b, batch: B, outputs: outputs) else { return sum }
                return sum + oracle(y(t), label: label, target: target).loss
            }
        case .sequenceMean:
            guard let (label, target) = sequenceTarget(targets, sequence: b, batch: B, steps: T, outputs: outputs) else { return 0 }
            return oracle(ReadoutLoss.meanReadout(steps: T, outputs: outputs, sequence: b) { t, i in Double(readout[t * B * outputs + i]) },
                          label: label, target: target).loss
        }
    }

    /// The target of a whole sequence (a sequence-mean loss): that of its first step with one.
    public func sequenceTarget(_ targets: [Float], sequence b: Int, batch B: Int, steps T: Int, outputs: Int) -> (label: Int, vector: [Double])? {
        (0..<T).lazy.compactMap { stepTarget(targets, step: $0, sequence: b, batch: B, outputs: outputs) }.first
    }

    public func invalid(_ value: Float, outputs: Int) -> String? {
        guard value.isFinite else { return "\(value) is not a finite number" }
        if targets == .classLabel, value >= 0, value != value.rounded() || value >= Float(outputs) {
            return "\(value) is not a class label (a whole number from 0 to \(outputs - 1), or negative for no loss)"
        }
        return nil
    }
    public func randomTarget(_ rng: inout SplitMix64, outputs: Int) -> Float {
        targets == .classLabel ? Float(rng.next() % UInt64(outputs)) : Float(rng.normal() * 0.5)
    }
}

/// L = −log softmax(y)_label at every labelled step; ∂L/∂y = softmax(y) − onehot(label).
struct CrossEntropy: LossDefinition {
    var targets: LossTargets { .classLabel }
    var scope: LossScope { .step }
    var classifies: Bool { true }
    func emitStep(_ w: CWriter) {
        w.comment("softmax p, err = p - onehot, loss = -log p_label")
        w.line("int best = 0;")
        w.line("net->loss_sum -= (double)plasticity_softmax_error(err, y, n_out, label, &best);")
        w.line("net->correct += best == label;")
    }
    func oracle(_ y: [Double], label: Int, target: [Double]) -> (loss: Double, error: [Double], correct: Bool?) {
        let ce = ReadoutLoss.crossEntropy(y, label: label)
        return (ce.loss, ce.error, ce.correct)
    }
}

/// The cross-entropy of the time-averaged readout ȳ, one label per sequence (its first
/// non-negative target).
struct SummedCrossEntropy: LossDefinition {
    var targets: LossTargets { .classLabel }
    var scope: LossScope { .sequenceMean }
    var classifies: Bool { true }
    func emitStep(_ w: CWriter) {}
    func oracle(_ y: [Double], label: Int, target: [Double]) -> (loss: Double, error: [Double], correct: Bool?) {
        CrossEntropy().oracle(y, label: label, target: target)
    }
}

/// L = ½ |y − target|² at every step with a target; ∂L/∂y = y − target.
struct SquaredError: LossDefinition {
    var targets: LossTargets { .vector }
    var scope: LossScope { .step }
    var classifies: Bool { false }
    func emitStep(_ w: CWriter) {
        w.comment("err = y - target, loss = 0.5 |err| squared")
        w.line("plasticity_squared_error(err, y, target, n_out, &net->loss_sum);")
    }
    func oracle(_ y: [Double], label: Int, target: [Double]) -> (loss: Double, error: [Double], correct: Bool?) {
        let error = zip(y, target).map { $0 - $1 }
        return (error.reduce(0) { $0 + 0.5 * $1 * $1 }, error, nil)
    }
}

/// Each output a logit of an independent yes/no target t ∈ [0, 1] at every step with targets:
/// L = Σ_o softplus(y_o) − t_o y_o (= −t log σ(y) − (1 − t) log(1 − σ(y))), written
/// max(y, 0) − t y + log(1 + e^{−|y|}) so that no term overflows; ∂L/∂y_o = σ(y_o) − t_o.
struct BinaryCrossEntropy: LossDefinition {
    var targets: LossTargets { .vector }
    var scope: LossScope { .step }
    var classifies: Bool { false }
    func emitStep(_ w: CWriter) {
        w.comment("err = sigmoid(y) - target, loss = max(y, 0) - target y + log(1 + exp(-|y|))")
        w.line("double step_loss = 0.0;")
        w.block("for (int o = 0; o < n_out; ++o)") {
            w.line("const float magnitude = y[o] > 0.0f ? y[o] : -y[o];")
            w.line("const float decay = expf(-magnitude);")
            w.line("err[o] = (y[o] >= 0.0f ? 1.0f / (1.0f + decay) : decay / (1.0f + decay)) - target[o];")
            w.line("step_loss += (double)((y[o] > 0.0f ? y[o] : 0.0f) - target[o] * y[o] + logf(1.0f + decay));")
        }
        w.line("net->loss_sum += step_loss;")
    }
    func oracle(_ y: [Double], label: Int, target: [Double]) -> (loss: Double, error: [Double], correct: Bool?) {
        var loss = 0.0, error = [Double](repeating: 0, count: y.count)
        for (o, (v, t)) in zip(y, target).enumerated() {
            let decay = Foundation.exp(-abs(v))
            error[o] = (v >= 0 ? 1 / (1 + decay) : decay / (1 + decay)) - t
            loss += max(v, 0) - t * v + Foundation.log(1 + decay)
        }
        return (loss, error, nil)
    }
    func invalid(_ value: Float, outputs: Int) -> String? {
        value.isFinite && (0...1).contains(value) ? nil : "\(value) is not a probability (a number from 0 to 1)"
    }
    func randomTarget(_ rng: inout SplitMix64, outputs: Int) -> Float { Float(rng.next() % 2) }
}
