/// What an editor needs to know about the names of a loaded model: every declaration with
/// its location, and every use of a name with the declaration it refers to. The language
/// server's outline, definition, references, rename and hover are built on it.
package struct SymbolIndex: Sendable {
    /// One declared name.
    package struct Symbol: Sendable {
        /// The name as written (`LATENCY`).
        package var name: String
        /// The model path (`MODERNIZE_PLATFORM.LATENCY`).
        package var path: String
        /// `let`, `fn`, `swot`, `objective`, `kr`, `metric`, `projection`, `scenario`,
        /// `retro`, an item category (`strength`, `priority`, …) or `property`.
        package var kind: String
        /// The declaration's title string, if any.
        package var title: String?
        /// The path of the file it is declared in, as loaded.
        package var file: String
        /// Byte range of the name.
        package var nameStart: Int, nameEnd: Int
        /// Byte range of the whole declaration (the name's line for block entries).
        package var declStart: Int, declEnd: Int
        /// Index of the enclosing symbol, or -1.
        package var parent: Int
        /// A function's parameter names.
        package var params: [String]
        /// The formula's source text (lets, properties, functions).
        package var formula: String?
        /// The `//` comment lines directly above the declaration.
        package var doc: String?
        /// Whether renaming it is meaningful (user names, not built-in properties).
        package var renamable: Bool
    }

    /// One use of a name.
    package struct Use: Sendable {
        /// The file the use is in, as loaded.
        package var file: String
        /// Byte range of the name.
        package var start: Int, end: Int
        /// The symbol it refers to.
        package var symbol: Int
        /// False when it names a computed member (`LATENCY.score`) and `symbol` is its owner.
        package var exact: Bool
    }

    /// Every declaration, parents before children.
    package var symbols: [Symbol] = []
    /// Every use of a declared name, in resolution order.
    package var uses: [Use] = []
    /// Every file the model loaded (the main file first, then imports and libraries).
    package var files: [String] = []

    /// A block that declares no name (`plan { … }`, `checkin DATE { … }`): part of the
    /// document outline only, so completion, rename and references never see it.
    package struct OutlineEntry: Sendable {
        /// `plan`, `checkin 2026-03-31`, or an entry's path (`O.KR.confidence`).
        package var name: String
        /// The check-in's note, else what the block is.
        package var detail: String
        /// `plan`, `checkin` or `entry`.
        package var kind: String
        /// The path of the file it is written in, as loaded.
        package var file: String
        /// Byte ranges of the keyword or date, and of the whole block.
        package var nameStart: Int, nameEnd: Int, declStart: Int, declEnd: Int
        /// A check-in's entries.
        package var children: [OutlineEntry]
    }

    /// The plan period and the check-ins written in model files, in source order (rows of
    /// actuals files are not listed: they are no declarations of a document).
    package var outline: [OutlineEntry] = []

    /// An empty index.
    package init() {}
}

/// The members a projection computes besides its properties (for completion).
let projectionComputedMembers = ["final", "series", "periods"]

/// The names every model has: the plan and the lists of its declarations.
package let topLevelCollections = ["plan", "objectives", "metrics", "swots", "projections", "retros"]

/// Diagnostics without repeats (a runtime error found at load and again by a report).
package func uniqueDiagnostics(_ ds: [Diagnostic]) -> [Diagnostic] {
    var seen = Set<Diagnostic>()
    return ds.filter { seen.insert($0).inserted }
}

/// A standard-library or built-in function, for completion, hover and signature help.
package struct FunctionSignature: Sendable {
    /// The function's name.
    package var name: String
    /// Parameter names (`…` marks a variadic tail).
    package var params: [String]
    /// Its doc comment.
    package var doc: String
    /// The library module that defines it (`finance`), or nil for a built-in.
    package var module: String?

    /// `name(a, b)`.
    package var label: String { "\(name)(\(params.joined(separator: ", ")))" }
}

