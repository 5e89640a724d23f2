// The language server's requests: hover, definition, references, rename, the outline,
// completion, signature help, formatting and inlay hints. Names and their uses come from
// the engine's symbol index; values from evaluating paths in the document's engine.

import StratKit
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

extension LanguageServer {
    // MARK: Positions and symbols

    /// The document and byte offset a position request names; an out-of-range position
    /// is an InvalidParams error.
    func positioned(_ params: JSONValue) throws -> (Document, Int) {
        let doc = try document(params)
        guard let p = params["position"], let line = p["line"]?.intValue, let ch = p["character"]?.intValue else {
            throw LSPError.params("missing position")
        }
        guard let off = doc.lines.offset(line: line, character: ch) else {
            throw LSPError.params("position \(line):\(ch) is outside the document (\(doc.lines.lineCount) lines)")
        }
        return (doc, off)
    }

    /// The symbol named at `offset` (a use or a declaration's name), with the use if any.
    func symbol(at offset: Int, in doc: Document) -> (symbol: Int, use: SymbolIndex.Use?)? {
        let index = doc.index
        if let u = index.uses.first(where: { $0.file == doc.path && $0.start <= offset && offset <= $0.end }) {
            return (u.symbol, u)
        }
        if let s = index.symbols.firstIndex(where: { $0.file == doc.path && $0.nameStart <= offset && offset <= $0.nameEnd }) {
            return (s, nil)
        }
        return nil
    }

    /// The identifier around `offset`.
    func word(at offset: Int, in doc: Document) -> String? {
        let b = doc.bytes
        func ident(_ c: UInt8) -> Bool { c == 95 || (c >= 48 && c <= 57) || ((c | 32) >= 97 && (c | 32) <= 122) }
        var s = min(offset, b.count), e = s
        while s > 0, ident(b[s - 1]) { s -= 1 }
        while e < b.count, ident(b[e]) { e += 1 }
        return s < e ? String(decoding: b[s..<e], as: UTF8.self) : nil
    }

    /// Line index of a file by path: an open buffer, else the file on disk.
    private func lines(of path: String) -> (uri: String, LineIndex)? {
        if let d = docs.values.first(where: { $0.path == path }) { return (d.uri, d.lines) }
        guard path.hasPrefix("/"), let bytes = readFileBytes(path) else { return nil }
        return (fileURI(path), LineIndex(bytes))
    }

    private func location(_ path: String, _ start: Int, _ end: Int) -> JSONValue? {
        guard let (uri, li) = lines(of: path) else { return nil }
        return .obj([("uri", .str(uri)), ("range", li.range(start, end))])
    }

    /// Every use of a declaration across the open documents' models (matched by file and
    /// name offset, since each document has its own engine), plus the declaration itself.
    private func occurrences(of sym: SymbolIndex.Symbol, includeDeclaration: Bool) -> [(file: String, start: Int, end: Int)] {
        var out: [(String, Int, Int)] = []
        var seen = Set<String>()
        func add(_ f: String, _ s: Int, _ e: Int) {
            if seen.insert("\(f)\u{0}\(s)").inserted { out.append((f, s, e)) }
        }
        if includeDeclaration { add(sym.file, sym.nameStart, sym.nameEnd) }
        for d in docs.values where d.path == sym.file || d.loaded.contains(sym.file) {
            if d.needsAnalysis { analyze(d) }
            let index = d.index
            guard let target = index.symbols.firstIndex(where: { $0.file == sym.file && $0.nameStart == sym.nameStart }) else { continue }
            for u in index.uses where u.symbol == target && u.exact { add(u.file, u.start, u.end) }
        }
        return out.sorted { ($0.0, $0.1) < ($1.0, $1.1) }
    }

    private func value(_ engine: Engine?, _ path: String) -> String? {
        guard let engine, let v = try? engine.evaluate(path) else { return nil }
        return v.description
    }

    // MARK: Hover

