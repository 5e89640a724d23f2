import Foundation
import XCTest

/// End-to-end tests of the `strat` binary. The binary comes from `STRAT_BIN`, else from
/// the package's default debug build folder; without one the tests are skipped.
final class CLITests: XCTestCase {
    // MARK: Harness

    struct Output {
        var code: Int32
        var out: String
        var err: String
    }

    static let packageRoot: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let fixtures = packageRoot.appendingPathComponent("Tests/Fixtures/cli")

    static func fixture(_ name: String) -> String { fixtures.appendingPathComponent(name).path }

    func binary() throws -> String {
        if let b = ProcessInfo.processInfo.environment["STRAT_BIN"], !b.isEmpty { return b }
        let fallback = Self.packageRoot.appendingPathComponent(".build/debug/strat").path
        guard FileManager.default.isExecutableFile(atPath: fallback) else {
            throw XCTSkip("set STRAT_BIN to the strat binary")
        }
        return fallback
    }

    var tempDir: URL!

    override func setUpWithError() throws {
        tempDir = FileManager.default.temporaryDirectory.appendingPathComponent("strat-cli-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: tempDir, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: tempDir)
    }

    /// Runs strat with arguments (and optional stdin); output goes through files so that
    /// large outputs cannot block.
    @discardableResult
    func strat(_ args: [String], stdin: String? = nil, input: Data? = nil, env: [String: String] = [:],
               executable: String? = nil) throws -> Output {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: try executable ?? binary())
        p.arguments = args
        var environment = ProcessInfo.processInfo.environment
        environment.removeValue(forKey: "NO_COLOR")
        for (k, v) in env { environment[k] = v }
        p.environment = environment
        let id = UUID().uuidString
        let outURL = tempDir.appendingPathComponent("out-\(id)"), errURL = tempDir.appendingPathComponent("err-\(id)")
        FileManager.default.createFile(atPath: outURL.path, contents: nil)
        FileManager.default.createFile(atPath: errURL.path, contents: nil)
        let outH = try FileHandle(forWritingTo: outURL), errH = try FileHandle(forWritingTo: errURL)
        p.standardOutput = outH
        p.standardError = errH
        let inPipe = Pipe()
        p.standardInput = inPipe
        try p.run()
        if let s = stdin { inPipe.fileHandleForWriting.write(Data(s.utf8)) }
        if let d = input { inPipe.fileHandleForWriting.write(d) }
        try inPipe.fileHandleForWriting.close()
        p.waitUntilExit()
        try outH.close()
        try errH.close()
        let out = String(decoding: try Data(contentsOf: outURL), as: UTF8.self)
        let err = String(decoding: try Data(contentsOf: errURL), as: UTF8.self)
        return Output(code: p.terminationStatus, out: out, err: err)
    }

    func json(_ s: String, file: StaticString = #filePath, line: UInt = #line) throws -> Any {
        do {
            return try JSONSerialization.jsonObject(with: Data(s.utf8), options: [.fragmentsAllowed])
        } catch {
            XCTFail("not JSON: \(s.prefix(400))", file: file, line: line)
            throw error
        }
    }

    func copyFixture(_ name: String) throws -> String {
        let dest = tempDir.appendingPathComponent(name)
        try? FileManager.default.removeItem(at: dest)
        try FileManager.default.copyItem(atPath: Self.fixture(name), toPath: dest.path)
        return dest.path
    }

    func write(_ name: String, _ text: String) throws -> String {
        let url = tempDir.appendingPathComponent(name)
        try text.write(to: url, atomically: true, encoding: .utf8)
        return url.path
    }

    let netflix = CLITests.fixture("netflix.strat")

    // MARK: Version and help

    func testVersionAndHelp() throws {
        let v = try strat(["--version"])
        XCTAssertEqual(v.code, 0)
        XCTAssertTrue(v.out.hasPrefix("strat 0."), v.out)
        let h = try strat(["--help"])
        XCTAssertEqual(h.code, 0)
        for sub in ["run", "eval", "check", "compare", "whatif", "fmt"] {
            XCTAssertTrue(h.out.contains("  \(sub) "), "missing \(sub) in help")
            let sh = try strat([sub, "--help"])
            XCTAssertEqual(sh.code, 0, sub)
            XCTAssertTrue(sh.out.contains("Examples:"), "\(sub) --help has no examples")
            XCTAssertTrue(sh.out.contains("strat \(sub)"), sub)
        }
    }

    // MARK: Exit codes (SPEC §8)

    func testExitCodeSuccess() throws {
        let r = try strat(["run", netflix])
        XCTAssertEqual(r.code, 0, r.err)
    }

    func testExitCodeAssertionFailed() throws {
        let r = try strat(["run", Self.fixture("assert_fail.strat")])
        XCTAssertEqual(r.code, 1)
        XCTAssertTrue(r.err.contains("assertion failed: growth below 5%"), r.err)
        XCTAssertTrue(r.out.contains("✗"), r.out)
        XCTAssertTrue(r.out.hasPrefix("4%\n"), "print output comes first: \(r.out)")
    }

