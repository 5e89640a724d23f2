// LineEditor: the REPL's terminal layer, a thin wrapper around libedit (histedit API).
//
// Why histedit (`el_init`/`el_wgets`) and not libedit's readline emulation: the emulation
// owns signal handling (it re-raises signals to the whole process group with kill(0, …)),
// decodes input byte by byte when a custom getc is installed, and quotes/escapes
// completion matches in ways we cannot turn off. With histedit we own the three things the
// REPL needs to be exact about — Ctrl-C, UTF-8 input and Tab completion — and libedit keeps
// doing what it is good at: display, emacs key bindings, history navigation and search.
// `el_set`/`el_get`/`history` are C-variadic, so Sources/CEditLine/shim.h wraps them.
//
// No Foundation here: start-up time matters.

import CEditLine
import Synchronization
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// An interactive line editor for a terminal: prompt, emacs editing keys, history that
/// persists across sessions, incremental reverse search (Ctrl-R), Tab completion through a
/// closure, and Ctrl-C/Ctrl-D handling.
///
/// Use one instance per process, only when ``isTerminal(_:)`` is true for standard input
/// and output; read piped input without it.
///
/// Keys (libedit emacs map, plus): ↑/↓ and Ctrl-P/Ctrl-N history, Ctrl-R incremental
/// reverse search (type to refine, Ctrl-R again for older matches, Enter accepts, Esc
/// stops searching), Tab completion, Ctrl-A/E/B/F/K/U/W/Y, Alt-B/F, Home/End/Delete.
/// A `~/.editrc` (or `$EDITRC`) with `strat:`-prefixed lines can rebind keys.
public final class LineEditor {
    /// What ``readLine(prompt:)`` read.
    public enum Input: Equatable, Sendable {
        /// A line the user accepted with Enter, without its line terminator.
        case line(String)
        /// Ctrl-C: the partial line was dropped (the editor already printed `^C` and a
        /// newline). The session continues; discard any pending continuation lines.
        case interrupt
        /// Ctrl-D on an empty line, or end of input (the editor already printed a newline).
        case eof
    }

    /// Tab completion. Called with the text of the line *up to the cursor*, the offset (in
    /// `Character`s) at which the word being completed starts in that text, and the word
    /// itself (`String(line.dropFirst(cursorWordStart)) == word`). Returns candidates,
    /// each a full replacement for `word` (not a suffix).
    ///
    /// Word splitting (see ``completionWord(in:)``):
    /// - cursor inside a leading `:command` → the word is the command with its colon (`:lo`);
    /// - after a command listed in ``pathCommands`` (`:load ex`) → the word is the whole
    ///   argument typed so far, spaces and `/` included (`ex`, `examples/net`);
    /// - otherwise the word is the run of `[A-Za-z0-9_.]` before the cursor, so a dotted
    ///   path stays one word: `Obj.mem` → `Obj.mem`. The completer splits on the last `.`
    ///   itself (``splitMember(_:)``) and returns e.g. `"Obj.member"`. After a call or an
    ///   index (`f(x).me`, `a[0].me`) the word starts with the dot (`.me`); the receiver
    ///   text is `line` before `cursorWordStart`.
    ///
    /// One candidate replaces the word (nothing is appended: return `"name "` to add a
    /// space). Several candidates insert their longest common prefix when it is longer
    /// than the word; when it is not, they are listed below the line (showing only the
    /// part after the last `.` or `/`), and the line is redrawn. No candidates beeps.
    public var completer: ((_ line: String, _ cursorWordStart: Int, _ word: String) -> [String])?

    /// Commands whose argument is a file path (completion word = whole argument).
    public var pathCommands: Set<String> = [":load", ":save"]

    /// The history file in use, or `nil` when history is not persisted.
    public private(set) var historyPath: String?

    /// Maximum number of history entries kept in memory and in the file.
    public let historyCapacity: Int

    private let el: OpaquePointer
    private let hist: OpaquePointer
    private let inputFD: Int32 = 0
    private var historyFD: Int32 = -1
    private var lastHistoryEntry: String?
    private var promptBuffer: UnsafeMutablePointer<CChar>
    private var pendingBytes: [UInt8] = []

