/// The canonical source formatter behind `strat fmt`.
///
/// It re-prints the token stream (comments included) under the structure of the grammar:
/// statements one per line, blocks indented by two spaces with one entry per line, one
/// space around binary operators, `name: value` properties, and a blank line around
/// every declaration that spans several lines. Line breaks the author put inside an
/// expression are kept (re-indented); blank lines between statements or block entries
/// are kept, at most one. Property-only blocks (`metric`, `projection`, `scenario` and
/// item properties) stay on one line when they were written on one line and have no
/// comments; SWOT, objective and retro blocks are always expanded. `^` is written without
/// spaces (`(1 + r)^n`, `-2^2`), as it binds tighter than unary minus.
///
/// The result is checked before it is returned: it must parse to the same syntax tree as
/// the input and carry the same comments, so formatting never changes a model's meaning.
/// Formatting is idempotent.

/// Formats Strat source text. Throws ``StratError`` when the text has lexical or syntax
/// errors (a file that does not parse is never rewritten).
public func formatStrat(_ source: String) throws -> String {
    try formatStrat(source, path: "<input>")
}

/// Formats Strat source text; `path` names the file in diagnostics.
public func formatStrat(_ source: String, path: String) throws -> String {
    let bytes = Array(source.utf8)
    let before = SyntaxSnapshot(bytes: bytes, path: path)
    if !before.errors.isEmpty { throw StratError(diagnostics: before.errors) }
    var printer = FormatPrinter(bytes: bytes)
    let text = printer.run()
    let after = SyntaxSnapshot(bytes: Array(text.utf8), path: path)
    if !after.errors.isEmpty || after.tree != before.tree || after.comments != before.comments {
        throw StratError(diagnostics: [Diagnostic(
            severity: .error, kind: .compile,
            message: "the formatter could not lay out this file without changing it (a formatter bug; the file was left as is)",
            path: path)])
    }
    return text
}

// MARK: - Syntax snapshot (the meaning check)

/// A file's syntax tree as text (without positions) and its comments, for comparing a
/// file before and after formatting.
struct SyntaxSnapshot {
    var tree = ""
    var comments: [String] = []
    var errors: [Diagnostic] = []

    init(bytes: [UInt8], path: String) {
        let interner = Interner()
        let pool = ExprPool()
        var sink = DiagnosticSink()
        let file = SourceFile(path: path, bytes: bytes, id: 0)
        sink.files = [file]
        Lexer.validateUTF8(file.bytes) { off in
            sink.error("invalid UTF-8 byte", at: Span(file: 0, start: Int32(off), end: Int32(off + 1)))
        }
        var parser = Parser(file: file, interner: interner, pool: pool, sink: sink, maxNesting: Limits().maxNesting)
        let decls = parser.parseProgram()
        sink = parser.sink
        errors = sink.items.filter { $0.severity == .error }
        if !errors.isEmpty { return }
        var lexer = Lexer(file: file, interner: interner)
        lexer.keepComments = true
        while true {
            let t = lexer.next()
            if t.kind == .eof { break }
            if t.kind == .comment { comments.append(trimTrailingSpace(file.text(t.start, t.end))) }
        }
        var d = TreeDump(pool: pool, interner: interner)
        for decl in decls { d.decl(decl) }
        tree = d.out
    }
}

private struct TreeDump {
    let pool: ExprPool
    let interner: Interner
    var out = ""

