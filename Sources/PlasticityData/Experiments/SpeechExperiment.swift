import Foundation
import Plasticity

/// One training run of `plasticity train`: data, network, kernel, optimizer, the epoch loop,
/// evaluation, metrics (JSON lines), checkpoints and the report, all under one output directory
/// (written by rank 0 alone when the run is split over the processes of a `ProcessGroup`):
///
///     config.json          the resolved config
///     metrics.jsonl        one JSON record per epoch
///     checkpoint.json      + checkpoint-<epoch>.safetensors, after every epoch
///     best.json            + best-<epoch>.safetensors, the best validation accuracy so far (no split: the last epoch)
///     report.html          self-contained, inline SVG
public final class SpeechExperiment {
    public let config: TrainConfig
    public let output: URL
    public let train: SpikeDataset, validation: SpikeDataset?, test: SpikeDataset
    public let spec: NetworkSpec
    public let simulation: NetworkSimulation
    public let trainer: Trainer
    public let compileMilliseconds: Double
    /// The processes the run is split over: each trains on its share of every batch and evaluates
    /// its share of every set; rank 0 builds the data and writes every file.
    public let group: ProcessGroup
    public private(set) var history: [EpochRecord] = []

    public struct Evaluation: Sendable {
        public var accuracy: Double
        public var loss: Double
        /// [label][prediction] counts.
        public var confusion: [[Int]]
        public var firingRateHz: [Double]
        /// What each sample produced, in the data's order, when asked for.
        public var samples: SampleOutputs?
    }

    /// Per sample: the predicted class (the largest readout summed over the labelled steps, from
    /// `labelFrom` on), the label, the readout [T][n_out] and, when asked, the input [T][n_in]
    /// and each hidden layer's spikes [T][n].
    public struct SampleOutputs: Sendable {
        public var labelFrom = 0
        public var predictions: [Int] = [], labels: [Int] = []
        public var readouts: [[Float]] = []
        public var inputs: [[Float]]?
        public var spikes: [[[Float]]]?
    }

    /// The data a run trains, selects and tests on, binned for the network's input.
    public struct Datasets: Sendable {
        public var train: SpikeDataset, validation: SpikeDataset?, test: SpikeDataset
        /// The readout's width (at least the classes of both files).
        public var classes: Int
        /// The network lowered for the resource check of a config already checked (`init(config:output:…)`),
        /// reused when the data's width and classes are the configured ones.
        var lowered: NetworkStages?
        public init(train: SpikeDataset, validation: SpikeDataset?, test: SpikeDataset, classes: Int) {
            self.train = train; self.validation = validation; self.test = test; self.classes = classes
        }
        init(train: SpikeDataset, validation: SpikeDataset?, test: SpikeDataset, classes: Int, lowered: NetworkStages?) {
            self.init(train: train, validation: validation, test: test, classes: classes)
            self.lowered = lowered
        }
    }

    /// Loads the data (building the spoken-digit set first when asked and needed), compiles the
    /// network kernel and initializes the weights. Every cheap check (config, memory for the
    /// configured input width) runs before the set is built or read.
    /// - Parameter memoryCap: bytes the data and the kernel's buffers may take (`MemoryCap`).
    /// - Parameter group: the processes of a data-parallel run (every one makes this call).
    public convenience init(config: TrainConfig, output: URL, memoryCap: Int = MemoryCap.bytes, group: ProcessGroup = SingleProcess(),
                            buildProgress: @escaping @Sendable (Int, Int) -> Void = { _, _ in }) throws {
        try Self.checkConfig(config, group: group)
        let data = try Self.loadDatasets(config, output: output, memoryCap: memoryCap, group: group, buildProgress: buildProgress)
        guard data.train.samples.count >= config.training.batch else {
            throw FileFormatError(file: data.train.file, field: "samples",
                                  message: "\(data.train.samples.count) training samples, fewer than one batch of \(config.training.batch)")
        }
        try self.init(config: config, output: output, data: data, memoryCap: memoryCap, group: group)
    }

