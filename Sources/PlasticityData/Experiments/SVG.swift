import Foundation

/// Small self-contained SVG charts (no scripts, no external resources) for reports and plots.
public enum SVG {
    public static let palette = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"]

    public static func escape(_ s: String) -> String {
        s.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
    }

    /// Axis ticks at round numbers: a step of 1, 2 or 5 × 10^k giving at most `maxCount` ticks
    /// (at least 1 when `integer`), from the last multiple of the step at or below `low` to the
    /// first at or above `high`. The axis spans the first to the last tick.
    public static func ticks(_ low: Double, _ high: Double, maxCount: Int = 6, integer: Bool = false) -> [Double] {
        guard low.isFinite, high.isFinite else { return [] }
        let pad = integer ? 1 : max(abs(low) * 0.1, 1e-9)
        let (low, high) = low == high ? (low - pad, high + pad) : (low, high)
        var step = pow(10, floor(log10((high - low) / Double(max(maxCount - 1, 1)))))
        for factor in [1.0, 2, 5, 10] {
            let candidate = step * factor
            if (ceil(high / candidate) - floor(low / candidate)) + 1 <= Double(maxCount) { step = candidate; break }
        }
        if integer { step = max(step, 1) }
        let first = floor(low / step), last = ceil(high / step)
        return stride(from: first, through: last, by: 1).map { $0 * step }
    }

    /// A tick's label: as few digits as the step needs.
    static func tickLabel(_ value: Double, step: Double) -> String {
        let decimals = max(0, -Int(floor(log10(step) + 1e-9)))
        return String(format: "%.\(decimals)f", abs(value) < step * 1e-6 ? 0 : value)
    }

    /// A line chart: each series is (label, points); axes run between round ticks (`ticks`),
    /// integer ones on the x axis when `integerX`; the legend sits right of the plot.
    public static func lineChart(title: String, series: [(label: String, points: [(Double, Double)])], xLabel: String,
                                 width: Double = 560, height: Double = 260, highlight: Int? = nil, integerX: Bool = false) -> String {
        let labels = series.enumerated().filter { highlight == nil || $0.offset == highlight }.map(\.element.label)
        let legendWidth = labels.isEmpty ? 0 : Double(labels.map(\.count).max()!) * 6.5 + 16
        let (left, right, top, bottom) = (56.0, 12.0 + legendWidth, 26.0, 34.0)
        let all = series.flatMap(\.points).filter { $0.0.isFinite && $0.1.isFinite }
        var svg = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(Int(width))\" height=\"\(Int(height))\" font-family=\"sans-serif\" " +
                  "font-size=\"11\">"
        svg += "<rect width=\"100%\" height=\"100%\" fill=\"white\"/><text x=\"\(left)\" y=\"16\" font-size=\"13\">\(escape(title))</text>"
        guard let xMin = all.map(\.0).min(), let xMax = all.map(\.0).max(), let yLow = all.map(\.1).min(), let yHigh = all.map(\.1).max() else {
            return svg + "<text x=\"\(left)\" y=\"\(height / 2)\">no data</text></svg>"
        }
        let xTicks = ticks(xMin, xMax, maxCount: 8, integer: integerX), yTicks = ticks(yLow, yHigh)
        let (x0, x1, y0, y1) = (xTicks.first!, xTicks.last!, yTicks.first!, yTicks.last!)
        let plotWidth = width - left - right, plotHeight = height - top - bottom
        func px(_ v: Double) -> Double { left + (v - x0) / max(x1 - x0, 1e-12) * plotWidth }
        func py(_ v: Double) -> Double { top + plotHeight - (v - y0) / max(y1 - y0, 1e-12) * plotHeight }
        svg += "<rect x=\"\(left)\" y=\"\(top)\" width=\"\(plotWidth)\" height=\"\(plotHeight)\" fill=\"none\" stroke=\"#888\"/>"
        for v in yTicks {
            svg += "<line x1=\"\(left)\" x2=\"\(left + plotWidth)\" y1=\"\(py(v))\" y2=\"\(py(v))\" stroke=\"#eee\"/>"
            svg += "<text x=\"\(left - 4)\" y=\"\(py(v) + 4)\" text-anchor=\"end\">\(tickLabel(v, step: yTicks[1] - yTicks[0]))</text>"
        }
        for v in xTicks {
            svg += "<text x=\"\(px(v))\" y=\"\(top + plotHeight + 14)\" text-anchor=\"middle\">\(tickLabel(v, step: xTicks[1] - xTicks[0]))</text>"
        }
        svg += "<text x=\"\(left + plotWidth / 2)\" y=\"\(height - 4)\" text-anchor=\"middle\">\(escape(xLabel))</text>"
        for (s, line) in series.enumerated() where !line.points.isEmpty {
            let color = highlight == nil ? palette[s % palette.count] : (s == highlight ? "#d62728" : "#bbbbbb")
            let path = line.points.map { String(format: "%.1f,%.1f", px($0.0), py($0.1)) }.joined(separator: " ")
            svg += "<polyline fill=\"none\" stroke=\"\(color)\" stroke-width=\"\(s == highlight ? 2.5 : 1.5)\" points=\"\(path)\"/>"
            if line.points.count == 1 { svg += "<circle cx=\"\(px(line.points[0].0))\" cy=\"\(py(line.points[0].1))\" r=\"3\" fill=\"\(color)\"/>" }
            if highlight == nil || s == highlight {
                let row = highlight == nil ? Double(s) : 0
                svg += "<text x=\"\(left + plotWidth + 8)\" y=\"\(top + 10 + 13 * row)\" fill=\"\(color)\">\(escape(line.label))</text>"
            }
        }
        return svg + "</svg>"
    }