    /// Creates the editor and loads history.
    ///
    /// - Parameters:
    ///   - historyPath: history file (e.g. `$STRAT_HISTORY` or `~/.strat_history`). `nil`
    ///     disables persistence; so does a path that cannot be read or written — silently.
    ///   - historyCapacity: entries kept; the file is compacted to this many on load.
    public init(historyPath: String?, historyCapacity: Int = 1000) {
        Self.ensureUTF8Locale()
        self.historyCapacity = max(1, historyCapacity)
        promptBuffer = strdup("")!
        el = el_init("strat", strat_stdin(), strat_stdout(), strat_stderr())
        hist = history_init()
        _ = strat_history_setsize(hist, Int32(clamping: self.historyCapacity))
        _ = strat_history_setunique(hist, 1)

        _ = strat_el_set_clientdata(el, Unmanaged.passUnretained(self).toOpaque())
        _ = strat_el_set_signal(el, 0)              // we handle signals ourselves (see below)
        _ = strat_el_set_getcfn(el, lineEditorGetc)  // UTF-8 decoding + interruptible read
        _ = strat_el_set_prompt(el, lineEditorPrompt)
        _ = strat_el_set_editor(el, "emacs")
        _ = strat_el_set_history(el, hist)
        _ = strat_el_addfn(el, "strat-complete", "Complete the word before the cursor", lineEditorComplete)
        _ = strat_el_bind(el, "^I", "strat-complete")
        _ = strat_el_bind(el, "^R", "em-inc-search-prev")
        // Same extra keys libedit's readline emulation binds: Home/End/Delete, Ctrl-arrows.
        for (key, command) in [
            ("\\e[1~", "ed-move-to-beg"), ("\\e[4~", "ed-move-to-end"),
            ("\\e[7~", "ed-move-to-beg"), ("\\e[8~", "ed-move-to-end"),
            ("\\e[H", "ed-move-to-beg"), ("\\e[F", "ed-move-to-end"),
            ("\\eOH", "ed-move-to-beg"), ("\\eOF", "ed-move-to-end"),
            ("\\e[3~", "ed-delete-next-char"),
            ("\\e[1;5C", "em-next-word"), ("\\e[1;5D", "ed-prev-word"),
            ("\\e[1;3C", "em-next-word"), ("\\e[1;3D", "ed-prev-word"),
        ] { _ = strat_el_bind(el, key, command) }
        // libedit looks characters below 256 up in the key map, where 0xA0–0xFF are 8-bit
        // "meta" keys (é would run a meta command). Input here is decoded UTF-8, and Meta
        // arrives as an ESC prefix, so make the Latin-1 letters insert themselves.
        for code: UInt32 in 0xA0...0xFF {
            _ = strat_el_bind(el, String(Character(Unicode.Scalar(code)!)), "ed-insert")
        }
        _ = el_source(el, nil)   // ~/.editrc, lines prefixed "strat:"

        SignalState.prepare()
        installInterruptHandler(restart: true)
        loadHistory(path: historyPath)
    }

    deinit {
        el_end(el)
        history_end(hist)
        if historyFD >= 0 { close(historyFD) }
        free(promptBuffer)
        SignalState.restoreInterruptHandler()
    }

    /// Whether `fd` is a terminal.
    public static func isTerminal(_ fd: Int32) -> Bool { isatty(fd) == 1 }

    // MARK: Reading

