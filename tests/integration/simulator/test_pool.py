"""pool.query / get_instance / get_disks and scrubbing (pool.scrub job, pool.scrub.scrub, pool.scrub.run)."""
import copy
import time

import pytest

from tests.simulator.pytest_plugin import SimCallError
from tests.simulator.services import pool as pool_service
from tests.simulator.state import DEFAULT_SEED, load_seed_file

GiB = 1024 ** 3
SEED = load_seed_file(DEFAULT_SEED)


@pytest.fixture
def c(sim, sim_client):
    return sim_client(sim, login=True)


def without_timestamps(value):
    """``value`` with every vdev ``stats.timestamp`` checked to be an int and removed."""
    if isinstance(value, dict):
        out = {}
        for k, v in value.items():
            if k == "stats":
                assert isinstance(v["timestamp"], int)
                v = {kk: vv for kk, vv in v.items() if kk != "timestamp"}
            out[k] = without_timestamps(v)
        return out
    if isinstance(value, list):
        return [without_timestamps(v) for v in value]
    return value


def stats(size=0, allocated=0, fragmentation=0):
    return {"read_errors": 0, "write_errors": 0, "checksum_errors": 0, "ops": [0] * 7, "bytes": [0] * 7,
            "size": size, "allocated": allocated, "fragmentation": fragmentation, "self_healed": 0,
            "configured_ashift": 12, "logical_ashift": 9, "physical_ashift": 12}


NEVER_SCANNED = {"function": None, "state": None, "start_time": None, "end_time": None, "percentage": None,
                 "bytes_to_process": None, "bytes_processed": None, "bytes_issued": None, "pause": None,
                 "errors": None, "total_secs_left": None}


def backup_entry(profile):
    """The seeded ``backup`` pool: one 2000398934016-byte SSD (sde), partition 2000396746752 bytes,
    holding only its 96 KiB root dataset."""
    entry = {
        "id": 2, "name": "backup", "guid": "8992822723960577902", "path": "/mnt/backup",
        "autotrim": {"parsed": "off", "rawvalue": "off", "source": "DEFAULT", "value": "off"},
        "status": "ONLINE", "scan": None if profile == "26" else NEVER_SCANNED, "expand": None,
        "is_upgraded": False, "healthy": True, "warning": False, "status_code": "OK", "status_detail": None,
        "size": 2000396746752, "allocated": 98304, "free": 2000396648448, "freeing": 0,
        "dedup_table_size": 0, "dedup_table_quota": "auto", "fragmentation": "0",
        "size_str": "2000396746752", "allocated_str": "98304", "free_str": "2000396648448", "freeing_str": "0",
        "topology": {
            "data": [{
                "name": "d5b774ff-1863-5753-ae80-30cf776fd2aa", "type": "DISK",
                "path": "/dev/disk/by-partuuid/d5b774ff-1863-5753-ae80-30cf776fd2aa",
                "guid": "17521498439456574738", "status": "ONLINE", "stats": stats(2000396746752, 98304),
                "children": [], "device": "sde1", "disk": "sde", "unavail_disk": None,
            }],
            "log": [], "cache": [], "spare": [], "special": [], "dedup": [],
        },
    }
    if profile == "26":
        entry["all_sed"] = False
    return entry


def test_backup_pool_entry(sim, c):
    result = c.request("pool.query", [["name", "=", "backup"]])
    assert without_timestamps(result) == [backup_entry(sim.profile.name)]


