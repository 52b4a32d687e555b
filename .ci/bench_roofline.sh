#!/usr/bin/env bash
# The roofline and the activity figures of docs/benchmarks.md ("Roofline", "Activity"): seconds
# per phase of R, R-ALIF and S beside each phase's bound (bench network --profile), then the
# three at input rates 0.01, 0.05 and 0.2 (chunks of 100 and 200 steps) and at 100 %, 50 % and
# 10 % active neurons, TinyCC and cc, 1 and 2 threads, and the slope of time against the events a
# batch gathers.
# Usage: .ci/bench_roofline.sh [OUT] (default docs/runs; about 10 minutes on 2 cores).
set -euo pipefail
cd "$(dirname "$0")/.."
source .ci/host-flags.sh
swift build -c release "${HOST_FLAGS[@]}" --product plasticity > /dev/null
bin=.build/release/plasticity
out=${1:-docs/runs}
mkdir -p "$out"
# the runs write into a fresh folder (bench's --json-file never replaces a file it cannot prove it
# wrote); the results are copied into OUT at the end
run=$(mktemp -d)
trap 'rm -rf "$run"' EXIT
machine="machine: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(nproc) cores; commit $(git rev-parse --short HEAD); $(date -u +%F)"
common=(bench network --configs R,R-ALIF,S --backends systemCC,tinyCC --repeats 5)
{ echo "$machine"; "$bin" "${common[@]}" --chunks 100 --profile; } > "$run/roofline.md"
{ echo "$machine"; "$bin" "${common[@]}" --chunks 100,200 --threads 1,2 --input-rates 0.01,0.05,0.2 --profile \
    --json-file "$run/bench-input-rate.json"; } \
    > "$run/bench-input-rate.md"
{ echo "$machine"; "$bin" "${common[@]}" --chunks 100 --threads 1,2 --active-fractions 1,0.5,0.1 --json-file "$run/bench-active-fraction.json"; } \
    > "$run/bench-active-fraction.md"
# time against events: a least-squares line through each configuration's three input rates
python3 - "$run/bench-input-rate.json" <<'PY' | tee "$run/events-slope.md"
import json, sys, collections
rows = json.load(open(sys.argv[1]))
groups = collections.defaultdict(list)
for r in rows:
    p = r["profile"]
    events = sum(p["input_events_per_batch"]) + sum(p["recurrent_events_per_batch"])
    groups[(r["config"], r["backend"], r["chunk"], r["threads"])].append((events, r["seconds_per_batch"], r["input_rate"]))
print("| config | backend | K | threads | events per batch (rates 0.01 / 0.05 / 0.2) | s per batch | ns per event (slope) "
      "| s at no events (intercept) | 1 % ÷ 20 % |")
print("|---|---|---|---|---|---|---|---|---|")
for (config, backend, chunk, threads), points in sorted(groups.items()):
    points.sort(key=lambda p: p[2])
    n = len(points); mx = sum(p[0] for p in points) / n; my = sum(p[1] for p in points) / n
    slope = sum((p[0] - mx) * (p[1] - my) for p in points) / sum((p[0] - mx) ** 2 for p in points)
    print("| %s | %s | %d | %d | %s | %s | %.1f | %.4f | %.2f |" % (config, backend, chunk, threads, " / ".join("%.3g" % p[0] for p in points),
          " / ".join("%.4f" % p[1] for p in points), slope * 1e9, my - slope * mx, points[0][1] / points[-1][1]))
PY
cp "$run"/*.md "$run"/*.json "$out"/
