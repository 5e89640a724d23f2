#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Dispatch

/// The samples of an uncertain value (SPEC §13): N doubles in one contiguous buffer, in
/// base units, aligned across every value of the model (sample i of every distribution
/// belongs to the same simulated world). Immutable once built; summaries are computed on
/// first use and kept.
///
/// Percentiles come from order statistics found by selection (Hoare's quickselect, O(n)),
/// not a full sort: one working copy is partitioned further with each order statistic
/// asked for, and the positions already in their sorted place split the later searches,
/// so the five percentiles of a report cost a few passes over the samples.
///
/// A bool distribution (a comparison of uncertain values) stores 1 and 0.
public final class Samples: @unchecked Sendable {
    /// Number of samples.
    public let count: Int
    /// True for a bool distribution (samples are 1 or 0).
    public let isBool: Bool
    let data: UnsafeMutablePointer<Double>
    private let lock: UnsafeMutablePointer<pthread_mutex_t>
    private var cachedMean: Double?
    private var cachedSD: Double?
    /// A copy of the samples, partitioned around every position in `settled`.
    private var work: UnsafeMutablePointer<Double>?
    /// Ascending positions k where `work[k]` is the k-th smallest sample, everything before
    /// it no larger and everything after it no smaller.
    private var settled: [Int] = []
    /// Percentiles already computed (q, value): a report asks for the same few many times.
    private var quantiles: [(Double, Double)] = []

    /// An uninitialized buffer; the creator fills every element before sharing it.
    init(uninitialized count: Int, isBool: Bool = false) {
        self.count = count
        self.isBool = isBool
        data = UnsafeMutablePointer<Double>.allocate(capacity: Swift.max(1, count))
        if count * 8 >= 4 << 20 { adviseHugePages(UnsafeMutableRawBufferPointer(start: data, count: count * 8)) }
        lock = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
        pthread_mutex_init(lock, nil)
    }

    /// Samples copied from an array.
    public convenience init(_ values: [Double], isBool: Bool = false) {
        self.init(uninitialized: values.count, isBool: isBool)
        values.withUnsafeBufferPointer { b in
            if let p = b.baseAddress { data.initialize(from: p, count: values.count) }
        }
    }

    /// A value repeated `count` times.
    convenience init(repeating v: Double, count: Int, isBool: Bool = false) {
        self.init(uninitialized: count, isBool: isBool)
        data.initialize(repeating: v, count: count)
    }

    deinit {
        data.deallocate()
        work?.deallocate()
        pthread_mutex_destroy(lock)
        lock.deallocate()
    }

    /// Sample `i`.
    @inline(__always) public subscript(_ i: Int) -> Double { data[i] }

    /// The samples as an array.
    public var array: [Double] { Array(UnsafeBufferPointer(start: data, count: count)) }

    var buffer: UnsafeBufferPointer<Double> { UnsafeBufferPointer(start: data, count: count) }

    /// The mean, summed in fixed blocks of 4,096 samples so the result is the same
    /// whatever the thread count.
    public var mean: Double {
        pthread_mutex_lock(lock)
        defer { pthread_mutex_unlock(lock) }
        if let m = cachedMean { return m }
        let m = Samples.blockSum(data, count) / Double(Swift.max(1, count))
        cachedMean = m
        return m
    }

    static let block = 4096

    /// Sum in fixed blocks: each block's partial sum (a plain loop the compiler unrolls),
    /// then the partial sums in order.
    static func blockSum(_ p: UnsafePointer<Double>, _ n: Int) -> Double {
        let blocks = (n + block - 1) / block
        if blocks <= 1 { return plainSum(p, n) }
        var s = 0.0
        for b in 0..<blocks {
            let lo = b * block
            s += plainSum(p + lo, Swift.min(block, n - lo))
        }
        return s
    }

    @inline(__always) static func plainSum(_ p: UnsafePointer<Double>, _ n: Int) -> Double {
        var s0 = 0.0, s1 = 0.0, s2 = 0.0, s3 = 0.0
        var i = 0
        while i + 4 <= n {
            s0 += p[i]; s1 += p[i + 1]; s2 += p[i + 2]; s3 += p[i + 3]
            i += 4
        }
        while i < n { s0 += p[i]; i += 1 }
        return (s0 + s1) + (s2 + s3)
    }

    /// The sample standard deviation (divisor N − 1; 0 for one sample).
    public var sd: Double {
        let m = mean
        guard count > 1 else { return 0 }
        pthread_mutex_lock(lock)
        defer { pthread_mutex_unlock(lock) }
        if let s = cachedSD { return s }
        var s = 0.0
        for i in 0..<count {
            let d = data[i] - m
            s += d * d
        }
        let r = (s / Double(count - 1)).squareRoot()
        cachedSD = r
        return r
    }

