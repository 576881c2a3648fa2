# nasops.truenas: PRIVATE, internal use only. Not a public API; it may change without notice.
# Copyright (c) nasops contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Descriptor of storage pools (``pool.query``), read only.

Records are normalised to plain values: sizes in bytes, ``fragmentation`` an int percent (TrueNAS
sends a string), timestamps as ISO-8601 text, and the topology as vdevs with their disks.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ansible_collections.nasops.truenas.plugins.module_utils._compare import OptionError
from ansible_collections.nasops.truenas.plugins.module_utils._resource import Field, Resource
from ansible_collections.nasops.truenas.plugins.module_utils._resources.dataset import (
    iso_date,
    light_query_options,
    prop_bytes,
    prop_value,
)

VDEV_CLASSES = ("data", "log", "cache", "spare", "special", "dedup")
LEAF_TYPES = ("DISK", "FILE")
SCAN_KEYS = ("function", "state", "start_time", "end_time", "percentage", "errors", "paused")


def _int_or_none(value):
    if value is None or isinstance(value, bool):
        return None
    try:
        return int(float(value))
    except (TypeError, ValueError):
        return None


def name_list(value, example, forbidden):
    """The ``name`` option of an info module: distinct names in order, none empty or containing
    a character of ``forbidden``; OptionError naming ``name`` otherwise."""
    names = []
    for item in value or []:
        if not isinstance(item, str) or not item or any(char in item for char in forbidden):
            raise OptionError("name", "entries must be %s, got %r" % (example, item))
        if item not in names:
            names.append(item)
    return names


def scan_value(scan):
    """The last or current scrub/resilver; every value null when the pool was never scanned."""
    result = dict((key, None) for key in SCAN_KEYS)
    if not isinstance(scan, dict) or scan.get("function") is None:
        return result
    result.update({
        "function": scan.get("function"),
        "state": scan.get("state"),
        "start_time": iso_date(scan.get("start_time")),
        "end_time": iso_date(scan.get("end_time")),
        "percentage": scan.get("percentage"),
        "errors": scan.get("errors"),
        "paused": scan.get("pause") is not None,
    })
    return result


def _leaves(vdev):
    if vdev.get("type") in LEAF_TYPES or not vdev.get("children"):
        return [vdev]
    found = []
    for child in vdev.get("children") or []:
        found.extend(_leaves(child))
    return found


def _errors(vdev):
    stats = vdev.get("stats") or {}
    return {"read": stats.get("read_errors", 0), "write": stats.get("write_errors", 0),
            "checksum": stats.get("checksum_errors", 0)}


def vdev_value(vdev):
    """A top-level vdev: name, type, status and its disks (a single-disk vdev holds itself)."""
    disks = []
    for leaf in _leaves(vdev):
        disks.append({"disk": leaf.get("disk"), "device": leaf.get("device"), "path": leaf.get("path"),
                      "status": leaf.get("status"), "guid": leaf.get("guid"), "errors": _errors(leaf)})
    return {"name": vdev.get("name"), "type": vdev.get("type"), "status": vdev.get("status"), "guid": vdev.get("guid"),
            "errors": _errors(vdev), "disks": disks}


def topology_value(topology):
    if not isinstance(topology, dict):
        return None
    return dict((cls, [vdev_value(v) for v in topology.get(cls) or []]) for cls in VDEV_CLASSES)


def fragmentation_value(value):
    return _int_or_none(value)


def autotrim_value(value):
    value = prop_value(value)
    return str(value).lower() == "on" if value is not None else None


class PoolResource(Resource):
    NAME = "pool"
    NAMESPACE = "pool"
    RESULT_KEY = "pools"
    IDENTITY = ("name",)
    FIELDS = (
        Field("name"),
        Field("guid", output_only=True),
        Field("status", output_only=True),
        Field("healthy", output_only=True),
        Field("warning", output_only=True),
        Field("status_code", output_only=True),
        Field("status_detail", output_only=True),
        Field("path", output_only=True),
        Field("size", output_only=True),
        Field("allocated", output_only=True),
        Field("free", output_only=True),
        Field("freeing", output_only=True),
        Field("fragmentation", output_only=True, from_api=fragmentation_value),
        Field("autotrim", output_only=True, from_api=autotrim_value),
        Field("scan", output_only=True),
        Field("topology", output_only=True, from_api=topology_value),
    )

    def normalize(self, record, caps=None):
        result = Resource.normalize(self, record, caps)
        result["scan"] = scan_value(record.get("scan"))
        topology = result.get("topology")
        disks = []
        for cls in VDEV_CLASSES:
            for vdev in (topology or {}).get(cls, []):
                disks.extend(d["disk"] for d in vdev["disks"] if d.get("disk") and d["disk"] not in disks)
        result["disks"] = disks
        return result

    def gather(self, client, params):
        """Normalised pools: all, or those named in ``params["name"]`` (unknown names are skipped)."""
        names = name_list(params.get("name"), "pool names such as tank", "/@")
        filters = [["name", "in", names]] if names else []
        pools = [self.normalize(row, client.caps) for row in client.query("pool.query", filters) or []]
        if params.get("include_root_dataset") and pools:
            rows = client.query("pool.dataset.query", [["id", "in", [p["name"] for p in pools]]],
                                light_query_options(["used", "available"]))
            roots = dict((row.get("id"), row) for row in rows or [])
            for pool in pools:
                row = roots.get(pool["name"])
                pool["root_dataset"] = ({"used": prop_bytes(row.get("used")), "available": prop_bytes(row.get("available"))}
                                        if row else None)
        return sorted(pools, key=lambda pool: pool["name"])
