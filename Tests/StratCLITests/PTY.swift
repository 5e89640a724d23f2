// A pseudo-terminal harness: runs a program with a real terminal as its stdin/stdout/
// stderr (and controlling terminal, so Ctrl-C written to the master raises SIGINT in the
// child), sends keystrokes and waits for output. Output is kept raw — escape sequences,
// `\r\n`, bells — so tests match on text the program prints contiguously.
import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Keystrokes as a terminal (xterm, emacs mode) sends them.
enum PTYKey {
    static let enter = "\r"
    static let tab = "\t"
    static let escape = "\u{1b}"
    static let backspace = "\u{7f}"
    static let up = "\u{1b}[A"
    static let down = "\u{1b}[B"
    static let right = "\u{1b}[C"
    static let left = "\u{1b}[D"
    static let home = "\u{1b}[H"
    static let end = "\u{1b}[F"
    static let ctrlA = ctrl("a"), ctrlC = ctrl("c"), ctrlD = ctrl("d"), ctrlE = ctrl("e")
    static let ctrlK = ctrl("k"), ctrlR = ctrl("r"), ctrlU = ctrl("u"), ctrlW = ctrl("w")
    static let ctrlZ = ctrl("z")

    /// Ctrl plus a letter (or one of `@[\]^_`).
    static func ctrl(_ c: Character) -> String {
        let v = c.uppercased().unicodeScalars.first!.value
        return String(Character(Unicode.Scalar(v & 0x1f)!))
    }
}

/// `close(2)`, out of reach of `PTYProcess.close()`'s name.
private func closeFD(_ fd: Int32) { _ = close(fd) }

/// glibc functions the Swift Glibc module does not import (they sit behind
/// _XOPEN_SOURCE/_GNU_SOURCE), looked up at run time.
private enum LibC {
    nonisolated(unsafe) static let handle = dlopen(nil, RTLD_NOW)
    static func symbol<T>(_ name: String, as type: T.Type) -> T? {
        guard let p = dlsym(handle, name) else { return nil }
        return unsafeBitCast(p, to: type)
    }
    typealias OpenPT = @convention(c) (Int32) -> Int32
    typealias FDCall = @convention(c) (Int32) -> Int32
    typealias PTSName = @convention(c) (Int32, UnsafeMutablePointer<CChar>?, Int) -> Int32
    typealias AddChdir = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>?, UnsafePointer<CChar>?) -> Int32
    static let posixOpenpt = symbol("posix_openpt", as: OpenPT.self)
    static let grantpt = symbol("grantpt", as: FDCall.self)
    static let unlockpt = symbol("unlockpt", as: FDCall.self)
    static let ptsnameR = symbol("ptsname_r", as: PTSName.self)
    static let addChdir = symbol("posix_spawn_file_actions_addchdir_np", as: AddChdir.self)
}

struct PTYError: Error, CustomStringConvertible {
    let description: String
}

/// A child process attached to a new pseudo-terminal.
final class PTYProcess {
    let pid: pid_t
    private let master: Int32
    private var buffer: [UInt8] = []
    /// Bytes of `buffer` already matched by `expect`; the next match starts here.
    private var consumed = 0
    private var masterClosed = false
    private var status: Int32?

    /// Everything the program wrote so far, raw.
    var transcript: String { String(decoding: buffer, as: UTF8.self) }
    /// Output after the last successful `expect`.
    var unconsumed: String { String(decoding: buffer[consumed...], as: UTF8.self) }

