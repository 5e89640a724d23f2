import StratKit
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Exit codes of SPEC §8.
enum Exit {
    static let ok: Int32 = 0, assertion: Int32 = 1, usage: Int32 = 64, dataError: Int32 = 65
    static let noInput: Int32 = 66, software: Int32 = 70, ioError: Int32 = 74

    static func code(for diagnostics: [Diagnostic]) -> Int32 {
        let errors = diagnostics.filter { $0.severity == .error }
        if errors.contains(where: { $0.kind == .io }) { return noInput }
        if errors.contains(where: { $0.kind == .compile }) { return dataError }
        if errors.contains(where: { $0.kind == .runtime }) { return software }
        if errors.contains(where: { $0.kind == .assertion }) { return assertion }
        return ok
    }

    /// How serious an exit code is when several problems happened (several files, several
    /// expressions): usage, unreadable input, script errors, runtime errors, failed asserts.
    static func rank(_ code: Int32) -> Int {
        switch code {
        case usage: return 5
        case noInput: return 4
        case dataError: return 3
        case software: return 2
        case assertion: return 1
        default: return code == ok ? 0 : 2
        }
    }

    static func worst(_ a: Int32, _ b: Int32) -> Int32 { rank(b) > rank(a) ? b : a }
}

enum OutputFormat: String, CaseIterable {
    case text, json, markdown
}

/// Shared options for commands that evaluate a model.
struct ModelOptions {
    var scenario: String?
    var sets: [String] = []

    static let specs = [
        OptionSpec(long: "scenario", value: "NAME", help: "Evaluate under this scenario (default: baseline)."),
        OptionSpec(long: "set", value: "PATH=EXPR", help: "Override a value.", repeatable: true),
        OptionSpec(long: "as-of", value: "DATE", help: "Evaluate as of this date (YYYY-MM-DD): the value of `today` (default: the system date)."),
    ]

    /// `--samples N` and `--seed S` (SPEC §13): override the model's `simulate`.
    static let simulationSpecs = [
        OptionSpec(long: "samples", value: "N", help: "Monte Carlo samples per distribution (overrides 'simulate N'; default 10000)."),
        OptionSpec(long: "seed", value: "S", help: "Monte Carlo seed (overrides 'simulate … seed S'; default 1)."),
    ]

    init(_ a: ParsedArguments) throws {
        scenario = a.value("scenario")
        sets = a.all("set")
        try parseSimulationOptions(a)
        try Self.takeAsOf(a)
        try validate()
    }

    /// `--as-of DATE` sets the process's evaluation date (the value of `today`).
    static func takeAsOf(_ a: ParsedArguments) throws {
        guard let d = a.value("as-of") else { return }
        guard let date = CalendarDate(d) else { throw UsageError(message: "--as-of needs a date YYYY-MM-DD, got '\(d)'") }
        cliAsOf = date
    }

    func validate() throws { _ = try overrides() }

    func overrides() throws -> [(path: String, expr: String)] {
        try parseOverrides(sets)
    }
}

/// Splits `PATH=EXPR` arguments; a malformed one is a usage error.
func parseOverrides(_ sets: [String]) throws -> [(path: String, expr: String)] {
    try sets.map { s in
        guard let eq = s.firstIndex(of: "="), eq != s.startIndex else {
            throw UsageError(message: "--set needs PATH=EXPR, got '\(s)'")
        }
        let path = String(s[..<eq]).trimmingSpaces()
        let expr = String(s[s.index(after: eq)...]).trimmingSpaces()
        if path.isEmpty || expr.isEmpty { throw UsageError(message: "--set needs PATH=EXPR, got '\(s)'") }
        return (path, expr)
    }
}

extension String {
    func trimmingSpaces() -> String {
        var s = Substring(self)
        while let f = s.first, f == " " || f == "\t" { s.removeFirst() }
        while let l = s.last, l == " " || l == "\t" { s.removeLast() }
        return String(s)
    }
}

/// Terminal facts that decide colour.
enum Terminal {
    static func colorEnabled(fd: Int32) -> Bool {
        if getenv("NO_COLOR") != nil { return false }
        return isatty(fd) == 1
    }
}

