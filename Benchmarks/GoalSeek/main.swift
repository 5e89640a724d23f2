// Goal seek and sensitivity benchmark (docs/performance.md): loads a model through the
// StratKit API, then times a sensitivity analysis of TARGET over every input and a goal
// seek, each RUNS times after the load (median). Prints one line of JSON.
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
guard args.count >= 6, let bytes = readFileBytes(args[1]) else {
    print("usage: strat-bench-goalseek MODEL.strat TARGET INPUT EXPR VALUE [RUNS]")
    exit(64)
}
let (target, input, expr, value) = (args[2], args[3], args[4], args[5])
let runs = args.count > 6 ? Int(args[6]) ?? 21 : 21
let engine = Engine()   // the default importer reads files beside the model
let t0 = now()
do { try engine.load(bytes: bytes, path: args[1], runStatements: false) } catch {
    print("load failed: \(error)")
    exit(65)
}
let loadTime = now() - t0

var sens: [Double] = [], solve: [Double] = []
var inputs = 0, sensCells = 0, solveCells = 0, evaluations = 0
var answer = 0.0
for _ in 0..<runs {
    var c0 = engine.cellsComputed
    var t = now()
    let s = try! engine.sensitivity(of: target)
    sens.append(now() - t)
    inputs = s.inputCount
    sensCells = engine.cellsComputed - c0

    c0 = engine.cellsComputed
    t = now()
    let r = try! engine.solve(input, for: expr, equals: value)
    solve.append(now() - t)
    solveCells = engine.cellsComputed - c0
    evaluations = r.evaluations
    answer = r.value.doubleValue ?? .nan
}
print("""
{"load_s": \(loadTime), "cells": \(engine.cellCount), "sensitivity_s": \(median(sens)), "sensitivity_inputs": \(inputs), \
"sensitivity_cells": \(sensCells), "solve_s": \(median(solve)), "solve_evaluations": \(evaluations), \
"solve_cells": \(solveCells), "solve_answer": \(answer)}
""")
