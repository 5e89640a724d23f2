/// Goal seek (SPEC §16): the value of an input at which an expression reaches a value,
/// found by bracketing and Brent's method, every trial point an incremental probe.

/// A resolved `solve INPUT for EXPR = VALUE [in [LO, HI]]`.
struct SolveSite {
    /// The cell varied.
    var input: Int32
    /// EXPR, VALUE and the range's nodes (-1 without a range).
    var expr: Int32
    var value: Int32
    var lo: Int32 = -1
    var hi: Int32 = -1
    /// Cells EXPR reads, and its user functions (their cells are read through them).
    var exprDeps: [Int32] = []
    var exprCalls: [Int32] = []
    /// Everything the expression reads: EXPR, VALUE, the range and INPUT.
    var deps: [Int32] = []
    var calls: [Int32] = []
    var volatile = false
    var span: Span
}

/// What a goal seek found.
struct SeekAnswer {
    /// INPUT's value at the solution (base units) and its unit.
    var x: Double
    var unit: NumberUnit
    /// EXPR at the solution.
    var achieved: Value
    /// INPUT's value before (nil when it had none).
    var start: Double?
    /// The bracket the answer was found in.
    var bracket: (Double, Double)
    var evaluations: Int
    /// EXPR jumps across VALUE at `x` (a step function) instead of equalling it.
    var boundary: Bool
}

/// The question a goal seek answers, with the names its messages use.
struct SeekQuestion {
    var input: Int32
    var inputText: String
    var expr: Int32
    var exprText: String
    var exprDeps: [Int32]
    var exprCalls: [Int32]
    var volatile: Bool
    var target: Value
    var bracket: (Value, Value)?
    var span: Span
}

extension Model {
    /// Resolves a parsed `solve` node into a ``SolveSite``.
    func resolveSolve(_ node: Int32, _ n: Node, _ scope: Scope, _ ctx: inout ResolveContext) -> Static {
        let kids = Array(pool.children(n))
        var inputCtx = ResolveContext()
        let target = resolve(n.a, scope, &inputCtx)
        var input: Int32 = -1
        switch target {
        case .cell(let c) where cells[Int(c)].kind != .derived:
            input = c
        case .cell(let c):
            sink.error("'\(cellPath(c))' is computed and cannot be solved for", at: pool[n.a].span,
                       hint: "solve for one of its inputs (a let, or a property such as current, target or baseline)")
        default:
            if sink.errorCount == 0 || pool[n.a].kind != .error {
                sink.error("'solve' needs an input to vary: the name of a let or a property path", at: pool[n.a].span,
                           hint: "e.g. solve churn for subscribers.final = 300M")
            }
        }
        var exprCtx = ResolveContext()
        if let e = kids.first { resolve(e, scope, &exprCtx) }
        var rest = ResolveContext()
        for k in kids.dropFirst() { resolve(k, scope, &rest) }
        var site = SolveSite(input: input, expr: kids.first ?? -1, value: kids.count > 1 ? kids[1] : -1, span: n.span)
        if kids.count == 4 { site.lo = kids[2]; site.hi = kids[3] }
        site.exprDeps = exprCtx.deps.items
        site.exprCalls = exprCtx.calls.items
        var deps = exprCtx.deps
        deps.formUnion(rest.deps.items)
        if input >= 0 { deps.insert(input) }
        var calls = exprCtx.calls
        calls.formUnion(rest.calls.items)
        site.deps = deps.items
        site.calls = calls.items
        site.volatile = exprCtx.volatile || rest.volatile
        ctx.deps.formUnion(site.deps)
        ctx.calls.formUnion(site.calls)
        ctx.coupled.formUnion(exprCtx.coupled.items)
        ctx.coupled.formUnion(rest.coupled.items)
        if site.volatile { ctx.volatile = true }
        guard input >= 0, kids.count >= 2 else { return .dynamic }
        solveSites.append(site)
        pool[node] = Node(kind: .solved, a: Int32(solveSites.count - 1), span: n.span)
        return .dynamic
    }
}

extension Evaluator {
    /// The source text of a node, for messages.
    func sourceText(_ node: Int32) -> String {
        let s = nodes[Int(node)].span
        guard s.file >= 0, Int(s.file) < model.program.files.count else { return "the expression" }
        return model.program.files[Int(s.file)].text(s.start, s.end)
    }

