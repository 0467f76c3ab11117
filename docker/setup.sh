#!/bin/sh
# Set up this machine for kmatrix: Debian packages (as root) and the npm dependencies.
# Idempotent; the README's first command runs it.
set -eu
cd "$(dirname "$0")/.."
# packages.txt is the build image's list (host builds use it too); podman, runc and mmdebstrap are
# host tools that build and run that image (containerized builds, the default). chromium renders
# the HTML report in the tests (headless, never a downloaded browser).
pkgs="$(grep -v '^#' docker/packages.txt | tr '\n' ' ') linux-source-6.1 podman runc mmdebstrap chromium"
if [ "$(id -u)" = 0 ]; then
  missing=""
  for p in $pkgs; do dpkg -s "$p" >/dev/null 2>&1 || missing="$missing $p"; done
  if [ -n "$missing" ]; then
    echo "setup: installing$missing" >&2
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $missing >/dev/null
  fi
else
  for p in $pkgs; do
    dpkg -s "$p" >/dev/null 2>&1 || { echo "setup: missing Debian package $p; run as root or: sudo apt-get install $pkgs" >&2; exit 3; }
  done
fi
node -e 'const [M]=process.versions.node.split(".").map(Number); if (M<20) { console.error("setup: kmatrix needs Node.js >= 20, this is "+process.version); process.exit(3) }'
npm ci --no-audit --no-fund --loglevel=error
