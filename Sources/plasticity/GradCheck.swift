import ArgumentParser
import Foundation
import Plasticity
import PlasticityTestSupport

/// Gradients of one batch by e-prop (the fused kernel), exact BPTT and exact RTRL, written to a
/// safetensors file as `<method>.<tensor>`, with cosine and max relative error against the first
/// exact method given.
struct GradCheck: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gradcheck", abstract: "Compute and compare gradients: e-prop, BPTT, RTRL, finite differences.",
        discussion: """
            Each method is compared with the first exact one given (cosine, and the largest error relative to the tensor's largest \
            entry). Where they must agree, the test suite holds them to:
              BPTT vs RTRL (both exact): cosine >= 0.99999, max relative error <= 1e-4.
              e-prop vs BPTT where e-prop is exact (no recurrent weights, the readout's decay as the traces' kappa, one layer or \
            memoryless layers): cosine >= 0.99999, max relative error <= 1e-4. Elsewhere e-prop is an approximation by design.
              --finite-differences: BPTT of the network with smooth spikes (z = sigmoid(4 g) as a state, resets as blends) vs \
            central differences (step 1e-5) of a float64 forward pass of the model's equations: max relative error <= 1e-3 \
            per tensor (1e-2 for models with states in the hundreds, such as izhikevich and adex in mV, whose steep dynamics \
            amplify float32 rounding), over 6 entries each (the 3 largest and 3 random). BPTT differentiates the float32 \
            trajectory: on long sequences of strongly driven networks it drifts from the float64 one and the error grows \
            (ALIF, T = 300, input gain 3: 9e-3 for one seed, 7e-4 for another; the tests use T = 40).
            """)
    @Option(help: "Network config (JSON; see NetworkSpec); default: 20 inputs, 16 neurons without recurrent weights (e-prop is exact), 3 classes.")
    var config: String?
    /// Replaces the model of every hidden layer.
    @OptionGroup var selection: ModelSelection
    @Option(help: "Weights (safetensors, names layer<l>.w<p>, layer<l>.params, readout.w, readout.b); default: Gaussian init with --seed.")
    var weights: String?
    @Option(help: "Inputs (safetensors: input [T][B][n_in], targets [T][B] or [T][B][n_out]).") var inputs: String?
    @Option(help: "Without --inputs: synthetic Bernoulli inputs and random labels, as T,B,p.") var synthetic = "1000,32,0.05"
    @Option(help: "Write the inputs used (synthetic or not) to this safetensors file.") var writeInputs: String?
    @Option(help: "Comma-separated gradient methods.") var method = CommaSeparated<GradientMethod>([.eprop, .bptt])
    @Option(help: "Output gradients (safetensors).") var out: String?
    @Option(parsing: .unconditional) var seed: UInt64 = 1
    @Option(parsing: .unconditional, help: "Init gains (std = gain/sqrt(fan-in)) when no --weights are given.") var inputGain = 1.0
    @Option(parsing: .unconditional) var recurrentGain = 1.0
    @Option var backend = Backend.systemCC
    @Flag(help: "Also check exact BPTT against finite differences on the network with smooth spikes (see above).")
    var finiteDifferences = false
    @Flag var json = false
    @Flag(help: "Replace --out and --write-inputs even when plasticity did not write them.") var overwrite = false

    func validate() throws {
        for (flag, path) in [("out", out), ("write-inputs", writeInputs)] where path?.isEmpty == true {
            throw ValidationError("--\(flag) must name a file, not ''")
        }
        if let out, out == writeInputs { throw ValidationError("--out and --write-inputs name the same file") }
    }

    func run() throws {
        // Outputs are checked before any work: never one of the inputs, never a file plasticity did not write.
        let inputFiles = [config, weights, inputs, selection.modelFile].compactMap { $0.map { URL(fileURLWithPath: $0) } }
        for path in [out, writeInputs].compactMap({ $0 }) {
            try WriteContract.check(URL(fileURLWithPath: path), overwrite: overwrite, inputs: inputFiles)
        }
        let spec = try network()
        let (input, targets, T, B) = try loadInputs(spec)
        let sim = try NetworkSimulation(kernel: try compile(spec, backend: backend), batch: B)
        sim.initializeWeights(seed: seed, inputGain: inputGain, recurrentGain: recurrentGain)
        if let weights { try Self.load(weights, into: sim) }
        if let writeInputs {
            var file = SafeTensors()
            file.tensors["input"] = .init(shape: [T, B, spec.inputs], values: input)
            file.tensors["targets"] = .init(shape: spec.targetWidth == 1 ? [T, B] : [T, B, spec.outputs], values: targets)
            try file.write(to: URL(fileURLWithPath: writeInputs), flag: "--write-inputs", overwrite: overwrite, inputs: inputFiles)
        }
        var results: [(String, NetworkGradients, Double)] = []
        var firingRate: Double?
        for method in method.values {
            let name = method.rawValue
            let start = Date()
            switch method {
            case .eprop:   // one call for the whole sequence, as the trainer runs it (a summed loss spans the call)
                sim.resetSequence(); sim.zeroGradients()
                let r = sim.run(input: input, targets: targets, steps: T, countSpikes: true)
                let neurons = sim.layers.reduce(0) { $0 + $1.neurons }
                firingRate = sim.layers.reduce(0) { $0 + Double($1.spikeCount!.array.reduce(0, +)) } / Double(T * B * neurons)
                if !json { print(String(format: "hidden firing: %.4f spikes per neuron and step", firingRate!)) }
                if let f = r.failure { throw CommandFailure("e-prop: \(f.tensor) became non-finite at step \(f.step)") }
                var g = sim.accumulatedGradients
                g.loss = r.loss
                results.append((name, g, Date().timeIntervalSince(start)))
            case .bptt, .rtrl:
                do {
                    let g = method == .bptt ? try backpropagationThroughTime(sim, input: input, targets: targets, steps: T)
                        : try realTimeRecurrentLearning(sim, input: input, targets: targets, steps: T)
                    results.append((name, g, Date().timeIntervalSince(start)))
                } catch let error as NonFiniteError {
                    throw CommandFailure("\(name): \(error.tensor) became non-finite at step \(error.step)")
                }
            }
            try Self.requireFinite(results.last!.1, method: name)
        }
        let differences = finiteDifferences ? try FiniteDifferenceCheck.compare(FiniteDifferenceCheck.relaxed(sim, backend: backend), input: input,
                                                                                 targets: targets, steps: T) : []
        if let out {
            var file = SafeTensors()
            let shapes = Dictionary(uniqueKeysWithValues: sim.trainableTensors.map { ($0.id, $0.shape) })
            for (name, g, _) in results {
                for (id, values) in g.named {
                    file.tensors["\(name).\(id)"] = .init(shape: shapes[id] ?? [values.count], values: values.map { Float($0) })
                }
            }
            try file.write(to: URL(fileURLWithPath: out), overwrite: overwrite, inputs: inputFiles)
        }
        let reference = results.first { $0.0 != "eprop" } ?? results[0]
        var rows: [[String: Any]] = []
        for (name, g, seconds) in results where name != reference.0 {
            for ((tensor, a), (_, b)) in zip(g.named, reference.1.named) {
                let c = compareGradients(a, b)
                rows.append(["method": name, "reference": reference.0, "tensor": tensor.name, "cosine": c.cosine,
                             "max_relative_error": c.maxRelativeError, "seconds": seconds])
            }
        }
        if json {
            var object: [String: Any] = ["batch": B, "steps": T, "comparisons": rows,
                                         "seconds": Dictionary(uniqueKeysWithValues: results.map { ($0.0, $0.2) }),
                                         "losses": Dictionary(uniqueKeysWithValues: results.map { ($0.0, $0.1.loss) })]
            if let firingRate { object["firing_rate"] = firingRate }
            if finiteDifferences {
                object["finite_differences"] = differences.map { ["tensor": $0.tensor, "max_relative_error": $0.maxRelativeError,
                                                                  "tolerance": FiniteDifferenceCheck.tolerance] as [String: Any] }
            }
            let data = try JSONSerialization.data(withJSONObject: object,
                                                  options: [.prettyPrinted, .sortedKeys])
            print(String(decoding: data, as: UTF8.self))
        } else {
            for (name, g, seconds) in results { print(String(format: "%@: loss %.6g, %.2f s", name, g.loss, seconds)) }
            print("| method | vs | tensor | cosine | max relative error |\n|---|---|---|---|---|")
            for r in rows {
                print(String(format: "| %@ | %@ | %@ | %.6f | %.3g |", r["method"] as! String, r["reference"] as! String, r["tensor"] as! String,
                             r["cosine"] as! Double, r["max_relative_error"] as! Double))
            }
            if finiteDifferences {
                print("smooth spikes, BPTT vs finite differences (tolerance \(FiniteDifferenceCheck.tolerance)):")
                print("| tensor | entries | max relative error |\n|---|---|---|")
                for r in differences { print(String(format: "| %@ | %d | %.3g |", r.tensor, r.entries.count, r.maxRelativeError)) }
            }
        }
    }

    /// An exact oracle's gradients and loss must be finite, as e-prop's are checked in the kernel:
    /// the error names the method, the tensor and the first bad element.
    static func requireFinite(_ gradients: NetworkGradients, method: String) throws {
        guard gradients.loss.isFinite else { throw CommandFailure("\(method): the loss is \(gradients.loss), not a finite number") }
        for (tensor, values) in gradients.named {
            if let bad = values.firstIndex(where: { !$0.isFinite }) {
                throw CommandFailure("\(method): the gradient of \(tensor) is non-finite (element \(bad) is \(values[bad]))")
            }
        }
    }

    /// Weights from a safetensors file: every trainable tensor, with its shape, finite; nothing else.
    static func load(_ weights: String, into sim: NetworkSimulation) throws {
        let file = try SafeTensors.read(URL(fileURLWithPath: weights))
        let known = Set(sim.trainableTensors.map(\.name))
        if let unknown = file.tensors.keys.sorted().first(where: { !known.contains($0) }) {
            let names = known.sorted().joined(separator: ", ")
            throw FileFormatError(file: weights, field: unknown, message: "is not a tensor of this network (its tensors: \(names))")
        }
        for t in sim.trainableTensors {
            guard let stored = file.tensors[t.name] else { throw FileFormatError(file: weights, field: t.name, message: "is missing") }
            guard stored.shape == t.shape else { throw FileFormatError(file: weights, field: "\(t.name).shape",
                                                                       message: "\(stored.shape), the network needs \(t.shape)") }
            if let bad = stored.values.firstIndex(where: { !$0.isFinite }) {
                throw FileFormatError(file: weights, field: "\(t.name)[\(bad)]", message: "is \(stored.values[bad]), not a finite number")
            }
            t.value.array = stored.values
        }
    }

    /// The config file's network (or the default one) with the model of --model or --model-file.
    func network() throws -> NetworkSpec {
        var network = try config.map { try NetworkSpec.read(URL(fileURLWithPath: $0)) }
            ?? NetworkSpec(inputs: 20, hidden: [LayerSpec(model: .builtin(.lif), neurons: 16)], outputs: 3, kappa: exp(-1.0 / 20))
        guard let model = try selection.choice() else { return try network.validated(file: config ?? "gradcheck") }
        for l in network.hidden.indices { network.hidden[l].model = model }
        return try network.validated(file: config ?? "gradcheck")
    }

    func loadInputs(_ spec: NetworkSpec) throws -> ([Float], [Float], Int, Int) {
        if let inputs { return try spec.readSequenceInputs(inputs) }
        let parts = synthetic.split(separator: ",", omittingEmptySubsequences: false)
        guard parts.count == 3, let T = Int(parts[0]), let B = Int(parts[1]), let p = Double(parts[2]) else {
            throw ValidationError("--synthetic is T,B,p (steps, batch, input spike probability), not '\(synthetic)'")
        }
        guard (1...1_000_000).contains(T), (1...65_536).contains(B), p.isFinite, (0...1).contains(p) else {
            throw ValidationError("--synthetic: T must be 1 to 1000000, B 1 to 65536 and p in [0, 1], not \(T),\(B),\(p)")
        }
        guard MemoryCap.product(T, B, spec.inputs) <= Int(Int32.max) else {
            throw ValidationError("--synthetic: T × B × inputs = \(T) × \(B) × \(spec.inputs) input values is too many (at most \(Int32.max))")
        }
        var rng = SplitMix64(seed: seed &+ 100)
        let x = (0..<T * B * spec.inputs).map { _ in Double(rng.next() >> 11) / Double(1 << 53) < p ? Float(1) : 0 }
        let definition = spec.loss.definition
        let y: [Float] = spec.targetWidth == 1
            ? { let labels = (0..<B).map { _ in definition.randomTarget(&rng, outputs: spec.outputs) }; return (0..<T * B).map { labels[$0 % B] } }()
            : (0..<T * B * spec.outputs).map { _ in definition.randomTarget(&rng, outputs: spec.outputs) }
        return (x, y, T, B)
    }
}
