// The REPL's `:commands`.

import StratKit
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

extension REPL {
    /// A command: its name, argument synopsis and one-line description (for `:help`).
    struct Command {
        var name: String
        var arguments: String
        var summary: String
    }

    static let commands: [Command] = [
        Command(name: ":help", arguments: "[TOPIC]", summary: "this list, or help on a command or a language construct"),
        Command(name: ":load", arguments: "FILE", summary: "load a model file (replaces the session's model)"),
        Command(name: ":reload", arguments: "", summary: "read the loaded file again, keeping what you declared"),
        Command(name: ":ls", arguments: "[KIND|PREFIX]", summary: "declared names with their kinds and values"),
        Command(name: ":show", arguments: "NAME", summary: "a declaration's source and its value"),
        Command(name: ":explain", arguments: "EXPR [depth N]", summary: "the formula tree behind a value, with each input's value"),
        Command(name: ":dist", arguments: "EXPR", summary: "an uncertain value's histogram, percentiles, mean, sd, samples and seed"),
        Command(name: ":deps", arguments: "NAME", summary: "what a value reads, and what reads it"),
        Command(name: ":whatif", arguments: "PATH = EXPR[, …]", summary: "the values that would change (the model is not changed)"),
        Command(name: ":solve", arguments: "INPUT for EXPR = V", summary: "goal seek: INPUT's value at which EXPR reaches V (in [LO, HI])"),
        Command(name: ":sensitivity", arguments: "TARGET", summary: "a tornado of TARGET with each input ±10% (by STEP, top N)"),
        Command(name: ":scenario", arguments: "[NAME]", summary: "list scenarios, or apply one to the session (baseline: none)"),
        Command(name: ":compare", arguments: "[A,B,…]", summary: "key outputs of every scenario side by side"),
        Command(name: ":report", arguments: "[SCENARIO]", summary: "the full report, as `strat run` prints it"),
        Command(name: ":project", arguments: "NAME", summary: "a projection as a table and a sparkline"),
        Command(name: ":history", arguments: "PATH", summary: "a key result's check-ins, pace, forecast and health"),
        Command(name: ":asof", arguments: "[DATE]", summary: "show or move the session's date (today) and re-evaluate"),
                Command(name: ":save", arguments: "[FILE]", summary: "write the model as a script (default: over the loaded file; :save! replaces another file)"),
        Command(name: ":reset", arguments: "", summary: "forget the loaded file and every declaration"),
        Command(name: ":quit", arguments: "", summary: "leave the REPL (also Ctrl-D)"),
    ]

    static let aliases: [String: String] = [":q": ":quit", ":exit": ":quit", ":h": ":help", ":?": ":help"]

    /// The command a typed word names: exact, an alias, or an unambiguous prefix.
    static func resolveCommand(_ word: String) -> (command: String?, candidates: [String]) {
        if commands.contains(where: { $0.name == word }) { return (word, [word]) }
        if let a = aliases[word] { return (a, [a]) }
        let matches = commands.map(\.name).filter { $0.hasPrefix(word) }
        return (matches.count == 1 ? matches[0] : nil, matches)
    }

    // MARK: Dispatch

