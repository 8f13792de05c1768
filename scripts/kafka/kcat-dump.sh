#!/usr/bin/env bash
# Print every record of a topic as kcat (librdkafka, a reader independent of Kafka's Java client
# and of ours) reads it, one JSON object per line as `kcat -J` prints it ({"partition","offset",
# "ts","key","payload","headers"}, text as is, null kept), up to the end of each partition.
# Installs Debian's kcat when it is missing and we are root (KWP_NO_APT=1 turns that off), as
# scripts/fixtures/tools.sh does.
#
#   scripts/kafka/kcat-dump.sh 4 demo
set -euo pipefail
# shellcheck source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

usage="usage: kcat-dump.sh 3.9|4 TOPIC"
resolve_line "${1:?$usage}"
topic="${2:?$usage}"
case "$topic" in *[!a-zA-Z0-9._-]*) die "topic '$topic' may hold only letters, digits, '.', '_' and '-'" ;; esac
set_paths
broker_pid >/dev/null || die "Kafka $KWP_VERSION is not running (scripts/kafka/start.sh $KWP_LINE)"
set_ports "$(running_port_base)"
apt_provide kcat kcat
command -v kcat >/dev/null 2>&1 || die "kcat not found (Debian: apt-get install kcat)"
exec kcat -C -b "$KWP_HOST:$KWP_PORT_PLAINTEXT" -t "$topic" -o beginning -e -q -J
