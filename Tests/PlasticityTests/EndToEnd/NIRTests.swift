import Foundation
import Plasticity
import Testing
@testable import PlasticityData

/// NIR in and out (docs/nir.md, docs/testing.md): graphs the `nir` package writes compute their
/// equations; graphs Plasticity writes pass `nir.read` (with its type check); export then import
/// is the same network, bit for bit; what cannot be expressed is refused, naming the layer or node.
@Suite(.serialized) struct NIRTests {
    static let python = ProcessInfo.processInfo.environment["PLASTICITY_PYTHON"]
    static let fixtures = TestPaths.fixtures
    static let examples = TestPaths.exampleModels

    func runPython(_ arguments: [String]) throws -> String {
        let python = try #require(Self.python, "PLASTICITY_PYTHON (Python with h5py and nir) is not set: run .ci/test.sh")
        let process = Process(), pipe = Pipe()
        process.executableURL = URL(fileURLWithPath: python)
        process.arguments = arguments
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        try #require(process.terminationStatus == 0, "\(arguments): \(output)")
        return output
    }

    /// Runs `network` on one sequence: spikes per layer [T][n] and the readout [T][n_out].
    func simulate(_ network: NIRNetwork, input: [Float], steps: Int) throws -> (spikes: [[Float]], readout: [Float]) {
        var base = TrainConfig()
        base.network.backend = .tinyCC
        base.data.binning.binMs = 1
        let trainer = Trainer(simulation: try network.simulation(config: try network.config(over: base, dt: 1e-3), batch: 1),
                              optimizer: Optimizer(OptimizerConfig()))
        let result = try trainer.evaluate(input: input, targets: [Float](repeating: 0, count: steps), steps: steps, recordSpikes: true)
        return (result.spikes, result.readout)
    }

    /// Six graphs built with the `nir` package (feed-forward LIF with leak and a negative reset,
    /// recurrent LIF, recurrent CubaLIF, two layers, IF, and a recurrent LIF whose input and
    /// recurrence are Affine with biases, as snnTorch's RLeaky writes them) against a float64 simulation of NIR's
    /// equations by forward Euler in numpy (`Fixtures/nir_cases.py`), 300 steps of dt = 1 ms:
    /// every spike of every layer the same; the readout to 1e-4 of its largest value.
    @Test func graphsOfTheNirPackageComputeTheirEquations() throws {
        let folder = try scratchDirectory("nir-cases")
        _ = try runPython([Self.fixtures.appendingPathComponent("nir_cases.py").path, folder.path])
        for name in ["ff-lif", "rec-lif", "cuba-lif", "two-layers", "if", "affine-lif"] {
            let network = try NIRNetwork(try NIRGraph.read(folder.appendingPathComponent("\(name).nir")), dt: 1e-3, file: name)
            let reference = try HDF5Tree.open(folder.appendingPathComponent("\(name)-reference.h5"))
            let input = try reference.floats("/input")
            let steps = input.shape[0]
            let run = try simulate(network, input: input.values, steps: steps)
            #expect(run.spikes.count == network.hidden.count)
            for (l, spikes) in run.spikes.enumerated() {
                let expected = try reference.doubles("/spikes\(l)").values
                let differing = zip(spikes, expected).filter { Double($0) != $1 }.count
                #expect(differing == 0, "\(name) layer \(l): \(differing) of \(expected.count) spike entries differ")
                #expect(expected.reduce(0, +) >= Double(steps) / 10, "\(name) layer \(l) hardly spikes: the comparison would prove little")
            }
            let readout = try reference.doubles("/readout").values
            let scale = readout.map(abs).max()!
            let error = zip(run.readout, readout).map { abs(Double($0) - $1) }.max()!
            #expect(error <= 1e-4 * scale, "\(name): readout off by \(error / scale) of its largest value")
        }
    }

