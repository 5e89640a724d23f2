#!/usr/bin/env python3
"""Statistical checks of Strat's distributions against scipy (SPEC §13).

Every constructor is drawn with 1,000,000 samples through `strat samples --format json`
and compared with its closed form: the Kolmogorov–Smirnov statistic must stay below
the 99.9% critical value (1.95 / sqrt(n)), and named quantiles (the p5 and p95 of
`a to b`) must be within a few standard errors. Mixture weights are checked by the
share of each point mass. Exits non-zero on the first failure.

Usage: stats_test.py STRAT_BINARY
"""
import json
import math
import os
import subprocess
import sys
import tempfile

import numpy as np
from scipy import stats

N = 1_000_000
KS_LIMIT = 1.95 / math.sqrt(N)   # 99.9% critical value of the one-sample KS statistic

CASES = [
    # (expression, scipy frozen distribution)
    ("3 to 5", stats.lognorm(s=(math.log(5) - math.log(3)) / (2 * 1.6448536269514722),
                             scale=math.exp((math.log(3) + math.log(5)) / 2))),
    ("-2 to 6", stats.norm(loc=2, scale=8 / (2 * 1.6448536269514722))),
    ("normal(10, 2)", stats.norm(loc=10, scale=2)),
    ("uniform(1, 4)", stats.uniform(loc=1, scale=3)),
    ("triangular(0, 1, 4)", stats.triang(c=0.25, loc=0, scale=4)),
    ("pert(0, 1, 4)", stats.beta(1 + 4 * 1 / 4, 1 + 4 * 3 / 4, loc=0, scale=4)),
    ("beta(2, 5)", stats.beta(2, 5)),
    ("beta(0.5, 0.5)", stats.beta(0.5, 0.5)),
    ("$1M to $3M", stats.lognorm(s=(math.log(3e6) - math.log(1e6)) / (2 * 1.6448536269514722),
                                 scale=math.exp((math.log(1e6) + math.log(3e6)) / 2))),
]


def samples(strat, model, exprs, n=N):
    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "m.strat")
        with open(path, "w") as f:
            f.write(model)
        args = [strat, "samples", path, "--samples", str(n), "--seed", "11", "--format", "json"]
        for e in exprs:
            args += ["-e", e]
        out = subprocess.run(args, check=True, capture_output=True, text=True).stdout
        return {k: np.array(v, dtype=float) for k, v in json.loads(out).items()}


def main():
    strat = sys.argv[1]
    failures = 0
    got = samples(strat, "let unused = 1\n", [e for e, _ in CASES])
    for expr, dist in CASES:
        x = got[expr]
        ks = stats.kstest(x, dist.cdf).statistic
        ok = ks < KS_LIMIT
        print(f"{'ok  ' if ok else 'FAIL'} {expr:22} KS {ks:.5f} (limit {KS_LIMIT:.5f}) mean {x.mean():.6g} vs {dist.mean():.6g}")
        failures += not ok
    # `a to b` is a 90% interval: its p5 and p95 are a and b within sampling error.
    for expr, lo, hi in [("3 to 5", 3, 5), ("-2 to 6", -2, 6), ("$1M to $3M", 1e6, 3e6)]:
        x = got[expr]
        for q, want in [(0.05, lo), (0.95, hi)]:
            se = math.sqrt(q * (1 - q) / N) / (CASES[[e for e, _ in CASES].index(expr)][1].pdf(want))
            have = np.quantile(x, q)
            ok = abs(have - want) < 5 * se
            print(f"{'ok  ' if ok else 'FAIL'} {expr:22} p{round(q * 100)} {have:.6g} vs {want} (5 se = {5 * se:.3g})")
            failures += not ok
    # Bernoulli and mixture weights: shares within 5 standard errors.
    mix = samples(strat, "let p_c = 0.8 * 0.5\nlet m = mixture([0, 1, 1 to 3, 2 to 10], [1 - p_c, p_c / 2, p_c / 4, p_c / 4])\n"
                  "let c = bernoulli(30%)\n", ["m", "c"])
    m, c = mix["m"], mix["c"]
    for name, share, want in [("mixture point mass 0", np.mean(m == 0), 0.6), ("mixture point mass 1", np.mean(m == 1), 0.2),
                              ("mixture 1 to 3 share", np.mean((m != 0) & (m != 1) & (m < 4) & (m > 0.2)), None),
                              ("bernoulli(30%)", np.mean(c), 0.3)]:
        if want is None:
            continue
        se = math.sqrt(want * (1 - want) / N)
        ok = abs(share - want) < 5 * se
        print(f"{'ok  ' if ok else 'FAIL'} {name:22} {share:.5f} vs {want}")
        failures += not ok
    # The time-to-botec model's mean (0.6·0 + 0.2·1 + 0.1·E[1 to 3] + 0.1·E[2 to 10]).
    def lnmean(a, b):
        mu, s = (math.log(a) + math.log(b)) / 2, (math.log(b) - math.log(a)) / (2 * 1.6448536269514722)
        return math.exp(mu + s * s / 2)
    want = 0.2 + 0.1 * lnmean(1, 3) + 0.1 * lnmean(2, 10)
    se = m.std() / math.sqrt(N)
    ok = abs(m.mean() - want) < 5 * se
    print(f"{'ok  ' if ok else 'FAIL'} {'time-to-botec mean':22} {m.mean():.5f} vs {want:.5f}")
    failures += not ok
    # Mixture components: the non-point part follows the components' mixture.
    cont = m[(m != 0) & (m != 1)]
    mixcdf = lambda x: 0.5 * stats.lognorm(s=(math.log(3)) / (2 * 1.6448536269514722), scale=math.sqrt(3)).cdf(x) + \
        0.5 * stats.lognorm(s=(math.log(5)) / (2 * 1.6448536269514722), scale=math.sqrt(20)).cdf(x)
    ks = stats.kstest(cont, mixcdf).statistic
    limit = 1.95 / math.sqrt(len(cont))
    ok = ks < limit
    print(f"{'ok  ' if ok else 'FAIL'} {'mixture components':22} KS {ks:.5f} (limit {limit:.5f})")
    failures += not ok
    if failures:
        print(f"{failures} statistical check(s) failed")
        sys.exit(1)
    print("all statistical checks passed")


if __name__ == "__main__":
    main()
