import Foundation
import XCTest

/// SPEC §15 through the CLI as a subprocess: `--as-of` on reports, the tracking view in
/// text, Markdown and JSON, actuals files with bad rows, `strat diff` (files and
/// `--rev` in a temporary git repository), and the REPL's `:history` and `:asof`.
final class TrackingCLITests: XCTestCase {
    var dir: URL!

    static let model = """
    plan { start: 2026-01-01, end: 2026-04-11 }
    import "actuals.csv"
    objective O "Grow" {
      kr A "Users" { baseline: 0, target: 100 }
      kr B "Latency" { baseline: 120ms, target: 80ms }
    }
    checkin 2026-01-21 "first" { O.A = 30; O.A.confidence = 0.6 }
    retro R { action LATE "late" { due: 2026-02-01, status: "open" } }
    """

    // Day 60 of the 100-day period; line 3 has a typo in the path.
    static let csv = "date,path,value,confidence,note\n2026-03-02,O.A,50,0.8,\"second, late\"\n2026-03-02,O.AA,1,,\n2026-02-10,O.B,110ms,,\n"

    override func setUpWithError() throws {
        dir = FileManager.default.temporaryDirectory.appendingPathComponent("strat-track-\(getpid())-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        try Self.model.write(to: dir.appendingPathComponent("plan.strat"), atomically: true, encoding: .utf8)
        try Self.csv.write(to: dir.appendingPathComponent("actuals.csv"), atomically: true, encoding: .utf8)
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: dir) }

    func strat(_ args: [String]) throws -> RunResult {
        guard let bin = ScriptCorpus.binary() else { throw XCTSkip("STRAT_BIN is not set") }
        return try ProcessRunner.run(bin, args, in: dir, timeout: 60)
    }

