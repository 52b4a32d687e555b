/// Every stage of the compiler for one layer, for printing and inspection.
public struct CompilerStages: Sendable {
    public var layer: LayerSpec
    public var model: CheckedModel
    public var graph: JacobianGraph
    public var plan: EliminationPlan
    public var kernel: LayerKernel
    public var source: KernelSource
}

/// The compiler as one flat pipeline: each line is a pass.
public func lower(_ layer: LayerSpec, target: Backend.Target = .hostC, planner: EliminationPlanner = EliminationPlanner()) throws -> CompilerStages {
    // Delays live in the network loop's delay lines; a layer kernel alone would drop them.
    if let p = layer.projections.firstIndex(where: { $0.delays != nil }) {
        throw NetworkError(message: "projection \(p) has delays, which network kernels run (compile a NetworkSpec); a layer kernel has none")
    }
    let layer = try layer.checked(stepMs: nil)                   // 1 DSL → checked model (once)
    let model = layer.checkedModel!
    let graph = JacobianGraph(lowering: model)                   // 2 Jacobian graph
    try verifyInDebugBuilds(graph.verify)
    let plan = planner.plan(graph)                               // 3 elimination plan
    try verifyInDebugBuilds(plan.verify)
    let kernel = LayerKernel(layer: layer, model: model, plan: plan)   // 4 kernel IR
    try verifyInDebugBuilds(kernel.verify)
    let source = target.emit(kernel)                             // 5 code for the target
    return CompilerStages(layer: layer, model: model, graph: graph, plan: plan, kernel: kernel, source: source)
}

/// DSL → graph → plan → kernel IR → C → machine code.
public func compile(_ layer: LayerSpec, backend: Backend = .tinyCC, planner: EliminationPlanner = EliminationPlanner()) throws -> Kernel {
    try Kernel(source: lower(layer, target: backend.target, planner: planner).source, backend: backend)   // 6 JIT
}

/// The verifiers of every IR run in debug builds (tests); release builds trust the passes.
private func verifyInDebugBuilds(_ verify: () throws -> Void) throws {
    #if DEBUG
    try verify()
    #endif
}

/// The stages of every hidden layer of a network and the network kernel's source.
public struct NetworkStages: Sendable {
    public var network: NetworkSpec
    public var models: [CheckedModel]
    public var graphs: [JacobianGraph]
    public var plans: [EliminationPlan]
    public var kernel: NetworkKernelIR
    public var text: String
    /// The kernel IR of every hidden layer, bottom up.
    public var layers: [LayerKernel] { kernel.layers }
}

/// A network: the layer passes over every hidden layer, then one network kernel; each line is a pass.
public func lower(_ network: NetworkSpec, target: Backend.Target = .hostC,
                  planner: EliminationPlanner = EliminationPlanner()) throws -> NetworkStages {
    let network = try network.checked()                                                     // 1 DSL → checked models (once)
    let layers = network.hidden
    let models = layers.map { $0.checkedModel! }
    let graphs = models.map(JacobianGraph.init(lowering:))                                  // 2 Jacobian graphs
    try graphs.forEach { try verifyInDebugBuilds($0.verify) }
    let plans = graphs.map(planner.plan)                                                    // 3 elimination plans
    try plans.forEach { try verifyInDebugBuilds($0.verify) }
    let kernel = NetworkKernelIR(network: network, layers: zip(layers, zip(models, plans)).map {
        LayerKernel(layer: $0.kernelForm, model: $1.0, plan: $1.1)                          // 4 kernel IR
    })
    try verifyInDebugBuilds(kernel.verify)
    let text = target.emit(kernel)                                                          // 5 code for the target
    return NetworkStages(network: network, models: models, graphs: graphs, plans: plans, kernel: kernel, text: text)
}

public func compile(_ network: NetworkSpec, backend: Backend = .tinyCC,
                    planner: EliminationPlanner = EliminationPlanner()) throws -> NetworkKernel {
    try NetworkKernel(stages: lower(network, target: backend.target, planner: planner), backend: backend)
}