    func hover(_ params: JSONValue) throws -> JSONValue {
        let (doc, off) = try positioned(params)
        var md: String
        var range: JSONValue?
        if let (s, use) = symbol(at: off, in: doc) {
            let sym = doc.index.symbols[s]
            if let use, !use.exact {
                // A computed member such as `LATENCY.score`: its value, and what computes it.
                let r = min(use.start, doc.bytes.count)..<min(max(use.start, use.end), doc.bytes.count)
                let member = String(decoding: doc.bytes[r], as: UTF8.self)
                let path = sym.path + "." + member
                md = "```strat\n\(path)\n```\n"
                md += "value: " + inlineCode(value(doc.engine, path) ?? "not evaluated")
                if let why = try? doc.engine?.explain(path, depth: 0), let rule = why.note {
                    md += "\n\ncomputed as " + inlineCode(rule)
                }
            } else {
                md = describe(sym, engine: doc.engine)
            }
            range = use.map { doc.lines.range($0.start, $0.end) } ?? doc.lines.range(sym.nameStart, sym.nameEnd)
        } else if word(at: off, in: doc) == "plan", let engine = doc.engine {
            // The plan rolls the objectives up; it has no declaration to point at.
            md = "```strat\nplan\n```\n"
            md += ["score", "status"].compactMap { m in value(engine, "plan." + m).map { "\(m): " + inlineCode($0) } }.joined(separator: "  \n")
        } else if let w = word(at: off, in: doc), let f = Engine.functionSignatures.first(where: { $0.name == w }) {
            md = "```strat\n\(f.label)\n```\n" + (f.module.map { "(`use \($0)`)\n\n" } ?? "built-in function\n\n") + f.doc
        } else {
            return .null
        }
        return .obj([("contents", .obj([("kind", .str("markdown")), ("value", .str(md))])), ("range", range)])
    }

    /// Hover text of a declaration: its kind and path, value with unit, formula, the
    /// scores of scored objects, and its doc comment.
    private func describe(_ sym: SymbolIndex.Symbol, engine: Engine?) -> String {
        var head = sym.kind == "fn" ? "fn \(sym.name)(\(sym.params.joined(separator: ", ")))" : "\(sym.kind) \(sym.path)"
        if let t = sym.title { head += " \"\(t)\"" }
        var md = "```strat\n\(head)\n```\n"
        var lines: [String] = []
        switch sym.kind {
        case "fn":
            if let f = sym.formula { lines.append("= " + inlineCode(f)) }
        case "let", "property":
            let v = value(engine, sym.path)
            lines.append("value: " + inlineCode(v ?? "not evaluated") + (v == nil && engine?.diagnostics.isEmpty == false ? " (the file has errors)" : ""))
            if let f = sym.formula, f != v { lines.append("formula: " + inlineCode(f)) }
        case "scenario":
            break
        default:
            // Scored and computed members the engine offers, in a reading order.
            let members = engine?.members(of: sym.path) ?? []
            let wanted = ["score", "status", "health", "pace", "forecast", "chance", "progress", "met", "baseline", "current", "target",
                          "ife", "efe", "ie_cell", "posture", "final", "periods", "weight", "rating", "exposure"]
            for m in wanted where members.contains(m) {
                if let v = value(engine, sym.path + "." + m), v != "none" { lines.append("\(m): " + inlineCode(v)) }
            }
        }
        md += lines.joined(separator: "  \n")
        if let d = sym.doc { md += (lines.isEmpty ? "" : "\n\n") + d }
        return md
    }

    // MARK: Definition, references, rename

    func definition(_ params: JSONValue) throws -> JSONValue {
        let (doc, off) = try positioned(params)
        guard let (s, _) = symbol(at: off, in: doc) else { return .null }
        let sym = doc.index.symbols[s]
        return location(sym.file, sym.nameStart, sym.nameEnd) ?? .null
    }

    func references(_ params: JSONValue) throws -> JSONValue {
        let (doc, off) = try positioned(params)
        guard let (s, _) = symbol(at: off, in: doc) else { return .array([]) }
        let include = params["context"]?["includeDeclaration"]?.boolValue ?? true
        let sym = doc.index.symbols[s]
        return .array(occurrences(of: sym, includeDeclaration: include).compactMap { location($0.file, $0.start, $0.end) })
    }

