# Copyright (c) nasops contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""truenas_system_info through the fake client."""

import datetime

from ansible_collections.nasops.truenas.plugins.module_utils._errors import TrueNASConnectionError
from ansible_collections.nasops.truenas.plugins.modules import truenas_system_info

MAIN = truenas_system_info.main
UTC = datetime.timezone.utc
INFO = {
    "version": "25.10.5", "buildtime": datetime.datetime(2025, 10, 1, tzinfo=UTC), "hostname": "nas1",
    "physmem": 68719476736, "model": "AMD EPYC 7302P 16-Core Processor", "cores": 32, "physical_cores": 16,
    "loadavg": [0.12, 0.2, 0.18], "uptime": "3 days, 4:05:06.12", "uptime_seconds": 273906.12,
    "system_serial": "S1", "system_product": "X10", "system_product_version": "1.0", "license": None,
    "boottime": datetime.datetime(2025, 10, 12, 8, 0, tzinfo=UTC), "datetime": datetime.datetime(2025, 10, 15, 12, 5, 6, tzinfo=UTC),
    "timezone": "Europe/Berlin", "system_manufacturer": "Supermicro", "ecc_memory": True,
}


def test_system_facts(run_module, fake_client):
    fake_client.respond("system.info", INFO)
    result = run_module(MAIN, {}, check_mode=True)
    assert result["changed"] is False
    assert fake_client.methods == ["system.info"]
    assert result["system"] == {
        "version": "25.10.5", "hostname": "nas1", "uptime": "3 days, 4:05:06.12", "uptime_seconds": 273906.12,
        "boottime": "2025-10-12T08:00:00+00:00", "datetime": "2025-10-15T12:05:06+00:00",
        "buildtime": "2025-10-01T00:00:00+00:00", "timezone": "Europe/Berlin", "loadavg": [0.12, 0.2, 0.18],
        "system_product": "X10", "system_product_version": "1.0", "system_manufacturer": "Supermicro",
        "system_serial": "S1", "memory": {"total": 68719476736, "ecc": True},
        "cpu": {"model": "AMD EPYC 7302P 16-Core Processor", "cores": 32, "physical_cores": 16},
    }


def test_connection_failure(run_module, fake_client):
    fake_client.respond("system.info", TrueNASConnectionError("could not connect to nas.example.test:443: refused"))
    result = run_module(MAIN, {})
    assert result["failed"] is True
    assert result["msg"] == "Failed to read the system facts: could not connect to nas.example.test:443: refused"


def test_update_shapes_are_one_vocabulary():
    from ansible_collections.nasops.truenas.plugins.module_utils._resources.system import updates_value

    new = {"code": "NORMAL", "error": None, "status": {
        "current_version": {"train": "T", "profile": "GENERAL", "matches_profile": True},
        "new_version": {"version": "25.10.6", "manifest": {}, "release_notes": None, "release_notes_url": "u"}}}
    assert updates_value("update.status", new) == {"status": "AVAILABLE", "available": True, "version": "25.10.6",
                                                   "train": "T", "release_notes_url": "u", "error": None}
    reboot = {"code": "ERROR", "status": None, "error": {"errname": "EREBOOTREQUIRED", "reason": "reboot"}}
    assert updates_value("update.status", reboot)["status"] == "REBOOT_REQUIRED"
    assert updates_value("update.check_available", {"status": "UNAVAILABLE"})["available"] is False
    assert updates_value("update.check_available", {"status": "AVAILABLE", "version": "25.04.3"})["version"] == "25.04.3"


def test_updates_follow_the_version(run_module, fake_client):
    fake_client.set_version("25.04.2.6")
    fake_client.respond("system.info", {"version": "25.04.2.6"})
    fake_client.respond("update.check_available", {"status": "REBOOT_REQUIRED"})
    result = run_module(MAIN, {"include_updates": True})
    assert fake_client.methods == ["system.info", "update.check_available"]
    assert result["system"]["updates"]["status"] == "REBOOT_REQUIRED"
    assert result["changed"] is False


def test_stats_come_from_one_realtime_event(run_module, fake_client):
    fake_client.respond("system.info", {"version": "25.10.5"})
    seen = []

    def next_event(collection, timeout=None):
        seen.append((collection, timeout))
        return {"msg": "added", "collection": collection, "fields": {
            "cpu": {"cpu": {"usage": 5.0, "temp": None}, "cpu1": {"usage": 2.0}, "cpu0": {"usage": 8.0}},
            "memory": {"physical_memory_total": 100}, "interfaces": {"eth0": {"link_state": "LINK_STATE_DOWN"}},
            "disks": {"busy": 1.0}, "pools": {}, "zfs": {}}}

    fake_client.next_event = next_event
    result = run_module(MAIN, {"include_stats": True, "stats_timeout": 7})
    assert seen == [("reporting.realtime", 7)]
    stats = result["system"]["stats"]
    assert stats["cpu"] == {"usage": 5.0, "temperature": None, "cores": [8.0, 2.0]}
    assert stats["network"]["eth0"]["link_up"] is False
    assert result["changed"] is False
