# nasops.truenas: PRIVATE, internal use only. Not a public API; it may change without notice.
# Copyright (c) nasops contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Descriptor of periodic snapshot tasks (``pool.snapshottask``); one shape on 25.04, 25.10 and 26.

A task is identified by its dataset and naming schema. The checks TrueNAS makes (the naming
schema holds ``%Y %m %d %H %M``; ``exclude`` needs ``recursive`` and lists descendants; cron
syntax of the schedule) are made here first, so bad input fails before any call.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import re

from ansible_collections.nasops.truenas.plugins.module_utils._compare import OptionError
from ansible_collections.nasops.truenas.plugins.module_utils._resource import Field, Resource
from ansible_collections.nasops.truenas.plugins.module_utils._resources.dataset import valid_dataset_name

DEFAULT_NAMING_SCHEMA = "auto-%Y-%m-%d_%H-%M"
LIFETIME_UNITS = ("HOUR", "DAY", "WEEK", "MONTH", "YEAR")
SCHEDULE_KEYS = ("minute", "hour", "dom", "month", "dow", "begin", "end")
_CRON_RANGES = {"minute": (0, 59), "hour": (0, 23), "dom": (1, 31), "month": (1, 12), "dow": (0, 7)}
_CRON_NAMES = {"month": "jan feb mar apr may jun jul aug sep oct nov dec".split(),
               "dow": "sun mon tue wed thu fri sat".split()}
_TIME = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")
_SCHEMA_CHARS = re.compile(r"[^0-9A-Za-z %_.:-]")


def parse_dataset(value):
    value = value.strip()
    if value.startswith("/mnt/"):
        value = value[len("/mnt/"):]
    return valid_dataset_name(value)


def parse_naming_schema(value):
    """The check zettarepl makes on the server (every date part present, snapshot-name characters)."""
    for token in ("%Y", "%m", "%d", "%H", "%M"):
        if not re.search("(^|[^%])" + token, value):
            raise ValueError("%s must be present in the naming schema (got %r)" % (token, value))
    bad = sorted(set(_SCHEMA_CHARS.findall(value)))
    if bad:
        raise ValueError("%r has characters not allowed in snapshot names: %s" % (value, " ".join(bad)))
    return value


def parse_lifetime_value(value):
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError("must be a whole number of lifetime units, 1 or more, got %r" % (value,))
    return value


def _cron_atom_ok(key, atom):
    low, high = _CRON_RANGES[key]
    return atom.lower() in _CRON_NAMES.get(key, ()) or (atom.isdigit() and low <= int(atom) <= high)


def cron_field_ok(key, value):
    """Cron syntax of one field: ``*``, numbers (or month/day names), ranges, lists, steps."""
    if not value:
        return False
    for part in value.split(","):
        base, _sep, step = part.partition("/")
        if step and not (step.isdigit() and int(step) > 0):
            return False
        if base == "*":
            continue
        first, _sep, last = base.partition("-")
        if not _cron_atom_ok(key, first) or (last and not _cron_atom_ok(key, last)):
            return False
    return True


def parse_schedule(value):
    """A cron-style schedule dict; numbers become strings, as TrueNAS stores them."""
    if not isinstance(value, dict):
        raise ValueError("must be a dictionary with keys among %s" % ", ".join(SCHEDULE_KEYS))
    unknown = sorted(set(value) - set(SCHEDULE_KEYS))
    if unknown:
        raise ValueError("unknown keys %s; use %s" % (", ".join(unknown), ", ".join(SCHEDULE_KEYS)))
    schedule = {}
    for key, item in value.items():
        if item is None:
            continue
        if isinstance(item, bool) or not isinstance(item, (str, int)):
            raise ValueError("%s must be a string or a number, got %r" % (key, item))
        text = str(item).strip()
        if key in ("begin", "end"):
            if not _TIME.match(text):
                raise ValueError("%s must be a time of day as HH:MM, got %r" % (key, item))
        elif not cron_field_ok(key, text):
            low, high = _CRON_RANGES[key]
            raise ValueError("%s %r is not cron syntax (*, %d-%d, ranges a-b, lists a,b, steps */n)" % (key, item, low, high))
        schedule[key] = text
    return schedule


class SnapshotTaskResource(Resource):
    NAME = "snapshot task"
    NAMESPACE = "pool.snapshottask"
    RESULT_KEY = "snapshot_task"
    IDENTITY = ("dataset", "naming_schema")
    ERROR_PREFIXES = ("data", "periodic_snapshot_create", "periodic_snapshot_update")
    FIELDS = (
        Field("dataset", parse=parse_dataset),
        Field("naming_schema", parse=parse_naming_schema),
        Field("recursive"),
        Field("exclude", compare="set"),
        Field("lifetime_value", parse=parse_lifetime_value),
        Field("lifetime_unit", compare="ienum", parse=lambda v: v.upper()),
        Field("schedule", compare="subset", parse=parse_schedule),
        Field("allow_empty"),
        Field("enabled"),
        Field("vmware_sync", output_only=True),
        Field("state", output_only=True),
    )

    def label(self, params):
        dataset = params.get("dataset")
        schema = params.get("naming_schema") or DEFAULT_NAMING_SCHEMA
        return "'%s' (%s)" % (dataset, schema) if dataset else ""

    def validate(self, desired, params):
        exclude = desired.get("exclude") or []
        if exclude and desired.get("recursive") is False:
            raise OptionError("exclude", "needs recursive=true: only recursive tasks can exclude child datasets")
        dataset = desired.get("dataset")
        for item in exclude:
            if not isinstance(item, str) or not item.startswith("%s/" % dataset):
                raise OptionError("exclude", "%r is not a child dataset of %s; list descendants such as %s/tmp"
                                  % (item, dataset, dataset))

    def create_params(self, ctx):
        data = self.payload(ctx.desired)
        if data.get("exclude") and "recursive" not in data:
            raise OptionError("exclude", "needs recursive=true: only recursive tasks can exclude child datasets")
        return [data]

    def update_params(self, ctx, record, changes):
        if changes.get("exclude") and not ctx.desired.get("recursive", record.get("recursive")):
            raise OptionError("exclude", "needs recursive=true: the task on %s is not recursive" % record.get("dataset"))
        return [record[self.PRIMARY_KEY], self.payload(changes)]
