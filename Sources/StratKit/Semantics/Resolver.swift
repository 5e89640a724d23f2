/// Built-in functions.
enum Builtin: Int32, CaseIterable {
    case min, max, sum, avg, count, abs, round, floor, ceil, sqrt, exp, ln, log10, clamp
    // Distributions and their summaries (SPEC §13; Distributions.swift).
    case normal, uniform, triangular, pert, beta, bernoulli, mixture, mean, sd, median, percentile, P
    /// Time functions (SPEC §14); `at` is `p.at(DATE)`.
    case cumsum, delay, lookup, at

    var name: String {
        switch self {
        case .min: return "min"
        case .max: return "max"
        case .sum: return "sum"
        case .avg: return "avg"
        case .count: return "count"
        case .abs: return "abs"
        case .round: return "round"
        case .floor: return "floor"
        case .ceil: return "ceil"
        case .sqrt: return "sqrt"
        case .exp: return "exp"
        case .ln: return "ln"
        case .log10: return "log10"
        case .clamp: return "clamp"
        case .normal: return "normal"
        case .uniform: return "uniform"
        case .triangular: return "triangular"
        case .pert: return "pert"
        case .beta: return "beta"
        case .bernoulli: return "bernoulli"
        case .mixture: return "mixture"
        case .mean: return "mean"
        case .sd: return "sd"
        case .median: return "median"
        case .percentile: return "percentile"
        case .P: return "P"
        case .cumsum: return "cumsum"
        case .delay: return "delay"
        case .lookup: return "lookup"
        case .at: return "at"
        }
    }

    /// Allowed argument counts.
    var arity: ClosedRange<Int> {
        switch self {
        case .min, .max: return 1...Int.max
        case .sum, .avg, .count, .abs, .floor, .ceil, .sqrt, .exp, .ln, .log10, .cumsum: return 1...1
        case .round, .delay, .lookup, .at: return 1...2
        case .clamp: return 3...3
        case .triangular, .pert: return 3...3
        case .normal, .uniform, .beta, .percentile: return 2...2
        case .bernoulli, .mean, .sd, .median, .P: return 1...1
        case .mixture: return 1...2
        }
    }

    /// Distributions and their summaries, evaluated by Distributions.swift.
    var isDistribution: Bool { rawValue >= Builtin.normal.rawValue && rawValue <= Builtin.P.rawValue }

    /// Constructors draw samples: each call site is a random variable with its own stream.
    var isConstructor: Bool {
        switch self {
        case .normal, .uniform, .triangular, .pert, .beta, .bernoulli, .mixture: return true
        default: return false
        }
    }

    static let byName: [String: Builtin] = Dictionary(uniqueKeysWithValues: allCases.map { ($0.name, $0) })
}

/// Where names are looked up while resolving one formula.
struct Scope {
    var owner: Int32 = -1
    var projection: Int32 = -1
    var inNext = false
    /// In a series' formula: projections' bare names are their value at the same period.
    var inSeries = false
    var params: [Int32] = []
    var function: Int32 = -1
}

/// What the resolver knows statically about an expression.
enum Static {
    case dynamic
    case cell(Int32)
    case object(Int32)
    case objects([Int32])
}

extension Model {
    /// Resolves every formula, computes function dependencies and derived-cell edges.
    func resolveAll() {
        // Each formula's dependencies go straight from its set into one flat array of
        // edges (no array per cell); the few rows changed below move to its end.
        var graph = EdgeLists()
        graph.reserve(rows: cells.count, edges: cells.count * 3)
        var callSets: [(cell: Int, calls: [Int32])] = []
        // Functions first: their dependencies feed their callers'.
        for f in functions.indices {
            var ctx = ResolveContext()
            let scope = Scope(params: functions[f].params, function: Int32(f))
            _ = resolve(functions[f].body, scope, &ctx)
            functions[f].deps = ctx.deps.items
            functions[f].calls = ctx.calls.items
        }
        closeFunctionDeps()
        for c in cells.indices {
            let cell = cells[c]
            guard cell.kind == .formula else { graph.appendRow(EmptyCollection()); continue }
            var ctx = ResolveContext()
            var scope = Scope(owner: cell.owner)
            if cell.projection >= 0 { scope.projection = cell.projection }
            if cell.owner == plan { scope.owner = -1 }
            if cell.owner >= 0, objects[Int(cell.owner)].kind == .projection, cell.name == id("periods") { scope.owner = -1 }
            _ = resolve(cell.node, scope, &ctx)
            graph.appendRow(ctx.deps)
            if !ctx.calls.isEmpty { callSets.append((c, ctx.calls.items)) }
            if ctx.volatile { volatile.insert(Int32(c)) }
        }
        while graph.count < cells.count { graph.appendRow(EmptyCollection()) }
        for (c, calls) in callSets {
            var set = Set(graph[c])
            for f in calls { set.formUnion(functions[Int(f)].deps) }
            graph.replace(c, with: Array(set))
        }
        resolveProjections(&graph)
        // Derived cells.
        for c in cells.indices where cells[c].kind == .derived {
            graph.replace(c, with: Array(Set(graph[c]).union(derivedDeps(Int32(c)))))
        }
        graph.compact()
        deps = graph
        for d in statements {
            var ctx = ResolveContext()
            if d.expr >= 0 { resolve(d.expr, Scope(), &ctx) }
            if d.message >= 0 { resolve(d.message, Scope(), &ctx) }
        }
    }

