#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// One value that a what-if, a scenario or a redefinition changed.
public struct Change: Sendable, Hashable, CustomStringConvertible {
    /// The value's path, such as `MODERNIZE_PLATFORM.score` or `churn`.
    public var path: String
    /// The value before.
    public var before: Value {
        get { values.before }
        set { values = Values(newValue, values.after) }
    }
    /// The value after.
    public var after: Value {
        get { values.after }
        set { values = Values(values.before, newValue) }
    }

    /// Both values; two numbers (nearly every change) are kept without the `Value` enum's
    /// room for the other cases: a change is 40 bytes instead of 64, which is most of
    /// the memory a what-if that changes 100,000 values writes and the caller frees.
    private var values: Values

    private enum Values: Sendable {
        case numbers(Double, Double, NumberUnit, NumberUnit)
        indirect case other(Value, Value)

        init(_ before: Value, _ after: Value) {
            if case .number(let b, let ub) = before, case .number(let a, let ua) = after {
                self = .numbers(b, a, ub, ua)
            } else {
                self = .other(before, after)
            }
        }

        var before: Value {
            switch self {
            case .numbers(let b, _, let ub, _): return .number(b, ub)
            case .other(let b, _): return b
            }
        }

        var after: Value {
            switch self {
            case .numbers(_, let a, _, let ua): return .number(a, ua)
            case .other(_, let a): return a
            }
        }
    }

    /// Makes a change record.
    public init(path: String, before: Value, after: Value) {
        self.path = path
        self.values = Values(before, after)
    }

    /// A change between two numbers.
    init(path: String, number before: Double, _ beforeUnit: NumberUnit, to after: Double, _ afterUnit: NumberUnit) {
        self.path = path
        self.values = .numbers(before, after, beforeUnit, afterUnit)
    }

    /// Same path, same values (as `Value`'s `==` compares them).
    public static func == (l: Change, r: Change) -> Bool {
        l.path == r.path && l.before == r.before && l.after == r.after
    }

    /// Hashes what `==` compares.
    public func hash(into h: inout Hasher) {
        h.combine(path)
        h.combine(before)
        h.combine(after)
    }

    /// `path: before → after`.
    public var description: String { "\(path): \(before) → \(after)" }
}

/// The result of one `assert`.
public struct AssertionResult: Sendable, Hashable {
    /// The assertion's source text.
    public var expression: String
    /// Its message, if any.
    public var message: String?
    /// Whether it held.
    public var passed: Bool
    /// Where it is.
    public var path: String
    /// 1-based line.
    public var line: Int
}

/// The Strat interpreter: load a model, query it, explore what-ifs and scenarios.
///
/// An engine is used from one thread at a time; values it returns are `Sendable`.
/// Several engines may run on several threads at once.
public final class Engine: @unchecked Sendable {
    /// Limits, importer and output.
    public internal(set) var configuration: Configuration
    private var program: Program
    var model: Model
    var evaluator: Evaluator
    private var hosts: [HostFunction] = []
    var loadedSources: [(path: String, bytes: [UInt8])] = []
    /// Warnings and errors of the last load or operation.
    public private(set) var diagnostics: [Diagnostic] = []
    /// True when the loaded model parsed and resolved, so it was evaluated: evaluation
    /// errors (a unit mismatch, a division by zero) fail only their own cells and what
    /// reads them, and every other value can still be queried and reported.
    /// Unknown names are such errors too: they fail only the cells that read them.
    public var isEvaluated: Bool { !model.isBroken }
    /// Output of the `print` statements of the last run.
    public private(set) var printed: [String] = []
    /// Results of the `assert` statements of the last run.
    public private(set) var assertions: [AssertionResult] = []
    /// Overrides committed with ``set(_:_:)``, in order: a rebuild (``register(function:arity:_:)``
    /// on a loaded model) applies them again.
    private var committed: [(path: String, expr: String)] = []
    /// The scenario currently applied (nil for baseline).
    public private(set) var scenario: String?

    /// An engine with the default configuration.
    public convenience init() { self.init(configuration: Configuration()) }

    /// An engine with limits, an importer and an output sink.
    public init(configuration: Configuration) {
        self.configuration = configuration
        hosts = configuration.functions.map { HostFunction(name: $0.name, arity: $0.arity, body: $0.body) }
        program = Program(limits: configuration.limits, importer: nil)
        model = Model(program: program)
        model.asOf = configuration.asOf ?? CalendarDate(unixSeconds: Double(time(nil)))
        model.build(hostFunctions: [])
        evaluator = Evaluator(model: model, limits: configuration.limits, hosts: [])
    }

    // MARK: Loading

    /// Loads a model from source text, evaluates it and runs its `print` and `assert`
    /// statements. Throws ``StratError`` when it has errors; with runtime errors only,
    /// the model stays loaded and queryable.
    public func load(source: String, path: String = "<input>", runStatements: Bool = true) throws {
        try enter()
        defer { busy = false }
        loadedSources = [(path, Array(source.utf8))]
        mainIsFile = false
        try rebuild(runStatements: runStatements)
    }

    /// Loads a model from a file through the host's file system.
    public func load(file path: String, runStatements: Bool = true) throws {
        guard let bytes = readFileBytes(path, limit: configuration.limits.maxSourceBytes) else {
            throw StratError(diagnostics: [Diagnostic(severity: .error, kind: .io, message: "cannot read '\(path)'", path: path)])
        }
        try enter()
        defer { busy = false }
        loadedSources = [(path, bytes)]
        mainIsFile = true
        try rebuild(runStatements: runStatements)
    }

