# nasops.truenas: PRIVATE, internal use only. Not a public API; it may change without notice.
# Copyright (c) nasops contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Descriptor of disks (``disk.query``), read only, with temperatures (``disk.temperatures``) and
the newest SMART self-test (``smart.test.results``) where the server reports them.

TrueNAS 25.10 removed SMART from its public API (``smart.test.*`` do not exist there); the SMART
call is made only where capability ``smart_tests`` says the release has it."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ansible_collections.nasops.truenas.plugins.module_utils._errors import TrueNASUnsupportedError
from ansible_collections.nasops.truenas.plugins.module_utils._resource import Field, Resource
from ansible_collections.nasops.truenas.plugins.module_utils._resources.dataset import iso_date
from ansible_collections.nasops.truenas.plugins.module_utils._resources.pool import name_list


def temperature_value(value):
    """``disk.temperatures`` gives degrees, or ``{"temperature": ...}`` with thresholds."""
    if isinstance(value, dict):
        value = value.get("temperature")
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return value


def smart_test_value(test):
    if not isinstance(test, dict):
        return None
    return {"description": test.get("description"), "status": test.get("status"),
            "status_verbose": test.get("status_verbose"), "lifetime": test.get("lifetime"),
            "remaining": test.get("remaining"), "lba_of_first_error": test.get("lba_of_first_error")}


class DiskResource(Resource):
    NAME = "disk"
    NAMESPACE = "disk"
    RESULT_KEY = "disks"
    IDENTITY = ("name",)
    FIELDS = (
        Field("name"),
        Field("identifier", output_only=True),
        Field("serial", output_only=True),
        Field("model", output_only=True),
        Field("size", output_only=True),
        Field("type", output_only=True),
        Field("rotationrate", output_only=True),
        Field("bus", output_only=True),
        Field("description", output_only=True),
        Field("zfs_guid", output_only=True),
        Field("pool", output_only=True),
        Field("expiretime", output_only=True, from_api=iso_date),
    )

    def gather(self, client, params):
        """Normalised disks: all, or those named in ``params["name"]`` (unknown names are skipped)."""
        names = name_list(params.get("name"), "disk names such as sda or nvme0n1", "/")
        filters = [["name", "in", names]] if names else []
        rows = client.query("disk.query", filters, {"extra": {"pools": True}}) or []
        disks = [self.normalize(row, client.caps) for row in rows]
        found = [disk["name"] for disk in disks]
        temperatures = {}
        tests = {}
        if found and params.get("include_temperature", True):
            temperatures = self._optional(client.call, "disk.temperatures", found) or {}
        if found and params.get("include_smart", True) and client.caps.smart_tests:
            for item in self._optional(client.query, "smart.test.results", [["disk", "in", found]]) or []:
                if isinstance(item, dict) and item.get("tests"):
                    tests[item.get("disk")] = item["tests"][0]
        for disk in disks:
            disk["temperature"] = temperature_value(temperatures.get(disk["name"]))
            disk["last_smart_test"] = smart_test_value(tests.get(disk["name"]))
        return sorted(disks, key=lambda disk: (len(disk["name"]), disk["name"]))

    @staticmethod
    def _optional(function, method, *params):
        """A call whose method some TrueNAS versions lack: None there instead of an error."""
        try:
            return function(method, *params)
        except TrueNASUnsupportedError:
            return None
