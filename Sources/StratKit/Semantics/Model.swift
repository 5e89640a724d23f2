/// What kind of declared object an ``Object`` is.
enum ObjectKind: UInt8 {
    case swot, item, objective, kr, metric, projection, retro, plan
    /// One dated check-in of a KR or metric (SPEC §15): `date`, `value`, `confidence`, `note`.
    case checkin

    var word: String {
        switch self {
        case .swot: return "swot"
        case .item: return "item"
        case .objective: return "objective"
        case .kr: return "kr"
        case .metric: return "metric"
        case .projection: return "projection"
        case .retro: return "retro"
        case .plan: return "plan"
        case .checkin: return "checkin"
        }
    }
}

/// A member of an object: a value cell, a child object, or a list of child objects.
enum Member {
    case cell(Int32)
    case object(Int32)
    case objects([Int32])
}

/// How a key result or metric's target is read.
enum TargetForm: UInt8 { case linear, atLeast, atMost }

/// A declared object: its members are cells or other objects.
struct Object {
    var kind: ObjectKind
    var name: Int32
    var path: String
    var parent: Int32 = -1
    var category: ItemCategory? = nil
    var title: String? = nil
    var span: Span
    var members: [Int32: Member] = [:]
    /// Member names in declaration order (for reports and completion).
    var order: [Int32] = []
    var targetForm: TargetForm = .linear
    /// Projection: its index in `Model.projections`.
    var projection: Int32 = -1
    /// User-declared property names (for reports).
    var declared: [Int32] = []

    mutating func add(_ name: Int32, _ m: Member) {
        if members[name] == nil { order.append(name) }
        members[name] = m
    }
}

/// Native computations behind derived cells.
enum Derived: UInt8 {
    case progress, score, status, met
    case objectiveScore, objectiveStatus
    case planScore, planStatus, unsupported, unaddressed
    case ife, efe, ieCell, posture, exposure
    case projectionGroup, projectionFinal
    /// P(score ≥ 0.7), or P(score = 1) when committed (SPEC §13).
    case chance
    /// `p[0]` outside the group (the start within min/max), and `p.dates`.
    case projectionFirst, projectionDates
    /// A series' period count (its inputs' horizon).
    case seriesPeriods
    /// Tracking (SPEC §15; Tracking.swift): a KR's or metric's pacing against its period.
    case elapsed, expected, pace, forecast, forecastScore, health
    /// Objective and plan roll-ups of `forecast_score` and `health`; overdue retro actions.
    case objectiveForecast, objectiveHealth, planForecast, planHealth, overdue
}

/// One value in the dependency graph.
struct Cell {
    enum Kind: UInt8 { case formula, derived, constant }
    // The 4-byte fields first and the 1-byte ones last: 32 bytes a cell, not 40.
    var node: Int32 = -1
    /// The object the cell belongs to (-1 for top-level lets).
    var owner: Int32
    /// Property or let name.
    var name: Int32
    /// Resolution scope: siblings are the owner's members.
    var projection: Int32 = -1
    var span: Span
    var kind: Kind
    var derived: Derived = .progress
    /// A KR's or metric's own `score:` formula, checked and clamped when computed (SPEC §5).
    var customScore = false

    init(kind: Kind, node: Int32 = -1, derived: Derived = .progress, owner: Int32, name: Int32,
         projection: Int32 = -1, span: Span, customScore: Bool = false) {
        self.node = node
        self.owner = owner
        self.name = name
        self.projection = projection
        self.span = span
        self.kind = kind
        self.derived = derived
        self.customScore = customScore
    }
}

/// A projection: its object, its property cells and its coupled group.
struct Projection {
    var object: Int32
    var count: Int32 = -1      // cell of N
    var start: Int32 = -1
    var next: Int32 = -1       // formula node for next (resolved in projection scope)
    var growth: Int32 = -1
    var min: Int32 = -1
    var max: Int32 = -1
    var group: Int32 = -1      // group cell
    var period: PeriodUnit
    var series: [Double] = []
    var unit: NumberUnit = .plain
    /// `from DATE`: the cell of the anchor date, or -1 (a series inherits its inputs').
    var anchor: Int32 = -1
    /// A `series NAME = EXPR`: `next` is its formula, evaluated at every period.
    var isSeries = false
    /// Whether the period kind is known (a series takes its inputs' kind when resolving).
    var periodKnown = true
    /// Projections and series its formula reads (a series' horizon is theirs).
    var reads: [Int32] = []
    /// Projections it reads at the same period (`other[t]`, a series' inputs): stepped first.
    var readsNow: [Int32] = []
    var first: Int32 = -1
    var dates: Int32 = -1
}

/// A user function.
struct Function {
    var name: Int32
    var params: [Int32]
    var body: Int32
    var span: Span
    /// Cells the body reads (directly or through other functions).
    var deps: [Int32] = []
    var calls: [Int32] = []
}

