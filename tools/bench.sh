#!/usr/bin/env bash
# Run every benchmark in bench/, one after the other (they compete for the
# two cores otherwise), keep their output under bench/results/, and end with
# their goal lines (met / NOT met).
set -euo pipefail
venv=${1:-.venv}
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
# collections/ansible_collections/openio/sds links to the repo root.
export PYTHONPATH="$root/collections${PYTHONPATH:+:$PYTHONPATH}"
mkdir -p bench/results
for script in bench/bench_*.py; do
  name=$(basename "$script" .py)
  echo "### $name"
  "$venv/bin/python" "$script" | tee "bench/results/$name.txt"
done
echo
echo "### goals"
grep -H 'goal ' bench/results/bench_*.txt | sed 's|^bench/results/\(.*\)\.txt:[[:space:]]*|\1: |' || true
