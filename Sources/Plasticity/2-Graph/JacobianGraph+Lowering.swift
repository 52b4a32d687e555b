extension JacobianGraph {
    /// Lowers a checked model into one step's graph: vertices in topological order, constants
    /// folded, common subexpressions shared, edges only out of active vertices (those depending
    /// on an independent), each with the partial from its op's derivative rule.
    public init(lowering model: CheckedModel) {
        self.init(model: model)
        let states = model.states
        let previous = states.indices.map { add(.previousState($0), label: states[$0].name) }
        var parameters: [String: VertexID] = [:]
        // By name: the vertex numbers a printed graph shows must not depend on dictionary order.
        for (name, value) in model.fixedParameters.sorted(by: { $0.key < $1.key }) { parameters[name] = add(.constant(value)) }
        for (p, learnable) in model.learnables.enumerated() { parameters[learnable.name] = add(.learnable(p), label: learnable.name) }
        var inputs: [String: VertexID] = [:]
        for (c, name) in model.inputs.enumerated() { inputs[name] = add(.input(c), label: name) }

        // Output block: g(h^t; θ), then z = Θ(g) or y = g.
        var outputEnv = parameters
        for (s, state) in states.enumerated() { outputEnv[state.name] = add(.newState(s), label: state.name) }
        let g = lower(model.output.expr, outputEnv)
        switch model.output {
        case .spike(_, let surrogate): _ = add(.layerOutput, [add(.op(.spike(surrogate)), [g])])
        case .value: _ = add(.layerOutput, [g])
        }

        // Update block: reset with z^{t-1} (its gradient kept or stopped), definitions, updates.
        var resetEnv = parameters
        for (s, state) in states.enumerated() { resetEnv[state.name] = previous[s] }
        let usesSpike = states.contains { $0.reset != nil || $0.update.symbols.contains(BuiltinSymbol.previousSpike) }
            || model.definitions.contains { $0.expr.symbols.contains(BuiltinSymbol.previousSpike) }
        var updateEnv = parameters.merging(inputs) { a, _ in a }
        if usesSpike, case .spike = model.output {
            // z^{t-1} = Θ(g(h^{t-1}; θ)): its value is loaded, its derivative flows through g
            // evaluated at h^{t-1}, so both ψ^{t-1} and a direct ∂z^{t-1}/∂θ are in the graph.
            let previousCondition = lower(model.output.expr, resetEnv)
            let spike = add(.previousSpike, [previousCondition], label: BuiltinSymbol.previousSpike)
            updateEnv[BuiltinSymbol.previousSpike] = spike
            let resetSpike = model.resetGradient == .stopped ? add(.op(.unary(.stopGradient)), [spike]) : spike
            for (s, state) in states.enumerated() {
                guard let rule = state.reset else { updateEnv[state.name] = previous[s]; continue }
                let r = lower(rule.expr, resetEnv)
                let post: VertexID
                switch rule {
                case .subtract: post = fold(.binary(.subtract), [previous[s], fold(.binary(.multiply), [resetSpike, r])])
                case .add: post = fold(.binary(.add), [previous[s], fold(.binary(.multiply), [resetSpike, r])])
                case .to: post = fold(.resetTo, [resetSpike, r, previous[s]])
                }
                updateEnv[state.name] = post
            }
        } else {
            for (s, state) in states.enumerated() { updateEnv[state.name] = previous[s] }
        }
        for definition in model.definitions {
            let id = lower(definition.expr, updateEnv)
            if vertices[id.raw].label == nil { vertices[id.raw].label = definition.name }
            updateEnv[definition.name] = id
        }
        for (s, state) in states.enumerated() {
            _ = add(.stateOut(s), [lower(state.update, updateEnv)], label: state.name)
        }
        buildEdges()
    }

    private mutating func lower(_ e: Expr, _ env: [String: VertexID]) -> VertexID {
        switch e {
        case .constant(let c): return add(.constant(c))
        case .symbol(let name): return env[name]!   // names were resolved by the checker
        case .unary(let op, let x): return fold(.unary(op), [lower(x, env)])
        case .binary(let op, let a, let b): return fold(.binary(op), [lower(a, env), lower(b, env)])
        case .select(let c, let a, let b):
            return fold(.select(c.comparison), [lower(c.lhs, env), lower(c.rhs, env), lower(a, env), lower(b, env)])
        }
    }

    func constantValue(_ id: VertexID) -> Double? { if case .constant(let c) = self[id].kind { return c }; return nil }

    /// Adds an op, folding it when every operand is a constant and dropping identities (x·1, x+0, x/1).
    private mutating func fold(_ op: Op, _ operands: [VertexID]) -> VertexID {
        let constants = operands.map(constantValue)
        if !constants.contains(where: { $0 == nil }), op != .unary(.stopGradient) {
            return add(.constant(op.evaluate(constants.map { $0! })))
        }
        switch (op, constants.first ?? nil, constants.count > 1 ? constants[1] : nil) {
        case (.binary(.multiply), 1?, _), (.binary(.add), 0?, _): return operands[1]
        case (.binary(.multiply), _, 1?), (.binary(.add), _, 0?), (.binary(.subtract), _, 0?), (.binary(.divide), _, 1?):
            return operands[0]
        case (.select(let c), let l?, let r?): return c.holds(l, r) ? operands[2] : operands[3]
        default: return add(.op(op), operands)
        }
    }

    private mutating func buildEdges() {
        var active = Set<VertexID>()
        for v in vertices {
            switch v.kind {
            case .previousState, .input, .learnable, .newState: active.insert(v.id)
            case .previousSpike:
                // dz^{t-1}/dg^{t-1} = σ'(g^{t-1}) (0 at the first step: z^{-1} is a constant).
                if case .spike(_, let surrogate) = model.output, active.contains(v.operands[0]) {
                    addEdge(from: v.operands[0], to: v.id, partial: .previousSurrogate(surrogate, v.operands[0]))
                    active.insert(v.id)
                }
            case .constant: break
            case .stateOut, .layerOutput:
                if active.contains(v.operands[0]) { addEdge(from: v.operands[0], to: v.id, partial: .constant(1)); active.insert(v.id) }
            case .op(let op):
                let partials = op.partials(operands: v.operands, result: v.id, constant: constantValue)
                for (operand, partial) in zip(v.operands, partials) where active.contains(operand) {
                    addEdge(from: operand, to: v.id, partial: partial)
                }
                if edges.last?.to == v.id { active.insert(v.id) }   // edges to v were added just now
            }
        }
    }

}