/// Set when writing to standard output or standard error failed (a full disk, a closed
/// descriptor, a reader that went away): the process then exits 74 instead of 0.
nonisolated(unsafe) var outputFailed = false
nonisolated(unsafe) var outputErrno: Int32 = 0

/// Writes all of `s` to standard output (1) or standard error (2), exactly; a failure
/// is remembered for the exit code.
func writeFD(_ fd: Int32, _ s: String) {
    let bytes = Array(s.utf8)
    var off = 0
    while off < bytes.count {
        let n = bytes.withUnsafeBytes { write(fd, $0.baseAddress! + off, $0.count - off) }
        if n < 0 && errno == EINTR { continue }
        if n <= 0 { outputFailed = true; outputErrno = errno; break }
        off += n
    }
}

/// C0 controls other than tab and newline, DEL and C1 controls: what a terminal obeys.
func isTerminalControl(_ c: Unicode.Scalar) -> Bool {
    (c.value < 0x20 && c != "\n" && c != "\t") || (c.value >= 0x7F && c.value <= 0x9F)
}

/// Human-facing text on its way to `fd`: every control character a terminal would obey
/// is shown escaped (`\u{1B}`), also into a pipe (cli.md). ``Style``'s colour codes
/// (``sgrMarker``) become `ESC[…m` when colour is on for that descriptor and are dropped
/// otherwise. With `keepSGR`, a real `ESC[…m` is kept too (on a colour descriptor): for
/// text that escaped its own content first (``renderDiagnostic(_:color:)``); without it,
/// as for reports that carry a model's strings, every ESC is shown escaped.
func terminalSafe(_ s: String, fd: Int32, keepSGR: Bool = true) -> String {
    let mark = sgrMarker
    guard s.unicodeScalars.contains(where: { isTerminalControl($0) || $0 == mark[0] }) else { return s }
    let color = Terminal.colorEnabled(fd: fd)
    let u = Array(s.unicodeScalars)
    var out = String.UnicodeScalarView()
    /// The end (after `m`) of an SGR's parameters starting at `j`, or nil.
    func sgrEnd(_ j: Int) -> Int? {
        var j = j
        while j < u.count, ("0"..."9").contains(u[j]) || u[j] == ";" { j += 1 }
        return j < u.count && u[j] == "m" ? j + 1 : nil
    }
    var i = 0
    while i < u.count {
        let c = u[i]
        if c == mark[0], i + mark.count <= u.count, Array(u[i..<(i + mark.count)]) == mark, let e = sgrEnd(i + mark.count) {
            if color {
                out.append("\u{1B}")
                out.append("[")
                out.append(contentsOf: u[(i + mark.count)..<e])
            }
            i = e
            continue
        }
        if keepSGR, color, c == "\u{1B}", i + 1 < u.count, u[i + 1] == "[", let e = sgrEnd(i + 2) {
            out.append(contentsOf: u[i..<e])
            i = e
            continue
        }
        if isTerminalControl(c) {
            out.append(contentsOf: ("\\u{" + String(c.value, radix: 16, uppercase: true) + "}").unicodeScalars)
        } else {
            out.append(c)
        }
        i += 1
    }
    return String(out)
}

/// Writes a human-facing message to standard error (a newline added when missing).
func writeErr(_ s: String) {
    writeFD(2, terminalSafe(s.hasSuffix("\n") ? s : s + "\n", fd: 2, keepSGR: false))
}

/// Writes human-facing text to standard output (unbuffered, so it interleaves correctly
/// with stderr), control characters escaped.
func writeOut(_ s: String) {
    writeFD(1, terminalSafe(s, fd: 1, keepSGR: false))
}

/// Writes machine-readable output (JSON, formatted source) to standard output exactly.
func writeOutExact(_ s: String) {
    writeFD(1, s)
}

func emit(_ diagnostics: [Diagnostic], json: Bool) {
    let color = Terminal.colorEnabled(fd: 2)
    for d in sortedDiagnostics(diagnostics) {
        // A rendered diagnostic escaped its own text: its colour codes are the only ESCs in it.
        if json { writeFD(2, d.jsonLine + "\n") } else { writeFD(2, terminalSafe(renderDiagnostic(d, color: color) + "\n", fd: 2, keepSGR: true)) }
    }
}

