import Foundation
import XCTest

/// Monte Carlo through the CLI (SPEC §13): determinism across threads, common random
/// numbers, noise per period, the JSON shape and the diagnostics. Statistical accuracy
/// of every constructor is checked against scipy by Tests/Uncertainty/stats_test.py.
extension CLITests {
    static let uncertainModel = """
        simulate 135000 seed 42
        let churn = 3% to 5%
        let growth = normal(10%, 2%)
        let members = 262M
        let lost = members * churn
        let cost = $1M to $3M
        let same = churn - churn
        objective O "grow" {
          kr A "churn down" { baseline: 6%, target: 3%, current: churn }
          kr B "members" { target: >= 250M, current: members * (1 + growth) }
        }
        projection subs over 4 quarters {
          start: members
          next: value * (1 - churn) + 5M * (1 + normal(0, 10%))
        }
        projection steady over 3 years { start: 1, next: value + growth }
        scenario cheap { cost = $1M to $2M }
        """

    func testUncertaintySameSeedSameJSONOnOneAndTwoThreads() throws {
        let f = try write("u.strat", Self.uncertainModel)
        let one = try strat(["run", f, "--format", "json"], env: ["STRAT_THREADS": "1"])
        let two = try strat(["run", f, "--format", "json"], env: ["STRAT_THREADS": "2"])
        XCTAssertEqual(one.code, 0, one.err)
        XCTAssertEqual(two.code, 0, two.err)
        XCTAssertFalse(one.out.isEmpty)
        XCTAssertEqual(one.out, two.out, "the same seed must give byte-identical JSON on 1 and 2 threads")
        let other = try strat(["run", f, "--format", "json", "--seed", "43"], env: ["STRAT_THREADS": "2"])
        XCTAssertNotEqual(one.out, other.out, "another seed gives other samples")
    }

    func testUncertaintyJSONShape() throws {
        let f = try write("u.strat", Self.uncertainModel)
        let r = try strat(["run", f, "--format", "json", "--samples", "10000"])
        XCTAssertEqual(r.code, 0, r.err)
        let obj = try XCTUnwrap(try json(r.out) as? [String: Any])
        let sim = try XCTUnwrap(obj["simulation"] as? [String: Any])
        XCTAssertEqual(sim["samples"] as? Int, 10000)
        XCTAssertEqual(sim["seed"] as? Int, 42)
        let vars = try XCTUnwrap(obj["variables"] as? [String: Any])
        let churn = try XCTUnwrap(vars["churn"] as? [String: Any])
        let d = try XCTUnwrap(churn["distribution"] as? [String: Any])
        XCTAssertEqual(Set(d.keys), ["samples", "mean", "sd", "min", "max", "percentiles", "histogram"])
        XCTAssertEqual(d["samples"] as? Int, 10000)
        XCTAssertEqual(churn["value"] as? Double, d["mean"] as? Double, "value is the mean")
        let p = try XCTUnwrap(d["percentiles"] as? [String: Double])
        XCTAssertEqual(Set(p.keys), ["5", "25", "50", "75", "95"])
        XCTAssertEqual(p["5"]!, 0.03, accuracy: 0.0005)
        XCTAssertEqual(p["95"]!, 0.05, accuracy: 0.0008)
        let h = try XCTUnwrap(d["histogram"] as? [String: Any])
        let edges = try XCTUnwrap(h["edges"] as? [Double]), counts = try XCTUnwrap(h["counts"] as? [Int])
        XCTAssertEqual(edges.count, counts.count + 1)
        XCTAssertEqual(counts.reduce(0, +), 10000)
        XCTAssertEqual(edges.first!, d["min"] as! Double)
        XCTAssertEqual(edges.last!, d["max"] as! Double)
        XCTAssertEqual(churn["unit"] as? String, "%")
        // x - x is exactly 0 in every sample: a plain 0 distribution.
        let same = try XCTUnwrap(vars["same"] as? [String: Any])
        XCTAssertEqual(((same["distribution"] as? [String: Any])?["max"] as? Double), 0)
        XCTAssertEqual(((same["distribution"] as? [String: Any])?["min"] as? Double), 0)
        // Scores carry chance; uncertain projections carry percentile bands.
        let o = try XCTUnwrap((obj["objectives"] as? [[String: Any]])?.first)
        XCTAssertNotNil(o["chance"] as? Double)
        let kr = try XCTUnwrap((o["krs"] as? [[String: Any]])?.first)
        let chance = try XCTUnwrap(kr["chance"] as? Double)
        XCTAssert(chance > 0 && chance < 1, "chance \(chance)")
        let proj = try XCTUnwrap((obj["projections"] as? [[String: Any]])?.first)
        let bands = try XCTUnwrap(proj["percentiles"] as? [String: [Double]])
        XCTAssertEqual(bands["5"]?.count, 5)
        XCTAssert(bands["5"]![4] < bands["50"]![4] && bands["50"]![4] < bands["95"]![4])
        // A model without distributions keeps its JSON: no simulation, no chance.
        let plain = try write("p.strat", "let x = 1\nobjective O { kr K { target: 2, current: x } }\n")
        let pr = try strat(["run", plain, "--format", "json"])
        XCTAssertFalse(pr.out.contains("simulation"))
        XCTAssertFalse(pr.out.contains("chance"))
    }