    /// Starts `executable` under a new pty of `columns`×`rows`, in a new session whose
    /// controlling terminal is that pty. `environment` is the child's whole environment
    /// (nothing is inherited). Signal dispositions and mask are reset to defaults.
    init(executable: String, arguments: [String] = [], environment: [String: String],
         currentDirectory: String? = nil, columns: UInt16 = 100, rows: UInt16 = 30) throws {
        guard let openpt = LibC.posixOpenpt, let grant = LibC.grantpt, let unlock = LibC.unlockpt,
              let ptsname = LibC.ptsnameR else {
            throw PTYError(description: "posix_openpt/grantpt/unlockpt/ptsname_r not found in the C library")
        }
        let m = openpt(O_RDWR | O_NOCTTY)
        guard m >= 0 else { throw PTYError(description: "posix_openpt: \(String(cString: strerror(errno)))") }
        _ = fcntl(m, F_SETFD, FD_CLOEXEC)
        var nameBuffer = [CChar](repeating: 0, count: 256)
        guard grant(m) == 0, unlock(m) == 0, ptsname(m, &nameBuffer, nameBuffer.count) == 0 else {
            closeFD(m)
            throw PTYError(description: "grantpt/unlockpt/ptsname_r failed")
        }
        let slavePath = nameBuffer.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
        var ws = winsize(ws_row: rows, ws_col: columns, ws_xpixel: 0, ws_ypixel: 0)
        _ = ioctl(m, UInt(TIOCSWINSZ), &ws)
        // Hold the slave open until the child has it, so the pty never reads as hung up.
        let parentSlave = open(slavePath, O_RDWR | O_NOCTTY | O_CLOEXEC)

        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        // After setsid (an attribute, applied before file actions), opening the slave
        // without O_NOCTTY makes it the child's controlling terminal.
        posix_spawn_file_actions_addopen(&actions, 0, slavePath, O_RDWR, 0)
        posix_spawn_file_actions_adddup2(&actions, 0, 1)
        posix_spawn_file_actions_adddup2(&actions, 0, 2)
        if let dir = currentDirectory {
            guard let addChdir = LibC.addChdir, addChdir(&actions, dir) == 0 else {
                closeFD(m)
                throw PTYError(description: "posix_spawn_file_actions_addchdir_np unavailable")
            }
        }

        var attr = posix_spawnattr_t()
        posix_spawnattr_init(&attr)
        defer { posix_spawnattr_destroy(&attr) }
        var empty = sigset_t()
        sigemptyset(&empty)
        posix_spawnattr_setsigmask(&attr, &empty)
        var defaults = sigset_t()
        sigemptyset(&defaults)
        for s in [SIGINT, SIGQUIT, SIGTSTP, SIGTTIN, SIGTTOU, SIGPIPE, SIGTERM, SIGHUP, SIGWINCH, SIGCHLD, SIGUSR1, SIGUSR2] {
            sigaddset(&defaults, s)
        }
        posix_spawnattr_setsigdefault(&attr, &defaults)
        let setsidFlag: Int32 = 0x80   // POSIX_SPAWN_SETSID (glibc ≥ 2.26)
        posix_spawnattr_setflags(&attr, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF | setsidFlag))

        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        let envp = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer {
            argv.forEach { free($0) }
            envp.forEach { free($0) }
        }
        var child: pid_t = 0
        let rc = posix_spawn(&child, executable, &actions, &attr, argv, envp)
        if parentSlave >= 0 { closeFD(parentSlave) }
        guard rc == 0 else {
            closeFD(m)
            throw PTYError(description: "posix_spawn \(executable): \(String(cString: strerror(rc)))")
        }
        pid = child
        master = m
    }

    deinit { close() }

    /// Writes keystrokes to the terminal, as typed.
    func send(_ keys: String) throws {
        var bytes = Array(keys.utf8)
        var offset = 0
        while offset < bytes.count {
            let n = bytes.withUnsafeMutableBytes { write(master, $0.baseAddress! + offset, $0.count - offset) }
            if n < 0 {
                if errno == EINTR || errno == EAGAIN { continue }
                throw PTYError(description: "write to pty: \(String(cString: strerror(errno)))")
            }
            offset += n
        }
    }

    /// Types `keys`, then waits for the program to have seen them: convenience for text
    /// the line editor echoes verbatim (plain characters, no Tab or control keys).
    func type(_ text: String, timeout: TimeInterval = 10) throws {
        try send(text)
        try expect(text, timeout: timeout)
    }

    /// Waits until `substring` appears in the output after the previous match; returns the
    /// output up to and including it (raw). Throws with the unmatched output on timeout or
    /// when the program closed the terminal first.
    @discardableResult
    func expect(_ substring: String, timeout: TimeInterval = 10) throws -> String {
        let needle = Array(substring.utf8)
        let deadline = Date().addingTimeInterval(timeout)
        while true {
            if let end = find(needle) {
                let text = String(decoding: buffer[consumed..<end], as: UTF8.self)
                consumed = end
                return text
            }
            let remaining = deadline.timeIntervalSinceNow
            if remaining <= 0 {
                throw PTYError(description: "timed out after \(timeout)s waiting for \(substring.debugDescription); output since last match: \(unconsumed.debugDescription)")
            }
            if !readOnce(timeout: remaining) && masterClosed {
                throw PTYError(description: "program closed the terminal before printing \(substring.debugDescription); output since last match: \(unconsumed.debugDescription)")
            }
        }
    }

    /// Reads whatever arrives during `duration` (no matching); returns it raw.
    @discardableResult
    func drain(for duration: TimeInterval) -> String {
        let start = buffer.count
        let deadline = Date().addingTimeInterval(duration)
        while deadline.timeIntervalSinceNow > 0, !masterClosed {
            _ = readOnce(timeout: deadline.timeIntervalSinceNow)
        }
        return String(decoding: buffer[start...], as: UTF8.self)
    }

    /// Changes the terminal size (the child gets SIGWINCH).
    func resize(columns: UInt16, rows: UInt16) {
        var ws = winsize(ws_row: rows, ws_col: columns, ws_xpixel: 0, ws_ypixel: 0)
        _ = ioctl(master, UInt(TIOCSWINSZ), &ws)
    }

    /// Waits for the program to exit, reading its output meanwhile; returns the exit code,
    /// or 128 + signal number when a signal ended it. On timeout the program is killed
    /// and this throws.
    @discardableResult
    func waitForExit(timeout: TimeInterval = 10) throws -> Int32 {
        let deadline = Date().addingTimeInterval(timeout)
        while true {
            if let code = reap() { return code }
            if deadline.timeIntervalSinceNow <= 0 {
                kill(pid, SIGKILL)
                _ = reap(blocking: true)
                throw PTYError(description: "program did not exit within \(timeout)s; output since last match: \(unconsumed.debugDescription)")
            }
            if masterClosed { usleep(10_000) } else { _ = readOnce(timeout: 0.05) }
        }
    }

    /// Ends the program if it is still running (SIGHUP, then SIGKILL) and closes the pty.
    func close() {
        if status == nil {
            kill(pid, SIGHUP)
            let deadline = Date().addingTimeInterval(2)
            while reap() == nil, deadline.timeIntervalSinceNow > 0 { usleep(10_000) }
            if status == nil {
                kill(pid, SIGKILL)
                _ = reap(blocking: true)
            }
        }
        if !masterClosed {
            masterClosed = true
            closeFD(master)
        }
    }

    // MARK: Internals

    private func find(_ needle: [UInt8]) -> Int? {
        guard !needle.isEmpty else { return consumed }
        guard buffer.count - consumed >= needle.count else { return nil }
        var i = consumed
        while i + needle.count <= buffer.count {
            if buffer[i] == needle[0], buffer[i..<(i + needle.count)].elementsEqual(needle) {
                return i + needle.count
            }
            i += 1
        }
        return nil
    }

    /// Polls the master once; appends what it reads. Returns whether bytes arrived.
    private func readOnce(timeout: TimeInterval) -> Bool {
        guard !masterClosed else { return false }
        var pfd = pollfd(fd: master, events: Int16(POLLIN), revents: 0)
        let ms = Int32(max(0, min(timeout, 1)) * 1000)
        let ready = poll(&pfd, 1, ms)
        guard ready > 0 else { return false }
        var chunk = [UInt8](repeating: 0, count: 4096)
        let n = read(master, &chunk, chunk.count)
        if n > 0 {
            buffer.append(contentsOf: chunk[0..<n])
            return true
        }
        if n == 0 || (errno != EINTR && errno != EAGAIN) {
            // EIO: every slave descriptor is closed — the program exited or closed its tty.
            masterClosed = true
            closeFD(master)
        }
        return false
    }

    private func reap(blocking: Bool = false) -> Int32? {
        if let status { return status }
        var raw: Int32 = 0
        let r = waitpid(pid, &raw, blocking ? 0 : WNOHANG)
        guard r == pid else { return nil }
        let signal = raw & 0x7f
        let code = signal == 0 ? (raw >> 8) & 0xff : 128 + signal
        status = code
        return code
    }
}
