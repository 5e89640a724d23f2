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
public struct FileImporter: Importer {
    /// The folder imports must stay inside.
    public let root: String

    /// Makes an importer confined to `root`.
    public init(root: String) { self.root = normalizePath(root.isEmpty ? "." : root) }

    /// Resolves `path` against the importing file's folder, inside the root.
    public func resolve(_ path: String, from importingFile: String) throws -> ImportedFile {
        if path.isEmpty { throw ImportError("empty import path") }
        if path.hasPrefix("/") {
            throw ImportError("import of '\(path)' refused: absolute paths are not allowed",
                              hint: "import files by a path relative to the importing file")
        }
        let dir = directoryOf(importingFile)
        let joined = normalizePath(dir.isEmpty ? path : dir + "/" + path)
        let rootPrefix = root == "." ? "" : root + "/"
        let inside: Bool
        if root == "." { inside = !joined.hasPrefix("..") && !joined.hasPrefix("/") }
        else { inside = joined == root || joined.hasPrefix(rootPrefix) }
        if !inside || joined.split(separator: "/").first == ".." {
            throw ImportError("import of '\(path)' refused: it leaves the model's folder",
                              hint: "imports must stay inside the folder of the loaded file")
        }
        // Symbolic links could point anywhere: compare the real locations too.
        guard let realRoot = realPath(root), let realFile = realPath(joined) else {
            throw ImportError("cannot read imported file '\(path)'")
        }
        if realFile != realRoot && !realFile.hasPrefix(realRoot == "/" ? "/" : realRoot + "/") {
            throw ImportError("import of '\(path)' refused: it leaves the model's folder",
                              hint: "imports must stay inside the folder of the loaded file (symbolic links included)")
        }
        // Only regular files: opening a FIFO would wait for a writer forever.
        var st = stat()
        guard stat(realFile, &st) == 0, (st.st_mode & S_IFMT) == S_IFREG, let bytes = readFileBytes(realFile) else {
            throw ImportError("cannot read imported file '\(path)'")
        }
        return ImportedFile(key: realFile, path: joined, bytes: bytes)
    }
}

/// The canonical absolute path with symbolic links resolved, or nil when it does not exist.
package func realPath(_ path: String) -> String? {
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

/// Reads a whole regular file, or nil.
public func readFileBytes(_ path: String) -> [UInt8]? {
    guard let f = fopen(path, "rb") else { return nil }
    defer { fclose(f) }
    var st = stat()
    if fstat(fileno(f), &st) == 0, (st.st_mode & S_IFMT) == S_IFDIR { return nil }
    var out: [UInt8] = []
    var chunk = [UInt8](repeating: 0, count: 1 << 16)
    while true {
        let n = chunk.withUnsafeMutableBytes { fread($0.baseAddress, 1, 1 << 16, f) }
        if n > 0 { out.append(contentsOf: chunk[0..<n]) }
        if n < 1 << 16 { break }
    }
    if ferror(f) != 0 { return nil }
    return out
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
    /// Polled during long evaluations (every 262,144 steps and every 65,536 projection
    /// periods); returning true stops the evaluation with an "interrupted" error. The
    /// REPL connects it to Ctrl-C.
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
    /// The evaluation date, the value of `today` (SPEC §14). Nil: the library reads the
    /// system clock once per load (hosts that want reproducible runs set it).
    public var asOf: CalendarDate?

    /// The default configuration.
    public init() {}
}