    /// One epoch of the tiny spoken digits with recurrent NIR-LIF layers (and learnable axonal
    /// delays on their inputs, a Delay node before each); its checkpoint exported, read back by
    /// `nir.read`, imported: the same weights and delays, the same spikes and the same test
    /// accuracy and loss, exactly.
    @Test(arguments: [(false, 1), (true, 1), (true, 2)])
    func exportThenImportIsTheSameNetwork(delayed: Bool, layers: Int) throws {
        let folder = try scratchDirectory("nir-round-trip-\(delayed)-\(layers)")
        var config = TinySpokenDigits.config(epochs: 1)
        config.network.layers = layers
        if delayed {
            config.network.delays = DelaySpec(.axonal, maxSteps: 8, learnable: true, learningRate: 0.5)
            config.network.delayedLayers = .all
        }
        config.network.model = .inline(ModelFile(try NeuronModel.read(Self.examples.appendingPathComponent("nir-lif.json"))))
        config.network.backend = .tinyCC
        let trained = try SpeechExperiment(config: config, output: folder.appendingPathComponent("run"))
        try trained.run(resume: false)
        let file = folder.appendingPathComponent("net.nir")
        let graph = try NIRGraph.exporting(checkpoint: trained.output.appendingPathComponent("checkpoint.json"))
        try graph.write(to: file)
        let summary = try runPython(["-c", "import nir, sys; g = nir.read(sys.argv[1]); print(' '.join(sorted(f'{k}:{type(v).__name__}' " +
                                           "for k, v in g.nodes.items())))", file.path])
        #expect(summary.contains("hidden0:LIF") && summary.contains("hidden0.rec:Linear") && summary.contains("readout:LI"), "\(summary)")
        for l in 0..<layers { #expect(summary.contains("hidden\(l).delay:Delay") == delayed, "\(summary)") }
        let reread = try NIRGraph.read(file)
        #expect(reread == graph)

        let network = try NIRNetwork(reread, dt: config.data.binning.binMs / 1000, file: file.path)
        for t in trained.simulation.trainableTensors {
            #expect(network.weights[t.name]?.values == t.value.array, "\(t.name)")
        }
        if delayed {
            for l in 0..<layers {
                let d = trained.simulation.delays[l]!.delays[0]!.array
                #expect(d.contains { $0 != d[0] && $0 != $0.rounded() }, "layer \(l)'s delays learned: \(d.prefix(8))")
            }
        }
        let importedConfig = try network.config(over: config, dt: config.data.binning.binMs / 1000)
        let checkpoint = try network.writeCheckpoint(config: importedConfig, to: folder.appendingPathComponent("imported"))
        let imported = try SpeechExperiment(config: importedConfig, output: folder.appendingPathComponent("imported"))
        _ = try Checkpoint.load(checkpoint, into: imported.trainer)
        let before = try trained.evaluate(trained.test), after = try imported.evaluate(imported.test)
        #expect(before.accuracy == after.accuracy && before.loss == after.loss && before.confusion == after.confusion)
        let a = try trained.trace(trained.test, sample: 3), b = try imported.trace(imported.test, sample: 3)
        #expect(a.spikes == b.spikes && a.readout == b.readout)
        // The imported checkpoint resumes with its own config (network.hidden compared as it was written).
        try imported.run(resume: true)
        #expect(imported.history.map(\.epoch) == [1])
    }

    /// What NIR cannot express is refused with the layer and the reason; graphs Plasticity cannot
    /// train are refused naming the node; file defects name the file and the dataset.
    @Test func refusalsNameTheLayerOrTheNode() throws {
        let folder = try scratchDirectory("nir-refusals")
        for (model, expected) in [(BuiltinModel.lif, "resets by subtracting the threshold"), (.alif, "has no NIR node")] {
            var config = TinySpokenDigits.config(epochs: 1)
            config.network.model = .builtin(model)
            config.network.backend = .tinyCC
            config.data.limit = 16
            let run = try SpeechExperiment(config: config, output: folder.appendingPathComponent(model.rawValue))
            try run.run(resume: false)
            let checkpoint = run.output.appendingPathComponent("checkpoint.json")
            let error = #expect(throws: NIRError.self) { try NIRGraph.exporting(checkpoint: checkpoint) }
            #expect(error?.subject == "hidden0" && error?.message.contains(expected) == true, "\(String(describing: error))")
            if model == .lif {
                let approximate = try NIRGraph.exporting(checkpoint: checkpoint, resetToZero: true)
                guard case .lif(_, _, _, _, let reset)? = approximate.nodes["hidden0"] else { Issue.record("not a LIF node"); continue }
                #expect(reset.allSatisfy { $0 == 0 })
            }
        }
        // Delays inside a layer's recurrence: no NIR form, named by the recurrent projection.
        var delayedLoop = TinySpokenDigits.config(epochs: 1)
        delayedLoop.network.model = .inline(ModelFile(try NeuronModel.read(Self.examples.appendingPathComponent("nir-lif.json"))))
        delayedLoop.network.recurrentDelays = DelaySpec(.axonal, maxSteps: 3)
        delayedLoop.network.backend = .tinyCC
        delayedLoop.data.limit = 16
        let looped = try SpeechExperiment(config: delayedLoop, output: folder.appendingPathComponent("recurrent-delays"))
        try looped.run(resume: false)
        let loop = #expect(throws: NIRError.self) { try NIRGraph.exporting(checkpoint: looped.output.appendingPathComponent("checkpoint.json")) }
        #expect(loop?.subject == "hidden0.rec" && loop?.message.contains("inside a layer's recurrence") == true, "\(String(describing: loop))")
        let lif = NIRGraph.Node.lif(tau: [0.02, 0.02], r: [1, 1], vLeak: [0, 0], vThreshold: [1, 1], vReset: [0, 0])
        let w = NIRGraph.Matrix(rows: 2, columns: 3, values: [Float](repeating: 0.5, count: 6))
        let readout = NIRGraph.Matrix(rows: 2, columns: 2, values: [1, 0, 0, 1])
        func chain(_ hidden: NIRGraph.Node, extra: [String: NIRGraph.Node] = [:], edges: [(String, String)] = []) -> NIRGraph {
            NIRGraph(nodes: ["in": .input(shape: [3]), "w": .linear(weight: w), "h": hidden, "r": .linear(weight: readout),
                             "out": .output(shape: [2])].merging(extra) { $1 },
                     edges: [("in", "w"), ("w", "h"), ("h", "r"), ("r", "out")] + edges.map { (source: $0.0, target: $0.1) })
        }
        #expect(try NIRNetwork(chain(lif), dt: 1e-3, file: "ok").hidden.count == 1)
        // CubaLIF imports in the form peers step (v reads the new current); the earlier form still exports.
        #expect(NIRNeurons.kind(of: ModelFile(NIRNeurons.cubaLIF())) == .cubaLIF)
        #expect(NIRNeurons.kind(of: ModelFile(NIRNeurons.cubaLIFPreviousCurrent())) == .cubaLIFPreviousCurrent)
        // A learnable α that drifted to 1 or above has no τ: the export names the neurons and the remedy.
        let values: [String: [Double]] = ["alpha": [0.9, 1.01], "leak": [0, 0], "gain": [1, 1], "threshold": [1, 1], "reset": [0, 0]]
        let drifted = #expect(throws: NIRError.self) { try NIRNeurons.node(.lif, values, dt: 1e-3, resetToZero: false, layer: "hidden0") }
        #expect(drifted?.message.contains("1: 1.01") == true && drifted?.message.contains("bounds") == true, "\(String(describing: drifted))")
        // Per-neuron values (snnTorch's per-neuron β, a learnable threshold) import as per-neuron parameters.
        let heterogeneous = try NIRNetwork(chain(.lif(tau: [0.02, 0.03], r: [1, 1], vLeak: [0, 0], vThreshold: [1, 1.5], vReset: [0, 0])),
                                           dt: 1e-3, file: "per-neuron")
        let alpha = [1 - 1e-3 / 0.02, 1 - 1e-3 / 0.03]
        #expect(heterogeneous.hidden[0].initializers["alpha"]?.values == alpha)
        #expect(heterogeneous.hidden[0].initializers["threshold"]?.values == [1, 1.5])
        var base = TrainConfig()
        base.network.backend = .tinyCC
        base.data.binning.binMs = 1
        let sim = try heterogeneous.simulation(config: try heterogeneous.config(over: base, dt: 1e-3), batch: 1)
        // The data's bins stay the user's: 10 ms bins for a graph made for 1 ms are an error that says how to agree.
        let mismatch = #expect(throws: FileFormatError.self) { try heterogeneous.config(over: TrainConfig(), dt: 1e-3) }
        #expect(mismatch?.message.contains("--set data.binning.binMs=1.0") == true && mismatch?.message.contains("--dt 0.01") == true,
                "\(String(describing: mismatch))")
        let layer = sim.layers[0], row = { (name: String) in layer.model.learnables.firstIndex { $0.name == name }! }
        #expect(Array(layer.parameters.array[(row("alpha") * 2)..<(row("alpha") * 2 + 2)]) == alpha.map { Float($0) })
        #expect(Array(layer.parameters.array[(row("threshold") * 2)..<(row("threshold") * 2 + 2)]) == [1, 1.5])
        // A Delay after the Input: the first layer's axonal delays in steps; fractional ones learnable.
        let delayed = try NIRNetwork(chain(lif, extra: ["d": .delay(delay: [0.002, 0.0035, 0])], edges: [("in", "d"), ("d", "w")])
            .removingEdge("in", "w"), dt: 1e-3, file: "delayed")
        #expect(delayed.hidden[0].projections[0].delays == DelaySpec(.axonal, maxSteps: 4, learnable: true))
        #expect(delayed.weights["layer0.d0"]?.values == [2, 3.5, 0])
        // A Delay between two layers: the upper layer's axonal delays.
        let square = NIRGraph.Matrix(rows: 2, columns: 2, values: [1, 0.5, 0.5, 1])
        let between = try NIRNetwork(chain(lif, extra: ["d": .delay(delay: [0.003, 0.001]), "w2": .linear(weight: square), "h2": lif],
                                           edges: [("h", "d"), ("d", "w2"), ("w2", "h2"), ("h2", "r")]).removingEdge("h", "r"), dt: 1e-3,
                                     file: "between")
        #expect(between.hidden.count == 2 && between.hidden[0].projections.first?.delays == nil)
        #expect(between.hidden[1].projections.first?.delays == DelaySpec(.axonal, maxSteps: 3, learnable: false))
        #expect(between.weights["layer1.d0"]?.values == [3, 1] && between.inputDelays == nil)
        let cases: [(NIRGraph, String, String)] = [
            (chain(.unsupported(type: "Conv2d")), "node h", "is a Conv2d node"),
            (chain(lif, extra: ["skip": .linear(weight: w)], edges: [("in", "skip"), ("skip", "h")]), "node in", "feeds 2 nodes"),
            (chain(.lif(tau: [0.0005, 0.0005], r: [1, 1], vLeak: [0, 0], vThreshold: [1, 1], vReset: [0, 0])), "node h", "shorter than dt"),
            (NIRGraph(nodes: ["in": .input(shape: [3]), "w": .linear(weight: w), "h": lif, "out": .output(shape: [2])],
                      edges: [("in", "w"), ("w", "h"), ("h", "out")]), "node h", "a spiking output layer"),
            (chain(.cubaLIF(tauSyn: [0.005, 0.005], tauMem: [0.02, 0.02], r: [1, 1], vLeak: [0, 0], wIn: [1, 1], vThreshold: [1, 1],
                            vReset: [0, 0]), extra: ["w": .affine(weight: w, bias: [0.1, 0.1])]), "node w", "a bias is a constant input"),
            (chain(lif, extra: ["stray": .linear(weight: w)]), "node stray", "is not on the chain"),
            (chain(lif, extra: ["d": .delay(delay: [0.001, 0.001])], edges: [("h", "d"), ("d", "r")]).removingEdge("h", "r"), "node d",
             "delays the readout's input"),
            (chain(lif, extra: ["d": .delay(delay: [0.001, 0.002])], edges: [("in", "d"), ("d", "w")]).removingEdge("in", "w"), "node d",
             "delays 2 inputs, not 3"),
            (chain(lif, extra: ["d": .delay(delay: [0.001, .nan, 0])], edges: [("in", "d"), ("d", "w")]).removingEdge("in", "w"), "node d",
             "delay[1] is nan s"),
        ]
        for (graph, subject, message) in cases {
            do {
                _ = try NIRNetwork(graph, dt: 1e-3, file: "g.nir")
                Issue.record("\(subject): accepted")
            } catch let error as FileFormatError {
                #expect(error.field == subject && error.message.contains(message), "\(error)")
            } catch let error as NIRError {
                #expect(error.subject == subject && error.message.contains(message), "\(error)")
            }
        }
        // File defects: a parameter of the wrong length, an edge to nowhere, not a NIR file.
        let file = folder.appendingPathComponent("bad.nir")
        var short = chain(lif)
        try short.write(to: file)
        _ = try runPython(["-c", "import h5py, sys; f = h5py.File(sys.argv[1], 'a'); del f['node/nodes/h/v_threshold']; " +
                                 "f['node/nodes/h/v_threshold'] = [1.0, 1.0, 1.0]", file.path])
        let length = #expect(throws: FileFormatError.self) { try NIRGraph.read(file) }
        #expect(length?.file == file.path && length?.field == "/node/nodes/h/v_threshold" && length?.message.contains("3 values") == true,
                "\(String(describing: length))")
        short.edges.append((source: "h", target: "nowhere"))
        try short.write(to: file, overwrite: true)   // h5py changed it: plasticity's no longer without --overwrite
        let edge = #expect(throws: FileFormatError.self) { try NIRGraph.read(file) }
        #expect(edge?.field == "/node/edges[4]" && edge?.message.contains("'nowhere'") == true, "\(String(describing: edge))")
        try Data("not hdf5".utf8).write(to: file)
        let notHDF5 = #expect(throws: FileFormatError.self) { try NIRGraph.read(file) }
        #expect(notHDF5?.file == file.path && notHDF5?.field == "file", "\(String(describing: notHDF5))")
    }
}

extension NIRGraph {
    /// This graph without the edge from `source` to `target`.
    func removingEdge(_ source: String, _ target: String) -> NIRGraph {
        var graph = self
        graph.edges.removeAll { $0.source == source && $0.target == target }
        return graph
    }
}
