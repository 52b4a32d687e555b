/// Gradients of the summed loss of a network, in float64, in the layouts of the weights.
public struct NetworkGradients: Sendable {
    /// [layer][projection]: [n][n_pre]
    public var weights: [[[Double]]]
    /// [layer]: [P][n]
    public var parameters: [[Double]]
    /// [n_out][n_last]
    public var readoutWeights: [Double]
    public var readoutBias: [Double]
    public var loss: Double
    /// The oracle's forward record, when asked for (RTRL reuses it).
    public var record: ForwardRecord?

    /// Every tensor with its id, in the order of `NetworkSimulation.trainableTensors`.
    public var named: [(id: TensorID, values: [Double])] {
        var out: [(TensorID, [Double])] = []
        for (l, projections) in weights.enumerated() {
            for (p, w) in projections.enumerated() { out.append((.weights(layer: l, projection: p), w)) }
        }
        for (l, p) in parameters.enumerated() where !p.isEmpty { out.append((.parameters(layer: l), p)) }
        out.append((.readoutWeights, readoutWeights))
        out.append((.readoutBias, readoutBias))
        return out
    }
}

extension NetworkSimulation {
    /// The gradients the kernel accumulated (e-prop), in float64.
    public var accumulatedGradients: NetworkGradients {
        NetworkGradients(weights: weightGradients.map { $0.map { $0.array.map(Double.init) } },
                         parameters: parameterGradients.map { $0.array.map(Double.init) },
                         readoutWeights: readoutWeightGradient.array.map(Double.init),
                         readoutBias: readoutBiasGradient.array.map(Double.init), loss: 0, record: nil)
    }
}

/// Cosine similarity and max error relative to the largest entry of the reference.
public func compareGradients(_ a: [Double], _ reference: [Double]) -> (cosine: Double, maxRelativeError: Double) {
    precondition(a.count == reference.count)
    var dot = 0.0, na = 0.0, nb = 0.0, maxDiff = 0.0, maxRef = 0.0
    for i in a.indices {
        dot += a[i] * reference[i]; na += a[i] * a[i]; nb += reference[i] * reference[i]
        maxDiff = max(maxDiff, abs(a[i] - reference[i])); maxRef = max(maxRef, abs(reference[i]))
    }
    let cosine = (na == 0 && nb == 0) ? 1 : dot / ((na * nb).squareRoot() + 1e-300)
    return (cosine, maxRef == 0 ? maxDiff : maxDiff / maxRef)
}
