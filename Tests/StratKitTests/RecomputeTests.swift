import XCTest
#if canImport(Glibc)
import Glibc
#else
import Darwin
#endif
import StratKit

/// Recomputation compiles numeric formulas after their first evaluation; these check that
/// the compiled path gives the general evaluator's answers, including when it must fall back.
final class RecomputeTests: XCTestCase {
    func engine(_ src: String) throws -> Engine {
        let e = Engine()
        try e.load(source: src, runStatements: false)
        e.recalculate()   // second evaluation: formulas are compiled now
        return e
    }

    func testCompiledFormulasMatchTheEvaluator() throws {
        let e = try engine("let a = 2\nlet b = a * 3 + 1\nlet c = min(b, 10) / 2 - a ^ 2\nlet d = sqrt(b) + abs(-c)")
        XCTAssertEqual(try e.evaluate("c").description, "-0.5")
        let changes = try e.whatIf([(path: "a", expr: "4")])
        XCTAssertEqual(changes.map(\.description), ["a: 2 → 4", "b: 7 → 13", "c: -0.5 → -11", "d: 3.145751311 → 14.60555128"])
        XCTAssertEqual(try e.evaluate("b").description, "7", "what-if leaves the model unchanged")
    }

    func testUnitChangeFallsBackToTheEvaluator() throws {
        let e = try engine("let a = 2\nlet b = a * 3 + 1")
        let changes = try e.whatIf([(path: "a", expr: "5%")])
        XCTAssertEqual(changes.last?.after.description, "115%", "display rules apply when an input's unit changes")
        XCTAssertThrowsError(try e.whatIf([(path: "a", expr: "$2M")]), "$6M + 1 mixes units") { error in
            XCTAssertTrue((error as? StratError)?.diagnostics.first?.message.hasPrefix("unit mismatch") ?? false)
        }
        XCTAssertEqual(try e.evaluate("b").description, "7", "a failed what-if leaves the model unchanged")
        XCTAssertEqual(try e.whatIf([(path: "a", expr: "3")]).last?.after.description, "10", "compiled code still serves plain inputs")
    }

    func testDivisionByZeroInCompiledCodeIsReportedWhereItHappens() throws {
        let e = try engine("let a = 2\nlet b = 10 / (a - 2 + 1)")
        XCTAssertThrowsError(try e.whatIf([(path: "a", expr: "1")])) { error in
            let d = (error as? StratError)?.diagnostics.first
            XCTAssertEqual(d?.message, "division by zero")
            XCTAssertEqual(d?.line, 2)
            XCTAssertEqual(d?.column, 9)
        }
        XCTAssertEqual(try e.evaluate("b").description, "10")
    }

    func testRecalculateGivesTheSameValues() throws {
        let src = (0..<300).map { i in i < 3 ? "let x\(i) = \(i + 1)" : "let x\(i) = x\(i - 1) * 0.5 + x\(i - 2) / 3 - min(x\(i - 3), 2)" }
            .joined(separator: "\n")
        let e = Engine()
        try e.load(source: src, runStatements: false)
        let before = try e.evaluate("x299")
        e.recalculate()
        e.recalculate()
        XCTAssertEqual(try e.evaluate("x299"), before)
    }
}

/// `Configuration.interrupt` stops a long evaluation (the REPL wires Ctrl-C to it).
final class InterruptTests: XCTestCase {
    func testInterruptStopsALongEvaluation() throws {
        var config = Configuration()
        config.interrupt = { true }
        let e = Engine(configuration: config)
        try e.load(source: "fn fib(n) = if n < 2 then n else fib(n - 1) + fib(n - 2)\nlet small = fib(10)", runStatements: false)
        XCTAssertEqual(try e.evaluate("small").description, "55", "short evaluations never reach a poll")
        XCTAssertThrowsError(try e.evaluate("fib(30)")) { error in
            XCTAssertEqual((error as? StratError)?.diagnostics.first?.message, "interrupted")
        }
        let p = Engine(configuration: config)
        XCTAssertThrowsError(try p.load(source: "projection p over 1000000 days { start: 1, next: value * 1.000001 }")) { error in
            XCTAssertTrue((error as? StratError)?.diagnostics.contains { $0.message == "interrupted" } ?? false)
        }
    }
}

