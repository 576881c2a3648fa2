# Copyright (c) nasops contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""truenas_disk_info against the simulator on every profile, checked against the simulator's state."""

import pytest
from tests.integration.conftest import module_calls


pytestmark = pytest.mark.timeout(120)


def test_disks_match_the_simulator(sim, run_module):
    stored = sim.state_dump("disks")
    sim.reset_counters()
    result = run_module("truenas_disk_info", {}, check=True)
    assert result["changed"] is False
    assert result["failed"] is False, result
    assert sorted(d["name"] for d in result["disks"]) == sorted(stored)
    members = {"sda": "tank", "sdb": "tank", "sdc": "tank", "sdd": "tank", "sde": "backup"}
    for disk in result["disks"]:
        rec = stored[disk["name"]]
        assert (disk["serial"], disk["model"], disk["size"], disk["type"]) == (rec["serial"], rec["model"], rec["size"], rec["type"])
        assert disk["pool"] == members.get(disk["name"])
        assert disk["temperature"] == rec["temperature"]
        if sim.profile.at_least("25.10"):
            # SMART left the public API in 25.10: no data, and no call of a method the server lacks.
            assert disk["last_smart_test"] is None
        else:
            assert disk["last_smart_test"]["status"] == rec["smart_tests"][0]["status"]
            assert disk["last_smart_test"]["lifetime"] == rec["smart_tests"][0]["lifetime"]
    called = [c["method"] for c in sim.calls()]
    assert ("smart.test.results" in called) is (not sim.profile.at_least("25.10"))


def test_named_disks_without_extras(sim, run_module):
    sim.reset_counters()
    result = run_module("truenas_disk_info", {"name": ["sdf", "sdz"], "include_temperature": False, "include_smart": False})
    assert [d["name"] for d in result["disks"]] == ["sdf"]
    assert result["disks"][0]["temperature"] is None and result["disks"][0]["last_smart_test"] is None
    assert module_calls(sim) == ["disk.query"]
