# Copyright (c) nasops contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""truenas_pool against the simulator on every profile: create (disks by name and serial), expand
only when asked, autotrim and comments, export and destroy behind the guard, refusals before any
change, and the module's EXAMPLES. The simulator's state is read out of band between the steps.
The first create runs the module as Ansible does (a subprocess); the other steps run ``main()``
in this process.
"""
import pytest

from tests.integration.modules._examples import example_steps

pytestmark = pytest.mark.timeout(180)

POOL_WRITES = ("pool.create", "pool.update", "pool.export", "pool.dataset.update")


def pools(sim):
    return dict((p["name"], p) for p in sim.state_dump("pools").values())


def members(pool):
    return dict((cls, [[c["disk"] for c in v["children"]] for v in vdevs]) for cls, vdevs in pool["topology"].items()
                if vdevs)


def writes(sim):
    return [c["method"] for c in sim.calls() if c["method"] in POOL_WRITES]


@pytest.fixture
def run(run_inproc):
    return lambda args, **kwargs: run_inproc("truenas_pool", args, **kwargs)


MIRROR = {"name": "fast", "topology": {"data": [{"type": "mirror", "disks": ["sdg", "ZL2KX0000008"]}],
                                       "spare": ["sdi"]},
          "autotrim": True, "comments": "SSD pool"}


def test_create_expand_export(sim, run, run_module):
    check = run(MIRROR, check=True, diff=True)
    assert check["changed"] is True, check
    assert check["diff"]["before"] == {}
    assert check["diff"]["after"]["topology"]["data"] == [{"type": "MIRROR", "disks": ["sdg", "sdh"]}]
    assert "fast" not in pools(sim)
    assert writes(sim) == []

    created = run_module("truenas_pool", MIRROR)
    assert created["changed"] is True, created
    stored = pools(sim)["fast"]
    assert members(stored) == {"data": [["sdg", "sdh"]], "spare": [["sdi"]]}
    assert stored["autotrim"] == "on"
    assert sim.state_dump("datasets")["fast"]["user_props"]["org.freenas:description"] == "SSD pool"
    pool = created["pool"]
    assert (pool["name"], pool["status"], pool["autotrim"], pool["comments"]) == ("fast", "ONLINE", True, "SSD pool")
    assert pool["disks"] == ["sdg", "sdh", "sdi"]
    assert [c["method"] for c in sim.calls() if c["method"] in POOL_WRITES] == [
        "pool.create", "pool.update", "pool.dataset.update"]

    sim.reset_counters()
    assert run(MIRROR, check=True)["changed"] is False
    again = run(MIRROR)
    assert again["changed"] is False, again
    assert again["pool"] == pool
    assert writes(sim) == []

    # a vdev the pool lacks: refused without expand, added with it
    grown = dict(MIRROR, topology={"data": [{"type": "MIRROR", "disks": ["sdg", "sdh"]}],
                                   "log": [{"type": "STRIPE", "disks": ["nvme0n1"]}]})
    refused = run(grown)
    assert refused["failed"] is True
    assert refused["msg"] == ("topology: pool 'fast' exists and lacks log STRIPE(nvme0n1); set expand=true to add them "
                              "(adding vdevs cannot be undone)")
    check = run(dict(grown, expand=True), check=True, diff=True)
    assert check["changed"] is True
    assert check["diff"]["after"]["topology"]["log"] == [{"type": "STRIPE", "disks": ["nvme0n1"]}]
    assert writes(sim) == []
    expanded = run(dict(grown, expand=True))
    assert expanded["changed"] is True, expanded
    assert members(pools(sim)["fast"])["log"] == [["nvme0n1"]]
    assert [c["params"][1] for c in sim.calls("pool.update")] == [
        {"topology": {"log": [{"type": "STRIPE", "disks": ["nvme0n1"]}]}}]
    sim.reset_counters()
    assert run(dict(grown, expand=True))["changed"] is False
    assert writes(sim) == []

    # export: the guard first
    absent = {"name": "fast", "state": "absent"}
    no_destroy = run(absent)
    assert no_destroy["failed"] is True and no_destroy["changed"] is False
    assert no_destroy["msg"].startswith("destroy: must be set with state=absent")
    no_confirm = run(dict(absent, destroy=False))
    assert no_confirm["msg"] == "confirm_name: must repeat the pool name 'fast' to export it (got None)"
    typo = run(dict(absent, destroy=True, confirm_name="fsat"))
    assert typo["msg"] == "confirm_name: must repeat the pool name 'fast' to destroy it (got 'fsat')"
    assert writes(sim) == []
    assert "fast" in pools(sim)

    export = dict(absent, destroy=False, confirm_name="fast")
    check = run(export, check=True, diff=True)
    assert check["changed"] is True and check["diff"]["after"] == {}
    assert "fast" in pools(sim)
    done = run(export)
    assert done["changed"] is True and done["pool"] == {}
    assert "fast" not in pools(sim)
    assert [c["params"][1] for c in sim.calls("pool.export")] == [{"destroy": False, "cascade": False}]
    assert "fast" in sim.state_dump("exported_pools")
    sim.reset_counters()
    assert run(export, check=True)["changed"] is False
    assert run(export)["changed"] is False
    assert writes(sim) == []


def test_destroy_guard_refuses_without_confirm_name(sim, run):
    result = run({"name": "backup", "state": "absent", "destroy": True})
    assert result["failed"] is True
    assert result["changed"] is False
    assert result["msg"] == "confirm_name: must repeat the pool name 'backup' to destroy it (got None)"
    result = run({"name": "backup", "state": "absent", "destroy": True, "confirm_name": "backup"}, check=True)
    assert result["changed"] is True
    assert writes(sim) == []
    assert "backup" in pools(sim)
    destroyed = run({"name": "backup", "state": "absent", "destroy": True, "confirm_name": "backup"})
    assert destroyed["changed"] is True
    assert "backup" not in pools(sim)
    assert "backup" not in sim.state_dump("datasets")
    assert "backup" not in (sim.state_dump("exported_pools") or {})


@pytest.mark.parametrize("args, message", [
    ({"topology": {"data": [{"type": "RAIDZ2", "disks": ["sdg", "sdh", "sdi"]}]}},
     "topology: data[0]: a RAIDZ2 vdev needs at least 4 disks, got 3"),
    ({"topology": {"data": [{"type": "MIRROR", "disks": ["sdg", "sdi"]}]}},
     "topology: the MIRROR vdev sdg sdi mixes disk sizes (sdg 3.64 TiB, sdi 7.28 TiB); every disk would only use "
     "the smallest size. Set allow_mixed_sizes=true to accept that"),
    ({"topology": {"data": [{"type": "MIRROR", "disks": ["sda", "sdg"]}]}},
     "topology: disks in use: sda (pool tank)"),
    ({"topology": {"data": [{"type": "MIRROR", "disks": ["sdg", "sdz"]}]}},
     "topology: disk 'sdz' was not found by name or serial; unused disks: nvme0n1, sdf, sdg, sdh, sdi"),
    ({"topology": {"data": [{"type": "MIRROR", "disks": ["sdg", "sdh"]},
                            {"type": "RAIDZ1", "disks": ["sdi", "sdf", "nvme0n1"]}]}},
     "topology: all data vdevs must have one type, got MIRROR and RAIDZ1"),
    ({"topology": {"data": [{"type": "STRIPE", "disks": ["sdg"]}], "log": [{"type": "RAIDZ1", "disks": ["sdh"]}]}},
     "topology: log[0]: type RAIDZ1 is not allowed for log vdevs; use STRIPE, MIRROR"),
    ({"topology": {"data": [{"type": "MIRROR", "disks": ["sdg", "ZL2KX0000007"]}]}},
     "topology: disks listed more than once (by name and serial): sdg"),
    ({}, "topology: is required to create pool 'new'"),
    ({"topology": {"data": [{"type": "STRIPE", "disks": ["sdg"]}]}, "encryption_passphrase": "short", "encryption": True},
     "encryption_passphrase: must be at least 8 characters long"),
])
def test_refused_before_any_change(sim, run, args, message):
    result = run(dict(args, name="new"))
    assert result["failed"] is True
    assert result["changed"] is False
    assert result["msg"] == message
    assert writes(sim) == []
    assert "new" not in pools(sim)


def test_mixed_sizes_allowed_on_request_and_expand_type_rule(sim, run):
    result = run({"name": "new", "topology": {"data": [{"type": "MIRROR", "disks": ["sdg", "sdi"]}]},
                  "allow_mixed_sizes": True})
    assert result["changed"] is True, result
    refused = run({"name": "new", "expand": True, "topology": {"data": [{"type": "STRIPE", "disks": ["sdh"]}]}})
    assert refused["msg"] == ("topology: the pool's data vdevs are MIRROR; new data vdevs must be the same type, "
                              "got STRIPE")
    changed = run({"name": "new", "topology": {"data": [{"type": "MIRROR", "disks": ["sdg", "sdh"]}]}})
    assert changed["msg"] == ("topology: data[0]: disk sdg is already in a MIRROR vdev of the pool with sdg, sdi; "
                              "TrueNAS cannot change an existing vdev")


def test_server_refusal_names_the_option(sim, run):
    # a spare smaller than the data disks: only TrueNAS checks it
    result = run({"name": "new", "topology": {"data": [{"type": "MIRROR", "disks": ["sdg", "sdh"]}],
                                              "spare": ["nvme0n1"]}})
    assert result["failed"] is True
    assert result["msg"].startswith("Failed to create pool 'new': topology: Spare nvme0n1 (")
    assert result["error"]["errors"][0]["option"] == "topology"
    assert "new" not in pools(sim)


def test_encryption_is_create_only_and_secret(sim, run):
    args = {"name": "vault", "topology": {"data": [{"type": "STRIPE", "disks": ["sdf"]}]}, "encryption": True,
            "encryption_passphrase": "correct-horse-battery"}
    created = run(args, diff=True)
    assert created["changed"] is True, created
    assert created["pool"]["encryption"] is True
    assert "correct-horse-battery" not in repr(created)
    assert sim.state_dump("datasets")["vault"]["encryption"]["key_format"] == "passphrase"
    assert run(args)["changed"] is False
    refused = run({"name": "vault", "encryption": False})
    assert refused["failed"] is True
    assert refused["msg"].startswith("encryption: cannot be changed on the existing pool 'vault'")


def test_examples_run(sim, run):
    steps = example_steps("truenas_pool")
    assert len(steps) == 5
    for name, args, check in steps:
        result = run(args, check=check)
        assert result["failed"] is False, (name, result)
    stored = pools(sim)
    assert "fast" not in stored and "vault" not in stored
    assert "fast" in sim.state_dump("exported_pools")
    assert [c["method"] for c in sim.calls("pool.export")] == ["pool.export", "pool.export"]