    mutating func decl(_ d: Decl) {
        out += "decl \(d.kind.rawValue) \(d.name >= 0 ? interner[d.name] : "-") period=\(d.period.rawValue) path=\(d.path)\n"
        out += " from "; expr(d.anchor); out += "\n"
        out += " title "; expr(d.title); out += "\n"
        out += " expr "; expr(d.expr); out += "\n"
        out += " message "; expr(d.message); out += "\n"
        out += " params \(d.params.map { interner[$0] })\n"
        for p in d.props { out += " prop \(interner[p.name]) "; expr(p.expr); out += "\n" }
        for i in d.items {
            out += " item \(i.category.keyword) \(interner[i.name]) "; expr(i.title); out += "\n"
            for p in i.props { out += "  prop \(interner[p.name]) "; expr(p.expr); out += "\n" }
        }
        for o in d.overrides {
            out += " override \(o.path.map { interner[$0.name] }.joined(separator: ".")) "; expr(o.expr); out += "\n"
        }
    }

    mutating func expr(_ i: Int32) {
        if i < 0 { out += "-"; return }
        let n = pool[i]
        switch n.kind {
        case .number:
            if case .number(let v, let u) = pool.numberValue(n) {
                out += "num(\(v.bitPattern),\(u.time),\(u.money),\(u.display.rawValue))"
            }
        case .string:
            out += "str(" + quoted(pool.constants[Int(n.a)].stringValue ?? "") + ")"
        case .bool: out += n.a == 1 ? "true" : "false"
        case .none: out += "none"
        case .name: out += "name(\(interner[n.a]))"
        case .member: out += "member("; expr(n.a); out += ".\(interner[n.b]))"
        case .index: out += "index("; expr(n.a); out += ","; expr(n.b); out += ")"
        case .neg: out += "neg("; expr(n.a); out += ")"
        case .not: out += "not("; expr(n.a); out += ")"
        case .binary: out += "bin\(n.op)("; expr(n.a); out += ","; expr(n.b); out += ")"
        case .cond: out += "if("; expr(n.a); out += ","; expr(pool.branches(n).then); out += ","; expr(pool.branches(n).else); out += ")"
        case .range: out += "range("; expr(n.a); out += ","; expr(n.b); out += ")"
        case .threshold: out += "thr\(n.op)("; expr(n.a); out += ")"
        case .solve:
            out += "solve("; expr(n.a)
            for c in pool.children(n) { out += ","; expr(c) }
            out += ")"
        case .call, .interp, .list:
            out += n.kind == .call ? "call\(n.op)(\(interner[n.a])" : n.kind == .interp ? "interp(" : "list("
            for c in pool.children(n) { out += ","; expr(c) }
            out += ")"
        default:
            out += "kind\(n.kind.rawValue)(\(n.op),\(n.a),\(n.b))"
        }
    }
}

private func trimTrailingSpace(_ s: String) -> String {
    var u = Substring(s)
    while let l = u.last, l == " " || l == "\t" || l == "\r" { u.removeLast() }
    return String(u)
}

// MARK: - Printer

/// Lines of output; the current line is kept apart until it ends.
private struct FormatOutput {
    var lines: [String] = []
    var cur: String?
    /// Lines (by index) that end with a trailing `//` comment, and where the comment starts.
    var commentColumn: [Int: Int] = [:]

    var lineOpen: Bool { cur != nil }

    mutating func write(_ s: String, space: Bool, indent: Int) {
        if var c = cur {
            // Moved out first so that the append is in place: `cur! += s` copied the
            // whole line each time (a 50,000-element list on one line was quadratic).
            cur = nil
            if space { c += " " }
            c += s
            cur = c
        } else {
            cur = String(repeating: " ", count: indent) + s
        }
    }

    mutating func endLine() {
        if let c = cur { lines.append(trimTrailingSpace(c)); cur = nil }
    }

    mutating func blankLine() {
        endLine()
        if let l = lines.last, !l.isEmpty { lines.append("") }
    }

    var lineCount: Int { lines.count + (cur == nil ? 0 : 1) }
}

private struct FormatPrinter {
    enum BlockKind { case container, properties, overrides }
    enum RunContext { case statement, entry }