extension Engine {
    /// The declarations and name uses of the loaded model (needs
    /// ``Configuration/recordSymbols`` for the uses).
    package func symbolIndex() -> SymbolIndex {
        let (model, _) = state
        let files = model.program.files
        var index = SymbolIndex()
        index.files = files.map(\.path).filter { !$0.hasPrefix("<expr") && !$0.hasPrefix("<override") }
        var objSym: [Int32: Int] = [:], cellSym: [Int32: Int] = [:], fnSym: [Int32: Int] = [:]

        func add(_ name: String, _ path: String, _ kind: String, _ span: Span, decl: Span?, parent: Int,
                 title: String? = nil, params: [String] = [], formula: Int32 = -1, renamable: Bool) -> Int? {
            guard span.file >= 0, Int(span.file) < files.count else { return nil }
            let f = files[Int(span.file)]
            var d = decl ?? span
            if d.file != span.file || d.start > span.start || d.end < span.end {
                d = Span(file: span.file, start: span.start, end: Int32(lineEnd(f, Int(span.end))))
            }
            var text: String?
            if formula >= 0 {
                let n = model.pool[formula].span
                if n.file == span.file { text = f.text(n.start, n.end) }
            }
            index.symbols.append(.init(name: name, path: path, kind: kind, title: title, file: f.path,
                                       nameStart: Int(span.start), nameEnd: Int(span.end),
                                       declStart: Int(d.start), declEnd: Int(d.end), parent: parent, params: params,
                                       formula: text, doc: docComment(f, Int(d.start)),
                                       renamable: renamable && !f.path.hasPrefix("<")))
            return index.symbols.count - 1
        }

        for (i, o) in model.objects.enumerated() where o.kind != .plan {
            let parent = o.parent >= 0 ? objSym[o.parent] ?? -1 : -1
            let kind = o.kind == .item ? o.category?.keyword ?? "item" : o.kind.word
            let decl = o.parent < 0 ? model.declSpans[o.name] : nil
            if let s = add(model.name(o.name), o.path, kind, o.span, decl: decl, parent: parent, title: o.title, renamable: true) {
                objSym[Int32(i)] = s
            }
        }
        for (i, c) in model.cells.enumerated() where c.kind == .formula && c.owner != model.plan {
            let name = model.name(c.name)
            if c.owner < 0 {
                if let s = add(name, name, "let", c.span, decl: model.declSpans[c.name], parent: -1, formula: c.node, renamable: true) {
                    cellSym[Int32(i)] = s
                }
            } else if c.span != model.objects[Int(c.owner)].span, let parent = objSym[c.owner] {
                if let s = add(name, model.cellPath(Int32(i)), "property", c.span, decl: nil, parent: parent,
                               formula: c.node, renamable: false) {
                    cellSym[Int32(i)] = s
                }
            }
        }
        for (i, fn) in model.functions.enumerated() {
            let name = model.name(fn.name)
            if let s = add(name, name, "fn", fn.span, decl: model.declSpans[fn.name], parent: -1,
                           params: fn.params.map { model.name($0) }, formula: fn.body, renamable: true) {
                fnSym[Int32(i)] = s
            }
        }
        for d in model.trackingDecls.sorted(by: { ($0.span.file, $0.span.start) < ($1.span.file, $1.span.start) }) {
            guard d.span.file >= 0, Int(d.span.file) < files.count else { continue }
            let f = files[Int(d.span.file)]
            let name = d.kind == .planPeriod ? "plan" : "checkin " + f.text(d.nameSpan.start, d.nameSpan.end)
            let note = d.kind == .checkin && d.message >= 0 ? model.stringNode(d.message) : nil
            let entries = d.overrides.compactMap { e -> SymbolIndex.OutlineEntry? in
                guard let first = e.path.first, let last = e.path.last, first.span.file == d.span.file else { return nil }
                let start = min(Int(first.span.start), Int(e.span.start)), end = max(Int(last.span.end), Int(e.span.end))
                return .init(name: e.path.map { model.name($0.name) }.joined(separator: "."), detail: "check-in entry",
                             kind: "entry", file: f.path, nameStart: Int(first.span.start), nameEnd: Int(last.span.end),
                             declStart: start, declEnd: end, children: [])
            }
            index.outline.append(.init(name: name, detail: note ?? (d.kind == .planPeriod ? "plan period" : "check-in"),
                                       kind: d.kind == .planPeriod ? "plan" : "checkin", file: f.path,
                                       nameStart: Int(d.nameSpan.start), nameEnd: Int(d.nameSpan.end),
                                       declStart: Int(d.span.start), declEnd: max(Int(d.span.end), Int(d.nameSpan.end)),
                                       children: entries))
        }
        var scenarioUses: [SymbolTarget] = []
        for sc in model.scenarios {
            let name = model.name(sc.name)
            _ = add(name, name, "scenario", sc.span, decl: model.declSpans[sc.name], parent: -1, title: sc.title, renamable: true)
            for o in sc.overrides { scenarioUses.append(contentsOf: overrideUses(o)) }
        }

        for u in recordedUses + scenarioUses {
            guard u.span.file >= 0, Int(u.span.file) < files.count else { continue }
            let sym: Int?, exact: Bool
            switch u.kind {
            case .cell:
                if let s = cellSym[u.id] { sym = s; exact = true }
                else { sym = objSym[model.cells[Int(u.id)].owner]; exact = false }
            case .object: sym = objSym[u.id]; exact = true
            case .function: sym = fnSym[u.id]; exact = true
            }
            guard let s = sym else { continue }
            index.uses.append(.init(file: files[Int(u.span.file)].path, start: Int(u.span.start), end: Int(u.span.end),
                                    symbol: s, exact: exact))
        }
        return index
    }

