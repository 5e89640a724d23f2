import Foundation
import XCTest

/// Every example runs cleanly (exit 0, no diagnostics at all), in every scenario it
/// declares; the Netflix example's JSON report is a golden file.
final class ExamplesTests: XCTestCase {
    static var examplesDirectory: URL { ScriptCorpus.packageRoot.appendingPathComponent("examples") }

    func examples() throws -> [URL] {
        try FileManager.default.contentsOfDirectory(atPath: Self.examplesDirectory.path).sorted()
            .filter { $0.hasSuffix(".strat") }
            .map { Self.examplesDirectory.appendingPathComponent($0) }
    }

    func testEveryExampleRunsCleanly() throws {
        guard let bin = ScriptCorpus.binary() else { return XCTFail("STRAT_BIN is not set") }
        let files = try examples()
        XCTAssertGreaterThanOrEqual(files.count, 4, "the Netflix model and at least three more examples")
        for f in files {
            let r = try ProcessRunner.run(bin, ["run", f.lastPathComponent], in: Self.examplesDirectory, timeout: 60)
            XCTAssertEqual(r.status, 0, "\(f.lastPathComponent): exit \(r.status)\n\(r.stderr)")
            XCTAssertEqual(r.stderr, "", "\(f.lastPathComponent) must run without warnings")
            XCTAssertFalse(r.stdout.isEmpty, "\(f.lastPathComponent) printed no report")
            // Each declared scenario evaluates without errors and its asserts hold.
            let names = try ProcessRunner.run(bin, ["eval", f.lastPathComponent, "-e", "1", "--format", "json"],
                                              in: Self.examplesDirectory, timeout: 60)
            XCTAssertEqual(names.status, 0, names.stderr)
            let source = try String(contentsOf: f, encoding: .utf8)
            for line in source.split(separator: "\n") where line.hasPrefix("scenario ") {
                let name = line.dropFirst("scenario ".count).prefix { $0.isLetter || $0.isNumber || $0 == "_" }
                let s = try ProcessRunner.run(bin, ["run", f.lastPathComponent, "--scenario", String(name), "--no-report"],
                                              in: Self.examplesDirectory, timeout: 60)
                XCTAssertEqual(s.status, 0, "\(f.lastPathComponent) --scenario \(name): \(s.stderr)")
            }
        }
    }

    /// The golden file was reviewed by hand once; it guards every number of the report.
    /// Regenerate with `STRAT_UPDATE_GOLDEN=1 make test` after an intended change.
    /// A clone carries its own language reference: no README, doc or example points
    /// outside the repository (such as the spec's `../shared/SPEC.md`).
    func testDocsDoNotLinkOutsideTheRepository() throws {
        let root = ScriptCorpus.packageRoot
        let docs = root.appendingPathComponent("docs")
        var files = [root.appendingPathComponent("README.md"), root.appendingPathComponent("Tests/Scripts/README.md")]
        files += try FileManager.default.contentsOfDirectory(atPath: docs.path).filter { $0.hasSuffix(".md") }
            .map { docs.appendingPathComponent($0) }
        files += try examples()
        XCTAssertTrue(FileManager.default.fileExists(atPath: docs.appendingPathComponent("reference.md").path))
        for f in files {
            let text = try String(contentsOf: f, encoding: .utf8)
            XCTAssertFalse(text.contains("../shared"), "\(f.lastPathComponent) points outside the repository")
            // Every relative Markdown link resolves to a path inside the repository.
            for part in text.components(separatedBy: "](").dropFirst() {
                guard let target = part.split(separator: ")", maxSplits: 1).first.map(String.init),
                      !target.contains("://"), !target.hasPrefix("#"), !target.hasPrefix("mailto:") else { continue }
                let path = f.deletingLastPathComponent().appendingPathComponent(target).standardizedFileURL.path
                XCTAssertTrue(path.hasPrefix(root.standardizedFileURL.path + "/"), "\(f.lastPathComponent) links outside the repository: \(target)")
            }
        }
    }

