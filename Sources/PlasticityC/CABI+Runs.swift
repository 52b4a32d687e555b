import Foundation
import Plasticity
import PlasticityData

/// The CLI's commands as calls (include/plasticity.h): the same library functions the CLI runs,
/// so the same files and figures.

/// Model files a JSON text names are read relative to the caller's working folder, as the CLI
/// reads a `--set` value's.
var workingFolder: URL { URL(fileURLWithPath: FileManager.default.currentDirectoryPath, isDirectory: true) }

/// A train config given as JSON text, over the defaults, its model file (if it names one) read now.
func callerConfig(_ json: UnsafePointer<CChar>?) throws -> TrainConfig {
    try TrainConfig().merging(try jsonObject(json, "config_json"), file: "config_json", folder: workingFolder)
        .resolvingModelFile(relativeTo: workingFolder, file: "config_json")
}

/// A profile name, or nil for NULL (export: nir; import: as the file says).
func nirProfile(_ name: UnsafePointer<CChar>?) throws -> NIRProfile? {
    guard let name else { return nil }
    let text = String(cString: name)
    guard let profile = NIRProfile(rawValue: text) else { throw BoundaryError("profile is '\(text)', not nir, snntorch or norse") }
    return profile
}

@_cdecl("plasticity_train")
public func train(_ configJSON: UnsafePointer<CChar>?, _ out: UnsafePointer<CChar>?, _ overwrite: Int32,
                  _ summaryJSON: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> Int32 {
    guarded {
        let folder = try text(out, "out")
        guard !folder.isEmpty else { throw BoundaryError("out must name a folder, not ''") }
        let config = try callerConfig(configJSON)
        let summary = try TrainRun(config: config, output: URL(fileURLWithPath: folder), overwrite: overwrite != 0).run()
        var object: [String: Any] = ["seconds": summary.seconds, "lines": summary.lines]
        object["final_test_accuracy"] = summary.finalTestAccuracy
        object["best_epoch"] = summary.bestEpoch
        object["best_test_accuracy"] = summary.bestTestAccuracy
        object["report"] = summary.report?.path
        try give(try jsonText(object), to: summaryJSON, "summary_json")
    }
}

@_cdecl("plasticity_evaluate")
public func evaluate(_ checkpoint: UnsafePointer<CChar>?, _ data: UnsafePointer<CChar>?,
                     _ resultJSON: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> Int32 {
    guarded {
        let url = URL(fileURLWithPath: try text(checkpoint, "checkpoint"))
        var warnings: [String] = []
        let (state, dataset, result) = try SpeechExperiment.evaluating(checkpoint: url, data: data.map { URL(fileURLWithPath: String(cString: $0)) },
                                                                       warn: { warnings.append($0) })
        try give(try jsonText(["epoch": state.iteration, "data": dataset.file, "samples": dataset.samples.count, "accuracy": result.accuracy,
                               "loss": result.loss, "confusion": result.confusion, "warnings": warnings] as [String: Any]),
                 to: resultJSON, "result_json")
    }
}

@_cdecl("plasticity_nir_export")
public func nirExport(_ checkpoint: UnsafePointer<CChar>?, _ path: UnsafePointer<CChar>?, _ profile: UnsafePointer<CChar>?, _ overwrite: Int32,
                      _ notesJSON: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> Int32 {
    guarded {
        let input = URL(fileURLWithPath: try text(checkpoint, "checkpoint")), output = URL(fileURLWithPath: try text(path, "path"))
        let (_, notes) = try NIRGraph.export(checkpoint: input, to: output, profile: try nirProfile(profile) ?? .nir, overwrite: overwrite != 0)
        try give(try jsonText(notes), to: notesJSON, "notes_json")
    }
}

@_cdecl("plasticity_nir_import")
public func nirImport(_ path: UnsafePointer<CChar>?, _ out: UnsafePointer<CChar>?, _ profile: UnsafePointer<CChar>?, _ dt: Double,
                      _ configJSON: UnsafePointer<CChar>?, _ checkpointPath: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> Int32 {
    guarded {
        let file = URL(fileURLWithPath: try text(path, "path")), folder = try text(out, "out")
        guard !folder.isEmpty else { throw BoundaryError("out must name a folder, not ''") }
        let chosen = try nirProfile(profile)
        guard dt.isNaN || NIRGraph.stepRange.contains(dt) else {
            throw BoundaryError("dt is \(dt): from \(NIRGraph.stepRange.lowerBound) to \(NIRGraph.stepRange.upperBound) seconds (NaN: the file's)")
        }
        let base = configJSON == nil ? TrainConfig() : try callerConfig(configJSON)
        let (checkpoint, _, _) = try NIRNetwork.importing(file, into: URL(fileURLWithPath: folder), from: chosen, dt: dt.isNaN ? nil : dt,
                                                          base: base)
        try give(checkpoint.path, to: checkpointPath, "checkpoint_path")
    }
}
