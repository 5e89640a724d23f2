// Runs every `Tests/Scripts/<feature>/*.strat` through the `strat` binary named by the
// environment variable STRAT_BIN and checks the expectations written in the script's
// comments. The directive format is described in Tests/Scripts/README.md.

import Foundation
import XCTest

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

// MARK: - Directives

/// A diagnostic a script expects: `// error: [PATH:][L:[C:]] MESSAGE` (or `warning:`).
struct ExpectedDiagnostic {
    var severity: String
    /// Path suffix the diagnostic's file must end with; nil means the script itself
    /// (when a line is given) or any file (when not).
    var path: String?
    var line: Int?
    var column: Int?
    /// Substring of the message; empty matches any message.
    var message: String
    /// The directive as written, for failure reports.
    var directive: String

    /// How much this expectation pins down; more specific ones are matched first.
    var specificity: Int {
        (path == nil ? 0 : 1) + (line == nil ? 0 : 2) + (column == nil ? 0 : 2) + (message.isEmpty ? 0 : 1)
    }
}

/// Everything a script's comments ask for.
struct ScriptSpec {
    var expectedStdout: [String] = []
    var diagnostics: [ExpectedDiagnostic] = []
    var stderrSubstrings: [String] = []
    /// Acceptable exit codes (`// exit: 65|70`); nil means the default.
    var exitCodes: [Int32]?
    var scenario: String?
    var sets: [String] = []
    var allowExtraDiagnostics = false
    /// Malformed directives, reported as failures.
    var problems: [String] = []

    /// 0 when no `error:` is expected, else 65, unless `// exit:` says otherwise.
    var expectedExitCodes: [Int32] {
        exitCodes ?? (diagnostics.contains { $0.severity == "error" } ? [65] : [0])
    }

    /// Arguments after the binary: `run --no-report FILE [--scenario S] [--set P=E]…`.
    func arguments(file: String) -> [String] {
        var args = ["run", "--no-report", file]
        if let s = scenario { args += ["--scenario", s] }
        for s in sets { args += ["--set", s] }
        return args
    }

    var directiveCount: Int {
        expectedStdout.count + diagnostics.count + stderrSubstrings.count + (exitCodes == nil ? 0 : 1)
    }

    /// Parses the directives of a script's source. Only whole-line `//` comments count.
    static func parse(_ source: String) -> ScriptSpec {
        var spec = ScriptSpec()
        for (index, rawLine) in source.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            var line = Substring(rawLine)
            if line.hasSuffix("\r") { line = line.dropLast() }
            let trimmed = line.drop { $0 == " " || $0 == "\t" }
            guard trimmed.hasPrefix("//") else { continue }
            let body = trimmed.dropFirst(2).drop { $0 == " " }
            let location = "line \(index + 1)"
            if let value = body.value(after: "expect-stderr:") {
                let text = value.trimmed
                if text.isEmpty { spec.problems.append("\(location): empty expect-stderr") } else { spec.stderrSubstrings.append(text) }
            } else if let value = body.value(after: "expect:") {
                // Exactly one space after the colon is part of the syntax; the rest is verbatim.
                spec.expectedStdout.append(String(value.hasPrefix(" ") ? value.dropFirst() : value))
            } else if let value = body.value(after: "error:") {
                spec.diagnostics.append(parseDiagnostic("error", value.trimmed, directive: String(body)))
            } else if let value = body.value(after: "warning:") {
                spec.diagnostics.append(parseDiagnostic("warning", value.trimmed, directive: String(body)))
            } else if let value = body.value(after: "exit:") {
                let codes = value.trimmed.split(separator: "|").map { Int32($0.trimmed) }
                if codes.isEmpty || codes.contains(nil) {
                    spec.problems.append("\(location): bad exit directive '\(body)'")
                } else {
                    spec.exitCodes = codes.compactMap { $0 }
                }
            } else if let value = body.value(after: "set:") {
                let text = value.trimmed
                if !text.contains("=") { spec.problems.append("\(location): set needs PATH=EXPR") } else { spec.sets.append(text) }
            } else if let value = body.value(after: "scenario:") {
                let text = value.trimmed
                if text.isEmpty { spec.problems.append("\(location): empty scenario") } else { spec.scenario = text }
            } else if body.trimmed == "allow-extra-diagnostics" {
                spec.allowExtraDiagnostics = true
            }
        }
        return spec
    }

    /// `[PATH:][L:[C:]] MESSAGE` where PATH ends in `.strat` (or `.csv` / `.json`: actuals files).
    static func parseDiagnostic(_ severity: String, _ text: String, directive: String) -> ExpectedDiagnostic {
        var rest = Substring(text)
        var path: String?
        if let colon = rest.firstIndex(of: ":") {
            let head = rest[..<colon]
            if head.hasSuffix(".strat") || head.hasSuffix(".csv") || head.hasSuffix(".json"), !head.contains(" ") {
                path = String(head)
                rest = rest[rest.index(after: colon)...]
            }
        }
        func takeNumber() -> Int? {
            let digits = rest.prefix { $0.isASCII && $0.isNumber }
            guard !digits.isEmpty, rest.dropFirst(digits.count).first == ":" else { return nil }
            rest = rest.dropFirst(digits.count + 1)
            return Int(digits)
        }
        let line = takeNumber()
        let column = line == nil ? nil : takeNumber()
        return ExpectedDiagnostic(severity: severity, path: path, line: line, column: column,
                                  message: rest.trimmed, directive: directive)
    }
}

