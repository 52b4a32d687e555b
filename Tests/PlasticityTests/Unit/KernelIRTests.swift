import Foundation
import Testing
@testable import Plasticity
import PlasticityRuntime
import PlasticityTestSupport

/// The kernel IR (docs/testing.md): the operation table is the header's, every
/// built-in body verifies, the verifier rejects broken bodies naming the fault, and the printer's
/// output is a golden file. Float equality of its emitters is `RowBodyTests` (0 ulp).
@Suite struct KernelIRTests {
    static let header = TestPaths.runtimeHeader

    /// plasticity_kernel.h's element-operation lists are generated from `ElementOp.entry`;
    /// `PLASTICITY_UPDATE_SNAPSHOTS=1 swift test` rewrites them (then rebuild: runtime-c embeds the header).
    @Test func headerListsAreTheOperationTable() throws {
        var text = try String(contentsOf: Self.header, encoding: .utf8)
        let begin = try #require(text.range(of: ElementOp.headerBegin + "\n")), end = try #require(text.range(of: ElementOp.headerEnd))
        if ProcessInfo.processInfo.environment["PLASTICITY_UPDATE_SNAPSHOTS"] == "1" {
            text.replaceSubrange(begin.upperBound..<end.lowerBound, with: ElementOp.headerLists)
            try text.write(to: Self.header, atomically: true, encoding: .utf8)
            return
        }
        #expect(String(text[begin.upperBound..<end.lowerBound]) == ElementOp.headerLists,
                "\(Self.header.path) differs from ElementOp's table; rerun with PLASTICITY_UPDATE_SNAPSHOTS=1")
        // the header runtime-c was built with is the same file
        #expect(String(cString: plasticity_kernel_header_text()) == text, "rebuild: runtime-c embeds an older header")
    }

    /// Every operation of the table has its precompiled row primitive for TinyCC kernels.
    @Test func everyOperationHasARowPrimitive() {
        var symbols = Set<String>()
        var entry = plasticity_runtime_symbols()!
        while let name = entry.pointee.name { symbols.insert(String(cString: name)); entry += 1 }
        let ops = ElementOp.unary + ElementOp.binary + ElementOp.comparisons.flatMap { [ElementOp.select($0), .indicator($0)] }
            + Surrogate.Kind.allCases.map { ElementOp.surrogate(Surrogate($0, scale: 1)) }
        for op in ops {
            #expect(symbols.contains("plasticity_row_\(op.entry.stem)"), "no row primitive for \(op.printed)")
            for form in op.hasScalarForms ? ["_rs", "_sr"] : [] {
                #expect(symbols.contains("plasticity_row_\(op.entry.stem)\(form)"), "no \(form) form for \(op.printed)")
            }
        }
    }

    /// Every built-in model, both reset modes: the kernel verifies and the layout's rows are the body's.
    @Test(arguments: ModelCase.allResetVariants)
    func builtInKernelsVerify(_ modelCase: ModelCase, _ resetGradient: ResetGradient) throws {
        var model = modelCase.model
        model.resetGradient = resetGradient
        let kernel = try lower(LayerSpec(model: model, recurrent: true)).kernel
        try kernel.verify()
        #expect(kernel.layout.workRows == kernel.body.rowCount)
        #expect(kernel.body.temporaries.count == kernel.plan.steps.count)
    }

    /// Broken bodies are refused with the value and the fault named.
    @Test func verifierNamesTheFault() throws {
        let kernel = try lower(LayerSpec(model: Models.alif(), recurrent: true)).kernel
        func problems(_ edit: (inout LayerKernel) -> Void) -> String {
            var broken = kernel
            edit(&broken)
            do { try broken.verify(); return "" } catch { return "\(error)" }
        }
        let last = kernel.body.values.count - 1
        let applied = try #require(kernel.body.values.firstIndex { if case .apply = $0.definition { return true }; return false })
        #expect(problems { $0.body.values[applied].definition = .apply(.add, [.value(last), .literal(1)]) }.contains("not defined before it"))
        #expect(problems { $0.body.values[applied].definition = .apply(.add, [.literal(1)]) }.contains("takes 2 operands, not 1"))
        #expect(problems { $0.body.values[0].definition = .load(.state(7)) }.contains("state[b][j][7] is not a buffer of the layout"))
        #expect(problems { $0.layout.workRows += 1 }.contains("layout has"))
        #expect(problems { $0.body.temporaries.removeLast() }.contains("temporaries for"))
        #expect(problems { $0.body.values[1].name = $0.body.values[0].name }.contains("repeated or not a C identifier"))
        #expect(problems { $0.body.values[applied].placement = .rowOrRecord(kernel.body.rowCount - 1, owner: 0, recordRow: 99) }
            .contains("not a record slot"))
        #expect(problems { $0.synapses.loops[0] = .trace1(d: nil, c: nil, psi: .temp(2)) }.contains("does not fit 2 components, 1 shared"))
        #expect(problems { $0.synapses.skipping = .whileZero([99]) }.contains("synapse loop reads t99"))
        #expect(problems { _ in }.isEmpty)
    }

    /// `plasticity compile --emit kernel`: golden files; `PLASTICITY_UPDATE_SNAPSHOTS=1 swift test` rewrites them.
    @Test(arguments: ["lif", "alif"])
    func printedKernelMatchesSnapshot(_ name: String) throws {
        let text = try lower(LayerSpec(model: Models.builtin(named: name)!, recurrent: true)).kernel.description
        let file = SnapshotTests.directory.appendingPathComponent("\(name).kernel")
        if ProcessInfo.processInfo.environment["PLASTICITY_UPDATE_SNAPSHOTS"] == "1" { try text.write(to: file, atomically: true, encoding: .utf8) }
        #expect(try text == String(contentsOf: file, encoding: .utf8), "printed kernel of \(name) differs from \(file.path)")
    }

    /// Two layers (backward feedback into an ALIF layer, an adaptive LIF with learnable parameters
    /// on top): the network loop and each layer's step tree.
    static func twoLayers() throws -> NetworkKernelIR {
        try lower(NetworkSpec(inputs: 6, hidden: [.init(Models.alif(), neurons: 5, feedback: .backward),
                                                  .init(Models.adaptiveLIF(), neurons: 4, recurrent: true)], outputs: 3, kappa: 0.9)).kernel
    }

    @Test func networkLoopMatchesSnapshot() throws {
        let text = try Self.twoLayers().description
        let loop = String(text[try #require(text.range(of: "network loop")).lowerBound...])
        let file = SnapshotTests.directory.appendingPathComponent("network.kernel")
        if ProcessInfo.processInfo.environment["PLASTICITY_UPDATE_SNAPSHOTS"] == "1" { try loop.write(to: file, atomically: true, encoding: .utf8) }
        #expect(try loop == String(contentsOf: file, encoding: .utf8), "printed network loop differs from \(file.path)")
    }

    /// Two LIF layers with learnable axonal delays between them: the network loop keeps layer 1's
    /// delay line and steps it from the taps (golden file); a step from the plain spikes, taps
    /// read before the delay line writes them, a delay line into layer 0 are each named.
    @Test func delayedNetworkLoopMatchesSnapshot() throws {
        var upper = LayerSpec(Models.lif(), neurons: 4)
        upper.projections[0].delays = DelaySpec(.axonal, maxSteps: 4, learnable: true)
        let kernel = try lower(NetworkSpec(inputs: 6, hidden: [.init(Models.lif(), neurons: 5, feedback: .random), upper], outputs: 3,
                                           kappa: 0.9)).kernel
        let text = kernel.description
        let loop = String(text[try #require(text.range(of: "network loop")).lowerBound...])
        let file = SnapshotTests.directory.appendingPathComponent("network-delays.kernel")
        if ProcessInfo.processInfo.environment["PLASTICITY_UPDATE_SNAPSHOTS"] == "1" { try loop.write(to: file, atomically: true, encoding: .utf8) }
        #expect(try loop == String(contentsOf: file, encoding: .utf8), "printed network loop differs from \(file.path)")
        guard case .loop(.chunks, let chunk) = kernel.loop[0], case .loop(.sequences, let sequence) = chunk[1],
              case .loop(.steps, let step) = sequence[1] else { Issue.record("unexpected loop shape"); return }
        func withStep(_ edit: ([KernelStatement<NetworkOperation>]) -> [KernelStatement<NetworkOperation>]) -> String {
            var broken = kernel
            broken.loop[0] = .loop(.chunks, [chunk[0], .loop(.sequences, [sequence[0], .loop(.steps, edit(step)), sequence[2]])])
            do { try broken.verify(); return "" } catch { return "\(error)" }
        }
        #expect(withStep { $0 }.isEmpty)
        #expect(withStep { $0.filter { $0 != .run(.delayLine(layer: 1)) } }.contains("reads taps[1] of this step before it is written"))
        #expect(withStep({ $0.map { $0 == .run(.layerStep(layer: 1, input: .taps(1))) ? .run(.layerStep(layer: 1, input: .layer(0))) : $0 } })
            .contains("not each layer once from the one below"))
        #expect(withStep { [.run(.delayLine(layer: 0))] + $0 }.contains("does not fit the layers"))
    }

    /// Planted faults in the step and loop trees: each is named.
    @Test func loopVerifierNamesTheFault() throws {
        let kernel = try Self.twoLayers()
        func problems(_ edit: (inout NetworkKernelIR) -> Void) -> String {
            var broken = kernel
            edit(&broken)
            do { try broken.verify(); return "" } catch { return "\(error)" }
        }
        guard case .loop(.chunks, let chunk) = kernel.loop[0], case .loop(.sequences, let sequence) = chunk[1],
              case .loop(.steps, let step) = sequence[1] else { Issue.record("unexpected loop shape"); return }
        typealias Statements = [KernelStatement<NetworkOperation>]
        func withStep(_ edit: (Statements) -> Statements) -> String {
            problems { $0.loop[0] = .loop(.chunks, [chunk[0], .loop(.sequences, [sequence[0], .loop(.steps, edit(step)), sequence[2]])]) }
        }
        let readout = try #require(step.firstIndex(of: .run(.readout(layer: 1))))
        #expect(withStep { Array($0[readout...]) + $0[..<readout] }.contains("reads spike[1] of this step before it is written"))
        let top = try #require(step.firstIndex(of: .run(.learningSignal(layer: 1, symmetric: true, backwardFrom: nil))))
        #expect(withStep({ s in s.filter { $0 != s[top] } }).contains("reads L[1] before it is written"))
        #expect(withStep({ $0.map { $0 == .run(.layerStep(layer: 1, input: .layer(0))) ? .run(.layerStep(layer: 1, input: .networkInput)) : $0 } })
            .contains("not each layer once from the one below"))
        #expect(withStep({ $0 + [.run(.synapseGradient(layer: 0, projection: 0))] }).contains("runs outside step by step"))
        #expect(withStep({ $0 + [.run(.chunkFlush(layer: 0, projections: [0]))] }).contains("runs outside chunked"))
        #expect(problems { $0.loop.append(.run(.chunkReadout(layer: 0))) }.contains("does not fit the layers"))
        #expect(problems { $0.loop.append(.run(.checkFinite(.gradient(layer: 1, projection: 5)))) }.contains("does not fit the layers"))
        #expect(problems { $0.loop.append(.run(.loss)) }.contains("runs outside its loops over chunks, sequences, steps"))
        #expect(problems { $0.layers[1].step = [.loop(.sequences, [.run(.body(channels: 1))])] }
            .contains("layer 1: step: neuron body over I[0..<1] reads I[0]"))
        #expect(problems { $0.layers[0].step.append(.run(.nextSpikes)) }.contains("runs outside its loops over sequences"))
        #expect(problems { $0.layers[1].step = [.loop(.sequences, [.loop(.sequences, [])])] }.contains("inside another"))
        #expect(problems { _ in }.isEmpty)
    }

    /// Symbolic extents: the value Swift allocates is the one the C expression computes.
    @Test func extentValueMatchesItsCText() throws {
        let layout = try lower(LayerSpec(model: Models.alif(), recurrent: true)).kernel.layout
        let extent = layout.chunkListSlots(before: layout.projections.count)
        #expect(extent.value(steps: 7, inputs: 11, neurons: 5) == (7 + 1 + 7 * 11) + (7 + 1 + 7 * 5))
        #expect(extent.c(steps: "K", inputs: "n_in", neurons: "n") == "((K + 1 + (long)K * n_in) + (K + 1 + (long)K * n))")
    }

    /// The gaussian surrogate, added as one table entry: its C (both compilers) equals its Swift
    /// rule evaluated in Float, within 2 ulp, over x in [−4, 4]. (Its rows equal this scalar body
    /// at 0 ulp: RowBodyTests on the `gaussian-alif` case; its traces meet the oracles there too.)
    @Test(arguments: [Backend.tinyCC, .systemCC])
    func gaussianSurrogateMatchesItsRule(_ backend: Backend) throws {
        let surrogate = Surrogate.gaussian(scale: 2)
        let kernel = try compile(LayerSpec(model: Models.lif(threshold: 1, surrogate: surrogate)), backend: backend)
        let sim = try LayerSimulation(kernel: kernel, batch: 1, inputs: 1, neurons: 81)
        // from v = 0 and no spike, v = I: the spike's argument is g = (I − 1)/1
        let currents = (0..<81).map { Float(1) + Float($0 - 40) / 10 }
        let psi = sim.localStep(currents: currents).outputGradient
        for (j, current) in currents.enumerated() {
            let expected = surrogate.derivative(at: (current - 1) / 1)
            #expect(abs(psi[j] - expected) <= 2 * expected.ulp, "I = \(current): \(psi[j]) vs \(expected)")
        }
        #expect(psi[40] > 0.79 && psi[40] < 0.80, "peak s/sqrt(2 pi) = 0.7979")
    }
}
