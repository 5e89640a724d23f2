/// The structural diff of two versions of a model (SPEC §15, `strat diff`): declarations
/// added and removed, then every value that changed, scores and health first, the rest
/// in dependency order. The library compares two loaded engines; reading the old version
/// (a file, `git show`) is the host's business.

/// A declaration present in only one version.
public struct DeclarationChange: Sendable, Hashable {
    /// Its path, such as `MODERNIZE_PLATFORM.LATENCY` or `Engineering.strengths.TALENT`.
    public var path: String
    /// `let`, `fn`, `objective`, `kr`, `metric`, `swot`, `item`, `checkin`, …
    public var kind: String
}

/// What changed between two versions of a model.
public struct ModelDiff: Sendable {
    /// Declarations only in the new version.
    public var added: [DeclarationChange] = []
    /// Declarations only in the old version.
    public var removed: [DeclarationChange] = []
    /// Values in both versions that differ: scores and health first, then dependency order.
    public var changed: [Change] = []

    /// An empty diff.
    public init() {}

    /// True when nothing differs.
    public var isEmpty: Bool { added.isEmpty && removed.isEmpty && changed.isEmpty }
}

extension Engine {
    /// Compares `old` (an earlier version of the model) with this engine's model, both
    /// under their current scenario.
    public func diff(from old: Engine) -> ModelDiff {
        let before = old.diffSnapshot(), after = diffSnapshot()
        var d = ModelDiff()
        let oldDecls = Set(before.declarations.map(\.path)), newDecls = Set(after.declarations.map(\.path))
        d.added = after.declarations.filter { !oldDecls.contains($0.path) }
        d.removed = before.declarations.filter { !newDecls.contains($0.path) }
        let oldValues = Dictionary(before.values.map { ($0.path, $0.value) }, uniquingKeysWith: { a, _ in a })
        var changed: [(rank: Int, order: Int, change: Change)] = []
        for v in after.values {
            guard let b = oldValues[v.path], !Self.sameValue(b, v.value) else { continue }
            changed.append((v.rank, v.order, Change(path: v.path, before: b, after: v.value)))
        }
        changed.sort { ($0.rank, $0.order) < ($1.rank, $1.order) }
        d.changed = changed.map(\.change)
        return d
    }

    /// Values equal as shown and in base units (a display-unit change alone is a change too).
    static func sameValue(_ a: Value, _ b: Value) -> Bool {
        if a == b { return true }
        if case .number(let x, let ux) = a, case .number(let y, let uy) = b { return ux == uy && Value.numbersEqual(x, y) }
        return false
    }

    /// Declarations and values of the model, with each value's place in the diff's order.
    private func diffSnapshot() -> (declarations: [DeclarationChange], values: [(path: String, value: Value, rank: Int, order: Int)]) {
        let (model, ev) = state
        var decls: [DeclarationChange] = []
        var values: [(String, Value, Int, Int)] = []
        func fromStdlib(_ span: Span) -> Bool {
            Int(span.file) < model.program.files.count && model.program.files[Int(span.file)].path.hasPrefix("<stdlib>")
        }
        func value(_ c: Int32) -> Value { ev.state[Int(c)] == .ok ? ev.values[Int(c)] : .none }
        func order(_ c: Int32) -> Int { Int(c) < model.position.count ? Int(model.position[Int(c)]) : Int(c) }
        let key: Set<String> = ["score", "status", "health", "forecast_score"]
        for c in model.lets where !fromStdlib(model.cells[Int(c)].span) {
            decls.append(DeclarationChange(path: model.name(model.cells[Int(c)].name), kind: "let"))
            values.append((model.name(model.cells[Int(c)].name), value(c), 3, order(c)))
        }
        for f in model.functions where !fromStdlib(f.span) {
            decls.append(DeclarationChange(path: model.name(f.name), kind: "fn"))
        }
        for s in model.scenarios { decls.append(DeclarationChange(path: model.name(s.name), kind: "scenario")) }
        for o in model.objects {
            if o.kind != .plan && fromStdlib(o.span) { continue }
            var kind = o.kind.word
            if o.kind == .item, let c = o.category { kind = c.keyword }
            if o.kind == .projection, o.projection >= 0, model.projections[Int(o.projection)].isSeries { kind = "series" }
            if o.kind != .plan { decls.append(DeclarationChange(path: o.path, kind: kind)) }
            let rank = o.kind == .plan ? 0 : (o.kind == .objective ? 1 : 2)
            for name in o.order {
                guard case .cell(let c)? = o.members[name] else { continue }
                let n = model.name(name)
                if o.kind == .projection && (n == "series" || n == "first") { continue }
                values.append((o.path + "." + n, value(c), key.contains(n) ? rank : 3, order(c)))
            }
        }
        return (decls, values)
    }
}
