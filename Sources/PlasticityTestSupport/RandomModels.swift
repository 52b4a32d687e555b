import Foundation
import Plasticity

/// Random neuron models for differential fuzzing of the compiler.
///
/// A valid model has 1–4 states, 1–2 inputs, fixed and learnable parameters, 0–2 definitions,
/// random expression trees over all of them (every DSL operation, with arguments kept inside
/// each operation's domain: `log(1 + x²)`, `pow(1 + x², c)`, `y / (1 + x²)`), a random reset
/// rule per state, a spike with a random surrogate (or, one time in eight, a value output) and
/// a random reset-gradient choice. Updates are contractive — h_s ← a_s·ĥ_s + b_s·tanh(E_s) + input
/// with |a_s| < 1 — so long runs stay finite and the comparison measures the compiler, not
/// exploding dynamics. Declaration i sits on line i + 1 of a pseudo-file, so errors can be
/// checked for the line they name.
public struct RandomModelGenerator {
    public var rng: SplitMix64
    /// Draw sin, cos, abs, sqrt, ==, != and and/or too (off: the stream of models the recorded
    /// seeds name stays as it was).
    public var extendedOperations = false
    public init(seed: UInt64, extendedOperations: Bool = false) {
        rng = SplitMix64(seed: seed)
        self.extendedOperations = extendedOperations
    }

    mutating func uniform(_ range: ClosedRange<Double>) -> Double {
        range.lowerBound + (range.upperBound - range.lowerBound) * Double(rng.next() >> 11) / Double(1 << 53)
    }
    mutating func int(_ range: ClosedRange<Int>) -> Int { range.lowerBound + Int(rng.next() % UInt64(range.count)) }
    mutating func chance(_ p: Double) -> Bool { uniform(0...1) < p }
    mutating func pick<T>(_ items: [T]) -> T { items[int(0...(items.count - 1))] }
    /// A constant with a short decimal form (two digits), as a user would write it.
    mutating func constant(_ range: ClosedRange<Double>) -> Expr { .constant((uniform(range) * 100).rounded() / 100) }

    /// A random expression of at most `depth` levels over `leaves`.
    public mutating func expression(depth: Int, leaves: [String], learnables: [String]) -> Expr {
        if depth == 0 || chance(0.25) { return chance(0.85) && !leaves.isEmpty ? .symbol(pick(leaves)) : constant(-2...2) }
        func sub(_ g: inout RandomModelGenerator) -> Expr { g.expression(depth: depth - 1, leaves: leaves, learnables: learnables) }
        switch int(0...(extendedOperations ? 21 : 15)) {
        case 0: return sub(&self) + sub(&self)
        case 1: return sub(&self) - sub(&self)
        case 2: return constant(-1.5...1.5) * sub(&self)
        case 3: return sub(&self) * sub(&self)
        case 4: return tanh(sub(&self))
        case 5: return sigmoid(sub(&self))
        case 6: return exp(tanh(sub(&self)))
        case 7: let x = sub(&self); return log(1 + x * x)
        case 8:
            let x = sub(&self)
            let exponent: Expr = !learnables.isEmpty && chance(0.3) ? .symbol(pick(learnables)) : constant(0.3...1.5)
            return pow(1 + x * x, exponent)
        case 9: let x = sub(&self); return sub(&self) / (1 + x * x)
        case 10: return min(sub(&self), sub(&self))
        case 11: return max(sub(&self), sub(&self))
        case 12: return clamp(sub(&self), constant(-2 ... -0.5), constant(0.5...2))
        case 13: return select(sub(&self) > sub(&self), sub(&self), sub(&self))
        case 14: return stopGradient(sub(&self)) + (chance(0.3) ? stopGradient(heaviside(sub(&self))) : 0)
        case 15: return -sub(&self)
        case 16: return sin(sub(&self))
        case 17: return cos(sub(&self))
        case 18: return abs(sub(&self))
        case 19: let x = sub(&self); return sqrt(1 + x * x)
        case 20: return select(equal(stopGradient(heaviside(sub(&self))), 1) || notEqual(sub(&self), sub(&self)), sub(&self), sub(&self))
        default: return select(sub(&self) > sub(&self) && sub(&self) <= sub(&self), sub(&self), sub(&self))
        }
    }