def test_tank_topology_and_scan(sim, c):
    tank = without_timestamps(c.request("pool.get_instance", 1))
    counter = 0 if sim.profile.at_least("26") else None  # 26: integers, never null
    assert tank["scan"] == {"function": "SCRUB", "state": "FINISHED", "start_time": {"$date": 1759017600000},
                            "end_time": {"$date": 1759025400000}, "percentage": 100.0, "bytes_to_process": counter,
                            "bytes_processed": counter, "bytes_issued": counter, "pause": None, "errors": 0,
                            "total_secs_left": None}
    data = tank["topology"]["data"]
    assert [(v["name"], v["type"], v["path"], v["status"], v["unavail_disk"]) for v in data] == [
        ("mirror-0", "MIRROR", None, "ONLINE", None), ("mirror-1", "MIRROR", None, "ONLINE", None)]
    assert "disk" not in data[0] and "device" not in data[0]
    assert [[(leaf["type"], leaf["device"], leaf["disk"], leaf["status"], leaf["children"]) for leaf in v["children"]]
            for v in data] == [[("DISK", "sda1", "sda", "ONLINE", []), ("DISK", "sdb1", "sdb", "ONLINE", [])],
                               [("DISK", "sdc1", "sdc", "ONLINE", []), ("DISK", "sdd1", "sdd", "ONLINE", [])]]
    leaf = data[0]["children"][0]
    assert leaf["path"] == "/dev/disk/by-partuuid/" + leaf["name"]
    assert leaf["guid"].isdigit() and data[0]["guid"].isdigit()
    assert data[0]["stats"]["size"] == 4000784056320 and leaf["stats"]["size"] == 0
    assert (tank["size"], tank["size_str"]) == (8001568112640, "8001568112640")
    assert tank["guid"].isdigit() and isinstance(tank["fragmentation"], str)


def test_usage_is_consistent_with_datasets(c):
    c.request("pool.dataset.create", {"name": "tank/vms/disk0", "type": "VOLUME", "volsize": 100 * GiB})
    tank = c.request("pool.get_instance", 1)
    root = c.request("pool.dataset.get_instance", "tank", {"extra": {"retrieve_children": False}})
    # a reservation is promised space, not allocated space: 6 datasets of written data only
    assert tank["allocated"] == 5 * 98304 + 57344
    assert tank["free"] == tank["size"] - tank["allocated"]
    assert tank["allocated_str"] == str(tank["allocated"]) and tank["free_str"] == str(tank["free"])
    assert root["used"]["parsed"] + root["available"]["parsed"] == 7864129159168
    assert root["usedbychildren"]["parsed"] == 4 * 98304 + 100 * GiB + (7 + 6400 + 7 + 1) * 2 * 131072
    assert sum(v["stats"]["allocated"] for v in tank["topology"]["data"]) == tank["allocated"]


def test_get_instance_not_found_and_extras(c):
    with pytest.raises(SimCallError) as exc:
        c.request("pool.get_instance", 9)
    assert exc.value.error["code"] == -32602
    assert exc.value.error["data"]["extra"] == [[None, "Pool 9 does not exist", 2]]
    assert c.request("pool.query", [], {"extra": {"is_upgraded": True}, "select": ["name", "is_upgraded"]}) == [
        {"name": "tank", "is_upgraded": True}, {"name": "backup", "is_upgraded": True}]
    assert c.request("pool.query", [["status", "=", "ONLINE"]], {"count": True}) == 2


def test_get_disks(c):
    assert c.request("pool.get_disks") == ["sda", "sdb", "sdc", "sdd", "sde"]
    assert c.request("pool.get_disks", 2) == ["sde"]
    assert c.request("pool.get_disks", 42) == []


def _degraded_seed():
    seed = copy.deepcopy(SEED)
    seed["disks"].append({"name": "sdg", "size": 2000398934016, "type": "SSD"})
    seed["pools"][0]["topology"]["data"][1] = {"type": "MIRROR", "disks": ["sdc", {"disk": "sdd", "status": "FAULTED"}]}
    seed["pools"][0]["topology"]["spare"] = ["sdg"]
    seed["pools"][1]["status"] = "OFFLINE"
    return seed