    /// Member names of the object a dotted path names (`MODERNIZE_PLATFORM`,
    /// `Engineering.priorities`), found without evaluating, so that a model with errors
    /// still completes; nil when the path names no object.
    package func memberNames(ofPath path: String) -> [String]? {
        let (model, _) = state
        var current: Member?
        for (i, part) in path.split(separator: ".").enumerated() {
            guard let id = model.interner.lookup(String(part)) else { return nil }
            if i == 0 {
                switch model.globals[id] {
                case .object(let x)?: current = .object(x)
                case .objects(let l)?: current = .objects(l)
                default:
                    if part == "plan" { current = .object(model.plan) }
                    else if let l = model.builtinLists[String(part)] { current = .objects(l) }
                    else { return nil }
                }
            } else if case .object(let x)? = current {
                current = model.objects[Int(x)].members[id]
            } else if case .objects(let list)? = current, let x = list.first(where: { model.objects[Int($0)].name == id }) {
                current = .object(x)
            } else {
                return nil
            }
        }
        switch current {
        case .object(let o)?:
            var names = model.objects[Int(o)].order.map { model.name($0) }
            if model.objects[Int(o)].kind == .projection { names += projectionComputedMembers }
            return names + ["name", "path"]
        case .objects(let list)?:
            let items = list.map { model.name(model.objects[Int($0)].name) }
            return items + (list.first.map { model.objects[Int($0)].order.map { model.name($0) } } ?? [])
        default:
            return nil
        }
    }

    /// What each part of a scenario override's path (`Engineering.weaknesses.TESTING.rating`) names.
    private func overrideUses(_ o: OverrideDecl) -> [SymbolTarget] {
        let (model, _) = state
        var out: [SymbolTarget] = []
        var current: Member?
        for (i, part) in o.path.enumerated() {
            let next: Member?
            if i == 0 {
                switch model.globals[part.name] {
                case .cell(let c)?: next = .cell(c)
                case .object(let x)?: next = .object(x)
                default: next = nil
                }
            } else if case .object(let x)? = current {
                next = model.objects[Int(x)].members[part.name]
            } else if case .objects(let list)? = current, let x = list.first(where: { model.objects[Int($0)].name == part.name }) {
                next = .object(x)
            } else {
                next = nil
            }
            guard let n = next else { break }
            switch n {
            case .cell(let c): out.append(SymbolTarget(span: part.span, kind: .cell, id: c))
            case .object(let x): out.append(SymbolTarget(span: part.span, kind: .object, id: x))
            case .objects: break
            }
            current = n
        }
        return out
    }

