#if canImport(Glibc)
import Glibc
#endif

/// Built-in strategy semantics (SPEC §5, §6): key-result progress and scores, objective
/// and plan roll-ups, SWOT matrices, alignment gaps and projections.
extension Evaluator {
    mutating func computeDerived(_ c: Int32, _ cell: Cell) throws(EvalError) -> Value {
        let o = cell.owner
        if !model.siteKeys.isEmpty, let v = try uncertainDerived(cell) { return v }
        switch cell.derived {
        case .chance: return try chance(cell)
        case .progress: return try progress(o, cell.span)
        case .score:
            guard let p = try optionalNumber(o, "progress", cell.span) else { return .none }
            return .number(Swift.min(Swift.max(p.0, 0), 1))
        case .met:
            guard let p = try optionalNumber(o, "progress", cell.span) else { return .none }
            return .bool(p.0 >= 1 || Value.numbersEqual(p.0, 1))
        case .status:
            guard let s = try optionalNumber(o, "score", cell.span) else { return .none }
            return .string(Self.status(s.0))
        case .objectiveScore:
            return try weightedMean(krs(o), cell.span)
        case .objectiveStatus:
            guard let s = try optionalNumber(o, "score", cell.span) else { return .none }
            if case .bool(true)? = try memberValue(o, "committed", cell.span) {
                return .string(s.0 >= 1 || Value.numbersEqual(s.0, 1) ? "green" : "red")
            }
            return .string(Self.status(s.0))
        case .planScore:
            return try weightedMean(model.builtinLists["objectives"] ?? [], cell.span)
        case .planStatus:
            guard let s = try optionalNumber(o, "score", cell.span) else { return .none }
            return .string(Self.status(s.0))
        case .unsupported, .unaddressed:
            return try alignmentGaps(cell.derived == .unsupported, cell.span)
        case .ife, .efe:
            return try matrixScore(o, isInternal: cell.derived == .ife, cell.span)
        case .ieCell, .posture:
            guard let i = try optionalNumber(o, "ife", cell.span), let e = try optionalNumber(o, "efe", cell.span) else { return .none }
            // The status bands' tolerance: 0.7×3 + 0.3×3 is 2.9999999999999996, shown as 3.00.
            func band(_ x: Double) -> Int { x + 1e-9 >= 3.0 ? 0 : x + 1e-9 >= 2.0 ? 1 : 2 }
            let n = band(e.0) * 3 + band(i.0) + 1
            let roman = ["I", "II", "III", "IV", "V", "VI", "VII", "VIII", "IX"][n - 1]
            if cell.derived == .ieCell { return .string(roman) }
            switch n {
            case 1, 2, 4: return .string("grow and build")
            case 3, 5, 7: return .string("hold and maintain")
            default: return .string("harvest or divest")
            }
        case .exposure:
            guard let p = try optionalNumber(o, "probability", cell.span), let i = try optionalNumber(o, "impact", cell.span) else {
                return .none
            }
            if p.0 < 0 || p.0 > 1 {
                warn("probability of '\(model.objects[Int(o)].path)' is \(NumberFormat.display(p.0, p.1)), outside 0…1", at: cell.span)
            }
            return .number(p.0 * i.0, NumberUnit.product(p.1, i.1))
        case .projectionGroup:
            try computeProjectionGroup(cell.projection, cell.span)
            return .none
        case .projectionFinal:
            let p = Int(cell.projection)
            _ = try read(model.projections[p].group, cell.span)
            guard !projSeries[p].isEmpty else { return .none }
            if let last = mc.projDists[p].last { return .dist(last, projUnits[p]) }
            return .number(projLast[p], projUnits[p])
        case .projectionFirst:
            return try projectionFirst(Int(cell.projection), cell.span)
        case .projectionDates:
            return try projectionDates(Int(cell.projection), cell.span)
        case .seriesPeriods:
            _ = try read(model.projections[Int(cell.projection)].group, cell.span)
            return .number(Double(projCounts[Int(cell.projection)]))
        default:
            return try trackingDerived(cell)
        }
    }

