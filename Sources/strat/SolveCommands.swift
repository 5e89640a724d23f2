import StratKit

/// `strat solve FILE INPUT --for 'EXPR=VALUE' [--in LO,HI]`: goal seek (SPEC §16).
struct Solve {
    static let spec = CommandSpec(
        name: "solve",
        abstract: "Goal seek: the value of an input at which an expression reaches a value.",
        positionals: "FILE INPUT", minPositionals: 2, maxPositionals: 2,
        options: [OptionSpec(long: "for", value: "EXPR=VALUE", help: "The expression and the value it must reach."),
                  OptionSpec(long: "in", value: "LO,HI", help: "Search only between LO and HI (in INPUT's unit)."),
                  ModelOptions.specs[0], ModelOptions.specs[1], ModelOptions.specs[2],
                  OptionSpec(long: "format", value: "FORMAT", help: "Output format: text or json.", choices: ["text", "json"])],
        discussion: """
        Finds the value of INPUT (a let or a property path) at which EXPR equals \
        VALUE, everything else as it is; the model is not changed. Without --in the \
        search widens from INPUT's value on both sides until EXPR crosses VALUE; \
        Brent's method then converges to |EXPR - VALUE| <= 1e-9 x max(1, |VALUE|). \
        Where EXPR is a step function (a threshold key result's score) the answer is \
        the boundary. The answer has INPUT's unit; VALUE must have EXPR's dimension. \
        Each trial recomputes only INPUT's dependents.

        Exit codes: 0 solved, 64 usage, 65 script errors (also EXPR does not depend \
        on INPUT, or a unit mismatch), 66 unreadable file, 70 no solution in the \
        range searched (the message names it).

        Examples:
          strat solve plan.strat churn --for 'subscribers.final = 300M'
          strat solve plan.strat price --for 'revenue = $1M' --in '$1,$100'
          strat solve plan.strat users --for 'GROW.USERS.score = 1'
          strat solve plan.strat churn --for 'plan.score = 0.7' --scenario optimistic --format json
        """)

    var file: String
    var input: String
    var expression: String
    var value: String
    var range: (low: String, high: String)?
    var model: ModelOptions
    var format: OutputFormat = .text

    init(_ a: ParsedArguments) throws {
        file = a.positionals[0]
        input = a.positionals[1]
        guard let f = a.value("for") else { throw UsageError(message: "give the goal with --for 'EXPR=VALUE'") }
        guard let (e, v) = splitGoal(f) else {
            throw UsageError(message: "--for needs EXPR=VALUE (one '=' between them), got '\(f)'")
        }
        (expression, value) = (e, v)
        if let r = a.value("in") {
            guard let (lo, hi) = splitRange(r) else { throw UsageError(message: "--in needs LO,HI, got '\(r)'") }
            range = (lo, hi)
        }
        model = try ModelOptions(a)
        format = OutputFormat(rawValue: a.value("format") ?? "text") ?? .text
    }

    func run() throws {
        let json = format == .json
        let overrides = try model.overrides()
        let (engine, loadDiags) = try loadModel(file, json: json).get()
        try checkScenario(model.scenario, in: engine, json: json)
        let diags = loadDiags.filter { $0.kind != .assertion }
        let result: SolveResult
        do {
            result = try engine.solve(input, for: expression, equals: value, in: range, scenario: model.scenario, overrides: overrides)
        } catch let e as StratError {
            emit(unique(diags + e.diagnostics), json: json)
            let code = Exit.code(for: e.diagnostics)
            throw ExitCode(code == Exit.ok ? Exit.software : code)
        }
        writeOut(json ? result.json() + "\n" : renderSolve(result, color: Terminal.colorEnabled(fd: 1)))
        emit(diags, json: json)
    }
}

