#!/usr/bin/env bash
# Runs fuzz targets from the committed corpus and seeds; fails when a target
# crashes (the crashing input is kept in fuzz/artifacts/TARGET/).
#
#   scripts/fuzz.sh [SECONDS] [TARGET...]   each target for SECONDS (default 60)
#   FUZZ_RUNS=N scripts/fuzz.sh 3600 email  stop at N executions or the time
#   FUZZ_GROW=1 ...                         add new inputs to fuzz/corpus/TARGET
#                                           (minimise with `cargo fuzz cmin`
#                                           before committing)
#
# Without FUZZ_GROW new inputs go to a scratch directory, so a run leaves the
# checkout as it was. cargo-fuzz (libFuzzer + AddressSanitizer) on the stable
# toolchain takes the nightly flags with RUSTC_BOOTSTRAP=1; the build lives
# beside the main one so CI's cache keeps it.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../fuzz"
secs="${1:-60}"
shift || true
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(command email survey_def answers csv_import store_decode telegram matrix)
export RUSTC_BOOTSTRAP=1
target_dir="${CARGO_TARGET_DIR:-$PWD/target}/fuzz"
command -v cargo-fuzz >/dev/null || cargo install --locked cargo-fuzz@0.13.2
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT

started=$(date +%s)
cargo fuzz build -O --target-dir "$target_dir"
echo "== fuzz build in $(( $(date +%s) - started )) s"

failed=()
for t in "${targets[@]}"; do
    mkdir -p "corpus/$t" "artifacts/$t"
    if [ -n "${FUZZ_GROW:-}" ]; then dirs=("corpus/$t"); else dirs=("$scratch/$t" "corpus/$t"); mkdir -p "$scratch/$t"; fi
    [ -d "seeds/$t" ] && dirs+=("seeds/$t")
    args=(-max_total_time="$secs" -rss_limit_mb=4096 -artifact_prefix="artifacts/$t/")
    [ -n "${FUZZ_RUNS:-}" ] && args+=(-runs="$FUZZ_RUNS")
    echo "== $t: up to ${secs} s${FUZZ_RUNS:+ or $FUZZ_RUNS runs}"
    log="$scratch/$t.log"
    if cargo fuzz run -O --target-dir "$target_dir" "$t" "${dirs[@]}" -- "${args[@]}" >"$log" 2>&1; then
        grep -E "^Done|INITED" "$log" | sed 's/^/   /'
    else
        failed+=("$t")
        grep -E -A30 "panicked|ERROR: (libFuzzer|AddressSanitizer)" "$log" | head -40 | sed 's/^/   /'
    fi
    echo "   corpus: $(find "${dirs[@]}" -type f | wc -l) inputs"
done
rmdir artifacts/* artifacts 2>/dev/null || true
if [ ${#failed[@]} -gt 0 ]; then
    echo "fuzz: ${failed[*]} crashed; the inputs are in fuzz/artifacts/" >&2
    exit 1
fi
