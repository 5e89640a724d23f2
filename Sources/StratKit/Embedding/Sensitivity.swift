/// One input of a sensitivity analysis: the target with the input moved down and up.
public struct SensitivityRow: Sendable, Hashable {
    /// The input's path (`churn`, `MODERNIZE_PLATFORM.MICROSERVICES.current`).
    public var input: String
    /// The input's value.
    public var value: Value
    /// The input at × (1 − by) and × (1 + by); for an uncertain input, its 10th and 90th
    /// percentiles (``uncertain``).
    public var lowInput: Value
    /// See ``lowInput``.
    public var highInput: Value
    /// The target with the input at ``lowInput`` (`none` when it failed there); on an
    /// uncertain model, the target's mean there (the same draws at every point).
    public var low: Value
    /// The target with the input at ``highInput``.
    public var high: Value
    /// |high − low| in the target's base units: what the rows are sorted by.
    public var swing: Double
    /// The target's relative change per relative change of the input, ((high − low) / base)
    /// ÷ ((highInput − lowInput) / value): (high − low) / base ÷ (2 × by) for a plain input,
    /// ((high − low) / base) ÷ ((p90 − p10) / mean) for an uncertain one (base and value
    /// being means). Positive when they move together; nil when the base or the input's
    /// mean is 0.
    public var elasticity: Double?
    /// True when the input is a distribution: it was fixed at its p10 and p90 instead of
    /// being moved by ±by.
    public var uncertain = false
    /// Why the target could not be evaluated at one of the points, if it could not.
    public var error: String?
}

/// A sensitivity analysis (SPEC §16): ``Engine/sensitivity(of:by:top:scenario:overrides:)``,
/// `strat sensitivity`, the REPL's `:sensitivity`.
public struct SensitivityResult: Sendable, Hashable, Encodable, JSONWritable {
    /// The target expression.
    public var target: String
    /// Its value with every input as it is.
    public var base: Value
    /// The relative step (0.1 for ±10%).
    public var by: Double
    /// Inputs by swing, largest first (at most `top` of them when it was given).
    public var rows: [SensitivityRow]
    /// How many inputs the target depends on (before `top`).
    public var inputCount: Int
    /// The scenario the analysis ran under (`baseline` for none).
    public var scenario: String

    /// Encodes what its JSON writer writes (one source of truth for both).
    public func encode(to encoder: Encoder) throws { try encodeWritten(to: encoder) }

    /// The analysis as JSON: `{"target", "base", "by", "scenario", "inputs", "rows": [{"input",
    /// "value", "uncertain", "low_input", "high_input", "low", "high", "swing", "elasticity", "error"}]}`,
    /// numbers as `{"value": <base units>, "unit", "display"}`, `swing` in the target's base
    /// units and `elasticity` plain.
    public func json(pretty: Bool = false) -> String {
        var w = JSONWriter()
        w.pretty = pretty
        write(&w)
        return w.output
    }

    func write(_ w: inout JSONWriter) {
        w.beginObject()
        w.key("target"); w.string(target)
        w.key("base"); ReportValue(base).write(&w)
        w.key("by"); w.double(by)
        w.key("scenario"); w.string(scenario)
        w.key("inputs"); w.int(inputCount)
        w.key("rows"); w.beginArray()
        for r in rows {
            w.beginObject()
            w.key("input"); w.string(r.input)
            w.key("value"); ReportValue(r.value).write(&w)
            w.key("uncertain"); w.bool(r.uncertain)
            w.key("low_input"); ReportValue(r.lowInput).write(&w)
            w.key("high_input"); ReportValue(r.highInput).write(&w)
            w.key("low"); ReportValue(r.low).write(&w)
            w.key("high"); ReportValue(r.high).write(&w)
            w.key("swing"); w.double(r.swing)
            w.key("elasticity"); if let e = r.elasticity { w.double(e) } else { w.null() }
            w.key("error"); if let e = r.error { w.string(e) } else { w.null() }
            w.endObject()
        }
        w.endArray()
        w.endObject()
    }
}

