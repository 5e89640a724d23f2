// What-if benchmark (workload 4 of docs/performance.md): loads a generated formula model
// through the StratKit API, then times one full recalculation, 1,000 what-ifs that each
// override one of the last 1,000 formulas, and one what-if on x0 (which reaches most of
// the model). Prints one line of JSON. `--host [BLOCKS] [N]`: the embedding host loop of
// issue 14 instead (N evaluate calls and N/100 what-ifs per block on a tiny model).
import StratKit
#if canImport(Glibc)
import Glibc
#endif

func now() -> Double {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
}

func median(_ xs: [Double]) -> Double {
    let s = xs.sorted()
    return s.count % 2 == 1 ? s[s.count / 2] : (s[s.count / 2 - 1] + s[s.count / 2]) / 2
}

/// Resident memory of this process in bytes (Linux: /proc/self/statm).
func residentBytes() -> Int {
    guard let b = readFileBytes("/proc/self/statm") else { return 0 }
    let fields = String(decoding: b, as: UTF8.self).split(separator: " ")
    return fields.count > 1 ? (Int(fields[1]) ?? 0) * Int(sysconf(Int32(_SC_PAGESIZE))) : 0
}

/// One block of the host loop; a function of its own so that callgrind can count each
/// block (`--dump-after='*hostBlock*'`).
@inline(never) func hostBlock(_ engine: Engine, _ perBlock: Int) -> Double {
    var sink = 0.0
    for i in 0..<perBlock { sink += try! engine.evaluate(i & 1 == 0 ? "revenue * 2" : "kept - price").doubleValue ?? 0 }
    for i in 0..<(perBlock / 100) { sink += Double(try! engine.whatIf([(path: "units", expr: i & 1 == 0 ? "1_200" : "units * 2")]).count) }
    return sink
}

/// Issue 14's host loop: a tiny model, blocks of 10,000 `evaluate` calls and 100 what-ifs;
/// each block's time and the resident memory after it (flat cost, flat memory), and the
/// cost of one `evaluate` of a short expression.
func hostLoop(blocks: Int, perBlock: Int) -> Never {
    var config = Configuration()
    config.useDefaultImporter = false
    let engine = Engine(configuration: config)
    try! engine.load(source: """
        let price = $40
        let units = 1_000
        let churn = 3.8%
        let revenue = price * units
        let kept = revenue * (1 - churn)
        """, runStatements: false)
    var times: [Double] = [], rss: [Int] = []
    var sink = 0.0
    for _ in 0..<blocks {
        let t = now()
        sink += hostBlock(engine, perBlock)
        times.append(now() - t)
        rss.append(residentBytes())
    }
    var single: [Double] = []
    for _ in 0..<21 {
        let t = now()
        for _ in 0..<1000 { sink += try! engine.evaluate("price * units").doubleValue ?? 0 }
        single.append((now() - t) / 1000)
    }
    let calls = blocks * (perBlock + perBlock / 100)
    print("""
    {"calls": \(calls), "block_s": [\(times.map { String($0) }.joined(separator: ", "))], \
    "last_over_first": \(times.last! / times.first!), "rss_first_block": \(rss.first!), "rss_last_block": \(rss.last!), \
    "rss_growth": \(rss.last! - rss.first!), "evaluate_ns": \(median(single) * 1e9), "checksum": \(sink)}
    """)
    exit(0)
}

/// `--profile MODEL K`: for callgrind (`--toggle-collect='*recalcs*'` or `'*rootWhatIfs*'`):
/// K recalculations and K what-ifs on x0, after a warm-up that compiles the formulas.
@inline(never) func recalcs(_ e: Engine, _ k: Int) { for _ in 0..<k { e.recalculate() } }
@inline(never) func rootWhatIfs(_ e: Engine, _ k: Int) -> Int {
    var n = 0
    for _ in 0..<k { n += try! e.whatIf([(path: "x0", expr: "42")]).count }
    return n
}

let args = CommandLine.arguments
if args.count >= 3, args[1] == "--profile", let bytes = readFileBytes(args[2]) {
    let e = Engine(configuration: { var c = Configuration(); c.useDefaultImporter = false; return c }())
    try! e.load(bytes: bytes, path: args[2], runStatements: false)
    let k = args.count > 3 ? Int(args[3]) ?? 3 : 3
    e.recalculate()
    e.recalculate()
    _ = try! e.whatIf([(path: "x0", expr: "42")])  // builds the reverse edges, outside the toggles
    var c0 = e.cellsComputed
    recalcs(e, k)
    let recalcCells = e.cellsComputed - c0
    c0 = e.cellsComputed
    let changed = rootWhatIfs(e, k)
    print("{\"recalc_cells\": \(recalcCells), \"root_cells\": \(e.cellsComputed - c0), \"root_changed\": \(changed)}")
    exit(0)
}
if args.count >= 2, args[1] == "--host" {
    hostLoop(blocks: args.count > 2 ? Int(args[2]) ?? 10 : 10, perBlock: args.count > 3 ? Int(args[3]) ?? 10_000 : 10_000)
}
guard args.count >= 2, let bytes = readFileBytes(args[1]) else {
    print("usage: strat-bench-whatif MODEL.strat [N] [RUNS]")
    exit(64)
}
let n = args.count > 2 ? Int(args[2]) ?? 100_000 : 100_000
let runs = args.count > 3 ? Int(args[3]) ?? 5 : 5
var config = Configuration()
config.useDefaultImporter = false
let engine = Engine(configuration: config)
let t0 = now()
do { try engine.load(bytes: bytes, path: args[1], runStatements: false) } catch {
    print("load failed: \(error)")
    exit(65)
}
let loadTime = now() - t0

var full: [Double] = [], small: [Double] = [], root: [Double] = []
var smallChanged = 0, rootChanged = 0, smallComputed = 0, rootComputed = 0, fullComputed = 0
let count = min(1000, n)
for _ in 0..<runs {
    var c0 = engine.cellsComputed
    var t = now()
    engine.recalculate()
    full.append(now() - t)
    fullComputed = engine.cellsComputed - c0

    c0 = engine.cellsComputed
    t = now()
    var changed = 0
    for i in (n - count)..<n {
        changed += try! engine.whatIf([(path: "x\(i)", expr: "42")]).count
    }
    small.append(now() - t)
    smallChanged = changed
    smallComputed = engine.cellsComputed - c0

    c0 = engine.cellsComputed
    t = now()
    rootChanged = try! engine.whatIf([(path: "x0", expr: "42")]).count
    root.append(now() - t)
    rootComputed = engine.cellsComputed - c0
}
let f = median(full), s = median(small), r = median(root)
print("""
{"load_s": \(loadTime), "full_s": \(f), "full_cells": \(fullComputed), "small_1000_s": \(s), "small_cells": \(smallComputed), \
"small_changed": \(smallChanged), "root_s": \(r), "root_cells": \(rootComputed), "root_changed": \(rootChanged), \
"small_over_full": \(s / f), "root_over_full": \(r / f)}
""")
