import Testing
import Foundation
@testable import Plasticity
import PlasticityTestSupport

/// Over 200 steps of a feed-forward layer with spiking neurons (≥ 5% of steps):
/// - forward: a free-running float64 reference interpreter produces exactly the kernel's spike train;
/// - traces: the kernel's eligibility vectors ε_ji = ∂h_j/∂W_ji, filtered traces
///   ē_ji = Σ_t κ^{T−t} ∂z_j^t/∂W_ji and parameter traces equal float64 forward-mode derivatives
///   (dual numbers; exact for a feed-forward layer) to 1e-4 relative (entries below 1e-3 of the
///   tensor's largest compared at that level). The tangents are propagated along the kernel's own
///   float32 trajectory: forward float32 error alone is amplified by the dynamics (Izhikevich's
///   upswing multiplies it by up to ~5 per step), which would measure conditioning, not traces.
@Suite struct EligibilityTests {
    static let steps = Int(ProcessInfo.processInfo.environment["ELIG_T"] ?? "") ?? 200, batch = 2, inputs = 8, neurons = 6
    static let kappa = 0.9

    @Test(arguments: ModelCase.all)
    func tracesMatchForwardModeDerivatives(_ modelCase: ModelCase) throws {
        try check(modelCase, resetGradient: .stopped)
    }

    @Test(arguments: ModelCase.all.filter { ["lif", "alif", "izhikevich", "all-ops"].contains($0.name) })
    func tracesMatchWithDifferentiatedReset(_ modelCase: ModelCase) throws {
        try check(modelCase, resetGradient: .differentiated)
    }

    func check(_ modelCase: ModelCase, resetGradient: ResetGradient) throws {
        let failures = try DifferentialCheck.eligibility(modelCase, resetGradient: resetGradient, steps: Self.steps,
                                                         batch: Self.batch, inputs: Self.inputs, neurons: Self.neurons, kappa: Self.kappa)
        #expect(failures.isEmpty, "\(failures.joined(separator: "\n"))")
    }
}
