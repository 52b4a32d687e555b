/// The processes one data-parallel training run is split over (docs/architecture.md, "Data-parallel
/// training"). Every process holds the same weights and runs its share of each batch through its own
/// kernel; the gradient of a batch is a sum over its sequences, so summing the processes' gradients
/// before each optimizer step gives every process the gradient of the whole batch, and the same step.
public protocol ProcessGroup: AnyObject {
    /// This process: 0 ..< size. Rank 0 writes files and prints.
    var rank: Int { get }
    var size: Int { get }
    /// values[i] = the sum of values[i] over the processes, on every process, in an order that
    /// depends only on `size` (so a run is deterministic for a given number of processes).
    func sum(_ values: inout [Double]) throws
    /// Every process's value, by rank.
    func gather(_ value: UInt64) throws -> [UInt64]
    /// Returns when every process has called it.
    func barrier() throws
}

/// One process: nothing to reduce.
public final class SingleProcess: ProcessGroup {
    public init() {}
    public var rank: Int { 0 }
    public var size: Int { 1 }
    public func sum(_ values: inout [Double]) throws {}
    public func gather(_ value: UInt64) throws -> [UInt64] { [value] }
    public func barrier() throws {}
}

/// A collective call failed (a process died, the network broke); the run cannot go on.
public struct ProcessGroupError: Error, CustomStringConvertible, Sendable {
    public var rank: Int
    public var message: String
    public init(rank: Int, message: String) { self.rank = rank; self.message = message }
    public var description: String { "rank \(rank): \(message)" }
}

extension ProcessGroup {
    /// Sums the gradients the kernel accumulated on each process, and `scalars` (losses,
    /// counts), into every process's buffers: one collective call for everything.
    /// With one process nothing is touched, so a run without MPI is what it was.
    func sumGradients(_ tensors: [TrainableTensor], scalars: [Double]) throws -> [Double] {
        guard size > 1 else { return scalars }
        var packed: [Double] = []
        packed.reserveCapacity(tensors.reduce(scalars.count) { $0 + $1.gradient.count })
        for t in tensors { for i in 0..<t.gradient.count { packed.append(Double(t.gradient[i])) } }
        packed += scalars
        try sum(&packed)
        var offset = 0
        for t in tensors {
            for i in 0..<t.gradient.count { t.gradient[i] = Float(packed[offset + i]) }
            offset += t.gradient.count
        }
        return Array(packed[offset...])
    }
}
