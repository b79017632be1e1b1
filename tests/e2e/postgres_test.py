#!/usr/bin/env python3
"""`--state postgresql://...` end to end, against `accord sandbox` and a throwaway
PostgreSQL cluster (`pg_cluster`, tests/postgres/cluster.h):

  1. a state URL that cannot be reached: one line, exit 2, no password, for every verb
  2. `accord plan` over an empty database creates nothing (`accord errors` finds no state)
  3. the example's scenario of e2e_test.py (initial sync, edits, a conflict, an MQL,
     a lead conversion, Closed Won) with the state in PostgreSQL; a pass after it
     writes nothing; `accord errors` and `accord retry` read and requeue the log
  4. one writer at a time: `accord run` fails clearly while `accord run --watch` holds the state
  5. the oracle: the same scenario with the state in a SQLite file on a reset sandbox
     ends in the same records on both systems and the same error log

Environment: ACCORD (the binary), ACCORD_SOURCE_DIR, PG_CLUSTER (the pg_cluster binary).
Where PostgreSQL is installed (or CI is set), a cluster that cannot start is a failure;
elsewhere the test says why and passes. Prints `N passed, N failed`; exit 1 on any failure.
"""
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import e2e_test as e2e  # noqa: E402
from sandbox_client import Sandbox  # noqa: E402

PG_CLUSTER = os.environ.get("PG_CLUSTER", "build/tests/pg_cluster")
PG_BIN = os.environ.get("ACCORD_PG_BIN", "/usr/lib/postgresql/15/bin")
PASSWORD = "Pl4nted-pg-Secret"
DATA_DIR = None  # the cluster's data folder (pg_cluster's second line)


def restart_cluster():
    """pg_ctl restart -m fast: every session is cut (as the postgres user when root, as pg_cluster runs it)."""
    cmd = [os.path.join(PG_BIN, "pg_ctl"), "-D", DATA_DIR, "-l", os.path.join(os.path.dirname(DATA_DIR), "server.log"),
           "-m", "fast", "-w", "restart"]
    if os.geteuid() == 0:
        cmd = ["runuser", "-u", "postgres", "--"] + cmd
    return subprocess.run(cmd, capture_output=True, text=True, timeout=120)


def start_cluster():
    """(process, url) of a running cluster; it stops when the process's stdin closes."""
    p = subprocess.Popen([PG_CLUSTER], stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         text=True)
    url = p.stdout.readline().strip()
    if url:
        global DATA_DIR
        DATA_DIR = p.stdout.readline().strip()
        return p, url
    why = p.stderr.read().strip()
    p.wait()
    if os.environ.get("CI") or os.path.exists(os.path.join(PG_BIN, "initdb")):
        e2e.bad("a PostgreSQL cluster starts", why)
        print(f"{e2e.passed} passed, {e2e.failed} failed")
        sys.exit(1)
    print(f"skipped: no PostgreSQL cluster for this test: {why}")
    sys.exit(0)


def errors_of(state):
    r = e2e.accord(["errors", "--state", state, "--format", "json"])
    try:
        entries = json.loads(r.stdout or "[]")
    except ValueError:
        return None
    # the sandbox's ids are not reset between the two runs: messages compared without them
    return sorted((e["sync"], e["category"], e["rule"], e["permanent"], re.sub(r"\b0[0-9A-Za-z]{14,17}\b", "<id>",
                   e["message"])) for e in entries)


def unreachable(sb):
    url = f"postgresql://accord:{PASSWORD}@127.0.0.1:1/state"
    for args in (["run", e2e.RULES, "--salesforce", sb.sf, "--hubspot", sb.hs],
                 ["plan", e2e.RULES, "--salesforce", sb.sf, "--hubspot", sb.hs], ["errors"], ["retry"]):
        r = e2e.accord(args + ["--state", url])
        verb = args[0]
        e2e.check(f"unreachable state: accord {verb} exits 2", r.returncode == 2, f"rc {r.returncode}: {r.stderr}")
        e2e.check(f"unreachable state: accord {verb} says so in one line",
                  r.stderr.count("\n") == 1 and "cannot connect to the PostgreSQL state store" in r.stderr, r.stderr)
        e2e.check(f"unreachable state: accord {verb} prints no password", PASSWORD not in r.stdout + r.stderr, r.stderr)