    /// A random valid model with the ranges the oracle checks draw from.
    public mutating func validCase(name: String) -> ModelCase {
        let k = int(1...4), channels = int(1...2), fixedCount = int(0...2), learnableCount = int(0...2), definitionCount = int(0...2)
        let states = (0..<k).map { "s\($0)" }, inputs = (0..<channels).map { "I\($0)" }
        let fixed = (0..<fixedCount).map { "p\($0)" }, learnables = (0..<learnableCount).map { "w\($0)" }
        let definitions = (0..<definitionCount).map { "d\($0)" }
        let spiking = !chance(0.125)
        var declarations: [Declaration] = []
        func at() -> SourceLocation { SourceLocation(file: "\(name).swift", line: declarations.count + 1) }
        declarations.append(.parameter(name: "threshold", value: (uniform(0.5...1.2) * 100).rounded() / 100, learnable: false, at: at()))
        for p in fixed { declarations.append(.parameter(name: p, value: (uniform(-1...1) * 100).rounded() / 100, learnable: false, at: at())) }
        for w in learnables { declarations.append(.parameter(name: w, value: (uniform(0.5...1.5) * 100).rounded() / 100, learnable: true, at: at())) }
        for i in inputs { declarations.append(.input(name: i, at: at())) }
        for s in states { declarations.append(.state(name: s, initial: chance(0.5) ? 0 : (uniform(-0.5...0.5) * 100).rounded() / 100, at: at())) }
        let parameters = ["threshold"] + fixed + learnables
        // Definitions read states, inputs, parameters, the previous spike and earlier definitions.
        for (i, d) in definitions.enumerated() {
            let leaves = states + inputs + parameters + Array(definitions.prefix(i)) + (spiking ? [BuiltinSymbol.previousSpike] : [])
            declarations.append(.define(name: d, expression(depth: 3, leaves: leaves, learnables: learnables), at: at()))
        }
        // Resets read the pre-reset states and parameters.
        for (s, state) in states.enumerated() where spiking && (s == 0 || chance(0.4)) {
            let amount: Expr = s == 0 ? .symbol("threshold") : expression(depth: 1, leaves: states + parameters, learnables: learnables)
            let rule: ResetRule = switch int(0...2) {
            case 0: .subtract(amount)
            case 1: .add(s == 0 ? -amount : amount)
            default: .to(s == 0 ? constant(-0.3...0.2) : amount)
            }
            declarations.append(.reset(state: state, rule, at: at()))
        }
        let updateLeaves = states + inputs + parameters + definitions + (spiking ? [BuiltinSymbol.previousSpike] : [])
        for (s, state) in states.enumerated() {
            let decay = constant(0.3...0.95), gain = constant(-0.8...0.8)
            // State 0 integrates the first channel (the one projections feed in the checks).
            let drive: Expr = s == 0 ? .symbol(inputs[0]) : constant(-0.5...0.5) * .symbol(pick(inputs))
            let body = decay * .symbol(state) + gain * tanh(expression(depth: 3, leaves: updateLeaves, learnables: learnables)) + drive
            declarations.append(.update(state: state, body, at: at()))
        }
        let outputLeaves = states + parameters
        let extra = constant(-0.3...0.3) * tanh(expression(depth: 2, leaves: outputLeaves, learnables: learnables))
        if spiking {
            // Every surrogate kind, from the enum itself: a new kind must name its scale range here to compile.
            let kinds = Surrogate.Kind.allCases, kind = kinds[int(0...(kinds.count - 1))]
            let scales: ClosedRange<Double> = switch kind {
            case .fastSigmoid: 1...10
            case .piecewiseLinear, .boxcar: 0.3...1
            case .exponential, .arctan, .gaussian: 1...5
            }
            let surrogate = Surrogate(kind, scale: (uniform(scales) * 10).rounded() / 10)
            declarations.append(.spike(condition: (.symbol("s0") - .symbol("threshold") + extra) / .symbol("threshold"), surrogate: surrogate,
                                       at: at()))
        } else {
            declarations.append(.output(.symbol("s0") + extra, at: at()))
        }
        let all = declarations
        var model = NeuronModel(name, fileID: "\(name).swift", line: 0) { all }
        model.resetGradient = chance(0.5) ? .stopped : .differentiated
        return ModelCase(name: name, stateRanges: Array(repeating: -1...2, count: k), inputRange: -1...2,
                         parameterRanges: Dictionary(uniqueKeysWithValues: learnables.map { ($0, 0.5...1.5) }),
                         weightRange: 0...1, inputRate: 0.3, custom: model)
    }

