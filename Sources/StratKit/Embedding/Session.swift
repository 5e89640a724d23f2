/// An interactive session over an engine: what the REPL drives. Declarations typed in a
/// session join the model (a redefinition replaces the earlier declaration and reports
/// the values that changed); expressions are evaluated and kept in `_`.
public final class Session {
    /// The engine holding the session's model.
    public let engine: Engine
    /// The file loaded with ``load(file:)``, if any.
    public private(set) var file: String?
    private var fileBytes: [UInt8]?
    /// Declarations typed in the session, in order, with the names each declares.
    private var chunks: [(names: [String], text: String)] = []
    private var counter = 0
    /// The scenario selected with ``select(scenario:)`` (nil: baseline).
    public private(set) var scenario: String?

    /// What entering a line did.
    public enum Outcome {
        /// An expression's value.
        case value(Value)
        /// Declarations of `names`; `changes` lists the values that moved.
        case declared(names: [String], changes: [Change])
        /// Output of `print`.
        case printed(String)
        /// An `assert` and whether it held.
        case asserted(Bool, message: String?)
        /// Nothing (an empty line or a comment).
        case nothing
    }

    /// A session with its own engine.
    public init(configuration: Configuration = Configuration()) {
        engine = Engine(configuration: configuration)
        // `_` exists from the start, so that setting it later is an incremental update
        // and never a rebuild (a rebuild would drop the selected scenario's overrides).
        engine.setExtraGlobal("_", .none)
    }

    /// Loads a file, replacing the session's model (typed declarations are dropped).
    /// When the file cannot be read or has errors, the session is left as it was.
    public func load(file path: String) throws {
        guard let bytes = readFileBytes(path, limit: engine.configuration.limits.maxSourceBytes) else {
            throw StratError(diagnostics: [Diagnostic(severity: .error, kind: .io, message: "cannot read '\(path)'", path: path)])
        }
        try keepingStateOnFailure {
            file = path
            fileBytes = bytes
            chunks = []
            scenario = nil
            try rebuild()
        }
    }

    /// Reads the loaded file again, keeping typed declarations. When the file cannot be
    /// read or has errors, the session keeps the previous version.
    public func reload() throws {
        guard let f = file else { return }
        guard let bytes = readFileBytes(f, limit: engine.configuration.limits.maxSourceBytes) else {
            throw StratError(diagnostics: [Diagnostic(severity: .error, kind: .io, message: "cannot read '\(f)'", path: f)])
        }
        try keepingStateOnFailure {
            fileBytes = bytes
            try rebuild()
        }
    }

    /// Runs `body`; if it throws, restores the file, declarations and scenario and
    /// rebuilds the model they describe, then rethrows.
    private func keepingStateOnFailure(_ body: () throws -> Void) throws {
        let saved = (file, fileBytes, chunks, scenario)
        do {
            try body()
        } catch {
            (file, fileBytes, chunks, scenario) = saved
            try? rebuild()
            throw error
        }
    }

    /// Forgets everything: no file, no declarations.
    public func reset() {
        file = nil
        fileBytes = nil
        chunks = []
        scenario = nil
        try? rebuild()
    }

    /// Hands the file and the typed declarations to the engine (for its next rebuild).
    private func syncSources() {
        engine.loadedSources = [(file ?? "<session>", fileBytes ?? [])]
        engine.sessionSources = chunks.map { c in ("<repl>", Array(c.text.utf8)) }
        engine.redefined = Set(chunks.flatMap(\.names))
    }

    private func rebuild() throws {
        syncSources()
        do {
            try engine.rebuild(runStatements: false)
        } catch is StratError where engine.isEvaluated {
            // Evaluation errors (runtime, or a unit mismatch found while evaluating) fail
            // only their cells: the model stays usable, so it can be fixed interactively.
        }
        if let s = scenario {
            for (path, expr) in try engine.scenarioOverrides(s) { try engine.set(path, expr) }
        }
    }

