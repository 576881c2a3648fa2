# Copyright (c) nasops contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""truenas_pool_info through the fake client."""

from ansible_collections.nasops.truenas.plugins.module_utils._errors import TrueNASAuthError
from ansible_collections.nasops.truenas.plugins.modules import truenas_pool_info

from tests.unit.plugins.module_utils._resources.test_dataset import DatasetServer, dataset_record
from tests.unit.plugins.module_utils._resources.test_pool import leaf, mirror, offline_record, pool_record

MAIN = truenas_pool_info.main
POOLS = [
    pool_record("tank", 1, [mirror("mirror-0", leaf("sda"), leaf("sdb")), mirror("mirror-1", leaf("sdc"), leaf("sdd"))]),
    pool_record("backup", 2, [leaf("sde")], scan={}, fragmentation="0"),
    offline_record("cold", 3),
]


def serve(client):
    client.respond("pool.query", lambda filters, options: [
        p for p in POOLS if not filters or p["name"] in filters[0][2]])


def test_all_pools_sorted_by_name(run_module, fake_client):
    serve(fake_client)
    result = run_module(MAIN, {})
    assert result["changed"] is False
    assert [p["name"] for p in result["pools"]] == ["backup", "cold", "tank"]
    assert fake_client.methods == ["pool.query"]
    assert fake_client.calls[0].params == [[], {}]
    tank = result["pools"][2]
    assert (tank["size"], tank["allocated"], tank["free"], tank["fragmentation"]) == (8000000000000, 1000000000,
                                                                                      7999000000000, 3)
    assert tank["disks"] == ["sda", "sdb", "sdc", "sdd"]
    assert [v["name"] for v in tank["topology"]["data"]] == ["mirror-0", "mirror-1"]
    assert tank["scan"]["state"] == "FINISHED"
    backup = result["pools"][0]
    assert backup["topology"]["data"][0]["type"] == "DISK"
    assert backup["topology"]["data"][0]["disks"][0]["disk"] == "sde"
    assert backup["scan"]["function"] is None
    assert "root_dataset" not in tank


def test_named_pools_with_root_dataset(run_module, fake_client):
    serve(fake_client)
    DatasetServer(fake_client, [dataset_record("tank", props={"used": 4096, "available": 123456789})])
    result = run_module(MAIN, {"name": ["tank", "nosuch"], "include_root_dataset": True}, check_mode=True)
    assert result["changed"] is False
    assert fake_client.calls[0].params[0] == [["name", "in", ["tank", "nosuch"]]]
    assert [p["name"] for p in result["pools"]] == ["tank"]
    assert result["pools"][0]["root_dataset"] == {"used": 4096, "available": 123456789}
    assert fake_client.calls[1].params == [[["id", "in", ["tank"]]], {"extra": {
        "retrieve_children": False, "properties": ["used", "available"], "retrieve_user_props": False}}]


def test_no_pool_matches(run_module, fake_client):
    serve(fake_client)
    result = run_module(MAIN, {"name": ["nosuch"], "include_root_dataset": True})
    assert result["changed"] is False
    assert result["pools"] == []
    assert fake_client.methods == ["pool.query"]


def test_bad_name(run_module, fake_client):
    result = run_module(MAIN, {"name": ["tank/data"]})
    assert result["failed"] is True
    assert result["msg"] == "name: entries must be pool names such as tank, got 'tank/data'"


def test_server_error_is_reported(run_module, fake_client):
    fake_client.respond("pool.query", TrueNASAuthError("pool.query: [EACCES] Not authorized", method="pool.query"))
    result = run_module(MAIN, {})
    assert result["failed"] is True
    assert result["msg"] == "Failed to read pools: [EACCES] Not authorized"
