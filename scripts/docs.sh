#!/usr/bin/env bash
# Build the documentation site of nasops.truenas into docs/build/html, offline.
#
#   1. antsibull-docs lint-collection-docs: schema, markup and reference checks of the
#      DOCUMENTATION/EXAMPLES/RETURN of every module, plugin and role, and of docs/docsite.
#   2. antsibull-docs collection: reStructuredText for the collection found through
#      ANSIBLE_COLLECTIONS_PATH (default .venv/collections, where `make venv` links the
#      checkout as ansible_collections/nasops/truenas), into docs/build/rst.
#   3. docs/site/guides.py: every docs/*.md guide (and the simulator README) into docs/build/rst/guides,
#      listed under "Guides" on the index.
#   4. sphinx-build with docs/site/conf.py (Markdown through myst-parser), warnings treated as errors.
#
# Environment: DOCS_BUILD_DIR overrides the output directory (default docs/build).
# Exits non-zero on any lint error, documentation error or Sphinx warning.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=scripts/tool-env.sh
. "$top/scripts/tool-env.sh"
bin="$top/.venv/bin"
collection=nasops.truenas
build=${DOCS_BUILD_DIR:-$top/docs/build}

# antsibull-docs runs `ansible-doc` and `ansible-galaxy`: take them from the project's venv.
if [ -d "$bin" ]; then
    export PATH="$bin:$PATH"
fi
export ANSIBLE_COLLECTIONS_PATH=${ANSIBLE_COLLECTIONS_PATH:-$top/.venv/collections}
# Collections found next to a playbook or under ~/.ansible must not take part.
export ANSIBLE_COLLECTIONS_SCAN_SYS_PATH=false
export ANSIBLE_NOCOLOR=1

python=python3
if [ -x "$bin/python" ]; then
    python="$bin/python"
fi
for tool in ansible-doc antsibull-docs sphinx-build; do
    if ! command -v "$tool" >/dev/null 2>&1; then
        echo "docs: $tool not found; run 'make venv' (it installs test-requirements.txt)" >&2
        exit 2
    fi
done

# The collection as Ansible sees it: the first ansible_collections/nasops/truenas on the path.
source_dir=
IFS=: read -r -a search_path <<< "$ANSIBLE_COLLECTIONS_PATH"
for entry in "${search_path[@]}"; do
    if [ -n "$entry" ] && [ -f "$entry/ansible_collections/nasops/truenas/galaxy.yml" ]; then
        source_dir="$entry/ansible_collections/nasops/truenas"
        break
    fi
done
if [ -z "$source_dir" ]; then
    echo "docs: $collection not found in ANSIBLE_COLLECTIONS_PATH=$ANSIBLE_COLLECTIONS_PATH;" \
        "run 'make venv' to link the checkout there" >&2
    exit 2
fi
if [ "$(cd "$source_dir" && pwd -P)" != "$(cd "$top" && pwd -P)" ]; then
    echo "docs: $collection in $source_dir is not this checkout ($top)" >&2
    exit 2
fi

echo "docs: linting the documentation of $collection"
antsibull-docs lint-collection-docs --plugin-docs --validate-collection-refs=dependent "$source_dir"

rst="$build/rst"
html="$build/html"
rm -rf "$rst" "$html" "$build/doctrees"
mkdir -p "$rst"
chmod og-w "$rst"

echo "docs: generating reStructuredText into $rst"
antsibull-docs --config-file "$top/docs/site/antsibull-docs.cfg" collection \
    --use-current --squash-hierarchy --fail-on-error --cleanup everything \
    --dest-dir "$rst" "$collection"

echo "docs: adding the guides (docs/*.md and the simulator README) to the index"
"$python" "$top/docs/site/guides.py" "$top" "$rst"

echo "docs: building HTML into $html"
sphinx-build -b html -c "$top/docs/site" -d "$build/doctrees" -W --keep-going -q -n \
    "$rst" "$html"

echo "docs: site built: $html/index.html"
