/// Token kinds. Keywords share `.keyword`; the token's `payload` is the name id.
enum TokenKind: UInt8 {
    case eof, newline, semicolon, identifier, keyword, number, string, error
    case lparen, rparen, lbracket, rbracket, lbrace, rbrace
    case comma, colon, dot, assign
    case plus, minus, star, slash, caret
    case eq, ne, lt, le, gt, ge
    /// `->`, the display conversion (`x -> mo`).
    case arrow
    /// `// …` or `/* … */`; produced only by a lexer with `keepComments` set (the formatter).
    case comment

    var describe: String {
        switch self {
        case .eof: return "end of file"
        case .newline: return "end of line"
        case .semicolon: return "';'"
        case .identifier: return "a name"
        case .keyword: return "a keyword"
        case .number: return "a number"
        case .string: return "a string"
        case .error: return "an invalid token"
        case .lparen: return "'('"
        case .rparen: return "')'"
        case .lbracket: return "'['"
        case .rbracket: return "']'"
        case .lbrace: return "'{'"
        case .rbrace: return "'}'"
        case .comma: return "','"
        case .colon: return "':'"
        case .dot: return "'.'"
        case .assign: return "'='"
        case .plus: return "'+'"
        case .minus: return "'-'"
        case .star: return "'*'"
        case .slash: return "'/'"
        case .caret: return "'^'"
        case .eq: return "'=='"
        case .ne: return "'!='"
        case .lt: return "'<'"
        case .le: return "'<='"
        case .gt: return "'>'"
        case .ge: return "'>='"
        case .arrow: return "'->'"
        case .comment: return "a comment"
        }
    }

    /// After these a newline does not end the statement.
    var continuesLine: Bool {
        switch self {
        case .plus, .minus, .star, .slash, .caret, .eq, .ne, .lt, .le, .gt, .ge, .comma, .assign, .arrow:
            return true
        default: return false
        }
    }
}

/// Reserved words, interned first so that their ids are these raw values.
enum Keyword: Int32, CaseIterable {
    case let_ = 0, fn, mission, vision, org, values, swot, strength, weakness, opportunity, threat
    case priority, objective, kr, metric, scenario, projection, over, retro, went_well, not_well
    case learning, action, use, import_, assert, print, if_, then, else_, and, or, not, true_
    case false_, none, to

    /// The word as written. Spelled out: `"\(self)"` goes through reflection, which cost
    /// a quarter of the instructions of `strat eval -e 1+1` (every engine interns these).
    var text: String { Self.texts[Int(rawValue)] }

    /// Number of keywords: name ids below it are keywords.
    static let count = Int32(texts.count)

    private static let texts = [
        "let", "fn", "mission", "vision", "org", "values", "swot", "strength", "weakness", "opportunity", "threat",
        "priority", "objective", "kr", "metric", "scenario", "projection", "over", "retro", "went_well", "not_well",
        "learning", "action", "use", "import", "assert", "print", "if", "then", "else", "and", "or", "not", "true",
        "false", "none", "to",
    ]
}

/// Interns names: equal byte strings get equal small integer ids.
final class Interner: @unchecked Sendable {
    @exclusivity(unchecked) private(set) var names: [String] = []
    @exclusivity(unchecked) private var table: [Int32]
    @exclusivity(unchecked) private var hashes: [UInt32] = []
    /// Name bytes, back to back; `offsets[id]..<offsets[id + 1]`.
    @exclusivity(unchecked) private var arena: [UInt8] = []
    @exclusivity(unchecked) private var offsets: [Int32] = [0]
    @exclusivity(unchecked) private var mask: Int
    /// Ids of the contextual keywords `solve`, `for` and `in` (names everywhere else). Kept
    /// here rather than in the parser: in debug builds every byte of the parser struct is
    /// copied into each recursive frame, and the nesting limit must fit the stack.
    private(set) var contextual: (solve: Int32, for_: Int32, in_: Int32) = (-1, -1, -1)

