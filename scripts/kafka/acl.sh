#!/usr/bin/env bash
# Topic ACLs on a running broker line, set with Kafka's Java Admin client (Seed acl-*, in
# scripts/kafka/seeder/Acls.java). The brokers run the StandardAuthorizer with
# allow.everyone.if.no.acl.found=true: a topic without ACLs is open to every principal, and its
# first ACL closes it to every principal not named (super users aside: User:ANONYMOUS, i.e.
# PLAINTEXT, SSL and the seeder).
#   allow-read: ALLOW READ and DESCRIBE for User:PRINCIPAL on the literal TOPIC (Metadata,
#     ListOffsets, Fetch without a group). Prints "allowed User:PRINCIPAL READ,DESCRIBE on topic TOPIC".
#   clear: delete every ACL on the literal TOPIC. Prints "cleared N ACLs on topic TOPIC".
# Both are idempotent and return once the broker's authorizer lists the result. ACLs live in the
# cluster metadata, not with the topic: they outlive a deleted topic until cleared.
#
#   scripts/kafka/acl.sh 4 allow-read private-topic alice
#   scripts/kafka/acl.sh 4 clear private-topic
set -euo pipefail
# shellcheck source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

usage="usage: acl.sh 3.9|4 allow-read TOPIC PRINCIPAL | acl.sh 3.9|4 clear TOPIC"
resolve_line "${1:?$usage}"
mode="${2:?$usage}"
topic="${3:?$usage}"
case "$topic" in *[!a-zA-Z0-9._-]*) die "topic '$topic' may hold only letters, digits, '.', '_' and '-'" ;; esac
case "$mode" in
  allow-read)
    [ "$#" -eq 4 ] || die "$usage"
    [ -n "$4" ] || die "PRINCIPAL must not be empty"
    ;;
  clear) [ "$#" -eq 3 ] || die "$usage" ;;
  *) die "$usage" ;;
esac
set_paths
broker_pid >/dev/null || die "Kafka $KWP_VERSION is not running (scripts/kafka/start.sh $KWP_LINE)"
set_ports "$(running_port_base)"
seeder_build
seeder_run "acl-$mode" "$KWP_HOST:$KWP_PORT_PLAINTEXT" "$topic" "${@:4}"
