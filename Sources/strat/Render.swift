import StratKit
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// What ``Style`` writes in place of ESC: its colour codes travel as `marker` + `1;31m`
/// and become `ESC[1;31m` only in ``terminalSafe(_:fd:keepSGR:)``, so that an `ESC[…m`
/// inside a model's string (a mission, an item text) is told apart from the report's own
/// colours and shown escaped even on a colour terminal. Four noncharacters (U+FDD0…U+FDEF,
/// reserved for internal use), picked per process: a model cannot forge it.
let sgrMarker: [Unicode.Scalar] = (0..<4).map { _ in Unicode.Scalar(0xFDD0 + UInt32.random(in: 0..<32))! }

/// ANSI styling that turns itself off when colour is disabled.
struct Style {
    var color: Bool

    func wrap(_ s: String, _ code: String) -> String {
        guard color && !s.isEmpty else { return s }
        let m = String(String.UnicodeScalarView(sgrMarker))
        return m + code + "m" + s + m + "0m"
    }
    func bold(_ s: String) -> String { wrap(s, "1") }
    func dim(_ s: String) -> String { wrap(s, "2") }
    func red(_ s: String) -> String { wrap(s, "31") }
    func green(_ s: String) -> String { wrap(s, "32") }
    func yellow(_ s: String) -> String { wrap(s, "33") }
    func cyan(_ s: String) -> String { wrap(s, "36") }

    /// Colours text by a score status (`red`, `yellow`, `green`).
    func status(_ s: String, _ status: String?) -> String {
        switch status {
        case "red": return red(s)
        case "yellow": return yellow(s)
        case "green": return green(s)
        default: return s
        }
    }
}

/// A diagnostic as the CLI prints it; with `color`, a bold location and message, the
/// severity in red, yellow or cyan and red carets. Real `ESC[…m` codes: the library escaped
/// the diagnostic's own text, so ``terminalSafe(_:fd:keepSGR:)`` keeps these (`keepSGR`).
func renderDiagnostic(_ d: Diagnostic, color: Bool) -> String {
    guard color else { return d.rendered() }
    return d.rendered { part, text in
        let code: String
        switch part {
        case .location, .message: code = "1"
        case .severity(.error), .caret: code = "1;31"
        case .severity(.warning): code = "1;33"
        case .severity(.note): code = "1;36"
        }
        return "\u{1B}[" + code + "m" + text + "\u{1B}[0m"
    }
}

/// The REPL's `:explain` tree: one line per node, `name = value    ← note`, children
/// under `├─ ` and `└─ ` (the value left out when it is the name itself, as for `3.8%`).
/// A formula written over several lines is shown on one, and a name, value or note longer
/// than ``explanationTextLimit`` characters is cut with `…`: a tree of a long formula's
/// sub-expressions would otherwise repeat its whole text on every line.
func renderExplanation(_ root: Explanation) -> String {
    var out: [String] = []
    func draw(_ e: Explanation, _ prefix: String, _ childPrefix: String) {
        let name = explanationLine(e.name), value = explanationLine(e.valueText)
        var s = prefix + name
        if name != value { s += " = " + value }
        if let n = e.note { s += "    ← " + explanationLine(n) }
        out.append(s)
        for (i, kid) in e.children.enumerated() {
            let last = i == e.children.count - 1
            draw(kid, childPrefix + (last ? "└─ " : "├─ "), childPrefix + (last ? "   " : "│  "))
        }
    }
    draw(root, "", "")
    return out.joined(separator: "\n")
}

/// The longest name, value or note `:explain` shows whole, in characters.
let explanationTextLimit = 160

/// `text` on one line and at most ``explanationTextLimit`` characters.
func explanationLine(_ text: String) -> String {
    let s = text.onOneLine
    return s.count > explanationTextLimit ? String(s.prefix(explanationTextLimit)) + "…" : s
}

/// A table cell: the plain text (which decides the width) and how it is shown.
struct Cell {
    var text: String
    var shown: String
    init(_ text: String, _ shown: String? = nil) {
        self.text = text
        self.shown = shown ?? text
    }
    static let empty = Cell("")
}

