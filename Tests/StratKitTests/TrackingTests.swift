// SPEC §15 through the embedding API, every formula against values computed by hand.
//
// The period used throughout: 2026-01-01 … 2026-04-11, 100 days, so a day is 1% of it.
// Day 20 = 2026-01-21, day 25 = 01-26, day 50 = 02-20, day 60 = 03-02, day 70 = 03-12.
import XCTest
import StratKit

/// Serves imports from memory, as bytes (a BOM or CRLF survives).
private struct BytesImporter: Importer {
    let files: [String: [UInt8]]
    func resolve(_ path: String, from importingFile: String) throws -> ImportedFile {
        guard let b = files[path] else { throw ImportError("no file '\(path)' in memory") }
        return ImportedFile(key: "mem:" + path, path: path, bytes: b)
    }
}

final class TrackingTests: XCTestCase {
    static let model = """
    plan { start: 2026-01-01, end: 2026-04-11 }
    objective O "o" {
      kr A "a" { baseline: 0, target: 100, weight: 3 }
      kr ONE "one check-in" { baseline: 0, target: 100 }
      kr T "threshold" { target: >= 99.9% }
    }
    objective C "committed" {
      committed: true
      kr K "k" { baseline: 0, target: 100 }
    }
    // Out of date order on purpose: history is sorted by date.
    checkin 2026-03-02 "second" { O.A = 50; O.A.confidence = 0.8; C.K = 85 }
    checkin 2026-01-21 "first" { O.A = 30; O.A.confidence = 0.6 }
    checkin 2026-01-26 { O.ONE = 15; O.T = 99.95% }
    retro R {
      action LATE "late" { due: "2026-02-01", status: "open" }
      action DONE "done" { due: 2026-02-01, status: "done" }
      action LATER "later" { due: 2026-12-01, status: "open" }
    }
    """

    func engine(_ source: String = TrackingTests.model, asOf: String, files: [String: [UInt8]] = [:]) throws -> Engine {
        var c = Configuration()
        c.asOf = CalendarDate(asOf)
        if !files.isEmpty { c.importer = BytesImporter(files: files) }
        let e = Engine(configuration: c)
        try e.load(source: source, path: "plan.strat")
        return e
    }

    func number(_ e: Engine, _ expr: String, file: StaticString = #filePath, line: UInt = #line) throws -> Double? {
        try e.evaluate(expr).doubleValue
    }

    func testPacingAtDay50() throws {
        let e = try engine(asOf: "2026-02-20")
        XCTAssertEqual(try number(e, "O.A.current"), 30)        // day 20; day 60 is after today
        XCTAssertEqual(try number(e, "O.A.elapsed"), 0.5)
        XCTAssertEqual(try number(e, "O.A.expected"), 50)       // 0 + 100 × 0.5
        XCTAssertEqual(try number(e, "O.A.pace")!, 0.6, accuracy: 1e-12)     // 0.3 / 0.5
        // Known points (0, 0) and (20, 30): slope 1.5 a day, 150 at day 100.
        XCTAssertEqual(try number(e, "O.A.forecast")!, 150, accuracy: 1e-9)
        XCTAssertEqual(try number(e, "O.A.forecast_score"), 1)
        XCTAssertEqual(try e.evaluate("O.A.health"), .string("on track"))
        XCTAssertEqual(try number(e, "O.A.confidence"), 0.6)
        XCTAssertEqual(try e.evaluate("O.A.history.date").description, "[2026-01-21, 2026-03-02]")
        XCTAssertEqual(try e.evaluate("O.A.history.note"), .list([.string("first"), .string("second")]))
    }

    func testPacingAtDay70() throws {
        let e = try engine(asOf: "2026-03-12")
        XCTAssertEqual(try number(e, "O.A.current"), 50)
        XCTAssertEqual(try number(e, "O.A.elapsed")!, 0.7, accuracy: 1e-12)
        XCTAssertEqual(try number(e, "O.A.expected")!, 70, accuracy: 1e-9)
        XCTAssertEqual(try number(e, "O.A.pace")!, 0.5 / 0.7, accuracy: 1e-12)
        // (0, 0), (20, 30), (60, 50): slope 11/14, mean 80/3, so 80/3 + 11/14 × 220/3 = 3540/42.
        XCTAssertEqual(try number(e, "O.A.forecast")!, 3540.0 / 42, accuracy: 1e-9)
        XCTAssertEqual(try number(e, "O.A.forecast_score")!, 35.4 / 42, accuracy: 1e-12)
        XCTAssertEqual(try number(e, "O.A.confidence"), 0.8)
    }

