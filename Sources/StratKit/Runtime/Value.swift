/// A reference to a declared object (a SWOT, an item, an objective, a KR, a metric, a
/// projection, a retro, the plan).
public struct ObjectRef: Hashable, Sendable {
    /// Index of the object in its model.
    let id: Int32
    private let box: PathBox

    init(id: Int32, path: String) {
        self.id = id
        box = PathBox(path)
    }

    /// The object's path, such as `Engineering.priorities.MODERNIZE`.
    public var path: String { box.path }

    public static func == (a: ObjectRef, b: ObjectRef) -> Bool { a.id == b.id && a.path == b.path }
    public func hash(into h: inout Hasher) { h.combine(id) }
}

/// Keeps `Value` small: a reference's path lives out of line.
final class PathBox: Sendable {
    let path: String
    init(_ path: String) { self.path = path }
}

/// A Strat value.
public enum Value: Sendable, Hashable, CustomStringConvertible {
    /// A number in base units (seconds, dollars) and its unit.
    case number(Double, NumberUnit)
    /// `true` or `false`.
    case bool(Bool)
    /// Text.
    case string(String)
    /// A list of values.
    case list([Value])
    /// The absent value of an optional property.
    case none
    /// A declared object.
    case ref(ObjectRef)
    /// An uncertain number (SPEC §13): N aligned samples in base units and their unit.
    /// A bool distribution (an uncertain comparison) has `Samples.isBool` and samples 1/0.
    case dist(Samples, NumberUnit)

    /// A plain number.
    public static func number(_ d: Double) -> Value { .number(d, .plain) }

    /// The number in base units (the mean of a numeric distribution), or nil for other kinds.
    public var doubleValue: Double? {
        switch self {
        case .number(let d, _): return d
        case .dist(let s, _) where !s.isBool: return s.mean
        default: return nil
        }
    }

    /// The unit of a number or numeric distribution, or nil.
    public var unit: NumberUnit? {
        switch self {
        case .number(_, let u): return u
        case .dist(let s, let u) where !s.isBool: return u
        default: return nil
        }
    }

    /// True for a distribution (an uncertain number or bool). Cheap: no summary is computed.
    public var isUncertain: Bool {
        if case .dist = self { return true }
        return false
    }

    /// The mean of a distribution (P(true) for a bool one), the number itself for a plain
    /// number, 1/0 for a bool; nil otherwise.
    public var mean: Double? {
        switch self {
        case .number(let d, _): return d
        case .bool(let b): return b ? 1 : 0
        case .dist(let s, _): return s.mean
        default: return nil
        }
    }

    /// The summary of a distribution (mean, sd, percentiles, histogram, samples), or nil
    /// for a value that is not uncertain.
    public var distribution: Distribution? {
        if case .dist(let s, _) = self { return Distribution(s) }
        return nil
    }

    /// The text of a string, or nil.
    public var stringValue: String? {
        if case .string(let s) = self { return s }
        return nil
    }

    /// The truth of a boolean, or nil.
    public var boolValue: Bool? {
        if case .bool(let b) = self { return b }
        return nil
    }

    /// The elements of a list, or nil.
    public var listValue: [Value]? {
        if case .list(let l) = self { return l }
        return nil
    }

    /// True for `none`.
    public var isNone: Bool {
        if case .none = self { return true }
        return false
    }

    /// The display text, as the REPL prints it.
    public var description: String { display(nested: false) }

    /// A number's display text rounded to `digits` significant digits in its display unit
    /// (`3.161h` for 3.161111111h, `1.5M`), trailing zeros trimmed; other values as
    /// ``description``. For reports that show fewer digits than `eval`.
    public func description(significantDigits digits: Int) -> String {
        guard case .number(let d, let u) = self else { return description }
        return NumberFormat.display(d, u, digits: Swift.max(1, Swift.min(17, digits)))
    }

    func display(nested: Bool) -> String {
        var budget = Value.displayBudget
        return display(nested: nested, budget: &budget)
    }

    /// Characters a value's display text may take; past it the text ends with `…`
    /// (a list sharing its elements can stand for far more text than memory holds).
    static let displayBudget = 1_000_000

    /// The display text, at most about `budget` characters (`budget` ends at or below 0
    /// when the text was cut short).
    func display(nested: Bool, budget: inout Int) -> String {
        var out = ""
        display(nested: nested, budget: &budget, into: &out)
        return out
    }

