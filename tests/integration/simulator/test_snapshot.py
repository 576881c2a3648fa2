"""Snapshots on the simulator: zfs.snapshot.* (25.04) and pool.snapshot.* (25.10, 26)."""
import copy
import time

import pytest

from tests.simulator.pytest_plugin import SimCallError
from tests.simulator.state import DEFAULT_SEED, load_seed_file

SEED = load_seed_file(DEFAULT_SEED)


@pytest.fixture
def c(sim, sim_client):
    return sim_client(sim, login=True)


@pytest.fixture
def ns(sim):
    return "zfs.snapshot" if sim.profile.name == "25.04" else "pool.snapshot"


def failure(c, method, *params):
    with pytest.raises(SimCallError) as exc:
        c.request(method, *params)
    return exc.value.error


def triples(c, method, *params):
    error = failure(c, method, *params)
    assert error["code"] == -32602, error
    return error["data"]["extra"]


def call_error(c, method, *params):
    error = failure(c, method, *params)
    assert error["code"] == -32001, error
    return error["data"]["errname"], error["data"]["reason"]


def prop(value, raw, parsed, source="NONE"):
    return {"value": value, "rawvalue": raw, "source": source, "parsed": parsed}


def names(c, ns, dataset=None):
    filters = [["dataset", "=", dataset]] if dataset else []
    return [s["id"] for s in c.request(ns + ".query", filters, {"select": ["id"]})]


def test_namespaces_per_profile(sim, c):
    old = sim.profile.name == "25.04"
    for method in ("query", "create", "update", "delete", "rollback", "clone", "hold", "release"):
        present, absent = ("zfs.snapshot.", "pool.snapshot.") if old else ("pool.snapshot.", "zfs.snapshot.")
        methods = c.request("core.get_methods")
        assert present + method in methods and absent + method not in methods
    assert (c.call("pool.snapshot.rename", "tank@x", {"new_name": "tank@y"}).get("error", {}).get("code") == -32601) \
        == old
    # 25.10 and 26 keep zfs.snapshot.query as a private method (see the test below); the rest is gone.
    error = c.call(("pool.snapshot.query" if old else "zfs.snapshot.create"), {"dataset": "tank", "name": "x"})["error"]
    assert error == {"code": -32601, "message": "Method does not exist"}


def test_seeded_snapshot_entry(sim_factory, sim_client):
    seed = copy.deepcopy(SEED)
    seed["datasets"][0]["snapshots"] = [{"name": "auto-2025-08-18_00-00", "creation": 1755475200, "used": "1M",
                                         "properties": {"org.example:note": "x"}}]
    c = sim_client(sim_factory("25.10", tls=False, seed=seed), login=True)
    entry = c.request("pool.snapshot.get_instance", "tank/vms@auto-2025-08-18_00-00")
    txg = entry["createtxg"]
    guid = entry["properties"]["guid"]["rawvalue"]
    assert txg.isdigit() and guid.isdigit()
    assert entry == {
        "id": "tank/vms@auto-2025-08-18_00-00", "name": "tank/vms@auto-2025-08-18_00-00", "pool": "tank",
        "dataset": "tank/vms", "snapshot_name": "auto-2025-08-18_00-00", "type": "SNAPSHOT", "createtxg": txg,
        "properties": {
            "type": prop("snapshot", "snapshot", "snapshot"),
            "creation": prop("Mon Aug 18  0:00 2025", "1755475200", {"$date": 1755475200000}),
            "used": prop("1M", "1048576", 1048576),
            "referenced": prop("96K", "98304", 98304),
            "compressratio": prop("1.00x", "1.00", 1.0),
            "refcompressratio": prop("1.00x", "1.00", 1.0),
            "written": prop("96K", "98304", 98304),
            "logicalreferenced": prop("96K", "98304", 98304),
            "createtxg": prop(txg, txg, int(txg)),
            "guid": prop(guid, guid, int(guid)),
            "userrefs": prop("0", "0", 0),
            "defer_destroy": prop("off", "off", False),
            "clones": prop("", "", ""),
            "encryption": prop("off", "off", "off"),
            "casesensitivity": prop("sensitive", "sensitive", "sensitive"),
            "org.example:note": prop("x", "x", "x", "LOCAL"),
        },
    }
    vms = c.request("pool.dataset.get_instance", "tank/vms")
    assert vms["usedbysnapshots"]["parsed"] == 1048576 and vms["used"]["parsed"] == 98304 + 1048576