    /// Enters one complete input (possibly several lines).
    public func enter(_ text: String) throws -> Outcome {
        let kinds = Self.classify(text)
        if kinds.isEmpty { return .nothing }
        if kinds == [.expr] {
            let v = try engine.evaluate(text)
            engine.setExtraGlobal("_", v)
            return .value(v)
        }
        if kinds == [.print] {
            let body = String(text.drop(while: { $0 == " " || $0 == "\t" }).dropFirst("print".count))
            let v = try engine.evaluate(body)
            return .printed(v.description)
        }
        if kinds == [.assert] {
            var body = String(text.drop(while: { $0 == " " || $0 == "\t" }).dropFirst("assert".count))
            var message: String?
            if let q = body.lastIndex(of: "\""), let open = body[..<q].lastIndex(of: "\""), body[q...].count == 1 ||
                body[body.index(after: q)...].allSatisfy({ $0 == " " }) {
                message = String(body[body.index(after: open)..<q])
                body = String(body[..<open]).trimmingTrailing(",")
            }
            let v = try engine.evaluate(body)
            guard case .bool(let ok) = v else {
                throw StratError(diagnostics: [Diagnostic(severity: .error, kind: .compile, message: "an assert needs a true/false condition")])
            }
            return .asserted(ok, message: message)
        }
        let names = Self.declaredNames(text)
        // A redefined `let` of an existing value goes through the incremental engine
        // (under a scenario, a rebuild re-applies the scenario's overrides on top).
        if kinds == [.let_], names.count == 1, scenario == nil, let eq = text.firstIndex(of: "="),
           engine.declaredNames.contains(where: { $0.name == names[0] && $0.kind == "let" }) {
            let expr = String(text[text.index(after: eq)...])
            let changes = try engine.set(names[0], expr)
            replaceChunks(declaring: names, with: text)
            syncSources()   // a later rebuild must keep the new definition
            return .declared(names: names, changes: changes)
        }
        let before = Dictionary(engine.valuesByPath().map { ($0.path, $0.value) }, uniquingKeysWith: { a, _ in a })
        let savedChunks = chunks
        replaceChunks(declaring: names, with: text)
        do {
            try rebuild()
        } catch {
            chunks = savedChunks
            try? rebuild()
            throw error
        }
        var changes: [Change] = []
        for (path, v) in engine.valuesByPath() {
            if let old = before[path], !Value.equal(old, v) || old.unit != v.unit {
                changes.append(Change(path: path, before: old, after: v))
            }
        }
        return .declared(names: names, changes: changes)
    }

    private func replaceChunks(declaring names: [String], with text: String) {
        if !names.isEmpty { chunks.removeAll { !Set($0.names).isDisjoint(with: names) } }
        chunks.append((names, text))
    }

    /// Applies a declared scenario to the session's model (nil or "baseline": none) and
    /// returns the values that changed.
    public func select(scenario name: String?) throws -> [Change] {
        let target = name == "baseline" ? nil : name
        if let t = target { _ = try engine.scenarioOverrides(t) }
        let before = Dictionary(engine.valuesByPath().map { ($0.path, $0.value) }, uniquingKeysWith: { a, _ in a })
        scenario = target
        try rebuild()
        var changes: [Change] = []
        for (path, v) in engine.valuesByPath() {
            if let old = before[path], !Value.equal(old, v) { changes.append(Change(path: path, before: old, after: v)) }
        }
        return changes
    }