    /// A custom `score:` (SPEC §5): a dimensionless number, clamped to 0…1 with a warning
    /// when it leaves that range, so one formula cannot push a plan past 1.0.
    mutating func checkedScore(_ v: Value, _ cell: Cell) throws(EvalError) -> Value {
        let path = model.objects[Int(cell.owner)].path
        switch v {
        case .none: return v
        case .number(let d, let u):
            guard u.isDimensionless else {
                throw EvalError(message: "the score of '\(path)' must be dimensionless, not \(u.nameForMessages)", span: cell.span,
                                hint: "divide by a value of the same unit (for example current / target)", kind: .compile)
            }
            guard d.isFinite else { throw EvalError(message: "the score of '\(path)' is not a finite number", span: cell.span) }
            if d < 0 || d > 1 {
                warn("the score of '\(path)' is \(NumberFormat.significant(d)), outside 0…1; it was clamped to \(d < 0 ? 0 : 1)", at: cell.span)
                return .number(Swift.min(Swift.max(d, 0), 1), u)
            }
            return v
        default:
            throw EvalError(message: "the score of '\(path)' must be a number, not a \(v.kindName)", span: cell.span, kind: .compile)
        }
    }

    /// Google's grading bands; scores within 1e-9 of a band's edge count as reaching it
    /// (0.39999999999999997 is 0.4 computed in binary).
    static func status(_ score: Double) -> String {
        let s = score + 1e-9
        return s < 0.4 ? "red" : s < 0.7 ? "yellow" : "green"
    }

    private func krs(_ o: Int32) -> [Int32] {
        if case .objects(let l)? = model.objects[Int(o)].members[model.id("krs")] { return l }
        return []
    }

    mutating func memberValue(_ o: Int32, _ name: String, _ span: Span) throws(EvalError) -> Value? {
        guard let c = model.member(o, name) else { return nil }
        return try read(c, span)
    }

    /// A member that must be a number or none.
    mutating func optionalNumber(_ o: Int32, _ name: String, _ span: Span) throws(EvalError) -> (Double, NumberUnit)? {
        guard let v = try memberValue(o, name, span) else { return nil }
        switch v {
        case .none: return nil
        case .number(let d, let u): return (d, u)
        // Statuses, matrices and postures of an uncertain model read the means (SPEC §13).
        case .dist(let s, let u) where !s.isBool: return (s.mean, u)
        default:
            let c = model.member(o, name)!
            throw EvalError(message: "'\(model.cellPath(c))' must be a number, not a \(v.kindName)", span: model.cells[Int(c)].span)
        }
    }

    private mutating func progress(_ o: Int32, _ span: Span) throws(EvalError) -> Value {
        guard let cur = try optionalNumber(o, "current", span), let tgt = try optionalNumber(o, "target", span) else { return .none }
        let obj = model.objects[Int(o)]
        guard cur.1.sameDimension(tgt.1) else {
            throw EvalError(message: "unit mismatch in '\(obj.path)': current is \(cur.1.nameForMessages) but target is \(tgt.1.nameForMessages)",
                            span: span, kind: .compile)
        }
        switch obj.targetForm {
        case .atLeast: return .number(cur.0 >= tgt.0 || Value.numbersEqual(cur.0, tgt.0) ? 1 : 0)
        case .atMost: return .number(cur.0 <= tgt.0 || Value.numbersEqual(cur.0, tgt.0) ? 1 : 0)
        case .linear: break
        }
        if let base = try optionalNumber(o, "baseline", span) {
            guard base.1.sameDimension(tgt.1) else {
                throw EvalError(message: "unit mismatch in '\(obj.path)': baseline is \(base.1.nameForMessages) but target is \(tgt.1.nameForMessages)",
                                span: span, kind: .compile)
            }
            if Value.numbersEqual(base.0, tgt.0) {
                warn("'\(obj.path)' has a baseline equal to its target; progress is 1 only while current equals the target",
                     at: span, hint: "use 'target: >= X' or 'target: <= X' to hold a level")
                return .number(Value.numbersEqual(cur.0, tgt.0) ? 1 : 0)
            }
            return .number((cur.0 - base.0) / (tgt.0 - base.0))
        }
        if tgt.0 == 0 {
            throw EvalError(message: "cannot compute the progress of '\(obj.path)': its target is 0 and it has no baseline",
                            span: span, hint: "add a 'baseline:' to measure progress from", kind: .compile)
        }
        return .number(cur.0 / tgt.0)
    }

