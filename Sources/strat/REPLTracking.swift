// The REPL's tracking commands (SPEC §15): `:history PATH` and `:asof DATE`.

import StratKit

extension REPL {
    /// `:history PATH`: a KR's or metric's check-ins, its pacing and a sparkline.
    func historyCommand(_ argument: String, into out: inout Output) {
        guard !argument.isEmpty else {
            fail("usage: :history PATH", hint: "e.g. :history MODERNIZE_PLATFORM.MICROSERVICES", into: &out)
            return
        }
        let r: Report
        do { r = try session.engine.report() } catch { handle(error, into: &out); return }
        let items = trackedItems(r)
        let all = r.objectives.flatMap { o in o.krs.map { "\(o.name).\($0.name)" } } + r.metrics.map(\.name)
        guard all.contains(argument) else {
            let hint = Arguments.closestWord(argument, among: all).map { "did you mean '\($0)'?" }
                ?? (all.isEmpty ? "the model has no key results or metrics" : "key results and metrics: " + all.prefix(8).joined(separator: ", "))
            fail("'\(argument)' is not a key result or metric", hint: hint, into: &out)
            return
        }
        guard let (_, k, t) = items.first(where: { $0.path == argument }) else {
            out.line(style.dim("\(argument) has no check-ins and no period (add plan { start: …, end: … } or checkin DATE { \(argument) = … })"))
            return
        }
        let st = style
        var head = st.bold(argument) + (r.asOf.map { "  as of \($0)" } ?? "")
        if let h = t.health { head += "  " + healthStyled(h, st) }
        out.line(head)
        out.line("  " + paceBar(progress: k.progress, elapsed: t.elapsed) + "  " + trackingFacts(k, t).joined(separator: " · "))
        if let s = t.start, let e = t.end {
            out.line("  " + st.dim("period \(s) … \(e)") + (t.elapsed.map { st.dim(", \(percentText($0)) elapsed") } ?? ""))
        }
        if t.history.isEmpty {
            out.line(st.dim("  no check-ins"))
            return
        }
        var rows: [[Cell]] = [["date", "value", "confidence", "note"].map { Cell($0, st.dim($0)) }]
        for h in t.history {
            let note = (h.note ?? "") + (h.future ? (h.note == nil ? "" : " ") + "(after today)" : "")
            rows.append([Cell(h.date), Cell(h.value.value.isNone ? "—" : h.value.value.description),
                         Cell(h.confidence.map(fmt2) ?? ""), Cell(note, h.future ? st.dim(note) : note)])
        }
        for line in renderTable(rows, align: [.left, .right, .right, .left], indent: "  ") { out.line(line) }
        let spark = sparkline(knownValues(t), maxWidth: 48)
        if !spark.isEmpty { out.line("  " + st.cyan(spark)) }
    }

    /// `:asof [DATE]`: the session's evaluation date, or move it and show what changed.
    func asOfCommand(_ argument: String, into out: inout Output) {
        let current = session.engine.configuration.asOf
        guard !argument.isEmpty else {
            out.line("today is " + (current?.description ?? "the system date"))
            return
        }
        guard let date = CalendarDate(argument) else {
            fail("'\(argument)' is not a date", hint: "write YYYY-MM-DD, e.g. :asof 2026-03-31", into: &out)
            return
        }
        do {
            let changes = try session.move(asOf: date)
            out.line(style.dim("today is now \(date)"))
            renderChanges(changes, limit: 50, into: &out)
        } catch {
            handle(error, into: &out)
        }
    }
}
