# nasops.truenas: PRIVATE, internal use only. Not a public API; it may change without notice.
# Copyright (c) nasops contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""System facts (``system.info``): version, host name, uptime, memory, CPU and load."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ansible_collections.nasops.truenas.plugins.module_utils._resource import Field, Resource
from ansible_collections.nasops.truenas.plugins.module_utils._resources.dataset import iso_date


def _loadavg(value):
    if not isinstance(value, (list, tuple)):
        return None
    return [float(item) for item in value]


class SystemResource(Resource):
    NAME = "system"
    NAMESPACE = "system"
    RESULT_KEY = "system"
    IDENTITY = ()
    FIELDS = (
        Field("version", output_only=True),
        Field("hostname", output_only=True),
        Field("uptime", output_only=True),
        Field("uptime_seconds", output_only=True),
        Field("boottime", output_only=True, from_api=iso_date),
        Field("datetime", output_only=True, from_api=iso_date),
        Field("buildtime", output_only=True, from_api=iso_date),
        Field("timezone", output_only=True),
        Field("loadavg", output_only=True, from_api=_loadavg),
        Field("system_product", output_only=True),
        Field("system_product_version", output_only=True),
        Field("system_manufacturer", output_only=True),
        Field("system_serial", output_only=True),
    )

    def normalize(self, record, caps=None):
        result = Resource.normalize(self, record, caps)
        result["memory"] = {"total": record.get("physmem"), "ecc": record.get("ecc_memory")}
        result["cpu"] = {"model": record.get("model"), "cores": record.get("cores"),
                         "physical_cores": record.get("physical_cores")}
        return result

    def gather(self, client, params):
        """The normalised ``system.info`` record."""
        return self.normalize(client.call("system.info"), client.caps)
