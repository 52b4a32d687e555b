#!/usr/bin/env bash
# The main job: install what is missing, build in release, build the spoken-digit set with
# espeak-ng (cached in out/spoken-digits after the first run), train recurrent ALIF with e-prop
# on the default config, print the speaker-disjoint test accuracy and where the report is.
# Extra arguments go to `plasticity train` (e.g. --epochs 5, --method bptt, --config FILE).
set -euo pipefail
cd "$(dirname "$0")/.."
source .ci/host-flags.sh
start=$(date +%s)
.ci/install-system-packages.sh
swift build -c release "${HOST_FLAGS[@]}" --product plasticity
# A rerun starts the run over (--overwrite) unless it is asked to continue it (--resume).
mode=--overwrite
for argument in "$@"; do [ "$argument" = --resume ] && mode=""; done
.build/release/plasticity train --config examples/configs/spoken-digits.json --out out/spoken-digits-run $mode "$@"
echo "main job: $(( $(date +%s) - start )) s in all"
