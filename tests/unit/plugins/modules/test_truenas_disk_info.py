# Copyright (c) nasops contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""truenas_disk_info through the fake client."""

from ansible_collections.nasops.truenas.plugins.module_utils._errors import TrueNASUnsupportedError
from ansible_collections.nasops.truenas.plugins.modules import truenas_disk_info

MAIN = truenas_disk_info.main


def disk(name, serial, pool, size=4000787030016, dtype="HDD"):
    return {"identifier": "{serial}" + serial, "name": name, "subsystem": "SCSI", "number": 2048, "serial": serial,
            "lunid": None, "size": size, "description": "", "transfermode": "Auto", "hddstandby": "ALWAYS ON",
            "advpowermgmt": "DISABLED", "expiretime": None, "model": "WDC WD40EFRX", "rotationrate": 5400 if dtype == "HDD" else None,
            "type": dtype, "zfs_guid": "g-" + name if pool else None, "bus": "ATA", "devname": name, "enclosure": None,
            "pool": pool, "passwd": "", "kmip_uid": None}


DISKS = [disk("sdb", "S2", "tank"), disk("sda", "S1", "tank"), disk("nvme0n1", "N1", None, 1000204886016, "SSD")]
TESTS = [
    {"disk": "sda", "current_test": None, "tests": [
        {"num": 1, "description": "Short offline", "status": "SUCCESS", "status_verbose": "Completed without error",
         "segment_number": None, "remaining": 0.0, "lifetime": 21004, "lba_of_first_error": None},
        {"num": 2, "description": "Extended offline", "status": "FAILED", "status_verbose": "Completed: read failure",
         "segment_number": None, "remaining": 0.0, "lifetime": 20000, "lba_of_first_error": 1234}]},
    {"disk": "sdb", "current_test": None, "tests": []},
]


def serve(client, temperatures=None, smart=None):
    client.respond("disk.query", lambda filters, options: [
        d for d in DISKS if not filters or d["name"] in filters[0][2]])
    client.respond("disk.temperatures", temperatures if temperatures is not None else
                   (lambda names: {"sda": 33, "sdb": None, "nvme0n1": 41}))
    client.respond("smart.test.results", smart if smart is not None else
                   (lambda filters, options: [t for t in TESTS if t["disk"] in filters[0][2]]))


def test_all_disks(run_module, fake_client):
    fake_client.set_version("25.04.2.6")
    serve(fake_client)
    result = run_module(MAIN, {})
    assert result["changed"] is False
    assert [d["name"] for d in result["disks"]] == ["sda", "sdb", "nvme0n1"]
    assert fake_client.methods == ["disk.query", "disk.temperatures", "smart.test.results"]
    assert fake_client.calls[0].params == [[], {"extra": {"pools": True}}]
    assert fake_client.calls[1].params == [["sdb", "sda", "nvme0n1"]]
    sda = result["disks"][0]
    assert sda == {
        "name": "sda", "identifier": "{serial}S1", "serial": "S1", "model": "WDC WD40EFRX", "size": 4000787030016,
        "type": "HDD", "rotationrate": 5400, "bus": "ATA", "description": "", "zfs_guid": "g-sda", "pool": "tank",
        "expiretime": None, "temperature": 33,
        "last_smart_test": {"description": "Short offline", "status": "SUCCESS", "status_verbose": "Completed without error",
                            "lifetime": 21004, "remaining": 0.0, "lba_of_first_error": None},
    }
    assert result["disks"][1]["temperature"] is None and result["disks"][1]["last_smart_test"] is None
    assert result["disks"][2]["pool"] is None and result["disks"][2]["temperature"] == 41


def test_named_disks_without_extras(run_module, fake_client):
    serve(fake_client)
    result = run_module(MAIN, {"name": ["sda", "zzz"], "include_temperature": False, "include_smart": False})
    assert [d["name"] for d in result["disks"]] == ["sda"]
    assert fake_client.methods == ["disk.query"]
    assert fake_client.calls[0].params[0] == [["name", "in", ["sda", "zzz"]]]
    assert result["disks"][0]["temperature"] is None


def test_no_smart_call_from_25_10(run_module, fake_client):
    for version in ("25.10.5", "26.0.0"):
        fake_client.set_version(version)
        fake_client.calls[:] = []
        serve(fake_client)
        result = run_module(MAIN, {"name": ["sda"]})
        assert fake_client.methods == ["disk.query", "disk.temperatures"]
        assert result["disks"][0]["last_smart_test"] is None and result["disks"][0]["temperature"] == 33


def test_servers_without_temperature_or_smart_calls(run_module, fake_client):
    fake_client.set_version("25.04.2.6")
    serve(fake_client, temperatures=TrueNASUnsupportedError("disk.temperatures: method does not exist on this TrueNAS version"),
          smart=TrueNASUnsupportedError("smart.test.results: method does not exist on this TrueNAS version"))
    result = run_module(MAIN, {"name": ["sda"]})
    assert "failed" not in result
    assert result["disks"][0]["temperature"] is None
    assert result["disks"][0]["last_smart_test"] is None


def test_temperatures_with_thresholds(run_module, fake_client):
    serve(fake_client, temperatures={"sda": {"temperature": 35, "crit": None, "warn": None}})
    result = run_module(MAIN, {"name": ["sda"], "include_smart": False})
    assert result["disks"][0]["temperature"] == 35


def test_bad_name(run_module, fake_client):
    result = run_module(MAIN, {"name": ["/dev/sda"]})
    assert result["failed"] is True
    assert result["msg"] == "name: entries must be disk names such as sda or nvme0n1, got '/dev/sda'"
    assert fake_client.calls == []
