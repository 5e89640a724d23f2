import XCTest
import StratKit

final class SmokeTests: XCTestCase {
    func testVersion() { XCTAssertEqual(StratKit.version, "0.1.0") }
}
