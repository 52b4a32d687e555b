import Testing
import Foundation
@testable import Plasticity
import PlasticityData
import PlasticityTestSupport

/// Several input channels: each projection names the channel it feeds, a channel nothing feeds is
/// an error, signed projections (Dale's law) keep their sign through training, and e-prop equals
/// BPTT for the weights into every channel.
@Suite struct InputChannelTests {
    /// Excitatory input adds to v; inhibitory input (weights ≤ 0) is scaled by (1 + v/2), so the
    /// two channels enter the dynamics differently.
    static let twoChannels = NeuronModel("TwoChannelLIF") {
        Parameter("alpha", 0.9)
        Parameter("threshold", 1.0)
        Input("I_exc")
        Input("I_inh")
        State("v", initial: 0)
        Reset("v", subtract: { $0.threshold })
        Update("v") { $0.alpha * $0.v + $0.I_exc + $0.I_inh * (1 + 0.5 * $0.v) }
        Spike(surrogate: .fastSigmoid(scale: 10)) { ($0.v - $0.threshold) / $0.threshold }
    }
    static let dale: [LayerSpec.Projection] = [.init(.input, into: "I_exc", sign: .excitatory), .init(.input, into: "I_inh", sign: .inhibitory)]

    /// One layer, no recurrent weights, symmetric feedback, cross-entropy at every step (the exact
    /// setting): e-prop equals BPTT for both projections (cosine ≥ 0.99999, max error ≤ 1e-4 of the
    /// largest entry), and both carry gradient.
    @Test(arguments: [Backend.tinyCC, .systemCC])
    func everyChannelIsFedAndExact(_ backend: Backend) throws {
        let (T, B, nIn, n, nOut) = (150, 3, 12, 24, 3)
        let spec = NetworkSpec(inputs: nIn, hidden: [LayerSpec(Self.twoChannels, neurons: n, projections: Self.dale)], outputs: nOut,
                               kappa: exp(-1.0 / 20))
        let sim = try NetworkSimulation(kernel: try compile(spec, backend: backend), batch: B)
        sim.initializeWeights(seed: 3, inputGain: 3)
        var rng = SplitMix64(seed: 4)
        let input = (0..<T * B * nIn).map { _ in Double.random(in: 0..<1, using: &rng) < 0.3 ? Float(1) : 0 }
        let targets = (0..<T * B).map { Float(($0 % B) % nOut) }
        sim.resetSequence(); sim.zeroGradients()
        let result = sim.run(input: input, targets: targets, steps: T, countSpikes: true)
        #expect(result.failure == nil)
        let rate = Double(sim.layers[0].spikeCount!.array.reduce(0, +)) / Double(T * B * n)
        #expect(rate >= 0.02, "hidden neurons spiked on \(rate) of steps")
        let eprop = sim.accumulatedGradients
        let bptt = try backpropagationThroughTime(sim, input: input, targets: targets, steps: T)
        for ((id, a), (_, b)) in zip(eprop.named, bptt.named) where !b.isEmpty {
            let c = compareGradients(a, b)
            #expect(c.cosine >= 0.99999 && c.maxRelativeError <= 1e-4, "\(backend) \(id): cosine \(c.cosine), max rel \(c.maxRelativeError)")
        }
        for p in 0..<2 { #expect(eprop.weights[0][p].contains { $0 != 0 }, "projection \(p) has no gradient") }
    }

    /// The default projections feed the first channel only: a network leaving I_inh unfed is refused, naming it.
    @Test func anUnfedChannelIsAnError() throws {
        let spec = NetworkSpec(inputs: 4, hidden: [LayerSpec(Self.twoChannels, neurons: 3)], outputs: 2, kappa: 0.9)
        let error = #expect(throws: NetworkError.self) { try compile(spec) }
        #expect(error?.message.contains("'I_inh'") == true && error?.message.contains("projections") == true, "\(String(describing: error))")
    }

    /// Signed projections start with their sign and keep it after every update (wrong-signed
    /// weights are clamped to 0); the same network without signs has weights of both signs.
    @Test func signsHoldThroughTraining() throws {
        let (T, B, nIn, n) = (60, 4, 10, 16)
        func trained(_ projections: [LayerSpec.Projection]) throws -> NetworkSimulation {
            let spec = NetworkSpec(inputs: nIn, hidden: [LayerSpec(Self.twoChannels, neurons: n, recurrent: true, projections: projections)],
                                   outputs: 2, kappa: 0.9)
            let sim = try NetworkSimulation(kernel: try compile(spec), batch: B)
            sim.initializeWeights(seed: 5, inputGain: 3)
            try trainOnRandomBatches(sim, steps: T, learningRate: 0.05, seed: 6)
            return sim
        }
        let signed = try trained(Self.dale + [.init(.recurrent, into: "I_exc", sign: .excitatory)])
        #expect(signed.layers[0].weights[0].array.allSatisfy { $0 >= 0 } && signed.layers[0].weights[2].array.allSatisfy { $0 >= 0 })
        #expect(signed.layers[0].weights[1].array.allSatisfy { $0 <= 0 })
        #expect(signed.layers[0].weights[1].array.contains { $0 < 0 }, "the inhibitory projection went silent")
        let free = try trained(Self.dale.map { LayerSpec.Projection($0.source, into: $0.channel) } + [.init(.recurrent, into: "I_exc")])
        #expect(free.layers[0].weights[1].array.contains { $0 > 0 } && free.layers[0].weights[1].array.contains { $0 < 0 })
    }

    /// Projections with their channels and signs travel through a network config and the train
    /// config's shorthand (`network.projections`), and a misspelled channel names its field.
    @Test func projectionsTravelThroughConfigs() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("plasticity-channels-\(getpid())")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let modelURL = folder.appendingPathComponent("two-channels.json")
        try ModelFile(Self.twoChannels).text().write(to: modelURL, atomically: true, encoding: .utf8)
        let projections = #"[{"source": "input", "channel": "I_exc", "sign": "excitatory"}, "# +
            #"{"source": "input", "channel": "I_inh", "sign": "inhibitory"}]"#
        let config = try TrainConfig().setting("network.model=\(modelURL.path)").setting("network.recurrent=false")
            .setting("network.projections=\(projections)")
        let spec = try config.networkSpec(inputs: 8, classes: 3)
        #expect(spec.hidden[0].projections == Self.dale)
        let object = try JSONSerialization.jsonObject(with: JSONEncoder().encode(spec)) as! [String: Any]
        #expect(try ConfigFile.decode(NetworkSpec.self, from: object, file: "x").hidden[0].projections == Self.dale)
        // A projection added after the layer was read is checked by the compiler too.
        var edited = spec
        edited.hidden[0].projections.append(.init(.input, into: "I_none"))
        let unknown = #expect(throws: ModelError.self) { try lower(edited) }
        #expect(unknown?.symbol == "I_none")
        let typo = #expect(throws: FileFormatError.self) {
            try TrainConfig().setting("network.model=\(modelURL.path)")
                .setting(#"network.projections=[{"source": "input", "channel": "I_exc"}, {"source": "input", "channel": "I_in"}]"#)
                .networkSpec(inputs: 8, classes: 3)
        }
        #expect(typo?.message.contains("'I_in'") == true, "\(String(describing: typo))")
    }

    /// A model may carry its layers' default projections (its file too): a feed-forward layer
    /// takes the input ones, a recurrent layer adds a recurrent twin of each; a default into a
    /// channel the model lacks is refused by name.
    @Test func modelsCarryDefaultProjections() throws {
        var model = Self.twoChannels
        model.projections = Self.dale
        #expect(LayerSpec(model, neurons: 4).projections == Self.dale)
        #expect(LayerSpec(model, neurons: 4, recurrent: true).projections
                == Self.dale + Self.dale.map { LayerSpec.Projection(.recurrent, into: $0.channel, sign: $0.sign) })
        let back = try NeuronModel.read(ConfigFile.object(model.fileData(), file: "m.json"), file: "m.json")
        #expect(back.projections == Self.dale)
        _ = try compile(NetworkSpec(inputs: 3, hidden: [LayerSpec(back, neurons: 4, recurrent: true)], outputs: 2, kappa: 0.9))
        var wrong = model
        wrong.projections = [.init(.input, into: "I_x")]
        let error = #expect(throws: ModelError.self) { try wrong.checked() }
        #expect(error?.symbol == "I_x" && error?.message.contains("not an input channel") == true, "\(String(describing: error))")
    }
}
