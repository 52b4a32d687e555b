import Testing
import Foundation
import PlasticityData
@testable import Plasticity
import PlasticityTestSupport

@Suite struct TrainingTests {
    func makeTrainer(seed: UInt64 = 1) throws -> (Trainer, TaskBatch) {
        var task = SinePattern()
        task.inputs = 20; task.steps = 100
        let spec = NetworkSpec(inputs: 20, hidden: [.init(Models.lif(), neurons: 12, recurrent: true)], outputs: 1,
                               kappa: 0.9, loss: .meanSquaredError)
        let sim = try NetworkSimulation(kernel: try compile(spec), batch: 1)
        sim.initializeWeights(seed: seed, inputGain: 2)
        var config = OptimizerConfig()
        config.learningRate = 5e-3
        return (Trainer(simulation: sim, optimizer: Optimizer(config)), task.batch(1))
    }

    @Test func trainingReducesTheSineLossTenfold() throws {
        var task = SinePattern()
        task.steps = 300
        let spec = NetworkSpec(inputs: 100, hidden: [.init(Models.lif(), neurons: 50, recurrent: true)], outputs: 1,
                               kappa: exp(-1.0 / 20), loss: .meanSquaredError)
        let sim = try NetworkSimulation(kernel: try compile(spec, backend: .systemCC), batch: 1)
        sim.initializeWeights(seed: 1, inputGain: 2, recurrentGain: 0.5)
        var config = OptimizerConfig()
        config.learningRate = 5e-3
        config.clipNorm = 10
        let trainer = Trainer(simulation: sim, optimizer: Optimizer(config))
        let data = task.batch(1)
        let baseline = data.targets.reduce(0) { $0 + 0.5 * Double($1) * Double($1) }   // predicting zero
        var loss = 0.0
        for _ in 0..<60 { loss = try trainer.train(input: data.input, targets: data.targets, steps: data.steps).loss }
        #expect(loss * 10 <= baseline, "loss \(loss) vs zero-prediction baseline \(baseline)")
    }