enum Align { case left, right }

/// Display width of plain text (every character counts one column).
func width(_ s: String) -> Int { s.count }

func pad(_ c: Cell, _ w: Int, _ a: Align) -> String {
    let fill = String(repeating: " ", count: max(0, w - width(c.text)))
    return a == .left ? c.shown + fill : fill + c.shown
}

/// Renders rows with aligned columns, two spaces apart, each line prefixed by `indent`.
/// Rows shorter than the widest row are padded; trailing blanks are trimmed.
func renderTable(_ rows: [[Cell]], align: [Align], indent: String, gap: String = "  ") -> [String] {
    let n = rows.map(\.count).max() ?? 0
    var widths = [Int](repeating: 0, count: n)
    for r in rows { for (i, c) in r.enumerated() { widths[i] = max(widths[i], width(c.text)) } }
    return rows.map { r in
        var parts: [String] = []
        for i in 0..<n {
            let c = i < r.count ? r[i] : .empty
            if widths[i] == 0 { continue }
            parts.append(pad(c, widths[i], i < align.count ? align[i] : .left))
        }
        return trimRight(indent + parts.joined(separator: gap))
    }
}

func trimRight(_ s: String) -> String {
    var u = Substring(s)
    while u.last == " " { u.removeLast() }
    return String(u)
}

/// A score with two decimals: `0.65`.
/// Past 1e15 two decimals mean nothing (and cents would not fit an Int64): shown as
/// other numbers are (`1e+17`).
func fmt2(_ x: Double) -> String {
    guard x.isFinite, abs(x) < 1e15 else { return Value.number(x, .plain).description }
    let cents = Int64((abs(x) * 100).rounded())
    let sign = x < 0 && cents != 0 ? "-" : ""
    let frac = cents % 100
    return "\(sign)\(cents / 100).\(frac < 10 ? "0" : "")\(frac)"
}

/// A progress bar of `width` cells: `████░░░░`.
func bar(_ score: Double, width: Int = 8) -> String {
    let s = score.isFinite ? min(1, max(0, score)) : 0
    let filled = Int((s * Double(width)).rounded())
    return String(repeating: "█", count: filled) + String(repeating: "░", count: width - filled)
}

/// A unicode sparkline of at most `maxWidth` characters.
func sparkline(_ values: [Double], maxWidth: Int = 32) -> String {
    let ticks: [Character] = ["▁", "▂", "▃", "▄", "▅", "▆", "▇", "█"]
    // One pass over the finite values, without copying them (a series can have a million).
    var lo = Double.infinity, hi = -Double.infinity, anyFinite = false
    for v in values where v.isFinite {
        anyFinite = true
        if v < lo { lo = v }
        if v > hi { hi = v }
    }
    guard anyFinite else { return "" }
    var sampled = values
    if values.count > maxWidth {
        sampled = (0..<maxWidth).map { i in values[Int((Double(i) * Double(values.count - 1) / Double(maxWidth - 1)).rounded())] }
    }
    return String(sampled.map { v -> Character in
        guard v.isFinite else { return " " }
        if hi - lo <= abs(hi) * 1e-12 { return ticks[3] }
        // A range wider than the largest double gives inf/inf: show the middle tick.
        let f = ((v - lo) / (hi - lo) * 7).rounded()
        guard f.isFinite else { return ticks[3] }
        return ticks[min(7, max(0, Int(f)))]
    })
}

/// A number rounded to `digits` significant digits, shown in its unit (`148.5M`).
func compact(_ x: Double, _ unit: NumberUnit, digits: Int = 4) -> String {
    guard x.isFinite, x != 0 else { return Value.number(x, unit).description }
    // A rate rounds as shown (per month, not per second).
    if let per = unit.ratePer {
        return compact(x * per, unit.rateNumerator, digits: digits) + "/" + unit.perSymbol
    }
    let mag = Int(floor(log10(abs(x))))
    let shift = digits - 1 - mag
    let r: Double
    if shift >= 0 {
        let f = pow(10, Double(shift))
        // A subnormal value needs a scale past the largest double: it is shown as it is.
        r = f.isFinite ? (x * f).rounded() / f : x
    } else {
        let f = pow(10, Double(-shift))
        r = (x / f).rounded() * f
    }
    return Value.number(r, unit).description
}

