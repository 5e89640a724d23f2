/// A value as reports carry it: numbers with their unit and display text.
public struct ReportValue: Sendable, Encodable, JSONWritable, Hashable {
    /// The underlying value.
    public var value: Value

    /// Wraps a value.
    public init(_ value: Value) { self.value = value }

    /// Encodes what its JSON writer writes (one source of truth for both).
    public func encode(to encoder: Encoder) throws { try encodeWritten(to: encoder) }

    func write(_ w: inout JSONWriter) {
        switch value {
        case .number(let d, let u):
            w.beginObject()
            w.key("value"); w.double(d)
            w.key("unit"); w.string(u.symbol)
            w.key("display"); w.string(value.description)
            w.endObject()
        case .dist(let s, let u): Self.writeDistribution(&w, s, u, value.description)
        case .string(let s): w.string(s)
        case .bool(let b): w.bool(b)
        case .none: w.null()
        case .ref(let r): w.string(r.path)
        case .list(let l):
            w.beginArray()
            for v in l { ReportValue(v).write(&w) }
            w.endArray()
        }
    }
}

/// A named property of an item, KR or metric.
public struct ReportProperty: Sendable, Hashable {
    /// Property name.
    public var name: String
    /// Its value.
    public var value: ReportValue
}

/// A key result or metric with its scores.
public struct ScoredReport: Sendable, Encodable, JSONWritable, Hashable {
    /// Tag, such as `MICROSERVICES`.
    public var name: String
    /// Description text.
    public var text: String?
    /// Starting point, if given.
    public var baseline: ReportValue
    /// Target value.
    public var target: ReportValue
    /// `linear`, `>=` or `<=`.
    public var targetForm: String
    /// Latest measurement.
    public var current: ReportValue
    /// Weight in its objective's score.
    public var weight: ReportValue
    /// Unclamped progress, or nil when unscored.
    public var progress: Double?
    /// Score 0…1, or nil when unscored.
    public var score: Double?
    /// `red`, `yellow`, `green`, or nil.
    public var status: String?
    /// Whether the target is met.
    public var met: Bool?
    /// Other declared properties.
    public var properties: [ReportProperty]
    /// P(score ≥ 0.7) (P(score = 1) when committed); nil unless the model is uncertain.
    public var chance: Double? = nil
    /// True when its score could not be computed because of an error (its own or of a
    /// value it reads): reports show it as an error, not as unscored. JSON has the
    /// diagnostics instead.
    public var failed = false
    /// Pacing against its period and check-ins (SPEC §15); nil when it has neither.
    public var tracking: TrackingReport? = nil

    /// Encodes what its JSON writer writes (one source of truth for both).
    public func encode(to encoder: Encoder) throws { try encodeWritten(to: encoder) }

    func write(_ w: inout JSONWriter) {
        w.beginObject()
        w.key("name"); w.string(name)
        w.key("text"); if let t = text { w.string(t) } else { w.null() }
        w.key("baseline"); baseline.write(&w)
        w.key("target"); target.write(&w)
        w.key("target_form"); w.string(targetForm)
        w.key("current"); current.write(&w)
        w.key("weight"); weight.write(&w)
        w.key("progress"); if let p = progress { w.double(p) } else { w.null() }
        w.key("score"); if let s = score { w.double(s) } else { w.null() }
        w.key("status"); if let s = status { w.string(s) } else { w.null() }
        w.key("met"); if let m = met { w.bool(m) } else { w.null() }
        if let ch = chance { w.key("chance"); w.double(ch) }
        if let t = tracking { t.write(&w) }
        for p in properties { w.key(p.name); p.value.write(&w) }
        w.endObject()
    }
}

