import StratKit

// The HTML report's drawing layer: HTML escaping and a small SVG writer. Charts
// (Charts.swift) build on it; nothing here knows about strategy models.

/// Escapes text for HTML element content and quoted attribute values: `& < > " '`.
/// Every piece of user text in the report passes through here.
func htmlEscape(_ s: String) -> String {
    var out = ""
    out.reserveCapacity(s.utf8.count)
    for ch in s.unicodeScalars {
        switch ch {
        case "&": out += "&amp;"
        case "<": out += "&lt;"
        case ">": out += "&gt;"
        case "\"": out += "&quot;"
        case "'": out += "&#39;"
        // Control characters other than tab and newline are not allowed in HTML text.
        case "\u{0}"..."\u{8}", "\u{B}", "\u{C}", "\u{E}"..."\u{1F}", "\u{7F}"..."\u{9F}": out += "\u{FFFD}"
        default: out.unicodeScalars.append(ch)
        }
    }
    return out
}

/// A coordinate for SVG output: one decimal, never NaN or infinite (those become 0).
func svgNum(_ d: Double) -> String {
    guard d.isFinite else { return "0" }
    let tenths = (d * 10).rounded()
    guard abs(tenths) < 1e15 else { return "0" }
    let t = Int64(tenths)
    let sign = t < 0 ? "-" : ""
    let a = t.magnitude
    return a % 10 == 0 ? "\(sign)\(a / 10)" : "\(sign)\(a / 10).\(a % 10)"
}

/// An SVG image under construction: shapes are appended in drawing order and styled by
/// CSS classes (so the page's light and dark schemes apply). Every image has a `<title>`
/// and a description for screen readers.
struct SVG {
    var width: Double
    var height: Double
    var title: String
    var cssClass: String
    var data: [(String, String)] = []
    private var body: [String] = []

    init(width: Double, height: Double, title: String, cssClass: String) {
        self.width = width
        self.height = height
        self.title = title
        self.cssClass = cssClass
    }

    /// `name="value"` pairs, escaped; keys are our own identifiers.
    private static func attrs(_ a: [(String, String)]) -> String {
        a.map { " \($0.0)=\"\(htmlEscape($0.1))\"" }.joined()
    }

    private mutating func shape(_ tag: String, _ a: [(String, String)], tooltip: String?) {
        if let t = tooltip {
            body.append("<\(tag)\(Self.attrs(a))><title>\(htmlEscape(t))</title></\(tag)>")
        } else {
            body.append("<\(tag)\(Self.attrs(a))/>")
        }
    }

    mutating func rect(_ x: Double, _ y: Double, _ w: Double, _ h: Double, cls: String, tooltip: String? = nil,
                       rx: Double = 0, extra: [(String, String)] = []) {
        var a = [("x", svgNum(x)), ("y", svgNum(y)), ("width", svgNum(max(0, w))), ("height", svgNum(max(0, h))), ("class", cls)]
        if rx > 0 { a.append(("rx", svgNum(rx))) }
        shape("rect", a + extra, tooltip: tooltip)
    }

    mutating func line(_ x1: Double, _ y1: Double, _ x2: Double, _ y2: Double, cls: String, extra: [(String, String)] = []) {
        shape("line", [("x1", svgNum(x1)), ("y1", svgNum(y1)), ("x2", svgNum(x2)), ("y2", svgNum(y2)), ("class", cls)] + extra,
              tooltip: nil)
    }

    mutating func circle(_ cx: Double, _ cy: Double, _ r: Double, cls: String, tooltip: String? = nil,
                         extra: [(String, String)] = []) {
        shape("circle", [("cx", svgNum(cx)), ("cy", svgNum(cy)), ("r", svgNum(r)), ("class", cls)] + extra, tooltip: tooltip)
    }

    mutating func polyline(_ points: [(Double, Double)], cls: String, tooltip: String? = nil, extra: [(String, String)] = []) {
        let p = points.map { "\(svgNum($0.0)),\(svgNum($0.1))" }.joined(separator: " ")
        shape("polyline", [("points", p), ("class", cls)] + extra, tooltip: tooltip)
    }

    /// A closed polygon (bands: the upper edge forwards, the lower edge back).
    mutating func polygon(_ points: [(Double, Double)], cls: String, tooltip: String? = nil) {
        let p = points.map { "\(svgNum($0.0)),\(svgNum($0.1))" }.joined(separator: " ")
        shape("polygon", [("points", p), ("class", cls)], tooltip: tooltip)
    }

    enum Anchor: String { case start, middle, end }

    mutating func text(_ x: Double, _ y: Double, _ s: String, cls: String = "", anchor: Anchor = .start,
                       tooltip: String? = nil) {
        var a = [("x", svgNum(x)), ("y", svgNum(y))]
        if anchor != .start { a.append(("text-anchor", anchor.rawValue)) }
        if !cls.isEmpty { a.append(("class", cls)) }
        let tip = tooltip.map { "<title>\(htmlEscape($0))</title>" } ?? ""
        body.append("<text\(Self.attrs(a))>\(tip)\(htmlEscape(s))</text>")
    }

    /// Raw SVG from another builder (a group of this writer's own output).
    mutating func group(cls: String, extra: [(String, String)] = [], _ build: (inout SVG) -> Void) {
        body.append("<g\(Self.attrs([("class", cls)] + extra))>")
        build(&self)
        body.append("</g>")
    }

    /// The `<svg>` element, scaling to its container's width.
    func render() -> String {
        let a: [(String, String)] = [("class", "chart " + cssClass), ("viewBox", "0 0 \(svgNum(width)) \(svgNum(height))"),
                                     ("role", "img"), ("preserveAspectRatio", "xMidYMid meet")] + data
        return "<svg xmlns=\"http://www.w3.org/2000/svg\"\(Self.attrs(a))><title>\(htmlEscape(title))</title>"
            + body.joined() + "</svg>"
    }
}

/// Truncates a label to `max` characters with an ellipsis (the full text goes in a tooltip).
func clip(_ s: String, _ max: Int) -> String {
    s.count <= max ? s : String(s.prefix(Swift.max(1, max - 1))) + "…"
}
