import Foundation
import Testing
import Plasticity
import PlasticityTestSupport

/// Differential fuzzing of the compiler from a fixed seed (`plasticity fuzz` runs the long
/// version). Valid random models: TinyCC kernels against the Float interpreter (values, 1e-6)
/// and float64 dual numbers (local Jacobians and 20-step eligibility traces, 1e-3 — see
/// `DifferentialFuzzer.derivativeTolerance`). Invalid ones: a `ModelError` on the defect's line.
@Suite struct FuzzTests {
    /// From this seed the fuzzer once found 5 of 200 models failing: learnable-parameter traces
    /// off by 3–14 % (the first step differentiated through the initial spike z^{-1}, a
    /// constant) and tanh′ = 1 − tanh² cancelling in float32; both are fixed and kept as shrunk
    /// cases in `FuzzRegressionTests`. Two models diverge (a reset that grows its own state):
    /// their traces cannot be compared and are counted apart, bounded here so that the skip
    /// cannot grow unnoticed.
    @Test func randomValidModelsMatchTheOracles() {
        checkRandomModels(seed: 2026, standard: 200, extendedOperations: false, divergedAtMost: 4)
    }

    /// The same checks with sin, cos, abs, sqrt, ==, != and and/or among the operations, and the
    /// infix text form in the file round trip.
    @Test func randomModelsWithEveryOperationMatchTheOracles() {
        checkRandomModels(seed: 2027, standard: 100, extendedOperations: true, divergedAtMost: 2)
    }

    func checkRandomModels(seed: UInt64, standard: Int, extendedOperations: Bool, divergedAtMost diverged: Int) {
        var fuzzer = DifferentialFuzzer(seed: seed)
        fuzzer.backends = [.tinyCC]
        fuzzer.steps = 20
        fuzzer.extendedOperations = extendedOperations
        let models = fuzzModelCount(standard: standard)
        let report = fuzzer.run(validModels: models, invalidModels: 0)
        #expect(report.modelsTried == models)
        #expect(report.compileFailures == 0, "\(report)")
        #expect(report.mismatches == 0, "\(report)")
        #expect(report.diverged <= diverged, "\(report)")
    }

    /// Models checked on 4 threads (concurrent TinyCC compiles and kernel runs) give the same
    /// report as on one; under `--sanitize=thread` this is the multi-threaded path TSan sees.
    @Test func parallelFuzzingGivesTheSameReport() {
        var fuzzer = DifferentialFuzzer(seed: 77)
        fuzzer.backends = [.tinyCC]
        fuzzer.steps = 10
        let serial = fuzzer.run(validModels: 24, invalidModels: 0)
        fuzzer.jobs = 4
        let parallel = fuzzer.run(validModels: 24, invalidModels: 0)
        #expect(parallel.modelsTried == 24)
        #expect(serial.mismatches == parallel.mismatches)
        #expect(serial.diverged == parallel.diverged)
        #expect(serial.compileFailures == parallel.compileFailures)
        #expect(serial.failures.map(\.name) == parallel.failures.map(\.name))
    }

    @Test func randomInvalidModelsAreRejectedOnTheirLine() {
        let report = DifferentialFuzzer(seed: 2027).run(validModels: 0, invalidModels: 300)
        #expect(report.invalidRejectedCleanly == 300, "\(report)")
    }

    /// The shrinker reduces a failing model to the part that fails: here "fails" means "reads
    /// input I0 inside a tanh", which any model with that subterm does.
    @Test func shrinkerKeepsOnlyTheFailingPart() {
        var generator = RandomModelGenerator(seed: 5)
        var modelCase = generator.validCase(name: "shrink")
        var model = modelCase.model
        for (i, d) in model.declarations.enumerated() {
            if case .update("s0", let e, let at) = d { model.declarations[i] = .update(state: "s0", e + tanh(.symbol("I0")), at: at) }
        }
        modelCase.custom = model
        func readsTanhOfInput(_ e: Expr) -> Bool {
            switch e {
            case .unary(.tanh, .symbol("I0")): return true
            case .constant, .symbol: return false
            case .unary(_, let x): return readsTanhOfInput(x)
            case .binary(_, let a, let b): return readsTanhOfInput(a) || readsTanhOfInput(b)
            case .select(_, let a, let b): return readsTanhOfInput(a) || readsTanhOfInput(b)
            }
        }
        let shrunk = DifferentialFuzzer.shrink(modelCase, budget: 100_000) { c in
            c.model.declarations.contains { if case .update(_, let e, _) = $0 { return readsTanhOfInput(e) }; return false }
        }
        let before = model.swiftSource.count, after = shrunk.model.swiftSource.count
        #expect(after < before)
        #expect(shrunk.model.swiftSource.contains("tanh($0[\"I0\"])"))
        // Every update other than the failing term is reduced to a constant or a bare operand.
        #expect(shrunk.model.declarations.allSatisfy { if case .define = $0 { return false }; return true })
    }
}
