#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

// Projection stepping (SPEC §6, §13, §14): one period loop (`stepPeriods`) owns the
// iteration, the interrupt poll, the step budget and the reporting of a failed period
// through the general evaluator; what varies is how a group advances a run of periods
// (`PeriodAdvance`): the general evaluator, compiled numeric code (a closed recurrence
// for the common shapes), or sample-wise.

/// A member of the projection group being stepped.
struct ProjectionMember {
    var p: Int
    var growth: Double?
    var lo: Double?
    var hi: Double?
    var unit: NumberUnit
    var next: Int32
    var isSeries = false

    init(p: Int, unit: NumberUnit, next: Int32, isSeries: Bool = false) {
        self.p = p
        self.unit = unit
        self.next = next
        self.isSeries = isSeries
    }

    var low: Double { lo ?? -.infinity }
    var high: Double { hi ?? .infinity }

    /// The clamp to `min:`/`max:`, the same for every way of advancing (an absent bound is
    /// ±infinity, which no finite value crosses).
    @inline(__always) static func clamp(_ v: Double, _ lo: Double, _ hi: Double) -> Double {
        var v = v
        if v < lo { v = lo }
        if v > hi { v = hi }
        return v
    }
}

/// A period a fast way of advancing could not compute: the general evaluator steps it
/// again from `prev` to report the exact expression.
struct StepFailure {
    var member: ProjectionMember
    var t: Int
    var prev: Double
}

/// The varying part of the period loop: how a group computes a run of periods.
protocol PeriodAdvance {
    /// Evaluation steps a period costs that the general evaluator does not count itself.
    var costPerPeriod: Int { get }
    /// Periods between interrupt polls (a poll costs about as much as a few periods of
    /// the fastest code; 100 ms of the slowest code must hold many polls).
    var periodsPerPoll: Int { get }
    /// Computes periods `from...to`, stopping at the first one that needs the general evaluator.
    mutating func advance(_ from: Int, _ to: Int, _ ev: inout Evaluator) throws(EvalError) -> StepFailure?
    /// Hands periods 0...`filled` to the evaluator (`projSeries`, `projLast`), once, at the end
    /// or before a failure is reported.
    mutating func settle(_ filled: Int, _ ev: inout Evaluator)
}

extension Evaluator {
    /// The one period loop: steps periods 1...`count` of a group with `advance`.
    mutating func stepPeriods<A: PeriodAdvance>(_ a: inout A, _ count: Int, _ span: Span) throws(EvalError) {
        var filled = 0
        var settled = false
        do throws(EvalError) {
            var t = 1
            while t <= count {
                // Polled before the first run too: once interrupted, every later projection
                // of the operation (a what-if's other projections) stops at once.
                if let stop = interrupt, stop() { throw EvalError(message: "interrupted", span: span) }
                let end = t + Swift.min(count - t, Swift.max(1, a.periodsPerPoll) - 1)
                let cost = a.costPerPeriod.multipliedReportingOverflow(by: end - t + 1)
                if cost.overflow || cost.partialValue > limits.maxSteps - steps {
                    throw EvalError(message: "more than \(formatCount(limits.maxSteps)) evaluation steps", span: span,
                                    hint: "the step limit can be raised by the embedder")
                }
                steps += cost.partialValue
                if let f = try a.advance(t, end, &self) {
                    filled = f.t - 1
                    settled = true
                    a.settle(filled, &self)
                    _ = try stepValue(f.member, f.prev, f.t)
                    throw nonFinitePeriod(f.member, f.t)
                }
                filled = end
                t = end + 1
            }
        } catch {
            if !settled { a.settle(filled, &self) }
            throw error
        }
        a.settle(count, &self)
    }

    func nonFinitePeriod(_ m: ProjectionMember, _ t: Int) -> EvalError {
        let at = m.next >= 0 ? nodes[Int(m.next)].span : model.cells[Int(model.projections[m.p].growth)].span
        return EvalError(message: "projection value at period \(t) is not a finite number", span: at)
    }

    /// One period of one projection through the general evaluator: every way of advancing
    /// reports a failed period through it.
    mutating func stepValue(_ m: ProjectionMember, _ prev: Double, _ t: Int) throws(EvalError) -> Double {
        var v: Double
        if let g = m.growth {
            v = prev * (1 + g)
        } else {
            projValue = prev
            projUnit = m.unit
            projT = t
            let r = try eval(m.next)
            guard case .number(let d, let u) = r else {
                throw EvalError(message: "'next:' must give a number, got \(describeOperand(r, m.next))", span: nodes[Int(m.next)].span)
            }
            guard u.sameDimension(m.unit) else {
                throw EvalError(message: "unit mismatch: 'next:' gives \(u.nameForMessages) but the projection starts in \(m.unit.nameForMessages)",
                                span: nodes[Int(m.next)].span, kind: .compile)
            }
            v = d
        }
        v = ProjectionMember.clamp(v, m.low, m.high)
        guard v.isFinite else { throw nonFinitePeriod(m, t) }
        return v
    }

    // MARK: Groups

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

    mutating func computeProjectionGroup(_ root: Int32, _ span: Span) throws(EvalError) {
        if model.projectionRoots[Int(root)] != root { return }
        let members = (model.groupMembers[root] ?? [root]).map(Int.init)
        if !model.siteKeys.isEmpty, try stepUncertainGroup(members, span) { return }
        var steps: [ProjectionMember] = []
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
                steps.append(ProjectionMember(p: p, unit: .plain, next: pr.next, isSeries: true))
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
            var st = ProjectionMember(p: p, unit: u, next: pr.next)
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
        var general = GeneralAdvance(members: steps)
        try stepPeriods(&general, maxCount, span)
    }

