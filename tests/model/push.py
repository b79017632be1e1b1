"""The model harness in push mode (harness.py --push; docs/benchmarks.md "Model harness in push mode").

The engine runs as one long `accord run --watch --listen ... --cdc` for the whole history: the
sandbox delivers signed HubSpot webhooks and serves Salesforce change events over CometD, both
with the push faults of the round (events dropped, duplicated, reordered, delayed; accord
SIGKILLed and started again; a kept replay id past the retention window). A round:

  1. the deliveries are held (the sandbox's webhook `hold`, its `cdc_hold`), and the round's
     edits land while accord is idle and its next reconciliation pass is more than a second away
  2. the sync point: the deliveries are released with the round's faults; accord runs the
     targeted passes the events start, and the reconciliation pass every --interval
  3. settled (nothing left to deliver, accord quiet): the systems are checked against the model's
     one pass from the state before the edits. A state the model does not accept yet is waited
     for, up to one reconciliation interval (plus the pass's own time): an edit whose event was
     lost must arrive by the next reconciliation read. Later than that it is a violation
     (`push-late`), never arriving is the model's violation (an edit lost or a wrong value).
  4. the deliveries are held again; every pass accord runs while the state is settled must be
     quiet (`no-convergence`): a duplicated or late event never writes a second time.
"""
import copy
import os
import signal
import subprocess
import time
import json

import harness
import model
from harness import ACCORD, TOKEN, snapshot
from sandbox_client import free_port

SECRET = "model-harness-app-secret"
QUIET_S = 0.8  # accord printed nothing this long after the last delivery: it is idle
DEFAULT_RETENTION_MS = 72 * 3600 * 1000


