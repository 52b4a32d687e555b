import Foundation
import Plasticity
import PlasticityData

/// Models and compiler stages (include/plasticity.h).

func model(_ json: UnsafePointer<CChar>?) throws -> NeuronModel {
    try NeuronModel.read(try jsonObject(json, "model_json"), file: "model_json")
}

@_cdecl("plasticity_model_builtin")
public func modelBuiltin(_ name: UnsafePointer<CChar>?, _ out: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> Int32 {
    guarded {
        let named = try text(name, "name")
        guard let builtin = BuiltinModel(named: named) else {
            throw BoundaryError("'\(named)' is not a built-in model (\(BuiltinModel.allCases.map(\.rawValue).joined(separator: ", ")))")
        }
        try give(try ModelFile(builtin.model).text(), to: out, "model_json")
    }
}

@_cdecl("plasticity_model_text")
public func modelText(_ json: UnsafePointer<CChar>?, _ expressions: UnsafePointer<CChar>?,
                      _ out: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> Int32 {
    guarded {
        let form = try text(expressions, "expressions")
        guard let expressionForm = ExpressionForm(rawValue: form) else { throw BoundaryError("expressions is '\(form)', not tree or text") }
        let checked = try model(json)
        _ = try checked.checked()
        try give(try ModelFile(checked).text(expressions: expressionForm), to: out, "model_text")
    }
}

@_cdecl("plasticity_compile_stage")
public func compileStage(_ modelJSON: UnsafePointer<CChar>?, _ recurrent: Int32, _ networkJSON: UnsafePointer<CChar>?,
                         _ stage: UnsafePointer<CChar>?, _ out: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> Int32 {
    guarded {
        let name = try text(stage, "stage")
        let known = ["model", "graph", "dot", "plan", "kernel", "c"]
        guard known.contains(name) else { throw BoundaryError("stage is '\(name)', not one of \(known.joined(separator: ", "))") }
        if networkJSON != nil {
            let network = try lower(try networkSpec(networkJSON))
            let text: String
            switch name {
            case "c": text = network.text
            case "kernel": text = network.kernel.description
            case "model": text = network.models.map(\.description).joined()
            case "graph": text = network.graphs.map(\.description).joined()
            case "dot": text = network.graphs.map(\.dot).joined()
            default: text = network.plans.map(\.description).joined()
            }
            return try give(text, to: out, "text")
        }
        let stages = try lower(LayerSpec(model: try model(modelJSON), recurrent: recurrent != 0))
        let text: String
        switch name {
        case "model": text = stages.model.description
        case "graph": text = stages.graph.description
        case "dot": text = stages.graph.dot
        case "plan": text = stages.plan.description
        case "kernel": text = stages.kernel.description
        default: text = stages.source.text
        }
        try give(text, to: out, "text")
    }
}

/// A network from the network schema (`plasticity gradcheck --config`), checked.
func networkSpec(_ json: UnsafePointer<CChar>?) throws -> NetworkSpec {
    let object = try jsonObject(json, "network_json")
    var context = ConfigContext(file: "network_json", stepMs: ConfigContext.step(object["stepMs"]))
    context.folder = workingFolder
    return try ConfigFile.decode(NetworkSpec.self, from: object, file: "network_json", context: context)
}
