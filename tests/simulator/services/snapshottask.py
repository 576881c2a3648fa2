"""Periodic snapshot tasks: ``pool.snapshottask.query|get_instance|create|update|delete``.

The same shape on every profile (25.04, 25.10, 26). Entries are the stored task plus ``state``
(zettarepl's view, ``{"state": "PENDING"}`` until a run) and ``vmware_sync`` (always false: the
simulator has no VMware hosts).

Server-side rules (``methods-more.md`` and the middleware's ``_validate``): the dataset must exist
(``Dataset not found``); ``exclude`` needs ``recursive`` and lists descendants of the dataset;
``naming_schema`` must hold ``%Y %m %d %H %M`` (zettarepl's check, a pydantic value error);
``schedule`` fields must be cron syntax and ``begin``/``end`` ``HH:MM``. Validation attributes are
``periodic_snapshot_create.<field>`` / ``periodic_snapshot_update.<field>``, model errors
``data.<field>``.

Stored state, ``state.data["snapshot_tasks"][<id>]``: the entry without ``state``/``vmware_sync``.

Seed section::

    snapshot_tasks:
      - {dataset: tank/vms, naming_schema: "auto-%Y-%m-%d_%H-%M", schedule: {minute: "0", hour: "*"}}
"""
import copy
import errno
import re

from ..errors import ValidationErrors
from ..registry import method, seed_loader
from . import dataset as storage
from .sharing import F, check_id, check_model, emit, get_instance, query_items, raise_errors, save, take_args

KIND = "snapshot_tasks"
COLLECTION = "pool.snapshottask.query"
UNITS = ["HOUR", "DAY", "WEEK", "MONTH", "YEAR"]

CRON = {
    "minute": F("str", default="00"),
    "hour": F("str", default="*"),
    "dom": F("str", default="*"),
    "month": F("str", default="*"),
    "dow": F("str", default="*"),
    "begin": F("str", default="00:00"),
    "end": F("str", default="23:59"),
}

FIELDS = {
    "dataset": F("str"),
    "recursive": F("bool", default=False),
    "lifetime_value": F("int", default=2),
    "lifetime_unit": F("str", default="WEEK", choices=UNITS),
    "enabled": F("bool", default=True),
    "exclude": F("list", default=[], items=F("str")),
    "naming_schema": F("str", default="auto-%Y-%m-%d_%H-%M"),
    "allow_empty": F("bool", default=True),
    "schedule": F("model", default=None, model=CRON, model_name="PoolSnapshotTaskCron"),
}

# minimum and maximum of each cron field; names are accepted for months and weekdays
_CRON_RANGES = {"minute": (0, 59), "hour": (0, 23), "dom": (1, 31), "month": (1, 12), "dow": (0, 7)}
_CRON_NAMES = {"month": "jan feb mar apr may jun jul aug sep oct nov dec".split(),
               "dow": "sun mon tue wed thu fri sat".split()}
_TIME_RE = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")


def tasks(state):
    return state.data.setdefault(KIND, {})


def _cron_atom(field, atom):
    low, high = _CRON_RANGES[field]
    names = _CRON_NAMES.get(field, [])
    if atom.lower() in names:
        return True
    return atom.isdigit() and low <= int(atom) <= high


def cron_field_ok(field, value):
    """Cron syntax of one field: ``*``, numbers, ranges, lists and steps (``*/15``, ``1-5``)."""
    if not isinstance(value, str) or not value.strip():
        return False
    for part in value.split(","):
        base, _sep, step = part.partition("/")
        if step and not (step.isdigit() and int(step) > 0):
            return False
        if base == "*":
            continue
        first, _sep, last = base.partition("-")
        if not _cron_atom(field, first) or (last and not _cron_atom(field, last)):
            return False
    return True


def naming_schema_problem(schema):
    """zettarepl's naming-schema check: the message, or None."""
    for token in ("%Y", "%m", "%d", "%H", "%M"):
        if not re.search("(^|[^%])" + token, schema):
            return "%s must be present in snapshot naming schema" % token
    if "/" in schema or "@" in schema:
        return "%s is not an allowed character in ZFS snapshot name" % ("/" if "/" in schema else "@")
    return None


def _validate(state, data, schema):
    verrors = []
    if not storage.dataset_exists(state, data["dataset"]) or storage.is_volume(state, data["dataset"]):
        verrors.append(("%s.dataset" % schema, "Dataset not found"))
    if not data["recursive"] and data["exclude"]:
        verrors.append(("%s.exclude" % schema,
                        "Excluding datasets is not necessary for non-recursive periodic snapshot tasks"))
    for i, item in enumerate(data["exclude"]):
        if not item.startswith(data["dataset"] + "/"):
            verrors.append(("%s.exclude.%d" % (schema, i),
                            "Excluded dataset should be a child or other descendant of the selected dataset"))
    raise_errors(verrors)


