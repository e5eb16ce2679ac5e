#!/usr/bin/env bash
# The whole test suite for one virtualenv. Stage "full" adds ansible-lint and
# the molecule scenarios, which do not depend on the Python version.
set -euo pipefail
venv=${1:?usage: test.sh VENV PYTHON_VERSION [full|core]}
pyver=${2:?usage: test.sh VENV PYTHON_VERSION [full|core]}
mode=${3:-full}
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
bin="$root/$venv/bin"
export PATH="$bin:$PATH"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# A private ANSIBLE_HOME: no stale installed copy of the collection shadows the live code.
export ANSIBLE_HOME="$tmp/ansible-home"
mkdir -p build/collections/ansible_collections/openio
ln -sfn "$root" build/collections/ansible_collections/openio/sds
export ANSIBLE_COLLECTIONS_PATH="$root/build/collections"
export ANSIBLE_PIPELINING=1

stage() { printf '\n=== [%s] %s (%ss)\n' "$pyver" "$1" "$SECONDS"; }

stage "generated files are up to date"
"$bin/python" tools/update_runtime.py --check

stage "modules and plugins render with ansible-doc"
for m in plugins/modules/*.py; do
  name=$(basename "$m" .py)
  "$bin/ansible-doc" -j "openio.sds.$name" | "$bin/python" -c \
    "import json,sys; d=json.load(sys.stdin); assert d, 'no doc for $name'; assert d['openio.sds.$name']['doc']['short_description']"
done

for p in plugins/inventory/*.py plugins/lookup/*.py; do
  kind=$(basename "$(dirname "$p")"); name=$(basename "$p" .py)
  "$bin/ansible-doc" -t "$kind" -j "openio.sds.$name" | "$bin/python" -c \
    "import json,sys; d=json.load(sys.stdin); assert d, 'no doc for $name'; assert d['openio.sds.$name']['doc']['short_description']"
done

stage "pytest: unit, simulator, conformance, integration"
# Most of a playbook test is spent waiting on subprocesses and the simulator,
# so four workers on two cores halve the wall time.
"$bin/python" -m pytest -p no:cacheprovider -n 4 --dist worksteal -q tests

stage "ansible-test sanity"
bash tools/setup_ansible_test.sh "$venv"
bash tools/sanity.sh "$venv" "$pyver" > "$tmp/sanity.log" 2>&1 || { cat "$tmp/sanity.log"; exit 1; }
grep -E '^(Running sanity test|WARNING: Skipping)' "$tmp/sanity.log" | sed -n '1,40p' | wc -l | xargs printf 'sanity tests run: %s\n'

stage "galaxy build and install of the built tarball"
rm -rf build/dist build/installed
"$bin/ansible-galaxy" collection build --force --output-path build/dist . >/dev/null
env -u ANSIBLE_COLLECTIONS_PATH "$bin/ansible-galaxy" collection install --force build/dist/openio-sds-*.tar.gz -p build/installed >/dev/null
ANSIBLE_COLLECTIONS_PATH="$root/build/installed" "$bin/ansible-doc" -j openio.sds.oio_service_info >/dev/null
echo "built and installed: $(ls build/dist)"

if [ "$mode" = full ]; then
  stage "ansible-lint (production profile, offline)"
  "$bin/ansible-lint" --offline -q

  stage "molecule scenarios (two at a time)"
  mapfile -t scenarios < <(cd extensions/molecule && for d in */; do
    [ -f "$d/molecule.yml" ] && echo "${d%/}"; done)
  run_scenario() {
    (cd extensions && "$bin/molecule" test -s "$1") > "$tmp/molecule-$1.log" 2>&1
  }
  failed=()
  for ((i = 0; i < ${#scenarios[@]}; i += 2)); do
    pids=()
    for s in "${scenarios[@]:i:2}"; do run_scenario "$s" & pids+=("$!:$s"); done
    for entry in "${pids[@]}"; do
      if wait "${entry%%:*}"; then
        echo "molecule ${entry#*:}: passed"
      else
        failed+=("${entry#*:}"); cat "$tmp/molecule-${entry#*:}.log"; echo "molecule ${entry#*:}: FAILED"
      fi
    done
  done
  [ ${#failed[@]} -eq 0 ] || { echo "failed scenarios: ${failed[*]}"; exit 1; }
fi
stage "done"
