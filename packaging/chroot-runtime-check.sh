#!/usr/bin/env bash
# The Dockerfile's runtime stage without Docker, by hand (needs root and the Debian mirror; not in
# CI, which has neither the time nor the network): a minimal Debian 12 (debootstrap --variant=minbase,
# as debian:12-slim) in a folder, the .deb installed there with apt (which resolves its Depends
# on a clean system), the non-root user, then `accord --version`, `accord check` and `accord test`
# of the example as that user inside the chroot.
#   sudo packaging/chroot-runtime-check.sh build/accord_0.1.0_amd64.deb [DIR]   (make deb first)
set -euo pipefail
deb=$(readlink -f "$1")
dir=${2:-$(mktemp -d /var/tmp/accord-runtime.XXXXXX)}
src=$(cd "$(dirname "$0")/.." && pwd)
command -v debootstrap >/dev/null || apt-get install -y -q debootstrap
[ -x "$dir/usr/bin/apt-get" ] || debootstrap --variant=minbase bookworm "$dir" http://deb.debian.org/debian
cp "$deb" "$dir/tmp/accord.deb"
rm -rf "$dir/rules" && cp -r "$src/examples/salesforce-hubspot" "$dir/rules"
mount --bind /proc "$dir/proc"
trap 'umount "$dir/proc"' EXIT
# the runtime stage's RUN, as written in the Dockerfile
chroot "$dir" sh -c 'apt-get update -q && apt-get install -y -q --no-install-recommends /tmp/accord.deb \
  && rm -rf /var/lib/apt/lists/* /tmp/accord.deb && (id accord >/dev/null 2>&1 || useradd --create-home --uid 10001 --user-group accord)'
echo "== packages in the chroot: $(chroot "$dir" dpkg-query -W | wc -l); root file system $(du -sm --exclude=proc "$dir" | cut -f1) MB"
chroot --userspec=accord:accord "$dir" env HOME=/home/accord accord --version
chroot --userspec=accord:accord "$dir" env HOME=/home/accord accord check /rules
chroot --userspec=accord:accord "$dir" env HOME=/home/accord accord test /rules
echo "chroot runtime check passed in $dir"