    /// A series' value at period `t`, with its unit; a later period must keep the first one's dimension.
    mutating func seriesValue(_ p: Int, _ t: Int) throws(EvalError) -> (Double, NumberUnit) {
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


    // MARK: Compiled groups

    /// Steps a group with compiled numeric code. Returns false (having done nothing) when
    /// some member's formula cannot be compiled or reads a projection that is not ready.
    private mutating func stepCompiled(_ members: [ProjectionMember], _ count: Int, _ span: Span) throws(EvalError) -> Bool {
        var codes: [NumericCode?] = []
        for st in members {
            if st.growth != nil { codes.append(nil); continue }
            guard let c = NumericCode.compile(st.next, &self, valueUnit: st.unit), c.unit.sameDimension(st.unit) else { return false }
            codes.append(c)
        }
        // Projections of other groups that members read: complete already, and long enough.
        var outside: [Int] = []
        for st in members {
            for q in model.projections[st.p].reads where !members.contains(where: { $0.p == Int(q) }) && !outside.contains(Int(q)) {
                guard seriesStored[Int(q)], projSeries[Int(q)].count >= count else { return false }
                outside.append(Int(q))
            }
        }
        // A single projection that reads no other's periods (`prev`) steps with its value in
        // a register; unless something reads its periods, only the last two are kept.
        if members.count == 1 && outside.isEmpty, !(codes[0]?.ops.contains(where: { $0.code == .prev }) ?? false) {
            let m = members[0]
            if !keepSeries[m.p] {
                let buffers = PeriodBuffers(self, members: [m.p], outside: [], count: count, codes: codes, ring: true)
                var single = SingleAdvance(member: m, code: codes[0], buffers: buffers)
                try stepPeriods(&single, count, span)
                return true
            }
            // Kept periods are written in place into the series' final array (a million
            // periods are 8 MB: no copy).
            var failure: EvalError?
            let series = [Double](unsafeUninitializedCapacity: count + 1) { buf, n in
                adviseHugePages(UnsafeMutableRawBufferPointer(buf))
                let buffers = PeriodBuffers(self, members: [m.p], outside: [], count: count, codes: codes, ring: false,
                                            into: buf.baseAddress!)
                var single = SingleAdvance(member: m, code: codes[0], buffers: buffers)
                do throws(EvalError) { try stepPeriods(&single, count, span) } catch { failure = error }
                // On a failure `settle` copied the periods computed.
                n = failure == nil ? count + 1 : 0
            }
            if let failure { throw failure }
            projSeries[m.p] = series
            return true
        }
        let buffers = PeriodBuffers(self, members: members.map(\.p), outside: outside, count: count, codes: codes, ring: false)
        var group = GroupAdvance(members: members, codes: codes, buffers: buffers)
        try stepPeriods(&group, count, span)
        return true
    }
}

/// Advances through the general evaluator, periods appended to `projSeries` (series,
/// formulas the numeric code does not cover, members of different lengths).
struct GeneralAdvance: PeriodAdvance {
    var members: [ProjectionMember]
    var costPerPeriod: Int { 0 }
    // A period may take few evaluation steps (which poll every 65,536).
    var periodsPerPoll: Int { 1024 }

    mutating func advance(_ from: Int, _ to: Int, _ ev: inout Evaluator) throws(EvalError) -> StepFailure? {
        for t in from...to {
            for st in members where t <= ev.projCounts[st.p] {
                if st.isSeries {
                    let v = try ev.seriesValue(st.p, t)
                    ev.projSeries[st.p].append(v.0)
                    continue
                }
                let prev = ev.projSeries[st.p][t - 1]
                ev.projSeries[st.p].append(try ev.stepValue(st, prev, t))
            }
        }
        return nil
    }

    mutating func settle(_ filled: Int, _ ev: inout Evaluator) {}
}

/// The raw storage a compiled group steps in, by projection index, so that `prev` of
/// projection q at period t is `table[q][t - 1]`.
///
/// Its invariants, checked here and nowhere else: every member's buffer holds `count + 1`
/// periods, or two when `ring` (period t at `t & 1`: a single member nothing reads period
/// by period); every projection a member's code reads with `prev` is a member or an
/// outside projection whose buffer holds at least `count` periods; every other entry
/// points at one dummy value, never read; the stack holds each program's depth.
final class PeriodBuffers {
    let table: UnsafeMutablePointer<UnsafeMutablePointer<Double>>
    let stack: UnsafeMutablePointer<Double>
    /// Period t of a member is at `t & mask`.
    let mask: Int
    /// Each member's program (operations and constants), copied once for the whole loop.
    let programs: [(ops: UnsafeMutablePointer<NumericCode.Op>, count: Int, consts: UnsafeMutablePointer<Double>)]
    private let owned: [UnsafeMutablePointer<Double>]
    private let dummy: UnsafeMutablePointer<Double>

    /// The periods of the only member go `into` the caller's buffer (`count + 1` values).
    let external: Bool

