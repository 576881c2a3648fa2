"""pool.dataset.query / get_instance on the simulator: entry shapes per profile, inheritance,
extra options, internal datasets and the id fast path."""

import pytest

from tests.simulator.pytest_plugin import SimCallError
from tests.simulator.services import dataset as storage


@pytest.fixture
def c(sim, sim_client):
    """A logged-in client of the shared simulator of this test's profile."""
    return sim_client(sim, login=True)


def wire_errors(exc):
    return exc.value.error["data"]["extra"]


def p10(parsed, raw, value, source, info=None):
    return {"parsed": parsed, "rawvalue": raw, "value": value, "source": source, "source_info": info}


def p04(parsed, raw, value, source):
    return {"parsed": parsed, "rawvalue": raw, "value": value, "source": source}


# tank: two mirrors of 4000787030016-byte disks; partitions are 4000784056320 bytes, the pool's
# logical size is 8001568112640 and 128 GiB of slop leaves 7864129159168 for datasets. The root
# and its four seeded children hold 96 KiB each: 7864129159168 - 5 * 98304 = 7864128667648.
TANK_VMS_AVAILABLE = 7864128667648

TANK_VMS_25_10 = {
    "id": "tank/vms", "type": "FILESYSTEM", "name": "tank/vms", "pool": "tank",
    "encrypted": False, "encryption_root": None, "key_loaded": False, "locked": False,
    "mountpoint": "/mnt/tank/vms",
    "deduplication": p10("off", "off", "OFF", "DEFAULT"),
    "aclmode": p10("discard", "discard", "DISCARD", "INHERITED", "tank"),
    "acltype": p10("posix", "posix", "POSIX", "INHERITED", "tank"),
    "xattr": p10(None, "sa", "SA", "INHERITED", "tank"),
    "atime": p10(True, "on", "ON", "DEFAULT"),
    "casesensitivity": p10("sensitive", "sensitive", "SENSITIVE", "NONE"),
    "checksum": p10(True, "on", "ON", "DEFAULT"),
    "exec": p10(True, "on", "ON", "DEFAULT"),
    "sync": p10("standard", "standard", "STANDARD", "DEFAULT"),
    "compression": p10("lz4", "lz4", "LZ4", "INHERITED", "tank"),
    "compressratio": p10(1.0, "1.00", "1.00x", "NONE"),
    "origin": p10("", "", "", "NONE"),
    "quota": p10(None, "0", None, "DEFAULT"),
    "refquota": p10(None, "0", None, "DEFAULT"),
    "reservation": p10(None, "0", None, "DEFAULT"),
    "refreservation": p10(None, "0", None, "DEFAULT"),
    "copies": p10(1, "1", "1", "DEFAULT"),
    "snapdir": p10("hidden", "hidden", "HIDDEN", "DEFAULT"),
    "readonly": p10(False, "off", "OFF", "DEFAULT"),
    "recordsize": p10(131072, "131072", "128K", "DEFAULT"),
    "special_small_block_size": p10(0, "0", "0", "DEFAULT"),
    "snapdev": p10("hidden", "hidden", "HIDDEN", "DEFAULT"),
    "key_format": p10("none", "none", None, "DEFAULT"),
    "encryption_algorithm": p10("off", "off", None, "DEFAULT"),
    "pbkdf2iters": p10(0, "0", "0", "DEFAULT"),
    "creation": p10({"$date": 1735689600000}, "1735689600", "Wed Jan  1  0:00 2025", "NONE"),
    "used": p10(98304, "98304", "96 KiB", "NONE"),
    "usedbychildren": p10(0, "0", "0 bytes", "NONE"),
    "usedbydataset": p10(98304, "98304", "96 KiB", "NONE"),
    "usedbyrefreservation": p10(0, "0", "0 bytes", "NONE"),
    "usedbysnapshots": p10(0, "0", "0 bytes", "NONE"),
    "available": p10(TANK_VMS_AVAILABLE, str(TANK_VMS_AVAILABLE), "7.15 TiB", "NONE"),
    "user_properties": {"comments": p10("VM disks", "VM disks", "VM disks", "LOCAL")},
    "children": [],
}