def _check(data, partial):
    """Model checks (pydantic messages, ``data.<field>``), including the value validators."""
    errors = []
    clean = check_model(FIELDS, data, "data", errors, partial=partial)
    raise_errors(errors)
    if "naming_schema" in clean:
        problem = naming_schema_problem(clean["naming_schema"])
        if problem:
            errors.append(("data.naming_schema", "Value error, %s" % problem))
    schedule = clean.get("schedule")
    if isinstance(schedule, dict):
        if not all(cron_field_ok(f, schedule[f]) for f in _CRON_RANGES if f in schedule):
            errors.append(("data.schedule", "Value error, Please ensure fields match cron syntax"))
        for key in ("begin", "end"):
            if key in schedule and not _TIME_RE.match(schedule[key]):
                errors.append(("data.schedule.%s" % key, "Value error, Time should be in HH:MM format"))
    raise_errors(errors)
    return clean


def _full_schedule(schedule):
    out = dict((key, field.default) for key, field in CRON.items())
    out.update(schedule or {})
    return out


def _entry(rec):
    entry = copy.deepcopy(rec)
    entry["state"] = {"state": "PENDING"}
    entry["vmware_sync"] = False
    return entry


def entries(state):
    return [_entry(rec) for _key, rec in sorted(tasks(state).items(), key=lambda item: int(item[0]))]


def _get(ctx, ident):
    return get_instance(ctx, entries(ctx.state), ident, "PeriodicSnapshotTask")


@method("pool.snapshottask.query")
def snapshottask_query(ctx, filters=None, options=None):
    return query_items(ctx, entries(ctx.state), filters, options)


@method("pool.snapshottask.get_instance")
def snapshottask_get_instance(ctx, id_, options=None):
    return get_instance(ctx, entries(ctx.state), id_, "PeriodicSnapshotTask", options)


@method("pool.snapshottask.create", schema=False)
def snapshottask_create(ctx, *args):
    (data,) = take_args(args, ["data"], {})
    if not isinstance(data, dict):
        raise ValidationErrors([("data", "Input should be a valid dictionary or instance of PoolSnapshotTaskCreate",
                                 errno.EINVAL)])
    clean = _check(data, partial=False)
    clean["schedule"] = _full_schedule(clean["schedule"])
    _validate(ctx.state, clean, "periodic_snapshot_create")
    ident = ctx.state.next_id(KIND)
    rec = {"id": ident}
    rec.update(clean)
    tasks(ctx.state)[str(ident)] = rec
    save(ctx)
    entry = _entry(rec)
    emit(ctx, COLLECTION, "ADDED", ident, entry)
    return entry


@method("pool.snapshottask.update", schema=False)
def snapshottask_update(ctx, *args):
    id_, data = take_args(args, ["id", "data"], {"data": {}})
    check_id(id_)
    old = _get(ctx, id_)
    if not isinstance(data, dict):
        raise ValidationErrors([("data", "Input should be a valid dictionary or instance of PoolSnapshotTaskUpdate",
                                 errno.EINVAL)])
    data = dict(data)
    data.pop("fixate_removal_date", None)
    patch = _check(data, partial=True)
    new = dict((key, copy.deepcopy(old[key])) for key in FIELDS)
    if "schedule" in patch:
        schedule = dict(new["schedule"])
        schedule.update(patch.pop("schedule") or {})
        new["schedule"] = schedule
    new.update(patch)
    _validate(ctx.state, new, "periodic_snapshot_update")
    rec = {"id": old["id"]}
    rec.update(new)
    tasks(ctx.state)[str(old["id"])] = rec
    save(ctx)
    entry = _entry(rec)
    emit(ctx, COLLECTION, "CHANGED", old["id"], entry)
    return entry


@method("pool.snapshottask.delete")
def snapshottask_delete(ctx, id_, options=None):
    check_id(id_)
    rec = _get(ctx, id_)
    del tasks(ctx.state)[str(rec["id"])]
    save(ctx)
    emit(ctx, COLLECTION, "REMOVED", rec["id"])
    return True


def delete_for_datasets(state, names):
    """Drop the tasks of deleted datasets (called when a pool is exported with ``cascade``)."""
    table = tasks(state)
    for key in [k for k, rec in table.items() if rec["dataset"] in names
                or any(rec["dataset"].startswith(n + "/") for n in names)]:
        del table[key]


@seed_loader
def load_snapshot_tasks(state, seed):
    """Fill ``state.data["snapshot_tasks"]`` from the ``snapshot_tasks`` seed section (an empty table
    without one, so that reading the tasks never changes the state)."""
    tasks(state)
    for entry in seed.get("snapshot_tasks") or []:
        errors = []
        clean = check_model(FIELDS, dict(entry), "snapshot_tasks", errors)
        if errors:
            raise ValueError("seed snapshot_tasks: %s" % errors)
        clean["schedule"] = _full_schedule(clean["schedule"])
        ident = state.next_id(KIND)
        rec = {"id": ident}
        rec.update(clean)
        tasks(state)[str(ident)] = rec
