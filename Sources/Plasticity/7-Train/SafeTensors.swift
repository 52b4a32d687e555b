import Foundation

/// The safetensors format: an 8-byte little-endian header length N, N bytes of JSON
/// (`{"name": {"dtype", "shape", "data_offsets": [begin, end]}, "__metadata__": {…}}`), then the
/// data. Reads F32 and F64 (converted to Float); writes F32. Every size is checked against the
/// file before anything is allocated.
public struct SafeTensors: Sendable {
    public struct Tensor: Sendable, Equatable {
        public var shape: [Int]
        public var values: [Float]
        public init(shape: [Int], values: [Float]) { self.shape = shape; self.values = values }
    }
    public var tensors: [String: Tensor] = [:]
    public var metadata: [String: String] = [:]
    public init() {}

    public static func read(_ url: URL) throws -> SafeTensors {
        let file = url.path
        func fail(_ field: String, _ message: String) -> FileFormatError { FileFormatError(file: file, field: field, message: message) }
        let data: Data
        try requireRegularFile(url)
        do { data = try Data(contentsOf: url) } catch { throw fail("file", "cannot be read (\(systemReason(error)))") }
        guard data.count >= 8 else { throw fail("header length", "the file has \(data.count) bytes, fewer than the 8 of the header length") }
        let headerLength = data.prefix(8).enumerated().reduce(UInt64(0)) { $0 | UInt64($1.element) << (8 * UInt64($1.offset)) }
        guard headerLength <= UInt64(data.count - 8) else {
            throw fail("header length", "\(headerLength) bytes announced, \(data.count - 8) in the file (truncated?)")
        }
        let dataStart = 8 + Int(headerLength)
        let json: Any
        do { json = try JSONSerialization.jsonObject(with: data.subdata(in: 8..<dataStart)) } catch {
            throw fail("header", "is not valid JSON")
        }
        guard let header = json as? [String: Any] else { throw fail("header", "is not a JSON object") }
        var result = SafeTensors()
        let payload = data.count - dataStart
        var ranges: [(name: String, range: Range<Int>)] = []
        for (name, entry) in header {
            if name == "__metadata__" {
                guard let meta = entry as? [String: String] else { throw fail("__metadata__", "must map strings to strings") }
                result.metadata = meta
                continue
            }
            guard let fields = entry as? [String: Any] else { throw fail(name, "is not an object") }
            guard let dtype = fields["dtype"] as? String else { throw fail("\(name).dtype", "is missing") }
            let width: Int
            switch dtype { case "F32": width = 4; case "F64": width = 8; default: throw fail("\(name).dtype",
                "\(dtype) is not supported (F32, F64)") }
            guard let shape = fields["shape"] as? [Int], shape.allSatisfy({ $0 >= 0 }) else { throw fail("\(name).shape",
                "must be a list of non-negative integers") }
            guard let offsets = fields["data_offsets"] as? [Int], offsets.count == 2, offsets[0] >= 0, offsets[0] <= offsets[1] else {
                throw fail("\(name).data_offsets", "must be [begin, end] with 0 ≤ begin ≤ end")
            }
            guard offsets[1] <= payload else { throw fail("\(name).data_offsets",
                                                          "end \(offsets[1]) is past the data (\(payload) bytes; truncated?)") }
            var count = 1
            for d in shape {
                let (product, overflow) = count.multipliedReportingOverflow(by: d)
                guard !overflow, product <= payload else { throw fail("\(name).shape", "\(shape) is larger than the file") }
                count = product
            }
            guard count * width == offsets[1] - offsets[0] else {
                throw fail("\(name).data_offsets", "\(offsets[1] - offsets[0]) bytes for shape \(shape) of \(dtype) (\(count * width) expected)")
            }
            let bytes = data.subdata(in: (dataStart + offsets[0])..<(dataStart + offsets[1]))
            let values: [Float] = bytes.withUnsafeBytes { raw in
                (0..<count).map { i in
                    width == 4 ? Float(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: 4 * i, as: UInt32.self)))
                        : Float(Double(bitPattern: UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: 8 * i, as: UInt64.self))))
                }
            }
            result.tensors[name] = Tensor(shape: shape, values: values)
            ranges.append((name, offsets[0]..<offsets[1]))
        }
        // As the reference reader: tensors may not share bytes (one value would feed two tensors).
        ranges.sort { ($0.range.lowerBound, $0.range.upperBound) < ($1.range.lowerBound, $1.range.upperBound) }
        for (a, b) in zip(ranges, ranges.dropFirst()) where a.range.overlaps(b.range) {
            throw fail("\(b.name).data_offsets", "[\(b.range.lowerBound), \(b.range.upperBound)] overlaps \(a.name)'s " +
                       "[\(a.range.lowerBound), \(a.range.upperBound)]")
        }
        return result
    }

    /// Writes atomically under the write contract (`WriteContract`): a file Plasticity did not
    /// write, or one of `inputs`, is refused unless `overwrite` names it.
    /// - Returns: the SHA-256 of the file written.
    @discardableResult
    public func write(to url: URL, flag: String = "--out", overwrite: Bool = false, inputs: [URL] = []) throws -> String {
        try WriteContract.write(encoded(), to: url, flag: flag, overwrite: overwrite, inputs: inputs)
    }

    /// The file's bytes: header length, JSON header (padded to 8 bytes), little-endian F32 data.
    public func encoded() throws -> Data {
        var header: [String: Any] = [:]
        var offset = 0
        let names = tensors.keys.sorted()
        for name in names {
            let t = tensors[name]!
            header[name] = ["dtype": "F32", "shape": t.shape, "data_offsets": [offset, offset + 4 * t.values.count]]
            offset += 4 * t.values.count
        }
        if !metadata.isEmpty { header["__metadata__"] = metadata }
        var json = try JSONSerialization.data(withJSONObject: header, options: [.sortedKeys])
        while json.count % 8 != 0 { json.append(0x20) }
        var out = Data()
        var length = UInt64(json.count).littleEndian
        withUnsafeBytes(of: &length) { out.append(contentsOf: $0) }
        out.append(json)
        for name in names {
            tensors[name]!.values.withUnsafeBufferPointer { buffer in
                for v in buffer { var bits = v.bitPattern.littleEndian; withUnsafeBytes(of: &bits) { out.append(contentsOf: $0) } }
            }
        }
        return out
    }
}