    let file: SourceFile
    var toks: [LexToken] = []
    var pos = 0
    /// End offset of the last consumed token or comment.
    var lastEnd: Int32 = 0
    /// End offset of the last consumed significant token.
    var lastSigEnd: Int32 = 0
    var out = FormatOutput()
    /// Indentation for the next line that starts.
    var lineIndent = 0
    /// True right after an expanded `{` (no blank line may follow it).
    var atBlockStart = true
    /// Set when the next token must start a new line.
    var needBreak = false
    /// Set after a block comment: the next token is separated by a space.
    var spaceNext = false

    init(bytes: [UInt8]) {
        file = SourceFile(path: "<fmt>", bytes: bytes, id: 0)
        var lexer = Lexer(file: file, interner: Interner())
        lexer.keepComments = true
        while true {
            let t = lexer.next()
            toks.append(t)
            if t.kind == .eof { break }
        }
    }

    // MARK: Tokens

    func text(_ t: LexToken) -> String { file.text(t.start, t.end) }

    // Only the line: the column would scan the line from its start (quadratic on a
    // 50,000-element list written on one line).
    func line(_ offset: Int32) -> Int { file.lineNumber(offset) }

    func endLine(of t: LexToken) -> Int { line(max(t.start, t.end - 1)) }

    /// Index of the next significant (non-comment) token at or after `i`.
    func sigIndex(from i: Int) -> Int {
        var k = i
        while k < toks.count - 1 && toks[k].kind == .comment { k += 1 }
        return k
    }

    var peek: LexToken { toks[sigIndex(from: pos)] }

    /// True when the source has an empty line between offsets `a` and `b`.
    func blankBetween(_ a: Int32, _ b: Int32) -> Bool { line(b) - endLine(ofOffset: a) > 1 }

    func keyword(_ t: LexToken) -> String? { t.kind == .keyword ? text(t) : nil }

    /// Consumes the next significant token, printing the comments before it.
    mutating func take() -> LexToken {
        let k = sigIndex(from: pos)
        while pos < k { comment(toks[pos]); pos += 1 }
        let t = toks[pos]
        if t.kind != .eof { pos += 1 }
        lastEnd = t.end
        lastSigEnd = t.end
        return t
    }

    /// Prints one comment: on its own line when it started one, else after the code.
    mutating func comment(_ c: LexToken) {
        let s = trimTrailingSpace(text(c))
        let isLine = s.hasPrefix("//")
        let ownLine = line(c.start) > endLine(ofOffset: lastEnd)
        if ownLine {
            out.endLine()
            if blankBetween(lastEnd, c.start) && !atBlockStart && !out.lines.isEmpty { out.blankLine() }
            out.write(s, space: false, indent: lineIndent)
            // `/* note */ let x = 1` keeps the code on the comment's line.
            let next = pos + 1 < toks.count ? toks[pos + 1] : nil
            if isLine || next == nil || next!.kind == .eof || next!.kind == .newline
                || line(next!.start) > endLine(of: c) {
                out.endLine()
            }
            needBreak = false
        } else {
            if isLine, let cur = out.cur, !cur.contains("\n") { out.commentColumn[out.lines.count] = cur.count }
            out.write(s, space: true, indent: lineIndent)
            if isLine { out.endLine(); needBreak = false }
        }
        spaceNext = !isLine
        atBlockStart = false
        lastEnd = c.end
    }

    func endLine(ofOffset o: Int32) -> Int {
        // The end offset is exclusive: a token ending at a newline belongs to that line.
        o == 0 ? 0 : line(o - 1)
    }

    /// Prints the comments that follow the last token on the same line.
    mutating func trailingComments() {
        while pos < toks.count {
            let t = toks[pos]
            if t.kind == .comment && line(t.start) == endLine(ofOffset: lastEnd) {
                comment(t)
                pos += 1
                continue
            }
            // `a; // note`: the semicolon goes, the note stays on the line.
            if t.kind == .semicolon || t.kind == .comma, pos + 1 < toks.count, toks[pos + 1].kind == .comment,
               line(toks[pos + 1].start) == line(t.start), line(t.start) == endLine(ofOffset: lastEnd) {
                pos += 1
                lastEnd = t.end
                lastSigEnd = t.end
                continue
            }
            break
        }
    }