@pytest.mark.sim_profiles("25.10", "26")
def test_entry_25_10_and_26_every_key(c):
    result = c.request("pool.dataset.query", [["id", "=", "tank/vms"]], {"extra": {"retrieve_children": False}})
    assert result == [TANK_VMS_25_10]


@pytest.mark.sim_profiles("25.04")
def test_entry_25_04_differences(c):
    entry = c.request("pool.dataset.get_instance", "tank/vms", {"extra": {"retrieve_children": False}})
    assert "source_info" not in entry["compression"]
    assert entry["compression"] == p04("lz4", "lz4", "LZ4", "INHERITED")
    assert entry["xattr"] == p04("sa", "sa", "SA", "INHERITED")
    assert entry["used"] == p04(98304, "98304", "96K", "NONE")
    assert entry["usedbychildren"] == p04(0, "0", "0B", "NONE")
    assert entry["available"] == p04(TANK_VMS_AVAILABLE, str(TANK_VMS_AVAILABLE), "7.15T", "NONE")
    assert entry["quota"] == p04(None, "0", "none", "DEFAULT")
    assert entry["comments"] == p04("VM disks", "VM disks", "VM disks", "LOCAL")
    assert entry["user_properties"] == {}
    expected = {k: v for k, v in TANK_VMS_25_10.items() if k != "user_properties"}
    assert sorted(entry) == sorted(list(expected) + ["comments", "user_properties"])


@pytest.mark.sim_profiles("25.10", "26")
def test_inheritance_sources_and_source_info(c):
    c.request("pool.dataset.create", {"name": "tank/media/movies"})
    c.request("pool.dataset.create", {"name": "tank/media/movies/4k", "atime": "OFF"})
    entry = c.request("pool.dataset.get_instance", "tank/media/movies/4k")
    assert entry["compression"] == p10("zstd", "zstd", "ZSTD", "INHERITED", "tank/media")
    assert entry["acltype"] == p10("posix", "posix", "POSIX", "INHERITED", "tank")
    assert entry["atime"] == p10(False, "off", "OFF", "LOCAL")
    assert entry["sync"] == p10("standard", "standard", "STANDARD", "DEFAULT")
    root = c.request("pool.dataset.get_instance", "tank", {"extra": {"retrieve_children": False}})
    assert root["compression"] == p10("lz4", "lz4", "LZ4", "LOCAL")
    assert root["atime"] == p10(True, "on", "ON", "DEFAULT")


@pytest.mark.sim_profiles("25.10", "26")
def test_user_properties_inherited_25_10(c):
    c.request("pool.dataset.update", "tank/media", {"user_properties": [{"key": "org.example:owner", "value": "ops"}]})
    c.request("pool.dataset.create", {"name": "tank/media/music"})
    entry = c.request("pool.dataset.get_instance", "tank/media/music")
    assert entry["user_properties"] == {"org.example:owner": p10("ops", "ops", "ops", "INHERITED", "tank/media")}
    assert "comments" not in entry


@pytest.mark.sim_profiles("25.10", "26")
def test_tn_user_properties_live_in_user_properties_on_25_10(c):
    c.request("pool.dataset.create", {"name": "tank/vms/guest", "quota_warning": 70, "managedby": "ansible"})
    entry = c.request("pool.dataset.get_instance", "tank/vms/guest")
    assert entry["user_properties"] == {
        "comments": p10("VM disks", "VM disks", "VM disks", "LOCAL"),
        "managedby": p10("ansible", "ansible", "ansible", "LOCAL"),
        "quota_warning": p10("70", "70", "70", "LOCAL"),
    }
    assert "comments" not in entry and "quota_warning" not in entry


