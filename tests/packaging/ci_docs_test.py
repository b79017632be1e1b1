#!/usr/bin/env python3
"""docs/ci.md and action.yml, run (docs/ci.md "What the test runs" says what and what is stubbed).

A temporary git repository holds the example rules as rules/ on main, a bare clone as origin, and
a branch per scenario. The built accord is on PATH; apt-get and curl are stubs that record their
arguments; HOME is a temporary folder (the workflow's `git config --global` lands there). Only
local files: no network, no GitHub.

    ci_docs_test.py ACCORD SOURCE_DIR
"""
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

try:
    import yaml
except ImportError:
    print("FAIL: python3 has no yaml module (scripts/install-deps installs python3-yaml)")
    sys.exit(1)

ACCORD, SRC = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2])
passed = failed = 0


def check(ok, what, detail=""):
    global passed, failed
    if ok:
        passed += 1
    else:
        failed += 1
        print("FAIL:", what, detail)


tmp = tempfile.mkdtemp(prefix="ci_docs_test.")
repo, home, stubs, temp = (os.path.join(tmp, d) for d in ("repo", "home", "bin", "runner-temp"))
for d in (home, stubs, temp):
    os.makedirs(d)
os.symlink(ACCORD, os.path.join(stubs, "accord"))
STUB = """#!/bin/sh
# a stub: records its arguments; curl -o FILE also creates FILE
echo "$(basename "$0") $*" >> "{log}"
if [ "$(basename "$0")" = curl ]; then
  while [ $# -gt 0 ]; do [ "$1" = -o ] && : > "$2"; shift; done
fi
"""
calls_log = os.path.join(tmp, "calls.log")
for name in ("apt-get", "curl"):
    path = os.path.join(stubs, name)
    with open(path, "w") as f:
        f.write(STUB.format(log=calls_log))
    os.chmod(path, 0o755)

ENV = {
    "PATH": stubs + ":/usr/bin:/bin",
    "HOME": home,
    "LANG": "C.UTF-8",
    "ACCORD_JIT_CACHE": "off",
    "GIT_CONFIG_NOSYSTEM": "1",
    "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.invalid",
    "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.invalid",
    "RUNNER_TEMP": temp,
    "GITHUB_WORKSPACE": repo,
    "GITHUB_SERVER_URL": "https://github.com",
    "GITHUB_ACTION_PATH": SRC,
}


def sh(script, cwd=repo, env=None, shell=("bash", "--noprofile", "--norc", "-eo", "pipefail")):
    path = os.path.join(tmp, "step.sh")
    with open(path, "w") as f:
        f.write(script)
    return subprocess.run([*shell, path], cwd=cwd, env={**ENV, **(env or {})}, capture_output=True, text=True,
                          stdin=subprocess.DEVNULL)


def git(*args):
    subprocess.run(["git", *args], cwd=repo, env=ENV, check=True, capture_output=True)


# ---- the repository: main with the example, origin, and a branch per scenario ----
os.makedirs(repo)
git("init", "-q", "-b", "main")
shutil.copytree(os.path.join(SRC, "examples/salesforce-hubspot"), os.path.join(repo, "rules"))
git("add", "-A")
git("commit", "-q", "-m", "the example rules")
subprocess.run(["git", "clone", "-q", "--bare", repo, os.path.join(tmp, "origin.git")], env=ENV, check=True)
git("remote", "add", "origin", os.path.join(tmp, "origin.git"))
git("fetch", "-q", "origin")


def branch(name, old, new):
    git("checkout", "-q", "-B", name, "main")
    p = os.path.join(repo, "rules/syncs.accord")
    text = open(p, encoding="utf-8").read()
    assert old in text, old
    open(p, "w", encoding="utf-8").write(text.replace(old, new, 1))
    git("commit", "-q", "-am", name)


# ---- the docs' sh blocks ----
doc = open(os.path.join(SRC, "docs/ci.md"), encoding="utf-8").read()
blocks = re.findall(r"^```(\w*)\n(.*?)^```", doc, re.S | re.M)
branch("comment-only", "// Salesforce Contacts and HubSpot", "// Salesforce's Contacts and HubSpot")
sh_blocks = [b for lang, b in blocks if lang == "sh"]
check(len(sh_blocks) >= 4, f"docs/ci.md has its sh blocks ({len(sh_blocks)})")
for b in sh_blocks:
    shell = ("sh",) if b.startswith("#!/bin/sh") else ("bash", "-e")
    r = sh(b, shell=shell)
    check(r.returncode == 0, f"docs/ci.md block runs: {b.splitlines()[0]!r}", r.stdout + r.stderr)
check("no semantic change" in open(os.path.join(repo, "diff.md")).read().lower(), "the diff block wrote diff.md")
sarif = json.load(open(os.path.join(repo, "accord.sarif")))
check(sarif.get("version") == "2.1.0", "the sarif block wrote SARIF 2.1.0")