    /// Loads a model from UTF-8 bytes (invalid UTF-8 is a diagnostic).
    public func load(bytes: [UInt8], path: String, runStatements: Bool = true) throws {
        try enter()
        defer { busy = false }
        loadedSources = [(path, bytes)]
        mainIsFile = false
        try rebuild(runStatements: runStatements)
    }

    /// Registers a host function callable from Strat; its results join the dependency
    /// graph like any formula. Register before loading. `arity` -1 accepts any count.
    public func register(function name: String, arity: Int, _ body: @escaping ([Value]) throws -> Value) {
        hosts.removeAll { $0.name == name }
        hosts.append(HostFunction(name: name, arity: arity, body: body))
        // Names resolve at load time: re-resolve a loaded model so it can call the function,
        // keeping the overrides committed with `set` (a rebuild starts from the source).
        if !loadedSources.isEmpty && !busy {
            let kept = committed
            try? rebuild(runStatements: false)
            for o in kept { _ = try? set(o.path, o.expr) }
        }
    }

    /// The configured importer, or files under the loaded file's folder. Source text
    /// without a file location (a path like `<input>`) gets no default importer, so an
    /// embedded model cannot reach the process's working directory. Only a whole
    /// `<name>` is such a placeholder, and never a path given to ``load(file:runStatements:)``.
    private func importer(for path: String) -> Importer? {
        if let i = configuration.importer { return i }
        let placeholder = !mainIsFile && path.hasPrefix("<") && path.hasSuffix(">") && !path.contains("/")
        guard configuration.useDefaultImporter, !placeholder else { return nil }
        return FileImporter(root: directoryOf(path).isEmpty ? "." : directoryOf(path),
                            maxBytes: configuration.limits.maxSourceBytes)
    }

    /// Whether the loaded source came from ``load(file:runStatements:)``.
    private var mainIsFile = false

    /// The loaded file's identity for "imported once" and import cycles: the key its
    /// importer gives it (the default importer keys files by their real path).
    private func mainKey(_ path: String) -> String {
        if program.importer is FileImporter, let real = realPath(path) { return real }
        return normalizePath(path)
    }

    var busy = false

    /// Refuses re-entry: a host function that calls back into its own engine would
    /// otherwise corrupt the evaluation under way.
    func enter() throws {
        if busy {
            throw StratError(diagnostics: [Diagnostic(severity: .error, kind: .runtime,
                                                      message: "a host function called back into its own engine",
                                                      hint: "host functions must not use the engine that calls them; use a second engine")])
        }
        busy = true
    }

    /// Sources after the first that the REPL added, and names they redefine (the
    /// earlier declarations of those names are left out).
    var sessionSources: [(path: String, bytes: [UInt8])] = []
    var redefined: Set<String> = []
    /// Name uses of the last load (``Configuration/recordSymbols``).
    var recordedUses: [SymbolTarget] = []
    /// Constants the host keeps in the namespace (the REPL's `_`).
    var extraGlobals: [(name: String, value: Value)] = []

    func rebuild(runStatements: Bool) throws {
        let main = loadedSources.first?.path ?? "<input>"
        program = Program(limits: configuration.limits, importer: importer(for: main))
        program.excluded = redefined
        for (i, s) in loadedSources.enumerated() {
            _ = program.load(path: s.path, bytes: s.bytes, key: i == 0 ? mainKey(s.path) : nil)
        }
        program.excluded = []
        for s in sessionSources { _ = program.load(path: s.path, bytes: s.bytes) }
        model = Model(program: program)
        model.asOf = configuration.asOf ?? CalendarDate(unixSeconds: Double(time(nil)))
        model.extraGlobals = extraGlobals
        if configuration.recordSymbols { model.uses = [] }
        model.build(hostFunctions: hosts.map { ($0.name, $0.arity) })
        program.decls = []  // the model holds what it needs; free the syntax tree's shells
        if !model.isBroken { checkScenarios() }
        recordedUses = model.uses ?? []
        model.uses = nil  // queries resolve expressions of their own; those are not the model's
        evaluator = Evaluator(model: model, limits: configuration.limits, hosts: hosts)
        evaluator.interrupt = configuration.interrupt
        if configuration.keepsSeries { evaluator.keepSeries = [Bool](repeating: true, count: model.projections.count) }
        evaluator.configureSimulation(samples: configuration.samples, seed: configuration.seed, threads: configuration.threads)
        scenario = nil
        committed = []
        printed = []
        assertions = []
        diagnostics = program.sink.items
        if model.isBroken { throw StratError(diagnostics: diagnostics) }
        evaluator.evaluateAll()
        if runStatements { runAllStatements() }
        diagnostics.append(contentsOf: evaluator.diagnostics)
        evaluator.diagnostics = []
        try throwIfErrors()
    }

    private func throwIfErrors() throws {
        if diagnostics.contains(where: { $0.severity == .error }) { throw StratError(diagnostics: diagnostics) }
    }