    /// A run on data already loaded (`plasticity eval --data FILE` evaluates one file this way).
    public init(config: TrainConfig, output: URL, data: Datasets, memoryCap: Int = MemoryCap.bytes, group: ProcessGroup = SingleProcess()) throws {
        if data.lowered == nil { try Self.checkConfig(config, group: group) }   // else checked by the convenience init
        self.config = config
        self.output = output
        self.group = group
        train = data.train; validation = data.validation; test = data.test
        let width = test.inputs, classes = data.classes
        // The data's own buffers count against PLASTICITY_MEMORY_CAP too: the binned events and a dense batch.
        let p = MemoryCap.product, B = config.training.batch
        let events = MemoryCap.sum([train, test].flatMap { $0.samples.map { p($0.events.count, 2) } })
        let batch = MemoryCap.sum([p(test.steps, B, width), p(test.steps, B)])
        try MemoryCap.check(elements: MemoryCap.sum([events, batch]), what: "the data (batch \(B), \(test.steps) steps × \(width) inputs)",
                            largest: ("one dense batch", batch), cap: memoryCap)
        let backend = config.network.backend
        let stages = try data.lowered.flatMap { $0.network.inputs == width && $0.network.outputs == classes ? $0 : nil }
            ?? lower(config.networkSpec(inputs: width, classes: classes), target: backend.target)
        spec = stages.network
        try Self.checkAgreement(group, config: config, spec: spec, data: [train, test] + (validation.map { [$0] } ?? []))
        let kernel = try NetworkKernel(stages: stages, backend: backend)
        compileMilliseconds = kernel.compileMilliseconds
        simulation = try NetworkSimulation(kernel: kernel, batch: config.training.batch / group.size,
                                           chunkSteps: config.training.method == .eprop ? max(config.training.chunkSteps, 0) : 0,
                                           memoryCap: memoryCap)
        simulation.threads = max(config.training.threads, 1)
        simulation.initializeWeights(seed: config.training.seed, inputGain: config.network.inputGain,
                                     recurrentGain: config.network.recurrentGain, readoutGain: 1)
        // Each process's sequences are others than the next process's: so are their noise draws.
        simulation.noiseSeed = config.training.seed &+ UInt64(group.rank) &* 0x9E37_79B9_7F4A_7C15
        let optimizer = config.training.optimizerConfig(updates: config.training.epochs * (train.samples.count / config.training.batch))
        trainer = Trainer(simulation: simulation, optimizer: Optimizer(optimizer))
        trainer.group = group
    }

    static func checkConfig(_ config: TrainConfig, group: ProcessGroup) throws {
        try config.validate(file: "config")
        guard config.training.batch % group.size == 0 else {
            throw FileFormatError(file: "config", field: "training.batch", message: "\(config.training.batch) is not a multiple of the " +
                                  "\(group.size) processes (mpirun -np \(group.size)): each runs an equal share of every batch")
        }
    }

    /// Builds the set when asked and needed (rank 0), then reads and bins both files; validation is
    /// every n-th training speaker (speaker-disjoint from what is trained on).
    static func loadDatasets(_ config: TrainConfig, output: URL, memoryCap: Int, group: ProcessGroup,
                             buildProgress: @escaping @Sendable (Int, Int) -> Void) throws -> Datasets {
        let directory = URL(fileURLWithPath: config.data.directory)
        var lowered = config.data.build ? try checkResources(config, classes: SpokenDigits.keys.count, group: group, cap: memoryCap) : nil
        if group.rank == 0 {
            try FileManager.default.createDirectory(at: output, withIntermediateDirectories: true)
            if config.data.build { try buildIfNeeded(config.data, into: directory, progress: buildProgress) }
        }
        try group.barrier()   // the others read the data once rank 0 has built it
        if !config.data.build { try requireCompleteBuild(in: directory) }
        let trainFile = try SpikeFile(directory.appendingPathComponent(config.data.trainFile))
        let testFile = try SpikeFile(directory.appendingPathComponent(config.data.testFile))
        if let a = trainFile.keys, let b = testFile.keys, a != b {
            throw FileFormatError(file: testFile.url.path, field: "extra/keys",
                                  message: "its classes \(describe(b)) differ from \(trainFile.url.lastPathComponent)'s \(describe(a))")
        }
        let classes = max(trainFile.classCount, testFile.classCount)
        if !config.data.build { lowered = try checkResources(config, classes: classes, group: group, cap: memoryCap) }
        let limit = config.data.limit > 0 ? config.data.limit : nil
        // data.channels is the input width whether the set was built here or not: a unit index
        // beyond it is a damaged file or a wrong config, never a wider network.
        let all = try SpikeDataset(file: trainFile, binning: config.data.binning, channels: config.data.channels, classCount: classes,
                                   limit: limit, field: "data.channels")
        let test = try SpikeDataset(file: testFile, binning: config.data.binning, channels: config.data.channels, classCount: classes,
                                    limit: limit, field: "data.channels")
        let every = config.data.validationEvery
        guard every > 0 else { return Datasets(train: all, validation: nil, test: test, classes: classes, lowered: lowered) }
        guard all.samples.allSatisfy({ $0.speaker != nil }) else {
            throw FileFormatError(file: trainFile.url.path, field: "extra/speaker",
                                  message: "is missing, but data.validationEvery \(every) holds out every \(every)-th training speaker: " +
                                           "give the file speakers, or set data.validationEvery to 0 (best.json is then the last epoch's)")
        }
        let speakers = Array(Set(all.samples.map { $0.speaker! })).sorted()
        let held = Set(speakers.enumerated().filter { $0.offset % every == every - 1 }.map(\.element))
        var kept = all, validation = all
        kept.samples = all.samples.filter { !held.contains($0.speaker!) }
        validation.samples = all.samples.filter { held.contains($0.speaker!) }
        return Datasets(train: kept, validation: validation.samples.isEmpty ? nil : validation, test: test, classes: classes, lowered: lowered)
    }

