import StratKit

// `strat run --format html`: the whole text report plus charts, as one self-contained
// HTML5 document (inline CSS and SVG, no script, nothing fetched). Sections appear in the
// text report's order after a summary; empty sections are left out.

/// Scenario reports for the comparison section: names in column order and their reports.
struct ScenarioSet {
    var names: [String]
    var reports: [Report]
}

private func esc(_ s: String) -> String { htmlEscape(s) }

/// Renders a report as an HTML document. `note` names the scenario and overrides;
/// `scenarios` (baseline and every declared scenario) feeds the comparison section.
func renderHTMLReport(_ r: Report, note: String? = nil, scenarios: ScenarioSet? = nil, sensitivity: SensitivityResult? = nil,
                      diagnostics: [Diagnostic] = []) -> String {
    var body: [String] = []
    var nav: [(String, String)] = []
    func section(_ id: String, _ title: String, _ html: String) {
        nav.append((id, title))
        body.append("<section id=\"\(id)\" class=\"section\"><h2>\(esc(title))</h2>\n\(html)</section>")
    }
    let title = r.org ?? "Strategy report"

    // Header.
    var head = "<header class=\"top\"><h1>\(esc(title))</h1>"
    var facts = ""
    if let m = r.mission { facts += "<dt>Mission</dt><dd>\(esc(m))</dd>" }
    if let v = r.vision { facts += "<dt>Vision</dt><dd>\(esc(v))</dd>" }
    if !r.values.isEmpty { facts += "<dt>Values</dt><dd>\(r.values.map { "<span class=\"chip\">\(esc($0))</span>" }.joined(separator: " "))</dd>" }
    if let d = r.asOf { facts += "<dt>As of</dt><dd>\(esc(d))</dd>" }
    if let n = note { facts += "<dt>Scenario</dt><dd>\(esc(n))</dd>" }
    if !facts.isEmpty { head += "<dl class=\"facts\">\(facts)</dl>" }
    head += "</header>"

    body.append(summary(r, diagnostics: diagnostics))

    if !r.prints.isEmpty {
        section("output", "Output", "<pre class=\"prints\">\(esc(r.prints.joined(separator: "\n")))</pre>")
    }

    for (k, s) in r.swots.enumerated() {
        var h = ""
        if let t = s.text { h += "<p class=\"sub\">\(esc(t))</p>" }
        h += "<div class=\"swot-grid\"><figure class=\"fig swot-fig\">\(swotQuadrants(s))<figcaption>Bars: item weight · r: rating (hover for the description)</figcaption></figure>"
        if let ie = ieMatrix(s) {
            h += "<figure class=\"fig ie-fig\">\(ie)<figcaption>IFE <b>\(s.ife.map(fmt2) ?? "—")</b> · EFE <b>\(s.efe.map(fmt2) ?? "—")</b> · cell <b>\(esc(s.ieCell ?? "—"))</b>"
                + (s.posture.map { " · <b>\(esc($0))</b>" } ?? "") + "</figcaption></figure>"
        }
        h += "</div>"
        h += swotTable(s)
        section("swot-\(k)", "SWOT: \(s.name)", h)
    }

    if !r.objectives.isEmpty {
        var h = ""
        for o in r.objectives {
            h += "<article class=\"objective\"><h3><code>\(esc(o.name))</code>" + (o.text.map { " <span class=\"sub\">\(esc($0))</span>" } ?? "") + "</h3>"
            var meta = [o.score.map { "score <b>\(fmt2($0))</b> " + statusBadge(o.status) } ?? "<span class=\"muted\">not scored</span>"]
            if case .number(let w, _) = o.weight.value, w != 1 { meta.append("weight \(esc(o.weight.value.description))") }
            if o.committed { meta.append("committed") }
            if let c = o.chance { meta.append("chance <b>\(percentText(c))</b>") }
            if let health = o.health { meta.append("health <b>\(esc(health))</b>" + (o.forecastScore.map { " (forecast \(fmt2($0)))" } ?? "")) }
            h += "<p class=\"meta\">\(meta.joined(separator: " · "))</p>"
            if !o.krs.isEmpty {
                h += "<figure class=\"fig\">" + scoreBars(o.krs.map(scoreBar), title: "Key results of \(o.name)") + "</figure>"
                h += scoredTable(o.krs, header: "Key result")
                h += histograms(o.krs)
            }
            if !o.supports.isEmpty { h += "<p class=\"meta\">supports " + o.supports.map { "<code>\(esc($0))</code>" }.joined(separator: ", ") + "</p>" }
            if !o.addresses.isEmpty { h += "<p class=\"meta\">addresses " + o.addresses.map { "<code>\(esc($0))</code>" }.joined(separator: ", ") + "</p>" }
            h += "</article>"
        }
        section("objectives", "Objectives", h)
    }

    if !r.metrics.isEmpty {
        let h = "<figure class=\"fig\">" + scoreBars(r.metrics.map(scoreBar), title: "Metric scores") + "</figure>"
            + scoredTable(r.metrics, header: "Metric") + histograms(r.metrics)
        section("metrics", "Metrics", h)
    }

    if let h = trackingHTMLSection(r) { section("tracking", "Tracking", h) }

    let drawn = r.projections.filter { !$0.series.isEmpty }
    if !drawn.isEmpty {
        var h = "<div class=\"chart-grid\">"
        for p in drawn {
            let u = unitOf(p)
            let labels = p.labels.count == p.series.count ? p.labels : p.series.indices.map { "\($0)" }
            let xTitle = p.labels.isEmpty ? singular(p.period).capitalizedFirst : "\(singular(p.period).capitalizedFirst) starting"
            // An uncertain projection: its mean, the p5–p95 band and the p50 line.
            var line = ChartSeries(name: p.name, values: p.series)
            if let b = p.bands, b.p5.count == p.series.count {
                line.band = (b.p5, b.p95)
                line.median = b.p50
            }
            let chart = lineChart([line], unit: u, xLabels: labels, xTitle: xTitle,
                                  title: "\(p.name): \(p.periods) \(p.period), \(compact(p.series.first ?? 0, u)) → \(compact(p.series.last ?? 0, u))")
            h += "<figure class=\"fig projection\" data-name=\"\(esc(p.name))\" data-periods=\"\(p.periods)\"><figcaption><b>\(esc(p.name))</b> "
                + "<span class=\"muted\">\(esc(p.kind)) · \(p.periods) \(esc(p.period)) · \(esc(compact(p.series.first ?? 0, u))) → \(esc(compact(p.series.last ?? 0, u)))</span></figcaption>\(chart)</figure>"
        }
        h += "</div>"
        section("projections", "Projections", h)
    }

    if let sc = scenarios, sc.names.count > 1 {
        section("scenarios", "Scenarios", scenarioSection(sc))
    }

    if let sens = sensitivity {
        let chart = tornado(sens).map { "<figure class=\"fig\">\($0)<figcaption>Inputs by how far they move <code>\(esc(sens.target))</code> when each is lowered and raised by \(esc(compact(sens.by * 100, .plain, digits: 3)))% on its own; largest first</figcaption></figure>" }
            ?? "<p class=\"muted\">no inputs: <code>\(esc(sens.target))</code> reads no value that could be varied</p>"
        section("sensitivity", "Sensitivity", chart)
    }

    if let m = alignmentMatrix(r) { section("alignment", "Alignment", m) }

    let retros = r.retros.filter { !$0.items.isEmpty }
    if !retros.isEmpty {
        var h = ""
        for rt in retros {
            h += "<h3><code>\(esc(rt.name))</code>" + (rt.text.map { " <span class=\"sub\">\(esc($0))</span>" } ?? "") + "</h3><div class=\"board\">"
            for (cat, items) in grouped(rt.items, retroOrder) {
                h += "<div class=\"column col-\(cat)\"><h4>\(esc(categoryTitle(cat))) <span class=\"muted\">\(items.count)</span></h4>"
                for i in items {
                    let props = i.properties.compactMap { p -> String? in
                        if case .none = p.value.value { return nil }
                        return "<span class=\"chip\">\(esc(p.name)): \(esc(p.value.value.description))</span>"
                    }.joined(separator: " ")
                    h += "<div class=\"card\"><code>\(esc(i.name))</code>" + (i.text.map { "<p>\(esc($0))</p>" } ?? "") + props + "</div>"
                }
                h += "</div>"
            }
            h += "</div>"
        }
        section("retros", "Retros", h)
    }

    if !r.assertions.isEmpty {
        let items = r.assertions.map { a in
            "<li class=\"\(a.passed ? "pass" : "fail")\"><span class=\"mark\">\(a.passed ? "✓ passed" : "✗ failed")</span> <code>\(esc(a.expression))</code>"
                + (a.message.map { " — \(esc($0))" } ?? "") + (a.passed ? "" : " <span class=\"muted\">line \(a.line)</span>") + "</li>"
        }
        section("asserts", "Asserts", "<ul class=\"asserts\">\(items.joined())</ul>")
    }

    let toc = nav.isEmpty ? "" : "<nav class=\"toc\">" + nav.map { "<a href=\"#\($0.0)\">\(esc($0.1))</a>" }.joined() + "</nav>"
    return """
    <!DOCTYPE html>
    <html lang="en">
    <head>
    <meta charset="utf-8">
    <meta name="viewport" content="width=device-width, initial-scale=1">
    <meta name="generator" content="strat \(StratKit.version)">
    <meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">
    <title>\(esc(title)) — strategy report</title>
    <style>\(reportCSS)</style>
    </head>
    <body>
    <main>
    \(head)
    \(toc)
    \(body.joined(separator: "\n"))
    <footer class="muted">Generated by strat \(StratKit.version)\(note.map { " · scenario \(esc($0))" } ?? "")</footer>
    </main>
    </body>
    </html>

    """
}

