import Foundation
import Plasticity

/// Whose conventions a NIR file follows (docs/nir.md, "Peers"). NIR graphs are continuous-time
/// and exact; each tool's importer and exporter also assume what the format does not carry, and
/// a profile writes (`adapted(for:)`) or reads (`converted(from:dt:)`) what they assume:
///
/// - snnTorch 1.0 reads and writes every time constant for dt = 1e-4 s (a step is a step: its
///   networks have no seconds), unscaled inputs (r = τ/dt, w_in = τ_syn/dt), one threshold per
///   layer, a reset to 0, and reads no LI node.
/// - Norse 1.1 reads with dt = 1e-3 s, ignores r and v_reset (a LIF's input is unscaled, the
///   reset is to 0), adds an IF's input unscaled (v ← v + I) and reads no LI node. Its exporter
///   writes τ = dt · τ_true (dt / τ_inv) and r = 1, and a `LIFCell` as a CubaLIF whose current
///   jumps by its input (w_in = τ_syn/dt in NIR's terms).
public enum NIRProfile: String, CaseIterable, Sendable, Codable {
    case nir, snntorch, norse

    /// The step, in seconds, the tool's importer and exporter assume (none for NIR itself).
    public var step: Double? {
        switch self {
        case .nir: return nil
        case .snntorch: return 1e-4
        case .norse: return 1e-3
        }
    }

    /// snnTorch's networks count steps, not seconds: its files map onto any bin width.
    var stepIsUnitless: Bool { self == .snntorch }
}

extension NIRGraph {
    /// This exported graph (`exporting(checkpoint:)`) as the file `profile`'s importer runs as it
    /// is: the same spikes at every step, with the notes (also in the metadata) on what the peer
    /// cannot express. Every time constant is scaled to the peer's step (the decay per step is
    /// kept), gains the peer ignores are folded into the rows of the projections into a layer
    /// (exact: a neuron's input is its row times the presynaptic signal), and the readout ends at
    /// its Affine, since neither peer reads an LI node. A profile file is still exact NIR at the
    /// peer's step, apart from the readout's integration y ← κ y + a, which the metadata records.
    public func adapted(for profile: NIRProfile) throws -> (graph: NIRGraph, notes: [String]) {
        guard let peerStep = profile.step else { return (self, []) }
        if let (name, _) = nodes.sorted(by: { $0.key < $1.key }).first(where: { if case .delay = $0.value { true } else { false } }) {
            throw NIRError(name, "\(profile.rawValue) runs no Delay node (nirtorch 2.6, snnTorch 1.0 and Norse 1.1 have no module for NIR's " +
                           "Delay); export the delays with --for nir")
        }
        guard let dt = metadata["plasticity_dt"].flatMap(Double.init) else {
            throw NIRError("metadata", "plasticity_dt is missing: only graphs Plasticity exported are adapted to a profile")
        }
        var graph = self, notes: [String] = []
        var l = 0
        while let node = nodes["hidden\(l)"], case .some(let input) = nodes["hidden\(l).in"] {
            let name = "hidden\(l)"
            let peer = try PeerLayer(node, profile: profile, dt: dt, peerStep: peerStep, layer: name)
            notes += peer.notes
            graph.nodes[name] = peer.node
            graph.nodes["\(name).in"] = Self.scaling(input, rows: peer.rowScale, addingBias: peer.bias)
            if let recurrence = nodes["\(name).rec"] {
                graph.nodes["\(name).rec"] = Self.scaling(recurrence, rows: peer.rowScale, addingBias: nil)
                if profile == .snntorch { graph.splitRecurrence(of: name) }
            }
            graph.metadata["plasticity_\(name)_model"] = nil   // the exact models are not the nodes' values any more
            l += 1
        }
        if nodes["readout"] != nil {
            graph.nodes["readout"] = nil
            graph.edges = graph.edges.filter { $0.target != "readout" && $0.source != "readout" } + [(source: "readout.affine", target: "output")]
            let kappa = metadata["plasticity_readout_decay"] ?? "?"
            if (Double(kappa) ?? 1) != 0 {
                notes.append("readout: \(profile.rawValue) reads no LI node, so the file's output is the readout's input a(t) = W z(t) + b; " +
                             "Plasticity's readout is y(t) = κ y(t−1) + a(t) with κ = \(kappa) (metadata plasticity_readout_decay), " +
                             "and its class is the argmax of y summed over the labelled steps")
            }
        }
        if dt != peerStep {
            notes.append("time: every time constant is written for \(profile.rawValue)'s step of \(peerStep) s; each of its steps is one " +
                         "of Plasticity's \(dt * 1000) ms bins (the decays per step are the trained ones)")
        }
        graph = graph.renamed { name in
            // Every name sorts after "input": nirtorch 2.6 builds recurrent layers only when the Input node is read first.
            if name == "readout.affine" { return "readout" }
            let parts = name.split(separator: ".", maxSplits: 1)
            guard parts[0].hasPrefix("hidden"), let l = Int(parts[0].dropFirst(6)) else { return name }
            return parts.count == 1 ? "layer\(l).lif" : parts[1] == "in" ? "proj\(l)" : "layer\(l).w_\(parts[1])"
        }
        graph.metadata["plasticity_profile"] = profile.rawValue
        graph.metadata["plasticity_profile_dt"] = "\(peerStep)"
        graph.metadata["plasticity_profile_notes"] = notes.joined(separator: "\n")
        return (graph, notes)
    }

