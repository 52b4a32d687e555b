/// The cycles a profiled network kernel spent in each phase and the presynaptic events it
/// gathered, summed over every `run` since it was made (`NetworkSimulation.profile`;
/// `plasticity bench network --profile`; docs/benchmarks.md, "Roofline"). Cycles are the
/// time-stamp counter's (x86-64; zero elsewhere); each thread counts its own, and the sums add them.
public final class KernelProfile {
    /// Cycles per phase, indexed by `ProfilePhase.rawValue`.
    public private(set) var cycles = [UInt64](repeating: 0, count: ProfilePhase.allCases.count)
    /// Per hidden layer: the nonzero presynaptic entries its input projections gathered, and its
    /// recurrent projections (each projection's gather counts once per step and sequence).
    public private(set) var inputEvents = [UInt64](repeating: 0, count: NetworkSpec.maxHiddenLayers)
    public private(set) var recurrentEvents = [UInt64](repeating: 0, count: NetworkSpec.maxHiddenLayers)
    private var buffer: UnsafeMutablePointer<UInt64>
    private var sliceCapacity = 1

    public init() {
        buffer = .allocate(capacity: ProfilePhase.slotCount)
        buffer.initialize(repeating: 0, count: ProfilePhase.slotCount)
    }
    deinit { buffer.deallocate() }

    /// Zeroed slots for `slices` calls side by side.
    func prepare(slices: Int) {
        if slices > sliceCapacity {
            buffer.deallocate()
            buffer = .allocate(capacity: slices * ProfilePhase.slotCount)
            sliceCapacity = slices
        }
        buffer.initialize(repeating: 0, count: slices * ProfilePhase.slotCount)
    }

    /// Slice s's slots: `PLASTICITY_PROFILE_SLOTS` counters.
    func slots(of slice: Int) -> UnsafeMutablePointer<UInt64> { buffer + slice * ProfilePhase.slotCount }

    /// Adds the slices' counters to the sums.
    func collect(slices: Int) {
        for s in 0..<slices {
            let slots = self.slots(of: s)
            for phase in cycles.indices { cycles[phase] += slots[phase] }
            for l in inputEvents.indices {
                inputEvents[l] += slots[ProfilePhase.eventSlot + 2 * l]
                recurrentEvents[l] += slots[ProfilePhase.eventSlot + 2 * l + 1]
            }
        }
    }
}
