import Testing
@testable import Plasticity

/// Each invalid model is rejected with the error kind, the offending symbol, and the line.
@Suite struct ValidationTests {
    func rejection(_ model: NeuronModel) -> ModelError? {
        do { _ = try model.checked(); return nil } catch let e as ModelError { return e } catch { return nil }
    }

    func expect(_ model: NeuronModel, _ kind: ModelError.Kind, symbol: String, line: Int) {
        guard let e = rejection(model) else { Issue.record("model was accepted"); return }
        #expect(e.kind == kind)
        #expect(e.symbol == symbol)
        #expect(e.location.line == line, "\(e)")
        #expect(e.description.contains("ValidationTests.swift:\(line)"))
        #expect(e.description.contains("'\(symbol)'") || e.description.contains(symbol))
    }

    @Test func unknownSymbol() {
        let line = #line + 5
        let m = NeuronModel("M") {
            Parameter("alpha", 0.9)
            Input("I")
            State("v")
            Update("v") { $0.alpha * $0.vv + $0.I }
            Spike(surrogate: .fastSigmoid(scale: 10)) { $0.v - 1 }
        }
        expect(m, .unknownSymbol, symbol: "vv", line: line)
    }

    @Test func stateWithoutUpdate() {
        let line = #line + 4
        let m = NeuronModel("M") {
            Input("I")
            State("v")
            State("a")
            Update("v") { $0.v + $0.I }
            Spike(surrogate: .fastSigmoid(scale: 10)) { $0.v - 1 }
        }
        expect(m, .stateWithoutUpdate, symbol: "a", line: line)
    }

    @Test func algebraicCycle() {
        let line = #line + 5
        let m = NeuronModel("M") {
            Input("I")
            State("v")
            Let("p") { $0.q + $0.I }
            Let("q") { $0.p * 2 }
            Update("v") { $0.p }
            Spike(surrogate: .fastSigmoid(scale: 10)) { $0.v - 1 }
        }
        guard let e = rejection(m) else { Issue.record("accepted"); return }
        #expect(e.kind == .algebraicCycle)
        #expect(["p", "q"].contains(e.symbol))
        #expect([line - 1, line].contains(e.location.line))
        #expect(e.message.contains("p -> q -> p") || e.message.contains("q -> p -> q"), "\(e)")
    }

    @Test func spikeWithoutSurrogate() {
        let line = #line + 5
        let m = NeuronModel("M") {
            Input("I")
            State("v")
            Update("v") { $0.v + $0.I }
            Spike(surrogate: nil) { $0.v - 1 }
        }
        expect(m, .missingSurrogate, symbol: "Spike", line: line)
    }

    @Test func duplicateName() {
        let line = #line + 3
        let m = NeuronModel("M") {
            Input("v")
            State("v")
            Update("v") { $0.v }
            Spike(surrogate: .fastSigmoid(scale: 10)) { $0.v - 1 }
        }
        expect(m, .duplicateName, symbol: "v", line: line)
    }

    @Test func parameterUsedAsState() {
        let line = #line + 6
        let m = NeuronModel("M") {
            Parameter("alpha", 0.9)
            Input("I")
            State("v")
            Update("v") { $0.alpha * $0.v + $0.I }
            Update("alpha") { $0.alpha * 2 }
            Spike(surrogate: .fastSigmoid(scale: 10)) { $0.v - 1 }
        }
        expect(m, .notAState, symbol: "alpha", line: line)
    }

    @Test func nonDifferentiableUse() {
        let line = #line + 4
        let m = NeuronModel("M") {
            Input("I")
            State("v")
            Update("v") { $0.v * heaviside($0.v - 1) + $0.I }
            Spike(surrogate: .fastSigmoid(scale: 10)) { $0.v - 1 }
        }
        expect(m, .nonDifferentiable, symbol: "v", line: line)
        // The same use under stopGradient is accepted.
        let fixed = NeuronModel("M") {
            Input("I")
            State("v")
            Update("v") { $0.v * stopGradient(heaviside($0.v - 1)) + $0.I }
            Spike(surrogate: .fastSigmoid(scale: 10)) { $0.v - 1 }
        }
        #expect(rejection(fixed) == nil)
    }

