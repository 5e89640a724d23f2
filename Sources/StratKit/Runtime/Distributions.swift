#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Monte Carlo state of one evaluator (SPEC §13).
struct MonteCarlo {
    /// Samples per distribution (`simulate N`, `--samples`, `Configuration.samples`).
    var samples = 10_000
    /// Seed of every stream (`simulate … seed S`, `--seed`, `Configuration.seed`).
    var seed: UInt64 = 1
    /// Threads for sample loops (`Configuration.threads`).
    var threads = 1
    /// The cell whose formula is being evaluated (-1 for queries, -2 - k for statement k):
    /// with `period`, the declaration part of a constructor's stream key.
    var cell: Int32 = -1
    /// The projection period while stepping `next:` (a fresh draw each period), else 0.
    var period = 0
    /// Whether any distribution was drawn: reports then state N and the seed.
    var used = false
    var pathKeys: [Int32: UInt64] = [:]
    /// The declaration part of a query's keys: its source text (two `-e` expressions
    /// are two random variables; the same text twice is the same one).
    var queryPath: UInt64 = 0
    /// Per projection: every period's samples when the projection is uncertain, else empty.
    var projDists: [[Samples]] = []
    /// `value` inside `next:` while an uncertain projection steps.
    var value: Samples?
    /// Whether any projection holds samples (readers check `projDists` only then).
    var uncertainProjections = false
}

/// A numeric operand of a sample-wise operation: a pointer to N samples, or one constant.
struct Lane {
    var c: Double
    var p: UnsafePointer<Double>?
    @inline(__always) func at(_ i: Int) -> Double { if let p { return p[i] } else { return c } }
}

/// A constructor with its parameters checked, ready to draw any sample i.
struct Sampler {
    enum Kind { case point, normal, lognormal, uniform, triangular, beta, scaledBeta, bernoulli }
    var kind: Kind
    var a = 0.0, b = 0.0, c = 0.0, d = 0.0
    var key: UInt64 = 0
    var unit = NumberUnit.plain

    /// Sample i: a quantile transform of the stream's uniform (rejection for beta).
    @inline(__always) func sample(_ i: Int) -> Double {
        switch kind {
        case .point: return a
        case .normal: return a + b * SampleRandom.normal(key, i)
        case .lognormal: return exp(a + b * SampleRandom.normal(key, i))
        case .uniform: return a + (b - a) * SampleRandom.uniform(key, i)
        case .triangular:
            let u = SampleRandom.uniform(key, i)
            let span = c - a
            if u * span < b - a { return a + (u * span * (b - a)).squareRoot() }
            return c - ((1 - u) * span * (c - b)).squareRoot()
        case .beta:
            let x = SampleRandom.gamma(a, SampleRandom.substream(key, 1), i)
            let y = SampleRandom.gamma(b, SampleRandom.substream(key, 2), i)
            return x / (x + y)
        case .scaledBeta:
            let x = SampleRandom.gamma(a, SampleRandom.substream(key, 1), i)
            let y = SampleRandom.gamma(b, SampleRandom.substream(key, 2), i)
            return c + (d - c) * (x / (x + y))
        case .bernoulli: return SampleRandom.uniform(key, i) < a ? 1 : 0
        }
    }

    /// Fills out[lo..<hi] (one tight loop per kind).
    func fill(_ out: UnsafeMutablePointer<Double>, _ lo: Int, _ hi: Int) {
        switch kind {
        case .point: for i in lo..<hi { out[i] = a }
        case .normal: for i in lo..<hi { out[i] = a + b * SampleRandom.normal(key, i) }
        case .lognormal: for i in lo..<hi { out[i] = exp(a + b * SampleRandom.normal(key, i)) }
        case .uniform: for i in lo..<hi { out[i] = a + (b - a) * SampleRandom.uniform(key, i) }
        default: for i in lo..<hi { out[i] = sample(i) }
        }
    }
}

extension Evaluator {
    // MARK: Settings

    /// Applies `simulate N [seed S]` and the configuration's overrides; a bad value is a
    /// diagnostic at the `simulate` declaration.
    mutating func configureSimulation(samples: Int?, seed: UInt64?, threads: Int?) {
        mc.projDists = [[Samples]](repeating: [], count: model.projections.count)
        if let t = threads { mc.threads = Swift.max(1, Swift.min(t, 256)) } else { mc.threads = Parallel.threads }
        if let s = model.simulate {
            func literal(_ node: Int32, _ what: String) -> Double? {
                guard node >= 0 else { return nil }
                let n = nodes[Int(node)]
                guard n.kind == .number, case .number(let d, let u) = n.numberValue(constants), u.isDimensionless, d == d.rounded(), d >= 0, d < 1e18 else {
                    report(EvalError(message: "'simulate' needs a whole number for its \(what)", span: n.span,
                                     hint: "e.g. simulate 10000 seed 42", kind: .compile))
                    return nil
                }
                return d
            }
            if let n = literal(s.samples, "sample count") {
                if n < 1 || n > Double(limits.maxSamples) {
                    report(EvalError(message: "'simulate' sample count must be from 1 to \(formatCount(limits.maxSamples)) (the samples limit)",
                                     span: nodes[Int(s.samples)].span, kind: .compile))
                } else {
                    mc.samples = Int(n)
                }
            }
            if let sd = literal(s.seed, "seed") { mc.seed = UInt64(sd) }
        }
        if let n = samples { mc.samples = n }
        if let sd = seed { mc.seed = sd }
    }

    // MARK: Keys

    /// The stream key of the constructor at `node`, for the current declaration.
    mutating func streamKey(_ node: Int32) -> UInt64 {
        let path: UInt64
        if mc.cell == -1 {
            path = mc.queryPath
        } else if let k = mc.pathKeys[mc.cell] {
            path = k
        } else {
            let name = mc.cell >= 0 ? model.cellPath(mc.cell) : mc.cell == -1 ? "<query>" : "<statement \(-2 - Int(mc.cell))>"
            path = SampleRandom.hash(name)
            mc.pathKeys[mc.cell] = path
        }
        return SampleRandom.key(seed: mc.seed, path: path, local: model.siteKeys[node] ?? UInt64(node), period: mc.period)
    }

    // MARK: Helpers

    /// A new sample buffer of the configured count.
    func newSamples(isBool: Bool = false) -> Samples { Samples(uninitialized: mc.samples, isBool: isBool) }

