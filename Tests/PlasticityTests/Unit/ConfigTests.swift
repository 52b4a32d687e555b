import Foundation
import Plasticity
import PlasticityData
import Testing

/// Configs are typed: every enumerated value is parsed once (`ConfigEnum`), unknown keys are
/// rejected with their path, and every entry point reaches a `NetworkSpec` through
/// `NetworkConfig.spec(file:)`.
@Suite struct ConfigTests {
    /// Every optimizer hyperparameter reaches the optimizer from a config, through the one adapter.
    @Test func optimizerSettingsComeFromTheConfig() throws {
        var config = TrainConfig()
        for setting in ["training.optimizer=sgd", "training.momentum=0.5", "training.beta1=0.8", "training.beta2=0.99",
                        "training.weightDecay=0.01", "training.warmupSteps=7", "training.clipNorm=0", "training.learningRate=0.1"] {
            config = try config.setting(setting)
        }
        let optimizer = config.training.optimizerConfig(updates: 100)
        #expect(optimizer.kind == .sgd && optimizer.momentum == 0.5 && optimizer.beta1 == 0.8 && optimizer.beta2 == 0.99)
        #expect(optimizer.weightDecay == 0.01 && optimizer.warmupSteps == 7 && optimizer.totalSteps == 100 && optimizer.clipNorm == nil)
        #expect(optimizer.learningRate == 0.1)
        config.training.cosine = false
        #expect(config.training.optimizerConfig(updates: 100).totalSteps == nil && config.training.optimizerConfig(updates: 100).warmupSteps == 0)
    }

    func network(_ json: String) throws -> NetworkSpec {
        try ConfigFile.decode(NetworkSpec.self, from: ConfigFile.object(Data(json.utf8), file: "net.json"), file: "net.json")
    }

    @Test func unknownKeysAreRejectedWithTheirPath() throws {
        let hidden = #expect(throws: FileFormatError.self) {
            try network(#"{"inputs": 3, "outputs": 2, "kappa": 0.9, "hidden": [{"model": "lif", "neurons": 4, "recurent": true}]}"#)
        }
        #expect(hidden?.file == "net.json" && hidden?.field == "hidden[0].recurent")
        #expect(hidden?.message.contains("recurrent") == true)
        let top = #expect(throws: FileFormatError.self) {
            try network(#"{"inputs": 3, "outputs": 2, "kappa": 0.9, "los": "mse", "hidden": [{"model": "lif", "neurons": 4}]}"#)
        }
        #expect(top?.field == "los")
        let train = #expect(throws: FileFormatError.self) { try TrainConfig().setting("network.parameters=3") }
        #expect(train?.field == "network.parameters")
    }