    func command(_ line: String, into out: inout Output) {
        var name = String(line.prefix(while: { !$0.isWhitespace }))
        // `:save! FILE` replaces an existing file.
        let force = name.count > 2 && name.hasSuffix("!") && Self.resolveCommand(String(name.dropLast())).command == ":save"
        let argument = String(line.dropFirst(name.count)).trimmingSpaces()
        if force { name.removeLast() }
        let (resolved, candidates) = Self.resolveCommand(name)
        guard let command = resolved else {
            if candidates.count > 1 {
                fail("ambiguous command '\(name)'", hint: "did you mean \(candidates.joined(separator: ", "))?", into: &out)
            } else {
                let close = Arguments.closestWord(name, among: Self.commands.map(\.name))
                fail("unknown command '\(name)'", hint: close.map { "did you mean '\($0)'? (:help lists the commands)" }
                     ?? ":help lists the commands", into: &out)
            }
            return
        }
        switch command {
        case ":help": help(argument, into: &out)
        case ":load": load(argument, into: &out)
        case ":reload": reload(into: &out)
        case ":ls": list(argument, into: &out)
        case ":show": show(argument, into: &out)
        case ":explain": explain(argument, into: &out)
        case ":deps": deps(argument, into: &out)
        case ":dist": dist(argument, into: &out)
        case ":whatif": whatIf(argument, into: &out)
        case ":solve": solveCommand(argument, into: &out)
        case ":sensitivity": sensitivityCommand(argument, into: &out)
        case ":scenario": scenario(argument, into: &out)
        case ":compare": compare(argument, into: &out)
        case ":report": report(argument, into: &out)
        case ":project": project(argument, into: &out)
        case ":history": historyCommand(argument, into: &out)
        case ":asof": asOfCommand(argument, into: &out)
                case ":save": save(argument, force: force, into: &out)
        case ":reset": reset(into: &out)
        case ":quit": quitRequested = true
        default: break
        }
    }

    private func needArgument(_ argument: String, _ usage: String, into out: inout Output) -> Bool {
        if argument.isEmpty {
            fail("missing argument", hint: "usage: \(usage)", into: &out)
            return false
        }
        return true
    }

    // MARK: Files

    /// A path as typed: surrounding quotes removed, `~/` expanded.
    static func expandPath(_ raw: String) -> String {
        var p = raw.trimmingSpaces()
        if p.count >= 2, let f = p.first, f == "\"" || f == "'", p.last == f { p = String(p.dropFirst().dropLast()) }
        return expandHome(p)
    }

    static func expandHome(_ path: String) -> String {
        guard path == "~" || path.hasPrefix("~/"), let home = getenv("HOME") else { return path }
        return String(cString: home) + path.dropFirst()
    }

    /// The FILE argument of `:load` and `:save`, read the way libedit's filename completion
    /// writes it (``LineEditor/Completion/fileName``), which is the shell's way: outside
    /// quotes a backslash takes the next character literally (`plan\ one.strat`); `'…'`
    /// takes everything literally; in `"…"` a backslash escapes only `"`, `\`, `` ` `` and
    /// `$`. Unquoted spaces are kept (`:load my plan.strat` still works); those at the ends
    /// go. Then `~/` is expanded.
    static func commandPath(_ raw: String) -> String {
        var out = ""
        var quote: Character?
        var escaped = false
        var end = 0   // length of `out` up to its last quoted or escaped character
        for c in raw.drop(while: { $0 == " " || $0 == "\t" }) {
            if escaped {
                if quote == "\"", !"\"\\`$".contains(c) { out.append("\\") }
                out.append(c)
                escaped = false
                end = out.count
            } else if c == "\\", quote != "'" {
                escaped = true
            } else if let q = quote, c == q {
                quote = nil
                end = out.count
            } else if quote == nil, c == "\"" || c == "'" {
                quote = c
            } else {
                out.append(c)
                if quote != nil { end = out.count }
            }
        }
        if escaped { out.append("\\") }
        // Trailing spaces that were not escaped (Tab completion leaves one after a file).
        while out.count > end, out.last == " " || out.last == "\t" { out.removeLast() }
        return expandHome(out)
    }

    /// Loads a file into the session. `initial`: the FILE of `strat repl FILE` (announced
    /// only on a terminal; there is no earlier session to keep).
    func loadFile(_ path: String, into out: inout Output, initial: Bool = false) {
        let announce = !initial || interactive
        do {
            // Imports resolve under the file's folder (the default importer); Ctrl-C stops
            // long evaluations as in every REPL session; the new session keeps the date
            // (`--as-of`, `:asof`).
            var configuration = cliConfiguration()
            configuration.asOf = session.engine.configuration.asOf
            let fresh = Session(configuration: Self.interruptible(configuration))
            try fresh.load(file: path)
            if !initial, interrupted() { return }   // Ctrl-C: the session stays as it was
            session = fresh
            let count = session.engine.declaredNames.filter { !$0.name.hasPrefix("_") }.count
            if announce { out.line(style.dim("loaded \(path) (\(count) name\(count == 1 ? "" : "s"))")) }
            report(unique(session.engine.diagnostics), into: &out)
        } catch {
            handle(error, into: &out)
            if !initial { out.errors += style.dim("   = note: the session is unchanged") + "\n" }
        }
    }

