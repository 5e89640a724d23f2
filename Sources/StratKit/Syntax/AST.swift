/// Expression node kinds. Parsed kinds come first; the resolver rewrites `name`,
/// `member`, `call` and friends into the resolved kinds below them.
enum NodeKind: UInt8 {
    // Parsed
    case number        // op 0: a, b: the Double's bit pattern (a plain number); op 1: a: constant index (a number with a unit)
    case string        // a: constant index
    case interp        // b: extra start (parts are nodes)
    case bool          // a: 0 or 1
    case none
    case name          // a: name id
    case member        // a: object node, b: name id
    case index         // a: list node, b: index node
    case call          // a: callee name id, b: extra start
    case list          // b: extra start
    case neg, not      // a: operand
    case binary        // op: BinaryOp, a, b
    case cond          // a: condition, b: extra start of [then, else]
    case range         // a, b: `a to b` (reserved)
    case threshold     // op: BinaryOp.ge/.le, a: bound (only as a `target:` value)
    case solve         // a: input node, b: extra start of [expr, value(, lo, hi)] (2 or 4)
    case error         // a parse error already reported
    // Resolved
    case cell          // a: cell index
    case local         // a: slot (function parameter)
    case projValue     // `value` inside a projection's `next:`
    case projT         // `t` inside a projection
    case projPrev      // a: projection index, b: lag: its value at t - b (1 in `next:`, 0 in a series)
    case object        // a: object id (a static reference)
    case constant      // a: constant index (folded lists of references and the like)
    case builtin       // a: Builtin raw value, b: extra start
    case userCall      // a: function index, b: extra start
    case hostCall      // a: host function index, b: extra start
    case dynMember     // a: object node, b: name id (looked up at run time)
    case projSeries    // a: projection index: its whole series as a list
    case projAt        // a: projection index, b: period node: `other[t - k]` inside `next:` or a series
    case solved        // a: index into `Model.solveSites` (a resolved `solve`)
}

enum BinaryOp: UInt8 {
    case add, sub, mul, div, pow, eq, ne, lt, le, gt, ge, and, or
    /// `x -> unit`: the right operand is a number node whose unit is the display wanted.
    case convert
    var symbol: String {
        switch self {
        case .add: return "+"
        case .sub: return "-"
        case .mul: return "*"
        case .div: return "/"
        case .pow: return "^"
        case .eq: return "=="
        case .ne: return "!="
        case .lt: return "<"
        case .le: return "<="
        case .gt: return ">"
        case .ge: return ">="
        case .and: return "and"
        case .or: return "or"
        case .convert: return "->"
        }
    }
}

/// One expression node: 20 bytes (a 100,000-line model has over a million). The kind,
/// the operator and the span's file share one word: 6, 4 and 22 bits. A node with
/// children in `ExprPool.extra` (calls, lists, `if`) keeps where they start in `b`; their
/// count is the word just before them, so that no node pays a third operand field.
struct Node {
    var a: Int32 = 0
    var b: Int32 = 0
    private var start: Int32
    private var end: Int32
    private var bits: UInt32

    private static let kindMask: UInt32 = 0x3F, opShift: UInt32 = 6, opMask: UInt32 = 0xF, fileShift: UInt32 = 10
    /// The file field's all-ones value: no file (`Span.none`), and any file id past 2^22 - 2.
    private static let noFile: UInt32 = 0x3F_FFFF

    init(kind: NodeKind, op: UInt8 = 0, a: Int32 = 0, b: Int32 = 0, span: Span) {
        self.a = a
        self.b = b
        start = span.start
        end = span.end
        bits = 0
        self.kind = kind
        self.op = op
        self.span = span
    }

    var kind: NodeKind {
        @inline(__always) get { unsafeBitCast(UInt8(truncatingIfNeeded: bits & Self.kindMask), to: NodeKind.self) }
        set {
            // The enum's in-memory tag (its declaration index) is what the getter casts back.
            let tag = unsafeBitCast(newValue, to: UInt8.self)
            assert(UInt32(tag) <= Self.kindMask, "NodeKind outgrew its 6 bits")
            bits = bits & ~Self.kindMask | UInt32(tag)
        }
    }

    /// A `BinaryOp` raw value, or 1 for a method call (`p.at(…)`).
    var op: UInt8 {
        get { UInt8(truncatingIfNeeded: bits >> Self.opShift & Self.opMask) }
        set {
            assert(UInt32(newValue) <= Self.opMask, "BinaryOp outgrew its 4 bits")
            bits = bits & ~(Self.opMask << Self.opShift) | (UInt32(newValue) & Self.opMask) << Self.opShift
        }
    }

