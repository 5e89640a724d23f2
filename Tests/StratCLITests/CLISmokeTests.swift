import XCTest
import StratKit

final class CLISmokeTests: XCTestCase {
    func testVersion() { XCTAssertEqual(StratKit.version, "0.1.0") }
}
