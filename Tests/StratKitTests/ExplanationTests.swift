import Foundation
import XCTest
import StratKit

/// Issue 14's typed boundary: `explain` returns a tree of values and diagnostics render
/// without colour; drawing and colouring are the hosts' (the CLI's tree and ANSI colours
/// are tested through the CLI in StratCLITests/RenderTests). Public API only.
final class ExplanationTests: XCTestCase {
    let model = """
        let churn = 3.4%
        let doubled = churn * 2 + 1%
        let broken = churn / 0
        objective RETENTION {
          kr CHURN { current: churn, target: <= 3.5% }
        }
        """

    private func engine() throws -> Engine {
        let e = Engine()
        // `broken` fails (division by zero): the load reports it, and the rest is evaluated.
        XCTAssertThrowsError(try e.load(source: model, path: "e.strat"))
        XCTAssertTrue(e.isEvaluated)
        return e
    }

    func testAKeyResultScoreExplainsItsRuleAndInputs() throws {
        let score = try engine().explain("RETENTION.CHURN.score", depth: 4)
        XCTAssertEqual(score.name, "RETENTION.CHURN.score")
        XCTAssertEqual(score.kind, .rule("clamp(progress, 0, 1)"))
        XCTAssertEqual(score.value, .number(1))
        XCTAssertEqual(score.valueText, "1")
        XCTAssertEqual(score.note, "clamp(progress, 0, 1)")
        XCTAssertFalse(score.truncated)
        guard score.children.count == 1 else { return XCTFail("one input expected: \(score.children)") }
        let progress = score.children[0]
        XCTAssertEqual(progress.name, "RETENTION.CHURN.progress")
        XCTAssertEqual(progress.kind, .rule("1 if current <= target, else 0"))
        XCTAssertEqual(progress.children.map(\.name),
                       ["RETENTION.CHURN.current", "RETENTION.CHURN.target", "RETENTION.CHURN.baseline"])
        let current = progress.children[0], target = progress.children[1], baseline = progress.children[2]
        XCTAssertEqual(current.kind, .formula("churn"))
        XCTAssertEqual(current.value?.doubleValue ?? 0, 0.034, accuracy: 1e-12)
        XCTAssertEqual(current.unit?.symbol, "%")
        XCTAssertEqual(current.valueText, "3.4%")
        XCTAssertEqual(current.note, "churn")
        XCTAssertEqual(current.location, Explanation.Location(path: "e.strat", line: 5, column: 14))
        // A formula that is just its value's text has no note (`3.5%`, not `3.5% ← 3.5%`).
        XCTAssertEqual(target.kind, .formula("3.5%"))
        XCTAssertNil(target.note)
        XCTAssertEqual(baseline.kind, .notGiven)
        XCTAssertEqual(baseline.outcome, .value(.none))
        XCTAssertEqual(baseline.note, "not given")
        XCTAssertEqual(baseline.valueText, "none")
    }

    func testAFormulaExplainsItsSubexpressionsAndMarksWhereTheDepthCutsIt() throws {
        let e = try engine()
        let full = try e.explain("doubled", depth: 4)
        XCTAssertEqual(full.kind, .formula("churn * 2 + 1%"))
        XCTAssertEqual(full.valueText, "7.8%")
        XCTAssertEqual(full.location?.line, 2)
        // `1%` and `2` are literals: they explain themselves and are left out.
        XCTAssertEqual(full.children.map(\.name), ["churn * 2"])
        XCTAssertEqual(full.children.first?.kind, .expression)
        XCTAssertNil(full.children.first?.note)
        XCTAssertEqual(full.children.first?.children.map(\.name), ["churn"])
        XCTAssertFalse(full.children[0].truncated)

        let cut = try e.explain("doubled", depth: 1)
        XCTAssertEqual(cut.children.map(\.name), ["churn * 2"])
        XCTAssertEqual(cut.children[0].children, [])
        XCTAssertTrue(cut.children[0].truncated, "churn is not shown at depth 1")
        XCTAssertFalse(cut.truncated)

        let top = try e.explain("RETENTION.CHURN.score", depth: 0)
        XCTAssertEqual(top.children, [])
        XCTAssertTrue(top.truncated)
    }

