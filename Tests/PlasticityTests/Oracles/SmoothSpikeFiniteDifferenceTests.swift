import Foundation
import Plasticity
import PlasticityTestSupport
import Testing

/// Finite differences with smooth spikes (docs/testing.md): BPTT reads the kernel's local Jacobians, so a wrong
/// derivative would be wrong in BPTT and RTRL alike. Here every built-in and example spiking
/// model, relaxed (spike → σ(k g)), gets BPTT checked against central differences of a float64
/// forward pass of its equations (`FiniteDifferenceCheck`): every trainable tensor, relative
/// error ≤ 1e-3 of the tensor's largest entry (1e-2 for the mV-scale Izhikevich and AdEx).
@Suite struct SmoothSpikeFiniteDifferenceTests {
    static let models = ["lif", "alif", "cuba-lif", "adlif", "izhikevich", "adex", "qif.json", "resonate-and-fire.json", "theta.json",
                         "conductance-lif.json", "escape-noise-lif.json"]

    static func simulation(_ name: String, recurrent: Bool = true) throws -> (NetworkSimulation, [Float], [Float], Int) {
        let (T, B, nIn, n, nOut) = (40, 2, 6, 5, 3)
        let model = try Models.builtin(named: name) ?? NeuronModel.read(TestPaths.exampleModels.appendingPathComponent(name))
        var layer = LayerSpec(model, neurons: n, recurrent: recurrent)
        let checked = try model.checked(), channels = checked.inputs.filter { checked.noise[$0] == nil }
        if channels.count > 1 {
            layer.projections = channels.flatMap { [LayerSpec.Projection(.input, into: $0)] + (recurrent ? [.init(.recurrent, into: $0)] : []) }
        }
        let spec = NetworkSpec(inputs: nIn, hidden: [layer], outputs: nOut, kappa: 0.9)
        let spiking = try NetworkSimulation(kernel: try compile(spec), batch: B)
        // Models in mV (Izhikevich, AdEx) need input in mV to leave the saturated tail of σ(k g).
        spiking.initializeWeights(seed: 11, inputGain: ["izhikevich": 60, "adex": 400][name] ?? 2, recurrentGain: 1)
        var rng = SplitMix64(seed: 12)
        let input = (0..<T * B * nIn).map { _ in Double(rng.next() >> 11) / Double(1 << 53) < 0.3 ? Float(1) : 0 }
        let targets = (0..<T * B).map { Float(($0 / 7) % nOut) }
        return (try FiniteDifferenceCheck.relaxed(spiking), input, targets, T)
    }

    @Test(arguments: models)
    func backpropagationMatchesFiniteDifferences(_ name: String) throws {
        let (sim, input, targets, T) = try Self.simulation(name)
        let results = try FiniteDifferenceCheck.compare(sim, input: input, targets: targets, steps: T)
        let tolerance = ["izhikevich", "adex"].contains(name) ? FiniteDifferenceCheck.stiffTolerance : FiniteDifferenceCheck.tolerance
        #expect(results.count >= 3)
        for r in results {
            #expect(r.maxRelativeError <= tolerance, "\(name) \(r.tensor): \(r.maxRelativeError) \(r.entries.prefix(2))")
            #expect(r.entries.contains { $0.backpropagation != 0 }, "\(name) \(r.tensor): every compared entry is 0")
        }
    }

    /// The check can fail: differences of a network whose relaxed model differs from the one BPTT
    /// differentiates (a threshold 10 % higher) disagree by more than 10× the tolerance.
    @Test func aDifferentModelIsCaught() throws {
        let (sim, input, targets, T) = try Self.simulation("lif", recurrent: false)
        var spec = sim.network
        spec.hidden[0] = LayerSpec(try Models.lif(threshold: 1.1).checked().relaxed(sharpness: FiniteDifferenceCheck.sharpness),
                                   neurons: sim.layers[0].neurons)
        let other = try NetworkSimulation(kernel: try compile(spec), batch: sim.batch)
        for (mine, theirs) in zip(other.trainableTensors, sim.trainableTensors) { mine.value.array = theirs.value.array }
        let right = try FiniteDifferenceCheck.compare(sim, input: input, targets: targets, steps: T)
        let wrong = try FiniteDifferenceCheck.compare(sim, input: input, targets: targets, steps: T, finiteDifferencesOf: other)
        #expect(right.allSatisfy { $0.maxRelativeError <= FiniteDifferenceCheck.tolerance })
        #expect(wrong.contains { $0.maxRelativeError > 10 * FiniteDifferenceCheck.tolerance }, "\(wrong.map(\.maxRelativeError))")
    }
}