    mutating func write(_ s: String, space: Bool) {
        if needBreak { out.endLine(); needBreak = false }
        out.write(s, space: space || spaceNext, indent: lineIndent)
        spaceNext = false
        atBlockStart = false
    }

    // MARK: Program

    struct Unit {
        var text: [String]
        var multiLine: Bool
        var blankBefore: Bool
        var commentColumn: [Int: Int] = [:]
    }

    mutating func run() -> String {
        var units: [Unit] = []
        while true {
            out = FormatOutput()
            lineIndent = 0
            atBlockStart = true
            var first: Int32? = nil
            let startEnd = lastEnd
            // Leading comments and empty statements.
            while true {
                let t = toks[pos]
                if t.kind == .comment {
                    if first == nil { first = t.start }
                    comment(t)
                    pos += 1
                } else if t.kind == .newline || t.kind == .semicolon {
                    pos += 1
                    lastEnd = t.end
                    lastSigEnd = t.end
                } else {
                    break
                }
            }
            let t = toks[pos]
            if first == nil { first = t.start }
            let blankBefore = !units.isEmpty && blankBetween(startEnd, first!)
            if t.kind == .eof {
                out.endLine()
                if !out.lines.isEmpty {
                    units.append(Unit(text: out.lines, multiLine: false, blankBefore: blankBefore, commentColumn: out.commentColumn))
                }
                break
            }
            if out.lineCount > 0 && blankBetween(lastEnd, t.start) { out.blankLine() }
            let declStart = out.lineCount
            atBlockStart = false
            let before = pos
            statement()
            if pos == before { _ = take() }
            trailingComments()
            out.endLine()
            units.append(Unit(text: out.lines, multiLine: out.lines.count - declStart > 1, blankBefore: blankBefore,
                              commentColumn: out.commentColumn))
            if toks[pos].kind == .rbrace {
                // Unbalanced input never gets here (it does not parse); stay safe anyway.
                pos += 1
            }
        }
        var result: [String] = []
        var columns: [Int: Int] = [:]
        for (i, u) in units.enumerated() {
            if i > 0 && (u.blankBefore || u.multiLine || units[i - 1].multiLine) { result.append("") }
            for (k, c) in u.commentColumn { columns[result.count + k] = c }
            result.append(contentsOf: u.text)
        }
        alignTrailingComments(&result, columns)
        return result.isEmpty ? "" : result.joined(separator: "\n") + "\n"
    }

    /// Lines next to each other, at the same indentation, that end with `//` comments get
    /// their comments in one column (as gofmt does).
    func alignTrailingComments(_ lines: inout [String], _ columns: [Int: Int]) {
        func indentation(_ s: String) -> Int { s.prefix { $0 == " " }.count }
        var i = 0
        while i < lines.count {
            guard columns[i] != nil else { i += 1; continue }
            var j = i
            while j + 1 < lines.count, columns[j + 1] != nil, indentation(lines[j + 1]) == indentation(lines[i]) { j += 1 }
            if j > i {
                var parts: [(String, String)] = []
                for k in i...j {
                    let c = columns[k]!
                    let code = trimTrailingSpace(String(lines[k].prefix(c)))
                    var comment = Substring(lines[k].dropFirst(c))
                    while comment.first == " " { comment.removeFirst() }
                    parts.append((code, String(comment)))
                }
                let width = parts.map(\.0.count).max() ?? 0
                for (n, (code, comment)) in parts.enumerated() {
                    lines[i + n] = code + String(repeating: " ", count: width - code.count + 1) + comment
                }
            }
            i = j + 1
        }
    }

