#!/usr/bin/env bash
# Show the test brokers: version, pid, whether PLAINTEXT answers a Kafka request, ports, seeding.
#
#   scripts/kafka/status.sh          # both lines
#   scripts/kafka/status.sh 4        # one line
#
# Exit status: 0 when every listed line is running and answering, 1 otherwise.
set -euo pipefail
# shellcheck source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

status_line() {
  local pid state base cached seeded rc=0
  resolve_line "$1"
  set_paths
  base="$(running_port_base)"
  set_ports "$base"
  if lib_complete; then cached="jars cached"; else cached="not installed"; fi
  if [ -f "$KWP_SEEDED_MARKER" ]; then seeded="seeded $(cat "$KWP_SEEDED_MARKER")"; else seeded="not seeded"; fi
  if pid="$(broker_pid)"; then
    if kafka_ping "$KWP_PORT_PLAINTEXT"; then state="running (pid $pid), answering"; else state="running (pid $pid), NOT answering"; rc=1; fi
  else
    state="stopped"
    rc=1
  fi
  printf 'Kafka %s (line %s): %s\n' "$KWP_VERSION" "$KWP_LINE" "$state"
  printf '  ports: controller %s, PLAINTEXT %s, SSL %s, SASL_PLAINTEXT %s, SASL_SSL %s, MTLS %s, OAUTH %s, OAUTH_JWKS %s on %s\n' \
    "$KWP_PORT_CONTROLLER" "$KWP_PORT_PLAINTEXT" "$KWP_PORT_SSL" "$KWP_PORT_SASL_PLAINTEXT" \
    "$KWP_PORT_SASL_SSL" "$KWP_PORT_MTLS" "$KWP_PORT_OAUTH" "$KWP_PORT_OAUTH_JWKS" "$KWP_HOST"
  printf '  %s, %s\n' "$cached" "$seeded"
  printf '  state: %s\n' "$KWP_STATE"
  return "$rc"
}

main() {
  local lines=("$@") rc=0 a
  [ "${#lines[@]}" -gt 0 ] || lines=(3.9 4)
  for a in "${lines[@]}"; do
    [ "$a" = all ] && { status_line 3.9 || rc=1; status_line 4 || rc=1; continue; }
    status_line "$a" || rc=1
  done
  return "$rc"
}

main "$@"