    func testExitCodeUsage() throws {
        let cases: [[String]] = [
            ["run"],                                          // missing FILE
            ["run", netflix, "--bogus"],                      // unknown option
            ["run", netflix, "--format", "xml"],              // bad format
            ["eval", netflix],                                // no -e
            ["eval", "-e", "1", "--format", "markdown"],      // eval has no markdown
            ["run", netflix, "--set", "churn"],               // --set without '='
            ["run", netflix, "--scenario", "nope"],           // unknown scenario
            ["run", netflix, "--set", "nope=1"],              // unknown override path
            ["run", netflix, "--set", "churn=chrun"],         // override that does not compile
            ["whatif", netflix],                              // whatif needs --set
            ["whatif", netflix, "--set", "nope=1"],
            ["compare", netflix, "--scenarios", "baseline,nope"],
            ["compare", netflix, "--scenarios", ","],
            ["fmt"],
            ["nosuchcommand"],
        ]
        for args in cases {
            let r = try strat(args)
            XCTAssertEqual(r.code, 64, "\(args): \(r.err)")
            XCTAssertFalse(r.err.isEmpty, "\(args) says nothing")
        }
    }

    func testExitCodeScriptErrors() throws {
        let s = try strat(["run", Self.fixture("syntax_error.strat")])
        XCTAssertEqual(s.code, 65)
        // The parser recovers: more than one syntax error is reported.
        XCTAssertGreaterThanOrEqual(s.err.components(separatedBy: ": error: ").count - 1, 2, s.err)
        XCTAssertEqual(s.out, "")
        let n = try strat(["run", Self.fixture("name_error.strat")])
        XCTAssertEqual(n.code, 65)
        XCTAssertTrue(n.err.contains("unknown name 'chrun'"), n.err)
        XCTAssertTrue(n.err.contains("did you mean 'churn'?"), n.err)
        XCTAssertTrue(n.err.contains("name_error.strat:2:"), n.err)
        XCTAssertEqual(try strat(["eval", "-e", "nosuch + 1"]).code, 65)
    }

    func testExitCodeUnreadable() throws {
        XCTAssertEqual(try strat(["run", tempDir.appendingPathComponent("missing.strat").path]).code, 66)
        XCTAssertEqual(try strat(["run", tempDir.path]).code, 66, "a directory is not a readable model")
        XCTAssertEqual(try strat(["check", "/nonexistent/x.strat"]).code, 66)
        XCTAssertEqual(try strat(["fmt", "/nonexistent/x.strat"]).code, 66)
        XCTAssertEqual(try strat(["eval", "/nonexistent/x.strat", "-e", "1"]).code, 66)
    }

    func testExitCodeRuntimeError() throws {
        let r = try strat(["run", Self.fixture("runtime_error.strat")])
        XCTAssertEqual(r.code, 70)
        XCTAssertTrue(r.err.contains("division by zero"), r.err)
        XCTAssertTrue(r.out.contains("2"), "the rest is still evaluated: \(r.out)")
        XCTAssertEqual(try strat(["eval", "-e", "1 / 0"]).code, 70)
        XCTAssertEqual(try strat(["run", netflix, "--set", "churn=1/0"]).code, 70)
        XCTAssertEqual(try strat(["whatif", netflix, "--set", "churn=1/0"]).code, 70)
    }

    func testCheckProcessesEveryFile() throws {
        let r = try strat(["check", Self.fixture("name_error.strat"), Self.fixture("syntax_error.strat"),
                           Self.fixture("runtime_error.strat"), netflix])
        XCTAssertEqual(r.code, 65)
        XCTAssertTrue(r.err.contains("name_error.strat"), r.err)
        XCTAssertTrue(r.err.contains("syntax_error.strat"), r.err)
        XCTAssertTrue(r.err.contains("runtime_error.strat"), r.err)
        XCTAssertEqual(try strat(["check", netflix]).code, 0)
        XCTAssertEqual(try strat(["check", Self.fixture("runtime_error.strat"), netflix]).code, 70)
        XCTAssertEqual(try strat(["check", Self.fixture("assert_fail.strat")]).code, 1)
        XCTAssertEqual(try strat(["check", "/nonexistent.strat", Self.fixture("name_error.strat")]).code, 66)
        let j = try strat(["check", Self.fixture("name_error.strat"), Self.fixture("runtime_error.strat"), "--format", "json"])
        let lines = j.err.split(separator: "\n")
        XCTAssertEqual(lines.count, 2, j.err)
        for l in lines { try checkDiagnosticLine(String(l)) }
    }

    // MARK: Formats

