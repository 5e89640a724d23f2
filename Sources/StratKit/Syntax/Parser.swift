/// Recursive-descent parser with precedence climbing for expressions. It recovers after
/// an error (skipping to the next statement or block entry) and reports every error it
/// finds; nesting is limited so that no input can overflow the stack.
struct Parser {
    var lexer: Lexer
    var pool: ExprPool
    var sink: DiagnosticSink
    let maxNesting: Int
    private var tok: LexToken
    private var ahead: LexToken?
    /// Set while a large file is lexed on another thread (see ``TokenFeed``); `lexer` is
    /// then behind, until the feed hands it back. Unmanaged: `parseProgram` keeps the feed
    /// alive while it is set, and a retain per token costs more than the token.
    private var feed: Unmanaged<TokenFeed>?
    private var depth = 0
    private var panic = false
    private var file: Int32 { lexer.file.id }

    init(file: SourceFile, interner: Interner, pool: ExprPool, sink: DiagnosticSink,
         maxNesting: Int, start: Int = 0, end: Int? = nil) {
        lexer = Lexer(file: file, interner: interner, start: start, end: end)
        self.pool = pool
        self.sink = sink
        self.maxNesting = maxNesting
        tok = LexToken(kind: .eof, start: 0, end: 0)
        advance()
    }

    // MARK: Tokens

    private mutating func advance() {
        if let a = ahead { tok = a; ahead = nil } else { tok = pull() }
        flushLexErrors()
    }

    private mutating func peek() -> LexToken {
        if ahead == nil { ahead = pull(); flushLexErrors() }
        return ahead!
    }

    /// The next token from the lexer, or from the thread lexing ahead (which leaves the
    /// interning of names to this one).
    @inline(__always)
    private mutating func pull() -> LexToken {
        if let u = feed {
            if let t = u._withUnsafeGuaranteedRef({ $0.head < $0.avail ? $0.take() : nil }) { return t }
            return pullWaiting(u.takeUnretainedValue())
        }
        return lexer.next()
    }

    @inline(never)
    private mutating func pullWaiting(_ f: TokenFeed) -> LexToken {
        if let (t, last) = f.refill() {
            // With the last token comes the lexer, and any errors lexing that token reported.
            if last { lexer = f.stoppedLexer; feed = nil }
            return t
        }
        lexer = f.stoppedLexer
        feed = nil
        return lexer.next()
    }

    /// Files at least this large are lexed on a second thread while they are parsed (tests
    /// lower it to run every parse that way).
    nonisolated(unsafe) package static var lexAheadMinBytes = 1 << 19

    /// Runs after every token: the common case (no error) stays inline in release builds.
    @inline(__always)
    private mutating func flushLexErrors() {
        if !lexer.errors.isEmpty { reportLexErrors() }
    }

    @inline(never)
    private mutating func reportLexErrors() {
        for (m, s, h) in lexer.errors { sink.error(m, at: s, hint: h) }
        lexer.clearErrors()
    }

    /// A token's spelling (a name's text, without the interner).
    private func spelling(_ t: LexToken) -> String { lexer.file.text(t.start, t.end) }

    private func span(_ t: LexToken) -> Span { Span(file: file, start: t.start, end: t.end) }
    private func span(from s: Int32) -> Span { Span(file: file, start: s, end: max(s, lastEnd)) }
    private var lastEnd: Int32 = 0

    private func isKeyword(_ k: Keyword) -> Bool { tok.kind == .keyword && tok.name == k.rawValue }

    private mutating func take() -> LexToken {
        let t = tok
        lastEnd = t.end
        advance()
        return t
    }

    private mutating func error(_ message: String, at s: Span, hint: String? = nil) {
        if panic { return }
        panic = true
        sink.error(message, at: s, hint: hint)
    }

    private func describe(_ t: LexToken) -> String {
        switch t.kind {
        case .identifier: return "'\(spelling(t))'"
        case .keyword: return "keyword '\(spelling(t))'"
        case .number: return "a number"
        default: return t.kind.describe
        }
    }

    private mutating func expect(_ k: TokenKind, _ what: String? = nil) -> Bool {
        if tok.kind == k { _ = take(); return true }
        error("expected \(what ?? k.describe), found \(describe(tok))", at: span(tok))
        return false
    }

    private mutating func expectName(_ what: String) -> (Int32, Span)? {
        if tok.kind == .identifier { let t = take(); return (t.name, span(t)) }
        if tok.kind == .keyword {
            error("'\(spelling(tok))' is a keyword and cannot be used as \(what)", at: span(tok),
                  hint: "pick another name, e.g. '\(spelling(tok))_'")
        } else {
            error("expected \(what), found \(describe(tok))", at: span(tok))
        }
        return nil
    }

    private mutating func skipNewlines() {
        while tok.kind == .newline || tok.kind == .semicolon { _ = take() }
    }

    /// After a lone expression: only the end of input may follow.
    mutating func skipTrailing() {
        skipNewlines()
        if tok.kind != .eof {
            error("expected the end of the expression, found \(describe(tok))", at: span(tok))
        }
    }

    // MARK: Statements