    /// Function dependencies through calls, to a fixpoint.
    private func closeFunctionDeps() {
        var changed = true
        var rounds = 0
        while changed && rounds <= functions.count + 1 {
            changed = false
            rounds += 1
            for f in functions.indices {
                var d = Set(functions[f].deps)
                let before = d.count
                for g in functions[f].calls { d.formUnion(functions[Int(g)].deps) }
                if d.count != before { functions[f].deps = Array(d); changed = true }
            }
        }
    }

    func member(_ o: Int32, _ name: String) -> Int32? {
        if case .cell(let c)? = objects[Int(o)].members[id(name)] { return c }
        return nil
    }

    private func memberObjects(_ o: Int32, _ name: String) -> [Int32] {
        if case .objects(let l)? = objects[Int(o)].members[id(name)] { return l }
        return []
    }

    /// Every objective and key result (they carry `supports` and `addresses`).
    var alignedObjects: [Int32] {
        var out: [Int32] = []
        for o in builtinLists["objectives"] ?? [] {
            out.append(o)
            out.append(contentsOf: memberObjects(o, "krs"))
        }
        return out
    }

    func derivedDeps(_ c: Int32) -> [Int32] {
        let cell = cells[Int(c)]
        let o = cell.owner
        func m(_ n: String) -> Int32? { member(o, n) }
        switch cell.derived {
        case .progress: return ["baseline", "target", "current"].compactMap(m)
        case .score: return [m("progress")].compactMap { $0 }
        case .status: return [m("score")].compactMap { $0 }
        case .met: return [m("progress")].compactMap { $0 }
        case .objectiveScore:
            return memberObjects(o, "krs").flatMap { k in [member(k, "score"), member(k, "weight")].compactMap { $0 } }
        case .objectiveStatus: return [m("score"), m("committed")].compactMap { $0 }
        case .planScore:
            return (builtinLists["objectives"] ?? []).flatMap { k in [member(k, "score"), member(k, "weight")].compactMap { $0 } }
        case .planStatus: return [m("score")].compactMap { $0 }
        case .unsupported, .unaddressed:
            let key = cell.derived == .unsupported ? "supports" : "addresses"
            return alignedObjects.compactMap { member($0, key) }
        case .ife, .efe:
            let cats = cell.derived == .ife ? ["strengths", "weaknesses"] : ["opportunities", "threats"]
            return cats.flatMap { memberObjects(o, $0) }.flatMap { i in [member(i, "weight"), member(i, "rating")].compactMap { $0 } }
        case .ieCell, .posture: return [m("ife"), m("efe")].compactMap { $0 }
        case .exposure: return [m("probability"), m("impact")].compactMap { $0 }
        case .projectionGroup: return []
        case .chance:
            let parent = objects[Int(o)].kind == .kr ? objects[Int(o)].parent : o
            return [m("score"), parent >= 0 ? member(parent, "committed") : nil].compactMap { $0 }
        case .projectionFinal:
            return [projections[Int(cell.projection)].group]
        case .projectionFirst:
            let pr = projections[Int(cell.projection)]
            return [pr.start, pr.min, pr.max].filter { $0 >= 0 }
        case .seriesPeriods:
            return [projections[Int(cell.projection)].group]
        case .projectionDates:
            let pr = projections[Int(cell.projection)]
            return [pr.group, pr.anchor].filter { $0 >= 0 }
        default:
            return trackingDeps(cell)
        }
    }

    // MARK: Expressions

    struct ResolveContext {
        var deps = SmallSet()
        var calls = SmallSet()
        var coupled = SmallSet()
        /// Projections read at the same period (`other[t]`, a series' inputs).
        var now = SmallSet()
        var volatile = false
        /// Constructor sites numbered so far in this formula (their ordinals, SPEC §13).
        var sites: UInt64 = 0
        /// Recursion depth, and the thread's stack bounds once it is deep.
        var depth = 0
        var stack: (base: UInt, limit: UInt)?
        var stackReported = false
    }

    /// Resolution recurses over the expression tree; on a small thread stack a long chain
    /// (up to 4 × the nesting limit) could overflow it. Checked past 16 levels.
    private func stackIsLow(_ ctx: inout ResolveContext) -> Bool {
        if ctx.stack == nil { ctx.stack = StackGuard.limit() }
        var marker: UInt8 = 0
        let at = withUnsafeMutablePointer(to: &marker) { UInt(bitPattern: $0) }
        return at < ctx.stack!.limit && at >= ctx.stack!.base
    }

