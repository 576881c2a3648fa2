# Copyright (c) nasops contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

import pytest

from ansible_collections.nasops.truenas.plugins.module_utils._compare import OptionError
from ansible_collections.nasops.truenas.plugins.module_utils._resources.pool_config import (
    missing_vdevs,
    parse_pool_name,
    parse_topology,
    topology_from_api,
    topology_to_api,
)
from ansible_collections.nasops.truenas.plugins.modules import truenas_pool

MAIN = truenas_pool.main
TB = 4000787030016


def leaf(disk):
    return {"type": "DISK", "disk": disk, "children": []}


TANK = {
    "id": 1, "name": "tank", "guid": "1", "status": "ONLINE", "healthy": True, "path": "/mnt/tank", "size": 2 * TB,
    "allocated": 0, "free": 2 * TB, "autotrim": {"value": "off", "parsed": "off"},
    "topology": {"data": [{"type": "MIRROR", "name": "mirror-0", "children": [leaf("sda"), leaf("sdb")]}],
                 "log": [], "cache": [], "spare": [], "special": [], "dedup": []},
}
DISKS = [
    {"name": "sda", "serial": "S-A", "size": TB, "pool": "tank"},
    {"name": "sdb", "serial": "S-B", "size": TB, "pool": "tank"},
    {"name": "sdg", "serial": "S-G", "size": TB, "pool": None},
    {"name": "sdh", "serial": "S-H", "size": TB, "pool": None},
    {"name": "sdi", "serial": "S-I", "size": 2 * TB, "pool": None},
]


@pytest.fixture
def nas(fake_client):
    fake_client.respond("pool.query", lambda filters, options: [TANK] if filters in (
        [["name", "=", "tank"]], [["id", "=", 1]]) else [])
    fake_client.respond("pool.dataset.query", lambda filters, options: [
        {"id": "tank", "name": "tank", "encrypted": False, "user_properties": {"comments": {"value": "main"}}}]
        if filters == [["id", "=", "tank"]] else [])
    fake_client.respond("disk.query", DISKS)
    return fake_client


def test_create_in_check_mode_resolves_serials_and_changes_nothing(run_module, nas):
    result = run_module(MAIN, {"name": "fast", "topology": {"data": [{"type": "mirror", "disks": ["sdg", "S-H"]}]}},
                        check_mode=True, diff=True)
    assert result["changed"] is True, result
    assert result["pool"]["topology"]["data"] == [{"type": "MIRROR", "disks": ["sdg", "sdh"]}]
    assert result["diff"]["before"] == {}
    nas.assert_no_mutation()


def test_create_payload(run_module, nas):
    created = dict(TANK, id=2, name="fast")
    nas.respond("pool.create", created)
    nas.respond("pool.query", lambda filters, options: [created] if filters == [["id", "=", 2]] else [])
    result = run_module(MAIN, {"name": "fast", "topology": {"data": [{"type": "MIRROR", "disks": ["sdg", "sdh"]}],
                                                            "spare": ["sdi"]},
                               "encryption": True, "encryption_passphrase": "s3cret-phrase"})
    assert result["changed"] is True, result
    call = nas.calls_to("pool.create")[0]
    assert call.job is True
    assert call.params == [{"name": "fast", "topology": {"data": [{"type": "MIRROR", "disks": ["sdg", "sdh"]}],
                                                         "spares": ["sdi"]},
                            "encryption": True, "encryption_options": {"passphrase": "s3cret-phrase"}}]
    assert "s3cret-phrase" not in repr(result)


def test_existing_pool_is_unchanged_and_expand_is_refused_without_the_flag(run_module, nas):
    same = {"name": "tank", "topology": {"data": [{"type": "MIRROR", "disks": ["sdb", "sda"]}]}, "comments": "main"}
    assert run_module(MAIN, same)["changed"] is False
    grown = {"name": "tank", "topology": {"data": [{"type": "MIRROR", "disks": ["sda", "sdb"]},
                                                   {"type": "MIRROR", "disks": ["sdg", "sdh"]}]}}
    refused = run_module(MAIN, grown)
    assert refused["failed"] is True
    assert "set expand=true" in refused["msg"]
    nas.respond("pool.update", TANK)
    expanded = run_module(MAIN, dict(grown, expand=True))
    assert expanded["changed"] is True
    assert nas.calls_to("pool.update")[0].params == [1, {"topology": {"data": [{"type": "MIRROR",
                                                                                "disks": ["sdg", "sdh"]}]}}]


