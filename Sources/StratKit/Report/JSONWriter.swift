/// A minimal streaming JSON writer: the library has no Foundation dependency.
struct JSONWriter {
    private(set) var output = ""
    private var needsComma: [Bool] = [false]
    private var afterKey = false
    var pretty = false
    private var depth = 0

    private mutating func separate() {
        if afterKey { afterKey = false; return }
        if needsComma[needsComma.count - 1] { output += "," }
        needsComma[needsComma.count - 1] = true
        if pretty && depth > 0 { output += "\n" + String(repeating: "  ", count: depth) }
    }

    mutating func beginObject() { separate(); output += "{"; needsComma.append(false); depth += 1 }
    mutating func endObject() { close("}") }
    mutating func beginArray() { separate(); output += "["; needsComma.append(false); depth += 1 }
    mutating func endArray() { close("]") }

    private mutating func close(_ c: String) {
        let had = needsComma.removeLast()
        depth -= 1
        if pretty && had { output += "\n" + String(repeating: "  ", count: depth) }
        output += c
    }

    mutating func key(_ k: String) {
        separate()
        Self.appendString(k, to: &output)
        output += pretty ? ": " : ":"
        afterKey = true
    }

    mutating func string(_ s: String) { separate(); Self.appendString(s, to: &output) }
    mutating func int(_ i: Int) { separate(); output += String(i) }
    mutating func bool(_ b: Bool) { separate(); output += b ? "true" : "false" }
    mutating func null() { separate(); output += "null" }
    mutating func double(_ d: Double) {
        separate()
        if !d.isFinite { output += "null"; return }
        if d == d.rounded(), abs(d) < 1e15 { output += String(Int64(d)) } else { output += "\(d)" }
    }

    static func appendString(_ s: String, to out: inout String) {
        out += "\""
        for u in s.unicodeScalars {
            switch u {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                if u.value < 0x20 {
                    let hex = String(u.value, radix: 16)
                    out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
                } else {
                    out.unicodeScalars.append(u)
                }
            }
        }
        out += "\""
    }
}

/// `s` as a JSON string literal, quoted and escaped (for hosts writing their own JSON).
public func jsonQuoted(_ s: String) -> String {
    var out = ""
    JSONWriter.appendString(s, to: &out)
    return out
}

/// A type whose JSON has one source of truth, its `write(_:)`: its `Encodable` form is
/// what that writes, so `JSONEncoder().encode(x)` and `x.json()` cannot drift apart.
protocol JSONWritable: Encodable {
    func write(_ w: inout JSONWriter)
}

extension JSONWritable {
    /// Encodes the document `write(_:)` produces (keys in the order written).
    func encodeWritten(to encoder: Encoder) throws {
        var w = JSONWriter()
        write(&w)
        try JSONValue.parse(w.output).encode(to: encoder)
    }
}

extension JSONValue: Encodable {
    /// Encodes the document as parsed; whole numbers that a Double holds exactly go as
    /// integers, so decoders reading an `Int` field accept them.
    package func encode(to encoder: Encoder) throws {
        switch self {
        case .null:
            var c = encoder.singleValueContainer(); try c.encodeNil()
        case .bool(let b):
            var c = encoder.singleValueContainer(); try c.encode(b)
        case .string(let s):
            var c = encoder.singleValueContainer(); try c.encode(s)
        case .number(let d):
            var c = encoder.singleValueContainer()
            if let i = intValue { try c.encode(i) } else { try c.encode(d) }
        case .array(let items):
            var c = encoder.unkeyedContainer()
            for v in items { try c.encode(v) }
        case .object(let members):
            var c = encoder.container(keyedBy: DynamicKey.self)
            for (k, v) in members { try c.encode(v, forKey: DynamicKey(k)) }
        }
    }
}
