/// The kernel IR of a layer step's neuron body: named row values over the n neurons of one
/// sequence, each a load through a buffer view, a constant, or an element-wise operation
/// (`ElementOp`) of earlier values, in order; then what the step reads back (the elimination
/// plan's temporaries) and stores (new state, ψ, spikes, the chunk record, the instant gain).
///
/// The plan lowers to it once (`NeuronBody+Lowering.swift`). It fixes everything the emitters
/// must agree on — which literals need a constant row, which row of `work` each value takes, which
/// temporaries are written straight into the chunk record — so the layout's row count comes from
/// here, and the row emitter (TinyCC), the fused loop (optimizing compilers) and the scalar local
/// step only print it.
public struct NeuronBody: Sendable {
    public typealias ValueID = Int

    public enum Operand: Hashable, Sendable {
        case value(ValueID)
        /// A literal read as a float: only where an operation takes it so (a binary operation's
        /// scalar form) or a store fills with it; elsewhere a literal is a `.constant` value.
        case literal(Float)
    }

    /// Per-sequence buffers of one layer step; the emitters turn a view into an address.
    public enum View: Hashable, Sendable {
        /// Component s of h^{t-1} (loads) or h^t (stores): [batch][n][k], stride k.
        case state(Int)
        /// Component s of ψ^t: [batch][n][k], stride k.
        case psi(Int)
        /// z^{t-1}: [batch][n].
        case spike
        /// Learnable parameter p: [P][n], the same for every sequence.
        case parameter(Int)
        /// The synaptic current of channel c: row c of `work`.
        case current(Int)
        /// z^t: row C of `work`, until the step's end copies it into `spike`.
        case nextSpike
        /// ∂z^t/∂I^t of the gain channel, when the caller asks for it: [batch][n].
        case instantGain
    }

    public enum Definition: Hashable, Sendable {
        case load(View)
        /// A literal as a row, filled once per call.
        case constant(Float)
        case apply(ElementOp, [Operand])
        /// The same, but 0 at a sequence's first step: σ' of z^{-1}, a constant with no derivative.
        case applyAfterFirstStep(ElementOp, [Operand])
    }

    /// Where a value lives while the step runs.
    public enum Placement: Hashable, Sendable {
        /// A load that reads its buffer in place (stride 1): no row of its own.
        case inPlace
        /// Row r of the slice's `work` block.
        case row(Int)
        /// Row r of `work` in step mode; in chunk mode row `recordRow` of projection `owner`'s record.
        case rowOrRecord(Int, owner: Int, recordRow: Int)

        public var workRow: Int? {
            switch self {
            case .inPlace: return nil
            case .row(let r), .rowOrRecord(let r, _, _): return r
            }
        }
    }

    public struct Value: Sendable, Hashable {
        /// A C-safe name (role prefix, index, sanitized DSL name): rows print as `row_<name>`.
        public var name: String
        public var definition: Definition
        public var placement: Placement
        /// Computed only when the caller asks for the instant gain.
        public var forGain: Bool
    }

    public struct Store: Sendable, Hashable {
        public var view: View
        public var source: Operand
    }

    public struct RecordCopy: Sendable, Hashable {
        public var owner: Int
        public var row: Int
        public var source: Operand
    }

    public var modelName: String
    public var stateCount: Int
    public var channelCount: Int
    public var learnableCount: Int
    public var values: [Value]
    /// The plan's temporaries t_i, read back after the body by the per-neuron traces.
    public var temporaries: [Operand]
    /// h^t, ψ^t and z^t, after every read of h^{t-1}.
    public var stores: [Store]
    /// Σ_s ψ_s c_s of the gain channel (a `forGain` value, or a literal), stored into `instantGain`.
    public var gain: Operand?
    /// Chunk mode: record entries that no operation writes in place.
    public var recordCopies: [RecordCopy]
    /// Rows of `work` per sequence block: C currents, the next spikes, the constants, the values.
    public var rowCount: Int

    public subscript(id: ValueID) -> Value { values[id] }

    /// The operands a definition reads.
    public static func operands(of definition: Definition) -> [Operand] {
        switch definition {
        case .load, .constant: return []
        case .apply(_, let x), .applyAfterFirstStep(_, let x): return x
        }
    }

    /// Whether any operation calls libm (such bodies stay rows: gcc does not vectorize a loop with a call).
    public var callsLibm: Bool {
        values.contains { v in
            switch v.definition {
            case .apply(let op, _), .applyAfterFirstStep(let op, _): return !v.forGain && op.entry.callsLibm
            default: return false
            }
        }
    }

    public var readsPreviousSpikeLiveness: Bool {
        values.contains { if case .applyAfterFirstStep = $0.definition { return true }; return false }
    }

    /// Values of the body read after it: the temporaries, the stores, the gain and the record copies.
    public var readAfterBody: Set<ValueID> {
        var ids = Set<ValueID>()
        func add(_ operand: Operand?) { if case .value(let id)? = operand { ids.insert(id) } }
        temporaries.forEach(add)
        stores.forEach { add($0.source) }
        recordCopies.forEach { add($0.source) }
        for value in values where value.forGain { Self.operands(of: value.definition).forEach(add) }
        return ids
    }
}