    /// Parses a whole file (or REPL input when `allowExpressions`).
    mutating func parseProgram(allowExpressions: Bool = false) -> [Decl] {
        var decls: [Decl] = []
        // About one declaration per line: reserving skips the regrowth copies of a large
        // file, and capacity never touched costs no memory.
        decls.reserveCapacity((lexer.end - lexer.i) / 32)
        decls.adviseHugePagesForCapacity()
        var started: TokenFeed?
        if feed == nil && ahead == nil && tok.kind != .eof && lexer.end - lexer.i >= Self.lexAheadMinBytes {
            started = TokenFeed.start(lexer)
            feed = started.map { Unmanaged.passUnretained($0) }
        }
        defer {
            if let f = started {
                if feed != nil { f.stop(); lexer = f.stoppedLexer; feed = nil }
                withExtendedLifetime(f) {}
            }
        }
        skipNewlines()
        while tok.kind != .eof {
            panic = false
            let before = tok.start
            if let d = parseDecl(allowExpressions: allowExpressions) { decls.append(d) }
            // A declaration that failed has skipped to the next statement itself: the one
            // there is parsed, not skipped as junk after the failed one.
            else if tok.start != before { continue }
            if tok.kind == .newline || tok.kind == .semicolon || tok.kind == .eof {
                skipNewlines()
            } else {
                error("expected end of line after declaration, found \(describe(tok))", at: span(tok))
                synchronize()
            }
        }
        return decls
    }

    /// Skips to the start of the next top-level statement.
    private mutating func synchronize() {
        var braces = 0
        while tok.kind != .eof {
            switch tok.kind {
            case .lbrace: braces += 1
            case .rbrace: braces = max(0, braces - 1)
            case .newline, .semicolon:
                if braces == 0 { skipNewlines(); return }
            default: break
            }
            _ = take()
        }
    }

