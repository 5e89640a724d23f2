// LineEditor: the REPL's terminal layer, a thin wrapper around libedit (histedit API).
//
// Why histedit (`el_init`/`el_wgets`) and not libedit's readline emulation: the emulation
// owns signal handling (it re-raises signals to the whole process group with kill(0, …)),
// and decodes input byte by byte when a custom getc is installed. With histedit we own
// the two things the REPL needs to be exact about — Ctrl-C (LineEditorSignals.swift) and
// UTF-8 input — and libedit does the rest: display, emacs key bindings, history
// navigation, search and the history file, and Tab completion through its own
// `fn_complete` (word finding, common-prefix insertion, filename completion, the match
// list). `el_set`/`el_get`/`history` are C-variadic, so Sources/CEditLine/shim.h wraps
// them; it also declares `fn_complete` (why that is sound: see there).
//
// No Foundation here: start-up time matters.

import CEditLine
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

    /// What Tab completes, as the ``completer`` decides.
    public enum Completion: Equatable, Sendable {
        /// These candidates, each a full replacement for the completion word.
        case words([String])
        /// A file name, by libedit's filename completion: the word ends at an unescaped
        /// space or shell metacharacter, `~/` is expanded, a unique file gets a space after
        /// it and a directory a `/`, and special characters are inserted escaped the shell
        /// way (`plan\ one.strat`, or inside the quote the user opened). The command reading
        /// the argument undoes that quoting (``REPL/commandPath(_:)``).
        case fileName
    }

    /// Tab completion. Called with the text of the line *up to the cursor*, the offset (in
    /// `Character`s) at which the word being completed starts in that text, and the word
    /// itself (`String(line.dropFirst(cursorWordStart)) == word`). Returns candidates,
    /// each a full replacement for `word` (not a suffix), or ``Completion/fileName``.
    ///
    /// Word splitting (see ``completionWord(in:)``):
    /// - cursor inside a leading `:command` → the word is the command with its colon (`:lo`);
    /// - otherwise the word is the run of `[A-Za-z0-9_.]` before the cursor, so a dotted
    ///   path stays one word: `Obj.mem` → `Obj.mem`. The completer splits on the last `.`
    ///   itself (``splitMember(_:)``) and returns e.g. `"Obj.member"`. After a call or an
    ///   index (`f(x).me`, `a[0].me`) the word starts with the dot (`.me`); the receiver
    ///   text is `line` before `cursorWordStart`.
    ///
    /// Completion works on the part of the word after its last `.`. One candidate replaces
    /// it (nothing is appended: return `"name "` to add a space). Several go to libedit's
    /// `fn_complete`: it inserts their longest common prefix and beeps, and a second Tab
    /// lists them below the line (libedit's match list, with only what follows the `.`;
    /// it asks first when there are more than ``completionQueryItems``) and redraws the
    /// line. No candidates beeps.
    public var completer: ((_ line: String, _ cursorWordStart: Int, _ word: String) -> Completion)?

    /// Above this many candidates, the second Tab asks before listing them (libedit's and
    /// readline's default).
    public static let completionQueryItems = 100

    /// The history file in use, or `nil` when history is not persisted.
    public private(set) var historyPath: String?

    /// Maximum number of history entries kept in memory and in the file.
    public let historyCapacity: Int

    private let el: OpaquePointer
    private let hist: OpaquePointer
    /// A one-entry history through which ``addHistory(_:)`` appends to the file in
    /// libedit's format (H_SAVE_FP writes every entry of a history).
    private let appendHist: OpaquePointer
    private let inputFD: Int32 = 0
    private let input: NonBlockingTerminalInput
    private var historyStream: UnsafeMutablePointer<FILE>?
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
        input = NonBlockingTerminalInput(terminal: inputFD)
        // libedit's "Display all N possibilities?" reads its answer with getc(stdin): with
        // a buffer, that getc would swallow keys typed after the answer.
        setvbuf(strat_stdin(), nil, _IONBF, 0)
        el = el_init("strat", strat_stdin(), strat_stdout(), strat_stderr())
        hist = history_init()
        _ = strat_history_setsize(hist, Int32(clamping: self.historyCapacity))
        _ = strat_history_setunique(hist, 1)
        appendHist = history_init()
        _ = strat_history_setsize(appendHist, 1)

        _ = strat_el_set_clientdata(el, Unmanaged.passUnretained(self).toOpaque())
        _ = strat_el_set_signal(el, 0)              // we handle signals ourselves (LineEditorSignals.swift)
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
        SignalState.installInterruptHandler(restart: true)
        loadHistory(path: historyPath)
    }

    deinit {
        el_end(el)
        history_end(hist)
        history_end(appendHist)
        if let historyStream { fclose(historyStream) }
        input.close()
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

    /// The first line of a history file in libedit's format.
    static let historyCookie = "_HiStOrY_V2_"

    /// Adds `line` to the history (for ↑ and Ctrl-R) and appends it to the history file.
    /// Blank lines and a repeat of the previous entry are skipped.
    public func addHistory(_ line: String) {
        guard line.contains(where: { !$0.isWhitespace }), line != lastHistoryEntry else { return }
        lastHistoryEntry = line
        _ = strat_history_enter(hist, line)
        guard let stream = historyStream else { return }
        _ = strat_history_clear(appendHist)
        _ = strat_history_enter(appendHist, line)
        fseek(stream, 0, SEEK_END)   // H_SAVE_FP writes the cookie only at offset 0
        if strat_history_save_fp(appendHist, stream) != 1 || fflush(stream) != 0 {
            fclose(stream)
            historyStream = nil
            historyPath = nil
        }
    }

    /// Loads the file with libedit's H_LOAD, so it must be in libedit's format. A file
    /// without the `_HiStOrY_V2_` line is from strat before that format (one entry a line,
    /// `\\`, `\n` and `\r` escaped — which strunvis(3) reads the same way): it gets the line
    /// prepended first. Then the file is compacted if it holds more than
    /// ``historyCapacity`` entries, and opened for appending.
    private func loadHistory(path: String?) {
        guard let path, !path.isEmpty else { return }
        let readFD = open(path, O_RDONLY | O_CLOEXEC)
        if readFD >= 0 {
            guard let data = Self.readAll(readFD) else { close(readFD); return }   // e.g. a directory
            close(readFD)
            if !data.isEmpty, !data.starts(with: Array((Self.historyCookie + "\n").utf8)) {
                let converted = Self.historyCookie + "\n" + String(decoding: data, as: UTF8.self)
                guard writeFileAtomically(path, converted) else { return }
            }
            let count = strat_history_load(hist, path)
            if count > historyCapacity {
                // H_SAVE writes what was kept in memory: the newest entries.
                let tmp = path + ".tmp-\(getpid())"
                if strat_history_save(hist, tmp) < 0 || rename(tmp, path) != 0 { unlink(tmp) }
            }
        } else if errno != ENOENT {
            return   // unreadable: no persistence
        }
        let writeFD = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0o600)
        guard writeFD >= 0 else { return }   // unwritable: no persistence
        guard let stream = fdopen(writeFD, "a") else { close(writeFD); return }
        historyStream = stream
        historyPath = path
        lastHistoryEntry = strat_history_step(hist, H_FIRST).map { String(cString: $0) }
    }

    // MARK: Completion

    /// Splits the text before the cursor into the completion word and its start offset
    /// (in `Character`s). See ``completer`` for the rules.
    public func completionWord(in line: String) -> (start: Int, word: String) {
        Self.completionWord(in: line)
    }

    static func completionWord(in line: String) -> (start: Int, word: String) {
        let chars = Array(line)
        var i = 0
        while i < chars.count, chars[i] == " " || chars[i] == "\t" { i += 1 }
        if i < chars.count, chars[i] == ":" {
            var end = i
            while end < chars.count, !chars[end].isWhitespace { end += 1 }
            if end == chars.count { return (i, String(chars[i...])) }   // in the command name
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
        let result: Int32
        switch completer(before, start, word) {
        case .fileName:
            result = SignalState.duringCompletion {
                fn_complete(el, nil, nil, Self.fileNameBreaks, nil, nil, Self.completionQueryItems, nil, nil, nil, nil)
            }
        case .words(let words):
            guard let request = CompletionRequest(before: before, wordStart: start, word: word, candidates: words) else {
                return CC_ERROR
            }
            if request.tails.count == 1 {
                // One candidate: inserted here, because fn_complete rings the bell even after
                // completing a unique match (filecomplete.c), which readline does not.
                el_deletestr(el, Int32(request.tail.unicodeScalars.count))
                var wide = (request.tails[0] + String(cString: request.suffix)).unicodeScalars.map { wchar_t(bitPattern: $0.value) }
                wide.append(0)
                return el_winsertstr(el, wide) == 0 ? CC_REFRESH : CC_REFRESH_BEEP
            }
            CompletionRequest.current = request
            defer { CompletionRequest.current = nil }
            result = request.breaks.withUnsafeBufferPointer { breaks in
                SignalState.duringCompletion {
                    fn_complete(el, nil, lineEditorAttemptedCompletion, breaks.baseAddress, nil, lineEditorAppendSuffix,
                                Self.completionQueryItems, nil, nil, nil, nil)
                }
            }
        }
        clearerr(strat_stdin())   // after an interrupted "Display all …? (y or n)"
        return result
    }

    /// Where a file name ends: libedit's own word breaks for filename completion
    /// (`break_chars` in filecomplete.c).
    private static let fileNameBreaks: [wchar_t] = " \t\n\"\\'`@$><=;|&{(".unicodeScalars.map { wchar_t(bitPattern: $0.value) } + [0]

    // MARK: Input

    /// libedit's character source: one Unicode scalar from the terminal, decoded from UTF-8
    /// here (not by the C locale). Waits only in poll(2), on the terminal and on the signal
    /// self-pipe, and reads without blocking (see LineEditorSignals.swift), so a signal is
    /// never slept through. Returns 1 with a character, 0 at end of input, -1 (errno EINTR)
    /// after Ctrl-C — which makes el_wgets return NULL, also from inside Ctrl-R search.
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
            guard SignalState.waitForInput(fd: input.fd) else { return -1 }
            var byte: UInt8 = 0
            let n = input.readByte(&byte)
            if n < 0 {
                if errno == EINTR || errno == EAGAIN { continue }   // EAGAIN: flushed by a Ctrl-C
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

}

// MARK: - Name completion through fn_complete

/// The candidates of one Tab press, handed to libedit's callbacks (plain C function
/// pointers, no context argument) for the duration of the `fn_complete` call.
///
/// libedit completes the part of the word after its last `.` (so its match list shows
/// member names, not whole paths), finding that part with `breaks`: every character of the
/// text before it that does not occur in it. The callback checks that libedit found
/// exactly that part — a backslash or a quote before the cursor can make it look further
/// (filecomplete.c treats them as escapes) — and offers nothing otherwise.
private struct CompletionRequest {
    nonisolated(unsafe) static var current: CompletionRequest?

    /// The candidates with the word's text up to its last `.` removed.
    let tails: [String]
    /// The part of the word libedit replaces, and its start and end (in scalars).
    let tail: String
    let tailStart: Int
    let cursor: Int
    /// NUL-terminated word breaks for `fn_complete`.
    let breaks: [wchar_t]
    /// Inserted after a unique candidate: its trailing space, if it had one.
    let suffix: UnsafePointer<CChar>

    init?(before: String, wordStart: Int, word: String, candidates: [String]) {
        var seen = Set<String>()
        let unique = candidates.filter { seen.insert($0).inserted }
        let cut = word.lastIndex(of: ".").map { word.index(after: $0) } ?? word.startIndex
        let receiver = String(word[..<cut])
        var tails = unique.filter { $0.hasPrefix(receiver) }.map { String($0.dropFirst(receiver.count)) }
        guard !tails.isEmpty else { return nil }
        suffix = tails.count == 1 && tails[0].hasSuffix(" ") && tails[0].count > 1 ? Self.space : Self.empty
        if suffix == Self.space { tails[0].removeLast() }
        self.tails = tails
        tail = String(word[cut...])
        let scalars = Array(before.unicodeScalars)
        cursor = scalars.count
        tailStart = cursor - tail.unicodeScalars.count
        let inTail = Set(tail.unicodeScalars)
        var breakSet = Set<Unicode.Scalar>()
        var breaks: [wchar_t] = []
        for s in scalars[..<tailStart] where !inTail.contains(s) && breakSet.insert(s).inserted {
            breaks.append(wchar_t(bitPattern: s.value))
        }
        self.breaks = breaks + [0]
    }

    nonisolated(unsafe) static let empty: UnsafePointer<CChar> = UnsafePointer(strdup("")!)
    nonisolated(unsafe) static let space: UnsafePointer<CChar> = UnsafePointer(strdup(" ")!)
}

/// fn_complete's `attempted_completion_function`: the matches in readline's form, made by
/// libedit's `rl_completion_matches` (which puts the common prefix first).
private func lineEditorAttemptedCompletion(_ text: UnsafePointer<CChar>?, _ start: Int32, _ end: Int32)
    -> UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? {
    guard let request = CompletionRequest.current, let text,
          Int(start) == request.tailStart, Int(end) == request.cursor, String(cString: text) == request.tail else {
        return nil
    }
    CompletionGenerator.next = 0
    return rl_completion_matches(text, lineEditorNextCandidate)
}

private enum CompletionGenerator {
    nonisolated(unsafe) static var next = 0
}

/// The generator `rl_completion_matches` calls with state 0, 1, …: a malloc'd copy of each
/// candidate in turn (libedit frees them), then NULL.
private func lineEditorNextCandidate(_ text: UnsafePointer<CChar>?, _ state: Int32) -> UnsafeMutablePointer<CChar>? {
    guard let tails = CompletionRequest.current?.tails, CompletionGenerator.next < tails.count else { return nil }
    defer { CompletionGenerator.next += 1 }
    return strdup(tails[CompletionGenerator.next])
}

/// fn_complete's `app_func`: what follows a unique match, and each listed match.
private func lineEditorAppendSuffix(_ match: UnsafePointer<CChar>?) -> UnsafePointer<CChar>? {
    CompletionRequest.current?.suffix ?? CompletionRequest.empty
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