    /// The recurrence of `layer` as W_rec followed by an identity Linear: snnTorch 1.0 turns a
    /// two-node cycle into a subgraph that feeds the layer's input through W_rec as well
    /// (W_rec (x + z) instead of x + W_rec z); a three-node cycle nirtorch runs as it is.
    mutating func splitRecurrence(of layer: String) {
        guard case .some(let recurrence) = nodes["\(layer).rec"] else { return }
        let n: Int
        switch recurrence {
        case .linear(let w), .affine(let w, _): n = w.rows
        default: return
        }
        var identity = [Float](repeating: 0, count: n * n)
        for i in 0..<n { identity[i * n + i] = 1 }
        nodes["\(layer).rec_identity"] = .linear(weight: Matrix(rows: n, columns: n, values: identity))
        edges = edges.map { $0 == (source: "\(layer).rec", target: layer) ? (source: "\(layer).rec", target: "\(layer).rec_identity") : $0 }
            + [(source: "\(layer).rec_identity", target: layer)]
    }

    /// Without identity Linear nodes that follow another projection, from one source to one target
    /// (a no-op there; elsewhere an identity may be a layer's only projection).
    func withoutIdentities() -> NIRGraph {
        var graph = self
        for (name, node) in nodes {
            guard case .linear(let w) = node, w.rows == w.columns,
                  w.values.indices.allSatisfy({ w.values[$0] == ($0 / w.columns == $0 % w.columns ? 1 : 0) }),
                  let into = graph.edges.filter({ $0.target == name }).first, graph.edges.filter({ $0.target == name }).count == 1,
                  let out = graph.edges.filter({ $0.source == name }).first, graph.edges.filter({ $0.source == name }).count == 1,
                  ["Linear", "Affine"].contains(graph.nodes[into.source]?.typeName) else { continue }
            graph.nodes[name] = nil
            graph.edges = graph.edges.filter { $0.source != name && $0.target != name } + [(source: into.source, target: out.target)]
        }
        return graph
    }

    /// The same graph with every node renamed by `name`.
    func renamed(_ name: (String) -> String) -> NIRGraph {
        NIRGraph(nodes: Dictionary(uniqueKeysWithValues: nodes.map { (name($0.key), $0.value) }),
                 edges: edges.map { (source: name($0.source), target: name($0.target)) }, metadata: metadata)
    }

