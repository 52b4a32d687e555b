#!/usr/bin/env bash
# The test command: installs missing system packages (and h5py in a venv for the reader tests),
# runs the whole test suite, then runs it again under AddressSanitizer (skip that second run
# with PLASTICITY_SKIP_ASAN=1). Leak detection is off in the ASan run: LeakSanitizer reports
# the indirect-enum boxes of `static let` models (Swift keeps them reachable through
# spare-bit-tagged pointers, which LSan does not follow) and a weak reference inside
# Foundation's Process — no leak of ours, but exit code 1.
set -euo pipefail
cd "$(dirname "$0")/.."
source .ci/host-flags.sh
.ci/install-system-packages.sh --tests
export PLASTICITY_PYTHON="$PWD/.build/venv-h5py/bin/python"
# Lines of the project's code are at most 150 columns (characters, not bytes).
git ls-files 'Sources/*' 'runtime-c/*' 'Tests/*' 'examples/*' '.ci/*' 'python/*' 'include/*' | grep -E '\.(swift|c|h|py|sh)$' | python3 -c '
import sys
long = [f"{name}:{n}" for name in sys.stdin.read().split()
        for n, line in enumerate(open(name, encoding="utf-8", errors="replace"), 1) if len(line.rstrip("\n")) > 150]
if long:
    print("error: lines over 150 columns:", *long, sep="\n  ", file=sys.stderr)
    sys.exit(1)'
# swift-format lint with the project's rules (.swift-format). The layout it would choose (line
# breaks, indentation, spacing) is not enforced: the code keeps its own, within 150 columns.
layout='\[(AddLines|Indentation|RemoveLine|Spacing|LineLength|TrailingComma)\]'
if swift format lint -r Sources Tests examples 2>&1 | grep -vE "$layout" | grep -E "warning|error"; then
    echo "error: swift-format lint found the above" >&2
    exit 1
fi
# A compiler warning in the project's own sources fails the run (dependencies' are not ours).
swift build "${HOST_FLAGS[@]}" --build-tests 2>&1 | tee .build/build-tests.log
if grep -E "^$PWD/(Sources|runtime-c|Tests|examples)/.*: warning:" .build/build-tests.log; then
    echo "error: the build printed the warnings above" >&2
    exit 1
fi
# The quick example runs as a user would run it (CustomNeuron builds the spoken-digit set: minutes).
swift run "${HOST_FLAGS[@]}" --skip-build QuickStart > .build/quickstart.log
swift test "${HOST_FLAGS[@]}" "$@"
# The Python package over the C ABI (python/, docs/python.md), against the debug library and CLI.
echo "== python/tests (pytest) against .build/debug/libPlasticityC.so"
swift build "${HOST_FLAGS[@]}" --product PlasticityC
PYTHONPATH="$PWD/python" PLASTICITY_LIBRARY="$PWD/.build/debug/libPlasticityC.so" PLASTICITY_CLI="$PWD/.build/debug/plasticity" \
    "$PLASTICITY_PYTHON" -m pytest -q -p no:cacheprovider python/tests
# A package that depends on Plasticity by version, as a user's does (no unsafe flags allowed).
echo "== examples/DependentPackage against a clone tagged 0.1.0"
.ci/check-dependent-package.sh
if [ "${PLASTICITY_SKIP_ASAN:-0}" != 1 ]; then
    # ASan instruments Swift and runtime-c, not the kernels TinyCC and cc build at run time, and
    # slows the Swift compiler pipeline about tenfold: the random-model tests check 12 models
    # (the C they reach is the same), and the fuzz tests that never reach C (invalid models,
    # the shrinker) or test threads (TSan's business) are left to the first run.
    echo "== the suite again under AddressSanitizer (random-model tests: 12 models)"
    ASAN_OPTIONS=detect_leaks=0 PLASTICITY_FUZZ_MODELS=12 swift test "${HOST_FLAGS[@]}" --sanitize=address --scratch-path .build-asan \
        --skip 'randomInvalidModelsAreRejectedOnTheirLine|shrinkerKeepsOnlyTheFailingPart|parallelFuzzingGivesTheSameReport' "$@"
fi