class PushRunner(harness.Runner):
    semantics = {"event_field_times": True}
    def __init__(self, case, known=(), verbose=False, engine="auto", interval=None):
        super().__init__(case, known, verbose, engine)
        self.interval = interval or case.get("interval", 4.0)
        self.proc = None
        self.launches = 0
        self.lines = []            # (monotonic time seen, is push pass, report)
        self.last_recon = 0.0      # when the last reconciliation pass's report was seen
        self.settled_mark = None   # index in lines from which every pass must be quiet
        self.longest_pass = 0.0
        for k in ("push_rounds", "push_settled", "push_by_reconciliation", "push_passes", "push_recon_passes",
                  "push_events_faulted", "push_kills", "push_gaps", "push_gaps_seen"):
            self.stats[k] = 0
        self.stats["push_latencies"] = []

    # -- processes -------------------------------------------------------------
    def start(self, ports=None):
        super().start(ports)
        self.port = free_port()
        url = f"http://127.0.0.1:{self.port}/hubspot/webhooks"
        self.sb.admin(self.sb.hs, "webhooks", {"url": url, "secret": SECRET, "batch_ms": 20, "retry_ms": 300,
                                               "hold": True})
        self.sb.admin(self.sb.sf, "config", {"cdc_hold": True})
        self.launch()

    def launch(self):
        self.launches += 1
        env = dict(os.environ, ACCORD_SALESFORCE_ACCESS_TOKEN=TOKEN, ACCORD_HUBSPOT_TOKEN=TOKEN,
                   ACCORD_HUBSPOT_APP_SECRET=SECRET)
        args = self.pass_args("run") + ["--watch", "--interval", str(self.interval), "--budget", "off",
                                        "--listen", f"127.0.0.1:{self.port}", "--cdc"]
        base = os.path.join(self.tmp, f"watch-{self.launches}")
        self.out_path = base + ".out"
        self.err_path = base + ".err"
        self.out_w = open(self.out_path, "w")
        self.err_w = open(self.err_path, "w")
        self.out_r = open(self.out_path, "rb")
        self.partial = b""
        self.proc = subprocess.Popen([ACCORD] + args, env=env, stdout=self.out_w, stderr=self.err_w,
                                     start_new_session=True)
        if not self.wait_reconciliation(timeout=120):
            raise RuntimeError(f"accord --watch did not finish its first pass: {self.stderr_tail()}")

    def kill(self):
        if self.proc and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()
        self.stats["kills"] += 1

    def stop_accord(self):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
                self.violate("hang", "accord --watch did not stop within 20 s of SIGTERM")
        for f in ("out_w", "err_w", "out_r"):
            if getattr(self, f, None):
                getattr(self, f).close()
                setattr(self, f, None)

    def close(self):
        self.stop_accord()
        super().close()

    def stderr_tail(self):
        try:
            with open(self.err_path) as f:
                return f.read()[-600:]
        except OSError:
            return ""

    # -- accord's output ---------------------------------------------------------
    def poll(self):
        """reads the reports accord printed since the last call"""
        if not self.out_r:
            return
        data = self.partial + self.out_r.read()
        *complete, self.partial = data.split(b"\n")
        now = time.monotonic()
        for raw in complete:
            line = raw.decode(errors="replace")
            if os.environ.get("ACCORD_MODEL_KEEP"):
                with open(os.path.join(self.tmp, "passes.log"), "a") as f:
                    f.write(line + "\n")
            if "past the retention window" in line:
                self.stats["push_gaps_seen"] += 1  # accord reported the gap (a kept replay id refused)
            if not line.startswith("{"):
                continue
            try:
                rep = json.loads(line)
            except ValueError:
                continue
            push = "push" in rep
            self.lines.append((now, push, rep))
            self.stats["passes"] += 1
            self.stats["push_passes" if push else "push_recon_passes"] += 1
            self.longest_pass = max(self.longest_pass, float(rep.get("seconds") or 0))  # --watch reports say
            if not push:
                self.last_recon = now
        if self.proc and self.proc.poll() is not None:
            code = self.proc.returncode
            self.proc = None
            self.violate("crash", f"accord --watch exited {code}: {self.stderr_tail()}")

    def wait_reconciliation(self, timeout):
        """until a reconciliation pass (not a push pass) reports; False on timeout or exit"""
        n = sum(1 for x in self.lines if not x[1])
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self.poll()
            if self.proc is None:
                return False
            if sum(1 for x in self.lines if not x[1]) > n:
                return True
            time.sleep(0.05)
        return False

    def pending(self):
        """events the sandbox has not delivered yet (held, delayed, waiting for a retry, or
        the other copy of a duplicate)"""
        w = self.sb.admin(self.sb.hs, "webhooks")["stats"]
        c = self.sb.admin(self.sb.sf, "cdc")
        self.last_pending = (w, c)
        return w["queued"] + c["pending"]

    def hold(self, on):
        self.sb.admin(self.sb.hs, "webhooks", {"hold": on})
        self.sb.admin(self.sb.sf, "config", {"cdc_hold": on})

    def check_settled_quiet(self):
        """every pass since the state settled wrote nothing"""
        if self.settled_mark is None:
            return
        for t, push, rep in self.lines[self.settled_mark:]:
            if not self.quiet(rep) and rep.get("ok", False):
                evs = [e for e in rep.get("events", []) if e.get("kind") != "skip"][:4]
                self.violate("no-convergence", f"a {'push' if push else 'reconciliation'} pass after the state "
                                               f"settled wrote: {json.dumps(evs)[:600]}")
        self.settled_mark = len(self.lines)

    # -- a round ---------------------------------------------------------------
    def before_actions(self, sp):
        self.poll()
        pf = sp.get("push") or {}
        if pf.get("gap"):
            # accord is down while the round's edits land, and their change events pass the
            # retention window before it comes back: the kept replay id is refused
            self.check_settled_quiet()
            self.kill()
            self.stop_accord()
            self.sb.admin(self.sb.sf, "config", {"cdc_retention_ms": 1})
            return
        # the edits land while accord is idle (deliveries held) and its next reconciliation
        # pass is more than a second away: no pass reads half of them
        if time.monotonic() > self.last_recon + self.interval - 1.2:
            self.wait_reconciliation(timeout=self.interval + 60)
        self.check_settled_quiet()

    def sync_point(self, sp, rnd):
        self.stats["sync_points"] += 1
        self.stats["push_rounds"] += 1
        pf = sp.get("push") or {}
        if pf.get("gap"):
            self.stats["push_gaps"] += 1
            time.sleep(0.01)
            self.launch()
            self.sb.admin(self.sb.sf, "config", {"cdc_retention_ms": DEFAULT_RETENTION_MS})
        if pf.get("hs") or pf.get("sf"):
            self.stats["push_events_faulted"] += 1
            self.sb.set_faults(pf.get("sf"), pf.get("hs"))
        mark = len(self.lines)
        t0 = time.monotonic()
        self.hold(False)
        if pf.get("kill") is not None:
            self.stats["push_kills"] += 1
            time.sleep(pf["kill"])
            self.lossy = True
            self.kill()
            self.stop_accord()
            self.launch()
        before = self.round_before
        ex = self.round_ex
        limit = self.interval + max(self.longest_pass, 0.5) + QUIET_S + 1.0
        matched, failing, recon_before_match = None, None, False
        last_change = time.monotonic()
        seen = len(self.lines)
        while True:
            time.sleep(0.1)
            self.poll()
            if self.proc is None:
                break
            now = time.monotonic()
            if len(self.lines) != seen:
                seen, last_change = len(self.lines), now
            if self.pending() and now - t0 < limit:  # events still on their way (later ones are late)
                last_change = now
                continue
            if now - last_change < QUIET_S:
                continue
            after, _ = snapshot(self.sb)
            viol, _known = model.check(self.rules, copy.deepcopy(ex), before, after)  # check() marks ex
            if not viol:  # the error log too: an entry is logged by the pass that reads its record
                viol = self.check_errors(ex, report=False)
            if not viol:
                matched = now
                recon_before_match = any(not p for _, p, _ in self.lines[mark:])
                break
            failing = viol
            last_change = now  # the next look after another quiet while
            if now - t0 > limit + 2 * self.interval:
                break
        self.hold(True)
        self.sb.clear_faults()
        if matched is not None:
            took = matched - t0
            self.stats["push_settled"] += 1
            self.stats["push_latencies"].append(took)
            if recon_before_match:
                self.stats["push_by_reconciliation"] += 1
            if took > limit:
                self.violate("push-late", f"the round's edits arrived {took:.1f} s after their events were "
                                          f"released: later than one reconciliation interval ({self.interval} s) "
                                          f"and a pass ({max(self.longest_pass, 0.5):.1f} s)")
        elif failing and self.verbose:
            print(f"    push: not settled as the model says after {time.monotonic() - t0:.1f} s: {failing[:2]}")
        if self.verbose and matched is not None and matched - t0 > limit:
            print(f"    push: pending at the end {json.dumps(getattr(self, 'last_pending', None))[:800]}")
        self.settled_mark = len(self.lines)
        return False

    def converged(self):
        """the next reconciliation pass, and every pass until it, writes nothing"""
        if self.proc is None:
            return
        self.wait_reconciliation(timeout=self.interval + 60)
        self.check_settled_quiet()
        self.stop_accord()
