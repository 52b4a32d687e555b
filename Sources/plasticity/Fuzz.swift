import ArgumentParser
import Foundation
import Plasticity
import PlasticityTestSupport

struct Fuzz: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Differential fuzzing of the compiler: random valid models through both backends against the float64 oracles, random near-valid invalid models against the checker.")

    @Option(help: "Random valid models.") var models = 10_000
    @Option(help: "Random invalid models.") var invalid = 2_000
    @Option(help: "Seed of the model generator.") var seed: UInt64 = 1
    @Option(help: "Steps of the eligibility comparison per model.") var steps = 40
    @Option(help: "Relative tolerance of derivatives and traces.") var tolerance = 1e-3
    @Flag(help: "TinyCC only (the optimizing backend costs ~0.1–0.3 s of cc per model).") var tinyCCOnly = false

    func run() throws {
        var fuzzer = DifferentialFuzzer(seed: seed)
        fuzzer.steps = steps
        fuzzer.derivativeTolerance = tolerance
        if tinyCCOnly { fuzzer.backends = [.tinyCC] }
        let bar = ProgressBar(label: "fuzz")
        let report = fuzzer.run(validModels: models, invalidModels: invalid) { done, total in
            bar.update(done, of: total, detail: "models")
        }
        bar.finish()
        print(report)
        if !report.failures.isEmpty { throw ExitCode(1) }
    }
}
