import StratKit

/// Renders a report for a terminal: aligned columns, progress bars and sparklines;
/// status colours only when `color` is set. Sections with nothing in them are left out.
/// `note` names the scenario and overrides the report was evaluated under.
func renderTextReport(_ r: Report, color: Bool = false, note: String? = nil) -> String {
    var sections: [[String]] = []
    let st = Style(color: color)

    // Heading: org, mission, vision, values, scenario.
    var head: [String] = []
    if let org = r.org { head.append(st.bold(org)) }
    var facts: [[Cell]] = []
    if let m = r.mission { facts.append([Cell("Mission", st.bold("Mission")), Cell(m)]) }
    if let v = r.vision { facts.append([Cell("Vision", st.bold("Vision")), Cell(v)]) }
    if !r.values.isEmpty { facts.append([Cell("Values", st.bold("Values")), Cell(r.values.joined(separator: " · "))]) }
    if let n = note { facts.append([Cell("Scenario", st.bold("Scenario")), Cell(n)]) }
    if let s = r.simulation { facts.append([Cell("Simulation", st.bold("Simulation")), Cell(simulationNote(s))]) }
    if let d = r.asOf { facts.append([Cell("As of", st.bold("As of")), Cell(d)]) }
    head += renderTable(facts, align: [.left, .left], indent: "")
    if !head.isEmpty { sections.append(head) }

    // SWOTs.
    for s in r.swots {
        var lines = [st.bold("SWOT \(s.name)" + (s.text.map { " — \($0)" } ?? ""))]
        let cols = propertyColumns(s.items)
        var rows: [[Cell]] = []
        var headingRows: [Int] = []
        for (cat, items) in grouped(s.items, swotOrder) {
            headingRows.append(rows.count)
            var h = [Cell(categoryTitle(cat), st.bold(categoryTitle(cat)))]
            if headingRows.count == 1 { h += cols.map { Cell($0, st.dim($0)) } }
            rows.append(h)
            for i in items {
                rows.append([Cell("  " + i.name)] + cols.map { Cell(property(i, $0) ?? "") } + [Cell(i.text ?? "")])
            }
        }
        lines += renderTable(rows, align: [.left] + cols.map { _ in .right } + [.left], indent: "  ")
        var m: [String] = []
        if let x = s.ife { m.append("IFE \(st.bold(fmt2(x)))") }
        if let x = s.efe { m.append("EFE \(st.bold(fmt2(x)))") }
        if let c = s.ieCell { m.append("IE cell \(st.bold(c))") }
        if let p = s.posture { m.append(st.cyan(p)) }
        if !m.isEmpty { lines.append("  " + m.joined(separator: "   ")) }
        sections.append(lines)
    }

    // Objectives and their key results.
    if !r.objectives.isEmpty {
        var lines = [st.bold("Objectives")]
        for (n, o) in r.objectives.enumerated() {
            if n > 0 { lines.append("") }
            var title = "  " + st.bold(o.name)
            if let t = o.text { title += " — " + t }
            lines.append(title)
            var facts: [String] = []
            if let s = o.score {
                facts.append(st.status(bar(s), o.status) + " " + fmt2(s) + "  " + st.status(o.status ?? "", o.status))
            } else {
                facts.append(o.failed ? st.red("error") : st.dim("not scored"))
            }
            if case .number(let w, _) = o.weight.value, w != 1 { facts.append("weight " + reportCell(o.weight.value)) }
            if o.committed { facts.append("committed") }
            if let c = o.chance { facts.append("chance " + percentText(c)) }
            lines.append("    " + facts.joined(separator: "   "))
            if !o.krs.isEmpty {
                lines += scoredTable(o.krs, header: "key result", st: st, indent: "    ")
            }
            if !o.supports.isEmpty { lines.append("    " + st.dim("supports  ") + o.supports.joined(separator: ", ")) }
            if !o.addresses.isEmpty { lines.append("    " + st.dim("addresses ") + o.addresses.joined(separator: ", ")) }
        }
        sections.append(lines)
    }

    // Plan score.
    if r.plan.score == nil && r.plan.failed {
        sections.append([st.bold("Plan score") + "  " + st.red("error")])
    }
    if let s = r.plan.score {
        sections.append([st.bold("Plan score") + "  " + st.status(bar(s), r.plan.status) + " " + fmt2(s) + "  "
            + st.status(r.plan.status ?? "", r.plan.status) + (r.plan.chance.map { "   chance " + percentText($0) } ?? "")])
    }

    // Metrics.
    if !r.metrics.isEmpty {
        sections.append([st.bold("Metrics")] + scoredTable(r.metrics, header: "metric", st: st, indent: "  "))
    }

    // Tracking (SPEC §15): pace, forecast and health per tracked KR.
    if let t = trackingTextSection(r, st) { sections.append(t) }

    // Projections: a summary line each, then a (sampled) table per period grid.
    if !r.projections.isEmpty {
        var lines = [st.bold("Projections")]
        var rows: [[Cell]] = []
        for p in r.projections {
            let u = unitOf(p)
            let first = p.series.first.map { reportNumber($0, u) } ?? "—"
            let last = p.series.last.map { reportNumber($0, u) } ?? "—"
            let spark = sparkline(p.series)
            rows.append([Cell(p.name), Cell(first), Cell("→"), Cell(last),
                         Cell("over \(p.periods) \(p.periods == 1 ? singular(p.period) : p.period)" + (p.labels.first.map { " from \($0)" } ?? "")),
                         Cell(spark, st.cyan(spark))])
        }
        lines += renderTable(rows, align: [.left, .right, .left, .right, .left, .left], indent: "  ")
        for g in projectionGroups(r.projections) {
            let count = g.map(\.series.count).max() ?? 0
            let idx = sampleRows(count: count)
            // An uncertain projection shows its mean and its p5 / p50 / p95 bands.
            var heads = [Cell(singular(g[0].period), st.dim(singular(g[0].period)))]
            for p in g {
                heads.append(Cell(p.name, st.dim(p.name)))
                if p.bands != nil { heads += ["p5", "p50", "p95"].map { Cell($0, st.dim($0)) } }
            }
            var t: [[Cell]] = [heads]
            for i in idx {
                var row = [Cell(periodLabel(g, i))]
                for p in g {
                    row.append(Cell(i < p.series.count ? reportNumber(p.series[i], unitOf(p)) : ""))
                    if let b = p.bands {
                        for xs in [b.p5, b.p50, b.p95] { row.append(Cell(i < xs.count ? reportNumber(xs[i], unitOf(p)) : "")) }
                    }
                }
                t.append(row)
            }
            lines.append("")
            lines += renderTable(t, align: [.right] + Array(repeating: .right, count: heads.count - 1), indent: "  ")
            if idx.count < count { lines.append("  " + st.dim("(\(idx.count) of \(count) rows; `strat run --format json` has the whole series)")) }
        }
        sections.append(lines)
    }

    // Alignment gaps.
    if !r.plan.unsupportedPriorities.isEmpty || !r.plan.unaddressed.isEmpty {
        let texts = itemTexts(r)
        var lines = [st.bold("Alignment gaps")]
        let gaps = r.plan.unsupportedPriorities + r.plan.unaddressed
        // One table for both lists, so that their columns line up.
        let rendered = renderTable(gaps.map { [Cell($0, st.yellow($0)), Cell(texts[$0] ?? "")] },
                                   align: [.left, .left], indent: "    ")
        let n = r.plan.unsupportedPriorities.count
        if n > 0 {
            lines.append("  Priorities no objective supports")
            lines += rendered[0..<n]
        }
        if n < gaps.count {
            lines.append("  Weaknesses and threats nothing addresses")
            lines += rendered[n...]
        }
        sections.append(lines)
    }

    // Retrospectives.
    for rt in r.retros where !rt.items.isEmpty {
        var lines = [st.bold("Retro \(rt.name)" + (rt.text.map { " — \($0)" } ?? ""))]
        var rows: [[Cell]] = []
        for (cat, items) in grouped(rt.items, retroOrder) {
            rows.append([Cell(categoryTitle(cat), st.bold(categoryTitle(cat)))])
            for i in items {
                let props = i.properties.compactMap { p -> String? in
                    if case .none = p.value.value { return nil }
                    return "\(p.name): \(reportCell(p.value.value))"
                }.joined(separator: " · ")
                var text = i.text ?? ""
                if !props.isEmpty { text += (text.isEmpty ? "" : "  ") + "(\(props))" }
                rows.append([Cell("  " + i.name), Cell(text)])
            }
        }
        lines += renderTable(rows, align: [.left, .left], indent: "  ")
        sections.append(lines)
    }

    // Asserts.
    if !r.assertions.isEmpty {
        var rows: [[Cell]] = []
        for a in r.assertions {
            let mark = a.passed ? Cell("✓", st.green("✓")) : Cell("✗", st.red("✗"))
            var detail = a.message ?? ""
            if !a.passed { detail += (detail.isEmpty ? "" : "  ") + "(line \(a.line))" }
            rows.append([mark, Cell(a.expression), Cell(detail, a.passed ? detail : st.red(detail))])
        }
        sections.append([st.bold("Asserts")] + renderTable(rows, align: [.left, .left, .left], indent: "  "))
    }

    return sections.map { $0.joined(separator: "\n") + "\n" }.joined(separator: "\n")
}

