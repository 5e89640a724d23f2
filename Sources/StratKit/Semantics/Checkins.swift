/// Tracking declarations (SPEC §15): the plan period, inherited periods, dated check-ins
/// and the tracking members of key results, metrics, objectives and the plan.
///
/// Check-in dates are literals, so a KR's history is ordered and its `current` (the
/// latest check-in at or before `today`) chosen while building; `today` is fixed per
/// build (a new `--as-of` rebuilds the model, as for `today` in formulas).
extension Model {
    /// One check-in entry of one KR or metric, before it becomes an object.
    private struct Entry {
        var date: CalendarDate
        var value: Int32 = -1
        var valueSpan: Span = .none
        var confidence: Int32 = -1
        var confidenceSpan: Span = .none
        var note: String?
        var span: Span
    }

    func buildTracking(periods: [Decl], checkins: [Decl]) {
        if let first = periods.first {
            for extra in periods.dropFirst() {
                sink.error("a model has at most one 'plan { … }' period", at: extra.nameSpan)
                sink.add(.note, .compile, "first 'plan' period here", at: first.nameSpan)
            }
            for p in first.props {
                let n = interner[p.name]
                guard n == "start" || n == "end" else {
                    sink.error("'plan { … }' takes 'start' and 'end', not '\(n)'", at: p.span,
                               hint: closest(n, among: ["start", "end"]).map { "did you mean '\($0)'?" })
                    continue
                }
                addProp(plan, p)
            }
        }
        // Periods: a KR takes its own, else its objective's, else the plan's.
        func inherit(_ o: Int32, from src: Int32) {
            for k in ["start", "end"] where objects[Int(o)].members[id(k)] == nil {
                guard let c = member(src, k) else { continue }
                let n = pool.add(Node(kind: .cell, a: c, span: objects[Int(o)].span))
                objects[Int(o)].add(id(k), .cell(addCell(Cell(kind: .formula, node: n, owner: o, name: id(k), span: objects[Int(o)].span))))
            }
        }
        let objectives = builtinLists["objectives"] ?? []
        for o in objectives {
            inherit(o, from: plan)
            if case .objects(let krs)? = objects[Int(o)].members[id("krs")] { for k in krs { inherit(k, from: o) } }
        }
        for m in builtinLists["metrics"] ?? [] { inherit(m, from: plan) }

        // Check-ins, grouped by KR or metric.
        var entries: [Int32: [Entry]] = [:]
        // Per KR, the entry index of each date (a big actuals file has many rows per KR).
        var byDate: [Int32: [Int: Int]] = [:]
        for d in checkins {
            let date = CalendarDate(unixSeconds: pool.numberValue(pool[d.expr]).doubleValue ?? 0)
            let note: String? = d.message >= 0 ? stringNode(d.message) : nil
            let imported = !d.path.isEmpty
            for e in d.overrides {
                guard let (target, rest) = checkinTarget(e.path, imported: imported) else { continue }
                var list = entries.removeValue(forKey: target) ?? []
                let k: Int
                if let at = byDate[target]?[date.days] {
                    k = at
                } else {
                    list.append(Entry(date: date, note: note, span: d.nameSpan))
                    k = list.count - 1
                    byDate[target, default: [:]][date.days] = k
                }
                let isConfidence = rest == "confidence"
                let previous = isConfidence ? list[k].confidence : list[k].value
                if previous >= 0 {
                    let prevSpan = isConfidence ? list[k].confidenceSpan : list[k].valueSpan
                    sink.add(.warning, .compile,
                             "'\(objects[Int(target)].path)\(isConfidence ? ".confidence" : "")' has two check-ins on \(date); the later one is used",
                             at: e.span)
                    sink.add(.note, .compile, "the earlier check-in is here", at: prevSpan)
                }
                if isConfidence { list[k].confidence = e.expr; list[k].confidenceSpan = e.span }
                else { list[k].value = e.expr; list[k].valueSpan = e.span }
                if let note { list[k].note = note }
                entries[target] = list
            }
        }
        if !checkins.isEmpty || !periods.isEmpty { readsToday = true }

        var scored: [Int32] = []
        for o in objectives { if case .objects(let krs)? = objects[Int(o)].members[id("krs")] { scored += krs } }
        scored += builtinLists["metrics"] ?? []
        for k in scored {
            let list = (entries[k] ?? []).sorted { $0.date < $1.date }
            var history: [Int32] = []
            var latestValue: Int32 = -1, latestConfidence: Int32 = -1
            for e in list {
                let c = addObject(Object(kind: .checkin, name: id("history"), path: "\(objects[Int(k)].path).history[\(e.date)]",
                                         parent: k, span: e.span))
                objects[Int(c)].add(id("date"), .cell(constantCell(.date(e.date), owner: c, name: id("date"), span: e.span)))
                for (name, node, span) in [("value", e.value, e.valueSpan), ("confidence", e.confidence, e.confidenceSpan)] {
                    let cell = node >= 0
                        ? addCell(Cell(kind: .formula, node: node, owner: c, name: id(name), span: span))
                        : constantCell(.none, owner: c, name: id(name), span: e.span)
                    objects[Int(c)].add(id(name), .cell(cell))
                    if node >= 0, !(asOf < e.date) {
                        if name == "value" { latestValue = cell } else { latestConfidence = cell }
                    }
                }
                objects[Int(c)].add(id("note"), .cell(constantCell(e.note.map { .string($0) } ?? .none, owner: c, name: id("note"), span: e.span)))
                history.append(c)
            }
            objects[Int(k)].add(id("history"), .objects(history))
            for (name, src) in [("current", latestValue), ("confidence", latestConfidence)] {
                if src >= 0 {
                    let n = pool.add(Node(kind: .cell, a: src, span: cells[Int(src)].span))
                    objects[Int(k)].add(id(name), .cell(addCell(Cell(kind: .formula, node: n, owner: k, name: id(name), span: cells[Int(src)].span))))
                } else if objects[Int(k)].members[id(name)] == nil {
                    objects[Int(k)].add(id(name), .cell(constantCell(.none, owner: k, name: id(name), span: objects[Int(k)].span)))
                }
            }
            // A tracked KR is unscored until its first check-in, whatever its `score:` formula
            // (SPEC §5: without current, score is none), so `--as-of` before it works.
            if !history.isEmpty, case .cell(let sc)? = objects[Int(k)].members[id("score")], cells[Int(sc)].customScore,
               case .cell(let cur)? = objects[Int(k)].members[id("current")] {
                let at = cells[Int(sc)].span
                let span = Span(file: at.file, start: at.start, end: at.start)  // synthetic: no source of its own
                let test = pool.add(Node(kind: .binary, op: BinaryOp.eq.rawValue, a: pool.add(Node(kind: .cell, a: cur, span: span)),
                                         b: pool.add(Node(kind: .none, span: span)), span: span))
                let branches = pool.addExtra([pool.add(Node(kind: .none, span: span)), cells[Int(sc)].node])
                cells[Int(sc)].node = pool.add(Node(kind: .cond, a: test, b: branches, span: pool[cells[Int(sc)].node].span))
            }
            addDerived(k, [("elapsed", .elapsed), ("expected", .expected), ("pace", .pace), ("forecast", .forecast),
                           ("forecast_score", .forecastScore), ("health", .health)])
        }
        for o in objectives { addDerived(o, [("forecast_score", .objectiveForecast), ("health", .objectiveHealth)]) }
        addDerived(plan, [("forecast_score", .planForecast), ("health", .planHealth), ("overdue", .overdue)])
    }

