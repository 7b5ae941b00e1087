#!/usr/bin/env bash
# The project's test command (README): installs what the tests need, builds, runs every
# test project and ends with one line "N passed, N failed, N skipped" from the real counts.
# Tests start their own swtpm (and broker) instances on free loopback ports and stop them.
# Packaging tests: KCRYPT_TEST_DEBS=DIR uses packages made already by
# "KCRYPT_DIST=DIR scripts/package.sh 0.0.1~test" instead of building them once in the run.
set -uo pipefail
cd "$(dirname "$0")/.."

scripts/install-deps.sh --packaging || { echo "0 passed, 1 failed"; exit 1; }

# A Docker engine for the Containers tests (packaging in a Debian container, systemd as PID 1):
# started here in the background only when none answers, and stopped by its PID when this script
# ends, also on failure or interrupt. Where none can start, those tests report themselves skipped
# with the reason.
engine_pid=
stop_engine() {
  [ -n "$engine_pid" ] || return 0
  # SIGTERM and wait: after a SIGKILL the next dockerd start fails until the old one is reaped.
  kill -TERM "$engine_pid" 2> /dev/null || true
  for _ in $(seq 60); do kill -0 "$engine_pid" 2> /dev/null || break; sleep 0.5; done
  engine_pid=
}
trap 'remove_test_containers; stop_engine' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
if ! docker version > /dev/null 2>&1; then
  if command -v dockerd > /dev/null 2>&1 && [ "$(id -u)" -eq 0 ]; then
    engine_log=$(mktemp /tmp/kcrypt-push-dockerd.XXXXXX.log)
    dockerd > "$engine_log" 2>&1 &
    engine_pid=$!
    for _ in $(seq 60); do docker version > /dev/null 2>&1 && break; sleep 0.5; done
    if docker version > /dev/null 2>&1; then
      echo "test: started dockerd (PID $engine_pid, log $engine_log)" >&2
    else
      echo "test: dockerd did not answer within 30 s (log $engine_log): the Containers tests will skip" >&2
      tail -5 "$engine_log" >&2
      stop_engine
    fi
  else
    echo "test: no Docker engine answers and none can be started here (dockerd missing or not root): the Containers tests will skip" >&2
  fi
fi

# Container images for the container broker of the tests (tests/Shared/BrokerContainer.cs) and the
# bases of compose/ (its Containers test): scripts/compose-images.sh makes the local stand-ins once
# (no registry is reachable here; its debootstrap base is the packaging tests' local/debian:bookworm)
# and they are reused by every test. Without them the broker tests use the private Debian broker.
container_images() {
  docker version > /dev/null 2>&1 || return 0
  local started=$SECONDS image
  if scripts/compose-images.sh; then
    image=$(sed -n 's/^RABBITMQ_IMAGE=//p' compose/.env)
    export KCRYPT_TEST_RABBITMQ_IMAGE=${KCRYPT_TEST_RABBITMQ_IMAGE:-$image}
    echo "test: container images ready in $((SECONDS - started)) s; test brokers from $KCRYPT_TEST_RABBITMQ_IMAGE" >&2
  else
    echo "test: scripts/compose-images.sh failed after $((SECONDS - started)) s: the broker tests use the private Debian broker" >&2
  fi
}
# Broker containers a crashed test host left (Testcontainers' reaper image cannot be pulled here).
remove_test_containers() {
  docker version > /dev/null 2>&1 || return 0
  docker ps -aq --filter label=kcrypt-push-test | xargs -r docker rm -f > /dev/null 2>&1 || true
}
container_images

results=$(mktemp -d /tmp/kcrypt-push-test.XXXXXX)
status=0
dotnet test KcryptPush.sln -c Release \
  --logger "trx" \
  --results-directory "$results" \
  --blame-hang-timeout 15m || status=$?

passed=0 failed=0 skipped=0 files=0
for trx in "$results"/*.trx; do
  [ -e "$trx" ] || continue
  files=$((files + 1))
  counters=$(grep -o '<Counters [^>]*>' "$trx" | head -1)
  get() { sed -n "s/.* $1=\"\([0-9]*\)\".*/\1/p" <<< "$counters"; }
  total=$(get total); executed=$(get executed)
  passed=$((passed + $(get passed)))
  failed=$((failed + $(get failed) + $(get error) + $(get timeout) + $(get aborted)))
  skipped=$((skipped + total - executed))
done
if [ "$status" -ne 0 ] && [ "$failed" -eq 0 ]; then
  # The build or a test host failed before any result was written: count it, never hide it.
  failed=1
fi
echo "$passed passed, $failed failed, $skipped skipped"
exit "$status"
