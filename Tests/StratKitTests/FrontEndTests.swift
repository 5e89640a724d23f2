import XCTest
@testable import StratKit

/// Issue 22: the front end's compact representations (the interner's word-at-a-time
/// hashing, 24-byte expression nodes) keep every name, kind, operator and location exact.
final class FrontEndTests: XCTestCase {
    /// The same name interned from anywhere in a buffer, including its last bytes (where the
    /// hash cannot load a whole word), gets one id; different names get different ids.
    func testInternerIsPositionIndependent() {
        let interner = Interner()
        var ids: [String: Int32] = [:]
        for len in 1...20 {
            let name = String((0..<len).map { Character(Unicode.Scalar(UInt8(97 + ($0 * 7 + len) % 26))) })
            for pad in 0..<9 {
                // Prefix padding moves the name; it ends the buffer, so the tail path runs.
                let bytes = Array(repeating: UInt8(ascii: " "), count: pad) + Array(name.utf8)
                let id = bytes.withUnsafeBufferPointer { interner.intern($0, pad, bytes.count) }
                if let known = ids[name] {
                    XCTAssertEqual(id, known, "\(name) at offset \(pad)")
                } else {
                    ids[name] = id
                }
                // A longer buffer: the same name mid-buffer.
                let mid = bytes + Array("+rest".utf8)
                XCTAssertEqual(mid.withUnsafeBufferPointer { interner.intern($0, pad, bytes.count) }, id)
            }
            XCTAssertEqual(interner[ids[name]!], name)
            XCTAssertEqual(interner.lookup(name), ids[name])
        }
        XCTAssertEqual(Set(ids.values).count, ids.count, "distinct names, distinct ids")
        XCTAssertNil(interner.lookup("not-interned"))
        XCTAssertEqual(interner.lookup("let"), Keyword.let_.rawValue)
        // Growth keeps every id.
        let many = (0..<5_000).map { interner.intern("name\($0)") }
        for (k, id) in many.enumerated() { XCTAssertEqual(interner.lookup("name\(k)"), id) }
        XCTAssertEqual(interner.intern(""), interner.intern(""))
    }

    func testNodePacksKindOperatorAndSpan() {
        XCTAssertEqual(MemoryLayout<Node>.stride, 24)
        var n = Node(kind: .binary, op: BinaryOp.convert.rawValue, a: -5, b: 7, c: Int32.max,
                     span: Span(file: 3, start: 10, end: Int32.max))
        XCTAssertEqual(n.kind, .binary)
        XCTAssertEqual(n.op, BinaryOp.convert.rawValue)
        XCTAssertEqual(n.span, Span(file: 3, start: 10, end: Int32.max))
        XCTAssertEqual([n.a, n.b, n.c], [-5, 7, Int32.max])
        n.kind = .solved
        XCTAssertEqual(n.kind, .solved)
        XCTAssertEqual(n.op, BinaryOp.convert.rawValue, "setting the kind keeps the operator")
        XCTAssertEqual(n.span.file, 3)
        n.span = .none
        XCTAssertEqual(n.span, .none)
        XCTAssertEqual(n.kind, .solved)
        n.span = Span(file: 4_194_300, start: 1, end: 2)
        XCTAssertEqual(n.span.file, 4_194_300)
        // Past the 22 bits the file is unknown (never another file's).
        n.span = Span(file: Int32.max, start: 1, end: 2)
        XCTAssertEqual(n.span.file, -1)
    }

    /// A model whose names end the file (no newline after them) resolves, and an unknown
    /// name there is reported at its exact line and column.
    func testNamesAtTheEndOfTheFile() throws {
        let engine = Engine()
        try engine.load(source: "let a_rather_long_name_x = 2\nlet y = a_rather_long_name_x * 3", path: "end.strat")
        XCTAssertEqual(try engine.evaluate("y").doubleValue, 6)
        do {
            try Engine().load(source: "let churn = 3%\nlet x = 1 + chrun", path: "end.strat")
            XCTFail("expected an unknown-name error")
        } catch let e as StratError {
            let d = try XCTUnwrap(e.diagnostics.first { $0.severity == .error })
            XCTAssertTrue(d.message.contains("unknown name 'chrun'"), d.message)
            XCTAssertEqual(d.path, "end.strat")
            XCTAssertEqual(d.line, 2)
            XCTAssertEqual(d.column, 13)
        }
    }

    /// The resolver's dependency set keeps insertion order without duplicates inline, past
    /// eight and past sixteen items, and a copy is independent of the original.
    func testSmallSetOrderDuplicatesAndCopies() {
        for n in [0, 1, 7, 8, 9, 16, 17, 40] {
            var s = SmallSet()
            var input: [Int32] = []
            for k in 0..<n {
                let x = Int32(k * 3 % 41)
                input += [x, x]
            }
            s.formUnion(input)
            var expected: [Int32] = []
            for x in input where !expected.contains(x) { expected.append(x) }
            XCTAssertEqual(s.items, expected, "n = \(n)")
            XCTAssertEqual(s.isEmpty, n == 0)
            var copy = s
            copy.insert(1_000)
            XCTAssertEqual(s.items, expected, "the original is unchanged by the copy's insert (n = \(n))")
            XCTAssertEqual(copy.items, expected + [1_000])
        }
    }
}
