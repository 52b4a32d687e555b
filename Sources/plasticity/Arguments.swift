import ArgumentParser
import Foundation
import Plasticity
import PlasticityData

// Flags take the same typed values as configs: one list of allowed names per type (`ConfigEnum`),
// which `--help` and the error for an unknown name print.
extension ExpressibleByArgument where Self: ConfigEnum {
    public init?(argument: String) { self.init(named: argument) }
    public static var allValueStrings: [String] { allCases.map(\.rawValue) }
}

extension Backend: ExpressibleByArgument {}
extension BuiltinModel: ExpressibleByArgument {}
extension GradientMethod: ExpressibleByArgument {}
extension TrainingMethod: ExpressibleByArgument {}
extension NetworkSpec.Feedback: ExpressibleByArgument {}
extension ExpressionForm: ExpressibleByArgument {}
extension TrainConfig.DelayedLayers: ExpressibleByArgument {}
extension LayerSpec.Source: ExpressibleByArgument {}
extension DelaySpec.Form: ExpressibleByArgument {}

/// A comma-separated list of values of one type: `--method bptt,eprop`.
struct CommaSeparated<Element: ExpressibleByArgument>: ExpressibleByArgument {
    var values: [Element]
    init(_ values: [Element]) { self.values = values }
    init?(argument: String) {
        let parts = argument.split(separator: ",", omittingEmptySubsequences: false).map { Element(argument: String($0)) }
        guard !parts.isEmpty, !parts.contains(where: { $0 == nil }) else { return nil }
        values = parts.map { $0! }
    }
    var defaultValueDescription: String { values.map(\.defaultValueDescription).joined(separator: ",") }
    static var allValueStrings: [String] { Element.allValueStrings }
}

/// `--model NAME` or `--model-file PATH`: a built-in model or a `plasticity-model` file.
struct ModelSelection: ParsableArguments {
    @Option(help: "Built-in model.") var model: BuiltinModel?
    @Option(help: "A model file (plasticity-model JSON, docs/model-format.md) instead of a built-in model.") var modelFile: String?

    func validate() throws {
        if model != nil && modelFile != nil { throw ValidationError("--model and --model-file exclude each other") }
    }

    /// The choice given (a model file read and checked now, so errors name it), or nil.
    func choice() throws -> ModelChoice? {
        if let modelFile { return ModelChoice(try NeuronModel.read(URL(fileURLWithPath: modelFile))) }
        return model.map(ModelChoice.builtin)
    }

    /// The model given, or `fallback`'s.
    func neuronModel(default fallback: BuiltinModel) throws -> NeuronModel {
        if let modelFile { return try NeuronModel.read(URL(fileURLWithPath: modelFile)) }
        return (model ?? fallback).model
    }
}

/// `--flag` must lie in `range`; the error names the flag and the value.
func require<T: Comparable>(_ flag: String, _ value: T, in range: ClosedRange<T>) throws {
    guard range.contains(value) else { throw ValidationError("--\(flag) must be from \(range.lowerBound) to \(range.upperBound), not \(value)") }
}

/// A finite `--flag` in `range`.
func require(_ flag: String, _ value: Double, in range: ClosedRange<Double>) throws {
    guard value.isFinite, range.contains(value) else {
        throw ValidationError("--\(flag) must be a number from \(range.lowerBound) to \(range.upperBound), not \(value)")
    }
}

/// A failure while a command runs (not a usage error): printed as `Error: …`, exit status 1.
struct CommandFailure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
