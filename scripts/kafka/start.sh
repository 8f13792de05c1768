#!/usr/bin/env bash
# Start a single-node Apache Kafka (KRaft combined mode) on 127.0.0.1 for tests, seed it once,
# and print its state directory on stdout (one line per broker; everything else goes to stderr).
#
#   scripts/kafka/start.sh 3.9                 # Kafka 3.9.2, ports 13092..13099
#   scripts/kafka/start.sh 4                   # Kafka 4.4.0, ports 14092..14099
#   scripts/kafka/start.sh 3.9 4               # both (also: no argument, or "all")
#   scripts/kafka/start.sh 4 --port-base 21092 # one line on other ports
#
# Idempotent: a broker that is already running and answering is left alone (exit 0 at once).
# Existing data is reused as is (no format, no seed); a fresh data dir is formatted with the
# SCRAM users and seeded. Environment: KWP_KAFKA_PORT_BASE_39, KWP_KAFKA_PORT_BASE_4,
# KWP_KAFKA_PORT_OFFSET (added to both default bases), KWP_KAFKA_HEAP_OPTS (default
# -Xms128m -Xmx448m), KWP_KAFKA_START_TIMEOUT (s, default 120).
set -euo pipefail
# shellcheck source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
# shellcheck source=install.sh
. "$KWP_SCRIPTS/install.sh"

# ------------------------------------------------------------------ TLS material

# make_tls: a CA, a broker certificate for localhost/127.0.0.1, a client certificate (mTLS),
# and an unrelated CA (plus a client certificate it signed) for negative tests. PEM for Node,
# PKCS12 stores for the broker. Valid 10 years; regenerated only when missing.
make_tls() {
  [ -f "$KWP_TLS/.complete" ] && return 0
  apt_provide openssl openssl
  command -v openssl >/dev/null 2>&1 || die "openssl not found (Debian: apt-get install openssl)"
  command -v keytool >/dev/null 2>&1 || die "keytool not found: it ships with the JDK"
  local d="$KWP_TLS" pw="$KWP_STORE_PASSWORD"
  rm -rf "$d"
  mkdir -p "$d"
  TLS_LOG="$d/openssl.log"
  : >"$TLS_LOG"
  tls_ca ca "/O=kafka-ws-proxy tests/CN=kafka-ws-proxy test CA"
  tls_ca untrusted-ca "/O=kafka-ws-proxy tests/CN=kafka-ws-proxy UNTRUSTED test CA"
  tls_leaf broker "/O=kafka-ws-proxy tests/CN=localhost" ca \
    'basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth,clientAuth\nsubjectAltName=DNS:localhost,IP:127.0.0.1\n'
  tls_leaf client "/O=kafka-ws-proxy tests/CN=kwp-test-client" ca \
    'basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=clientAuth\n'
  tls_leaf untrusted-client "/O=kafka-ws-proxy tests/CN=kwp-untrusted-client" untrusted-ca \
    'basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=clientAuth\n'
  # Broker keystore: key + certificate chain. Truststore: the CA only (verifies MTLS clients).
  tls_run openssl pkcs12 -export -name broker -in "$d/broker.pem" -inkey "$d/broker-key.pem" \
    -certfile "$d/ca.pem" -out "$d/broker.p12" -passout "pass:$pw"
  tls_run keytool -importcert -noprompt -alias ca -file "$d/ca.pem" -keystore "$d/truststore.p12" \
    -storetype PKCS12 -storepass "$pw"
  touch "$d/.complete"
}

tls_run() {
  "$@" >>"$TLS_LOG" 2>&1 || { cat "$TLS_LOG" >&2; die "generating TLS material in $KWP_TLS failed at: $1 $2"; }
}

tls_ca() { # tls_ca <name> <subject>
  tls_run openssl req -x509 -newkey rsa:2048 -nodes -sha256 -days 3650 \
    -keyout "$KWP_TLS/$1-key.pem" -out "$KWP_TLS/$1.pem" -subj "$2" \
    -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign"
}

