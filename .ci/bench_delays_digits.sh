#!/usr/bin/env bash
# Spoken digits with delays between two hidden layers (docs/benchmarks.md, "Delays"): the default
# set and recipe (examples/configs/spoken-digits.json) with a second recurrent ALIF layer of 128,
# trained without delays, with fixed random delays between the layers, with learnable ones
# between the layers, and with learnable ones on both layers' inputs (axonal, D = 10 steps =
# 100 ms), seeds 1 and 2, one run after the other. Prints each run's final and best-validation
# test accuracy, its last epoch's samples/s and the process's peak RSS.
# Usage: .ci/bench_delays_digits.sh (about 1 minute per run on 2 cores; 8 runs).
set -euo pipefail
cd "$(dirname "$0")/.."
source .ci/host-flags.sh
swift build -c release "${HOST_FLAGS[@]}" --product plasticity > /dev/null
bin=.build/release/plasticity
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
echo "machine: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(nproc) cores; commit $(git rev-parse --short HEAD); $(date -u +%F)"
for seed in 1 2; do
    for variant in none fixed-between learnable-between learnable-all; do
        extra=()
        case $variant in
            fixed-between) extra=(--set network.delays.maxSteps=10 --set network.delayedLayers=between) ;;
            learnable-between) extra=(--set network.delays.maxSteps=10 --set network.delays.learnable=true --set network.delayedLayers=between) ;;
            learnable-all) extra=(--set network.delays.maxSteps=10 --set network.delays.learnable=true --set network.delayedLayers=all) ;;
        esac
        out="$work/$seed-$variant"
        echo "n/a" > "$work/rss"
        timer=(); if [ -x /usr/bin/time ]; then timer=(/usr/bin/time -f "%M" -o "$work/rss"); fi
        "${timer[@]}" "$bin" train --config examples/configs/spoken-digits.json --set network.layers=2 \
            --set training.seed="$seed" "${extra[@]}" --out "$out" > "$work/log" 2>&1
        speed=$(grep -E '^epoch' "$work/log" | tail -1 | grep -oE '[0-9]+ samples/s')
        echo "seed $seed $variant: $(grep -E '^final test accuracy' "$work/log") $speed $(cat "$work/rss") KB"
    done
done