    func testSingleCheckinIsTheLineFromTheBaseline() throws {
        let e = try engine(asOf: "2026-03-12")
        // (0, 0) and (25, 15): 0.6 a day, 60 at day 100; 0.6 is `needs attention`.
        XCTAssertEqual(try number(e, "O.ONE.forecast")!, 60, accuracy: 1e-9)
        XCTAssertEqual(try number(e, "O.ONE.forecast_score")!, 0.6, accuracy: 1e-12)
        XCTAssertEqual(try e.evaluate("O.ONE.health"), .string("needs attention"))
    }

    func testThresholdPacesAsMetOrNot() throws {
        let e = try engine(asOf: "2026-03-12")
        XCTAssertEqual(try number(e, "O.T.pace"), 1)
        XCTAssertEqual(try number(e, "O.T.expected")!, 0.999, accuracy: 1e-12)
        XCTAssertEqual(try number(e, "O.T.forecast_score"), 1)
        let before = try engine(asOf: "2026-01-22")   // no check-in yet and no current: unscored
        XCTAssertTrue(try before.evaluate("O.T.pace").isNone)
        XCTAssertTrue(try before.evaluate("O.T.health").isNone)
    }

    func testCommittedNeedsFullForecastAndRollUps() throws {
        let e = try engine(asOf: "2026-03-12")
        // C.K: (0, 0), (60, 85): 141.67 at day 100, forecast score 1: committed and on track.
        XCTAssertEqual(try e.evaluate("C.K.health"), .string("on track"))
        let f = try XCTUnwrap(try number(e, "O.A.forecast_score")), one = 0.6, t = 1.0
        // O: weights 3, 1, 1.
        XCTAssertEqual(try number(e, "O.forecast_score")!, (3 * f + one + t) / 5, accuracy: 1e-12)
        XCTAssertEqual(try number(e, "plan.forecast_score")!, ((3 * f + one + t) / 5 + 1) / 2, accuracy: 1e-12)
        XCTAssertEqual(try e.evaluate("plan.health"), .string("on track"))
        // At day 61 the committed KR's line is 85/60 a day: still ≥ 1. Lower it with a what-if.
        let changes = try e.whatIf(["C.K.current": "40"])
        XCTAssertTrue(changes.contains { $0.path == "C.K.score" })
        let low = try engine(TrackingTests.model.replacingOccurrences(of: "C.K = 85", with: "C.K = 51"), asOf: "2026-03-12")
        // 51/60 × 100 = 85: 0.85 is on track for an ordinary KR, not for a committed one.
        XCTAssertEqual(try number(low, "C.K.forecast_score")!, 0.85, accuracy: 1e-12)
        XCTAssertEqual(try low.evaluate("C.K.health"), .string("needs attention"))
        XCTAssertEqual(try low.evaluate("C.health"), .string("needs attention"))
    }

    func testBeforeTheStartAfterTheEndAndOnTheEndDate() throws {
        let before = try engine(asOf: "2025-12-01")
        XCTAssertEqual(try number(before, "O.A.elapsed"), 0)
        XCTAssertTrue(try before.evaluate("O.A.pace").isNone, "nothing is expected before the start")
        XCTAssertTrue(try before.evaluate("O.A.current").isNone, "no check-in yet and no current: property")
        XCTAssertEqual(try number(before, "O.A.expected"), 0)
        XCTAssertTrue(try before.evaluate("O.A.forecast").isNone)
        XCTAssertTrue(try before.evaluate("O.A.score").isNone)
        let end = try engine(asOf: "2026-04-11")
        XCTAssertEqual(try number(end, "O.A.elapsed"), 1)
        XCTAssertEqual(try number(end, "O.A.pace"), 0.5)
        XCTAssertEqual(try number(end, "O.A.expected"), 100)
        let after = try engine(asOf: "2026-06-01")
        XCTAssertEqual(try number(after, "O.A.elapsed"), 1)
        XCTAssertEqual(try number(after, "O.A.pace"), 0.5)
    }

    func testCurrentPropertyBeforeTheFirstCheckin() throws {
        let src = """
        plan { start: 2026-01-01, end: 2026-04-11 }
        objective O { kr A { baseline: 0, target: 100, current: 10 } }
        checkin 2026-01-21 { O.A = 30 }
        """
        XCTAssertEqual(try number(try engine(src, asOf: "2026-01-11"), "O.A.current"), 10)
        // Without check-ins yet, current counts as of today: (0, 0), (10, 10) gives 100 at day 100.
        XCTAssertEqual(try number(try engine(src, asOf: "2026-01-11"), "O.A.forecast")!, 100, accuracy: 1e-9)
        XCTAssertEqual(try number(try engine(src, asOf: "2026-01-21"), "O.A.current"), 30)
    }