    init(_ ev: Evaluator, members: [Int], outside: [Int], count: Int, codes: [NumericCode?], ring: Bool,
         into: UnsafeMutablePointer<Double>? = nil) {
        precondition(members.count == codes.count && count >= 1 && (!ring || (members.count == 1 && outside.isEmpty)))
        precondition(into == nil || (members.count == 1 && !ring))
        external = into != nil
        let np = ev.model.projections.count
        table = .allocate(capacity: np)
        dummy = .allocate(capacity: 1)
        dummy.initialize(to: 0)
        table.initialize(repeating: dummy, count: np)
        mask = ring ? 1 : Int.max
        var owned: [UnsafeMutablePointer<Double>] = []
        for p in members {
            let n = ring ? 2 : count + 1
            let b = into ?? UnsafeMutablePointer<Double>.allocate(capacity: n)
            if into == nil {
                adviseHugePages(UnsafeMutableRawBufferPointer(start: b, count: n * 8))
                owned.append(b)
            }
            b[0] = ev.projSeries[p][0]
            table[p] = b
        }
        for q in outside {
            let s = ev.projSeries[q]
            precondition(ev.seriesStored[q] && s.count >= count)
            let b = UnsafeMutablePointer<Double>.allocate(capacity: s.count)
            b.initialize(from: s, count: s.count)
            table[q] = b
            owned.append(b)
        }
        var depth = 1
        var programs: [(ops: UnsafeMutablePointer<NumericCode.Op>, count: Int, consts: UnsafeMutablePointer<Double>)] = []
        for c in codes {
            for op in c?.ops ?? [] where op.code == .prev {
                precondition(members.contains(Int(op.a)) || outside.contains(Int(op.a)), "prev reads a projection without a buffer")
            }
            depth = Swift.max(depth, c?.maxDepth ?? 0)
            let ops = UnsafeMutablePointer<NumericCode.Op>.allocate(capacity: Swift.max(1, c?.ops.count ?? 0))
            let ks = UnsafeMutablePointer<Double>.allocate(capacity: Swift.max(1, c?.consts.count ?? 0))
            if let c {
                ops.initialize(from: c.ops, count: c.ops.count)
                ks.initialize(from: c.consts, count: c.consts.count)
            }
            programs.append((ops, c?.ops.count ?? 0, ks))
        }
        stack = .allocate(capacity: depth + 1)
        self.owned = owned
        self.programs = programs
    }

    /// Periods 0...`filled` of buffer `b`.
    func periods(_ p: Int, _ filled: Int) -> [Double] {
        Array(UnsafeBufferPointer(start: table[p], count: filled + 1))
    }

    deinit {
        for b in owned { b.deallocate() }
        for p in programs { p.ops.deallocate(); p.consts.deallocate() }
        table.deallocate()
        dummy.deallocate()
        stack.deallocate()
    }
}

/// A coupled group of compiled members (and growth rates), period by period.
struct GroupAdvance: PeriodAdvance {
    let members: [ProjectionMember]
    /// Each member's `1 + growth`, or nil for compiled code.
    let factors: [Double?]
    let buffers: PeriodBuffers
    let costPerPeriod: Int
    let periodsPerPoll: Int

    init(members: [ProjectionMember], codes: [NumericCode?], buffers: PeriodBuffers) {
        self.members = members
        factors = members.map { $0.growth.map { 1 + $0 } }
        self.buffers = buffers
        costPerPeriod = codes.reduce(1) { $0 + ($1?.stepCost ?? 1) }
        periodsPerPoll = Swift.max(1, 0x40000 / costPerPeriod)
    }

    mutating func advance(_ from: Int, _ to: Int, _ ev: inout Evaluator) throws(EvalError) -> StepFailure? {
        let table = buffers.table, stack = buffers.stack
        for t in from...to {
            for k in 0..<members.count {
                let p = members[k].p
                let prev = table[p][t - 1]
                var v: Double
                if let f = factors[k] {
                    v = prev * f
                } else {
                    let prog = buffers.programs[k]
                    guard let r = NumericCode.run(UnsafeBufferPointer(start: prog.ops, count: prog.count), prog.consts,
                                                  value: prev, t: t, series: table, stack: stack) else {
                        return StepFailure(member: members[k], t: t, prev: prev)
                    }
                    v = r
                }
                v = ProjectionMember.clamp(v, members[k].low, members[k].high)
                if !v.isFinite { return StepFailure(member: members[k], t: t, prev: prev) }
                table[p][t] = v
            }
        }
        return nil
    }

    mutating func settle(_ filled: Int, _ ev: inout Evaluator) {
        for m in members { ev.projSeries[m.p] = buffers.periods(m.p, filled) }
    }
}

/// One uncoupled compiled projection (or growth rate), its value in a register: a closed
/// recurrence when `next:` has one of the common shapes, else the numeric code's interpreter.
struct SingleAdvance: PeriodAdvance {
    let member: ProjectionMember
    let buffers: PeriodBuffers
    let code: NumericCode?
    let shape: Recurrence?
    let costPerPeriod: Int
    let periodsPerPoll: Int
    var prev: Double
    /// The value of the shape's term of t, a block of periods at a time.
    private var term: TermBlock?

    init(member: ProjectionMember, code: NumericCode?, buffers: PeriodBuffers) {
        self.member = member
        self.code = code
        self.buffers = buffers
        shape = code.flatMap { $0.recurrence() } ?? (code == nil ? member.growth.map { Recurrence(head: .mul, k: 1 + $0) } : nil)
        costPerPeriod = (code?.stepCost ?? 1) + 1
        periodsPerPoll = Swift.max(1, 0x40000 / costPerPeriod)
        prev = buffers.table[member.p][0]
        if let s = shape, let t = s.term { term = TermBlock(t) }
    }