tls_leaf() { # tls_leaf <name> <subject> <issuer name> <x509 extensions, printf %b>
  local f="$KWP_TLS/$1"
  tls_run openssl req -newkey rsa:2048 -nodes -sha256 -keyout "$f-key.pem" -out "$f.csr" -subj "$2"
  printf '%b' "$4" >"$f.ext"
  tls_run openssl x509 -req -sha256 -days 3650 -in "$f.csr" -CA "$KWP_TLS/$3.pem" -CAkey "$KWP_TLS/$3-key.pem" \
    -set_serial "0x$(openssl rand -hex 8)" -extfile "$f.ext" -out "$f.pem"
  rm -f "$f.csr" "$f.ext"
}

# make_jwt: the key the OAUTH_JWKS listener trusts. An RSA 2048 key pair: the private key as
# PKCS#8 PEM (jwt/signing-key.pem, for tests to sign RS256 tokens) and the public key as a JWKS
# with one key, kid KWP_JWT_KID (jwt/jwks.json, what the broker reads). Regenerated only when
# missing, like the TLS material.
make_jwt() {
  # The path goes into a URL that Kafka 4 turns back into a file name without decoding it, and
  # into a comma-separated system property (start_jvm): keep it to characters that need neither.
  case "$KWP_JWT" in *[!A-Za-z0-9/._+-]*) die "the state dir $KWP_STATE holds characters a file: URL would have to escape; choose another KWP_KAFKA_STATE" ;; esac
  [ -f "$KWP_JWT/.complete" ] && return 0
  apt_provide openssl openssl
  command -v openssl >/dev/null 2>&1 || die "openssl not found (Debian: apt-get install openssl)"
  local d="$KWP_JWT" modulus exponent
  rm -rf "$d"
  mkdir -p "$d"
  TLS_LOG="$d/openssl.log"
  : >"$TLS_LOG"
  # genpkey writes PKCS#8 ("BEGIN PRIVATE KEY"), which node:crypto and Java both read.
  tls_run openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$d/signing-key.pem"
  modulus="$(openssl rsa -in "$d/signing-key.pem" -noout -modulus 2>>"$TLS_LOG" | sed -n 's/^Modulus=//p')"
  exponent="$(openssl rsa -in "$d/signing-key.pem" -noout -text 2>>"$TLS_LOG" | sed -n 's/^publicExponent: \([0-9]*\) .*/\1/p')"
  [ -n "$modulus" ] || die "could not read the modulus of $d/signing-key.pem"
  # 65537 (AQAB) is what genpkey uses unless told otherwise.
  [ "$exponent" = 65537 ] || die "unexpected RSA public exponent '$exponent' in $d/signing-key.pem"
  printf '{"keys":[{"kty":"RSA","use":"sig","alg":"RS256","kid":"%s","n":"%s","e":"AQAB"}]}\n' \
    "$KWP_JWT_KID" "$(hex_base64url "$modulus")" >"$d/jwks.json"
  touch "$d/.complete"
}

# hex_base64url <hex digits>: the bytes they spell, in unpadded base64url (RFC 7518 6.3.1's n).
hex_base64url() {
  printf '%b' "$(printf '%s' "$1" | sed 's/../\\x&/g')" | base64 -w0 | tr '+/' '-_' | tr -d '='
}

# ------------------------------------------------------------------ configuration