/// Records when (in CPU time) the engine polls `Configuration.interrupt`, and answers true from the
/// `stopAt`-th poll on.
final class PollLog: @unchecked Sendable {
    var times: [UInt64] = []
    let stopAt: Int
    init(stopAt: Int) { self.stopAt = stopAt }
    /// The process's CPU time: a stretch without polls is measured in work done, not in
    /// time the test was descheduled on a loaded machine (sample loops' threads count too).
    static func now() -> UInt64 {
        var ts = timespec()
        clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts)
        return UInt64(ts.tv_sec) * 1_000_000_000 + UInt64(ts.tv_nsec)
    }
    func poll() -> Bool {
        times.append(Self.now())
        return times.count >= stopAt
    }
}

/// Issue 14: every way of stepping a projection polls the interrupt often, and once it
/// answers true the operation ends at once, the projections still to step included.
final class ProjectionInterruptTests: XCTestCase {
    /// One model per way of stepping, each long (the step limit raised so that compiled
    /// code runs for a while): name, source.
    static let kinds: [(String, String)] = [
        ("closed recurrence", (0..<8).map { "projection p\($0) over 1000000 days { start: \($0), next: value * 0.999 + 5 / (1 + t / 1000) }" }.joined(separator: "\n")),
        ("compiled, interpreted", (0..<4).map { "projection p\($0) over 1000000 days { start: \($0 + 1), next: value * 0.999 + sqrt(value) * 0.001 }" }.joined(separator: "\n")),
        ("growth", (0..<8).map { "projection p\($0) over 1000000 days { start: \($0 + 1), growth: 0.0001%, max: 1e9 }" }.joined(separator: "\n")),
        ("coupled group", "projection a over 1000000 days { start: 1, next: value * 0.5 + b * 0.5 }\nprojection b over 1000000 days { start: 2, next: value * 0.25 + a * 0.75 + 1 }"),
        ("general evaluator", "projection p over 300000 days { start: 1, next: if value > 1e9 then 1 else value * 1.0001 + 1 }"),
        ("uncertain", "simulate 100\nprojection u over 100000 days { start: 1 to 2, next: value * 1.0001 }"),
        ("series", "projection b over 300000 days { start: 1, next: value * 1.00001 }\nseries s = b * 2 + 1"),
    ]

    func engine(_ log: PollLog) -> Engine {
        var config = Configuration()
        config.limits.maxSteps = 10_000_000_000
        config.interrupt = { log.poll() }
        return Engine(configuration: config)
    }

    func testEveryLoopPollsOften() throws {
        var figures: [String] = []
        for (name, source) in Self.kinds {
            let log = PollLog(stopAt: .max)
            let e = engine(log)
            let start = PollLog.now()
            try e.load(source: source, runStatements: false)
            let end = PollLog.now()
            // The longest stretch without a poll (from the start and to the end included)
            // bounds how late a Ctrl-C is seen.
            let marks = [start] + log.times + [end]
            let gaps = zip(marks.dropFirst(), marks).map { $0 - $1 }
            let gap = gaps.max() ?? 0
            if ProcessInfo.processInfo.environment["STRAT_POLL_GAPS"] != nil {
                print(name, "gap at", gaps.firstIndex(of: gap) ?? -1, "of", gaps.count)
            }
            figures.append("\(name): \(log.times.count) polls in \((end - start) / 1_000_000) ms of CPU, longest gap \(Double(gap) / 1e6) ms")
            XCTAssertGreaterThan(log.times.count, 3, "\(name) polls while it steps")
            XCTAssertLessThan(Double(gap) / 1e6, 50, "\(name): \(Double(gap) / 1e6) ms without a poll")
        }
        print("Interrupt polls: " + figures.joined(separator: "; "))
    }

