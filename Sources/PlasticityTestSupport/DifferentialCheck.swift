import Foundation
import Plasticity

/// Differential checks of a compiled kernel against the oracles: the Float reference
/// interpreter for values and float64 dual numbers (forward mode) for derivatives. They return
/// the mismatches found as messages (empty: the kernel agrees), so that tests assert on them and
/// the fuzzer can count and shrink failures.
public enum DifferentialCheck {
    /// The float64 oracle's trajectory left the range where a float32 kernel can be compared
    /// with it (a state or a derivative beyond `DifferentialCheck.divergenceBound`, or not
    /// finite): the model diverges, e.g. a reset that grows the state it resets. Not a kernel
    /// defect; the fuzzer counts such models apart.
    public struct Diverged: Error, CustomStringConvertible {
        public var model: String, step: Int, what: String
        public var description: String { "\(model): the float64 oracle diverged at step \(step) (\(what))" }
    }

    /// |x| beyond which float32 products of states and derivatives may overflow.
    public static let divergenceBound = 1e18

    /// One local step on `neurons` random states, inputs and parameters drawn from the case's ranges:
    /// - h^t and z^t equal the Float interpreter to 1e-6 relative, norm-wise per state variable
    ///   (the kernel folds constants such as 1 − α in double, the interpreter in float);
    /// - D, c, ∂h/∂θ, ψ and ∂z/∂θ equal float64 dual numbers to `derivativeTolerance` relative
    ///   (entries below 1e-3 of a block's largest are compared at that level).
    /// - Parameter requireBothSides: also fail when the sample does not put spiking neurons on
    ///   both sides of the threshold (a sample that cannot exercise the spike path).
    public static func localStep(_ modelCase: ModelCase, resetGradient: ResetGradient, backend: Backend = .tinyCC,
                                 neurons: Int = 128, seed: UInt64 = 42, derivativeTolerance: Double = 1e-4,
                                 requireBothSides: Bool = true) throws -> [String] {
        var failures: [String] = []
        var model = modelCase.model
        model.resetGradient = resetGradient
        let kernel = try compile(LayerSpec(model: model), backend: backend)
        let checked = kernel.model
        let oracle = ReferenceInterpreter(checked)
        let k = checked.states.count, C = checked.inputs.count, P = checked.learnables.count
        var rng = SplitMix64(seed: seed)
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
        sim.spikeIsInitial = false   // the spikes above stand for a previous step's output
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
            if !(stateError.ratio <= 1) { failures.append("\(name) h^t[\(s)]: \(stateError)") }
        }
        let outputError = worstMismatch(sim.spike.array.doubles, floatOutputs, rtol: 1e-6, floor: 1)   // norm-wise, like the states
        if !(outputError.ratio <= 1) { failures.append("\(name) output: \(outputError)") }
        for (label, actual, expected) in [("D", jac.state, D), ("c", jac.input, c), ("dh/dθ", jac.parameter, dTheta),
                                          ("ψ", jac.outputGradient, psi), ("dz/dθ", jac.outputParameter, zTheta)] where !expected.isEmpty {
            let e = worstMismatch(actual.doubles, expected, rtol: derivativeTolerance)
            if !(e.ratio <= 1) { failures.append("\(name) \(label): \(e)") }
        }
        // The sample must exercise both sides of the spike for spiking models.
        if requireBothSides, checked.isSpiking {
            let fired = previousSpikes.filter { $0.value > 0 }.count
            if !(fired > 0 && fired < neurons) { failures.append("\(name): \(fired) of \(neurons) random states spiked") }
        }
        return failures
    }

    /// A feed-forward layer over `steps` steps on Bernoulli input spikes:
    /// - forward: a free-running float64 interpreter produces exactly the kernel's spike train;
    /// - traces: ε_ji = ∂h_j/∂W_ji, ē_ji = Σ_t κ^{T−t} ∂z_j^t/∂W_ji and the parameter traces equal
    ///   float64 forward-mode derivatives (exact for a feed-forward layer) to `derivativeTolerance`
    ///   relative. Tangents follow the kernel's own float32 trajectory: forward float32 error is
    ///   amplified by the dynamics (Izhikevich's upswing by up to ~5 per step), which would
    ///   measure conditioning, not traces.
    public static func eligibility(_ modelCase: ModelCase, resetGradient: ResetGradient, backend: Backend = .tinyCC,
                                   steps: Int = 200, batch: Int = 2, inputs: Int = 8, neurons: Int = 6, kappa: Double = 0.9,
                                   seed: UInt64 = 7, derivativeTolerance: Double = 1e-4, minimumSpikeRate: Double = 0.05,
                                   requireNonzeroTraces: Bool = true) throws -> [String] {
        var failures: [String] = []
        let (T, B, nIn, n) = (steps, batch, inputs, neurons)
        var model = modelCase.longRunModel
        model.resetGradient = resetGradient
        let kernel = try compile(LayerSpec(model: model), backend: backend)
        let checked = kernel.model, oracle = ReferenceInterpreter(checked)
        let k = checked.states.count, P = checked.learnables.count
        // The projection feeds the first channel; any other channel gets no current.
        let otherChannels = [Dual](repeating: Dual(constant: 0), count: checked.inputs.count - 1)
        var rng = SplitMix64(seed: seed)
        var parameterValues: [String: [Float]] = [:]
        for l in checked.learnables {
            let range = modelCase.parameterRanges[l.name] ?? (l.initial * 0.9)...(l.initial * 1.1)
            parameterValues[l.name] = (0..<n).map { _ in Float(Double.random(in: range, using: &rng)) }
        }
        let sim = try LayerSimulation(kernel: kernel, batch: B, inputs: nIn, neurons: n, parameterValues: parameterValues)
        sim.kappa = Float(kappa)
        let weights = (0..<n * nIn).map { _ in Float(Double.random(in: modelCase.weightRange, using: &rng)) }
        sim.weights[0].array = weights
        let input = (0..<T * B * nIn).map { _ in Double.random(in: 0..<1, using: &rng) < modelCase.inputRate ? Float(1) : 0 }
        let recorded = sim.run(input: input, steps: T, recordStates: true)

        // Oracle: per neuron, duals with tangents w.r.t. (W_j0 … W_j,nIn−1, θ_j).
        let layout = kernel.layout.projections[0]
        var epsExpected = [Double](), epsActual = [Double]()
        var ebarExpected = [Double](), paramExpected = [Double]()
        var spikes = 0, spikeTrainMismatches = 0
        let dimension = nIn + P
        for b in 0..<B {
            for j in 0..<n {
                let theta = checked.learnables.enumerated().map { p, l in
                    Dual.variable(Double(parameterValues[l.name]![j]), index: nIn + p, dimension: dimension)
                }
                var h = checked.states.map { Dual(constant: $0.initial) }
                var z = Dual(constant: 0)
                var free = checked.states.map { Double($0.initial) }, freeSpike = 0.0
                var ebar = [Double](repeating: 0, count: nIn + P)
                let thetaValues = theta.map { Double(constant: $0.value) }
                for t in 0..<T {
                    let x = (0..<nIn).map { Double(input[(t * B + b) * nIn + $0]) }
                    var current = Dual(constant: 0)
                    for i in 0..<nIn {
                        // I_j = Σ_i W_ji x_i; ∂I_j/∂W_ji = x_i.
                        current = current + Dual(Double(weights[j * nIn + i]) * x[i], tangent: (0..<dimension).map { $0 == i ? x[i] : 0 })
                    }
                    let next = oracle.step(previous: h, previousSpike: z, inputs: [current] + otherChannels, learnables: theta)
                    let cell = (t * B + b) * n + j
                    // Tangents from float64; values from the kernel's trajectory.
                    h = next.states.enumerated().map { s, d in Dual(Double(recorded.states[cell * k + s]), tangent: d.tangent) }
                    z = oracle.output(states: h, learnables: theta)
                    for d in 0..<(nIn + P) { ebar[d] = kappa * ebar[d] + z[d] }
                    // The free-running float64 forward pass must spike exactly when the kernel does.
                    let freeNext = oracle.step(previous: free, previousSpike: freeSpike, inputs: [current.value] + otherChannels.map(\.value),
                                               learnables: thetaValues)
                    free = freeNext.states; freeSpike = freeNext.output
                    let bounded = { (x: Double) in x.isFinite && abs(x) <= divergenceBound }
                    if let s = free.indices.first(where: { !bounded(free[$0]) }) {
                        throw Diverged(model: modelCase.name, step: t, what: "state \(checked.states[s].name) = \(free[s])")
                    }
                    if let s = h.indices.first(where: { !h[$0].tangent.allSatisfy(bounded) }) {
                        throw Diverged(model: modelCase.name, step: t, what: "a derivative of state \(checked.states[s].name)")
                    }
                    if checked.isSpiking {
                        if freeSpike != Double(recorded.outputs[cell]) { spikeTrainMismatches += 1 }
                        if freeSpike > 0 { spikes += 1 }
                    }
                }
                for i in 0..<nIn {
                    for (r, s) in layout.components.enumerated() {
                        epsExpected.append(h[s][i])
                        let index = layout.eligibilityIndex(batch: B, inputs: nIn, neurons: n, b: b, j: j, i: i, component: r)
                        epsActual.append(Double(sim.eligibilityVectors[0][index]))
                    }
                    ebarExpected.append(ebar[i])
                }
                for p in 0..<P { paramExpected.append(ebar[nIn + p]) }
            }
        }
        let name = "\(modelCase.name)/\(resetGradient.rawValue)"
        let spikeRate = Double(spikes) / Double(B * n * T)
        if checked.isSpiking {
            if !(spikeRate >= minimumSpikeRate) { failures.append("\(name): neurons spiked on \(spikeRate) of steps") }
            if !(spikeTrainMismatches == 0) { failures.append("\(name): \(spikeTrainMismatches) steps where the float64 oracle's spike differs") }
        }
        if !layout.components.isEmpty {
            let e = worstMismatch(epsActual, epsExpected, rtol: derivativeTolerance)
            if !(e.ratio <= 1) { failures.append("\(name) ε: \(e)") }
        }
        let ebarError = worstMismatch(sim.eligibilityTraces[0].array.doubles, ebarExpected, rtol: derivativeTolerance)
        if !(ebarError.ratio <= 1) { failures.append("\(name) ē: \(ebarError)") }
        if requireNonzeroTraces, !(ebarExpected.contains { $0 != 0 }) { failures.append("\(name): the oracle's traces are all zero") }
        if P > 0 {
            let e = worstMismatch(sim.parameterEligibilityTrace.array.doubles, paramExpected, rtol: derivativeTolerance)
            if !(e.ratio <= 1) { failures.append("\(name) ē_θ: \(e)") }
        }
        return failures
    }
}
