/// Actuals files (SPEC §15): `import "actuals.csv"` / `import "actuals.json"` load dated
/// check-ins from rows `date,path,value[,confidence][,note]`. The bytes come from the
/// importer (the same sandbox as `.strat` imports); the library reads nothing itself.
///
/// Each row becomes a `checkin` declaration whose value is parsed as a Strat literal
/// straight from the file's bytes, so its diagnostics point at file:line:col. A bad row
/// is a warning and is left out; the rest loads.

/// One field of a row: its decoded text and where its raw content sits in the file.
struct ActualsField {
    var text: String
    var start: Int
    var end: Int
}

/// One row: its fields by column name, and where it starts (for row-level diagnostics).
struct ActualsRow {
    var fields: [String: ActualsField] = [:]
    var start: Int
    var end: Int
}

/// Whether an import path names an actuals file rather than a Strat source.
func isActualsPath(_ path: String) -> Bool {
    let lower = path.lowercased()
    return lower.hasSuffix(".csv") || lower.hasSuffix(".json")
}

extension Program {
    /// Loads an actuals file's rows as check-in declarations.
    func loadActuals(path: String, bytes: [UInt8], key: String) {
        let f = addFile(path: path, bytes: bytes)
        markLoaded(key, f.id)
        if bytes.count > limits.maxSourceBytes {
            sink.error("actuals file is larger than \(formatCount(limits.maxSourceBytes)) bytes", at: Span(file: f.id, start: 0, end: 0))
            return
        }
        var bad = false
        Lexer.validateUTF8(f.bytes) { off in
            if !bad { sink.error("invalid UTF-8 byte", at: Span(file: f.id, start: Int32(off), end: Int32(off + 1))) }
            bad = true
        }
        if bad { return }
        let rows = path.lowercased().hasSuffix(".json") ? jsonRows(f) : csvRows(f)
        for row in rows {
            if let d = checkinDecl(row, f) { decls.append(d) }
        }
    }

    private func span(_ f: SourceFile, _ s: Int, _ e: Int) -> Span { Span(file: f.id, start: Int32(s), end: Int32(max(s, e))) }

    private func badRow(_ message: String, _ f: SourceFile, _ s: Int, _ e: Int, hint: String? = nil) {
        sink.add(.warning, .compile, message + "; the row is left out", at: span(f, s, e), hint: hint)
    }

    // MARK: CSV (RFC 4180: quoted fields, "" escapes, CRLF or LF, an optional BOM)

    private func csvRows(_ f: SourceFile) -> [ActualsRow] {
        let b = f.bytes
        var i = 0
        if b.count >= 3, b[0] == 0xEF, b[1] == 0xBB, b[2] == 0xBF { i = 3 }
        var records: [(fields: [ActualsField], start: Int, end: Int)] = []
        var fields: [ActualsField] = []
        var recordStart = i
        var atRecordStart = true
        while i <= b.count {
            // One field.
            var text: [UInt8] = []
            var start = i, end = i
            while i < b.count, b[i] == 0x20 || b[i] == 0x09 { i += 1 }
            if i < b.count, b[i] == UInt8(ascii: "\"") {
                i += 1
                start = i
                var closed = false
                while i < b.count {
                    if b[i] == UInt8(ascii: "\"") {
                        if i + 1 < b.count, b[i + 1] == UInt8(ascii: "\"") { text.append(0x22); i += 2; continue }
                        end = i
                        i += 1
                        closed = true
                        break
                    }
                    text.append(b[i])
                    i += 1
                }
                if !closed {
                    badRow("unclosed quote in a CSV field", f, start - 1, b.count)
                    return rowsFromRecords(records, f)
                }
                while i < b.count, b[i] == 0x20 || b[i] == 0x09 { i += 1 }
            } else {
                start = i
                while i < b.count, b[i] != UInt8(ascii: ","), b[i] != 0x0A, b[i] != 0x0D { i += 1 }
                end = i
                while end > start, b[end - 1] == 0x20 || b[end - 1] == 0x09 { end -= 1 }
                text = Array(b[start..<end])
            }
            fields.append(ActualsField(text: String(decoding: text, as: UTF8.self), start: start, end: end))
            atRecordStart = false
            if i < b.count, b[i] == UInt8(ascii: ",") { i += 1; continue }
            // End of record.
            let recordEnd = i
            if i < b.count, b[i] == 0x0D { i += 1 }
            if i < b.count, b[i] == 0x0A { i += 1 }
            let blank = fields.count == 1 && fields[0].text.isEmpty
            if !blank { records.append((fields, recordStart, recordEnd)) }
            fields = []
            recordStart = i
            atRecordStart = true
            if i >= b.count { break }
        }
        _ = atRecordStart
        return rowsFromRecords(records, f)
    }

