import StratKit

struct Run {
    static let spec = CommandSpec(
        name: "run",
        abstract: "Evaluate a model and print its report.",
        positionals: "FILE", minPositionals: 1, maxPositionals: 1,
        options: [ModelOptions.specs[0], ModelOptions.specs[1], ModelOptions.specs[2], OptionSpec(long: "format", value: "FORMAT", help: "Output format: text, json, markdown or html.", choices: ["text", "json", "markdown", "html"]), OptionSpec(long: "output", short: "o", value: "FILE", help: "Write the report to FILE (atomically) instead of standard output."), OptionSpec(long: "sensitivity", value: "TARGET", help: "With --format html: add a tornado chart of what moves TARGET most."), OptionSpec(long: "no-report", help: "Print only the output of `print` statements, no report.")] + ModelOptions.simulationSpecs,
        discussion: """
        Prints the output of `print`, then the report: mission, SWOTs with IFE/EFE \
        and posture, objectives with KR scores, the plan score, metrics, \
        projections, alignment gaps, retros and asserts. Empty sections are left \
        out. FILE `-` reads standard input. Text is coloured only on a terminal and \
        never when NO_COLOR is set.

        Exit codes: 0 ok, 1 an assert failed, 64 usage (also an unknown --scenario \
        or a bad --set), 65 script errors, 66 unreadable file, 70 runtime error.

        Examples:
          strat run plan.strat
          strat run plan.strat --scenario optimistic --set churn=3.5%
          strat run plan.strat --format json > report.json
          strat run plan.strat --format markdown > REPORT.md
          strat run plan.strat --format html -o report.html
          cat plan.strat | strat run -
        """)

    var file: String
    var model: ModelOptions
    var format: OutputFormat = .text
    var noReport = false
    /// `--format html`: the HTML report (HTML/HTMLReport.swift).
    var html = false
    var output: String?
    var sensitivity: String?

    init(_ a: ParsedArguments) throws {
        file = a.positionals[0]
        model = try ModelOptions(a)
        format = OutputFormat(rawValue: a.value("format") ?? "text") ?? .text
        noReport = a.flag("no-report")
        html = a.value("format") == "html"
        output = a.value("output")
        sensitivity = a.value("sensitivity")
        if sensitivity != nil && !html { throw UsageError(message: "--sensitivity needs --format html (or use 'strat sensitivity')") }
    }

    func run() throws {
        let json = format == .json
        let overrides = try model.overrides()
        // The report will show every projection's series: keep them from the first evaluation.
        let (engine, loadDiags) = try loadModel(file, json: json, keepsSeries: !noReport).get()
        try checkScenario(model.scenario, in: engine, json: json)
        let report: Report
        do {
            // Only the JSON report lists the variables.
            report = try engine.report(scenario: model.scenario, overrides: overrides, includeSeries: !noReport,
                                       includeVariables: json)
        } catch let e as StratError {
            emit(loadDiags.filter { $0.severity != .error }, json: json)
            throw overrideFailure(e, engine: engine, overrides: overrides, json: json)
        }
        let diags = unique(loadDiags.filter { $0.kind != .assertion } + report.diagnostics)
        var out = ""
        if noReport {
            for p in report.prints { out += p + "\n" }
        } else if html {
            var sens: SensitivityResult?
            if let target = sensitivity {
                do {
                    sens = try engine.sensitivity(of: target, scenario: model.scenario, overrides: overrides)
                } catch let e as StratError {
                    emit(e.diagnostics, json: json)
                    let code = Exit.code(for: e.diagnostics)
                    throw ExitCode(code == Exit.ok ? Exit.software : code)
                }
            }
            out = renderHTMLReport(report, note: scenarioNote(report.scenario, overrides),
                                   scenarios: scenarioSet(engine, overrides: overrides), sensitivity: sens, diagnostics: diags)
        } else {
            switch format {
            case .json:
                out = report.json() + "\n"
            case .text:
                for p in report.prints { out += p + "\n" }
                let note = scenarioNote(report.scenario, overrides)
                let body = renderTextReport(report, color: output == nil && Terminal.colorEnabled(fd: 1), note: note)
                if !out.isEmpty && !body.isEmpty { out += "\n" }
                out += body
            case .markdown:
                out = renderMarkdownReport(report, note: scenarioNote(report.scenario, overrides))
            }
        }
        if let path = output {
            if let problem = writeOutputFile(path, out) {
                emit([Diagnostic(severity: .error, kind: .io, message: problem, path: path)], json: json)
                throw ExitCode(Exit.software)
            }
        } else if format == .json {
            writeOutExact(out)   // machine-readable: exact (JSON escapes its own controls)
        } else {
            writeOut(out)
        }
        emit(diags, json: json)
        let code = Exit.code(for: diags)
        if code != 0 { throw ExitCode(code) }
    }
}

/// `optimistic, churn = 3.5%` — what the report was evaluated under, or nil for the baseline.
func scenarioNote(_ scenario: String, _ overrides: [(path: String, expr: String)]) -> String? {
    var parts: [String] = []
    if scenario != "baseline" || !overrides.isEmpty { parts.append(scenario) }
    for o in overrides { parts.append("\(o.path) = \(o.expr)") }
    return parts.isEmpty ? nil : parts.joined(separator: ", ")
}

