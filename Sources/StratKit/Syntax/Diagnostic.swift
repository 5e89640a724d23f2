/// A problem found in a model: data with a location, rendered only at the edge.
public struct Diagnostic: Sendable, Hashable, CustomStringConvertible {
    /// How serious a diagnostic is.
    public enum Severity: String, Sendable, Hashable {
        case error, warning, note
    }

    /// What stage found the problem; decides the CLI exit code.
    public enum Kind: String, Sendable, Hashable {
        /// Lexical, syntax, name, unit, cycle and other problems found before evaluation.
        case compile
        /// Division by zero, a limit hit, a host function error: found while evaluating.
        case runtime
        /// An `assert` that did not hold.
        case assertion
        /// A file that could not be read.
        case io
    }

    /// Error, warning or note.
    public var severity: Severity
    /// Stage that found it.
    public var kind: Kind
    /// One-line message.
    public var message: String
    /// The file's path as it was loaded ("" when there is no file).
    public var path: String
    /// 1-based line (0 when unknown).
    public var line: Int
    /// 1-based column, counting characters (0 when unknown).
    public var column: Int
    /// How many characters the caret underline spans.
    public var length: Int
    /// A suggestion, such as `did you mean 'churn'?`.
    public var hint: String?
    /// The text of the source line, for rendering a snippet.
    public var sourceLine: String?

    /// Makes a diagnostic; most come from the engine rather than from hosts.
    public init(severity: Severity, kind: Kind = .compile, message: String, path: String = "",
                line: Int = 0, column: Int = 0, length: Int = 1, hint: String? = nil,
                sourceLine: String? = nil) {
        self.severity = severity
        self.kind = kind
        self.message = message
        self.path = path
        self.line = line
        self.column = column
        self.length = length
        self.hint = hint
        self.sourceLine = sourceLine
    }

    /// `path:line:col: severity: message`, the first line of the rendered form.
    public var description: String {
        var s = ""
        if !path.isEmpty { s += path + ":" }
        if line > 0 { s += "\(line):\(column):" }
        if !s.isEmpty { s += " " }
        return s + "\(severity.rawValue): \(message)"
    }

    /// The parts of the text form a host may style: the CLI colours them on a terminal.
    public enum TextPart: Sendable, Hashable {
        /// `path:line:col: ` (possibly empty).
        case location
        /// The word `error`, `warning` or `note`.
        case severity(Severity)
        /// The one-line message.
        case message
        /// The `^~~~` under the source snippet.
        case caret
    }

    /// The full text form, plain: header, source snippet with carets, and the hint.
    public func rendered() -> String { rendered { _, text in text } }

    /// The full text form with each ``TextPart`` passed through `style`, which gets the
    /// part's text with its control characters already escaped: a host adds its own
    /// markup (colour, HTML) around text that cannot carry any of the model's.
    public func rendered(style: (TextPart, String) -> String) -> String {
        var loc = ""
        if !path.isEmpty { loc += path + ":" }
        if line > 0 { loc += "\(line):\(column):" }
        if !loc.isEmpty { loc += " " }
        // A newline in a path would split the `path:line:col:` header that tools read.
        let shownLoc = loc.escapingControls().split(separator: "\n", omittingEmptySubsequences: false).joined(separator: "\\u{A}")
        var out = style(.location, shownLoc) + style(.severity(severity), severity.rawValue) + ": "
            + style(.message, message.escapingControls())
        let help = hint?.escapingControls()
        if let text = sourceLine, line > 0 {
            let num = String(line)
            let pad = String(repeating: " ", count: num.count)
            // Control characters and bidirectional overrides (which would reorder the
            // line on screen) are shown escaped (`\u{1B}`), and the caret moves by the
            // terminal width of what is shown: 2 for a wide character, 0 for a combining one.
            let scalars = Array(text.unicodeScalars)
            let shown = scalars.map { $0 == "\t" ? "    " : $0.isBidiControl ? $0.escaped : String(displayedScalar: $0) }
            let widths = zip(scalars, shown).map { u, s in s.unicodeScalars.count == 1 ? u.terminalWidth : s.unicodeScalars.count }
            out += "\n \(num) | \(shown.joined())"
            let before = min(max(0, column - 1), scalars.count)
            let indent = String(repeating: " ", count: widths[..<before].reduce(0, +))
            let n = max(1, min(length, scalars.count - before))
            let under = max(1, widths[before..<min(scalars.count, before + n)].reduce(0, +))
            out += "\n \(pad) | \(indent)" + style(.caret, "^" + String(repeating: "~", count: under - 1))
            if let h = help { out += "\n \(pad) = help: \(h)" }
        } else if let h = help {
            out += "\n   = help: \(h)"
        }
        return out
    }

    /// The JSON-lines form: `{"severity","message","file","line","column","hint"}`.
    public var jsonLine: String {
        var w = JSONWriter()
        write(&w)
        return w.output
    }

    func write(_ w: inout JSONWriter) {
        w.beginObject()
        w.key("severity"); w.string(severity.rawValue)
        w.key("message"); w.string(message)
        w.key("file"); w.string(path)
        w.key("line"); w.int(line)
        w.key("column"); w.int(column)
        w.key("hint"); if let h = hint { w.string(h) } else { w.null() }
        w.endObject()
    }
}

extension String {
    /// A scalar as shown to a person: itself, or `\u{1B}` for a control character (C0
    /// other than tab and newline, DEL, C1), which a terminal would otherwise obey.
    init(displayedScalar u: Unicode.Scalar) {
        if u.isTerminalControl { self = u.escaped }
        else { self = String(Character(u)) }
    }