    /// `plasticity export nir` as a library call: the output checked against the write contract
    /// (never a file Plasticity did not write unless `overwrite`, never the checkpoint or its
    /// weights) before any work, then the graph for `profile` written. Returns it and the notes.
    public static func export(checkpoint input: URL, to output: URL, profile: NIRProfile = .nir, dt: Double? = nil, resetToZero: Bool = false,
                              overwrite: Bool = false) throws -> (graph: NIRGraph, notes: [String]) {
        let inputs = [input] + ((try? Checkpoint.weightsURL(input)).map { [$0] } ?? [])
        try WriteContract.check(output, overwrite: overwrite, inputs: inputs)
        let (graph, notes) = try exporting(checkpoint: input, dt: dt, resetToZero: resetToZero).adapted(for: profile)
        try graph.write(to: output, overwrite: overwrite, inputs: inputs)
        return (graph, notes)
    }

    /// A projection whose row i is multiplied by `rows[i]`, plus `bias` (an Affine when it is not zero).
    static func scaling(_ node: Node, rows scale: [Double], addingBias extra: [Double]?) -> Node {
        let (weight, bias): (Matrix, [Float]?)
        switch node {
        case .linear(let w): (weight, bias) = (w, nil)
        case .affine(let w, let b): (weight, bias) = (w, b)
        default: return node
        }
        var scaled = weight
        for i in 0..<weight.rows where scale[i] != 1 {
            for j in 0..<weight.columns { scaled.values[i * weight.columns + j] = Float(Double(weight.values[i * weight.columns + j]) * scale[i]) }
        }
        var total = bias.map { b in b.indices.map { Double(b[$0]) * scale[$0] } }
        if let extra, extra.contains(where: { $0 != 0 }) {
            let base = total ?? .init(repeating: 0, count: weight.rows)
            total = base.indices.map { extra[$0] + base[$0] }
        }
        guard let total else { return .linear(weight: scaled) }
        return .affine(weight: scaled, bias: total.map(Float.init))
    }
}

/// One hidden layer's node as a peer reads it: the node, the factor each neuron's input row is
/// multiplied by, and a constant input (bias) where a leak becomes one.
struct PeerLayer {
    var node: NIRGraph.Node
    var rowScale: [Double]
    var bias: [Double]?
    var notes: [String] = []

