// `strat lsp`: the language server. One thread reads framed JSON-RPC messages from
// standard input, keeps the open documents, and answers on standard output. Each change
// marks its document (and the documents importing it) for analysis; analysis waits until
// no further message is already waiting, so a burst of keystrokes costs one load, and a
// request on a document analyses it first, so no answer or diagnostic is ever stale.

import StratKit
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// One open document.
package final class Document {
    let uri: String
    /// The file path (`file://` URIs), or the URI itself for other schemes.
    let path: String
    var version: Int
    var bytes: [UInt8]
    var lines: LineIndex
    /// The engine of the last analysis (nil until analysed).
    var engine: Engine?
    /// The files the last analysis loaded (for re-analysing importers).
    var loaded: [String] = []
    private var cachedIndex: SymbolIndex?
    var needsAnalysis = true

    init(uri: String, path: String, version: Int, text: String) {
        self.uri = uri
        self.path = path
        self.version = version
        bytes = Array(text.utf8)
        lines = LineIndex(bytes)
    }

    var text: String { String(decoding: bytes, as: UTF8.self) }

    func replace(_ r: Range<Int>, with text: String) {
        bytes.replaceSubrange(r, with: Array(text.utf8))
        lines = LineIndex(bytes)
    }

    func setText(_ text: String) {
        bytes = Array(text.utf8)
        lines = LineIndex(bytes)
    }

    func setEngine(_ e: Engine) {
        engine = e
        loaded = e.loadedFiles
        cachedIndex = nil
    }

    /// The symbol index of the last analysis, built on first use.
    var index: SymbolIndex {
        if let i = cachedIndex { return i }
        let i = engine?.symbolIndex() ?? SymbolIndex()
        cachedIndex = i
        return i
    }
}

/// Imports for the server: relative to the importing file and inside the main file's
/// folder, like the CLI's; an open buffer wins over the file on disk.
struct BufferImporter: Importer {
    let root: String
    let buffers: [String: [UInt8]]

    func resolve(_ path: String, from importingFile: String) throws -> ImportedFile {
        let dir = directoryOf(importingFile)
        let joined = normalizePath(path.hasPrefix("/") || dir.isEmpty ? path : dir + "/" + path)
        if !path.hasPrefix("/"), let bytes = buffers[joined], joined.hasPrefix(root == "/" ? "/" : root + "/") {
            return ImportedFile(key: realPath(joined) ?? joined, path: joined, bytes: bytes)
        }
        return try FileImporter(root: root).resolve(path, from: importingFile)
    }
}