    /// The uses of the name under the cursor in this document (and its declaration here).
    func highlights(_ params: JSONValue) throws -> JSONValue {
        let (doc, off) = try positioned(params)
        guard let (s, _) = symbol(at: off, in: doc) else { return .array([]) }
        let sym = doc.index.symbols[s]
        return .array(occurrences(of: sym, includeDeclaration: true).filter { $0.file == doc.path }.map {
            .obj([("range", doc.lines.range($0.start, $0.end)), ("kind", .int($0.start == sym.nameStart && $0.file == sym.file ? 3 : 2))])
        })
    }

    /// Quick fixes: a `did you mean` hint's name replaces the misspelt one.
    func codeActions(_ params: JSONValue) throws -> JSONValue {
        let doc = try document(params)
        var actions: [JSONValue] = []
        for d in params["context"]?["diagnostics"]?.arrayValue ?? [] {
            guard let fix = d["data"]?["replacement"]?.stringValue, let range = d["range"],
                  let s = range["start"], let e = range["end"],
                  doc.lines.offset(line: s["line"]?.intValue ?? -1, character: s["character"]?.intValue ?? -1) != nil,
                  doc.lines.offset(line: e["line"]?.intValue ?? -1, character: e["character"]?.intValue ?? -1) != nil else { continue }
            let edit = JSONValue.obj([("changes", .object([(doc.uri, .array([.obj([("range", range), ("newText", .str(fix))])]))]))])
            actions.append(.obj([("title", .str("Change to '\(fix)'")), ("kind", .str("quickfix")),
                                 ("diagnostics", .array([d])), ("isPreferred", .bool(true)), ("edit", edit)]))
        }
        return .array(actions)
    }

    private func renamable(_ params: JSONValue) throws -> (Document, SymbolIndex.Symbol, SymbolIndex.Use?) {
        let (doc, off) = try positioned(params)
        guard let (s, use) = symbol(at: off, in: doc) else {
            throw LSPError(code: ErrorCode.requestFailed, message: "no declared name here")
        }
        let sym = doc.index.symbols[s]
        guard sym.renamable, use?.exact ?? true else {
            throw LSPError(code: ErrorCode.requestFailed, message: "'\(sym.name)' is built in and cannot be renamed")
        }
        return (doc, sym, use)
    }

    func prepareRename(_ params: JSONValue) throws -> JSONValue {
        let (doc, sym, use) = try renamable(params)
        let r = use.map { doc.lines.range($0.start, $0.end) } ?? doc.lines.range(sym.nameStart, sym.nameEnd)
        return .obj([("range", r), ("placeholder", .str(sym.name))])
    }

    func rename(_ params: JSONValue) throws -> JSONValue {
        let (_, sym, _) = try renamable(params)
        guard let new = params["newName"]?.stringValue else { throw LSPError.params("missing newName") }
        let bytes = Array(new.utf8)
        let ok = !bytes.isEmpty && bytes.count <= 200 && !(bytes[0] >= 48 && bytes[0] <= 57)
            && bytes.allSatisfy { $0 == 95 || ($0 >= 48 && $0 <= 57) || (($0 | 32) >= 97 && ($0 | 32) <= 122) }
        guard ok, !keywordNames.contains(new) else {
            throw LSPError(code: ErrorCode.requestFailed, message: "'\(new.prefix(80))' is not a valid name (letters, digits and _, not a keyword)")
        }
        var changes: [(String, [JSONValue])] = []
        for occ in occurrences(of: sym, includeDeclaration: true) {
            guard let (uri, li) = lines(of: occ.file) else { continue }
            let edit = JSONValue.obj([("range", li.range(occ.start, occ.end)), ("newText", .str(new))])
            if let i = changes.firstIndex(where: { $0.0 == uri }) { changes[i].1.append(edit) } else { changes.append((uri, [edit])) }
        }
        return .obj([("changes", .object(changes.map { ($0.0, JSONValue.array($0.1)) }))])
    }

