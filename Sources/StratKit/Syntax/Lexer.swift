#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A lexed token with its number payload; the lexer is pulled one token at a time.
struct LexToken {
    var kind: TokenKind
    var start: Int32
    var end: Int32
    var name: Int32 = -1
    var number: Double = 0
    var unit: NumberUnit = .plain
    /// A name's hash, when the lexer leaves its interning to the parser (`name` is then -1).
    var hash: UInt32 = 0
}

/// Turns UTF-8 bytes into tokens. Works on bytes; never traps on any input.
struct Lexer {
    let file: SourceFile
    let p: UnsafeBufferPointer<UInt8>
    var i: Int
    let end: Int
    private let start: Int
    let interner: Interner
    private(set) var errors: [(String, Span, String?)] = []
    /// Open brackets: `(` and `[` suppress newlines, `{` does not.
    private var stack: [UInt8] = []
    private var last: TokenKind = .newline
    private var lastName: Int32 = -1
    /// When set, comments come back as `.comment` tokens (for the formatter); they do not
    /// affect which newlines are significant.
    var keepComments = false
    /// When set, names other than keywords come back with their hash and no id, and the
    /// interner is not touched: the parser interns them (the lexer runs on another thread).
    var defersNames = false

    init(file: SourceFile, interner: Interner, start: Int = 0, end: Int? = nil) {
        self.file = file
        self.p = file.bytes
        self.i = start
        self.start = start
        self.end = end ?? file.bytes.count
        self.interner = interner
    }

    @inline(__always) private func at(_ k: Int) -> UInt8 { k < end ? p[k] : 0 }

    private func span(_ s: Int, _ e: Int) -> Span { Span(file: file.id, start: Int32(s), end: Int32(e)) }

    static let powersOf10: [Double] = (0...22).map { k in
        var x = 1.0
        for _ in 0..<k { x *= 10 }
        return x
    }

    mutating func clearErrors() { errors.removeAll(keepingCapacity: true) }

    mutating func error(_ msg: String, _ s: Int, _ e: Int, hint: String? = nil) {
        if errors.count < 500 { errors.append((msg, span(s, e), hint)) }
    }

    /// Reports invalid UTF-8 sequences in the whole file (once per file).
    static func validateUTF8(_ p: UnsafeBufferPointer<UInt8>, report: (Int) -> Void) {
        var k = 0
        let n = p.count
        var reported = 0
        let base = UnsafeRawPointer(p.baseAddress)
        while k < n {
            // ASCII eight bytes at a time: sources are mostly ASCII.
            if let base {
                while k + 8 <= n && base.loadUnaligned(fromByteOffset: k, as: UInt64.self) & 0x8080_8080_8080_8080 == 0 {
                    k += 8
                }
                if k >= n { break }
            }
            let b = p[k]
            if b < 0x80 { k += 1; continue }
            var need = 0
            var minCode: UInt32 = 0
            var code: UInt32 = 0
            if b & 0xE0 == 0xC0 { need = 1; code = UInt32(b & 0x1F); minCode = 0x80 }
            else if b & 0xF0 == 0xE0 { need = 2; code = UInt32(b & 0x0F); minCode = 0x800 }
            else if b & 0xF8 == 0xF0 { need = 3; code = UInt32(b & 0x07); minCode = 0x10000 }
            else { report(k); reported += 1; k += 1; if reported > 20 { return }; continue }
            var ok = k + need < n
            var j = 1
            while ok && j <= need {
                let c = p[k + j]
                if c & 0xC0 != 0x80 { ok = false; break }
                code = (code << 6) | UInt32(c & 0x3F)
                j += 1
            }
            if ok && (code < minCode || code > 0x10FFFF || (code >= 0xD800 && code <= 0xDFFF)) { ok = false }
            if !ok { report(k); reported += 1; k += 1; if reported > 20 { return }; continue }
            k += need + 1
        }
    }

