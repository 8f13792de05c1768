#!/usr/bin/env bash
# Fan-out source for the end-to-end benchmark (bench/e2e/fanout.ts): Kafka's Java producer sends
# records of VALUE_SIZE bytes to TOPIC's PARTITIONS partitions in turn at RATE records/s, BURST
# records back to back per step (1: steady, linger.ms=0; more: linger.ms=2, one batch per burst),
# each value starting with the producer's wall clock in epoch microseconds as decimal ASCII. Stops
# after COUNT records or when its standard input closes. Prints "ready" before the first record.
# The topic must exist (topic.sh).
#
#   scripts/kafka/produce-rate.sh 4 bench-fanout-1p 1 1000000 200 1 100 < some-pipe
set -euo pipefail
# shellcheck source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

[ $# -eq 7 ] || die "usage: produce-rate.sh 3.9|4 TOPIC PARTITIONS COUNT RATE BURST VALUE_SIZE"
resolve_line "$1"
set_paths
broker_pid >/dev/null || die "Kafka $KWP_VERSION is not running (scripts/kafka/start.sh $KWP_LINE)"
set_ports "$(running_port_base)"
seeder_build
seeder_run produce-rate "$KWP_HOST:$KWP_PORT_PLAINTEXT" "$2" "$3" "$4" "$5" "$6" "$7"
