# nasops.truenas: PRIVATE, internal use only. Not a public API; it may change without notice.
# Copyright (c) nasops contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""System facts (``system.info``): version, host name, uptime, memory, CPU and load; on request
available updates (``update.status`` from 25.10, ``update.check_available`` before, as declared by
the ``update_status_method`` capability; never applying one), alerts (``alert.list``) and realtime
statistics (one event of the ``reporting.realtime`` event source)."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ansible_collections.nasops.truenas.plugins.module_utils._errors import (
    TrueNASAuthError,
    TrueNASConnectionError,
    TrueNASError,
)
from ansible_collections.nasops.truenas.plugins.module_utils._resource import Field, Resource
from ansible_collections.nasops.truenas.plugins.module_utils._resources.dataset import iso_date


def _loadavg(value):
    if not isinstance(value, (list, tuple)):
        return None
    return [float(item) for item in value]


ALERT_KEYS = ("uuid", "klass", "level", "text", "source", "node", "key", "dismissed", "one_shot")


def updates_value(method, raw):
    """One shape for both releases: ``status`` AVAILABLE, UNAVAILABLE, REBOOT_REQUIRED or ERROR."""
    raw = raw if isinstance(raw, dict) else {}
    if method == "update.status":
        status = raw.get("status") or {}
        new = status.get("new_version") or None
        error = raw.get("error") or None
        if raw.get("code") == "ERROR":
            code = "REBOOT_REQUIRED" if (error or {}).get("errname") == "EREBOOTREQUIRED" else "ERROR"
        else:
            code = "AVAILABLE" if new else "UNAVAILABLE"
        return {"status": code, "available": bool(new), "version": new.get("version") if new else None,
                "train": (status.get("current_version") or {}).get("train"),
                "release_notes_url": new.get("release_notes_url") if new else None, "error": error}
    code = raw.get("status") or "UNAVAILABLE"
    notes = raw.get("notes") if isinstance(raw.get("notes"), dict) else {}
    return {"status": code, "available": code == "AVAILABLE", "version": raw.get("version"), "train": None,
            "release_notes_url": notes.get("ReleaseNotes"), "error": raw.get("error")}


REALTIME = "reporting.realtime"


def stats_value(fields):
    """One ``reporting.realtime`` event -> cpu, memory, network, disks, pools and zfs."""
    fields = fields if isinstance(fields, dict) else {}
    cpu = fields.get("cpu") or {}
    total = cpu.get("cpu") or {}
    cores = sorted((k for k in cpu if k != "cpu" and k[3:].isdigit()), key=lambda k: int(k[3:]))
    network = {}
    for name, item in sorted((fields.get("interfaces") or {}).items()):
        item = item or {}
        network[name] = {"link_up": item.get("link_state") == "LINK_STATE_UP", "speed": item.get("speed"),
                         "received_bytes_rate": item.get("received_bytes_rate"),
                         "sent_bytes_rate": item.get("sent_bytes_rate")}
    return {
        "cpu": {"usage": total.get("usage"), "temperature": total.get("temp"),
                "cores": [(cpu.get(k) or {}).get("usage") for k in cores]},
        "memory": dict(fields.get("memory") or {}),
        "network": network,
        "disks": dict(fields.get("disks") or {}),
        "pools": dict(fields.get("pools") or {}),
        "zfs": dict(fields.get("zfs") or {}),
    }


def alert_value(raw):
    alert = dict((key, raw.get(key)) for key in ALERT_KEYS)
    alert["datetime"] = iso_date(raw.get("datetime"))
    alert["last_occurrence"] = iso_date(raw.get("last_occurrence"))
    return alert


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
        """The normalised ``system.info`` record, plus ``updates``, ``alerts`` and ``stats`` when asked for."""
        result = self.normalize(client.call("system.info"), client.caps)
        if params.get("include_updates"):
            result["updates"] = self.updates(client)
        if params.get("include_alerts"):
            alerts = [alert_value(a) for a in client.call("alert.list") or []]
            if not params.get("include_dismissed_alerts"):
                alerts = [a for a in alerts if not a["dismissed"]]
            result["alerts"] = alerts
        if params.get("include_stats"):
            event = client.next_event(REALTIME, params.get("stats_timeout") or None)
            result["stats"] = stats_value(event.get("fields"))
        return result

    @staticmethod
    def updates(client):
        """Available updates; read only: nothing is downloaded or applied."""
        method = client.caps.update_status_method
        try:
            raw = client.call(method)
        except (TrueNASConnectionError, TrueNASAuthError):
            raise
        except TrueNASError as exc:
            # update.status never fails (it reports code ERROR); the 25.04 check does when the update
            # server cannot be reached: report it the same way.
            raw = {"status": "ERROR", "error": {"errname": exc.errname or "EFAULT", "reason": str(exc)}}
        return updates_value(method, raw)
