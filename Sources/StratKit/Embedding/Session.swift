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
        } catch is StratError where engine.isEvaluated && engine.model.isolatedErrors == 0 {
            // Evaluation errors (runtime, or a unit mismatch found while evaluating) fail
            // only their cells: the model stays usable, so it can be fixed interactively.
            // An unknown name is refused here, though: a typed declaration that names
            // nothing is a typo to retype, not a cell to keep failing.
        }
        if let s = scenario {
            for (path, expr) in try engine.scenarioOverrides(s) { try engine.set(path, expr) }
        }
    }

    /// Enters one complete input (possibly several lines).
    public func enter(_ text: String) throws -> Outcome {
        try enter(SourceText(text, maxNesting: engine.configuration.limits.maxNesting))
    }

    /// Enters an input the caller has already lexed (the REPL asks it questions first).
    package func enter(_ source: SourceText) throws -> Outcome {
        let limit = engine.configuration.limits.maxNesting
        let source = source.maxNesting == limit ? source : SourceText(source.text, maxNesting: limit)
        let text = source.text
        let statements = source.statements()
        // With a syntax error, the statements are the parser's guess: an expression is
        // evaluated as typed (which reports the error), anything else takes the full
        // rebuild, which reports it and keeps the session as it was.
        let broken = source.hasSyntaxErrors
        if statements.isEmpty && !broken { return .nothing }
        let only = statements.count == 1 ? statements[0] : nil
        switch statements.isEmpty ? .expression : only?.kind {
        case .expression?:
            let v = try engine.evaluate(text)
            engine.setExtraGlobal("_", v)
            return .value(v)
        case .print? where !broken:
            let v = try evaluate(only, in: text)
            return .printed(v.description)
        case .assert? where !broken:
            // The message is evaluated as in a file: a string literal, with its escapes
            // and interpolations.
            var message: String?
            if let m = only?.message, case .string(let s)? = try? engine.evaluate(m) { message = s }
            let v = try evaluate(only, in: text)
            guard case .bool(let ok) = v else {
                // As in a file: a runtime error at the condition.
                let message = "an assert needs a true/false condition, got \(v.kindName)"
                throw StratError(diagnostics: [(only ?? SourceText.Statement(kind: .assert)).error(in: text, kind: .runtime, message: message)])
            }
            return .asserted(ok, message: message)
        default:
            break
        }
        let names = statements.compactMap(\.name)
        // What the input replaces: the names it declares, and the model's `simulate`.
        let keys = names + (statements.contains(where: \.setsSimulation) ? [Program.simulateKey] : [])
        // A redefined `let` of an existing value goes through the incremental engine
        // (under a scenario, a rebuild re-applies the scenario's overrides on top).
        if !broken, let s = only, s.kind == .let_, let name = s.name, let expr = s.expression, scenario == nil,
           engine.declaredKind(of: name) == "let" {
            let changes = try engine.set(name, expr)
            replaceChunks(declaring: names, with: text)
            syncSources()   // a later rebuild must keep the new definition
            return .declared(names: names, changes: changes)
        }
        // A new `let` joins the model without a rebuild when it can (nothing else changes).
        if !broken, let s = only, s.kind == .let_, let name = s.name, engine.declaredKind(of: name) == nil,
           engine.addLet(text, path: "<repl>") {
            chunks.append((names, text))
            engine.sessionSources.append(("<repl>", Array(text.utf8)))
            engine.redefined.insert(name)
            return .declared(names: names, changes: [])
        }
        let before = Dictionary(engine.valuesByPath().map { ($0.path, $0.value) }, uniquingKeysWith: { a, _ in a })
        let savedChunks = chunks
        replaceChunks(declaring: keys, with: text)
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

    /// A `print`'s or `assert`'s expression, evaluated alone; its errors point into `text`.
    private func evaluate(_ statement: SourceText.Statement?, in text: String) throws -> Value {
        do {
            return try engine.evaluate(statement?.expression ?? "")
        } catch let e as StratError {
            let offset = statement?.expressionOffset ?? 0
            throw StratError(diagnostics: e.diagnostics.map { $0.path == "<expr>" ? $0.placed(in: text, at: offset) : $0 })
        }
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
        return try changes {
            scenario = target
            try rebuild()
        }
    }

    /// Moves the session's evaluation date (`today`, SPEC §14–15) and re-evaluates the
    /// model as of that day; returns the values that changed (REPL `:asof`).
    public func move(asOf date: CalendarDate) throws -> [Change] {
        try changes {
            engine.configuration.asOf = date
            try rebuild()
        }
    }

    /// The values that `body` (a rebuild) changed, in the model's order. A tracked KR's
    /// `current` shadows its `current:` property under the same path: the later cell wins.
    private func changes(_ body: () throws -> Void) throws -> [Change] {
        func values() -> [(path: String, value: Value)] {
            var out: [(path: String, value: Value)] = []
            var index: [String: Int] = [:]
            for (path, v) in engine.valuesByPath() {
                if let i = index[path] { out[i].value = v } else { index[path] = out.count; out.append((path, v)) }
            }
            return out
        }
        let before = Dictionary(values().map { ($0.path, $0.value) }, uniquingKeysWith: { _, b in b })
        try body()
        var changes: [Change] = []
        for (path, v) in values() {
            if let old = before[path], !Value.equal(old, v) { changes.append(Change(path: path, before: old, after: v)) }
        }
        return changes
    }

    /// The session's model as a script that `strat run` accepts: the loaded file, its
    /// order and comments kept, with each declaration the session redefined replaced in
    /// place, then the session's new declarations. Writing it over the loaded file and
    /// calling ``adoptSaved(_:)`` makes saving again produce the same text.
    /// `header`: a comment line before the appended declarations (nil: none).
    public func script(header: String? = "// Declared in the REPL") -> String {
        var bytes = fileBytes ?? []
        var placed = Set<Int>()
        if !chunks.isEmpty, let f = file {
            let probe = Engine(configuration: { var c = Configuration(); c.useDefaultImporter = false; return c }())
            try? probe.load(bytes: bytes, path: f, runStatements: false)
            // Replacements (start, end, text): a chunk goes where the first declaration it
            // redefines was; the file's other declarations of its names go away.
            var edits: [(start: Int, end: Int, text: [UInt8])] = []
            for (i, c) in chunks.enumerated() {
                let ranges = c.names.compactMap { probe.declarationRange(of: $0) }
                    .filter { $0.0 >= 0 && $0.1 <= bytes.count && $0.0 <= $0.1 }.sorted { $0.0 < $1.0 }
                guard let first = ranges.first else { continue }
                placed.insert(i)
                edits.append((first.0, first.1, Array(c.text.trimmingTrailing("\n", "\t").utf8)))
                for r in ranges.dropFirst() {
                    var end = r.1
                    while end < bytes.count && (bytes[end] == 32 || bytes[end] == 9) { end += 1 }
                    if end < bytes.count && bytes[end] == 10 { end += 1 }
                    edits.append((r.0, end, []))
                }
            }
            var last = Int.max
            for e in edits.sorted(by: { $0.start > $1.start }) where e.end <= last {
                bytes.replaceSubrange(e.start..<e.end, with: e.text)
                last = e.start
            }
        }
        var text = String(decoding: bytes, as: UTF8.self)
        let rest = chunks.indices.filter { !placed.contains($0) }
        if !rest.isEmpty {
            if !text.isEmpty && !text.hasSuffix("\n") { text += "\n" }
            if !text.isEmpty && !text.hasSuffix("\n\n") { text += "\n" }
            if let h = header { text += h + "\n" }
            for i in rest { text += chunks[i].text.trimmingTrailing("\n", "\t") + "\n" }
        }
        return text
    }

    /// Records that `text` (from ``script(header:)``) was written over the loaded file: it
    /// becomes the session's file and the typed declarations are now part of it, so a later
    /// ``reload()`` or save does not add them a second time.
    public func adoptSaved(_ text: String) {
        guard file != nil else { return }
        fileBytes = Array(text.utf8)
        chunks = []
        syncSources()
    }
}

extension Engine {
    /// The Monte Carlo sample count and seed in effect (SPEC §13), for the REPL's `:dist`.
    package var simulationSettings: (samples: Int, seed: UInt64) { (evaluator.mc.samples, evaluator.mc.seed) }

    /// Byte range of a top-level declaration in the first loaded file (`org`, `mission`,
    /// `vision`, `values` by their keyword; the `simulate` by ``Program/simulateKey``).
    func declarationRange(of name: String) -> (Int, Int)? {
        let (model, _) = state
        let span = name == Program.simulateKey ? model.simulate?.span : model.declSpan(name)
        guard let span, span.file == 0 else { return nil }
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