    /// Shows `prompt` and reads one line with editing. The prompt may contain invisible
    /// sequences (colours) if each is wrapped in `\u{1}…\u{1}`.
    ///
    /// Ctrl-C (SIGINT) while reading drops the line and returns ``Input/interrupt``;
    /// Ctrl-D on an empty line returns ``Input/eof``; Ctrl-Z suspends (the terminal is
    /// restored first and the line is redrawn on `fg`); a window resize re-wraps the line.
    public func readLine(prompt: String) -> Input {
        free(promptBuffer)
        promptBuffer = strdup(prompt)!
        fflush(strat_stdout())

        SignalState.beginReading(fd: inputFD)
        _ = strat_el_prep_term(el, 1)      // raw mode before the prompt shows: no echo race
        var count: Int32 = 0
        let wide = el_wgets(el, &count)
        let interrupted = SignalState.endReading()
        pendingBytes.removeAll()

        if let wide, count > 0 {
            var line = String()
            line.unicodeScalars.reserveCapacity(Int(count))
            for i in 0..<Int(count) {
                if let scalar = Unicode.Scalar(UInt32(bitPattern: Int32(wide[i]))) {
                    line.unicodeScalars.append(scalar)
                }
            }
            while let last = line.unicodeScalars.last, last == "\n" || last == "\r" {
                line.unicodeScalars.removeLast()
            }
            return .line(line)
        }
        if interrupted {
            fputs("^C\n", strat_stdout())
            fflush(strat_stdout())
            return .interrupt
        }
        fputs("\n", strat_stdout())
        fflush(strat_stdout())
        return .eof
    }

    /// Whether Ctrl-C was pressed since the last ``readLine(prompt:)`` returned (for
    /// example during a long evaluation); clears the request. A second Ctrl-C outside
    /// ``readLine(prompt:)`` before this is consumed terminates the process, so a REPL
    /// that never polls still lets the user get out of a long computation.
    public static func takeInterruptRequest() -> Bool {
        SignalState.takeInterrupt()
    }

    /// Whether Ctrl-C was pressed and not yet taken with ``takeInterruptRequest()``: what an
    /// engine polls to stop a long evaluation, leaving the request for the program to act on
    /// (so that a second Ctrl-C meanwhile still ends the process).
    public static func interruptRequested() -> Bool {
        SignalState.pending.load(ordering: .sequentiallyConsistent) & SignalState.interruptBit != 0
    }

    // MARK: History

    /// Adds `line` to the history (for ↑ and Ctrl-R) and appends it to the history file.
    /// Blank lines and a repeat of the previous entry are skipped.
    public func addHistory(_ line: String) {
        guard line.contains(where: { !$0.isWhitespace }), line != lastHistoryEntry else { return }
        lastHistoryEntry = line
        _ = strat_history_enter(hist, line)
        guard historyFD >= 0 else { return }
        if !Self.writeAll(historyFD, Self.escapeHistory(line) + "\n") {
            close(historyFD)
            historyFD = -1
            historyPath = nil
        }
    }

