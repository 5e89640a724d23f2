/// An override ready to apply: the cell it replaces, the formula that stands in for it,
/// the cells that formula reads, and the nodes in it that read the cell itself (SPEC §7:
/// inside an override the path means its value without the override).
struct ResolvedOverride {
    var cell: Int32
    var node: Int32
    var deps: [Int32]
    var volatile: Bool
    var selfRefs: [Int32]
}

/// What applying overrides changed, so that ``WhatIfRuntime/undo(_:model:evaluator:)``
/// restores the model exactly. Structs rather than tuples: generic tuple destruction
/// showed up in profiles.
struct WhatIfUndo {
    struct CellBefore { var cell: Int32; var info: Cell; var deps: [Int32]; var code: Int32 }
    struct SeriesBefore { var projection: Int; var series: [Double]; var unit: NumberUnit; var stored: Bool; var last: Double }
    struct NodePatch { var node: Int32; var cell: Int32 }
    struct Edge { var from: Int32; var to: Int32 }
    var cells: [CellBefore] = []
    /// A recomputed cell's value and state before. A number is kept here (plain data:
    /// saving, comparing and restoring it costs no value-witness call and no reference
    /// counting); any other value moved to `others`.
    struct Saved {
        var number: Double
        var unit: NumberUnit
        var state: CellState
        var boxed: Bool
    }
    /// Recomputed cells and what they held before, in dependency order (parallel arrays).
    /// A cell recomputed twice (several propagations into one undo) appears twice.
    var valueCells: [Int32] = []
    var saved: [Saved] = []
    /// The values of the `boxed` entries of `saved`, in the same order.
    var others: [Value] = []
    var series: [SeriesBefore] = []
    /// Self-references redirected to a shadow cell, with the cell they read before.
    var patches: [NodePatch] = []
    /// Reverse edges added at the end of `dependents[from]`.
    var edges: [Edge] = []
    var volatileAdded: [Int32] = []
    /// Cell count before shadow cells were added (-1: none added).
    var cellCount = -1
    /// Evaluation order before a reorder (nil: not reordered).
    var order: [Int32]?
    var position: [Int32]?
    var dependents: EdgeLists?

    /// Empties every list, keeping its capacity (a recycled undo appends without growing).
    mutating func clear() {
        cells.removeAll(keepingCapacity: true)
        valueCells.removeAll(keepingCapacity: true)
        saved.removeAll(keepingCapacity: true)
        others.removeAll(keepingCapacity: true)
        series.removeAll(keepingCapacity: true)
        patches.removeAll(keepingCapacity: true)
        edges.removeAll(keepingCapacity: true)
        volatileAdded.removeAll(keepingCapacity: true)
        cellCount = -1
        order = nil
        position = nil
        dependents = nil
    }
}

/// The what-if machinery: applies overrides to the dependency graph, recomputes only what
/// they reach, and undoes both. `Engine` owns one; the model and the evaluator are passed
/// in so that their arrays are not copied.
struct WhatIfRuntime {
    /// One stamp per cell marks visits without hashing.
    private var stamps: [UInt32] = []
    private var stamp: UInt32 = 0
    /// The breadth-first queue, kept between calls with its capacity.
    private var queue: [Int32] = []
    /// The lists of the last undo, emptied, for the next what-if (nil while in use).
    private var spare: WhatIfUndo?

