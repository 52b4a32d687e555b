/// The state Jacobian D of one neuron (k × k) with its structural zeros left out: per row the
/// nonzero entries in column order. Storage and every walk over it are linear in the nonzeros,
/// so a model of 10,000 states with a few couplings each plans in time linear in its size.
/// `block[s][q]` reads one entry (nil = structural zero) by binary search.
public struct SparseBlock: Sendable, Hashable {
    public struct Entry: Sendable, Hashable {
        public var column: Int
        public var value: EliminationPlan.Value
    }
    public struct Row: Sendable, Hashable {
        /// The nonzero entries, in column order.
        public var nonzeros: [Entry]
        public subscript(_ column: Int) -> EliminationPlan.Value? {
            var low = 0, high = nonzeros.count
            while low < high {
                let mid = (low + high) / 2
                if nonzeros[mid].column < column { low = mid + 1 } else { high = mid }
            }
            return low < nonzeros.count && nonzeros[low].column == column ? nonzeros[low].value : nil
        }
        /// Every column, zeros as nil (for printing small blocks).
        public func dense(columns: Int) -> [EliminationPlan.Value?] { (0..<columns).map { self[$0] } }
    }

    public var rows: [Row]
    public var columns: Int

    /// - Parameter rows: per row, (column, value) pairs in any order, each column at most once.
    public init(columns: Int, rows: [[(column: Int, value: EliminationPlan.Value)]]) {
        self.columns = columns
        self.rows = rows.map { Row(nonzeros: $0.sorted { $0.column < $1.column }.map { Entry(column: $0.column, value: $0.value) }) }
    }

    public var count: Int { rows.count }
    public subscript(_ row: Int) -> Row { rows[row] }
    public var nonzeroCount: Int { rows.reduce(0) { $0 + $1.nonzeros.count } }
}
