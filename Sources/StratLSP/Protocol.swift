// The language server's message layer: Content-Length framing of JSON-RPC 2.0 messages,
// error codes, JSON construction, and positions in UTF-16 code units (LSP 3.17's default
// encoding) against the UTF-8 bytes the engine counts in.

import StratKit

/// Splits a byte stream into LSP messages. Malformed headers and oversized messages are
/// reported as `.error` frames and skipped (an oversized body up to the next header), so
/// one bad message never stalls the stream or fills memory.
package struct FrameReader {
    /// A message body, or why some bytes were dropped.
    package enum Frame: Equatable, Sendable {
        case message([UInt8])
        case error(String)
    }

    /// Largest body accepted; a longer one is skipped without being buffered.
    let maxMessageBytes: Int
    /// Largest header block accepted.
    let maxHeaderBytes = 8192

    private var buffer: [UInt8] = []
    private var start = 0
    /// Body length of the header already read, while its body is still arriving.
    private var pendingLength: Int?
    /// After an oversized message: bytes are dropped up to the next `Content-Length`.
    private var resyncing = false

    package init(maxMessageBytes: Int = 64 << 20) { self.maxMessageBytes = maxMessageBytes }

    /// Bytes the reader waits for before it looks for the next header: the rest of a
    /// body announced by a Content-Length, or of an oversized body being skipped.
    package var awaitedBytes: Int {
        if let n = pendingLength { return max(0, n - (buffer.count - start)) }
        return 0
    }

    /// Bytes buffered and not yet returned as frames.
    package var buffered: Int { buffer.count - start }

    package mutating func feed<C: Collection>(_ bytes: C) where C.Element == UInt8 {
        buffer.append(contentsOf: bytes)
    }

    /// The next complete frame, or nil when more bytes are needed.
    package mutating func next() -> Frame? {
        compact()
        if resyncing {
            let marker = Array("Content-Length".utf8)
            var i = start
            while i + marker.count <= buffer.count {
                if buffer[i] == marker[0] && Array(buffer[i..<i + marker.count]) == marker { break }
                i += 1
            }
            if i + marker.count > buffer.count {
                start = max(start, buffer.count - marker.count + 1)
                return nil
            }
            start = i
            resyncing = false
        }
        if let length = pendingLength {
            guard buffer.count - start >= length else { return nil }
            let body = Array(buffer[start..<start + length])
            start += length
            pendingLength = nil
            return .message(body)
        }
        guard let end = headerEnd() else {
            if buffer.count - start > maxHeaderBytes {
                // No header terminator in a header's worth of bytes: drop them and resynchronise.
                buffer.removeAll(keepingCapacity: true)
                start = 0
                return .error("message header longer than \(maxHeaderBytes) bytes or not terminated by CRLF CRLF")
            }
            return nil
        }
        let header = String(decoding: buffer[start..<end], as: UTF8.self)
        start = end + 4
        var length: Int?
        var malformed: Substring?
        for var line in header.split(separator: "\r\n", omittingEmptySubsequences: true) {
            // Bytes left over from a broken message may precede a header on its line:
            // recover from the last `Content-Length:` in it.
            let lower = line.utf8.map { $0 >= 65 && $0 <= 90 ? $0 | 32 : $0 }, marker = Array("content-length:".utf8)
            if lower.count > marker.count, let at = stride(from: lower.count - marker.count, through: 1, by: -1)
                .first(where: { Array(lower[$0..<$0 + marker.count]) == marker }) {
                line = Substring(String(decoding: Array(line.utf8)[at...], as: UTF8.self))
            }
            guard let colon = line.firstIndex(of: ":") else {
                malformed = line
                continue
            }
            let name = line[..<colon].lowercased()
            let value = line[line.index(after: colon)...].drop(while: { $0 == " " || $0 == "\t" })
            if name == "content-length" {
                let digits = value.prefix(while: { $0 != " " && $0 != "\t" })
                guard !digits.isEmpty, digits.count <= 12, digits.allSatisfy({ $0.isASCII && $0.isNumber }), let n = Int(digits) else {
                    return .error("invalid Content-Length '\(value.prefix(40))'")
                }
                length = n
            }
        }
        guard let n = length else {
            if let m = malformed { return .error("malformed header line '\(m.prefix(80))'") }
            return .error("message header without Content-Length")
        }
        if n > maxMessageBytes {
            // Not buffered: its bytes are dropped up to the next header.
            resyncing = true
            return .error("message of \(n) bytes exceeds the limit of \(maxMessageBytes) bytes")
        }
        pendingLength = n
        return next()
    }

    private func headerEnd() -> Int? {
        var i = start
        let limit = min(buffer.count, start + maxHeaderBytes + 4)
        while i + 3 < limit {
            if buffer[i] == 13 && buffer[i + 1] == 10 && buffer[i + 2] == 13 && buffer[i + 3] == 10 { return i }
            i += 1
        }
        return nil
    }

    private mutating func compact() {
        if start > 0 && (start == buffer.count || start > 1 << 16) {
            buffer.removeSubrange(0..<start)
            start = 0
        }
    }
}

/// JSON-RPC and LSP error codes.
enum ErrorCode {
    static let parseError = -32700
    static let invalidRequest = -32600
    static let methodNotFound = -32601
    static let invalidParams = -32602
    static let internalError = -32603
    static let serverNotInitialized = -32002
    static let requestFailed = -32803
}

/// A request that fails with a JSON-RPC error.
struct LSPError: Error {
    var code: Int
    var message: String

    static func params(_ m: String) -> LSPError { LSPError(code: ErrorCode.invalidParams, message: m) }
}

