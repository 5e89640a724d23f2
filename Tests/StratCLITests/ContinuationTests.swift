import StratKit
import XCTest

final class ContinuationTests: XCTestCase {
    private func assertContinues(_ text: String, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertTrue(needsContinuation(text), "expected continuation for \(text.debugDescription)", file: file, line: line)
    }

    private func assertComplete(_ text: String, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertFalse(needsContinuation(text), "expected a complete statement for \(text.debugDescription)", file: file, line: line)
    }

    func testCompleteStatements() {
        for text in ["", "   ", "1 + 2", "x", "let churn = 3.2%", "f(1, 2)", "[1, 2, 3]", "{ }",
                     "MODERNIZE.krs.score", "a == b", "not x", "x.to", "X.and", "brand", "editor",
                     "85%", "$2.5M", "1e-3", "1_000", "3x", "100ms", "a; b", "print(\"hi\")"] {
            assertComplete(text)
        }
    }

    func testOpenBrackets() {
        for text in ["(", "(1 +", "f(1,\n2", "[1, 2", "objective X {", "objective X {\n  kr A {",
                     "((1)", "{ [ (", "f(\"a\"", "f(\"(\""] {
            assertContinues(text)
        }
        for text in ["(1 +\n2)", "[1,\n2,\n3]", "objective X {\n  kr A { target: 1 }\n}", "f(\"a)\")"] {
            assertComplete(text)
        }
    }

    func testTrailingBinaryOperators() {
        for op in ["+", "-", "*", "/", "^", "=", ",", "==", "!=", "<", "<=", ">", ">="] {
            assertContinues("a \(op)")
            assertContinues("a \(op)   ")
            assertContinues("a \(op) // comment")
            assertContinues("a \(op) /* comment */")
        }
        assertContinues("let x =")
        assertContinues("1 +\n2 *")
        assertContinues("x = -")
    }

    func testTrailingKeywords() {
        for word in ["and", "or", "not", "to"] {
            assertContinues("a \(word)")
            assertContinues("a \(word)  // why")
            assertComplete("a.\(word)")          // a member name after '.'
            assertComplete("a \(word)x")         // a longer identifier
            assertComplete("\(word)_x")
        }
        assertComplete("x and y")
        assertComplete("lo to hi")
    }

    func testNumbersAreNotOperators() {
        assertComplete("churn = 85%")
        assertComplete("1e-3")
        assertComplete("2.5e+3")
        assertComplete("$33B")
        assertContinues("1e-3 -")
    }

    func testStrings() {
        assertComplete("\"a + \"")                       // operator inside a string
        assertComplete("\"(\"")                          // bracket inside a string
        assertComplete("\"say \\\"hi\\\" (\"")           // escaped quotes
        assertComplete("\"abc")                          // unterminated on the last line: let the parser say so
        assertComplete("(\"abc")
        assertContinues("(\"abc\n")                      // string ended (badly) at the newline; paren still open
        assertComplete("\"\\(x + 1)\"")                  // interpolation is code, closed
        assertComplete("\"total: \\(f(a, (b))) done\"")
        assertComplete("\"\\(\"")                        // last line inside an interpolation inside a string
    }

    func testComments() {
        assertComplete("1 // (")
        assertComplete("1 /* ( */")
        assertContinues("1 /* open")
        assertContinues("/* a /* nested */ still open")
        assertComplete("/* a /* nested */ closed */ 1")
        assertContinues("( // comment\n")
        assertComplete("x // ends with +")
        assertComplete("a / b")
    }

    func testUnbalancedClosersAreSubmitted() {
        assertComplete(")")
        assertComplete("(]")
        assertComplete("f(1))")
        assertComplete("} +")        // broken input: let the parser report it
    }

    func testMultiLineDeclaration() {
        let text = """
        objective MODERNIZE_PLATFORM "Modernize the platform" {
          kr MICROSERVICES {
            current: 40%
            target: 90%
          }
        """
        assertContinues(text)
        assertComplete(text + "\n}")
    }