write_config() {
  mkdir -p "$KWP_CONFIG_DIR" "$KWP_LOGS"
  local h="$KWP_HOST" jaas_plain jaas_scram jaas_oauth jaas_jwks
  jaas_plain='org.apache.kafka.common.security.plain.PlainLoginModule required user_alice="alice-secret" user_admin="admin-secret";'
  jaas_scram='org.apache.kafka.common.security.scram.ScramLoginModule required;'
  jaas_oauth='org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginModule required unsecuredLoginStringClaim_sub="kwp-broker";'
  jaas_jwks='org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginModule required;'
  {
    printf '# Generated by scripts/kafka/start.sh for Kafka %s; rewritten on every start.\n' "$KWP_VERSION"
    printf 'process.roles=broker,controller\n'
    printf 'node.id=1\n'
    printf 'controller.quorum.voters=1@%s:%s\n' "$h" "$KWP_PORT_CONTROLLER"
    printf 'controller.listener.names=CONTROLLER\n'
    printf 'listeners=CONTROLLER://%s:%s,PLAINTEXT://%s:%s,SSL://%s:%s,SASL_PLAINTEXT://%s:%s,SASL_SSL://%s:%s,MTLS://%s:%s,OAUTH://%s:%s,OAUTH_JWKS://%s:%s\n' \
      "$h" "$KWP_PORT_CONTROLLER" "$h" "$KWP_PORT_PLAINTEXT" "$h" "$KWP_PORT_SSL" \
      "$h" "$KWP_PORT_SASL_PLAINTEXT" "$h" "$KWP_PORT_SASL_SSL" "$h" "$KWP_PORT_MTLS" "$h" "$KWP_PORT_OAUTH" \
      "$h" "$KWP_PORT_OAUTH_JWKS"
    # 127.0.0.1, not localhost: Node may resolve localhost to ::1, where nothing listens.
    # The broker certificate carries both DNS:localhost and IP:127.0.0.1.
    printf 'advertised.listeners=PLAINTEXT://%s:%s,SSL://%s:%s,SASL_PLAINTEXT://%s:%s,SASL_SSL://%s:%s,MTLS://%s:%s,OAUTH://%s:%s,OAUTH_JWKS://%s:%s\n' \
      "$h" "$KWP_PORT_PLAINTEXT" "$h" "$KWP_PORT_SSL" "$h" "$KWP_PORT_SASL_PLAINTEXT" \
      "$h" "$KWP_PORT_SASL_SSL" "$h" "$KWP_PORT_MTLS" "$h" "$KWP_PORT_OAUTH" "$h" "$KWP_PORT_OAUTH_JWKS"
    printf 'listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT,SSL:SSL,SASL_PLAINTEXT:SASL_PLAINTEXT,SASL_SSL:SASL_SSL,MTLS:SSL,OAUTH:SASL_PLAINTEXT,OAUTH_JWKS:SASL_PLAINTEXT\n'
    printf 'inter.broker.listener.name=PLAINTEXT\n'
    printf '\n# TLS (all SSL-based listeners); MTLS additionally requires a client certificate.\n'
    printf 'ssl.keystore.type=PKCS12\nssl.keystore.location=%s/broker.p12\nssl.keystore.password=%s\nssl.key.password=%s\n' \
      "$KWP_TLS" "$KWP_STORE_PASSWORD" "$KWP_STORE_PASSWORD"
    printf 'ssl.truststore.type=PKCS12\nssl.truststore.location=%s/truststore.p12\nssl.truststore.password=%s\n' \
      "$KWP_TLS" "$KWP_STORE_PASSWORD"
    printf 'ssl.client.auth=none\nlistener.name.mtls.ssl.client.auth=required\n'
    printf '\n# SASL: PLAIN users live in the JAAS line; SCRAM credentials were added at format time.\n'
    printf 'sasl.enabled.mechanisms=PLAIN,SCRAM-SHA-256,SCRAM-SHA-512\n'
    local l
    for l in sasl_plaintext sasl_ssl; do
      printf 'listener.name.%s.sasl.enabled.mechanisms=PLAIN,SCRAM-SHA-256,SCRAM-SHA-512\n' "$l"
      printf 'listener.name.%s.plain.sasl.jaas.config=%s\n' "$l" "$jaas_plain"
      printf 'listener.name.%s.scram-sha-256.sasl.jaas.config=%s\n' "$l" "$jaas_scram"
      printf 'listener.name.%s.scram-sha-512.sasl.jaas.config=%s\n' "$l" "$jaas_scram"
    done
    # KIP-368: SCRAM-SHA-512 logins on SASL_PLAINTEXT expire after a few seconds, so the client's
    # re-authentication runs in every test that uses them. Other logins never expire.
    printf 'listener.name.sasl_plaintext.scram-sha-512.connections.max.reauth.ms=%s\n' "$KWP_REAUTH_MS"
    # OAUTH: OAUTHBEARER only (KIP-255), tokens checked by Kafka's unsecured validator: an unsigned
    # JWS (alg none) with a sub claim (the principal) and an exp claim, which the tests mint
    # themselves. Not for production, which is the point: no identity provider to run. The login
    # module line is required even though the broker never logs in with OAUTHBEARER itself
    # (inter-broker traffic is PLAINTEXT). The session lifetime is the smaller of the token's
    # remaining life and connections.max.reauth.ms, so clients re-authenticate (KIP-368) with a
    # fresh token at least every few seconds.
    printf 'listener.name.oauth.sasl.enabled.mechanisms=OAUTHBEARER\n'
    printf 'listener.name.oauth.oauthbearer.sasl.jaas.config=%s\n' "$jaas_oauth"
    printf 'listener.name.oauth.oauthbearer.sasl.server.callback.handler.class=%s\n' \
      org.apache.kafka.common.security.oauthbearer.internals.unsecured.OAuthBearerUnsecuredValidatorCallbackHandler
    printf 'listener.name.oauth.oauthbearer.connections.max.reauth.ms=%s\n' "$KWP_REAUTH_MS"
    # OAUTH_JWKS: OAUTHBEARER checked by Kafka's secured validator (KIP-768): an RS256 JWT signed
    # by the key in jwt/jwks.json (make_jwt; a file: URL is read from disk, no HTTP server), with
    # kid, iss, aud, sub, iat and exp. Kafka 4.4 refuses to start a JWKS validator without
    # expected.issuer and expected.audience; 3.9 would take any, and gets the same. The sub claim
    # is the principal (User:<sub>), which is what ACLs name. Sessions end as on OAUTH (KIP-368).
    # The settings carry the listener and mechanism prefix, as the handler's javadoc shows them,
    # so they do not touch OAUTH, whose unsecured validator ignores them anyway.
    local jp=listener.name.oauth_jwks.oauthbearer
    printf 'listener.name.oauth_jwks.sasl.enabled.mechanisms=OAUTHBEARER\n'
    printf '%s.sasl.jaas.config=%s\n' "$jp" "$jaas_jwks"
    printf '%s.sasl.server.callback.handler.class=%s\n' "$jp" \
      org.apache.kafka.common.security.oauthbearer.OAuthBearerValidatorCallbackHandler
    printf '%s.sasl.oauthbearer.jwks.endpoint.url=%s\n' "$jp" "$KWP_JWKS_URL"
    printf '%s.sasl.oauthbearer.expected.issuer=%s\n' "$jp" "$KWP_JWT_ISSUER"
    printf '%s.sasl.oauthbearer.expected.audience=%s\n' "$jp" "$KWP_JWT_AUDIENCE"
    printf '%s.connections.max.reauth.ms=%s\n' "$jp" "$KWP_REAUTH_MS"
    # ACLs (KIP-801's StandardAuthorizer, the KRaft one, on the controller and the broker alike).
    # A resource without any ACL stays open to everyone, so every test that sets none sees the
    # broker as before; the first ACL on a topic closes it to every principal not named
    # (scripts/kafka/acl.sh). KWP_SUPER_USERS (lib.sh) are never checked.
    printf '\n# Authorization\n'
    printf 'authorizer.class.name=org.apache.kafka.metadata.authorizer.StandardAuthorizer\n'
    printf 'allow.everyone.if.no.acl.found=true\n'
    printf 'super.users=%s\n' "$KWP_SUPER_USERS"
    printf '\n# Storage and a fast single-node start.\n'
    printf 'log.dirs=%s\n' "$KWP_DATA"
    printf 'num.partitions=1\ndefault.replication.factor=1\nmin.insync.replicas=1\n'
    printf 'auto.create.topics.enable=false\n'
    printf 'offsets.topic.replication.factor=1\noffsets.topic.num.partitions=1\n'
    printf 'transaction.state.log.replication.factor=1\ntransaction.state.log.min.isr=1\ntransaction.state.log.num.partitions=1\n'
    printf 'group.initial.rebalance.delay.ms=0\n'
    # The controller would move a leader back to its preferred replica on its own within
    # leader.imbalance.check.interval.seconds (300 s): with a second broker (node2.sh) that happens
    # under some later test. Tests that want it elect explicitly (node2.sh elect).
    printf 'auto.leader.rebalance.enable=false\n'
    # Seeded timestamps are in 2023: time-based retention would delete them at once.
    printf 'log.retention.ms=-1\nlog.retention.check.interval.ms=3600000\n'
    printf 'num.network.threads=2\nnum.io.threads=4\nbackground.threads=4\nnum.recovery.threads.per.data.dir=1\n'
    printf 'log.cleaner.threads=1\nlog.cleaner.dedupe.buffer.size=8388608\n'
    if [ "$KWP_MAJOR" -ge 4 ]; then
      printf 'share.coordinator.state.topic.replication.factor=1\nshare.coordinator.state.topic.min.isr=1\n'
    fi
  } >"$KWP_CONFIG_DIR/server.properties.tmp"
  mv "$KWP_CONFIG_DIR/server.properties.tmp" "$KWP_CONFIG_DIR/server.properties"

  # Logging goes to files under logs/ (kwp.log.file names the file per process), never to the
  # console. 3.x ships slf4j->reload4j (log4j 1.x syntax); 4.x ships slf4j->log4j2 (KIP-653).
  if [ "$KWP_MAJOR" -ge 4 ]; then
    cat >"$KWP_CONFIG_DIR/log4j2.properties" <<'EOF'
status = warn
appender.file.type = RollingFile
appender.file.name = file
appender.file.fileName = ${sys:kwp.log.file}
appender.file.filePattern = ${sys:kwp.log.file}.%i
appender.file.layout.type = PatternLayout
appender.file.layout.pattern = [%d] %p %m (%c)%n
appender.file.policies.type = Policies
appender.file.policies.size.type = SizeBasedTriggeringPolicy
appender.file.policies.size.size = 20MB
appender.file.strategy.type = DefaultRolloverStrategy
appender.file.strategy.max = 2
rootLogger.level = ${sys:kwp.log.level:-INFO}
rootLogger.appenderRef.file.ref = file
logger.request.name = kafka.request.logger
logger.request.level = WARN
EOF
  else
    cat >"$KWP_CONFIG_DIR/log4j.properties" <<'EOF'
log4j.rootLogger=${kwp.log.level}, file
log4j.appender.file=org.apache.log4j.RollingFileAppender
log4j.appender.file.File=${kwp.log.file}
log4j.appender.file.MaxFileSize=20MB
log4j.appender.file.MaxBackupIndex=2
log4j.appender.file.layout=org.apache.log4j.PatternLayout
log4j.appender.file.layout.ConversionPattern=[%d] %p %m (%c)%n
log4j.logger.kafka.request.logger=WARN
EOF
  fi
}

