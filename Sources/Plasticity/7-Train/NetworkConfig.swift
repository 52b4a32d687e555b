import Foundation

/// A network as data: the JSON of `plasticity gradcheck --config` and `compile --config`, and the
/// one description every other entry point (`plasticity train`, `plasticity task`) builds before
/// it becomes a `NetworkSpec` through `spec(file:)`, the only way from a config to a network.
///
///     {"inputs": 100, "outputs": 10, "kappa": 0.95, "loss": "crossEntropy",
///      "hidden": [{"model": "lif", "neurons": 256, "recurrent": true, "feedback": "symmetric",
///                  "membraneMs": 20, "parameters": {"threshold": 0.8}}]}
///
/// `model` is a built-in name, a model file's path or a model inline (`ModelChoice`). Unknown
/// keys are errors naming their path; enumerated values list the allowed ones.
public struct NetworkConfig: Codable, Sendable, Hashable {
    public struct Hidden: Codable, Sendable, Hashable {
        public var model: ModelChoice
        public var neurons: Int
        public var recurrent = false
        public var feedback = NetworkSpec.Feedback.symmetric
        /// Physical constants of built-in models, applied to the parameters the model says they
        /// mean (`NeuronConstants`); a model file sets its parameters by name instead.
        public var membraneMs: Double?
        public var adaptationMs: Double?
        public var adaptationStep: Double?
        public var threshold: Double?
        /// Parameter values by name, over the model's defaults and the constants above.
        public var parameters: [String: Double] = [:]
        enum CodingKeys: String, CodingKey {
            case model, neurons, recurrent, feedback, membraneMs, adaptationMs, adaptationStep, threshold, parameters
        }

        public init(model: ModelChoice, neurons: Int, recurrent: Bool = false, feedback: NetworkSpec.Feedback = .symmetric,
                    constants: NeuronConstants = .init(), parameters: [String: Double] = [:]) {
            self.model = model; self.neurons = neurons; self.recurrent = recurrent; self.feedback = feedback
            self.constants = constants; self.parameters = parameters
        }

        public var constants: NeuronConstants {
            get { NeuronConstants(membraneMs: membraneMs, adaptationMs: adaptationMs, adaptationStep: adaptationStep, threshold: threshold) }
            set {
                membraneMs = newValue.membraneMs; adaptationMs = newValue.adaptationMs
                adaptationStep = newValue.adaptationStep; threshold = newValue.threshold
            }
        }

        public init(from decoder: Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            model = try c.decode(ModelChoice.self, forKey: .model)
            neurons = try c.decode(Int.self, forKey: .neurons)
            recurrent = try c.decodeIfPresent(Bool.self, forKey: .recurrent) ?? false
            feedback = try c.decodeIfPresent(NetworkSpec.Feedback.self, forKey: .feedback) ?? .symmetric
            membraneMs = try c.decodeIfPresent(Double.self, forKey: .membraneMs)
            adaptationMs = try c.decodeIfPresent(Double.self, forKey: .adaptationMs)
            adaptationStep = try c.decodeIfPresent(Double.self, forKey: .adaptationStep)
            threshold = try c.decodeIfPresent(Double.self, forKey: .threshold)
            parameters = try c.decodeIfPresent([String: Double].self, forKey: .parameters) ?? [:]
        }

        /// Unset constants are written as null, so that the key list (`ConfigFile`) knows them.
        public func encode(to encoder: Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(model, forKey: .model); try c.encode(neurons, forKey: .neurons)
            try c.encode(recurrent, forKey: .recurrent); try c.encode(feedback, forKey: .feedback)
            try c.encode(membraneMs, forKey: .membraneMs); try c.encode(adaptationMs, forKey: .adaptationMs)
            try c.encode(adaptationStep, forKey: .adaptationStep); try c.encode(threshold, forKey: .threshold)
            try c.encode(parameters, forKey: .parameters)
        }
    }

    /// Firing-rate regularization: target spikes per step, strength (see `NetworkSpec.RateRegularization`).
    public struct RateRegularization: Codable, Sendable, Hashable {
        public var target: Double
        public var strength: Double
        public init(target: Double, strength: Double) { self.target = target; self.strength = strength }
    }

    public var inputs: Int
    public var outputs: Int
    /// Readout leak κ, also the filter of ē.
    public var kappa: Double
    public var loss = NetworkSpec.Loss.crossEntropy
    public var hidden: [Hidden]
    /// The length of one step in milliseconds: turns the layers' time constants into decays.
    public var stepMs = 1.0
    public var rateRegularization: RateRegularization?
    enum CodingKeys: String, CodingKey { case inputs, outputs, kappa, loss, hidden, stepMs, rateRegularization }