    /// Runs `print` and `assert` in source order against the current values.
    private func runAllStatements(emit: Bool = true) {
        evaluator.armStackGuard()
        printed = []
        assertions = []
        // The statements share one step budget, and their output one byte budget.
        resetSteps()
        var outputLeft = configuration.limits.maxOutputBytes
        for (k, d) in model.statements.enumerated() {
            // Each statement is its own declaration for the streams of its constructors.
            evaluator.mc.cell = -2 - Int32(truncatingIfNeeded: k)
            defer { evaluator.mc.cell = -1 }
            switch d.kind {
            case .print:
                do {
                    let v = try evaluator.eval(d.expr)
                    let text = v.description
                    if outputLeft < 0 { continue }
                    outputLeft -= text.utf8.count + 1
                    if outputLeft < 0 {
                        evaluator.report(EvalError(message: "print output larger than \(formatCount(configuration.limits.maxOutputBytes)) bytes; the rest is not printed",
                                                   span: d.span, hint: "the output limit can be raised by the embedder"))
                        continue
                    }
                    printed.append(text)
                    if emit { configuration.output?(text) }
                } catch {
                    evaluator.report(error)
                }
            case .assert:
                let file = program.files[Int(d.span.file)]
                let (line, _) = file.lineColumn(d.span.start)
                let text = file.text(model.pool[d.expr].span.start, model.pool[d.expr].span.end)
                var message: String?
                if d.message >= 0, case .string(let s)? = try? evaluator.eval(d.message) { message = shortened(s) }
                do {
                    let v = try evaluator.eval(d.expr)
                    if case .dist(let s, _) = v, s.isBool {
                        evaluator.report(EvalError(message: "an assert needs a definite true/false, but this condition is uncertain (true in \(NumberFormat.display(s.fractionTrue, NumberUnit(display: .percent))) of samples)",
                                                   span: model.pool[d.expr].span, hint: "assert on its probability, e.g. assert P(\(text)) >= 90%"))
                        continue
                    }
                    guard case .bool(let ok) = v else {
                        evaluator.report(EvalError(message: "an assert needs a true/false condition, got \(v.kindName)", span: model.pool[d.expr].span))
                        continue
                    }
                    assertions.append(AssertionResult(expression: text, message: message, passed: ok, path: file.path, line: line))
                    if !ok {
                        var diag = DiagnosticSink.make(.error, .assertion, "assertion failed: \(message ?? text.onOneLine)",
                                                       at: model.pool[d.expr].span, hint: nil, files: program.files)
                        let values = assertValues(model.pool[d.expr].span)
                        diag.hint = [message == nil ? nil : "condition: \(text.onOneLine)", values.isEmpty ? nil : "where " + values]
                            .compactMap { $0 }.joined(separator: "; ")
                        if diag.hint == "" { diag.hint = nil }
                        evaluator.diagnostics.append(diag)
                    }
                } catch {
                    evaluator.report(error)
                }
            default:
                break
            }
        }
    }

    /// `x = 5, GROW.score = 0.4`: the values of the names a failed assert's condition
    /// reads, in source order (as pytest shows them), so the failure explains itself.
    private func assertValues(_ span: Span) -> String {
        var seen = Set<Int32>(), parts: [(Int32, String)] = []
        for n in model.pool.nodes where n.kind == .cell && n.span.file == span.file
            && n.span.start >= span.start && n.span.end <= span.end && seen.insert(n.a).inserted {
            guard Int(n.a) < evaluator.values.count, evaluator.state[Int(n.a)] == .ok else { continue }
            parts.append((n.span.start, "\(model.cellPath(n.a)) = \(evaluator.values[Int(n.a)].description)"))
            if parts.count == 8 { break }
        }
        return parts.sorted { $0.0 < $1.0 }.map(\.1).joined(separator: ", ")
    }

    /// An assert message as diagnostics and reports show it: at most
    /// ``maxAssertMessageBytes`` (a 10 MB message failing in a loop would flood stderr).
    private func shortened(_ s: String) -> String {
        guard s.utf8.count > Engine.maxAssertMessageBytes else { return s }
        var out = ""
        for ch in s {
            if out.utf8.count + ch.utf8.count > Engine.maxAssertMessageBytes { break }
            out.append(ch)
        }
        return out + "… (\(formatCount(s.utf8.count)) bytes)"
    }

    /// Longest assert message kept, in bytes.
    public static let maxAssertMessageBytes = 10_000

    // MARK: Queries

    /// Evaluates an expression against the current model (and scenario).
    public func evaluate(_ expression: String) throws -> Value {
        try enter()
        defer { busy = false }
        return try withScratch {
            let node = try compileExpression(expression, path: "<expr>", owner: -1)
            resetSteps()
            evaluator.armStackGuard()
            evaluator.mc.queryPath = SampleRandom.hash("<query> " + expression)
            do throws(EvalError) {
                return try evaluator.eval(node)
            } catch {
                throw runtimeFailure(error)
            }
        }
    }

    /// Parses and resolves an expression in the scope of `owner` (-1: top level).
    func compileExpression(_ text: String, path: String, owner: Int32, projection: Int32 = -1) throws -> Int32 {
        try refuseIfBroken()
        evaluator.releaseSnapshot()
        defer { evaluator.refresh() }
        let before = program.sink.items.count
        let errorsBefore = program.sink.errorCount, isolatedBefore = model.isolatedErrors
        let f = program.addFile(path: path, bytes: Array(text.utf8))
        var parser = Parser(file: f, interner: program.interner, pool: program.pool, sink: program.sink,
                            maxNesting: configuration.limits.maxNesting)
        let node = parser.parseExpr()
        parser.expectEnd()
        program.sink = parser.sink
        var deps = Set<Int32>()
        if program.sink.errorCount == errorsBefore {
            var ctx = Model.ResolveContext()
            model.resolve(node, Scope(owner: owner, projection: projection), &ctx)
            for fn in ctx.calls.items { ctx.deps.formUnion(model.functions[Int(fn)].deps) }
            deps = Set(ctx.deps.items)
            lastDeps = deps
            lastVolatile = ctx.volatile
        }
        if program.sink.errorCount > errorsBefore {
            let d = Array(program.sink.items[before...])
            program.sink.items.removeSubrange(before...)
            program.sink.errorCount = errorsBefore
            model.isolatedErrors = isolatedBefore
            throw StratError(diagnostics: d)
        }
        return node
    }

