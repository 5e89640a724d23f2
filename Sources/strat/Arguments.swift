#if canImport(Glibc)
import Glibc
#endif

// A small command-line parser. swift-argument-parser builds its command tree through
// runtime reflection, which cost about 4 ms of a 6 ms start-up; `strat eval -e '1+1'`
// must stay within a few times Lua's start-up, so the CLI parses its own arguments.

/// A usage error: exit 64 with a message and a pointer to `--help`.
struct UsageError: Error {
    var message: String
}

/// Leave the command with an exit code (after printing what it had to print).
struct ExitCode: Error {
    var code: Int32
    init(_ code: Int32) { self.code = code }
    static let success = ExitCode(0)
}

/// One option or flag of a command.
struct OptionSpec {
    var long: String
    var short: Character? = nil
    /// Value placeholder for help (`PATH=EXPR`); nil for a flag.
    var value: String? = nil
    var help: String
    var repeatable = false
    /// Allowed values, for validation and help.
    var choices: [String] = []
}

/// A command: its options, positional arguments and help text.
struct CommandSpec {
    var name: String
    var abstract: String
    /// Positional arguments as shown in usage, e.g. `FILE` or `[FILE]` or `FILE…`.
    var positionals: String = ""
    var minPositionals = 0
    var maxPositionals = 0
    var options: [OptionSpec] = []
    /// The values a positional argument takes, when they are a fixed set (for completion).
    var positionalChoices: [String] = []
    var discussion: String = ""
}

/// What the parser found.
struct ParsedArguments {
    var values: [String: [String]] = [:]
    var flags: Set<String> = []
    var positionals: [String] = []

    func value(_ long: String) -> String? { values[long]?.last }
    func all(_ long: String) -> [String] { values[long] ?? [] }
    func flag(_ long: String) -> Bool { flags.contains(long) }
}

enum Arguments {
    static let helpOption = OptionSpec(long: "help", short: "h", help: "Show help for this command.")

    /// Parses `args` (without the command name) against `spec`.
    static func parse(_ args: [String], _ spec: CommandSpec) throws -> ParsedArguments {
        var out = ParsedArguments()
        var i = 0
        var onlyPositionals = false
        func option(named name: String) -> OptionSpec? {
            (spec.options + [helpOption]).first { $0.long == name }
        }
        func option(short c: Character) -> OptionSpec? {
            (spec.options + [helpOption]).first { $0.short == c }
        }
        func store(_ o: OptionSpec, _ value: String?) throws {
            if o.value == nil {
                if value != nil { throw UsageError(message: "--\(o.long) takes no value") }
                out.flags.insert(o.long)
                return
            }
            guard let v = value else { throw UsageError(message: "--\(o.long) needs a value (\(o.value!))") }
            if !o.choices.isEmpty && !o.choices.contains(v) {
                throw UsageError(message: "--\(o.long) must be one of \(o.choices.joined(separator: ", ")), not '\(v)'")
            }
            if !o.repeatable && out.values[o.long] != nil {
                throw UsageError(message: "--\(o.long) given twice")
            }
            out.values[o.long, default: []].append(v)
        }
        while i < args.count {
            let a = args[i]
            i += 1
            if onlyPositionals || a == "-" || !a.hasPrefix("-") {
                out.positionals.append(a)
                continue
            }
            if a == "--" { onlyPositionals = true; continue }
            if a.hasPrefix("--") {
                var name = String(a.dropFirst(2))
                var inline: String?
                if let eq = name.firstIndex(of: "=") {
                    inline = String(name[name.index(after: eq)...])
                    name = String(name[..<eq])
                }
                guard let o = option(named: name) else {
                    let all = (spec.options + [helpOption]).map(\.long)
                    let hint = closestWord(name, among: all).map { " (did you mean '--\($0)'?)" } ?? ""
                    throw UsageError(message: "unknown option '--\(name)'\(hint)")
                }
                if o.value != nil && inline == nil {
                    guard i < args.count else { throw UsageError(message: "--\(o.long) needs a value (\(o.value!))") }
                    inline = args[i]
                    i += 1
                }
                try store(o, inline)
                continue
            }
            // Short options: -e EXPR, -eEXPR, -h.
            let c = a[a.index(after: a.startIndex)]
            guard let o = option(short: c) else { throw UsageError(message: "unknown option '\(a)'") }
            if o.value == nil {
                if a.count > 2 { throw UsageError(message: "unknown option '\(a)'") }
                try store(o, nil)
            } else if a.count > 2 {
                try store(o, String(a.dropFirst(2)))
            } else {
                guard i < args.count else { throw UsageError(message: "-\(c) needs a value (\(o.value!))") }
                try store(o, args[i])
                i += 1
            }
        }
        if out.flags.contains("help") { return out }
        if out.positionals.count < spec.minPositionals {
            throw UsageError(message: "missing \(spec.positionals.isEmpty ? "argument" : spec.positionals)")
        }
        if out.positionals.count > spec.maxPositionals {
            throw UsageError(message: "unexpected argument '\(out.positionals[spec.maxPositionals])'")
        }
        return out
    }

