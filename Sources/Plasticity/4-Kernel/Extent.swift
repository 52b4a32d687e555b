/// A buffer extent as the kernel IR knows it: a formula in the sizes of a call, evaluated in Swift
/// to allocate (saturating, `MemoryCap`) and printed in C to address, so the two never drift apart.
public indirect enum Extent: Hashable, Sendable {
    /// K, the steps of a chunk.
    case steps
    /// n_in, the presynaptic inputs of a layer.
    case inputs
    /// n, the neurons of a layer.
    case neurons
    case constant(Int)
    case sum([Extent])
    case product([Extent])

    public func value(steps: Int, inputs: Int, neurons: Int) -> Int {
        switch self {
        case .steps: return steps
        case .inputs: return inputs
        case .neurons: return neurons
        case .constant(let c): return c
        case .sum(let terms): return MemoryCap.sum(terms.map { $0.value(steps: steps, inputs: inputs, neurons: neurons) })
        case .product(let factors): return factors.reduce(1) { MemoryCap.product($0, $1.value(steps: steps, inputs: inputs, neurons: neurons)) }
        }
    }

    /// C text in the names of K, n_in and n; products in long.
    public func c(steps: String, inputs: String, neurons: String) -> String {
        func text(_ e: Extent) -> String { e.c(steps: steps, inputs: inputs, neurons: neurons) }
        switch self {
        case .steps: return steps
        case .inputs: return inputs
        case .neurons: return neurons
        case .constant(let c): return "\(c)"
        case .sum(let terms): return terms.isEmpty ? "0" : terms.count == 1 ? text(terms[0]) : "(" + terms.map(text).joined(separator: " + ") + ")"
        case .product(let factors): return factors.isEmpty ? "1" : "(long)" + factors.map(text).joined(separator: " * ")
        }
    }
}
