#!/usr/bin/env bash
# NIR with the real peers (docs/nir.md, "Checked against the peers"): Plasticity's files in
# snnTorch and Norse, and theirs in Plasticity, on the spoken-digit test set. Not part of the
# default test run: torch from PyPI brings its CUDA libraries (5.5 GB in .build/venv-peers).
# Extra arguments go to .ci/nir_peers.py (e.g. --epochs 5; default 10).
set -euo pipefail
cd "$(dirname "$0")/.."
source .ci/host-flags.sh
start=$(date +%s)
.ci/install-system-packages.sh --tests
swift build -c release "${HOST_FLAGS[@]}" --product plasticity
venv=.build/venv-peers
if ! "$venv/bin/python" -c "import snntorch, norse, nir, safetensors" 2>/dev/null; then
  echo "installing torch, snnTorch, Norse and nir into $venv"
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q torch==2.15.0 snntorch==1.0.0 norse==1.1.0 nir==1.0.8 nirtorch==2.6 h5py safetensors
fi
echo "peers ready: $(( $(date +%s) - start )) s"
"$venv/bin/python" .ci/nir_peers.py .build/release/plasticity out/nir-peers "$@"
echo "NIR peers check: $(( $(date +%s) - start )) s in all"
