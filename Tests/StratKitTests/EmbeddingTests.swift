// Tests of the embedding API (SPEC §11), written against the public surface only:
// `import StratKit`, no `@testable`.
import Foundation
import XCTest
import StratKit

// MARK: - Helpers

/// A thread-safe box, for state that `@Sendable` closures and worker threads write.
final class Locked<T>: @unchecked Sendable {
    private let lock = NSLock()
    private var value: T
    init(_ value: T) { self.value = value }
    func withLock<R>(_ body: (inout T) throws -> R) rethrows -> R {
        lock.lock()
        defer { lock.unlock() }
        return try body(&value)
    }
    var current: T { withLock { $0 } }
}

/// An importer that serves files from a dictionary (no file system).
private struct DictionaryImporter: Importer {
    let files: [String: String]
    func resolve(_ path: String, from importingFile: String) throws -> ImportedFile {
        guard let text = files[path] else { throw ImportError("no module '\(path)' in memory") }
        return ImportedFile(key: "mem:" + path, path: path, bytes: Array(text.utf8))
    }
}

private struct HostFailure: Error, CustomStringConvertible {
    var description: String { "rate service unavailable" }
}

/// Runs `body`, which must throw a `StratError`, and returns that error.
private func stratError(_ body: () throws -> Void, file: StaticString = #filePath, line: UInt = #line) -> StratError? {
    do {
        try body()
        XCTFail("expected a StratError", file: file, line: line)
        return nil
    } catch let e as StratError {
        return e
    } catch {
        XCTFail("expected a StratError, got \(error)", file: file, line: line)
        return nil
    }
}

private func errors(_ e: StratError?) -> [Diagnostic] {
    (e?.diagnostics ?? []).filter { $0.severity == .error }
}

private func requireSendable<T: Sendable>(_: T.Type) {}

/// A small plan in euros, converted to dollars by the host function `fx`.
private let pricingPlan = """
org "Acme"
mission "Sell widgets profitably"

let price = $40
let units = 1_000
let churn = 3.8%
let latency = 120ms
let members = 262M
fn gross(p, n) = p * n
let revenue = gross(price, units)
let revenue_usd = fx(revenue)
let unrelated = 7

objective GROW "Grow revenue" {
  kr REVENUE "Reach $50K of revenue" { baseline: $20K, target: $50K, current: revenue_usd }
}
metric RETENTION "Monthly churn below 3.5%" { current: churn, target: <= 3.5% }
scenario optimistic "Price rise sticks" { price = $45; units = 1_200 }
print "revenue: \\(revenue)"
"""

/// An engine with `fx` (multiply by `rate`, keeping the unit) registered.
private func pricingEngine(rate: Double = 1.1, configuration: Configuration = Configuration()) throws -> Engine {
    let engine = Engine(configuration: configuration)
    engine.register(function: "fx", arity: 1) { args in
        guard case .number(let amount, let unit) = args[0] else { throw HostFailure() }
        return .number(amount * rate, unit)
    }
    try engine.load(source: pricingPlan, path: "pricing.strat")
    return engine
}

final class EmbeddingTests: XCTestCase {

    // MARK: Load and query

    func testLoadAndEvaluateValuesWithUnits() throws {
        let engine = try pricingEngine()
        XCTAssertEqual(errors(StratError(diagnostics: engine.diagnostics)).count, 0)

        let price = try engine.evaluate("price")
        XCTAssertEqual(price.doubleValue, 40)
        XCTAssertEqual(price.unit?.symbol, "$")
        XCTAssertEqual(price.description, "$40")

        let churn = try engine.evaluate("churn")
        XCTAssertEqual(churn.doubleValue!, 0.038, accuracy: 1e-12)
        XCTAssertEqual(churn.description, "3.8%")
        XCTAssertEqual(churn.unit?.isDimensionless, true)

        let latency = try engine.evaluate("latency")
        XCTAssertEqual(latency.doubleValue!, 0.12, accuracy: 1e-12)   // base unit: seconds
        XCTAssertEqual(latency.description, "120ms")

        XCTAssertEqual(try engine.evaluate("members").description, "262M")
        XCTAssertEqual(try engine.evaluate("revenue").doubleValue, 40_000)
        XCTAssertEqual(try engine.evaluate("revenue_usd").doubleValue!, 44_000, accuracy: 1e-6)
        XCTAssertEqual(try engine.evaluate("revenue_usd").unit?.symbol, "$")
        XCTAssertEqual(try engine.evaluate("latency * 2").description, "240ms")
        XCTAssertEqual(try engine.evaluate("price > $30").boolValue, true)
        XCTAssertEqual(try engine.evaluate("\"a\" + \"b\"").stringValue, "ab")
        XCTAssertEqual(try engine.evaluate("[1, 2, 3]").listValue?.count, 3)
        XCTAssertEqual(try engine.evaluate("GROW.REVENUE.score").doubleValue!, 0.8, accuracy: 1e-9)
        XCTAssertEqual(try engine.evaluate("GROW.REVENUE.baseline").description, "$20K")
        XCTAssertEqual(engine.printed, ["revenue: $40000"])
        XCTAssertEqual(engine.scenarioNames, ["optimistic"])
        XCTAssertTrue(engine.declaredNames.contains { $0.name == "revenue" && $0.kind == "let" })
        XCTAssertTrue(engine.members(of: "GROW").contains("REVENUE"))
    }