    // MARK: Outline

    func documentSymbols(_ params: JSONValue) throws -> JSONValue {
        let doc = try document(params)
        let symbols = doc.index.symbols
        var children: [Int: [Int]] = [:]
        var roots: [Int] = []
        for (i, s) in symbols.enumerated() where s.file == doc.path && s.kind != "property" {
            if s.parent >= 0 { children[s.parent, default: []].append(i) } else { roots.append(i) }
        }
        func node(_ i: Int) -> JSONValue {
            let s = symbols[i]
            let kids = (children[i] ?? []).map(node)
            return .obj([("name", .str(s.name)), ("detail", s.title.map { .str($0) } ?? .str(s.kind)),
                         ("kind", .int(Self.symbolKind(s.kind))),
                         ("range", doc.lines.range(s.declStart, max(s.declEnd, s.nameEnd))),
                         ("selectionRange", doc.lines.range(s.nameStart, s.nameEnd)),
                         ("children", kids.isEmpty ? nil : .array(kids))])
        }
        // The plan period and check-ins name nothing, so they come from the index's outline.
        func entry(_ e: SymbolIndex.OutlineEntry) -> JSONValue {
            .obj([("name", .str(e.name)), ("detail", .str(e.detail)), ("kind", .int(Self.symbolKind(e.kind))),
                  ("range", doc.lines.range(e.declStart, e.declEnd)),
                  ("selectionRange", doc.lines.range(e.nameStart, e.nameEnd)),
                  ("children", e.children.isEmpty ? nil : .array(e.children.map(entry)))])
        }
        let nodes = roots.map { (symbols[$0].declStart, node($0)) }
            + doc.index.outline.filter { $0.file == doc.path }.map { ($0.declStart, entry($0)) }
        return .array(nodes.sorted { $0.0 < $1.0 }.map(\.1))
    }

    /// LSP SymbolKind for a declaration kind (docs/editors.md lists the mapping).
    static func symbolKind(_ kind: String) -> Int {
        switch kind {
        case "let": return 13          // Variable
        case "fn": return 12           // Function
        case "swot": return 5          // Class
        case "objective": return 2     // Module
        case "kr": return 8            // Field
        case "metric": return 16       // Number
        case "projection": return 18   // Array
        case "scenario": return 10     // Enum
        case "retro": return 23        // Struct
        case "property", "entry": return 7  // Property (a check-in's entries too)
        case "plan": return 4          // Package
        case "checkin": return 24      // Event
        default: return 22             // EnumMember: SWOT and retro items
        }
    }

    // MARK: Completion

