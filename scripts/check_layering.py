#!/usr/bin/env python3
"""The layering check (CTest `layering_test`): reads every #include line of the
product sources and fails on an arrow ARCHITECTURE.md forbids.

The rules are the ```layers block of ARCHITECTURE.md ("Layers"), the one place
they are written. One rule a line:

    FROM !> TO [TO ...] [unless EXCEPT [EXCEPT ...]]

FROM, TO and EXCEPT are path prefixes: FROM and EXCEPT of the including file
(relative to the repository, `*` for every product file), TO of the included
name as written between the quotes or angle brackets ("compiler/ast/",
"llvm/", "antlr4-runtime.h"). A line starting with # is a comment.

Product sources: *.h, *.cc and *.def under the folders in PRODUCT_DIRS, tests
(*_test.cc, test_util.h) excepted.

    scripts/check_layering.py [REPO]             # exit 1 on a forbidden include
    scripts/check_layering.py [REPO] --rules     # print the rules as read
"""
import os
import re
import sys

PRODUCT_DIRS = ("base", "compiler", "runtime", "jit", "sandbox", "cli", "stdlib")
EXTENSIONS = (".h", ".cc", ".def")
INCLUDE = re.compile(r'^\s*#\s*include\s*([<"])([^>"]+)[>"]')


def read_rules(architecture):
    rules = []
    in_block = False
    with open(architecture, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            s = line.strip()
            if not in_block:
                in_block = s == "```layers"
                continue
            if s == "```":
                in_block = False
                continue
            if not s or s.startswith("#"):
                continue
            words = s.split()
            if len(words) < 3 or words[1] != "!>":
                sys.exit(f"{architecture}:{n}: not a rule (FROM !> TO... [unless EXCEPT...]): {s}")
            rest = words[2:]
            unless = []
            if "unless" in rest:
                i = rest.index("unless")
                rest, unless = rest[:i], rest[i + 1:]
            if not rest:
                sys.exit(f"{architecture}:{n}: a rule without a TO: {s}")
            rules.append((n, words[0], rest, unless))
    if not rules:
        sys.exit(f"{architecture}: no ```layers block with rules")
    return rules


def product_files(repo):
    for top in PRODUCT_DIRS:
        for root, dirs, files in os.walk(os.path.join(repo, top)):
            dirs.sort()
            for name in sorted(files):
                if not name.endswith(EXTENSIONS) or name.endswith("_test.cc") or name == "test_util.h":
                    continue
                yield os.path.relpath(os.path.join(root, name), repo)


def main(argv):
    args = [a for a in argv[1:] if not a.startswith("--")]
    repo = args[0] if args else os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
    rules = read_rules(os.path.join(repo, "ARCHITECTURE.md"))
    if "--rules" in argv:
        for n, frm, to, unless in rules:
            print(f"ARCHITECTURE.md:{n}: {frm} !> {' '.join(to)}" + (f" unless {' '.join(unless)}" if unless else ""))
        return 0
    bad = 0
    checked = 0
    for path in product_files(repo):
        checked += 1
        with open(os.path.join(repo, path), encoding="utf-8", errors="replace") as f:
            for ln, line in enumerate(f, 1):
                m = INCLUDE.match(line)
                if not m:
                    continue
                included = m.group(2)
                for n, frm, to, unless in rules:
                    if frm != "*" and not path.startswith(frm):
                        continue
                    if any(path.startswith(e) for e in unless):
                        continue
                    hit = next((t for t in to if included.startswith(t)), None)
                    # a folder's own files may include each other
                    if hit and not included.startswith(os.path.dirname(path) + "/"):
                        print(f"{path}:{ln}: includes {included}: forbidden by ARCHITECTURE.md:{n} "
                              f"({frm} !> {hit})")
                        bad += 1
    if bad:
        print(f"layering: {bad} forbidden include(s) in {checked} files (rules: ARCHITECTURE.md, \"Layers\")")
        return 1
    print(f"layering: {checked} files, {len(rules)} rules, no forbidden include")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
