#!/usr/bin/env bash
# Prints the README's speed table: training steps/s of the float and fixed backends for
# H = 64 and 128 at B = 1 and the default B = 64 (add-task shape I = 2, C = 1), one core.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release -q -p fptt-host
seconds=${SECONDS_PER_POINT:-5}
echo "| backend | H | B | training steps/s | sample-steps/s |"
echo "|---|---|---|---|---|"
for backend in float fixed; do
    for h in 64 128; do
        for b in 1 64; do
            ./target/release/fptt bench --backend "$backend" --mode train --hidden "$h" --batch "$b" \
                --seconds "$seconds" --json |
                python3 -c 'import json,sys; print("| {backend} | {hidden} | {batch} | {steps_per_sec:,.0f} | {sample_steps_per_sec:,.0f} |".format(**json.load(sys.stdin)))'
        done
    done
done
