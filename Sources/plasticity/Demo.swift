import ArgumentParser
import Foundation
import Plasticity

/// The main job until the trainer lands: compile a layer with TinyCC, run it on random spikes,
/// and report spikes, trace sizes and timings.
struct Demo: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Compile a layer, run it on Bernoulli input spikes, print what happened.")
    @OptionGroup var options: ModelOptions
    @Option(parsing: .unconditional) var inputs = 100
    @Option(parsing: .unconditional) var neurons = 64
    @Option(parsing: .unconditional) var batch = 4
    @Option(parsing: .unconditional) var steps = 1000
    @Option(parsing: .unconditional, help: "Input spike probability per step.") var rate = 0.05
    @Option(help: "How the C becomes machine code.") var backend = Backend.tinyCC

    func validate() throws {
        try require("inputs", inputs, in: 1...1_000_000)
        try require("neurons", neurons, in: 1...1_000_000)
        try require("batch", batch, in: 1...65_536)
        try require("steps", steps, in: 1...10_000_000)
        try require("rate", rate, in: 0...1)
    }

    func run() throws {
        var clock = ContinuousClock.now
        let stages = try lower(options.layer())
        let lowerTime = ContinuousClock.now - clock
        let kernel = try Kernel(stages: stages, backend: backend)
        print("model \(stages.model.name): \(stages.model.states.count) state(s), plan \(stages.plan.chosen.rawValue) with " +
              "\(stages.plan.multiplies) multiplies/neuron/step")
        print("lowering \(lowerTime), C compile (\(backend.rawValue)) \(String(format: "%.2f", kernel.compileMilliseconds)) ms")
        let sim = try LayerSimulation(kernel: kernel, batch: batch, inputs: inputs, neurons: neurons)
        sim.kappa = Float(exp(-1.0 / 20))
        var rng = SplitMix64(seed: 1)
        for (p, w) in sim.weights.enumerated() {
            let fanIn = kernel.layout.projections[p].source == .input ? inputs : neurons
            let scale = Float(2.0 / Double(fanIn).squareRoot())
            for i in 0..<w.count { w[i] = Float.random(in: -0.5...1, using: &rng) * scale }
        }
        let input = (0..<steps * batch * inputs).map { _ in Double.random(in: 0..<1, using: &rng) < rate ? Float(1) : 0 }
        clock = ContinuousClock.now
        let (outputs, _) = sim.run(input: input, steps: steps)
        let runTime = ContinuousClock.now - clock
        let spikes = outputs.reduce(0, +)
        print("ran \(steps) steps x batch \(batch): \(neurons) neurons fired \(Int(spikes)) spikes " +
              "(\(String(format: "%.3f", Double(spikes) / Double(outputs.count))) per neuron-step) in \(runTime)")
        for (p, projection) in kernel.layout.projections.enumerated() {
            let e = sim.eligibilityTraces[p].array
            let norm = e.reduce(0) { $0 + Double($1 * $1) }.squareRoot()
            print("projection \(p) (\(projection.source.rawValue)): \(projection.components.count) trace " +
                  "component(s)\(projection.factorized ? ", factorized" : projection.sharedCount > 0 ? ", \(projection.sharedCount) shared" : ""), " +
                  "|ē| = \(String(format: "%.4g", norm))")
        }
    }
}