    /// The next significant token. The common tokens (a name, a number, an operator or a comma
    /// after spaces) take a short path; the rest, and every newline, the general one.
    mutating func next() -> LexToken {
        var k = i
        while k < end && p[k] == 32 { k += 1 }
        guard k < end else { return nextToken() }
        let c = p[k]
        if isIdentStart(c) || isDigit(c) {
            i = k
            let t = isDigit(c) ? scanNumber(money: false) : scanName(k)
            // As in nextToken: a keyword after '.' is a member name and keeps no line open.
            lastName = last == .dot ? -1 : t.name
            last = t.kind
            return t
        }
        let kind: TokenKind
        switch c {
        case UInt8(ascii: "+"): kind = .plus
        case UInt8(ascii: "*"): kind = .star
        case UInt8(ascii: ","): kind = .comma
        case UInt8(ascii: "("): kind = .lparen; stack.append(c)
        case UInt8(ascii: ")"): kind = .rparen; if !stack.isEmpty { stack.removeLast() }
        case UInt8(ascii: "="): if at(k + 1) == UInt8(ascii: "=") { i = k; return nextToken() }; kind = .assign
        case UInt8(ascii: "-"): if at(k + 1) == UInt8(ascii: ">") { i = k; return nextToken() }; kind = .minus
        case UInt8(ascii: "/"):
            let n = at(k + 1)
            if n == UInt8(ascii: "/") || n == UInt8(ascii: "*") { i = k; return nextToken() }
            kind = .slash
        default:
            i = k
            return nextToken()
        }
        i = k + 1
        last = kind
        lastName = -1
        return LexToken(kind: kind, start: Int32(k), end: Int32(k + 1))
    }

    /// A name or keyword starting at `s` (an identifier-start byte), interned.
    @inline(__always)
    private mutating func scanName(_ s: Int) -> LexToken {
        var e = s + 1
        while e < end && isIdentChar(p[e]) { e += 1 }
        i = e
        if defersNames { return deferredName(s, e) }
        let id = interner.intern(p, s, e)
        return LexToken(kind: id < Keyword.count ? .keyword : .identifier, start: Int32(s), end: Int32(e), name: id)
    }

    private func deferredName(_ s: Int, _ e: Int) -> LexToken {
        let h = Interner.hash(p, s, e)
        let k = KeywordTable.shared.keyword(p, s, e, h)
        if k >= 0 { return LexToken(kind: .keyword, start: Int32(s), end: Int32(e), name: k) }
        return LexToken(kind: .identifier, start: Int32(s), end: Int32(e), hash: h)
    }

    @inline(never)
    private mutating func nextToken() -> LexToken {
        while true {
            let t = scan()
            if t.kind == .comment { return t }
            if t.kind == .newline {
                if let top = stack.last, top != UInt8(ascii: "{") { continue }
                if last.continuesLine || last == .newline || last == .semicolon || last == .lbrace { continue }
                if last == .keyword && Self.continuesAfter(lastName) { continue }
                if nextLineContinues() { continue }
            }
            // A keyword after '.' is a member name (`M.to`): it does not keep the line open.
            lastName = last == .dot ? -1 : t.name
            last = t.kind
            switch t.kind {
            case .lparen: stack.append(UInt8(ascii: "("))
            case .lbracket: stack.append(UInt8(ascii: "["))
            case .lbrace: stack.append(UInt8(ascii: "{"))
            case .rparen, .rbracket, .rbrace: if !stack.isEmpty { stack.removeLast() }
            default: break
            }
            return t
        }
    }

