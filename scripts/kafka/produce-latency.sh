#!/usr/bin/env bash
# Produce-to-client latency source for the end-to-end benchmark (bench/e2e/latency.ts): Kafka's
# Java producer (acks=1, linger.ms=0) sends COUNT records to partition 0 of TOPIC, one every
# INTERVAL_MS, each value the producer's wall clock in epoch microseconds as decimal ASCII. A
# consumer on the same machine takes arrival minus value. The topic must exist (topic.sh).
#
#   scripts/kafka/produce-latency.sh 4 bench-tail 2000 5
set -euo pipefail
# shellcheck source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

[ $# -eq 4 ] || die "usage: produce-latency.sh 3.9|4 TOPIC COUNT INTERVAL_MS"
resolve_line "$1"
set_paths
broker_pid >/dev/null || die "Kafka $KWP_VERSION is not running (scripts/kafka/start.sh $KWP_LINE)"
set_ports "$(running_port_base)"
seeder_build
seeder_run produce-latency "$KWP_HOST:$KWP_PORT_PLAINTEXT" "$2" "$3" "$4"
