// The interactive REPL (`strat`, `strat repl [FILE]`), SPEC §10.
//
// On a terminal (standard input and output both terminals) it reads lines with the
// libedit ``LineEditor``: prompt, continuation prompt, history, completion. Otherwise it
// reads standard input line by line with the same semantics and no prompt, banner or
// editing, and its exit code tells whether anything went wrong.
//
// No Foundation here: start-up time matters.

import StratKit
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The REPL: one session, its input loop and its commands (REPLCommands.swift), help
/// (REPLHelp.swift) and completion (REPLCompletion.swift).
final class REPL {
    static let prompt = "strat> "
    static let continuationPrompt = "...> "

    /// The prompt: `strat> `, or `strat[bear]> ` while a scenario is applied.
    var currentPrompt: String {
        guard let s = session.scenario else { return Self.prompt }
        return "strat[\(s)]> "
    }

    static let spec = CommandSpec(
        name: "repl",
        abstract: "The interactive REPL (also `strat` with no arguments).",
        positionals: "[FILE]", minPositionals: 0, maxPositionals: 1,
        options: [ModelOptions.specs[2]],
        discussion: """
        Evaluates expressions and declarations as you type them, on top of FILE's \
        model when one is given. Type :help in the REPL for its commands and for help \
        on every language construct.

        On a terminal: emacs editing keys, history (↑/↓, Ctrl-R) kept in \
        ~/.strat_history (STRAT_HISTORY overrides), Tab completion, Ctrl-C drops the \
        current input, Ctrl-D on an empty line quits.

        With standard input not a terminal (a pipe or a file), lines are read and \
        evaluated one by one with no prompt; errors are printed and processing goes \
        on; the exit code is the most serious problem met (65 script error, 70 runtime \
        error, 66 unreadable file, 1 failed assert), else 0.

        Examples:
          strat
          strat repl examples/netflix-engineering.strat
          echo 'plan.score' | strat repl examples/netflix-engineering.strat
        """)

    /// Wires the REPL into the command dispatcher: `strat` alone, `strat repl …`, and the
    /// command list of `strat --help`.
    static func install() {
        Strat.replEntry = { args in REPL.main(args) }
        if !Strat.commands.contains(where: { $0.spec.name == spec.name }) {
            Strat.commands.insert((spec, { parsed in
                try ModelOptions.takeAsOf(parsed)
                let code = REPL.start(file: parsed.positionals.first)
                if code != 0 { throw ExitCode(code) }
            }), at: 0)
        }
    }

    /// `strat repl [FILE]` with its arguments (without `repl`).
    static func main(_ args: [String]) -> Int32 {
        do {
            let parsed = try Arguments.parse(args, spec)
            if parsed.flag("help") {
                writeOut(Arguments.help(spec))
                return 0
            }
            try ModelOptions.takeAsOf(parsed)
            return start(file: parsed.positionals.first)
        } catch let e as UsageError {
            writeErr("error: \(e.message)\nUsage: strat repl [FILE]  (see 'strat repl --help')")
            return Exit.usage
        } catch {
            writeErr("error: \(error)")
            return Exit.software
        }
    }

    static func start(file: String?) -> Int32 {
        let interactive = LineEditor.isTerminal(0) && LineEditor.isTerminal(1)
        let repl = REPL(interactive: interactive)
        return repl.run(file: file)
    }

    // MARK: State

    let interactive: Bool
    /// The session: replaced by `:load` (a file's imports resolve under its folder) and
    /// `:reset` (typed imports resolve under the working directory).
    var session = REPL.emptySession()

    static func emptySession() -> Session {
        var configuration = cliConfiguration()
        configuration.importer = FileImporter(root: ".")
        return Session(configuration: interruptible(configuration))
    }

    /// A configuration whose evaluations stop on Ctrl-C (the engine polls the request).
    /// Every session the REPL makes needs it: `strat repl FILE`, `:load` and `:reset` too.
    static func interruptible(_ c: Configuration) -> Configuration {
        var c = c
        // The engine only looks: the REPL takes the request when the command ends.
        c.interrupt = { LineEditor.interruptRequested() }
        return c
    }
    /// Colour on standard output / standard error.
    let color: Bool
    let errorColor: Bool
    var style: Style { Style(color: color) }
    var editor: LineEditor?
    /// The most serious problem met (an exit code), for non-interactive runs.
    var status: Int32 = Exit.ok
    var quitRequested = false
    /// Ctrl-C was pressed while the current input was being handled.
    private var interruptSeen = false
    /// The source behind `_` (the last expression's value), for `let x = _`; nil before
    /// the first expression and when it is too long to copy.
    var lastExpression: String?
    /// An expression was evaluated: `_` has a value.
    var hasLastValue = false