def test_degraded_and_offline_pools(sim_factory, sim_client):
    server = sim_factory("25.10", tls=False, seed=_degraded_seed())
    c = sim_client(server, login=True)
    tank = c.request("pool.get_instance", 1)
    assert (tank["status"], tank["healthy"], tank["warning"], tank["status_code"]) == (
        "DEGRADED", False, False, "FAULTED_DEV_R")
    assert tank["status_detail"].startswith("One or more devices are faulted")
    mirror = tank["topology"]["data"][1]
    assert mirror["status"] == "DEGRADED"
    faulted = mirror["children"][1]
    assert faulted["status"] == "FAULTED"
    assert (faulted["unavail_disk"]["name"], faulted["unavail_disk"]["serial"]) == ("sdd", "WD-WCC4E0000004")
    spare = tank["topology"]["spare"]
    assert [(s["type"], s["disk"], s["status"]) for s in spare] == [("DISK", "sdg", "AVAIL")]
    backup = c.request("pool.get_instance", 2)
    nulls = ("scan", "size", "allocated", "free", "freeing", "fragmentation", "size_str", "allocated_str",
             "free_str", "freeing_str", "topology", "status_code", "status_detail", "dedup_table_size",
             "dedup_table_quota")
    assert backup["status"] == "OFFLINE" and all(backup[k] is None for k in nulls)
    assert (backup["healthy"], backup["warning"]) == (False, False)
    assert c.request("pool.get_disks") == ["sda", "sdb", "sdc", "sdd", "sdg"]


# --- scrubbing ---------------------------------------------------------------------------------------


def wait_job(sim, job_id, timeout=10):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job = sim.job(job_id)
        if job["state"] in ("SUCCESS", "FAILED", "ABORTED"):
            return job
        time.sleep(0.01)
    raise AssertionError("job %s did not finish" % job_id)


def test_scrub_job_runs_to_the_end(sim, c):
    c.request("core.subscribe", "core.get_jobs")
    job_id = c.request("pool.scrub", 1, "START")
    assert isinstance(job_id, int)
    job = wait_job(sim, job_id)
    assert (job["state"], job["method"], job["arguments"], job["result"]) == ("SUCCESS", "pool.scrub", [1, "START"], None)
    assert job["progress"] == {"percent": 100, "description": "Scrub finished", "extra": None}
    scan = c.request("pool.get_instance", 1)["scan"]
    assert (scan["function"], scan["state"], scan["percentage"], scan["pause"], scan["total_secs_left"]) == (
        "SCRUB", "FINISHED", 100.0, None, None)
    assert scan["end_time"]["$date"] >= scan["start_time"]["$date"] >= int(time.time() - 60) * 1000
    allocated = c.request("pool.get_instance", 1)["allocated"]
    assert (scan["bytes_to_process"], scan["bytes_processed"], scan["bytes_issued"]) == (allocated, allocated, allocated)
    descriptions = [e["params"]["fields"]["progress"]["description"] for e in c.events
                    if e.get("params", {}).get("collection") == "core.get_jobs" and e["params"]["id"] == job_id]
    assert "Scrubbing" in descriptions and descriptions[-1] == "Scrub finished"


def test_scrub_progress_pause_resume_stop(sim, c):
    sim.run(lambda: pool_service.pool_by_name(sim.state, "tank").__setitem__("scrub_seconds", 2.0))
    first = c.request("pool.scrub", 1, "START")
    deadline = time.monotonic() + 5
    while c.request("pool.get_instance", 1)["scan"]["percentage"] < 20:
        assert time.monotonic() < deadline
        time.sleep(0.05)
    scan = c.request("pool.get_instance", 1)["scan"]
    assert (scan["state"], scan["end_time"], scan["pause"]) == ("SCANNING", None, None)
    assert 0 < scan["percentage"] < 100 and scan["total_secs_left"] is not None
    running = sim.job(first)
    assert running["state"] == "RUNNING" and 0 < running["progress"]["percent"] < 100
    assert running["progress"]["description"] == "Scrubbing"

    assert wait_job(sim, c.request("pool.scrub", 1, "PAUSE"))["state"] == "SUCCESS"
    paused = wait_job(sim, first)
    assert (paused["state"], paused["progress"]["description"]) == ("SUCCESS", "Scrub paused")
    scan = c.request("pool.get_instance", 1)["scan"]
    assert scan["state"] == "SCANNING" and scan["pause"] is not None
    reached = scan["percentage"]

    resumed = c.request("pool.scrub", 1, "START")
    time.sleep(0.3)
    scan = c.request("pool.get_instance", 1)["scan"]
    assert scan["pause"] is None and scan["percentage"] >= reached
    assert wait_job(sim, c.request("pool.scrub", 1, "STOP"))["state"] == "SUCCESS"
    assert wait_job(sim, resumed)["state"] == "SUCCESS"
    scan = c.request("pool.get_instance", 1)["scan"]
    assert (scan["state"], scan["total_secs_left"]) == ("CANCELED", None) and scan["end_time"] is not None
    failed = wait_job(sim, c.request("pool.scrub", 1, "STOP"))
    assert (failed["state"], failed["error"]) == ("FAILED", "[EFAULT] cannot cancel scrubbing tank: there is no active scrub")


