/// Chooses a vertex-elimination order for a graph and runs it.
///
/// Orders: forward (topological), reverse, Markowitz (smallest |pred|·|succ| first), and a search
/// for the cheapest order under the multiply-count cost model — exhaustive branch and bound with
/// a memo over eliminated sets when there are at most `exhaustiveLimit` intermediates, otherwise
/// the best of cost-greedy, random restarts and pairwise-swap descent. The search always starts
/// from the other three, so the chosen order never costs more than any of them.
public struct EliminationPlanner {
    public var exhaustiveLimit = 12
    public var randomRestarts = 64
    /// Improve the heuristic search's best order by pairwise swaps (O(n²) orders of O(n) cost per
    /// round), for graphs of at most `swapDescentLimit` intermediates: beyond, the rounds would
    /// make lowering a deep expression take minutes (250 nested adds: 34 s in a debug build).
    public var swapDescent = true
    public var swapDescentLimit = 48
    /// Graphs with more intermediates than this take the better of the forward and reverse
    /// orders: the Markowitz and greedy orders cost O(n²) cost evaluations, which made a model
    /// with 4,096 distinct product terms take 90 s to lower (debug build); above the limit,
    /// lowering stays linear in the model's size.
    public var searchLimit = 256

    public init() {}

    public func plan(_ graph: JacobianGraph) -> EliminationPlan {
        var start = Eliminator(graph: graph)
        let recordingStart = start
        start.recordsSteps = false
        let vertices = start.intermediates.sorted()
        func run(_ order: [Int]) -> Eliminator {
            var e = start
            for v in order { e.eliminate(v) }
            return e
        }
        func markowitzOrder() -> [Int] {
            var e = start, order: [Int] = []
            while let v = e.intermediates.min(by: { (e.markowitz($0), $0) < (e.markowitz($1), $1) }) { order.append(v); e.eliminate(v) }
            return order
        }
        var candidates: [EliminationPlan.Candidate] = []
        func record(_ kind: EliminationPlan.OrderKind, _ order: [Int]) {
            let e = run(order)
            candidates.append(.init(kind: kind, order: order, multiplies: e.multiplies, additions: e.additions))
        }
        record(.forward, vertices)
        record(.reverse, vertices.reversed())
        let searched = vertices.count <= searchLimit
        if searched { record(.markowitz, markowitzOrder()) }
        let exhaustive = vertices.count <= exhaustiveLimit
        let seeded = candidates.min { ($0.multiplies, $0.additions) < ($1.multiplies, $1.additions) }!
        let best = exhaustive ? exhaustiveSearch(start, bound: (seeded.order, (seeded.multiplies, seeded.additions)))
                 : searched ? heuristicSearch(start, seeds: candidates.map(\.order)) : (seeded.order, (seeded.multiplies, seeded.additions))
        record(.search, (best.1.0, best.1.1) <= (seeded.multiplies, seeded.additions) ? best.0 : seeded.order)

        let chosen = candidates.last!
        var final = recordingStart
        for v in chosen.order { final.eliminate(v) }
        let model = graph.model
        let k = model.states.count
        func value(_ output: JacobianGraph.VertexID, _ input: JacobianGraph.VertexID?) -> EliminationPlan.Value? {
            guard let input else { return nil }
            return final.predecessors[output.raw]?[input.raw]
        }
        let states = (0..<k).map { graph.stateOut($0) }
        var stateOf: [Int: Int] = [:]   // vertex → the state whose previous value it is
        for s in 0..<k { if let v = graph.previousState(s) { stateOf[v.raw] = s } }
        let inputs = model.inputs.indices.map { graph.input($0) }, learnables = model.learnables.indices.map { graph.learnable($0) }
        // D from each output's predecessors after elimination: linear in the nonzeros, never k².
        let stateJacobian = SparseBlock(columns: k, rows: states.map { out in
            (final.predecessors[out.raw] ?? [:]).compactMap { raw, value in stateOf[raw].map { (column: $0, value: value) } }
        })
        return EliminationPlan(
            graph: graph, candidates: candidates, chosen: .search, searchWasExhaustive: exhaustive,
            steps: final.steps, multiplies: final.multiplies, additions: final.additions,
            stateJacobian: stateJacobian,
            inputJacobian: states.map { out in inputs.map { value(out, $0) } },
            parameterJacobian: states.map { out in learnables.map { value(out, $0) } },
            outputGradient: (0..<k).map { value(graph.layerOutput, graph.newState($0)) },
            outputParameterGradient: model.learnables.indices.map { value(graph.layerOutput, graph.learnable($0)) })
    }

    /// Branch and bound over orders with a memo of the best cost seen per eliminated set, bounded
    /// from the start by the best heuristic order (costs only grow as vertices are eliminated).
    private func exhaustiveSearch(_ start: Eliminator, bound: ([Int], (Int, Int))) -> ([Int], (Int, Int)) {
        let vertices = start.intermediates.sorted()
        var memo: [Int: (Int, Int)] = [:]
        var best = bound
        func visit(_ e: Eliminator, _ mask: Int, _ order: [Int]) {
            let cost = (e.multiplies, e.additions)
            if let seen = memo[mask], seen <= cost { return }
            memo[mask] = cost
            if cost >= best.1 { return }
            if order.count == vertices.count { if cost < best.1 { best = (order, cost) }; return }
            for (i, v) in vertices.enumerated() where mask & (1 << i) == 0 {
                // Prune on the predicted cost before paying for a copy of the graph.
                let step = e.cost(of: v), predicted = (cost.0 + step.0, cost.1 + step.1)
                if predicted >= best.1 { continue }
                if let seen = memo[mask | (1 << i)], seen <= predicted { continue }
                var next = e
                next.eliminate(v)
                visit(next, mask | (1 << i), order + [v])
            }
        }
        visit(start, 0, [])
        return best
    }

    /// Cost-greedy, seeded random restarts and pairwise-swap descent for larger graphs.
    private func heuristicSearch(_ start: Eliminator, seeds: [[Int]]) -> ([Int], (Int, Int)) {
        func cost(_ order: [Int]) -> (Int, Int) {
            var e = start
            for v in order { e.eliminate(v) }
            return (e.multiplies, e.additions)
        }
        var greedy = start, greedyOrder: [Int] = []
        while let v = greedy.intermediates.min(by: {
            let a = greedy.cost(of: $0), b = greedy.cost(of: $1); return (a.0, a.1, $0) < (b.0, b.1, $1)
        }) { greedyOrder.append(v); greedy.eliminate(v) }
        var pool = seeds + [greedyOrder]
        var rng = SplitMix64(seed: 0x5EED)
        for _ in 0..<randomRestarts { pool.append(start.intermediates.sorted().shuffled(using: &rng)) }
        var best = pool.map { ($0, cost($0)) }.min { $0.1 < $1.1 }!
        var improved = swapDescent && start.intermediates.count <= swapDescentLimit
        while improved {
            improved = false
            for i in best.0.indices { for j in best.0.indices where j > i {
                var candidate = best.0
                candidate.swapAt(i, j)
                let c = cost(candidate)
                if c < best.1 { best = (candidate, c); improved = true }
            } }
        }
        return best
    }
}

/// A small deterministic generator, so plans are reproducible.
public struct SplitMix64: RandomNumberGenerator, Sendable {
    public var state: UInt64
    public init(seed: UInt64) { state = seed }
    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
