# Copyright (c) nasops contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The snapshot descriptor: names, validation, normalisation, namespaces per version.

Also home of ``snapshot_record`` and ``SnapshotServer`` (stateful snapshot answers for the fake
client), used by the module tests.
"""

import copy
import datetime

import pytest

from ansible_collections.nasops.truenas.plugins.module_utils._compare import OptionError
from ansible_collections.nasops.truenas.plugins.module_utils._resources import snapshot as sn
from ansible_collections.nasops.truenas.plugins.module_utils._resources.snapshot import SnapshotResource
from ansible_collections.nasops.truenas.plugins.module_utils._versions import Capabilities

TAKEN = datetime.datetime(2025, 10, 2, 8, 30, tzinfo=datetime.timezone.utc)


def _size(n):
    return {"value": "%dB" % n, "rawvalue": str(n), "source": "NONE", "parsed": n}


def snapshot_record(ident, txg, referenced=98304, clones=(), holds=0):
    """A snapshot query entry as TrueNAS sends it (the same in 25.04 and 25.10)."""
    dataset, name = ident.split("@")
    clones_text = ",".join(clones)
    return {
        "id": ident, "name": ident, "pool": dataset.split("/")[0], "dataset": dataset, "snapshot_name": name,
        "type": "SNAPSHOT", "createtxg": str(txg),
        "properties": {
            "creation": {"value": "Thu Oct  2  8:30 2025", "rawvalue": "1759393800", "source": "NONE", "parsed": TAKEN},
            "used": _size(0), "referenced": _size(referenced), "written": _size(referenced),
            "clones": {"value": clones_text, "rawvalue": clones_text, "source": "NONE", "parsed": clones_text},
            "userrefs": {"value": str(holds), "rawvalue": str(holds), "source": "NONE", "parsed": holds},
        },
    }


class SnapshotServer:
    """<namespace>.query/create/delete/rollback/clone of one fake TrueNAS, over a DatasetServer."""

    def __init__(self, client, datasets, snapshots=(), namespace="pool.snapshot"):
        self.datasets = datasets
        self.snapshots = dict((s["id"], copy.deepcopy(s)) for s in snapshots)
        self.next_txg = 100
        for action in ("query", "create", "delete", "rollback", "clone"):
            client.respond("%s.%s" % (namespace, action), getattr(self, action))

    def query(self, filters, options):
        rows = []
        for snap in sorted(self.snapshots.values(), key=lambda s: int(s["createtxg"])):
            if all(snap.get(field) == value for field, op, value in filters):
                rows.append(copy.deepcopy(snap))
        return rows

    def create(self, data):
        self.next_txg += 1
        used = self.datasets.records[data["dataset"]]["usedbydataset"]["parsed"]
        ident = "%s@%s" % (data["dataset"], data["name"])
        self.snapshots[ident] = snapshot_record(ident, self.next_txg, referenced=used)
        return copy.deepcopy(self.snapshots[ident])

    def delete(self, ident, options=None):
        del self.snapshots[ident]
        return True

    def rollback(self, ident, options):
        snap = self.snapshots[ident]
        for other in list(self.snapshots.values()):
            if other["dataset"] == snap["dataset"] and int(other["createtxg"]) > int(snap["createtxg"]):
                del self.snapshots[other["id"]]
        record = self.datasets.records[snap["dataset"]]
        record["usedbydataset"]["parsed"] = snap["properties"]["referenced"]["parsed"]
        return None

    def clone(self, data):
        from tests.unit.plugins.module_utils._resources.test_dataset import dataset_record
        record = dataset_record(data["dataset_dst"])
        record["origin"]["value"] = data["snapshot"]
        self.datasets.records[data["dataset_dst"]] = record
        snap = self.snapshots[data["snapshot"]]
        clones = [c for c in snap["properties"]["clones"]["value"].split(",") if c] + [data["dataset_dst"]]
        snap["properties"]["clones"]["value"] = ",".join(clones)
        return True


@pytest.mark.parametrize("name, dataset, expected", [
    ("tank/a@s1", None, ("tank/a", "s1")),
    ("s1", "tank/a", ("tank/a", "s1")),
    ("tank/a@s1", "tank/a", ("tank/a", "s1")),
    ("tank@auto-2025-10-01_00:00", None, ("tank", "auto-2025-10-01_00:00")),
])
def test_split_name(name, dataset, expected):
    assert sn.split_name(name, dataset) == expected


@pytest.mark.parametrize("name, dataset, message", [
    ("s1", None, "name: 's1' has no dataset part: use dataset@snapshot, or set the dataset option"),
    ("tank/a@s1", "tank/b", "dataset: 'tank/b' does not match the dataset 'tank/a' in name 'tank/a@s1'"),
    ("tank/a@s/1", None, "name: 's/1' is not a valid snapshot name"),
    ("tank/a@", None, "name: '' is not a valid snapshot name"),
    ("tank/a@x@y", None, "name: 'x@y' is not a valid snapshot name"),
    ("tank//a@s", None, "name: 'tank//a' is not a dataset name"),
    ("s", "tank//a", "dataset: 'tank//a' is not a dataset name"),
    ("", None, "name: must be a snapshot name such as tank/data@before-upgrade"),
])
def test_split_name_errors_name_the_option(name, dataset, message):
    with pytest.raises(OptionError) as err:
        sn.split_name(name, dataset)
    assert str(err.value).startswith(message)


def test_desired_and_label():
    resource = SnapshotResource()
    assert resource.desired({"name": "s1", "dataset": "tank/a"}) == {"name": "tank/a@s1", "dataset": "tank/a"}
    assert resource.label({"name": "s1", "dataset": "tank/a"}) == "'tank/a@s1'"
    assert resource.label({"name": "bad", "dataset": None}) == "'bad'"


@pytest.mark.parametrize("params, message", [
    ({"state": "absent", "rollback": True}, "rollback: cannot be combined with state: absent"),
    ({"state": "absent", "clone_to": "tank/c"}, "clone_to: cannot be combined with state: absent"),
    ({"destroy_newer": True}, "destroy_newer: only applies with rollback: true"),
    ({"defer": True}, "defer: only applies with state: absent"),
    ({"clone_to": "backup/c"}, "clone_to: 'backup/c' is not in pool 'tank'; a clone must be in the pool of its snapshot"),
    ({"clone_to": "tank"}, "clone_to: 'tank' is a pool name; give the full name of the new dataset"),
    ({"clone_to": "tank/a"}, "clone_to: 'tank/a' is the dataset of the snapshot itself"),
    ({"clone_to": "tank/c@x"}, "clone_to: 'tank/c@x' is not a dataset name"),
])
def test_validate(params, message):
    resource = SnapshotResource()
    full = {"name": "tank/a@s1", "state": "present"}
    full.update(params)
    with pytest.raises(OptionError) as err:
        resource.validate(resource.desired(full), full)
    assert str(err.value).startswith(message)


def test_normalize():
    record = snapshot_record("tank/a@s1", 42, referenced=4096, clones=("tank/c2", "tank/c1"), holds=1)
    assert SnapshotResource().normalize(record) == {
        "id": "tank/a@s1", "name": "tank/a@s1", "dataset": "tank/a", "snapshot_name": "s1", "pool": "tank",
        "createtxg": 42, "creation": "2025-10-02T08:30:00+00:00", "used": 0, "referenced": 4096, "written": 4096,
        "clones": ["tank/c1", "tank/c2"], "holds": 1,
    }


def test_namespace_follows_the_capability():
    resource = SnapshotResource()
    resource.use_namespace(Capabilities("25.04.2"))
    assert resource.method("delete") == "zfs.snapshot.delete"
    resource.use_namespace(Capabilities("26.0.0"))
    assert resource.method("rollback") == "pool.snapshot.rollback"


def test_error_attributes_map_to_options():
    resource = SnapshotResource()
    assert resource.option_for("snapshot_create.name") == "name"
    assert resource.option_for("data.PoolSnapshotCreateWithName.dataset") == "dataset"
    assert resource.option_for("options.defer") == "defer"
    assert resource.option_for("options.recursive") == "recursive"
    # No module option of that name: no made-up option.
    assert resource.option_for("options.unknown") is None
