// Questions the REPL asks about the text typed at it — is it finished, what does it
// declare, where does one statement end — answered from the real lexer and parser, so
// that typed input is read exactly as the same text in a file is (issue 14).

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Interners for the lexers and parsers below, reused: making one interns every keyword,
/// which took longer than reading a typical REPL line (piping 10,000 lets spent 43% of its
/// time there). Each is used by one reader at a time; one that grew large is dropped.
private final class SpareInterners: @unchecked Sendable {
    static let shared = SpareInterners()
    private var spare: [Interner] = []
    private let lock: UnsafeMutablePointer<pthread_mutex_t>

    private init() {
        lock = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
        pthread_mutex_init(lock, nil)
    }

    func take() -> Interner {
        pthread_mutex_lock(lock)
        defer { pthread_mutex_unlock(lock) }
        return spare.popLast() ?? Interner()
    }

    func give(_ interner: Interner) {
        guard interner.count < 4096 else { return }
        pthread_mutex_lock(lock)
        defer { pthread_mutex_unlock(lock) }
        if spare.count < 8 { spare.append(interner) }
    }
}

/// Whether `text` — the lines typed so far at the REPL, joined with `"\n"` — is an
/// unfinished statement, so the REPL should show the `...> ` prompt and read another line
/// instead of evaluating (spec §1 and §10).
///
/// The text is read by the language's lexer. It is `true` when
/// - a `(`, `[` or `{` is still open, or
/// - a `/* … */` comment is still open (they nest), or
/// - the last token is one after which a file's newline does not end the statement: a
///   binary operator `+ - * / ^ = == != < <= > >= ->`, a comma, or one of the keywords
///   `and`, `or`, `not`, `to`, `if`, `then`, `else` (a keyword right after `.` is a member
///   name, as in `M.to`, and does not count).
///
/// It is `false` — evaluate now and let the parser report any problem — for complete
/// input, for a closing bracket with no opener or of the wrong kind, when the last line
/// ends inside a string literal (strings do not span lines), and when the lexer rejected
/// something after the last token (`a + @`). Strings, interpolations `"\( … )"`, comments
/// and number suffixes (`85%`, `1e-3`) are single tokens, as in a file.
///
/// A line starting with `then`, `else`, `and` or `or` continues the previous line in a
/// file; at the REPL the previous line has already been evaluated by then, so end the
/// line with the keyword instead.
///
/// Pure and cheap; REPL command lines (`:load …`) should not be passed to it.
public func needsContinuation(_ text: String) -> Bool {
    var reader = ContinuationReader()
    for line in text.split(separator: "\n", omittingEmptySubsequences: false) { reader.add(line) }
    return reader.needsMore
}