    func compileForQuery(_ text: String) throws -> Int32 {
        try compileExpression(text, path: "<expr>", owner: -1)
    }

    func cellForPath(_ path: String) throws -> Int32 { try cell(at: path) }

    /// Stores every period of projection `p` if it was computed without keeping them.
    func materializeSeries(_ p: Int) {
        guard evaluator.state[Int(model.projections[p].group)] == .ok else { return }
        // Errors found now (a step limit hit while storing the periods) point at the projection.
        let at = model.objects[Int(model.projections[p].object)].span
        do { try evaluator.ensureSeries(p, at) } catch { evaluator.report(error) }
    }

    /// Stores every period of every projection (reports list them all).
    func materializeAllSeries() {
        for p in model.projections.indices { materializeSeries(p) }
    }

    func evaluateNode(_ node: Int32) throws -> Value {
        resetSteps()
        evaluator.armStackGuard()
        do { return try evaluator.eval(node) } catch {
            throw StratError(diagnostics: [Diagnostic(severity: .error, kind: .runtime, message: error.message)])
        }
    }

    /// Sets a host-kept constant (the REPL's `_`) and recomputes what reads it.
    func setExtraGlobal(_ name: String, _ value: Value) {
        if let i = extraGlobals.firstIndex(where: { $0.name == name }) { extraGlobals[i].value = value }
        else { extraGlobals.append((name, value)) }
        guard let id = program.interner.lookup(name), case .cell(let c)? = model.globals[id],
              model.cells[Int(c)].kind == .constant else {
            try? rebuild(runStatements: false)
            return
        }
        let k = model.pool[model.cells[Int(c)].node].a
        evaluator.releaseSnapshot()
        model.pool.constants[Int(k)] = value
        evaluator.refresh()
        var saved = WhatIfUndo()
        resetSteps()
        _ = whatIfs.propagate(from: [c], model: model, evaluator: &evaluator, into: &saved)
    }

    /// Adds a new top-level `let` (the whole declaration's source in `text`) to the loaded
    /// model without rebuilding it: the REPL's fast path, so that a long piped session does
    /// not re-resolve the model on every line. Returns false, changing nothing the next
    /// rebuild would not redo, whenever the declaration is not a plain new value that reads
    /// only existing ones (a redefinition, a diagnostic, a distribution constructor, a
    /// projection read at a period, an active scenario or override): the caller then rebuilds.
    package func addLet(_ text: String, path: String) -> Bool {
        guard !busy, isEvaluated, scenario == nil, committed.isEmpty, !loadedSources.isEmpty || !sessionSources.isEmpty else { return false }
        busy = true
        defer { busy = false }
        evaluator.releaseSnapshot()
        defer { evaluator.refresh() }
        let itemsBefore = program.sink.items.count, errorsBefore = program.sink.errorCount
        func refuse() -> Bool {
            program.sink.items.removeSubrange(itemsBefore...)
            program.sink.errorCount = errorsBefore
            return false
        }
        let f = program.addFile(path: path, bytes: Array(text.utf8))
        var parser = Parser(file: f, interner: program.interner, pool: program.pool, sink: program.sink,
                            maxNesting: configuration.limits.maxNesting)
        let decls = parser.parseProgram()
        program.sink = parser.sink
        guard program.sink.items.count == itemsBefore, decls.count == 1, decls[0].kind == .let_ else { return refuse() }
        let d = decls[0]
        let name = program.interner[d.name]
        guard d.name >= Keyword.count, model.globals[d.name] == nil, model.builtinIds[d.name] == nil,
              model.hostFunctions[d.name] == nil, !extraGlobals.contains(where: { $0.name == name }),
              model.declSpans[d.name] == nil, name != "plan" else { return refuse() }
        var ctx = Model.ResolveContext()
        _ = model.resolve(d.expr, Scope(), &ctx)
        guard program.sink.items.count == itemsBefore, ctx.sites == 0, ctx.coupled.items.isEmpty, ctx.now.items.isEmpty
        else { return refuse() }
        var deps = Set(ctx.deps.items)
        for fn in ctx.calls.items { deps.formUnion(model.functions[Int(fn)].deps) }
        model.ensureDependents()
        let c = model.addCell(Cell(kind: .formula, node: d.expr, owner: -1, name: d.name, span: d.nameSpan))
        model.deps.replace(Int(c), with: Array(deps))
        model.dependents.appendRow(EmptyCollection())
        for x in deps { model.dependents.append(c, toRow: Int(x)) }
        if ctx.volatile { model.volatile.insert(c) }
        model.lets.append(c)
        model.globals[d.name] = .cell(c)
        model.declSpans[d.name] = d.span
        model.position.append(Int32(model.order.count))
        model.order.append(c)
        evaluator.refresh()
        resetSteps()
        evaluator.armStackGuard()
        evaluator.compute(c)
        diagnostics.append(contentsOf: evaluator.diagnostics)
        evaluator.diagnostics = []
        return true
    }

    /// A model that failed to load (compile errors) has unresolved names and no evaluation
    /// order: queries on it throw the load's errors instead of reaching those parts.
    func refuseIfBroken() throws {
        if model.isBroken { throw StratError(diagnostics: program.sink.items) }
    }

