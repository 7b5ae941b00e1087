#!/usr/bin/env bash
# Starts and stops a private RabbitMQ node (Debian's rabbitmq-server) without systemd or Docker,
# bound to 127.0.0.1 only, with everything in one directory.
#
#   scripts/rabbitmq.sh start DIR [AMQP_PORT]   start (waits until ready); prints the amqp:// URI
#   scripts/rabbitmq.sh stop DIR                stop by the node's PID file
#   scripts/rabbitmq.sh ctl DIR ARGS...         rabbitmqctl against that node
#
# DIR holds the Erlang cookie (DIR/home), config, mnesia, logs and DIR/rabbit.pid. The node name is
# derived from the port, so several brokers can run side by side. guest/guest works from 127.0.0.1.
set -euo pipefail

RMQ=/usr/lib/rabbitmq/bin

usage() { sed -n '2,11p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }

# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

# AMQP ports from 10000-14999 and Erlang distribution ports 5000 above them: all below Linux's
# ephemeral range (32768-60999) and below scripts/swtpm.sh's range.
free_port() {
  local p
  for _ in $(seq 1 200); do
    p=$(( (RANDOM % 5000) + 10000 ))
    port_free "$p" && port_free $((p + 5000)) && { echo "$p"; return 0; }
  done
  echo "rabbitmq.sh: no free port found" >&2; return 1
}

env_for() {
  local d=$1 port=$2
  export HOME=$d/home
  export RABBITMQ_CONF_ENV_FILE=$d/rabbitmq-env.conf
  export RABBITMQ_CONFIG_FILE=$d/rabbitmq.conf
  export RABBITMQ_ENABLED_PLUGINS_FILE=$d/enabled_plugins
  export RABBITMQ_NODENAME=kcp$port@localhost
  export RABBITMQ_NODE_IP_ADDRESS=127.0.0.1
  export RABBITMQ_NODE_PORT=$port
  export RABBITMQ_DIST_PORT=$((port + 5000))
  export RABBITMQ_MNESIA_BASE=$d/mnesia
  export RABBITMQ_LOG_BASE=$d/log
  export RABBITMQ_PID_FILE=$d/rabbit.pid
  export ERL_EPMD_ADDRESS=127.0.0.1
  export RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS="-kernel inet_dist_use_interface {127,0,0,1}"
}

start() {
  local d port
  d=$(mkdir -p "$1" && cd "$1" && pwd)
  port=${2:-$(cat "$d/amqp.port" 2>/dev/null || free_port)}
  if [ -f "$d/rabbit.pid" ] && kill -0 "$(cat "$d/rabbit.pid")" 2>/dev/null; then
    echo "rabbitmq.sh: already running in $d" >&2; return 1
  fi
  [ -x "$RMQ/rabbitmq-server" ] || { echo "rabbitmq.sh: rabbitmq-server is not installed (scripts/install-deps.sh)" >&2; return 1; }
  mkdir -p "$d/home" "$d/log" "$d/mnesia"
  : > "$d/rabbitmq-env.conf"
  echo '[].' > "$d/enabled_plugins"
  printf 'listeners.tcp.1 = 127.0.0.1:%s\nloopback_users = none\n' "$port" > "$d/rabbitmq.conf"
  echo "$port" > "$d/amqp.port"
  env_for "$d" "$port"
  setsid "$RMQ/rabbitmq-server" > "$d/log/console.out" 2>&1 < /dev/null &
  if ! "$RMQ/rabbitmqctl" -n "$RABBITMQ_NODENAME" wait --timeout 90 "$RABBITMQ_PID_FILE" -q; then
    tail -20 "$d/log/console.out" >&2
    echo "rabbitmq.sh: broker in $d did not become ready" >&2
    return 1
  fi
  echo "amqp://guest:guest@127.0.0.1:$port/" | tee "$d/amqp.uri"
}

stop() {
  local d=$1 pid
  [ -f "$d/rabbit.pid" ] || return 0
  pid=$(cat "$d/rabbit.pid")
  stop_pid "$pid" 30
  rm -f "$d/rabbit.pid"
}

ctl() {
  local d=$1; shift
  env_for "$d" "$(cat "$d/amqp.port")"
  "$RMQ/rabbitmqctl" -n "$RABBITMQ_NODENAME" "$@"
}

case "${1:-}" in
  start) [ $# -ge 2 ] || usage; shift; start "$@" ;;
  stop) [ $# -eq 2 ] || usage; stop "$2" ;;
  ctl) [ $# -ge 3 ] || usage; shift; ctl "$@" ;;
  *) usage ;;
esac
