import Foundation

/// A gammatone-like auditory front end that turns a waveform into spikes at 1 ms resolution.
///
/// 1. Filterbank: `channels` 4th-order gammatone filters, centre frequencies equally spaced on the
///    ERB-rate scale between `lowHz` and `highHz`, bandwidth 1.019 ERB(f) with
///    ERB(f) = 24.7 (4.37 f/kHz + 1) Hz (Glasberg & Moore 1990). Each is computed in base band:
///    the signal is shifted down by f_c (x·e^{−iω_c t}) and passed through four identical complex
///    one-pole low-passes; the magnitude is the filter's Hilbert envelope.
/// 2. Envelope per 1 ms frame (mean), compression e ↦ log(1 + e/floor) with the floor set
///    `dynamicRangeDB` below the utterance's loudest frame (automatic gain control), scaled to [0, 1].
/// 3. Spikes: one integrate-and-fire unit per channel, v += rate·Δt·level, a spike and v −= 1 when
///    v ≥ 1 (at most one spike per channel and frame). Levels under `silence` emit nothing.
public struct Cochlea: Sendable {
    /// More filters than this between 80 Hz and 8 kHz overlap almost entirely (about 30 ERBs wide)
    /// and only multiply the time a set takes to build (65,536 ran for minutes before any error).
    public static let maxChannels = 4096
    public var channels = 64
    public var lowHz = 80.0
    public var highHz = 8000.0
    public var maxRateHz = 400.0
    public var dynamicRangeDB = 50.0
    public var silence = 0.1
    /// Vocal-tract-length perturbation: every centre frequency × `warp` (1: none), so a formant
    /// lands on a neighbouring channel, as a longer or shorter vocal tract would move it.
    public var warp = 1.0
    public init() {}

    static func erbRate(_ f: Double) -> Double { 21.4 * log10(1 + 0.00437 * f) }
    static func inverseErbRate(_ e: Double) -> Double { (pow(10, e / 21.4) - 1) / 0.00437 }

    public var centreFrequencies: [Double] {
        let lo = Self.erbRate(lowHz), hi = Self.erbRate(highHz)
        return (0..<channels).map { warp * Self.inverseErbRate(lo + (hi - lo) * Double($0) / Double(max(channels - 1, 1))) }
    }

    /// Envelope per channel and 1 ms frame: [frames][channels].
    public func envelopes(_ signal: [Float], sampleRate: Double) -> (frames: Int, values: [Float]) {
        let perFrame = sampleRate / 1000
        let frames = Int(Double(signal.count) / perFrame)
        var out = [Float](repeating: 0, count: frames * channels)
        for (c, fc) in centreFrequencies.enumerated() where fc < sampleRate / 2 {
            let erb = 24.7 * (4.37 * fc / 1000 + 1)
            let a = exp(-2 * Double.pi * 1.019 * erb / sampleRate)
            let step = -2 * Double.pi * fc / sampleRate
            // The oscillator e^{-iωt} by rotation; renormalized every frame against drift.
            let rotation = (cos(step), sin(step))
            var phase = (1.0, 0.0)
            var y = [(Double, Double)](repeating: (0, 0), count: 4)
            var frame = 0, inFrame = 0.0, sum = 0.0
            for x in signal {
                var u = (Double(x) * phase.0, Double(x) * phase.1)
                for k in 0..<4 {
                    y[k] = (a * y[k].0 + (1 - a) * u.0, a * y[k].1 + (1 - a) * u.1)
                    u = y[k]
                }
                sum += (u.0 * u.0 + u.1 * u.1).squareRoot()
                phase = (phase.0 * rotation.0 - phase.1 * rotation.1, phase.0 * rotation.1 + phase.1 * rotation.0)
                inFrame += 1
                if inFrame >= perFrame {
                    if frame < frames { out[frame * channels + c] = Float(sum / inFrame) }
                    frame += 1; inFrame -= perFrame; sum = 0
                    let norm = (phase.0 * phase.0 + phase.1 * phase.1).squareRoot()
                    phase = (phase.0 / norm, phase.1 / norm)
                }
            }
        }
        return (frames, out)
    }

    /// Spikes of one waveform: times in seconds (frame centres at 1 ms) and channel indices,
    /// sorted by time.
    public func spikes(_ signal: [Float], sampleRate: Double) -> (times: [Float], units: [UInt32]) {
        let (frames, envelope) = envelopes(signal, sampleRate: sampleRate)
        let peak = Double(envelope.max() ?? 0)
        guard peak > 0 else { return ([], []) }
        let floor = peak * pow(10, -dynamicRangeDB / 20)
        let top = log(1 + peak / floor)
        var v = [Double](repeating: 0, count: channels)
        var times: [Float] = [], units: [UInt32] = []
        let perFrame = maxRateHz / 1000
        for t in 0..<frames {
            for c in 0..<channels {
                let level = log(1 + Double(envelope[t * channels + c]) / floor) / top
                guard level > silence else { v[c] = 0; continue }
                v[c] += perFrame * (level - silence) / (1 - silence)
                if v[c] >= 1 {
                    v[c] -= 1
                    times.append(Float(t) / 1000 + 0.0005); units.append(UInt32(c))
                }
            }
        }
        return (times, units)
    }
}
