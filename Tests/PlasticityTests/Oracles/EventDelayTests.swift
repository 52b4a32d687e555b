import Testing
import Foundation
@testable import Plasticity
import PlasticityTestSupport

/// Synaptic delays in event form (`DelaySpec.Form.events`): the kernel scatters each input event
/// to the steps it arrives at and keeps two taps per synapse, where the tap form keeps every lag
/// 0…D+1 of each input. Both are the same sums in another order, so e-prop of the event form
/// equals e-prop of the tap form of the same network and values, and through it exact BPTT
/// (`DelayTests`, `HiddenDelayTests` check the tap form against BPTT and finite differences).
@Suite struct EventDelayTests {
    /// `spec` with every synaptic delay in `form`.
    static func with(_ spec: NetworkSpec, form: DelaySpec.Form) -> NetworkSpec {
        var spec = spec
        for l in spec.hidden.indices {
            for p in spec.hidden[l].projections.indices where spec.hidden[l].projections[p].delays != nil {
                spec.hidden[l].projections[p].delays!.form = form
            }
        }
        return spec
    }

    /// Simulations of `spec` in event form and in tap form, with the same weights and delays.
    static func twins(_ spec: NetworkSpec, backend: Backend = .tinyCC, batch: Int, chunkSteps: Int, seed: UInt64, gain: Double)
        throws -> (events: NetworkSimulation, taps: NetworkSimulation) {
        let events = try NetworkSimulation(kernel: try compile(with(spec, form: .events), backend: backend), batch: batch, chunkSteps: chunkSteps)
        let taps = try NetworkSimulation(kernel: try compile(with(spec, form: .taps), backend: backend), batch: batch, chunkSteps: chunkSteps)
        events.initializeWeights(seed: seed, inputGain: gain)
        taps.initializeWeights(seed: seed, inputGain: gain)
        for (mine, theirs) in zip(taps.trainableTensors, events.trainableTensors) {
            #expect(mine.id == theirs.id)
            mine.value.array = theirs.value.array
        }
        return (events, taps)
    }

    /// e-prop of the event form over the sequence in two calls against the tap form's e-prop
    /// (same calls) and exact BPTT over the tap form: every tensor, cosine ≥ 0.99999 and max error
    /// ≤ 1e-4 of the largest entry; the losses equal to 1e-4.
    static func expectEventsEqualTaps(_ spec: NetworkSpec, backend: Backend = .tinyCC, chunkSteps: Int, steps T: Int, batch B: Int,
                                      skipping skipped: @escaping (TensorID) -> Bool = { _ in false }, _ label: String) throws {
        let (events, taps) = try twins(spec, backend: backend, batch: B, chunkSteps: chunkSteps, seed: 3, gain: 3)
        let input = DelayTests.spikes(T * B * spec.inputs, rate: 0.2, seed: 4)
        let targets = (0..<T * B).map { Float($0 % 3) }
        let half = T / 2 * B
        events.resetSequence(); events.zeroGradients()
        let first = events.run(input: Array(input[..<(half * spec.inputs)]), targets: Array(targets[..<half]), steps: T / 2)
        let second = events.run(input: Array(input[(half * spec.inputs)...]), targets: Array(targets[half...]), steps: T - T / 2)
        #expect(first.failure == nil && second.failure == nil)
        let (viaTaps, bptt) = try DelayTests.twoCallsAndBPTT(taps, input: input, targets: targets, steps: T)
        #expect(abs(first.loss + second.loss - bptt.loss) <= 1e-4 * bptt.loss, "\(label): loss")
        let eprop = events.accumulatedGradients
        #expect(eprop.named.map(\.id) == viaTaps.named.map(\.id))
        DelayTests.expectEqual(eprop, viaTaps, skipping: skipped, "\(label) events against taps")
        DelayTests.expectEqual(eprop, bptt, skipping: skipped, "\(label) events against BPTT")
    }

    /// One layer, the exact setting (no recurrence, symmetric feedback, a loss at every step):
    /// learnable and fixed synaptic delays, LIF (whose trace the tap form shares per input) and
    /// ALIF, both backends, chunks shorter than D (events from chunks before the last) and longer.
    @Test(arguments: [true, false], [(6, 4), (6, 40), (30, 7)])
    func epropOfEventsEqualsTapsAndBPTT(_ learnable: Bool, _ sizes: (maxSteps: Int, chunkSteps: Int)) throws {
        for name in ["lif", "alif"] {
            let spec = DelayTests.network(Models.builtin(named: name)!, kind: .synaptic, learnable: learnable, maxSteps: sizes.maxSteps)
            for backend in [Backend.tinyCC, .systemCC] {
                try Self.expectEventsEqualTaps(spec, backend: backend, chunkSteps: sizes.chunkSteps, steps: 90, batch: 3,
                                               "\(name) learnable \(learnable) D=\(sizes.maxSteps) K=\(sizes.chunkSteps) \(backend)")
            }
        }
    }

    /// Between layers: layer 1 reads layer 0's spikes through synaptic delays in event form; its
    /// tensors (and the readout's) equal the tap form's and BPTT's.
    @Test func betweenLayers() throws {
        let spec = HiddenDelayTests.network(Models.builtin(named: "alif")!, kind: .synaptic, learnable: true)
        try Self.expectEventsEqualTaps(spec, chunkSteps: 25, steps: 100, batch: 2, skipping: { $0.name.hasPrefix("layer0.") }, "between layers")
    }

