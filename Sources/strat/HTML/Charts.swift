import StratKit
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

// The report's charts, each a function from report data to one `<svg>` (see SVG.swift).
// Geometry the browser tests check is exposed as `data-*` attributes and class names:
// `.ie-point` inside `.ie-cell[data-cell=…]`, `.series` polylines inside `.plot`, `.bar`
// widths proportional to `data-score`.

/// Status words as the report shows them next to every coloured mark (colour is never
/// the only signal).
func statusClass(_ status: String?) -> String {
    switch status {
    case "red", "yellow", "green": return "s-" + status!
    default: return "s-none"
    }
}

// MARK: - Score bars (key results, metrics, objectives)

/// One row of a score-bar chart. `pace` is where the bar should be by now (tracking,
/// SPEC §15): drawn as a marker when present.
struct ScoreBar {
    var label: String
    var detail: String
    var score: Double?
    var status: String?
    var pace: Double? = nil
}

/// Horizontal bars on a 0…1 track with the status thresholds (0.4, 0.7) marked.
func scoreBars(_ rows: [ScoreBar], title: String) -> String {
    let labelW = 190.0, trackX = 200.0, trackW = 300.0, rowH = 30.0, top = 22.0
    var svg = SVG(width: 640, height: top + Double(rows.count) * rowH + 8, title: title, cssClass: "bars")
    for (t, name) in [(0.4, "0.4"), (0.7, "0.7")] {
        let x = trackX + t * trackW
        svg.line(x, top - 6, x, top + Double(rows.count) * rowH, cls: "guide")
        svg.text(x, top - 9, name, cls: "tick", anchor: .middle)
    }
    svg.text(trackX, top - 9, "0", cls: "tick", anchor: .middle)
    svg.text(trackX + trackW, top - 9, "1", cls: "tick", anchor: .middle)
    for (i, r) in rows.enumerated() {
        let y = top + Double(i) * rowH
        svg.text(labelW - 4, y + 19, clip(r.label, 24), cls: "label", anchor: .end, tooltip: r.detail.isEmpty ? nil : r.detail)
        svg.rect(trackX, y + 6, trackW, 18, cls: "track", rx: 3)
        let s = r.score.map { min(1, max(0, $0)) }
        let word = r.status ?? (r.score == nil ? "unscored" : "")
        svg.rect(trackX, y + 6, (s ?? 0) * trackW, 18, cls: "bar " + statusClass(r.status),
                 tooltip: "\(r.label): \(r.score.map(fmt2) ?? "unscored") \(word)", rx: 3,
                 extra: [("data-score", r.score.map { svgNum($0 * 1000) } ?? ""), ("data-track", svgNum(trackW))])
        if let p = r.pace, p.isFinite {
            let x = trackX + min(1, max(0, p)) * trackW
            svg.line(x, y + 2, x, y + 28, cls: "pace")
        }
        svg.text(trackX + trackW + 10, y + 19, (r.score.map(fmt2) ?? "—") + "  " + word, cls: "value " + statusClass(r.status))
    }
    return svg.render()
}

/// A single 0…1 bar with the status thresholds, for the summary's plan score.
func scoreGauge(_ score: Double, status: String?) -> String {
    var svg = SVG(width: 240, height: 40, title: "Plan score \(fmt2(score)) \(status ?? "")", cssClass: "gauge")
    svg.rect(0, 4, 240, 16, cls: "track", rx: 3)
    svg.rect(0, 4, min(1, max(0, score)) * 240, 16, cls: "bar " + statusClass(status), rx: 3,
             extra: [("data-score", svgNum(score * 1000)), ("data-track", "240")])
    for (t, name) in [(0.0, "0"), (0.4, "0.4"), (0.7, "0.7"), (1.0, "1")] {
        if t > 0 && t < 1 { svg.line(t * 240, 2, t * 240, 22, cls: "guide") }
        svg.text(t * 240, 35, name, cls: "tick", anchor: t == 0 ? .start : t == 1 ? .end : .middle)
    }
    return svg.render()
}

// MARK: - SWOT quadrants