    @Test func checkpointRoundTrip() throws {
        let (trainer, data) = try makeTrainer()
        for _ in 0..<3 { _ = try trainer.train(input: data.input, targets: data.targets, steps: data.steps) }
        // a scratch folder: the checkpoint's weights file and the folder's ledger go with it
        let url = try scratchDirectory("checkpoint").appendingPathComponent("ck.json")
        try Checkpoint.save(trainer, state: .init(iteration: 3, rng: SplitMix64(seed: 77), config: "c"), to: url)
        let (fresh, _) = try makeTrainer(seed: 2)
        let state = try Checkpoint.load(url, into: fresh)
        #expect(state.iteration == 3 && state.rng.state == 77 && state.config == "c")
        #expect(fresh.optimizer.step == 3)
        for (a, b) in zip(trainer.simulation.trainableTensors, fresh.simulation.trainableTensors) { #expect(a.value.array == b.value.array) }
        // Continuing both gives the same weights.
        _ = try trainer.train(input: data.input, targets: data.targets, steps: data.steps)
        _ = try fresh.train(input: data.input, targets: data.targets, steps: data.steps)
        for (a, b) in zip(trainer.simulation.trainableTensors, fresh.simulation.trainableTensors) { #expect(a.value.array == b.value.array) }
    }

    /// A non-finite tensor stops training with the step and the tensor's name, updates nothing,
    /// and the last checkpoint stays loadable.
    @Test func nonFiniteStopsAndKeepsTheLastCheckpoint() throws {
        let (trainer, data) = try makeTrainer()
        _ = try trainer.train(input: data.input, targets: data.targets, steps: data.steps)
        // a scratch folder: the checkpoint's weights file and the folder's ledger go with it
        let url = try scratchDirectory("checkpoint").appendingPathComponent("ck.json")
        try Checkpoint.save(trainer, state: .init(iteration: 1, rng: SplitMix64(seed: 1), config: ""), to: url)
        let saved = trainer.simulation.trainableTensors.map { $0.value.array }
        trainer.simulation.readoutWeights[0] = .infinity
        do {
            _ = try trainer.train(input: data.input, targets: data.targets, steps: data.steps)
            Issue.record("training went on with an infinite weight")
        } catch let error as NonFiniteError {
            #expect(error.tensor == "readout y")
            #expect(error.step >= 0 && error.step < data.steps)
            #expect(error.description.contains("readout y") && error.description.contains("step \(error.step)"))
        }
        let (fresh, _) = try makeTrainer(seed: 3)
        _ = try Checkpoint.load(url, into: fresh)
        #expect(fresh.simulation.trainableTensors.map { $0.value.array } == saved)
    }

    @Test func corruptFilesNameTheFileAndTheField() throws {
        let (trainer, _) = try makeTrainer()
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("corrupt-\(UUID())")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let manifest = dir.appendingPathComponent("good.json")
        try Checkpoint.save(trainer, state: .init(iteration: 0, rng: SplitMix64(seed: 0), config: ""), to: manifest)
        let weights = try Checkpoint.weightsURL(manifest)
        let bytes = try Data(contentsOf: weights)
        let cases: [(String, Data, String)] = [
            ("short", bytes.prefix(5), "header length"),
            ("truncated", bytes.prefix(bytes.count - 7), "data_offsets"),
            ("bad-json", Data(bytes.prefix(8)) + Data(repeating: 0x7B, count: bytes.count - 8), "header"),
            ("huge-header", Data([0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x7F]) + bytes.dropFirst(8), "header length"),
        ]
        for (name, data, field) in cases {
            try data.write(to: weights)
            // The manifest's checksum catches every change first; the reader names the field on its own.
            let checked = #expect(throws: FileFormatError.self, "\(name)") { try Checkpoint.load(manifest, into: trainer) }
            #expect(checked?.file == manifest.path && checked?.field == "checksums.weights", "\(name): \(String(describing: checked))")
            do {
                _ = try SafeTensors.read(weights)
                Issue.record("\(name) loaded")
            } catch let error as FileFormatError {
                #expect(error.file == weights.path)
                #expect(error.field.contains(field), "\(name): \(error)")
            }
        }
        // A manifest without its weights name, and one with a non-numeric RNG state.
        let text = try String(contentsOf: manifest, encoding: .utf8)
        for (broken, field) in [(text.replacingOccurrences(of: "\"weights\"", with: "\"weightz\""), "weights"),
                                (text.replacingOccurrences(of: "\"rngState\" : \"0\"", with: "\"rngState\" : \"x\""), "rngState")] {
            try broken.write(to: manifest, atomically: true, encoding: .utf8)
            do { _ = try Checkpoint.load(manifest, into: trainer); Issue.record("broken manifest loaded") } catch let error as FileFormatError {
                #expect(error.file == manifest.path && error.field == field, "\(error)")
            }
        }
        // A checkpoint of another network names the tensor whose shape differs.
        try text.write(to: manifest, atomically: true, encoding: .utf8)
        try Checkpoint.save(trainer, state: .init(iteration: 1, rng: SplitMix64(seed: 0), config: ""), to: manifest)
        let spec = NetworkSpec(inputs: 20, hidden: [.init(Models.lif(), neurons: 13, recurrent: true)], outputs: 1, kappa: 0.9,
                               loss: .meanSquaredError)
        let other = Trainer(simulation: try NetworkSimulation(kernel: try compile(spec), batch: 1), optimizer: Optimizer(OptimizerConfig()))
        #expect(throws: FileFormatError.self) { _ = try Checkpoint.load(manifest, into: other) }
    }

    /// SIGKILL a training run at 20 random moments (seeded: startup, compile, mid-update,
    /// mid-checkpoint write); after each kill the latest checkpoint loads, and resuming from it
    /// the last time ends with exactly the weights of an uninterrupted run.
    @Test func killedAndResumedRunEndsWithTheSameWeights() throws {
        let binary = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("plasticity")
        guard FileManager.default.isExecutableFile(atPath: binary.path) else {
            Issue.record("the plasticity executable is not beside the test binary (\(binary.path))"); return
        }
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("kill-\(UUID())")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        // 20 kills of at most 3 iterations each land well before the run ends.
        let iterations = 300
        func launch(_ checkpoint: URL) throws -> Process {
            let p = Process()
            p.executableURL = binary
            p.arguments = ["task", "sine", "--neurons", "40", "--steps", "400", "--iterations", "\(iterations)", "--backend", "tinyCC",
                           "--checkpoint", checkpoint.path, "--checkpoint-every", "1", "--evaluate-every", "100000", "--resume"]
            p.standardOutput = FileHandle.nullDevice
            p.standardError = FileHandle.nullDevice
            try p.run()
            return p
        }
        let reference = dir.appendingPathComponent("reference.json")
        let uninterrupted = try launch(reference)
        uninterrupted.waitUntilExit()
        #expect(uninterrupted.terminationStatus == 0)

        let resumed = dir.appendingPathComponent("resumed.json")
        var rng = SplitMix64(seed: 20)
        var kills = 0, launches = 0
        var iterationsSeen: Set<Int> = []
        /// The latest checkpoint's iteration (0 before the first); the manifest always loads, even while it is replaced.
        func checkpointIteration() throws -> Int {
            guard FileManager.default.fileExists(atPath: resumed.path) else { return 0 }
            return try Checkpoint.manifest(resumed).iteration
        }
        // Each kill waits for progress, not for a time: the checkpoint's iteration must advance by 1 to 3 iterations after
        // the launch (so a loaded machine only makes the test slower), then the process is killed wherever it is.
        while kills < 20 && launches < 60 {
            launches += 1
            let before = try checkpointIteration(), target = before + 1 + Int(rng.next() % 3)
            let p = try launch(resumed)
            let deadline = Date().addingTimeInterval(300)
            while p.isRunning, try checkpointIteration() < target, Date() < deadline { usleep(2_000) }
            if p.isRunning { kill(p.processIdentifier, SIGKILL); kills += 1 }
            p.waitUntilExit()
            // After a kill the latest checkpoint loads whole: its manifest and the complete weights it names, checksum and all.
            iterationsSeen.insert(try checkpointIteration())
            if FileManager.default.fileExists(atPath: resumed.path) { _ = try SafeTensors.read(try Checkpoint.weightsURL(resumed)) }
        }
        let last = try launch(resumed)
        last.waitUntilExit()
        #expect(last.terminationStatus == 0)
        #expect(kills == 20, "only \(kills) of \(launches) runs were still going when killed")
        #expect(iterationsSeen.count >= 20, "training advanced between only \(iterationsSeen.count) kills")
        let a = try SafeTensors.read(try Checkpoint.weightsURL(reference)), b = try SafeTensors.read(try Checkpoint.weightsURL(resumed))
        #expect(try Checkpoint.manifest(reference).iteration == iterations && Checkpoint.manifest(resumed).iteration == iterations)
        #expect(a.tensors == b.tensors)
    }
}

/// Two hidden layers learn online: the lower layer by fixed random feedback or by the
/// instantaneous backward pass through the top layer, the top layer by symmetric or random
/// feedback or target projection; the loss on a two-class spike-pattern task falls by half
/// within 40 updates.
@Suite struct MultiLayerTests {
    @Test(arguments: [(NetworkSpec.Feedback.random, NetworkSpec.Feedback.random), (.random, .targetProjection),
                      (.backward, .symmetric), (.backward, .random)])
    func twoHiddenLayersLearn(_ lowerFeedback: NetworkSpec.Feedback, _ topFeedback: NetworkSpec.Feedback) throws {
        let (T, B, nIn) = (100, 8, 20)
        let spec = NetworkSpec(inputs: nIn, hidden: [.init(Models.lif(), neurons: 30, feedback: lowerFeedback),
                                                    .init(Models.lif(), neurons: 30, feedback: topFeedback)],
                               outputs: 2, kappa: 0.9)
        let sim = try NetworkSimulation(kernel: try compile(spec), batch: B)
        sim.initializeWeights(seed: 12, inputGain: 3, readoutGain: 1)
        var config = OptimizerConfig()
        config.learningRate = 1e-2
        let trainer = Trainer(simulation: sim, optimizer: Optimizer(config))
        // Class c: input neurons of half c fire at 20%, the others at 2%.
        var rng = SplitMix64(seed: 13)
        var input = [Float](repeating: 0, count: T * B * nIn)
        for t in 0..<T { for b in 0..<B { for i in 0..<nIn {
            let p = (i < nIn / 2) == (b % 2 == 0) ? 0.2 : 0.02
            if Double(rng.next() >> 11) / Double(1 << 53) < p { input[(t * B + b) * nIn + i] = 1 }
        } } }
        let targets = (0..<T * B).map { Float($0 % B % 2) }
        let lowerBefore = sim.layers[0].weights[0].array
        let first = try trainer.train(input: input, targets: targets, steps: T).loss
        var last = first
        for _ in 0..<39 { last = try trainer.train(input: input, targets: targets, steps: T).loss }
        #expect(last <= 0.5 * first, "\(lowerFeedback)/\(topFeedback): loss \(first) -> \(last)")
        #expect(sim.layers[0].weights[0].array != lowerBefore, "the lower layer learned")
    }
}

/// Firing-rate regularization alone (no task loss) pulls the hidden firing rate toward its target.
@Suite struct RateRegularizationTests {
    @Test func rateMovesTowardTheTarget() throws {
        let (T, B, nIn) = (100, 4, 20)
        let target = 0.02
        let spec = NetworkSpec(inputs: nIn, hidden: [.init(Models.lif(), neurons: 30, recurrent: true)], outputs: 2, kappa: 0.9,
                               rateRegularization: .init(target: target, strength: 100))
        let sim = try NetworkSimulation(kernel: try compile(spec), batch: B)
        sim.initializeWeights(seed: 21, inputGain: 4)
        var config = OptimizerConfig()
        config.learningRate = 1e-2
        let trainer = Trainer(simulation: sim, optimizer: Optimizer(config))
        var rng = SplitMix64(seed: 22)
        let input = (0..<T * B * nIn).map { _ in Double(rng.next() >> 11) / Double(1 << 53) < 0.2 ? Float(1) : 0 }
        let noLabels = [Float](repeating: -1, count: T * B)
        func rate() -> Double {
            sim.resetSequence(); sim.zeroGradients()
            _ = sim.run(input: input, targets: noLabels, steps: T, countSpikes: true)
            sim.zeroGradients()
            return Double(sim.layers[0].spikeCount!.array.reduce(0, +)) / Double(T * B * 30)
        }
        let before = rate()
        #expect(before > 3 * target, "the test needs a high starting rate, got \(before)")
        for _ in 0..<30 { _ = try trainer.train(input: input, targets: noLabels, steps: T) }
        let after = rate()
        #expect(abs(after - target) < 0.5 * abs(before - target), "rate \(before) -> \(after), target \(target)")
    }
}

/// Fixed sparsity masks: masked synapses stay exactly zero through training, the others learn.
@Suite struct SparsityMaskTests {
    @Test func maskedWeightsStayZero() throws {
        let (T, B, nIn, n) = (50, 4, 10, 12)
        let spec = NetworkSpec(inputs: nIn, hidden: [.init(Models.lif(), neurons: n, recurrent: true)], outputs: 2, kappa: 0.9)
        let sim = try NetworkSimulation(kernel: try compile(spec), batch: B)
        sim.initializeWeights(seed: 41, inputGain: 3)
        var rng = SplitMix64(seed: 42)
        let inputMask = (0..<n * nIn).map { _ in rng.next() % 4 != 0 }          // 75% connectivity
        let recurrentMask = (0..<n * n).map { $0 % (n + 1) != 0 }               // no self-connections
        sim.setMask(layer: 0, projection: 0, inputMask)
        sim.setMask(layer: 0, projection: 1, recurrentMask)
        let trainer = Trainer(simulation: sim, optimizer: Optimizer(OptimizerConfig()))
        let input = (0..<T * B * nIn).map { _ in Double(rng.next() >> 11) / Double(1 << 53) < 0.3 ? Float(1) : 0 }
        let targets = (0..<T * B).map { Float($0 % 2) }
        let before = sim.layers[0].weights.map(\.array)
        for _ in 0..<5 { _ = try trainer.train(input: input, targets: targets, steps: T) }
        for (p, mask) in [inputMask, recurrentMask].enumerated() {
            let w = sim.layers[0].weights[p].array
            #expect(zip(w, mask).allSatisfy { $1 || $0 == 0 }, "projection \(p): a masked weight moved")
            #expect(zip(zip(w, before[p]), mask).contains { $1 && $0.0 != $0.1 }, "projection \(p): nothing learned")
        }
    }
}

/// Online updates every K steps inside a sequence: K = T is exactly the per-batch update;
/// K < T makes ⌈T/K⌉ updates per sequence and still learns.
@Suite struct OnlineUpdateTests {
    @Test func updatesEveryKSteps() throws {
        let (T, B, nIn) = (60, 4, 10)
        let spec = NetworkSpec(inputs: nIn, hidden: [.init(Models.lif(), neurons: 16, recurrent: true)], outputs: 2, kappa: 0.9)
        let kernel = try compile(spec)
        var rng = SplitMix64(seed: 51)
        var input = [Float](repeating: 0, count: T * B * nIn)
        for t in 0..<T {
            for b in 0..<B {
                for i in 0..<nIn where Double(rng.next() >> 11) / Double(1 << 53) < ((i < nIn / 2) == (b % 2 == 0) ? 0.3 : 0.03) {
                    input[(t * B + b) * nIn + i] = 1
                }
            }
        }
        let targets = (0..<T * B).map { Float($0 % B % 2) }
        func trainer(_ every: Int?) throws -> Trainer {
            let sim = try NetworkSimulation(kernel: kernel, batch: B)
            sim.initializeWeights(seed: 52, inputGain: 3)
            var config = OptimizerConfig()
            config.learningRate = 1e-2
            return Trainer(simulation: sim, optimizer: Optimizer(config), updateEvery: every)
        }
        let perBatch = try trainer(nil), whole = try trainer(T), online = try trainer(15)
        for t in [perBatch, whole] { for _ in 0..<3 { _ = try t.train(input: input, targets: targets, steps: T) } }
        #expect(perBatch.simulation.trainableTensors.map { $0.value.array } == whole.simulation.trainableTensors.map { $0.value.array })
        let first = try online.train(input: input, targets: targets, steps: T).loss
        #expect(online.optimizer.step == 4)
        var last = first
        for _ in 0..<20 { last = try online.train(input: input, targets: targets, steps: T).loss }
        #expect(online.optimizer.step == 84)
        #expect(last < 0.5 * first, "online loss \(first) -> \(last)")
    }
}
