/// Vertex elimination (Griewank & Walther) over the Jacobian graph with symbolic edge values.
///
/// Eliminating an intermediate v adds, for every predecessor p and successor s,
/// `∂s/∂p += ∂s/∂v · ∂v/∂p` and removes v. Edge values are constants (folded at compile time)
/// or temporaries computed per neuron; the cost model counts the per-neuron multiplies a
/// product needs given that structure: const·const and ±1·x are free, anything else costs one.
struct Eliminator {
    typealias Value = EliminationPlan.Value
    var predecessors: [Int: [Int: Value]] = [:]
    var successors: [Int: [Int: Value]] = [:]
    var steps: [EliminationPlan.Step] = []
    /// Searches need only costs: skip recording steps (temp indices stay consistent via `stepCount`).
    var recordsSteps = true
    var stepCount = 0
    var multiplies = 0
    var additions = 0
    /// Vertices still to eliminate.
    var intermediates: Set<Int> = []

    init(graph: JacobianGraph) {
        // Keep only vertices on some path from an independent to an output.
        var forward = Set<Int>(), backward = Set<Int>()
        for v in graph.vertices where graph.isIndependent(v.id) { forward.insert(v.id.raw) }
        for e in graph.edges.sorted(by: { $0.from < $1.from }) where forward.contains(e.from.raw) { forward.insert(e.to.raw) }
        for v in graph.vertices where graph.isOutput(v.id) { backward.insert(v.id.raw) }
        for e in graph.edges.sorted(by: { $0.to > $1.to }) where backward.contains(e.to.raw) { backward.insert(e.from.raw) }
        let useful = forward.intersection(backward)
        for e in graph.edges.sorted(by: { ($0.to, $0.from) < ($1.to, $1.from) })
        where useful.contains(e.from.raw) && useful.contains(e.to.raw) {
            let value: Value
            if let c = e.partial.constantValue { value = .constant(c) } else { value = record(.partial(e.partial)) }
            predecessors[e.to.raw, default: [:]][e.from.raw] = value
            successors[e.from.raw, default: [:]][e.to.raw] = value
        }
        intermediates = useful.filter { !graph.isIndependent(.init(raw: $0)) && !graph.isOutput(.init(raw: $0)) }
    }

    /// The cost of eliminating v now, without doing it: (multiplies, additions).
    func cost(of v: Int) -> (Int, Int) {
        var m = 0, a = 0
        for (p, pv) in predecessors[v] ?? [:] {
            for (s, vs) in successors[v] ?? [:] {
                if Eliminator.productCost(pv, vs) > 0 { m += 1 }
                if let existing = successors[p]?[s], !(existing.isConstant && pv.isConstant && vs.isConstant) { a += 1 }
            }
        }
        return (m, a)
    }

    static func productCost(_ a: Value, _ b: Value) -> Int {
        switch (a, b) {
        case (.constant, .constant): return 0
        case (.constant(let c), .temp), (.temp, .constant(let c)): return (c == 1 || c == -1 || c == 0) ? 0 : 1
        default: return 1
        }
    }

    mutating func product(_ a: Value, _ b: Value) -> Value {
        switch (a, b) {
        case let (.constant(x), .constant(y)): return .constant(x * y)
        case (.constant(0), _), (_, .constant(0)): return .constant(0)
        case (.constant(1), let t), (let t, .constant(1)): return t
        case (.constant(-1), let t), (let t, .constant(-1)): return record(.negate(t))
        default: multiplies += 1; return record(.product(a, b))
        }
    }

    private mutating func record(_ step: EliminationPlan.Step) -> Value {
        if recordsSteps { steps.append(step) }
        stepCount += 1
        return .temp(stepCount - 1)
    }

    mutating func sum(_ a: Value, _ b: Value) -> Value {
        if case .constant(let x) = a, case .constant(let y) = b { return .constant(x + y) }
        if case .constant(0) = a { return b }
        if case .constant(0) = b { return a }
        additions += 1; return record(.sum(a, b))
    }

    mutating func eliminate(_ v: Int) {
        let preds = predecessors[v] ?? [:], succs = successors[v] ?? [:]
        for (p, pv) in preds.sorted(by: { $0.key < $1.key }) {
            for (s, vs) in succs.sorted(by: { $0.key < $1.key }) {
                let contribution = product(pv, vs)
                let updated = successors[p]?[s].map { sum($0, contribution) } ?? contribution
                if case .constant(0) = updated {
                    successors[p]?[s] = nil; predecessors[s]?[p] = nil
                } else {
                    successors[p, default: [:]][s] = updated; predecessors[s, default: [:]][p] = updated
                }
            }
        }
        for p in preds.keys { successors[p]?[v] = nil }
        for s in succs.keys { predecessors[s]?[v] = nil }
        predecessors[v] = nil; successors[v] = nil
        intermediates.remove(v)
    }

    /// Markowitz degree |pred|·|succ|.
    func markowitz(_ v: Int) -> Int { (predecessors[v]?.count ?? 0) * (successors[v]?.count ?? 0) }
}

extension EliminationPlan.Value {
    var isConstant: Bool { if case .constant = self { return true }; return false }
}
