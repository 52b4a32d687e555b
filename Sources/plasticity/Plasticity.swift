import ArgumentParser
import Foundation
import Plasticity

@main
struct PlasticityCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "plasticity",
        abstract: "Compile neuron models into online-learning (e-prop) kernels and run them.",
        subcommands: [Compile.self, Demo.self, Bench.self, TaskCommand.self, GradCheck.self, Plot.self, DataCommand.self, Train.self, Eval.self,
                      Export.self, Import.self, Fuzz.self])
}

struct ModelOptions: ParsableArguments {
    @OptionGroup var selection: ModelSelection
    @Flag(help: "Add a recurrent projection (the layer's own spikes) into the first channel.")
    var recurrent = false
    @Flag(help: "Differentiate the reset path (default: stopped, as in Bellec et al. 2020).")
    var differentiateReset = false

    func layer() throws -> LayerSpec {
        var model = try selection.neuronModel(default: .lif)
        if differentiateReset { model.resetGradient = .differentiated }
        return LayerSpec(model: model, recurrent: recurrent)
    }
}

struct Compile: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Print one stage of the compiler for a model.")
    enum Stage: String, ExpressibleByArgument, CaseIterable { case model, graph, dot, plan, kernel, c }

    @OptionGroup var options: ModelOptions
    @Option(help: "Stage to print: model, graph, dot, plan, kernel (the kernel IR), c.")
    var emit: Stage = .plan
    @Flag(help: "Machine-readable JSON output (with --emit model: the model file format).")
    var json = false
    @Option(help: "With --emit model --json: write expressions as 'tree' ({\"op\", \"args\"}) or infix 'text'; both read back exactly.")
    var expressions: ExpressionForm = .tree
    @Option(help: "A network config (JSON): print the network kernel's C (--emit c), its kernel IR (--emit kernel) or each layer's stage.")
    var config: String?

    func run() throws {
        if let config {
            let network = try lower(NetworkSpec.read(URL(fileURLWithPath: config)))
            switch emit {
            case .c: print(network.text, terminator: "")
            case .kernel: print(network.kernel.description, terminator: "")
            case .model: network.models.forEach { print($0.description, terminator: "") }
            case .graph: network.graphs.forEach { print($0.description, terminator: "") }
            case .dot: network.graphs.forEach { print($0.dot, terminator: "") }
            case .plan:
                network.plans.forEach { print($0.description, terminator: "") }
                InputDelays.summary(of: network.network).map { print($0.joined(separator: "\n")) }
            }
            return
        }
        let layer = try options.layer()
        if emit == .model && json { print(try ModelFile(layer.neuronModel).text(expressions: expressions), terminator: ""); return }
        let stages = try lower(layer)
        let text: String
        switch emit {
        case .model: text = stages.model.description
        case .graph: text = stages.graph.description
        case .dot: text = stages.graph.dot
        case .plan: text = stages.plan.description
        case .kernel: text = stages.kernel.description
        case .c: text = stages.source.text
        }
        guard json else { print(text, terminator: ""); return }
        var object: [String: Any] = ["model": stages.model.name, "stage": emit.rawValue, "text": text]
        if emit == .plan {
            object["orders"] = stages.plan.candidates.map { ["order": $0.kind.rawValue, "multiplies": $0.multiplies, "additions": $0.additions] }
            object["chosen"] = stages.plan.chosen.rawValue
            object["search_exhaustive"] = stages.plan.searchWasExhaustive
            object["projections"] = stages.kernel.layout.projections.map {
                ["source": $0.source.rawValue, "components": $0.components.count, "shared": $0.sharedCount,
                 "factorized": $0.factorized] as [String: Any]
            }
        }
        let data = try JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys])
        print(String(decoding: data, as: UTF8.self))
    }
}