    func testEveryLoopStopsAtOnce() throws {
        for (name, source) in Self.kinds {
            let log = PollLog(stopAt: 3)
            let e = engine(log)
            XCTAssertThrowsError(try e.load(source: source, runStatements: false), name) { error in
                XCTAssertTrue((error as? StratError)?.diagnostics.contains { $0.message == "interrupted" } ?? false, "\(name): \(error)")
            }
            guard log.times.count >= 3 else {
                XCTFail("\(name) polled \(log.times.count) times")
                continue
            }
            let stopped = log.times[2]
            let after = log.times.count - 3
            // Each projection still to step polls once before its first period, and stops there.
            XCTAssertLessThanOrEqual(after, 8, "\(name): \(after) more polls after the interrupt")
            XCTAssertLessThan(Double(PollLog.now() - stopped) / 1e6, 50, "\(name) ended promptly")
        }
    }
}

/// A projection nothing reads period by period is stepped without storing its series;
/// readers and reports get every period on demand.
final class LazySeriesTests: XCTestCase {
    func testSeriesIsStoredOnDemand() throws {
        let e = Engine()
        try e.load(source: "let r = 10%\nprojection p over 5 years { start: 100, next: value * (1 + r) }", runStatements: false)
        XCTAssertEqual(try e.evaluate("p.final").description, "161.051")
        let lean = try e.report(scenario: nil, overrides: [], includeSeries: false)
        XCTAssertEqual(lean.projections[0].series, [])
        XCTAssertEqual(lean.projections[0].periods, 5)
        XCTAssertEqual(lean.projections[0].final.value.description, "161.051")
        XCTAssertEqual(try e.evaluate("p[2]").description, "121")
        XCTAssertEqual(try e.evaluate("count(p.series)").description, "6")
        let changes = try e.whatIf([(path: "r", expr: "0")])
        XCTAssertTrue(changes.contains { $0.path == "p.final" && $0.after.description == "100" }, "\(changes)")
        XCTAssertEqual(try e.evaluate("p[2]").description, "121", "the what-if is undone, series included")
        XCTAssertEqual(try e.report().projections[0].series.count, 6)
    }

    func testAFormulaReadingAPeriodGetsIt() throws {
        let e = Engine()
        try e.load(source: "projection p over 3 years { start: 1, next: value * 2 }\nlet third = p[3] + p.final", runStatements: false)
        XCTAssertEqual(try e.evaluate("third").description, "16")
    }

    /// Compiled code checks finiteness only where an operation could hide a non-finite
    /// operand (`k / x`, `min`, `exp`, …): those intermediates must still be errors (SPEC §2).
    func testCompiledCellsStillCatchHiddenNonFiniteIntermediates() throws {
        let e = Engine()
        try e.load(source: "let a = 1\nlet b = 1 / (a * 1e300 * 10)\nlet c = min(exp(a * 100), 1)", runStatements: false)
        e.recalculate()   // formulas are compiled from the second evaluation on
        XCTAssertEqual(try e.whatIf([(path: "a", expr: "2")]).first?.description, "a: 1 → 2", "finite values stay compiled")
        for (input, culprit) in [("1e10", "b"), ("10", "c")] {
            XCTAssertThrowsError(try e.whatIf([(path: "a", expr: input)]), "\(culprit) overflows before the next operation") { error in
                let messages = (error as? StratError)?.diagnostics.map(\.message) ?? []
                XCTAssertTrue(messages.contains { $0.contains("not a finite number") }, "\(messages)")
            }
        }
    }

    /// `strat run` keeps every period from the first evaluation (`keepsSeries`) instead of
    /// stepping projections again for the report: the report must be the same.
    func testKeepingSeriesFromTheStartGivesTheSameReport() throws {
        let src = """
        let churn = 0.75%
        projection members over 1000 days { start: 262M, next: value * (1 - churn) + 2.5M / (1 + t / 1000) }
        projection capped over 12 months { start: 1, next: value * 2, max: 100 }
        print members.final
        """
        var kept = Configuration()
        kept.keepsSeries = true
        let a = Engine(configuration: kept), b = Engine()
        try a.load(source: src, runStatements: false)
        try b.load(source: src, runStatements: false)
        let ra = try a.report(), rb = try b.report()
        XCTAssertEqual(ra.projections, rb.projections)
        XCTAssertEqual(ra.projections.map(\.series.count), [1001, 13])
        XCTAssertEqual(ra.projections[1].series.suffix(2), [100, 100])
        XCTAssertEqual(ra.json(), rb.json())
    }
}
