"""disk.query / disk.get_instance / disk.temperatures / smart.test.results on the simulator."""
import copy

import pytest

from tests.simulator.pytest_plugin import SimCallError
from tests.simulator.state import DEFAULT_SEED, load_seed_file

SEED = load_seed_file(DEFAULT_SEED)


@pytest.fixture
def c(sim, sim_client):
    return sim_client(sim, login=True)


def test_disk_entry(c):
    tank = c.request("pool.get_instance", 1)
    sda_guid = tank["topology"]["data"][0]["children"][0]["guid"]
    assert c.request("disk.query", [["name", "=", "sda"]]) == [{
        "identifier": "{serial}WD-WCC4E0000001", "name": "sda", "subsystem": "SCSI", "number": 2048,
        "serial": "WD-WCC4E0000001", "lunid": None, "size": 4000787030016, "description": "",
        "transfermode": "Auto", "hddstandby": "ALWAYS ON", "advpowermgmt": "DISABLED", "expiretime": None,
        "model": "WDC WD40EFRX-68N32N0", "rotationrate": 5400, "type": "HDD", "zfs_guid": sda_guid, "bus": "ATA",
        "devname": "sda", "enclosure": None, "pool": None, "passwd": "", "kmip_uid": None,
    }]
    sdf = c.request("disk.query", [["name", "=", "sdf"]], {"get": True})
    assert (sdf["type"], sdf["rotationrate"], sdf["zfs_guid"], sdf["number"]) == ("SSD", None, None, 2128)


def test_pool_membership_needs_extra_pools(c):
    rows = c.request("disk.query", [], {"extra": {"pools": True}, "select": ["name", "pool", "size"]})
    assert rows == [
        {"name": "sda", "pool": "tank", "size": 4000787030016}, {"name": "sdb", "pool": "tank", "size": 4000787030016},
        {"name": "sdc", "pool": "tank", "size": 4000787030016}, {"name": "sdd", "pool": "tank", "size": 4000787030016},
        {"name": "sde", "pool": "backup", "size": 2000398934016}, {"name": "sdf", "pool": None, "size": 2000398934016},
        {"name": "sdg", "pool": None, "size": 4000787030016}, {"name": "sdh", "pool": None, "size": 4000787030016},
        {"name": "sdi", "pool": None, "size": 8001563222016}, {"name": "nvme0n1", "pool": None, "size": 1000204886016},
    ]
    assert c.request("disk.query", [["pool", "=", "tank"]], {"extra": {"pools": True}, "count": True}) == 4
    assert c.request("disk.query", [["pool", "=", "tank"]], {"count": True}) == 0


def test_get_instance(c):
    disk = c.request("disk.get_instance", "{serial}S4EWNX0R000005", {"extra": {"pools": True}})
    assert (disk["name"], disk["model"], disk["pool"]) == ("sde", "Samsung SSD 870 EVO 2TB", "backup")
    with pytest.raises(SimCallError) as exc:
        c.request("disk.get_instance", "{serial}NOPE")
    assert exc.value.error["code"] == -32602
    assert exc.value.error["data"]["extra"] == [[None, "Disk {serial}NOPE does not exist", 2]]


def test_temperatures(c):
    assert c.request("disk.temperatures") == {"sda": 33, "sdb": 34, "sdc": 35, "sdd": 36, "sde": 29, "sdf": 30,
                                              "sdg": 31, "sdh": 32, "sdi": 33, "nvme0n1": 38}
    assert c.request("disk.temperatures", ["sdb", "nvme9n1"]) == {"sdb": 34}
    assert c.request("disk.temperatures", ["sde"], True) == {"sde": {"temperature": 29, "crit": None, "warn": None}}


@pytest.mark.sim_profiles("25.10", "26")
def test_no_smart_after_25_04(c):
    with pytest.raises(SimCallError) as exc:
        c.request("smart.test.results", [["disk", "=", "sda"]])
    assert exc.value.error["code"] == -32601
    assert "smart.test.results" not in c.request("core.get_methods")


@pytest.mark.sim_profiles("25.04")
def test_last_smart_results(c):
    results = c.request("smart.test.results", [["disk", "=", "sda"]])
    assert results == [{"disk": "sda", "tests": [{
        "num": 1, "description": "Short offline", "status": "SUCCESS", "status_verbose": "Completed without error",
        "segment_number": None, "remaining": 0.0, "lifetime": 21004, "lba_of_first_error": None,
        "power_on_hours_ago": 0}], "current_test": None}]
    disks = ["sda", "sdb", "sdc", "sdd", "sde", "sdf", "sdg", "sdh", "sdi", "nvme0n1"]
    assert [r["disk"] for r in c.request("smart.test.results")] == disks


def test_seeded_disks_nvme_lunid_expired(sim_factory, sim_client):
    seed = copy.deepcopy(SEED)
    seed["disks"] += [
        {"name": "nvme0n1", "serial": "NV1", "lunid": "0025388b71c2f0a1", "type": "SSD", "bus": "NVME", "size": "1T",
         "smart_tests": [{"description": "Extended offline", "status": "FAILED", "lifetime": 99,
                          "lba_of_first_error": 12345}]},
        {"name": "sdz", "serial": "GONE1", "expiretime": "2025-06-01T00:00:00Z"},
    ]
    c = sim_client(sim_factory("25.04", tls=False, seed=seed), login=True)
    nvme = c.request("disk.get_instance", "{serial_lunid}NV1_0025388b71c2f0a1")
    assert (nvme["name"], nvme["size"], nvme["number"], nvme["bus"], nvme["lunid"]) == (
        "nvme0n1", 1099511627776, 66304, "NVME", "0025388b71c2f0a1")
    assert "sdz" not in [d["name"] for d in c.request("disk.query")]
    gone = c.request("disk.query", [["name", "=", "sdz"]], {"extra": {"include_expired": True}, "get": True})
    assert gone["expiretime"] == {"$date": 1748736000000}
    test = c.request("smart.test.results", [["disk", "=", "nvme0n1"]], {"get": True})["tests"][0]
    assert (test["status"], test["status_verbose"], test["lba_of_first_error"]) == (
        "FAILED", "Completed: read failure", 12345)
