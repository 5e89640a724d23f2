// The language server's message layer under random and mutated input, in process: frames
// cut at random points, corrupted headers, bad JSON, wrong shapes and hostile parameters.
// Each case must leave the server answering a well-formed request afterwards.

import XCTest
import StratKit
@testable import StratLSP

/// A small deterministic generator (SplitMix64), so a failure reproduces from its seed.
struct SplitMix {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    mutating func below(_ n: Int) -> Int { n <= 0 ? 0 : Int(next() % UInt64(n)) }
}

final class MessageFuzzTests: XCTestCase {
    private func framed(_ json: String) -> [UInt8] { Array("Content-Length: \(json.utf8.count)\r\n\r\n\(json)".utf8) }

    private let model = #"let churn = 3.8%\nlet members = 262M * (1 - churn)\nobjective O \"t\" {\n  kr K \"k\" { baseline: 0, target: 10, current: 5 }\n}\n"#

    private var seeds: [String] {
        [
            #"{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"capabilities":{}}}"#,
            #"{"jsonrpc":"2.0","method":"initialized","params":{}}"#,
            #"{"jsonrpc":"2.0","method":"textDocument/didOpen","params":{"textDocument":{"uri":"file:///tmp/fuzz/a.strat","languageId":"strat","version":1,"text":"\#(model)"}}}"#,
            #"{"jsonrpc":"2.0","method":"textDocument/didChange","params":{"textDocument":{"uri":"file:///tmp/fuzz/a.strat","version":2},"contentChanges":[{"range":{"start":{"line":0,"character":12},"end":{"line":0,"character":16}},"text":"4%"}]}}"#,
            #"{"jsonrpc":"2.0","id":2,"method":"textDocument/hover","params":{"textDocument":{"uri":"file:///tmp/fuzz/a.strat"},"position":{"line":1,"character":20}}}"#,
            #"{"jsonrpc":"2.0","id":3,"method":"textDocument/completion","params":{"textDocument":{"uri":"file:///tmp/fuzz/a.strat"},"position":{"line":3,"character":2}}}"#,
            #"{"jsonrpc":"2.0","id":4,"method":"textDocument/rename","params":{"textDocument":{"uri":"file:///tmp/fuzz/a.strat"},"position":{"line":0,"character":5},"newName":"attrition"}}"#,
            #"{"jsonrpc":"2.0","id":5,"method":"textDocument/inlayHint","params":{"textDocument":{"uri":"file:///tmp/fuzz/a.strat"},"range":{"start":{"line":0,"character":0},"end":{"line":9,"character":0}}}}"#,
            #"{"jsonrpc":"2.0","id":6,"method":"textDocument/signatureHelp","params":{"textDocument":{"uri":"file:///tmp/fuzz/a.strat"},"position":{"line":1,"character":30}}}"#,
            #"{"jsonrpc":"2.0","id":7,"method":"textDocument/documentSymbol","params":{"textDocument":{"uri":"file:///tmp/fuzz/a.strat"}}}"#,
            #"{"jsonrpc":"2.0","id":8,"method":"textDocument/formatting","params":{"textDocument":{"uri":"file:///tmp/fuzz/a.strat"},"options":{"tabSize":2,"insertSpaces":true}}}"#,
            #"{"jsonrpc":"2.0","id":10,"method":"textDocument/semanticTokens/full","params":{"textDocument":{"uri":"file:///tmp/fuzz/a.strat"}}}"#,
            #"{"jsonrpc":"2.0","id":9,"method":"textDocument/references","params":{"textDocument":{"uri":"file:///tmp/fuzz/a.strat"},"position":{"line":0,"character":5},"context":{"includeDeclaration":true}}}"#,
        ]
    }

    /// Mutations of a message: byte flips, insertions, deletions, swapped numbers.
    private func mutate(_ bytes: [UInt8], _ rng: inout SplitMix) -> [UInt8] {
        var b = bytes
        let specials: [UInt8] = Array("{}[]\":,-0123456789eE.\\u\r\n \u{7F}".utf8) + [0, 0xFF, 0xC3, 0xE2]
        for _ in 0..<(1 + rng.below(4)) {
            guard !b.isEmpty else { b = [specials[rng.below(specials.count)]]; continue }
            let i = rng.below(b.count)
            switch rng.below(5) {
            case 0: b[i] = specials[rng.below(specials.count)]
            case 1: b.insert(specials[rng.below(specials.count)], at: i)
            case 2: b.remove(at: i)
            case 3: b.replaceSubrange(i..<min(b.count, i + rng.below(8)), with: Array(String(rng.next() % 100_000_000_000).utf8))
            default: b[i] ^= UInt8(1 << rng.below(8))
            }
        }
        return b
    }