    /// Whether Ctrl-C was pressed since the current input started (polled between steps
    /// of long commands; an evaluation in progress cannot be stopped midway).
    func interrupted() -> Bool {
        if interactive, !interruptSeen, LineEditor.takeInterruptRequest() { interruptSeen = true }
        return interruptSeen
    }

    init(interactive: Bool) {
        self.interactive = interactive
        color = interactive && Terminal.colorEnabled(fd: 1)
        errorColor = Terminal.colorEnabled(fd: 2)
    }

    // MARK: Output

    /// What handling one input printed, held back until it is done so that a Ctrl-C
    /// pressed meanwhile can discard it.
    struct Output {
        var text = ""
        var errors = ""
        var status: Int32 = Exit.ok

        mutating func line(_ s: String) { text += s + "\n" }
        mutating func error(_ s: String, status code: Int32) {
            errors += s.hasSuffix("\n") ? s : s + "\n"
            status = Exit.worst(status, code)
        }
    }

    func emit(_ out: Output) {
        if !out.text.isEmpty { writeOut(out.text) }
        if !out.errors.isEmpty { writeFD(2, terminalSafe(out.errors, fd: 2)) }
        status = Exit.worst(status, out.status)
    }

    /// Renders diagnostics into `out` with the exit code they stand for.
    /// With piped input, the stdin line the input being processed starts on: its
    /// diagnostics are then located as `<stdin>:LINE:COL`, not within the entry.
    var stdinFirstLine: Int?

    /// The `:command` line being handled, for locating errors in its argument.
    var commandLine: String?

    /// The statement being handled, as typed (nil for a command).
    var currentInput: LineIndex?

    /// While one `;`-separated statement of an entry is handled: the statement, the
    /// whole entry and where the statement starts in it, for placing its errors.
    var currentPart: (text: LineIndex, entry: LineIndex, start: (line: Int, column: Int))?

    /// While a statement whose `_` was replaced by the formula behind it is handled: the
    /// statement as typed, as entered, where its `_` were and what replaced them.
    var currentRewrite: (typed: LineIndex, entered: LineIndex, spans: [Range<Int>], replacement: String)?

    func report(_ diagnostics: [Diagnostic], into out: inout Output) {
        for var d in diagnostics {
            // An error in a statement with `_` replaced: its place in what was typed.
            if let rw = currentRewrite, d.path == "<expr>" || d.path == "<repl>", rw.entered.holds(d) {
                d = d.placedBack(from: rw.entered, to: rw.typed, spans: rw.spans, replacement: rw.replacement)
            }
            // An error in one statement of several on a line: its place in the line.
            if let part = currentPart, d.path == "<expr>" || d.path == "<repl>", part.text.holds(d) {
                d = d.placed(in: part.entry, at: part.start)
            }
            if let first = stdinFirstLine, let line = commandLine, d.line == 1,
               d.path == "<expr>" || d.path.hasPrefix("<override "), let text = d.sourceLine,
               let column = Self.column(of: text, in: line, override: d.path) {
                // An expression inside a command: its place on the command's line.
                d.path = "<stdin>"
                d.line = first
                d.column += column
                d.sourceLine = line
            } else if let first = stdinFirstLine, d.path == "<expr>" || d.path == "<repl>", d.line > 0,
                      d.path == "<expr>" || currentInput?.holds(d) == true {
                // (A `<repl>` error in a declaration typed earlier keeps its own place.)
                d.path = "<stdin>"
                d.line += first - 1
            } else if let first = stdinFirstLine, d.path.isEmpty {
                // A command's own error (a bad name, a missing argument): its input line.
                d.path = "<stdin>"
                d.line = first
                d.column = 1
            }
            out.error(renderDiagnostic(d, color: errorColor), status: d.severity == .error ? Self.exitCode(for: d) : Exit.ok)
        }
    }