extension Engine {
    /// Sensitivity (SPEC §16): for every input `target` depends on — a let or a property
    /// whose formula reads no other name, such as `let churn = 3.8%` or `current: 62%` —
    /// `target` with that input at × (1 − by) and × (1 + by), everything else as it is;
    /// rows sorted by swing, largest first, `top` of them when given. Each point is an
    /// incremental what-if; the model is left unchanged.
    ///
    /// On an uncertain model the target's mean is taken at every point, with the same
    /// draws each time (common random numbers), and an uncertain input (a numeric
    /// distribution such as `let churn = 3% to 5%`) is fixed at its 10th and 90th
    /// percentiles instead of being moved by ±by.
    ///
    /// ```swift
    /// let s = try engine.sensitivity(of: "plan.score", by: 0.1, top: 5)
    /// for r in s.rows { print(r.input, r.low, r.high, r.swing) }
    /// ```
    public func sensitivity(of target: String, by: Double = 0.1, top: Int? = nil,
                            scenario: String? = nil, overrides: [(path: String, expr: String)] = []) throws -> SensitivityResult {
        guard by > 0, by < 1, by.isFinite else {
            throw StratError(diagnostics: [Diagnostic(severity: .error, kind: .compile,
                                                      message: "the step must be between 0% and 100%, got \(NumberFormat.display(by, NumberUnit(display: .percent)))",
                                                      hint: "e.g. by 10%")])
        }
        try enter()
        defer { busy = false }
        return try withScenario(scenario, overrides: overrides) {
            let node = try compileExpression(target, path: "<sensitivity>", owner: -1)
            let deps = Array(lastDeps), volatile = lastVolatile
            evaluator.steps = 0
            evaluator.armStackGuard()
            let base: Value
            do throws(EvalError) { base = try evaluator.eval(node) } catch { throw runtimeFailure(error) }
            guard let (b, _) = evaluator.scalar(base) else {
                throw StratError(diagnostics: [Diagnostic(severity: .error, kind: .compile,
                                                          message: "sensitivity needs a number to vary, but '\(target)' is a \(base.kindName)",
                                                          hint: "try a score, a metric's current value or a projection's final value")])
            }
            var rows: [SensitivityRow] = []
            let up = evaluator.upstream(of: deps, volatile: volatile)
            for c in inputs(of: up) {
                // The two points: ±by around a plain input, p10 and p90 of an uncertain one.
                let x: Double, u: NumberUnit, points: (Double, Double), uncertain: Bool
                switch evaluator.values[Int(c)] {
                case .number(let d, let unit):
                    (x, u, uncertain) = (d, unit, false)
                    points = (d * (1 - by), d * (1 + by))
                case .dist(let smp, let unit) where !smp.isBool:
                    (x, u, uncertain) = (smp.mean, unit, true)
                    points = (smp.percentile(0.1), smp.percentile(0.9))
                default: continue
                }
                var probe = evaluator.makeProbe(input: c, unit: u, upstream: up, targetVolatile: volatile)
                var ends: [Value] = []
                var failure: String?
                for point in [points.0, points.1] {
                    do throws(EvalError) {
                        switch try evaluator.trial(&probe, at: point, target: node) {
                        case .success(let v):
                            if let (m, mu) = evaluator.scalar(v) { ends.append(v.isUncertain ? .number(m, mu) : v) }
                            else { ends.append(.none); failure = failure ?? "'\(target)' is a \(v.kindName) there" }
                        case .failure(let e): ends.append(.none); failure = failure ?? e.message
                        }
                    } catch {
                        evaluator.restore(probe)
                        throw runtimeFailure(error)
                    }
                }
                evaluator.restore(probe)
                let lo = evaluator.scalar(ends[0])?.0, hi = evaluator.scalar(ends[1])?.0
                var swing = 0.0
                var elasticity: Double?
                if let lo, let hi {
                    swing = abs(hi - lo)
                    // The input's relative spread: exactly 2 × by for a plain input.
                    let spread = uncertain ? (points.1 - points.0) / x : 2 * by
                    if b != 0, x != 0 || !uncertain, spread != 0, spread.isFinite { elasticity = (hi - lo) / b / spread }
                }
                rows.append(SensitivityRow(input: model.cellPath(c), value: evaluator.values[Int(c)], lowInput: .number(points.0, u),
                                           highInput: .number(points.1, u), low: ends[0], high: ends[1], swing: swing,
                                           elasticity: elasticity, uncertain: uncertain, error: failure))
            }
            rows.sort { $0.swing != $1.swing ? $0.swing > $1.swing : $0.input < $1.input }
            let count = rows.count
            if let n = top, n >= 0, n < rows.count { rows = Array(rows.prefix(n)) }
            return SensitivityResult(target: target, base: base, by: by, rows: rows, inputCount: count,
                                     scenario: scenario ?? "baseline")
        }
    }

    /// The inputs a target reads: lets and properties whose formula reads no other name
    /// and whose value is a number or a numeric distribution (not a projection's period
    /// count, not the stdlib's).
    func inputs(of up: Upstream) -> [Int32] {
        let periods = model.id("periods")
        return up.cells.filter { c in
            let cell = model.cells[Int(c)]
            guard cell.kind == .formula, model.deps[Int(c)].isEmpty, !model.volatile.contains(c),
                  evaluator.state[Int(c)] == .ok else { return false }
            switch evaluator.values[Int(c)] {
            case .number: break
            case .dist(let smp, _) where !smp.isBool: break
            default: return false
            }
            if cell.owner >= 0, model.objects[Int(cell.owner)].kind == .projection, cell.name == periods { return false }
            if cell.span.file >= 0, model.program.files[Int(cell.span.file)].path.hasPrefix("<stdlib>") { return false }
            return true
        }.sorted()
    }
}
