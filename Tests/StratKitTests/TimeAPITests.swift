// SPEC §14 through the embedding API: Configuration.asOf, date values, series and
// dated projections, what-ifs that reproject series.
import XCTest
import StratKit

final class TimeAPITests: XCTestCase {
    func engine(_ source: String, asOf: String? = nil) throws -> Engine {
        var c = Configuration()
        c.asOf = asOf.flatMap(CalendarDate.init)
        let e = Engine(configuration: c)
        try e.load(source: source)
        return e
    }

    func testCalendarDate() throws {
        XCTAssertNil(CalendarDate("2026-02-29"))
        XCTAssertNotNil(CalendarDate("2024-02-29"))
        XCTAssertNil(CalendarDate(year: 2026, month: 4, day: 31))
        XCTAssertEqual(CalendarDate("1970-01-01")?.days, 0)
        XCTAssertEqual(CalendarDate("1969-12-31")?.days, -1)
        XCTAssertEqual(CalendarDate("2000-03-01")?.days, 11017)
        let d = try XCTUnwrap(CalendarDate("2026-03-31"))
        XCTAssertEqual(d.description, "2026-03-31")
        XCTAssertEqual(d.quarter, 1)
        XCTAssertEqual(d.weekday, 2)  // a Tuesday
        XCTAssertEqual(d.addingMonths(-1)?.description, "2026-02-28")
        XCTAssertEqual(d.addingMonths(-15)?.description, "2024-12-31")
        XCTAssertEqual(d.periodLabel("quarters"), "2026-Q1")
        XCTAssertEqual(d.periodLabel("weeks"), "2026-W14")
        // Every day of four centuries round-trips through the civil conversion.
        var day = try XCTUnwrap(CalendarDate("1900-01-01")).days
        var (y, m, dd) = (1900, 1, 1)
        while y < 2300 {
            let c = CalendarDate(days: day).components
            XCTAssertEqual(c.year, y); XCTAssertEqual(c.month, m); XCTAssertEqual(c.day, dd)
            if c.year != y || c.month != m || c.day != dd { return }
            day += 1
            dd += 1
            let len = [31, (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][m - 1]
            if dd > len { dd = 1; m += 1; if m > 12 { m = 1; y += 1 } }
        }
        // Huge values shown as dates do not trap.
        XCTAssertFalse(Value.number(1e300, Value.date(d).unit!).description.isEmpty)
    }

    func testTodayComesFromConfiguration() throws {
        let e = try engine("let overdue = 2026-03-01 < today", asOf: "2026-04-02")
        XCTAssertEqual(try e.evaluate("today").dateValue, CalendarDate("2026-04-02"))
        XCTAssertEqual(try e.evaluate("today").description, "2026-04-02")
        XCTAssertEqual(try e.evaluate("overdue"), .bool(true))
        XCTAssertEqual(try e.report().asOf, "2026-04-02")
        let other = try engine("let x = 1", asOf: "2026-04-02")
        XCTAssertNil(try other.report().asOf, "a model that does not read today states no date")
        XCTAssertEqual(try e.evaluate("today - 2026-01-01").description, "91d")
    }

    func testSeriesAndDatedProjectionsThroughTheAPI() throws {
        let e = try engine("""
        let price = $10
        projection customers over 3 months from 2026-01-31 { start: 100, next: value + 10 }
        series revenue = customers * price
        projection cash over 3 months { start: $0, next: value + revenue }
        """)
        XCTAssertEqual(try e.evaluate("revenue.series").description, "[$1000, $1100, $1200, $1300]")
        XCTAssertEqual(try e.evaluate("cash.final").description, "$3300")
        XCTAssertEqual(try e.evaluate("customers.dates").description, "[2026-01-31, 2026-02-28, 2026-03-31, 2026-04-30]")
        XCTAssertEqual(try e.evaluate("revenue.at(2026-03-01)").description, "$1100")
        let report = try e.report()
        let rev = try XCTUnwrap(report.projections.first { $0.name == "revenue" })
        XCTAssertEqual(rev.kind, "series")
        XCTAssertEqual(rev.labels, ["2026-01", "2026-02", "2026-03", "2026-04"])
        // A what-if on an input reprojects the series and what reads it.
        let changes = try e.whatIf(["price": "$20"])
        let paths = Set(changes.map(\.path))
        XCTAssertTrue(paths.contains("revenue.final"), "\(paths)")
        XCTAssertTrue(paths.contains("cash.final"), "\(paths)")
        XCTAssertEqual(changes.first { $0.path == "cash.final" }?.after.description, "$6600")
        XCTAssertEqual(try e.evaluate("cash.final").description, "$3300", "a what-if leaves the model unchanged")
    }

    func testRateUnits() throws {
        let e = try engine("let burn = $120K / 1yr")
        XCTAssertEqual(try e.evaluate("burn").description, "$120K/yr")
        XCTAssertEqual(try e.evaluate("burn").unit?.symbol, "$/yr")
        XCTAssertEqual(try e.evaluate("burn * 6mo").description, "$60K")
        XCTAssertEqual(try e.evaluate("burn -> mo").description, "$10K/mo")
        XCTAssertEqual(try XCTUnwrap(try e.evaluate("burn").doubleValue), 120_000 / (365.2425 * 86400), accuracy: 1e-12)
    }
}
