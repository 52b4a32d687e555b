import Foundation

/// The network config file (JSON), e.g.
///
///     {"inputs": 100, "outputs": 10, "kappa": 0.95, "loss": "crossEntropy",
///      "hidden": [{"model": "lif", "neurons": 256, "recurrent": true, "feedback": "symmetric"}]}
///
/// `model` names a built-in model (`Models.names`); `feedback` is symmetric, random or
/// targetProjection; `loss` is crossEntropy, crossEntropySummed or meanSquaredError.
public struct NetworkConfig: Codable, Sendable, Hashable {
    public struct Hidden: Codable, Sendable, Hashable {
        public var model: String
        public var neurons: Int
        public var recurrent: Bool?
        public var feedback: String?
    }
    public var inputs: Int
    public var outputs: Int
    public var kappa: Double
    public var loss: String?
    public var hidden: [Hidden]

    public static func read(_ url: URL) throws -> NetworkConfig {
        let data: Data
        do { data = try Data(contentsOf: url) } catch { throw FileFormatError(file: url.path, field: "file", message: "cannot be read") }
        do { return try JSONDecoder().decode(NetworkConfig.self, from: data) } catch let DecodingError.keyNotFound(key, context) {
            throw FileFormatError(file: url.path, field: (context.codingPath + [key]).map(\.stringValue).joined(separator: "."), message: "is missing")
        } catch let DecodingError.typeMismatch(_, context) {
            throw FileFormatError(file: url.path, field: context.codingPath.map(\.stringValue).joined(separator: "."), message: "has the wrong type")
        } catch {
            throw FileFormatError(file: url.path, field: "file", message: "is not valid JSON for a network config")
        }
    }

    public func spec(file: String = "config") throws -> NetworkSpec {
        func fail(_ field: String, _ message: String) -> FileFormatError { FileFormatError(file: file, field: field, message: message) }
        let hidden = try self.hidden.enumerated().map { l, h -> NetworkSpec.Hidden in
            guard let model = Models.builtin(named: h.model) else { throw fail("hidden.\(l).model", "'\(h.model)' is not one of \(Models.names.joined(separator: ", "))") }
            let feedback = try h.feedback.map { name -> NetworkSpec.Feedback in
                guard let f = NetworkSpec.Feedback(rawValue: name) else { throw fail("hidden.\(l).feedback", "'\(name)' is not symmetric, random or targetProjection") }
                return f
            } ?? .symmetric
            return .init(model, neurons: h.neurons, recurrent: h.recurrent ?? false, feedback: feedback)
        }
        guard let loss = NetworkSpec.Loss(rawValue: self.loss ?? "crossEntropy") else { throw fail("loss", "'\(self.loss!)' is not crossEntropy, crossEntropySummed or meanSquaredError") }
        let spec = NetworkSpec(inputs: inputs, hidden: hidden, outputs: outputs, kappa: kappa, loss: loss)
        do { try spec.check() } catch let error as NetworkError { throw fail("network", error.message) }
        return spec
    }
}
