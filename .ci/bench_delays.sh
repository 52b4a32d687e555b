#!/usr/bin/env bash
# The cost of delays against D (docs/benchmarks.md, "Delays"): on the reference network R (delays
# on the input projection, then on the recurrent one) and on R2 (R with a second recurrent layer of
# 256; delays between the layers). Every configuration in its own process (peak RSS is per process), round-robin over the
# configurations for ROUNDS rounds; prints each process's table row. Then peak RSS at T = 1,000
# and 10,000 with the sequence streamed in calls of 100 steps (bench memory).
# Usage: .ci/bench_delays.sh [ROUNDS] [R|R2|all] (default 3 all; the 3 rounds of R and its memory
# points took 4 minutes on 2 cores, after the release build).
set -euo pipefail
cd "$(dirname "$0")/.."
source .ci/host-flags.sh
swift build -c release "${HOST_FLAGS[@]}" --product plasticity > /dev/null
bin=.build/release/plasticity
rounds=${1:-3}
which=${2:-all}
variants=()
# config, layers, delayed projection, kind, D
if [ "$which" != R2 ]; then
    variants+=("R first input none" "R first input axonal 1" "R first input axonal 8" "R first input axonal 32" "R first input axonal 128")
    variants+=("R first input synaptic 1" "R first input synaptic 8" "R first input synaptic 32" "R first input synaptic 128")
    variants+=("R first recurrent axonal 1" "R first recurrent axonal 8" "R first recurrent axonal 32" "R first recurrent axonal 128")
    variants+=("R first recurrent synaptic 1" "R first recurrent synaptic 8")
fi
if [ "$which" != R ]; then
    variants+=("R2 between input none" "R2 between input axonal 1" "R2 between input axonal 8" "R2 between input axonal 32")
    variants+=("R2 between input axonal 128" "R2 between input synaptic 1" "R2 between input synaptic 8")
fi
echo "machine: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(nproc) cores; commit $(git rev-parse --short HEAD); $(date -u +%F)"
for round in $(seq "$rounds"); do
    for v in "${variants[@]}"; do
        set -- $v
        common=(bench network --configs "$1" --backends systemCC --chunks 100 --repeats 1 --delayed-layers "$2" --delayed-source "$3")
        if [ "$4" = none ]; then extra=(); else extra=(--delays "$4" --max-delays "$5" --learnable-delays); fi
        echo "round $round: $("$bin" "${common[@]}" "${extra[@]}" | tail -1)"
    done
done
memory=()
if [ "$which" != R2 ]; then memory+=("1 first input none" "1 first input axonal 32" "1 first input synaptic 32" "1 first recurrent axonal 32"); fi
if [ "$which" != R ]; then memory+=("2 between input none" "2 between input axonal 32"); fi
for v in "${memory[@]}"; do
    set -- $v
    if [ "$4" = none ]; then extra=(); else extra=(--delays "$4" --max-delay "$5" --learnable-delays); fi
    echo "memory, $1 layer(s), $3 $4 ${5:-} ($2):"
    "$bin" bench memory --methods eprop --neurons 256 --steps 1000,10000 --layers "$1" --delayed-layers "$2" --delayed-source "$3" \
        "${extra[@]}" | tail -2
done
