import XCTest
@testable import StratKit

/// Issue 14: a host calling `evaluate` and `whatIf` in a loop keeps nothing of each call
/// (no source file, node, constant or cell per call), overrides survive a later
/// `register`, and scenarios apply from their resolved formulas.
final class EngineCoreTests: XCTestCase {
    let model = """
        let price = $40
        let units = 1_000
        let churn = 3.8%
        let label = "plan"
        let revenue = price * units
        let kept = revenue * (1 - churn)
        fn margin(x) = x * 0.4
        objective GROW "Grow" {
            kr SALES "Sales" { baseline: $0, target: $50_000, current: revenue }
        }
        scenario optimistic { price = price * 1.1; units = 1_200 }
        """

    /// One block of what a host does: many queries of several shapes, and what-ifs
    /// (plain, self-referencing, failing), a scenario query and an explanation.
    func block(_ e: Engine, evaluations: Int, whatIfs: Int) throws {
        for i in 0..<evaluations {
            switch i % 5 {
            case 0: XCTAssertEqual(try e.evaluate("revenue * 2").doubleValue, 80_000)
            case 1: _ = try e.evaluate("label + \" \" + \"x\"")
            case 2: _ = try e.evaluate("[price, units, margin(kept)]")
            case 3: XCTAssertThrowsError(try e.evaluate("revenu"))
            default: _ = try e.evaluate("GROW.SALES.score")
            }
        }
        for i in 0..<whatIfs {
            switch i % 4 {
            case 0: XCTAssertEqual(try e.whatIf([(path: "units", expr: "2_000")]).count, 9, "units, revenue, kept and the KR, objective and plan values")
            case 1: _ = try e.whatIf([(path: "price", expr: "price * 1.5"), (path: "price", expr: "price + $1")])
            case 2: XCTAssertThrowsError(try e.whatIf([(path: "units", expr: "kept")]), "a cycle")
            default:
                let v = try e.withOverrides(scenario: "optimistic", overrides: [(path: "churn", expr: "churn / 2")]) {
                    try e.evaluate("revenue")
                }
                XCTAssertEqual(v.doubleValue ?? 0, 52_800, accuracy: 1e-6)
            }
        }
        _ = try e.explain("kept")
        _ = try e.report(scenario: "optimistic")
    }

    func testRepeatedCallsRetainNothing() throws {
        let e = Engine(configuration: .noImports)
        try e.load(source: model, runStatements: false)
        try block(e, evaluations: 100, whatIfs: 8)   // warm up: code compiled, caches made
        let before = e.retainedCounts
        for _ in 0..<3 { try block(e, evaluations: 10_000, whatIfs: 100) }
        XCTAssertEqual(e.retainedCounts, before, "30,000 queries and 300 what-ifs keep no nodes, files or cells")
        XCTAssertEqual(try e.evaluate("revenue").doubleValue, 40_000, "the model is as it was")
        XCTAssertEqual(try e.evaluate("price").description, "$40")
    }

    func testNewIdentifiersInQueriesAreForgotten() throws {
        let e = Engine(configuration: .noImports)
        try e.load(source: model, runStatements: false)
        try block(e, evaluations: 100, whatIfs: 8)
        let before = e.retainedCounts
        // Every query names identifiers never seen before (unknown names, misspelled members,
        // a what-if's formula); none may stay interned.
        for i in 0..<100_000 {
            switch i % 4 {
            case 0: XCTAssertThrowsError(try e.evaluate("fresh_name_\(i)"))
            case 1: XCTAssertThrowsError(try e.evaluate("GROW.member_\(i) + 1"))
            case 2: XCTAssertThrowsError(try e.evaluate("if units > 0 then revenue else unknown_\(i)"))
            default: XCTAssertThrowsError(try e.whatIf([(path: "units", expr: "units + other_\(i)")]))
            }
            if i % 10_000 == 0 { XCTAssertEqual(e.retainedCounts["interned"], before["interned"], "after \(i) queries") }
        }
        XCTAssertEqual(e.retainedCounts, before, "100,000 queries of new names keep none of them")
        // The names that stayed still resolve (the hash table kept its probe paths).
        XCTAssertEqual(try e.evaluate("revenue").doubleValue, 40_000)
        XCTAssertEqual(try e.evaluate("GROW.SALES.score").doubleValue != nil, true)
        XCTAssertThrowsError(try e.evaluate("fresh_name_0"), "a forgotten name is interned afresh and is still unknown")
        try e.set("units", "2_000")
        XCTAssertEqual(try e.evaluate("revenue").doubleValue, 80_000)
    }

