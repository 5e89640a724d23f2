/// What one `delay(x, k)` call site has seen while its group steps: x at periods
/// `first`, `first + 1`, …
struct DelayHistory {
    var first: Int
    var values: [Double]
    var unit: NumberUnit
}

/// Time functions and period reads (SPEC §6, §14): `other[t - k]` while stepping,
/// `cumsum`, `delay`, `lookup`, `p.at(DATE)`, `p.dates` and `p[0]`.
extension Evaluator {
    func projectionName(_ q: Int) -> String {
        model.interner[model.objects[Int(model.projections[q].object)].name]
    }

    /// Period `k` of projection `q` while a group steps, or an error saying why it is not there.
    mutating func readPeriod(_ q: Int, _ k: Int, _ span: Span) throws(EvalError) -> Value {
        let s = projSeries[q]
        if k >= 0 && k < s.count { return .number(s[k], projUnits[q]) }
        let name = projectionName(q)
        if k < 0 {
            throw EvalError(message: "'\(name)' has no period \(k): periods start at 0", span: span,
                            hint: "at period \(projT) this reads before the start; guard it with 'if t > … then … else …' or use delay()")
        }
        let n = projCounts[q]
        if n >= 0 && k > n {
            throw EvalError(message: "'\(name)' has no period \(k): it ends at period \(n)", span: span,
                            hint: "this projection runs longer than '\(name)'; give '\(name)' more periods or read min(t, \(n))")
        }
        throw EvalError(message: "period \(k) of '\(name)' is not computed yet (at period \(projT))", span: span,
                        hint: "a projection reads another's same period only when that one does not read it back; read t - 1 instead")
    }

    mutating func callTimeBuiltin(_ b: Builtin, _ n: Node, _ node: Int32) throws(EvalError) -> Value {
        switch b {
        case .cumsum:
            let v = try eval(extra[Int(n.b)])
            guard case .list = v else { throw EvalError(message: "cumsum() needs a list, got \(describeOperand(v, extra[Int(n.b)]))", span: n.span) }
            let xs = try numberArgs(n, "cumsum", flatten: true)
            var total = 0.0
            var out: [Value] = []
            out.reserveCapacity(xs.count)
            for x in xs {
                total += x.0
                guard total.isFinite else { throw EvalError(message: "cumsum() result is not a finite number", span: n.span) }
                out.append(.number(total, xs[0].1))
            }
            return .list(out)
        case .delay:
            return try delay(n, node)
        case .lookup:
            return try lookup(n)
        case .at:
            return try periodAt(n)
        default:
            throw EvalError(message: "internal: not a time function", span: n.span)
        }
    }

    /// `delay(x, k)`: x's value k periods earlier, its first value before that. Each
    /// evaluation records x for the current period.
    private mutating func delay(_ n: Node, _ node: Int32) throws(EvalError) -> Value {
        guard extra.childCount(n) == 2 else { throw EvalError(message: "delay() takes a value and a number of periods: delay(x, 2)", span: n.span) }
        let (k, ku) = try oneNumber(n, 1, "delay")
        guard ku.isDimensionless, k == k.rounded(), k >= 0, k < 1e9 else {
            throw EvalError(message: "delay() needs a whole number of periods ≥ 0, got \(NumberFormat.display(k, ku))", span: n.span)
        }
        let (x, ux) = try oneNumber(n, 0, "delay")
        let t = projT
        var h = delays[node] ?? DelayHistory(first: t, values: [], unit: ux)
        guard h.unit.sameDimension(ux) else {
            throw EvalError(message: "unit mismatch in delay(): \(h.unit.nameForMessages) earlier, \(ux.nameForMessages) now", span: n.span, kind: .compile)
        }
        let idx = t - h.first
        if idx >= 0 {
            // A period the call was skipped in (an untaken branch) keeps the value before it.
            while h.values.count < idx { h.values.append(h.values.last ?? x) }
            if idx == h.values.count { h.values.append(x) } else { h.values[idx] = x }
        }
        delays[node] = h
        let j = Swift.max(0, Swift.min(t - Int(k) - h.first, h.values.count - 1))
        return .number(h.values[j], h.unit)
    }

