# Copyright (c) nasops contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""docs/site/guides.py puts every Markdown guide on the documentation site and lists it on the
index; the list comes from the files present, so a new docs/*.md is picked up without a change.
(tests/integration/test_docs.py checks the same on a real site build.)"""

import importlib.util
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
SPEC = importlib.util.spec_from_file_location("nasops_docs_guides", ROOT / "docs" / "site" / "guides.py")
guides = importlib.util.module_from_spec(SPEC)
SPEC.loader.exec_module(guides)

INDEX = "Welcome\n=======\n\n.. toctree::\n   :maxdepth: 1\n\n   truenas_dataset_module\n"


def toctree_entries(index_text):
    section = index_text.split("\nGuides\n------\n", 1)[1]
    return re.findall(r"^   .* <guides/([a-z0-9_-]+)>$", section, re.M)


@pytest.fixture
def rst(tmp_path):
    out = tmp_path / "rst"
    out.mkdir()
    (out / "index.rst").write_text(INDEX)
    return out


def test_every_guide_of_the_checkout_is_on_the_index(rst):
    names = guides.install(ROOT, rst)
    expected = set(p.stem for p in (ROOT / "docs").glob("*.md")) | {"simulator"}
    assert set(names) == expected
    assert set(toctree_entries((rst / "index.rst").read_text())) == expected
    for name in expected:
        assert (rst / "guides" / ("%s.md" % name)).is_file()
    for name in ("inventory", "awx", "performance", "architecture", "simulator"):
        assert name in names


def test_a_new_guide_is_picked_up_and_ordered(tmp_path, rst):
    top = tmp_path / "checkout"
    (top / "docs").mkdir(parents=True)
    (top / "tests" / "simulator").mkdir(parents=True)
    (top / "tests" / "simulator" / "README.md").write_text("# The TrueNAS simulator\n")
    for name, title in (("zz-new", "A brand new guide"), ("awx", "AWX"), ("session-broker", "The session broker"),
                        ("connecting", "Connecting"), ("alpha", "Alpha")):
        (top / "docs" / ("%s.md" % name)).write_text("# %s\n\nText.\n" % title)
    assert guides.install(top, rst) == ["connecting", "session-broker", "awx", "simulator", "alpha", "zz-new"]
    index = (rst / "index.rst").read_text()
    assert index.startswith(INDEX.rstrip("\n"))
    assert "   A brand new guide <guides/zz-new>" in index
    assert toctree_entries(index) == ["connecting", "session-broker", "awx", "simulator", "alpha", "zz-new"]


@pytest.mark.parametrize("source, text, expected", [
    ("docs/awx.md", "[type](../extensions/awx/truenas_credential_type.yml)",
     "[type](https://github.com/nasops/truenas/blob/main/extensions/awx/truenas_credential_type.yml)"),
    ("docs/awx.md", "[EE](examples/execution-environment.yml)",
     "[EE](https://github.com/nasops/truenas/blob/main/docs/examples/execution-environment.yml)"),
    ("docs/inventory.md", "([AWX guide](awx.md), section 2)", "([AWX guide](awx.md), section 2)"),
    ("docs/development.md", "[sim](../tests/simulator/README.md#running-it)", "[sim](simulator.md#running-it)"),
    ("tests/simulator/README.md", "[arch](../../docs/architecture.md)", "[arch](architecture.md)"),
    ("docs/awx.md", "[site](https://docs.ansible.com/) and [here](#credentials)",
     "[site](https://docs.ansible.com/) and [here](#credentials)"),
    ("docs/awx.md", "[readme](../README.md#ad-hoc)", "[readme](https://github.com/nasops/truenas/blob/main/README.md#ad-hoc)"),
])
def test_links_point_to_pages_or_to_the_repository(source, text, expected):
    pages = {"awx": "docs/awx.md", "inventory": "docs/inventory.md", "architecture": "docs/architecture.md",
             "development": "docs/development.md", "simulator": "tests/simulator/README.md"}
    assert guides.rewrite_links(text, source, pages) == expected


def test_title_is_the_first_heading():
    assert guides.title_of("Intro line\n\n# AWX, Automation Controller\n\n## 1. More\n", "awx") == "AWX, Automation Controller"
    assert guides.title_of("no heading", "session-broker") == "Session broker"