    /// The smallest sample.
    public var min: Double { count > 0 ? withLock { orderStatistic(0) } : .nan }
    /// The largest sample.
    public var max: Double { count > 0 ? withLock { orderStatistic(count - 1) } : .nan }

    /// The q-quantile (q in 0…1) with linear interpolation between order statistics
    /// (numpy's default, Hyndman and Fan's type 7).
    public func percentile(_ q: Double) -> Double {
        withLock {
            if let hit = quantiles.first(where: { $0.0 == q }) { return hit.1 }
            guard count > 0 else { return .nan }
            let h = Swift.min(Swift.max(q, 0), 1) * Double(count - 1)
            let lo = Int(h.rounded(.down))
            let hi = Swift.min(lo + 1, count - 1)
            let a = orderStatistic(lo)
            let r = hi == lo || h == Double(lo) ? a : a + (h - Double(lo)) * (orderStatistic(hi) - a)
            if quantiles.count < 16 { quantiles.append((q, r)) }
            return r
        }
    }

    /// Several q-quantiles of the same samples, in the order given. They are selected
    /// nearest-the-median first, so each later search runs only inside the part of the
    /// working copy between two order statistics already settled (p50 splits the samples
    /// in half for p5 and p95).
    public func percentiles(_ qs: [Double]) -> [Double] {
        for q in qs.sorted(by: { abs($0 - 0.5) < abs($1 - 0.5) }) { _ = percentile(q) }
        return qs.map(percentile)
    }

    /// The fraction of samples that are not zero (for a bool distribution, P(true)).
    public var fractionTrue: Double {
        var k = 0
        for i in 0..<count where data[i] != 0 { k += 1 }
        return Double(k) / Double(Swift.max(1, count))
    }

    private func withLock<T>(_ body: () -> T) -> T {
        pthread_mutex_lock(lock)
        defer { pthread_mutex_unlock(lock) }
        return body()
    }

    /// The k-th smallest sample (k in 0..<count), selected in the working copy between
    /// the nearest settled positions around k. Call with the lock held.
    private func orderStatistic(_ k: Int) -> Double {
        if work == nil {
            let w = UnsafeMutablePointer<Double>.allocate(capacity: Swift.max(1, count))
            w.initialize(from: data, count: count)
            work = w
        }
        let w = work!
        // The settled positions are few (a report asks for at most a dozen): a linear search.
        var below = -1, above = count, at = settled.count
        for (i, s) in settled.enumerated() {
            if s == k { return w[k] }
            if s < k { below = s } else { above = s; at = i; break }
        }
        Samples.select(w, k, from: below + 1, to: above)
        settled.insert(k, at: at)
        return w[k]
    }

    /// Rearranges p[lo..<hi] so that p[k] is its (k − lo)-th smallest element, with no
    /// larger one before it and no smaller one after it: Hoare's quickselect with a
    /// median-of-three pivot (Wirth's form; equal elements split evenly, so constant
    /// samples cost O(n)), a linear scan when k is an end of the range, and a sort of the
    /// range if the partitions stop shrinking (a pathological order). Averages O(n).
    static func select(_ p: UnsafeMutablePointer<Double>, _ k: Int, from lo: Int, to hi: Int) {
        var l = lo, r = hi - 1
        var budget = 2 * (Int.bitWidth - (hi - lo).leadingZeroBitCount) + 16
        while r > l {
            if k == l || k == r {
                // The minimum or maximum of the range: one pass.
                var best = k
                if k == l { for i in (l + 1)...r where p[i] < p[best] { best = i } }
                else { for i in l..<r where p[i] > p[best] { best = i } }
                p.swapAt(best, k)
                return
            }
            budget -= 1
            if budget < 0 {
                var b = UnsafeMutableBufferPointer(start: p + l, count: r - l + 1)
                b.sort()
                return
            }
            let m = l + (r - l) / 2
            if p[m] < p[l] { p.swapAt(m, l) }
            if p[r] < p[l] { p.swapAt(r, l) }
            if p[r] < p[m] { p.swapAt(r, m) }
            let pivot = p[m]
            var i = l, j = r
            while i <= j {
                while p[i] < pivot { i += 1 }
                while pivot < p[j] { j -= 1 }
                if i <= j {
                    p.swapAt(i, j)
                    i += 1
                    j -= 1
                }
            }
            if k <= j { r = j } else if k >= i { l = i } else { return }
        }
    }