    mutating func advance(_ from: Int, _ to: Int, _ ev: inout Evaluator) throws(EvalError) -> StepFailure? {
        let out = buffers.table[member.p], mask = buffers.mask, lo = member.low, hi = member.high
        let r: (failedAt: Int, last: Double)
        if let s = shape {
            if var term {
                // Terms of t a block at a time, then the recurrence over the block.
                var b = from
                var result = (failedAt: 0, last: prev)
                while b <= to, result.failedAt == 0 {
                    let e = Swift.min(to, b + TermBlock.size - 1)
                    let good = term.fill(b, e)
                    result = s.loop(from: b, to: good, prev: result.last, lo: lo, hi: hi, out: out, mask: mask, term: term.values)
                    if result.failedAt == 0, good < e { result.failedAt = good + 1 }
                    b = e + 1
                }
                self.term = term
                r = result
            } else {
                r = s.loop(from: from, to: to, prev: prev, lo: lo, hi: hi, out: out, mask: mask, term: nil)
            }
        } else {
            r = Self.stepLoop(code!, from: from, to: to, prev: prev, lo: lo, hi: hi, out: out, mask: mask, buffers: buffers)
        }
        prev = r.last
        if r.failedAt > 0 { return StepFailure(member: member, t: r.failedAt, prev: r.last) }
        return nil
    }

    /// The interpreter's loop over periods `from...to`: returns 0 and the last value, or the
    /// failing period and the value before it.
    @inline(never)
    private static func stepLoop(_ code: NumericCode, from: Int, to: Int, prev: Double, lo: Double, hi: Double,
                                 out: UnsafeMutablePointer<Double>, mask: Int, buffers: PeriodBuffers) -> (failedAt: Int, last: Double) {
        let table = buffers.table, stack = buffers.stack
        return code.ops.withUnsafeBufferPointer { ops in
            code.consts.withUnsafeBufferPointer { ks in
                var prev = prev
                let k = ks.baseAddress ?? UnsafePointer(stack)
                for t in from...to {
                    guard var v = NumericCode.run(ops, k, value: prev, t: t, series: table, stack: stack) else { return (t, prev) }
                    v = ProjectionMember.clamp(v, lo, hi)
                    out[t & mask] = v
                    prev = v
                }
                return (0, prev)
            }
        }
    }

    mutating func settle(_ filled: Int, _ ev: inout Evaluator) {
        let p = member.p
        if buffers.mask == Int.max {
            // A complete external buffer becomes the series as it is (`stepCompiled`).
            if !buffers.external || filled < ev.projCounts[p] { ev.projSeries[p] = buffers.periods(p, filled) }
            ev.seriesStored[p] = true
        } else {
            // Nothing has read this projection's periods: a reader asks for them with
            // `ensureSeries`, which steps it again keeping them.
            ev.projSeries[p] = [buffers.table[p][0]]
            ev.seriesStored[p] = false
        }
        ev.projLast[p] = buffers.table[p][filled & buffers.mask]
    }
}

// MARK: - Uncertain groups

extension Evaluator {
    /// Steps a projection group sample-wise when a start, growth, bound or `next:` is
    /// uncertain: every period keeps its N samples (`mc.projDists`), and `projSeries`
    /// holds the means so scalar readers (tables, sparklines) still work. Returns false,
    /// having changed nothing but probes, when the group is plain.
    mutating func stepUncertainGroup(_ members: [Int], _ span: Span) throws(EvalError) -> Bool {
        for p in members { mc.projDists[p] = [] }
        // Series (SPEC §14) are stepped by their own code, which keeps a distribution's
        // samples per period when the series' formula gives one (`uncertainSeriesPeriod`).
        if members.contains(where: { model.projections[$0].isSeries }) { return false }
        var steps: [SampleMember] = []
        var count = -1
        var uncertain = false
        for p in members {
            let pr = model.projections[p]
            let name = model.interner[model.objects[Int(pr.object)].name]
            let n = try periodCount(p, span)
            if count >= 0 && n != count { return false }  // the scalar code reports it
            count = n
            let sv = try read(pr.start, span)
            guard let (_, u) = lane(sv) else { return false }
            var st = SampleMember(p: p, start: sv, unit: u, next: pr.next, name: name)
            if pr.growth >= 0 { st.growth = try read(pr.growth, span) }
            if pr.min >= 0 { st.lo = try read(pr.min, span) }
            if pr.max >= 0 { st.hi = try read(pr.max, span) }
            for v in [sv, st.growth, st.lo, st.hi] where v?.isUncertain == true { uncertain = true }
            steps.append(st)
        }
        if count <= 0 { return false }
        if !uncertain {
            // Probe period 1 with the plain starts: a `next:` that draws noise or reads an
            // uncertain value gives a distribution.
            for st in steps { projSeries[st.p] = [st.start.doubleValue ?? 0]; projUnits[st.p] = st.unit }
            for st in steps where st.next >= 0 {
                projValue = st.start.doubleValue ?? 0
                projUnit = st.unit
                projT = 1
                let saved = (mc.cell, mc.period)
                mc.cell = model.projections[st.p].group
                mc.period = 1
                defer { (mc.cell, mc.period) = saved }
                let before = diagnostics.count
                if let r = try? eval(st.next), r.isUncertain { uncertain = true; break }
                diagnostics.removeSubrange(before...)
            }
        }
        if !uncertain { return false }
        let stored = Double(mc.samples) * Double(count + 1) * Double(steps.count)
        if stored > Double(limits.maxSampleCells) {
            throw EvalError(message: "an uncertain projection of \(count + 1) periods × \(formatCount(mc.samples)) samples\(steps.count > 1 ? " × \(steps.count) coupled projections" : "") is more than the samples × stored periods limit (\(formatCount(limits.maxSampleCells)))",
                            span: model.objects[Int(model.projections[steps[0].p].object)].span,
                            hint: "lower the sample count (--samples or 'simulate N') or the number of periods; the limit can be raised by the embedder")
        }
        mc.used = true
        mc.uncertainProjections = true
        for st in steps {
            mc.projDists[st.p] = [try clampSamples(st.start, st, span)]
            projSeries[st.p] = [mc.projDists[st.p][0].mean]
            projUnits[st.p] = st.unit
        }
        let saved = (mc.cell, mc.period)
        defer { (mc.cell, mc.period, mc.value) = (saved.0, saved.1, nil) }
        var sampled = SampleAdvance(members: steps, span: span)
        try stepPeriods(&sampled, count, span)
        for st in steps {
            projCounts[st.p] = count
            seriesStored[st.p] = true
            projLast[st.p] = projSeries[st.p].last ?? 0
        }
        return true
    }

