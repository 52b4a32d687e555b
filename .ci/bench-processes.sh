#!/usr/bin/env bash
# Training throughput of the default spoken-digit config (examples/configs/spoken-digits.json)
# split three ways: 1 process × 1 thread, 1 process × 2 threads, 2 MPI processes × 1 thread.
# Each round runs the three in turn (alternating processes); a run's figure is the mean of its
# epochs' training samples/s (metrics.jsonl); the table gives the median over rounds.
# Usage: .ci/bench-processes.sh [ROUNDS=3] [EPOCHS=3]
set -euo pipefail
cd "$(dirname "$0")/.."
source .ci/host-flags.sh
rounds=${1:-3}
epochs=${2:-3}
.ci/install-system-packages.sh
swift build -c release "${HOST_FLAGS[@]}" --product plasticity >/dev/null
binary=.build/release/plasticity
config=examples/configs/spoken-digits.json
out=out/bench-processes
root=()
[ "$(id -u)" -eq 0 ] && root=(--allow-run-as-root)
# Builds the set if it is not cached yet, outside the timed runs.
"$binary" train --config "$config" --out "$out/warm-up" --overwrite --epochs 1 >/dev/null 2>&1
run() {   # variant → mean samples/s of its epochs
  local settings=(train --config "$config" --out "$out/$1" --overwrite --epochs "$epochs")
  case "$1" in
    1x1) "$binary" "${settings[@]}" --set training.threads=1 >/dev/null 2>&1 ;;
    1x2) "$binary" "${settings[@]}" --set training.threads=2 >/dev/null 2>&1 ;;
    2x1) mpirun "${root[@]}" -np 2 "$binary" "${settings[@]}" --set training.threads=1 >/dev/null 2>&1 ;;
  esac
  grep -o '"samplesPerSecond":[0-9.e+-]*' "$out/$1/metrics.jsonl" | cut -d: -f2 | awk '{ s += $1 } END { printf "%.0f\n", s / NR }'
}
declare -A figures
for round in $(seq "$rounds"); do
  for variant in 1x1 1x2 2x1; do
    figure=$(run "$variant")
    figures[$variant]+="$figure "
    echo "round $round: $variant $figure samples/s"
  done
done
echo "processes x threads | samples/s (median of $rounds rounds) | rounds"
for variant in 1x1 1x2 2x1; do
  median=$(echo "${figures[$variant]}" | tr ' ' '\n' | grep . | sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }')
  echo "$variant | $median | ${figures[$variant]}"
done