    /// A numeric lane and unit of a value (number or numeric distribution), or nil.
    func lane(_ v: Value) -> (Lane, NumberUnit)? {
        switch v {
        case .number(let d, let u): return (Lane(c: d, p: nil), u)
        case .dist(let s, let u) where !s.isBool: return (Lane(c: 0, p: UnsafePointer(s.data)), u)
        default: return nil
        }
    }

    /// A bool lane (1/0) of a bool or bool distribution, or nil.
    func boolLane(_ v: Value) -> Lane? {
        switch v {
        case .bool(let b): return Lane(c: b ? 1 : 0, p: nil)
        case .dist(let s, _) where s.isBool: return Lane(c: 0, p: UnsafePointer(s.data))
        default: return nil
        }
    }

    /// Checks every sample is finite; the error names the expression and how many failed.
    func checkFinite(_ s: Samples, _ what: String, _ span: Span) throws(EvalError) -> Samples {
        // x * 0 is ±0 for a finite x and NaN for an infinite or NaN one, so one branch-free
        // pass (four independent sums the compiler can pair into vector lanes) finds out
        // whether any sample is bad; only then are they counted.
        let p = s.data, n = s.count
        var z0 = 0.0, z1 = 0.0, z2 = 0.0, z3 = 0.0
        var i = 0
        while i + 4 <= n {
            z0 += p[i] * 0; z1 += p[i + 1] * 0; z2 += p[i + 2] * 0; z3 += p[i + 3] * 0
            i += 4
        }
        while i < n { z0 += p[i] * 0; i += 1 }
        if (z0 + z1 + z2 + z3) == 0 { return s }
        var bad = 0
        for i in 0..<n where !p[i].isFinite { bad += 1 }
        if bad > 0 {
            throw EvalError(message: "\(what) is not a finite number in \(formatCount(bad)) of \(formatCount(s.count)) samples", span: span,
                            hint: "the result overflowed or is undefined for some draws; bound the inputs (e.g. with clamp or min/max)")
        }
        return s
    }

    /// Sample-wise `f(x, y)` over two lanes into a new buffer.
    @inline(__always)
    func map2(_ x: Lane, _ y: Lane, isBool: Bool = false, _ f: (Double, Double) -> Double) -> Samples {
        let out = newSamples(isBool: isBool)
        let o = out.data, n = mc.samples
        if let xp = x.p, let yp = y.p {
            Parallel.ranges(n, threads: mc.threads) { lo, hi in for i in lo..<hi { o[i] = f(xp[i], yp[i]) } }
        } else if let xp = x.p {
            let yc = y.c
            Parallel.ranges(n, threads: mc.threads) { lo, hi in for i in lo..<hi { o[i] = f(xp[i], yc) } }
        } else if let yp = y.p {
            let xc = x.c
            Parallel.ranges(n, threads: mc.threads) { lo, hi in for i in lo..<hi { o[i] = f(xc, yp[i]) } }
        } else {
            let r = f(x.c, y.c)
            o.initialize(repeating: r, count: n)
        }
        return out
    }

    @inline(__always)
    func map1(_ x: Lane, isBool: Bool = false, _ f: (Double) -> Double) -> Samples {
        let out = newSamples(isBool: isBool)
        let o = out.data, n = mc.samples
        if let xp = x.p {
            Parallel.ranges(n, threads: mc.threads) { lo, hi in for i in lo..<hi { o[i] = f(xp[i]) } }
        } else {
            o.initialize(repeating: f(x.c), count: n)
        }
        return out
    }

    /// Samples of a number or distribution (a plain number is repeated).
    func broadcast(_ v: Value) -> Samples? {
        switch v {
        case .dist(let s, _): return s
        case .number(let d, _): return Samples(repeating: d, count: mc.samples)
        case .bool(let b): return Samples(repeating: b ? 1 : 0, count: mc.samples, isBool: true)
        default: return nil
        }
    }

    // MARK: Operators

    /// `l op r` where at least one side is a distribution: one pass over the samples.
    mutating func distBinary(_ op: BinaryOp, _ l: Value, _ r: Value, _ n: Node) throws(EvalError) -> Value {
        if op == .and || op == .or {
            guard let x = boolLane(l) else { throw typeError("use '\(op.symbol)' with", l, n.a, n.span) }
            guard let y = boolLane(r) else { throw typeError("use '\(op.symbol)' with", r, n.b, n.span) }
            let s = op == .and ? map2(x, y, isBool: true) { $0 != 0 && $1 != 0 ? 1 : 0 }
                : map2(x, y, isBool: true) { $0 != 0 || $1 != 0 ? 1 : 0 }
            return .dist(s, .plain)
        }
        if (op == .eq || op == .ne), let x = boolLane(l), let y = boolLane(r) {
            return .dist(map2(x, y, isBool: true) { (($0 == $1) == (op == .eq)) ? 1 : 0 }, .plain)
        }
        guard let (x, ux) = lane(l), let (y, uy) = lane(r) else {
            let bad = lane(l) == nil ? l : r
            let verb = op == .add ? "add" : op == .sub ? "subtract" : op == .mul ? "multiply" : op == .div ? "divide" : op == .pow ? "raise" : "compare"
            throw EvalError(message: "cannot \(verb) \(describeOperand(l, n.a)) and \(describeOperand(r, n.b))", span: n.span,
                            hint: bad.kindName == "bool distribution" ? "an uncertain condition is a bool distribution; use P(…) for its probability" : nil,
                            kind: l.isNone || r.isNone ? .runtime : .compile)
        }
        // Units (and unit errors) exactly as the scalar operator decides them, from sample 0.
        let probe = try arithmetic(op, x.at(0), ux, y.at(0), uy, n)
        let unit: NumberUnit
        if case .number(_, let u) = probe { unit = u } else { unit = .plain }
        let s: Samples
        switch op {
        case .convert: s = map1(x) { $0 }
        case .add: s = map2(x, y) { $0 + $1 }
        case .sub: s = map2(x, y) { $0 - $1 }
        case .mul: s = map2(x, y) { $0 * $1 }
        case .div:
            if let yp = y.p {
                var zeros = 0
                for i in 0..<mc.samples where yp[i] == 0 { zeros += 1 }
                if zeros > 0 {
                    throw EvalError(message: "division by zero in \(formatCount(zeros)) of \(formatCount(mc.samples)) samples", span: n.span,
                                    hint: "the divisor's distribution reaches 0; keep it away from 0 (e.g. a lognormal 'a to b' with 0 < a)")
                }
            }
            s = map2(x, y) { $0 / $1 }
        case .pow:
            if !ux.isDimensionless, let yp = y.p {
                for i in 0..<mc.samples where yp[i] != yp[0] {
                    throw EvalError(message: "unit mismatch: \(ux.nameForMessages) can only be raised to a whole power, not an uncertain one", span: n.span, kind: .compile)
                }
            }
            s = map2(x, y) { pow($0, $1) }
        case .eq: return .dist(map2(x, y, isBool: true) { Value.numbersEqual($0, $1) ? 1 : 0 }, .plain)
        case .ne: return .dist(map2(x, y, isBool: true) { Value.numbersEqual($0, $1) ? 0 : 1 }, .plain)
        case .lt: return .dist(map2(x, y, isBool: true) { $0 < $1 ? 1 : 0 }, .plain)
        case .le: return .dist(map2(x, y, isBool: true) { $0 <= $1 || Value.numbersEqual($0, $1) ? 1 : 0 }, .plain)
        case .gt: return .dist(map2(x, y, isBool: true) { $0 > $1 ? 1 : 0 }, .plain)
        case .ge: return .dist(map2(x, y, isBool: true) { $0 >= $1 || Value.numbersEqual($0, $1) ? 1 : 0 }, .plain)
        case .and, .or: throw EvalError(message: "'\(op.symbol)' needs booleans", span: n.span)
        }
        return .dist(try checkFinite(s, "the result of '\(op.symbol)'", n.span), unit)
    }