// MARK: - Diagnostics on stderr

/// One `PATH:L:C: error: MESSAGE` header line from stderr.
struct ActualDiagnostic {
    var severity: String
    var path: String?
    var line: Int?
    var column: Int?
    var message: String
    var raw: String

    /// Header lines only: snippet lines (` 12 | …`, `   = help: …`) start with whitespace.
    static func parse(stderr: String) -> [ActualDiagnostic] {
        var result: [ActualDiagnostic] = []
        for rawLine in stderr.split(separator: "\n", omittingEmptySubsequences: true) {
            let line = rawLine.hasSuffix("\r") ? rawLine.dropLast() : rawLine
            guard let first = line.first, !first.isWhitespace else { continue }
            var best: (severity: String, location: Substring, message: Substring, at: String.Index)?
            for severity in ["error", "warning"] {
                let found: (Substring, Substring, String.Index)?
                if line.hasPrefix("\(severity): ") {
                    found = ("", line.dropFirst(severity.count + 2), line.startIndex)
                } else if let r = line.range(of: ": \(severity): ") {
                    found = (line[..<r.lowerBound], line[r.upperBound...], r.lowerBound)
                } else {
                    found = nil
                }
                if let f = found, best == nil || f.2 < best!.at {
                    best = (severity, f.0, f.1, f.2)
                }
            }
            guard let b = best else { continue }
            var parts = b.location.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
            var numbers: [Int] = []
            while numbers.count < 2, let last = parts.last, let n = Int(last) {
                numbers.insert(n, at: 0)
                parts.removeLast()
            }
            let path = parts.isEmpty ? nil : parts.joined(separator: ":")
            result.append(ActualDiagnostic(
                severity: b.severity, path: path?.isEmpty == true ? nil : path,
                line: numbers.first, column: numbers.count > 1 ? numbers[1] : nil,
                message: String(b.message), raw: String(line)))
        }
        return result
    }

    func matches(_ e: ExpectedDiagnostic, scriptName: String) -> Bool {
        guard e.severity == severity else { return false }
        if !e.message.isEmpty, !message.contains(e.message) { return false }
        if let l = e.line, l != line { return false }
        if let c = e.column, c != column { return false }
        if let p = e.path {
            return Self.path(path, endsWith: p)
        } else if e.line != nil {
            return Self.path(path, endsWith: scriptName)
        }
        return true
    }

    static func path(_ actual: String?, endsWith expected: String) -> Bool {
        guard let actual else { return false }
        return actual == expected || actual.hasSuffix("/" + expected)
    }
}

// MARK: - Running a process

struct RunResult {
    var stdout: String
    var stderr: String
    var status: Int32
    var timedOut: Bool
}

/// Thread-safe holder for data read on a background queue.
private final class DataBox: @unchecked Sendable {
    private let lock = NSLock()
    private var data = Data()
    func set(_ d: Data) { lock.lock(); data = d; lock.unlock() }
    func get() -> Data { lock.lock(); defer { lock.unlock() }; return data }
}