    func testRandomAndMutatedFramesNeverStopTheServer() {
        var rng = SplitMix(state: 0x5EED_0020)
        let iterations = 2000
        for round in 0..<iterations {
            var out: [JSONValue] = []
            let server = LanguageServer(send: { out.append($0) })
            var stream: [UInt8] = []
            for _ in 0..<(3 + rng.below(8)) {
                let seed = seeds[rng.below(seeds.count)]
                switch rng.below(6) {
                case 0:
                    stream += framed(String(decoding: mutate(Array(seed.utf8), &rng), as: UTF8.self))
                case 1:
                    stream += mutate(framed(seed), &rng)  // the header may break too
                case 2:
                    var junk: [UInt8] = []
                    for _ in 0..<rng.below(300) { junk.append(UInt8(truncatingIfNeeded: rng.next())) }
                    stream += junk
                default:
                    stream += framed(seed)
                }
            }
            // Resynchronise on a clean frame boundary, then one request that must be answered.
            stream += Array("\r\n\r\n".utf8)
            let probe = #"{"jsonrpc":"2.0","id":"probe","method":"strat/probe"}"#
            // Feed in random pieces, as a pipe would deliver them.
            var i = 0
            var exited = false
            while i < stream.count && !exited {
                let n = 1 + rng.below(512)
                server.reader.feed(stream[i..<min(stream.count, i + n)])
                i += n
                while let f = server.reader.next() { if server.handle(frame: f) != nil { exited = true; break } }
                if rng.below(4) == 0 { server.analyzePending() }
            }
            if exited { continue }
            // Whatever state the junk left, a header block that is complete and a valid
            // message after it are handled (a dangling partial header may eat the first).
            var answered = false
            for _ in 0..<3 where !answered {
                // A corrupted Content-Length that announced more bytes than came is waited
                // for, as the protocol requires: deliver them.
                let awaited = server.reader.awaitedBytes
                XCTAssertLessThanOrEqual(awaited, 64 << 20)
                server.reader.feed(Array(repeating: UInt8(ascii: " "), count: awaited))
                while let f = server.reader.next() { _ = server.handle(frame: f) }
                server.reader.feed(framed(probe))
                while let f = server.reader.next() { _ = server.handle(frame: f) }
                answered = out.contains { $0["id"]?.stringValue == "probe" }
            }
            if !answered { print("round \(round) stream:", String(decoding: stream, as: UTF8.self).debugDescription) }
            XCTAssertTrue(answered, "round \(round): the server stopped answering")
            for m in out {
                XCTAssertEqual(m["jsonrpc"]?.stringValue, "2.0")
                XCTAssertTrue(m["result"] != nil || m["error"] != nil || m["method"] != nil, "round \(round): \(m.serialized.prefix(200))")
            }
        }
    }