/// The summary card: plan score and status, the weakest key results, alignment gaps,
/// failed asserts and errors.
private func summary(_ r: Report, diagnostics: [Diagnostic]) -> String {
    var h = "<section id=\"summary\" class=\"summary\">"
    if let s = r.plan.score {
        h += "<div class=\"score-card \(statusClass(r.plan.status))\"><div class=\"big\">\(fmt2(s))</div><div>plan score</div>\(statusBadge(r.plan.status))"
            + (r.plan.chance.map { "<div class=\"chance\">chance \(percentText($0))</div>" } ?? "")
            + scoreGauge(s, status: r.plan.status) + "</div>"
    }
    var cells: [String] = []
    // Every report of an uncertain model states N and the seed (SPEC §13).
    if let sim = r.simulation {
        cells.append("<div class=\"stat simulation\"><h3>Simulation</h3><p>\(esc(simulationNote(sim)))</p>"
            + "<p class=\"muted\">uncertain values show their mean and p5 … p95</p></div>")
    }
    let krs = r.objectives.flatMap { o in o.krs.map { (o.name, $0) } }.filter { $0.1.score != nil }
    if !krs.isEmpty {
        let weakest = krs.sorted { ($0.1.score ?? 0) < ($1.1.score ?? 0) }.prefix(3)
        let counts = ["red", "yellow", "green"].map { st in (st, krs.filter { $0.1.status == st }.count) }
        cells.append("<div class=\"stat\"><h3>Key results</h3><p>" + counts.map { "\(statusBadge($0.0)) \($0.1)" }.joined(separator: " ")
            + "</p><h4>Biggest gaps</h4><ol>" + weakest.map { o, k in
                "<li><code>\(esc(o)).\(esc(k.name))</code> <b>\(fmt2(k.score ?? 0))</b> <span class=\"muted\">\(esc(show(k.current))) of \(esc(showTarget(k)))</span></li>"
            }.joined() + "</ol></div>")
    }
    let gaps = r.plan.unsupportedPriorities.count + r.plan.unaddressed.count
    if !r.objectives.isEmpty || gaps > 0 {
        cells.append("<div class=\"stat\"><h3>Alignment</h3><p><b>\(gaps)</b> gap\(gaps == 1 ? "" : "s")</p>"
            + (gaps == 0 ? "<p class=\"muted\">every priority is supported; every weakness and threat is addressed</p>" :
               "<ul>" + (r.plan.unsupportedPriorities.map { "<li>unsupported <code>\(esc($0))</code></li>" }
                         + r.plan.unaddressed.map { "<li>unaddressed <code>\(esc($0))</code></li>" }).prefix(5).joined() + "</ul>")
            + "</div>")
    }
    if !r.assertions.isEmpty {
        let failed = r.assertions.filter { !$0.passed }
        cells.append("<div class=\"stat\"><h3>Asserts</h3><p><b>\(r.assertions.count - failed.count)</b> of \(r.assertions.count) passed</p>"
            + (failed.isEmpty ? "" : "<ul class=\"asserts\">" + failed.map { "<li class=\"fail\"><span class=\"mark\">✗ failed</span> <code>\(esc($0.expression))</code>"
                + ($0.message.map { " — \(esc($0))" } ?? "") + "</li>" }.joined() + "</ul>") + "</div>")
    }
    let problems = diagnostics.filter { $0.kind != .assertion }
    if !problems.isEmpty {
        cells.append("<div class=\"stat diag\"><h3>Diagnostics</h3><ul>" + problems.map { d in
            "<li><b>\(esc(d.severity.rawValue))</b> \(esc(d.path)):\(d.line):\(d.column) \(esc(d.message))</li>"
        }.joined() + "</ul></div>")
    }
    h += "<div class=\"stats\">\(cells.joined())</div></section>"
    return h
}