    private func loadHistory(path: String?) {
        guard let path, !path.isEmpty else { return }
        var entries: [String] = []
        let readFD = open(path, O_RDONLY | O_CLOEXEC)
        if readFD >= 0 {
            guard let data = Self.readAll(readFD) else { close(readFD); return }   // e.g. a directory
            close(readFD)
            entries = String(decoding: data, as: UTF8.self)
                .split(separator: "\n", omittingEmptySubsequences: true)
                .map { Self.unescapeHistory(String($0)) }
        } else if errno != ENOENT {
            return   // unreadable: no persistence
        }
        let writeFD = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0o600)
        guard writeFD >= 0 else { return }   // unwritable: no persistence
        historyFD = writeFD
        historyPath = path
        if entries.count > historyCapacity {
            entries.removeFirst(entries.count - historyCapacity)
            compactHistoryFile(path: path, entries: entries)
        }
        for entry in entries { _ = strat_history_enter(hist, entry) }
        lastHistoryEntry = entries.last
    }

    /// Rewrites the file with only the kept entries (temporary file + rename), then
    /// reopens it for appending. Best effort: on failure the file just stays longer.
    private func compactHistoryFile(path: String, entries: [String]) {
        let tmp = path + ".tmp-\(getpid())"
        let fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        guard fd >= 0 else { return }
        let text = entries.map { Self.escapeHistory($0) + "\n" }.joined()
        let ok = Self.writeAll(fd, text)
        close(fd)
        guard ok, rename(tmp, path) == 0 else { unlink(tmp); return }
        let reopened = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0o600)
        close(historyFD)
        historyFD = reopened
        if reopened < 0 { historyPath = nil }
    }

    /// History file format: UTF-8, one entry per line; `\` is written `\\`, a newline `\n`
    /// and a carriage return `\r`.
    static func escapeHistory(_ line: String) -> String {
        var out = ""
        for c in line.unicodeScalars {
            switch c {
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            default: out.unicodeScalars.append(c)
            }
        }
        return out
    }

    static func unescapeHistory(_ line: String) -> String {
        var out = ""
        var escaped = false
        for c in line.unicodeScalars {
            if escaped {
                switch c {
                case "n": out += "\n"
                case "r": out += "\r"
                default: out.unicodeScalars.append(c)
                }
                escaped = false
            } else if c == "\\" {
                escaped = true
            } else {
                out.unicodeScalars.append(c)
            }
        }
        if escaped { out += "\\" }
        return out
    }

    // MARK: Completion

    /// Splits the text before the cursor into the completion word and its start offset
    /// (in `Character`s). See ``completer`` for the rules.
    public func completionWord(in line: String) -> (start: Int, word: String) {
        Self.completionWord(in: line, pathCommands: pathCommands)
    }

    static func completionWord(in line: String, pathCommands: Set<String>) -> (start: Int, word: String) {
        let chars = Array(line)
        var i = 0
        while i < chars.count, chars[i] == " " || chars[i] == "\t" { i += 1 }
        if i < chars.count, chars[i] == ":" {
            var end = i
            while end < chars.count, !chars[end].isWhitespace { end += 1 }
            if end == chars.count { return (i, String(chars[i...])) }   // in the command name
            let command = String(chars[i..<end])
            if pathCommands.contains(command) {
                var argStart = end
                while argStart < chars.count, chars[argStart] == " " || chars[argStart] == "\t" { argStart += 1 }
                return (argStart, String(chars[argStart...]))
            }
        }
        var start = chars.count
        while start > 0 {
            let c = chars[start - 1]
            guard c == "_" || c == "." || (c.isASCII && (c.isLetter || c.isNumber)) else { break }
            start -= 1
        }
        return (start, String(chars[start...]))
    }

    /// Splits a dotted completion word at its last `.`: `"A.b.c"` → (`"A.b"`, `"c"`),
    /// `"abc"` → (`nil`, `"abc"`), `".me"` → (`""`, `"me"`).
    public static func splitMember(_ word: String) -> (receiver: String?, partial: String) {
        guard let dot = word.lastIndex(of: ".") else { return (nil, word) }
        return (String(word[..<dot]), String(word[word.index(after: dot)...]))
    }

    /// File-path candidates for `partial` (relative to the working directory, `~/`
    /// expanded for the lookup but kept in the result). Directories end with `/`; dot
    /// files are offered only when `partial`'s last component starts with `.`.
    public static func pathCompletions(for partial: String) -> [String] {
        var dirPart = ""
        var namePart = partial
        if let slash = partial.lastIndex(of: "/") {
            dirPart = String(partial[...slash])
            namePart = String(partial[partial.index(after: slash)...])
        }
        var lookup = dirPart.isEmpty ? "." : dirPart
        if lookup == "~/" || lookup.hasPrefix("~/"), let home = getenv("HOME") {
            lookup = String(cString: home) + lookup.dropFirst()
        }
        guard let dir = opendir(lookup) else { return [] }
        defer { closedir(dir) }
        var results: [String] = []
        while let entry = readdir(dir) {
            let name = withUnsafePointer(to: &entry.pointee.d_name) {
                $0.withMemoryRebound(to: CChar.self, capacity: 256) { String(cString: $0) }
            }
            if name == "." || name == ".." { continue }
            if name.hasPrefix("."), !namePart.hasPrefix(".") { continue }
            guard name.hasPrefix(namePart) else { continue }
            var st = stat()
            let full = lookup.hasSuffix("/") ? lookup + name : lookup + "/" + name
            let isDir = stat(full, &st) == 0 && (st.st_mode & S_IFMT) == S_IFDIR
            results.append(dirPart + name + (isDir ? "/" : ""))
        }
        return results.sorted()
    }

    /// Called from libedit when Tab is pressed. Returns a libedit `CC_*` code.
    fileprivate func complete() -> Int32 {
        guard let info = el_wline(el)?.pointee, let buffer = info.buffer, let cursor = info.cursor else {
            return CC_ERROR
        }
        var before = String()
        var p = buffer
        while p < cursor {
            if let s = Unicode.Scalar(UInt32(bitPattern: Int32(p.pointee))) { before.unicodeScalars.append(s) }
            p += 1
        }
        guard let completer else { return CC_ERROR }
        let (start, word) = completionWord(in: before)
        var seen = Set<String>()
        let candidates = completer(before, start, word).filter { seen.insert($0).inserted }
        if candidates.isEmpty { return CC_ERROR }
        if candidates.count == 1 { return replaceWord(word, with: candidates[0]) }
        let common = Self.longestCommonPrefix(candidates)
        if common.count > word.count { return replaceWord(word, with: common) }
        showCandidates(candidates, commonPrefix: common)
        return CC_REDISPLAY
    }

    private func replaceWord(_ word: String, with replacement: String) -> Int32 {
        if replacement == word { return CC_REFRESH }
        el_deletestr(el, Int32(word.unicodeScalars.count))
        var wide = replacement.unicodeScalars.map { wchar_t(bitPattern: $0.value) }
        wide.append(0)
        return el_winsertstr(el, wide) == 0 ? CC_REFRESH : CC_REFRESH_BEEP
    }

    static func longestCommonPrefix(_ strings: [String]) -> String {
        guard var prefix = strings.first.map(Array.init) else { return "" }
        for s in strings.dropFirst() {
            var n = 0
            for (a, b) in zip(prefix, s) { if a != b { break }; n += 1 }
            prefix.removeLast(prefix.count - n)
        }
        return String(prefix)
    }

    private func showCandidates(_ candidates: [String], commonPrefix: String) {
        // Show only what follows the last separator the candidates share.
        var cut = 0
        for (i, c) in commonPrefix.enumerated() where c == "." || c == "/" { cut = i + 1 }
        let limit = 200
        let names = candidates.prefix(limit).map { String($0.dropFirst(cut)) }.sorted()
        var ws = winsize()
        let columns = ioctl(1, UInt(TIOCGWINSZ), &ws) == 0 && ws.ws_col > 0 ? Int(ws.ws_col) : 80
        let width = (names.map(\.count).max() ?? 0) + 2
        let perRow = max(1, columns / max(1, width))
        let rows = (names.count + perRow - 1) / perRow
        var out = "\n"
        for r in 0..<rows {
            var line = ""
            for c in 0..<perRow {
                let i = c * rows + r
                guard i < names.count else { break }
                let name = names[i]
                line += (c + 1 < perRow && i + rows < names.count)
                    ? name + String(repeating: " ", count: width - name.count) : name
            }
            out += line + "\n"
        }
        if candidates.count > limit { out += "(\(candidates.count - limit) more)\n" }
        fputs(out, strat_stdout())
        fflush(strat_stdout())
    }

    // MARK: Input and signals

    /// libedit's character source: one Unicode scalar from the terminal, decoded from UTF-8
    /// here (not by the C locale). Waits with poll() on the terminal and on the signal
    /// self-pipe, so a signal is never lost between a check and a blocking read.
    /// Returns 1 with a character, 0 at end of input, -1 (errno EINTR) after Ctrl-C —
    /// which makes el_wgets return NULL, also from inside Ctrl-R search.
    fileprivate func readCharacter(_ out: UnsafeMutablePointer<wchar_t>) -> Int32 {
        while true {
            let pending = SignalState.pendingSignals()
            if pending & SignalState.interruptBit != 0 {
                errno = EINTR
                return -1
            }
            if pending & SignalState.resizeBit != 0 {
                SignalState.clear(SignalState.resizeBit)
                el_resize(el)
                continue
            }
            if pending & SignalState.suspendBit != 0 {
                SignalState.clear(SignalState.suspendBit)
                suspend()
                continue
            }
            var fds = [pollfd(fd: inputFD, events: Int16(POLLIN), revents: 0),
                       pollfd(fd: SignalState.wakeReadFD, events: Int16(POLLIN), revents: 0)]
            let ready = poll(&fds, fds[1].fd >= 0 ? 2 : 1, -1)
            if ready < 0 {
                if errno == EINTR || errno == EAGAIN { continue }
                return -1
            }
            if fds[1].revents != 0 { SignalState.drainWakePipe(); continue }
            if fds[0].revents == 0 { continue }
            var byte: UInt8 = 0
            let n = read(inputFD, &byte, 1)
            if n < 0 {
                if errno == EINTR || errno == EAGAIN { continue }
                return -1
            }
            if n == 0 {
                pendingBytes.removeAll()
                return 0
            }
            if let scalar = decode(byte) {
                out.pointee = wchar_t(bitPattern: scalar.value)
                return 1
            }
        }
    }

    /// Feeds one byte to the UTF-8 decoder; returns a scalar when one is complete.
    /// Malformed input yields U+FFFD.
    private func decode(_ byte: UInt8) -> Unicode.Scalar? {
        if pendingBytes.isEmpty {
            if byte < 0x80 { return Unicode.Scalar(byte) }
            if byte & 0xE0 == 0xC0 || byte & 0xF0 == 0xE0 || byte & 0xF8 == 0xF0 {
                pendingBytes = [byte]
                return nil
            }
            return "\u{FFFD}"
        }
        guard byte & 0xC0 == 0x80 else {
            // Truncated sequence: drop it (as libedit does) and start over with this byte.
            pendingBytes.removeAll()
            return decode(byte)
        }
        pendingBytes.append(byte)
        let lead = pendingBytes[0]
        let needed = lead & 0xE0 == 0xC0 ? 2 : lead & 0xF0 == 0xE0 ? 3 : 4
        guard pendingBytes.count == needed else { return nil }
        var decoder = UTF8()
        var iterator = pendingBytes.makeIterator()
        pendingBytes.removeAll()
        if case .scalarValue(let s) = decoder.decode(&iterator) { return s }
        return "\u{FFFD}"
    }

    /// Ctrl-Z while reading: restore the terminal, stop, and on `fg` redraw the line.
    private func suspend() {
        _ = strat_el_prep_term(el, 0)
        fputs("\n", strat_stdout())        // the shell's "Stopped" and the redraw start on a new line
        fflush(strat_stdout())
        SignalState.stopProcess()
        SignalState.saveTerminal(fd: inputFD)
        _ = strat_el_prep_term(el, 1)
        _ = strat_el_refresh(el)
    }

    private func installInterruptHandler(restart: Bool) {
        SignalState.installInterruptHandler(restart: restart)
    }

    fileprivate var prompt: UnsafeMutablePointer<CChar> { promptBuffer }

    fileprivate static func from(_ el: OpaquePointer?) -> LineEditor? {
        guard let el, let data = strat_el_get_clientdata(el) else { return nil }
        return Unmanaged<LineEditor>.fromOpaque(data).takeUnretainedValue()
    }

    // MARK: Utilities

    /// libedit renders characters through the C library's wide-character functions, which
    /// need a UTF-8 LC_CTYPE to show anything beyond ASCII. Only LC_CTYPE is changed.
    private static func ensureUTF8Locale() {
        func isUTF8() -> Bool {
            guard let cs = nl_langinfo(nl_item(CODESET)) else { return false }
            let name = String(cString: cs).uppercased()
            return name == "UTF-8" || name == "UTF8"
        }
        if setlocale(LC_CTYPE, "") != nil, isUTF8() { return }
        for name in ["C.UTF-8", "C.utf8", "en_US.UTF-8"] {
            if setlocale(LC_CTYPE, name) != nil, isUTF8() { return }
        }
    }

    private static func readAll(_ fd: Int32) -> [UInt8]? {
        var data: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n == 0 { return data }
            if n < 0 {
                if errno == EINTR { continue }
                return nil
            }
            data.append(contentsOf: chunk[0..<n])
        }
    }

    private static func writeAll(_ fd: Int32, _ text: String) -> Bool {
        var bytes = Array(text.utf8)
        var offset = 0
        while offset < bytes.count {
            let n = bytes.withUnsafeMutableBytes { write(fd, $0.baseAddress! + offset, $0.count - offset) }
            if n < 0 {
                if errno == EINTR { continue }
                return false
            }
            offset += n
        }
        return true
    }
}

