/// Where a declaration was written, so errors can name it: a line of Swift source, or the JSON
/// path of a declaration in a model file (`updates[1]`).
public struct SourceLocation: Sendable, Hashable, CustomStringConvertible {
    public var file: String
    public var line: Int
    public var path: String?
    public init(file: String, line: Int) { self.file = file; self.line = line }
    public init(file: String, path: String) { self.file = file; self.line = 0; self.path = path }
    public var description: String { path.map { "\(file): \($0)" } ?? "\(file):\(line)" }
}

/// Whether the reset path (the dependence of the post-reset state on the previous spike) is
/// differentiated. Bellec et al. (2020) stop it; the choice must match between e-prop and BPTT.
public enum ResetGradient: String, ConfigEnum { case differentiated, stopped }

/// One statement of a neuron model.
public enum Declaration: Sendable, Hashable {
    /// A per-neuron state variable with its initial value.
    case state(name: String, initial: Double, at: SourceLocation)
    /// A parameter: fixed (a compile-time constant shared by all neurons, folded into the C code)
    /// or learnable (a per-neuron runtime value with its own eligibility trace).
    case parameter(name: String, value: Double, learnable: Bool, at: SourceLocation)
    /// A synaptic input channel: I_j = Σ_i W_ji x_i over the projections that target it.
    case input(name: String, at: SourceLocation)
    /// A source of noise: a fresh draw per neuron, sequence and step (`NoiseDistribution`),
    /// read like an input; no projection feeds it.
    case noise(name: String, NoiseDistribution, at: SourceLocation)
    /// h^t = f(ĥ^{t-1}, I^t, z^{t-1}): state symbols read the post-reset previous value ĥ.
    case update(state: String, Expr, at: SourceLocation)
    /// What a spike at t-1 does to a state before the update, read from the pre-reset state
    /// h^{t-1} (see `ResetRule`).
    case reset(state: String, ResetRule, at: SourceLocation)
    /// A named intermediate value, computed after the reset and before the updates.
    case define(name: String, Expr, at: SourceLocation)
    /// z^t = Θ(g(h^t)) with ∂z/∂g = σ'(g) from the surrogate (which must be given).
    case spike(condition: Expr, surrogate: Surrogate?, at: SourceLocation)
    /// For non-spiking models (readouts): the layer output y^t = g(h^t).
    case output(Expr, at: SourceLocation)

    public var location: SourceLocation {
        switch self {
        case .state(_, _, let l), .parameter(_, _, _, let l), .input(_, let l), .noise(_, _, let l), .update(_, _, let l),
             .reset(_, _, let l), .define(_, _, let l), .spike(_, _, let l), .output(_, let l):
            return l
        }
    }
}

/// Symbol names the DSL gives a meaning of its own.
public enum BuiltinSymbol {
    /// z^{t-1}, the neuron's spike at the previous step (available in updates and definitions).
    public static let previousSpike = "spike"
}

/// Reads a symbol of the model by name: `$0.v`, or `$0["name with spaces"]`.
@dynamicMemberLookup
public struct Scope: Sendable {
    public init() {}
    public subscript(dynamicMember name: String) -> Expr { .symbol(name) }
    public subscript(_ name: String) -> Expr { .symbol(name) }
}

public protocol ModelStatement { var declaration: Declaration { get } }

public struct State: ModelStatement {
    public let declaration: Declaration
    public init(_ name: String, initial: Double = 0, fileID: String = #fileID, line: Int = #line) {
        declaration = .state(name: name, initial: initial, at: SourceLocation(file: fileID, line: line))
    }
}

public struct Parameter: ModelStatement {
    public let declaration: Declaration
    public init(_ name: String, _ value: Double, learnable: Bool = false, fileID: String = #fileID, line: Int = #line) {
        declaration = .parameter(name: name, value: value, learnable: learnable, at: SourceLocation(file: fileID, line: line))
    }
}

/// The distribution of a noise source. Draws come from a counter-based generator keyed by the
/// network's noise seed, the sequence, the step, the channel and the neuron (`plasticity_noise_fill`
/// in runtime-c/include/plasticity_kernel.h), so they are the same for any thread count, time
/// chunking and backend; the oracles take them as given inputs (`LayerBuffers.fillNoise`).
public enum NoiseDistribution: String, ConfigEnum {
    /// Standard normal N(0, 1) (Box–Muller in float32).
    case normal
    /// Uniform on (0, 1].
    case uniform
}

public struct Noise: ModelStatement {
    public let declaration: Declaration
    public init(_ name: String, _ distribution: NoiseDistribution, fileID: String = #fileID, line: Int = #line) {
        declaration = .noise(name: name, distribution, at: SourceLocation(file: fileID, line: line))
    }
}

public struct Input: ModelStatement {
    public let declaration: Declaration
    public init(_ name: String, fileID: String = #fileID, line: Int = #line) {
        declaration = .input(name: name, at: SourceLocation(file: fileID, line: line))
    }
}

public struct Update: ModelStatement {
    public let declaration: Declaration
    public init(_ state: String, fileID: String = #fileID, line: Int = #line, _ body: (Scope) -> Expr) {
        declaration = .update(state: state, body(Scope()), at: SourceLocation(file: fileID, line: line))
    }
}

/// The post-reset state ĥ given the previous spike z = z^{t-1} ∈ {0, 1}:
/// - `subtract`: ĥ = h − z·r   (∂ĥ/∂h = 1 − z ∂r/∂h, so a constant r keeps D constant)
/// - `add`:      ĥ = h + z·r
/// - `to`:       ĥ = z ? r : h  (∂ĥ/∂h = (1 − z) + z ∂r/∂h: a hard reset cuts the dependence)
/// The derivative through z is kept or stopped per model (`ResetGradient`).
public enum ResetRule: Sendable, Hashable {
    case subtract(Expr), add(Expr), to(Expr)
    public var expr: Expr { switch self { case .subtract(let e), .add(let e), .to(let e): return e } }
}