/// The four SWOT quadrants (internal/external × helpful/harmful), each its own SVG so
/// that they sit 2 × 2 on a wide page and one above the other on a phone. Each item has
/// its weight as a bar and its rating as text.
func swotQuadrants(_ s: SwotReport) -> String {
    let cats = ["strength", "weakness", "opportunity", "threat"]
    let hints = ["internal · helpful", "internal · harmful", "external · helpful", "external · harmful"]
    let groups = cats.map { c in s.items.filter { $0.category == c } }
    let maxWeight = s.items.compactMap { numberProperty($0, "weight") }.max() ?? 0
    let rowH = 22.0, headH = 34.0, qW = 350.0
    // Both quadrants of a row have the height of the longer one, so the grid lines up.
    let rows = [max(groups[0].count, groups[1].count, 1), max(groups[2].count, groups[3].count, 1)]
    var out = "<div class=\"swot\" data-swot=\"\(htmlEscape(s.name))\">"
    for (k, items) in groups.enumerated() {
        let h = headH + Double(rows[k / 2]) * rowH + 8
        var svg = SVG(width: qW, height: h, title: "\(categoryTitle(cats[k])) of \(s.name): \(items.count)", cssClass: "quadrant q-\(cats[k])")
        svg.data = [("data-category", cats[k]), ("data-count", "\(items.count)")]
        svg.rect(0.5, 0.5, qW - 1, h - 1, cls: "quad-bg", rx: 6)
        svg.text(12, 22, categoryTitle(cats[k]), cls: "quad-title")
        svg.text(qW - 12, 22, hints[k], cls: "quad-hint", anchor: .end)
        if items.isEmpty { svg.text(12, headH + 15, "none", cls: "muted") }
        for (i, it) in items.enumerated() {
            let iy = headH + Double(i) * rowH
            svg.text(12, iy + 15, clip(it.name, 20), cls: "label", tooltip: it.text ?? it.name)
            if let w = numberProperty(it, "weight"), maxWeight > 0 {
                svg.rect(175, iy + 5, 110 * min(1, max(0, w / maxWeight)), 12, cls: "wbar", tooltip: "weight \(compactNumber(w))", rx: 2)
            }
            if let r = property(it, "rating") {
                svg.text(qW - 12, iy + 15, "r" + r, cls: "tick", anchor: .end, tooltip: "rating \(r)")
            }
        }
        out += svg.render()
    }
    return out + "</div>"
}

func numberProperty(_ i: ItemReport, _ name: String) -> Double? {
    i.properties.first { $0.name == name }?.value.value.doubleValue
}

func compactNumber(_ d: Double) -> String { compact(d, .plain, digits: 3) }

// MARK: - IE matrix

/// The Internal–External matrix: IFE on the x axis (4 strong, left, to 1 weak), EFE on
/// the y axis (4 high, top, to 1 low), the nine cells numbered row by row, the reported
/// cell highlighted and the (IFE, EFE) point inside it.
func ieMatrix(_ s: SwotReport) -> String? {
    guard let ife = s.ife, let efe = s.efe, ife.isFinite, efe.isFinite else { return nil }
    let x0 = 64.0, y0 = 16.0, cell = 92.0, size = cell * 3
    var svg = SVG(width: x0 + size + 16, height: y0 + size + 52,
                  title: "IE matrix \(s.name): IFE \(fmt2(ife)), EFE \(fmt2(efe)), cell \(s.ieCell ?? "—")", cssClass: "ie")
    svg.data = [("data-ife", fmt2(ife)), ("data-efe", fmt2(efe)), ("data-cell", s.ieCell ?? "")]
    let numerals = ["I", "II", "III", "IV", "V", "VI", "VII", "VIII", "IX"]
    let region = ["grow", "grow", "hold", "grow", "hold", "harvest", "hold", "harvest", "harvest"]
    var current: (Double, Double)?
    for r in 0..<3 {
        for c in 0..<3 {
            let n = numerals[r * 3 + c], x = x0 + Double(c) * cell, y = y0 + Double(r) * cell
            let here = n == s.ieCell
            if here { current = (x, y) }
            svg.rect(x, y, cell, cell, cls: "ie-cell r-\(region[r * 3 + c])" + (here ? " current" : ""),
                     tooltip: "cell \(n): \(region[r * 3 + c])", extra: [("data-cell", n)])
            svg.text(x + 8, y + 20, n, cls: here ? "ie-num current" : "ie-num")
        }
    }
    // Axis scales: each cell spans one point of the 1…4 scale.
    for (k, v) in ["4", "3", "2", "1"].enumerated() {
        svg.text(x0 + Double(k) * cell, y0 + size + 16, v, cls: "tick", anchor: .middle)
        svg.text(x0 - 8, y0 + Double(k) * cell + 4, v, cls: "tick", anchor: .end)
    }
    svg.text(x0 + size / 2, y0 + size + 36, "IFE (internal) · strong → weak", cls: "axis-title", anchor: .middle)
    svg.text(14, y0 + size / 2, "EFE", cls: "axis-title", anchor: .middle)
    svg.text(14, y0 + size / 2 + 14, "high", cls: "tick", anchor: .middle)
    svg.text(14, y0 + size / 2 + 28, "↓ low", cls: "tick", anchor: .middle)
    var px = x0 + (4 - min(4, max(1, ife))) / 3 * size
    var py = y0 + (4 - min(4, max(1, efe))) / 3 * size
    // On a boundary (IFE exactly 3.0) the point belongs to the cell the library reported.
    if let (cx, cy) = current {
        px = min(cx + cell - 6, max(cx + 6, px))
        py = min(cy + cell - 6, max(cy + 6, py))
    }
    svg.circle(px, py, 7, cls: "ie-point", tooltip: "IFE \(fmt2(ife)), EFE \(fmt2(efe))")
    let right = px > x0 + size - 100
    svg.text(px + (right ? -12 : 12), py + 4, "\(fmt2(ife)), \(fmt2(efe))", cls: "point-label", anchor: right ? .end : .start)
    return svg.render()
}

