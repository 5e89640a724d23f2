// Goal seek and sensitivity through the embedding API (SPEC §16): `Engine.solve`,
// `Engine.sensitivity` and the `solve` expression, against closed forms and values
// worked out by hand.
import Foundation
import XCTest
import StratKit

final class SolveTests: XCTestCase {
    static let pricing = """
        let price = $10
        let units = 500
        let fixed = $2000
        let profit = price * units - fixed - units * $2
        let label = "pricing"
        let users = 50K
        objective GROW "Grow" {
          kr USERS "100K users" { target: >= 100, current: users / 1000 }
        }
        scenario cheap { price = $8 }
        """

    func engine(_ source: String = pricing) throws -> Engine {
        let e = Engine()
        try e.load(source: source, path: "pricing.strat")
        return e
    }

    private func messages(_ body: () throws -> Void) -> [String] {
        do {
            try body()
            return []
        } catch let e as StratError {
            return e.diagnostics.map(\.message)
        } catch {
            return ["\(error)"]
        }
    }

    // MARK: solve

    func testLinearSolveHasClosedFormAnswerAndLeavesModelUnchanged() throws {
        let e = try engine()
        // profit = 500·price − 3000 = $7000 ⇒ price = $20.
        let r = try e.solve("price", for: "profit", equals: "$7000")
        XCTAssertEqual(r.value.doubleValue!, 20, accuracy: 1e-9)
        XCTAssertEqual(r.value.unit?.symbol, "$")
        XCTAssertEqual(r.value.description, "$20")
        XCTAssertEqual(r.achieved.doubleValue!, 7000, accuracy: 7000 * 1e-9)
        XCTAssertEqual(r.start.doubleValue, 10)
        XCTAssertEqual(r.target.doubleValue, 7000)
        XCTAssertFalse(r.boundary)
        XCTAssertGreaterThan(r.evaluations, 1)
        XCTAssertLessThanOrEqual(r.bracketLow.doubleValue!, 20)
        XCTAssertGreaterThanOrEqual(r.bracketHigh.doubleValue!, 20)
        XCTAssertEqual(r.input, "price")
        XCTAssertEqual(r.scenario, "baseline")
        XCTAssertEqual(try e.evaluate("price").doubleValue, 10)
        XCTAssertEqual(try e.evaluate("profit").doubleValue, 2000)
    }

    func testSolveWithRangeScenarioAndOverrides() throws {
        let e = try engine()
        // units = (profit + fixed) / (price − $2): under `cheap`, (3000 + 2000) / 6.
        let r = try e.solve("units", for: "profit", equals: "$3000", in: (low: "0", high: "10000"), scenario: "cheap")
        XCTAssertEqual(r.value.doubleValue!, 5000.0 / 6, accuracy: 1e-9)
        XCTAssertEqual(r.scenario, "cheap")
        let o = try e.solve("units", for: "profit", equals: "$3000", overrides: [(path: "fixed", expr: "$1000")])
        XCTAssertEqual(o.value.doubleValue!, 4000.0 / 8, accuracy: 1e-9)
        XCTAssertEqual(try e.evaluate("price").doubleValue, 10)
        XCTAssertEqual(try e.evaluate("fixed").doubleValue, 2000)
    }

    func testCAGRAndChurnClosedForms() throws {
        let e = try engine("""
            let rate = 12%
            projection revenue over 5 years { start: $33B, growth: rate }
            let churn = 3%
            projection cohort over 12 months { start: 1M, next: value * (1 - churn) }
            """)
        let cagr = try e.solve("rate", for: "revenue.final", equals: "$52B")
        XCTAssertEqual(cagr.value.doubleValue!, pow(52.0 / 33.0, 1.0 / 5) - 1, accuracy: 1e-12)
        XCTAssertEqual(cagr.value.unit?.symbol, "%")
        XCTAssertLessThanOrEqual(abs(cagr.achieved.doubleValue! - 52e9), 1e-9 * 52e9)
        let churn = try e.solve("churn", for: "cohort.final", equals: "400K")
        XCTAssertEqual(churn.value.doubleValue!, 1 - pow(0.4, 1.0 / 12), accuracy: 1e-12)
        XCTAssertEqual(try e.evaluate("churn").doubleValue, 0.03)
    }

