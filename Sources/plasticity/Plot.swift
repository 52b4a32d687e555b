import ArgumentParser
import Foundation
import Plasticity

/// Line charts of JSON-lines logs as a self-contained SVG (one panel per metric, one line per log).
struct Plot: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Plot JSON-lines training logs as SVG.")
    @Argument(help: "Logs (JSON lines), each a line in every panel; label=path to name it.") var logs: [String]
    @Option(help: "Comma-separated metrics (fields of the epoch records), one panel each.") var metrics = "trainLoss"
    @Option(help: "The field on the x axis (an iteration of `plasticity task` is an epoch).") var x = "epoch"
    @Option var out: String
    @Option var title = ""

    func run() throws {
        let series: [(String, [[String: Double]])] = try logs.map { entry in
            let parts = entry.split(separator: "=", maxSplits: 1).map(String.init)
            let (label, path) = parts.count == 2 ? (parts[0], parts[1]) : (URL(fileURLWithPath: entry).lastPathComponent, entry)
            try requireRegularFile(URL(fileURLWithPath: path))
            guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
                throw FileFormatError(file: path, field: "file", message: "is not UTF-8 text (a log of JSON lines)")
            }
            let rows = text.split(separator: "\n").compactMap { line -> [String: Double]? in
                guard let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] else { return nil }
                return object.compactMapValues { ($0 as? NSNumber)?.doubleValue }
            }
            return (label, rows)
        }
        let names = metrics.split(separator: ",").map(String.init)
        let (width, panel, left, top) = (640.0, 220.0, 60.0, 46.0)
        let colors = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e"]
        var svg = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(Int(width))\" height=\"\(Int(top + Double(names.count) * (panel + 40)))\" " +
                  "font-family=\"sans-serif\" font-size=\"11\">\n"
        svg += "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n<text x=\"\(left)\" y=\"18\" font-size=\"13\">\(escape(title))</text>\n"
        for (m, metric) in names.enumerated() {
            let y0 = top + Double(m) * (panel + 40)
            let points = series.map { ($0.0, $0.1.compactMap { row -> (Double, Double)? in
                guard let a = row[x], let b = row[metric], b.isFinite else { return nil }; return (a, b) }) }
            let all = points.flatMap(\.1)
            guard let xMin = all.map(\.0).min(), let xMax = all.map(\.0).max(),
                  let yMinRaw = all.map(\.1).min(), let yMaxRaw = all.map(\.1).max() else { continue }
            let (yMin, yMax) = yMinRaw == yMaxRaw ? (yMinRaw - 1, yMaxRaw + 1) : (yMinRaw, yMaxRaw)
            let plotWidth = width - left - 20
            func px(_ v: Double) -> Double { left + (v - xMin) / max(xMax - xMin, 1e-12) * plotWidth }
            func py(_ v: Double) -> Double { y0 + panel - (v - yMin) / (yMax - yMin) * panel }
            svg += "<rect x=\"\(left)\" y=\"\(y0)\" width=\"\(plotWidth)\" height=\"\(panel)\" fill=\"none\" stroke=\"#888\"/>\n"
            svg += "<text x=\"\(left)\" y=\"\(y0 - 4)\">\(escape(metric))</text>\n"
            for k in 0...4 {
                let v = yMin + Double(k) / 4 * (yMax - yMin)
                svg += "<text x=\"\(left - 4)\" y=\"\(py(v) + 4)\" text-anchor=\"end\">\(String(format: "%.3g", v))</text>\n"
                let xv = xMin + Double(k) / 4 * (xMax - xMin)
                svg += "<text x=\"\(px(xv))\" y=\"\(y0 + panel + 14)\" text-anchor=\"middle\">\(String(format: "%.0f", xv))</text>\n"
            }
            for (s, (label, pts)) in points.enumerated() where !pts.isEmpty {
                let color = colors[s % colors.count]
                let path = pts.map { String(format: "%.1f,%.1f", px($0.0), py($0.1)) }.joined(separator: " ")
                svg += "<polyline fill=\"none\" stroke=\"\(color)\" stroke-width=\"1.5\" points=\"\(path)\"/>\n"
                if m == 0 { svg += "<text x=\"\(left + plotWidth - 4)\" y=\"\(y0 + panel - 8 - 13 * Double(points.count - 1 - s))\" " +
                                   "text-anchor=\"end\" fill=\"\(color)\">\(escape(label))</text>\n" }
            }
        }
        svg += "</svg>\n"
        let inputs = logs.map { URL(fileURLWithPath: $0.split(separator: "=", maxSplits: 1).map(String.init).last ?? $0) }
        try WriteContract.write(Data(svg.utf8), to: URL(fileURLWithPath: out), inputs: inputs)
    }

    func escape(_ s: String) -> String {
        s.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;").replacingOccurrences(of: ">", with: "&gt;")
    }
}
