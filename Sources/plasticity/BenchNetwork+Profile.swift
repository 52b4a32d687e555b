import Foundation
import Plasticity
import PlasticityTestSupport

/// `bench network --profile`: each variant's time per phase from a profiled run of the same batch,
/// beside the roofline bound of that phase (docs/benchmarks.md, "Roofline").
extension BenchNetwork {
    struct PhaseRow {
        var phase: ProfilePhase
        var seconds: Double
        var work: Roofline.Work?
    }

    /// Profiles `repeats` batches of each variant: per variant index, its profile as JSON and as a
    /// markdown table. With threads, each thread's share: the mean of their times per phase, and
    /// the work divided among them, against the ceilings of one core.
    func profileVariants(_ variants: [Variant], name: String, input: [Float], targets: [Float], steps T: Int, batch: Int) throws
        -> [Int: (json: [String: Any], table: [String])] {
        let cyclesPerSecond = KernelProfile.measureCyclesPerSecond()
        var profiles: [Int: (json: [String: Any], table: [String])] = [:]
        for (index, variant) in variants.enumerated() where !variant.handWritten {
            let sim = variant.simulation, profile = KernelProfile()
            sim.profile = profile
            defer { sim.profile = nil }
            var wall: [Double] = []
            for _ in 0..<repeats { wall.append(try variant.time(input: input, targets: targets, steps: T)) }
            let runs = Double(repeats)
            let spikes = sim.layers.map { Double($0.spikeCount?.array.reduce(0, +) ?? 0) }
            let roofline = variant.chunk > 0
                ? Roofline(kernel: sim.kernel, batch: batch, steps: T, chunk: variant.chunk, profile: profile, spikes: spikes.map { $0 * runs })
                : nil
            let ceilings = Roofline.Ceilings.measure(stateBytes: Roofline.stateBytes(sim.kernel, batch: batch))
            let phases = ProfilePhase.allCases.map { phase in
                PhaseRow(phase: phase, seconds: Double(profile.cycles[phase.rawValue]) / cyclesPerSecond / runs / Double(variant.threads),
                         work: roofline?.work[phase].map { scaled($0, by: 1 / runs / Double(variant.threads)) })
            }
            let profiled = wall.sorted()[wall.count / 2]
            let unprofiled = variant.seconds.sorted()[variant.seconds.count / 2]
            let table = profileTable(phases, title: "\(name) · \(variant.backend) · K = \(variant.chunk) · \(variant.threads) thread(s)",
                                     unprofiled: unprofiled, profiled: profiled, ceilings: ceilings)
            let layers = sim.layers.indices
            let ceilingsJSON: [String: Any] = ["flops_per_second": ceilings.flopsPerSecond, "cache_bytes_per_second": ceilings.cacheBytesPerSecond,
                                               "state_bytes_per_second": ceilings.stateBytesPerSecond, "state_bytes": ceilings.stateBytes]
            let phasesJSON = phases.map { row -> [String: Any] in
                var entry: [String: Any] = ["phase": row.phase.description, "seconds": row.seconds]
                if let work = row.work { entry["flops"] = work.flops; entry["bytes"] = work.bytes; entry["bound_seconds"] = work.bound(ceilings) }
                return entry
            }
            profiles[index] = (["profiled_seconds_per_batch": profiled, "cycles_per_second": cyclesPerSecond,
                                "input_events_per_batch": layers.map { Double(profile.inputEvents[$0]) / runs },
                                "recurrent_events_per_batch": layers.map { Double(profile.recurrentEvents[$0]) / runs },
                                "ceilings": ceilingsJSON, "phases": phasesJSON], table)
        }
        return profiles
    }

    private func scaled(_ work: Roofline.Work, by factor: Double) -> Roofline.Work {
        var w = work
        w.flops *= factor; w.bytes *= factor
        return w
    }

    private func profileTable(_ phases: [PhaseRow], title: String, unprofiled: Double, profiled: Double, ceilings: Roofline.Ceilings)
        -> [String] {
        let total = phases.reduce(0) { $0 + $1.seconds }
        var lines = ["", String(format: "%@: %.4f s per batch unprofiled, %.4f s profiled (phases sum to %.4f s per thread); " +
                                "ceilings %.1f GFLOP/s, cache %.1f GB/s, carried state %.1f GB/s over %.1f MB", title, unprofiled, profiled,
                                total, ceilings.flopsPerSecond / 1e9, ceilings.cacheBytesPerSecond / 1e9, ceilings.stateBytesPerSecond / 1e9,
                                Double(ceilings.stateBytes) / 1e6), ""]
        lines += ["| phase | s/batch | share | MFLOP | MB | bound s | measured / bound |", "|---|---|---|---|---|---|---|"]
        for row in phases {
            let share = total > 0 ? 100 * row.seconds / total : 0
            if let work = row.work {
                let bound = work.bound(ceilings)
                lines.append(String(format: "| %@ | %.4f | %.1f %% | %.1f | %.1f | %.5f | %.1f |", row.phase.description, row.seconds, share,
                                    work.flops / 1e6, work.bytes / 1e6, bound, bound > 0 ? row.seconds / bound : 0))
            } else {
                lines.append(String(format: "| %@ | %.4f | %.1f %% | | | | |", row.phase.description, row.seconds, share))
            }
        }
        let bound = phases.compactMap { $0.work?.bound(ceilings) }.reduce(0, +)
        if bound > 0 { lines.append(String(format: "| all | %.4f | 100 %% | | | %.5f | %.1f |", total, bound, total / bound)) }
        return lines
    }
}
