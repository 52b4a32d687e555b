/// Every stage of the compiler for one layer, for printing and inspection.
public struct CompilerStages: Sendable {
    public var layer: LayerSpec
    public var model: CheckedModel
    public var graph: JacobianGraph
    public var plan: EliminationPlan
    public var source: KernelSource
}

/// The compiler as one flat pipeline: each line is a pass.
public func lower(_ layer: LayerSpec, planner: EliminationPlanner = EliminationPlanner()) throws -> CompilerStages {
    let model = try layer.model.checked()                        // 1 DSL → checked model
    try layer.check(model)
    let graph = JacobianGraph(lowering: model)                   // 2 Jacobian graph
    try verifyInDebugBuilds(graph)
    let plan = planner.plan(graph)                               // 3 elimination plan
    try verifyInDebugBuilds(plan)
    let layout = KernelLayout(layer: layer, model: model, plan: plan)
    let text = CKernelGenerator(layer: layer, model: model, plan: plan, layout: layout).emit()   // 4 C
    return CompilerStages(layer: layer, model: model, graph: graph, plan: plan, source: KernelSource(text: text, layout: layout, plan: plan))
}

/// DSL → graph → plan → C → machine code.
public func compile(_ layer: LayerSpec, backend: Backend = .tinyCC, planner: EliminationPlanner = EliminationPlanner()) throws -> Kernel {
    try Kernel(source: lower(layer, planner: planner).source, backend: backend)   // 5 JIT
}

private func verifyInDebugBuilds(_ graph: JacobianGraph) throws {
    #if DEBUG
    try graph.verify()
    #endif
}

private func verifyInDebugBuilds(_ plan: EliminationPlan) throws {
    #if DEBUG
    try plan.verify()
    #endif
}

/// The stages of every hidden layer of a network and the network kernel's C source.
public struct NetworkStages: Sendable {
    public var network: NetworkSpec
    public var layers: [CompilerStages]
    public var text: String
}

/// A network: each hidden layer through the layer pipeline, then one fused network kernel.
public func lower(_ network: NetworkSpec, planner: EliminationPlanner = EliminationPlanner()) throws -> NetworkStages {
    try network.check()
    let layers = try network.hidden.map { try lower($0.layer, planner: planner) }
    let generators = layers.map { CKernelGenerator(layer: $0.layer, model: $0.model, plan: $0.plan, layout: $0.source.layout) }
    return NetworkStages(network: network, layers: layers, text: CNetworkGenerator(network: network, layers: generators).emit())
}

public func compile(_ network: NetworkSpec, backend: Backend = .tinyCC,
                    planner: EliminationPlanner = EliminationPlanner()) throws -> NetworkKernel {
    try NetworkKernel(stages: lower(network, planner: planner), backend: backend)
}