# ---- action.yml, run step by step ----
action = yaml.safe_load(open(os.path.join(SRC, "action.yml"), encoding="utf-8"))
check(action["runs"]["using"] == "composite", "action.yml is a composite action")
INPUTS = {k: str(v.get("default", "")) for k, v in action["inputs"].items()}


def lookup(ctx, dotted):
    cur = ctx
    for part in dotted.split("."):
        if not isinstance(cur, dict) or part not in cur:
            return ""
        cur = cur[part]
    return cur


def substitute(text, ctx):
    return re.sub(r"\$\{\{\s*(.*?)\s*\}\}", lambda m: str(lookup(ctx, m.group(1))), str(text))


def condition(expr, ctx):
    """GitHub's expression subset the action uses: names, 'strings', == != && ||."""
    py = re.sub(r"'[^']*'|&&|\|\||[A-Za-z_][\w.-]*",
                lambda m: {"&&": " and ", "||": " or "}.get(m.group(0), m.group(0) if m.group(0).startswith("'")
                                                         else repr(str(lookup(ctx, m.group(0))))), expr)
    return eval(py, {"__builtins__": {}})


GITHUB_SCRIPT = """
const fs = require('fs');
const calls = [];
const existing = JSON.parse(process.env.EXISTING_COMMENTS);
const github = {
  paginate: async (fn, args) => { calls.push(['list', args]); return existing; },
  rest: { issues: {
    listComments: () => {},
    createComment: async (a) => calls.push(['create', a]),
    updateComment: async (a) => calls.push(['update', a]),
  } },
};
const context = { repo: { owner: 'your-org', repo: 'rules' }, issue: { number: 7 } };
const AsyncFunction = Object.getPrototypeOf(async function () {}).constructor;
new AsyncFunction('github', 'context', 'require', fs.readFileSync(process.argv[2], 'utf8'))(github, context, require)
  .then(() => console.log(JSON.stringify(calls)), (e) => { console.error(e); process.exit(1); });
"""


def run_action(inputs, github, expect_fail=None, existing_comments=()):
    """Runs action.yml's steps; returns (ctx, comment calls). expect_fail: the step name that must fail."""
    ctx = {"inputs": {**INPUTS, **inputs}, "github": github, "steps": {}}
    comment_calls = []
    for step in action["runs"]["steps"]:
        name = step.get("name", step.get("uses"))
        if "if" in step and not condition(step["if"], ctx):
            continue
        env = {k: substitute(v, ctx) for k, v in step.get("env", {}).items()}
        if "run" in step:
            out = os.path.join(tmp, "github_output")
            open(out, "w").close()
            r = sh(substitute(step["run"], ctx), env={**env, "GITHUB_OUTPUT": out})
            outputs = dict(l.split("=", 1) for l in open(out).read().splitlines() if "=" in l)
            ctx["steps"][step.get("id", name)] = {"outputs": outputs}
            if r.returncode != 0:
                check(name == expect_fail, f"action step {name!r} passes", r.stdout + r.stderr)
                return ctx, comment_calls
            continue
        with_ = {k: substitute(v, ctx) for k, v in step.get("with", {}).items()}
        if step["uses"].startswith("github/codeql-action/upload-sarif@"):
            doc = json.load(open(with_["sarif_file"]))
            check(doc.get("version") == "2.1.0" and doc.get("runs"), "the SARIF upload gets SARIF 2.1.0")
            ctx["uploaded"] = doc
        elif step["uses"].startswith("actions/github-script@"):
            script = os.path.join(tmp, "script.js")
            open(script, "w").write(with_["script"])
            runner = os.path.join(tmp, "github_script.cjs")
            open(runner, "w").write(GITHUB_SCRIPT)
            r = subprocess.run(["node", runner, script], env={**ENV, **env, "EXISTING_COMMENTS": json.dumps(
                list(existing_comments))}, capture_output=True, text=True)
            check(r.returncode == 0, "the github-script step runs", r.stderr)
            comment_calls = json.loads(r.stdout or "[]")
        else:
            check(False, f"a stub for {step['uses']}")
    check(expect_fail is None, f"the step {expect_fail!r} fails")
    return ctx, comment_calls


PR = {"event_name": "pull_request", "base_ref": "main", "token": "t", "action_ref": "v0.1.0",
      "action_repository": "your-org/accord", "action_path": SRC}

# a pull request that changes a comment only: everything passes, one comment is created
ctx, calls = run_action({"install": "none"}, PR)
check(ctx["steps"].get("check", {}).get("outputs", {}).get("status") == "0", "check status 0 on the example")
check(ctx["steps"].get("diff", {}).get("outputs", {}).get("status") == "0", "diff status 0 on a comment change")
created = [c for c in calls if c[0] == "create"]
check(len(created) == 1 and created[0][1]["body"].startswith("<!-- accord-diff -->")
      and "no semantic change" in created[0][1]["body"].lower() and created[0][1]["issue_number"] == 7,
      "the diff is posted as a new comment", json.dumps(calls)[:300])
# the same with the marker comment already there: it is updated, not duplicated
ctx, calls = run_action({"install": "none"}, PR,
                        existing_comments=[{"id": 3, "body": "LGTM"}, {"id": 5, "body": "<!-- accord-diff -->\nold"}])