def test_autotrim_and_comments_are_set_after_the_pool_exists(run_module, nas):
    comments = {"value": "main"}
    nas.respond("pool.update", TANK)
    nas.respond("pool.dataset.update", lambda name, data: comments.update(value=data["comments"]))
    nas.respond("pool.dataset.query", lambda filters, options: [
        {"id": "tank", "name": "tank", "encrypted": False, "user_properties": {"comments": dict(comments)}}])
    result = run_module(MAIN, {"name": "tank", "autotrim": True, "comments": "new"}, diff=True)
    assert result["changed"] is True
    assert nas.calls_to("pool.update")[0].params == [1, {"autotrim": "ON"}]
    assert nas.calls_to("pool.dataset.update")[0].params == ["tank", {"comments": "new"}]
    assert result["diff"]["before"]["comments"] == "main"
    assert result["diff"]["after"]["comments"] == "new"


@pytest.mark.parametrize("args, message", [
    ({"destroy": True}, "confirm_name: must repeat the pool name 'tank' to destroy it (got None)"),
    ({"confirm_name": "tank"}, "destroy: must be set with state=absent"),
    ({"destroy": False, "confirm_name": "TANK"}, "confirm_name: must repeat the pool name 'tank' to export it"),
])
def test_the_guard_makes_no_call(run_module, nas, args, message):
    result = run_module(MAIN, dict(args, name="tank", state="absent"))
    assert result["failed"] is True
    assert result["msg"].startswith(message)
    assert nas.calls == []


def test_destroy_with_the_guard_satisfied(run_module, nas):
    nas.respond("pool.export", None)
    result = run_module(MAIN, {"name": "tank", "state": "absent", "destroy": True, "confirm_name": "tank",
                               "cascade": True})
    assert result["changed"] is True
    call = nas.calls_to("pool.export")[0]
    assert (call.params, call.job) == ([1, {"destroy": True, "cascade": True}], True)


def test_parsers():
    assert parse_pool_name("tank2") == "tank2"
    for bad in ("2tank", "mirror1", "c0d0", "has space", "x" * 51):
        with pytest.raises(ValueError):
            parse_pool_name(bad)
    topology = parse_topology({"data": [{"type": "raidz1", "disks": ["a", "b", "c"], "draid_data_disks": None}],
                               "cache": [{"disks": ["d"]}], "spare": ["e"]})
    assert topology["data"] == [{"type": "RAIDZ1", "disks": ["a", "b", "c"]}]
    assert topology["cache"] == [{"type": "STRIPE", "disks": ["d"]}]
    assert topology_to_api(topology) == {"data": [{"type": "RAIDZ1", "disks": ["a", "b", "c"]}],
                                         "cache": [{"type": "STRIPE", "disks": ["d"]}], "spares": ["e"]}
    with pytest.raises(OptionError, match="draid_data_disks is only for DRAID vdevs"):
        parse_topology({"data": [{"type": "MIRROR", "disks": ["a", "b"], "draid_data_disks": 2}]})
    with pytest.raises(OptionError, match="log takes one vdev"):
        parse_topology({"data": [{"type": "STRIPE", "disks": ["a"]}], "log": [{"type": "STRIPE", "disks": ["b"]},
                                                                              {"type": "STRIPE", "disks": ["c"]}]})


def test_missing_vdevs_compares_stripes_per_disk():
    current = topology_from_api({"data": [leaf("a"), leaf("b")], "spare": [leaf("s")]})
    assert current["data"] == [{"type": "STRIPE", "disks": ["a", "b"]}]
    assert missing_vdevs({"data": [{"type": "STRIPE", "disks": ["b", "a"]}], "spare": ["s"]}, current) == {}
    assert missing_vdevs({"data": [{"type": "STRIPE", "disks": ["a", "c", "d"]}]}, current) == {
        "data": [{"type": "STRIPE", "disks": ["c", "d"]}]}
    with pytest.raises(OptionError, match="disk a is already in a STRIPE vdev"):
        missing_vdevs({"data": [{"type": "MIRROR", "disks": ["a", "c"]}]}, current)
