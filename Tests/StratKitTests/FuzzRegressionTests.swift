// Replays every fuzzer finding kept in Tests/Scripts/fuzz/ through the embedding API the
// way the fuzz target does (Fuzz/FuzzMain.swift): load, evaluate the declared names, a
// what-if, a report per scenario. Some findings crashed only these API paths, which the
// CLI script test does not reach. Public API only.
import Foundation
import XCTest
import StratKit
#if canImport(Glibc)
import Glibc
#endif

/// Runs `body` on a new thread with a stack of `bytes` and waits for it.
private func onThread(stackBytes bytes: Int, _ body: @escaping @Sendable () -> Void) {
    final class Box: @unchecked Sendable {
        let body: @Sendable () -> Void
        init(_ body: @escaping @Sendable () -> Void) { self.body = body }
    }
    var attr = pthread_attr_t()
    pthread_attr_init(&attr)
    defer { pthread_attr_destroy(&attr) }
    pthread_attr_setstacksize(&attr, bytes)
    let box = Unmanaged.passRetained(Box(body))
    var thread = pthread_t()
    let rc = pthread_create(&thread, &attr, { raw in
        Unmanaged<Box>.fromOpaque(raw!).takeRetainedValue().body()
        return nil
    }, box.toOpaque())
    precondition(rc == 0, "pthread_create failed")
    pthread_join(thread, nil)
}

final class FuzzRegressionTests: XCTestCase {
    static var fuzzScripts: [URL] {
        let dir = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Scripts/fuzz")
        let names = (try? FileManager.default.contentsOfDirectory(atPath: dir.path)) ?? []
        return names.filter { $0.hasSuffix(".strat") }.sorted().map { dir.appendingPathComponent($0) }
    }

    /// The fuzz target's sequence of queries; none may crash, each failure is a StratError.
    static func exercise(_ engine: Engine, lastLine: String?) {
        for (name, _) in engine.declaredNames.prefix(6) {
            _ = try? engine.evaluate(name)
            _ = engine.members(of: name)
        }
        _ = try? engine.evaluate("1 + 2 * 3")
        if let l = lastLine { _ = try? engine.evaluate(l) }
        if let first = engine.declaredNames.first(where: { $0.kind == "let" })?.name {
            _ = try? engine.whatIf([first: "\(first) * 2"])
            _ = try? engine.whatIf([first: "1"])
            _ = try? engine.set(first, "2")
        }
        _ = try? engine.whatIf(["a": "1"])
        if let object = engine.declaredNames.first(where: { !["let", "fn", "scenario"].contains($0.kind) })?.name,
           let member = engine.members(of: object).first {
            _ = try? engine.whatIf([(path: "\(object).\(member)", expr: "2")])
        }
        _ = try? engine.compare(scenarios: Array(engine.scenarioNames.prefix(2)) + ["baseline"])
        _ = (try? engine.report())?.json(pretty: true)
        for s in engine.scenarioNames.prefix(3) { _ = try? engine.report(scenario: s) }
        engine.recalculate()
    }

    func testFuzzFindingsThroughTheEngine() throws {
        let scripts = Self.fuzzScripts
        XCTAssertFalse(scripts.isEmpty, "Tests/Scripts/fuzz has the fuzzer's findings")
        for url in scripts {
            let bytes = try [UInt8](Data(contentsOf: url))
            let text = String(decoding: bytes, as: UTF8.self)
            let lastLine = text.split(separator: "\n").last(where: { !$0.hasPrefix("//") }).map(String.init)
            var c = Configuration()
            c.limits.maxSteps = 1_000_000
            let engine = Engine(configuration: c)
            do {
                try engine.load(bytes: bytes, path: url.path)
            } catch let e as StratError {
                XCTAssertFalse(e.diagnostics.isEmpty, "\(url.lastPathComponent): an error without diagnostics")
            }
            Self.exercise(engine, lastLine: lastLine)
        }
    }

    /// Exponential recursion stops at the step limit, which the diagnostic names.
    func testExponentialWorkStopsAtTheStepLimit() {
        var c = Configuration()
        c.limits.maxSteps = 1_000_000
        let engine = Engine(configuration: c)
        XCTAssertThrowsError(try engine.load(source: "fn f(n) = if n <= 1 then 1 else f(n - 1) + f(n - 2)\nprint f(60)\n")) { error in
            let d = (error as? StratError)?.diagnostics ?? []
            XCTAssertTrue(d.contains { $0.message.contains("more than 1,000,000 evaluation steps") }, "\(d)")
        }
    }