/// A status as a badge: its word and a shape, coloured.
func statusBadge(_ status: String?) -> String {
    guard let s = status else { return "<span class=\"badge s-none\">unscored</span>" }
    let shape = s == "green" ? "●" : s == "yellow" ? "▲" : s == "red" ? "■" : "○"
    return "<span class=\"badge \(statusClass(s))\">\(shape) \(htmlEscape(s))</span>"
}

private func scoreBar(_ k: ScoredReport) -> ScoreBar {
    // The expected-pace marker: where the score should be by now (SPEC §15, §17).
    ScoreBar(label: k.name, detail: k.text ?? "", score: k.score, status: k.status,
             pace: k.tracking.flatMap { $0.history.isEmpty && $0.elapsed == nil ? nil : $0.elapsed })
}

private func scoredTable(_ ks: [ScoredReport], header: String) -> String {
    // A Chance column (P(score ≥ 0.7), SPEC §13) when any score is uncertain.
    let chances = ks.contains { $0.chance != nil }
    var h = "<div class=\"table-wrap\"><table><thead><tr><th>\(esc(header))</th><th class=\"num\">Baseline</th><th class=\"num\">Current</th><th class=\"num\">Target</th><th class=\"num\">Score</th>"
        + (chances ? "<th class=\"num\">Chance</th>" : "") + "<th>Status</th><th>Description</th></tr></thead><tbody>"
    for k in ks {
        h += "<tr><td><code>\(esc(k.name))</code></td><td class=\"num\">\(esc(show(k.baseline)))</td><td class=\"num\">\(esc(show(k.current)))</td>"
            + "<td class=\"num\">\(esc(showTarget(k)))</td><td class=\"num\">\(k.score.map(fmt2) ?? "—")</td>"
            + (chances ? "<td class=\"num\">\(k.chance.map(percentText) ?? "")</td>" : "")
            + "<td>\(statusBadge(k.status))</td><td>\(esc(k.text ?? ""))</td></tr>"
    }
    return h + "</tbody></table></div>"
}

