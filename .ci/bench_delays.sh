#!/usr/bin/env bash
# The cost of delays against D (docs/benchmarks.md, "Delays"): on the reference network R (delays
# on the input projection, then on the recurrent one) and on R2 (R with a second recurrent layer of
# 256; delays between the layers). Every configuration in its own process (peak RSS is per process), round-robin over the
# configurations for ROUNDS rounds; prints each process's table row. Then peak RSS at T = 1,000
# and 10,000 with the sequence streamed in calls of 100 steps (bench memory).
# Usage: .ci/bench_delays.sh [ROUNDS] [R|R2|all] (default 3 all).
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
    variants+=("R first input synaptic-events 1" "R first input synaptic-events 8" "R first input synaptic-events 32")
    variants+=("R first input synaptic-events 128")
    variants+=("R first recurrent axonal 1" "R first recurrent axonal 8" "R first recurrent axonal 32" "R first recurrent axonal 128")
    variants+=("R first recurrent synaptic 1" "R first recurrent synaptic 8")
fi
if [ "$which" != R ]; then
    variants+=("R2 between input none" "R2 between input axonal 1" "R2 between input axonal 8" "R2 between input axonal 32")
    variants+=("R2 between input axonal 128" "R2 between input synaptic 1" "R2 between input synaptic 8")
    variants+=("R2 between input synaptic-events 1" "R2 between input synaptic-events 8" "R2 between input synaptic-events 128")
fi
# The flags of a kind (none, axonal, synaptic, synaptic-events: synaptic in event form) and D.
delay_flags() {
    case "$1" in
    none) ;;
    synaptic-events) echo "--delays synaptic $3 $2 --learnable-delays --delay-form events" ;;
    *) echo "--delays $1 $3 $2 --learnable-delays" ;;
    esac
}
echo "machine: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(nproc) cores; commit $(git rev-parse --short HEAD); $(date -u +%F)"
for round in $(seq "$rounds"); do
    for v in "${variants[@]}"; do
        set -- $v
        common=(bench network --configs "$1" --backends systemCC --chunks 100 --repeats 1 --delayed-layers "$2" --delayed-source "$3")
        echo "round $round: $("$bin" "${common[@]}" $(delay_flags "$4" "${5:-}" --max-delays) | tail -1)"
    done
done
memory=()
if [ "$which" != R2 ]; then
    memory+=("1 first input none" "1 first input axonal 32" "1 first input synaptic 32" "1 first input synaptic-events 32")
    memory+=("1 first input synaptic-events 128" "1 first recurrent axonal 32")
fi
if [ "$which" != R ]; then memory+=("2 between input none" "2 between input axonal 32"); fi
for v in "${memory[@]}"; do
    set -- $v
    echo "memory, $1 layer(s), $3 $4 ${5:-} ($2):"
    "$bin" bench memory --methods eprop --neurons 256 --steps 1000,10000 --layers "$1" --delayed-layers "$2" --delayed-source "$3" \
        $(delay_flags "$4" "${5:-}" --max-delay) | tail -2
done