    private func unknownName(_ name: Int32, _ span: Span, _ scope: Scope) {
        let s = interner[name]
        // Past the diagnostics cap nothing is shown: skip the "did you mean" search.
        if sink.isFull { sink.error("unknown name '\(s)'", at: span); return }
        // Names of the right kind: a value or a function, never a scenario (which is not a
        // value: suggesting one only trades this error for "is a scenario, not a value").
        var candidates: [String] = []
        for (k, g) in globals {
            if case .scenario = g { continue }
            candidates.append(interner[k])
        }
        candidates.append(contentsOf: ["plan"] + builtinLists.keys)
        if scope.owner >= 0 {
            candidates.append(contentsOf: objects[Int(scope.owner)].order.map { interner[$0] })
            let parent = objects[Int(scope.owner)].parent
            if parent >= 0 { candidates.append(contentsOf: objects[Int(parent)].order.map { interner[$0] }) }
        }
        candidates.append(contentsOf: scope.params.map { interner[$0] })
        if scope.inNext { candidates.append(contentsOf: ["value", "t"]) }
        let hint = closest(s, among: candidates).map { "did you mean '\($0)'?" }
        sink.error("unknown name '\(s)'", at: span, hint: hint)
    }

    private func bindMember(_ node: Int32, _ m: Member, _ ctx: inout ResolveContext) -> Static {
        let span = pool[node].span
        switch m {
        case .cell(let c):
            pool[node] = Node(kind: .cell, a: c, span: span)
            ctx.deps.insert(c)
            return .cell(c)
        case .object(let o):
            return bindObject(node, o, &ctx)
        case .objects(let list):
            let refs = list.map { Value.ref(ObjectRef(id: $0, path: objects[Int($0)].path)) }
            pool[node] = Node(kind: .constant, a: pool.constant(.list(refs)), span: span)
            for o in list where objects[Int(o)].kind == .projection { ctx.deps.insert(projections[Int(objects[Int(o)].projection)].group) }
            return .objects(list)
        }
    }

    private func bindObject(_ node: Int32, _ o: Int32, _ ctx: inout ResolveContext) -> Static {
        pool[node] = Node(kind: .object, a: o, span: pool[node].span)
        if objects[Int(o)].kind == .projection {
            ctx.deps.insert(projections[Int(objects[Int(o)].projection)].group)
        }
        return .object(o)
    }

    private func lookupName(_ name: Int32, _ scope: Scope) -> Member? {
        if scope.owner >= 0 {
            if let m = objects[Int(scope.owner)].members[name] { return m }
            let parent = objects[Int(scope.owner)].parent
            if parent >= 0, let m = objects[Int(parent)].members[name] { return m }
        }
        return nil
    }

    @discardableResult
    func resolve(_ node: Int32, _ scope: Scope, _ ctx: inout ResolveContext) -> Static {
        let n = pool[node]
        ctx.depth += 1
        defer { ctx.depth -= 1 }
        if ctx.depth >= 16 && ctx.depth & 3 == 0 && stackIsLow(&ctx) {
            if !ctx.stackReported {
                sink.error("expression nested too deeply for the thread's stack", at: n.span,
                           hint: "resolve on a thread with a larger stack, or lower the nesting limit")
                ctx.stackReported = true
            }
            return .dynamic
        }
        switch n.kind {
        case .number, .string, .bool, .none, .error, .projValue, .projT, .local, .constant, .projPrev:
            return .dynamic
        case .projAt:
            resolve(n.b, scope, &ctx)
            return .dynamic
        case .cell:
            ctx.deps.insert(n.a)
            return .cell(n.a)
        case .object:
            return bindObject(node, n.a, &ctx)
        case .interp, .list:
            for ch in pool.children(n) { resolve(ch, scope, &ctx) }
            return .dynamic
        case .builtin, .userCall, .hostCall:
            for ch in pool.children(n) { resolve(ch, scope, &ctx) }
            if n.kind == .userCall { ctx.calls.insert(n.a) }
            return .dynamic
        case .neg, .not, .threshold:
            resolve(n.a, scope, &ctx)
            return .dynamic
        case .binary:
            resolve(n.a, scope, &ctx)
            resolve(n.b, scope, &ctx)
            return .dynamic
        case .range:
            resolve(n.a, scope, &ctx)
            resolve(n.b, scope, &ctx)
            numberSite(node, scope, &ctx)
            return .dynamic
        case .cond:
            resolve(n.a, scope, &ctx)
            let (then, els) = pool.branches(n)
            resolve(then, scope, &ctx)
            resolve(els, scope, &ctx)
            return .dynamic
        case .dynMember:
            resolve(n.a, scope, &ctx)
            ctx.volatile = true
            return .dynamic
        case .projSeries:
            ctx.deps.insert(projections[Int(n.a)].group)
            return .dynamic
        case .name:
            return resolveName(node, n, scope, &ctx)
        case .member:
            return resolveMember(node, n, scope, &ctx)
        case .index:
            if let q = projectionNamed(n.a, scope) {
                if scope.inNext || scope.inSeries {
                    // `other[t]`, `other[t - k]`: a read of one period while stepping.
                    resolve(n.b, scope, &ctx)
                    pool[node] = Node(kind: .projAt, a: q, b: n.b, span: n.span)
                    ctx.coupled.insert(q)
                    if lagOf(n.b) == 0 && q != scope.projection { ctx.now.insert(q) }
                    return .dynamic
                }
                let idx = pool[n.b]
                if idx.kind == .number, pool.numberValue(idx).doubleValue == 0, projections[Int(q)].first >= 0 {
                    // `other[0]` is its start: no dependency on the whole series (no false cycle).
                    let c = projections[Int(q)].first
                    pool[node] = Node(kind: .cell, a: c, span: n.span)
                    ctx.deps.insert(c)
                    return .cell(c)
                }
            }
            let base = resolve(n.a, scope, &ctx)
            resolve(n.b, scope, &ctx)
            if case .objects(let list) = base, pool[n.b].kind == .number,
               case .number(let d, _) = pool.numberValue(pool[n.b]), d >= 0, d == d.rounded(), d < Double(list.count) {
                return bindObject(node, list[Int(d)], &ctx)
            }
            return .dynamic
        case .call:
            return resolveCall(node, n, scope, &ctx)
        case .solve:
            return resolveSolve(node, n, scope, &ctx)
        case .solved:
            ctx.deps.formUnion(solveSites[Int(n.a)].deps)
            ctx.calls.formUnion(solveSites[Int(n.a)].calls)
            if solveSites[Int(n.a)].volatile { ctx.volatile = true }
            return .dynamic
        }
    }