    private func rowsFromRecords(_ records: [(fields: [ActualsField], start: Int, end: Int)], _ f: SourceFile) -> [ActualsRow] {
        guard let header = records.first else {
            sink.add(.warning, .compile, "actuals file has no header row 'date,path,value'", at: span(f, 0, 0))
            return []
        }
        let known = ["date", "path", "value", "confidence", "note"]
        var names: [String?] = []
        for h in header.fields {
            let n = h.text.lowercased()
            if known.contains(n) { names.append(n); continue }
            names.append(nil)
            let hint = closest(n, among: known).map { "did you mean '\($0)'?" } ?? "the columns are date, path, value, confidence, note"
            sink.add(.warning, .compile, "unknown column '\(h.text)' in the actuals header; it is ignored", at: span(f, h.start, h.end), hint: hint)
        }
        for req in ["date", "path", "value"] where !names.contains(req) {
            sink.error("the actuals header has no '\(req)' column", at: span(f, header.start, header.end),
                       hint: "the header is date,path,value[,confidence][,note]")
            return []
        }
        var rows: [ActualsRow] = []
        for r in records.dropFirst() {
            if r.fields.count > names.count {
                badRow("row has \(r.fields.count) fields but the header has \(names.count)", f, r.start, r.end)
                continue
            }
            var row = ActualsRow(start: r.start, end: r.end)
            for (k, fld) in r.fields.enumerated() {
                if let n = names[k] { row.fields[n] = fld }
            }
            rows.append(row)
        }
        return rows
    }

    // MARK: JSON (an array of flat objects)

    private func jsonRows(_ f: SourceFile) -> [ActualsRow] {
        var s = JSONRowScanner(b: Array(f.bytes))
        var rows: [ActualsRow] = []
        s.ws()
        if s.i < s.b.count, s.b[s.i] == 0xEF { s.i = min(s.b.count, s.i + 3); s.ws() }
        guard s.take(UInt8(ascii: "[")) else {
            sink.error("an actuals JSON file is an array of objects with keys date, path, value", at: span(f, s.i, s.i + 1))
            return []
        }
        s.ws()
        if s.take(UInt8(ascii: "]")) { return [] }
        while true {
            s.ws()
            let rowStart = s.i
            guard s.take(UInt8(ascii: "{")) else {
                sink.error("expected an object '{…}' in the actuals array", at: span(f, s.i, s.i + 1))
                return rows
            }
            var row = ActualsRow(start: rowStart, end: rowStart)
            var okRow = true
            s.ws()
            if !s.take(UInt8(ascii: "}")) {
                while true {
                    s.ws()
                    guard let key = s.string() else {
                        sink.error("expected a key in quotes", at: span(f, s.i, s.i + 1))
                        return rows
                    }
                    s.ws()
                    guard s.take(UInt8(ascii: ":")) else {
                        sink.error("expected ':' after the key", at: span(f, s.i, s.i + 1))
                        return rows
                    }
                    s.ws()
                    guard let v = s.value() else {
                        sink.error("expected a JSON value (a string, a number, true, false or null)", at: span(f, s.i, s.i + 1))
                        return rows
                    }
                    if let v = v.field {
                        if ["date", "path", "value", "confidence", "note"].contains(key.text) { row.fields[key.text] = v }
                        else {
                            let hint = closest(key.text, among: ["date", "path", "value", "confidence", "note"]).map { "did you mean '\($0)'?" }
                            sink.add(.warning, .compile, "unknown key '\(key.text)' in an actuals row; it is ignored",
                                     at: span(f, key.start, key.end), hint: hint)
                        }
                    } else if v.isNull == false {
                        badRow("'\(key.text)' must be a string, a number or null", f, key.start, key.end)
                        okRow = false
                    }
                    s.ws()
                    if s.take(UInt8(ascii: ",")) { continue }
                    if s.take(UInt8(ascii: "}")) { break }
                    sink.error("expected ',' or '}' in an actuals row", at: span(f, s.i, s.i + 1))
                    return rows
                }
            }
            row.end = s.i
            if okRow { rows.append(row) }
            s.ws()
            if s.take(UInt8(ascii: ",")) { continue }
            if s.take(UInt8(ascii: "]")) { break }
            sink.error("expected ',' or ']' in the actuals array", at: span(f, s.i, s.i + 1))
            return rows
        }
        s.ws()
        if s.i < s.b.count { sink.error("unexpected text after the actuals array", at: span(f, s.i, s.i + 1)) }
        return rows
    }

