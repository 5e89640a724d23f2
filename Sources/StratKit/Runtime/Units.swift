#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The unit of a number: a dimension vector over {time, money} plus how to display it.
///
/// Plain numbers, percents and ratios are dimensionless and differ only in display.
/// Values are stored in base units (seconds, US dollars).
public struct NumberUnit: Hashable, Sendable {
    /// How a number is shown.
    public enum Display: UInt8, Sendable {
        case plain, magnitude, percent, ratio
        case ms, s, min, h, d, wk
        case money, moneyMagnitude
        /// Calendar durations (SPEC §14): a month is a year / 12, a quarter 3 months,
        /// a year 365.2425 days, as in Numbat.
        case mo, qtr, yr
        /// A calendar day (seconds since 1970-01-01); see `Dates.swift`.
        case date

        /// True for the displays of a duration.
        var isTime: Bool {
            switch self {
            case .ms, .s, .min, .h, .d, .wk, .mo, .qtr, .yr: return true
            default: return false
            }
        }
    }

    /// Exponent of time (seconds).
    public var time: Int8
    /// Exponent of money (US dollars).
    public var money: Int8
    /// Display preference.
    public var display: Display
    /// For a rate, the time unit of its denominator (`.h` in `$1M/h`); `.plain` otherwise.
    /// The numerator is the unit with one more power of time, shown with `display`.
    public var per: Display

    /// Makes a unit.
    public init(time: Int8 = 0, money: Int8 = 0, display: Display = .plain, per: Display = .plain) {
        self.time = time
        self.money = money
        self.display = display
        self.per = per.isTime ? per : .plain
    }

    /// A rate's numerator (`$1M` of `$1M/h`); the unit itself when it is not a rate.
    var numerator: NumberUnit {
        per == .plain ? self : NumberUnit(time: time &+ 1, money: money, display: display)
    }

    /// True for a rate shown over a time unit (`$1M/h`, `2.5%/mo`).
    var isRate: Bool { per != .plain && numerator.isSimple }

    /// For a rate: seconds per unit of its denominator (3600 for `$1M/h`); nil otherwise.
    public var ratePer: Double? { isRate ? NumberUnit.timeScale(per) : nil }
    /// For a rate: the unit of its numerator (`$` of `$1M/h`).
    public var rateNumerator: NumberUnit { numerator }
    /// For a rate: its denominator's symbol (`h`); "" otherwise.
    public var perSymbol: String { per == .plain ? "" : NumberUnit(time: 1, display: per).symbol }

    /// A plain, dimensionless number.
    public static let plain = NumberUnit()
    static let percent = NumberUnit(display: .percent)
    static let magnitude = NumberUnit(display: .magnitude)
    static let ratio = NumberUnit(display: .ratio)
    static let seconds = NumberUnit(time: 1, display: .s)
    static let dollars = NumberUnit(money: 1, display: .money)

    /// True for plain numbers, percents, ratios and magnitudes.
    public var isDimensionless: Bool { time == 0 && money == 0 }

    func sameDimension(_ o: NumberUnit) -> Bool { time == o.time && money == o.money }

    /// Whether the display is one of the simple forms (not a derived dimension).
    var isSimple: Bool {
        if per != .plain { return false }
        switch display {
        case .plain, .magnitude, .percent, .ratio: return isDimensionless
        case .ms, .s, .min, .h, .d, .wk, .mo, .qtr, .yr, .date: return time == 1 && money == 0
        case .money, .moneyMagnitude: return time == 0 && money == 1
        }
    }

    /// The unit's symbol as users write it: `%`, `x`, `ms`, `$`, `$/s`, or "" for plain.
    public var symbol: String {
        if isRate {
            let n = numerator.symbol
            return (n.isEmpty ? "1" : n) + "/" + NumberUnit(time: 1, display: per).symbol
        }
        if !isSimple { return derivedSymbol }
        switch display {
        case .plain: return ""
        case .magnitude: return ""
        case .percent: return "%"
        case .ratio: return "x"
        case .ms: return "ms"
        case .s: return "s"
        case .min: return "min"
        case .h: return "h"
        case .d: return "d"
        case .wk: return "wk"
        case .mo: return "mo"
        case .qtr: return "qtr"
        case .yr: return "yr"
        case .date: return "date"
        case .money, .moneyMagnitude: return "$"
        }
    }

    /// A name for messages: the symbol, or the dimension when there is none.
    var nameForMessages: String {
        let s = symbol
        if !s.isEmpty { return "'\(s)'" }
        return isDimensionless ? "a plain number" : "'\(derivedSymbol)'"
    }

    var derivedSymbol: String {
        var num: [String] = [], den: [String] = []
        func part(_ name: String, _ e: Int8) {
            if e == 0 { return }
            let a = abs(Int(e))
            let t = a == 1 ? name : "\(name)^\(a)"
            if e > 0 { num.append(t) } else { den.append(t) }
        }
        part("$", money)
        // A product of durations keeps its time unit (`1h * 4h` is 4 h^2).
        part(display.isTime ? NumberUnit(time: 1, display: display).symbol : "s", time)
        if num.isEmpty && den.isEmpty { return "" }
        let n = num.isEmpty ? "1" : num.joined(separator: "*")
        return den.isEmpty ? n : n + "/" + den.joined(separator: "*")
    }

