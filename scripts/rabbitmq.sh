#!/usr/bin/env bash
# Starts and stops a private RabbitMQ node (Debian's rabbitmq-server) without systemd or Docker,
# bound to 127.0.0.1 only, with everything in one directory.
#
#   scripts/rabbitmq.sh start DIR [AMQP_PORT]   start (waits until ready); prints the amqp:// URI
#   scripts/rabbitmq.sh stop DIR                stop by the node's PID file
#   scripts/rabbitmq.sh ctl DIR ARGS...         rabbitmqctl against that node
#   scripts/rabbitmq.sh users DIR               one user per role with least privilege (see below);
#                                               writes DIR/users/ROLE.uri (mode 0600) and prints them;
#                                               deletes guest and creates an admin user of its own
#                                               (random password): DIR/admin.uri (mode 0600, also
#                                               DIR/amqp.uri from then on), printed as 'admin URI'
#   scripts/rabbitmq.sh definitions DIR HOST:PORT
#                                               the same users with no broker running: DIR/users/ROLE.uri
#                                               and DIR/admin.uri for amqp://...@HOST:PORT/, and
#                                               DIR/definitions.json for a broker to load at boot
#                                               (load_definitions; compose/ does)
#   scripts/rabbitmq.sh start-tls DIR [AMQP_PORT [AMQPS_PORT]]
#                                               start with a TLS listener too (see tls_setup below):
#                                               a private CA and certificates in DIR/tls/; prints the
#                                               amqp:// URI, then the amqps:// URI (last line)
#     env KCRYPT_RMQ_MTLS=1                     the broker requires a client certificate (mutual TLS)
#     env KCRYPT_RMQ_TLS_NAMES=SAN              the server certificate's names (default
#                                               DNS:localhost,IP:127.0.0.1)
#   scripts/rabbitmq.sh cluster start DIR [N]   N nodes (default 3) in DIR/n1..DIR/nN, one Erlang cookie,
#                                               n2..nN joined to n1 (a RabbitMQ cluster for quorum
#                                               queues); prints each node's host:port (also in
#                                               DIR/cluster.nodes), then n1's URI (last line). Again on
#                                               the same DIR: the same nodes and ports, still clustered
#   scripts/rabbitmq.sh cluster stop DIR        stop every node by its PID file
#   scripts/rabbitmq.sh cluster kill DIR K      SIGKILL node K (no goodbye to its peers), by PID
#   scripts/rabbitmq.sh cluster start-node DIR K   start node K again (after kill), same port
#   scripts/rabbitmq.sh cluster users DIR       'users' on the cluster (users are cluster-wide);
#                                               the URIs name n1; DIR/users, DIR/admin.uri
#   scripts/rabbitmq.sh cluster ctl DIR K ARGS...  rabbitmqctl against node K
#
# DIR holds the Erlang cookie (DIR/home), config, mnesia, logs and DIR/rabbit.pid. The node name is
# derived from the port, so several brokers can run side by side. guest/guest works from 127.0.0.1
# until 'users' deletes it; from then on the admin is DIR/admin.uri (start prints it again).
set -euo pipefail

RMQ=/usr/lib/rabbitmq/bin

