import Foundation
import Plasticity

/// Reading and writing NIR files through `HDF5Tree`. Every defect of a file (a missing `type`, a
/// parameter of the wrong length, an edge naming no node, a non-finite value) is a
/// `FileFormatError` naming the file and the path of the node or dataset.
extension NIRGraph {
    static let root = "/node"

    public static func read(_ url: URL) throws -> NIRGraph {
        let tree = try HDF5Tree.open(url)
        func fail(_ field: String, _ message: String) -> FileFormatError { FileFormatError(file: url.path, field: field, message: message) }
        guard tree.kind("/version") == .dataset, tree.kind(root) == .group else {
            throw fail("file", "is not a NIR graph: it has no 'version' dataset and 'node' group")
        }
        let version = try scalarString(tree, "/version")
        guard let major = version.split(separator: ".").first.flatMap({ Int($0) }), major <= 1 else {
            throw fail("/version", "is '\(version)': this reader knows NIR 0.x and 1.x files")
        }
        let type = try scalarString(tree, "\(root)/type")
        guard type == "NIRGraph" else { throw fail("\(root)/type", "is '\(type)', not NIRGraph") }
        var nodes: [String: Node] = [:]
        for name in try tree.children("\(root)/nodes") {
            nodes[name] = try readNode(tree, "\(root)/nodes/\(name)")
        }
        let edgeTable = tree.kind("\(root)/edges") == .missing ? (shape: [0, 2], values: []) : try tree.strings("\(root)/edges")
        guard edgeTable.shape.count == 2 && edgeTable.shape[1] == 2 || edgeTable.values.isEmpty else {
            throw fail("\(root)/edges", "has shape \(edgeTable.shape), not (E, 2)")
        }
        var edges: [(source: String, target: String)] = []
        for e in stride(from: 0, to: edgeTable.values.count - 1, by: 2) {
            let edge = (source: edgeTable.values[e], target: edgeTable.values[e + 1])
            for end in [edge.source, edge.target] where nodes[end] == nil {
                throw fail("\(root)/edges[\(e / 2)]", "names '\(end)', which is not a node (nodes: \(nodes.keys.sorted().joined(separator: ", ")))")
            }
            edges.append(edge)
        }
        var metadata: [String: String] = [:]
        if tree.kind("\(root)/metadata") == .group {
            for key in try tree.children("\(root)/metadata") where (try? tree.describe("\(root)/metadata/\(key)").elementClass) == .string {
                metadata[key] = try scalarString(tree, "\(root)/metadata/\(key)")
            }
        }
        return NIRGraph(nodes: nodes, edges: edges, metadata: metadata)
    }

    static func scalarString(_ tree: HDF5Tree, _ path: String) throws -> String {
        let text = try tree.strings(path)
        guard text.values.count == 1 else {
            throw FileFormatError(file: tree.url.path, field: path, message: "holds \(text.values.count) strings, not one")
        }
        return text.values[0]
    }

    static func readNode(_ tree: HDF5Tree, _ path: String) throws -> Node {
        func fail(_ field: String, _ message: String) -> FileFormatError {
            FileFormatError(file: tree.url.path, field: "\(path)/\(field)", message: message)
        }
        let type = try scalarString(tree, "\(path)/type")
        func vector(_ name: String, length: Int? = nil) throws -> [Double] {
            let (shape, values) = try tree.doubles("\(path)/\(name)")
            guard shape.count <= 1 else { throw fail(name, "has shape \(shape), not one value per neuron") }
            if let bad = values.firstIndex(where: { !$0.isFinite }) { throw fail(name, "[\(bad)] is \(values[bad]), not finite") }
            if let length, values.count != length { throw fail(name, "has \(values.count) values, the node has \(length) neurons") }
            return values
        }
        /// A neuron node's parameters, one value per neuron; a single value stands for every neuron
        /// (numpy broadcasts it; snnTorch writes a scalar β). `defaults`: NIR's values for
        /// parameters older files leave out (v_reset 0, w_in 1).
        func parameters(_ names: [String], defaults: [String: Double] = [:]) throws -> [String: [Double]] {
            var read: [String: [Double]] = [:]
            for name in names where !(tree.kind("\(path)/\(name)") == .missing && defaults[name] != nil) { read[name] = try vector(name) }
            // The first parameter's count, unless it is a single value for all.
            let first = read[names[0]]?.count ?? 0, n = first > 1 ? first : read.values.map(\.count).max() ?? 0
            guard n > 0 else { throw fail(names[0], "holds no values") }
            var all: [String: [Double]] = [:]
            for name in names {
                let values = read[name] ?? [defaults[name]!]
                guard values.count == n || values.count == 1 else { throw fail(name, "has \(values.count) values, the node has \(n) neurons") }
                all[name] = values.count == n ? values : .init(repeating: values[0], count: n)
            }
            return all
        }
        func matrix(_ name: String) throws -> Matrix {
            let (shape, values) = try tree.floats("\(path)/\(name)")
            guard shape.count == 2, shape[0] > 0, shape[1] > 0 else { throw fail(name, "has shape \(shape), not [out][in]") }
            if let bad = values.firstIndex(where: { !$0.isFinite }) { throw fail(name, "[\(bad)] is \(values[bad]), not finite") }
            return Matrix(rows: shape[0], columns: shape[1], values: values)
        }
        func shape(_ name: String) throws -> [Int] {
            let values = try tree.integers("\(path)/\(name)").values
            guard !values.isEmpty, values.allSatisfy({ $0 > 0 && $0 <= Int64(Int32.max) }) else { throw fail(name, "is \(values), not a shape") }
            return values.map { Int($0) }
        }
        switch type {
        case "Input": return .input(shape: try shape("shape"))
        case "Output": return .output(shape: try shape("shape"))
        case "Linear": return .linear(weight: try matrix("weight"))
        case "Affine":
            let weight = try matrix("weight")
            let bias = try vector("bias", length: weight.rows).map(Float.init)
            return .affine(weight: weight, bias: bias)
        case "LIF":
            let p = try parameters(["tau", "r", "v_leak", "v_threshold", "v_reset"], defaults: ["v_reset": 0])
            return .lif(tau: p["tau"]!, r: p["r"]!, vLeak: p["v_leak"]!, vThreshold: p["v_threshold"]!, vReset: p["v_reset"]!)
        case "CubaLIF":
            let p = try parameters(["tau_syn", "tau_mem", "r", "v_leak", "w_in", "v_threshold", "v_reset"], defaults: ["v_reset": 0, "w_in": 1])
            return .cubaLIF(tauSyn: p["tau_syn"]!, tauMem: p["tau_mem"]!, r: p["r"]!, vLeak: p["v_leak"]!, wIn: p["w_in"]!,
                            vThreshold: p["v_threshold"]!, vReset: p["v_reset"]!)
        case "IF":
            let p = try parameters(["r", "v_threshold", "v_reset"], defaults: ["v_reset": 0])
            return .integrateAndFire(r: p["r"]!, vThreshold: p["v_threshold"]!, vReset: p["v_reset"]!)
        case "LI":
            let p = try parameters(["tau", "r", "v_leak"])
            return .leakyIntegrator(tau: p["tau"]!, r: p["r"]!, vLeak: p["v_leak"]!)
        case "Delay":
            let delay = try parameters(["delay"])["delay"]!
            if let bad = delay.firstIndex(where: { $0 < 0 }) { throw fail("delay", "[\(bad)] is \(delay[bad]) s; a delay is not negative") }
            return .delay(delay: delay)
        default: return .unsupported(type: type)
        }
    }

