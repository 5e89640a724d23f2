import XCTest
@testable import StratKit

/// Issue 22: a large file is lexed on a second thread while it is parsed (`TokenFeed`).
/// Every parse here runs both ways and must give the same declarations, nodes, names and
/// diagnostics, in the same order.
final class LexAheadTests: XCTestCase {
    private struct Parse {
        var decls = "", nodes: [UInt8] = [], extra: [Int32] = [], constants = "", names: [String] = []
        var diagnostics = ""
    }

    private func parse(_ text: String, ahead: Bool) -> Parse {
        let saved = Parser.lexAheadMinBytes
        Parser.lexAheadMinBytes = ahead ? 0 : Int.max
        defer { Parser.lexAheadMinBytes = saved }
        let program = Program(limits: Limits(), importer: nil)
        let decls = program.load(path: "ahead.strat", bytes: Array(text.utf8))
        var r = Parse()
        dump(decls, to: &r.decls)
        r.nodes = program.pool.nodes.withUnsafeBytes { Array($0) }
        r.extra = program.pool.extra
        dump(program.pool.constants, to: &r.constants)
        r.names = program.interner.names
        for d in program.sink.items { print(d.severity, d.message, d.line, d.column, d.hint ?? "-", to: &r.diagnostics) }
        return r
    }

    private func assertSameBothWays(_ text: String, _ label: String, file: StaticString = #filePath, line: UInt = #line) {
        let runs = TokenFeed.startCount
        let one = parse(text, ahead: false)
        XCTAssertEqual(TokenFeed.startCount, runs, "\(label): one thread", file: file, line: line)
        let two = parse(text, ahead: true)
        #if os(Linux)
        if sysconf(Int32(_SC_NPROCESSORS_ONLN)) >= 2 {
            XCTAssertGreaterThan(TokenFeed.startCount, runs, "\(label): lexed ahead", file: file, line: line)
        }
        #endif
        XCTAssertEqual(one.diagnostics, two.diagnostics, "\(label): diagnostics", file: file, line: line)
        XCTAssertEqual(one.names, two.names, "\(label): names in the same order", file: file, line: line)
        XCTAssertEqual(one.decls, two.decls, "\(label): declarations", file: file, line: line)
        XCTAssertTrue(one.nodes == two.nodes, "\(label): nodes", file: file, line: line)
        XCTAssertEqual(one.extra, two.extra, "\(label): children", file: file, line: line)
        XCTAssertEqual(one.constants, two.constants, "\(label): constants", file: file, line: line)
    }

    private var corpus: [(String, String)] {
        var texts: [(String, String)] = []
        let examples = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("examples")
        for name in (try? FileManager.default.contentsOfDirectory(atPath: examples.path))?.sorted() ?? []
        where name.hasSuffix(".strat") {
            if let t = try? String(contentsOf: examples.appendingPathComponent(name), encoding: .utf8) { texts.append((name, t)) }
        }
        for (name, t) in Stdlib.modules.sorted(by: { $0.key < $1.key }) { texts.append(("stdlib " + name, t)) }
        return texts
    }

    /// Every example and library module, alone and all together many times over (more
    /// tokens than the ring holds, so it wraps and the threads wait for each other).
    func testExamplesParseTheSameOnTwoThreads() {
        let corpus = self.corpus
        XCTAssertGreaterThan(corpus.count, 6, "examples and stdlib found")
        for (name, text) in corpus { assertSameBothWays(text, name) }
        let all = corpus.map(\.1).joined(separator: "\n")
        assertSameBothWays(String(repeating: all + "\n", count: 12), "all examples, 12 times")
    }

    /// Errors the lexer reports (the feed stops at the first and hands the lexer back),
    /// constructs that intern names on the parser's side (interpolations, `p.at(…)`,
    /// keywords after `.`), and line continuations, anywhere in a large file.
    func testLexerErrorsAndContinuationsAnywhere() {
        let filler = (0..<1_500).map { "let v\($0) = v\(max(0, $0 - 1)) * 1.5 + min(v0, 2)%" }.joined(separator: "\n")
        let pieces = [
            "let s = \"total \\(v1 + v2) and \\(\"nested \\(v3)\")\"",
            "let bad = 3q + 1",
            "let bang = !v1",
            "let esc = \"\\q\"",
            "let nul = 1 \u{0}",
            "let d = 2026-02-30",
            "let cont = v1 +\n  v2\n  + v3",
            "let c2 = if v1 > 2\n  then v2\n  else v3",
            "let logic = v1 > 1\n  and v2 < 3\n  or v3 == 4",
            "let m = v1.to + v2.values",
            "projection p over 4 quarters { start: 10, growth: 5% }\nlet at = p.at(2026-01-01)",
            "/* a block\n comment */ let after = 1 // and a line comment",
            "let big = 12345678901234567890123 + 1e400",
            "let money = $3.5M + 2x + 30min",
            "objective O \"Grow\" {\n  kr \"k\" { target: 3 }\n}",
            "let (((( = 1",
        ]
        for (k, piece) in pieces.enumerated() {
            assertSameBothWays(filler + "\n" + piece + "\n" + filler, "piece \(k) in the middle")
            assertSameBothWays(filler + "\n" + piece, "piece \(k) at the end")
        }
        assertSameBothWays(pieces.joined(separator: "\n") + "\n" + filler, "all pieces first")
        assertSameBothWays(filler + "\nlet open = \"no end", "unterminated string at the end")
        assertSameBothWays(filler + "\n/* unterminated", "unterminated comment at the end")
        assertSameBothWays(filler + "\nlet x = (1 + \n", "open bracket at the end")
        assertSameBothWays(String(repeating: "let q = 1 ! 2\n", count: 700), "an error on every line")
    }
}
