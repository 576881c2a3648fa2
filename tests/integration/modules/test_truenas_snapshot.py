# Copyright (c) nasops contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""truenas_snapshot against the simulator on every profile (25.04 uses zfs.snapshot, 25.10 and 26
pool.snapshot): create -> check-mode rerun -> rerun -> delete, idempotent rollback and clone, and
bad input, with the simulator's state read out of band between the steps.

The first create runs the module as Ansible does (a subprocess); the other steps run ``main()`` in
this process against the same server, to stay fast.
"""

import pytest
from tests.integration.conftest import module_calls


pytestmark = pytest.mark.timeout(120)

MUTATING = ("create", "delete", "rollback", "clone", "update")


def snapshots(sim):
    return sim.state_dump("snapshots")


def datasets(sim):
    return sim.state_dump("datasets")


def namespace(sim):
    return "zfs.snapshot" if sim.profile.name == "25.04" else "pool.snapshot"


def mutations(sim):
    return [c["method"] for c in sim.calls() if c["method"].rsplit(".", 1)[-1] in MUTATING]


def write_data(sim, dataset, size):
    """Out of band: data is written to ``dataset`` (its own usage becomes ``size`` bytes)."""
    def write():
        from tests.simulator.services import dataset as storage
        sim.state.data["datasets"][dataset]["written"] = size
        storage.index(sim.state).refresh(dataset)
    sim.run(write)


@pytest.fixture
def run(run_inproc):
    return lambda args, **kwargs: run_inproc("truenas_snapshot", args, **kwargs)


def test_snapshot_lifecycle(sim, run, run_module):
    ns = namespace(sim)
    args = {"name": "tank/media@before", "recursive": True}
    check = run(args, check=True, diff=True)
    assert check["changed"] is True
    assert check["diff"] == {"before": {}, "after": {"name": "tank/media@before", "dataset": "tank/media"}}
    assert snapshots(sim) == {}

    created = run_module("truenas_snapshot", args)
    assert created["changed"] is True, created
    state = snapshots(sim)
    assert sorted(state) == ["tank/media@before"]
    assert state["tank/media@before"]["dataset"] == "tank/media"
    assert created["snapshot"]["name"] == "tank/media@before"
    assert created["snapshot"]["createtxg"] == state["tank/media@before"]["createtxg"]
    assert len(sim.calls(ns + ".create")) == 1

    sim.reset_counters()
    assert run(args, check=True)["changed"] is False
    again = run({"name": "before", "dataset": "tank/media"})
    assert again["changed"] is False
    assert again["snapshot"] == created["snapshot"]
    assert mutations(sim) == []
    sim.reset_counters()
    run(args)
    assert module_calls(sim) == [ns + ".query"]

    delete = {"name": "tank/media@before", "state": "absent"}
    assert run(delete, check=True)["changed"] is True
    assert "tank/media@before" in snapshots(sim)
    deleted = run(delete)
    assert deleted["changed"] is True and deleted["snapshot"] == {}
    assert snapshots(sim) == {}
    assert run(delete)["changed"] is False


def test_recursive_snapshot_and_delete(sim, run):
    assert run({"name": "tank@all", "recursive": True})["changed"] is True
    names = sorted(snapshots(sim))
    assert "tank@all" in names and "tank/media@all" in names and "tank/vms@all" in names
    assert run({"name": "tank@all", "recursive": True, "state": "absent"})["changed"] is True
    assert snapshots(sim) == {}


def test_rollback_is_idempotent(sim, run):
    ns = namespace(sim)
    assert run({"name": "tank/media@clean"})["changed"] is True
    sim.reset_counters()
    assert run({"name": "tank/media@clean", "rollback": True})["changed"] is False
    assert mutations(sim) == []

    write_data(sim, "tank/media", 5 * 1024 ** 3)
    check = run({"name": "tank/media@clean", "rollback": True}, check=True)
    assert check["changed"] is True
    assert datasets(sim)["tank/media"]["written"] == 5 * 1024 ** 3
    rolled = run({"name": "tank/media@clean", "rollback": True})
    assert rolled["changed"] is True
    assert datasets(sim)["tank/media"]["written"] == 98304
    assert len(sim.calls(ns + ".rollback")) == 1
    assert run({"name": "tank/media@clean", "rollback": True})["changed"] is False
    assert len(sim.calls(ns + ".rollback")) == 1

    assert run({"name": "tank/media@later"})["changed"] is True
    state = snapshots(sim)
    refused = run({"name": "tank/media@clean", "rollback": True})
    assert refused["failed"] is True
    assert refused["msg"] == ("Failed to roll back 'tank/media' to snapshot 'tank/media@clean': destroy_newer: rolling "
                              "back to 'tank/media@clean' destroys the newer snapshots tank/media@later; set "
                              "destroy_newer: true to allow it")
    assert snapshots(sim) == state
    assert run({"name": "tank/media@clean", "rollback": True, "destroy_newer": True})["changed"] is True
    assert sorted(snapshots(sim)) == ["tank/media@clean"]


def test_clone_is_idempotent(sim, run):
    ns = namespace(sim)
    args = {"name": "tank/media@base", "clone_to": "tank/media-copy"}
    check = run(args, check=True)
    assert check["changed"] is True
    assert snapshots(sim) == {} and "tank/media-copy" not in datasets(sim)
    cloned = run(args)
    assert cloned["changed"] is True
    assert [c["params"][0] for c in sim.calls(ns + ".clone")] == [{"snapshot": "tank/media@base", "dataset_dst": "tank/media-copy"}]
    assert datasets(sim)["tank/media-copy"]["origin"] == "tank/media@base"
    assert cloned["snapshot"]["clones"] == ["tank/media-copy"]
    sim.reset_counters()
    assert run(args, check=True)["changed"] is False
    assert run(args)["changed"] is False
    assert mutations(sim) == []
    assert len([n for n in datasets(sim) if n.startswith("tank/media-copy")]) == 1
    assert len(sim.calls(ns + ".clone")) == 0


@pytest.mark.parametrize("args, message", [
    ({"name": "tank/nope@x"}, "Failed to create snapshot 'tank/nope@x': name: dataset 'tank/nope' does not exist"),
    ({"name": "x", "dataset": "tank/nope"}, "Failed to create snapshot 'tank/nope@x': dataset: dataset 'tank/nope' does not exist"),
    ({"name": "snap"}, "name: 'snap' has no dataset part: use dataset@snapshot, or set the dataset option"),
    ({"name": "tank/media@bad/name"}, "name: 'bad/name' is not a valid snapshot name"),
    ({"name": "tank/media@x", "clone_to": "tank/vms"}, "Failed to clone snapshot 'tank/media@x' to 'tank/vms': clone_to: "
                                                       "dataset 'tank/vms' already exists and is not a clone of 'tank/media@x'"),
    ({"name": "tank/media@x", "clone_to": "backup/x"}, "clone_to: 'backup/x' is not in pool 'tank'"),
    ({"name": "tank/media@x", "clone_to": "tank/no/parent"}, "Failed to clone snapshot 'tank/media@x' to 'tank/no/parent': "
                                                             "clone_to: parent dataset 'tank/no' does not exist"),
])
def test_bad_input_names_the_option_and_changes_nothing(sim, run, args, message):
    before = (snapshots(sim), datasets(sim))
    result = run(args, check=True)
    assert result["failed"] is True
    assert result["msg"].startswith(message), result["msg"]
    assert (snapshots(sim), datasets(sim)) == before
    real = run(args)
    assert real["msg"].startswith(message)
    assert (snapshots(sim), datasets(sim)) == before


def test_delete_with_a_clone_needs_defer_and_defer_is_idempotent(sim, run, run_inproc):
    ns = namespace(sim)
    assert run({"name": "tank/media@base", "clone_to": "tank/media-copy"})["changed"] is True
    delete = {"name": "tank/media@base", "state": "absent"}

    refused = run(delete)
    assert refused["failed"] is True
    # The server's attribute (options.defer) names the module option that sets it.
    assert refused["msg"].startswith("Failed to delete snapshot 'tank/media@base': defer: Please set this attribute")
    assert [e["option"] for e in refused["error"]["errors"]] == ["defer"]
    assert "tank/media@base" in snapshots(sim)

    deferred = dict(delete, defer=True)
    assert run(deferred, check=True)["changed"] is True
    assert snapshots(sim)["tank/media@base"].get("defer_destroy") is False
    sim.reset_counters()
    assert run(deferred)["changed"] is True
    assert [c["params"] for c in sim.calls(ns + ".delete")] == [["tank/media@base", {"defer": True}]]
    # Marked, kept while the clone exists; marked counts as absent.
    assert snapshots(sim)["tank/media@base"]["defer_destroy"] is True
    assert run(deferred, check=True)["changed"] is False
    assert run(deferred)["changed"] is False
    assert len(sim.calls(ns + ".delete")) == 1

    assert run_inproc("truenas_dataset", {"name": "tank/media-copy", "state": "absent"})["changed"] is True
    assert snapshots(sim) == {}


def test_defer_without_a_clone_deletes_at_once(sim, run):
    assert run({"name": "tank/media@plain"})["changed"] is True
    assert run({"name": "tank/media@plain", "state": "absent", "defer": True})["changed"] is True
    assert snapshots(sim) == {}


def test_defer_needs_state_absent(sim, run):
    result = run({"name": "tank/media@x", "defer": True}, check=True)
    assert result["failed"] is True
    assert result["msg"] == "defer: only applies with state: absent"
    assert snapshots(sim) == {}
