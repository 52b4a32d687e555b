import Foundation
import PlasticityRuntime

/// A compiled layer kernel. Kernels hold no mutable state, so one kernel may run on several
/// threads over different buffers.
public final class Kernel: @unchecked Sendable {
    public let source: KernelSource
    public let backend: Backend
    public var layout: KernelLayout { source.layout }
    public var model: CheckedModel { source.plan.graph.model }
    /// Wall time of the C compile (and link/load) alone.
    public let compileMilliseconds: Double

    let code: CompiledCode
    let run: plasticity_run_fn
    let localStep: plasticity_local_step_fn
    /// The layout the compiled code reports about itself.
    public let info: plasticity_kernel_info

    init(source: KernelSource, backend: Backend) throws {
        (code, compileMilliseconds) = try backend.compile(source.text, symbols: ["plasticity_info", "plasticity_local_step", "plasticity_run"])
        self.source = source
        self.backend = backend
        let infoFunction = unsafeBitCast(code.symbols["plasticity_info"]!, to: plasticity_info_fn.self)
        info = infoFunction()!.pointee
        run = unsafeBitCast(code.symbols["plasticity_run"]!, to: plasticity_run_fn.self)
        localStep = unsafeBitCast(code.symbols["plasticity_local_step"]!, to: plasticity_local_step_fn.self)
        try checkInfo()
    }

    /// The compiled code must agree with the layout Swift allocates for.
    private func checkInfo() throws {
        let problems = layoutMismatches(info, layout)
        if !problems.isEmpty {
            throw KernelCompileError(backend: backend, message: "kernel info disagrees with the plan: " + problems.joined(separator: ", "),
                                     source: source.text)
        }
    }

    /// Components of ε of projection p as the compiled kernel reports them, and how many of them
    /// are shared presynaptic traces.
    public func reportedTraceComponents(projection p: Int) -> (components: Int, shared: Int) {
        let m = withUnsafeBytes(of: info.trace_components) { $0.bindMemory(to: Int32.self)[p] }
        let s = withUnsafeBytes(of: info.trace_shared) { $0.bindMemory(to: Int32.self)[p] }
        return (Int(m), Int(s))
    }
}

extension Kernel {
    /// Compiles the C of already-lowered stages.
    public convenience init(stages: CompilerStages, backend: Backend = .tinyCC) throws {
        try self.init(source: stages.source, backend: backend)
    }
}

/// Differences between what compiled code reports and the layout Swift allocates for.
func layoutMismatches(_ info: plasticity_kernel_info, _ layout: KernelLayout) -> [String] {
    var problems: [String] = []
    func expect(_ name: String, _ a: Int, _ b: Int32) { if a != Int(b) { problems.append("\(name): \(a) vs \(b)") } }
    expect("abi_version", Int(PLASTICITY_ABI_VERSION), info.abi_version)
    expect("state_count", layout.stateCount, info.state_count)
    expect("channel_count", layout.channelCount, info.channel_count)
    expect("learnable_count", layout.learnableCount, info.learnable_count)
    expect("projection_count", layout.projections.count, info.projection_count)
    expect("param_trace_components", layout.parameterTraceComponents, info.param_trace_components)
    withUnsafeBytes(of: info.trace_components) { raw in
        let m = raw.bindMemory(to: Int32.self)
        for (p, projection) in layout.projections.enumerated() { expect("trace_components[\(p)]", projection.components.count, m[p]) }
    }
    withUnsafeBytes(of: info.trace_shared) { raw in
        let f = raw.bindMemory(to: Int32.self)
        for (p, projection) in layout.projections.enumerated() { expect("trace_shared[\(p)]", projection.sharedCount, f[p]) }
    }
    return problems
}
