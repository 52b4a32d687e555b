import Foundation
import PlasticityRuntime

/// One hidden layer of a network: neurons of one model, the weight projections that feed its
/// input channels, and how it receives its learning signal. The same value is the layer of a
/// network config (JSON), of a checkpoint and of the Swift API:
///
///     {"model": "lif", "neurons": 256, "recurrent": true, "feedback": "symmetric",
///      "membraneMs": 20, "parameters": {"threshold": 0.8}}
///
/// `model` keeps what was written (a built-in name, a model inline; a file path is read at once)
/// together with the constants and parameter values over it, so that a layer encodes as it was
/// given; `neuronModel` is the model they make and `checkedModel` its check, done once where the
/// layer enters (`resolved(stepMs:file:field:)`) and reused by `lower`.
public struct LayerSpec: Sendable {
    public enum Source: String, ConfigEnum { case input, recurrent }
    /// A sign every weight of a projection keeps (Dale's law): excitatory ≥ 0, inhibitory ≤ 0.
    /// Initial weights take it (|w| or −|w|) and each update is followed by a clamp to it; the
    /// gradients themselves are the unconstrained exact ones.
    public enum Sign: String, ConfigEnum { case excitatory, inhibitory }
    /// A weight matrix W [n][n_pre] from the layer's input (n_pre = n_in) or from its own spikes
    /// at the previous step (n_pre = n) into one input channel of the model, optionally of one sign
    /// and with transmission delays (`DelaySpec`).
    public struct Projection: Codable, Sendable, Hashable {
        public var source: Source
        public var channel: String
        public var sign: Sign?
        public var delays: DelaySpec?
        public init(_ source: Source, into channel: String, sign: Sign? = nil, delays: DelaySpec? = nil) {
            self.source = source; self.channel = channel; self.sign = sign; self.delays = delays
        }
    }

    /// The model as written: a built-in, or a model inline (a file path is replaced by its model
    /// when the layer is read).
    public var model: ModelChoice { didSet { invalidate() } }
    /// Physical constants of built-in models, applied to the parameters the model says they mean
    /// (`BuiltinModel.parameterValues`); a model file sets its parameters by name instead.
    public var constants: NeuronConstants { didSet { invalidate() } }
    /// Parameter values by name, over the model's defaults and the constants above.
    public var parameters: [String: Double] { didSet { invalidate() } }
    /// Per-neuron initial values (and bounds) of parameters by name (`ParameterInit`).
    public var initializers: [String: ParameterInit] = [:] { didSet { invalidate() } }
    /// Fixed parameters of the model that `initializers` make per-neuron runtime values: the
    /// kernel holds them like learnable ones, and updates leave them as drawn.
    public private(set) var frozenParameters: Set<String> = []
    public var neurons: Int
    public var projections: [Projection]
    public var feedback: NetworkSpec.Feedback
    /// The model that `model`, `constants` and `parameters` make at the network's step.
    public private(set) var neuronModel: NeuronModel
    /// `neuronModel` checked, once it has been (nil for a layer built in Swift until `lower`).
    public private(set) var checkedModel: CheckedModel?

    /// A layer of a model written in Swift. Projections default to a feed-forward one (and a
    /// recurrent one if asked) into the model's first input channel.
    public init(_ model: NeuronModel, neurons: Int = 1, recurrent: Bool = false, feedback: NetworkSpec.Feedback = .symmetric,
                projections: [Projection]? = nil) {
        self.model = ModelChoice(model); constants = NeuronConstants(); parameters = [:]
        self.neurons = neurons; self.feedback = feedback; neuronModel = model; checkedModel = nil
        self.projections = projections ?? Self.defaultProjections(of: model, recurrent: recurrent)
    }

    /// A single layer to compile on its own (`lower(_:)`): its size is the network's business.
    public init(model: NeuronModel, projections: [Projection]? = nil, recurrent: Bool = false) {
        self.init(model, recurrent: recurrent, projections: projections)
    }

    /// A layer as a config describes it; `resolved(stepMs:file:field:)` makes and checks its model.
    public init(model: ModelChoice, neurons: Int, recurrent: Bool = false, feedback: NetworkSpec.Feedback = .symmetric,
                constants: NeuronConstants = .init(), parameters: [String: Double] = [:], projections: [Projection]? = nil) {
        self.model = model; self.constants = constants; self.parameters = parameters
        self.neurons = neurons; self.feedback = feedback
        neuronModel = model.unresolvedModel; checkedModel = nil
        self.projections = projections ?? Self.defaultProjections(of: neuronModel, recurrent: recurrent)
        resolution = .pending(explicitProjections: projections != nil, recurrent: recurrent)
    }

    /// Where the layer's model stands: written in Swift (made, checked by `lower`), described by
    /// a config and not made yet, or made at a step of `stepMs`.
    enum Resolution: Sendable {
        case swift
        case pending(explicitProjections: Bool, recurrent: Bool)
        case made(stepMs: Double, explicitProjections: Bool, recurrent: Bool)
    }
    var resolution = Resolution.swift