    func testScenarioReportsAreStable() throws {
        let e = Engine(configuration: .noImports)
        try e.load(source: model, runStatements: false)
        let first = try e.report(scenario: "optimistic").json()
        let counts = e.retainedCounts
        for _ in 0..<50 { XCTAssertEqual(try e.report(scenario: "optimistic").json(), first) }
        XCTAssertEqual(e.retainedCounts, counts)
        XCTAssertEqual(try e.withOverrides(scenario: "optimistic", overrides: []) { try e.evaluate("price") }.description,
                       "$44", "`price = price * 1.1` reads the value before the override")
    }

    func testSetSurvivesRegister() throws {
        let e = Engine(configuration: .noImports)
        try e.load(source: "let units = 1_000\nlet total = units * 2", runStatements: false)
        try e.set("units", "3_000")
        XCTAssertEqual(try e.evaluate("total").doubleValue, 6_000)
        e.register(function: "double", arity: 1) { args in .number((args[0].doubleValue ?? 0) * 2) }
        XCTAssertEqual(try e.evaluate("units").doubleValue, 3_000, "register re-resolves the model but keeps the set")
        XCTAssertEqual(try e.evaluate("total").doubleValue, 6_000)
        XCTAssertEqual(try e.evaluate("double(units)").doubleValue, 6_000, "and the new function is callable")
    }

    func testSetInsideAScopeIsKept() throws {
        let e = Engine(configuration: .noImports)
        try e.load(source: model, runStatements: false)
        try e.withOverrides(scenario: nil, overrides: [(path: "churn", expr: "5%")]) {
            _ = try e.set("units", "units + 1")
        }
        XCTAssertEqual(try e.evaluate("units").doubleValue, 1_001, "a set made under overrides stays committed")
        XCTAssertEqual(try e.evaluate("revenue").doubleValue, 40_040, "and what reads it is recomputed")
        XCTAssertEqual(try e.evaluate("churn").doubleValue ?? 0, 0.038, accuracy: 1e-12)
        XCTAssertEqual(try e.whatIf([(path: "price", expr: "$1")]).first?.path, "price")
    }

    func testUndoRestoresGraph() throws {
        let e = Engine(configuration: .noImports)
        try e.load(source: "let a = 1\nlet b = 2\nlet c = a + 1", runStatements: false)
        _ = try e.whatIf([(path: "a", expr: "3")])  // builds the reverse edges
        let counts = e.retainedCounts
        // `a = b` adds an edge b → a; after the what-if a change of b must not reach a or c.
        XCTAssertEqual(try e.whatIf([(path: "a", expr: "b")]).map(\.path), ["a", "c"])
        XCTAssertEqual(e.retainedCounts, counts)
        let before = e.cellsComputed
        XCTAssertEqual(try e.whatIf([(path: "b", expr: "5")]).map(\.path), ["b"])
        XCTAssertEqual(e.cellsComputed - before, 1, "only b is recomputed: the override's edge is gone")
    }

