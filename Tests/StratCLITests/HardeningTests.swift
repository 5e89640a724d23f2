// Issue 13's hardening, through the CLI as a subprocess: score display past Int64, imports
// refused by mistake, fmt's temporary files and symbolic links, escaping in human-facing
// output (text, Markdown, diagnostics) with JSON exact, write errors, and inputs that
// used to take minutes. Each case is the class's smallest reproduction.
import Foundation
import XCTest
#if canImport(Glibc)
import Glibc
#endif

final class HardeningTests: XCTestCase {
    private var dir: URL!
    private var binary: String!

    override func setUpWithError() throws {
        guard let b = ScriptCorpus.binary() else { throw XCTSkip("STRAT_BIN is not set (make test sets it)") }
        binary = b
        dir = FileManager.default.temporaryDirectory.appendingPathComponent("strat-harden-\(getpid())-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        if let d = dir { try? FileManager.default.removeItem(at: d) }
    }

    private func write(_ name: String, _ text: String) throws {
        let url = dir.appendingPathComponent(name)
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Data(text.utf8).write(to: url)
    }

    private func run(_ args: [String], in sub: String = "") throws -> RunResult {
        let r = try ProcessRunner.run(binary, args, in: sub.isEmpty ? dir : dir.appendingPathComponent(sub), timeout: 60)
        XCTAssertFalse(r.timedOut, "\(args) hung")
        XCTAssertLessThan(r.status, 128, "\(args) crashed: \(r.stderr.prefix(500))")
        return r
    }

    /// Samples spanning more than a double holds (found by fuzzing): the report's
    /// histogram divided by an infinite range and trapped converting NaN to a bin index,
    /// in the JSON, Markdown, HTML and text reports alike.
    func testHistogramOfSamplesSpanningTheDoubleRangeDoesNotTrap() throws {
        try write("wide.strat", "let x = mixture([-1.7e308, 1.7e308], [1, 1])\nmetric M \"m\" { current: x }\n")
        for format in ["json", "markdown", "html", "text"] {
            let r = try run(["run", "wide.strat", "--format", format])
            XCTAssertLessThan(r.status, 128, "\(format): \(r.stderr.prefix(300))")
        }
        let json = try run(["run", "wide.strat", "--format", "json"])
        let report = try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any]
        let variable = (report?["variables"] as? [String: Any])?["x"] as? [String: Any]
        let histogram = (variable?["distribution"] as? [String: Any])?["histogram"] as? [String: Any]
        let counts = histogram?["counts"] as? [Int] ?? []
        let edges = histogram?["edges"] as? [Double] ?? []
        // Two point masses: the first and last bins hold every sample; the edges are finite and rising.
        XCTAssertEqual(counts.count, 20, json.stdout.prefix(2000).description)
        XCTAssertEqual(counts.reduce(0, +), (counts.first ?? 0) + (counts.last ?? 0))
        XCTAssertGreaterThan(counts.first ?? 0, 0)
        XCTAssertGreaterThan(counts.last ?? 0, 0)
        XCTAssertEqual(edges.count, 21)
        XCTAssertTrue(edges.allSatisfy(\.isFinite) && zip(edges, edges.dropFirst()).allSatisfy { $0 < $1 }, "\(edges)")
    }

    /// Scores and percentages past 9.2e16 trapped converting to Int64 (exit 132, nothing shown).
    func testHugeScoresDisplayWithoutTrapping() throws {
        try write("s.strat", """
        metric m "m" { current: 1, target: 1, score: 1e17 }
        swot S "s" {
          strength A "a" { weight: 1, rating: 1e20 }
        }
        projection p over 4 quarters { start: 1e-300, next: value * 1e100 }
        """)
        for format in ["text", "markdown", "json"] {
            let r = try run(["run", "s.strat", "--format", format])
            XCTAssertFalse(r.stderr.contains("Fatal") || r.stderr.contains("crash"), r.stderr)
        }
        let c = try run(["compare", "s.strat"])
        XCTAssertLessThan(c.status, 128)
    }

