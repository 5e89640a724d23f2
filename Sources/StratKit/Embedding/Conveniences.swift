// Conveniences for hosts that embed StratKit: one-line configurations and limits, an
// importer that serves files from memory, and constructors for values with units.

extension Configuration {
    /// A configuration in one expression:
    ///
    /// ```swift
    /// let engine = Engine(configuration: Configuration(
    ///     limits: Limits(maxSteps: 1_000_000),
    ///     importer: InMemoryImporter(["rates.strat": "let eur_usd = 1.08"]),
    ///     output: { line in log.append(line) }))
    /// ```
    ///
    /// - Parameters:
    ///   - limits: resource limits (``Limits`` defaults when omitted).
    ///   - importer: how `import "path"` finds files; `nil` means the default
    ///     ``FileImporter`` under the loaded file's folder when `useDefaultImporter` is true,
    ///     else imports are disabled.
    ///   - useDefaultImporter: whether to fall back to a ``FileImporter`` when `importer` is nil.
    ///   - output: receives the text of every `print` statement, on the thread that runs the engine.
    public init(limits: Limits = Limits(), importer: Importer? = nil, useDefaultImporter: Bool = true,
                output: (@Sendable (String) -> Void)? = nil) {
        self.init()
        self.limits = limits
        self.importer = importer
        self.useDefaultImporter = useDefaultImporter
        self.output = output
    }

    /// A configuration that reads no files at all: `import` is a diagnostic
    /// ("imports are disabled in this engine"). `use` of the bundled standard library still works.
    public static var noImports: Configuration {
        Configuration(importer: nil, useDefaultImporter: false)
    }
}

extension Limits {
    /// Limits with some values changed from the defaults of SPEC §8:
    /// `Limits(maxSteps: 1_000_000, maxCallDepth: 64)`.
    public init(maxNesting: Int? = nil, maxCallDepth: Int? = nil, maxSteps: Int? = nil,
                maxPeriods: Int? = nil, maxStringLength: Int? = nil, maxListLength: Int? = nil,
                maxSourceBytes: Int? = nil, maxDiagnostics: Int? = nil, maxOutputBytes: Int? = nil) {
        self.init()
        if let v = maxNesting { self.maxNesting = v }
        if let v = maxCallDepth { self.maxCallDepth = v }
        if let v = maxSteps { self.maxSteps = v }
        if let v = maxPeriods { self.maxPeriods = v }
        if let v = maxStringLength { self.maxStringLength = v }
        if let v = maxListLength { self.maxListLength = v }
        if let v = maxSourceBytes { self.maxSourceBytes = v }
        if let v = maxDiagnostics { self.maxDiagnostics = v }
        if let v = maxOutputBytes { self.maxOutputBytes = v }
    }
}

/// An importer that serves files from memory, for hosts that keep models in a database,
/// a bundle or a network store, and for tests. It never touches the file system.
///
/// Keys are paths such as `"rates.strat"` or `"shared/units.strat"`. An `import` inside a
/// served file is resolved relative to that file's folder (`import "units.strat"` in
/// `shared/rates.strat` finds `shared/units.strat`); an `import` in the loaded model is
/// looked up as written. `.` and `..` are collapsed; a path that still leaves the root,
/// or an absolute path, is refused.
public struct InMemoryImporter: Importer {
    private let files: [String: [UInt8]]

    /// An importer serving `files` (path → Strat source text).
    public init(_ files: [String: String]) {
        var out: [String: [UInt8]] = [:]
        for (k, v) in files { out[normalizePath(k)] = Array(v.utf8) }
        self.files = out
    }

    /// Finds `path` among the files, relative to `importingFile` when that is one of them.
    public func resolve(_ path: String, from importingFile: String) throws -> ImportedFile {
        if path.isEmpty { throw ImportError("empty import path") }
        if path.hasPrefix("/") {
            throw ImportError("import of '\(path)' refused: absolute paths are not allowed",
                              hint: "import files by a path relative to the importing file")
        }
        let base = files[importingFile] != nil ? directoryOf(importingFile) : ""
        let key = normalizePath(base.isEmpty ? path : base + "/" + path)
        if key == ".." || key.hasPrefix("../") {
            throw ImportError("import of '\(path)' refused: it leaves the importer's root")
        }
        guard let bytes = files[key] else {
            throw ImportError("cannot find imported file '\(path)'",
                              hint: closest(key, among: files.keys).map { "did you mean '\($0)'?" })
        }
        return ImportedFile(key: key, path: key, bytes: bytes)
    }
}

extension Value {
    /// An amount of money in US dollars, displayed like the literal `$40` (or `$2.5M` with
    /// `scaled: true`).
    public static func money(_ dollars: Double, scaled: Bool = false) -> Value {
        .number(dollars, NumberUnit(money: 1, display: scaled ? .moneyMagnitude : .money))
    }

    /// A fraction displayed as a percent: `Value.percent(0.038)` shows as `3.8%`.
    public static func percent(_ fraction: Double) -> Value {
        .number(fraction, NumberUnit(display: .percent))
    }

    /// A duration in seconds, displayed in `display` (`.s`, `.ms`, `.min`, `.h`, `.d`, `.wk`).
    public static func duration(seconds: Double, display: NumberUnit.Display = .s) -> Value {
        .number(seconds, NumberUnit(time: 1, display: display))
    }
}
