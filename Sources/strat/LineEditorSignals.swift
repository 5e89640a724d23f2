// LineEditor's signal handling and its interruptible terminal input.
//
// Why the editor handles signals itself (libedit's EL_SIGNAL is off): libedit's handlers
// re-raise with the default action and its readline emulation signals the whole process
// group (kill(0, …)); the REPL needs Ctrl-C to drop the line and keep the session, Ctrl-C
// during a long evaluation to stop only that evaluation, and Ctrl-Z to give the shell a
// cooked terminal. So: the handlers only record what arrived (lock-free atomics) and wake
// the reader through a self-pipe; LineEditor acts on the record in its character reader,
// outside any handler.
//
// Why the terminal is read through a non-blocking descriptor of its own: the handler may
// run on any thread of the process (the REPL reads on a big-stack thread while the main
// thread waits in pthread_join), so a blocked read(2) on the reading thread is not
// interrupted. And a read can block after poll(2) said the terminal was readable: the
// Ctrl-C itself makes the tty driver flush the unread input (ISIG without NOFLSH) — which
// is what happened when a test typed ahead in Ctrl-R search and pressed Ctrl-C under load:
// poll saw the typed-ahead bytes, Ctrl-C flushed them and raised SIGINT on the main thread,
// and read(2) slept until the next key. Now every wait is the poll on the terminal and the
// self-pipe, and a read that finds nothing returns EAGAIN and goes back to the poll.
//
// One read is libedit's, not ours: fn_complete's "Display all N possibilities? (y or n)"
// answer, read with getc(stdin). A Ctrl-C interrupts it (EINTR: getc returns EOF, taken
// as "n") because the terminal's signals are delivered to the reading thread (see
// asynchronousSignals) — unless the signal lands after the question was printed and
// before getc's read(2) began. For that window, a Ctrl-C during completion also sets
// alarm(1): its SIGALRM, caught without SA_RESTART, interrupts the read at most a second
// later. The alarm is cancelled when the completion returns.

import Synchronization
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Signal handling. Handlers only touch lock-free atomics, write(2) to a self-pipe,
/// tcsetattr(2), signal(2), raise(3) and alarm(2) — all async-signal-safe.
///
/// - While reading a line: SIGINT, SIGWINCH and SIGTSTP are recorded and wake the reader
///   (installed without SA_RESTART); SIGTERM, SIGHUP and SIGQUIT restore the terminal
///   and then take their default action.
/// - Between lines: only SIGINT stays caught (with SA_RESTART); it records a request for
///   ``LineEditor/takeInterruptRequest()``, and a second one before that is consumed
///   terminates the process with the default action.
enum SignalState {
    static let interruptBit: UInt32 = 1
    static let resizeBit: UInt32 = 2
    static let suspendBit: UInt32 = 4

    static let pending = Atomic<UInt32>(0)
    static let reading = Atomic<Bool>(false)
    /// Inside libedit's fn_complete, which may block reading stdin.
    static let completing = Atomic<Bool>(false)
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
        _ = completing.load(ordering: .relaxed)
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

    /// Runs `body` (a call to libedit's fn_complete) with SIGALRM caught, so that the
    /// alarm a Ctrl-C sets meanwhile interrupts a read libedit blocks in.
    static func duringCompletion<T>(_ body: () -> T) -> T {
        let old = install(SIGALRM, restart: false)
        completing.store(true, ordering: .sequentiallyConsistent)
        defer {
            completing.store(false, ordering: .sequentiallyConsistent)
            alarm(0)
            var previous = old
            sigaction(SIGALRM, &previous, nil)
        }
        return body()
    }

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

    /// Waits until `fd` has input (or hung up) or a signal arrived; the caller then checks
    /// ``pendingSignals()`` before reading. Returns false on a poll error other than EINTR.
    /// A signal that arrives after the caller's check and before poll(2) blocks is not
    /// lost: its handler wrote to the self-pipe, which poll also watches.
    static func waitForInput(fd: Int32) -> Bool {
        var fds = [pollfd(fd: fd, events: Int16(POLLIN), revents: 0),
                   pollfd(fd: wakeReadFD, events: Int16(POLLIN), revents: 0)]
        let ready = poll(&fds, fds[1].fd >= 0 ? 2 : 1, -1)
        if ready < 0 { return errno == EINTR || errno == EAGAIN }
        if fds[1].revents != 0 { drainWakePipe() }
        return true
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

    /// The signals a terminal sends a process (Ctrl-C, Ctrl-\, Ctrl-Z, resize, hang-up),
    /// a plain kill, and the alarm a Ctrl-C sets during completion.
    /// ``runWithLargeStack(_:)`` blocks them in the thread that only waits, so they are
    /// delivered to the thread doing the work — where a blocking call inside libedit (its
    /// "Display all N possibilities?" question reads stdin) returns EINTR instead of
    /// sleeping through a Ctrl-C handled elsewhere.
    static let asynchronousSignals: [Int32] = [SIGINT, SIGQUIT, SIGTSTP, SIGWINCH, SIGHUP, SIGTERM, SIGALRM]
}

/// Terminal input that never blocks in read(2): a second open file description of the
/// terminal with O_NONBLOCK (so the flag does not reach the shell's or stdout's
/// description), or, when the terminal cannot be opened again by name (no /dev entry, no
/// permission), the descriptor itself with O_NONBLOCK set only for each read.
struct NonBlockingTerminalInput {
    let fd: Int32
    private let ownsFD: Bool

    init(terminal: Int32) {
        var name = [CChar](repeating: 0, count: 256)
        if ttyname_r(terminal, &name, name.count) == 0 {
            let reopened = open(name, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC)
            var a = stat(), b = stat()
            if reopened >= 0, fstat(reopened, &a) == 0, fstat(terminal, &b) == 0, a.st_rdev == b.st_rdev {
                fd = reopened
                ownsFD = true
                return
            }
            if reopened >= 0 { closeDescriptor(reopened) }
        }
        fd = terminal
        ownsFD = false
    }

    /// One byte: 1, 0 at end of input, or -1 with errno (EAGAIN: nothing there after all).
    func readByte(_ byte: inout UInt8) -> Int {
        if ownsFD { return read(fd, &byte, 1) }
        let flags = fcntl(fd, F_GETFL)
        _ = fcntl(fd, F_SETFL, flags | O_NONBLOCK)
        let n = read(fd, &byte, 1)
        let readErrno = errno
        _ = fcntl(fd, F_SETFL, flags)
        errno = readErrno
        return n
    }

    func close() {
        if ownsFD { closeDescriptor(fd) }
    }
}

private func closeDescriptor(_ fd: Int32) { _ = close(fd) }

func lineEditorSignalHandler(_ signo: Int32) {
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
        if SignalState.completing.load(ordering: .sequentiallyConsistent) { alarm(1) }
    case SIGALRM:
        return   // only here to interrupt a blocking read (see the top of this file)
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
