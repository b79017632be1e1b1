#!/usr/bin/env python3
"""The man pages and shell completions the build generates (cli/docgen.cc) cover the CLI that
--help shows: every verb (nested ones too), every option and positional of each, and every value
of an option with a fixed set. The list is read from `accord --help` and `accord VERB --help`,
never written down here. The pages render with groff without a warning; the bash completion is
run (COMP_WORDS/COMPREPLY), the fish one through `fish -c 'complete -C ...'` and the zsh one in an
interactive zsh in a pseudo-terminal (zsh/zpty), where those shells are installed
(scripts/install-deps installs them).

    cli_docs_test.py ACCORD SHARE_DIR    (SHARE_DIR: build/share, with man1/ and completions/)
"""
import os
import re
import shutil
import subprocess
import sys

ACCORD, SHARE = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2])
passed = failed = 0


def check(ok, what, detail=""):
    global passed, failed
    if ok:
        passed += 1
    else:
        failed += 1
        print("FAIL:", what, detail)


def help_of(words):
    """(options, positionals, subcommands) of `accord WORDS --help`: options as lists of names
    with the value's choices, e.g. (['--format'], ['text', 'json', 'sarif'])."""
    text = subprocess.run([ACCORD, *words, "--help"], capture_output=True, text=True, check=True).stdout
    options, positionals, subs, section = [], [], [], None
    for line in text.splitlines():
        if re.match(r"^(Options|Positionals|Subcommands):$", line):
            section = line[:-1]
            continue
        if not line.strip():
            section = None  # a blank line ends a section; the footer follows the last one
            continue
        m = re.match(r"^  (\S+)(?: (\S+))?", line)
        if not m or line.startswith("   "):
            continue
        if section == "Options":
            names = m.group(1).split(",")
            choices = re.search(r":\{([^}]*)\}", m.group(2) or "")
            options.append((names, choices.group(1).split(",") if choices else []))
        elif section == "Positionals":
            positionals.append(m.group(1))
        elif section == "Subcommands":
            subs.append(m.group(1))
    return options, positionals, subs


def verbs(words=()):
    """Every verb below `accord WORDS` as a tuple of words, with its help."""
    options, positionals, subs = help_of(list(words))
    out = [(tuple(words), options, positionals, subs)]
    for s in subs:
        out += verbs((*words, s))
    return out


def roff_text(path):
    with open(path, encoding="utf-8") as f:
        text = f.read()
    return re.sub(r"\\f[BIR]", "", text).replace("\\-", "-").replace("\\e", "\\")


tree = verbs()
top_subs = tree[0][3]
check(len(top_subs) >= 10, f"accord --help lists the verbs (found {top_subs})")
man_dir = os.path.join(SHARE, "man1")
comp_dir = os.path.join(SHARE, "completions")

# ---- man pages ----
main_page = roff_text(os.path.join(man_dir, "accord.1"))
for words, options, positionals, subs in tree:
    if not words:
        for v in subs:
            check(f"accord-{v} (1)" in main_page, f"accord.1 names accord-{v}(1)")
        for names, _ in options:
            for n in names:
                check(n in main_page, f"accord.1 has {n}")
        continue
    page_file = os.path.join(man_dir, f"accord-{words[0]}.1")
    if not os.path.exists(page_file):
        check(False, f"{page_file} exists")
        continue
    page = roff_text(page_file)
    check(f"accord {' '.join(words)}" in page, f"accord-{words[0]}.1 shows `accord {' '.join(words)}`")
    for names, choices in options:
        for n in names:
            check(re.search(r"(^|[\s,])" + re.escape(n) + r"($|[\s,])", page, re.M),
                  f"accord-{words[0]}.1 has {n} of `{' '.join(words)}`")
        for c in choices:
            check(c in page, f"accord-{words[0]}.1 has the value {c} of {names[-1]}")
    for p in positionals:
        check(p in page, f"accord-{words[0]}.1 has the positional {p}")
pages = sorted(f for f in os.listdir(man_dir) if f.endswith(".1"))
check(pages == sorted(["accord.1"] + [f"accord-{v}.1" for v in top_subs]),
      f"one page per verb, no other: {pages}")

groff = shutil.which("groff")
if groff:
    for p in pages:
        r = subprocess.run([groff, "-man", "-Tutf8", "-ww", "-z", os.path.join(man_dir, p)],
                           capture_output=True, text=True)
        check(r.returncode == 0 and r.stderr == "", f"groff -man -ww renders {p} without warnings: {r.stderr}")
else:
    print("skip: groff is not installed (the pages are not rendered)")

# ---- bash: run the completion function ----
bash_file = os.path.join(comp_dir, "accord")


def bash_complete(words):
    """COMPREPLY for the command line `accord WORDS` with the cursor on the last word."""
    script = (f'source "{bash_file}"\nCOMP_WORDS=(accord ' + " ".join(f"'{w}'" for w in words) + ")\n"
              f"COMP_CWORD={len(words)}\n_accord\nprintf '%s\\n' \"${{COMPREPLY[@]}}\"\n")
    r = subprocess.run(["bash", "-c", script], capture_output=True, text=True, cwd="/")
    return set(r.stdout.split())