    private func resolveName(_ node: Int32, _ n: Node, _ scope: Scope, _ ctx: inout ResolveContext) -> Static {
        let name = n.a
        if let i = scope.params.firstIndex(of: name) {
            pool[node] = Node(kind: .local, a: Int32(i), span: n.span)
            return .dynamic
        }
        if scope.inNext || scope.inSeries {
            let s = interner[name]
            if s == "value" && scope.inNext { pool[node] = Node(kind: .projValue, span: n.span); return .dynamic }
            if s == "t" { pool[node] = Node(kind: .projT, span: n.span); return .dynamic }
        }
        if let m = lookupName(name, scope) {
            recordUse(n.span, m)
            return bindMember(node, m, &ctx)
        }
        if let g = globals[name] {
            switch g {
            case .cell(let c):
                recordUse(n.span, .cell(c))
                pool[node] = Node(kind: .cell, a: c, span: n.span)
                ctx.deps.insert(c)
                return .cell(c)
            case .object(let o):
                if scope.inNext || scope.inSeries, objects[Int(o)].kind == .projection {
                    let q = objects[Int(o)].projection
                    if q != scope.projection {
                        recordUse(n.span, .object(o))
                        // In `next:` the previous period (Euler steps); in a series the same one.
                        pool[node] = Node(kind: .projPrev, a: q, b: scope.inSeries ? 0 : 1, span: n.span)
                        ctx.coupled.insert(q)
                        if scope.inSeries { ctx.now.insert(q) }
                        return .dynamic
                    }
                    if scope.inSeries {
                        sink.error("series '\(interner[name])' cannot read its own value at the same period", at: n.span,
                                   hint: "read an earlier period: \(interner[name])[t - 1]")
                        return .dynamic
                    }
                }
                recordUse(n.span, .object(o))
                return bindObject(node, o, &ctx)
            case .objects(let l):
                return bindMember(node, .objects(l), &ctx)
            case .function:
                sink.error("'\(interner[name])' is a function; call it with arguments", at: n.span,
                           hint: "\(interner[name])(…)")
                return .dynamic
            case .scenario:
                sink.error("'\(interner[name])' is a scenario, not a value", at: n.span,
                           hint: "select it with --scenario \(interner[name]) or :scenario \(interner[name])")
                return .dynamic
            }
        }
        let s = interner[name]
        if s == "plan" { return bindObject(node, plan, &ctx) }
        if s == "today" {
            readsToday = true
            pool[node] = Node(kind: .constant, a: pool.constant(.date(asOf)), span: n.span)
            return .dynamic
        }
        if let l = builtinLists[s] { return bindMember(node, .objects(l), &ctx) }
        if (s == "value" || s == "t") && scope.projection >= 0 {
            sink.error(scope.inSeries ? "'value' is only defined inside a projection's 'next:'; in a series, name the projection"
                       : "'\(s)' is only defined inside a projection's 'next:'", at: n.span)
            return .dynamic
        }
        unknownName(name, n.span, scope)
        // Reported once here; evaluating it fails its cell silently (Evaluator, `.error`).
        pool[node] = Node(kind: .error, span: n.span)
        isolatedErrors += 1
        return .dynamic
    }

