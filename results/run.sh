#!/usr/bin/env bash
# run.sh NAME ARGS...: one `fptt train` run, JSON to results/logs/NAME.json, progress and the
# wall time to results/logs/NAME.log, the curve to results/plots/NAME.svg
cd "$(dirname "$0")/.."
name=$1; shift
start=$(date +%s)
echo "fptt train $* --plot results/plots/$name.svg --json" > results/logs/$name.log
nice -n 19 results/fptt-bin train "$@" --plot results/plots/$name.svg --json > results/logs/$name.json 2>> results/logs/$name.log
echo "exit $? wall $(( $(date +%s) - start )) s" >> results/logs/$name.log
