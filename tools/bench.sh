#!/usr/bin/env bash
# Run every benchmark in bench/, one after the other (they compete for the
# two cores otherwise), and keep their output under bench/results/.
set -euo pipefail
venv=${1:-.venv}
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
mkdir -p bench/results
for script in bench/bench_*.py; do
  name=$(basename "$script" .py)
  echo "### $name"
  "$venv/bin/python" "$script" | tee "bench/results/$name.txt"
done