/// Diagnostics in source order (docs/cli.md): by file (in the order the files first
/// appear), then line, then column; unlocated ones last in their file, and the "more than N
/// diagnostics" marker at the very end, where the cut happened.
func sortedDiagnostics(_ ds: [Diagnostic]) -> [Diagnostic] {
    // A note (`called from …`) belongs to the error before it and moves with it.
    var groups: [[Diagnostic]] = []
    for d in ds {
        if d.severity == .note, !groups.isEmpty { groups[groups.count - 1].append(d) } else { groups.append([d]) }
    }
    var fileRank: [String: Int] = [:]
    for g in groups where fileRank[g[0].path] == nil { fileRank[g[0].path] = fileRank.count }
    func isMarker(_ d: Diagnostic) -> Bool { d.message.hasPrefix("more than ") && d.message.hasSuffix("the rest are not shown") }
    return groups.enumerated().sorted { x, y in
        let a = x.element[0], b = y.element[0]
        let ka = (isMarker(a) ? 1 : 0, fileRank[a.path]!, a.line == 0 ? Int.max : a.line, a.column)
        let kb = (isMarker(b) ? 1 : 0, fileRank[b.path]!, b.line == 0 ? Int.max : b.line, b.column)
        return ka != kb ? ka < kb : x.offset < y.offset
    }.flatMap(\.element)
}

/// Diagnostics without repeats (a runtime error found at load and again by the report).
func unique(_ ds: [Diagnostic]) -> [Diagnostic] { uniqueDiagnostics(ds) }

/// Engines live until the process exits: freeing a large model just before exit is wasted work.
nonisolated(unsafe) var liveEngines: [Engine] = []

/// A loaded model, or the exit code of a load that failed (its diagnostics already shown).
enum Loaded {
    case model(Engine, [Diagnostic])
    case failed(Int32)

    /// The engine and its load diagnostics, or leave the command with the load's exit code.
    func get() throws -> (Engine, [Diagnostic]) {
        switch self {
        case .model(let e, let d): return (e, d)
        case .failed(let code): throw ExitCode(code)
        }
    }
}

/// Reads FILE (`-` is stdin) and loads it into a fresh engine. Compile errors and
/// unreadable files are reported here; runtime errors come back with the engine, which
/// stays queryable.
/// The evaluation date: `--as-of`, else the system date (the library reads no clock of
/// its own when the host gives it one; reports state it).
nonisolated(unsafe) var cliAsOf: CalendarDate?

/// The configuration every command's engine starts from.
func cliConfiguration() -> Configuration {
    var config = Configuration()
    config.asOf = cliAsOf ?? CalendarDate(unixSeconds: Double(time(nil)))
    return config
}

func loadModel(_ file: String, json: Bool, runStatements: Bool = false, keepsSeries: Bool = false) -> Loaded {
    var config = cliConfiguration()
    config.keepsSeries = keepsSeries
    config.useDefaultImporter = true
    config.samples = cliSimulation.samples
    config.seed = cliSimulation.seed
    config.threads = threadsFromEnvironment()
    // Standard input has no folder of its own: imports resolve under the working directory.
    if file == "-" { config.importer = FileImporter(root: ".") }
    let engine = Engine(configuration: config)
    liveEngines.append(engine)
    do {
        if file == "-" {
            guard let bytes = readStdin() else {
                let d = Diagnostic(severity: .error, kind: .io, message: "cannot read standard input", path: "<stdin>")
                emit([d], json: json)
                return .failed(Exit.noInput)
            }
            if let bad = invalidUTF8(bytes, path: "<stdin>") {
                emit([bad], json: json)
                return .failed(Exit.dataError)
            }
            try engine.load(source: String(decoding: bytes, as: UTF8.self), path: "<stdin>", runStatements: runStatements)
        } else {
            // The size only tunes the heap: a file that changes in between is read as it is.
            var st = stat()
            if stat(file, &st) == 0 { Heap.prepare(forSourceBytes: Int(st.st_size)) }
            try engine.load(file: file, runStatements: runStatements)
        }
        return .model(engine, engine.diagnostics)
    } catch let e as StratError {
        let code = Exit.code(for: e.diagnostics)
        // Like a spreadsheet, an evaluation error fails only its own cells: the model is
        // still reported. Only a model that did not parse or resolve stops here.
        if code == Exit.noInput || !engine.isEvaluated {
            emit(e.diagnostics, json: json)
            return .failed(code)
        }
        return .model(engine, e.diagnostics)
    } catch {
        writeErr("error: \(error)")
        return .failed(Exit.software)
    }
}

