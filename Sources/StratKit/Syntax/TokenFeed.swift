#if os(Linux)
import Synchronization
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// Lexes a large file on a second thread while the parser takes its tokens: lexing is
/// about half of parsing, and on two cores the halves overlap. The tokens, their order
/// and every diagnostic are those of lexing on one thread.
///
/// The producer owns the lexer while it runs, and never touches the interner: it leaves
/// names to the parser with their hash (``Lexer/defersNames``), so the parser's thread is
/// the interner's only user. The producer stops at the end of the input, after a token
/// whose lexing reported an error (the parser takes the lexer back with that token and
/// reports the errors right after it, as it would on one thread), or when asked.
/// Tokens pass through a ring of ``capacity`` slots, published in batches: large ones,
/// so that each side works on cache lines the other is not using.
final class TokenFeed: @unchecked Sendable {
    /// 16,384 tokens (512 KB) in batches of 1,024: with batches of 128 in a ring of 4,096
    /// the two threads kept taking cache lines from each other, and lexing through the
    /// ring took twice as long as lexing alone.
    static let capacity = 1 << 14
    private static let mask = capacity - 1
    private static let batch = 1024

    private let ring: UnsafeMutablePointer<LexToken>
    /// Tokens the producer has written, times two, plus one once it has stopped for good.
    private let published = Atomic<Int>(0)
    /// Tokens the parser has taken (published when it runs out, to free the ring).
    private let consumed = Atomic<Int>(0)
    private let stopRequested = Atomic<Bool>(false)
    /// The producer's lexer: written by the producer before it publishes its stop, read by
    /// the parser only after it has seen that stop.
    @exclusivity(unchecked) private var lexer: Lexer
    // The parser's side: the next token to take and how far it may read without asking.
    @exclusivity(unchecked) private(set) var head = 0
    @exclusivity(unchecked) private(set) var avail = 0
    /// The parser's interner and the source, for the names the producer leaves unresolved.
    /// Unmanaged: a retain per name costs more than interning it (the lexer handed in
    /// keeps both alive).
    private let interner: Unmanaged<Interner>
    private let bytes: UnsafeBufferPointer<UInt8>

    private init(_ lexer: Lexer) {
        self.lexer = lexer
        interner = Unmanaged.passUnretained(lexer.interner)
        bytes = lexer.p
        self.lexer.defersNames = true
        ring = .allocate(capacity: Self.capacity)
    }

    deinit { ring.deallocate() }

    private static let starts = Atomic<Int>(0)
    /// How many feeds have started (for tests: that a parse took this path). Atomic: engines
    /// on several threads may each lex a large file ahead.
    static var startCount: Int { starts.load(ordering: .relaxed) }

    /// Starts lexing on another thread from where `lexer` is; nil on a single processor
    /// or when no thread can be had. A thread of its own, not a shared pool's: the parser
    /// waits for it, and a pool whose threads are all busy might never run it.
    static func start(_ lexer: Lexer) -> TokenFeed? {
        guard sysconf(Int32(_SC_NPROCESSORS_ONLN)) >= 2 else { return nil }
        let feed = TokenFeed(lexer)
        let arg = Unmanaged.passRetained(feed).toOpaque()
        var thread = pthread_t()
        let rc = pthread_create(&thread, nil, { raw in
            guard let raw else { return nil }
            Unmanaged<TokenFeed>.fromOpaque(raw).takeRetainedValue().produce()
            return nil
        }, arg)
        if rc != 0 {
            Unmanaged<TokenFeed>.fromOpaque(arg).release()
            return nil
        }
        pthread_detach(thread)
        starts.add(1, ordering: .relaxed)
        return feed
    }

    /// The next token, when the ring holds one the parser may take without asking; a
    /// name is interned here, on the parser's thread.
    @inline(__always) func take() -> LexToken {
        var t = ring[head & Self.mask]
        head += 1
        if t.kind == .identifier { t.name = intern(t.start, t.end, t.hash) }
        return t
    }

    /// Out of line: inlined, the interner's probe loop made every token's path save and
    /// restore more registers than the probe costs to call.
    @inline(never)
    private func intern(_ s: Int32, _ e: Int32, _ h: UInt32) -> Int32 {
        let b = bytes
        return interner._withUnsafeGuaranteedRef { $0.intern(b, Int(s), Int(e), hash: h) }
    }

    /// Waits for the next token: nil once the producer has stopped and every token it
    /// wrote is taken. The last token it wrote comes only from here (never from ``take()``),
    /// with `last` set: the lexer comes back with it (``stoppedLexer``).
    func refill() -> (token: LexToken, last: Bool)? {
        consumed.store(head, ordering: .releasing)
        var spins = 0
        while true {
            let p = published.load(ordering: .acquiring)
            let count = p >> 1
            if p & 1 != 0 {
                if head < count - 1 { avail = count - 1; return (take(), false) }
                if head == count - 1 { return (take(), true) }
                return nil
            }
            if count > head { avail = count; return (take(), false) }
            Self.backOff(&spins)
        }
    }

    /// Asks the producer to stop and waits until it has (at most a batch away), so that its
    /// lexer can be taken back.
    func stop() {
        stopRequested.store(true, ordering: .relaxed)
        var spins = 0
        while published.load(ordering: .acquiring) & 1 == 0 { Self.backOff(&spins) }
    }

    /// The producer's lexer, after it has stopped: just past the last token it wrote.
    var stoppedLexer: Lexer {
        var l = lexer
        l.defersNames = false
        return l
    }

    private func produce() {
        var lx = lexer
        var tail = 0
        var room = Self.capacity
        run: while true {
            if tail == room {
                published.store(tail << 1, ordering: .releasing)
                var spins = 0
                while true {
                    if stopRequested.load(ordering: .relaxed) { break run }
                    let c = consumed.load(ordering: .acquiring)
                    if c + Self.capacity > tail { room = c + Self.capacity; break }
                    Self.backOff(&spins)
                }
            }
            let t = lx.next()
            ring[tail & Self.mask] = t
            tail += 1
            if t.kind == .eof || !lx.errors.isEmpty { break }
            if tail & (Self.batch - 1) == 0 {
                published.store(tail << 1, ordering: .releasing)
                if stopRequested.load(ordering: .relaxed) { break }
            }
        }
        lexer = lx
        published.store(tail << 1 | 1, ordering: .releasing)
    }

    /// Spins a little, then yields the processor: the other side is a batch away, unless
    /// the machine is busy, when yielding lets it run.
    private static func backOff(_ spins: inout Int) {
        spins += 1
        if spins < 64 { return }
        if spins < 4096 { sched_yield(); return }
        usleep(50)
    }
}
#else
/// Lexing on a second thread needs `Synchronization`'s atomics; elsewhere the parser
/// lexes as it goes.
final class TokenFeed {
    static func start(_ lexer: Lexer) -> TokenFeed? { nil }
    static var startCount: Int { 0 }
    var head: Int { 0 }
    var avail: Int { 0 }
    func take() -> LexToken { LexToken(kind: .eof, start: 0, end: 0) }
    func refill() -> (token: LexToken, last: Bool)? { nil }
    func stop() {}
    var stoppedLexer: Lexer { preconditionFailure("never started") }
}
#endif