    func testRunJSONHasSpecKeys() throws {
        let r = try strat(["run", netflix, "--format", "json"])
        XCTAssertEqual(r.code, 0, r.err)
        let root = try XCTUnwrap(try json(r.out) as? [String: Any])
        for k in ["scenario", "mission", "plan", "variables", "objectives", "metrics", "swots", "projections",
                  "retros", "prints", "assertions"] {
            XCTAssertNotNil(root[k], "missing \(k)")
        }
        XCTAssertEqual(root["scenario"] as? String, "baseline")
        let plan = try XCTUnwrap(root["plan"] as? [String: Any])
        for k in ["score", "status", "unsupported_priorities", "unaddressed"] { XCTAssertNotNil(plan[k], "plan.\(k)") }
        XCTAssertTrue(plan["score"] is Double || plan["score"] is NSNumber, "scores are plain numbers")
        XCTAssertEqual(plan["unsupported_priorities"] as? [String], ["Engineering.priorities.EXPAND"])
        let vars = try XCTUnwrap(root["variables"] as? [String: Any])
        let churn = try XCTUnwrap(vars["churn"] as? [String: Any])
        XCTAssertEqual(churn["value"] as? Double ?? 0, 0.038, accuracy: 1e-12)
        XCTAssertEqual(churn["unit"] as? String, "%")
        XCTAssertEqual(churn["display"] as? String, "3.8%")
        let objectives = try XCTUnwrap(root["objectives"] as? [[String: Any]])
        let krs = try XCTUnwrap(objectives.first?["krs"] as? [[String: Any]])
        let latency = try XCTUnwrap(krs.first { $0["name"] as? String == "LATENCY" })
        let target = try XCTUnwrap(latency["target"] as? [String: Any])
        XCTAssertEqual(target["value"] as? Double ?? 0, 0.078, accuracy: 1e-12, "base units: seconds")
        XCTAssertEqual(target["display"] as? String, "78ms")
        XCTAssertNotNil(latency["score"] as? Double)
        let automation = try XCTUnwrap(krs.first { $0["name"] as? String == "AUTOMATION" })
        XCTAssertTrue(automation["score"] is NSNull, "none is null")
        let swot = try XCTUnwrap((root["swots"] as? [[String: Any]])?.first)
        for k in ["items", "ife", "efe", "ie_cell", "posture"] { XCTAssertNotNil(swot[k], "swot.\(k)") }
        let items = try XCTUnwrap(swot["items"] as? [[String: Any]])
        XCTAssertEqual(Set(items.compactMap { $0["category"] as? String }),
                       ["strength", "weakness", "opportunity", "threat", "priority"])
        for i in items { XCTAssertNotNil(i["name"] as? String); XCTAssertNotNil(i["text"] as? String) }
        let projections = try XCTUnwrap(root["projections"] as? [[String: Any]])
        let subs = try XCTUnwrap(projections.first { $0["name"] as? String == "subscribers" })
        XCTAssertEqual(subs["periods"] as? Int, 8)
        XCTAssertEqual(subs["period"] as? String, "quarters")
        XCTAssertEqual((subs["series"] as? [Any])?.count, 9)
        let retro = try XCTUnwrap((root["retros"] as? [[String: Any]])?.first)
        let retroItems = try XCTUnwrap(retro["items"] as? [[String: Any]])
        XCTAssertEqual(retroItems.map { $0["category"] as? String ?? "" }, ["went_well", "not_well", "learning", "action"])
        XCTAssertEqual(retroItems.last?["owner"] as? String, "Mobile")
        XCTAssertEqual(root["prints"] as? [String], ["LTV: $302.6315789", "ad members: 78.6M"])
        let asserts = try XCTUnwrap(root["assertions"] as? [[String: Any]])
        XCTAssertEqual(asserts.count, 2)
        XCTAssertEqual(asserts.first?["passed"] as? Bool, true)
    }

    /// One failing cell must not hide the rest (issue 12): the report is still printed,
    /// `eval` still answers unrelated names, and the exit code comes from the error.
    func testOneErrorDoesNotHideTheRest() throws {
        let f = try write("partial.strat", """
        let x = 5
        objective GROW "Grow" {
          kr A "Zero target" { target: 0, current: 3 }
          kr B "Fine" { baseline: 0, target: 10, current: 4 }
        }
        metric M "Mismatch" { target: $10, current: 3h }

        """)
        let r = try strat(["run", f], env: ["NO_COLOR": "1"])
        XCTAssertEqual(r.code, 65, r.err)
        XCTAssertTrue(r.err.contains("its target is 0 and it has no baseline"), r.err)
        XCTAssertTrue(r.err.contains("unit mismatch in 'M'"), r.err)
        XCTAssertTrue(r.out.contains("Objectives"), r.out)
        XCTAssertTrue(r.out.contains("0.40"), "B's score is still shown: \(r.out)")
        let e = try strat(["eval", f, "-e", "x", "-e", "GROW.A.progress", "-e", "GROW.B.score", "-e", "x + 1"])
        XCTAssertEqual(e.code, 65, e.err)
        XCTAssertEqual(e.out, "5\nerror\n0.4\n6\n", "one line per -e, in order")
        let j = try strat(["run", f, "--format", "json"])
        XCTAssertEqual(j.code, 65, j.err)
        XCTAssertNotNil(try json(j.out) as? [String: Any])
    }

    /// `eval` prints one line per expression also when an expression fails.
    func testEvalOneLinePerExpression() throws {
        let e = try strat(["eval", "-e", "1 + 1", "-e", "1 / 0", "-e", "nosuch", "-e", "3"])
        XCTAssertEqual(e.out, "2\nerror\nerror\n3\n")
        XCTAssertEqual(e.code, 65, e.err)
    }

    /// Tokens after a complete expression: said as every other syntax error is ("expected
    /// …, found …"), located at the first one.
    func testEvalReportsWhatFollowsTheExpression() throws {
        let e = try strat(["eval", "-e", "1 2"])
        XCTAssertEqual(e.code, 65, e.err)
        XCTAssertTrue(e.err.contains("1:3: error: expected the end of the expression, found a number"), e.err)
    }

