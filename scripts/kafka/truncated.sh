#!/usr/bin/env bash
# Make sure topic "truncated" exists on a running broker line: 10 records with offsets 0-3
# deleted (DeleteRecords), for tests of reads below the log start. Prints
# "<logStartOffset> <highWatermark>". Idempotent.
#
#   scripts/kafka/truncated.sh 3.9
set -euo pipefail
# shellcheck source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

resolve_line "${1:?usage: truncated.sh 3.9|4}"
set_paths
broker_pid >/dev/null || die "Kafka $KWP_VERSION is not running (scripts/kafka/start.sh $KWP_LINE)"
set_ports "$(running_port_base)"
seeder_build
seeder_run truncated "$KWP_HOST:$KWP_PORT_PLAINTEXT" truncated