    func completion(_ params: JSONValue) throws -> JSONValue {
        let (doc, off) = try positioned(params)
        let lineStart = doc.lines.lineRange(doc.lines.position(off).line).lowerBound
        let before = String(decoding: doc.bytes[lineStart..<off], as: UTF8.self)
        var items: [JSONValue] = []
        func item(_ label: String, _ kind: Int, detail: String? = nil, doc: String? = nil) {
            items.append(.obj([("label", .str(label)), ("kind", .int(kind)), ("detail", detail.map { .str($0) }),
                               ("documentation", doc.map { .obj([("kind", .str("markdown")), ("value", .str($0))]) })]))
        }
        // The word being typed and what precedes it.
        let partialChars = before.reversed().prefix(while: { $0 == "_" || ($0.isASCII && ($0.isLetter || $0.isNumber)) })
        let partial = String(partialChars.reversed())
        let head = String(before.dropLast(partial.count))
        if head.hasSuffix("."), let receiver = trailingExpression(String(head.dropLast())), !receiver.contains("(") {
            var names = doc.engine?.memberNames(ofPath: receiver) ?? []
            if names.isEmpty, let engine = doc.engine { names = memberNames(engine, receiver) }
            var seen = Set<String>()
            for n in names where seen.insert(n).inserted { item(n, 10) }
            return .obj([("isIncomplete", .bool(false)), ("items", .array(items))])
        }
        if let first = partial.first, first.isNumber {
            // A number being typed: its unit suffixes.
            let digits = partial.prefix(while: { $0.isNumber || $0 == "." })
            let typed = partial.dropFirst(digits.count)
            for s in numberSuffixes where s.hasPrefix(typed) { item(String(digits) + s, 11, detail: "unit") }
            if let last = before.last, last.isNumber || last == "." { item(String(digits) + "%", 11, detail: "unit") }
            return .obj([("isIncomplete", .bool(true)), ("items", .array(items))])
        }
        var seen = Set<String>()
        for s in doc.index.symbols where s.parent < 0 && seen.insert(s.name).inserted && !s.name.hasPrefix("_") {
            let detail = s.kind == "fn" ? "fn \(s.name)(\(s.params.joined(separator: ", ")))" : s.title ?? s.kind
            item(s.name, Self.completionKind(s.kind), detail: detail, doc: s.doc)
        }
        for f in Engine.functionSignatures where seen.insert(f.name).inserted {
            item(f.name, 3, detail: f.label + (f.module.map { "  (use \($0))" } ?? ""), doc: f.doc)
        }
        for n in topLevelCollections where seen.insert(n).inserted { item(n, 6, detail: "built-in") }
        for k in keywordNames where seen.insert(k).inserted { item(k, 14) }
        for u in numberSuffixes where u.first?.isLetter == true && seen.insert(u).inserted { item(u, 11, detail: "number suffix (after a number, e.g. 100\(u))") }
        return .obj([("isIncomplete", .bool(false)), ("items", .array(items))])
    }

    static func completionKind(_ kind: String) -> Int {
        switch kind {
        case "let": return 6        // Variable
        case "fn": return 3         // Function
        case "scenario": return 13  // Enum
        case "swot", "objective", "retro": return 9  // Module
        default: return 22          // Struct
        }
    }

    // MARK: Signature help

    func signatureHelp(_ params: JSONValue) throws -> JSONValue {
        let (doc, off) = try positioned(params)
        // Walk back to the unmatched `(`, counting commas at its level.
        var i = off, depth = 0, commas = 0
        let b = doc.bytes
        let limit = max(0, off - 4000)
        var open: Int?
        while i > limit {
            i -= 1
            switch b[i] {
            case UInt8(ascii: ")"), UInt8(ascii: "]"): depth += 1
            case UInt8(ascii: "["): if depth == 0 { return .null } else { depth -= 1 }
            case UInt8(ascii: "("):
                if depth == 0 { open = i } else { depth -= 1 }
            case UInt8(ascii: ","): if depth == 0 { commas += 1 }
            case UInt8(ascii: "{"), UInt8(ascii: "}"): return .null
            default: break
            }
            if open != nil { break }
        }
        guard let o = open, let name = word(at: o, in: doc) else { return .null }
        let sig: (label: String, params: [String], doc: String)
        if let s = doc.index.symbols.first(where: { $0.kind == "fn" && $0.name == name }) {
            sig = ("\(s.name)(\(s.params.joined(separator: ", ")))", s.params, s.doc ?? "")
        } else if let f = Engine.functionSignatures.first(where: { $0.name == name }) {
            sig = (f.label, f.params, f.doc)
        } else {
            return .null
        }
        let active = sig.params.last == "…" ? min(commas, sig.params.count - 1) : commas
        return .obj([
            ("signatures", .array([.obj([("label", .str(sig.label)),
                                         ("documentation", .obj([("kind", .str("markdown")), ("value", .str(sig.doc))])),
                                         ("parameters", .array(sig.params.map { .obj([("label", .str($0))]) }))])])),
            ("activeSignature", .int(0)), ("activeParameter", .int(active)),
        ])
    }

    // MARK: Formatting

