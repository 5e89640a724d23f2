// The functions of include/strat.h. Each one catches everything: a failure becomes a
// status and diagnostics in `strat_last_error_json`, never a Swift error or a trap.

import StratKit
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

public typealias CString = UnsafePointer<CChar>
public typealias OutString = UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>

/// Runs `body` for an engine call: refuses NULL engines and re-entry, records the
/// diagnostics of a failure (or clears them), and frees the engine afterwards when a host
/// function asked for it meanwhile.
private func withEngine(_ e: OpaquePointer?, _ body: (Handle) throws -> Void) -> Int32 {
    guard let e else {
        setThreadError(Failure(.argument, "the engine is NULL").diagnostics)
        return Status.argument.rawValue
    }
    let handle = Unmanaged<Handle>.fromOpaque(UnsafeRawPointer(e)).takeUnretainedValue()
    if handle.busy {
        let f = Failure(.reentrant, "a host function called back into its own engine",
                        hint: "host functions must not use the engine that calls them; use a second engine")
        handle.setLastError(f.diagnostics)
        return f.status.rawValue
    }
    handle.busy = true
    let status: Status
    do {
        try body(handle)
        handle.setLastError([])
        status = .ok
    } catch let f as Failure {
        handle.setLastError(f.diagnostics)
        status = f.status
    } catch let error as StratError {
        handle.setLastError(error.diagnostics)
        status = Status(error)
    } catch {
        let f = Failure(.runtime, "\(error)")
        handle.setLastError(f.diagnostics)
        status = f.status
    }
    handle.busy = false
    if handle.freeRequested { Unmanaged<Handle>.fromOpaque(UnsafeRawPointer(e)).release() }
    return status.rawValue
}

/// Stores a result string for the caller; a failure if there is nowhere to put it.
private func deliver(_ s: String, to out: OutString?) throws(Failure) {
    guard let out else { throw Failure(.argument, "out_json is NULL") }
    guard let copy = cString(s) else { throw Failure(.runtime, "out of memory") }
    out.pointee = copy
}

/// Overrides from a JSON object of path → expression, in document order.
private func overrides(from json: JSONValue, _ name: String) throws(Failure) -> [(path: String, expr: String)] {
    guard let members = json.objectValue else {
        throw Failure(.json, "\(name) must be a JSON object of path → Strat expression",
                      hint: "for example {\"churn\": \"3.2%\"}")
    }
    var out: [(path: String, expr: String)] = []
    for (path, v) in members { out.append((path, try expression(v, "\(name).\(path)"))) }
    return out
}

/// A Strat expression given as JSON: a string is the expression; a number or bool the literal.
private func expression(_ v: JSONValue, _ name: String) throws(Failure) -> String {
    switch v {
    case .string(let s): return s
    case .bool(let b): return b ? "true" : "false"
    case .number:
        // Strat literals have no exponent: write the number out in full.
        return v.serialized.contains("e") ? plainDecimal(v.doubleValue ?? 0) : v.serialized
    default: throw Failure(.json, "\(name) must be a string (a Strat expression), a number or a bool")
    }
}

/// A finite double in positional notation (no exponent), exact to 17 significant digits.
private func plainDecimal(_ d: Double) -> String {
    // `description` gives the shortest round-trip digits; move its exponent into place.
    let s = "\(abs(d))"
    guard let e = s.firstIndex(where: { $0 == "e" || $0 == "E" }), let exp = Int(s[s.index(after: e)...]) else {
        return d < 0 ? "-" + s : s
    }
    let mantissa = s[..<e]
    let parts = mantissa.split(separator: ".", omittingEmptySubsequences: false)
    let intPart = String(parts[0]), frac = parts.count > 1 ? String(parts[1]) : ""
    var digits = intPart + frac
    var point = intPart.count + exp
    if point <= 0 { digits = String(repeating: "0", count: 1 - point) + digits; point = 1 }
    if point > digits.count { digits += String(repeating: "0", count: point - digits.count) }
    let i = digits.index(digits.startIndex, offsetBy: point)
    let fracDigits = digits[i...].reversed().drop(while: { $0 == "0" }).reversed()
    let body = String(digits[..<i]) + (fracDigits.isEmpty ? "" : "." + String(fracDigits))
    return d < 0 ? "-" + body : body
}

private func changesJSON(_ changes: [Change]) -> String {
    "[" + changes.map(\.json).joined(separator: ",") + "]"
}

// MARK: - Engines