    init() {
        table = [Int32](repeating: -1, count: 1024)
        mask = 1023
        for k in Keyword.allCases {
            let id = intern(k.text)
            precondition(id == k.rawValue)
        }
        precondition(Keyword.count == Keyword.allCases.count)
        contextual = (intern("solve"), intern("for"), intern("in"))
    }

    var count: Int { names.count }

    static func hash(_ p: UnsafeBufferPointer<UInt8>, _ s: Int, _ e: Int) -> UInt32 {
        var h: UInt32 = 2166136261
        var i = s
        while i < e { h = (h ^ UInt32(p[i])) &* 16777619; i += 1 }
        return h
    }

    func intern(_ s: String) -> Int32 {
        var s = s
        return s.withUTF8 { intern($0, 0, $0.count) }
    }

    func lookup(_ s: String) -> Int32? {
        var s = s
        return s.withUTF8 { buf -> Int32? in
            let h = Self.hash(buf, 0, buf.count)
            var slot = Int(h) & mask
            while true {
                let id = table[slot]
                if id < 0 { return nil }
                if hashes[Int(id)] == h, equals(Int(id), buf, 0, buf.count) { return id }
                slot = (slot + 1) & mask
            }
        }
    }

    @inline(__always)
    private func equals(_ id: Int, _ p: UnsafeBufferPointer<UInt8>, _ s: Int, _ e: Int) -> Bool {
        let a = Int(offsets[id]), b = Int(offsets[id + 1])
        if b - a != e - s { return false }
        return arena.withUnsafeBufferPointer { n in
            var i = 0
            while i < b - a { if n[a + i] != p[s + i] { return false }; i += 1 }
            return true
        }
    }

    func intern(_ p: UnsafeBufferPointer<UInt8>, _ s: Int, _ e: Int) -> Int32 {
        let h = Self.hash(p, s, e)
        var slot = Int(h) & mask
        while true {
            let id = table[slot]
            if id < 0 { break }
            if hashes[Int(id)] == h, equals(Int(id), p, s, e) { return id }
            slot = (slot + 1) & mask
        }
        let id = Int32(names.count)
        names.append(String(decoding: UnsafeBufferPointer(rebasing: p[s..<e]), as: UTF8.self))
        arena.append(contentsOf: UnsafeBufferPointer(rebasing: p[s..<e]))
        offsets.append(Int32(arena.count))
        hashes.append(h)
        table[slot] = id
        if names.count * 2 > table.count { grow() }
        return id
    }

    private func grow() {
        let size = table.count * 2
        table = [Int32](repeating: -1, count: size)
        mask = size - 1
        for (i, h) in hashes.enumerated() {
            var slot = Int(h) & mask
            while table[slot] >= 0 { slot = (slot + 1) & mask }
            table[slot] = Int32(i)
        }
    }

    /// Forgets every name interned after the first `count` (the identifiers a scratch
    /// query introduced). Ids are handed out in insertion order and `grow` rehashes in id
    /// order, so the newest name is never on another name's probe path: clearing the
    /// slots newest first keeps every lookup of the older names intact.
    func truncate(to count: Int) {
        guard count >= Keyword.count + 3, count < names.count else { return }
        for id in stride(from: names.count - 1, through: count, by: -1) {
            var slot = Int(hashes[id]) & mask
            while table[slot] != Int32(id) { slot = (slot + 1) & mask }
            table[slot] = -1
        }
        names.removeSubrange(count...)
        hashes.removeSubrange(count...)
        arena.removeSubrange(Int(offsets[count])...)
        offsets.removeSubrange((count + 1)...)
    }

    subscript(id: Int32) -> String { names[Int(id)] }
}

/// The reserved words, for editor completion and highlighting.
package var keywordNames: [String] { Keyword.allCases.map(\.text) }
