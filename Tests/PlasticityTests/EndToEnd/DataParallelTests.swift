import Foundation
import Plasticity
import Testing
@testable import PlasticityData

/// `mpirun -np 2 plasticity train` on the tiny spoken-digit set, against one process
/// (docs/testing.md, "Data parallelism"). Float sums over the batch run in another order on two
/// processes, so the weights agree to a tolerance: max |w₂ − w₁| ≤ 1e-5 · max |w₁| per tensor.
@Suite(.serialized) struct DataParallelTests {
    static let tolerance = 1e-5

    /// Three batches of 8 in one epoch.
    func config(layers: Int, model: BuiltinModel) -> TrainConfig {
        var c = TinySpokenDigits.config(epochs: 1)
        c.network.model = .builtin(model)
        c.network.layers = layers
        c.network.neurons = 16
        c.network.backend = .tinyCC
        c.training.batch = 8
        c.training.cosine = false
        c.training.shiftMs = 20; c.training.shiftChannels = 2   // each process must draw the whole batch's shifts
        c.data.limit = 24
        return c
    }

    func write(_ config: TrainConfig, in folder: URL) throws -> String {
        let url = folder.appendingPathComponent("config.json")
        try config.json.write(to: url, atomically: true, encoding: .utf8)
        return url.path
    }

    /// `mpirun -np N plasticity ARGUMENTS` (as root, more processes than cores allowed).
    func mpirun(_ processes: Int, _ arguments: [String], extra: [String] = []) throws -> (status: Int32, output: String) {
        let launch = try mpirunProcess(processes, arguments, extra: extra)
        let data = launch.output.fileHandleForReading.readDataToEndOfFile()
        launch.process.waitUntilExit()
        return (launch.process.terminationStatus, String(decoding: data, as: UTF8.self))
    }

    func mpirunProcess(_ processes: Int, _ arguments: [String], extra: [String] = []) throws -> (process: Process, output: Pipe) {
        let mpirun = URL(fileURLWithPath: "/usr/bin/mpirun")
        try #require(FileManager.default.isExecutableFile(atPath: mpirun.path), "mpirun is missing: run .ci/install-system-packages.sh")
        let process = Process(), pipe = Pipe()
        process.executableURL = mpirun
        process.arguments = ["--allow-run-as-root", "--oversubscribe", "-np", "\(processes)", PlasticityProcess.binary.path] + arguments + extra
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        return (process, pipe)
    }

    func weights(_ folder: URL, epoch: Int = 1) throws -> [String: SafeTensors.Tensor] {
        try SafeTensors.read(folder.appendingPathComponent(String(format: "checkpoint-%09d.safetensors", epoch))).tensors
    }

    /// max |a − b| / max |a| of every tensor both hold (weights and optimizer moments).
    func largestDifference(_ a: [String: SafeTensors.Tensor], _ b: [String: SafeTensors.Tensor]) -> (name: String, relative: Double) {
        var worst = (name: "", relative: 0.0)
        for (name, x) in a {
            guard let y = b[name]?.values, y.count == x.values.count else { return (name, .infinity) }
            let scale = max(x.values.map { abs(Double($0)) }.max() ?? 0, 1e-30)
            let relative = (zip(x.values, y).map { abs(Double($0) - Double($1)) }.max() ?? 0) / scale
            if relative > worst.relative { worst = (name, relative) }
        }
        return worst
    }

    /// Two processes with a global batch of 8 end three optimizer steps with the weights of one
    /// process with a batch of 8 (which moved them), and the same test accuracy; two processes
    /// twice write identical bytes.
    @Test(arguments: [(1, BuiltinModel.alif), (2, .lif)])
    func twoProcessesTrainLikeOne(layers: Int, model: BuiltinModel) throws {
        let folder = try scratchDirectory("mpi-\(layers)")
        let config = self.config(layers: layers, model: model)
        let file = try write(config, in: folder)
        let one = folder.appendingPathComponent("one"), two = folder.appendingPathComponent("two"), again = folder.appendingPathComponent("again")
        let single = try PlasticityProcess.run(["train", "--config", file, "--out", one.path])
        try #require(single.status == 0, "\(single.output)")
        for out in [two, again] {
            let run = try mpirun(2, ["train", "--config", file, "--out", out.path])
            try #require(run.status == 0, "\(run.output)")
            #expect(run.output.contains("batches of 8 over 2 processes"), "\(run.output)")
        }
        let initial = Dictionary(uniqueKeysWithValues: try SpeechExperiment(config: config, output: folder.appendingPathComponent("init"))
            .simulation.trainableTensors.map { ($0.name, SafeTensors.Tensor(shape: $0.shape, values: $0.value.array)) })
        let reference = try weights(one)
        let moved = largestDifference(initial, reference.filter { initial[$0.key] != nil })
        #expect(moved.relative > 1e-4, "training did not move the weights: \(moved)")
        let worst = largestDifference(reference, try weights(two))
        #expect(worst.relative <= Self.tolerance, "\(worst.name): \(worst.relative)")
        let bytes = String(format: "checkpoint-%09d.safetensors", 1)
        #expect(try Data(contentsOf: two.appendingPathComponent(bytes)) == Data(contentsOf: again.appendingPathComponent(bytes)))
        let history = try [one, two].map { try SpeechExperiment(config: config, output: $0).readHistory() }
        #expect(history[0].map(\.testAccuracy) == history[1].map(\.testAccuracy))
    }

