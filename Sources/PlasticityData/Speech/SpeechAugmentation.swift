import Foundation
import Plasticity

/// Waveform augmentation for building a training set, so that a model trained on some voices
/// hears others: each utterance gets its own random chain, drawn from a seeded generator
/// (deterministic for a seed). Ranges, in order of application:
/// - speed perturbation: resampled by a factor in `speed` (tempo and pitch together, as in
///   Ko et al. 2015), linear interpolation;
/// - spectral tilt: y_n = x_n − β x_{n−1}, β in `tilt` (β > 0 brightens, β < 0 darkens);
/// - EQ: one peaking biquad (RBJ cookbook) at 300–3000 Hz, Q = 1, gain in `eqDB`;
/// - reverberation with probability `reverbProbability`: a Schroeder reverberator (four
///   parallel combs, two allpasses) with RT60 in `rt60Seconds`, mixed wet/dry 1:1 to 1:3;
/// - noise at an SNR in `snrDB`: white, pink (Voss–McCartney-like 1/f from three leaky
///   integrators), brown (leaky integral of white), or — with probability `babbleProbability` —
///   babble, the sum of other utterances the caller supplies;
/// - level: a gain in `levelDB`. The cochlea's automatic gain control normalizes the peak, so the
///   level moves only where the noise sits relative to the silence threshold.
/// Vocal-tract-length perturbation is a warp of the cochlea's centre frequencies (`Cochlea.warp`),
/// drawn here (`warp`) and applied by the caller.
public struct SpeechAugmentation: Sendable, Equatable {
    public var speed: ClosedRange<Double> = 0.9...1.1
    public var warp: ClosedRange<Double> = 0.9...1.1
    public var tilt: ClosedRange<Double> = -0.6...0.6
    public var eqDB: ClosedRange<Double> = -6...6
    public var reverbProbability = 0.3
    public var rt60Seconds: ClosedRange<Double> = 0.1...0.6
    public var snrDB: ClosedRange<Double> = 5...30
    public var babbleProbability = 0.25
    public var levelDB: ClosedRange<Double> = -12...0
    public init() {}

    /// The noise of one utterance.
    public enum Noise: String, Sendable, CaseIterable { case white, pink, brown, babble }

    /// One utterance's draws.
    public struct Draw: Sendable, Equatable {
        public var speed, warp, tilt, eqHz, eqDB: Double
        public var rt60: Double?, wet: Double
        public var noise: Noise, snrDB, levelDB: Double
    }

    public func draw(_ rng: inout SplitMix64) -> Draw {
        func uniform(_ r: ClosedRange<Double>) -> Double { r.lowerBound + (r.upperBound - r.lowerBound) * rng.unit() }
        let speed = uniform(speed), warp = uniform(warp), tilt = uniform(tilt), eqHz = 300 * pow(10, rng.unit()), eqGain = uniform(eqDB)
        let reverb = rng.unit() < reverbProbability
        let rt60 = uniform(rt60Seconds), wet = 1 + 2 * rng.unit()
        let babble = rng.unit() < babbleProbability
        let color = [Noise.white, .pink, .brown][Int(rng.next() % 3)]
        return Draw(speed: speed, warp: warp, tilt: tilt, eqHz: eqHz, eqDB: eqGain, rt60: reverb ? rt60 : nil, wet: wet,
                    noise: babble ? .babble : color, snrDB: uniform(snrDB), levelDB: uniform(levelDB))
    }

    /// Applies a draw to speech at `sampleRate`; `babble` is mixed in when the draw says so
    /// (else coloured noise from `rng`).
    public static func apply(_ d: Draw, to speech: [Float], sampleRate: Double, babble: [Float], rng: inout SplitMix64) -> [Float] {
        var x = resample(speech, factor: d.speed)
        x = tilted(x, d.tilt)
        x = peaking(x, frequency: d.eqHz, gainDB: d.eqDB, sampleRate: sampleRate)
        if let rt60 = d.rt60 { x = reverberated(x, rt60: rt60, wet: d.wet, sampleRate: sampleRate) }
        let power = x.reduce(0) { $0 + Double($1) * Double($1) } / Double(max(x.count, 1))
        let noise = d.noise == .babble && !babble.isEmpty ? babble : colored(d.noise, count: x.count, rng: &rng)
        let noisePower = noise.prefix(x.count).reduce(0) { $0 + Double($1) * Double($1) } / Double(max(min(noise.count, x.count), 1))
        let scale = noisePower > 0 ? (power / noisePower / pow(10, d.snrDB / 10)).squareRoot() : 0
        let gain = pow(10, d.levelDB / 20)
        let g = Float(gain), k = Float(scale)
        var out = x
        for i in out.indices { out[i] = g * (x[i] + (i < noise.count ? k * noise[i] : 0)) }
        return out
    }

