import Foundation
import Testing
@testable import Plasticity
import PlasticityRuntime
import PlasticityTestSupport

/// A profiled run (`NetworkSimulation.profile`, docs/benchmarks.md, "Roofline") counts the
/// presynaptic events each layer gathered exactly — checked against the input and the recorded
/// spikes — and computes the same floats as an unprofiled one.
@Suite struct ProfileTests {
    @Test(arguments: [(Backend.tinyCC, 0), (.tinyCC, 30), (.systemCC, 30)])
    func eventsAreCountedAndResultsUnchanged(backend: Backend, chunk: Int) throws {
        let (T, batch, nIn, nOut) = (70, 3, 12, 3)
        let spec = NetworkSpec(inputs: nIn, hidden: [.init(Models.lif(), neurons: 20, recurrent: true, feedback: .random),
                                                     .init(Models.alif(beta: 0.2), neurons: 10, recurrent: true)],
                               outputs: nOut, kappa: 0.9)
        let kernel = try compile(spec, backend: backend)
        var rng = SplitMix64(seed: 9)
        let input = (0..<T * batch * nIn).map { _ in rng.next() % 7 == 0 ? Float(1) : 0 }
        let targets = (0..<T * batch).map { Float($0 % nOut) }
        func run(profiled: Bool) throws -> (NetworkSimulation, NetworkRunResult) {
            let sim = try NetworkSimulation(kernel: kernel, batch: batch, chunkSteps: chunk)
            sim.initializeWeights(seed: 4, inputGain: 4, recurrentGain: 0.5)
            if profiled { sim.profile = KernelProfile() }
            let result = sim.run(input: input, targets: targets, steps: T, recordSpikes: true)
            #expect(result.failure == nil)
            return (sim, result)
        }
        let (plain, expected) = try run(profiled: false), (sim, result) = try run(profiled: true)
        let profile = try #require(sim.profile)

        // layer 0 gathers the input at every step and its own spikes of the step before (none before
        // the first); layer 1 gathers layer 0's spikes of the same step and its own of the step before
        let perStep = { (record: [Float], n: Int) in (0..<T).map { t in record[(t * batch * n)..<((t + 1) * batch * n)].filter { $0 != 0 }.count } }
        let spikes = [perStep(result.spikes[0], 20), perStep(result.spikes[1], 10)]
        #expect(profile.inputEvents[0] == UInt64(input.filter { $0 != 0 }.count))
        #expect(profile.recurrentEvents[0] == UInt64(spikes[0].dropLast().reduce(0, +)))
        #expect(profile.inputEvents[1] == UInt64(spikes[0].reduce(0, +)))
        #expect(profile.recurrentEvents[1] == UInt64(spikes[1].dropLast().reduce(0, +)))
        #expect(spikes.allSatisfy { $0.reduce(0, +) > 0 })

        // the same floats
        #expect(result.spikes == expected.spikes)
        #expect(result.loss == expected.loss)
        for (a, b) in zip(sim.weightGradients.flatMap { $0 }, plain.weightGradients.flatMap { $0 }) { #expect(a.array == b.array) }
        #expect(sim.readoutWeightGradient.array == plain.readoutWeightGradient.array)

        #if arch(x86_64)
        // every phase that does work in this mode was timed; the chunk passes only when chunked
        let timed = Set(ProfilePhase.allCases.filter { profile.cycles[$0.rawValue] > 0 })
        let always: Set<ProfilePhase> = [.inputGather, .recurrentGather, .neuronBody, .readoutAndLoss, .learningSignal, .tracePropagation]
        #expect(always.isSubset(of: timed), "\(timed)")
        #expect(timed.contains(.chunkCarry) == (chunk > 0))
        #endif
    }

    /// The phases and slots of `ProfilePhase` are the header's.
    @Test func phasesAreTheHeaders() throws {
        let header = try String(contentsOf: TestPaths.runtimeHeader, encoding: .utf8)
        for phase in ProfilePhase.allCases {
            #expect(header.contains(try Regex("#define \(phase.cName) \(phase.rawValue)\\b")), "\(phase.cName)")
        }
        #expect(Int(PLASTICITY_PHASES) == ProfilePhase.allCases.count)
        #expect(Int(PLASTICITY_PROFILE_EVENTS) == ProfilePhase.eventSlot)
        #expect(Int(PLASTICITY_PROFILE_LAST) == ProfilePhase.lastSlot)
        #expect(Int(PLASTICITY_PROFILE_SLOTS) == ProfilePhase.slotCount)
    }
}