check([c[0] for c in calls] == ["list", "update"] and calls[1][1]["comment_id"] == 5,
      "a second push updates the comment", json.dumps(calls)[:300])
# a push (not a pull request): no diff step, no comment
ctx, calls = run_action({"install": "none"}, {**PR, "event_name": "push"})
check("diff" not in ctx["steps"] and not calls, "no diff outside a pull request")

# a pull request that breaks the rules: the SARIF upload happens, then `accord check` fails the job
branch("typo", "  FirstName      <-> firstname", "  FirstNme       <-> firstname")
ctx, calls = run_action({"install": "none"}, PR, expect_fail="accord check")
check(ctx["steps"]["check"]["outputs"].get("status") == "1", "check status 1 on an unknown field")
results = ctx.get("uploaded", {}).get("runs", [{}])[0].get("results", [])
check(any("FirstNme" in json.dumps(r) for r in results), "the uploaded SARIF has the finding")
# the same rules with check off: the diff reports errors first and exits 3, and the verdict step fails
ctx, calls = run_action({"install": "none", "check": "false", "test": "false"}, PR,
                        expect_fail="accord diff verdict")
check(ctx["steps"]["diff"]["outputs"].get("status") == "3", "diff status 3 when the new rules have errors")
check(calls and "does not check" in calls[-1][1]["body"], "the comment leads with the errors")

# install: deb downloads the release file CPack names accord_VERSION_ARCH.deb and installs it with apt
version = re.search(r"project\(accord VERSION ([0-9.]+)", open(os.path.join(SRC, "CMakeLists.txt")).read()).group(1)
arch = subprocess.run(["dpkg", "--print-architecture"], capture_output=True, text=True).stdout.strip()
git("checkout", "-q", "comment-only")
open(calls_log, "w").close()
ctx, _ = run_action({"install": "deb", "check": "false", "test": "false", "diff": "false"},
                    {**PR, "action_ref": f"v{version}"})
log = open(calls_log).read()
url = f"https://github.com/your-org/accord/releases/download/v{version}/accord_{version}_{arch}.deb"
check(f" {url}" in log, "install: deb downloads the release's .deb", log)
check(re.search(r"apt-get install .*accord\.deb", log), "install: deb installs it with apt-get", log)
# without a release version (the action used at a branch) it stops with a message
run_action({"install": "deb"}, {**PR, "action_ref": "main"}, expect_fail="Install accord")
run_action({"install": "bogus"}, PR, expect_fail="Install accord")

# ---- the workflow in docs/ci.md ----
workflows = [yaml.safe_load(b) for lang, b in blocks if lang == "yaml"]
wf = next(w for w in workflows if isinstance(w, dict) and "jobs" in w)
open(calls_log, "w").close()
git("checkout", "-q", "comment-only")
for step in wf["jobs"]["accord"]["steps"]:
    uses = step.get("uses", "")
    if "run" in step:
        r = sh(step["run"])
        check(r.returncode == 0, f"workflow step {step.get('name')!r} runs", r.stderr)
    elif uses.startswith("actions/checkout@"):
        check(step.get("with", {}).get("fetch-depth") == 0, "the checkout fetches all history for accord diff")
    elif "/accord@" in uses:
        unknown = set(step.get("with", {})) - set(action["inputs"])
        check(not unknown, f"the workflow's inputs exist in action.yml: {unknown}")
        ctx, calls = run_action({**{k: str(v) for k, v in step.get("with", {}).items()}, "install": "none"}, PR)
        check(any(c[0] == "create" for c in calls), "the workflow's action step posts the diff")
    else:
        check(False, f"the test knows the workflow step {uses}")
check("apt-get install" in open(calls_log).read(), "the workflow installs git with apt-get (stubbed)")
gitconfig = subprocess.run(["git", "config", "--global", "--get-all", "safe.directory"], env=ENV, capture_output=True,
                           text=True).stdout
check(repo in gitconfig.split(), "the safe.directory step wrote HOME's git config", gitconfig)

# ---- the pre-commit block ----
hooks = {h["id"]: h for h in yaml.safe_load(open(os.path.join(SRC, ".pre-commit-hooks.yaml")))}
precommit = next(w for w in workflows if isinstance(w, dict) and "repos" in w)
for hook in precommit["repos"][0]["hooks"]:
    check(hook["id"] in hooks, f"pre-commit hook {hook['id']} is declared")
    h = hooks.get(hook["id"], {})
    files = ["rules/" + f for f in sorted(os.listdir(os.path.join(repo, "rules"))) if f.endswith(".accord")]
    cmd = h.get("entry", "false").split() + (files if h.get("pass_filenames", True) else [])
    r = subprocess.run(cmd, cwd=repo, env=ENV, capture_output=True, text=True)
    check(r.returncode == 0, f"pre-commit hook {hook['id']} passes on the example", r.stdout + r.stderr)

shutil.rmtree(tmp)
print(f"{passed} passed, {failed} failed")
sys.exit(1 if failed else 0)
