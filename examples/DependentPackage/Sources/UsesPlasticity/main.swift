import Plasticity

// A custom neuron, compiled and run for a few steps: the user's side of the dependency.
let model = NeuronModel("LeakyIntegrator") {
    Parameter("alpha", 0.9)
    Input("I")
    State("v", initial: 0)
    Update("v") { $0.alpha * $0.v + $0.I }
    Spike(surrogate: .fastSigmoid(scale: 10)) { $0.v - 1 }
}
let network = NetworkSpec(inputs: 3, hidden: [LayerSpec(model, neurons: 4, recurrent: true)], outputs: 2, kappa: 0.9)
let simulation = try NetworkSimulation(kernel: compile(network, backend: .tinyCC), batch: 1)
simulation.initializeWeights(seed: 1, inputGain: 2, recurrentGain: 0.5)
let steps = 20
let input = (0..<(steps * 3)).map { Float(($0 * 7) % 5 == 0 ? 1 : 0) }
let result = simulation.run(input: input, targets: [Float](repeating: 0, count: steps), steps: steps)
print("UsesPlasticity: \(steps) steps, loss \(result.loss)")