// MARK: - C callbacks (no captures: plain functions converted to C function pointers)

private func lineEditorPrompt(_ el: OpaquePointer?) -> UnsafeMutablePointer<CChar>? {
    LineEditor.from(el)?.prompt ?? emptyPrompt
}

nonisolated(unsafe) private let emptyPrompt: UnsafeMutablePointer<CChar> = strdup("")!

private func lineEditorComplete(_ el: OpaquePointer?, _ ch: Int32) -> UInt8 {
    UInt8(truncatingIfNeeded: LineEditor.from(el)?.complete() ?? CC_ERROR)
}

private func lineEditorGetc(_ el: OpaquePointer?, _ out: UnsafeMutablePointer<wchar_t>?) -> Int32 {
    guard let out, let editor = LineEditor.from(el) else { return -1 }
    return editor.readCharacter(out)
}

// MARK: - Signals

/// Signal handling. Handlers only touch lock-free atomics, write(2) to a self-pipe,
/// tcsetattr(2), signal(2) and raise(3) — all async-signal-safe.
///
/// - While reading a line: SIGINT, SIGWINCH and SIGTSTP are recorded and wake the reader
///   (installed without SA_RESTART); SIGTERM, SIGHUP and SIGQUIT restore the terminal
///   and then take their default action.
/// - Between lines: only SIGINT stays caught (with SA_RESTART); it records a request for
///   ``LineEditor/takeInterruptRequest()``, and a second one before that is consumed
///   terminates the process with the default action.
private enum SignalState {
    static let interruptBit: UInt32 = 1
    static let resizeBit: UInt32 = 2
    static let suspendBit: UInt32 = 4