/// `strat sensitivity FILE TARGET [--by 10%] [--top N]`: a tornado of every input (SPEC §16).
struct Sensitivity {
    static let spec = CommandSpec(
        name: "sensitivity",
        abstract: "Which inputs move a value most: each input ±10%, as a tornado chart.",
        positionals: "FILE TARGET", minPositionals: 2, maxPositionals: 2,
        options: [OptionSpec(long: "by", value: "STEP", help: "How far to move each input, down and up (default 10%)."),
                  OptionSpec(long: "top", value: "N", help: "Show only the N inputs with the largest swing."),
                  ModelOptions.specs[0], ModelOptions.specs[1], ModelOptions.specs[2],
                  OptionSpec(long: "format", value: "FORMAT", help: "Output format: text, json or markdown.", choices: ["text", "json", "markdown"])],
        discussion: """
        For every input TARGET depends on (a let or a property whose formula reads \
        no other name, such as `let churn = 3.8%` or `current: 62%`), evaluates \
        TARGET with that input at x (1 - STEP) and x (1 + STEP), everything else as \
        it is, and lists the inputs by swing |high - low|, largest first, with the \
        elasticity (the relative change of TARGET per relative change of the input). \
        Each point is an incremental what-if. Text output is a tornado chart whose \
        centre line marks TARGET's base value.

        Examples:
          strat sensitivity plan.strat plan.score
          strat sensitivity plan.strat subscribers.final --by 20% --top 5
          strat sensitivity plan.strat plan.score --format markdown >> REVIEW.md
          strat sensitivity plan.strat 'revenue.final - costs.final' --format json
        """)

    var file: String
    var target: String
    var by = 0.1
    var top: Int?
    var model: ModelOptions
    var format: OutputFormat = .text

    init(_ a: ParsedArguments) throws {
        file = a.positionals[0]
        target = a.positionals[1]
        if let b = a.value("by") {
            guard let v = try? Engine().evaluate(b), case .number(let d, let u) = v, u.isDimensionless, d > 0, d < 1 else {
                throw UsageError(message: "--by needs a step between 0% and 100%, such as 10% or 0.25, got '\(b)'")
            }
            by = d
        }
        if let t = a.value("top") {
            guard let n = Int(t), n > 0 else { throw UsageError(message: "--top needs a positive whole number, got '\(t)'") }
            top = n
        }
        model = try ModelOptions(a)
        format = OutputFormat(rawValue: a.value("format") ?? "text") ?? .text
    }

    func run() throws {
        let json = format == .json
        let overrides = try model.overrides()
        let (engine, loadDiags) = try loadModel(file, json: json).get()
        try checkScenario(model.scenario, in: engine, json: json)
        let diags = loadDiags.filter { $0.kind != .assertion }
        let result: SensitivityResult
        do {
            result = try engine.sensitivity(of: target, by: by, top: top, scenario: model.scenario, overrides: overrides)
        } catch let e as StratError {
            emit(unique(diags + e.diagnostics), json: json)
            let code = Exit.code(for: e.diagnostics)
            throw ExitCode(code == Exit.ok ? Exit.software : code)
        }
        switch format {
        case .json: writeOut(result.json() + "\n")
        case .markdown: writeOut(renderSensitivityMarkdown(result))
        case .text: writeOut(renderTornado(result, color: Terminal.colorEnabled(fd: 1)))
        }
        emit(diags, json: json)
    }
}

/// `EXPR=VALUE` split at its one lone `=` (not part of `==`, `<=`, `>=`, `!=`).
func splitGoal(_ s: String) -> (String, String)? {
    let c = Array(s)
    var cut: Int?
    for i in c.indices where c[i] == "=" {
        let before = i > 0 ? c[i - 1] : " ", after = i + 1 < c.count ? c[i + 1] : " "
        if "=<>!".contains(before) || after == "=" { continue }
        if cut != nil { return nil }
        cut = i
    }
    guard let k = cut else { return nil }
    let e = String(c[..<k]).trimmingSpaces(), v = String(c[(k + 1)...]).trimmingSpaces()
    return e.isEmpty || v.isEmpty ? nil : (e, v)
}