    /// Period `t` of a series whose formula gave a distribution (it reads an uncertain
    /// projection or value): every period keeps its samples, as an uncertain projection's
    /// do, and the mean goes to `projSeries`. Earlier plain periods become constant samples.
    @inline(never) mutating func uncertainSeriesPeriod(_ p: Int, _ t: Int, _ s: Samples, _ u: NumberUnit,
                                                       _ node: Int32) throws(EvalError) -> (Double, NumberUnit) {
        let span = nodes[Int(node)].span
        if t > 0, !u.sameDimension(projUnits[p]) {
            throw EvalError(message: "unit mismatch: the series gives \(u.nameForMessages) at period \(t) but \(projUnits[p].nameForMessages) at period 0",
                            span: span)
        }
        if Double(mc.samples) * Double(t + 1) > Double(limits.maxSampleCells) {
            throw EvalError(message: "an uncertain series of \(t + 1) periods × \(formatCount(mc.samples)) samples is more than the samples × stored periods limit (\(formatCount(limits.maxSampleCells)))",
                            span: span, hint: "lower the sample count (--samples or 'simulate N') or the number of periods; the limit can be raised by the embedder")
        }
        let m = s.mean
        guard m.isFinite else {
            throw EvalError(message: "series value at period \(t) is not a finite number (its samples' mean is \(m))", span: span)
        }
        while mc.projDists[p].count < t {
            let k = mc.projDists[p].count
            mc.projDists[p].append(Samples(repeating: k < projSeries[p].count ? projSeries[p][k] : 0, count: mc.samples))
        }
        mc.projDists[p].append(s)
        mc.used = true
        mc.uncertainProjections = true
        return (m, t > 0 ? projUnits[p] : u)
    }

    /// A sample-wise value bounded by the member's `min:`/`max:` (themselves possibly uncertain).
    mutating func clampSamples(_ v: Value, _ st: SampleMember, _ span: Span) throws(EvalError) -> Samples {
        guard var s = broadcast(v) else { throw EvalError(message: "projection '\(st.name)' must give numbers", span: span) }
        let op = Node(kind: .binary, span: span)
        if let lo = st.lo, case .dist(let r, _) = try liftedBuiltin2(.max, .dist(s, st.unit), lo, op) { s = r }
        if let hi = st.hi, case .dist(let r, _) = try liftedBuiltin2(.min, .dist(s, st.unit), hi, op) { s = r }
        return s
    }

    /// One period of one uncertain member, sample-wise.
    mutating func stepSamples(_ st: SampleMember, _ t: Int, _ span: Span) throws(EvalError) -> Samples {
        let prev = mc.projDists[st.p][t - 1]
        let v: Value
        let op = Node(kind: .binary, span: st.next >= 0 ? nodes[Int(st.next)].span : span)
        if let g = st.growth {
            v = try distBinary(.mul, .dist(prev, st.unit), try distBinary(.add, .number(1), g, op), op)
        } else {
            mc.value = prev
            projUnit = st.unit
            projT = t
            mc.cell = model.projections[st.p].group
            mc.period = t
            v = try eval(st.next)
            mc.value = nil
            guard let (_, u) = lane(v) else {
                throw EvalError(message: "'next:' must give a number, got \(describeOperand(v, st.next))", span: nodes[Int(st.next)].span)
            }
            guard u.sameDimension(st.unit) else {
                throw EvalError(message: "unit mismatch: 'next:' gives \(u.nameForMessages) but the projection starts in \(st.unit.nameForMessages)",
                                span: nodes[Int(st.next)].span, kind: .compile)
            }
        }
        return try clampSamples(v, st, span)
    }
}

/// A member of an uncertain group: its start, growth and bounds may be distributions.
struct SampleMember {
    var p: Int
    var start: Value
    var growth: Value?
    var lo: Value?
    var hi: Value?
    var unit: NumberUnit
    var next: Int32
    var name: String
}

/// Advances an uncertain group sample-wise, every period's samples kept in `mc.projDists`.
struct SampleAdvance: PeriodAdvance {
    var members: [SampleMember]
    var span: Span
    var costPerPeriod: Int { 0 }
    // A period is a pass over every sample.
    var periodsPerPoll: Int { 1 }

    mutating func advance(_ from: Int, _ to: Int, _ ev: inout Evaluator) throws(EvalError) -> StepFailure? {
        for t in from...to {
            for st in members {
                let s = try ev.stepSamples(st, t, span)
                ev.mc.projDists[st.p].append(s)
                // The means, for scalar readers, as the periods are made (no pass afterwards).
                ev.projSeries[st.p].append(s.mean)
            }
        }
        return nil
    }

    mutating func settle(_ filled: Int, _ ev: inout Evaluator) {}
}

// MARK: - Closed recurrences

/// A `next:` of a common shape, stepped without dispatch: `value`, `value * K`,
/// `value + K` or `value - K` (the head), then nothing, `⊕ C` or `⊕ P` (the tail), where
/// P is a term of `t` alone (`adds / (1 + t / 1000)`), computed a block of periods at a time.
/// Each period performs the interpreter's operations in the interpreter's order, so the
/// results are bit-identical to it (and to the general evaluator).
struct Recurrence {
    enum Head { case value, mul, add, sub }
    enum Tail { case none, addK, subK, mulK, addP, subP, mulP }
    var head: Head
    var k: Double
    var tail: Tail = .none
    var c: Double = 0
    /// The program of P (a term of `t` alone) for the `…P` tails.
    var term: NumericCode?