    init(_ written: NIRGraph.Node, profile: NIRProfile, dt: Double, peerStep: Double, layer: String) throws {
        let k = peerStep / dt
        func zero(_ values: [Double], _ parameter: String, _ reason: String) throws {
            guard values.allSatisfy({ $0 == 0 }) else {
                throw NIRError(layer, "\(parameter) is not 0 (\(values.first { $0 != 0 }!)): \(reason); export with --for nir")
            }
        }
        let resets = "\(profile.rawValue)'s importer resets to 0"
        switch (profile, written) {
        case (.snntorch, .lif(let tau, let r, let vLeak, let threshold, let reset)):
            try zero(reset, "v_reset", resets)
            let gain = tau.indices.map { dt / tau[$0] * r[$0] }, leak = tau.indices.map { dt / tau[$0] * vLeak[$0] }
            let peerTau = tau.map { $0 * k }
            (rowScale, bias) = (gain, leak)
            node = .lif(tau: peerTau, r: peerTau.map { $0 / peerStep }, vLeak: .init(repeating: 0, count: tau.count), vThreshold: threshold,
                        vReset: reset)
        case (.snntorch, .integrateAndFire(let r, let threshold, let reset)):
            try zero(reset, "v_reset", resets)
            // snnTorch 1.0 reads IF as a Leaky with β = 0.9; a LIF with τ = 2^60 steps has β = 1 exactly.
            let never = peerStep * 0x1p60
            (rowScale, bias) = (r.map { dt * $0 }, nil)
            node = .lif(tau: .init(repeating: never, count: r.count), r: .init(repeating: 0x1p60, count: r.count),
                        vLeak: .init(repeating: 0, count: r.count), vThreshold: threshold, vReset: reset)
            notes.append("\(layer): IF written as a LIF with τ = 2^60 steps (β = 1 exactly): snnTorch 1.0 reads IF as a Leaky with β = 0.9")
        case (.snntorch, .cubaLIF(let tauSyn, let tauMem, let r, let vLeak, let wIn, let threshold, let reset)):
            try zero(reset, "v_reset", resets)
            try zero(vLeak, "v_leak", "snnTorch's Synaptic neuron has no leak potential")
            rowScale = tauMem.indices.map { (dt / tauMem[$0] * r[$0]) * (dt / tauSyn[$0] * wIn[$0]) }
            bias = nil
            let peerSyn = tauSyn.map { $0 * k }, peerMem = tauMem.map { $0 * k }
            node = .cubaLIF(tauSyn: peerSyn, tauMem: peerMem, r: peerMem.map { $0 / peerStep }, vLeak: vLeak, wIn: peerSyn.map { $0 / peerStep },
                            vThreshold: threshold, vReset: reset)
        case (.norse, .lif(let tau, let r, let vLeak, let threshold, let reset)):
            try zero(reset, "v_reset", resets)
            (rowScale, bias) = (r, nil)
            node = .lif(tau: tau.map { $0 * k }, r: .init(repeating: 1, count: r.count), vLeak: vLeak, vThreshold: threshold, vReset: reset)
        case (.norse, .integrateAndFire(let r, let threshold, let reset)):
            try zero(reset, "v_reset", resets)
            // Norse adds an IF's input unscaled; r = 1/dt says the same in NIR's terms (Norse warns that r is not 1).
            (rowScale, bias) = (r.map { dt * $0 }, nil)
            node = .integrateAndFire(r: .init(repeating: 1 / peerStep, count: r.count), vThreshold: threshold, vReset: reset)
        case (.norse, .cubaLIF(let tauSyn, let tauMem, let r, let vLeak, let wIn, let threshold, let reset)):
            try zero(reset, "v_reset", resets)
            try zero(vLeak, "v_leak", "Norse's importer gives the synaptic current the same leak potential as the membrane")
            (rowScale, bias) = (.init(repeating: 1, count: r.count), nil)
            node = .cubaLIF(tauSyn: tauSyn.map { $0 * k }, tauMem: tauMem.map { $0 * k }, r: r, vLeak: vLeak, wIn: wIn, vThreshold: threshold,
                            vReset: reset)
        default:
            throw NIRError(layer, "is a \(written.typeName) node, which the \(profile.rawValue) profile does not write")
        }
        if profile == .snntorch { try uniformThreshold(layer: layer) }
    }

    /// snnTorch takes one threshold per layer: per-neuron thresholds become 1 with each neuron's
    /// input divided by its own (exact: the reset is to 0, so v/θ is the same trajectory scaled).
    mutating func uniformThreshold(layer: String) throws {
        var node = self.node
        func unit(_ threshold: [Double]) -> [Double] {
            guard threshold.contains(where: { $0 != threshold[0] }) else { return threshold }
            guard threshold.allSatisfy({ $0 > 0 }) else { return threshold }
            rowScale = rowScale.indices.map { rowScale[$0] / threshold[$0] }
            bias = bias.map { b in b.indices.map { b[$0] / threshold[$0] } }
            notes.append("\(layer): per-neuron thresholds written as 1 with each neuron's input divided by its threshold (snnTorch takes " +
                         "one threshold per layer); the spikes are the same")
            return .init(repeating: 1, count: threshold.count)
        }
        switch node {
        case .lif(let tau, let r, let vLeak, let threshold, let reset):
            node = .lif(tau: tau, r: r, vLeak: vLeak, vThreshold: unit(threshold), vReset: reset)
        case .cubaLIF(let tauSyn, let tauMem, let r, let vLeak, let wIn, let threshold, let reset):
            node = .cubaLIF(tauSyn: tauSyn, tauMem: tauMem, r: r, vLeak: vLeak, wIn: wIn, vThreshold: unit(threshold), vReset: reset)
        default: break
        }
        switch node {
        case .lif(_, _, _, let t, _), .cubaLIF(_, _, _, _, _, let t, _):
            guard !t.contains(where: { $0 != t[0] }) else {
                throw NIRError(layer, "thresholds differ between neurons and some are not positive: snnTorch takes one threshold per layer")
            }
        default: break
        }
        self.node = node
    }
}