    /// Writes the graph atomically, in the layout `nir.write` produces (without compression), under
    /// the write contract (`WriteContract`: a file Plasticity did not write, or one of `inputs`,
    /// is refused unless `overwrite` names it).
    public func write(to url: URL, overwrite: Bool = false, inputs: [URL] = []) throws {
        try HDF5Tree.write(url, overwrite: overwrite, inputs: inputs) { tree in
            try tree.write("/version", strings: [Self.version], shape: [])
            try tree.writeGroup(Self.root)
            try tree.write("\(Self.root)/type", strings: ["NIRGraph"], shape: [])
            try tree.writeGroup("\(Self.root)/nodes")
            for (name, node) in nodes.sorted(by: { $0.key < $1.key }) { try Self.write(node, to: tree, at: "\(Self.root)/nodes/\(name)") }
            try tree.write("\(Self.root)/edges", strings: edges.flatMap { [$0.source, $0.target] }, shape: [edges.count, 2])
            if !metadata.isEmpty {
                try tree.writeGroup("\(Self.root)/metadata")
                for (key, value) in metadata.sorted(by: { $0.key < $1.key }) {
                    try tree.write("\(Self.root)/metadata/\(key)", strings: [value], shape: [])
                }
            }
        }
    }

    static func write(_ node: Node, to tree: HDF5Tree, at path: String) throws {
        try tree.writeGroup(path)
        try tree.write("\(path)/type", strings: [node.typeName], shape: [])
        func vector(_ name: String, _ values: [Double]) throws { try tree.write("\(path)/\(name)", doubles: values, shape: [values.count]) }
        func matrix(_ name: String, _ m: Matrix) throws { try tree.write("\(path)/\(name)", floats: m.values, shape: [m.rows, m.columns]) }
        switch node {
        case .input(let shape), .output(let shape): try tree.write("\(path)/shape", integers: shape.map(Int64.init), shape: [shape.count])
        case .linear(let weight): try matrix("weight", weight)
        case .affine(let weight, let bias):
            try matrix("weight", weight)
            try tree.write("\(path)/bias", floats: bias, shape: [bias.count])
        case .lif(let tau, let r, let vLeak, let vThreshold, let vReset):
            try vector("tau", tau); try vector("r", r); try vector("v_leak", vLeak)
            try vector("v_threshold", vThreshold); try vector("v_reset", vReset)
        case .cubaLIF(let tauSyn, let tauMem, let r, let vLeak, let wIn, let vThreshold, let vReset):
            try vector("tau_syn", tauSyn); try vector("tau_mem", tauMem); try vector("r", r); try vector("v_leak", vLeak); try vector("w_in", wIn)
            try vector("v_threshold", vThreshold); try vector("v_reset", vReset)
        case .integrateAndFire(let r, let vThreshold, let vReset):
            try vector("r", r); try vector("v_threshold", vThreshold); try vector("v_reset", vReset)
        case .leakyIntegrator(let tau, let r, let vLeak):
            try vector("tau", tau); try vector("r", r); try vector("v_leak", vLeak)
        case .delay(let delay): try vector("delay", delay)
        case .unsupported(let type):
            throw FileFormatError(file: tree.url.path, field: path, message: "a \(type) node cannot be written")
        }
    }
}