    /// Where (0-based, in characters) an argument's text starts on its command line: after
    /// the command name, and for an override `<override PATH>` after `PATH =`.
    static func column(of text: String, in line: String, override path: String) -> Int? {
        guard !text.isEmpty, let nameEnd = line.firstIndex(where: { $0 == " " || $0 == "\t" }) else { return nil }
        var from = nameEnd
        if path.hasPrefix("<override "), path.hasSuffix(">") {
            let target = String(path.dropFirst("<override ".count).dropLast())
            guard let at = firstIndex(of: target, in: line, from: from),
                  let eq = line[at...].firstIndex(of: "=") else { return nil }
            from = eq
        }
        guard let start = firstIndex(of: text, in: line, from: from) else { return nil }
        return line.distance(from: line.startIndex, to: start)
    }

    /// The first index at or after `from` where `needle` starts in `line`.
    static func firstIndex(of needle: String, in line: String, from: String.Index) -> String.Index? {
        var i = from
        while i < line.endIndex {
            if line[i...].hasPrefix(needle) { return i }
            i = line.index(after: i)
        }
        return nil
    }

    static func exitCode(for d: Diagnostic) -> Int32 {
        let c = Exit.code(for: [d])
        return c == Exit.ok ? Exit.dataError : c
    }

    /// A REPL-level error (bad command use): a script error in piped input.
    func fail(_ message: String, hint: String? = nil, into out: inout Output) {
        report([Diagnostic(severity: .error, kind: .compile, message: message, hint: hint)], into: &out)
    }

    func handle(_ error: Error, into out: inout Output) {
        if let e = error as? StratError {
            report(e.diagnostics, into: &out)
        } else {
            fail("\(error)", into: &out)
        }
    }

    // MARK: Running

    func run(file: String?) -> Int32 {
        if interactive {
            let env = { (name: String) -> String? in getenv(name).map { String(cString: $0) } }
            let historyPath = env("STRAT_HISTORY") ?? env("HOME").map { $0 + "/.strat_history" }
            let editor = LineEditor(historyPath: historyPath)
            editor.completer = { [unowned self] line, start, word in
                self.completion(line: line, wordStart: start, word: word)
            }
            self.editor = editor
            writeOut(banner())
        }
        if let file {
            var out = Output()
            loadFile(Self.expandPath(file), into: &out, initial: true)
            emit(out)
        }
        if interactive { interactiveLoop() } else { pipedLoop() }
        if interactive {
            editor = nil   // restores the SIGINT handler
            return Exit.ok
        }
        return status
    }

    func banner() -> String {
        let st = style
        return st.bold("Strat \(StratKit.version)") + st.dim(" — :help for help, Tab to complete, Ctrl-D to quit") + "\n"
    }

    private func interactiveLoop() {
        guard let editor else { return }
        var pending = Pending()
        while !quitRequested {
            switch editor.readLine(prompt: pending.lines.isEmpty ? currentPrompt : Self.continuationPrompt) {
            case .eof:
                return                  // Ctrl-D on an empty line (a continuation line too)
            case .interrupt:
                pending = Pending()
            case .line(let line):
                // A multi-line entry goes into the history whole, once it is complete, so
                // that ↑ brings all of it back.
                if let input = accept(line, pending: &pending) {
                    editor.addHistory(input)
                    process(input)
                }
            }
        }
    }

    private func pipedLoop() {
        var pending = Pending()
        var reader = InputLines(fd: 0)
        while !quitRequested, let bytes = reader.next() {
            var raw = bytes
            if raw.last == 13 { raw.removeLast() }   // CRLF
            if var bad = invalidUTF8(raw, path: "<stdin>") {
                bad.line = reader.lineNumber
                var out = Output()
                report([bad], into: &out)
                emit(out)
                continue
            }
            let line = String(decoding: raw, as: UTF8.self)
            if let input = accept(line, pending: &pending) {
                stdinFirstLine = reader.lineNumber - input.split(separator: "\n", omittingEmptySubsequences: false).count + 1
                process(input)
            }
        }
        if !pending.lines.isEmpty, !quitRequested {
            // End of input inside an unfinished statement: let the parser say what is missing.
            stdinFirstLine = reader.lineNumber - pending.lines.count + 1
            process(pending.text)
        }
    }

    /// Adds a line to the pending input; returns the complete input when there is one.
    private func accept(_ line: String, pending: inout Pending) -> String? {
        if pending.lines.isEmpty, line.drop(while: { $0 == " " || $0 == "\t" }).hasPrefix(":") { return line }
        if pending.lines.isEmpty, line.allSatisfy({ $0 == " " || $0 == "\t" }) { return nil }
        pending.lines.append(line)
        pending.reader.add(line)
        if pending.reader.needsMore { return nil }
        defer { pending = Pending() }
        return pending.text
    }

