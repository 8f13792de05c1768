# shellcheck shell=bash
# shellcheck disable=SC2034  # variables are used by the scripts that source this file
# Shared helpers for scripts/kafka/*.sh. Sourced, never run.
#
# Everything here is loopback-only and keyed by a "broker line":
#   3.9 -> Apache Kafka 3.9.2 (last 3.x, ZooKeeper-capable, run here in KRaft)
#   4   -> Apache Kafka 4.4.0 (KRaft only)
# Layout under the project root (git-ignored):
#   .cache/kafka/<version>/lib/        broker + client jars resolved by Maven (install.sh)
#   .cache/kafka/<version>/seeder-<crc>-<size>/ compiled scripts/kafka/seeder/*.java, per content
#   .cache/kafka-state/<version>/      config, data, logs, tls, expected/, broker.json, pid
#   .cache/kafka-state/<version>-node2/ the optional second broker (node2.sh): config, data, logs, pid

KWP_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
KWP_SCRIPTS="$KWP_ROOT/scripts/kafka"
KWP_CACHE="${KWP_KAFKA_CACHE:-$KWP_ROOT/.cache/kafka}"
KWP_STATE_ROOT="${KWP_KAFKA_STATE:-$KWP_ROOT/.cache/kafka-state}"

KWP_VERSION_39="${KWP_KAFKA_VERSION_39:-3.9.2}"
KWP_VERSION_4="${KWP_KAFKA_VERSION_4:-4.4.0}"
KWP_HOST=127.0.0.1
# Test-only secret for the PKCS12 key/trust stores; nothing here guards anything real.
KWP_STORE_PASSWORD=kwp-test-store
# Session lifetime of SCRAM-SHA-512 logins on SASL_PLAINTEXT and of OAUTHBEARER logins on OAUTH
# and OAUTH_JWKS (KIP-368), see write_config.
KWP_REAUTH_MS=${KWP_REAUTH_MS:-4000}
# What the OAUTH_JWKS listener requires of a token besides a valid RS256 signature by the harness
# key (see make_jwt and write_config): the key id in its header, its iss and its aud.
KWP_JWT_KID=kwp-harness-1
KWP_JWT_ISSUER=kwp-harness
KWP_JWT_AUDIENCE=kafka
# Principals the StandardAuthorizer lets do anything, ACLs or not: PLAINTEXT, SSL without a client
# certificate and CONTROLLER connections are User:ANONYMOUS, and those carry the controller's and
# node 2's traffic, the inter-broker traffic and every seeder (Java Admin/producer/consumer) call.
KWP_SUPER_USERS='User:ANONYMOUS'

if [ -n "${JAVA_HOME:-}" ] && [ -x "$JAVA_HOME/bin/java" ]; then
  KWP_JAVA="$JAVA_HOME/bin/java"
  KWP_JAVAC="$JAVA_HOME/bin/javac"
else
  KWP_JAVA=java
  KWP_JAVAC=javac
fi

log() { printf 'kafka: %s\n' "$*" >&2; }
die() { printf 'kafka: error: %s\n' "$*" >&2; exit 1; }

# Milliseconds since the epoch (GNU date; falls back to whole seconds).
now_ms() {
  local t
  t="$(date +%s%3N 2>/dev/null)"
  case "$t" in *N) t="$(( $(date +%s) * 1000 ))" ;; esac
  printf '%s' "$t"
}

# resolve_line <3.9|4|x.y.z>: sets KWP_LINE (3.9|4), KWP_VERSION, KWP_MAJOR.
resolve_line() {
  case "$1" in
    3.9|39|3) KWP_VERSION="$KWP_VERSION_39" ;;
    4|4.x) KWP_VERSION="$KWP_VERSION_4" ;;
    [0-9]*.[0-9]*.[0-9]*) KWP_VERSION="$1" ;;
    *) die "unknown broker line '$1' (expected 3.9, 4 or a version such as 3.9.2)" ;;
  esac
  KWP_MAJOR="${KWP_VERSION%%.*}"
  case "$KWP_MAJOR" in
    3) KWP_LINE=3.9 ;;
    4) KWP_LINE=4 ;;
    *) die "Kafka $KWP_VERSION is not supported (only 3.x >= 3.5 for --add-scram, and 4.x)" ;;
  esac
}