@_cdecl("strat_engine_new")
public func strat_engine_new(_ options: CString?, _ out: UnsafeMutablePointer<OpaquePointer?>?) -> Int32 {
    do {
        guard let out else { throw Failure(.argument, "out_engine is NULL") }
        out.pointee = nil
        let config = options == nil ? Configuration() : try configuration(from: json(options, "options_json"))
        let handle = Handle(engine: Engine(configuration: config))
        out.pointee = OpaquePointer(Unmanaged.passRetained(handle).toOpaque())
        return Status.ok.rawValue
    } catch let f as Failure {
        setThreadError(f.diagnostics)
        return f.status.rawValue
    } catch {
        setThreadError(Failure(.runtime, "\(error)").diagnostics)
        return Status.runtime.rawValue
    }
}

@_cdecl("strat_engine_free")
public func strat_engine_free(_ e: OpaquePointer?) {
    guard let e else { return }
    let handle = Unmanaged<Handle>.fromOpaque(UnsafeRawPointer(e)).takeUnretainedValue()
    if handle.busy { handle.freeRequested = true; return }
    Unmanaged<Handle>.fromOpaque(UnsafeRawPointer(e)).release()
}

// MARK: - Loading

@_cdecl("strat_load")
public func strat_load(_ e: OpaquePointer?, _ source: CString?, _ len: Int, _ path: CString?) -> Int32 {
    withEngine(e) { h in
        let path = try optionalText(path, "path") ?? "<input>"
        // size_t arrives as a bit pattern: a length past Int.max is negative here.
        guard len >= 0, len <= h.engine.configuration.limits.maxSourceBytes else {
            throw Failure(.argument, "len \(UInt(bitPattern: len)) is larger than the source limit of \(h.engine.configuration.limits.maxSourceBytes) bytes")
        }
        var bytes: [UInt8] = []
        if len > 0 {
            guard let source else { throw Failure(.argument, "source is NULL") }
            bytes = source.withMemoryRebound(to: UInt8.self, capacity: len) { Array(UnsafeBufferPointer(start: $0, count: len)) }
        }
        guard String(validating: bytes, as: UTF8.self) != nil else {
            throw Failure(.argument, "source is not valid UTF-8")
        }
        h.loaded = true
        try h.engine.load(bytes: bytes, path: path)
    }
}

// MARK: - Queries

@_cdecl("strat_eval_json")
public func strat_eval_json(_ e: OpaquePointer?, _ expr: CString?, _ out: OutString?) -> Int32 {
    out?.pointee = nil
    return withEngine(e) { h in
        let text = try text(expr, "expr")
        guard out != nil else { throw Failure(.argument, "out_json is NULL") }
        let v = try h.engine.evaluate(text)
        try deliver(v.evalJSON(expr: text), to: out)
    }
}

@_cdecl("strat_whatif_json")
public func strat_whatif_json(_ e: OpaquePointer?, _ overridesJSON: CString?, _ out: OutString?) -> Int32 {
    out?.pointee = nil
    return withEngine(e) { h in
        let list = try overrides(from: json(overridesJSON, "overrides_json"), "overrides_json")
        guard out != nil else { throw Failure(.argument, "out_json is NULL") }
        let changes = try h.engine.whatIf(list)
        try deliver(changesJSON(changes), to: out)
    }
}

@_cdecl("strat_set")
public func strat_set(_ e: OpaquePointer?, _ path: CString?, _ expr: CString?, _ out: OutString?) -> Int32 {
    out?.pointee = nil
    return withEngine(e) { h in
        let p = try text(path, "path"), x = try text(expr, "expr")
        let changes = try h.engine.set(p, x)
        if out != nil { try deliver(changesJSON(changes), to: out) }
    }
}

@_cdecl("strat_report_json")
public func strat_report_json(_ e: OpaquePointer?, _ scenario: CString?, _ out: OutString?) -> Int32 {
    out?.pointee = nil
    return withEngine(e) { h in
        let name = try optionalText(scenario, "scenario")
        guard out != nil else { throw Failure(.argument, "out_json is NULL") }
        let report = try h.engine.report(scenario: name)
        try deliver(report.json(), to: out)
    }
}