enum ProcessRunner {
    /// Runs `executable arguments` in `directory` with NO_COLOR=1 and stdin closed; kills it
    /// after `timeout` seconds.
    static func run(_ executable: String, _ arguments: [String], in directory: URL,
                    timeout: TimeInterval) throws -> RunResult {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.currentDirectoryURL = directory
        var environment = ProcessInfo.processInfo.environment
        environment["NO_COLOR"] = "1"
        process.environment = environment
        let outPipe = Pipe(), errPipe = Pipe()
        process.standardOutput = outPipe
        process.standardError = errPipe
        process.standardInput = FileHandle.nullDevice

        let finished = DispatchSemaphore(value: 0)
        process.terminationHandler = { _ in finished.signal() }
        try process.run()

        // Drain both pipes concurrently so a chatty child cannot block on a full pipe.
        let outBox = DataBox(), errBox = DataBox(), readers = DispatchGroup()
        for (handle, box) in [(outPipe.fileHandleForReading, outBox), (errPipe.fileHandleForReading, errBox)] {
            DispatchQueue.global().async(group: readers) { box.set(handle.readDataToEndOfFile()) }
        }

        var timedOut = false
        if finished.wait(timeout: .now() + timeout) == .timedOut {
            timedOut = true
            process.terminate()
            if finished.wait(timeout: .now() + 2) == .timedOut {
                kill(process.processIdentifier, SIGKILL)
                _ = finished.wait(timeout: .now() + 5)
            }
        }
        _ = readers.wait(timeout: .now() + 5)
        return RunResult(stdout: String(decoding: outBox.get(), as: UTF8.self),
                         stderr: String(decoding: errBox.get(), as: UTF8.self),
                         status: process.terminationStatus, timedOut: timedOut)
    }
}

// MARK: - Checking a run against a spec

enum ScriptChecker {
    /// Every way `result` differs from `spec`; empty when the script passes.
    static func failures(spec: ScriptSpec, result: RunResult, scriptName: String) -> [String] {
        var failures = spec.problems.map { "malformed directive: \($0)" }
        if result.timedOut {
            failures.append("timed out (killed)")
            return failures
        }

        var actualLines = result.stdout.components(separatedBy: "\n")
        if actualLines.last == "" { actualLines.removeLast() }
        actualLines = actualLines.map { $0.hasSuffix("\r") ? String($0.dropLast()) : $0 }
        if actualLines != spec.expectedStdout {
            failures.append("stdout differs (- expected, + actual):\n" + lineDiff(spec.expectedStdout, actualLines))
        }

        if !spec.expectedExitCodes.contains(result.status) {
            let want = spec.expectedExitCodes.map(String.init).joined(separator: " or ")
            failures.append("exit code \(result.status), expected \(want)")
        }

        var actual = ActualDiagnostic.parse(stderr: result.stderr)
        let ordered = spec.diagnostics.enumerated().sorted {
            ($0.element.specificity, -$0.offset) > ($1.element.specificity, -$1.offset)
        }
        var missing: [(Int, String)] = []
        for (offset, expected) in ordered {
            if let i = actual.firstIndex(where: { $0.matches(expected, scriptName: scriptName) }) {
                actual.remove(at: i)
            } else {
                missing.append((offset, expected.directive))
            }
        }
        for (_, directive) in missing.sorted(by: { $0.0 < $1.0 }) {
            failures.append("missing diagnostic: // \(directive)")
        }
        if !spec.allowExtraDiagnostics {
            for d in actual {
                failures.append("unexpected \(d.severity): \(d.raw)")
            }
        }
        for s in spec.stderrSubstrings where !result.stderr.contains(s) {
            failures.append("stderr does not contain: \(s)")
        }
        if !failures.isEmpty, !result.stderr.isEmpty {
            let stderr = result.stderr.hasSuffix("\n") ? String(result.stderr.dropLast()) : result.stderr
            failures.append("stderr was:\n" + indent(truncate(stderr)))
        }
        return failures
    }

