#!/usr/bin/env bash
# The reference network R in JAX against Plasticity's kernel (docs/benchmarks.md, "Against JAX"):
# first the gradients of the JAX formulations against Plasticity's (the Python package over the
# release library), then ROUNDS rounds of alternating processes on one core. Not part of the
# default test run: jax 0.10.2 (CPU) in .build/venv-jax, about 1 minute to install; a round takes
# about 3 minutes on 2 cores. Usage: .ci/bench-jax.sh [ROUNDS] (default 3).
set -euo pipefail
cd "$(dirname "$0")/.."
source .ci/host-flags.sh
start=$(date +%s)
.ci/install-system-packages.sh
swift build -c release "${HOST_FLAGS[@]}" --product plasticity
swift build -c release "${HOST_FLAGS[@]}" --product PlasticityC
venv=.build/venv-jax
if ! "$venv/bin/python" -c "import jax, numpy" 2>/dev/null; then
  echo "installing jax (CPU) into $venv"
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q "jax[cpu]==0.10.2" numpy
fi
export PYTHONPATH=$PWD/python PLASTICITY_LIBRARY=$PWD/.build/release/libPlasticityC.so
echo "machine: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(nproc) cores; commit $(git rev-parse --short HEAD); $(date -u +%F)"
"$venv/bin/python" .ci/bench_jax.py check
"$venv/bin/python" .ci/bench_jax.py run .build/release/plasticity "${1:-3}"
echo "JAX comparison: $(( $(date +%s) - start )) s in all"
