# Copyright (c) nasops contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""scripts/docs.sh builds a documentation site that covers every module, plugin and role of the
collection as it is in this checkout."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "scripts" / "docs.sh"
# Plugin directories whose files antsibull-docs documents one page per file.
PLUGIN_DIRS = ("modules", "inventory", "lookup", "connection", "callback", "cache", "become", "vars")

pytestmark = pytest.mark.timeout(600)


def plugin_pages():
    """The page each documented plugin gets, by the file it comes from."""
    pages = {}
    for directory in PLUGIN_DIRS:
        plugin_type = "module" if directory == "modules" else directory
        for path in sorted((ROOT / "plugins" / directory).glob("*.py")):
            if path.name != "__init__.py":
                pages[path.relative_to(ROOT).as_posix()] = "%s_%s.html" % (path.stem, plugin_type)
    return pages


def role_pages():
    roles = ROOT / "roles"
    return dict(("roles/%s" % path.name, "%s_role.html" % path.name)
                for path in sorted(roles.iterdir() if roles.is_dir() else []) if path.is_dir())


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """The site built by scripts/docs.sh from this checkout."""
    work = tmp_path_factory.mktemp("docs")
    link = work / "collections" / "ansible_collections" / "nasops" / "truenas"
    link.parent.mkdir(parents=True)
    link.symlink_to(ROOT, target_is_directory=True)
    env = dict(os.environ)
    env.pop("ANSIBLE_CONFIG", None)
    env.update(ANSIBLE_COLLECTIONS_PATH=str(work / "collections"), DOCS_BUILD_DIR=str(work / "build"),
               ANSIBLE_HOME=str(work / "ansible-home"))
    env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")])
    proc = subprocess.run(["bash", str(SCRIPT)], cwd=work, env=env, capture_output=True, text=True, timeout=540,
                          check=False)
    assert proc.returncode == 0, "scripts/docs.sh failed:\n%s\n%s" % (proc.stdout, proc.stderr)
    return work / "build" / "html"


def test_index_page_describes_the_collection(site):
    index = (site / "index.html").read_text()
    assert "nasops.truenas" in index
    assert "WebSocket JSON-RPC 2.0 API" in index
    assert "https://github.com/nasops/truenas/blob/main/docs/awx.md" in index
    assert "https://github.com/nasops/truenas/blob/main/docs/examples/execution-environment.yml" in index


def test_every_module_and_plugin_has_a_page_linked_from_the_index(site):
    index = (site / "index.html").read_text()
    missing = [source for source, page in plugin_pages().items()
               if not (site / page).is_file() or 'href="%s"' % page not in index]
    assert missing == []


def test_every_role_has_a_page_linked_from_the_index(site):
    index = (site / "index.html").read_text()
    missing = [source for source, page in role_pages().items()
               if not (site / page).is_file() or 'href="%s"' % page not in index]
    assert missing == [], "roles without a documentation page (each needs meta/argument_specs.yml): %s" % missing


def test_module_pages_show_options_and_examples(site):
    for source, page in plugin_pages().items():
        if not source.startswith("plugins/modules/"):
            continue
        text = (site / page).read_text()
        name = Path(source).stem
        assert "nasops.truenas.%s" % name in text, page
        assert 'id="parameters"' in text, page
        assert 'id="examples"' in text, page


def test_references_outside_the_collection_point_to_the_ansible_docs(site):
    # Sphinx runs with -W, so an unresolved reference fails the build; references to Ansible's
    # own documentation and to other collections become links to the published documentation.
    for page in sorted(site.glob("*.html")):
        for target in re.findall(r'href="(https://docs\.ansible\.com/[^"#]+)', page.read_text()):
            assert target.startswith("https://docs.ansible.com/ansible/latest/"), (page.name, target)


def test_every_guide_has_a_page_linked_from_the_index(site):
    """Every docs/*.md, and the simulator README, is a page of the site listed on the index."""
    index = (site / "index.html").read_text()
    names = sorted(path.stem for path in (ROOT / "docs").glob("*.md")) + ["simulator"]
    for name in ("inventory", "awx", "performance", "architecture", "development"):
        assert name in names
    missing = [name for name in names
               if not (site / "guides" / ("%s.html" % name)).is_file() or 'href="guides/%s.html"' % name not in index]
    assert missing == []
    awx = (site / "guides" / "awx.html").read_text()
    assert "https://github.com/nasops/truenas/blob/main/extensions/awx/truenas_credential_type.yml" in awx
