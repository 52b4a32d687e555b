import Foundation

extension NetworkSpec {
    /// `input` [T][B][n_in] and `targets` [T][B] (labels) or [T][B][n_out]; nothing else, every value usable.
    public func readSequenceInputs(_ path: String) throws -> (input: [Float], targets: [Float], steps: Int, batch: Int) {
        func fail(_ field: String, _ message: String) -> FileFormatError { FileFormatError(file: path, field: field, message: message) }
        let file = try SafeTensors.read(URL(fileURLWithPath: path))
        if let unknown = file.tensors.keys.sorted().first(where: { $0 != "input" && $0 != "targets" }) {
            throw fail(unknown, "is not a tensor gradcheck reads (input, targets)")
        }
        guard let x = file.tensors["input"] else { throw fail("input", "is missing") }
        guard x.shape.count == 3, x.shape[0] > 0, x.shape[1] > 0, x.shape[2] == inputs else {
            throw fail("input.shape", "\(x.shape), expected [T, B, \(inputs)] (time first) with T, B > 0")
        }
        if let bad = x.values.firstIndex(where: { !$0.isFinite }) { throw fail("input[\(bad)]", "is \(x.values[bad]), not a finite number") }
        guard let y = file.tensors["targets"] else { throw fail("targets", "is missing") }
        let expected = targetWidth == 1 ? [x.shape[0], x.shape[1]] : [x.shape[0], x.shape[1], outputs]
        guard y.shape == expected else { throw fail("targets.shape", "\(y.shape), expected \(expected)") }
        if let (index, message) = invalidTarget(in: y.values) { throw fail("targets[\(index)]", message) }
        guard x.shape[1] <= 65_536 else { throw fail("input.shape", "a batch of \(x.shape[1]) is more than 65536 (is the file batch-first?)") }
        return (x.values, y.values, x.shape[0], x.shape[1])
    }
}