    /// The sums over the sequence the spoken-digit recipe needs — Σ_t ē for a loss of the mean
    /// readout, Σ e for the firing-rate regularization — per tap: the event form's gradients equal
    /// the tap form's (cosine ≥ 0.99999, max error ≤ 1e-4) and so do the losses (1e-4), K < D.
    @Test func sumsOverTheSequence() throws {
        var spec = DelayTests.network(Models.builtin(named: "alif")!, kind: .synaptic, learnable: true, recurrent: true, maxSteps: 8)
        spec.loss = .crossEntropySummed
        spec.rateRegularization = .init(target: 0.02, strength: 0.5)
        let (T, B) = (60, 3)
        let (events, taps) = try Self.twins(spec, batch: B, chunkSteps: 7, seed: 5, gain: 3)
        let input = DelayTests.spikes(T * B * spec.inputs, rate: 0.2, seed: 6), targets = (0..<T * B).map { Float($0 % 3) }
        var losses: [Double] = []
        for sim in [events, taps] {
            sim.resetSequence(); sim.zeroGradients()
            let result = sim.run(input: input, targets: targets, steps: T)
            #expect(result.failure == nil)
            losses.append(result.loss)
        }
        #expect(abs(losses[0] - losses[1]) <= 1e-4 * abs(losses[1]))
        DelayTests.expectEqual(events.accumulatedGradients, taps.accumulatedGradients, "sums")
    }

    /// Two threads (each a slice of the sequences, with its own rows of the rings) give the
    /// gradients of one (1e-5 relative).
    @Test func threadsAgree() throws {
        let spec = Self.with(DelayTests.network(Models.builtin(named: "lif")!, kind: .synaptic, learnable: true, maxSteps: 9), form: .events)
        let (T, B) = (80, 4)
        let input = DelayTests.spikes(T * B * spec.inputs, rate: 0.2, seed: 8), targets = (0..<T * B).map { Float($0 % 3) }
        var results: [NetworkGradients] = []
        for threads in [1, 2] {
            let sim = try NetworkSimulation(kernel: try compile(spec), batch: B, chunkSteps: 30)
            sim.initializeWeights(seed: 9, inputGain: 3)
            sim.threads = threads
            sim.resetSequence(); sim.zeroGradients()
            #expect(sim.run(input: input, targets: targets, steps: T).failure == nil)
            results.append(sim.accumulatedGradients)
        }
        for ((id, a), (_, b)) in zip(results[0].named, results[1].named) {
            let c = compareGradients(b, a)
            #expect(c.maxRelativeError <= 1e-5, "\(id): max rel \(c.maxRelativeError)")
        }
    }

    /// The event form is refused where it cannot run — step by step, beside another input
    /// projection, on axonal delays, under the oracles — each time naming the field.
    @Test func refusals() throws {
        let spec = Self.with(DelayTests.network(Models.builtin(named: "lif")!, kind: .synaptic, learnable: true), form: .events)
        let kernel = try compile(spec)
        #expect(throws: NetworkError.self) { try NetworkSimulation(kernel: kernel, batch: 1, chunkSteps: 0) }
        do { _ = try NetworkSimulation(kernel: kernel, batch: 1, chunkSteps: 0) } catch {
            #expect("\(error)".contains("hidden[0].projections[0].delays.form events runs with chunked traces"))
        }
        let sim = try NetworkSimulation(kernel: kernel, batch: 1, chunkSteps: 10)
        do {
            _ = try backpropagationThroughTime(sim, input: [Float](repeating: 0, count: 5 * spec.inputs), targets: [0, 0, 0, 0, 0], steps: 5)
            Issue.record("BPTT ran the event form")
        } catch { #expect("\(error)".contains("exact BPTT runs synaptic delays as taps")) }
        var beside = spec
        beside.hidden[0].projections.append(.init(.input, into: "I"))
        do { _ = try beside.checked(); Issue.record("events beside another input projection") } catch {
            #expect("\(error)".contains("hidden[0].projections[0].delays.form events needs the layer's only input projection"))
        }
        var axonal = spec
        axonal.hidden[0].projections[0].delays!.kind = .axonal
        do { _ = try axonal.checked(); Issue.record("axonal events") } catch {
            #expect("\(error)".contains("hidden[0].projections[0].delays.form events is a form of synaptic delays"))
        }
    }

    /// The printed stages say how the layer reads its input; the C calls the arrivals and the
    /// delayed synapse pass; a config round trip keeps the form.
    @Test func stagesAndConfig() throws {
        let spec = Self.with(DelayTests.network(Models.builtin(named: "lif")!, kind: .synaptic, learnable: true, maxSteps: 8), form: .events)
        let stages = try lower(spec)
        #expect(stages.kernel.description.contains("synaptic learnable delays, D = 8, as events: x[t] at columns 0..<12"))
        #expect(stages.kernel.description.contains("then synapses of projections 0 (from delay_line[0][b] event rows)"))
        #expect(stages.text.contains("a->delay_arrivals(work0"))
        #expect(stages.text.contains("net->chunk_synapses_delayed(&c);"))
        let decoded = try JSONDecoder().decode(DelaySpec.self, from: JSONEncoder().encode(spec.hidden[0].projections[0].delays!))
        #expect(decoded.form == .events)
        let plain = try JSONDecoder().decode(DelaySpec.self, from: Data(#"{"kind": "synaptic"}"#.utf8))
        #expect(plain.form == .taps)
        // a config may name either form; a misspelled one is refused by field and value
        for form in ["taps", "events"] {
            let read = try ConfigFile.decode(DelaySpec.self, from: ["kind": "synaptic", "form": form], file: "delays.json")
            #expect(read.form.rawValue == form)
        }
        do { _ = try ConfigFile.decode(DelaySpec.self, from: ["kind": "synaptic", "form": "event"], file: "delays.json"); Issue.record("event") }
        catch { #expect("\(error)".contains("form") && "\(error)".contains("event")) }
    }
}
