#!/usr/bin/env bash
# Make sure an HAProxy the replica tests can run in front of several proxy processes is
# installed, and print its path. On a Debian machine where we are root, a missing haproxy is
# installed with apt-get (KWP_NO_APT=1 turns that off); elsewhere set KWP_HAPROXY to an haproxy
# binary (2.x: the tests' configuration uses `http-check expect` and `timeout tunnel`).
#
#   scripts/setup-haproxy.sh   → /usr/sbin/haproxy
set -euo pipefail
# shellcheck source=kafka/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/kafka/lib.sh"

if [ -n "${KWP_HAPROXY:-}" ]; then
  [ -x "$KWP_HAPROXY" ] || die "KWP_HAPROXY=$KWP_HAPROXY is not an executable"
  printf '%s\n' "$KWP_HAPROXY"
  exit 0
fi
# Debian puts it in /usr/sbin, which a non-root PATH often lacks.
PATH="$PATH:/usr/sbin:/usr/local/sbin"
apt_provide haproxy haproxy
command -v haproxy >/dev/null 2>&1 || die "haproxy not found: install it (Debian: apt-get install haproxy) or set KWP_HAPROXY"
command -v haproxy