    /// `lookup(x, [[x0, y0], [x1, y1], …])`: piecewise-linear through the points (x
    /// ascending), clamped to the first and last y outside them.
    private mutating func lookup(_ n: Node) throws(EvalError) -> Value {
        guard extra.childCount(n) == 2 else { throw EvalError(message: "lookup() takes a value and a table: lookup(x, [[0, 1], [10, 2]])", span: n.span) }
        let (x, ux) = try oneNumber(n, 0, "lookup")
        let tv = try eval(extra[Int(n.b) + 1])
        let tableHint = "the table is a list of [x, y] pairs with x ascending, e.g. [[0, 1], [10, 2]]"
        guard case .list(let rows) = tv, !rows.isEmpty else {
            let got = tv.listValue != nil ? "an empty list" : describeOperand(tv, extra[Int(n.b) + 1])
            throw EvalError(message: "lookup() needs a non-empty table, got \(got)", span: n.span, hint: tableHint)
        }
        var xs: [Double] = [], ys: [Double] = []
        var yu = NumberUnit.plain
        xs.reserveCapacity(rows.count)
        ys.reserveCapacity(rows.count)
        for (i, r) in rows.enumerated() {
            guard case .list(let pair) = r, pair.count == 2, case .number(let px, let pxu) = pair[0], case .number(let py, let pyu) = pair[1] else {
                throw EvalError(message: "lookup() table row \(i) is not a pair of numbers [x, y]", span: n.span, hint: tableHint)
            }
            guard pxu.sameDimension(ux) else {
                throw EvalError(message: "unit mismatch in lookup(): x is \(ux.nameForMessages) but the table's x is \(pxu.nameForMessages)", span: n.span, kind: .compile)
            }
            if i == 0 { yu = pyu } else if !pyu.sameDimension(yu) {
                throw EvalError(message: "unit mismatch in lookup(): the table's y values are \(yu.nameForMessages) and \(pyu.nameForMessages)", span: n.span, kind: .compile)
            }
            if let last = xs.last, px < last {
                throw EvalError(message: "lookup() table x values must ascend (row \(i) goes back)", span: n.span, hint: tableHint)
            }
            xs.append(px)
            ys.append(py)
        }
        if x <= xs[0] { return .number(ys[0], yu) }
        if x >= xs[xs.count - 1] { return .number(ys[ys.count - 1], yu) }
        // Binary search for the segment xs[lo] <= x < xs[lo + 1].
        var lo = 0, hi = xs.count - 1
        while hi - lo > 1 {
            let mid = (lo + hi) / 2
            if xs[mid] <= x { lo = mid } else { hi = mid }
        }
        let span = xs[hi] - xs[lo]
        if span == 0 { return .number(ys[hi], yu) }
        return .number(ys[lo] + (ys[hi] - ys[lo]) * (x - xs[lo]) / span, yu)
    }

    /// The anchor date of projection `p` (its `from`, or its inputs' for a series).
    private mutating func anchor(_ p: Int, _ span: Span, required: Bool) throws(EvalError) -> CalendarDate? {
        let pr = model.projections[p]
        guard pr.anchor >= 0 else {
            if !required { return nil }
            throw EvalError(message: "'\(projectionName(p))' has no dates", span: span,
                            hint: "anchor it at a date: projection \(projectionName(p)) over … from 2026-07-01 { … }")
        }
        return try read(pr.anchor, span).dateValue
    }