/// A top-level name.
enum Global {
    case cell(Int32)
    case object(Int32)
    case function(Int32)
    case scenario(Int32)
    case objects([Int32])
}

/// A scenario: overrides by path.
struct Scenario {
    var name: Int32
    var title: String?
    var overrides: [OverrideDecl]
    var span: Span
}

/// The semantic model: objects, cells with their formulas, and the dependency graph.
final class Model {
    let program: Program
    /// The program's pool and interner (constants of the program), kept here so that the
    /// resolver's per-node accesses load a field instead of retaining through `program`.
    let pool: ExprPool
    let interner: Interner
    @exclusivity(unchecked) var objects: [Object] = []
    @exclusivity(unchecked) var cells: [Cell] = []
    @exclusivity(unchecked) var functions: [Function] = []
    @exclusivity(unchecked) var projections: [Projection] = []
    @exclusivity(unchecked) var scenarios: [Scenario] = []
    @exclusivity(unchecked) var globals = NameTable<Global>()
    /// Errors among the sink's that poison only their own expression (unknown names): a
    /// model with no others is still ordered and evaluated, and the cells that read such a
    /// name fail like cells with an evaluation error ("one error must not hide the rest").
    var isolatedErrors = 0
    /// True when the model has errors other than isolated ones: it is not evaluated.
    var isBroken: Bool { sink.errorCount > isolatedErrors }
    /// Forward edges: cells each cell reads.
    @exclusivity(unchecked) var deps = EdgeLists()
    /// Cells whose value depends on run-time member lookups; recomputed on every what-if.
    @exclusivity(unchecked) var volatile: Set<Int32> = []
    @exclusivity(unchecked) var order: [Int32] = []
    @exclusivity(unchecked) var position: [Int32] = []
    /// Reverse edges: cells that read each cell (built on first use: ``ensureDependents()``).
    @exclusivity(unchecked) var dependents = EdgeLists()
    /// For each projection, the projection whose group cell computes it.
    @exclusivity(unchecked) var projectionRoots: [Int32] = []
    /// For each group root, its members in stepping order.
    @exclusivity(unchecked) var groupMembers: [Int32: [Int32]] = [:]
    @exclusivity(unchecked) var plan: Int32 = -1
    @exclusivity(unchecked) var lets: [Int32] = []
    @exclusivity(unchecked) var statements: [Decl] = []
    @exclusivity(unchecked) var info: (org: Int32, mission: Int32, vision: Int32, values: Int32) = (-1, -1, -1, -1)
    @exclusivity(unchecked) var hostFunctions = NameTable<(index: Int32, arity: Int)>()
    @exclusivity(unchecked) var builtinLists: [String: [Int32]] = [:]
    /// Resolved `solve` expressions (GoalSeek.swift).
    @exclusivity(unchecked) var solveSites: [SolveSite] = []
    /// Constructor nodes (`a to b`, `normal(…)`, …) and the local part of their random
    /// stream's key (SPEC §13). Empty for a model without distributions.
    @exclusivity(unchecked) var siteKeys: [Int32: UInt64] = [:]
    /// `simulate N seed S` (nil when absent): the sample count and seed nodes.
    @exclusivity(unchecked) var simulate: (samples: Int32, seed: Int32, span: Span)?

    /// Host-kept constants (the REPL's `_`), unless the model declares the name.
    @exclusivity(unchecked) var extraGlobals: [(name: String, value: Value)] = []
    /// Name uses and their targets, recorded while resolving when editors ask (nil: off).
    @exclusivity(unchecked) var uses: [SymbolTarget]?
    /// The plan period and the check-ins written in model files (not actuals rows), kept
    /// for the editor's outline once the syntax tree is freed.
    var trackingDecls: [Decl] = []
    /// Every named top-level declaration's full source range, for `:show` and `:save`.
    /// By name id (a table, not a dictionary of strings: 100,000 `let`s hashed each name).
    @exclusivity(unchecked) var declSpans = SpanTable()

    /// The full source range of the top-level declaration of `name`, or nil.
    func declSpan(_ name: String) -> Span? { interner.lookup(name).flatMap { declSpans[$0] } }

    /// Built-in functions by name id.
    @exclusivity(unchecked) var builtinIds = NameTable<Builtin>()
    /// The evaluation date (`today`), and whether any formula reads it.
    @exclusivity(unchecked) var asOf = CalendarDate(days: 0)
    @exclusivity(unchecked) var readsToday = false

    init(program: Program) {
        self.program = program
        pool = program.pool
        interner = program.interner
        for b in Builtin.allCases { builtinIds[program.interner.intern(b.name)] = b }
    }

    var sink: DiagnosticSink {
        get { program.sink }
        set { program.sink = newValue }
    }

    func name(_ id: Int32) -> String { interner[id] }

