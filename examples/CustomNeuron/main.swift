// A neuron model the library does not ship, defined here and compiled the same way as the
// built-ins: a resonate-and-fire neuron (Izhikevich 2001), a damped oscillator (x, y) that spikes
// when y crosses a threshold, with a learnable per-neuron damping.
import Foundation
import Plasticity

let resonator = NeuronModel("Resonator", resetGradient: .stopped) {
    Parameter("damping", -0.05, learnable: true)   // b < 0: decay per step
    Parameter("omega", 0.3)                         // rotation per step (rad)
    Parameter("threshold", 1.0)
    Input("I")
    State("x")
    State("y")
    Reset("x", to: { _ in 0 })
    Reset("y", to: { _ in 0 })
    Update("x") { $0.x + $0.damping * $0.x - $0.omega * $0.y + $0.I }
    Update("y") { $0.y + $0.omega * $0.x + $0.damping * $0.y }
    Spike(surrogate: .arctan(scale: 2)) { $0.y - $0.threshold }
}

do {
    let layer = LayerSpec(model: resonator, recurrent: true)
    let stages = try lower(layer)
    print(stages.plan.description.split(separator: "\n").prefix(16).joined(separator: "\n"))
    let kernel = try Kernel(stages: stages, backend: .tinyCC)
    print("compiled \(stages.source.text.split(separator: "\n").count) lines of C with TinyCC in " +
          "\(String(format: "%.2f", kernel.compileMilliseconds)) ms")

    let (batch, inputs, neurons, steps) = (4, 20, 32, 500)
    let sim = try LayerSimulation(kernel: kernel, batch: batch, inputs: inputs, neurons: neurons)
    sim.kappa = 0.95
    var rng = SplitMix64(seed: 11)
    for w in sim.weights { for i in 0..<w.count { w[i] = Float.random(in: -0.05...0.15, using: &rng) } }
    let input = (0..<steps * batch * inputs).map { _ in Float.random(in: 0..<1, using: &rng) < 0.05 ? Float(1) : 0 }
    let outputs = sim.run(input: input, steps: steps).outputs
    print("\(Int(outputs.reduce(0, +))) spikes from \(batch * neurons) neurons over \(steps) steps")
    for (p, projection) in kernel.layout.projections.enumerated() {
        let ebar = sim.eligibilityTraces[p].array
        print("projection \(p) (\(projection.source.rawValue)): \(projection.components.count) components per synapse, max |ē| = " +
              "\(ebar.map(abs).max() ?? 0)")
    }
    print("damping traces ē_b (first 4 neurons): \(Array(sim.parameterEligibilityTrace.array.prefix(4)))")
} catch {
    print("error: \(error)")
    exit(1)
}