    func testNestedBrackets() {
        for text in ["[(1, {", "f([1, (2)],", "g({ a: [1,\n2", "[\"]\", (", "\"\\(x)\" + (", "[1, f(2), {}"] {
            assertContinues(text)
        }
        for text in ["f([1, (2)],\n g({}))", "[[[]]]", "{ [ ( ) ] }", "\"\\(f(g(1), [2]))\"", "[(1 +\n2) * 3,\n4]"] {
            assertComplete(text)
        }
        for text in ["[(])", "{ (}", "[1, 2)"] {
            assertComplete(text)      // a closer of the wrong kind: submitted, the parser reports it
        }
    }

    func testUnterminatedStrings() {
        assertComplete("print(\"abc")                   // the last line ends inside a string
        assertComplete("let s = \"a; b")
        assertComplete("[\"a\", \"b")
        assertComplete("\"\\(f(")                       // inside an interpolation's call, inside a string
        assertContinues("[\"abc\n")                     // the string ended (badly) at the newline; '[' still open
        assertContinues("f(\"a\n  \"b\" +")
        assertComplete("\"a\\\"")                        // `"a\"`: the quote is escaped, the string unterminated
        assertContinues("\"a\\\\\" +")                   // `"a\\" +`: an escaped backslash, then a closed string
    }

    /// Lines are lexed one at a time; a block comment is the one token that spans lines.
    func testBlockCommentsOverSeveralLines() {
        for text in ["/* a\n b", "/* a\n /* b */\n c", "x +/* a\n */", "f(/* )\n */", "/* \"\n */ (", "1 /* a\n*/ and"] {
            assertContinues(text)
        }
        for text in ["/* a\n b */", "/* a\n /* b */\n c */ 1", "x /* +\n */", "/* \"\n */ \"s\"", "/* (\n [ */ )"] {
            assertComplete(text)
        }
    }

    /// A comment's nesting is followed from line to line as the lexer follows it in a
    /// file: a `*` ending one line and a `/` starting the next do not close it.
    func testNestedBlockCommentsAcrossLines() {
        for text in ["/* a /* b\n */ still\n */ 1 +", "/* a *\n/ b", "/*/ a\n b", "/* a\n */ /* b\n c", "/**/ ("] {
            assertContinues(text)
        }
        for text in ["/* a\n/* b\n*/ */ x", "/*/ a\n */", "/* a\n */ /* b\n c */ 2"] {
            assertComplete(text)
        }
    }

    func testJunkAfterTheLastTokenIsSubmitted() {
        assertComplete("a + @")        // the lexer rejects '@': let the parser report it now
        assertComplete("a + !")
        assertComplete("a + $")
    }

    /// A keyword after `.` is a member name (`M.to`, `x.and`): a line ending in one is
    /// complete at the REPL and in a file alike.
    func testMemberNamedLikeAKeywordEndsTheLineInAFileToo() throws {
        let prelude = "metric M { current: 1; to: 2; and: 3; not: 4 }\n"
        for line in ["let a = M.to", "let a = M.and", "let a = M.not", "let a = (M).to"] {
            assertComplete(line)
            let engine = Engine()
            XCTAssertNoThrow(try engine.load(source: prelude + line + "\nlet b = 10\n"), line)
            XCTAssertEqual(try? engine.evaluate("b").description, "10", line)
        }
        for (line, rest, value) in [("let a = 1 +", "2", "3"), ("let a = M.to *", "2", "4"), ("let a = M.to ==", "2", "true"),
                                    ("let a = true and", "M.to == 2", "true"), ("let a = (M.and", ")", "3")] {
            assertContinues(line)
            let engine = Engine()
            XCTAssertNoThrow(try engine.load(source: prelude + line + "\n" + rest + "\n"), line)
            XCTAssertEqual(try? engine.evaluate("a").description, value, line)
        }
    }
}