extension NIRGraph {
    /// The graph to import and the step to import it at, in NIR's own terms (docs/nir.md):
    ///
    /// - a file Plasticity adapted to a peer (`plasticity_profile` in its metadata) goes back to
    ///   the network it came from (time constants for its own step, the readout's LI restored);
    /// - `--from snntorch`: r = τ/dt and w_in = τ_syn/dt as snnTorch means them (unscaled input),
    ///   and since its steps have no seconds, the time constants are rescaled to the data's bins;
    /// - `--from norse`: τ = τ_file/dt (its exporter writes dt/τ_inv), an IF's r = 1/dt (it adds
    ///   the input unscaled), a CubaLIF's w_in = τ_syn/dt (its current jumps by the input);
    /// - otherwise the graph as it is, at `--dt` or the `plasticity_dt` the file records.
    public func forImport(from profile: NIRProfile?, dt requested: Double?, binMs: Double, file: String) throws -> (graph: NIRGraph, dt: Double) {
        if let written = metadata["plasticity_profile"] {
            if let profile, profile != .nir {
                throw FileFormatError(file: file, field: "metadata/plasticity_profile", message: "is '\(written)': Plasticity wrote this " +
                                      "file for \(written), and its metadata says how to read it back; import it without --from")
            }
            return try restoringProfile(dt: requested, file: file)
        }
        let recorded = metadata["plasticity_dt"]
        switch profile ?? .nir {
        case .nir:
            if requested == nil, let recorded, !(Double(recorded).map(Self.stepRange.contains) ?? false) {
                throw FileFormatError(file: file, field: "metadata/plasticity_dt",
                                      message: "is '\(recorded)', not a number of seconds from \(Self.stepRange.lowerBound) to " +
                                               "\(Self.stepRange.upperBound) (give --dt SECONDS to use another)")
            }
            guard let step = requested ?? recorded.flatMap(Double.init) else {
                throw FileFormatError(file: file, field: "dt", message: "the file does not record its dt: give --dt SECONDS (NIR graphs are " +
                                      "continuous-time), or --from snntorch | norse for a file those tools wrote")
            }
            return (self, step)
        case .snntorch:
            let peerStep = requested ?? NIRProfile.snntorch.step!, bins = binMs / 1000
            return (try fromSnnTorch(step: peerStep).rescaled(by: bins / peerStep), bins)
        case .norse:
            let step = requested ?? NIRProfile.norse.step!
            return (try fromNorse(step: step), step)
        }
    }

    /// Every time constant times `factor` (and an IF's r divided by it): the same decays and
    /// gains per step, for steps `factor` times as long.
    func rescaled(by factor: Double) -> NIRGraph {
        var graph = self
        for (name, node) in nodes {
            switch node {
            case .lif(let tau, let r, let vLeak, let vThreshold, let vReset):
                graph.nodes[name] = .lif(tau: tau.map { $0 * factor }, r: r, vLeak: vLeak, vThreshold: vThreshold, vReset: vReset)
            case .cubaLIF(let tauSyn, let tauMem, let r, let vLeak, let wIn, let vThreshold, let vReset):
                graph.nodes[name] = .cubaLIF(tauSyn: tauSyn.map { $0 * factor }, tauMem: tauMem.map { $0 * factor }, r: r, vLeak: vLeak, wIn: wIn,
                                             vThreshold: vThreshold, vReset: vReset)
            case .integrateAndFire(let r, let vThreshold, let vReset):
                graph.nodes[name] = .integrateAndFire(r: r.map { $0 / factor }, vThreshold: vThreshold, vReset: vReset)
            case .leakyIntegrator(let tau, let r, let vLeak):
                graph.nodes[name] = .leakyIntegrator(tau: tau.map { $0 * factor }, r: r, vLeak: vLeak)
            default: break
            }
        }
        return graph
    }