struct Eval {
    static let spec = CommandSpec(
        name: "eval",
        abstract: "Evaluate expressions against a model (or none).",
        positionals: "[FILE]", minPositionals: 0, maxPositionals: 1,
        options: [OptionSpec(long: "expr", short: "e", value: "EXPR", help: "An expression to evaluate.", repeatable: true), ModelOptions.specs[0], ModelOptions.specs[1], ModelOptions.specs[2], OptionSpec(long: "format", value: "FORMAT", help: "Output format: text or json.", choices: ["text", "json"])] + ModelOptions.simulationSpecs,
        discussion: """
        Prints one value per -e, in its display form (`85%`, `$2.5M`, `1100ms`). \
        With --format json, prints a JSON array of {"expr", "value", "unit", \
        "display"}, numbers in base units (seconds, dollars). An expression that \
        fails prints `error` on its line (`null` in JSON) and its diagnostic on \
        stderr; the others are still evaluated.

        Examples:
          strat eval -e '1.5B / 12' -e '100ms + 1s'
          strat eval plan.strat -e plan.score -e MODERNIZE_PLATFORM.MICROSERVICES.progress
          strat eval plan.strat -e churn --set churn=4% --format json
          strat eval plan.strat --scenario optimistic -e 'subscribers.final'
        """)

    var file: String?
    var exprs: [String] = []
    var model: ModelOptions
    var format: OutputFormat = .text


    init(_ a: ParsedArguments) throws {
        file = a.positionals.first
        exprs = a.all("expr")
        model = try ModelOptions(a)
        format = OutputFormat(rawValue: a.value("format") ?? "text") ?? .text
        try validate()
    }

    func validate() throws {
        if exprs.isEmpty { throw UsageError(message: "give at least one expression with -e EXPR") }
        if format == .markdown { throw UsageError(message: "eval supports --format text or json") }
    }

    func run() throws {
        let json = format == .json
        var engine = Engine(configuration: cliConfiguration())
        var diags: [Diagnostic] = []
        if let f = file {
            switch loadModel(f, json: json, runStatements: false) {
            case .model(let e, let d):
                engine = e
                diags = d.filter { $0.kind != .assertion }
            case .failed(let code):
                throw ExitCode(code)
            }
        }
        let overrides = try model.overrides()
        try checkScenario(model.scenario, in: engine, json: json)
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
            emit(diags, json: json)
            throw overrideFailure(e, engine: engine, overrides: overrides, json: json)
        }
        var code = Exit.code(for: diags)
        var out = ""
        if json {
            out = "["
            for (i, (e, r)) in results.enumerated() {
                if i > 0 { out += ",\n " }
                switch r {
                case .success(let v): out += v.evalJSON(expr: e)
                case .failure: out += Value.none.evalJSON(expr: e)
                }
            }
            out += "]\n"
        }
        for (_, r) in results {
            switch r {
            case .success(let v): if !json { out += v.description + "\n" }
            case .failure(let err):
                // One line per expression, so outputs line up with the -e list.
                if !json { out += "error\n" }
                diags.append(contentsOf: err.diagnostics)
                let c = Exit.code(for: err.diagnostics)
                code = Exit.worst(code, c == Exit.assertion || c == Exit.ok ? Exit.software : c)
            }
        }
        if json { writeOutExact(out) } else { writeOut(out) }
        emit(unique(diags), json: json)
        if code != 0 { throw ExitCode(code) }
    }
}

struct Check {
    static let spec = CommandSpec(
        name: "check",
        abstract: "Report diagnostics only; exit 0 when every file is clean.",
        positionals: "FILE…", minPositionals: 1, maxPositionals: 100000,
        options: [OptionSpec(long: "format", value: "FORMAT", help: "Output format: text or json.", choices: ["text", "json"]),
                  ModelOptions.specs[2]],
        discussion: """
        Loads every file, evaluates it and runs its asserts, and prints the \
        diagnostics (errors and warnings) of all of them. The exit code is the most \
        serious problem found: 66 unreadable file, 65 script errors, 70 runtime \
        errors, 1 a failed assert.

        Examples:
          strat check plan.strat
          strat check strategy/*.strat --format json
        """)

    var files: [String]
    var format: OutputFormat = .text


    init(_ a: ParsedArguments) throws {
        files = a.positionals
        format = OutputFormat(rawValue: a.value("format") ?? "text") ?? .text
        try ModelOptions.takeAsOf(a)
        try validate()
    }

    func validate() throws {
        if files.isEmpty { throw UsageError(message: "give at least one file to check") }
        if format == .markdown { throw UsageError(message: "check supports --format text or json") }
    }

    func run() throws {
        let json = format == .json
        var worst: Int32 = 0
        for f in files {
            switch loadModel(f, json: json, runStatements: true) {
            case .failed(let code):
                worst = Exit.worst(worst, code)
            case .model(let engine, let d):
                let all = sortedDiagnostics(unique(d + Self.scenarioProblems(engine)))
                emit(all, json: json)
                worst = Exit.worst(worst, Exit.code(for: all))
            }
        }
        if worst != 0 { throw ExitCode(worst) }
    }

    /// What goes wrong only under a scenario: a cycle its overrides create (located at the
    /// override), an override that does not compile, a runtime error of that world. Failed
    /// asserts under a scenario are not problems of the file (a scenario may be meant to
    /// break one).
    static func scenarioProblems(_ engine: Engine) -> [Diagnostic] {
        var out: [Diagnostic] = []
        for n in engine.scenarioNames {
            do {
                let r = try engine.report(scenario: n, overrides: [], includeSeries: false)
                out += r.diagnostics.filter { $0.kind != .assertion && $0.severity == .error }
            } catch let e as StratError {
                out += e.diagnostics
            } catch {}
        }
        return out
    }
}