    func testFailuresAreOutcomesNotText() throws {
        let q = try engine().explain("broken + 1", depth: 4)
        XCTAssertEqual(q.kind, .expression)
        XCTAssertEqual(q.outcome, .failed)
        XCTAssertNil(q.value)
        XCTAssertEqual(q.valueText, "(error)")
        XCTAssertEqual(q.location, Explanation.Location(path: "<expr>", line: 1, column: 1))
        guard let broken = q.children.first else { return XCTFail("broken expected under the query") }
        XCTAssertEqual(broken.name, "broken")
        XCTAssertEqual(broken.outcome, .failed)
        XCTAssertEqual(broken.valueText, "(failed)")
        XCTAssertEqual(broken.note, "churn / 0")
        XCTAssertEqual(broken.children.map(\.name), ["churn"])
    }

    func testALongCallIsMarkedAsCut() throws {
        let e = Engine()
        let args = (1...14).map { "x\($0)" }
        try e.load(source: (1...14).map { "let x\($0) = \($0)" }.joined(separator: "\n")
                   + "\nlet m = max(\(args.joined(separator: ", ")))\n", path: "m.strat")
        // The call is the formula itself: its arguments are the formula's children.
        let m = try e.explain("m", depth: 4)
        XCTAssertEqual(m.children.map(\.name), Array(args.prefix(12)))
        XCTAssertTrue(m.truncated, "x13 and x14 are left out")
        let q = try e.explain("max(\(args.joined(separator: ", "))) + 1", depth: 4)
        guard let call = q.children.first else { return XCTFail("the call expected") }
        XCTAssertEqual(call.children.count, 12)
        XCTAssertTrue(call.truncated, "x13 and x14 are left out")
        XCTAssertFalse(q.truncated)
    }

    func testUnknownNamesThrowWithTheirLocation() throws {
        XCTAssertThrowsError(try engine().explain("nope")) { error in
            let d = (error as? StratError)?.diagnostics.first
            XCTAssertEqual(d?.message, "unknown name 'nope'")
            XCTAssertEqual(d?.path, "<expr>")
        }
    }

    /// A formula of 900 terms explains at most ``Engine/maxExplanationNodes``
    /// nodes, a long one counting once per 2 KB of its text, and says where it was cut.
    func testAHugeFormulaIsExplainedWithinABudget() throws {
        let e = Engine()
        let chain = "x" + String(repeating: " + x", count: 99)
        try e.load(source: "let x = 1\nlet y = sum([" + Array(repeating: chain, count: 9).joined(separator: ", ") + "])\n", path: "h.strat")
        func count(_ n: Explanation) -> Int { 1 + n.children.map(count).reduce(0, +) }
        func cut(_ n: Explanation) -> Bool { n.truncated || n.children.contains(where: cut) }
        let chains = try e.explain("y")
        XCTAssertLessThanOrEqual(count(chains), Engine.maxExplanationNodes)
        XCTAssertGreaterThan(count(chains), 400)
        XCTAssertTrue(cut(chains))
        XCTAssertEqual(chains.valueText, "900")

        // 200 groups of 30 terms: drawn naively, the outer sub-expressions' texts alone
        // would add up to 2.4 MB.
        let group = "(x" + String(repeating: " + x", count: 29) + ")"
        try e.load(source: "let x = 1\nlet y = " + Array(repeating: group, count: 200).joined(separator: " + ") + "\n", path: "h.strat")
        func text(_ n: Explanation) -> Int { n.name.utf8.count + n.children.map(text).reduce(0, +) }
        let start = Date()
        let big = try e.explain("y")
        XCTAssertLessThan(Date().timeIntervalSince(start), 10, "explaining a 24 KB formula took too long")
        XCTAssertEqual(big.valueText, "6000")
        XCTAssertLessThanOrEqual(text(big), Engine.maxExplanationNodes * 2048)
        XCTAssertTrue(cut(big))
    }

    /// Carets sit under what they point at on a terminal: after wide (2 columns) and
    /// combining (0 columns) characters, and under escaped control characters; a
    /// bidirectional override is shown escaped.
    func testCaretsAlignUnderWideCombiningAndEscapedCharacters() {
        func caret(_ line: String, _ column: Int, _ length: Int) -> String {
            let d = Diagnostic(severity: .error, message: "m", path: "p", line: 1, column: column, length: length, sourceLine: line)
            return String(d.rendered().split(separator: "\n")[2])
        }
        func under(_ columns: Int, _ mark: String) -> String { "   | " + String(repeating: " ", count: columns) + mark }
        // `let a = "` is 9 columns, `" + ` 4.
        XCTAssertEqual(caret("let a = \"日本\" + zz", 16, 2), under(9 + 4 + 4, "^~"))
        XCTAssertEqual(caret("let a = \"日本\" + 1", 9, 8), under(8, "^~~~~~~~~~"))   // `"日本" + 1`: 10 columns
        XCTAssertEqual(caret("let a = \"e\u{301}\" + zz", 16, 2), under(9 + 1 + 4, "^~"))
        XCTAssertEqual(caret("let a = \"😀👍🏽\" + zz", 17, 2), under(9 + 4 + 4, "^~"))
        XCTAssertEqual(caret("let a = \"\u{1B}\" + zz", 9, 3), under(8, "^~~~~~~~"))   // `"\u{1B}"`: 8 columns
        let bidi = Diagnostic(severity: .error, message: "m", path: "p", line: 1, column: 15, length: 2,
                              sourceLine: "let a = \"\u{202E}\" + zz").rendered()
        XCTAssertFalse(bidi.unicodeScalars.contains("\u{202E}"), bidi)
        XCTAssertTrue(bidi.hasSuffix(" 1 | let a = \"\\u{202E}\" + zz\n" + under(9 + 8 + 4, "^~")), bidi)
    }

