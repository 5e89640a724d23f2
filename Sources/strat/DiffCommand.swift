#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import StratKit

/// `strat diff OLD NEW` and `strat diff --rev GITREV FILE` (SPEC §15).
struct DiffCommand {
    static let spec = CommandSpec(
        name: "diff",
        abstract: "Compare two versions of a model: declarations added and removed, values changed.",
        positionals: "OLD NEW | --rev GITREV FILE", minPositionals: 1, maxPositionals: 2,
        options: [
            OptionSpec(long: "rev", value: "GITREV", help: "Read the old version with 'git show GITREV:FILE' (then give only FILE)."),
            ModelOptions.specs[0], ModelOptions.specs[2],
            OptionSpec(long: "format", value: "FORMAT", help: "Output format: text, json or markdown (for review comments).",
                       choices: ["text", "json", "markdown"]),
        ],
        discussion: """
        Loads both versions and prints the declarations added and removed, then \
        every value that changed (before → after): the plan's, objectives' and key \
        results' scores and health first, the rest in dependency order. Both \
        versions are evaluated on the same date (--as-of, else today) and under the \
        same --scenario. With --rev, git runs as a subprocess in FILE's folder; the \
        old version's imports are read from the same revision. Exit 0 either way; \
        65 or 66 when a version does not load.

        Examples:
          strat diff plan-v1.strat plan.strat
          strat diff --rev HEAD~1 plan.strat --format markdown
          strat diff --rev main plan.strat --as-of 2026-03-31 --format json
        """)

    var old: String?
    var new: String
    var rev: String?
    var scenario: String?
    var format: OutputFormat

    init(_ a: ParsedArguments) throws {
        rev = a.value("rev")
        scenario = a.value("scenario")
        try ModelOptions.takeAsOf(a)
        format = OutputFormat(rawValue: a.value("format") ?? "text") ?? .text
        if rev != nil {
            guard a.positionals.count == 1 else { throw UsageError(message: "with --rev give one FILE (the new version is the working copy)") }
            new = a.positionals[0]
        } else {
            guard a.positionals.count == 2 else { throw UsageError(message: "give OLD and NEW files, or --rev GITREV FILE") }
            old = a.positionals[0]
            new = a.positionals[1]
        }
        if new == "-" && rev != nil { throw UsageError(message: "--rev needs a file path, not '-'") }
    }

    func run() throws {
        let json = format == .json
        let (newEngine, newDiags) = try loadModel(new, json: json).get()
        let oldEngine: Engine
        let oldName: String
        var oldDiags: [Diagnostic] = []
        if let rev {
            oldName = "\(new)@\(rev)"
            let bytes = try gitShow(rev, new)
            var config = cliConfiguration()
            // The old version's imports as they were at the revision, not the working tree's.
            config.importer = GitRevisionImporter(rev: rev, root: directoryOf(new), maxBytes: config.limits.maxSourceBytes)
            oldEngine = Engine(configuration: config)
            liveEngines.append(oldEngine)
            do {
                try oldEngine.load(bytes: bytes, path: new)
            } catch let e as StratError {
                if !oldEngine.isEvaluated {
                    emit(e.diagnostics.map { var d = $0; if d.path == new { d.path = oldName }; return d }, json: json)
                    throw ExitCode(Exit.code(for: e.diagnostics))
                }
                oldDiags = e.diagnostics
            }
        } else {
            oldName = old!
            (oldEngine, oldDiags) = try loadModel(old!, json: json).get()
        }
        try checkScenario(scenario, in: oldEngine, json: json)
        try checkScenario(scenario, in: newEngine, json: json)
        var d = ModelDiff()
        do {
            try oldEngine.withOverrides(scenario: scenario, overrides: []) {
                try newEngine.withOverrides(scenario: scenario, overrides: []) { d = newEngine.diff(from: oldEngine) }
            }
        } catch let e as StratError {
            emit(e.diagnostics, json: json)
            throw ExitCode(Exit.code(for: e.diagnostics))
        }
        switch format {
        case .json: writeOutExact(Self.json(d))
        case .markdown: writeOut(Self.markdown(d, old: oldName, new: new))
        default: writeOut(Self.text(d, style: Style(color: Terminal.colorEnabled(fd: 1))))
        }
        let diags = (oldDiags + newDiags).filter { $0.severity != .error && $0.kind != .assertion }
        emit(diags, json: json)
    }