    init(head: Head, k: Double) {
        self.head = head
        self.k = k
    }

    /// Steps periods `from...to` (none when `from > to`); `term[t - from]` is P at period t.
    /// Returns 0 and the last value, or the failing period and the value before it.
    func loop(from: Int, to: Int, prev: Double, lo: Double, hi: Double, out: UnsafeMutablePointer<Double>, mask: Int,
              term: UnsafePointer<Double>?) -> (failedAt: Int, last: Double) {
        switch head {
        case .value: return withTail(HeadValue.self, from, to, prev, lo, hi, out, mask, term)
        case .mul: return withTail(HeadMul.self, from, to, prev, lo, hi, out, mask, term)
        case .add: return withTail(HeadAdd.self, from, to, prev, lo, hi, out, mask, term)
        case .sub: return withTail(HeadSub.self, from, to, prev, lo, hi, out, mask, term)
        }
    }

    private func withTail<H: RecurrenceHead>(_ h: H.Type, _ from: Int, _ to: Int, _ prev: Double, _ lo: Double, _ hi: Double,
                                            _ out: UnsafeMutablePointer<Double>, _ mask: Int,
                                            _ term: UnsafePointer<Double>?) -> (failedAt: Int, last: Double) {
        // Unbounded: no clamp on the path from one value to the next; unstored too (only the
        // last value is wanted): the loop is the formula alone.
        if lo == -.infinity && hi == .infinity {
            if mask == 1 { return withTail(h, LastOnly.self, from, to, prev, lo, hi, out, mask, term) }
            return withTail(h, Unbounded.self, from, to, prev, lo, hi, out, mask, term)
        }
        return withTail(h, EveryPeriod.self, from, to, prev, lo, hi, out, mask, term)
    }

    private func withTail<H: RecurrenceHead, S: RecurrenceStore>(_ h: H.Type, _ s: S.Type, _ from: Int, _ to: Int, _ prev: Double,
                                                                _ lo: Double, _ hi: Double, _ out: UnsafeMutablePointer<Double>,
                                                                _ mask: Int, _ term: UnsafePointer<Double>?) -> (failedAt: Int, last: Double) {
        let p = term ?? UnsafePointer(out)
        switch tail {
        case .none: return Self.closed(h, TailNone.self, s, k, c, from, to, prev, lo, hi, out, mask, p)
        case .addK: return Self.closed(h, TailAddK.self, s, k, c, from, to, prev, lo, hi, out, mask, p)
        case .subK: return Self.closed(h, TailSubK.self, s, k, c, from, to, prev, lo, hi, out, mask, p)
        case .mulK: return Self.closed(h, TailMulK.self, s, k, c, from, to, prev, lo, hi, out, mask, p)
        case .addP: return Self.closed(h, TailAddP.self, s, k, c, from, to, prev, lo, hi, out, mask, p)
        case .subP: return Self.closed(h, TailSubP.self, s, k, c, from, to, prev, lo, hi, out, mask, p)
        case .mulP: return Self.closed(h, TailMulP.self, s, k, c, from, to, prev, lo, hi, out, mask, p)
        }
    }

