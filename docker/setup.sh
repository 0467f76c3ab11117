#!/bin/sh
# Set up this machine for kmatrix: Debian packages (as root) and the npm dependencies.
# Idempotent; the README's first command runs it.
set -eu
cd "$(dirname "$0")/.."
# packages.txt is the build image's list (host builds use it too); podman, runc and mmdebstrap are
# host tools that build and run that image (containerized builds, the default). chromium renders
# the HTML report in the tests (headless, never a downloaded browser); rsync moves gitlab-ci-local's
# artifacts and caches (the end-to-end GitLab pipeline test).
pkgs="$(grep -v '^#' docker/packages.txt | tr '\n' ' ') linux-source-6.1 podman runc mmdebstrap chromium rsync"
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
# kmatrix itself runs on Node ^20.5 || >=22 (package.json engines); the test tools need more: vitest 4
# runs on vite 7+, which needs ^20.19 || >=22.12.
node -e 'const [M,m]=process.versions.node.split(".").map(Number); if (M<20 || (M===20 && m<19) || M===21 || (M===22 && m<12)) { console.error("setup: the tests need Node.js ^20.19 or >=22.12 (vitest 4), this is "+process.version); process.exit(3) }'
npm ci --no-audit --no-fund --loglevel=error
npm run build
