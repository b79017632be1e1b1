"""A client for `accord sandbox` shared by the end-to-end test and the connector
benchmarks: starts it on free loopback ports, calls its APIs and admin
endpoints, pauses fault injection around the caller's own calls."""
import json
import re
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request

API = "/services/data/v59.0"


def free_port():
    """a loopback port nobody listens on now (for accord's webhook receiver)"""
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


class Sandbox:
    def __init__(self, accord, token, seed=None, extra=()):
        self.token = token
        args = [accord, "sandbox", "--token", token] + (["--seed", seed] if seed else []) + list(extra)
        # stderr to a file: a pipe nobody reads could fill and stall the servers
        self.err = tempfile.TemporaryFile(mode="w+")
        self.proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=self.err, text=True)
        self.sf = self.hs = None
        self.fault_cfg = None
        self.resumes = 0
        deadline = time.time() + 30
        while time.time() < deadline and not (self.sf and self.hs):
            line = self.proc.stdout.readline()
            if not line:
                break
            m = re.match(r"(salesforce|hubspot):\s+(http://127\.0\.0\.1:\d+)", line)
            if m:
                setattr(self, "sf" if m.group(1) == "salesforce" else "hs", m.group(2))
        if not (self.sf and self.hs):
            self.stop()
            self.err.seek(0)
            raise SystemExit("the sandbox did not start: " + self.err.read())

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()

    def http(self, base, method, path, body=None, auth=True):
        """The test's own calls (edits, checks) never meet the faults meant for accord."""
        if auth and self.fault_cfg:
            self.admin(self.sf, "faults", {})
            self.admin(self.hs, "faults", {})
            try:
                return self._http(base, method, path, body, auth)
            finally:
                # a new seed on every resume: a reset sequence with the same seed would
                # replay the same few faults on the first requests after each pause
                self.resumes += 1
                self.admin(self.sf, "faults", dict(self.fault_cfg[0], seed=self.fault_cfg[0].get("seed", 0) + self.resumes))
                self.admin(self.hs, "faults", dict(self.fault_cfg[1], seed=self.fault_cfg[1].get("seed", 0) + self.resumes))
        return self._http(base, method, path, body, auth)

    def _http(self, base, method, path, body=None, auth=True):
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(base + path, data=data, method=method)
        req.add_header("Content-Type", "application/json")
        if auth:
            req.add_header("Authorization", "Bearer " + self.token)
        for attempt in range(20):
            try:
                with urllib.request.urlopen(req, timeout=30) as r:
                    text = r.read().decode()
                break
            except urllib.error.HTTPError as e:
                text = e.read().decode()
                if e.code == 429 and attempt < 19:  # the search limit (4/s) applies to this client too
                    time.sleep(float(e.headers.get("Retry-After") or 1))
                    continue
                raise RuntimeError(f"{method} {path}: {e.code} {text}")
        return json.loads(text) if text.strip() else None

    def admin(self, base, path, body=None):
        # the admin endpoints need the sandbox token too (and refuse other origins)
        return self._http(base, "POST" if body is not None else "GET", "/__sandbox/" + path, body)

    def soql(self, q):
        return self.http(self.sf, "GET", API + "/query?q=" + urllib.parse.quote(q))["records"]

    def hs_search(self, obj, prop, value):
        body = {"filterGroups": [{"filters": [{"propertyName": prop, "operator": "EQ", "value": value}]}],
                "properties": ["email", "firstname", "lastname", "jobtitle", "city", "phone", "lifecyclestage",
                               "salesforce_contact_id", "salesforce_lead_id", "dealstage", "dealname"],
                "limit": 10}
        return self.http(self.hs, "POST", f"/crm/v3/objects/{obj}/search", body)["results"]

    def faults(self, sf, hs):
        self.fault_cfg = (sf, hs) if (sf or hs) else None
        self.admin(self.sf, "faults", sf)
        self.admin(self.hs, "faults", hs)
