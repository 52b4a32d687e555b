import Foundation
import Plasticity
import Testing
@testable import PlasticityData

/// Export and import profiles (docs/nir.md, "Peers"): a file written for snnTorch or Norse is
/// still exact NIR at the peer's step, so reading it back as NIR at that step gives the trained
/// network's spikes; Plasticity's own metadata brings it back whole; files the peers' exporters
/// write import with what those exporters assume. The peers themselves run the files in
/// `.ci/nir-peers.sh` (not part of the default test run: torch is 5 GB).
@Suite(.serialized) struct NIRProfileTests {
    static let steps = 300

    /// Runs `network` at steps of `dt` seconds on one sequence: spikes per layer and the readout.
    func simulate(_ network: NIRNetwork, dt: Double, input: [Float]) throws -> (spikes: [[Float]], readout: [Float]) {
        var base = TrainConfig()
        base.network.backend = .tinyCC
        base.data.binning.binMs = dt * 1000
        let trainer = Trainer(simulation: try network.simulation(config: try network.config(over: base, dt: dt), batch: 1),
                              optimizer: Optimizer(OptimizerConfig()))
        let result = try trainer.evaluate(input: input, targets: [Float](repeating: 0, count: Self.steps), steps: Self.steps,
                                          recordSpikes: true)
        return (result.spikes, result.readout)
    }

    /// A graph of one hidden layer (12 inputs, 16 neurons, recurrent unless IF) and a readout of
    /// 3 with an LI of κ = 0.9, weights from a fixed generator.
    func chain(_ hidden: NIRGraph.Node, recurrent: Bool = true, bias: Bool = false) -> NIRGraph {
        var rng = SplitMix64(seed: 7)
        func matrix(_ rows: Int, _ columns: Int, _ scale: Float, excitation: Float = 0) -> NIRGraph.Matrix {
            .init(rows: rows, columns: columns, values: (0..<(rows * columns)).map { _ in
                (Float.random(in: 0..<1, using: &rng) * 2 - 1 + excitation) * scale
            })
        }
        let input = matrix(16, 12, 4, excitation: 0.6)
        var graph = NIRGraph(nodes: ["in": .input(shape: [12]), "h": hidden, "r": .affine(weight: matrix(3, 16, 1), bias: [0.1, -0.2, 0]),
                                     "li": .leakyIntegrator(tau: [0.01, 0.01, 0.01], r: [10, 10, 10], vLeak: [0, 0, 0]), "out": .output(shape: [3])],
                             edges: [("in", "w"), ("w", "h"), ("h", "r"), ("r", "li"), ("li", "out")].map { (source: $0.0, target: $0.1) })
        graph.nodes["w"] = bias ? .affine(weight: input, bias: (0..<16).map { Float($0 % 4) * 0.05 }) : .linear(weight: input)
        if recurrent {
            graph.nodes["rec"] = .linear(weight: matrix(16, 16, 0.4))
            graph.edges += [(source: "h", target: "rec"), (source: "rec", target: "h")]
        }
        return graph
    }

    func randomInput(seed: UInt64) -> [Float] {
        var rng = SplitMix64(seed: seed)
        return (0..<(Self.steps * 12)).map { _ in Float.random(in: 0..<1, using: &rng) < 0.1 ? 1 : 0 }
    }

    /// The hidden layers of the graphs each profile writes: per-neuron τ, thresholds and a leak
    /// (a bias on the input) for snnTorch, CubaLIF, IF.
    var layers: [(String, NIRGraph.Node, Bool, Bool)] {
        let n = 16, tau = (0..<n).map { 0.01 + 0.002 * Double($0) }, threshold = (0..<n).map { 0.5 + 0.05 * Double($0 % 5) }
        let zeros = [Double](repeating: 0, count: n), ones = [Double](repeating: 1, count: n)
        return [
            ("lif", .lif(tau: tau, r: ones.map { $0 * 1.3 }, vLeak: zeros, vThreshold: threshold, vReset: zeros), true, true),
            ("cuba", .cubaLIF(tauSyn: .init(repeating: 0.005, count: n), tauMem: tau, r: ones.map { $0 * 1.2 }, vLeak: zeros,
                              wIn: ones.map { $0 * 1.5 }, vThreshold: .init(repeating: 0.4, count: n), vReset: zeros), true, false),
            ("if", .integrateAndFire(r: ones.map { $0 * 40 }, vThreshold: ones, vReset: zeros), false, false),
        ]
    }