    /// A what-if that reaches most of the model (found by one scan of the order) and one
    /// that reaches a few cells (breadth first) both restore every kind of value exactly:
    /// numbers, strings, bools, lists, a cell that fails only without the what-if and one
    /// that fails only with it; their changes carry the right values before and after.
    func testWhatIfRestoresEveryKindOfValue() throws {
        var lines = ["let lonely = 7", "let x0 = 2"]
        for i in 1...60 { lines.append("let x\(i) = x\(i - 1) * 1.5 + \(i)") }
        lines += [
            "let text = \"x0 is \\(x0)\"",
            "let big = x60 > 100",
            "let pair = [x0, x59]",
            "let inverse = 1 / x0",
            "let broken = 1 / (x0 - 2)",
            "let tail = x60 + 1",
            "let late = lonely * 2",
        ]
        let names = ["lonely"] + (0...60).map { "x\($0)" } + ["text", "big", "pair", "inverse", "broken", "tail", "late"]
        let e = Engine(configuration: .noImports)
        XCTAssertThrowsError(try e.load(source: lines.joined(separator: "\n"), runStatements: false), "broken divides by zero")
        XCTAssertTrue(e.isEvaluated)
        func snapshot() -> [String] { names.map { (try? e.evaluate($0))?.description ?? "error" } }
        let before = snapshot()
        XCTAssertEqual(before[names.firstIndex(of: "broken")!], "error")

        let all = try e.whatIf([(path: "x0", expr: "3")])
        XCTAssertEqual(snapshot(), before, "the what-if on x0 is undone")
        let byPath = Dictionary(all.map { ($0.path, $0) }, uniquingKeysWith: { a, _ in a })
        XCTAssertEqual(byPath["text"]?.before, .string("x0 is 2"))
        XCTAssertEqual(byPath["text"]?.after, .string("x0 is 3"))
        XCTAssertEqual(byPath["x1"]?.before, .number(4))
        XCTAssertEqual(byPath["x1"]?.after, .number(5.5))
        XCTAssertEqual(byPath["pair"]?.before.description, before[names.firstIndex(of: "pair")!])
        XCTAssertEqual(byPath["broken"]?.before, Value.none, "failed without the what-if")
        XCTAssertEqual(byPath["broken"]?.after, .number(1))
        XCTAssertNil(byPath["big"], "true before and after")
        XCTAssertEqual(all.map(\.path), names.filter { byPath[$0] != nil }, "in dependency order")

        XCTAssertThrowsError(try e.whatIf([(path: "x0", expr: "0")]), "inverse divides by zero")
        XCTAssertEqual(snapshot(), before, "a what-if that fails is undone too")

        let few = try e.whatIf([(path: "x59", expr: "1")])
        XCTAssertEqual(few.map(\.path), ["x59", "x60", "big", "pair", "tail"])
        XCTAssertEqual(snapshot(), before, "the what-if on x59 is undone")
        // First in the order, read by one cell: found breadth first.
        XCTAssertEqual(try e.whatIf([(path: "lonely", expr: "8")]).map(\.after), [.number(8), .number(16)])
        XCTAssertEqual(snapshot(), before, "the what-if on lonely is undone")

        // A what-if inside another's scope: each restores what it changed.
        let nested = try e.withOverrides(scenario: nil, overrides: [(path: "x0", expr: "5")]) { () throws -> [String] in
            let inner = try e.whatIf([(path: "x1", expr: "x1 + 1")]).map(\.path)
            XCTAssertEqual(try e.evaluate("x1").doubleValue, 8.5, "the outer override still holds")
            return inner
        }
        XCTAssertEqual(nested.first, "x1")
        XCTAssertEqual(snapshot(), before, "both scopes are undone")
    }