    func testLoadErrorsAreDiagnosticsWithLocations() throws {
        let engine = Engine()
        let e = stratError { try engine.load(source: "let churn = 3%\nlet x = chrun * 2\n", path: "plan.strat") }
        let d = try XCTUnwrap(errors(e).first)
        XCTAssertEqual(e?.kind, .compile)
        XCTAssertTrue(d.message.contains("unknown name 'chrun'"), d.message)
        XCTAssertEqual(d.path, "plan.strat")
        XCTAssertEqual(d.line, 2)
        XCTAssertEqual(d.column, 9)
        XCTAssertEqual(d.hint, "did you mean 'churn'?")

        // A bad query is a StratError too, and leaves the engine usable.
        let ok = try pricingEngine()
        let q = stratError { _ = try ok.evaluate("pricee * 2") }
        XCTAssertTrue(errors(q).first?.message.contains("unknown name 'pricee'") ?? false)
        XCTAssertEqual(try ok.evaluate("price").doubleValue, 40)
        let div = stratError { _ = try ok.evaluate("price / 0") }
        XCTAssertEqual(div?.kind, .runtime)
        XCTAssertTrue(errors(div).first?.message.contains("division by zero") ?? false)
    }

    func testLoadFileAndMissingFile() throws {
        let dir = try makeTempDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try "let shared = 5\n".write(toFile: dir + "/lib.strat", atomically: true, encoding: .utf8)
        try "import \"lib.strat\"\nlet y = shared * 2\n".write(toFile: dir + "/main.strat", atomically: true, encoding: .utf8)
        let engine = Engine()
        try engine.load(file: dir + "/main.strat")
        XCTAssertEqual(try engine.evaluate("y").doubleValue, 10)

        let missing = stratError { try Engine().load(file: dir + "/nope.strat") }
        XCTAssertEqual(missing?.kind, .io)
    }

    // MARK: What-if and set

    func testWhatIfLeavesModelUnchangedAndListsChangedPaths() throws {
        let engine = try pricingEngine()
        let before = try engine.evaluate("revenue_usd")
        let computedBefore = engine.cellsComputed

        let changes = try engine.whatIf(["price": "$50"])
        let paths = changes.map(\.path)
        XCTAssertTrue(paths.contains("price"), "\(paths)")
        XCTAssertTrue(paths.contains("revenue"), "\(paths)")
        XCTAssertTrue(paths.contains("revenue_usd"), "\(paths)")
        XCTAssertTrue(paths.contains("GROW.REVENUE.score"), "\(paths)")
        XCTAssertFalse(paths.contains("unrelated"), "\(paths)")
        XCTAssertFalse(paths.contains("units"), "\(paths)")
        let rev = try XCTUnwrap(changes.first { $0.path == "revenue" })
        XCTAssertEqual(rev.before.doubleValue, 40_000)
        XCTAssertEqual(rev.after.doubleValue, 50_000)
        XCTAssertEqual(rev.after.description, "$50000")
        XCTAssertTrue(rev.description.contains("→"))
        XCTAssertGreaterThan(engine.cellsComputed, computedBefore)

        // The model is unchanged.
        XCTAssertEqual(try engine.evaluate("revenue_usd"), before)
        XCTAssertEqual(try engine.evaluate("price").doubleValue, 40)

        // Ordered overrides; a later one may refer to an earlier name.
        let ordered = try engine.whatIf([(path: "units", expr: "2_000"), (path: "price", expr: "unrelated * $1")])
        XCTAssertEqual(ordered.first { $0.path == "revenue" }?.after.doubleValue, 14_000)
        XCTAssertEqual(try engine.evaluate("revenue").doubleValue, 40_000)

        // An override of an item property, and a what-if that changes nothing.
        let kr = try engine.whatIf(["GROW.REVENUE.baseline": "$30K"])
        XCTAssertTrue(kr.contains { $0.path == "GROW.REVENUE.score" })
        XCTAssertEqual(try engine.whatIf(["price": "$40"]), [])

        // Bad paths and expressions are StratErrors with hints, and change nothing.
        let bad = stratError { _ = try engine.whatIf(["prce": "$1"]) }
        XCTAssertEqual(errors(bad).first?.hint, "did you mean 'price'?")
        _ = stratError { _ = try engine.whatIf(["price": "$1 +"]) }
        XCTAssertEqual(try engine.evaluate("revenue_usd"), before)
    }