    /// A line diff (longest common subsequence) with `  `, `- `, `+ ` prefixes.
    static func lineDiff(_ a: [String], _ b: [String]) -> String {
        let n = a.count, m = b.count
        var lcs = Array(repeating: Array(repeating: 0, count: m + 1), count: n + 1)
        for i in stride(from: n - 1, through: 0, by: -1) {
            for j in stride(from: m - 1, through: 0, by: -1) {
                lcs[i][j] = a[i] == b[j] ? lcs[i + 1][j + 1] + 1 : max(lcs[i + 1][j], lcs[i][j + 1])
            }
        }
        var out: [String] = []
        var i = 0, j = 0
        while i < n || j < m {
            if i < n, j < m, a[i] == b[j] {
                out.append("    " + a[i]); i += 1; j += 1
            } else if j < m, i == n || lcs[i][j + 1] >= lcs[i + 1][j] {
                out.append("  + " + b[j]); j += 1
            } else {
                out.append("  - " + a[i]); i += 1
            }
        }
        return out.joined(separator: "\n")
    }

    static func truncate(_ s: String, limit: Int = 3000) -> String {
        s.count <= limit ? s : String(s.prefix(limit)) + "\n… (\(s.count - limit) more characters)"
    }

    static func indent(_ s: String) -> String {
        s.split(separator: "\n", omittingEmptySubsequences: false).map { "    " + $0 }.joined(separator: "\n")
    }
}

// MARK: - The corpus

enum ScriptCorpus {
    static let timeout: TimeInterval = 20

    /// The package root, found from this file's path (Tests/StratCLITests/ScriptTests.swift).
    static var packageRoot: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
    }

    static var scriptsDirectory: URL { packageRoot.appendingPathComponent("Tests/Scripts") }

    /// `Tests/Scripts/*/*.strat`, sorted; files in deeper folders are helpers, not scripts.
    static func scripts() throws -> [URL] {
        let fm = FileManager.default
        var result: [URL] = []
        for dir in try fm.contentsOfDirectory(atPath: scriptsDirectory.path).sorted() {
            let dirURL = scriptsDirectory.appendingPathComponent(dir)
            var isDir: ObjCBool = false
            guard fm.fileExists(atPath: dirURL.path, isDirectory: &isDir), isDir.boolValue else { continue }
            for file in try fm.contentsOfDirectory(atPath: dirURL.path).sorted() where file.hasSuffix(".strat") {
                let url = dirURL.appendingPathComponent(file)
                var fileIsDir: ObjCBool = false
                if fm.fileExists(atPath: url.path, isDirectory: &fileIsDir), !fileIsDir.boolValue {
                    result.append(url)
                }
            }
        }
        return result
    }

    /// `feature/name.strat`, as failures name scripts.
    static func displayName(_ url: URL) -> String {
        url.deletingLastPathComponent().lastPathComponent + "/" + url.lastPathComponent
    }

    /// Reads a script (lossily: a test may hold invalid UTF-8 on purpose) and parses its directives.
    static func spec(of url: URL) throws -> ScriptSpec {
        ScriptSpec.parse(String(decoding: try Data(contentsOf: url), as: UTF8.self))
    }

    /// Runs one script and returns its failures.
    static func check(_ url: URL, binary: String, timeout: TimeInterval = timeout) -> [String] {
        do {
            let spec = try spec(of: url)
            let result = try ProcessRunner.run(binary, spec.arguments(file: url.lastPathComponent),
                                               in: url.deletingLastPathComponent(), timeout: timeout)
            return ScriptChecker.failures(spec: spec, result: result, scriptName: url.lastPathComponent)
        } catch {
            return ["could not run: \(error)"]
        }
    }

    /// STRAT_BIN as an absolute path (scripts run with their own directory as cwd).
    static func binary() -> String? {
        guard let raw = ProcessInfo.processInfo.environment["STRAT_BIN"], !raw.isEmpty else { return nil }
        if raw.hasPrefix("/") { return raw }
        return URL(fileURLWithPath: FileManager.default.currentDirectoryPath).appendingPathComponent(raw).path
    }
}

// MARK: - Tests

