import Foundation
import StratKit
import XCTest
#if canImport(Glibc)
import Glibc
#endif

/// The importer's sandbox under a race: a folder inside the model folder is swapped, again
/// and again, with a symbolic link to a folder outside it while imports run. A check of the
/// path followed by a separate open of it (the old importer) leaked the outside file in
/// hundreds of 3,000 runs; reading from the one descriptor whose real path was checked
/// must leak it in none.
final class ImportRaceTests: XCTestCase {
    /// `renameat2(…, RENAME_EXCHANGE)` swaps two names atomically, the sharpest way to
    /// race a check against a use. Glibc declares it only for _GNU_SOURCE, so look it up.
    private typealias RenameAt2 = @convention(c) (Int32, UnsafePointer<CChar>, Int32, UnsafePointer<CChar>, UInt32) -> Int32

    private func exchangeFunction() -> RenameAt2? {
        #if os(Linux)
        guard let handle = dlopen(nil, RTLD_NOW), let sym = dlsym(handle, "renameat2") else { return nil }
        return unsafeBitCast(sym, to: RenameAt2.self)
        #else
        return nil
        #endif
    }

    func testFolderSwappedForASymlinkDuringImportsNeverLeaksTheOutsideFile() throws {
        guard let exchange = exchangeFunction() else {
            // Every CI machine is Linux with glibc ≥ 2.28; elsewhere the race cannot be staged this way.
            XCTFail("renameat2 is not available: the race cannot be staged on this system")
            return
        }
        let base = NSTemporaryDirectory() + "strat-race-\(UUID().uuidString)"
        let root = base + "/model"
        let fm = FileManager.default
        try fm.createDirectory(atPath: root + "/d", withIntermediateDirectories: true)
        try fm.createDirectory(atPath: base + "/outside", withIntermediateDirectories: true)
        defer { try? fm.removeItem(atPath: base) }
        try "let inside = 1\n".write(toFile: root + "/d/target.strat", atomically: true, encoding: .utf8)
        try "let leaked = \"OUTSIDE-SECRET\"\n".write(toFile: base + "/outside/target.strat", atomically: true, encoding: .utf8)
        try fm.createSymbolicLink(atPath: root + "/swap", withDestinationPath: base + "/outside")
        let AT_FDCWD: Int32 = -100
        let RENAME_EXCHANGE: UInt32 = 2
        XCTAssertEqual(exchange(AT_FDCWD, root + "/d", AT_FDCWD, root + "/swap", RENAME_EXCHANGE), 0,
                       "renameat2 failed: errno \(errno)")
        XCTAssertEqual(exchange(AT_FDCWD, root + "/d", AT_FDCWD, root + "/swap", RENAME_EXCHANGE), 0)

        let stop = Locked(false)
        let swaps = Locked(0)
        let swapper = Thread {
            while !stop.current {
                if exchange(AT_FDCWD, root + "/d", AT_FDCWD, root + "/swap", RENAME_EXCHANGE) == 0 {
                    swaps.withLock { $0 += 1 }
                }
            }
        }
        swapper.start()
        defer { stop.withLock { $0 = true } }

        let importer = FileImporter(root: root)
        var read = 0, refused = 0, leaked = 0
        // Enough rounds that both outcomes are seen many times; a check-then-open importer
        // leaks within them.
        for _ in 0..<20_000 {
            do {
                let file = try importer.resolve("d/target.strat", from: root + "/main.strat")
                let text = String(decoding: file.bytes, as: UTF8.self)
                if text.contains("OUTSIDE-SECRET") { leaked += 1 } else { read += 1 }
            } catch let e as ImportError {
                XCTAssertFalse(e.message.contains("OUTSIDE-SECRET"), e.message)
                refused += 1
            }
        }
        stop.withLock { $0 = true }
        while !swapper.isFinished { usleep(1000) }
        XCTAssertEqual(leaked, 0, "the outside file was read through the swapped folder (\(leaked) of \(leaked + read + refused) imports)")
        XCTAssertGreaterThan(swaps.current, 0, "the folder was never swapped: the race was not staged")
        // Both outcomes seen: the swap really raced the imports.
        XCTAssertGreaterThan(read, 0)
        XCTAssertGreaterThan(refused, 0)
    }
}