def test_create_by_name_and_event(c, ns):
    c.request("core.subscribe", ns + ".query")
    entry = c.request(ns + ".create", {"dataset": "tank/vms", "name": "manual-1"})
    assert (entry["id"], entry["snapshot_name"], entry["type"]) == ("tank/vms@manual-1", "manual-1", "SNAPSHOT")
    assert "holds" not in entry and "retention" not in entry
    assert abs(int(entry["properties"]["creation"]["rawvalue"]) - time.time()) < 60
    assert entry == c.request(ns + ".get_instance", "tank/vms@manual-1")
    event = c.wait_event(lambda e: e.get("method") == "collection_update")
    assert event["params"] == {"msg": "added", "collection": ns + ".query", "id": "tank/vms@manual-1", "fields": entry}
    second = c.request(ns + ".create", {"dataset": "tank/vms", "name": "manual-2"})
    assert int(second["createtxg"]) > int(entry["createtxg"])
    assert second["properties"]["written"]["parsed"] == 0


def test_create_with_naming_schema(c, ns):
    entry = c.request(ns + ".create", {"dataset": "tank/media", "naming_schema": "auto-%Y-%m-%d_%H-%M"})
    assert entry["snapshot_name"] == time.strftime("auto-%Y-%m-%d_%H-%M", time.gmtime(
        int(entry["properties"]["creation"]["rawvalue"])))


def test_recursive_with_exclude(c, ns):
    for name in ("tank/media/a", "tank/media/a/deep", "tank/media/b"):
        c.request("pool.dataset.create", {"name": name})
    c.request(ns + ".create", {"dataset": "tank/media", "name": "r", "recursive": True, "exclude": ["tank/media/a"]})
    assert names(c, ns) == ["tank/media@r", "tank/media/b@r"]
    txgs = {s["createtxg"] for s in c.request(ns + ".query", [["snapshot_name", "=", "r"]])}
    assert len(txgs) == 1


@pytest.mark.sim_profiles("25.10", "26")
def test_name_xor_naming_schema_25_10(c):
    assert triples(c, "pool.snapshot.create", {"dataset": "tank", "name": "a", "naming_schema": "x-%Y%m%d%H%M"}) == [
        ["data.PoolSnapshotCreateWithName.naming_schema", "Extra inputs are not permitted", 22],
        ["data.PoolSnapshotCreateWithSchema.name", "Extra inputs are not permitted", 22]]
    assert triples(c, "pool.snapshot.create", {"dataset": "tank"}) == [
        ["data.PoolSnapshotCreateWithName.name", "Field required", 22],
        ["data.PoolSnapshotCreateWithSchema.naming_schema", "Field required", 22]]
    assert triples(c, "pool.snapshot.create", {"dataset": "tank", "naming_schema": "auto-%Y-%m-%d"}) == [
        ["data.PoolSnapshotCreateWithSchema.naming_schema", "Value error, %H must be present in snapshot naming schema",
         22]]


@pytest.mark.sim_profiles("25.04")
def test_name_xor_naming_schema_25_04(c):
    assert triples(c, "zfs.snapshot.create", {"dataset": "tank", "name": "a", "naming_schema": "x-%Y%m%d%H%M"}) == [
        ["snapshot_create.naming_schema", "You can't specify name and naming schema at the same time", 22]]
    assert triples(c, "zfs.snapshot.create", {"dataset": "tank"}) == [
        ["snapshot_create.naming_schema", "You must specify either name or naming schema", 22]]
    assert triples(c, "zfs.snapshot.create", {"dataset": "tank", "naming_schema": "auto-%Y"}) == [
        ["snapshot_create.naming_schema", "%m must be present in snapshot naming schema", 22]]
    assert c.request("zfs.snapshot.create", {"dataset": "tank", "name": "vmsafe", "suspend_vms": True})["id"] == \
        "tank@vmsafe"