    /// Valid JSON with hostile values: each leaf of a seed message replaced by a value of
    /// the wrong type, out of range, huge, negative or empty.
    func testHostileParametersGetAnswersNotCrashes() throws {
        let hostile: [JSONValue] = [
            .null, .bool(true), .number(-1), .number(1e300), .number(-1e300), .number(2147483648), .number(0.5),
            .number(9.2e18), .string(""), .string("file:///"), .string(String(repeating: "x", count: 5000)),
            .string("\u{1F600}\u{0}"), .array([]), .object([]), .array([.number(1), .null]),
        ]
        func leaves(_ v: JSONValue, _ path: [Int]) -> [[Int]] {
            switch v {
            case .object(let m): return [path] + m.enumerated().flatMap { leaves($0.element.1, path + [$0.offset]) }
            case .array(let a): return [path] + a.enumerated().flatMap { leaves($0.element, path + [$0.offset]) }
            default: return [path]
            }
        }
        func replace(_ v: JSONValue, _ path: ArraySlice<Int>, _ new: JSONValue) -> JSONValue {
            guard let i = path.first else { return new }
            switch v {
            case .object(var m): m[i].1 = replace(m[i].1, path.dropFirst(), new); return .object(m)
            case .array(var a): a[i] = replace(a[i], path.dropFirst(), new); return .array(a)
            default: return v
            }
        }
        var rng = SplitMix(state: 0xBAD_1DEA)
        let parsed = try seeds.map { try JSONValue.parse($0) }
        var out: [JSONValue] = []
        let server = LanguageServer(send: { out.append($0) })
        for m in parsed.prefix(3) { _ = server.handle(message: m) }  // initialize, initialized, didOpen
        for _ in 0..<3000 {
            let m = parsed[rng.below(parsed.count)]
            var bad = m
            for _ in 0..<(1 + rng.below(3)) {
                let ls = leaves(bad, [])
                bad = replace(bad, ls[rng.below(ls.count)][...], hostile[rng.below(hostile.count)])
            }
            if bad["method"]?.stringValue == "exit" { continue }
            let before = out.count
            _ = server.handle(message: bad)
            if rng.below(3) == 0 { server.analyzePending() }
            // A request (a message with a valid id) gets exactly one answer.
            if bad["method"]?.stringValue != nil, let id = bad["id"], id.intValue != nil || id.stringValue != nil {
                let answers = out[before...].filter { $0["id"] == id && ($0["result"] != nil || $0["error"] != nil) }
                XCTAssertEqual(answers.count, 1, bad.serialized.prefix(300) + "")
            }
        }
        // Still serving: a well-formed hover is answered with a result.
        _ = server.handle(message: parsed[2])
        _ = server.handle(message: parsed[4])
        XCTAssertNotNil(out.last?["result"], out.last?.serialized ?? "")
    }

    func testFrameReaderSplitsAtEveryBoundary() {
        let messages = seeds.map(framed)
        let all = messages.flatMap { $0 }
        for cut in stride(from: 1, to: all.count, by: 7) {
            var r = FrameReader()
            var got: [[UInt8]] = []
            r.feed(all[..<cut])
            while case .message(let b)? = r.next() { got.append(b) }
            r.feed(all[cut...])
            while case .message(let b)? = r.next() { got.append(b) }
            XCTAssertEqual(got, seeds.map { Array($0.utf8) }, "cut at \(cut)")
        }
    }

    func testMalformedHeadersAreErrorsAndTheStreamRecovers() {
        var r = FrameReader(maxMessageBytes: 100)
        r.feed(Array("Content-Type: x\r\n\r\n".utf8))
        XCTAssertEqual(r.next(), .error("message header without Content-Length"))
        r.feed(Array("Content-Length: ten\r\n\r\n".utf8))
        guard case .error? = r.next() else { return XCTFail("a bad length is an error") }
        r.feed(Array("Content-Length: 1000\r\n\r\n".utf8) + Array(repeating: UInt8(ascii: "x"), count: 1000))
        guard case .error(let m)? = r.next() else { return XCTFail("an oversized message is an error") }
        XCTAssertTrue(m.contains("exceeds"), m)
        r.feed(Array("Content-Length: 2\r\n\r\n{}".utf8))
        XCTAssertEqual(r.next(), .message(Array("{}".utf8)))
        r.feed(Array(repeating: UInt8(ascii: "a"), count: 9000))
        guard case .error? = r.next() else { return XCTFail("an endless header is an error") }
        r.feed(Array("Content-Length: 2\r\n\r\n[]".utf8))
        XCTAssertEqual(r.next(), .message(Array("[]".utf8)))
    }

    func testPositionsCountUTF16Units() {
        let li = LineIndex(Array("let s = \"😀é\" + x\nnext".utf8))
        // 😀 is two UTF-16 units and four bytes; é one unit and two bytes.
        let quoteEnd = li.offset(line: 0, character: 13)
        XCTAssertEqual(quoteEnd, Array("let s = \"😀é\"".utf8).count)
        XCTAssertEqual(li.position(Array("let s = \"😀é\" + ".utf8).count).character, 16)
        XCTAssertNil(li.offset(line: 5, character: 0))
        XCTAssertNil(li.offset(line: 1, character: 99))
        XCTAssertEqual(li.offset(line1: 1, scalarColumn: 12), Array("let s = \"😀é".utf8).count)
    }
}