write_info() {
  local t="$KWP_TLS"
  cat >"$KWP_INFO.tmp" <<EOF
{
  "line": "$KWP_LINE",
  "version": "$KWP_VERSION",
  "host": "$KWP_HOST",
  "portBase": $KWP_PORT_BASE,
  "ports": {
    "controller": $KWP_PORT_CONTROLLER,
    "plaintext": $KWP_PORT_PLAINTEXT,
    "ssl": $KWP_PORT_SSL,
    "saslPlaintext": $KWP_PORT_SASL_PLAINTEXT,
    "saslSsl": $KWP_PORT_SASL_SSL,
    "mtls": $KWP_PORT_MTLS,
    "oauth": $KWP_PORT_OAUTH,
    "oauthJwks": $KWP_PORT_OAUTH_JWKS
  },
  "stateDir": "$KWP_STATE",
  "logFile": "$KWP_LOGS/server.log",
  "caPemPath": "$t/ca.pem",
  "untrustedCaPemPath": "$t/untrusted-ca.pem",
  "clientCertPemPath": "$t/client.pem",
  "clientKeyPemPath": "$t/client-key.pem",
  "untrustedClientCertPemPath": "$t/untrusted-client.pem",
  "untrustedClientKeyPemPath": "$t/untrusted-client-key.pem",
  "jwt": {
    "privateKeyPemPath": "$KWP_JWT/signing-key.pem",
    "jwksPath": "$KWP_JWT/jwks.json",
    "kid": "$KWP_JWT_KID",
    "algorithm": "RS256",
    "issuer": "$KWP_JWT_ISSUER",
    "audience": "$KWP_JWT_AUDIENCE"
  },
  "users": {
    "plain": { "username": "alice", "password": "alice-secret" },
    "scram": { "username": "alice", "password": "alice-secret" },
    "admin": { "username": "admin", "password": "admin-secret" }
  },
  "expectedDir": "$KWP_EXPECTED"
}
EOF
  mv "$KWP_INFO.tmp" "$KWP_INFO"
}

