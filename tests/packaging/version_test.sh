#!/usr/bin/env bash
# accord --version: "accord VERSION (git REVISION)" with the project version and the source tree's
# revision; cmake/git_revision.cmake falls back to "unknown" without a .git and honours an override.
#   version_test.sh ACCORD SOURCE_DIR PROJECT_VERSION
set -u
accord=$1 src=$2 version=$3
source "$(dirname "$0")/testlib.sh"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

out=$("$accord" --version)
echo "accord --version: $out"
check "the form is 'accord $version (git REV)'" grep -Eq "^accord ${version//./\\.} \(git [A-Za-z0-9._+-]+\)$" <<<"$out"
if git -C "$src" rev-parse HEAD >/dev/null 2>&1; then
  # the build may predate the last commit; the revision must be a commit of this repository
  rev=$(sed -E 's/.*\(git (.*)\)$/\1/' <<<"$out")
  hash=$(sed -E 's/-dirty$//; s/.*-g([0-9a-f]+)$/\1/' <<<"$rev")
  check "the revision $rev names a commit of $src" git -C "$src" cat-file -e "$hash^{commit}"
else
  echo "skip: $src is not a git checkout"
fi

script=$src/cmake/git_revision.cmake
mkdir "$tmp/nogit"
cmake -DSOURCE_DIR="$tmp/nogit" -DOUT="$tmp/a.cc" -P "$script"
check "no .git: unknown" grep -q 'kGitRevision\[\] = "unknown";' "$tmp/a.cc"
cmake -DSOURCE_DIR="$tmp/nogit" -DOUT="$tmp/b.cc" -DREVISION=v0.1.0-tarball -P "$script"
check "an explicit revision wins" grep -q 'kGitRevision\[\] = "v0.1.0-tarball";' "$tmp/b.cc"
git -C "$tmp/nogit" init -q && git -C "$tmp/nogit" -c user.email=t@t -c user.name=t commit -q --allow-empty -m one
cmake -DSOURCE_DIR="$tmp/nogit" -DOUT="$tmp/c.cc" -P "$script"
check "a git checkout: its short hash" grep -q "kGitRevision\[\] = \"$(git -C "$tmp/nogit" rev-parse --short=12 HEAD)\";" "$tmp/c.cc"
touch -d '2000-01-01' "$tmp/c.cc"
cmake -DSOURCE_DIR="$tmp/nogit" -DOUT="$tmp/c.cc" -P "$script"
check "an unchanged revision leaves the file alone (no relink)" test "$(date -r "$tmp/c.cc" +%Y)" = 2000

finish
