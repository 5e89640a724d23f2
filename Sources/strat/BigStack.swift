#if canImport(Glibc)
import Glibc
#endif

/// Runs `body` on a thread with a 1 GiB stack (reserved address space, committed only as
/// used) and waits for it. Evaluation recurses for nested formulas and user functions, so
/// the language's own limits, not the platform's 8 MiB main-thread stack, decide how deep
/// a model may go.
func runWithLargeStack(_ body: @escaping @Sendable () -> Void) {
    final class Box: @unchecked Sendable {
        let body: @Sendable () -> Void
        init(_ body: @escaping @Sendable () -> Void) { self.body = body }
    }
    var attr = pthread_attr_t()
    pthread_attr_init(&attr)
    defer { pthread_attr_destroy(&attr) }
    pthread_attr_setstacksize(&attr, 1 << 30)
    let box = Unmanaged.passRetained(Box(body))
    var thread = pthread_t()
    let rc = pthread_create(&thread, &attr, { raw in
        let b = Unmanaged<Box>.fromOpaque(raw!).takeRetainedValue()
        b.body()
        return nil
    }, box.toOpaque())
    if rc != 0 {
        box.takeRetainedValue().body()
        return
    }
    // This thread only waits: let the worker receive the terminal's signals (blocked here
    // after pthread_create, so the worker does not inherit the mask). See
    // SignalState.asynchronousSignals.
    var waitMask = sigset_t(), oldMask = sigset_t()
    sigemptyset(&waitMask)
    for signo in SignalState.asynchronousSignals { sigaddset(&waitMask, signo) }
    pthread_sigmask(SIG_BLOCK, &waitMask, &oldMask)
    pthread_join(thread, nil)
    pthread_sigmask(SIG_SETMASK, &oldMask, nil)
}