    static let pending = Atomic<UInt32>(0)
    static let reading = Atomic<Bool>(false)
    static let wakeWrite = Atomic<Int32>(-1)
    static let termiosSaved = Atomic<Bool>(false)
    static let ttyFD = Atomic<Int32>(0)
    /// Cooked terminal settings, restored by fatal-signal handlers.
    nonisolated(unsafe) static let savedTermios: UnsafeMutablePointer<termios> = {
        let p = UnsafeMutablePointer<termios>.allocate(capacity: 1)
        p.initialize(to: termios())
        return p
    }()
    nonisolated(unsafe) static var wakeReadFD: Int32 = -1
    nonisolated(unsafe) static var previousActions: [Int32: sigaction] = [:]
    nonisolated(unsafe) static var originalInterruptAction: sigaction?

    static let readingSignals: [Int32] = [SIGWINCH, SIGTSTP, SIGTERM, SIGHUP, SIGQUIT]

    /// Touches every static the handler uses so none is lazily initialised inside it,
    /// and creates the self-pipe.
    static func prepare() {
        _ = pending.load(ordering: .relaxed)
        _ = reading.load(ordering: .relaxed)
        _ = termiosSaved.load(ordering: .relaxed)
        _ = ttyFD.load(ordering: .relaxed)
        _ = savedTermios
        if wakeReadFD < 0 {
            var fds: [Int32] = [-1, -1]
            if pipe(&fds) == 0 {
                for fd in fds {
                    _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
                    _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
                }
                wakeReadFD = fds[0]
                wakeWrite.store(fds[1], ordering: .sequentiallyConsistent)
            }
        }
    }

