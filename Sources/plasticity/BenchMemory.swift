import ArgumentParser
import Foundation
import Plasticity
import PlasticityData

/// Peak resident memory of gradient computation against sequence length and network size:
/// e-prop streams the sequence through the kernel in chunks (memory independent of T), the
/// BPTT oracle keeps every step's local Jacobians (memory linear in T). Each point runs in its
/// own process, since the peak (VmHWM) is per process.
struct BenchMemory: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "memory",
                                                    abstract: "Peak RSS of e-prop vs the BPTT oracle against T and network size.")
    @Option(help: "Comma-separated sequence lengths.") var steps = "100,1000,10000"
    @Option(help: "Comma-separated recurrent LIF layer sizes (100 inputs, 10 outputs).") var neurons = "64,256"
    @Option(parsing: .unconditional, help: "Sequences per batch.") var batch = 4
    @Option(help: "Comma-separated: eprop, bptt.") var methods = "eprop,bptt"
    @Option(parsing: .unconditional, help: "Longest T the BPTT oracle is run for (its time grows with T).") var bpttMaxSteps = 10_000
    @Option(help: "Write the plot (SVG) here.") var svg: String?
    @Flag var json = false
    /// Internal: measure one point in this process and print its peak RSS in MB.
    @Option(parsing: .unconditional, help: "e-prop: steps per chunk of time-chunked exact traces (0: every step).") var chunkSteps = 100
    @Option(help: .hidden) var single: String?
    @Option(help: "Delays on the input projection: none, axonal or synaptic.") var delays = TaskCommand.DelayChoice.none
    @Option(parsing: .unconditional, help: "The largest delay D in steps (with --delays).") var maxDelay = 16
    @Flag(help: "Learnable delays (with --delays).") var learnableDelays = false
    @Option(help: "How synaptic delays run: taps (every lag a column) or events (scattered by delay; chunked traces only).")
    var delayForm = DelaySpec.Form.taps
    @Option(parsing: .unconditional, help: "Recurrent LIF layers of the network, each of --neurons.") var layers = 1
    @Option(help: "The layers whose input projection has the delays: first, between (the layers above the first) or all.")
    var delayedLayers = TrainConfig.DelayedLayers.first
    @Option(help: "The projection that has the delays: input, or recurrent (the layer's own spikes).")
    var delayedSource = LayerSpec.Source.input

    static let chunk = 100

    func run() throws {
        if let single { try measure(single); return }
        var rows: [[String: Any]] = []
        if !json { print("| method | neurons | T | peak RSS MB |\n|---|---|---|---|") }
        let binary = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
        var series: [String: [(Double, Double)]] = [:]
        for method in methods.split(separator: ",").map(String.init) {
            for n in neurons.split(separator: ",").compactMap({ Int($0) }) {
                for T in steps.split(separator: ",").compactMap({ Int($0) }) where method == "eprop" || T <= bpttMaxSteps {
                    let p = Process()
                    let pipe = Pipe()
                    p.executableURL = binary
                    p.arguments = ["bench", "memory", "--single", "\(method),\(n),\(T)", "--batch", "\(batch)", "--chunk-steps", "\(chunkSteps)",
                                   "--delays", delays.rawValue, "--max-delay", "\(maxDelay)", "--layers", "\(layers)",
                                   "--delayed-layers", delayedLayers.rawValue, "--delayed-source", delayedSource.rawValue,
                                   "--delay-form", delayForm.rawValue]
                        + (learnableDelays ? ["--learnable-delays"] : [])
                    p.standardOutput = pipe
                    try p.run()
                    let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
                    p.waitUntilExit()
                    guard p.terminationStatus == 0, let megabytes = Double(output.trimmingCharacters(in: .whitespacesAndNewlines)) else {
                        throw ValidationError("the \(method) point n=\(n), T=\(T) failed (exit \(p.terminationStatus))")
                    }
                    rows.append(["method": method, "neurons": n, "steps": T, "batch": batch, "peak_rss_mb": megabytes])
                    series["\(method) n=\(n)", default: []].append((log10(Double(T)), megabytes))
                    if !json { print(String(format: "| %@ | %d | %d | %.1f |", method, n, T, megabytes)); fflush(nil) }
                }
            }
        }
        if json {
            print(String(decoding: try JSONSerialization.data(withJSONObject: rows, options: [.prettyPrinted, .sortedKeys]), as: UTF8.self))
        }
        if let svg {
            let chart = SVG.lineChart(title: "peak RSS (MB) vs log10 T, batch \(batch)",
                                      series: series.keys.sorted().map { ($0, series[$0]!) }, xLabel: "log10 T (steps)")
            try WriteContract.write(Data(chart.utf8), to: URL(fileURLWithPath: svg), flag: "--svg")
        }
    }

    /// One point: a recurrent LIF network 100 → n (→ n …) → 10 with Bernoulli(0.05) input and a label
    /// at every step, gradients by e-prop (fed in calls of 100 steps, traces chunked by
    /// `chunkSteps`) or by the BPTT oracle.
    func measure(_ point: String) throws {
        let parts = point.split(separator: ",").map(String.init)
        guard parts.count == 3, let n = Int(parts[1]), let T = Int(parts[2]) else { throw ValidationError("--single method,neurons,T") }
        let setup = BenchNetwork.Setup(name: "", inputs: 100, model: Models.lif(), neurons: n, outputs: 10, batch: batch, rate: 0.05, layers: layers)
        let delaySpec = DelaySpec.Kind(rawValue: delays.rawValue).map {
            DelaySpec($0, maxSteps: maxDelay, learnable: learnableDelays, form: $0 == .synaptic ? delayForm : .taps)
        }
        let spec = BenchNetwork.network(setup, delays: delaySpec, on: delayedLayers, source: delayedSource)
        let sim = try NetworkSimulation(kernel: try compile(spec, backend: .tinyCC), batch: batch,
                                        chunkSteps: parts[0] == "eprop" ? chunkSteps : 0)
        sim.initializeWeights(seed: 2, inputGain: 2, recurrentGain: 0.3)
        var rng = SplitMix64(seed: 1)
        func chunk(_ steps: Int) -> (input: [Float], targets: [Float]) {
            ((0..<steps * batch * 100).map { _ in rng.next() % 100 < 5 ? 1 : 0 }, (0..<steps * batch).map { Float($0 % 10) })
        }
        if parts[0] == "bptt" {
            let (input, targets) = chunk(T)
            _ = try backpropagationThroughTime(sim, input: input, targets: targets, steps: T)
        } else {
            sim.resetSequence(); sim.zeroGradients()
            var done = 0
            while done < T {
                let steps = min(Self.chunk, T - done)
                let (input, targets) = chunk(steps)
                _ = sim.run(input: input, targets: targets, steps: steps)
                done += steps
            }
        }
        print(String(format: "%.1f", peakResidentMegabytes()))
    }
}