/// `LO,HI` split at its one comma outside brackets (`max(1, 2),5` works).
func splitRange(_ s: String) -> (String, String)? {
    var body = s.trimmingSpaces()
    if body.hasPrefix("["), body.hasSuffix("]") { body = String(body.dropFirst().dropLast()) }
    let c = Array(body)
    var depth = 0, cut: Int?
    for i in c.indices {
        switch c[i] {
        case "(", "[": depth += 1
        case ")", "]": depth -= 1
        case "," where depth == 0:
            if cut != nil { return nil }
            cut = i
        default: break
        }
    }
    guard let k = cut else { return nil }
    let lo = String(c[..<k]).trimmingSpaces(), hi = String(c[(k + 1)...]).trimmingSpaces()
    return lo.isEmpty || hi.isEmpty ? nil : (lo, hi)
}

/// The text form of a goal seek's answer.
func renderSolve(_ r: SolveResult, color: Bool) -> String {
    let st = Style(color: color)
    var out = st.bold("\(r.input) = \(r.value)") + "\n"
    if r.boundary {
        out += "  \(r.expression) jumps across \(r.target) here (a step): this is the boundary, where it becomes \(r.achieved)\n"
    } else {
        out += "  \(r.expression) = \(r.achieved)  (target \(r.target))\n"
    }
    var was = "  \(r.input) is \(r.start) now"
    if r.scenario != "baseline" { was += " under \(r.scenario)" }
    out += st.dim("\(was); \(r.evaluations) evaluations") + "\n"
    return out
}

/// A number for the tornado: four significant digits in its unit (a distribution's mean).
private func short(_ v: Value) -> String {
    if case .dist(let s, let u) = v, !s.isBool { return compact(s.mean, u) }
    guard case .number(let d, let u) = v else { return v.description }
    return compact(d, u)
}

/// How the inputs were moved: `each input -10% / +10%`, plus the uncertain inputs' points.
private func sensitivityPoints(_ r: SensitivityResult, _ step: String) -> String {
    var s = "each input -\(step) / +\(step)"
    if r.rows.contains(where: \.uncertain) {
        s = r.rows.allSatisfy(\.uncertain) ? "each uncertain input at its p10 / p90" : s + ", uncertain inputs (p10/p90) at their 10th / 90th percentiles"
    }
    return s
}

/// `mean(TARGET)` when the target is uncertain (the analysis works on its mean).
private func sensitivityTarget(_ r: SensitivityResult) -> String {
    r.base.isUncertain ? "mean(\(r.target))" : r.target
}

/// A row's input name, marked when it was fixed at its percentiles.
private func sensitivityInput(_ row: SensitivityRow) -> String {
    row.uncertain ? row.input + " (p10/p90)" : row.input
}