def test_create_errors(c, ns):
    assert triples(c, ns + ".create", {"dataset": "tank", "name": "a", "exclude": ["tank/vms"]}) == [
        ["snapshot_create.exclude", "This option has no sense for non-recursive snapshots", 22]]
    assert triples(c, ns + ".create", {"dataset": "tank", "name": "bad/name"}) == [
        ["snapshot_create.name", "Invalid snapshot name", 22]]
    assert call_error(c, ns + ".create", {"dataset": "tank/nope", "name": "a"}) == (
        "EFAULT", "[EFAULT] Failed to snapshot tank/nope@a: cannot open 'tank/nope': dataset does not exist")
    c.request("pool.dataset.create", {"name": "tank/vms/a"})
    c.request(ns + ".create", {"dataset": "tank/vms/a", "name": "dup"})
    assert call_error(c, ns + ".create", {"dataset": "tank/vms", "name": "dup", "recursive": True}) == (
        "EEXIST", "[EEXIST] Failed to snapshot tank/vms@dup: cannot create snapshot 'tank/vms/a@dup': "
                  "dataset already exists")
    assert names(c, ns, "tank/vms") == []


def test_query_extras(c, ns):
    c.request(ns + ".create", {"dataset": "tank/isos", "name": "a"})
    c.request(ns + ".create", {"dataset": "tank/isos", "name": "b"})
    c.request(ns + ".hold", "tank/isos@a")
    rows = c.request(ns + ".query", [["dataset", "=", "tank/isos"]], {"extra": {"holds": True, "properties": ["userrefs"]}})
    assert [(r["snapshot_name"], list(r["holds"]), r["properties"]) for r in rows] == [
        ("a", ["truenas"], {"userrefs": prop("1", "1", 1)}), ("b", [], {"userrefs": prop("0", "0", 0)})]
    error = failure(c, ns + ".query", [], {"extra": {"retention": True}})
    assert (error["code"], error["data"]["reason"]) == (
        -32001, "[EINVAL] `id` or `limit` is required if `retention` is requested")
    rows = c.request(ns + ".query", [["id", "=", "tank/isos@b"]], {"extra": {"retention": True}})
    assert rows[0]["retention"] is None
    txg_a = int(rows[0]["createtxg"]) - 1
    assert [r["snapshot_name"] for r in c.request(ns + ".query", [], {"extra": {"min_txg": txg_a + 1}})] == ["b"]
    assert c.request(ns + ".query", [["pool", "=", "tank"]], {"count": True}) == 2


def test_get_instance_not_found(sim, c, ns):
    verbose = "ZFSSnapshot" if sim.profile.name == "25.04" else "PoolSnapshot"
    assert triples(c, ns + ".get_instance", "tank@nope") == [[None, "%s tank@nope does not exist" % verbose, 2]]


@pytest.mark.sim_profiles("25.10", "26")
def test_update_user_properties_25_10(c):
    c.request("pool.snapshot.create", {"dataset": "tank/vms", "name": "s", "properties": {"org.example:a": "1"}})
    entry = c.request("pool.snapshot.update", "tank/vms@s", {"user_properties_update": [
        {"key": "org.example:b", "value": "2"}], "user_properties_remove": ["org.example:a"]})
    assert {k: v["value"] for k, v in entry["properties"].items() if ":" in k} == {"org.example:b": "2"}
    assert triples(c, "pool.snapshot.update", "tank/vms@s", {"user_properties_update": [{"key": "org.example:b",
                                                                                         "remove": True}]}) == [
        ["data.user_properties_update.0.value", "Field required", 22],
        ["data.user_properties_update.0.remove", "Extra inputs are not permitted", 22]]
    assert triples(c, "pool.snapshot.update", "tank/vms@none", {}) == [
        [None, "PoolSnapshot tank/vms@none does not exist", 2]]


