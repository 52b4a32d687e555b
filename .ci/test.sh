#!/usr/bin/env bash
# The test command: installs missing system packages, then runs the whole test suite.
set -euo pipefail
cd "$(dirname "$0")/.."
.ci/install-system-packages.sh
swift test "$@"
