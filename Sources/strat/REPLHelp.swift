// `:help` and its topics: every REPL command and every language construct.

import StratKit

extension REPL {
    /// Help on each command, by name without the colon.
    static let commandHelp: [String: String] = [
        "help": """
            :help            the commands and the help topics
            :help TOPIC      help on a command (:help :load, or :help load) or a language
                             construct (:help objective, :help units, :help if, …)
            """,
        "load": """
            :load FILE       load a model file; it replaces the session's model (what you
                             declared before is dropped, the scenario goes back to baseline).
                             Tab completes the path, shell-style: a space in a name
                             comes out as `\\ ` (quotes work too). When the file has
                             errors they are shown and the session is left as it was.
              :load examples/netflix-engineering.strat
            """,
        "reload": """
            :reload          read the loaded file again (after editing it), keeping what you
                             declared in the session and the selected scenario; prints the
                             values that changed. When the file has errors, the session keeps
                             the previous version.
            """,
        "ls": """
            :ls              every declared name with its kind and its value (a let's value,
                             a function's parameters, an objective's score and status, a
                             SWOT's IFE/EFE, a projection's final value, …)
            :ls KIND         only names of that kind: :ls let, :ls objective, :ls projection
            :ls PREFIX       only names starting with PREFIX
            """,
        "show": """
            :show NAME       the source of a declaration and its value; for an object (a
                             SWOT, an objective, a key result, …) every member's value
              :show churn
              :show MODERNIZE_PLATFORM.MICROSERVICES
            """,
        "explain": """
            :explain EXPR    the formula tree behind a value: each formula with its value,
                             down to the inputs, and the rule behind built-in scores
                             (four levels deep)
            :explain EXPR depth N
                             N levels deep (1 to 64)
              :explain MODERNIZE_PLATFORM.score
              :explain member_ltv * 2 depth 8
            """,
        "dist": """
            :dist EXPR       an uncertain value in full: its histogram as bars, the
                             percentiles p5 p25 p50 p75 p95, mean, sd, the sample count N
                             and the seed (an uncertain value typed alone shows
                             mean (p5 … p95) and a one-line histogram)
              :dist normal(100, 10) * 2
            """,
        "deps": """
            :deps NAME       the values NAME reads (its inputs) and the values that read it
                             (its dependents), each with its value. NAME may be an object
                             (an objective, a key result): what its values read from
                             outside it, and what reads them. Projections are looked
                             through: cash.final reads what cash's formulas read.
              :deps churn
              :deps MODERNIZE_PLATFORM.MICROSERVICES
            """,
        "whatif": """
            :whatif PATH = EXPR[, PATH = EXPR…]
                             every value that would change, before → after, with the
                             overrides applied on top of the session's model (and scenario).
                             The model is not changed. A path is a let or an item property.
              :whatif churn = 3.2%
              :whatif churn = 3.2%, members = 275M
              :whatif MODERNIZE_PLATFORM.MICROSERVICES.current = 70%
            """,
        "solve": """
            :solve INPUT for EXPR = VALUE [in [LO, HI]]
                             goal seek: the value of INPUT (a let or a property) at which
                             EXPR equals VALUE, everything else as it is; the model is not
                             changed. Without a range the search widens from INPUT's value.
              :solve churn for subscribers.final = 300M
              :solve price for revenue = $1M in [$1, $100]
              :solve users for GROW.USERS.score = 1
            """,
        "sensitivity": """
            :sensitivity TARGET [by STEP] [top N]
                             every input TARGET depends on (a let or a property whose formula
                             reads no other name) moved down and up by STEP (default 10%): a
                             tornado chart by swing, the centre line at TARGET's value
              :sensitivity plan.score
              :sensitivity subscribers.final by 20% top 5
            """,
        "scenario": """
            :scenario        the scenarios (baseline and every declared one); * marks the
                             one applied to the session, with its overrides
            :scenario NAME   apply a scenario to the session: expressions, :ls, :report and
                             :whatif then see its values; prints what changed, and the
                             prompt names it (strat[NAME]> ). :scenario baseline goes back.
            """,
        "compare": """
            :compare         key outputs (plan score, objective scores, metrics, projection
                             finals) of every scenario side by side; ▲ ▼ mark values above or
                             below the first column
            :compare A,B     only these scenarios
            """,
        "report": """
            :report          the full report of the session's model, as `strat run` prints
                             it (under the selected scenario)
            :report NAME     the report under scenario NAME
            """,
        "project": """
            :project NAME    a projection period by period: a table (sampled when long), the
                             change per period, and a sparkline
              :project subscribers
            """,
        "history": """
            :history PATH    a key result's or metric's check-ins (date, value, confidence,
                             note; later than today marked), its bar with the expected-pace
                             marker │, pace, forecast, health and a sparkline
              :history MODERNIZE_PLATFORM.MICROSERVICES
            """,
        "asof": """
            :asof            the session's date (the value of today)
            :asof DATE       move it and re-evaluate as of that day: current is the latest
                             check-in at or before DATE; prints the values that changed
              :asof 2026-03-31
            """,
        "tracking": """
            plan { start: 2026-01-01, end: 2026-12-31 }    the plan period (an objective or KR
                                                           may set its own start/end)
            checkin 2026-03-31 "note" { OBJ.KR = 51%; OBJ.KR.confidence = 0.7 }
            import "actuals.csv"     rows date,path,value[,confidence][,note] (or .json)
            KR.current is the latest check-in at or before today; KR.history .elapsed
            .expected .pace .forecast .forecast_score .confidence .health (on track /
            needs attention / at risk); objectives and plan roll up forecast_score, health;
            plan.overdue lists retro actions past due and not done. See :asof, :history.
            """,
        "save": """
            :save [FILE]     write the session's model as a script `strat run` evaluates to
                             the same values: the loaded file, its order and comments kept,
                             your redefinitions in place of the originals, then what you
                             declared. Without FILE: over the loaded file (saving again
                             writes the same text). Expressions and commands are not saved
                             (they are in the history). Written atomically.
            :save! FILE      the same, replacing FILE when it exists (:save refuses to
                             overwrite a file other than the loaded one)
            """,
        "reset": """
            :reset           forget the loaded file and every declaration: an empty model
            """,
        "quit": """
            :quit            leave the REPL (also :q, :exit, or Ctrl-D on an empty line)
            """,
    ]