    static func text(_ d: ModelDiff, style st: Style) -> String {
        if d.isEmpty { return "no differences\n" }
        var out = ""
        for a in d.added { out += st.green("+ \(a.kind) \(a.path)") + "\n" }
        for r in d.removed { out += st.red("- \(r.kind) \(r.path)") + "\n" }
        if !d.changed.isEmpty {
            if !out.isEmpty { out += "\n" }
            out += renderChangeTable(d.changed, style: st)
        }
        return out
    }

    static func json(_ d: ModelDiff) -> String {
        func decls(_ l: [DeclarationChange]) -> String {
            "[" + l.map { "{\"path\": \(jsonString($0.path)), \"kind\": \(jsonString($0.kind))}" }.joined(separator: ", ") + "]"
        }
        var out = "{\n  \"added\": \(decls(d.added)),\n  \"removed\": \(decls(d.removed)),\n  \"changed\": ["
        for (i, c) in d.changed.enumerated() {
            out += (i == 0 ? "\n    " : ",\n    ")
            out += "{\"path\": \(jsonString(c.path)), \"before\": \(jsonValue(c.before)), \"after\": \(jsonValue(c.after))}"
        }
        return out + (d.changed.isEmpty ? "]\n}\n" : "\n  ]\n}\n")
    }

