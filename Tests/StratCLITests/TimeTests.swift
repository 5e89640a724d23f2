import Foundation
import XCTest

/// SPEC §14 through the CLI: system-dynamics models in Strat against plain Python Euler
/// loops, `--as-of` and `today`, dated report labels, dates in JSON.
final class TimeTests: XCTestCase {
    static let sd = ScriptCorpus.packageRoot.appendingPathComponent("Tests/Fixtures/sd")

    /// The venv the Makefile makes from Tests/requirements.txt, else the system python3.
    static func python() -> String {
        let venv = ScriptCorpus.packageRoot.appendingPathComponent(".venv-test/bin/python3").path
        if FileManager.default.isExecutableFile(atPath: venv) { return venv }
        for dir in ["/usr/bin", "/usr/local/bin", "/bin"] where FileManager.default.isExecutableFile(atPath: dir + "/python3") {
            return dir + "/python3"
        }
        return "/usr/bin/python3"
    }

    func strat(_ args: [String], in dir: URL = TimeTests.sd) throws -> RunResult {
        guard let bin = ScriptCorpus.binary() else { throw XCTSkip("STRAT_BIN is not set") }
        return try ProcessRunner.run(bin, args, in: dir, timeout: 60)
    }

    func jsonArray(_ s: String) throws -> [[String: Any]] {
        try XCTUnwrap(JSONSerialization.jsonObject(with: Data(s.utf8)) as? [[String: Any]], s)
    }

