#!/usr/bin/env bash
# Runs the whole system for real on one machine, without Docker or systemd: a private RabbitMQ,
# the registrar, the verifier, and N agents, each on its own swtpm whose PCRs are seeded from a
# real event log (so quotes and logs agree as on a real machine).
#
#   scripts/run-system.sh start [-n AGENTS] [-d DIR] [-l EVENT_LOG] [-i INTERVAL]
#   scripts/run-system.sh status [-d DIR]        node lists of the registrar and the verifier
#   scripts/run-system.sh stop [-d DIR]          stop everything by PID
#
# Defaults: 3 agents, DIR=/tmp/kcrypt-push-system, testdata/eventlogs/gcp-ubuntu2104-nosb.bin, interval 10s.
# The registrar trusts the private CAs that signed the swtpm EK certificates. Logs: DIR/*.log.
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$(pwd)
# shellcheck source=lib.sh
. scripts/lib.sh

usage() { sed -n '2,13p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }

cmd=${1:-}; [ -n "$cmd" ] || usage; shift
agents=3 dir=/tmp/kcrypt-push-system interval=10s
log=$repo/testdata/eventlogs/gcp-ubuntu2104-nosb.bin
while getopts "n:d:l:i:" o; do
  case $o in
    n) agents=$OPTARG ;; d) dir=$OPTARG ;; l) log=$OPTARG ;; i) interval=$OPTARG ;; *) usage ;;
  esac
done

bin() { echo "$repo/$1/bin/Release/net10.0/kcrypt-push-$1"; }

start_bg() { # name, command...
  local name=$1; shift
  setsid "$@" > "$dir/$name.log" 2>&1 < /dev/null &
  echo $! > "$dir/$name.pid"
}

stop_all() {
  local f
  for f in "$dir"/*.pid; do
    [ -e "$f" ] || continue
    stop_pid "$(cat "$f")" 5
    rm -f "$f"
  done
  for t in "$dir"/tpm*; do [ -d "$t" ] && scripts/swtpm.sh stop "$t"; done
  [ -d "$dir/broker" ] && scripts/rabbitmq.sh stop "$dir/broker"
  return 0
}

case "$cmd" in
  start)
    [ -f "$log" ] || { echo "run-system: no event log at $log (-l)" >&2; exit 2; }
    scripts/install-deps.sh
    mkdir -p "$dir/ek-ca"
    for p in agent registrar verifier; do
      dotnet build "$p" -c Release -v quiet -nologo > "$dir/build-$p.log" 2>&1 \
        || { cat "$dir/build-$p.log" >&2; echo "run-system: building $p failed" >&2; exit 1; }
    done
    scripts/rabbitmq.sh start "$dir/broker" > /dev/null
    # One broker user per role, least privilege (scripts/rabbitmq.sh users): an agent's credentials
    # cannot enrol a node past the registrar, publish a verdict or read the verifier's queues.
    # It also deletes guest: the admin from then on is kcrypt-admin, in $dir/broker/admin.uri.
    scripts/rabbitmq.sh users "$dir/broker" > /dev/null
    role_uri() { cat "$dir/broker/users/$1.uri"; }
    for i in $(seq 1 "$agents"); do
      uri=$(scripts/swtpm.sh start "$dir/tpm$i")
      cp "$dir/tpm$i/ek-ca/root.pem" "$dir/ek-ca/tpm$i-root.pem"
      cp "$dir/tpm$i/ek-ca/intermediate.pem" "$dir/ek-ca/tpm$i-intermediate.pem"
      scripts/seed-pcrs.sh "$(cat "$dir/tpm$i/server.port")" "$log" "$(bin verifier)"
      echo "$uri" > "$dir/tpm$i/uri"
    done
    start_bg registrar "$(bin registrar)" run --broker "$(role_uri registrar)" --db "$dir/registrar.db" --ek-ca-dir "$dir/ek-ca"
    start_bg verifier "$(bin verifier)" run --broker "$(role_uri verifier)" --db "$dir/verifier.db" --interval "$interval"
    # Agents send to the services' exchanges; until a service has declared and bound its queue a
    # message there is dropped (and only retried after the request timeout), so wait for both.
    for _ in $(seq 1 120); do
      ready=$(scripts/rabbitmq.sh ctl "$dir/broker" list_queues -q --no-table-headers name consumers 2>/dev/null \
        | awk '($1=="kcrypt-push-registrar" || $1=="kcrypt-push-verifier-attestation") && $2>0' | wc -l)
      [ "$ready" -eq 2 ] && break
      sleep 0.5
    done
    [ "${ready:-0}" -eq 2 ] || echo "run-system: the registrar or the verifier is not consuming yet; agents will retry (see $dir/*.log)" >&2
    for i in $(seq 1 "$agents"); do
      start_bg "agent$i" "$(bin agent)" run --broker "$(role_uri agent)" --tpm "$(cat "$dir/tpm$i/uri")" \
        --event-log "$log" --interval "$interval"
    done
    echo "broker $(cat "$dir/broker/admin.uri") (admin, $dir/broker/admin.uri); per-role users in $dir/broker/users/*.uri; $agents agents; logs and PIDs in $dir"
    echo "watch:  $0 status -d $dir    stop: $0 stop -d $dir"
    ;;
  status)
    echo "== registrar"; "$(bin registrar)" nodes list --db "$dir/registrar.db" || true
    echo "== verifier"
    if [ -f "$dir/broker/users/operator.uri" ]; then
      "$(bin verifier)" nodes list --broker "$(cat "$dir/broker/users/operator.uri")" || true
    fi
    ;;
  stop) stop_all ;;
  *) usage ;;
esac
