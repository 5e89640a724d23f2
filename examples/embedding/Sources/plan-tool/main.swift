// plan-tool: a small planning program that embeds the Strat interpreter.
//
// It loads a launch plan (embedded below, or a .strat file given on the command line),
// gives the plan a currency-conversion function `fx` backed by the host's own rate table,
// and prints tables: key outputs, what-ifs, scenarios and an FX stress test.
//
//     swift run plan-tool                 # the embedded plan
//     swift run plan-tool path/plan.strat # a plan of your own (it may call fx too)
//
// See docs/embedding.md at the repository root for the API this program walks through.
import Foundation   // NSLock and exit; StratKit itself does not need Foundation
import StratKit

// MARK: - Host data

/// US dollars per unit of each currency: data the host owns, not the model.
let baseRates: [String: Double] = ["USD": 1, "EUR": 1.08, "GBP": 1.27, "JPY": 0.0067]

/// The plan, as a host might keep it in a database or a bundle.
let embeddedPlan = #"""
org "Acme Widgets"
mission "Bring the widget to Europe, profitably"

import "assumptions.strat"              // served from memory by the host

let currency = "EUR"
let local_price = 49                    // list price, in the local currency
let price = fx(local_price, currency)   // host function: converts to US dollars
let units = 12K                         // units sold per month
let unit_cost = $30
let revenue = price * units
let cost = unit_cost * units + fixed_costs
let margin = (revenue - cost) / revenue

objective LAUNCH "A profitable European launch" {
  kr MARGIN "Reach a 35% operating margin" { baseline: 10%, target: 35%, current: margin }
  kr REVENUE "Book $600K of monthly revenue" { target: $600K, current: revenue }
}
metric CHURN "Monthly churn at or below 3%" { current: churn, target: <= 3% }

projection customers over 12 months {
  start: units
  next: value * (1 - churn) + new_customers
}

scenario discount "Cut the price to win volume" { local_price = 39; units = 16K }
scenario premium "Premium positioning" { local_price = 59; units = 9K; churn = 2.5% }
scenario uk "Launch in the UK instead" { currency = "GBP"; local_price = 42 }