    /// The lines of an unfinished input, and the lexer's reading of them so far.
    struct Pending {
        var lines: [String] = []
        var reader = ContinuationReader()
        var text: String { lines.joined(separator: "\n") }
    }

    /// Handles one complete input (a statement or a command) and prints what it produced,
    /// unless Ctrl-C was pressed meanwhile.
    func process(_ input: String) {
        var out = Output()
        interruptSeen = false
        let trimmed = input.trimmingSpaces()
        if trimmed.hasPrefix(":") {
            commandLine = input
            defer { commandLine = nil }
            command(trimmed, into: &out)
        } else {
            currentInput = LineIndex(input)
            defer { currentInput = nil }
            statement(input, into: &out)
        }
        if interrupted() {
            writeOut(style.yellow("interrupted") + (out.text.isEmpty && out.errors.isEmpty ? "" : " (output discarded)") + "\n")
            return
        }
        emit(out)
    }

    // MARK: Statements

    func statement(_ text: String, into out: inout Output) {
        let entered = SourceText(text)
        let parts = entered.semicolonParts()
        // Several statements, or one after a `;` (`; 1`, which the parser alone would not take).
        if parts.count > 1 || parts.first.map({ text.utf8.prefix($0.offset).contains(UInt8(ascii: ";")) }) == true {
            let entry = LineIndex(text)
            for (part, start) in zip(parts, entry.positions(of: parts.map(\.offset))) where !interrupted() {
                currentPart = (LineIndex(part.text), entry, start)
                statement(part.text, into: &out)
            }
            currentPart = nil
            return
        }
        var source = entered
        if Self.underscoreInDeclaration(source) {
            // `let x = _`: the declaration gets the formula that gave the last value, so
            // the model (and a saved script) can define it.
            guard let last = lastExpression else {
                if hasLastValue {
                    fail("`_` stands for a formula too long to copy into a declaration (over 2,000 bytes)",
                         hint: "declare it with its formula: let NAME = …", into: &out)
                } else {
                    fail("`_` has no value yet", hint: "type an expression first; `_` is its value", into: &out)
                }
                return
            }
            let replacement = "(" + last + ")"
            source = SourceText(source.replacing("_", with: replacement))
            currentRewrite = (LineIndex(text), LineIndex(source.text), entered.reads(of: "_"), replacement)
        }
        defer { currentRewrite = nil }
        let text = source.text
        // Which of the names the input declares exist already (a redefinition). Listing
        // every name costs the model's size, so only `use`/`import` (which name nothing
        // themselves) take the full list.
        let statements = source.statements()
        let existing = Set(statements.compactMap(\.name).filter { session.engine.declaredKind(of: $0) != nil })
        let imports = statements.contains { $0.kind == .library }
        let names = imports ? Set(session.engine.declaredNames.map(\.name)) : existing
        let diagnosticsBefore = Set(session.engine.diagnostics)
        do {
            let outcome = try session.enter(source)
            switch outcome {
            case .value(let v):
                out.line(display(v))
                lastExpression = Self.expandedUnderscore(entered, last: lastExpression)
                hasLastValue = true
            case .printed(let s):
                out.line(s)
            case .asserted(let ok, let message):
                if ok {
                    out.line(style.green("assertion holds"))
                } else if let s = statements.first {
                    // As a file reports it: at the condition, with the condition as the hint.
                    let condition = s.trimmedExpression.onOneLine
                    report([s.error(in: text, kind: .assertion, message: "assertion failed: " + (message ?? condition),
                                    hint: message == nil ? nil : "condition: " + condition)], into: &out)
                }
            case .declared(let declared, let changes):
                let redefined = declared.filter { names.contains($0) }
                for name in declared where !redefined.contains(name) {
                    if ["org", "mission", "vision", "values"].contains(name) {
                        out.line(style.dim(name) + " " + Self.oneLine(text, dropping: name))
                    } else {
                        out.line(declarationSummary(name, kind: session.engine.declaredKind(of: name) ?? ""))
                    }
                }
                if declared.isEmpty && imports {
                    // `use`, `import`: name what arrived (a check-in declares no name).
                    let added = session.engine.declaredNames.map(\.name).filter { !names.contains($0) && !$0.hasPrefix("_") }
                    if !added.isEmpty { out.line(style.dim("added ") + added.joined(separator: ", ")) }
                }
                if !redefined.isEmpty {
                    out.line(style.dim("redefined " + redefined.joined(separator: ", ")))
                    renderChanges(changes, limit: 50, into: &out)
                } else if declared.contains(where: { session.engine.declaredKind(of: $0) == "objective" }),
                          let c = changes.first(where: { $0.path == "plan.score" }) {
                    // A new objective moves the plan's score: say by how much.
                    out.text += renderChangeTable([c], style: style)
                }
            case .nothing:
                break
            }
            let fresh = session.engine.diagnostics.filter { !diagnosticsBefore.contains($0) }
            report(unique(fresh), into: &out)
        } catch {
            handle(error, into: &out)
            // The hint quotes typed text: escaped, since colour codes pass on a colour terminal.
            if let hint = Self.assignmentHint(text) { out.errors += style.dim(hint.escapingControls()) + "\n" }
        }
    }

