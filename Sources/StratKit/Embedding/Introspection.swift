/// Questions a planner asks of a model: why does this value have that number, what does
/// it depend on, where was it declared. The REPL's `:explain`, `:deps` and `:show` use these.
extension Engine {
    /// The formula tree behind an expression, with every input's value, e.g.
    /// `engine.explain("MODERNIZE_PLATFORM.score")`. `depth` is how many levels below the
    /// top are expanded (a formula's nested sub-expressions share one level); nodes cut
    /// there have ``Explanation/truncated`` set, as are nodes past the first
    /// ``Engine/maxExplanationNodes``, a node with a long formula counting once per
    /// 2 KB of it (a formula of thousands of terms would otherwise explain, and evaluate,
    /// each of its sub-expressions with the formula's whole text). Hosts draw the tree
    /// themselves.
    public func explain(_ expression: String, depth: Int = 3) throws -> Explanation {
        try withScratch { try explainQuery(expression, depth: depth) }
    }

    private func explainQuery(_ expression: String, depth: Int) throws -> Explanation {
        let node = try compileForQuery(expression)
        var budget = Engine.maxExplanationNodes
        return explainNode(node, depth: depth, budget: &budget)
    }

    /// The most nodes ``explain(_:depth:)`` puts in a tree.
    public static let maxExplanationNodes = 500

    /// Explanations of `items` while the budget lasts.
    private func explained(_ items: [Int32], budget: inout Int, _ make: (Int32, inout Int) -> Explanation) -> [Explanation] {
        var out: [Explanation] = []
        for k in items {
            guard budget > 0 else { break }
            out.append(make(k, &budget))
        }
        return out
    }

    /// The cells a value or an object reads (inputs) and the cells that read it
    /// (dependents), by path. A projection's internal group cell is looked through: a
    /// projection's results read what its formulas read, and what reads a projection reads
    /// its results. For an object (`GROW`, `GROW.ARR`), its own cells are left out.
    public func dependencies(of path: String) throws -> (inputs: [String], dependents: [String]) {
        let (model, _) = state
        var own = Set<Int32>()
        switch try member(at: path) {
        case .cell(let c): own.insert(c)
        case .object(let o): own = model.cells(within: [o])
        case .objects(let list): own = model.cells(within: list)
        }
        model.ensureDependents()
        let isGroup: (Int32) -> Bool = { model.cells[Int($0)].kind == .derived && model.cells[Int($0)].derived == .projectionGroup }
        func closure(_ edges: EdgeLists) -> [String] {
            var seen = own
            var found = Set<Int32>()
            var stack = own.flatMap { edges[Int($0)] }
            while let c = stack.popLast() {
                guard seen.insert(c).inserted else { continue }
                if isGroup(c) { stack += edges[Int(c)] } else { found.insert(c) }
            }
            return found.map { model.cellPath($0) }.sorted()
        }
        return (closure(model.deps), closure(model.dependents))
    }

    /// The source text that declares a top-level name, or nil.
    public func definition(of name: String) -> String? {
        let (model, _) = state
        guard let span = model.declSpan(name), span.file >= 0 else { return nil }
        let f = model.program.files[Int(span.file)]
        return f.text(span.start, span.end)
    }

    /// Every value of the model with its path (for diffs between two versions of a model).
    public func valuesByPath() -> [(path: String, value: Value)] {
        let (model, ev) = state
        var out: [(String, Value)] = []
        out.reserveCapacity(model.cells.count)
        for c in model.cells.indices {
            let cell = model.cells[c]
            if cell.kind == .derived && cell.derived == .projectionGroup { continue }
            if cell.owner >= 0 && model.objects[Int(cell.owner)].kind == .plan && !(cell.kind == .derived) { continue }
            if cell.owner < 0 && cell.span.file >= 0 && model.program.files[Int(cell.span.file)].path.hasPrefix("<stdlib>") { continue }
            out.append((model.cellPath(Int32(c)), ev.state[c] == .ok ? ev.values[c] : .none))
        }
        return out
    }

    /// A projection's series by period (t = 0…N), its period unit, or nil.
    public func series(of name: String) -> (values: [Value], period: String)? {
        guard let id = state.model.interner.lookup(name), case .object(let o)? = state.model.globals[id],
              state.model.objects[Int(o)].kind == .projection else { return nil }
        let p = Int(state.model.objects[Int(o)].projection)
        materializeSeries(p)
        let (model, ev) = state
        let u = ev.projUnits[p]
        return (ev.projSeries[p].map { .number($0, u) }, model.projections[p].period.rawValue)
    }

    // MARK: Explanation trees

    /// Where a span starts, or nil for a synthetic one.
    private func location(_ span: Span) -> Explanation.Location? {
        let files = state.model.program.files
        guard span.file >= 0, Int(span.file) < files.count else { return nil }
        let f = files[Int(span.file)]
        let (line, column) = f.lineColumn(span.start)
        return Explanation.Location(path: f.path, line: line, column: column)
    }

