import ArgumentParser
import Foundation
import Plasticity
import PlasticityData
import PlasticityTestSupport

/// Throughput of the fused network kernel on the fixed reference configurations (docs/benchmarks.md).
struct BenchNetwork: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "network", abstract: "Seconds per batch of e-prop training steps on fixed networks.")
    @Option(help: "Comma-separated configurations (R2: R with a second recurrent layer of 256).")
    var configs = CommaSeparated(SetupName.allCases.filter { $0 != .r2 })
    @Option(help: "Comma-separated backends; handC is the hand-written C e-prop of runtime-c (-O3), LIF and ALIF only.")
    var backends = CommaSeparated(BenchBackend.allCases)
    @Option(parsing: .unconditional) var repeats = 5
    @Option(help: "Comma-separated thread counts (the batch is split over threads).") var threads = CommaSeparated([1])
    @Option(parsing: .unconditional, help: "Override T (steps per sequence).") var steps: Int?
    @Option(parsing: .unconditional, help: "Override the batch size B.") var batch: Int?
    @Option(help: "Comma-separated input spike probabilities per step (default: each config's, 0.05).") var inputRates: CommaSeparated<Double>?
    @Option(help: "Comma-separated chunk lengths K of time-chunked exact traces; 0 is step by step.") var chunks = CommaSeparated([0, 100])
    @Option(help: "Comma-separated fractions of hidden neurons that can fire (the others get no input weights, so stay silent).")
    var activeFractions = CommaSeparated([1.0])
    @Option(help: "A model file (plasticity-model JSON) to use as the hidden model of every configuration.") var modelFile: String?
    @Option(help: "Delays on the input projection: none, axonal or synaptic.") var delays = TaskCommand.DelayChoice.none
    @Option(help: "The layers whose input projection has the delays: first, between (the layers above the first) or all.")
    var delayedLayers = TrainConfig.DelayedLayers.first
    @Option(help: "The projection that has the delays: input, or recurrent (the layer's own spikes).")
    var delayedSource = LayerSpec.Source.input
    @Option(help: "Comma-separated largest delays D in steps (with --delays).") var maxDelays = CommaSeparated([16])
    @Flag(help: "Learnable delays (with --delays); fixed ones otherwise.") var learnableDelays = false
    @Option(help: "How synaptic delays run: taps (every lag a column) or events (scattered by delay; chunked traces only).")
    var delayForm = DelaySpec.Form.taps

    enum SetupName: String, CaseIterable, ExpressibleByArgument {
        case r = "R", rALIF = "R-ALIF", n100 = "N100", n400 = "N400", s = "S", r2 = "R2"
    }
    enum BenchBackend: String, CaseIterable, ExpressibleByArgument { case tinyCC, systemCC, handC }
    @Flag(help: "After the timings, each variant's seconds per phase from profiled batches, beside the roofline bound of each phase.")
    var profile = false
    @Flag(help: "Print JSON instead of the markdown table.") var json = false
    @Option(help: "Also write the rows as JSON to this file (atomically), from the same run as the table.") var jsonFile: String?

    struct Setup {
        var name: String; var inputs: Int; var model: NeuronModel; var neurons: Int; var outputs: Int; var batch: Int; var rate: Double
        var layers = 1
    }
    static let setups: [SetupName: Setup] = [
        .r: .init(name: "R", inputs: 100, model: Models.lif(), neurons: 256, outputs: 10, batch: 32, rate: 0.05),
        .rALIF: .init(name: "R-ALIF", inputs: 100, model: Models.alif(), neurons: 256, outputs: 10, batch: 32, rate: 0.05),
        .n100: .init(name: "N100", inputs: 100, model: Models.lif(), neurons: 100, outputs: 1, batch: 1, rate: 0.05),
        .n400: .init(name: "N400", inputs: 100, model: Models.lif(), neurons: 400, outputs: 1, batch: 1, rate: 0.05),
        .s: .init(name: "S", inputs: 700, model: Models.alif(), neurons: 256, outputs: 20, batch: 32, rate: 0.05),
        .r2: .init(name: "R2", inputs: 100, model: Models.lif(), neurons: 256, outputs: 10, batch: 32, rate: 0.05, layers: 2),
    ]

    /// The network of a setup: `layers` recurrent layers (the lower ones learn by random feedback),
    /// with `delays` on the input (or the recurrent) projections of the `delayedLayers`.
    static func network(_ setup: Setup, delays: DelaySpec?, on delayedLayers: TrainConfig.DelayedLayers,
                        source: LayerSpec.Source = .input) -> NetworkSpec {
        let hidden = (0..<setup.layers).map { l in
            var layer = LayerSpec(setup.model, neurons: setup.neurons, recurrent: true, feedback: l == setup.layers - 1 ? .symmetric : .random)
            if delayedLayers.contains(l) { layer.projections[source == .input ? 0 : 1].delays = delays }
            return layer
        }
        return NetworkSpec(inputs: setup.inputs, hidden: hidden, outputs: setup.outputs, kappa: exp(-1.0 / 20))
    }

    /// One measured combination of backend, chunk length and threads, with its own simulation.
    struct Variant {
        var backend: String, handWritten: Bool, chunk: Int, threads: Int
        var simulation: NetworkSimulation
        var compileMilliseconds: Double
        var seconds: [Double] = []

        /// Wall seconds of one batch of T steps from a reset state.
        func time(input: [Float], targets: [Float], steps: Int) throws -> Double {
            simulation.resetSequence(); simulation.zeroGradients()
            let start = DispatchTime.now().uptimeNanoseconds
            if handWritten { _ = try HandWrittenEProp.run(simulation, input: input, targets: targets, steps: steps) } else {
                _ = simulation.run(input: input, targets: targets, steps: steps, countSpikes: true)
            }
            return Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        }
    }

    func run() throws {
        var rows: [[String: Any]] = [], profileTables: [String] = []
        if !json {
            print("| config | backend | chunk K | threads | input rate | active fraction | delays | hidden spikes/neuron/step | s/batch " +
                  "(median of \(repeats), round-robin) | synapse-updates/s | compile ms | process peak RSS MB |")
            print("|---|---|---|---|---|---|---|---|---|---|---|---|")
        }
        let fileModel = try modelFile.map { try NeuronModel.read(URL(fileURLWithPath: $0)) }
        for setupName in configs.values {
            var base = Self.setups[setupName]!
            if let fileModel { base.model = fileModel; base.name += "-\(fileModel.name)" }
            let name = base.name
            let delaySteps = delays == .none ? [0] : maxDelays.values
            let settings = (inputRates?.values ?? [base.rate]).flatMap { r in activeFractions.values.flatMap { f in delaySteps.map { (r, f, $0) } } }
            for (rate, fraction, maxDelay) in settings {
            var setup = base
            setup.rate = rate
            setup.batch = batch ?? setup.batch
            let T = steps ?? 1000
            let kind = DelaySpec.Kind(rawValue: delays.rawValue)
            let delaySpec = kind.map { DelaySpec($0, maxSteps: maxDelay, learnable: learnableDelays, form: $0 == .synaptic ? delayForm : .taps) }
            let spec = Self.network(setup, delays: delaySpec, on: delayedLayers, source: delayedSource)
            var delayName = "none"
            if let kind {
                delayName = "\(kind.rawValue)\(learnableDelays ? " learnable" : " fixed") D=\(maxDelay)" +
                    (setup.layers > 1 ? " (\(delayedLayers.rawValue))" : "") + (delayedSource == .recurrent ? " recurrent" : "") +
                    (delaySpec?.runsAsEvents == true ? " events" : "")
            }
            var rng = SplitMix64(seed: 1)
            let input = (0..<T * setup.batch * setup.inputs).map { _ in Double(rng.next() >> 11) / Double(1 << 53) < setup.rate ? Float(1) : 0 }
            let targets = (0..<T * setup.batch).map { Float($0 % setup.outputs) }
            // Every variant of this setup is built first, then timed round-robin (one run of each in
            // turn, `repeats` rounds after a warm-up round), so that drift of the machine's speed
            // during the run affects all variants alike and their ratios stay comparable.
            var variants: [Variant] = []
            // handC: LIF and ALIF without delays only
            for benchBackend in backends.values where !(benchBackend == .handC && (fileModel != nil || delays != .none)) {
                let handWritten = benchBackend == .handC, backendName = benchBackend.rawValue
                let kernel = try compile(spec, backend: handWritten ? .systemCC : Backend(rawValue: backendName)!)
                for chunk in chunks.values where !(handWritten && chunk > 0) {
                    for threadCount in threads.values where !(handWritten && threadCount > 1) {
                        let sim = try NetworkSimulation(kernel: kernel, batch: setup.batch, chunkSteps: chunk)
                        sim.initializeWeights(seed: 2, inputGain: 2, recurrentGain: 0.3)
                        silence(sim, keeping: fraction)
                        sim.threads = threadCount
                        variants.append(Variant(backend: backendName, handWritten: handWritten, chunk: chunk, threads: threadCount, simulation: sim,
                                                compileMilliseconds: handWritten ? 0 : kernel.compileMilliseconds))
                    }
                }
            }
            for round in 0...repeats {
                for index in variants.indices {
                    let seconds = try variants[index].time(input: input, targets: targets, steps: T)
                    if round > 0 { variants[index].seconds.append(seconds) }   // round 0 warms up
                }
            }
            let rss = peakResidentMegabytes()
            let profiles = profile ? try profileVariants(variants, name: name, input: input, targets: targets, steps: T, batch: setup.batch) : [:]
            profileTables += variants.indices.flatMap { profiles[$0]?.table ?? [] }
            for (index, variant) in variants.enumerated() {
                let sorted = variant.seconds.sorted(), median = sorted[sorted.count / 2]
                let synapses = Double(setup.neurons * (setup.inputs + setup.neurons) * setup.batch * T)
                let spikeCount = variant.simulation.layers[0].spikeCount
                let spikesPerStep = spikeCount.map { Double($0.array.reduce(0, +)) / Double(T * setup.batch * setup.neurons) } ?? .nan
                rows.append(["config": name, "backend": variant.backend, "chunk": variant.chunk, "threads": variant.threads, "input_rate": rate,
                             "active_fraction": fraction, "delays": delayName, "hidden_rate": spikesPerStep.isFinite ? spikesPerStep : NSNull(),
                             "seconds_per_batch": median, "seconds_all": variant.seconds, "synapse_updates_per_second": synapses / median,
                             "compile_ms": variant.compileMilliseconds, "peak_rss_mb": rss, "steps": T, "batch": setup.batch]
                             .merging(profiles[index].map { ["profile": $0.json] } ?? [:]) { $1 })
                if !json {
                    print(String(format: "| %@ | %@ | %d | %d | %.2f | %.2f | %@ | %.4f | %.4f | %.3g | %.1f | %.0f |", name, variant.backend,
                                 variant.chunk, variant.threads, rate, fraction, delayName,
                                 spikesPerStep, median, synapses / median, variant.compileMilliseconds, rss))
                    fflush(nil)
                }
            }
            }
        }
        if !json { profileTables.forEach { print($0) } }
        let data = try JSONSerialization.data(withJSONObject: rows, options: [.prettyPrinted, .sortedKeys])
        if json { print(String(decoding: data, as: UTF8.self)) }
        if let jsonFile { try WriteContract.write(data, to: URL(fileURLWithPath: jsonFile), flag: "--json-file") }
    }
}

/// Zeroes every input weight (from the inputs and the recurrent ones) of hidden neurons
/// j ≥ fraction·n: they never cross threshold, so only a `fraction` of the layer is active.
func silence(_ sim: NetworkSimulation, keeping fraction: Double) {
    guard fraction < 1 else { return }
    for (l, layer) in sim.layers.enumerated() {
        let kept = Int((fraction * Double(layer.neurons)).rounded())
        for weights in layer.weights.indices.map({ sim.weights(layer: l, projection: $0) }) {
            let pre = weights.count / layer.neurons
            for j in kept..<layer.neurons { for i in 0..<pre { weights[j * pre + i] = 0 } }
        }
    }
}

/// VmHWM of this process, from /proc.
func peakResidentMegabytes() -> Double {
    guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
          let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmHWM:") }) else { return 0 }
    return (Double(line.split(separator: " ").dropFirst().first ?? "0") ?? 0) / 1024
}