def one_writer(sb, url, tmp):
    log = open(os.path.join(tmp, "watch.log"), "w+")
    env = dict(os.environ, ACCORD_SALESFORCE_REFRESH_TOKEN=e2e.TOKEN, ACCORD_SALESFORCE_CLIENT_ID="accord-e2e",
               ACCORD_HUBSPOT_TOKEN=e2e.TOKEN)
    watch = subprocess.Popen([e2e.ACCORD, "run", e2e.RULES, "--salesforce", sb.sf, "--hubspot", sb.hs, "--state", url,
                              "--watch", "--interval", "0.5"], env=env, stdout=log, stderr=subprocess.STDOUT, text=True)
    try:
        deadline = time.time() + 60
        while time.time() < deadline:
            log.seek(0)
            if "total:" in log.read():
                break
            time.sleep(0.2)
        r = e2e.run_pass(sb, url)
        e2e.check("a second writer is refused while --watch holds the state", r.returncode == 2 and
                  "another accord process is using the state store" in r.stderr, f"rc {r.returncode}: {r.stderr}")
        r = e2e.accord(["errors", "--state", url])
        e2e.check("accord errors reads the state while --watch holds it", r.returncode in (0, 1), r.stderr)

        # PostgreSQL restarts under the watch: its next pass reconnects and syncs the next edit
        r = restart_cluster()
        e2e.check("the PostgreSQL cluster restarts", r.returncode == 0, r.stdout + r.stderr)
        ada = sb.soql("SELECT Id FROM Contact WHERE LastName = 'Lovelace'")[0]["Id"]
        sb.http(sb.sf, "PATCH", f"{e2e.API}/sobjects/Contact/{ada}", {"Title": "After the restart"})
        arrived = False
        deadline = time.time() + 60
        while time.time() < deadline and not arrived:
            found = sb.hs_search("contacts", "email", "ada.lovelace@example.com")
            arrived = bool(found) and found[0]["properties"].get("jobtitle") == "After the restart"
            time.sleep(0.3)
        e2e.check("--watch syncs again after PostgreSQL restarted", arrived and watch.poll() is None,
                  open(os.path.join(tmp, "watch.log")).read()[-2000:])
        r = e2e.run_pass(sb, url)
        e2e.check("the watch took its lock again after the restart", r.returncode == 2 and
                  "another accord process is using the state store" in r.stderr, f"rc {r.returncode}: {r.stderr}")
    finally:
        watch.terminate()
        watch.wait(20)


def main():
    tmp = tempfile.mkdtemp(prefix="accord-pg-e2e-")
    cluster, base = start_cluster()
    sb = Sandbox(e2e.ACCORD, e2e.TOKEN)
    try:
        unreachable(sb)

        url = base.replace("/postgres", "/postgres?application_name=accord-e2e")
        r = e2e.accord(["plan", e2e.RULES, "--salesforce", sb.sf, "--hubspot", sb.hs, "--state", url])
        e2e.check("plan over an empty database runs", r.returncode in (0, 1), r.stderr)
        r = e2e.accord(["errors", "--state", url])
        e2e.check("plan created no state in the database", r.returncode == 2 and "no state in" in r.stderr, r.stderr)

        t0 = time.time()
        e2e.scenario(sb, url, "postgresql")
        print(f"     postgresql: scenario in {time.time() - t0:.1f} s")
        pg_records, dups = e2e.normalize(sb)
        e2e.check("postgresql: no duplicates", not dups, str(dups))
        r = e2e.run_pass(sb, url)
        e2e.check("postgresql: the next pass writes nothing",
                  re.search(r"total: 0 created, 0 updated, 0 linked", r.stdout) is not None, r.stdout + r.stderr)
        pg_errors = errors_of(url)
        e2e.check("postgresql: accord errors lists the log", pg_errors is not None and len(pg_errors) > 0,
                  str(pg_errors))
        r = e2e.accord(["retry", "--state", url])
        m = re.match(r"(\d+) errors? requeued", r.stdout)
        e2e.check("postgresql: accord retry requeues every error", r.returncode == 0 and m and
                  int(m.group(1)) == len(pg_errors or []), r.stdout + r.stderr)
        one_writer(sb, url, tmp)

        # the oracle: the same scenario over a SQLite file
        sb.admin(sb.sf, "reset", {})
        sb.admin(sb.hs, "reset", {})
        sqlite = os.path.join(tmp, "oracle.db")
        t0 = time.time()
        e2e.scenario(sb, sqlite, "sqlite")
        print(f"     sqlite: scenario in {time.time() - t0:.1f} s")
        sqlite_records, _ = e2e.normalize(sb)
        e2e.run_pass(sb, sqlite)
        sqlite_errors = errors_of(sqlite)
        lines = e2e.diff(sqlite_records, pg_records)
        e2e.check("postgresql and sqlite states end in the same records", not lines, "\n".join(lines[:20]))
        e2e.check("postgresql and sqlite states end with the same error log", sqlite_errors == pg_errors,
                  f"\nsqlite {sqlite_errors}\npostgresql {pg_errors}")
    finally:
        sb.stop()
        cluster.stdin.close()
        cluster.wait(60)
        shutil.rmtree(tmp, ignore_errors=True)

    leaked = [name for name, out, err in e2e.outputs if e2e.TOKEN in out or e2e.TOKEN in err or PASSWORD in out + err]
    e2e.check(f"no secret in any of {len(e2e.outputs) * 2} output streams", not leaked, str(leaked))
    print(f"{e2e.passed} passed, {e2e.failed} failed")
    return 1 if e2e.failed else 0


if __name__ == "__main__":
    sys.exit(main())
