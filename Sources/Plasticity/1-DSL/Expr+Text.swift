/// Expressions as infix text: `alpha * v + I * (E - v)`, `select(v > 1 and u < 0, a, b)`.
///
/// Grammar (docs/model-format.md):
///
///     expression := term (("+" | "-") term)*
///     term       := unary (("*" | "/") unary)*
///     unary      := "-" number | "-" unary | primary
///     primary    := number | name | "`" any text but "`" "`" | name "(" arguments ")" | "(" expression ")"
///     predicate  := all (("or" | "||") all)*          (in select's first argument)
///     all        := test (("and" | "&&") test)*
///     test       := expression ("<" | "<=" | ">" | ">=" | "==" | "!=") expression | "(" predicate ")"
///
/// Calls name a `UnaryOp` or `BinaryOp` (`exp(x)`, `pow(a, b)`), `clamp(x, lo, hi)` or
/// `select(predicate, a, b)`; any other name is a symbol, and a symbol that is not a name (letters,
/// digits, `_`, not starting with a digit) is written in backquotes. `-` before a number is a negative
/// constant; `+ - * /` associate to the left. `text` prints an expression so that parsing it
/// gives the same tree back (parentheses exactly where the tree needs them).
public struct ExpressionSyntaxError: Error, Sendable, Equatable, CustomStringConvertible {
    public var text: String
    /// 1-based column of the offending character.
    public var column: Int
    public var message: String
    public var description: String { "column \(column) of \"\(text)\": \(message)" }
}

extension Expr {
    /// Parses infix text; throws `ExpressionSyntaxError` with the column of the first error.
    public init(parsing text: String) throws {
        var parser = ExpressionParser(text)
        self = try parser.parseExpression()
        try parser.expectEnd()
    }

    /// Infix text that `Expr(parsing:)` reads back as this very tree.
    public var text: String { printed(.additive) }
}

// MARK: printing

extension Expr {
    /// Binding strength: a child weaker than its place needs parentheses.
    enum Precedence: Int, Comparable {
        case additive, multiplicative, unary, primary
        static func < (a: Precedence, b: Precedence) -> Bool { a.rawValue < b.rawValue }
    }

    var precedence: Precedence {
        switch self {
        case .constant(let c): return c.sign == .minus ? .unary : .primary
        case .unary(.negate, _): return .unary
        case .binary(.add, _, _), .binary(.subtract, _, _): return .additive
        case .binary(.multiply, _, _), .binary(.divide, _, _): return .multiplicative
        default: return .primary
        }
    }

    func printed(_ place: Precedence) -> String {
        let body: String
        switch self {
        case .constant(let c): body = Expr.numberText(c)
        case .symbol(let name): body = ExpressionParser.isName(name) ? name : "`\(name)`"
        case .unary(.negate, let x):
            // `-2` would read back as the constant −2, and `--2`-like text is hard to read.
            if case .constant = x { body = "-(\(x.printed(.additive)))" } else { body = "-" + x.printed(.unary) }
        case .unary(let op, let x): body = "\(op.rawValue)(\(x.printed(.additive)))"
        case .binary(let op, let a, let b):
            if let symbol = Self.infixSymbols[op] {
                let p = precedence
                // Left operands of equal strength need none (left association); right ones do.
                let right = Precedence(rawValue: p.rawValue + 1)!
                body = "\(a.printed(p)) \(symbol) \(b.printed(right))"
            } else {
                body = "\(op.rawValue)(\(a.printed(.additive)), \(b.printed(.additive)))"
            }
        case .select(let c, let a, let b):
            body = "select(\(c.lhs.printed(.additive)) \(c.comparison.rawValue) \(c.rhs.printed(.additive)), "
                + "\(a.printed(.additive)), \(b.printed(.additive)))"
        }
        return precedence < place ? "(\(body))" : body
    }

    static let infixSymbols: [BinaryOp: String] = [.add: "+", .subtract: "-", .multiply: "*", .divide: "/"]

    /// The shortest text that reads back as the same double (−0 keeps its sign).
    static func numberText(_ c: Double) -> String {
        if c == 0 { return c.sign == .minus ? "-0" : "0" }
        return c.shortDescription
    }
}

// MARK: parsing

/// A recursive-descent parser over the characters of one expression.
struct ExpressionParser {
    let text: String
    let characters: [Character]
    var position = 0

    init(_ text: String) {
        self.text = text
        characters = Array(text)
    }

    func error(_ message: String, at column: Int? = nil) -> ExpressionSyntaxError {
        ExpressionSyntaxError(text: text, column: (column ?? position) + 1, message: message)
    }

    mutating func skipSpaces() { while position < characters.count, characters[position].isWhitespace { position += 1 } }

    /// The next token's first character, after spaces.
    mutating func peek() -> Character? {
        skipSpaces()
        return position < characters.count ? characters[position] : nil
    }

    /// Consumes `token` if the text continues with it.
    mutating func take(_ token: String) -> Bool {
        skipSpaces()
        let end = position + token.count
        guard end <= characters.count, String(characters[position..<end]) == token else { return false }
        // A word (`and`, `or`) must not be the start of a longer name.
        if token.first!.isLetter, end < characters.count, Self.isNameCharacter(characters[end]) { return false }
        position = end
        return true
    }

    mutating func expect(_ token: String, _ context: String) throws {
        guard take(token) else { throw error("expected '\(token)' \(context), found \(found)") }
    }

    var found: String {
        position < characters.count ? "'\(characters[position])'" : "the end of the text"
    }

