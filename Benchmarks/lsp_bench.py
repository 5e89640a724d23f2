"""Workload 6 of the benchmarks: the language server's latency and memory.

Speaks LSP over pipes to `strat lsp`: opens examples/netflix-engineering.strat, then
makes N single-edit `didChange`s (a digit of `let members = 262M`), each waiting for the
`publishDiagnostics` of its version, and reports the median and 95th percentile of the
time from sending the change to receiving the diagnostics, and the server's resident
memory after 1,000 edits and after all of them. A last burst of 100 changes sent without
waiting measures coalescing: how many publishes the burst cost, and that the last one
carries the last version.

    python3 Benchmarks/lsp_bench.py [--strat PATH] [--edits N]
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MODEL = os.path.join(ROOT, "examples", "netflix-engineering.strat")


class Client:
    def __init__(self, strat):
        self.p = subprocess.Popen([strat, "lsp"], stdin=subprocess.PIPE, stdout=subprocess.PIPE)
        self.buf = b""

    def send(self, msg):
        body = json.dumps(msg).encode()
        self.p.stdin.write(b"Content-Length: %d\r\n\r\n" % len(body) + body)
        self.p.stdin.flush()

    def recv(self):
        while True:
            head, sep, rest = self.buf.partition(b"\r\n\r\n")
            if sep:
                n = int(head.split(b":")[1])
                if len(rest) >= n:
                    self.buf = rest[n:]
                    return json.loads(rest[:n])
            chunk = os.read(self.p.stdout.fileno(), 1 << 16)
            if not chunk:
                raise RuntimeError("the server closed its output")
            self.buf += chunk

    def wait_publish(self, version):
        while True:
            m = self.recv()
            if m.get("method") == "textDocument/publishDiagnostics" and m["params"].get("version") == version:
                return m

    def rss_kb(self):
        with open(f"/proc/{self.p.pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
        return 0

    def close(self):
        self.send({"jsonrpc": "2.0", "id": 99, "method": "shutdown"})
        while self.recv().get("id") != 99:
            pass
        self.send({"jsonrpc": "2.0", "method": "exit"})
        return self.p.wait(timeout=10)


def run(strat, edits):
    """Runs the workload; returns its figures (seconds and KB)."""
    text = open(MODEL).read()
    uri = "file://" + MODEL
    line = next(i for i, l in enumerate(text.split("\n")) if l.startswith("let members = 262M"))
    c = Client(strat)
    c.send({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {"capabilities": {}}})
    c.recv()
    c.send({"jsonrpc": "2.0", "method": "initialized", "params": {}})
    c.send({"jsonrpc": "2.0", "method": "textDocument/didOpen",
            "params": {"textDocument": {"uri": uri, "languageId": "strat", "version": 1, "text": text}}})
    first = c.wait_publish(1)
    if first["params"]["diagnostics"]:
        raise RuntimeError(f"the model has diagnostics: {first['params']['diagnostics'][:3]}")

    def change(version):
        # Replace the last digit of 262M: 260M … 269M.
        digit = str(version % 10)
        c.send({"jsonrpc": "2.0", "method": "textDocument/didChange",
                "params": {"textDocument": {"uri": uri, "version": version},
                           "contentChanges": [{"range": {"start": {"line": line, "character": 16},
                                                         "end": {"line": line, "character": 17}}, "text": digit}]}})

    latencies = []
    rss_1000 = 0
    version = 1
    for i in range(edits):
        version += 1
        t = time.perf_counter()
        change(version)
        m = c.wait_publish(version)
        latencies.append(time.perf_counter() - t)
        if m["params"]["diagnostics"]:
            raise RuntimeError(f"edit {i}: unexpected diagnostics {m['params']['diagnostics'][:2]}")
        if i + 1 == min(1000, edits):
            rss_1000 = c.rss_kb()
    rss_end = c.rss_kb()

    # A burst: 100 changes back to back, then wait for the last version's diagnostics.
    publishes = 0
    t = time.perf_counter()
    for _ in range(100):
        version += 1
        change(version)
    while True:
        m = c.recv()
        if m.get("method") == "textDocument/publishDiagnostics":
            publishes += 1
            if m["params"].get("version") == version:
                break
    burst = time.perf_counter() - t
    # The last publish must describe the final text: 26xM with the last digit written.
    h = None
    c.send({"jsonrpc": "2.0", "id": 2, "method": "textDocument/hover",
            "params": {"textDocument": {"uri": uri}, "position": {"line": line, "character": 5}}})
    while h is None or h.get("id") != 2:
        h = c.recv()
    want = f"26{version % 10}M"
    if want not in h["result"]["contents"]["value"]:
        raise RuntimeError(f"stale value after the burst: {h['result']['contents']['value']!r}, want {want}")
    code = c.close()
    if code != 0:
        raise RuntimeError(f"strat lsp exited with {code}")
    latencies.sort()
    return {
        "edits": edits,
        "median_s": statistics.median(latencies),
        "p95_s": latencies[int(len(latencies) * 0.95) - 1] if len(latencies) >= 20 else latencies[-1],
        "rss_kb_after_1000": rss_1000,
        "rss_kb_end": rss_end,
        "burst_100_s": burst,
        "burst_publishes": publishes,
    }


def report(r):
    print(f"\nlanguage server (netflix-engineering.strat, {r['edits']} edits, didChange → publishDiagnostics):")
    print(f"  median {r['median_s'] * 1000:7.2f}ms   p95 {r['p95_s'] * 1000:7.2f}ms   (target: median ≤ 20 ms)")
    print(f"  resident memory after {min(1000, r['edits'])} edits {r['rss_kb_after_1000'] / 1024:6.1f}MB, "
          f"after {r['edits']} {r['rss_kb_end'] / 1024:6.1f}MB (target: flat)")
    print(f"  burst of 100 changes: {r['burst_100_s'] * 1000:.1f}ms to the last version's diagnostics, "
          f"{r['burst_publishes']} publishes")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--strat", default=os.path.join(ROOT, ".build", "release", "strat"))
    ap.add_argument("--edits", type=int, default=10000)
    args = ap.parse_args()
    r = run(args.strat, args.edits)
    report(r)
    json.dump(r, sys.stderr) if os.environ.get("LSP_BENCH_JSON") else None


if __name__ == "__main__":
    main()