    func testSetCommitsAnOverride() throws {
        let engine = try pricingEngine()
        let changes = try engine.set("units", "2_000")
        XCTAssertTrue(changes.contains { $0.path == "revenue" && $0.after.doubleValue == 80_000 })
        XCTAssertEqual(try engine.evaluate("units").doubleValue, 2_000)
        XCTAssertEqual(try engine.evaluate("revenue").doubleValue, 80_000)
        XCTAssertEqual(try engine.evaluate("revenue_usd").doubleValue!, 88_000, accuracy: 1e-6)
        // What-ifs start from the committed state and still leave it unchanged.
        let w = try engine.whatIf(["price": "$10"])
        XCTAssertEqual(w.first { $0.path == "revenue" }?.before.doubleValue, 80_000)
        XCTAssertEqual(w.first { $0.path == "revenue" }?.after.doubleValue, 20_000)
        XCTAssertEqual(try engine.evaluate("revenue").doubleValue, 80_000)
        // A second set builds on the first.
        try engine.set("price", "$10")
        XCTAssertEqual(try engine.evaluate("revenue").doubleValue, 20_000)
    }

    func testScenariosThroughWithOverrides() throws {
        let engine = try pricingEngine()
        let v = try engine.withOverrides(scenario: "optimistic", overrides: []) { try engine.evaluate("revenue") }
        XCTAssertEqual(v.doubleValue, 54_000)
        let w = try engine.withOverrides(scenario: "optimistic", overrides: [(path: "units", expr: "2_000")]) {
            try engine.evaluate("revenue")
        }
        XCTAssertEqual(w.doubleValue, 90_000)
        XCTAssertEqual(try engine.evaluate("revenue").doubleValue, 40_000)
        let unknown = stratError { _ = try engine.report(scenario: "optimistc") }
        XCTAssertEqual(errors(unknown).first?.hint, "did you mean 'optimistic'?")
    }

    // MARK: Host functions

    func testHostFunctionJoinsTheDependencyGraph() throws {
        let calls = Locked(0)
        let engine = Engine()
        engine.register(function: "fx", arity: 1) { args in
            calls.withLock { $0 += 1 }
            return .number(args[0].doubleValue! * 0.9, args[0].unit ?? .plain)
        }
        try engine.load(source: """
            let eur = $100
            let usd = fx(eur)
            let total = usd + $1
            let other = 3
            """, path: "fx.strat")
        XCTAssertEqual(try engine.evaluate("usd").doubleValue!, 90, accuracy: 1e-9)
        XCTAssertEqual(try engine.evaluate("usd").description, "$90")
        let callsAfterLoad = calls.current
        XCTAssertGreaterThanOrEqual(callsAfterLoad, 1)

        // A what-if on the input that feeds fx recomputes the fx-derived values.
        let changes = try engine.whatIf(["eur": "$200"])
        XCTAssertEqual(changes.first { $0.path == "usd" }?.after.doubleValue ?? 0, 180, accuracy: 1e-9)
        XCTAssertEqual(changes.first { $0.path == "total" }?.after.doubleValue ?? 0, 181, accuracy: 1e-9)
        XCTAssertGreaterThan(calls.current, callsAfterLoad)

        // A what-if elsewhere does not call the host function again.
        let beforeOther = calls.current
        _ = try engine.whatIf(["other": "4"])
        XCTAssertEqual(calls.current, beforeOther)

        // The host function is callable from queries too, and variadic ones take any count.
        XCTAssertEqual(try engine.evaluate("fx($10)").doubleValue!, 9, accuracy: 1e-9)
        let v = Engine()
        v.register(function: "total", arity: -1) { args in
            .number(args.reduce(0) { $0 + ($1.doubleValue ?? 0) })
        }
        try v.load(source: "let a = total()\nlet b = total(1, 2, 3, 4)\n")
        XCTAssertEqual(try v.evaluate("a").doubleValue, 0)
        XCTAssertEqual(try v.evaluate("b").doubleValue, 10)
    }

    func testHostFunctionArityMismatchIsALoadTimeDiagnostic() throws {
        let engine = Engine()
        let called = Locked(false)
        engine.register(function: "fx", arity: 1) { args in
            called.withLock { $0 = true }
            return args[0]
        }
        let e = stratError { try engine.load(source: "let a = 1\nlet b = fx(a, 2)\n", path: "arity.strat") }
        let d = try XCTUnwrap(errors(e).first)
        XCTAssertEqual(e?.kind, .compile)
        XCTAssertTrue(d.message.contains("function 'fx' takes 1 argument, got 2"), d.message)
        XCTAssertEqual(d.line, 2)
        XCTAssertEqual(d.column, 9)
        XCTAssertFalse(called.current, "a model with compile errors must not run host code")
    }