@pytest.mark.sim_profiles("25.04")
def test_tn_user_properties_top_level_on_25_04(c):
    c.request("pool.dataset.create", {"name": "tank/vms/guest", "quota_warning": 70})
    entry = c.request("pool.dataset.get_instance", "tank/vms/guest")
    assert entry["comments"] == p04("VM disks", "VM disks", "VM disks", "INHERITED")
    assert entry["quota_warning"] == p04("70", "70", "70", "LOCAL")
    assert entry["user_properties"] == {}


@pytest.mark.sim_profiles("25.10", "26")
def test_volume_entry_sizes(c):
    c.request("pool.dataset.create", {"name": "tank/vms/disk0", "type": "VOLUME", "volsize": 10 * 1024 ** 3,
                                      "sparse": True})
    entry = c.request("pool.dataset.get_instance", "tank/vms/disk0")
    assert entry["type"] == "VOLUME" and entry["mountpoint"] is None
    assert entry["volsize"] == p10(10737418240, "10737418240", "10 GiB", "LOCAL")
    assert entry["volblocksize"] == p10(16384, "16384", "16K", "NONE")
    assert entry["refreservation"] == p10(None, "0", None, "DEFAULT")
    assert entry["used"] == p10(57344, "57344", "56 KiB", "NONE")
    for fs_only in ("recordsize", "atime", "aclmode", "acltype", "xattr", "casesensitivity", "quota", "refquota",
                    "exec", "snapdir", "special_small_block_size"):
        assert fs_only not in entry
    assert "sparse" not in entry


@pytest.mark.sim_profiles("25.04")
def test_volume_entry_25_04_short_sizes_and_sparse(c):
    c.request("pool.dataset.create", {"name": "tank/vms/disk0", "type": "VOLUME", "volsize": 10 * 1024 ** 3,
                                      "sparse": True})
    entry = c.request("pool.dataset.get_instance", "tank/vms/disk0")
    assert entry["volsize"] == p04(10737418240, "10737418240", "10G", "LOCAL")
    assert entry["sparse"] == p04(True, "true", "true", "NONE")


def test_flat_false_returns_roots_with_trees(c):
    roots = c.request("pool.dataset.query", [], {"extra": {"flat": False}, "select": ["id", "children"]})
    assert [r["id"] for r in roots] == ["backup", "tank"]
    assert [c["id"] for c in roots[1]["children"]] == ["tank/apps", "tank/isos", "tank/media", "tank/vms"]
    assert roots[0]["children"] == []


def test_flat_true_lists_every_dataset_each_with_its_tree(c):
    c.request("pool.dataset.create", {"name": "tank/media/music"})
    rows = c.request("pool.dataset.query", [], {"select": ["id", "children"]})
    assert [r["id"] for r in rows] == ["backup", "tank", "tank/apps", "tank/isos", "tank/media", "tank/media/music",
                                       "tank/vms"]
    media = rows[4]
    assert [c["id"] for c in media["children"]] == ["tank/media/music"]
    tank = rows[1]
    assert [c["id"] for c in tank["children"][2]["children"]] == ["tank/media/music"]


def test_retrieve_children_false_gives_empty_lists(c):
    options = {"extra": {"retrieve_children": False}, "select": ["id", "children"]}
    rows = c.request("pool.dataset.query", [["pool", "=", "tank"]], options)
    assert rows == [{"id": n, "children": []} for n in ("tank", "tank/apps", "tank/isos", "tank/media", "tank/vms")]


@pytest.mark.sim_profiles("25.10", "26")
def test_extra_properties_limits_property_keys(c):
    entry = c.request("pool.dataset.get_instance", "tank/isos",
                      {"extra": {"properties": ["used", "compression", "recordsize"], "retrieve_children": False}})
    assert sorted(entry) == sorted(["id", "type", "name", "pool", "encrypted", "encryption_root", "key_loaded",
                                    "locked", "mountpoint", "used", "compression", "recordsize", "user_properties",
                                    "children"])
    assert entry["recordsize"] == p10(1048576, "1048576", "1M", "LOCAL")
    none = c.request("pool.dataset.get_instance", "tank/isos",
                     {"extra": {"properties": [], "retrieve_children": False, "retrieve_user_props": False}})
    assert none == {"id": "tank/isos", "type": "FILESYSTEM", "name": "tank/isos", "pool": "tank", "encrypted": False,
                    "encryption_root": None, "key_loaded": False, "locked": False, "mountpoint": "/mnt/tank/isos",
                    "children": []}