# set_paths: needs KWP_VERSION. Sets the per-version directories.
set_paths() {
  KWP_LIB="$KWP_CACHE/$KWP_VERSION/lib"
  KWP_LIB_MARKER="$KWP_LIB/.complete"
  KWP_STATE="$KWP_STATE_ROOT/$KWP_VERSION"
  KWP_CONFIG_DIR="$KWP_STATE/config"
  KWP_DATA="$KWP_STATE/data"
  KWP_LOGS="$KWP_STATE/logs"
  KWP_TLS="$KWP_STATE/tls"
  KWP_JWT="$KWP_STATE/jwt"
  KWP_JWKS_URL="file:$KWP_JWT/jwks.json"
  KWP_EXPECTED="$KWP_STATE/expected"
  KWP_PIDFILE="$KWP_STATE/broker.pid"
  KWP_SEEDED_MARKER="$KWP_STATE/.seeded"
  KWP_INFO="$KWP_STATE/broker.json"
}

# Default port bases: 13092 (line 3.9) and 14092 (line 4), node 2 at base + 10. Below Linux's
# ephemeral range (net.ipv4.ip_local_port_range, 32768-60999 by default) on purpose: the kernel
# gives every outgoing connection a local port from that range, and a client socket holding one of
# our ports, open or in TIME_WAIT for 60 s after it closed, makes Kafka's bind fail with "Address
# already in use" (its listener's SO_REUSEADDR does not help against a client socket that lacks
# it). The bases were 39092 and 49092 until issue 15: starts right after a benchmark run (tens of
# thousands of connections) lost a port now and then, and so did a new user's first `npm run demo`.
# Not 19092 or 29092 either: Redpanda's and Confluent's docker-compose files publish Kafka there,
# so a developer of a Kafka proxy may well have one of those running.
KWP_DEFAULT_PORT_BASE_39=13092
KWP_DEFAULT_PORT_BASE_4=14092

# configured_port_base: the base the environment asks for: KWP_KAFKA_PORT_BASE_39 or _4, else the
# line's default shifted by KWP_KAFKA_PORT_OFFSET (for a second checkout beside this one). Needs KWP_LINE.
configured_port_base() {
  local explicit offset="${KWP_KAFKA_PORT_OFFSET:-0}"
  if [ "$KWP_LINE" = 3.9 ]; then explicit="${KWP_KAFKA_PORT_BASE_39:-}"; else explicit="${KWP_KAFKA_PORT_BASE_4:-}"; fi
  if [ -n "$explicit" ]; then printf '%s' "$explicit"; return 0; fi
  case "$offset" in ''|*[!0-9]*) die "KWP_KAFKA_PORT_OFFSET '$offset' is not a non-negative number" ;; esac
  if [ "$KWP_LINE" = 3.9 ]; then printf '%s' $(( KWP_DEFAULT_PORT_BASE_39 + offset )); else printf '%s' $(( KWP_DEFAULT_PORT_BASE_4 + offset )); fi
}

# set_ports [base]: consecutive ports from the base (default: configured_port_base), in this
# order: controller, PLAINTEXT, SSL, SASL_PLAINTEXT, SASL_SSL, MTLS, OAUTH (SASL_PLAINTEXT with
# OAUTHBEARER only, unsigned tokens), OAUTH_JWKS (the same with tokens signed by the harness key).
# KWP_PORT_LAST is the highest of them; KWP_PORTS lists them all.
set_ports() {
  local base="${1:-}"
  if [ -z "$base" ]; then base="$(configured_port_base)" || exit 1; fi
  case "$base" in ''|*[!0-9]*) die "port base '$base' is not a number" ;; esac
  if [ "$base" -lt 1024 ] || [ "$base" -gt 65528 ]; then die "port base $base out of range 1024..65528"; fi
  KWP_PORT_BASE="$base"
  KWP_PORT_CONTROLLER="$base"
  KWP_PORT_PLAINTEXT=$((base + 1))
  KWP_PORT_SSL=$((base + 2))
  KWP_PORT_SASL_PLAINTEXT=$((base + 3))
  KWP_PORT_SASL_SSL=$((base + 4))
  KWP_PORT_MTLS=$((base + 5))
  KWP_PORT_OAUTH=$((base + 6))
  KWP_PORT_OAUTH_JWKS=$((base + 7))
  KWP_PORT_LAST="$KWP_PORT_OAUTH_JWKS"
  KWP_PORTS=("$KWP_PORT_CONTROLLER" "$KWP_PORT_PLAINTEXT" "$KWP_PORT_SSL" "$KWP_PORT_SASL_PLAINTEXT"
    "$KWP_PORT_SASL_SSL" "$KWP_PORT_MTLS" "$KWP_PORT_OAUTH" "$KWP_PORT_OAUTH_JWKS")
}