    private func resolveMember(_ node: Int32, _ n: Node, _ scope: Scope, _ ctx: inout ResolveContext) -> Static {
        // Projections referenced in `next:` are objects when a member is taken.
        var base: Static
        let inner = pool[n.a]
        if scope.inNext || scope.inSeries, inner.kind == .name, !scope.params.contains(inner.a),
           case .object(let o)? = globals[inner.a], objects[Int(o)].kind == .projection {
            base = bindObject(n.a, o, &ctx)
        } else {
            base = resolve(n.a, scope, &ctx)
        }
        let mname = interner[n.b]
        switch base {
        case .object(let o):
            if objects[Int(o)].kind == .projection && mname == "series" {
                pool[node] = Node(kind: .projSeries, a: objects[Int(o)].projection, span: n.span)
                ctx.deps.insert(projections[Int(objects[Int(o)].projection)].group)
                return .dynamic
            }
            if objects[Int(o)].kind == .projection, let b = Builtin.byName[mname], [.sum, .avg, .min, .max].contains(b) {
                // `p.sum`, `.avg`, `.min`, `.max`: the function over its series.
                let q = objects[Int(o)].projection
                let arg = pool.add(Node(kind: .projSeries, a: q, span: n.span))
                pool[node] = Node(kind: .builtin, a: b.rawValue, b: pool.addExtra([arg]), span: n.span)
                ctx.deps.insert(projections[Int(q)].group)
                return .dynamic
            }
            if let m = objects[Int(o)].members[n.b] {
                recordUse(memberSpan(n), m)
                return bindMember(node, m, &ctx)
            }
            if let v = genericMember(o, mname) {
                pool[node] = Node(kind: .constant, a: pool.constant(v), span: n.span)
                return .dynamic
            }
            let obj = objects[Int(o)]
            let hint = sink.isFull ? nil : closest(mname, among: obj.order.map { interner[$0] } + ["name", "path"]).map { "did you mean '\($0)'?" }
                ?? (obj.order.isEmpty ? nil : "members are \(obj.order.prefix(12).map { interner[$0] }.joined(separator: ", "))")
            sink.error("unknown member '\(mname)' of \(obj.kind.word) '\(obj.path)'", at: n.span, hint: hint)
            return .dynamic
        case .objects(let list):
            // `Engineering.priorities.MODERNIZE`: a member naming an item selects it.
            if let o = list.first(where: { objects[Int($0)].name == n.b }) {
                recordUse(memberSpan(n), .object(o))
                return bindObject(node, o, &ctx)
            }
            var cellsOut: [Int32] = [], objsOut: [Int32] = []
            for o in list {
                if objects[Int(o)].kind == .projection && mname == "series" { pool[node] = Node(kind: .dynMember, a: n.a, b: n.b, span: n.span); ctx.volatile = true; return .dynamic }
                switch objects[Int(o)].members[n.b] {
                case .cell(let c)?: cellsOut.append(c)
                case .object(let x)?: objsOut.append(x)
                default:
                    if genericMember(o, mname) != nil {
                        pool[node] = Node(kind: .dynMember, a: n.a, b: n.b, span: n.span)
                        ctx.volatile = true
                        return .dynamic
                    }
                    let hint = sink.isFull ? nil : closest(mname, among: objects[Int(o)].order.map { interner[$0] }).map { "did you mean '\($0)'?" }
                    sink.error("unknown member '\(mname)' of \(objects[Int(o)].kind.word) '\(objects[Int(o)].path)'",
                               at: n.span, hint: hint)
                    return .dynamic
                }
            }
            if objsOut.count == list.count && !list.isEmpty { return bindMember(node, .objects(objsOut), &ctx) }
            if cellsOut.count == list.count {
                var items: [Int32] = []
                for c in cellsOut {
                    items.append(pool.add(Node(kind: .cell, a: c, span: n.span)))
                    ctx.deps.insert(c)
                }
                let ex = pool.addExtra(items)
                pool[node] = Node(kind: .list, b: ex, span: n.span)
                return .dynamic
            }
            pool[node] = Node(kind: .dynMember, a: n.a, b: n.b, span: n.span)
            ctx.volatile = true
            return .dynamic
        case .cell, .dynamic:
            pool[node] = Node(kind: .dynMember, a: n.a, b: n.b, span: n.span)
            ctx.volatile = true
            return .dynamic
        }
    }

    /// Members every object has.
    func genericMember(_ o: Int32, _ name: String) -> Value? {
        let obj = objects[Int(o)]
        switch name {
        case "name": return .string(interner[obj.name])
        case "path": return .string(obj.path)
        case "category": return obj.category.map { .string($0.keyword) }
        case "text", "title": return obj.title.map { .string($0) }
        default: return nil
        }
    }