    /// After a change of what the model is made of: made and checked again where it is used.
    private mutating func invalidate() {
        let explicit: Bool
        switch resolution {
        case .swift: explicit = projections != Self.defaultProjections(of: neuronModel, recurrent: recurrent)
        case .pending(let e, _), .made(_, let e, _): explicit = e
        }
        resolution = .pending(explicitProjections: explicit, recurrent: recurrent)
        checkedModel = nil
    }

    /// Whether the model must be (re)made for a network stepping `stepMs` milliseconds.
    func needsResolution(stepMs: Double) -> Bool {
        switch resolution {
        case .swift: return false
        case .pending: return true
        case .made(let at, _, _): return at != stepMs && (!constants.namesSet.isEmpty || model.timeStep != nil)
        }
    }

    /// A layer with weights from its own spikes.
    public var recurrent: Bool { projections.contains { $0.source == .recurrent } }

    /// The layer as its kernel compiles it: a recurrent projection with delays reads the layer's
    /// own spikes through the network loop's delay line (`InputDelays`), so there it is an input
    /// projection like any other.
    public var kernelForm: LayerSpec {
        var layer = self
        for p in layer.projections.indices where layer.projections[p].source == .recurrent && layer.projections[p].delays != nil {
            layer.projections[p].source = .input
        }
        return layer
    }

    /// The projections a layer of `model` gets unless it lists its own.
    public static func defaultProjections(of model: NeuronModel, recurrent: Bool) -> [Projection] {
        if let listed = model.projections, !listed.isEmpty {
            let input = listed.filter { $0.source == .input }
            guard recurrent else { return input }
            if listed.contains(where: { $0.source == .recurrent }) { return listed }
            return input + input.map { Projection(.recurrent, into: $0.channel, sign: $0.sign) }
        }
        let first = model.declarations.lazy.compactMap { d -> String? in if case .input(let n, _) = d { return n }; return nil }.first ?? ""
        return [Projection(.input, into: first)] + (recurrent ? [Projection(.recurrent, into: first)] : [])
    }

    /// Projections per layer the kernel ABI has slots for; gradient slot of layer l, projection p:
    /// `l * maxProjections + p` (`plasticity_network_args.grad_weights`).
    public static let maxProjections = Int(PLASTICITY_MAX_PROJECTIONS)

    /// This layer with its model made from `model`, `constants` and `parameters` at a step of
    /// `stepMs` and checked; errors name `file` and the layer's `field` (`hidden[0]`).
    public func resolved(stepMs: Double, file: String, field: String) throws -> LayerSpec {
        func fail(_ name: String, _ message: String) -> FileFormatError { FileFormatError(file: file, field: "\(field).\(name)", message: message) }
        try checkConstants(fail: fail)
        if model.builtin == .readout {
            throw fail("model", "'readout' is the network's own readout (every network has one); a hidden layer needs a spiking " +
                                "model (or a model file with an Output, for rate neurons)")
        }
        var values: [String: Double] = [:]
        if let builtin = model.builtin {
            values = builtin.parameterValues(stepMs: stepMs, constants: constants)
        } else if let name = constants.namesSet.first {
            throw fail(name, "applies to built-in models; set the parameters of a model file by name (\(field).parameters)")
        }
        values.merge(parameters) { _, explicit in explicit }
        if let timeStep = model.timeStep {
            guard parameters[timeStep] == nil else {
                throw fail("parameters.\(timeStep)", "is the model's time step: the network's step sets it (stepMs; in a train config " +
                                                     "data.binning.binMs)")
            }
            values[timeStep] = stepMs
        }
        var layer = self
        do {
            (layer.neuronModel, layer.checkedModel) = try model.checkedModel(parameters: values, file: file, field: "\(field).model")
        } catch let error as ModelError where error.kind == .unknownSymbol && values[error.symbol] != nil {
            throw fail("parameters.\(error.symbol)", error.message)
        }
        try layer.makeInitializedParametersRuntime(fail: fail)
        let (explicit, recurrent): (Bool, Bool)
        switch resolution {
        case .swift: (explicit, recurrent) = (true, self.recurrent)
        case .pending(let e, let r), .made(_, let e, let r): (explicit, recurrent) = (e, r)
        }
        if !explicit { layer.projections = Self.defaultProjections(of: layer.neuronModel, recurrent: recurrent) }
        layer.resolution = .made(stepMs: stepMs, explicitProjections: explicit, recurrent: recurrent)
        do { try layer.checkProjections(layer.checkedModel!) } catch let error as ModelError { throw fail("projections", error.message) }
        return layer
    }

    /// This layer with its model checked, for `lower`: a layer read from a config was checked
    /// when it was read; one built in Swift is checked here. `stepMs` is the network's step
    /// (nil for a layer compiled on its own: it keeps the step its model was made at, else 1 ms).
    func checked(stepMs: Double?) throws -> LayerSpec {
        let keepsStep: Bool
        if case .made = resolution { keepsStep = stepMs == nil } else { keepsStep = false }
        if !keepsStep, needsResolution(stepMs: stepMs ?? 1) {
            return try resolved(stepMs: stepMs ?? 1, file: "network", field: "layer")
        }
        var layer = self
        if case .swift = resolution, let stepMs, neuronModel.timeStep != nil {
            layer.neuronModel = try neuronModel.stepping(stepMs)
            layer.checkedModel = nil
        }
        if layer.checkedModel == nil {
            layer.checkedModel = try layer.neuronModel.checked()
            try layer.makeInitializedParametersRuntime { FileFormatError(file: "network", field: "layer.\($0)", message: $1) }
        }
        try layer.checkProjections(layer.checkedModel!)   // projections may have changed since
        return layer
    }

