/// Incremental probing (SPEC §7, §16): one input is set to trial values in place while a
/// target is read back; only the cells downstream of the input that the target needs are
/// recomputed, in dependency order, and ``Evaluator/restore(_:)`` puts every value back.
/// Goal seek and sensitivity both evaluate their points this way, inside the evaluator,
/// so that a `solve` expression can run in the middle of computing another cell.
struct Probe {
    /// The cell being varied, and the unit trial values carry.
    let input: Int32
    let unit: NumberUnit
    /// Cells downstream of the input (and the model's volatile cells), in dependency order;
    /// cells being computed further up the stack are left out.
    let downstream: [Int32]
    /// The part of `downstream` that the target reads, recomputed eagerly per point; nil
    /// when the target looks values up at run time (then they are computed on demand).
    let work: [Int32]?
    /// Whether the target can see the input at all (nil: not known statically).
    let reachesInput: Bool?
    fileprivate let savedInput: (Value, CellState)
    fileprivate let savedValues: [Value]
    fileprivate let savedStates: [CellState]
    fileprivate let savedSeries: [(projection: Int, series: [Double], unit: NumberUnit, stored: Bool, last: Double)]
    /// The per-period samples of the uncertain projections among `savedSeries`.
    fileprivate let savedDists: [(projection: Int, periods: [Samples])]
    fileprivate let savedDiagnostics: Int
    fileprivate let savedWarnings: Set<String>
    fileprivate let savedProjection: (value: Double, unit: NumberUnit, t: Int)
    /// Trial points evaluated so far.
    var evaluations = 0
}

/// The cells a target reads, directly or through other cells: computed once and shared by
/// every probe of one analysis.
struct Upstream {
    /// Per cell: does the target (transitively) read it?
    var marks: [Bool]
    /// Cells in the set, in discovery order.
    var cells: [Int32]
    /// The target, or a cell it reads, looks values up at run time: the set may be incomplete.
    var volatile: Bool
}

extension Evaluator {
    /// What a target whose formula reads `deps` (and the cells of the user functions
    /// `calls`) reads in all.
    func upstream(of deps: [Int32], calls: [Int32] = [], volatile: Bool) -> Upstream {
        var marks = [Bool](repeating: false, count: model.cells.count)
        var roots = deps
        for f in calls where Int(f) < model.functions.count { roots.append(contentsOf: model.functions[Int(f)].deps) }
        let up = reach(roots, along: model.deps, &marks)
        let sawVolatile = volatile || up.contains { model.volatile.contains($0) }
        return Upstream(marks: marks, cells: up, volatile: sawVolatile)
    }

    /// Prepares to vary `input` while reading a target that reads `upstream`.
    mutating func makeProbe(input: Int32, unit: NumberUnit, upstream: Upstream, targetVolatile: Bool) -> Probe {
        model.ensureDependents()
        var mark = [Bool](repeating: false, count: model.cells.count)
        // The input first (dropped below), then the cells it feeds and the volatile ones.
        let queue = reach([input] + model.volatile, along: model.dependents, &mark)
        var positions = queue.dropFirst().compactMap { c -> Int32? in
            state[Int(c)] == .running ? nil : model.position[Int(c)]
        }
        positions.sort()
        let downstream = positions.map { model.order[Int($0)] }
        let work: [Int32]? = targetVolatile ? nil : downstream.filter { upstream.marks[Int($0)] }
        var series: [(projection: Int, series: [Double], unit: NumberUnit, stored: Bool, last: Double)] = []
        var dists: [(projection: Int, periods: [Samples])] = []
        for c in downstream {
            let cell = model.cells[Int(c)]
            if cell.kind == .derived && cell.derived == .projectionGroup {
                let p = Int(cell.projection)
                series.append((p, projSeries[p], projUnits[p], seriesStored[p], projLast[p]))
                if p < mc.projDists.count { dists.append((p, mc.projDists[p])) }
            }
        }
        return Probe(input: input, unit: unit, downstream: downstream, work: work,
                     reachesInput: upstream.volatile ? nil : upstream.marks[Int(input)],
                     savedInput: (values[Int(input)], state[Int(input)]),
                     savedValues: downstream.map { values[Int($0)] },
                     savedStates: downstream.map { state[Int($0)] },
                     savedSeries: series, savedDists: dists, savedDiagnostics: diagnostics.count, savedWarnings: warningKeys,
                     savedProjection: (projValue, projUnit, projT))
    }

    /// The target's value with the input at `x` (base units): a value, or why it failed.
    /// A hit limit (steps, interruption) is thrown: no later point could succeed.
    mutating func trial(_ p: inout Probe, at x: Double, target: Int32) throws(EvalError) -> Result<Value, EvalError> {
        p.evaluations += 1
        values[Int(p.input)] = .number(x, p.unit)
        state[Int(p.input)] = .ok
        for c in p.downstream { state[Int(c)] = .pending }
        if let w = p.work {
            for c in w where state[Int(c)] == .pending { compute(c) }
        }
        let result: Result<Value, EvalError>
        do {
            result = .success(try eval(target))
        } catch {
            var e = error
            if e.silent, let d = diagnostics[p.savedDiagnostics...].first(where: { $0.severity == .error }) {
                e = EvalError(message: d.message, span: .none, hint: d.hint, kind: d.kind)
            }
            result = .failure(e)
        }
        if diagnostics.count > p.savedDiagnostics { diagnostics.removeSubrange(p.savedDiagnostics...) }
        if steps > limits.maxSteps, case .failure(let e) = result { throw e }
        if case .failure(let e) = result, e.message == "interrupted" { throw e }
        return result
    }

    /// Puts back every value the probe changed.
    mutating func restore(_ p: Probe) {
        values[Int(p.input)] = p.savedInput.0
        state[Int(p.input)] = p.savedInput.1
        for (i, c) in p.downstream.enumerated() {
            values[Int(c)] = p.savedValues[i]
            state[Int(c)] = p.savedStates[i]
        }
        for s in p.savedSeries {
            projSeries[s.projection] = s.series
            projUnits[s.projection] = s.unit
            seriesStored[s.projection] = s.stored
            projLast[s.projection] = s.last
        }
        for d in p.savedDists { mc.projDists[d.projection] = d.periods }
        if diagnostics.count > p.savedDiagnostics { diagnostics.removeSubrange(p.savedDiagnostics...) }
        warningKeys = p.savedWarnings
        (projValue, projUnit, projT) = p.savedProjection
    }

    /// Every cell reachable from `roots` along `edges` (deps or dependents), in discovery
    /// order, marked in `marks`.
    private func reach(_ roots: [Int32], along edges: EdgeLists, _ marks: inout [Bool]) -> [Int32] {
        var out: [Int32] = []
        for r in roots where !marks[Int(r)] {
            marks[Int(r)] = true
            out.append(r)
        }
        var head = 0
        while head < out.count {
            let c = out[head]
            head += 1
            for d in edges[Int(c)] where !marks[Int(d)] {
                marks[Int(d)] = true
                out.append(d)
            }
        }
        return out
    }

    /// A probe's reading as one number: the goal seek and sensitivity work on plain numbers.
    /// On an uncertain model this is where a numeric distribution's mean is taken (SPEC
    /// §16): every trial redraws the same samples (the streams are keyed by declaration,
    /// not by evaluation), so the mean is a deterministic function of the input.
    func scalar(_ v: Value) -> (Double, NumberUnit)? {
        switch v {
        case .number(let d, let u): return (d, u)
        case .dist(let s, let u) where !s.isBool: return (s.mean, u)
        default: return nil
        }
    }
}