    /// Weighted mean of the scores of objects (KRs or objectives), skipping unscored ones.
    private mutating func weightedMean(_ items: [Int32], _ span: Span) throws(EvalError) -> Value {
        var sw = 0.0, s = 0.0, n = 0
        for k in items {
            guard let sc = try optionalNumber(k, "score", span) else { continue }
            let w = try optionalNumber(k, "weight", span) ?? (1, .plain)
            if w.0 < 0 {
                let c = model.member(k, "weight")!
                throw EvalError(message: "weight of '\(model.objects[Int(k)].path)' is negative", span: model.cells[Int(c)].span)
            }
            sw += w.0
            s += w.0 * sc.0
            n += 1
        }
        if n == 0 || sw == 0 { return .none }
        return .number(s / sw)
    }

    private mutating func refs(_ v: Value) -> [Int32] {
        switch v {
        case .ref(let r): return [r.id]
        case .list(let l): return l.flatMap { refs($0) }
        default: return []
        }
    }

    private mutating func alignmentGaps(_ priorities: Bool, _ span: Span) throws(EvalError) -> Value {
        var covered = Set<Int32>()
        for o in model.alignedObjects {
            if let v = try memberValue(o, priorities ? "supports" : "addresses", span) { covered.formUnion(refs(v)) }
        }
        var out: [Value] = []
        for s in model.builtinLists["swots"] ?? [] {
            let cats = priorities ? ["priorities"] : ["weaknesses", "threats"]
            for cat in cats {
                guard case .objects(let items)? = model.objects[Int(s)].members[model.id(cat)] else { continue }
                for i in items where !covered.contains(i) {
                    out.append(.ref(ObjectRef(id: i, path: model.objects[Int(i)].path)))
                }
            }
        }
        return .list(out)
    }

    private mutating func matrixScore(_ o: Int32, isInternal: Bool, _ span: Span) throws(EvalError) -> Value {
        let swot = model.objects[Int(o)]
        let cats: [(String, ClosedRange<Double>, String)] = isInternal
            ? [("strengths", 3...4, "strengths are rated 3 (minor) to 4 (major)"),
               ("weaknesses", 1...2, "weaknesses are rated 1 (major) to 2 (minor)")]
            : [("opportunities", 1...4, "ratings run from 1 to 4"), ("threats", 1...4, "ratings run from 1 to 4")]
        var pairs: [(Double, Double)] = []
        for (cat, range, rule) in cats {
            guard case .objects(let items)? = swot.members[model.id(cat)] else { continue }
            for i in items {
                let w = try optionalNumber(i, "weight", span)
                let r = try optionalNumber(i, "rating", span)
                let path = model.objects[Int(i)].path
                let at = model.objects[Int(i)].span
                guard let w, let r else {
                    if w != nil || r != nil {
                        warn("'\(path)' has a \(w != nil ? "weight but no rating" : "rating but no weight"); it is left out of the \(isInternal ? "IFE" : "EFE") score", at: at)
                    }
                    continue
                }
                if w.0 < 0 || w.0 > 1 { warn("weight of '\(path)' is \(NumberFormat.significant(w.0)), outside 0…1", at: at) }
                if !range.contains(r.0) {
                    warn("'\(path)' is rated \(NumberFormat.significant(r.0)); \(rule)", at: at)
                }
                pairs.append((w.0, r.0))
            }
        }
        if pairs.isEmpty { return .none }
        var total = 0.0
        for p in pairs { total += p.0 }
        if total <= 0 {
            throw EvalError(message: "the \(isInternal ? "IFE" : "EFE") weights of '\(swot.path)' sum to 0", span: swot.span)
        }
        // Within SPEC §5's ±0.01 the weights are used as given; only outside it are they
        // normalized (with a warning), so a rounding slip does not move the score.
        let within = abs(total - 1) <= 0.01 + 1e-12
        if !within {
            warn("the \(isInternal ? "internal (strength and weakness)" : "external (opportunity and threat)") weights of '\(swot.path)' sum to \(NumberFormat.significant(total)), not 1.0; they were normalized",
                 at: swot.span)
        }
        var score = 0.0
        for p in pairs { score += (within ? p.0 : p.0 / total) * p.1 }
        return .number(score)
    }

