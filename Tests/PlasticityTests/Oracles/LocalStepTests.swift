import Testing
@testable import Plasticity
import PlasticityTestSupport

/// For every built-in model and 128 random states, inputs and parameters:
/// - h^t and z^t of the kernel equal the Float reference interpreter to 1e-6 relative, norm-wise
///   per state variable (|Δh_s| ≤ 1e-6 · max over neurons |h_s|): the kernel folds constants such
///   as 1 − α in double, the interpreter in float, and cancellation magnifies that last bit;
/// - D, c, ∂h/∂θ, ψ and ∂z/∂θ equal float64 forward-mode derivatives (dual numbers) of the
///   interpreter to 1e-4 relative (entries below 1e-3 of a block's largest entry are compared at
///   that level).
@Suite struct LocalStepTests {
    @Test(arguments: ModelCase.allResetVariants)
    func kernelMatchesInterpreter(_ modelCase: ModelCase, _ resetGradient: ResetGradient) throws {
        try check(modelCase, resetGradient, backend: .tinyCC)
    }

    func check(_ modelCase: ModelCase, _ resetGradient: ResetGradient, backend: Backend) throws {
        let failures = try DifferentialCheck.localStep(modelCase, resetGradient: resetGradient, backend: backend)
        #expect(failures.isEmpty, "\(failures.joined(separator: "\n"))")
    }
}

extension ResetGradient: CustomTestStringConvertible {
    public var testDescription: String { rawValue }
}
