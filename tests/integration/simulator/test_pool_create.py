"""pool.create / pool.update / pool.export on the simulator: jobs with progress, topology validation,
disks in use, expansion, autotrim, export and destroy with their attachments."""
import time

import pytest


@pytest.fixture
def c(sim, sim_client):
    return sim_client(sim, login=True)


def wait_job(sim, job_id, timeout=10):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job = sim.job(job_id)
        if job["state"] in ("SUCCESS", "FAILED", "ABORTED"):
            return job
        time.sleep(0.01)
    raise AssertionError("job %s did not finish" % job_id)


def run(sim, c, method, *params):
    return wait_job(sim, c.request(method, *params))


def vdev_disks(entry, cls):
    return [[child.get("disk") for child in (v["children"] or [v])] for v in entry["topology"][cls]]


def test_create_mirror_with_spare_and_log(sim, c):
    job = run(sim, c, "pool.create", {"name": "fast", "topology": {
        "data": [{"type": "MIRROR", "disks": ["sdg", "sdh"]}], "spares": ["sdi"],
        "log": [{"type": "STRIPE", "disks": ["sdf"]}]}})
    assert job["state"] == "SUCCESS", job
    pool = job["result"]
    assert (pool["name"], pool["status"], pool["path"]) == ("fast", "ONLINE", "/mnt/fast")
    assert vdev_disks(pool, "data") == [["sdg", "sdh"]]
    assert pool["topology"]["data"][0]["type"] == "MIRROR"
    assert vdev_disks(pool, "spare") == [["sdi"]]
    assert vdev_disks(pool, "log") == [["sdf"]]
    assert job["progress"]["percent"] == 100
    assert c.request("pool.query", [["name", "=", "fast"]], {"select": ["id"]}) == [{"id": pool["id"]}]
    assert c.request("pool.dataset.query", [["id", "=", "fast"]], {"select": ["id"]}) == [{"id": "fast"}]
    assert c.request("pool.scrub.query", [["pool", "=", pool["id"]]], {"select": ["threshold"]}) == [{"threshold": 35}]
    used = c.request("disk.query", [["name", "in", ["sdg", "sdh", "sdi"]]], {"extra": {"pools": True},
                                                                             "select": ["name", "pool"]})
    assert used == [{"name": "sdg", "pool": "fast"}, {"name": "sdh", "pool": "fast"}, {"name": "sdi", "pool": "fast"}]


def test_create_refusals(sim, c):
    job = run(sim, c, "pool.create", {"name": "tank", "topology": {"data": [{"type": "RAIDZ1", "disks": ["sdg"]}]}})
    assert job["state"] == "FAILED"
    assert job["exc_info"]["extra"] == [["pool_create.name", "A pool with this name already exists.", 17]]
    job = run(sim, c, "pool.create", {"name": "new", "topology": {
        "data": [{"type": "RAIDZ1", "disks": ["sdg", "sdh"]}, {"type": "MIRROR", "disks": ["sdi", "nvme0n1"]}],
        "log": [{"type": "STRIPE", "disks": ["sdf"]}, {"type": "STRIPE", "disks": ["sde"]}]}})
    assert job["exc_info"]["extra"] == [
        ["pool_create.topology.data.0.disks", "You need at least 3 disk(s) for this vdev type.", 22],
        ["pool_create.topology.data.1.type",
         "You are not allowed to create a pool with different data vdev types (RAIDZ1 and MIRROR).", 22],
        ["pool_create.topology.log", "Only one row for the virtual device of type log is allowed.", 22],
    ]
    job = run(sim, c, "pool.create", {"name": "new", "topology": {
        "data": [{"type": "MIRROR", "disks": ["sda", "sdz"]}]}})
    assert job["exc_info"]["extra"] == [
        ["pool_create.topology", "The following disks were not found in system: sdz.", 22],
        ["pool_create.topology", "The following disks are already in use: sda.", 22],
    ]
    job = run(sim, c, "pool.create", {"name": "new", "topology": {
        "data": [{"type": "MIRROR", "disks": ["sdi", "sdi"]}], "spares": ["nvme0n1"]}})
    assert job["exc_info"]["extra"] == [
        ["pool_create.topology", "The following disks are listed more than once: sdi.", 22]]
    job = run(sim, c, "pool.create", {"name": "new", "topology": {
        "data": [{"type": "MIRROR", "disks": ["sdg", "sdi"]}], "spares": ["nvme0n1"]}})
    assert job["exc_info"]["extra"][0][1].startswith("Spare nvme0n1 (")
    assert c.request("pool.query", [["name", "=", "new"]]) == []


@pytest.mark.sim_profiles("25.10", "26")
def test_schema_refuses_unknown_vdev_types(sim, c):
    job = run(sim, c, "pool.create", {"name": "new", "topology": {"data": [{"type": "RAID5", "disks": ["sdg"]}]}})
    assert job["state"] == "FAILED"
    assert job["exc_info"]["type"] == "VALIDATION"


