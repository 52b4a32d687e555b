/// Elimination plan → neuron body. The values follow the plan's expression trees operation for
/// operation, so every emitter of the body computes the floats of every other (RowBodyTests).
extension NeuronBody {
    /// The body of a layer whose kernel stores `layout` (its projections give the gain channel —
    /// the first projection's — and the chunk record entries).
    public init(model: CheckedModel, plan: EliminationPlan, layout: KernelLayout) {
        var lowering = BodyLowering(model: model, plan: plan, layout: layout)
        lowering.lower()
        self = lowering.finished()
    }
}

private struct BodyLowering {
    typealias VertexID = JacobianGraph.VertexID
    typealias Operand = NeuronBody.Operand
    let model: CheckedModel
    let plan: EliminationPlan
    let layout: KernelLayout
    var graph: JacobianGraph { plan.graph }
    var values: [NeuronBody.Value] = []
    var vertexOperands: [VertexID: Operand] = [:]
    var constants: [Float: Operand] = [:]
    var temporaries: [Operand] = []
    var stores: [NeuronBody.Store] = []
    var gain: Operand?
    var recordCopies: [NeuronBody.RecordCopy] = []

    init(model: CheckedModel, plan: EliminationPlan, layout: KernelLayout) {
        self.model = model
        self.plan = plan
        self.layout = layout
    }

    // MARK: values

    private mutating func add(_ name: String, _ definition: NeuronBody.Definition, placement: NeuronBody.Placement = .row(-1),
                              forGain: Bool = false) -> Operand {
        values.append(NeuronBody.Value(name: name, definition: definition, placement: placement, forGain: forGain))
        return .value(values.count - 1)
    }

    /// A literal read where a row is needed: its constant row.
    private mutating func asRow(_ operand: Operand) -> Operand {
        guard case .literal(let f) = operand else { return operand }
        if let found = constants[f] { return found }
        let row = add("const\(constants.count)", .constant(f))
        constants[f] = row
        return row
    }

    /// An operation; literal operands stay literals only where a binary primitive takes one as a float.
    private mutating func apply(_ op: ElementOp, _ operands: [Operand], name: String, afterFirstStep: Bool = false,
                                placement: NeuronBody.Placement = .row(-1), forGain: Bool = false) -> Operand {
        let literals = operands.filter { if case .literal = $0 { return true }; return false }.count
        let x = op.hasScalarForms && literals == 1 ? operands : operands.map { asRow($0) }
        let definition: NeuronBody.Definition = afterFirstStep ? .applyAfterFirstStep(op, x) : .apply(op, x)
        return add(name, definition, placement: placement, forGain: forGain)
    }

    private static func literal(_ c: Double) -> Operand { .literal(c == 0 ? 0 : Float(c)) }

    private func planValue(_ v: EliminationPlan.Value?) -> Operand {
        switch v {
        case nil: return .literal(0)
        case .constant(let c)?: return Self.literal(c)
        case .temp(let t)?: return temporaries[t]
        }
    }

    // MARK: the body

    mutating func lower() {
        loadPreviousState()
        for s in model.states.indices { _ = operand(of: graph.stateOut(s)) }
        _ = operand(of: graph.layerOutput)
        let placements = recordPlacements()
        for (i, step) in plan.steps.enumerated() {
            let record = placements.byTemporary[i].map { NeuronBody.Placement.rowOrRecord(-1, owner: $0.owner, recordRow: $0.row) } ?? .row(-1)
            switch step {
            case .partial(let p): temporaries.append(operand(of: p))
            case .product(let a, let b): temporaries.append(apply(.multiply, [planValue(a), planValue(b)], name: "t\(i)", placement: record))
            case .sum(let a, let b): temporaries.append(apply(.add, [planValue(a), planValue(b)], name: "t\(i)", placement: record))
            case .negate(let a): temporaries.append(apply(.negate, [planValue(a)], name: "t\(i)", placement: record))
            }
        }
        recordCopies = placements.copied.map { NeuronBody.RecordCopy(owner: $0.owner, row: $0.row, source: planValue($0.value)) }
        lowerInstantGain()
        lowerStores()
    }

    /// h^{t-1}: with one component its buffer is read in place; two are split in one pass (both
    /// get a row); more are gathered one by one.
    private mutating func loadPreviousState() {
        let k = model.states.count
        for s in model.states.indices {
            let id = graph.previousState(s)
            guard id != nil || k == 2 else { continue }
            let loaded = add(id.map(graph.cName) ?? "hp\(s)_unused", .load(.state(s)), placement: k == 1 ? .inPlace : .row(-1))
            if let id { vertexOperands[id] = loaded }
        }
    }

    /// The operand of a vertex's value, lowering its operands first.
    private mutating func operand(of id: VertexID) -> Operand {
        if let found = vertexOperands[id] { return found }
        let v = graph[id], name = graph.cName(id)
        let result: Operand
        switch v.kind {
        case .previousState: preconditionFailure("loaded before the forward values")
        case .previousSpike: result = add(name, .load(.spike), placement: .inPlace)
        case .input(let c): result = add(name, .load(.current(c)), placement: .inPlace)
        case .learnable(let p): result = add(name, .load(.parameter(p)), placement: .inPlace)
        case .constant(let c): result = Self.literal(c)
        case .newState(let s): result = operand(of: graph.stateOut(s))
        case .stateOut, .layerOutput, .op(.unary(.stopGradient)): result = operand(of: v.operands[0])
        case .op(.resetTo):
            // z > 1/2 ? reset value : value
            let x = v.operands.map { operand(of: $0) }
            result = apply(.select(.greater), [x[0], .literal(0.5), x[1], x[2]], name: name)
        case .op(let op):
            let x = v.operands.map { operand(of: $0) }
            result = apply(ElementOp(op)!, x, name: name)
        }
        vertexOperands[id] = result
        return result
    }