    func testThrowingHostFunctionIsADiagnosticAtTheCallSite() throws {
        let engine = Engine()
        engine.register(function: "rate", arity: 1) { args in
            if args[0].stringValue == "EUR" { throw HostFailure() }
            return .number(1)
        }
        engine.register(function: "bad", arity: 0) { _ in .number(.infinity) }
        let e = stratError {
            try engine.load(source: "let ok = rate(\"USD\")\nlet r = rate(\"EUR\") * 2\nlet inf = bad()\n", path: "host.strat")
        }
        XCTAssertEqual(e?.kind, .runtime)
        let errs = errors(e)
        let failed = try XCTUnwrap(errs.first { $0.message.contains("rate") })
        XCTAssertTrue(failed.message.contains("rate service unavailable"), failed.message)
        XCTAssertEqual(failed.path, "host.strat")
        XCTAssertEqual(failed.line, 2)
        XCTAssertEqual(failed.column, 9)
        XCTAssertTrue(errs.contains { $0.line == 3 && $0.message.contains("not finite") }, "\(errs)")
        // With runtime errors only, the model stays loaded and queryable.
        XCTAssertEqual(try engine.evaluate("ok").doubleValue, 1)
        XCTAssertNotNil(stratError { _ = try engine.evaluate("r") })
    }

    // MARK: Limits

    private func limitError(_ limits: (inout Limits) -> Void, _ source: String) -> StratError? {
        var config = Configuration()
        limits(&config.limits)
        let engine = Engine(configuration: config)
        return stratError { try engine.load(source: source, path: "limits.strat") }
    }

    func testStepLimit() {
        let e = limitError({ $0.maxSteps = 1_000 }, """
            fn count(n) = if n <= 0 then 0 else 1 + count(n - 1)
            let x = count(200)
            """)
        XCTAssertEqual(e?.kind, .runtime)
        XCTAssertTrue(errors(e).contains { $0.message.contains("more than 1,000 evaluation steps") }, "\(errors(e))")
    }

    /// A number literal or a computed cell read as an operand in place (without a call to
    /// `eval`) still counts one step, as every other node: the smallest step limit that
    /// loads a model is the same with plain literals (read in place) as with percentages
    /// (constants, evaluated through `eval`).
    func testOperandsReadInPlaceCountOneStepEach() {
        func smallestLimit(_ source: String) -> Int? {
            (1...80).first { n in
                var config = Configuration()
                config.limits.maxSteps = n
                return (try? Engine(configuration: config).load(source: source, path: "steps.strat")) != nil
            }
        }
        let plain = smallestLimit("let y = 5\nlet x = ((1 + 2) * 3) - 4 + y + min(y, 6)")
        let constants = smallestLimit("let y = 5%\nlet x = ((1% + 2%) * 3%) - 4% + y + min(y, 6%)")
        XCTAssertNotNil(plain)
        XCTAssertGreaterThan(plain ?? 0, 10, "every node counts")
        XCTAssertEqual(plain, constants)
    }

    func testCallDepthLimit() {
        let e = limitError({ $0.maxCallDepth = 16 }, """
            fn down(n) = if n <= 0 then 0 else down(n - 1)
            let x = down(100)
            """)
        XCTAssertEqual(e?.kind, .runtime)
        XCTAssertTrue(errors(e).contains { $0.message.contains("call depth deeper than 16") }, "\(errors(e))")
        // Under the limit, the same recursion works.
        var config = Configuration()
        config.limits.maxCallDepth = 16
        let ok = Engine(configuration: config)
        XCTAssertNoThrow(try ok.load(source: "fn down(n) = if n <= 0 then 0 else down(n - 1)\nlet x = down(10)\n"))
    }

    func testPeriodLimit() {
        let e = limitError({ $0.maxPeriods = 100 }, """
            projection users over 1000 months { start: 1K, growth: 1% }
            """)
        XCTAssertEqual(e?.kind, .runtime)
        XCTAssertTrue(errors(e).contains { $0.message.contains("projection 'users' has more than 100 periods") }, "\(errors(e))")
    }

