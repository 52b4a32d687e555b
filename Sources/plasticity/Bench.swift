import ArgumentParser
import Foundation
import Plasticity

struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Benchmarks.", subcommands: [CompileTime.self, BenchNetwork.self, BenchMemory.self])

    /// DSL → runnable kernel wall time, median of repeated runs, per model.
    struct CompileTime: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "compile", abstract: "Median DSL → runnable kernel time per model.")
        @Option(parsing: .unconditional) var repeats = 21
        @Option(help: "Comma-separated models.") var models = CommaSeparated(BuiltinModel.allCases)
        @Option(help: "A model file (plasticity-model JSON) to time as well (repeatable).") var modelFile: [String] = []
        @Flag var json = false

        func run() throws {
            var rows: [[String: Any]] = []
            if !json { print("| model | DSL → kernel (median ms) | lower (ms) | C compile (ms) | runs |\n|---|---|---|---|---|") }
            let files = try modelFile.map { path in (path, try NeuronModel.read(URL(fileURLWithPath: path))) }
            for (name, model) in models.values.map({ ($0.rawValue, $0.model) }) + files {
                var total: [Double] = [], lowering: [Double] = [], cc: [Double] = []
                for _ in 0..<(repeats + 1) {
                    let start = DispatchTime.now().uptimeNanoseconds
                    let stages = try lower(LayerSpec(model: model, recurrent: true))
                    let lowered = DispatchTime.now().uptimeNanoseconds
                    let kernel = try Kernel(stages: stages, backend: .tinyCC)
                    let end = DispatchTime.now().uptimeNanoseconds
                    total.append(Double(end - start) / 1e6); lowering.append(Double(lowered - start) / 1e6); cc.append(kernel.compileMilliseconds)
                }
                func median(_ xs: [Double]) -> Double { let s = xs.dropFirst().sorted(); return s[s.count / 2] }   // first run is warm-up
                rows.append(["model": name, "median_ms": median(total), "lower_ms": median(lowering), "c_compile_ms": median(cc), "runs": repeats])
                if !json { print(String(format: "| %@ | %.2f | %.2f | %.2f | %d |", name, median(total), median(lowering), median(cc), repeats)) }
            }
            if json {
                let data = try JSONSerialization.data(withJSONObject: rows, options: [.prettyPrinted, .sortedKeys])
                print(String(decoding: data, as: UTF8.self))
            }
        }
    }
}