/// Row indices for a table of a series with `count` values: all of them when there are
/// at most `maxRows`, else a round step (1, 2, 5 × 10ⁿ) and always the last one.
func sampleRows(count: Int, maxRows: Int = 12) -> [Int] {
    guard count > 0 else { return [] }
    if count <= maxRows + 1 { return Array(0..<count) }
    let last = count - 1
    // The smallest round step (1, 2, 5 × 10ⁿ) that needs at most maxRows + 1 rows.
    var step = 1
    var p = 1
    outer: while true {
        for m in [1, 2, 5] where (last + m * p - 1) / (m * p) + 1 <= maxRows + 1 { step = m * p; break outer }
        p *= 10
    }
    var rows = Array(stride(from: 0, through: last, by: step))
    if rows.last != last { rows.append(last) }
    return rows
}

/// A number in a report cell (text and Markdown reports, docs/cli.md). Plain numbers and
/// dollars get a magnitude suffix (`1.049M`, `$1.235K`). A value with at most 6
/// significant digits is shown exactly (an input as written: `99.995%`, `1100ms`); any
/// other is rounded to 4 significant digits, trailing zeros kept (`5.769`, `2.000`,
/// `1.000M`), so that a rounded number never looks exact (`1049000`). Dates and rates are
/// shown as elsewhere; JSON keeps the exact value.
func reportNumber(_ x: Double, _ u: NumberUnit) -> String {
    guard x.isFinite, u.display != .date, u.per == .plain else { return compact(x, u) }
    var shown = u
    // Past 1e15 a suffix would only decorate an exponent (`1e+296T`): shown as `1e+308`.
    if abs(x) < 1e15 {
        if u.isDimensionless && u.display == .plain { shown.display = .magnitude }
        else if u.time == 0 && u.money == 1 && u.display == .money { shown.display = .moneyMagnitude }
    }
    let exact = Value.number(x, shown).description
    guard let d = significantDigits(exact), d > 6 else { return exact }
    return withSignificantDigits(Value.number(x, shown).description(significantDigits: 4), 4)
}

/// The mantissa of a displayed number (`-$1.049M` → `1.049`): its digits and point, and
/// where it sits in the text; nil in exponent form (`1e+308`).
private func mantissa(_ s: String) -> Range<String.Index>? {
    guard !s.contains("e") else { return nil }
    guard let start = s.firstIndex(where: \.isNumber) else { return nil }
    let end = s[start...].firstIndex { !$0.isNumber && $0 != "." } ?? s.endIndex
    return start..<end
}

/// How many significant digits a displayed number shows (`0.0012` → 2), nil in exponent form.
func significantDigits(_ s: String) -> Int? {
    guard let r = mantissa(s) else { return nil }
    let digits = s[r].filter(\.isNumber).drop { $0 == "0" }
    return max(1, digits.count)
}

/// A rounded display padded with zeros to `n` significant digits (`2` → `2.000`, `1M` → `1.000M`).
func withSignificantDigits(_ s: String, _ n: Int) -> String {
    guard let r = mantissa(s), let have = significantDigits(s), have < n else { return s }
    var m = String(s[r])
    if !m.contains(".") { m += "." }
    m += String(repeating: "0", count: n - have)
    return String(s[..<r.lowerBound]) + m + String(s[r.upperBound...])
}

/// A value in a report cell: a number by ``reportNumber(_:_:)``, anything else as it prints.
func reportCell(_ v: Value) -> String {
    if case .number(let d, let u) = v { return reportNumber(d, u) }
    return v.description
}

/// The text of a value for reports: `—` for none.
func show(_ v: ReportValue) -> String {
    if case .none = v.value { return "—" }
    return reportCell(v.value)
}

