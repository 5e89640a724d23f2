#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

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

/// The keywords by hash, for a lexer that leaves the interning of other names to its
/// parser (``TokenFeed``): a read-only table any thread may use.
struct KeywordTable {
    /// Slots: `hash << 32 | (keyword + 1)`; 0 is empty. 32 slots per keyword or so: a
    /// name that is not a keyword nearly always stops at the first.
    private let slots: [UInt64]
    private let texts: [[UInt8]]

    static let shared = KeywordTable()

    private init() {
        var slots = [UInt64](repeating: 0, count: 1024)
        var texts: [[UInt8]] = []
        for k in Keyword.allCases {
            let bytes = Array(k.text.utf8)
            let h = bytes.withUnsafeBufferPointer { Interner.hash($0, 0, $0.count) }
            var slot = Int(h) & (slots.count - 1)
            while slots[slot] != 0 { slot = (slot + 1) & (slots.count - 1) }
            slots[slot] = UInt64(h) << 32 | UInt64(k.rawValue + 1)
            texts.append(bytes)
        }
        self.slots = slots
        self.texts = texts
    }

    /// The keyword spelled `p[s..<e]` (whose hash is `h`), or -1.
    @inline(__always)
    func keyword(_ p: UnsafeBufferPointer<UInt8>, _ s: Int, _ e: Int, _ h: UInt32) -> Int32 {
        var slot = Int(h) & (slots.count - 1)
        while true {
            let v = slots[slot]
            if v == 0 { return -1 }
            if UInt32(truncatingIfNeeded: v >> 32) == h {
                let id = Int(UInt32(truncatingIfNeeded: v)) - 1
                let t = texts[id]
                if t.count == e - s && t.withUnsafeBufferPointer({ memcmp($0.baseAddress!, p.baseAddress! + s, e - s) == 0 }) {
                    return Int32(id)
                }
            }
            slot = (slot + 1) & (slots.count - 1)
        }
    }
}

/// Interns names: equal byte strings get equal small integer ids.
///
/// The lexer interns every name it meets (half a million in a 100,000-line model), so the
/// hot path works on raw memory: a word-at-a-time hash of the byte slice, a probe of an
/// open-addressing table whose slots carry the hash beside the id, and one `memcmp`. A
/// `String` is made only for a name seen for the first time.
final class Interner: @unchecked Sendable {
    @exclusivity(unchecked) private(set) var names: [String] = []
    /// Slots: `hash << 32 | (id + 1)`; 0 is empty.
    private var table: UnsafeMutablePointer<UInt64>
    private var mask: Int
    /// Name bytes, back to back; `offsets[id]..<offsets[id + 1]`. Allocated with
    /// `arenaSlack` bytes past `arenaCapacity`, so a short name compares as one
    /// eight-byte word.
    private var arena: UnsafeMutablePointer<UInt8>
    private var arenaCount = 0
    private var arenaCapacity = 4096
    @exclusivity(unchecked) private var offsets: [Int32] = [0]
    /// Ids of the contextual keywords `solve`, `for` and `in`, and of `at` (names everywhere else). Kept
    /// here rather than in the parser: in debug builds every byte of the parser struct is
    /// copied into each recursive frame, and the nesting limit must fit the stack.
    private(set) var contextual: (solve: Int32, for_: Int32, in_: Int32, at: Int32) = (-1, -1, -1, -1)

    init() {
        table = .allocate(capacity: 1024)
        table.initialize(repeating: 0, count: 1024)
        mask = 1023
        arena = .allocate(capacity: arenaCapacity + Self.arenaSlack)
        for k in Keyword.allCases {
            let id = intern(k.text)
            precondition(id == k.rawValue)
        }
        precondition(Keyword.count == Keyword.allCases.count)
        contextual = (intern("solve"), intern("for"), intern("in"), intern("at"))
    }

    deinit {
        table.deallocate()
        arena.deallocate()
    }

    var count: Int { names.count }

