// The REPL's questions about typed text (issue 14), answered by the real lexer and
// parser: what an input declares, where an assert's condition ends, where `;` and `,`
// separate, which `_` is a name. Through the package API the REPL and Session use.
import XCTest
import StratKit

final class TextQuestionsTests: XCTestCase {
    private func shape(_ text: String) -> [String] {
        SourceText(text).statements().map { s in "\(s.kind)" + (s.name.map { " " + $0 } ?? "") }
    }

    func testWhatAnInputDeclares() {
        let cases: [(String, [String])] = [
            ("let x = 1", ["let_ x"]),
            ("  let x = 1", ["let_ x"]),                                   // indented
            ("let x=1", ["let_ x"]),
            ("/* let y = 2\n */ let x = 1", ["let_ x"]),                   // after a block comment
            ("// let y = 2", []),
            ("fn f(a, b) = a + b", ["declaration f"]),
            ("objective O\"Ship\"{ kr K { target: 1 } }", ["declaration O"]),
            ("objective O {\n  kr K { target: 1 }\n}\nlet z = 2", ["declaration O", "let_ z"]),
            ("org \"Acme\"", ["declaration org"]),
            ("mission \"m\"; vision \"v\"", ["declaration mission", "declaration vision"]),
            ("series s = [1, 2]", ["declaration s"]),
            ("series + 1", ["expression"]),                                // `series` is contextual
            ("plan { start: 2026-01-01, end: 2026-12-31 }", ["declaration"]),
            ("plan.score", ["expression"]),
            ("checkin 2026-03-31 { O.K = 1 }", ["declaration"]),
            ("checkin", ["expression"]),
            ("simulate 100 seed 3", ["declaration"]),
            ("use finance", ["library"]),
            ("import \"x.strat\"", ["library"]),
            ("print \"let x = 1\"", ["print"]),
            ("1 + 2\nlet y = 3", ["expression", "let_ y"]),
            ("let = 3", ["invalid"]),
            ("let x = (1 +\n2)", ["let_ x"]),
            ("let x = [\nlet_b]", ["let_ x"]),
        ]
        for (text, expected) in cases {
            XCTAssertEqual(shape(text), expected, text)
        }
    }

    func testSyntaxErrorsAreFlagged() {
        XCTAssertFalse(SourceText("let x = 1").hasSyntaxErrors)
        for text in ["let x = 1 2", "let = 3", "1 +* 2", "\"abc", "/* open", "@", "assert x \"m\" 3"] {
            XCTAssertTrue(SourceText(text).hasSyntaxErrors, text)
        }
    }

    func testAssertConditionAndMessage() {
        let cases: [(String, String, String?)] = [
            ("assert name == \"foo\"", " name == \"foo\"", nil),
            ("assert name == \"foo\" \"msg\"", " name == \"foo\"", "\"msg\""),
            ("assert name == \"foo\", \"msg\"", " name == \"foo\"", "\"msg\""),
            ("assert (a == \"b\") /* c */ \"m \\(x)\"", " (a == \"b\")", "\"m \\(x)\""),
            ("assert f(\"a\", \"b\")", " f(\"a\", \"b\")", nil),
        ]
        for (text, condition, message) in cases {
            let s = SourceText(text).statements()
            XCTAssertEqual(s.count, 1, text)
            XCTAssertEqual(s.first?.kind, .assert, text)
            XCTAssertEqual(s.first?.expression, condition, text)
            XCTAssertEqual(s.first?.message, message, text)
        }
        XCTAssertEqual(SourceText("let x = 1 + 2 // c").statements().first?.expression, " 1 + 2")
        XCTAssertEqual(SourceText("print \"a\" + b").statements().first?.expression, " \"a\" + b")
    }

    func testSemicolonsSplitOnlyAtTheTopLevel() {
        let cases: [(String, [String])] = [
            ("a; b", ["a", "b"]),
            ("print \"a; b\"; c", ["print \"a; b\"", "c"]),
            ("1 /* ; */ + 1; 3 // ; 4", ["1 /* ; */ + 1", "3 // ; 4"]),
            ("scenario s { a = 1; b = 2 }", ["scenario s { a = 1; b = 2 }"]),
            ("f(1; 2); g", ["f(1; 2)", "g"]),
            ("\"\\(\";\")\"; x", ["\"\\(\";\")\"", "x"]),
            ("print \"a; b", ["print \"a; b"]),                          // unterminated: one statement
            (";;", [";;"]),
            ("a);b", ["a)", "b"]),                                          // a stray closer does not hide a ';'
        ]
        for (text, parts) in cases {
            XCTAssertEqual(SourceText(text).statementsSplitAtSemicolons(), parts, text)
        }
    }