# in_ephemeral_range <first> <last>: some port of first..last lies in the kernel's range for
# outgoing connections (read from /proc; Linux's default 32768-60999 where there is no /proc).
in_ephemeral_range() {
  local low=32768 high=60999 r
  if r="$(cat /proc/sys/net/ipv4/ip_local_port_range 2>/dev/null)"; then read -r low high <<<"$r"; fi
  [ "$1" -le "$high" ] && [ "$2" -ge "$low" ]
}

# Port base a running broker was started with (from its broker.json), or empty.
running_port_base() {
  [ -f "$KWP_INFO" ] || return 0
  sed -n 's/.*"portBase": *\([0-9][0-9]*\).*/\1/p' "$KWP_INFO" | head -n 1
}

# apt_provide <command> <debian package>: when <command> is missing and we are root on a Debian
# machine (a fresh CI machine is), install the package instead of failing; otherwise do nothing
# and let the caller's check print how to install it. KWP_NO_APT=1 turns this off.
apt_provide() {
  command -v "$1" >/dev/null 2>&1 && return 0
  [ "${KWP_NO_APT:-0}" = 1 ] && return 0
  [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1 || return 0
  printf 'kafka: %s not found; installing Debian package %s\n' "$1" "$2" >&2
  if [ ! -f /tmp/.kwp-apt-updated ]; then
    DEBIAN_FRONTEND=noninteractive apt-get update -qq >&2 && touch /tmp/.kwp-apt-updated
  fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$2" >&2 || true
}

# java_check: java on PATH (or JAVA_HOME) and at least 17.
java_check() {
  [ -n "${JAVA_HOME:-}" ] || apt_provide java openjdk-17-jdk-headless
  command -v "$KWP_JAVA" >/dev/null 2>&1 || die "java not found: install a Java 17+ JDK (Debian: apt-get install openjdk-17-jdk-headless) or set JAVA_HOME"
  local v major
  v="$("$KWP_JAVA" -version 2>&1 | sed -n 's/.* version "\([^"]*\)".*/\1/p' | head -n 1)"
  [ -n "$v" ] || die "could not read the Java version from '$KWP_JAVA -version'"
  case "$v" in 1.*) major="$(printf '%s' "$v" | cut -d. -f2)" ;; *) major="${v%%[.+-]*}" ;; esac
  case "$major" in ''|*[!0-9]*) die "could not parse Java version '$v'" ;; esac
  [ "$major" -ge 17 ] || die "Java $v is too old: these scripts and Kafka 4.x need Java 17+ (found '$KWP_JAVA' $v)"
}

javac_check() {
  [ -n "${JAVA_HOME:-}" ] || apt_provide javac openjdk-17-jdk-headless
  command -v "$KWP_JAVAC" >/dev/null 2>&1 || die "javac not found: the seeder needs a JDK, not only a JRE (Debian: apt-get install openjdk-17-jdk-headless)"
}

mvn_check() {
  apt_provide mvn maven
  command -v mvn >/dev/null 2>&1 || die "mvn not found: install Maven 3.6+ (Debian: apt-get install maven)"
}

# lib_complete: the jar folder exists and was fully copied (install.sh writes the marker last).
lib_complete() { [ -f "$KWP_LIB_MARKER" ]; }

# Directory lock: mkdir is atomic. A lock whose owner is dead is taken over.
# node:test runs test files in parallel processes, so two ensureBroker() calls can race.
KWP_LOCKS=""
lock_acquire() {
  local dir="$KWP_STATE_ROOT/.lock-$1" waited=0 owner
  mkdir -p "$KWP_STATE_ROOT"
  while ! mkdir "$dir" 2>/dev/null; do
    owner="$(cat "$dir/pid" 2>/dev/null || true)"
    if [ -n "$owner" ] && ! kill -0 "$owner" 2>/dev/null; then
      rm -rf "$dir"
      continue
    fi
    if [ -z "$owner" ] && [ "$waited" -gt 50 ]; then
      # Owner died between mkdir and writing its pid.
      rm -rf "$dir"
      continue
    fi
    if [ "$waited" -eq 0 ]; then log "waiting for another kafka script (lock $1${owner:+, pid $owner})"; fi
    waited=$((waited + 1))
    [ "$waited" -lt 3000 ] || die "timed out after 600 s waiting for lock $dir"
    sleep 0.2
  done
  printf '%s\n' "$$" >"$dir/pid"
  KWP_LOCKS="$KWP_LOCKS $dir"
  trap lock_release_all EXIT
}
lock_release() {
  local dir="$KWP_STATE_ROOT/.lock-$1" d rest=""
  rm -rf "$dir"
  for d in $KWP_LOCKS; do [ "$d" = "$dir" ] || rest="$rest $d"; done
  KWP_LOCKS="$rest"
}
lock_release_all() {
  local d
  for d in $KWP_LOCKS; do rm -rf "$d"; done
  KWP_LOCKS=""
}

