import Testing
@testable import Plasticity
import PlasticityTestSupport

/// Recurrent layers and several input channels, 150 steps:
/// - forward: a free-running float64 network (all neurons coupled through the recurrent weights)
///   produces exactly the kernel's spike trains;
/// - traces: for every projection, ε_ji and ē_ji equal the e-prop quantities from float64
///   forward-mode derivatives — ∂h_j/∂W_ji with the recurrent dependence cut, i.e. seeded with the
///   presynaptic value x_i (input) or z_i^{t−1} (recurrent) — to 1e-4 relative, along the kernel's
///   trajectory (as in `EligibilityTests`). For models with k ≥ 2, e = Σ_s ψ_s ε_s cancels (the
///   terms reach ~600× |ē| for ALIF here), so ē is measured against max(|ē|, Σ κ^{T−t} Σ_s |ψ_s ε_s|),
///   the scale float32 summation error follows; single-state models stay near 1e-6 of |ē|.
@Suite struct RecurrentEligibilityTests {
    static let twoChannel = NeuronModel("TwoChannel") {
        Parameter("alpha", 0.9)
        Parameter("beta_e", 0.8)
        Parameter("beta_i", 0.7)
        Parameter("threshold", 1)
        Input("exc")
        Input("inh")
        State("v")
        State("ge")
        State("gi")
        Reset("v", subtract: { $0.threshold })
        Update("ge") { $0.beta_e * $0.ge + $0.exc }
        Update("gi") { $0.beta_i * $0.gi + $0.inh }
        Update("v") { $0.alpha * $0.v + $0.ge - $0.gi }
        Spike(surrogate: .fastSigmoid(scale: 10)) { $0.v - $0.threshold }
    }

    /// A synaptic current before an adaptive membrane: syn and v form a constant block that a never
    /// feeds (two components shared as presynaptic traces), a is per synapse and reads v — the
    /// general shared-plus-per-synapse path, beside ALIF's one-plus-one primitive.
    static let currentBasedALIF = NeuronModel("CuBaALIF") {
        Parameter("alpha", 0.95)
        Parameter("alpha_syn", 0.8)
        Parameter("rho", 0.99)
        Parameter("beta", 0.3)
        Parameter("threshold", 1)
        Input("I")
        State("syn")
        State("v")
        State("a")
        Reset("v", subtract: { $0.threshold })
        Update("syn") { $0.alpha_syn * $0.syn + $0.I }
        Update("v") { $0.alpha * $0.v + 0.2 * $0.syn }
        Update("a") { $0.rho * $0.a + $0.spike }
        Spike(surrogate: .piecewiseLinear(scale: 0.3)) { $0.v - $0.threshold - $0.beta * $0.a }
    }

    @Test func recurrentCurrentBasedALIFSharesTwoComponents() throws {
        let layer = LayerSpec(model: Self.currentBasedALIF, recurrent: true)
        #expect(try compile(layer).layout.projections.map(\.sharedCount) == [2, 2])
        try check(layer, weightRanges: [0...2, -0.5...0.5])
    }

    /// ALIF whose adaptation also integrates the input current: ε_v shared, ε_a per synapse with
    /// its own input term (c_a ≠ 0), the one-plus-one primitive's path that reads x.
    @Test func recurrentALIFWithInputIntoAdaptation() throws {
        let model = NeuronModel("ALIFInputAdaptation") {
            Parameter("alpha", 0.95)
            Parameter("rho", 0.99)
            Parameter("beta", 0.2)
            Parameter("threshold", 0.6)
            Input("I")
            State("v")
            State("a")
            Reset("v", subtract: { $0.threshold })
            Update("v") { $0.alpha * $0.v + $0.I }
            Update("a") { $0.rho * $0.a + $0.spike + 0.1 * $0.I }
            Spike(surrogate: .piecewiseLinear(scale: 0.3)) { ($0.v - $0.threshold - $0.beta * $0.a) / $0.threshold }
        }
        let layer = LayerSpec(model: model, recurrent: true)
        #expect(try compile(layer).layout.projections.map(\.sharedCount) == [1, 1])
        try check(layer, weightRanges: [0...0.8, -0.3...0.3])
    }

    @Test func recurrentALIF() throws {
        try check(LayerSpec(model: Models.alif(beta: 0.2), recurrent: true), weightRanges: [0...0.8, -0.3...0.3])
    }

    @Test func recurrentLIFFactorized() throws {
        try check(LayerSpec(model: Models.lif(), recurrent: true), weightRanges: [0...0.9, -0.3...0.3])
    }

    @Test func recurrentAdLIFWithLearnableParameters() throws {
        try check(LayerSpec(model: Models.adaptiveLIF(), recurrent: true), weightRanges: [0...4, -1...1])
    }

    @Test func twoChannelsThreeProjections() throws {
        let layer = LayerSpec(model: Self.twoChannel, projections: [
            .init(.input, into: "exc"), .init(.recurrent, into: "inh"), .init(.input, into: "inh")])
        try check(layer, weightRanges: [0...0.7, 0...0.4, 0...0.2])
    }