    /// Class names for an error: their count and the first three.
    public static func describe(_ keys: [String]) -> String { "\(keys.count) (\(keys.prefix(3).joined(separator: ", "))…)" }

    /// Every process must train the same network on the same data: a config, model file or data
    /// file that differs on one machine is an error before training, naming the processes.
    static func checkAgreement(_ group: ProcessGroup, config: TrainConfig, spec: NetworkSpec, data: [SpikeDataset]) throws {
        guard group.size > 1 else { return }
        var setup = Fingerprint()
        setup.add(config.json)
        for hidden in spec.hidden { setup.add(try ModelFile(hidden.neuronModel).text()) }
        var samples = Fingerprint()
        for set in data {
            samples.add(set.samples.count)
            for sample in set.samples {
                samples.add(sample.label); samples.add(sample.speaker ?? -1)
                for event in sample.events { samples.add(Int(event.index)); samples.add(Int(event.count.bitPattern)) }
            }
        }
        for (what, print) in [("config or model", setup.value), ("data", samples.value)] {
            let all = try group.gather(print)
            let differing = all.indices.filter { all[$0] != all[0] }
            guard differing.isEmpty else {
                throw FileFormatError(file: "config", field: "processes", message: "rank \(differing.map(String.init).joined(separator: ", ")) " +
                                      "read another \(what) than rank 0: every process must train on the same config, model and files")
            }
        }
    }

    /// Whether a file name in an output folder is one a run writes (and `--overwrite` may remove
    /// when the folder's ledger proves it).
    public static func isRunFile(_ name: String) -> Bool {
        ["config.json", "metrics.jsonl", "checkpoint.json", "best.json", "report.html"].contains(name)
            || (["checkpoint-", "best-"].contains(where: name.hasPrefix) && name.hasSuffix(".safetensors"))
    }

    var labelFrom: Int { Int(config.training.labelFromMs / config.data.binning.binMs) }
    public var batchesPerEpoch: Int { train.samples.count / config.training.batch }
    var checkpointURL: URL { output.appendingPathComponent("checkpoint.json") }
    public var bestURL: URL { output.appendingPathComponent("best.json") }
    var metricsURL: URL { output.appendingPathComponent("metrics.jsonl") }

    /// The network's buffers, BPTT's record and one dense batch for the configured input width
    /// (`data.channels` pooled), counted against the cap from the lowered stages, before any data
    /// is built or read and before C is compiled. Returns the lowered network, for the compile.
    static func checkResources(_ config: TrainConfig, classes: Int, group: ProcessGroup, cap: Int) throws -> NetworkStages {
        let b = config.data.binning, batch = config.training.batch / group.size
        let inputs = (config.data.channels + b.pool - 1) / b.pool
        let stages = try lower(try config.networkSpec(inputs: inputs, classes: classes), target: config.network.backend.target)
        let bptt = config.training.method == .bptt
        try NetworkSimulation.checkMemory(stages: stages, batch: batch, chunkSteps: bptt ? 0 : max(config.training.chunkSteps, 0),
                                          recordSteps: bptt ? b.steps : 0, cap: cap)
        let dense = MemoryCap.product(b.steps, config.training.batch, inputs)
        try MemoryCap.check(elements: dense, what: "one dense batch (\(b.steps) steps × \(config.training.batch) × \(inputs) inputs)",
                            largest: ("the batch", dense), cap: cap)
        return stages
    }