    func cellPath(_ c: Int32) -> String {
        let cell = cells[Int(c)]
        if cell.owner < 0 { return interner[cell.name] }
        return objects[Int(cell.owner)].path + "." + interner[cell.name]
    }

    // MARK: Building

    func addCell(_ c: Cell) -> Int32 {
        cells.append(c)
        deps.appendRow(EmptyCollection())
        return Int32(cells.count - 1)
    }

    func addObject(_ o: Object) -> Int32 {
        objects.append(o)
        return Int32(objects.count - 1)
    }

    func constantCell(_ v: Value, owner: Int32, name: Int32, span: Span) -> Int32 {
        let k = pool.constant(v)
        let n = pool.add(Node(kind: .constant, a: k, span: span))
        return addCell(Cell(kind: .constant, node: n, owner: owner, name: name, span: span))
    }

    func id(_ s: String) -> Int32 { interner.intern(s) }

    /// Where the top-level `name` is declared: its cell's, object's, function's or
    /// scenario's own span (a table of its own would repeat them, 2 MB for 100,000 lets).
    func globalSpan(_ name: Int32) -> Span? {
        guard let g = globals[name] else { return nil }
        switch g {
        case .cell(let c): return cells[Int(c)].span
        case .object(let o): return objects[Int(o)].span
        case .function(let f): return functions[Int(f)].span
        case .scenario(let s): return scenarios[Int(s)].span
        case .objects: return nil
        }
    }

    private func declareGlobal(_ name: Int32, _ g: Global, span: Span) {
        if let prev = globalSpan(name) {
            sink.error("duplicate declaration of '\(interner[name])'", at: span)
            sink.add(.note, .compile, "'\(interner[name])' first declared here", at: prev)
            return
        }
        globals[name] = g
    }

    private func stringOf(_ node: Int32) -> String? {
        guard node >= 0 else { return nil }
        let n = pool[node]
        if n.kind == .string, case .string(let s) = pool.constants[Int(n.a)] { return s }
        return nil
    }

    /// Builds objects and cells from the declarations; then resolves names and orders the graph.
    func build(hostFunctions hosts: [(name: String, arity: Int)]) {
        for (i, h) in hosts.enumerated() { hostFunctions[id(h.name)] = (Int32(i), h.arity) }
        let planName = id("plan")
        plan = addObject(Object(kind: .plan, name: planName, path: "plan", span: .none))
        var objectiveIds: [Int32] = [], metricIds: [Int32] = [], swotIds: [Int32] = []
        var projectionIds: [Int32] = [], retroIds: [Int32] = []
        var planPeriods: [Decl] = [], checkins: [Decl] = []
        if program.decls.count > 1_000 {
            // Every declared name is already interned: size the name tables once.
            declSpans.reserve(interner.count)
            globals.reserve(interner.count)
            // About a cell per declaration, with room for the plan's and objects' own cells
            // (an exact reserve would double at the first cell past it).
            let cellsWanted = cells.count + program.decls.count + program.decls.count / 4 + 64
            cells.reserveCapacity(cellsWanted)
            lets.reserveCapacity(program.decls.count)
            // A few names read per formula: the edges grow once or twice at most.
            deps.reserve(rows: cellsWanted, edges: 3 * program.decls.count)
            cells.adviseHugePagesForCapacity()
        }
        for d in program.decls where d.name >= 0 {
            switch d.kind {
            case .let_, .fn, .swot, .objective, .retro, .metric, .projection, .scenario, .series, .org, .mission, .vision, .values:
                if declSpans[d.name] == nil { declSpans[d.name] = d.span }
            default: break
            }
        }
        for d in program.decls {
            switch d.kind {
            case .let_:
                let c = addCell(Cell(kind: .formula, node: d.expr, owner: -1, name: d.name, span: d.nameSpan))
                lets.append(c)
                declareGlobal(d.name, .cell(c), span: d.nameSpan)
            case .fn:
                functions.append(Function(name: d.name, params: d.params, body: d.expr, span: d.nameSpan))
                declareGlobal(d.name, .function(Int32(functions.count - 1)), span: d.nameSpan)
                var seen = Set<Int32>()
                for p in d.params where !seen.insert(p).inserted {
                    sink.error("duplicate parameter '\(interner[p])'", at: d.nameSpan)
                }
            case .org, .mission, .vision, .values:
                let c = addCell(Cell(kind: .formula, node: d.expr, owner: plan, name: d.name, span: d.nameSpan))
                let slot: Int32
                switch d.kind {
                case .org: slot = info.org; info.org = c
                case .mission: slot = info.mission; info.mission = c
                case .vision: slot = info.vision; info.vision = c
                default: slot = info.values; info.values = c
                }
                if slot >= 0 {
                    sink.error("duplicate declaration of '\(interner[d.name])'", at: d.nameSpan)
                    sink.add(.note, .compile, "'\(interner[d.name])' first declared here", at: cells[Int(slot)].span)
                }
                objects[Int(plan)].add(d.name, .cell(c))
            case .swot: swotIds.append(buildContainer(d, kind: .swot))
            case .objective: objectiveIds.append(buildContainer(d, kind: .objective))
            case .retro: retroIds.append(buildContainer(d, kind: .retro))
            case .metric:
                let o = addObject(Object(kind: .metric, name: d.name, path: interner[d.name],
                                         title: stringOf(d.title), span: d.nameSpan))
                buildScored(o, props: d.props, span: d.nameSpan)
                metricIds.append(o)
                declareGlobal(d.name, .object(o), span: d.nameSpan)
            case .projection, .series:
                projectionIds.append(buildProjection(d))
            case .scenario:
                scenarios.append(Scenario(name: d.name, title: stringOf(d.title), overrides: d.overrides, span: d.nameSpan))
                declareGlobal(d.name, .scenario(Int32(scenarios.count - 1)), span: d.nameSpan)
            case .assert, .print, .expr:
                statements.append(d)
            case .use, .import_:
                break
            case .planPeriod: planPeriods.append(d)
            case .checkin: checkins.append(d)
            case .simulate:
                if let prev = simulate {
                    sink.error("a model has at most one 'simulate'", at: d.span)
                    sink.add(.note, .compile, "first 'simulate' here", at: prev.span)
                } else {
                    simulate = (d.expr, d.message, d.span)
                }
            }
        }
        // The model holds what it needs of the declarations: free them before names are
        // resolved, which is when memory peaks.
        program.decls = []
        for (name, v) in extraGlobals where globals[id(name)] == nil {
            let c = constantCell(v, owner: -1, name: id(name), span: .none)
            globals[id(name)] = .cell(c)
        }
        // Built-in lists and the plan.
        builtinLists = ["objectives": objectiveIds, "metrics": metricIds, "swots": swotIds,
                        "projections": projectionIds, "retros": retroIds]
        var p = objects[Int(plan)]
        p.add(id("objectives"), .objects(objectiveIds))
        p.add(id("metrics"), .objects(metricIds))
        p.add(id("swots"), .objects(swotIds))
        objects[Int(plan)] = p
        for (k, v) in [("score", Derived.planScore), ("status", .planStatus), ("chance", .chance),
                       ("unsupported_priorities", .unsupported), ("unaddressed", .unaddressed)] {
            let c = addCell(Cell(kind: .derived, derived: v, owner: plan, name: id(k), span: .none))
            objects[Int(plan)].add(id(k), .cell(c))
        }
        trackingDecls = planPeriods + checkins.filter { $0.path.isEmpty }
        buildTracking(periods: planPeriods, checkins: checkins)
        resolveAll()
        if !isBroken { orderGraph() }
    }

