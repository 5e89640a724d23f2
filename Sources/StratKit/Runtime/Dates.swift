/// A calendar day in the proleptic Gregorian calendar (SPEC §14).
///
/// Strat values carry a date as a number of seconds since 1970-01-01 with the `date`
/// display unit, so dates compare, sort and cross JSON like other numbers (a Unix time
/// at midnight UTC). This type is the host-side view: `Configuration.asOf` and the
/// calendar arithmetic behind `date + 1mo`.
public struct CalendarDate: Hashable, Comparable, Sendable, CustomStringConvertible {
    /// Days since 1970-01-01 (negative before).
    public var days: Int

    /// The date `days` days after 1970-01-01.
    public init(days: Int) { self.days = days }

    /// The date with this year, month (1…12) and day (1…31); nil when there is no such day.
    public init?(year: Int, month: Int, day: Int) {
        guard year >= -9999, year <= 9999, month >= 1, month <= 12, day >= 1,
              day <= CalendarDate.daysIn(month: month, year: year) else { return nil }
        days = CalendarDate.daysFromCivil(year, month, day)
    }

    /// Parses `YYYY-MM-DD`; nil when malformed or not a real day.
    public init?(_ text: String) {
        let u = Array(text.utf8)
        guard u.count == 10, u[4] == 45, u[7] == 45 else { return nil }
        func num(_ r: Range<Int>) -> Int? {
            var v = 0
            for k in r { guard isDigit(u[k]) else { return nil }; v = v * 10 + Int(u[k] - 48) }
            return v
        }
        guard let y = num(0..<4), let m = num(5..<7), let d = num(8..<10) else { return nil }
        self.init(year: y, month: m, day: d)
    }

    /// The date of a Unix time in seconds (the UTC day containing it).
    public init(unixSeconds: Double) {
        // Clamped, so that no number shown as a date can trap the conversion.
        let d = (unixSeconds / 86400).rounded(.down)
        days = d.isNaN ? 0 : Int(Swift.max(-4e6, Swift.min(4e6, d)))
    }

    public static func < (a: CalendarDate, b: CalendarDate) -> Bool { a.days < b.days }

    /// Year, month (1…12) and day (1…31).
    public var components: (year: Int, month: Int, day: Int) { CalendarDate.civil(days) }
    public var year: Int { components.year }
    public var month: Int { components.month }
    public var day: Int { components.day }
    /// 1…4.
    public var quarter: Int { (month - 1) / 3 + 1 }
    /// ISO weekday, 1 (Monday) … 7 (Sunday).
    public var weekday: Int {
        let w = (days % 7 + 7 + 3) % 7  // 1970-01-01 was a Thursday (index 3 from Monday)
        return w + 1
    }

    /// Seconds since 1970-01-01 at midnight: how a Strat value carries the date.
    public var unixSeconds: Double { Double(days) * 86400 }

    /// `2026-03-31`.
    public var description: String {
        let (y, m, d) = components
        return pad(y, 4) + "-" + pad(m, 2) + "-" + pad(d, 2)
    }

    /// This date moved by whole calendar months; a day past the target month's end
    /// becomes its last day (2026-01-31 + 1 month is 2026-02-28).
    public func addingMonths(_ n: Int) -> CalendarDate? {
        let (y, m, d) = components
        let total = y * 12 + (m - 1) + n
        let ny = total >= 0 ? total / 12 : -((-total + 11) / 12)
        let nm = total - ny * 12 + 1
        guard ny >= -9999, ny <= 9999 else { return nil }
        return CalendarDate(year: ny, month: nm, day: min(d, CalendarDate.daysIn(month: nm, year: ny)))
    }

    /// ISO 8601 week-numbering year and week (1…53).
    public var isoWeek: (year: Int, week: Int) {
        // The week belongs to the year of its Thursday.
        let thursday = CalendarDate(days: days - (weekday - 1) + 3)
        let y = thursday.year
        let jan1 = CalendarDate.daysFromCivil(y, 1, 1)
        return (y, (thursday.days - jan1) / 7 + 1)
    }