# ------------------------------------------------------------------ storage, JVM, seeder

format_storage() {
  [ -f "$KWP_DATA/meta.properties" ] && return 0
  local id log="$KWP_LOGS/format.log" t0
  # A cluster id is 16 random bytes in URL-safe base64 without padding (Uuid.toString); Kafka
  # avoids ids starting with '-' because command lines would read them as options.
  id=""
  while [ -z "$id" ] || [ "${id#-}" != "$id" ]; do
    id="$(head -c 16 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=\n')"
  done
  rm -rf "$KWP_DATA" "$KWP_EXPECTED" "$KWP_SEEDED_MARKER"
  mkdir -p "$KWP_DATA"
  log "formatting $KWP_DATA (cluster id $id) with SCRAM users"
  t0="$(now_ms)"
  set_log_opts "$KWP_LOGS/tools.log" WARN
  if ! "$KWP_JAVA" -Xmx256m -XX:TieredStopAtLevel=1 -XX:+UseSerialGC "${KWP_LOG_OPTS[@]}" \
      -cp "$KWP_LIB/*" kafka.tools.StorageTool format -t "$id" -c "$KWP_CONFIG_DIR/server.properties" \
      --add-scram 'SCRAM-SHA-256=[name=alice,password=alice-secret]' \
      --add-scram 'SCRAM-SHA-512=[name=alice,password=alice-secret]' \
      --add-scram 'SCRAM-SHA-256=[name=admin,password=admin-secret]' \
      --add-scram 'SCRAM-SHA-512=[name=admin,password=admin-secret]' >"$log" 2>&1; then
    cat "$log" >&2
    rm -rf "$KWP_DATA"
    die "kafka-storage format failed for Kafka $KWP_VERSION"
  fi
  log "formatted in $(( $(now_ms) - t0 )) ms"
}