    /// Makes room for about `more` new names (the loader guesses from the source size), so
    /// the table is not rehashed and the arrays not regrown while a large file is lexed.
    func reserve(_ more: Int) {
        let wanted = names.count + more
        names.reserveCapacity(wanted)
        offsets.reserveCapacity(wanted + 1)
        // Names are short: about 8 bytes each covers them without doubling the arena.
        if arenaCount + 8 * more > arenaCapacity { growArena(to: arenaCount + 8 * more) }
        // One rehash at the final size, not one per doubling.
        var size = mask + 1
        while size < 2 * wanted { size *= 2 }
        if size != mask + 1 { rehash(size: size) }
    }

    /// Hash of `p[s..<e]`, eight bytes at a time (never reading outside `p`).
    @inline(__always)
    static func hash(_ p: UnsafeBufferPointer<UInt8>, _ s: Int, _ e: Int) -> UInt32 {
        guard s < e, let start = p.baseAddress else { return 0x9E37_79B9 }
        let base = UnsafeRawPointer(start)
        var h = UInt64(truncatingIfNeeded: e - s) &* 0x9E37_79B9_7F4A_7C15
        var i = s
        while i + 8 <= e {
            h = (h ^ base.loadUnaligned(fromByteOffset: i, as: UInt64.self)) &* 0xFF51_AFD7_ED55_8CCD
            h ^= h >> 29
            i += 8
        }
        if i < e {
            var w: UInt64 = 0
            if i + 8 <= p.count {
                // Little-endian: the bytes before `e` are the low ones.
                w = base.loadUnaligned(fromByteOffset: i, as: UInt64.self).littleEndian
                w &= ~0 >> UInt64(truncatingIfNeeded: 64 &- 8 &* (e &- i))
            } else {
                var k = e
                while k > i { k -= 1; w = w << 8 | UInt64(p[k]) }
            }
            h = (h ^ w) &* 0xFF51_AFD7_ED55_8CCD
        }
        h ^= h >> 32
        return UInt32(truncatingIfNeeded: h)
    }

    func intern(_ s: String) -> Int32 {
        var s = s
        return s.withUTF8 { intern($0, 0, $0.count) }
    }

    func lookup(_ s: String) -> Int32? {
        var s = s
        return s.withUTF8 { buf -> Int32? in
            let id = find(buf, 0, buf.count, Self.hash(buf, 0, buf.count)).id
            return id < 0 ? nil : id
        }
    }

    /// The id of `p[s..<e]` (or -1) and the slot where it is or would go.
    @inline(__always)
    private func find(_ p: UnsafeBufferPointer<UInt8>, _ s: Int, _ e: Int, _ h: UInt32) -> (id: Int32, slot: Int) {
        var slot = Int(h) & mask
        let len = e - s
        while true {
            let v = table[slot]
            if v == 0 { return (-1, slot) }
            if UInt32(truncatingIfNeeded: v >> 32) == h {
                let id = Int(UInt32(truncatingIfNeeded: v)) - 1
                let a = Int(offsets[id])
                if Int(offsets[id + 1]) - a == len, Self.sameBytes(arena + a, p, s, len) {
                    return (Int32(id), slot)
                }
            }
            slot = (slot + 1) & mask
        }
    }

    private static let arenaSlack = 8

    /// Whether `stored` (in the arena) holds the `len` bytes `p[s...]`. A name of at most
    /// eight bytes (nearly all) compares as one masked word: the arena has slack for the
    /// load, and `p` is read only inside its bounds.
    @inline(__always)
    private static func sameBytes(_ stored: UnsafeMutablePointer<UInt8>, _ p: UnsafeBufferPointer<UInt8>,
                                  _ s: Int, _ len: Int) -> Bool {
        if len == 0 { return true }
        if len <= 8 && s + 8 <= p.count {
            let keep: UInt64 = ~0 >> UInt64(truncatingIfNeeded: 64 &- 8 &* len)
            let a = UnsafeRawPointer(stored).loadUnaligned(as: UInt64.self)
            let b = UnsafeRawPointer(p.baseAddress! + s).loadUnaligned(as: UInt64.self)
            return (a ^ b) & keep.littleEndian == 0
        }
        return memcmp(stored, p.baseAddress! + s, len) == 0
    }

