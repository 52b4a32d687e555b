#!/usr/bin/env bash
# Compile cost against model size: a chain model of N states (v0 driven by the input, each
# v_i leaking into v_{i+1}, a spike on v0), lowered to C (`compile --emit c`) and compiled
# with TinyCC through one e-prop gradient (`gradcheck`), release build. Prints seconds and
# peak memory per N. Usage: .ci/bench-model-size.sh [N ...] (default 1000 4000 10000).
set -euo pipefail
cd "$(dirname "$0")/.."
source .ci/host-flags.sh
swift build -c release "${HOST_FLAGS[@]}" --product plasticity >/dev/null
bin=.build/release/plasticity
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
for n in "${@:-1000 4000 10000}"; do
  for size in $n; do
    python3 - "$size" "$dir/chain$size.json" <<'PY'
import json, sys
n, path = int(sys.argv[1]), sys.argv[2]
def update(i):
    driven = "I" if i == 0 else f"v{i - 1}"
    return {"state": f"v{i}", "expression": {"op": "add", "args": [{"op": "multiply", "args": ["alpha", f"v{i}"]}, driven]}}
model = {"format": "plasticity-model", "version": 1, "name": "Chain", "resetGradient": "stopped",
         "parameters": [{"name": "alpha", "value": 0.9, "learnable": False}, {"name": "threshold", "value": 1, "learnable": False}],
         "inputs": ["I"], "states": [{"name": f"v{i}", "initial": 0} for i in range(n)],
         "resets": [{"state": "v0", "subtract": "threshold"}], "lets": [], "updates": [update(i) for i in range(n)],
         "spike": {"surrogate": {"kind": "fast_sigmoid", "scale": 10}, "condition": {"op": "subtract", "args": ["v0", "threshold"]}}}
json.dump(model, open(path, "w"))
PY
    /usr/bin/time -f "$size states: compile --emit c %e s, %M KB" "$bin" compile --model-file "$dir/chain$size.json" --emit c >/dev/null
    /usr/bin/time -f "$size states: gradcheck (TinyCC, T=20, B=2) %e s, %M KB" "$bin" gradcheck --model-file "$dir/chain$size.json" \
        --synthetic 20,2,0.1 --method eprop --backend tinyCC >/dev/null
  done
done