    /// The Monte Carlo example: a simulation stated in the report, chances beside uncertain
    /// scores, P() asserts that hold, and a probability that matches the raw samples.
    func testLaunchDecisionExampleIsAMonteCarloModel() throws {
        guard let bin = ScriptCorpus.binary() else { return XCTFail("STRAT_BIN is not set") }
        let r = try ProcessRunner.run(bin, ["run", "launch-decision.strat", "--format", "json"], in: Self.examplesDirectory, timeout: 60)
        XCTAssertEqual(r.status, 0, r.stderr)
        let obj = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
        let sim = try XCTUnwrap(obj["simulation"] as? [String: Any])
        XCTAssertEqual(sim["samples"] as? Int, 20000)
        XCTAssertEqual(sim["seed"] as? Int, 7)
        let launch = try XCTUnwrap((obj["objectives"] as? [[String: Any]])?.first)
        let krs = try XCTUnwrap(launch["krs"] as? [[String: Any]])
        let chances = krs.compactMap { $0["chance"] as? Double }
        XCTAssertEqual(chances.count, 3)
        XCTAssertTrue(chances.allSatisfy { $0 > 0 && $0 < 1 }, "every KR reads a range, so none is certain: \(chances)")
        let asserts = try XCTUnwrap(obj["assertions"] as? [[String: Any]])
        XCTAssertTrue(asserts.contains { ($0["expression"] as? String)?.hasPrefix("P(") == true })
        XCTAssertTrue(asserts.allSatisfy { $0["passed"] as? Bool == true })
        // P(profit > $0) is the fraction of the samples above zero, and the PAYBACK KR's chance
        // (a threshold met or not) is the same probability.
        let s = try ProcessRunner.run(bin, ["samples", "launch-decision.strat", "-e", "profit", "--format", "csv"],
                                      in: Self.examplesDirectory, timeout: 60)
        XCTAssertEqual(s.status, 0, s.stderr)
        let rows = s.stdout.split(separator: "\n").dropFirst().compactMap { Double($0) }
        XCTAssertEqual(rows.count, 20000)
        let fraction = Double(rows.filter { $0 > 0 }.count) / Double(rows.count)
        let e = try ProcessRunner.run(bin, ["eval", "launch-decision.strat", "-e", "P(profit > $0)", "-e", "LAUNCH.PAYBACK.chance",
                                            "--format", "json"], in: Self.examplesDirectory, timeout: 60)
        let values = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(e.stdout.utf8)) as? [[String: Any]]).compactMap { $0["value"] as? Double }
        XCTAssertEqual(values.count, 2, e.stdout + e.stderr)
        XCTAssertEqual(values[0], fraction, accuracy: 1e-12)
        XCTAssertEqual(values[1], fraction, accuracy: 1e-12)
        XCTAssertTrue(fraction > 0.5 && fraction < 0.95, "a real decision: likely, not certain (\(fraction))")
    }

    /// Looking back at any day of the tracked year gives a report without errors: before
    /// the first check-in (nothing scores yet), between the reviews, at the H1 review and
    /// after the last check-in; the prints say which view they give.
    func testNetflixRunsWithoutErrorsOnAnyDate() throws {
        guard let bin = ScriptCorpus.binary() else { return XCTFail("STRAT_BIN is not set") }
        let expected = ["2026-01-15": "Plan pace: not scored yet (no check-in by this date)",
                        "2026-04-15": "Plan score so far: 0.24 (the mid-year pace is read from the H1 review on)",
                        "2026-07-01": "Mid-year plan pace: 1.05 (1 or more is on track)",
                        "2026-12-31": "Mid-year plan pace: 1.05 (1 or more is on track)"]
        for (date, line) in expected.sorted(by: { $0.key < $1.key }) {
            let r = try ProcessRunner.run(bin, ["run", "netflix-engineering.strat", "--as-of", date],
                                          in: Self.examplesDirectory, timeout: 60)
            XCTAssertEqual(r.status, 0, "\(date): \(r.stderr)")
            XCTAssertFalse(r.stderr.contains("error"), "\(date): \(r.stderr)")
            XCTAssertFalse(r.stdout.contains("✗"), "\(date): a failed assert\n\(r.stdout)")
            XCTAssertTrue(r.stdout.split(separator: "\n").contains { $0 == line }, "\(date): \(r.stdout)")
        }
    }

    func testNetflixJSONReportMatchesGolden() throws {
        guard let bin = ScriptCorpus.binary() else { return XCTFail("STRAT_BIN is not set") }
        // Pinned to mid-year (the example's check-ins end on 2026-06-30): tracking reads `today`.
        let r = try ProcessRunner.run(bin, ["run", "netflix-engineering.strat", "--format", "json", "--as-of", "2026-07-01"],
                                      in: Self.examplesDirectory, timeout: 60)
        XCTAssertEqual(r.status, 0, r.stderr)
        let golden = ScriptCorpus.packageRoot.appendingPathComponent("Tests/Golden/netflix-engineering.json")
        if ProcessInfo.processInfo.environment["STRAT_UPDATE_GOLDEN"] == "1" {
            try r.stdout.write(to: golden, atomically: true, encoding: .utf8)
        }
        let expected = try String(contentsOf: golden, encoding: .utf8)
        XCTAssertEqual(r.stdout, expected, "the JSON report differs from Tests/Golden/netflix-engineering.json")
        // And it has the shape of SPEC §9.
        let obj = try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any]
        for key in ["scenario", "mission", "plan", "variables", "objectives", "metrics", "swots", "projections",
                    "retros", "prints", "assertions"] {
            XCTAssertNotNil(obj?[key], "missing key \(key)")
        }
        let swots = obj?["swots"] as? [[String: Any]] ?? []
        XCTAssertEqual(swots.count, 2)
        let objectives = obj?["objectives"] as? [[String: Any]] ?? []
        XCTAssertEqual(objectives.map { $0["name"] as? String ?? "" },
                       ["MODERNIZE_PLATFORM", "ENHANCE_AI", "EXPAND_GAMING", "MONETIZE_GROWTH"])
        XCTAssertEqual(objectives.map { ($0["krs"] as? [Any])?.count ?? 0 }, [4, 4, 4, 4])
    }
}