    mutating func expectEnd() throws {
        if peek() != nil { throw error("unexpected \(found) after a complete expression") }
    }

    /// Text that reads as one symbol without backquotes.
    static func isName(_ text: String) -> Bool {
        guard let first = text.first, first.isLetter || first == "_" else { return false }
        return text.allSatisfy(isNameCharacter)
    }

    mutating func parseQuotedName() throws -> String {
        let start = position
        position += 1
        guard let end = characters[position...].firstIndex(of: "`") else { throw error("a name opened with '`' is not closed", at: start) }
        defer { position = end + 1 }
        guard end > position else { throw error("an empty name", at: start) }
        return String(characters[position..<end])
    }

    static func isNameCharacter(_ c: Character) -> Bool { c.isLetter || isDigit(c) || c == "_" }
    static func isDigit(_ c: Character) -> Bool { c.isASCII && c.isNumber }

    mutating func parseExpression() throws -> Expr {
        var result = try parseTerm()
        while true {
            if take("+") { result = result + (try parseTerm()) } else if take("-") { result = result - (try parseTerm()) } else { return result }
        }
    }

    mutating func parseTerm() throws -> Expr {
        var result = try parseUnary()
        while true {
            if take("*") { result = result * (try parseUnary()) } else if take("/") { result = result / (try parseUnary()) } else { return result }
        }
    }

    mutating func parseUnary() throws -> Expr {
        guard take("-") else { return try parsePrimary() }
        if let c = peek(), Self.isDigit(c) || c == "." { return .constant(-(try parseNumber())) }
        return .unary(.negate, try parseUnary())
    }

    mutating func parsePrimary() throws -> Expr {
        guard let c = peek() else { throw error("expected an expression, found the end of the text") }
        if Self.isDigit(c) || c == "." { return .constant(try parseNumber()) }
        if take("(") {
            let inner = try parseExpression()
            try expect(")", "to close '('")
            return inner
        }
        if c == "`" { return .symbol(try parseQuotedName()) }
        guard c.isLetter || c == "_" else { throw error("expected a number, a name or '(', found \(found)") }
        let start = position
        while position < characters.count, Self.isNameCharacter(characters[position]) { position += 1 }
        let name = String(characters[start..<position])
        guard peek() == "(" else { return .symbol(name) }
        position += 1
        return try parseCall(name, at: start)
    }

    mutating func parseNumber() throws -> Double {
        let start = position
        func digits() { while position < characters.count, Self.isDigit(characters[position]) { position += 1 } }
        digits()
        if position < characters.count, characters[position] == "." { position += 1; digits() }
        if position < characters.count, characters[position] == "e" || characters[position] == "E" {
            position += 1
            if position < characters.count, characters[position] == "+" || characters[position] == "-" { position += 1 }
            digits()
        }
        let literal = String(characters[start..<position])
        guard let value = Double(literal), value.isFinite else { throw error("'\(literal)' is not a finite number", at: start) }
        return value
    }

    /// The arguments of a call whose '(' was consumed.
    mutating func parseCall(_ name: String, at start: Int) throws -> Expr {
        if name == "select" {
            let predicate = try parsePredicate()
            try expect(",", "after the condition of 'select'")
            let ifTrue = try parseExpression()
            try expect(",", "between the arguments of 'select'")
            let ifFalse = try parseExpression()
            try expect(")", "to close 'select'")
            return select(predicate, ifTrue, ifFalse)
        }
        var arguments = [try parseExpression()]
        while take(",") { arguments.append(try parseExpression()) }
        try expect(")", "to close '\(name)'")
        func arity(_ n: Int) throws {
            guard arguments.count == n else { throw error("'\(name)' takes \(n) argument(s), not \(arguments.count)", at: start) }
        }
        if let op = UnaryOp(rawValue: name) { try arity(1); return .unary(op, arguments[0]) }
        if let op = BinaryOp(rawValue: name) { try arity(2); return .binary(op, arguments[0], arguments[1]) }
        if name == "clamp" { try arity(3); return clamp(arguments[0], arguments[1], arguments[2]) }
        let known = (UnaryOp.allCases.map(\.rawValue) + BinaryOp.allCases.map(\.rawValue) + ["clamp", "select"]).joined(separator: ", ")
        throw error("'\(name)' is not a function (\(known))", at: start)
    }

    mutating func parsePredicate() throws -> Predicate {
        var result = try parseConjunction()
        while take("or") || take("||") { result = .or(result, try parseConjunction()) }
        return result
    }

    mutating func parseConjunction() throws -> Predicate {
        var result = try parseTest()
        while take("and") || take("&&") { result = .and(result, try parseTest()) }
        return result
    }

    /// A comparison, or a parenthesized predicate: `(a + b) > c` is tried as a comparison first.
    mutating func parseTest() throws -> Predicate {
        let start = position
        do {
            let lhs = try parseExpression()
            for comparison in [Comparison.lessEqual, .greaterEqual, .equal, .notEqual, .less, .greater] where take(comparison.rawValue) {
                return .comparison(Condition(lhs: lhs, comparison: comparison, rhs: try parseExpression()))
            }
            throw error("expected a comparison (<, <=, >, >=, ==, !=) after '\(lhs.text)', found \(found)")
        } catch let first as ExpressionSyntaxError {
            let failedAt = position
            position = start
            guard take("(") else { throw first }
            do {
                let inner = try parsePredicate()
                try expect(")", "to close '('")
                return inner
            } catch let second as ExpressionSyntaxError {
                throw second.column - 1 > failedAt ? second : first
            }
        }
    }
}
