import ArgumentParser
import StratKit
#if canImport(Glibc)
import Glibc
#endif

/// Exit codes of SPEC §8.
enum Exit {
    static let ok: Int32 = 0, assertion: Int32 = 1, usage: Int32 = 64, dataError: Int32 = 65
    static let noInput: Int32 = 66, software: Int32 = 70

    static func code(for diagnostics: [Diagnostic]) -> Int32 {
        let errors = diagnostics.filter { $0.severity == .error }
        if errors.contains(where: { $0.kind == .io }) { return noInput }
        if errors.contains(where: { $0.kind == .compile }) { return dataError }
        if errors.contains(where: { $0.kind == .runtime }) { return software }
        if errors.contains(where: { $0.kind == .assertion }) { return assertion }
        return ok
    }
}

enum OutputFormat: String, ExpressibleByArgument, CaseIterable {
    case text, json, markdown
}

/// Shared options for commands that evaluate a model.
struct ModelOptions: ParsableArguments {
    @Option(name: .long, help: "Evaluate under this scenario (default: baseline).")
    var scenario: String?

    @Option(name: .customLong("set"), help: ArgumentHelp("Override a value: PATH=EXPR (repeatable).", valueName: "PATH=EXPR"))
    var sets: [String] = []

    func overrides() throws -> [(path: String, expr: String)] {
        try sets.map { s in
            guard let eq = s.firstIndex(of: "="), eq != s.startIndex else {
                throw ValidationError("--set needs PATH=EXPR, got '\(s)'")
            }
            return (String(s[..<eq]).trimmingSpaces(), String(s[s.index(after: eq)...]))
        }
    }
}

extension String {
    func trimmingSpaces() -> String {
        var s = Substring(self)
        while s.first == " " { s.removeFirst() }
        while s.last == " " { s.removeLast() }
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

func writeErr(_ s: String) {
    var s = s
    if !s.hasSuffix("\n") { s += "\n" }
    var bytes = Array(s.utf8)
    var off = 0
    while off < bytes.count {
        let n = bytes.withUnsafeMutableBytes { write(2, $0.baseAddress! + off, $0.count - off) }
        if n <= 0 { break }
        off += n
    }
}

func emit(_ diagnostics: [Diagnostic], json: Bool) {
    let color = Terminal.colorEnabled(fd: 2)
    for d in diagnostics {
        writeErr(json ? d.jsonLine : d.rendered(color: color))
    }
}

/// Reads FILE (`-` is stdin) and loads it into a fresh engine.
/// Engines live until the process exits: freeing a large model just before exit is wasted work.
nonisolated(unsafe) var liveEngines: [Engine] = []

func loadEngine(_ file: String, json: Bool, runStatements: Bool = false) -> (Engine, [Diagnostic])? {
    var config = Configuration()
    config.useDefaultImporter = true
    // Standard input has no folder of its own: imports resolve under the working directory.
    if file == "-" { config.importer = FileImporter(root: ".") }
    let engine = Engine(configuration: config)
    liveEngines.append(engine)
    let text: [UInt8]?
    let path: String
    if file == "-" {
        text = readStdin()
        path = "<stdin>"
    } else {
        text = readFileBytes(file)
        path = file
    }
    guard let bytes = text else {
        let d = Diagnostic(severity: .error, kind: .io, message: "cannot read '\(file)'", path: file)
        emit([d], json: json)
        exit(Exit.noInput)
    }
    do {
        try engine.load(bytes: bytes, path: path, runStatements: runStatements)
        return (engine, engine.diagnostics)
    } catch let e as StratError {
        if e.diagnostics.contains(where: { $0.severity == .error && $0.kind == .compile }) {
            emit(e.diagnostics, json: json)
            exit(Exit.dataError)
        }
        return (engine, e.diagnostics)
    } catch {
        writeErr("error: \(error)")
        exit(Exit.software)
    }
}

func readStdin() -> [UInt8]? {
    var out: [UInt8] = []
    var buf = [UInt8](repeating: 0, count: 65536)
    while true {
        let n = read(0, &buf, 65536)
        if n < 0 { return nil }
        if n == 0 { break }
        out.append(contentsOf: buf[0..<n])
    }
    return out
}

struct Strat: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "strat",
        abstract: "Model strategy as code: missions, SWOTs, OKRs, metrics, scenarios and projections.",
        discussion: """
        Examples:
          strat run examples/netflix-engineering.strat
          strat eval plan.strat -e plan.score -e 'MODERNIZE_PLATFORM.score'
          strat whatif plan.strat --set churn=3.2%
          strat                          (the interactive REPL)
        """,
        version: "strat \(StratKit.version)",
        subcommands: [Run.self, Eval.self, Check.self],
        defaultSubcommand: nil
    )
}

