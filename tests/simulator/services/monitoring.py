"""Updates, alerts and realtime statistics: ``update.status`` (25.10+), ``update.check_available``
(25.04), ``alert.list`` and the ``reporting.realtime`` event source (see the end of this file).

``update.status`` never raises (``methods-more.md``): a failure is ``code: ERROR`` with
``{errname, reason}``. 25.04 has no ``update.status``; its ``update.check_available`` answers
``{"status": "AVAILABLE"|"UNAVAILABLE"|"REBOOT_REQUIRED", "version": ..., ...}`` (removed in 25.10).
``alert.list`` returns every alert, dismissed ones too, by level descending.

Seed sections::

    update:
      available: true          # a newer patch release of the profile's version is offered
      train: TrueNAS-SCALE-Goldeye
      error: null              # or {errname: ENONET, reason: "..."}: update.status reports ERROR
    alerts:
      - {klass: PoolNotRedundant, level: WARNING, text: "...", dismissed: false, datetime: "2025-09-30T10:00:00Z"}

Stored as ``state.data["update"]`` and ``state.data["alerts"][<key>]`` (``pool.scrub.run`` adds
``ScrubNotStarted`` alerts there too).
"""
import datetime
import hashlib
import time
import uuid

from .. import registry
from ..registry import method, seed_loader

LEVELS = ("CRITICAL", "ERROR", "WARNING", "NOTICE", "INFO")
OLD = ("25.04",)
NEW = ("25.10", "26")


def _epoch(value, default=None):
    if value is None:
        return default
    if isinstance(value, (int, float)):
        return int(value)
    when = datetime.datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    if when.tzinfo is None:
        when = when.replace(tzinfo=datetime.timezone.utc)
    return int(when.timestamp())


@seed_loader
def load_monitoring(state, seed):
    section = seed.get("update") or {}
    state.data["update"] = {"available": bool(section.get("available", False)),
                            "train": section.get("train", "TrueNAS-SCALE-Stable"),
                            "error": section.get("error")}
    alerts = state.data.setdefault("alerts", {})
    for index, entry in enumerate(seed.get("alerts") or []):
        key = entry.get("key") or "%s:%d" % (entry["klass"], index)
        alerts[key] = {"klass": entry["klass"], "level": str(entry.get("level", "WARNING")).upper(),
                       "text": entry.get("text", entry["klass"]), "args": entry.get("args"),
                       "dismissed": bool(entry.get("dismissed", False)),
                       "datetime": _epoch(entry.get("datetime"), int(time.time()))}


def _next_version(profile):
    parts = profile.product_version.split(".")
    parts[-1] = str(int(parts[-1]) + 1) if parts[-1].isdigit() else parts[-1]
    return ".".join(parts)


@method("update.status", profiles=NEW)
def update_status(ctx):
    """The update state: current train and, when offered, the new version (never an error reply)."""
    info = ctx.state.data.get("update") or {}
    if info.get("error"):
        error = info["error"]
        return {"code": "ERROR", "status": None, "update_download_progress": None,
                "error": {"errname": error.get("errname", "EFAULT"), "reason": error.get("reason", "")}}
    new = None
    if info.get("available"):
        version = _next_version(ctx.profile)
        new = {"version": version, "manifest": {"version": version, "train": info.get("train")},
               "release_notes": None,
               "release_notes_url": "https://www.truenas.com/docs/scale/%s/gettingstarted/scalereleasenotes/" % version}
    return {"code": "NORMAL", "error": None, "update_download_progress": None,
            "status": {"current_version": {"train": info.get("train", "TrueNAS-SCALE-Stable"), "profile": "GENERAL",
                                           "matches_profile": True},
                       "new_version": new}}


@method("update.check_available", profiles=OLD, schema=False)
def update_check_available(ctx, attrs=None):
    """25.04: ``{"status": AVAILABLE|UNAVAILABLE|REBOOT_REQUIRED, ...}``."""
    info = ctx.state.data.get("update") or {}
    if info.get("error"):
        if info["error"].get("errname") == "EREBOOTREQUIRED":
            return {"status": "REBOOT_REQUIRED"}
        from ..errors import CallError
        raise CallError(info["error"].get("reason") or "Update server unreachable")
    if not info.get("available"):
        return {"status": "UNAVAILABLE"}
    version = _next_version(ctx.profile)
    return {"status": "AVAILABLE", "version": version, "filename": "TrueNAS-SCALE-%s.update" % version,
            "filesize": 1717986918, "checksum": hashlib.sha256(version.encode()).hexdigest(), "changes": [],
            "notice": None, "notes": {"ReleaseNotes": "https://www.truenas.com/docs/scale/"}, "changelog": ""}


def _alert_entry(ctx, key, alert):
    when = {"$date": int(alert.get("datetime") or time.time()) * 1000}
    hostname = ((ctx.state.data.get("system") or {}).get("config") or {}).get("hostname", "truenas")
    return {
        "uuid": str(uuid.uuid5(uuid.NAMESPACE_URL, "truenas-sim-alert:" + key)), "source": "", "klass": alert["klass"],
        "args": alert.get("args"), "node": hostname, "key": key, "datetime": when, "last_occurrence": when,
        "dismissed": bool(alert.get("dismissed")), "mail": None, "text": alert.get("text", ""),
        "id": str(uuid.uuid5(uuid.NAMESPACE_URL, "truenas-sim-alert-id:" + key)),
        "level": alert.get("level", "WARNING"), "formatted": alert.get("text", ""), "one_shot": False,
    }