# broker_pid: prints node 1's pid if its JVM is alive (see jvm_pid).
broker_pid() { jvm_pid "$KWP_PIDFILE" "$KWP_CONFIG_DIR"; }

# jvm_pid <pidfile> <config_dir>: prints the pid if the pid file names a live JVM running the
# server.properties of that config dir. Checking the command line guards against a recycled pid.
jvm_pid() {
  local pid args
  [ -f "$1" ] || return 1
  pid="$(cat "$1" 2>/dev/null || true)"
  case "$pid" in ''|*[!0-9]*) return 1 ;; esac
  kill -0 "$pid" 2>/dev/null || return 1
  if [ -r "/proc/$pid/cmdline" ]; then
    args="$(tr '\000' ' ' <"/proc/$pid/cmdline" 2>/dev/null || true)"
  else
    args="$(ps -ww -p "$pid" -o args= 2>/dev/null || true)"
  fi
  case "$args" in *"kafka.Kafka $2/server.properties"*) printf '%s' "$pid" ;; *) return 1 ;; esac
}

# wait_exec <pid> <pidfile> <config_dir>: returns once the process just started in the background
# runs the JVM (or has ended; at most 5 s). Until the forked shell has exec'd java, its
# /proc/<pid>/cmdline still shows the starting script, so jvm_pid would call the broker dead: a
# start under load failed that way while its JVM went on running (about one read in ten right
# after `cmd &` sees the shell's command line).
wait_exec() {
  local i=0
  while [ "$i" -lt 100 ] && kill -0 "$1" 2>/dev/null && ! jvm_pid "$2" "$3" >/dev/null; do
    sleep 0.05
    i=$((i + 1))
  done
}

# tcp_open <port>: a TCP connection to 127.0.0.1:<port> succeeds.
# wait_exit <pid> <what>: after a signal was sent, waits up to KWP_KAFKA_STOP_TIMEOUT seconds
# (default 30) for the process to end, then SIGKILLs it. Logs how long it took.
wait_exit() {
  local pid="$1" what="$2" waited=0 limit
  limit=$(( ${KWP_KAFKA_STOP_TIMEOUT:-30} * 5 ))
  while kill -0 "$pid" 2>/dev/null; do
    if [ "$waited" -ge "$limit" ]; then
      log "$what did not stop within ${KWP_KAFKA_STOP_TIMEOUT:-30} s; killing it"
      kill -KILL "$pid" 2>/dev/null || true
      sleep 0.5
      break
    fi
    sleep 0.2
    waited=$((waited + 1))
  done
  log "$what stopped after $(( waited / 5 )).$(( waited % 5 * 2 )) s"
}

tcp_open() {
  # shellcheck disable=SC2016  # $0/$1 expand in the inner bash
  timeout 2 bash -c 'exec 3<>"/dev/tcp/$0/$1"' "$KWP_HOST" "$1" 2>/dev/null
}

# kafka_ping <port>: sends ApiVersions v0 (api key 18, correlation id 0x4b57, null client id)
# and expects a reply with the same correlation id and error code 0. Proves a Kafka broker is
# processing requests on that PLAINTEXT port, without starting a JVM.
kafka_ping() {
  local reply
  # shellcheck disable=SC2016  # $0/$1 expand in the inner bash
  reply="$(timeout 3 bash -c '
    exec 3<>"/dev/tcp/$0/$1" || exit 1
    printf "\000\000\000\012\000\022\000\000\000\000\113\127\377\377" >&3
    head -c 10 <&3 | od -An -tx1 | tr -d " \n"
  ' "$KWP_HOST" "$1" 2>/dev/null)" || return 1
  # size (4 bytes, any) | correlation id 00004b57 | error code 0000
  case "$reply" in ????????00004b570000) return 0 ;; *) return 1 ;; esac
}

