import Testing
@testable import Plasticity
import PlasticityRuntime

/// The runtime-c primitives TinyCC kernels call, against their plain definitions in Swift.
@Suite struct PrimitiveTests {
    /// `plasticity_combine_rows` keeps 64 (then 16) partial sums in vector registers; every y_j must
    /// still take the additions of a fill and one axpy per row, in row order: bit-identical
    /// (tolerance 0) for widths that use each of its three loops, with and without an index list,
    /// starting from zero or from y.
    /// Kernel buffers start on a cache line (64 bytes), small and large (malloc puts large blocks
    /// 16 bytes past a page): rows of 16k floats then never split a vector load over two lines.
    @Test(arguments: [1, 5, 256, 100_000, 3_000_000])
    func floatBuffersAreCacheLineAligned(_ count: Int) {
        let buffers = (0..<4).map { _ in FloatBuffer(count: count, value: 1) }
        for buffer in buffers {
            #expect(Int(bitPattern: buffer.base) % 64 == 0)
            #expect(buffer.pointer.allSatisfy { $0 == 1 })
        }
    }

    @Test(arguments: [1, 15, 16, 63, 64, 100, 256])
    func combineRowsEqualsAxpyChain(_ n: Int) {
        var rng = SplitMix64(seed: UInt64(n))
        func value() -> Float { Float.random(in: -2...2, using: &rng) }
        let rowCount = 9, stride = n + 3
        let rows = (0..<(rowCount * stride)).map { _ in value() }
        let coefficients = (0..<rowCount).map { _ in value() }
        for indices in [nil, [7, 0, 4, 5], [Int32]()] as [[Int32]?] {
            for accumulate in [false, true] {
                let start = (0..<n).map { _ in value() }
                let used = indices.map { $0.map(Int.init) } ?? Array(0..<rowCount)
                var expected = accumulate ? start : [Float](repeating: 0, count: n)
                for r in used {
                    for j in 0..<n { expected[j] = expected[j] + coefficients[r] * rows[r * stride + j] }
                }
                var y = start
                y.withUnsafeMutableBufferPointer { out in
                    rows.withUnsafeBufferPointer { rowBuffer in
                        coefficients.withUnsafeBufferPointer { coef in
                            if let indices {
                                indices.withUnsafeBufferPointer { list in
                                    plasticity_combine_rows(out.baseAddress, rowBuffer.baseAddress, stride, list.baseAddress, coef.baseAddress,
                                                            Int32(list.count), Int32(n), accumulate ? 1 : 0)
                                }
                            } else {
                                plasticity_combine_rows(out.baseAddress, rowBuffer.baseAddress, stride, nil, coef.baseAddress,
                                                        Int32(rowCount), Int32(n), accumulate ? 1 : 0)
                            }
                        }
                    }
                }
                let differing = (0..<n).filter { y[$0].bitPattern != expected[$0].bitPattern }
                #expect(differing.isEmpty, "n \(n), indices \(indices.map { "\($0)" } ?? "none"), accumulate \(accumulate): \(differing.count) outputs differ")
            }
        }
    }
}