/// One check-in in a report.
public struct CheckinReport: Sendable, Encodable, JSONWritable, Hashable {
    /// `YYYY-MM-DD`.
    public var date: String
    /// The value it records (none when it only sets a confidence).
    public var value: ReportValue
    /// Confidence 0…1, if given.
    public var confidence: Double?
    /// Its note, if any.
    public var note: String?
    /// Whether it is after `today` (recorded, but not yet known as of the report's date).
    public var future: Bool

    /// Encodes what its JSON writer writes (one source of truth for both).
    public func encode(to encoder: Encoder) throws { try encodeWritten(to: encoder) }

    func write(_ w: inout JSONWriter) {
        w.beginObject()
        w.key("date"); w.string(date)
        w.key("value"); value.write(&w)
        w.key("confidence"); if let c = confidence { w.double(c) } else { w.null() }
        w.key("note"); if let n = note { w.string(n) } else { w.null() }
        w.key("future"); w.bool(future)
        w.endObject()
    }
}

/// A KR's or metric's tracking (SPEC §15); the JSON keys are the member names.
public struct TrackingReport: Sendable, Encodable, JSONWritable, Hashable {
    /// Its period (`YYYY-MM-DD`), if any.
    public var start: String?
    public var end: String?
    /// Fraction of the period passed, 0…1.
    public var elapsed: Double?
    /// Where it should be by now.
    public var expected: ReportValue
    /// progress / elapsed (≥ 1: on track).
    public var pace: Double?
    /// The value forecast at the end date.
    public var forecast: ReportValue
    /// The score the forecast would get.
    public var forecastScore: Double?
    /// Latest confidence, if any.
    public var confidence: Double?
    /// `on track`, `needs attention`, `at risk`, or nil.
    public var health: String?
    /// Every check-in, in date order.
    public var history: [CheckinReport]

    /// Encodes its members as one object (in reports they join the KR's object).
    public func encode(to encoder: Encoder) throws {
        var w = JSONWriter()
        w.beginObject(); write(&w); w.endObject()
        try JSONValue.parse(w.output).encode(to: encoder)
    }

    /// Writes its members into the enclosing object.
    func write(_ w: inout JSONWriter) {
        func opt(_ d: Double?) { if let d { w.double(d) } else { w.null() } }
        func optString(_ s: String?) { if let s { w.string(s) } else { w.null() } }
        w.key("start"); optString(start)
        w.key("end"); optString(end)
        w.key("elapsed"); opt(elapsed)
        w.key("expected"); expected.write(&w)
        w.key("pace"); opt(pace)
        w.key("forecast"); forecast.write(&w)
        w.key("forecast_score"); opt(forecastScore)
        w.key("confidence"); opt(confidence)
        w.key("health"); optString(health)
        w.key("history"); w.beginArray()
        for h in history { h.write(&w) }
        w.endArray()
    }
}

/// An objective with its key results.
public struct ObjectiveReport: Sendable, Encodable, JSONWritable, Hashable {
    /// Tag, such as `MODERNIZE_PLATFORM`.
    public var name: String
    /// Description text.
    public var text: String?
    /// Weight in the plan score.
    public var weight: ReportValue
    /// Whether it is a committed OKR.
    public var committed: Bool
    /// Weighted mean of its KR scores, or nil.
    public var score: Double?
    /// `red`, `yellow`, `green`, or nil.
    public var status: String?
    /// Paths of the priorities it supports.
    public var supports: [String]
    /// Paths of the weaknesses and threats it addresses.
    public var addresses: [String]
    /// Its key results.
    public var krs: [ScoredReport]
    /// P(score ≥ 0.7) (P(score = 1) when committed); nil unless the model is uncertain.
    public var chance: Double? = nil
    /// True when its score failed with an error (see ``ScoredReport/failed``).
    public var failed = false
    /// Weighted mean of its KRs' forecast scores and its health (SPEC §15); nil when untracked.
    public var forecastScore: Double? = nil
    public var health: String? = nil

    /// Encodes what its JSON writer writes (one source of truth for both).
    public func encode(to encoder: Encoder) throws { try encodeWritten(to: encoder) }

