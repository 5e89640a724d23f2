// Drives the interactive `strat` binary under a real pseudo-terminal. The binary is
// $STRAT_BIN, else `strat` next to the test bundle. Until the REPL lands, that binary is
// the line-editor demo on branch `repl`, which completes from a fixed word list
// (MODERNIZE_PLATFORM, MODERNIZE_PLATFORM.MICROSERVICES, members, :load, :help) and
// echoes each statement as `echo: …`; the expectations that depend on that are marked
// DEMO so they can be switched to evaluation output.
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

    var historyFile: String { home.appendingPathComponent("history").path }

    /// Starts an interactive session and waits for the first prompt.
    func startSession(history: String? = nil, directory: String? = nil, extraEnvironment: [String: String] = [:]) throws -> PTYProcess {
        var env = [
            "HOME": home.path,
            "STRAT_HISTORY": history ?? historyFile,
            "NO_COLOR": "1",
            "TERM": "xterm",
            "PATH": "/usr/bin:/bin",
        ]
        env.merge(extraEnvironment) { $1 }
        let p = try PTYProcess(executable: try Self.stratBinary(), environment: env, currentDirectory: directory)
        processes.append(p)
        try p.expect(Self.prompt)
        return p
    }

    /// Enters a line and waits for its result line (DEMO: `echo: <line>`) and the next prompt.
    func enter(_ p: PTYProcess, _ line: String, expecting result: String) throws {
        try p.type(line)
        try p.send(PTYKey.enter)
        try p.expect(result)
        try p.expect(Self.prompt)
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
        try p.send(PTYKey.tab + PTYKey.enter)
        try p.expect("echo: MODERNIZE_PLATFORM\r\n")                       // DEMO
    }

    func testTabCompletesMemberAfterDot() throws {
        let p = try startSession()
        try p.type("MODERNIZE_PLATFORM.MI")
        try p.send(PTYKey.tab + PTYKey.enter)
        try p.expect("echo: MODERNIZE_PLATFORM.MICROSERVICES\r\n")          // DEMO
    }

    func testTabCompletesInsideAnExpression() throws {
        let p = try startSession()
        try p.type("max(mem")
        try p.send(PTYKey.tab)
        try p.type(")")
        try p.send(PTYKey.enter)
        try p.expect("echo: max(members)\r\n")                               // DEMO
    }

    func testAmbiguousTabListsCandidates() throws {
        let p = try startSession()
        try p.type("MODERNIZE_PLATFORM")
        try p.send(PTYKey.tab)
        try p.expect("MODERNIZE_PLATFORM.MICROSERVICES")
        try p.expect(Self.prompt + "MODERNIZE_PLATFORM")                     // line redrawn
        try p.send(PTYKey.enter)
        try p.expect("echo: MODERNIZE_PLATFORM\r\n")                       // DEMO
    }

    func testTabCompletesCommand() throws {
        let p = try startSession()
        try p.type(":lo")
        try p.send(PTYKey.tab + PTYKey.enter)
        try p.expect("echo: :load\r\n")                                      // DEMO
    }

    func testTabCompletesPathAfterLoad() throws {
        let dir = home.appendingPathComponent("work")
        try FileManager.default.createDirectory(at: dir.appendingPathComponent("examples"), withIntermediateDirectories: true)
        try "".write(to: dir.appendingPathComponent("examples/plan one.strat"), atomically: true, encoding: .utf8)
        let p = try startSession(directory: dir.path)
        try p.type(":load ex")
        try p.send(PTYKey.tab)                      // → examples/
        try p.type("pl")
        try p.send(PTYKey.tab + PTYKey.enter)          // → examples/plan one.strat
        try p.expect("echo: :load examples/plan one.strat\r\n")              // DEMO
    }

    func testUpArrowRecallsPreviousLine() throws {
        let p = try startSession()
        try enter(p, "1 + 2", expecting: "echo: 1 + 2\r\n")
        try enter(p, "3", expecting: "echo: 3\r\n")
        try p.send(PTYKey.up + PTYKey.up + PTYKey.enter)
        try p.expect("echo: 1 + 2\r\n")                                      // DEMO
    }

    func testEmacsKeys() throws {
        let p = try startSession()
        try p.type("bc")
        try p.send(PTYKey.ctrlA + "a" + PTYKey.ctrlE + "d" + PTYKey.enter)
        try p.expect("echo: abcd\r\n")                                       // DEMO
        try p.expect(Self.prompt)
        try p.type("junk")
        try p.send(PTYKey.ctrlU + "ok" + PTYKey.enter)
        try p.expect("echo: ok\r\n")                                         // DEMO
    }

    func testCtrlRSearchesHistory() throws {
        let p = try startSession()
        try enter(p, "alpha_1", expecting: "echo: alpha_1\r\n")
        try enter(p, "beta_2", expecting: "echo: beta_2\r\n")
        try p.send(PTYKey.ctrlR)
        try p.send("alp")
        try p.expect("alpha_1")
        try p.send(PTYKey.enter)
        try p.expect("echo: alpha_1\r\n")                                    // DEMO
    }

    func testOpenBracketGivesContinuationPrompt() throws {
        let p = try startSession()
        try p.type("(1 +")
        try p.send(PTYKey.enter)
        try p.expect(Self.continuationPrompt)
        try p.type("2)")
        try p.send(PTYKey.enter)
        try p.expect("echo: (1 + 2)\r\n")                                    // DEMO
        try p.expect(Self.prompt)
    }

    func testTrailingOperatorGivesContinuationPrompt() throws {
        let p = try startSession()
        try p.type("1 +")
        try p.send(PTYKey.enter)
        try p.expect(Self.continuationPrompt)
        try p.type("2")
        try p.send(PTYKey.enter)
        try p.expect("echo: 1 + 2\r\n")                                      // DEMO
    }

    func testCtrlCDropsInputAndShowsNewPrompt() throws {
        let p = try startSession()
        try p.type("abc")
        try p.send(PTYKey.ctrlC)
        try p.expect("^C")
        try p.expect(Self.prompt)
        try p.type("def")
        try p.send(PTYKey.enter)
        let out = try p.expect("\r\n" + Self.prompt)
        XCTAssertTrue(out.contains("echo: def"), out)                        // DEMO
        XCTAssertFalse(p.transcript.contains("abcdef"), p.transcript)
    }

    func testCtrlCDropsContinuationLines() throws {
        let p = try startSession()
        try p.type("(1 +")
        try p.send(PTYKey.enter)
        try p.expect(Self.continuationPrompt)
        try p.send(PTYKey.ctrlC)
        try p.expect(Self.prompt)
        try enter(p, "5", expecting: "echo: 5\r\n")                          // DEMO
        XCTAssertFalse(p.transcript.contains("(1 + 5"), p.transcript)
    }

    func testCtrlCDuringSearchDropsInput() throws {
        let p = try startSession()
        try enter(p, "alpha_1", expecting: "echo: alpha_1\r\n")
        try p.send(PTYKey.ctrlR + "alp")
        try p.expect("alpha_1")
        try p.send(PTYKey.ctrlC)
        try p.expect(Self.prompt)
        try enter(p, "7", expecting: "echo: 7\r\n")                          // DEMO
    }

    func testCtrlCWhileBusyIsReportedToTheProgram() throws {
        // DEMO command `:busy SECONDS` polls LineEditor.takeInterruptRequest().
        let p = try startSession()
        try p.type(":busy 20")
        try p.send(PTYKey.enter)
        try p.expect("\r\n")
        p.drain(for: 0.3)
        try p.send(PTYKey.ctrlC)
        try p.expect("interrupted", timeout: 10)
        try p.expect(Self.prompt)
        try enter(p, "8", expecting: "echo: 8\r\n")
    }

    func testSecondCtrlCWhileBusyQuits() throws {
        // DEMO command `:spin SECONDS` never polls: the second Ctrl-C ends the process.
        let p = try startSession()
        try p.type(":spin 20")
        try p.send(PTYKey.enter)
        try p.expect("\r\n")
        p.drain(for: 0.3)
        try p.send(PTYKey.ctrlC)
        p.drain(for: 0.3)
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
        try p.type("ab")
        try p.send(PTYKey.left + PTYKey.ctrlD + PTYKey.enter)   // deletes the character under the cursor
        try p.expect("echo: a\r\n")                                          // DEMO
        try p.expect(Self.prompt)
        try p.send(PTYKey.ctrlD)
        XCTAssertEqual(try p.waitForExit(), 0)
    }

    func testNonASCIIInputRoundTrips() throws {
        let p = try startSession()
        try p.type("\"héllo → wörld\"")
        try p.send(PTYKey.enter)
        try p.expect("echo: \"héllo → wörld\"\r\n")                          // DEMO
    }

    func testResizeKeepsEditing() throws {
        let p = try startSession()
        try p.type("abc")
        p.resize(columns: 40, rows: 20)
        p.drain(for: 0.2)
        try p.send("d" + PTYKey.enter)
        try p.expect("echo: abcd\r\n")                                       // DEMO
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
        try shell.type("abc")
        try shell.send(PTYKey.ctrlZ)
        try shell.expect("Stopped")
        try shell.expect("SHELL$ ")
        try shell.send("stty -a | tr ';' '\\n' | grep -c -- -icanon\r")   // cooked again: prints 0
        try shell.expect("\r0\r\n")
        try shell.send("fg\r")
        try shell.expect(Self.prompt + "abc")         // the line is redrawn
        try shell.send("d" + PTYKey.enter)
        try shell.expect("echo: abcd\r\n")                                   // DEMO
        try shell.expect(Self.prompt)
        try shell.send(PTYKey.ctrlD)
        try shell.expect("SHELL$ ")
        try shell.send("exit\r")
        XCTAssertEqual(try shell.waitForExit(), 0)
    }

    func testHistoryPersistsAcrossSessions() throws {
        let first = try startSession()
        try enter(first, "history_probe_42", expecting: "echo: history_probe_42\r\n")
        try enter(first, "line with \\ backslash", expecting: "echo: line with \\ backslash\r\n")
        try first.send(PTYKey.ctrlD)
        XCTAssertEqual(try first.waitForExit(), 0)
        let saved = try String(contentsOfFile: historyFile, encoding: .utf8)
        XCTAssertTrue(saved.contains("history_probe_42"), saved)

        let second = try startSession()
        try second.send(PTYKey.up + PTYKey.up + PTYKey.enter)
        try second.expect("echo: history_probe_42\r\n")                      // DEMO
        try second.expect(Self.prompt)
        try second.send(PTYKey.up + PTYKey.up + PTYKey.enter)   // the line just entered, then the one before
        try second.expect("echo: line with \\ backslash\r\n")                // DEMO
    }

    func testHistoryIsCapped() throws {
        let lines = (0..<1100).map { "old_entry_\($0)" }
        try (lines.joined(separator: "\n") + "\n").write(toFile: historyFile, atomically: true, encoding: .utf8)
        let p = try startSession()
        try p.send(PTYKey.ctrlD)
        XCTAssertEqual(try p.waitForExit(), 0)
        let kept = try String(contentsOfFile: historyFile, encoding: .utf8).split(separator: "\n")
        XCTAssertEqual(kept.count, 1000)
        XCTAssertEqual(kept.first, "old_entry_100")
        XCTAssertEqual(kept.last, "old_entry_1099")
    }

    func testUnwritableHistoryIsSilentlyIgnored() throws {
        let p = try startSession(history: home.appendingPathComponent("missing-dir/history").path)
        try enter(p, "1", expecting: "echo: 1\r\n")                          // DEMO
        try p.send(PTYKey.up + PTYKey.enter)                  // in-memory history still works
        try p.expect("echo: 1\r\n")
        try p.expect(Self.prompt)
        try p.send(PTYKey.ctrlD)
        XCTAssertEqual(try p.waitForExit(), 0)
        XCTAssertFalse(p.transcript.lowercased().contains("error"), p.transcript)
        XCTAssertFalse(FileManager.default.fileExists(atPath: home.appendingPathComponent("missing-dir").path))
    }
}
