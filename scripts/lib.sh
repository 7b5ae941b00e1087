# Helpers shared by the scripts in this folder; sourced, never run.

# port_free PORT: true when nothing accepts connections on 127.0.0.1:PORT.
port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# stop_pid PID SECONDS: SIGTERM, wait up to SECONDS for the process to exit, then SIGKILL.
stop_pid() {
  local pid=$1 tenths=$(($2 * 10))
  kill -0 "$pid" 2>/dev/null || return 0
  kill -TERM "$pid" 2>/dev/null || true
  for _ in $(seq 1 "$tenths"); do
    kill -0 "$pid" 2>/dev/null || return 0
    sleep 0.1
  done
  kill -KILL "$pid" 2>/dev/null || true
}
