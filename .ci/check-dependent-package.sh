#!/usr/bin/env bash
# Builds and runs examples/DependentPackage against a clone of this repository tagged 0.1.0, as
# a user's package would take Plasticity: by version. SwiftPM refuses a dependency taken by
# version whose targets use unsafe flags, so this fails if a library target gains one.
# Takes about as long as one debug build of the library (minutes on 2 cores).
set -euo pipefail
cd "$(dirname "$0")/.."
work="$(mktemp -d "${TMPDIR:-/tmp}/plasticity-dependent.XXXXXX")"
trap 'rm -rf "$work"' EXIT
git clone -q . "$work/plasticity"
git -C "$work/plasticity" tag 0.1.0
cp -R examples/DependentPackage "$work/app"
export PLASTICITY_GIT_URL="file://$work/plasticity"
swift build --package-path "$work/app" 2>&1 | tail -n 3
"$work/app/.build/debug/UsesPlasticity"
