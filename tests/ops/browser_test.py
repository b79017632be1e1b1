#!/usr/bin/env python3
"""`accord status` in a real browser (issue 19).

A demo state (tests/ops: rules and data, synced and edited between passes as in
ops_golden.py, plus a value that is an HTML tag) is served by `accord status` on a
free loopback port. For each page:
  - the HTML as served must parse without a single error under html5lib's strict
    HTML5 parser (python3-html5lib: the WHATWG parsing algorithm; not our code);
  - Debian's chromium, headless, loads it: the DOM after the page's JavaScript ran must
    hold the page's key elements (and body[data-ready], set by ops.js at its end), and the
    browser's console must show no error (no exception, no CSP refusal, no failed load);
  - a screenshot is saved under $ARTIFACTS (default build/ops-screenshots).
/metrics is parsed by the official Prometheus Python client's text-format parser
(python3-prometheus-client) and checked against the state. The retry action needs the
page's CSRF token; a non-loopback address needs --token, then every request does.
Run: ACCORD=build/accord python3 tests/ops/browser_test.py
"""
import glob
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
# the parsers are Debian packages (scripts/install-deps): found there when python3 is another install
try:
    import html5lib  # noqa: F401
    import prometheus_client  # noqa: F401
except ImportError:
    sys.path.append("/usr/lib/python3/dist-packages")
import ops_golden  # noqa: E402  (its edit(): a record's next state appended to the jsonl file)

ACCORD = os.path.abspath(os.environ.get("ACCORD", "build/accord"))
ARTIFACTS = os.path.abspath(os.environ.get("ARTIFACTS", os.path.join(os.path.dirname(ACCORD), "ops-screenshots")))
ROOT = os.path.dirname(os.path.dirname(HERE))
RULES = "tests/ops/rules"  # relative to ROOT, where accord runs: the pages show rule locations as in the repository
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
XSS = '<img src=x onerror="document.title=1">'

failures = []


def check(cond, what):
    if not cond:
        failures.append(what)
        print("FAIL:", what)


def demo_state(data):
    """The golden scenario's state, plus a Title that is an HTML tag (it must stay text)."""
    run = lambda *a: subprocess.run([ACCORD, *a], capture_output=True, text=True, timeout=120, cwd=ROOT)
    run("run", RULES, "--data", data)
    ops_golden.edit(data, "hubspot", "contacts", "101", {"jobtitle": "Countess"})
    ops_golden.edit(data, "salesforce", "Contact", "0035g00000OpsAAA03", {"MailingCity": None})
    ops_golden.edit(data, "salesforce", "Contact", "0035g00000OpsAAA04", {"Title": "Excluded", "MailingCity": "Houston"})
    ops_golden.edit(data, "salesforce", "Contact", "0035g00000OpsAAA02", {"Title": XSS})
    run("run", RULES, "--data", data)
    ops_golden.edit(data, "salesforce", "Contact", "0035g00000OpsAAA01", {"FirstName": "Augusta Ada"})
    run("run", RULES, "--data", data)
    ops_golden.edit(data, "hubspot", "contacts", "101", {"firstname": "Ada"})


def serve(*args):
    p = subprocess.Popen([ACCORD, "status", *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                         cwd=ROOT)
    line = p.stdout.readline()
    m = re.search(r"(http://\S+/)", line)
    if not m:
        p.kill()
        return p, None, line + p.stderr.read()
    return p, m.group(1), line


def get(url, headers=None, data=None):
    req = urllib.request.Request(url, data=data, headers=headers or {})
    opener = urllib.request.build_opener(NoRedirect)
    try:
        with opener.open(req, timeout=60) as r:
            return r.status, r.read().decode(), dict(r.headers)
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode(), dict(e.headers)


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *a, **k):
        return None


def valid_html(name, text):
    import html5lib
    parser = html5lib.HTMLParser(strict=True)
    try:
        parser.parse(text)
        check(not parser.errors, "%s: HTML parse errors %s" % (name, parser.errors))
    except Exception as e:  # strict mode raises on the first error
        check(False, "%s: invalid HTML: %s" % (name, e))


def chromium(url, *args, profile):
    p = subprocess.run([CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                        "--user-data-dir=" + profile, "--enable-logging=stderr", "--v=0",
                        "--window-size=1280,900", *args, url],
                       capture_output=True, text=True, timeout=120)
    return p.stdout, p.stderr


