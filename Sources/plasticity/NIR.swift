import ArgumentParser
import Foundation
import Plasticity
import PlasticityData

/// `plasticity export nir`: a trained network as a NIR graph (docs/nir.md).

extension NIRProfile: ExpressibleByArgument {}
struct Export: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Export a trained network to another format.", subcommands: [ExportNIR.self])
}

struct ExportNIR: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "nir", abstract: "Write a checkpoint's network as a NIR graph (HDF5).",
        discussion: "LIF (reset to a value: examples/models/nir-lif.json), CubaLIF and IF layers map exactly; the built-in LIF resets by " +
                    "subtraction and needs --reset-to-zero (an approximation); other models are refused. See docs/nir.md.")
    @Argument(help: "checkpoint.json or best.json of `plasticity train` (or of `plasticity import nir`).") var checkpoint: String
    @Option(help: "The NIR file to write.") var out: String
    @Option(parsing: .unconditional, help: "Seconds per step the time constants are computed for (default: the config's binMs / 1000).")
    var dt: Double?
    @Flag(help: "Export the built-in LIF's subtractive reset as NIR's reset to 0 (not the same network).") var resetToZero = false
    @Option(name: .customLong("for"), help: ArgumentHelp("Whose importer the file is for: nir (exact, any reader), snntorch " +
            "(snnTorch's import_from_nir) or norse (norse.torch.from_nir); see docs/nir.md."))
    var profile: NIRProfile = .nir
    @Flag(help: "Replace --out even when plasticity did not write it.") var overwrite = false

    func validate() throws {
        if out.isEmpty { throw ValidationError("--out must name a file, not ''") }
        if let dt, !NIRGraph.stepRange.contains(dt) {
            throw ValidationError("--dt: must be from \(NIRGraph.stepRange.lowerBound) to \(NIRGraph.stepRange.upperBound) seconds, not \(dt)")
        }
        if dt != nil && profile != .nir { throw ValidationError("--dt and --for \(profile.rawValue): the peer's importer assumes its own dt") }
    }

    func run() throws {
        let (graph, notes) = try NIRGraph.export(checkpoint: URL(fileURLWithPath: checkpoint), to: URL(fileURLWithPath: out), profile: profile,
                                                 dt: dt, resetToZero: resetToZero, overwrite: overwrite)
        for note in notes { print("note: \(note)") }
        let layers = graph.nodes.filter { $0.value.parameterCount != nil }.keys.sorted()
        print("\(out): \(graph.nodes.count) nodes, \(graph.edges.count) edges; " +
              layers.map { "\($0) \(graph.nodes[$0]!.typeName)" }.joined(separator: ", ") + "; dt \(graph.metadata["plasticity_dt"] ?? "?") s" +
              (profile == .nir ? "" : " (written for \(profile.rawValue)'s step of \(profile.step!) s)"))
    }
}

/// `plasticity import nir`: a NIR graph as a config and a checkpoint at epoch 0.
struct Import: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Import a network from another format.", subcommands: [ImportNIR.self])
}

struct ImportNIR: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "nir", abstract: "Read a NIR graph into OUT/config.json and OUT/checkpoint.json.",
        discussion: "Then: plasticity eval OUT/checkpoint.json, or plasticity train --out OUT --resume. See docs/nir.md.")
    @Argument(help: "A NIR file (HDF5).") var file: String
    @Option(parsing: .unconditional, help: ArgumentHelp("Seconds per step (default: the plasticity_dt the file's metadata records, " +
            "if any; with --from, the step that tool assumes)."))
    var dt: Double?
    @Option(name: .customLong("from"), help: ArgumentHelp("Whose exporter wrote the file: nir (as it is), snntorch (export_to_nir) or " +
            "norse (to_nir); see docs/nir.md."))
    var profile: NIRProfile?
    @Option(help: "Output folder.") var out: String
    @Option(help: "A train config for the data and training sections (default: the defaults).") var config: String?
    @Option(name: .customLong("set"), help: "Override one config field (repeatable), as for train.") var settings: [String] = []

    func validate() throws {
        if out.isEmpty { throw ValidationError("--out must name a folder, not ''") }
        if let dt, !NIRGraph.stepRange.contains(dt) {
            throw ValidationError("--dt: must be from \(NIRGraph.stepRange.lowerBound) to \(NIRGraph.stepRange.upperBound) seconds, not \(dt)")
        }
    }

    func run() throws {
        var base = try config.map { try TrainConfig.read(URL(fileURLWithPath: $0)) } ?? TrainConfig()
        for s in settings { base = try base.setting(s) }
        let (checkpoint, network, step): (URL, NIRNetwork, Double)
        do {
            (checkpoint, network, step) = try NIRNetwork.importing(URL(fileURLWithPath: file), into: URL(fileURLWithPath: out), from: profile,
                                                                   dt: dt, base: base)
        } catch let refusal as RunFolderRefusal {
            throw ValidationError(refusal.description.replacingOccurrences(of: URL(fileURLWithPath: out).path, with: out))
        }
        let layers = network.hidden.map { "\($0.neurons) \($0.model.name)\($0.recurrent ? " rec" : "")" }
        print("\(checkpoint.path): \(network.inputs) inputs -> " + layers.joined(separator: " -> ") +
              " -> \(network.outputs) (readout decay \(network.readoutDecay)); dt \(step) s")
    }
}
