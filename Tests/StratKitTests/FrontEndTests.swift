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
        XCTAssertEqual(MemoryLayout<Node>.stride, 20)
        var n = Node(kind: .binary, op: BinaryOp.convert.rawValue, a: -5, b: 7,
                     span: Span(file: 3, start: 10, end: Int32.max))
        XCTAssertEqual(n.kind, .binary)
        XCTAssertEqual(n.op, BinaryOp.convert.rawValue)
        XCTAssertEqual(n.span, Span(file: 3, start: 10, end: Int32.max))
        XCTAssertEqual([n.a, n.b], [-5, 7])
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

    /// Children live in `extra` after their count (no third field in every node); a number
    /// keeps its bits inline when plain and its unit in the constant table otherwise.
    func testChildrenCountsAndNumberUnitsOutsideTheNode() {
        let pool = ExprPool()
        pool.extra.append(99)  // something before: `b` is never 0 for a node with children
        let none = pool.add(Node(kind: .none, span: .none))
        for items in [[], [none], [none, none, none]] as [[Int32]] {
            let ex = pool.addExtra(items)
            let list = Node(kind: .list, b: ex, span: .none)
            XCTAssertEqual(pool.count(list), Int32(items.count))
            XCTAssertEqual(Array(pool.children(list)), items)
        }
        pool.scratch.append(contentsOf: [7, 8])
        let ex = pool.addScratch(from: 0)
        XCTAssertEqual(Array(pool.children(Node(kind: .call, b: ex, span: .none))), [7, 8])
        XCTAssertTrue(pool.scratch.isEmpty)
        let cond = Node(kind: .cond, a: 1, b: pool.addExtra([2, 3]), span: .none)
        XCTAssertEqual(pool.branches(cond).then, 2)
        XCTAssertEqual(pool.branches(cond).else, 3)
        let plain = pool.numberNode(0.1, .plain, span: .none)
        XCTAssertEqual(plain.op, 0)
        XCTAssertEqual(pool.numberValue(plain), .number(0.1, .plain))
        let constantsBefore = pool.constants.count
        let percent = NumberUnit(display: .percent)
        let withUnit = pool.numberNode(0.035, percent, span: .none)
        XCTAssertEqual(pool.constants.count, constantsBefore + 1)
        guard case .number(let d, let u) = pool.numberValue(withUnit) else { return XCTFail("not a number") }
        XCTAssertEqual(d, 0.035)
        XCTAssertEqual(u, percent)
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

    /// The flat edge lists behave like an array of arrays under every change the what-ifs
    /// make (rows replaced, grown, shrunk, added and dropped), through the compactions
    /// that reclaim moved rows, and their reversal lists each row's readers in order.
    func testEdgeListsMatchArrayOfArrays() {
        var seed: UInt64 = 0x9E37_79B9_7F4A_7C15
        func next(_ n: Int) -> Int {
            seed = seed &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Int((seed >> 33) % UInt64(n))
        }
        var lists = EdgeLists()
        var reference: [[Int32]] = []
        for _ in 0..<50 {
            let row = (0..<next(5)).map { _ in Int32(next(50)) }
            lists.appendRow(row)
            reference.append(row)
        }
        var set = SmallSet()
        for x: Int32 in [4, 9, 4, 1] { set.insert(x) }
        lists.appendRow(set)
        reference.append([4, 9, 1])
        for step in 0..<20_000 {
            let r = next(reference.count)
            switch next(6) {
            case 0:
                let row = (0..<next(12)).map { _ in Int32(next(50)) }
                lists.replace(r, with: row)
                reference[r] = row
            case 1, 2:
                let x = Int32(next(50))
                lists.append(x, toRow: r)
                reference[r].append(x)
            case 3:
                let x = reference[r].last ?? Int32(next(50))
                lists.removeLast(x, fromRow: r)
                if let k = reference[r].lastIndex(of: x) { reference[r].remove(at: k) }
            case 4:
                if reference.count > 40 {
                    lists.removeLastRows(2)
                    reference.removeLast(2)
                }
            default:
                lists.appendRow(EmptyCollection())
                reference.append([])
            }
            if step % 997 == 0 || step == 19_999 {
                XCTAssertEqual(lists.count, reference.count)
                XCTAssertEqual((0..<lists.count).map { Array(lists[$0]) }, reference, "step \(step)")
                XCTAssertEqual(lists.edgeCount, reference.reduce(0) { $0 + $1.count })
            }
        }
        for r in reference.indices { reference[r] = reference[r].filter { $0 < reference.count } }
        for r in reference.indices { lists.replace(r, with: reference[r]) }
        let reversed = lists.reversed()
        var expected = [[Int32]](repeating: [], count: reference.count)
        for (r, row) in reference.enumerated() { for d in row { expected[Int(d)].append(Int32(r)) } }
        XCTAssertEqual((0..<reversed.count).map { Array(reversed[$0]) }, expected)
        lists.compact()
        XCTAssertEqual((0..<lists.count).map { Array(lists[$0]) }, reference)
    }
}