    /// For each profile and layer kind: the trained network exported and adapted; read back as
    /// NIR at the peer's step, every spike the same (float32 rounding of the folded gains may
    /// flip at most 1 in 1,000 spike entries; 0 here) and the readout, integrated by κ as the
    /// notes say, within 1e-4 of its largest value; and back through the metadata, the same.
    @Test(arguments: [NIRProfile.snntorch, .norse])
    func profileFilesAreExactNIRAtThePeersStep(_ profile: NIRProfile) throws {
        let folder = try scratchDirectory("nir-profile-\(profile.rawValue)")
        let input = randomInput(seed: 3)
        for (name, node, recurrent, bias) in layers {
            let original = try NIRNetwork(chain(node, recurrent: recurrent, bias: bias), dt: 1e-3, file: name)
            var base = TrainConfig()
            base.network.backend = .tinyCC
            base.data.binning.binMs = 1
            let checkpoint = try original.writeCheckpoint(config: try original.config(over: base, dt: 1e-3),
                                                          to: folder.appendingPathComponent(name))
            let (adapted, notes) = try NIRGraph.exporting(checkpoint: checkpoint).adapted(for: profile)
            #expect(!adapted.nodes.values.contains { $0.typeName == "LI" } && notes.contains { $0.hasPrefix("readout:") }, "\(name): \(notes)")
            let expected = try simulate(original, dt: 1e-3, input: input)
            #expect(expected.spikes[0].reduce(0, +) >= Float(Self.steps * 16) / 20, "\(name) hardly spikes: the comparison would prove little")

            var plain = adapted
            plain.metadata = [:]
            let peerStep = profile.step!
            let asPeer = try simulate(try NIRNetwork(plain, dt: peerStep, file: name), dt: peerStep, input: input)
            let flipped = zip(asPeer.spikes[0], expected.spikes[0]).filter { $0 != $1 }.count
            #expect(flipped * 1000 <= expected.spikes[0].count, "\(profile) \(name): \(flipped) spike entries differ")
            var y = [Float](repeating: 0, count: 3), integrated: [Float] = []
            let kappa = Float(original.readoutDecay)
            for t in 0..<Self.steps {
                for o in 0..<3 { y[o] = kappa * y[o] + asPeer.readout[t * 3 + o] }
                integrated += y
            }
            let scale = expected.readout.map(abs).max()!
            let error = zip(integrated, expected.readout).map { abs($0 - $1) }.max()!
            #expect(error <= 1e-4 * scale, "\(profile) \(name): readout off by \(error / scale) of its largest value")

            let (restored, dt) = try adapted.forImport(from: nil, dt: nil, binMs: 1, file: name)
            #expect(dt == 1e-3 && restored.nodes["plasticity.readout"] != nil)
            let back = try simulate(try NIRNetwork(restored, dt: dt, file: name), dt: dt, input: input)
            #expect(zip(back.spikes[0], expected.spikes[0]).filter { $0 != $1 }.count * 1000 <= expected.spikes[0].count)
            let backError = zip(back.readout, expected.readout).map { abs($0 - $1) }.max()!
            #expect(backError <= 1e-4 * scale, "\(profile) \(name): restored readout off by \(backError / scale)")
        }
    }