    func write(_ w: inout JSONWriter) {
        w.beginObject()
        w.key("name"); w.string(name)
        w.key("text"); if let t = text { w.string(t) } else { w.null() }
        w.key("weight"); weight.write(&w)
        w.key("committed"); w.bool(committed)
        w.key("score"); if let s = score { w.double(s) } else { w.null() }
        w.key("status"); if let s = status { w.string(s) } else { w.null() }
        if let ch = chance { w.key("chance"); w.double(ch) }
        if let h = health {
            w.key("forecast_score"); if let f = forecastScore { w.double(f) } else { w.null() }
            w.key("health"); w.string(h)
        }
        w.key("supports"); w.beginArray(); for s in supports { w.string(s) }; w.endArray()
        w.key("addresses"); w.beginArray(); for s in addresses { w.string(s) }; w.endArray()
        w.key("krs"); w.beginArray(); for k in krs { k.write(&w) }; w.endArray()
        w.endObject()
    }
}

/// An item of a SWOT or retro.
public struct ItemReport: Sendable, Encodable, JSONWritable, Hashable {
    /// `strength`, …, `priority`; `went_well`, `not_well`, `learning`, `action`.
    public var category: String
    /// Tag.
    public var name: String
    /// Description text.
    public var text: String?
    /// Its properties (weight, rating, exposure, owner, …).
    public var properties: [ReportProperty]

    /// Encodes what its JSON writer writes (one source of truth for both).
    public func encode(to encoder: Encoder) throws { try encodeWritten(to: encoder) }

    func write(_ w: inout JSONWriter) {
        w.beginObject()
        w.key("category"); w.string(category)
        w.key("name"); w.string(name)
        w.key("text"); if let t = text { w.string(t) } else { w.null() }
        for p in properties { w.key(p.name); p.value.write(&w) }
        w.endObject()
    }
}

/// A SWOT with its IFE/EFE matrices.
public struct SwotReport: Sendable, Encodable, JSONWritable, Hashable {
    /// Tag.
    public var name: String
    /// Title.
    public var text: String?
    /// Items in declaration order by category.
    public var items: [ItemReport]
    /// Internal factor evaluation score, or nil.
    public var ife: Double?
    /// External factor evaluation score, or nil.
    public var efe: Double?
    /// Internal–External matrix cell `I`…`IX`, or nil.
    public var ieCell: String?
    /// Strategic posture, or nil.
    public var posture: String?

    /// Encodes what its JSON writer writes (one source of truth for both).
    public func encode(to encoder: Encoder) throws { try encodeWritten(to: encoder) }

    func write(_ w: inout JSONWriter) {
        w.beginObject()
        w.key("name"); w.string(name)
        w.key("text"); if let t = text { w.string(t) } else { w.null() }
        w.key("items"); w.beginArray(); for i in items { i.write(&w) }; w.endArray()
        w.key("ife"); if let x = ife { w.double(x) } else { w.null() }
        w.key("efe"); if let x = efe { w.double(x) } else { w.null() }
        w.key("ie_cell"); if let x = ieCell { w.string(x) } else { w.null() }
        w.key("posture"); if let x = posture { w.string(x) } else { w.null() }
        w.endObject()
    }
}

/// A retrospective.
public struct RetroReport: Sendable, Encodable, JSONWritable, Hashable {
    /// Tag.
    public var name: String
    /// Title.
    public var text: String?
    /// Items by category.
    public var items: [ItemReport]

    /// Encodes what its JSON writer writes (one source of truth for both).
    public func encode(to encoder: Encoder) throws { try encodeWritten(to: encoder) }

    func write(_ w: inout JSONWriter) {
        w.beginObject()
        w.key("name"); w.string(name)
        w.key("text"); if let t = text { w.string(t) } else { w.null() }
        w.key("items"); w.beginArray(); for i in items { i.write(&w) }; w.endArray()
        w.endObject()
    }
}

