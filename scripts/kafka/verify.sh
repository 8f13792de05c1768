#!/usr/bin/env bash
# Read every seeded topic back with Kafka's own Java consumer (read_uncommitted and
# read_committed) and compare it with the ground truth in <state>/expected/. The broker must be
# running (start.sh). Useful after a restart: proves the data survived.
#
#   scripts/kafka/verify.sh 3.9 4
set -euo pipefail
# shellcheck source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

verify_line() {
  local base
  resolve_line "$1"
  set_paths
  broker_pid >/dev/null || die "Kafka $KWP_VERSION is not running (scripts/kafka/start.sh $KWP_LINE)"
  [ -f "$KWP_SEEDED_MARKER" ] || die "Kafka $KWP_VERSION has not been seeded"
  base="$(running_port_base)"
  set_ports "$base"
  seeder_build
  log "verifying Kafka $KWP_VERSION against $KWP_EXPECTED"
  seeder_run verify "$KWP_HOST:$KWP_PORT_PLAINTEXT" "$KWP_EXPECTED" || die "Kafka $KWP_VERSION does not hold the expected records"
}

main() {
  local lines=("$@") a
  [ "${#lines[@]}" -gt 0 ] || lines=(3.9 4)
  for a in "${lines[@]}"; do
    if [ "$a" = all ]; then verify_line 3.9; verify_line 4; else verify_line "$a"; fi
  done
}

main "$@"
