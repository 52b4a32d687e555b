import ArgumentParser
import Foundation
import Plasticity
import PlasticityTestSupport

struct Fuzz: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Differential fuzzing of the compiler: random valid models through both backends against the float64 oracles, random near-valid " +
                  "invalid models against the checker.")

    @Option(parsing: .unconditional, help: "Random valid models.") var models = 10_000
    @Option(parsing: .unconditional, help: "Random invalid models.") var invalid = 2_000
    @Option(parsing: .unconditional, help: "Seed of the model generator.") var seed: UInt64 = 1
    @Option(parsing: .unconditional, help: "Steps of the eligibility comparison per model.") var steps = 40
    @Option(parsing: .unconditional, help: "Relative tolerance of derivatives and traces.") var tolerance = 1e-3
    @Flag(help: "TinyCC only (the optimizing backend costs ~0.1–0.3 s of cc per model).") var tinyCCOnly = false
    @Option(help: "Threads checking valid models.") var jobs = ProcessInfo.processInfo.activeProcessorCount
    @Option(parsing: .unconditional, help: "Mutated files per file format (see --formats).") var files = 0
    @Option(help: ArgumentHelp("Only these formats, comma-separated: spikeFile, safetensors, checkpoint, trainConfig, networkConfig, " +
                               "modelFile, nirGraph, audioFile."))
    var formats: String?
    @Option(help: "Directory for the mutants (the last one stays there to reproduce a crash).") var mutantDirectory = "out/fuzz-files"
    @Option(parsing: .unconditional, help: "Value mutants per format (train and network configs, model files, spike files, gradcheck inputs).")
    var values = 0

    func run() throws {
        var fuzzer = DifferentialFuzzer(seed: seed)
        fuzzer.steps = steps
        fuzzer.derivativeTolerance = tolerance
        if tinyCCOnly { fuzzer.backends = [.tinyCC] }
        fuzzer.jobs = jobs
        let bar = ProgressBar(label: "fuzz")
        let report = fuzzer.run(validModels: models, invalidModels: invalid) { done, total in
            bar.update(done, of: total, detail: "models")
        }
        bar.finish()
        print(report)
        var failed = !report.failures.isEmpty
        if files > 0 {
            let directory = URL(fileURLWithPath: mutantDirectory)
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            let chosen = try formats.map { list in
                try list.split(separator: ",").map { name in
                    guard let f = FileFuzzer.Format.allCases.first(where: { "\($0)" == name }) else { throw ValidationError("unknown format " +
                        "'\(name)'") }
                    return f
                }
            } ?? FileFuzzer.Format.allCases
            print("mutants are written to \(directory.path)/mutant.*; after a crash the last one is there")
            fflush(nil)
            let fileBar = ProgressBar(label: "files")
            let fileReport = try FileFuzzer(seed: seed, directory: directory).run(mutantsPerFormat: files, formats: chosen) { done, total in
                fileBar.update(done, of: total, detail: "mutants")
            }
            fileBar.finish()
            print(fileReport)
            failed = failed || !fileReport.unclear.isEmpty || fileReport.hangs > 0
        }
        if values > 0 {
            let directory = URL(fileURLWithPath: mutantDirectory)
            print("value mutants are written to \(directory.path)/value-mutant.*; after a trap the last one is there")
            fflush(nil)
            let valueBar = ProgressBar(label: "values")
            let valueReport = try ValueFuzzer(seed: seed, directory: directory).run(mutantsPerFormat: values) { done, total in
                valueBar.update(done, of: total, detail: "mutants")
            }
            valueBar.finish()
            print(valueReport)
            failed = failed || !valueReport.unclear.isEmpty || valueReport.hangs > 0
        }
        if failed { throw ExitCode(1) }
    }
}