    /// Applies overrides and recomputes their dependents; returns the changes and what is
    /// needed to undo them. A cycle the overrides create throws its diagnostics, with the
    /// model left as it was.
    mutating func apply(_ overrides: [ResolvedOverride], model: Model,
                        evaluator: inout Evaluator) throws(StratError) -> ([Change], WhatIfUndo) {
        var undo = spare ?? WhatIfUndo()
        spare = nil
        if overrides.isEmpty { return ([], undo) }
        model.ensureDependents()
        var targets = overrides
        var needsReorder = false
        for i in targets.indices where !targets[i].selfRefs.isEmpty {
            let c = targets[i].cell
            // A copy of the cell as it was (or as an earlier override in this batch set it)
            // stands in for the override's references to itself, so there is no cycle.
            var before = model.cells[Int(c)]
            var beforeDeps = Array(model.deps[Int(c)])
            if let prev = targets[..<i].last(where: { $0.cell == c }) {
                before.kind = .formula
                before.node = prev.node
                beforeDeps = prev.deps
            }
            if undo.cellCount < 0 { undo.cellCount = model.cells.count }
            let shadow = model.addCell(before)
            model.deps.replace(Int(shadow), with: beforeDeps)
            model.dependents.appendRow(EmptyCollection())
            for d in beforeDeps {
                model.dependents.append(shadow, toRow: Int(d))
                undo.edges.append(.init(from: d, to: shadow))
            }
            evaluator.releaseSnapshot()
            for n in targets[i].selfRefs {
                undo.patches.append(.init(node: n, cell: model.pool.nodes[Int(n)].a))
                model.pool.nodes[Int(n)].a = shadow
            }
            evaluator.refresh()
            targets[i].deps = targets[i].deps.map { $0 == c ? shadow : $0 }
            needsReorder = true
        }
        for t in targets {
            let c = t.cell
            undo.cells.append(.init(cell: c, info: model.cells[Int(c)], deps: Array(model.deps[Int(c)]),
                                    code: evaluator.codeIndex[Int(c)]))
            model.cells[Int(c)].kind = .formula
            model.cells[Int(c)].node = t.node
            evaluator.invalidateCode(c)
            model.deps.replace(Int(c), with: t.deps)
            if t.volatile, model.volatile.insert(c).inserted { undo.volatileAdded.append(c) }
            for d in t.deps {
                if Int(d) >= model.position.count || Int(c) >= model.position.count
                    || model.position[Int(d)] >= model.position[Int(c)] { needsReorder = true }
                if !model.dependents[Int(d)].contains(c) {
                    model.dependents.append(c, toRow: Int(d))
                    undo.edges.append(.init(from: d, to: c))
                }
            }
        }
        if needsReorder {
            undo.order = model.order
            undo.position = model.position
            undo.dependents = model.dependents  // ordering drops the reverse edges
            let errorsBefore = model.sink.errorCount, itemsBefore = model.sink.items.count
            if !model.orderGraph() {
                // The cycle is the what-if's error, not the model's.
                let d = Array(model.sink.items[itemsBefore...])
                model.sink.items.removeSubrange(itemsBefore...)
                model.sink.errorCount = errorsBefore
                self.undo(undo, model: model, evaluator: &evaluator)
                throw StratError(diagnostics: d)
            }
        }
        let changes = propagate(from: targets.map(\.cell), model: model, evaluator: &evaluator, into: &undo)
        return (changes, undo)
    }