usage() { sed -n '2,39p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }

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
  # max_message_size: the broker refuses any larger publish before a service reads it. 4 MiB holds
  # the verifier's largest QuoteSubmitted (a 1 MiB event log, base64 in JSON, with the quote) with room;
  # RabbitMQ's default is 128 MiB. KCRYPT_RMQ_MAX_MESSAGE_SIZE overrides it.
  printf 'listeners.tcp.1 = 127.0.0.1:%s\nloopback_users = none\nmax_message_size = %s\n' "$port" "${KCRYPT_RMQ_MAX_MESSAGE_SIZE:-4194304}" > "$d/rabbitmq.conf"
  if [ -f "$d/tls.conf" ]; then cat "$d/tls.conf" >> "$d/rabbitmq.conf"; fi
  echo "$port" > "$d/amqp.port"
  env_for "$d" "$port"
  setsid "$RMQ/rabbitmq-server" > "$d/log/console.out" 2>&1 < /dev/null &
  local server=$! ready=0 deadline=$((SECONDS + 90))
  # Wait in short steps so a node that died at boot (e.g. its port taken) fails now, not in 90 s.
  while [ "$SECONDS" -lt "$deadline" ]; do
    if "$RMQ/rabbitmqctl" -n "$RABBITMQ_NODENAME" wait --timeout 5 "$RABBITMQ_PID_FILE" -q 2> /dev/null; then
      ready=1; break
    fi
    kill -0 "$server" 2> /dev/null || break
  done
  if [ "$ready" -ne 1 ]; then
    tail -20 "$d/log/console.out" >&2
    # The node's own log says why (a port taken, a crash at boot); the banner above does not.
    grep -h -i -E "error|eaddrinuse|crash|failed" "$d/log/"*.log 2>/dev/null | tail -10 >&2 || true
    echo "rabbitmq.sh: broker in $d did not become ready on port $port" >&2
    # Leave nothing running: the half-started node is its own session (setsid).
    kill -TERM -- "-$server" 2>/dev/null || true
    sleep 2
    kill -KILL -- "-$server" 2>/dev/null || true
    rm -f "$d/rabbit.pid"
    return 1
  fi
  if [ -f "$d/admin.uri" ]; then
    # 'users' deleted guest (the state survives a restart): the admin is the one it made.
    (umask 077; cat "$d/admin.uri" > "$d/amqp.uri"); cat "$d/amqp.uri"
  else
    echo "amqp://guest:guest@127.0.0.1:$port/" | tee "$d/amqp.uri"
  fi
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

# Roles and what each may touch (RabbitMQ permissions: configure, write, read regexes on the names
# of exchanges and queues; an exchange and a queue of the same name share a regex). MassTransit
# names a process's reply queue HOST_PROCESS_bus_ID; message-type exchanges are
# KcryptPush.Contracts.V1:TYPE. What matters: an agent cannot publish NodeEnrolled (enrol a node past
# the registrar's checks) or a verdict, cannot read any queue but its own reply queue, and cannot
# send operator commands; only the verifier publishes verdicts and reads the verifier's queues.
# Agents and operators send to the services' exchanges (exchange:NAME addresses), so they need no
# right on the services' queues beyond the exchange of the same name (configure lets them declare
# it, and would let them delete it: a denial of service that the verifier reports as silence).
bus='[^:]+_bus_[a-z0-9]+'
# A service's own QUEUE_error and QUEUE_skipped (exchange and queue): MassTransit declares them at the
# first fault and moves the message there. Without them the broker closed the consumer's channel (403)
# and the message came back, to fail again.
faults='(_error|_skipped)?'
c='KcryptPush\.Contracts\.V1:'
verdicts='NodeTrusted|NodeQuarantined|NodeSilent|NodeTerminated|NodeReleased'
operator_msgs='ListNodes|ShowNode|SetPcrPolicy|SetAkPolicy|SetBootPolicy|SetSecret|GetSecretKey|QuarantineNode|ReleaseNode|DeleteNode'
role_permissions() { # role -> "configure write read"
  case $1 in
    registrar)
      echo "^(kcrypt-push-registrar$faults|${c}(RegisterNode|CredentialProof|NodeEnrolled)|$bus)\$" \
           "^(kcrypt-push-registrar$faults|${c}NodeEnrolled|$bus)\$" \
           "^(kcrypt-push-registrar$faults|${c}(RegisterNode|CredentialProof)|$bus)\$" ;;
    verifier)
      echo "^(kcrypt-push-verifier-(attestation|enrolment|operator)$faults|${c}(RequestChallenge|QuoteSubmitted|NodeEnrolled|$operator_msgs|$verdicts|INodeVerdict)|$bus)\$" \
           "^(kcrypt-push-verifier-(attestation|enrolment|operator)$faults|${c}($verdicts|INodeVerdict)|$bus)\$" \
           "^(kcrypt-push-verifier-(attestation|enrolment|operator)$faults|${c}(RequestChallenge|QuoteSubmitted|NodeEnrolled|$operator_msgs|$verdicts)|$bus)\$" ;;
    agent)
      echo "^(kcrypt-push-verifier-attestation|kcrypt-push-registrar|$bus)\$" \
           "^(kcrypt-push-verifier-attestation|kcrypt-push-registrar|$bus)\$" \
           "^($bus)\$" ;;
    operator)
      echo "^(kcrypt-push-verifier-operator|$bus)\$" \
           "^(kcrypt-push-verifier-operator|$bus)\$" \
           "^($bus)\$" ;;
  esac
}