    // MARK: Projections

    mutating func periodCount(_ p: Int, _ span: Span) throws(EvalError) -> Int {
        let pr = model.projections[p]
        let name = model.interner[model.objects[Int(pr.object)].name]
        let v = try read(pr.count, span)
        guard case .number(let d, let u) = v, u.isDimensionless else {
            throw EvalError(message: "the period count of projection '\(name)' must be a plain number", span: model.cells[Int(pr.count)].span)
        }
        guard d == d.rounded(), d >= 0 else {
            throw EvalError(message: "the period count of projection '\(name)' must be a whole number ≥ 0", span: model.cells[Int(pr.count)].span)
        }
        guard d <= Double(limits.maxPeriods) else {
            throw EvalError(message: "projection '\(name)' has more than \(formatCount(limits.maxPeriods)) periods",
                            span: model.cells[Int(pr.count)].span, hint: "the period limit can be raised by the embedder")
        }
        return Int(d)
    }

    private mutating func computeProjectionGroup(_ root: Int32, _ span: Span) throws(EvalError) {
        if model.projectionRoots[Int(root)] != root { return }
        let members = (model.groupMembers[root] ?? [root]).map(Int.init)
        if !model.siteKeys.isEmpty, try stepUncertainGroup(members, span) { return }
        typealias Step = (p: Int, growth: Double?, lo: Double?, hi: Double?, unit: NumberUnit, next: Int32)
        var steps: [Step] = []
        var counts: [Int: Int] = [:]
        // Projections of other groups read period by period must be complete and stored.
        for p in members {
            for q in model.projections[p].reads where model.projectionRoots[Int(q)] != root {
                _ = try read(model.projections[Int(q)].group, span)
                try ensureSeries(Int(q), span)
            }
        }
        delays = [:]
        for p in members {
            let pr = model.projections[p]
            let name = model.interner[model.objects[Int(pr.object)].name]
            if pr.anchor >= 0 {
                let a = try read(pr.anchor, span)
                guard a.dateValue != nil else {
                    throw EvalError(message: "'from' of '\(name)' must be a date, not \(describeOperand(a, model.cells[Int(pr.anchor)].node))",
                                    span: model.cells[Int(pr.anchor)].span, hint: "e.g. from 2026-07-01", kind: .compile)
                }
            }
            projSeries[p] = []
            seriesStored[p] = false
            if pr.isSeries {
                steps.append((p: p, growth: nil, lo: nil, hi: nil, unit: .plain, next: pr.next))
                continue
            }
            let n = try periodCount(p, span)
            counts[p] = n
            let sv = try read(pr.start, span)
            guard case .number(let s, let u) = sv, !u.isDate else {
                throw EvalError(message: "the start of projection '\(name)' must be a number, not \(sv.dateValue != nil ? "a date" : describeOperand(sv, model.cells[Int(pr.start)].node))",
                                span: model.cells[Int(pr.start)].span,
                                hint: sv.dateValue != nil ? "anchor the projection at the date instead: over N periods from DATE" : nil)
            }
            var st: Step = (p: p, growth: nil, lo: nil, hi: nil, unit: u, next: pr.next)
            if pr.growth >= 0 {
                let g = try read(pr.growth, span)
                guard case .number(let gd, let gu) = g, gu.isDimensionless else {
                    throw EvalError(message: "the growth of projection '\(name)' must be a plain number or percent", span: model.cells[Int(pr.growth)].span)
                }
                st.growth = gd
            }
            for (cellIndex, isMin) in [(pr.min, true), (pr.max, false)] where cellIndex >= 0 {
                let v = try read(cellIndex, span)
                guard case .number(let d, let bu) = v, bu.sameDimension(u) else {
                    throw EvalError(message: "'\(isMin ? "min" : "max")' of projection '\(name)' must be a number in the unit of its start",
                                    span: model.cells[Int(cellIndex)].span)
                }
                if isMin { st.lo = d } else { st.hi = d }
            }
            var series: [Double] = []
            series.reserveCapacity(n + 1)
            var first = s
            if let lo = st.lo { first = Swift.max(first, lo) }
            if let hi = st.hi { first = Swift.min(first, hi) }
            series.append(first)
            projSeries[p] = series
            projUnits[p] = u
            steps.append(st)
        }
        // A series spans the periods every input has (the shortest of them).
        var changed = true
        while changed {
            changed = false
            for st in steps where model.projections[st.p].isSeries {
                var n = Int.max
                for q in model.projections[st.p].reads {
                    if let c = counts[Int(q)] ?? (projCounts[Int(q)] >= 0 && !members.contains(Int(q)) ? projCounts[Int(q)] : nil) { n = Swift.min(n, c) }
                }
                if n != Int.max && counts[st.p] != n { counts[st.p] = n; changed = true }
            }
        }
        for st in steps { projCounts[st.p] = counts[st.p] ?? 0 }
        let maxCount = steps.map { projCounts[$0.p] }.max() ?? 0
        let hasSeries = steps.contains { model.projections[$0.p].isSeries }
        defer {
            // Every path but the unstored single projection keeps all periods.
            for st in steps where projSeries[st.p].count > 1 || projCounts[st.p] <= 0 {
                seriesStored[st.p] = true
                projLast[st.p] = projSeries[st.p].last ?? 0
            }
        }
        // Series start at period 0, after every projection's start.
        for st in steps where model.projections[st.p].isSeries {
            let v = try seriesValue(st.p, 0)
            projUnits[st.p] = v.1
            projSeries[st.p].reserveCapacity(projCounts[st.p] + 1)
            projSeries[st.p].append(v.0)
        }
        if maxCount <= 0 { return }
        if !hasSeries, steps.allSatisfy({ projCounts[$0.p] == maxCount }), try stepCompiled(steps, maxCount, span) { return }
        for t in 1...maxCount {
            // A period may take few evaluation steps: poll here too, so Ctrl-C stops a long
            // projection promptly.
            if t & 0x3FF == 0, let stop = interrupt, stop() { throw EvalError(message: "interrupted", span: span) }
            for st in steps where t <= projCounts[st.p] {
                if model.projections[st.p].isSeries {
                    let v = try seriesValue(st.p, t)
                    projSeries[st.p].append(v.0)
                    continue
                }
                let prev = projSeries[st.p][t - 1]
                let v = try stepValue(st.p, prev, t, growth: st.growth, lo: st.lo, hi: st.hi, unit: st.unit, next: st.next)
                projSeries[st.p].append(v)
            }
        }
    }