    /// Help on the language, by topic.
    static let languageHelp: [String: String] = [
        "let": """
            let NAME = EXPR          a named value: an input (let churn = 3.8%) or a formula
                                     (let ad_members = members * 30%)
            Declarations are order-independent: the model is a dependency graph, evaluated
            like a spreadsheet. In the REPL, declaring a name again replaces it and prints
            every value that changed, before → after.
              let members = 262M
              let churn = 3.8%
              let ad_members = members * 30%
            """,
        "fn": """
            fn NAME(PARAM, …) = EXPR     a function; recursion is allowed (call depth ≤ 256)
              fn cagr(start, end, n) = (end / start) ^ (1 / n) - 1
              fn ltv(arpu, churn) = arpu / churn
              cagr($33B, $52B, 4)
            See also: functions (the built-in ones), use (the standard library).
            """,
        "org": """
            org "NAME"               the organisation the model is about
            mission "TEXT"           its mission
            vision "TEXT"            its vision
            values ["A", "B", …]     its values
            They head the report (:report). `X.values` is still a member name.
            """,
        "swot": """
            swot NAME "TITLE" {
              strength NAME "TEXT" { weight: 0.15, rating: 4 }
              weakness NAME "TEXT" { weight: 0.10, rating: 2 }
              opportunity NAME "TEXT" { weight: 0.12, rating: 3, probability: 60%, impact: 4 }
              threat NAME "TEXT" { weight: 0.10, rating: 2 }
              priority NAME "TEXT"
            }
            Items are reached by category: Engineering.strengths.PLATFORM,
            Engineering.threats.COST (the same item name may appear in two categories).
            Scores (Fred David's IFE/EFE matrices): weights 0…1 summing to 1 per group,
            ratings 1…4 (strengths 3–4, weaknesses 1–2).
              .ife      Σ weight × rating over strengths and weaknesses
              .efe      Σ weight × rating over opportunities and threats
              .ie_cell  Internal–External matrix cell I…IX
              .posture  grow and build / hold and maintain / harvest or divest
              .exposure (opportunities, threats) probability × impact
            Priorities are what objectives `support`; weaknesses and threats are what they
            `address` (see: objective).
            """,
        "objective": """
            objective NAME "TEXT" {
              weight: 2                          (default 1, for plan.score)
              committed: true                    (green only at 1.0; default aspirational)
              supports: [Engineering.priorities.MODERNIZE]
              addresses: [Engineering.weaknesses.TESTING]
              kr NAME "TEXT" { baseline: 40%, target: 85%, current: 62% }
            }
            .score    weighted mean of its key results' scores (KR weight); unscored KRs skipped
            .status   red < 0.4 ≤ yellow < 0.7 ≤ green
            .krs      its key results; a KR is also reachable directly: OBJ.KR
            See also: kr, scores, plan.
            """,
        "kr": """
            kr NAME "TEXT" { baseline: …, target: …, current: …, weight: … }   (inside an objective)
            Target forms:
              target: X with baseline      progress = (current - baseline) / (target - baseline)
              target: X without baseline   progress = current / target
              target: >= X   target: <= X  a threshold: progress 1 when it holds, else 0
            Properties may be formulas over their siblings: target: baseline * (1 - 35%)
            score: FORMULA replaces the default score = clamp(progress, 0, 1).
            Without current the KR is not scored (score is none) and aggregates skip it.
            Read-only: .progress .score .status .met   See also: scores.
            """,
        "metric": """
            metric NAME "TEXT" { current: churn, target: <= 3.5% }
            A top-level measure scored like a key result (baseline, target, current,
            weight, score:), not part of any objective. See: kr, scores.
            """,
        "scenario": """
            scenario NAME "TEXT" { PATH = EXPR; PATH = EXPR … }
            A named set of overrides of lets or item properties, evaluated in the model
            (an override may refer to other names). `baseline` always exists and changes
            nothing.
              scenario optimistic "Ad tier beats forecast" { churn = 3.2%; members = 275M }
              scenario slow_migration { MODERNIZE_PLATFORM.MICROSERVICES.current = 50% }
            In the REPL: :scenario NAME applies one, :compare shows them side by side,
            :whatif tries overrides without declaring a scenario.
            """,
        "projection": """
            projection NAME over N PERIODS { start: EXPR, next: EXPR }     PERIODS: days weeks
                                                          months quarters years (N ≤ 1,000,000)
              start:   the value at t = 0 (required)
              next:    the value at t from the one before: `value` is the previous value, `t`
                       the period 1…N; another projection's bare name is its value at t-1
              growth:  r is short for next: value * (1 + r)
              min: / max:  clamp every period
            NAME[t]  NAME.final (= NAME[N])  NAME.series (N+1 values)  NAME.periods
            NAME.sum .avg .min .max; inside next: other[t] (same period), other[t - k]
              projection subscribers over 8 quarters { start: members, next: value * (1 - churn * 3) + 9M }
              projection revenue over 5 years from 2026-07-01 { start: $33B, growth: 12% }
            `from DATE` anchors period 0: NAME.dates, NAME.at(DATE), reports label 2026-Q3.
            :project NAME shows one as a table and a sparkline. See also :help series, dates.
            """,
        "series": """
            series NAME = EXPR      a formula at every period of the projections it reads
              series revenue = customers * price        (customers[t] × price, t = 0…N)
            Inside it a projection's bare name is its value at the same period; inside a
            next:, a series' bare name is its previous period. NAME[t] .series .final .sum
            .avg .min .max .dates .at(DATE). Time functions: delay(x, k) (x k periods
            earlier), lookup(x, [[x0, y0], [x1, y1], …]) (piecewise-linear), cumsum(list).
            """,
        "dates": """
            2026-03-31               a date literal (an invalid day is an error)
            date + 30d, date - 1mo   a date; whole months clamp at month ends (01-31 + 1mo = 02-28)
            date - date              a time in days;  dates compare with < == >=
            date.year .month .day .quarter .week .weekday;  today (--as-of DATE)
            1mo 1qtr 1yr             a year is 365.2425 d, a month a year / 12
            $120K / 1yr              a rate: $120K/yr;  rate * 6mo is $60K;  x -> mo converts
            """,
        "retro": """
            retro NAME "TITLE" {
              went_well NAME "TEXT"
              not_well NAME "TEXT"
              learning NAME "TEXT"
              action NAME "TEXT" { owner: "Mobile", due: 2027-03-31, status: "open" }
            }
            Items are reached by category: H1.went_well.X, H1.not_well.Y, H1.learnings.Z,
            H1.actions.W; items may take any properties.
            """,
        "solve": """
            solve INPUT for EXPR = VALUE [in [LO, HI]]      goal seek, as an expression
            The value of INPUT (a let or a property path) at which EXPR equals VALUE,
            everything else as it is, in INPUT's unit. Without a range the search widens
            from INPUT's value; the answer is within 1e-9 × max(1, |VALUE|) (Brent's
            method); for a step function (a threshold key result's score) it is the
            boundary. No solution, or an EXPR that does not read INPUT, is an error.
              let needed_churn = solve churn for subscribers.final = 300M
              solve price for revenue = $1M in [$1, $100]
            `solve`, `for` and `in` are names everywhere else.
            """,
        "units": """
            Numbers carry a unit with a dimension over {time, money}; percent and ratio are
            plain numbers that display differently.
              time:   100ms 0.5s 45min 3.2h 2d 1wk        (base unit: seconds)
              money:  $40 $2.5M $33B                     (base unit: US dollars)
              %: 85% is 0.85 shown as 85%    x: 3x is 3 shown as 3x
            + - and comparisons need equal dimensions (100ms + 1s is 1100ms; 1s + 5% is an
            error); * and / combine them ($3M / 12 is money, $1M / 1h money per time,
            45min / 1h is 0.75). + - keep the left operand's display unit; a product with a
            percent keeps the other operand's (200M * 4% is 8M, $2M * 10% is $200K).
            See also: numbers.
            """,
        "numbers": """
            12  1_000  3.25  1e-3, optionally followed (no space) by one suffix:
              magnitude K M B T (270M, 1.5B)   percent %   ratio x   time ms s min h d wk
              money: a $ prefix with an optional magnitude ($40, $2.5M)
            Display: at most 10 significant digits, in the value's display unit.
            Division by zero and non-finite results are errors at the expression.
            See also: units, operators, functions.
            """,
        "strings": """
            "text" with escapes \\" \\\\ \\n \\t \\u{1F600} and interpolation \\(expr):
              "LTV: \\(ltv($11.5, churn))"
            + joins two strings; count("abc") is 3. A string prints without quotes at the top
            level, with quotes inside a list.
            """,
        "lists": """
            [a, b, c]      a list; l[0] is the first element (0-based); + joins two lists
            A member of a list maps over it: MODERNIZE_PLATFORM.krs.score is the list of the
            key results' scores. sum avg min max skip none elements; count counts them all.
            Built-in lists: objectives, metrics, swots, projections, retros.
            """,
        "scores": """
            Key results and metrics:
              progress  (current - baseline) / (target - baseline), or current / target, or
                        1/0 for a >= / <= threshold; not clamped
              score     clamp(progress, 0, 1) unless a score: formula is given; none without
                        current (skipped by aggregates)
              met       progress >= 1
              status    red < 0.4 ≤ yellow < 0.7 ≤ green (committed objectives: green only at 1)
            Objective score: weighted mean of its KRs' scores (KR weight).
            plan.score: weighted mean of the objectives' scores (objective weight).
            See also: kr, objective, plan, swot (IFE/EFE).
            """,
        "plan": """
            plan is built in:
              plan.score, plan.status, plan.objectives
              plan.unsupported_priorities   priorities no objective or KR supports
              plan.unaddressed              weaknesses and threats nothing addresses
            So are the lists objectives, metrics, swots, projections and retros.
            """,
        "use": """
            use NAME       load the standard library module NAME (bundled; works anywhere)
              finance        cagr compound discount pv fv npv payback irr annuity
              growth         logistic linear exponential doubling_time rule_of_40
              subscriptions  retention lifetime ltv net_adds annual_churn steady_state
                             cac_payback ltv_to_cac
              okr            pace on_track required_pace grade
            Its functions join the model's names: use finance, then cagr($33B, $52B, 4).
            """,
        "import": """
            import "PATH"  load a file relative to the importing file; its declarations join
                           the same namespace. Importing a file twice is harmless; import
                           cycles are errors. Typed in the REPL, the path is relative to
                           the loaded file's folder.
            """,
        "assert": """
            assert COND ["MESSAGE"]   checked after the model is evaluated; `strat run` exits
                                      with status 1 when one fails
              assert plan.score >= 0.6 "plan below the 0.6 sweet spot"
            Typed in the REPL it is checked at once.
            """,
        "print": """
            print EXPR     print a value (strings without quotes); `strat run` prints them
                           before the report
              print "LTV: \\(ltv($11.5, churn))"
            """,
        "if": """
            if COND then A else B     a conditional expression (COND must be true or false)
              let grade = if plan.score >= 0.7 then "green" else "not green"
            It may span lines: a line ending in then/else, or starting with then/else,
            continues the expression.
            """,
        "operators": """
            Lowest to highest precedence:
              if c then a else b;  or;  and;  not;  == != < <= > >= (not chained);
              to (reserved);  + -;  * /;  unary -;  ^ (right-associative: -2^2 is -4);
              f(a, b)  a.b  a[i]
            and or not take true/false. == on numbers has a 1e-9 relative tolerance.
            """,
        "functions": """
            Built-in functions:
              min max (several values or one list)   sum avg count (a list)
              abs  round(x, digits=0)  floor  ceil  sqrt  exp  ln  log10  clamp(x, lo, hi)
            min max abs round floor ceil clamp keep their argument's unit; round works on
            the number as displayed (round(85.27%, 1) is 85.3%).
            See also: fn (your own), use (the standard library).
            """,
        "none": """
            none           the value of an optional property that was not given (a KR
                           without current). Arithmetic on none is an error naming the
                           missing property; sum avg min max skip none elements.
            """,
        "comments": """
            // to the end of the line        /* a block, /* nested */ too */
            A statement ends at a newline or ;. It continues on the next line inside ( ) or
            [ ] or after a trailing operator or comma — the REPL then shows ...>
            """,
        "names": """
            Names: [A-Za-z_][A-Za-z0-9_]*, case-sensitive; keywords are reserved except after
            a dot (X.values). Paths reach members: MODERNIZE_PLATFORM.MICROSERVICES.current,
            Engineering.strengths.PLATFORM. Every object has .name and .path.
            `_` is the value of the last expression typed in the REPL. In a declaration
            it stands for the formula that gave it (let y = _ after 5 + 1 declares
            let y = (5 + 1)), so a saved script can define y.
            """,
        "to": """
            a to b         an uncertain value: a 90% interval (p5 a, p95 b; SPEC §13).
                           Also normal(mean, sd), uniform(lo, hi), triangular(lo, mode, hi),
                           pert(lo, mode, hi), beta(a, b), bernoulli(p), mixture([…], [weights]).
                           In the REPL it shows mean (p5 … p95) and a histogram line;
                           :dist EXPR shows the whole distribution.
            """,
        "keys": """
            Editing (emacs keys): Ctrl-A/E start/end of line, Ctrl-B/F and Alt-B/F move,
            Ctrl-K/U/W delete, Ctrl-Y paste; ↑/↓ history; Ctrl-R searches the history (type
            to refine, Ctrl-R again for older matches, Enter accepts); Tab completes names,
            members after a dot, :commands and file paths after :load and :save; when
            several fit, Tab inserts what they share and a second Tab lists them.
            Ctrl-C drops the current input, and stops a long evaluation within
            milliseconds (its output is discarded; while a large file is being read, a
            second Ctrl-C quits strat). Ctrl-D on an empty line quits. A multi-line
            entry is one history entry. History is kept in ~/.strat_history
            (STRAT_HISTORY overrides).
            """,
    ]

