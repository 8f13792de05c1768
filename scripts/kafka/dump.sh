#!/usr/bin/env bash
# Print every record of a topic as Kafka's own Java consumer reads it, one JSON object per line
# ({"partition","offset","timestamp","key","value","headers"}, bytes in base64, null kept), in
# partition and offset order, up to the end offsets taken when it starts. Tests use it as the
# independent reader behind "every record once" claims.
#
#   scripts/kafka/dump.sh 4 demo
#   scripts/kafka/dump.sh 4 txn read_committed
set -euo pipefail
# shellcheck source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

usage="usage: dump.sh 3.9|4 TOPIC [read_uncommitted|read_committed]"
resolve_line "${1:?$usage}"
topic="${2:?$usage}"
isolation="${3:-read_uncommitted}"
case "$topic" in *[!a-zA-Z0-9._-]*) die "topic '$topic' may hold only letters, digits, '.', '_' and '-'" ;; esac
case "$isolation" in read_uncommitted|read_committed) ;; *) die "$usage" ;; esac
set_paths
broker_pid >/dev/null || die "Kafka $KWP_VERSION is not running (scripts/kafka/start.sh $KWP_LINE)"
set_ports "$(running_port_base)"
seeder_build
seeder_run dump "$KWP_HOST:$KWP_PORT_PLAINTEXT" "$topic" "$isolation"
