#!/usr/bin/env bash
# Fan-out source for the end-to-end benchmark (bench/e2e/fanout.ts): Kafka's Java producer sends
# records of VALUE_SIZE bytes to TOPIC's PARTITIONS partitions in turn at RATE records/s, BURST
# records back to back per step (1: steady, linger.ms=0; more: linger.ms=2, one batch per burst),
# each value starting with the producer's wall clock in epoch microseconds as decimal ASCII. Stops
# after COUNT records or when its standard input closes. Prints "ready" before the first record;
# with WARMUP_TOPIC, after one record written there (the producer's connection to the leader is
# then open). The topics must exist (topic.sh).
#
#   scripts/kafka/produce-rate.sh 4 bench-fanout-1p 1 1000000 200 1 100 bench-fanout-warmup < some-pipe
set -euo pipefail
# shellcheck source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

[ $# -eq 7 ] || [ $# -eq 8 ] || die "usage: produce-rate.sh 3.9|4 TOPIC PARTITIONS COUNT RATE BURST VALUE_SIZE [WARMUP_TOPIC]"
resolve_line "$1"
set_paths
broker_pid >/dev/null || die "Kafka $KWP_VERSION is not running (scripts/kafka/start.sh $KWP_LINE)"
set_ports "$(running_port_base)"
seeder_build
seeder_run produce-rate "$KWP_HOST:$KWP_PORT_PLAINTEXT" "${@:2}"