    var span: Span {
        get {
            let f = bits >> Self.fileShift
            return Span(file: f == Self.noFile ? -1 : Int32(f), start: start, end: end)
        }
        set {
            let f = newValue.file >= 0 && UInt32(newValue.file) < Self.noFile ? UInt32(newValue.file) : Self.noFile
            bits = bits & (1 << Self.fileShift - 1) | f << Self.fileShift
            start = newValue.start
            end = newValue.end
        }
    }
}

/// Every expression of a program, in flat arrays (no per-node allocation). A class so
/// that the parser, its sub-parsers and the resolver share one pool without copies.
final class ExprPool {
    @exclusivity(unchecked) var nodes: [Node] = []
    @exclusivity(unchecked) var extra: [Int32] = []
    @exclusivity(unchecked) var constants: [Value] = []

    func add(_ n: Node) -> Int32 {
        nodes.append(n)
        return Int32(nodes.count - 1)
    }

    func constant(_ v: Value) -> Int32 {
        constants.append(v)
        return Int32(constants.count - 1)
    }

    /// Operands being collected (a call's arguments, a list's items): a stack shared by
    /// nested collections, each popping back to where it started.
    @exclusivity(unchecked) var scratch: [Int32] = []

    /// Moves `scratch[base...]` into `extra` after their count; returns where they start.
    func addScratch(from base: Int) -> Int32 {
        extra.append(Int32(scratch.count - base))
        let s = Int32(extra.count)
        // Element by element: a call has a few arguments, and the generic slice append
        // and range removal cost more than the copying.
        var k = base
        while k < scratch.count { extra.append(scratch[k]); k += 1 }
        while scratch.count > base { scratch.removeLast() }
        return s
    }

    func dropScratch(_ base: Int) {
        if scratch.count > base { scratch.removeSubrange(base...) }
    }

    /// Appends `items` to `extra` after their count; returns where they start.
    func addExtra(_ items: [Int32]) -> Int32 {
        extra.append(Int32(items.count))
        let s = Int32(extra.count)
        extra.append(contentsOf: items)
        return s
    }

    /// A number literal node: a plain number inline (no constant-table entry per
    /// literal), a number with a unit as a constant.
    func numberNode(_ d: Double, _ u: NumberUnit, span: Span) -> Node {
        if u == NumberUnit() {
            let bits = d.bitPattern
            return Node(kind: .number, a: Int32(truncatingIfNeeded: bits >> 32), b: Int32(truncatingIfNeeded: bits), span: span)
        }
        return Node(kind: .number, op: 1, a: constant(.number(d, u)), span: span)
    }

    /// The value of a `.number` node.
    @inline(__always) func numberValue(_ n: Node) -> Value { n.numberValue(constants) }

    subscript(_ i: Int32) -> Node {
        get { nodes[Int(i)] }
        set { nodes[Int(i)] = newValue }
    }

    /// How many children a call, list, `interp` or `solve` node has.
    @inline(__always) func count(_ n: Node) -> Int32 { extra.childCount(n) }

    func children(_ n: Node) -> ArraySlice<Int32> { extra[extra.childRange(n)] }

    /// An `if` node's branches.
    @inline(__always) func branches(_ n: Node) -> (then: Int32, else: Int32) { (extra[Int(n.b)], extra[Int(n.b) + 1]) }
}

/// Categories of items inside SWOTs, objectives and retros (public: ``ItemReport/kind``).
public enum ItemCategory: UInt8, CaseIterable, Sendable {
    case strength, weakness, opportunity, threat, priority
    case wentWell, notWell, learning, action
    case kr

    /// The keyword that declares such an item (`strength`, `went_well`, …), as reports name it.
    public var keyword: String {
        switch self {
        case .strength: return "strength"
        case .weakness: return "weakness"
        case .opportunity: return "opportunity"
        case .threat: return "threat"
        case .priority: return "priority"
        case .wentWell: return "went_well"
        case .notWell: return "not_well"
        case .learning: return "learning"
        case .action: return "action"
        case .kr: return "kr"
        }
    }

    /// The name of the category's list: `strengths`, `went_well`, `krs`, …
    var listName: String {
        switch self {
        case .strength: return "strengths"
        case .weakness: return "weaknesses"
        case .opportunity: return "opportunities"
        case .threat: return "threats"
        case .priority: return "priorities"
        case .wentWell: return "went_well"
        case .notWell: return "not_well"
        case .learning: return "learnings"
        case .action: return "actions"
        case .kr: return "krs"
        }
    }

