import StratKit

/// Text from the model as inline Markdown: one line (every line break, `\r\n` included,
/// becomes a space), the punctuation that opens emphasis, code, links, headings, tables
/// and strike-through backslash-escaped and HTML's `<`, `>`, `&` as
/// entities, so a title cannot open a heading, a table, a link or raw HTML. Safe in a
/// table cell (`|` is escaped too).
func mdText(_ s: String) -> String {
    var out = ""
    // Scalars, not Characters: Swift treats "\r\n" as one Character.
    for u in s.unicodeScalars {
        switch u {
        case "\n", "\r", "\u{0B}", "\u{0C}", "\u{85}", "\u{2028}", "\u{2029}": out += " "
        case "<": out += "&lt;"
        case ">": out += "&gt;"
        case "&": out += "&amp;"
        case "\\", "`", "*", "_", "[", "]", "#", "|", "~":
            out += "\\"
            out.unicodeScalars.append(u)
        default: out.unicodeScalars.append(u)
        }
    }
    return out
}

/// A table cell from Markdown the report built (code spans, emphasis): kept, only `|`
/// and line breaks (CRLF too) are made safe. Model text goes through ``mdText`` first.
func mdCell(_ s: String) -> String {
    var out = ""
    for u in s.unicodeScalars {
        switch u {
        case "|": out += "\\|"
        case "\n", "\r", "\u{0B}", "\u{0C}", "\u{85}", "\u{2028}", "\u{2029}": out += " "
        default: out.unicodeScalars.append(u)
        }
    }
    return out
}

/// Text as an inline code span: the backtick fence is longer than any run inside, and
/// line breaks become spaces.
func mdCode(_ s: String) -> String {
    let flat = String(String.UnicodeScalarView(s.unicodeScalars.map { $0 == "\n" || $0 == "\r" ? " " : $0 }))
    let fence = String(repeating: "`", count: longestRun(of: "`", in: flat) + 1)
    let pad = flat.hasPrefix("`") || flat.hasSuffix("`") ? " " : ""
    return fence + pad + flat + pad + fence
}

/// The longest run of `c` in `s`.
func longestRun(of c: Unicode.Scalar, in s: String) -> Int {
    var best = 0, run = 0
    for u in s.unicodeScalars {
        if u == c { run += 1; best = max(best, run) } else { run = 0 }
    }
    return best
}

/// A GitHub table.
func mdTable(_ header: [String], _ rows: [[String]], right: Set<Int> = []) -> [String] {
    var lines = ["| " + header.map(mdCell).joined(separator: " | ") + " |"]
    lines.append("|" + header.indices.map { right.contains($0) ? " ---: |" : " --- |" }.joined())
    for r in rows {
        let cells = header.indices.map { $0 < r.count ? mdCell(r[$0]) : "" }
        lines.append("| " + cells.joined(separator: " | ") + " |")
    }
    return lines
}

