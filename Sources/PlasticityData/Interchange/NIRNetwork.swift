import Foundation
import Plasticity

/// The neuron models NIR's spiking nodes become, discretized by forward Euler with the step dt
/// (docs/nir.md): with a = dt/τ,
///
///     LIF      v ← (1 − a) v + a v_leak + a r I          α = 1 − a, leak = a v_leak, gain = a r
///     IF       v ← v + dt r I                            α = 1, leak = 0, gain = dt r
///     CubaLIF  i ← (1 − a_syn) i + a_syn w_in I          then v as LIF with I = the new i
///
/// and a spike when v > threshold, after which v starts the next step from `reset` (NIR's reset
/// to v_reset). Updates read the previous step's states, so LIF and IF are exactly the explicit
/// Euler step of the continuous equations; CubaLIF's v reads the current step's i (its update
/// written out), as snnTorch's `Synaptic` and Norse step it, so that their networks and these
/// give the same spikes. `cubaLIFPreviousCurrent` is the form that reads the previous step's i
/// (what Plasticity imported before); models of that form still export, to the same node.
public enum NIRNeurons {
    public static func lif(alpha: Double = 0.95, leak: Double = 0, gain: Double = 1, threshold: Double = 1, reset: Double = 0,
                           surrogate: Surrogate = .fastSigmoid(scale: 10)) -> NeuronModel {
        NeuronModel("NIR-LIF") {
            Parameter("alpha", alpha); Parameter("leak", leak); Parameter("gain", gain)
            Parameter("threshold", threshold); Parameter("reset", reset)
            Input("I")
            State("v", initial: 0)
            Reset("v", to: { $0.reset })
            Update("v") { $0.alpha * $0.v + $0.leak + $0.gain * $0.I }
            Spike(surrogate: surrogate) { $0.v - $0.threshold }
        }
    }

    public static func cubaLIF(alphaSyn: Double = 0.9, gainSyn: Double = 1, alpha: Double = 0.95, leak: Double = 0, gain: Double = 1,
                               threshold: Double = 1, reset: Double = 0, surrogate: Surrogate = .fastSigmoid(scale: 10)) -> NeuronModel {
        cubaLIF(currentStep: true, alphaSyn: alphaSyn, gainSyn: gainSyn, alpha: alpha, leak: leak, gain: gain, threshold: threshold, reset: reset,
                surrogate: surrogate)
    }

    /// CubaLIF whose v reads the previous step's synaptic current.
    public static func cubaLIFPreviousCurrent(alphaSyn: Double = 0.9, gainSyn: Double = 1, alpha: Double = 0.95, leak: Double = 0,
                                              gain: Double = 1, threshold: Double = 1, reset: Double = 0,
                                              surrogate: Surrogate = .fastSigmoid(scale: 10)) -> NeuronModel {
        cubaLIF(currentStep: false, alphaSyn: alphaSyn, gainSyn: gainSyn, alpha: alpha, leak: leak, gain: gain, threshold: threshold, reset: reset,
                surrogate: surrogate)
    }

    static func cubaLIF(currentStep: Bool, alphaSyn: Double, gainSyn: Double, alpha: Double, leak: Double, gain: Double, threshold: Double,
                        reset: Double, surrogate: Surrogate) -> NeuronModel {
        NeuronModel("NIR-CubaLIF") {
            Parameter("alpha_syn", alphaSyn); Parameter("gain_syn", gainSyn)
            Parameter("alpha", alpha); Parameter("leak", leak); Parameter("gain", gain)
            Parameter("threshold", threshold); Parameter("reset", reset)
            Input("I")
            State("i_syn", initial: 0)
            State("v", initial: 0)
            Reset("v", to: { $0.reset })
            Update("i_syn") { $0.alpha_syn * $0.i_syn + $0.gain_syn * $0.I }
            if currentStep {
                Update("v") { $0.alpha * $0.v + $0.leak + $0.gain * ($0.alpha_syn * $0.i_syn + $0.gain_syn * $0.I) }
            } else {
                Update("v") { $0.alpha * $0.v + $0.leak + $0.gain * $0.i_syn }
            }
            Spike(surrogate: surrogate) { $0.v - $0.threshold }
        }
    }