    /// Appends the display text to `out` (one buffer for a whole nested list).
    func display(nested: Bool, budget: inout Int, into out: inout String) {
        if budget <= 0 { out += "…"; return }
        let before = out.utf8.count
        switch self {
        case .number(let d, let u): out += NumberFormat.display(d, u)
        case .bool(let b): out += b ? "true" : "false"
        case .string(let s): out += nested ? quoted(s) : s
        case .none: out += "none"
        case .ref(let r): out += r.path
        case .dist(let s, let u): out += Value.displayDistribution(s, u)
        case .list(let items):
            out += "["
            budget -= 1
            for (i, v) in items.enumerated() {
                if i > 0 { out += ", "; budget -= 2 }
                if i >= 1000 { out += "… (\(items.count) items)"; break }
                if budget <= 0 { out += "…"; break }
                v.display(nested: true, budget: &budget, into: &out)
            }
            out += "]"
            return
        }
        budget -= out.utf8.count - before
    }

    /// About how many bytes the value takes in a pretty JSON report, counted up to `limit` + 1
    /// (a list sharing its elements is counted once per use, as output writes it).
    func approximateBytes(limit: Int) -> Int {
        var total = 0
        approximateBytes(&total, limit)
        return total
    }

    private func approximateBytes(_ total: inout Int, _ limit: Int) {
        if total > limit { return }
        switch self {
        case .string(let s): total += s.utf8.count + 2
        case .ref(let r): total += r.path.utf8.count
        case .list(let items):
            total += 2
            for v in items {
                if total > limit { return }
                v.approximateBytes(&total, limit)
            }
        case .number: total += 100   // `{"value", "unit", "display"}` in pretty JSON
        default: total += 8
        }
    }

    /// The kind's name, for messages.
    var kindName: String {
        switch self {
        case .number: return "number"
        case .bool: return "bool"
        case .string: return "string"
        case .list: return "list"
        case .none: return "none"
        case .ref: return "object"
        case .dist(let s, _): return s.isBool ? "bool distribution" : "distribution"
        }
    }

    /// Structural equality with the number tolerance of `==`.
    static func equal(_ a: Value, _ b: Value) -> Bool {
        switch (a, b) {
        case (.number(let x, _), .number(let y, _)): return numbersEqual(x, y)
        case (.bool(let x), .bool(let y)): return x == y
        case (.string(let x), .string(let y)): return x == y
        case (.none, .none): return true
        case (.ref(let x), .ref(let y)): return x.id == y.id
        case (.dist(let x, _), .dist(let y, _)): return x.sameSamples(y)
        case (.list(let x), .list(let y)):
            if x.count != y.count { return false }
            for i in 0..<x.count where !equal(x[i], y[i]) { return false }
            return true
        default: return false
        }
    }

    static func numbersEqual(_ x: Double, _ y: Double) -> Bool {
        if x == y { return true }
        return abs(x - y) <= 1e-9 * max(abs(x), abs(y))
    }
}

func quoted(_ s: String) -> String {
    var out = "\""
    for u in s.unicodeScalars {
        switch u {
        case "\"": out += "\\\""
        case "\\": out += "\\\\"
        case "\n": out += "\\n"
        case "\t": out += "\\t"
        case "\r": out += "\\r"
        default:
            if u.isTerminalControl { out += String(displayedScalar: u) } else { out.unicodeScalars.append(u) }
        }
    }
    return out + "\""
}

extension Value {
    /// The `eval --format json` entry: `{"expr","value","unit","display"}` with numbers
    /// in base units.
    public func evalJSON(expr: String) -> String {
        var w = JSONWriter()
        w.beginObject()
        w.key("expr"); w.string(expr)
        w.key("value"); writePlain(&w)
        w.key("unit"); w.string(unit?.symbol ?? "")
        w.key("display"); w.string(description)
        if case .dist(let s, _) = self { w.key("distribution"); ReportValue.writeSummary(&w, s) }
        w.endObject()
        return w.output
    }

    func writePlain(_ w: inout JSONWriter) {
        switch self {
        case .number(let d, _): w.double(d)
        case .string(let s): w.string(s)
        case .bool(let b): w.bool(b)
        case .none: w.null()
        case .ref(let r): w.string(r.path)
        case .dist(let s, _): w.double(s.mean)
        case .list(let l):
            w.beginArray()
            for v in l { v.writePlain(&w) }
            w.endArray()
        }
    }
}