    /// The text with control characters escaped (`\u{1B}`, `\u{D}`; tab and newline
    /// kept): for every human-facing output, so that text from a model cannot move the
    /// cursor, retitle a window or ring the bell. JSON output escapes on its own.
    public func escapingControls() -> String {
        guard unicodeScalars.contains(where: \.isTerminalControl) else { return self }
        var out = ""
        for u in unicodeScalars {
            if u.isTerminalControl { out += String(displayedScalar: u) } else { out.unicodeScalars.append(u) }
        }
        return out
    }
}

extension Unicode.Scalar {
    /// C0 controls other than tab and newline, DEL and C1 controls.
    var isTerminalControl: Bool {
        (value < 0x20 && value != 0x09 && value != 0x0A) || (value >= 0x7F && value <= 0x9F)
    }

    /// The embeddings, overrides and isolates that reorder text on screen (U+202A–202E,
    /// U+2066–2069): in a source line they could make code look other than it reads.
    var isBidiControl: Bool { (0x202A...0x202E).contains(value) || (0x2066...0x2069).contains(value) }

    /// `\u{202E}`.
    var escaped: String { "\\u{" + String(value, radix: 16, uppercase: true) + "}" }

    /// Columns a terminal gives the scalar: 0 for a combining mark, a format character or
    /// an emoji modifier, 2 for an East Asian wide character or an emoji, else 1.
    var terminalWidth: Int {
        switch properties.generalCategory {
        case .nonspacingMark, .enclosingMark, .format: return 0
        default: break
        }
        let v = value
        if (0x1F3FB...0x1F3FF).contains(v) { return 0 }
        if properties.isEmojiPresentation { return 2 }
        let wide: [ClosedRange<UInt32>] = [0x1100...0x115F, 0x2E80...0x303E, 0x3041...0x33FF, 0x3400...0x4DBF,
                                           0x4E00...0x9FFF, 0xA000...0xA4CF, 0xAC00...0xD7A3, 0xF900...0xFAFF,
                                           0xFE30...0xFE4F, 0xFF00...0xFF60, 0xFFE0...0xFFE6, 0x20000...0x3FFFD]
        return v >= 0x1100 && wide.contains { $0.contains(v) } ? 2 : 1
    }
}

/// Thrown by ``Engine`` when a model or expression has errors.
public struct StratError: Error, Sendable, CustomStringConvertible {
    /// Every diagnostic found, errors and warnings, in source order.
    public var diagnostics: [Diagnostic]

    /// Makes an error from diagnostics.
    public init(diagnostics: [Diagnostic]) { self.diagnostics = diagnostics }

    /// The rendered diagnostics, one after another.
    public var description: String { diagnostics.map { $0.rendered() }.joined(separator: "\n") }

    /// The first error's kind, which decides the exit code.
    public var kind: Diagnostic.Kind {
        diagnostics.first(where: { $0.severity == .error })?.kind ?? .compile
    }
}

/// Source lines longer than this are not quoted under a diagnostic.
let maxSnippetBytes = 1000

/// Collects diagnostics while a stage runs, turning spans into locations.
struct DiagnosticSink {
    var items: [Diagnostic] = []
    var errorCount = 0
    /// Files by id, to compute line and column.
    var files: [SourceFile] = []

    /// Diagnostics kept (``Limits/maxDiagnostics``); past it they are counted, not stored.
    var maxItems = Int.max

    /// Adds a diagnostic. The hint is computed only when the diagnostic is kept: a
    /// "did you mean" search for each of 100,000 unknown names past the cap took minutes.
    mutating func add(_ severity: Diagnostic.Severity, _ kind: Diagnostic.Kind = .compile,
                      _ message: String, at span: Span, hint: @autoclosure () -> String? = nil) {
        if severity == .error { errorCount += 1 }
        if items.count >= maxItems {
            if items.count == maxItems {
                items.append(Self.make(severity, kind, "more than \(formatCount(maxItems)) diagnostics; the rest are not shown",
                                       at: span, hint: "the diagnostics limit can be raised by the embedder", files: files))
            }
            return
        }
        items.append(Self.make(severity, kind, message, at: span, hint: items.count < Self.maxHinted ? hint() : nil, files: files))
    }

    /// Diagnostics that get a hint ("did you mean" searches every name, so thousands of
    /// unknown names in a large model would take minutes); later ones have none.
    static let maxHinted = 20

    mutating func error(_ message: String, at span: Span, hint: @autoclosure () -> String? = nil) {
        add(.error, .compile, message, at: span, hint: hint())
    }

    /// True once diagnostics get no more hints (callers can skip computing them).
    var isFull: Bool { items.count >= Swift.min(maxItems, Self.maxHinted) }

    static func make(_ severity: Diagnostic.Severity, _ kind: Diagnostic.Kind, _ message: String,
                     at span: Span, hint: String?, files: [SourceFile]) -> Diagnostic {
        guard span.file >= 0, Int(span.file) < files.count else {
            return Diagnostic(severity: severity, kind: kind, message: message, hint: hint)
        }
        let f = files[Int(span.file)]
        let (line, col) = f.lineColumn(span.start)
        let (eline, ecol) = f.lineColumn(max(span.start, span.end))
        // A snippet of a very long line (generated or hostile input) would only flood the output.
        let text: String? = f.lineByteCount(line) > maxSnippetBytes ? nil : f.lineText(line)
        let len = eline == line ? max(1, ecol - col) : max(1, (text?.unicodeScalars.count ?? col) - col + 1)
        return Diagnostic(severity: severity, kind: kind, message: message, path: f.path, line: line,
                          column: col, length: len, hint: hint, sourceLine: text)
    }
}