@pytest.mark.sim_profiles("25.10", "26")
def test_snapshot_extras(c):
    c.request("pool.dataset.create", {"name": "tank/vms/a"})
    c.request("pool.snapshot.create", {"dataset": "tank/vms", "name": "s1", "recursive": True})
    entry = c.request("pool.dataset.get_instance", "tank/vms", {"extra": {
        "snapshots": True, "snapshots_count": True, "retrieve_children": False}})
    assert entry["snapshot_count"] == 1
    txg = entry["snapshots"][0]["createtxg"]
    assert isinstance(txg, str) and txg.isdigit()
    assert entry["snapshots"] == [{"pool": "tank", "name": "tank/vms@s1", "type": "SNAPSHOT", "snapshot_name": "s1",
                                   "dataset": "tank/vms", "id": "tank/vms@s1", "createtxg": txg}]
    rec = c.request("pool.dataset.get_instance", "tank/vms", {"extra": {
        "snapshots": True, "snapshots_recursive": True, "snapshots_count": True, "retrieve_children": False,
        "snapshots_properties": ["used", "userrefs"]}})
    assert rec["snapshot_count"] == 2
    assert [s["id"] for s in rec["snapshots"]] == ["tank/vms@s1", "tank/vms/a@s1"]
    assert rec["snapshots"][0]["properties"] == {
        "used": {"value": "0B", "rawvalue": "0", "source": "NONE", "parsed": 0},
        "userrefs": {"value": "0", "rawvalue": "0", "source": "NONE", "parsed": 0},
    }


def test_internal_datasets_are_hidden(sim, c):
    def add_internal():
        for name in ("tank/.system", "tank/.system/cores", "tank/ix-apps", "tank/ix-applications", "tank/.ix-virt"):
            storage.insert_record(sim.state, storage.new_record(sim.state, name))
    sim.run(add_internal)
    ids = [r["id"] for r in c.request("pool.dataset.query", [], {"select": ["id"]})]
    assert ids == ["backup", "tank", "tank/apps", "tank/isos", "tank/media", "tank/vms"]
    tank = c.request("pool.dataset.get_instance", "tank")
    assert [child["id"] for child in tank["children"]] == ["tank/apps", "tank/isos", "tank/media", "tank/vms"]
    assert c.request("pool.dataset.query", [["id", "=", "tank/.system"]]) == []
    with pytest.raises(SimCallError) as exc:
        c.request("pool.dataset.get_instance", "tank/ix-apps")
    assert exc.value.error["code"] == -32602
    assert wire_errors(exc) == [[None, "PoolDataset tank/ix-apps does not exist", 2]]


def test_get_instance_and_get_option_not_found_shapes(c):
    with pytest.raises(SimCallError) as exc:
        c.request("pool.dataset.get_instance", "tank/nope")
    assert exc.value.error["code"] == -32602
    assert exc.value.error["data"]["reason"] == "[ENOENT] None: PoolDataset tank/nope does not exist"
    assert wire_errors(exc) == [[None, "PoolDataset tank/nope does not exist", 2]]
    with pytest.raises(SimCallError) as exc:
        c.request("pool.dataset.query", [["id", "=", "tank/nope"]], {"get": True})
    assert exc.value.error["code"] == -32001
    assert (exc.value.error["data"]["error"], exc.value.error["data"]["reason"]) == (22, "MatchNotFound()")


