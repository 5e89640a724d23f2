#!/usr/bin/env python3
# Copy of ../shared/bench/gen_model.py for checkouts without shared/ beside them;
# Benchmarks/bench.py prefers the shared original when it is there.
"""Write the same formula model as Strat, Lua 5.4 and Python, for side-by-side timing.

    gen_model.py formulas N OUTDIR    N `let` formulas, each reading three earlier ones
    gen_model.py projection N OUTDIR  one projection (a recurrence) over N periods

Each run writes OUTDIR/<kind><N>.strat, .lua and .py; each program prints one number, and
OUTDIR/<kind><N>.expected holds that number as Python computes it. The same seed always
gives the same files.
"""
import os
import random
import sys


def formulas(n):
    rnd = random.Random(7)
    strat, lua, py = [], [], []
    for i in range(n):
        if i < 10:
            v = round(rnd.uniform(1, 100), 2)
            strat.append(f"let x{i} = {v}")
            lua.append(f"x{i} = {v}")
            py.append(f"x{i} = {v}")
            continue
        a, b, c = (rnd.randrange(max(0, i - 50), i) for _ in range(3))
        strat.append(f"let x{i} = x{a} * 0.5 + x{b} / 3 - min(x{c}, 2)")
        lua.append(f"x{i} = x{a} * 0.5 + x{b} / 3 - math.min(x{c}, 2)")
        py.append(f"x{i} = x{a} * 0.5 + x{b} / 3 - min(x{c}, 2)")
    last = f"x{n - 1}"
    strat.append(f"print {last}")
    lua.append(f"print(string.format('%.17g', {last}))")
    py.append(f"print(repr({last}))")
    return strat, lua, py


def projection(n):
    strat = [
        "let churn = 0.75%",
        "let adds = 2.5M",
        f"projection members over {n} days {{",
        "  start: 262M",
        "  next: value * (1 - churn) + adds / (1 + t / 1000)",
        "}",
        "print members.final",
    ]
    lua = [
        "local churn, adds, value = 0.0075, 2.5e6, 262e6",
        f"for t = 1, {n} do value = value * (1 - churn) + adds / (1 + t / 1000) end",
        "print(string.format('%.17g', value))",
    ]
    py = [
        "churn, adds, value = 0.0075, 2.5e6, 262e6",
        f"for t in range(1, {n} + 1):",
        "    value = value * (1 - churn) + adds / (1 + t / 1000)",
        "print(repr(value))",
    ]
    return strat, lua, py


def main():
    if len(sys.argv) != 4 or sys.argv[1] not in ("formulas", "projection"):
        sys.exit(__doc__)
    kind, n, out = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    os.makedirs(out, exist_ok=True)
    strat, lua, py = (formulas if kind == "formulas" else projection)(n)
    base = os.path.join(out, f"{kind}{n}")
    for ext, lines in (("strat", strat), ("lua", lua), ("py", py)):
        with open(f"{base}.{ext}", "w") as f:
            f.write("\n".join(lines) + "\n")
    scope = {}
    exec("\n".join(py[:-1]), scope)
    value = scope["x%d" % (n - 1)] if kind == "formulas" else scope["value"]
    with open(f"{base}.expected", "w") as f:
        f.write(repr(value) + "\n")


if __name__ == "__main__":
    main()