    /// A value as the REPL prints it: a distribution gets a one-line histogram beside its
    /// `mean (p5 … p95)`.
    func display(_ v: Value) -> String { v.description + histogramSuffix(v) }

    /// `  ▁▃▆█▆▃▁` for a distribution (cyan on a colour terminal), else "".
    func histogramSuffix(_ v: Value) -> String {
        guard let d = v.distribution, d.count > 1, d.max > d.min else { return "" }
        return "  " + style.cyan(Self.histogramBar(d.histogram.counts))
    }

    /// Histogram counts as a row of Unicode blocks, scaled to the fullest bin; an empty
    /// bin is a space, a non-empty one at least the lowest block.
    static func histogramBar(_ counts: [Int]) -> String {
        let ticks: [Character] = ["▁", "▂", "▃", "▄", "▅", "▆", "▇", "█"]
        guard let top = counts.max(), top > 0 else { return "" }
        return String(counts.map { c -> Character in
            guard c > 0 else { return " " }
            return ticks[max(0, min(7, Int((Double(c) / Double(top) * 8).rounded(.up)) - 1))]
        })
    }

    /// One line for a new declaration: `members = 262M`, `fn cagr(start, end, n)`, …
    func declarationSummary(_ name: String, kind: String) -> String {
        let st = style
        switch kind {
        case "let":
            guard let value = try? session.engine.evaluate(name) else { return "\(name) = \(st.bold("none"))" }
            return "\(name) = \(st.bold(value.description))" + histogramSuffix(value)

        case "fn":
            return st.dim("fn ") + functionSignature(name)
        default:
            let detail = objectSummary(name, kind: kind)
            return st.dim(kind) + " " + name + (detail.isEmpty ? "" : "  " + detail)
        }
    }

    /// `cagr(start, end, n)` from a function's definition.
    func functionSignature(_ name: String) -> String {
        guard let def = session.engine.definition(of: name),
              let fn = SourceText(def).statements().first, fn.name == name else { return name + "(…)" }
        return name + "(" + fn.parameters.joined(separator: ", ") + ")"
    }

    /// Key facts of a declared object: an objective's score and status, a SWOT's IFE and
    /// EFE, a projection's final value, …
    func objectSummary(_ name: String, kind: String) -> String {
        let e = session.engine
        func v(_ member: String) -> Value? {
            guard let x = try? e.evaluate(name + "." + member), !x.isNone else { return nil }
            return x
        }
        func score(_ member: String = "score") -> String? {
            guard let s = v(member)?.doubleValue else { return nil }
            let status = v("status")?.stringValue
            return style.status(fmt2(s), status) + (status.map { " " + style.status($0, $0) } ?? "")
        }
        switch kind {
        case "objective":
            return score().map { "score " + $0 } ?? style.dim("not scored")
        case "metric":
            var parts: [String] = []
            if let c = v("current") { parts.append("current \(c)") }
            if let s = score() { parts.append("score " + s) }
            return parts.joined(separator: ", ")
        case "swot":
            var parts: [String] = []
            if let x = v("ife")?.doubleValue { parts.append("IFE " + fmt2(x)) }
            if let x = v("efe")?.doubleValue { parts.append("EFE " + fmt2(x)) }
            if let x = v("ie_cell") { parts.append("cell \(x)") }
            if let x = v("posture") { parts.append("\(x)") }
            return parts.joined(separator: ", ")
        case "projection", "series":
            guard let s = e.series(of: name) else { return "" }
            let final = s.values.last?.description ?? "none"
            return "final \(final) after \(s.values.count - 1) \(s.values.count == 2 ? singular(s.period) : s.period)  "
                + sparkline(s.values.compactMap(\.doubleValue), maxWidth: 24)
        case "retro":
            var parts: [String] = []
            for (member, label) in [("went_well", "went well"), ("not_well", "not well"), ("learnings", "learnings"), ("actions", "actions")] {
                if let l = v(member)?.listValue, !l.isEmpty { parts.append("\(l.count) \(label)") }
            }
            return parts.joined(separator: ", ")
        default:
            if let x = try? e.evaluate(name), !x.isNone, x.listValue == nil || kind == "let" {
                if case .ref = x { return "" }
                return x.description
            }
            return ""
        }
    }