    /// `strat COMMAND --help`, wrapped to `width` columns (``helpWidth()`` by default).
    static func help(_ spec: CommandSpec, program: String = "strat", width: Int? = nil) -> String {
        let width = width ?? helpWidth()
        var s = wrap(spec.abstract, width: width) + "\n\n"
        s += usageLine(spec, program: program, width: width) + "\n"
        let opts = spec.options + [helpOption]
        let rows = opts.map { o -> (String, String) in
            var left = "  "
            if let c = o.short { left += "-\(c), " }
            left += "--\(o.long)"
            if let v = o.value { left += " \(v)" }
            var help = o.help
            if o.repeatable { help += " (repeatable)" }
            return (left, help)
        }
        let column = min(30, rows.map { $0.0.count }.max() ?? 0) + 2
        // The help column keeps at least 20 characters, whatever the width.
        let helpWidth = max(20, width - column)
        let indent = String(repeating: " ", count: column)
        s += "\nOptions:\n"
        for (l, h) in rows {
            let lines = wrapLines(h, width: helpWidth)
            if l.count + 2 > column { s += l + "\n" + indent + lines[0] + "\n" }
            else { s += l + String(repeating: " ", count: column - l.count) + lines[0] + "\n" }
            for more in lines.dropFirst() { s += indent + more + "\n" }
        }
        if !spec.discussion.isEmpty { s += "\n" + wrap(spec.discussion, width: width) + "\n" }
        return s
    }

    /// `Usage: strat run [--scenario NAME] [--set PATH=EXPR]… [-h] FILE`: every option,
    /// continued under the command when it does not fit.
    static func usageLine(_ spec: CommandSpec, program: String = "strat", width: Int) -> String {
        let head = "Usage: \(program) \(spec.name)"
        var words: [String] = []
        for o in spec.options + [helpOption] {
            let name = o.short.map { "-\($0)" } ?? "--\(o.long)"
            let value = o.choices.isEmpty ? o.value : o.choices.joined(separator: "|")
            words.append("[" + name + (value.map { " " + $0 } ?? "") + "]" + (o.repeatable ? "…" : ""))
        }
        if !spec.positionals.isEmpty { words.append(spec.positionals) }
        let indent = String(repeating: " ", count: head.count + 1)
        var lines = [head]
        for w in words {
            if lines[lines.count - 1].count + 1 + w.count > width, lines[lines.count - 1].count > indent.count {
                lines.append(indent + w)
            } else {
                lines[lines.count - 1] += " " + w
            }
        }
        return lines.joined(separator: "\n")
    }

    /// Columns for help text: `COLUMNS` when set, else the terminal's width (standard
    /// output), else 80; at least 40.
    static func helpWidth() -> Int {
        if let c = getenv("COLUMNS"), let n = Int(String(cString: c)), n > 0 { return min(max(40, n), 1000) }
        var ws = winsize()
        if isatty(1) == 1, ioctl(1, UInt(TIOCGWINSZ), &ws) == 0, ws.ws_col > 0 { return max(40, Int(ws.ws_col)) }
        return 80
    }

    /// Text wrapped at word boundaries to `width` columns, paragraph by paragraph; a line
    /// that starts with a space (an example, a table) is kept as it is.
    static func wrap(_ text: String, width: Int) -> String {
        text.split(separator: "\n", omittingEmptySubsequences: false).map { line -> String in
            line.first == " " ? String(line) : wrapLines(String(line), width: width).joined(separator: "\n")
        }.joined(separator: "\n")
    }

    /// One paragraph as lines of at most `width` columns (a longer word has a line of its own).
    static func wrapLines(_ text: String, width: Int) -> [String] {
        var lines: [String] = []
        var cur = ""
        for w in text.split(separator: " ") {
            if cur.isEmpty { cur = String(w) }
            else if cur.count + 1 + w.count <= width { cur += " " + w }
            else { lines.append(cur); cur = String(w) }
        }
        lines.append(cur)
        return lines
    }

    static func closestWord(_ w: String, among: [String]) -> String? {
        var best: String?
        var bestD = 3
        for c in among {
            let d = distance(w, c)
            if d < bestD { bestD = d; best = c }
        }
        return best
    }

    private static func distance(_ a: String, _ b: String) -> Int {
        let x = Array(a), y = Array(b)
        if x.isEmpty { return y.count }
        if y.isEmpty { return x.count }
        var prev = Array(0...y.count), cur = prev
        for i in 1...x.count {
            cur[0] = i
            for j in 1...y.count {
                cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (x[i - 1] == y[j - 1] ? 0 : 1))
            }
            swap(&prev, &cur)
        }
        return prev[y.count]
    }
}