@_cdecl("strat_solve_json")
public func strat_solve_json(_ e: OpaquePointer?, _ request: CString?, _ out: OutString?) -> Int32 {
    out?.pointee = nil
    return withEngine(e) { h in
        let r = try json(request, "request_json")
        guard let members = r.objectValue else {
            throw Failure(.json, "request_json must be a JSON object",
                          hint: "for example {\"input\": \"price\", \"for\": \"revenue\", \"value\": \"$50000\"}")
        }
        let known = ["input", "for", "value", "in", "scenario", "overrides"]
        if let bad = members.first(where: { !known.contains($0.0) }) { throw unknownKey(bad.0, in: "request key", known: known) }
        func string(_ key: String) throws(Failure) -> String {
            guard let v = r[key]?.stringValue else { throw Failure(.json, "request_json.\(key) must be a string") }
            return v
        }
        let input = try string("input"), target = try string("for")
        guard let v = r["value"] else { throw Failure(.json, "request_json.value is missing") }
        let value = try expression(v, "request_json.value")
        var range: (low: String, high: String)?
        if let bracket = r["in"] {
            guard let ends = bracket.arrayValue, ends.count == 2 else {
                throw Failure(.json, "request_json.in must be [low, high]")
            }
            range = (try expression(ends[0], "request_json.in[0]"), try expression(ends[1], "request_json.in[1]"))
        }
        let scenario = r["scenario"] == nil ? nil : try string("scenario")
        let extra = try r["overrides"].map { o throws(Failure) in try overrides(from: o, "request_json.overrides") } ?? []
        guard out != nil else { throw Failure(.argument, "out_json is NULL") }
        let result = try h.engine.solve(input, for: target, equals: value, in: range, scenario: scenario, overrides: extra)
        try deliver(result.json(), to: out)
    }
}

// MARK: - Host functions

@_cdecl("strat_register_function")
public func strat_register_function(_ e: OpaquePointer?, _ name: CString?, _ arity: Int32,
                                    _ callback: CFunction?, _ userdata: UnsafeMutableRawPointer?) -> Int32 {
    withEngine(e) { h in
        let n = try text(name, "name")
        guard isIdentifier(n) else {
            throw Failure(.argument, "'\(n)' is not a function name", hint: "a name is a letter or '_' followed by letters, digits or '_'")
        }
        guard arity >= -1 else { throw Failure(.argument, "arity \(arity) is not a count of arguments", hint: "use -1 for any number") }
        guard let callback else { throw Failure(.argument, "callback is NULL") }
        let bridge = HostFunctionBridge(name: n, callback: callback, userdata: userdata)
        h.functions[n] = bridge
        h.engine.register(function: n, arity: Int(arity)) { args in try bridge.call(args) }
        // The Swift engine resolves names at load: an engine with no model yet gets an empty
        // one, so that strat_eval_json can call the function before any strat_load.
        if !h.loaded { try h.engine.load(bytes: [], path: "<input>") }
    }
}

/// Whether `s` is a Strat identifier (ASCII letters, digits and `_`, not starting with a digit).
private func isIdentifier(_ s: String) -> Bool {
    guard let first = s.utf8.first, !(0x30...0x39).contains(first) else { return false }
    return s.utf8.allSatisfy { ($0 | 0x20) >= 0x61 && ($0 | 0x20) <= 0x7A || (0x30...0x39).contains($0) || $0 == 0x5F }
}

/// The state behind a `strat_call *`, or nil for NULL.
private func callState(_ call: OpaquePointer?) -> CallState? {
    guard let call else { return nil }
    return Unmanaged<CallState>.fromOpaque(UnsafeRawPointer(call)).takeUnretainedValue()
}

@_cdecl("strat_call_return")
public func strat_call_return(_ call: OpaquePointer?, _ valueJSON: CString?) -> Int32 {
    guard let state = callState(call), let valueJSON else { return Status.argument.rawValue }
    guard let s = String(validatingCString: valueJSON) else {
        state.refused = true
        return Status.argument.rawValue
    }
    state.refused = false
    state.result = s
    return Status.ok.rawValue
}

@_cdecl("strat_call_fail")
public func strat_call_fail(_ call: OpaquePointer?, _ message: CString?) -> Int32 {
    guard let state = callState(call), let message else { return Status.argument.rawValue }
    guard let s = String(validatingCString: message) else {
        state.failure = "its failure message is not valid UTF-8"
        return Status.argument.rawValue
    }
    state.failure = s
    return Status.ok.rawValue
}

// MARK: - Errors, strings, version

@_cdecl("strat_last_error_json")
public func strat_last_error_json(_ e: OpaquePointer?) -> CString? {
    guard let e else { return threadError() }
    let handle = Unmanaged<Handle>.fromOpaque(UnsafeRawPointer(e)).takeUnretainedValue()
    return UnsafePointer(handle.lastError)
}

@_cdecl("strat_string_free")
public func strat_string_free(_ s: UnsafeMutablePointer<CChar>?) {
    free(s)
}

/// `StratKit.version` as a C string that lives as long as the process.
nonisolated(unsafe) private let versionString: UnsafeMutablePointer<CChar> = strdup(StratKit.version)

@_cdecl("strat_version")
public func strat_version() -> CString? {
    UnsafePointer(versionString)
}