    /// `p.at(DATE)`: the value of the period containing DATE.
    private mutating func periodAt(_ n: Node) throws(EvalError) -> Value {
        guard extra.childCount(n) == 2 else { throw EvalError(message: "'at' takes one date: p.at(2026-06-30)", span: n.span) }
        let recv = try eval(extra[Int(n.b)])
        guard case .ref(let r) = recv, model.objects[Int(r.id)].kind == .projection else {
            throw EvalError(message: "'at' needs a projection or series, not \(describeOperand(recv, extra[Int(n.b)]))", span: n.span)
        }
        let p = Int(model.objects[Int(r.id)].projection)
        let dv = try eval(extra[Int(n.b) + 1])
        guard let date = dv.dateValue else {
            throw EvalError(message: "'at' needs a date, not \(describeOperand(dv, extra[Int(n.b) + 1]))", span: n.span, hint: "e.g. \(r.path).at(2026-06-30)")
        }
        _ = try read(model.projections[p].group, n.span)
        try ensureSeries(p, n.span)
        guard let a = try anchor(p, n.span, required: true) else { throw EvalError.dependency }
        let count = projSeries[p].count - 1
        let unit = model.projections[p].period
        guard count >= 0 else { throw EvalError.dependency }
        guard date >= a else {
            throw EvalError(message: "\(date) is before the first period of '\(r.path)' (\(a.label(unit)), from \(a))", span: n.span)
        }
        // The last period whose first day is on or before the date.
        var lo = 0, hi = count + 1
        while hi - lo > 1 {
            let mid = (lo + hi) / 2
            if let d = a.periodStart(mid, unit), d <= date { lo = mid } else { hi = mid }
        }
        if let end = a.periodStart(count + 1, unit), date >= end {
            throw EvalError(message: "\(date) is after the last period of '\(r.path)' (period \(count), which ends before \(end))", span: n.span)
        }
        // An uncertain projection or series: the period's samples, not their mean.
        if lo < mc.projDists[p].count { return .dist(mc.projDists[p][lo], projUnits[p]) }
        return .number(projSeries[p][lo], projUnits[p])
    }

    /// `p.dates`: the first day of each period, or none without an anchor.
    mutating func projectionDates(_ p: Int, _ span: Span) throws(EvalError) -> Value {
        _ = try read(model.projections[p].group, span)
        guard let a = try anchor(p, span, required: false) else { return .none }
        let count = projCounts[p]
        guard count >= 0 else { return .none }
        var out: [Value] = []
        out.reserveCapacity(count + 1)
        for t in 0...count {
            guard let d = a.periodStart(t, model.projections[p].period) else {
                throw EvalError(message: "the dates of '\(projectionName(p))' run past the year 9999", span: span)
            }
            out.append(.date(d))
        }
        return .list(out)
    }

    /// `p[0]` outside its own group: the start within min/max, without the whole series.
    mutating func projectionFirst(_ p: Int, _ span: Span) throws(EvalError) -> Value {
        let pr = model.projections[p]
        guard pr.start >= 0 else { return .none }
        let start = try read(pr.start, span)
        if case .dist(let smp, let u) = start, !smp.isBool { return try uncertainFirst(p, smp, u, span) }
        guard case .number(var s, let u) = start else { return .none }
        if pr.min >= 0, case .number(let lo, _) = try read(pr.min, span) { s = Swift.max(s, lo) }
        if pr.max >= 0, case .number(let hi, _) = try read(pr.max, span) { s = Swift.min(s, hi) }
        return .number(s, u)
    }

    /// `p[0]` of a projection whose start is uncertain: the start's samples within min/max.
    @inline(never) private mutating func uncertainFirst(_ p: Int, _ smp: Samples, _ u: NumberUnit, _ span: Span) throws(EvalError) -> Value {
        let pr = model.projections[p]
        var lo = -Double.infinity, hi = Double.infinity
        for (cell, isMin) in [(pr.min, true), (pr.max, false)] where cell >= 0 {
            switch try read(cell, span) {
            case .number(let d, _): if isMin { lo = d } else { hi = d }
            case .dist:
                // Uncertain bounds: the period as the group stepped it.
                _ = try read(pr.group, span)
                if let first = mc.projDists[p].first { return .dist(first, projUnits[p]) }
                return .none
            default: return .none
            }
        }
        if lo == -.infinity && hi == .infinity { return .dist(smp, u) }
        let out = Samples(uninitialized: smp.count)
        for i in 0..<smp.count { out.data[i] = Swift.min(Swift.max(smp[i], lo), hi) }
        return .dist(out, u)
    }
}