    /// A file Plasticity adapted to a peer, back at its own step with its readout's LI.
    func restoringProfile(dt requested: Double?, file: String) throws -> (graph: NIRGraph, dt: Double) {
        func number(_ key: String) throws -> Double {
            guard let value = metadata[key].flatMap(Double.init), Self.stepRange.contains(value) else {
                throw FileFormatError(file: file, field: "metadata/\(key)", message: "is '\(metadata[key] ?? "missing")', not a step in seconds")
            }
            return value
        }
        let own = try number("plasticity_dt"), peerStep = try number("plasticity_profile_dt")
        let dt = requested ?? own
        var graph = rescaled(by: dt / peerStep)
        // The readout's LI goes back between the Output node and the projection that feeds it.
        if let kappa = metadata["plasticity_readout_decay"].flatMap(Double.init), kappa > 0, kappa < 1,
           let (output, shape) = graph.nodes.compactMap({ name, node in if case .output(let shape) = node { (name, shape) } else { nil } }).first,
           let last = graph.edges.firstIndex(where: { $0.target == output }), graph.nodes["plasticity.readout"] == nil {
            let n = shape.reduce(1, *), affine = graph.edges[last].source
            graph.nodes["plasticity.readout"] = .leakyIntegrator(tau: .init(repeating: dt / (1 - kappa), count: n),
                                                                 r: .init(repeating: 1 / (1 - kappa), count: n), vLeak: .init(repeating: 0, count: n))
            graph.edges[last] = (source: affine, target: "plasticity.readout")
            graph.edges.append((source: "plasticity.readout", target: output))
        }
        return (graph, dt)
    }

    /// snnTorch's exporter writes r = τ/dt and w_in = τ_syn/dt for inputs it adds unscaled:
    /// those exactly (float32 τ leaves r·dt/τ within 1e-6 of 1).
    func fromSnnTorch(step dt: Double) throws -> NIRGraph {
        func unscaled(_ scale: [Double], _ tau: [Double]) -> [Double] {
            scale.indices.map { abs(scale[$0] * dt / tau[$0] - 1) <= 1e-5 ? tau[$0] / dt : scale[$0] }
        }
        var graph = self
        for (name, node) in nodes {
            switch node {
            case .lif(let tau, let r, let vLeak, let vThreshold, let vReset):
                graph.nodes[name] = .lif(tau: tau, r: unscaled(r, tau), vLeak: vLeak, vThreshold: vThreshold, vReset: vReset)
            case .cubaLIF(let tauSyn, let tauMem, let r, let vLeak, let wIn, let vThreshold, let vReset):
                graph.nodes[name] = .cubaLIF(tauSyn: tauSyn, tauMem: tauMem, r: unscaled(r, tauMem), vLeak: vLeak, wIn: unscaled(wIn, tauSyn),
                                             vThreshold: vThreshold, vReset: vReset)
            default: break
            }
        }
        return graph
    }

    /// Norse's exporter writes τ = dt/τ_inv = dt·τ, r = 1, an IF that adds its input unscaled and
    /// a `LIFCell` (a current that jumps by the input) as CubaLIF without w_in.
    func fromNorse(step dt: Double) throws -> NIRGraph {
        var graph = self
        for (name, node) in nodes {
            switch node {
            case .lif(let tau, let r, let vLeak, let vThreshold, let vReset):
                graph.nodes[name] = .lif(tau: tau.map { $0 / dt }, r: r, vLeak: vLeak, vThreshold: vThreshold, vReset: vReset)
            case .cubaLIF(let tauSyn, let tauMem, let r, let vLeak, let wIn, let vThreshold, let vReset):
                let syn = tauSyn.map { $0 / dt }
                graph.nodes[name] = .cubaLIF(tauSyn: syn, tauMem: tauMem.map { $0 / dt }, r: r, vLeak: vLeak,
                                             wIn: wIn.indices.map { wIn[$0] * syn[$0] / dt }, vThreshold: vThreshold, vReset: vReset)
            case .integrateAndFire(let r, let vThreshold, let vReset):
                graph.nodes[name] = .integrateAndFire(r: r.map { $0 / dt }, vThreshold: vThreshold, vReset: vReset)
            case .leakyIntegrator(let tau, let r, let vLeak):
                graph.nodes[name] = .leakyIntegrator(tau: tau.map { $0 / dt }, r: r, vLeak: vLeak)
            default: break
            }
        }
        return graph
    }
}
