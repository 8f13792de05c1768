#!/usr/bin/env bash
# Resolve Apache Kafka broker jars with Maven into .cache/kafka/<version>/lib.
#
#   scripts/kafka/install.sh              # both lines (3.9.2 and 4.4.0)
#   scripts/kafka/install.sh 3.9 4.4.0    # lines or exact versions
#   scripts/kafka/install.sh --force 4    # re-resolve even if the cache is complete
#
# Uses only `mvn dependency:copy-dependencies` on scripts/kafka/pom.xml, so Maven's own settings
# (mirrors, proxies, ~/.m2) apply. Does not start anything.
set -euo pipefail
# shellcheck source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

# install_version: needs resolve_line + set_paths. Caller holds the install lock.
install_version() {
  if lib_complete && [ "${KWP_FORCE:-0}" != 1 ]; then
    log "Kafka $KWP_VERSION already in $KWP_LIB"
    return 0
  fi
  mvn_check
  local tmp="$KWP_CACHE/$KWP_VERSION/lib.tmp.$$" t0 t1
  rm -rf "$tmp"
  mkdir -p "$tmp"
  log "resolving org.apache.kafka:kafka_2.13:$KWP_VERSION with Maven into $KWP_LIB"
  t0="$(now_ms)"
  if ! mvn -B -q -Dstyle.color=never -f "$KWP_SCRIPTS/pom.xml" dependency:copy-dependencies \
      -Dkafka.version="$KWP_VERSION" -Dkafka.line="$KWP_MAJOR" \
      -DoutputDirectory="$tmp" >"$tmp.mvn.log" 2>&1; then
    cat "$tmp.mvn.log" >&2
    rm -rf "$tmp" "$tmp.mvn.log"
    die "Maven could not resolve Kafka $KWP_VERSION (see the output above)"
  fi
  rm -f "$tmp.mvn.log"
  [ -f "$tmp/kafka_2.13-$KWP_VERSION.jar" ] || die "Maven finished but kafka_2.13-$KWP_VERSION.jar is missing in $tmp"
  [ -f "$tmp/kafka-clients-$KWP_VERSION.jar" ] || die "Maven finished but kafka-clients-$KWP_VERSION.jar is missing in $tmp"
  rm -rf "$KWP_LIB"
  mv "$tmp" "$KWP_LIB"
  t1="$(now_ms)"
  printf '%s\n' "$KWP_VERSION" >"$KWP_LIB_MARKER"
  log "Kafka $KWP_VERSION: $(find "$KWP_LIB" -name '*.jar' | wc -l | tr -d ' ') jars in $(( (t1 - t0) / 1000 )).$(( (t1 - t0) % 1000 / 100 )) s"
}

main() {
  local lines=() a
  KWP_FORCE=0
  for a in "$@"; do
    case "$a" in
      --force) KWP_FORCE=1 ;;
      -h|--help) sed -n '2,10p' "$0"; exit 0 ;;
      all) lines+=(3.9 4) ;;
      *) lines+=("$a") ;;
    esac
  done
  [ "${#lines[@]}" -gt 0 ] || lines=(3.9 4)
  java_check
  for a in "${lines[@]}"; do
    resolve_line "$a"
    set_paths
    lock_acquire "install-$KWP_VERSION"
    install_version
    lock_release_all
  done
}

# Sourced by start.sh for install_version; run directly otherwise.
if [ "${BASH_SOURCE[0]}" = "$0" ]; then main "$@"; fi