    /// Inlined into `next()`: one call frame per token instead of two.
    @inline(__always)
    private mutating func scan() -> LexToken {
        while true {
            // Skip blanks and comments.
            while i < end {
                let c = p[i]
                if c == 32 || c == 9 || c == 13 { i += 1; continue }
                if c == UInt8(ascii: "/") && at(i + 1) == UInt8(ascii: "/") {
                    let s = i
                    while i < end && p[i] != 10 { i += 1 }
                    if keepComments { return LexToken(kind: .comment, start: Int32(s), end: Int32(i)) }
                    continue
                }
                if c == UInt8(ascii: "/") && at(i + 1) == UInt8(ascii: "*") {
                    let s = i
                    skipBlockComment()
                    if keepComments { return LexToken(kind: .comment, start: Int32(s), end: Int32(i)) }
                    continue
                }
                break
            }
            if i >= end { return LexToken(kind: .eof, start: Int32(end), end: Int32(end)) }
            let s = i
            let c = p[i]
            // Names first: they are most of the tokens.
            if isIdentStart(c) { return scanName(s) }
            func tok(_ k: TokenKind, _ n: Int) -> LexToken {
                i += n
                return LexToken(kind: k, start: Int32(s), end: Int32(s + n))
            }
            switch c {
            case 10: return tok(.newline, 1)
            case UInt8(ascii: ";"): return tok(.semicolon, 1)
            case UInt8(ascii: "("): return tok(.lparen, 1)
            case UInt8(ascii: ")"): return tok(.rparen, 1)
            case UInt8(ascii: "["): return tok(.lbracket, 1)
            case UInt8(ascii: "]"): return tok(.rbracket, 1)
            case UInt8(ascii: "{"): return tok(.lbrace, 1)
            case UInt8(ascii: "}"): return tok(.rbrace, 1)
            case UInt8(ascii: ","): return tok(.comma, 1)
            case UInt8(ascii: ":"): return tok(.colon, 1)
            case UInt8(ascii: "."): return tok(.dot, 1)
            case UInt8(ascii: "+"): return tok(.plus, 1)
            case UInt8(ascii: "-"): return at(i + 1) == UInt8(ascii: ">") ? tok(.arrow, 2) : tok(.minus, 1)
            case UInt8(ascii: "*"): return tok(.star, 1)
            case UInt8(ascii: "/"): return tok(.slash, 1)
            case UInt8(ascii: "^"): return tok(.caret, 1)
            case UInt8(ascii: "="): return at(i + 1) == UInt8(ascii: "=") ? tok(.eq, 2) : tok(.assign, 1)
            case UInt8(ascii: "!"):
                if at(i + 1) == UInt8(ascii: "=") { return tok(.ne, 2) }
                error("unexpected character '!'", s, s + 1, hint: "use 'not' for negation and '!=' for inequality")
                i += 1
                continue
            case UInt8(ascii: "<"): return at(i + 1) == UInt8(ascii: "=") ? tok(.le, 2) : tok(.lt, 1)
            case UInt8(ascii: ">"): return at(i + 1) == UInt8(ascii: "=") ? tok(.ge, 2) : tok(.gt, 1)
            case UInt8(ascii: "\""): return scanString()
            case UInt8(ascii: "$"):
                if isDigit(at(i + 1)) { return scanNumber(money: true) }
                error("expected a number after '$'", s, s + 1)
                i += 1
                continue
            default:
                if isDigit(c) { return scanNumber(money: false) }
                // Anything else: skip one scalar and report it.
                var k = i + 1
                while k < end && p[k] & 0xC0 == 0x80 { k += 1 }
                if c == 0 {
                    error("unexpected NUL byte", s, k)
                } else if c >= 0x80 {
                    let text = String(decoding: UnsafeBufferPointer(rebasing: p[s..<k]), as: UTF8.self)
                    error("unexpected character '\(text)'", s, k)
                } else {
                    error("unexpected character '\(Character(Unicode.Scalar(c)))'", s, k)
                }
                i = k
                continue
            }
        }
    }

    /// Word operators and `if`/`then`/`else` at the end of a line keep the statement open.
    static func continuesAfter(_ name: Int32) -> Bool {
        switch Keyword(rawValue: name) {
        case .and?, .or?, .not?, .to?, .if_?, .then?, .else_?: return true
        default: return false
        }
    }

    /// A line that starts with `then`, `else`, `and` or `or` continues the previous one.
    private mutating func nextLineContinues() -> Bool {
        var k = i
        while k < end {
            let c = p[k]
            if c == 32 || c == 9 || c == 13 || c == 10 { k += 1; continue }
            if c == UInt8(ascii: "/") && (at(k + 1) == UInt8(ascii: "/") || at(k + 1) == UInt8(ascii: "*")) { return false }
            break
        }
        guard k < end, p[k] == UInt8(ascii: "t") || p[k] == UInt8(ascii: "e") || p[k] == UInt8(ascii: "a") || p[k] == UInt8(ascii: "o") else {
            return false
        }
        var e = k
        while e < end && isIdentChar(p[e]) { e += 1 }
        let word = UnsafeBufferPointer(rebasing: p[k..<e])
        return word.elementsEqual("then".utf8) || word.elementsEqual("else".utf8)
            || word.elementsEqual("and".utf8) || word.elementsEqual("or".utf8)
    }