    /// A series' value at period `t`, with its unit; a later period must keep the first one's dimension.
    private mutating func seriesValue(_ p: Int, _ t: Int) throws(EvalError) -> (Double, NumberUnit) {
        let node = model.projections[p].next
        projT = t
        // A constructor in the formula draws afresh each period, as in `next:`.
        let period = mc.period
        mc.period = t
        defer { mc.period = period }
        let r = try eval(node)
        if case .dist(let smp, let u) = r, !smp.isBool, !u.isDate { return try uncertainSeriesPeriod(p, t, smp, u, node) }
        guard case .number(let d, let u) = r, !u.isDate else {
            throw EvalError(message: "a series must give a number at every period, got \(describeOperand(r, node)) at period \(t)",
                            span: nodes[Int(node)].span)
        }
        // A plain period of a series that was uncertain earlier keeps the samples aligned.
        if !mc.projDists[p].isEmpty { mc.projDists[p].append(Samples(repeating: d, count: mc.samples)) }
        if t > 0, !u.sameDimension(projUnits[p]) {
            throw EvalError(message: "unit mismatch: the series gives \(u.nameForMessages) at period \(t) but \(projUnits[p].nameForMessages) at period 0",
                            span: nodes[Int(node)].span, kind: .compile)
        }
        guard d.isFinite else {
            throw EvalError(message: "series value at period \(t) is not a finite number", span: nodes[Int(node)].span)
        }
        return (d, t > 0 ? projUnits[p] : u)
    }

