/// Step mode's per-synapse work of a layer, as the kernel IR fixes it: for each projection with
/// a trace, the loop over its presynaptic inputs i that advances ε_ji and ē_ji for neuron j — a
/// runtime-c primitive where one fits the trace's shape, else the general loop — and when a
/// neuron's per-synapse rows may be skipped. Coefficients are plan values: a temporary `t<i>`
/// of the neuron body, a constant, or nil (a structural zero).
public struct SynapseTraces: Sendable, Hashable {
    public typealias Coefficient = EliminationPlan.Value?

    public enum Loop: Sendable, Hashable {
        /// Every component shared (ε_ji = x̄_i): ē_i ← κ ē_i + ψ x̄_i, runtime-c `plasticity_axpby`.
        case presynapticAxpby(psi: Coefficient)
        /// Every component shared, m > 1: ē_i ← κ ē_i + Σ_r ψ_r x̄_ir.
        case presynapticSum(psi: [Coefficient])
        /// One component per synapse: ε_i ← d ε_i + c x_i, ē_i ← κ ē_i + ψ ε_i (`plasticity_trace1`).
        case trace1(d: Coefficient, c: Coefficient, psi: Coefficient)
        /// Two per synapse, D 2×2 row-major (`plasticity_trace2`).
        case trace2(d: [Coefficient], c: [Coefficient], psi: [Coefficient])
        /// One shared component x̄ then one per synapse (ALIF: ε_a after ε_v):
        /// ε_i ← d_rs x̄_i^{t-1} + d_rr ε_i [+ c x_i], ē_i ← κ ē_i + ψ_s x̄_i + ψ_r ε_i (`plasticity_trace1_shared1`).
        case trace1Shared1(dShared: Coefficient, dOwn: Coefficient, c: Coefficient, psi: [Coefficient])
        /// Any other shape: the propagation over every stored component, inline.
        case general
    }

    /// When a neuron's per-synapse rows (ε, ē) stay exactly zero and are skipped.
    public enum Skipping: Sendable, Hashable {
        /// Some coefficient feeding them is a nonzero constant (or there is none to test): never skipped.
        case never
        /// While each of these temporaries is 0 (every ψ, and what feeds ε from x̄ or x).
        case whileZero([Int])
    }

    /// The projections with a trace, and the loop of each.
    public var projections: [Int]
    public var loops: [Loop]
    public func loop(of projection: Int) -> Loop { loops[projections.firstIndex(of: projection)!] }
    public var skipping: Skipping

    /// The loops of the projections with a trace, and the skipping rule, from the plan.
    init(plan: EliminationPlan, layout: KernelLayout) {
        projections = layout.stepTraceProjections
        loops = projections.map { Self.loop(plan: plan, projection: layout.projections[$0]) }
        skipping = Self.skipping(plan: plan, layout: layout)
    }

    private static func loop(plan: EliminationPlan, projection: KernelLayout.Projection) -> Loop {
        let comps = projection.components, m = comps.count, shared = projection.sharedCount, channel = projection.channel
        let d = { (s: Int, q: Int) in plan.stateJacobian[comps[s]][comps[q]] }
        let c = { (s: Int) in plan.inputJacobian[comps[s]][channel] }
        let psi = comps.map { plan.outputGradient[$0] }
        switch (projection.factorized, shared, m) {
        case (true, _, 1): return .presynapticAxpby(psi: psi[0])
        case (true, _, _): return .presynapticSum(psi: psi)
        case (false, 0, 1): return .trace1(d: d(0, 0), c: c(0), psi: psi[0])
        case (false, 0, 2): return .trace2(d: [d(0, 0), d(0, 1), d(1, 0), d(1, 1)], c: [c(0), c(1)], psi: psi)
        case (false, 1, 2): return .trace1Shared1(dShared: d(1, 0), dOwn: d(1, 1), c: c(1), psi: psi)
        default: return .general
        }
    }

