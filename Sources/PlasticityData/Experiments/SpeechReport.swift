import Foundation
import Plasticity

/// The run's report: one self-contained HTML page (inline SVG, inline CSS, no scripts) with the
/// learning curves, the confusion matrix, one test sample's input and hidden spike rasters and
/// readout traces, firing rates, the neuron model and the config.
public struct SpeechReport {
    public var experiment: SpeechExperiment
    public var evaluation: SpeechExperiment.Evaluation
    public var checkpointEpoch: Int
    public var sample = 0

    public init(experiment: SpeechExperiment, evaluation: SpeechExperiment.Evaluation, checkpointEpoch: Int) {
        self.experiment = experiment; self.evaluation = evaluation; self.checkpointEpoch = checkpointEpoch
    }

    public func html() throws -> String {
        let e = experiment, history = e.history, config = e.config
        // Class names: the file's keys, and the label number for classes beyond them.
        let names = (0..<e.spec.outputs).map { c in e.test.keys.flatMap { c < $0.count ? $0[c] : nil } ?? String(c) }
        let epochs = history.map { Double($0.epoch) }
        let loss = SVG.lineChart(title: "training loss per sample", series: [("train loss", Array(zip(epochs, history.map(\.trainLoss))))],
                                 xLabel: "epoch", integerX: true)
        let testPoints = history.compactMap { r in r.testAccuracy.map { (Double(r.epoch), $0) } }
        var accuracySeries: [(label: String, points: [(Double, Double)])] = [("test", testPoints)]
        let validation = history.compactMap { r in r.validationAccuracy.map { (Double(r.epoch), $0) } }
        if !validation.isEmpty { accuracySeries.append(("validation", validation)) }
        let trainAccuracy = history.compactMap { r in r.trainAccuracy.map { (Double(r.epoch), $0) } }
        if !trainAccuracy.isEmpty { accuracySeries.append(("train (per step)", trainAccuracy)) }
        let accuracy = SVG.lineChart(title: "accuracy", series: accuracySeries, xLabel: "epoch", integerX: true)
        let confusion = SVG.heatMap(title: "confusion matrix, test set (rows: label)", matrix: evaluation.confusion, rowNames: names)

        let trace = try e.trace(e.test, sample: min(sample, e.test.samples.count - 1))
        let T = e.test.steps, dt = config.data.binning.binMs, n = e.spec.hidden[0].neurons, nOut = e.spec.outputs
        let inputRaster = SVG.raster(title: "input spikes (binned), test sample \(sample): \(names[trace.label])", values: trace.input,
                                     steps: T, rows: e.test.inputs, stepMs: dt)
        let spiking = e.spec.hidden[0].checkedModel?.isSpiking ?? true
        let hiddenRaster = SVG.raster(title: "hidden layer \(spiking ? "spikes" : "outputs") (\(n) \(e.spec.hidden[0].model.name))",
                                      values: trace.spikes[0], steps: T, rows: n, stepMs: dt)
        let readoutSeries = (0..<nOut).map { o in (label: names[o], points: (0..<T).map { t in (Double(t) * dt, Double(trace.readout[t * nOut
            + o])) }) }
        let readout = SVG.lineChart(title: "readout traces (label in red)", series: readoutSeries, xLabel: "ms", highlight: trace.label)
        // A rate layer's "spikes" are its outputs: their mean per step, not a rate in Hz.
        let perSecond = spiking ? 1000 / dt : 1
        let perNeuron = (0..<n).map { j in (0..<T).reduce(0.0) { $0 + Double(trace.spikes[0][$1 * n + j]) } / Double(T) * perSecond }
        let mean = (evaluation.firingRateHz.first ?? 0) / (spiking ? 1 : 1000 / dt)
        let rates = SVG.bars(title: String(format: spiking ? "rate per neuron, this sample (sorted); test-set mean %.1f Hz"
                                                           : "mean output per neuron and step, this sample (sorted); test-set mean %.3g", mean),
                             values: perNeuron.sorted(by: >), yLabel: spiking ? "Hz, neurons sorted" : "mean output, neurons sorted")

        let delays = delayHistograms(stepMs: dt)
        let last = history.last
        let summary = [
            ("test accuracy (\(experiment.validation == nil ? "no validation split: last" : "best-validation") checkpoint, epoch " +
             "\(checkpointEpoch))", String(format: "%.4f", evaluation.accuracy)),
            ("final-epoch test accuracy", last?.testAccuracy.map { String(format: "%.4f", $0) } ?? "–"),
            ("method", config.training.method.rawValue),
            ("network", "\(e.spec.inputs) inputs → \(n) \(e.spec.hidden[0].model.name)\(config.network.recurrent ? " (recurrent)" : "")"
                        + " → \(nOut) leaky readouts"),
            ("data", "\(e.train.samples.count) train, \(e.validation?.samples.count ?? 0) validation, \(e.test.samples.count) test samples; \(T) " +
                     "bins of \(dt) ms"),
            ("training time", String(format: "%.0f s over %d epochs (%.0f samples/s)", history.reduce(0) { $0 + $1.seconds }, history.count,
                                     last?.samplesPerSecond ?? 0)),
            ("kernel", String(format: "%@, compiled in %.0f ms", config.network.backend.rawValue, e.compileMilliseconds)),
        ]
        let rows = summary.map { "<tr><th>\(SVG.escape($0.0))</th><td>\(SVG.escape($0.1))</td></tr>" }.joined()
        let model = e.spec.hidden[0].checkedModel?.description ?? e.spec.hidden[0].neuronModel.name
        let title = "Plasticity report: \(SVG.escape(config.training.method.rawValue)) on \(SVG.escape(config.data.directory))"
        return """
        <!DOCTYPE html>
        <html lang="en"><head><meta charset="utf-8"><title>\(title)</title>
        <style>
        body { font-family: sans-serif; margin: 24px; color: #222; background: white; max-width: 1200px; }
        h1 { font-size: 22px; } h2 { font-size: 16px; margin-top: 28px; }
        table { border-collapse: collapse; } th, td { text-align: left; padding: 3px 10px; border-bottom: 1px solid #ddd; }
        .grid { display: flex; flex-wrap: wrap; gap: 16px; } pre { background: #f6f6f6; padding: 10px; font-size: 12px; overflow-x: auto; }
        </style></head><body>
        <h1>Plasticity: spoken-digit classification report</h1>
        <table>\(rows)</table>
        <h2>Learning curves</h2><div class="grid">\(loss)\(accuracy)</div>
        <h2>Confusion matrix</h2>\(confusion)
        <h2>One test sample</h2><div class="grid">\(inputRaster)\(hiddenRaster)\(readout)\(rates)</div>
        \(delays.isEmpty ? "" : "<h2>Delays</h2><div class=\"grid\">\(delays.joined())</div>")
        <h2>Neuron model</h2><pre>\(SVG.escape(model))</pre>
        <h2>Config</h2><pre>\(SVG.escape(config.json))</pre>
        </body></html>
        """
    }