    /// Seconds per displayed unit of time.
    static func timeScale(_ d: Display) -> Double {
        switch d {
        case .ms: return 0.001
        case .min: return 60
        case .h: return 3600
        case .d: return 86400
        case .wk: return 604800
        case .yr: return 31_556_952          // 365.2425 d
        case .qtr: return 7_889_238          // yr / 4
        case .mo: return 2_629_746           // yr / 12
        default: return 1
        }
    }

    // MARK: Combination rules (docs/language.md)

    /// Largest power of a unit (`s^16`, `$^-3`); beyond it arithmetic is an error rather
    /// than a silently saturated unit.
    static let maxExponent = 64

    /// Whether time and money exponents `t` and `m` are within ``maxExponent``.
    static func exponentsFit(_ t: Int, _ m: Int) -> Bool { abs(t) <= maxExponent && abs(m) <= maxExponent }

    static func product(_ l: NumberUnit, _ r: NumberUnit) -> NumberUnit {
        if l.time == 0 && l.money == 0 && r.time == 0 && r.money == 0 {
            if l.display == .percent { return r.display == .plain ? .percent : NumberUnit(display: r.display) }
            if r.display == .percent { return l.display == .plain ? .percent : NumberUnit(display: l.display) }
            if l.display == .plain { return NumberUnit(display: r.display) }
            return NumberUnit(display: l.display)
        }
        let t = Int(l.time) + Int(r.time), m = Int(l.money) + Int(r.money)
        let time = Int8(clamping: t), money = Int8(clamping: m)
        // `$10/h * 30min` cancels back to the rate's numerator: `$5`.
        if l.per != .plain && r.isSimple && r.display.isTime && r.time == 1 {
            return NumberUnit(time: time, money: money, display: l.display)
        }
        if r.per != .plain && l.isSimple && l.display.isTime && l.time == 1 {
            return NumberUnit(time: time, money: money, display: r.display)
        }
        // `262M * $1.40` reads as money in millions.
        if l.display == .magnitude && r.display == .money { return NumberUnit(time: time, money: money, display: .moneyMagnitude, per: r.per) }
        if r.display == .magnitude && l.display == .money { return NumberUnit(time: time, money: money, display: .moneyMagnitude, per: l.per) }
        if r.isDimensionless { return NumberUnit(time: time, money: money, display: l.display, per: l.per) }
        if l.isDimensionless { return NumberUnit(time: time, money: money, display: r.display, per: r.per) }
        // Durations multiplied keep the left one's unit (`4h * 1h` is 4 h^2).
        if l.display.isTime && r.display.isTime && money == 0 && l.per == .plain && r.per == .plain {
            return NumberUnit(time: time, money: money, display: l.display)
        }
        return NumberUnit(time: time, money: money, display: .plain)
    }

    static func quotient(_ l: NumberUnit, _ r: NumberUnit) -> NumberUnit {
        let t = Int(l.time) - Int(r.time), m = Int(l.money) - Int(r.money)
        let time = Int8(clamping: t), money = Int8(clamping: m)
        if r.isDimensionless {
            if l.isDimensionless && l.display == .plain && r.display != .percent && r.display != .plain {
                return NumberUnit(display: .plain)
            }
            return NumberUnit(time: time, money: money, display: l.display, per: l.per)
        }
        if t == 0 && m == 0 { return .plain }
        // Two rates: their numerators' quotient (`($12/mo) / (4%/mo)` is `$300`).
        if l.per != .plain && r.per != .plain { return quotient(l.numerator, r.numerator) }
        // A rate over a quantity without time stays a rate (`($4M/mo) / $45` is per month).
        if l.per != .plain && r.time == 0 && r.per == .plain {
            var u = quotient(l.numerator, r)
            u.time = Int8(clamping: Int(u.time) - 1)
            u.per = l.per
            return u
        }
        // `$1M / 1h` is a rate shown per hour: `$1M/h`.
        if r.isSimple && r.display.isTime && l.per == .plain && l.time == 0 && (l.isSimple || l.isDimensionless) {
            return NumberUnit(time: time, money: money, display: l.isDimensionless && l.display == .plain ? .plain : l.display, per: r.display)
        }
        // `$100 / ($10/h)` is a time, shown in the rate's unit: `10h`.
        if r.per != .plain && t == 1 && m == 0 { return NumberUnit(time: 1, display: r.per) }
        // `8h^2 / 2h` keeps the time unit.
        if l.display.isTime && m == 0 && t != 0 { return NumberUnit(time: time, display: l.display) }
        return NumberUnit(time: time, money: money, display: .plain)
    }
}

// MARK: - Number formatting