    private mutating func skipBlockComment() {
        let s = i
        var depth = 0
        while i < end {
            if p[i] == UInt8(ascii: "/") && at(i + 1) == UInt8(ascii: "*") { depth += 1; i += 2; continue }
            if p[i] == UInt8(ascii: "*") && at(i + 1) == UInt8(ascii: "/") {
                depth -= 1; i += 2
                if depth == 0 { return }
                continue
            }
            i += 1
        }
        error("unterminated block comment", s, s + 2)
    }

    /// Scans a string literal from its opening quote, checking escapes and finding the
    /// ends of interpolations; the parser decodes the contents later.
    private mutating func scanString() -> LexToken {
        let s = i
        i += 1
        let before = errors.count
        if !skipStringBody(openAt: s, depth: 0) {
            error("unterminated string", s, i)
        }
        // A lexer over an interpolation's contents (a range) meets strings that the
        // enclosing string's lexer already checked: reporting again would repeat each
        // error once per nesting level.
        if end != p.count || start != 0 { errors.removeSubrange(min(before, errors.count)...) }
        return LexToken(kind: .string, start: Int32(s), end: Int32(i))
    }

    /// Advances past the closing quote; false when the line or input ended first.
    private mutating func skipStringBody(openAt s: Int, depth: Int) -> Bool {
        while i < end {
            let c = p[i]
            if c == UInt8(ascii: "\"") { i += 1; return true }
            if c == 10 { return false }
            if c == UInt8(ascii: "\\") {
                let e = at(i + 1)
                switch e {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "n"), UInt8(ascii: "t"):
                    i += 2
                case UInt8(ascii: "u"):
                    let es = i
                    i += 2
                    if at(i) != UInt8(ascii: "{") { error("invalid escape: expected '{' after \\u", es, i); continue }
                    i += 1
                    var v: UInt32 = 0, n = 0
                    while i < end, let h = hexValue(p[i]) { if n < 8 { v = v * 16 + h }; n += 1; i += 1 }
                    if at(i) != UInt8(ascii: "}") || n == 0 || n > 6 || Unicode.Scalar(v) == nil {
                        error("invalid escape: \\u{…} needs 1 to 6 hex digits naming a Unicode scalar", es, i)
                        if at(i) == UInt8(ascii: "}") { i += 1 }
                        continue
                    }
                    i += 1
                case UInt8(ascii: "("):
                    let is0 = i
                    i += 2
                    if depth > 64 {
                        error("interpolation nested deeper than 64", is0, i)
                        return false
                    }
                    if !skipInterpolation(depth: depth + 1) {
                        error("unterminated interpolation", is0, is0 + 2)
                        return false
                    }
                default:
                    let k = min(end, i + 2)
                    error("invalid escape '\\\(e < 0x80 && e >= 0x20 ? String(Character(Unicode.Scalar(e))) : "?")'", i, k,
                          hint: "escapes are \\\" \\\\ \\n \\t \\u{…} and \\(expr)")
                    i = k
                }
                continue
            }
            i += 1
        }
        return false
    }

    /// Skips an interpolation body up to its matching `)`.
    private mutating func skipInterpolation(depth: Int) -> Bool {
        var parens = 1
        while i < end {
            let c = p[i]
            if c == 10 { return false }
            if c == UInt8(ascii: "(") { parens += 1 }
            else if c == UInt8(ascii: ")") {
                parens -= 1
                if parens == 0 { i += 1; return true }
            } else if c == UInt8(ascii: "\"") {
                let s = i
                i += 1
                if !skipStringBody(openAt: s, depth: depth) { return false }
                continue
            }
            i += 1
        }
        return false
    }

    /// `YYYY-MM-DD` with no spaces (SPEC §14): a date literal, checked to be a real day.
    private mutating func scanDate() -> LexToken? {
        let s = i
        guard isDigit(at(s)), isDigit(at(s + 1)), isDigit(at(s + 2)), isDigit(at(s + 3)), at(s + 4) == UInt8(ascii: "-"),
              isDigit(at(s + 5)), isDigit(at(s + 6)), at(s + 7) == UInt8(ascii: "-"), isDigit(at(s + 8)), isDigit(at(s + 9)),
              !isIdentChar(at(s + 10)), at(s + 10) != UInt8(ascii: "%"),
              !(at(s + 10) == UInt8(ascii: ".") && isDigit(at(s + 11))) else { return nil }
        i = s + 10
        let text = String(decoding: UnsafeBufferPointer(rebasing: p[s..<i]), as: UTF8.self)
        guard let d = CalendarDate(text) else {
            error("invalid date '\(text)'", s, i, hint: "a date is YYYY-MM-DD with a month 01…12 and a day that exists in that month")
            return LexToken(kind: .number, start: Int32(s), end: Int32(i), number: 0, unit: .date)
        }
        return LexToken(kind: .number, start: Int32(s), end: Int32(i), number: d.unixSeconds, unit: .date)
    }

    private mutating func scanNumber(money: Bool) -> LexToken {
        if !money, at(i + 4) == UInt8(ascii: "-"), let d = scanDate() { return d }
        let s = i
        if money { i += 1 }
        // Mantissa digits (without '_' and '.') and the decimal exponent, for the exact
        // fast path; strtod for everything else.
        var mantissa: UInt64 = 0
        var digits = 0
        var scale = 0
        var exact = true
        let numStart = i
        while i < end && (isDigit(p[i]) || p[i] == UInt8(ascii: "_")) {
            if p[i] != UInt8(ascii: "_") {
                if digits < 19 { mantissa = mantissa &* 10 &+ UInt64(p[i] - 48) } else { exact = false }
                if mantissa != 0 || digits > 0 { digits += 1 }
            }
            i += 1
        }
        if at(i) == UInt8(ascii: ".") && isDigit(at(i + 1)) {
            i += 1
            while i < end && (isDigit(p[i]) || p[i] == UInt8(ascii: "_")) {
                if p[i] != UInt8(ascii: "_") {
                    if digits < 19 { mantissa = mantissa &* 10 &+ UInt64(p[i] - 48); scale -= 1 } else { exact = false }
                    if mantissa != 0 || digits > 0 { digits += 1 }
                }
                i += 1
            }
        }
        if at(i) == UInt8(ascii: "e") || at(i) == UInt8(ascii: "E") {
            let n1 = at(i + 1)
            if isDigit(n1) || ((n1 == UInt8(ascii: "+") || n1 == UInt8(ascii: "-")) && isDigit(at(i + 2))) {
                i += 2
                while i < end && isDigit(p[i]) { i += 1 }
                exact = false
            }
        }
        var value: Double
        if exact && mantissa < (1 << 53) && scale >= -22 {
            // Clinger's fast path: both operands are exact doubles, so one division rounds correctly.
            value = scale == 0 ? Double(mantissa) : Double(mantissa) / Self.powersOf10[-scale]
        } else {
            value = withUnsafeTemporaryAllocation(of: CChar.self, capacity: i - numStart + 1) { buf in
                var k = 0
                for j in numStart..<i where p[j] != UInt8(ascii: "_") {
                    buf[k] = CChar(bitPattern: p[j])
                    k += 1
                }
                buf[k] = 0
                return strtod(buf.baseAddress!, nil)
            }
        }
        // Suffix: letters and % attached with no space.
        let ss = i
        while i < end && (isIdentChar(p[i]) || p[i] == UInt8(ascii: "%")) { i += 1 }
        var unit: NumberUnit = money ? .dollars : .plain
        if ss < i {
            let suffix = String(decoding: UnsafeBufferPointer(rebasing: p[ss..<i]), as: UTF8.self)
            var scale = 1.0
            var ok = true
            switch suffix {
            case "K": scale = 1e3
            case "M": scale = 1e6
            case "B": scale = 1e9
            case "T": scale = 1e12
            case "%" where !money: scale = 0.01; unit = .percent
            case "x" where !money: unit = .ratio
            case "ms" where !money: scale = 0.001; unit = NumberUnit(time: 1, display: .ms)
            case "s" where !money: unit = NumberUnit(time: 1, display: .s)
            case "min" where !money: scale = 60; unit = NumberUnit(time: 1, display: .min)
            case "h" where !money: scale = 3600; unit = NumberUnit(time: 1, display: .h)
            case "d" where !money: scale = 86400; unit = NumberUnit(time: 1, display: .d)
            case "wk" where !money: scale = 604800; unit = NumberUnit(time: 1, display: .wk)
            case "mo" where !money: scale = NumberUnit.timeScale(.mo); unit = NumberUnit(time: 1, display: .mo)
            case "qtr" where !money: scale = NumberUnit.timeScale(.qtr); unit = NumberUnit(time: 1, display: .qtr)
            case "yr" where !money: scale = NumberUnit.timeScale(.yr); unit = NumberUnit(time: 1, display: .yr)
            default: ok = false
            }
            if ok && (suffix == "K" || suffix == "M" || suffix == "B" || suffix == "T") {
                unit = money ? NumberUnit(money: 1, display: .moneyMagnitude) : .magnitude
            }
            if !ok {
                let known = money ? ["K", "M", "B", "T"] : numberSuffixes
                let hint = closest(suffix, among: known).map { "did you mean '\($0)'?" }
                    ?? "number suffixes are \(known.joined(separator: " "))"
                error("unknown number suffix '\(suffix)'", ss, i, hint: hint)
            }
            value *= scale
        }
        if !value.isFinite {
            error("number literal out of range", s, i)
            value = 0
        }
        return LexToken(kind: .number, start: Int32(s), end: Int32(i), number: value, unit: unit)
    }
}

