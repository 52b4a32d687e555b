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
    static let resetVariants: [(ModelCase, ResetGradient)] =
        ModelCase.all.map { ($0, .stopped) } + ModelCase.all.filter { $0.name != "readout" }.map { ($0, .differentiated) }

    @Test(arguments: resetVariants)
    func kernelMatchesInterpreter(_ modelCase: ModelCase, _ resetGradient: ResetGradient) throws {
        try check(modelCase, resetGradient, backend: .tinyCC)
    }

    func check(_ modelCase: ModelCase, _ resetGradient: ResetGradient, backend: Backend) throws {
        var model = modelCase.model
        model.resetGradient = resetGradient
        let kernel = try compile(LayerSpec(model: model), backend: backend)
        let checked = kernel.model
        let oracle = ReferenceInterpreter(checked)
        let k = checked.states.count, C = checked.inputs.count, P = checked.learnables.count
        let neurons = 128
        var rng = SplitMix64(seed: 42)
        var parameterValues: [String: [Float]] = [:]
        for l in checked.learnables {
            let range = modelCase.parameterRanges[l.name] ?? (l.initial * 0.9)...(l.initial * 1.1)
            parameterValues[l.name] = (0..<neurons).map { _ in Float(Double.random(in: range, using: &rng)) }
        }
        let sim = try LayerSimulation(kernel: kernel, batch: 1, inputs: 1, neurons: neurons, parameterValues: parameterValues)
        var previous: [[Float]] = [], currents: [Float] = []
        for _ in 0..<neurons {
            previous.append(modelCase.stateRanges.map { Float(Double.random(in: $0, using: &rng)) })
            for _ in 0..<C { currents.append(Float(Double.random(in: modelCase.inputRange, using: &rng))) }
        }
        func theta(_ j: Int) -> [Float] { checked.learnables.map { parameterValues[$0.name]![j] } }
        // z^{t-1} and ψ^{t-1} as the previous step would have left them for h^{t-1}, with
        // derivatives in the tangent space (h^{t-1}, I, θ) of the step below.
        var previousSpikes: [Dual] = []
        for j in 0..<neurons {
            let dimension = k + C + P
            let h = (0..<k).map { Dual.variable(Double(previous[j][$0]), index: $0, dimension: dimension) }
            let params = (0..<P).map { Dual.variable(Double(theta(j)[$0]), index: k + C + $0, dimension: dimension) }
            let z: Dual = oracle.output(states: h, learnables: params)
            previousSpikes.append(z)
            for s in 0..<k { sim.state[j * k + s] = previous[j][s]; sim.psi[j * k + s] = Float(z[s]) }
            sim.spike[j] = Float(z.value)
        }
        let jac = sim.localStep(currents: currents)

        var floatStates: [Double] = [], floatOutputs: [Double] = []
        var D: [Double] = [], c: [Double] = [], dTheta: [Double] = [], psi: [Double] = [], zTheta: [Double] = []
        for j in 0..<neurons {
            let cur = Array(currents[(j * C)..<(j * C + C)])
            // Float interpreter: the values.
            let f = oracle.step(previous: previous[j], previousSpike: Float(previousSpikes[j].value), inputs: cur, learnables: theta(j))
            floatStates += f.states.map(Double.init); floatOutputs.append(Double(f.output))
            // Dual interpreter: derivatives w.r.t. (h^{t-1}, I, θ).
            let n = k + C + P
            let h = (0..<k).map { Dual.variable(Double(previous[j][$0]), index: $0, dimension: n) }
            let spike = previousSpikes[j]
            let inputs = (0..<C).map { Dual.variable(Double(cur[$0]), index: k + $0, dimension: n) }
            let params = (0..<P).map { Dual.variable(Double(theta(j)[$0]), index: k + C + $0, dimension: n) }
            let d = oracle.step(previous: h, previousSpike: spike, inputs: inputs, learnables: params)
            for s in 0..<k {
                D += (0..<k).map { d.states[s][$0] }
                c += (0..<C).map { d.states[s][k + $0] }
                dTheta += (0..<P).map { d.states[s][k + C + $0] }
            }
            // ψ = ∂out/∂h^t and the direct ∂out/∂θ at the new state.
            let hNew = (0..<k).map { Dual.variable(d.states[$0].value, index: $0, dimension: k + P) }
            let thetaNew = (0..<P).map { Dual.variable(Double(theta(j)[$0]), index: k + $0, dimension: k + P) }
            let out = oracle.output(states: hNew, learnables: thetaNew)
            psi += (0..<k).map { out[$0] }
            zTheta += (0..<P).map { out[k + $0] }
        }
        let name = "\(modelCase.name)/\(resetGradient.rawValue)"
        let kernelStates = sim.state.array.doubles
        for s in 0..<k {
            let component = { (all: [Double]) in stride(from: s, to: all.count, by: k).map { all[$0] } }
            let stateError = worstMismatch(component(kernelStates), component(floatStates), rtol: 1e-6, floor: 1)
            #expect(stateError.ratio <= 1, "\(name) h^t[\(s)]: \(stateError)")
        }
        let outputError = worstMismatch(sim.spike.array.doubles, floatOutputs, rtol: 1e-6, floor: 1e-6)
        #expect(outputError.ratio <= 1, "\(name) output: \(outputError)")
        for (label, actual, expected) in [("D", jac.state, D), ("c", jac.input, c), ("dh/dθ", jac.parameter, dTheta),
                                          ("ψ", jac.outputGradient, psi), ("dz/dθ", jac.outputParameter, zTheta)] where !expected.isEmpty {
            let e = worstMismatch(actual.doubles, expected, rtol: 1e-4)
            #expect(e.ratio <= 1, "\(name) \(label): \(e)")
        }
        // The sample must exercise both sides of the spike for spiking models.
        if checked.isSpiking {
            let fired = previousSpikes.filter { $0.value > 0 }.count
            #expect(fired > 0 && fired < neurons, "\(name): \(fired) of \(neurons) random states spiked")
        }
    }
}

extension ResetGradient: CustomTestStringConvertible {
    public var testDescription: String { rawValue }
}