// MARK: - Line charts

/// One line of a line chart. `dashed` draws a forecast (tracking, SPEC §15); `band` is a
/// p5–p95 envelope (uncertainty, SPEC §13) drawn under the line.
struct ChartSeries {
    var name: String
    var values: [Double]
    var dashed = false
    var band: (lower: [Double], upper: [Double])? = nil
    /// The p50 per period of an uncertain projection, drawn as a thin line in the band.
    var median: [Double]? = nil
}

/// Round tick values covering lo…hi (about `count` of them).
func niceTicks(_ lo: Double, _ hi: Double, count: Int = 5) -> [Double] {
    guard lo.isFinite, hi.isFinite else { return [] }
    if hi - lo <= abs(hi) * 1e-12 || hi == lo {
        let d = lo == 0 ? 1 : abs(lo) * 0.1
        return niceTicks(lo - d, hi + d, count: count)
    }
    let raw = (hi - lo) / Double(max(1, count - 1))
    let mag = pow(10, floor(log10(raw)))
    guard mag.isFinite, mag > 0 else { return [lo, hi] }
    let step = [1.0, 2, 2.5, 5, 10].map { $0 * mag }.first { $0 >= raw } ?? 10 * mag
    let first = floor(lo / step) * step, last = ceil(hi / step) * step
    guard ((last - first) / step).isFinite, (last - first) / step < 50 else { return [lo, hi] }
    return stride(from: first, through: last + step * 0.001, by: step).map { abs($0) < step * 1e-9 ? 0 : $0 }
}

/// A line chart with a y axis in the values' display unit and x labels per period.
func lineChart(_ series: [ChartSeries], unit: NumberUnit, xLabels: [String], xTitle: String, title: String) -> String {
    let W = 480.0, H = 240.0, left = 62.0, right = 30.0, top = 22.0, bottom = 44.0
    let pw = W - left - right, ph = H - top - bottom
    var svg = SVG(width: W, height: H, title: title, cssClass: "line")
    var all = series.flatMap { $0.values }
    for s in series {
        if let b = s.band { all += b.lower + b.upper }
        if let m = s.median { all += m }
    }
    let finite = all.filter(\.isFinite)
    let ticks = niceTicks(finite.min() ?? 0, finite.max() ?? 1)
    let lo = ticks.first ?? 0, hi = ticks.last ?? 1
    let n = max(1, (series.map(\.values.count).max() ?? 1) - 1)
    func x(_ i: Int) -> Double { left + Double(i) / Double(n) * pw }
    func y(_ v: Double) -> Double {
        guard v.isFinite, hi > lo else { return top + ph }
        return top + ph - (min(hi, max(lo, v)) - lo) / (hi - lo) * ph
    }
    svg.rect(left, top, pw, ph, cls: "plot", extra: [("data-periods", "\(n)")])
    for t in ticks {
        svg.line(left, y(t), left + pw, y(t), cls: "grid")
        svg.text(left - 6, y(t) + 4, compact(t, unit, digits: 3), cls: "tick", anchor: .end)
    }
    for i in sampleRows(count: n + 1, maxRows: 6) {
        svg.line(x(i), top + ph, x(i), top + ph + 4, cls: "axis")
        // The last label ends at the axis end so it is not cut at the right edge.
        svg.text(x(i), top + ph + 17, i < xLabels.count ? xLabels[i] : "\(i)", cls: "tick", anchor: i == n && n > 0 ? .end : .middle)
    }
    svg.text(left + pw / 2, H - 6, xTitle, cls: "axis-title", anchor: .middle)
    for (k, s) in series.enumerated() {
        if let b = s.band, b.lower.count == b.upper.count, !b.lower.isEmpty {
            let up = b.upper.indices.map { (x($0), y(b.upper[$0])) }
            let down = b.lower.indices.reversed().map { (x($0), y(b.lower[$0])) }
            svg.polygon(up + down, cls: "band c\(k % 6)", tooltip: "\(s.name): p5–p95, 90% of the simulated outcomes")
        }
        if let m = s.median, !m.isEmpty {
            svg.polyline(m.indices.map { (x($0), y(m[$0])) }, cls: "median c\(k % 6)", tooltip: "\(s.name): p50 (median)",
                         extra: [("data-count", "\(m.count)")])
        }
        let pts = s.values.indices.map { (x($0), y(s.values[$0])) }
        svg.polyline(pts, cls: "series c\(k % 6)" + (s.dashed ? " dashed" : ""), tooltip: s.name,
                     extra: [("data-name", s.name), ("data-count", "\(pts.count)")])
        if s.values.count <= 25 {
            for (i, v) in s.values.enumerated() {
                let label = i < xLabels.count ? xLabels[i] : "\(i)"
                svg.circle(pts[i].0, pts[i].1, 2.5, cls: "dot c\(k % 6)", tooltip: "\(label): \(compact(v, unit))")
            }
        }
        if let last = s.values.last, let p = pts.last {
            svg.text(min(p.0, W - 4), max(12, p.1 - 9), compact(last, unit), cls: "end-label", anchor: .end)
        }
    }
    return svg.render()
}

