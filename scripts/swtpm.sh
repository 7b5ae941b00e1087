#!/usr/bin/env bash
# Starts and stops private swtpm (TPM 2.0 simulator) instances for tests and local runs.
#
#   scripts/swtpm.sh start DIR [SERVER_PORT [CTRL_PORT]]   provision (once) and start; prints the --tpm URI
#   scripts/swtpm.sh stop DIR                              stop the instance by its PID file
#   scripts/swtpm.sh status DIR                            exit 0 when it runs
#
# Each instance lives in its own DIR: DIR/state (TPM state), DIR/localca (the private CA that signed
# the EK certificates), DIR/ek-ca/ (root and intermediate certificates to trust), DIR/swtpm.pid,
# DIR/tpm.uri. Provisioning (swtpm_setup) creates the RSA-2048 EK (cert at NV 0x01C00002) and the
# ECC P-384 EK (cert at 0x01C00016), both signed by DIR's local CA; nothing is written to /var/lib.
# Ports default to free loopback ports. The instance binds 127.0.0.1 only.
set -euo pipefail

usage() { sed -n '2,13p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }

# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

# Ports are drawn from 20000-31999: below Linux's ephemeral range (32768-60999), where closed
# client connections (tpm2-tools opens one per command) would collide, and above the brokers'
# range of scripts/rabbitmq.sh.
free_port() {
  local p
  for _ in $(seq 1 200); do
    p=$(( (RANDOM % 6000) * 2 + 20000 ))
    if port_free "$p" && port_free $((p + 1)); then echo "$p"; return 0; fi
  done
  echo "swtpm.sh: no free port found" >&2; return 1
}

provision() {
  local d=$1
  mkdir -p "$d/state" "$d/localca" "$d/ek-ca"
  cat > "$d/swtpm_setup.conf" <<CONF
create_certs_tool = /usr/bin/swtpm_localca
create_certs_tool_config = $d/swtpm-localca.conf
create_certs_tool_options = $d/swtpm-localca.options
active_pcr_banks = sha256
CONF
  printf 'statedir = %s\nsigningkey = %s/signkey.pem\nissuercert = %s/issuercert.pem\ncertserial = %s/certserial\n' \
    "$d/localca" "$d/localca" "$d/localca" "$d/localca" > "$d/swtpm-localca.conf"
  printf -- '--platform-manufacturer Debian\n--platform-version 2.1\n--platform-model swtpm\n' > "$d/swtpm-localca.options"
  swtpm_setup --tpm2 --tpmstate "$d/state" --config "$d/swtpm_setup.conf" --create-ek-cert \
    --create-platform-cert --pcr-banks sha1,sha256 --overwrite > "$d/swtpm_setup.log" 2>&1 \
    || { cat "$d/swtpm_setup.log" >&2; echo "swtpm.sh: swtpm_setup failed in $d" >&2; return 1; }
  cp "$d/localca/swtpm-localca-rootca-cert.pem" "$d/ek-ca/root.pem"
  cp "$d/localca/issuercert.pem" "$d/ek-ca/intermediate.pem"
}

start() {
  local d port ctrl
  d=$(mkdir -p "$1" && cd "$1" && pwd)
  port=${2:-$(free_port)}
  ctrl=${3:-$((port + 1))}
  if [ -f "$d/swtpm.pid" ] && kill -0 "$(cat "$d/swtpm.pid")" 2>/dev/null; then
    echo "swtpm.sh: already running in $d (pid $(cat "$d/swtpm.pid"))" >&2; return 1
  fi
  [ -f "$d/state/tpm2-00.permall" ] || provision "$d"
  local attempt
  for attempt in 1 2 3 4 5; do
    rm -f "$d/swtpm.pid"
    if swtpm socket --tpm2 --tpmstate dir="$d/state" \
        --server type=tcp,port="$port",bindaddr=127.0.0.1 \
        --ctrl type=tcp,port="$ctrl",bindaddr=127.0.0.1 \
        --flags not-need-init,startup-clear \
        --pid file="$d/swtpm.pid" --log file="$d/swtpm.log" --daemon; then
      for _ in $(seq 1 100); do
        [ -s "$d/swtpm.pid" ] && ! port_free "$port" && break
        sleep 0.05
      done
      [ -s "$d/swtpm.pid" ] && break
    fi
    # Another process took the port between the check and the bind: with ports of our own
    # choosing, pick new ones; with ports the caller fixed, give up.
    if [ -n "${2:-}" ] || [ "$attempt" -eq 5 ]; then
      echo "swtpm.sh: swtpm did not start on port $port (see $d/swtpm.log)" >&2; return 1
    fi
    port=$(free_port); ctrl=$((port + 1))
  done
  printf '%s\n' "$port" > "$d/server.port"
  printf '%s\n' "$ctrl" > "$d/ctrl.port"
  echo "swtpm:127.0.0.1:$port" | tee "$d/tpm.uri"
}

stop() {
  local d=$1 pid
  [ -f "$d/swtpm.pid" ] || return 0
  pid=$(cat "$d/swtpm.pid")
  stop_pid "$pid" 5
  rm -f "$d/swtpm.pid"
}

case "${1:-}" in
  start) [ $# -ge 2 ] || usage; shift; start "$@" ;;
  stop) [ $# -eq 2 ] || usage; stop "$2" ;;
  status) [ $# -eq 2 ] || usage; [ -f "$2/swtpm.pid" ] && kill -0 "$(cat "$2/swtpm.pid")" 2>/dev/null ;;
  -h|--help|*) usage ;;
esac
