import Foundation
import Plasticity
import PlasticityTestSupport
import Testing

/// Models as data: the `plasticity-model` format round-trips exactly (equal checked model,
/// byte-identical C), and every defect of a file is reported with the file, the JSON path and
/// the symbol, by the DSL's own checks.
@Suite struct ModelFileTests {
    func read(_ json: String, file: String = "model.json") throws -> NeuronModel {
        try NeuronModel.read(ConfigFile.object(Data(json.utf8), file: file), file: file)
    }

    @Test(arguments: BuiltinModel.allCases, ResetGradient.allCases)
    func builtinModelsRoundTripExactly(builtin: BuiltinModel, resetGradient: ResetGradient) throws {
        var model = builtin.model
        model.resetGradient = resetGradient
        #expect(ModelFileRoundTrip.difference(model) == nil)
        // Writing is deterministic: the same model gives the same bytes.
        #expect(try model.fileData() == model.fileData())
    }

    /// 1,000 models of the random-model generator (every op, select, lets, learnables, resets of
    /// every kind): each comes back as an equal checked model with the same C (lowered with a
    /// quick plan search; `plasticity fuzz` compares the C of the full search for every model).
    @Test func randomModelsRoundTripExactly() throws {
        var generator = RandomModelGenerator(seed: 2026)
        var failures: [String] = []
        for i in 0..<1000 {
            let model = generator.validCase(name: "random\(i)").model
            if let difference = ModelFileRoundTrip.difference(model, planner: ModelFileRoundTrip.quickPlanner) {
                failures.append("\(model.name): \(difference)")
            }
        }
        #expect(failures.count == 0, "\(failures.prefix(5))")
    }

    @Test func exampleModelsReadCompileAndRoundTrip() throws {
        let folder = TestPaths.exampleModels
        let files = try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { $0.hasSuffix(".json") }.sorted()
        #expect(files.count >= 2)
        for name in files {
            let model = try NeuronModel.read(folder.appendingPathComponent(name))
            #expect(ModelFileRoundTrip.difference(model) == nil, "\(name)")
            #expect(try lower(LayerSpec(model: model, recurrent: true)).source.text.contains(model.name))
        }
    }

