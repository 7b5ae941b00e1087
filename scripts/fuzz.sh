#!/usr/bin/env bash
# Fuzzes one parser with AFL++ and SharpFuzz (README "Fuzzing"). Not part of CI.
#
#   scripts/fuzz.sh TARGET [MINUTES]      TARGET: eventlog | attest | signature | public | message
#
# Builds tests/KcryptPush.Fuzz (Release), copies the build to a work directory and instruments the
# assemblies under test there with the local dotnet tool `sharpfuzz` (manifest
# dotnet-tools.json), seeds from testdata/, runs ONE afl-fuzz for MINUTES (default 10), then copies
# every crash and hang to tests/KcryptPush.Fuzz/findings/TARGET/{crashes,hangs}/ (git-ignored),
# minimises each crash with afl-tmin (*.min next to it), checks them with `KcryptPush.Fuzz run`, and
# prints afl-fuzz's numbers (execs, execs/s, corpus, crashes, hangs).
#
# Environment: KCRYPT_FUZZ_WORK (work directory, default /tmp/kcrypt-fuzz), AFL_FUZZ_EXTRA (more
# afl-fuzz options). Needs afl++ (Debian: apt-get install afl++) and the .NET SDK.
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$(pwd)

target=${1:-}
minutes=${2:-10}
case "$target" in
  eventlog)  instrument=(KcryptPush.Attestation.dll) ;;
  attest|signature|public) instrument=(KcryptPush.Tpm.dll KcryptPush.Attestation.dll) ;;
  message)   instrument=(KcryptPush.Contracts.dll kcrypt-push-verifier.dll KcryptPush.Tpm.dll) ;;
  *) echo "usage: scripts/fuzz.sh eventlog|attest|signature|public|message [MINUTES]" >&2; exit 2 ;;
esac
[[ "$minutes" =~ ^[0-9]+$ ]] && [ "$minutes" -gt 0 ] || { echo "fuzz: MINUTES must be a positive integer" >&2; exit 2; }

if ! command -v afl-fuzz >/dev/null 2>&1; then
  echo "fuzz: afl-fuzz not found; install AFL++: apt-get install -y afl++" >&2
  exit 1
fi

work=${KCRYPT_FUZZ_WORK:-/tmp/kcrypt-fuzz}/$target
out=$repo/tests/KcryptPush.Fuzz/findings/$target
project=$repo/tests/KcryptPush.Fuzz

echo "fuzz: building $project" >&2
dotnet build "$project" -c Release -nologo -v q >&2
dotnet tool restore >/dev/null

# Instrument a copy, never the build output itself (a second sharpfuzz pass would fail, and the
# normal build must stay uninstrumented).
rm -rf "$work/bin" "$work/seeds"
mkdir -p "$work/bin" "$work/seeds" "$out/crashes" "$out/hangs"
cp -r "$project/bin/Release/net10.0/." "$work/bin/"
for dll in "${instrument[@]}"; do
  echo "fuzz: instrumenting $dll" >&2
  dotnet tool run sharpfuzz "$work/bin/$dll" >&2
done

# Seeds: the real event logs and quotes of testdata/ (message: JSON payloads made from them).
case "$target" in
  eventlog)  cp "$repo"/testdata/eventlogs/*.bin "$work/seeds/" ;;
  attest)    cp "$repo"/testdata/quotes/*.tpms_attest "$work/seeds/" ;;
  signature) cp "$repo"/testdata/quotes/*.tpmt_signature "$work/seeds/" ;;
  public)
    for f in "$repo"/testdata/quotes/*.tpmt_public; do
      cp "$f" "$work/seeds/"
      # The same key as a TPM2B_PUBLIC (UINT16 big-endian size first).
      size=$(stat -c %s "$f")
      { printf "\\x$(printf %02x $((size >> 8)))\\x$(printf %02x $((size & 255)))"; cat "$f"; } > "$work/seeds/$(basename "$f" .tpmt_public).tpm2b_public"
    done ;;
  message)   cp "$project"/seeds/message/*.json "$work/seeds/" ;;
esac

dict=()
[ -f "$project/dictionaries/$target.dict" ] && dict=(-x "$project/dictionaries/$target.dict")

# A fresh output directory per run: the previous run's findings were copied out below.
rm -rf "$work/findings"
export AFL_SKIP_CPUFREQ=1 AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES=1 AFL_SKIP_BIN_CHECK=1 AFL_NO_AFFINITY=1 AFL_NO_UI=1
fuzz_cmd=(dotnet "$work/bin/KcryptPush.Fuzz.dll" "$target")
echo "fuzz: afl-fuzz $target for $minutes minute(s); work directory $work" >&2
# -t 5000 ms and -m 10000 MB as SharpFuzz's README advises for .NET (the runtime reserves a lot of
# address space); -V stops after MINUTES.
# shellcheck disable=SC2086
afl-fuzz -i "$work/seeds" -o "$work/findings" -t 5000 -m 10000 -V $((minutes * 60)) "${dict[@]}" ${AFL_FUZZ_EXTRA:-} \
  -- "${fuzz_cmd[@]}" >"$work/afl.log" 2>&1 || { tail -40 "$work/afl.log" >&2; exit 1; }

stats=$work/findings/default/fuzzer_stats
shopt -s nullglob
crashes=("$work"/findings/default/crashes/id*)
hangs=("$work"/findings/default/hangs/id*)
for f in "${crashes[@]}"; do cp "$f" "$out/crashes/"; done
for f in "${hangs[@]}"; do cp "$f" "$out/hangs/"; done

for f in "${crashes[@]}"; do
  name=$out/crashes/$(basename "$f")
  afl-tmin -i "$f" -o "$name.min" -t 5000 -m 10000 -- "${fuzz_cmd[@]}" >/dev/null 2>&1 \
    || echo "fuzz: afl-tmin could not minimise $(basename "$f")" >&2
done
if [ ${#crashes[@]} -gt 0 ]; then
  # The uninstrumented build, in process: each crash's exception and stack.
  dotnet "$project/bin/Release/net10.0/KcryptPush.Fuzz.dll" run "$target" "$out"/crashes/* > "$out/triage.txt" 2>&1 || true
  echo "fuzz: triage (exceptions per crash) in $out/triage.txt" >&2
fi

get() { sed -n "s/^$1 *: *//p" "$stats"; }
echo "fuzz: $target: $(get run_time) s, $(get execs_done) execs, $(get execs_per_sec) execs/s," \
  "corpus $(get corpus_count), edges $(get edges_found), saved crashes $(get saved_crashes), saved hangs $(get saved_hangs)"
echo "fuzz: findings copied to $out (crashes: ${#crashes[@]}, hangs: ${#hangs[@]})"
