#!/usr/bin/env bash
# Everything CI runs (`make test`), for each Python given (default: 3.11 with
# ansible-core 2.19, then 3.13 with the newest ansible-core), then the
# README's commands. Every stage runs even when an earlier one failed; the
# run ends with a table (stage, result, time) and exits 1 if any stage failed.
#   tools/test.sh [3.11] [3.13]
# STAGES="doc galaxy readme" (keys of the stage_* functions) runs only those,
# after the virtualenvs.
# The 3.11 run also does ansible-lint and the molecule scenarios, which do not
# depend on the Python version. The integration tests run against a simulated
# OpenIO SDS 7.3.0 with Python 3.11 and 2026.14 with Python 3.13
# (OIO_TEST_RELEASE=... makes both legs use one release).
set -uo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
versions=("$@")
[ ${#versions[@]} -gt 0 ] || versions=(3.11 3.13)

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# Nothing here depends on HOME or writes to it: Ansible's home, temp and async
# directories and the tools' caches live under $tmp, ansible-test's under build/.
export ANSIBLE_HOME="$tmp/ansible-home"
export ANSIBLE_LOCAL_TEMP="$tmp/ansible-local-tmp"
export ANSIBLE_REMOTE_TEMP="$tmp/ansible-remote-tmp"
export ANSIBLE_ASYNC_DIR="$tmp/ansible-async"
export XDG_CACHE_HOME="$tmp/cache"
# collections/ holds openio.sds (a link to the clone); the integration
# targets' test-only oiosim.testing lies under tests/integration/collections.
export ANSIBLE_COLLECTIONS_PATH="$root/collections:$root/tests/integration/collections"
export ANSIBLE_PIPELINING=1
# Python may write its compiled files (the virtualenvs get theirs when they
# are made); after the virtualenvs they go under $tmp (PYTHONPYCACHEPREFIX,
# below), so that the simulator, the collection and the tests are compiled
# once per run, not once per process, and nothing is written into the tree
# or the installed copy.
unset PYTHONDONTWRITEBYTECODE

# --- stages -----------------------------------------------------------------
# Each runs in a subshell with `set -e`, with $venv, $pyver and $bin set and
# the virtualenv's bin first on PATH.

oldest_leg_beside_newest() {  # true in the 3.11 leg of a run that has the 3.13 leg too:
  # what reads the same whatever the core then runs in the newest core's leg only
  [ "$pyver" = 3.11 ] && [[ " ${versions[*]} " == *" 3.13 "* ]]
}

stage_venv() {
  make --no-print-directory "$venv/.installed"
  "$bin/ansible" --version | sed -n 1p
}

stage_runtime() {
  "$bin/python" tools/update_runtime.py --check
}

stage_doc() {
  # One ansible-doc run per plugin type (each run costs a second of start-up).
  local kind dir names ext
  for kind in module inventory lookup filter; do
    dir=plugins/$kind; [ "$kind" = module ] && dir=plugins/modules
    # A filter file holds several filters, each documented by its own .yml.
    ext=py; [ "$kind" = filter ] && ext=yml
    mapfile -t names < <(for p in "$dir"/*.$ext; do echo "openio.sds.$(basename "$p" .$ext)"; done)
    "$bin/ansible-doc" -t "$kind" -j "${names[@]}" | "$bin/python" -c '
import json, sys
docs = json.load(sys.stdin)
missing = [n for n in sys.argv[1:] if not (docs.get(n) or {}).get("doc", {}).get("short_description")]
assert not missing, "no documentation for " + ", ".join(missing)' "${names[@]}"
    echo "$kind: ${#names[@]} documented"
  done
}

stage_pytest() {
  # Two workers: the stage holds two cores of the queue (below). The
  # simulators answer as $release (each leg one release, so that every
  # module, role and playbook test runs against both); a test that names its
  # release, or takes the same course on both, is marked one_release and
  # runs in one leg. The simulator's own tests and the conformance replay
  # (both releases) do not depend on the leg: they run in the 3.11 leg only
  # (the 3.13 leg's integration tests run the simulator under 3.13).
  # tests/unit is shipped: the galaxy stage runs it from the installed copy.
  local skip=()
  [ "$mode" = full ] || skip=(--ignore=tests/simulator --ignore=tests/conformance)
  OIO_TEST_RELEASE=$release "$bin/python" -m pytest -p no:cacheprovider -n 2 --dist worksteal \
    -q --durations=15 --ignore=tests/unit "${skip[@]}" tests
}

stage_sanity() {
  # ansible-test keeps its virtualenvs and pip cache under ~/.ansible/test:
  # give it a home under build/ (removed by make clean) with the user's pip
  # configuration, if any.
  local home="$root/build/ansible-test-home" conf
  for conf in .config/pip/pip.conf .pip/pip.conf; do
    if [ -f "$HOME/$conf" ] && [ ! -e "$home/$conf" ]; then
      mkdir -p "$(dirname "$home/$conf")"
      cp "$HOME/$conf" "$home/$conf"
    fi
  done
  mkdir -p "$home"
  HOME="$home" bash tools/setup_ansible_test.sh "$venv"
  # The linters (pylint, pep8, yamllint, the changelog's) read the same
  # source whatever the core, so the newest core's run is enough; the oldest
  # core runs the tests that load the collection with that core (import,
  # compile, validate-modules, ansible-doc, runtime metadata, ...).
  local skip=()
  if oldest_leg_beside_newest; then
    skip=(--skip-test pylint --skip-test pep8 --skip-test yamllint --skip-test changelog)
  fi
  if ! HOME="$home" bash tools/sanity.sh "$venv" "$pyver" "${skip[@]}" > "$tmp/sanity-$pyver.log" 2>&1; then
    cat "$tmp/sanity-$pyver.log"
    return 1
  fi
  grep -cE '^Running sanity test' "$tmp/sanity-$pyver.log" | xargs printf 'sanity tests run: %s\n'
}

stage_galaxy() {
  local out="build/galaxy-$pyver" installed
  rm -rf "$out"
  "$bin/ansible-galaxy" collection build --force --output-path "$out/dist" . >/dev/null
  env -u ANSIBLE_COLLECTIONS_PATH "$bin/ansible-galaxy" collection install --force \
    "$out"/dist/openio-sds-*.tar.gz -p "$out/installed" >/dev/null
  echo "built and installed: $(ls "$out/dist")"
  installed="$root/$out/installed/ansible_collections/openio/sds"
  # The collection's own suites and tooling are not shipped; the simulator is.
  for path in tests/simulator tests/library tests/integration tests/conformance extensions bench tools; do
    [ ! -e "$installed/$path" ] || { echo "$path is shipped but should not be"; return 1; }
  done
  for path in simulator/oiosim/__main__.py simulator/oiosim/presets/small.yaml simulator/oiosim/presets/lab_meta0.json.gz; do
    [ -f "$installed/$path" ] || { echo "$path is not shipped"; return 1; }
  done
  ANSIBLE_COLLECTIONS_PATH="$root/$out/installed" "$bin/ansible-doc" -j openio.sds.oio_meta0_mapping \
    | grep -q '"short_description"'
  # Neither the simulator nor the shipped tests, run from the installed copy,
  # may write there.
  (cd "$installed" && find . | sort > "$tmp/before")
  galaxy_simulator "$installed"
  [ ! -x "$bin/ansible-builder" ] || galaxy_ee "$root/$out/installed"
  # tests/unit holds the modules' own tests, run in-process against the
  # simulator of the leg's release. Their whole lifecycles (marked slow) run
  # once, in the newest core's leg when it runs too: the 7.3.0 leg plays the
  # same lifecycles through the roles (tests/integration/test_roles.py).
  local only=()
  if oldest_leg_beside_newest; then
    only=(-m "not slow")
  fi
  (cd "$installed" && OIO_TEST_RELEASE=$release "$bin/python" -m pytest \
    -p no:cacheprovider -q -n 2 "${only[@]}" \
    && find . | sort > "$tmp/after")
  if ! diff -u "$tmp/before" "$tmp/after"; then
    echo "the simulator or the shipped tests wrote into the installed collection"
    return 1
  fi
}

galaxy_ee() {  # COLLECTIONS_DIR
  # What ansible-builder puts into an execution environment built with the
  # installed collection: the Python requirements it introspects from
  # meta/execution-environment.yml, installed into a new virtualenv, where
  # the client must import with requests.
  local dir=$1 ee="$tmp/ee-$pyver"
  "$bin/ansible-builder" introspect "$dir" --write-pip "$ee.txt" > /dev/null
  grep -q '^requests' "$ee.txt" || { cat "$ee.txt"; echo "ansible-builder found no requests requirement"; return 1; }
  "$bin/python" -m venv "$ee"
  "$ee/bin/pip" install -q --disable-pip-version-check -r "$ee.txt" 2>&1 | grep -v '^WARNING: Location' || true
  PYTHONPATH="$dir" "$ee/bin/python" -c '
from ansible_collections.openio.sds.plugins.module_utils import client
assert client.HAS_REQUESTS, client.REQUESTS_IMPORT_ERROR
print("execution environment requirements built: requests %s" % client.requests.__version__)'
}

galaxy_simulator() {  # INSTALLED
  # The simulator as a user starts it from an installed collection: in the
  # background from elsewhere, one request to its proxy, stopped by its PID
  # (the TTL stops it too should this stage be killed).
  local installed=$1 port_file="$tmp/galaxy-sim-$pyver.json"
  # A port file left by an earlier run would be read before this one starts.
  rm -f "$port_file"
  (cd "$tmp" && PYTHONPATH="$installed/simulator" \
    exec "$bin/python" -m oiosim --preset small --port 0 --port-file "$port_file" --ttl 120) \
    > "$tmp/galaxy-sim-$pyver.log" 2>&1 &
  sim_pid=$!
  trap 'kill "$sim_pid" 2>/dev/null || true' EXIT
  for _ in $(seq 1 100); do [ -s "$port_file" ] && break; sleep 0.1; done
  [ -s "$port_file" ] || { cat "$tmp/galaxy-sim-$pyver.log"; echo "the installed simulator did not start"; return 1; }
  PYTHONPATH="$installed/simulator" "$bin/python" - "$port_file" "$installed" <<'PY'
import json, os, sys, urllib.request
import oiosim
info = json.load(open(sys.argv[1]))
assert os.path.realpath(oiosim.__file__).startswith(os.path.realpath(sys.argv[2])), oiosim.__file__
url = "%s/v3.0/%s/conscience/list?type=meta1" % (info["proxy_url"], info["namespace"])
with urllib.request.urlopen(url, timeout=10) as resp:
    services = json.load(resp)
assert services, "no meta1 service listed"
print("simulator from the installed copy: %d meta1 services at %s" % (len(services), info["proxy_url"]))
PY
  kill "$sim_pid"
  wait "$sim_pid" || true
  trap - EXIT
}

stage_lint() {
  "$bin/ansible-lint" --offline -q
}

stage_molecule() {
  local scenarios failed=() pids entry s i
  mapfile -t scenarios < <(cd extensions/molecule && for d in */; do
    [ -f "$d/molecule.yml" ] && echo "${d%/}"; done)
  run_scenario() {
    (cd extensions && with_bytecode_cache "$bin/molecule" test -s "$1") \
      > "$tmp/molecule-$1.log" 2>&1
  }
  # Two at a time: the machine has two cores.
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
  [ ${#failed[@]} -eq 0 ] || { echo "failed scenarios: ${failed[*]}"; return 1; }
}

# The modules that ansible-playbook runs share one bytecode cache
# (tools/bytecode/sitecustomize.py): zipimport would compile their AnsiballZ
# payload again on every task. The commands and the scenarios run unchanged.
with_bytecode_cache() {
  PYTHONPATH="$root/tools/bytecode${PYTHONPATH:+:$PYTHONPATH}" \
    OIO_TEST_BYTECODE_CACHE="$tmp/bytecode" "$@"
}

stage_readme() {
  with_bytecode_cache bash tools/readme_commands.sh "$venv"
}

# --- runner -----------------------------------------------------------------
# The virtualenvs first, then the other stages from one queue (below). A
# stage's output goes to its log, printed whole when the stage ends; the
# summary lists the stages in a fixed order.

names=() results=() times=() cpus=()
record() { names+=("$1"); results+=("$2"); times+=("$3"); cpus+=("${4:-}"); }

children_cpu() {  # FILE VAR: VAR = the CPU seconds (user + system) of this shell's waited-for children
  times > "$1"  # in this shell: in a subshell it would count the subshell's children
  printf -v "$2" '%s' "$(awk 'NR == 2 { for (i = 1; i <= 2; i++) {
    split($i, t, /[ms]/); s += t[1] * 60 + t[2] } } END { printf "%d", s }' "$1")"
}

wanted() {  # KEY
  [ -z "${STAGES:-}" ] || [[ " $STAGES " == *" $1 "* ]]
}

skip_stage() {  # NAME REASON
  printf '\n=== %s: skipped (%s)\n' "$1" "$2"
  record "$1" "skipped: $2" 0
}

use_python() {  # PYVER: the virtualenv, mode and release of a leg
  pyver=$1
  case "$pyver" in
    3.11) venv=.venv; mode=full; release=${OIO_TEST_RELEASE:-7.3.0} ;;
    3.13) venv=.venv313; mode=core; release=${OIO_TEST_RELEASE:-2026.14} ;;
    *) echo "unknown Python version $pyver (3.11 or 3.13)" >&2; exit 2 ;;
  esac
  bin="$root/$venv/bin"
}