def console_errors(stderr):
    bad = []
    for line in stderr.splitlines():
        if "CONSOLE" in line and ("ERROR" in line or "Uncaught" in line or "Refused" in line):
            bad.append(line)
        elif "Uncaught" in line or "Content Security Policy" in line:
            bad.append(line)
    return bad


def page(base, path, name, must, profile):
    status, text, headers = get(base + path.lstrip("/"))
    check(status == 200, "%s: HTTP %s" % (name, status))
    check("script-src 'self'" in headers.get("Content-Security-Policy", ""), name + ": no CSP header")
    valid_html(name, text)
    check(XSS not in text, name + ": a value reached the page unescaped")
    dom, err = chromium(base + path.lstrip("/"), "--dump-dom", profile=profile)
    check('data-ready="1"' in dom, name + ": ops.js did not run to its end")
    for m in must:
        check(m in dom, "%s: the page lacks %r" % (name, m))
    check("<img src=\"x\"" not in dom and "<img src=x" not in dom, name + ": an HTML tag from data became an element")
    errs = console_errors(err)
    check(not errs, "%s: console errors: %s" % (name, errs[:3]))
    os.makedirs(ARTIFACTS, exist_ok=True)
    shot = os.path.join(ARTIFACTS, "status-%s.png" % name)
    chromium(base + path.lstrip("/"), "--screenshot=" + shot, "--hide-scrollbars", profile=profile)
    check(os.path.exists(shot) and os.path.getsize(shot) > 5000, name + ": no screenshot")
    print("ok: %s (%s)" % (name, shot))
    return text


def metrics(base, data):
    from prometheus_client.parser import text_string_to_metric_families
    status, text, headers = get(base + "metrics")
    check(status == 200 and headers.get("Content-Type", "").startswith("text/plain"), "/metrics: %s" % status)
    fams = {f.name: f for f in text_string_to_metric_families(text)}
    # (the parser names a counter family without its _total suffix)
    for name in ("accord_passes", "accord_records_written", "accord_conflicts", "accord_pass_errors",
                 "accord_api_calls", "accord_errors_waiting", "accord_links", "accord_write_history_rows",
                 "accord_last_pass_timestamp_seconds", "accord_api_calls_24h", "accord_propagation_lag_seconds"):
        check(name in fams, "/metrics lacks " + name)
    val = lambda fam, **labels: sum(s.value for s in fams[fam].samples
                                    if all(s.labels.get(k) == v for k, v in labels.items()) and not s.name.endswith("_created"))
    check(val("accord_passes", status="ok") == 3, "/metrics: 3 passes ok, got %s" % val("accord_passes", status="ok"))
    check(val("accord_links", sync="people", state="active") == 5, "/metrics: 5 active links")
    check(val("accord_links", sync="people", state="out_of_scope") == 1, "/metrics: 1 link out of scope")
    check(val("accord_records_written", sync="people", kind="created") == 1, "/metrics: 1 created")
    check(val("accord_errors_waiting", category="PropertyValues") == 1, "/metrics: 1 PropertyValues error")
    # the API calls are the passes' own counts, summed: read back from the state's run history
    import json
    import sqlite3
    runs = sqlite3.connect(os.path.join(data, "accord-state.db")).execute("SELECT stats FROM runs").fetchall()
    reads = sum(json.loads(r[0] or "{}").get("api_calls", {}).get("hubspot", {}).get("reads", 0) for r in runs)
    check(reads > 0 and val("accord_api_calls", system="hubspot", kind="read") == reads,
          "/metrics: %s HubSpot reads, the run history says %s" % (val("accord_api_calls", system="hubspot", kind="read"), reads))
    print("ok: /metrics parsed: %d families" % len(fams))



