"""SMART on the 25.04 profile: ``smart.test.manual_test``, ``smart.test.disk_choices``, the periodic test
tasks ``smart.test.query|get_instance|create|update|delete`` and ``disk.smart_attributes``.
TrueNAS removed all of these from its public API in 25.10 (``methods-more.md``), so they exist on
25.04 only.

A manual test runs for a simulated duration (per type, seconds; seed ``smart_durations`` of a
disk overrides them). ``manual_test`` answers at once with the expected end and the id of a
``smart.test.wait`` job that ends with the test (private in TrueNAS; callable here). When a
test ends it is added, newest first, to the disk's self-test log that ``smart.test.results``
reports (``current_test`` shows ``{"progress": percent}`` meanwhile). A disk with
``smart_fail: true`` in the seed fails its tests ("Completed: read failure").

Stored state: ``state.data["disks"][<name>]["smart_running"]`` (the running test) and
``state.data["smart_tasks"][<id>]`` (periodic tasks: schedule, desc, all_disks, disks, type).
"""
import errno
import time

from ..errors import InstanceNotFound, ValidationErrors
from .. import registry
from ..registry import method, seed_loader
from . import pool as pools_service

OLD = ("25.04",)
TYPES = ("LONG", "SHORT", "CONVEYANCE", "OFFLINE")
DURATIONS = {"SHORT": 1.0, "CONVEYANCE": 1.5, "OFFLINE": 2.0, "LONG": 3.0}
DESCRIPTIONS = {"SHORT": "Short offline", "LONG": "Extended offline", "CONVEYANCE": "Conveyance offline",
                "OFFLINE": "Offline"}
SCHEDULE_DEFAULTS = {"hour": "*", "dom": "*", "month": "*", "dow": "*"}
KIND = "smart_tasks"


def _disks(state):
    return pools_service.disks(state)


def _present(state):
    return dict((name, d) for name, d in _disks(state).items() if d.get("expiretime") is None)


def _by_identifier(state):
    return dict((pools_service._identifier(d), name) for name, d in _present(state).items())


def power_on_hours(disk):
    return 20000 + int(disk.get("number", 0)) % 1000


def settle(state, now=None):
    """Finish every running test whose time is up (adds it to the disk's self-test log)."""
    now = time.time() if now is None else now
    for disk in _disks(state).values():
        running = disk.get("smart_running")
        if running and now >= running["end"]:
            failed = bool(disk.get("smart_fail"))
            disk.setdefault("smart_tests", []).insert(0, {
                "description": DESCRIPTIONS[running["type"]], "status": "FAILED" if failed else "SUCCESS",
                "status_verbose": "Completed: read failure" if failed else "Completed without error",
                "lifetime": power_on_hours(disk), "lba_of_first_error": 123456 if failed else None,
            })
            disk["smart_running"] = None


def current_test(disk, now=None):
    """``{"progress": percent}`` of a running test, or None."""
    running = disk.get("smart_running")
    if not running:
        return None
    now = time.time() if now is None else now
    span = max(running["end"] - running["start"], 0.001)
    return {"progress": max(0, min(99, int(100 * (now - running["start"]) / span)))}


def _date(epoch):
    return {"$date": int(epoch * 1000)}


@method("smart.test.disk_choices", profiles=OLD)
def disk_choices(ctx, full_disk=False):
    """{identifier: name} (or the disk entry with ``full_disk``) of the disks that support SMART."""
    out = {}
    for name in sorted(_present(ctx.state), key=lambda n: (len(n), n)):
        disk = _disks(ctx.state)[name]
        ident = pools_service._identifier(disk)
        out[ident] = pools_service._disk_entry(ctx.state, name, {}) if full_disk else name
    return out