final class ScriptTests: XCTestCase {
    /// Every script in Tests/Scripts against the real binary. STRAT_SCRIPTS=substring runs a subset.
    func testScripts() throws {
        guard let binary = ScriptCorpus.binary() else {
            XCTFail("STRAT_BIN is not set. Build the CLI and run `STRAT_BIN=$PWD/.build/debug/strat swift test` (or `make test`).")
            return
        }
        guard FileManager.default.isExecutableFile(atPath: binary) else {
            XCTFail("STRAT_BIN=\(binary) is not an executable file.")
            return
        }
        var scripts = try ScriptCorpus.scripts()
        if let filter = ProcessInfo.processInfo.environment["STRAT_SCRIPTS"], !filter.isEmpty {
            scripts = scripts.filter { ScriptCorpus.displayName($0).contains(filter) }
        }
        XCTAssertFalse(scripts.isEmpty, "no scripts found under \(ScriptCorpus.scriptsDirectory.path)")

        var failed: [String] = []
        for url in scripts {
            let name = ScriptCorpus.displayName(url)
            let failures = ScriptCorpus.check(url, binary: binary)
            guard !failures.isEmpty else { continue }
            failed.append(name)
            XCTFail("FAIL Tests/Scripts/\(name)\n" + failures.map { "  " + $0 }.joined(separator: "\n"))
        }
        print("script tests: \(scripts.count - failed.count) of \(scripts.count) passed")
        if !failed.isEmpty { print("failing scripts:\n  " + failed.joined(separator: "\n  ")) }
    }

    /// The corpus is present and every script's directives parse.
    func testCorpusIsPresentAndWellFormed() throws {
        let scripts = try ScriptCorpus.scripts()
        XCTAssertGreaterThanOrEqual(scripts.count, 50, "expected at least 50 scripts in Tests/Scripts")
        let features = Set(scripts.map { $0.deletingLastPathComponent().lastPathComponent })
        for feature in ["lexical", "numbers", "units", "display", "expressions", "strings", "lists",
                        "functions", "declarations", "names", "cycles", "scores", "swot", "alignment",
                        "retro", "projections", "scenarios", "imports", "asserts", "runtime", "limits"] {
            XCTAssertTrue(features.contains(feature), "no scripts in Tests/Scripts/\(feature)")
        }
        for url in scripts {
            let spec = try ScriptCorpus.spec(of: url)
            let name = ScriptCorpus.displayName(url)
            XCTAssertEqual(spec.problems, [], "\(name): malformed directives")
            XCTAssertGreaterThan(spec.directiveCount, 0, "\(name) has no expectations")
        }
    }

    func testDirectiveParsing() {
        let spec = ScriptSpec.parse("""
            print "x" // expect: not a directive (trailing comment)
            // expect: a  b
            //expect:
            // error: 3:7: unknown name 'x'
            // error: lib/a.strat:2:17: boom
            // error: 4: expected
            // error: 5:
            // warning:
            // expect-stderr: did you mean 'x'?
            // exit: 65|70
            // scenario: optimistic
            // set: churn=5%
            // allow-extra-diagnostics
            """)
        XCTAssertEqual(spec.expectedStdout, ["a  b", ""])
        XCTAssertEqual(spec.diagnostics.map { [$0.severity, $0.path ?? "-", "\($0.line ?? 0)", "\($0.column ?? 0)", $0.message] }, [
            ["error", "-", "3", "7", "unknown name 'x'"],
            ["error", "lib/a.strat", "2", "17", "boom"],
            ["error", "-", "4", "0", "expected"],
            ["error", "-", "5", "0", ""],
            ["warning", "-", "0", "0", ""],
        ])
        XCTAssertEqual(spec.stderrSubstrings, ["did you mean 'x'?"])
        XCTAssertEqual(spec.expectedExitCodes, [65, 70])
        XCTAssertEqual(spec.arguments(file: "t.strat"),
                       ["run", "--no-report", "t.strat", "--scenario", "optimistic", "--set", "churn=5%"])
        XCTAssertTrue(spec.allowExtraDiagnostics)
        XCTAssertEqual(ScriptSpec.parse("// error: oops").expectedExitCodes, [65])
        XCTAssertEqual(ScriptSpec.parse("// expect: 1").expectedExitCodes, [0])
        XCTAssertEqual(ScriptSpec.parse("// exit: one").problems.count, 1)
    }