    private func resolveCall(_ node: Int32, _ n: Node, _ scope: Scope, _ ctx: inout ResolveContext) -> Static {
        let argCount = Int(pool.count(n))
        for k in Int(n.b)..<Int(n.b) + argCount { resolve(pool.extra[k], scope, &ctx) }
        if n.op == 1 {
            // `p.at(DATE)`.
            if argCount != 2 { sink.error("'at' takes one date: p.at(2026-06-30)", at: n.span) }
            pool[node] = Node(kind: .builtin, a: Builtin.at.rawValue, b: n.b, span: n.span)
            return .dynamic
        }
        if !(scope.inNext || scope.inSeries), builtinIds[n.a] == .delay, globals[n.a] == nil {
            sink.error("delay() works only inside a projection's 'next:' or a series", at: n.span,
                       hint: "delay(x, k) is x's value k periods earlier, so it needs a period")
        }
        if case .function(let f)? = globals[n.a] { recordFunctionUse(n, f) }
        if case .function(let f)? = globals[n.a], functions[Int(f)].params.count == argCount {
            pool[node] = Node(kind: .userCall, a: f, b: n.b, span: n.span)
            ctx.calls.insert(f)
            return .dynamic
        }
        if hostFunctions[n.a] == nil, globals[n.a] == nil, let b = builtinIds[n.a], b.arity.contains(argCount) {
            pool[node] = Node(kind: .builtin, a: b.rawValue, b: n.b, span: n.span)
            if b.isConstructor { numberSite(node, scope, &ctx) }
            return .dynamic
        }
        let args = Array(pool.children(n))
        let name = interner[n.a]
        if case .function(let f)? = globals[n.a] {
            let fn = functions[Int(f)]
            if fn.params.count != args.count {
                sink.error("function '\(name)' takes \(fn.params.count) argument\(fn.params.count == 1 ? "" : "s"), got \(args.count)",
                           at: n.span)
            }
            pool[node] = Node(kind: .userCall, a: f, b: n.b, span: n.span)
            ctx.calls.insert(f)
            return .dynamic
        }
        if let h = hostFunctions[n.a] {
            if h.arity >= 0 && h.arity != args.count {
                sink.error("function '\(name)' takes \(h.arity) argument\(h.arity == 1 ? "" : "s"), got \(args.count)", at: n.span)
            }
            pool[node] = Node(kind: .hostCall, a: h.index, b: n.b, span: n.span)
            return .dynamic
        }
        if let b = builtinIds[n.a] {
            if !b.arity.contains(args.count) {
                let want = b.arity.lowerBound == b.arity.upperBound ? "\(b.arity.lowerBound)"
                    : b.arity.upperBound == Int.max ? "at least \(b.arity.lowerBound)" : "\(b.arity.lowerBound) or \(b.arity.upperBound)"
                sink.error("function '\(name)' takes \(want) argument\(want == "1" ? "" : "s"), got \(args.count)", at: n.span)
            }
            pool[node] = Node(kind: .builtin, a: b.rawValue, b: n.b, span: n.span)
            return .dynamic
        }
        var candidates = sink.isFull ? [] : Builtin.allCases.filter { $0 != .at }.map(\.name)
        for (k, g) in globals where !sink.isFull { if case .function = g { candidates.append(interner[k]) } }
        candidates.append(contentsOf: hostFunctions.keys.map { interner[$0] })
        let hint = closest(name, among: candidates).map { "did you mean '\($0)'?" }
        if globals[n.a] != nil || lookupName(n.a, scope) != nil {
            sink.error("'\(name)' is not a function", at: n.span)
        } else {
            sink.error("unknown function '\(name)'", at: n.span, hint: hint)
        }
        return .dynamic
    }

    /// Gives a constructor its site identity: its ordinal within the formula being
    /// resolved (and the function it is in), independent of the rest of the file.
    private func numberSite(_ node: Int32, _ scope: Scope, _ ctx: inout ResolveContext) {
        ctx.sites += 1
        var local = SampleRandom.mix(ctx.sites &* SampleRandom.gamma)
        if scope.function >= 0 { local ^= SampleRandom.hash("fn " + interner[functions[Int(scope.function)].name]) }
        siteKeys[node] = local
    }

    /// The projection a `.name` node names (a top-level projection or series), if any.
    private func projectionNamed(_ node: Int32, _ scope: Scope) -> Int32? {
        let n = pool[node]
        guard n.kind == .name, !scope.params.contains(n.a), lookupName(n.a, scope) == nil,
              case .object(let o)? = globals[n.a], objects[Int(o)].kind == .projection else { return nil }
        return objects[Int(o)].projection
    }

    /// k in `t - k` (0 for `t`), or nil for any other index.
    private func lagOf(_ node: Int32) -> Int? {
        let n = pool[node]
        if n.kind == .projT { return 0 }
        if n.kind == .binary, n.op == BinaryOp.sub.rawValue, pool[n.a].kind == .projT, pool[n.b].kind == .number,
           let k = pool.numberValue(pool[n.b]).doubleValue, k >= 0, k == k.rounded(), k < 1e9 { return Int(k) }
        return nil
    }