    /// Per delayed projection, how many delays fall in each step of [0, D] (the checkpoint's).
    func delayHistograms(stepMs: Double) -> [String] {
        let sim = experiment.simulation
        return sim.trainableTensors.compactMap { tensor -> String? in
            guard case .delays(let l, let p) = tensor.id, let spec = sim.network.hidden[l].projections[p].delays else { return nil }
            var counts = [Double](repeating: 0, count: spec.maxSteps + 1)
            for d in tensor.value.array { counts[min(max(Int(d.rounded(.down)), 0), spec.maxSteps)] += 1 }
            let values = tensor.value.array.map(Double.init), mean = values.reduce(0, +) / Double(max(values.count, 1))
            let title = String(format: "%@ delays of layer %d, projection %d (%@): mean %.2f steps = %.0f ms", spec.kind.rawValue, l, p,
                               spec.learnable ? "learned" : "fixed", mean, mean * stepMs)
            return SVG.bars(title: title, values: counts, yLabel: "delays per step 0 … \(spec.maxSteps) (\(stepMs) ms each)")
        }
    }

    /// Writes the page atomically and returns its URL.
    @discardableResult
    public func write(to url: URL) throws -> URL {
        try WriteContract.write(Data(try html().utf8), to: url)
        return url
    }
}