    static func install(_ signo: Int32, restart: Bool) -> sigaction {
        var action = sigaction()
        action.__sigaction_handler.sa_handler = lineEditorSignalHandler
        sigemptyset(&action.sa_mask)
        action.sa_flags = restart ? Int32(SA_RESTART) : 0
        var old = sigaction()
        sigaction(signo, &action, &old)
        return old
    }

    static func installInterruptHandler(restart: Bool) {
        let old = install(SIGINT, restart: restart)
        if originalInterruptAction == nil { originalInterruptAction = old }
    }

    static func restoreInterruptHandler() {
        if var old = originalInterruptAction {
            sigaction(SIGINT, &old, nil)
            originalInterruptAction = nil
        }
    }

    static func saveTerminal(fd: Int32) {
        termiosSaved.store(false, ordering: .sequentiallyConsistent)
        if tcgetattr(fd, savedTermios) == 0 {
            ttyFD.store(fd, ordering: .sequentiallyConsistent)
            termiosSaved.store(true, ordering: .sequentiallyConsistent)
        }
    }

    static func beginReading(fd: Int32) {
        pending.store(0, ordering: .sequentiallyConsistent)   // drop requests from before
        drainWakePipe()
        saveTerminal(fd: fd)
        for signo in readingSignals { previousActions[signo] = install(signo, restart: false) }
        _ = install(SIGINT, restart: false)
        reading.store(true, ordering: .sequentiallyConsistent)
    }

