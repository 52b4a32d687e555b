import Testing
@testable import Plasticity
import PlasticityRuntime

/// The runtime-c primitives TinyCC kernels call, against their plain definitions in Swift.
@Suite struct PrimitiveTests {
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

    /// `plasticity_nonzero` packs the indices of x_i != 0 in order, 16 or 8 lanes at a time (AVX-512
    /// compress, AVX2 permutation), then one by one: exactly the scalar filter's list and count, for
    /// lengths that end inside and after a vector, at densities from empty to full; -0 counts as
    /// zero and NaN as nonzero, as in the scalar compare.
    @Test(arguments: [0, 1, 7, 8, 9, 15, 16, 17, 100, 256, 1000])
    func nonzeroListsTheNonzeroIndicesInOrder(_ n: Int) {
        var rng = SplitMix64(seed: UInt64(n) + 11)
        for density in [0.0, 0.05, 0.3, 0.9, 1.0] {
            let x: [Float] = (0..<n).map { _ in
                guard Double.random(in: 0..<1, using: &rng) < density else { return Bool.random(using: &rng) ? 0 : -0.0 }
                return Int.random(in: 0..<20, using: &rng) == 0 ? .nan : Float.random(in: -1...1, using: &rng)
            }
            let expected = x.indices.filter { x[$0] != 0 }
            var indices = [Int32](repeating: -1, count: max(n, 1))
            let count = x.withUnsafeBufferPointer { plasticity_nonzero($0.baseAddress, Int32(n), &indices) }
            #expect(Int(count) == expected.count, "n \(n), density \(density)")
            #expect(indices.prefix(Int(count)).map(Int.init) == expected, "n \(n), density \(density)")
        }
    }

    /// `plasticity_combine_rows` keeps four vectors of partial sums in registers; every y_j must
    /// still take the additions of a fill and one axpy per row, in row order: bit-identical
    /// (tolerance 0) for widths that use each of its three loops, with and without an index list,
    /// starting from zero or from y.
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
                #expect(differing.isEmpty,
                        "n \(n), indices \(indices.map { "\($0)" } ?? "none"), accumulate \(accumulate): \(differing.count) outputs differ")
            }
        }
    }
}
