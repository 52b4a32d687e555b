/// A trainable tensor of a network, by what it is. Its `name` is its key in safetensors files,
/// checkpoints and gradient reports: `layer<l>.w<p>` (the weights of projection p into hidden
/// layer l, [n][n_pre]), `layer<l>.d<p>` (its delays in steps: [n_pre] axonal, [n][n_pre]
/// synaptic), `layer<l>.params` (its learnable parameters, [P][n]), `readout.w` ([n_out][n_last])
/// and `readout.b` ([n_out]). Code names tensors by case, never by text.
public enum TensorID: Hashable, Sendable, CustomStringConvertible {
    case weights(layer: Int, projection: Int)
    case delays(layer: Int, projection: Int)
    case parameters(layer: Int)
    case readoutWeights
    case readoutBias

    public var name: String {
        switch self {
        case .weights(let l, let p): return "layer\(l).w\(p)"
        case .delays(let l, let p): return "layer\(l).d\(p)"
        case .parameters(let l): return "layer\(l).params"
        case .readoutWeights: return "readout.w"
        case .readoutBias: return "readout.b"
        }
    }
    public var description: String { name }

    public var isDelays: Bool { if case .delays = self { true } else { false } }

    /// The key of the tensor's sparsity mask, and of the optimizer's moments, in a checkpoint.
    public var maskName: String { "mask.\(name)" }
    public var firstMomentName: String { "optimizer.m.\(name)" }
    public var secondMomentName: String { "optimizer.v.\(name)" }

    /// The tensor a name denotes, or nil.
    public init?(name: String) {
        switch name {
        case "readout.w": self = .readoutWeights
        case "readout.b": self = .readoutBias
        default:
            guard name.hasPrefix("layer"), let dot = name.firstIndex(of: "."), let l = Int(name[name.index(name.startIndex, offsetBy: 5)..<dot]),
                  l >= 0 else { return nil }
            let rest = name[name.index(after: dot)...]
            if rest == "params" { self = .parameters(layer: l); return }
            guard let kind = rest.first, kind == "w" || kind == "d", let p = Int(rest.dropFirst()), p >= 0 else { return nil }
            self = kind == "w" ? .weights(layer: l, projection: p) : .delays(layer: l, projection: p)
        }
        guard self.name == name else { return nil }   // one spelling per tensor ("layer01.w0" is not one)
    }
}
