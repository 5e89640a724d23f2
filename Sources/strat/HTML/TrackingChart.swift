import StratKit

// The tracking chart of one KR or metric (SPEC §15, §17): its period on the x axis, its
// values on the y axis in display units; the planned line from the baseline to the
// target (thin, dashed), the actuals known on the report's date (solid, a dot per
// check-in), the forecast from the last actual to the end date (dashed), and today's
// expected value (the expected-pace marker) on a vertical "today" line. Geometry the
// browser tests check is in `data-*` attributes.

/// One tracked KR's chart, or nil when it has no period to draw.
func trackingChart(path: String, _ k: ScoredReport, _ t: TrackingReport, asOf: String?) -> String? {
    guard let s = t.start.flatMap(CalendarDate.init), let e = t.end.flatMap(CalendarDate.init), s < e else { return nil }
    let unit = k.target.value.unit ?? k.current.value.unit ?? .plain
    let start = Double(s.days), span = Double(e.days - s.days)
    let known = t.history.filter { !$0.future }.compactMap { h -> (Double, Double, String)? in
        guard let d = CalendarDate(h.date), let v = h.value.value.doubleValue else { return nil }
        return (Double(d.days) - start, v, h.date)
    }
    let baseline = k.baseline.value.doubleValue ?? (k.targetForm == "linear" ? 0 : nil)
    let target = k.target.value.doubleValue
    let forecast = t.forecast.value.doubleValue
    var values = known.map(\.1)
    for v in [baseline, target, forecast, t.expected.value.doubleValue] { if let v, v.isFinite { values.append(v) } }
    guard !values.isEmpty else { return nil }
    let ticks = niceTicks(values.min()!, values.max()!)
    let lo = ticks.first ?? 0, hi = ticks.last ?? 1
    let W = 480.0, H = 220.0, left = 62.0, right = 24.0, top = 20.0, bottom = 40.0
    let pw = W - left - right, ph = H - top - bottom
    func x(_ day: Double) -> Double { left + min(1, max(0, day / span)) * pw }
    func y(_ v: Double) -> Double {
        guard v.isFinite, hi > lo else { return top + ph }
        return top + ph - (min(hi, max(lo, v)) - lo) / (hi - lo) * ph
    }
    var title = "\(path): \(k.current.value.description) of \(k.target.value.description)"
    if let h = t.health { title += ", \(h)" }
    var svg = SVG(width: W, height: H, title: title, cssClass: "tracking")
    svg.data = [("data-path", path), ("data-elapsed", t.elapsed.map { svgNum($0 * 1000) } ?? ""),
                ("data-health", t.health ?? "")]
    svg.rect(left, top, pw, ph, cls: "plot", extra: [("data-days", svgNum(span))])
    for v in ticks {
        svg.line(left, y(v), left + pw, y(v), cls: "grid")
        svg.text(left - 6, y(v) + 4, compact(v, unit, digits: 3), cls: "tick", anchor: .end)
    }
    svg.text(left, top + ph + 17, s.description, cls: "tick", anchor: .start)
    svg.text(left + pw, top + ph + 17, e.description, cls: "tick", anchor: .end)
    if let b = baseline, let tg = target, k.targetForm == "linear" {
        svg.polyline([(x(0), y(b)), (x(span), y(tg))], cls: "planned", tooltip: "planned: \(compact(b, unit)) → \(compact(tg, unit))")
    } else if let tg = target {
        svg.line(left, y(tg), left + pw, y(tg), cls: "planned", extra: [("data-threshold", k.targetForm)])
    }
    var actual: [(Double, Double)] = []
    if let b = k.baseline.value.doubleValue { actual.append((x(0), y(b))) }
    actual += known.map { (x($0.0), y($0.1)) }
    if !actual.isEmpty {
        svg.polyline(actual, cls: "series actual c0", tooltip: "actuals", extra: [("data-count", "\(actual.count)")])
    }
    for (day, v, date) in known {
        svg.circle(x(day), y(v), 3, cls: "dot c0", tooltip: "\(date): \(compact(v, unit))",
                   extra: [("data-date", date), ("data-day", svgNum(day))])
    }
    if let f = forecast, f.isFinite, let last = actual.last {
        svg.polyline([last, (x(span), y(f))], cls: "series forecast dashed c1", tooltip: "forecast: \(compact(f, unit)) at \(e)",
                     extra: [("data-value", svgNum(f))])
        svg.text(W - 4, max(12, y(f) - 8), compact(f, unit), cls: "end-label", anchor: .end)
    }
    if let el = t.elapsed, let today = asOf {
        let tx = left + min(1, max(0, el)) * pw
        svg.line(tx, top, tx, top + ph, cls: "today", extra: [("data-date", today)])
        svg.text(min(tx, left + pw - 2), top - 6, "today \(today)", cls: "tick", anchor: tx > left + pw - 60 ? .end : .middle)
        if let ex = t.expected.value.doubleValue, ex.isFinite {
            svg.circle(tx, y(ex), 4, cls: "expected-marker", tooltip: "expected by now: \(compact(ex, unit))",
                       extra: [("data-value", svgNum(ex))])
        }
    }
    return svg.render()
}

/// The Tracking section: the plan's health, then a chart and a fact line per tracked KR.
func trackingHTMLSection(_ r: Report) -> String? {
    let items = trackedItems(r)
    guard !items.isEmpty || !(r.plan.overdue ?? []).isEmpty else { return nil }
    var h = ""
    if let health = r.plan.health {
        h += "<p class=\"meta\">plan health <b>\(htmlEscape(health))</b>"
            + (r.plan.forecastScore.map { " · forecast score <b>\(fmt2($0))</b>" } ?? "")
            + (r.asOf.map { " · as of <b>\(htmlEscape($0))</b>" } ?? "") + "</p>"
    }
    h += "<div class=\"chart-grid\">"
    for (path, k, t) in items {
        guard let chart = trackingChart(path: path, k, t, asOf: r.asOf) else { continue }
        let facts = trackingFacts(k, t).joined(separator: " · ")
        let trend = confidenceTrend(t)
        h += "<figure class=\"fig tracking\" data-path=\"\(htmlEscape(path))\"><figcaption><b><code>\(htmlEscape(path))</code></b> "
            + "<span class=\"badge health\">\(htmlEscape(t.health ?? "untracked"))</span> <span class=\"muted\">\(htmlEscape(facts))"
            + (trend.isEmpty ? "" : " · confidence \(htmlEscape(trend))") + "</span></figcaption>\(chart)</figure>"
    }
    h += "</div>"
    if let o = r.plan.overdue, !o.isEmpty {
        h += "<p class=\"meta\">overdue actions " + o.map { "<code>\(htmlEscape($0))</code>" }.joined(separator: ", ") + "</p>"
    }
    return h
}
