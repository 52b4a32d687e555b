/// The phases a profiled run splits its time into (`plasticity bench network --profile`;
/// docs/benchmarks.md, "Roofline"). Each operation of the kernel IR belongs to one; the generated C
/// ends a phase after each operation (`PLASTICITY_LAP`), so the phases add up to the whole run.
/// The raw values are the slots of `runtime-c/include/plasticity_kernel.h` (`KernelIRTests` checks them).
public enum ProfilePhase: Int, CaseIterable, Sendable, CustomStringConvertible {
    case inputGather, recurrentGather, neuronBody, readoutAndLoss, learningSignal, tracePropagation, gradientAccumulation, chunkCarry, other

    /// The phase's macro in the kernel header.
    public var cName: String {
        switch self {
        case .inputGather: return "PLASTICITY_PHASE_INPUT_GATHER"
        case .recurrentGather: return "PLASTICITY_PHASE_RECURRENT_GATHER"
        case .neuronBody: return "PLASTICITY_PHASE_NEURON_BODY"
        case .readoutAndLoss: return "PLASTICITY_PHASE_READOUT_LOSS"
        case .learningSignal: return "PLASTICITY_PHASE_LEARNING_SIGNAL"
        case .tracePropagation: return "PLASTICITY_PHASE_TRACE_PROPAGATION"
        case .gradientAccumulation: return "PLASTICITY_PHASE_GRADIENT_ACCUMULATION"
        case .chunkCarry: return "PLASTICITY_PHASE_CHUNK_CARRY"
        case .other: return "PLASTICITY_PHASE_OTHER"
        }
    }

    public var description: String {
        switch self {
        case .inputGather: return "input gather"
        case .recurrentGather: return "recurrent gather"
        case .neuronBody: return "neuron body"
        case .readoutAndLoss: return "readout and loss"
        case .learningSignal: return "learning signals"
        case .tracePropagation: return "trace propagation"
        case .gradientAccumulation: return "gradient accumulation"
        case .chunkCarry: return "chunk carry"
        case .other: return "checks and copies"
        }
    }

    /// Slots of a profile buffer: the phases' cycles, two event counts per layer, the last lap.
    public static let eventSlot = allCases.count
    public static let lastSlot = eventSlot + 2 * NetworkSpec.maxHiddenLayers
    public static let slotCount = lastSlot + 1

    /// The C statement that ends this phase, for the profile buffer `profile` (a C expression).
    func lap(_ profile: String) -> String { "PLASTICITY_LAP(\(profile), \(cName));" }
}

/// For each statement of a list, the phase whose lap follows it: an operation's own, unless the
/// next statement is an operation of the same phase (one lap then covers both).
func profileLaps<Operation>(_ statements: [KernelStatement<Operation>], _ phase: (Operation) -> ProfilePhase?) -> [ProfilePhase?] {
    statements.indices.map { k in
        guard case .run(let op) = statements[k], let own = phase(op) else { return nil }
        if k + 1 < statements.count, case .run(let next) = statements[k + 1], phase(next) == own { return nil }
        return own
    }
}

extension LayerStepOperation {
    /// The phase the operation's time goes to; nil inside the loop over neurons (timed as a whole:
    /// a lap per neuron would cost more than the work) and for a channel's current, which ends a
    /// phase after each projection's rows.
    func phase(in layout: KernelLayout) -> ProfilePhase? {
        switch self {
        case .gather(let p, _): return layout.projections[p].source == .input ? .inputGather : .recurrentGather
        case .current: return nil   // a lap per projection, each to its gather's phase
        case .noise, .body, .instantGain, .recordCopies, .stores, .records, .nextSpikes: return .neuronBody
        case .presynapticTrace: return .tracePropagation
        case .temporaries, .synapseTraces, .traceSums, .parameterTrace: return nil
        }
    }
}

extension NetworkOperation {
    /// The phase the operation's time goes to; nil where the operation ends its own phases (a
    /// layer's step, the chunk passes of `runtime-c/plasticity_chunk.c`).
    var phase: ProfilePhase? {
        switch self {
        case .startChunk, .keepSpikes, .keepTaps, .delayOwnSpikes, .keepReadoutTrace, .checkFinite: return .other
        case .delayLine: return .inputGather
        case .layerStep: return nil
        case .readout, .recordReadout, .loss, .readoutGradient, .chunkReadout: return .readoutAndLoss
        case .learningSignal: return .learningSignal
        case .synapseGradient, .parameterGradient, .chunkFlush: return .gradientAccumulation
        case .chunkTraces: return nil
        }
    }
}