/// Rows of key results or metrics: baseline → current → target, bar, score, status, text.
func scoredTable(_ ks: [ScoredReport], header: String, st: Style, indent: String) -> [String] {
    var rows: [[Cell]] = [[Cell(header, st.dim(header)), Cell("baseline", st.dim("baseline")), .empty,
                           Cell("current", st.dim("current")), .empty, Cell("target", st.dim("target")),
                           Cell("score", st.dim("score")), .empty, Cell("status", st.dim("status"))]]
    let chances = ks.contains { $0.chance != nil }
    if chances { rows[0].append(Cell("chance", st.dim("chance"))) }
    for k in ks {
        let hasBaseline: Bool
        if case .none = k.baseline.value { hasBaseline = false } else { hasBaseline = true }
        let score: Cell
        if let s = k.score {
            let b = bar(s)
            score = Cell(b + " " + fmt2(s), st.status(b, k.status) + " " + fmt2(s))
        } else {
            score = Cell("—")
        }
        let status = scoreStatus(k)
        var row = [Cell(k.name), Cell(hasBaseline ? show(k.baseline) : ""), Cell(hasBaseline ? "→" : ""),
                   Cell(show(k.current)), Cell("→"), Cell(showTarget(k)), score,
                   .empty, Cell(status, k.failed && k.score == nil ? st.red(status) : st.status(status, k.status))]
        if chances { row.append(Cell(k.chance.map(percentText) ?? "")) }
        rows.append(row + [Cell(k.text ?? "")])
    }
    return renderTable(rows, align: [.left, .right, .left, .right, .left, .right, .left, .left, .left] + (chances ? [.right] : []) + [.left], indent: indent)
}

/// `10,000 samples · seed 1`: every report of an uncertain model states N and the seed.
func simulationNote(_ s: Simulation) -> String {
    "\(groupedCount(s.samples)) samples · seed \(s.seed)"
}

/// A probability as a whole percent, or with one decimal near the ends (`0.4%`, `99.6%`).
func percentText(_ p: Double) -> String {
    let x = p * 100
    if x > 0 && x < 1 || x > 99 && x < 100 { return NumberFormat_oneDecimal(x) + "%" }
    return String(Int(x.rounded())) + "%"
}

private func NumberFormat_oneDecimal(_ x: Double) -> String {
    let r = (x * 10).rounded() / 10
    return r == r.rounded() ? String(Int(r)) : String(r)
}

/// 10000 → `10,000`.
func groupedCount(_ n: Int) -> String {
    var s = String(n)
    var i = s.count - 3
    while i > 0 { s.insert(",", at: s.index(s.startIndex, offsetBy: i)); i -= 3 }
    return s
}
