# Copyright (c) nasops contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""truenas_snapshot through the fake client: create/delete per version namespace, idempotent
rollback and clone, check mode and bad input."""

import pytest

from ansible_collections.nasops.truenas.plugins.modules import truenas_snapshot

from tests.unit.plugins.module_utils._resources.test_dataset import DatasetServer, dataset_record
from tests.unit.plugins.module_utils._resources.test_snapshot import SnapshotServer, snapshot_record

MAIN = truenas_snapshot.main


def make_nas(client, namespace="pool.snapshot", used=98304):
    datasets = DatasetServer(client, [dataset_record("tank"), dataset_record("tank/data", props={"usedbydataset": used}),
                                      dataset_record("tank/other")])
    snaps = SnapshotServer(client, datasets, [snapshot_record("tank/data@base", 50, referenced=98304)], namespace)
    return datasets, snaps


@pytest.fixture
def nas(fake_client):
    datasets, snaps = make_nas(fake_client)
    fake_client.datasets, fake_client.snaps = datasets, snaps
    return fake_client


def test_create(run_module, nas):
    result = run_module(MAIN, {"name": "tank/data@s1", "recursive": True}, diff=True)
    assert result["changed"] is True
    assert nas.methods == ["pool.snapshot.query", "pool.dataset.query", "pool.snapshot.create", "pool.snapshot.query"]
    assert nas.calls_to("pool.snapshot.create")[0].params == [{"dataset": "tank/data", "name": "s1", "recursive": True}]
    assert result["snapshot"]["name"] == "tank/data@s1"
    assert result["snapshot"]["createtxg"] == 101
    assert result["diff"] == {"before": {}, "after": {"name": "tank/data@s1", "dataset": "tank/data"}}


def test_create_uses_zfs_snapshot_on_25_04(run_module, fake_client):
    fake_client.set_version("25.04.2")
    make_nas(fake_client, namespace="zfs.snapshot")
    result = run_module(MAIN, {"name": "s1", "dataset": "tank/data"})
    assert result["changed"] is True
    assert fake_client.calls_to("zfs.snapshot.create")[0].params == [{"dataset": "tank/data", "name": "s1"}]
    assert not [m for m in fake_client.methods if m.startswith("pool.snapshot.")]


def test_existing_snapshot_costs_one_query(run_module, nas):
    result = run_module(MAIN, {"name": "base", "dataset": "tank/data"})
    assert result["changed"] is False
    assert nas.methods == ["pool.snapshot.query"]
    assert nas.calls[0].params[0] == [["id", "=", "tank/data@base"]]
    assert result["snapshot"]["referenced"] == 98304


def test_check_mode_create(run_module, nas):
    result = run_module(MAIN, {"name": "tank/data@s1"}, check_mode=True)
    assert result["changed"] is True
    assert result["snapshot"] == {"name": "tank/data@s1", "dataset": "tank/data"}
    nas.assert_no_mutation()


def test_delete(run_module, nas):
    result = run_module(MAIN, {"name": "tank/data@base", "state": "absent", "recursive": True})
    assert result["changed"] is True
    assert result["snapshot"] == {}
    assert nas.calls_to("pool.snapshot.delete")[0].params == ["tank/data@base", {"recursive": True}]
    nas.calls.clear()
    again = run_module(MAIN, {"name": "tank/data@base", "state": "absent"})
    assert again["changed"] is False
    assert nas.methods == ["pool.snapshot.query"]


def test_snapshot_of_a_missing_dataset(run_module, nas):
    result = run_module(MAIN, {"name": "s1", "dataset": "tank/nope"}, check_mode=True)
    assert result["failed"] is True
    assert result["msg"] == "Failed to create snapshot 'tank/nope@s1': dataset: dataset 'tank/nope' does not exist"
    result = run_module(MAIN, {"name": "tank/nope@s1"})
    assert result["msg"] == "Failed to create snapshot 'tank/nope@s1': name: dataset 'tank/nope' does not exist"
    nas.assert_no_mutation()


# ---- rollback -------------------------------------------------------------------------------------


def test_rollback_without_changes_is_no_change(run_module, nas):
    result = run_module(MAIN, {"name": "tank/data@base", "rollback": True})
    assert result["changed"] is False
    nas.assert_no_mutation()
    assert nas.calls[1].params == [[["dataset", "=", "tank/data"]], {"extra": {"min_txg": 51, "properties": []}}]


def test_rollback_after_writes(run_module, fake_client):
    make_nas(fake_client, used=5 * 98304)
    check = run_module(MAIN, {"name": "tank/data@base", "rollback": True}, check_mode=True)
    assert check["changed"] is True
    fake_client.assert_no_mutation()
    result = run_module(MAIN, {"name": "tank/data@base", "rollback": True})
    assert result["changed"] is True
    assert fake_client.calls_to("pool.snapshot.rollback")[0].params == ["tank/data@base", {}]
    again = run_module(MAIN, {"name": "tank/data@base", "rollback": True})
    assert again["changed"] is False
    assert len(fake_client.calls_to("pool.snapshot.rollback")) == 1


def test_rollback_past_newer_snapshots_needs_destroy_newer(run_module, nas):
    nas.snaps.snapshots["tank/data@later"] = snapshot_record("tank/data@later", 60)
    result = run_module(MAIN, {"name": "tank/data@base", "rollback": True})
    assert result["failed"] is True
    assert result["msg"] == ("Failed to roll back 'tank/data' to snapshot 'tank/data@base': destroy_newer: rolling back "
                             "to 'tank/data@base' destroys the newer snapshots tank/data@later; set destroy_newer: true "
                             "to allow it")
    nas.assert_no_mutation()
    result = run_module(MAIN, {"name": "tank/data@base", "rollback": True, "destroy_newer": True, "recursive": True})
    assert result["changed"] is True
    assert nas.calls_to("pool.snapshot.rollback")[0].params == ["tank/data@base",
                                                                {"recursive": True, "recursive_rollback": True}]
    assert "tank/data@later" not in nas.snaps.snapshots


def test_rollback_to_a_snapshot_made_in_the_same_run_rolls_nothing_back(run_module, nas):
    result = run_module(MAIN, {"name": "tank/data@fresh", "rollback": True})
    assert result["changed"] is True
    assert nas.calls_to("pool.snapshot.rollback") == []
    assert [c.method for c in nas.mutations] == ["pool.snapshot.create"]


# ---- clone ------------------------------------------------------------------------------------------


def test_clone_is_idempotent(run_module, nas):
    check = run_module(MAIN, {"name": "tank/data@base", "clone_to": "tank/copy"}, check_mode=True)
    assert check["changed"] is True
    nas.assert_no_mutation()
    result = run_module(MAIN, {"name": "tank/data@base", "clone_to": "tank/copy"})
    assert result["changed"] is True
    assert nas.calls_to("pool.snapshot.clone")[0].params == [{"snapshot": "tank/data@base", "dataset_dst": "tank/copy"}]
    assert result["snapshot"]["clones"] == ["tank/copy"]
    nas.calls.clear()
    again = run_module(MAIN, {"name": "tank/data@base", "clone_to": "tank/copy"})
    assert again["changed"] is False
    assert nas.methods == ["pool.snapshot.query", "pool.dataset.query"]
    assert nas.calls[1].params[0] == [["id", "in", ["tank/copy", "tank"]]]


def test_clone_onto_an_unrelated_dataset_fails(run_module, nas):
    result = run_module(MAIN, {"name": "tank/data@base", "clone_to": "tank/other"})
    assert result["failed"] is True
    assert result["msg"] == ("Failed to clone snapshot 'tank/data@base' to 'tank/other': clone_to: dataset 'tank/other' "
                             "already exists and is not a clone of 'tank/data@base' (it is not a clone)")
    nas.assert_no_mutation()


def test_clone_needs_its_parent(run_module, nas):
    result = run_module(MAIN, {"name": "tank/data@base", "clone_to": "tank/missing/copy"}, check_mode=True)
    assert result["failed"] is True
    assert result["msg"].endswith("clone_to: parent dataset 'tank/missing' does not exist")


def test_create_and_clone_in_one_run(run_module, nas):
    result = run_module(MAIN, {"name": "tank/data@new", "clone_to": "tank/copy2"})
    assert result["changed"] is True
    assert [c.method for c in nas.mutations] == ["pool.snapshot.create", "pool.snapshot.clone"]
    assert result["snapshot"]["clones"] == ["tank/copy2"]


@pytest.mark.parametrize("args, message", [
    ({"name": "snap"}, "name: 'snap' has no dataset part: use dataset@snapshot, or set the dataset option"),
    ({"name": "tank/data@a", "dataset": "tank/x"}, "dataset: 'tank/x' does not match the dataset 'tank/data'"),
    ({"name": "tank/data@a b!"}, "name: 'a b!' is not a valid snapshot name"),
    ({"name": "tank/data@a", "clone_to": "backup/x"}, "clone_to: 'backup/x' is not in pool 'tank'"),
    ({"name": "tank/data@a", "state": "absent", "rollback": True}, "rollback: cannot be combined with state: absent"),
])
def test_bad_input_fails_before_any_call(run_module, nas, args, message):
    result = run_module(MAIN, args)
    assert result["failed"] is True
    assert result["msg"].startswith(message)
    assert nas.calls == []