def test_scrub_unknown_pool_fails_inside_the_job(sim, c):
    job = wait_job(sim, c.request("pool.scrub", 9, "START"))
    assert job["state"] == "FAILED"
    assert job["exc_info"]["type"] == "VALIDATION"
    assert job["exc_info"]["extra"] == [[None, "Pool 9 does not exist", 2]]
    assert job["error"] == "[ENOENT] None: Pool 9 does not exist"


@pytest.mark.sim_profiles("25.10", "26")
def test_scrub_bad_action_25_10(sim, c):
    job = wait_job(sim, c.request("pool.scrub", 1, "GO"))
    assert (job["state"], job["exc_info"]["extra"]) == ("FAILED", [["action", "Input should be 'START', 'STOP' or 'PAUSE'",
                                                                   22]])


@pytest.mark.sim_profiles("25.04")
def test_scrub_bad_action_25_04(sim, c):
    job = wait_job(sim, c.request("pool.scrub", 1, "GO"))
    assert (job["state"], job["exc_info"]["extra"]) == ("FAILED", [["action", "Invalid choice: GO", 22]])


def test_scrub_scrub_by_name(sim, c):
    job = wait_job(sim, c.request("pool.scrub.scrub", "backup"))
    assert job["state"] == "SUCCESS"
    assert c.request("pool.get_instance", 2)["scan"]["state"] == "FINISHED"
    job = wait_job(sim, c.request("pool.scrub.scrub", "nopool", "START"))
    assert (job["state"], job["error"]) == ("FAILED", "[ENOENT] cannot open 'nopool': no such pool")


def test_scrub_run_honours_the_threshold(sim, c):
    assert c.request("pool.scrub.run", "tank", 100000) is None
    assert [j for j in sim.run(lambda: list(sim.jobs.jobs.values())) if j.method == "pool.scrub.scrub"] == []
    assert c.request("pool.scrub.run", "tank") is None
    jobs = [j.id for j in sim.run(lambda: list(sim.jobs.jobs.values())) if j.method == "pool.scrub.scrub"]
    assert len(jobs) == 1
    job = wait_job(sim, jobs[0])
    assert (job["state"], job["arguments"], job["credentials"]) == ("SUCCESS", ["tank", "START"], None)
    assert c.request("pool.get_instance", 1)["scan"]["end_time"]["$date"] >= int(time.time() - 60) * 1000
    assert c.request("pool.scrub.run", "tank", 2) is None
    assert len([j for j in sim.run(lambda: list(sim.jobs.jobs.values())) if j.method == "pool.scrub.scrub"]) == 1
    assert c.request("pool.scrub.run", "nopool") is None


def test_scan_counters_by_release(sim, sim_client):
    client = sim_client(sim, login=True)
    for pool in client.request("pool.query"):
        scan = pool["scan"]
        if sim.profile.at_least("26"):
            assert "all_sed" in pool
            if scan is not None:
                for key in ("bytes_to_process", "bytes_processed", "bytes_issued", "errors"):
                    assert isinstance(scan[key], int) and not isinstance(scan[key], bool), (key, scan)
        else:
            assert "all_sed" not in pool
