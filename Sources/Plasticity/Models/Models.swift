#if canImport(Glibc)
import Glibc
#endif

/// The names of the built-in neuron models (configs, checkpoints, `plasticity compile --model`).
public enum BuiltinModel: String, ConfigEnum {
    case lif, alif, cubaLIF = "cuba-lif", adlif, izhikevich, adex, readout
    public static var aliases: [String: BuiltinModel] {
        ["cubalif": .cubaLIF, "current-lif": .cubaLIF, "izh": .izhikevich, "leaky-readout": .readout, "li": .readout]
    }

    /// The model with its default constants.
    public var model: NeuronModel {
        switch self {
        case .lif: return Models.lif()
        case .alif: return Models.alif()
        case .cubaLIF: return Models.currentBasedLIF()
        case .adlif: return Models.adaptiveLIF()
        case .izhikevich: return Models.izhikevich()
        case .adex: return Models.adex()
        case .readout: return Models.leakyReadout()
        }
    }
}

/// Physical constants a config may give a built-in model (nil: the model's default). Times are in
/// milliseconds and become per-step decays exp(−dt/τ) with the step length dt.
public struct NeuronConstants: Sendable, Hashable {
    public var membraneMs: Double?
    public var adaptationMs: Double?
    /// Threshold increase per spike (ALIF's β in a^t = ρ a^{t−1} + z^{t−1}, threshold v_th + β a).
    public var adaptationStep: Double?
    public var threshold: Double?
    public init(membraneMs: Double? = nil, adaptationMs: Double? = nil, adaptationStep: Double? = nil, threshold: Double? = nil) {
        self.membraneMs = membraneMs; self.adaptationMs = adaptationMs; self.adaptationStep = adaptationStep; self.threshold = threshold
    }
}

extension BuiltinModel {
    /// The parameter values that `constants` give this model at a step of `stepMs`. Each model
    /// says which of its parameters a constant means (α is the membrane decay of LIF and ALIF);
    /// constants a model has no parameter for are not used.
    public func parameterValues(stepMs dt: Double, constants c: NeuronConstants) -> [String: Double] {
        func decay(_ ms: Double?) -> Double? { ms.map { exp(-dt / $0) } }
        var values: [String: Double?]
        switch self {
        case .lif, .cubaLIF: values = ["alpha": decay(c.membraneMs), "threshold": c.threshold]
        case .alif:
            values = ["alpha": decay(c.membraneMs), "rho": decay(c.adaptationMs), "beta": c.adaptationStep, "threshold": c.threshold]
        case .adlif: values = ["alpha": decay(c.membraneMs), "beta": decay(c.adaptationMs), "threshold": c.threshold]
        case .izhikevich, .adex, .readout: values = [:]
        }
        return values.compactMapValues { $0 }
    }
}

/// The built-in neuron models, each written in the DSL exactly as a user would write one.
public enum Models {
    /// Names accepted by `builtin(named:)` and `plasticity compile --model`.
    public static let names = BuiltinModel.allCases.map(\.rawValue)

    public static func builtin(named name: String) -> NeuronModel? { BuiltinModel(named: name)?.model }

    /// Leaky integrate-and-fire (Bellec et al. 2020, subtractive reset):
    /// v^t = α (v^{t-1} − z^{t-1} v_th) + I^t,  z^t = Θ((v^t − v_th)/v_th).
    public static func lif(alpha: Double = exp(-1.0 / 20), threshold: Double = 1.0,
                           surrogate: Surrogate = .fastSigmoid(scale: 10),
                           resetGradient: ResetGradient = .stopped) -> NeuronModel {
        NeuronModel("LIF", resetGradient: resetGradient) {
            Parameter("alpha", alpha)
            Parameter("threshold", threshold)
            Input("I")
            State("v", initial: 0)
            Reset("v", subtract: { $0.threshold })
            Update("v") { $0.alpha * $0.v + $0.I }
            Spike(surrogate: surrogate) { ($0.v - $0.threshold) / $0.threshold }
        }
    }

    /// Adaptive LIF (Bellec et al. 2020): the threshold A = v_th + β a rises with each spike,
    /// a^t = ρ a^{t-1} + z^{t-1}.
    public static func alif(alpha: Double = exp(-1.0 / 20), rho: Double = exp(-1.0 / 200),
                            beta: Double = 1.8, threshold: Double = 0.6,
                            surrogate: Surrogate = .piecewiseLinear(scale: 0.3),
                            resetGradient: ResetGradient = .stopped) -> NeuronModel {
        NeuronModel("ALIF", resetGradient: resetGradient) {
            Parameter("alpha", alpha)
            Parameter("rho", rho)
            Parameter("beta", beta)
            Parameter("threshold", threshold)
            Input("I")
            State("v", initial: 0)
            State("a", initial: 0)
            Reset("v", subtract: { $0.threshold })
            Update("v") { $0.alpha * $0.v + $0.I }
            Update("a") { $0.rho * $0.a + $0.spike }
            Spike(surrogate: surrogate) { ($0.v - $0.threshold - $0.beta * $0.a) / $0.threshold }
        }
    }