@method("smart.test.manual_test", profiles=OLD)
def manual_test(ctx, disks=None):
    """Start tests: ``[{identifier, type, mode}]`` -> ``[{disk, identifier, error, expected_result_time, job}]``."""
    state = ctx.state
    verrors = ValidationErrors()
    if not isinstance(disks, list):
        raise ValidationErrors([("disks", "Not a list", errno.EINVAL)])
    if not disks:
        verrors.add("disks", "Please specify at least one disk.")
    known = _by_identifier(state)
    for index, item in enumerate(disks):
        if not isinstance(item, dict) or "identifier" not in item:
            verrors.add("disks.%d.identifier" % index, "attribute required")
            continue
        if item.get("type") not in TYPES:
            verrors.add("disks.%d.type" % index, "Invalid choice: %s" % (item.get("type"),))
        if item["identifier"] not in known:
            verrors.add("disks.%d.identifier" % index,
                        "%s is not valid. Please provide a valid disk identifier." % item["identifier"])
    verrors.raise_if_any()
    settle(state)
    out = []
    now = time.time()
    for item in disks:
        name = known[item["identifier"]]
        disk = _disks(state)[name]
        if disk.get("smart_running"):
            out.append({"disk": name, "identifier": item["identifier"], "expected_result_time": None, "job": None,
                        "error": "Can't start a new self-test while one is in progress on %s" % name})
            continue
        seconds = float((disk.get("smart_durations") or {}).get(item["type"], DURATIONS[item["type"]]))
        disk["smart_running"] = {"type": item["type"], "start": now, "end": now + seconds}
        job = ctx.server.run_job(None, registry.lookup("smart.test.wait", ctx.profile.name, test_hooks=True),
                                 [name, now + seconds])
        out.append({"disk": name, "identifier": item["identifier"], "error": None,
                    "expected_result_time": _date(now + seconds), "job": job.id})
    _save(ctx)
    return out


@method("smart.test.wait", job=True, profiles=OLD, schema=False)
async def smart_wait(ctx, job, name, end):
    """Private in TrueNAS: follows the test of ``name`` until ``end`` (epoch seconds)."""
    while True:
        now = time.time()
        disk = _disks(ctx.state).get(name) or {}
        if now >= end or not disk.get("smart_running"):
            settle(ctx.state)
            job.set_progress(100, "SMART test finished")
            _save(ctx)
            return None
        job.set_progress((current_test(disk, now) or {"progress": 0})["progress"], "Waiting for SMART test")
        await job.sleep(min(0.2, max(0.01, end - now)))


def _save(ctx):
    saver = getattr(ctx.state, "save", None)
    if saver is not None:
        saver()


# ---- periodic tasks ------------------------------------------------------------------------


def tasks(state):
    return state.data.setdefault(KIND, {})


def _entries(state):
    return [dict(t, schedule=dict(t["schedule"]), disks=list(t["disks"]))
            for _k, t in sorted(tasks(state).items(), key=lambda kv: int(kv[0]))]


def _check(data, partial):
    errors = []
    if not isinstance(data, dict):
        raise ValidationErrors([("smart_test", "Not a dictionary", errno.EINVAL)])
    fields = {"schedule": dict, "desc": str, "all_disks": bool, "disks": list, "type": str}
    for key, value in data.items():
        if key not in fields:
            errors.append(("smart_test.%s" % key, "Field was not expected", errno.EINVAL))
        elif not isinstance(value, fields[key]):
            errors.append(("smart_test.%s" % key, "Not a %s" % fields[key].__name__, errno.EINVAL))
    if not partial and "type" not in data:
        errors.append(("smart_test.type", "attribute required", errno.EINVAL))
    if "type" in data and data["type"] not in TYPES:
        errors.append(("smart_test.type", "Invalid choice: %s" % data["type"], errno.EINVAL))
    schedule = data.get("schedule")
    if isinstance(schedule, dict):
        from .snapshottask import cron_field_ok
        for key, value in schedule.items():
            if key not in SCHEDULE_DEFAULTS:
                errors.append(("smart_test.schedule.%s" % key, "Field was not expected", errno.EINVAL))
            elif not cron_field_ok(key, value):
                errors.append(("smart_test.schedule", "Please ensure fields match cron syntax", errno.EINVAL))
    if errors:
        raise ValidationErrors(errors)