    /// Makes sure every period of projection `p` is stored, stepping it again if it was
    /// computed without keeping them.
    mutating func ensureSeries(_ p: Int, _ span: Span) throws(EvalError) {
        if seriesStored[p] { return }
        keepSeries[p] = true
        try computeProjectionGroup(model.projectionRoots[p], span)
    }

    /// One period of one projection through the general evaluator.
    private mutating func stepValue(_ p: Int, _ prev: Double, _ t: Int, growth: Double?, lo: Double?, hi: Double?,
                                    unit: NumberUnit, next: Int32) throws(EvalError) -> Double {
        var v: Double
        if let g = growth {
            v = prev * (1 + g)
        } else {
            projValue = prev
            projUnit = unit
            projT = t
            let r = try eval(next)
            guard case .number(let d, let u) = r else {
                throw EvalError(message: "'next:' must give a number, got \(describeOperand(r, next))", span: nodes[Int(next)].span)
            }
            guard u.sameDimension(unit) else {
                throw EvalError(message: "unit mismatch: 'next:' gives \(u.nameForMessages) but the projection starts in \(unit.nameForMessages)",
                                span: nodes[Int(next)].span, kind: .compile)
            }
            v = d
        }
        if let lo, v < lo { v = lo }
        if let hi, v > hi { v = hi }
        guard v.isFinite else {
            let at = next >= 0 ? nodes[Int(next)].span : model.cells[Int(model.projections[p].growth)].span
            throw EvalError(message: "projection value at period \(t) is not a finite number", span: at)
        }
        return v
    }

    /// The common case, one uncoupled projection: the series is written in place.
    private mutating func stepSingle(_ st: (p: Int, growth: Double?, lo: Double?, hi: Double?, unit: NumberUnit, next: Int32),
                                     _ code: NumericCode, _ count: Int, _ depth: Int, _ span: Span) throws(EvalError) -> Bool {
        let lo = st.lo ?? -Double.infinity, hi = st.hi ?? Double.infinity
        let perStep = code.stepCost + 1
        let budget = limits.maxSteps - self.steps
        if budget < perStep * count {
            throw EvalError(message: "more than \(formatCount(limits.maxSteps)) evaluation steps", span: span,
                            hint: "the step limit can be raised by the embedder")
        }
        self.steps += perStep * count
        let first = projSeries[st.p][0]
        let stack = UnsafeMutablePointer<Double>.allocate(capacity: depth + 1)
        defer { stack.deallocate() }
        let interrupt = self.interrupt
        if !keepSeries[st.p] {
            // Nothing has read this projection's periods yet: step without storing them
            // (a million periods are 8 MB); a reader asks for them with `ensureSeries`.
            var scratch = [first, first]
            let (failedAt, last) = scratch.withUnsafeMutableBufferPointer { out in
                Self.stepLoop(code, first: first, count: count, lo: lo, hi: hi, out: out.baseAddress!, mask: 1,
                              stack: stack, interrupt: interrupt)
            }
            if failedAt < 0 { throw EvalError(message: "interrupted", span: nodes[Int(st.next)].span) }
            if failedAt > 0 {
                _ = try stepValue(st.p, last, failedAt, growth: nil, lo: st.lo, hi: st.hi, unit: st.unit, next: st.next)
                throw EvalError(message: "projection value at period \(failedAt) is not a finite number", span: nodes[Int(st.next)].span)
            }
            projSeries[st.p] = [first]
            seriesStored[st.p] = false
            projLast[st.p] = last
            return true
        }
        var failedAt = 0
        let series = [Double](unsafeUninitializedCapacity: count + 1) { buf, n in
            adviseHugePages(UnsafeMutableRawBufferPointer(buf))
            buf[0] = first
            let r = Self.stepLoop(code, first: first, count: count, lo: lo, hi: hi, out: buf.baseAddress!, mask: Int.max,
                                  stack: stack, interrupt: interrupt)
            failedAt = r.failedAt
            // `n` (the initialized count) covers the periods computed.
            n = failedAt == 0 ? count + 1 : abs(failedAt)
        }
        projSeries[st.p] = series
        seriesStored[st.p] = true
        projLast[st.p] = series.last ?? first
        if failedAt < 0 {
            throw EvalError(message: "interrupted", span: nodes[Int(st.next)].span)
        }
        if failedAt > 0 {
            _ = try stepValue(st.p, series[failedAt - 1], failedAt, growth: nil, lo: st.lo, hi: st.hi, unit: st.unit, next: st.next)
            throw EvalError(message: "projection value at period \(failedAt) is not a finite number", span: nodes[Int(st.next)].span)
        }
        return true
    }

