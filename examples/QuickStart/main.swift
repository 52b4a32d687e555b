// The README's example, compiled as part of the package so it cannot drift.
import Plasticity

let lif = NeuronModel("LIF") {                        // reset gradient stopped by default
    Parameter("alpha", 0.95)
    Parameter("threshold", 1.0)
    Input("I")
    State("v", initial: 0)
    Reset("v", subtract: { $0.threshold })           // ĥ = v − z^{t−1}·threshold
    Update("v") { $0.alpha * $0.v + $0.I }           // v^t = α ĥ + I^t
    Spike(surrogate: .fastSigmoid(scale: 10)) { ($0.v - $0.threshold) / $0.threshold }
}
let kernel = try compile(LayerSpec(model: lif, recurrent: true))      // TinyCC, ~1 ms
let layer = try LayerSimulation(kernel: kernel, batch: 4, inputs: 100, neurons: 64)
layer.kappa = 0.95                                                     // readout leak for ē
var rng = SplitMix64(seed: 1)
layer.weights[0].array = (0..<64 * 100).map { _ in Float.random(in: -0.1...0.12, using: &rng) }
layer.weights[1].array = (0..<64 * 64).map { _ in Float.random(in: -0.1...0.1, using: &rng) }
let inputSpikes = (0..<1000 * 4 * 100).map { _ in Float.random(in: 0..<1, using: &rng) < 0.05 ? Float(1) : 0 }
let (spikes, _) = layer.run(input: inputSpikes, steps: 1000)           // [T][batch][inputs]
let ebar = layer.eligibilityTraces[0].array                            // ē_ji, [batch][64][100]
print("\(Int(spikes.reduce(0, +))) spikes; ē has \(ebar.count) entries, max \(ebar.max()!)")
