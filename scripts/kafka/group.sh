#!/usr/bin/env bash
# Consumer groups seen and driven by Kafka's own Java clients, for the group-offset tests.
#   committed: the group's committed offsets as the Java Admin client reads them
#     (listConsumerGroupOffsets, require_stable), one JSON line per partition:
#     {"topic","partition","offset" (a decimal string),"leaderEpoch" (null if none),"metadata"}
#   member: a Java KafkaConsumer subscribed to TOPIC in GROUP with group.protocol PROTOCOL
#     (classic, or consumer for KIP-848, which only line 4 enables), for SECONDS or until its
#     stdin ends, then it leaves the group. Prints "assigned [...]" once it owns partitions.
#     Run from a script, keep its stdin open (with </dev/null it leaves at once).
#
#   scripts/kafka/group.sh 4 committed my-group
#   scripts/kafka/group.sh 4 member my-group demo consumer 30
set -euo pipefail
# shellcheck source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

usage="usage: group.sh 3.9|4 committed GROUP | group.sh 3.9|4 member GROUP TOPIC classic|consumer SECONDS"
resolve_line "${1:?$usage}"
mode="${2:?$usage}"
group="${3:?$usage}"
case "$mode" in
  committed) [ "$#" -eq 3 ] || die "$usage" ;;
  member)
    [ "$#" -eq 6 ] || die "$usage"
    case "$5" in classic|consumer) ;; *) die "$usage" ;; esac
    case "$6" in ''|*[!0-9]*) die "SECONDS '$6' is not a number" ;; esac
    ;;
  *) die "$usage" ;;
esac
set_paths
broker_pid >/dev/null || die "Kafka $KWP_VERSION is not running (scripts/kafka/start.sh $KWP_LINE)"
set_ports "$(running_port_base)"
seeder_build
seeder_run "$mode" "$KWP_HOST:$KWP_PORT_PLAINTEXT" "$group" "${@:4}"