struct Run: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Evaluate a model and print its report.",
        discussion: """
        Prints the output of `print`, then the report: mission, SWOTs with IFE/EFE and
        posture, objectives with KR scores, the plan score, metrics, projections,
        alignment gaps and asserts. FILE `-` reads standard input.

        Examples:
          strat run plan.strat
          strat run plan.strat --scenario optimistic --set churn=3.5%
          strat run plan.strat --format json > report.json
        """)

    @Argument(help: "The model file (`-` for standard input).") var file: String
    @OptionGroup var model: ModelOptions
    @Option(name: .long, help: "Report format: text, json or markdown.") var format: OutputFormat = .text
    @Flag(name: .long, help: "Print only the output of `print` statements, no report.") var noReport = false

    func run() throws {
        let json = format == .json
        guard let (engine, loadDiags) = loadEngine(file, json: json) else { return }
        let overrides = try model.overrides()
        // Values that failed at load stay failed under a report; keep their diagnostics.
        var diags = loadDiags.filter { $0.kind != .assertion }
        let report: Report
        do {
            report = try engine.report(scenario: model.scenario, overrides: overrides)
        } catch let e as StratError {
            emit(e.diagnostics, json: json)
            throw ExitCode(Exit.code(for: e.diagnostics) == 0 ? Exit.dataError : Exit.code(for: e.diagnostics))
        }
        for d in report.diagnostics where !diags.contains(d) { diags.append(d) }
        if noReport {
            for p in report.prints { print(p) }
        } else {
            switch format {
            case .json: print(report.json())
            case .text, .markdown:
                for p in report.prints { print(p) }
                print(renderTextReport(report), terminator: "")
            }
        }
        emit(diags, json: json)
        let code = Exit.code(for: diags)
        if code != 0 { throw ExitCode(code) }
    }
}

struct Eval: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Evaluate expressions against a model (or none).",
        discussion: """
        Examples:
          strat eval -e '1.5B / 12'
          strat eval plan.strat -e plan.score -e MODERNIZE_PLATFORM.MICROSERVICES.progress
          strat eval plan.strat -e churn --set churn=4% --format json
        """)

    @Argument(help: "The model file (optional).") var file: String?
    @Option(name: .customShort("e"), help: ArgumentHelp("An expression (repeatable).", valueName: "EXPR")) var exprs: [String] = []
    @OptionGroup var model: ModelOptions
    @Option(name: .long, help: "Output format: text or json.") var format: OutputFormat = .text

    func validate() throws {
        if exprs.isEmpty { throw ValidationError("give at least one expression with -e EXPR") }
        if format == .markdown { throw ValidationError("eval supports --format text or json") }
    }

    func run() throws {
        let json = format == .json
        var engine = Engine()
        var diags: [Diagnostic] = []
        if let f = file {
            guard let (e, d) = loadEngine(f, json: json) else { return }
            engine = e
            diags = d.filter { $0.kind != .assertion }
        }
        let overrides = try model.overrides()
        var results: [(String, Result<Value, StratError>)] = []
        do {
            try engine.withOverrides(scenario: model.scenario, overrides: overrides) {
                for e in exprs {
                    do { results.append((e, .success(try engine.evaluate(e)))) } catch let err as StratError {
                        results.append((e, .failure(err)))
                    }
                }
            }
        } catch let e as StratError {
            emit(e.diagnostics, json: json)
            throw ExitCode(Exit.code(for: e.diagnostics) == 0 ? Exit.dataError : Exit.code(for: e.diagnostics))
        }
        var code: Int32 = Exit.code(for: diags)
        if json {
            var out = "["
            for (i, (e, r)) in results.enumerated() {
                if i > 0 { out += ",\n " }
                switch r {
                case .success(let v): out += v.evalJSON(expr: e)
                case .failure: out += Value.none.evalJSON(expr: e)
                }
            }
            print(out + "]")
        }
        for (_, r) in results {
            switch r {
            case .success(let v): if !json { print(v.description) }
            case .failure(let err):
                diags.append(contentsOf: err.diagnostics)
                code = max(code, Exit.code(for: err.diagnostics) == Exit.assertion ? Exit.software : Exit.code(for: err.diagnostics))
            }
        }
        emit(diags, json: json)
        if code != 0 { throw ExitCode(code) }
    }
}

struct Check: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Report diagnostics only; exit 0 when every file is clean.",
        discussion: """
        Examples:
          strat check plan.strat
          strat check strategy/*.strat --format json
        """)

    @Argument(help: "Model files.") var files: [String]
    @Option(name: .long, help: "Diagnostics format: text or json.") var format: OutputFormat = .text

    func run() throws {
        var worst: Int32 = 0
        for f in files {
            guard let (_, d) = loadEngine(f, json: format == .json) else { continue }
            emit(d, json: format == .json)
            worst = max(worst, Exit.code(for: d))
        }
        if worst != 0 { throw ExitCode(worst) }
    }
}
