import StratKit
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Status codes of include/strat.h.
enum Status: Int32 {
    case ok = 0, argument = 1, json = 2, compile = 3, runtime = 4, assertion = 5, io = 6
    case reentrant = 7

    /// The status of a Strat error: the kind of its first error.
    init(_ error: StratError) {
        switch error.kind {
        case .compile: self = .compile
        case .runtime: self = .runtime
        case .assertion: self = .assertion
        case .io: self = .io
        }
    }
}

/// A failure at the boundary: a status and the diagnostics that explain it.
struct Failure: Error {
    var status: Status
    var diagnostics: [Diagnostic]

    init(_ status: Status, _ message: String, hint: String? = nil) {
        self.status = status
        diagnostics = [Diagnostic(severity: .error, kind: status == .runtime ? .runtime : .compile,
                                  message: message, hint: hint)]
    }

    init(_ error: StratError) {
        status = Status(error)
        diagnostics = error.diagnostics
    }
}

/// A malloc'ed copy of `s` for the caller, who frees it with `strat_string_free`.
/// Strings never hold NUL in JSON output (it is escaped), so the copy is the whole text.
func cString(_ s: String) -> UnsafeMutablePointer<CChar>? {
    s.withCString { strdup($0) }
}

/// The JSON array of diagnostics `strat_last_error_json` returns.
func diagnosticsJSON(_ ds: [Diagnostic]) -> String {
    "[" + ds.map(\.jsonLine).joined(separator: ",") + "]"
}

/// What a `strat_engine *` points at: the engine and the boundary's own state.
final class Handle {
    let engine: Engine
    /// `strat_last_error_json`: malloc'ed, never nil.
    private(set) var lastError: UnsafeMutablePointer<CChar>
    /// True while a call runs; a host function calling back into its engine is refused
    /// before it reaches the engine (which is in the middle of an evaluation).
    var busy = false
    /// `strat_engine_free` from inside a host function: freed when the outer call returns.
    var freeRequested = false
    /// Host functions registered, kept alive for the engine's closures.
    var functions: [String: HostFunctionBridge] = [:]
    /// Whether the host has loaded a model. Until then the engine holds an empty one, which
    /// a registration re-resolves so that expressions can call the new function at once.
    var loaded = false

    init(engine: Engine) {
        self.engine = engine
        lastError = strdup("[]")
    }

    deinit { free(lastError) }

    func setLastError(_ diagnostics: [Diagnostic]) {
        let json = diagnostics.isEmpty ? "[]" : diagnosticsJSON(diagnostics)
        guard let copy = cString(json) else { return }
        free(lastError)
        lastError = copy
    }
}

// MARK: - Errors without an engine

/// The last engine-less failure of each thread (`strat_last_error_json(NULL)`), as a
/// malloc'ed string in thread-specific storage, freed when the thread ends.
private let threadErrorKey: pthread_key_t = {
    var key = pthread_key_t()
    pthread_key_create(&key) { p in free(p) }
    return key
}()

/// Immutable after its one initialisation. The "[]" returned when a thread has no engine-less failure.
nonisolated(unsafe) private let emptyErrors: UnsafeMutablePointer<CChar> = strdup("[]")

func setThreadError(_ diagnostics: [Diagnostic]) {
    let old = pthread_getspecific(threadErrorKey)
    guard let copy = cString(diagnosticsJSON(diagnostics)) else { return }
    pthread_setspecific(threadErrorKey, UnsafeRawPointer(copy))
    free(old)
}

func threadError() -> UnsafePointer<CChar> {
    guard let p = pthread_getspecific(threadErrorKey) else { return UnsafePointer(emptyErrors) }
    return UnsafePointer(p.assumingMemoryBound(to: CChar.self))
}

// MARK: - Arguments

/// A NUL-terminated UTF-8 argument, or a failure naming it (NULL, invalid UTF-8).
func text(_ p: UnsafePointer<CChar>?, _ name: String) throws(Failure) -> String {
    guard let p else { throw Failure(.argument, "\(name) is NULL") }
    guard let s = String(validatingCString: p) else { throw Failure(.argument, "\(name) is not valid UTF-8") }
    return s
}

/// An optional argument: nil for NULL.
func optionalText(_ p: UnsafePointer<CChar>?, _ name: String) throws(Failure) -> String? {
    guard p != nil else { return nil }
    return try text(p, name)
}

/// A JSON argument, parsed.
func json(_ p: UnsafePointer<CChar>?, _ name: String) throws(Failure) -> JSONValue {
    let s = try text(p, name)
    do { return try JSONValue.parse(s, maxDepth: 64) } catch {
        throw Failure(.json, "\(name): \(error.description)")
    }
}

// MARK: - Options

/// The keys of the options object's "limits" member and the field each sets.
nonisolated(unsafe) private let limitKeys: [(String, WritableKeyPath<Limits, Int>)] = [
    ("max_nesting", \.maxNesting), ("max_call_depth", \.maxCallDepth), ("max_steps", \.maxSteps),
    ("max_periods", \.maxPeriods), ("max_string_length", \.maxStringLength),
    ("max_list_length", \.maxListLength), ("max_source_bytes", \.maxSourceBytes),
    ("max_diagnostics", \.maxDiagnostics),
]

/// An unknown key: a failure with the closest known one as a hint.
func unknownKey(_ key: String, in what: String, known: [String]) -> Failure {
    let hint = closestName(key, among: known).map { "did you mean '\($0)'?" } ?? "known: \(known.joined(separator: ", "))"
    return Failure(.json, "unknown \(what) '\(key)'", hint: hint)
}

/// The engine configuration an options object describes (see `strat_engine_new`).
func configuration(from options: JSONValue) throws(Failure) -> Configuration {
    guard let members = options.objectValue else { throw Failure(.json, "options must be a JSON object") }
    var config = Configuration()
    for (key, value) in members {
        switch key {
        case "limits":
            guard let limits = value.objectValue else { throw Failure(.json, "options.limits must be a JSON object") }
            for (name, v) in limits {
                guard let path = limitKeys.first(where: { $0.0 == name })?.1 else {
                    throw unknownKey(name, in: "limit", known: limitKeys.map(\.0))
                }
                guard let n = v.intValue, n > 0 else { throw Failure(.json, "limits.\(name) must be a positive whole number") }
                config.limits[keyPath: path] = n
            }
        case "imports":
            switch value {
            case .string("folder"): break
            case .string("none"): config.useDefaultImporter = false
            case .object(let files):
                var served: [String: String] = [:]
                for (path, source) in files {
                    guard let s = source.stringValue else { throw Failure(.json, "options.imports['\(path)'] must be a string of Strat source") }
                    served[path] = s
                }
                config.importer = InMemoryImporter(served)
            default:
                throw Failure(.json, "options.imports must be \"folder\", \"none\" or an object of path → source")
            }
        default:
            throw unknownKey(key, in: "option", known: ["limits", "imports"])
        }
    }
    return config
}