    /// Words that lead to a topic of another name.
    static let helpAliases: [String: String] = [
        "mission": "org", "vision": "org", "values": "org",
        "strength": "swot", "weakness": "swot", "opportunity": "swot", "threat": "swot", "priority": "swot",
        "strengths": "swot", "weaknesses": "swot", "opportunities": "swot", "threats": "swot", "priorities": "swot",
        "ife": "swot", "efe": "swot", "ie_cell": "swot", "posture": "swot", "exposure": "swot",
        "committed": "objective", "supports": "objective", "addresses": "objective", "objectives": "objective",
        "krs": "kr", "key": "kr", "baseline": "kr", "target": "kr", "current": "kr",
        "progress": "scores", "score": "scores", "status": "scores", "met": "scores", "weight": "scores",
        "metrics": "metric", "scenarios": "scenario", "projections": "projection", "over": "projection",
        "growth": "projection", "final": "projection", "delay": "series", "lookup": "series",
        "cumsum": "series", "today": "dates", "date": "dates", "from": "projection", "mo": "dates", "yr": "dates",
        "went_well": "retro", "not_well": "retro", "learning": "retro", "action": "retro", "retros": "retro",
        "learnings": "retro", "actions": "retro",
        "then": "if", "else": "if",
        "and": "operators", "or": "operators", "not": "operators", "true": "operators", "false": "operators",
        "precedence": "operators",
        "unit": "units", "percent": "units", "money": "units", "time": "units",
        "number": "numbers", "string": "strings", "list": "lists", "stdlib": "use",
        "min": "functions", "max": "functions", "sum": "functions", "avg": "functions", "count": "functions",
        "abs": "functions", "round": "functions", "floor": "functions", "ceil": "functions", "sqrt": "functions",
        "exp": "functions", "ln": "functions", "log10": "functions", "clamp": "functions", "builtins": "functions",
        "_": "names", "comment": "comments", "editing": "keys", "history": "keys", "completion": "keys",
        "exit": "quit", "q": "quit", "?": "help", "h": "help",
    ]