    /// A near-valid model: a valid one with one defect, and the line the error must name.
    public mutating func invalidModel(name: String) -> (model: NeuronModel, defect: String, line: Int) {
        let base = validCase(name: name).custom!
        var declarations = base.declarations
        func line(_ i: Int) -> Int { declarations[i].location.line }
        let updates = declarations.indices.filter { if case .update = declarations[$0] { return true }; return false }
        let u = pick(updates)
        guard case .update(let state, let body, let location) = declarations[u] else { fatalError() }
        let defect: String, defectLine: Int
        switch int(0...9) {
        case 0:
            defect = "unknown symbol"
            declarations[u] = .update(state: state, body + .symbol("\(state)_typo"), at: location); defectLine = line(u)
        case 1:
            defect = "state without update"
            declarations.remove(at: u)
            defectLine = declarations.first { if case .state(state, _, _) = $0 { return true }; return false }!.location.line
        case 2:
            defect = "duplicate update"
            declarations.append(.update(state: state, body, at: SourceLocation(file: location.file, line: 900))); defectLine = 900
        case 3:
            defect = "update of an unknown state"
            declarations[u] = .update(state: "ghost", body, at: location); defectLine = line(u)
        case 4:
            defect = "algebraic cycle"
            declarations.append(.define(name: "loopA", .symbol("loopB") + 1, at: SourceLocation(file: location.file, line: 901)))
            declarations.append(.define(name: "loopB", .symbol("loopA") * 2, at: SourceLocation(file: location.file, line: 902)))
            defectLine = 901
        case 5:
            defect = "non-finite constant"
            declarations[u] = .update(state: state, body + .constant(pick([Double.nan, .infinity, -.infinity])), at: location); defectLine = line(u)
        case 6:
            defect = "heaviside outside stopGradient"
            declarations[u] = .update(state: state, body + heaviside(.symbol(state)), at: location); defectLine = line(u)
        case 7:
            defect = "duplicate name"
            declarations.append(.parameter(name: state, value: 1, learnable: false, at: SourceLocation(file: location.file,
                line: 903))); defectLine = 903
        case 8:
            defect = "input read by the output"
            let o = declarations.indices.last!
            switch declarations[o] {
            case .spike(let c, let s, let at): declarations[o] = .spike(condition: c + .symbol("I0"), surrogate: s, at: at)
            case .output(let e, let at): declarations[o] = .output(e + .symbol("I0"), at: at)
            default: fatalError()
            }
            defectLine = line(o)
        default:
            defect = "missing output"
            declarations.removeLast()
            defectLine = base.location.line
        }
        let all = declarations
        var model = NeuronModel(name, fileID: base.location.file, line: base.location.line) { all }
        model.resetGradient = base.resetGradient
        return (model, defect, defectLine)
    }
}

/// How many random models a fuzzing test checks: `standard`, or fewer when PLASTICITY_FUZZ_MODELS
/// says so — the sanitizer run of `.ci/test.sh`, where the Swift compiler pipeline runs about
/// 10x slower and the C it exercises is the same for a dozen models as for 200.
public func fuzzModelCount(standard: Int) -> Int {
    ProcessInfo.processInfo.environment["PLASTICITY_FUZZ_MODELS"].flatMap { Int($0) }.map { min($0, standard) } ?? standard
}
