import Plasticity
import PlasticityRuntime

/// The hand-written C e-prop of `runtime-c/plasticity_reference.c` for a network of one
/// recurrent `Models.lif()` or `Models.alif()` layer, symmetric feedback and cross-entropy at
/// every step: the yardstick the generated kernels are benchmarked and checked against.
public enum HandWrittenEProp {
    public struct Gradients: Sendable {
        public var input, recurrent, readout, readoutBias: [Float]
        public var loss: Double
    }

    public enum Failure: Error { case unsupported(String), outOfMemory }

    /// Runs the reference on the simulation's weights (its own buffers are not touched).
    public static func run(_ simulation: NetworkSimulation, input: [Float], targets: [Float], steps: Int) throws -> Gradients {
        let net = simulation.network
        guard net.hidden.count == 1, let hidden = net.hidden.first, hidden.recurrent, hidden.feedback == .symmetric,
              net.loss == .crossEntropy else {
            throw Failure.unsupported("one recurrent hidden layer, symmetric feedback, cross-entropy per step")
        }
        let layer = simulation.layers[0], model = layer.model
        let alif = model.name == "ALIF"
        guard alif || model.name == "LIF", case .spike(_, let surrogate) = model.output else {
            throw Failure.unsupported("LIF or ALIF, not \(model.name)")
        }
        func parameter(_ name: String) -> Float { Float(model.fixedParameters[name] ?? 0) }
        let n = layer.neurons, nIn = net.inputs, nOut = net.outputs
        var result = Gradients(input: .init(repeating: 0, count: n * nIn), recurrent: .init(repeating: 0, count: n * n),
                               readout: .init(repeating: 0, count: nOut * n), readoutBias: .init(repeating: 0, count: nOut), loss: 0)
        let wIn = layer.weights[0].array, wRec = layer.weights[1].array
        let wOut = simulation.readoutWeights.array, bOut = simulation.readoutBias.array
        var status: Int32 = 0
        input.withUnsafeBufferPointer { x in targets.withUnsafeBufferPointer { y in
        wIn.withUnsafeBufferPointer { wi in wRec.withUnsafeBufferPointer { wr in
        wOut.withUnsafeBufferPointer { wo in bOut.withUnsafeBufferPointer { bo in
        result.input.withUnsafeMutableBufferPointer { gi in result.recurrent.withUnsafeMutableBufferPointer { gr in
        result.readout.withUnsafeMutableBufferPointer { go in result.readoutBias.withUnsafeMutableBufferPointer { gb in
            var r = plasticity_reference_args()
            r.alif = alif ? 1 : 0
            r.batch = Int32(simulation.batch); r.n_in = Int32(nIn); r.n = Int32(n); r.n_out = Int32(nOut); r.n_steps = Int32(steps)
            r.alpha = parameter("alpha"); r.rho = parameter("rho"); r.beta = parameter("beta"); r.threshold = parameter("threshold")
            r.surrogate_scale = Float(surrogate.scale); r.kappa = Float(net.kappa)
            r.input = x.baseAddress; r.targets = y.baseAddress
            r.w_in = wi.baseAddress; r.w_rec = wr.baseAddress; r.w_out = wo.baseAddress; r.b_out = bo.baseAddress
            r.grad_in = gi.baseAddress; r.grad_rec = gr.baseAddress; r.grad_out = go.baseAddress; r.grad_bias = gb.baseAddress
            status = plasticity_reference_eprop(&r)
            result.loss = r.loss
        } } } } } } } } } }
        guard status == 0 else { throw Failure.outOfMemory }
        return result
    }
}
