import XCTest
@testable import StratKit

/// A host function that calls back into its own engine gets an error, not a crash
/// (docs/embedding.md, "Host functions"); the C API relies on the same rule.
final class ReentryTests: XCTestCase {
    func testHostFunctionCallingItsOwnEngineThrows() throws {
        let engine = Engine()
        let other = Engine()
        try other.load(source: "let k = 7")
        engine.register(function: "inner", arity: 0) { _ in try engine.evaluate("1") }
        engine.register(function: "elsewhere", arity: 0) { _ in try other.evaluate("k * 6") }
        engine.register(function: "whatif", arity: 0) { _ in _ = try engine.whatIf(["a": "2"]); return .number(0) }
        try engine.load(source: "let a = 1\nlet b = elsewhere()\n")
        XCTAssertEqual(try engine.evaluate("b").doubleValue, 42)
        for call in ["inner()", "whatif()"] {
            XCTAssertThrowsError(try engine.evaluate(call)) { error in
                let message = (error as? StratError)?.diagnostics.first?.message ?? ""
                XCTAssertTrue(message.contains("called back into its own engine"), message)
            }
        }
        XCTAssertEqual(try engine.evaluate("a + 1").doubleValue, 2)  // still usable
    }
}