    private func explainCell(_ c: Int32, depth: Int, budget: inout Int) -> Explanation {
        budget -= 1
        let (model, ev) = state
        let cell = model.cells[Int(c)]
        let outcome: Explanation.Outcome = ev.state[Int(c)] == .ok ? .value(ev.values[Int(c)])
            : ev.state[Int(c)] == .failed ? .failed : .notEvaluated
        var e = Explanation(name: model.cellPath(c), kind: .expression, outcome: outcome, location: location(cell.span))
        switch cell.kind {
        case .constant:
            e.kind = .notGiven
        case .formula:
            let n = model.pool[cell.node]
            let formula = model.program.files[Int(n.span.file)].text(n.span.start, n.span.end)
            e.kind = .formula(formula)
            budget -= formula.utf8.count / 2048
            let (kids, more) = explainedChildren(cell.node)
            if depth > 0 { e.children = explained(kids, budget: &budget) { explainNode($0, depth: depth - 1, budget: &$1) } }
            e.truncated = more || e.children.count < kids.count
        case .derived:
            e.kind = .rule(rule(c))
            // Declaration order reads best (the graph keeps inputs in no particular order).
            let inputs = model.deps[Int(c)].filter { model.cells[Int($0)].derived != .projectionGroup || model.cells[Int($0)].kind != .derived }
                .sorted()
            if depth > 0 { e.children = explained(inputs, budget: &budget) { explainCell($0, depth: depth - 1, budget: &$1) } }
            e.truncated = e.children.count < inputs.count
        }
        return e
    }

    private func rule(_ c: Int32) -> String {
        let (model, _) = state
        let cell = model.cells[Int(c)]
        switch cell.derived {
        case .progress:
            let o = model.objects[Int(cell.owner)]
            switch o.targetForm {
            case .atLeast: return "1 if current >= target, else 0"
            case .atMost: return "1 if current <= target, else 0"
            case .linear:
                if let b = model.member(cell.owner, "baseline"), model.cells[Int(b)].kind != .constant || state.evaluator.values[Int(b)] != .none {
                    return "(current - baseline) / (target - baseline)"
                }
                return "current / target"
            }
        case .score: return "clamp(progress, 0, 1)"
        case .status: return "red below 0.4, yellow below 0.7, else green"
        case .met: return "progress >= 1"
        case .objectiveScore: return "weighted mean of the key results' scores"
        case .objectiveStatus: return "committed: green only at 1.0; else red < 0.4 <= yellow < 0.7 <= green"
        case .planScore: return "weighted mean of the objectives' scores"
        case .planStatus: return "red below 0.4, yellow below 0.7, else green"
        case .unsupported: return "priorities no objective or key result supports"
        case .unaddressed: return "weaknesses and threats nothing addresses"
        case .ife: return "Σ weight × rating over strengths and weaknesses"
        case .efe: return "Σ weight × rating over opportunities and threats"
        case .ieCell: return "Internal–External matrix cell from IFE and EFE"
        case .posture: return "grow and build (I, II, IV), hold and maintain (III, V, VII), harvest or divest"
        case .exposure: return "probability × impact"
        case .projectionGroup: return "the projection's series"
        case .projectionFinal: return "the value at the last period"
        case .chance: return "P(score >= 0.7), or P(score = 1) when committed"
        case .projectionFirst: return "the value at period 0 (the start, within min/max)"
        case .projectionDates: return "the first day of each period, from the anchor date"
        case .seriesPeriods: return "the periods the series' inputs all have"
        case .elapsed: return "fraction of the period passed on today, 0…1"
        case .expected: return "baseline + (target - baseline) × elapsed"
        case .pace: return "progress / elapsed (met / not met for a threshold)"
        case .forecast: return "least-squares line through the baseline at start and the check-ins, read at the end date"
        case .forecastScore: return "the score the forecast would get"
        case .health, .objectiveHealth, .planHealth: return "on track from forecast_score 0.7 (1 when committed), needs attention from 0.4, else at risk"
        case .objectiveForecast: return "weighted mean of the key results' forecast scores"
        case .planForecast: return "weighted mean of the objectives' forecast scores"
        case .overdue: return "retro actions due before today and not done"
        }
    }

    private func explainNode(_ node: Int32, depth: Int, budget: inout Int) -> Explanation {
        let (model, _) = state
        let n = model.pool[node]
        if n.kind == .cell { return explainCell(n.a, depth: depth, budget: &budget) }
        let text = model.program.files[Int(n.span.file)].text(n.span.start, n.span.end)
        budget -= 1 + text.utf8.count / 2048
        let outcome: Explanation.Outcome = (try? evaluateNode(node)).map { .value($0) } ?? .failed
        var e = Explanation(name: text, kind: .expression, outcome: outcome, location: location(n.span))
        let (kids, more) = explainedChildren(node)
        // A formula's sub-expressions are one level of the tree with their formula.
        if depth > 0 { e.children = explained(kids, budget: &budget) { explainNode($0, depth: depth, budget: &$1) } }
        e.truncated = more || e.children.count < kids.count
        return e
    }