/// Renders a report as Markdown: headings and GitHub tables, the same sections as the
/// text report.
func renderMarkdownReport(_ r: Report, note: String? = nil) -> String {
    var blocks: [[String]] = []
    blocks.append(["# " + (r.org.map(mdText) ?? "Strategy report")])
    var facts: [String] = []
    if let m = r.mission { facts.append("**Mission:** \(mdText(m))") }
    if let v = r.vision { facts.append("**Vision:** \(mdText(v))") }
    if !r.values.isEmpty { facts.append("**Values:** \(r.values.map(mdText).joined(separator: " · "))") }
    if let n = note { facts.append("**Scenario:** \(mdText(n))") }
    if let d = r.asOf { facts.append("**As of:** \(mdText(d))") }
    if let sim = r.simulation { facts.append("**Simulation:** \(mdText(simulationNote(sim)))") }
    if !facts.isEmpty { blocks.append(facts.enumerated().map { $0.offset < facts.count - 1 ? $0.element + "  " : $0.element }) }

    if !r.prints.isEmpty {
        blocks.append(["## Output"])
        // A fence longer than any backtick run printed, so the output cannot close it;
        // every line break (CR included) ends a line.
        let lines = r.prints.flatMap { $0.unicodeScalars.split(omittingEmptySubsequences: false, whereSeparator: { $0 == "\n" || $0 == "\r" }).map { String($0) } }
        let fence = String(repeating: "`", count: max(3, lines.map { longestRun(of: "`", in: $0) }.max() ?? 0) + 1)
        blocks.append([fence] + lines + [fence])
    }

    for s in r.swots {
        blocks.append(["## SWOT: \(s.name)" + (s.text.map { " — \(mdText($0))" } ?? "")])
        let cols = propertyColumns(s.items)
        var rows: [[String]] = []
        for (cat, items) in grouped(s.items, swotOrder) {
            for i in items {
                rows.append([categoryTitle(cat), "`\(i.name)`", mdText(i.text ?? "")] + cols.map { mdText(property(i, $0) ?? "") })
            }
        }
        if !rows.isEmpty {
            blocks.append(mdTable(["Category", "Item", "Description"] + cols, rows,
                                  right: Set(cols.indices.map { $0 + 3 })))
        }
        var m: [String] = []
        if let x = s.ife { m.append("**IFE** \(fmt2(x))") }
        if let x = s.efe { m.append("**EFE** \(fmt2(x))") }
        if let c = s.ieCell { m.append("**IE cell** \(mdText(c))") }
        if let p = s.posture { m.append("**Posture** \(mdText(p))") }
        if !m.isEmpty { blocks.append([m.joined(separator: " · ")]) }
    }

    if !r.objectives.isEmpty {
        blocks.append(["## Objectives"])
        for o in r.objectives {
            blocks.append(["### \(o.name)" + (o.text.map { " — \(mdText($0))" } ?? "")])
            var facts: [String] = []
            if let s = o.score { facts.append("Score **\(fmt2(s))** (\(o.status ?? ""))") } else { facts.append(o.failed ? "**Error**" : "Not scored") }
            if case .number(let w, _) = o.weight.value, w != 1 { facts.append("weight \(mdText(reportCell(o.weight.value)))") }
            if o.committed { facts.append("committed") }
            if let c = o.chance { facts.append("chance **\(percentText(c))**") }
            if !o.supports.isEmpty { facts.append("supports " + o.supports.map { "`\($0)`" }.joined(separator: ", ")) }
            if !o.addresses.isEmpty { facts.append("addresses " + o.addresses.map { "`\($0)`" }.joined(separator: ", ")) }
            blocks.append([facts.joined(separator: " · ")])
            if !o.krs.isEmpty { blocks.append(mdScored(o.krs, header: "Key result")) }
        }
    }

    if r.plan.score == nil && r.plan.failed { blocks.append(["## Plan score", "**Error**"]) }
    if let s = r.plan.score {
        blocks.append(["## Plan score"])
        blocks.append(["**\(fmt2(s))** (\(r.plan.status ?? "")) `\(bar(s))`" + (r.plan.chance.map { " · chance **\(percentText($0))**" } ?? "")])
    }

    if !r.metrics.isEmpty {
        blocks.append(["## Metrics"])
        blocks.append(mdScored(r.metrics, header: "Metric"))
    }

    blocks += trackingMarkdownBlocks(r)

    if !r.projections.isEmpty {
        blocks.append(["## Projections"])
        blocks.append(mdTable(["Projection", "Start", "Final", "Periods", "Trend"], r.projections.map { p in
            let u = unitOf(p)
            return [p.name, p.series.first.map { reportNumber($0, u) } ?? "", p.series.last.map { reportNumber($0, u) } ?? "",
                    "\(p.periods) \(p.period)" + (p.labels.first.map { " from \($0)" } ?? ""), sparkline(p.series)]
        }, right: [1, 2]))
        for g in projectionGroups(r.projections) {
            let count = g.map(\.series.count).max() ?? 0
            let idx = sampleRows(count: count)
            // An uncertain projection shows its mean and its p5 / p50 / p95 bands, as in the text report.
            var header = [singular(g[0].period).capitalizedFirst]
            for p in g { header += [p.name] + (p.bands != nil ? ["\(p.name) p5", "\(p.name) p50", "\(p.name) p95"] : []) }
            let rows = idx.map { i in
                var row = [periodLabel(g, i)]
                for p in g {
                    let u = unitOf(p)
                    row.append(i < p.series.count ? reportNumber(p.series[i], u) : "")
                    if let b = p.bands { for xs in [b.p5, b.p50, b.p95] { row.append(i < xs.count ? reportNumber(xs[i], u) : "") } }
                }
                return row
            }
            blocks.append(mdTable(header, rows, right: Set(0..<header.count)))
        }
    }

    if !r.plan.unsupportedPriorities.isEmpty || !r.plan.unaddressed.isEmpty {
        let texts = itemTexts(r)
        blocks.append(["## Alignment gaps"])
        var items: [String] = []
        for p in r.plan.unsupportedPriorities { items.append("- Priority no objective supports: \(mdCode(p))" + (texts[p].map { " — \(mdText($0))" } ?? "")) }
        for p in r.plan.unaddressed { items.append("- Not addressed: \(mdCode(p))" + (texts[p].map { " — \(mdText($0))" } ?? "")) }
        blocks.append(items)
    }

    if r.retros.contains(where: { !$0.items.isEmpty }) {
        blocks.append(["## Retros"])
        for rt in r.retros where !rt.items.isEmpty {
            blocks.append(["### \(rt.name)" + (rt.text.map { " — \(mdText($0))" } ?? "")])
            var rows: [[String]] = []
            for (cat, items) in grouped(rt.items, retroOrder) {
                for i in items {
                    let props = i.properties.compactMap { p -> String? in
                        if case .none = p.value.value { return nil }
                        return "\(p.name): \(mdText(reportCell(p.value.value)))"
                    }.joined(separator: ", ")
                    rows.append([categoryTitle(cat), "`\(i.name)`", mdText(i.text ?? ""), props])
                }
            }
            if !rows.isEmpty { blocks.append(mdTable(["Category", "Item", "Description", "Details"], rows)) }
        }
    }

    if !r.assertions.isEmpty {
        blocks.append(["## Asserts"])
        blocks.append(r.assertions.map { a in
            "- \(a.passed ? "✓" : "✗") \(mdCode(a.expression))" + (a.message.map { " — \(mdText($0))" } ?? "") + (a.passed ? "" : " (line \(a.line))")
        })
    }
    return blocks.map { $0.joined(separator: "\n") }.joined(separator: "\n\n") + "\n"
}

/// Key results or metrics as a table; a `Chance` column (P(score ≥ 0.7), SPEC §13) after
/// the score when any of them is uncertain.
func mdScored(_ ks: [ScoredReport], header: String) -> [String] {
    let chances = ks.contains { $0.chance != nil }
    let head = [header, "Baseline", "Current", "Target", "Score"] + (chances ? ["Chance"] : []) + ["Status", "Description"]
    return mdTable(head, ks.map { k in
        var baseline = show(k.baseline)
        if baseline == "—" { baseline = "" }
        return ["`\(k.name)`", mdText(baseline), mdText(show(k.current)), mdText(showTarget(k)), k.score.map(fmt2) ?? "—"]
            + (chances ? [k.chance.map(percentText) ?? ""] : [])
            + [scoreStatus(k), mdText(k.text ?? "")]
    }, right: chances ? [1, 2, 3, 4, 5] : [1, 2, 3, 4])
}

extension String {
    var capitalizedFirst: String { prefix(1).uppercased() + dropFirst() }
}