leg_stages() {  # PYVER: "key:title" of the leg's stages, in order
  use_python "$1"
  printf '%s\n' "runtime:generated files are up to date" "doc:modules render with ansible-doc" \
    "pytest:pytest (simulator, conformance, library; integration on OpenIO SDS $release)" \
    "sanity:ansible-test sanity" "galaxy:galaxy build, install, shipped tests from the installed copy"
  [ "$mode" = full ] && printf '%s\n' "lint:ansible-lint (production profile, offline)" \
    "molecule:molecule scenarios"
  return 0
}

weight() {  # KEY PYVER: how early a stage starts: pytest first (it holds both cores),
  # then the longest, the two galaxy stages apart (their shipped tests run two
  # workers), so that the stages of one core pair up to the end (the full
  # sanity is the newest core's)
  case "$1" in
    pytest) echo 90 ;;
    readme) echo 85 ;;
    galaxy) if [ "$2" = 3.11 ]; then echo 80; else echo 70; fi ;;
    sanity) if [ "$2" = 3.13 ]; then echo 75; else echo 40; fi ;;
    molecule) echo 50 ;;
    lint) echo 15 ;;
    doc) echo 5 ;;
    *) echo 1 ;;
  esac
}

slots() {  # KEY: the cores a stage keeps busy (pytest runs two workers; the galaxy
  # stage builds and installs on one, then runs the shipped tests on two for
  # about half its time; the others run one process at a time)
  case "$1" in
    pytest) echo 2 ;;
    *) echo 1 ;;
  esac
}