    private func buildContainer(_ d: Decl, kind: ObjectKind) -> Int32 {
        let o = addObject(Object(kind: kind, name: d.name, path: interner[d.name], title: stringOf(d.title), span: d.nameSpan))
        declareGlobal(d.name, .object(o), span: d.nameSpan)
        for p in d.props { addProp(o, p) }
        if let t = objects[Int(o)].title { objects[Int(o)].add(id("title"), .cell(constantCell(.string(t), owner: o, name: id("title"), span: d.nameSpan))) }
        var lists: [ItemCategory: [Int32]] = [:]
        let cats: [ItemCategory]
        switch kind {
        case .swot: cats = [.strength, .weakness, .opportunity, .threat, .priority]
        case .objective: cats = [.kr]
        default: cats = [.wentWell, .notWell, .learning, .action]
        }
        for c in cats { lists[c] = [] }
        var seen: [ItemCategory: [Int32: Span]] = [:]
        for item in d.items {
            if let prev = seen[item.category]?[item.name] {
                sink.error("duplicate \(item.category.keyword) '\(interner[item.name])' in '\(interner[d.name])'", at: item.nameSpan)
                sink.add(.note, .compile, "'\(interner[item.name])' first declared here", at: prev)
                continue
            }
            seen[item.category, default: [:]][item.name] = item.nameSpan
            let path = kind == .objective
                ? interner[d.name] + "." + interner[item.name]
                : interner[d.name] + "." + item.category.listName + "." + interner[item.name]
            let io = addObject(Object(kind: kind == .objective ? .kr : .item, name: item.name, path: path, parent: o,
                                      category: item.category, title: stringOf(item.title), span: item.nameSpan))
            if let t = stringOf(item.title) {
                objects[Int(io)].add(id("text"), .cell(constantCell(.string(t), owner: io, name: id("text"), span: item.nameSpan)))
            }
            if kind == .objective {
                buildScored(io, props: item.props, span: item.nameSpan)
                if objects[Int(o)].members[item.name] == nil { objects[Int(o)].add(item.name, .object(io)) }
            } else {
                for p in item.props { addProp(io, p) }
                if kind == .swot {
                    for k in ["weight", "rating", "probability", "impact"] where objects[Int(io)].members[id(k)] == nil {
                        objects[Int(io)].add(id(k), .cell(constantCell(.none, owner: io, name: id(k), span: item.nameSpan)))
                    }
                    let c = addCell(Cell(kind: .derived, derived: .exposure, owner: io, name: id("exposure"), span: item.nameSpan))
                    objects[Int(io)].add(id("exposure"), .cell(c))
                }
            }
            lists[item.category]!.append(io)
        }
        for c in cats { objects[Int(o)].add(id(c.listName), .objects(lists[c]!)) }
        if kind == .swot {
            for (k, v) in [("ife", Derived.ife), ("efe", .efe), ("ie_cell", .ieCell), ("posture", .posture)] {
                let c = addCell(Cell(kind: .derived, derived: v, owner: o, name: id(k), span: d.nameSpan))
                objects[Int(o)].add(id(k), .cell(c))
            }
        } else if kind == .objective {
            for k in ["weight", "committed", "supports", "addresses"] where objects[Int(o)].members[id(k)] == nil {
                let v: Value = k == "weight" ? .number(1) : k == "committed" ? .bool(false) : .list([])
                objects[Int(o)].add(id(k), .cell(constantCell(v, owner: o, name: id(k), span: d.nameSpan)))
            }
            if objects[Int(o)].members[id("score")] == nil {
                let c = addCell(Cell(kind: .derived, derived: .objectiveScore, owner: o, name: id("score"), span: d.nameSpan))
                objects[Int(o)].add(id("score"), .cell(c))
            }
            let c = addCell(Cell(kind: .derived, derived: .objectiveStatus, owner: o, name: id("status"), span: d.nameSpan))
            objects[Int(o)].add(id("status"), .cell(c))
            let ch = addCell(Cell(kind: .derived, derived: .chance, owner: o, name: id("chance"), span: d.nameSpan))
            objects[Int(o)].add(id("chance"), .cell(ch))
        }
        return o
    }