/// Lines typed at the REPL, read one at a time: ``needsMore`` answers
/// ``needsContinuation(_:)`` for the lines added so far, lexing each line once (an entry
/// of thousands of lines costs linear time, not quadratic).
///
/// Tokens never span lines — strings and interpolations end at a newline — except block
/// comments: while one is open, a line is only scanned for its `/*` and `*/` (a comment of
/// thousands of lines is read once, not again at every line).
package struct ContinuationReader {
    /// Closers of the open brackets, innermost last.
    private var open: [TokenKind] = []
    private var last: (kind: TokenKind, name: Int32, afterDot: Bool)?
    /// A closer with no opener or of the wrong kind.
    private var broken = false
    /// The lexer rejected something after the last token.
    private var junk = false
    /// The last line ends inside a string.
    private var endsInString = false
    /// How deeply nested the block comment the lines so far end in is (0: none).
    private var commentDepth = 0

    package init() {}

    package mutating func add<S: StringProtocol>(_ line: S) {
        endsInString = false
        guard !broken else { return }
        var bytes = Array(line.utf8)
        if commentDepth > 0 {
            // Inside a block comment: only `/*` and `*/` count, until it closes; the rest
            // of the line is then read as code.
            let end = Self.scanComment(bytes, from: 0, depth: &commentDepth)
            if commentDepth > 0 { return }
            bytes.removeFirst(end)
        }
        let file = SourceFile(path: "<repl>", bytes: bytes, id: 0)
        let interner = SpareInterners.shared.take()
        defer { SpareInterners.shared.give(interner) }
        var lexer = Lexer(file: file, interner: interner)
        lexer.keepComments = true
        var lastEnd: Int32?
        var commentStart: Int32 = -1
        scan: while true {
            let t = lexer.next()
            switch t.kind {
            case .eof:
                break scan
            case .comment:
                if lexer.errors.contains(where: { $0.1.start == t.start }), bytes[Int(t.start) + 1] == UInt8(ascii: "*") {
                    // Unterminated: it runs to the end of the line; the next lines continue it.
                    _ = Self.scanComment(bytes, from: Int(t.start), depth: &commentDepth)
                    commentStart = t.start
                    break scan
                }
                continue
            case .newline:
                continue
            case .lparen, .lbracket, .lbrace:
                open.append(closer(of: t.kind)!)
            case .rparen, .rbracket, .rbrace:
                guard open.last == t.kind else { broken = true; return }   // let the parser report it
                open.removeLast()
            default:
                break
            }
            last = (t.kind, t.name, last?.kind == .dot)
            lastEnd = t.end
            endsInString = t.kind == .string && Int(t.end) == bytes.count && lexer.errors.contains { $0.1.start == t.start }
        }
        let errors = lexer.errors.map(\.1.start).filter { $0 != commentStart }
        if let lastEnd { junk = errors.contains { $0 >= lastEnd } } else if !errors.isEmpty { junk = true }
    }

    /// Scans `bytes` from `start` as the lexer scans a block comment, `depth` levels deep
    /// (nested comments count); returns where the comment closed, or the end.
    private static func scanComment(_ bytes: [UInt8], from start: Int, depth: inout Int) -> Int {
        let slash = UInt8(ascii: "/"), star = UInt8(ascii: "*")
        var i = start
        while i < bytes.count {
            if bytes[i] == slash && i + 1 < bytes.count && bytes[i + 1] == star { depth += 1; i += 2; continue }
            if bytes[i] == star && i + 1 < bytes.count && bytes[i + 1] == slash {
                depth -= 1
                i += 2
                if depth == 0 { return i }
                continue
            }
            i += 1
        }
        return i
    }

    /// Whether the lines so far are an unfinished statement (see ``needsContinuation(_:)``).
    package var needsMore: Bool {
        if broken { return false }
        if commentDepth > 0 { return true }
        if endsInString || junk { return false }
        if !open.isEmpty { return true }
        guard let last else { return false }
        if last.kind.continuesLine { return true }
        return last.kind == .keyword && !last.afterDot && Lexer.continuesAfter(last.name)
    }
}