    /// The stepping loop of one uncoupled projection, shared by the stored and unstored
    /// cases so that the interpreter is inlined into one tight loop: period t goes to
    /// `out[t & mask]` (`Int.max` keeps every period; 1 keeps the last two). Returns 0
    /// and the last value, or the failing period (negative when interrupted) and the value
    /// before it.
    @inline(never)
    private static func stepLoop(_ code: NumericCode, first: Double, count: Int, lo: Double, hi: Double,
                                 out: UnsafeMutablePointer<Double>, mask: Int, stack: UnsafeMutablePointer<Double>,
                                 interrupt: (@Sendable () -> Bool)?) -> (failedAt: Int, last: Double) {
        code.ops.withUnsafeBufferPointer { ops in
            code.consts.withUnsafeBufferPointer { ks in
                var own = out
                return withUnsafePointer(to: &own) { series -> (failedAt: Int, last: Double) in
                    // The previous value stays in a register.
                    var prev = first
                    let k = ks.baseAddress ?? UnsafePointer(stack)
                    for t in 1...count {
                        if t & 0xFFFF == 0, let stop = interrupt, stop() { return (-t, prev) }
                        guard var v = NumericCode.run(ops, k, value: prev, t: t, series: series, stack: stack) else {
                            return (t, prev)
                        }
                        if v < lo { v = lo }
                        if v > hi { v = hi }
                        out[t & mask] = v
                        prev = v
                    }
                    return (0, prev)
                }
            }
        }
    }