    /// A checkpoint of two processes resumes in one: after the second epoch the weights are those
    /// of one process that trained both epochs.
    @Test func oneProcessResumesATwoProcessRun() throws {
        let folder = try scratchDirectory("mpi-resume")
        var config = self.config(layers: 1, model: .alif)
        config.training.epochs = 2
        let file = try write(config, in: folder)
        let reference = folder.appendingPathComponent("reference"), resumed = folder.appendingPathComponent("resumed")
        let single = try PlasticityProcess.run(["train", "--config", file, "--out", reference.path])
        try #require(single.status == 0, "\(single.output)")
        let first = try mpirun(2, ["train", "--config", file, "--out", resumed.path, "--epochs", "1"])
        try #require(first.status == 0, "\(first.output)")
        let second = try PlasticityProcess.run(["train", "--config", file, "--out", resumed.path, "--resume"])
        try #require(second.status == 0, "\(second.output)")
        let worst = largestDifference(try weights(reference, epoch: 2), try weights(resumed, epoch: 2))
        #expect(worst.relative <= Self.tolerance, "\(worst.name): \(worst.relative)")
        #expect(try SpeechExperiment(config: config, output: resumed).readHistory().map(\.epoch) == [1, 2])
    }

    /// A process killed with SIGKILL ends the job within seconds, with mpirun naming its rank; the
    /// last checkpoint loads.
    @Test func aKilledProcessEndsTheJob() throws {
        let folder = try scratchDirectory("mpi-kill"), out = folder.appendingPathComponent("run")
        var config = self.config(layers: 1, model: .alif)
        config.data.limit = 0
        config.training.epochs = 1000
        let launch = try mpirunProcess(2, ["train", "--config", try write(config, in: folder), "--out", out.path])
        let checkpoint = out.appendingPathComponent("checkpoint.json")
        let deadline = Date().addingTimeInterval(120)
        while !FileManager.default.fileExists(atPath: checkpoint.path) && Date() < deadline && launch.process.isRunning {
            Thread.sleep(forTimeInterval: 0.1)
        }
        let ranks = childProcesses(of: launch.process.processIdentifier)
        try #require(ranks.count == 2 && launch.process.isRunning, "ranks \(ranks)")
        let killed = Date()
        kill(ranks[1], SIGKILL)
        let output = launch.output.fileHandleForReading.readDataToEndOfFile()
        launch.process.waitUntilExit()
        let seconds = Date().timeIntervalSince(killed)
        let text = String(decoding: output, as: UTF8.self)
        #expect(seconds < 10, "the job went on for \(seconds) s after a process was killed")
        #expect(launch.process.terminationStatus != 0)
        #expect((text.contains("rank 0") || text.contains("rank 1")) && text.contains("signal 9"), "\(text)")
        let restored = try SpeechExperiment(config: config, output: folder.appendingPathComponent("restored"))
        #expect(try Checkpoint.load(checkpoint, into: restored.trainer).iteration >= 1)
    }

    /// A config that differs on one process, or a batch that does not split evenly, stops every
    /// process before training, with a message naming the rank or the field.
    @Test func processesMustAgree() throws {
        let folder = try scratchDirectory("mpi-agree")
        let file = try write(config(layers: 1, model: .alif), in: folder)
        let out = folder.appendingPathComponent("run").path
        let differing = try mpirun(1, ["train", "--config", file, "--out", out],
                                   extra: [":", "-np", "1", PlasticityProcess.binary.path, "train", "--config", file, "--out", out,
                                           "--set", "training.learningRate=0.02"])
        #expect(differing.status != 0 && differing.output.contains("rank 1 read another config or model than rank 0"), "\(differing.output)")
        let uneven = try mpirun(3, ["train", "--config", file, "--out", out])
        #expect(uneven.status != 0 && uneven.output.contains("training.batch: 8 is not a multiple of the 3 processes"), "\(uneven.output)")
        #expect(!FileManager.default.fileExists(atPath: folder.appendingPathComponent("run/checkpoint.json").path))
    }

    /// The processes whose parent is `pid`, by pid (the ranks mpirun started on this machine, in rank order).
    func childProcesses(of pid: Int32) -> [Int32] {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        return entries.compactMap(Int32.init).filter { child in
            guard let stat = try? String(contentsOfFile: "/proc/\(child)/stat", encoding: .utf8),
                  let close = stat.lastIndex(of: ")") else { return false }
            let fields = stat[stat.index(after: close)...].split(separator: " ")
            return fields.count > 2 && Int32(fields[1]) == pid
        }.sorted()
    }
}