# set_log_opts <file> <level> [config_dir logs_dir]: KWP_LOG_OPTS = system properties selecting
# the logging config and the file this JVM logs to (default dirs: node 1's).
set_log_opts() {
  local config_dir="${3:-$KWP_CONFIG_DIR}" logs="${4:-$KWP_LOGS}"
  if [ "$KWP_MAJOR" -ge 4 ]; then
    KWP_LOG_OPTS=("-Dlog4j2.configurationFile=$config_dir/log4j2.properties")
  else
    KWP_LOG_OPTS=("-Dlog4j.configuration=file:$config_dir/log4j.properties")
  fi
  KWP_LOG_OPTS+=("-Dkwp.log.file=$1" "-Dkwp.log.level=$2" "-Dkafka.logs.dir=$logs")
}

# set_broker_jvm_opts <tmp_dir>: KWP_JVM_OPTS = heap, GC and memory ceilings of a broker JVM, the
# same for node 1 (start.sh) and node 2 (node2.sh).
set_broker_jvm_opts() {
  local heap=()
  read -r -a heap <<<"${KWP_KAFKA_HEAP_OPTS:--Xms128m -Xmx448m}"
  KWP_JVM_OPTS=("${heap[@]}" -XX:+UseG1GC -XX:MaxGCPauseMillis=20 -XX:InitiatingHeapOccupancyPercent=35
    -XX:MaxMetaspaceSize=128m -XX:ReservedCodeCacheSize=96m -XX:MaxDirectMemorySize=128m
    -XX:+ExitOnOutOfMemoryError -Djava.awt.headless=true "-Djava.io.tmpdir=$1")
}

# The seeder (every scripts/kafka/seeder/*.java, main class Seed) is compiled once per Kafka
# version (against that version's kafka-clients) and per content of its sources, into
# seeder-<crc>-<size>/, the cksum of the sources' own cksum lines (crc, size, name): editing,
# adding, removing or renaming any source gives a new folder. Checkouts that
# share KWP_KAFKA_CACHE but differ in the seeder (branches in worktrees) each keep their own
# classes, instead of recompiling over each other's while a seeder JVM loads them. Sets
# KWP_SEEDER_DIR.
seeder_build() {
  local dir="$KWP_SCRIPTS/seeder" sum
  local srcs=("$dir"/*.java)
  # Relative names in C order: the key is the same in every checkout and locale.
  sum="$(cd "$dir" && printf '%s\n' *.java | LC_ALL=C sort | xargs cksum | cksum | tr ' ' -)"
  KWP_SEEDER_DIR="$KWP_CACHE/$KWP_VERSION/seeder-$sum"
  [ -f "$KWP_SEEDER_DIR/Seed.class" ] && return 0
  javac_check
  lock_acquire "seeder-$KWP_VERSION"
  if [ -f "$KWP_SEEDER_DIR/Seed.class" ]; then
    lock_release "seeder-$KWP_VERSION"
    return 0
  fi
  log "compiling seeder for Kafka $KWP_VERSION"
  rm -rf "$KWP_SEEDER_DIR.tmp.$$"
  mkdir -p "$KWP_SEEDER_DIR.tmp.$$"
  "$KWP_JAVAC" -nowarn -encoding UTF-8 --release 17 -cp "$KWP_LIB/kafka-clients-$KWP_VERSION.jar" \
    -d "$KWP_SEEDER_DIR.tmp.$$" "${srcs[@]}" >&2 || die "compiling the seeder ($dir/*.java) failed"
  mv "$KWP_SEEDER_DIR.tmp.$$" "$KWP_SEEDER_DIR"
  lock_release "seeder-$KWP_VERSION"
}

seeder_run() {
  mkdir -p "$KWP_STATE/tmp" "$KWP_LOGS"
  set_log_opts "$KWP_LOGS/seeder.log" WARN
  "$KWP_JAVA" -Xmx256m -XX:+UseSerialGC -XX:TieredStopAtLevel=1 -Djava.io.tmpdir="$KWP_STATE/tmp" \
    "${KWP_LOG_OPTS[@]}" -cp "$KWP_SEEDER_DIR:$KWP_LIB/*" Seed "$@"
}