run_job() {  # OUT "pyver|key|title": run one stage, its line of the summary to OUT
  local out=$1 pyver_ key title log start rc cpu cpu_before
  IFS='|' read -r pyver_ key title <<< "$2"
  if [ "$key" = readme ]; then venv=$readme_venv bin="$root/$readme_venv/bin"
  else use_python "$pyver_"; fi
  log="$tmp/stage-$pyver_-$key.log" start=$SECONDS
  children_cpu "$tmp/times.$BASHPID" cpu_before
  ( set -e; export PATH="$bin:$PATH"; "stage_$key" ) > "$log" 2>&1
  rc=$?
  children_cpu "$tmp/times.$BASHPID" cpu
  cpu=$((cpu - cpu_before))
  {
    flock 9
    printf '\n=== %s\n' "$title"; cat "$log"
    [ $rc -eq 0 ] || printf '=== %s: FAILED\n' "$title"
  } 9> "$tmp/print.lock"
  printf '%s|%s|%s|%s\n' "$title" "$([ $rc -eq 0 ] && echo passed || echo FAILED)" \
    $((SECONDS - start)) "$cpu" >> "$out"
}

# The virtualenvs, all at once (pip mostly waits on downloads).
readme_venv="" ready=() pids=()
for pyver in "${versions[@]}"; do
  run_job "$tmp/venv-$pyver" "$pyver|venv|$pyver: virtualenv" &
  pids+=($!)