    /// The files the last load read: the main file first, then imports and libraries.
    package var loadedFiles: [String] {
        state.model.program.files.map(\.path).filter { !$0.hasPrefix("<expr") && !$0.hasPrefix("<override") }
    }

    /// Every built-in function and every function of the standard library's modules.
    package static let functionSignatures: [FunctionSignature] = {
        // `at` is a projection's method (`p.at(DATE)`), not a function of its own.
        var out = Builtin.allCases.filter { $0 != .at }.map { FunctionSignature(name: $0.name, params: $0.paramNames, doc: $0.doc, module: nil) }
        for (module, text) in Stdlib.modules.sorted(by: { $0.key < $1.key }) {
            let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
            for (i, line) in lines.enumerated() where line.hasPrefix("fn ") {
                let head = line.dropFirst(3)
                guard let open = head.firstIndex(of: "("), let close = head.firstIndex(of: ")"), open < close else { continue }
                let name = String(head[..<open]).trimmingCharacters()
                if name.hasPrefix("_") { continue }
                let params = head[head.index(after: open)..<close].split(separator: ",").map { String($0).trimmingCharacters() }
                var doc: [Substring] = []
                var j = i - 1
                while j >= 0, lines[j].hasPrefix("//") {
                    doc.insert(lines[j].dropFirst(2).drop(while: { $0 == " " }), at: 0)
                    j -= 1
                }
                out.append(FunctionSignature(name: name, params: params, doc: doc.joined(separator: "\n"), module: module))
            }
        }
        return out
    }()
}

/// The `//` lines directly above the line holding `offset`, without the slashes.
private func docComment(_ f: SourceFile, _ offset: Int) -> String? {
    let (line, _) = f.lineColumn(Int32(max(0, min(offset, f.bytes.count))))
    var lines: [String] = []
    var l = line - 1
    while l >= 1 {
        let text = f.lineText(l)
        let trimmed = text.drop(while: { $0 == " " || $0 == "\t" })
        guard trimmed.hasPrefix("//") else { break }
        lines.insert(String(trimmed.dropFirst(2).drop(while: { $0 == " " })), at: 0)
        l -= 1
    }
    // `let churn = 3.8%  // monthly churn`: the comment on the line says most.
    if let trailing = trailingComment(f.lineText(line)) { lines.insert(trailing, at: 0) }
    return lines.isEmpty ? nil : lines.joined(separator: "\n")
}

/// The `// comment` that ends a line of code (`let churn = 3.8%  // monthly churn`).
private func trailingComment(_ text: String) -> String? {
    var inString = false, prev: Character = " "
    var i = text.startIndex
    while i < text.endIndex {
        let c = text[i]
        if c == "\"" && prev != "\\" { inString.toggle() }
        if !inString && c == "/" && prev == "/" {
            let rest = text[text.index(after: i)...].drop(while: { $0 == " " })
            return rest.isEmpty ? nil : String(rest)
        }
        prev = c
        i = text.index(after: i)
    }
    return nil
}

/// The byte offset of the end of the line holding `offset`.
private func lineEnd(_ f: SourceFile, _ offset: Int) -> Int {
    var i = max(0, min(offset, f.bytes.count))
    while i < f.bytes.count, f.bytes[i] != 10 { i += 1 }
    return i
}

extension Builtin {
    /// Parameter names for signature help.
    var paramNames: [String] {
        switch self {
        case .min, .max: return ["a", "…"]
        case .sum, .avg, .count: return ["list"]
        case .round: return ["x", "digits"]
        case .clamp: return ["x", "low", "high"]
        case .cumsum: return ["list"]
        case .delay: return ["x", "k"]
        case .lookup: return ["x", "points"]
        case .at: return ["date"]
        default: return ["x"]
        }
    }

