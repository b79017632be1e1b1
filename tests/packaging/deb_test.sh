#!/usr/bin/env bash
# The Debian package: `cpack -G DEB` from the build, then
#  - dpkg-deb -I: name, version, and Depends (dpkg-shlibdeps' libraries plus tzdata);
#  - every library the binary names (NEEDED) belongs (dpkg -S) to a package named in Depends, and
#    every library `ldd` resolves to a package reached from Depends through the installed
#    packages' own Depends;
#  - `dpkg --root ROOT -i` into a fresh folder whose dpkg database is a copy of this machine's
#    status file: dpkg itself checks Depends against the packages installed here, and the same
#    install into a root whose status lacks tzdata must fail on the dependency;
#  - the binary installed there runs --version, and check and test of a copy of the example, from
#    the installed files only (nothing below the source or build tree opened, checked by strace).
# Not tested here: installing with apt on a clean Debian (no network at test time; the Dockerfile's
# runtime stage does that), lintian, maintainer scripts (the package has none).
#   deb_test.sh BUILD_DIR SOURCE_DIR
set -u
source "$(dirname "$0")/testlib.sh"
trees "$1" "$2"

for tool in cpack dpkg-deb dpkg-shlibdeps; do
  command -v $tool >/dev/null || { echo "FAIL: $tool is not installed (scripts/install-deps installs dpkg-dev)"; exit 1; }
done
cpack -G DEB --config "$BUILD/CPackConfig.cmake" -B "$tmp/pkg" >"$tmp/cpack.log" 2>&1 || { cat "$tmp/cpack.log"; exit 1; }
deb=$(ls "$tmp"/pkg/accord_*.deb)
echo "built $(basename "$deb") ($(du -k "$deb" | cut -f1) KiB)"
dpkg-deb -I "$deb" >"$tmp/info"
dpkg-deb -f "$deb"
field() { sed -n "s/^ $1: //p" "$tmp/info"; }
check "Package: accord" test "$(field Package)" = accord
version=$(sed -n 's/^project(accord VERSION \([0-9.]*\).*/\1/p' "$SRC/CMakeLists.txt")
check "Version: $version" test "$(field Version)" = "$version"
depends=$(field Depends)
# package names in Depends, alternatives included, without versions
dep_names=$(tr ',|' '\n\n' <<<"$depends" | sed -E 's/\(.*\)//; s/^ *//; s/ *$//' | sort -u)
check "Depends names tzdata (the time zone files runtime/tz.cc reads)" grep -qx tzdata <<<"$dep_names"
check "Depends names libc6 (from dpkg-shlibdeps)" grep -qx libc6 <<<"$dep_names"

mkdir -p "$tmp/x"
dpkg-deb -x "$deb" "$tmp/x"
check "usr/bin/accord in the package" test -x "$tmp/x/usr/bin/accord"
check "the binary is stripped" bash -c "! readelf -S '$tmp/x/usr/bin/accord' | grep -q debug_info"
check "the man pages are in the package" test -f "$tmp/x/usr/share/man/man1/accord-check.1"
LC_ALL=C ldd "$tmp/x/usr/bin/accord" >"$tmp/ldd"
check "ldd resolves every library" bash -c "! grep -q 'not found' '$tmp/ldd'"
owner_of() {  # the package owning a library path (tried as given, /usr-merged and real)
  local p q o
  for p in "$1" "$(readlink -f "$1")"; do
    for q in "$p" "${p#/usr}" "/usr${p}"; do
      o=$(dpkg -S "$q" 2>/dev/null | head -1 | cut -d: -f1)
      [ -n "$o" ] && echo "$o" && return 0
    done
  done
  echo none
}
# The libraries the binary names itself (NEEDED): each one's package is named in Depends (or
# provides a name there: libphonenumber8's shlibs names libphonenumber8-protobuf32), as
# dpkg-shlibdeps should have done. ldd's whole closure: each library's package is reached from
# Depends through the Depends/Pre-Depends/Provides of the packages installed here
# (/var/lib/dpkg/status), an oracle independent of dpkg-shlibdeps.
readelf -d "$tmp/x/usr/bin/accord" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p' >"$tmp/needed"
for lib in $(grep -oE '/[^ ]+\.so[^ ]*' "$tmp/ldd" | sort -u); do
  kind=indirect
  grep -qx "$(basename "$lib")" "$tmp/needed" && kind=NEEDED
  echo "$kind $(owner_of "$lib") $lib"