/// Histograms of the uncertain current values among key results or metrics.
private func histograms(_ ks: [ScoredReport]) -> String {
    var figs: [String] = []
    for k in ks {
        guard case .dist(let s, let u) = k.current.value, !s.isBool else { continue }
        figs.append("<figure class=\"fig hist\" data-name=\"\(esc(k.name))\"><figcaption><code>\(esc(k.name))</code> "
            + "<span class=\"muted\">current: \(esc(k.current.value.description))</span></figcaption>"
            + histogramChart(k.name, s, unit: u) + "</figure>")
    }
    return figs.isEmpty ? "" : "<div class=\"hist-grid\">" + figs.joined() + "</div>"
}

private func swotTable(_ s: SwotReport) -> String {
    let cols = propertyColumns(s.items)
    var h = "<details class=\"items\" open><summary>All items</summary><div class=\"table-wrap\"><table><thead><tr><th>Category</th><th>Item</th>"
        + cols.map { "<th class=\"num\">\(esc($0))</th>" }.joined() + "<th>Description</th></tr></thead><tbody>"
    for (cat, items) in grouped(s.items, swotOrder) {
        for i in items {
            h += "<tr><td>\(esc(categoryTitle(cat)))</td><td><code>\(esc(i.name))</code></td>"
                + cols.map { "<td class=\"num\">\(esc(property(i, $0) ?? ""))</td>" }.joined() + "<td>\(esc(i.text ?? ""))</td></tr>"
        }
    }
    return h + "</tbody></table></div></details>"
}

