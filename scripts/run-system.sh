#!/usr/bin/env bash
# Runs the whole system for real on one machine, without Docker or systemd: a private RabbitMQ,
# the registrar, the verifier, and N agents, each on its own swtpm whose PCRs are seeded from a
# real event log (so quotes and logs agree as on a real machine).
#
#   scripts/run-system.sh start [-n AGENTS] [-d DIR] [-l EVENT_LOG] [-i INTERVAL] [-q AGENT]
#                               [-H HOST:PORT] [-R HOST:PORT]
#   scripts/run-system.sh status [-d DIR] [--watch]   the fleet as the verifier sees it (--watch: every 2 s)
#   scripts/run-system.sh stop [-d DIR]               stop everything by PID
#
# Defaults: 3 agents, DIR=/tmp/kcrypt-push-system, testdata/eventlogs/gcp-ubuntu2104-nosb.bin, interval 10s.
# The registrar trusts the private CAs that signed the swtpm EK certificates. Logs: DIR/*.log.
# Agent AGENT (default the last; 0: none) reboots once it is Trusted into a boot whose first boot
# application differs (DIR/agentN.eventlog, its swtpm re-seeded from it): it turns Quarantined.
# -H/-R: the verifier's/registrar's HTTP listener (default 127.0.0.1:9464 and :9465, a free port
# when taken); the status page URL goes to DIR/status.url.
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$(pwd)
# shellcheck source=lib.sh
. scripts/lib.sh

usage() { sed -n '2,16p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }

cmd=${1:-}; [ -n "$cmd" ] || usage; shift
agents=3 dir=/tmp/kcrypt-push-system interval=10s quarantine= watch=0
verifier_http= registrar_http=
log=$repo/testdata/eventlogs/gcp-ubuntu2104-nosb.bin
args=()
for a in "$@"; do
  if [ "$a" = --watch ]; then watch=1; else args+=("$a"); fi
done
set -- "${args[@]+"${args[@]}"}"
while getopts "n:d:l:i:q:H:R:" o; do
  case $o in
    n) agents=$OPTARG ;; d) dir=$OPTARG ;; l) log=$OPTARG ;; i) interval=$OPTARG ;;
    q) quarantine=$OPTARG ;; H) verifier_http=$OPTARG ;; R) registrar_http=$OPTARG ;; *) usage ;;
  esac
done
quarantine=${quarantine:-$agents}

bin() { echo "$repo/$1/bin/Release/net10.0/kcrypt-push-$1"; }

start_bg() { # name, command...
  local name=$1; shift
  setsid "$@" > "$dir/$name.log" 2>&1 < /dev/null &
  echo $! > "$dir/$name.pid"
}

