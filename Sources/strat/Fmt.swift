import StratKit
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

struct Fmt {
    static let spec = CommandSpec(
        name: "fmt",
        abstract: "Format models in the canonical layout (in place, or report with --check).",
        positionals: "FILE…", minPositionals: 1, maxPositionals: 100000,
        options: [OptionSpec(long: "check", help: "Do not write; list the files that are not formatted and exit 1 if any.")],
        discussion: """
        One layout: two-space indentation in blocks, one space around binary \
        operators, `name: value` properties, one declaration or block entry per \
        line, a blank line around declarations that span several lines; every \
        comment is kept. Formatting never changes a model's meaning (the result is \
        checked to parse to the same syntax tree) and formatting twice changes \
        nothing. A file with syntax errors is reported (exit 65) and left alone. \
        FILE `-` formats standard input to standard output.

        With --check nothing is written: the files that would change are listed and \
        the exit code is 1 if there are any.

        Examples:
          strat fmt plan.strat
          strat fmt --check strategy/*.strat
          strat fmt - < plan.strat
        """)

    var files: [String]
    var check = false


    init(_ a: ParsedArguments) throws {
        files = a.positionals
        check = a.flag("check")
        try validate()
    }

    func validate() throws {
        if files.isEmpty { throw UsageError(message: "give at least one file to format") }
    }

    func run() throws {
        var code: Int32 = 0
        for f in files {
            code = Exit.worst(code, format(f))
        }
        if code != 0 { throw ExitCode(code) }
    }

    /// Formats one file; returns its exit code.
    func format(_ f: String) -> Int32 {
        let path = f == "-" ? "<stdin>" : f
        guard let bytes = f == "-" ? readStdin() : readFileBytes(f) else {
            emit([Diagnostic(severity: .error, kind: .io, message: "cannot read '\(f)'", path: f)], json: false)
            return Exit.noInput
        }
        if let bad = invalidUTF8(bytes, path: path) {
            emit([bad], json: false)
            return Exit.dataError
        }
        let source = String(decoding: bytes, as: UTF8.self)
        let formatted: String
        do {
            formatted = try formatStrat(source, path: path)
        } catch let e as StratError {
            emit(e.diagnostics, json: false)
            return Exit.dataError
        } catch {
            writeErr("error: \(error)")
            return Exit.software
        }
        let changed = formatted != source
        if check {
            if changed { writeOut(path + "\n") }
            return changed ? Exit.assertion : Exit.ok
        }
        if f == "-" {
            writeOut(formatted)
            return Exit.ok
        }
        if changed && !writeFileAtomically(f, formatted) {
            emit([Diagnostic(severity: .error, kind: .io, message: "cannot write '\(f)'", path: f)], json: false)
            return Exit.noInput
        }
        return Exit.ok
    }
}

/// Writes through a temporary file in the same folder and renames it over the original,
/// keeping the original's permissions.
func writeFileAtomically(_ path: String, _ text: String) -> Bool {
    let tmp = path + ".strat-fmt.\(getpid())"
    var st = stat()
    let hasMode = stat(path, &st) == 0
    guard let fp = fopen(tmp, "wb") else { return false }
    let bytes = Array(text.utf8)
    let n = bytes.withUnsafeBytes { fwrite($0.baseAddress, 1, $0.count, fp) }
    let ok = n == bytes.count && fflush(fp) == 0
    fclose(fp)
    if !ok { unlink(tmp); return false }
    if hasMode { chmod(tmp, st.st_mode & 0o7777) }
    if rename(tmp, path) != 0 { unlink(tmp); return false }
    return true
}