private func scenarioSection(_ sc: ScenarioSet) -> String {
    let rows = Compare.compareRows(sc.reports)
    let objectiveKeys = Set((sc.reports.first?.objectives ?? []).map { "\($0.name).score" })
    let charted = rows.filter { $0.key == "plan.score" || objectiveKeys.contains($0.key) }
    var h = "<figure class=\"fig\">" + scenarioBars(sc.names, charted.map { r in (r.key, r.values.map { $0.doubleValue }) })
        + "<figcaption>Plan and objective scores per scenario</figcaption></figure>"
    h += "<div class=\"table-wrap\"><table class=\"compare\"><thead><tr><th></th>" + sc.names.map { "<th class=\"num\">\(esc($0))</th>" }.joined() + "</tr></thead><tbody>"
    for r in rows {
        h += "<tr><td><code>\(esc(r.key))</code></td>"
        for (i, v) in r.values.enumerated() {
            let m = i == 0 ? "" : Compare.mark(v, r.values[0])
            let cls = m == "▲" ? " up" : m == "▼" ? " down" : ""
            h += "<td class=\"num\(cls)\">\(esc(Compare.cellText(v, score: r.isScore)))\(m.isEmpty ? "" : " <span class=\"mark\">\(m)</span>")</td>"
        }
        h += "</tr>"
    }
    return h + "</tbody></table></div><p class=\"muted\">▲ higher · ▼ lower than the first column · * changed</p>"
}

/// Priorities, weaknesses and threats (rows) against objectives (columns): ✓ where an
/// objective supports a priority, ● where it addresses a weakness or threat; rows with
/// neither are gaps.
private func alignmentMatrix(_ r: Report) -> String? {
    guard !r.objectives.isEmpty else { return nil }
    var rows: [(path: String, kind: String, text: String?)] = []
    for s in r.swots {
        for cat in ["priority", "weakness", "threat"] {
            for i in s.items where i.category == cat {
                rows.append(("\(s.name).\(categoryListName(cat)).\(i.name)", cat, i.text))
            }
        }
    }
    guard !rows.isEmpty else { return nil }
    let gaps = Set(r.plan.unsupportedPriorities + r.plan.unaddressed)
    var h = "<div class=\"table-wrap\"><table class=\"matrix\"><thead><tr><th>Item</th>"
        + r.objectives.map { "<th class=\"obj\" title=\"\(esc($0.text ?? $0.name))\"><code>\(esc($0.name))</code></th>" }.joined() + "<th>Coverage</th></tr></thead><tbody>"
    for row in rows {
        let isGap = gaps.contains(row.path)
        h += "<tr class=\"\(isGap ? "gap" : "")\" data-path=\"\(esc(row.path))\"><td><code>\(esc(row.path))</code>" + (row.text.map { "<br><span class=\"muted\">\(esc($0))</span>" } ?? "") + "</td>"
        for o in r.objectives {
            let sup = o.supports.contains(row.path), add = o.addresses.contains(row.path)
            let mark = sup ? "<span class=\"mark\" title=\"supports\">✓</span>" : add ? "<span class=\"mark\" title=\"addresses\">●</span>" : ""
            h += "<td class=\"cell\(sup || add ? " hit" : "")\">\(mark)</td>"
        }
        h += "<td>\(isGap ? "<span class=\"badge s-red\">■ gap</span>" : "covered")</td></tr>"
    }
    return h + "</tbody></table></div><p class=\"muted\">✓ the objective supports the priority · ● the objective addresses the weakness or threat · ■ gap: nothing does</p>"
}

/// Reports of the baseline and every declared scenario (with the same overrides), for
/// the comparison section; nil when the model declares no scenarios or one fails.
func scenarioSet(_ engine: Engine, overrides: [(path: String, expr: String)]) -> ScenarioSet? {
    let names = ["baseline"] + engine.scenarioNames
    guard names.count > 1 else { return nil }
    var reports: [Report] = []
    for n in names {
        guard let r = try? engine.report(scenario: n, overrides: overrides, includeSeries: false) else { return nil }
        reports.append(r)
    }
    return ScenarioSet(names: names, reports: reports)
}
