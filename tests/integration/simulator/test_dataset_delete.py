"""pool.dataset.delete and promote on the simulator: recursive/force rules, snapshots, clones, pool
roots, attached shares and files."""
import pytest

from tests.simulator.pytest_plugin import SimCallError

GiB = 1024 ** 3


@pytest.fixture
def c(sim, sim_client):
    return sim_client(sim, login=True)


def failure(c, method, *params):
    with pytest.raises(SimCallError) as exc:
        c.request(method, *params)
    return exc.value.error


def call_error(c, method, *params):
    error = failure(c, method, *params)
    assert error["code"] == -32001, error
    return error["data"]["errname"], error["data"]["reason"]


def ids(c, prefix):
    return [r["id"] for r in c.request("pool.dataset.query", [["id", "^", prefix]], {"select": ["id"]})]


def test_delete_leaf_and_event(c):
    c.request("core.subscribe", "pool.dataset.query")
    assert c.request("pool.dataset.delete", "tank/apps") is True
    assert c.request("pool.dataset.query", [["id", "=", "tank/apps"]]) == []
    event = c.wait_event(lambda e: e.get("method") == "collection_update")
    assert event["params"] == {"msg": "removed", "collection": "pool.dataset.query", "id": "tank/apps"}


def test_not_found_shape(c):
    error = failure(c, "pool.dataset.delete", "tank/nope")
    assert error["code"] == -32602
    assert error["data"]["extra"] == [[None, "PoolDataset tank/nope does not exist", 2]]


def test_children_need_recursive(c):
    c.request("pool.dataset.create", {"name": "tank/media/a"})
    c.request("pool.dataset.create", {"name": "tank/media/a/b"})
    assert call_error(c, "pool.dataset.delete", "tank/media") == (
        "ENOTEMPTY", "[ENOTEMPTY] Failed to delete dataset: cannot destroy 'tank/media': filesystem has children")
    assert c.request("pool.dataset.delete", "tank/media", {"recursive": True}) is True
    assert ids(c, "tank/media") == []


def test_snapshots_need_recursive(c):
    c.request("pool.dataset.create", {"name": "tank/vms/disk0", "type": "VOLUME", "volsize": GiB, "sparse": True})
    namespace = "pool.snapshot" if c.request("system.version_short") >= "25.10" else "zfs.snapshot"
    c.request(namespace + ".create", {"dataset": "tank/vms/disk0", "name": "s1"})
    c.request(namespace + ".create", {"dataset": "tank/vms/disk0", "name": "s2"})
    assert call_error(c, "pool.dataset.delete", "tank/vms/disk0") == (
        "EFAULT", "[EFAULT] Failed to delete dataset: cannot destroy 'tank/vms/disk0': volume has children\n"
                  "use '-r' to destroy the following datasets:\ntank/vms/disk0@s1\ntank/vms/disk0@s2")
    assert c.request("pool.dataset.delete", "tank/vms/disk0", {"recursive": True}) is True
    assert c.request(namespace + ".query", [["dataset", "=", "tank/vms/disk0"]]) == []


def test_dependent_clones_block_recursive_delete(c):
    namespace = "pool.snapshot" if c.request("system.version_short") >= "25.10" else "zfs.snapshot"
    c.request(namespace + ".create", {"dataset": "tank/isos", "name": "base"})
    c.request(namespace + ".clone", {"snapshot": "tank/isos@base", "dataset_dst": "tank/isos-copy"})
    assert call_error(c, "pool.dataset.delete", "tank/isos", {"recursive": True}) == (
        "EFAULT", "[EFAULT] Failed to delete dataset: cannot destroy 'tank/isos': filesystem has dependent clones\n"
                  "use '-R' to destroy the following datasets:\ntank/isos-copy")
    assert c.request("pool.dataset.delete", "tank/isos-copy") is True
    assert c.request("pool.dataset.delete", "tank/isos", {"recursive": True}) is True


def test_busy_dataset_needs_force(sim, c):
    def busy():
        sim.state.data["datasets"]["tank/apps"]["busy"] = True
    sim.run(busy)
    assert call_error(c, "pool.dataset.delete", "tank/apps") == (
        "EBUSY", "[EBUSY] Failed to delete dataset: cannot destroy 'tank/apps': dataset is busy")
    assert c.request("pool.dataset.delete", "tank/apps", {"force": True}) is True


