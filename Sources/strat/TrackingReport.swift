#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import StratKit

/// The tracking view of a report (SPEC §15): per tracked KR or metric, the progress bar
/// with the expected-pace marker (`│`), pace, forecast, health, a sparkline of its
/// check-ins and its confidence trend; then the plan's health and overdue actions.

/// Tracked KRs and metrics with their paths, in report order.
func trackedItems(_ r: Report) -> [(path: String, kr: ScoredReport, tracking: TrackingReport)] {
    var out: [(String, ScoredReport, TrackingReport)] = []
    for o in r.objectives { for k in o.krs { if let t = k.tracking { out.append(("\(o.name).\(k.name)", k, t)) } } }
    for m in r.metrics { if let t = m.tracking { out.append((m.name, m, t)) } }
    return out
}

/// A progress bar with a marker where the KR is expected to be by now (a threshold's
/// bar is full or empty; its marker sits at the end).
func paceBar(progress: Double?, elapsed: Double?, width: Int = 10) -> String {
    var cells = Array(bar(progress ?? 0, width: width))
    if let e = elapsed, e.isFinite {
        let at = min(width - 1, max(0, Int((min(1, max(0, e)) * Double(width)).rounded()) - 1))
        cells[at] = "│"
    }
    return String(cells)
}

/// Check-in values known as of the report's date, for the sparkline.
func knownValues(_ t: TrackingReport) -> [Double] {
    t.history.filter { !$0.future }.compactMap { $0.value.value.doubleValue }
}

/// The confidence trend: the known check-ins' confidences, oldest first.
func confidenceTrend(_ t: TrackingReport) -> String {
    let cs = t.history.filter { !$0.future }.compactMap(\.confidence)
    return cs.map { fmt2($0) }.joined(separator: "→")
}

/// A tracking value to 4 significant digits in its display unit (`49.73`, `6.007wk`,
/// `$2.5M`): a forecast is no more precise. The digits are rounded as displayed, since
/// base units (seconds for `wk`) would round at the wrong place.
func shortValue(_ v: ReportValue) -> String {
    guard case .number(let x, _) = v.value, x.isFinite else { return v.value.isNone ? "—" : v.value.description }
    let text = v.value.description
    let chars = Array(text)
    var i = 0
    var prefix = ""
    while i < chars.count, chars[i] == "-" || chars[i] == "$" { prefix.append(chars[i]); i += 1 }
    var j = i
    while j < chars.count, chars[j].isNumber || chars[j] == "." { j += 1 }
    guard j > i, let d = Double(String(chars[i..<j])), d != 0 else { return text }
    let mag = Int(floor(log10(d)))
    let f = pow(10, Double(3 - mag))
    guard f.isFinite, f > 0 else { return text }
    let r = (d * f).rounded() / f
    return prefix + Value.number(r, .plain).description + String(chars[j...])
}

func trackingFacts(_ k: ScoredReport, _ t: TrackingReport) -> [String] {
    var f: [String] = []
    f.append("\(k.current.value.description) of \(k.target.value.description)")
    if !t.expected.value.isNone, k.targetForm == "linear" { f.append("expected \(shortValue(t.expected))") }
    if let p = t.pace { f.append("pace \(fmt2(p))") }
    if !t.forecast.value.isNone {
        f.append("forecast \(shortValue(t.forecast))" + (t.forecastScore.map { " (\(fmt2($0)))" } ?? ""))
    }
    return f
}

func trackingTextSection(_ r: Report, _ st: Style) -> [String]? {
    let items = trackedItems(r)
    guard !items.isEmpty || !(r.plan.overdue ?? []).isEmpty else { return nil }
    var head = st.bold("Tracking") + (r.asOf.map { "  as of \($0)" } ?? "")
    if let h = r.plan.health {
        head += "   plan " + healthStyled(h, st) + (r.plan.forecastScore.map { " (forecast \(fmt2($0)))" } ?? "")
    }
    var lines = [head]
    let objectives = r.objectives.filter { $0.health != nil }
    if !objectives.isEmpty {
        lines.append("  " + objectives.map { o in
            o.name + " " + healthStyled(o.health!, st) + (o.forecastScore.map { " (\(fmt2($0)))" } ?? "")
        }.joined(separator: " · "))
    }
    var rows: [[Cell]] = []
    for (path, k, t) in items {
        let barText = paceBar(progress: k.progress, elapsed: t.elapsed)
        let spark = sparkline(knownValues(t))
        var tail = trackingFacts(k, t).joined(separator: " · ")
        let trend = confidenceTrend(t)
        if !trend.isEmpty { tail += " · confidence \(trend)" }
        rows.append([Cell(path), Cell(barText, st.status(barText, k.status)), Cell(t.health ?? "—", t.health.map { healthStyled($0, st) } ?? "—"),
                     Cell(spark, st.cyan(spark)), Cell(tail)])
    }
    lines += renderTable(rows, align: [.left, .left, .left, .left, .left], indent: "  ")
    if let o = r.plan.overdue, !o.isEmpty { lines.append("  " + st.red("overdue") + " " + o.joined(separator: ", ")) }
    return lines
}

func healthStyled(_ h: String, _ st: Style) -> String {
    switch h {
    case "on track": return st.green(h)
    case "needs attention": return st.yellow(h)
    case "at risk": return st.red(h)
    default: return h
    }
}

func trackingMarkdownBlocks(_ r: Report) -> [[String]] {
    let items = trackedItems(r)
    guard !items.isEmpty || !(r.plan.overdue ?? []).isEmpty else { return [] }
    var blocks: [[String]] = [["## Tracking" + (r.asOf.map { " (as of \($0))" } ?? "")]]
    if let h = r.plan.health {
        blocks.append(["Plan health: **\(h)**" + (r.plan.forecastScore.map { " (forecast score \(fmt2($0)))" } ?? "")])
    }
    let objectives = r.objectives.filter { $0.health != nil }
    if !objectives.isEmpty {
        blocks.append(["Objectives: " + objectives.map { o in
            mdCode(o.name) + " **\(o.health!)**" + (o.forecastScore.map { " (\(fmt2($0)))" } ?? "")
        }.joined(separator: " · ")])
    }
    if !items.isEmpty {
        blocks.append(mdTable(["Key result", "Progress", "Expected", "Pace", "Forecast", "Health", "Check-ins", "Confidence"], items.map { (path, k, t) in
            [mdCode(path), "`\(paceBar(progress: k.progress, elapsed: t.elapsed))` \(mdText(k.current.value.description))",
             k.targetForm == "linear" ? mdText(shortValue(t.expected)) : mdText(k.targetForm + " " + k.target.value.description),
             t.pace.map(fmt2) ?? "—",
             t.forecast.value.isNone ? "—" : mdText(shortValue(t.forecast)) + (t.forecastScore.map { " (\(fmt2($0)))" } ?? ""),
             t.health ?? "—", sparkline(knownValues(t)), confidenceTrend(t)]
        }, right: [3]))
    }
    if let o = r.plan.overdue, !o.isEmpty {
        blocks.append(["**Overdue actions:** " + o.map(mdCode).joined(separator: ", ")])
    }
    return blocks
}