    /// `-x` and `not c` of a distribution.
    @inline(never) mutating func distUnary(_ kind: NodeKind, _ v: Value, _ n: Node) throws(EvalError) -> Value {
        if kind == .not {
            guard let x = boolLane(v) else { throw typeError("apply 'not' to", v, n.a, n.span) }
            return .dist(map1(x, isBool: true) { $0 != 0 ? 0 : 1 }, .plain)
        }
        guard let (x, u) = lane(v) else { throw typeError("negate", v, n.a, n.span) }
        return .dist(map1(x) { -$0 }, u)
    }

    /// `if c then a else b` with an uncertain condition: both branches, chosen per sample.
    mutating func distCond(_ c: Samples, _ n: Node) throws(EvalError) -> Value {
        let (tn, en) = (extra[Int(n.b)], extra[Int(n.b) + 1])
        let a = try eval(tn), b = try eval(en)
        if let x = boolLane(a), let y = boolLane(b) {
            let cp = UnsafePointer(c.data)
            let out = newSamples(isBool: true)
            for i in 0..<mc.samples { out.data[i] = cp[i] != 0 ? x.at(i) : y.at(i) }
            return .dist(out, .plain)
        }
        guard let (x, ux) = lane(a), let (y, uy) = lane(b) else {
            throw EvalError(message: "an uncertain condition must choose between numbers or bools, not \(describeOperand(a, tn)) and \(describeOperand(b, en))",
                            span: n.span, hint: "summarize the condition first, e.g. 'if P(cond) >= 50% then … else …'")
        }
        guard ux.sameDimension(uy) else {
            throw EvalError(message: "unit mismatch: the branches of an uncertain 'if' are \(ux.nameForMessages) and \(uy.nameForMessages)", span: n.span, kind: .compile)
        }
        let cp = UnsafePointer(c.data)
        let out = newSamples()
        let o = out.data
        Parallel.ranges(mc.samples, threads: mc.threads) { lo, hi in for i in lo..<hi { o[i] = cp[i] != 0 ? x.at(i) : y.at(i) } }
        return .dist(out, ux.display == .plain && !(uy.display == .plain) ? uy : ux)
    }

    // MARK: Constructors

    /// The value of an argument that must be a plain (not uncertain) number.
    private mutating func param(_ node: Int32, _ what: String, _ span: Span) throws(EvalError) -> (Double, NumberUnit) {
        let v = try eval(node)
        switch v {
        case .number(let d, let u): return (d, u)
        case .dist:
            throw EvalError(message: "\(what) must be a plain number, not a distribution", span: nodes[Int(node)].span,
                            hint: "shift or scale a distribution instead, e.g. 'mu + normal(0, sd)'")
        default:
            if case .none = v { throw typeError("use as \(what)", v, node, span) }
            throw EvalError(message: "\(what) must be a number, not \(describeOperand(v, node))", span: nodes[Int(node)].span)
        }
    }

    private func sameDimension(_ units: [NumberUnit], _ name: String, _ span: Span) throws(EvalError) -> NumberUnit {
        let first = units[0]
        for u in units.dropFirst() where !u.sameDimension(first) {
            throw EvalError(message: "unit mismatch in \(name): \(first.nameForMessages) and \(u.nameForMessages)", span: span,
                            hint: "a distribution's parameters share one unit", kind: .compile)
        }
        return units.first(where: { $0.display != .plain }) ?? first
    }

    private func dimensionless(_ u: NumberUnit, _ name: String, _ span: Span) throws(EvalError) {
        guard u.isDimensionless else {
            throw EvalError(message: "unit mismatch: \(name) takes plain numbers, not \(u.nameForMessages)", span: span, kind: .compile)
        }
    }