@method("alert.list")
def alert_list(ctx):
    """Every alert (dismissed too), by level descending."""
    alerts = ctx.state.data.get("alerts") or {}
    entries = [_alert_entry(ctx, key, dict({"level": "WARNING", "datetime": None}, **alert))
               for key, alert in alerts.items()]
    return sorted(entries, key=lambda a: (LEVELS.index(a["level"]) if a["level"] in LEVELS else len(LEVELS),
                                          a["datetime"]["$date"]))


# ---------------------------------------------------------------------------------------------
# reporting.realtime: an event source (``core.subscribe("reporting.realtime")`` or
# ``"reporting.realtime:{\"interval\": 5}"``); every ``interval`` seconds (default 2, minimum 2;
# shortened by ``state.data["realtime_interval"]`` for tests) a ``collection_update`` with msg
# ``added`` and the statistics in ``fields``, to the subscribing connection only, until it
# unsubscribes or closes. Values are plausible and vary per tick; they are not measured.

REALTIME = "reporting.realtime"


def _wave(seed, tick, low, high):
    """A deterministic value between ``low`` and ``high`` that changes every tick."""
    digest = hashlib.sha256(("%s/%d" % (seed, tick)).encode()).digest()
    return low + (high - low) * digest[0] / 255.0


def realtime_fields(state, tick):
    from . import pool as pools_service
    config = ((state.data.get("system") or {}).get("config") or {})
    cores = int(config.get("cores") or 4)
    cpu = {"cpu": {"usage": round(_wave("cpu", tick, 2, 35), 2), "temp": round(_wave("temp", tick, 38, 52), 1)}}
    for index in range(cores):
        cpu["cpu%d" % index] = {"usage": round(_wave("cpu%d" % index, tick, 0, 60), 2), "temp": None}
    physmem = int(config.get("physmem") or 8 * 1024 ** 3)
    arc = physmem // 2
    memory = {"arc_size": arc, "arc_free_memory": physmem // 8, "arc_available_memory": physmem // 6,
              "physical_memory_total": physmem, "physical_memory_available": int(physmem * _wave("mem", tick, 0.3, 0.4))}
    network = ((state.data.get("network") or {}).get("config") or {})
    names = [i["name"] for i in network.get("interfaces") or [{"name": "enp1s0"}]]
    names += [b["name"] for b in network.get("bridges") or []]
    interfaces = dict((name, {"link_state": "LINK_STATE_UP", "speed": 10000,
                              "received_bytes_rate": round(_wave("rx" + name, tick, 1e3, 5e6), 1),
                              "sent_bytes_rate": round(_wave("tx" + name, tick, 1e3, 2e6), 1)}) for name in names)
    disks = {"busy": round(_wave("busy", tick, 0, 20), 2), "read_bytes": round(_wave("rb", tick, 0, 8e7), 1),
             "write_bytes": round(_wave("wb", tick, 0, 4e7), 1), "read_ops": round(_wave("ro", tick, 0, 800), 1),
             "write_ops": round(_wave("wo", tick, 0, 400), 1)}
    zfs_keys = ("demand_accesses_per_second", "demand_data_accesses_per_second",
                "demand_metadata_accesses_per_second", "demand_data_hits_per_second", "demand_data_io_hits_per_second",
                "demand_data_misses_per_second", "demand_data_hit_percentage", "demand_data_io_hit_percentage",
                "demand_data_miss_percentage", "demand_metadata_hits_per_second",
                "demand_metadata_io_hits_per_second", "demand_metadata_misses_per_second",
                "demand_metadata_hit_percentage", "demand_metadata_io_hit_percentage",
                "demand_metadata_miss_percentage", "l2arc_hits_per_second", "l2arc_misses_per_second",
                "total_l2arc_accesses_per_second", "l2arc_access_hit_percentage", "l2arc_miss_percentage",
                "bytes_read_per_second_from_the_l2arc", "bytes_written_per_second_to_the_l2arc")
    hit = int(_wave("hit", tick, 90, 99))
    zfs = dict((key, int(_wave(key, tick, 0, 5000))) for key in zfs_keys)
    zfs.update(demand_data_hit_percentage=hit, demand_data_miss_percentage=100 - hit,
               demand_metadata_hit_percentage=hit, demand_metadata_miss_percentage=100 - hit)
    pools = {}
    for rec in pools_service.pools(state).values():
        if rec.get("status") == "OFFLINE":
            continue
        allocated = min(_storage_usage(state, rec["name"]), int(rec["size"]))
        pools[rec["name"]] = {"total": int(rec["size"]), "used": allocated, "available": int(rec["size"]) - allocated}
    return {"cpu": cpu, "memory": memory, "interfaces": interfaces, "disks": disks, "zfs": zfs, "pools": pools}


def _storage_usage(state, name):
    from . import dataset
    return dataset.pool_usage(state, name)[0]


def _interval(event):
    import json
    _name, _sep, args = event.partition(":")
    interval = 2
    if args:
        try:
            interval = int(json.loads(args).get("interval", 2))
        except (ValueError, AttributeError, TypeError):
            interval = 2
    return max(2, interval)


@registry.event_source(REALTIME)
def start_realtime(ctx, event, sub_id):
    import asyncio
    from ..server import ejson_dumps
    conn = ctx.connection
    state = ctx.state
    interval = _interval(event)

    async def produce():
        tick = 0
        while not conn.closed and sub_id in conn.subscriptions:
            await asyncio.sleep(float(state.data.get("realtime_interval") or interval))
            if conn.closed or sub_id not in conn.subscriptions:
                break
            fields = realtime_fields(state, tick)
            tick += 1
            conn.send(ejson_dumps({"jsonrpc": "2.0", "method": "collection_update",
                                   "params": {"msg": "added", "collection": REALTIME, "fields": fields}}))

    asyncio.get_event_loop().create_task(produce())