    func testOverdueActions() throws {
        let e = try engine(asOf: "2026-02-20")
        XCTAssertEqual(try e.evaluate("plan.overdue").description, "[R.actions.LATE]")
        XCTAssertEqual(try e.report().plan.overdue, ["R.actions.LATE"])
        XCTAssertEqual(try engine(asOf: "2026-01-20").evaluate("plan.overdue"), .list([]))
    }

    func testDuplicateDatesWarnAndTheLaterWins() throws {
        let e = try engine("""
        plan { start: 2026-01-01, end: 2026-04-11 }
        objective O { kr A { baseline: 0, target: 100 } }
        checkin 2026-01-21 { O.A = 30 }
        checkin 2026-01-21 { O.A = 35 }
        """, asOf: "2026-02-20")
        XCTAssertEqual(try number(e, "O.A.current"), 35)
        XCTAssertEqual(try e.evaluate("count(O.A.history)"), .number(1))
        let w = e.diagnostics.filter { $0.severity == .warning }
        XCTAssertEqual(w.count, 1)
        XCTAssertTrue(w[0].message.contains("two check-ins on 2026-01-21"), w[0].message)
        XCTAssertEqual(w[0].line, 4)
    }

    func testUnknownCheckinPathIsAnErrorWithDidYouMean() throws {
        XCTAssertThrowsError(try engine("""
        objective O { kr ALPHA { target: 1 } }
        checkin 2026-01-21 { O.ALPAH = 1 }
        """, asOf: "2026-02-20")) { error in
            let d = (error as? StratError)?.diagnostics.first
            XCTAssertEqual(d?.message, "'O.ALPAH' is not a key result or metric")
            XCTAssertEqual(d?.hint, "did you mean 'O.ALPHA'?")
            XCTAssertEqual(d?.line, 2)
        }
    }

    func testCSVWithBOMCRLFQuotedFieldsAndBadRows() throws {
        let csv = Array("\u{FEFF}date,path,value,confidence,note\r\n".utf8)
            + Array("2026-01-21,O.A,30,0.6,\"first, with a comma and \"\"quotes\"\"\"\r\n".utf8)
            + Array("2026-13-01,O.A,31,,\r\n".utf8)           // line 3: bad date
            + Array("2026-01-22,O.AA,31,,\r\n".utf8)          // line 4: unknown path
            + Array("2026-01-23,O.A,12abc,,\r\n".utf8)        // line 5: bad literal
            + Array("\"2026-03-02\",O.A,$50,,\r\n".utf8)      // line 6: a money value for a plain KR
            + Array("2026-03-02,O.A,50%,0.9,\"multi\r\nline\"\r\n".utf8)
        let src = """
        plan { start: 2026-01-01, end: 2026-04-11 }
        objective O { kr A { baseline: 0%, target: 100% } }
        import "a.csv"
        """
        let e = try engine(src, asOf: "2026-03-12", files: ["a.csv": csv])
        XCTAssertEqual(try e.evaluate("O.A.history.value").description, "[30, 50%]")
        XCTAssertEqual(try e.evaluate("O.A.history[0].note"), .string("first, with a comma and \"quotes\""))
        XCTAssertEqual(try e.evaluate("O.A.history[1].note"), .string("multi\r\nline"))
        XCTAssertEqual(try number(e, "O.A.confidence"), 0.9)
        let warnings = e.diagnostics.filter { $0.severity == .warning && $0.path == "a.csv" }
        XCTAssertEqual(warnings.map(\.line), [3, 5, 4, 7], warnings.map(\.message).joined(separator: "\n"))
        XCTAssertEqual(warnings.first { $0.line == 3 }?.column, 1)
        XCTAssertEqual(warnings.first { $0.line == 4 }?.hint, "did you mean 'O.A'?")
        XCTAssertEqual(warnings.first { $0.line == 4 }?.column, 14)
        XCTAssertEqual(warnings.first { $0.line == 5 }?.column, 16)
        // The duplicate 2026-03-02 row (line 7) replaced line 6's: a warning as well.
        XCTAssertTrue(e.diagnostics.contains { $0.line == 7 && $0.message.contains("two check-ins") })
    }

    func testCSVHeaderErrors() throws {
        let src = "objective O { kr A { target: 1 } }\nimport \"a.csv\""
        XCTAssertThrowsError(try engine(src, asOf: "2026-01-01", files: ["a.csv": Array("day,path,value\n".utf8)])) { error in
            let d = (error as? StratError)?.diagnostics.first { $0.severity == .error }
            XCTAssertEqual(d?.message, "the actuals header has no 'date' column")
            XCTAssertEqual(d?.path, "a.csv")
        }
        let e = try engine(src, asOf: "2026-01-01", files: ["a.csv": Array("date,path,value,confidnce\n".utf8)])
        XCTAssertEqual(e.diagnostics.first?.hint, "did you mean 'confidence'?")
    }