    private mutating func parseDecl(allowExpressions: Bool) -> Decl? {
        let start = tok
        let s = span(start)
        // `simulate N [seed S]` (SPEC §13): `simulate` is contextual, so a name `simulate` still works.
        if tok.kind == .identifier, spelling(tok) == "simulate", peek().kind == .number {
            _ = take()
            var d = Decl(kind: .simulate, nameSpan: s, span: s, expr: parseExpr())
            if tok.kind == .identifier, spelling(tok) == "seed" {
                _ = take()
                d.message = parseExpr()
            }
            d.span = Span(file: file, start: start.start, end: max(start.start, lastEnd))
            return d
        }
        if tok.kind == .identifier, spelling(tok) == "series", peek().kind == .identifier {
            // `series NAME = EXPR`: `series` is contextual, so `x.series` and names stay free.
            _ = take()
            guard let (name, ns) = expectName("a series name") else { synchronize(); return nil }
            guard expect(.assign, "'='") else { synchronize(); return nil }
            let e = parseExpr()
            var d = Decl(kind: .series, name: name, nameSpan: ns, span: s, expr: e)
            d.span = Span(file: file, start: start.start, end: max(start.start, lastEnd))
            return d
        }
        if tok.kind == .identifier, startsTrackingDecl() { return parseTrackingDecl() }
        guard tok.kind == .keyword, let kw = Keyword(rawValue: tok.name) else {
            if allowExpressions { return exprDecl() }
            if tok.kind == .identifier, peek().kind == .assign {
                error("expected a declaration, found \(describe(tok))", at: s,
                      hint: "declare a value with 'let \(spelling(tok)) = …'")
            } else if tok.kind == .identifier, peek().kind == .identifier || peek().kind == .string, misspeltKeyword(tok) {
                // reported
            } else {
                error("expected a declaration, found \(describe(tok))", at: s)
            }
            synchronize()
            return nil
        }
        func done(_ d: Decl) -> Decl {
            var d = d
            d.span = Span(file: file, start: start.start, end: max(start.start, lastEnd))
            return d
        }
        switch kw {
        case .let_:
            _ = take()
            guard let (name, ns) = expectName("a name") else { synchronize(); return nil }
            guard expect(.assign, "'='") else { synchronize(); return nil }
            let e = parseExpr()
            return done(Decl(kind: .let_, name: name, nameSpan: ns, span: s, expr: e))
        case .fn:
            _ = take()
            guard let (name, ns) = expectName("a function name") else { synchronize(); return nil }
            var params: [Int32] = []
            guard expect(.lparen) else { synchronize(); return nil }
            while tok.kind != .rparen && tok.kind != .eof {
                guard let (p, _) = expectName("a parameter name") else { synchronize(); return nil }
                params.append(p)
                if tok.kind == .comma { _ = take() } else { break }
            }
            guard expect(.rparen) else { synchronize(); return nil }
            guard expect(.assign, "'='") else { synchronize(); return nil }
            let e = parseExpr()
            return done(Decl(kind: .fn, name: name, nameSpan: ns, span: s, expr: e, params: params))
        case .org, .mission, .vision, .values:
            _ = take()
            let e = parseExpr()
            let kind: DeclKind = kw == .org ? .org : kw == .mission ? .mission : kw == .vision ? .vision : .values
            return done(Decl(kind: kind, name: start.name, nameSpan: s, span: s, expr: e))
        case .swot, .objective, .retro:
            _ = take()
            guard let (name, ns) = expectName("a name") else { synchronize(); return nil }
            var d = Decl(kind: kw == .swot ? .swot : kw == .objective ? .objective : .retro,
                         name: name, nameSpan: ns, span: s)
            d.title = optionalTitle()
            let allowed: Set<ItemCategory>
            switch kw {
            case .swot: allowed = [.strength, .weakness, .opportunity, .threat, .priority]
            case .objective: allowed = [.kr]
            default: allowed = [.wentWell, .notWell, .learning, .action]
            }
            parseBlock(into: &d, items: allowed)
            return done(d)
        case .metric:
            _ = take()
            guard let (name, ns) = expectName("a name") else { synchronize(); return nil }
            var d = Decl(kind: .metric, name: name, nameSpan: ns, span: s)
            d.title = optionalTitle()
            if tok.kind == .lbrace { parseBlock(into: &d, items: []) }
            return done(d)
        case .projection:
            _ = take()
            guard let (name, ns) = expectName("a name") else { synchronize(); return nil }
            var d = Decl(kind: .projection, name: name, nameSpan: ns, span: s)
            d.title = optionalTitle()
            guard tok.kind == .keyword && tok.name == Keyword.over.rawValue else {
                error("expected 'over N periods' after the projection's name", at: span(tok),
                      hint: "e.g. projection \(lexer.interner[name]) over 8 quarters { start: …, growth: 5% }")
                synchronize()
                return nil
            }
            _ = take()
            d.expr = parseExpr(minPrec: Prec.unary)
            guard tok.kind == .identifier else {
                error("expected a period unit (days, weeks, months, quarters, years), found \(describe(tok))",
                      at: span(tok))
                synchronize()
                return nil
            }
            let word = spelling(tok)
            if let u = PeriodUnit.allCases.first(where: { $0.rawValue == word || $0.singular == word }) {
                d.period = u
            } else {
                let hint = closest(word, among: PeriodUnit.allCases.map(\.rawValue)).map { "did you mean '\($0)'?" }
                error("unknown period unit '\(word)'", at: span(tok), hint: hint ?? "use days, weeks, months, quarters or years")
            }
            _ = take()
            if tok.kind == .identifier, spelling(tok) == "from" {
                _ = take()
                d.anchor = parseExpr()
            }
            parseBlock(into: &d, items: [])
            return done(d)
        case .scenario:
            _ = take()
            guard let (name, ns) = expectName("a scenario name") else { synchronize(); return nil }
            var d = Decl(kind: .scenario, name: name, nameSpan: ns, span: s)
            d.title = optionalTitle()
            parseOverrides(into: &d)
            return done(d)
        case .use:
            _ = take()
            guard let (name, ns) = expectName("a library name") else { synchronize(); return nil }
            return done(Decl(kind: .use, name: name, nameSpan: ns, span: s))
        case .import_:
            _ = take()
            guard tok.kind == .string else {
                error("expected a file path in quotes after 'import'", at: span(tok))
                synchronize()
                return nil
            }
            let t = take()
            let e = parseString(t)
            var path = ""
            if case .string(let str) = constantString(e) { path = str } else {
                error("an import path cannot use interpolation", at: span(t))
            }
            return done(Decl(kind: .import_, nameSpan: span(t), span: s, path: path))
        case .assert:
            _ = take()
            let e = parseExpr()
            var d = Decl(kind: .assert, nameSpan: s, span: s, expr: e)
            if tok.kind == .string { d.message = parseString(take()) }
            else if tok.kind == .comma, peek().kind == .string { _ = take(); d.message = parseString(take()) }
            return done(d)
        case .print:
            _ = take()
            let e = parseExpr()
            return done(Decl(kind: .print, nameSpan: s, span: s, expr: e))
        default:
            if allowExpressions { return exprDecl() }
            error("expected a declaration, found \(describe(tok))", at: s)
            synchronize()
            return nil
        }
    }

    /// `plan {` and `checkin DATE` (SPEC §15) are contextual: `plan.score` and a name
    /// `checkin` keep working.
    @inline(never)
    private mutating func startsTrackingDecl() -> Bool {
        let word = spelling(tok)
        if word == "plan" { return peek().kind == .lbrace }
        if word == "checkin" {
            let n = peek()
            return n.kind == .number || n.kind == .identifier || n.kind == .string || n.kind == .lbrace
        }
        return false
    }

    /// `plan { start: DATE, end: DATE }` or `checkin DATE ["note"] { PATH = EXPR … }`.
    @inline(never)
    private mutating func parseTrackingDecl() -> Decl? {
        let start = take()
        let s = span(start)
        var d: Decl
        if spelling(start) == "plan" {
            d = Decl(kind: .planPeriod, name: start.name, nameSpan: s, span: s)
            parseBlock(into: &d, items: [])
        } else {
            guard tok.kind == .number, tok.unit == .date else {
                error("expected a date (YYYY-MM-DD) after 'checkin', found \(describe(tok))", at: span(tok),
                      hint: "e.g. checkin 2026-03-31 { OBJECTIVE.KR = 51% }")
                synchronize()
                return nil
            }
            let t = take()
            d = Decl(kind: .checkin, nameSpan: span(t), span: s,
                     expr: pool.add(pool.numberNode(t.number, t.unit, span: span(t))))
            if tok.kind == .string { d.message = parseString(take()) }
            parseOverrides(into: &d)
        }
        d.span = Span(file: file, start: start.start, end: max(start.start, lastEnd))
        return d
    }

