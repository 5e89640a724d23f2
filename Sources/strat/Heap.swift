#if canImport(Glibc)
import Glibc
import CEditLine
#endif

/// How the CLI's process uses the C heap. A large model is millions of small and large
/// blocks filled once: glibc's defaults serve each large array from a fresh `mmap` and
/// give freed memory back at once, so every page is a separate fault (two microseconds
/// each on this kind of virtual machine, a fifth of `strat run` on a 5 MB model).
enum Heap {
    /// At start-up, before any thread allocates: one arena for the whole process. The
    /// evaluation runs on a thread of its own (``runWithLargeStack(_:)``), which would
    /// otherwise get a second arena of its own, outside what ``prepare(forSourceBytes:)``
    /// tunes; the main thread only waits, so there is nothing to contend for.
    static func configure() {
        #if canImport(Glibc)
        _ = mallopt(M_ARENA_MAX, 1)
        #endif
    }

    /// Before a model of `bytes` source bytes is read, when it is large (1 MB or more):
    /// large arrays come from the heap rather than `mmap`, freed memory stays for reuse,
    /// and the heap grows at once by about what such a model needs, its densely filled
    /// first part in transparent huge pages (a fault per 2 MB instead of per 4 KB). Only
    /// the CLI does this: the heap is the process's, and an embedding host owns its own.
    static func prepare(forSourceBytes bytes: Int) {
        #if canImport(Glibc)
        guard bytes >= 1 << 20 else { return }
        // Past the largest source the loader reads, the size tunes nothing more (and a
        // sparse file's size times 16 could overflow).
        let size = min(bytes, 64 << 20)
        // A model needs up to about 12 bytes of heap per source byte, its node pool
        // included (the formula model: 5.5 MB of source, 50 MB in all); address space
        // reserved but never touched costs nothing.
        let wanted = size * 16
        _ = mallopt(M_MMAP_THRESHOLD, 32 << 20)
        _ = mallopt(M_TRIM_THRESHOLD, Int32(clamping: wanted * 2))
        _ = mallopt(M_TOP_PAD, Int32(clamping: wanted))
        let before = programBreak()
        // One block the current heap cannot hold makes glibc grow it by the block and the
        // pad; freed, it is the top of the heap again, for the model's arrays.
        // (Kept in a global: the optimizer removes a `malloc` whose block is only freed.)
        guard let block = malloc(1 << 20) else { return }
        grower = block
        let after = programBreak()
        // Huge pages for the part the parser fills densely, in order: the source, the node
        // pool and the children's lists, about 8 bytes per source byte. Past it, where the
        // model's tables are built and freed blocks leave holes, a huge page would often
        // be half empty (docs/performance.md, "The CLI's heap", has the measurements).
        let huge = 2 << 20
        let start = (before + huge - 1) & ~(huge - 1), end = min(after, before + 8 * size) & ~(huge - 1)
        if end > start, let p = UnsafeMutableRawPointer(bitPattern: start) {
            _ = madvise(p, end - start, 14 /* MADV_HUGEPAGE */)
        }
        free(grower)
        grower = nil
        #endif
    }

    nonisolated(unsafe) private static var grower: UnsafeMutableRawPointer?

    #if canImport(Glibc)
    /// The end of the heap.
    private static func programBreak() -> Int {
        Int(bitPattern: sbrk(0))
    }
    #endif
}
