import StratKit

// MARK: - JSON output helpers

/// A JSON string literal (StratKit's own escaping, shared with its reports).
func jsonString(_ s: String) -> String { jsonQuoted(s) }

func jsonNumber(_ d: Double) -> String {
    guard d.isFinite else { return "null" }
    if d == d.rounded(), abs(d) < 1e15 { return String(Int64(d)) }
    return "\(d)"
}

/// A value as `run --format json` writes it: numbers as {"value","unit","display"}.
func jsonValue(_ v: Value) -> String {
    switch v {
    case .number(let d, let u):
        return "{\"value\": \(jsonNumber(d)), \"unit\": \(jsonString(u.symbol)), \"display\": \(jsonString(v.description))}"
    case .string(let s): return jsonString(s)
    case .bool(let b): return b ? "true" : "false"
    case .none: return "null"
    case .ref(let r): return jsonString(r.path)
    case .list(let l): return "[" + l.map(jsonValue).joined(separator: ", ") + "]"
    case .dist: return v.reportJSON
    }
}

// MARK: - compare

struct Compare {
    static let spec = CommandSpec(
        name: "compare",
        abstract: "Key outputs of every scenario side by side.",
        positionals: "FILE", minPositionals: 1, maxPositionals: 1,
        options: [OptionSpec(long: "scenarios", value: "a,b,…", help: "Scenarios to compare (default: baseline and every declared scenario)."), OptionSpec(long: "set", value: "PATH=EXPR", help: "Override a value in every scenario.", repeatable: true), OptionSpec(long: "expr", short: "e", value: "EXPR", help: "Add a row: this expression in each scenario.", repeatable: true), ModelOptions.specs[2], OptionSpec(long: "format", value: "FORMAT", help: "Output format: text, json or markdown.", choices: ["text", "json", "markdown"])] + ModelOptions.simulationSpecs,
        discussion: """
        One table with a column per scenario (baseline first, then every declared \
        scenario, or those given with --scenarios) and a row per key output: the \
        plan score, each objective's score, each metric's current value and score, \
        and each projection's final value. A value that differs from the first \
        column is marked ▲ (higher), ▼ (lower) or * (changed, not a number). --set \
        applies to every column. Each -e EXPR adds a row after those: the expression \
        evaluated in each scenario (`error` where it fails, its diagnostic on stderr).

        Examples:
          strat compare plan.strat
          strat compare plan.strat --scenarios baseline,optimistic
          strat compare plan.strat -e 'revenue.final - costs.final' -e 'P(plan.score > 0.7)'
          strat compare plan.strat --format markdown >> REPORT.md
          strat compare plan.strat --format json
        """)

    var file: String
    var scenarios: String?
    var sets: [String] = []
    /// `-e EXPR`: rows of the user's choosing.
    var exprs: [String] = []
    var format: OutputFormat = .text


    init(_ a: ParsedArguments) throws {
        file = a.positionals[0]
        scenarios = a.value("scenarios")
        sets = a.all("set")
        exprs = a.all("expr")
        try ModelOptions.takeAsOf(a)
        format = OutputFormat(rawValue: a.value("format") ?? "text") ?? .text
        try parseSimulationOptions(a)
        try validate()
    }

    func validate() throws {
        _ = try parseOverrides(sets)
        if let s = scenarios, s.split(separator: ",", omittingEmptySubsequences: false)
            .map({ String($0).trimmingSpaces() }).contains(where: \.isEmpty) {
            throw UsageError(message: "--scenarios needs comma-separated names, got '\(s)'")
        }
    }

    struct Row {
        var key: String
        var values: [Value]
        var isScore: Bool
        /// Columns whose value failed (`-e` rows): shown as `error`, `null` in JSON.
        var failed: Set<Int> = []
        /// A `-e` row.
        var fromUser = false
    }