    @inline(__always)
    func intern(_ p: UnsafeBufferPointer<UInt8>, _ s: Int, _ e: Int) -> Int32 {
        intern(p, s, e, hash: Self.hash(p, s, e))
    }

    /// As ``intern(_:_:_:)``, with the hash already worked out (`Interner.hash`).
    @inline(__always)
    func intern(_ p: UnsafeBufferPointer<UInt8>, _ s: Int, _ e: Int, hash h: UInt32) -> Int32 {
        let (id, slot) = find(p, s, e, h)
        if id >= 0 { return id }
        return add(p, s, e, h, slot)
    }

    @inline(never)
    private func add(_ p: UnsafeBufferPointer<UInt8>, _ s: Int, _ e: Int, _ h: UInt32, _ slot: Int) -> Int32 {
        let id = Int32(names.count)
        let bytes = UnsafeBufferPointer(rebasing: p[s..<e])
        // Copied rather than decoded: `String(decoding:)` goes through its repairing path.
        // The initializer still validates the bytes (names are ASCII).
        names.append(String(unsafeUninitializedCapacity: bytes.count) { _ = $0.initialize(from: bytes); return bytes.count })
        if arenaCount + bytes.count > arenaCapacity { growArena(to: max(arenaCapacity * 2, arenaCount + bytes.count)) }
        if !bytes.isEmpty { (arena + arenaCount).update(from: bytes.baseAddress!, count: bytes.count) }
        arenaCount += bytes.count
        offsets.append(Int32(arenaCount))
        table[slot] = UInt64(h) << 32 | UInt64(id + 1)
        if names.count * 2 > mask + 1 { grow() }
        return id
    }

    private func grow() { rehash(size: (mask + 1) * 2) }

    private func growArena(to cap: Int) {
        let grown = UnsafeMutablePointer<UInt8>.allocate(capacity: cap + Self.arenaSlack)
        grown.update(from: arena, count: arenaCount)
        arena.deallocate()
        arena = grown
        arenaCapacity = cap
    }

    /// Rebuilds the table at `size` slots, inserting the names in id order: the table is
    /// then exactly what interning them one by one gives, which `truncate` relies on.
    private func rehash(size: Int) {
        table.deallocate()
        table = .allocate(capacity: size)
        table.initialize(repeating: 0, count: size)
        mask = size - 1
        let bytes = UnsafeBufferPointer(start: arena, count: arenaCount)
        for id in 0..<names.count {
            let h = Self.hash(bytes, Int(offsets[id]), Int(offsets[id + 1]))
            var slot = Int(h) & mask
            while table[slot] != 0 { slot = (slot + 1) & mask }
            table[slot] = UInt64(h) << 32 | UInt64(id + 1)
        }
    }

    /// Forgets every name interned after the first `count` (the identifiers a scratch
    /// query introduced). With linear probing, taking out the newest entry leaves the
    /// table as it was before that entry went in, provided entries went in in id order
    /// (`rehash` keeps that order); so the names are cleared newest first.
    func truncate(to count: Int) {
        guard count >= Keyword.count + 4, count < names.count else { return }
        let bytes = UnsafeBufferPointer(start: arena, count: arenaCount)
        var intact = true
        for id in stride(from: names.count - 1, through: count, by: -1) where intact {
            let h = Self.hash(bytes, Int(offsets[id]), Int(offsets[id + 1]))
            let entry = UInt64(h) << 32 | UInt64(id + 1)
            var slot = Int(h) & mask
            var probes = 0
            while table[slot] != entry && probes <= mask { slot = (slot + 1) & mask; probes += 1 }
            if table[slot] == entry { table[slot] = 0 } else { intact = false }
        }
        names.removeSubrange(count...)
        arenaCount = Int(offsets[count])
        offsets.removeSubrange((count + 1)...)
        // Not reached while the invariant holds; a rebuild is correct whatever the table held.
        if !intact { rehash(size: mask + 1) }
    }

    subscript(id: Int32) -> String { names[Int(id)] }
}

/// The reserved words, for editor completion and highlighting.
package var keywordNames: [String] { Keyword.allCases.map(\.text) }