    private func addDerived(_ o: Int32, _ list: [(String, Derived)]) {
        for (k, v) in list {
            if objects[Int(o)].declared.contains(id(k)) {
                sink.error("'\(k)' is computed and cannot be set", at: objects[Int(o)].span)
                continue
            }
            let c = addCell(Cell(kind: .derived, derived: v, owner: o, name: id(k), span: objects[Int(o)].span))
            objects[Int(o)].add(id(k), .cell(c))
        }
    }

    func stringNode(_ node: Int32) -> String? {
        let n = pool[node]
        if n.kind == .string, case .string(let s) = pool.constants[Int(n.a)] { return s }
        return nil
    }

    /// The KR or metric a check-in path names, and what is left (`""` or `"confidence"`).
    /// An unknown path is an error in a model, a warning (the row is left out) in an actuals file.
    private func checkinTarget(_ path: [(name: Int32, span: Span)], imported: Bool) -> (Int32, String)? {
        func fail(_ message: String, _ span: Span, _ hint: String?) -> (Int32, String)? {
            sink.add(imported ? .warning : .error, .compile, message + (imported ? "; the row is left out" : ""), at: span, hint: hint)
            return nil
        }
        let text = path.map { interner[$0.name] }.joined(separator: ".")
        // Candidates for "did you mean", only computed for a path that fails.
        func trackedPaths() -> [String] {
            var tracked: [String] = []
            for o in builtinLists["objectives"] ?? [] {
                if case .objects(let krs)? = objects[Int(o)].members[id("krs")] { tracked += krs.map { objects[Int($0)].path } }
            }
            return tracked + (builtinLists["metrics"] ?? []).map { objects[Int($0)].path }
        }
        var o: Int32 = -1
        var i = 0
        if case .object(let g)? = globals[path[0].name] { o = g; i = 1 }
        while o >= 0, objects[Int(o)].kind == .objective, i < path.count, case .object(let k)? = objects[Int(o)].members[path[i].name] {
            o = k
            i += 1
        }
        guard o >= 0, objects[Int(o)].kind == .kr || objects[Int(o)].kind == .metric else {
            let at = path[max(0, min(i, path.count - 1))].span
            let tracked = sink.isFull ? [] : trackedPaths()
            let hint = closest(text, among: tracked).map { "did you mean '\($0)'?" }
                ?? (tracked.isEmpty ? nil : "check-ins name a KR or metric, e.g. '\(tracked[0])'")
            return fail("'\(text)' is not a key result or metric", at, hint)
        }
        let rest = path[i...].map { interner[$0.name] }.joined(separator: ".")
        guard rest.isEmpty || rest == "confidence" else {
            return fail("a check-in sets a KR or metric ('\(objects[Int(o)].path) = x') or its confidence, not '\(rest)'", path[i].span,
                        "write '\(objects[Int(o)].path) = …' or '\(objects[Int(o)].path).confidence = …'")
        }
        return (o, rest)
    }
}