/// REPL input lexed (and, when a question needs it, parsed) once, with the questions the
/// REPL and ``Session`` ask about it.
package final class SourceText {
    package let text: String
    private let file: SourceFile
    private let interner = SpareInterners.shared.take()
    /// The lexer's tokens, comments included, newlines only where they end a statement.
    private let tokens: [LexToken]
    /// Start offsets of the lexer's errors.
    private let errorStarts: [Int32]
    private var byteCount: Int32 { Int32(file.bytes.count) }
    /// The nesting limit the parser reads the text with.
    package let maxNesting: Int

    /// `maxNesting`: the parser's nesting limit (the engine's, so that what it rejects is
    /// not read here either).
    package init(_ text: String, maxNesting: Int = Limits().maxNesting) {
        self.text = text
        self.maxNesting = maxNesting
        file = SourceFile(path: "<repl>", bytes: Array(text.utf8), id: 0)
        var lexer = Lexer(file: file, interner: interner)
        lexer.keepComments = true
        var tokens: [LexToken] = []
        while true {
            let t = lexer.next()
            if t.kind == .eof { break }
            tokens.append(t)
        }
        self.tokens = tokens
        errorStarts = lexer.errors.map(\.1.start)
    }

    deinit { SpareInterners.shared.give(interner) }

    private func slice(_ start: Int32, _ end: Int32) -> String { file.text(start, end) }

    /// Bracket depth before each token, for splitting at top-level separators. A closer
    /// with no opener leaves it at 0, as the parser's recovery does.
    private func depths() -> [Int] {
        var out: [Int] = []
        out.reserveCapacity(tokens.count)
        var depth = 0
        for t in tokens {
            out.append(depth)
            if closer(of: t.kind) != nil { depth += 1 }
            else if t.kind == .rparen || t.kind == .rbracket || t.kind == .rbrace { depth = max(0, depth - 1) }
        }
        return out
    }

    // MARK: Separators

    /// The input split at top-level `;` (outside brackets, braces, strings and comments),
    /// each part without leading blanks, empty parts left out; `[text]` when none is left.
    package func statementsSplitAtSemicolons() -> [String] {
        let parts = semicolonParts()
        return parts.isEmpty ? [text] : parts.map(\.text)
    }

    /// The parts of ``statementsSplitAtSemicolons()``, each with the UTF-8 offset in
    /// ``text`` where it starts (for placing its diagnostics); empty when none is left.
    package func semicolonParts() -> [(text: String, offset: Int)] {
        var parts: [(text: String, offset: Int)] = []
        var from: Int32 = 0
        let depth = depths()
        func add(_ end: Int32) {
            let whole = slice(from, end)
            let part = whole.drop(while: { $0 == " " || $0 == "\t" || $0 == "\n" })
            if !part.isEmpty { parts.append((String(part), Int(from) + whole.utf8.count - part.utf8.count)) }
        }
        for (i, t) in tokens.enumerated() where t.kind == .semicolon && depth[i] == 0 {
            add(t.start)
            from = t.end
        }
        add(byteCount)
        return parts
    }

    /// `PATH = EXPR, PATH = EXPR`: the parts between top-level commas, each split at its
    /// first top-level `=` (not `==`, `<=`, …) and trimmed; nil unless every part has a
    /// non-empty path and expression.
    package func assignments() -> [(path: String, expr: String)]? {
        let depth = depths()
        var out: [(path: String, expr: String)] = []
        var partStart: Int32 = 0
        var equals: Int?
        func close(_ end: Int32) -> Bool {
            guard let e = equals else { return false }
            let path = slice(partStart, tokens[e].start).trimmingBlanks()
            let expr = slice(tokens[e].end, end).trimmingBlanks()
            guard !path.isEmpty, !expr.isEmpty else { return false }
            out.append((path, expr))
            return true
        }
        for (i, t) in tokens.enumerated() where depth[i] == 0 {
            if t.kind == .comma {
                guard close(t.start) else { return nil }
                partStart = t.end
                equals = nil
            } else if t.kind == .assign, equals == nil {
                equals = i
            }
        }
        guard close(byteCount) else { return nil }
        return out
    }

    /// `PATH = EXPR` typed as if it were an assignment: PATH a name or a dotted path
    /// (`a.b.c`) before a top-level `=`, and the source after it; nil otherwise.
    package func assignment() -> (path: String, expr: String)? {
        let code = tokens.filter { $0.kind != .comment && $0.kind != .newline }
        guard let eq = code.firstIndex(where: { $0.kind == .assign }), eq % 2 == 1 else { return nil }
        for (i, t) in code[..<eq].enumerated() {
            let ok = i % 2 == 0 ? t.kind == .identifier || (i > 0 && t.kind == .keyword) : t.kind == .dot
            if !ok { return nil }
        }
        return (slice(code[0].start, code[eq - 1].end), slice(code[eq].end, byteCount).trimmingBlanks())
    }

    // MARK: Statements

    /// One statement of the input as the parser reads it.
    package struct Statement {
        package enum Kind: Equatable {
            /// An expression (REPL input only).
            case expression
            case let_, print, assert
            /// `use` or `import`: declarations arrive, none is named by the statement itself.
            case library
            /// Any other declaration or statement: `fn`, a block, `series`, `org`, `plan`,
            /// `checkin`, `simulate`, …
            case declaration
            /// A statement the parser could not read: entering it reports why.
            case invalid
        }
        package var kind: Kind
        /// The name it declares (`let x` → `x`, `org "…"` → `org`); nil if it names none.
        package var name: String?
        /// The source of its expression: a `let`'s value (after `=`), what a `print` prints
        /// or the condition of an `assert` (after the keyword), a whole expression.
        package var expression: String?
        /// The UTF-8 offset in the input where ``expression`` starts.
        package var expressionOffset = 0
        /// The source of an `assert`'s message or a declaration's title: a string literal.
        package var message: String?
        /// A function's parameter names.
        package var parameters: [String] = []
        /// It is a `simulate` (which a later one replaces, as a name's declaration is).
        package var setsSimulation = false
    }

    private var parsed: [Statement]?
    /// The parser's expressions, once parsed.
    private let pool = ExprPool()
    private var syntaxErrors = false
    /// Each function's parameters and its span: there a parameter's name is the parameter.
    private var functions: [(params: [Int32], span: Span)] = []

    /// The statements of the input, in order: one for each statement the lexer starts
    /// (at the top level, after a newline or `;`), read by the parser.
    package func statements() -> [Statement] {
        if let p = parsed { return p }
        let decls = parse()
        functions = decls.filter { $0.kind == .fn && !$0.params.isEmpty }.map { ($0.params, $0.span) }
        let byStart = Dictionary(decls.map { ($0.span.start, $0) }, uniquingKeysWith: { a, _ in a })
        let out = statementStarts().map { start in
            byStart[start].map(statement) ?? Statement(kind: .invalid)
        }
        parsed = out
        return out
    }

    /// Whether the lexer or the parser found an error: the statements are then only the
    /// parser's best reading, and entering the input should report the errors.
    package var hasSyntaxErrors: Bool {
        _ = statements()
        return syntaxErrors
    }

    @inline(never)
    private func parse() -> [Decl] {
        var sink = DiagnosticSink()
        sink.maxItems = 0   // only the declarations are wanted; entering the input reports its errors
        var parser = Parser(file: file, interner: interner, pool: pool, sink: sink, maxNesting: maxNesting)
        let decls = parser.parseProgram(allowExpressions: true)
        syntaxErrors = parser.sink.errorCount > 0
        return decls
    }

    /// Where statements start: the first token, and the first after each top-level
    /// newline or `;` the lexer returns.
    private func statementStarts() -> [Int32] {
        var starts: [Int32] = []
        var atStart = true
        let depth = depths()
        for (i, t) in tokens.enumerated() where t.kind != .comment && depth[i] == 0 {
            if t.kind == .newline || t.kind == .semicolon { atStart = true; continue }
            if atStart { starts.append(t.start) }
            atStart = false
        }
        return starts
    }

    /// The first non-comment token starting at or after `offset`.
    private func token(after offset: Int32) -> LexToken? {
        tokens.first { $0.start >= offset && $0.kind != .comment }
    }

    /// The end of the last token before `offset`, skipping comments, newlines and commas.
    private func endOfCode(before offset: Int32) -> Int32? {
        tokens.last { $0.end <= offset && $0.kind != .comment && $0.kind != .newline && $0.kind != .comma }?.end
    }

    private func statement(_ d: Decl) -> Statement {
        var s = Statement(kind: .declaration)
        let end = d.span.end
        switch d.kind {
        case .expr:
            s.kind = .expression
            s.expression = slice(d.span.start, end)
            s.expressionOffset = Int(d.span.start)
        case .print:
            s.kind = .print
            s.expression = slice(d.nameSpan.end, end)
            s.expressionOffset = Int(d.nameSpan.end)
        case .assert:
            s.kind = .assert
            s.expressionOffset = Int(d.nameSpan.end)
            if d.message >= 0 {
                let m = pool[d.message].span
                s.message = slice(m.start, m.end)
                s.expression = slice(d.nameSpan.end, endOfCode(before: m.start) ?? m.start)
            } else {
                s.expression = slice(d.nameSpan.end, end)
            }
        case .use, .import_:
            s.kind = .library
        case .let_, .series:
            s.kind = d.kind == .let_ ? .let_ : .declaration
            s.name = interner[d.name]
            if let eq = token(after: d.nameSpan.end), eq.kind == .assign {
                s.expression = slice(eq.end, end)
                s.expressionOffset = Int(eq.end)
            }
        case .fn, .swot, .objective, .metric, .scenario, .projection, .retro, .org, .mission, .vision, .values:
            s.name = interner[d.name]
            s.parameters = d.params.map { interner[$0] }
        case .simulate:
            s.setsSimulation = true
        case .planPeriod, .checkin:
            break
        }
        if d.title >= 0 {
            let t = pool[d.title].span
            s.message = slice(t.start, t.end)
        }
        return s
    }

    // MARK: Names

    /// The spans of the name `name` where the parser reads it as a name (not a member
    /// after `.`, a property key, text in a string or a function's parameter of that
    /// name; inside an interpolation it is one).
    private func uses(of name: String) -> [Span] {
        _ = statements()
        guard let id = interner.lookup(name) else { return [] }
        let shadowing = functions.filter { $0.params.contains(id) }.map(\.span)
        return pool.nodes.filter { n in
            n.kind == .name && n.a == id && !shadowing.contains { n.span.start >= $0.start && n.span.end <= $0.end }
        }.map(\.span)
    }

    /// Whether the input reads the name `name`.
    package func mentions(_ name: String) -> Bool { !uses(of: name).isEmpty }

    /// The UTF-8 ranges where the input reads the name `name`, in order: what
    /// ``replacing(_:with:)`` replaces.
    package func reads(of name: String) -> [Range<Int>] {
        uses(of: name).sorted { $0.start < $1.start }.map { Int($0.start)..<Int($0.end) }
    }

    /// The input with every read of the name `name` replaced by `replacement`.
    package func replacing(_ name: String, with replacement: String) -> String {
        let spans = uses(of: name).sorted { $0.start < $1.start }
        guard !spans.isEmpty else { return text }
        var out = ""
        var from: Int32 = 0
        for s in spans where s.start >= from {
            out += slice(from, s.start) + replacement
            from = s.end
        }
        return out + slice(from, byteCount)
    }
}