    /// Resolves `next:` and series formulas, groups projections that read each other
    /// (SPEC §6: one period kind per group, stepped together, same-period reads first),
    /// and gives each group cell its dependencies.
    private func resolveProjections(_ depSets: inout EdgeLists) {
        var nextDeps = [Set<Int32>](repeating: [], count: projections.count)
        var called = [[Int32]](repeating: [], count: projections.count)
        for p in projections.indices {
            let pr = projections[p]
            var own: Set<Int32> = []
            for c in [pr.isSeries ? -1 : pr.count, pr.start, pr.growth, pr.min, pr.max, pr.anchor] where c >= 0 { own.insert(c) }
            if pr.next >= 0 {
                var ctx = ResolveContext()
                let scope = pr.isSeries ? Scope(owner: -1, projection: Int32(p), inSeries: true)
                    : Scope(owner: pr.object, projection: Int32(p), inNext: true)
                _ = resolve(pr.next, scope, &ctx)
                own.formUnion(ctx.deps.items)
                for f in ctx.calls.items { own.formUnion(functions[Int(f)].deps) }
                called[p] = ctx.calls.items
                projections[p].reads = ctx.coupled.items.filter { $0 != Int32(p) }
                projections[p].readsNow = ctx.now.items
                if ctx.volatile { volatile.insert(pr.group) }
            }
            nextDeps[p] = own
        }
        // A series takes the period kind (and anchor) of what it reads.
        var changed = true
        while changed {
            changed = false
            for p in projections.indices where !projections[p].periodKnown {
                if let q = projections[p].reads.first(where: { projections[Int($0)].periodKnown }) {
                    projections[p].period = projections[Int(q)].period
                    projections[p].periodKnown = true
                    changed = true
                }
            }
            for p in projections.indices where projections[p].isSeries && projections[p].anchor < 0 {
                if let q = projections[p].reads.first(where: { projections[Int($0)].anchor >= 0 }) {
                    projections[p].anchor = projections[Int(q)].anchor
                    changed = true
                }
            }
        }
        func label(_ p: Int) -> String { "'\(interner[objects[Int(projections[p].object)].name])'" }
        for p in projections.indices {
            let pr = projections[p]
            if !pr.periodKnown {
                sink.error("series \(label(p)) reads no projection, so it has no periods", at: objects[Int(pr.object)].span,
                           hint: "a series is evaluated at every period of the projections it reads, e.g. series revenue = customers * price")
                continue
            }
            // Once per pair: a projection that reads back one with a lower index was named already.
            for q in pr.reads where projections[Int(q)].periodKnown && projections[Int(q)].period != pr.period
                && !(Int(q) < p && projections[Int(q)].reads.contains(Int32(p))) {
                let other = projections[Int(q)]
                sink.error("\(pr.isSeries ? "series" : "projection") \(label(p)) (\(pr.period.rawValue)) reads \(label(Int(q))) (\(other.period.rawValue)): projections that read each other must share a period kind",
                           at: objects[Int(pr.object)].span, hint: "project both over the same kind of period")
            }
        }
        // Groups: projections that read each other, directly or around a loop, step
        // together; a group reads the groups it depends on once they are complete.
        let component = readComponents()
        func find(_ x: Int32) -> Int32 { component[Int(x)] }
        for p in projections.indices {
            for q in projections[p].reads where find(q) != find(Int32(p)) { nextDeps[p].insert(projections[Int(q)].group) }
        }
        // A function that names a projection of the group it is called from would need
        // the whole series while it is being computed.
        var groupOf: [Int32: Int32] = [:]
        for q in projections.indices { groupOf[projections[q].group] = Int32(q) }
        for p in projections.indices {
            for f in called[p] {
                for d in functions[Int(f)].deps {
                    guard let q = groupOf[d], find(q) == find(Int32(p)) else { continue }
                    sink.error("function '\(interner[functions[Int(f)].name])' reads projection \(label(Int(q))), which is still being computed when \(label(p)) calls it",
                               at: functions[Int(f)].span,
                               hint: "pass the value in as an argument instead: inside 'next:', \(interner[objects[Int(projections[Int(q)].object)].name]) is its value at t - 1")
                    nextDeps[p].remove(d)
                }
            }
        }
        projectionRoots = []
        groupMembers = [:]
        for p in projections.indices {
            let root = Int(find(Int32(p)))
            if root == p {
                var all: Set<Int32> = []
                var members: [Int32] = []
                for q in projections.indices where find(Int32(q)) == Int32(p) {
                    all.formUnion(nextDeps[q])
                    members.append(Int32(q))
                }
                for q in members { all.remove(projections[Int(q)].group) }
                depSets.replace(Int(projections[p].group), with: Array(all))
                groupMembers[Int32(p)] = orderGroup(members)
            } else {
                depSets.replace(Int(projections[p].group), with: CollectionOfOne(projections[root].group))
            }
            projectionRoots.append(Int32(root))
        }
    }

    /// For each projection, the smallest index in its strongly connected component of
    /// the "reads" graph (Kosaraju's algorithm, iterative so that long chains are safe).
    private func readComponents() -> [Int32] {
        let n = projections.count
        var order: [Int32] = []
        order.reserveCapacity(n)
        var seen = [Bool](repeating: false, count: n)
        for r in 0..<n where !seen[r] {
            seen[r] = true
            var stack: [(Int32, Int)] = [(Int32(r), 0)]
            while let (v, k) = stack.last {
                let out = projections[Int(v)].reads
                if k < out.count {
                    stack[stack.count - 1].1 = k + 1
                    let w = Int(out[k])
                    if !seen[w] { seen[w] = true; stack.append((Int32(w), 0)) }
                } else {
                    order.append(v)
                    stack.removeLast()
                }
            }
        }
        var reverse = [[Int32]](repeating: [], count: n)
        for p in 0..<n { for q in projections[p].reads { reverse[Int(q)].append(Int32(p)) } }
        var comp = [Int32](repeating: -1, count: n)
        for r in order.reversed() where comp[Int(r)] < 0 {
            var members: [Int32] = [r]
            comp[Int(r)] = r
            var i = 0
            while i < members.count {
                for w in reverse[Int(members[i])] where comp[Int(w)] < 0 { comp[Int(w)] = r; members.append(w) }
                i += 1
            }
            let root = members.min()!
            for m in members { comp[Int(m)] = root }
        }
        return comp
    }

