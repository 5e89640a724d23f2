/// The answer of a goal seek: ``Engine/solve(_:for:equals:in:scenario:overrides:)``,
/// `strat solve`, the REPL's `:solve`.
public struct SolveResult: Sendable, Hashable, Encodable, JSONWritable, CustomStringConvertible {
    /// The input varied, as a path (`churn`, `GROW.USERS.current`).
    public var input: String
    /// The expression that had to reach the value.
    public var expression: String
    /// The value it had to reach.
    public var target: Value
    /// The input's value at the solution, in the input's unit.
    public var value: Value
    /// The expression's value at the solution (within 1e-9 × max(1, |target|) of the
    /// target, unless ``boundary``).
    public var achieved: Value
    /// The input's value before the search (`none` when it had none).
    public var start: Value
    /// The final bracket around the solution, in the input's unit.
    public var bracketLow: Value
    /// Upper end of ``bracketLow``'s bracket.
    public var bracketHigh: Value
    /// Trial points evaluated (each an incremental what-if).
    public var evaluations: Int
    /// True when the expression jumps across the target at ``value`` (a step function such
    /// as a threshold key result's score) instead of equalling it: the answer is the boundary.
    public var boundary: Bool
    /// The scenario the search ran under (`baseline` for none).
    public var scenario: String

    /// `churn = 1.364940859%  (subscribers.final = 250M)`.
    public var description: String {
        "\(input) = \(value)  (\(expression) = \(achieved)\(boundary ? ", jumps across \(target) here" : ""))"
    }

    /// Encodes what its JSON writer writes (one source of truth for both).
    public func encode(to encoder: Encoder) throws { try encodeWritten(to: encoder) }

    /// The result as JSON: `{"input", "for", "target", "value", "achieved", "start",
    /// "bracket": [low, high], "evaluations", "boundary", "scenario"}`, numbers as
    /// `{"value": <base units>, "unit", "display"}` like `run --format json`.
    public func json(pretty: Bool = false) -> String {
        var w = JSONWriter()
        w.pretty = pretty
        write(&w)
        return w.output
    }

    func write(_ w: inout JSONWriter) {
        w.beginObject()
        w.key("input"); w.string(input)
        w.key("for"); w.string(expression)
        w.key("target"); ReportValue(target).write(&w)
        w.key("value"); ReportValue(value).write(&w)
        w.key("achieved"); ReportValue(achieved).write(&w)
        w.key("start"); ReportValue(start).write(&w)
        w.key("bracket"); w.beginArray(); ReportValue(bracketLow).write(&w); ReportValue(bracketHigh).write(&w); w.endArray()
        w.key("evaluations"); w.int(evaluations)
        w.key("boundary"); w.bool(boundary)
        w.key("scenario"); w.string(scenario)
        w.endObject()
    }
}

extension Engine {
    /// Goal seek (SPEC §16): the value of `input` (an overridable path: a let or a
    /// property) at which `expression` equals `value`, everything else as it is. The
    /// model is left unchanged.
    ///
    /// ```swift
    /// let r = try engine.solve("churn", for: "subscribers.final", equals: "300M")
    /// r.value            // churn's value, in churn's unit (a percent)
    /// try engine.solve("price", for: "revenue", equals: "$1M", in: (low: "$1", high: "$100"))
    /// ```
    ///
    /// Without a range the search widens from the input's value on both sides; with one it
    /// stays inside it. Brent's method then converges until |expression − value| ≤
    /// 1e-9 × max(1, |value|); where the expression is a step function (a threshold key
    /// result's score) the answer is the boundary. `value` must have the expression's
    /// dimension and the range the input's. Throws ``StratError`` when no solution is found
    /// (the message names the range searched), when the expression does not depend on the
    /// input, or on a unit mismatch. Each trial point recomputes only the input's dependents.
    public func solve(_ input: String, for expression: String, equals value: String,
                      in range: (low: String, high: String)? = nil,
                      scenario: String? = nil, overrides: [(path: String, expr: String)] = []) throws -> SolveResult {
        try enter()
        defer { busy = false }
        return try withScenario(scenario, overrides: overrides) {
            _ = try overridableCell(at: input)
            var text = "solve \(input) for \(expression) = \(value)"
            if let r = range { text += " in [\(r.low), \(r.high)]" }
            let node = try compileExpression(text, path: "<solve>", owner: -1)
            let n = model.pool[node]
            guard n.kind == .solved else {
                throw StratError(diagnostics: [Diagnostic(severity: .error, kind: .compile,
                                                          message: "cannot read '\(text)' as a goal seek",
                                                          hint: "solve INPUT for EXPR = VALUE [in [LO, HI]]")])
            }
            evaluator.steps = 0
            evaluator.armStackGuard()
            let q: SeekQuestion, a: SeekAnswer
            do throws(EvalError) {
                var question = try evaluator.question(n.a, span: n.span)
                question.exprText = expression
                q = question
                a = try evaluator.goalSeek(q)
            } catch {
                throw runtimeFailure(error)
            }
            let u = a.unit
            return SolveResult(input: model.cellPath(q.input), expression: expression, target: q.target,
                                   value: .number(a.x, u), achieved: a.achieved, start: a.start.map { .number($0, u) } ?? .none,
                                   bracketLow: .number(a.bracket.0, u), bracketHigh: .number(a.bracket.1, u),
                                   evaluations: a.evaluations, boundary: a.boundary, scenario: scenario ?? "baseline")
        }
    }

    /// An evaluation error as a ``StratError`` with its location.
    func runtimeFailure(_ error: EvalError) -> StratError {
        if error.silent {
            return StratError(diagnostics: [Diagnostic(severity: .error, kind: .runtime,
                                                       message: "the expression depends on a value that failed to evaluate")])
        }
        evaluator.report(error)
        let d = evaluator.diagnostics
        evaluator.diagnostics = []
        return StratError(diagnostics: d)
    }
}

extension Session {
    /// A goal seek on the session's model (and its scenario), as the REPL's `:solve` runs
    /// it; the answer becomes `_`, so `let churn = _` adopts it.
    public func solve(_ input: String, for expression: String, equals value: String,
                      in range: (low: String, high: String)? = nil) throws -> SolveResult {
        let r = try engine.solve(input, for: expression, equals: value, in: range)
        engine.setExtraGlobal("_", r.value)
        return r
    }
}
