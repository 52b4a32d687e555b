import Testing
@testable import Plasticity
import PlasticityTestSupport

/// The layer step computes the neuron body as row primitives (`CBodyEmitter`); the local step keeps
/// the scalar body. Both apply the same operations in the same order, so on the same currents the
/// rows must give bit-identical states, ψ and outputs, step after step (tolerance: 0 ulp), to the
/// scalar body as TinyCC compiles it — TinyCC transforms no float expression. Checked on every
/// built-in model and `allOps` with both reset-gradient modes, and on 40 random models (every DSL
/// operation, five surrogates, value outputs), with the rows compiled by TinyCC (and by cc for 10).
/// (`cc -O3`'s own scalar body differs from TinyCC's by an ulp on 6 of these 40 random models; its
/// rows do not.)
@Suite struct RowBodyTests {
    @Test(arguments: ModelCase.allResetVariants)
    func rowBodyEqualsScalarBody(_ modelCase: ModelCase, _ resetGradient: ResetGradient) throws {
        for backend in [Backend.tinyCC, .systemCC] {
            let mismatches = try Self.compare(modelCase, resetGradient: resetGradient, backend: backend)
            #expect(mismatches.isEmpty, "\(modelCase.name) \(backend): \(mismatches.prefix(2).joined(separator: "; "))")
        }
    }

    /// A state whose new value is its previous one: the fused body (cc) must still store its row,
    /// which the interleaved state store reads.
    @Test func rowBodyKeepsAnUnchangedState() throws {
        let model = NeuronModel("Held") {
            Parameter("alpha", 0.9)
            Input("I")
            State("v")
            State("c", initial: 0.5)
            Update("v") { $0.alpha * $0.v + $0.I * $0.c }
            Update("c") { $0.c }
            Spike(surrogate: .piecewiseLinear(scale: 0.3)) { $0.v - 1 }
        }
        let modelCase = ModelCase(name: "held", stateRanges: [-1...2, 0.2...1], inputRange: -1...1.5, weightRange: 0...0.9,
                                  inputRate: 0.2, custom: model)
        for backend in [Backend.tinyCC, .systemCC] {
            let mismatches = try Self.compare(modelCase, resetGradient: model.resetGradient, backend: backend)
            #expect(mismatches.isEmpty, "\(backend): \(mismatches.prefix(2).joined(separator: "; "))")
        }
    }

    @Test func rowBodyEqualsScalarBodyOnRandomModels() throws {
        var generator = RandomModelGenerator(seed: 2027)
        for i in 0..<fuzzModelCount(standard: 40) {
            let modelCase = generator.validCase(name: "rows_\(i)")
            // cc compiles take a second each: the first 10 models through both backends
            for backend in i < 10 ? [Backend.tinyCC, .systemCC] : [.tinyCC] {
                let mismatches = try Self.compare(modelCase, resetGradient: modelCase.model.resetGradient, backend: backend)
                #expect(mismatches.isEmpty, "\(modelCase.name) \(backend): \(mismatches.prefix(2).joined(separator: "; "))")
            }
        }
    }

    /// Runs one simulation by `run` (row body, `backend`) and a twin by `localStep` (scalar body,
    /// TinyCC) on the same currents: one input per neuron with weight w_j, so the run's current is 0 + w_j·x exactly.
    static func compare(_ modelCase: ModelCase, resetGradient: ResetGradient, backend: Backend,
                        steps: Int = 30, batch: Int = 2, neurons: Int = 7) throws -> [String] {
        var model = modelCase.longRunModel
        model.resetGradient = resetGradient
        let kernel = try compile(LayerSpec(model: model), backend: backend)
        let scalarKernel = try compile(LayerSpec(model: model), backend: .tinyCC)
        let checked = kernel.model
        var rng = SplitMix64(seed: 11)
        func uniform(_ range: ClosedRange<Double>) -> Double {
            range.lowerBound + (range.upperBound - range.lowerBound) * Double(rng.next() >> 11) / Double(1 << 53)
        }
        var parameterValues: [String: [Float]] = [:]
        for l in checked.learnables {
            let range = modelCase.parameterRanges[l.name] ?? (l.initial * 0.9)...(l.initial * 1.1)
            parameterValues[l.name] = (0..<neurons).map { _ in Float(uniform(range)) }
        }
        let rows = try LayerSimulation(kernel: kernel, batch: batch, inputs: 1, neurons: neurons, parameterValues: parameterValues)
        let scalar = try LayerSimulation(kernel: scalarKernel, batch: batch, inputs: 1, neurons: neurons, parameterValues: parameterValues)
        let weights = (0..<neurons).map { _ in Float(uniform(modelCase.weightRange)) }
        rows.weights[0].array = weights
        let channels = checked.inputs.count
        var mismatches: [String] = []
        for t in 0..<steps {
            let x = (0..<batch).map { _ in uniform(0...1) < max(modelCase.inputRate, 0.3) ? Float(1) : 0 }
            rows.run(input: x, steps: 1)
            var currents = [Float](repeating: 0, count: batch * neurons * max(channels, 1))
            for b in 0..<batch { for j in 0..<neurons where x[b] != 0 { currents[(b * neurons + j) * channels] = weights[j] } }
            _ = scalar.localStep(currents: channels == 0 ? [] : currents)
            for (name, a, s) in [("state", rows.state, scalar.state), ("psi", rows.psi, scalar.psi), ("output", rows.spike, scalar.spike)] {
                for i in 0..<a.count where a[i].bitPattern != s[i].bitPattern && !(a[i].isNaN && s[i].isNaN) {
                    mismatches.append("step \(t) \(name)[\(i)]: rows \(a[i]), scalar \(s[i])")
                }
            }
        }
        return mismatches
    }
}