print "price per unit: \(price)"
"""#

/// Modules the embedded plan imports; an `InMemoryImporter` serves them, so loading the
/// embedded plan reads no file at all.
let modules = [
    "assumptions.strat": """
    let churn = 3.4%            // monthly
    let fixed_costs = $60K      // per month
    let new_customers = 900     // per month
    """,
]

// MARK: - The engine

struct UnknownCurrency: Error, CustomStringConvertible {
    let code: String
    var description: String { "no exchange rate for '\(code)'" }
}

/// A thread-safe list of lines, for the `print` sink (which must be `@Sendable`).
final class Lines: @unchecked Sendable {
    private var items: [String] = []
    private let lock = NSLock()
    func append(_ s: String) { lock.withLock { items.append(s) } }
    var all: [String] { lock.withLock { items } }
}

/// Makes an engine with `fx` registered against `rates`, and loads the plan.
func makeEngine(planFile: String?, rates: [String: Double], printed: Lines) throws -> Engine {
    var configuration = Configuration(
        // Untrusted plans cannot run away: tighter limits than the defaults.
        limits: Limits(maxCallDepth: 64, maxSteps: 5_000_000, maxPeriods: 10_000),
        // Embedded plan: imports come from memory. A plan file: the default importer,
        // confined to the file's folder.
        importer: planFile == nil ? InMemoryImporter(modules) : nil,
        output: { line in printed.append(line) })
    configuration.useDefaultImporter = planFile != nil

    let engine = Engine(configuration: configuration)
    // Register host functions before loading: calls are checked when the plan loads.
    engine.register(function: "fx", arity: 2) { args in
        guard let amount = args[0].doubleValue, let code = args[1].stringValue else {
            throw UnknownCurrency(code: args[1].description)
        }
        guard let rate = rates[code] else { throw UnknownCurrency(code: code) }
        return .money(amount * rate)
    }
    if let planFile {
        try engine.load(file: planFile)
    } else {
        try engine.load(source: embeddedPlan, path: "launch.strat")
    }
    return engine
}

// MARK: - Output helpers

/// Prints rows as a table with aligned columns (the first column left-aligned).
func table(_ header: [String], _ rows: [[String]]) {
    let all = [header] + rows
    let widths = header.indices.map { c in all.map { $0[c].count }.max() ?? 0 }
    func line(_ r: [String]) -> String {
        r.enumerated().map { c, s in
            let pad = String(repeating: " ", count: widths[c] - s.count)
            return c == 0 ? s + pad : pad + s
        }.joined(separator: "  ")
    }
    print(line(header))
    print(widths.map { String(repeating: "-", count: $0) }.joined(separator: "  "))
    for r in rows { print(line(r)) }
    print()
}

/// A score 0…1 with two decimals, or "-".
func score(_ v: Value?) -> String {
    guard let d = v?.doubleValue else { return "-" }
    let hundredths = Int((d * 100).rounded())
    let frac = hundredths % 100
    return "\(hundredths / 100).\(frac < 10 ? "0" : "")\(frac)"
}

/// A fraction as a percent with one decimal ("33.9%"), or "-".
func percent(_ v: Value?) -> String {
    guard let d = v?.doubleValue else { return "-" }
    let tenths = Int((d * 1000).rounded())
    let sign = tenths < 0 ? "-" : ""
    return "\(sign)\(abs(tenths) / 10).\(abs(tenths) % 10)%"
}

/// A count rounded to a whole number ("16916"), or "-".
func whole(_ v: Value?) -> String {
    guard let d = v?.doubleValue, d.isFinite else { return "-" }
    return String(Int(d.rounded()))
}

/// How the tables show each output.
func show(_ name: String, _ v: Value?) -> String {
    switch name {
    case "margin": return percent(v)
    case "customers.final": return whole(v)
    case _ where name.hasSuffix("score"): return score(v)
    default: return v?.description ?? "-"
    }
}

var failures = 0
@MainActor func check(_ ok: Bool, _ what: String) {
    if !ok {
        failures += 1
        print("CHECK FAILED: \(what)")
    }
}

// MARK: - Main

let arguments = Array(CommandLine.arguments.dropFirst())
if arguments.contains("--help") || arguments.count > 1 {
    print("usage: plan-tool [PLAN.strat]")
    exit(arguments.contains("--help") ? 0 : 64)
}
let planFile = arguments.first
let keyOutputs = ["price", "revenue", "cost", "margin", "LAUNCH.score", "plan.score", "customers.final"]

do {
    let printed = Lines()
    let engine = try makeEngine(planFile: planFile, rates: baseRates, printed: printed)
    for w in engine.diagnostics where w.severity == .warning { print(w.rendered()) }

    print("== \(planFile ?? "launch.strat (embedded)"): key outputs\n")
    var baseline: [String: Value] = [:]
    var rows: [[String]] = []
    for name in keyOutputs {
        guard let v = try? engine.evaluate(name) else { continue }   // a plan of your own may lack some
        baseline[name] = v
        rows.append([name, show(name, v)])
    }
    table(["output", "value"], rows)
    for line in printed.all { print("print: \(line)") }
    print()

    // What-ifs: each is evaluated against the plan without changing it, and only the
    // values downstream of the overridden ones are recomputed.
    if planFile == nil {
        print("== What-ifs (the plan itself is unchanged)\n")
        let whatIfs: [(String, [String: String])] = [
            ("price 45", ["local_price": "45"]),
            ("units 15K", ["units": "15K"]),
            ("unit cost $26", ["unit_cost": "$26"]),
            ("churn 2%", ["churn": "2%"]),
            ("GBP pricing", ["currency": "\"GBP\"", "local_price": "41"]),
        ]
        rows = []
        for (label, overrides) in whatIfs {
            let before = engine.cellsComputed
            let changes = try engine.whatIf(overrides)
            let cost = engine.cellsComputed - before
            func after(_ path: String) -> Value? {
                changes.first { $0.path == path }?.after ?? baseline[path]
            }
            rows.append([label, show("revenue", after("revenue")), show("margin", after("margin")),
                         show("plan.score", after("plan.score")), show("customers.final", after("customers.final")),
                         "\(changes.count)", "\(cost)"])
        }
        table(["what-if", "revenue", "margin", "plan", "customers", "changed", "recomputed"], rows)
        check(try engine.evaluate("revenue") == baseline["revenue"], "a what-if changed the plan")

        // Scenarios: a report per scenario, in the shape of `strat run --format json`.
        print("== Scenarios\n")
        rows = []
        for name in ["baseline"] + engine.scenarioNames {
            let report = try engine.report(scenario: name)
            func variable(_ n: String) -> String {
                show(n, report.variables.first { $0.name == n }?.value.value)
            }
            let launch = report.objectives.first { $0.name == "LAUNCH" }
            rows.append([name, variable("price"), variable("revenue"), variable("margin"),
                         score(launch?.score.map { Value.number($0) }),
                         report.metrics.first?.status ?? "-"])
        }
        table(["scenario", "price", "revenue", "margin", "LAUNCH", "churn <= 3%"], rows)

        // Goal seek: the monthly units at which the margin reaches 35%, and which inputs
        // move the margin most. Both leave the plan unchanged.
        print("== Goal seek and sensitivity\n")
        let goal = try engine.solve("units", for: "margin", equals: "35%")
        print("  units for a 35% margin: \(goal.value)  (\(goal.evaluations) trial points)")
        // margin = (p·u − $30·u − $60K) / (p·u) = 35% with p = 49 × 1.08: u = 60K / (0.65·p − 30).
        let price = 49 * 1.08
        check(abs(goal.value.doubleValue! - 60_000 / (0.65 * price - 30)) < 1e-6, "solve missed the closed form")
        let tornado = try engine.sensitivity(of: "margin", by: 0.1, top: 3)
        rows = tornado.rows.map { [$0.input, show("margin", $0.low), show("margin", $0.high), score(.number($0.swing))] }
        print()
        table(["input ±10%", "margin at -10%", "margin at +10%", "swing"], rows)
        check(tornado.rows.first?.input == "local_price", "the price should move the margin most")
        check(try engine.evaluate("units").doubleValue == 12_000 && engine.evaluate("margin") == baseline["margin"], "a goal seek changed the plan")

        // The host's data feeds the model through fx: a second engine with a weaker euro.
        print("== FX stress: EUR 10% weaker\n")
        var stressed = baseRates
        stressed["EUR"] = baseRates["EUR"]! * 0.9
        let stressedEngine = try makeEngine(planFile: nil, rates: stressed, printed: Lines())
        rows = []
        for name in ["price", "revenue", "margin", "plan.score"] {
            let a = baseline[name], b = try stressedEngine.evaluate(name)
            rows.append([name, show(name, a), show(name, b)])
        }
        table(["output", "EUR 1.08", "EUR 0.972"], rows)

        // Errors are values the host can show: a currency fx does not know is a
        // diagnostic at the call site; a typo gets a hint.
        print("== Errors are diagnostics\n")
        do {
            _ = try engine.whatIf(["currency": "\"CHF\""])
            check(false, "fx accepted an unknown currency")
        } catch let error as StratError {
            print(error.description + "\n")
            check(error.kind == .runtime, "a host function error is a runtime diagnostic")
        }
        do {
            _ = try engine.evaluate("revenu * 2")
            check(false, "a typo evaluated")
        } catch let error as StratError {
            print(error.description + "\n")
            check(error.diagnostics.first?.hint == "did you mean 'revenue'?", "the typo has a hint")
        }
        check(try engine.evaluate("revenue") == baseline["revenue"], "a failed what-if changed the plan")

        // set commits an override: later queries, what-ifs and reports start from it.
        print("== Committed: units = 13K\n")
        for change in try engine.set("units", "13K") where keyOutputs.contains(change.path) {
            print("  \(change.path): \(show(change.path, change.before)) -> \(show(change.path, change.after))")
        }
        print()
        check(try engine.evaluate("units").doubleValue == 13_000, "set did not commit")
    }
} catch let error as StratError {
    print(error.description)
    exit(error.kind == .io ? 66 : error.kind == .runtime ? 70 : 65)
}

if failures > 0 {
    print("\(failures) check(s) failed")
    exit(1)
}