    func testTextReportAsOfDay70() throws {
        let r = try strat(["run", "plan.strat", "--as-of", "2026-03-12"])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stdout.contains("As of     2026-03-12") || r.stdout.contains("As of  2026-03-12") || r.stdout.contains("2026-03-12"), r.stdout)
        let line = try XCTUnwrap(r.stdout.split(separator: "\n").first { $0.contains("O.A ") }, r.stdout)
        // progress 0.5 fills 5 of 10 cells; elapsed 0.7 puts the marker in the 7th.
        XCTAssertTrue(line.contains("█████░│░░░"), String(line))
        XCTAssertTrue(line.contains("expected 70"), String(line))
        XCTAssertTrue(line.contains("pace 0.71"), String(line))
        XCTAssertTrue(line.contains("forecast 84.29 (0.84)"), String(line))   // 3540/42
        XCTAssertTrue(line.contains("on track"), String(line))
        XCTAssertTrue(line.contains("confidence 0.60→0.80"), String(line))
        XCTAssertTrue(line.contains("▁█"), String(line))
        XCTAssertTrue(r.stdout.contains("overdue R.actions.LATE"), r.stdout)
        // The bad row is a located warning with a did-you-mean; the rest loaded.
        XCTAssertTrue(r.stderr.contains("actuals.csv:3:14: warning: 'O.AA' is not a key result or metric; the row is left out"), r.stderr)
        XCTAssertTrue(r.stderr.contains("did you mean 'O.A'?"), r.stderr)
    }

    func testAsOfBeforeTheFirstCheckin() throws {
        let r = try strat(["eval", "plan.strat", "--as-of", "2026-01-10", "--format", "json",
                           "-e", "O.A.current", "-e", "O.A.elapsed", "-e", "O.A.pace", "-e", "O.A.health", "-e", "count(O.A.history)"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let out = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [[String: Any]])
        XCTAssertTrue(out[0]["value"] is NSNull, "no check-in known yet: unscored")
        XCTAssertEqual(out[1]["value"] as? Double ?? -1, 0.09, accuracy: 1e-12)   // day 9 of 100
        XCTAssertTrue(out[2]["value"] is NSNull)
        XCTAssertTrue(out[3]["value"] is NSNull)
        XCTAssertEqual(out[4]["value"] as? Double, 2, "history holds every check-in, known or not")
    }

    func testJSONAndMarkdownReports() throws {
        let j = try strat(["run", "plan.strat", "--as-of", "2026-02-20", "--format", "json"])
        XCTAssertEqual(j.status, 0, j.stderr)
        let obj = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(j.stdout.utf8)) as? [String: Any])
        XCTAssertEqual(obj["as_of"] as? String, "2026-02-20")
        let plan = try XCTUnwrap(obj["plan"] as? [String: Any])
        XCTAssertEqual(plan["overdue"] as? [String], ["R.actions.LATE"])
        let kr = try XCTUnwrap(((obj["objectives"] as? [[String: Any]])?.first?["krs"] as? [[String: Any]])?.first)
        XCTAssertEqual(kr["elapsed"] as? Double, 0.5)
        XCTAssertEqual(kr["pace"] as? Double ?? 0, 0.6, accuracy: 1e-12)
        XCTAssertEqual(kr["health"] as? String, "on track")
        let history = try XCTUnwrap(kr["history"] as? [[String: Any]])
        XCTAssertEqual(history.map { $0["date"] as? String }, ["2026-01-21", "2026-03-02"])
        XCTAssertEqual(history.map { $0["future"] as? Bool }, [false, true])
        XCTAssertEqual(history[1]["note"] as? String, "second, late")
        let m = try strat(["run", "plan.strat", "--as-of", "2026-02-20", "--format", "markdown"])
        XCTAssertTrue(m.stdout.contains("## Tracking (as of 2026-02-20)"), m.stdout)
        XCTAssertTrue(m.stdout.contains("| `O.A` | `███░│░░░░░` 30 | 50 | 0.60 | 150 (1.00) | on track |"), m.stdout)
        XCTAssertTrue(m.stdout.contains("**Overdue actions:** `R.actions.LATE`"), m.stdout)
    }

    func testDiffFiles() throws {
        var v2 = Self.model.replacingOccurrences(of: "O.A = 30", with: "O.A = 20")
        v2 = v2.replacingOccurrences(of: "  kr B \"Latency\" { baseline: 120ms, target: 80ms }\n", with: "  kr C \"New\" { target: 10, current: 5 }\n")
        try v2.write(to: dir.appendingPathComponent("v2.strat"), atomically: true, encoding: .utf8)
        let t = try strat(["diff", "plan.strat", "v2.strat", "--as-of", "2026-02-20"])
        XCTAssertEqual(t.status, 0, t.stderr)
        let lines = t.stdout.split(separator: "\n").map(String.init)
        XCTAssertEqual(lines[0], "+ kr O.C")
        XCTAssertTrue(lines.contains("- kr O.B"), t.stdout)
        XCTAssertTrue(lines.contains("- checkin O.B.history[2026-02-10]"), t.stdout)
        let changed = lines.filter { $0.contains("→") }
        XCTAssertTrue(changed.first?.hasPrefix("plan.score:") ?? false, t.stdout)
        XCTAssertTrue(changed.contains { $0.hasPrefix("O.A.current:") && $0.hasSuffix("30 → 20") }, t.stdout)
        let j = try strat(["diff", "plan.strat", "v2.strat", "--as-of", "2026-02-20", "--format", "json"])
        let obj = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(j.stdout.utf8)) as? [String: Any])
        XCTAssertEqual((obj["added"] as? [[String: String]])?.map { $0["path"] }, ["O.C"])
        let md = try strat(["diff", "plan.strat", "v2.strat", "--as-of", "2026-02-20", "--format", "markdown"])
        XCTAssertTrue(md.stdout.hasPrefix("### Strat diff: `plan.strat` → `v2.strat`"), md.stdout)
        XCTAssertTrue(md.stdout.contains("#### Scores and health"), md.stdout)
        XCTAssertTrue(md.stdout.contains("- ➕ added kr `O.C`"), md.stdout)
        let same = try strat(["diff", "plan.strat", "plan.strat"])
        XCTAssertEqual(same.stdout, "no differences\n")
        let usage = try strat(["diff", "plan.strat"])
        XCTAssertEqual(usage.status, 64)
    }

    /// Runs git in the test folder (as a throwaway identity); skips when git is missing.
    func gitRunner() throws -> ([String]) throws -> Void {
        let git = ["/usr/bin/git", "/usr/local/bin/git", "/bin/git"].first { FileManager.default.isExecutableFile(atPath: $0) }
        guard let git else { throw XCTSkip("git is not installed") }
        let dir = self.dir!
        return { args in
            let r = try ProcessRunner.run(git, ["-c", "user.email=t@example.com", "-c", "user.name=t"] + args, in: dir, timeout: 60)
            XCTAssertEqual(r.status, 0, r.stderr)
        }
    }

    func testDiffAgainstAGitRevision() throws {
        let run = try gitRunner()
        try run(["init", "-q"])
        try run(["add", "."])
        try run(["commit", "-q", "-m", "v1"])
        try Self.model.replacingOccurrences(of: "O.A = 30", with: "O.A = 40")
            .write(to: dir.appendingPathComponent("plan.strat"), atomically: true, encoding: .utf8)
        let r = try strat(["diff", "--rev", "HEAD", "plan.strat", "--as-of", "2026-02-20", "--format", "json"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let obj = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
        let changed = try XCTUnwrap(obj["changed"] as? [[String: Any]])
        let current = try XCTUnwrap(changed.first { $0["path"] as? String == "O.A.current" })
        XCTAssertEqual((current["before"] as? [String: Any])?["value"] as? Double, 30)
        XCTAssertEqual((current["after"] as? [String: Any])?["value"] as? Double, 40)
        XCTAssertEqual(changed.first?["path"] as? String, "plan.score")
        // An unknown revision is an input error (66), named.
        let bad = try strat(["diff", "--rev", "no-such-rev", "plan.strat"])
        XCTAssertEqual(bad.status, 66)
        XCTAssertTrue(bad.stderr.contains("git show no-such-rev:plan.strat failed"), bad.stderr)
    }

    /// `--rev` reads the old version's imports at the revision too: a check-in corrected in
    /// the actuals file shows as a change, and an import missing from the revision is named.
    func testDiffAgainstAGitRevisionReadsImportsAtThatRevision() throws {
        let run = try gitRunner()
        try FileManager.default.createDirectory(at: dir.appendingPathComponent("sub"), withIntermediateDirectories: true)
        try "let GOAL = 100\n".write(to: dir.appendingPathComponent("sub/lets.strat"), atomically: true, encoding: .utf8)
        try Self.model.replacingOccurrences(of: "target: 100 }", with: "target: GOAL }")
            .replacingOccurrences(of: "import \"actuals.csv\"", with: "import \"actuals.csv\"\nimport \"sub/lets.strat\"")
            .write(to: dir.appendingPathComponent("plan.strat"), atomically: true, encoding: .utf8)
        try run(["init", "-q"])
        try run(["add", "."])
        try run(["commit", "-q", "-m", "v1"])
        // Only the imported files change: the March check-in is corrected, the goal raised.
        try Self.csv.replacingOccurrences(of: "2026-03-02,O.A,50,", with: "2026-03-02,O.A,60,")
            .write(to: dir.appendingPathComponent("actuals.csv"), atomically: true, encoding: .utf8)
        try "let GOAL = 120\n".write(to: dir.appendingPathComponent("sub/lets.strat"), atomically: true, encoding: .utf8)
        let r = try strat(["diff", "--rev", "HEAD", "plan.strat", "--as-of", "2026-03-12", "--format", "json"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let obj = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any], r.stdout)
        let changed = try XCTUnwrap(obj["changed"] as? [[String: Any]])
        func change(_ path: String) -> (Double?, Double?) {
            let c = changed.first { $0["path"] as? String == path }
            return ((c?["before"] as? [String: Any])?["value"] as? Double, (c?["after"] as? [String: Any])?["value"] as? Double)
        }
        XCTAssertEqual(change("O.A.current").0, 50, r.stdout)
        XCTAssertEqual(change("O.A.current").1, 60, r.stdout)
        XCTAssertEqual(change("GOAL").0, 100, r.stdout)
        XCTAssertEqual(change("GOAL").1, 120, r.stdout)
        // The working tree's file is not a fallback: an import the revision lacks is an error.
        try run(["rm", "-q", "--cached", "actuals.csv"])
        try run(["commit", "-q", "-m", "untrack the actuals"])
        let missing = try strat(["diff", "--rev", "HEAD", "plan.strat", "--as-of", "2026-03-12"])
        XCTAssertNotEqual(missing.status, 0, missing.stdout)
        XCTAssertTrue(missing.stderr.contains("cannot read imported file 'actuals.csv' at HEAD"), missing.stderr)
        XCTAssertTrue(missing.stderr.contains("plan.strat@HEAD:2:"), missing.stderr)
    }

    func testREPLHistoryAndAsOf() throws {
        let (out, err, status) = try repl(":asof\nO.A.current\n:history O.A\n:asof 2026-03-12\nO.A.current\n:history O.AB\n")
        let lines = out.split(separator: "\n").map(String.init)
        XCTAssertEqual(lines.first, "today is 2026-02-20", out)
        XCTAssertEqual(lines.dropFirst().first, "30", out)
        XCTAssertTrue(out.contains("O.A  as of 2026-02-20  on track"), out)
        XCTAssertTrue(lines.contains { $0.hasPrefix("  2026-03-02") && $0.hasSuffix("second, late (after today)") }, out)
        XCTAssertTrue(out.contains("today is now 2026-03-12"), out)
        XCTAssertTrue(lines.contains { $0.hasPrefix("O.A.current:") && $0.hasSuffix("30 → 50") }, out)
        XCTAssertTrue(lines.contains("50"), out)
        XCTAssertTrue(err.contains("'O.AB' is not a key result or metric"), err)
        XCTAssertTrue(err.contains("did you mean 'O.A'?"), err)
        XCTAssertEqual(status, 65, "a failed command is a script error in piped input")
    }

    func testREPLTypedCheckin() throws {
        // A check-in typed in the session joins the history; `plan.score` stays an expression.
        let (out, err, status) = try repl("checkin 2026-02-15 { O.A = 40 }\nO.A.current\nO.A.history.date\nplan.score\n")
        XCTAssertEqual(status, 0, err)
        XCTAssertEqual(out.split(separator: "\n").map(String.init), ["40", "[2026-01-21, 2026-02-15, 2026-03-02]", "0.325"])
    }

    /// `strat repl plan.strat --as-of 2026-02-20` with `input` piped in.
    func repl(_ input: String) throws -> (String, String, Int32) {
        guard let bin = ScriptCorpus.binary() else { throw XCTSkip("STRAT_BIN is not set") }
        let p = Process()
        p.executableURL = URL(fileURLWithPath: bin)
        p.arguments = ["repl", "plan.strat", "--as-of", "2026-02-20"]
        p.currentDirectoryURL = dir
        var env = ProcessInfo.processInfo.environment
        env["NO_COLOR"] = "1"
        env["STRAT_HISTORY"] = dir.appendingPathComponent("history").path
        p.environment = env
        let inPipe = Pipe(), outPipe = Pipe(), errPipe = Pipe()
        p.standardInput = inPipe
        p.standardOutput = outPipe
        p.standardError = errPipe
        try p.run()
        inPipe.fileHandleForWriting.write(Data(input.utf8))
        try inPipe.fileHandleForWriting.close()
        let out = String(decoding: outPipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        let err = String(decoding: errPipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        p.waitUntilExit()
        return (out, err, p.terminationStatus)
    }
}
