import Foundation
import Plasticity

/// The `plasticity train` config (JSON). Every field has a default (`TrainConfig()` is the
/// spoken-digit default: recurrent ALIF trained with e-prop); a file or `--set key=value`
/// overrides only what it names, and an unknown key is an error naming it (typos never pass
/// silently). Times are in milliseconds and converted with the bin width.
public struct TrainConfig: Codable, Sendable, Equatable {
    public struct DataSection: Codable, Sendable, Equatable {
        /// Holds `trainFile` and `testFile` (SHD layout). Relative paths are relative to the working directory.
        public var directory = "out/spoken-digits"
        /// File names inside `directory` (the published SHD files: shd_train.h5, shd_test.h5).
        public var trainFile = "train.h5"
        public var testFile = "test.h5"
        /// Build the spoken-digit set into `directory` when its files are missing or were built
        /// with other settings (real SHD: set false and point `directory` at the files).
        public var build = true
        public var speakers = 30
        public var repetitions = 4
        public var testEvery = 5
        public var buildSeed: UInt64 = 1
        public var channels = 64
        /// Cochlea: loudness range mapped to spike rates, below the utterance's peak (dB).
        public var dynamicRangeDB = 50.0
        public var binning = SpikeBinning()
        /// Samples read per file (0: all) — for quick runs and tests.
        public var limit = 0
        /// Training speakers held out for validation (picks the best checkpoint): every n-th (0: none).
        public var validationEvery = 6
        /// none: the test speakers are every `testEvery`-th; formant or klatt: every speaker of
        /// that espeak-ng synthesis method, and training has none of them (`SpokenDigits`).
        public var heldOutMethod = HeldOutMethod.none
        /// Waveform augmentation of the training utterances when building (`SpeechAugmentation`).
        public var augment = false
        /// Wider speaking-rate and pitch ranges per speaker (`SpokenDigits.wideVoices`).
        public var wideVoices = false
    }
    public enum HeldOutMethod: String, ConfigEnum { case none, formant, klatt }
    /// Which layers' projections from their input take delays: layer 0's (from the network input),
    /// the layers above it (from the spikes of the layer below), or all.
    public enum DelayedLayers: String, ConfigEnum {
        case first, between, all
        public func contains(_ l: Int) -> Bool { self == .all || (self == .first) == (l == 0) }
    }
    public struct NetworkSection: Codable, Sendable, Equatable {
        /// A built-in model (alif, lif, …), the path of a model file (relative to the config file;
        /// read at once, so the resolved config holds the model inline) or a model inline.
        public var model = ModelChoice.builtin(.alif)
        public var neurons = 128
        /// Hidden layers of `neurons` each, one above the other, with the same model. The top one
        /// learns by `feedback`; the ones below it by fixed random feedback of the output error.
        public var layers = 1
        public var recurrent = true
        public var feedback = NetworkSpec.Feedback.symmetric
        /// Constants of built-in models, applied to the parameters each says they mean
        /// (`BuiltinModel.parameterValues`); model files take `parameters` by name instead.
        public var membraneMs = 20.0
        public var adaptationMs = 200.0
        /// ALIF: threshold increase per spike (β of a^t = ρ a^{t−1} + z^{t−1}).
        public var adaptationStep = 0.05
        public var threshold = 0.6
        /// Parameter values by name, over the model's defaults and the constants above.
        public var parameters: [String: Double] = [:]
        /// Per-neuron initial values and bounds of parameters by name (`ParameterInit`).
        public var initializers: [String: ParameterInit] = [:]
        /// The weight projections of each layer (`LayerSpec.Projection`: source, channel, sign);
        /// nil: one from the input (and one recurrent) into the model's first input channel.
        public var projections: [LayerSpec.Projection]?
        public var readoutMs = 50.0
        /// The readout's decay κ per step, when set exactly (an imported NIR network's); else exp(−binMs/readoutMs).
        public var readoutDecay: Double?
        /// Hidden layers listed one by one, as in a network config (model, neurons, recurrent,
        /// feedback, parameters); when given, they replace model, neurons, layers, recurrent,
        /// feedback, the built-in constants and parameters above (`plasticity import nir` writes them).
        public var hidden: [LayerSpec] = []
        /// Delays on the projections from the input of the `delayedLayers` (`DelaySpec`, in steps of
        /// data.binning.binMs); nil: none. `--set network.delays.learnable=true` is enough for
        /// learnable axonal delays of up to 16 steps.
        public var delays: DelaySpec?
        /// Which layers' projections from their input take `delays` (`DelayedLayers`).
        public var delayedLayers = DelayedLayers.first
        /// Delays on every recurrent projection (`DelaySpec`; a layer then reads its own spikes
        /// z^{t−1−d}); nil: none.
        public var recurrentDelays: DelaySpec?
        public var inputGain = 1.0
        public var recurrentGain = 0.5
        /// tinyCC (JIT, milliseconds to compile) or systemCC (cc -O3).
        public var backend = Backend.systemCC
    }
    public struct TrainingSection: Codable, Sendable, Equatable {
        /// eprop (online, the kernel's traces) or bptt (the exact float64 oracle, for comparison).
        public var method = TrainingMethod.eprop
        public var epochs = 30
        public var batch = 32
        public var learningRate = 2e-3
        public var optimizer = OptimizerConfig.Kind.adam
        /// SGD's momentum; Adam's and AdamW's moment decays; weight decay (AdamW: decoupled; SGD
        /// and Adam: an L2 term on the gradient).
        public var momentum = 0.9
        public var beta1 = 0.9
        public var beta2 = 0.999
        public var weightDecay = 0.0
        /// With `cosine`: updates of linear warmup before the cosine decay to 0 at the last update.
        public var warmupSteps = 10
        public var cosine = true
        public var clipNorm = 10.0
        /// crossEntropySummed (on the time-averaged readout) or crossEntropy (every step from labelFromMs).
        public var loss = NetworkSpec.Loss.crossEntropySummed
        public var labelFromMs = 0.0
        /// Firing-rate regularization (e-prop only): target rate in Hz, strength (0: off).
        public var rateTargetHz = 10.0
        public var rateStrength = 0.0
        /// Augmentation: each training sample, each epoch, moved by a uniform random number of
        /// channels in ±shiftChannels and of milliseconds in ±shiftMs (0: off). The spoken digits
        /// overfit without it (docs/benchmarks.md).
        public var shiftChannels = 3
        public var shiftMs = 50.0
        /// Spike masking (SpecAugment-style), per training sample and epoch: one band of up to
        /// `channelMask` input channels and one window of up to `timeMaskMs` carry no events (0: off).
        public var channelMask = 0
        public var timeMaskMs = 0.0
        public var seed: UInt64 = 1
        /// Threads the batch is split over (e-prop). Results differ from one thread only by the
        /// order of float sums; 1 keeps runs bit-identical across machines.
        public var threads = 1
        /// e-prop: steps per chunk of time-chunked exact traces (0: the traces advance every step).
        /// The same gradients up to float reassociation, several times faster.
        public var chunkSteps = 100
        /// The test set is evaluated after every n-th epoch and after the last one (0: the last
        /// only). Evaluating a large test set can take longer than the epoch; the best-validation
        /// checkpoint is evaluated at the end either way.
        public var testEvery = 1
        public init() {}

