#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Limits that keep any input from exhausting the process. Hitting one is a diagnostic
/// that names it.
public struct Limits: Sendable, Hashable {
    /// Expression and block nesting (parser and evaluator).
    public var maxNesting = 256
    /// Depth of user function calls.
    public var maxCallDepth = 256
    /// Evaluation steps per operation (load, evaluate, what-if, report).
    public var maxSteps = 100_000_000
    /// Periods of one projection.
    public var maxPeriods = 1_000_000
    /// Characters of one string value.
    public var maxStringLength = 10_000_000
    /// Elements of one list value.
    public var maxListLength = 10_000_000
    /// Bytes of one source file.
    public var maxSourceBytes = 256 * 1024 * 1024
    /// Samples of one distribution (SPEC §13).
    public var maxSamples = 10_000_000
    /// Samples × stored projection periods of one uncertain projection group.
    public var maxSampleCells = 200_000_000
    /// Compile diagnostics kept for one load; past it one more says the rest are not shown.
    public var maxDiagnostics = 1000
    /// Bytes of `print` output of one run, and (roughly) of the values one report holds;
    /// past it the rest is left out with an error that names this limit.
    public var maxOutputBytes = 64 * 1024 * 1024

    /// The defaults of SPEC §8.
    public init() {}
}

/// A file an ``Importer`` found: a key that identifies it (for "imported once" and cycle
/// detection), the path shown in diagnostics, and its bytes.
public struct ImportedFile: Sendable {
    /// Identity of the file, such as its normalized path.
    public var key: String
    /// Path shown in diagnostics.
    public var path: String
    /// The file's UTF-8 bytes.
    public var bytes: [UInt8]

    /// Makes an imported file.
    public init(key: String, path: String, bytes: [UInt8]) {
        self.key = key
        self.path = path
        self.bytes = bytes
    }
}

/// Why an import was refused or failed. The message never echoes file content.
public struct ImportError: Error, Sendable {
    /// One-line reason.
    public var message: String
    /// Optional suggestion.
    public var hint: String?

    /// Makes an import error.
    public init(_ message: String, hint: String? = nil) {
        self.message = message
        self.hint = hint
    }
}

/// All file access of the library goes through an importer (`import "path"`).
public protocol Importer: Sendable {
    /// Finds and reads `path` as written in `import`, relative to the importing file.
    func resolve(_ path: String, from importingFile: String) throws -> ImportedFile
}

/// The default importer: files under one root folder (the loaded file's folder).
/// Absolute paths and paths that leave the root are refused.
///
/// Each file is opened once and read from that descriptor: where the descriptor really
/// points is checked after opening, so a folder swapped for a symbolic link between a
/// check and the open cannot lead outside the root.
public struct FileImporter: Importer {
    /// The folder imports must stay inside.
    public let root: String
    /// Largest file read (bytes); reading stops one byte past it and the import is refused.
    public var maxBytes: Int

    /// Makes an importer confined to `root`.
    public init(root: String, maxBytes: Int = Limits().maxSourceBytes) {
        self.root = normalizePath(root.isEmpty ? "." : root)
        self.maxBytes = maxBytes
    }

    /// Resolves `path` against the importing file's folder, inside the root.
    public func resolve(_ path: String, from importingFile: String) throws -> ImportedFile {
        let (joined, rel) = try sandboxedImportPath(path, from: importingFile, root: root)
        guard let realRoot = realPath(root) else { throw ImportError("cannot read imported file '\(path)'") }
        // O_NONBLOCK: opening a FIFO must not wait for a writer (it is refused below).
        let fd = open(realRoot == "/" ? "/" + rel : realRoot + "/" + rel, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC)
        guard fd >= 0 else { throw ImportError("cannot read imported file '\(path)'") }
        defer { close(fd) }
        // Symbolic links could point anywhere: where the open descriptor really is decides.
        guard let realFile = descriptorPath(fd) else { throw ImportError("cannot read imported file '\(path)'") }
        if realFile != realRoot && !realFile.hasPrefix(realRoot == "/" ? "/" : realRoot + "/") {
            throw ImportError("import of '\(path)' refused: it leaves the model's folder",
                              hint: "imports must stay inside the folder of the loaded file (symbolic links included)")
        }
        // Only regular files: a FIFO or a device would block or never end.
        var st = stat()
        guard fstat(fd, &st) == 0, (st.st_mode & S_IFMT) == S_IFREG else {
            throw ImportError("cannot read imported file '\(path)': not a regular file")
        }
        _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK)
        guard let bytes = readAll(fd: fd, limit: maxBytes) else { throw ImportError("cannot read imported file '\(path)'") }
        if bytes.count > maxBytes {
            throw ImportError("import of '\(path)' refused: the file is larger than \(formatCount(maxBytes)) bytes")
        }
        return ImportedFile(key: realFile, path: joined, bytes: bytes)
    }
}

