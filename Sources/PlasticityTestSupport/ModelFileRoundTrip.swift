import Foundation
import Plasticity

/// The model-file oracle: a model written to the `plasticity-model` format and read back must be
/// the same model — an equal checked model and byte-identical C.
public enum ModelFileRoundTrip {
    /// nil when the round trip is exact, in both expression forms; otherwise what differs (or the
    /// error that stopped it).
    /// The C of both is lowered with `planner` (a cheaper search gives the same verdict faster:
    /// the plan is a function of the checked model, which is compared first).
    public static func difference(_ model: NeuronModel, planner: EliminationPlanner = EliminationPlanner()) -> String? {
        do {
            let file = "round-trip.json"
            let back = try NeuronModel.read(ConfigFile.object(model.fileData(), file: file), file: file)
            guard try withoutLocations(model.checked()) == withoutLocations(back.checked()) else { return "the checked models differ" }
            // Infix text reads back as the same trees, so the same checked model (and C) follows.
            let text = Data(try ModelFile(model).text(expressions: .text).utf8)
            let fromText = try NeuronModel.read(ConfigFile.object(text, file: file), file: file)
            guard try withoutLocations(model.checked()) == withoutLocations(fromText.checked()) else {
                return "the checked models differ after the infix text form"
            }
            let written = try lower(LayerSpec(model: model), planner: planner).source.text
            let read = try lower(LayerSpec(model: back), planner: planner).source.text
            guard written == read else {
                let line = Array(zip(written.split(separator: "\n"), read.split(separator: "\n"))).firstIndex { $0 != $1 } ?? 0
                return "the C differs from line \(line + 1)"
            }
            return nil
        } catch {
            return "\(error)"
        }
    }

    /// A planner that tries few orders: the round-trip tests' C in a fraction of the time.
    public static var quickPlanner: EliminationPlanner {
        var planner = EliminationPlanner()
        planner.exhaustiveLimit = 4
        planner.randomRestarts = 1
        planner.swapDescent = false
        return planner
    }

    /// Where declarations were written (a Swift line, a JSON path) is not part of the model.
    static func withoutLocations(_ model: CheckedModel) -> CheckedModel {
        var model = model
        let nowhere = SourceLocation(file: "", line: 0)
        model.location = nowhere
        for s in model.states.indices { model.states[s].location = nowhere }
        return model
    }
}