    /// Counts in `bins` equal-width bins from the smallest to the largest sample (one bin
    /// when every sample is equal). Edges has bins + 1 entries.
    public func histogram(bins: Int = 20) -> (edges: [Double], counts: [Int]) {
        let lo = min, hi = max
        if !(hi > lo) { return ([lo, hi], [count]) }
        let k = Swift.max(1, bins)
        // Halves keep the range finite when the samples span more than a double can hold
        // (-1.7e308 … 1.7e308): `hi - lo` would be infinite and every bin index NaN.
        let halfLo = lo * 0.5, halfRange = hi * 0.5 - lo * 0.5
        let scale = Double(k) / halfRange
        var counts = [Int](repeating: 0, count: k)
        for i in 0..<count {
            let f = ((data[i] * 0.5 - halfLo) * scale).rounded(.down)
            // Clamped before converting: only a finite, in-range position becomes an index.
            let b = f >= Double(k - 1) ? k - 1 : f > 0 ? Int(f) : 0
            counts[b] += 1
        }
        var edges: [Double] = []
        for j in 0...k {
            // A weighted mean of the ends stays between them without overflowing.
            let t = Double(j) / Double(k)
            edges.append(j == k ? hi : j == 0 ? lo : lo * (1 - t) + hi * t)
        }
        return (edges, counts)
    }

    /// Exact equality of every sample.
    func sameSamples(_ o: Samples) -> Bool {
        if o === self { return true }
        if o.count != count || o.isBool != isBool { return false }
        return memcmp(data, o.data, count * 8) == 0
    }
}

private extension UnsafeMutablePointer where Pointee == Double {
    @inline(__always) func swapAt(_ i: Int, _ j: Int) {
        let t = self[i]
        self[i] = self[j]
        self[j] = t
    }
}

/// Work split over threads. Each index is independent, and the split never changes a
/// result (only which thread computes it).
enum Parallel {
    /// The default thread count: the processors online (at most 64).
    static let threads: Int = {
        let n = Int(sysconf(Int32(_SC_NPROCESSORS_ONLN)))
        return Swift.max(1, Swift.min(n, 64))
    }()

    /// Calls `body(lo, hi)` over contiguous ranges covering 0..<n: one range per thread
    /// when n has at least `grain` elements per thread, else one range on this thread.
    static func ranges(_ n: Int, grain: Int = 65_536, threads: Int, _ body: (Int, Int) -> Void) {
        let t = Swift.min(threads, n / Swift.max(1, grain))
        if t <= 1 {
            body(0, n)
            return
        }
        withoutActuallyEscaping(body) { body in
            let box = UncheckedBox(body)
            DispatchQueue.concurrentPerform(iterations: t) { c in
                box.value(n * c / t, n * (c + 1) / t)
            }
        }
    }
}

/// Carries a non-Sendable closure into `concurrentPerform`: its ranges never overlap.
struct UncheckedBox<T>: @unchecked Sendable {
    let value: T
    init(_ v: T) { value = v }
}

/// A summary of an uncertain value, for hosts (SPEC §11, §13).
public struct Distribution: Sendable, Hashable {
    /// Number of samples.
    public var count: Int
    /// Mean, in base units.
    public var mean: Double
    /// Sample standard deviation.
    public var sd: Double
    /// Smallest and largest sample.
    public var min: Double
    /// Largest sample.
    public var max: Double
    /// The 5th, 25th, 50th, 75th and 95th percentiles, keyed by 5, 25, 50, 75, 95.
    public var percentiles: [Int: Double]
    /// A 20-bin histogram from min to max.
    public var histogram: (edges: [Double], counts: [Int]) { samplesRef.histogram() }
    /// Every sample, in base units (sample i is the same simulated world in every value).
    public var samples: [Double] { samplesRef.array }
    let samplesRef: Samples

    init(_ s: Samples) {
        samplesRef = s
        count = s.count
        mean = s.mean
        sd = s.sd
        min = s.min
        max = s.max
        let q = s.percentiles([0.05, 0.25, 0.5, 0.75, 0.95])
        percentiles = [5: q[0], 25: q[1], 50: q[2], 75: q[3], 95: q[4]]
    }

    /// The q-quantile (q in 0…1).
    public func percentile(_ q: Double) -> Double { samplesRef.percentile(q) }

    public static func == (a: Distribution, b: Distribution) -> Bool { a.samplesRef.sameSamples(b.samplesRef) }
    public func hash(into h: inout Hasher) { h.combine(count); h.combine(mean) }
}

extension Samples: Hashable {
    public static func == (a: Samples, b: Samples) -> Bool { a.sameSamples(b) }
    public func hash(into h: inout Hasher) {
        h.combine(count)
        if count > 0 { h.combine(data[0]) }
    }
}