    /// Returns whether the read was interrupted by Ctrl-C.
    static func endReading() -> Bool {
        reading.store(false, ordering: .sequentiallyConsistent)
        _ = install(SIGINT, restart: true)
        for signo in readingSignals {
            if var old = previousActions.removeValue(forKey: signo) { sigaction(signo, &old, nil) }
        }
        termiosSaved.store(false, ordering: .sequentiallyConsistent)
        let bits = pending.exchange(0, ordering: .sequentiallyConsistent)
        drainWakePipe()
        return bits & interruptBit != 0
    }

    static func pendingSignals() -> UInt32 { pending.load(ordering: .sequentiallyConsistent) }

    static func clear(_ bit: UInt32) {
        _ = pending.bitwiseAnd(~bit, ordering: .sequentiallyConsistent)
    }

    static func takeInterrupt() -> Bool {
        let old = pending.bitwiseAnd(~interruptBit, ordering: .sequentiallyConsistent).oldValue
        return old & interruptBit != 0
    }

    static func drainWakePipe() {
        guard wakeReadFD >= 0 else { return }
        var buffer = [UInt8](repeating: 0, count: 64)
        while read(wakeReadFD, &buffer, buffer.count) > 0 {}
    }

    /// Stops the process with the default SIGTSTP action; returns once continued.
    static func stopProcess() {
        var dfl = sigaction()
        dfl.__sigaction_handler.sa_handler = SIG_DFL
        sigemptyset(&dfl.sa_mask)
        var ours = sigaction()
        sigaction(SIGTSTP, &dfl, &ours)
        var set = sigset_t()
        sigemptyset(&set)
        sigaddset(&set, SIGTSTP)
        var oldMask = sigset_t()
        pthread_sigmask(SIG_UNBLOCK, &set, &oldMask)
        raise(SIGTSTP)
        pthread_sigmask(SIG_SETMASK, &oldMask, nil)
        sigaction(SIGTSTP, &ours, nil)
    }
}

private func lineEditorSignalHandler(_ signo: Int32) {
    let savedErrno = errno
    defer { errno = savedErrno }
    let bit: UInt32
    switch signo {
    case SIGINT:
        if !SignalState.reading.load(ordering: .sequentiallyConsistent),
           SignalState.pending.load(ordering: .sequentiallyConsistent) & SignalState.interruptBit != 0 {
            // Second Ctrl-C while busy and the first was not consumed: give up.
            signal(SIGINT, SIG_DFL)
            raise(SIGINT)
            return
        }
        bit = SignalState.interruptBit
    case SIGWINCH:
        bit = SignalState.resizeBit
    case SIGTSTP:
        bit = SignalState.suspendBit
    default:
        // Fatal while the terminal is raw: put it back, then die the default way.
        if SignalState.termiosSaved.load(ordering: .sequentiallyConsistent) {
            tcsetattr(SignalState.ttyFD.load(ordering: .sequentiallyConsistent), TCSANOW, SignalState.savedTermios)
        }
        signal(signo, SIG_DFL)
        raise(signo)
        return
    }
    _ = SignalState.pending.bitwiseOr(bit, ordering: .sequentiallyConsistent)
    let fd = SignalState.wakeWrite.load(ordering: .sequentiallyConsistent)
    if fd >= 0 {
        var byte: UInt8 = 1
        _ = write(fd, &byte, 1)
    }
}