    func testRunJSONCarriesOverrides() throws {
        let r = try strat(["run", netflix, "--format", "json", "--scenario", "optimistic", "--set", "ad_share=50%", "--set", "churn=3%"])
        XCTAssertEqual(r.code, 0, r.err)
        let root = try XCTUnwrap(try json(r.out) as? [String: Any])
        let o = try XCTUnwrap(root["overrides"] as? [[String: Any]])
        XCTAssertEqual(o.map { $0["path"] as? String }, ["ad_share", "churn"])
        XCTAssertEqual(o.map { $0["expr"] as? String }, ["50%", "3%"])
        let plain = try XCTUnwrap(try json(try strat(["run", netflix, "--format", "json"]).out) as? [String: Any])
        XCTAssertEqual((plain["overrides"] as? [Any])?.count, 0)
    }

    func testRunJSONScenarioAndOverrides() throws {
        let r = try strat(["run", netflix, "--format", "json", "--scenario", "optimistic", "--set", "ad_share=50%"])
        XCTAssertEqual(r.code, 0, r.err)
        let root = try XCTUnwrap(try json(r.out) as? [String: Any])
        XCTAssertEqual(root["scenario"] as? String, "optimistic")
        let vars = try XCTUnwrap(root["variables"] as? [String: Any])
        XCTAssertEqual((vars["members"] as? [String: Any])?["display"] as? String, "275M")
        XCTAssertEqual((vars["ad_members"] as? [String: Any])?["display"] as? String, "137.5M")
    }

    func checkDiagnosticLine(_ line: String, file: StaticString = #filePath, lineNo: UInt = #line) throws {
        let d = try XCTUnwrap(try json(line) as? [String: Any], file: file, line: lineNo)
        for k in ["severity", "message", "file", "line", "column", "hint"] {
            XCTAssertTrue(d.keys.contains(k), "diagnostic lacks \(k): \(line)", file: file, line: lineNo)
        }
    }

    func testJSONDiagnosticsOnStderr() throws {
        let r = try strat(["run", Self.fixture("name_error.strat"), "--format", "json"])
        XCTAssertEqual(r.code, 65)
        // An unknown name fails only what reads it (issue 12): the report is still
        // written, RETENTION unscored, the rest computed.
        let report = try XCTUnwrap(try json(r.out) as? [String: Any])
        let metric = try XCTUnwrap((report["metrics"] as? [[String: Any]])?.first)
        XCTAssertTrue(metric["score"] is NSNull, "\(metric)")
        XCTAssertEqual(((report["variables"] as? [String: Any])?["churn"] as? [String: Any])?["display"] as? String, "3.8%")
        let lines = r.err.split(separator: "\n")
        XCTAssertFalse(lines.isEmpty)
        for l in lines { try checkDiagnosticLine(String(l)) }
        let d = try XCTUnwrap(try json(String(lines[0])) as? [String: Any])
        XCTAssertEqual(d["severity"] as? String, "error")
        XCTAssertEqual(d["line"] as? Int, 2)
        XCTAssertEqual(d["hint"] as? String, "did you mean 'churn'?")
        // Warnings too, and the report on stdout stays valid JSON.
        let w = try strat(["run", Self.fixture("comments.strat"), "--format", "json"])
        XCTAssertEqual(w.code, 0)
        _ = try json(w.out)
        for l in w.err.split(separator: "\n") { try checkDiagnosticLine(String(l)) }
    }

    func testEvalTextAndJSON() throws {
        let t = try strat(["eval", "-e", "1.5B / 12", "-e", "100ms + 1s", "-e", "$2M * 10%", "-e", "\"a\" + \"b\""])
        XCTAssertEqual(t.code, 0, t.err)
        XCTAssertEqual(t.out, "125M\n1100ms\n$200K\nab\n")
        let j = try strat(["eval", netflix, "-e", "churn", "-e", "MODERNIZE_PLATFORM.LATENCY.target",
                           "-e", "plan.status", "-e", "MODERNIZE_PLATFORM.AUTOMATION.score", "--format", "json"])
        XCTAssertEqual(j.code, 0, j.err)
        let arr = try XCTUnwrap(try json(j.out) as? [[String: Any]])
        XCTAssertEqual(arr.count, 4)
        for e in arr { for k in ["expr", "value", "unit", "display"] { XCTAssertTrue(e.keys.contains(k), k) } }
        XCTAssertEqual(arr[0]["expr"] as? String, "churn")
        XCTAssertEqual(arr[0]["value"] as? Double ?? 0, 0.038, accuracy: 1e-12)
        XCTAssertEqual(arr[0]["unit"] as? String, "%")
        XCTAssertEqual(arr[1]["value"] as? Double ?? 0, 0.078, accuracy: 1e-12)
        XCTAssertEqual(arr[1]["display"] as? String, "78ms")
        XCTAssertEqual(arr[2]["value"] as? String, "yellow")
        XCTAssertTrue(arr[3]["value"] is NSNull)
        // Scenario and --set apply to eval.
        let s = try strat(["eval", netflix, "-e", "churn", "-e", "members", "--scenario", "optimistic", "--set", "churn=3%"])
        XCTAssertEqual(s.out, "3%\n275M\n")
        // A failing expression is null in JSON and does not stop the others.
        let f = try strat(["eval", "-e", "1/0", "-e", "2", "--format", "json"])
        XCTAssertEqual(f.code, 70)
        let fa = try XCTUnwrap(try json(f.out) as? [[String: Any]])
        XCTAssertTrue(fa[0]["value"] is NSNull)
        XCTAssertEqual(fa[1]["value"] as? Int, 2)
        for l in f.err.split(separator: "\n") { try checkDiagnosticLine(String(l)) }
    }

