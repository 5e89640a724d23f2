// Hostile inputs (SPEC §8, docs/robustness.md): each must end, within seconds, with a
// diagnostic and an exit code below 128 — never a trap, a stack overflow or a hang. The big
// inputs are generated here at run time into a temporary folder, and the `strat` binary
// named by STRAT_BIN runs each as a subprocess with a timeout (ProcessRunner, ScriptTests.swift).
import Foundation
import XCTest
#if canImport(Glibc)
import Glibc
#endif

final class HostileInputTests: XCTestCase {
    /// Generous for debug builds on a loaded machine; a hang is killed at this point.
    static let timeout: TimeInterval = 60
    private var dir: URL!
    private var binary: String!

    override func setUpWithError() throws {
        guard let b = ScriptCorpus.binary() else {
            throw XCTSkip("STRAT_BIN is not set (make test sets it)")
        }
        binary = b
        dir = FileManager.default.temporaryDirectory.appendingPathComponent("strat-hostile-\(getpid())-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir.appendingPathComponent("model"), withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        if let d = dir { try? FileManager.default.removeItem(at: d) }
    }

    /// Writes `source` as model/NAME.strat, runs `strat run --no-report` on it (in the model
    /// folder) and checks the exit code, the diagnostics and the time taken.
    @discardableResult
    private func check(_ name: String, _ source: [UInt8], exit expected: Set<Int32>, error: String? = nil,
                       stdout: String? = nil, extraArguments: [String] = [],
                       file: StaticString = #filePath, line: UInt = #line) throws -> RunResult {
        let folder = dir.appendingPathComponent("model")
        try Data(source).write(to: folder.appendingPathComponent("\(name).strat"))
        let start = Date()
        let r = try ProcessRunner.run(binary, ["run", "--no-report", "\(name).strat"] + extraArguments,
                                      in: folder, timeout: Self.timeout)
        let elapsed = Date().timeIntervalSince(start)
        let context = "\(name): exit \(r.status) after \(String(format: "%.1f", elapsed)) s; stderr: \(r.stderr.prefix(600))"
        XCTAssertFalse(r.timedOut, "\(name) hung (killed after \(Self.timeout) s)", file: file, line: line)
        XCTAssertTrue(expected.contains(r.status), "\(context)\nexpected exit \(expected.sorted())", file: file, line: line)
        for marker in ["Fatal error", "Program crashed", "Backtracing", "Illegal instruction", "Segmentation"] {
            XCTAssertFalse(r.stderr.contains(marker), "\(name) crashed: \(r.stderr.prefix(2000))", file: file, line: line)
        }
        if expected != [0] {
            XCTAssertTrue(r.stderr.contains(": error: "), "\(context)\nno diagnostic", file: file, line: line)
        }
        if let e = error {
            XCTAssertTrue(r.stderr.contains(e), "\(context)\nexpected a diagnostic containing '\(e)'", file: file, line: line)
        }
        if let s = stdout {
            XCTAssertEqual(r.stdout, s, "\(name): stdout", file: file, line: line)
        }
        // A diagnostic flood is a failure too: output stays bounded whatever the input.
        XCTAssertLessThan(r.stderr.utf8.count, 2_000_000, "\(name): \(r.stderr.utf8.count) bytes of diagnostics", file: file, line: line)
        return r
    }

    private func bytes(_ s: String) -> [UInt8] { Array(s.utf8) }
    private func repeated(_ s: String, _ n: Int) -> String { String(repeating: s, count: n) }

    // MARK: Nesting

    func testDeepNesting() throws {
        let n = 100_000
        let cases: [(String, String)] = [
            ("parens", "let x = " + repeated("(", n) + "1" + repeated(")", n) + "\nprint x\n"),
            ("parens_unclosed", "let x = " + repeated("(", n) + "\n"),
            ("brackets", "let x = " + repeated("[", n) + "1" + repeated("]", n) + "\nprint x\n"),
            ("unary_minus", "let x = " + repeated("-", n) + "1\nprint x\n"),
            ("not", "let x = " + repeated("not ", n) + "true\nprint x\n"),
            ("ifs", "let x = " + repeated("if true then ", n) + "1" + repeated(" else 2", n) + "\nprint x\n"),
            ("calls", "let x = " + repeated("abs(", n) + "1" + repeated(")", n) + "\nprint x\n"),
            ("powers", "let x = 2" + repeated("^2", n) + "\nprint x\n"),
        ]
        for (name, source) in cases {
            try check(name, bytes(source), exit: [65], error: "nesting deeper than 256")
        }
    }

    func testDeepBlocksAndComments() throws {
        let n = 100_000
        try check("blocks", bytes("objective O \"o\" " + repeated("{ ", n) + repeated("}", n) + "\n"), exit: [65])
        try check("blocks_unclosed", bytes("objective O \"o\" " + repeated("{ ", n) + "\n"), exit: [65])
        try check("items_in_blocks", bytes("objective O \"o\" {" + repeated(" kr K \"k\" {", n) + "\n"), exit: [65])
        // Block comments nest: 100,000 levels are fine when closed…
        try check("comments", bytes(repeated("/*", n) + repeated("*/", n) + "\nlet x = 1\nprint x\n"),
                  exit: [0], stdout: "1\n")
        // …and one diagnostic when not.
        try check("comments_unclosed", bytes(repeated("/*", n) + "\nlet x = 1\n"), exit: [65],
                  error: "unterminated block comment")
    }

    func testLongChains() throws {
        let n = 100_000
        try check("member_chain", bytes("let x = 1\nprint x" + repeated(".a", n) + "\n"), exit: [65],
                  error: "operator chain nested deeper than 1024")
        try check("index_chain", bytes("let x = [1]\nprint x" + repeated("[0]", n) + "\n"), exit: [65],
                  error: "operator chain nested deeper than 1024")
        try check("plus_chain", bytes("let x = 1" + repeated(" + 1", n) + "\nprint x\n"), exit: [65],
                  error: "operator chain nested deeper than 1024")
        // A long list is wide, not deep: fine.
        try check("long_list", bytes("let x = [" + repeated("1, ", n) + "1]\nprint sum(x)\n"), exit: [0], stdout: "100001\n")
    }

    func testNestedInterpolations() throws {
        let n = 100_000
        try check("interpolations", bytes("let s = " + repeated("\"\\(", n) + "1" + repeated(")\"", n) + "\nprint s\n"),
                  exit: [65], error: "interpolation nested deeper than 64")
        try check("interpolations_unclosed", bytes("let s = " + repeated("\"\\(", n) + "\n"),
                  exit: [65], error: "interpolation nested deeper than 64")
    }

    // MARK: Size

    func testDependencyChainOf200000Lines() throws {
        var s = "let x0 = 0\n"
        for i in 1...200_000 { s += "let x\(i) = x\(i - 1) + 1\n" }
        s += "print x200000\nassert x200000 == 200000\n"
        try check("chain", bytes(s), exit: [0], stdout: "200000\n")
        // Declared last-first: the order of declarations does not matter.
        var r = ""
        for i in stride(from: 200_000, through: 1, by: -1) { r += "let x\(i) = x\(i - 1) + 1\n" }
        r += "let x0 = 0\nprint x200000\n"
        try check("chain_reversed", bytes(r), exit: [0], stdout: "200000\n")
    }

    func testHugeStringsAndIdentifiers() throws {
        let five = repeated("a", 5_000_000)
        try check("string_5mb", bytes("let s = \"\(five)\"\nprint s == \"a\"\nprint \"\\(s)\\(s)\" == s\n"),
                  exit: [0], stdout: "false\nfalse\n")
        // Three copies pass the 10,000,000-character string limit, which the diagnostic names.
        try check("string_limit", bytes("let s = \"\(five)\"\nprint \"\\(s)\\(s)\\(s)\"\n"), exit: [70],
                  error: "string longer than 10,000,000")
        let ident = repeated("a", 1_000_000)
        try check("identifier_1mb", bytes("let \(ident) = 1\nprint \(ident)\n"), exit: [0], stdout: "1\n")
        try check("identifier_1mb_unknown", bytes("print " + repeated("b", 1_000_000) + "\n"), exit: [65], error: "unknown name")
    }

    // MARK: Numbers

    func testNumbers() throws {
        try check("pow_10_400", bytes("let x = 10^400\nprint x\n"), exit: [70], error: "not a finite number")
        try check("literal_10_400", bytes("let x = 1" + repeated("0", 400) + "\nprint x\n"), exit: [65], error: "out of range")
        try check("literal_1e400", bytes("let x = 1e400\nprint x\n"), exit: [65], error: "out of range")
        try check("overflow", bytes("let x = 1e308 * 10\nprint x\n"), exit: [70], error: "not a finite number")
        try check("digits_40", bytes("let x = 1234567890123456789012345678901234567890\nprint x > 1e39\n"),
                  exit: [0], stdout: "true\n")
        try check("digits_40_negative", bytes("let x = -1234567890123456789012345678901234567890\nprint x < -1e39\n"),
                  exit: [0], stdout: "true\n")
        try check("exponent_huge", bytes("let x = 1e99999999999999999999\n"), exit: [65], error: "out of range")
    }

    // MARK: Bytes

    func testInvalidUTF8AndNUL() throws {
        try check("invalid_utf8", [UInt8]("let x = 1\nlet y = \"".utf8) + [0xFF, 0xFE] + [UInt8]("\"\nprint x\n".utf8),
                  exit: [65], error: "invalid UTF-8")
        try check("invalid_utf8_name", [UInt8]("let ".utf8) + [0xC3, 0x28] + [UInt8](" = 1\n".utf8),
                  exit: [65], error: "invalid UTF-8")
        try check("nul", [UInt8]("let x = 1".utf8) + [0] + [UInt8]("\nprint x\n".utf8), exit: [65], error: "NUL")
        try check("only_garbage", (0..<4096).map { UInt8(truncatingIfNeeded: $0 &* 37 &+ 11) }, exit: [65])
    }

    func testUnterminated() throws {
        try check("string", bytes("let s = \"abc\n"), exit: [65], error: "unterminated string")
        try check("string_at_eof", bytes("let s = \"abc"), exit: [65], error: "unterminated string")
        try check("comment", bytes("let x = 1\n/* never closed\n"), exit: [65], error: "unterminated block comment")
        try check("interpolation", bytes("let s = \"a\\(1 + \n"), exit: [65], error: "unterminated interpolation")
        try check("interpolation_at_eof", bytes("let s = \"a\\(\"b\\("), exit: [65], error: "unterminated interpolation")
    }

    // MARK: Evaluation

    func testRecursion() throws {
        try check("unbounded", bytes("fn f(n) = f(n + 1)\nprint f(0)\n"), exit: [70], error: "call depth deeper than 256")
        try check("mutual", bytes("fn f(n) = g(n + 1)\nfn g(n) = f(n + 1)\nprint f(0)\n"), exit: [70],
                  error: "call depth deeper than 256")
        try check("deep_but_bounded", bytes("fn f(n) = if n == 0 then 0 else 1 + f(n - 1)\nprint f(100000)\n"), exit: [70],
                  error: "call depth deeper than 256")
        try check("within_limit", bytes("fn f(n) = if n == 0 then 0 else 1 + f(n - 1)\nprint f(200)\n"), exit: [0], stdout: "200\n")
        // Exponential work stops at the step limit (100,000,000 steps: 1.6 s in a release
        // build, 30 s in a debug one, so it is tested through the library with a lower limit
        // in StratKitTests/FuzzRegressionTests).
        try check("exponential_small", bytes("fn f(n) = if n <= 1 then 1 else f(n - 1) + f(n - 2)\nprint f(20)\n"), exit: [0],
                  stdout: "10946\n")
    }

    func testIndexes() throws {
        let list = "let l = [1, 2, 3]\n"
        try check("index_past_end", bytes(list + "print l[3]\n"), exit: [70], error: "out of range")
        try check("index_negative", bytes(list + "print l[-1]\n"), exit: [70], error: "out of range")
        try check("index_fraction", bytes(list + "print l[1.5]\n"), exit: [70], error: "whole number")
        try check("index_huge", bytes(list + "print l[1e300]\n"), exit: [70], error: "out of range")
        try check("index_infinite", bytes(list + "print l[1e308 * 10]\n"), exit: [70])
        try check("index_nan", bytes(list + "print l[0/0]\n"), exit: [70])
    }

    func testProjectionsOverTooManyPeriods() throws {
        try check("periods_2e9", bytes("projection p over 2000000000 months { start: 1, next: value + 1 }\nprint p.final\n"),
                  exit: [70], error: "1,000,000 periods")
        try check("periods_1e300", bytes("projection p over 1e300 months { start: 1, next: value + 1 }\nprint p.final\n"),
                  exit: [65, 70], error: "periods")
        try check("periods_negative", bytes("projection p over -5 months { start: 1, next: value + 1 }\nprint p.final\n"),
                  exit: [65, 70])
    }

    func testScenarioOverridingANameWithItself() throws {
        let source = "let x = 1\nlet y = x + 1\nscenario s { x = x }\nscenario t { x = y }\nprint y\n"
        // SPEC §7: inside an override the path itself is its value without the override, so
        // `x = x` is no change and `x = x + 1` is relative; only a real loop is a cycle.
        try check("scenario_self", bytes(source), exit: [0], stdout: "2\n", extraArguments: ["--scenario", "s"])
        try check("scenario_mutual", bytes(source), exit: [65], error: "cycle", extraArguments: ["--scenario", "t"])
        try check("set_self", bytes("let x = 1\nprint x\n"), exit: [0], stdout: "2\n", extraArguments: ["--set", "x=x + 1"])
        // A --set that does not compile is a usage error (64, docs/cli.md); a cycle is one.
        try check("set_mutual", bytes("let x = 1\nlet y = x + 1\nprint x\n"), exit: [64], error: "cycle", extraArguments: ["--set", "x=y"])
    }

    // MARK: Imports

    func testImportCyclesAndEscapes() throws {
        let folder = dir.appendingPathComponent("model")
        // A file importing itself: one cycle diagnostic, the file is not loaded twice.
        let r = try check("self_import", bytes("import \"self_import.strat\"\nlet x = 1\nprint x\n"), exit: [65],
                          error: "import cycle")
        XCTAssertFalse(r.stderr.contains("duplicate"), r.stderr)

        // A secret next to the model's folder, and a symbolic link inside it pointing there.
        let secret = "SECRET_TOKEN_4711"
        try "let \(secret) = 1\n".write(to: dir.appendingPathComponent("secret.strat"), atomically: true, encoding: .utf8)
        try? FileManager.default.createSymbolicLink(at: folder.appendingPathComponent("link.strat"),
                                                    withDestinationURL: dir.appendingPathComponent("secret.strat"))
        let escapes = ["/etc/passwd", "../../../../../../etc/passwd", "../../..", "../secret.strat",
                       "sub/../../secret.strat", dir.appendingPathComponent("secret.strat").path, "link.strat"]
        for (i, path) in escapes.enumerated() {
            let r = try check("escape\(i)", bytes("import \"\(path)\"\nlet x = 1\n"), exit: [65, 66], error: "refused")
            for leak in [secret, "root:", "/bin/"] {
                XCTAssertFalse(r.stderr.contains(leak) || r.stdout.contains(leak), "import '\(path)' echoed content: \(r.stderr)")
            }
        }
        // Non-files: a folder, a missing file, a device.
        try check("import_folder", bytes("import \".\"\n"), exit: [65, 66])
        try check("import_missing", bytes("import \"missing.strat\"\n"), exit: [65, 66])
        try check("import_device", bytes("import \"/dev/zero\"\n"), exit: [65, 66], error: "refused")
        // A FIFO inside the folder: opening it would wait for a writer forever.
        XCTAssertEqual(mkfifo(folder.appendingPathComponent("pipe.strat").path, 0o600), 0)
        try check("import_fifo", bytes("import \"pipe.strat\"\nlet x = 1\n"), exit: [65, 66], error: "cannot read")
    }
}