    /// A set whose `build.txt` still says "building" was cut off mid-build: its files may come from
    /// two builds, so it is refused even when `data.build` is false.
    public static func requireCompleteBuild(in directory: URL) throws {
        let stamp = directory.appendingPathComponent("build.txt")
        if let text = try? String(contentsOf: stamp, encoding: .utf8), text.hasPrefix("building") {
            throw FileFormatError(file: stamp.path, field: "data.build", message: "records a build that did not finish: its spike files may " +
                                  "come from two builds; rebuild it (data.build=true) or remove the folder")
        }
    }

    /// Builds the spoken-digit set unless `directory/build.txt` records the same settings. Files
    /// without a `build.txt` beside them are the user's: they are never overwritten. A build
    /// marks the folder as in progress first, so a killed build is redone, never used.
    static func buildIfNeeded(_ data: TrainConfig.DataSection, into directory: URL, progress: @escaping @Sendable (Int, Int) -> Void) throws {
        var builder = SpokenDigits()
        builder.speakers = data.speakers; builder.repetitions = data.repetitions; builder.testEvery = data.testEvery
        builder.seed = data.buildSeed; builder.cochlea.channels = data.channels
        builder.cochlea.dynamicRangeDB = data.dynamicRangeDB
        builder.heldOutMethod = SpokenDigits.SynthesisMethod(rawValue: data.heldOutMethod.rawValue)
        builder.augmentation = data.augment ? SpeechAugmentation() : nil
        builder.wideVoices = data.wideVoices
        let stamp = "speakers \(data.speakers) repetitions \(data.repetitions) testEvery \(data.testEvery) seed \(data.buildSeed) channels " +
                    "\(data.channels) range \(data.dynamicRangeDB) dB held out \(data.heldOutMethod.rawValue) augment \(data.augment) " +
                    "wide voices \(data.wideVoices) cochlea v2"
        let stampURL = directory.appendingPathComponent("build.txt")
        let fm = FileManager.default
        let files = [data.trainFile, data.testFile].map { directory.appendingPathComponent($0) }
        let recorded = try? String(contentsOf: stampURL, encoding: .utf8)
        if recorded == stamp, files.allSatisfy({ fm.fileExists(atPath: $0.path) }) { return }
        if recorded == nil, let existing = files.first(where: { fm.fileExists(atPath: $0.path) }) {
            throw FileFormatError(file: existing.path, field: "data.build",
                                  message: "exists and was not built by plasticity (no build.txt beside it): it is not overwritten; set " +
                                           "data.build=false to train on it, or choose another data.directory")
        }
        for url in files + [stampURL] { try WriteContract.check(url, flag: "data.directory") }
        try WriteContract.write(Data("building: \(stamp)".utf8), to: stampURL, flag: "data.directory")
        try builder.build(into: directory, trainFile: data.trainFile, testFile: data.testFile, flag: "data.directory", progress: progress)
        try WriteContract.write(Data(stamp.utf8), to: stampURL, flag: "data.directory")
    }