    /// Each model's every series agrees with the Python loop period by period, to 1e-12 relative.
    func testSystemDynamicsModelsMatchEulerLoops() throws {
        let py = try ProcessRunner.run(Self.python(), ["reference.py"], in: Self.sd, timeout: 60)
        XCTAssertEqual(py.status, 0, py.stderr)
        let reference = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(py.stdout.utf8)) as? [String: [String: [Double]]])
        XCTAssertEqual(Set(reference.keys), ["teacup", "sir", "bass", "supply_delay", "workload_lookup"])
        var compared = 0
        for (model, series) in reference.sorted(by: { $0.key < $1.key }) {
            let names = series.keys.sorted()
            let r = try strat(["eval", model + ".strat", "--format", "json"] + names.flatMap { ["-e", $0 + ".series"] })
            XCTAssertEqual(r.status, 0, "\(model): \(r.stderr)")
            XCTAssertEqual(r.stderr, "", model)
            let out = try jsonArray(r.stdout)
            XCTAssertEqual(out.count, names.count)
            for (name, entry) in zip(names, out) {
                let got = try XCTUnwrap(entry["value"] as? [Double], "\(model).\(name)")
                let want = series[name]!
                XCTAssertEqual(got.count, want.count, "\(model).\(name): period count")
                for (t, (g, w)) in zip(got, want).enumerated() {
                    let scale = max(abs(w), 1e-300)
                    XCTAssertLessThanOrEqual(abs(g - w) / scale, 1e-12, "\(model).\(name)[\(t)]: strat \(g), python \(w)")
                    compared += 1
                }
            }
        }
        // teacup 61, sir 3 × 121, bass 3 × 41, supply 4 × 27, workload 3 × 53.
        XCTAssertEqual(compared, 61 + 363 + 123 + 108 + 159)
    }

    /// The models do what they model (guards against a loop and a model wrong in the same way).
    func testSystemDynamicsSanity() throws {
        let r = try strat(["eval", "sir.strat", "-e", "susceptible.final + infected.final + recovered.final",
                           "-e", "infected.max > 1000"])
        XCTAssertEqual(r.stdout, "10000\ntrue\n", r.stderr)
        let b = try strat(["eval", "bass.strat", "-e", "adopters.dates[4]", "-e", "share.final > 99%"])
        XCTAssertEqual(b.stdout, "2027-07-01\ntrue\n", b.stderr)
    }

    func testAsOfSetsToday() throws {
        let tmp = FileManager.default.temporaryDirectory
        let r = try strat(["eval", "-e", "today", "-e", "today.quarter", "-e", "2027-01-01 - today", "--as-of", "2026-03-31"], in: tmp)
        XCTAssertEqual(r.stdout, "2026-03-31\n1\n276d\n", r.stderr)
        let bad = try strat(["eval", "-e", "today", "--as-of", "2026-02-30"], in: tmp)
        XCTAssertEqual(bad.status, 64)
        XCTAssertTrue(bad.stderr.contains("--as-of needs a date"), bad.stderr)
        // Without --as-of, today is the system date.
        let sys = try strat(["eval", "-e", "today", "--format", "json"], in: tmp)
        let v = try XCTUnwrap(try jsonArray(sys.stdout).first?["value"] as? Double)
        XCTAssertEqual(v, (Date().timeIntervalSince1970 / 86400).rounded(.down) * 86400, accuracy: 86400)
    }

    func testReportsStateTheDateAndLabelPeriods() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("strat-time-\(getpid())")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let model = """
        let overdue = 2026-03-01 < today
        projection q over 2 quarters from 2026-08-15 { start: 1, next: value + 1 }
        projection m over 2 months from 2026-01-31 { start: 1, next: value + 1 }
        projection w over 1 weeks from 2026-03-30 { start: 1, next: value + 1 }
        projection y over 1 years from 2026-01-01 { start: 1, next: value + 1 }
        series twice = q * 2
        """
        try model.write(to: dir.appendingPathComponent("m.strat"), atomically: true, encoding: .utf8)
        let text = try strat(["run", "m.strat", "--as-of", "2026-04-02"], in: dir)
        XCTAssertEqual(text.status, 0, text.stderr)
        XCTAssertTrue(text.stdout.contains("As of  2026-04-02"), text.stdout)
        for label in ["2026-Q3", "2026-Q4", "2027-Q1", "2026-01", "2026-02", "2026-03", "2026-W14", "2026-W15", "2027"] {
            XCTAssertTrue(text.stdout.contains(label), "missing label \(label) in\n\(text.stdout)")
        }
        let md = try strat(["run", "m.strat", "--as-of", "2026-04-02", "--format", "markdown"], in: dir)
        XCTAssertTrue(md.stdout.contains("**As of:** 2026-04-02"), md.stdout)
        XCTAssertTrue(md.stdout.contains("| 2026-Q3 |"), md.stdout)
        let json = try strat(["run", "m.strat", "--as-of", "2026-04-02", "--format", "json"], in: dir)
        let obj = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])
        XCTAssertEqual(obj["as_of"] as? String, "2026-04-02")
        let ps = try XCTUnwrap(obj["projections"] as? [[String: Any]])
        let byName = Dictionary(uniqueKeysWithValues: ps.map { ($0["name"] as? String ?? "", $0) })
        XCTAssertEqual(byName["q"]?["labels"] as? [String], ["2026-Q3", "2026-Q4", "2027-Q1"])
        XCTAssertEqual(byName["q"]?["dates"] as? [String], ["2026-08-15", "2026-11-15", "2027-02-15"])
        XCTAssertEqual(byName["m"]?["dates"] as? [String], ["2026-01-31", "2026-02-28", "2026-03-31"])
        XCTAssertEqual(byName["twice"]?["kind"] as? String, "series")
        XCTAssertEqual(byName["twice"]?["series"] as? [Double], [2, 4, 6])
        XCTAssertEqual(byName["twice"]?["labels"] as? [String], ["2026-Q3", "2026-Q4", "2027-Q1"])
        let vars = try XCTUnwrap(obj["variables"] as? [String: Any])
        XCTAssertEqual((vars["overdue"] as? [String: Any])?["value"] as? Bool ?? (vars["overdue"] as? Bool), true)
        // A model that does not read `today` states no date (reports stay reproducible).
        try "let x = 1".write(to: dir.appendingPathComponent("n.strat"), atomically: true, encoding: .utf8)
        let plain = try strat(["run", "n.strat", "--format", "json"], in: dir)
        XCTAssertFalse(plain.stdout.contains("as_of"), plain.stdout)
    }

    /// The REPL takes series declarations, redefines them, and labels `:project` by date.
    func testREPLSeriesAndDates() throws {
        guard let bin = ScriptCorpus.binary() else { throw XCTSkip("STRAT_BIN is not set") }
        let p = Process()
        p.executableURL = URL(fileURLWithPath: bin)
        p.arguments = ["repl", "--as-of", "2026-05-01"]
        p.currentDirectoryURL = FileManager.default.temporaryDirectory
        var env = ProcessInfo.processInfo.environment
        env["NO_COLOR"] = "1"
        env["STRAT_HISTORY"] = "/nonexistent/history"
        p.environment = env
        let input = Pipe(), output = Pipe()
        p.standardInput = input
        p.standardOutput = output
        p.standardError = output
        try p.run()
        let lines = [
            "projection c over 2 quarters from 2026-07-01 { start: 10, next: value + 5 }",
            "series r = c * $2", "r.series", "series r = c * $3", "r.final", ":project r", "today",
            "2026-01-31 + 1mo",
        ]
        input.fileHandleForWriting.write(Data((lines.joined(separator: "\n") + "\n").utf8))
        try input.fileHandleForWriting.close()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        let out = String(decoding: data, as: UTF8.self)
        XCTAssertEqual(p.terminationStatus, 0, out)
        XCTAssertTrue(out.contains("series r  final $40"), out)
        XCTAssertTrue(out.contains("[$20, $30, $40]"), out)
        XCTAssertTrue(out.contains("r.final: $40 → $60"), out)
        XCTAssertTrue(out.contains("2026-Q3") && out.contains("2027-Q1"), out)
        XCTAssertTrue(out.contains("\n2026-05-01\n"), out)
        XCTAssertTrue(out.hasSuffix("2026-02-28\n"), out)
    }

    func testDatesInEvalJSON() throws {
        let r = try strat(["eval", "-e", "2026-03-31", "-e", "$1M / 1h", "-e", "2.5% / 1mo", "--format", "json"],
                          in: FileManager.default.temporaryDirectory)
        let out = try jsonArray(r.stdout)
        XCTAssertEqual(out[0]["value"] as? Double, 1774915200)  // 2026-03-31T00:00:00Z
        XCTAssertEqual(out[0]["unit"] as? String, "date")
        XCTAssertEqual(out[0]["display"] as? String, "2026-03-31")
        XCTAssertEqual(try XCTUnwrap(out[1]["value"] as? Double), 1e6 / 3600, accuracy: 1e-9)
        XCTAssertEqual(out[1]["unit"] as? String, "$/h")
        XCTAssertEqual(out[1]["display"] as? String, "$1M/h")
        XCTAssertEqual(try XCTUnwrap(out[2]["value"] as? Double), 0.025 / (365.2425 * 86400 / 12), accuracy: 1e-20)
        XCTAssertEqual(out[2]["unit"] as? String, "%/mo")
    }
}