    func addProp(_ o: Int32, _ p: PropDecl) {
        if objects[Int(o)].members[p.name] != nil, objects[Int(o)].declared.contains(p.name) {
            sink.error("duplicate property '\(interner[p.name])'", at: p.span)
            return
        }
        warnIfMisspelled(objects[Int(o)].kind, p)
        let c = addCell(Cell(kind: .formula, node: p.expr, owner: o, name: p.name, span: p.span))
        objects[Int(o)].add(p.name, .cell(c))
        objects[Int(o)].declared.append(p.name)
    }

    /// The properties each kind of object gives a meaning to (SPEC §5, §6).
    static func builtinProperties(_ kind: ObjectKind) -> [String] {
        switch kind {
        case .kr, .metric: return ["baseline", "target", "current", "weight", "score", "supports", "addresses", "start", "end", "confidence"]
        case .objective: return ["weight", "committed", "supports", "addresses", "score", "start", "end"]
        case .item: return ["weight", "rating", "probability", "impact"]
        case .projection: return ["start", "next", "growth", "min", "max"]
        default: return []
        }
    }

    /// A custom property one small edit away from a built-in one (`curent`, `wieght`,
    /// `comitted`) is almost always a typo that would silently unscore a KR: warn (SPEC §5).
    private func warnIfMisspelled(_ kind: ObjectKind, _ p: PropDecl) {
        let name = interner[p.name]
        let builtins = Self.builtinProperties(kind)
        guard name.count >= 4, !builtins.contains(name) else { return }
        let limit = name.count >= 6 ? 2 : 1
        guard let near = builtins.first(where: { editDistance(name, $0, limit: limit) <= limit }) else { return }
        sink.add(.warning, .compile, "'\(name)' is not a built-in property; it is kept as a custom one", at: p.span,
                 hint: "did you mean '\(near)'?")
    }

    /// Key results and metrics: baseline/target/current/weight cells and derived scores.
    private func buildScored(_ o: Int32, props: [PropDecl], span: Span) {
        for p in props {
            var p = p
            if interner[p.name] == "target", pool[p.expr].kind == .threshold {
                let t = pool[p.expr]
                objects[Int(o)].targetForm = t.op == BinaryOp.ge.rawValue ? .atLeast : .atMost
                p.expr = t.a
            }
            addProp(o, p)
        }
        for k in ["baseline", "target", "current"] where objects[Int(o)].members[id(k)] == nil {
            objects[Int(o)].add(id(k), .cell(constantCell(.none, owner: o, name: id(k), span: span)))
        }
        for k in ["weight"] where objects[Int(o)].members[id(k)] == nil {
            objects[Int(o)].add(id(k), .cell(constantCell(.number(1), owner: o, name: id(k), span: span)))
        }
        if objects[Int(o)].kind == .kr {
            for k in ["supports", "addresses"] where objects[Int(o)].members[id(k)] == nil {
                objects[Int(o)].add(id(k), .cell(constantCell(.list([]), owner: o, name: id(k), span: span)))
            }
        }
        var derived: [(String, Derived)] = [("progress", .progress), ("status", .status), ("met", .met), ("chance", .chance)]
        if case .cell(let c)? = objects[Int(o)].members[id("score")] { cells[Int(c)].customScore = true }
        else { derived.insert(("score", .score), at: 1) }
        for (k, v) in derived {
            if objects[Int(o)].members[id(k)] != nil {
                sink.error("'\(k)' is computed and cannot be set", at: span)
                continue
            }
            let c = addCell(Cell(kind: .derived, derived: v, owner: o, name: id(k), span: span))
            objects[Int(o)].add(id(k), .cell(c))
        }
    }

