#!/usr/bin/env bash
# Read a whole topic with Kafka's own Java consumer (read_uncommitted, from the beginning to the
# end offsets of the moment) and print one JSON line per record, in partition then offset order:
#   {"partition":0,"offset":"0","timestamp":"1700000000000","key":"a2V5","value":null,"headers":[...]}
# (64-bit numbers as decimal strings, bytes as base64, absent as null). The independent reader of
# the producer's tests.
#
#   scripts/kafka/consume.sh 4 my-topic
set -euo pipefail
# shellcheck source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

usage="usage: consume.sh 3.9|4 TOPIC"
resolve_line "${1:?$usage}"
topic="${2:?$usage}"
case "$topic" in *[!a-zA-Z0-9._-]*) die "topic '$topic' may hold only letters, digits, '.', '_' and '-'" ;; esac
set_paths
broker_pid >/dev/null || die "Kafka $KWP_VERSION is not running (scripts/kafka/start.sh $KWP_LINE)"
set_ports "$(running_port_base)"
seeder_build
seeder_run consume "$KWP_HOST:$KWP_PORT_PLAINTEXT" "$topic"
