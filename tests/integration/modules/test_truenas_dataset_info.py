# Copyright (c) nasops contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""truenas_dataset_info against the simulator on every profile, checked against the simulator's
state, and against what truenas_dataset returns for the same dataset."""

import pytest

pytestmark = pytest.mark.timeout(120)


def test_a_subtree_matches_the_simulator(sim, run_module):
    created = run_module("truenas_dataset", {"name": "tank/vms/web/disk0", "volsize": "1G", "create_ancestors": True})
    assert created["changed"] is True, created
    stored = sim.state_dump("datasets")
    result = run_module("truenas_dataset_info", {"name": "tank/vms"}, check=True)
    assert result["changed"] is False
    assert [d["name"] for d in result["datasets"]] == sorted(n for n in stored if n == "tank/vms" or n.startswith("tank/vms/"))
    assert [d["name"] for d in result["datasets"]] == ["tank/vms", "tank/vms/web", "tank/vms/web/disk0"]
    zvol = result["datasets"][2]
    assert zvol["type"] == stored["tank/vms/web/disk0"]["type"] == "VOLUME"
    assert zvol["volsize"] == int(stored["tank/vms/web/disk0"]["props"]["volsize"])
    assert zvol == created["dataset"]
    assert result["datasets"][0]["comments"] == stored["tank/vms"]["user_props"]["org.freenas:description"]


def test_all_datasets(sim, run_module):
    stored = sim.state_dump("datasets")
    result = run_module("truenas_dataset_info", {})
    names = [d["name"] for d in result["datasets"]]
    assert sorted(names) == sorted(stored)
    isos = [d for d in result["datasets"] if d["name"] == "tank/isos"][0]
    assert isos["recordsize"] == int(stored["tank/isos"]["props"]["recordsize"]) == 1024 ** 2
    assert isos["source"]["recordsize"] == "LOCAL"
    media = [d for d in result["datasets"] if d["name"] == "tank/media"][0]
    assert media["compression"] == stored["tank/media"]["props"]["compression"].upper() == "ZSTD"
    assert run_module("truenas_dataset_info", {"name": "tank/none"})["datasets"] == []