    func testJSONRows() throws {
        let json = """
        [
          {"date": "2026-01-21", "path": "O.A", "value": "30%", "confidence": 0.6, "note": "q\\u00e9"},
          {"date": "2026-01-22", "path": "O.A", "value": "oops"},
          {"date": "2026-03-02", "path": "O.A", "value": 0.5, "note": null}
        ]
        """
        let src = """
        plan { start: 2026-01-01, end: 2026-04-11 }
        objective O { kr A { baseline: 0%, target: 100% } }
        import "a.json"
        """
        let e = try engine(src, asOf: "2026-03-12", files: ["a.json": Array(json.utf8)])
        XCTAssertEqual(try e.evaluate("O.A.history.value").description, "[30%, 0.5]")
        XCTAssertEqual(try e.evaluate("O.A.history[0].note"), .string("qé"))
        let w = e.diagnostics.filter { $0.severity == .warning }
        XCTAssertEqual(w.count, 1)
        XCTAssertEqual(w.first?.line, 3)
        XCTAssertThrowsError(try engine(src, asOf: "2026-03-12", files: ["a.json": Array("{\"date\": 1}".utf8)]))
    }

    func testReportCarriesTrackingAndAsOf() throws {
        let r = try engine(asOf: "2026-02-20").report()
        XCTAssertEqual(r.asOf, "2026-02-20")
        let a = try XCTUnwrap(r.objectives[0].krs[0].tracking)
        XCTAssertEqual(a.start, "2026-01-01")
        XCTAssertEqual(a.elapsed, 0.5)
        XCTAssertEqual(a.health, "on track")
        XCTAssertEqual(a.history.map(\.future), [false, true])
        XCTAssertEqual(r.objectives[0].health, "on track")
        let json = try engine(asOf: "2026-02-20").report().json()
        XCTAssertTrue(json.contains("\"forecast_score\""))
        XCTAssertTrue(json.contains("\"overdue\"") && json.contains("\"R.actions.LATE\""), json)
        // A model without tracking has none of it.
        let plain = try engine("objective O { kr A { target: 10, current: 5 } }", asOf: "2026-02-20").report()
        XCTAssertNil(plain.objectives[0].krs[0].tracking)
        XCTAssertNil(plain.plan.overdue)
        XCTAssertFalse(plain.json().contains("health"))
    }

    func testBadPeriods() throws {
        XCTAssertThrowsError(try engine("plan { start: 2026-05-01, end: 2026-01-01 }\nobjective O { kr A { target: 1, current: 1 } }\nlet x = O.A.elapsed",
                                        asOf: "2026-02-01")) { error in
            XCTAssertTrue((error as? StratError)?.description.contains("ends (2026-01-01) before it starts (2026-05-01)") ?? false, "\(error)")
        }
        XCTAssertThrowsError(try engine("plan { start: 2026-01-01, ende: 2026-02-01 }", asOf: "2026-02-01")) { error in
            XCTAssertEqual((error as? StratError)?.diagnostics.first?.hint, "did you mean 'end'?")
        }
        XCTAssertThrowsError(try engine("plan { start: 2026-01-01 }\nplan { end: 2026-02-01 }", asOf: "2026-02-01"))
    }

    func testDiffOfTwoVersions() throws {
        let old = try engine(asOf: "2026-03-12")
        let new = try engine(TrackingTests.model.replacingOccurrences(of: "O.ONE = 15", with: "O.ONE = 25")
            .replacingOccurrences(of: "  kr T \"threshold\" { target: >= 99.9% }\n", with: "")
            .replacingOccurrences(of: "; O.T = 99.95%", with: "") + "\nlet extra = 1", asOf: "2026-03-12")
        let d = new.diff(from: old)
        XCTAssertEqual(d.added.map(\.path), ["extra"])
        XCTAssertEqual(Set(d.removed.map(\.path)), ["O.T", "O.T.history[2026-01-26]"])
        // Scores and health first: the plan's, then objectives', then key results'.
        let paths = d.changed.map(\.path)
        XCTAssertEqual(paths.first, "plan.score")
        let firstOther = try XCTUnwrap(paths.firstIndex { !["score", "status", "health", "forecast_score"].contains(String($0.split(separator: ".").last!)) })
        XCTAssertTrue(paths[firstOther...].allSatisfy { !$0.hasSuffix(".score") }, "\(paths)")
        XCTAssertEqual(d.changed.first { $0.path == "O.ONE.current" }.map { "\($0.before) → \($0.after)" }, "15 → 25")
        XCTAssertTrue(try engine(asOf: "2026-03-12").diff(from: old).isEmpty)
    }
}
