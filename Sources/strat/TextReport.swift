import StratKit

/// Renders a report as plain text (a fuller renderer lands with the CLI issue).
func renderTextReport(_ r: Report) -> String {
    var out = ""
    if let org = r.org { out += "\(org)\n" }
    if let m = r.mission { out += "Mission: \(m)\n" }
    for s in r.swots {
        out += "\nSWOT \(s.name)\(s.text.map { " — \($0)" } ?? "")\n"
        if let i = s.ife { out += "  IFE \(i)" }
        if let e = s.efe { out += "  EFE \(e)" }
        if let c = s.ieCell { out += "  cell \(c)" }
        if let p = s.posture { out += "  \(p)" }
        out += "\n"
    }
    for o in r.objectives {
        out += "\nObjective \(o.name): score \(o.score.map { String($0) } ?? "none") \(o.status ?? "")\n"
        for k in o.krs {
            out += "  \(k.name): \(k.current.value) → \(k.target.value) score \(k.score.map { String($0) } ?? "none")\n"
        }
    }
    if let s = r.plan.score { out += "\nPlan score: \(s) (\(r.plan.status ?? ""))\n" }
    return out
}