    func testTextReport() throws {
        let r = try strat(["run", netflix])
        XCTAssertEqual(r.code, 0, r.err)
        let o = r.out
        XCTAssertTrue(o.hasPrefix("LTV: $302.6315789\nad members: 78.6M\n\n"), "prints first")
        for s in ["Netflix Engineering", "Mission  To entertain", "Values   Judgment · Communication",
                  "SWOT Engineering — Netflix Engineering SWOT", "Strengths", "Weaknesses", "Opportunities", "Threats",
                  "Priorities", "IFE 2.70", "EFE 2.90", "IE cell V", "hold and maintain",
                  "Objectives", "MODERNIZE_PLATFORM — Create world-class", "Plan score", "Metrics", "Projections",
                  "Alignment gaps", "Engineering.priorities.EXPAND", "Engineering.threats.COST",
                  "Retro H1_2026", "Went well", "Actions", "owner: Mobile", "Asserts", "✓"] {
            XCTAssertTrue(o.contains(s), "missing '\(s)'")
        }
        // KR rows: baseline → current → target, bar, two-decimal score, status.
        let micro = try XCTUnwrap(o.split(separator: "\n").first { $0.contains("MICROSERVICES") })
        XCTAssertTrue(micro.contains("40%") && micro.contains("62%") && micro.contains("85%"), String(micro))
        XCTAssertTrue(micro.contains("████░░░░ 0.49"), String(micro))
        XCTAssertTrue(micro.contains("yellow"), String(micro))
        XCTAssertTrue(o.contains("≥ 99.995%"))
        XCTAssertTrue(o.contains("0.54"), "plan score with 2 decimals")
        // Projections: sparkline and a sampled table for the long series.
        XCTAssertTrue(o.contains("▁"), "sparkline")
        XCTAssertTrue(o.contains("(13 of 61 rows"), o)
        let monthRows = o.split(separator: "\n", omittingEmptySubsequences: false)
            .drop { !$0.hasPrefix("  month ") }.prefix { !$0.isEmpty }
        XCTAssertGreaterThan(monthRows.count, 5)
        XCTAssertLessThanOrEqual(monthRows.count, 15)
        // Columns line up: every KR row of the first objective puts its score bar at the same column.
        let rows = o.split(separator: "\n").filter { $0.contains("█") && ($0.contains("MICROSERVICES") || $0.contains("LATENCY")) }
        let cols = rows.map { $0.distance(from: $0.startIndex, to: $0.firstIndex { $0 == "█" || $0 == "░" }!) }
        XCTAssertEqual(Set(cols).count, 1, rows.joined(separator: "\n"))
    }

    func testEmptySectionsAreLeftOut() throws {
        let r = try strat(["run", Self.fixture("minimal.strat")])
        XCTAssertEqual(r.code, 0)
        XCTAssertEqual(r.out, "")
        let m = try write("m.strat", "metric M \"m\" { current: 2, target: 4 }\n")
        let out = try strat(["run", m]).out
        XCTAssertTrue(out.contains("Metrics"))
        for s in ["SWOT", "Objectives", "Plan score", "Projections", "Alignment", "Retro", "Asserts", "Mission"] {
            XCTAssertFalse(out.contains(s), "empty section \(s) shown:\n\(out)")
        }
    }

    func testMarkdownReport() throws {
        let r = try strat(["run", netflix, "--format", "markdown"])
        XCTAssertEqual(r.code, 0, r.err)
        let o = r.out
        for s in ["# Netflix Engineering", "**Mission:**", "## SWOT: Engineering", "## Objectives",
                  "### MODERNIZE_PLATFORM", "## Plan score", "## Metrics", "## Projections", "## Alignment gaps",
                  "## Retros", "## Asserts", "| Key result | Baseline | Current | Target | Score | Status | Description |",
                  "| `MICROSERVICES` | 40% | 62% | 85% | 0.49 | yellow |", "| --- |", "---: |"] {
            XCTAssertTrue(o.contains(s), "missing '\(s)'")
        }
        // Every table row has as many cells as its header.
        var expected = -1
        for line in o.split(separator: "\n", omittingEmptySubsequences: false) {
            guard line.hasPrefix("|") else { expected = -1; continue }
            let cells = line.replacingOccurrences(of: "\\|", with: "").filter { $0 == "|" }.count
            if expected < 0 { expected = cells } else { XCTAssertEqual(cells, expected, String(line)) }
        }
        XCTAssertFalse(o.contains("\u{1B}"))
    }

    // MARK: Colour