done
wait "${pids[@]}"
for pyver in "${versions[@]}"; do
  IFS='|' read -r title result secs cpu < "$tmp/venv-$pyver"
  record "$title" "$result" "$secs" "$cpu"
  use_python "$pyver"
  if [ "$result" = passed ]; then
    ready+=("$pyver")
    [ -n "$readme_venv" ] || readme_venv=$venv
  else
    while IFS=: read -r key title; do
      wanted "$key" && skip_stage "$pyver: $title" "no virtualenv"
    done < <(leg_stages "$pyver")
  fi
done

export PYTHONPYCACHEPREFIX="$tmp/pycache"

# One queue, the longest stages first, each started as soon as the cores it
# keeps busy are free: $CORES of them (all the machine's). More processes
# than cores cost CPU time instead of saving it (measured: the two pytest legs
# at once take 28% more CPU time, and longer, than one after the other).
# A stage's output is printed whole when it ends.
jobs=() pending=()
: > "$tmp/queue"
for pyver in "${ready[@]}"; do
  while IFS=: read -r key title; do
    wanted "$key" || continue
    jobs+=("$pyver|$key|$pyver: $title")
    printf '%s %s\n' "$(weight "$key" "$pyver")" "${jobs[-1]}" >> "$tmp/queue"
  done < <(leg_stages "$pyver")