    var lastDeps = Set<Int32>()
    var lastVolatile = false

    // MARK: Paths

    /// Finds the cell a path such as `churn` or `Engineering.weaknesses.TESTING.rating` names.
    private func cell(at path: String) throws -> Int32 {
        guard case .cell(let c) = try member(at: path) else {
            throw StratError(diagnostics: [Diagnostic(severity: .error, kind: .compile, message: "'\(path)' is not a value that can be overridden")])
        }
        return c
    }

    /// What a dotted path names: a value cell, an object, or a list of objects.
    func member(at path: String) throws -> Member {
        let parts = path.split(separator: ".").map(String.init)
        func fail(_ msg: String, _ hint: String? = nil) -> StratError {
            StratError(diagnostics: [Diagnostic(severity: .error, kind: .compile, message: msg, hint: hint)])
        }
        guard let first = parts.first, let fid = program.interner.lookup(first) else {
            let hint = closest(path, among: model.globals.keys.map { program.interner[$0] }).map { "did you mean '\($0)'?" }
            throw fail("unknown name '\(path)'", hint)
        }
        var current: Member
        switch model.globals[fid] {
        case .cell(let c)?: current = .cell(c)
        case .object(let o)?: current = .object(o)
        case .objects(let list)?: current = .objects(list)
        case .function?: throw fail("'\(first)' is a function, not a value", "call it: \(first)(…)")
        case .scenario?: throw fail("'\(first)' is a scenario, not a value", "apply it with :scenario \(first) or --scenario \(first)")
        default:
            if first == "plan" { current = .object(model.plan) } else {
                let hint = closest(first, among: model.globals.keys.map { program.interner[$0] }).map { "did you mean '\($0)'?" }
                throw fail("unknown name '\(first)'", hint)
            }
        }
        for p in parts.dropFirst() {
            let pid = program.interner.lookup(p) ?? -1
            switch current {
            case .cell:
                throw fail("'\(p)' in '\(path)': a value has no members")
            case .object(let o):
                guard let m = model.objects[Int(o)].members[pid] else {
                    let hint = closest(p, among: model.objects[Int(o)].order.map { program.interner[$0] }).map { "did you mean '\($0)'?" }
                    throw fail("unknown member '\(p)' of '\(model.objects[Int(o)].path)'", hint)
                }
                current = m
            case .objects(let list):
                guard let o = list.first(where: { model.objects[Int($0)].name == pid }) else {
                    let hint = closest(p, among: list.map { program.interner[model.objects[Int($0)].name] }).map { "did you mean '\($0)'?" }
                    throw fail("no item '\(p)' in '\(path)'", hint)
                }
                current = .object(o)
            }
        }
        return current
    }

    /// The cell an override may replace: computed values (scores, statuses, matrices,
    /// projection results) are read-only.
    func overridableCell(at path: String) throws -> Int32 {
        let c = try cell(at: path)
        let cell = model.cells[Int(c)]
        if cell.kind == .derived {
            throw StratError(diagnostics: [Diagnostic(severity: .error, kind: .compile,
                message: "'\(path)' is computed and cannot be overridden",
                hint: "override its inputs instead (for a key result: baseline, target, current or weight)")])
        }
        return c
    }

    /// Checks every scenario's override paths and expressions at load time, so that
    /// `strat check` reports them with their location.
    /// Resolving them here also keeps them, as ``ResolvedOverride``s, for every report
    /// and query under the scenario: a scenario is never turned back into source text.
    func checkScenarios() {
        scenarioPlans = []
        for sc in model.scenarios {
            var plan: [ResolvedOverride?] = []
            for o in sc.overrides {
                let path = o.path.map { program.interner[$0.name] }.joined(separator: ".")
                let span = Span(file: o.path[0].span.file, start: o.path[0].span.start, end: o.path.last!.span.end)
                var resolved: ResolvedOverride?
                do {
                    let c = try overridableCell(at: path)
                    let cellInfo = model.cells[Int(c)]
                    var ctx = Model.ResolveContext()
                    let errors = program.sink.errorCount
                    model.resolve(o.expr, Scope(owner: cellInfo.owner == model.plan ? -1 : cellInfo.owner,
                                                projection: cellInfo.projection), &ctx)
                    if program.sink.errorCount == errors {
                        for fn in ctx.calls.items { ctx.deps.formUnion(model.functions[Int(fn)].deps) }
                        let deps = ctx.deps.items.sorted()
                        var selfRefs: [Int32] = []
                        // nil when the formula has a part the walk does not know (a goal seek):
                        // that override is compiled from its text instead.
                        if deps.contains(c) ? model.pool.cellReferences(in: o.expr, to: c, into: &selfRefs) && !selfRefs.isEmpty : true {
                            resolved = ResolvedOverride(cell: c, node: o.expr, deps: deps, volatile: ctx.volatile, selfRefs: selfRefs)
                        }
                    }
                } catch let e as StratError {
                    for d in e.diagnostics { program.sink.error(d.message, at: span, hint: d.hint) }
                } catch {}
                plan.append(resolved)
            }
            scenarioPlans.append(plan)
        }
    }

    /// Each scenario's overrides, resolved (nil: compile that override from its text).
    private var scenarioPlans: [[ResolvedOverride?]] = []

    // MARK: What-if