// MARK: - Histograms

/// A histogram of an uncertain value's samples (SPEC §13, §17): 20 equal-width bars from
/// the smallest to the largest sample — counts, never a smoothed density, so no bar lies
/// outside the values that were drawn — with the mean and the p5 and p95 marked.
func histogramChart(_ name: String, _ s: Samples, unit: NumberUnit) -> String {
    let W = 320.0, H = 150.0, left = 10.0, right = 10.0, top = 16.0, bottom = 34.0
    let pw = W - left - right, ph = H - top - bottom
    let (edges, counts) = s.histogram()
    let lo = edges.first ?? 0, hi = edges.last ?? 0
    let mean = s.mean, p5 = s.percentile(0.05), p95 = s.percentile(0.95)
    let title = "\(name): \(s.count) samples, mean \(compact(mean, unit)), p5 \(compact(p5, unit)), p95 \(compact(p95, unit))"
    var svg = SVG(width: W, height: H, title: title, cssClass: "histogram")
    svg.data = [("data-name", name), ("data-min", "\(lo)"), ("data-max", "\(hi)"), ("data-samples", "\(s.count)")]
    let peak = Double(counts.max() ?? 1)
    // One bar for a constant value: its whole width is that value.
    func x(_ v: Double) -> Double { hi > lo ? left + (v - lo) / (hi - lo) * pw : left + pw / 2 }
    svg.line(left, top + ph, left + pw, top + ph, cls: "axis")
    for (i, c) in counts.enumerated() {
        let a = hi > lo ? x(edges[i]) : left + pw / 2 - 8, b = hi > lo ? x(edges[i + 1]) : left + pw / 2 + 8
        let h = peak > 0 ? Double(c) / peak * ph : 0
        svg.rect(a, top + ph - h, max(0, b - a - 0.5), h, cls: "hbar",
                 tooltip: "\(compact(edges[i], unit)) to \(compact(edges[min(i + 1, edges.count - 1)], unit)): \(c) samples",
                 extra: [("data-lo", "\(edges[i])"), ("data-hi", "\(edges[min(i + 1, edges.count - 1)])"), ("data-count", "\(c)")])
    }
    for (v, cls) in [(p5, "pmark"), (p95, "pmark"), (mean, "mean")] where hi > lo {
        svg.line(x(v), top - 4, x(v), top + ph, cls: cls, extra: [("data-value", "\(v)")])
    }
    svg.text(left, H - 18, compact(lo, unit, digits: 3), cls: "tick", anchor: .start)
    svg.text(left + pw, H - 18, compact(hi, unit, digits: 3), cls: "tick", anchor: .end)
    svg.text(left + pw / 2, H - 4, "mean \(compact(mean, unit)) · p5 \(compact(p5, unit)) · p95 \(compact(p95, unit))", cls: "axis-title", anchor: .middle)
    return svg.render()
}