    // MARK: Rows to check-ins

    private func checkinDecl(_ row: ActualsRow, _ f: SourceFile) -> Decl? {
        for req in ["date", "path"] where (row.fields[req]?.text ?? "").isEmpty {
            badRow("row has no \(req)", f, row.start, row.end)
            return nil
        }
        let df = row.fields["date"]!, pf = row.fields["path"]!
        guard let date = CalendarDate(df.text.trimmingSpaces) else {
            badRow("invalid date '\(df.text)'", f, df.start, df.end, hint: "a date is YYYY-MM-DD")
            return nil
        }
        // The path: names joined by '.', each a Strat identifier.
        var path: [(name: Int32, span: Span)] = []
        var off = pf.start
        for part in pf.text.split(separator: ".", omittingEmptySubsequences: false) {
            let text = String(part)
            let len = text.utf8.count
            guard let first = text.utf8.first, first == 0x5F || (first | 0x20 >= 0x61 && first | 0x20 <= 0x7A),
                  text.utf8.allSatisfy({ $0 == 0x5F || ($0 | 0x20 >= 0x61 && $0 | 0x20 <= 0x7A) || ($0 >= 0x30 && $0 <= 0x39) }) else {
                badRow("invalid path '\(pf.text)'", f, pf.start, pf.end, hint: "a path names a KR or metric, e.g. MODERNIZE_PLATFORM.MICROSERVICES")
                return nil
            }
            path.append((interner.intern(text), span(f, off, off + len)))
            off += len + 1
        }
        let dateSpan = span(f, df.start, df.end)
        var d = Decl(kind: .checkin, nameSpan: dateSpan, span: span(f, row.start, row.end),
                     expr: pool.add(pool.numberNode(date.unixSeconds, .date, span: dateSpan)), path: f.path)
        var entries: [OverrideDecl] = []
        if let vf = row.fields["value"], !vf.text.trimmingSpaces.isEmpty {
            guard let e = literal(vf, f, what: "value") else { return nil }
            entries.append(OverrideDecl(path: path, expr: e, span: span(f, vf.start, vf.end)))
        }
        if let cf = row.fields["confidence"], !cf.text.trimmingSpaces.isEmpty {
            guard let e = literal(cf, f, what: "confidence") else { return nil }
            entries.append(OverrideDecl(path: path + [(interner.intern("confidence"), span(f, cf.start, cf.end))], expr: e,
                                    span: span(f, cf.start, cf.end)))
        }
        if entries.isEmpty {
            badRow("row has neither a value nor a confidence", f, row.start, row.end)
            return nil
        }
        if let nf = row.fields["note"], !nf.text.isEmpty {
            let n = pool.add(Node(kind: .string, a: pool.constant(.string(nf.text)), span: span(f, nf.start, nf.end)))
            d.message = n
        }
        d.overrides = entries
        return d
    }

