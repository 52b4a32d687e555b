import Foundation

extension NetworkSpec: Codable {
    enum CodingKeys: String, CodingKey { case inputs, outputs, kappa, loss, hidden, stepMs, rateRegularization }

    /// Reads a network config; model files it names are read at once, relative to its folder.
    public static func read(_ url: URL) throws -> NetworkSpec {
        let object = try ConfigFile.object(at: url)
        let context = ConfigContext(file: url.path, folder: url.deletingLastPathComponent(), stepMs: ConfigContext.step(object["stepMs"]))
        return try ConfigFile.decode(NetworkSpec.self, from: object, file: url.path, context: context)
    }

    /// Reads a network and checks it (`validated`); unknown keys are errors naming their path,
    /// enumerated values list the allowed ones.
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let context = decoder.userInfo[.plasticityConfig] as? ConfigContext ?? ConfigContext()
        self.init(inputs: try c.decode(Int.self, forKey: .inputs), hidden: try c.decode([Hidden].self, forKey: .hidden),
                  outputs: try c.decode(Int.self, forKey: .outputs), kappa: try c.decode(Double.self, forKey: .kappa),
                  loss: try c.decodeIfPresent(Loss.self, forKey: .loss) ?? .crossEntropy,
                  stepMs: try c.decodeIfPresent(Double.self, forKey: .stepMs) ?? 1,
                  rateRegularization: try c.decodeIfPresent(RateRegularization.self, forKey: .rateRegularization))
        self = try validated(file: context.file, field: decoder.codingPath.fieldPath)
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(inputs, forKey: .inputs); try c.encode(outputs, forKey: .outputs); try c.encode(kappa, forKey: .kappa)
        try c.encode(loss, forKey: .loss); try c.encode(hidden, forKey: .hidden); try c.encode(stepMs, forKey: .stepMs)
        try c.encode(rateRegularization, forKey: .rateRegularization)
    }

    /// This network with every layer's model made at `stepMs` and checked, and every value in
    /// range; errors name `file` and the field under `field` (the network's own path, if nested).
    public func validated(file: String = "network", field prefix: String = "") throws -> NetworkSpec {
        func path(_ name: String) -> String { prefix.isEmpty ? name : "\(prefix).\(name)" }
        func fail(_ name: String, _ message: String) -> FileFormatError { FileFormatError(file: file, field: path(name), message: message) }
        guard stepMs.isFinite, stepMs > 0 else { throw fail("stepMs", "must be a positive number of milliseconds, not \(stepMs)") }
        if let r = rateRegularization, !(r.target.isFinite && r.target >= 0 && r.strength.isFinite && r.strength >= 0) {
            throw fail("rateRegularization", "target and strength must be finite and not negative (\(r.target), \(r.strength))")
        }
        var network = self
        for (l, layer) in hidden.enumerated() where layer.needsResolution(stepMs: stepMs) {
            network.hidden[l] = try layer.resolved(stepMs: stepMs, file: file, field: path("hidden[\(l)]"))
        }
        do { return try network.checked() } catch let error as NetworkError {
            throw FileFormatError(file: file, field: prefix.isEmpty ? "network" : prefix, message: error.message)
        }
    }

    /// This network with every layer's model checked (once: a layer read from a config already
    /// is), for `lower`; a network built in Swift is checked here.
    func checked() throws -> NetworkSpec {
        try check()
        var network = self
        network.hidden = try hidden.map { try $0.checked(stepMs: stepMs) }
        return network
    }
}