    /// Recomputes `roots` and everything downstream of them, saving old values into
    /// `undo`; returns the values that changed, in dependency order.
    ///
    /// Per affected cell this is the recomputation plus a few array operations: arrays
    /// of the model are read through one local copy each (an access through the class
    /// per cell costs a retain and a release), the old values move into `undo` (no
    /// copy of the whole value array, no reference counting) and each cell is compared
    /// right after it is computed, while its value is still in cache.
    mutating func propagate(from roots: [Int32], model: Model, evaluator: inout Evaluator,
                            into undo: inout WhatIfUndo) -> [Change] {
        model.ensureDependents()
        let first = undo.valueCells.count
        let firstOther = undo.others.count
        collectAffected(from: roots, model: model, evaluator: &evaluator, into: &undo)
        let affected = undo.valueCells
        let count = affected.count - first
        let cells = model.cells
        let hasGroups = !model.projections.isEmpty
        if hasGroups {
            for k in first..<affected.count where cells[Int(affected[k])].isProjectionGroup {
                let p = Int(cells[Int(affected[k])].projection)
                undo.series.append(.init(projection: p, series: evaluator.projSeries[p], unit: evaluator.projUnits[p],
                                         stored: evaluator.seriesStored[p], last: evaluator.projLast[p]))
            }
        }
        evaluator.armStackGuard()
        let names = model.interner.names
        // A top-level let's path is its name (no concatenation, no call).
        func path(_ c: Int) -> String { cells[c].owner < 0 ? names[Int(cells[c].name)] : model.cellPath(Int32(c)) }
        if count == 0 { return [] }
        // At most one change a cell: written in place, without a capacity check each.
        return [Change](unsafeUninitializedCapacity: count) { out, written in
            let base = out.baseAddress!
            written = 0
            func emit(_ change: Change) {
                (base + written).initialize(to: change)
                written += 1
            }
            // A cell's value is final once its turn has come: what it reads comes earlier
            // in the order, and a read of a pending cell computes that cell first.
            var other = firstOther
            for k in first..<affected.count {
                let c = Int(affected[k])
                if evaluator.state[c] == .pending { evaluator.compute(Int32(c)) }
                let b = undo.saved[k]
                if hasGroups && cells[c].isProjectionGroup {
                    if b.boxed { other += 1 }
                    continue
                }
                // Numbers (nearly every cell) compare without copying the enum out.
                if !b.boxed {
                    if case .number(let y, let uy) = evaluator.values[c] {
                        if !Value.numbersEqual(b.number, y) || b.unit != uy {
                            emit(Change(path: path(c), number: b.number, b.unit, to: y, uy))
                        }
                    } else {
                        emit(Change(path: path(c), before: .number(b.number, b.unit), after: evaluator.values[c]))
                    }
                    continue
                }
                let a = evaluator.values[c], before = undo.others[other]
                other += 1
                if !Value.equal(before, a) || before.unit != a.unit {
                    emit(Change(path: path(c), before: before, after: a))
                }
            }
        }
    }

    /// Appends to `undo`, in dependency order, `roots`, the volatile cells and everything
    /// downstream of them, with what each held, and marks them pending.
    ///
    /// Breadth first over the reverse edges while the set stays small against the part of
    /// the order it can reach (from the earliest root on); past an eighth of that part, one
    /// scan of the order from there, where a cell is affected when one of its
    /// dependencies is: sequential reads and no queue, which for a what-if that reaches
    /// most of the model costs a fraction of the breadth-first walk.
    private mutating func collectAffected(from roots: [Int32], model: Model, evaluator: inout Evaluator,
                                          into undo: inout WhatIfUndo) {
        let n = model.cells.count
        if stamps.count < n { stamps.append(contentsOf: repeatElement(0, count: n - stamps.count)) }
        stamp &+= 1
        if stamp == 0 { for i in stamps.indices { stamps[i] = 0 }; stamp = 1 }
        let s = stamp
        let order = model.order, position = model.position
        let volatile = model.volatile
        let ordered = order.count == n && position.count == n
        var start = n
        if ordered {
            for c in roots { start = min(start, Int(position[Int(c)])) }
            for v in volatile { start = min(start, Int(position[Int(v)])) }
        }
        let budget = ordered ? (n - start) / 8 : Int.max
        // Each cell enters the queue once; one more slot takes the write of a cell that
        // was already there (the walk stores unconditionally and counts only new cells).
        let cap = n + 1 + roots.count + volatile.count
        if queue.count < cap { queue = [Int32](repeating: 0, count: cap) }
        let dependents = model.dependents
        let (count, complete) = queue.withUnsafeMutableBufferPointer { q in
            stamps.withUnsafeMutableBufferPointer { stamps in
                var tail = 0
                for c in roots where stamps[Int(c)] != s { stamps[Int(c)] = s; q[tail] = c; tail += 1 }
                for v in volatile where stamps[Int(v)] != s { stamps[Int(v)] = s; q[tail] = v; tail += 1 }
                var head = 0
                while head < tail {
                    if tail > budget { return (tail, false) }
                    let c = q[head]
                    head += 1
                    dependents[Int(c)].withUnsafeBufferPointer { ds in
                        for d in ds {
                            // Without a branch on whether `d` was seen: that branch is a coin toss.
                            let fresh = stamps[Int(d)] != s
                            stamps[Int(d)] = s
                            q[tail] = d
                            tail += fresh ? 1 : 0
                        }
                    }
                }
                return (tail, true)
            }
        }
        if !complete {
            // The cells stamped so far are affected; the scan finds the rest and saves each
            // cell as it finds it.
            let deps = model.deps
            undo.valueCells.reserveCapacity(undo.valueCells.count + n - start)
            undo.saved.reserveCapacity(undo.saved.count + n - start)
            stamps.withUnsafeMutableBufferPointer { stamps in
                order.withUnsafeBufferPointer { order in
                    evaluator.values.withUnsafeMutableBufferPointer { values in
                        evaluator.state.withUnsafeMutableBufferPointer { state in
                            for p in start..<n {
                                let c = Int(order[p])
                                var hit = stamps[c] == s
                                if !hit {
                                    // When most cells are affected, the first dependency
                                    // usually is: the early exit is well predicted.
                                    deps[c].withUnsafeBufferPointer { ds in
                                        for d in ds where stamps[Int(d)] == s { hit = true; break }
                                    }
                                }
                                if hit {
                                    stamps[c] = s
                                    undo.valueCells.append(Int32(c))
                                    Self.save(c, values, state, into: &undo)
                                }
                            }
                        }
                    }
                }
            }
            return
        }
        let first = undo.valueCells.count
        undo.valueCells.reserveCapacity(first + count)
        if ordered && count > (n - start) / 8 {
            stamps.withUnsafeBufferPointer { stamps in
                order.withUnsafeBufferPointer { order in
                    for c in order[start...] where stamps[Int(c)] == s { undo.valueCells.append(c) }
                }
            }
        } else if ordered {
            var positions = queue[0..<count].map { position[Int($0)] }
            positions.sort()
            for p in positions { undo.valueCells.append(order[Int(p)]) }
        } else {
            undo.valueCells.append(contentsOf: queue[0..<count])
        }
        let list = undo.valueCells
        undo.saved.reserveCapacity(undo.saved.count + count)
        evaluator.values.withUnsafeMutableBufferPointer { values in
            evaluator.state.withUnsafeMutableBufferPointer { state in
                for k in first..<list.count { Self.save(Int(list[k]), values, state, into: &undo) }
            }
        }
    }