    /// A matrix as a heat map with the counts written in (rows: label, columns: prediction).
    public static func heatMap(title: String, matrix: [[Int]], rowNames: [String], cell: Double = 22) -> String {
        let n = matrix.count, left = 120.0, top = 40.0
        let peak = Double(max(matrix.flatMap { $0 }.max() ?? 1, 1))
        let size = left + cell * Double(n) + 10
        var svg = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(Int(size))\" height=\"\(Int(top + cell * Double(n) + 24))\" " +
                  "font-family=\"sans-serif\" font-size=\"10\">"
        svg += "<rect width=\"100%\" height=\"100%\" fill=\"white\"/><text x=\"4\" y=\"16\" font-size=\"13\">\(escape(title))</text>"
        for (r, row) in matrix.enumerated() {
            let name = r < rowNames.count ? rowNames[r] : String(r)
            svg += "<text x=\"\(left - 4)\" y=\"\(top + cell * (Double(r) + 0.7))\" text-anchor=\"end\">\(escape(name))</text>"
            for (c, count) in row.enumerated() {
                let shade = Int(255 - 215 * Double(count) / peak)
                let fill = r == c ? "rgb(\(shade),\(shade),255)" : "rgb(255,\(shade),\(shade))"
                svg += "<rect x=\"\(left + cell * Double(c))\" y=\"\(top + cell * Double(r))\" width=\"\(cell)\" height=\"\(cell)\" " +
                       "fill=\"\(fill)\" stroke=\"#eee\"/>"
                if count > 0 { svg += "<text x=\"\(left + cell * (Double(c) + 0.5))\" y=\"\(top + cell * (Double(r) + 0.7))\" " +
                                      "text-anchor=\"middle\">\(count)</text>" }
            }
        }
        for c in 0..<n { svg += "<text x=\"\(left + cell * (Double(c) + 0.5))\" y=\"\(top - 4)\" text-anchor=\"middle\">\(c)</text>" }
        svg += "<text x=\"\(left)\" y=\"\(top + cell * Double(n) + 16)\">columns: prediction</text>"
        return svg + "</svg>"
    }

    /// A spike raster: `values` is [steps][rows]; a dot wherever the value is nonzero.
    public static func raster(title: String, values: [Float], steps: Int, rows: Int, stepMs: Double, width: Double = 560,
                              height: Double = 200) -> String {
        let (left, top, bottom) = (40.0, 24.0, 30.0)
        let plotWidth = width - left - 10, plotHeight = height - top - bottom
        let dx = plotWidth / Double(max(steps, 1)), dy = plotHeight / Double(max(rows, 1))
        var svg = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(Int(width))\" height=\"\(Int(height))\" font-family=\"sans-serif\" " +
                  "font-size=\"11\">"
        svg += "<rect width=\"100%\" height=\"100%\" fill=\"white\"/><text x=\"\(left)\" y=\"16\" font-size=\"13\">\(escape(title))</text>"
        svg += "<rect x=\"\(left)\" y=\"\(top)\" width=\"\(plotWidth)\" height=\"\(plotHeight)\" fill=\"none\" stroke=\"#888\"/><g fill=\"#222\">"
        for t in 0..<steps {
            for r in 0..<rows where values[t * rows + r] != 0 {
                svg += String(format: "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\"/>", left + Double(t) * dx, top + Double(r) * dy,
                              max(dx, 1), max(dy, 1))
            }
        }
        svg += "</g><text x=\"\(left - 4)\" y=\"\(top + 8)\" text-anchor=\"end\">0</text>"
        svg += "<text x=\"\(left - 4)\" y=\"\(top + plotHeight)\" text-anchor=\"end\">\(rows - 1)</text>"
        svg += "<text x=\"\(left)\" y=\"\(height - 8)\">0 ms</text><text x=\"\(left + plotWidth)\" y=\"\(height - 8)\" " +
               "text-anchor=\"end\">\(String(format: "%.0f", Double(steps) * stepMs)) ms</text>"
        return svg + "</svg>"
    }

    /// A bar chart of values (e.g. firing rate per neuron, sorted).
    public static func bars(title: String, values: [Double], yLabel: String, width: Double = 560, height: Double = 180) -> String {
        let (left, top, bottom) = (56.0, 24.0, 24.0)
        let plotWidth = width - left - 10, plotHeight = height - top - bottom
        let peak = max(values.max() ?? 1, 1e-12), dx = plotWidth / Double(max(values.count, 1))
        var svg = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(Int(width))\" height=\"\(Int(height))\" font-family=\"sans-serif\" " +
                  "font-size=\"11\">"
        svg += "<rect width=\"100%\" height=\"100%\" fill=\"white\"/><text x=\"\(left)\" y=\"16\" font-size=\"13\">\(escape(title))</text><g " +
               "fill=\"#1f77b4\">"
        for (i, v) in values.enumerated() {
            let h = v / peak * plotHeight
            svg += String(format: "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\"/>", left + Double(i) * dx, top + plotHeight - h, max(dx
                - 0.5, 0.5), h)
        }
        svg += "</g><rect x=\"\(left)\" y=\"\(top)\" width=\"\(plotWidth)\" height=\"\(plotHeight)\" fill=\"none\" stroke=\"#888\"/>"
        svg += "<text x=\"\(left - 4)\" y=\"\(top + 8)\" text-anchor=\"end\">\(String(format: "%.3g", peak))</text>"
        svg += "<text x=\"\(left - 4)\" y=\"\(top + plotHeight)\" text-anchor=\"end\">0</text><text x=\"\(left)\" " +
               "y=\"\(height - 6)\">\(escape(yLabel))</text>"
        return svg + "</svg>"
    }
}