    /// What a peer cannot express is refused naming the layer and the parameter; `--from` on a
    /// file Plasticity adapted is refused (its metadata says how to read it).
    @Test func refusalsNameTheLayerAndTheParameter() throws {
        let folder = try scratchDirectory("nir-profile-refusals")
        let n = 16, zeros = [Double](repeating: 0, count: n), ones = [Double](repeating: 1, count: n)
        let resetting = NIRGraph.Node.lif(tau: ones.map { $0 * 0.02 }, r: ones, vLeak: zeros, vThreshold: ones, vReset: ones.map { $0 * -0.1 })
        let network = try NIRNetwork(chain(resetting), dt: 1e-3, file: "reset")
        var base = TrainConfig()
        base.data.binning.binMs = 1
        let checkpoint = try network.writeCheckpoint(config: try network.config(over: base, dt: 1e-3), to: folder.appendingPathComponent("r"))
        let generic = try NIRGraph.exporting(checkpoint: checkpoint)
        for profile in [NIRProfile.snntorch, .norse] {
            let error = #expect(throws: NIRError.self) { try generic.adapted(for: profile) }
            #expect(error?.subject == "hidden0" && error?.message.contains("v_reset is not 0 (-0.1") == true, "\(String(describing: error))")
        }
        #expect(try generic.adapted(for: .nir).graph == generic)
        let leaky = NIRGraph.Node.cubaLIF(tauSyn: ones.map { $0 * 0.005 }, tauMem: ones.map { $0 * 0.02 }, r: ones, vLeak: ones.map { $0 * 0.1 },
                                          wIn: ones, vThreshold: ones, vReset: zeros)
        let cuba = try NIRNetwork(chain(leaky), dt: 1e-3, file: "cuba")
        let cubaCheckpoint = try cuba.writeCheckpoint(config: try cuba.config(over: base, dt: 1e-3), to: folder.appendingPathComponent("c"))
        let leak = #expect(throws: NIRError.self) { try NIRGraph.exporting(checkpoint: cubaCheckpoint).adapted(for: .norse) }
        #expect(leak?.message.contains("v_leak") == true, "\(String(describing: leak))")

        let lif = NIRGraph.Node.lif(tau: ones.map { $0 * 0.02 }, r: ones, vLeak: zeros, vThreshold: ones, vReset: zeros)
        let plain = try NIRNetwork(chain(lif), dt: 1e-3, file: "lif")
        let plainCheckpoint = try plain.writeCheckpoint(config: try plain.config(over: base, dt: 1e-3), to: folder.appendingPathComponent("p"))
        let (forNorse, _) = try NIRGraph.exporting(checkpoint: plainCheckpoint).adapted(for: .norse)
        let twice = #expect(throws: FileFormatError.self) { try forNorse.forImport(from: .norse, dt: nil, binMs: 1, file: "n.nir") }
        #expect(twice?.field == "metadata/plasticity_profile" && twice?.message.contains("without --from") == true, "\(String(describing: twice))")
    }

    /// Files as the peers' exporters write them: snnTorch's (dt = 1e-4, r = τ/dt of a float32 τ,
    /// a scalar β and threshold) import with β per step and gain 1 exactly, at the data's bins;
    /// Norse's (τ = dt·τ_true, an IF's input unscaled, a LIFCell's current jumping by its input)
    /// with the true time constants.
    @Test func filesThePeersWriteImportWithTheirConventions() throws {
        let beta = Float(0.9), dt = 1e-4, tau = dt / (1 - Double(beta))
        let tauFloat = Double(Float(tau))   // snnTorch computes τ in float32
        var snn = chain(.lif(tau: [tauFloat], r: [tauFloat / dt], vLeak: [0], vThreshold: [1], vReset: [0]))
        snn.metadata = [:]
        let (graph, step) = try snn.forImport(from: .snntorch, dt: nil, binMs: 10, file: "snn.nir")
        #expect(step == 0.01)
        let network = try NIRNetwork(graph, dt: step, file: "snn.nir")
        let parameters = try network.hidden[0].neuronModel.checked().fixedParameters
        #expect(abs(parameters["alpha"]! - Double(beta)) <= 1e-6 && parameters["gain"] == 1, "\(parameters)")

        let norseStep = 1e-3, tauTrue = 0.02, tauSyn = 0.005
        let norse = chain(.cubaLIF(tauSyn: [norseStep * tauSyn], tauMem: [norseStep * tauTrue], r: [1], vLeak: [0], wIn: [1], vThreshold: [1],
                                   vReset: [0]))
        let (converted, norseDt) = try norse.forImport(from: .norse, dt: nil, binMs: 1, file: "norse.nir")
        #expect(norseDt == 1e-3)
        let cuba = try NIRNetwork(converted, dt: norseDt, file: "norse.nir").hidden[0].neuronModel.checked().fixedParameters
        #expect(abs(cuba["alpha"]! - (1 - norseStep / tauTrue)) <= 1e-12 && abs(cuba["alpha_syn"]! - (1 - norseStep / tauSyn)) <= 1e-12)
        #expect(abs(cuba["gain_syn"]! - 1) <= 1e-12 && abs(cuba["gain"]! - norseStep / tauTrue) <= 1e-12, "\(cuba)")
        let integrate = chain(.integrateAndFire(r: [1], vThreshold: [1], vReset: [0]), recurrent: false)
        let (ifGraph, _) = try integrate.forImport(from: .norse, dt: nil, binMs: 1, file: "if.nir")
        #expect(try NIRNetwork(ifGraph, dt: 1e-3, file: "if.nir").hidden[0].neuronModel.checked().fixedParameters["gain"] == 1)
    }
}
