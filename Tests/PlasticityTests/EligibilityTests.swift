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
        let (T, B, nIn, n) = (Self.steps, Self.batch, Self.inputs, Self.neurons)
        var model = modelCase.longRunModel
        model.resetGradient = resetGradient
        let kernel = try compile(LayerSpec(model: model))
        let checked = kernel.model, oracle = ReferenceInterpreter(checked)
        let k = checked.states.count, P = checked.learnables.count
        // The projection feeds the first channel; any other channel gets no current.
        let otherChannels = [Dual](repeating: Dual(constant: 0), count: checked.inputs.count - 1)
        var rng = SplitMix64(seed: 7)
        var parameterValues: [String: [Float]] = [:]
        for l in checked.learnables {
            let range = modelCase.parameterRanges[l.name] ?? (l.initial * 0.9)...(l.initial * 1.1)
            parameterValues[l.name] = (0..<n).map { _ in Float(Double.random(in: range, using: &rng)) }
        }
        let sim = try LayerSimulation(kernel: kernel, batch: B, inputs: nIn, neurons: n, parameterValues: parameterValues)
        sim.kappa = Float(Self.kappa)
        let weights = (0..<n * nIn).map { _ in Float(Double.random(in: modelCase.weightRange, using: &rng)) }
        sim.weights[0].array = weights
        let input = (0..<T * B * nIn).map { _ in Double.random(in: 0..<1, using: &rng) < modelCase.inputRate ? Float(1) : 0 }
        let recorded = sim.run(input: input, steps: T, recordStates: true)

        // Oracle: per neuron, duals with tangents w.r.t. (W_j0 … W_j,nIn−1, θ_j).
        let layout = kernel.layout.projections[0], m = layout.components.count
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
                    for d in 0..<(nIn + P) { ebar[d] = Self.kappa * ebar[d] + z[d] }
                    // The free-running float64 forward pass must spike exactly when the kernel does.
                    let freeNext = oracle.step(previous: free, previousSpike: freeSpike, inputs: [current.value] + otherChannels.map(\.value), learnables: thetaValues)
                    free = freeNext.states; freeSpike = freeNext.output
                    if checked.isSpiking {
                        if freeSpike != Double(recorded.outputs[cell]) { spikeTrainMismatches += 1 }
                        if freeSpike > 0 { spikes += 1 }
                    }
                }
                for i in 0..<nIn {
                    for (r, s) in layout.components.enumerated() {
                        epsExpected.append(h[s][i])
                        let index = layout.factorized ? (b * nIn + i) * m + r : ((b * n + j) * nIn + i) * m + r
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
            #expect(spikeRate >= 0.05, "\(name): neurons spiked on \(spikeRate) of steps")
            #expect(spikeTrainMismatches == 0, "\(name): \(spikeTrainMismatches) steps where the float64 oracle's spike differs")
        }
        if !layout.components.isEmpty {
            let e = worstMismatch(epsActual, epsExpected, rtol: 1e-4)
            #expect(e.ratio <= 1, "\(name) ε: \(e)")
        }
        let ebarError = worstMismatch(sim.eligibilityTraces[0].array.doubles, ebarExpected, rtol: 1e-4)
        #expect(ebarError.ratio <= 1, "\(name) ē: \(ebarError)")
        #expect(ebarExpected.contains { $0 != 0 }, "\(name): the oracle's traces are all zero")
        if P > 0 {
            let e = worstMismatch(sim.parameterEligibilityTrace.array.doubles, paramExpected, rtol: 1e-4)
            #expect(e.ratio <= 1, "\(name) ē_θ: \(e)")
        }
    }
}