/// A projection's series.
public struct ProjectionReport: Sendable, Encodable, JSONWritable, Hashable {
    /// Name.
    public var name: String
    /// Number of periods N (the series has N + 1 values).
    public var periods: Int
    /// Period unit: `days`, `weeks`, `months`, `quarters` or `years`.
    public var period: String
    /// Unit symbol of the values.
    public var unit: String
    /// Values in base units, t = 0…N.
    public var series: [Double]
    /// The last value.
    public var final: ReportValue
    /// For an uncertain projection: the 5th, 50th and 95th percentiles of every period.
    public var bands: (p5: [Double], p50: [Double], p95: [Double])? = nil

    public static func == (a: ProjectionReport, b: ProjectionReport) -> Bool {
        a.name == b.name && a.periods == b.periods && a.period == b.period && a.unit == b.unit && a.series == b.series
            && a.final == b.final && a.bands?.p5 == b.bands?.p5 && a.bands?.p50 == b.bands?.p50 && a.bands?.p95 == b.bands?.p95
    }

    public func hash(into h: inout Hasher) { h.combine(name); h.combine(series) }

    /// Encodes what its JSON writer writes (one source of truth for both).
    public func encode(to encoder: Encoder) throws { try encodeWritten(to: encoder) }
    /// `projection` or `series`.
    public var kind: String = "projection"
    /// With `from DATE`: the first day of each period (`2026-07-01`), and its label
    /// (`2026-Q3`, `2026-07`, `2026-W27`, `2026`, or the day); empty otherwise.
    public var dates: [String] = []
    public var labels: [String] = []

    func write(_ w: inout JSONWriter) {
        w.beginObject()
        w.key("name"); w.string(name)
        w.key("kind"); w.string(kind)
        w.key("periods"); w.int(periods)
        w.key("period"); w.string(period)
        w.key("unit"); w.string(unit)
        w.key("series"); w.beginArray(); for d in series { w.double(d) }; w.endArray()
        w.key("final"); final.write(&w)
        if let b = bands {
            w.key("percentiles"); w.beginObject()
            for (k, xs) in [("5", b.p5), ("50", b.p50), ("95", b.p95)] {
                w.key(k); w.beginArray(); for d in xs { w.double(d) }; w.endArray()
            }
            w.endObject()
        }
        if !dates.isEmpty {
            w.key("dates"); w.beginArray(); for d in dates { w.string(d) }; w.endArray()
            w.key("labels"); w.beginArray(); for l in labels { w.string(l) }; w.endArray()
        }
        w.endObject()
    }
}

/// The plan's roll-up.
public struct PlanReport: Sendable, Encodable, JSONWritable, Hashable {
    /// Weighted mean of the objectives' scores, or nil.
    public var score: Double?
    /// `red`, `yellow`, `green`, or nil.
    public var status: String?
    /// P(score ≥ 0.7); nil unless the model is uncertain.
    public var chance: Double? = nil
    /// True when the plan score failed with an error (see ``ScoredReport/failed``).
    public var failed = false
    /// Priorities no objective or KR supports.
    public var unsupportedPriorities: [String]
    /// Weaknesses and threats nothing addresses.
    public var unaddressed: [String]
    /// Weighted mean of the objectives' forecast scores and the plan's health (SPEC §15).
    public var forecastScore: Double? = nil
    public var health: String? = nil
    /// Retro actions due before today and not done (paths); nil when the model does not track.
    public var overdue: [String]? = nil

    /// Encodes what its JSON writer writes (one source of truth for both).
    public func encode(to encoder: Encoder) throws { try encodeWritten(to: encoder) }