    /// Parses and resolves an override's expression in the scope of the cell it replaces.
    func compileOverride(path: String, expr: String) throws -> ResolvedOverride {
        let c = try overridableCell(at: path)
        let cellInfo = model.cells[Int(c)]
        let owner = cellInfo.owner == model.plan ? -1 : cellInfo.owner
        let firstNode = model.pool.nodes.count
        let node = try compileExpression(expr, path: "<override \(path)>", owner: owner, projection: cellInfo.projection)
        var selfRefs: [Int32] = []
        if lastDeps.contains(c) {
            // The expression's nodes are the ones just added.
            for i in firstNode..<model.pool.nodes.count where model.pool.nodes[i].kind == .cell && model.pool.nodes[i].a == c {
                selfRefs.append(Int32(i))
            }
        }
        return ResolvedOverride(cell: c, node: node, deps: lastDeps.sorted(), volatile: lastVolatile, selfRefs: selfRefs)
    }

    private func compileOverrides(_ list: [(path: String, expr: String)]) throws -> [ResolvedOverride] {
        try refuseIfBroken()
        return try list.map { try compileOverride(path: $0.path, expr: $0.expr) }
    }

    /// Applies resolved overrides and recomputes only their dependents.
    private func apply(_ overrides: [ResolvedOverride]) throws -> ([Change], WhatIfUndo) {
        resetSteps()
        return try whatIfs.apply(overrides, model: model, evaluator: &evaluator)
    }

    private func undo(_ u: consuming WhatIfUndo) {
        whatIfs.undo(u, model: model, evaluator: &evaluator)
    }

    // MARK: Scratch region

    /// Where the program's arrays ended before a query or what-if compiled its text.
    struct ScratchMark {
        var program: ObjectIdentifier
        var nodes: Int, extra: Int, constants: Int, files: Int, solveSites: Int, siteKeys: Int
        var names: Int
        var writes: Int
        var compileBelow: Int32
    }

    /// Runs `body`, then forgets the nodes, constants, names and source files it compiled, so that
    /// `evaluate`, `whatIf` and reports cost the same on the millionth call as on the first.
    /// Nothing compiled in a scratch scope outlives it: values are plain data, compiled
    /// numeric code is not made for scratch formulas, and diagnostics are rendered text.
    func withScratch<T>(_ body: () throws -> T) rethrows -> T {
        let mark = ScratchMark(program: ObjectIdentifier(program), nodes: program.pool.nodes.count,
                               extra: program.pool.extra.count, constants: program.pool.constants.count,
                               files: program.files.count, solveSites: model.solveSites.count,
                               siteKeys: model.siteKeys.count, names: program.interner.count, writes: permanentWrites,
                               compileBelow: evaluator.compileBelow)
        evaluator.compileBelow = min(evaluator.compileBelow, Int32(truncatingIfNeeded: mark.nodes))
        defer { endScratch(mark) }
        return try body()
    }

    private func endScratch(_ m: ScratchMark) {
        // A rebuild replaced the program, or a `set` committed nodes of this scope: keep them.
        guard m.program == ObjectIdentifier(program) else { return }
        evaluator.compileBelow = m.compileBelow
        guard m.writes == permanentWrites else { return }
        let pool = program.pool
        guard pool.nodes.count > m.nodes || pool.extra.count > m.extra || pool.constants.count > m.constants
            || program.files.count > m.files || program.interner.count > m.names else { return }
        evaluator.releaseSnapshot()
        if pool.nodes.count > m.nodes { pool.nodes.removeSubrange(m.nodes...) }
        if pool.extra.count > m.extra { pool.extra.removeSubrange(m.extra...) }
        if pool.constants.count > m.constants { pool.constants.removeSubrange(m.constants...) }
        if model.solveSites.count > m.solveSites { model.solveSites.removeSubrange(m.solveSites...) }
        // A query's new identifiers (unknown names, misspellings) resolve to nothing that
        // outlives it; a later query interns them afresh.
        program.interner.truncate(to: m.names)
        if model.siteKeys.count > m.siteKeys {
            let limit = Int32(truncatingIfNeeded: m.nodes)
            model.siteKeys = model.siteKeys.filter { $0.key < limit }
        }
        if program.files.count > m.files {
            program.truncateFiles(to: m.files)
            // Warnings are reported once per place; the places of scratch files come back.
            if !evaluator.warningKeys.isEmpty {
                evaluator.warningKeys = evaluator.warningKeys.filter { key in
                    Int(key.prefix(while: { $0 != ":" })).map { $0 < m.files } ?? true
                }
            }
        }
        evaluator.refresh()
    }

    /// Incremented by every change that must outlive a scratch scope (``set(_:_:)``).
    private var permanentWrites = 0
    var whatIfs = WhatIfRuntime()

    private func collectRuntimeErrors() -> [Diagnostic] {
        let d = evaluator.diagnostics
        evaluator.diagnostics = []
        return d
    }

    /// Evaluates overrides (path → expression) without changing the model and returns
    /// every value that changed, in dependency order.
    public func whatIf(_ overrides: [String: String]) throws -> [Change] {
        try whatIf(overrides.sorted { $0.key < $1.key }.map { (path: $0.key, expr: $0.value) })
    }

    /// Like ``whatIf(_:)-(_:[String:String])`` with overrides applied in order.
    @_disfavoredOverload
    public func whatIf(_ overrides: [(path: String, expr: String)]) throws -> [Change] {
        try enter()
        defer { busy = false }
        return try withScratch {
            let (changes, saved) = try apply(compileOverrides(overrides))
            let errors = collectRuntimeErrors()
            undo(consume saved)
            if errors.contains(where: { $0.severity == .error }) { throw StratError(diagnostics: errors) }
            return changes
        }
    }