    @inline(never)
    private static func closed<H: RecurrenceHead, T: RecurrenceTail, S: RecurrenceStore>(
        _: H.Type, _: T.Type, _: S.Type, _ k: Double, _ c: Double, _ from: Int, _ to: Int, _ prev: Double, _ lo: Double,
        _ hi: Double, _ out: UnsafeMutablePointer<Double>, _ mask: Int, _ term: UnsafePointer<Double>) -> (failedAt: Int, last: Double) {
        var prev = prev
        var t = from
        while t <= to {
            let v = T.apply(H.apply(prev, k), c, T.readsTerm ? term[t &- from] : 0)
            // Only the result needs a check: no operation of these shapes turns a
            // non-finite operand (P included) into a finite result.
            if !v.isFinite { break }
            if S.everyPeriod {
                let b = S.clamps ? ProjectionMember.clamp(v, lo, hi) : v
                out[t & mask] = b
                prev = b
            } else {
                prev = v
            }
            t &+= 1
        }
        if !S.everyPeriod, t > from { out[(t &- 1) & mask] = prev }
        return (t > to ? 0 : t, prev)
    }
}

/// Whether a closed loop stores every period (and clamps it), or keeps only the last value.
protocol RecurrenceStore {
    static var everyPeriod: Bool { get }
    static var clamps: Bool { get }
}
enum EveryPeriod: RecurrenceStore {
    static var everyPeriod: Bool { true }
    static var clamps: Bool { true }
}
/// Every period stored, no `min:`/`max:`.
enum Unbounded: RecurrenceStore {
    static var everyPeriod: Bool { true }
    static var clamps: Bool { false }
}
/// Neither stored nor bounded.
enum LastOnly: RecurrenceStore {
    static var everyPeriod: Bool { false }
    static var clamps: Bool { false }
}

protocol RecurrenceHead { static func apply(_ v: Double, _ k: Double) -> Double }
protocol RecurrenceTail {
    static var readsTerm: Bool { get }
    static func apply(_ x: Double, _ c: Double, _ p: Double) -> Double
}
extension RecurrenceTail { static var readsTerm: Bool { false } }
enum HeadValue: RecurrenceHead { @inline(__always) static func apply(_ v: Double, _ k: Double) -> Double { v } }
enum HeadMul: RecurrenceHead { @inline(__always) static func apply(_ v: Double, _ k: Double) -> Double { v * k } }
enum HeadAdd: RecurrenceHead { @inline(__always) static func apply(_ v: Double, _ k: Double) -> Double { v + k } }
enum HeadSub: RecurrenceHead { @inline(__always) static func apply(_ v: Double, _ k: Double) -> Double { v - k } }
enum TailNone: RecurrenceTail { @inline(__always) static func apply(_ x: Double, _ c: Double, _ p: Double) -> Double { x } }
enum TailAddK: RecurrenceTail { @inline(__always) static func apply(_ x: Double, _ c: Double, _ p: Double) -> Double { x + c } }
enum TailSubK: RecurrenceTail { @inline(__always) static func apply(_ x: Double, _ c: Double, _ p: Double) -> Double { x - c } }
enum TailMulK: RecurrenceTail { @inline(__always) static func apply(_ x: Double, _ c: Double, _ p: Double) -> Double { x * c } }
enum TailAddP: RecurrenceTail { static var readsTerm: Bool { true }; @inline(__always) static func apply(_ x: Double, _ c: Double, _ p: Double) -> Double { x + p } }
enum TailSubP: RecurrenceTail { static var readsTerm: Bool { true }; @inline(__always) static func apply(_ x: Double, _ c: Double, _ p: Double) -> Double { x - p } }
enum TailMulP: RecurrenceTail { static var readsTerm: Bool { true }; @inline(__always) static func apply(_ x: Double, _ c: Double, _ p: Double) -> Double { x * p } }

extension NumericCode {
    /// The closed recurrence of this (fused) program, or nil when it has another shape.
    func recurrence() -> Recurrence? {
        guard let first = ops.first else { return nil }
        var r: Recurrence
        switch first.code {
        case .value: r = Recurrence(head: .value, k: 0)
        case .valueMulK: r = Recurrence(head: .mul, k: consts[Int(first.a)])
        case .valueAddK: r = Recurrence(head: .add, k: consts[Int(first.a)])
        case .valueSubK: r = Recurrence(head: .sub, k: consts[Int(first.a)])
        default: return nil
        }
        if ops.count == 1 { return r }
        if ops.count == 2 {
            let op = ops[1]
            switch op.code {
            case .addK: r.tail = .addK
            case .subK: r.tail = .subK
            case .mulK: r.tail = .mulK
            default: return nil
            }
            r.c = consts[Int(op.a)]
            return r
        }
        // value-head, P…, combine: P must be one whole expression of t alone.
        switch ops[ops.count - 1].code {
        case .add: r.tail = .addP
        case .sub: r.tail = .subP
        case .mul: r.tail = .mulP
        default: return nil
        }
        let body = Array(ops[1..<(ops.count - 1)])
        var depth = 0, maxDepth = 0
        for op in body {
            switch op.code {
            case .value, .prev, .valueAddK, .valueSubK, .valueMulK, .valueDivK, .valueRsubK, .valueRdivK: return nil
            case .const_, .t, .tAddK, .tSubK, .tMulK, .tDivK, .tRsubK, .tRdivK: depth += 1
            case .add, .sub, .mul, .div, .pow, .min, .max: depth -= 1
            case .neg, .abs, .sqrt, .exp, .ln, .log10, .addK, .subK, .mulK, .divK, .rsubK, .rdivK: break
            }
            if depth < 1 { return nil }
            maxDepth = Swift.max(maxDepth, depth)
        }
        guard depth == 1 else { return nil }
        var term = NumericCode()
        term.ops = body
        term.consts = consts
        term.maxDepth = maxDepth
        r.term = term
        return r
    }
}

/// P of a closed recurrence for a block of periods, one operation at a time over the
/// whole block (the interpreter's operations and checks, element by element).
struct TermBlock {
    /// Small on purpose: a block's term and the recurrence over the previous one fit in
    /// the processor's reorder window together, so the term's divisions overlap the
    /// recurrence's wait for each value (64 ran 10% faster than 512).
    static let size = 64
    let code: NumericCode
    /// The constants, never empty (operations without one read index 0).
    private let consts: [Double]
    /// `maxDepth` columns of `size` values; column 0 ends up holding P.
    private let columns: UnsafeMutablePointer<Double>
    private let stack: UnsafeMutablePointer<Double>
    private let keep: Keep
    /// `ts[j]` is period `tsFrom + j`.
    private let ts: UnsafeMutablePointer<Double>
    private var tsFrom = Int.min / 2

    /// Frees the columns with the last copy of the block.
    private final class Keep {
        let columns: UnsafeMutablePointer<Double>, stack: UnsafeMutablePointer<Double>, ts: UnsafeMutablePointer<Double>
        init(_ c: UnsafeMutablePointer<Double>, _ s: UnsafeMutablePointer<Double>, _ t: UnsafeMutablePointer<Double>) {
            columns = c
            stack = s
            ts = t
        }
        deinit { columns.deallocate(); stack.deallocate(); ts.deallocate() }
    }

    init(_ code: NumericCode) {
        self.code = code
        consts = code.consts.isEmpty ? [0] : code.consts
        columns = .allocate(capacity: Swift.max(1, code.maxDepth) * Self.size)
        stack = .allocate(capacity: code.maxDepth + 1)
        ts = .allocate(capacity: Self.size)
        keep = Keep(columns, stack, ts)
    }

    var values: UnsafePointer<Double> { UnsafePointer(columns) }

