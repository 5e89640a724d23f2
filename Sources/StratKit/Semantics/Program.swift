/// Parsed sources: every loaded file, the shared interner and expression pool, and the
/// declarations in load order. `use` and `import` are followed through the importer.
final class Program {
    let interner = Interner()
    let pool = ExprPool()
    @exclusivity(unchecked) var files: [SourceFile] = []
    @exclusivity(unchecked) var decls: [Decl] = []
    @exclusivity(unchecked) var sink = DiagnosticSink()
    let limits: Limits
    let importer: Importer?
    @exclusivity(unchecked) private var loaded: [String: Int32] = [:]
    /// Top-level names whose declarations are skipped (redefined later in a REPL session).
    @exclusivity(unchecked) var excluded: Set<String> = []
    /// In ``excluded``: the file's `simulate` is replaced (no name can be spelt so).
    static let simulateKey = "<simulate>"
    @exclusivity(unchecked) private var loading: [String] = []

    init(limits: Limits, importer: Importer?) {
        self.limits = limits
        self.importer = importer
        sink.maxItems = limits.maxDiagnostics
    }

    func addFile(path: String, bytes: [UInt8]) -> SourceFile {
        let f = SourceFile(path: path, bytes: bytes, id: Int32(files.count))
        // The sink shares the array: drop its copy first, or every append (one per
        // evaluated expression) copies all the files before it.
        sink.files = []
        files.append(f)
        sink.files = files
        return f
    }

    /// Forgets the files from `count` on (a scratch scope's queries; see `Engine.withScratch`).
    func truncateFiles(to count: Int) {
        guard files.count > count else { return }
        sink.files = []
        files.removeSubrange(count...)
        sink.files = files
    }

    /// Parses one file's text and follows its `use`/`import` declarations.
    func load(path: String, bytes: [UInt8], key: String? = nil, allowExpressions: Bool = false) -> [Decl] {
        let f = addFile(path: path, bytes: bytes)
        if let k = key { loaded[k] = f.id }
        if bytes.count > limits.maxSourceBytes {
            sink.error("source is larger than \(formatCount(limits.maxSourceBytes)) bytes",
                       at: Span(file: f.id, start: 0, end: 0))
            return []
        }
        Lexer.validateUTF8(f.bytes) { off in
            sink.error("invalid UTF-8 byte", at: Span(file: f.id, start: Int32(off), end: Int32(off + 1)))
        }
        // At most about one node per 3 source bytes: reserving avoids regrowth copies, and
        // pages reserved but never touched cost no memory.
        pool.nodes.reserveCapacity(pool.nodes.count + bytes.count / 3)
        if bytes.count >= 1 << 20 {
            // Calls' and lists' children (a count and an index each): about a word per 12
            // bytes; reserved for the same reason (each doubling copies, and leaves a hole).
            pool.extra.reserveCapacity(pool.extra.count + bytes.count / 12)
            // At most about a new name per 48 bytes (the benchmark's model has one a line).
            interner.reserve(bytes.count / 48)
            // A large model's nodes fill tens of megabytes: huge pages take a few dozen page
            // faults for them instead of thousands (the kernel's time was a third of a run).
            pool.nodes.adviseHugePagesForCapacity()
        }
        var parser = Parser(file: f, interner: interner, pool: pool, sink: sink, maxNesting: limits.maxNesting)
        var ds = parser.parseProgram(allowExpressions: allowExpressions)
        sink = parser.sink
        if !excluded.isEmpty {
            // (`org`, `mission`, `vision` and `values` are named by their keyword.)
            ds.removeAll {
                $0.kind == .simulate ? excluded.contains(Program.simulateKey)
                    : $0.name >= 0 && $0.kind != .use && excluded.contains(interner[$0.name])
            }
        }
        if let k = key { loading.append(k) }
        for d in ds {
            switch d.kind {
            case .use: loadLibrary(d, from: f)
            case .import_: loadImport(d, from: f)
            default: break
            }
        }
        if key != nil { loading.removeLast() }
        if decls.isEmpty { decls = ds } else { decls.append(contentsOf: ds) }
        return ds
    }

    private func loadLibrary(_ d: Decl, from f: SourceFile) {
        let name = interner[d.name]
        let key = "stdlib:" + name
        if loaded[key] != nil { return }
        guard let text = Stdlib.modules[name] else {
            let hint = closest(name, among: Stdlib.modules.keys).map { "did you mean '\($0)'?" }
                ?? "the standard library has \(Stdlib.modules.keys.sorted().joined(separator: ", "))"
            sink.error("unknown library '\(name)'", at: d.nameSpan, hint: hint)
            return
        }
        _ = load(path: "<stdlib>/\(name).strat", bytes: Array(text.utf8), key: key)
    }

    private func loadImport(_ d: Decl, from f: SourceFile) {
        guard let importer else {
            sink.error("imports are disabled in this engine", at: d.nameSpan)
            return
        }
        let resolved: ImportedFile
        do {
            resolved = try importer.resolve(d.path, from: f.path)
        } catch let e as ImportError {
            sink.error(e.message, at: d.nameSpan, hint: e.hint)
            return
        } catch {
            sink.error("cannot import '\(d.path)'", at: d.nameSpan)
            return
        }
        if loading.contains(resolved.key) {
            let chain = (loading.drop(while: { $0 != resolved.key }) + [resolved.key]).joined(separator: " -> ")
            sink.error("import cycle: \(chain)", at: d.nameSpan)
            return
        }
        if loaded[resolved.key] != nil { return }
        if loading.count > limits.maxNesting {
            sink.error("imports nested deeper than \(limits.maxNesting)", at: d.nameSpan)
            return
        }
        if isActualsPath(resolved.path) {
            loadActuals(path: resolved.path, bytes: resolved.bytes, key: resolved.key)
            return
        }
        _ = load(path: resolved.path, bytes: resolved.bytes, key: resolved.key)
    }

    /// Records a file as loaded, so importing it again is harmless.
    func markLoaded(_ key: String, _ id: Int32) { loaded[key] = id }
}

func formatCount(_ n: Int) -> String {
    let s = String(n)
    var out = ""
    for (i, ch) in s.reversed().enumerated() {
        if i > 0 && i % 3 == 0 && ch != "-" { out.append(",") }
        out.append(ch)
    }
    return String(out.reversed())
}

extension Array {
    /// Asks for transparent huge pages on the array's whole reserved capacity (see
    /// `adviseHugePages`; nothing under 4 MB): a large buffer filled after a reserve then
    /// takes a few page faults instead of one per 4 KB.
    mutating func adviseHugePagesForCapacity() {
        let bytes = capacity * MemoryLayout<Element>.stride
        withUnsafeMutableBufferPointer { b in
            if let base = b.baseAddress { adviseHugePages(UnsafeMutableRawBufferPointer(start: base, count: bytes)) }
        }
    }
}