    func check(_ layer: LayerSpec, weightRanges: [ClosedRange<Double>]) throws {
        let (T, B, nIn, n, kappa) = (150, 2, 6, 5, 0.9)
        let kernel = try compile(layer)
        let model = kernel.model, oracle = ReferenceInterpreter(model), layout = kernel.layout
        let k = model.states.count, C = model.inputs.count, P = model.learnables.count
        let projections = layout.projections
        let preCount = projections.map { $0.source == .input ? nIn : n }
        var offsets: [Int] = [], dimension = 0
        for count in preCount { offsets.append(dimension); dimension += count }
        let parameterOffset = dimension
        dimension += P

        var rng = SplitMix64(seed: 99)
        let sim = try LayerSimulation(kernel: kernel, batch: B, inputs: nIn, neurons: n)
        sim.kappa = Float(kappa)
        let weights: [[Float]] = projections.indices.map { p in
            (0..<n * preCount[p]).map { _ in Float(Double.random(in: weightRanges[p], using: &rng)) }
        }
        for p in projections.indices { sim.weights[p].array = weights[p] }
        let input = (0..<T * B * nIn).map { _ in Double.random(in: 0..<1, using: &rng) < 0.2 ? Float(1) : 0 }
        let recorded = sim.run(input: input, steps: T, recordStates: true)
        let theta = model.learnables.map { Double($0.initial) }

        // Free-running float64 network: every neuron, coupled through the recurrent weights.
        var mismatches = 0
        for b in 0..<B {
            var h = (0..<n).map { _ in model.states.map { $0.initial } }
            var z = [Double](repeating: 0, count: n)
            for t in 0..<T {
                let x = (0..<nIn).map { Double(input[(t * B + b) * nIn + $0]) }
                var next = h, nextZ = z
                for j in 0..<n {
                    var currents = [Double](repeating: 0, count: C)
                    for (p, projection) in projections.enumerated() {
                        let pre = projection.source == .input ? x : z
                        for i in 0..<preCount[p] { currents[projection.channel] += Double(weights[p][j * preCount[p] + i]) * pre[i] }
                    }
                    let step = oracle.step(previous: h[j], previousSpike: z[j], inputs: currents, learnables: theta)
                    next[j] = step.states; nextZ[j] = step.output
                    if step.output != Double(recorded.outputs[(t * B + b) * n + j]) { mismatches += 1 }
                }
                h = next; z = nextZ
            }
        }
        #expect(mismatches == 0, "\(model.name): \(mismatches) spikes differ from the float64 network")
        let rate = Double(recorded.outputs.reduce(0, +)) / Double(recorded.outputs.count)
        #expect(rate > 0.02, "\(model.name): spike rate \(rate)")

        // Traces: per neuron, duals along the kernel's trajectory, recurrent dependence cut.
        var epsExpected = [[Double]](repeating: [], count: projections.count), epsActual = epsExpected
        var ebarExpected = epsExpected, ebarMagnitude = epsExpected
        var parameterExpected: [Double] = []
        for b in 0..<B {
            for j in 0..<n {
                let thetaDual = (0..<P).map { Dual.variable(theta[$0], index: parameterOffset + $0, dimension: dimension) }
                var h = model.states.map { Dual(constant: $0.initial) }
                var z = Dual(constant: 0)
                var ebar = [Double](repeating: 0, count: dimension), magnitude = ebar
                for t in 0..<T {
                    var currents = [Dual](repeating: Dual(constant: 0), count: C)
                    for (p, projection) in projections.enumerated() {
                        for i in 0..<preCount[p] {
                            let pre = projection.source == .input ? Double(input[(t * B + b) * nIn + i])
                                : (t == 0 ? 0 : Double(recorded.outputs[((t - 1) * B + b) * n + i]))
                            var tangent = [Double](repeating: 0, count: dimension)
                            tangent[offsets[p] + i] = pre
                            currents[projection.channel] = currents[projection.channel]
                                + Dual(Double(weights[p][j * preCount[p] + i]) * pre, tangent: tangent)
                        }
                    }
                    let next = oracle.step(previous: h, previousSpike: z, inputs: currents, learnables: thetaDual)
                    let cell = (t * B + b) * n + j
                    h = next.states.enumerated().map { s, d in Dual(Double(recorded.states[cell * k + s]), tangent: d.tangent) }
                    z = oracle.output(states: h, learnables: thetaDual)
                    for d in 0..<dimension { ebar[d] = kappa * ebar[d] + z[d] }
                    // Σ_s |ψ_s ε_s|: the size of the terms e = ψ·ε adds up.
                    let probe = (0..<k).map { Dual.variable(h[$0].value, index: $0, dimension: k) }
                    let psi: Dual = oracle.output(states: probe, learnables: theta.map { Dual(constant: $0) })
                    for d in 0..<dimension { magnitude[d] = kappa * magnitude[d] + (0..<k).reduce(0) { $0 + abs(psi[$1] * h[$1][d]) } }
                }
                for (p, projection) in projections.enumerated() {
                    for i in 0..<preCount[p] {
                        for (r, s) in projection.components.enumerated() {
                            epsExpected[p].append(h[s][offsets[p] + i])
                            let index = projection.eligibilityIndex(batch: B, inputs: preCount[p], neurons: n, b: b, j: j, i: i, component: r)
                            epsActual[p].append(Double(sim.eligibilityVectors[p][index]))
                        }
                        ebarExpected[p].append(ebar[offsets[p] + i])
                        ebarMagnitude[p].append(magnitude[offsets[p] + i])
                    }
                }
                for p in 0..<P { parameterExpected.append(ebar[parameterOffset + p]) }
            }
        }
        for p in projections.indices {
            let e = worstMismatch(epsActual[p], epsExpected[p], rtol: 1e-4)
            #expect(e.ratio <= 1, "\(model.name) projection \(p) ε: \(e)")
            let bar = worstMismatch(sim.eligibilityTraces[p].array.doubles, ebarExpected[p], rtol: 1e-4, magnitudes: ebarMagnitude[p])
            #expect(bar.ratio <= 1, "\(model.name) projection \(p) ē: \(bar)")
            #expect(ebarExpected[p].contains { $0 != 0 })
        }
        if P > 0 {
            let e = worstMismatch(sim.parameterEligibilityTrace.array.doubles, parameterExpected, rtol: 1e-4)
            #expect(e.ratio <= 1, "\(model.name) ē_θ: \(e)")
        }
    }
}
