/// One loaded source file: its path and UTF-8 bytes, with line starts computed on demand.
final class SourceFile: @unchecked Sendable {
    let path: String
    /// The bytes: the storage of `storage`, which this file holds and never mutates, so the
    /// buffer stays where it is for the file's lifetime. Sharing the loader's array instead
    /// of copying it keeps one copy of a large source in memory, not two.
    let bytes: UnsafeBufferPointer<UInt8>
    private let storage: [UInt8]
    let id: Int32
    @exclusivity(unchecked) private var lineStartsCache: [Int32]?

    init(path: String, bytes: [UInt8], id: Int32) {
        self.path = path
        self.id = id
        storage = bytes
        self.bytes = storage.withUnsafeBufferPointer { $0 }
    }

    /// A file of any byte collection (copied once into an array).
    convenience init<C: Collection>(path: String, bytes: C, id: Int32) where C.Element == UInt8 {
        self.init(path: path, bytes: Array(bytes), id: id)
    }

    var lineStarts: [Int32] {
        if let c = lineStartsCache { return c }
        var starts: [Int32] = [0]
        for i in 0..<bytes.count where bytes[i] == 10 { starts.append(Int32(i + 1)) }
        lineStartsCache = starts
        return starts
    }

    /// 1-based line and column (columns count Unicode scalars, not bytes).
    /// The 1-based line of a byte offset (a binary search; no column scan).
    func lineNumber(_ offset: Int32) -> Int {
        let starts = lineStarts
        let off = max(0, min(Int(offset), bytes.count))
        var lo = 0, hi = starts.count - 1
        while lo < hi {
            let mid = (lo + hi + 1) / 2
            if Int(starts[mid]) <= off { lo = mid } else { hi = mid - 1 }
        }
        return lo + 1
    }

    func lineColumn(_ offset: Int32) -> (line: Int, column: Int) {
        let starts = lineStarts
        let off = max(0, min(Int(offset), bytes.count))
        var lo = 0, hi = starts.count - 1
        while lo < hi {
            let mid = (lo + hi + 1) / 2
            if Int(starts[mid]) <= off { lo = mid } else { hi = mid - 1 }
        }
        var col = 1
        var i = Int(starts[lo])
        while i < off {
            if bytes[i] & 0xC0 != 0x80 { col += 1 }
            i += 1
        }
        // A column pointing into the middle of a scalar counts that scalar once.
        return (lo + 1, col)
    }

    /// Bytes of the 1-based line, without its newline.
    func lineByteCount(_ line: Int) -> Int {
        let starts = lineStarts
        guard line >= 1, line <= starts.count else { return 0 }
        return (line < starts.count ? Int(starts[line]) - 1 : bytes.count) - Int(starts[line - 1])
    }

    /// The text of the 1-based line, without its newline.
    func lineText(_ line: Int) -> String {
        let starts = lineStarts
        guard line >= 1, line <= starts.count else { return "" }
        let s = Int(starts[line - 1])
        var e = line < starts.count ? Int(starts[line]) - 1 : bytes.count
        if e > s, bytes[e - 1] == 13 { e -= 1 }
        if e < s { e = s }
        return String(decoding: UnsafeBufferPointer(rebasing: bytes[s..<e]), as: UTF8.self)
    }

    func text(_ start: Int32, _ end: Int32) -> String {
        let s = max(0, min(Int(start), bytes.count)), e = max(s, min(Int(end), bytes.count))
        return String(decoding: UnsafeBufferPointer(rebasing: bytes[s..<e]), as: UTF8.self)
    }
}

/// A byte range in one source file.
struct Span: Hashable, Sendable {
    var file: Int32
    var start: Int32
    var end: Int32
    static let none = Span(file: -1, start: 0, end: 0)
}
