import Testing
import Foundation
@testable import Plasticity
import PlasticityTestSupport

@Suite struct PlannerTests {
    @Test(arguments: Models.names)
    func searchNeverCostsMoreThanOtherOrders(_ name: String) throws {
        let plan = try lower(LayerSpec(model: Models.builtin(named: name)!, recurrent: true)).plan
        let cost = Dictionary(uniqueKeysWithValues: plan.candidates.map { ($0.kind, $0.multiplies) })
        #expect(Set(cost.keys) == Set(EliminationPlan.OrderKind.allCases))
        for kind in [EliminationPlan.OrderKind.forward, .reverse, .markowitz] { #expect(cost[.search]! <= cost[kind]!, "\(name): \(cost)") }
        #expect(plan.chosen == .search)
        #expect(plan.multiplies == cost[.search]!)
        // The printed plan shows all four counts.
        let text = plan.description
        for kind in EliminationPlan.OrderKind.allCases { #expect(text.contains("  \(kind.rawValue)")) }
    }

    /// The cost model counts exactly the multiplies the elimination emits (products of temporaries).
    @Test(arguments: Models.names)
    func costModelMatchesEmittedProducts(_ name: String) throws {
        let plan = try lower(LayerSpec(model: Models.builtin(named: name)!)).plan
        let products = plan.steps.filter { if case .product = $0 { return true }; return false }.count
        #expect(products == plan.multiplies)
    }

    /// On a small graph the exhaustive search finds an order strictly cheaper than forward order.
    @Test func searchBeatsForwardOrderOnIzhikevich() throws {
        let plan = try lower(LayerSpec(model: Models.izhikevich())).plan
        let cost = Dictionary(uniqueKeysWithValues: plan.candidates.map { ($0.kind, $0.multiplies) })
        #expect(cost[.search]! < cost[.forward]!, "\(cost)")
    }

    @Test(arguments: Models.names)
    func graphVerifiesAndPrints(_ name: String) throws {
        let stages = try lower(LayerSpec(model: Models.builtin(named: name)!, recurrent: true))
        try stages.graph.verify()
        try stages.plan.verify()
        #expect(stages.model.description.contains("model \"\(stages.model.name)\""))
        #expect(stages.graph.dot.hasPrefix("digraph"))
        #expect(stages.graph.description.contains("[dense] (cut by e-prop"))
        #expect(stages.graph.description.contains("δ_jj'·x_i"))
    }
}

@Suite struct LayoutTests {
    @Test func lifWithStoppedResetStoresOnlyAPresynapticTrace() throws {
        let kernel = try compile(LayerSpec(model: Models.lif(resetGradient: .stopped), recurrent: true))
        for p in 0..<2 {
            let reported = kernel.reportedTraceComponents(projection: p)
            #expect(reported.components == 1 && reported.shared == 1)
        }
        let sizes = kernel.layout.bufferSizes(batch: 4, inputs: 100, neurons: 64)
        #expect(sizes["eligibility_vector[0]"] == 4 * 100)      // [batch][n_in][1], not per neuron
        #expect(sizes["eligibility_vector[1]"] == 4 * 64)
        let sim = try LayerSimulation(kernel: kernel, batch: 4, inputs: 100, neurons: 64)
        #expect(sim.eligibilityVectors[0].count == 4 * 100)
    }

    @Test func lifWithDifferentiatedResetNeedsPerSynapseTraces() throws {
        let kernel = try compile(LayerSpec(model: Models.lif(resetGradient: .differentiated)))
        let reported = kernel.reportedTraceComponents(projection: 0)
        #expect(reported.components == 1 && reported.shared == 0)
    }

    /// ALIF: D[v] = [α, 0] and c[v] = 1 are constants that a never feeds, so ε_v = x̄_i is shared by
    /// all neurons and only ε_a is per synapse (plus x̄ of the previous step, which ε_a reads).
    @Test func alifSharesEpsilonVAndStoresEpsilonAPerSynapse() throws {
        let kernel = try compile(LayerSpec(model: Models.alif(), recurrent: true))
        let v = kernel.model.states.firstIndex { $0.name == "v" }!, a = kernel.model.states.firstIndex { $0.name == "a" }!
        for p in 0..<2 {
            let reported = kernel.reportedTraceComponents(projection: p)
            #expect(reported.components == 2 && reported.shared == 1)
            #expect(kernel.layout.projections[p].components == [v, a])
        }
        let sim = try LayerSimulation(kernel: kernel, batch: 4, inputs: 100, neurons: 64)
        #expect(sim.eligibilityVectors[0].count == 4 * 100 * 2 + 4 * 64 * 100)
    }

    /// Chunk mode records only the entries of (D, c, ψ) that vary: for ALIF D_vv = α, D_va = 0
    /// and c = (1, 0) are constants; D_av, D_aa, ψ_v, ψ_a are recorded, and W's m + 4 rows set the width.
    @Test func alifChunkRecordKeepsOnlyTheVaryingEntries() throws {
        let kernel = try compile(LayerSpec(model: Models.alif(), recurrent: true))
        let projection = kernel.layout.projections[0]
        typealias Entry = KernelLayout.Projection.RecordEntry
        let expected: [Entry] = [.constant(exp(-1.0 / 20)), .constant(0), .recorded(row: 0), .recorded(row: 1),
                                 .constant(1), .constant(0), .recorded(row: 2), .recorded(row: 3)]
        #expect(projection.recordEntries.count == expected.count)
        for (entry, want) in zip(projection.recordEntries, expected) {
            switch (entry, want) {
            case (.constant(let c), .constant(let w)): #expect(abs(c - w) <= 1e-12)
            default: #expect(entry == want)
            }
        }
        #expect(projection.recordWidth == 6)
    }

    /// A shared block must be closed under D: with the reset differentiated, D[v][a] ≠ 0 and
    /// nothing is shared.
    @Test func alifWithDifferentiatedResetSharesNothing() throws {
        let kernel = try compile(LayerSpec(model: Models.alif(resetGradient: .differentiated)))
        let reported = kernel.reportedTraceComponents(projection: 0)
        #expect(reported.components == 2 && reported.shared == 0)
    }

    /// A component that never reaches the output is pruned: a state the spike never reads and
    /// that feeds no other state.
    @Test func unobservableStateIsNotStored() throws {
        let model = NeuronModel("Probe") {
            Parameter("alpha", 0.9)
            Input("I")
            State("v")
            State("shadow")
            Update("v") { $0.alpha * $0.v + $0.I }
            Update("shadow") { 0.5 * $0.shadow + $0.I * $0.v }
            Spike(surrogate: .fastSigmoid(scale: 10)) { $0.v - 1 }
        }
        let layout = try lower(LayerSpec(model: model)).source.layout
        #expect(layout.projections[0].components == [0])
    }
}

@Suite struct BackendTests {
    /// The optimizing backend gives the TinyCC kernel's results to 1e-6 relative (norm-wise per buffer).
    @Test(arguments: ["lif", "alif", "adlif", "izhikevich"])
    func systemCompilerMatchesTinyCC(_ name: String) throws {
        let layer = LayerSpec(model: Models.builtin(named: name)!, recurrent: name != "izhikevich")
        let stages = try lower(layer)
        var results: [[[Double]]] = []
        for backend in Backend.allCases {
            let kernel = try Kernel(stages: stages, backend: backend)
            let sim = try LayerSimulation(kernel: kernel, batch: 2, inputs: 10, neurons: 12)
            sim.kappa = 0.9
            var rng = SplitMix64(seed: 3)
            let range = ModelCase.all.first { $0.name == name }!.weightRange
            for w in sim.weights { w.array = (0..<w.count).map { _ in Float(Double.random(in: range, using: &rng)) / (w.count > 120 ? 4 : 1) } }
            let input = (0..<50 * 2 * 10).map { _ in Double.random(in: 0..<1, using: &rng) < 0.2 ? Float(1) : 0 }
            let out = sim.run(input: input, steps: 50)
            results.append([out.outputs.doubles, sim.state.array.doubles] + sim.eligibilityTraces.map { $0.array.doubles }
                           + [sim.parameterEligibilityTrace.array.doubles])
        }
        for (a, b) in zip(results[0], results[1]) where !a.isEmpty {
            let e = worstMismatch(b, a, rtol: 1e-6, floor: 1)
            #expect(e.ratio <= 1, "\(name): \(e)")
        }
    }
}

@Suite struct SnapshotTests {
    static let directory = TestPaths.snapshots

    /// Golden files of the emitted C; `PLASTICITY_UPDATE_SNAPSHOTS=1 swift test` rewrites them.
    @Test(arguments: ["lif", "alif"])
    func emittedCMatchesSnapshot(_ name: String) throws {
        let text = try lower(LayerSpec(model: Models.builtin(named: name)!, recurrent: true)).source.text
        let file = Self.directory.appendingPathComponent("\(name).c")
        if ProcessInfo.processInfo.environment["PLASTICITY_UPDATE_SNAPSHOTS"] == "1" {
            try text.write(to: file, atomically: true, encoding: .utf8)
        }
        let golden = try String(contentsOf: file, encoding: .utf8)
        #expect(text == golden, "emitted C for \(name) differs from \(file.path); rerun with PLASTICITY_UPDATE_SNAPSHOTS=1 if intended")
    }

    @Test func emissionIsDeterministic() throws {
        let a = try lower(LayerSpec(model: Models.adex(), recurrent: true)).source.text
        let b = try lower(LayerSpec(model: Models.adex(), recurrent: true)).source.text
        #expect(a == b)
    }
}

@Suite struct RuntimeTests {
    /// 8 tasks × 50 TinyCC compiles, each kernel run once: no crash, identical results.
    @Test func concurrentCompiles() async throws {
        let stages = try lower(LayerSpec(model: Models.alif(), recurrent: true))
        let results = try await withThrowingTaskGroup(of: Float.self) { group in
            for _ in 0..<8 {
                group.addTask {
                    var last: Float = 0
                    for _ in 0..<50 {
                        let kernel = try Kernel(stages: stages, backend: .tinyCC)
                        let sim = try LayerSimulation(kernel: kernel, batch: 1, inputs: 4, neurons: 4)
                        for w in sim.weights { w.array = [Float](repeating: 0.3, count: w.count) }
                        sim.kappa = 0.9
                        sim.run(input: [Float](repeating: 1, count: 20 * 4), steps: 20)
                        last = sim.eligibilityTraces[0].array.reduce(0, +)
                    }
                    return last
                }
            }
            var all: [Float] = []
            for try await r in group { all.append(r) }
            return all
        }
        #expect(results.count == 8)
        #expect(Set(results).count == 1)
        #expect(results[0] != 0)
    }

    @Test func compileErrorQuotesTheGeneratedLine() throws {
        var source = try lower(LayerSpec(model: Models.lif())).source
        var lines = source.text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        let broken = lines.firstIndex { $0.contains("const float s_z_prev") }!
        lines[broken] += " this is not C"
        source.text = lines.joined(separator: "\n")
        for backend in Backend.allCases {
            do {
                _ = try Kernel(source: source, backend: backend)
                Issue.record("\(backend) compiled broken C")
            } catch let e as KernelCompileError {
                #expect(e.line == broken + 1, "\(backend): \(e)")
                #expect(e.context.contains("> \(broken + 1) | ") && e.context.contains("this is not C"), "\(e)")
                #expect(e.description.contains("this is not C"))
            }
        }
    }

    /// Hostile names compile under sanitized identifiers; none reaches the C text verbatim.
    @Test func hostileNamesNeverReachTheCSource() throws {
        let names = ["v; system(\"x\")", "int", "*/ evil /*", "a\\b\"c", "ü-ß 電位", String(repeating: "n", count: 10_000), "__attribute__"]
        let model = NeuronModel(#"m"); abort(); /*"#) {
            Parameter(names[1], 0.9)
            Input(names[2])
            State(names[0])
            State(names[3])
            Let(names[4]) { $0[names[0]] * $0[names[1]] }
            Update(names[0]) { $0[names[4]] + $0[names[2]] }
            Update(names[3]) { $0[names[6]] }
            Parameter(names[6], 0.5, learnable: true)
            Reset(names[0], subtract: { _ in 1 })
            Spike(surrogate: .fastSigmoid(scale: 10)) { $0[names[0]] - 1 + $0[names[5]] }
            Parameter(names[5], 0)
        }
        let stages = try lower(LayerSpec(model: model))
        let c = stages.source.text
        // Names of identifier characters only may appear inside prefixed identifiers (th0___attribute__);
        // any other name must not appear at all.
        let dangerous = names.filter { $0.unicodeScalars.contains { !(($0 >= "0" && $0 <= "9") || ($0 >= "a" && $0 <= "z") || ($0 >= "A" && $0 <= "Z")
                                                                      || $0 == "_") } }
        #expect(dangerous.count == 4)
        for name in dangerous + ["abort()", "system(", "abort();", "*/ evil"] { #expect(!c.contains(name),
                                                                                        "'\(name.prefix(40))' leaked into the C source") }
        let kernel = try Kernel(stages: stages)
        let sim = try LayerSimulation(kernel: kernel, batch: 1, inputs: 2, neurons: 3)
        sim.weights[0].array = [Float](repeating: 0.7, count: 6)
        sim.kappa = 0.5
        #expect(c.contains("in0____evil___") && c.contains("th0___attribute__"), "sanitized names are used")
        #expect(!c.contains(" int = ") && !c.contains("float int"), "a keyword name is never an identifier")
        let out = sim.run(input: [Float](repeating: 1, count: 10 * 2), steps: 10).outputs
        #expect(out.reduce(0, +) > 0)
    }
}