    func formatting(_ params: JSONValue) throws -> JSONValue {
        let doc = try document(params)
        let text = doc.text
        let formatted: String
        do { formatted = try formatStrat(text, path: doc.path) } catch let e as StratError {
            let first = e.diagnostics.first.map { "\($0.line):\($0.column): \($0.message)" } ?? "syntax errors"
            throw LSPError(code: ErrorCode.requestFailed, message: "not formatted: the file has syntax errors (\(first))")
        }
        if formatted == text { return .array([]) }
        return .array([.obj([("range", doc.lines.range(0, doc.bytes.count)), ("newText", .str(formatted))])])
    }

    // MARK: Inlay hints

    func inlayHints(_ params: JSONValue) throws -> JSONValue {
        let doc = try document(params)
        var lo = 0, hi = doc.bytes.count
        if let r = params["range"], let s = r["start"], let e = r["end"] {
            lo = doc.lines.offset(line: s["line"]?.intValue ?? 0, character: s["character"]?.intValue ?? 0) ?? 0
            hi = doc.lines.offset(line: e["line"]?.intValue ?? 0, character: e["character"]?.intValue ?? 0) ?? doc.bytes.count
        }
        guard let engine = doc.engine else { return .array([]) }
        var hints: [JSONValue] = []
        func hint(_ at: Int, _ label: String) {
            let p = doc.lines.position(at)
            hints.append(.obj([("position", .obj([("line", .int(p.line)), ("character", .int(p.character))])),
                               ("label", .str(label)), ("paddingLeft", .bool(true)), ("paddingRight", .bool(true))]))
        }
        for s in doc.index.symbols where s.file == doc.path && s.nameStart >= lo && s.nameStart <= hi {
            switch s.kind {
            case "let":
                if let v = value(engine, s.path) { hint(s.declEnd, "= \(v)") }
            case "kr":
                let members = engine.members(of: s.path)
                var parts: [String] = []
                // `chance` says something only when the score is uncertain (SPEC §13).
                let uncertain = (try? engine.evaluate(s.path + ".score"))?.isUncertain == true
                for m in ["score", "status", "health", "chance"] where members.contains(m) && (m != "chance" || uncertain) {
                    // `health` only for a tracked KR (SPEC §15): untracked ones have none.
                    if let v = value(engine, s.path + "." + m), m != "health" || v != "none" {
                        parts.append(m == "score" ? "score \(v)" : m == "status" ? v : "\(m) \(v)")
                    }
                }
                if !parts.isEmpty { hint(s.nameEnd, parts.joined(separator: " · ")) }
            default: break
            }
        }
        return .array(hints)
    }
}

// MARK: Semantic tokens

extension LanguageServer {
    /// Token types and modifiers of `semanticTokens` (the legend sent at initialize).
    static let tokenTypes = ["namespace", "class", "enum", "enumMember", "struct", "function", "variable",
                             "property", "keyword", "number", "string", "comment"]
    static let tokenModifiers = ["declaration", "readonly", "defaultLibrary"]