    /// Checks a constructor node and returns its sampler (nothing drawn yet).
    mutating func sampler(_ node: Int32) throws(EvalError) -> Sampler {
        let n = nodes[Int(node)]
        let key = streamKey(node)
        if n.kind == .range {
            let (a, ua) = try param(n.a, "the low end of 'a to b'", n.span)
            let (b, ub) = try param(n.b, "the high end of 'a to b'", n.span)
            let u = try sameDimension([ua, ub], "'a to b'", n.span)
            let la = NumberFormat.display(a, ua), lb = NumberFormat.display(b, ub)
            if a == 0 {
                throw EvalError(message: "'\(la) to \(lb)' starts at 0: a 90% interval from 0 has no lognormal reading, and Strat never silently turns it into a normal",
                                span: n.span, hint: "say which you mean: uniform(0, \(lb)) for any value in the range, or normal(mean, sd) for a bell curve")
            }
            if a >= b {
                throw EvalError(message: "'\(la) to \(lb)' needs its low end below its high end (it is a 90% interval: p5 to p95)",
                                span: n.span, hint: "write '\(lb) to \(la)', or use normal(mean, sd) or uniform(low, high)")
            }
            let z = SampleRandom.z95
            if a > 0 {
                let la = log(a), lb = log(b)
                return Sampler(kind: .lognormal, a: (la + lb) / 2, b: (lb - la) / (2 * z), key: key, unit: u)
            }
            return Sampler(kind: .normal, a: (a + b) / 2, b: (b - a) / (2 * z), key: key, unit: u)
        }
        guard n.kind == .builtin, let b = Builtin(rawValue: n.a), b.isConstructor, b != .mixture else {
            throw EvalError(message: "internal: not a constructor", span: n.span)
        }
        let args = Array(extra[extra.childRange(n)])
        switch b {
        case .normal:
            let (m, um) = try param(args[0], "the mean of normal()", n.span)
            let (s, us) = try param(args[1], "the sd of normal()", n.span)
            let u = try sameDimension([um, us], "normal()", n.span)
            guard s >= 0 else { throw EvalError(message: "normal() needs sd >= 0, got \(NumberFormat.display(s, us))", span: n.span) }
            return Sampler(kind: .normal, a: m, b: s, key: key, unit: u)
        case .uniform:
            let (lo, ul) = try param(args[0], "the low end of uniform()", n.span)
            let (hi, uh) = try param(args[1], "the high end of uniform()", n.span)
            let u = try sameDimension([ul, uh], "uniform()", n.span)
            guard lo <= hi else { throw EvalError(message: "uniform() needs low <= high", span: n.span) }
            return Sampler(kind: .uniform, a: lo, b: hi, key: key, unit: u)
        case .triangular, .pert:
            let (lo, ul) = try param(args[0], "the low end of \(b.name)()", n.span)
            let (mo, um) = try param(args[1], "the mode of \(b.name)()", n.span)
            let (hi, uh) = try param(args[2], "the high end of \(b.name)()", n.span)
            let u = try sameDimension([ul, um, uh], "\(b.name)()", n.span)
            guard lo <= mo, mo <= hi, lo < hi else {
                throw EvalError(message: "\(b.name)() needs low <= mode <= high with low < high", span: n.span)
            }
            if b == .triangular { return Sampler(kind: .triangular, a: lo, b: mo, c: hi, key: key, unit: u) }
            let w = hi - lo
            return Sampler(kind: .scaledBeta, a: 1 + 4 * (mo - lo) / w, b: 1 + 4 * (hi - mo) / w, c: lo, d: hi, key: key, unit: u)
        case .beta:
            let (al, ua) = try param(args[0], "alpha of beta()", n.span)
            let (be, ub) = try param(args[1], "beta of beta()", n.span)
            try dimensionless(ua, "beta()", n.span)
            try dimensionless(ub, "beta()", n.span)
            guard al > 0, be > 0 else { throw EvalError(message: "beta() needs alpha > 0 and beta > 0", span: n.span) }
            return Sampler(kind: .beta, a: al, b: be, key: key, unit: .plain)
        case .bernoulli:
            let (p, up) = try param(args[0], "the probability of bernoulli()", n.span)
            try dimensionless(up, "bernoulli()", n.span)
            guard p >= 0, p <= 1 else { throw EvalError(message: "bernoulli() needs a probability from 0 to 1", span: n.span) }
            return Sampler(kind: .bernoulli, a: p, key: key, unit: .plain)
        default:
            throw EvalError(message: "internal: not a constructor", span: n.span)
        }
    }

    private mutating func checkSampleLimit(_ span: Span) throws(EvalError) {
        if mc.samples > limits.maxSamples {
            throw EvalError(message: "\(formatCount(mc.samples)) samples is more than the samples limit (\(formatCount(limits.maxSamples)))",
                            span: span, hint: "lower --samples or 'simulate N'; the limit can be raised by the embedder")
        }
    }

    /// Draws a constructor's N samples.
    mutating func draw(_ node: Int32) throws(EvalError) -> Value {
        let span = nodes[Int(node)].span
        try checkSampleLimit(span)
        steps &+= mc.samples >> 6
        if nodes[Int(node)].kind == .builtin, nodes[Int(node)].a == Builtin.mixture.rawValue { return try mixture(node) }
        let s = try sampler(node)
        mc.used = true
        let out = newSamples()
        let o = out.data
        Parallel.ranges(mc.samples, grain: 16_384, threads: mc.threads) { lo, hi in s.fill(o, lo, hi) }
        return .dist(try checkFinite(out, "a draw", span), s.unit)
    }