    /// The epoch loop (`ExperimentLoop`). With `resume`, continues after the epoch in
    /// checkpoint.json (the metrics of earlier epochs are kept; shuffling is a function of seed and
    /// epoch, so the result is the same as an uninterrupted run).
    /// - Parameter stopAfter: end after this epoch as if interrupted (the schedule still spans
    ///   `training.epochs`), for resume tests and time-boxed runs.
    public func run(resume: Bool, stopAfter: Int? = nil, progress: (ExperimentProgress) -> Void = { _ in }) throws {
        let writes = group.rank == 0
        let lock = writes ? try RunLock(folder: output) : nil
        defer { withExtendedLifetime(lock) {} }
        var first = 1
        if resume, FileManager.default.fileExists(atPath: checkpointURL.path) {
            try config.checkResumable(from: checkpointURL)
            let state = try Checkpoint.load(checkpointURL, into: trainer)
            first = state.iteration + 1
            history = try checkedHistory(upTo: state.iteration)
        } else {
            history = []
        }
        // After the resume checks: a refused resume leaves the folder as it was.
        if writes {
            try WriteContract.write(Data(config.json.utf8), to: output.appendingPathComponent("config.json"))
            try ExperimentLoop.write(history, to: metricsURL, flag: "--out")
        }
        let epochs = config.training.epochs, last = min(epochs, stopAfter ?? epochs)
        guard first <= last else { return }
        let (seed, json, keys) = (config.training.seed, config.json, train.keys)
        var loop = ExperimentLoop(trainer: trainer) { Checkpoint.State(iteration: $0, rng: SplitMix64(seed: seed), config: json, keys: keys) }
        loop.method = config.training.method
        loop.metrics = metricsURL; loop.checkpoint = checkpointURL; loop.best = bestURL; loop.writes = writes
        try group.barrier()   // the processes start the loop together: startup skew is not training time
        // The records go to `history` as each epoch ends: a progress callback may read it meanwhile.
        var records = history
        try loop.run(self, epochs: first, through: last, of: epochs, history: &records, progress: progress) { self.history.append($0) }
    }

    /// Accuracy (argmax of the readout averaged over the labelled steps), mean loss per sample,
    /// confusion matrix and firing rates over a whole dataset; the last batch is padded. Split over
    /// the processes: each evaluates every size-th sample (from its rank) and the counts are summed.
    /// - Parameters: `outputs`: keep each sample's prediction and readout (`spikes`: and its spikes),
    ///   for the samples this process evaluates. The loss is the mean over the real samples (the
    ///   padding of the last batch is not counted), each sample's in float64 from its readout.
    public func evaluate(_ data: SpikeDataset, outputs: Bool = false, spikes: Bool = false) throws -> Evaluation {
        let B = simulation.batch, nOut = spec.outputs, classes = spec.outputs, definition = spec.loss.definition
        let mine = Array(stride(from: group.rank, to: data.samples.count, by: group.size))
        var confusion = [[Int]](repeating: [Int](repeating: 0, count: classes), count: classes)
        var loss = 0.0, rates = [Double](repeating: 0, count: spec.hidden.count), batches = 0
        var kept = outputs ? SampleOutputs(labelFrom: labelFrom, inputs: spikes ? [] : nil, spikes: spikes ? [] : nil) : nil
        var start = 0
        while start < mine.count {
            let real = min(B, mine.count - start)
            let indices = (0..<B).map { mine[start + min($0, real - 1)] }
            let batch = data.batch(indices, labelFrom: labelFrom)
            let result = try trainer.evaluate(input: batch.input, targets: batch.targets, steps: batch.steps, recordSpikes: spikes)
            for b in 0..<real {
                loss += definition.sequenceLoss(readout: result.readout, targets: batch.targets, sequence: b, batch: B, steps: batch.steps,
                                                outputs: nOut)
                var sums = [Double](repeating: 0, count: nOut)
                for t in labelFrom..<batch.steps { for o in 0..<nOut { sums[o] += Double(result.readout[(t * B + b) * nOut + o]) } }
                let prediction = sums.firstIndex(of: sums.max()!)!, label = data.samples[indices[b]].label
                confusion[label][prediction] += 1
                kept?.keep(result, input: batch.input, sequence: b, batch: B, steps: batch.steps, outputs: nOut, prediction: prediction,
                           label: label)
            }
            for (l, r) in result.firingRates.enumerated() { rates[l] += r }
            batches += 1
            start += real
        }
        if group.size > 1 {
            var totals = confusion.flatMap { $0.map(Double.init) } + rates + [loss, Double(batches)]
            try group.sum(&totals)
            confusion = (0..<classes).map { row in (0..<classes).map { Int(totals[row * classes + $0]) } }
            rates = Array(totals[(classes * classes)..<(classes * classes + rates.count)])
            loss = totals[totals.count - 2]; batches = Int(totals[totals.count - 1])
        }
        let correct = (0..<classes).reduce(0) { $0 + confusion[$1][$1] }
        let perSecond = 1000 / config.data.binning.binMs
        return Evaluation(accuracy: Double(correct) / Double(max(data.samples.count, 1)), loss: loss / Double(max(data.samples.count, 1)),
                          confusion: confusion, firingRateHz: rates.map { $0 / Double(max(batches, 1)) * perSecond }, samples: kept)
    }