/// The lexical sandbox every file-backed importer applies before reading: `path` as written
/// in `import`, joined to the importing file's folder and normalized, and that path relative
/// to `root`. Empty, NUL-bearing and absolute paths, and paths leaving `root`, are refused.
package func sandboxedImportPath(_ path: String, from importingFile: String, root: String) throws -> (joined: String, rel: String) {
    if path.isEmpty { throw ImportError("empty import path") }
    if path.utf8.contains(0) {
        throw ImportError("import of '\(path.replacingNUL)' refused: the path contains a NUL byte")
    }
    if path.hasPrefix("/") {
        throw ImportError("import of '\(path)' refused: absolute paths are not allowed",
                          hint: "import files by a path relative to the importing file")
    }
    let dir = directoryOf(importingFile)
    let joined = normalizePath(dir.isEmpty ? path : dir + "/" + path)
    guard let rel = relativePath(joined, under: root) else {
        throw ImportError("import of '\(path)' refused: it leaves the model's folder",
                          hint: "imports must stay inside the folder of the loaded file")
    }
    return (joined, rel)
}

extension String {
    /// The text with NUL bytes shown as `\0` (a NUL would cut a C string short).
    var replacingNUL: String { contains("\0") ? split(separator: "\0", omittingEmptySubsequences: false).joined(separator: "\\0") : self }
}

/// `path` relative to `root` (both normalized), or nil when it lies outside lexically.
package func relativePath(_ path: String, under root: String) -> String? {
    let rel: String
    if root == "." { rel = path }
    else if path == root { rel = "." }
    else if root == "/" { guard path.hasPrefix("/") else { return nil }; rel = String(path.dropFirst()) }
    else if path.hasPrefix(root + "/") { rel = String(path.dropFirst(root.utf8.count + 1)) }
    else { return nil }
    if rel.hasPrefix("/") || rel == ".." || rel.hasPrefix("../") { return nil }
    return rel
}

/// The real path of an open descriptor (what it points to now, links resolved).
func descriptorPath(_ fd: Int32) -> String? {
    #if os(Linux)
    var buf = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
    let n = readlink("/proc/self/fd/\(fd)", &buf, buf.count - 1)
    guard n > 0 else { return nil }
    let s = String(decoding: buf[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    // A deleted file reads as "/path (deleted)"; it is not a path to trust.
    return s.hasPrefix("/") && !s.hasSuffix(" (deleted)") ? s : nil
    #else
    var buf = [CChar](repeating: 0, count: Int(MAXPATHLEN) + 1)
    guard fcntl(fd, F_GETPATH, &buf) != -1 else { return nil }
    return String(cString: buf)
    #endif
}

/// The canonical absolute path with symbolic links resolved, or nil when it does not exist.
package func realPath(_ path: String) -> String? {
    if path.utf8.contains(0) { return nil }
    guard let p = realpath(path, nil) else { return nil }
    defer { free(p) }
    return String(cString: p)
}

/// The folder part of a path ("" for a bare file name).
package func directoryOf(_ path: String) -> String {
    guard let slash = path.lastIndex(of: "/") else { return "" }
    let d = String(path[..<slash])
    return d.isEmpty ? "/" : d
}

/// Collapses `.` and `..` components lexically.
package func normalizePath(_ path: String) -> String {
    let absolute = path.hasPrefix("/")
    var parts: [Substring] = []
    for c in path.split(separator: "/", omittingEmptySubsequences: true) {
        if c == "." { continue }
        if c == "..", let last = parts.last, last != ".." { parts.removeLast(); continue }
        if c == "..", absolute { continue }
        parts.append(c)
    }
    let s = parts.joined(separator: "/")
    if absolute { return "/" + s }
    return s.isEmpty ? "." : s
}

/// Reads a descriptor to its end in 64 KiB chunks, stopping once more than `limit` bytes
/// are in (so `/dev/zero` or a huge sparse file ends at the limit); nil on a read error.
/// `expectedSize` (a regular file's size) sizes the buffer once instead of doubling it.
public func readAll(fd: Int32, limit: Int = Int.max, expectedSize: Int = 0) -> [UInt8]? {
    var out: [UInt8] = []
    if expectedSize > 0 {
        out.reserveCapacity(min(expectedSize, limit) + 1)
        out.adviseHugePagesForCapacity()
    }
    let size = 1 << 16
    var chunk = [UInt8](repeating: 0, count: size)
    while out.count <= limit {
        let want = min(size, limit - out.count + 1)
        let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress!, want) }
        if n < 0 {
            if errno == EINTR { continue }
            return nil
        }
        if n == 0 { break }
        out.append(contentsOf: chunk[0..<n])
    }
    return out
}