    func testNoEscapeCodesInPipes() throws {
        let outputs = [
            try strat(["run", netflix]),
            try strat(["run", Self.fixture("assert_fail.strat")]),
            try strat(["run", Self.fixture("name_error.strat")]),
            try strat(["compare", netflix]),
            try strat(["whatif", netflix, "--set", "churn=3%"]),
            try strat(["check", Self.fixture("comments.strat")]),
        ]
        for o in outputs {
            XCTAssertFalse(o.out.contains("\u{1B}"), "escape in stdout: \(o.out.prefix(200))")
            XCTAssertFalse(o.err.contains("\u{1B}"), "escape in stderr: \(o.err.prefix(200))")
        }
    }

    /// On a terminal (through script(1), when available) the report is coloured, unless
    /// NO_COLOR is set.
    func testColourOnlyOnTerminal() throws {
        let script = "/usr/bin/script"
        guard FileManager.default.isExecutableFile(atPath: script) else { throw XCTSkip("no script(1)") }
        let cmd = "'\(try binary())' run '\(netflix)'"
        let tty = try strat(["-qec", cmd, "/dev/null"], executable: script)
        XCTAssertTrue(tty.out.contains("\u{1B}["), "a terminal gets colour")
        let noColor = try strat(["-qec", cmd, "/dev/null"], env: ["NO_COLOR": "1"], executable: script)
        XCTAssertTrue(noColor.out.contains("Plan score"), noColor.out)
        XCTAssertFalse(noColor.out.contains("\u{1B}["), "NO_COLOR disables colour")
    }

    // MARK: stdin

    func testRunStdin() throws {
        let r = try strat(["run", "-"], stdin: "let a = 2\nprint a * 3\nassert a > 1\n")
        XCTAssertEqual(r.code, 0, r.err)
        XCTAssertTrue(r.out.hasPrefix("6\n"), r.out)
        let bad = try strat(["run", "-"], stdin: "let a = \n")
        XCTAssertEqual(bad.code, 65)
        XCTAssertTrue(bad.err.contains("<stdin>:"), bad.err)
        let fails = try strat(["run", "-"], stdin: "assert 1 > 2 \"no\"\n")
        XCTAssertEqual(fails.code, 1)
        // Invalid UTF-8 is a diagnostic (65), never a crash, from stdin and from a file.
        let bytes = Data([0x6C, 0x65, 0x74, 0x20, 0x61, 0x20, 0x3D, 0x20, 0x22, 0xFF, 0xFE, 0x22, 0x0A])
        let invalid = try strat(["run", "-"], input: bytes)
        XCTAssertEqual(invalid.code, 65)
        XCTAssertTrue(invalid.err.contains("UTF-8"), invalid.err)
        let file = tempDir.appendingPathComponent("bad.strat")
        try bytes.write(to: file)
        XCTAssertEqual(try strat(["run", file.path]).code, 65)
        XCTAssertEqual(try strat(["fmt", file.path]).code, 65)
    }

    // MARK: compare

    func testCompare() throws {
        let r = try strat(["compare", netflix])
        XCTAssertEqual(r.code, 0, r.err)
        let lines = r.out.split(separator: "\n").map(String.init)
        let header = try XCTUnwrap(lines.first)
        let b = try XCTUnwrap(header.range(of: "baseline")), o = try XCTUnwrap(header.range(of: "optimistic")),
            s = try XCTUnwrap(header.range(of: "slow_migration"))
        XCTAssertTrue(b.lowerBound < o.lowerBound && o.lowerBound < s.lowerBound, "baseline first, then declared order")
        let keys = lines.dropFirst().map { String($0.split(separator: " ").first ?? "") }
        XCTAssertEqual(keys, ["plan.score", "MODERNIZE_PLATFORM.score", "MONETIZE_GROWTH.score", "RETENTION.current",
                              "RETENTION.score", "ENGAGEMENT.current", "ENGAGEMENT.score", "subscribers.final",
                              "revenue.final", "daily_streams.final"])
        let plan = try XCTUnwrap(lines.first { $0.hasPrefix("plan.score") })
        XCTAssertTrue(plan.contains("0.54") && plan.contains("0.48 ▼"), plan)
        let retention = try XCTUnwrap(lines.first { $0.hasPrefix("RETENTION.current") })
        XCTAssertTrue(retention.contains("3.2% ▼"), retention)
        let subs = try XCTUnwrap(lines.first { $0.hasPrefix("subscribers.final") })
        XCTAssertTrue(subs.contains("▲"), subs)
        let revenue = try XCTUnwrap(lines.first { $0.hasPrefix("revenue.final") })
        XCTAssertFalse(revenue.contains("▲") || revenue.contains("▼"), "unchanged values are not marked")
        // Columns are aligned: every value row has the same width as the header, or less.
        let two = try strat(["compare", netflix, "--scenarios", "optimistic,baseline"])
        XCTAssertTrue(two.out.split(separator: "\n")[0].contains("optimistic"))
        XCTAssertFalse(two.out.contains("slow_migration"))
        // Markdown and JSON.
        let md = try strat(["compare", netflix, "--format", "markdown"])
        XCTAssertTrue(md.out.hasPrefix("|  | baseline | optimistic | slow_migration |"), md.out)
        let j = try strat(["compare", netflix, "--format", "json", "--scenarios", "baseline,optimistic"])
        let root = try XCTUnwrap(try json(j.out) as? [String: Any])
        XCTAssertEqual(root["scenarios"] as? [String], ["baseline", "optimistic"])
        let rows = try XCTUnwrap(root["rows"] as? [[String: Any]])
        let ret = try XCTUnwrap(rows.first { $0["key"] as? String == "RETENTION.current" })
        let vals = try XCTUnwrap(ret["values"] as? [[String: Any]])
        XCTAssertEqual(vals[1]["display"] as? String, "3.2%")
        XCTAssertEqual(ret["changed"] as? [Bool], [false, true])
        // --set applies to every column.
        let set = try strat(["compare", netflix, "--set", "churn=3%", "--scenarios", "baseline,slow_migration"])
        XCTAssertTrue(set.out.contains("3%"), set.out)
        XCTAssertFalse(set.out.contains("3.8%"), set.out)
    }