    func testConvergesWithinTheToleranceOnNonlinearFunctions() throws {
        let e = try engine("""
            let x = 1.5
            let cubic = x ^ 3 - 2 * x
            let bump = exp(x) / (1 + x * x)
            let money = $1M * x ^ 2
            """)
        for (expr, goals) in [("cubic", [-1.0, 0, 0.5, 10, 1000, 1e6]), ("bump", [1.0, 2, 50]), ("money", [2e6, 5e9])] {
            for g in goals {
                let r = try e.solve("x", for: expr, equals: expr == "money" ? "$\(g)" : "\(g)")
                XCTAssertFalse(r.boundary, "\(expr) = \(g)")
                XCTAssertLessThanOrEqual(abs(r.achieved.doubleValue! - g), 1e-9 * max(1, abs(g)), "\(expr) = \(g) at x = \(r.value)")
                // The answer really gives that value when set.
                let check = try e.withOverrides(scenario: nil, overrides: [(path: "x", expr: "\(r.value.doubleValue!)")]) {
                    try e.evaluate(expr).doubleValue!
                }
                XCTAssertLessThanOrEqual(abs(check - g), 1e-9 * max(1, abs(g)))
            }
        }
    }

    func testStartThatFailsAndPoles() throws {
        let e = Engine()
        // f fails to evaluate at load (a runtime error): the model stays queryable.
        XCTAssertThrowsError(try e.load(source: "let x = 1\nlet f = 1 / (x - 1)\n", path: "pole.strat"))
        // f fails at the start (x = 1); the search widens past it: 1 / (x − 1) = 5 ⇒ x = 1.2.
        XCTAssertEqual(try e.solve("x", for: "f", equals: "5").value.doubleValue!, 1.2, accuracy: 1e-12)
        XCTAssertEqual(try e.solve("x", for: "f", equals: "-5").value.doubleValue!, 0.8, accuracy: 1e-12)
        // f changes sign across its pole without ever being 0: not a solution.
        let pole = messages { _ = try e.solve("x", for: "f", equals: "0", in: (low: "0.5", high: "1.7")) }
        XCTAssertTrue(pole.first?.contains("no solution: 'f' passes 0 without reaching it for x from 0.5 to 1.7") == true, "\(pole)")
        // Without a range the pole does not stop the search on the other side: 1 / (x − 1) = 2 ⇒ 1.5,
        // though the downward side meets the pole first.
        let e2 = try engine("let x = 0.9\nlet g = 1 / (x - 1)\n")
        XCTAssertEqual(try e2.solve("x", for: "g", equals: "2").value.doubleValue!, 1.5, accuracy: 1e-12)
    }

    func testRootsBetweenTheWideningSteps() throws {
        let e = try engine("let x = 0.5\nlet f = (x - 1) * (x - 1.2)\n")
        // f stays positive at every doubling step from 0.5 (0.525, 0.55, 0.6, 0.7, 0.9, 1.3, …);
        // its dip is searched closer and the root nearest the start is found.
        XCTAssertEqual(try e.solve("x", for: "f", equals: "0").value.doubleValue!, 1, accuracy: 1e-12)
        // x² − 2.2x + 1.205 = 0 ⇒ x = (2.2 − √0.02) / 2.
        XCTAssertEqual(try e.solve("x", for: "f", equals: "-0.005").value.doubleValue!, (2.2 - 0.02.squareRoot()) / 2, accuracy: 1e-12)
    }

    func testThresholdKRConvergesToTheBoundary() throws {
        let e = try engine()
        // score is 0 below 100K users and 1 from there on: the boundary is 100K.
        let met = try e.solve("users", for: "GROW.USERS.score", equals: "1")
        XCTAssertEqual(met.value.doubleValue!, 100_000, accuracy: 1e-3)
        XCTAssertEqual(met.achieved.doubleValue, 1)
        XCTAssertFalse(met.boundary)
        // No value gives 0.5: the score jumps across it at the boundary.
        let half = try e.solve("users", for: "GROW.USERS.score", equals: "0.5")
        XCTAssertTrue(half.boundary)
        XCTAssertEqual(half.value.doubleValue!, 100_000, accuracy: 1e-3)
        XCTAssertTrue(half.description.contains("jumps across"))
    }