@pytest.mark.sim_profiles("25.10", "26")
def test_filters_select_order_count(c):
    c.request("pool.dataset.create", {"name": "tank/vms/disk0", "type": "VOLUME", "volsize": 1024 ** 3, "sparse": True})
    assert c.request("pool.dataset.query", [["type", "=", "VOLUME"]], {"select": ["id"]}) == [{"id": "tank/vms/disk0"}]
    assert c.request("pool.dataset.query", [["id", "^", "tank/"]], {"count": True}) == 5
    rows = c.request("pool.dataset.query", [["pool", "=", "tank"], ["id", "!=", "tank"]],
                     {"order_by": ["-name"], "select": ["name", ["compression.value", "comp"]], "limit": 2})
    assert rows == [{"name": "tank/vms/disk0", "comp": "LZ4"}, {"name": "tank/vms", "comp": "LZ4"}]
    rows = c.request("pool.dataset.query", [["compression.value", "=", "ZSTD"]], {"select": ["id"]})
    assert rows == [{"id": "tank/media"}]
    got = c.request("pool.dataset.query", [["user_properties.comments.value", "=", "VM disks"]],
                    {"get": True, "select": ["id"]})
    assert got == {"id": "tank/vms"}


def _bulk(state, count):
    """``count`` filesystems under tank/bulk, 100 per parent, inserted through the storage model."""
    storage.insert_record(state, storage.new_record(state, "tank/bulk"))
    for group in range(count // 100):
        parent = "tank/bulk/g%03d" % group
        storage.insert_record(state, storage.new_record(state, parent))
        for i in range(99):
            storage.insert_record(state, storage.new_record(state, "%s/d%02d" % (parent, i)))


@pytest.mark.sim_profiles("25.10")
def test_id_lookup_with_10000_datasets(sim, c):
    sim.run(_bulk, sim.state, 10000, timeout=60)
    assert sim.run(lambda: len(sim.state.data["datasets"])) == 10007
    options = {"extra": {"retrieve_children": False}}
    target = "tank/bulk/g050/d42"
    assert c.request("pool.dataset.query", [["id", "=", target]], options)[0]["id"] == target
    rows = c.request("pool.dataset.query", [["id", "=", target]], options)
    assert [r["id"] for r in rows] == [target]
    assert rows[0]["children"] == []
    assert rows[0]["available"]["parsed"] > 0
    entry = c.request("pool.dataset.get_instance", "tank/bulk/g050")
    assert len(entry["children"]) == 99
    assert entry["usedbychildren"]["parsed"] == 99 * 98304


@pytest.mark.sim_profiles("25.10")
def test_pool_filter_prefilters_on_light_fields(sim, c):
    sim.run(_bulk, sim.state, 1000, timeout=60)
    rows = c.request("pool.dataset.query", [["pool", "=", "backup"]], {"select": ["id"]})
    assert rows == [{"id": "backup"}]


@pytest.mark.sim_profiles("25.10", "26")
def test_locked_encrypted_dataset_flags(sim, c):
    c.request("pool.dataset.create", {"name": "tank/secret", "encryption": True, "inherit_encryption": False,
                                      "encryption_options": {"passphrase": "correct horse"}})
    c.request("pool.dataset.create", {"name": "tank/secret/inner"})

    def lock():
        sim.state.data["datasets"]["tank/secret"]["encryption"]["key_loaded"] = False
    sim.run(lock)
    inner = c.request("pool.dataset.get_instance", "tank/secret/inner", {"extra": {"retrieve_children": False}})
    assert (inner["encrypted"], inner["encryption_root"], inner["key_loaded"], inner["locked"]) == (
        True, "tank/secret", False, True)
    assert inner["key_format"] == p10("passphrase", "passphrase", "PASSPHRASE", "NONE")
    assert inner["encryption_algorithm"] == p10("aes-256-gcm", "aes-256-gcm", "AES-256-GCM", "NONE")
    assert c.request("pool.dataset.query", [["locked", "=", True]], {"select": ["id"]}) == [
        {"id": "tank/secret"}, {"id": "tank/secret/inner"}]
