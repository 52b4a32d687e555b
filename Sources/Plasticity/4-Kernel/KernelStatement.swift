/// The control structure of the kernel IR: loops over chunks, sequences, steps and neurons,
/// regions that run in one trace mode only, and operations, in order. A layer step
/// (`LayerStepOperation`) and the network loop (`NetworkOperation`) are trees of these; the
/// emitters print the tree and decide nothing it fixes (docs/architecture.md, stage 4).
public indirect enum KernelStatement<Operation: KernelOperation>: Hashable, Sendable {
    case loop(KernelLoop, [KernelStatement])
    case when(KernelCondition, [KernelStatement])
    case run(Operation)
}

/// What a loop of the kernel IR runs over.
public enum KernelLoop: String, Hashable, Sendable {
    /// t0 over [0, T) by K; step by step (K = 0), one chunk of all of T.
    case chunks
    /// b over the call's slice of the batch.
    case sequences
    /// t over the chunk (a layer step is called once per t).
    case steps
    /// j over the layer's n neurons.
    case neurons

    var printed: String {
        switch self {
        case .chunks: return "for each chunk [t0, t1) of K steps (step by step: [0, T))"
        case .sequences: return "for each sequence b of the slice"
        case .steps: return "for each step t of the chunk"
        case .neurons: return "for each neuron j"
        }
    }
}

/// A region of the kernel IR that runs only under a condition known when the kernel is called.
public enum KernelCondition: Hashable, Sendable {
    /// K > 0: the traces advance once per chunk from the record of D, c and ψ.
    case chunked
    /// K = 0: the traces advance every step.
    case stepMode
    /// A neuron's per-synapse rows advance unless they are exactly zero and stay so: never
    /// skipped (`nil`: the row is marked live), or skipped while these temporaries are 0.
    case synapseRowsLive(skippedWhileZero: [Int]?)

    var printed: String {
        switch self {
        case .chunked: return "chunked (K > 0)"
        case .stepMode: return "step by step (K = 0)"
        case .synapseRowsLive(nil): return "true (the rows are never skipped: marked live)"
        case .synapseRowsLive(let ts?):
            return "the rows are live (nonzero already, or one of " + ts.map { "t\($0)" }.joined(separator: ", ") + " nonzero)"
        }
    }
}

/// An operation of the kernel IR: where it may run, and the values of one iteration it reads and
/// writes, for the verifier.
public protocol KernelOperation: Hashable, Sendable, CustomStringConvertible {
    associatedtype Value: Hashable, Sendable, CustomStringConvertible
    /// The loops it must run inside.
    var loops: Set<KernelLoop> { get }
    /// The trace mode it belongs to, if only one.
    var mode: KernelCondition? { get }
    /// Values it reads, each written before it within the same iteration.
    var reads: [Value] { get }
    var writes: [Value] { get }
}

extension KernelStatement {
    /// The tree as indented text, one operation per line.
    public func printed(indent: String = "  ") -> [String] {
        switch self {
        case .run(let op): return [indent + op.description]
        case .loop(let loop, let body): return [indent + loop.printed + ":"] + body.flatMap { $0.printed(indent: indent + "  ") }
        case .when(let condition, let body): return [indent + "if " + condition.printed + ":"] + body.flatMap { $0.printed(indent: indent + "  ") }
        }
    }

    /// Problems of a tree: operations outside their loops or trace mode, a loop nested in itself,
    /// both modes nested, and values read before an operation of the iteration writes them.
    /// `defined` holds the values written so far; writes in a region stay visible after it.
    static func treeProblems(_ body: [KernelStatement], loops: Set<KernelLoop> = [], modes: Set<KernelCondition> = [],
                         defined: inout Set<Operation.Value>) -> [String] {
        var problems: [String] = []
        for statement in body {
            switch statement {
            case .run(let op):
                let missing = op.loops.subtracting(loops)
                if !missing.isEmpty {
                    problems.append("\(op) runs outside its loops over " + missing.map(\.rawValue).sorted().joined(separator: ", "))
                }
                if let mode = op.mode, !modes.contains(mode) { problems.append("\(op) runs outside \(mode.printed)") }
                for value in op.reads where !defined.contains(value) { problems.append("\(op) reads \(value) before it is written") }
                defined.formUnion(op.writes)
            case .loop(let loop, let inner):
                if loops.contains(loop) { problems.append("a loop \(loop.printed) inside another") }
                problems += treeProblems(inner, loops: loops.union([loop]), modes: modes, defined: &defined)
            case .when(let condition, let inner):
                if modes.contains(.chunked) && condition == .stepMode || modes.contains(.stepMode) && condition == .chunked {
                    problems.append("\(condition.printed) inside the other mode")
                }
                problems += treeProblems(inner, loops: loops, modes: modes.union([condition]), defined: &defined)
            }
        }
        return problems
    }

    /// Every operation of a tree, in order.
    static func operations(_ body: [KernelStatement]) -> [Operation] {
        body.flatMap { statement -> [Operation] in
            switch statement {
            case .run(let op): return [op]
            case .loop(_, let inner), .when(_, let inner): return operations(inner)
            }
        }
    }
}