    /// `strat run ../proj/main.strat` refused every import; a file whose name starts with
    /// `<` had imports disabled; a NUL in an import path was silently cut.
    func testImportsAreNotRefusedByMistake() throws {
        try write("proj/lib.strat", "let libValue = 41\n")
        try write("proj/main.strat", "import \"lib.strat\"\nprint libValue + 1\n")
        try write("proj/<odd.strat", "import \"lib.strat\"\nprint libValue\n")
        try write("proj/nul.strat", "import \"lib.strat\\u{0}.txt\"\n")
        try FileManager.default.createDirectory(at: dir.appendingPathComponent("other"), withIntermediateDirectories: true)
        let r = try run(["run", "--no-report", "../proj/main.strat"], in: "other")
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertEqual(r.stdout, "42\n")
        let odd = try run(["run", "--no-report", "<odd.strat"], in: "proj")
        XCTAssertEqual(odd.status, 0, odd.stderr)
        XCTAssertEqual(odd.stdout, "41\n")
        let nul = try run(["run", "--no-report", "nul.strat"], in: "proj")
        XCTAssertEqual(nul.status, 65)
        XCTAssertTrue(nul.stderr.contains("NUL"), nul.stderr)
    }

    /// An import through a symbolic link leading out of the folder is refused after
    /// opening (where the descriptor points decides), and a file swapped in is never echoed.
    func testImportThroughALinkOutIsRefused() throws {
        try write("secret.strat", "let secret = 7\n")
        try write("m/main.strat", "import \"d/secret.strat\"\nprint secret\n")
        try FileManager.default.createSymbolicLink(atPath: dir.appendingPathComponent("m/d").path, withDestinationPath: dir.path)
        let r = try run(["run", "--no-report", "main.strat"], in: "m")
        XCTAssertEqual(r.status, 65)
        XCTAssertTrue(r.stderr.contains("refused"), r.stderr)
        XCTAssertFalse(r.stdout.contains("7"))
    }