    /// An embedder's thread may have a small stack (512 KiB is common for secondary
    /// threads): deep input is a diagnostic there too, from the parser and the evaluator.
    func testDeepInputOnASmallThreadStack() {
        let n = 100_000
        let inputs: [(String, String)] = [
            ("parens", "let x = " + String(repeating: "(", count: n) + "1" + String(repeating: ")", count: n) + "\n"),
            ("brackets", "let x = " + String(repeating: "[", count: n) + String(repeating: "]", count: n) + "\n"),
            ("interpolations", "let s = " + String(repeating: "\"\\(", count: n) + "\n"),
            ("chain", "let x = 1" + String(repeating: " + 1", count: 1000) + "\nprint x\n"),
            ("recursion", "fn f(n) = if n == 0 then 0 else 1 + f(n - 1)\nprint f(250)\n"),
        ]
        for (name, source) in inputs {
            let outcome = SharedBox("")
            onThread(stackBytes: 512 << 10) {
                do {
                    try Engine().load(source: source)
                    outcome.set("ok")
                } catch let e as StratError {
                    outcome.set(e.diagnostics.map(\.message).joined(separator: "; "))
                } catch {
                    outcome.set("\(error)")
                }
            }
            XCTAssertFalse(outcome.get().isEmpty, name)
        }
    }

    /// Issue 13: 250 nested unary `-`, `not`, `if` or `abs(` (inside the nesting limit)
    /// overflowed a 512 KiB thread; every evaluator path now checks the stack guard.
    func testUnaryNestingOnASmallThreadStack() {
        let n = 250
        let inputs: [(String, String)] = [
            ("negate", "let x = " + String(repeating: "-(", count: n) + "1" + String(repeating: ")", count: n) + "\n"),
            ("not", "let x = " + String(repeating: "not (", count: n) + "true" + String(repeating: ")", count: n) + "\n"),
            ("if", "let x = " + String(repeating: "if true then (", count: n) + "1" + String(repeating: ") else 0", count: n) + "\n"),
            ("abs", "let x = " + String(repeating: "abs(", count: n) + "1" + String(repeating: ")", count: n) + "\n"),
        ]
        for (name, source) in inputs {
            let outcome = SharedBox("")
            onThread(stackBytes: 512 << 10) {
                do { try Engine().load(source: source); outcome.set("ok") } catch let e as StratError {
                    outcome.set(e.diagnostics.map(\.message).joined(separator: "; "))
                } catch { outcome.set("\(error)") }
            }
            XCTAssertFalse(outcome.get().isEmpty, name)
        }
    }

    /// Issue 13: host values meet the checks Strat values meet, and a host function that
    /// recalculates its own engine no longer recurses without end.
    func testHostValuesAreChecked() throws {
        let engine = Engine()
        engine.register(function: "nanList", arity: 0) { _ in .list([.number(1), .list([.number(.nan)])]) }
        engine.register(function: "huge", arity: 0) { _ in .list(Array(repeating: .number(1), count: 10_000_001)) }
        engine.register(function: "again", arity: 0) { [unowned engine] _ in engine.recalculate(); return .number(1) }
        XCTAssertThrowsError(try engine.load(source: "let a = nanList()\nlet b = huge()\nlet c = again()\n")) { e in
            let messages = (e as? StratError)?.diagnostics.map(\.message) ?? []
            XCTAssertTrue(messages.contains { $0.contains("'nanList' returned a number that is not finite") }, "\(messages)")
            XCTAssertTrue(messages.contains { $0.contains("'huge' returned a list longer than") }, "\(messages)")
        }
        XCTAssertEqual(try engine.evaluate("c").doubleValue, 1)
    }

    /// Issue 13: a list built by recursion as deep as calls times literals (60,000 levels)
    /// overflowed the stack when released; list values stop at 4 × the nesting limit.
    func testDeeplyNestedListValuesStop() {
        // Each `let` nests the previous one 4 levels deeper at a shallow evaluation depth.
        let engine = Engine(configuration: { var c = Configuration(); c.limits.maxNesting = 16; return c }())
        let src = "let l0 = []\n" + (1...20).map { "let l\($0) = [[[[l\($0 - 1)]]]]\n" }.joined()
        XCTAssertThrowsError(try engine.load(source: src)) { e in
            let messages = (e as? StratError)?.diagnostics.map(\.message) ?? []
            XCTAssertTrue(messages.contains { $0.contains("list nested deeper than 64") }, "\(messages)")
        }
    }

    /// What-if, set and report on a model that failed to load throw its errors.
    func testQueriesOnAModelThatFailedToLoadThrow() {
        let engine = Engine()
        XCTAssertThrowsError(try engine.load(source: "let a = a + 1\nlet b = 2\n"))
        for query in [{ _ = try engine.whatIf(["b": "3"]) }, { _ = try engine.set("b", "3") },
                      { _ = try engine.report() }, { _ = try engine.evaluate("b") }] as [() throws -> Void] {
            XCTAssertThrowsError(try query()) { error in
                let d = (error as? StratError)?.diagnostics ?? []
                XCTAssertTrue(d.contains { $0.message.contains("reference cycle") }, "\(d)")
            }
        }
        // A later successful load makes the engine usable again.
        XCTAssertNoThrow(try engine.load(source: "let b = 2\n"))
        XCTAssertEqual(try engine.evaluate("b").description, "2")
    }
}

/// A value shared with another thread.
private final class SharedBox<T>: @unchecked Sendable {
    private let lock = NSLock()
    private var value: T
    init(_ value: T) { self.value = value }
    func set(_ v: T) { lock.lock(); value = v; lock.unlock() }
    func get() -> T { lock.lock(); defer { lock.unlock() }; return value }
}
