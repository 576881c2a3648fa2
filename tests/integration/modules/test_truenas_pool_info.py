# Copyright (c) nasops contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""truenas_pool_info against the simulator on every profile, checked against the simulator's own
state and raw API answers (out of band)."""

import pytest

pytestmark = pytest.mark.timeout(120)


def test_pools_match_the_simulator(sim, run_module, sim_client):
    stored = sim.state_dump("pools")
    result = run_module("truenas_pool_info", {"include_root_dataset": True}, check=True)
    assert result["changed"] is False
    assert result["failed"] is False, result
    assert [p["name"] for p in result["pools"]] == sorted(p["name"] for p in stored.values())
    pools = dict((p["name"], p) for p in result["pools"])
    for rec in stored.values():
        pool = pools[rec["name"]]
        assert pool["id"] == rec["id"]
        assert pool["guid"] == rec["guid"]
        assert pool["status"] == rec["status"] == "ONLINE"
        assert pool["healthy"] is True
        assert pool["size"] == rec["size"]
        assert pool["allocated"] + pool["free"] == rec["size"]
        assert isinstance(pool["fragmentation"], int)
        members = [child["disk"] for vdev in rec["topology"]["data"] for child in vdev["children"]]
        assert pool["disks"] == members
        assert [d["disk"] for v in pool["topology"]["data"] for d in v["disks"]] == members
    tank = pools["tank"]
    assert [v["type"] for v in tank["topology"]["data"]] == ["MIRROR", "MIRROR"]
    assert tank["scan"] == {"function": "SCRUB", "state": "FINISHED", "start_time": "2025-09-28T00:00:00+00:00",
                            "end_time": "2025-09-28T02:10:00+00:00", "percentage": 100.0, "errors": 0, "paused": False}
    assert pools["backup"]["topology"]["data"][0]["type"] == "DISK"
    assert pools["backup"]["scan"]["state"] is None

    client = sim_client(sim, login=True)
    for name in ("tank", "backup"):
        root = client.request("pool.dataset.get_instance", name)
        assert pools[name]["root_dataset"] == {"used": root["used"]["parsed"], "available": root["available"]["parsed"]}


def test_named_pool(sim, run_module):
    result = run_module("truenas_pool_info", {"name": ["backup", "missing"]})
    assert [p["name"] for p in result["pools"]] == ["backup"]
    assert "root_dataset" not in result["pools"][0]
    assert [c["params"][0] for c in sim.calls("pool.query")][-1] == [["name", "in", ["backup", "missing"]]]