    /// Commits an override (incrementally recomputing its dependents) and returns the changes.
    @discardableResult
    public func set(_ path: String, _ expression: String) throws -> [Change] {
        try enter()
        defer { busy = false }
        let (changes, saved) = try apply(compileOverrides([(path, expression)]))
        permanentWrites += 1
        let errors = collectRuntimeErrors()
        if errors.contains(where: { $0.severity == .error }) {
            undo(saved)
            throw StratError(diagnostics: errors)
        }
        committed.append((path, expression))
        diagnostics.append(contentsOf: errors)
        whatIfs.recycle(consume saved)
        return changes
    }

    /// Recomputes every value from scratch (a full recalculation, as a spreadsheet's
    /// Ctrl-Alt-F9); values are unchanged unless host functions are impure. Called from
    /// a host function while this engine evaluates, it does nothing (it would recurse
    /// without end).
    public func recalculate() {
        guard (try? enter()) != nil else { return }
        defer { busy = false }
        for i in evaluator.state.indices { evaluator.state[i] = .pending }
        evaluator.evaluateAll()
        diagnostics.append(contentsOf: collectRuntimeErrors())
    }

    /// Number of cells computed so far (a probe for incremental recomputation).
    public var cellsComputed: Int { evaluator.computed }

    /// Number of cells in the model's dependency graph.
    public var cellCount: Int { model.cells.count }

    // MARK: Scenarios

    /// Names of the declared scenarios, in order (without `baseline`).
    public var scenarioNames: [String] { model.scenarios.map { program.interner[$0.name] } }

    /// A scenario's overrides as path and expression source text.
    package func scenarioOverrides(_ name: String) throws -> [(path: String, expr: String)] {
        if name == "baseline" { return [] }
        guard let id = program.interner.lookup(name), case .scenario(let s)? = model.globals[id] else {
            let hint = closest(name, among: scenarioNames + ["baseline"]).map { "did you mean '\($0)'?" }
            throw StratError(diagnostics: [Diagnostic(severity: .error, kind: .compile, message: "unknown scenario '\(name)'", hint: hint)])
        }
        let sc = model.scenarios[Int(s)]
        return sc.overrides.map { o in
            let f = program.files[Int(o.span.file)]
            let path = o.path.map { program.interner[$0.name] }.joined(separator: ".")
            let e = model.pool[o.expr].span
            return (path, f.text(e.start, e.end))
        }
    }

    /// Runs `body` with a scenario and extra overrides applied (for queries such as
    /// ``evaluate(_:)``), then restores the model.
    @_disfavoredOverload
    public func withOverrides<T>(scenario name: String?, overrides: [(path: String, expr: String)],
                                 _ body: () throws -> T) throws -> T {
        if busy { try enter() }
        return try withScenario(name, overrides: overrides, body)
    }

    /// Applies a scenario and extra overrides, runs the statements, and calls `body`; then
    /// restores the model.
    func withScenario<T>(_ name: String?, overrides: [(path: String, expr: String)],
                         _ body: () throws -> T) throws -> T {
        try refuseIfBroken()
        return try withScratch {
            var all = try resolvedScenario(name ?? "baseline")
            let fromScenario = all.count
            all.append(contentsOf: try compileOverrides(overrides))
            let saved: WhatIfUndo
            do {
                (_, saved) = try apply(all)
            } catch let e as StratError where fromScenario > 0 {
                throw locateAtScenario(e, name ?? "baseline")
            }
            let savedScenario = scenario, writes = permanentWrites
            scenario = name
            defer {
                undo(saved)
                scenario = savedScenario
                // A `set` inside the scope recomputed values the undo has just put back.
                if permanentWrites != writes {
                    for i in evaluator.state.indices { evaluator.state[i] = .pending }
                    evaluator.evaluateAll()
                }
            }
            return try body()
        }
    }

    /// A scenario's overrides, resolved once at load time (``checkScenarios()``); an
    /// override whose self-references could not be located is compiled from its text.
    private func resolvedScenario(_ name: String) throws -> [ResolvedOverride] {
        if name == "baseline" { return [] }
        let texts = try scenarioOverrides(name)
        guard let id = program.interner.lookup(name), case .scenario(let s)? = model.globals[id],
              Int(s) < scenarioPlans.count else {
            return try compileOverrides(texts)
        }
        return try zip(scenarioPlans[Int(s)], texts).map { plan, text in
            try plan ?? compileOverride(path: text.path, expr: text.expr)
        }
    }

    /// A reference cycle that a scenario's overrides create is the scenario's error: it
    /// points at the override (of a name in the cycle) rather than at a `let` that is
    /// fine without the scenario.
    private func locateAtScenario(_ e: StratError, _ name: String) -> StratError {
        guard let id = program.interner.lookup(name), case .scenario(let s)? = model.globals[id] else { return e }
        let sc = model.scenarios[Int(s)]
        return StratError(diagnostics: e.diagnostics.map { d in
            guard d.message.hasPrefix("reference cycle") else { return d }
            let culprit = sc.overrides.first { o in
                d.message.contains(o.path.map { program.interner[$0.name] }.joined(separator: "."))
            }
            let span = culprit.map { Span(file: $0.span.file, start: $0.path[0].span.start, end: $0.path.last!.span.end) } ?? sc.span
            return DiagnosticSink.make(.error, d.kind, d.message + " (created by scenario '\(name)')", at: span,
                                       hint: d.hint, files: program.files)
        })
    }