    func testErrorsNameTheProblem() throws {
        let e = try engine()
        let none = messages { _ = try e.solve("price", for: "profit", equals: "$1M", in: (low: "$1", high: "$20")) }
        XCTAssertEqual(none.count, 1)
        XCTAssertTrue(none[0].contains("no solution") && none[0].contains("from $1 to $20"), none[0])
        let widened = messages { _ = try e.solve("price", for: "max(profit, $0)", equals: "-$5") }
        XCTAssertTrue(widened.first?.contains("no solution: 'max(profit, $0)' stays above -$5 for price from") == true, "\(widened)")
        let independent = messages { _ = try e.solve("fixed", for: "price * units", equals: "$1") }
        XCTAssertEqual(independent, ["'price * units' does not depend on 'fixed'"])
        let units = messages { _ = try e.solve("price", for: "profit", equals: "3") }
        XCTAssertTrue(units.first?.hasPrefix("unit mismatch") == true, "\(units)")
        let rangeUnits = messages { _ = try e.solve("price", for: "profit", equals: "$1", in: (low: "1s", high: "2s")) }
        XCTAssertTrue(rangeUnits.first?.contains("the range is in 's' but 'price' is in '$'") == true, "\(rangeUnits)")
        let computed = messages { _ = try e.solve("GROW.USERS.score", for: "profit", equals: "$1") }
        XCTAssertTrue(computed.first?.contains("computed") == true, "\(computed)")
        let unknown = messages { _ = try e.solve("prise", for: "profit", equals: "$1") }
        XCTAssertTrue(unknown.first?.contains("prise") == true, "\(unknown)")
        let text = messages { _ = try e.solve("label", for: "profit", equals: "$1") }
        XCTAssertFalse(text.isEmpty)
        // After every failure the model is as it was.
        XCTAssertEqual(try e.evaluate("profit").doubleValue, 2000)
    }

    func testSolveExpressionJoinsTheDependencyGraph() throws {
        let e = try engine(Self.pricing + "\nlet needed_price = solve price for profit = $7000\n")
        XCTAssertEqual(try e.evaluate("needed_price").doubleValue!, 20, accuracy: 1e-9)
        // A what-if on something the goal reads moves the answer: (7000 + 1000 + 1000) / 500.
        let changes = try e.whatIf(["fixed": "$1000"])
        let moved = changes.first { $0.path == "needed_price" }
        XCTAssertNotNil(moved)
        XCTAssertEqual(moved!.after.doubleValue!, 18, accuracy: 1e-9)
        // 10·units − 2000 − 2·units = 0 ⇒ units = 250.
        XCTAssertEqual(try e.evaluate("solve units for profit = $0").doubleValue!, 250, accuracy: 1e-9)
    }

    func testEachTrialRecomputesOnlyDependents() throws {
        var src = "let x = 1\nlet y = x * 2\nlet z = y + 1\n"
        for i in 0..<2000 { src += "let a\(i) = \(i)\nlet b\(i) = a\(i) * 2\n" }
        let e = try engine(src)
        let before = e.cellsComputed
        let r = try e.solve("x", for: "z", equals: "7")
        XCTAssertEqual(r.value.doubleValue!, 3, accuracy: 1e-12)
        let spent = e.cellsComputed - before
        // y and z per trial point (x is set, not computed); nothing of the 4000 others.
        XCTAssertLessThanOrEqual(spent, 2 * r.evaluations)
        XCTAssertGreaterThan(e.cellCount, 4000)
        let s0 = e.cellsComputed
        let s = try e.sensitivity(of: "z")
        XCTAssertEqual(s.rows.map(\.input), ["x"])
        XCTAssertLessThanOrEqual(e.cellsComputed - s0, 4)
    }

