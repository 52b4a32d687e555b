import Foundation

extension NetworkSpec {
    /// `input` [T][B][n_in] and `targets` [T][B] (labels) or [T][B][n_out]; nothing else, every value
    /// usable. A file whose `__metadata__` says `"layout": "batch-first"` holds [B][T][…] and is
    /// transposed; any other layout than "time-first" is refused (the two cannot be told apart
    /// by their shapes, and swapping T and B runs silently wrong).
    public func readSequenceInputs(_ path: String) throws -> (input: [Float], targets: [Float], steps: Int, batch: Int) {
        func fail(_ field: String, _ message: String) -> FileFormatError { FileFormatError(file: path, field: field, message: message) }
        let file = try SafeTensors.read(URL(fileURLWithPath: path))
        if let unknown = file.tensors.keys.sorted().first(where: { $0 != "input" && $0 != "targets" }) {
            throw fail(unknown, "is not a tensor gradcheck reads (input, targets)")
        }
        let layout = file.metadata["layout"] ?? "time-first"
        guard layout == "time-first" || layout == "batch-first" else {
            throw fail("__metadata__.layout", "is '\(layout)', not time-first or batch-first")
        }
        guard var x = file.tensors["input"] else { throw fail("input", "is missing") }
        guard x.shape.count == 3, x.shape[0] > 0, x.shape[1] > 0, x.shape[2] == inputs else {
            throw fail("input.shape", "\(x.shape), expected [T, B, \(inputs)] (time first) with T, B > 0")
        }
        if let bad = x.values.firstIndex(where: { !$0.isFinite }) { throw fail("input[\(bad)]", "is \(x.values[bad]), not a finite number") }
        guard var y = file.tensors["targets"] else { throw fail("targets", "is missing") }
        if layout == "batch-first" {
            guard y.shape.count >= 2 else { throw fail("targets.shape", "\(y.shape), expected [B, T, …]") }
            x = x.swappingFirstTwoAxes()
            y = y.swappingFirstTwoAxes()
        }
        let expected = targetWidth == 1 ? [x.shape[0], x.shape[1]] : [x.shape[0], x.shape[1], outputs]
        guard y.shape == expected else { throw fail("targets.shape", "\(y.shape), expected \(expected)") }
        if let (index, message) = invalidTarget(in: y.values) { throw fail("targets[\(index)]", message) }
        guard x.shape[1] <= 65_536 else { throw fail("input.shape", "a batch of \(x.shape[1]) is more than 65536 (is the file batch-first?)") }
        return (x.values, y.values, x.shape[0], x.shape[1])
    }
}

extension SafeTensors.Tensor {
    /// [a][b][rest…] → [b][a][rest…].
    func swappingFirstTwoAxes() -> SafeTensors.Tensor {
        let a = shape[0], b = shape[1], inner = shape.dropFirst(2).reduce(1, *)
        var values = [Float](repeating: 0, count: values.count)
        for i in 0..<a { for j in 0..<b { for k in 0..<inner { values[(j * a + i) * inner + k] = self.values[(i * b + j) * inner + k] } } }
        return SafeTensors.Tensor(shape: [b, a] + shape.dropFirst(2), values: values)
    }
}