    private mutating func exprDecl() -> Decl {
        let s = tok.start
        let e = parseExpr()
        return Decl(kind: .expr, nameSpan: span(from: s), span: span(from: s), expr: e)
    }

    private func constantString(_ node: Int32) -> Value? {
        let n = pool[node]
        return n.kind == .string ? pool.constants[Int(n.a)] : nil
    }

    private mutating func optionalTitle() -> Int32 {
        if tok.kind == .string { return parseString(take()) }
        return -1
    }

    /// `{ entries }` of a SWOT, objective, retro, metric or projection.
    private mutating func parseBlock(into d: inout Decl, items allowed: Set<ItemCategory>) {
        guard tok.kind == .lbrace else {
            error("expected '{' to open the block of '\(lexer.interner[d.name])', found \(describe(tok))", at: span(tok))
            synchronize()
            return
        }
        _ = take()
        parseEntries(unclosedAt: d.nameSpan, expected: "expected a new line or '}'") { p in
            if p.tok.kind == .keyword, let kw = Keyword(rawValue: p.tok.name), let cat = ItemCategory.from(kw) {
                if !allowed.contains(cat) {
                    p.error("'\(cat.keyword)' is not allowed here", at: p.span(p.tok),
                            hint: allowed.isEmpty ? nil : "this block takes \(allowed.map(\.keyword).sorted().joined(separator: ", "))")
                    return false
                }
                _ = p.take()
                guard let (name, ns) = p.expectName("an item name") else { return false }
                var item = ItemDecl(category: cat, name: name, nameSpan: ns)
                item.title = p.optionalTitle()
                if p.tok.kind == .lbrace {
                    _ = p.take()
                    item.props = p.parseProps()
                }
                d.items.append(item)
                return true
            }
            guard let prop = p.parseProp() else { return false }
            d.props.append(prop)
            return true
        }
    }

    /// Entries of a block whose `{` was taken, up to and including its `}`. Separators
    /// (new lines, `;`, `,`) are skipped; each entry starts with a fresh error state; an
    /// entry that fails (`entry` returns false) or does not end at a separator is skipped.
    private mutating func parseEntries(unclosedAt: Span?, expected: String, _ entry: (inout Parser) -> Bool) {
        while true {
            while tok.kind == .newline || tok.kind == .semicolon || tok.kind == .comma { _ = take() }
            if tok.kind == .rbrace { _ = take(); return }
            if tok.kind == .eof {
                error("unclosed '{': expected '}'", at: unclosedAt ?? span(tok))
                return
            }
            panic = false
            guard entry(&self) else { skipEntry(); continue }
            if tok.kind != .newline && tok.kind != .semicolon && tok.kind != .comma && tok.kind != .rbrace {
                error("\(expected), found \(describe(tok))", at: span(tok))
                skipEntry()
            }
        }
    }

    /// Properties up to and including the closing `}`.
    private mutating func parseProps() -> [PropDecl] {
        var props: [PropDecl] = []
        parseEntries(unclosedAt: nil, expected: "expected ',' or '}' after a property") { p in
            guard let prop = p.parseProp() else { return false }
            props.append(prop)
            return true
        }
        return props
    }

    /// Keywords that start a declaration or a block entry: what a misspelt word in front of
    /// a name (`objectve X`, `strenght X "…"`) most likely meant.
    private static let entryKeywords: [String] = Keyword.allCases
        .filter { ![.if_, .then, .else_, .and, .or, .not, .true_, .false_, .none, .to, .over].contains($0) }
        .map(\.text) + ["simulate", "series"]

    /// Reports `word` (a name followed by another name or a title) as a misspelt keyword
    /// when one is close to it; false when none is.
    @inline(never)
    private mutating func misspeltKeyword(_ word: LexToken) -> Bool {
        let w = spelling(word)
        guard let k = closest(w, among: Self.entryKeywords) else { return false }
        error("unknown keyword '\(w)'", at: span(word), hint: "did you mean '\(k)'?")
        return true
    }

    private mutating func parseProp() -> PropDecl? {
        guard tok.kind == .identifier || tok.kind == .keyword else {
            error("expected a property 'name: value', found \(describe(tok))", at: span(tok))
            return nil
        }
        let nt = take()
        guard tok.kind == .colon else {
            if tok.kind == .identifier || tok.kind == .string, misspeltKeyword(nt) { return nil }
            error("expected ':' after property name '\(spelling(nt))', found \(describe(tok))", at: span(tok))
            return nil
        }
        _ = take()
        let e: Int32
        if tok.kind == .ge || tok.kind == .le {
            let op = take()
            let bound = parseExpr(minPrec: Prec.compare + 1)
            e = pool.add(Node(kind: .threshold, op: op.kind == .ge ? BinaryOp.ge.rawValue : BinaryOp.le.rawValue,
                              a: bound, span: Span(file: file, start: op.start, end: lastEnd)))
        } else {
            e = parseExpr()
        }
        return PropDecl(name: nt.name, span: span(nt), expr: e)
    }

