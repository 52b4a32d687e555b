public struct PlanVerificationError: Error, CustomStringConvertible {
    public var problems: [String]
    public var description: String { "plan verifier: " + problems.joined(separator: "; ") }
}

extension EliminationPlan {
    /// Invariants: every temporary reads only earlier ones; the blocks have the model's shapes
    /// and reference existing temporaries; the chosen order is a permutation of the eliminated
    /// vertices; the search never costs more than another order; the multiply count equals the
    /// products recorded.
    public func verify() throws {
        var problems: [String] = []
        func check(_ v: Value?, before limit: Int, _ what: String) {
            if case .temp(let t)? = v, !(0..<limit).contains(t) { problems.append("\(what) reads t\(t) of \(limit)") }
        }
        for (i, step) in steps.enumerated() {
            switch step {
            case .partial: break
            case .product(let a, let b), .sum(let a, let b): check(a, before: i, "t\(i)"); check(b, before: i, "t\(i)")
            case .negate(let a): check(a, before: i, "t\(i)")
            }
        }
        let k = graph.model.states.count, C = graph.model.inputs.count, P = graph.model.learnables.count
        if stateJacobian.count != k || stateJacobian.columns != k
            || stateJacobian.rows.contains(where: { row in zip(row.nonzeros, row.nonzeros.dropFirst()).contains { $0.column >= $1.column }
                                                    || row.nonzeros.contains { !(0..<k).contains($0.column) } }) {
            problems.append("D is not \(k)x\(k) with its columns in order")
        }
        if inputJacobian.count != k || inputJacobian.contains(where: { $0.count != C }) { problems.append("c is not \(k)x\(C)") }
        if parameterJacobian.count != k || parameterJacobian.contains(where: { $0.count != P }) { problems.append("dh/dθ is not \(k)x\(P)") }
        if outputGradient.count != k || outputParameterGradient.count != P { problems.append("ψ or dz/dθ has the wrong length") }
        for v in stateJacobian.rows.flatMap({ $0.nonzeros.map(\.value) }) + inputJacobian.flatMap({ $0 }) + parameterJacobian.flatMap({ $0 })
            + outputGradient + outputParameterGradient { check(v, before: steps.count, "block") }
        let orders = candidates.map { $0.order.sorted() }
        if Set(orders.map { $0.description }).count > 1 { problems.append("orders eliminate different vertex sets") }
        if let search = candidates.first(where: { $0.kind == .search }),
           candidates.contains(where: { $0.multiplies < search.multiplies }) { problems.append("search costs more than another order") }
        let products = steps.filter { if case .product = $0 { return true }; return false }.count
        if products != multiplies { problems.append("\(products) products recorded but \(multiplies) multiplies counted") }
        if !problems.isEmpty { throw PlanVerificationError(problems: problems) }
    }
}