/// The closing bracket of an opening one.
private func closer(of open: TokenKind) -> TokenKind? {
    switch open {
    case .lparen: return .rparen
    case .lbracket: return .rbracket
    case .lbrace: return .rbrace
    default: return nil
    }
}

extension String {
    /// The text on one line: each run of blanks with a line break in it becomes one space
    /// (none at the ends); other blanks are kept. For a formula written over several
    /// lines shown in a one-line place: a diagnostic's message, a tree's node.
    package var onOneLine: String {
        guard contains(where: { $0 == "\n" || $0 == "\r" || $0 == "\r\n" }) else { return self }
        var s = "", blanks = "", lineBreak = false
        for c in self {
            if c == " " || c == "\t" || c == "\n" || c == "\r" || c == "\r\n" {
                blanks.append(c)
                lineBreak = lineBreak || c == "\n" || c == "\r" || c == "\r\n"
                continue
            }
            if !blanks.isEmpty && !s.isEmpty { s += lineBreak ? " " : blanks }
            blanks = ""
            lineBreak = false
            s.append(c)
        }
        return s
    }
}

private extension String {
    /// Without leading and trailing spaces, tabs and newlines.
    func trimmingBlanks() -> String {
        let blank: (Character) -> Bool = { $0 == " " || $0 == "\t" || $0 == "\n" || $0 == "\r" }
        return String(drop(while: blank).reversed().drop(while: blank).reversed())
    }
}