    /// The report of the model under a scenario (`nil` or "baseline" for none), with
    /// extra overrides applied on top; the model itself is left unchanged.
    @_disfavoredOverload
    public func report(scenario name: String? = nil, overrides: [(path: String, expr: String)] = []) throws -> Report {
        try report(scenario: name, overrides: overrides, includeSeries: true)
    }

    /// A report; without `includeSeries`, projections carry their final value but no
    /// per-period series (a projection nothing reads period by period is then never
    /// stored: `strat run --no-report` on a million periods).
    @_disfavoredOverload
    public func report(scenario name: String?, overrides: [(path: String, expr: String)], includeSeries: Bool) throws -> Report {
        try report(scenario: name, overrides: overrides, includeSeries: includeSeries, includeVariables: true)
    }

    /// A report without `variables` when `includeVariables` is false: the CLI's text,
    /// Markdown and HTML reports do not show them, and on a 100,000-`let` model they are
    /// 100,000 names and values built only to be thrown away (about 5 MB).
    package func report(scenario name: String?, overrides: [(path: String, expr: String)], includeSeries: Bool,
                        includeVariables: Bool) throws -> Report {
        try enter()
        defer { busy = false }
        return try withScenario(name, overrides: overrides) {
            let keptPrinted = printed, keptAssertions = assertions
            runAllStatements(emit: false)
            if includeSeries { materializeAllSeries() }
            let errs = collectRuntimeErrors()
            var r = buildReport(scenario: name ?? "baseline", diagnostics: errs, includeVariables: includeVariables)
            r.overrides = overrides.map { ReportOverride(path: $0.path, expr: $0.expr) }
            printed = keptPrinted
            assertions = keptAssertions
            return r
        }
    }

    /// Compares key outputs across scenarios. The scenarios share one step budget
    /// (`maxSteps` for the whole comparison, not per scenario).
    public func compare(scenarios names: [String]) throws -> [(scenario: String, report: Report)] {
        evaluator.steps = 0
        sharingSteps = true
        defer { sharingSteps = false }
        return try names.map { ($0, try report(scenario: $0)) }
    }

    /// While set, operations keep counting steps from where the previous one stopped.
    private var sharingSteps = false

    /// Starts an operation's step count (unless a comparison shares one budget).
    func resetSteps() {
        if !sharingSteps { evaluator.steps = 0 }
    }

    // MARK: Introspection for tools (REPL completion, :ls)

    /// The kind of one top-level name (as ``declaredNames`` gives it), or nil: a constant-time
    /// look-up for callers that would otherwise list every name per input.
    package func declaredKind(of name: String) -> String? {
        guard let k = program.interner.lookup(name), let g = model.globals[k] else { return nil }
        switch g {
        case .cell: return "let"
        case .function: return "fn"
        case .scenario: return "scenario"
        case .object(let o):
            let obj = model.objects[Int(o)]
            return obj.kind == .projection && model.projections[Int(obj.projection)].isSeries ? "series" : obj.kind.word
        case .objects: return "list"
        }
    }

    /// Top-level names with their kinds (`let`, `fn`, `objective`, …), in declaration order.
    public var declaredNames: [(name: String, kind: String)] {
        var out: [(String, String, Int32, Int32)] = []
        for (k, g) in model.globals {
            let span = model.globalSpan(k) ?? .none
            let kind: String
            switch g {
            case .cell: kind = "let"
            case .function: kind = "fn"
            case .scenario: kind = "scenario"
            case .object(let o):
                let obj = model.objects[Int(o)]
                kind = obj.kind == .projection && model.projections[Int(obj.projection)].isSeries ? "series" : obj.kind.word
            case .objects: kind = "list"
            }
            out.append((program.interner[k], kind, span.file, span.start))
        }
        out.sort { ($0.2, $0.3) < ($1.2, $1.3) }
        return out.map { ($0.0, $0.1) }
    }

    /// Members of the object an expression path names (for completion after `.`).
    public func members(of path: String) -> [String] {
        guard let v = try? evaluate(path) else { return [] }
        let ids: [Int32]
        switch v {
        case .ref(let r): ids = [r.id]
        case .list(let l): ids = l.compactMap { if case .ref(let r) = $0 { return r.id } else { return nil } }
        default: return []
        }
        guard let first = ids.first else { return [] }
        var names = model.objects[Int(first)].order.map { program.interner[$0] }
        if model.objects[Int(first)].kind == .projection { names.append(contentsOf: projectionComputedMembers) }
        if ids.count > 1 || names.isEmpty { names.append(contentsOf: []) }
        var seen = Set<String>()
        return (names + ["name", "path"]).filter { seen.insert($0).inserted }
    }

    /// Evaluation state for reports.
    var state: (model: Model, evaluator: Evaluator) { (model, evaluator) }
}

extension Evaluator {
    /// Drops views of the pool so that it can grow without copying.
    mutating func releaseSnapshot() {
        nodes = []
        constants = []
        extra = []
    }
}

extension Parser {
    /// Reports trailing tokens after a lone expression.
    mutating func expectEnd() {
        skipTrailing()
    }
}

extension Engine {
    /// Sizes of what the engine holds that queries could grow (tests check they stay flat).
    var retainedCounts: [String: Int] {
        ["nodes": program.pool.nodes.count, "extra": program.pool.extra.count,
         "constants": program.pool.constants.count, "files": program.files.count,
         "cells": model.cells.count, "codes": evaluator.codes.count, "solveSites": model.solveSites.count,
         "siteKeys": model.siteKeys.count, "volatile": model.volatile.count,
         "dependents": model.dependents.edgeCount, "order": model.order.count,
         "interned": program.interner.count]
    }
}