    /// Saves what cell `c` holds and marks it pending. A pending cell's value is never
    /// read (a read computes it): a number stays where it is, any other value moves out.
    @inline(__always)
    private static func save(_ c: Int, _ values: UnsafeMutableBufferPointer<Value>,
                             _ state: UnsafeMutableBufferPointer<CellState>, into undo: inout WhatIfUndo) {
        if case .number(let d, let u) = values[c] {
            undo.saved.append(.init(number: d, unit: u, state: state[c], boxed: false))
        } else {
            undo.saved.append(.init(number: 0, unit: .plain, state: state[c], boxed: true))
            let v = values.baseAddress! + c
            undo.others.append(v.move())
            v.initialize(to: .none)
        }
        state[c] = .pending
    }

    /// Restores what ``apply(_:model:evaluator:)`` or ``propagate(from:model:evaluator:into:)``
    /// changed: formulas, graph edges, order, values, series and shadow cells.
    mutating func undo(_ u: consuming WhatIfUndo, model: Model, evaluator: inout Evaluator) {
        var u = u
        if !u.patches.isEmpty {
            evaluator.releaseSnapshot()
            for p in u.patches.reversed() { model.pool.nodes[Int(p.node)].a = p.cell }
            evaluator.refresh()
        }
        for sc in u.cells.reversed() {
            model.cells[Int(sc.cell)] = sc.info
            model.deps.replace(Int(sc.cell), with: sc.deps)
            evaluator.codeIndex[Int(sc.cell)] = sc.code
        }
        if let d = u.dependents { model.dependents = d }
        for e in u.edges.reversed() {
            model.dependents.removeLast(e.to, fromRow: Int(e.from))
        }
        for v in u.volatileAdded { model.volatile.remove(v) }
        if let o = u.order { model.order = o }
        if let p = u.position { model.position = p }
        // Values in reverse, so that a cell recomputed twice ends with its oldest value.
        // A number goes back by a plain store over a value that holds no reference (the
        // common case: a number over a number), other values by a swap (the values the
        // what-if computed are dropped with the undo's list).
        let valueCells = u.valueCells, saved = u.saved
        evaluator.values.withUnsafeMutableBufferPointer { values in
            evaluator.state.withUnsafeMutableBufferPointer { state in
                u.others.withUnsafeMutableBufferPointer { others in
                    let v = values.baseAddress!
                    var k = valueCells.count, o = others.count
                    while k > 0 {
                        k -= 1
                        let c = Int(valueCells[k])
                        let b = saved[k]
                        state[c] = b.state
                        if b.boxed {
                            o -= 1
                            swap(&values[c], &others[o])
                        } else if v[c].holdsNoReference {
                            (v + c).initialize(to: .number(b.number, b.unit))
                        } else {
                            v[c] = .number(b.number, b.unit)
                        }
                    }
                }
            }
        }
        for ss in u.series.reversed() {
            let p = ss.projection
            evaluator.seriesStored[p] = ss.stored
            evaluator.projLast[p] = ss.last
            evaluator.projSeries[p] = ss.series
            evaluator.projUnits[p] = ss.unit
        }
        if u.cellCount >= 0 {
            let extra = model.cells.count - u.cellCount
            model.cells.removeLast(extra)
            model.deps.removeLastRows(extra)
            if model.dependents.count > u.cellCount { model.dependents.removeLastRows(model.dependents.count - u.cellCount) }
            evaluator.truncateCells(to: u.cellCount)
        }
        recycle(u)
    }