def metrics_fold(base, data):
    """accord status folds the run history between scrapes (only what is new is read): a run
    still running is not counted, and is once it has finished; a pass run meanwhile is."""
    import sqlite3
    import time
    from prometheus_client.parser import text_string_to_metric_families

    def passes_ok():
        fams = {f.name: f for f in text_string_to_metric_families(get(base + "metrics")[1])}
        return sum(x.value for x in fams["accord_passes"].samples if x.name == "accord_passes_total"
                   and x.labels.get("status") == "ok")
    before = passes_ok()
    db = sqlite3.connect(os.path.join(data, "accord-state.db"), isolation_level=None)
    now = int(time.time() * 1000)
    run = db.execute("INSERT INTO runs (command, started_at) VALUES ('pass', ?) RETURNING id", (now,)).fetchone()[0]
    check(passes_ok() == before, "/metrics: a run still running is not counted")
    subprocess.run([ACCORD, "run", RULES, "--data", data], capture_output=True, timeout=120, cwd=ROOT)
    check(passes_ok() == before + 1, "/metrics: a pass run since the last scrape is counted")
    db.execute("UPDATE runs SET finished_at = ?, status = 'ok', stats = '{}' WHERE id = ?", (now + 5, run))
    db.close()
    check(passes_ok() == before + 2, "/metrics: the run counted once it finished")
    check(passes_ok() == before + 2, "/metrics: and only once")


def links(text):
    """Every href, src and form action of a page, as html5lib parses it."""
    import html5lib
    out = []
    for el in html5lib.parse(text, namespaceHTMLElements=False).iter():
        for attr in ("href", "src", "action"):
            if el.get(attr):
                out.append((el.tag, el.get("method", "get").lower(), el.get(attr)))
    return out


def mounted(data, procs, profile):
    """The same pages under a prefix (as `accord serve` mounts them per project, or behind a
    reverse proxy): every link, form, static file and redirect stays under it and answers."""
    prefix = "/p/demo.v1"
    p, base, out = serve(RULES, "--data", data, "--listen", "127.0.0.1:0", "--prefix", prefix + "/")
    procs.append(p)
    if not base:
        check(False, "accord status --prefix did not start: " + out)
        return
    check(base.endswith(prefix + "/"), "--prefix: accord status prints the address with the prefix: " + base)
    origin = re.match(r"http://[^/]+", base).group(0)
    check(get(origin + "/")[0] == 404, "--prefix: nothing at the root")
    status, _, headers = get(origin + prefix)
    check(status == 303 and headers.get("Location") == prefix + "/", "--prefix: PREFIX redirects to PREFIX/")
    seen = set()
    for path in ("/", "/errors", "/drift", "/record?system=salesforce&id=0035g00000OpsAAA01"):
        status, text, _ = get(origin + prefix + path)
        check(status == 200, "--prefix %s: HTTP %s" % (path, status))
        valid_html("prefix " + path, text)
        for tag, method, url in links(text):
            if url.startswith("data:"):
                continue
            check(url.startswith(prefix + "/"), "--prefix %s: <%s> %s leaves the prefix" % (path, tag, url))
            if method == "get" and url not in seen:
                seen.add(url)
                check(get(origin + url.split("#")[0])[0] == 200, "--prefix: %s does not answer" % url)
    check(len(seen) >= 8, "--prefix: the pages link %d places" % len(seen))
    status, text, _ = get(origin + prefix + "/errors")
    token = re.search(r'name="csrf" value="([0-9a-f]+)"', text).group(1)
    status, _, headers = get(origin + prefix + "/retry", data=urllib.parse.urlencode({"csrf": token, "id": "999999"}).encode())
    check(status == 303 and headers.get("Location", "").startswith(prefix + "/errors?"),
          "--prefix: the retry redirects under the prefix: %s %s" % (status, headers.get("Location")))
    status, _, headers = get(origin + prefix + "/drift", data=urllib.parse.urlencode({"csrf": token}).encode())
    check(status == 303 and headers.get("Location") == prefix + "/drift", "--prefix: drift recomputes under the prefix")
    dom, err = chromium(origin + prefix + "/", "--dump-dom", profile=profile)
    check('data-ready="1"' in dom and not console_errors(err), "--prefix: ops.js and ops.css load under the prefix")
    p2, base2, out2 = serve("--data", data, "--listen", "127.0.0.1:0", "--prefix", "p/<x>")
    p2.wait(timeout=10)
    check(p2.returncode == 2 and "--prefix" in out2 + p2.stderr.read(), "a bad --prefix is refused")
    print("ok: the pages under %s (%d links followed)" % (prefix, len(seen)))


