#!/usr/bin/env bash
# The demo: start a simulated OpenIO namespace on 127.0.0.1, bootstrap its
# directory with the collection's playbooks, run the bootstrap again to show
# that nothing changes, then audit it. The simulator is stopped by PID.
#   tools/demo.sh [VENV] [RELEASE]   RELEASE: 7.3.0 (default) or 2026.14
set -euo pipefail
venv=${1:-.venv}
release=${2:-7.3.0}
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
bin="$root/$venv/bin"
work=$(mktemp -d)
portfile="$work/sim.json"
export ANSIBLE_HOME="$work/ansible-home"
# collections/ansible_collections/openio/sds links to the repo root.
export ANSIBLE_COLLECTIONS_PATH="$root/collections"
export ANSIBLE_PIPELINING=1
export ANSIBLE_ROLES_PATH="$root/roles"
export ANSIBLE_PYTHON_INTERPRETER="$bin/python"
export ANSIBLE_LOCALHOST_WARNING=0 ANSIBLE_INVENTORY_UNPARSED_WARNING=0

PYTHONPATH="$root/simulator" "$bin/python" -m oiosim --preset demo --release "$release" \
  --port 0 --port-file "$portfile" --ttl 1800 > "$work/sim.log" 2>&1 &
sim_pid=$!
cleanup() { kill "$sim_pid" 2>/dev/null || true; wait "$sim_pid" 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT
for _ in $(seq 1 100); do [ -s "$portfile" ] && break; sleep 0.1; done
[ -s "$portfile" ] || { cat "$work/sim.log"; echo "the simulator did not start" >&2; exit 1; }
proxy=$("$bin/python" -c 'import json,sys; print(json.load(open(sys.argv[1]))["proxy_url"])' "$portfile")
ns=$("$bin/python" -c 'import json,sys; print(json.load(open(sys.argv[1]))["namespace"])' "$portfile")
echo "Simulated namespace $ns (OpenIO SDS $release): proxy at $proxy (pid $sim_pid)"
conn=(-e "oio_proxy_url=$proxy" -e "oio_namespace=$ns")

if [ -f playbooks/bootstrap.yml ]; then
  echo; echo "### 1. Bootstrap the directory"
  "$bin/ansible-playbook" playbooks/bootstrap.yml -i playbooks/inventory/demo.yml "${conn[@]}"
  echo; echo "### 2. Bootstrap again: nothing to change"
  "$bin/ansible-playbook" playbooks/bootstrap.yml -i playbooks/inventory/demo.yml "${conn[@]}"
  echo; echo "### 3. Audit"
  "$bin/ansible-playbook" playbooks/audit.yml -i playbooks/inventory/demo.yml "${conn[@]}" \
    -e "oio_audit_report_dir=$root/build/audit"
  echo; echo "Audit report: $root/build/audit"
else
  "$bin/ansible" localhost -m openio.sds.oio_service_info -a "proxy_url=$proxy namespace=$ns type=meta1"
fi
