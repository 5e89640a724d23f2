/// Tracking semantics (SPEC §15): a KR's or metric's pacing against its period, its
/// least-squares forecast and health; objective and plan roll-ups; overdue actions.
///
/// Decisions where the spec is silent (docs/tracking.md):
/// - `elapsed` is clamped to 0…1 (before the start 0, from the end date on 1).
/// - `pace` is `none` while nothing is expected yet (elapsed 0, before the start).
/// - The forecast fits the baseline at the start (0 when a linear target has no
///   baseline: progress counts from zero) and the check-ins at or before `today`. A KR
///   with a `current:` but no check-in yet counts that value as of `today`.
/// - Threshold targets pace as met / not met: `expected` is the threshold, `pace` 1 or 0,
///   and `forecast_score` 1 when the forecast meets the threshold, else 0.
extension Model {
    func trackingDeps(_ cell: Cell) -> [Int32] {
        let o = cell.owner
        func m(_ n: String) -> Int32? { member(o, n) }
        func list(_ n: String) -> [Int32] {
            if case .objects(let l)? = objects[Int(o)].members[id(n)] { return l }
            return []
        }
        let committed: Int32? = objects[Int(o)].kind == .kr ? member(objects[Int(o)].parent, "committed") : nil
        switch cell.derived {
        case .elapsed: return ["start", "end"].compactMap(m)
        case .expected: return ["baseline", "target", "elapsed"].compactMap(m)
        case .pace: return ["progress", "elapsed"].compactMap(m)
        case .forecast:
            return ["baseline", "target", "current", "start", "end"].compactMap(m)
                + list("history").flatMap { h in ["date", "value"].compactMap { member(h, $0) } }
        case .forecastScore: return ["baseline", "target", "forecast"].compactMap(m)
        case .health: return [m("forecast_score"), committed].compactMap { $0 }
        case .objectiveForecast:
            return list("krs").flatMap { k in [member(k, "forecast_score"), member(k, "weight")].compactMap { $0 } }
        case .objectiveHealth: return ["forecast_score", "committed"].compactMap(m)
        case .planForecast:
            return (builtinLists["objectives"] ?? []).flatMap { k in [member(k, "forecast_score"), member(k, "weight")].compactMap { $0 } }
        case .planHealth: return [m("forecast_score")].compactMap { $0 }
        case .overdue:
            return (builtinLists["retros"] ?? []).flatMap { r -> [Int32] in
                guard case .objects(let acts)? = objects[Int(r)].members[id("actions")] else { return [] }
                return acts.flatMap { a in ["due", "status"].compactMap { member(a, $0) } }
            }
        default: return []
        }
    }
}

extension Evaluator {
    mutating func trackingDerived(_ cell: Cell) throws(EvalError) -> Value {
        let o = cell.owner, span = cell.span
        switch cell.derived {
        case .elapsed:
            guard let (start, end) = try period(o, span) else { return .none }
            return .number(Self.elapsed(today: model.asOf, start: start, end: end))
        case .expected:
            guard let e = try optionalNumber(o, "elapsed", span), let t = try optionalNumber(o, "target", span) else { return .none }
            if model.objects[Int(o)].targetForm != .linear { return .number(t.0, t.1) }
            let b = try optionalNumber(o, "baseline", span) ?? (0, t.1)
            return .number(b.0 + (t.0 - b.0) * e.0, t.1)
        case .pace:
            guard let e = try optionalNumber(o, "elapsed", span), let p = try optionalNumber(o, "progress", span) else { return .none }
            if model.objects[Int(o)].targetForm != .linear { return .number(p.0 >= 1 ? 1 : 0) }
            return Self.pace(progress: p.0, elapsed: e.0).map { .number($0) } ?? .none
        case .forecast:
            return try forecast(o, span)
        case .forecastScore:
            guard let f = try optionalNumber(o, "forecast", span), let t = try optionalNumber(o, "target", span) else { return .none }
            switch model.objects[Int(o)].targetForm {
            case .atLeast: return .number(f.0 >= t.0 || Value.numbersEqual(f.0, t.0) ? 1 : 0)
            case .atMost: return .number(f.0 <= t.0 || Value.numbersEqual(f.0, t.0) ? 1 : 0)
            case .linear:
                let b = try optionalNumber(o, "baseline", span)?.0 ?? 0
                if Value.numbersEqual(b, t.0) { return .number(Value.numbersEqual(f.0, t.0) ? 1 : 0) }
                let p = (f.0 - b) / (t.0 - b)
                return p.isFinite ? .number(Swift.min(Swift.max(p, 0), 1)) : .none
            }
        case .health, .objectiveHealth, .planHealth:
            guard let f = try optionalNumber(o, "forecast_score", span) else { return .none }
            let owner = model.objects[Int(o)]
            let committedOwner = owner.kind == .kr ? owner.parent : o
            var committed = false
            if committedOwner >= 0, owner.kind != .plan, owner.kind != .metric,
               case .bool(true)? = try memberValue(committedOwner, "committed", span) { committed = true }
            return .string(Self.health(f.0, committed: committed))
        case .objectiveForecast:
            guard case .objects(let krs)? = model.objects[Int(o)].members[model.id("krs")] else { return .none }
            return try weightedForecast(krs, span)
        case .planForecast:
            return try weightedForecast(model.builtinLists["objectives"] ?? [], span)
        case .overdue:
            return try overdueActions(span)
        default:
            return .none
        }
    }

