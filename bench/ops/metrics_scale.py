#!/usr/bin/env python3
"""The cost of `accord status`'s /metrics and overview with a long run history (issue 19).

Makes a state (tests/ops: one pass over the jsonl data), adds N runs with the stats a pass
records (per-sync counts and lag, API calls and limits), one every second up to now, serves
it, and times the first /metrics (the whole history folded), the next ones (what is new
only) and the overview; then the server's CPU time and peak RSS (from /proc).

  python3 bench/ops/metrics_scale.py [N=86400]   (ACCORD=build/accord)
"""
import json
import os
import re
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
import urllib.request

SRC = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
ACCORD = os.path.abspath(os.environ.get("ACCORD", os.path.join(SRC, "build", "accord")))
n = int(sys.argv[1]) if len(sys.argv) > 1 else 86400
tmp = tempfile.mkdtemp(prefix="accord-metrics-scale-")
data = os.path.join(tmp, "data")
shutil.copytree(os.path.join(SRC, "tests", "ops", "data"), data)
subprocess.run([ACCORD, "run", "tests/ops/rules", "--data", data], cwd=SRC, capture_output=True, check=False)
stats = json.dumps({
    "created": 0, "updated": 1, "linked": 0, "conflicts": 0, "errors": 0, "deleted": 0,
    "syncs": {"people": {"created": 0, "updated": 1, "linked": 0, "conflicts": 0, "errors": 0, "deleted": 0,
                         "lag": {"n": 1, "sum_ms": 1500, "buckets": [0, 0, 0, 1] + [0] * 11, "p50_ms": 1500,
                                 "p99_ms": 1500, "min_ms": 1500, "max_ms": 1500}}},
    "api_calls": {"salesforce": {"reads": 3, "writes": 1}, "hubspot": {"reads": 4, "writes": 1}},
    "api_limits": {"salesforce": {"daily_max": 100000, "daily_used": 5000, "budget_share": 0.1},
                   "hubspot": {"daily_max": 250000, "daily_used": 9000, "burst_max": 190, "burst_remaining": 180,
                               "burst_window_ms": 10000, "budget_share": 0.1}},
    "records_read": 12, "errors_by_category": {}})
now = int(time.time() * 1000)
db = sqlite3.connect(os.path.join(data, "accord-state.db"))
db.executemany("INSERT INTO runs (command, started_at, finished_at, status, stats) VALUES ('pass', ?, ?, 'ok', ?)",
               ((now - (n - i) * 1000, now - (n - i) * 1000 + 200, stats) for i in range(n)))
db.commit()
db.close()
p = subprocess.Popen([ACCORD, "status", "--data", data, "--listen", "127.0.0.1:0"], stdout=subprocess.PIPE, text=True)
base = re.search(r"(http://\S+/)", p.stdout.readline()).group(1)


def timed(path):
    t = time.monotonic()
    urllib.request.urlopen(base + path, timeout=600).read()
    return time.monotonic() - t


try:
    first = timed("metrics")
    nxt = [timed("metrics") for _ in range(5)]
    overview = [timed("") for _ in range(3)]
    fields = open("/proc/%d/stat" % p.pid).read().rsplit(")", 1)[1].split()
    cpu = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    rss = [l for l in open("/proc/%d/status" % p.pid) if l.startswith("VmHWM")][0].split()[1]
finally:
    p.terminate()
    p.wait()
    shutil.rmtree(tmp, ignore_errors=True)
print(f"{n} runs: first /metrics {first:.2f} s wall, next ones {min(nxt) * 1000:.0f}-{max(nxt) * 1000:.0f} ms, "
      f"overview {min(overview) * 1000:.0f}-{max(overview) * 1000:.0f} ms; server CPU {cpu:.2f} s, peak RSS {rss} KB; "
      f"load {os.getloadavg()[0]:.2f}")