    func run() throws {
        let json = format == .json
        let overrides = try parseOverrides(sets)
        let (engine, loadDiags) = try loadModel(file, json: json).get()
        let names = scenarios.map { $0.split(separator: ",").map { String($0).trimmingSpaces() } }
            ?? (["baseline"] + engine.scenarioNames)
        for n in names { try checkScenario(n, in: engine, json: json) }
        var reports: [Report] = []
        var diags = loadDiags.filter { $0.kind != .assertion }
        // One value per -e and scenario; a failure is `error` in its cell.
        var extra = exprs.map { Row(key: $0, values: [], isScore: false, fromUser: true) }
        var failed = Set<[Int]>()
        var code: Int32 = Exit.ok
        for (k, n) in names.enumerated() {
            do {
                let r = try engine.report(scenario: n, overrides: overrides, includeSeries: false)
                reports.append(r)
                diags += r.diagnostics.filter { $0.kind != .assertion }
                try engine.withOverrides(scenario: n, overrides: overrides) {
                    for (i, e) in exprs.enumerated() {
                        do { extra[i].values.append(try engine.evaluate(e)) } catch let err as StratError {
                            extra[i].values.append(.none)
                            failed.insert([i, k])
                            diags += err.diagnostics
                            let c = Exit.code(for: err.diagnostics)
                            code = Exit.worst(code, c == Exit.assertion || c == Exit.ok ? Exit.software : c)
                        }
                    }
                }
            } catch let e as StratError {
                emit(unique(diags), json: json)
                throw overrideFailure(e, engine: engine, overrides: overrides, json: json)
            }
        }
        for i in extra.indices {
            for k in names.indices where failed.contains([i, k]) { extra[i].failed.insert(k) }
        }
        let rows = Self.compareRows(reports) + extra
        let out: String
        switch format {
        case .json: out = Self.compareJSON(names, rows)
        case .markdown: out = Self.compareMarkdown(names, rows)
        case .text: out = Self.compareText(names, rows, Style(color: Terminal.colorEnabled(fd: 1)))
        }
        if format == .json { writeOutExact(out) } else { writeOut(out) }
        let unique = unique(diags)
        emit(unique, json: json)
        code = Exit.worst(code, Exit.code(for: unique))
        if code != 0 { throw ExitCode(code) }
    }

    /// Rows in report order; a key missing from a report (it cannot be, the model is the
    /// same) shows as none.
    static func compareRows(_ reports: [Report]) -> [Row] {
        guard let first = reports.first else { return [] }
        func score(_ d: Double?) -> Value { d.map { .number($0) } ?? .none }
        var rows: [Row] = [Row(key: "plan.score", values: reports.map { score($0.plan.score) }, isScore: true)]
        for o in first.objectives {
            rows.append(Row(key: "\(o.name).score", values: reports.map { r in
                score(r.objectives.first { $0.name == o.name }?.score) }, isScore: true))
        }
        for m in first.metrics {
            rows.append(Row(key: "\(m.name).current", values: reports.map { r in
                r.metrics.first { $0.name == m.name }?.current.value ?? .none }, isScore: false))
            rows.append(Row(key: "\(m.name).score", values: reports.map { r in
                score(r.metrics.first { $0.name == m.name }?.score) }, isScore: true))
        }
        for p in first.projections {
            rows.append(Row(key: "\(p.name).final", values: reports.map { r in
                r.projections.first { $0.name == p.name }?.final.value ?? .none }, isScore: false))
        }
        return rows
    }

    /// `▲`, `▼`, `*` or "" for a value against the first column's.
    static func mark(_ v: Value, _ base: Value) -> String {
        switch (v, base) {
        case (.number(let a, _), .number(let b, _)):
            if a == b || abs(a - b) <= 1e-9 * max(abs(a), abs(b)) { return "" }
            return a > b ? "▲" : "▼"
        default:
            return v.description == base.description ? "" : "*"
        }
    }

    static func cellText(_ v: Value, score: Bool) -> String {
        if case .none = v { return "—" }
        if score, let d = v.doubleValue { return fmt2(d) }
        return v.description
    }

    static func compareText(_ names: [String], _ rows: [Row], _ st: Style) -> String {
        var t: [[Cell]] = [[.empty] + names.map { Cell($0, st.bold($0)) }]
        for r in rows {
            var line = [Cell(r.key)]
            for (i, v) in r.values.enumerated() {
                let m = i == 0 || r.failed.contains(i) || r.failed.contains(0) ? "" : mark(v, r.values[0])
                let text = r.failed.contains(i) ? "error" : cellText(v, score: r.isScore)
                let shown = m == "▲" ? st.green(m) : m == "▼" ? st.red(m) : m
                line.append(Cell(text + " " + (m.isEmpty ? " " : m), text + " " + (m.isEmpty ? " " : shown)))
            }
            t.append(line)
        }
        // Header cells line up with the values (which carry a mark column).
        t[0] = [.empty] + names.map { Cell($0 + "  ", st.bold($0) + "  ") }
        return renderTable(t, align: [.left] + names.map { _ in .right }, indent: "", gap: "   ").joined(separator: "\n") + "\n"
    }

    static func compareMarkdown(_ names: [String], _ rows: [Row]) -> String {
        let body = rows.map { r -> [String] in
            // A -e row's key and values are the user's text: escaped.
            func md(_ s: String) -> String { r.fromUser ? mdText(s) : s }
            let cells: [String] = r.values.enumerated().map { i, v -> String in
                if r.failed.contains(i) { return "error" }
                let m = i == 0 || r.failed.contains(0) ? "" : mark(v, r.values[0])
                return md(cellText(v, score: r.isScore)) + (m.isEmpty ? "" : " " + m)
            }
            return [md(r.key)] + cells
        }
        return mdTable([""] + names, body, right: Set(1...max(1, names.count))).joined(separator: "\n") + "\n"
    }

