import XCTest
import StratKit

/// The package's JSON reader (used by the language server and the C API).
final class JSONValueTests: XCTestCase {
    func testParsesEveryKind() throws {
        let v = try JSONValue.parse(#" { "a": [1, -2.5e3, true, false, null], "b": "x\n\u00e9\ud83d\ude00", "a": 7 } "#)
        XCTAssertEqual(v["a"]?.intValue, 7, "the last duplicate key wins")
        XCTAssertEqual(v["b"]?.stringValue, "x\né😀")
        guard case .object(let members) = v else { return XCTFail("not an object") }
        XCTAssertEqual(members.count, 3)
        XCTAssertEqual(members[0].1[1]?.doubleValue, -2500)
        XCTAssertEqual(members[0].1[2]?.boolValue, true)
        XCTAssertEqual(members[0].1[4]?.isNull, true)
        XCTAssertNil(members[0].1[5])
    }

    func testRoundTrip() throws {
        let text = #"{"k":["a\"b\\c\u0001",0.1,12,[],{}],"z":null}"#
        let v = try JSONValue.parse(text)
        XCTAssertEqual(v.serialized, text)
        XCTAssertEqual(try JSONValue.parse(v.serialized), v)
    }

    func testErrorsAreLocatedNotCrashes() {
        let bad = ["", "{", "[1,]", "{\"a\" 1}", "01", "1.", "-", "\"\\x\"", "\"\\ud800\"", "tru", "[1] 2",
                   "\"a\nb\"", "1e999", "{\"a\":}", "\"\\u12\""]
        for text in bad {
            XCTAssertThrowsError(try JSONValue.parse(text), "accepted \(text)")
        }
        do {
            _ = try JSONValue.parse("{\n  \"a\": x\n}")
            XCTFail("accepted")
        } catch {
            XCTAssertEqual(error.line, 2)
            XCTAssertEqual(error.column, 8)
        }
    }

    func testInvalidUTF8AndDepth() {
        XCTAssertThrowsError(try JSONValue.parse(bytes: [0x22, 0xFF, 0x22]))
        let deep = String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000)
        XCTAssertThrowsError(try JSONValue.parse(deep)) { error in
            XCTAssertTrue("\(error)".contains("nested more than 512"))
        }
        XCTAssertNoThrow(try JSONValue.parse(String(repeating: "[", count: 100) + String(repeating: "]", count: 100)))
    }

    func testIntValueNeverTraps() throws {
        XCTAssertNil(try JSONValue.parse("1e300").intValue)
        XCTAssertNil(try JSONValue.parse("1.5").intValue)
        XCTAssertEqual(try JSONValue.parse("-42").intValue, -42)
    }
}
