import PlasticityRuntime
/// One layer of neurons of one model, with the weight projections that feed its input channels.
public struct LayerSpec: Sendable, Hashable {
    public enum Source: String, Sendable, Hashable { case input, recurrent }
    /// A weight matrix W [n][n_pre] from the layer's input (n_pre = n_in) or from its own spikes
    /// at the previous step (n_pre = n) into one input channel of the model.
    public struct Projection: Sendable, Hashable {
        public var source: Source
        public var channel: String
        public init(_ source: Source, into channel: String) { self.source = source; self.channel = channel }
    }

    public var model: NeuronModel
    public var projections: [Projection]

    /// Projections default to a feed-forward one (and a recurrent one if asked) into the first channel.
    public init(model: NeuronModel, projections: [Projection]? = nil, recurrent: Bool = false) {
        self.model = model
        let first = model.declarations.lazy.compactMap { d -> String? in if case .input(let n, _) = d { return n }; return nil }.first ?? ""
        self.projections = projections ?? ([Projection(.input, into: first)] + (recurrent ? [Projection(.recurrent, into: first)] : []))
    }

    /// Projections per layer the kernel ABI has slots for; gradient slot of layer l, projection p:
    /// `l * maxProjections + p` (`plasticity_network_args.grad_weights`).
    public static let maxProjections = Int(PLASTICITY_MAX_PROJECTIONS)

    /// Checks the projections against a checked model.
    func check(_ model: CheckedModel) throws {
        guard projections.count <= Self.maxProjections else {
            throw ModelError(kind: .shapeMismatch, model: model.name, symbol: "projections", location: model.location,
                             message: "a layer has at most \(Self.maxProjections) projections, not \(projections.count)")
        }
        if model.inputs.isEmpty, let p = projections.first {
            throw ModelError(kind: .unknownSymbol, model: model.name, symbol: "Input", location: model.location,
                             message: "the model declares no Input, so its layer cannot receive the \(p.source.rawValue) projection: " +
                                      "declare one (Input(\"I\")) and use it in an Update")
        }
        for p in projections where !model.inputs.contains(p.channel) {
            throw ModelError(kind: .unknownSymbol, model: model.name, symbol: p.channel, location: model.location,
                             message: "a \(p.source.rawValue) projection targets unknown input channel '\(p.channel)' (the model has " +
                                      "\(model.inputs.map { "'\($0)'" }.joined(separator: ", ")))")
        }
    }
}