    func testStderrParsing() {
        let diags = ActualDiagnostic.parse(stderr: """
            plan.strat:12:12: error: unknown name 'chrun'
               12 |   current: chrun * 2
                  |            ^~~~~
                  = help: did you mean 'churn'?
            /tmp/x/lib/a.strat:3: warning: weights sum to 2
            error: cannot read 'missing.strat'
            plan.strat:1:5: note: first declared here
            """)
        XCTAssertEqual(diags.map { [$0.severity, $0.path ?? "-", "\($0.line ?? 0)", "\($0.column ?? 0)", $0.message] }, [
            ["error", "plan.strat", "12", "12", "unknown name 'chrun'"],
            ["warning", "/tmp/x/lib/a.strat", "3", "0", "weights sum to 2"],
            ["error", "-", "0", "0", "cannot read 'missing.strat'"],
        ])
    }

    /// The runner against a fake binary: correct expectations pass, each wrong one is caught.
    func testRunnerDetectsMismatches() throws {
        let dir = FileManager.default.temporaryDirectory
            .appendingPathComponent("strat-script-runner-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }

        // A stand-in for `strat`: echoes its arguments and its cwd's name, writes a
        // diagnostic with a hint, exits 65.
        let fake = dir.appendingPathComponent("fake-strat")
        try """
            #!/bin/sh
            echo "args: $*"
            echo "cwd: $(basename "$(pwd -P)") color: ${NO_COLOR:-unset}"
            echo "t.strat:2:7: error: unknown name 'chrun'" >&2
            echo "   2 | print chrun" >&2
            echo "     = help: did you mean 'churn'?" >&2
            exit 65
            """.write(to: fake, atomically: true, encoding: .utf8)
        XCTAssertEqual(chmod(fake.path, 0o755), 0)

        let good = """
            // expect: args: run --no-report t.strat --scenario s --set a=1
            // expect: cwd: \(dir.lastPathComponent) color: 1
            // error: 2:7: unknown name 'chrun'
            // expect-stderr: did you mean 'churn'?
            // scenario: s
            // set: a=1
            """
        XCTAssertEqual(try runFake(fake, script: good, in: dir), [], "correct expectations must pass")

        let wrong: [(String, String, String)] = [
            ("// expect: cwd:", "// expect: cwd: elsewhere", "stdout differs"),
            ("// error: 2:7:", "// error: 2:8:", "missing diagnostic"),
            ("// error: 2:7: unknown name 'chrun'", "// warning: unknown name 'chrun'", "unexpected error"),
            ("// expect-stderr: did you mean 'churn'?", "// expect-stderr: did you mean 'x'?", "stderr does not contain"),
            ("// set: a=1", "// set: a=1\n// exit: 0", "exit code 65, expected 0"),
            ("// scenario: s", "// scenario: s\n// expect: one line too many", "stdout differs"),
        ]
        for (find, replace, expected) in wrong {
            let script = good.replacingOccurrences(of: find, with: replace)
            XCTAssertNotEqual(script, good)
            let failures = try runFake(fake, script: script, in: dir)
            XCTAssertTrue(failures.contains { $0.contains(expected) },
                          "replacing '\(find)' should fail with '\(expected)', got \(failures)")
        }
    }

    /// A hanging binary is killed after the timeout and reported.
    func testRunnerKillsHangingProcess() throws {
        let dir = FileManager.default.temporaryDirectory
            .appendingPathComponent("strat-script-timeout-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let fake = dir.appendingPathComponent("hang")
        try "#!/bin/sh\nexec sleep 60\n".write(to: fake, atomically: true, encoding: .utf8)
        XCTAssertEqual(chmod(fake.path, 0o755), 0)
        let start = Date()
        let failures = try runFake(fake, script: "// expect: x", in: dir, timeout: 1)
        XCTAssertLessThan(Date().timeIntervalSince(start), 15)
        XCTAssertTrue(failures.contains { $0.contains("timed out") }, "\(failures)")
    }

    private func runFake(_ fake: URL, script: String, in dir: URL, timeout: TimeInterval = 20) throws -> [String] {
        let url = dir.appendingPathComponent("t.strat")
        try script.write(to: url, atomically: true, encoding: .utf8)
        return ScriptCorpus.check(url, binary: fake.path, timeout: timeout)
    }
}

// MARK: - Helpers

private extension Substring {
    /// The text after `prefix` when the string starts with it.
    func value(after prefix: String) -> Substring? {
        hasPrefix(prefix) ? dropFirst(prefix.count) : nil
    }

    var trimmed: String { trimmingCharacters(in: .whitespaces) }
}