    /// Every topic `:help` knows (for completion and the index).
    static var helpTopics: [String] {
        Array(Set(commandHelp.keys).union(languageHelp.keys).union(helpAliases.keys)).sorted()
    }

    /// The help text for a topic (`load`, `:load`, `objective`, …), or nil.
    static func helpText(_ rawTopic: String) -> String? {
        var topic = rawTopic.trimmingSpaces()
        let commandOnly = topic.hasPrefix(":")
        if commandOnly {
            topic.removeFirst()
            if let full = resolveCommand(":" + topic).command { topic = String(full.dropFirst()) }
            return commandHelp[topic]
        }
        topic = helpAliases[topic] ?? topic
        switch (languageHelp[topic], commandHelp[topic]) {
        case (let l?, let c?): return l + "\n\nThe command:\n" + c
        case (let l?, nil): return l
        case (nil, let c?): return c
        default: return nil
        }
    }

    func help(_ argument: String, into out: inout Output) {
        let st = style
        if argument.isEmpty {
            out.line(st.bold("Commands") + st.dim("  (a unique prefix is enough: :l, :sh)"))
            let rows = Self.commands.map { c in
                [Cell(c.name + (c.arguments.isEmpty ? "" : " " + c.arguments), st.bold(c.name) + (c.arguments.isEmpty ? "" : " " + c.arguments)),
                 Cell(c.summary)]
            }
            for l in renderTable(rows, align: [.left, .left], indent: "  ") { out.line(l) }
            out.line("")
            out.line(st.bold("Typing"))
            out.line("  an expression prints its value (_ is the last one): plan.score, churn * 2")
            out.line("  a declaration adds to the model; declaring a name again replaces it")
            out.line("  and prints what changed: let churn = 3.2%")
            out.line("")
            out.line(st.bold("Help topics") + st.dim("  (:help TOPIC)"))
            let topics = ["let", "fn", "org", "swot", "objective", "kr", "metric", "scenario", "projection", "series", "dates", "retro",
                          "use", "import", "assert", "print", "if", "units", "numbers", "strings", "lists",
                          "scores", "plan", "operators", "functions", "none", "names", "comments", "to", "solve", "keys"]
            var line = " "
            for t in topics {
                if line.count + t.count + 1 > 78 { out.line(line); line = " " }
                line += " " + t
            }
            out.line(line)
            return
        }
        guard let text = Self.helpText(argument) ?? functionHelp(argument) else {
            // Suggest a name of the kind asked for: a `:command` among commands; otherwise
            // topics and functions (built-in, standard library, the model's own).
            let pool = argument.hasPrefix(":") ? Self.commands.map(\.name)
                : Self.helpTopics + Engine.functionSignatures.map(\.name)
                    + visibleNames.filter { $0.kind == "fn" }.map(\.name)
            let close = Arguments.closestWord(argument, among: pool)
            fail("no help topic '\(argument)'", hint: (close.map { "did you mean '\($0)'? " } ?? "") + ":help lists the topics", into: &out)
            return
        }
        out.line(text)
    }

    /// Help on a function: a built-in or standard-library function's signature and doc
    /// comment, or a function of the model with its definition.
    func functionHelp(_ name: String) -> String? {
        if let f = Engine.functionSignatures.first(where: { $0.name == name }) {
            let origin = f.module.map { "  (standard library: use \($0))" } ?? "  (built-in)"
            return style.bold(f.label) + style.dim(origin) + (f.doc.isEmpty ? "" : "\n" + f.doc)
        }
        if session.engine.declaredKind(of: name) == "fn", let def = session.engine.definition(of: name) {
            return def
        }
        return nil
    }
}