for words, options, positionals, subs in tree:
    got = bash_complete([*words, "-"])
    for names, choices in options:
        for n in names:
            check(n in got, f"bash completes {n} after `accord {' '.join(words)}`")
        for n in names:
            if choices:
                check(set(choices) <= bash_complete([*words, n, ""]),
                      f"bash completes the values of `accord {' '.join(words)} {n}`")
    if subs:
        check(set(subs) <= bash_complete([*words, ""]), f"bash completes the verbs after `accord {' '.join(words)}`")
check(bash_complete(["ch"]) == {"check"}, "bash: `accord ch` completes to check")

# ---- fish ----
fish_file = os.path.join(comp_dir, "accord.fish")
fish = shutil.which("fish")
if fish:
    def fish_complete(line):
        r = subprocess.run([fish, "--no-config", "-c", f'source "{fish_file}"; complete -C "{line}"'],
                           capture_output=True, text=True)
        return {l.split("\t")[0] for l in r.stdout.splitlines()}

    for words, options, positionals, subs in tree:
        got = fish_complete("accord " + " ".join((*words, "-")))
        for names, choices in options:
            for n in names:
                # fish folds -h into the short flags it lists; the long name is what counts
                check(n in got or (len(n) == 2 and len(names) > 1),
                      f"fish completes {n} after `accord {' '.join(words)}`")
            if choices:
                check(set(choices) <= fish_complete("accord " + " ".join((*words, names[-1], ""))),
                      f"fish completes the values of `accord {' '.join(words)} {names[-1]}`")
        if subs:
            check(set(subs) <= fish_complete("accord " + " ".join((*words, ""))),
                  f"fish completes the verbs after `accord {' '.join(words)}`")
else:
    text = open(fish_file, encoding="utf-8").read()
    print("skip: fish is not installed (its completion is checked as text only)")
    for words, options, _, _ in tree:
        for names, _ in options:
            check(any(f"-l {n[2:]}" in text for n in names if n.startswith("--")) or not words,
                  f"accord.fish has {names} of `{' '.join(words)}`")

# ---- zsh ----
zsh_file = os.path.join(comp_dir, "_accord")
zsh_text = open(zsh_file, encoding="utf-8").read()
for words, options, positionals, subs in tree:
    for names, choices in options:
        for n in names:
            check(n in zsh_text, f"_accord has {n}")
        if choices:
            check(f"({' '.join(choices)})" in zsh_text, f"_accord offers the values of {names[-1]}")
    for s in subs:
        check(f"'{s}:" in zsh_text, f"_accord describes the verb {s}")
# zsh completes only in an interactive shell: one runs in a pseudo-terminal (zsh/zpty) with compinit
# and the generated _accord on fpath; a wrapped compadd prints each candidate it is given.
ZSH_CAPTURE = r"""
zmodload zsh/zpty
zpty z zsh -f -i
zpty -w z 'PS1=""; fpath=(%s $fpath); autoload -Uz compinit; compinit -u -D'
zpty -w z 'compadd () { builtin compadd -O __hits "$@"; print -l -- "" "<<${^__hits[@]}>>"; builtin compadd "$@" }'
zpty -w z "$1"$'\t'
local out="" chunk
integer idle=0 i
# read until the candidates have come and nothing more follows (at most 4 s)
for (( i = 0; i < 80; i++ )); do
  if zpty -rt z chunk; then out+=$chunk; idle=0; else sleep 0.05; (( idle++ )); fi
  [[ $out == *$'\n<<'[^\$]* ]] && (( idle >= 4 )) && break
done
print -r -- "$out"
zpty -d z
"""
zsh = shutil.which("zsh")
if zsh:
    r = subprocess.run([zsh, "-n", zsh_file], capture_output=True, text=True)
    check(r.returncode == 0 and r.stderr == "", f"zsh -n _accord: {r.stderr}")
    capture = os.path.join(SHARE, "zsh_capture.zsh")
    with open(capture, "w") as f:
        f.write(ZSH_CAPTURE % comp_dir)

    def zsh_complete(line):
        r = subprocess.run([zsh, "-f", capture, line], capture_output=True, text=True, timeout=30,
                           env={"PATH": os.environ.get("PATH", ""), "HOME": SHARE, "TERM": "xterm"})
        return set(re.findall(r"<<([^>\s]+)>>", r.stdout))

    for words, options, positionals, subs in tree:
        got = zsh_complete("accord " + " ".join((*words, "-")))
        for names, choices in options:
            for n in names:
                check(n in got, f"zsh completes {n} after `accord {' '.join(words)}`", sorted(got)[:8])
        if subs:
            check(set(subs) <= zsh_complete("accord " + " ".join((*words, ""))),
                  f"zsh completes the verbs after `accord {' '.join(words)}`")
    check({"text", "json", "sarif"} <= zsh_complete("accord check --format "), "zsh completes check --format's values")
    os.remove(capture)
else:
    print("skip: zsh is not installed (_accord is checked as text only)")

print(f"{passed} passed, {failed} failed")
sys.exit(1 if failed else 0)