    func testResultsEncodeToTheCLIJSONShape() throws {
        let e = try engine()
        let r = try e.solve("price", for: "profit", equals: "$7000")
        for data in [Data(r.json().utf8), try JSONEncoder().encode(r)] {
            let o = try XCTUnwrap(JSONSerialization.jsonObject(with: data) as? [String: Any])
            XCTAssertEqual(o["input"] as? String, "price")
            XCTAssertEqual(o["for"] as? String, "profit")
            let v = try XCTUnwrap(o["value"] as? [String: Any])
            XCTAssertEqual(v["value"] as? Double ?? .nan, 20, accuracy: 1e-9)
            XCTAssertEqual(v["unit"] as? String, "$")
            XCTAssertEqual(v["display"] as? String, "$20")
            XCTAssertEqual((o["bracket"] as? [Any])?.count, 2)
            XCTAssertEqual(o["boundary"] as? Bool, false)
            XCTAssertNotNil(o["evaluations"] as? Int)
        }
        let s = try e.sensitivity(of: "profit")
        for data in [Data(s.json().utf8), try JSONEncoder().encode(s)] {
            let o = try XCTUnwrap(JSONSerialization.jsonObject(with: data) as? [String: Any])
            let rows = try XCTUnwrap(o["rows"] as? [[String: Any]])
            XCTAssertEqual(rows.first?["input"] as? String, "price")
            XCTAssertEqual(rows.first?["swing"] as? Double ?? .nan, 1000, accuracy: 1e-9)
            XCTAssertEqual(o["inputs"] as? Int, 3)
        }
    }

    // MARK: sensitivity

    func testTornadoOrderAndValuesByHand() throws {
        let e = try engine()
        // profit = price·units − fixed − $2·units = 5000 − 2000 − 1000 = $2000.
        let s = try e.sensitivity(of: "profit", by: 0.1)
        XCTAssertEqual(s.base.doubleValue, 2000)
        XCTAssertEqual(s.inputCount, 3)
        XCTAssertEqual(s.rows.map(\.input), ["price", "units", "fixed"])
        func check(_ i: Int, low: Double, high: Double, swing: Double, elasticity: Double) {
            let r = s.rows[i]
            XCTAssertEqual(r.low.doubleValue!, low, accuracy: 1e-9, r.input)
            XCTAssertEqual(r.high.doubleValue!, high, accuracy: 1e-9, r.input)
            XCTAssertEqual(r.swing, swing, accuracy: 1e-9, r.input)
            XCTAssertEqual(r.elasticity!, elasticity, accuracy: 1e-12, r.input)
            XCTAssertNil(r.error)
        }
        // price $9 / $11: 4500 − 3000 = 1500, 5500 − 3000 = 2500.
        check(0, low: 1500, high: 2500, swing: 1000, elasticity: 1000.0 / 2000 / 0.2)
        // units 450 / 550: 4500 − 2000 − 900 = 1600, 5500 − 2000 − 1100 = 2400.
        check(1, low: 1600, high: 2400, swing: 800, elasticity: 800.0 / 2000 / 0.2)
        // fixed $1800 / $2200: 2200 and 1800, falling as fixed rises.
        check(2, low: 2200, high: 1800, swing: 400, elasticity: -400.0 / 2000 / 0.2)
        XCTAssertEqual(s.rows[0].lowInput.doubleValue!, 9, accuracy: 1e-12)
        XCTAssertEqual(s.rows[0].highInput.doubleValue!, 11, accuracy: 1e-12)
        XCTAssertEqual(s.rows[0].value.description, "$10")
        // by 50%, top 2.
        let t = try e.sensitivity(of: "profit", by: 0.5, top: 2)
        XCTAssertEqual(t.rows.count, 2)
        XCTAssertEqual(t.inputCount, 3)
        XCTAssertEqual(t.rows[0].low.doubleValue!, 5 * 500 - 3000, accuracy: 1e-9)
        // The model is unchanged.
        XCTAssertEqual(try e.evaluate("profit").doubleValue, 2000)
        XCTAssertEqual(try e.evaluate("price").doubleValue, 10)
    }

