#!/usr/bin/env bash
# Every test of the project, in order. Each stage runs even if an earlier one failed; the run
# fails if any stage failed.
set -uo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top" || exit 1
# shellcheck source=scripts/tool-env.sh
. "$top/scripts/tool-env.sh"
bin="$top/.venv/bin"
log="$top/.cache/pytest.log"
mkdir -p "$top/.cache"
failed=()
summary=()

stage() {
    local name=$1; shift
    echo
    echo "=== $name: $*"
    local start=$SECONDS
    if "$@"; then
        summary+=("ok      $name ($((SECONDS - start)) s)")
    else
        summary+=("FAILED  $name ($((SECONDS - start)) s)")
        failed+=("$name")
    fi
}

run_pytest() {
    "$bin/python" -m pytest -p no:cacheprovider tests/unit tests/integration 2>&1 | tee "$log"
    return "${PIPESTATUS[0]}"
}

stage pytest run_pytest
stage sanity scripts/sanity.sh
stage ansible-lint "$bin/ansible-lint" --profile production
if [ -d roles/k8s_cluster_vms/molecule ]; then
    stage molecule bash -c "cd roles/k8s_cluster_vms && '$bin/molecule' test --all"
fi
stage build "$bin/ansible-galaxy" collection build --force --output-path .cache/build .

echo
echo "=== summary"
printf '%s\n' "${summary[@]}"
# pytest's own closing line, repeated so that it is the last test summary in the output.
grep -E '^=+ .*(passed|failed|error).* in [0-9.]+s' "$log" | tail -n 1 || true
if [ ${#failed[@]} -gt 0 ]; then
    echo "failed stages: ${failed[*]}"
    exit 1
fi