// MARK: - Scenario comparison

/// Grouped bars: one group per score row (plan, objectives), one bar per scenario,
/// each bar labelled with its scenario and value.
func scenarioBars(_ names: [String], _ rows: [(key: String, scores: [Double?])]) -> String {
    let barH = 13.0, groupGap = 12.0, left = 190.0, trackW = 300.0, top = 8.0
    let groupH = Double(names.count) * barH + groupGap
    var svg = SVG(width: 640, height: top + Double(rows.count) * groupH, title: "Scores by scenario", cssClass: "scenarios")
    for (g, r) in rows.enumerated() {
        let gy = top + Double(g) * groupH
        svg.text(left - 8, gy + barH * Double(names.count) / 2 + 4, clip(r.key, 26), cls: "label", anchor: .end)
        for (k, n) in names.enumerated() {
            let y = gy + Double(k) * barH
            let s = k < r.scores.count ? r.scores[k] : nil
            svg.rect(left, y + 2, trackW, barH - 4, cls: "track")
            svg.rect(left, y + 2, min(1, max(0, s ?? 0)) * trackW, barH - 4, cls: "bar c\(k % 6)",
                     tooltip: "\(r.key) · \(n): \(s.map(fmt2) ?? "—")", extra: [("data-score", s.map { svgNum($0 * 1000) } ?? "")])
            svg.text(left + trackW + 8, y + barH - 4, "\(s.map(fmt2) ?? "—")  \(clip(n, 18))", cls: "tick")
        }
    }
    return svg.render()
}

// MARK: - Sensitivity tornado

/// A tornado (SPEC §16): one row per input, largest swing first, a bar from the target's
/// value with the input lowered to its value with the input raised, around a centre line
/// at the target's base value. Each end is labelled (`−10%` / `+10%` and the value), so
/// the two sides are told apart by text as well as shade.
func tornado(_ r: SensitivityResult, maxRows: Int = 12) -> String? {
    guard let base = r.base.doubleValue, base.isFinite else { return nil }
    let rows = r.rows.prefix(maxRows).filter { $0.low.doubleValue?.isFinite == true && $0.high.doubleValue?.isFinite == true }
    guard !rows.isEmpty else { return nil }
    let unit = r.base.unit ?? .plain
    let step = compact(r.by * 100, .plain, digits: 3) + "%"
    let left = 290.0, width = 270.0, rowH = 30.0, top = 26.0
    let ends = rows.flatMap { [$0.low.doubleValue!, $0.high.doubleValue!] } + [base]
    let lo = ends.min()!, hi = ends.max()!
    let span = hi - lo > 0 ? hi - lo : 1
    func x(_ v: Double) -> Double { left + (v - lo) / span * width }
    var svg = SVG(width: 720, height: top + Double(rows.count) * rowH + 10,
                  title: "Sensitivity of \(r.target) (base \(compact(base, unit))): each input −\(step) / +\(step)", cssClass: "tornado")
    svg.data = [("data-base", "\(base)")]
    svg.text(x(base), 12, "\(r.target) = \(compact(base, unit))", cls: "axis-title", anchor: .middle)
    for (i, row) in rows.enumerated() {
        let y = top + Double(i) * rowH
        let l = row.low.doubleValue!, h = row.high.doubleValue!
        svg.text(0, y + 18, clip(row.input, 30), cls: "label", tooltip: "\(row.input) = \(row.value.description)")
        for (v, cls, name) in [(l, "t-low", "−\(step)"), (h, "t-high", "+\(step)")] {
            svg.rect(min(x(base), x(v)), y + 5, abs(x(v) - x(base)), 18, cls: "tbar " + cls,
                     tooltip: "\(row.input) \(name): \(r.target) = \(compact(v, unit))",
                     extra: [("data-input", row.input), ("data-value", "\(v)")])
        }
        // Labels outside the bar ends; the lower value's label on the left.
        let (a, b) = l <= h ? ((l, "−\(step)"), (h, "+\(step)")) : ((h, "+\(step)"), (l, "−\(step)"))
        svg.text(min(x(a.0), x(base)) - 4, y + 18, "\(a.1) \(compact(a.0, unit, digits: 3))", cls: "tick", anchor: .end)
        svg.text(max(x(b.0), x(base)) + 4, y + 18, "\(b.1) \(compact(b.0, unit, digits: 3))", cls: "tick")
    }
    svg.line(x(base), top - 4, x(base), top + Double(rows.count) * rowH, cls: "centre")
    return svg.render()
}