enum NumberFormat {
    /// At most 10 significant digits, trailing zeros trimmed; decimal notation for
    /// 1e-6 ≤ |x| < 1e15, else `1.5e+20`.
    static func significant(_ x: Double, digits: Int = 10) -> String {
        if x.isNaN { return "nan" }
        if x.isInfinite { return x < 0 ? "-inf" : "inf" }
        if x == 0 { return "0" }
        let a = abs(x)
        // A whole number of at most `digits` digits prints as itself (what the rounding and
        // "%.Nf" below give), without the C formatting (`1 + 1` at start-up).
        if a < 1e9, digits >= 9, x == x.rounded() { return String(Int(x)) }
        if a >= 1e15 || a < 1e-6 {
            var s = cFormat("%.\(digits - 1)e", x)
            // Trim mantissa zeros: 1.500000000e+20 -> 1.5e+20
            if let eIdx = s.firstIndex(of: "e") {
                var mant = String(s[..<eIdx])
                let exp = String(s[eIdx...])
                if mant.contains(".") {
                    while mant.hasSuffix("0") { mant.removeLast() }
                    if mant.hasSuffix(".") { mant.removeLast() }
                }
                s = mant + exp
            }
            return s
        }
        // Round to `digits` significant digits, then print in fixed notation.
        let rounded = strtod(cFormat("%.\(digits - 1)e", x), nil)
        let e = Int(floor(log10(abs(rounded))))
        let decimals = max(0, digits - 1 - e)
        var s = cFormat("%.\(decimals)f", rounded)
        if s.contains(".") {
            while s.hasSuffix("0") { s.removeLast() }
            if s.hasSuffix(".") { s.removeLast() }
        }
        if s == "-0" { s = "0" }
        return s
    }

    static func cFormat(_ format: String, _ x: Double) -> String {
        var buf = [CChar](repeating: 0, count: 400)
        let n = withVaList([x]) { vsnprintf(&buf, 400, format, $0) }
        if n < 0 { return "\(x)" }
        return String(decoding: buf.prefix(while: { $0 != 0 }).map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    static func magnitude(_ x: Double, digits: Int = 10) -> String {
        let a = abs(x)
        if a >= 1e12 { return significant(x / 1e12, digits: digits) + "T" }
        if a >= 1e9 { return significant(x / 1e9, digits: digits) + "B" }
        if a >= 1e6 { return significant(x / 1e6, digits: digits) + "M" }
        if a >= 1e3 { return significant(x / 1e3, digits: digits) + "K" }
        return significant(x, digits: digits)
    }

    /// A number in its unit, as the REPL and reports show it (`digits` significant digits;
    /// distributions use 3).
    static func display(_ x: Double, _ u: NumberUnit, digits: Int = 10) -> String {
        if u.isRate {
            return display(x * NumberUnit.timeScale(u.per), u.numerator, digits: digits) + "/" + NumberUnit(time: 1, display: u.per).symbol
        }
        if !u.isSimple {
            let sym = u.derivedSymbol
            // Powers of a duration are shown in its unit (`16 h^2`), others in seconds.
            let shown = u.display.isTime && u.money == 0 ? x / pow(NumberUnit.timeScale(u.display), Double(u.time)) : x
            return sym.isEmpty ? significant(x, digits: digits) : significant(shown, digits: digits) + " " + sym
        }
        switch u.display {
        case .plain: return significant(x, digits: digits)
        case .magnitude: return magnitude(x, digits: digits)
        case .percent: return significant(x * 100, digits: digits) + "%"
        case .ratio: return significant(x, digits: digits) + "x"
        case .ms, .s, .min, .h, .d, .wk, .mo, .qtr, .yr:
            return significant(x / NumberUnit.timeScale(u.display), digits: digits) + u.symbol
        case .date:
            return CalendarDate(unixSeconds: x).description
        case .money: return (x < 0 ? "-$" : "$") + significant(abs(x), digits: digits)
        case .moneyMagnitude: return (x < 0 ? "-$" : "$") + magnitude(abs(x), digits: digits)
        }
    }

    /// How many base units one displayed unit of `x` is (for `round` and friends): 0.01
    /// for percents, 3600 for hours, 1e6 for a value shown as `2.5M`.
    static func displayScale(_ x: Double, _ u: NumberUnit) -> Double {
        if u.isRate { return displayScale(x * NumberUnit.timeScale(u.per), u.numerator) / NumberUnit.timeScale(u.per) }
        guard u.isSimple else { return 1 }
        switch u.display {
        case .percent: return 0.01
        case .ms, .s, .min, .h, .d, .wk, .mo, .qtr, .yr: return NumberUnit.timeScale(u.display)
        case .date: return 86400
        case .magnitude, .moneyMagnitude:
            let a = abs(x)
            return a >= 1e12 ? 1e12 : a >= 1e9 ? 1e9 : a >= 1e6 ? 1e6 : a >= 1e3 ? 1e3 : 1
        default: return 1
        }
    }
}