    /// A field parsed as a Strat literal (`51%`, `$1.2M`, `-3`, `96ms`) from the file's bytes.
    private func literal(_ fld: ActualsField, _ f: SourceFile, what: String) -> Int32? {
        var rowSink = DiagnosticSink()
        rowSink.files = files
        var parser = Parser(file: f, interner: interner, pool: pool, sink: rowSink, maxNesting: 8, start: fld.start, end: fld.end)
        let e = parser.parseExpr()
        parser.skipTrailing()
        rowSink = parser.sink
        if let first = rowSink.items.first(where: { $0.severity == .error }) {
            sink.add(.warning, .compile, "bad \(what) '\(fld.text)': \(first.message); the row is left out",
                     at: span(f, fld.start, fld.end), hint: first.hint)
            return nil
        }
        var n = pool[e]
        if n.kind == .neg { n = pool[n.a] }
        guard n.kind == .number else {
            badRow("the \(what) '\(fld.text)' is not a number literal", f, fld.start, fld.end, hint: "write a literal such as 51%, $1.2M or 96ms")
            return nil
        }
        return e
    }
}

extension String {
    var trimmingSpaces: String {
        var s = Substring(self)
        while let c = s.first, c == " " || c == "\t" { s.removeFirst() }
        while let c = s.last, c == " " || c == "\t" { s.removeLast() }
        return String(s)
    }
}

/// A small JSON scanner that keeps byte offsets (the rows' diagnostics need them).
private struct JSONRowScanner {
    let b: [UInt8]
    var i = 0

    struct Scanned {
        var field: ActualsField?
        var isNull: Bool
    }

    mutating func ws() { while i < b.count, b[i] == 0x20 || b[i] == 0x0A || b[i] == 0x0D || b[i] == 0x09 { i += 1 } }

    mutating func take(_ c: UInt8) -> Bool {
        if i < b.count, b[i] == c { i += 1; return true }
        return false
    }

    mutating func string() -> ActualsField? {
        guard take(UInt8(ascii: "\"")) else { return nil }
        let start = i
        var out: [UInt8] = []
        while i < b.count {
            let c = b[i]
            if c == UInt8(ascii: "\"") {
                let f = ActualsField(text: String(decoding: out, as: UTF8.self), start: start, end: i)
                i += 1
                return f
            }
            if c < 0x20 { return nil }
            if c == UInt8(ascii: "\\") {
                guard i + 1 < b.count else { return nil }
                let e = b[i + 1]
                i += 2
                switch e {
                case UInt8(ascii: "n"): out.append(0x0A)
                case UInt8(ascii: "t"): out.append(0x09)
                case UInt8(ascii: "r"): out.append(0x0D)
                case UInt8(ascii: "b"): out.append(0x08)
                case UInt8(ascii: "f"): out.append(0x0C)
                case UInt8(ascii: "u"):
                    guard i + 4 <= b.count, let v = UInt32(String(decoding: b[i..<i + 4], as: UTF8.self), radix: 16) else { return nil }
                    i += 4
                    out.append(contentsOf: Array(String(Character(Unicode.Scalar(v) ?? "\u{FFFD}")).utf8))
                case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): out.append(e)
                default: return nil
                }
                continue
            }
            out.append(c)
            i += 1
        }
        return nil
    }

    mutating func value() -> Scanned? {
        guard i < b.count else { return nil }
        if b[i] == UInt8(ascii: "\"") { return string().map { Scanned(field: $0, isNull: false) } }
        for word in ["null", "true", "false"] {
            let w = Array(word.utf8)
            if i + w.count <= b.count, Array(b[i..<i + w.count]) == w {
                i += w.count
                return Scanned(field: nil, isNull: word == "null")
            }
        }
        let start = i
        while i < b.count, b[i] == UInt8(ascii: "-") || b[i] == UInt8(ascii: "+") || b[i] == UInt8(ascii: ".")
            || b[i] | 0x20 == UInt8(ascii: "e") || (b[i] >= 0x30 && b[i] <= 0x39) { i += 1 }
        if i == start { return nil }
        return Scanned(field: ActualsField(text: String(decoding: b[start..<i], as: UTF8.self), start: start, end: i), isNull: false)
    }
}