        /// The optimizer of a run, `updates` updates long in all (nil: not known yet, no
        /// schedule's end): the one place training settings become an `OptimizerConfig`.
        public func optimizerConfig(updates: Int?) -> OptimizerConfig {
            var optimizer = OptimizerConfig()
            optimizer.kind = self.optimizer
            optimizer.learningRate = learningRate
            optimizer.momentum = momentum
            optimizer.beta1 = beta1
            optimizer.beta2 = beta2
            optimizer.weightDecay = weightDecay
            optimizer.clipNorm = clipNorm > 0 ? clipNorm : nil
            if cosine {
                optimizer.warmupSteps = warmupSteps
                optimizer.totalSteps = updates
            }
            return optimizer
        }
    }
    public var data = DataSection()
    public var network = NetworkSection()
    public var training = TrainingSection()
    public init() {}

    /// Reads a config file over the defaults; a model file it names is read at once (relative
    /// to the config's folder).
    public static func read(_ url: URL) throws -> TrainConfig {
        let folder = url.deletingLastPathComponent()
        return try TrainConfig().merging(ConfigFile.object(at: url), file: url.path, folder: folder).resolvingModelFile(relativeTo: folder,
                                                                                                                       file: url.path)
    }

    /// The config a checkpoint was trained with, its model rebuilt from the definition the
    /// checkpoint embeds (so it needs neither the model file nor the config beside it).
    public static func embedded(in checkpoint: URL) throws -> TrainConfig {
        let (text, models, _) = try Checkpoint.embedded(checkpoint)
        let field = "\(checkpoint.path): config"
        var config = try TrainConfig().merging(ConfigFile.object(Data(text.utf8), file: field), file: field)
        if let model = models.first {
            config.network.model = .inline(model)   // parameters and constants are already in the model's values
            config.network.parameters = [:]
        }
        return config
    }

    /// The config text a checkpoint holds.
    static func embeddedText(in checkpoint: URL) throws -> String { try Checkpoint.embedded(checkpoint).config }