    /// `mixture([x1, x2, …], [w1, w2, …])`: each sample picks a component by weight. A
    /// component written as a constructor is drawn only where it is picked.
    private mutating func mixture(_ node: Int32) throws(EvalError) -> Value {
        let n = nodes[Int(node)]
        let key = streamKey(node)
        let itemsNode = extra[Int(n.b)]
        enum Part { case lane(Lane, Value), draw(Sampler) }
        var parts: [Part] = []
        var units: [NumberUnit] = []
        func add(_ v: Value, _ at: Int32) throws(EvalError) {
            guard let (l, u) = lane(v) else {
                throw EvalError(message: "mixture() components must be numbers or distributions, not \(describeOperand(v, at))", span: nodes[Int(at)].span)
            }
            parts.append(.lane(l, v))
            // A bare 0 or 1 is a point mass in any unit.
            if !(u == .plain && (l.p == nil)) { units.append(u) }
        }
        if nodes[Int(itemsNode)].kind == .list {
            let it = nodes[Int(itemsNode)]
            for k in extra.childRange(it) {
                let ch = extra[k]
                let cn = nodes[Int(ch)]
                if cn.kind == .range || (cn.kind == .builtin && (Builtin(rawValue: cn.a)?.isConstructor ?? false) && cn.a != Builtin.mixture.rawValue) {
                    let s = try sampler(ch)
                    parts.append(.draw(s))
                    units.append(s.unit)
                } else {
                    try add(try eval(ch), ch)
                }
            }
        } else {
            let v = try eval(itemsNode)
            guard case .list(let l) = v else {
                throw EvalError(message: "mixture() needs a list of components, got \(describeOperand(v, itemsNode))", span: n.span)
            }
            for x in l { try add(x, itemsNode) }
        }
        guard !parts.isEmpty else { throw EvalError(message: "mixture() of an empty list", span: n.span) }
        var weights = [Double](repeating: 1, count: parts.count)
        if extra.childCount(n) == 2 {
            let wn = extra[Int(n.b) + 1]
            let wv = try eval(wn)
            guard case .list(let wl) = wv, wl.count == parts.count else {
                throw EvalError(message: "mixture() needs one weight per component (\(parts.count))", span: nodes[Int(wn)].span)
            }
            for (k, w) in wl.enumerated() {
                guard case .number(let d, let u) = w, u.isDimensionless, d >= 0, d.isFinite else {
                    throw EvalError(message: "mixture() weights must be plain numbers >= 0 (weight \(k + 1) is \(w.description))", span: nodes[Int(wn)].span)
                }
                weights[k] = d
            }
        }
        let total = weights.reduce(0, +)
        guard total > 0 else { throw EvalError(message: "mixture() weights sum to 0", span: n.span) }
        let unit = units.isEmpty ? NumberUnit.plain : try sameDimension(units, "mixture()", n.span)
        var cum: [Double] = []
        var acc = 0.0
        for w in weights { acc += w / total; cum.append(acc) }
        cum[cum.count - 1] = 2  // every uniform falls in some component
        mc.used = true
        let out = newSamples()
        let o = out.data
        let selector = SampleRandom.substream(key, 0x4D49_58)
        let k = parts.count
        // Flat per-component tables (no enum with a reference payload in the loop): a
        // sampler to draw from, else a lane (samples or a constant).
        var samplers: [Sampler] = [], lanes: [Lane] = [], draws: [Bool] = []
        for part in parts {
            switch part {
            case .lane(let l, _): lanes.append(l); samplers.append(Sampler(kind: .point)); draws.append(false)
            case .draw(let s): lanes.append(Lane(c: 0, p: nil)); samplers.append(s); draws.append(true)
            }
        }
        samplers.withUnsafeBufferPointer { ss in
            lanes.withUnsafeBufferPointer { ls in
                draws.withUnsafeBufferPointer { ds in
                    cum.withUnsafeBufferPointer { cs in
                        Parallel.ranges(mc.samples, grain: 16_384, threads: mc.threads) { lo, hi in
                            for i in lo..<hi {
                                let u = SampleRandom.uniform(selector, i)
                                var j = 0
                                while j < k - 1 && u >= cs[j] { j += 1 }
                                o[i] = ds[j] ? ss[j].sample(i) : ls[j].at(i)
                            }
                        }
                    }
                }
            }
        }
        withExtendedLifetime(parts) {}
        return .dist(try checkFinite(out, "a mixture", n.span), unit)
    }

    // MARK: Built-in functions

    /// Constructors and summaries (`mean sd median percentile P`).
    mutating func distributionBuiltin(_ b: Builtin, _ n: Node, _ node: Int32) throws(EvalError) -> Value {
        if b.isConstructor { return try draw(node) }
        let an = extra[Int(n.b)]
        let v = try eval(an)
        switch b {
        case .P:
            switch v {
            case .bool(let x): return .number(x ? 1 : 0, NumberUnit(display: .percent))
            case .dist(let s, _) where s.isBool: return .number(s.fractionTrue, NumberUnit(display: .percent))
            default:
                throw EvalError(message: "P() needs a condition (a comparison), got \(describeOperand(v, an))", span: n.span,
                                hint: "e.g. P(revenue > $40B)")
            }
        case .percentile:
            let (q, uq) = try param(extra[Int(n.b) + 1], "the fraction of percentile()", n.span)
            guard uq.isDimensionless, q >= 0, q <= 1 else {
                throw EvalError(message: "percentile() takes a fraction from 0 to 1 (such as 95%)", span: n.span)
            }
            return try summary(v, an, n, q: q)
        default:
            return try summary(v, an, n, q: 0.5)
        }
    }

    private func summary(_ v: Value, _ an: Int32, _ n: Node, q: Double) throws(EvalError) -> Value {
        let b = Builtin(rawValue: n.a)!
        switch v {
        case .number(let d, let u): return b == .sd ? .number(0, u) : .number(d, u)
        case .dist(let s, let u):
            if s.isBool {
                guard b == .mean else {
                    throw EvalError(message: "\(b.name)() needs a number, got a bool distribution", span: n.span, hint: "use P(…) for its probability")
                }
                return .number(s.fractionTrue, NumberUnit(display: .percent))
            }
            let x: Double
            switch b {
            case .mean: x = s.mean
            case .sd: x = s.sd
            default: x = s.percentile(q)
            }
            // Finite samples can still sum past the largest double (SPEC §2: never a nan).
            guard x.isFinite else {
                throw EvalError(message: "\(b.name)() of this distribution is not a finite number", span: n.span,
                                hint: "its samples are too large to sum (±1.8e308 is the limit)")
            }
            return .number(x, u)
        default:
            if case .none = v { throw typeError("summarize", v, an, n.span) }
            throw EvalError(message: "\(b.name)() needs a number or a distribution, got \(describeOperand(v, an))", span: n.span)
        }
    }