    private func buildProjection(_ d: Decl) -> Int32 {
        let o = addObject(Object(kind: .projection, name: d.name, path: interner[d.name], title: stringOf(d.title), span: d.nameSpan))
        declareGlobal(d.name, .object(o), span: d.nameSpan)
        var pr = Projection(object: o, period: d.period)
        let pi = Int32(projections.count)
        objects[Int(o)].projection = pi
        if d.kind == .series {
            // Its formula is stepped like `next:`; its period count comes from its inputs.
            pr.isSeries = true
            pr.periodKnown = false
            pr.next = d.expr
            pr.count = addCell(Cell(kind: .derived, derived: .seriesPeriods, owner: o, name: id("periods"), span: d.nameSpan))
            cells[Int(pr.count)].projection = pi
        } else {
            pr.count = addCell(Cell(kind: .formula, node: d.expr, owner: o, name: id("periods"), span: d.nameSpan))
        }
        if d.anchor >= 0 {
            pr.anchor = addCell(Cell(kind: .formula, node: d.anchor, owner: o, name: id("from"), span: pool[d.anchor].span))
            objects[Int(o)].add(id("from"), .cell(pr.anchor))
        }
        for p in d.props {
            switch interner[p.name] {
            case "next": pr.next = p.expr; continue
            default: warnIfMisspelled(.projection, p)
            }
            let c = addCell(Cell(kind: .formula, node: p.expr, owner: o, name: p.name, span: p.span))
            cells[Int(c)].projection = pi
            if objects[Int(o)].members[p.name] != nil {
                sink.error("duplicate property '\(interner[p.name])'", at: p.span)
            }
            objects[Int(o)].add(p.name, .cell(c))
            objects[Int(o)].declared.append(p.name)
            switch interner[p.name] {
            case "start": pr.start = c
            case "growth": pr.growth = c
            case "min": pr.min = c
            case "max": pr.max = c
            case "final", "series", "periods":
                sink.error("'\(interner[p.name])' is computed and cannot be set", at: p.span)
            default: break
            }
        }
        if pr.isSeries {
            // No properties to check.
        } else if pr.start < 0 {
            sink.error("projection '\(interner[d.name])' needs a 'start:' value", at: d.nameSpan,
                       hint: "e.g. start: 100, growth: 5%")
        }
        if pr.next >= 0 && pr.growth >= 0 {
            sink.error("projection '\(interner[d.name])' has both 'next:' and 'growth:'", at: d.nameSpan,
                       hint: "'growth: r' is shorthand for 'next: value * (1 + r)'")
        }
        if !pr.isSeries && pr.next < 0 && pr.growth < 0 && pr.start >= 0 {
            sink.error("projection '\(interner[d.name])' needs 'next:' or 'growth:'", at: d.nameSpan)
        }
        pr.group = addCell(Cell(kind: .derived, derived: .projectionGroup, owner: o, name: id("series"), span: d.nameSpan))
        cells[Int(pr.group)].projection = pi
        objects[Int(o)].add(id("series"), .cell(pr.group))
        let f = addCell(Cell(kind: .derived, derived: .projectionFinal, owner: o, name: id("final"), span: d.nameSpan))
        cells[Int(f)].projection = pi
        objects[Int(o)].add(id("final"), .cell(f))
        objects[Int(o)].add(id("periods"), .cell(pr.count))
        if !pr.isSeries {
            pr.first = addCell(Cell(kind: .derived, derived: .projectionFirst, owner: o, name: id("first"), span: d.nameSpan))
            cells[Int(pr.first)].projection = pi
        }
        pr.dates = addCell(Cell(kind: .derived, derived: .projectionDates, owner: o, name: id("dates"), span: d.nameSpan))
        cells[Int(pr.dates)].projection = pi
        objects[Int(o)].add(id("dates"), .cell(pr.dates))
        projections.append(pr)
        return o
    }
}

/// A set of small integers in insertion order. Formulas read few cells: the first eight
/// stay inline (no allocation, a linear membership test), more go to an out-of-line
/// array, and past sixteen a hash set answers membership.
struct SmallSet {
    private var inline: (Int32, Int32, Int32, Int32, Int32, Int32, Int32, Int32) = (0, 0, 0, 0, 0, 0, 0, 0)
    private var count = 0
    /// Every item once there are more than eight (one reference: cheap to destroy when nil).
    private var large: Large?

