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

}