@pytest.mark.sim_profiles("25.04")
def test_update_user_properties_25_04(c):
    c.request("zfs.snapshot.create", {"dataset": "tank/vms", "name": "s", "properties": {"org.example:a": "1"}})
    entry = c.request("zfs.snapshot.update", "tank/vms@s", {"user_properties_update": [
        {"key": "org.example:b", "value": "2"}, {"key": "org.example:a", "remove": True}]})
    assert {k: v["value"] for k, v in entry["properties"].items() if ":" in k} == {"org.example:b": "2"}


def test_delete_rules(c, ns):
    c.request("core.subscribe", ns + ".query")
    error = failure(c, ns + ".delete", "tank@nope")
    assert (error["code"], error["data"]["extra"]) == (-32602, [[None, "cannot open 'tank@nope': dataset does not exist",
                                                                 2]])
    c.request(ns + ".create", {"dataset": "tank/isos", "name": "base"})
    c.request(ns + ".clone", {"snapshot": "tank/isos@base", "dataset_dst": "tank/isos2"})
    assert triples(c, ns + ".delete", "tank/isos@base") == [
        ["options.defer", "Please set this attribute as 'tank/isos@base' snapshot has dependent clones: tank/isos2", 22]]
    assert c.request(ns + ".delete", "tank/isos@base", {"defer": True}) is True
    deferred = c.request(ns + ".get_instance", "tank/isos@base")
    assert deferred["properties"]["defer_destroy"]["parsed"] is True
    assert deferred["properties"]["clones"]["value"] == "tank/isos2"
    c.request("pool.dataset.delete", "tank/isos2")
    assert names(c, ns, "tank/isos") == []
    c.request(ns + ".create", {"dataset": "tank/media", "name": "held"})
    c.request(ns + ".hold", "tank/media@held")
    assert call_error(c, ns + ".delete", "tank/media@held") == (
        "EBUSY", "[EBUSY] Failed to delete snapshot: cannot destroy snapshot tank/media@held: dataset is busy")
    c.request(ns + ".release", "tank/media@held")
    assert c.request(ns + ".delete", "tank/media@held") is True
    c.wait_event(lambda e: e.get("params", {}).get("msg") == "removed" and e["params"]["id"] == "tank/media@held")


def test_recursive_delete(c, ns):
    c.request("pool.dataset.create", {"name": "tank/media/a"})
    c.request(ns + ".create", {"dataset": "tank/media", "name": "r", "recursive": True})
    c.request(ns + ".create", {"dataset": "tank/media/a", "name": "own"})
    assert c.request(ns + ".delete", "tank/media@r", {"recursive": True}) is True
    assert names(c, ns) == ["tank/media/a@own"]


def test_rollback(c, ns):
    c.request(ns + ".create", {"dataset": "tank/isos", "name": "one"})
    c.request(ns + ".create", {"dataset": "tank/isos", "name": "two"})
    c.request(ns + ".create", {"dataset": "tank/isos", "name": "three"})
    assert call_error(c, ns + ".rollback", "tank/isos@one") == (
        "EFAULT", "[EFAULT] Failed to rollback snapshot: cannot rollback to 'tank/isos@one': more recent snapshots or "
                  "bookmarks exist\nuse '-r' to force deletion of the following snapshots and bookmarks:\n"
                  "tank/isos@two\ntank/isos@three")
    assert c.request(ns + ".rollback", "tank/isos@three") is None
    c.request(ns + ".clone", {"snapshot": "tank/isos@three", "dataset_dst": "tank/fork"})
    assert call_error(c, ns + ".rollback", "tank/isos@one", {"recursive": True}) == (
        "EFAULT", "[EFAULT] Failed to rollback snapshot: cannot rollback to 'tank/isos@one': clones of previous "
                  "snapshots exist\nuse '-R' to force deletion of the following clones and dependents:\ntank/fork")
    assert c.request(ns + ".rollback", "tank/isos@two", {"recursive": True, "recursive_clones": True}) is None
    assert names(c, ns, "tank/isos") == ["tank/isos@one", "tank/isos@two"]
    assert c.request("pool.dataset.query", [["id", "=", "tank/fork"]]) == []
    assert c.request(ns + ".rollback", "tank/isos@one", {"recursive": True}) is None
    assert names(c, ns, "tank/isos") == ["tank/isos@one"]
    assert call_error(c, ns + ".rollback", "tank/isos@gone") == (
        "EFAULT", "[EFAULT] Failed to rollback snapshot: cannot open 'tank/isos@gone': dataset does not exist")


