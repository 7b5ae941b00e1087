#!/usr/bin/env bash
# Runs the load generator (bench load) against a verifier of its own: a private RabbitMQ, the
# verifier as its least-privilege broker user with a fresh database, then the simulated nodes
# (as the broker's admin user, DIR/broker/admin.uri since 'users' deleted guest: they publish NodeEnrolled themselves); stops both by PID at the end.
#
#   scripts/load.sh [-d DIR] [-q QUOTES_PER_MINUTE] [-v VERIFIER_BINARY] [-b PREPARED_DB] [-- BENCH_LOAD_OPTIONS...]
#
# Defaults: DIR=/tmp/kcrypt-push-load; -q 100000: the verifier's per-node quote limit
# (Verifier:QuotesPerMinute, default 30 a minute) raised so nodes can attest back to back (the
# challenge limits stay at their defaults); the verifier is built from this checkout unless -v
# names a built kcrypt-push-verifier; -b starts it on a copy (in DIR) of a prepared verifier.db
# instead of a fresh one (bench store --populate N). Prints the verifier's start-up time (exec to
# a consumer on its attestation queue) and RSS. --verifier-pid is added for you. Examples:
#   scripts/load.sh -- --nodes 50 --duration 30s --flood
#   scripts/load.sh -- --nodes 50 --duration 30s --rate 200/s --json
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$(pwd)
# shellcheck source=lib.sh
. scripts/lib.sh

usage() { sed -n '2,16p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }

dir=/tmp/kcrypt-push-load qpm=100000 verifier="" prepared=""
while getopts "d:q:v:b:h" o; do
  case $o in
    d) dir=$OPTARG ;; q) qpm=$OPTARG ;; v) verifier=$OPTARG ;; b) prepared=$OPTARG ;; *) usage ;;
  esac
done
shift $((OPTIND - 1))

mkdir -p "$dir"
dir=$(cd "$dir" && pwd)
for p in bench verifier; do
  [ "$p" = verifier ] && [ -n "$verifier" ] && continue
  dotnet build "$p" -c Release -v quiet -nologo > "$dir/build-$p.log" 2>&1 \
    || { cat "$dir/build-$p.log" >&2; echo "load.sh: building $p failed" >&2; exit 1; }
done
verifier=${verifier:-$repo/verifier/bin/Release/net10.0/kcrypt-push-verifier}
bench=$repo/bench/bin/Release/net10.0/KcryptPush.Bench

verifier_pid=""
cleanup() {
  [ -n "$verifier_pid" ] && stop_pid "$verifier_pid" 10
  scripts/rabbitmq.sh stop "$dir/broker"
}
trap cleanup EXIT

scripts/rabbitmq.sh start "$dir/broker" > /dev/null
scripts/rabbitmq.sh users "$dir/broker" > /dev/null
rm -f "$dir/verifier.db" "$dir/verifier-log.db" "$dir/verifier.secret-key"
if [ -n "$prepared" ]; then
  [ -f "$prepared" ] || { echo "load.sh: no such file: $prepared" >&2; exit 2; }
  cp "$prepared" "$dir/verifier.db"
fi
rss_kib() { awk '$1=="VmRSS:"{print $2}' "/proc/$1/status" 2>/dev/null || echo 0; }
started=$(date +%s.%N)
# The HTTP listener is off: the run measures the broker path, and a default port another
# verifier on this machine holds would stop this one.
KCRYPTPUSH_Verifier__QuotesPerMinute=$qpm KCRYPTPUSH_Http__Listen=off setsid "$verifier" run --broker "$(cat "$dir/broker/users/verifier.uri")" \
  --db "$dir/verifier.db" > "$dir/verifier.log" 2>&1 < /dev/null &
verifier_pid=$!
for _ in $(seq 1 120); do
  ready=$(scripts/rabbitmq.sh ctl "$dir/broker" list_queues -q --no-table-headers name consumers 2>/dev/null \
    | awk '$1=="kcrypt-push-verifier-attestation" && $2>0' | wc -l)
  [ "$ready" -eq 1 ] && break
  kill -0 "$verifier_pid" 2>/dev/null || { cat "$dir/verifier.log" >&2; echo "load.sh: the verifier exited" >&2; exit 1; }
  sleep 0.5
done
[ "$ready" -eq 1 ] || { echo "load.sh: the verifier did not consume within 60 s" >&2; exit 1; }
consuming=$(date +%s.%N)
echo "load.sh: verifier PID $verifier_pid (Verifier:QuotesPerMinute=$qpm), log $dir/verifier.log" >&2
echo "load.sh: verifier consuming after $(echo "$consuming - $started" | bc) s (exec to a consumer, 0.5 s polls), RSS $(( $(rss_kib "$verifier_pid") / 1024 )) MiB; load average $(cut -d' ' -f1-3 /proc/loadavg)" >&2
rc=0
"$bench" load --broker "$(cat "$dir/broker/admin.uri")" --verifier-pid "$verifier_pid" "$@" || rc=$?
echo "load.sh: verifier RSS after the run $(( $(rss_kib "$verifier_pid") / 1024 )) MiB, peak $(( $(awk '$1=="VmHWM:"{print $2}' "/proc/$verifier_pid/status") / 1024 )) MiB; load average $(cut -d' ' -f1-3 /proc/loadavg)" >&2
exit $rc
