import StratKit
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// `strat_function`: (call, args_json, userdata) -> 0 or non-zero.
public typealias CFunction = @convention(c) (OpaquePointer?, UnsafePointer<CChar>?, UnsafeMutableRawPointer?) -> Int32

/// What a `strat_call *` points at while a host function runs: its answer.
final class CallState {
    var result: String?
    var failure: String?
    /// The answer was not valid UTF-8 (strat_call_return refused it).
    var refused = false
}

/// A host function's failure as the engine reports it: "function 'fx' failed: <this>".
struct HostFailure: Error, CustomStringConvertible {
    var description: String
}

/// A C callback registered as a Strat host function.
final class HostFunctionBridge {
    let name: String
    let callback: CFunction
    /// The host's pointer, passed back untouched (never dereferenced here).
    let userdata: UnsafeMutableRawPointer?

    init(name: String, callback: @escaping CFunction, userdata: UnsafeMutableRawPointer?) {
        self.name = name
        self.callback = callback
        self.userdata = userdata
    }

    /// Calls the C function with the arguments as JSON and reads its answer back.
    func call(_ args: [Value]) throws -> Value {
        let argsJSON = "[" + args.map(\.reportJSON).joined(separator: ",") + "]"
        let state = CallState()
        let handle = Unmanaged.passUnretained(state).toOpaque()
        let code = withExtendedLifetime(state) {
            argsJSON.withCString { callback(OpaquePointer(handle), $0, userdata) }
        }
        if code != 0 {
            if let message = state.failure { throw HostFailure(description: message) }
            throw HostFailure(description: "the host function returned status \(code)")
        }
        if state.refused { throw HostFailure(description: "it returned text that is not valid UTF-8") }
        guard let text = state.result else {
            throw HostFailure(description: "it returned no value (call strat_call_return before returning 0)")
        }
        let parsed: JSONValue
        do { parsed = try JSONValue.parse(text, maxDepth: 64) } catch {
            throw HostFailure(description: "it returned \(error.description)")
        }
        do { return try value(from: parsed) } catch {
            throw HostFailure(description: "it returned \(error.description)")
        }
    }
}

/// A JSON value that is not a Strat value.
struct ValueShapeError: Error, CustomStringConvertible {
    var description: String
}

/// A Strat value from the JSON a host returns: null, bools, strings, plain numbers and
/// lists as themselves; numbers with units as `{"value": 40, "unit": "$"}` (base units).
func value(from json: JSONValue) throws(ValueShapeError) -> Value {
    switch json {
    case .null: return .none
    case .bool(let b): return .bool(b)
    case .string(let s): return .string(s)
    case .number(let d): return .number(d)
    case .array(let items):
        var out: [Value] = []
        out.reserveCapacity(items.count)
        for i in items { out.append(try value(from: i)) }
        return .list(out)
    case .object:
        guard let d = json["value"]?.doubleValue else {
            throw ValueShapeError(description: "an object without a number \"value\" (numbers with units are {\"value\": 40, \"unit\": \"$\"})")
        }
        let symbol = json["unit"]?.stringValue ?? ""
        guard let unit = unit(symbol: symbol) else {
            throw ValueShapeError(description: "an unknown unit '\(symbol)' (units: \"\", \"%\", \"x\", \"ms\", \"s\", \"min\", \"h\", \"d\", \"wk\", \"$\", or derived ones such as \"$/s\")")
        }
        return .number(d, unit)
    }
}

/// The unit a report's `unit` string names: a simple symbol, or a derived one in the form
/// reports write (`$/s`, `1/s`, `$^2*s`), checked by writing it back.
func unit(symbol: String) -> NumberUnit? {
    let simple: [String: NumberUnit] = [
        "": .plain, "%": NumberUnit(display: .percent), "x": NumberUnit(display: .ratio),
        "ms": NumberUnit(time: 1, display: .ms), "s": NumberUnit(time: 1, display: .s),
        "min": NumberUnit(time: 1, display: .min), "h": NumberUnit(time: 1, display: .h),
        "d": NumberUnit(time: 1, display: .d), "wk": NumberUnit(time: 1, display: .wk),
        "$": NumberUnit(money: 1, display: .money),
    ]
    if let u = simple[symbol] { return u }
    var time = 0, money = 0
    let halves = symbol.split(separator: "/", omittingEmptySubsequences: false)
    guard halves.count <= 2 else { return nil }
    for (h, half) in halves.enumerated() {
        let sign = h == 0 ? 1 : -1
        if half == "1" && h == 0 { continue }
        for factor in half.split(separator: "*", omittingEmptySubsequences: false) {
            let parts = factor.split(separator: "^", omittingEmptySubsequences: false)
            guard parts.count <= 2, let base = parts.first else { return nil }
            var exponent = 1
            if parts.count == 2 {
                guard let e = Int(parts[1]), e > 0, e < 100 else { return nil }
                exponent = e
            }
            switch base {
            case "$": money += sign * exponent
            case "s": time += sign * exponent
            default: return nil
            }
        }
    }
    guard let t = Int8(exactly: time), let m = Int8(exactly: money) else { return nil }
    let u = NumberUnit(time: t, money: m, display: .plain)
    return u.symbol == symbol ? u : nil
}