    /// A numeric built-in (`abs`, `min`, `sum`, `clamp`, …) whose arguments include a
    /// distribution: applied sample-wise (a single distribution's `min`/`max` is its
    /// extreme sample).
    mutating func liftedBuiltin(_ b: Builtin, _ n: Node) throws(EvalError) -> Value {
        var vals: [Value] = []
        for k in extra.childRange(n) { vals.append(try eval(extra[k])) }
        switch b {
        case .min, .max, .sum, .avg:
            var xs = vals
            if xs.count == 1, case .list(let l) = xs[0] { xs = l }
            if (b == .min || b == .max) && vals.count == 1, case .dist(let s, let u) = vals[0], !s.isBool {
                return .number(b == .min ? s.min : s.max, u)
            }
            var lanes: [(Lane, NumberUnit)] = []
            for x in xs {
                if case .none = x { continue }
                guard let l = lane(x) else { throw EvalError(message: "\(b.name)() needs numbers, got a \(x.kindName)", span: n.span) }
                lanes.append(l)
            }
            guard !lanes.isEmpty else { throw EvalError(message: "\(b.name)() of an empty list", span: n.span) }
            let u = try sameDimension(lanes.map(\.1), "\(b.name)()", n.span)
            var acc = broadcastLane(lanes[0].0)
            for l in lanes.dropFirst() {
                let x = Lane(c: 0, p: UnsafePointer(acc.data))
                switch b {
                case .min: acc = map2(x, l.0) { Swift.min($0, $1) }
                case .max: acc = map2(x, l.0) { Swift.max($0, $1) }
                default: acc = map2(x, l.0) { $0 + $1 }
                }
            }
            if b == .avg {
                let c = Double(lanes.count)
                acc = map1(Lane(c: 0, p: UnsafePointer(acc.data))) { $0 / c }
            }
            return .dist(try checkFinite(acc, "\(b.name)()", n.span), lanes[0].1.display == .plain ? u : lanes[0].1)
        case .clamp:
            guard let (x, ux) = lane(vals[0]), let (lo, ul) = lane(vals[1]), let (hi, uh) = lane(vals[2]) else {
                throw EvalError(message: "clamp() needs numbers", span: n.span)
            }
            _ = try sameDimension([ux, ul, uh], "clamp()", n.span)
            let t = map2(x, lo) { Swift.max($0, $1) }
            return .dist(map2(Lane(c: 0, p: UnsafePointer(t.data)), hi) { Swift.min($0, $1) }, ux)
        default:
            guard let (x, u) = lane(vals[0]) else {
                throw EvalError(message: "\(b.name)() needs a number, got \(describeOperand(vals[0], extra[Int(n.b)]))", span: n.span)
            }
            switch b {
            case .abs: return .dist(map1(x) { Swift.abs($0) }, u)
            case .round, .floor, .ceil:
                var digits = 0.0
                if vals.count == 2 {
                    guard case .number(let g, let gu) = vals[1], gu.isDimensionless, g == g.rounded(), g >= -15, g <= 15 else {
                        throw EvalError(message: "round() digits must be a whole number from -15 to 15", span: n.span)
                    }
                    digits = g
                }
                let scale = pow(10.0, digits)
                let us = NumberFormat.displayScale(Swift.abs(x.at(0)), u)
                let rule: FloatingPointRoundingRule = b == .floor ? .down : b == .ceil ? .up : .toNearestOrAwayFromZero
                return .dist(map1(x) { ($0 / us * scale).rounded(rule) / scale * us }, u)
            case .sqrt:
                guard u.time % 2 == 0, u.money % 2 == 0 else {
                    throw EvalError(message: "unit mismatch: sqrt of \(u.nameForMessages) has no unit", span: n.span, kind: .compile)
                }
                let s = map1(x) { $0 >= 0 ? $0.squareRoot() : .nan }
                let nu = u.isDimensionless ? NumberUnit(display: u.display == .percent ? .plain : u.display)
                    : NumberUnit(time: u.time / 2, money: u.money / 2, display: .plain)
                return .dist(try checkFinite(s, "sqrt (of a negative sample)", n.span), nu)
            case .exp, .ln, .log10:
                guard u.isDimensionless else {
                    throw EvalError(message: "unit mismatch: \(b.name)() needs a plain number, not \(u.nameForMessages)", span: n.span, kind: .compile)
                }
                let s = b == .exp ? map1(x) { exp($0) } : b == .ln ? map1(x) { $0 > 0 ? log($0) : .nan } : map1(x) { $0 > 0 ? log10($0) : .nan }
                return .dist(try checkFinite(s, "\(b.name)()", n.span), .plain)
            default:
                throw EvalError(message: "\(b.name)() does not take a distribution", span: n.span)
            }
        }
    }

    private func broadcastLane(_ l: Lane) -> Samples {
        map1(l) { $0 }
    }
}

extension Value {
    /// `mean (p5 … p95)` for a numeric distribution, `P(true)` for a bool one.
    static func displayDistribution(_ s: Samples, _ u: NumberUnit) -> String {
        if s.isBool { return NumberFormat.display(s.fractionTrue, NumberUnit(display: .percent), digits: 3) + " true" }
        let m = s.mean, lo = s.percentile(0.05), hi = s.percentile(0.95)
        // Three significant digits, more when the spread is small next to the values
        // (99.89% (99.8% … 99.99%), not 99.9% (99.8% … 100%)).
        var digits = 3
        let spread = hi - lo, big = Swift.max(Swift.abs(lo), Swift.abs(hi))
        // The spread of two finite samples can overflow (-1.7e308 … 1.7e308): then 3 digits.
        let ratio = big / spread
        if spread > 0, ratio.isFinite, ratio > 1 { digits = Swift.min(10, Swift.max(3, Int(log10(ratio).rounded(.up)) + 1)) }
        func d(_ x: Double) -> String { NumberFormat.display(x, u, digits: digits) }
        // Finite samples whose sum overflows have no finite mean (mean() is an error): `—`, never `nan`.
        return "\(m.isFinite ? d(m) : "—") (\(d(lo)) … \(d(hi)))"
    }
}

extension ReportValue {
    /// A distribution as JSON (SPEC §13): the number object with its mean as `value` and a
    /// `distribution` summary. A bool distribution's `value` is P(true).
    static func writeDistribution(_ w: inout JSONWriter, _ s: Samples, _ u: NumberUnit, _ display: String) {
        w.beginObject()
        w.key("value"); w.double(s.isBool ? s.fractionTrue : s.mean)
        w.key("unit"); w.string(s.isBool ? "%" : u.symbol)
        w.key("display"); w.string(display)
        w.key("distribution")
        writeSummary(&w, s)
        w.endObject()
    }

    /// The `distribution` object of SPEC §13.
    static func writeSummary(_ w: inout JSONWriter, _ s: Samples) {
        w.beginObject()
        w.key("samples"); w.int(s.count)
        w.key("mean"); w.double(s.mean)
        w.key("sd"); w.double(s.sd)
        w.key("min"); w.double(s.min)
        w.key("max"); w.double(s.max)
        w.key("percentiles")
        w.beginObject()
        let qs = s.percentiles([0.05, 0.25, 0.5, 0.75, 0.95])
        for (q, v) in zip([5, 25, 50, 75, 95], qs) { w.key(String(q)); w.double(v) }
        w.endObject()
        let h = s.histogram()
        w.key("histogram")
        w.beginObject()
        w.key("edges"); w.beginArray(); for e in h.edges { w.double(e) }; w.endArray()
        w.key("counts"); w.beginArray(); for c in h.counts { w.int(c) }; w.endArray()
        w.endObject()
        w.endObject()
    }
}

