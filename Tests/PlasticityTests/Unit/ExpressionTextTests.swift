import Foundation
import Plasticity
import PlasticityTestSupport
import Testing

/// Infix text expressions (docs/model-format.md): the grammar's precedence and associativity,
/// errors by column, and an exact round trip (`Expr(parsing: e.text) == e`) for random trees.
@Suite struct ExpressionTextTests {
    let a: Expr = .symbol("a"), b: Expr = .symbol("b"), c: Expr = .symbol("c"), x: Expr = .symbol("x")

    @Test func precedenceAndAssociation() throws {
        let cases: [(String, Expr)] = [
            ("a + b * c", a + b * c),
            ("a - b - c", (a - b) - c),
            ("a - (b - c)", a - (b - c)),
            ("a / b * c", (a / b) * c),
            ("-2 * x", .constant(-2) * x),
            ("-(2) * x", .unary(.negate, 2) * x),
            ("-x * a", -x * a),
            ("-(x * a)", -(x * a)),
            ("a * -2.5e-3", a * .constant(-0.0025)),
            ("pow(a, 2) + exp(-x)", pow(a, 2) + exp(-x)),
            ("clamp(x, 0, 1)", clamp(x, 0, 1)),
            ("sqrt(abs(sin(x) + cos(a)))", sqrt(abs(sin(x) + cos(a)))),
            ("`I.exc` + τ_m", .symbol("I.exc") + .symbol("τ_m")),
            ("select((x + 1) > 2, a, b)", select(x + 1 > 2, a, b)),
            ("select(x == 1, a, b)", select(equal(x, 1), a, b)),
            ("select(x != 1 && a <= b, a, b)", select(notEqual(x, 1) && a <= b, a, b)),
            ("select(x > 1 and a < 0, a, b)", select(x > 1, select(a < 0, a, b), b)),
            ("select(x > 1 or a < 0, a, b)", select(x > 1, a, select(a < 0, a, b))),
            ("select((x > 1 or a < 0) and b >= 2, a, b)", select((x > 1 || a < 0) && b >= 2, a, b)),
            ("select(x > 1 or a < 0 and b >= 2, a, b)", select(x > 1 || (a < 0 && b >= 2), a, b)),
            ("android + order", .symbol("android") + .symbol("order")),
        ]
        for (text, expected) in cases {
            #expect(try Expr(parsing: text) == expected, "\(text)")
        }
    }

    /// Each error names the column of the offending character (1-based).
    @Test func errorsNameTheColumn() {
        let cases: [(String, Int, String)] = [
            ("a + * b", 5, "expected a number, a name or '('"),
            ("pow(a)", 1, "'pow' takes 2 argument(s), not 1"),
            ("a + (b", 7, "expected ')' to close '('"),
            ("a b", 3, "unexpected 'b' after a complete expression"),
            ("foo(x)", 1, "'foo' is not a function"),
            ("`ab + 1", 1, "a name opened with '`' is not closed"),
            ("select(x, a, b)", 9, "expected a comparison"),
            ("select(x > 1 and, a, b)", 17, "expected a number, a name or '('"),
            ("1e999", 1, "'1e999' is not a finite number"),
            ("", 1, "expected an expression"),
        ]
        for (text, column, message) in cases {
            do {
                let parsed = try Expr(parsing: text)
                Issue.record("\(text) parsed as \(parsed)")
            } catch let error as ExpressionSyntaxError {
                #expect(error.column == column && error.message.hasPrefix(message), "\(text): \(error)")
            } catch {
                Issue.record("\(text): \(error)")
            }
        }
    }

    /// 5,000 random trees of every operation (and negative zero, negative constants under
    /// negation, names that need backquotes) print to text that parses back to the same tree.
    @Test func randomTreesRoundTripThroughText() throws {
        var generator = RandomModelGenerator(seed: 77, extendedOperations: true)
        let leaves = ["v", "I_exc", "w0", "I.inh"]
        var trees: [Expr] = [.constant(-0.0), .unary(.negate, .constant(-2)), .unary(.negate, .unary(.negate, x)),
                             .binary(.subtract, a, .constant(-2)), .binary(.multiply, .unary(.negate, 2), x), .constant(1e-7)]
        trees += (0..<5000).map { _ in generator.expression(depth: 5, leaves: leaves, learnables: ["w0"]) }
        var failures: [String] = []
        for tree in trees {
            do {
                let back = try Expr(parsing: tree.text)
                if back != tree || back.text != tree.text { failures.append(tree.text) }
                if case .constant(let value) = tree, value.sign != (back.constantValue?.sign ?? .plus) { failures.append(tree.text) }
            } catch { failures.append("\(tree.text): \(error)") }
        }
        #expect(failures.isEmpty, "\(failures.prefix(3))")
    }

    /// A model file may hold text wherever a tree goes: the same checked model as the tree form,
    /// and a syntax error names the file, the JSON path and the column.
    @Test func modelFilesTakeTextExpressions() throws {
        let tree = ModelFileTests.valid
        let text = tree.replacingOccurrences(
            of: #"{"op": "add", "args": [{"op": "multiply", "args": ["alpha", "v"]}, "I"]}"#, with: #""alpha * v + I""#)
            .replacingOccurrences(of: #"{"op": "subtract", "args": ["v", 1]}"#, with: #""v - 1""#)
        #expect(text != tree && !text.contains("\"op\""))
        func read(_ json: String) throws -> CheckedModel {
            try NeuronModel.read(ConfigFile.object(Data(json.utf8), file: "model.json"), file: "model.json").checked()
        }
        let fromTree = try read(tree), fromText = try read(text)
        #expect(fromTree.states.map(\.update) == fromText.states.map(\.update) && fromTree.output == fromText.output)
        let broken = text.replacingOccurrences(of: "alpha * v + I", with: "alpha * (v + I")
        do {
            _ = try read(broken)
            Issue.record("a broken expression was read")
        } catch {
            let message = "\(error)"
            #expect(message.contains("model.json") && message.contains("updates[0].expression") && message.contains("column 15"), "\(message)")
        }
    }
}

extension Expr {
    fileprivate var constantValue: Double? { if case .constant(let c) = self { return c }; return nil }
}