    static func from(_ k: Keyword) -> ItemCategory? {
        switch k {
        case .strength: return .strength
        case .weakness: return .weakness
        case .opportunity: return .opportunity
        case .threat: return .threat
        case .priority: return .priority
        case .went_well: return .wentWell
        case .not_well: return .notWell
        case .learning: return .learning
        case .action: return .action
        case .kr: return .kr
        default: return nil
        }
    }
}

struct PropDecl {
    var name: Int32
    var span: Span
    var expr: Int32
}

struct ItemDecl {
    var category: ItemCategory
    var name: Int32
    var nameSpan: Span
    var title: Int32 = -1
    var props: [PropDecl] = []
}

struct OverrideDecl {
    var path: [(name: Int32, span: Span)]
    var expr: Int32
    var span: Span
}

enum DeclKind: UInt8 {
    case let_, fn, org, mission, vision, values, swot, objective, metric, scenario
    case projection, retro, use, import_, assert, print, expr
    /// `simulate N [seed S]`: `expr` is N, `message` the seed (or -1).
    case simulate
    /// `series NAME = EXPR` (SPEC §14).
    case series
    /// `plan { start: DATE, end: DATE }` (SPEC §15): the plan period, in `props`.
    case planPeriod
    /// `checkin DATE ["note"] { PATH = EXPR … }` (SPEC §15): `expr` is the date literal,
    /// `message` the note (or -1), `overrides` the entries. Rows of an imported CSV/JSON
    /// file become check-ins too, with `path` naming that file (their bad rows are warnings).
    case checkin
}

enum PeriodUnit: String, CaseIterable {
    case days, weeks, months, quarters, years
    var singular: String { String(rawValue.dropLast()) }
}

/// The parts of a declaration that most declarations (lets) do not have, kept out of
/// line so that a 100,000-let model stays small.
final class DeclBody {
    @exclusivity(unchecked) var params: [Int32] = []
    @exclusivity(unchecked) var props: [PropDecl] = []
    @exclusivity(unchecked) var items: [ItemDecl] = []
    @exclusivity(unchecked) var overrides: [OverrideDecl] = []
    @exclusivity(unchecked) var period: PeriodUnit = .days
    @exclusivity(unchecked) var path: String = ""
    /// A projection's `from DATE` expression, or -1.
    @exclusivity(unchecked) var anchor: Int32 = -1
}

/// One top-level statement.
struct Decl {
    var kind: DeclKind
    var name: Int32 = -1
    var nameSpan: Span
    var span: Span
    var title: Int32 = -1
    var expr: Int32 = -1
    var message: Int32 = -1
    private var body: DeclBody?

    init(kind: DeclKind, name: Int32 = -1, nameSpan: Span, span: Span, title: Int32 = -1, expr: Int32 = -1,
         params: [Int32] = [], path: String = "") {
        self.kind = kind
        self.name = name
        self.nameSpan = nameSpan
        self.span = span
        self.title = title
        self.expr = expr
        if !params.isEmpty { self.params = params }
        if !path.isEmpty { self.path = path }
    }

    private mutating func ensureBody() -> DeclBody {
        if let b = body { return b }
        let b = DeclBody()
        body = b
        return b
    }

    var params: [Int32] {
        get { body?.params ?? [] }
        set { ensureBody().params = newValue }
    }
    var props: [PropDecl] {
        get { body?.props ?? [] }
        set { ensureBody().props = newValue }
    }
    var items: [ItemDecl] {
        get { body?.items ?? [] }
        set { ensureBody().items = newValue }
    }
    var overrides: [OverrideDecl] {
        get { body?.overrides ?? [] }
        set { ensureBody().overrides = newValue }
    }
    var period: PeriodUnit {
        get { body?.period ?? .days }
        set { ensureBody().period = newValue }
    }
    var path: String {
        get { body?.path ?? "" }
        set { ensureBody().path = newValue }
    }
    var anchor: Int32 {
        get { body?.anchor ?? -1 }
        set { ensureBody().anchor = newValue }
    }
}

extension Node {
    /// The value of a `.number` node, given its pool's constants.
    @inline(__always) func numberValue(_ constants: [Value]) -> Value {
        if op != 0 { return constants[Int(a)] }
        let bits = UInt64(UInt32(bitPattern: a)) << 32 | UInt64(UInt32(bitPattern: b))
        return .number(Double(bitPattern: bits), NumberUnit())
    }
}

extension Array where Element == Int32 {
    /// The children of a node with children, when this is its pool's `extra`.
    @inline(__always) func childRange(_ n: Node) -> Range<Int> { Int(n.b)..<Int(n.b) + Int(self[Int(n.b) - 1]) }
    /// Their count.
    @inline(__always) func childCount(_ n: Node) -> Int32 { self[Int(n.b) - 1] }
}