    func write(_ w: inout JSONWriter) {
        w.beginObject()
        w.key("score"); if let s = score { w.double(s) } else { w.null() }
        w.key("status"); if let s = status { w.string(s) } else { w.null() }
        if let ch = chance { w.key("chance"); w.double(ch) }
        w.key("unsupported_priorities"); w.beginArray(); for s in unsupportedPriorities { w.string(s) }; w.endArray()
        w.key("unaddressed"); w.beginArray(); for s in unaddressed { w.string(s) }; w.endArray()
        if let o = overdue {
            w.key("forecast_score"); if let f = forecastScore { w.double(f) } else { w.null() }
            w.key("health"); if let h = health { w.string(h) } else { w.null() }
            w.key("overdue"); w.beginArray(); for s in o { w.string(s) }; w.endArray()
        }
        w.endObject()
    }
}

/// One assertion's outcome.
public struct AssertionReport: Sendable, Encodable, JSONWritable, Hashable {
    /// Source text of the condition.
    public var expression: String
    /// Message, if given.
    public var message: String?
    /// Whether it held.
    public var passed: Bool
    /// 1-based line.
    public var line: Int

    /// Encodes what its JSON writer writes (one source of truth for both).
    public func encode(to encoder: Encoder) throws { try encodeWritten(to: encoder) }

    func write(_ w: inout JSONWriter) {
        w.beginObject()
        w.key("expression"); w.string(expression)
        w.key("message"); if let m = message { w.string(m) } else { w.null() }
        w.key("passed"); w.bool(passed)
        w.key("line"); w.int(line)
        w.endObject()
    }
}

/// Everything `strat run` shows, as data: the same shape as `run --format json`.
public struct Report: Sendable, Encodable, JSONWritable {
    /// Scenario name (`baseline` when none).
    public var scenario: String
    /// Sample count and seed, when the model is uncertain (every report states them).
    public var simulation: Simulation? = nil
    /// `org`, if declared.
    public var org: String?
    /// `mission`, if declared.
    public var mission: String?
    /// `vision`, if declared.
    public var vision: String?
    /// `values`.
    public var values: [String]
    /// Plan roll-up.
    public var plan: PlanReport
    /// Top-level lets in declaration order (empty when the report was built without them:
    /// the CLI builds them for its JSON output only).
    public var variables: [ReportProperty]
    /// Objectives.
    public var objectives: [ObjectiveReport]
    /// Metrics.
    public var metrics: [ScoredReport]
    /// SWOTs.
    public var swots: [SwotReport]
    /// Projections.
    public var projections: [ProjectionReport]
    /// Retrospectives.
    public var retros: [RetroReport]
    /// Output of `print`.
    public var prints: [String]
    /// Outcomes of `assert`.
    public var assertions: [AssertionReport]
    /// Runtime errors and warnings found while producing the report.
    public var diagnostics: [Diagnostic]
    /// The `--set` overrides the report was evaluated under, in the order given, on top
    /// of `scenario`: without them a report of `bear, cac = $10K` would read as `bear`.
    public var overrides: [ReportOverride] = []
    /// The evaluation date (`today`), when the model reads it.
    public var asOf: String? = nil

    /// Encodes what its JSON writer writes (one source of truth for both).
    public func encode(to encoder: Encoder) throws { try encodeWritten(to: encoder) }

    /// The report as JSON (the `run --format json` output), keys in a stable order.
    public func json(pretty: Bool = true) -> String {
        var w = JSONWriter()
        w.pretty = pretty
        write(&w)
        return w.output
    }