    /// Which NIR neuron a model is, by structure: the same declarations and expressions as a
    /// template, whatever its name, parameter values, learnability and surrogate.
    enum Kind { case lif, cubaLIF, cubaLIFPreviousCurrent, subtractiveLIF }

    static func kind(of model: ModelFile) -> Kind? {
        func shape(_ file: ModelFile) -> ModelFile {
            var f = file
            f.name = ""; f.comment = nil; f.spike?.surrogate = nil
            f.parameters = f.parameters.map { .init(name: $0.name, value: 0, learnable: false) }
            return f
        }
        let templates: [(Kind, NeuronModel)] = [(.lif, lif()), (.cubaLIF, cubaLIF()), (.cubaLIFPreviousCurrent, cubaLIFPreviousCurrent()),
                                                (.subtractiveLIF, Models.lif(resetGradient: model.resetGradient))]
        let mine = shape(model)
        return templates.first { var t = shape(ModelFile($0.1)); t.resetGradient = model.resetGradient; return t == mine }?.0
    }
}

/// Plasticity's network as NIR parameters and back: the per-neuron values of a layer's model
/// parameters, and the node a layer becomes for a step of `dt` seconds.
extension NIRNeurons {
    /// The NIR node of a hidden layer whose parameters (per neuron) are `values`.
    static func node(_ kind: Kind, _ values: [String: [Double]], dt: Double, resetToZero: Bool, layer: String) throws -> NIRGraph.Node {
        func v(_ name: String) -> [Double] { values[name]! }
        let n = values.values.first!.count
        switch kind {
        case .subtractiveLIF:
            guard resetToZero else {
                throw NIRError(layer, "its model (LIF) resets by subtracting the threshold, which NIR cannot express; export with " +
                               "--reset-to-zero to approximate it by NIR's reset to 0 (the exported network then differs), or train a " +
                               "reset-to-value LIF (examples/models/nir-lif.json)")
            }
            return try node(.lif, ["alpha": v("alpha"), "leak": .init(repeating: 0, count: n), "gain": .init(repeating: 1, count: n),
                                   "threshold": v("threshold"), "reset": .init(repeating: 0, count: n)], dt: dt, resetToZero: false, layer: layer)
        case .lif:
            let alpha = v("alpha")
            if alpha.allSatisfy({ $0 == 1 }) {
                guard v("leak").allSatisfy({ $0 == 0 }) else { throw NIRError(layer, "α = 1 with a leak term has no NIR node (IF has no v_leak)") }
                return .integrateAndFire(r: v("gain").map { $0 / dt }, vThreshold: v("threshold"), vReset: v("reset"))
            }
            let above = alpha.indices.filter { alpha[$0] >= 1 }
            guard above.isEmpty else {
                let listed = above.prefix(5).map { "\($0): \(alpha[$0])" }.joined(separator: ", ")
                throw NIRError(layer, "α must be below 1 in every neuron (or 1 in all, for IF): NIR's τ = dt/(1 − α); \(above.count) neuron(s) " +
                               "have α ≥ 1 (\(listed)). Keep a learnable α below 1 with bounds (the layer's initializers, " +
                               "\"alpha\": {…, \"bounds\": [0, 0.999]}) and train again")
            }
            return .lif(tau: alpha.map { dt / (1 - $0) }, r: zip(v("gain"), alpha).map { $0 / (1 - $1) },
                        vLeak: zip(v("leak"), alpha).map { $0 / (1 - $1) }, vThreshold: v("threshold"), vReset: v("reset"))
        case .cubaLIF, .cubaLIFPreviousCurrent:
            let alpha = v("alpha"), alphaSyn = v("alpha_syn")
            guard alpha.allSatisfy({ $0 < 1 }) && alphaSyn.allSatisfy({ $0 < 1 }) else {
                throw NIRError(layer, "α and α_syn must be below 1 in every neuron")
            }
            return .cubaLIF(tauSyn: alphaSyn.map { dt / (1 - $0) }, tauMem: alpha.map { dt / (1 - $0) },
                            r: zip(v("gain"), alpha).map { $0 / (1 - $1) },
                            vLeak: zip(v("leak"), alpha).map { $0 / (1 - $1) }, wIn: zip(v("gain_syn"), alphaSyn).map { $0 / (1 - $1) },
                            vThreshold: v("threshold"), vReset: v("reset"))
        }
    }