    /// fmt's temporary file was `<file>.strat-fmt.<pid>`, opened following links: a planted
    /// link overwrote another file. Formatting through a link formats its target and
    /// keeps the link.
    func testFmtWritesSafelyAndKeepsLinks() throws {
        try write("victim.txt", "precious\n")
        chmod(dir.appendingPathComponent("victim.txt").path, 0o600)
        try write("plan.strat", "let   x=1\n")
        // Plant links under every name the old scheme could pick for the next few pids.
        let next = Int(getpid())
        for pid in next..<(next + 200) {
            try? FileManager.default.createSymbolicLink(atPath: dir.appendingPathComponent("plan.strat.strat-fmt.\(pid)").path,
                                                        withDestinationPath: dir.appendingPathComponent("victim.txt").path)
        }
        let r = try run(["fmt", "plan.strat"])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertEqual(try String(contentsOf: dir.appendingPathComponent("victim.txt"), encoding: .utf8), "precious\n")
        var st = stat()
        stat(dir.appendingPathComponent("victim.txt").path, &st)
        XCTAssertEqual(st.st_mode & 0o777, 0o600)
        XCTAssertEqual(try String(contentsOf: dir.appendingPathComponent("plan.strat"), encoding: .utf8), "let x = 1\n")

        try write("real/target.strat", "let   y=2\n")
        try FileManager.default.createSymbolicLink(atPath: dir.appendingPathComponent("link.strat").path,
                                                   withDestinationPath: "real/target.strat")
        let l = try run(["fmt", "link.strat"])
        XCTAssertEqual(l.status, 0, l.stderr)
        let dest = try FileManager.default.destinationOfSymbolicLink(atPath: dir.appendingPathComponent("link.strat").path)
        XCTAssertEqual(dest, "real/target.strat", "the link is kept")
        XCTAssertEqual(try String(contentsOf: dir.appendingPathComponent("real/target.strat"), encoding: .utf8), "let y = 2\n")
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: dir.appendingPathComponent("real").path)
        XCTAssertEqual(leftovers, ["target.strat"], "no temporary file is left behind")
    }

    /// ESC and BEL from strings, titles and source lines reached stdout and stderr raw,
    /// also into a pipe; JSON keeps the exact string.
    func testControlCharactersAreEscapedInHumanOutput() throws {
        try write("e.strat", """
        org "Acme\\u{1B}]0;pwned\\u{7}"
        let s = "a\\u{1B}[2Jb"
        print s
        """)
        try write("bad.strat", "let bad = 1 + \"x\" // \u{1B}[31m\n")
        let r = try run(["run", "e.strat"])
        let bad = try run(["run", "bad.strat"])
        XCTAssertFalse(bad.stderr.unicodeScalars.contains("\u{1B}"), bad.stderr)
        XCTAssertTrue(bad.stderr.contains("// \\u{1B}[31m"), bad.stderr)
        for out in [r.stdout, r.stderr] {
            XCTAssertFalse(out.unicodeScalars.contains { $0 == "\u{1B}" || $0 == "\u{7}" }, out)
        }
        XCTAssertTrue(r.stdout.contains("a\\u{1B}[2Jb"), r.stdout)
        let j = try run(["run", "e.strat", "--format", "json"])
        XCTAssertTrue(j.stdout.contains("a\\u001b[2Jb"), j.stdout)
        let md = try run(["run", "e.strat", "--format", "markdown"])
        XCTAssertFalse(md.stdout.unicodeScalars.contains { $0 == "\u{1B}" || $0 == "\u{7}" })
    }

    /// Newlines, CRLF, fences and HTML in model text no longer shape the Markdown report.
    func testMarkdownEscaping() throws {
        try write("m.strat", """
        org "Acme\\n# Pwned\\n| a | b |"
        mission "one\\u{D}\\ntwo <script>x</script> *b*"
        print "```\\nafter"
        """)
        let r = try run(["run", "m.strat", "--format", "markdown"])
        let lines = r.stdout.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        XCTAssertEqual(lines.filter { $0.hasPrefix("#") }.count, 2, "only the title and the Output heading: \(r.stdout)")
        XCTAssertFalse(r.stdout.contains("<script>"))
        XCTAssertFalse(r.stdout.unicodeScalars.contains("\r"))
        XCTAssertTrue(r.stdout.contains("````\n```\nafter\n````"), r.stdout)
    }

    /// Output to a full disk or a closed stdout exited 0 with the output lost.
    func testWriteErrorsExitNonZero() throws {
        try write("w.strat", "print 1\n")
        let sh = try ProcessRunner.run("/bin/sh", ["-c", "'\(binary!)' run w.strat > /dev/full; echo $?; '\(binary!)' run w.strat >&-; echo $?"],
                                       in: dir, timeout: 60)
        XCTAssertEqual(sh.stdout, "74\n74\n", sh.stderr)
        XCTAssertTrue(sh.stderr.contains("cannot write"), sh.stderr)
    }

    /// Small inputs that took minutes: fmt on a 50,000-element list (quadratic), hints for
    /// thousands of unknown names, a 1 MB string counted in a loop, the JSON report of a
    /// chain of growing lists, `/dev/zero` as a model.
    func testSmallInputsEndQuickly() throws {
        try write("list.strat", "let x = [" + Array(repeating: "1", count: 50_000).joined(separator: ", ") + "]\n")
        let f = try run(["fmt", "--check", "list.strat"])
        XCTAssertEqual(f.status, 0, f.stderr)

        let names = (0..<2000).map { "let declared_\($0) = 1\n" }.joined() + (0..<20_000).map { "let u\($0) = missing_\($0)\n" }.joined()
        try write("hints.strat", names)
        let h = try run(["check", "hints.strat"])
        XCTAssertEqual(h.status, 65)
        XCTAssertTrue(h.stderr.contains("the rest are not shown"))

        try write("count.strat", "let s = \"\(String(repeating: "a", count: 1_000_000))\"\nfn g(n) = if n == 0 then 0 else count(s) + g(n - 1) + g(n - 1)\nlet x = g(40)\n")
        let c = try run(["run", "--no-report", "count.strat"])
        XCTAssertEqual(c.status, 70)
        XCTAssertTrue(c.stderr.contains("evaluation steps"), c.stderr)

        try write("chain.strat", "let l0 = [1]\n" + (1..<4000).map { "let l\($0) = l\($0 - 1) + [\($0)]\n" }.joined())
        let j = try run(["run", "chain.strat", "--format", "json"])
        XCTAssertLessThan(j.stdout.utf8.count, 200_000_000)

        let z = try run(["run", "/dev/zero"])
        XCTAssertEqual(z.status, 65)
        XCTAssertTrue(z.stderr.contains("larger than"), z.stderr)
    }
}