    public init(inputs: Int, outputs: Int, kappa: Double, loss: NetworkSpec.Loss = .crossEntropy, hidden: [Hidden],
                stepMs: Double = 1, rateRegularization: RateRegularization? = nil) {
        self.inputs = inputs; self.outputs = outputs; self.kappa = kappa; self.loss = loss; self.hidden = hidden
        self.stepMs = stepMs; self.rateRegularization = rateRegularization
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        inputs = try c.decode(Int.self, forKey: .inputs)
        outputs = try c.decode(Int.self, forKey: .outputs)
        kappa = try c.decode(Double.self, forKey: .kappa)
        loss = try c.decodeIfPresent(NetworkSpec.Loss.self, forKey: .loss) ?? .crossEntropy
        hidden = try c.decode([Hidden].self, forKey: .hidden)
        stepMs = try c.decodeIfPresent(Double.self, forKey: .stepMs) ?? 1
        rateRegularization = try c.decodeIfPresent(RateRegularization.self, forKey: .rateRegularization)
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(inputs, forKey: .inputs); try c.encode(outputs, forKey: .outputs); try c.encode(kappa, forKey: .kappa)
        try c.encode(loss, forKey: .loss); try c.encode(hidden, forKey: .hidden); try c.encode(stepMs, forKey: .stepMs)
        try c.encode(rateRegularization, forKey: .rateRegularization)
    }

    /// Reads a config; model files it names are read at once, relative to the config's folder.
    public static func read(_ url: URL) throws -> NetworkConfig {
        var config = try ConfigFile.decode(NetworkConfig.self, from: ConfigFile.object(at: url), file: url.path)
        try config.resolveModelFiles(relativeTo: url.deletingLastPathComponent(), file: url.path)
        return config
    }

    /// Replaces every model file path by the model it holds (errors name `file` and the layer).
    public mutating func resolveModelFiles(relativeTo directory: URL, file: String) throws {
        for l in hidden.indices {
            do { hidden[l].model = try hidden[l].model.resolvingFiles(relativeTo: directory) } catch let error as FileFormatError {
                throw FileFormatError(file: file, field: "hidden[\(l)].model", message: "\(error)")
            }
        }
    }

    /// The network this config describes; every value checked, errors name `file` and the field.
    public func spec(file: String = "config") throws -> NetworkSpec {
        func fail(_ field: String, _ message: String) -> FileFormatError { FileFormatError(file: file, field: field, message: message) }
        guard stepMs.isFinite, stepMs > 0 else { throw fail("stepMs", "must be a positive number of milliseconds, not \(stepMs)") }
        let layers = try hidden.enumerated().map { l, h in try h.layer(stepMs: stepMs, file: file, field: "hidden[\(l)]", fail: fail) }
        let regularization = try rateRegularization.map { r -> NetworkSpec.RateRegularization in
            guard r.target.isFinite, r.target >= 0, r.strength.isFinite, r.strength >= 0 else {
                throw fail("rateRegularization", "target and strength must be finite and not negative (\(r.target), \(r.strength))")
            }
            return .init(target: r.target, strength: r.strength)
        }
        let spec = NetworkSpec(inputs: inputs, hidden: layers, outputs: outputs, kappa: kappa, loss: loss, rateRegularization: regularization)
        do { try spec.check() } catch let error as NetworkError { throw fail("network", error.message) }
        return spec
    }
}

extension NetworkConfig.Hidden {
    func layer(stepMs: Double, file: String, field: String, fail: (String, String) -> FileFormatError) throws -> NetworkSpec.Hidden {
        let positive: [(String, Double?)] = [("membraneMs", membraneMs), ("adaptationMs", adaptationMs), ("threshold", threshold)]
        for case let (name, value?) in positive where !(value.isFinite && value > 0) {
            throw fail("\(field).\(name)", "must be a positive number, not \(value)")
        }
        if let step = adaptationStep, !(step.isFinite && step >= 0) { throw fail("\(field).adaptationStep",
                                                                                 "must be finite and not negative, not \(step)") }
        for (name, value) in parameters.sorted(by: { $0.key < $1.key }) where !value.isFinite {
            throw fail("\(field).parameters.\(name)", "must be finite, not \(value)")
        }
        var values: [String: Double] = [:]
        if model.builtin == .readout {
            throw fail("\(field).model", "'readout' is the network's own readout (every network has one); a hidden layer needs a spiking " +
                                          "model (or a model file with an Output, for rate neurons)")
        }
        if let builtin = model.builtin {
            values = builtin.parameterValues(stepMs: stepMs, constants: constants)
        } else if let (name, _) = positive.first(where: { $0.1 != nil }) ?? (adaptationStep.map { ("adaptationStep", $0) }) {
            throw fail("\(field).\(name)", "applies to built-in models; set the parameters of a model file by name (\(field).parameters)")
        }
        values.merge(parameters) { _, explicit in explicit }
        let neuron = try model.neuronModel(file: file, field: "\(field).model")
        do {
            return NetworkSpec.Hidden(try neuron.setting(parameters: values), neurons: neurons, recurrent: recurrent, feedback: feedback)
        } catch let error as ModelError {
            throw fail("\(field).parameters.\(error.symbol)", error.message)
        }
    }
}