    func testUncertaintyTextReportStatesSamplesAndSeed() throws {
        let f = try write("u.strat", Self.uncertainModel)
        let r = try strat(["run", f, "--samples", "5000"])
        XCTAssertEqual(r.code, 0, r.err)
        XCTAssert(r.out.contains("5,000 samples · seed 42"), r.out)
        XCTAssert(r.out.contains("chance"), r.out)
        XCTAssert(r.out.contains("p5") && r.out.contains("p95"), r.out)
        // mean (p5 … p95)
        let e = try strat(["eval", f, "-e", "churn", "-e", "mean(churn)", "-e", "P(churn > 4%)", "--samples", "5000"])
        XCTAssertEqual(e.code, 0, e.err)
        let lines = e.out.split(separator: "\n").map(String.init)
        XCTAssert(lines[0].range(of: #"^\d(\.\d+)?% \(\d(\.\d+)?% … \d(\.\d+)?%\)$"#, options: .regularExpression) != nil, lines[0])
        XCTAssert(lines[2].hasSuffix("%"), lines[2])
    }

    func testUncertaintyScenarioKeepsIndependentSamples() throws {
        let f = try write("u.strat", Self.uncertainModel)
        let base = try strat(["samples", f, "-e", "churn", "-e", "growth", "-e", "cost", "--samples", "2000", "--format", "json"])
        let cheap = try strat(["samples", f, "-e", "churn", "-e", "growth", "-e", "cost", "--samples", "2000", "--format", "json",
                               "--scenario", "cheap"])
        XCTAssertEqual(base.code, 0, base.err)
        let b = try XCTUnwrap(try json(base.out) as? [String: [Double]])
        let c = try XCTUnwrap(try json(cheap.out) as? [String: [Double]])
        XCTAssertEqual(b["churn"], c["churn"], "a scenario must not move draws it does not override")
        XCTAssertEqual(b["growth"], c["growth"])
        XCTAssertNotEqual(b["cost"], c["cost"])
        // Common random numbers: the overridden interval reuses its stream, so ranks hold.
        let bc = b["cost"]!, cc = c["cost"]!
        for i in 1..<200 { XCTAssertEqual(bc[i] > bc[0], cc[i] > cc[0]) }
        // A what-if through --set shares the draws too.
        let w = try strat(["samples", f, "-e", "churn", "-e", "lost", "--samples", "2000", "--format", "json", "--set", "members=300M"])
        let wj = try XCTUnwrap(try json(w.out) as? [String: [Double]])
        XCTAssertEqual(wj["churn"], b["churn"])
        XCTAssertEqual(wj["lost"]![7], 300e6 * b["churn"]![7], accuracy: 1e-3)
    }

    func testUncertaintyNoisePerPeriodAndNamedDraws() throws {
        let f = try write("u.strat", Self.uncertainModel)
        let r = try strat(["samples", f, "-e", "steady[1] - steady[0]", "-e", "steady[2] - steady[1]", "-e", "growth",
                           "-e", "subs[1] - subs[0] * (1 - churn)", "-e", "subs[2] - subs[1] * (1 - churn)", "--samples", "1000", "--format", "json"])
        XCTAssertEqual(r.code, 0, r.err)
        let j = try XCTUnwrap(try json(r.out) as? [String: [Double]])
        let s1 = j["steady[1] - steady[0]"]!, s2 = j["steady[2] - steady[1]"]!, g = j["growth"]!
        for i in 0..<1000 {
            XCTAssertEqual(s1[i], g[i], accuracy: 1e-12, "a named draw is the same every period")
            XCTAssertEqual(s2[i], g[i], accuracy: 1e-12)
        }
        let n1 = j["subs[1] - subs[0] * (1 - churn)"]!, n2 = j["subs[2] - subs[1] * (1 - churn)"]!
        var differ = 0
        for i in 0..<1000 where abs(n1[i] - n2[i]) > 1 { differ += 1 }
        XCTAssertGreaterThan(differ, 990, "a constructor inside next: draws afresh each period")
    }

    func testUncertaintyDiagnostics() throws {
        let zero = try write("z.strat", "let x = 0 to 10\n")
        let z = try strat(["check", zero])
        XCTAssertEqual(z.code, 70, z.err)
        XCTAssert(z.err.contains("z.strat:1:9"), z.err)
        XCTAssert(z.err.contains("uniform(0, 10)") && z.err.contains("normal("), z.err)
        let rev = try write("r.strat", "let x = 5 to 3\n")
        XCTAssert(try strat(["check", rev]).err.contains("low end below its high end"))
        let neg = try write("n.strat", "let x = -5 to 3\nprint mean(x)\n")
        let nr = try strat(["run", neg, "--no-report", "--samples", "100000"])
        XCTAssertEqual(Double(nr.out.trimmingCharacters(in: .whitespacesAndNewlines))!, -1, accuracy: 0.05, "a < 0: a normal")
        let a = try write("a.strat", "let x = 3% to 5%\nassert x > 4%\n")
        let ar = try strat(["run", a])
        XCTAssertEqual(ar.code, 70, ar.err)
        XCTAssert(ar.err.contains("assert P(x > 4%) >= 90%"), ar.err)
        let ok = try write("ok.strat", "let x = 3% to 5%\nassert P(x > 2%) >= 90% \"churn mostly above 2%\"\n")
        XCTAssertEqual(try strat(["run", ok]).code, 0)
        let big = try strat(["eval", zero, "-e", "1", "--samples", "20000000"])
        XCTAssertEqual(big.code, 64)
        XCTAssert(big.err.contains("samples limit"), big.err)
        let proj = try write("p.strat", "simulate 1000000\nprojection p over 500 days { start: 1, next: value * (1 + normal(0, 1%)) }\n")
        let pr = try strat(["check", proj])
        XCTAssertEqual(pr.code, 70)
        XCTAssert(pr.err.contains("samples × stored periods limit"), pr.err)
        let units = try write("un.strat", "let x = $1 to 5s\n")
        XCTAssertEqual(try strat(["check", units]).code, 65)
    }

    func testUncertaintyMarkdownReportHasChanceAndBands() throws {
        let f = try write("u.strat", Self.uncertainModel)
        let r = try strat(["run", f, "--format", "markdown", "--samples", "5000"])
        XCTAssertEqual(r.code, 0, r.err)
        XCTAssert(r.out.contains("**Simulation:** 5,000 samples · seed 42"), r.out)
        // A Chance column beside the key results' scores, and the objective's and plan's chance.
        let lines = r.out.split(separator: "\n").map(String.init)
        let head = try XCTUnwrap(lines.first { $0.hasPrefix("| Key result |") })
        XCTAssertEqual(head, "| Key result | Baseline | Current | Target | Score | Chance | Status | Description |")
        let a = try XCTUnwrap(lines.first { $0.hasPrefix("| `A` |") })
        XCTAssertEqual(a.split(separator: "|").count, 8, a)
        XCTAssert(a.split(separator: "|")[5].trimmingCharacters(in: .whitespaces).hasSuffix("%"), a)
        XCTAssert(r.out.contains("· chance **"), r.out)
        // Projection tables carry p5 / p50 / p95 per uncertain projection.
        XCTAssert(lines.contains { $0.hasPrefix("| Quarter | subs | subs p5 | subs p50 | subs p95 |") }, r.out)
        // A plain model's Markdown has no chance column.
        let plain = try write("plain.strat", "objective O \"o\" {\n  kr A \"a\" { baseline: 0, target: 10, current: 5 }\n}\n")
        let pr = try strat(["run", plain, "--format", "markdown"])
        XCTAssert(pr.out.contains("| Key result | Baseline | Current | Target | Score | Status | Description |"), pr.out)
        XCTAssertFalse(pr.out.contains("Chance") || pr.out.contains("Simulation"), pr.out)
    }

    func testUncertainSeriesStepsEverySample() throws {
        let f = try write("s.strat", """
            simulate 2000 seed 5
            let growth = 2% to 4%
            let price = $10 to $12
            projection users over 6 months { start: 100, next: value * (1 + growth) }
            series revenue = users * price
            series noisy = users * normal(1, 0.1)

            """)
        // Every sample is stepped: the series at t is exactly users[t] × price, sample by sample.
        let s = try strat(["samples", f, "-e", "revenue[3]", "-e", "users[3] * price", "-e", "revenue.sum",
                           "-e", "revenue[0] + revenue[1] + revenue[2] + revenue[3] + revenue[4] + revenue[5] + revenue[6]",
                           "-e", "noisy[1] / users[1]", "-e", "noisy[2] / users[2]", "--format", "json"])
        XCTAssertEqual(s.code, 0, s.err)
        let j = try XCTUnwrap(try json(s.out) as? [String: [Double]])
        XCTAssertEqual(j["revenue[3]"], j["users[3] * price"])
        let sum = j["revenue.sum"]!, byHand = j["revenue[0] + revenue[1] + revenue[2] + revenue[3] + revenue[4] + revenue[5] + revenue[6]"]!
        XCTAssertEqual(sum.count, 2000)
        for i in 0..<2000 { XCTAssertEqual(sum[i], byHand[i], accuracy: 1e-9 * abs(byHand[i])) }
        XCTAssertGreaterThan(Set(sum).count, 1900, "the sum is a distribution, not a constant")
        // A constructor in a series formula draws afresh each period, as in `next:`.
        let n1 = j["noisy[1] / users[1]"]!, n2 = j["noisy[2] / users[2]"]!
        XCTAssertGreaterThan(zip(n1, n2).filter { abs($0 - $1) > 1e-9 }.count, 1990)
        let r = try strat(["run", f, "--format", "json"])
        XCTAssertEqual(r.code, 0, r.err)
        let obj = try XCTUnwrap(try json(r.out) as? [String: Any])
        let projections = try XCTUnwrap(obj["projections"] as? [[String: Any]])
        let rev = try XCTUnwrap(projections.first { $0["name"] as? String == "revenue" })
        let bands = try XCTUnwrap(rev["percentiles"] as? [String: [Double]])
        XCTAssertEqual(bands["5"]?.count, 7)
        XCTAssert(zip(bands["5"]!, bands["95"]!).allSatisfy { $0 < $1 }, "\(bands)")
        let text = try strat(["run", f])
        let header = try XCTUnwrap(text.out.split(separator: "\n").first { $0.hasPrefix("  month") }).split(separator: " ").map(String.init)
        let at = try XCTUnwrap(header.firstIndex(of: "revenue"), text.out)
        XCTAssertEqual(Array(header[at..<min(at + 4, header.count)]), ["revenue", "p5", "p50", "p95"], text.out)
    }

    func testUncertaintySummariesOfPlainValues() throws {
        let r = try strat(["eval", "-e", "mean(5)", "-e", "sd($3)", "-e", "median(2h)", "-e", "percentile(7, 95%)", "-e", "P(1 < 2)",
                           "-e", "mean(uniform(2, 4)) > 2.9"])
        XCTAssertEqual(r.code, 0, r.err)
        XCTAssertEqual(r.out, "5\n$0\n2h\n7\n100%\ntrue\n")
    }

    func testSamplesCSVRoundTripsThroughPython() throws {
        let f = try write("u.strat", Self.uncertainModel)
        let csv = try strat(["samples", f, "-e", "churn", "-e", "cost", "-e", "churn > 4%", "-e", "\"a, \\\"b\\\"\"", "--samples", "300"])
        XCTAssertEqual(csv.code, 0, csv.err)
        XCTAssert(csv.err.contains("300 samples · seed 42"), csv.err)
        let js = try strat(["samples", f, "-e", "churn", "-e", "cost", "--samples", "300", "--format", "json"])
        let path = tempDir.appendingPathComponent("s.csv").path, jpath = tempDir.appendingPathComponent("s.json").path
        try csv.out.write(toFile: path, atomically: true, encoding: .utf8)
        try js.out.write(toFile: jpath, atomically: true, encoding: .utf8)
        // Python parses doubles exactly: the CSV and JSON samples must be the same floats.
        let py = Process()
        py.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        py.arguments = ["python3", "-c", """
            import csv, json, sys
            rows = list(csv.reader(open(sys.argv[1], newline='')))
            j = json.load(open(sys.argv[2]))
            same = all(float(r[0]) == j["churn"][i] and float(r[1]) == j["cost"][i] and r[2] == ("true" if j["churn"][i] > 0.04 else "false")
                       for i, r in enumerate(rows[1:]))
            print(json.dumps({"header": rows[0], "rows": rows[1:], "same": same}))
            """, path, jpath]
        let pipe = Pipe()
        py.standardOutput = pipe
        try py.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        py.waitUntilExit()
        let parsed = try XCTUnwrap(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        XCTAssertEqual(parsed["header"] as? [String], ["churn", "cost", "churn > 4%", "\"a, \\\"b\\\"\""])
        let rows = try XCTUnwrap(parsed["rows"] as? [[String]])
        XCTAssertEqual(rows.count, 300)
        XCTAssertEqual(parsed["same"] as? Bool, true, "CSV keeps every double exactly")
        for row in rows { XCTAssertEqual(row[3], "a, \"b\"") }
    }
}