    func testSensitivityInputsAreLiteralLetsAndProperties() throws {
        let e = try engine("""
            let base_rate = 40%
            let stretch = base_rate + 5%
            objective O "O" {
              weight: 2
              kr A "A" { baseline: 0%, target: 100%, current: stretch }
              kr B "B" { baseline: 0%, target: 100%, current: 30% }
            }
            projection p over 4 years { start: 100, growth: 10% }
            """)
        let s = try e.sensitivity(of: "plan.score")
        // `stretch` reads another name; weights not given are defaults, not inputs; the
        // plan score does not read the projection.
        XCTAssertEqual(Set(s.rows.map(\.input)), ["base_rate", "O.A.target", "O.A.baseline", "O.B.current", "O.B.target",
                                                  "O.B.baseline", "O.weight"])
        let p = try e.sensitivity(of: "p.final")
        XCTAssertEqual(Set(p.rows.map(\.input)), ["p.start", "p.growth"])
        let bad = messages { _ = try e.sensitivity(of: "O.A.status") }
        XCTAssertTrue(bad.first?.contains("needs a number") == true, "\(bad)")
        XCTAssertFalse(messages { _ = try e.sensitivity(of: "plan.score", by: 1.5) }.isEmpty)
    }

    // MARK: uncertain models (SPEC §16: the mean, with fixed draws)

    func uncertainEngine(_ source: String, threads: Int? = nil) throws -> Engine {
        var c = Configuration()
        c.threads = threads
        let e = Engine(configuration: c)
        try e.load(source: source, path: "uncertain.strat")
        return e
    }

    static let normalModel = """
        simulate 10000 seed 7
        let m = 3
        let x = normal(m, 1) * 2
        """

    func testUncertainSolveIsOnTheMeanWithTheSameDrawsAtEveryTrial() throws {
        let e = try uncertainEngine(Self.normalModel)
        // x = 2(m + z) with z the fixed draws: mean(x) = 10 exactly where m = 5 − mean(z),
        // and mean(z) = mean(x)/2 − 3 at m = 3. Fresh draws per trial would miss this by
        // ~1/√N and could not converge to 1e-9.
        let before = try XCTUnwrap(try e.evaluate("mean(x)").doubleValue)
        let closedForm = 5 - (before / 2 - 3)
        let r = try e.solve("m", for: "mean(x)", equals: "10")
        XCTAssertEqual(r.value.doubleValue!, closedForm, accuracy: 1e-8)
        XCTAssertEqual(r.value.doubleValue!, 5, accuracy: 4 * 1 / 100, "within 4 standard errors of the exact 5")
        XCTAssertEqual(r.achieved.doubleValue!, 10, accuracy: 1e-8)
        // The distribution itself reaches the mean too (its achieved value is uncertain).
        let d = try e.solve("m", for: "x", equals: "10")
        XCTAssertEqual(d.value.doubleValue!, closedForm, accuracy: 1e-8)
        XCTAssertTrue(d.achieved.isUncertain)
        XCTAssertEqual(d.achieved.mean!, 10, accuracy: 1e-8)
        // The model is unchanged, and the same seed on two threads gives the same answer.
        XCTAssertEqual(try e.evaluate("mean(x)").doubleValue, before)
        let two = try uncertainEngine(Self.normalModel, threads: 2).solve("m", for: "mean(x)", equals: "10")
        let one = try uncertainEngine(Self.normalModel, threads: 1).solve("m", for: "mean(x)", equals: "10")
        XCTAssertEqual(one.value.doubleValue, two.value.doubleValue)
        XCTAssertEqual(one.value.doubleValue, r.value.doubleValue)
    }

    func testUncertainSolveExpressionDrawsItsConstructorOnce() throws {
        let e = try uncertainEngine(Self.normalModel)
        // The constructor inside EXPR is one random variable across the trials.
        let a = try XCTUnwrap(try e.evaluate("solve m for mean(normal(m, 1) * 2) = 10").doubleValue)
        XCTAssertEqual(a, 5, accuracy: 0.04)
        XCTAssertEqual(try e.evaluate("solve m for mean(normal(m, 1) * 2) = 10").doubleValue, a, "the same draws every time")
    }

    func testSolvingForAnUncertainInputIsAClearError() throws {
        let e = try uncertainEngine("let churn = 3% to 5%\nlet lost = 100M * churn")
        let m = messages { _ = try e.solve("churn", for: "lost", equals: "5M") }
        XCTAssertTrue(m.first?.contains("'churn' is uncertain") == true, "\(m)")
    }

