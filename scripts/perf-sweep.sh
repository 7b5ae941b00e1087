#!/usr/bin/env bash
# The README's "Performance" plot: the load generator (scripts/load.sh: a private broker and a fresh
# verifier for each run) in open loop at each offered rate, one --json report per rate, drawn by
# 'bench plot' as SVG and rendered to PNG by headless chromium.
#
#   scripts/perf-sweep.sh [-d DIR] [-n NODES] [-r "RATE RATE..."] [-t DURATION] [-w WARMUP] [-o PNG]
#
# Defaults: DIR=/tmp/kcrypt-push-sweep, -n 200 nodes, -r "50 100 200 300 400 500", -t 30s, -w 15s,
# -o DIR/performance.png (the README's copy is docs/performance.png). About (w + t + 20 s) per rate.
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$(pwd)

usage() { sed -n '2,10p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }

dir=/tmp/kcrypt-push-sweep nodes=200 rates="50 100 200 300 400 500" duration=30s warmup=15s png=""
while getopts "d:n:r:t:w:o:h" o; do
  case $o in
    d) dir=$OPTARG ;; n) nodes=$OPTARG ;; r) rates=$OPTARG ;; t) duration=$OPTARG ;; w) warmup=$OPTARG ;;
    o) png=$OPTARG ;; *) usage ;;
  esac
done
command -v chromium > /dev/null || { echo "perf-sweep.sh: no chromium (apt-get install chromium)" >&2; exit 1; }
mkdir -p "$dir"
dir=$(cd "$dir" && pwd)
png=${png:-$dir/performance.png}

reports=()
for rate in $rates; do
  report=$dir/rate-$rate.json
  echo "perf-sweep.sh: $rate/s offered, report $report" >&2
  scripts/load.sh -d "$dir/run" -- --nodes "$nodes" --rate "$rate/s" --warmup "$warmup" --duration "$duration" --json > "$report"
  reports+=("$report")
done

"$repo/bench/bin/Release/net10.0/KcryptPush.Bench" plot --out "$dir/performance.svg" "${reports[@]}"
profile=$(mktemp -d)
trap 'rm -rf "$profile"' EXIT
HOME=$profile chromium --headless --no-sandbox --disable-gpu --disable-dev-shm-usage --no-first-run --hide-scrollbars \
  --user-data-dir="$profile" --window-size=1130,480 --screenshot="$(realpath -m "$png")" "file://$dir/performance.svg" 2> "$dir/chromium.log" \
  || { tail -5 "$dir/chromium.log" >&2; echo "perf-sweep.sh: chromium failed" >&2; exit 1; }
echo "perf-sweep.sh: $png (from $dir/performance.svg)" >&2
