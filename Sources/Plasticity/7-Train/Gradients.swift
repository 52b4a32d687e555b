/// Gradients of the summed loss of a network, in float64, in the layouts of the weights.
public struct NetworkGradients: Sendable {
    /// [layer][projection]: [n][n_pre]
    public var weights: [[[Double]]]
    /// Learnable delays by tensor (`TensorID.delays`; `InputDelays`).
    public var delays: [TensorID: [Double]] = [:]
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
            for p in projections.indices { if let d = delays[.delays(layer: l, projection: p)] { out.append((.delays(layer: l, projection: p), d)) } }
            if !parameters[l].isEmpty { out.append((.parameters(layer: l), parameters[l])) }
        }
        out.append((.readoutWeights, readoutWeights))
        out.append((.readoutBias, readoutBias))
        return out
    }
}

extension NetworkSimulation {
    /// The gradients the kernel accumulated (e-prop), in float64.
    public var accumulatedGradients: NetworkGradients {
        var gradients = NetworkGradients(weights: layers.indices.map { l in layers[l].weights.indices.map {
                                             weightGradient(layer: l, projection: $0).array.map(Double.init) } },
                                         parameters: parameterGradients.map { $0.array.map(Double.init) },
                                         readoutWeights: readoutWeightGradient.array.map(Double.init),
                                         readoutBias: readoutBiasGradient.array.map(Double.init), loss: 0, record: nil)
        for t in trainableTensors where t.learnable && t.id.isDelays { gradients.delays[t.id] = t.gradient.array.map(Double.init) }
        return gradients
    }

    /// Oracle gradients over the layers' taps (kernel-shaped) folded into their weights and delays.
    func foldingDelays(_ gradients: NetworkGradients) -> NetworkGradients {
        var out = gradients
        for case let (l, layerDelays?) in delays.enumerated() {
            let folded = layerDelays.fold(gradients.weights[l])
            for (p, w) in folded.weights.enumerated() { if let w { out.weights[l][p] = w } }
            for (p, block) in layerDelays.blocks.enumerated() {
                if case .delayed(_, let spec)? = block, spec.learnable { out.delays[.delays(layer: l, projection: p)] = folded.delays[p] }
            }
        }
        return out
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