    @Test func inputReadBySpikeCondition() {
        let line = #line + 5
        let m = NeuronModel("M") {
            Input("I")
            State("v")
            Update("v") { $0.v + $0.I }
            Spike(surrogate: .boxcar(scale: 0.5)) { $0.v + $0.I - 1 }
        }
        expect(m, .symbolNotAllowedHere, symbol: "I", line: line)
    }

    /// The spike condition and the output may read Lets: the model compiles to the same checked
    /// model (and C) as with the expression written out there; a Let that reads an input cannot
    /// be used there, and the error names the input.
    @Test func spikeConditionAndOutputReadLets() throws {
        let withLet = NeuronModel("M") {
            Parameter("threshold", 0.8)
            Input("I")
            State("v")
            State("a")
            Let("effective") { $0.threshold + 0.5 * $0.a }
            Let("margin") { ($0.v - $0.effective) / $0.effective }
            Update("v") { 0.9 * $0.v + $0.I }
            Update("a") { 0.95 * $0.a }
            Spike(surrogate: .fastSigmoid(scale: 10)) { $0.margin }
        }
        let written = NeuronModel("M") {
            Parameter("threshold", 0.8)
            Input("I")
            State("v")
            State("a")
            Let("effective") { $0.threshold + 0.5 * $0.a }
            Let("margin") { ($0.v - $0.effective) / $0.effective }
            Update("v") { 0.9 * $0.v + $0.I }
            Update("a") { 0.95 * $0.a }
            Spike(surrogate: .fastSigmoid(scale: 10)) { ($0.v - ($0.threshold + 0.5 * $0.a)) / ($0.threshold + 0.5 * $0.a) }
        }
        #expect(try withLet.checked().output == written.checked().output)
        #expect(try lower(LayerSpec(model: withLet)).source.text == lower(LayerSpec(model: written)).source.text)
        let rate = NeuronModel("R") {
            Input("I")
            State("h")
            Let("squashed") { tanh($0.h) }
            Update("h") { 0.8 * $0.h + $0.I }
            Output { 2 * $0.squashed }
        }
        #expect(try rate.checked().output == .value(2 * tanh(.symbol("h"))))
        let line = #line + 6
        let m = NeuronModel("M") {
            Input("I")
            State("v")
            Let("drive") { $0.v + $0.I }
            Update("v") { $0.drive }
            Spike(surrogate: .boxcar(scale: 0.5)) { $0.drive - 1 }
        }
        expect(m, .symbolNotAllowedHere, symbol: "I", line: line)
    }

    @Test func shapeMismatchOfPerNeuronParameter() throws {
        let kernel = try compile(LayerSpec(model: Models.adaptiveLIF()))
        #expect(throws: ModelError.self) {
            _ = try LayerSimulation(kernel: kernel, batch: 1, inputs: 3, neurons: 4, parameterValues: ["alpha": [0.9, 0.9, 0.9]])
        }
        do {
            _ = try LayerSimulation(kernel: kernel, batch: 1, inputs: 3, neurons: 4, parameterValues: ["alpha": [0.9, 0.9, 0.9]])
        } catch let e as ModelError {
            #expect(e.kind == .shapeMismatch)
            #expect(e.symbol == "alpha")
            #expect(e.message.contains("3 values") && e.message.contains("4 neurons"))
        }
    }

    @Test func resetOfUnknownState() {
        let line = #line + 5
        let m = NeuronModel("M") {
            Input("I")
            State("v")
            Update("v") { $0.v + $0.I }
            Reset("u", to: { _ in 0 })
            Spike(surrogate: .arctan(scale: 2)) { $0.v - 1 }
        }
        expect(m, .unknownSymbol, symbol: "u", line: line)
    }

    @Test func projectionIntoUnknownChannel() {
        let layer = LayerSpec(model: Models.lif(), projections: [.init(.input, into: "J")])
        #expect(throws: ModelError.self) { _ = try lower(layer) }
    }

    @Test func nonFiniteParameter() {
        let line = #line + 2
        let m = NeuronModel("M") {
            Parameter("alpha", .nan)
            Input("I")
            State("v")
            Update("v") { $0.alpha * $0.v + $0.I }
            Spike(surrogate: .exponential(scale: 2)) { $0.v - 1 }
        }
        expect(m, .invalidValue, symbol: "alpha", line: line)
    }

    @Test func everyBuiltinModelIsValid() throws {
        for name in Models.names { _ = try Models.builtin(named: name)!.checked() }
    }
}