/// The text tornado chart: one bar per input from its low to its high value of TARGET,
/// around a centre line at TARGET's base value.
func renderTornado(_ r: SensitivityResult, color: Bool, barWidth: Int = 40) -> String {
    let st = Style(color: color)
    let step = compact(r.by, NumberUnit(display: .percent))
    var out = st.bold("Sensitivity of \(sensitivityTarget(r))") + " = \(short(r.base)), \(sensitivityPoints(r, step))"
    if r.scenario != "baseline" { out += " (scenario \(r.scenario))" }
    out += "\n"
    guard !r.rows.isEmpty else { return out + "  no inputs: \(r.target) reads no value that could be varied\n" }
    guard let base = r.base.doubleValue else { return out }
    let half = max(4, barWidth / 2)
    var maxDev = 0.0
    for row in r.rows {
        for v in [row.low, row.high] { if let d = v.doubleValue { maxDev = max(maxDev, abs(d - base)) } }
    }
    let names = r.rows.map { row -> String in
        let name = sensitivityInput(row)
        return name.count > 58 ? String(name.prefix(57)) + "…" : name
    }
    let nameW = max(names.map(\.count).max() ?? 0, 5)
    let lowTexts = r.rows.map { short($0.low) }, highTexts = r.rows.map { short($0.high) }
    let lowW = max(lowTexts.map(\.count).max() ?? 0, "-\(step)".count)
    let highW = max(highTexts.map(\.count).max() ?? 0, "+\(step)".count)
    // Header: the column names and the base value over the centre line.
    let lead = String(repeating: " ", count: 2 + nameW + 2 + lowW + 1)
    let mark = "▼ \(short(r.base))"
    out += "\n" + lead + String(repeating: " ", count: half) + mark + "\n"
    out += "  " + "input".padding(nameW) + "  " + String(repeating: " ", count: lowW - "-\(step)".count) + "-\(step)" + " "
        + String(repeating: " ", count: 2 * half + 1) + " " + "+\(step)".padding(highW) + "  swing     elasticity\n"
    for (i, row) in r.rows.enumerated() {
        var cells = [Character](repeating: " ", count: 2 * half + 1)
        if let lo = row.low.doubleValue, let hi = row.high.doubleValue, maxDev > 0 {
            // The longer half first, so that a shorter one on the same side stays visible.
            for (v, isLow) in [(lo, true), (hi, false)].sorted(by: { abs($0.0 - base) > abs($1.0 - base) }) {
                // A deviation past the largest double gives inf/inf: a full bar, not a trap.
                let f = (abs(v - base) / maxDev * Double(half)).rounded()
                let n = f.isFinite ? Int(Swift.min(Swift.max(f, 0), Double(half))) : half
                let fill: Character = isLow ? "░" : "█"
                if v < base { for k in max(0, half - n)..<half { cells[k] = fill } }
                if v > base { for k in (half + 1)..<min(2 * half + 1, half + 1 + n) { cells[k] = fill } }
            }
        }
        cells[half] = "│"
        var bar = String(cells)
        if color { bar = bar.replacingAll("█", with: st.green("█")).replacingAll("░", with: st.red("░")) }
        let swing = row.error != nil ? "failed" : short(.number(row.swing, r.base.unit ?? .plain))
        let el = row.elasticity.map { compact($0, .plain, digits: 3) } ?? "—"
        out += "  " + names[i].padding(nameW) + "  " + lowTexts[i].leftPadding(lowW) + " " + bar + " "
            + highTexts[i].padding(highW) + "  " + swing.padding(9) + " " + el + "\n"
    }
    let marks = r.rows.contains(where: \.uncertain) ? "░ input -\(step) or p10   █ input +\(step) or p90" : "░ input -\(step)   █ input +\(step)"
    out += st.dim("  \(marks)   │ \(sensitivityTarget(r)) = \(short(r.base))") + "\n"
    if r.rows.count < r.inputCount { out += st.dim("  (top \(r.rows.count) of \(r.inputCount) inputs)") + "\n" }
    for row in r.rows where row.error != nil { out += "  \(row.input): \(row.error!)\n" }
    return out
}

/// The Markdown form: a heading line and a table of inputs by swing.
func renderSensitivityMarkdown(_ r: SensitivityResult) -> String {
    let step = compact(r.by, NumberUnit(display: .percent))
    var out = "### Sensitivity of `\(sensitivityTarget(r))`\n\n"
    let points = r.rows.contains(where: \.uncertain) ? sensitivityPoints(r, step) : "each input moved -\(step) and +\(step)"
    out += "Base value **\(r.base)**; \(points)"
    if r.scenario != "baseline" { out += " under scenario `\(r.scenario)`" }
    out += ", largest swing first.\n\n"
    out += "| Input | Value | \(r.target) at -\(step) | \(r.target) at +\(step) | Swing | Elasticity |\n"
    out += "|---|---:|---:|---:|---:|---:|\n"
    func cell(_ s: String) -> String { s.replacingAll("|", with: "\\|") }
    for row in r.rows {
        let swing = row.error != nil ? "failed" : short(.number(row.swing, r.base.unit ?? .plain))
        let el = row.elasticity.map { compact($0, .plain, digits: 3) } ?? "—"
        out += "| `\(cell(row.input))`\(row.uncertain ? " (p10/p90)" : "") | \(cell(short(row.value))) | \(cell(short(row.low))) | \(cell(short(row.high))) | \(swing) | \(el) |\n"
    }
    if r.rows.count < r.inputCount { out += "\nTop \(r.rows.count) of \(r.inputCount) inputs.\n" }
    return out
}

