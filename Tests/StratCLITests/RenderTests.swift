// Issue 14's typed boundary, at the CLI: the library returns diagnostics and explanation
// trees as data, and the CLI draws the tree and colours diagnostics, only on a terminal
// and not under NO_COLOR. The exact bytes are the ones the library used to produce.
import Foundation
import XCTest
#if canImport(Glibc)
import Glibc
#endif

final class RenderTests: XCTestCase {
    private var dir: URL!
    private var binary: String!

    override func setUpWithError() throws {
        guard let b = ScriptCorpus.binary() else { throw XCTSkip("STRAT_BIN is not set (make test sets it)") }
        binary = b
        dir = FileManager.default.temporaryDirectory.appendingPathComponent("strat-render-\(getpid())-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        if let d = dir { try? FileManager.default.removeItem(at: d) }
    }

    private func write(_ name: String, _ text: String) throws {
        try Data(text.utf8).write(to: dir.appendingPathComponent(name))
    }

    /// The CLI with its output in files (a pipe to it) and NO_COLOR unset: it must not
    /// colour because the output is not a terminal, not because of NO_COLOR.
    private func run(_ args: [String], stdin: String = "") throws -> RunResult {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: binary)
        p.arguments = args
        p.currentDirectoryURL = dir
        var env = ProcessInfo.processInfo.environment
        env.removeValue(forKey: "NO_COLOR")
        env["TERM"] = "xterm"
        env["STRAT_HISTORY"] = dir.appendingPathComponent("history").path
        p.environment = env
        let id = UUID().uuidString
        let inURL = dir.appendingPathComponent("in-\(id)"), outURL = dir.appendingPathComponent("out-\(id)"),
            errURL = dir.appendingPathComponent("err-\(id)")
        try Data(stdin.utf8).write(to: inURL)
        _ = FileManager.default.createFile(atPath: outURL.path, contents: nil)
        _ = FileManager.default.createFile(atPath: errURL.path, contents: nil)
        p.standardInput = try FileHandle(forReadingFrom: inURL)
        p.standardOutput = try FileHandle(forWritingTo: outURL)
        p.standardError = try FileHandle(forWritingTo: errURL)
        try p.run()
        let deadline = Date().addingTimeInterval(60)
        while p.isRunning, Date() < deadline { usleep(20_000) }
        let timedOut = p.isRunning
        if timedOut { p.terminate(); p.waitUntilExit() }
        XCTAssertFalse(timedOut, "\(args) hung")
        XCTAssertLessThan(p.terminationStatus, 128, "\(args) crashed")
        return RunResult(stdout: try String(contentsOf: outURL, encoding: .utf8), stderr: try String(contentsOf: errURL, encoding: .utf8),
                         status: p.terminationStatus, timedOut: timedOut)
    }

    private func pty(_ args: [String], noColor: Bool) throws -> String {
        var env = ProcessInfo.processInfo.environment
        env.removeValue(forKey: "NO_COLOR")
        if noColor { env["NO_COLOR"] = "1" }
        env["TERM"] = "xterm"
        let p = try PTYProcess(executable: binary, arguments: args, environment: env, currentDirectory: dir.path)
        _ = try p.waitForExit(timeout: 30)
        return p.transcript.replacingOccurrences(of: "\r\n", with: "\n")
    }

    /// A model with an error, and one with a warning and its note.
    private func models() throws {
        try write("bad.strat", "let x = chrun * 2\nlet churn = 1\n")
        try write("twice.strat", """
            plan { start: 2026-01-01, end: 2026-03-31 }
            objective A {
              kr K { baseline: 40%, target: 70% }
            }
            checkin 2026-01-31 {
              A.K = 46%
              A.K = 47%
            }

            """)
    }

    static let plainError = """
        bad.strat:1:9: error: unknown name 'chrun'
         1 | let x = chrun * 2
           |         ^~~~~
           = help: did you mean 'churn'?

        """
    static let plainWarning = """
        twice.strat:7:3: warning: 'A.K' has two check-ins on 2026-01-31; the later one is used
         7 |   A.K = 47%
           |   ^~~~~~~~~
        twice.strat:6:3: note: the earlier check-in is here
         6 |   A.K = 46%
           |   ^~~~~~~~~

        """

    func testDiagnosticsArePlainInAPipe() throws {
        try models()
        let bad = try run(["run", "bad.strat"])
        XCTAssertEqual(bad.status, 65)
        XCTAssertEqual(bad.stderr, Self.plainError)
        let twice = try run(["check", "twice.strat"])
        XCTAssertEqual(twice.status, 0, twice.stderr)
        XCTAssertEqual(twice.stderr, Self.plainWarning)
    }

