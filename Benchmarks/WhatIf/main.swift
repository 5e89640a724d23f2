// What-if benchmark (workload 4 of docs/performance.md): loads a generated formula model
// through the StratKit API, then times one full recalculation, 1,000 what-ifs that each
// override one of the last 1,000 formulas, and one what-if on x0 (which reaches most of
// the model). Prints one line of JSON.
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

let args = CommandLine.arguments
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