def main():
    if not CHROMIUM:
        print("SKIP: chromium is not installed (scripts/install-deps installs it)")
        return 77
    work = tempfile.mkdtemp(prefix="accord-ops-browser-")
    procs = []
    try:
        data = os.path.join(work, "data")
        shutil.copytree(os.path.join(HERE, "data"), data)
        demo_state(data)
        profile = os.path.join(work, "chromium")
        p, base, out = serve(RULES, "--data", data, "--listen", "127.0.0.1:0")
        procs.append(p)
        if not base:
            print("FAIL: accord status did not start:", out)
            return 1
        page(base, "/", "overview", ['id="health"', 'data-sync="people"', 'id="passes"', "<time", 'id="budget"',
                                      'class="lag"'], profile)
        errors = page(base, "/errors", "errors", ['id="cat-PropertyValues"', "INVALID_OPTION", 'name="csrf"'], profile)
        page(base, "/drift", "drift", ['id="drift"', "one_way", "blank_ignore", "dont_sync", "out_of_scope",
                                       "pending"], profile)
        page(base, "/record?system=salesforce&id=0035g00000OpsAAA01", "record",
             ['id="record"', 'id="history"', "two_way: only salesforce changed", "Augusta Ada"], profile)
        page(base, "/record?system=salesforce&id=0035g00000OpsAAA02", "record-escaped", ['id="history"'], profile)
        metrics(base, data)
        metrics_fold(base, data)
        # the retry action: refused without the page's CSRF token, done with it
        status, _, _ = get(base + "retry", data=b"category=PropertyValues")
        check(status == 403, "POST /retry without a CSRF token: %s" % status)
        token = re.search(r'name="csrf" value="([0-9a-f]+)"', errors).group(1)
        status, _, headers = get(base + "retry", data=urllib.parse.urlencode({"csrf": token, "category": "PropertyValues"}).encode())
        check(status == 303 and headers.get("Location", "").startswith("/errors?requeued=1"),
              "POST /retry: %s %s" % (status, headers.get("Location")))
        listed = subprocess.run([ACCORD, "errors", "--data", data, "--format", "json"], capture_output=True, text=True)
        check(json.loads(listed.stdout)[0]["permanent"] is False, "the entry was requeued")
        # a pass holds the state's write lock while it runs: a retry then waits (5 s) and says it failed
        import sqlite3
        db = sqlite3.connect(os.path.join(data, "accord-state.db"), isolation_level=None)
        db.execute("BEGIN IMMEDIATE")
        status, _, headers = get(base + "retry", data=urllib.parse.urlencode({"csrf": token, "id": "1"}).encode())
        db.execute("ROLLBACK")
        db.close()
        check(status == 303 and headers.get("Location") == "/errors?failed=1",
              "a retry while the state is locked: %s %s" % (status, headers.get("Location")))
        status, text, _ = get(base + "errors?failed=1")
        check("nothing was requeued" in text, "the errors page says the retry failed")
        status, _, _ = get(base + "record?system=zendesk&id=1")
        check(status == 400, "a bad SYSTEM is a 400 page: %s" % status)
        status, text, _ = get(base + "nowhere<b>")
        check(status == 404 and "<b>" not in text, "404 page, escaped: %s" % status)
        mounted(data, procs, profile)
        # anything but loopback needs a token; then every request carries it
        p2, base2, out2 = serve("--data", data, "--listen", "0.0.0.0:0")
        p2.wait(timeout=10)
        check(p2.returncode == 2 and "--token" in out2 + p2.stderr.read(), "0.0.0.0 without --token refused")
        p3, base3, out3 = serve("--data", data, "--listen", "127.0.0.1:0", "--token", "s3cret")
        procs.append(p3)
        check(get(base3)[0] == 401, "a request without the token: 401")
        check(get(base3, {"Authorization": "Bearer s3cret"})[0] == 200, "the bearer token: 200")
        status, _, headers = get(base3 + "?token=s3cret")
        check(status == 303 and "accord_status=s3cret" in headers.get("Set-Cookie", ""), "?token= sets the cookie")
        check(get(base3, {"Cookie": "accord_status=s3cret"})[0] == 200, "the cookie: 200")
        check(get(base3, {"Cookie": "accord_status=wrong"})[0] == 401, "a wrong cookie: 401")
    finally:
        for p in procs:
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
                try:
                    p.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    p.kill()
            check(p.returncode in (0, -signal.SIGTERM), "accord status exits cleanly on SIGTERM: %s" % p.returncode)
        shutil.rmtree(work, ignore_errors=True)
    print("%d failures; screenshots in %s" % (len(failures), ARTIFACTS))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