// MARK: JSON construction

extension JSONValue {
    /// An object from key-value pairs, leaving out nil values.
    static func obj(_ members: [(String, JSONValue?)]) -> JSONValue {
        .object(members.compactMap { k, v in v.map { (k, $0) } })
    }
    static func int(_ i: Int) -> JSONValue { .number(Double(i)) }
    static func str(_ s: String) -> JSONValue { .string(s) }
}

/// The framed form of one message.
package func frame(_ message: JSONValue) -> String {
    let body = message.serialized
    return "Content-Length: \(body.utf8.count)\r\n\r\n" + body
}

// MARK: Positions

/// Line starts of a document's UTF-8 bytes, to convert between byte offsets and LSP
/// positions (0-based line, UTF-16 code units).
package struct LineIndex {
    let bytes: [UInt8]
    private(set) package var starts: [Int] = [0]

    init(_ bytes: [UInt8]) {
        self.bytes = bytes
        for (i, b) in bytes.enumerated() where b == 10 { starts.append(i + 1) }
    }

    var lineCount: Int { starts.count }

    /// Byte range of a 0-based line, without its line break.
    func lineRange(_ line: Int) -> Range<Int> {
        let s = starts[line]
        var e = line + 1 < starts.count ? starts[line + 1] - 1 : bytes.count
        if e > s, bytes[e - 1] == 13 { e -= 1 }
        return s..<max(s, e)
    }

    /// The byte offset of an LSP position; nil when the line is past the end or the
    /// character past the line's end.
    func offset(line: Int, character: Int) -> Int? {
        guard line >= 0, line < starts.count, character >= 0 else { return nil }
        let r = lineRange(line)
        var i = r.lowerBound, units = 0
        while i < r.upperBound && units < character {
            let (len, u16) = scalarAt(i)
            i += len
            units += u16
        }
        return units >= character ? i : nil
    }

    /// The LSP position of a byte offset (clamped into the document).
    func position(_ offset: Int) -> (line: Int, character: Int) {
        let off = max(0, min(offset, bytes.count))
        var lo = 0, hi = starts.count - 1
        while lo < hi {
            let mid = (lo + hi + 1) / 2
            if starts[mid] <= off { lo = mid } else { hi = mid - 1 }
        }
        var i = starts[lo], units = 0
        while i < off {
            let (len, u16) = scalarAt(i)
            i += len
            units += u16
        }
        return (lo, units)
    }

    /// The byte offset of a 1-based line and 1-based column counted in Unicode scalars
    /// (how ``Diagnostic`` counts).
    func offset(line1: Int, scalarColumn: Int) -> Int {
        guard line1 >= 1 else { return 0 }
        guard line1 <= starts.count else { return bytes.count }
        let r = lineRange(line1 - 1)
        var i = r.lowerBound, col = 1
        while i < r.upperBound && col < scalarColumn {
            i += scalarAt(i).0
            col += 1
        }
        return i
    }

    /// Bytes and UTF-16 units of the scalar starting at byte `i`.
    private func scalarAt(_ i: Int) -> (Int, Int) {
        let b = bytes[i]
        let len = b < 0x80 ? 1 : b >> 5 == 0b110 ? 2 : b >> 4 == 0b1110 ? 3 : b >> 3 == 0b11110 ? 4 : 1
        return (min(len, bytes.count - i), len == 4 ? 2 : 1)
    }

    /// An LSP range object for a byte range.
    func range(_ start: Int, _ end: Int) -> JSONValue {
        let s = position(start), e = position(max(start, end))
        return .obj([("start", .obj([("line", .int(s.line)), ("character", .int(s.character))])),
                     ("end", .obj([("line", .int(e.line)), ("character", .int(e.character))]))])
    }
}

// MARK: URIs

/// The file path of a `file://` URI (percent-decoded), or nil for other schemes.
func filePath(fromURI uri: String) -> String? {
    guard uri.hasPrefix("file://") else { return nil }
    var rest = Substring(uri.dropFirst(7))
    if !rest.hasPrefix("/"), let slash = rest.firstIndex(of: "/") { rest = rest[slash...] }  // file://host/path
    var out: [UInt8] = []
    let b = Array(rest.utf8)
    var i = 0
    while i < b.count {
        if b[i] == UInt8(ascii: "%"), i + 2 < b.count, let h = hexValue(b[i + 1]), let l = hexValue(b[i + 2]) {
            out.append(h << 4 | l)
            i += 3
        } else {
            out.append(b[i])
            i += 1
        }
    }
    let path = String(decoding: out, as: UTF8.self)
    return path.isEmpty ? nil : normalizePath(path)
}

/// A `file://` URI for a path, percent-encoding what URIs do not allow.
func fileURI(_ path: String) -> String {
    var s = "file://"
    for b in path.utf8 {
        let c = Character(Unicode.Scalar(b))
        if b < 0x80, c.isLetter || c.isNumber || "/-._~".contains(c) { s.append(c) } else {
            let hex = Array("0123456789ABCDEF")
            s += "%" + String(hex[Int(b >> 4)]) + String(hex[Int(b & 15)])
        }
    }
    return s
}

private func hexValue(_ c: UInt8) -> UInt8? {
    switch c {
    case UInt8(ascii: "0")...UInt8(ascii: "9"): return c - UInt8(ascii: "0")
    case UInt8(ascii: "a")...UInt8(ascii: "f"): return c - UInt8(ascii: "a") + 10
    case UInt8(ascii: "A")...UInt8(ascii: "F"): return c - UInt8(ascii: "A") + 10
    default: return nil
    }
}