    func testNestingLimit() {
        let deep = String(repeating: "(", count: 50) + "1" + String(repeating: ")", count: 50)
        let e = limitError({ $0.maxNesting = 20 }, "let x = \(deep)\n")
        XCTAssertEqual(e?.kind, .compile)
        XCTAssertTrue(errors(e).contains { $0.message.contains("nesting deeper than 20") }, "\(errors(e))")
        // Far past the default limit: a diagnostic, not a stack overflow.
        let huge = String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000)
        let h = stratError { try Engine().load(source: "let x = \(huge)\n") }
        XCTAssertTrue(errors(h).contains { $0.message.contains("nesting deeper than 256") }, "\(errors(h))")
    }

    func testStringListAndSourceSizeLimits() {
        let s = limitError({ $0.maxStringLength = 8 }, "let s = \"abcde\" + \"fghij\"\n")
        XCTAssertTrue(errors(s).contains { $0.message.contains("string longer than 8 bytes") }, "\(errors(s))")
        let src = limitError({ $0.maxSourceBytes = 10 }, "let a_long_name = 1\n")
        XCTAssertTrue(errors(src).contains { $0.message.contains("larger than 10 bytes") }, "\(errors(src))")
    }

    func testLimitsApplyToQueriesToo() throws {
        var config = Configuration()
        config.limits.maxCallDepth = 16
        let engine = Engine(configuration: config)
        try engine.load(source: "fn down(n) = if n <= 0 then 0 else down(n - 1)\n")
        let e = stratError { _ = try engine.evaluate("down(1000)") }
        XCTAssertTrue(errors(e).contains { $0.message.contains("call depth deeper than 16") }, "\(errors(e))")
        XCTAssertEqual(try engine.evaluate("down(3)").doubleValue, 0)
    }

    // MARK: Importer sandbox

    private func makeTempDir() throws -> String {
        let dir = NSTemporaryDirectory() + "stratkit-embed-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir + "/models", withIntermediateDirectories: true)
        return dir
    }

    func testDefaultImporterRefusesPathsOutsideTheModelFolder() throws {
        let dir = try makeTempDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        // A secret next to (outside) the model folder: it must not be readable.
        try "let secret = 42 // TOP-SECRET-CONTENT\n".write(toFile: dir + "/x", atomically: true, encoding: .utf8)
        try "let inside = 1\n".write(toFile: dir + "/models/inside.strat", atomically: true, encoding: .utf8)
        let main = dir + "/models/plan.strat"

        for target in ["/etc/passwd", "../../x", "../x", "sub/../../x"] {
            let engine = Engine()
            let e = stratError { try engine.load(source: "import \"\(target)\"\nlet y = 1\n", path: main) }
            let d = try XCTUnwrap(errors(e).first, target)
            XCTAssertTrue(d.message.contains("refused"), "\(target): \(d.message)")
            XCTAssertTrue(d.message.contains("'\(target)'"), "\(target): \(d.message)")
            XCTAssertEqual(d.line, 1)
            XCTAssertEqual(d.column, 8)
            let text = e?.description ?? ""
            XCTAssertFalse(text.contains("root:"), "file content leaked: \(text)")
            XCTAssertFalse(text.contains("TOP-SECRET"), "file content leaked: \(text)")
            XCTAssertFalse(text.contains("secret"), "file content leaked: \(text)")
        }

        // Inside the folder, imports work.
        let engine = Engine()
        try engine.load(source: "import \"inside.strat\"\nlet y = inside + 1\n", path: main)
        XCTAssertEqual(try engine.evaluate("y").doubleValue, 2)
    }

    /// `use` reaches the bundled standard library with no file access, even with imports off.
    func testUseReachesTheBundledStdlibWithoutAnImporter() throws {
        for config in [Configuration(), Configuration(importer: nil, useDefaultImporter: false)] {
            let engine = Engine(configuration: config)
            try engine.load(source: "use finance\nlet g = compound(100, 10%, 2)\n", path: "/nonexistent/plan.strat")
            XCTAssertEqual(try engine.evaluate("g").doubleValue!, 121, accuracy: 1e-9)
        }
    }

    func testFileImporterDirectly() throws {
        let importer = FileImporter(root: "/srv/models")
        for p in ["/etc/passwd", "../../x", "../secret.strat", "a/../../b.strat"] {
            XCTAssertThrowsError(try importer.resolve(p, from: "/srv/models/plan.strat"), p) { error in
                let e = error as? ImportError
                XCTAssertNotNil(e)
                XCTAssertTrue(e?.message.contains("refused") ?? false, e?.message ?? "")
            }
        }
        XCTAssertThrowsError(try importer.resolve("missing.strat", from: "/srv/models/plan.strat")) { error in
            XCTAssertEqual((error as? ImportError)?.message, "cannot read imported file 'missing.strat'")
        }
    }

    /// A symbolic link inside the model folder that points outside it must not let an
    /// import read the target. The lexical check of `FileImporter` does not see links.
    func testDefaultImporterAndSymbolicLinks() throws {
        let dir = try makeTempDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try "let secret = 42 // TOP-SECRET-CONTENT\n".write(toFile: dir + "/outside.strat", atomically: true, encoding: .utf8)
        try FileManager.default.createSymbolicLink(atPath: dir + "/models/link.strat", withDestinationPath: dir + "/outside.strat")
        let engine = Engine()
        let e = stratError { try engine.load(source: "import \"link.strat\"\nlet y = secret\n", path: dir + "/models/plan.strat") }
        let messages = errors(e).map(\.message)
        XCTAssertTrue(messages.contains { $0.contains("refused") && $0.contains("leaves the model's folder") }, "\(messages)")
        XCTAssertFalse(messages.joined().contains("TOP-SECRET-CONTENT"), "file content leaked: \(messages)")
    }

    func testCustomInMemoryImporter() throws {
        var config = Configuration()
        config.importer = DictionaryImporter(files: [
            "rates.strat": "let eur_usd = 1.1\nimport \"more.strat\"\n",
            "more.strat": "let gbp_usd = 1.3\n",
        ])
        let engine = Engine(configuration: config)
        try engine.load(source: "import \"rates.strat\"\nlet price = $100 * eur_usd + $1 * gbp_usd\n", path: "plan.strat")
        XCTAssertEqual(try engine.evaluate("price").doubleValue!, 111.3, accuracy: 1e-9)

        let e = stratError { try engine.load(source: "import \"nope.strat\"\n", path: "plan.strat") }
        XCTAssertTrue(errors(e).first?.message.contains("no module 'nope.strat' in memory") ?? false)

        // The bundled in-memory importer does the same.
        config.importer = InMemoryImporter(["rates.strat": "let eur_usd = 1.25\n"])
        let other = Engine(configuration: config)
        try other.load(source: "import \"rates.strat\"\nlet p = 8 * eur_usd\n")
        XCTAssertEqual(try other.evaluate("p").doubleValue, 10)
    }

    func testImportsCanBeDisabled() throws {
        var config = Configuration()
        config.importer = nil
        config.useDefaultImporter = false
        let engine = Engine(configuration: config)
        let e = stratError { try engine.load(source: "import \"lib.strat\"\nlet x = 1\n", path: "/tmp/plan.strat") }
        XCTAssertTrue(errors(e).first?.message.contains("imports are disabled") ?? false, "\(errors(e))")
        XCTAssertEqual(errors(e).first?.line, 1)
        // Models without imports still load.
        try engine.load(source: "let x = 1\n", path: "/tmp/plan.strat")
        XCTAssertEqual(try engine.evaluate("x").doubleValue, 1)
    }

    // MARK: Output, report

    func testOutputSinkReceivesPrintOutput() throws {
        let lines = Locked<[String]>([])
        var config = Configuration()
        config.output = { line in lines.withLock { $0.append(line) } }
        let engine = Engine(configuration: config)
        try engine.load(source: "let x = 2\nprint \"x is \\(x)\"\nprint x * 21\n")
        XCTAssertEqual(lines.current, ["x is 2", "42"])
        XCTAssertEqual(engine.printed, ["x is 2", "42"])

        // Loading without running statements prints nothing.
        lines.withLock { $0 = [] }
        try engine.load(source: "print 1\n", runStatements: false)
        XCTAssertEqual(lines.current, [])
    }

    func testReportShape() throws {
        let engine = try pricingEngine()
        let base = try engine.report()
        XCTAssertEqual(base.scenario, "baseline")
        XCTAssertEqual(base.org, "Acme")
        XCTAssertEqual(base.objectives.map(\.name), ["GROW"])
        XCTAssertEqual(base.objectives.first?.krs.first?.score ?? 0, 0.8, accuracy: 1e-9)
        XCTAssertEqual(base.metrics.first?.met, false)

        let report = try engine.report(scenario: "optimistic")
        XCTAssertEqual(report.scenario, "optimistic")
        let revenue = try XCTUnwrap(report.variables.first { $0.name == "revenue" })
        XCTAssertEqual(revenue.value.value.doubleValue, 54_000)
        XCTAssertEqual(report.prints, ["revenue: $54000"])
        XCTAssertEqual(report.objectives.first?.krs.first?.score, 1)
        // The model is unchanged afterwards.
        XCTAssertEqual(try engine.evaluate("revenue").doubleValue, 40_000)
        XCTAssertEqual(engine.printed, ["revenue: $40000"])

        // With extra overrides.
        let more = try engine.report(scenario: "optimistic", overrides: [(path: "units", expr: "10")])
        XCTAssertEqual(more.variables.first { $0.name == "revenue" }?.value.value.doubleValue, 450)

        // Both JSON forms carry the `run --format json` keys.
        for data in [try JSONEncoder().encode(report), Data(report.json().utf8)] {
            let obj = try XCTUnwrap(try JSONSerialization.jsonObject(with: data) as? [String: Any])
            for key in ["scenario", "mission", "plan", "variables", "objectives", "metrics", "swots",
                        "projections", "retros", "prints", "assertions"] {
                XCTAssertNotNil(obj[key], "missing \(key)")
            }
            XCTAssertEqual(obj["scenario"] as? String, "optimistic")
            let vars = try XCTUnwrap(obj["variables"] as? [String: Any])
            let price = try XCTUnwrap(vars["price"] as? [String: Any])
            XCTAssertEqual(price["value"] as? Double, 45)
            XCTAssertEqual(price["unit"] as? String, "$")
            XCTAssertEqual(price["display"] as? String, "$45")
            let objectives = try XCTUnwrap(obj["objectives"] as? [[String: Any]])
            let krs = try XCTUnwrap(objectives.first?["krs"] as? [[String: Any]])
            XCTAssertEqual(krs.first?["name"] as? String, "REVENUE")
            XCTAssertEqual(krs.first?["score"] as? Double, 1)
        }
    }

    /// `JSONEncoder().encode(report)` and `report.json()` are one document: the same keys and
    /// values (the order is the encoder's), also for what only some reports carry (tracking,
    /// distributions, the simulation, `as_of`, nulls). Before, the Encodable form wrote a
    /// distribution as a string of JSON and left out `simulation` and `as_of`.
    func testEncodableReportIsTheJSONReport() throws {
        var c = Configuration()
        c.asOf = CalendarDate("2026-02-20")
        let e = Engine(configuration: c)
        try e.load(source: """
        plan { start: 2026-01-01, end: 2026-04-11 }
        let growth = normal(10%, 2%)
        let note = "a \\"quoted\\" line\\n"
        objective O "o" {
          kr A "a" { baseline: 0, target: 100, weight: 3 }
          kr G "g" { target: >= 9%, current: growth }
        }
        checkin 2026-01-21 "first" { O.A = 30; O.A.confidence = 0.6 }
        """, path: "plan.strat")
        let report = try e.report(overrides: [(path: "growth", expr: "normal(11%, 2%)")])
        let written = try JSONSerialization.jsonObject(with: Data(report.json().utf8))
        let encoded = try JSONSerialization.jsonObject(with: JSONEncoder().encode(report))
        XCTAssertEqual(encoded as? NSDictionary, written as? NSDictionary)
        let obj = try XCTUnwrap(encoded as? [String: Any])
        XCTAssertNotNil(obj["simulation"] as? [String: Any])
        XCTAssertEqual(obj["as_of"] as? String, "2026-02-20")
        let vars = try XCTUnwrap(obj["variables"] as? [String: Any])
        let growth = try XCTUnwrap(vars["growth"] as? [String: Any])
        XCTAssertNotNil(growth["distribution"] as? [String: Any], "a distribution is an object, not a string")
        XCTAssertEqual(vars["note"] as? String, "a \"quoted\" line\n")
        let kr = try XCTUnwrap(((obj["objectives"] as? [[String: Any]])?.first?["krs"] as? [[String: Any]])?.first)
        XCTAssertEqual((kr["history"] as? [[String: Any]])?.first?["note"] as? String, "first")
        XCTAssertTrue(kr["text"] is String && kr["pace"] is Double)
    }

    /// A diagnostic encodes as its JSON line (SPEC §9), `hint` null when it has none.
    func testEncodableDiagnosticIsItsJSONLine() throws {
        for hint in [nil, "did you mean \"x\"?"] as [String?] {
            let d = Diagnostic(severity: .error, message: "unknown name 'y'", path: "a.strat", line: 3, column: 7, hint: hint)
            let written = try JSONSerialization.jsonObject(with: Data(d.jsonLine.utf8)) as? NSDictionary
            let encoded = try JSONSerialization.jsonObject(with: JSONEncoder().encode(d)) as? NSDictionary
            XCTAssertEqual(encoded, written)
            XCTAssertEqual(encoded?["line"] as? Int, 3)
            XCTAssertEqual(encoded?.allKeys.count, 6, "hint is there even when null")
        }
    }

    // MARK: Conveniences

    func testConvenienceInitialisersAndValues() throws {
        let lines = Locked<[String]>([])
        let config = Configuration(limits: Limits(maxCallDepth: 8, maxSteps: 50_000),
                                   importer: InMemoryImporter(["lib/rates.strat": "import \"base.strat\"\nlet eur = base * 1.1\n",
                                                               "lib/base.strat": "let base = 1\n"]),
                                   output: { line in lines.withLock { $0.append(line) } })
        XCTAssertEqual(config.limits.maxCallDepth, 8)
        XCTAssertEqual(config.limits.maxSteps, 50_000)
        XCTAssertEqual(config.limits.maxNesting, Limits().maxNesting)
        let engine = Engine(configuration: config)
        engine.register(function: "fee", arity: 1) { args in .money(args[0].doubleValue! * 0.02) }
        try engine.load(source: "import \"lib/rates.strat\"\nlet f = fee($1000)\nprint eur\n")
        XCTAssertEqual(lines.current, ["1.1"])
        XCTAssertEqual(try engine.evaluate("f").description, "$20")
        XCTAssertEqual(try engine.evaluate("f + $1").description, "$21")

        let e = stratError { try engine.load(source: "import \"../etc/passwd\"\n") }
        XCTAssertTrue(errors(e).first?.message.contains("refused") ?? false, "\(errors(e))")
        let missing = stratError { try engine.load(source: "import \"lib/rate.strat\"\n") }
        XCTAssertEqual(errors(missing).first?.hint, "did you mean 'lib/rates.strat'?")

        let off = Engine(configuration: .noImports)
        XCTAssertNotNil(stratError { try off.load(source: "import \"x.strat\"\n") })

        XCTAssertEqual(Value.money(2_500_000, scaled: true).description, "$2.5M")
        XCTAssertEqual(Value.money(40).description, "$40")
        XCTAssertEqual(Value.percent(0.038).description, "3.8%")
        XCTAssertEqual(Value.duration(seconds: 0.12, display: .ms).description, "120ms")
        XCTAssertEqual(Value.number(3).description, "3")
    }

    // MARK: Threads

    func testValuesAndEnginesAreSendable() async throws {
        requireSendable(Value.self)
        requireSendable(Change.self)
        requireSendable(Report.self)
        requireSendable(Diagnostic.self)
        requireSendable(StratError.self)
        requireSendable(Configuration.self)
        requireSendable(Limits.self)
        requireSendable(NumberUnit.self)
        requireSendable(Engine.self)

        // Values, changes, reports and errors made on another thread come back intact.
        let (value, changes, report, error) = await Task.detached { () -> (Value, [Change], Report, StratError?) in
            let engine = try! pricingEngine()
            let value = try! engine.evaluate("[revenue, churn, \"x\", true, none]")
            let changes = try! engine.whatIf(["price": "$50"])
            let report = try! engine.report(scenario: "optimistic")
            let error = stratError { _ = try engine.evaluate("nope") }
            return (value, changes, report, error)
        }.value
        XCTAssertEqual(value.description, "[$40000, 3.8%, \"x\", true, none]")
        XCTAssertTrue(changes.contains { $0.path == "revenue" })
        XCTAssertEqual(report.scenario, "optimistic")
        XCTAssertTrue(error?.description.contains("unknown name 'nope'") ?? false)
    }

    func testSeveralEnginesOnSeveralThreadsAtOnce() throws {
        let n = 8
        let results = Locked<[Int: (revenue: Double, usd: Double, whatIf: Double, printed: [String], report: Double)]>([:])
        let failures = Locked<[String]>([])
        DispatchQueue.concurrentPerform(iterations: n) { i in
            do {
                let lines = Locked<[String]>([])
                var config = Configuration()
                config.output = { line in lines.withLock { $0.append(line) } }
                let engine = Engine(configuration: config)
                let rate = 1.0 + Double(i) / 10
                engine.register(function: "fx", arity: 1) { args in
                    .number(args[0].doubleValue! * rate, args[0].unit ?? .plain)
                }
                try engine.load(source: pricingPlan.replacingOccurrences(of: "let units = 1_000", with: "let units = \(i + 1)"),
                                path: "engine\(i).strat")
                // Exercise the engine for a while so the threads really overlap.
                var last = 0.0
                for k in 0..<50 {
                    let c = try engine.whatIf(["price": "$\(k + 1)"])
                    last = c.first { $0.path == "revenue_usd" }?.after.doubleValue ?? .nan
                }
                let report = try engine.report(scenario: "optimistic")
                let entry = (revenue: try engine.evaluate("revenue").doubleValue!,
                             usd: try engine.evaluate("revenue_usd").doubleValue!,
                             whatIf: last,
                             printed: lines.current,
                             report: report.variables.first { $0.name == "revenue" }!.value.value.doubleValue!)
                results.withLock { $0[i] = entry }
            } catch {
                failures.withLock { $0.append("engine \(i): \(error)") }
            }
        }
        XCTAssertEqual(failures.current, [])
        let all = results.current
        XCTAssertEqual(all.count, n)
        for i in 0..<n {
            let units = Double(i + 1), rate = 1.0 + Double(i) / 10
            let r = try XCTUnwrap(all[i])
            XCTAssertEqual(r.revenue, 40 * units)
            XCTAssertEqual(r.usd, 40 * units * rate, accuracy: 1e-9)
            XCTAssertEqual(r.whatIf, 50 * units * rate, accuracy: 1e-9)
            // `print` output of the load (report(scenario:) re-runs `print` statements too).
            XCTAssertEqual(r.printed.first, "revenue: $\(Int(40 * units))")
            XCTAssertEqual(r.report, 45 * 1_200)
        }
    }

    // MARK: Incrementality

    func testWhatIfCostIsProportionalToWhatItAffects() throws {
        let n = 2_000
        var source = "let x0 = 1\n"
        for i in 1..<n { source += "let x\(i) = x\(i - 1) + 1\n" }
        source += "let leaf_input = 5\nlet leaf = x\(n - 1) + leaf_input\n"
        let engine = Engine()
        try engine.load(source: source, path: "chain.strat")
        XCTAssertEqual(try engine.evaluate("leaf").doubleValue, Double(n - 1 + 1 + 5))
        XCTAssertGreaterThanOrEqual(engine.cellCount, n + 2)

        var start = engine.cellsComputed
        let leafChanges = try engine.whatIf(["leaf_input": "6"])
        let leafCost = engine.cellsComputed - start
        XCTAssertEqual(Set(leafChanges.map(\.path)), ["leaf_input", "leaf"])
        XCTAssertLessThanOrEqual(leafCost, 5, "a what-if on a leaf input recomputed \(leafCost) cells")

        start = engine.cellsComputed
        let rootChanges = try engine.whatIf(["x0": "2"])
        let rootCost = engine.cellsComputed - start
        XCTAssertEqual(rootChanges.count, n + 1)
        XCTAssertGreaterThanOrEqual(rootCost, n + 1)
        XCTAssertLessThanOrEqual(rootCost, n + 10)
        print("incrementality: leaf what-if recomputed \(leafCost) cells, root what-if \(rootCost) of \(engine.cellCount)")

        // set is incremental as well.
        start = engine.cellsComputed
        try engine.set("leaf_input", "7")
        XCTAssertLessThanOrEqual(engine.cellsComputed - start, 5)
        XCTAssertEqual(try engine.evaluate("leaf").doubleValue, Double(n + 7))
    }
}
