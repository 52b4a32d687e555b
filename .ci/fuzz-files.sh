#!/usr/bin/env bash
# The file readers under libFuzzer with AddressSanitizer, for longer runs than the seeded test.
# Usage: .ci/fuzz-files.sh [SECONDS]   (default 300). Findings go to out/libfuzzer/findings/.
set -euo pipefail
cd "$(dirname "$0")/.."
source .ci/host-flags.sh
seconds="${1:-300}"
.ci/install-system-packages.sh
swift build -c release "${HOST_FLAGS[@]}" --product plasticity
# Seed corpus: one valid file per reader, prefixed with the byte that selects the reader.
work=out/libfuzzer; mkdir -p "$work/corpus" "$work/findings"
.build/release/plasticity fuzz --models 0 --invalid 0 --files 1 --mutant-directory "$work/seeds" > /dev/null
index=0
for format in spikeFile safetensors checkpoint trainConfig networkConfig; do
    seed=$(ls "$work/seeds"/valid-"$format".*)
    { printf "\\x$(printf %02x $index)"; cat "$seed"; } > "$work/corpus/$format"
    index=$((index + 1))
done
cd Tests/LibFuzzer
flags=(--sanitize=fuzzer --sanitize=address --scratch-path ../../.build-libfuzzer)
swift build "${flags[@]}"
target="$(swift build "${flags[@]}" --show-bin-path)/FileFuzzTarget"
cd ../..
# allocator_may_return_null: libhdf5 1.10 asks for sizes read from a corrupt header (up to TiB);
# glibc returns NULL and HDF5 reports an error, ASan by default would abort instead.
ASAN_OPTIONS=detect_leaks=0:allocator_may_return_null=1 "$target" "$work/corpus" \
    -max_total_time="$seconds" -timeout=10 -rss_limit_mb=6144 -artifact_prefix="$work/findings/" -print_final_stats=1
