#!/usr/bin/env python3
"""The Dockerfile, checked where Docker cannot run (README "Install" says what is and is not checked):

- dockerfile-utils (npm, pinned in packaging/lint/package-lock.json; the linter of VS Code's Docker
  support) reports nothing: no syntax error, no unknown instruction, no warning;
- two stages: `debian:12 AS build` runs scripts/install-deps, builds targets that exist and packages
  with CPack; `debian:12-slim AS runtime` copies that .deb and installs it with apt and nothing else,
  so its packages are exactly the .deb's Depends (resolved by apt); a non-root USER after the last
  RUN; ENTRYPOINT accord, so `docker run IMAGE check /rules` runs `accord check /rules`;
- every COPY source exists in the repository and is not excluded by .dockerignore; .git, build
  trees and node_modules are excluded.

    dockerfile_test.py SOURCE_DIR
"""
import fnmatch
import json
import os
import re
import shlex
import subprocess
import sys

SRC = os.path.abspath(sys.argv[1])
passed = failed = 0


def check(ok, what, detail=""):
    global passed, failed
    if ok:
        passed += 1
    else:
        failed += 1
        print("FAIL:", what, detail)


dockerfile = os.path.join(SRC, "Dockerfile")
text = open(dockerfile, encoding="utf-8").read()

# ---- the linter ----
lint_dir = os.path.join(SRC, "packaging/lint")
linter = os.path.join(lint_dir, "node_modules/.bin/dockerfile-utils")
if not os.path.exists(linter):
    subprocess.run(["npm", "ci", "--no-audit", "--no-fund", "--loglevel=error"], cwd=lint_dir,
                   stdin=subprocess.DEVNULL)
if os.path.exists(linter):
    r = subprocess.run([linter, "lint", dockerfile], capture_output=True, text=True)
    check(r.returncode == 0 and not r.stdout.strip(), "dockerfile-utils lint reports nothing", r.stdout + r.stderr)
else:
    print("skip: dockerfile-utils is not installed (npm ci in packaging/lint failed); structure checks only")

# ---- instructions: continuation lines joined, comments dropped ----
instructions = []
for line in re.sub(r"\\\n", " ", text).splitlines():
    if line.strip() and not line.lstrip().startswith("#"):
        word, _, rest = line.strip().partition(" ")
        instructions.append((word.upper(), rest.strip()))
stages = []
for word, rest in instructions:
    if word == "FROM":
        stages.append({"from": rest, "steps": []})
    else:
        check(bool(stages), f"{word} comes after a FROM")
        stages[-1]["steps"].append((word, rest))
check([s["from"] for s in stages] == ["debian:12 AS build", "debian:12-slim AS runtime"],
      "two stages: debian:12 AS build, debian:12-slim AS runtime", str([s["from"] for s in stages]))
build, runtime = (stages + [{"steps": []}, {"steps": []}])[:2]


def runs(stage):
    return " && ".join(rest for word, rest in stage["steps"] if word == "RUN")


# ---- COPY sources exist and are in the build context ----
ignore = [l.strip() for l in open(os.path.join(SRC, ".dockerignore")).read().splitlines()
          if l.strip() and not l.startswith("#")]
for pattern in (".git", "build*/", "**/node_modules"):
    check(pattern in ignore, f".dockerignore excludes {pattern}")


def ignored(path):
    return any(fnmatch.fnmatch(path, p.rstrip("/")) or fnmatch.fnmatch(path.split("/")[0], p.rstrip("/"))
               for p in ignore)


for stage in stages:
    for word, rest in stage["steps"]:
        if word not in ("COPY", "ADD"):
            continue
        args = shlex.split(rest)
        check(word == "COPY", "COPY, not ADD")
        if any(a.startswith("--from=") for a in args):
            continue
        for source in [a for a in args if not a.startswith("--")][:-1]:
            path = os.path.normpath(os.path.join(SRC, source))
            check(os.path.exists(path), f"COPY source {source} exists")
            check(source == "." or not ignored(source), f"COPY source {source} is not excluded by .dockerignore")

# ---- the build stage ----
build_runs = runs(build)
check("scripts/install-deps" in build_runs, "the build stage installs with scripts/install-deps")
check(os.access(os.path.join(SRC, "scripts/install-deps"), os.X_OK), "scripts/install-deps is executable")
check("cpack -G DEB" in build_runs, "the build stage packages with cpack -G DEB")
cmake_text = "".join(open(os.path.join(d, f), encoding="utf-8").read()
                     for d, _, fs in os.walk(SRC) if "/build" not in d and "node_modules" not in d
                     for f in fs if f == "CMakeLists.txt" or f.endswith(".cmake"))
m = re.search(r"--target ((?:[\w-]+ ?)+)", build_runs)
for target in (m.group(1).split() if m else []):
    check(re.search(r"add_(executable|custom_target|library)\(" + re.escape(target) + r"\b", cmake_text),
          f"the build stage's target {target} exists")
for option in re.findall(r"-D(ACCORD_\w+)=", build_runs):
    check(re.search(r"(option|set)\(" + option + r"\b", cmake_text), f"the cache variable {option} exists")
deb_out = re.search(r"mv accord_\*\.deb (\S+)", build_runs)
check(deb_out and "DEB-DEFAULT" in cmake_text, "the build stage moves CPack's accord_VERSION_ARCH.deb")

# ---- the runtime stage ----
copies = [shlex.split(rest) for word, rest in runtime["steps"] if word == "COPY"]
check(len(copies) == 1 and copies[0][0] == "--from=build" and deb_out and copies[0][1] == deb_out.group(1),
      "the runtime stage copies only the .deb from the build stage", str(copies))
runtime_runs = runs(runtime)
installs = re.findall(r"apt-get install ([^&;]*)", runtime_runs)
packages = [w for i in installs for w in i.split() if not w.startswith("-")]
check(copies and packages == [copies[0][2]],
      "the runtime stage installs the .deb and nothing else (its packages are the .deb's Depends)", str(packages))
check("--no-install-recommends" in runtime_runs, "without Recommends")
check("rm -rf /var/lib/apt/lists" in runtime_runs, "apt lists removed")
steps = runtime["steps"]
users = [i for i, (w, _) in enumerate(steps) if w == "USER"]
last_run = max((i for i, (w, _) in enumerate(steps) if w == "RUN"), default=-1)
check(users and users[-1] > last_run and steps[users[-1]][1] not in ("root", "0"),
      "a non-root USER after the last RUN")
check(re.search(r"useradd\b.*\b" + re.escape(steps[users[-1]][1] if users else "?") + r"\b", runtime_runs),
      "that user is created")
entry = [rest for w, rest in steps if w == "ENTRYPOINT"]
check(entry and json.loads(entry[-1]) == ["accord"], "ENTRYPOINT [\"accord\"] (docker run IMAGE check /rules)")

print(f"{passed} passed, {failed} failed")
sys.exit(1 if failed else 0)
