#!/usr/bin/env bash
# Installs the Debian packages Plasticity needs, if missing: libtcc-dev (the JIT), gcc (the
# optimizing backend), libhdf5-dev + pkg-config (spike files), espeak-ng (the spoken-digit set),
# openmpi-bin + libopenmpi-dev (data-parallel training under mpirun), libsndfile1-dev (own audio).
# With --tests also chromium (the report's screenshot test) and a Python venv with h5py, nir and
# pytest in .build/venv-h5py (files written the way the published SHD files were; NIR graphs of the nir
# package; the Python package's tests). Uses sudo when not
# root. Idempotent.
set -euo pipefail
cd "$(dirname "$0")/.."
packages=(libtcc-dev gcc libc6-dev libhdf5-dev pkg-config espeak-ng openmpi-bin libopenmpi-dev libsndfile1-dev)
[ "${1:-}" = "--tests" ] && packages+=(chromium python3-venv)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
sudo=""
[ "$(id -u)" -ne 0 ] && sudo="sudo"
if [ ${#missing[@]} -gt 0 ]; then
  echo "installing system packages: ${missing[*]}"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
if [ "${1:-}" = "--tests" ] && ! .build/venv-h5py/bin/python -c "import h5py, nir, pytest" 2>/dev/null; then
  echo "installing h5py, nir and pytest into .build/venv-h5py"
  mkdir -p .build
  python3 -m venv .build/venv-h5py
  .build/venv-h5py/bin/pip install -q h5py nir pytest
fi
command -v swift >/dev/null || { echo "error: swift (6.0 or later) is not on PATH" >&2; exit 1; }
