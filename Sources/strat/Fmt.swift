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
        let limit = Limits().maxSourceBytes
        if bytes.count > limit {
            emit([Diagnostic(severity: .error, kind: .compile, message: "source is larger than \(limit) bytes",
                             path: path, line: 1, column: 1)], json: false)
            return Exit.dataError
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
            writeOutExact(formatted)
            return Exit.ok
        }
        if changed && !writeFileAtomically(f, formatted) {
            emit([Diagnostic(severity: .error, kind: .io, message: "cannot write '\(f)'", path: f)], json: false)
            return Exit.noInput
        }
        return Exit.ok
    }
}

/// Writes `text` over `path` atomically: a temporary file created exclusively
/// (mkstemp: O_CREAT|O_EXCL, mode 600, an unpredictable name) in the same folder, written,
/// given the original's permissions, fsynced and renamed over the original. A symbolic
/// link is followed: its target is replaced and the link kept.
func writeFileAtomically(_ path: String, _ text: String) -> Bool {
    var target = path
    var lst = stat()
    if lstat(path, &lst) == 0, (lst.st_mode & S_IFMT) == S_IFLNK {
        guard let p = realpath(path, nil) else { return false }
        target = String(cString: p)
        free(p)
    }
    var st = stat()
    let hasMode = stat(target, &st) == 0
    let slash = target.lastIndex(of: "/")
    let dir = slash.map { String(target[..<$0]) } ?? "."
    let base = slash.map { String(target[target.index(after: $0)...]) } ?? target
    var template = Array(((dir.isEmpty ? "" : dir + "/") + "." + base + ".strat-fmt.XXXXXX").utf8CString)
    let fd = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
    guard fd >= 0 else { return false }
    let tmp = String(cString: template)
    let bytes = Array(text.utf8)
    var off = 0
    var ok = true
    while off < bytes.count {
        let n = bytes.withUnsafeBytes { write(fd, $0.baseAddress! + off, $0.count - off) }
        if n < 0 && errno == EINTR { continue }
        if n <= 0 { ok = false; break }
        off += n
    }
    // A new file gets the usual mode (666 less the umask), not mkstemp's 600.
    let mask = umask(0o022); umask(mask)
    let mode = hasMode ? st.st_mode & 0o7777 : 0o666 & ~mask
    if ok { ok = fchmod(fd, mode) == 0 }
    if ok { ok = fsync(fd) == 0 }
    if close(fd) != 0 { ok = false }
    if !ok || rename(tmp, target) != 0 { unlink(tmp); return false }
    // The rename itself is durable once the folder is synced.
    let dfd = open(dir.isEmpty ? "/" : dir, O_RDONLY | O_DIRECTORY)
    if dfd >= 0 { _ = fsync(dfd); close(dfd) }
    return true
}
