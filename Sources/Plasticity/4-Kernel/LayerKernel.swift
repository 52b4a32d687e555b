/// The kernel IR of one layer: its neuron body (`NeuronBody`), the per-synapse loops
/// (`SynapseTraces`), the plan whose temporaries those and the parameter traces read, and the
/// buffers the kernel stores (`KernelLayout`, whose work rows are the body's). Emitters for a
/// target print it; nothing below it re-derives a layout.
public struct LayerKernel: Sendable {
    public var layer: LayerSpec
    public var model: CheckedModel
    public var plan: EliminationPlan
    public var body: NeuronBody
    /// Step mode's per-synapse loops and when they are skipped.
    public var synapses: SynapseTraces
    public var layout: KernelLayout
    /// One time step of the layer for the sequences of a call: what runs, in which loops and mode.
    public var step: [KernelStatement<LayerStepOperation>]

    /// Plan → kernel IR.
    public init(layer: LayerSpec, model: CheckedModel, plan: EliminationPlan) {
        var layout = KernelLayout(layer: layer, model: model, plan: plan)
        let body = NeuronBody(model: model, plan: plan, layout: layout)
        layout.workRows = body.rowCount
        self.layer = layer
        self.model = model
        self.plan = plan
        self.body = body
        self.synapses = SynapseTraces(plan: plan, layout: layout)
        self.layout = layout
        let noise = Dictionary(uniqueKeysWithValues: model.inputs.enumerated().compactMap { c, name in model.noise[name].map { (c, $0) } })
        self.step = Self.step(layout: layout, body: body, synapses: synapses, noise: noise)
    }
}

/// The kernel IR of a network: one `LayerKernel` per hidden layer, bottom up, and the network loop
/// around their steps (`NetworkOperation`: readout, loss, learning signals, gradients, chunks).
public struct NetworkKernelIR: Sendable {
    public var network: NetworkSpec
    public var layers: [LayerKernel]
    public var loop: [KernelStatement<NetworkOperation>]

    /// The layers whose projections from their input (the network input, or the layer below) have
    /// delays: the network loop feeds them from a delay line.
    public static func delayedLayers(_ network: NetworkSpec) -> Set<Int> {
        Set(network.hidden.indices.filter { l in network.hidden[l].projections.contains { $0.delays != nil } })
    }

    /// The layers with a recurrent projection with delays: their delay line keeps their own spikes.
    public static func delayedRecurrence(_ network: NetworkSpec) -> Set<Int> {
        Set(network.hidden.indices.filter { l in network.hidden[l].projections.contains { $0.source == .recurrent && $0.delays != nil } })
    }

    public init(network: NetworkSpec, layers: [LayerKernel]) {
        self.network = network
        self.layers = layers
        self.loop = Self.loop(layers, delayed: Self.delayedLayers(network), delayedRecurrence: Self.delayedRecurrence(network))
    }
}