    static func isLeap(_ y: Int) -> Bool { (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 }

    static func daysIn(month m: Int, year y: Int) -> Int {
        switch m {
        case 2: return isLeap(y) ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }

    /// Days since 1970-01-01 of a civil date (Howard Hinnant's algorithm).
    static func daysFromCivil(_ y0: Int, _ m: Int, _ d: Int) -> Int {
        let y = m <= 2 ? y0 - 1 : y0
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let mp = (m + 9) % 12
        let doy = (153 * mp + 2) / 5 + d - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146097 + doe - 719468
    }

    static func civil(_ z0: Int) -> (Int, Int, Int) {
        let z = z0 + 719468
        let era = (z >= 0 ? z : z - 146096) / 146097
        let doe = z - era * 146097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        return (yoe + era * 400 + (m <= 2 ? 1 : 0), m, d)
    }
}

private func pad(_ v: Int, _ width: Int) -> String {
    let s = String(abs(v))
    return (v < 0 ? "-" : "") + String(repeating: "0", count: max(0, width - s.count)) + s
}

extension CalendarDate {
    /// The first day of period `t` of a projection anchored here (months, quarters and
    /// years step by calendar months from the anchor, clamped at month ends).
    func periodStart(_ t: Int, _ unit: PeriodUnit) -> CalendarDate? {
        switch unit {
        case .days: return CalendarDate(days: days + t)
        case .weeks: return CalendarDate(days: days + 7 * t)
        case .months: return addingMonths(t)
        case .quarters: return addingMonths(3 * t)
        case .years: return addingMonths(12 * t)
        }
    }

    /// The label of a period starting at this date, for a period kind such as `months`
    /// (as reports show it: `2026-03`); the date itself for an unknown kind.
    public func periodLabel(_ period: String) -> String {
        PeriodUnit(rawValue: period).map { label($0) } ?? description
    }

    /// The label of the period starting at this date: `2026-03-31`, `2026-W14`,
    /// `2026-03`, `2026-Q3`, `2026`.
    func label(_ unit: PeriodUnit) -> String {
        switch unit {
        case .days: return description
        case .weeks:
            let w = isoWeek
            return pad(w.year, 4) + "-W" + pad(w.week, 2)
        case .months: return pad(year, 4) + "-" + pad(month, 2)
        case .quarters: return pad(year, 4) + "-Q\(quarter)"
        case .years: return pad(year, 4)
        }
    }
}

extension NumberUnit {
    /// The unit of a date value.
    static let date = NumberUnit(time: 1, display: .date)
    /// True for a date (an instant), as opposed to a duration.
    var isDate: Bool { display == .date }
}

extension Value {
    /// A date value.
    public static func date(_ d: CalendarDate) -> Value { .number(d.unixSeconds, .date) }

    /// The date of a date value, or nil.
    public var dateValue: CalendarDate? {
        if case .number(let s, let u) = self, u.isDate { return CalendarDate(unixSeconds: s) }
        return nil
    }
}

extension Evaluator {
    /// Date arithmetic (`+ -` with a date on either side, `date - date`) and date
    /// comparisons; nil when neither operand is a date.
    func dateArithmetic(_ op: BinaryOp, _ x: Double, _ ux: NumberUnit, _ y: Double, _ uy: NumberUnit,
                        _ n: Node) throws(EvalError) -> Value? {
        guard ux.isDate || uy.isDate else { return nil }
        func fail(_ what: String, _ hint: String? = nil) -> EvalError {
            EvalError(message: "cannot \(what)", span: n.span, hint: hint, kind: .compile)
        }
        switch op {
        case .add, .sub:
            if ux.isDate && uy.isDate {
                guard op == .sub else { throw fail("add two dates", "subtract them for the time between, or add a duration such as 30d") }
                return .number(x - y, NumberUnit(time: 1, display: .d))
            }
            if uy.isDate && op == .sub { throw fail("subtract a date from \(ux.nameForMessages)") }
            let (date, dur, du) = ux.isDate ? (x, y, uy) : (y, x, ux)
            guard du.time == 1 && du.money == 0 && du.per == .plain else {
                throw fail("\(op == .add ? "add" : "subtract") \(du.nameForMessages) \(op == .add ? "to" : "from") a date",
                           "add a duration such as 30d, 2wk or 1mo")
            }
            let sign: Double = op == .add ? 1 : -1
            guard let r = Self.shift(CalendarDate(unixSeconds: date), by: sign * dur, du) else {
                throw EvalError(message: "date out of range (years -9999…9999)", span: n.span)
            }
            return .date(r)
        case .eq, .ne, .lt, .le, .gt, .ge:
            guard ux.isDate && uy.isDate else {
                throw fail("compare a date and \((ux.isDate ? uy : ux).nameForMessages)", "compare a date with another date, e.g. due < 2027-01-01")
            }
            return nil
        default:
            throw fail("\(op == .mul ? "multiply" : op == .div ? "divide" : "raise") a date", "dates can be compared, and moved with + and - a duration")
        }
    }

    /// A date moved by a duration. Whole months, quarters and years (a duration shown in
    /// `mo`, `qtr` or `yr`) move by calendar months, clamped at month ends; any other
    /// duration moves by its exact length, landing on the day that contains the result.
    static func shift(_ d: CalendarDate, by seconds: Double, _ u: NumberUnit) -> CalendarDate? {
        guard seconds.isFinite, abs(seconds) < 1e12 else { return nil }
        let monthSeconds = NumberUnit.timeScale(.mo)
        switch u.display {
        case .mo, .qtr, .yr:
            let months = seconds / monthSeconds
            let whole = months.rounded()
            if abs(months - whole) < 1e-9 * max(1, abs(months)) {
                return d.addingMonths(Int(whole))
            }
        default: break
        }
        let r = CalendarDate(unixSeconds: d.unixSeconds + seconds)
        return r.year >= -9999 && r.year <= 9999 ? r : nil
    }

    /// `date.year`, `.month`, `.day`, `.quarter`, `.weekday`; nil for other names.
    static func dateMember(_ d: CalendarDate, _ name: String) -> Value? {
        switch name {
        case "year": return .number(Double(d.year))
        case "month": return .number(Double(d.month))
        case "day": return .number(Double(d.day))
        case "quarter": return .number(Double(d.quarter))
        case "weekday": return .number(Double(d.weekday))
        case "week": return .number(Double(d.isoWeek.week))
        default: return nil
        }
    }
}

extension Evaluator {
    /// `x -> unit`: a duration shown in another time unit, or a rate over another one.
    func convert(_ v: Value, _ d: NumberUnit.Display, _ n: Node) throws(EvalError) -> Value {
        let target = NumberUnit(time: 1, display: d).symbol
        guard case .number(let x, let u) = v, !u.isDate else {
            throw EvalError(message: "cannot convert \(v.dateValue != nil ? "a date" : describeOperand(v, n.a)) to '\(target)'", span: n.span,
                            hint: "'->' shows a duration or a rate in another time unit, e.g. 90d -> mo", kind: .compile)
        }
        if u.time == 1 && u.money == 0 { return .number(x, NumberUnit(time: 1, display: d)) }
        if u.per != .plain || u.time == -1 {
            let shown: NumberUnit.Display = u.per != .plain ? u.display : u.money == 1 && u.time == -1 ? .money : .plain
            return .number(x, NumberUnit(time: u.time, money: u.money, display: shown, per: d))
        }
        throw EvalError(message: "cannot convert \(u.nameForMessages) to '\(target)'", span: n.span,
                        hint: "'->' shows a duration or a rate in another time unit, e.g. 90d -> mo", kind: .compile)
    }
}
