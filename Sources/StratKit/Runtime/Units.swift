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
    }

    /// Exponent of time (seconds).
    public var time: Int8
    /// Exponent of money (US dollars).
    public var money: Int8
    /// Display preference.
    public var display: Display

    /// Makes a unit.
    public init(time: Int8 = 0, money: Int8 = 0, display: Display = .plain) {
        self.time = time
        self.money = money
        self.display = display
    }

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
        switch display {
        case .plain, .magnitude, .percent, .ratio: return isDimensionless
        case .ms, .s, .min, .h, .d, .wk: return time == 1 && money == 0
        case .money, .moneyMagnitude: return time == 0 && money == 1
        }
    }

    /// The unit's symbol as users write it: `%`, `x`, `ms`, `$`, `$/s`, or "" for plain.
    public var symbol: String {
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
        part("s", time)
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
        // `262M * $1.40` reads as money in millions.
        if l.display == .magnitude && r.display == .money { return NumberUnit(time: time, money: money, display: .moneyMagnitude) }
        if r.display == .magnitude && l.display == .money { return NumberUnit(time: time, money: money, display: .moneyMagnitude) }
        if r.isDimensionless { return NumberUnit(time: time, money: money, display: l.display) }
        if l.isDimensionless { return NumberUnit(time: time, money: money, display: r.display) }
        return NumberUnit(time: time, money: money, display: .plain)
    }

    static func quotient(_ l: NumberUnit, _ r: NumberUnit) -> NumberUnit {
        let t = Int(l.time) - Int(r.time), m = Int(l.money) - Int(r.money)
        let time = Int8(clamping: t), money = Int8(clamping: m)
        if r.isDimensionless {
            if l.isDimensionless && l.display == .plain && r.display != .percent && r.display != .plain {
                return NumberUnit(display: .plain)
            }
            return NumberUnit(time: time, money: money, display: l.display)
        }
        if t == 0 && m == 0 { return .plain }
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

    static func magnitude(_ x: Double) -> String {
        let a = abs(x)
        if a >= 1e12 { return significant(x / 1e12) + "T" }
        if a >= 1e9 { return significant(x / 1e9) + "B" }
        if a >= 1e6 { return significant(x / 1e6) + "M" }
        if a >= 1e3 { return significant(x / 1e3) + "K" }
        return significant(x)
    }

    /// A number in its unit, as the REPL and reports show it.
    static func display(_ x: Double, _ u: NumberUnit) -> String {
        if !u.isSimple {
            let sym = u.derivedSymbol
            return sym.isEmpty ? significant(x) : significant(x) + " " + sym
        }
        switch u.display {
        case .plain: return significant(x)
        case .magnitude: return magnitude(x)
        case .percent: return significant(x * 100) + "%"
        case .ratio: return significant(x) + "x"
        case .ms, .s, .min, .h, .d, .wk:
            return significant(x / NumberUnit.timeScale(u.display)) + u.symbol
        case .money: return (x < 0 ? "-$" : "$") + significant(abs(x))
        case .moneyMagnitude: return (x < 0 ? "-$" : "$") + magnitude(abs(x))
        }
    }

    /// How many base units one displayed unit of `x` is (for `round` and friends): 0.01
    /// for percents, 3600 for hours, 1e6 for a value shown as `2.5M`.
    static func displayScale(_ x: Double, _ u: NumberUnit) -> Double {
        guard u.isSimple else { return 1 }
        switch u.display {
        case .percent: return 0.01
        case .ms, .s, .min, .h, .d, .wk: return NumberUnit.timeScale(u.display)
        case .magnitude, .moneyMagnitude:
            let a = abs(x)
            return a >= 1e12 ? 1e12 : a >= 1e9 ? 1e9 : a >= 1e6 ? 1e6 : a >= 1e3 ? 1e3 : 1
        default: return 1
        }
    }
}