    /// The model of a NIR neuron node, and the parameters whose values differ between neurons
    /// (one value each; the layer takes them as per-neuron initializers, `ParameterInit.values`).
    static func model(of node: NIRGraph.Node, dt: Double, name: String) throws -> (NeuronModel, perNeuron: [String: [Double]]) {
        func finite(_ parameter: String, _ values: [Double]) throws -> [Double] {
            if let bad = values.first(where: { !$0.isFinite }) { throw NIRError(name, "\(parameter) holds \(bad), not a finite number") }
            return values
        }
        func step(_ parameter: String, _ tau: [Double]) throws -> [Double] {
            try finite(parameter, tau).map { t in
                guard t > 0 else { throw NIRError(name, "\(parameter) = \(t) s is not a positive time constant") }
                guard t >= dt else {
                    throw NIRError(name, "\(parameter) = \(t) s is shorter than dt = \(dt) s: forward Euler at this dt would overshoot")
                }
                return dt / t
            }
        }
        func times(_ a: [Double], _ b: [Double]) -> [Double] { zip(a, b).map { $0 * $1 } }
        let values: [String: [Double]], make: ([String: Double]) -> NeuronModel
        switch node {
        case .lif(let tau, let r, let vLeak, let vThreshold, let vReset):
            let a = try step("tau", tau)
            values = ["alpha": a.map { 1 - $0 }, "leak": times(a, try finite("v_leak", vLeak)), "gain": times(a, try finite("r", r)),
                      "threshold": try finite("v_threshold", vThreshold), "reset": try finite("v_reset", vReset)]
            make = { lif(alpha: $0["alpha"]!, leak: $0["leak"]!, gain: $0["gain"]!, threshold: $0["threshold"]!, reset: $0["reset"]!) }
        case .integrateAndFire(let r, let vThreshold, let vReset):
            values = ["gain": try finite("r", r).map { dt * $0 }, "threshold": try finite("v_threshold", vThreshold),
                      "reset": try finite("v_reset", vReset)]
            make = { lif(alpha: 1, leak: 0, gain: $0["gain"]!, threshold: $0["threshold"]!, reset: $0["reset"]!) }
        case .cubaLIF(let tauSyn, let tauMem, let r, let vLeak, let wIn, let vThreshold, let vReset):
            let a = try step("tau_mem", tauMem), aSyn = try step("tau_syn", tauSyn)
            values = ["alpha_syn": aSyn.map { 1 - $0 }, "gain_syn": times(aSyn, try finite("w_in", wIn)), "alpha": a.map { 1 - $0 },
                      "leak": times(a, try finite("v_leak", vLeak)), "gain": times(a, try finite("r", r)),
                      "threshold": try finite("v_threshold", vThreshold), "reset": try finite("v_reset", vReset)]
            make = {
                cubaLIF(alphaSyn: $0["alpha_syn"]!, gainSyn: $0["gain_syn"]!, alpha: $0["alpha"]!, leak: $0["leak"]!, gain: $0["gain"]!,
                        threshold: $0["threshold"]!, reset: $0["reset"]!)
            }
        default:
            throw NIRError(name, "is a \(node.typeName) node; a hidden layer must be LIF, CubaLIF or IF")
        }
        let perNeuron = values.filter { _, v in v.contains { $0 != v[0] } }
        return (make(values.mapValues { $0.first ?? 0 }), perNeuron)
    }
}

/// A NIR graph Plasticity cannot export or import, naming the layer or node.
public struct NIRError: Error, CustomStringConvertible, Sendable {
    public var subject: String, message: String
    init(_ subject: String, _ message: String) { self.subject = subject; self.message = message }
    public var description: String { "\(subject): \(message)" }
}