    /// Current-based LIF: a synaptic current filters the input before the membrane does.
    public static func currentBasedLIF(alpha: Double = exp(-1.0 / 20), alphaSynapse: Double = exp(-1.0 / 5),
                                       threshold: Double = 1.0, surrogate: Surrogate = .fastSigmoid(scale: 10),
                                       resetGradient: ResetGradient = .stopped) -> NeuronModel {
        NeuronModel("CuBaLIF", resetGradient: resetGradient) {
            Parameter("alpha", alpha)
            Parameter("alpha_syn", alphaSynapse)
            Parameter("threshold", threshold)
            Input("I")
            State("syn", initial: 0)
            State("v", initial: 0)
            Let("syn_next") { $0.alpha_syn * $0.syn + $0.I }
            Reset("v", subtract: { $0.threshold })
            Update("syn") { $0.syn_next }
            Update("v") { $0.alpha * $0.v + (1 - $0.alpha) * $0.syn_next }
            Spike(surrogate: surrogate) { ($0.v - $0.threshold) / $0.threshold }
        }
    }

    /// adLIF (Bittar & Garner 2022): LIF with a coupled adaptation current whose decays and
    /// couplings (α, β, a, b) are learnable per neuron.
    public static func adaptiveLIF(alpha: Double = exp(-1.0 / 10), beta: Double = exp(-1.0 / 100),
                                   a: Double = 0.5, b: Double = 1.0, threshold: Double = 1.0,
                                   surrogate: Surrogate = .boxcar(scale: 0.5),
                                   resetGradient: ResetGradient = .stopped) -> NeuronModel {
        NeuronModel("adLIF", resetGradient: resetGradient) {
            Parameter("alpha", alpha, learnable: true)
            Parameter("beta", beta, learnable: true)
            Parameter("a", a, learnable: true)
            Parameter("b", b, learnable: true)
            Parameter("threshold", threshold)
            Input("I")
            State("u", initial: 0)
            State("w", initial: 0)
            Reset("u", subtract: { $0.threshold })
            Update("u") { $0.alpha * $0.u + (1 - $0.alpha) * ($0.I - $0.w) }
            Update("w") { $0.beta * $0.w + (1 - $0.beta) * ($0.a * $0.u + $0.b * $0.spike) }
            Spike(surrogate: surrogate) { $0.u - $0.threshold }
        }
    }

    /// Izhikevich (2003) regular spiking, Euler step dt (ms); v in mV, the input in mV/ms.
    public static func izhikevich(a: Double = 0.02, b: Double = 0.2, c: Double = -65, d: Double = 8,
                                  dt: Double = 0.5, surrogate: Surrogate = .fastSigmoid(scale: 0.2),
                                  resetGradient: ResetGradient = .stopped) -> NeuronModel {
        NeuronModel("Izhikevich", resetGradient: resetGradient) {
            Parameter("a", a)
            Parameter("b", b)
            Parameter("c", c)
            Parameter("d", d)
            Parameter("dt", dt)
            Parameter("v_peak", 30)
            Input("I")
            State("v", initial: c)
            State("u", initial: b * c)
            Reset("v", to: { $0.c })
            Reset("u", add: { $0.d })
            Update("v") { $0.v + $0.dt * (0.04 * $0.v * $0.v + 5 * $0.v + 140 - $0.u + $0.I) }
            Update("u") { $0.u + $0.dt * $0.a * ($0.b * $0.v - $0.u) }
            Spike(surrogate: surrogate) { $0.v - $0.v_peak }
        }
    }

    /// Adaptive exponential integrate-and-fire (Brette & Gerstner 2005), in mV and ms, Euler step
    /// dt; the exponential term's argument is capped (as simulators do) so one step stays finite.
    public static func adex(tauMembrane: Double = 9.37, leakReversal: Double = -70.6,
                            thresholdPotential: Double = -50.4, slope: Double = 2.0,
                            tauAdaptation: Double = 144, a: Double = 0.133, b: Double = 2.68,
                            resetPotential: Double = -70.6, dt: Double = 0.5,
                            surrogate: Surrogate = .fastSigmoid(scale: 0.1),
                            resetGradient: ResetGradient = .stopped) -> NeuronModel {
        NeuronModel("AdEx", resetGradient: resetGradient) {
            Parameter("tau_m", tauMembrane)
            Parameter("e_l", leakReversal)
            Parameter("v_t", thresholdPotential)
            Parameter("delta_t", slope)
            Parameter("tau_w", tauAdaptation)
            Parameter("a", a)
            Parameter("b", b)
            Parameter("v_r", resetPotential)
            Parameter("v_peak", 0)
            Parameter("dt", dt)
            Input("I")
            State("v", initial: leakReversal)
            State("w", initial: 0)
            Reset("v", to: { $0.v_r })
            Reset("w", add: { $0.b })
            Let("exp_drive") { $0.delta_t * exp(min(($0.v - $0.v_t) / $0.delta_t, 8)) }
            Update("v") { $0.v + $0.dt / $0.tau_m * (-($0.v - $0.e_l) + $0.exp_drive - $0.w + $0.I) }
            Update("w") { $0.w + $0.dt / $0.tau_w * ($0.a * ($0.v - $0.e_l) - $0.w) }
            Spike(surrogate: surrogate) { $0.v - $0.v_peak }
        }
    }

    /// Leaky integrator readout: y^t = κ y^{t-1} + I^t, output y (no spike).
    public static func leakyReadout(kappa: Double = exp(-1.0 / 20)) -> NeuronModel {
        NeuronModel("Readout") {
            Parameter("kappa", kappa)
            Input("I")
            State("y", initial: 0)
            Update("y") { $0.kappa * $0.y + $0.I }
            Output { $0.y }
        }
    }
}