    mutating func statement() {
        let kw = keyword(peek) ?? ""
        let checkin = peek.kind == .identifier && text(peek) == "checkin"
        flatRun(.statement, firstSpace: false, assertStatement: kw == "assert")
        if peek.kind == .lbrace {
            switch kw {
            case "swot", "objective", "retro": block(.container)
            case "scenario": block(.overrides)
            default: block(checkin ? .overrides : .properties)
            }
        }
    }

    // MARK: Blocks

    /// Index of the `}` matching the `{` at token index `open`.
    func matchingBrace(_ open: Int) -> Int {
        var depth = 0
        var k = open
        while k < toks.count - 1 {
            if toks[k].kind == .lbrace { depth += 1 }
            if toks[k].kind == .rbrace { depth -= 1; if depth == 0 { return k } }
            k += 1
        }
        return toks.count - 1
    }

    mutating func block(_ kind: BlockKind) {
        let open = sigIndex(from: pos)
        let close = matchingBrace(open)
        var comments = false, nested = false, empty = true
        for k in (open + 1)..<max(open + 1, close) {
            switch toks[k].kind {
            case .comment: comments = true
            case .lbrace: nested = true
            case .newline, .semicolon, .comma: break
            default: empty = false
            }
        }
        // Comments between the previous token and `{` (rare) print before it.
        if empty && !comments {
            _ = take()
            write("{}", space: true)
            while peek.kind != .rbrace && peek.kind != .eof { _ = take() }
            _ = take()
            return
        }
        let sameLine = line(toks[open].start) == line(toks[close].start)
        if kind != .container && sameLine && !comments && !nested {
            let saved = (pos, lastEnd, lastSigEnd, out.cur, needBreak, atBlockStart)
            if inlineBlock(kind) { return }
            (pos, lastEnd, lastSigEnd, out.cur, needBreak, atBlockStart) = saved
        }
        expandedBlock(kind)
    }

    /// `{ a: 1, b: 2 }` on the current line; false when it cannot be laid out that way.
    mutating func inlineBlock(_ kind: BlockKind) -> Bool {
        _ = take()
        write("{", space: true)
        var first = true
        while true {
            while [.newline, .semicolon, .comma].contains(peek.kind) { _ = take() }
            if peek.kind == .rbrace { break }
            if peek.kind == .eof { return false }
            if !first { write(kind == .overrides ? ";" : ",", space: false) }
            first = false
            flatRun(.entry, firstSpace: true)
            if peek.kind == .lbrace { return false }
        }
        _ = take()
        write("}", space: true)
        return true
    }

    mutating func expandedBlock(_ kind: BlockKind) {
        _ = take()
        write("{", space: true)
        trailingComments()
        out.endLine()
        let outer = lineIndent
        let inner = outer + 2
        lineIndent = inner
        atBlockStart = true
        while true {
            // Separators and own-line comments between entries.
            while true {
                let t = toks[pos]
                if t.kind == .comment { lineIndent = inner; comment(t); pos += 1; continue }
                if t.kind == .newline || t.kind == .semicolon || t.kind == .comma {
                    pos += 1
                    lastEnd = t.end
                    lastSigEnd = t.end
                    continue
                }
                break
            }
            let t = toks[pos]
            if t.kind == .rbrace || t.kind == .eof { break }
            if !atBlockStart && blankBetween(lastEnd, t.start) { out.blankLine() }
            lineIndent = inner
            let before = pos
            let isItem = isItemStart(toks[pos])
            entry(kind)
            if pos == before { _ = take() }
            // Properties the author wrote on one line stay on one line.
            while !isItem, pos + 1 < toks.count, toks[pos].kind == .comma || toks[pos].kind == .semicolon {
                let next = toks[pos + 1]
                guard line(next.start) == line(toks[pos].start), next.kind != .comment, next.kind != .newline,
                      next.kind != .rbrace, next.kind != .eof, next.kind != .comma, next.kind != .semicolon,
                      !isItemStart(next) else { break }
                let sep = toks[pos]
                pos += 1
                lastEnd = sep.end
                lastSigEnd = sep.end
                write(kind == .overrides ? ";" : ",", space: false)
                let b2 = pos
                flatRun(.entry, firstSpace: true)
                if pos == b2 { break }
                if peek.kind == .lbrace { block(.properties) }
            }
            trailingComments()
            out.endLine()
            needBreak = false
        }
        lineIndent = outer
        out.endLine()
        atBlockStart = false
        _ = take()
        write("}", space: false)
    }