public struct Reset: ModelStatement {
    public let declaration: Declaration
    public init(_ state: String, subtract body: (Scope) -> Expr, fileID: String = #fileID, line: Int = #line) {
        declaration = .reset(state: state, .subtract(body(Scope())), at: SourceLocation(file: fileID, line: line))
    }
    public init(_ state: String, add body: (Scope) -> Expr, fileID: String = #fileID, line: Int = #line) {
        declaration = .reset(state: state, .add(body(Scope())), at: SourceLocation(file: fileID, line: line))
    }
    public init(_ state: String, to body: (Scope) -> Expr, fileID: String = #fileID, line: Int = #line) {
        declaration = .reset(state: state, .to(body(Scope())), at: SourceLocation(file: fileID, line: line))
    }
}

public struct Let: ModelStatement {
    public let declaration: Declaration
    public init(_ name: String, fileID: String = #fileID, line: Int = #line, _ body: (Scope) -> Expr) {
        declaration = .define(name: name, body(Scope()), at: SourceLocation(file: fileID, line: line))
    }
}

public struct Spike: ModelStatement {
    public let declaration: Declaration
    public init(surrogate: Surrogate?, fileID: String = #fileID, line: Int = #line, when body: (Scope) -> Expr) {
        declaration = .spike(condition: body(Scope()), surrogate: surrogate, at: SourceLocation(file: fileID, line: line))
    }
}

public struct Output: ModelStatement {
    public let declaration: Declaration
    public init(fileID: String = #fileID, line: Int = #line, _ body: (Scope) -> Expr) {
        declaration = .output(body(Scope()), at: SourceLocation(file: fileID, line: line))
    }
}

@resultBuilder
public enum ModelBuilder {
    public static func buildExpression(_ statement: some ModelStatement) -> [Declaration] { [statement.declaration] }
    public static func buildExpression(_ declarations: [Declaration]) -> [Declaration] { declarations }
    public static func buildBlock(_ parts: [Declaration]...) -> [Declaration] { parts.flatMap { $0 } }
    public static func buildOptional(_ part: [Declaration]?) -> [Declaration] { part ?? [] }
    public static func buildEither(first: [Declaration]) -> [Declaration] { first }
    public static func buildEither(second: [Declaration]) -> [Declaration] { second }
    public static func buildArray(_ parts: [[Declaration]]) -> [Declaration] { parts.flatMap { $0 } }
}

/// A neuron model written in the DSL. Check it with `checked()`, or hand it to `compile`.
///
/// One step of the model, per neuron (k = number of states):
///
///     ĥ   = z^{t-1} ? reset(h^{t-1}) : h^{t-1}          (per state with a Reset)
///     h^t = update(ĥ, I^t, z^{t-1}; θ)
///     z^t = Θ(g(h^t; θ)),  ψ^t = σ'(g) ∂g/∂h^t           (Spike), or y^t = g(h^t; θ) (Output)
public struct NeuronModel: Sendable, Hashable {
    public var name: String
    public var resetGradient: ResetGradient
    public var declarations: [Declaration]
    public var location: SourceLocation
    /// The fixed parameter that holds the time step in ms, if the model is written in physical
    /// units: a network binds it to its step (`stepMs`, a train config's `data.binning.binMs`).
    public var timeStep: String?
    /// The projections a layer of this model gets when its config lists none (nil: one from the
    /// input, and one recurrent when asked, into the first input channel). A recurrent layer takes
    /// the recurrent ones listed, or else a recurrent twin of each input one; a feed-forward layer
    /// drops the recurrent ones.
    public var projections: [LayerSpec.Projection]?

    public init(_ name: String, resetGradient: ResetGradient = .stopped, timeStep: String? = nil,
                projections: [LayerSpec.Projection]? = nil, fileID: String = #fileID, line: Int = #line,
                @ModelBuilder _ body: () -> [Declaration]) {
        self.name = name
        self.resetGradient = resetGradient
        self.timeStep = timeStep
        self.projections = projections
        self.declarations = body()
        self.location = SourceLocation(file: fileID, line: line)
    }
}

extension NeuronModel {
    /// The names of the model's parameters, in declaration order.
    public var parameterNames: [String] {
        declarations.compactMap { if case .parameter(let name, _, _, _) = $0 { return name } else { return nil } }
    }

    /// This model with parameter values replaced by name (learnable ones: their initial value).
    /// Names the model does not declare are an error that lists the ones it does.
    public func setting(parameters values: [String: Double]) throws -> NeuronModel {
        let known = Set(parameterNames)
        if let unknown = values.keys.sorted().first(where: { !known.contains($0) }) {
            throw ModelError(kind: .unknownSymbol, model: name, symbol: unknown, location: location,
                             message: "'\(unknown)' is not a parameter of model '\(name)' (its parameters: " +
                                      "\(parameterNames.joined(separator: ", ")))")
        }
        var model = self
        model.declarations = declarations.map {
            guard case .parameter(let name, _, let learnable, let at) = $0, let value = values[name] else { return $0 }
            return .parameter(name: name, value: value, learnable: learnable, at: at)
        }
        return model
    }

    /// This model at a step of `stepMs`: its time-step parameter set (the model unchanged if it has none).
    public func stepping(_ stepMs: Double) throws -> NeuronModel {
        guard let timeStep, parameterNames.contains(timeStep) else { return self }
        return try setting(parameters: [timeStep: stepMs])
    }
}