    func load(_ argument: String, into out: inout Output) {
        guard needArgument(argument, ":load FILE", into: &out) else { return }
        loadFile(Self.commandPath(argument), into: &out)
    }

    func reload(into out: inout Output) {
        guard let file = session.file else {
            fail("no file loaded", hint: "use :load FILE", into: &out)
            return
        }
        let before = valueMap()
        let diagnosticsBefore = Set(session.engine.diagnostics)
        do {
            try session.reload()
            out.line(style.dim("reloaded \(file)"))
            renderChanges(changes(from: before), limit: 50, into: &out)
            report(unique(session.engine.diagnostics.filter { !diagnosticsBefore.contains($0) || $0.severity == .error }), into: &out)
        } catch {
            handle(error, into: &out)
            out.errors += style.dim("   = note: the session keeps the previous version of \(file.escapingControls())") + "\n"
        }
    }

    /// `:save [FILE]` (FILE defaults to the loaded file) and `:save! FILE`, which may
    /// replace an existing file other than the loaded one.
    func save(_ argument: String, force: Bool, into out: inout Output) {
        guard let path = argument.isEmpty ? session.file : Self.commandPath(argument) else {
            fail("no file loaded", hint: "usage: :save FILE", into: &out)
            return
        }
        let ontoLoaded = session.file.map { Self.sameFile($0, path) } ?? false
        if !ontoLoaded, !force, access(path, F_OK) == 0 {
            fail("'\(path)' exists and is not the loaded file", hint: "to replace it: :save! \(path)", into: &out)
            return
        }
        let text = session.script(header: ontoLoaded ? nil : "// Declared in the REPL")
        // Atomically, as `fmt` writes: a failed write leaves the old file as it was.
        guard writeFileAtomically(path, text) else {
            let reason = String(cString: strerror(errno))
            report([Diagnostic(severity: .error, kind: .io, message: "cannot write '\(path)': \(reason)", path: path)], into: &out)
            return
        }
        if ontoLoaded { session.adoptSaved(text) }
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).count - (text.hasSuffix("\n") ? 1 : 0)
        out.line(style.dim("saved \(path) (\(lines) line\(lines == 1 ? "" : "s"))"))
        if let s = session.scenario {
            out.line(style.dim("note: the file holds the baseline model; scenario \(s) is applied with `strat run \(path) --scenario \(s)`"))
        }
    }

    /// Whether two paths name the same existing file (same device and inode).
    static func sameFile(_ a: String, _ b: String) -> Bool {
        var sa = stat(), sb = stat()
        guard stat(a, &sa) == 0, stat(b, &sb) == 0 else { return false }
        return sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino
    }

    func reset(into out: inout Output) {
        session = Self.emptySession()
        out.line(style.dim("session reset: no file, no declarations"))
    }

    // MARK: Values

    func valueMap() -> [String: Value] {
        Dictionary(session.engine.valuesByPath().map { ($0.path, $0.value) }, uniquingKeysWith: { a, _ in a })
    }

    func changes(from before: [String: Value]) -> [Change] {
        session.engine.valuesByPath().compactMap { path, v in
            guard let old = before[path], old != v else { return nil }
            return Change(path: path, before: old, after: v)
        }
    }

    /// Names the user declared or loaded (stdlib helpers starting with `_` left out).
    var visibleNames: [(name: String, kind: String)] {
        session.engine.declaredNames.filter { !$0.name.hasPrefix("_") }
    }

    func list(_ argument: String, into out: inout Output) {
        var names = visibleNames
        if !argument.isEmpty {
            let byKind = names.filter { $0.kind == argument }
            names = byKind.isEmpty ? names.filter { $0.name.hasPrefix(argument) } : byKind
        }
        // Standard-library functions (from `use`) are many and rarely what one looks for.
        var hidden: [String] = []
        if argument.isEmpty {
            let library = Self.standardLibrary
            let e = session.engine
            let fromLibrary = { (n: (name: String, kind: String)) -> Bool in
                n.kind == "fn" && library[n.name] != nil && e.definition(of: n.name) == library[n.name]
            }
            hidden = names.filter(fromLibrary).map(\.name)
            names.removeAll(where: fromLibrary)
        }
        if names.isEmpty && hidden.isEmpty {
            out.line(style.dim(argument.isEmpty ? "nothing declared yet (try `let x = 2`, or :load FILE)" : "no names match '\(argument)'"))
            return
        }
        let st = style
        defer {
            if !hidden.isEmpty {
                out.line(st.dim("+ \(hidden.count) standard library function\(hidden.count == 1 ? "" : "s") (:ls fn)"))
            }
        }
        let rows = names.map { n -> [Cell] in
            var value: String
            switch n.kind {
            case "let":
                value = (try? session.engine.evaluate(n.name))?.description ?? "none"
            case "fn":
                value = functionSignature(n.name)
            default:
                value = objectSummary(n.name, kind: n.kind)
            }
            if value.count > 100 { value = String(value.prefix(99)) + "…" }
            return [Cell(n.name, st.bold(n.name)), Cell(n.kind, st.dim(n.kind)), Cell(value)]
        }
        for line in renderTable(rows, align: [.left, .left, .left], indent: "") { out.line(line) }
    }

    /// The standard library's declarations, name → source (computed once, on first use).
    nonisolated(unsafe) static var standardLibraryCache: [String: String]?
    static var standardLibrary: [String: String] {
        if let s = standardLibraryCache { return s }
        let probe = Engine(configuration: .noImports)
        var definitions: [String: String] = [:]
        for module in ["finance", "growth", "subscriptions", "okr"] {
            if (try? probe.load(source: "use \(module)", path: "<stdlib probe>", runStatements: false)) != nil {
                for n in probe.declaredNames { definitions[n.name] = probe.definition(of: n.name) ?? "" }
            }
        }
        standardLibraryCache = definitions
        return definitions
    }

    func show(_ argument: String, into out: inout Output) {
        guard needArgument(argument, ":show NAME", into: &out) else { return }
        let e = session.engine
        let name = argument
        if let def = e.definition(of: name) {
            for l in def.split(separator: "\n", omittingEmptySubsequences: false) { out.line(trimRight(String(l))) }
        }
        let value: Value
        do {
            value = try e.evaluate(name)
        } catch {
            if e.definition(of: name) == nil { handle(error, into: &out) }
            return
        }
        let st = style
        if case .ref = value {
            // An object: its members and their values.
            var rows: [[Cell]] = []
            for m in e.members(of: name) where m != "name" && m != "path" {
                guard let v = try? e.evaluate(name + "." + m) else { continue }
                var text = v.description
                if case .list(let l) = v, l.count > 8 { text = "[\(l.count) items]" }
                if text.count > 80 { text = String(text.prefix(79)) + "…" }
                rows.append([Cell(m, st.dim(m)), Cell(text)])
            }
            for line in renderTable(rows, align: [.left, .left], indent: "  ") { out.line(line) }
        } else if let kind = e.declaredNames.first(where: { $0.name == name })?.kind, kind == "fn" || kind == "scenario" {
            // The definition says it all.
        } else {
            out.line("= " + st.bold(value.description) + histogramSuffix(value))
        }
    }

    /// `EXPR depth N` → (EXPR, N); without a trailing `depth N`, the default depth.
    static func splitDepth(_ argument: String) -> (expr: String, depth: Int?)? {
        let words = argument.split(whereSeparator: { $0 == " " || $0 == "\t" })
        guard words.count >= 2, words[words.count - 2] == "depth" else { return (argument, nil) }
        guard let n = Int(words[words.count - 1]), n >= 1, n <= 64 else { return nil }
        var expr = argument.trimmingSpaces()
        expr = String(expr.dropLast(words[words.count - 1].count)).trimmingSpaces()
        expr = String(expr.dropLast("depth".count)).trimmingSpaces()
        return (expr, n)
    }

    func explain(_ argument: String, into out: inout Output) {
        guard needArgument(argument, ":explain EXPR [depth N]", into: &out) else { return }
        guard let (expr, depth) = Self.splitDepth(argument), !expr.isEmpty else {
            fail("expected :explain EXPR [depth N] with N from 1 to 64", hint: "e.g. :explain plan.score depth 6", into: &out)
            return
        }
        do {
            out.line(renderExplanation(try session.engine.explain(expr, depth: depth ?? 4)))
        } catch {
            handle(error, into: &out)
        }
    }

    /// `:dist EXPR`: the histogram as bars, then percentiles, mean, sd, sample count and seed.
    func dist(_ argument: String, into out: inout Output) {
        guard needArgument(argument, ":dist EXPR", into: &out) else { return }
        let value: Value
        do { value = try session.engine.evaluate(argument) } catch {
            handle(error, into: &out)
            return
        }
        guard case .dist(_, let unit) = value, let d = value.distribution else {
            out.line(argument + " = " + style.bold(value.description) + style.dim("  (certain: no distribution)"))
            return
        }
        let st = style
        func show(_ x: Double) -> String { compact(x, unit, digits: 4) }
        out.line(st.bold(argument) + " = " + value.description)
        let (edges, counts) = d.histogram
        let top = max(1, counts.max() ?? 1)
        let width = 40
        var rows: [[Cell]] = []
        for (i, c) in counts.enumerated() where i + 1 < edges.count {
            let cells = Int((Double(c) / Double(top) * Double(width * 8)).rounded())
            let bar = String(repeating: "█", count: cells / 8) + (cells % 8 == 0 ? "" : String(Array("▏▎▍▌▋▊▉")[cells % 8 - 1]))
            let pct = fmt2(Double(c) / Double(max(1, d.count)) * 100) + "%"
            rows.append([Cell(show(edges[i])), Cell("…"), Cell(show(edges[i + 1])), Cell(bar, st.cyan(bar)), Cell(pct, st.dim(pct))])
        }
        for l in renderTable(rows, align: [.right, .left, .right, .left, .right], indent: "  ", gap: " ") { out.line(l) }
        let ps = [5, 25, 50, 75, 95].map { "p\($0) " + show(d.percentiles[$0] ?? d.percentile(Double($0) / 100)) }
        out.line("  " + ps.joined(separator: "  "))
        let (samples, seed) = session.engine.simulationSettings
        out.line("  mean \(show(d.mean))  sd \(show(d.sd))  N \(d.count)" + (d.count == samples ? "" : " of \(samples)") + "  seed \(seed)")
    }

    func deps(_ argument: String, into out: inout Output) {
        guard needArgument(argument, ":deps NAME", into: &out) else { return }
        let e = session.engine
        do {
            let (inputs, dependents) = try e.dependencies(of: argument)
            let st = style
            func rows(_ paths: [String]) -> [String] {
                renderTable(paths.map { p in
                    let v = (try? e.evaluate(p))?.description ?? "none"
                    return [Cell(p), Cell("= " + (v.count > 60 ? String(v.prefix(59)) + "…" : v))]
                }, align: [.left, .left], indent: "  ")
            }
            if let v = try? e.evaluate(argument), !v.isNone, case .ref = v {
                out.line(st.bold(argument))          // an object: its own cells are left out
            } else {
                out.line(st.bold(argument) + " = " + ((try? e.evaluate(argument))?.description ?? "none"))
            }
            out.line(st.bold("reads") + (inputs.isEmpty ? st.dim("  nothing (an input)") : ""))
            for l in rows(inputs) { out.line(l) }
            out.line(st.bold("read by") + (dependents.isEmpty ? st.dim("  nothing") : ""))
            for l in rows(dependents) { out.line(l) }
        } catch {
            handle(error, into: &out)
        }
    }

    /// `PATH = EXPR, PATH = EXPR` → overrides; commas inside brackets, strings and comments do not split.
    static func parseOverrides(_ text: String) -> [(path: String, expr: String)]? {
        SourceText(text).assignments()
    }

    func whatIf(_ argument: String, into out: inout Output) {
        guard needArgument(argument, ":whatif PATH = EXPR[, PATH = EXPR…]", into: &out) else { return }
        guard let overrides = Self.parseOverrides(argument) else {
            fail("expected PATH = EXPR", hint: "e.g. :whatif churn = 3.2%, members = 275M", into: &out)
            return
        }
        do {
            let changes = try session.engine.whatIf(overrides)
            renderChanges(changes, limit: 200, into: &out)
        } catch {
            handle(error, into: &out)
        }
    }

    // MARK: Scenarios and reports

    func scenario(_ argument: String, into out: inout Output) {
        let names = ["baseline"] + session.engine.scenarioNames
        let current = session.scenario ?? "baseline"
        if argument.isEmpty {
            let st = style
            let rows = names.map { n -> [Cell] in
                let mark = n == current ? Cell("*", st.green("*")) : Cell(" ")
                let name = Cell(n, n == current ? st.bold(n) : n)
                var what = n == "baseline" ? "the model as declared" : ""
                if n != "baseline" { what = scenarioSummary(n) }
                return [mark, name, Cell(what, st.dim(what))]
            }
            for l in renderTable(rows, align: [.left, .left, .left], indent: "", gap: " ") { out.line(l) }
            return
        }
        guard names.contains(argument) else {
            let close = Arguments.closestWord(argument, among: names).map { "did you mean '\($0)'? " } ?? ""
            fail("unknown scenario '\(argument)'", hint: close + "scenarios: " + names.joined(separator: ", "), into: &out)
            return
        }
        do {
            let changes = try session.select(scenario: argument)
            out.line(style.dim("scenario \(session.scenario ?? "baseline")"))
            if argument != current { renderChanges(changes, limit: 50, into: &out) }
        } catch {
            handle(error, into: &out)
        }
    }

    /// A scenario on one line: its title and its overrides, `"Bear" { price = 8; churn = 4% }`
    /// (the overrides of a multi-line body keep a separator; comments are left out).
    func scenarioSummary(_ name: String) -> String {
        var title = ""
        if let def = session.engine.definition(of: name), let t = SourceText(def).statements().first?.message {
            title = Self.oneLine(t, dropping: "") + " "
        }
        let overrides = ((try? session.engine.scenarioOverrides(name)) ?? [])
            .map { $0.path + " = " + Self.oneLine($0.expr, dropping: "") }
        let s = title + "{ " + overrides.joined(separator: "; ") + " }"
        return s.count > 80 ? String(s.prefix(79)) + "…" : s
    }

    /// A declaration squeezed onto one line, without its leading keyword and name.
    static func oneLine(_ text: String, dropping prefix: String) -> String {
        var t = text.trimmingSpaces()
        if t.hasPrefix(prefix) { t = String(t.dropFirst(prefix.count)) }
        var s = ""
        var lastSpace = true
        for c in t {
            let space = c == " " || c == "\n" || c == "\t"
            if space { if !lastSpace { s.append(" ") } } else { s.append(c) }
            lastSpace = space
        }
        s = s.trimmingSpaces()
        return s.count > 80 ? String(s.prefix(79)) + "…" : s
    }

    /// Runs `body` with the session switched to baseline (reports and comparisons apply
    /// their own scenario on top of the session's model), then switches back.
    private func atBaseline<T>(_ body: () throws -> T) throws -> T {
        guard let selected = session.scenario else { return try body() }
        _ = try session.select(scenario: nil)
        defer { _ = try? session.select(scenario: selected) }
        return try body()
    }

    func compare(_ argument: String, into out: inout Output) {
        let known = ["baseline"] + session.engine.scenarioNames
        var names = argument.isEmpty ? known
            : argument.split(whereSeparator: { $0 == "," || $0 == " " }).map { String($0) }
        if names.isEmpty { names = known }
        for n in names where !known.contains(n) {
            fail("unknown scenario '\(n)'", hint: "scenarios: \(known.joined(separator: ", "))", into: &out)
            return
        }
        if names.count == 1, argument.isEmpty {
            out.line(style.dim("no scenarios declared: only baseline"))
        }
        do {
            var reports: [Report] = []
            var diagnostics: [Diagnostic] = []
            try atBaseline {
                for n in names {
                    if interrupted() { return }
                    let r = try session.engine.report(scenario: n)
                    reports.append(r)
                    diagnostics += r.diagnostics.filter { $0.severity == .error && $0.kind != .assertion }
                }
            }
            if reports.count == names.count {
                out.text += Compare.compareText(names, Compare.compareRows(reports), style)
            }
            report(unique(diagnostics), into: &out)
        } catch {
            handle(error, into: &out)
        }
    }

    func report(_ argument: String, into out: inout Output) {
        let target = argument.isEmpty ? session.scenario : argument
        let known = ["baseline"] + session.engine.scenarioNames
        if !argument.isEmpty, !known.contains(argument) {
            fail("unknown scenario '\(argument)'", hint: "scenarios: " + known.joined(separator: ", "), into: &out)
            return
        }
        do {
            let r: Report
            if argument.isEmpty {
                r = try session.engine.report()
            } else {
                r = try atBaseline { try session.engine.report(scenario: argument) }
            }
            let note = target.flatMap { $0 == "baseline" ? nil : $0 }
            var text = renderTextReport(r, color: color, note: note)
            while text.hasSuffix("\n\n") { text.removeLast() }
            out.text += text.hasSuffix("\n") ? text : text + "\n"
            report(unique(r.diagnostics.filter { $0.kind != .assertion }), into: &out)
        } catch {
            handle(error, into: &out)
        }
    }

    func project(_ argument: String, into out: inout Output) {
        guard needArgument(argument, ":project NAME", into: &out) else { return }
        let e = session.engine
        guard let (values, period) = e.series(of: argument) else {
            let projections = visibleNames.filter { $0.kind == "projection" || $0.kind == "series" }.map(\.name)
            let hint = projections.isEmpty ? "no projections are declared"
                : (Arguments.closestWord(argument, among: projections).map { "did you mean '\($0)'? " } ?? "")
                    + "projections: " + projections.joined(separator: ", ")
            fail("'\(argument)' is not a projection", hint: hint, into: &out)
            return
        }
        let st = style
        let numbers = values.map { $0.doubleValue ?? .nan }
        let n = values.count - 1
        let first = values.first?.description ?? "none", last = values.last?.description ?? "none"
        out.line(st.bold(argument) + " over \(n) \(n == 1 ? singular(period) : period): \(first) → \(st.bold(last))")
        out.line("  " + st.cyan(sparkline(numbers, maxWidth: 48)))
        let unit = values.last?.unit ?? .plain
        var rows: [[Cell]] = [[Cell(singular(period), st.dim(singular(period))), Cell("value", st.dim("value")), .empty]]
        // Anchored at a date: label the periods as reports do (`2026-Q3`).
        let dates = ((try? e.evaluate(argument + ".dates"))?.listValue ?? []).compactMap(\.dateValue)
        for t in sampleRows(count: values.count) {
            let v = numbers[t]
            let text = compact(v, unit, digits: 7)
            var delta = ""
            if t > 0, numbers[t - 1] != 0, numbers[t - 1].isFinite, v.isFinite {
                let step = sampleRows(count: values.count)
                if step.count == values.count {
                    let pct = (v / numbers[t - 1] - 1) * 100
                    delta = (pct >= 0 ? "+" : "") + fmt2(pct) + "%"
                }
            }
            rows.append([Cell(t < dates.count ? dates[t].periodLabel(period) : String(t)), Cell(text), Cell(delta, st.dim(delta))])
        }
        for line in renderTable(rows, align: [.right, .right, .right], indent: "  ") { out.line(line) }
    }
}
