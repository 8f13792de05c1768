#!/usr/bin/env bash
# Make sure a topic exists on a running broker line, with PARTITIONS partitions
# (default 1), replication 1, every replica on node 1, and the topic configs given as NAME=VALUE
# (applied when this call creates it). Prints "created" or "exists". Idempotent; fails when the
# topic exists with another partition count.
# With --delete: delete it, returning once the controller no longer lists it. Prints "deleted" or
# "absent". Idempotent.
#
#   scripts/kafka/topic.sh 4 demo 3
#   scripts/kafka/topic.sh 4 small-records 1 max.message.bytes=2000
#   scripts/kafka/topic.sh 4 --delete demo
set -euo pipefail
# shellcheck source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

usage="usage: topic.sh 3.9|4 TOPIC [PARTITIONS [NAME=VALUE...]] | topic.sh 3.9|4 --delete TOPIC"
resolve_line "${1:?$usage}"
mode=create
if [ "${2:-}" = "--delete" ]; then
  mode=delete
  shift
fi
topic="${2:?$usage}"
partitions="${3:-1}"
configs=("${@:4}")
for c in "${configs[@]}"; do
  case "$c" in [a-z]*=*) ;; *) die "topic config '$c' is not NAME=VALUE" ;; esac
done
# Kafka's own rule for topic names (Topic.validate): 1-249 of [a-zA-Z0-9._-].
case "$topic" in *[!a-zA-Z0-9._-]*) die "topic '$topic' may hold only letters, digits, '.', '_' and '-'" ;; esac
[ "${#topic}" -le 249 ] || die "topic name longer than 249 characters"
case "$partitions" in ''|*[!0-9]*|0*) die "partitions '$partitions' is not a positive number" ;; esac
[ "$mode" = create ] || [ "$#" -le 2 ] || die "$usage"
set_paths
broker_pid >/dev/null || die "Kafka $KWP_VERSION is not running (scripts/kafka/start.sh $KWP_LINE)"
set_ports "$(running_port_base)"
seeder_build
if [ "$mode" = delete ]; then
  seeder_run delete "$KWP_HOST:$KWP_PORT_PLAINTEXT" "$topic"
else
  seeder_run create "$KWP_HOST:$KWP_PORT_PLAINTEXT" "$topic" "$partitions" "${configs[@]}"
fi
