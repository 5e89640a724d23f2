// `strat solve`, `strat sensitivity` (as subprocesses), the REPL's `:solve` and
// `:sensitivity` (piped and under a pseudo-terminal): SPEC §16.
import Foundation
import XCTest

final class SolveCLITests: XCTestCase {
    static let model = """
        let price = $10
        let units = 500
        let fixed = $2000
        let profit = price * units - fixed - units * $2
        let users = 50K
        objective GROW "Grow" {
          kr USERS "100K users" { target: >= 100, current: users / 1000 }
        }
        scenario cheap { price = $8 }

        """

    var tempDir: URL!
    private var processes: [PTYProcess] = []

    override func setUpWithError() throws {
        tempDir = FileManager.default.temporaryDirectory.appendingPathComponent("strat-solve-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: tempDir, withIntermediateDirectories: true)
        try Self.model.write(to: tempDir.appendingPathComponent("model.strat"), atomically: true, encoding: .utf8)
    }

    override func tearDownWithError() throws {
        processes.forEach { $0.close() }
        try? FileManager.default.removeItem(at: tempDir)
    }

    /// `strat ARGS` in the temporary folder (NO_COLOR, stdin closed).
    func strat(_ args: [String]) throws -> RunResult {
        let r = try ProcessRunner.run(try LineEditorPTYTests.stratBinary(), args, in: tempDir, timeout: 30)
        XCTAssertFalse(r.timedOut)
        return r
    }

    /// The REPL with `input` piped in.
    func piped(_ input: String) throws -> RunResult {
        try input.write(to: tempDir.appendingPathComponent("input.txt"), atomically: true, encoding: .utf8)
        let bin = try LineEditorPTYTests.stratBinary()
        return try ProcessRunner.run("/bin/sh", ["-c", "'\(bin)' repl model.strat < input.txt"], in: tempDir, timeout: 30)
    }

    func json(_ s: String) throws -> [String: Any] {
        try XCTUnwrap(JSONSerialization.jsonObject(with: Data(s.utf8)) as? [String: Any], s)
    }

    // MARK: strat solve

    func testSolvePrintsTheAnswerInTheInputsUnit() throws {
        let r = try strat(["solve", "model.strat", "price", "--for", "profit = $7000"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let lines = r.stdout.split(separator: "\n").map(String.init)
        XCTAssertEqual(lines.first, "price = $20")
        XCTAssertTrue(lines.contains("  profit = $7000  (target $7000)"), r.stdout)
        XCTAssertTrue(r.stdout.contains("price is $10 now"), r.stdout)
        XCTAssertEqual(r.stderr, "")
        let threshold = try strat(["solve", "model.strat", "users", "--for", "GROW.USERS.score=1"])
        XCTAssertEqual(threshold.status, 0, threshold.stderr)
        XCTAssertTrue(threshold.stdout.hasPrefix("users = 100K\n"), threshold.stdout)
        let scenario = try strat(["solve", "model.strat", "units", "--for", "profit = $3000", "--scenario", "cheap", "--in", "0,10K"])
        XCTAssertEqual(scenario.status, 0, scenario.stderr)
        // (3000 + 2000) / ($8 − $2)
        XCTAssertTrue(scenario.stdout.hasPrefix("units = 833.3333333\n"), scenario.stdout)
        XCTAssertTrue(scenario.stdout.contains("under cheap"), scenario.stdout)
    }

    func testSolveJSON() throws {
        let r = try strat(["solve", "model.strat", "price", "--for", "profit = $7000", "--set", "fixed=$1000", "--format", "json"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let o = try json(r.stdout)
        let v = try XCTUnwrap(o["value"] as? [String: Any])
        // 500·price − 1000 − 1000 = 7000 ⇒ $18.
        XCTAssertEqual(v["value"] as? Double ?? .nan, 18, accuracy: 1e-9)
        XCTAssertEqual(v["unit"] as? String, "$")
        XCTAssertEqual(v["display"] as? String, "$18")
        XCTAssertEqual(o["input"] as? String, "price")
        XCTAssertEqual(o["for"] as? String, "profit")
        XCTAssertEqual((o["target"] as? [String: Any])?["value"] as? Double, 7000)
        XCTAssertEqual(o["boundary"] as? Bool, false)
    }

    func testSolveErrorsAndExitCodes() throws {
        let none = try strat(["solve", "model.strat", "price", "--for", "profit = $1M", "--in", "$1,$15"])
        XCTAssertEqual(none.status, 70, none.stderr)
        XCTAssertTrue(none.stderr.contains("no solution: 'profit' stays below $1M for price from $1 to $15"), none.stderr)
        XCTAssertEqual(none.stdout, "")
        let independent = try strat(["solve", "model.strat", "users", "--for", "profit = $1"])
        XCTAssertEqual(independent.status, 65)
        XCTAssertTrue(independent.stderr.contains("'profit' does not depend on 'users'"), independent.stderr)
        let units = try strat(["solve", "model.strat", "price", "--for", "profit = 3s"])
        XCTAssertEqual(units.status, 65)
        XCTAssertTrue(units.stderr.contains("unit mismatch"), units.stderr)
        let jsonErr = try strat(["solve", "model.strat", "price", "--for", "profit = 3s", "--format", "json"])
        XCTAssertTrue(try json(String(jsonErr.stderr.split(separator: "\n")[0]))["message"] as? String == "unit mismatch: 'profit' is in '$' but the value to reach is in 's'", jsonErr.stderr)
        for bad in [["solve", "model.strat", "price"], ["solve", "model.strat", "price", "--for", "profit"],
                    ["solve", "model.strat", "price", "--for", "profit = 1", "--in", "1"],
                    ["solve", "model.strat", "price", "--for", "profit = 1", "--scenario", "nope"]] {
            XCTAssertEqual(try strat(bad).status, 64, bad.joined(separator: " "))
        }
        XCTAssertEqual(try strat(["solve", "missing.strat", "price", "--for", "profit = 1"]).status, 66)
        let help = try strat(["solve", "--help"])
        XCTAssertEqual(help.status, 0)
        XCTAssertTrue(help.stdout.contains("Usage: strat solve [--for EXPR=VALUE] [--in LO,HI]"), help.stdout)
        XCTAssertTrue(try strat(["--help"]).stdout.contains("  sensitivity "))
    }

    // MARK: uncertain models

    static let uncertainModel = """
        simulate 10000 seed 7
        let m = 3
        let x = normal(m, 1) * 2
        let churn = 3% to 5%
        let members = 100M
        let lost = members * churn

        """

    func testSolveAndSensitivityOnAnUncertainModel() throws {
        try Self.uncertainModel.write(to: tempDir.appendingPathComponent("u.strat"), atomically: true, encoding: .utf8)
        // The closed form of the fixed draws: mean(x) = 2(m + mean(z)), so m = 5 − (mean(x)/2 − 3).
        let e = try strat(["eval", "u.strat", "-e", "mean(x)", "-e", "percentile(churn, 10%)", "-e", "percentile(churn, 90%)",
                           "--format", "json"])
        XCTAssertEqual(e.status, 0, e.stderr)
        let values = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(e.stdout.utf8)) as? [[String: Any]], e.stdout)
            .compactMap { $0["value"] as? Double }
        XCTAssertEqual(values.count, 3, e.stdout)
        let solve = try strat(["solve", "u.strat", "m", "--for", "mean(x) = 10", "--format", "json"])
        XCTAssertEqual(solve.status, 0, solve.stderr)
        let sv = try json(solve.stdout)
        let answer = try XCTUnwrap((sv["value"] as? [String: Any])?["value"] as? Double)
        XCTAssertEqual(answer, 5 - (values[0] / 2 - 3), accuracy: 1e-8)
        let text = try strat(["solve", "u.strat", "m", "--for", "x = 10"])
        XCTAssertEqual(text.status, 0, text.stderr)
        XCTAssertTrue(text.stdout.hasPrefix("m = 4.99"), text.stdout)
        // An uncertain input cannot be solved for: exit 65 with the reason.
        let bad = try strat(["solve", "u.strat", "churn", "--for", "lost = 5M"])
        XCTAssertEqual(bad.status, 65)
        XCTAssertTrue(bad.stderr.contains("'churn' is uncertain"), bad.stderr)

        let tornado = try strat(["sensitivity", "u.strat", "lost"])
        XCTAssertEqual(tornado.status, 0, tornado.stderr)
        let lines = tornado.stdout.split(separator: "\n").map(String.init)
        XCTAssertTrue(lines[0].hasPrefix("Sensitivity of mean(lost) = 3.9"), lines[0])
        XCTAssertTrue(lines[0].contains("uncertain inputs (p10/p90) at their 10th / 90th percentiles"), lines[0])
        XCTAssertTrue(lines.contains { $0.hasPrefix("  churn (p10/p90)") }, tornado.stdout)
        let sj = try json(try strat(["sensitivity", "u.strat", "lost", "--format", "json"]).stdout)
        let rows = try XCTUnwrap(sj["rows"] as? [[String: Any]])
        let churn = try XCTUnwrap(rows.first { $0["input"] as? String == "churn" })
        XCTAssertEqual(churn["uncertain"] as? Bool, true)
        XCTAssertEqual((churn["low_input"] as? [String: Any])?["value"] as? Double ?? .nan, values[1], accuracy: 1e-15)
        XCTAssertEqual((churn["low"] as? [String: Any])?["value"] as? Double ?? .nan, 100e6 * values[1], accuracy: 1e-6)
        XCTAssertEqual((churn["high"] as? [String: Any])?["value"] as? Double ?? .nan, 100e6 * values[2], accuracy: 1e-6)
        XCTAssertEqual(churn["elasticity"] as? Double ?? .nan, 1, accuracy: 1e-9)
        let members = try XCTUnwrap(rows.first { $0["input"] as? String == "members" })
        XCTAssertEqual(members["uncertain"] as? Bool, false)
        let md = try strat(["sensitivity", "u.strat", "lost", "--format", "markdown"])
        XCTAssertTrue(md.stdout.contains("| `churn` (p10/p90) |"), md.stdout)
    }

    // MARK: strat sensitivity

    func testSensitivityTornado() throws {
        let r = try strat(["sensitivity", "model.strat", "profit"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let lines = r.stdout.split(separator: "\n").map(String.init)
        XCTAssertEqual(lines[0], "Sensitivity of profit = $2000, each input -10% / +10%")
        let rows = lines.filter { $0.hasPrefix("  price") || $0.hasPrefix("  units") || $0.hasPrefix("  fixed") }
        XCTAssertEqual(rows.map { String($0.dropFirst(2).prefix(5)) }, ["price", "units", "fixed"])
        // price $9 / $11 → $1500 / $2500; fixed $1800 / $2200 → $2200 / $1800.
        XCTAssertTrue(rows[0].contains("$1500") && rows[0].contains("$2500") && rows[0].contains("$1000"), rows[0])
        XCTAssertTrue(rows[2].contains("$2200") && rows[2].contains("$1800") && rows[2].contains("-0.25") == false, rows[2])
        XCTAssertTrue(rows[2].hasSuffix(" -1"), rows[2])
        XCTAssertTrue(rows[0].hasSuffix(" 2.5"), rows[0])
        // Aligned bars: the base line `│` is in the same column on every row, under the ▼ mark.
        let marker = try XCTUnwrap(lines.first { $0.contains("▼ $2000") })
        let column = Array(marker).firstIndex(of: "▼")!
        for row in rows { XCTAssertEqual(Array(row).firstIndex(of: "│"), column, row) }
        // Bar lengths follow the swings: price's bar is the longest, fixed's the shortest.
        let filled = rows.map { $0.filter { $0 == "█" || $0 == "░" }.count }
        XCTAssertGreaterThan(filled[0], filled[1])
        XCTAssertGreaterThan(filled[1], filled[2])
        XCTAssertFalse(r.stdout.contains("\u{1B}["))
    }

    func testTornadoShowsBothHalvesOnOneSide() throws {
        try "let a = 10\nlet t = (a - 10.2) ^ 2\n".write(to: tempDir.appendingPathComponent("side.strat"), atomically: true, encoding: .utf8)
        let r = try strat(["sensitivity", "side.strat", "t"])
        XCTAssertEqual(r.status, 0, r.stderr)
        // base 0.04; a = 9 gives 1.44 (the full half, 20 cells), a = 11 gives 0.64 (0.6 / 1.4
        // of it, 9 cells): both to the right, the shorter drawn over the longer.
        let row = try XCTUnwrap(r.stdout.split(separator: "\n").first { $0.hasPrefix("  a ") })
        XCTAssertTrue(row.contains("│" + String(repeating: "█", count: 9) + String(repeating: "░", count: 11) + " "), String(row))
    }

    func testSensitivityJSONMarkdownAndOptions() throws {
        let j = try strat(["sensitivity", "model.strat", "profit", "--by", "50%", "--format", "json"])
        XCTAssertEqual(j.status, 0, j.stderr)
        let o = try json(j.stdout)
        XCTAssertEqual(o["by"] as? Double, 0.5)
        let rows = try XCTUnwrap(o["rows"] as? [[String: Any]])
        XCTAssertEqual(rows.map { $0["input"] as? String }, ["price", "units", "fixed"])
        // price $5 / $15: 2500 − 3000 = −500 and 7500 − 3000 = 4500.
        XCTAssertEqual((rows[0]["low"] as? [String: Any])?["value"] as? Double, -500)
        XCTAssertEqual((rows[0]["high"] as? [String: Any])?["value"] as? Double, 4500)
        XCTAssertEqual(rows[0]["swing"] as? Double, 5000)
        XCTAssertEqual(rows[0]["elasticity"] as? Double ?? .nan, 5000.0 / 2000 / 1.0, accuracy: 1e-12)
        let md = try strat(["sensitivity", "model.strat", "profit", "--format", "markdown", "--top", "2"])
        XCTAssertEqual(md.status, 0, md.stderr)
        XCTAssertTrue(md.stdout.hasPrefix("### Sensitivity of `profit`\n"), md.stdout)
        XCTAssertTrue(md.stdout.contains("| Input | Value | profit at -10% | profit at +10% | Swing | Elasticity |"), md.stdout)
        XCTAssertTrue(md.stdout.contains("| `price` | $10 | $1500 | $2500 | $1000 | 2.5 |"), md.stdout)
        XCTAssertTrue(md.stdout.contains("| `units` | 500 | $1600 | $2400 | $800 | 2 |"), md.stdout)
        XCTAssertFalse(md.stdout.contains("`fixed`"), md.stdout)
        XCTAssertTrue(md.stdout.contains("Top 2 of 3 inputs."), md.stdout)
        let top = try strat(["sensitivity", "model.strat", "profit", "--top", "1"])
        XCTAssertTrue(top.stdout.contains("(top 1 of 3 inputs)"), top.stdout)
        for bad in [["--by", "150%"], ["--by", "x"], ["--top", "0"], ["--format", "html"]] {
            XCTAssertEqual(try strat(["sensitivity", "model.strat", "profit"] + bad).status, 64, bad.joined(separator: " "))
        }
        let unknown = try strat(["sensitivity", "model.strat", "proft"])
        XCTAssertEqual(unknown.status, 65)
        XCTAssertTrue(unknown.stderr.contains("did you mean 'profit'?"), unknown.stderr)
    }

    // MARK: REPL

    func testREPLPiped() throws {
        let r = try piped("""
            :solve price for profit = $7000
            _ * 2
            :solve price for profit = $1M in [$1, $15]
            solve price for profit = $7000 in [$1, $100]
            let needed = solve units for profit = $0
            needed
            :sensitivity profit by 20% top 2
            :help solve

            """)
        XCTAssertEqual(r.status, 70, r.stderr)     // the no-solution error
        XCTAssertTrue(r.stdout.contains("price = $20\n  profit = $7000  (target $7000)\n"), r.stdout)
        XCTAssertTrue(r.stdout.contains("\n$40\n"), "`_` holds the answer: " + r.stdout)
        XCTAssertTrue(r.stderr.contains("no solution: 'profit' stays below $1M for price from $1 to $15"), r.stderr)
        XCTAssertTrue(r.stdout.contains("\n$20\n"), r.stdout)
        XCTAssertTrue(r.stdout.contains("\n250\n"), r.stdout)
        XCTAssertTrue(r.stdout.contains("Sensitivity of profit = $2000, each input -20% / +20%"), r.stdout)
        XCTAssertTrue(r.stdout.contains("(top 2 of 3 inputs)"), r.stdout)
        XCTAssertFalse(r.stdout.contains("  fixed "), r.stdout)
        XCTAssertTrue(r.stdout.contains("goal seek, as an expression"), r.stdout)
        XCTAssertTrue(r.stdout.contains(":solve INPUT for EXPR = VALUE [in [LO, HI]]"), r.stdout)
    }

    func testREPLUnderAPseudoTerminal() throws {
        let env = ["HOME": tempDir.path, "STRAT_HISTORY": tempDir.appendingPathComponent("history").path,
                   "TERM": "xterm", "PATH": "/usr/bin:/bin", "NO_COLOR": "1"]
        let p = try PTYProcess(executable: try LineEditorPTYTests.stratBinary(), arguments: ["repl", "model.strat"],
                               environment: env, currentDirectory: tempDir.path)
        processes.append(p)
        try p.expect(LineEditorPTYTests.prompt)
        try p.type(":solve users for GROW.USERS.score = 1")
        try p.send(PTYKey.enter)
        let solved = try p.expect(LineEditorPTYTests.prompt)
        XCTAssertTrue(solved.contains("users = 100K"), solved)
        try p.type(":sensitivity profit")
        try p.send(PTYKey.enter)
        let tornado = try p.expect(LineEditorPTYTests.prompt)
        XCTAssertTrue(tornado.contains("▼ $2000"), tornado)
        XCTAssertTrue(tornado.contains("price"), tornado)
        try p.send(PTYKey.ctrlD)
        XCTAssertEqual(try p.waitForExit(), 0)
    }
}