    /// Skips the rest of a block entry, stopping before a separator or the closing brace.
    private mutating func skipEntry() {
        var nest = 0
        while tok.kind != .eof {
            switch tok.kind {
            case .lbrace: nest += 1
            case .rbrace:
                if nest == 0 { return }
                nest -= 1
            case .newline, .semicolon, .comma:
                if nest == 0 { return }
            default: break
            }
            _ = take()
        }
    }

    private mutating func parseOverrides(into d: inout Decl) {
        guard tok.kind == .lbrace else {
            error("expected '{' with overrides such as 'churn = 3.2%'", at: span(tok))
            synchronize()
            return
        }
        _ = take()
        parseEntries(unclosedAt: d.nameSpan, expected: "expected ';', a new line or '}'") { p in
            let s = p.tok.start
            guard p.tok.kind == .identifier else {
                p.error("expected an override 'path = value', found \(p.describe(p.tok))", at: p.span(p.tok))
                return false
            }
            let first = p.take()
            var path: [(name: Int32, span: Span)] = [(first.name, p.span(first))]
            while p.tok.kind == .dot {
                _ = p.take()
                guard p.tok.kind == .identifier || p.tok.kind == .keyword else {
                    p.error("expected a name after '.'", at: p.span(p.tok))
                    return false
                }
                let t = p.take()
                path.append((t.name, p.span(t)))
            }
            guard p.expect(.assign, "'='") else { return false }
            let e = p.parseExpr()
            d.overrides.append(OverrideDecl(path: path, expr: e, span: p.span(from: s)))
            return true
        }
    }

    // MARK: Expressions

    enum Prec {
        static let or = 1, and = 2, not = 3, compare = 4, range = 5, add = 6, mul = 7, unary = 8, pow = 9
    }

    @inline(__always)
    private func infix(_ t: LexToken) -> (prec: Int, op: BinaryOp?)? {
        switch t.kind {
        case .plus: return (Prec.add, .add)
        case .minus: return (Prec.add, .sub)
        case .star: return (Prec.mul, .mul)
        case .slash: return (Prec.mul, .div)
        case .caret: return (Prec.pow, .pow)
        case .eq: return (Prec.compare, .eq)
        case .ne: return (Prec.compare, .ne)
        case .lt: return (Prec.compare, .lt)
        case .le: return (Prec.compare, .le)
        case .gt: return (Prec.compare, .gt)
        case .ge: return (Prec.compare, .ge)
        case .keyword:
            if t.name == Keyword.and.rawValue { return (Prec.and, .and) }
            if t.name == Keyword.or.rawValue { return (Prec.or, .or) }
            if t.name == Keyword.to.rawValue { return (Prec.range, nil) }
            return nil
        default: return nil
        }
    }

    private mutating func errorNode(_ s: Span) -> Int32 { pool.add(Node(kind: .error, span: s)) }

    /// The thread's stack bounds, looked up when an expression first nests.
    private var stackBounds: (base: UInt, limit: UInt)?

    /// Parsing recurses per nesting level: on a small thread stack (or with a sanitizer's
    /// larger frames) the nesting limit alone does not keep it from overflowing.
    private mutating func stackIsLow() -> Bool {
        if stackBounds == nil { stackBounds = StackGuard.limit() }
        var marker: UInt8 = 0
        let at = withUnsafeMutablePointer(to: &marker) { UInt(bitPattern: $0) }
        return at < stackBounds!.limit && at >= stackBounds!.base
    }

    /// Left-associative chains (`a + b + …`, `x.a.b…`, `x[0][0]…`) build trees as deep as
    /// they are long, which later stages walk recursively; like the evaluator, the parser
    /// allows them four times the nesting limit.
    @inline(__always)
    private mutating func chainTooDeep(_ length: Int) -> Bool {
        depth + length > maxNesting * 4 && reportChainTooDeep()
    }

    @inline(never)
    private mutating func reportChainTooDeep() -> Bool {
        let s = span(tok)
        if !panic {
            sink.error("operator chain nested deeper than \(maxNesting * 4)", at: s,
                       hint: "split the expression with 'let'; the nesting limit can be raised by the embedder")
        }
        panic = true
        while tok.kind != .eof && tok.kind != .newline && tok.kind != .semicolon { _ = take() }
        return true
    }

