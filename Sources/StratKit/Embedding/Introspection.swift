/// Questions a planner asks of a model: why does this value have that number, what does
/// it depend on, where was it declared. The REPL's `:explain`, `:deps` and `:show` use these.
extension Engine {
    /// The formula tree behind an expression, with every input's value, e.g.
    /// `engine.explain("MODERNIZE_PLATFORM.score")`.
    public func explain(_ expression: String, depth: Int = 3) throws -> String {
        try withScratch { try explainQuery(expression, depth: depth) }
    }

    private func explainQuery(_ expression: String, depth: Int) throws -> String {
        let node = try compileForQuery(expression)
        var out: [String] = []
        let (model, _) = state
        if model.pool[node].kind == .cell {
            explainCell(model.pool[node].a, prefix: "", childPrefix: "", depth: depth, into: &out)
        } else {
            explainNode(node, prefix: "", childPrefix: "", depth: depth, into: &out)
        }
        return out.joined(separator: "\n")
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
        func closure(_ edges: [[Int32]]) -> [String] {
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

    // MARK: Tree rendering

    private func line(_ prefix: String, _ text: String, _ value: String, _ note: String? = nil) -> String {
        var s = prefix + text
        if text != value { s += " = " + value }
        if let n = note { s += "    ← " + n }
        return s
    }

    private func explainCell(_ c: Int32, prefix: String, childPrefix: String, depth: Int, into out: inout [String]) {
        let (model, ev) = state
        let cell = model.cells[Int(c)]
        let value = ev.state[Int(c)] == .ok ? ev.values[Int(c)].description : ev.state[Int(c)] == .failed ? "(failed)" : "none"
        let path = model.cellPath(c)
        switch cell.kind {
        case .constant:
            out.append(line(prefix, path, value, "not given"))
        case .formula:
            let n = model.pool[cell.node]
            let formula = model.program.files[Int(n.span.file)].text(n.span.start, n.span.end)
            out.append(line(prefix, path, value, formula == value ? nil : formula))
            if depth > 0 { explainChildren(cell.node, childPrefix: childPrefix, depth: depth - 1, into: &out) }
        case .derived:
            out.append(line(prefix, path, value, rule(c)))
            if depth > 0 {
                // Declaration order reads best (the graph keeps inputs in no particular order).
                let inputs = model.deps[Int(c)].filter { model.cells[Int($0)].derived != .projectionGroup || model.cells[Int($0)].kind != .derived }
                    .sorted()
                for (i, d) in inputs.enumerated() {
                    let last = i == inputs.count - 1
                    explainCell(d, prefix: childPrefix + (last ? "└─ " : "├─ "), childPrefix: childPrefix + (last ? "   " : "│  "),
                                depth: depth - 1, into: &out)
                }
            }
        }
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

    private func explainNode(_ node: Int32, prefix: String, childPrefix: String, depth: Int, into out: inout [String]) {
        let (model, _) = state
        let n = model.pool[node]
        if n.kind == .cell {
            explainCell(n.a, prefix: prefix, childPrefix: childPrefix, depth: depth, into: &out)
            return
        }
        let text = model.program.files[Int(n.span.file)].text(n.span.start, n.span.end)
        let value = (try? evaluateNode(node))?.description ?? "(error)"
        out.append(line(prefix, text, value))
        if depth > 0 { explainChildren(node, childPrefix: childPrefix, depth: depth, into: &out) }
    }

    private func explainChildren(_ node: Int32, childPrefix: String, depth: Int, into out: inout [String]) {
        let (model, _) = state
        let n = model.pool[node]
        var kids: [Int32] = []
        switch n.kind {
        case .binary, .index: kids = [n.a, n.b]
        case .neg, .not, .dynMember: kids = [n.a]
        case .cond: kids = [n.a, n.b, n.c]
        case .list, .builtin, .userCall, .hostCall, .interp: kids = Array(model.pool.children(n).prefix(12))
        default: break
        }
        // Literals explain themselves; synthetic nodes (an empty span, such as a tracked KR's
        // "unscored until its first check-in" guard) have no source to show.
        kids = kids.filter { let k = model.pool[$0].kind; return k != .number && k != .string && k != .bool && k != .none }
        kids = kids.filter { let sp = model.pool[$0].span; return sp.end > sp.start }
        for (i, k) in kids.enumerated() {
            let last = i == kids.count - 1
            explainNode(k, prefix: childPrefix + (last ? "└─ " : "├─ "), childPrefix: childPrefix + (last ? "   " : "│  "),
                        depth: depth, into: &out)
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
