#!/usr/bin/env bash
# For each key (hex), the partition Kafka's Java producer of this line chooses among COUNT
# partitions for a record with that key and no partition (BuiltInPartitioner.partitionForKey),
# one per line. Needs no broker.
#
#   scripts/kafka/partitions.sh 4 6 6b6579 00ff
set -euo pipefail
# shellcheck source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

usage="usage: partitions.sh 3.9|4 COUNT HEXKEY..."
resolve_line "${1:?$usage}"
count="${2:?$usage}"
case "$count" in ''|*[!0-9]*|0*) die "count '$count' is not a positive number" ;; esac
shift 2
for k in "$@"; do
  case "$k" in *[!0-9a-fA-F]*) die "key '$k' is not hex" ;; esac
  [ $(( ${#k} % 2 )) -eq 0 ] || die "key '$k' has an odd number of hex digits"
done
set_paths
seeder_build
seeder_run partitions "$count" "$@"