// MARK: - Scores of uncertain models

extension Evaluator {
    private mutating func member(_ o: Int32, _ name: String, _ span: Span) throws(EvalError) -> Value {
        guard let c = model.member(o, name) else { return .none }
        return try read(c, span)
    }

    private func objectList(_ o: Int32, _ name: String) -> [Int32] {
        if case .objects(let l)? = model.objects[Int(o)].members[model.id(name)] { return l }
        return []
    }

    /// Progress, score, met, exposure and roll-ups when an input is a distribution: the
    /// same formulas, sample by sample. Nil when every input is plain (the scalar code runs).
    mutating func uncertainDerived(_ cell: Cell) throws(EvalError) -> Value? {
        let o = cell.owner
        let span = cell.span
        let op = Node(kind: .binary, span: span)
        switch cell.derived {
        case .progress:
            let cur = try member(o, "current", span), tgt = try member(o, "target", span), base = try member(o, "baseline", span)
            guard cur.isUncertain || tgt.isUncertain || base.isUncertain, !cur.isNone, !tgt.isNone else { return nil }
            let obj = model.objects[Int(o)]
            switch obj.targetForm {
            case .atLeast, .atMost:
                let met = try distBinary(obj.targetForm == .atLeast ? .ge : .le, cur, tgt, op)
                guard case .dist(let s, _) = met else { return nil }
                return .dist(Samples(s.array), .plain)
            case .linear:
                let r = base.isNone ? try distBinary(.div, cur, tgt, op)
                    : try distBinary(.div, try distBinary(.sub, cur, base, op), try distBinary(.sub, tgt, base, op), op)
                if case .dist(let s, _) = r { return .dist(s, .plain) }
                return r
            }
        case .score where model.member(o, "progress") != nil:
            guard case .dist(let s, _) = try member(o, "progress", span) else { return nil }
            return .dist(map1(Lane(c: 0, p: UnsafePointer(s.data))) { Swift.min(Swift.max($0, 0), 1) }, .plain)
        case .met:
            guard case .dist(let s, _) = try member(o, "progress", span) else { return nil }
            return .dist(map1(Lane(c: 0, p: UnsafePointer(s.data)), isBool: true) { $0 >= 1 || Value.numbersEqual($0, 1) ? 1 : 0 }, .plain)
        case .exposure:
            let p = try member(o, "probability", span), i = try member(o, "impact", span)
            guard p.isUncertain || i.isUncertain, !p.isNone, !i.isNone else { return nil }
            return try distBinary(.mul, p, i, op)
        case .objectiveScore, .planScore:
            let items = cell.derived == .planScore ? (model.builtinLists["objectives"] ?? []) : objectList(o, "krs")
            var parts: [(Value, Double)] = []
            var uncertain = false
            for k in items {
                let s = try member(k, "score", span)
                if s.isNone { continue }
                let w = try member(k, "weight", span).doubleValue ?? 1
                if w < 0 { return nil }  // the scalar code reports it
                if s.isUncertain { uncertain = true }
                parts.append((s, w))
            }
            let sw = parts.reduce(0) { $0 + $1.1 }
            guard uncertain, sw > 0 else { return nil }
            let out = newSamples()
            out.data.initialize(repeating: 0, count: mc.samples)
            for (s, w) in parts {
                guard let (l, _) = lane(s) else { continue }
                let f = w / sw
                for i in 0..<mc.samples { out.data[i] += f * l.at(i) }
            }
            return .dist(out, .plain)
        default:
            return nil
        }
    }

    /// `chance`: the probability of a good score, P(score ≥ 0.7), or P(score = 1) when the
    /// objective is committed. A plain score gives 100% or 0%.
    mutating func chance(_ cell: Cell) throws(EvalError) -> Value {
        let o = cell.owner
        let kind = model.objects[Int(o)].kind
        let parent = kind == .kr ? model.objects[Int(o)].parent : o
        var committed = false
        if kind != .plan, kind != .metric, parent >= 0, case .bool(true) = try member(parent, "committed", cell.span) { committed = true }
        let pct = NumberUnit(display: .percent)
        func good(_ x: Double) -> Bool { committed ? x >= 1 || Value.numbersEqual(x, 1) : x + 1e-9 >= 0.7 }
        switch try member(o, "score", cell.span) {
        case .number(let d, _): return .number(good(d) ? 1 : 0, pct)
        case .dist(let s, _):
            var k = 0
            for i in 0..<s.count where good(s[i]) { k += 1 }
            return .number(Double(k) / Double(Swift.max(1, s.count)), pct)
        default: return .none
        }
    }
}

// MARK: - Uncertain projection bounds

extension Evaluator {
    /// Sample-wise min/max of two values (projection bounds).
    mutating func liftedBuiltin2(_ b: Builtin, _ x: Value, _ y: Value, _ op: Node) throws(EvalError) -> Value {
        guard let (l, u) = lane(x), let (r, ur) = lane(y), u.sameDimension(ur) else {
            throw EvalError(message: "a projection's min/max must be a number in the unit of its start", span: op.span)
        }
        return .dist(b == .min ? map2(l, r) { Swift.min($0, $1) } : map2(l, r) { Swift.max($0, $1) }, u)
    }
}

/// The sample count and seed of an uncertain model's report.
public struct Simulation: Sendable, Hashable {
    /// Samples per distribution.
    public var samples: Int
    /// The seed every random stream derives from.
    public var seed: UInt64

    /// Makes a simulation record.
    public init(samples: Int, seed: UInt64) {
        self.samples = samples
        self.seed = seed
    }
}

extension Engine {
    /// The sample count distributions get (`simulate`, overridden by the configuration).
    public var configuredSamples: Int { state.evaluator.mc.samples }
    /// The seed every stream derives from.
    public var configuredSeed: UInt64 { state.evaluator.mc.seed }

    /// Whether the last evaluation drew any distribution, and with what N and seed.
    public var simulation: Simulation? {
        let ev = state.evaluator
        return ev.mc.used ? Simulation(samples: ev.mc.samples, seed: ev.mc.seed) : nil
    }