    static func compareJSON(_ names: [String], _ rows: [Row]) -> String {
        var out = "{\n  \"scenarios\": [" + names.map(jsonString).joined(separator: ", ") + "],\n  \"rows\": ["
        for (i, r) in rows.enumerated() {
            out += i == 0 ? "\n" : ",\n"
            let values = r.values.map { v -> String in
                if r.isScore { return v.doubleValue.map(jsonNumber) ?? "null" }
                return jsonValue(v)
            }
            let changed = r.values.enumerated().map { k, v in
                k == 0 || r.failed.contains(k) || r.failed.contains(0) ? "false" : (mark(v, r.values[0]).isEmpty ? "false" : "true")
            }
            out += "    {\"key\": \(jsonString(r.key)), \"values\": [\(values.joined(separator: ", "))], \"changed\": [\(changed.joined(separator: ", "))]}"
        }
        return out + (rows.isEmpty ? "]\n}\n" : "\n  ]\n}\n")
    }
}

// MARK: - whatif

struct WhatIf {
    static let spec = CommandSpec(
        name: "whatif",
        abstract: "The values that change under overrides, before → after.",
        positionals: "FILE", minPositionals: 1, maxPositionals: 1,
        options: [ModelOptions.specs[1], ModelOptions.specs[0], ModelOptions.specs[2], OptionSpec(long: "format", value: "FORMAT", help: "Output format: text or json.", choices: ["text", "json"])] + ModelOptions.simulationSpecs,
        discussion: """
        Applies the --set overrides to the model (under --scenario, default \
        baseline) without changing it, and prints every value that changed, in \
        dependency order: `path: before → after`. Only the dependents of the \
        overridden values are recomputed. Prints `no values change` when nothing \
        changes.

        Examples:
          strat whatif plan.strat --set churn=3.2%
          strat whatif plan.strat --set churn=3.2% --set members=275M
          strat whatif plan.strat --scenario optimistic --set \
          'MODERNIZE_PLATFORM.LATENCY.current=90ms'
          strat whatif plan.strat --set churn=4% --format json
        """)

    var file: String
    var model: ModelOptions
    var format: OutputFormat = .text


    init(_ a: ParsedArguments) throws {
        file = a.positionals[0]
        model = try ModelOptions(a)
        format = OutputFormat(rawValue: a.value("format") ?? "text") ?? .text
        try validate()
    }

    func validate() throws {
        if model.sets.isEmpty { throw UsageError(message: "give at least one override with --set PATH=EXPR") }
        if format == .markdown { throw UsageError(message: "whatif supports --format text or json") }
    }

    func run() throws {
        let json = format == .json
        let overrides = try model.overrides()
        let (engine, loadDiags) = try loadModel(file, json: json).get()
        try checkScenario(model.scenario, in: engine, json: json)
        let diags = loadDiags.filter { $0.kind != .assertion }
        var changes: [Change] = []
        var failure: StratError?
        do {
            try engine.withOverrides(scenario: model.scenario, overrides: []) {
                do { changes = try engine.whatIf(overrides) } catch let e as StratError { failure = e }
            }
        } catch let e as StratError {
            // The scenario itself does not apply: a problem in the model.
            emit(diags + e.diagnostics, json: json)
            let code = Exit.code(for: e.diagnostics)
            throw ExitCode(code == Exit.ok ? Exit.dataError : code)
        }
        if let e = failure {
            emit(diags + e.diagnostics, json: json)
            let code = Exit.code(for: e.diagnostics)
            // Errors compiling an override are usage errors; errors while recomputing are runtime errors.
            throw ExitCode(code == Exit.dataError ? Exit.usage : (code == Exit.ok ? Exit.software : code))
        }
        if json {
            var out = "["
            for (i, c) in changes.enumerated() {
                out += (i == 0 ? "\n  " : ",\n  ")
                out += "{\"path\": \(jsonString(c.path)), \"before\": \(jsonValue(c.before)), \"after\": \(jsonValue(c.after))}"
            }
            writeOutExact(out + (changes.isEmpty ? "]\n" : "\n]\n"))
        } else if changes.isEmpty {
            writeOut("no values change\n")
        } else {
            writeOut(renderChangeTable(changes, style: Style(color: Terminal.colorEnabled(fd: 1))))
        }
        emit(diags, json: json)
        let code = Exit.code(for: diags)
        if code != 0 { throw ExitCode(code) }
    }
}
