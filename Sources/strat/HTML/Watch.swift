import StratKit
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Set by SIGINT/SIGTERM while `strat watch` runs; the loop checks it between polls.
nonisolated(unsafe) var watchStopRequested: sig_atomic_t = 0

/// `strat watch FILE -o report.html`: re-renders the HTML report whenever FILE changes.
struct Watch {
    static let spec = CommandSpec(
        name: "watch",
        abstract: "Re-render the HTML report every time the model file is saved.",
        positionals: "FILE", minPositionals: 1, maxPositionals: 1,
        options: [OptionSpec(long: "output", short: "o", value: "FILE", help: "The HTML report to write (required)."),
                  ModelOptions.specs[0], ModelOptions.specs[1], ModelOptions.specs[2],
                  OptionSpec(long: "interval", value: "MS", help: "How often to look at the file, in milliseconds (default 250)."),
                  OptionSpec(long: "once", help: "Render once and exit (the exit code of `strat run`).")],
        discussion: """
        Writes the report of `strat run FILE --format html` to the -o file, then \
        looks at FILE every --interval milliseconds (its size, modification time and \
        inode, so editors that save by renaming are seen too) and renders again when \
        it changed. Each render prints one line with the time and the plan score; \
        diagnostics go to standard error. When FILE has errors the last good report \
        is kept and the errors are printed. The report is replaced atomically, so a \
        browser reloading it never sees half a file. Ctrl-C stops (exit 0).

        Examples:
          strat watch plan.strat -o report.html
          strat watch plan.strat -o report.html --scenario optimistic
        """)

    var file: String
    var output: String
    var model: ModelOptions
    var intervalMS = 250
    var once = false

    init(_ a: ParsedArguments) throws {
        file = a.positionals[0]
        guard let o = a.value("output") else { throw UsageError(message: "watch needs -o FILE (the HTML report to write)") }
        output = o
        if file == "-" { throw UsageError(message: "watch needs a file, not standard input") }
        model = try ModelOptions(a)
        if let i = a.value("interval") {
            guard let n = Int(i), n >= 10, n <= 60_000 else { throw UsageError(message: "--interval must be 10…60000 milliseconds, not '\(i)'") }
            intervalMS = n
        }
        once = a.flag("once")
    }

    /// What identifies one saved version of the file.
    struct Stamp: Equatable {
        var exists: Bool
        var size: Int64 = 0, inode: UInt64 = 0, seconds: Int = 0, nanoseconds: Int = 0
    }

    static func stamp(_ path: String) -> Stamp {
        var st = stat()
        guard stat(path, &st) == 0 else { return Stamp(exists: false) }
        #if canImport(Darwin)
        return Stamp(exists: true, size: Int64(st.st_size), inode: UInt64(st.st_ino),
                     seconds: st.st_mtimespec.tv_sec, nanoseconds: st.st_mtimespec.tv_nsec)
        #else
        return Stamp(exists: true, size: Int64(st.st_size), inode: UInt64(st.st_ino),
                     seconds: st.st_mtim.tv_sec, nanoseconds: st.st_mtim.tv_nsec)
        #endif
    }

    /// Renders once: the exit code `strat run` would give (0 or 1 when a report was written).
    func render() -> Int32 {
        defer { liveEngines.removeAll() }
        let overrides: [(path: String, expr: String)]
        do { overrides = try model.overrides() } catch { return Exit.usage }
        guard case .model(let engine, let loadDiags) = loadModel(file, json: false) else {
            status("kept the last good report (\(file) has errors)")
            return Exit.dataError
        }
        do { try checkScenario(model.scenario, in: engine, json: false) } catch { return Exit.usage }
        let report: Report
        do {
            report = try engine.report(scenario: model.scenario, overrides: overrides, includeSeries: true)
        } catch let e as StratError {
            emit(e.diagnostics, json: false)
            status("kept the last good report")
            return Exit.code(for: e.diagnostics)
        } catch {
            return Exit.software
        }
        let diags = unique(loadDiags.filter { $0.kind != .assertion } + report.diagnostics)
        emit(diags, json: false)
        let html = renderHTMLReport(report, note: scenarioNote(report.scenario, overrides),
                                    scenarios: scenarioSet(engine, overrides: overrides), diagnostics: diags)
        if let problem = writeOutputFile(output, html) {
            writeErr("error: \(problem)")
            return Exit.software
        }
        let failed = report.assertions.filter { !$0.passed }.count
        status("wrote \(output)" + (report.plan.score.map { " · plan score \(fmt2($0))" } ?? "")
               + (failed > 0 ? " · \(failed) assert\(failed == 1 ? "" : "s") failed" : ""))
        return Exit.code(for: diags)
    }

    func status(_ s: String) {
        var t = time(nil)
        var tm = tm()
        localtime_r(&t, &tm)
        func two(_ n: Int32) -> String { n < 10 ? "0\(n)" : "\(n)" }
        writeOut("[\(two(tm.tm_hour)):\(two(tm.tm_min)):\(two(tm.tm_sec))] \(s)\n")
    }

    func run() throws {
        if once {
            let code = render()
            if code != 0 { throw ExitCode(code) }
            return
        }
        signal(SIGINT) { _ in watchStopRequested = 1 }
        signal(SIGTERM) { _ in watchStopRequested = 1 }
        status("watching \(file) → \(output) (Ctrl-C to stop)")
        var last = Self.stamp(file)
        _ = render()
        var req = timespec(tv_sec: intervalMS / 1000, tv_nsec: (intervalMS % 1000) * 1_000_000)
        while watchStopRequested == 0 {
            var rem = timespec()
            _ = nanosleep(&req, &rem)
            if watchStopRequested != 0 { break }
            let now = Self.stamp(file)
            if now == last { continue }
            last = now
            if !now.exists {
                status("\(file) is gone; waiting for it (the last good report is kept)")
                continue
            }
            _ = render()
        }
        status("stopped")
    }
}