extension SourceText.Statement {
    /// The statement's expression as written, without the blanks around it.
    package var trimmedExpression: String { (expression ?? "").trimmingBlanks() }

    /// An error at the statement's expression (an assert's condition), in `text`, the
    /// input the statement was read from: its first line underlined, as in a file.
    package func error(in text: String, kind: Diagnostic.Kind, message: String, hint: String? = nil) -> Diagnostic {
        let e = expression ?? ""
        let blanks = e.prefix { $0 == " " || $0 == "\t" || $0 == "\n" || $0 == "\r" }
        let first = trimmedExpression.split(separator: "\n", omittingEmptySubsequences: false).first.map(String.init) ?? ""
        let d = Diagnostic(severity: .error, kind: kind, message: message, path: "<expr>", line: 1, column: 1,
                           length: max(1, first.unicodeScalars.count), hint: hint, sourceLine: first)
        return d.placed(in: text, at: expressionOffset + blanks.utf8.count)
    }
}

/// A text's lines, read once, for placing many diagnostics in it: the REPL places each
/// error of each `;`-separated statement of a long line in the whole line.
package struct LineIndex {
    private let text: String
    private let bytes: [UInt8]
    /// UTF-8 offsets where lines start.
    private let starts: [Int]

    package init(_ text: String) {
        self.text = text
        bytes = Array(text.utf8)
        var starts = [0]
        for (i, b) in bytes.enumerated() where b == 10 { starts.append(i + 1) }
        self.starts = starts
    }

    /// The 1-based line and column (in scalars) of each of `offsets` (ascending), in one pass.
    package func positions(of offsets: [Int]) -> [(line: Int, column: Int)] {
        var out: [(line: Int, column: Int)] = []
        out.reserveCapacity(offsets.count)
        var i = 0, line = 1, column = 1
        for offset in offsets {
            let end = max(i, min(offset, bytes.count))
            while i < end {
                if bytes[i] == 10 { line += 1; column = 1 } else if bytes[i] & 0xC0 != 0x80 { column += 1 }
                i += 1
            }
            out.append((line, column))
        }
        return out
    }

    /// The position of one offset.
    package func position(of offset: Int) -> (line: Int, column: Int) {
        let off = max(0, min(offset, bytes.count))
        var lo = 0, hi = starts.count - 1
        while lo < hi {
            let mid = (lo + hi + 1) / 2
            if starts[mid] <= off { lo = mid } else { hi = mid - 1 }
        }
        var column = 1
        for k in starts[lo]..<off where bytes[k] & 0xC0 != 0x80 { column += 1 }
        return (lo + 1, column)
    }

    /// The UTF-8 offset of a 1-based line and column (in scalars), clamped to the text.
    package func offset(line: Int, column: Int) -> Int {
        guard line >= 1 else { return 0 }
        guard line <= starts.count else { return bytes.count }
        var off = starts[line - 1], c = 1
        while c < column && off < bytes.count && bytes[off] != 10 {
            off += 1
            while off < bytes.count && bytes[off] & 0xC0 == 0x80 { off += 1 }
            c += 1
        }
        return off
    }

    /// The 1-based line `n` without its newline, or nil when there is none or it is
    /// longer than a diagnostic quotes (as for a file's lines).
    package func snippet(_ n: Int) -> String? {
        guard n >= 1 && n <= starts.count else { return nil }
        let end = n < starts.count ? starts[n] - 1 : bytes.count
        guard end - starts[n - 1] <= maxSnippetBytes else { return nil }
        return String(decoding: bytes[starts[n - 1]..<end], as: UTF8.self)
    }

    /// Whether a diagnostic is about this text: its source line is this text's line of
    /// that number (or it quotes none).
    package func holds(_ d: Diagnostic) -> Bool {
        guard let shown = d.sourceLine else { return true }
        guard d.line >= 1 && d.line <= starts.count else { return false }
        let end = d.line < starts.count ? starts[d.line] - 1 : bytes.count
        return bytes[starts[d.line - 1]..<end].elementsEqual(shown.utf8)
    }
}

