#!/usr/bin/env bash
# Spoken digits with delays (docs/benchmarks.md, "Delays"): the default set and recipe
# (examples/configs/spoken-digits.json), seeds 1 and 2, one run after the other; axonal delays of
# D = 10 steps = 100 ms.
#   between:   a second recurrent ALIF layer of 128; no delays, fixed random delays between the
#              layers, learnable ones between the layers, learnable ones on both layers' inputs.
#   recurrent: the one layer; no delays, learnable delays on the recurrence, learnable ones on
#              the input and the recurrence.
#   synaptic:  the one layer; no delays, no delays with 151 neurons (about the parameters of the
#              next), learnable synaptic delays on the input in event form.
# Prints each run's final and best-validation test accuracy, its last epoch's samples/s and the
# process's peak RSS.
# Usage: .ci/bench_delays_digits.sh [between|recurrent|synaptic] (about 1 minute per run on 2 cores; 8 or 6 runs).
set -euo pipefail
cd "$(dirname "$0")/.."
source .ci/host-flags.sh
swift build -c release "${HOST_FLAGS[@]}" --product plasticity > /dev/null
bin=.build/release/plasticity
mode=${1:-between}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
echo "machine: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(nproc) cores; commit $(git rev-parse --short HEAD); $(date -u +%F)"
delays=(--set network.delays.maxSteps=10 --set network.delays.learnable=true)
recurrent=(--set network.recurrentDelays.maxSteps=10 --set network.recurrentDelays.learnable=true)
case $mode in
    between) common=(--set network.layers=2); variants=(none fixed-between learnable-between learnable-all) ;;
    recurrent) common=(); variants=(none learnable-recurrent learnable-input-and-recurrent) ;;
    synaptic) common=(); variants=(none none-151 learnable-synaptic-events) ;;
    *) echo "usage: $0 [between|recurrent|synaptic]" >&2; exit 2 ;;
esac
for seed in 1 2; do
    for variant in "${variants[@]}"; do
        extra=()
        case $variant in
            fixed-between) extra=(--set network.delays.maxSteps=10 --set network.delayedLayers=between) ;;
            learnable-between) extra=("${delays[@]}" --set network.delayedLayers=between) ;;
            learnable-all) extra=("${delays[@]}" --set network.delayedLayers=all) ;;
            learnable-recurrent) extra=("${recurrent[@]}") ;;
            learnable-input-and-recurrent) extra=("${delays[@]}" "${recurrent[@]}") ;;
            none-151) extra=(--set network.neurons=151) ;;
            learnable-synaptic-events) extra=("${delays[@]}" --set network.delays.kind=synaptic --set network.delays.form=events) ;;
        esac
        out="$work/$seed-$variant"
        echo "n/a" > "$work/rss"
        timer=(); if [ -x /usr/bin/time ]; then timer=(/usr/bin/time -f "%M" -o "$work/rss"); fi
        "${timer[@]}" "$bin" train --config examples/configs/spoken-digits.json "${common[@]}" \
            --set training.seed="$seed" "${extra[@]}" --out "$out" > "$work/log" 2>&1
        speed=$(grep -E '^epoch' "$work/log" | tail -1 | grep -oE '[0-9]+ samples/s')
        echo "seed $seed $variant: $(grep -E '^final test accuracy' "$work/log") $speed $(cat "$work/rss") KB"
    done
done