    /// Adds what only uncertain models report: N and the seed, each score's chance, and
    /// every uncertain projection's p5/p50/p95 per period.
    func addUncertainty(_ r: inout Report) {
        let (model, ev) = state
        r.simulation = Simulation(samples: ev.mc.samples, seed: ev.mc.seed)
        func chance(_ o: Int32) -> Double? {
            guard let c = model.member(o, "chance"), ev.state[Int(c)] == .ok else { return nil }
            return ev.values[Int(c)].doubleValue
        }
        func named(_ list: [Int32], _ name: String) -> Int32? { list.first { model.interner[model.objects[Int($0)].name] == name } }
        let objectives = model.builtinLists["objectives"] ?? []
        for i in r.objectives.indices {
            guard let o = named(objectives, r.objectives[i].name) else { continue }
            r.objectives[i].chance = chance(o)
            var krs: [Int32] = []
            if case .objects(let l)? = model.objects[Int(o)].members[model.id("krs")] { krs = l }
            for k in r.objectives[i].krs.indices {
                if let kr = named(krs, r.objectives[i].krs[k].name) { r.objectives[i].krs[k].chance = chance(kr) }
            }
        }
        let metrics = model.builtinLists["metrics"] ?? []
        for i in r.metrics.indices {
            if let m = named(metrics, r.metrics[i].name) { r.metrics[i].chance = chance(m) }
        }
        r.plan.chance = chance(model.plan)
        for p in r.projections.indices where p < ev.mc.projDists.count && !ev.mc.projDists[p].isEmpty {
            let ds = ev.mc.projDists[p]
            let qs = ds.map { $0.percentiles([0.05, 0.5, 0.95]) }
            r.projections[p].bands = (qs.map { $0[0] }, qs.map { $0[1] }, qs.map { $0[2] })
            if let last = ds.last { r.projections[p].final = ReportValue(.dist(last, ev.projUnits[p])) }
        }
    }
}

// MARK: - Evaluator hooks
// Out of line so that the interpreter's recursive `eval` keeps its stack frame (debug
// builds give every local of every case its own slot).

extension Evaluator {
    @inline(never) mutating func uncertainValue() -> Value { .dist(mc.value!, projUnit) }

    /// `other` at period k inside `next:` (samples when uncertain).
    @inline(never) mutating func uncertainPeriodOrRead(_ p: Int, _ k: Int, _ span: Span) throws(EvalError) -> Value {
        let ds = mc.projDists[p]
        if !ds.isEmpty, k >= 0, k < ds.count { return .dist(ds[k], projUnits[p]) }
        let s = projSeries[p]
        if k >= 0, k < s.count { return .number(s[k], projUnits[p]) }
        return try readPeriod(p, k, span)
    }

    /// `p.series`: a list of distributions when the projection is uncertain.
    @inline(never) func uncertainSeries(_ p: Int) -> Value {
        let ds = mc.projDists[p], u = projUnits[p]
        if ds.isEmpty { return .list(projSeries[p].map { .number($0, u) }) }
        return .list(ds.map { .dist($0, u) })
    }

    /// `and`/`or` whose left side is not a bool: a bool distribution, or a type error.
    @inline(never) mutating func uncertainLogic(_ op: BinaryOp, _ l: Value, _ n: Node) throws(EvalError) -> Value {
        guard l.isUncertain else { throw typeError("use '\(op.symbol)' with", l, n.a, n.span) }
        return try distBinary(op, l, try eval(n.b), n)
    }

    @inline(never) mutating func uncertainLogicRight(_ op: BinaryOp, _ lb: Bool, _ r: Value, _ n: Node) throws(EvalError) -> Value {
        guard r.isUncertain else { throw typeError("use '\(op.symbol)' with", r, n.b, n.span) }
        return try distBinary(op, .bool(lb), r, n)
    }

    /// `if` whose condition is not a bool: a bool distribution, or a type error.
    @inline(never) mutating func distCond(_ c: Value, _ n: Node) throws(EvalError) -> Value {
        guard case .dist(let s, _) = c, s.isBool else { throw typeError("use as a condition", c, n.a, n.span) }
        return try distCond(s, n)
    }

    /// Every built-in call: v0.1's (retried sample-wise on a distribution), then
    /// distributions and summaries, then time functions.
    @inline(never) mutating func callAnyBuiltin(_ n: Node, _ i: Int32) throws(EvalError) -> Value {
        if n.a >= Builtin.normal.rawValue { return try callBuiltinBeyondV1(n, i) }
        return try callBuiltinOrLift(Builtin(rawValue: n.a)!, n)
    }

    /// Built-ins added after v0.1: distributions and summaries here, time functions in
    /// their own file.
    @inline(never) mutating func callBuiltinBeyondV1(_ n: Node, _ i: Int32) throws(EvalError) -> Value {
        let b = Builtin(rawValue: n.a)!
        if b.isDistribution { return try distributionBuiltin(b, n, i) }
        return try callTimeBuiltin(b, n, i)
    }

    /// A v0.1 built-in; one that meets a distribution is retried sample-wise.
    @inline(never) mutating func callBuiltinOrLift(_ b: Builtin, _ n: Node) throws(EvalError) -> Value {
        do throws(EvalError) {
            // `min(x, y)` of two numbers, the common call, without the big switch's frame;
            // other operands go on to `callBuiltin` (which evaluates them again, as before).
            if extra.childCount(n) == 2 && (b == .min || b == .max) {
                let ea = extra[Int(n.b)], ec = extra[Int(n.b) + 1]
                var a: Value, c: Value
                if let (x, u) = leafNumber(ea) { a = .number(x, u) } else { a = try eval(ea) }
                if let (y, u) = leafNumber(ec) { c = .number(y, u) } else { c = try eval(ec) }
                if case .number(let x, let ux) = a, case .number(let y, let uy) = c {
                    guard ux.sameDimension(uy) else {
                        throw EvalError(message: "unit mismatch in \(b.name)(): \(ux.nameForMessages) and \(uy.nameForMessages)", span: n.span, kind: .compile)
                    }
                    return .number(b == .min ? Swift.min(x, y) : Swift.max(x, y), ux)
                }
            }
            return try callBuiltin(b, n)
        } catch {
            if error.lift { return try liftedBuiltin(b, n) }
            throw error
        }
    }
}
