import Foundation
import XCTest
import StratKit

/// The formatter over every script of the test corpus, in process (the same checks as
/// `strat fmt` + `strat run` per script, without four subprocesses each): formatting is
/// idempotent and does not change what a script prints or how its run ends (the exit
/// code follows the error kind); scripts with syntax errors are refused as compile errors.
final class FmtCorpusTests: XCTestCase {
    /// What `strat run --no-report` shows of a run: the error kind (its exit code) and the
    /// printed lines.
    func outcome(_ source: String, path: String) -> String {
        let engine = Engine()
        var kind = "ok"
        do { try engine.load(source: source, path: path) } catch let e as StratError {
            kind = "\(e.kind)"
        } catch {
            kind = "\(error)"
        }
        return ([kind] + engine.printed).joined(separator: "\n")
    }

    func testFmtOverTheScriptCorpus() throws {
        let scripts = try ScriptCorpus.scripts()
        XCTAssertGreaterThan(scripts.count, 100)
        var formatted = 0
        for url in scripts {
            guard let original = String(bytes: try Data(contentsOf: url), encoding: .utf8) else {
                continue  // invalid UTF-8: `strat fmt` refuses it (a test of its own)
            }
            let text: String
            do {
                text = try formatStrat(original, path: url.path)
            } catch let e as StratError {
                XCTAssertEqual(e.kind, .compile, "\(url.lastPathComponent): fmt failed with \(e)")
                continue
            }
            formatted += 1
            XCTAssertEqual(try formatStrat(text, path: url.path), text, "\(url.lastPathComponent) is not stable")
            // Same path: imports resolve from the script's folder in both runs.
            XCTAssertEqual(outcome(original, path: url.path), outcome(text, path: url.path),
                           "\(url.lastPathComponent): output or exit changed by fmt")
        }
        XCTAssertGreaterThan(formatted, 100, "most of the corpus parses and formats")
    }
}
