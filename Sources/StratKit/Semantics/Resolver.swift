/// Built-in functions.
enum Builtin: Int32, CaseIterable {
    case min, max, sum, avg, count, abs, round, floor, ceil, sqrt, exp, ln, log10, clamp

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
        }
    }

    /// Allowed argument counts.
    var arity: ClosedRange<Int> {
        switch self {
        case .min, .max: return 1...Int.max
        case .sum, .avg, .count, .abs, .floor, .ceil, .sqrt, .exp, .ln, .log10: return 1...1
        case .round: return 1...2
        case .clamp: return 3...3
        }
    }

    static let byName: [String: Builtin] = Dictionary(uniqueKeysWithValues: allCases.map { ($0.name, $0) })
}

/// Where names are looked up while resolving one formula.
struct Scope {
    var owner: Int32 = -1
    var projection: Int32 = -1
    var inNext = false
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
        var depSets = [[Int32]](repeating: [], count: cells.count)
        var callSets = [[Int32]](repeating: [], count: cells.count)
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
            guard cell.kind == .formula else { continue }
            var ctx = ResolveContext()
            var scope = Scope(owner: cell.owner)
            if cell.projection >= 0 { scope.projection = cell.projection }
            if cell.owner == plan { scope.owner = -1 }
            if cell.owner >= 0, objects[Int(cell.owner)].kind == .projection, cell.name == id("periods") { scope.owner = -1 }
            _ = resolve(cell.node, scope, &ctx)
            depSets[c] = ctx.deps.items
            callSets[c] = ctx.calls.items
            if ctx.volatile { volatile.insert(Int32(c)) }
        }
        for c in cells.indices where !callSets[c].isEmpty {
            var set = Set(depSets[c])
            for f in callSets[c] { set.formUnion(functions[Int(f)].deps) }
            depSets[c] = Array(set)
        }
        // Projections: resolve `next` in projection scope; group coupled projections.
        var parent = Array(0..<Int32(projections.count))
        func find(_ x: Int32) -> Int32 {
            var x = x
            while parent[Int(x)] != x { parent[Int(x)] = parent[Int(parent[Int(x)])]; x = parent[Int(x)] }
            return x
        }
        var nextDeps = [Set<Int32>](repeating: [], count: projections.count)
        for p in projections.indices {
            let pr = projections[p]
            var own: Set<Int32> = []
            for c in [pr.count, pr.start, pr.growth, pr.min, pr.max] where c >= 0 { own.insert(c) }
            if pr.next >= 0 {
                var ctx = ResolveContext()
                let scope = Scope(owner: pr.object, projection: Int32(p), inNext: true)
                _ = resolve(pr.next, scope, &ctx)
                own.formUnion(ctx.deps.items)
                for f in ctx.calls.items { own.formUnion(functions[Int(f)].deps) }
                for q in ctx.coupled.items {
                    let a = find(Int32(p)), b = find(q)
                    if a != b { parent[Int(max(a, b))] = min(a, b) }
                }
                if ctx.volatile { volatile.insert(pr.group) }
            }
            nextDeps[p] = own
        }
        for p in projections.indices {
            let root = Int(find(Int32(p)))
            if root == p {
                var all: Set<Int32> = []
                for q in projections.indices where find(Int32(q)) == Int32(p) { all.formUnion(nextDeps[q]) }
                all.remove(projections[p].group)
                depSets[Int(projections[p].group)] = Array(all)
            } else {
                depSets[Int(projections[p].group)] = [projections[root].group]
            }
            projectionRoots.append(Int32(root))
        }
        // Derived cells.
        for c in cells.indices where cells[c].kind == .derived {
            depSets[c] = Array(Set(depSets[c]).union(derivedDeps(Int32(c))))
        }
        deps = depSets
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
        case .projectionFinal:
            return [projections[Int(cell.projection)].group]
        }
    }

    // MARK: Expressions

    struct ResolveContext {
        var deps = SmallSet()
        var calls = SmallSet()
        var coupled = SmallSet()
        var volatile = false
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
        var candidates: [String] = globals.keys.map { interner[$0] }
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
        case .binary, .range:
            resolve(n.a, scope, &ctx)
            resolve(n.b, scope, &ctx)
            return .dynamic
        case .cond:
            resolve(n.a, scope, &ctx)
            resolve(n.b, scope, &ctx)
            resolve(n.c, scope, &ctx)
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
            let base = resolve(n.a, scope, &ctx)
            resolve(n.b, scope, &ctx)
            if case .objects(let list) = base, pool[n.b].kind == .number,
               case .number(let d, _) = pool[n.b].numberValue, d >= 0, d == d.rounded(), d < Double(list.count) {
                return bindObject(node, list[Int(d)], &ctx)
            }
            return .dynamic
        case .call:
            return resolveCall(node, n, scope, &ctx)
        }
    }

    private func resolveName(_ node: Int32, _ n: Node, _ scope: Scope, _ ctx: inout ResolveContext) -> Static {
        let name = n.a
        if let i = scope.params.firstIndex(of: name) {
            pool[node] = Node(kind: .local, a: Int32(i), span: n.span)
            return .dynamic
        }
        if scope.inNext {
            let s = interner[name]
            if s == "value" { pool[node] = Node(kind: .projValue, span: n.span); return .dynamic }
            if s == "t" { pool[node] = Node(kind: .projT, span: n.span); return .dynamic }
        }
        if let m = lookupName(name, scope) { return bindMember(node, m, &ctx) }
        if let g = globals[name] {
            switch g {
            case .cell(let c):
                pool[node] = Node(kind: .cell, a: c, span: n.span)
                ctx.deps.insert(c)
                return .cell(c)
            case .object(let o):
                if scope.inNext, objects[Int(o)].kind == .projection {
                    let q = objects[Int(o)].projection
                    if q != scope.projection {
                        pool[node] = Node(kind: .projPrev, a: q, span: n.span)
                        ctx.coupled.insert(q)
                        return .dynamic
                    }
                }
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
        if let l = builtinLists[s] { return bindMember(node, .objects(l), &ctx) }
        if (s == "value" || s == "t") && scope.projection >= 0 {
            sink.error("'\(s)' is only defined inside a projection's 'next:'", at: n.span)
            return .dynamic
        }
        unknownName(name, n.span, scope)
        return .dynamic
    }

    private func resolveMember(_ node: Int32, _ n: Node, _ scope: Scope, _ ctx: inout ResolveContext) -> Static {
        // Projections referenced in `next:` are objects when a member is taken.
        var base: Static
        let inner = pool[n.a]
        if scope.inNext, inner.kind == .name, case .object(let o)? = globals[inner.a], objects[Int(o)].kind == .projection {
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
            if let m = objects[Int(o)].members[n.b] { return bindMember(node, m, &ctx) }
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
            if let o = list.first(where: { objects[Int($0)].name == n.b }) { return bindObject(node, o, &ctx) }
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
                pool[node] = Node(kind: .list, b: ex, c: Int32(items.count), span: n.span)
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
        for k in Int(n.b)..<Int(n.b + n.c) { resolve(pool.extra[k], scope, &ctx) }
        let argCount = Int(n.c)
        if case .function(let f)? = globals[n.a], functions[Int(f)].params.count == argCount {
            pool[node] = Node(kind: .userCall, a: f, b: n.b, c: n.c, span: n.span)
            ctx.calls.insert(f)
            return .dynamic
        }
        if hostFunctions[n.a] == nil, globals[n.a] == nil, let b = builtinIds[n.a], b.arity.contains(argCount) {
            pool[node] = Node(kind: .builtin, a: b.rawValue, b: n.b, c: n.c, span: n.span)
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
            pool[node] = Node(kind: .userCall, a: f, b: n.b, c: n.c, span: n.span)
            ctx.calls.insert(f)
            return .dynamic
        }
        if let h = hostFunctions[n.a] {
            if h.arity >= 0 && h.arity != args.count {
                sink.error("function '\(name)' takes \(h.arity) argument\(h.arity == 1 ? "" : "s"), got \(args.count)", at: n.span)
            }
            pool[node] = Node(kind: .hostCall, a: h.index, b: n.b, c: n.c, span: n.span)
            return .dynamic
        }
        if let b = builtinIds[n.a] {
            if !b.arity.contains(args.count) {
                let want = b.arity.lowerBound == b.arity.upperBound ? "\(b.arity.lowerBound)"
                    : b.arity.upperBound == Int.max ? "at least \(b.arity.lowerBound)" : "\(b.arity.lowerBound) or \(b.arity.upperBound)"
                sink.error("function '\(name)' takes \(want) argument\(want == "1" ? "" : "s"), got \(args.count)", at: n.span)
            }
            pool[node] = Node(kind: .builtin, a: b.rawValue, b: n.b, c: n.c, span: n.span)
            return .dynamic
        }
        var candidates = sink.isFull ? [] : Builtin.allCases.map(\.name)
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
            while let (c, k) = stack.last {
                let ds = deps[Int(c)]
                if Int(k) < ds.count {
                    stack[stack.count - 1].1 = k + 1
                    let d = ds[Int(k)]
                    switch color[Int(d)] {
                    case 0:
                        color[Int(d)] = 1
                        stack.append((d, 0))
                    case 1:
                        if cycles < 10 {
                            let from = stack.lastIndex(where: { $0.0 == d }) ?? 0
                            reportCycle(stack[from...].map(\.0))
                        }
                        cycles += 1
                    default: break
                    }
                } else {
                    color[Int(c)] = 2
                    out.append(c)
                    stack.removeLast()
                }
            }
        }
        dependents = []
        if cycles > 0 { return false }
        order = out
        position = [Int32](repeating: 0, count: n)
        for (i, c) in out.enumerated() { position[Int(c)] = Int32(i) }
        return true
    }

    /// Reverse edges, built on first use (only what-ifs need them).
    func ensureDependents() {
        if dependents.count == cells.count { return }
        var rev = [[Int32]](repeating: [], count: cells.count)
        for c in cells.indices { for d in deps[c] { rev[Int(d)].append(Int32(c)) } }
        dependents = rev
    }

    private func reportCycle(_ cycle: [Int32]) {
        let names = cycle.map { cellPath($0) } + [cellPath(cycle[0])]
        let at = cycle.min(by: { cells[Int($0)].span.start < cells[Int($1)].span.start }) ?? cycle[0]
        sink.error("reference cycle: \(names.joined(separator: " -> "))", at: cells[Int(at)].span)
    }
}