    /// `network.delays`, `network.delayedLayers` and `network.recurrentDelays` of a train config and
    /// `delays` of a network config's projection: field by field from `--set`, onto the projections
    /// they name; each bad value named.
    @Test func delaysFromConfigs() throws {
        let config = try TrainConfig().setting("network.delays.learnable=true").setting("network.delays.maxSteps=10")
        let spec = try config.networkSpec(inputs: 8, classes: 3)
        #expect(spec.hidden[0].projections.map(\.delays) == [DelaySpec(.axonal, maxSteps: 10, learnable: true), nil])
        let layered = try config.setting("network.layers=3").setting("network.delayedLayers=between")
            .setting("network.recurrentDelays.kind=synaptic").networkSpec(inputs: 8, classes: 3)
        let upper = [DelaySpec(.axonal, maxSteps: 10, learnable: true), DelaySpec(.synaptic)]
        #expect(layered.hidden.map { $0.projections.map(\.delays) } == [[nil, DelaySpec(.synaptic)], upper, upper])
        let unknown = #expect(throws: FileFormatError.self) { try TrainConfig().setting("network.delayedLayers=some") }
        #expect(unknown?.field == "network.delayedLayers" && unknown?.message.contains("first, between or all") == true,
                "\(String(describing: unknown))")
        for field in ["maxSteps=0", "initialHigh=17", "kind=dendritic", "learningRate=-1", "maxStep=3"] {
            let error = #expect(throws: FileFormatError.self) { try TrainConfig().setting("network.delays.\(field)") }
            let name = "network.delays." + field.prefix { $0 != "=" }
            #expect(error?.field == name, "\(field): \(String(describing: error))")
        }
        let recurrent = try network(#"{"inputs": 3, "outputs": 2, "kappa": 0.9, "hidden": [{"model": "lif", "neurons": 4, "projections": "# +
                                    #"[{"source": "input", "channel": "I"}, {"source": "recurrent", "channel": "I", "# +
                                    #""delays": {"kind": "axonal"}}]}]}"#)
        #expect(recurrent.hidden[0].projections[1].delays == DelaySpec(.axonal))
        let read = try network(#"{"inputs": 3, "outputs": 2, "kappa": 0.9, "hidden": [{"model": "lif", "neurons": 4, "projections": "# +
                               #"[{"source": "input", "channel": "I", "delays": {"kind": "synaptic", "maxSteps": 5}}]}]}"#)
        #expect(read.hidden[0].projections[0].delays == DelaySpec(.synaptic, maxSteps: 5))
    }

    @Test func enumeratedValuesListTheAllowedOnes() throws {
        let error = #expect(throws: FileFormatError.self) {
            try network(#"{"inputs": 3, "outputs": 2, "kappa": 0.9, "hidden": [{"model": "lif", "neurons": 4, "feedback": "sym"}]}"#)
        }
        #expect(error?.field == "hidden[0].feedback")
        #expect(error?.message == "'sym' is not symmetric, random, targetProjection or backward")
        let backend = #expect(throws: FileFormatError.self) { try TrainConfig().setting("network.backend=gcc") }
        #expect(backend?.field == "network.backend" && backend?.message == "'gcc' is not tinyCC or systemCC")
        // Every case reads back from its own name, and aliases and other capitalizations are accepted.
        func roundTrips<E: ConfigEnum>(_: E.Type) -> Bool { E.allCases.allSatisfy { E(named: $0.rawValue) == $0 } }
        #expect(roundTrips(Backend.self) && roundTrips(BuiltinModel.self) && roundTrips(NetworkSpec.Loss.self))
        #expect(roundTrips(NetworkSpec.Feedback.self) && roundTrips(OptimizerConfig.Kind.self) && roundTrips(Surrogate.Kind.self))
        #expect(roundTrips(GradientMethod.self) && roundTrips(TrainingMethod.self) && roundTrips(ResetGradient.self))
        #expect(BuiltinModel(named: "ALIF") == .alif && BuiltinModel(named: "cubalif") == .cubaLIF && Backend(named: "cc") == .systemCC)
        #expect(Surrogate(.boxcar, scale: 0.5) == .boxcar(scale: 0.5) && Surrogate.arctan(scale: 2).kind == .arctan)
    }

    @Test func syntaxErrorsGiveLineAndColumn() throws {
        let error = #expect(throws: FileFormatError.self) { try ConfigFile.object(Data("{\"a\": 1,\n  \"b\" 2}".utf8), file: "x.json") }
        #expect(error?.message.contains("line 2") == true, "\(String(describing: error))")
    }

    /// The speech config's network is the built-in model with the constants at the bin width, the
    /// same model the DSL call with those values gives (equal C follows from an equal model).
    @Test func trainConfigReachesTheSameModelAsTheDSL() throws {
        var config = TrainConfig()
        config.data.binning.binMs = 4
        let spec = try config.networkSpec(inputs: 64, classes: 20)
        let n = config.network
        let expected = Models.alif(alpha: exp(-4 / n.membraneMs), rho: exp(-4 / n.adaptationMs), beta: n.adaptationStep, threshold: n.threshold)
        #expect(spec.hidden[0].neuronModel == expected)
        #expect(spec.kappa == exp(-4 / n.readoutMs) && spec.loss == .crossEntropySummed && spec.hidden[0].recurrent)
        config.network.model = .builtin(.lif)
        config.network.parameters = ["alpha": 0.5]
        let lif = try config.networkSpec(inputs: 64, classes: 20).hidden[0].neuronModel
        #expect(lif == Models.lif(alpha: 0.5, threshold: n.threshold))
    }

    @Test func parametersAreCheckedByName() throws {
        let json = #"{"inputs": 3, "outputs": 2, "kappa": 0.9, "hidden": [{"model": "adlif", "neurons": 4, "parameters": {"alhpa": 0.9}}]}"#
        let unknown = #expect(throws: FileFormatError.self) { try network(json) }
        #expect(unknown?.field == "hidden[0].parameters.alhpa" && unknown?.message.contains("alpha, beta, a, b, threshold") == true)
        let negative = #expect(throws: FileFormatError.self) {
            try network(#"{"inputs": 3, "outputs": 2, "kappa": 0.9, "hidden": [{"model": "lif", "neurons": 4, "membraneMs": -5}]}"#)
        }
        #expect(negative?.field == "hidden[0].membraneMs")
        let adlif = try network(#"{"inputs": 3, "outputs": 2, "kappa": 0.9, "hidden": [{"model": "adlif", "neurons": 4, "adaptationMs": 50}]}"#)
            .hidden[0].neuronModel
        #expect(adlif == Models.adaptiveLIF(beta: exp(-1.0 / 50)))
    }

    /// A config written out reads back equal (the CLI's `--print-config` and checkpoints rely on it).
    @Test func configsRoundTrip() throws {
        let config = try NetworkSpec(inputs: 5, hidden: [LayerSpec(model: .builtin(.alif), neurons: 7, recurrent: true, feedback: .random,
                                                                   constants: .init(threshold: 0.7), parameters: ["rho": 0.99])],
                                     outputs: 3, kappa: 0.9, loss: .meanSquaredError, stepMs: 2,
                                     rateRegularization: .init(target: 0.01, strength: 3)).validated()
        let object = try JSONSerialization.jsonObject(with: JSONEncoder().encode(config)) as! [String: Any]
        let reread = try ConfigFile.decode(NetworkSpec.self, from: object, file: "x")
        #expect(reread == config && reread.hidden[0].constants == config.hidden[0].constants && reread.hidden[0].model == .builtin(.alif))
        // A network built in Swift travels as its model inline, with the same projections.
        let swift = NetworkSpec(inputs: 4, hidden: [LayerSpec(Models.currentBasedLIF(), neurons: 3, recurrent: true)], outputs: 2, kappa: 0.8)
        let swiftObject = try JSONSerialization.jsonObject(with: JSONEncoder().encode(swift)) as! [String: Any]
        #expect(try ConfigFile.decode(NetworkSpec.self, from: swiftObject, file: "x") == swift)
        var train = TrainConfig()
        train.network.model = .builtin(.cubaLIF)
        train.training.optimizer = .sgd
        #expect(try TrainConfig().merging(JSONSerialization.jsonObject(with: Data(train.json.utf8)) as! [String: Any], file: "x") == train)
    }

    /// Tensor names are spelled by `TensorID` alone: each id's name reads back as that id, and
    /// other spellings are no tensor.
    @Test func tensorNamesReadBackAsTheirIds() {
        let ids: [TensorID] = [.weights(layer: 0, projection: 0), .weights(layer: 3, projection: 12), .parameters(layer: 2), .readoutWeights,
                               .readoutBias]
        #expect(ids.map(\.name) == ["layer0.w0", "layer3.w12", "layer2.params", "readout.w", "readout.b"])
        #expect(ids.allSatisfy { TensorID(name: $0.name) == $0 })
        for name in ["layer01.w0", "layer-1.w0", "layer0.w", "layer0.params2", "readout.x", "layer0", "layerx.w0", ""] {
            #expect(TensorID(name: name) == nil, "\(name)")
        }
    }
}
