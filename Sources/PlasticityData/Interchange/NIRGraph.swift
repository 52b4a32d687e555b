import Foundation
import Plasticity

/// A graph in the Neuromorphic Intermediate Representation (NIR 1.0, the `nir` Python package's
/// HDF5 layout): `version`, and a group `node` of type NIRGraph holding `nodes/<name>/` (a `type`
/// string and one dataset per parameter), `edges` (E × 2 strings: source, target) and optional
/// `metadata`. Only the node types Plasticity can run are read into values; any other type is
/// kept by name, so that the importer can refuse it naming the node (docs/nir.md).
public struct NIRGraph: Sendable, Equatable {
    public struct Matrix: Sendable, Equatable {
        /// [rows][columns], row-major: NIR's weight[out][in].
        public var rows: Int, columns: Int
        public var values: [Float]
        public init(rows: Int, columns: Int, values: [Float]) { self.rows = rows; self.columns = columns; self.values = values }
    }

    /// NIR's neuron nodes, one value per neuron for each parameter (continuous time, τ in seconds).
    public enum Node: Sendable, Equatable {
        case input(shape: [Int])
        case output(shape: [Int])
        case affine(weight: Matrix, bias: [Float])
        case linear(weight: Matrix)
        /// τ dv/dt = (v_leak − v) + r I; spike when v > v_threshold, then v = v_reset.
        case lif(tau: [Double], r: [Double], vLeak: [Double], vThreshold: [Double], vReset: [Double])
        /// τ_syn dI/dt = −I + w_in S; τ_mem dv/dt = (v_leak − v) + r I; spike and reset as LIF.
        case cubaLIF(tauSyn: [Double], tauMem: [Double], r: [Double], vLeak: [Double], wIn: [Double], vThreshold: [Double], vReset: [Double])
        /// dv/dt = r I; spike and reset as LIF.
        case integrateAndFire(r: [Double], vThreshold: [Double], vReset: [Double])
        /// τ dv/dt = (v_leak − v) + r I, no spikes.
        case leakyIntegrator(tau: [Double], r: [Double], vLeak: [Double])
        /// Each element leaves `delay` seconds after it arrived (Plasticity: a whole number of
        /// steps, or linear between the two steps around it).
        case delay(delay: [Double])
        /// A node type Plasticity does not run (Conv2d, Flatten, a nested graph, …).
        case unsupported(type: String)

        public var typeName: String {
            switch self {
            case .input: return "Input"
            case .output: return "Output"
            case .affine: return "Affine"
            case .linear: return "Linear"
            case .lif: return "LIF"
            case .cubaLIF: return "CubaLIF"
            case .integrateAndFire: return "IF"
            case .leakyIntegrator: return "LI"
            case .delay: return "Delay"
            case .unsupported(let type): return type
            }
        }

        /// How many neurons a neuron node's parameters describe (1: one value for every neuron).
        public var parameterCount: Int? {
            switch self {
            case .lif(let tau, _, _, _, _), .leakyIntegrator(let tau, _, _): return tau.count
            case .cubaLIF(_, let tau, _, _, _, _, _): return tau.count
            case .integrateAndFire(let r, _, _): return r.count
            default: return nil
            }
        }
    }

    public var nodes: [String: Node]
    public var edges: [(source: String, target: String)]
    /// Non-normative strings (Plasticity writes its dt, the mapping and the exact models here).
    public var metadata: [String: String]

    public init(nodes: [String: Node], edges: [(source: String, target: String)], metadata: [String: String] = [:]) {
        self.nodes = nodes; self.edges = edges; self.metadata = metadata
    }

    public static func == (a: NIRGraph, b: NIRGraph) -> Bool {
        a.nodes == b.nodes && a.metadata == b.metadata && a.edges.map { [$0.source, $0.target] } == b.edges.map { [$0.source, $0.target] }
    }

    /// The version written into files: the NIR specification these graphs follow.
    public static let version = "1.0"
    /// Seconds per step that export writes and import reads: the bin widths a run takes
    /// (`data.binning.binMs` from 0.001 to 60,000 ms), so every exported file imports.
    public static let stepRange: ClosedRange<Double> = 1e-6...60
}