    // MARK: whatif

    func testWhatIf() throws {
        let r = try strat(["whatif", netflix, "--set", "churn=3.2%"])
        XCTAssertEqual(r.code, 0, r.err)
        let lines = r.out.split(separator: "\n").map(String.init)
        XCTAssertEqual(lines.first?.replacingOccurrences(of: " ", with: ""), "churn:3.8%→3.2%")
        for needle in ["RETENTION.current:", "RETENTION.status:", "subscribers.final:"] {
            XCTAssertTrue(lines.contains { $0.hasPrefix(needle) }, "missing \(needle)")
        }
        XCTAssertTrue(lines.contains { $0.hasPrefix("RETENTION.status:") && $0.hasSuffix("red → green") })
        XCTAssertFalse(r.out.contains("members:"), "only changed values")
        XCTAssertFalse(r.out.contains("revenue"), "only changed values")
        // Aligned: the arrows line up.
        let arrows = Set(lines.map { $0.distance(from: $0.startIndex, to: $0.range(of: "→")!.lowerBound) })
        XCTAssertEqual(arrows.count, 1, r.out)
        // Stable.
        XCTAssertEqual(try strat(["whatif", netflix, "--set", "churn=3.2%"]).out, r.out)
        // JSON.
        let j = try strat(["whatif", netflix, "--set", "churn=3.2%", "--set", "members=270M", "--format", "json"])
        XCTAssertEqual(j.code, 0, j.err)
        let arr = try XCTUnwrap(try json(j.out) as? [[String: Any]])
        XCTAssertTrue(arr.contains { $0["path"] as? String == "members" })
        for c in arr { for k in ["path", "before", "after"] { XCTAssertTrue(c.keys.contains(k)) } }
        let churn = try XCTUnwrap(arr.first { $0["path"] as? String == "churn" })
        XCTAssertEqual((churn["after"] as? [String: Any])?["display"] as? String, "3.2%")
        // No change.
        let same = try strat(["whatif", netflix, "--set", "churn=3.8%"])
        XCTAssertEqual(same.code, 0)
        XCTAssertEqual(same.out, "no values change\n")
        XCTAssertEqual(try strat(["whatif", netflix, "--set", "churn=3.8%", "--format", "json"]).out, "[]\n")
        // Under a scenario.
        let sc = try strat(["whatif", netflix, "--scenario", "optimistic", "--set", "members=300M"])
        XCTAssertTrue(sc.out.hasPrefix("members:") && sc.out.contains("275M → 300M"), sc.out)
    }

    // MARK: fmt

    /// Files whose formatting is checked: the fixtures and the examples.
    func formatCorpus() throws -> [String] {
        var files = ["netflix.strat", "comments.strat", "assert_fail.strat", "runtime_error.strat", "minimal.strat",
                     "name_error.strat"].map { Self.fixture($0) }
        let examples = Self.packageRoot.appendingPathComponent("examples")
        if let list = try? FileManager.default.contentsOfDirectory(atPath: examples.path) {
            files += list.filter { $0.hasSuffix(".strat") }.sorted().map { examples.appendingPathComponent($0).path }
        }
        return files
    }

    /// A report without what formatting may legitimately change: assert line numbers and
    /// the spacing of assert source text.
    func reportMeaning(_ text: String) throws -> NSDictionary {
        guard !text.isEmpty else { return [:] }
        var root = try XCTUnwrap(try json(text) as? [String: Any])
        if let asserts = root["assertions"] as? [[String: Any]] {
            root["assertions"] = asserts.map { a -> [String: Any] in
                var a = a
                a.removeValue(forKey: "line")
                a["expression"] = (a["expression"] as? String)?.replacingOccurrences(of: " ", with: "")
                return a
            }
        }
        return root as NSDictionary
    }