    /// This config with a model file path replaced by the model it holds (the layers of
    /// `network.hidden` read theirs as they are decoded, relative to the same folder).
    public func resolvingModelFile(relativeTo directory: URL, file: String) throws -> TrainConfig {
        var config = self
        do { config.network.model = try network.model.resolvingFiles(relativeTo: directory) } catch let error as FileFormatError {
            throw FileFormatError(file: file, field: "network.model", message: "\(error)")
        }
        return config
    }

    /// This config with `overrides` (nested like the config) laid over it; a key the config does
    /// not have is an error naming its path.
    public func merging(_ overrides: [String: Any], file: String, folder: URL? = nil) throws -> TrainConfig {
        func merge(_ base: [String: Any], _ overrides: [String: Any]) -> [String: Any] {
            base.merging(overrides) { old, new in
                guard let old = old as? [String: Any], let new = new as? [String: Any] else { return new }
                return merge(old, new)
            }
        }
        let base = try JSONSerialization.jsonObject(with: JSONEncoder().encode(self)) as! [String: Any]
        let merged = merge(base, overrides)
        let binMs = ((merged["data"] as? [String: Any])?["binning"] as? [String: Any])?["binMs"]
        var context = ConfigContext(file: file, stepMs: ConfigContext.step(binMs))
        if let folder { context.folder = folder }
        let config = try ConfigFile.decode(TrainConfig.self, from: merged, file: file, context: context)
        try config.validate(file: file)
        return config
    }

    /// `key.path=value` (value as JSON, else as a string) on top of this config.
    public func setting(_ assignment: String) throws -> TrainConfig {
        guard let equals = assignment.firstIndex(of: "=") else {
            throw FileFormatError(file: "--set", field: assignment, message: "must be key.path=value")
        }
        let path = assignment[..<equals].split(separator: ".").map(String.init)
        let text = String(assignment[assignment.index(after: equals)...])
        let value: Any = (try? JSONSerialization.jsonObject(with: Data(text.utf8), options: [.fragmentsAllowed])) ?? text
        var object: Any = value
        for key in path.reversed() { object = [key: object] }
        guard let overrides = object as? [String: Any] else { throw FileFormatError(file: "--set", field: assignment, message: "has no key") }
        let cwd = URL(fileURLWithPath: FileManager.default.currentDirectoryPath)
        return try merging(overrides, file: "--set").resolvingModelFile(relativeTo: cwd, file: "--set")
    }

    public var json: String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try! encoder.encode(self), as: UTF8.self)
    }

    /// The network this config describes, for `inputs` channels and `classes` outputs, checked.
    public func networkSpec(inputs: Int, classes: Int, file: String = "config") throws -> NetworkSpec {
        guard training.loss.definition.classifies else {
            let classifiers = NetworkSpec.Loss.allCases.filter(\.definition.classifies).map(\.rawValue)
            throw FileFormatError(file: file, field: "training.loss", message: "'\(training.loss.rawValue)' does not classify: the speech task " +
                                  "takes \(classifiers.joined(separator: " or "))")
        }
        let dt = data.binning.binMs, n = network
        let constants = n.model.builtin == nil ? NeuronConstants()
            : NeuronConstants(membraneMs: n.membraneMs, adaptationMs: n.adaptationMs, adaptationStep: n.adaptationStep, threshold: n.threshold)
        let hidden = !n.hidden.isEmpty ? n.hidden : (0..<n.layers).map { layer in
            var spec = LayerSpec(model: n.model, neurons: n.neurons, recurrent: n.recurrent, feedback: layer == n.layers - 1 ? n.feedback : .random,
                                 constants: constants, parameters: n.parameters, projections: n.projections)
            spec.initializers = n.initializers
            return spec
        }
        let regularization = training.rateStrength > 0 && training.method == .eprop
            ? NetworkSpec.RateRegularization(target: training.rateTargetHz * dt / 1000, strength: training.rateStrength) : nil
        let spec = NetworkSpec(inputs: inputs, hidden: hidden, outputs: classes, kappa: n.readoutDecay ?? exp(-dt / n.readoutMs),
                               loss: training.loss, stepMs: dt, rateRegularization: regularization)
        var network = try spec.validated(file: file)
        guard n.delays != nil || n.recurrentDelays != nil else { return network }
        // After validation: the layer's default projections are made there.
        for l in network.hidden.indices {
            for p in network.hidden[l].projections.indices {
                switch network.hidden[l].projections[p].source {
                case .input: if n.delayedLayers.contains(l), let delays = n.delays { network.hidden[l].projections[p].delays = delays }
                case .recurrent: if let delays = n.recurrentDelays { network.hidden[l].projections[p].delays = delays }
                }
            }
        }
        do { try network.check() } catch let error as NetworkError {
            throw FileFormatError(file: file, field: n.delays != nil ? "network.delays" : "network.recurrentDelays", message: error.message)
        }
        return network
    }
}