start_jvm() {
  local detach=() pid
  # setsid + redirected stdio: the broker outlives the shell (and the Node test process) that
  # started it, and does not hold their pipes open.
  if command -v setsid >/dev/null 2>&1; then detach=(setsid); fi
  set_log_opts "$KWP_LOGS/server.log" INFO
  set_broker_jvm_opts "$KWP_STATE/tmp"
  # Kafka 4 reads a JWKS URL only when this list names it (the fix of CVE-2025-27817: unset, it
  # allows none); 3.9 allows every URL while the property is unset and honours it when set.
  KWP_JVM_OPTS+=("-Dorg.apache.kafka.sasl.oauthbearer.allowed.urls=$KWP_JWKS_URL")
  printf '\n==== %s starting Kafka %s\n' "$(date -u '+%Y-%m-%dT%H:%M:%SZ')" "$KWP_VERSION" >>"$KWP_LOGS/stdout.log"
  # Where this start's lines begin in server.log (wait_answering reads only those).
  KWP_LOG_MARK="$(wc -l 2>/dev/null <"$KWP_LOGS/server.log" || echo 0)"
  "${detach[@]}" "$KWP_JAVA" "${KWP_JVM_OPTS[@]}" \
    "${KWP_LOG_OPTS[@]}" -cp "$KWP_LIB/*" kafka.Kafka "$KWP_CONFIG_DIR/server.properties" \
    </dev/null >>"$KWP_LOGS/stdout.log" 2>&1 &
  pid=$!
  printf '%s\n' "$pid" >"$KWP_PIDFILE"
  wait_exec "$pid" "$KWP_PIDFILE" "$KWP_CONFIG_DIR"
  log "Kafka $KWP_VERSION started, pid $pid, logs in $KWP_LOGS"
}