/// The status column of a KR or metric: its status, `error` when its score failed (an
/// error of its own or of a value it reads, shown on stderr), `unscored` when it has none.
func scoreStatus(_ k: ScoredReport) -> String {
    if let s = k.status { return s }
    if k.score == nil { return k.failed ? "error" : "unscored" }
    return ""
}

/// The target of a KR or metric with its form: `85%`, `≥ 99.995%`, `≤ 3.5%`.
func showTarget(_ k: ScoredReport) -> String {
    if case .none = k.target.value { return "—" }
    switch k.targetForm {
    case ">=": return "≥ " + reportCell(k.target.value)
    case "<=": return "≤ " + reportCell(k.target.value)
    default: return reportCell(k.target.value)
    }
}

/// `strengths` → `Strengths`, `went_well` → `Went well`.
func categoryTitle(_ category: String) -> String {
    switch category {
    case "strength": return "Strengths"
    case "weakness": return "Weaknesses"
    case "opportunity": return "Opportunities"
    case "threat": return "Threats"
    case "priority": return "Priorities"
    case "went_well": return "Went well"
    case "not_well": return "Not well"
    case "learning": return "Learnings"
    case "action": return "Actions"
    default: return category
    }
}

/// The plural list name used in paths: `strength` → `strengths`.
func categoryListName(_ category: String) -> String {
    switch category {
    case "strength": return "strengths"
    case "weakness": return "weaknesses"
    case "opportunity": return "opportunities"
    case "threat": return "threats"
    case "priority": return "priorities"
    case "learning": return "learnings"
    case "action": return "actions"
    default: return category
    }
}

/// Item texts by path (`Engineering.threats.COST`), for the alignment-gap section.
func itemTexts(_ r: Report) -> [String: String] {
    var m: [String: String] = [:]
    for s in r.swots {
        for i in s.items { m["\(s.name).\(categoryListName(i.category)).\(i.name)"] = i.text }
    }
    return m
}

/// Projections grouped by their period count and unit (one table per group).
func projectionGroups(_ ps: [ProjectionReport]) -> [[ProjectionReport]] {
    var groups: [[ProjectionReport]] = []
    for p in ps {
        if let i = groups.firstIndex(where: { $0[0].periods == p.periods && $0[0].period == p.period && $0[0].labels == p.labels }) {
            groups[i].append(p)
        } else {
            groups.append([p])
        }
    }
    return groups
}

/// A table row's first cell: the period's date label (`2026-Q3`) when the group is
/// anchored at a date, else its index.
func periodLabel(_ g: [ProjectionReport], _ i: Int) -> String {
    if let p = g.first, i < p.labels.count { return p.labels[i] }
    return String(i)
}

/// `quarters` → `quarter`.
func singular(_ period: String) -> String { period.hasSuffix("s") ? String(period.dropLast()) : period }

/// The unit of a projection's values.
func unitOf(_ p: ProjectionReport) -> NumberUnit { p.final.value.unit ?? .plain }

/// The categories in the order reports show them.
let swotOrder = ["strength", "weakness", "opportunity", "threat", "priority"]
let retroOrder = ["went_well", "not_well", "learning", "action"]

func grouped(_ items: [ItemReport], _ order: [String]) -> [(String, [ItemReport])] {
    var out: [(String, [ItemReport])] = []
    for c in order {
        let l = items.filter { $0.category == c }
        if !l.isEmpty { out.append((c, l)) }
    }
    let other = items.filter { !order.contains($0.category) }
    for i in other {
        if let k = out.firstIndex(where: { $0.0 == i.category }) { out[k].1.append(i) } else { out.append((i.category, [i])) }
    }
    return out
}

/// Property names of items in first-appearance order (columns of a SWOT table).
func propertyColumns(_ items: [ItemReport]) -> [String] {
    var cols: [String] = []
    for i in items { for p in i.properties where !cols.contains(p.name) { cols.append(p.name) } }
    return cols
}

func property(_ i: ItemReport, _ name: String) -> String? {
    guard let p = i.properties.first(where: { $0.name == name }) else { return nil }
    if case .none = p.value.value { return nil }
    return reportCell(p.value.value)
}