    /// Evaluates a `solve` expression: INPUT's value, in INPUT's unit.
    mutating func evalSolve(_ n: Node) throws(EvalError) -> Value {
        let a = try goalSeek(try question(n.a, span: n.span))
        return .number(a.x, a.unit)
    }

    /// The question a `solve` site asks, with VALUE and the range evaluated.
    mutating func question(_ siteIndex: Int32, span: Span) throws(EvalError) -> SeekQuestion {
        let site = model.solveSites[Int(siteIndex)]
        let target = try eval(site.value)
        var bracket: (Value, Value)?
        if site.lo >= 0 { bracket = (try eval(site.lo), try eval(site.hi)) }
        return SeekQuestion(input: site.input, inputText: model.cellPath(site.input), expr: site.expr,
                            exprText: sourceText(site.expr), exprDeps: site.exprDeps, exprCalls: site.exprCalls,
                            volatile: site.volatile, target: target, bracket: bracket, span: span)
    }

    /// Finds INPUT's value at which EXPR equals the target, within
    /// 1e-9 × max(1, |target|) (or the boundary where a step function jumps across it).
    mutating func goalSeek(_ q: SeekQuestion) throws(EvalError) -> SeekAnswer {
        let span = q.span
        func fail(_ message: String, _ hint: String? = nil) -> EvalError { EvalError(message: message, span: span, hint: hint) }
        // A value of the wrong kind is an error in the script, like a unit mismatch.
        func typeError(_ message: String) -> EvalError { EvalError(message: message, span: span, kind: .compile) }
        let startValue = try read(q.input, span)
        // INPUT's unit: its own, or (when it has no value yet) the range's.
        var unit: NumberUnit
        var x0: Double?
        switch startValue {
        case .number(let d, let u): unit = u; x0 = d
        case .none:
            guard let b = q.bracket, case .number(_, let u) = b.0 else {
                throw fail("'\(q.inputText)' has no value to start the search from",
                           "give a range: solve \(q.inputText) for … in [LO, HI]")
            }
            unit = u
        case .dist(let smp, _) where !smp.isBool:
            // An uncertain input has no one value to set: the goal seek works on the
            // mean of EXPR with the draws fixed, varying a plain number.
            throw EvalError(message: "'solve' varies a plain number, but '\(q.inputText)' is uncertain (a distribution)",
                            span: span,
                            hint: "solve for a plain input its distribution is built from, e.g. let churn_mid = 4% and let churn = churn_mid * (0.9 to 1.1)",
                            kind: .compile)
        default:
            throw typeError("'solve' varies a number, but '\(q.inputText)' is a \(startValue.kindName)")
        }
        guard case .number(let goal, let goalUnit) = q.target else {
            throw typeError("'solve' needs a number to reach, got a \(q.target.kindName)")
        }
        var range: (Double, Double)?
        if let (lo, hi) = q.bracket {
            guard case .number(var a, let ua) = lo, case .number(var b, let ub) = hi else {
                throw typeError("the range of 'solve' needs two numbers, as in [LO, HI]")
            }
            for u in [ua, ub] where !u.sameDimension(unit) {
                throw EvalError(message: "unit mismatch: the range is in \(u.nameForMessages) but '\(q.inputText)' is in \(unit.nameForMessages)",
                                span: span, kind: .compile)
            }
            if a > b { swap(&a, &b) }
            guard a < b else { throw fail("the range of 'solve' is empty: LO and HI are both \(NumberFormat.display(a, unit))") }
            range = (a, b)
        }
        var probe = makeProbe(input: q.input, unit: unit, upstream: upstream(of: q.exprDeps, calls: q.exprCalls, volatile: q.volatile),
                              targetVolatile: q.volatile)
        defer { restore(probe) }
        if probe.reachesInput == false {
            throw EvalError(message: "'\(q.exprText)' does not depend on '\(q.inputText)'", span: span,
                            hint: "solve for an input that '\(q.exprText)' reads (`:deps` lists them)", kind: .compile)
        }
        let tolerance = 1e-9 * max(1, abs(goal))
        var lastError: (Double, String)?
        var seenLow = Double.infinity, seenHigh = -Double.infinity
        var lastValue: Value = .none
        // EXPR − VALUE at x, or nil where EXPR fails.
        func residual(_ x: Double) throws(EvalError) -> Double? {
            switch try trial(&probe, at: x, target: q.expr) {
            case .failure(let e):
                if lastError == nil || abs(x - (x0 ?? 0)) < abs(lastError!.0 - (x0 ?? 0)) { lastError = (x, e.message) }
                return nil
            case .success(let v):
                guard let (d, u) = scalar(v) else {
                    throw typeError("'solve' needs '\(q.exprText)' to be a number, got a \(v.kindName)")
                }
                guard u.sameDimension(goalUnit) else {
                    throw EvalError(message: "unit mismatch: '\(q.exprText)' is in \(u.nameForMessages) but the value to reach is in \(goalUnit.nameForMessages)",
                                    span: span, kind: .compile)
                }
                lastValue = v
                seenLow = min(seenLow, d)
                seenHigh = max(seenHigh, d)
                let r = d - goal
                return r.isFinite ? r : nil
            }
        }
        func show(_ x: Double) -> String { NumberFormat.display(x, unit) }
        func showGoal(_ x: Double) -> String { NumberFormat.display(x, goalUnit) }
        func answer(_ x: Double, _ bracket: (Double, Double), boundary: Bool, edge: Bool = false) throws(EvalError) -> SeekAnswer {
            guard let r = try residual(x) else { throw fail("'\(q.exprText)' fails at \(q.inputText) = \(show(x))") }
            var best = x
            if edge || boundary {
                // The edge of a step is only known to the comparison tolerance: a rounder
                // number within 1e-8 that is on the same step reads better (3.5%, not 3.500000003%).
                for digits in 1...12 {
                    let y = roundToSignificant(x, digits)
                    guard y != x, abs(y - x) <= 1e-8 * abs(x), let ry = try residual(y) else { continue }
                    if boundary ? ry == r : abs(ry) <= tolerance { best = y; break }
                }
                if best != x { _ = try residual(best) } else { _ = try residual(x) }
            }
            return SeekAnswer(x: best, unit: unit, achieved: lastValue, start: x0, bracket: bracket,
                              evaluations: probe.evaluations, boundary: boundary)
        }
        // A plateau: EXPR − VALUE is exactly the same a little way from x toward p.
        func flat(_ x: Double, _ rx: Double, toward p: Double) throws(EvalError) -> Bool {
            let y = x + (p - x) * 1e-6
            return try residual(y) == rx
        }
        func noSolution(from a: Double, to b: Double, _ r: Double) -> EvalError {
            // EXPR took values on both sides of VALUE, but only across a pole or a gap.
            let crossed = seenLow < goal && seenHigh > goal
            var msg = crossed
                ? "no solution: '\(q.exprText)' passes \(showGoal(goal)) without reaching it for \(q.inputText) from \(show(a)) to \(show(b))"
                : "no solution: '\(q.exprText)' stays \(r > 0 ? "above" : "below") \(showGoal(goal)) for \(q.inputText) from \(show(a)) to \(show(b))"
            if seenLow <= seenHigh { msg += " (it ranges from \(showGoal(seenLow)) to \(showGoal(seenHigh)))" }
            var hint = q.bracket == nil ? "give a range to search with 'in [LO, HI]'" : "widen the range, or check the value to reach"
            if let (x, m) = lastError { hint = "at \(q.inputText) = \(show(x)): \(m)" }
            return EvalError(message: msg, span: span, hint: hint)
        }
        // The start already solves it: nothing to change.
        if let s = x0, range == nil || (s >= range!.0 && s <= range!.1), let r = try residual(s), abs(r) <= tolerance {
            return try answer(s, (s, s), boundary: false)
        }
        let scale = max(abs(x0 ?? 0), abs(range?.0 ?? 0), abs(range?.1 ?? 0), 1e-300)
        let xTolerance = 4e-16 * scale
        // Between `out` (outside the tolerance) and `inside` (within it), the point nearest
        // `out` that is within it: the boundary of a plateau (a threshold KR's score), or a root.
        func boundary(out: Double, rOut: Double, inside: Double) throws(EvalError) -> SeekAnswer {
            var a = out, b = inside, ra = rOut
            for _ in 0..<400 {
                let m = a + (b - a) / 2
                if m == a || m == b || abs(b - a) <= xTolerance { break }
                guard let r = try residual(m) else { throw fail("'\(q.exprText)' fails at \(q.inputText) = \(show(m))", lastError?.1) }
                if abs(r) <= tolerance { b = m }
                else if (r > 0) == (rOut > 0) { a = m; ra = r }
                else { return try brent(a, ra, m, r) }
            }
            return try answer(b, (min(out, inside), max(out, inside)), boundary: false, edge: true)
        }
        // Brent's method on a bracket with a sign change (Brent 1973, as in zeroin).
        func brent(_ a0: Double, _ fa0: Double, _ b0: Double, _ fb0: Double) throws(EvalError) -> SeekAnswer {
            var a = a0, b = b0, fa = fa0, fb = fb0
            var c = a, fc = fa, d = b - a, e = d
            for _ in 0..<500 {
                if (fb > 0) == (fc > 0) { c = a; fc = fa; d = b - a; e = d }
                if abs(fc) < abs(fb) { a = b; b = c; c = a; fa = fb; fb = fc; fc = fa }
                let tol1 = 2 * Double.ulpOfOne * abs(b) + 0.5 * xTolerance
                let xm = 0.5 * (c - b)
                // Iterating past the tolerance costs a step or two (convergence is
                // superlinear) and gives answers such as $25, not $24.99999998.
                if abs(fb) <= tolerance * 1e-6 { return try answer(b, (min(b, c), max(b, c)), boundary: false) }
                if abs(xm) <= tol1 {
                    // The bracket has shrunk to nothing. Outside the tolerance, EXPR jumps
                    // across VALUE here (a step function): the answer is the boundary. A
                    // jump larger than at the bracket's ends is a pole, not a step.
                    if abs(fb) > tolerance && min(abs(fb), abs(fc)) > max(abs(fa0), abs(fb0)) {
                        throw fail("no solution: '\(q.exprText)' jumps across \(showGoal(goal)) at \(q.inputText) = \(show(b)) without reaching it",
                                   "it is not continuous there (a division by something that becomes 0?)")
                    }
                    return try answer(b, (min(b, c), max(b, c)), boundary: abs(fb) > tolerance)
                }
                if abs(e) >= tol1 && abs(fa) > abs(fb) {
                    let s = fb / fa
                    var p: Double, qq: Double
                    if a == c {
                        p = 2 * xm * s
                        qq = 1 - s
                    } else {
                        let q0 = fa / fc, r = fb / fc
                        p = s * (2 * xm * q0 * (q0 - r) - (b - a) * (r - 1))
                        qq = (q0 - 1) * (r - 1) * (s - 1)
                    }
                    if p > 0 { qq = -qq }
                    p = abs(p)
                    if 2 * p < min(3 * xm * qq - abs(tol1 * qq), abs(e * qq)) {
                        e = d
                        d = p / qq
                    } else {
                        d = xm
                        e = d
                    }
                } else {
                    d = xm
                    e = d
                }
                a = b
                fa = fb
                b += abs(d) > tol1 ? d : (xm > 0 ? tol1 : -tol1)
                guard let r = try residual(b) else {
                    throw fail("'\(q.exprText)' fails at \(q.inputText) = \(show(b)) inside the bracket", lastError?.1)
                }
                fb = r
                // Landing exactly on VALUE's plateau: find its edge nearest the other side.
                if abs(fb) <= tolerance, abs(fc) > tolerance, try flat(b, fb, toward: c) {
                    return try boundary(out: c, rOut: fc, inside: b)
                }
            }
            return try answer(b, (min(b, c), max(b, c)), boundary: abs(fb) > tolerance)
        }
        // One step from `p` (residual rp, outside the tolerance) to `x`: a bracket found?
        func bracketed(_ p: Double, _ rp: Double, _ x: Double, _ rx: Double) throws(EvalError) -> SeekAnswer? {
            if abs(rx) <= tolerance {
                return try flat(x, rx, toward: p) ? boundary(out: p, rOut: rp, inside: x) : answer(x, (min(p, x), max(p, x)), boundary: false)
            }
            if (rx > 0) != (rp > 0) { return try brent(p, rp, x, rx) }
            return nil
        }
        // The same, but a sign change that is a pole or a gap where EXPR fails is no answer:
        // `failed` is set and the search goes on elsewhere (limits still stop it).
        func step(_ p: Double, _ rp: Double, _ x: Double, _ rx: Double, dead failed: inout Bool) throws(EvalError) -> SeekAnswer? {
            do {
                return try bracketed(p, rp, x, rx)
            } catch {
                if steps > limits.maxSteps || error.message == "interrupted" { throw error }
                lastError = (x, error.message)
                failed = true
                return nil
            }
        }
        if let (lo, hi) = range {
            // The ends, the start when it lies inside, and a grid for a sign change.
            var xs = [lo, hi]
            if let s = x0, s > lo, s < hi { xs.append(s) }
            var points: [(Double, Double)] = []
            func scan() throws(EvalError) -> SeekAnswer? {
                points.sort { $0.0 < $1.0 }
                var dead = false
                for i in points.indices.dropLast() {
                    let (p, rp) = points[i], (x, rx) = points[i + 1]
                    if abs(rp) > tolerance, let a = try step(p, rp, x, rx, dead: &dead) { return a }
                    if abs(rp) <= tolerance, abs(rx) > tolerance, let a = try step(x, rx, p, rp, dead: &dead) { return a }
                }
                return nil
            }
            for x in xs { if let r = try residual(x) { points.append((x, r)) } }
            if let a = try scan() { return a }
            for k in 1..<32 {
                let x = lo + (hi - lo) * Double(k) / 32
                if !xs.contains(x), let r = try residual(x) { points.append((x, r)) }
            }
            if let a = try scan() { return a }
            if let inside = points.first(where: { abs($0.1) <= tolerance }) { return try answer(inside.0, (lo, hi), boundary: false) }
            throw noSolution(from: lo, to: hi, points.first?.1 ?? 0)
        }
        // No range: widen from the start on both sides until the residual changes sign.
        // Where the start itself fails (1 / (x - 1) at x = 1), each side begins at its
        // first point that evaluates; a side ends at a failure after that.
        guard let s = x0 else { throw fail("'\(q.inputText)' has no value to start the search from") }
        let r0 = try residual(s)
        var delta = s != 0 ? abs(s) * 0.05 : 0.01
        let limit = max(abs(s), 1) * 1e6
        var sides: [(sign: Double, last: (x: Double, r: Double)?, before: (x: Double, r: Double)?, alive: Bool)] =
            [(1, r0.map { (s, $0) }, nil, true), (-1, r0.map { (s, $0) }, nil, true)]
        var highest = s, lowest = s
        while delta <= limit && sides.contains(where: \.alive) {
            for i in sides.indices where sides[i].alive {
                let x = s + sides[i].sign * delta
                guard let rx = try residual(x) else {
                    if sides[i].last != nil { sides[i].alive = false }
                    continue
                }
                highest = max(highest, x)
                lowest = min(lowest, x)
                // A sign change across a pole is passed over: the side widens on from x.
                var pole = false
                if let (p, rp) = sides[i].last, let a = try step(p, rp, x, rx, dead: &pole) { return a }
                if sides[i].last == nil, abs(rx) <= tolerance { return try answer(x, (x, x), boundary: false) }
                // |EXPR − VALUE| dipped and rose again without a sign change: two roots may
                // hide between the samples ((x − 1)(x − 1.2) = 0 from 0.5). Look closer.
                if let (b, rb) = sides[i].before, let (_, rp) = sides[i].last, abs(rp) < abs(rb), abs(rp) < abs(rx) {
                    var prev = (b, rb)
                    for k in 1...32 {
                        let y = b + (x - b) * Double(k) / 32
                        guard let ry = try residual(y) else { break }
                        if let a = try step(prev.0, prev.1, y, ry, dead: &pole) { return a }
                        prev = (y, ry)
                    }
                }
                sides[i].before = sides[i].last
                sides[i].last = (x, rx)
            }
            delta *= 2
        }
        throw noSolution(from: lowest, to: highest, r0 ?? sides.compactMap(\.last?.r).first ?? 0)
    }
}

/// `x` rounded to `digits` significant digits.
func roundToSignificant(_ x: Double, _ digits: Int) -> Double {
    guard x != 0, x.isFinite else { return x }
    let e = Int((abs(x)).exponent10) - digits + 1
    let scale = pow10(e)
    let r = (x / scale).rounded() * scale
    return r.isFinite ? r : x
}

private func pow10(_ e: Int) -> Double {
    var r = 1.0
    if e >= 0 { for _ in 0..<min(e, 400) { r *= 10 } } else { for _ in 0..<min(-e, 400) { r /= 10 } }
    return r
}

private extension Double {
    /// floor(log10(self)) for a positive finite number.
    var exponent10: Double {
        var e = 0.0, v = self
        while v >= 10 { v /= 10; e += 1 }
        while v < 1 { v *= 10; e -= 1 }
        return e
    }
}