    /// Highlighting from the engine: keywords, numbers, strings and comments from the
    /// lexer; each name by what it refers to (a let, a function, an objective, …).
    func semanticTokens(_ params: JSONValue) throws -> JSONValue {
        let doc = try document(params)
        let index = doc.index
        var named: [Int: (symbol: Int, declaration: Bool)] = [:]
        for u in index.uses where u.file == doc.path { named[u.start] = (u.symbol, false) }
        for (i, s) in index.symbols.enumerated() where s.file == doc.path { named[s.nameStart] = (i, true) }
        func type(_ t: String) -> Int { Self.tokenTypes.firstIndex(of: t) ?? 6 }
        var data: [JSONValue] = []
        var lastLine = 0, lastChar = 0
        func emit(_ start: Int, _ end: Int, _ t: Int, _ mods: Int) {
            // One token per line: a block comment or a string over several lines is split.
            var s = start
            while s < end {
                let p = doc.lines.position(s)
                let lineEnd = min(end, doc.lines.lineRange(p.line).upperBound)
                let e = doc.lines.position(max(s, lineEnd))
                if e.character > p.character {
                    data += [.int(p.line - lastLine), .int(p.line == lastLine ? p.character - lastChar : p.character),
                             .int(e.character - p.character), .int(t), .int(mods)]
                    lastLine = p.line
                    lastChar = p.character
                }
                guard p.line + 1 < doc.lines.lineCount else { break }
                s = doc.lines.starts[p.line + 1]
            }
        }
        for tok in lexicalTokens(doc.bytes) {
            switch tok.kind {
            case .keyword: emit(tok.start, tok.end, type("keyword"), 0)
            case .number: emit(tok.start, tok.end, type("number"), 0)
            case .string: emit(tok.start, tok.end, type("string"), 0)
            case .comment: emit(tok.start, tok.end, type("comment"), 0)
            case .identifier:
                if let (sym, decl) = named[tok.start] {
                    let s = index.symbols[sym]
                    var mods = decl ? 1 : 0
                    if s.kind == "let" { mods |= 2 }
                    if s.file.hasPrefix("<stdlib>") { mods |= 4 }
                    emit(tok.start, tok.end, type(Self.tokenType(s.kind)), mods)
                } else if Engine.functionSignatures.contains(where: { $0.name == String(decoding: doc.bytes[tok.start..<tok.end], as: UTF8.self) }),
                          doc.bytes[tok.end...].first(where: { $0 != 32 }) == UInt8(ascii: "(") {
                    emit(tok.start, tok.end, type("function"), 4)
                } else {
                    emit(tok.start, tok.end, type("variable"), 0)
                }
            }
        }
        return .obj([("data", .array(data))])
    }

    static func tokenType(_ kind: String) -> String {
        switch kind {
        case "let": return "variable"
        case "fn": return "function"
        case "swot", "retro": return "class"
        case "objective": return "namespace"
        case "kr", "metric": return "struct"
        case "scenario": return "enum"
        case "property": return "property"
        case "projection": return "variable"
        default: return "enumMember"
        }
    }
}

/// Member names for completion after `.`: an object's properties, key results and
/// built-in members; for a list of objects, their names first (shared with the REPL).
package func memberNames(_ e: Engine, _ path: String) -> [String] {
    var names = e.members(of: path)
    if case .list(let l)? = try? e.evaluate(path) {
        let items = l.compactMap { v -> String? in
            guard case .ref(let r) = v else { return nil }
            return r.path.split(separator: ".").last.map(String.init)
        }
        names = items + names
    }
    var seen = Set<String>()
    return names.filter { seen.insert($0).inserted }
}

/// The expression that ends `text` (for completion after `)` or `]`): an identifier
/// path with calls and indexes, e.g. `x + MODERNIZE.krs[0]` → `MODERNIZE.krs[0]`.
package func trailingExpression(_ text: String) -> String? {
    let chars = Array(text)
    var i = chars.count
    while i > 0 {
        let c = chars[i - 1]
        if c == ")" || c == "]" {
            let open: Character = c == ")" ? "(" : "["
            var depth = 0
            var j = i - 1
            while j >= 0 {
                if chars[j] == c { depth += 1 } else if chars[j] == open {
                    depth -= 1
                    if depth == 0 { break }
                }
                j -= 1
            }
            if j < 0 { return nil }
            i = j
        } else if c == "_" || c == "." || (c.isASCII && (c.isLetter || c.isNumber)) {
            i -= 1
        } else {
            break
        }
    }
    let s = String(chars[i...])
    return s.isEmpty ? nil : s
}

/// `text` as Markdown inline code that shows it as it is: on one line (a formula written
/// over several lines, whose blank line would end the paragraph), between backtick fences
/// longer than any run of backticks in it, padded when it starts or ends with one
/// (CommonMark): a string value holding a backtick cannot end the code early.
func inlineCode(_ text: String) -> String {
    let t = text.onOneLine
    var longest = 0, run = 0
    for c in t {
        run = c == "`" ? run + 1 : 0
        longest = max(longest, run)
    }
    let fence = String(repeating: "`", count: longest + 1)
    let pad = t.hasPrefix("`") || t.hasSuffix("`") ? " " : ""
    return fence + pad + t + pad + fence
}