    func testFmtIdempotentAndMeaningPreserving() throws {
        for (n, src) in try formatCorpus().enumerated() {
            let original = try String(contentsOfFile: src, encoding: .utf8)
            let dir = tempDir.appendingPathComponent("fmt\(n)")
            try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
            let before = dir.appendingPathComponent("before.strat").path, after = dir.appendingPathComponent("after.strat").path
            try original.write(toFile: before, atomically: true, encoding: .utf8)
            try original.write(toFile: after, atomically: true, encoding: .utf8)
            let f = try strat(["fmt", after])
            XCTAssertEqual(f.code, 0, "\(src): \(f.err)")
            let formatted = try String(contentsOfFile: after, encoding: .utf8)
            // Idempotent: a second run changes nothing and --check agrees.
            XCTAssertEqual(try strat(["fmt", "--check", after]).code, 0, "\(src) is not stable")
            XCTAssertEqual(try strat(["fmt", "-"], stdin: formatted).out, formatted, src)
            // Comments are all kept.
            for marker in ["//", "/*"] {
                XCTAssertEqual(formatted.components(separatedBy: marker).count, original.components(separatedBy: marker).count,
                               "\(src): \(marker) comments")
            }
            // Meaning: the same report, diagnostics aside, and the same values.
            let r1 = try strat(["run", before, "--format", "json"]), r2 = try strat(["run", after, "--format", "json"])
            XCTAssertEqual(r1.code, r2.code, src)
            XCTAssertEqual(try reportMeaning(r1.out), try reportMeaning(r2.out), "\(src): report changed by fmt")
            let exprs = ["plan.score", "objectives.score", "metrics.current", "swots.ife", "projections.final",
                         "plan.unaddressed"]
            let args = exprs.flatMap { ["-e", $0] }
            XCTAssertEqual(try strat(["eval", before] + args).out, try strat(["eval", after] + args).out, src)
        }
    }

    /// A projection spanning the whole double range still renders (its sparkline once
    /// divided inf by inf and trapped converting NaN to Int).
    func testReportOfExtremeProjectionValues() throws {
        let f = tempDir.appendingPathComponent("extreme.strat").path
        try "projection p over 2 years { start: -1e308, next: if t == 1 then 1e308 else 0 }\n"
            .write(toFile: f, atomically: true, encoding: .utf8)
        let r = try strat(["run", f])
        XCTAssertEqual(r.code, 0, r.err)
        XCTAssertTrue(r.out.contains("1e+308"), r.out)
    }

    func testFmtLayout() throws {
        let path = try write("messy.strat", """
        let a=1   // one
        let b = a+2*3;let c = -b^2
        metric M "m" {current:a,target:<=3}
        objective O { weight: 2; kr K { baseline: 0, target: 10, current: 5 } }


        print f( a ,b)
        fn f(x, y) = x+y
        """)
        let r = try strat(["fmt", path])
        XCTAssertEqual(r.code, 0, r.err)
        XCTAssertEqual(try String(contentsOfFile: path, encoding: .utf8), """
        let a = 1 // one
        let b = a + 2 * 3
        let c = -b^2
        metric M "m" { current: a, target: <= 3 }

        objective O {
          weight: 2
          kr K { baseline: 0, target: 10, current: 5 }
        }

        print f(a, b)
        fn f(x, y) = x + y

        """)
    }

    func testFmtKeepsCommentsAndGrouping() throws {
        let path = try write("c.strat", """
        // header

        let members = 262M   // today
        let churn = 3.8%        // monthly
        objective O {
          kr K "k" {
            baseline: 40%, target: 85%,   current: 62%   // one line stays one line
          }
          /* block */ kr L { target: 1, current: 1 }
        }
        """)
        XCTAssertEqual(try strat(["fmt", path]).code, 0)
        XCTAssertEqual(try String(contentsOfFile: path, encoding: .utf8), """
        // header

        let members = 262M // today
        let churn = 3.8%   // monthly

        objective O {
          kr K "k" {
            baseline: 40%, target: 85%, current: 62% // one line stays one line
          }
          /* block */ kr L { target: 1, current: 1 }
        }

        """)
    }

    func testFmtCheckAndErrors() throws {
        let messy = try copyFixture("comments.strat")
        let clean = try write("clean.strat", "let a = 1\n")
        let before = try String(contentsOfFile: messy, encoding: .utf8)
        let r = try strat(["fmt", "--check", clean, messy])
        XCTAssertEqual(r.code, 1)
        XCTAssertEqual(r.out, messy + "\n", "names the files that would change")
        XCTAssertEqual(try String(contentsOfFile: messy, encoding: .utf8), before, "--check writes nothing")
        XCTAssertEqual(try strat(["fmt", "--check", clean]).code, 0)
        // A file with syntax errors is refused and left alone.
        let broken = try copyFixture("syntax_error.strat")
        let brokenText = try String(contentsOfFile: broken, encoding: .utf8)
        let b = try strat(["fmt", broken, messy])
        XCTAssertEqual(b.code, 65)
        XCTAssertTrue(b.err.contains("syntax_error.strat:"), b.err)
        XCTAssertEqual(try String(contentsOfFile: broken, encoding: .utf8), brokenText)
        XCTAssertNotEqual(try String(contentsOfFile: messy, encoding: .utf8), before, "the other files are still formatted")
        // stdin to stdout.
        let s = try strat(["fmt", "-"], stdin: "let x=1+2\n")
        XCTAssertEqual(s.out, "let x = 1 + 2\n")
        XCTAssertEqual(try strat(["fmt", "--check", "-"], stdin: "let x=1+2\n").code, 1)
    }
}
