#!/usr/bin/env bash
# The project's test command (README): installs what the tests need, builds, runs every
# test project and ends with one line "N passed, N failed, N skipped" from the real counts.
# Tests start their own swtpm (and broker) instances on free loopback ports and stop them.
set -uo pipefail
cd "$(dirname "$0")/.."

scripts/install-deps.sh || { echo "0 passed, 1 failed"; exit 1; }

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
