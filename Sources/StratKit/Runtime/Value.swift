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

    /// A plain number.
    public static func number(_ d: Double) -> Value { .number(d, .plain) }

    /// The number in base units, or nil for other kinds.
    public var doubleValue: Double? {
        if case .number(let d, _) = self { return d }
        return nil
    }

    /// The unit of a number, or nil.
    public var unit: NumberUnit? {
        if case .number(_, let u) = self { return u }
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

    func display(nested: Bool) -> String {
        switch self {
        case .number(let d, let u): return NumberFormat.display(d, u)
        case .bool(let b): return b ? "true" : "false"
        case .string(let s): return nested ? quoted(s) : s
        case .none: return "none"
        case .ref(let r): return r.path
        case .list(let items):
            var s = "["
            for (i, v) in items.enumerated() {
                if i > 0 { s += ", " }
                if i >= 1000 { s += "… (\(items.count) items)"; break }
                s += v.display(nested: true)
            }
            return s + "]"
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
        case .list(let l):
            w.beginArray()
            for v in l { v.writePlain(&w) }
            w.endArray()
        }
    }
}