    /// `Change` keeps two numbers compactly; its public shape and semantics are those of a
    /// struct of a path and two values.
    func testChangeBehavesAsPathAndTwoValues() {
        var c = Change(path: "a", before: .number(1, .dollars), after: .number(2, .dollars))
        XCTAssertEqual(c.before, .number(1, .dollars))
        XCTAssertEqual(c.after, .number(2, .dollars))
        XCTAssertEqual(c, Change(path: "a", before: .number(1, .dollars), after: .number(2, .dollars)))
        XCTAssertNotEqual(c, Change(path: "a", before: .number(1), after: .number(2, .dollars)), "units count")
        c.after = .string("two")
        XCTAssertEqual(c.after, .string("two"))
        XCTAssertEqual(c.before, .number(1, .dollars), "setting one value keeps the other")
        c.before = .bool(true)
        c.after = .number(3)
        XCTAssertEqual(c, Change(path: "a", before: .bool(true), after: .number(3)))
        c.path = "b"
        XCTAssertEqual(c.description, "b: true → 3")
        let set: Set<Change> = [c, Change(path: "b", before: .bool(true), after: .number(3)), Change(path: "b", before: .number(1), after: .number(3))]
        XCTAssertEqual(set.count, 2, "equal changes hash alike")
    }

    func testTypedBoundary() throws {
        var config = Configuration.noImports
        config.functions = [HostFunctionDefinition("twice", arity: 1) { args in .number((args[0].doubleValue ?? 0) * 2) }]
        let e = Engine(configuration: config)
        try e.load(source: model + "\nlet doubled = twice(units)", runStatements: false)
        XCTAssertEqual(try e.evaluate("doubled").doubleValue, 2_000, "a configured host function is known at the first load")
        XCTAssertEqual(try e.whatIf([Override("units", "1_500")]).first { $0.path == "doubled" }?.after.doubleValue, 3_000)
        let r = try e.report(scenario: "optimistic", overrides: [Override("churn", "5%")])
        XCTAssertEqual(r.overrides, [Override(path: "churn", expr: "5%")])
        XCTAssertTrue(r.json().contains("\"overrides\": [\n    {\n      \"path\": \"churn\",\n      \"expr\": \"5%\"\n    }\n  ]"))
        XCTAssertEqual(try e.withOverrides(scenario: nil, overrides: [Override("price", "$1")]) { try e.evaluate("revenue") }.doubleValue, 1_000)
        let kinds = Dictionary(uniqueKeysWithValues: e.declarations.map { ($0.name, $0.kind) })
        XCTAssertEqual(kinds["price"], .let)
        XCTAssertEqual(kinds["margin"], .fn)
        XCTAssertEqual(kinds["GROW"], .objective)
        XCTAssertEqual(kinds["optimistic"], .scenario)
        XCTAssertEqual(e.declarations.map(\.name), e.declaredNames.map(\.name))
        let base = try e.report()
        XCTAssertEqual(base.objectives.first?.level, .green, "40,000 of 50,000 is a score of 0.8")
        XCTAssertEqual(base.objectives.first?.krs.first?.level, .green)
        XCTAssertEqual(base.plan.level, Status(rawValue: base.plan.status ?? ""))
        let s = Engine(configuration: .noImports)
        try s.load(source: "swot S { strength FAST \"fast\" { rating: 4 }\n  weakness SLOW \"slow\" { rating: 2 } }", runStatements: false)
        XCTAssertEqual(try s.report().swots.first?.items.map(\.kind), [.strength, .weakness])
    }

    /// The error kind (the CLI's exit 65 or 70) is set where the error is raised, not
    /// guessed from the message: a member name containing "none" is still a type error.
    func testErrorKindIsSetWhereThrown() throws {
        func kind(_ source: String) -> (Diagnostic.Kind?, String) {
            do { try Engine(configuration: .noImports).load(source: source, runStatements: false) } catch let e as StratError {
                return (e.kind, e.diagnostics.first?.message ?? "")
            } catch {}
            return (nil, "")
        }
        XCTAssertEqual(kind("let s = \"abc\"\nlet y = s.none_seen").0, .compile)
        XCTAssertEqual(kind("let s = \"abc\"\nlet y = s * 2").0, .compile)
        XCTAssertEqual(kind("let y = 1m + $2").0, .compile, "a unit mismatch")
        let none = kind("let y = none + 1")
        XCTAssertEqual(none.0, .runtime, none.1)
    }
}