    static let valid = #"""
    {"format": "plasticity-model", "version": 1, "name": "M",
     "parameters": [{"name": "alpha", "value": 0.9}], "inputs": ["I"], "states": [{"name": "v"}],
     "resets": [{"state": "v", "subtract": 1}],
     "updates": [{"state": "v", "expression": {"op": "add", "args": [{"op": "multiply", "args": ["alpha", "v"]}, "I"]}}],
     "spike": {"surrogate": {"kind": "fast_sigmoid", "scale": 10}, "condition": {"op": "subtract", "args": ["v", 1]}}}
    """#

    /// `valid` with one substring replaced.
    func mutant(_ from: String, _ to: String) -> String {
        precondition(Self.valid.contains(from))
        return Self.valid.replacingOccurrences(of: from, with: to)
    }

    @Test func fileDefectsNameTheFileThePathAndTheSymbol() throws {
        _ = try read(Self.valid)
        let structural: [(String, String, String, String)] = [   // from, to, field, words of the message
            (#""name": "M","#, "", "name", "missing"),
            (#""value": 0.9"#, #""value": "high""#, "parameters[0].value", "wrong type"),
            (#""op": "add""#, #""op": "plus""#, "updates[0].expression.op", "'plus' is not an operation"),
            (#""fast_sigmoid""#, #""sigmoidal""#, "spike.surrogate.kind", "'sigmoidal'"),
            (#""version": 1"#, #""version": 2"#, "version", "'2' is not a version"),
            (#""args": ["v", 1]"#, #""args": ["v"]"#, "spike.condition.args", "takes 2 args"),
            (#""inputs": ["I"]"#, #""inputs": ["I"], "input": ["J"]"#, "input", "not a known field"),
            (#"{"name": "v"}"#, #"{"name": "v", "inital": 1}"#, "states[0].inital", "not a known field"),
            // JSON has no infinity
            (#""subtract": 1"#, #""subtract": 1e999"#, "file", "not valid JSON at line 3, column 40 (Number 1e999 is not representable"),
        ]
        for (from, to, field, words) in structural {
            let error = #expect(throws: FileFormatError.self, "\(to)") { try read(mutant(from, to)) }
            #expect(error?.file == "model.json" && error?.field == field && error?.message.contains(words) == true,
                    "\(String(describing: error)) \(to)")
        }
        let checks: [(String, String, ModelError.Kind, String, String)] = [   // from, to, kind, symbol, path
            (#""args": ["alpha", "v"]"#, #""args": ["alpha", "w"]"#, .unknownSymbol, "w", "updates[0].expression.args[0].args[1]"),
            (#""updates": ["#, #""lets": [{"name": "a", "expression": "b"}, {"name": "b", "expression": "a"}], "updates": ["#,
             .algebraicCycle, "a", "lets[0]"),
            (#""scale": 10"#, #""scale": -1"#, .invalidValue, "Spike", "spike"),
            (#""name": "alpha""#, #""name": "v""#, .duplicateName, "v", "states[0]"),
        ]
        for (from, to, kind, symbol, path) in checks {
            let error = #expect(throws: ModelError.self, "\(to)") { try read(mutant(from, to)) }
            #expect(error?.kind == kind && error?.symbol == symbol && error?.location.file == "model.json" && error?.location.path == path,
                    "\(String(describing: error))")
            #expect(error?.description.hasPrefix("model.json: \(path): error: in model 'M'") == true, "\(String(describing: error))")
        }
    }

    /// Names are text, never code: a hostile model name and symbol names reach C only sanitized.
    @Test func hostileNamesNeverReachTheCSource() throws {
        let hostile = #"*/ #include <stdlib.h>\n int x = system(\"rm -rf /\"); /*"#
        let json = mutant(#""name": "M""#, #""name": "\#(hostile)""#)
            .replacingOccurrences(of: #""name": "alpha""#, with: #""name": "al\"); system(\"id""#)
            .replacingOccurrences(of: #""alpha""#, with: #""`al\"); system(\"id`""#)
        let model = try read(json)
        let text = try lower(LayerSpec(model: model, recurrent: true)).source.text
        #expect(!text.contains("system(") && !text.contains("#include <stdlib.h>") && !text.contains("\\n int") && !text.contains("\"rm"))
        _ = try compile(LayerSpec(model: model), backend: .tinyCC)
    }

    /// Units: a parameter written in s or Hz is held in ms or 1/ms; the time-step parameter is
    /// bound to the network's step wherever the model enters (a config, Swift), and setting it by
    /// hand is an error naming the field.
    @Test func unitsAndTheTimeStep() throws {
        let file = #"""
        {"format": "plasticity-model", "version": 1, "name": "U", "timeStep": "dt",
         "parameters": [{"name": "dt", "value": 1, "unit": "ms"}, {"name": "tau", "value": 0.02, "unit": "s"},
                        {"name": "rate", "value": 50, "unit": "Hz"}],
         "inputs": ["I"], "states": [{"name": "v"}], "resets": [{"state": "v", "subtract": 1}],
         "updates": [{"state": "v", "expression": "exp(-dt / tau) * v + rate * dt * I"}],
         "spike": {"surrogate": {"kind": "fast_sigmoid", "scale": 10}, "condition": "v - 1"}}
        """#
        let model = try read(file)
        let checked = try model.checked()
        #expect(checked.fixedParameters["tau"] == 20 && checked.fixedParameters["rate"] == 0.05 && checked.fixedParameters["dt"] == 1)
        func network(_ extra: String) -> String {
            #"{"inputs": 2, "outputs": 2, "kappa": 0.9, "stepMs": 10, "hidden": [{"model": \#(file), "neurons": 3\#(extra)}]}"#
        }
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("units-\(UUID().uuidString).json")
        defer { try? FileManager.default.removeItem(at: url) }
        try network("").write(to: url, atomically: true, encoding: .utf8)
        #expect(try lower(NetworkSpec.read(url)).models[0].fixedParameters["dt"] == 10)
        try network(#", "parameters": {"dt": 5}"#).write(to: url, atomically: true, encoding: .utf8)
        let error = #expect(throws: FileFormatError.self) { try NetworkSpec.read(url) }
        #expect(error?.field == "hidden[0].parameters.dt" && error?.message.contains("time step") == true, "\(String(describing: error))")
        // In Swift: the network's step binds it too.
        let spec = NetworkSpec(inputs: 2, hidden: [.init(model, neurons: 3)], outputs: 2, kappa: 0.9, stepMs: 4)
        #expect(try lower(spec).models[0].fixedParameters["dt"] == 4)
        // The time step must be a fixed parameter of the model.
        var wrong = model
        wrong.timeStep = "h"
        let modelError = #expect(throws: ModelError.self) { try wrong.checked() }
        #expect(modelError?.symbol == "h" && modelError?.kind == .unknownSymbol)
        #expect(ModelFileRoundTrip.difference(model) == nil)
    }
}