# wait_answering <deadline_ms> [retry_bind]: the PLAINTEXT port answers ApiVersions, or the JVM died.
# With retry_bind, a JVM that died because a port was taken returns 2 instead of failing (see
# start_line: only for ports inside the ephemeral range).
wait_answering() {
  local deadline="$1" retry_bind="${2:-}"
  while :; do
    if ! broker_pid >/dev/null; then
      # Not tail | grep -q: grep quits at the first match, tail dies of SIGPIPE when this start
      # logged more than a pipe holds (a few thousand lines, usual for a failed start), and
      # pipefail then made the test false, so a lost port failed the start instead of retrying.
      if [ -n "$retry_bind" ] && awk -v mark="$KWP_LOG_MARK" 'NR > mark && /Address already in use/ { found = 1 } END { exit !found }' "$KWP_LOGS/server.log" 2>/dev/null; then
        rm -f "$KWP_PIDFILE"
        return 2
      fi
      log "Kafka $KWP_VERSION exited during startup; last lines of $KWP_LOGS:"
      tail -n 30 "$KWP_LOGS/server.log" >&2 2>/dev/null || true
      tail -n 10 "$KWP_LOGS/stdout.log" >&2 2>/dev/null || true
      rm -f "$KWP_PIDFILE"
      die "Kafka $KWP_VERSION failed to start"
    fi
    kafka_ping "$KWP_PORT_PLAINTEXT" && return 0
    [ "$(now_ms)" -lt "$deadline" ] || die "Kafka $KWP_VERSION did not answer on $KWP_HOST:$KWP_PORT_PLAINTEXT in time (see $KWP_LOGS/server.log)"
    sleep 0.2
  done
}

# ------------------------------------------------------------------ one line