# RabbitMQ's rabbit_password_hashing_sha256: base64(salt ‖ SHA-256(salt ‖ password)), 4-byte salt.
password_hash() {
  local tmp
  tmp=$(mktemp -d)
  head -c 4 /dev/urandom > "$tmp/salt"
  cat "$tmp/salt" <(printf '%s' "$1") | openssl dgst -sha256 -binary > "$tmp/digest"
  cat "$tmp/salt" "$tmp/digest" | base64 -w0
  rm -rf "$tmp"
}

json_string() { local s=${1//\\/\\\\}; printf '"%s"' "${s//\"/\\\"}"; }

# role_definitions DIR HOST:PORT [VHOSTS]: random passwords for the role users and the admin, their
# URIs in DIR/users/ROLE.uri.new and DIR/admin.uri.new (mode 0600), and on stdout the definitions
# (users, password hashes, permissions on /; VHOSTS=1 declares / too, which a broker loading them at
# its first boot has not made).
role_definitions() {
  local d=$1 addr=$2 vhosts=${3:-0} role pw perms users_json="" perms_json="" sep=""
  mkdir -p "$d/users"
  chmod 700 "$d/users"
  for role in registrar verifier agent operator; do
    pw=$(head -c 18 /dev/urandom | base64 | tr -d '/+=')
    read -r -a perms <<< "$(role_permissions "$role")"
    users_json+="$sep{\"name\":\"kcrypt-$role\",\"password_hash\":\"$(password_hash "$pw")\",\"hashing_algorithm\":\"rabbit_password_hashing_sha256\",\"tags\":[]}"
    perms_json+="$sep{\"user\":\"kcrypt-$role\",\"vhost\":\"/\",\"configure\":$(json_string "${perms[0]}"),\"write\":$(json_string "${perms[1]}"),\"read\":$(json_string "${perms[2]}")}"
    sep=","
    (umask 077; echo "amqp://kcrypt-$role:$pw@$addr/" > "$d/users/$role.uri.new")
  done
  # An admin of our own (administrator tag, every right on /) replaces guest, whose password the
  # world knows: guest is deleted below, so nothing can log in as guest/guest any more.
  pw=$(head -c 24 /dev/urandom | base64 | tr -d '/+=')
  users_json+="$sep{\"name\":\"kcrypt-admin\",\"password_hash\":\"$(password_hash "$pw")\",\"hashing_algorithm\":\"rabbit_password_hashing_sha256\",\"tags\":[\"administrator\"]}"
  perms_json+="$sep{\"user\":\"kcrypt-admin\",\"vhost\":\"/\",\"configure\":\".*\",\"write\":\".*\",\"read\":\".*\"}"
  (umask 077; echo "amqp://kcrypt-admin:$pw@$addr/" > "$d/admin.uri.new")
  if [ "$vhosts" = 1 ]; then
    printf '{"vhosts":[{"name":"/"}],"users":[%s],"permissions":[%s]}\n' "$users_json" "$perms_json"
  else
    printf '{"users":[%s],"permissions":[%s]}\n' "$users_json" "$perms_json"
  fi
}

# All users and permissions in one import_definitions (each rabbitmqctl call starts an Erlang VM).
users() {
  local d port role defs
  d=$(cd "$1" && pwd)
  port=$(cat "$d/amqp.port")
  defs="$d/users/definitions.json"
  mkdir -p "$d/users"
  (umask 077; role_definitions "$d" "127.0.0.1:$port" > "$defs")
  ctl "$d" import_definitions "$defs" -q > /dev/null
  rm -f "$defs"
  mv "$d/admin.uri.new" "$d/admin.uri"
  (umask 077; cat "$d/admin.uri" > "$d/amqp.uri.new"); mv "$d/amqp.uri.new" "$d/amqp.uri"
  if ctl "$d" list_users -q --no-table-headers 2> /dev/null | awk '{print $1}' | grep -qx guest; then
    ctl "$d" delete_user guest -q > /dev/null
  fi
  for role in registrar verifier agent operator; do
    mv "$d/users/$role.uri.new" "$d/users/$role.uri"
    echo "$role $(cat "$d/users/$role.uri")"
  done
  echo "admin $(cat "$d/admin.uri")"
  echo "rabbitmq.sh: guest deleted; the admin is kcrypt-admin, its URI in $d/admin.uri" >&2
}

# The users of 'users' for a broker that is not running yet (compose/: it loads DIR/definitions.json
# at its first boot, so guest is never made): nothing is imported here.
definitions() {
  local d addr=$2
  d=$(mkdir -p "$1" && cd "$1" && pwd)
  (umask 077; role_definitions "$d" "$addr" 1 > "$d/definitions.json.new")
  mv "$d/definitions.json.new" "$d/definitions.json"
  mv "$d/admin.uri.new" "$d/admin.uri"
  for role in registrar verifier agent operator; do mv "$d/users/$role.uri.new" "$d/users/$role.uri"; done
}

# A private CA (DIR/tls/ca.pem), a server certificate for KCRYPT_RMQ_TLS_NAMES signed by it
# (server.pem/server.key) and a client certificate (client.pem/client.key, CN kcrypt-client) for
# mutual TLS, made once per DIR; and DIR/tls.conf, the listener that start adds to rabbitmq.conf.
# RabbitMQ TLS guide (https://www.rabbitmq.com/docs/ssl): verify_peer asks for a client certificate
# and checks it against cacertfile; fail_if_no_peer_cert refuses clients that present none.
tls_setup() {
  local d=$1 tlsport=$2 t names mtls
  t=$d/tls
  names=${KCRYPT_RMQ_TLS_NAMES:-DNS:localhost,IP:127.0.0.1}
  mtls=false
  if [ "${KCRYPT_RMQ_MTLS:-0}" = 1 ]; then mtls=true; fi
  if [ ! -f "$t/server.pem" ]; then
    mkdir -p "$t"
    chmod 700 "$t"
    (
      cd "$t"
      umask 077
      openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out ca.key 2>/dev/null
      openssl req -x509 -new -key ca.key -sha256 -days 30 -subj "/CN=kcrypt-push test CA $(basename "$d")" \
        -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" -out ca.pem
      for leaf in server client; do
        openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$leaf.key" 2>/dev/null
        if [ "$leaf" = server ]; then
          printf 'basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\nsubjectAltName=%s\n' "$names" > "$leaf.ext"
          openssl req -new -key "$leaf.key" -subj "/CN=${names#*:}" -out "$leaf.csr"
        else
          printf 'basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=clientAuth\n' > "$leaf.ext"
          openssl req -new -key "$leaf.key" -subj "/CN=kcrypt-client" -out "$leaf.csr"
        fi
        openssl x509 -req -in "$leaf.csr" -CA ca.pem -CAkey ca.key -CAcreateserial -sha256 -days 30 \
          -extfile "$leaf.ext" -out "$leaf.pem" 2>/dev/null
        rm -f "$leaf.csr" "$leaf.ext"
      done
      chmod 644 ca.pem server.pem client.pem
    )
  fi
  printf '%s\n' "listeners.ssl.1 = 127.0.0.1:$tlsport" \
    "ssl_options.cacertfile = $t/ca.pem" \
    "ssl_options.certfile = $t/server.pem" \
    "ssl_options.keyfile = $t/server.key" \
    "ssl_options.verify = verify_peer" \
    "ssl_options.fail_if_no_peer_cert = $mtls" > "$d/tls.conf"
  echo "$tlsport" > "$d/amqps.port"
}

start_tls() {
  local d port tlsport
  d=$(mkdir -p "$1" && cd "$1" && pwd)
  port=${2:-$(cat "$d/amqp.port" 2>/dev/null || free_port)}
  tlsport=${3:-$(cat "$d/amqps.port" 2>/dev/null || true)}
  if [ -z "$tlsport" ]; then
    for _ in $(seq 1 200); do
      tlsport=$(free_port)
      [ "$tlsport" != "$port" ] && break
    done
  fi
  tls_setup "$d" "$tlsport"
  start "$d" "$port"
  local host=${KCRYPT_RMQ_TLS_NAMES:-DNS:localhost}
  host=${host%%,*}
  echo "amqps://guest:guest@${host#*:}:$tlsport/" | tee "$d/amqps.uri"
}

# A cluster on one machine: each node is a 'start' node of its own (DIR/nK: own name kcpPORT@localhost,
# AMQP and distribution ports, mnesia and logs) with the same Erlang cookie written before its first
# boot, which is all Erlang distribution asks of peers; n2..nN then join n1 (stop_app, join_cluster,
# start_app: RabbitMQ's documented way, https://www.rabbitmq.com/docs/clustering). DIR/nK/joined
# records a join, so starting the cluster again only starts the nodes.
cluster_start() {
  local d n k port ports=() cookie
  d=$(mkdir -p "$1" && cd "$1" && pwd)
  n=${2:-3}
  [[ "$n" =~ ^[1-9]$ ]] || { echo "rabbitmq.sh: cluster size must be 1..9, not '$n'" >&2; return 2; }
  if [ ! -f "$d/cookie" ]; then
    (umask 077; head -c 30 /dev/urandom | base64 | tr -dc 'A-Za-z0-9' > "$d/cookie")
  fi
  for k in $(seq 1 "$n"); do
    mkdir -p "$d/n$k/home"
    if [ ! -f "$d/n$k/home/.erlang.cookie" ]; then
      (umask 077; cp "$d/cookie" "$d/n$k/home/.erlang.cookie"); chmod 400 "$d/n$k/home/.erlang.cookie"
    fi
    # Ports chosen before any node starts: free_port alone could hand two nodes the same one.
    if [ -f "$d/n$k/amqp.port" ]; then
      port=$(cat "$d/n$k/amqp.port")
    else
      for _ in $(seq 1 50); do
        port=$(free_port)
        [[ " ${ports[*]} " == *" $port "* ]] || break
      done
      echo "$port" > "$d/n$k/amqp.port"
    fi
    ports+=("$port")
  done
  if [ -f "$d/n2/joined" ]; then
    # Started before: a clustered node waits at boot for the peers that stopped after it (RabbitMQ
    # restarts a cluster from the last node down), so all start at once and none waits on a node
    # that is not started yet.
    local pids=() failed=0
    for k in $(seq 1 "$n"); do
      start "$d/n$k" "${ports[$((k - 1))]}" > /dev/null & pids+=($!)
    done
    for k in "${pids[@]}"; do wait "$k" || failed=1; done
    [ "$failed" -eq 0 ] || { cluster_stop "$d"; return 1; }
  else
    # A new cluster: one after another (three Erlang VMs booting at once on a loaded 2-core machine
    # each take longer than the three in a row), and a node that fails stops here with its own log.
    for k in $(seq 1 "$n"); do
      start "$d/n$k" "${ports[$((k - 1))]}" > /dev/null || { cluster_stop "$d"; return 1; }
    done
  fi
  local first="kcp${ports[0]}@localhost"
  for k in $(seq 2 "$n"); do
    [ -f "$d/n$k/joined" ] && continue
    if ! { ctl "$d/n$k" stop_app -q && ctl "$d/n$k" join_cluster "$first" -q && ctl "$d/n$k" start_app -q; } > "$d/n$k/log/join.out" 2>&1; then
      cat "$d/n$k/log/join.out" >&2
      echo "rabbitmq.sh: node n$k did not join $first" >&2
      cluster_stop "$d"; return 1
    fi
    touch "$d/n$k/joined"
  done
  : > "$d/cluster.nodes.new"
  for k in $(seq 1 "$n"); do echo "127.0.0.1:${ports[$((k - 1))]}" >> "$d/cluster.nodes.new"; done
  mv "$d/cluster.nodes.new" "$d/cluster.nodes"
  cat "$d/cluster.nodes"
  if [ -f "$d/admin.uri" ]; then cat "$d/admin.uri"; else cat "$d/n1/amqp.uri"; fi
}

cluster_nodes() { local d=$1 k; for k in "$d"/n[1-9]; do [ -d "$k" ] && echo "$k"; done; }

cluster_stop() {
  local d=$1 k
  for k in $(cluster_nodes "$d"); do stop "$k"; done
}

cluster_kill() {
  local d=$1 k=$2 pid
  [ -f "$d/n$k/rabbit.pid" ] || { echo "rabbitmq.sh: node n$k in $d is not running" >&2; return 1; }
  pid=$(cat "$d/n$k/rabbit.pid")
  kill -KILL "$pid" 2>/dev/null || true
  for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  rm -f "$d/n$k/rabbit.pid"
}

cluster_users() {
  local d role
  d=$(cd "$1" && pwd)
  users "$d/n1" > /dev/null
  mkdir -p "$d/users"; chmod 700 "$d/users"
  for role in registrar verifier agent operator; do
    (umask 077; cp "$d/n1/users/$role.uri" "$d/users/$role.uri")
    echo "$role $(cat "$d/users/$role.uri")"
  done
  (umask 077; cp "$d/n1/admin.uri" "$d/admin.uri")
  echo "admin $(cat "$d/admin.uri")"
}

cluster() {
  local sub=${1:-}; shift || true
  case "$sub" in
    start) [ $# -ge 1 ] || usage; cluster_start "$@" ;;
    stop) [ $# -eq 1 ] || usage; cluster_stop "$1" ;;
    kill) [ $# -eq 2 ] || usage; cluster_kill "$1" "$2" ;;
    start-node) [ $# -eq 2 ] || usage; start "$1/n$2" > /dev/null ;;
    users) [ $# -eq 1 ] || usage; cluster_users "$1" ;;
    ctl) [ $# -ge 3 ] || usage; local d=$1 k=$2; shift 2; ctl "$d/n$k" "$@" ;;
    *) usage ;;
  esac
}

case "${1:-}" in
  cluster) shift; cluster "$@" ;;
  start-tls) [ $# -ge 2 ] || usage; shift; start_tls "$@" ;;
  start) [ $# -ge 2 ] || usage; shift; start "$@" ;;
  stop) [ $# -eq 2 ] || usage; stop "$2" ;;
  ctl) [ $# -ge 3 ] || usage; shift; ctl "$@" ;;
  users) [ $# -eq 2 ] || usage; users "$2" ;;
  definitions) [ $# -eq 3 ] || usage; definitions "$2" "$3" ;;
  *) usage ;;
esac
