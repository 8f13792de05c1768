#!/usr/bin/env bash
# Stop test brokers started by scripts/kafka/start.sh.
#
#   scripts/kafka/stop.sh              # all lines (same as: stop.sh all)
#   scripts/kafka/stop.sh 4            # one line; data kept, the next start.sh reuses it
#   scripts/kafka/stop.sh 3.9 --clean  # stop and delete its state (data, logs, TLS, expected/)
#
# SIGTERM first (Kafka shuts down cleanly, so a restart recovers nothing), SIGKILL after
# KWP_KAFKA_STOP_TIMEOUT seconds (default 30). A second broker (node2.sh) is stopped first: it
# cannot shut down cleanly without node 1's controller. --clean deletes its state too.
set -euo pipefail
# shellcheck source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
# shellcheck source=node2.sh
. "$KWP_SCRIPTS/node2.sh"

stop_line() {
  local clean="$1" pid
  resolve_line "$2"
  set_paths
  lock_acquire "broker-$KWP_VERSION"
  set_node2
  node2_stop
  if pid="$(broker_pid)"; then
    log "stopping Kafka $KWP_VERSION (pid $pid)"
    kill -TERM "$pid" 2>/dev/null || true
    wait_exit "$pid" "Kafka $KWP_VERSION"
  else
    log "Kafka $KWP_VERSION is not running"
  fi
  rm -f "$KWP_PIDFILE"
  if [ "$clean" = 1 ] && [ -d "$KWP_STATE" ]; then
    rm -rf "$KWP_STATE"
    log "deleted $KWP_STATE"
  fi
  if [ "$clean" = 1 ] && [ -d "$KWP_N2_STATE" ]; then
    rm -rf "$KWP_N2_STATE"
    log "deleted $KWP_N2_STATE"
  fi
  lock_release_all
}

main() {
  local lines=() clean=0 a
  for a in "$@"; do
    case "$a" in
      --clean) clean=1 ;;
      -h|--help) sed -n '2,11p' "$0"; exit 0 ;;
      all) lines+=(3.9 4) ;;
      -*) die "unknown option $a" ;;
      *) lines+=("$a") ;;
    esac
  done
  [ "${#lines[@]}" -gt 0 ] || lines=(3.9 4)
  for a in "${lines[@]}"; do stop_line "$clean" "$a"; done
}

main "$@"