    /// A partial derivative, one operation per node of its expression.
    private mutating func operand(of p: Partial) -> Operand {
        func node(_ op: ElementOp, _ x: [Operand], afterFirstStep: Bool = false) -> Operand {
            apply(op, x, name: "p\(values.count)", afterFirstStep: afterFirstStep)
        }
        switch p {
        case .constant(let c): return Self.literal(c)
        case .value(let id): return operand(of: id)
        case .negate(let a): return node(.negate, [operand(of: a)])
        case .add(let a, let b): return node(.add, [operand(of: a), operand(of: b)])
        case .subtract(let a, let b): return node(.subtract, [operand(of: a), operand(of: b)])
        case .multiply(let a, let b): return node(.multiply, [operand(of: a), operand(of: b)])
        case .divide(let a, let b): return node(.divide, [operand(of: a), operand(of: b)])
        case .pow(let a, let b): return node(.pow, [operand(of: a), operand(of: b)])
        case .log(let a): return node(.log, [operand(of: a)])
        case .indicator(let c, let a, let b): return node(.indicator(c), [operand(of: a), operand(of: b)])
        case .surrogate(let s, let g): return node(.surrogate(s), [operand(of: g)])
        case .tanhDerivative(let x): return node(.tanhDerivative, [operand(of: x)])
        case .sigmoidDerivative(let x): return node(.sigmoidDerivative, [operand(of: x)])
        case .sin(let x): return node(.sin, [operand(of: x)])
        case .cos(let x): return node(.cos, [operand(of: x)])
        case .sign(let x): return node(.sign, [operand(of: x)])
        case .previousSurrogate(let s, let g): return node(.surrogate(s), [operand(of: g)], afterFirstStep: true)
        }
    }

    // MARK: what the step reads after the body

    /// Chunk mode: a temporary that an operation computes is written straight into the first
    /// record that holds it; every other recorded entry is copied.
    private func recordPlacements() -> (byTemporary: [Int: (owner: Int, row: Int)], copied: [(owner: Int, row: Int, value: EliminationPlan.Value?)]) {
        var byTemporary: [Int: (owner: Int, row: Int)] = [:], copied: [(owner: Int, row: Int, value: EliminationPlan.Value?)] = []
        for p in layout.chunkRecordOwners {
            let projection = layout.projections[p]
            let entries = plan.chunkRecordEntries(channel: projection.channel, components: projection.components)
            for (entry, v) in zip(projection.recordEntries, entries) {
                guard case .recorded(let row) = entry else { continue }
                if case .temp(let t)? = v, byTemporary[t] == nil, !plan.steps[t].isPartial {
                    byTemporary[t] = (p, row)
                } else {
                    copied.append((p, row, v))
                }
            }
        }
        return (byTemporary, copied)
    }

    /// ∂z/∂I of the gain channel, Σ_s ψ_s c_s left to right, as the scalar sum.
    private mutating func lowerInstantGain() {
        guard let channel = layout.projections.first?.channel else { return }
        func nonzero(_ v: EliminationPlan.Value?) -> Bool { if case .constant(0)? = v { return false }; return v != nil }
        var sum: Operand?
        for s in plan.outputGradient.indices where plan.outputGradient[s] != nil && nonzero(plan.inputJacobian[s][channel]) {
            let product = apply(.multiply, [planValue(plan.outputGradient[s]), planValue(plan.inputJacobian[s][channel])],
                                name: "gain\(values.count)", forGain: true)
            sum = sum.map { apply(.add, [$0, product], name: "gain\(values.count)", forGain: true) } ?? product
        }
        gain = sum ?? .literal(0)
    }

    /// h^t, ψ^t and z^t. With one state a store of the unchanged h^{t-1} is dropped; two or more
    /// components are interleaved or scattered from rows.
    private mutating func lowerStores() {
        let k = model.states.count
        for s in model.states.indices {
            let h = operand(of: graph.stateOut(s))
            if k == 1, let previous = graph.previousState(s), vertexOperands[previous] == h { continue }
            stores.append(.init(view: .state(s), source: k == 1 ? h : asRow(h)))
        }
        for s in model.states.indices {
            let psi = planValue(plan.outputGradient[s])
            stores.append(.init(view: .psi(s), source: k == 1 ? psi : asRow(psi)))
        }
        stores.append(.init(view: .nextSpike, source: operand(of: graph.layerOutput)))
    }

    // MARK: rows

    /// Rows of `work`: the currents and the next spikes, then the constants, then every other value with a row.
    mutating func finished() -> NeuronBody {
        var next = model.inputs.count + 1
        func assign(_ i: Int) {
            switch values[i].placement {
            case .inPlace: return
            case .row: values[i].placement = .row(next)
            case .rowOrRecord(_, let owner, let recordRow): values[i].placement = .rowOrRecord(next, owner: owner, recordRow: recordRow)
            }
            next += 1
        }
        for i in values.indices { if case .constant = values[i].definition { assign(i) } }
        for i in values.indices { if case .constant = values[i].definition { continue }; assign(i) }
        return NeuronBody(modelName: model.name, stateCount: model.states.count, channelCount: model.inputs.count,
                          learnableCount: model.learnables.count, values: values, temporaries: temporaries, stores: stores, gain: gain,
                          recordCopies: recordCopies, rowCount: next)
    }
}

extension EliminationPlan.Step {
    var isPartial: Bool { if case .partial = self { return true }; return false }
}