def test_rollback_recursive_rollback_children(c, ns):
    c.request("pool.dataset.create", {"name": "tank/media/a"})
    c.request(ns + ".create", {"dataset": "tank/media", "name": "base", "recursive": True})
    c.request(ns + ".create", {"dataset": "tank/media/a", "name": "later"})
    assert call_error(c, ns + ".rollback", "tank/media@base", {"recursive_rollback": True})[0] == "EFAULT"
    assert c.request(ns + ".rollback", "tank/media@base", {"recursive_rollback": True, "recursive": True}) is None
    assert names(c, ns, "tank/media/a") == ["tank/media/a@base"]


def test_clone(c, ns):
    c.request(ns + ".create", {"dataset": "tank/isos", "name": "s"})
    assert c.request(ns + ".clone", {"snapshot": "tank/isos@s", "dataset_dst": "tank/copy",
                                     "dataset_properties": {"readonly": "on", "org.example:src": "isos"}}) is True
    clone = c.request("pool.dataset.get_instance", "tank/copy")
    assert (clone["type"], clone["mountpoint"], clone["origin"]["value"]) == ("FILESYSTEM", "/mnt/tank/copy",
                                                                              "tank/isos@s")
    assert (clone["readonly"]["value"], clone["readonly"]["source"]) == ("ON", "LOCAL")
    assert clone["recordsize"]["source"] != "LOCAL"
    assert c.request(ns + ".get_instance", "tank/isos@s")["properties"]["clones"]["value"] == "tank/copy"
    for dst, reason in (
            ("tank/copy", "cannot create 'tank/copy': dataset already exists"),
            ("tank/no/copy", "cannot create 'tank/no/copy': parent does not exist"),
            ("backup/copy", "cannot create 'backup/copy': source and target pools differ")):
        assert call_error(c, ns + ".clone", {"snapshot": "tank/isos@s", "dataset_dst": dst}) == (
            "EFAULT", "[EFAULT] Failed to clone snapshot: " + reason)
    assert call_error(c, ns + ".clone", {"snapshot": "tank/isos@x", "dataset_dst": "tank/c2"}) == (
        "EFAULT", "[EFAULT] Failed to clone snapshot: cannot open 'tank/isos@x': dataset does not exist")


def test_clone_of_a_zvol(c, ns):
    c.request("pool.dataset.create", {"name": "tank/vms/gold", "type": "VOLUME", "volsize": 1024 ** 3})
    c.request(ns + ".create", {"dataset": "tank/vms/gold", "name": "v1"})
    c.request(ns + ".clone", {"snapshot": "tank/vms/gold@v1", "dataset_dst": "tank/vms/vm1"})
    vm1 = c.request("pool.dataset.get_instance", "tank/vms/vm1")
    assert (vm1["type"], vm1["volsize"]["parsed"], vm1["origin"]["value"]) == ("VOLUME", 1024 ** 3, "tank/vms/gold@v1")