    /// Checks the initializers against the made model and turns the fixed parameters they name
    /// into runtime ones (learnable in the kernel, frozen in training).
    private mutating func makeInitializedParametersRuntime(fail: (String, String) -> FileFormatError) throws {
        frozenParameters = []
        guard !initializers.isEmpty, let checked = checkedModel else { return }
        for (name, initializer) in initializers.sorted(by: { $0.key < $1.key }) {
            let isLearnable = checked.learnables.contains { $0.name == name }
            guard isLearnable || checked.fixedParameters[name] != nil else {
                throw fail("initializers.\(name)", "is not a parameter of model '\(checked.name)' (its parameters: " +
                           "\(neuronModel.parameterNames.joined(separator: ", ")))")
            }
            if name == neuronModel.timeStep { throw fail("initializers.\(name)", "is the model's time step, which the network's step sets") }
            try initializer.checked(neurons: neurons) { fail("initializers.\(name).\($0)", $1) }
            if !isLearnable { frozenParameters.insert(name) }
        }
        guard !frozenParameters.isEmpty else { return }
        var runtime = neuronModel
        runtime.declarations = neuronModel.declarations.map {
            guard case .parameter(let name, let value, false, let at) = $0, frozenParameters.contains(name) else { return $0 }
            return .parameter(name: name, value: value, learnable: true, at: at)
        }
        neuronModel = runtime
        checkedModel = try runtime.checked()
    }

    private func checkConstants(fail: (String, String) -> FileFormatError) throws {
        for case let (name, value?) in [("membraneMs", constants.membraneMs), ("adaptationMs", constants.adaptationMs),
                                        ("threshold", constants.threshold)] where !(value.isFinite && value > 0) {
            throw fail(name, "must be a positive number, not \(value)")
        }
        if let step = constants.adaptationStep, !(step.isFinite && step >= 0) {
            throw fail("adaptationStep", "must be finite and not negative, not \(step)")
        }
        for (name, value) in parameters.sorted(by: { $0.key < $1.key }) where !value.isFinite {
            throw fail("parameters.\(name)", "must be finite, not \(value)")
        }
    }

    /// Checks the projections against the checked model.
    func checkProjections(_ model: CheckedModel) throws {
        guard projections.count <= Self.maxProjections else {
            throw ModelError(kind: .shapeMismatch, model: model.name, symbol: "projections", location: model.location,
                             message: "a layer has at most \(Self.maxProjections) projections, not \(projections.count)")
        }
        if model.inputs.isEmpty, let p = projections.first {
            throw ModelError(kind: .unknownSymbol, model: model.name, symbol: "Input", location: model.location,
                             message: "the model declares no Input, so its layer cannot receive the \(p.source.rawValue) projection: " +
                                      "declare one (Input(\"I\")) and use it in an Update")
        }
        for p in projections where model.noise[p.channel] != nil {
            throw ModelError(kind: .symbolNotAllowedHere, model: model.name, symbol: p.channel, location: model.location,
                             message: "\(p.source == .input ? "an" : "a") \(p.source.rawValue) projection targets '\(p.channel)', which is a " +
                                      "noise source: its draws are its input, no projection feeds it")
        }
        for p in projections where !model.inputs.contains(p.channel) {
            throw ModelError(kind: .unknownSymbol, model: model.name, symbol: p.channel, location: model.location,
                             message: "\(p.source == .input ? "an" : "a") \(p.source.rawValue) projection targets unknown input channel " +
                                      "'\(p.channel)' (the model has " +
                                      "\(model.inputs.map { "'\($0)'" }.joined(separator: ", ")))")
        }
    }
}

extension LayerSpec: Hashable {
    /// Two layers are equal when they make the same network layer, however they were written
    /// (in Swift or in a file: source locations do not count).
    public static func == (a: LayerSpec, b: LayerSpec) -> Bool {
        a.neurons == b.neurons && a.projections == b.projections && a.feedback == b.feedback && a.initializers == b.initializers
            && (a.neuronModel == b.neuronModel || ModelFile(a.neuronModel) == ModelFile(b.neuronModel))
    }
    public func hash(into hasher: inout Hasher) {
        hasher.combine(neuronModel.name); hasher.combine(neurons); hasher.combine(projections); hasher.combine(feedback)
    }
}

extension NeuronConstants {
    /// The names of the constants that are set.
    var namesSet: [String] {
        [("membraneMs", membraneMs), ("adaptationMs", adaptationMs), ("adaptationStep", adaptationStep), ("threshold", threshold)]
            .compactMap { $0.1 == nil ? nil : $0.0 }
    }
}