    func testDiagnosticsAreColouredOnATerminalUnlessNoColor() throws {
        try models()
        let esc = "\u{1B}[", off = "\u{1B}[0m"
        XCTAssertEqual(try pty(["run", "bad.strat"], noColor: false), """
            \(esc)1mbad.strat:1:9: \(off)\(esc)1;31merror\(off): \(esc)1munknown name 'chrun'\(off)
             1 | let x = chrun * 2
               |         \(esc)1;31m^~~~~\(off)
               = help: did you mean 'churn'?

            """)
        XCTAssertEqual(try pty(["check", "twice.strat"], noColor: false), """
            \(esc)1mtwice.strat:7:3: \(off)\(esc)1;33mwarning\(off): \(esc)1m'A.K' has two check-ins on 2026-01-31; the later one is used\(off)
             7 |   A.K = 47%
               |   \(esc)1;31m^~~~~~~~~\(off)
            \(esc)1mtwice.strat:6:3: \(off)\(esc)1;36mnote\(off): \(esc)1mthe earlier check-in is here\(off)
             6 |   A.K = 46%
               |   \(esc)1;31m^~~~~~~~~\(off)

            """)
        XCTAssertEqual(try pty(["run", "bad.strat"], noColor: true), Self.plainError)
        XCTAssertEqual(try pty(["check", "twice.strat"], noColor: true), Self.plainWarning)
    }

    /// A diagnostic without a location keeps its (empty) bold location: the bytes the
    /// library's `rendered(color: true)` wrote before the CLI took the colours over.
    func testAnUnlocatedDiagnosticOnATerminal() throws {
        var env = ProcessInfo.processInfo.environment
        env.removeValue(forKey: "NO_COLOR")
        env["TERM"] = "xterm"
        env["STRAT_HISTORY"] = dir.appendingPathComponent("history").path
        let p = try PTYProcess(executable: binary, arguments: ["repl"], environment: env, currentDirectory: dir.path)
        _ = try p.expect("strat> ")
        try p.type(":show")
        try p.send(PTYKey.enter)
        let out = try p.expect("strat> ")
        try p.send(PTYKey.ctrlD)
        _ = try p.waitForExit(timeout: 30)
        XCTAssertTrue(out.contains("\u{1B}[1m\u{1B}[0m\u{1B}[1;31merror\u{1B}[0m: \u{1B}[1mmissing argument\u{1B}[0m"), out.debugDescription)
    }

    func testExplainDrawsTheTree() throws {
        try write("e.strat", """
            let churn = 3.4%
            let doubled = churn * 2 + 1%
            let broken = churn / 0
            objective RETENTION {
              kr CHURN { current: churn, target: <= 3.5% }
            }

            """)
        let r = try run(["repl", "e.strat"], stdin: """
            :explain RETENTION.score
            :explain doubled depth 1
            :explain broken + 1

            """)
        XCTAssertEqual(r.stdout, """
            RETENTION.score = 1    ← weighted mean of the key results' scores
            ├─ RETENTION.CHURN.weight = 1    ← not given
            └─ RETENTION.CHURN.score = 1    ← clamp(progress, 0, 1)
               └─ RETENTION.CHURN.progress = 1    ← 1 if current <= target, else 0
                  ├─ RETENTION.CHURN.current = 3.4%    ← churn
                  ├─ RETENTION.CHURN.target = 3.5%
                  └─ RETENTION.CHURN.baseline = none    ← not given
            doubled = 7.8%    ← churn * 2 + 1%
            └─ churn * 2 = 6.8%
            broken + 1 = (error)
            └─ broken = (failed)    ← churn / 0
               └─ churn = 3.4%

            """)
        XCTAssertTrue(r.stderr.hasPrefix("e.strat:3:14: error: division by zero"), r.stderr)
        XCTAssertFalse(r.stdout.contains("\u{1B}"))
    }