    func testAssignments() {
        XCTAssertEqual(SourceText("a = f(1, 2), b.c = \"x, y\" /* , */").assignments()?.map { "\($0.path)|\($0.expr)" },
                       ["a|f(1, 2)", "b.c|\"x, y\" /* , */"])
        XCTAssertEqual(SourceText("a == 1").assignments()?.count, nil)
        XCTAssertEqual(SourceText("a = ").assignments()?.count, nil)
        XCTAssertEqual(SourceText("x.to = 3").assignment().map { "\($0.path)|\($0.expr)" }, "x.to|3")
        XCTAssertNil(SourceText("let x = 3").assignment())
        XCTAssertNil(SourceText("f(x) = 3").assignment())
        XCTAssertNil(SourceText("x == 3").assignment())
    }

    func testUnderscoreReads() {
        let s = SourceText("let y = _ + \"_\" + \"\\(_)\" + x._ // _")
        XCTAssertTrue(s.mentions("_"))
        XCTAssertEqual(s.replacing("_", with: "(L)"), "let y = (L) + \"_\" + \"\\((L))\" + x._ // _")
        XCTAssertFalse(SourceText("let y = \"_\" // _").mentions("_"))
        XCTAssertFalse(SourceText("let y = x._").mentions("_"))
    }

    /// A function's own parameter `_` is not a read of the REPL's `_`.
    func testAParameterNamedUnderscoreIsNotARead() {
        XCTAssertFalse(SourceText("fn f(_) = _ + 1").mentions("_"))
        XCTAssertEqual(SourceText("fn f(_) = _ + 1\nlet y = _").replacing("_", with: "(L)"), "fn f(_) = _ + 1\nlet y = (L)")
        XCTAssertTrue(SourceText("fn f(a) = a + _").mentions("_"))
    }

    /// Where each piece starts in the input: its errors are placed there.
    func testPiecesKnowWhereTheyStart() throws {
        let parts = SourceText("let a = 1;  é + zz;\n b").semicolonParts()
        XCTAssertEqual(parts.map(\.text), ["let a = 1", "é + zz", "b"])
        XCTAssertEqual(parts.map(\.offset), [0, 12, 22])
        let assert = try XCTUnwrap(SourceText("assert  x > 1 \"m\"").statements().first)
        XCTAssertEqual(assert.expressionOffset, 6)
        XCTAssertEqual(try XCTUnwrap(SourceText("let v =\n  2").statements().first).expressionOffset, 7)

        let text = "let a = [1,\n  2]; é + zz"
        let inPiece = Diagnostic(severity: .error, message: "unknown name 'zz'", path: "<expr>", line: 1, column: 5, length: 2, sourceLine: "é + zz")
        let placed = inPiece.placed(in: text, at: 18)   // the offset of "é + zz"
        XCTAssertEqual([placed.line, placed.column], [2, 11])
        XCTAssertEqual(placed.sourceLine, "  2]; é + zz")
        let second = Diagnostic(severity: .error, message: "m", path: "<expr>", line: 2, column: 3, sourceLine: "x")
        XCTAssertEqual(second.placed(in: "print (1 +\n  x)", at: 6).line, 2)
        XCTAssertEqual(second.placed(in: "print (1 +\n  x)", at: 6).column, 3)
        let index = LineIndex("ab;\n  é;x;" + String(repeating: "y", count: 2000))
        XCTAssertEqual(index.positions(of: [0, 3, 6, 9, 10]).map { [$0.line, $0.column] }, [[1, 1], [1, 4], [2, 3], [2, 5], [2, 6]])
        XCTAssertEqual(index.position(of: 9).column, 5)
        XCTAssertEqual(index.offset(line: 2, column: 5), 9)
        XCTAssertEqual(index.snippet(1), "ab;")
        XCTAssertNil(index.snippet(2), "a line longer than a diagnostic quotes")
    }

    /// An error in text whose `_` was replaced goes back to where it was typed: after a
    /// replacement by its length, inside one to the `_` it replaced.
    func testPlacingBackThroughReplacements() throws {
        let typed = "let y = [_, _ +\n  zz, _]"
        let source = SourceText(typed)
        let spans = source.reads(of: "_")
        XCTAssertEqual(spans, [9..<10, 12..<13, 22..<23])
        let edited = source.replacing("_", with: "(1 +\n 2)")
        XCTAssertEqual(edited, "let y = [(1 +\n 2), (1 +\n 2) +\n  zz, (1 +\n 2)]")
        let zz = Diagnostic(severity: .error, message: "m", path: "<repl>", line: 4, column: 3, length: 2, sourceLine: "  zz, (1 +")
        let back = zz.placedBack(from: LineIndex(edited), to: LineIndex(typed), spans: spans, replacement: "(1 +\n 2)")
        XCTAssertEqual([back.line, back.column, back.length], [2, 3, 2])
        XCTAssertEqual(back.sourceLine, "  zz, _]")
        let inReplacement = Diagnostic(severity: .error, message: "m", path: "<repl>", line: 2, column: 2, length: 1, sourceLine: " 2), (1 +")
        let at = inReplacement.placedBack(from: LineIndex(edited), to: LineIndex(typed), spans: spans, replacement: "(1 +\n 2)")
        XCTAssertEqual([at.line, at.column, at.length], [1, 10, 1])
    }
}
