#!/usr/bin/env bash
# The test command: installs missing system packages (and h5py in a venv for the reader tests),
# then runs the whole test suite.
set -euo pipefail
cd "$(dirname "$0")/.."
.ci/install-system-packages.sh --tests
export PLASTICITY_PYTHON="$PWD/.build/venv-h5py/bin/python"
swift test "$@"
