#!/usr/bin/env bash
# `make demo`: build a Kubernetes VM cluster on the TrueNAS simulator, twice.
#
#   1. Start tests/simulator/truenas-sim (TLS with its own CA, the default seed: pool tank with
#      tank/vms and the ISOs under /mnt/tank/isos, bridges br0 and br1) on a free port.
#   2. Run playbooks/k8s_cluster.yml: 3 control plane and 3 worker VMs.
#   3. Run it again and check that nothing changed (changed=0 in the recap).
#   4. Print the simulator's login count: the simulator limits logins as TrueNAS does (20 a minute
#      from one address), and both runs share one login through the session broker.
#   5. Print the nodes and stop the simulator (also on failure or Ctrl-C).
#
# Environment: DEMO_PROFILE picks the TrueNAS release the simulator behaves as (25.04, 25.10
# or 26; default 25.10). Runs with the project's .venv (`make venv`).
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
bin="$top/.venv/bin"
profile=${DEMO_PROFILE:-25.10}

if [ -d "$bin" ]; then
    export PATH="$bin:$PATH"
fi
export ANSIBLE_COLLECTIONS_PATH=${ANSIBLE_COLLECTIONS_PATH:-$top/.venv/collections}
export ANSIBLE_CONFIG=${ANSIBLE_CONFIG:-$top/ansible.cfg}
export ANSIBLE_LOCALHOST_WARNING=false
export ANSIBLE_INVENTORY_UNPARSED_WARNING=false
export ANSIBLE_DISPLAY_SKIPPED_HOSTS=false
for tool in python ansible-playbook; do
    if ! command -v "$tool" >/dev/null 2>&1; then
        echo "demo: $tool not found; run 'make venv' first" >&2
        exit 1
    fi
done

work=$(mktemp -d "${TMPDIR:-/tmp}/truenas-demo.XXXXXX")
sim_pid=""
cleanup() {
    local rc=$?
    if [ -n "$sim_pid" ] && kill -0 "$sim_pid" 2>/dev/null; then
        echo
        echo "==> Stopping the simulator (pid $sim_pid)"
        kill "$sim_pid" 2>/dev/null || true
        wait "$sim_pid" 2>/dev/null || true
    fi
    rm -rf "$work"
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

step() {
    echo
    echo "==> $*"
}

step "Starting the TrueNAS simulator (profile $profile, TLS)"
# The simulator prints one JSON line once it listens; it stops by itself after 15 minutes.
tests/simulator/truenas-sim --profile "$profile" --port 0 --tls --rate-limit --test-hooks \
    --state "$work/state.json" --workdir "$work/sim" --max-lifetime 900 \
    >"$work/sim.json" 2>"$work/sim.log" </dev/null &
sim_pid=$!
for _ in $(seq 1 150); do
    if [ -s "$work/sim.json" ] || ! kill -0 "$sim_pid" 2>/dev/null; then
        break
    fi
    sleep 0.1
done
if [ ! -s "$work/sim.json" ]; then
    echo "demo: the simulator did not start:" >&2
    cat "$work/sim.log" >&2
    exit 1
fi
field() {
    python -c 'import json, sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])' "$work/sim.json" "$1"
}
TRUENAS_URL=$(field url)
TRUENAS_USERNAME=$(field username)
TRUENAS_API_KEY=$(field api_key)
TRUENAS_CA_PATH=$(field ca_file)
export TRUENAS_URL TRUENAS_USERNAME TRUENAS_API_KEY TRUENAS_CA_PATH
echo "    $TRUENAS_URL (user $TRUENAS_USERNAME, API key, CA $TRUENAS_CA_PATH)"

# The display password goes through a private vars file, never on a command line.
umask 077
python - "$work/cluster.yml" "$work/nodes.yml" <<'PY'
import secrets
import sys

import yaml

with open(sys.argv[1], "w", encoding="utf-8") as handle:
    yaml.safe_dump({
        "k8s_cluster_vms_display_password": secrets.token_urlsafe(12),
        "k8s_cluster_vms_inventory_file": sys.argv[2],
    }, handle)
PY

step "Building the cluster: 3 control plane and 3 worker VMs (playbooks/k8s_cluster.yml)"
ansible-playbook playbooks/k8s_cluster.yml -e "@$work/cluster.yml"

step "Running the playbook again: nothing may change"
ansible-playbook playbooks/k8s_cluster.yml -e "@$work/cluster.yml" | tee "$work/second.log"
recap=$(grep -E '^localhost[[:space:]]*:' "$work/second.log" | tail -n 1)
if ! grep -qE '[[:space:]]changed=0[[:space:]]' <<<"$recap"; then
    echo "demo: the second run changed something: $recap" >&2
    exit 1
fi
echo "    second run: changed=0, the cluster is converged"

step "Logins (the simulator's counters; its login rate limit is on, as on TrueNAS)"
logins=$(python - "$TRUENAS_URL" "$TRUENAS_CA_PATH" <<'PY'
import json
import ssl
import sys

import websocket

context = ssl.create_default_context(cafile=sys.argv[2])
ws = websocket.create_connection(sys.argv[1], sslopt={"context": context}, timeout=10)
ws.send(json.dumps({"jsonrpc": "2.0", "id": 1, "method": "test.counters", "params": []}))
print(json.loads(ws.recv())["result"]["logins"])
ws.close()
PY
)
echo "    logins for both runs: $logins (one session broker served every task)"
if [ "$logins" != "1" ]; then
    echo "demo: expected one login for both runs, the simulator counted $logins" >&2
    exit 1
fi

step "Nodes (inventory written by the role)"
python - "$work/nodes.yml" <<'PY'
import sys

import yaml

with open(sys.argv[1], encoding="utf-8") as handle:
    inventory = yaml.safe_load(handle)
row = "    %-16s %-13s %-4s %-18s %-8s %s"
print(row % ("NAME", "GROUP", "ID", "MAC", "DISPLAY", "STATE"))
for cluster in inventory["all"]["children"].values():
    for members in cluster["children"].values():
        for name, host in (members.get("hosts") or {}).items():
            print(row % (name, host["k8s_role"], host["truenas_vm_id"], host["mac_address"], host["display_port"],
                         host["truenas_vm_state"]))
PY