/// Reads a file (not a folder), at most `limit` + 1 bytes of it, or nil. A result longer
/// than `limit` means the file is larger; the loader reports that limit.
public func readFileBytes(_ path: String, limit: Int = Limits().maxSourceBytes) -> [UInt8]? {
    if path.utf8.contains(0) { return nil }
    let fd = open(path, O_RDONLY | O_NOCTTY | O_CLOEXEC)
    guard fd >= 0 else { return nil }
    defer { close(fd) }
    var st = stat()
    let known = fstat(fd, &st) == 0
    if known, (st.st_mode & S_IFMT) == S_IFDIR { return nil }
    return readAll(fd: fd, limit: limit, expectedSize: known && (st.st_mode & S_IFMT) == S_IFREG ? Int(st.st_size) : 0)
}

/// Engine settings: limits, the importer, and where `print` output goes.
public struct Configuration: Sendable {
    /// Resource limits.
    public var limits = Limits()
    /// How `import` finds files; nil disables imports. When nil at load time and
    /// `useDefaultImporter` is true, a ``FileImporter`` rooted at the loaded file's folder is used.
    public var importer: Importer?
    /// Use a ``FileImporter`` under the loaded file's folder when `importer` is nil.
    public var useDefaultImporter = true
    /// Polled during long evaluations (every 65,536 evaluation steps, and before every
    /// run of projection periods: each uncertain period, 1,024 interpreted periods, at most
    /// 262,144 steps of compiled code); returning true stops the evaluation with an
    /// "interrupted" error. While it keeps answering true (the REPL's does until the
    /// command ends), every projection still to step in that operation stops at its first
    /// poll. The REPL connects it to Ctrl-C.
    public var interrupt: (@Sendable () -> Bool)?
    /// Monte Carlo sample count; nil uses the model's `simulate N` (default 10,000).
    public var samples: Int?
    /// Monte Carlo seed; nil uses the model's `simulate … seed S` (default 1).
    public var seed: UInt64?
    /// Threads for sample loops; nil uses every processor online. Results are identical
    /// for any thread count.
    public var threads: Int?
    /// Receives `print` output; when nil, output is only collected in reports.
    public var output: (@Sendable (String) -> Void)?
    /// Record what every name in the model refers to, for ``Engine/symbolIndex()`` (the
    /// language server's definition, references and rename). Off by default: it costs
    /// memory per name use.
    package var recordSymbols = false
    /// Host functions every engine made from this configuration knows from its first load;
    /// ``Engine/register(function:arity:_:)`` adds more (or replaces one of the same name).
    public var functions: [HostFunctionDefinition] = []
    /// Keep every period of every projection from the first evaluation on: a host that
    /// will ask for a report with series (`strat run`) then steps each projection once
    /// instead of once unstored and again to store it.
    package var keepsSeries = false
    /// The evaluation date, the value of `today` (SPEC §14). Nil: the library reads the
    /// system clock once per load (hosts that want reproducible runs set it).
    public var asOf: CalendarDate?

    /// The default configuration.
    public init() {}
}