    /// A group's members with every same-period read after what it reads; a cycle of
    /// same-period reads is an error.
    private func orderGroup(_ members: [Int32]) -> [Int32] {
        if members.count == 1 { return members }
        var out: [Int32] = []
        var state: [Int32: UInt8] = [:]
        var reported = false
        func visit(_ p: Int32, _ path: [Int32]) {
            if state[p] == 2 { return }
            if state[p] == 1 {
                if !reported {
                    reported = true
                    let cyc = (path.drop(while: { $0 != p }) + [p]).map { interner[objects[Int(projections[Int($0)].object)].name] }
                    sink.error("projections read each other at the same period: \(cyc.joined(separator: " -> "))",
                               at: objects[Int(projections[Int(p)].object)].span,
                               hint: "one of them must read the other's previous period (its bare name in 'next:', or name[t - 1])")
                }
                return
            }
            state[p] = 1
            for q in projections[Int(p)].readsNow where members.contains(q) { visit(q, path + [p]) }
            state[p] = 2
            out.append(p)
        }
        for p in members { visit(p, []) }
        return out
    }

    // MARK: Ordering

    /// Topological order of all cells by iterative depth-first search over dependencies
    /// (no recursion, so chains of any length are safe); reports every cycle found.
    @discardableResult
    func orderGraph() -> Bool {
        let n = cells.count
        var color = [UInt8](repeating: 0, count: n)  // 0 white, 1 on the stack, 2 done
        var out: [Int32] = []
        out.reserveCapacity(n)
        var stack: [(Int32, Int32)] = []
        var cycles = 0
        for root in 0..<n where color[root] == 0 {
            color[root] = 1
            stack.append((Int32(root), 0))
            while let (c, k0) = stack.last {
                // Scan the cell's dependencies from where it stopped up to the first one
                // not yet visited (edges to finished cells cost no stack traffic).
                let ds = deps[Int(c)]
                let base = ds.startIndex
                var k = Int(k0)
                var child: Int32 = -1
                while k < ds.count {
                    let d = ds[base + k]
                    k += 1
                    switch color[Int(d)] {
                    case 0: child = d
                    case 1:
                        if cycles < 10 {
                            let from = stack.lastIndex(where: { $0.0 == d }) ?? 0
                            reportCycle(stack[from...].map(\.0))
                        }
                        cycles += 1
                    default: break
                    }
                    if child >= 0 { break }
                }
                if child >= 0 {
                    stack[stack.count - 1].1 = Int32(k)
                    color[Int(child)] = 1
                    stack.append((child, 0))
                } else {
                    color[Int(c)] = 2
                    out.append(c)
                    stack.removeLast()
                }
            }
        }
        dependents = EdgeLists()
        if cycles > 0 { return false }
        order = out
        position = [Int32](repeating: 0, count: n)
        for (i, c) in out.enumerated() { position[Int(c)] = Int32(i) }
        return true
    }

    /// Reverse edges, built on first use (only what-ifs need them).
    func ensureDependents() {
        if dependents.count == cells.count { return }
        dependents = deps.reversed()
    }

    private func reportCycle(_ cycle: [Int32]) {
        let names = cycle.map { cellPath($0) } + [cellPath(cycle[0])]
        let at = cycle.min(by: { cells[Int($0)].span.start < cells[Int($1)].span.start }) ?? cycle[0]
        sink.error("reference cycle: \(names.joined(separator: " -> "))", at: cells[Int(at)].span)
    }
}

// MARK: Name uses for editors

extension Model {
    /// Notes that the name at `span` refers to `target` (only when editors asked for it).
    func recordUse(_ span: Span, _ target: Member) {
        guard uses != nil, span.file >= 0 else { return }
        switch target {
        case .cell(let c): uses?.append(SymbolTarget(span: span, kind: .cell, id: c))
        case .object(let o): uses?.append(SymbolTarget(span: span, kind: .object, id: o))
        case .objects: break
        }
    }

    func recordFunctionUse(_ n: Node, _ f: Int32) {
        guard uses != nil, n.span.file >= 0 else { return }
        let len = Int32(interner[n.a].utf8.count)
        uses?.append(SymbolTarget(span: Span(file: n.span.file, start: n.span.start, end: n.span.start + len), kind: .function, id: f))
    }

    /// The member name of `a.b`: the last bytes of the node's span.
    func memberSpan(_ n: Node) -> Span {
        let len = Int32(interner[n.b].utf8.count)
        return Span(file: n.span.file, start: max(n.span.start, n.span.end - len), end: n.span.end)
    }
}

/// A name's use and what it refers to: a cell, an object or a function.
struct SymbolTarget {
    enum Kind: UInt8 { case cell, object, function }
    var span: Span
    var kind: Kind
    var id: Int32
}