    // MARK: Diagnostics

    func testRenderedDiagnosticsCarryNoEscapeBytes() throws {
        let e = Engine()
        XCTAssertThrowsError(try e.load(source: "let x = chrun * 2 // \u{1B}[31m\u{7}\nlet churn = 1\n", path: "d\u{1B}[8m.strat")) { error in
            guard let err = error as? StratError, let d = err.diagnostics.first else { return XCTFail("\(error)") }
            let plain = d.rendered()
            XCTAssertEqual(plain, """
                d\\u{1B}[8m.strat:1:9: error: unknown name 'chrun'
                 1 | let x = chrun * 2 // \\u{1B}[31m\\u{7}
                   |         ^~~~~
                   = help: did you mean 'churn'?
                """)
            XCTAssertFalse(err.description.unicodeScalars.contains { $0.value < 0x20 && $0 != "\n" })
            XCTAssertEqual(err.description, plain)
        }
    }

    /// A newline in a file's path is shown escaped: the `path:line:col:` header stays one line.
    func testAPathWithANewlineKeepsTheHeaderOnOneLine() {
        let d = Diagnostic(severity: .error, message: "m", path: "a\nb.strat", line: 1, column: 1, sourceLine: "x")
        XCTAssertEqual(d.rendered(), "a\\u{A}b.strat:1:1: error: m\n 1 | x\n   | ^")
    }

    func testAHostStylesEachPartOfADiagnostic() {
        let d = Diagnostic(severity: .warning, message: "m\u{1B}", path: "p.strat", line: 2, column: 3, length: 2,
                           hint: "h", sourceLine: "a bc d")
        var parts: [Diagnostic.TextPart] = []
        let html = d.rendered { part, text in
            parts.append(part)
            let tag: String
            switch part {
            case .location: tag = "loc"
            case .severity(let s): tag = s.rawValue
            case .message: tag = "msg"
            case .caret: tag = "caret"
            }
            return "<\(tag)>\(text)</>"
        }
        XCTAssertEqual(parts, [.location, .severity(.warning), .message, .caret])
        XCTAssertEqual(html, "<loc>p.strat:2:3: </><warning>warning</>: <msg>m\\u{1B}</>\n"
                       + " 2 | a bc d\n   |   <caret>^~</>\n   = help: h")
        XCTAssertEqual(d.rendered(), "p.strat:2:3: warning: m\\u{1B}\n 2 | a bc d\n   |   ^~\n   = help: h")
    }

    /// The library writes no terminal codes: colour is the CLI's. A scan of StratKit's
    /// sources for an SGR escape in a string literal (`\u{1B}[`, `\u{001B}[`, `\e[`, `\033[`).
    func testStratKitSourcesHoldNoTerminalCodes() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("Sources/StratKit")
        guard let files = FileManager.default.enumerator(at: root, includingPropertiesForKeys: nil) else {
            return XCTFail("no sources at \(root.path)")
        }
        var scanned = 0
        let codes = [#"\u{1B}["#, #"\u{1b}["#, #"\u{001B}["#, #"\u{001b}["#, #"\e["#, #"\033["#, #"\u{9B}"#]
        for case let url as URL in files where url.pathExtension == "swift" {
            let text = try String(contentsOf: url, encoding: .utf8)
            scanned += 1
            for (n, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
                if line.trimmingCharacters(in: .whitespaces).hasPrefix("//") { continue }
                for c in codes where line.contains(c) {
                    XCTFail("\(url.lastPathComponent):\(n + 1) holds \(c): \(line)")
                }
            }
        }
        XCTAssertGreaterThan(scanned, 20)
    }
}