    /// One line on what it computes.
    var doc: String {
        switch self {
        case .min: return "The smallest of the arguments, or of one list."
        case .max: return "The largest of the arguments, or of one list."
        case .sum: return "The sum of a list's numbers."
        case .avg: return "The mean of a list's numbers."
        case .count: return "The number of elements of a list."
        case .abs: return "The absolute value."
        case .round: return "Rounds to the nearest integer, or to `digits` decimals."
        case .floor: return "The largest integer not above x."
        case .ceil: return "The smallest integer not below x."
        case .sqrt: return "The square root."
        case .exp: return "e raised to x."
        case .ln: return "The natural logarithm."
        case .log10: return "The base-10 logarithm."
        case .clamp: return "x limited to the range low…high."
        case .cumsum: return "The running totals of a list."
        case .delay: return "Inside `next:` or a series: x's value k periods earlier (its first value before that)."
        case .lookup: return "x interpolated linearly in a table of points `[[x0, y0], [x1, y1], …]`, clamped at the ends."
        case .at: return "`p.at(DATE)`: the projection's value at a date."
        case .normal: return "A normal distribution with this mean and standard deviation."
        case .uniform: return "A uniform distribution between low and high."
        case .triangular: return "A triangular distribution from low through its mode to high."
        case .pert: return "A PERT (smoothed beta) distribution from low through its mode to high."
        case .beta: return "A beta distribution with shapes alpha and beta (dimensionless, 0…1)."
        case .bernoulli: return "1 with probability p, else 0."
        case .mixture: return "Draws each sample from one of the values, chosen by the weights (normalized)."
        case .mean: return "The mean of a distribution's samples (a plain value is itself)."
        case .sd: return "The standard deviation of a distribution's samples."
        case .median: return "The median of a distribution's samples."
        case .percentile: return "The q-th percentile of a distribution (q a fraction, `95%`)."
        case .P: return "The fraction of samples where the condition holds."
        }
    }
}

extension String {
    fileprivate func trimmingCharacters() -> String {
        String(drop(while: { $0 == " " }).reversed().drop(while: { $0 == " " }).reversed())
    }
}

/// One lexical token, for an editor's semantic highlighting.
package struct LexicalToken: Sendable, Equatable {
    /// What the token is.
    package enum Kind: Sendable, Equatable { case keyword, identifier, number, string, comment }
    /// Its kind.
    package var kind: Kind
    /// Byte range.
    package var start: Int, end: Int
}

/// The keywords, names, numbers (with their unit suffix), strings and comments of a
/// source, in order; the expressions inside string interpolations are tokens of their own.
/// Punctuation and operators are left out. Lexical errors only end a token early.
package func lexicalTokens(_ bytes: [UInt8], limit: Int = 1_000_000) -> [LexicalToken] {
    let file = SourceFile(path: "<tokens>", bytes: bytes, id: 0)
    var out: [LexicalToken] = []
    func lex(_ start: Int, _ end: Int, depth: Int) {
        var lexer = Lexer(file: file, interner: Interner(), start: start, end: end)
        lexer.keepComments = true
        while out.count < limit {
            let t = lexer.next()
            let s = Int(t.start), e = Int(t.end)
            switch t.kind {
            case .eof: return
            case .keyword: out.append(.init(kind: .keyword, start: s, end: e))
            case .identifier: out.append(.init(kind: .identifier, start: s, end: e))
            case .number: out.append(.init(kind: .number, start: s, end: e))
            case .comment: out.append(.init(kind: .comment, start: s, end: e))
            case .string:
                // Pieces of text around `\(…)`, whose contents are lexed in turn.
                var piece = s, k = s
                while k + 1 < e {
                    if bytes[k] == UInt8(ascii: "\\") && bytes[k + 1] == UInt8(ascii: "(") && depth < 8 {
                        var level = 0, j = k + 1
                        while j < e {
                            if bytes[j] == UInt8(ascii: "(") { level += 1 }
                            if bytes[j] == UInt8(ascii: ")") { level -= 1; if level == 0 { break } }
                            j += 1
                        }
                        out.append(.init(kind: .string, start: piece, end: k + 2))
                        lex(k + 2, min(j, e), depth: depth + 1)
                        piece = min(j, e)
                        k = piece
                        continue
                    }
                    k += bytes[k] == UInt8(ascii: "\\") ? 2 : 1
                }
                if piece < e { out.append(.init(kind: .string, start: piece, end: e)) }
            default: break
            }
            if t.kind == .error && e <= s { return }
        }
    }
    lex(0, bytes.count, depth: 0)
    return out
}
