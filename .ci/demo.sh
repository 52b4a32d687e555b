#!/usr/bin/env bash
# The compiler demonstration (the main job before spoken digits): install what is missing, build in release, print every
# compiler stage for ALIF, run LIF and ALIF layers through both backends, and benchmark
# DSL -> runnable kernel.
set -euo pipefail
cd "$(dirname "$0")/.."
source .ci/host-flags.sh
.ci/install-system-packages.sh
swift build -c release "${HOST_FLAGS[@]}" --product plasticity
swift build -c release "${HOST_FLAGS[@]}" --product CustomNeuron
bin=.build/release/plasticity
echo "== plan for ALIF (every elimination order's multiply count) =="
"$bin" compile --model alif --recurrent --emit plan | sed -n '1,20p'
echo "== kernel IR for ALIF (the neuron body the C emitters print) =="
"$bin" compile --model alif --recurrent --emit kernel
for model in lif alif; do
  for backend in tinyCC systemCC; do
    echo "== $model, recurrent, $backend =="
    "$bin" demo --model "$model" --recurrent --backend "$backend" --neurons 128 --inputs 100 --batch 8 --steps 1000
  done
done
echo "== custom model defined outside the library (examples/CustomNeuron) =="
.build/release/CustomNeuron
echo "== the README example (examples/QuickStart) =="
swift build -c release "${HOST_FLAGS[@]}" --product QuickStart && .build/release/QuickStart
echo "== DSL -> runnable kernel (TinyCC), median of 21 =="
"$bin" bench compile --repeats 21
echo "== e-prop vs exact BPTT where e-prop is exact (one LIF layer, no recurrence) =="
"$bin" gradcheck --config examples/configs/exact-lif.json --synthetic 200,4,0.3 --method bptt,eprop
echo "== e-prop vs BPTT on a recurrent LIF network (T=300, B=8) =="
"$bin" gradcheck --config examples/configs/reference-lif.json --synthetic 300,8,0.05 --method bptt,eprop --recurrent-gain 0.3
echo "== online training: sine pattern generation, 150 iterations =="
"$bin" task sine --iterations 150 --evaluate-every 50
