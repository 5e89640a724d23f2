#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Writes `text` to `path` atomically: a temporary file created with O_CREAT|O_EXCL in
/// the same folder (so nothing else can be opened in its place), written in full,
/// fsync'd, then renamed over `path`. Readers see the old file or the new one, never
/// half of one. Returns an error message, or nil on success.
func writeOutputFile(_ path: String, _ text: String) -> String? {
    let slash = path.lastIndex(of: "/")
    let dir = slash.map { String(path[..<$0]) } ?? "."
    let base = slash.map { String(path[path.index(after: $0)...]) } ?? path
    guard !base.isEmpty else { return "'\(path)' is a folder" }
    var fd: Int32 = -1
    var tmp = ""
    for attempt in 0..<100 {
        tmp = (dir.isEmpty ? "" : dir + "/") + ".\(base).\(getpid()).\(attempt).tmp"
        fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        if fd >= 0 || errno != EEXIST { break }
    }
    guard fd >= 0 else { return "cannot create a file in '\(dir)': \(String(cString: strerror(errno)))" }
    let bytes = Array(text.utf8)
    var off = 0
    while off < bytes.count {
        let n = bytes.withUnsafeBytes { write(fd, $0.baseAddress! + off, $0.count - off) }
        if n < 0 && errno == EINTR { continue }
        if n <= 0 {
            let why = String(cString: strerror(errno))
            close(fd); unlink(tmp)
            return "cannot write '\(path)': \(why)"
        }
        off += n
    }
    if fsync(fd) != 0 || close(fd) != 0 {
        unlink(tmp)
        return "cannot write '\(path)': \(String(cString: strerror(errno)))"
    }
    if rename(tmp, path) != 0 {
        let why = String(cString: strerror(errno))
        unlink(tmp)
        return "cannot write '\(path)': \(why)"
    }
    return nil
}
