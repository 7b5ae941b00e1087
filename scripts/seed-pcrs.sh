#!/usr/bin/env bash
# Extends a swtpm's PCRs with the digests of a real TCG event log, so that the TPM's PCRs and the
# log agree as on a real machine that booted with that firmware.
#
#   scripts/seed-pcrs.sh TPM_PORT EVENT_LOG [VERIFIER_EXE]
#
# Every event except EV_NO_ACTION (never extended) and PCR indexes outside 0-23 is replayed with
# tpm2_pcrextend into the sha1 and sha256 banks (those swtpm.sh allocates); other banks of the
# log are ignored. swtpm starts at locality 0, so use a log without a StartupLocality event.
# The log is decoded by `kcrypt-push-verifier eventlog show --json` (our parser); the extends are
# done by tpm2-tools.
set -euo pipefail
[ $# -ge 2 ] || { sed -n '2,10p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }
port=$1 log=$2
exe=${3:-$(dirname "$0")/../verifier/bin/Release/net10.0/kcrypt-push-verifier}
export TPM2TOOLS_TCTI="swtpm:host=127.0.0.1,port=$port"

"$exe" eventlog show "$log" --json | jq -r '
  .[] | select(.type != "EV_NO_ACTION" and .pcr >= 0 and .pcr <= 23) | . as $e
      | [.digests | to_entries[] | select(.key == "sha1" or .key == "sha256") | "\(.key)=\(.value)"]
      | select(length > 0) | "\($e.pcr):\(join(","))"' \
| while read -r spec; do
  tpm2_pcrextend "$spec"
done
