#!/usr/bin/env python3
"""`accord serve` figures for docs/benchmarks.md (issue 18), against `accord sandbox` and a
throwaway PostgreSQL cluster (pg_cluster --durable: PostgreSQL's default settings):

  capacity: one worker serves PROJECTS projects (each its own sandbox, the example's seed,
            webhooks off) at --interval INTERVAL for DURATION seconds after their first pass:
            passes per project and minute (the ideal is 60 / INTERVAL), the worker's CPU time
            (user + sys) and peak RSS, the PostgreSQL server's CPU time.
  failover: two workers serve PROJECTS projects with leases of LEASE seconds; the one holding
            more is SIGKILLed, ROUNDS times (it is started again each time): from the kill to
            each of its projects' next "serving under" line on the other worker.

  ACCORD=build/accord PG_CLUSTER=build/tests/pg_cluster python3 bench/serve/serve_bench.py capacity
  ACCORD=build/accord PG_CLUSTER=build/tests/pg_cluster python3 bench/serve/serve_bench.py failover
"""
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "tests", "serve"))
sys.path.insert(0, os.path.join(HERE, "..", "..", "tests", "e2e"))
import serve_test as st  # noqa: E402
from sandbox_client import Sandbox  # noqa: E402

ACCORD = os.environ.get("ACCORD", "build/accord")
PG_CLUSTER = os.environ.get("PG_CLUSTER", "build/tests/pg_cluster")
RULES = os.path.join(HERE, "..", "..", "examples", "salesforce-hubspot")


def cpu_of(pid):
    """user + sys seconds of a process and its threads."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    tick = os.sysconf("SC_CLK_TCK")
    return (int(fields[11]) + int(fields[12])) / tick


def rss_peak_kb(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    return 0


def postgres_cpu(data_dir):
    """user + sys seconds of every process of the cluster (postmaster and backends)."""
    with open(os.path.join(data_dir, "postmaster.pid")) as f:
        master = int(f.readline())
    total = 0.0
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            with open(f"/proc/{pid}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            if int(pid) == master or int(fields[1]) == master:
                total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
        except OSError:
            continue
    return total


def setup(n, lease, interval, tmp, url):
    sandboxes, projects = [], []
    for i in range(n):
        name, token = f"p{i:02d}", f"bench-token-{i}"
        sb = Sandbox(ACCORD, token)
        sandboxes.append(sb)
        cred = os.path.join(tmp, f"{name}.json")
        with open(cred, "w") as f:
            json.dump({"salesforce": {"access_token": token}, "hubspot": {"token": token}}, f)
        os.chmod(cred, 0o600)
        projects.append({"name": name, "rules": os.path.abspath(RULES), "salesforce": sb.sf, "hubspot": sb.hs,
                         "credentials": {"file": cred}, "interval": interval, "budget": "off"})
    config = os.path.join(tmp, "serve.json")
    with open(config, "w") as f:
        json.dump({"state": url, "lease_seconds": lease, "projects": projects}, f)
    return sandboxes, projects, config


def main():
    mode = sys.argv[1] if len(sys.argv) > 1 else "capacity"
    n = int(os.environ.get("PROJECTS", "20"))
    interval = float(os.environ.get("INTERVAL", "5"))
    duration = float(os.environ.get("DURATION", "60"))
    lease = float(os.environ.get("LEASE", "5"))
    rounds = int(os.environ.get("ROUNDS", "5"))
    cluster = subprocess.Popen([PG_CLUSTER, "--durable"], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    url = cluster.stdout.readline().strip()
    data_dir = cluster.stdout.readline().strip()
    tmp = tempfile.mkdtemp(prefix="accord-serve-bench-")
    sandboxes, workers = [], []
    try:
        sandboxes, projects, config = setup(n, lease, interval, tmp, url)
        if mode == "capacity":
            w = st.Worker(0, config, st.free_port(), tmp)
            workers.append(w)
            w.start()
            deadline = time.time() + 300
            while time.time() < deadline and sum(1 for _, l in list(w.lines) if "] pass:" in l) < n:
                time.sleep(0.2)
            t0, cpu0, pg0 = time.time(), cpu_of(w.proc.pid), postgres_cpu(data_dir)
            before = sum(1 for _, l in list(w.lines) if "] pass:" in l)
            time.sleep(duration)
            t1, cpu1, pg1 = time.time(), cpu_of(w.proc.pid), postgres_cpu(data_dir)
            after = sum(1 for _, l in list(w.lines) if "] pass:" in l)
            per_min = (after - before) / n / ((t1 - t0) / 60)
            print(f"{n} projects, --interval {interval:g} s, {t1 - t0:.0f} s: {per_min:.1f} passes per project and "
                  f"minute (ideal {60 / interval:.1f}); worker CPU {cpu1 - cpu0:.1f} s "
                  f"({100 * (cpu1 - cpu0) / (t1 - t0):.0f}% of a core), peak RSS {rss_peak_kb(w.proc.pid) / 1024:.0f} MB; "
                  f"PostgreSQL CPU {pg1 - pg0:.1f} s")
        else:
            workers = [st.Worker(i, config, st.free_port(), tmp) for i in range(2)]
            for w in workers:
                w.start()
            deadline = time.time() + 300
            while time.time() < deadline and len(workers[0].held()) + len(workers[1].held()) < n:
                time.sleep(0.2)
            times = []
            for r in range(rounds):
                time.sleep(2)
                victim = max(workers, key=lambda w: len(w.held()))
                lost = victim.held()
                killed = time.time()
                victim.kill()
                other = workers[1 - workers.index(victim)]
                deadline = killed + 60
                got = {}
                while time.time() < deadline and len(got) < len(lost):
                    for t, line in list(other.lines):
                        for name in lost:
                            if t > killed and line.startswith(f"[{name}] serving under") and name not in got:
                                got[name] = t - killed
                    time.sleep(0.05)
                times += got.values()
                print(f"round {r}: {len(lost)} projects, taken over in {min(got.values()):.2f}-"
                      f"{max(got.values()):.2f} s" if got else f"round {r}: none taken over")
                victim.start()
                time.sleep(lease + 2)  # the restarted worker gets its share back
            if times:
                print(f"failover, leases of {lease:g} s: {len(times)} projects, median {statistics.median(times):.2f} s, "
                      f"max {max(times):.2f} s")
    finally:
        for w in workers:
            if w.proc and w.proc.poll() is None:
                w.proc.terminate()
                w.proc.wait(30)
        for sb in sandboxes:
            sb.stop()
        cluster.stdin.close()
        cluster.wait(60)
        subprocess.run(["rm", "-rf", tmp])


if __name__ == "__main__":
    main()