    /// Computes P for periods `from...to` (at most `size`) into `values`; returns the last
    /// period before the first one the interpreter would refuse (`to` when none is).
    mutating func fill(_ from: Int, _ to: Int) -> Int {
        let n = to - from + 1
        // Periods as doubles, advanced by whole blocks (exact: integers below 2^53).
        if from == tsFrom + Self.size {
            for j in 0..<Self.size { ts[j] += Double(Self.size) }
        } else if from != tsFrom {
            for j in 0..<Self.size { ts[j] = Double(from + j) }
        }
        tsFrom = from
        let ok = code.ops.withUnsafeBufferPointer { ops in
            consts.withUnsafeBufferPointer { ks in Self.run(ops, ks.baseAddress!, n, ts, columns) }
        }
        if ok { return to }
        // Find the first refused period with the interpreter itself.
        var series = stack
        return code.ops.withUnsafeBufferPointer { ops in
            consts.withUnsafeBufferPointer { ks in
                withUnsafePointer(to: &series) { table in
                    for t in from...to where NumericCode.run(ops, ks.baseAddress!, value: 0, t: t, series: table, stack: stack) == nil {
                        return t - 1
                    }
                    return to
                }
            }
        }
    }

    /// Runs the program over a block: `ts[j]` is period t0 + j as a double. Each checked
    /// operation folds its check into a flag without a branch per element.
    @inline(never)
    private static func run(_ ops: UnsafeBufferPointer<NumericCode.Op>, _ k: UnsafePointer<Double>, _ n: Int,
                            _ ts: UnsafePointer<Double>, _ cols: UnsafeMutablePointer<Double>) -> Bool {
        var top = -1
        var bad: UInt8 = 0
        for op in ops {
            let kk = k[Int(op.a)]
            switch op.code {
            case .const_, .t, .tAddK, .tSubK, .tMulK, .tDivK, .tRsubK, .tRdivK:
                top += 1
                let c = cols + top &* size
                switch op.code {
                case .const_: for j in 0..<n { c[j] = kk }
                case .t: for j in 0..<n { c[j] = ts[j] }
                case .tAddK: for j in 0..<n { c[j] = ts[j] + kk }
                case .tSubK: for j in 0..<n { c[j] = ts[j] - kk }
                case .tMulK: for j in 0..<n { c[j] = ts[j] * kk }
                case .tDivK: for j in 0..<n { c[j] = ts[j] / kk }
                case .tRsubK: for j in 0..<n { c[j] = kk - ts[j] }
                default: for j in 0..<n { c[j] = kk / ts[j] }   // t ≥ 1: never a zero divisor
                }
            case .neg, .abs, .addK, .subK, .mulK, .divK, .rsubK, .rdivK, .sqrt, .exp, .ln, .log10:
                let c = cols + top &* size
                switch op.code {
                case .neg: for j in 0..<n { c[j] = -c[j] }
                case .abs: for j in 0..<n { c[j] = Swift.abs(c[j]) }
                case .addK: for j in 0..<n { c[j] += kk }
                case .subK: for j in 0..<n { c[j] -= kk }
                case .mulK: for j in 0..<n { c[j] *= kk }
                case .divK: for j in 0..<n { c[j] /= kk }
                case .rsubK: for j in 0..<n { c[j] = kk - c[j] }
                case .rdivK:
                    for j in 0..<n {
                        let x = c[j]
                        bad |= x == 0 || !(Swift.abs(x) < .infinity) ? 1 : 0
                        c[j] = kk / x
                    }
                case .sqrt:
                    for j in 0..<n { bad |= c[j] < 0 ? 1 : 0; c[j] = c[j].squareRoot() }
                case .exp:
                    for j in 0..<n { bad |= !(Swift.abs(c[j]) < .infinity) ? 1 : 0 }
                    for j in 0..<n { c[j] = CMath.exp(c[j]) }
                case .ln:
                    for j in 0..<n { bad |= c[j] <= 0 ? 1 : 0 }
                    for j in 0..<n { c[j] = CMath.log(c[j]) }
                default:
                    for j in 0..<n { bad |= c[j] <= 0 ? 1 : 0 }
                    for j in 0..<n { c[j] = CMath.log10(c[j]) }
                }
            case .add, .sub, .mul, .div, .pow, .min, .max:
                top -= 1
                let a = cols + top &* size, b = a + size
                switch op.code {
                case .add: for j in 0..<n { a[j] = a[j] + b[j] }
                case .sub: for j in 0..<n { a[j] = a[j] - b[j] }
                case .mul: for j in 0..<n { a[j] = a[j] * b[j] }
                case .div:
                    for j in 0..<n {
                        bad |= b[j] == 0 || !(Swift.abs(a[j]) < .infinity) || !(Swift.abs(b[j]) < .infinity) ? 1 : 0
                        a[j] = a[j] / b[j]
                    }
                default:
                    for j in 0..<n { bad |= !(Swift.abs(a[j]) < .infinity) || !(Swift.abs(b[j]) < .infinity) ? 1 : 0 }
                    switch op.code {
                    case .pow: for j in 0..<n { a[j] = CMath.pow(a[j], b[j]) }
                    // min(l, r) is r when r < l, else l; max alike (as the interpreter).
                    case .min: for j in 0..<n { a[j] = b[j] < a[j] ? b[j] : a[j] }
                    default: for j in 0..<n { a[j] = b[j] > a[j] ? b[j] : a[j] }
                    }
                }
            case .value, .prev, .valueAddK, .valueSubK, .valueMulK, .valueDivK, .valueRsubK, .valueRdivK:
                return false
            }
            if top < 0 { return false }
        }
        // A non-finite P needs no check here: the tails that read it add, subtract or
        // multiply it, so the recurrence's value is then non-finite and fails the period.
        return top == 0 && bad == 0
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