extension Diagnostic {
    /// This diagnostic of a piece of `text` read on its own (an assert's condition, one
    /// of several `;`-separated statements), placed where the piece is in `text`: `offset`
    /// is the piece's UTF-8 offset there. Line, column and source line then point into
    /// `text`, so the error shows where it was typed.
    package func placed(in text: String, at offset: Int) -> Diagnostic {
        let index = LineIndex(text)
        return placed(in: index, at: index.position(of: offset))
    }

    /// ``placed(in:at:)`` with the text's lines and the piece's position read already.
    package func placed(in text: LineIndex, at base: (line: Int, column: Int)) -> Diagnostic {
        guard line > 0 else { return self }
        var d = self
        d.line = base.line + line - 1
        if line == 1 { d.column = base.column - 1 + column }
        d.sourceLine = text.snippet(d.line)
        return d
    }

    /// This diagnostic of `edited` — `original` with the UTF-8 ranges `spans` replaced by
    /// `replacement` (the REPL's `_` by the formula behind it) — placed back in `original`.
    /// A place inside a replacement goes to what it replaced.
    package func placedBack(from edited: LineIndex, to original: LineIndex, spans: [Range<Int>], replacement: String) -> Diagnostic {
        guard line > 0 else { return self }
        let off = edited.offset(line: line, column: column)
        // Back to `original`: before, inside or after each replacement in turn.
        let r = replacement.utf8.count
        var shift = 0, inside: Int?
        for s in spans {
            let start = s.lowerBound + shift
            if off < start { break }
            if off < start + r { inside = s.lowerBound; break }
            shift += r - s.count
        }
        let at = original.position(of: inside ?? (off - shift))
        var d = self
        d.line = at.line
        d.column = at.column
        if inside != nil { d.length = 1 }
        d.sourceLine = original.snippet(at.line)
        return d
    }
}