    func write(_ w: inout JSONWriter) {
        w.beginObject()
        w.key("scenario"); w.string(scenario)
        w.key("overrides"); w.beginArray()
        for o in overrides { o.write(&w) }
        w.endArray()
        if let s = simulation {
            w.key("simulation"); w.beginObject()
            w.key("samples"); w.int(s.samples)
            w.key("seed"); w.int(Int(truncatingIfNeeded: s.seed))
            w.endObject()
        }
        if let d = asOf { w.key("as_of"); w.string(d) }
        w.key("org"); if let s = org { w.string(s) } else { w.null() }
        w.key("mission"); if let s = mission { w.string(s) } else { w.null() }
        w.key("vision"); if let s = vision { w.string(s) } else { w.null() }
        w.key("values"); w.beginArray(); for s in values { w.string(s) }; w.endArray()
        w.key("plan"); plan.write(&w)
        w.key("variables"); w.beginObject(); for p in variables { w.key(p.name); p.value.write(&w) }; w.endObject()
        w.key("objectives"); w.beginArray(); for o in objectives { o.write(&w) }; w.endArray()
        w.key("metrics"); w.beginArray(); for m in metrics { m.write(&w) }; w.endArray()
        w.key("swots"); w.beginArray(); for s in swots { s.write(&w) }; w.endArray()
        w.key("projections"); w.beginArray(); for p in projections { p.write(&w) }; w.endArray()
        w.key("retros"); w.beginArray(); for r in retros { r.write(&w) }; w.endArray()
        w.key("prints"); w.beginArray(); for p in prints { w.string(p) }; w.endArray()
        w.key("assertions"); w.beginArray(); for a in assertions { a.write(&w) }; w.endArray()
        w.endObject()
    }
}

struct DynamicKey: CodingKey {
    var stringValue: String
    var intValue: Int? { nil }
    init(_ s: String) { stringValue = s }
    init?(stringValue: String) { self.stringValue = stringValue }
    init?(intValue: Int) { nil }
}

extension Diagnostic: JSONWritable {
    /// Encodes the JSON-lines shape of SPEC §9 (what ``jsonLine`` writes).
    public func encode(to encoder: Encoder) throws { try encodeWritten(to: encoder) }
}

// MARK: - Building