    /// The session's model as a script that `strat run` accepts: the loaded file without
    /// the declarations the session redefined, then the session's declarations.
    public func script() -> String {
        var text = String(decoding: fileBytes ?? [], as: UTF8.self)
        let redefined = Set(chunks.flatMap(\.names))
        if !redefined.isEmpty, let f = file {
            // Cut redefined declarations out of the file's text, last first.
            let probe = Engine(configuration: { var c = Configuration(); c.useDefaultImporter = false; return c }())
            try? probe.load(bytes: fileBytes ?? [], path: f, runStatements: false)
            var ranges: [(Int, Int)] = []
            for name in redefined {
                if let r = probe.declarationRange(of: name) { ranges.append(r) }
            }
            var bytes = Array(text.utf8)
            for (s, e) in ranges.sorted(by: { $0.0 > $1.0 }) where s >= 0 && e <= bytes.count && s <= e {
                var end = e
                while end < bytes.count && (bytes[end] == 32 || bytes[end] == 9) { end += 1 }
                if end < bytes.count && bytes[end] == 10 { end += 1 }
                bytes.removeSubrange(s..<end)
            }
            text = String(decoding: bytes, as: UTF8.self)
        }
        if !chunks.isEmpty {
            if !text.isEmpty && !text.hasSuffix("\n") { text += "\n" }
            text += text.isEmpty ? "// Declared in the REPL\n" : "\n// Declared in the REPL\n"
            for c in chunks { text += c.text.trimmingTrailing("\n") + "\n" }
        }
        if let s = scenario { text += "// (scenario \(s) was selected; run with --scenario \(s))\n" }
        return text
    }

    // MARK: Classification

    enum Kind: Equatable { case expr, let_, print, assert, other }

    static func classify(_ text: String) -> [Kind] {
        var out: [Kind] = []
        for raw in text.split(separator: "\n", omittingEmptySubsequences: true) {
            let line = raw.drop(while: { $0 == " " || $0 == "\t" })
            if line.isEmpty || line.hasPrefix("//") { continue }
            if !out.isEmpty && (raw.first == " " || raw.first == "\t" || line.hasPrefix("}")) { continue }
            let word = line.prefix(while: { $0.isLetter || $0 == "_" || $0.isNumber })
            switch word {
            case "let": out.append(.let_)
            case "print": out.append(.print)
            case "assert": out.append(.assert)
            case "fn", "org", "mission", "vision", "values", "swot", "objective", "metric", "scenario", "projection",
                 "retro", "use", "import":
                out.append(.other)
            case "series" where isSeriesDeclaration(line):
                out.append(.other)
            default:
                if out.isEmpty { out.append(.expr) }
            }
        }
        return out
    }

    /// `series NAME = …` (`series` is contextual: `series.x` or `series + 1` are expressions).
    static func isSeriesDeclaration<S: StringProtocol>(_ line: S) -> Bool {
        let rest = line.dropFirst("series".count)
        guard let f = rest.first, f == " " || f == "\t" else { return false }
        let name = rest.drop(while: { $0 == " " || $0 == "\t" })
        guard let c = name.first, c.isLetter || c == "_" else { return false }
        return name.drop(while: { $0.isLetter || $0.isNumber || $0 == "_" }).drop(while: { $0 == " " || $0 == "\t" }).first == "="
    }

    /// Names declared at the top of the input (`let x`, `objective O`, …).
    static func declaredNames(_ text: String) -> [String] {
        var names: [String] = []
        for raw in text.split(separator: "\n") where raw.first != " " && raw.first != "\t" {
            let parts = raw.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "(" || $0 == "=" || $0 == "{" })
            guard parts.count >= 2 else { continue }
            switch parts[0] {
            case "let", "fn", "swot", "objective", "metric", "scenario", "projection", "retro":
                names.append(String(parts[1]))
            case "series" where isSeriesDeclaration(raw):
                names.append(String(parts[1]))
            case "org", "mission", "vision", "values":
                names.append(String(parts[0]))
            default: break
            }
        }
        return names
    }
}

extension Engine {
    /// Byte range of a top-level declaration in the first loaded file.
    func declarationRange(of name: String) -> (Int, Int)? {
        let (model, _) = state
        guard let span = model.declSpan(name), span.file == 0 else { return nil }
        return (Int(span.start), Int(span.end))
    }
}

extension String {
    func trimmingTrailing(_ chars: Character...) -> String {
        var s = Substring(self)
        while let l = s.last, chars.contains(l) || l == " " { s.removeLast() }
        return String(s)
    }
}
