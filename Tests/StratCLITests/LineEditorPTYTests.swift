// Drives the interactive `strat` REPL under a real pseudo-terminal: every keystroke
// behaviour of the line editor (completion, history, search, continuation, Ctrl-C/D/Z,
// resize, UTF-8), checked through what the REPL prints. The binary is $STRAT_BIN, else
// `strat` next to the test bundle. REPL semantics (commands, :whatif, :save) are in
// REPLTests.swift.
import CEditLine
import Foundation
import XCTest

final class LineEditorPTYTests: XCTestCase {
    static let prompt = "strat> "
    static let continuationPrompt = "...> "

    private var home: URL!
    private var processes: [PTYProcess] = []

    override func setUpWithError() throws {
        home = FileManager.default.temporaryDirectory
            .appendingPathComponent("strat-pty-\(getpid())-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: home, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        processes.forEach { $0.close() }
        processes.removeAll()
        try? FileManager.default.removeItem(at: home)
    }

    // MARK: Helpers

    static func stratBinary() throws -> String {
        if let path = ProcessInfo.processInfo.environment["STRAT_BIN"], !path.isEmpty { return path }
        // .build/debug/StratPackageTests.xctest → .build/debug/strat
        let bundle = URL(fileURLWithPath: CommandLine.arguments.first { $0.hasSuffix(".xctest") } ?? Bundle.main.bundlePath)
        let sibling = bundle.deletingLastPathComponent().appendingPathComponent("strat").path
        guard FileManager.default.isExecutableFile(atPath: sibling) else {
            throw XCTSkip("set STRAT_BIN to the strat executable")
        }
        return sibling
    }

    /// A small model the completion tests complete from.
    static let fixture = """
        let members = 262M
        let churn = 3.8%
        objective MODERNIZE_PLATFORM "Modernize the platform" {
          kr MICROSERVICES "Migrate to microservices" { baseline: 40%, target: 85%, current: 62% }
        }
        swot Engineering "Engineering SWOT" {
          strength PLATFORM "Streaming platform" { weight: 1, rating: 4 }
          weakness TESTING "Test coverage" { weight: 1, rating: 2 }
        }
        fn fib(n) = if n < 2 then n else fib(n - 1) + fib(n - 2)

        """

    var historyFile: String { home.appendingPathComponent("history").path }

    var fixturePath: String { home.appendingPathComponent("model.strat").path }

    /// Starts an interactive session (loading the fixture model unless `loadFixture` is
    /// false) and waits for the first prompt.
    func startSession(history: String? = nil, directory: String? = nil, loadFixture: Bool = true,
                      extraEnvironment: [String: String] = [:]) throws -> PTYProcess {
        var env = [
            "HOME": home.path,
            "STRAT_HISTORY": history ?? historyFile,
            "NO_COLOR": "1",
            "TERM": "xterm",
            "PATH": "/usr/bin:/bin",
        ]
        env.merge(extraEnvironment) { $1 }
        var arguments: [String] = []
        if loadFixture {
            try Self.fixture.write(toFile: fixturePath, atomically: true, encoding: .utf8)
            arguments = ["repl", fixturePath]
        }
        let p = try PTYProcess(executable: try Self.stratBinary(), arguments: arguments, environment: env,
                               currentDirectory: directory)
        processes.append(p)
        try p.expect(Self.prompt)
        return p
    }

    /// The entries libedit's own reader (H_LOAD) finds in a history file, oldest first;
    /// nil when it rejects the file.
    static func libeditHistory(_ path: String) -> [String]? {
        let h = history_init()!
        defer { history_end(h) }
        _ = strat_history_setsize(h, 100_000)
        guard strat_history_load(h, path) >= 0 else { return nil }
        var entries: [String] = []
        var entry = strat_history_step(h, H_LAST)
        while let e = entry {
            entries.append(String(cString: e))
            entry = strat_history_step(h, H_PREV)
        }
        return entries
    }

    /// Writes `entries` (oldest first) as a history file with libedit's own writer (H_SAVE).
    static func writeLibeditHistory(_ entries: [String], to path: String) throws {
        let h = history_init()!
        defer { history_end(h) }
        _ = strat_history_setsize(h, Int32(entries.count))
        for e in entries { _ = strat_history_enter(h, e) }
        guard strat_history_save(h, path) == entries.count else { throw PTYError(description: "H_SAVE \(path) failed") }
    }

    /// The output of a line: what follows the echoed input and its line end.
    static func result(_ text: String) -> String { "\r\n" + text + "\r\n" }

    /// Enters a line and waits for its result line and the next prompt.
    func enter(_ p: PTYProcess, _ line: String, expecting result: String) throws {
        try p.type(line)
        try p.send(PTYKey.enter)
        try p.expect(Self.result(result))
        try p.expect(Self.prompt)
    }

    /// Seconds an evaluation of `fib(n)` takes in this session (the binary may be a debug
    /// or a release build, on a loaded machine).
    func timeFib(_ p: PTYProcess, _ n: Int) throws -> Double {
        let start = Date()
        try enter(p, "fib(\(n))", expecting: String(Self.fib(n)))
        return Date().timeIntervalSince(start)
    }

    static func fib(_ n: Int) -> Int { n < 2 ? n : fib(n - 1) + fib(n - 2) }

    /// The `n` for which `fib(n)` should take about `seconds` (each step costs φ times more).
    /// In a release build the evaluation-step limit (SPEC §8) ends it after about a second
    /// with an error, which is still long enough for these tests.
    func fibTaking(_ p: PTYProcess, seconds: Double) throws -> Int {
        var base = 18
        var t = try timeFib(p, base)
        while t < 0.2, base < 33 {      // measure something long enough to time
            base += 3
            t = try timeFib(p, base)
        }
        let n = base + Int((log(seconds / max(t, 0.001)) / log(1.618)).rounded(.up))
        return min(max(n, base + 1), 40)
    }

    // MARK: Tests

    func testPromptAppears() throws {
        let p = try startSession()
        try p.send(PTYKey.ctrlD)
        XCTAssertEqual(try p.waitForExit(), 0)
        XCTAssertTrue(p.transcript.contains(Self.prompt))
    }

    func testTabCompletesName() throws {
        let p = try startSession()
        try p.type("MODER")
        try p.send(PTYKey.tab)
        try p.expect("NIZE_PLATFORM")
        try p.type(".score")
        try p.send(PTYKey.enter)
        try p.expect(Self.result("0.4888888889"))
    }

    func testTabCompletesMemberAfterDot() throws {
        let p = try startSession()
        try p.type("MODERNIZE_PLATFORM.MI")
        try p.send(PTYKey.tab)
        try p.expect("CROSERVICES")
        try p.type(".current")
        try p.send(PTYKey.enter)
        try p.expect(Self.result("62%"))
    }

    func testTabCompletesInsideAnExpression() throws {
        let p = try startSession()
        try p.type("max(memb")
        try p.send(PTYKey.tab)
        try p.expect("ers")
        try p.type(")")
        try p.send(PTYKey.enter)
        try p.expect(Self.result("262M"))
    }

    func testAmbiguousTabListsCandidates() throws {
        // libedit's way: the first Tab inserts what the candidates share (here nothing) and
        // beeps; the second lists them — libedit's match list, of the members only.
        let p = try startSession()
        try p.type("MODERNIZE_PLATFORM.MICROSERVICES.")
        try p.send(PTYKey.tab)
        try p.expect("\u{07}")
        try p.send(PTYKey.tab)
        let listing = try p.expect(Self.prompt + "MODERNIZE_PLATFORM.MICROSERVICES.")   // line redrawn
        for member in ["baseline", "target", "current", "score", "status", "progress"] {
            XCTAssertTrue(listing.contains("\r\n" + member + " ") || listing.contains(" " + member + " "), listing)
        }
        XCTAssertFalse(listing.contains("MICROSERVICES.baseline"), listing)   // names after the dot
        try p.type("current")
        try p.send(PTYKey.enter)
        try p.expect(Self.result("62%"))
    }

    func testTabInsertsTheCommonPrefixThenLists() throws {
        let p = try startSession(loadFixture: false)
        try enter(p, "let rate_low = 1; let rate_high = 2", expecting: "rate_low = 1")
        try p.type("ra")
        try p.send(PTYKey.tab)
        try p.expect("te_")                        // what rate_low and rate_high share
        try p.send(PTYKey.tab)
        let listing = try p.expect(Self.prompt + "rate_")
        XCTAssertTrue(listing.contains("rate_high") && listing.contains("rate_low"), listing)
        try p.type("high")
        try p.send(PTYKey.enter)
        try p.expect(Self.result("2"))
    }

    /// A session with 120 names `zz0`…`zz119`, at libedit's question after `zz` Tab Tab.
    func sessionAskingToDisplayAll() throws -> PTYProcess {
        let many = (0..<120).map { "let zz\($0) = \($0)" }.joined(separator: "\n") + "\n"
        try many.write(toFile: fixturePath, atomically: true, encoding: .utf8)
        let p = try startSession(loadFixture: false)
        try enter(p, ":load \(fixturePath)", expecting: "loaded \(fixturePath) (120 names)")
        try p.type("zz")
        try p.send(PTYKey.tab + PTYKey.tab)
        try p.expect("Display all 120 possibilities? (y or n) ")
        return p
    }

    func testManyCandidatesAskBeforeListing() throws {
        // Over 100 candidates, libedit asks first; its answer is read from stdin without a
        // buffer, so the keys typed after it are not swallowed.
        let p = try sessionAskingToDisplayAll()
        try p.send("n" + "1+1" + PTYKey.enter)      // no list; then the line is zz1+1
        try p.expect(Self.result("2"))
        try p.expect(Self.prompt)
        XCTAssertFalse(p.transcript.contains("zz119"), p.transcript)
        try p.type("zz")
        try p.send(PTYKey.tab + PTYKey.tab)
        try p.expect("(y or n) ")
        try p.send("y")
        let listing = try p.expect(Self.prompt + "zz")
        XCTAssertTrue(listing.contains("zz119") && listing.contains("zz0 "), listing)
    }

    func testCtrlCAtTheDisplayAllQuestionDropsTheLine() throws {
        let p = try sessionAskingToDisplayAll()
        try p.send(PTYKey.ctrlC)
        try p.expect("^C\r\n" + Self.prompt)
        try enter(p, "7", expecting: "7")
    }

    func testTabCompletesCommand() throws {
        let p = try startSession()
        try p.type(":he")
        try p.send(PTYKey.tab)
        try p.expect("lp")
        try p.type(" let")
        try p.send(PTYKey.enter)
        try p.expect("let NAME = EXPR")
        try p.expect(Self.prompt)
    }

    func testTabCompletesPathAfterLoad() throws {
        let dir = home.appendingPathComponent("work")
        try FileManager.default.createDirectory(at: dir.appendingPathComponent("examples"), withIntermediateDirectories: true)
        try "let probe = 42\n".write(to: dir.appendingPathComponent("examples/plan one.strat"), atomically: true, encoding: .utf8)
        let p = try startSession(directory: dir.path, loadFixture: false)
        try p.type(":load ex")
        try p.send(PTYKey.tab)                      // → examples/
        try p.expect("amples/")
        try p.type("pl")
        try p.send(PTYKey.tab)                      // libedit escapes the space, adds one after
        try p.expect(#"an\ one.strat "#)
        try p.send(PTYKey.enter)
        try p.expect("loaded examples/plan one.strat")
        try p.expect(Self.prompt)
        try enter(p, "probe", expecting: "42")
    }

    func testTabListsFileNamesAfterLoad() throws {
        // libedit's filename completion and match list: directories marked with `/`;
        // `:save!` and abbreviated commands take file names too.
        let dir = home.appendingPathComponent("work")
        try FileManager.default.createDirectory(at: dir.appendingPathComponent("examples"), withIntermediateDirectories: true)
        try "let probe = 7\n".write(to: dir.appendingPathComponent("extra.strat"), atomically: true, encoding: .utf8)
        try "let home_probe = 8\n".write(to: home.appendingPathComponent("in home.strat"), atomically: true, encoding: .utf8)
        let p = try startSession(directory: dir.path, loadFixture: false)
        try p.type(":load e")
        try p.send(PTYKey.tab)
        try p.expect("x")                          // what examples/ and extra.strat share
        try p.send(PTYKey.tab)
        let listing = try p.expect(Self.prompt + ":load ex")
        XCTAssertTrue(listing.contains("examples/"), listing)
        XCTAssertTrue(listing.contains("extra.strat"), listing)
        try p.type("t")
        try p.send(PTYKey.tab + PTYKey.enter)
        try p.expect("loaded extra.strat")
        try enter(p, "probe", expecting: "7")
        try p.type(":lo ../in")
        try p.send(PTYKey.tab)
        try p.expect(#"\ home.strat "#)
        try p.send(PTYKey.enter)
        try p.expect("loaded ../in home.strat")
        try enter(p, "home_probe", expecting: "8")
        try p.type(":save! exa")
        try p.send(PTYKey.tab)
        try p.expect("mples/")
        try p.send(PTYKey.ctrlU + PTYKey.ctrlD)
        XCTAssertEqual(try p.waitForExit(), 0)
    }

    func testUpArrowRecallsPreviousLine() throws {
        let p = try startSession()
        try enter(p, "1 + 2", expecting: "3")
        try enter(p, "10", expecting: "10")
        try p.send(PTYKey.up + PTYKey.up + PTYKey.enter)
        try p.expect(Self.result("3"))
    }

    func testEmacsKeys() throws {
        let p = try startSession()
        try p.type("23")
        try p.send(PTYKey.ctrlA + "1" + PTYKey.ctrlE + "4" + PTYKey.enter)
        try p.expect(Self.result("1234"))
        try p.expect(Self.prompt)
        try p.type("junk")
        try p.send(PTYKey.ctrlU + "5 * 5" + PTYKey.enter)
        try p.expect(Self.result("25"))
    }

    func testCtrlRSearchesHistory() throws {
        let p = try startSession()
        try enter(p, "111 + 1", expecting: "112")
        try enter(p, "222 + 2", expecting: "224")
        try p.send(PTYKey.ctrlR)
        try p.send("111")
        try p.expect("111 + 1")
        try p.send(PTYKey.enter)
        try p.expect(Self.result("112"))
    }

    func testOpenBracketGivesContinuationPrompt() throws {
        let p = try startSession()
        try p.type("(1 +")
        try p.send(PTYKey.enter)
        try p.expect(Self.continuationPrompt)
        try p.type("2)")
        try p.send(PTYKey.enter)
        try p.expect(Self.result("3"))
        try p.expect(Self.prompt)
    }

    func testTrailingOperatorGivesContinuationPrompt() throws {
        let p = try startSession()
        try p.type("1 +")
        try p.send(PTYKey.enter)
        try p.expect(Self.continuationPrompt)
        try p.type("2")
        try p.send(PTYKey.enter)
        try p.expect(Self.result("3"))
    }

    func testCtrlCDropsInputAndShowsNewPrompt() throws {
        let p = try startSession()
        try p.type("abc")
        try p.send(PTYKey.ctrlC)
        try p.expect("^C")
        try p.expect(Self.prompt)
        try p.type("40 + 2")
        try p.send(PTYKey.enter)
        try p.expect(Self.result("42"))
        try p.expect(Self.prompt)
        XCTAssertFalse(p.transcript.contains("abc40"), p.transcript)
        XCTAssertFalse(p.transcript.contains("error"), p.transcript)
    }

    func testCtrlCDropsContinuationLines() throws {
        let p = try startSession()
        try p.type("(1 +")
        try p.send(PTYKey.enter)
        try p.expect(Self.continuationPrompt)
        try p.send(PTYKey.ctrlC)
        try p.expect(Self.prompt)
        try enter(p, "5", expecting: "5")
        XCTAssertFalse(p.transcript.contains("\r\n6\r\n"), p.transcript)
    }

    func testCtrlCDuringSearchDropsInput() throws {
        let p = try startSession()
        try enter(p, "111 + 1", expecting: "112")
        try p.send(PTYKey.ctrlR + "111")
        try p.expect("111 + 1")
        try p.send(PTYKey.ctrlC)
        try p.expect(Self.prompt)
        try enter(p, "7", expecting: "7")
        XCTAssertEqual(p.transcript.components(separatedBy: "\r\n112\r\n").count, 2, p.transcript)   // not run again
    }

    func testCtrlCWhileBusyIsReportedToTheProgram() throws {
        // Ctrl-C stops the evaluation (the engine polls for it): the REPL says
        // `interrupted`, drops the output and skips the rest of the input; the session goes on.
        let p = try startSession()
        let n = try fibTaking(p, seconds: 2)
        try p.type("fib(\(n)); let after_interrupt = 1")
        try p.send(PTYKey.enter)
        try p.expect("\r\n")
        p.drain(for: 0.3)
        try p.send(PTYKey.ctrlC)
        try p.expect("interrupted", timeout: 120)
        try p.expect(Self.prompt)
        try enter(p, "8", expecting: "8")
        XCTAssertFalse(p.transcript.contains(Self.result(String(Self.fib(n)))), p.transcript)
        try p.type("after_interrupt")
        try p.send(PTYKey.enter)
        try p.expect("unknown name 'after_interrupt'")   // the statement after the Ctrl-C did not run
    }

    func testSecondCtrlCWhileBusyQuits() throws {
        // A second Ctrl-C before the REPL could act on the first ends the process. The
        // engine stops evaluations within milliseconds of a Ctrl-C, so the busy work here is
        // reading a large file (parsing and resolving do not poll).
        let big = home.appendingPathComponent("big.strat").path
        try (0..<150_000).map { "let x\($0) = \($0) + 1" }.joined(separator: "\n").write(toFile: big, atomically: true, encoding: .utf8)
        let p = try startSession(loadFixture: false)
        try p.type(":load \(big)")
        try p.send(PTYKey.enter)
        try p.expect("\r\n")
        p.drain(for: 0.3)
        try p.send(PTYKey.ctrlC)
        p.drain(for: 0.1)
        try p.send(PTYKey.ctrlC)
        XCTAssertEqual(try p.waitForExit(timeout: 10), 128 + SIGINT)
    }

    func testCtrlDExitsWithStatusZero() throws {
        let p = try startSession()
        try p.send(PTYKey.ctrlD)
        XCTAssertEqual(try p.waitForExit(), 0)
    }

    func testCtrlDOnNonEmptyLineDoesNotExit() throws {
        let p = try startSession()
        try p.type("12")
        try p.send(PTYKey.left + PTYKey.ctrlD + PTYKey.enter)   // deletes the character under the cursor
        try p.expect(Self.result("1"))
        try p.expect(Self.prompt)
        try p.send(PTYKey.ctrlD)
        XCTAssertEqual(try p.waitForExit(), 0)
    }

    func testNonASCIIInputRoundTrips() throws {
        let p = try startSession()
        try p.type("\"héllo → wörld\"")
        try p.send(PTYKey.enter)
        try p.expect(Self.result("héllo → wörld"))
    }

    func testResizeKeepsEditing() throws {
        let p = try startSession()
        try p.type("12")
        p.resize(columns: 40, rows: 20)
        p.drain(for: 0.2)
        try p.send("3" + PTYKey.enter)
        try p.expect(Self.result("123"))
    }

    func testCtrlZSuspendsAndFgResumesEditing() throws {
        // Needs a job-control shell as the session leader.
        let bash = "/bin/bash"
        guard FileManager.default.isExecutableFile(atPath: bash) else { throw XCTSkip("no \(bash)") }
        let env = ["HOME": home.path, "STRAT_HISTORY": historyFile, "NO_COLOR": "1", "TERM": "xterm",
                   "PATH": "/usr/bin:/bin", "PS1": "SHELL$ "]
        let shell = try PTYProcess(executable: bash, arguments: ["--norc", "--noprofile", "-i"], environment: env)
        processes.append(shell)
        try shell.expect("SHELL$ ")
        try shell.send("\(try Self.stratBinary())\r")
        try shell.expect(Self.prompt)
        try shell.type("12")
        try shell.send(PTYKey.ctrlZ)
        try shell.expect("Stopped")
        try shell.expect("SHELL$ ")
        try shell.send("stty -a | tr ';' '\\n' | grep -c -- -icanon\r")   // cooked again: prints 0
        try shell.expect("\r0\r\n")
        try shell.send("fg\r")
        try shell.expect(Self.prompt + "12")         // the line is redrawn
        try shell.send("3" + PTYKey.enter)
        try shell.expect(Self.result("123"))
        try shell.expect(Self.prompt)
        try shell.send(PTYKey.ctrlD)
        try shell.expect("SHELL$ ")
        try shell.send("exit\r")
        XCTAssertEqual(try shell.waitForExit(), 0)
    }

    func testHistoryPersistsAcrossSessions() throws {
        let first = try startSession()
        try enter(first, "40 + 2", expecting: "42")
        try enter(first, #""line with \\ backslash""#, expecting: #"line with \ backslash"#)
        try enter(first, #""héllo → wörld""#, expecting: "héllo → wörld")
        try first.send(PTYKey.ctrlD)
        XCTAssertEqual(try first.waitForExit(), 0)
        // libedit's own reader reads the file back.
        XCTAssertEqual(Self.libeditHistory(historyFile), ["40 + 2", #""line with \\ backslash""#, #""héllo → wörld""#])
        XCTAssertTrue(try String(contentsOfFile: historyFile, encoding: .utf8).hasPrefix("_HiStOrY_V2_\n"))

        let second = try startSession()
        try second.send(PTYKey.up + PTYKey.up + PTYKey.up + PTYKey.enter)
        try second.expect(Self.result("42"))
        try second.expect(Self.prompt)
        try second.send(PTYKey.up + PTYKey.up + PTYKey.up + PTYKey.enter)   // the line just entered, then older ones
        try second.expect(Self.result(#"line with \ backslash"#))
        try second.expect(Self.prompt)
        try second.send(PTYKey.ctrlD)
        XCTAssertEqual(try second.waitForExit(), 0)
        XCTAssertEqual(Self.libeditHistory(historyFile)?.suffix(2), ["40 + 2", #""line with \\ backslash""#])
    }

    func testHistoryWrittenByLibeditIsLoaded() throws {
        // A file libedit wrote (another program's, or libedit's own H_SAVE) is read as is.
        try Self.writeLibeditHistory(["\"ünïcode\" + \"→\"", "(100 +\n 1)", "2 * 21"], to: historyFile)
        let p = try startSession()
        try p.send(PTYKey.up + PTYKey.up + PTYKey.enter)
        try p.expect(Self.result("101"))
        try p.expect(Self.prompt)
        try p.send(PTYKey.up + PTYKey.up + PTYKey.up + PTYKey.up + PTYKey.enter)
        try p.expect(Self.result("ünïcode→"))
        try p.expect(Self.prompt)
        try p.send(PTYKey.ctrlD)
        XCTAssertEqual(try p.waitForExit(), 0)
        XCTAssertEqual(Self.libeditHistory(historyFile),
                       ["\"ünïcode\" + \"→\"", "(100 +\n 1)", "2 * 21", "(100 +\n 1)", "\"ünïcode\" + \"→\""])
    }

    func testHistoryFromBeforeLibeditFormatIsConverted() throws {
        // strat's earlier file: no `_HiStOrY_V2_` line, `\\` and `\n` escaped.
        try (#"1 + 1"# + "\n" + #"(3 +\n4)"# + "\n" + #""a\\b""# + "\n").write(toFile: historyFile, atomically: true, encoding: .utf8)
        let p = try startSession()
        try p.send(PTYKey.up + PTYKey.up + PTYKey.enter)
        try p.expect(Self.result("7"))
        try p.expect(Self.prompt)
        try p.send(PTYKey.ctrlD)
        XCTAssertEqual(try p.waitForExit(), 0)
        XCTAssertEqual(Self.libeditHistory(historyFile), ["1 + 1", "(3 +\n4)", #""a\b""#, "(3 +\n4)"])
    }

    func testMultiLineEntryIsOneHistoryEntry() throws {
        let p = try startSession()
        try p.type("(1 +")
        try p.send(PTYKey.enter)
        try p.expect(Self.continuationPrompt)
        try p.type("20)")
        try p.send(PTYKey.enter)
        try p.expect(Self.result("21"))
        try p.expect(Self.prompt)
        try enter(p, "5", expecting: "5")
        try p.send(PTYKey.up + PTYKey.up + PTYKey.enter)     // the whole entry comes back
        try p.expect("\r\n21\r\n")
        try p.expect(Self.prompt)
        try p.send(PTYKey.ctrlD)
        XCTAssertEqual(try p.waitForExit(), 0)
        let saved = try String(contentsOfFile: historyFile, encoding: .utf8).split(separator: "\n")
        XCTAssertEqual(saved.count, 4, "\(saved)")        // the cookie line, then one line an entry
        XCTAssertEqual(Self.libeditHistory(historyFile)?.suffix(3), ["(1 +\n20)", "5", "(1 +\n20)"])
    }

    func testHistoryIsCapped() throws {
        let lines = (0..<1100).map { "old_entry_\($0)" }
        try Self.writeLibeditHistory(lines, to: historyFile)
        let p = try startSession()
        try enter(p, "1", expecting: "1")
        try p.send(PTYKey.ctrlD)
        XCTAssertEqual(try p.waitForExit(), 0)
        let kept = Self.libeditHistory(historyFile)
        XCTAssertEqual(kept?.count, 1001)
        XCTAssertEqual(kept?.first, "old_entry_100")
        XCTAssertEqual(kept?.suffix(2), ["old_entry_1099", "1"])
    }

    func testOldFormatHistoryIsCapped() throws {
        let lines = (0..<1100).map { "old_entry_\($0)" }
        try (lines.joined(separator: "\n") + "\n").write(toFile: historyFile, atomically: true, encoding: .utf8)
        let p = try startSession()
        try p.send(PTYKey.ctrlD)
        XCTAssertEqual(try p.waitForExit(), 0)
        let kept = Self.libeditHistory(historyFile)
        XCTAssertEqual(kept?.count, 1000)
        XCTAssertEqual(kept?.first, "old_entry_100")
        XCTAssertEqual(kept?.last, "old_entry_1099")
    }

    func testUnwritableHistoryIsSilentlyIgnored() throws {
        let p = try startSession(history: home.appendingPathComponent("missing-dir/history").path)
        try enter(p, "1", expecting: "1")
        try p.send(PTYKey.up + PTYKey.enter)                  // in-memory history still works
        try p.expect(Self.result("1"))
        try p.expect(Self.prompt)
        try p.send(PTYKey.ctrlD)
        XCTAssertEqual(try p.waitForExit(), 0)
        XCTAssertFalse(p.transcript.lowercased().contains("error"), p.transcript)
        XCTAssertFalse(FileManager.default.fileExists(atPath: home.appendingPathComponent("missing-dir").path))
    }
}