/// A diagnostic for the first invalid UTF-8 sequence, or nil when the bytes are valid.
func invalidUTF8(_ bytes: [UInt8], path: String) -> Diagnostic? {
    var line = 1, column = 1
    var it = bytes.makeIterator()
    var decoder = UTF8()
    loop: while true {
        switch decoder.decode(&it) {
        case .scalarValue(let s):
            if s == "\n" { line += 1; column = 1 } else { column += 1 }
        case .emptyInput: break loop
        case .error:
            return Diagnostic(severity: .error, kind: .compile, message: "invalid UTF-8", path: path,
                              line: line, column: column)
        }
    }
    return nil
}

/// Standard input, at most the source limit + 1 bytes (the loader reports a larger input).
func readStdin() -> [UInt8]? { readAll(fd: 0, limit: Limits().maxSourceBytes) }

/// Checks `--scenario`: an unknown name is a usage error (exit 64).
func checkScenario(_ name: String?, in engine: Engine, json: Bool) throws {
    guard let name, name != "baseline", !engine.scenarioNames.contains(name) else { return }
    let known = ["baseline"] + engine.scenarioNames
    let list = "scenarios: \(known.joined(separator: ", "))"
    // Only scenarios are suggested here (a value of the same spelling is not one).
    let hint = Arguments.closestWord(name, among: known).map { "did you mean '\($0)'? (\(list))" } ?? list
    let d = Diagnostic(severity: .error, kind: .compile, message: "unknown scenario '\(name)'", hint: hint)
    emit([d], json: json)
    throw ExitCode(Exit.usage)
}

/// The exit code for a ``StratError`` thrown while applying a scenario and `--set`
/// overrides: problems in `--set` are usage errors (64), problems in the model's own
/// scenarios are script errors (65).
func overrideFailure(_ e: StratError, engine: Engine, overrides: [(path: String, expr: String)], json: Bool) -> ExitCode {
    emit(e.diagnostics, json: json)
    let code = Exit.code(for: e.diagnostics)
    if code == Exit.dataError, !overrides.isEmpty {
        do { _ = try engine.whatIf(overrides) } catch let e2 as StratError {
            if Exit.code(for: e2.diagnostics) == Exit.dataError { return ExitCode(Exit.usage) }
        } catch {}
    }
    return ExitCode(code == Exit.ok ? Exit.dataError : code)
}

/// The `strat` command: dispatches to a subcommand.
enum Strat {
    static let abstract = "Model strategy as code: missions, SWOTs, OKRs, metrics, scenarios and projections."
    static let discussion = """
        Exit codes: 0 success, 1 an assert failed, 64 usage error, 65 the script has \
        errors, 66 an input file cannot be read, 70 a runtime error.

        Examples:
          strat run examples/netflix-engineering.strat
          strat eval plan.strat -e plan.score -e 'MODERNIZE_PLATFORM.score'
          strat compare plan.strat
          strat whatif plan.strat --set churn=3.2%
          strat solve plan.strat churn --for 'subscribers.final = 300M'
          strat sensitivity plan.strat plan.score --top 5
          strat fmt --check *.strat
          strat                          (the interactive REPL)
        """