    private final class Large {
        var items: [Int32]
        var set: Set<Int32>?
        init(_ items: [Int32]) { self.items = items }
    }

    /// The items in insertion order (one exact allocation; none when empty).
    var items: [Int32] {
        if let large { return large.items }
        if count == 0 { return [] }
        var t = inline
        let n = count
        // Copied from a buffer pointer: the cheapest way to make a small array here (the
        // `repeating:` and uninitialized-capacity initializers look up the storage class's
        // generic metadata on every call, twice the instructions).
        return withUnsafeBytes(of: &t) { raw in
            Array(UnsafeBufferPointer(rebasing: raw.bindMemory(to: Int32.self)[0..<n]))
        }
    }

    mutating func insert(_ x: Int32) {
        if count < 8 {
            let n = count
            let found = withUnsafeMutableBytes(of: &inline) { raw -> Bool in
                let p = raw.bindMemory(to: Int32.self)
                for k in 0..<n where p[k] == x { return true }
                p[n] = x
                return false
            }
            if !found { count += 1 }
            return
        }
        if count == 8 {
            var all = items
            if all.contains(x) { return }
            all.append(x)
            large = Large(all)
            count = 9
            return
        }
        // Copy on write: a copied set shares `large` until one of the copies changes.
        if !isKnownUniquelyReferenced(&large) {
            let copy = Large(large!.items)
            copy.set = large!.set
            large = copy
        }
        let big = large!
        if big.set != nil {
            if big.set!.insert(x).inserted { big.items.append(x); count += 1 }
            return
        }
        if big.items.contains(x) { return }
        big.items.append(x)
        count += 1
        if count > 16 { big.set = Set(big.items) }
    }

    mutating func formUnion<S: Sequence>(_ other: S) where S.Element == Int32 {
        for x in other { insert(x) }
    }

    /// Calls `body` with the items in insertion order, without making an array.
    func withItems<R>(_ body: (UnsafeBufferPointer<Int32>) throws -> R) rethrows -> R {
        if let large { return try large.items.withUnsafeBufferPointer(body) }
        var t = inline
        let n = count
        return try withUnsafeBytes(of: &t) { raw in
            try body(UnsafeBufferPointer(rebasing: raw.bindMemory(to: Int32.self)[0..<n]))
        }
    }

    var isEmpty: Bool { count == 0 }
}

/// A map from interned name ids to values: an array indexed by id, which beats hashing
/// for the dense ids the interner hands out.
struct NameTable<T>: Sequence {
    private var slots: [T?] = []
    private(set) var keys: [Int32] = []

    /// Makes room for ids below `count` at once (no regrowth while a model is built).
    mutating func reserve(_ count: Int) {
        if count > slots.count { slots.append(contentsOf: repeatElement(nil, count: count - slots.count)) }
        keys.reserveCapacity(count)
    }

    subscript(_ id: Int32) -> T? {
        get { Int(id) < slots.count && id >= 0 ? slots[Int(id)] : nil }
        set {
            guard id >= 0 else { return }
            if Int(id) >= slots.count {
                slots.append(contentsOf: repeatElement(nil, count: Swift.max(Int(id) + 1 - slots.count, slots.count / 2)))
            }
            if slots[Int(id)] == nil, newValue != nil { keys.append(id) }
            slots[Int(id)] = newValue
        }
    }

    func makeIterator() -> AnyIterator<(key: Int32, value: T)> {
        var i = 0
        let keys = self.keys, slots = self.slots
        return AnyIterator {
            while i < keys.count {
                let k = keys[i]
                i += 1
                if let v = slots[Int(k)] { return (k, v) }
            }
            return nil
        }
    }
}

/// Spans by name id, like `NameTable<Span>` without its optionals and key list: 12 bytes
/// a name instead of 20 (a 100,000-`let` model's declaration spans: 1.2 MB, not 2 MB).
struct SpanTable {
    private var slots: [Span] = []
    /// Marks an empty slot (no span has this file).
    private static let absent = Span(file: Int32.min, start: 0, end: 0)

    /// Makes room for ids below `count` at once.
    mutating func reserve(_ count: Int) {
        if count > slots.count { slots.append(contentsOf: repeatElement(Self.absent, count: count - slots.count)) }
    }

    subscript(_ id: Int32) -> Span? {
        get {
            guard id >= 0, Int(id) < slots.count else { return nil }
            let s = slots[Int(id)]
            return s.file == Int32.min ? nil : s
        }
        set {
            guard id >= 0 else { return }
            if Int(id) >= slots.count {
                slots.append(contentsOf: repeatElement(Self.absent, count: Swift.max(Int(id) + 1 - slots.count, slots.count / 2)))
            }
            slots[Int(id)] = newValue.flatMap { $0.file == Int32.min ? nil : $0 } ?? Self.absent
        }
    }
}

