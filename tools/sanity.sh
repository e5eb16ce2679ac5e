#!/usr/bin/env bash
# ansible-test sanity in venv mode. ansible-test needs the working directory to
# physically be .../ansible_collections/openio/sds, so copy the tracked and
# new (non-ignored) files there.
# Sanity covers what the collection ships, the simulator (simulator/) included.
# The simulator's tests, the conformance fixtures, the benchmarks and tools/
# are development tooling excluded from the built collection (galaxy.yml
# build_ignore); pytest exercises them.
# collections/ (a link back to the root) and ansible.cfg only serve a clone.
set -euo pipefail
venv=${1:?usage: sanity.sh VENV PYTHON_VERSION}
pyver=${2:?usage: sanity.sh VENV PYTHON_VERSION}
root=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d "$root/build/sanity-$pyver-XXXXXX")
trap 'rm -rf "$work"' EXIT
dest="$work/ansible_collections/openio/sds"
mkdir -p "$dest"
(cd "$root" && git ls-files -co --exclude-standard | grep -Ev '^((tests/simulator|tests/conformance|bench|tools|collections)/|ansible\.cfg$)' | tar -cf - -T -) | (cd "$dest" && tar -xf -)
# ansible-test finds the wanted interpreter on PATH: the venv's own bin first.
pydir=$(dirname "$(readlink -f "$root/$venv/bin/python")")
cd "$dest"
git init -q . && git add -A >/dev/null 2>&1 || true
PATH="$root/$venv/bin:$pydir:$PATH" "$root/$venv/bin/ansible-test" sanity --venv --python "$pyver" --color no "${@:3}"