    /// Keeps an undo's lists, emptied, for the next ``apply(_:model:evaluator:)``: a
    /// what-if that reaches most of the model then writes into memory it has used before.
    mutating func recycle(_ u: consuming WhatIfUndo) {
        var u = u
        u.clear()
        spare = u
    }
}

extension Value {
    /// True for the cases with no reference inside: overwriting such a value without
    /// destroying it first leaks nothing.
    @inline(__always) var holdsNoReference: Bool {
        switch self {
        case .number, .bool, .none: return true
        case .string, .list, .ref, .dist: return false
        }
    }
}

extension Cell {
    /// A projection group's cell holds no value of its own (its members do).
    @inline(__always) var isProjectionGroup: Bool { kind == .derived && derived == .projectionGroup }
}

extension Evaluator {
    /// Drops per-cell state of cells past `count` (shadow cells of an undone what-if).
    mutating func truncateCells(to count: Int) {
        if values.count > count { values.removeLast(values.count - count) }
        if state.count > count { state.removeLast(state.count - count) }
        if codeIndex.count > count { codeIndex.removeLast(codeIndex.count - count) }
    }
}

extension ExprPool {
    /// Appends to `out` every node of the resolved formula `root` that reads `cell`; false
    /// when the formula has a node whose children this walk does not know (a resolved goal
    /// seek keeps its parts outside the tree), so the caller cannot rely on `out`.
    func cellReferences(in root: Int32, to cell: Int32, into out: inout [Int32]) -> Bool {
        var stack: [Int32] = [root]
        while let i = stack.popLast() {
            guard i >= 0, Int(i) < nodes.count else { continue }
            let n = nodes[Int(i)]
            switch n.kind {
            case .cell:
                if n.a == cell { out.append(i) }
            case .number, .string, .bool, .none, .name, .local, .projValue, .projT, .projPrev, .object,
                 .constant, .projSeries, .error:
                break
            case .neg, .not, .threshold, .member, .dynMember:
                stack.append(n.a)
            case .index, .binary, .range:
                stack.append(n.a)
                stack.append(n.b)
            case .cond:
                stack.append(n.a)
                let (then, els) = branches(n)
                stack.append(then)
                stack.append(els)
            case .projAt:
                stack.append(n.b)
            case .interp, .call, .list, .builtin, .userCall, .hostCall:
                stack.append(contentsOf: children(n))
            case .solve, .solved:
                return false
            }
        }
        return true
    }
}