    static let churnModel = """
        simulate 5000 seed 11
        let churn = 3% to 5%
        let members = 100M
        let lost = members * churn
        let flag = uniform(0, 1) > 0.5
        let flagged = if flag then lost else lost
        """

    func testSensitivityFixesAnUncertainInputAtItsP10AndP90() throws {
        let e = try uncertainEngine(Self.churnModel)
        let p10 = try XCTUnwrap(try e.evaluate("percentile(churn, 10%)").doubleValue)
        let p90 = try XCTUnwrap(try e.evaluate("percentile(churn, 90%)").doubleValue)
        let mean = try XCTUnwrap(try e.evaluate("mean(lost)").doubleValue)
        let s = try e.sensitivity(of: "lost")
        XCTAssertEqual(s.base.mean!, mean, accuracy: 1e-6)
        let churn = try XCTUnwrap(s.rows.first { $0.input == "churn" })
        XCTAssertTrue(churn.uncertain)
        XCTAssertTrue(churn.value.isUncertain)
        XCTAssertEqual(churn.lowInput.doubleValue, p10)
        XCTAssertEqual(churn.highInput.doubleValue, p90)
        // A linear model: the target's mean at the input's percentiles is 100M × them.
        XCTAssertEqual(churn.low.doubleValue!, 100e6 * p10, accuracy: 1e-6)
        XCTAssertEqual(churn.high.doubleValue!, 100e6 * p90, accuracy: 1e-6)
        XCTAssertFalse(churn.low.isUncertain, "low and high are the target's means")
        XCTAssertEqual(churn.swing, 100e6 * (p90 - p10), accuracy: 1e-6)
        XCTAssertEqual(churn.elasticity!, 1, accuracy: 1e-9)
        // A plain input still moves by ±by, on the mean.
        let members = try XCTUnwrap(s.rows.first { $0.input == "members" })
        XCTAssertFalse(members.uncertain)
        XCTAssertEqual(members.low.doubleValue!, 0.9 * mean, accuracy: 1e-3)
        XCTAssertEqual(members.high.doubleValue!, 1.1 * mean, accuracy: 1e-3)
        XCTAssertEqual(members.elasticity!, 1, accuracy: 1e-9)
        // A bool distribution is no input to vary.
        let f = try e.sensitivity(of: "flagged")
        XCTAssertEqual(Set(f.rows.map(\.input)), ["churn", "members"])
        XCTAssertEqual(try e.evaluate("mean(lost)").doubleValue, mean)
    }

    func testSensitivityThroughAnUncertainProjectionRestoresItsSamples() throws {
        let e = try uncertainEngine("""
            simulate 2000 seed 3
            let growth = 2% to 4%
            let base_users = 100
            projection users over 12 months {
              start: base_users
              next: value * (1 + growth)
            }
            """)
        let before = try e.evaluate("[mean(users.final), percentile(users.final, 5%), percentile(users[6], 95%)]")
        let s = try e.sensitivity(of: "users.final")
        let g = try XCTUnwrap(s.rows.first { $0.input == "growth" })
        XCTAssertTrue(g.uncertain)
        // Growth fixed at p10: every sample grows alike, 100 × (1 + p10)^12.
        let p10 = try XCTUnwrap(try e.evaluate("percentile(growth, 10%)").doubleValue)
        XCTAssertEqual(g.low.doubleValue!, 100 * pow(1 + p10, 12), accuracy: 1e-9)
        let b = try XCTUnwrap(s.rows.first { $0.input == "base_users" })
        XCTAssertEqual(b.high.doubleValue!, 1.1 * s.base.mean!, accuracy: 1e-9)
        XCTAssertEqual(try e.evaluate("[mean(users.final), percentile(users.final, 5%), percentile(users[6], 95%)]"), before)
        let r = try e.solve("base_users", for: "users.final", equals: "150")
        XCTAssertEqual(r.value.doubleValue!, 100 * 150 / s.base.mean!, accuracy: 1e-6)
        XCTAssertEqual(try e.evaluate("[mean(users.final), percentile(users.final, 5%), percentile(users[6], 95%)]"), before)
    }
}