/// The dependency graph's edge lists, one row per cell, back to back in one array
/// (compressed sparse rows): a 100,000-formula model's edges take 1.2 MB here, against a
/// heap block per cell (and its allocation) as `[[Int32]]`. Rows changed after building
/// (what-ifs, cells added by the REPL) move to the end; the space they leave is reclaimed
/// once it is most of the array.
struct EdgeLists {
    private struct Row { var start: Int32; var count: Int32 }
    private var rows: [Row] = []
    private var flat: [Int32] = []
    /// Edges in `flat` no row refers to any more.
    private var garbage = 0

    /// The number of rows (cells).
    var count: Int { rows.count }
    /// The number of edges.
    var edgeCount: Int { flat.count - garbage }

    /// Row `r` (a slice: index it from its `startIndex`).
    subscript(_ r: Int) -> ArraySlice<Int32> {
        let row = rows[r]
        return flat[Int(row.start)..<Int(row.start + row.count)]
    }

    mutating func reserve(rows n: Int, edges e: Int) {
        rows.reserveCapacity(n)
        flat.reserveCapacity(e)
    }

    /// Adds a row at the end.
    mutating func appendRow<C: Collection>(_ items: C) where C.Element == Int32 {
        rows.append(Row(start: Int32(flat.count), count: Int32(items.count)))
        flat.append(contentsOf: items)
    }

    /// Adds a row holding a set's items (no intermediate array).
    mutating func appendRow(_ set: SmallSet) {
        set.withItems { appendRow($0) }
    }

    mutating func removeLastRows(_ n: Int) {
        guard n > 0 else { return }
        for r in rows.count - n..<rows.count { garbage += Int(rows[r].count) }
        rows.removeLast(n)
        compactIfSparse()
    }

    /// Replaces row `r` with `items`.
    mutating func replace<C: Collection>(_ r: Int, with items: C) where C.Element == Int32 {
        let new = Array(items)  // `items` may be a slice of `flat`
        let row = rows[r]
        if new.count <= Int(row.count) {
            for (k, x) in new.enumerated() { flat[Int(row.start) + k] = x }
            garbage += Int(row.count) - new.count
            rows[r].count = Int32(new.count)
        } else {
            garbage += Int(row.count)
            rows[r] = Row(start: Int32(flat.count), count: Int32(new.count))
            flat.append(contentsOf: new)
        }
        compactIfSparse()
    }

    /// Appends `x` to row `r`.
    mutating func append(_ x: Int32, toRow r: Int) {
        let row = rows[r]
        if Int(row.start + row.count) != flat.count {
            // Move the row to the end, where it can grow.
            garbage += Int(row.count)
            let start = flat.count
            for k in Int(row.start)..<Int(row.start + row.count) { flat.append(flat[k]) }
            rows[r].start = Int32(start)
        }
        flat.append(x)
        rows[r].count += 1
    }

    /// Removes the last occurrence of `x` from row `r`, if any.
    mutating func removeLast(_ x: Int32, fromRow r: Int) {
        let row = rows[r]
        var k = Int(row.start + row.count) - 1
        while k >= Int(row.start) && flat[k] != x { k -= 1 }
        guard k >= Int(row.start) else { return }
        let end = Int(row.start + row.count)
        while k + 1 < end { flat[k] = flat[k + 1]; k += 1 }
        rows[r].count -= 1
        garbage += 1
    }

    /// The reverse edges: row `d` lists, in increasing order, the rows that hold `d`.
    func reversed() -> EdgeLists {
        var out = EdgeLists()
        var counts = [Int32](repeating: 0, count: rows.count + 1)
        for r in rows.indices {
            let row = rows[r]
            for k in Int(row.start)..<Int(row.start + row.count) { counts[Int(flat[k]) + 1] += 1 }
        }
        for i in 1..<counts.count { counts[i] += counts[i - 1] }
        out.rows = rows.indices.map { Row(start: counts[$0], count: counts[$0 + 1] - counts[$0]) }
        out.flat = [Int32](repeating: 0, count: Int(counts[rows.count]))
        var next = counts
        for r in rows.indices {
            let row = rows[r]
            for k in Int(row.start)..<Int(row.start + row.count) {
                let d = Int(flat[k])
                out.flat[Int(next[d])] = Int32(r)
                next[d] += 1
            }
        }
        return out
    }

    private mutating func compactIfSparse() {
        if garbage > 4096, garbage * 2 > flat.count { compact() }
    }

    /// Rewrites the rows back to back, in row order, with no spare capacity.
    mutating func compact() {
        guard garbage > 0 || flat.capacity > flat.count + 1024 else { return }
        var out = EdgeLists()
        out.reserve(rows: rows.count, edges: edgeCount)
        for r in rows.indices { out.appendRow(self[r]) }
        self = out
    }
}
