import Foundation

/// What a reader of a config knows that the JSON of a layer does not say: the file (for errors),
/// the folder model file paths are relative to, and the network's step (for built-in constants).
public struct ConfigContext: Sendable {
    public var file: String
    public var folder: URL
    public var stepMs: Double
    public init(file: String = "config", folder: URL = URL(fileURLWithPath: FileManager.default.currentDirectoryPath), stepMs: Double = 1) {
        self.file = file; self.folder = folder; self.stepMs = stepMs
    }

    /// The step a JSON value gives, if it is a usable one (else 1 ms, and the check of the
    /// field itself reports it).
    public static func step(_ value: Any?) -> Double {
        guard let ms = (value as? NSNumber)?.doubleValue, ms.isFinite, ms > 0 else { return 1 }
        return ms
    }
}

extension CodingUserInfoKey {
    /// A `ConfigContext` for the layers a decoder reads.
    public static let plasticityConfig = CodingUserInfoKey(rawValue: "plasticity.config")!
}

extension Array where Element == any CodingKey {
    /// The JSON path of a coding path (`network.hidden[0]`).
    var fieldPath: String {
        reduce("") { path, key in
            if let index = key.intValue, key.stringValue.hasPrefix("Index") { return "\(path)[\(index)]" }
            return path.isEmpty ? key.stringValue : "\(path).\(key.stringValue)"
        }
    }
}

extension LayerSpec: Codable {
    enum CodingKeys: String, CodingKey {
        case model, neurons, recurrent, feedback, membraneMs, adaptationMs, adaptationStep, threshold, parameters, initializers, projections
    }

    /// Reads a layer and makes its model at once (`resolved`), with the decoder's `ConfigContext`.
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let context = decoder.userInfo[.plasticityConfig] as? ConfigContext ?? ConfigContext()
        let field = decoder.codingPath.fieldPath
        var model = try c.decode(ModelChoice.self, forKey: .model)
        do { model = try model.resolvingFiles(relativeTo: context.folder) } catch let error as FileFormatError {
            throw FileFormatError(file: context.file, field: "\(field).model", message: "\(error)")
        }
        let constants = NeuronConstants(membraneMs: try c.decodeIfPresent(Double.self, forKey: .membraneMs),
                                        adaptationMs: try c.decodeIfPresent(Double.self, forKey: .adaptationMs),
                                        adaptationStep: try c.decodeIfPresent(Double.self, forKey: .adaptationStep),
                                        threshold: try c.decodeIfPresent(Double.self, forKey: .threshold))
        self.init(model: model, neurons: try c.decode(Int.self, forKey: .neurons),
                  recurrent: try c.decodeIfPresent(Bool.self, forKey: .recurrent) ?? false,
                  feedback: try c.decodeIfPresent(NetworkSpec.Feedback.self, forKey: .feedback) ?? .symmetric,
                  constants: constants, parameters: try c.decodeIfPresent([String: Double].self, forKey: .parameters) ?? [:],
                  projections: try c.decodeIfPresent([Projection].self, forKey: .projections))
        initializers = try c.decodeIfPresent([String: ParameterInit].self, forKey: .initializers) ?? [:]
        self = try resolved(stepMs: context.stepMs, file: context.file, field: field)
    }

    /// Writes the layer as it was given (a built-in by name, with its constants); unset fields
    /// as null, so that the key list of `ConfigFile` knows them. Projections are written when
    /// they are not the default ones of `recurrent`.
    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(model, forKey: .model); try c.encode(neurons, forKey: .neurons)
        try c.encode(recurrent, forKey: .recurrent); try c.encode(feedback, forKey: .feedback)
        try c.encode(constants.membraneMs, forKey: .membraneMs); try c.encode(constants.adaptationMs, forKey: .adaptationMs)
        try c.encode(constants.adaptationStep, forKey: .adaptationStep); try c.encode(constants.threshold, forKey: .threshold)
        try c.encode(parameters, forKey: .parameters)
        let everyKey = encoder.userInfo[.everyConfigKey] as? Bool == true
        try c.encodeIfPresent(initializers.isEmpty && !everyKey ? nil : initializers, forKey: .initializers)
        let defaults = Self.defaultProjections(of: neuronModel, recurrent: recurrent)
        try c.encode(projections == defaults ? nil : projections, forKey: .projections)
    }
}
