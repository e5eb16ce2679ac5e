#!/usr/bin/env bash
# Run the shell commands of README.md and docs/*.md as written, from the repo
# root, against a simulated namespace on 127.0.0.1.
#   tools/readme_commands.sh [VENV]
# The commands are the lines of their ```bash blocks (a trailing backslash
# continues a line), README.md first, then the docs in the order of
# DOCS (the others after). The docs' first simulator command is started
# first, in the background, and stopped by PID at the end. Its URLs replace
# the README's example addresses (proxy 10.0.0.1:6006, rdir 10.0.0.9:6300),
# and a command that still names an address outside 127.0.0.0/8 is refused.
# `make test` is not run (it is what runs this). A command fails when it
# exits non-zero or prints an Ansible error or a "not found".
set -uo pipefail
venv=${1:-.venv}
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

work=$(mktemp -d)
sim_pid=""
cleanup() {
  if [ -n "$sim_pid" ]; then kill "$sim_pid" 2>/dev/null; wait "$sim_pid" 2>/dev/null; fi
  rm -rf "$work"
}
trap cleanup EXIT

# As a user's shell would be: the collection is found through ansible.cfg,
# no virtualenv is active unless the README activates it; what Ansible writes
# goes under $work.
unset ANSIBLE_COLLECTIONS_PATH ANSIBLE_COLLECTIONS_PATHS ANSIBLE_ROLES_PATH VIRTUAL_ENV
PATH=$(printf '%s' "$PATH" | tr ':' '\n' | grep -v "^$root/.venv[^/]*/bin\$" | paste -sd: -)
export PATH
export ANSIBLE_HOME="$work/ansible-home" ANSIBLE_LOCAL_TEMP="$work/ansible-local-tmp"
export ANSIBLE_REMOTE_TEMP="$work/ansible-remote-tmp" ANSIBLE_ASYNC_DIR="$work/ansible-async"

# The order a reader follows: the README, then the operations, which the
# later docs build on.
docs=(README.md docs/operations.md docs/releases.md docs/simulator.md docs/development.md)
for doc in docs/*.md; do
  [[ " ${docs[*]} " == *" $doc "* ]] || docs+=("$doc")
done
mapfile -t commands < <(awk '
  /^```bash[[:space:]]*$/ { inside = 1; next }
  /^```/ { inside = 0; next }
  inside && /^[[:space:]]*(#|$)/ { next }
  inside {
    line = $0
    if (line ~ /\\[[:space:]]*$/) { sub(/\\[[:space:]]*$/, " ", line); pending = pending line; next }
    print pending line; pending = ""
  }' "${docs[@]}")
[ ${#commands[@]} -gt 0 ] || { echo "no commands found in ${docs[*]}" >&2; exit 1; }

# 1. The simulator, from the README's own command.
sim_cmd=""
for cmd in "${commands[@]}"; do
  # The first one: later ones belong to walkthroughs that start their own.
  case "$cmd" in *"-m oiosim "*) [ -n "$sim_cmd" ] || sim_cmd=$cmd ;; esac
done
[ -n "$sim_cmd" ] || { echo "the docs have no simulator command (python -m oiosim)" >&2; exit 1; }
portfile_readme=$(printf '%s\n' "$sim_cmd" | sed -n 's/.*--port-file[ =]\([^ ]*\).*/\1/p')
[ -n "$portfile_readme" ] || { echo "the simulator command has no --port-file" >&2; exit 1; }
echo "\$ $sim_cmd &"
# Under $work instead, and with a time limit in case this script is killed.
# `exec` after the leading VAR=value words: the background job is the
# simulator itself, so the PID stopped at the end is its own.
sim_run=$(printf '%s' "${sim_cmd//"$portfile_readme"/"$work/sim.json"} --ttl 900" \
  | sed -E 's/^(([A-Za-z_][A-Za-z0-9_]*=[^ ]* +)*)/\1exec /')
eval "$sim_run" > "$work/sim.log" 2>&1 &
sim_pid=$!
for _ in $(seq 1 200); do [ -s "$work/sim.json" ] && break; sleep 0.1; done
[ -s "$work/sim.json" ] || { cat "$work/sim.log"; echo "the simulator did not start" >&2; exit 1; }
read -r proxy ns rdir < <("$root/$venv/bin/python" -c '
import json, sys
info = json.load(open(sys.argv[1]))
rdirs = sorted(u.split("//", 1)[1] for u in info["rdir"].values())
print(info["proxy_url"], info["namespace"], rdirs[0])' "$work/sim.json")
echo "simulator: proxy $proxy, namespace $ns, first rdir $rdir (pid $sim_pid)"

# 2. Every other command, in the docs' order.
substitute() {
  local c=$1
  c=${c//"http://10.0.0.1:6006"/"$proxy"}
  c=${c//"10.0.0.9:6300"/"$rdir"}
  c=${c//"=OPENIO"/"=$ns"}
  c=${c//"/var/tmp/oio-audit"/"$work/audit"}
  printf '%s' "$c"
}
failed=0 ran=0
for cmd in "${commands[@]}"; do
  [ "$cmd" != "$sim_cmd" ] || continue
  case "$cmd" in
    "make test"|"make test "*) echo "(not run here: $cmd)"; continue ;;
  esac
  run=$(substitute "$cmd")
  outside=$(printf '%s\n' "$run" | grep -oE '\b[0-9]{1,3}(\.[0-9]{1,3}){3}\b' | grep -v '^127\.' || true)
  if [ -n "$outside" ]; then
    echo "refused (would reach $outside): $cmd"; failed=$((failed + 1)); continue
  fi
  echo; echo "\$ $cmd"
  ran=$((ran + 1))
  start=$SECONDS
  eval "$run" > "$work/out" 2>&1
  rc=$?
  sed 's/^/    /' "$work/out" | tail -n 15
  echo "    ($((SECONDS - start)) s)"
  if [ $rc -ne 0 ] || grep -qE "not found in|was not found|couldn't resolve|\[ERROR\]" "$work/out"; then
    echo "FAILED (exit $rc): $cmd"; failed=$((failed + 1))
  fi
done
echo
echo "documented commands: $ran run, $failed failed"
[ $failed -eq 0 ]