extension String {
    func padding(_ n: Int) -> String { count >= n ? self : self + String(repeating: " ", count: n - count) }
    func leftPadding(_ n: Int) -> String { count >= n ? self : String(repeating: " ", count: n - count) + self }

    func replacingAll(_ a: Character, with b: String) -> String {
        var out = ""
        for ch in self { if ch == a { out += b } else { out.append(ch) } }
        return out
    }
}

// MARK: - REPL

extension REPL {
    /// `:solve INPUT for EXPR = VALUE [in [LO, HI]]`.
    func solveCommand(_ argument: String, into out: inout Output) {
        let usage = ":solve INPUT for EXPR = VALUE [in [LO, HI]]"
        guard let q = Self.parseSolve(argument) else {
            fail(argument.isEmpty ? "missing argument" : "expected INPUT for EXPR = VALUE",
                 hint: "usage: \(usage), e.g. :solve churn for subscribers.final = 300M", into: &out)
            return
        }
        do {
            let r = try session.solve(q.input, for: q.expression, equals: q.value, in: q.range)
            for l in renderSolve(r, color: color).split(separator: "\n") { out.line(String(l)) }
        } catch {
            handle(error, into: &out)
        }
    }

    /// Splits `INPUT for EXPR = VALUE [in [LO, HI]]`.
    static func parseSolve(_ s: String) -> (input: String, expression: String, value: String, range: (low: String, high: String)?)? {
        let words = s.split(separator: " ", maxSplits: 2, omittingEmptySubsequences: true)
        guard words.count == 3, words[1] == "for" else { return nil }
        var rest = String(words[2]).trimmingSpaces()
        var range: (low: String, high: String)?
        if rest.hasSuffix("]"), let at = rest.range(ofLast: " in [") {
            guard let r = splitRange(String(rest[at.upperBound...].dropLast())) else { return nil }
            range = r
            rest = String(rest[..<at.lowerBound])
        }
        guard let (e, v) = splitGoal(rest) else { return nil }
        return (String(words[0]), e, v, range)
    }

    /// `:sensitivity TARGET [by STEP] [top N]`.
    func sensitivityCommand(_ argument: String, into out: inout Output) {
        let usage = ":sensitivity TARGET [by 10%] [top N]"
        var words = argument.split(separator: " ").map(String.init)
        var by = 0.1
        var top: Int?
        while words.count >= 3, words[words.count - 2] == "by" || words[words.count - 2] == "top" {
            let v = words.removeLast(), k = words.removeLast()
            if k == "top" {
                guard let n = Int(v), n > 0 else { fail("top needs a positive whole number, got '\(v)'", hint: "usage: \(usage)", into: &out); return }
                top = n
            } else {
                guard case .number(let d, let u)? = try? Engine().evaluate(v), u.isDimensionless, d > 0, d < 1 else {
                    fail("by needs a step between 0% and 100%, got '\(v)'", hint: "usage: \(usage)", into: &out)
                    return
                }
                by = d
            }
        }
        let target = words.joined(separator: " ")
        guard !target.isEmpty else { fail("missing argument", hint: "usage: \(usage)", into: &out); return }
        do {
            let r = try session.engine.sensitivity(of: target, by: by, top: top)
            for l in renderTornado(r, color: color).split(separator: "\n", omittingEmptySubsequences: false).dropLast() {
                out.line(String(l))
            }
        } catch {
            handle(error, into: &out)
        }
    }
}

extension String {
    /// The range of the last occurrence of `needle`.
    func range(ofLast needle: String) -> Range<String.Index>? {
        var i = endIndex
        while i > startIndex {
            i = index(before: i)
            if self[i...].hasPrefix(needle) { return i..<index(i, offsetBy: needle.count) }
        }
        return nil
    }
}