def test_hold_release(c, ns):
    c.request("pool.dataset.create", {"name": "tank/media/a"})
    c.request(ns + ".create", {"dataset": "tank/media", "name": "h", "recursive": True})
    assert c.request(ns + ".hold", "tank/media@h", {"recursive": True}) is None
    held = c.request(ns + ".query", [["snapshot_name", "=", "h"]], {"extra": {"holds": True}})
    assert [(s["id"], list(s["holds"])) for s in held] == [("tank/media@h", ["truenas"]), ("tank/media/a@h", ["truenas"])]
    assert isinstance(held[0]["holds"]["truenas"], int)
    assert call_error(c, ns + ".hold", "tank/media@h") == (
        "EEXIST", "[EEXIST] Failed to hold snapshot: cannot hold snapshot 'tank/media@h': tag already exists on this "
                  "dataset")
    assert c.request(ns + ".release", "tank/media@h") is None
    held = c.request(ns + ".query", [["snapshot_name", "=", "h"]], {"extra": {"holds": True}})
    assert [(s["id"], list(s["holds"])) for s in held] == [("tank/media@h", []), ("tank/media/a@h", ["truenas"])]
    c.request(ns + ".delete", "tank/media/a@h", {"defer": True})
    assert names(c, ns, "tank/media/a") == ["tank/media/a@h"]
    c.request(ns + ".release", "tank/media/a@h")
    assert names(c, ns, "tank/media/a") == []
    assert triples(c, ns + ".hold", "tank@none")[0][1].endswith("tank@none does not exist")


@pytest.mark.sim_profiles("25.10", "26")
def test_rename(c):
    c.request("pool.snapshot.create", {"dataset": "tank/isos", "name": "old"})
    c.request("pool.snapshot.clone", {"snapshot": "tank/isos@old", "dataset_dst": "tank/isos-clone"})
    assert triples(c, "pool.snapshot.rename", "tank/isos@old", {"new_name": "tank/media@new"}) == [
        ["pool.snapshot.rename.force",
         "Renaming a snapshot may break replication and existing references to it; set force to true to proceed.", 22],
        ["pool.snapshot.rename.new_name", "Snapshot can only be renamed within the same dataset (tank/isos).", 22]]
    assert c.request("pool.snapshot.rename", "tank/isos@old", {"new_name": "tank/isos@new", "force": True}) is None
    assert names(c, "pool.snapshot", "tank/isos") == ["tank/isos@new"]
    assert c.request("pool.dataset.get_instance", "tank/isos-clone")["origin"]["value"] == "tank/isos@new"
    c.request("pool.snapshot.create", {"dataset": "tank/isos", "name": "other"})
    assert call_error(c, "pool.snapshot.rename", "tank/isos@other", {"new_name": "tank/isos@new", "force": True}) == (
        "EEXIST", "[EEXIST] Failed to rename snapshot: cannot rename to 'tank/isos@new': dataset already exists")


def test_rollback_restores_the_data_size(sim, c, ns):
    c.request(ns + ".create", {"dataset": "tank/media", "name": "before"})

    def write():
        from tests.simulator.services import dataset as storage
        sim.state.data["datasets"]["tank/media"]["written"] = 5 * 1024 ** 3
        storage.index(sim.state).refresh("tank/media")
    sim.run(write)
    assert c.request("pool.dataset.get_instance", "tank/media")["usedbydataset"]["parsed"] == 5 * 1024 ** 3
    c.request(ns + ".rollback", "tank/media@before")
    media = c.request("pool.dataset.get_instance", "tank/media")
    assert (media["usedbydataset"]["parsed"], media["used"]["parsed"]) == (98304, 98304)


@pytest.mark.sim_profiles("25.10", "26")
def test_private_zfs_snapshot_query_answers_a_full_admin(sim, sim_client):
    admin = sim_client(sim, login=True)
    assert admin.request("zfs.snapshot.query") == admin.request("pool.snapshot.query")
    assert "zfs.snapshot.query" not in admin.request("core.get_methods")
    viewer = sim_client(sim)
    viewer.login("viewer", "sim-viewer-Passw0rd")
    error = viewer.call("zfs.snapshot.query")["error"]
    assert (error["code"], error["data"]["error"]) == (-32001, 13)
