// The C library calls the interpreter makes, behind one file so that the rest of the
// library names no platform module. Linux (glibc) is what the test suite runs on;
// Darwin and musl take the same calls under their own module names.
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// C's math functions under names that cannot collide with opcodes called `pow`, `exp`…
enum CMath {
    @inline(__always) static func pow(_ x: Double, _ y: Double) -> Double {
        #if canImport(Glibc)
        Glibc.pow(x, y)
        #elseif canImport(Musl)
        Musl.pow(x, y)
        #else
        Darwin.pow(x, y)
        #endif
    }
    @inline(__always) static func exp(_ x: Double) -> Double { x.exponential }
    @inline(__always) static func log(_ x: Double) -> Double { x.naturalLog }
    @inline(__always) static func log10(_ x: Double) -> Double { x.commonLog }
}

private extension Double {
    var exponential: Double { exp(self) }
    var naturalLog: Double { log(self) }
    var commonLog: Double { log10(self) }
}

/// The current thread's stack as (lowest address, size), or nil where the platform has
/// no way to ask; the stack guard is then off and the nesting and call-depth limits
/// alone keep recursion in bounds.
func currentThreadStack() -> (low: UInt, size: Int)? {
    #if os(Linux)
    var attr = pthread_attr_t()
    guard stratGetAttrNP(pthread_self(), &attr) == 0 else { return nil }
    defer { pthread_attr_destroy(&attr) }
    var addr: UnsafeMutableRawPointer?
    var size = 0
    guard pthread_attr_getstack(&attr, &addr, &size) == 0, let base = addr else { return nil }
    return (UInt(bitPattern: base), size)
    #elseif canImport(Darwin)
    let me = pthread_self()
    let size = pthread_get_stacksize_np(me)
    let top = UInt(bitPattern: pthread_get_stackaddr_np(me))  // Darwin gives the top
    return (top - UInt(size), size)
    #else
    return nil
    #endif
}

#if os(Linux)
/// glibc's pthread_getattr_np (a GNU extension the Glibc module does not export).
@_silgen_name("pthread_getattr_np")
private func stratGetAttrNP(_ thread: pthread_t, _ attr: UnsafeMutablePointer<pthread_attr_t>) -> Int32
#endif
