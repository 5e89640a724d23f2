// libFuzzer entry point over the whole pipeline: lexer, parser, resolver/checker and
// evaluator, then queries (expressions, a what-if, a report per scenario).
// Built by scripts/fuzz.sh together with Sources/StratKit/**.swift in one module, so the
// code here uses the library's public API only, as an embedder would.
//
// The input is one Strat file. Its last line is also compiled as a lone expression
// (`Engine.evaluate`), which fuzzes the expression compiler used by the REPL and by
// what-ifs. Imports resolve in memory: `lib.strat` is a small fixed library and
// `self.strat` is the input itself (import cycles).

/// Limits lowered from the defaults so that each run takes milliseconds; a loop the
/// step counter does not see still shows up as a libFuzzer timeout.
private func fuzzConfiguration(selfBytes: String) -> Configuration {
    var c = Configuration()
    c.limits.maxSteps = 200_000
    c.limits.maxPeriods = 10_000
    c.limits.maxStringLength = 100_000
    c.limits.maxListLength = 100_000
    c.importer = InMemoryImporter([
        "lib.strat": "let libRate = 5%\nfn twice(x) = x * 2\nobjective O \"o\" { weight: 1 }\n",
        "self.strat": selfBytes,
        "dir/inner.strat": "import \"../lib.strat\"\nlet inner = libRate * 2\n",
    ])
    return c
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOne(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    let text = String(decoding: bytes, as: UTF8.self)
    let engine = Engine(configuration: fuzzConfiguration(selfBytes: text))
    var loaded = true
    do {
        try engine.load(bytes: bytes, path: "main.strat")
    } catch let e as StratError {
        loaded = false
        checkDiagnostics(e.diagnostics, bytes: bytes)
    } catch {
        loaded = false
    }
    // A model with runtime errors only stays queryable; one with compile errors is empty.
    let names = engine.declaredNames.prefix(6)
    for (name, _) in names {
        _ = try? engine.evaluate(name)
        _ = engine.members(of: name)
    }
    _ = try? engine.evaluate("1 + 2 * 3")
    if let lastLine = text.split(separator: "\n", omittingEmptySubsequences: true).last, lastLine.utf8.count < 512 {
        _ = try? engine.evaluate(String(lastLine))
    }
    if loaded || !names.isEmpty {
        if let (first, kind) = names.first(where: { $0.kind == "let" }) {
            _ = try? engine.whatIf([first: "\(first) * 2"])
            _ = try? engine.whatIf([first: "1"])
            _ = kind
            // The first line as an override: arbitrary text through the override compiler,
            // committed and then recomputed.
            if let firstLine = text.split(separator: "\n").first, firstLine.utf8.count < 512 {
                _ = try? engine.set(first, String(firstLine))
                engine.recalculate()
            }
        }
        // An override of an item's property, by path.
        if let object = names.first(where: { $0.kind != "let" && $0.kind != "fn" && $0.kind != "scenario" })?.name,
           let member = engine.members(of: object).first {
            _ = try? engine.whatIf([(path: "\(object).\(member)", expr: "2")])
        }
        _ = try? engine.compare(scenarios: Array(engine.scenarioNames.prefix(2)) + ["baseline"])
        // Goal seek and sensitivity (SPEC §16) over the model's first two values.
        let lets = names.filter { $0.kind == "let" }.map(\.name)
        if lets.count >= 2 {
            _ = try? engine.solve(lets[0], for: lets[1], equals: "1")
            _ = try? engine.sensitivity(of: lets[1], top: 3)
        }
        _ = try? engine.sensitivity(of: "plan.score", top: 4)
        if let r = try? engine.report() {
            // The three report renderers of the CLI (compiled in by scripts/fuzz.sh).
            _ = r.json(pretty: true)
            checkNoControls(renderTextReport(r, color: false), "text report")
            _ = renderTextReport(r, color: true)
            checkNoControls(renderMarkdownReport(r), "Markdown report")
        }
        for s in engine.scenarioNames.prefix(3) { _ = (try? engine.report(scenario: s))?.json(pretty: false) }
        checkDiagnostics(engine.diagnostics, bytes: bytes)
    }
    fuzzSession(text)
    fuzzFormatter(text)
    return 0
}

/// The REPL's path: the input typed line by line into a session (declarations,
/// redefinitions, expressions, statements), each outcome rendered as the REPL shows it.
private func fuzzSession(_ text: String) {
    let session = Session(configuration: fuzzConfiguration(selfBytes: text))
    for line in text.split(separator: "\n").prefix(64) where line.utf8.count < 1024 {
        do { _ = String(describing: try session.enter(String(line))) } catch let e as StratError {
            for d in e.diagnostics { _ = d.rendered(color: false) }
        } catch {}
    }
}

/// The formatter: when the input formats, the result formats to itself (idempotent) and
/// keeps the syntax tree (formatStrat checks that itself and throws "formatter bug").
private func fuzzFormatter(_ text: String) {
    let once: String
    do { once = try formatStrat(text, path: "main.strat") } catch let e as StratError {
        // Syntax errors are fine; the formatter refusing a file that parses is a bug.
        if e.diagnostics.contains(where: { $0.message.contains("formatter bug") }) { fatalError("formatter refused a valid file") }
        return
    } catch { return }
    guard let twice = try? formatStrat(once, path: "main.strat") else {
        fatalError("formatted output does not format again")
    }
    if twice != once { fatalError("formatting is not idempotent") }
}

/// Human-facing output, escaped as the CLI escapes it, carries no control character
/// other than newline and tab.
private func checkNoControls(_ s: String, _ what: String) {
    if s.escapingControls().unicodeScalars.contains(where: { ($0.value < 0x20 && $0 != "\n" && $0 != "\t") || ($0.value >= 0x7F && $0.value <= 0x9F) }) {
        fatalError("control character left in the \(what)")
    }
}
/// Every diagnostic in the input file points inside it (SPEC §8: line and column are
/// 1-based; columns count characters, here UTF-8 lead bytes as the library does; one past
/// the last character of a line is its end).
private func checkDiagnostics(_ diagnostics: [Diagnostic], bytes: [UInt8]) {
    let lines = bytes.split(separator: 10, omittingEmptySubsequences: false)
    var widths: [Int: Int] = [:]
    for d in diagnostics {
        _ = d.rendered(color: true)
        _ = d.jsonLine
        guard d.path == "main.strat" else { continue }
        guard d.line >= 1, d.line <= lines.count, d.column >= 1 else {
            fatalError("diagnostic outside the file: \(d.line):\(d.column) \(d.message)")
        }
        let width: Int
        if let w = widths[d.line] { width = w } else {
            width = lines[d.line - 1].reduce(0) { $0 + ($1 & 0xC0 != 0x80 ? 1 : 0) }
            widths[d.line] = width
        }
        if d.column > width + 1 {
            fatalError("diagnostic outside the line: \(d.line):\(d.column) \(d.message)")
        }
    }
}