    /// One sample's input, hidden spikes ([layer][steps][neurons]) and readout ([steps][outputs]).
    public func trace(_ data: SpikeDataset, sample: Int) throws -> (input: [Float], spikes: [[Float]], readout: [Float], label: Int) {
        let B = simulation.batch
        let batch = data.batch([Int](repeating: sample, count: B), labelFrom: labelFrom)
        let result = try trainer.evaluate(input: batch.input, targets: batch.targets, steps: batch.steps, recordSpikes: true)
        let T = batch.steps, n = data.inputs, nOut = spec.outputs
        let input = (0..<T).flatMap { t in batch.input[(t * B * n)..<(t * B * n + n)] }
        let spikes = result.spikes.enumerated().map { l, record in
            let width = spec.hidden[l].neurons
            return (0..<T).flatMap { t in record[(t * B * width)..<(t * B * width + width)] }
        }
        let readout = (0..<T).flatMap { t in result.readout[(t * B * nOut)..<(t * B * nOut + nOut)] }
        return (input, spikes, readout, data.samples[sample].label)
    }

    /// The epoch records of metrics.jsonl; a line that is not one is an error naming it (a resume
    /// rewrites the file from these records, so nothing may be dropped silently). A last line
    /// without its newline is a write cut by a kill: its epoch is redone, so it is left out.
    func readHistory() throws -> [EpochRecord] {
        guard FileManager.default.fileExists(atPath: metricsURL.path) else { return [] }
        let text: String
        do { text = try String(contentsOf: metricsURL, encoding: .utf8) } catch {
            throw FileFormatError(file: metricsURL.path, field: "file", message: "cannot be read as UTF-8 text (\(systemReason(error)))")
        }
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        if !text.hasSuffix("\n") { lines.removeLast() }
        return try lines.enumerated().compactMap { number, line in
            if line.allSatisfy(\.isWhitespace) { return nil }
            do { return try JSONDecoder().decode(EpochRecord.self, from: Data(line.utf8)) } catch {
                throw FileFormatError(file: metricsURL.path, field: "line \(number + 1)",
                                      message: "is not an epoch record (\(line.prefix(60))); fix or remove it to resume")
            }
        }
    }

    /// The epochs of metrics.jsonl up to a checkpoint's iteration. A kill may leave the metrics one
    /// epoch ahead of the checkpoint, never more and never behind: anything else is a folder that
    /// mixes runs or a damaged file, refused before a byte is rewritten.
    func checkedHistory(upTo iteration: Int) throws -> [EpochRecord] {
        let records = try readHistory()
        let kept = records.filter { $0.epoch <= iteration }
        guard iteration <= config.training.epochs else {
            throw FileFormatError(file: checkpointURL.path, field: "iteration",
                                  message: "\(iteration) is beyond the run's \(config.training.epochs) epochs: nothing is resumed")
        }
        guard kept.map(\.epoch) == (0..<iteration).map({ $0 + 1 }), records.count - kept.count <= 1 else {
            throw FileFormatError(file: checkpointURL.path, field: "iteration",
                                  message: "\(iteration), but \(metricsURL.lastPathComponent) records epochs " +
                                  "\(records.first.map { "\($0.epoch)…\(records.last!.epoch)" } ?? "none") (\(records.count) lines): the folder " +
                                  "mixes runs or a file was damaged; resume refused, nothing changed")
        }
        return kept
    }
}

extension SpeechExperiment.SampleOutputs {
    mutating func keep(_ result: EvaluationResult, input: [Float], sequence b: Int, batch B: Int, steps T: Int, outputs nOut: Int, prediction: Int,
                       label: Int) {
        predictions.append(prediction); labels.append(label)
        // Sequence b's rows of a [T][B][width] record.
        func rows(_ record: [Float], width: Int) -> [Float] {
            var out: [Float] = []
            out.reserveCapacity(T * width)
            for t in 0..<T {
                let first = (t * B + b) * width
                out += record[first..<(first + width)]
            }
            return out
        }
        readouts.append(rows(result.readout, width: nOut))
        guard spikes != nil else { return }
        inputs?.append(rows(input, width: input.count / (T * B)))
        spikes!.append(result.spikes.map { layer in rows(layer, width: layer.count / (T * B)) })
    }
}