    /// A formula written over several lines is drawn one line per node, and a very long
    /// one neither floods the terminal nor takes long.
    func testExplainKeepsOneLinePerNodeAndBoundsLongFormulas() throws {
        let group = "(x" + String(repeating: "+x", count: 299) + ")"
        try write("m.strat", "let x = 1\nlet y = (x +\n  x) * (x\n  + 2)\nlet big = " + group + String(repeating: "+" + group, count: 299) + "\n")
        let r = try run(["repl", "m.strat"], stdin: ":explain y\n:explain big\n")
        XCTAssertEqual(r.status, 0, r.stderr)
        let out = r.stdout.split(separator: "\n").map(String.init)
        XCTAssertEqual(Array(out.prefix(6)), [
            "y = 6    ← (x + x) * (x + 2)",
            "├─ x + x = 2",
            "│  ├─ x = 1",
            "│  └─ x = 1",
            "└─ x + 2 = 3",
            "   └─ x = 1",
        ])
        XCTAssertTrue(out.dropFirst(6).first?.hasPrefix("big = 90000    ← (x+x+") == true, r.stdout.prefix(300) + "")
        XCTAssertLessThan(r.stdout.utf8.count, 20_000)
        XCTAssertTrue(out.allSatisfy { $0.count < 400 }, "a line longer than 400 characters")
    }

    /// `strat check` draws carets under what they point at: after wide and combining
    /// characters, and a bidirectional override in the source is shown escaped.
    func testCaretsAlignOnWideAndCombiningCharacters() throws {
        try write("w.strat", "let a = \"日本語\" + zz\nlet b = \"e\u{301}\" + zz\nlet c = \"\u{202E}x\" + zz\n")
        let r = try run(["check", "w.strat"])
        XCTAssertEqual(r.status, 65)
        let err = r.stderr.split(separator: "\n").map(String.init)
        XCTAssertTrue(err.contains(" 1 | let a = \"日本語\" + zz"), r.stderr)
        func under(_ columns: Int) -> String { "   | " + String(repeating: " ", count: columns) + "^~" }
        XCTAssertEqual(err.filter { $0.hasSuffix("^~") }, [under(9 + 6 + 4), under(9 + 1 + 4), under(9 + 9 + 4)], r.stderr)
        XCTAssertTrue(err.contains(" 3 | let c = \"\\u{202E}x\" + zz"), r.stderr)
    }

    /// Text typed into the REPL and quoted in a hint (`x = …` typed for `let x = …`) is
    /// escaped on a colour terminal too, where the CLI's own colour codes pass: piped input
    /// cannot colour or move the terminal through it.
    func testTypedTextInAHintIsEscapedOnAColourTerminal() throws {
        try write("in.txt", "x = 1 \u{1B}[31m\n")
        var env = ProcessInfo.processInfo.environment
        env.removeValue(forKey: "NO_COLOR")
        env["TERM"] = "xterm"
        env["STRAT_HISTORY"] = dir.appendingPathComponent("history").path
        // Standard input a file, standard error the terminal.
        let p = try PTYProcess(executable: "/bin/sh", arguments: ["-c", "exec '\(binary!)' < in.txt"], environment: env,
                               currentDirectory: dir.path)
        _ = try p.waitForExit(timeout: 30)
        let out = p.transcript
        XCTAssertTrue(out.contains("\u{1B}[1;31merror\u{1B}[0m"), out.debugDescription)   // colour is on
        XCTAssertTrue(out.contains("let x = 1 \\u{1B}[31m"), out.debugDescription)
        XCTAssertFalse(out.contains("\u{1B}[31m"), out.debugDescription)
    }

    /// The file name that `:reload`'s note quotes is escaped too: a name holding `ESC[31m`
    /// cannot colour the terminal through the note.
    func testAFileNameInTheReloadNoteIsEscapedOnAColourTerminal() throws {
        let name = "m\u{1B}[31m.strat"
        try write(name, "let a = 1\n")
        var env = ProcessInfo.processInfo.environment
        env.removeValue(forKey: "NO_COLOR")
        env["TERM"] = "xterm"
        env["STRAT_HISTORY"] = dir.appendingPathComponent("history").path
        // The file breaks between the load and the reload, so the reload fails.
        let p = try PTYProcess(executable: "/bin/sh",
                               arguments: ["-c", "{ printf ':load %s\\n' \"$0\"; sleep 1; printf 'let a = (\\n' > \"$0\"; printf ':reload\\n'; } | exec '\(binary!)'", name],
                               environment: env, currentDirectory: dir.path)
        _ = try p.waitForExit(timeout: 30)
        let out = p.transcript
        XCTAssertTrue(out.contains("keeps the previous version of m\\u{1B}[31m.strat"), out.debugDescription)
        XCTAssertFalse(out.contains("\u{1B}[31m"), out.debugDescription)
    }
}