stop_all() {
  local f
  # The boot changer first, with its whole process group: it may be between stopping a swtpm and
  # starting it again, and a swtpm it starts after the loop below would outlive the stop.
  if [ -f "$dir/change-boot.pid" ]; then
    local pid; pid=$(cat "$dir/change-boot.pid")
    kill -TERM -- "-$pid" 2>/dev/null || true
    stop_pid "$pid" 5
    rm -f "$dir/change-boot.pid"
  fi
  for f in "$dir"/*.pid; do
    [ -e "$f" ] || continue
    stop_pid "$(cat "$f")" 5
    rm -f "$f"
  done
  for t in "$dir"/tpm*; do [ -d "$t" ] && scripts/swtpm.sh stop "$t"; done
  [ -d "$dir/broker" ] && scripts/rabbitmq.sh stop "$dir/broker"
  return 0
}

operator_uri() { cat "$dir/broker/users/operator.uri"; }

# The verifier's node list as JSON (over the broker, as an operator does); [] when it does not answer.
nodes_json() {
  local out
  out=$("$(bin verifier)" nodes list --json --broker "$(operator_uri)" 2>/dev/null) || { echo '[]'; return 0; }
  # An array, or an object holding one (the shape the status page's JSON may share).
  jq -c 'if type == "array" then . else (.nodes // []) end' <<< "$out" 2>/dev/null || echo '[]'
}

# HOST:PORT for a service's HTTP listener: the one asked for, else the default, else (taken) a free one.
http_address() { # asked default
  local asked=$1 default=$2 p
  if [ -n "$asked" ]; then echo "$asked"; return 0; fi
  if port_free "${default##*:}"; then echo "$default"; return 0; fi
  for _ in $(seq 1 200); do
    p=$(( (RANDOM % 2000) + 16000 ))
    port_free "$p" && { echo "127.0.0.1:$p"; return 0; }
  done
  echo "$default"
}

# A copy of LOG where the first EV_EFI_BOOT_SERVICES_APPLICATION carries other digests in every
# bank (each byte XOR 0x5A), as tests/.../EventLogSeeder.WithChangedDigest makes it: another boot
# application, logged consistently, so PCRs seeded from the copy and the copy agree.
changed_boot_log() { # LOG OUT
  local event offset digests
  event=$("$(bin verifier)" eventlog show "$1" --json \
    | jq -c 'first(.[] | select(.type == "EV_EFI_BOOT_SERVICES_APPLICATION"))')
  [ -n "$event" ] || { echo "run-system: no boot application in $1" >&2; return 1; }
  offset=$(jq -r .offset <<< "$event")
  digests=$(jq -r '.digests | to_entries | map(.value) | join(" ")' <<< "$event")
  perl -e '
    my ($in, $out, $offset, @digests) = @ARGV;
    open(my $f, "<:raw", $in) or die "$in: $!"; local $/; my $log = <$f>; close $f;
    for my $hex (@digests) {
      my $d = pack("H*", $hex);
      my $at = index($log, $d, $offset);
      die "digest $hex not found after offset $offset\n" if $at < 0 || $at > $offset + 4096;
      substr($log, $at, length $d) = $d ^ ("\x5A" x length $d);
    }
    open(my $o, ">:raw", $out) or die "$out: $!"; print $o $log; close $o;' "$1" "$2" "$offset" $digests
  jq -r '"\(.pcr) \(.index) \(.decoded.summary // .type)"' <<< "$event"
}

start_agent() { # index
  local i=$1
  start_bg "agent$i" env "KCRYPTPUSH_Agent__Hostname=node$i" "$(bin agent)" run --broker "$(cat "$dir/broker/users/agent.uri")" \
    --tpm "$(cat "$dir/tpm$i/uri")" --event-log "$dir/agent$i.eventlog" --interval "$interval"
}

# Waits until agent I is Trusted, then reboots its node into another boot application: the agent
# stops, its swtpm power-cycles (PCRs reset) and is seeded from the changed log, the agent starts.
change_boot() { # index
  local i=$1 host=node$1 hash= event port
  for _ in $(seq 1 150); do
    hash=$(nodes_json | jq -r --arg h "$host" 'first(.[] | select(.hostname == $h and .state == "Trusted") | .tpmHash) // empty')
    [ -n "$hash" ] && break
    sleep 3
  done
  [ -n "$hash" ] || { echo "run-system: $host never turned Trusted; its boot stays as it was" >&2; return 1; }
  echo "$(date -u +%FT%TZ) $host ($hash) is Trusted; rebooting it with another boot application"
  event=$(changed_boot_log "$log" "$dir/agent$i.eventlog.next")
  stop_pid "$(cat "$dir/agent$i.pid")" 5
  port=$(cat "$dir/tpm$i/server.port")
  # A real reboot ends with the OS's TPM2_Shutdown(CLEAR): the TPM saves its Clock then, so the next
  # boot's quotes go on from it (safe = YES). Stopping swtpm without it restored an older saved
  # Clock still marked safe, which the verifier rightly refuses (clock-went-backwards).
  TPM2TOOLS_TCTI="swtpm:host=127.0.0.1,port=$port" tpm2_shutdown -c > /dev/null \
    || echo "run-system: TPM2_Shutdown on $host's swtpm failed; its next boot may look like a rolled-back TPM" >&2
  scripts/swtpm.sh stop "$dir/tpm$i"
  mv "$dir/agent$i.eventlog.next" "$dir/agent$i.eventlog"
  # The same port when still free (the agent's --tpm stays as it was), else a new one.
  scripts/swtpm.sh start "$dir/tpm$i" "$port" > "$dir/tpm$i/uri" 2>/dev/null \
    || scripts/swtpm.sh start "$dir/tpm$i" > "$dir/tpm$i/uri"
  scripts/seed-pcrs.sh "$(cat "$dir/tpm$i/server.port")" "$dir/agent$i.eventlog" "$(bin verifier)"
  start_agent "$i"
  echo "$(date -u +%FT%TZ) $host rebooted: event #${event#* } changed (PCR ${event%% *}); the verifier should quarantine it"
}

# One table of the fleet from one `nodes list --json`: hostname, TPM hash (short), state, last
# attestation, and for a node that is not Trusted why: reason codes, failing PCRs, first broken event.
status_table() {
  printf '%-12s  %-16s  %-12s  %-20s  %s\n' HOSTNAME "TPM HASH" STATE "LAST ATTESTATION" WHY
  nodes_json | jq -r '.[] | [
      .hostname, .tpmHash[0:16], .state,
      (.lastAttestationAt // "-" | sub("\\.[0-9]+"; "") | sub("\\+00:00$"; "Z")),
      (if .state == "Trusted" then "-" else
        ([(.reasons // []) | map(.code) | unique | join(", ")]
         + (if (.failingPcrs // []) | length > 0 then ["PCR " + (.failingPcrs | map("\(.bank):\(.index)") | join(" "))] else [] end)
         + (if .firstBrokenEvent then ["event #\(.firstBrokenEvent.index) \(.firstBrokenEvent.eventType): \(.firstBrokenEvent.description)"] else [] end)
        | map(select(length > 0)) | join("; ") | if length == 0 then "-" else . end)
      end)
    ] | @tsv' \
  | while IFS=$'\t' read -r host hash state at why; do
    printf '%-12s  %-16s  %-12s  %-20s  %s\n' "$host" "$hash" "$state" "$at" "$why"
  done
}

case "$cmd" in
  start)
    [ -f "$log" ] || { echo "run-system: no event log at $log (-l)" >&2; exit 2; }
    [ "$quarantine" -ge 0 ] && [ "$quarantine" -le "$agents" ] 2>/dev/null || { echo "run-system: -q must be 0..$agents" >&2; exit 2; }
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
      # Each agent reads a log of its own, so that one node can boot differently from the others.
      cp "$log" "$dir/agent$i.eventlog"
    done
    # The HTTP listeners (metrics, health, the status page) where the services have them.
    verifier_args=() registrar_args=()
    verifier_http=$(http_address "$verifier_http" 127.0.0.1:9464)
    registrar_http=$(http_address "$registrar_http" 127.0.0.1:9465)
    if "$(bin verifier)" run --help 2>&1 | grep -q -- --http; then verifier_args=(--http "$verifier_http"); fi
    if "$(bin registrar)" run --help 2>&1 | grep -q -- --http; then registrar_args=(--http "$registrar_http"); fi
    # KCRYPTPUSH_HTTP from the caller's environment would give both services the same address.
    unset KCRYPTPUSH_HTTP
    start_bg registrar "$(bin registrar)" run --broker "$(role_uri registrar)" --db "$dir/registrar.db" --ek-ca-dir "$dir/ek-ca" \
      "${registrar_args[@]+"${registrar_args[@]}"}"
    start_bg verifier "$(bin verifier)" run --broker "$(role_uri verifier)" --db "$dir/verifier.db" --interval "$interval" \
      "${verifier_args[@]+"${verifier_args[@]}"}"
    host=${verifier_http%:*}
    case $host in 0.0.0.0|"[::]"|"*"|"") host=127.0.0.1 ;; esac
    echo "http://$host:${verifier_http##*:}/" > "$dir/status.url"
    # Agents send to the services' exchanges; until a service has declared and bound its queue a
    # message there is dropped (and only retried after the request timeout), so wait for both.
    for _ in $(seq 1 120); do
      ready=$(scripts/rabbitmq.sh ctl "$dir/broker" list_queues -q --no-table-headers name consumers 2>/dev/null \
        | awk '($1=="kcrypt-push-registrar" || $1=="kcrypt-push-verifier-attestation") && $2>0' | wc -l)
      [ "$ready" -eq 2 ] && break
      sleep 0.5
    done
    [ "${ready:-0}" -eq 2 ] || echo "run-system: the registrar or the verifier is not consuming yet; agents will retry (see $dir/*.log)" >&2
    for i in $(seq 1 "$agents"); do start_agent "$i"; done
    if [ "$quarantine" -gt 0 ]; then
      start_bg change-boot "$repo/scripts/run-system.sh" _change-boot -d "$dir" -n "$agents" -l "$log" -i "$interval" -q "$quarantine"
    fi
    echo "broker $(cat "$dir/broker/admin.uri") (admin, $dir/broker/admin.uri); per-role users in $dir/broker/users/*.uri; $agents agents; logs and PIDs in $dir"
    if [ "$quarantine" -gt 0 ]; then
      echo "node$quarantine reboots with another boot application once it is Trusted: within about two minutes it shows Quarantined ($dir/change-boot.log)"
    fi
    echo "status page: $(cat "$dir/status.url")  ($dir/status.url)"
    echo "watch:  $0 status -d $dir --watch    stop: $0 stop -d $dir"
    ;;
  _change-boot) change_boot "$quarantine" ;;
  status)
    [ -f "$dir/broker/users/operator.uri" ] || { echo "run-system: nothing runs in $dir (start it first)" >&2; exit 1; }
    if [ "$watch" -eq 0 ]; then
      status_table
      exit 0
    fi
    trap 'printf "\n"; exit 0' INT TERM
    while :; do
      # Built first, drawn at once: the screen never shows half a table.
      frame=$(status_table)
      printf '\033[H\033[2J%s  (every 2 s, Ctrl-C to stop)  %s\n\n%s\n' "$(date -u +%T)" "$(cat "$dir/status.url" 2>/dev/null)" "$frame"
      sleep 2
    done
    ;;
  stop) stop_all ;;
  *) usage ;;
esac