def _validate(state, data, schema, own_id=None):
    verrors = ValidationErrors()
    known = _by_identifier(state)
    if not data["disks"] and not data["all_disks"]:
        verrors.add("%s.disks" % schema, "This field is required")
    for index, ident in enumerate(data["disks"]):
        if ident not in known:
            verrors.add("%s.disks.%d" % (schema, index), "Invalid disk")
    for other in tasks(state).values():
        if other["id"] == own_id or other["type"] != data["type"]:
            continue
        if other["all_disks"]:
            verrors.add("%s.type" % schema, "There already is an all-disks %s test" % other["type"])
            break
        shared = [known[d] for d in other["disks"] if d in known and (data["all_disks"] or d in data["disks"])]
        if shared:
            verrors.add("%s.%s" % (schema, "type" if data["all_disks"] else "disks"),
                        "The following disks already have %s test: %s" % (other["type"], ", ".join(shared)))
            break
    verrors.raise_if_any()


@method("smart.test.query", profiles=OLD)
def task_query(ctx, filters=None, options=None):
    return ctx.query(_entries(ctx.state), filters, options)


@method("smart.test.get_instance", profiles=OLD)
def task_get_instance(ctx, ident, options=None):
    for entry in _entries(ctx.state):
        if entry["id"] == ident:
            return entry
    raise InstanceNotFound("SmartTest", ident)


@method("smart.test.create", profiles=OLD, schema=False)
def task_create(ctx, data=None):
    _check(data, partial=False)
    clean = {"schedule": dict(SCHEDULE_DEFAULTS, **(data.get("schedule") or {})), "desc": data.get("desc", ""),
             "all_disks": data.get("all_disks", False), "disks": list(data.get("disks") or []), "type": data["type"]}
    _validate(ctx.state, clean, "smart_test_create")
    ident = ctx.state.next_id(KIND)
    tasks(ctx.state)[str(ident)] = dict(clean, id=ident)
    _save(ctx)
    return task_get_instance(ctx, ident)


@method("smart.test.update", profiles=OLD, schema=False)
def task_update(ctx, ident=None, data=None):
    old = task_get_instance(ctx, ident)
    data = data or {}
    _check(data, partial=True)
    new = dict(old)
    new.update(data)
    new["schedule"] = dict(old["schedule"], **(data.get("schedule") or {}))
    _validate(ctx.state, new, "smart_test_update", own_id=old["id"])
    tasks(ctx.state)[str(old["id"])] = new
    _save(ctx)
    return task_get_instance(ctx, ident)


@method("smart.test.delete", profiles=OLD)
def task_delete(ctx, ident=None):
    old = task_get_instance(ctx, ident)
    del tasks(ctx.state)[str(old["id"])]
    _save(ctx)
    return True


# ---- attributes ----------------------------------------------------------------------------


def _attribute(ident, name, value, worst, thresh, raw, flags="-O--CK"):
    return {"id": ident, "name": name, "value": value, "worst": worst, "thresh": thresh, "pretty": str(raw),
            "raw": {"value": raw, "string": str(raw)}, "flags": {"string": flags, "prefailure": "P" in flags},
            "when_failed": ""}


@method("disk.smart_attributes", profiles=OLD)
def smart_attributes(ctx, name=None):
    """ATA SMART attributes of disk ``name`` (a few, consistent with the disk's seed)."""
    disk = _present(ctx.state).get(name)
    if disk is None:
        raise ValidationErrors([("name", "Disk %s not found" % name, errno.ENOENT)])
    failing = bool(disk.get("smart_fail"))
    return [
        _attribute(1, "Raw_Read_Error_Rate", 200, 200, 51, 7 if failing else 0, "POSR-K"),
        _attribute(5, "Reallocated_Sector_Ct", 140 if failing else 200, 140 if failing else 200, 140,
                   24 if failing else 0, "PO--CK"),
        _attribute(9, "Power_On_Hours", 72, 72, 0, power_on_hours(disk)),
        _attribute(194, "Temperature_Celsius", 117, 100, 0, disk.get("temperature") or 0, "-O---K"),
        _attribute(197, "Current_Pending_Sector", 200, 200, 0, 3 if failing else 0, "-O--CK"),
    ]


@seed_loader
def load_smart_tasks(state, seed):
    """An empty table of periodic SMART tests, so that reading them never changes the state."""
    tasks(state)
