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

        // Standard error on a colour terminal: diagnostics keep their colours, and text
        // from the command line or the model is escaped there too.
        let err = try PTYProcess(executable: binary, arguments: ["\u{1B}[8mrun", "x"], environment: env, currentDirectory: dir.path)
        XCTAssertEqual(try err.waitForExit(timeout: 30), 64)
        XCTAssertTrue(err.transcript.contains(#"unknown command '\u{1B}[8mrun'"#), err.transcript.debugDescription)
        XCTAssertFalse(err.transcript.contains("\u{1B}[8m"), err.transcript.debugDescription)
        let d = try PTYProcess(executable: binary, arguments: ["run", "evil.strat", "--scenario", "\u{1B}[8mnope"], environment: env,
                               currentDirectory: dir.path)
        XCTAssertEqual(try d.waitForExit(timeout: 30), 64)
        XCTAssertTrue(d.transcript.contains("\u{1B}[1;31merror\u{1B}[0m"), "diagnostic colours: \(d.transcript.debugDescription)")
        XCTAssertTrue(d.transcript.contains(#"'\u{1B}[8mnope'"#), d.transcript.debugDescription)
        XCTAssertFalse(d.transcript.contains("\u{1B}[8m"), d.transcript.debugDescription)
    }

    /// `compare -e EXPR` adds rows of the user's choosing: each expression in each
    /// scenario, in text, Markdown and JSON; a failing one is `error` in its cells.
    func testCompareAddsExpressionRows() throws {
        try write("c.strat", """
            let churn = 4%
            let members = 100
            let kept = members * (1 - churn)
            scenario better { churn = 2% }

            """)
        let t = try run(["compare", "c.strat", "-e", "kept * 2", "-e", "churn / 0"])
        XCTAssertEqual(t.status, 70, t.stderr)
        let lines = t.stdout.split(separator: "\n").map(String.init)
        let row = try XCTUnwrap(lines.first { $0.hasPrefix("kept * 2") }, t.stdout)
        XCTAssertTrue(row.contains("192") && row.contains("196 ▲"), row)
        let bad = try XCTUnwrap(lines.first { $0.hasPrefix("churn / 0") }, t.stdout)
        XCTAssertEqual(bad.components(separatedBy: "error").count - 1, 2, bad)
        XCTAssertTrue(t.stderr.contains("division by zero"), t.stderr)

        let j = try run(["compare", "c.strat", "-e", "kept * 2", "--format", "json"])
        XCTAssertEqual(j.status, 0, j.stderr)
        let obj = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(j.stdout.utf8)) as? [String: Any])
        let rows = try XCTUnwrap(obj["rows"] as? [[String: Any]])
        let mine = try XCTUnwrap(rows.first { $0["key"] as? String == "kept * 2" })
        let values = try XCTUnwrap(mine["values"] as? [[String: Any]])
        XCTAssertEqual(values.map { $0["value"] as? Double }, [192, 196])
        XCTAssertEqual(mine["changed"] as? [Bool], [false, true])

        let m = try run(["compare", "c.strat", "-e", "kept * 2", "--format", "markdown"])
        XCTAssertTrue(m.stdout.contains("| kept \\* 2 | 192 | 196 ▲ |"), m.stdout)
    }

    /// Runs `program arguments` (found on the PATH) in the temporary folder; nil when the
    /// program is not installed.
    private func tool(_ program: String, _ arguments: [String], env: [String: String] = [:]) throws -> RunResult? {
        let path = (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":")
            .map { "\($0)/\(program)" }.first { FileManager.default.isExecutableFile(atPath: $0) }
        guard let exe = path else { return nil }
        let p = Process()
        p.executableURL = URL(fileURLWithPath: exe)
        p.arguments = arguments
        p.currentDirectoryURL = dir
        var e = ProcessInfo.processInfo.environment
        for (k, v) in env { e[k] = v }
        p.environment = e
        let out = dir.appendingPathComponent("tool-\(UUID().uuidString)"), err = dir.appendingPathComponent("tool-err-\(UUID().uuidString)")
        FileManager.default.createFile(atPath: out.path, contents: nil)
        FileManager.default.createFile(atPath: err.path, contents: nil)
        let oh = try FileHandle(forWritingTo: out), eh = try FileHandle(forWritingTo: err)
        p.standardOutput = oh
        p.standardError = eh
        p.standardInput = FileHandle.nullDevice
        try p.run()
        p.waitUntilExit()
        try oh.close(); try eh.close()
        return RunResult(stdout: String(decoding: try Data(contentsOf: out), as: UTF8.self),
                         stderr: String(decoding: try Data(contentsOf: err), as: UTF8.self),
                         status: p.terminationStatus, timedOut: false)
    }

    /// The command names `strat --help` lists.
    private func commandNames() throws -> [String] {
        let help = try run(["--help"]).stdout
        let block = try XCTUnwrap(help.components(separatedBy: "Commands:\n").last?.components(separatedBy: "\n\n").first)
        return block.split(separator: "\n").compactMap { $0.hasPrefix("  ") && !$0.hasPrefix("   ") ? $0.split(separator: " ").first.map(String.init) : nil }
    }

    /// `strat completions bash|zsh|fish` come from the command table: every command is in
    /// each script, each script parses in its shell, and bash completes commands, options,
    /// --format values, .strat files and the scenarios of the file on the command line.
    func testCompletionScripts() throws {
        let names = try commandNames()
        for c in ["run", "eval", "check", "compare", "whatif", "fmt", "repl", "lsp", "watch", "samples", "solve", "sensitivity", "completions"] {
            XCTAssertTrue(names.contains(c), "\(c) missing from --help: \(names)")
        }
        for shell in ["bash", "zsh", "fish"] {
            let r = try run(["completions", shell])
            XCTAssertEqual(r.status, 0, r.stderr)
            try write("strat.\(shell)", r.stdout)
            for c in names { XCTAssertTrue(r.stdout.contains(c), "\(shell) script lacks \(c)") }
            if let check = try tool(shell, ["-n", "strat.\(shell)"]) {
                XCTAssertEqual(check.status, 0, "\(shell) -n: \(check.stderr)")
            }
        }
        XCTAssertEqual(try run(["completions", "tcsh"]).status, 64)

        try write("plan.strat", "let churn = 4%\nscenario optimistic { churn = 2% }\n  scenario slow \"x\" { churn = 5% }\n")
        try write("notes.txt", "")
        try FileManager.default.createDirectory(at: dir.appendingPathComponent("sub"), withIntermediateDirectories: true)
        try write("sim.sh", """
            source strat.bash
            complete -p strat
            c() { COMP_WORDS=("$@"); COMP_CWORD=$(( ${#COMP_WORDS[@]} - 1 )); COMPREPLY=(); _strat; printf '%s ' "${COMPREPLY[@]}"; echo; }
            c strat ru
            c strat compare --for
            c strat run --format ''
            c strat run ''
            c strat run plan.strat --scenario ''
            c strat completions ''
            c strat eval -e ''

            """)
        guard let sim = try tool("bash", ["sim.sh"]) else { throw XCTSkip("bash is not installed") }
        XCTAssertEqual(sim.status, 0, sim.stderr)
        let lines = sim.stdout.split(separator: "\n", omittingEmptySubsequences: false).map { $0.split(separator: " ").map(String.init) }
        XCTAssertEqual(lines.count, 9, sim.stdout)
        XCTAssertTrue(lines[0].contains("_strat"), sim.stdout)
        XCTAssertEqual(lines[1], ["run"])
        XCTAssertEqual(lines[2], ["--format"])
        XCTAssertEqual(lines[3], ["text", "json", "markdown", "html"])
        XCTAssertEqual(Set(lines[4]), ["plan.strat", "sub"])
        XCTAssertEqual(lines[5], ["baseline", "optimistic", "slow"])
        XCTAssertEqual(lines[6], ["bash", "zsh", "fish"])
        XCTAssertEqual(lines[7], [], "an expression has no completion")
        if let f = try tool("fish", ["-c", "source strat.fish; complete -C 'strat run --format '"]) {
            XCTAssertEqual(Set(f.stdout.split(separator: "\n").map { String($0.split(separator: "\t")[0]) }), ["text", "json", "markdown", "html"], f.stderr)
        }
    }

    /// `--help` is wrapped to COLUMNS (else the terminal's width, else 80), and its usage
    /// line lists the options.
    func testHelpWrapsToTheWidthAndUsageListsOptions() throws {
        for columns in [60, 80, 120] {
            let r = try ProcessRunner.run("/usr/bin/env", ["COLUMNS=\(columns)", binary, "run", "--help"], in: dir, timeout: 60)
            XCTAssertEqual(r.status, 0)
            // Examples (`  strat …`) are kept as written; a single word wider than the
            // room left has a line of its own.
            for line in r.stdout.split(separator: "\n") where !line.hasPrefix("  strat ") && line.split(separator: " ").count > 1 {
                XCTAssertLessThanOrEqual(line.count, columns, "COLUMNS=\(columns): \(line)")
            }
            XCTAssertTrue(r.stdout.contains("[--format text|json|markdown|html]"), r.stdout)
            XCTAssertTrue(r.stdout.contains("[--set PATH=EXPR]…"), r.stdout)
        }
        // Not a terminal and no COLUMNS: 80.
        let plain = try ProcessRunner.run("/usr/bin/env", ["-u", "COLUMNS", binary, "run", "--help"], in: dir, timeout: 60)
        XCTAssertTrue(plain.stdout.split(separator: "\n").contains { $0.count > 70 }, plain.stdout)
        XCTAssertFalse(plain.stdout.split(separator: "\n").contains { $0.count > 80 && !$0.hasPrefix("  strat ") }, plain.stdout)
        // A terminal 60 columns wide, no COLUMNS.
        var env = ProcessInfo.processInfo.environment
        env.removeValue(forKey: "COLUMNS")
        let pty = try PTYProcess(executable: binary, arguments: ["check", "--help"], environment: env, columns: 60)
        XCTAssertEqual(try pty.waitForExit(timeout: 30), 0)
        let lines = pty.transcript.components(separatedBy: "\r\n")
        XCTAssertFalse(lines.contains { $0.count > 60 && !$0.hasPrefix("  strat ") }, pty.transcript)
        XCTAssertTrue(lines.contains { $0.count > 45 }, pty.transcript)
        // A usage error shows the same usage line.
        let bad = try run(["run"])
        XCTAssertEqual(bad.status, 64)
        XCTAssertTrue(bad.stderr.contains("Usage: strat run [--scenario NAME]"), bad.stderr)
    }

    /// `make install PREFIX=…` puts strat on the PATH with its completions (with the
    /// binary under test: INSTALL_BIN skips the release build).
    func testMakeInstallIntoAPrefix() throws {
        let prefix = dir.appendingPathComponent("prefix")
        guard let r = try tool("make", ["-s", "-C", ScriptCorpus.packageRoot.path, "install", "PREFIX=\(prefix.path)", "INSTALL_BIN=\(binary!)"]) else {
            throw XCTSkip("make is not installed")
        }
        XCTAssertEqual(r.status, 0, r.stderr)
        for f in ["bin/strat", "share/bash-completion/completions/strat", "share/zsh/site-functions/_strat",
                  "share/fish/vendor_completions.d/strat.fish"] {
            XCTAssertTrue(FileManager.default.fileExists(atPath: prefix.appendingPathComponent(f).path), f)
        }
        let v = try XCTUnwrap(try tool("sh", ["-c", "strat --version"], env: ["PATH": prefix.appendingPathComponent("bin").path + ":/usr/bin:/bin"]))
        XCTAssertEqual(v.status, 0, v.stderr)
        XCTAssertTrue(v.stdout.hasPrefix("strat "), v.stdout)
        let bash = try String(contentsOf: prefix.appendingPathComponent("share/bash-completion/completions/strat"), encoding: .utf8)
        XCTAssertTrue(bash.contains("complete -o filenames -F _strat strat"))
    }

    /// An unknown name in one KR used to stop the whole model (nothing but the error was
    /// shown); it fails only that KR now, the others are computed, and a KR (or objective,
    /// or plan) whose score failed says `error`, not `unscored`.
    func testUnknownNameInOneKRIsIsolatedAndShownAsAnError() throws {
        try write("kr.strat", """
            objective O "o" {
              kr A "a" { current: 5, target: 10 }
              kr B "b" { current: nosuch, target: 10 }
              kr C "c" { current: 3, target: 10 }
            }

            """)
        let r = try run(["run", "kr.strat"])
        XCTAssertEqual(r.status, 65, r.stderr)
        XCTAssertTrue(r.stderr.contains("kr.strat:3:23: error: unknown name 'nosuch'"), r.stderr)
        let lines = r.stdout.split(separator: "\n").map(String.init)
        func row(_ k: String) throws -> String { try XCTUnwrap(lines.first { $0.hasPrefix("    \(k) ") }, r.stdout) }
        XCTAssertTrue(try row("A").contains("0.50  yellow"), r.stdout)
        XCTAssertTrue(try row("C").contains("0.30  red"), r.stdout)
        XCTAssertTrue(try row("B").contains(" error "), r.stdout)
        XCTAssertFalse(r.stdout.contains("unscored"), r.stdout)
        XCTAssertTrue(r.stdout.contains("Plan score  error"), r.stdout)
        let md = try run(["run", "kr.strat", "--format", "markdown"])
        XCTAssertEqual(md.status, 65)
        XCTAssertTrue(md.stdout.contains("| `B` |  | — | 10 | — | error | b |"), md.stdout)
        // A runtime error in a KR is shown the same way (exit 70).
        try write("rt.strat", "objective O \"o\" {\n  kr A \"a\" { current: 1/0, target: 10 }\n  kr C \"c\" { current: 3, target: 10 }\n}\n")
        let rt = try run(["run", "rt.strat"])
        XCTAssertEqual(rt.status, 70)
        XCTAssertTrue(rt.stdout.split(separator: "\n").contains { $0.hasPrefix("    A ") && $0.contains(" error ") }, rt.stdout)
        // check and eval see the same isolation.
        XCTAssertEqual(try run(["check", "kr.strat"]).status, 65)
        let e = try run(["eval", "kr.strat", "-e", "O.A.score", "-e", "O.B.score"])
        XCTAssertEqual(e.stdout, "0.5\nerror\n")
        XCTAssertEqual(e.status, 65)
    }

    /// Report cells show 4 significant digits with a magnitude suffix where a value was
    /// rounded (1,048,576 was `1049000`, looking exact; 5.769230769 had 10 digits), an exact
    /// short value as it is (`99.995%`), and trailing zeros where rounding hid digits
    /// (`2.000`); JSON and eval stay exact.
    func testReportCellsUseOneDisplayRule() throws {
        try write("p.strat", """
            let n = 1048576
            let r = 5.769230769230769
            projection p over 3 quarters {
              start: n
              next: value * 1.5
            }
            projection q over 1 years { start: 2.000001, next: value }
            objective O "o" {
              kr A "a" { current: r, target: 10 }
              kr B "b" { current: 99.995%, target: 99.9999% }
              kr H "h" { current: 3.161111111h, target: 3.2h }
            }

            """)
        for format in ["text", "markdown"] {
            let r = try run(["run", "p.strat", "--format", format])
            XCTAssertEqual(r.status, 0, r.stderr)
            for s in ["1.049M", "1.573M", "3.539M", "5.769", "99.995%", "99.9999%", "3.161h", "2.000"] {
                XCTAssertTrue(r.stdout.contains(s), "\(format): no \(s) in\n\(r.stdout)")
            }
            for s in ["1049000", "1048576", "5.769230769", "3.161111111"] {
                XCTAssertFalse(r.stdout.contains(s), "\(format): \(s) in\n\(r.stdout)")
            }
        }
        let j = try run(["run", "p.strat", "--format", "json"])
        XCTAssertTrue(j.stdout.contains("1048576"), j.stdout)
        XCTAssertEqual(try run(["eval", "p.strat", "-e", "r", "-e", "n"]).stdout, "5.769230769\n1048576\n")
    }

    /// `--scenario` suggests a scenario (it listed them all, no "did you mean"); a value
    /// spelt alike is not offered.
    func testScenarioOptionSuggestsScenarios() throws {
        try write("s.strat", "let optimistc_rate = 1\nscenario optimistic { optimistc_rate = 2 }\n")
        let r = try run(["run", "s.strat", "--scenario", "optimistc"])
        XCTAssertEqual(r.status, 64)
        XCTAssertTrue(r.stderr.contains("did you mean 'optimistic'?"), r.stderr)
        let c = try run(["compare", "s.strat", "--scenarios", "baseline,optimistc"])
        XCTAssertEqual(c.status, 64)
        XCTAssertTrue(c.stderr.contains("did you mean 'optimistic'?"), c.stderr)
    }
}