    mutating func parseExpr(minPrec: Int = 0) -> Int32 {
        depth += 1
        defer { depth -= 1 }
        if depth > maxNesting || (depth > 4 && stackIsLow()) {
            let s = span(tok)
            if !panic {
                if depth > maxNesting {
                    sink.error("nesting deeper than \(maxNesting)", at: s, hint: "the nesting limit can be raised by the embedder")
                } else {
                    sink.error("nesting deeper than \(depth) is too deep for the thread's stack", at: s,
                               hint: "parse on a thread with a larger stack, or lower the nesting limit")
                }
            }
            panic = true
            // Consume the rest of the statement so nothing else is parsed at this depth.
            while tok.kind != .eof && tok.kind != .newline && tok.kind != .semicolon { _ = take() }
            return errorNode(s)
        }
        let start = tok.start
        var left: Int32
        if tok.kind == .identifier && atSolve() { return parseSolve(start) }
        if isKeyword(.if_) {
            _ = take()
            let c = parseExpr()
            if !isKeyword(.then) {
                error("expected 'then' in 'if … then … else …', found \(describe(tok))", at: span(tok))
                return errorNode(span(from: start))
            }
            _ = take()
            let a = parseExpr()
            if !isKeyword(.else_) {
                error("expected 'else' in 'if … then … else …', found \(describe(tok))", at: span(tok),
                      hint: "every 'if' needs an 'else' branch")
                return errorNode(span(from: start))
            }
            _ = take()
            let b = parseExpr()
            return pool.add(Node(kind: .cond, a: c, b: pool.addExtra([a, b]), span: span(from: start)))
        } else if isKeyword(.not) {
            _ = take()
            let e = parseExpr(minPrec: Prec.not)
            left = pool.add(Node(kind: .not, a: e, span: span(from: start)))
        } else if tok.kind == .minus {
            _ = take()
            let e = parseExpr(minPrec: Prec.unary)
            left = pool.add(Node(kind: .neg, a: e, span: span(from: start)))
        } else {
            left = parsePostfix()
        }
        var chain = 0
        while let (prec, op) = infix(tok), prec >= minPrec {
            chain += 1
            if chainTooDeep(chain) { return errorNode(span(from: start)) }
            let opTok = take()
            if prec == Prec.compare {
                let right = parseExpr(minPrec: Prec.compare + 1)
                left = pool.add(Node(kind: .binary, op: op!.rawValue, a: left, b: right, span: span(from: start)))
                if let (p2, _) = infix(tok), p2 == Prec.compare {
                    error("comparison operators cannot be chained", at: span(tok),
                          hint: "combine comparisons with 'and': a < b and b < c")
                    return errorNode(span(from: start))
                }
                continue
            }
            if prec == Prec.range {
                let right = parseExpr(minPrec: Prec.range + 1)
                left = pool.add(Node(kind: .range, a: left, b: right, span: span(from: start)))
                _ = opTok
                continue
            }
            // `^` is right-associative and its exponent may carry a unary minus.
            let right = op == .pow ? parseExpr(minPrec: Prec.unary) : parseExpr(minPrec: prec + 1)
            left = pool.add(Node(kind: .binary, op: op!.rawValue, a: left, b: right, span: span(from: start)))
        }
        return minPrec == 0 && tok.kind == .arrow ? conversions(left, start) : left
    }

    /// Time units a display conversion (`x -> mo`) may name.
    static let conversionUnits: [String: NumberUnit.Display] = [
        "ms": .ms, "s": .s, "min": .min, "h": .h, "d": .d, "wk": .wk, "mo": .mo, "qtr": .qtr, "yr": .yr,
    ]

    /// `expr -> unit …`, the lowest-precedence form (as in Numbat): shows a duration in
    /// another time unit, or a rate over another one (`$120K/yr -> mo` is `$10K/mo`).
    private mutating func conversions(_ left: Int32, _ start: Int32) -> Int32 {
        var left = left
        while tok.kind == .arrow {
            _ = take()
            let t = tok
            let word = t.kind == .identifier || t.kind == .keyword ? spelling(t) : ""
            guard let d = Self.conversionUnits[word] else {
                let hint = closest(word, among: Self.conversionUnits.keys).map { "did you mean '\($0)'?" }
                    ?? "convert to a time unit: \(Self.conversionUnits.keys.sorted().joined(separator: " "))"
                error("expected a time unit after '->', found \(describe(t))", at: span(t), hint: hint)
                return errorNode(span(from: start))
            }
            _ = take()
            let target = pool.add(pool.numberNode(1, NumberUnit(time: 1, display: d), span: span(t)))
            left = pool.add(Node(kind: .binary, op: BinaryOp.convert.rawValue, a: left, b: target, span: span(from: start)))
        }
        return left
    }

    /// At `solve NAME`? Out of line: parseExpr's frame is paid once per nesting level, so
    /// it holds no temporaries of its own (the nesting limit must fit the stack).
    @inline(never)
    private mutating func atSolve() -> Bool {
        isWord(lexer.interner.contextual.solve) && peek().kind == .identifier
    }

    /// A name or keyword token spelled as the interned `word`.
    private func isWord(_ word: Int32) -> Bool {
        (tok.kind == .identifier || tok.kind == .keyword) && tok.name == word
    }

