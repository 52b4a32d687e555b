// A neuron model the library does not ship, from Swift to a trained network: a resonate-and-fire
// neuron (Izhikevich 2001), a damped oscillator (x, y) that spikes when y crosses a threshold,
// with a learnable per-neuron damping. The model is written to a file (the `plasticity-model`
// format, docs/model-format.md), read back, and trained with e-prop on the spoken digits through
// the same experiment loop as `plasticity train`.
//
//     swift run -c release CustomNeuron [epochs] [samples per file]      (default: 8 epochs, 1200 samples)
import Foundation
import Plasticity
import PlasticityData

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

let arguments = CommandLine.arguments.dropFirst().compactMap { Int($0) }
let epochs = arguments.first ?? 8, samples = arguments.dropFirst().first ?? 1200
do {
    // 1. The compiler's stages, as for a built-in model.
    let stages = try lower(LayerSpec(model: resonator, recurrent: true))
    print(stages.plan.description.split(separator: "\n").prefix(12).joined(separator: "\n"))

    // 2. The model as a file: what `plasticity train --set network.model=…` reads.
    let output = URL(fileURLWithPath: "out/custom-neuron")
    try FileManager.default.createDirectory(at: output, withIntermediateDirectories: true)
    let file = output.appendingPathComponent("resonator.json")
    try WriteContract.write(resonator.fileData(), to: file)   // replaces only a file plasticity wrote
    print("wrote \(file.path); plasticity compile --model-file \(file.path) --emit c prints its kernel")

    // 3. Trained on the spoken digits (built with espeak-ng on first use, then cached): the model
    //    read back from its file, so the run's config and checkpoints embed it.
    var config = try TrainConfig().setting("network.model=\(file.path)")
    config.training.epochs = epochs
    config.data.limit = samples
    let experiment = try SpeechExperiment(config: config, output: output.appendingPathComponent("run")) { done, total in
        if done == total { print("built the spoken-digit set (\(total) utterances)") }
    }
    print("training \(experiment.spec.hidden[0].neurons) \(experiment.spec.hidden[0].model.name) neurons with e-prop on " +
          "\(experiment.train.samples.count) utterances, \(epochs) epochs")
    try experiment.run(resume: false) { progress in
        if progress.batch == progress.batches {
            print(String(format: "epoch %d: train loss %.3f", progress.epoch, progress.loss))
        }
    }
    let result = try experiment.evaluate(experiment.test)
    let damping = experiment.simulation.layers[0].parameters.array
    print(String(format: "test accuracy %.3f on %d utterances (chance 0.05); learned damping %.4f to %.4f (initial -0.05)", result.accuracy,
                 experiment.test.samples.count, damping.min() ?? 0, damping.max() ?? 0))
} catch {
    print("error: \(error)")
    exit(1)
}