    /// Resampling by linear interpolation: `factor` > 1 is faster and higher.
    static func resample(_ x: [Float], factor: Double) -> [Float] {
        guard x.count > 1, factor > 0 else { return x }
        let count = Int(Double(x.count) / factor)
        return (0..<count).map { i in
            let t = Double(i) * factor, k = min(Int(t), x.count - 2), f = Float(t - Double(k))
            return x[k] * (1 - f) + x[k + 1] * f
        }
    }

    static func tilted(_ x: [Float], _ beta: Double) -> [Float] {
        var previous: Float = 0
        return x.map { v in defer { previous = v }; return v - Float(beta) * previous }
    }

    /// A peaking biquad (Bristow-Johnson's cookbook), Q = 1.
    static func peaking(_ x: [Float], frequency: Double, gainDB: Double, sampleRate: Double) -> [Float] {
        let a = pow(10, gainDB / 40), w = 2 * Double.pi * frequency / sampleRate, alpha = sin(w) / 2
        let b0 = 1 + alpha * a, b1 = -2 * cos(w), b2 = 1 - alpha * a, a0 = 1 + alpha / a, a1 = -2 * cos(w), a2 = 1 - alpha / a
        var x1 = 0.0, x2 = 0.0, y1 = 0.0, y2 = 0.0
        return x.map { v in
            let x0 = Double(v), y0 = (b0 * x0 + b1 * x1 + b2 * x2 - a1 * y1 - a2 * y2) / a0
            x2 = x1; x1 = x0; y2 = y1; y1 = y0
            return Float(y0)
        }
    }

    /// Schroeder's reverberator: four combs (delays 29.7–43.7 ms, feedback for the RT60) in
    /// parallel, then two allpasses (5 ms and 1.7 ms, gain 0.7); the tail is kept.
    static func reverberated(_ x: [Float], rt60: Double, wet: Double, sampleRate: Double) -> [Float] {
        let tail = Int(rt60 * sampleRate)
        let input = x + [Float](repeating: 0, count: tail)
        var sum = [Double](repeating: 0, count: input.count)
        for ms in [29.7, 37.1, 41.1, 43.7] {
            let delay = Int(ms * sampleRate / 1000), g = pow(10, -3 * ms / 1000 / rt60)
            var y = [Double](repeating: 0, count: input.count)
            for n in input.indices { y[n] = Double(input[n]) + (n >= delay ? g * y[n - delay] : 0); sum[n] += y[n] / 4 }
        }
        for ms in [5.0, 1.7] {
            let delay = Int(ms * sampleRate / 1000), g = 0.7
            var y = [Double](repeating: 0, count: sum.count)
            for n in sum.indices { y[n] = -g * sum[n] + (n >= delay ? sum[n - delay] + g * y[n - delay] : 0) }
            sum = y
        }
        let dryPower = x.reduce(0) { $0 + Double($1) * Double($1) }, wetPower = sum.reduce(0) { $0 + $1 * $1 }
        let scale = wetPower > 0 ? (dryPower / wetPower / wet).squareRoot() : 0
        return input.indices.map { Float(Double(input[$0]) + scale * sum[$0]) }
    }

    /// White, pink (three leaky integrators at 1/f-spaced poles) or brown (one leaky integrator) noise.
    static func colored(_ noise: Noise, count: Int, rng: inout SplitMix64) -> [Float] {
        var normal = GaussianSource(rng: rng)
        defer { rng = normal.rng }
        var b = (0.0, 0.0, 0.0)
        return (0..<count).map { _ in
            let w = normal.next()
            switch noise {
            case .white, .babble: return Float(w)
            case .pink:
                b = (0.997 * b.0 + 0.029591 * w, 0.985 * b.1 + 0.032534 * w, 0.950 * b.2 + 0.048056 * w)
                return Float(b.0 + b.1 + b.2 + 0.1848 * w)
            case .brown:
                b.0 = 0.995 * b.0 + 0.1 * w
                return Float(b.0)
            }
        }
    }
}

extension SplitMix64 {
    /// Uniform in [0, 1) from the top 53 bits.
    mutating func unit() -> Double { Double(next() >> 11) / Double(1 << 53) }
}