    /// Subcommands: name, spec, and how to run parsed arguments.
    nonisolated(unsafe) static var commands: [(spec: CommandSpec, run: (ParsedArguments) throws -> Void)] = [
        (Run.spec, { try Run($0).run() }),
        (Eval.spec, { try Eval($0).run() }),
        (Check.spec, { try Check($0).run() }),
        (Compare.spec, { try Compare($0).run() }),
        (WhatIf.spec, { try WhatIf($0).run() }),
        (DiffCommand.spec, { try DiffCommand($0).run() }),
        (SamplesCommand.spec, { try SamplesCommand($0).run() }),
        (Solve.spec, { try Solve($0).run() }),
        (Sensitivity.spec, { try Sensitivity($0).run() }),
        (Fmt.spec, { try Fmt($0).run() }),
        (Watch.spec, { try Watch($0).run() }),
        (LSPCommand.spec, { try LSPCommand($0).run() }),
        (Completions.spec, { try Completions($0).run() }),
    ]

    static func usage() -> String {
        let columns = Arguments.helpWidth()
        var s = Arguments.wrap(abstract, width: columns)
            + "\n\nUsage: strat <command> [options]\n       strat --version | --help | <command> --help\n\nCommands:\n"
        let width = (commands.map { $0.spec.name.count }.max() ?? 4) + 2
        let indent = String(repeating: " ", count: width + 2)
        for c in commands {
            let lines = Arguments.wrapLines(c.spec.abstract, width: max(20, columns - width - 2))
            s += "  " + c.spec.name + String(repeating: " ", count: width - c.spec.name.count) + lines[0] + "\n"
            for more in lines.dropFirst() { s += indent + more + "\n" }
        }
        return s + "\n" + Arguments.wrap(discussion, width: columns) + "\n"
    }

    /// Runs the command line and exits with its code.
    static func main(_ argv: [String] = Array(CommandLine.arguments.dropFirst())) -> Never {
        // A reader that went away is a write error (EPIPE, exit 74), not a silent signal death.
        signal(SIGPIPE, SIG_IGN)
        let code = run(argv)
        exit(finalExitCode(code))
    }

    /// The exit code once output is flushed: 74 when any write to stdout or stderr failed
    /// and nothing more serious happened.
    static func finalExitCode(_ code: Int32) -> Int32 {
        if fflush(nil) != 0 { outputFailed = true; outputErrno = errno }
        guard outputFailed else { return code }
        if outputErrno != EPIPE { writeFD(2, "error: cannot write the output\n") }
        return code == Exit.ok || code == Exit.assertion ? Exit.ioError : code
    }

    static func run(_ argv: [String]) -> Int32 {
        guard let first = argv.first else {
            if let repl = replEntry { return repl([]) }
            writeOut(usage())
            return 0
        }
        switch first {
        case "--help", "-h", "help":
            if first == "help", argv.count > 1, let c = commands.first(where: { $0.spec.name == argv[1] }) {
                writeOut(Arguments.help(c.spec))
            } else {
                writeOut(usage())
            }
            return 0
        case "--version":
            writeOut("strat \(StratKit.version)\n")
            return 0
        default: break
        }
        if first == "repl", let repl = replEntry { return repl(Array(argv.dropFirst())) }
        guard let cmd = commands.first(where: { $0.spec.name == first }) else {
            let hint = Arguments.closestWord(first, among: commands.map(\.spec.name) + ["repl"]).map { " (did you mean '\($0)'?)" } ?? ""
            writeErr("error: unknown command '\(first)'\(hint)\nRun 'strat --help' for the list of commands.")
            return Exit.usage
        }
        do {
            let parsed = try Arguments.parse(Array(argv.dropFirst()), cmd.spec)
            if parsed.flag("help") {
                writeOut(Arguments.help(cmd.spec))
                return 0
            }
            try cmd.run(parsed)
            return 0
        } catch let e as UsageError {
            writeErr("error: \(e.message)\n\(Arguments.usageLine(cmd.spec, width: Arguments.helpWidth()))\nSee 'strat \(cmd.spec.name) --help'.")
            return Exit.usage
        } catch let e as ExitCode {
            return e.code
        } catch {
            writeErr("error: \(error)")
            return Exit.software
        }
    }

    /// Set by the REPL module so that `strat` alone starts it.
    nonisolated(unsafe) static var replEntry: (([String]) -> Int32)?
}