    /// Renders before → after rows (as `strat whatif` does), at most `limit` of them.
    func renderChanges(_ changes: [Change], limit: Int, into out: inout Output) {
        if changes.isEmpty {
            out.line(style.dim("no values change"))
            return
        }
        out.text += renderChangeTable(Array(changes.prefix(limit)), style: style)
        if changes.count > limit {
            out.line(style.dim("… and \(changes.count - limit) more"))
        }
    }

    /// Whether a declaration uses `_` (the last value): it then takes the formula behind
    /// that value instead, since `_` changes with every expression entered.
    static func underscoreInDeclaration(_ source: SourceText) -> Bool {
        source.statements().contains { $0.name != nil } && source.mentions("_")
    }

    /// The source of the last expression's value with its own `_` expanded, or nil when
    /// unknown or too long to be worth a formula (`_ + _` doubles at every step).
    static func expandedUnderscore(_ source: SourceText, last: String?) -> String? {
        var t = source.text
        if source.mentions("_") {
            guard let last else { return nil }
            t = source.replacing("_", with: "(" + last + ")")
        }
        t = t.trimmingSpaces()
        return t.utf8.count > 2000 ? nil : t
    }

    /// A hint for `name = value` typed as if it were an assignment.
    static func assignmentHint(_ text: String) -> String? {
        guard let (path, expr) = SourceText(text).assignment() else { return nil }
        if path.contains(".") {
            return "   = note: to try a value without changing the model: :whatif \(path) = \(expr)"
        }
        return "   = note: to (re)define a value: let \(path) = \(expr)   to try one: :whatif \(path) = \(expr)"
    }
}

/// Rows `path: before → after`, as `strat whatif` prints them; after is green when it
/// went up, red when it went down.
func renderChangeTable(_ changes: [Change], style st: Style) -> String {
    let rows = changes.map { c -> [Cell] in
        let after = c.after.description
        var shown = st.bold(after)
        if let a = c.after.doubleValue, let b = c.before.doubleValue {
            shown = a > b ? st.green(after) : a < b ? st.red(after) : after
        }
        return [Cell(c.path + ":"), Cell(c.before.description, st.dim(c.before.description)), Cell("→"), Cell(after, shown)]
    }
    return renderTable(rows, align: [.left, .right, .left, .left], indent: "", gap: " ").joined(separator: "\n") + "\n"
}

/// Lines of a file descriptor as bytes, without their `\n` (UTF-8 is checked by the caller).
struct InputLines {
    let fd: Int32
    private var buffer: [UInt8] = []
    private var start = 0
    private var atEnd = false
    /// 1-based number of the line last returned.
    private(set) var lineNumber = 0

    init(fd: Int32) { self.fd = fd }

    mutating func next() -> [UInt8]? {
        while true {
            if let newline = buffer[start...].firstIndex(of: 10) {
                let line = Array(buffer[start..<newline])
                start = newline + 1
                lineNumber += 1
                return line
            }
            if atEnd {
                guard start < buffer.count else { return nil }
                let line = Array(buffer[start...])
                start = buffer.count
                lineNumber += 1
                return line
            }
            if start > 0 {
                buffer.removeSubrange(0..<start)
                start = 0
            }
            var chunk = [UInt8](repeating: 0, count: 65536)
            let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { atEnd = true } else { buffer.append(contentsOf: chunk[0..<n]) }
        }
    }
}