    /// `solve INPUT for EXPR = VALUE [in [LO, HI]]` (SPEC §16); like `if`, it takes
    /// everything to its right, so `VALUE` may be any expression.
    @inline(never)
    private mutating func parseSolve(_ start: Int32) -> Int32 {
        let shape = "solve INPUT for EXPR = VALUE [in [LO, HI]]"
        _ = take()
        let input = parsePostfix()
        guard isWord(lexer.interner.contextual.for_) else {
            error("expected 'for' after the input of 'solve', found \(describe(tok))", at: span(tok), hint: shape)
            return errorNode(span(from: start))
        }
        _ = take()
        let expr = parseExpr()
        guard tok.kind == .assign else {
            let hint = tok.kind == .eof || tok.kind == .newline ? shape : "write a single '=' between the expression and its value: \(shape)"
            error("expected '=' and the value to reach in 'solve', found \(describe(tok))", at: span(tok), hint: hint)
            return errorNode(span(from: start))
        }
        _ = take()
        var items = [expr, parseExpr()]
        if isWord(lexer.interner.contextual.in_) {
            _ = take()
            guard expect(.lbracket, "'[' to start the range 'in [LO, HI]'") else { return errorNode(span(from: start)) }
            items.append(parseExpr())
            guard expect(.comma, "',' between LO and HI in 'in [LO, HI]'") else { return errorNode(span(from: start)) }
            items.append(parseExpr())
            guard expect(.rbracket, "']' to close the range 'in [LO, HI]'") else { return errorNode(span(from: start)) }
            // Like `if`, a `solve` reaches as far right as it can: what follows its range
            // would be ambiguous without parentheses.
            if infix(tok) != nil {
                error("a 'solve' with a range ends at its ']': put it in parentheses to use it in an expression",
                      at: span(tok), hint: "(solve INPUT for EXPR = VALUE in [LO, HI]) \(lexer.file.text(tok.start, tok.end)) …")
                return errorNode(span(from: start))
            }
        }
        let ex = pool.addExtra(items)
        return pool.add(Node(kind: .solve, a: input, b: ex, span: span(from: start)))
    }

    /// An argument that is a lone name or number (`min(x1, 2)`): the node `parseExpr` would
    /// build, without its frames; nil when the argument is anything else or `parseExpr`
    /// would stop at the nesting limit (it then parses the argument, diagnostics and all).
    @inline(never)
    private mutating func simpleArgument() -> Int32? {
        guard tok.kind == .identifier || tok.kind == .number,
              depth + 1 <= maxNesting, !(depth + 1 > 4 && stackIsLow()) else { return nil }
        let next = peek().kind
        guard next == .comma || next == .rparen else { return nil }
        let t = take()
        if t.kind == .number { return pool.add(pool.numberNode(t.number, t.unit, span: span(t))) }
        return pool.add(Node(kind: .name, a: t.name, span: span(t)))
    }

    /// Whether `e` followed by `(` is a call: a name, or `p.at(DATE)`. Out of line, like
    /// ``parseCall(_:_:)``: parsePostfix's frame is paid once per nesting level.
    @inline(never)
    private func isCallee(_ e: Int32) -> Bool {
        pool[e].kind == .name || pool[e].kind == .member && pool[e].b == lexer.interner.contextual.at
    }

    /// The argument list of a call of `e` (at its `(`); nil after a syntax error. `p.at(DATE)`
    /// is a method call, kept as a call whose first argument is the receiver.
    @inline(never)
    private mutating func parseCall(_ e: Int32, _ start: Int32) -> Int32? {
        let method = pool[e].kind == .member
        _ = take()
        // The arguments go on the pool's scratch stack (nested calls push above them and
        // pop back): no array per call.
        let base = pool.scratch.count
        if method { pool.scratch.append(pool[e].a) }
        while tok.kind != .rparen && tok.kind != .eof {
            let a = simpleArgument() ?? parseExpr()
            pool.scratch.append(a)
            if tok.kind == .comma { _ = take() } else { break }
        }
        if !expect(.rparen, "')' to close the argument list") { pool.dropScratch(base); return nil }
        let ex = pool.addScratch(from: base)
        let callee = method ? pool[e].b : pool[e].a
        return pool.add(Node(kind: .call, op: method ? 1 : 0, a: callee, b: ex, span: span(from: start)))
    }

    private mutating func parsePostfix() -> Int32 {
        let start = tok.start
        var e = parsePrimary()
        var chain = 0
        while true {
            chain += 1
            if chainTooDeep(chain) { return errorNode(span(from: start)) }
            if tok.kind == .lparen, isCallee(e) {
                guard let call = parseCall(e, start) else { return errorNode(span(from: start)) }
                e = call
            } else if tok.kind == .dot {
                _ = take()
                guard tok.kind == .identifier || tok.kind == .keyword else {
                    error("expected a member name after '.', found \(describe(tok))", at: span(tok))
                    return errorNode(span(from: start))
                }
                let m = take()
                e = pool.add(Node(kind: .member, a: e, b: m.name, span: span(from: start)))
            } else if tok.kind == .lbracket {
                _ = take()
                let i = parseExpr()
                if !expect(.rbracket, "']'") { return errorNode(span(from: start)) }
                e = pool.add(Node(kind: .index, a: e, b: i, span: span(from: start)))
            } else {
                return e
            }
        }
    }