@inline(__always) func isDigit(_ c: UInt8) -> Bool { c >= 48 && c <= 57 }
/// Bit `c & 63` of these masks says whether byte `c` (below 128) may be in a name:
/// digits in the low one; `A`–`Z`, `_` and `a`–`z` in the high one. A shift and a mask
/// per byte instead of a chain of range tests (the name loop runs once per name byte).
private let identLow: UInt64 = 0x03FF_0000_0000_0000
private let identHigh: UInt64 = 0x07FF_FFFE_87FF_FFFE
@inline(__always) func isIdentStart(_ c: UInt8) -> Bool {
    c & 0xC0 == 0x40 && (identHigh >> UInt64(c & 63)) & 1 != 0
}
@inline(__always) func isIdentChar(_ c: UInt8) -> Bool {
    c < 128 && ((c < 64 ? identLow : identHigh) >> UInt64(c & 63)) & 1 != 0
}
func hexValue(_ c: UInt8) -> UInt32? {
    if isDigit(c) { return UInt32(c - 48) }
    if c >= 97 && c <= 102 { return UInt32(c - 87) }
    if c >= 65 && c <= 70 { return UInt32(c - 55) }
    return nil
}

/// Edit distance for "did you mean" hints (bounded, on Unicode scalars).
func editDistance(_ a: String, _ b: String, limit: Int = 3) -> Int {
    let x = Array(a.unicodeScalars), y = Array(b.unicodeScalars)
    if abs(x.count - y.count) > limit { return limit + 1 }
    if x.isEmpty { return y.count }
    if y.isEmpty { return x.count }
    var prev = Array(0...y.count), cur = [Int](repeating: 0, count: y.count + 1)
    for i in 1...x.count {
        cur[0] = i
        var best = cur[0]
        for j in 1...y.count {
            let cost = x[i - 1] == y[j - 1] ? 0 : 1
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost)
            best = min(best, cur[j])
        }
        if best > limit { return limit + 1 }
        swap(&prev, &cur)
    }
    return prev[y.count]
}

/// The closest candidate within a small edit distance, preferring case-insensitive matches.
func closest<S: Sequence>(_ name: String, among candidates: S) -> String? where S.Element == String {
    let limit = max(1, min(3, name.count / 3 + 1))
    var best: String?
    var bestD = limit + 1
    let lower = name.lowercased()
    let bytes = name.utf8.count
    for c in candidates where c != name {
        // A scalar is 1 to 4 bytes: lengths this far apart cannot be within the limit.
        let cb = c.utf8.count
        if cb > 4 * (bytes + limit) || bytes > 4 * (cb + limit) { continue }
        if cb == bytes, c.lowercased() == lower { return c }
        let d = editDistance(name, c, limit: limit)
        if d < bestD || (d == bestD && best.map { c < $0 } ?? true) { bestD = d; best = c }
    }
    return bestD <= limit ? best : nil
}

/// Every number suffix the lexer accepts (`$` amounts take only the magnitudes), for
/// diagnostics and editor completion.
package let numberSuffixes = ["K", "M", "B", "T", "%", "x", "ms", "s", "min", "h", "d", "wk", "mo", "qtr", "yr"]