    /// Steps a whole group with compiled numeric code. Returns false (having done
    /// nothing) when some member's formula cannot be compiled.
    private mutating func stepCompiled(_ steps: [(p: Int, growth: Double?, lo: Double?, hi: Double?, unit: NumberUnit, next: Int32)],
                                       _ count: Int, _ span: Span) throws(EvalError) -> Bool {
        var codes: [NumericCode?] = []
        var depth = 1
        for st in steps {
            if st.growth != nil { codes.append(nil); continue }
            guard let c = NumericCode.compile(st.next, &self, valueUnit: st.unit), c.unit.sameDimension(st.unit) else { return false }
            depth = Swift.max(depth, c.maxDepth)
            codes.append(c)
        }
        // Projections of other groups that members read: complete already, and long enough.
        var outside: [Int] = []
        for st in steps {
            for q in model.projections[st.p].reads where !steps.contains(where: { $0.p == Int(q) }) && !outside.contains(Int(q)) {
                guard seriesStored[Int(q)], projSeries[Int(q)].count >= count else { return false }
                outside.append(Int(q))
            }
        }
        // A single projection reads no other's periods (`prev` would need their buffers).
        if steps.count == 1 && outside.isEmpty, let code = codes[0], !code.ops.contains(where: { $0.code == .prev }) {
            return try stepSingle(steps[0], code, count, depth, span)
        }
        let np = model.projections.count
        let buffers = UnsafeMutablePointer<UnsafeMutablePointer<Double>>.allocate(capacity: np)
        let dummy = UnsafeMutablePointer<Double>.allocate(capacity: 1)
        for q in 0..<np { buffers[q] = dummy }
        for st in steps {
            buffers[st.p] = UnsafeMutablePointer<Double>.allocate(capacity: count + 1)
            buffers[st.p][0] = projSeries[st.p][0]
        }
        for q in outside {
            buffers[q] = UnsafeMutablePointer<Double>.allocate(capacity: projSeries[q].count)
            buffers[q].initialize(from: projSeries[q], count: projSeries[q].count)
        }
        let stack = UnsafeMutablePointer<Double>.allocate(capacity: depth + 1)
        var filled = 0
        defer {
            for st in steps {
                projSeries[st.p] = Array(UnsafeBufferPointer(start: buffers[st.p], count: filled + 1))
                buffers[st.p].deallocate()
            }
            for q in outside { buffers[q].deallocate() }
            buffers.deallocate()
            dummy.deallocate()
            stack.deallocate()
        }
        let perStep = codes.reduce(1) { $0 + ($1?.stepCost ?? 1) }
        // Raw views of each member's program, taken once for the whole loop.
        let programs = UnsafeMutablePointer<(UnsafeMutablePointer<NumericCode.Op>, Int, UnsafeMutablePointer<Double>)>.allocate(capacity: steps.count)
        for (k, c) in codes.enumerated() {
            let ops = UnsafeMutablePointer<NumericCode.Op>.allocate(capacity: Swift.max(1, c?.ops.count ?? 0))
            let ks = UnsafeMutablePointer<Double>.allocate(capacity: Swift.max(1, c?.consts.count ?? 0))
            if let c {
                ops.initialize(from: c.ops, count: c.ops.count)
                ks.initialize(from: c.consts, count: c.consts.count)
            }
            programs[k] = (ops, c?.ops.count ?? 0, ks)
        }
        defer {
            for k in 0..<steps.count { programs[k].0.deallocate(); programs[k].2.deallocate() }
            programs.deallocate()
        }
        for t in 1...count {
            self.steps &+= perStep
            if self.steps > limits.maxSteps {
                throw EvalError(message: "more than \(formatCount(limits.maxSteps)) evaluation steps", span: span,
                                hint: "the step limit can be raised by the embedder")
            }
            for (k, st) in steps.enumerated() {
                let prev = buffers[st.p][t - 1]
                var v: Double
                if let g = st.growth {
                    v = prev * (1 + g)
                } else if let r = NumericCode.run(UnsafeBufferPointer(start: programs[k].0, count: programs[k].1), programs[k].2,
                                                  value: prev, t: t, series: buffers, stack: stack) {
                    v = r
                } else {
                    // Let the general evaluator find and report the failing expression.
                    filled = t - 1
                    for s2 in steps { projSeries[s2.p] = Array(UnsafeBufferPointer(start: buffers[s2.p], count: t)) }
                    v = try stepValue(st.p, prev, t, growth: nil, lo: st.lo, hi: st.hi, unit: st.unit, next: st.next)
                }
                if let lo = st.lo, v < lo { v = lo }
                if let hi = st.hi, v > hi { v = hi }
                if !v.isFinite {
                    filled = t - 1
                    _ = try stepValue(st.p, prev, t, growth: st.growth, lo: st.lo, hi: st.hi, unit: st.unit, next: st.next)
                }
                buffers[st.p][t] = v
            }
            filled = t
        }
        return true
    }
}

/// Asks the kernel for transparent huge pages on a large, fresh buffer: a million-period
/// series then takes a handful of page faults instead of thousands.
func adviseHugePages(_ buf: UnsafeMutableRawBufferPointer) {
    let huge = 2 << 20
    guard let base = buf.baseAddress, buf.count >= 2 * huge else { return }
    let start = (Int(bitPattern: base) + huge - 1) & ~(huge - 1)
    let end = (Int(bitPattern: base) + buf.count) & ~(huge - 1)
    if end > start, let p = UnsafeMutableRawPointer(bitPattern: start) {
        _ = madvise(p, end - start, 14 /* MADV_HUGEPAGE */)
    }
}
