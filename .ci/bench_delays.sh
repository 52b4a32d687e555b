#!/usr/bin/env bash
# The cost of delays against D on the reference network R (docs/benchmarks.md, "Delays"): every
# configuration in its own process (peak RSS is per process), round-robin over the
# configurations for ROUNDS rounds; prints each process's table row. Then peak RSS at T = 1,000
# and 10,000 with the sequence streamed in calls of 100 steps (bench memory).
# Usage: .ci/bench_delays.sh [ROUNDS] (default 3; about 6 minutes per round on 2 cores).
set -euo pipefail
cd "$(dirname "$0")/.."
source .ci/host-flags.sh
swift build -c release "${HOST_FLAGS[@]}" --product plasticity > /dev/null
bin=.build/release/plasticity
rounds=${1:-3}
common=(bench network --configs R --backends systemCC --chunks 100 --repeats 1)
variants=("none" "axonal 1" "axonal 8" "axonal 32" "axonal 128" "synaptic 1" "synaptic 8" "synaptic 32" "synaptic 128")
echo "machine: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(nproc) cores; commit $(git rev-parse --short HEAD); $(date -u +%F)"
for round in $(seq "$rounds"); do
    for v in "${variants[@]}"; do
        set -- $v
        if [ "$1" = none ]; then extra=(); else extra=(--delays "$1" --max-delays "$2" --learnable-delays); fi
        echo "round $round: $("$bin" "${common[@]}" "${extra[@]}" | tail -1)"
    done
done
for v in "none" "axonal 32" "synaptic 32"; do
    set -- $v
    if [ "$1" = none ]; then extra=(); else extra=(--delays "$1" --max-delay "$2" --learnable-delays); fi
    echo "memory $v:"
    "$bin" bench memory --methods eprop --neurons 256 --steps 1000,10000 "${extra[@]}" | tail -2
done
