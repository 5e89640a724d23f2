import StratKit
#if canImport(Glibc)
import Glibc
#endif

/// `--samples` and `--seed` of the command being run (read by `loadModel`).
nonisolated(unsafe) var cliSimulation: (samples: Int?, seed: UInt64?) = (nil, nil)

/// Reads `--samples N` and `--seed S`; a bad value is a usage error naming the limit.
func parseSimulationOptions(_ a: ParsedArguments) throws {
    if let s = a.value("samples") {
        let limit = Limits().maxSamples
        guard let n = parseCount(s), n >= 1, n <= limit else {
            throw UsageError(message: "--samples needs a whole number from 1 to \(groupedCount(limit)) (the samples limit), got '\(s)'")
        }
        cliSimulation.samples = n
    }
    if let s = a.value("seed") {
        guard let n = UInt64(s), n <= UInt64(Int64.max) else {
            throw UsageError(message: "--seed needs a whole number from 0 to \(Int64.max), got '\(s)'")
        }
        cliSimulation.seed = n
    }
}

/// `10000`, `10_000`, `10K`, `1M` as a count.
func parseCount(_ s: String) -> Int? {
    var t = s.replacingUnderscores()
    var scale = 1
    if t.hasSuffix("K") { scale = 1_000; t.removeLast() } else if t.hasSuffix("M") { scale = 1_000_000; t.removeLast() }
    guard let n = Int(t), n >= 0, n <= Int.max / scale else { return nil }
    return n * scale
}

extension String {
    func replacingUnderscores() -> String { String(filter { $0 != "_" }) }
}

/// `STRAT_THREADS` caps the threads of sample loops (results never depend on it).
func threadsFromEnvironment() -> Int? {
    guard let p = getenv("STRAT_THREADS"), let n = Int(String(cString: p)), n >= 1 else { return nil }
    return min(n, 256)
}

/// `strat samples FILE -e EXPR… [--format csv|json]`: the raw Monte Carlo samples.
struct SamplesCommand {
    static let spec = CommandSpec(
        name: "samples",
        abstract: "Write the raw Monte Carlo samples of expressions (CSV or JSON).",
        positionals: "FILE", minPositionals: 1, maxPositionals: 1,
        options: [OptionSpec(long: "expr", short: "e", value: "EXPR", help: "An expression whose samples to write (one column each).", repeatable: true),
                  ModelOptions.specs[0], ModelOptions.specs[1], ModelOptions.specs[2],
                  OptionSpec(long: "format", value: "FORMAT", help: "Output format: csv (default) or json.", choices: ["csv", "json"])]
            + ModelOptions.simulationSpecs,
        discussion: """
        One column per -e, one row per sample: row i of every column is the same \
        simulated world, so correlations survive (pandas.read_csv or \
        numpy.genfromtxt load it as is). Numbers are in base units (seconds, \
        dollars); a plain value repeats on every row; an uncertain condition is \
        true/false per row. CSV has a header row of the expressions; JSON is one \
        object mapping each expression to its array of samples. The sample count \
        and seed are stated on stderr.

        Examples:
          strat samples plan.strat -e churn -e subscribers.final > samples.csv
          strat samples plan.strat -e revenue --samples 100000 --seed 7 --format json
        """)

    var file: String
    var exprs: [String]
    var model: ModelOptions
    var json = false

    init(_ a: ParsedArguments) throws {
        file = a.positionals[0]
        exprs = a.all("expr")
        model = try ModelOptions(a)
        json = a.value("format") == "json"
        if exprs.isEmpty { throw UsageError(message: "give at least one expression with -e EXPR") }
    }

    func run() throws {
        let (engine, loadDiags) = try loadModel(file, json: false).get()
        var diags = loadDiags.filter { $0.kind != .assertion }
        if diags.contains(where: { $0.severity == .error }) {
            emit(diags, json: false)
            throw ExitCode(Exit.code(for: diags))
        }
        let overrides = try model.overrides()
        try checkScenario(model.scenario, in: engine, json: false)
        var columns: [Value] = []
        var failed = false
        do {
            try engine.withOverrides(scenario: model.scenario, overrides: overrides) {
                for e in exprs {
                    do { columns.append(try engine.evaluate(e)) } catch let err as StratError {
                        diags.append(contentsOf: err.diagnostics)
                        failed = true
                    }
                }
            }
        } catch let e as StratError {
            throw overrideFailure(e, engine: engine, overrides: overrides, json: false)
        }
        if failed {
            emit(unique(diags), json: false)
            throw ExitCode(Exit.worst(Exit.code(for: diags), Exit.software))
        }
        let n = columns.compactMap { v -> Int? in if case .dist(let s, _) = v { return s.count } else { return nil } }.first
            ?? engine.configuredSamples
        for (e, v) in zip(exprs, columns) {
            switch v {
            case .number, .dist, .bool, .string, .none: continue
            default:
                emit(diags, json: false)
                throw UsageError(message: "'\(e)' is not a number (\(v.description.prefix(40))); samples can only be written for numbers, bools and strings")
            }
        }
        func cell(_ v: Value, _ i: Int) -> String {
            switch v {
            case .number(let d, _): return jsonNumber(d)
            case .dist(let s, _): return s.isBool ? (s[i] != 0 ? "true" : "false") : jsonNumber(s[i])
            case .bool(let b): return b ? "true" : "false"
            case .string(let s): return json ? jsonString(s) : csvField(s)
            default: return json ? "null" : ""
            }
        }
        var out = ""
        out.reserveCapacity(1 << 17)
        func flush(_ force: Bool = false) {
            if force || out.utf8.count >= 1 << 16 { writeOut(out); out = "" }
        }
        if json {
            out += "{"
            for (k, (e, v)) in zip(exprs, columns).enumerated() {
                out += (k > 0 ? ",\n " : "") + jsonString(e) + ": ["
                for i in 0..<n {
                    if i > 0 { out += ", " }
                    out += cell(v, i)
                    flush()
                }
                out += "]"
            }
            out += "}\n"
        } else {
            out += exprs.map(csvField).joined(separator: ",") + "\n"
            for i in 0..<n {
                for (k, v) in columns.enumerated() {
                    if k > 0 { out += "," }
                    out += cell(v, i)
                }
                out += "\n"
                flush()
            }
        }
        flush(true)
        let sim = engine.simulation ?? Simulation(samples: n, seed: engine.configuredSeed)
        writeErr("strat: \(simulationNote(sim))")
        emit(unique(diags), json: false)
    }
}

/// A CSV field, quoted (RFC 4180) when it holds a comma, quote or line break.
func csvField(_ s: String) -> String {
    if s.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) {
        return "\"" + s.replacingQuotes() + "\""
    }
    return s
}

extension String {
    func replacingQuotes() -> String {
        var o = ""
        for c in self { o += c == "\"" ? "\"\"" : String(c) }
        return o
    }
}