    private mutating func parsePrimary() -> Int32 {
        let t = tok
        switch t.kind {
        case .number:
            _ = take()
            return pool.add(pool.numberNode(t.number, t.unit, span: span(t)))
        case .string:
            _ = take()
            return parseString(t)
        case .identifier:
            _ = take()
            return pool.add(Node(kind: .name, a: t.name, span: span(t)))
        case .lparen:
            _ = take()
            let e = parseExpr()
            if !expect(.rparen, "')'") { return errorNode(span(t)) }
            return e
        case .lbracket:
            return parseList()
        case .keyword:
            switch Keyword(rawValue: t.name) {
            case .true_?: _ = take(); return pool.add(Node(kind: .bool, a: 1, span: span(t)))
            case .false_?: _ = take(); return pool.add(Node(kind: .bool, a: 0, span: span(t)))
            case .none?: _ = take(); return pool.add(Node(kind: .none, span: span(t)))
            case .if_?, .not?: return parseExpr()
            default:
                // Keywords are valid names after '.', and `values` is also usable as a name
                // in projections; elsewhere they cannot start an expression.
                if t.name == Keyword.values.rawValue {
                    _ = take()
                    return pool.add(Node(kind: .name, a: t.name, span: span(t)))
                }
                error("expected an expression, found \(describe(t))", at: span(t))
                return errorNode(span(t))
            }
        default:
            error("expected expression, found \(describe(t))", at: span(t))
            return errorNode(span(t))
        }
    }

    /// A list literal, at its `[`. Out of line: parsePrimary's frame is paid once per nesting level.
    @inline(never)
    private mutating func parseList() -> Int32 {
        let start = take().start
        let base = pool.scratch.count
        while tok.kind != .rbracket && tok.kind != .eof {
            let item = parseExpr()
            pool.scratch.append(item)
            if tok.kind == .comma { _ = take() } else { break }
        }
        if !expect(.rbracket, "']' to close the list") { pool.dropScratch(base); return errorNode(span(from: start)) }
        let ex = pool.addScratch(from: base)
        return pool.add(Node(kind: .list, b: ex, span: span(from: start)))
    }

    /// Decodes a string token into a constant or an interpolation node.
    mutating func parseString(_ t: LexToken) -> Int32 {
        let p = lexer.file.bytes
        var i = Int(t.start) + 1
        let end = Int(t.end)
        var parts: [Int32] = []
        var buf: [UInt8] = []
        func flush(_ pool: ExprPool, _ parts: inout [Int32], _ buf: inout [UInt8], _ s: Span) {
            if buf.isEmpty { return }
            let c = pool.constant(.string(String(decoding: buf, as: UTF8.self)))
            parts.append(pool.add(Node(kind: .string, a: c, span: s)))
            buf.removeAll()
        }
        while i < end {
            let c = p[i]
            if c == UInt8(ascii: "\"") && i == end - 1 { break }
            if c == UInt8(ascii: "\\") && i + 1 < end {
                let e = p[i + 1]
                switch e {
                case UInt8(ascii: "\""): buf.append(34); i += 2
                case UInt8(ascii: "\\"): buf.append(92); i += 2
                case UInt8(ascii: "n"): buf.append(10); i += 2
                case UInt8(ascii: "t"): buf.append(9); i += 2
                case UInt8(ascii: "u"):
                    var k = i + 3
                    var v: UInt32 = 0
                    while k < end, let h = hexValue(p[k]) { v = v &* 16 &+ h; k += 1 }
                    if k < end && p[k] == UInt8(ascii: "}") { k += 1 }
                    if let sc = Unicode.Scalar(v) { buf.append(contentsOf: Array(String(sc).utf8)) }
                    i = k
                case UInt8(ascii: "("):
                    flush(pool, &parts, &buf, span(t))
                    // Find the matching ')' (the lexer already checked it exists).
                    var k = i + 2, parens = 1
                    var inStr = false
                    while k < end {
                        let ch = p[k]
                        if inStr {
                            if ch == UInt8(ascii: "\\") { k += 2; continue }
                            if ch == UInt8(ascii: "\"") { inStr = false }
                        } else if ch == UInt8(ascii: "\"") { inStr = true }
                        else if ch == UInt8(ascii: "(") { parens += 1 }
                        else if ch == UInt8(ascii: ")") { parens -= 1; if parens == 0 { break } }
                        k += 1
                    }
                    // Unterminated (or nested past the lexer's limit): the lexer reported it;
                    // parsing the rest again at every level would be quadratic.
                    if parens != 0 { i = end; continue }
                    var sub = Parser(file: lexer.file, interner: lexer.interner, pool: pool, sink: sink,
                                     maxNesting: maxNesting - depth, start: i + 2, end: k)
                    let e = sub.parseExpr()
                    if sub.tok.kind != .eof && !sub.panic {
                        sub.error("expected ')' to end the interpolation, found \(sub.describe(sub.tok))", at: sub.span(sub.tok))
                    }
                    sink = sub.sink
                    parts.append(e)
                    i = min(end, k + 1)
                default:
                    i += 2
                }
                continue
            }
            buf.append(c)
            i += 1
        }
        if parts.isEmpty {
            let c = pool.constant(.string(String(decoding: buf, as: UTF8.self)))
            return pool.add(Node(kind: .string, a: c, span: span(t)))
        }
        flush(pool, &parts, &buf, span(t))
        let ex = pool.addExtra(parts)
        return pool.add(Node(kind: .interp, b: ex, span: span(t)))
    }
}