done
if wanted readme && [ -n "$readme_venv" ]; then
  jobs+=("-|readme|README and docs commands, as written")
  printf '%s %s\n' "$(weight readme -)" "${jobs[-1]}" >> "$tmp/queue"
fi
mapfile -t pending < <(sort -s -k1,1nr "$tmp/queue" | cut -d' ' -f2-)
cores=${CORES:-$(nproc)}
[ "$cores" -ge 1 ] 2>/dev/null || cores=1
free=$cores done_file="$tmp/done"
declare -A running=()  # pid: the cores its stage holds
: > "$done_file"
while [ ${#pending[@]} -gt 0 ] || [ ${#running[@]} -gt 0 ]; do
  started=""
  for i in "${!pending[@]}"; do
    IFS='|' read -r dummy key dummy <<< "${pending[$i]}"
    need=$(slots "$key")
    [ "$need" -le "$cores" ] || need=$cores
    if [ "$need" -le "$free" ]; then
      run_job "$done_file" "${pending[$i]}" &
      running[$!]=$need free=$((free - need)) started=1
      unset 'pending[i]'
      break
    fi
  done
  [ -n "$started" ] && continue
  # Nothing more fits: wait for a stage to end and take its cores back.
  wait -n -p ended "${!running[@]}"
  free=$((free + running[$ended]))
  unset "running[$ended]"
done
# The summary: each leg's stages in their order, then the README's.
for job in "${jobs[@]}"; do
  title=${job#*|*|}
  line=$(grep -F "$title|" "$done_file" | head -n1)
  [ -n "$line" ] || line="$title|FAILED (did not run)|0|"
  IFS='|' read -r title result secs cpu <<< "$line"
  record "$title" "$result" "$secs" "$cpu"
done
if wanted readme && [ -z "$readme_venv" ]; then
  skip_stage "README and docs commands, as written" "no virtualenv"
fi

fmt() { if [ "$1" -ge 60 ]; then printf '%dm%02ds' $(($1 / 60)) $(($1 % 60)); else printf '%ds' "$1"; fi; }
# cpu: the CPU time (user + system) of the stage's processes, all cores
# together; the total's is the whole run's.
printf '\n=== Summary\n%-66s %-24s %8s %8s\n' stage result time cpu
status=0
for i in "${!names[@]}"; do
  cpu=${cpus[$i]}
  printf '%-66s %-24s %8s %8s\n' "${names[$i]}" "${results[$i]}" "$(fmt "${times[$i]}")" \
    "$([ -n "$cpu" ] && fmt "$cpu")"
  [ "${results[$i]}" = passed ] || status=1
done
children_cpu "$tmp/total.times" cpu
printf '%-66s %-24s %8s %8s\n' total "$([ $status -eq 0 ] && echo passed || echo FAILED)" \
  "$(fmt "$SECONDS")" "$(fmt "$cpu")"
exit $status