def test_pool_root(c):
    assert call_error(c, "pool.dataset.delete", "backup") == (
        "EFAULT", "[EFAULT] Failed to delete dataset: cannot destroy 'backup': operation does not apply to pools\n"
                  "use 'zfs destroy -r backup' to destroy all datasets in the pool\n"
                  "use 'zpool destroy backup' to destroy the pool itself")
    assert c.request("pool.dataset.delete", "tank", {"recursive": True}) is True
    assert ids(c, "tank") == ["tank"]
    root = c.request("pool.dataset.get_instance", "tank")
    assert root["children"] == [] and root["used"]["parsed"] == 98304


def test_delete_removes_shares_and_files_on_the_mountpoint(sim, c):
    c.request("pool.dataset.create", {"name": "tank/isos/linux"})
    c.request("pool.dataset.create", {"name": "tank/isos-other"})
    isos = c.request("sharing.smb.create", {"name": "isos", "path": "/mnt/tank/isos"})
    linux = c.request("sharing.smb.create", {"name": "linux", "path": "/mnt/tank/isos/linux"})
    other = c.request("sharing.smb.create", {"name": "other", "path": "/mnt/tank/isos-other"})
    nfs_isos = c.request("sharing.nfs.create", {"path": "/mnt/tank/isos"})
    nfs_media = c.request("sharing.nfs.create", {"path": "/mnt/tank/media"})
    c.request("core.subscribe", "sharing.smb.query")
    c.request("core.subscribe", "sharing.nfs.query")
    assert call_error(c, "pool.dataset.delete", "tank/isos")[0] == "ENOTEMPTY"
    assert c.request("sharing.smb.query", [], {"count": True}) == 3
    assert c.request("pool.dataset.delete", "tank/isos", {"recursive": True}) is True
    assert [s["id"] for s in c.request("sharing.smb.query")] == [other["id"]]
    assert [s["id"] for s in c.request("sharing.nfs.query")] == [nfs_media["id"]]
    assert sim.state_dump("files") == {}
    removed = []
    while len(removed) < 3:
        event = c.wait_event(lambda e: e.get("method") == "collection_update"
                             and e["params"]["collection"].startswith("sharing.") and e not in removed)
        removed.append(event)
    assert sorted((e["params"]["collection"], e["params"]["msg"], e["params"]["id"]) for e in removed) == sorted([
        ("sharing.nfs.query", "removed", nfs_isos["id"]), ("sharing.smb.query", "removed", isos["id"]),
        ("sharing.smb.query", "removed", linux["id"])])


def test_delete_returns_space(c):
    before = c.request("pool.dataset.get_instance", "backup")["available"]["parsed"]
    c.request("pool.dataset.create", {"name": "backup/v", "type": "VOLUME", "volsize": 10 * GiB})
    middle = c.request("pool.dataset.get_instance", "backup")["available"]["parsed"]
    assert before - middle == 10 * GiB + (7 + 640 + 1) * 2 * 131072
    c.request("pool.dataset.delete", "backup/v")
    assert c.request("pool.dataset.get_instance", "backup")["available"]["parsed"] == before


@pytest.mark.sim_profiles("25.10", "26")
def test_promote(c):
    error = failure(c, "pool.dataset.promote", "tank/isos")
    assert (error["code"], error["data"]["errname"], error["data"]["reason"]) == (
        -32001, "EBADMSG", "[EBADMSG] Only cloned datasets can be promoted.")
    c.request("pool.snapshot.create", {"dataset": "tank/isos", "name": "a"})
    c.request("pool.snapshot.create", {"dataset": "tank/isos", "name": "b"})
    c.request("pool.snapshot.create", {"dataset": "tank/isos", "name": "c"})
    c.request("pool.snapshot.clone", {"snapshot": "tank/isos@b", "dataset_dst": "tank/work"})
    assert c.request("pool.dataset.get_instance", "tank/work")["origin"]["value"] == "tank/isos@b"
    assert c.request("pool.dataset.promote", "tank/work") is None
    work = c.request("pool.dataset.get_instance", "tank/work")
    isos = c.request("pool.dataset.get_instance", "tank/isos")
    assert work["origin"]["value"] == "" and isos["origin"]["value"] == "tank/work@b"
    snaps = [s["id"] for s in c.request("pool.snapshot.query", [["pool", "=", "tank"]], {"select": ["id"]})]
    assert snaps == ["tank/isos@c", "tank/work@a", "tank/work@b"]
    error = failure(c, "pool.dataset.promote", "tank/nope")
    assert error["data"]["extra"] == [[None, "PoolDataset tank/nope does not exist", 2]]
