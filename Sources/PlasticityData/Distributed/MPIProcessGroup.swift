import Foundation
import Plasticity
import _PlasticityMPI

/// The processes `mpirun -np N` started, through Open MPI (docs/architecture.md, "Data-parallel
/// training"). `start()` is the only way in: a process not started by an MPI launcher gets a
/// `SingleProcess` and never touches MPI, so a run without mpirun is what it always was.
public final class MPIProcessGroup: ProcessGroup {
    public let rank: Int
    public let size: Int
    private var finished = false

    /// Launchers set these in every process they start (Open MPI, PMIx, PMI-1/2 launchers).
    static let launcherVariables = ["OMPI_COMM_WORLD_SIZE", "PMIX_RANK", "PMI_RANK", "PMI_SIZE"]

    /// Whether this process was started by mpirun (or another MPI launcher).
    public static var launchedByMPI: Bool {
        let environment = ProcessInfo.processInfo.environment
        return launcherVariables.contains { environment[$0] != nil }
    }

    /// The group this process belongs to: MPI's world when started by mpirun, else one process.
    public static func start() throws -> ProcessGroup {
        guard launchedByMPI else { return SingleProcess() }
        return try MPIProcessGroup()
    }

    private init() throws {
        // A fixed reduction order: Open MPI's linear allreduce adds the ranks' buffers in rank order
        // on rank 0 and broadcasts the result, so every rank gets the same floats and a run with N
        // processes is deterministic. (Its default picks an algorithm by message size and N; a user
        // who sets these variables keeps their choice.)
        setenv("OMPI_MCA_coll_tuned_use_dynamic_rules", "1", 0)
        setenv("OMPI_MCA_coll_tuned_allreduce_algorithm", "1", 0)
        var rank: Int32 = 0, size: Int32 = 0
        try Self.check(rank: 0) { plasticity_mpi_init(&rank, &size, $0, $1) }
        self.rank = Int(rank); self.size = Int(size)
    }

    public func sum(_ values: inout [Double]) throws {
        guard values.count <= Int(Int32.max) else {
            throw ProcessGroupError(rank: rank, message: "\(values.count) values are more than one MPI call takes")
        }
        let count = Int32(values.count)
        try values.withUnsafeMutableBufferPointer { buffer in
            try Self.check(rank: rank) { plasticity_mpi_sum(buffer.baseAddress, count, $0, $1) }
        }
    }

    public func gather(_ value: UInt64) throws -> [UInt64] {
        var all = [UInt64](repeating: 0, count: size)
        try all.withUnsafeMutableBufferPointer { buffer in
            try Self.check(rank: rank) { plasticity_mpi_gather(value, buffer.baseAddress, $0, $1) }
        }
        return all
    }

    public func barrier() throws { try Self.check(rank: rank) { plasticity_mpi_barrier($0, $1) } }

    /// MPI_Finalize: every process calls it once at the end of a run that succeeded.
    public func finish() {
        guard !finished else { return }
        finished = true
        _ = plasticity_mpi_finalize()
    }

    /// Ends every process of the job (after this one printed why): the others may be waiting in a
    /// collective call this one will never make.
    public func abort(code: Int32) -> Never {
        plasticity_mpi_abort(code)
        exit(code)
    }

    private static func check(rank: Int, _ call: (UnsafeMutablePointer<CChar>, Int) -> Int32) throws {
        var message = [CChar](repeating: 0, count: 512)
        let status = message.withUnsafeMutableBufferPointer { call($0.baseAddress!, $0.count) }
        guard status == 0 else {
            throw ProcessGroupError(rank: rank, message: String(decoding: message.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self))
        }
    }
}

/// FNV-1a (64 bits) over what is added: a cheap fingerprint for processes to compare their inputs.
struct Fingerprint {
    private(set) var value: UInt64 = 0xcbf2_9ce4_8422_2325
    mutating func add(_ bytes: some Sequence<UInt8>) {
        for byte in bytes { value = (value ^ UInt64(byte)) &* 0x0000_0100_0000_01b3 }
    }
    mutating func add(_ text: String) { add(text.utf8) }
    mutating func add(_ number: Int) { withUnsafeBytes(of: number.littleEndian) { add($0) } }
}
