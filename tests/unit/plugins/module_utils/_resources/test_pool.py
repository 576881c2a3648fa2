# Copyright (c) nasops contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The pool descriptor: normalisation of pool.query entries (sizes, fragmentation, scan, topology).

Also home of ``pool_record`` (a pool.query entry shaped like TrueNAS sends it), used by the module
tests.
"""

import datetime

import pytest

from ansible_collections.nasops.truenas.plugins.module_utils._compare import OptionError
from ansible_collections.nasops.truenas.plugins.module_utils._resources import pool as pl
from ansible_collections.nasops.truenas.plugins.module_utils._resources.pool import PoolResource

STARTED = datetime.datetime(2025, 9, 28, 0, 0, tzinfo=datetime.timezone.utc)
ENDED = datetime.datetime(2025, 9, 28, 2, 10, tzinfo=datetime.timezone.utc)


def _stats(read=0, write=0, checksum=0):
    return {"timestamp": 1, "read_errors": read, "write_errors": write, "checksum_errors": checksum,
            "ops": [0] * 7, "bytes": [0] * 7, "size": 0, "allocated": 0, "fragmentation": 0}


def leaf(disk, status="ONLINE", read=0):
    return {"name": "uuid-" + disk, "type": "DISK", "path": "/dev/disk/by-partuuid/uuid-" + disk, "guid": "g-" + disk,
            "status": status, "stats": _stats(read=read), "children": [], "device": disk + "1", "disk": disk,
            "unavail_disk": None}


def mirror(name, *children, status="ONLINE"):
    return {"name": name, "type": "MIRROR", "path": None, "guid": "g-" + name, "status": status, "stats": _stats(),
            "children": list(children), "unavail_disk": None}


def pool_record(name, ident, data, spare=(), status="ONLINE", healthy=True, scan=None, fragmentation="3"):
    """A pool.query entry as TrueNAS 25.10 sends it (the client has decoded the dates)."""
    scanned = scan if scan is not None else {
        "function": "SCRUB", "state": "FINISHED", "start_time": STARTED, "end_time": ENDED, "percentage": 100.0,
        "bytes_to_process": 1000, "bytes_processed": 1000, "bytes_issued": 1000, "pause": None, "errors": 0,
        "total_secs_left": None}
    return {
        "id": ident, "name": name, "guid": "99" + str(ident), "status": status, "path": "/mnt/" + name,
        "scan": scanned, "expand": None, "is_upgraded": False, "healthy": healthy, "warning": False,
        "status_code": "OK" if healthy else "FAULTED_DEV_R", "status_detail": None if healthy else "One or more devices",
        "size": 8000000000000, "allocated": 1000000000, "free": 7999000000000, "freeing": 0,
        "dedup_table_size": 0, "dedup_table_quota": "auto", "fragmentation": fragmentation,
        "size_str": "8000000000000", "allocated_str": "1000000000", "free_str": "7999000000000", "freeing_str": "0",
        "autotrim": {"parsed": "off", "rawvalue": "off", "source": "DEFAULT", "value": "off"},
        "topology": {"data": list(data), "log": [], "cache": [], "spare": list(spare), "special": [], "dedup": []},
    }


def offline_record(name, ident):
    record = pool_record(name, ident, [])
    record.update({"status": "OFFLINE", "scan": None, "healthy": False, "status_code": None, "size": None,
                   "allocated": None, "free": None, "freeing": None, "fragmentation": None, "topology": None})
    return record


def test_normalize_mirror_pool():
    record = pool_record("tank", 1, [mirror("mirror-0", leaf("sda"), leaf("sdb", read=2))], spare=[leaf("sdc", "AVAIL")])
    result = PoolResource().normalize(record)
    assert result == {
        "id": 1, "name": "tank", "guid": "991", "status": "ONLINE", "healthy": True, "warning": False,
        "status_code": "OK", "status_detail": None, "path": "/mnt/tank", "size": 8000000000000,
        "allocated": 1000000000, "free": 7999000000000, "freeing": 0, "fragmentation": 3, "autotrim": False,
        "scan": {"function": "SCRUB", "state": "FINISHED", "start_time": "2025-09-28T00:00:00+00:00",
                 "end_time": "2025-09-28T02:10:00+00:00", "percentage": 100.0, "errors": 0, "paused": False},
        "topology": {
            "data": [{"name": "mirror-0", "type": "MIRROR", "status": "ONLINE", "guid": "g-mirror-0",
                      "errors": {"read": 0, "write": 0, "checksum": 0},
                      "disks": [{"disk": "sda", "device": "sda1", "path": "/dev/disk/by-partuuid/uuid-sda",
                                 "status": "ONLINE", "guid": "g-sda", "errors": {"read": 0, "write": 0, "checksum": 0}},
                                {"disk": "sdb", "device": "sdb1", "path": "/dev/disk/by-partuuid/uuid-sdb",
                                 "status": "ONLINE", "guid": "g-sdb", "errors": {"read": 2, "write": 0, "checksum": 0}}]}],
            "log": [], "cache": [],
            "spare": [{"name": "uuid-sdc", "type": "DISK", "status": "AVAIL", "guid": "g-sdc",
                       "errors": {"read": 0, "write": 0, "checksum": 0},
                       "disks": [{"disk": "sdc", "device": "sdc1", "path": "/dev/disk/by-partuuid/uuid-sdc",
                                  "status": "AVAIL", "guid": "g-sdc", "errors": {"read": 0, "write": 0, "checksum": 0}}]}],
            "special": [], "dedup": [],
        },
        "disks": ["sda", "sdb", "sdc"],
    }


def test_nested_vdevs_are_flattened_to_their_disks():
    replacing = {"name": "replacing-1", "type": "REPLACING", "status": "DEGRADED", "guid": "r", "stats": _stats(),
                 "children": [leaf("sdb", "FAULTED"), leaf("sdd")]}
    record = pool_record("tank", 1, [mirror("mirror-0", leaf("sda"), replacing, status="DEGRADED")], healthy=False)
    result = PoolResource().normalize(record)
    assert [d["disk"] for d in result["topology"]["data"][0]["disks"]] == ["sda", "sdb", "sdd"]
    assert [d["status"] for d in result["topology"]["data"][0]["disks"]] == ["ONLINE", "FAULTED", "ONLINE"]
    assert result["healthy"] is False


def test_never_scanned_pools_have_a_null_scan_in_every_version():
    keys = ("function", "state", "start_time", "end_time", "percentage", "bytes_to_process", "bytes_processed",
            "bytes_issued", "pause", "errors", "total_secs_left")
    never = dict((key, None) for key in keys)
    expected = {"function": None, "state": None, "start_time": None, "end_time": None, "percentage": None,
                "errors": None, "paused": None}
    assert pl.scan_value(never) == expected
    assert pl.scan_value(None) == expected


def test_scan_dates_as_ejson_and_paused():
    scan = {"function": "SCRUB", "state": "SCANNING", "start_time": {"$date": 1759017600000}, "end_time": None,
            "percentage": 40.5, "errors": 0, "pause": {"$date": 1759018600000}}
    assert pl.scan_value(scan) == {"function": "SCRUB", "state": "SCANNING", "start_time": "2025-09-28T00:00:00+00:00",
                                   "end_time": None, "percentage": 40.5, "errors": 0, "paused": True}


def test_offline_pool():
    result = PoolResource().normalize(offline_record("cold", 3))
    assert result["status"] == "OFFLINE"
    assert result["topology"] is None
    assert result["disks"] == []
    assert result["fragmentation"] is None and result["size"] is None


@pytest.mark.parametrize("value, expected", [("3", 3), ("0", 0), (None, None), ("", None), (17, 17), ("12.0", 12)])
def test_fragmentation(value, expected):
    assert pl.fragmentation_value(value) == expected


def test_gather_rejects_bad_names(fake_client):
    with pytest.raises(OptionError) as err:
        PoolResource().gather(fake_client, {"name": ["tank/a"]})
    assert str(err.value) == "name: entries must be pool names such as tank, got 'tank/a'"
    assert fake_client.calls == []
