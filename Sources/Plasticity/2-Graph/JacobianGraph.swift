/// One time step of a neuron model as a DAG over per-neuron scalars.
///
/// Vertices are numbered in topological order (operands always have smaller ids). Every edge
/// carries its partial derivative (a `Partial`, evaluated per neuron) and a sparsity annotation
/// over the neuron dimension. The graph has two Jacobian blocks:
/// - the update block, from the independents h^{t-1}, I^t, θ to the outputs h^t (`stateOut`);
/// - the output block, from `newState` (h^t as read by the spike condition) and θ to z^t or y^t.
public struct JacobianGraph: Sendable {
    public struct VertexID: Hashable, Comparable, Sendable, CustomStringConvertible {
        public var raw: Int
        public static func < (a: Self, b: Self) -> Bool { a.raw < b.raw }
        public var description: String { "%\(raw)" }
    }

    public enum Kind: Hashable, Sendable {
        /// h^{t-1}_s: independent.
        case previousState(Int)
        /// z^{t-1}: its value is loaded; its derivative is σ'(g) of its operand, the spike
        /// condition g evaluated at h^{t-1}.
        case previousSpike
        /// I^t_c: independent.
        case input(Int)
        /// θ_p, a learnable per-neuron parameter: independent.
        case learnable(Int)
        /// h^t_s as read by the output: independent of the output block.
        case newState(Int)
        case constant(Double)
        case op(Op)
        /// Output h^t_s (identity of its operand).
        case stateOut(Int)
        /// Output z^t (spike with surrogate) or y^t (value).
        case layerOutput
    }

    public struct Vertex: Hashable, Sendable {
        public var id: VertexID
        public var kind: Kind
        public var operands: [VertexID]
        /// The DSL name this vertex carries (a state, input, parameter or definition), if any.
        public var label: String?
    }

    /// Structure of an edge's partial over the neuron dimension (and, for network edges, beyond).
    public enum Sparsity: Hashable, Sendable, CustomStringConvertible {
        case zero
        /// The same constant for every neuron: s·I.
        case scalarIdentity(Double)
        /// Per-neuron values: diag(d).
        case diagonal
        /// One k×k block per neuron (state-to-state Jacobian D).
        case block(Int)
        /// A dense n×n coupling (through recurrent weights; e-prop cuts it).
        case dense
        /// ∂I_j/∂W_j'i = δ_jj' x_i.
        case weightStructured

        public var description: String {
            switch self {
            case .zero: return "zero"
            case .scalarIdentity(let s): return "\(s.shortDescription)·I"
            case .diagonal: return "diag"
            case .block(let k): return "block \(k)x\(k)"
            case .dense: return "dense"
            case .weightStructured: return "δ_jj'·x_i"
            }
        }
    }

    public struct Edge: Hashable, Sendable {
        public var from: VertexID, to: VertexID
        public var partial: Partial
        public var sparsity: Sparsity { partial.constantValue.map { $0 == 0 ? .zero : .scalarIdentity($0) } ?? .diagonal }
    }

    public let model: CheckedModel
    public internal(set) var vertices: [Vertex] = []
    public private(set) var edges: [Edge] = []
    private var interned: [Vertex.Key: VertexID] = [:]
    /// The vertex of each role (a state, an input, a learnable, the output), so that lookups by
    /// role cost O(1): a scan per lookup made planning and lowering quadratic in the states.
    private var roles: [Kind: VertexID] = [:]

    init(model: CheckedModel) { self.model = model }

    public subscript(_ id: VertexID) -> Vertex { vertices[id.raw] }

    /// Adds a vertex, or returns the existing one with the same kind and operands (CSE).
    mutating func add(_ kind: Kind, _ operands: [VertexID] = [], label: String? = nil) -> VertexID {
        let key = Vertex.Key(kind: kind, operands: operands)
        if let existing = interned[key] {
            if vertices[existing.raw].label == nil, let label { vertices[existing.raw].label = label }
            return existing
        }
        let id = VertexID(raw: vertices.count)
        vertices.append(Vertex(id: id, kind: kind, operands: operands, label: label))
        interned[key] = id
        switch kind {
        case .previousState, .newState, .stateOut, .input, .learnable, .layerOutput: if roles[kind] == nil { roles[kind] = id }
        default: break
        }
        return id
    }

    /// Edges are added per target vertex, in vertex order: an edge to `to` can only repeat among the
    /// last ones (the same operand used twice), so the search stays O(operands), not O(edges).
    mutating func addEdge(from: VertexID, to: VertexID, partial: Partial) {
        guard partial.constantValue != 0 else { return }
        let sameTarget = edges.indices.reversed().prefix { edges[$0].to == to }
        if let i = sameTarget.first(where: { edges[$0].from == from }) {
            edges[i].partial = edges[i].partial + partial   // the same operand used twice
            if edges[i].partial.constantValue == 0 { edges.remove(at: i) }
        } else {
            edges.append(Edge(from: from, to: to, partial: partial))
        }
    }

    // Lookups by role.
    public func previousState(_ s: Int) -> VertexID? { roles[.previousState(s)] }
    public func newState(_ s: Int) -> VertexID? { roles[.newState(s)] }
    public func stateOut(_ s: Int) -> VertexID { roles[.stateOut(s)]! }
    public func input(_ c: Int) -> VertexID? { roles[.input(c)] }
    public func learnable(_ p: Int) -> VertexID? { roles[.learnable(p)] }
    public var layerOutput: VertexID { roles[.layerOutput]! }

    public var isIndependent: (VertexID) -> Bool {
        { id in
            switch self[id].kind {
            case .previousState, .input, .learnable, .newState: return true
            default: return false
            }
        }
    }
    public var isOutput: (VertexID) -> Bool {
        { id in
            switch self[id].kind { case .stateOut, .layerOutput: return true; default: return false }
        }
    }
}

extension JacobianGraph.Vertex {
    struct Key: Hashable { var kind: JacobianGraph.Kind, operands: [JacobianGraph.VertexID] }
}
