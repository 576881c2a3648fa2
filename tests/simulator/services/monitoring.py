"""Updates and alerts: ``update.status`` (25.10+), ``update.check_available`` (25.04) and ``alert.list``.

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
