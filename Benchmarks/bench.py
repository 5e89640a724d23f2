#!/usr/bin/env python3
"""Side-by-side benchmarks: Strat against Lua 5.4 and LuaJIT (and Python for reference).

    Benchmarks/bench.py [--smoke] [--runs N] [--strat PATH] [--whatif PATH]

Generates the models with ../shared/bench/gen_model.py (the same model as Strat, Lua and
Python), times whole processes alternating Strat, Lua 5.4 and LuaJIT, reports medians and
the ratios Strat/Lua and Strat/LuaJIT, and checks that every program printed the expected
value. Strat runs both as `strat run` (with its report, what a user runs) and as
`strat run --no-report`. --smoke uses small
sizes and one run: it checks that the harness works, not how fast anything is.
"""
import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
GEN = None
for cand in (os.path.join(ROOT, "..", "shared", "bench", "gen_model.py"),
             os.path.join(ROOT, "Benchmarks", "gen_model.py")):
    if os.path.exists(cand):
        GEN = cand
        break

SUFFIX = {"K": 1e3, "M": 1e6, "B": 1e9, "T": 1e12}


def parse_number(text, first=False):
    """A number as Strat displays it (`333.0443677K`, `-0.9482960066`) or Lua prints it:
    the last line of the output, or with `first` the first (`strat run` prints, then its report)."""
    lines = text.strip().splitlines()
    t = (lines[0] if first else lines[-1]).strip().lstrip("$")
    m = re.fullmatch(r"(-?[0-9.eE+-]+)([KMBT]?)", t)
    if not m:
        raise ValueError(f"not a number: {text!r}")
    return float(m.group(1)) * SUFFIX.get(m.group(2), 1)


def run_timed(cmd):
    start = time.perf_counter()
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    elapsed = time.perf_counter() - start
    if p.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} exited {p.returncode}: {p.stderr.strip()[:500]}")
    return elapsed, p.stdout