def test_encrypted_pool(sim, c):
    job = run(sim, c, "pool.create", {"name": "secure", "encryption": True,
                                      "encryption_options": {"generate_key": True},
                                      "topology": {"data": [{"type": "STRIPE", "disks": ["nvme0n1"]}]}})
    assert job["state"] == "SUCCESS", job
    root = sim.state_dump("datasets")["secure"]
    assert root["encryption"]["key_format"] == "hex"
    job = run(sim, c, "pool.create", {"name": "bad", "encryption": True,
                                      "topology": {"data": [{"type": "STRIPE", "disks": ["sdg"]}]}})
    assert job["exc_info"]["extra"] == [["pool_create.encryption_options",
                                         "Either a passphrase or a key must be provided, or generate_key must be set.",
                                         22]]


def test_update_adds_vdevs_and_sets_autotrim(sim, c):
    job = run(sim, c, "pool.update", 1, {"topology": {"data": [{"type": "MIRROR", "disks": ["sdg", "sdh"]}]},
                                         "autotrim": "ON"})
    assert job["state"] == "SUCCESS", job
    pool = job["result"]
    assert vdev_disks(pool, "data") == [["sda", "sdb"], ["sdc", "sdd"], ["sdg", "sdh"]]
    assert [v["name"] for v in pool["topology"]["data"]] == ["mirror-0", "mirror-1", "mirror-2"]
    assert pool["autotrim"]["value"] == "on"
    raidz = {"type": "RAIDZ1", "disks": ["sdi", "nvme0n1", "sdf"]}
    job = run(sim, c, "pool.update", 1, {"topology": {"data": [raidz]}})
    assert job["exc_info"]["extra"] == [[
        "pool_update.topology.data.1.type",
        "You are not allowed to create a pool with different data vdev types (RAIDZ1 and MIRROR).", 22]]


def test_export_disables_and_destroy_cascades(sim, c):
    c.request("sharing.nfs.create", {"path": "/mnt/tank/media"})
    c.request("pool.snapshottask.create", {"dataset": "tank/vms"})
    job = run(sim, c, "pool.export", 1)
    assert (job["state"], job["result"]) == ("SUCCESS", None)
    assert c.request("pool.query", [["name", "=", "tank"]]) == []
    assert [s["enabled"] for s in c.request("sharing.nfs.query")] == [False]
    assert [t["enabled"] for t in c.request("pool.snapshottask.query")] == [False]
    assert c.request("pool.dataset.query", [["pool", "=", "tank"]]) == []
    free = c.request("disk.query", [["pool", "=", None]], {"extra": {"pools": True}, "select": ["name"]})
    assert {"name": "sda"} in free

    c.request("pool.snapshottask.create", {"dataset": "backup"})
    job = run(sim, c, "pool.export", 2, {"destroy": True, "cascade": True})
    assert job["state"] == "SUCCESS"
    assert c.request("pool.query") == []
    assert [t["dataset"] for t in c.request("pool.snapshottask.query")] == ["tank/vms"]
    assert c.request("pool.scrub.query") == []
    assert run(sim, c, "pool.export", 2)["exc_info"]["extra"] == [[None, "Pool 2 does not exist", 2]]


def test_scrub_tasks_one_per_pool(sim, c):
    tasks = c.request("pool.scrub.query", [], {"order_by": ["pool"]})
    assert [(t["pool"], t["pool_name"], t["threshold"], t["schedule"]) for t in tasks] == [
        (1, "tank", 35, {"minute": "00", "hour": "00", "dom": "*", "month": "*", "dow": "7"}),
        (2, "backup", 35, {"minute": "00", "hour": "00", "dom": "*", "month": "*", "dow": "7"}),
    ]
    with pytest.raises(Exception) as exc:
        c.request("pool.scrub.create", {"pool": 1})
    assert exc.value.error["data"]["extra"] == [["pool_scrub_create.pool", "A scrub with this pool already exists", 22]]
    updated = c.request("pool.scrub.update", tasks[0]["id"], {"threshold": 7, "schedule": {"dow": "1"}})
    assert (updated["threshold"], updated["schedule"]["dow"], updated["schedule"]["hour"]) == (7, "1", "00")
    with pytest.raises(Exception) as exc:
        c.request("pool.scrub.update", tasks[0]["id"], {"schedule": {"hour": "25"}})
    assert exc.value.error["data"]["extra"] == [["data.schedule", "Value error, Please ensure fields match cron syntax",
                                                 22]]
    assert c.request("pool.scrub.delete", tasks[1]["id"]) is True
    created = c.request("pool.scrub.create", {"pool": 2, "enabled": False})
    assert (created["pool_name"], created["enabled"], created["threshold"]) == ("backup", False, 35)
    with pytest.raises(Exception) as exc:
        c.request("pool.scrub.create", {"pool": 9})
    assert exc.value.error["data"]["extra"] == [["pool_scrub_create.pool", "The specified volume does not exist", 22]]