    private static func skipping(plan: EliminationPlan, layout: KernelLayout) -> Skipping {
        var zero = Set<Int>(), neverZero = false
        func require(_ v: Coefficient) {
            switch v {
            case nil, .constant(0)?: break
            case .constant?: neverZero = true
            case .temp(let t)?: zero.insert(t)
            }
        }
        let projections = layout.projections.filter { !$0.components.isEmpty }
        for s in Set(projections.flatMap(\.components)) { require(plan.outputGradient[s]) }
        for projection in projections {
            for r in projection.components.dropFirst(projection.sharedCount) {
                require(plan.inputJacobian[r][projection.channel])
                for q in projection.components.prefix(projection.sharedCount) { require(plan.stateJacobian[r][q]) }
            }
        }
        return neverZero || zero.isEmpty ? .never : .whileZero(zero.sorted())
    }
}

extension SynapseTraces {
    /// Problems of the loops against the layout: each projection with a trace has one loop of its
    /// shape, and every coefficient is a temporary of the plan.
    func problems(layout: KernelLayout, temporaries: Int) -> [String] {
        var problems: [String] = []
        if projections != layout.stepTraceProjections {
            problems.append("synapse loops for projections \(projections), not those with a step-by-step trace")
        }
        func check(_ vs: [Coefficient]) {
            for case .temp(let t)? in vs where !(0..<temporaries).contains(t) { problems.append("synapse loop reads t\(t) of \(temporaries)") }
        }
        for (p, loop) in zip(projections, loops) where layout.projections.indices.contains(p) {
            let projection = layout.projections[p], m = projection.components.count, shared = projection.sharedCount
            let fits: Bool
            switch loop {
            case .presynapticAxpby(let psi): fits = projection.factorized && m == 1; check([psi])
            case .presynapticSum(let psi): fits = projection.factorized && psi.count == m; check(psi)
            case .trace1(let d, let c, let psi): fits = shared == 0 && m == 1; check([d, c, psi])
            case .trace2(let d, let c, let psi): fits = shared == 0 && m == 2 && d.count == 4 && c.count == 2 && psi.count == 2; check(d + c + psi)
            case .trace1Shared1(let ds, let dr, let c, let psi): fits = shared == 1 && m == 2 && psi.count == 2; check([ds, dr, c] + psi)
            case .general: fits = !projection.factorized
            }
            if !fits { problems.append("projection \(p): \(loop) does not fit \(m) components, \(shared) shared") }
        }
        if case .whileZero(let ts) = skipping { check(ts.map { .temp($0) }) }
        return problems
    }
}

extension SynapseTraces: CustomStringConvertible {
    public var description: String {
        func text(_ v: Coefficient) -> String {
            switch v {
            case nil: return "0"
            case .constant(let c)?: return c.shortDescription
            case .temp(let t)?: return "t\(t)"
            }
        }
        func list(_ vs: [Coefficient]) -> String { "(" + vs.map(text).joined(separator: ", ") + ")" }
        var lines = zip(projections, loops).map { p, loop -> String in
            let body: String
            switch loop {
            case .presynapticAxpby(let psi): body = "axpby over x-bar, psi = \(text(psi))"
            case .presynapticSum(let psi): body = "sum over x-bar components, psi = \(list(psi))"
            case .trace1(let d, let c, let psi): body = "runtime-c trace1, d = \(text(d)), c = \(text(c)), psi = \(text(psi))"
            case .trace2(let d, let c, let psi): body = "runtime-c trace2, D = \(list(d)), c = \(list(c)), psi = \(list(psi))"
            case .trace1Shared1(let ds, let dr, let c, let psi):
                body = "runtime-c trace1_shared1, d_rs = \(text(ds)), d_rr = \(text(dr)), c = \(text(c)), psi = \(list(psi))"
            case .general: body = "general loop over the stored components"
            }
            return "  synapses of projection \(p), for i < n_pre: \(body)"
        }
        switch skipping {
        case .never: lines.append("  per-synapse rows never skipped")
        case .whileZero(let ts): lines.append("  per-synapse rows skipped while " + ts.map { "t\($0)" }.joined(separator: ", ") + " are 0")
        }
        return lines.joined(separator: "\n") + "\n"
    }
}
