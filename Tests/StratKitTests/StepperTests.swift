import XCTest
import StratKit

/// Issues 14 and 22: every way of stepping a projection gives the general evaluator's
/// values, bit for bit, and its diagnostics. `if t > 0 then F else 0` is F for every
/// period but is not compiled, so it steps through the general evaluator.
final class StepperTests: XCTestCase {
    /// `next:` formulas of the closed shapes (and a few the numeric code interprets).
    static let formulas = [
        "value * 1.01", "value * 1.01 + 3", "value * 0.99 - 2", "value + 7", "value - 0.5", "value * 0.5 * 3",
        "value + sqrt(t)", "value - t / 7", "value * (1 + t / 1000)", "value * 0.999 + 2.5 / (1 + t / 1000)",
        "value * 0.9 + exp(t / 500)", "value * 0.9 + ln(t)", "value * 0.9 + t * t", "value * 0.9 + min(t, 50)",
        "value * 0.9 + max(3, t / 9)", "value * 0.9 - (t - 3) ^ 2", "value * 0.9 + abs(5 - t)", "value * 0.9 + -t",
        "value * 0.9 + log10(t) * 2", "value + 1 / t", "value * 0.9 + 10 - t",
        // Not closed: the numeric code's interpreter.
        "value * 0.9 + sqrt(value)", "(value + t) * 0.5",
    ]

    func engine(_ source: String) throws -> Engine {
        let e = Engine(configuration: .noImports)
        try e.load(source: source, runStatements: false)
        return e
    }

    func testCompiledStepsAreBitIdenticalToTheGeneralEvaluator() throws {
        for f in Self.formulas {
            for (n, bounds) in [(1, ""), (511, ""), (513, ", max: 1e6"), (1500, ", min: -50, max: 80")] {
                let source = """
                    projection fast over \(n) months { start: 2, next: \(f)\(bounds) }
                    projection slow over \(n) months { start: 2, next: if t > 0 then \(f) else 0\(bounds) }
                    """
                let e = try engine(source)
                // The final value alone first (the fast projection unstored), then every period.
                let finals = try (e.evaluate("fast.final"), e.evaluate("slow.final"))
                XCTAssertEqual(finals.0.doubleValue?.bitPattern, finals.1.doubleValue?.bitPattern, "\(f) over \(n)\(bounds)")
                let r = try e.report()
                XCTAssertEqual(r.projections[0].series.count, n + 1)
                XCTAssertEqual(r.projections[0].series.map(\.bitPattern), r.projections[1].series.map(\.bitPattern),
                               "\(f) over \(n)\(bounds)")
            }
        }
    }

    func testGrowthIsValueTimesOnePlusRate() throws {
        let e = try engine("""
            projection g over 700 months { start: 3, growth: 0.7%, max: 1e9 }
            projection v over 700 months { start: 3, next: if t > 0 then value * (1 + 0.7%) else 0, max: 1e9 }
            """)
        XCTAssertEqual(try e.evaluate("g.final").doubleValue?.bitPattern, try e.evaluate("v.final").doubleValue?.bitPattern)
        let r = try e.report()
        XCTAssertEqual(r.projections[0].series.map(\.bitPattern), r.projections[1].series.map(\.bitPattern))
    }

    /// A period the fast code refuses is stepped again by the general evaluator, which
    /// names the failing expression: the same error as when it stepped every period.
    func testAFailingPeriodIsReportedAsTheGeneralEvaluatorReportsIt() throws {
        for (f, period) in [("value * 2 + 1 / (t - 600)", 600), ("value * 0.5 + ln(t - 515)", 515), ("value + sqrt(700 - t)", 701),
                            ("value * 1e10", 31), ("value * 0.5 + exp(t)", 710), ("value * 0.5 + 1 / (t - 3)", 3)] {
            var messages: [[String]] = []
            for wrapped in [f, "if t > 0 then \(f) else 0"] {
                let e = Engine(configuration: .noImports)
                XCTAssertThrowsError(try e.load(source: "projection p over 800 months { start: 1, next: \(wrapped) }\nlet x = p.final",
                                                runStatements: false), f) { error in
                    messages.append(((error as? StratError)?.diagnostics ?? []).filter { $0.severity == .error }.map(\.message))
                }
            }
            XCTAssertEqual(messages.count, 2)
            XCTAssertEqual(messages.first, messages.last, "\(f) fails at period \(period) in both")
            XCTAssertFalse(messages.first?.isEmpty ?? true, f)
        }
    }

    /// Coupled members and members of different lengths step together; a series reads them.
    func testCoupledGroupsAndSeriesMatchTheGeneralEvaluator() throws {
        let e = try engine("""
            projection a over 900 days { start: 1, next: value * 0.5 + b * 0.5 }
            projection b over 900 days { start: 2, next: value * 0.25 + a * 0.75 + 1 }
            projection c over 900 days { start: 1, next: if t > 0 then value * 0.5 + d * 0.5 else 0 }
            projection d over 900 days { start: 2, next: if t > 0 then value * 0.25 + c * 0.75 + 1 else 0 }
            series s = a * 2 + b
            series u = c * 2 + d
            """)
        let r = try e.report()
        let byName = Dictionary(uniqueKeysWithValues: r.projections.map { ($0.name, $0.series.map(\.bitPattern)) })
        XCTAssertEqual(byName["a"], byName["c"])
        XCTAssertEqual(byName["b"], byName["d"])
        XCTAssertEqual(byName["s"], byName["u"])
        XCTAssertEqual(byName["s"]?.count, 901)
    }
}