def peak_kb(cmd):
    tbin = shutil.which("time") or "/usr/bin/time"
    if not os.path.exists(tbin):
        return None
    p = subprocess.run([tbin, "-f", "%M"] + cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        return int(p.stderr.strip().splitlines()[-1])
    except (ValueError, IndexError):
        return None


def check(name, output, expected, rel=1e-9):
    got = parse_number(output, first=True)
    if abs(got - expected) > rel * max(1.0, abs(expected)):
        raise SystemExit(f"{name}: printed {got!r}, expected {expected!r}")


def compare(label, cmds, py_cmd, expected, runs):
    """Runs each of `cmds` (name → command) in turn, `runs` times, so that drift hits them
    alike; Python (slow, for reference) once. Returns the median seconds by name."""
    times = {k: [] for k in cmds}
    times["python"] = []
    for _ in range(runs):
        for name, cmd in cmds.items():
            t, out = run_timed(cmd)
            if expected is not None:
                check(f"{label} {name}", out, expected)
            times[name].append(t)
    if py_cmd:
        t, out = run_timed(py_cmd)
        if expected is not None:
            check(f"{label} python", out, expected)
        times["python"].append(t)
    return {k: statistics.median(v) for k, v in times.items() if v}


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--smoke", action="store_true")
    ap.add_argument("--runs", type=int, default=7)
    ap.add_argument("--strat", default=os.path.join(ROOT, ".build", "release", "strat"))
    ap.add_argument("--whatif", default=os.path.join(ROOT, ".build", "release", "strat-bench-whatif"))
    ap.add_argument("--goalseek", default=os.path.join(ROOT, ".build", "release", "strat-bench-goalseek"))
    ap.add_argument("--out", default=os.path.join(ROOT, ".bench"))
    ap.add_argument("--json", help="also write the results to this file")
    ap.add_argument("--python", help="Python with numpy for the Monte Carlo benchmark")
    ap.add_argument("--squiggle-python", help="Python with squigglepy (make bench's .venv-bench/) for the Monte Carlo benchmark")
    args = ap.parse_args()
    if GEN is None:
        sys.exit("gen_model.py not found (expected ../shared/bench/gen_model.py)")
    lua = shutil.which("lua5.4")
    if lua is None:
        sys.exit("lua5.4 not found: make bench installs it (apt-get install lua5.4)")
    luajit = shutil.which("luajit")
    if luajit is None:
        print("(luajit not found: make bench installs it (apt-get install luajit); its column is left empty)")
    runs = 1 if args.smoke else max(5, args.runs)
    nf, np_ = (2000, 10000) if args.smoke else (100000, 1000000)
    os.makedirs(args.out, exist_ok=True)
    subprocess.run([sys.executable, GEN, "formulas", str(nf), args.out], check=True)
    subprocess.run([sys.executable, GEN, "projection", str(np_), args.out], check=True)
    results = {}
    rows = []

    def model(kind, n, ext):
        return os.path.join(args.out, f"{kind}{n}.{ext}")

    def expected(kind, n):
        return float(open(model(kind, n, "expected")).read())

    def jit_model(kind, n):
        """The Lua program for LuaJIT: the same statements, but LuaJIT refuses a function
        with more than 65,536 constants, which the 100,000-line main chunk has (every global
        name is one). Runs of 5,000 lines go into functions called at once; globals stay
        globals, so the program computes the same thing."""
        lines = open(model(kind, n, "lua")).read().splitlines()
        if len(lines) < 5000:
            return model(kind, n, "lua")
        body, last = lines[:-1], lines[-1]
        out = []
        for k in range(0, len(body), 5000):
            out += ["(function()"] + body[k:k + 5000] + ["end)();"]
        path = os.path.join(args.out, f"{kind}{n}.jit.lua")
        with open(path, "w") as f:
            f.write("\n".join(out + [last]) + "\n")
        return path

    def peers(cmd_lua, cmd_jit):
        return {"lua": [lua] + cmd_lua, **({"luajit": [luajit] + cmd_jit} if luajit else {})}

    for kind, n in (("formulas", nf), ("projection", np_)):
        # `strat run` (with its report) and `--no-report` alternate with Lua 5.4 and LuaJIT.
        med = compare(kind, {"strat": [args.strat, "run", model(kind, n, "strat")],
                             "strat_noreport": [args.strat, "run", "--no-report", model(kind, n, "strat")],
                             **peers([model(kind, n, "lua")], [jit_model(kind, n)])},
                      [sys.executable, model(kind, n, "py")], expected(kind, n), runs)
        results[f"{kind}{n}"] = med
        rows.append((f"{kind} {n} (run)", med["strat"], med))
        rows.append((f"{kind} {n} (--no-report)", med["strat_noreport"], med))
    med = compare("startup", {"strat": [args.strat, "eval", "-e", "1+1"], **peers(["-e", "print(1+1)"], ["-e", "print(1+1)"])},
                  [sys.executable, "-c", "print(1+1)"], 2.0, runs * 3)
    results["startup"] = med
    rows.append(("start-up (1+1)", med["strat"], med))

    formulas = model("formulas", nf, "strat")
    mem_s = peak_kb([args.strat, "run", formulas])
    mem_l = peak_kb([lua, model("formulas", nf, "lua")])
    mem_j = peak_kb([luajit, jit_model("formulas", nf)]) if luajit else None
    results["peak_kb"] = {"strat": mem_s, "lua": mem_l, "luajit": mem_j}

    def ms(x):
        return f"{x * 1000:9.1f}ms" if x else f"{'—':>11}"

    def ratio(a, b):
        return f"{a / b:7.2f}" if a and b else f"{'—':>7}"

    print(f"\n{'workload':<30}{'strat':>11}{'lua 5.4':>11}{'/lua':>7}{'luajit':>11}{'/jit':>7}{'python':>11}")
    for name, s, med in rows:
        l, j, p = med.get("lua"), med.get("luajit"), med.get("python")
        print(f"{name:<30}{ms(s)}{ms(l)}{ratio(s, l)}{ms(j)}{ratio(s, j)}{ms(p)}")
    if mem_s and mem_l:
        jm = f"{mem_j / 1024:9.1f}MB" if mem_j else f"{'—':>11}"
        print(f"{'peak memory (formulas, run)':<30}{mem_s / 1024:9.1f}MB{mem_l / 1024:9.1f}MB{mem_s / mem_l:7.2f}{jm}{ratio(mem_s, mem_j)}")

    if os.path.exists(args.whatif):
        p = subprocess.run([args.whatif, model("formulas", nf, "strat"), str(nf), str(1 if args.smoke else 5)],
                           stdout=subprocess.PIPE, text=True, check=True)
        w = json.loads(p.stdout)
        results["whatif"] = w
        print("\nwhat-if through the API (formulas model):")
        print(f"  load (parse + evaluate)      {w['load_s'] * 1000:9.1f}ms")
        print(f"  full recalculation           {w['full_s'] * 1000:9.1f}ms  ({w['full_cells']} cells)")
        print(f"  1,000 what-ifs on last 1,000 {w['small_1000_s'] * 1000:9.1f}ms  ({w['small_cells']} cells recomputed)")
        print(f"  1 what-if on x0              {w['root_s'] * 1000:9.1f}ms  ({w['root_cells']} cells recomputed)")
        print(f"  ratios vs recalculation: small {w['small_over_full']:.2f}, x0 {w['root_over_full']:.2f}; "
              f"vs load: small {w['small_1000_s'] / w['load_s']:.2f}, x0 {w['root_s'] / w['load_s']:.2f}")
        host_loop(args, results)
    else:
        print(f"\n(what-if benchmark skipped: {args.whatif} not built)")
    goal_seek(args, results, runs)
    monte_carlo(args, results, runs)
    piped_repl(args, results, runs)
    # Workload 6: the language server (Benchmarks/lsp_bench.py).
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    import lsp_bench
    results["lsp"] = lsp_bench.run(args.strat, 200 if args.smoke else 10000)
    lsp_bench.report(results["lsp"])
    if args.json:
        with open(args.json, "w") as f:
            json.dump(results, f, indent=2)
    if args.smoke:
        print("\nbench-smoke: every program printed the expected value")


def host_loop(args, results):
    """An embedding host's loop (issue 14): 10 blocks of 10,000 evaluate calls and 100
    what-ifs on a tiny model; the last block within 1.2x of the first, memory flat."""
    blocks, per = (3, 1000) if args.smoke else (10, 10000)
    p = subprocess.run([args.whatif, "--host", str(blocks), str(per)], stdout=subprocess.PIPE, text=True, check=True)
    h = json.loads(p.stdout)
    results["host_loop"] = h
    print(f"\nhost loop: {h['calls']} calls in blocks of {per + per // 100}:")
    print(f"  first block {h['block_s'][0] * 1000:.1f}ms, last {h['block_s'][-1] * 1000:.1f}ms "
          f"(last/first {h['last_over_first']:.2f}); resident memory +{h['rss_growth'] / 1024:.0f} KB "
          f"from the first block to the last; one evaluate {h['evaluate_ns'] / 1000:.2f} us")
    if not args.smoke and (h["last_over_first"] > 1.2 or h["rss_growth"] > 1 << 20):
        print("  host loop: NOT flat (target: last block within 1.2x of the first, growth <= 1 MB)")


NETFLIX = os.path.join(ROOT, "examples", "netflix-engineering.strat")
# The goal seek asked of the Netflix model: the churn at which end-of-year members reach 270M.
SOLVE = ("churn", "projected_eoy_members", "270M")


def goal_seek(args, results, runs):
    """Sensitivity of plan.score over every input of the Netflix model and one solve on it,
    timed after the load through the API (median of many runs), plus whole `strat` processes."""
    if not os.path.exists(args.goalseek):
        print(f"\n(goal-seek benchmark skipped: {args.goalseek} not built)")
        return
    n = 1 if args.smoke else 51
    p = subprocess.run([args.goalseek, NETFLIX, "plan.score", *SOLVE, str(n)],
                       stdout=subprocess.PIPE, text=True, check=True)
    g = json.loads(p.stdout)
    # Closed form check of the answer against the CLI's own (JSON) answer.
    cli = subprocess.run([args.strat, "solve", NETFLIX, SOLVE[0], "--for", f"{SOLVE[1]} = {SOLVE[2]}", "--format", "json"],
                         stdout=subprocess.PIPE, text=True, check=True)
    if abs(json.loads(cli.stdout)["value"]["value"] - g["solve_answer"]) > 1e-12:
        raise SystemExit("goal-seek benchmark: the API and the CLI disagree")
    procs = {}
    for name, cmd in (("load only", [args.strat, "eval", NETFLIX, "-e", "1"]),
                      ("sensitivity", [args.strat, "sensitivity", NETFLIX, "plan.score"]),
                      ("solve", [args.strat, "solve", NETFLIX, SOLVE[0], "--for", f"{SOLVE[1]} = {SOLVE[2]}"])):
        procs[name] = statistics.median(run_timed(cmd)[0] for _ in range(runs))
    g["process_s"] = procs
    results["goalseek"] = g
    print(f"\ngoal seek and sensitivity (examples/netflix-engineering.strat, {g['cells']} cells):")
    print(f"  load (parse + evaluate)           {g['load_s'] * 1000:9.2f}ms")
    print(f"  sensitivity of plan.score         {g['sensitivity_s'] * 1000:9.2f}ms  "
          f"({g['sensitivity_inputs']} inputs, {g['sensitivity_cells']} cells recomputed)")
    print(f"  solve {SOLVE[0]} for {SOLVE[1]} = {SOLVE[2]}  {g['solve_s'] * 1000:6.2f}ms  "
          f"({g['solve_evaluations']} evaluations, {g['solve_cells']} cells recomputed)")
    print("  whole processes: " + ", ".join(f"{k} {v * 1000:.1f}ms" for k, v in procs.items()))



MC = os.path.join(ROOT, "Benchmarks", "MonteCarlo")


def monte_carlo(args, results, runs):
    """time-to-botec's model (1,000,000 samples of a mixture, mean ≈ 0.887) in Strat on
    both cores and on one (STRAT_THREADS=1), a single-threaded C program (-O3, splitmix64
    and Box–Muller), numpy-vectorized Python and squigglepy: whole processes, alternating,
    medians. Then the uncertain Netflix model at 10,000 samples against its plain run."""
    cc = shutil.which("cc") or shutil.which("gcc") or shutil.which("clang")
    exe = os.path.join(args.out, "botec-c")
    if cc is None:
        print("\n(Monte Carlo benchmark skipped: no C compiler)")
        return
    subprocess.run([cc, "-O3", "-o", exe, os.path.join(MC, "botec.c"), "-lm"], check=True)
    model = os.path.join(MC, "botec.strat")
    n = "20000" if args.smoke else "1000000"
    strat = [args.strat, "eval", model, "-e", "mean(result)", "--samples", n]
    programs = [("strat (2 threads)", strat, {"STRAT_THREADS": "2"}),
                ("strat (1 thread)", strat, {"STRAT_THREADS": "1"}),
                ("C -O3 (1 thread)", [exe], {})]
    # squigglepy lives in its own venv (its pins differ from the test venv's).
    for name, script, py in (("numpy", "botec_numpy.py", args.python or sys.executable),
                             ("squigglepy", "botec_squiggle.py", args.squiggle_python or args.python or sys.executable)):
        mod = "numpy" if name == "numpy" else "squigglepy"
        if subprocess.run([py, "-c", f"import {mod}"], capture_output=True).returncode == 0:
            programs.append((name, [py, os.path.join(MC, script)], {}))
        else:
            print(f"(Monte Carlo: {name} not installed for {py}; skipped)")
    times = {name: [] for name, _, _ in programs}
    for _ in range(runs):
        for name, cmd, env in programs:
            start = time.perf_counter()
            p = subprocess.run(cmd, capture_output=True, text=True, env={**os.environ, **env})
            elapsed = time.perf_counter() - start
            if p.returncode != 0:
                raise SystemExit(f"{name} exited {p.returncode}: {p.stderr[:300]}")
            mean = parse_number(p.stdout)
            if abs(mean - 0.887) > (0.05 if args.smoke else 0.01):
                raise SystemExit(f"{name}: mean {mean}, expected about 0.887")
            times[name].append(elapsed)
    med = {k: statistics.median(v) for k, v in times.items()}
    c = med["C -O3 (1 thread)"]
    print(f"\nMonte Carlo: time-to-botec's model, {n} samples (whole processes, median of {runs}):")
    for name, t in med.items():
        print(f"  {name:<20}{t * 1000:9.1f}ms  {t / c:6.2f}x the C")
    # The Netflix model as shipped (forecast ranges on churn, the ad-tier mix and cloud
    # savings, 10,000 samples) against its deterministic run: each range set back to
    # the point estimate it is centred on.
    plain = ["--set", "future_churn=churn", "--set", "future_ad_mix=ad_mix",
             "--set", "future_cloud_efficiency=cloud_efficiency"]
    netflix = {"uncertain (10,000 samples)": [args.strat, "run", NETFLIX, "--samples", "10000"],
               "plain": [args.strat, "run", NETFLIX] + plain}
    nt = {k: [] for k in netflix}
    for _ in range(runs):
        for k, cmd in netflix.items():
            start = time.perf_counter()
            p = subprocess.run(cmd, capture_output=True, text=True)
            nt[k].append(time.perf_counter() - start)
            if p.returncode != 0 or p.stderr:
                raise SystemExit(f"netflix {k} exited {p.returncode}: {p.stderr[:300]}")
    nm = {k: statistics.median(v) for k, v in nt.items()}
    ratio = nm["uncertain (10,000 samples)"] / nm["plain"]
    print(f"  netflix run: uncertain {nm['uncertain (10,000 samples)'] * 1000:.1f}ms, plain {nm['plain'] * 1000:.1f}ms, ratio {ratio:.2f}")
    results["monte_carlo"] = {"samples": int(n), "median_s": med, "netflix_s": nm, "netflix_ratio": ratio}


def piped_repl(args, results, runs):
    """A long piped REPL session: N chained lets, each followed by an expression reading it.
    Each new let joins the model without re-resolving it, so the time grows with N, not N²."""
    n = 500 if args.smoke else 10000
    text = "let x0 = 1\n" + "".join(f"let x{i} = x{i - 1} + 1\nx{i} * 2\n" for i in range(1, n))
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        p = subprocess.run([args.strat, "repl"], input=text, capture_output=True, text=True)
        times.append(time.perf_counter() - start)
        last = p.stdout.strip().split("\n")[-1]
        if p.returncode != 0 or last != str(2 * n):
            raise SystemExit(f"piped repl: exit {p.returncode}, last line {last!r}, expected {2 * n}: {p.stderr[:300]}")
    med = statistics.median(times)
    print(f"\npiped REPL, {n:,} lets and {n - 1:,} expressions: {med * 1000:.1f}ms")
    results["piped_repl"] = {"lets": n, "median_s": med}


if __name__ == "__main__":
    main()