/// A `ProcessGroup` of threads in this process, for testing `Trainer` without mpirun: sums add the
/// members' buffers in rank order, as the MPI group's linear reduction does.
final class ThreadGroup: @unchecked Sendable {
    final class Member: ProcessGroup {
        let group: ThreadGroup, rank: Int
        init(group: ThreadGroup, rank: Int) { self.group = group; self.rank = rank }
        var size: Int { group.size }
        func sum(_ values: inout [Double]) throws {
            let all = group.exchange(values, rank: rank)
            for i in values.indices { values[i] = all.reduce(0) { $0 + $1[i] } }
        }
        func gather(_ value: UInt64) throws -> [UInt64] { group.exchange([Double(value)], rank: rank).map { UInt64($0[0]) } }
        func barrier() throws { _ = group.exchange([], rank: rank) }
    }

    let size: Int
    private let condition = NSCondition()
    private var slots: [[Double]], arrived = 0, generation = 0, result: [[Double]] = []

    init(size: Int) { self.size = size; slots = Array(repeating: [], count: size) }
    func member(_ rank: Int) -> Member { Member(group: self, rank: rank) }

    /// Every member's values by rank, once all have called.
    func exchange(_ values: [Double], rank: Int) -> [[Double]] {
        condition.lock()
        defer { condition.unlock() }
        slots[rank] = values
        arrived += 1
        if arrived == size {
            result = slots; arrived = 0; generation += 1
            condition.broadcast()
        } else {
            let mine = generation
            while generation == mine { condition.wait() }
        }
        return result
    }
}

/// The trainer's reduction itself, in one process: two members on two threads, each with half the
/// batch, against one trainer with the whole batch — online updates every 15 of 60 steps (the sum
/// at every update) and the BPTT oracle's update. Same tolerance as the mpirun tests.
@Suite struct TrainerReductionTests {
    @Test(arguments: [false, true])
    func halvesOnTwoThreadsTrainLikeTheWhole(backpropagation: Bool) throws {
        let (T, B, nIn) = (60, 4, 10)
        let spec = NetworkSpec(inputs: nIn, hidden: [.init(Models.alif(), neurons: 16, recurrent: true)], outputs: 2, kappa: 0.9)
        let kernel = try compile(spec, backend: .tinyCC)
        var rng = SplitMix64(seed: 61)
        let input = (0..<T * B * nIn).map { _ in Float(rng.next() % 8 == 0 ? 1 : 0) }
        let targets = (0..<T * B).map { Float($0 % B % 2) }
        func trainer(batch: Int) throws -> Trainer {
            let sim = try NetworkSimulation(kernel: kernel, batch: batch)
            sim.initializeWeights(seed: 62, inputGain: 3)
            var config = OptimizerConfig()
            config.learningRate = 1e-2
            return Trainer(simulation: sim, optimizer: Optimizer(config), updateEvery: backpropagation ? nil : 15)
        }
        func train(_ trainer: Trainer, input: [Float], targets: [Float]) throws {
            for _ in 0..<3 {
                if backpropagation { _ = try trainer.trainWithBackpropagation(input: input, targets: targets, steps: T) }
                else { _ = try trainer.train(input: input, targets: targets, steps: T) }
            }
        }
        let whole = try trainer(batch: B)
        try train(whole, input: input, targets: targets)
        let group = ThreadGroup(size: 2)
        let halves = try (0..<2).map { rank in
            let t = try trainer(batch: B / 2)
            t.group = group.member(rank)
            return t
        }
        let rows = { (rank: Int) in (0..<T).flatMap { t in (rank * B / 2..<(rank + 1) * B / 2).map { t * B + $0 } } }
        let work = UncheckedBox((0..<2).map { rank in
            let mine = rows(rank)
            return { try train(halves[rank], input: mine.flatMap { input[($0 * nIn)..<($0 * nIn + nIn)] }, targets: mine.map { targets[$0] }) }
        })
        let failures = Failures()
        DispatchQueue.concurrentPerform(iterations: 2) { rank in
            do { try work.value[rank]() } catch { failures.add("\(error)") }
        }
        #expect(failures.all.isEmpty, "\(failures.all)")
        #expect(halves.map(\.optimizer.step) == [whole.optimizer.step, whole.optimizer.step])
        for (a, (b, c)) in zip(whole.simulation.trainableTensors, zip(halves[0].simulation.trainableTensors, halves[1].simulation.trainableTensors)) {
            let scale = a.value.array.map { abs($0) }.max()!
            let difference = zip(a.value.array, b.value.array).map { abs($0 - $1) }.max()!
            #expect(difference <= 1e-5 * scale, "\(a.name): \(difference / scale)")
            let same = b.value.array == c.value.array
            #expect(same, "\(a.name): the two members hold different weights")
        }
    }
}

/// Hands the members' work to their threads (each touches only its own trainer).
final class UncheckedBox<Value>: @unchecked Sendable {
    let value: Value
    init(_ value: Value) { self.value = value }
}

final class Failures: @unchecked Sendable {
    private let lock = NSLock()
    private var messages: [String] = []
    func add(_ message: String) { lock.lock(); messages.append(message); lock.unlock() }
    var all: [String] { lock.lock(); defer { lock.unlock() }; return messages }
}