    /// The sub-expressions of a node worth explaining, and whether some past the first
    /// twelve arguments of a long list or call were left out.
    private func explainedChildren(_ node: Int32) -> (kids: [Int32], more: Bool) {
        let (model, _) = state
        let n = model.pool[node]
        var kids: [Int32] = [], rest: [Int32] = []
        switch n.kind {
        case .binary, .index: kids = [n.a, n.b]
        case .neg, .not, .dynMember: kids = [n.a]
        case .cond: let (t, e) = model.pool.branches(n); kids = [n.a, t, e]
        case .list, .builtin, .userCall, .hostCall, .interp:
            let all = model.pool.children(n)
            kids = Array(all.prefix(12))
            rest = Array(all.dropFirst(12))
        default: break
        }
        // Literals explain themselves; synthetic nodes (an empty span, such as a tracked KR's
        // "unscored until its first check-in" guard) have no source to show.
        func worth(_ k: Int32) -> Bool {
            let kid = model.pool[k]
            return kid.kind != .number && kid.kind != .string && kid.kind != .bool && kid.kind != .none && kid.span.end > kid.span.start
        }
        return (kids.filter(worth), rest.contains(where: worth))
    }
}

/// Why a value is what it is: one node of the tree ``Engine/explain(_:depth:)`` returns,
/// with its value and the nodes it is computed from. The library draws no tree: the CLI
/// prints `├─`/`└─` lines, the language server a hover, each from these fields.
public struct Explanation: Sendable, Hashable {
    /// How the node's value comes about.
    public enum Kind: Sendable, Hashable {
        /// A model value the model does not give (a default, or `none`).
        case notGiven
        /// A model value computed by a formula; its source text.
        case formula(String)
        /// A value the language computes (a score, a status, a roll-up), its rule in words:
        /// `clamp(progress, 0, 1)`.
        case rule(String)
        /// A sub-expression of a formula or of the query; ``Explanation/name`` is its source text.
        case expression
    }

    /// The node's value, or why there is none.
    public enum Outcome: Sendable, Hashable {
        /// It evaluated to this.
        case value(Value)
        /// Its evaluation failed (a diagnostic of the load or of the query says why).
        case failed
        /// It was not computed.
        case notEvaluated
    }

    /// Where a node is declared: a model value's declaration, an expression's first
    /// character (a query's own expressions are in `<expr>`).
    public struct Location: Sendable, Hashable {
        /// The file's path as it was loaded.
        public var path: String
        /// 1-based line.
        public var line: Int
        /// 1-based column, counting characters.
        public var column: Int

        /// Makes a location.
        public init(path: String, line: Int, column: Int) {
            self.path = path
            self.line = line
            self.column = column
        }
    }

    /// A model value's path (`RETENTION.score`), or an expression's source text.
    public var name: String
    /// Formula, rule, not given, or a sub-expression.
    public var kind: Kind
    /// Its value, or why it has none.
    public var outcome: Outcome
    /// Where it is, or nil for a node with no source.
    public var location: Location?
    /// The nodes its value is computed from, in declaration order.
    public var children: [Explanation] = []
    /// True when it has inputs that are not among ``children``: the depth ran out, a
    /// list or call has more than twelve arguments, or the tree reached
    /// ``Engine/maxExplanationNodes``.
    public var truncated = false

    /// Makes a node; trees come from the engine, this is for hosts' own tests.
    public init(name: String, kind: Kind, outcome: Outcome, location: Location? = nil,
                children: [Explanation] = [], truncated: Bool = false) {
        self.name = name
        self.kind = kind
        self.outcome = outcome
        self.location = location
        self.children = children
        self.truncated = truncated
    }

    /// The value, or nil when it failed or was not computed.
    public var value: Value? {
        if case .value(let v) = outcome { return v }
        return nil
    }

    /// The unit of a numeric value, or nil.
    public var unit: NumberUnit? { value?.unit }

    /// The value as Strat shows it; `(failed)` (`(error)` for an expression) or `none`
    /// without one.
    public var valueText: String {
        switch outcome {
        case .value(let v): return v.description
        case .failed: return kind == .expression ? "(error)" : "(failed)"
        case .notEvaluated: return "none"
        }
    }

    /// How a model value comes about, in one line: its formula (nil when that is just its
    /// value's text, such as `3.8%`), its rule, or `not given`; nil for an expression.
    public var note: String? {
        switch kind {
        case .notGiven: return "not given"
        case .formula(let f): return f == valueText ? nil : f
        case .rule(let r): return r
        case .expression: return nil
        }
    }
}

extension Model {
    /// The cells of some objects and of the objects nested in them (a key result's cells
    /// belong to its objective too).
    func cells(within roots: [Int32]) -> Set<Int32> {
        let rootSet = Set(roots)
        func inside(_ o: Int32) -> Bool {
            var o = o, hops = 0
            while o >= 0, hops <= objects.count {
                if rootSet.contains(o) { return true }
                o = objects[Int(o)].parent
                hops += 1
            }
            return false
        }
        var out = Set<Int32>()
        for c in cells.indices where cells[c].owner >= 0 && inside(cells[c].owner) { out.insert(Int32(c)) }
        return out
    }
}