start_line() {
  local port_base_flag="$1" pid t0 running_base
  resolve_line "$2"
  set_paths
  t0="$(now_ms)"

  # Fast path without the lock: running, answering, seeded.
  if pid="$(broker_pid)" && [ -f "$KWP_SEEDED_MARKER" ] && [ -f "$KWP_INFO" ]; then
    running_base="$(running_port_base)"
    set_ports "$running_base"
    if kafka_ping "$KWP_PORT_PLAINTEXT"; then
      local want="$port_base_flag"
      # Only a base asked for (flag or environment) is compared: a plain start.sh reuses any.
      if [ -z "$want" ] && [ -n "${KWP_KAFKA_PORT_BASE_39:-}${KWP_KAFKA_PORT_BASE_4:-}${KWP_KAFKA_PORT_OFFSET:-}" ]; then
        want="$(configured_port_base)"
      fi
      if [ -n "$want" ] && [ "$want" != "$running_base" ]; then
        log "warning: Kafka $KWP_VERSION already runs on port base $running_base; requested $want ignored (stop it first)"
      fi
      log "Kafka $KWP_VERSION already running (pid $pid, PLAINTEXT $KWP_HOST:$KWP_PORT_PLAINTEXT)"
      printf '%s\n' "$KWP_STATE"
      return 0
    fi
  fi

  lock_acquire "broker-$KWP_VERSION"
  mkdir -p "$KWP_STATE" "$KWP_STATE/tmp" "$KWP_LOGS"
  local deadline=$(( $(now_ms) + ${KWP_KAFKA_START_TIMEOUT:-120} * 1000 ))

  if pid="$(broker_pid)"; then
    # Running (perhaps still starting, or not yet seeded): keep its ports.
    set_ports "$(running_port_base)"
    log "Kafka $KWP_VERSION process $pid exists; waiting for it to answer"
  else
    rm -f "$KWP_PIDFILE"
    set_ports "$port_base_flag"
    local p
    for p in "${KWP_PORTS[@]}"; do
      if tcp_open "$p"; then die "port $KWP_HOST:$p is already in use (another broker line or program?); choose another port base"; fi
    done
    java_check
    lock_acquire "install-$KWP_VERSION"
    install_version
    lock_release "install-$KWP_VERSION"
    make_tls
    make_jwt
    # Not for Kafka: the proxy's tests paste APISIX's curl commands, so a fresh machine needs curl.
    apt_provide curl curl
    write_config
    format_storage
    write_info
    # Ports inside the kernel's ephemeral range (only by choice: the defaults lie below it, see
    # lib.sh) can be held by another program's client socket after tcp_open found them free, open
    # or in TIME_WAIT; a TIME_WAIT one frees within 60 s, so such a start is retried for 90 s.
    # Outside the range only a listener (or a socket bound to the port on purpose) can hold it,
    # and that does not go away by waiting: fail at once. The broker's own accepted connections that it closed (TIME_WAIT on the server
    # side) never block a restart: Java's ServerSocketChannel sets SO_REUSEADDR.
    local attempt=0 rc retry_until=0
    if in_ephemeral_range "$KWP_PORT_CONTROLLER" "$KWP_PORT_LAST"; then
      log "warning: ports $KWP_PORT_CONTROLLER-$KWP_PORT_LAST lie in the kernel's ephemeral range (net.ipv4.ip_local_port_range), where any outgoing connection can take one; a port base below it is safer"
      retry_until=$(( $(now_ms) + 90000 ))
    fi
    while :; do
      attempt=$(( attempt + 1 ))
      start_jvm
      rc=0
      wait_answering "$deadline" "$([ "$(now_ms)" -lt "$retry_until" ] && echo retry)" || rc=$?
      [ "$rc" -eq 2 ] || break
      log "a port was taken while Kafka $KWP_VERSION started (attempt $attempt); starting it again"
      sleep 3
    done
  fi
  wait_answering "$deadline"
  seeder_build
  local remaining=$(( deadline - $(now_ms) ))
  [ "$remaining" -gt 1000 ] || remaining=1000
  seeder_run ready "$KWP_HOST:$KWP_PORT_PLAINTEXT" "$remaining" >/dev/null || die "Kafka $KWP_VERSION answers but is not ready (see $KWP_LOGS/server.log)"
  log "Kafka $KWP_VERSION ready in $(( $(now_ms) - t0 )) ms"

  if [ ! -f "$KWP_SEEDED_MARKER" ]; then
    local s0
    s0="$(now_ms)"
    log "seeding topics (log: $KWP_LOGS/seeder.log)"
    seeder_run seed "$KWP_HOST:$KWP_PORT_PLAINTEXT" "$KWP_EXPECTED" || die "seeding Kafka $KWP_VERSION failed (see $KWP_LOGS/seeder.log)"
    date -u '+%Y-%m-%dT%H:%M:%SZ' >"$KWP_SEEDED_MARKER"
    log "seeded in $(( $(now_ms) - s0 )) ms"
  fi
  lock_release_all
  printf '%s\n' "$KWP_STATE"
}

main() {
  local lines=() port_base="" a
  while [ $# -gt 0 ]; do
    case "$1" in
      --port-base) [ $# -ge 2 ] || die "--port-base needs a value"; port_base="$2"; shift 2 ;;
      --port-base=*) port_base="${1#*=}"; shift ;;
      -h|--help) sed -n '2,14p' "$0"; exit 0 ;;
      all) lines+=(3.9 4); shift ;;
      -*) die "unknown option $1" ;;
      *) lines+=("$1"); shift ;;
    esac
  done
  [ "${#lines[@]}" -gt 0 ] || lines=(3.9 4)
  if [ -n "$port_base" ] && [ "${#lines[@]}" -gt 1 ]; then die "--port-base applies to one broker line at a time"; fi
  for a in "${lines[@]}"; do start_line "$port_base" "$a"; done
}

main "$@"
