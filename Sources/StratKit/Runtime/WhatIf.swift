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
    /// Recomputed cells and their values and states before, in dependency order (two
    /// parallel arrays: appending a 16-byte value beats appending a padded struct).
    var valueCells: [Int32] = []
    var values: [Value] = []
    var states: [CellState] = []
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
    /// Every cell's value and state before, when the what-if reached most of the model
    /// (then `values` and `states` stay empty).
    struct Snapshot { var values: [Value]; var states: [CellState] }
    var snapshot: Snapshot?

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

    /// Applies overrides and recomputes their dependents; returns the changes and what is
    /// needed to undo them. A cycle the overrides create throws its diagnostics, with the
    /// model left as it was.
    mutating func apply(_ overrides: [ResolvedOverride], model: Model,
                        evaluator: inout Evaluator) throws(StratError) -> ([Change], WhatIfUndo) {
        var undo = WhatIfUndo()
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
    /// per cell costs a retain and a release), and the queue keeps its capacity.
    mutating func propagate(from roots: [Int32], model: Model, evaluator: inout Evaluator,
                            into undo: inout WhatIfUndo) -> [Change] {
        model.ensureDependents()
        let n = model.cells.count
        if stamps.count < n { stamps.append(contentsOf: repeatElement(0, count: n - stamps.count)) }
        stamp &+= 1
        if stamp == 0 { for i in stamps.indices { stamps[i] = 0 }; stamp = 1 }
        let s = stamp
        // Everything downstream of the roots (and the volatile cells), breadth first, in a
        // buffer kept between calls: each cell enters once, so n + roots is enough.
        let cap = n + roots.count + model.volatile.count
        if queue.count < cap { queue = [Int32](repeating: 0, count: cap) }
        let dependents = model.dependents
        let volatile = model.volatile
        let count = queue.withUnsafeMutableBufferPointer { q in
            stamps.withUnsafeMutableBufferPointer { stamps in
                var tail = 0
                for c in roots { stamps[Int(c)] = s; q[tail] = c; tail += 1 }
                for v in volatile where stamps[Int(v)] != s { stamps[Int(v)] = s; q[tail] = v; tail += 1 }
                var head = 0
                while head < tail {
                    let c = q[head]
                    head += 1
                    dependents[Int(c)].withUnsafeBufferPointer { ds in
                        for d in ds where stamps[Int(d)] != s {
                            stamps[Int(d)] = s
                            q[tail] = d
                            tail += 1
                        }
                    }
                }
                return tail
            }
        }
        // In dependency order: large sets by one scan of the topological order, small
        // ones by sorting their positions.
        let order = model.order
        var affected: [Int32] = []
        affected.reserveCapacity(count)
        if count > n / 8 {
            stamps.withUnsafeBufferPointer { stamps in
                order.withUnsafeBufferPointer { order in
                    for c in order where stamps[Int(c)] == s { affected.append(c) }
                }
            }
        } else {
            let position = model.position
            var positions = queue[0..<count].map { position[Int($0)] }
            positions.sort()
            for p in positions { affected.append(order[Int(p)]) }
        }
        let cells = model.cells
        let hasGroups = !model.projections.isEmpty
        let first = undo.valueCells.count
        // A what-if that reaches most of the model keeps the whole value and state arrays
        // as they were (copy on write: one bulk copy on the first write, and the undo is
        // an assignment), rather than saving and restoring cell by cell.
        let whole = affected.count > n / 4 && first == 0 && undo.snapshot == nil
        if !whole { undo.valueCells.append(contentsOf: affected) }
        if whole {
            undo.snapshot = .init(values: evaluator.values, states: evaluator.state)
            evaluator.state.withUnsafeMutableBufferPointer { state in
                for c in affected { state[Int(c)] = .pending }
            }
        } else {
            undo.values.reserveCapacity(first + affected.count)
            undo.states.reserveCapacity(first + affected.count)
            evaluator.values.withUnsafeBufferPointer { values in
                evaluator.state.withUnsafeMutableBufferPointer { state in
                    for c in affected {
                        undo.values.append(values[Int(c)])
                        undo.states.append(state[Int(c)])
                        state[Int(c)] = .pending
                    }
                }
            }
        }
        if hasGroups {
            for c in affected where cells[Int(c)].isProjectionGroup {
                let p = Int(cells[Int(c)].projection)
                undo.series.append(.init(projection: p, series: evaluator.projSeries[p], unit: evaluator.projUnits[p],
                                         stored: evaluator.seriesStored[p], last: evaluator.projLast[p]))
            }
        }
        evaluator.armStackGuard()
        for c in affected where evaluator.state[Int(c)] == .pending { evaluator.compute(c) }
        var changes: [Change] = []
        changes.reserveCapacity(affected.count)
        let after = evaluator.values
        let before = whole ? undo.snapshot!.values : undo.values
        let names = model.interner.names
        // A top-level let's path is its name (no concatenation, no call).
        func path(_ c: Int) -> String { cells[c].owner < 0 ? names[Int(cells[c].name)] : model.cellPath(Int32(c)) }
        for k in affected.indices {
            let c = Int(affected[k])
            if hasGroups && cells[c].isProjectionGroup { continue }
            let i = whole ? c : first + k
            // Numbers (nearly every cell) compare without copying the enum out.
            if case .number(let y, let uy) = after[c], case .number(let x, let ux) = before[i] {
                if !Value.numbersEqual(x, y) || ux != uy {
                    changes.append(Change(path: path(c), before: .number(x, ux), after: .number(y, uy)))
                }
                continue
            }
            let a = after[c], b = before[i]
            if !Value.equal(b, a) || b.unit != a.unit {
                changes.append(Change(path: path(c), before: b, after: a))
            }
        }
        return changes
    }

    /// Restores what ``apply(_:model:evaluator:)`` or ``propagate(from:model:evaluator:into:)``
    /// changed: formulas, graph edges, order, values, series and shadow cells.
    func undo(_ u: WhatIfUndo, model: Model, evaluator: inout Evaluator) {
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
        evaluator.values.withUnsafeMutableBufferPointer { values in
            evaluator.state.withUnsafeMutableBufferPointer { state in
                var k = u.valueCells.count
                while k > 0 {
                    k -= 1
                    let c = Int(u.valueCells[k])
                    values[c] = u.values[k]
                    state[c] = u.states[k]
                }
            }
        }
        if let snap = u.snapshot {   // older than the values saved one by one
            evaluator.values = snap.values
            evaluator.state = snap.states
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