    static let itemWords: Set<String> = ["strength", "weakness", "opportunity", "threat", "priority", "kr",
                                         "went_well", "not_well", "learning", "action"]

    func isItemStart(_ t: LexToken) -> Bool { t.kind == .keyword && Self.itemWords.contains(text(t)) }

    mutating func entry(_ kind: BlockKind) {
        flatRun(.entry, firstSpace: false)
        if peek.kind == .lbrace { block(.properties) }
    }

    // MARK: Token runs

    /// Prints tokens up to a separator, brace or end of statement at bracket depth 0,
    /// with canonical spacing; keeps the author's line breaks inside expressions.
    mutating func flatRun(_ context: RunContext, firstSpace: Bool, assertStatement: Bool = false) {
        var depth = 0
        var prev: LexToken?
        var prevOperandEnd = false
        var prevUnary = false
        var prevContextual = false
        let base = lineIndent
        defer { lineIndent = base }
        while true {
            let t = peek
            if depth == 0 {
                switch t.kind {
                case .newline, .semicolon, .lbrace, .rbrace, .eof: return
                case .comma:
                    if context == .entry { return }
                    // `assert cond, "message"` is written `assert cond "message"`.
                    let k = sigIndex(from: sigIndex(from: pos) + 1)
                    if assertStatement && toks[k].kind == .string {
                        _ = take()
                        continue
                    }
                default: break
                }
            }
            let closer = t.kind == .rparen || t.kind == .rbracket
            if prev != nil {
                lineIndent = base + (closer ? 2 * max(0, depth - 1) : 2 * max(1, depth))
            }
            let prevSigLine = endLine(ofOffset: lastSigEnd)
            let tok = take()
            let breakLine = prev != nil && line(tok.start) > prevSigLine
            if breakLine { out.endLine() }
            var space: Bool
            if let p = prev {
                switch tok.kind {
                case .comma, .rparen, .rbracket, .dot, .colon, .caret: space = false
                case .lparen: space = p.kind != .identifier || prevContextual
                case .lbracket: space = !prevOperandEnd
                default: space = true
                }
                if p.kind == .lparen || p.kind == .lbracket || p.kind == .dot || p.kind == .caret || prevUnary { space = false }
            } else {
                space = firstSpace
            }
            write(text(tok), space: space)
            prevUnary = tok.kind == .minus && !prevOperandEnd
            // `for` and `in` right after an operand are `solve`'s keywords, not names:
            // `… = VALUE in [LO, HI]`, `solve x for (a + b) = 1`.
            prevContextual = tok.kind == .identifier && prevOperandEnd && (text(tok) == "for" || text(tok) == "in")
            switch tok.kind {
            case .identifier where prevContextual: prevOperandEnd = false
            case .identifier, .number, .string, .rparen, .rbracket: prevOperandEnd = true
            case .keyword:
                let w = text(tok)
                if prev?.kind == .dot || w == "true" || w == "false" || w == "none" {
                    prevOperandEnd = true
                } else if w == "values" {
                    prevOperandEnd = !(prev == nil && context == .statement)
                } else {
                    prevOperandEnd = false
                }
            default: prevOperandEnd = false
            }
            if tok.kind == .lparen || tok.kind == .lbracket { depth += 1 }
            if closer { depth = max(0, depth - 1) }
            prev = tok
        }
    }
}