    /// A review comment: a one-line summary, the key results that moved, then details.
    static func markdown(_ d: ModelDiff, old: String, new: String) -> String {
        var lines = ["### Strat diff: \(mdCode(old)) → \(mdCode(new))", ""]
        if d.isEmpty { return (lines + ["No differences."]).joined(separator: "\n") + "\n" }
        var summary: [String] = []
        if !d.added.isEmpty { summary.append("\(d.added.count) added") }
        if !d.removed.isEmpty { summary.append("\(d.removed.count) removed") }
        if !d.changed.isEmpty { summary.append("\(d.changed.count) value\(d.changed.count == 1 ? "" : "s") changed") }
        lines.append("**" + summary.joined(separator: " · ") + "**")
        let key = d.changed.filter { c in ["score", "status", "health", "forecast_score"].contains { c.path.hasSuffix("." + $0) } }
        if !key.isEmpty {
            lines += ["", "#### Scores and health", ""]
            lines += mdTable(["Path", "Before", "After"], key.map { [mdCode($0.path), mdText($0.before.description), "**" + mdText($0.after.description) + "**"] })
        }
        if !d.added.isEmpty || !d.removed.isEmpty {
            lines += ["", "#### Declarations", ""]
            lines += d.added.map { "- ➕ added \($0.kind) \(mdCode($0.path))" }
            lines += d.removed.map { "- ➖ removed \($0.kind) \(mdCode($0.path))" }
        }
        let rest = d.changed.filter { c in !key.contains(c) }
        if !rest.isEmpty {
            lines += ["", "<details><summary>Other changed values (\(rest.count))</summary>", ""]
            lines += mdTable(["Path", "Before", "After"], rest.map { [mdCode($0.path), mdText($0.before.description), mdText($0.after.description)] })
            lines += ["", "</details>"]
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// `git show REV:./NAME` run in FILE's folder; its stdout, bounded by the source limit.
    func gitShow(_ rev: String, _ file: String) throws -> [UInt8] {
        if rev.hasPrefix("-") || rev.contains(":") { throw UsageError(message: "--rev takes a git revision such as HEAD~1 or main, not '\(rev)'") }
        let slash = file.lastIndex(of: "/")
        let dir = slash.map { String(file[..<$0]) } ?? "."
        let name = slash.map { String(file[file.index(after: $0)...]) } ?? file
        let limit = Limits().maxSourceBytes
        switch gitShowBytes(rev: rev, dir: dir.isEmpty ? "/" : dir, path: name, limit: limit, quiet: false) {
        case .ok(let out): return out
        case .tooLarge: throw runFailure("'\(file)' at \(rev) is larger than \(limit) bytes")
        case .failed: throw runFailure("git show \(rev):\(file) failed")
        case .cannotRun: throw runFailure("cannot run git (is it installed?)")
        }
    }

    private func runFailure(_ message: String) -> ExitCode {
        emit([Diagnostic(severity: .error, kind: .io, message: message, path: new)], json: format == .json)
        return ExitCode(Exit.noInput)
    }
}

/// What `git show` gave.
enum GitShowResult {
    case ok([UInt8])
    case tooLarge
    case failed
    case cannotRun
}

/// Runs `git -C DIR show REV:./PATH` and reads its stdout, at most `limit` bytes kept
/// (the rest is drained so git does not block). `quiet` sends git's stderr to /dev/null,
/// for imports, whose failure becomes the loader's own diagnostic.
func gitShowBytes(rev: String, dir: String, path: String, limit: Int, quiet: Bool) -> GitShowResult {
    let args = ["git", "-C", dir, "show", "\(rev):./\(path)"]
    var fds: [Int32] = [0, 0]
    guard pipe(&fds) == 0 else { return .cannotRun }
    var actions = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    defer { posix_spawn_file_actions_destroy(&actions) }
    posix_spawn_file_actions_adddup2(&actions, fds[1], 1)
    posix_spawn_file_actions_addclose(&actions, fds[0])
    posix_spawn_file_actions_addclose(&actions, fds[1])
    if quiet { posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0) }
    var cargs: [UnsafeMutablePointer<CChar>?] = args.map { strdup($0) } + [nil]
    defer { for p in cargs { free(p) } }
    var pid: pid_t = 0
    let rc = posix_spawnp(&pid, "git", &actions, nil, &cargs, environ)
    close(fds[1])
    guard rc == 0 else { close(fds[0]); return .cannotRun }
    var out: [UInt8] = []
    var buf = [UInt8](repeating: 0, count: 65536)
    while true {
        let n = read(fds[0], &buf, buf.count)
        if n < 0 && errno == EINTR { continue }
        if n <= 0 { break }
        if out.count <= limit { out.append(contentsOf: buf[0..<n]) }
    }
    close(fds[0])
    var status: Int32 = 0
    while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
    let exited = status & 0x7F == 0, code = (status >> 8) & 0xFF
    guard exited && code == 0 else { return .failed }
    return out.count > limit ? .tooLarge : .ok(out)
}

/// Imports of the old version in `strat diff --rev`: each file as it was at the revision
/// (`git show REV:./PATH` in the model's folder), under the same sandbox as
/// ``FileImporter``: relative paths only, inside the model's folder, at most `maxBytes`.
struct GitRevisionImporter: Importer {
    /// The revision (already checked to be a plain name).
    let rev: String
    /// The model's folder; imports must stay inside it, and git runs there.
    let root: String
    /// Largest file read.
    let maxBytes: Int

    init(rev: String, root: String, maxBytes: Int) {
        self.rev = rev
        self.root = normalizePath(root.isEmpty ? "." : root)
        self.maxBytes = maxBytes
    }

    func resolve(_ path: String, from importingFile: String) throws -> ImportedFile {
        let (joined, rel) = try sandboxedImportPath(path, from: importingFile, root: root)
        if rel == "." {
            throw ImportError("import of '\(path)' refused: it leaves the model's folder",
                              hint: "imports must stay inside the folder of the loaded file")
        }
        switch gitShowBytes(rev: rev, dir: root, path: rel, limit: maxBytes, quiet: true) {
        case .ok(let bytes): return ImportedFile(key: joined, path: joined, bytes: bytes)
        case .tooLarge: throw ImportError("import of '\(path)' refused: the file at \(rev) is larger than \(maxBytes) bytes")
        case .failed: throw ImportError("cannot read imported file '\(path)' at \(rev)", hint: "git show \(rev):./\(rel) failed: is the file in that revision?")
        case .cannotRun: throw ImportError("cannot run git to read imported file '\(path)'")
        }
    }
}