done >"$tmp/owners"
check "ldd shows every NEEDED library" test "$(grep -c '^NEEDED' "$tmp/owners")" -eq "$(wc -l <"$tmp/needed")"
python3 - "$tmp/owners" "$depends" >"$tmp/closure" <<'PY'
import re, sys
owners = [l.split(" ", 2) for l in open(sys.argv[1]).read().splitlines()]
deps, providers = {}, {}
def names(text):
    return {re.sub(r"\(.*\)", "", a).strip().split(":")[0] for a in re.split(r"[,|]", text) if a.strip()}
for stanza in open("/var/lib/dpkg/status", encoding="utf-8").read().split("\n\n"):
    f = dict(re.findall(r"^([A-Za-z-]+): (.*)$", stanza, re.M))
    if "Package" in f and "installed" in f.get("Status", ""):
        deps.setdefault(f["Package"], set()).update(names(f.get("Depends", "")) | names(f.get("Pre-Depends", "")))
        for v in names(f.get("Provides", "")):
            providers.setdefault(v, set()).add(f["Package"])
named = names(sys.argv[2])
direct = named | {p for v in named for p in providers.get(v, ())}
reached, todo = set(), list(named)
while todo:
    p = todo.pop()
    if p not in reached:
        reached.add(p)
        todo += deps.get(p, set()) | providers.get(p, set())
for kind, pkg, lib in owners:
    ok = pkg in (direct if kind == "NEEDED" else reached)
    print("ok" if ok else "MISSING", kind, pkg, lib)
PY
check "each NEEDED library's package is in Depends, each other library's is reached from them" \
  bash -c "[ \$(grep -c '^ok ' '$tmp/closure') -eq \$(wc -l <'$tmp/owners') ]"
grep -v '^ok ' "$tmp/closure"

# dpkg -i into a fresh root; its database lists the packages installed on this machine
fresh_root() {
  mkdir -p "$1/var/lib/dpkg/info" "$1/var/lib/dpkg/updates" "$1/var/lib/dpkg/triggers"
  cp /var/lib/dpkg/status "$1/var/lib/dpkg/status"
  : >"$1/var/lib/dpkg/available"
}
dpkg_root() { dpkg --root="$1" --log=/dev/null --force-not-root --force-script-chrootless "${@:2}"; }
fresh_root "$tmp/root"
dpkg_root "$tmp/root" -i "$deb" >"$tmp/dpkg.log" 2>&1
check "dpkg --root -i installs it" test $? -eq 0 || cat "$tmp/dpkg.log"
check "dpkg -s: install ok installed" bash -c "dpkg --root='$tmp/root' -s accord | grep -q 'install ok installed'"
fresh_root "$tmp/root2"
python3 - "$tmp/root2/var/lib/dpkg/status" <<'PY'
import sys
p = sys.argv[1]
stanzas = open(p, encoding="utf-8").read().split("\n\n")
open(p, "w", encoding="utf-8").write("\n\n".join(s for s in stanzas if not s.startswith("Package: tzdata\n")))
PY
dpkg_root "$tmp/root2" -i "$deb" >"$tmp/dpkg2.log" 2>&1
check "without tzdata, dpkg refuses on the dependency" grep -q "depends on tzdata" "$tmp/dpkg2.log"

mkdir "$tmp/home" "$tmp/work"
cp -r "$SRC/examples/salesforce-hubspot" "$tmp/work/rules"
cd "$tmp/work"
bin=$tmp/root/usr/bin/accord
run_installed "$tmp" "$bin" "$tmp/version" --version
check "packaged accord --version" grep -qE "^accord $version \(git " "$tmp/version.out"
run_installed "$tmp" "$bin" "$tmp/check" check rules
check "packaged accord check of the example exits 0" test $? -eq 0
run_installed "$tmp" "$bin" "$tmp/test" test rules
check "packaged accord test of the example passes" grep -qE '^[0-9]+ passed, 0 failed' "$tmp/test.out"
check "... opening nothing in the source or build tree" test -z "$(touched_trees "$tmp/check")$(touched_trees "$tmp/test")"
finish