    /// Fraction of a period passed on `today`, clamped to 0…1.
    static func elapsed(today: CalendarDate, start: CalendarDate, end: CalendarDate) -> Double {
        let x = Double(today.days - start.days) / Double(end.days - start.days)
        return Swift.min(Swift.max(x, 0), 1)
    }

    /// progress / elapsed; none before the period starts (nothing is expected yet).
    static func pace(progress: Double, elapsed: Double) -> Double? {
        elapsed > 0 ? progress / elapsed : nil
    }

    /// `on track` from 0.7 (1 when committed), `needs attention` from 0.4, else `at risk`.
    static func health(_ forecastScore: Double, committed: Bool) -> String {
        let s = forecastScore + 1e-9
        return s >= (committed ? 1 : 0.7) ? "on track" : s >= 0.4 ? "needs attention" : "at risk"
    }

    /// The least-squares line through `points` (x in days), read at `x`. One point (or
    /// all at one date) is a flat line; none is nil.
    static func leastSquares(_ points: [(x: Double, y: Double)], at x: Double) -> Double? {
        guard !points.isEmpty else { return nil }
        let n = Double(points.count)
        let mx = points.reduce(0) { $0 + $1.x } / n, my = points.reduce(0) { $0 + $1.y } / n
        var sxx = 0.0, sxy = 0.0
        for p in points { sxx += (p.x - mx) * (p.x - mx); sxy += (p.x - mx) * (p.y - my) }
        if sxx == 0 { return my }
        return my + sxy / sxx * (x - mx)
    }

    /// The period of a KR or metric (its own, its objective's or the plan's), if any.
    private mutating func period(_ o: Int32, _ span: Span) throws(EvalError) -> (CalendarDate, CalendarDate)? {
        guard let s = try memberValue(o, "start", span), let e = try memberValue(o, "end", span), !s.isNone, !e.isNone else { return nil }
        let path = model.objects[Int(o)].path
        guard let start = s.dateValue, let end = e.dateValue else {
            throw EvalError(message: "the period of '\(path)' must be given by dates (start: \(s), end: \(e))", span: span,
                            hint: "write dates as YYYY-MM-DD, e.g. plan { start: 2026-01-01, end: 2026-12-31 }")
        }
        guard start < end else {
            throw EvalError(message: "the period of '\(path)' ends (\(end)) before it starts (\(start))", span: span)
        }
        return (start, end)
    }

    private mutating func forecast(_ o: Int32, _ span: Span) throws(EvalError) -> Value {
        guard let (start, end) = try period(o, span), let t = try optionalNumber(o, "target", span) else { return .none }
        var points: [(x: Double, y: Double)] = []
        var unit = t.1
        if let b = try optionalNumber(o, "baseline", span) { points.append((0, b.0)) }
        else if model.objects[Int(o)].targetForm == .linear { points.append((0, 0)) }
        var checked = false
        if case .objects(let hist)? = model.objects[Int(o)].members[model.id("history")] {
            for h in hist {
                guard let d = try memberValue(h, "date", span)?.dateValue, !(model.asOf < d),
                      let v = try optionalNumber(h, "value", span) else { continue }
                guard v.1.sameDimension(t.1) else {
                    throw EvalError(message: "a check-in of '\(model.objects[Int(o)].path)' is \(v.1.nameForMessages) but its target is \(t.1.nameForMessages)",
                                    span: model.objects[Int(h)].span)
                }
                points.append((Double(d.days - start.days), v.0))
                unit = v.1
                checked = true
            }
        }
        if !checked {
            // No check-in yet: a given `current:` counts as of today (once the period has begun).
            guard let c = try optionalNumber(o, "current", span), model.asOf.days > start.days else { return .none }
            points.append((Double(Swift.min(model.asOf.days, end.days) - start.days), c.0))
            unit = c.1
        }
        guard let y = Self.leastSquares(points, at: Double(end.days - start.days)), y.isFinite else { return .none }
        return .number(y, unit)
    }

    private mutating func weightedForecast(_ items: [Int32], _ span: Span) throws(EvalError) -> Value {
        var sw = 0.0, s = 0.0, n = 0
        for k in items {
            guard let f = try optionalNumber(k, "forecast_score", span) else { continue }
            let w = try optionalNumber(k, "weight", span) ?? (1, .plain)
            guard w.0 >= 0 else { continue }
            sw += w.0
            s += w.0 * f.0
            n += 1
        }
        return n == 0 || sw == 0 ? .none : .number(s / sw)
    }

    /// Retro actions due before `today` whose status is not `done`.
    private mutating func overdueActions(_ span: Span) throws(EvalError) -> Value {
        var out: [Value] = []
        for r in model.builtinLists["retros"] ?? [] {
            guard case .objects(let acts)? = model.objects[Int(r)].members[model.id("actions")] else { continue }
            for a in acts {
                guard let due = try memberValue(a, "due", span) else { continue }
                let date: CalendarDate?
                switch due {
                case .string(let s): date = CalendarDate(s)
                default: date = due.dateValue
                }
                guard let d = date, d < model.asOf else { continue }
                if case .string(let st)? = try memberValue(a, "status", span), st.lowercased() == "done" { continue }
                out.append(.ref(ObjectRef(id: a, path: model.objects[Int(a)].path)))
            }
        }
        return .list(out)
    }
}
