/// The planner's result: an elimination order, the per-neuron computation it implies, and the
/// local Jacobian blocks the code generator emits (D, c, ∂h/∂θ, ψ, ∂z/∂θ), with structural zeros
/// as `nil`.
public struct EliminationPlan: Sendable {
    public enum Value: Hashable, Sendable { case constant(Double), temp(Int) }
    /// One per-neuron temporary: `temp[i] = steps[i]`.
    public enum Step: Hashable, Sendable {
        case partial(Partial)
        case product(Value, Value)
        case sum(Value, Value)
        case negate(Value)
    }
    public enum OrderKind: String, CaseIterable, Sendable { case forward, reverse, markowitz, search }
    public struct Candidate: Sendable {
        public var kind: OrderKind, order: [Int], multiplies: Int, additions: Int
    }

    public var graph: JacobianGraph
    public var candidates: [Candidate]
    public var chosen: OrderKind
    public var searchWasExhaustive: Bool
    public var steps: [Step]
    public var multiplies: Int
    public var additions: Int

    // Local Jacobian blocks (per neuron), nil = structural zero.
    public var stateJacobian: SparseBlock       // D[s][s']
    public var inputJacobian: [[Value?]]        // c[s][channel]
    public var parameterJacobian: [[Value?]]    // ∂h_s/∂θ_p
    public var outputGradient: [Value?]         // ψ_s
    public var outputParameterGradient: [Value?] // ∂z/∂θ_p (direct)

    public var order: [Int] { candidates.first { $0.kind == chosen }!.order }

    /// Per-neuron multiplies needed to evaluate the primitive partials (the same for every order).
    public var partialMultiplies: Int {
        steps.reduce(0) { n, step in if case .partial(let p) = step { return n + p.multiplyCount }; return n }
    }
}

extension Partial {
    var multiplyCount: Int {
        switch self {
        case .constant, .value, .indicator: return 0
        case .surrogate, .previousSurrogate, .tanhDerivative, .sigmoidDerivative, .sin, .cos, .sign: return 1
        case .negate(let a), .log(let a): return a.multiplyCount
        case .add(let a, let b), .subtract(let a, let b): return a.multiplyCount + b.multiplyCount
        case .multiply(let a, let b), .divide(let a, let b), .pow(let a, let b): return 1 + a.multiplyCount + b.multiplyCount
        }
    }
}

/// Which components of an eligibility vector a kernel stores, and which of them are shared by
/// all neurons (a presynaptic trace) rather than stored per synapse.
public struct TraceStructure: Hashable, Sendable {
    /// State indices of the stored components of ε (structurally nonzero and read by ψ): the
    /// shared ones first, then the per-synapse ones, each in state order.
    public var components: [Int]
    /// The leading `sharedCount` components form a block that D never feeds from the others and
    /// whose D and c entries are the same constants for all neurons, so ε_ji = x̄_i there: one
    /// presynaptic trace per input instead of one value per synapse (ALIF's ε_v).
    public var sharedCount: Int
    /// Every component is shared: ε is a presynaptic trace (LIF).
    public var factorized: Bool { sharedCount == components.count && !components.isEmpty }
    /// Components stored per synapse.
    public var perSynapseCount: Int { components.count - sharedCount }
}
extension EliminationPlan {
    /// Components s of ε^t = D ε^{t-1} + seed that are ever nonzero (reached from the seed along
    /// D's edges q → s) and ever read by e = ψ·ε (reached from ψ backwards), each found by one walk.
    func storedComponents(seed: [Value?]) -> [Int] {
        let k = stateJacobian.count
        var feeds = [[Int]](repeating: [], count: k)   // q → the rows s with D[s][q] ≠ 0
        for s in 0..<k { for entry in stateJacobian[s].nonzeros { feeds[entry.column].append(s) } }
        var nonzero = Set((0..<k).filter { seed[$0] != nil }), pending = Array(nonzero)
        while let q = pending.popLast() { for s in feeds[q] where nonzero.insert(s).inserted { pending.append(s) } }
        var needed = Set((0..<k).filter { outputGradient[$0] != nil })
        pending = Array(needed)
        while let s = pending.popLast() {
            for entry in stateJacobian[s].nonzeros where needed.insert(entry.column).inserted { pending.append(entry.column) }
        }
        return nonzero.intersection(needed).sorted()
    }

    /// Trace structure of a weight projection into `channel`. The shared block is the largest set
    /// S of stored components closed under D (D[s][q] = 0 for s ∈ S, q ∉ S) with constant D[s][·]
    /// and c[s]: ε_S^t = D_SS ε_S^{t-1} + c_S x_i^t then depends on the input i alone.
    public func traceStructure(channel: Int) -> TraceStructure {
        let seed = inputJacobian.map { $0[channel] }
        let stored = storedComponents(seed: seed), storedSet = Set(stored)
        var shared = storedSet
        var changed = true
        while changed {
            changed = false
            for s in shared {
                let row = stateJacobian[s].nonzeros.filter { storedSet.contains($0.column) }
                let constantRow = (seed[s].map(\.isConstant) ?? true) && row.allSatisfy(\.value.isConstant)
                let closed = row.allSatisfy { shared.contains($0.column) }
                if !constantRow || !closed { shared.remove(s); changed = true }
            }
        }
        let components = stored.filter(shared.contains) + stored.filter { !shared.contains($0) }
        return TraceStructure(components: components, sharedCount: shared.count)
    }

    /// Chunk mode: one step's local Jacobians on the stored `components` of a trace into
    /// `channel`, in record order: D row-major (m·m), then c (m), then ψ (m). nil is a structural zero.
    public func chunkRecordEntries(channel: Int, components: [Int]) -> [Value?] {
        components.flatMap { s in components.map { stateJacobian[s][$0] } }
            + components.map { inputJacobian[$0][channel] } + components.map { outputGradient[$0] }
    }

    /// Stored components of the eligibility vector of learnable parameter p.
    public func parameterComponents(_ p: Int) -> [Int] { storedComponents(seed: parameterJacobian.map { $0[p] }) }
}
