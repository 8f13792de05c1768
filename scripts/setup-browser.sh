#!/usr/bin/env bash
# Make sure a Chromium the end-to-end tests can drive is installed, and print its path.
# Browser downloads (Playwright's own builds) are not possible on CI machines here, so the tests
# drive Debian's `chromium` package through playwright-core. On a Debian machine where we are
# root, a missing chromium is installed with apt-get (KWP_NO_APT=1 turns that off); elsewhere
# set KWP_CHROMIUM to a Chromium or Chrome binary.
#
#   scripts/setup-browser.sh   → /usr/bin/chromium
set -euo pipefail
# shellcheck source=kafka/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/kafka/lib.sh"

if [ -n "${KWP_CHROMIUM:-}" ]; then
  [ -x "$KWP_CHROMIUM" ] || die "KWP_CHROMIUM=$KWP_CHROMIUM is not an executable"
  printf '%s\n' "$KWP_CHROMIUM"
  exit 0
fi
apt_provide chromium chromium
for c in chromium chromium-browser google-chrome; do
  if command -v "$c" >/dev/null 2>&1; then
    command -v "$c"
    exit 0
  fi
done
die "chromium not found: install it (Debian: apt-get install chromium) or set KWP_CHROMIUM"