extension Engine {
    func buildReport(scenario: String, diagnostics: [Diagnostic], includeVariables: Bool = true) -> Report {
        let (model, ev) = state
        let interner = model.interner
        func value(_ c: Int32?) -> Value {
            guard let c else { return .none }
            return ev.state[Int(c)] == .ok ? ev.values[Int(c)] : .none
        }
        func member(_ o: Int32, _ n: String) -> Value { value(model.member(o, n)) }
        /// The member's cell failed (an error, its own or of a value it reads).
        func failed(_ o: Int32, _ n: String) -> Bool {
            guard let c = model.member(o, n) else { return false }
            return ev.state[Int(c)] == .failed
        }
        func double(_ v: Value) -> Double? { v.doubleValue }
        func string(_ v: Value) -> String? { v.stringValue }
        func paths(_ v: Value) -> [String] {
            switch v {
            case .ref(let r): return [r.path]
            case .list(let l): return l.flatMap { paths($0) }
            default: return []
            }
        }
        func objectList(_ o: Int32, _ n: String) -> [Int32] {
            if case .objects(let l)? = model.objects[Int(o)].members[model.id(n)] { return l }
            return []
        }
        let fixed: Set<String> = ["baseline", "target", "current", "weight", "score", "progress", "status", "met", "text", "title",
                                  "supports", "addresses", "chance", "start", "end", "elapsed", "expected", "pace", "forecast",
                                  "forecast_score", "confidence", "health"]
        func extras(_ o: Int32, skip: Set<String>) -> [ReportProperty] {
            model.objects[Int(o)].order.compactMap { id in
                let n = interner[id]
                if skip.contains(n) { return nil }
                guard case .cell(let c)? = model.objects[Int(o)].members[id] else { return nil }
                let v = value(c)
                if case .none = v, !model.objects[Int(o)].declared.contains(id) { return nil }
                return ReportProperty(name: n, value: ReportValue(v))
            }
        }
        func scored(_ o: Int32) -> ScoredReport {
            let obj = model.objects[Int(o)]
            let form: String
            switch obj.targetForm {
            case .linear: form = "linear"
            case .atLeast: form = ">="
            case .atMost: form = "<="
            }
            return ScoredReport(name: interner[obj.name], text: obj.title, baseline: ReportValue(member(o, "baseline")),
                                target: ReportValue(member(o, "target")), targetForm: form,
                                current: ReportValue(member(o, "current")), weight: ReportValue(member(o, "weight")),
                                progress: double(member(o, "progress")), score: double(member(o, "score")),
                                status: string(member(o, "status")), met: member(o, "met").boolValue,
                                properties: extras(o, skip: fixed), failed: failed(o, "score"), tracking: trackingReport(o))
        }
        func trackingReport(_ o: Int32) -> TrackingReport? {
            let history = objectList(o, "history")
            let start = member(o, "start").dateValue, end = member(o, "end").dateValue
            if history.isEmpty && (start == nil || end == nil) {
                // Declared dates that are not a period stay ordinary properties.
                return nil
            }
            return TrackingReport(start: start?.description, end: end?.description, elapsed: double(member(o, "elapsed")),
                                  expected: ReportValue(member(o, "expected")), pace: double(member(o, "pace")),
                                  forecast: ReportValue(member(o, "forecast")), forecastScore: double(member(o, "forecast_score")),
                                  confidence: double(member(o, "confidence")), health: string(member(o, "health")),
                                  history: history.map { h in
                                      let d = member(h, "date").dateValue
                                      return CheckinReport(date: d?.description ?? "", value: ReportValue(member(h, "value")),
                                                           confidence: double(member(h, "confidence")), note: string(member(h, "note")),
                                                           future: d.map { model.asOf < $0 } ?? false)
                                  })
        }
        func items(_ o: Int32, _ cats: [ItemCategory]) -> [ItemReport] {
            cats.flatMap { cat in
                objectList(o, cat.listName).map { i in
                    let obj = model.objects[Int(i)]
                    return ItemReport(category: cat.keyword, name: interner[obj.name], text: obj.title,
                                      properties: extras(i, skip: ["text", "title"]))
                }
            }
        }
        let lists = model.builtinLists
        let objectives = (lists["objectives"] ?? []).map { o -> ObjectiveReport in
            let obj = model.objects[Int(o)]
            var r = ObjectiveReport(name: interner[obj.name], text: obj.title, weight: ReportValue(member(o, "weight")),
                                   committed: member(o, "committed").boolValue ?? false,
                                   score: double(member(o, "score")), status: string(member(o, "status")),
                                   supports: paths(member(o, "supports")), addresses: paths(member(o, "addresses")),
                                   krs: objectList(o, "krs").map(scored), failed: failed(o, "score"))
            r.forecastScore = double(member(o, "forecast_score"))
            r.health = string(member(o, "health"))
            return r
        }
        let swots = (lists["swots"] ?? []).map { s -> SwotReport in
            let obj = model.objects[Int(s)]
            return SwotReport(name: interner[obj.name], text: obj.title,
                              items: items(s, [.strength, .weakness, .opportunity, .threat, .priority]),
                              ife: double(member(s, "ife")), efe: double(member(s, "efe")),
                              ieCell: string(member(s, "ie_cell")), posture: string(member(s, "posture")))
        }
        let retros = (lists["retros"] ?? []).map { r -> RetroReport in
            let obj = model.objects[Int(r)]
            return RetroReport(name: interner[obj.name], text: obj.title, items: items(r, [.wentWell, .notWell, .learning, .action]))
        }
        let projections = model.projections.indices.map { p -> ProjectionReport in
            let pr = model.projections[p]
            let stored = ev.seriesStored[p]
            let series = stored ? ev.projSeries[p] : []
            let u = ev.projUnits[p]
            let computed = ev.state[Int(pr.group)] == .ok && !ev.projSeries[p].isEmpty
            // Unstored series: the period count is the (validated) count cell's value.
            let count = ev.values[Int(pr.count)].doubleValue.flatMap { Int(exactly: $0) } ?? 0
            let periods = stored ? max(0, series.count - 1) : (computed ? count : 0)
            var r = ProjectionReport(name: interner[model.objects[Int(pr.object)].name], periods: periods,
                                     period: pr.period.rawValue, unit: u.symbol, series: series,
                                     final: ReportValue(computed ? .number(ev.projLast[p], u) : .none))
            r.kind = pr.isSeries ? "series" : "projection"
            if computed, pr.anchor >= 0, let a = ev.values[Int(pr.anchor)].dateValue {
                for t in 0...periods {
                    guard let d = a.periodStart(t, pr.period) else { break }
                    r.dates.append(d.description)
                    r.labels.append(d.label(pr.period))
                }
            }
            return r
        }
        // Values written out can be far larger than the model (a chain of lists each one
        // longer, a big string shared by many names): past `maxOutputBytes` the remaining
        // values are left out (none) with one error at the first one left out.
        var diagnostics = diagnostics
        var budget = configuration.limits.maxOutputBytes - printed.reduce(0) { $0 + $1.utf8.count }
        // Which files are the standard library's, once per file rather than a string
        // comparison per let (a large model has a let per line).
        let stdlibFiles = model.program.files.map { $0.path.hasPrefix("<stdlib>") }
        let variables = !includeVariables ? [] : model.lets.filter {
            // A cell without a file (`Span.none`) is not the standard library's.
            let f = Int(model.cells[Int($0)].span.file)
            return !(f >= 0 && f < stdlibFiles.count && stdlibFiles[f])
        }
            .map { c -> ReportProperty in
                var v = value(c)
                if budget >= 0 {
                    budget -= v.approximateBytes(limit: max(0, budget))
                    if budget < 0 {
                        diagnostics.append(DiagnosticSink.make(.error, .runtime,
                            "report values larger than \(formatCount(configuration.limits.maxOutputBytes)) bytes; '\(interner[model.cells[Int(c)].name])' and the values after it are left out",
                            at: model.cells[Int(c)].span, hint: "the output limit can be raised by the embedder", files: model.program.files))
                    }
                }
                if budget < 0 { v = .none }
                return ReportProperty(name: interner[model.cells[Int(c)].name], value: ReportValue(v))
            }
        let info = model.info
        var valuesList: [String] = []
        if info.values >= 0, case .list(let l) = value(info.values) { valuesList = l.map { $0.stringValue ?? $0.description } }
        let planScore = member(model.plan, "score")
        var report = Report(scenario: scenario,
                      org: info.org >= 0 ? string(value(info.org)) : nil,
                      mission: info.mission >= 0 ? string(value(info.mission)) : nil,
                      vision: info.vision >= 0 ? string(value(info.vision)) : nil,
                      values: valuesList,
                      plan: PlanReport(score: double(planScore), status: string(member(model.plan, "status")),
                                       failed: failed(model.plan, "score"),
                                       unsupportedPriorities: paths(member(model.plan, "unsupported_priorities")),
                                       unaddressed: paths(member(model.plan, "unaddressed"))),
                      variables: variables, objectives: objectives,
                      metrics: (lists["metrics"] ?? []).map(scored), swots: swots, projections: projections,
                      retros: retros, prints: printed,
                      assertions: assertions.map { AssertionReport(expression: $0.expression, message: $0.message, passed: $0.passed, line: $0.line) },
                      diagnostics: diagnostics)
        if model.readsToday && (objectives.contains { $0.krs.contains { $0.tracking != nil } } || !paths(member(model.plan, "overdue")).isEmpty
            || report.metrics.contains { $0.tracking != nil }) {
            report.plan.forecastScore = double(member(model.plan, "forecast_score"))
            report.plan.health = string(member(model.plan, "health"))
            report.plan.overdue = paths(member(model.plan, "overdue"))
        }
        if ev.mc.used { addUncertainty(&report) }
        if model.readsToday { report.asOf = model.asOf.description }
        return report
    }
}
