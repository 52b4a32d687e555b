import Foundation
import PlasticityRuntime

/// A compiled network kernel (`plasticity_network_run` and the per-layer entry points).
public final class NetworkKernel: @unchecked Sendable {
    public let stages: NetworkStages
    public let backend: Backend
    public let compileMilliseconds: Double
    let code: CompiledCode
    let run: plasticity_network_run_fn
    let localStep: plasticity_layer_local_step_fn

    public var network: NetworkSpec { stages.network }

    public init(stages: NetworkStages, backend: Backend = .tinyCC) throws {
        (code, compileMilliseconds) = try backend.compile(stages.text, symbols: ["plasticity_network_run", "plasticity_layer_info",
                                                                                 "plasticity_layer_local_step"])
        self.stages = stages
        self.backend = backend
        run = unsafeBitCast(code.symbols["plasticity_network_run"]!, to: plasticity_network_run_fn.self)
        localStep = unsafeBitCast(code.symbols["plasticity_layer_local_step"]!, to: plasticity_layer_local_step_fn.self)
        let info = unsafeBitCast(code.symbols["plasticity_layer_info"]!, to: plasticity_layer_info_fn.self)
        for (l, layer) in stages.layers.enumerated() {
            let problems = layoutMismatches(info(Int32(l))!.pointee, layer.layout)
            if !problems.isEmpty {
                throw KernelCompileError(backend: backend, message: "layer \(l) info disagrees with the plan: " + problems.joined(separator: ", "),
                                         source: stages.text)
            }
        }
    }
}