package final class LanguageServer {
    private let send: (JSONValue) -> Void
    private var initialized = false
    private var shuttingDown = false
    private(set) var docs: [String: Document] = [:]
    /// URIs in the order they were opened (analysis order).
    private var order: [String] = []
    /// Diagnostics already published per URI (to clear only what was shown).
    private var published: Set<String> = []
    package var reader = FrameReader()

    package init(send: @escaping (JSONValue) -> Void) { self.send = send }

    // MARK: Loop

    /// Serves until `exit` or the end of input; returns the exit code.
    package func serve(input fd: Int32) -> Int32 {
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            while let f = reader.next() {
                if let code = handle(frame: f) { return code }
            }
            // More input already waiting: read it before analysing (coalesces bursts).
            if !inputReady(fd) { analyzePending() }
            let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress!, $0.count) }
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { return shuttingDown ? 0 : 1 }
            reader.feed(chunk[0..<n])
        }
    }

    private func inputReady(_ fd: Int32) -> Bool {
        var p = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        return poll(&p, 1, 0) > 0
    }

    /// Handles one frame; returns an exit code when the server should stop.
    package func handle(frame f: FrameReader.Frame) -> Int32? {
        switch f {
        case .error(let m):
            respond(id: .null, error: LSPError(code: ErrorCode.parseError, message: m))
            return nil
        case .message(let body):
            let msg: JSONValue
            do { msg = try JSONValue.parse(bytes: body, maxDepth: 128) } catch {
                respond(id: .null, error: LSPError(code: ErrorCode.parseError, message: error.description))
                return nil
            }
            return handle(message: msg)
        }
    }

    package func handle(message msg: JSONValue) -> Int32? {
        if let batch = msg.arrayValue {
            // JSON-RPC batches are not part of LSP; answer each element anyway.
            if batch.isEmpty { respond(id: .null, error: LSPError(code: ErrorCode.invalidRequest, message: "empty batch")) }
            for m in batch.prefix(1000) { if let c = handle(message: m) { return c } }
            return nil
        }
        guard msg.objectValue != nil else {
            respond(id: .null, error: LSPError(code: ErrorCode.invalidRequest, message: "a message must be a JSON object"))
            return nil
        }
        let id = msg["id"]
        if let id, !(id.stringValue != nil || id.intValue != nil || id.isNull) {
            respond(id: .null, error: LSPError(code: ErrorCode.invalidRequest, message: "'id' must be a number or a string"))
            return nil
        }
        guard let method = msg["method"]?.stringValue else {
            if msg["method"] == nil && (msg["result"] != nil || msg["error"] != nil) { return nil }  // a response to us
            respond(id: id ?? .null, error: LSPError(code: ErrorCode.invalidRequest, message: "a message needs a 'method' string"))
            return nil
        }
        let params = msg["params"] ?? .null
        if params.objectValue == nil && params.arrayValue == nil && !params.isNull {
            if let id { respond(id: id, error: .params("'params' must be an object or an array")) }
            return nil
        }
        guard let id else {
            return notification(method, params)
        }
        do {
            let result = try request(method, params)
            send(.obj([("jsonrpc", .str("2.0")), ("id", id), ("result", result)]))
        } catch let e as LSPError {
            respond(id: id, error: e)
        } catch let e as StratError {
            respond(id: id, error: LSPError(code: ErrorCode.requestFailed, message: e.diagnostics.first?.message ?? "failed"))
        } catch {
            respond(id: id, error: LSPError(code: ErrorCode.internalError, message: "\(error)"))
        }
        return nil
    }

    private func respond(id: JSONValue, error e: LSPError) {
        send(.obj([("jsonrpc", .str("2.0")), ("id", id),
                   ("error", .obj([("code", .int(e.code)), ("message", .str(e.message))]))]))
    }

    // MARK: Lifecycle and dispatch

    private func request(_ method: String, _ params: JSONValue) throws -> JSONValue {
        if method == "initialize" {
            if initialized { throw LSPError(code: ErrorCode.invalidRequest, message: "the server is already initialized") }
            initialized = true
            return Self.initializeResult
        }
        guard initialized else {
            throw LSPError(code: ErrorCode.serverNotInitialized, message: "the server is not initialized (send 'initialize' first)")
        }
        if shuttingDown { throw LSPError(code: ErrorCode.invalidRequest, message: "the server is shutting down") }
        switch method {
        case "shutdown":
            shuttingDown = true
            return .null
        case "textDocument/hover": return try hover(params)
        case "textDocument/definition": return try definition(params)
        case "textDocument/references": return try references(params)
        case "textDocument/documentHighlight": return try highlights(params)
        case "textDocument/codeAction": return try codeActions(params)
        case "textDocument/prepareRename": return try prepareRename(params)
        case "textDocument/rename": return try rename(params)
        case "textDocument/documentSymbol": return try documentSymbols(params)
        case "textDocument/completion": return try completion(params)
        case "textDocument/signatureHelp": return try signatureHelp(params)
        case "textDocument/formatting": return try formatting(params)
        case "textDocument/inlayHint": return try inlayHints(params)
        case "textDocument/semanticTokens/full": return try semanticTokens(params)
        default:
            throw LSPError(code: ErrorCode.methodNotFound, message: "unknown method '\(method.prefix(100))'")
        }
    }

    private func notification(_ method: String, _ params: JSONValue) -> Int32? {
        if method == "exit" { return shuttingDown ? 0 : 1 }
        guard initialized, !shuttingDown else { return nil }
        switch method {
        case "textDocument/didOpen":
            guard let td = params["textDocument"], let uri = td["uri"]?.stringValue, let text = td["text"]?.stringValue else { return nil }
            let doc = Document(uri: uri, path: filePath(fromURI: uri) ?? uri, version: td["version"]?.intValue ?? 0, text: text)
            if docs[uri] == nil { order.append(uri) }
            docs[uri] = doc
            changed(doc)
        case "textDocument/didChange":
            guard let uri = params["textDocument"]?["uri"]?.stringValue, let doc = docs[uri],
                  let changes = params["contentChanges"]?.arrayValue else { return nil }
            for c in changes {
                guard let text = c["text"]?.stringValue else { continue }
                if let r = c["range"], let s = r["start"], let e = r["end"] {
                    let a = clampedOffset(doc, s), b = clampedOffset(doc, e)
                    doc.replace(min(a, b)..<max(a, b), with: text)
                } else {
                    doc.setText(text)
                }
            }
            doc.version = params["textDocument"]?["version"]?.intValue ?? doc.version + 1
            changed(doc)
        case "textDocument/didClose":
            guard let uri = params["textDocument"]?["uri"]?.stringValue, let doc = docs.removeValue(forKey: uri) else { return nil }
            order.removeAll { $0 == uri }
            publish(uri: uri, [])
            markImporters(of: doc.path)
        case "textDocument/didSave":
            // The saved file may be imported by documents that are not open buffers of it.
            if let uri = params["textDocument"]?["uri"]?.stringValue, let doc = docs[uri] { markImporters(of: doc.path) }
        case "workspace/didChangeWatchedFiles":
            // Files changed on disk: documents importing them are analysed again.
            for c in params["changes"]?.arrayValue ?? [] {
                if let uri = c["uri"]?.stringValue, let path = filePath(fromURI: uri) { markImporters(of: path) }
            }
        default:
            break  // `initialized`, `$/cancelRequest`, `$/setTrace`, unknown notifications: nothing to do
        }
        return nil
    }

    /// A position from a change's range, clamped into the document (edits never fail).
    private func clampedOffset(_ doc: Document, _ p: JSONValue) -> Int {
        let line = p["line"]?.intValue ?? 0, ch = p["character"]?.intValue ?? 0
        if line >= doc.lines.lineCount { return doc.bytes.count }
        if line < 0 { return 0 }
        return doc.lines.offset(line: line, character: max(0, ch)) ?? doc.lines.lineRange(line).upperBound
    }

    private func changed(_ doc: Document) {
        doc.needsAnalysis = true
        markImporters(of: doc.path)
    }

    private func markImporters(of path: String) {
        for d in docs.values where d.path != path && d.loaded.contains(path) { d.needsAnalysis = true }
    }

    // MARK: Analysis

    /// Analyses every document marked since the last analysis.
    func analyzePending() {
        for uri in order { if let d = docs[uri], d.needsAnalysis { analyze(d) } }
    }

    /// The open document a request names, analysed and current.
    func document(_ params: JSONValue) throws -> Document {
        guard let uri = params["textDocument"]?["uri"]?.stringValue else { throw LSPError.params("missing textDocument.uri") }
        guard let doc = docs[uri] else { throw LSPError.params("document '\(uri.prefix(200))' is not open") }
        if doc.needsAnalysis { analyze(doc) }
        return doc
    }

    func analyze(_ doc: Document) {
        doc.needsAnalysis = false
        var config = Configuration()
        config.recordSymbols = true
        if doc.path.hasPrefix("/") {
            var buffers: [String: [UInt8]] = [:]
            for d in docs.values where d.path.hasPrefix("/") && d !== doc { buffers[d.path] = d.bytes }
            config.importer = BufferImporter(root: directoryOf(doc.path), buffers: buffers)
        } else {
            config.useDefaultImporter = false
        }
        let engine = Engine(configuration: config)
        var diags: [Diagnostic]
        do {
            try engine.load(bytes: doc.bytes, path: doc.path, runStatements: true)
            diags = engine.diagnostics
        } catch let e as StratError {
            diags = e.diagnostics
        } catch {
            diags = [Diagnostic(severity: .error, kind: .runtime, message: "\(error)")]
        }
        doc.setEngine(engine)
        publish(uri: doc.uri, uniqueDiagnostics(diags).map { lspDiagnostic($0, in: doc) }, version: doc.version)
    }

    private func publish(uri: String, _ diagnostics: [JSONValue], version: Int? = nil) {
        if diagnostics.isEmpty && !published.contains(uri) && version == nil { return }
        if diagnostics.isEmpty { published.remove(uri) } else { published.insert(uri) }
        send(.obj([("jsonrpc", .str("2.0")), ("method", .str("textDocument/publishDiagnostics")),
                   ("params", .obj([("uri", .str(uri)), ("version", version.map { .int($0) }),
                                    ("diagnostics", .array(diagnostics))]))]))
    }

    /// An LSP diagnostic: the range in UTF-16 units, the hint on a second line. A problem
    /// inside an imported file is shown on the `import` that brings it in.
    private func lspDiagnostic(_ d: Diagnostic, in doc: Document) -> JSONValue {
        var message = d.message
        let range: JSONValue
        if d.path == doc.path || d.path.isEmpty {
            let s = doc.lines.offset(line1: d.line, scalarColumn: d.column)
            let e = doc.lines.offset(line1: d.line, scalarColumn: d.column + max(1, d.length))
            range = doc.lines.range(s, e)
        } else {
            let name = d.path.split(separator: "/").last.map(String.init) ?? d.path
            message = "\(name):\(d.line):\(d.column): \(message)"
            var at = 0..<0
            for l in 0..<doc.lines.lineCount {
                let r = doc.lines.lineRange(l)
                let text = String(decoding: doc.bytes[r], as: UTF8.self)
                if text.contains("import") && (text.contains(name) || at.isEmpty) { at = r; if text.contains(name) { break } }
            }
            range = doc.lines.range(at.lowerBound, at.upperBound)
        }
        if let h = d.hint { message += "\nhelp: \(h)" }
        let severity: Int
        switch d.severity {
        case .error: severity = 1
        case .warning: severity = 2
        case .note: severity = 3
        }
        // `did you mean 'churn'?` on the diagnostic's own file: a quick fix (codeAction).
        var data: JSONValue?
        if d.path == doc.path, let h = d.hint, let fix = suggestion(h) { data = .obj([("replacement", .str(fix))]) }
        return .obj([("range", range), ("severity", .int(severity)), ("source", .str("strat")),
                     ("code", .str(d.kind.rawValue)), ("message", .str(message)), ("data", data)])
    }

    /// The name a `did you mean 'x'?` hint proposes.
    func suggestion(_ hint: String) -> String? {
        let prefix = "did you mean '"
        guard hint.hasPrefix(prefix), hint.hasSuffix("'?") else { return nil }
        let name = hint.dropFirst(prefix.count).dropLast(2)
        return name.isEmpty || name.contains("'") ? nil : String(name)
    }

    // MARK: Capabilities

    static var initializeResult: JSONValue {
        .obj([
            ("capabilities", .obj([
                ("positionEncoding", .str("utf-16")),
                ("textDocumentSync", .obj([("openClose", .bool(true)), ("change", .int(2)), ("save", .bool(true))])),
                ("hoverProvider", .bool(true)),
                ("definitionProvider", .bool(true)),
                ("referencesProvider", .bool(true)),
                ("documentHighlightProvider", .bool(true)),
                ("codeActionProvider", .obj([("codeActionKinds", .array([.str("quickfix")]))])),
                ("renameProvider", .obj([("prepareProvider", .bool(true))])),
                ("documentSymbolProvider", .bool(true)),
                ("completionProvider", .obj([("triggerCharacters", .array([.str(".")])), ("resolveProvider", .bool(false))])),
                ("signatureHelpProvider", .obj([("triggerCharacters", .array([.str("("), .str(",")]))])),
                ("documentFormattingProvider", .bool(true)),
                ("inlayHintProvider", .bool(true)),
                ("semanticTokensProvider", .obj([
                    ("legend", .obj([("tokenTypes", .array(tokenTypes.map { .str($0) })),
                                     ("tokenModifiers", .array(tokenModifiers.map { .str($0) }))])),
                    ("full", .bool(true)),
                ])),
            ])),
            ("serverInfo", .obj([("name", .str("strat")), ("version", .str(StratKit.version))])),
        ])
    }
}
