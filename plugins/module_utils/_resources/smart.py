# nasops.truenas: PRIVATE, internal use only. Not a public API; it may change without notice.
# Copyright (c) nasops contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""SMART self-tests: run them now (:class:`SmartTestRun`, an action) and periodic test tasks
(:class:`SmartScheduleResource`, ``smart.test`` CRUD through the engine).

TrueNAS removed SMART from its public API in 25.10 (the ``smart_tests`` capability): on later
releases both fail before any SMART call with a message naming the release.

Disks are given by name or serial, or as ``[all]`` (every disk TrueNAS can test). The API speaks
disk identifiers (``{serial}...``); they are looked up with ``disk.query`` /
``smart.test.disk_choices``.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import time

from ansible_collections.nasops.truenas.plugins.module_utils._compare import OptionError
from ansible_collections.nasops.truenas.plugins.module_utils._errors import TrueNASError, TrueNASUnsupportedError
from ansible_collections.nasops.truenas.plugins.module_utils._resource import Field, Resource
from ansible_collections.nasops.truenas.plugins.module_utils._resources.dataset import iso_date
from ansible_collections.nasops.truenas.plugins.module_utils._resources.snapshot_task import cron_field_ok
from ansible_collections.nasops.truenas.plugins.module_utils._waiter import Waiter

TYPES = ("SHORT", "LONG", "CONVEYANCE", "OFFLINE")
SCHEDULE_KEYS = ("hour", "dom", "month", "dow")
ALL = "all"
WAIT_MARGIN = 60
RESULT_KEYS = ("description", "status", "status_verbose", "lifetime", "lba_of_first_error")


def require_smart(caps):
    """Raise TrueNASUnsupportedError (before any SMART call) on TrueNAS 25.10 and later."""
    if not caps.smart_tests:
        raise TrueNASUnsupportedError(
            "SMART tests and their schedules were removed from the TrueNAS API in TrueNAS 25.10, and this server runs "
            "%s; truenas_smart_test works with TrueNAS 25.04 (on later releases SMART is managed in the TrueNAS UI)"
            % caps.version_string)


def parse_disks(value):
    if not isinstance(value, list) or not value:
        raise OptionError("disks", "must list disk names or serial numbers, or be [all]")
    if any(isinstance(v, str) and v.lower() == ALL for v in value):
        if len(value) > 1:
            raise OptionError("disks", "'all' cannot be combined with disk names")
        return ALL
    out = []
    for item in value:
        if not isinstance(item, str) or not item.strip():
            raise OptionError("disks", "entries must be disk names or serial numbers, got %r" % (item,))
        if item.strip() not in out:
            out.append(item.strip())
    return out


def parse_type(value):
    text = str(value).upper()
    if text not in TYPES:
        raise ValueError("must be one of %s, got %r" % (", ".join(TYPES), value))
    return text


def parse_smart_schedule(value):
    if not isinstance(value, dict):
        raise ValueError("must be a dictionary with keys among %s" % ", ".join(SCHEDULE_KEYS))
    out = {}
    for key, item in value.items():
        if item is None:
            continue
        if key not in SCHEDULE_KEYS:
            raise ValueError("unknown key %s; SMART schedules use %s (tests start on the hour)"
                             % (key, ", ".join(SCHEDULE_KEYS)))
        text = str(item).strip()
        if not cron_field_ok(key, text):
            raise ValueError("%s %r is not cron syntax (*, numbers, ranges a-b, lists a,b, steps */n)" % (key, item))
        out[key] = text
    return out


class DiskMap:
    """Disk names, serials and identifiers of one server."""

    def __init__(self, rows):
        self.rows = [r for r in rows or [] if isinstance(r, dict)]
        self.by_name = dict((r.get("name"), r) for r in self.rows)
        self.by_serial = dict((r.get("serial"), r) for r in self.rows if r.get("serial"))
        self.by_identifier = dict((r.get("identifier"), r) for r in self.rows)

    def resolve(self, items):
        """Disk names of ``items`` (names or serials); OptionError naming unknown ones."""
        names = []
        for item in items:
            row = self.by_name.get(item) or self.by_serial.get(item)
            if row is None:
                raise OptionError("disks", "disk %r was not found by name or serial; disks: %s"
                                  % (item, ", ".join(sorted(self.by_name))))
            if row["name"] not in names:
                names.append(row["name"])
        return names

    def identifier(self, name):
        return self.by_name[name]["identifier"]

    def name(self, identifier):
        row = self.by_identifier.get(identifier)
        return row["name"] if row else identifier


class SmartTestRun:
    """Start SMART self-tests now, optionally wait for their results. Starting a test is a change
    (a test is an action); a disk that already runs a self-test is not started again but followed
    (its entry says ``already_running``). In check mode nothing is started."""

    def __init__(self, waiter=None, clock=time.time):
        self.waiter = waiter
        self.clock = clock
        self.changed = False
        self.action = None

    def run(self, client, params, check_mode=False):
        """``(changed, result)``; raises OptionError or TrueNASError."""
        disks = parse_disks(params.get("disks"))
        test_type = parse_type(params.get("type") or "SHORT")
        if params.get("wait_timeout") is not None and params["wait_timeout"] <= 0:
            raise OptionError("wait_timeout", "must be a positive number of seconds")
        require_smart(client.caps)
        self.action = "look up the disks"
        disk_map = DiskMap(client.query("disk.query"))
        if disks == ALL:
            names = sorted(client.call("smart.test.disk_choices").values(), key=lambda n: (len(n), n))
        else:
            self.action = None
            names = disk_map.resolve(disks)
        before = self._results(client, names)
        # A disk runs one self-test at a time: one already running is followed, not started again.
        running = [n for n in names if (before.get(n) or {}).get("current_test")]
        planned = [{"disk": n, "identifier": disk_map.identifier(n), "type": test_type} for n in names
                   if n not in running]
        followed = [{"disk": n, "identifier": disk_map.identifier(n), "type": test_type, "expected_result_time": None,
                     "job_id": None, "error": None, "result": None, "already_running": True} for n in running]
        if check_mode:
            tests = [dict(p, expected_result_time=None, job_id=None, error=None, result=None, already_running=False)
                     for p in planned]
            return bool(planned), {"type": test_type, "tests": tests + followed}
        started = []
        if planned:
            self.action = "start %s SMART tests on %s" % (test_type, ", ".join(p["disk"] for p in planned))
            started = client.call("smart.test.manual_test", [{"identifier": p["identifier"], "type": test_type}
                                                             for p in planned]) or []
            self.changed = True
        tests = []
        for answer in started:
            tests.append({"disk": answer.get("disk"), "identifier": answer.get("identifier"), "type": test_type,
                          "expected_result_time": iso_date(answer.get("expected_result_time")),
                          "job_id": answer.get("job"), "error": answer.get("error"), "result": None,
                          "already_running": False})
        tests.extend(followed)
        refused = [t for t in tests if t["error"]]
        if refused:
            raise TrueNASError("SMART test not started on %s" % "; ".join(
                "%s: %s" % (t["disk"], t["error"]) for t in refused))
        result = {"type": test_type, "tests": tests}
        if params.get("wait"):
            self._wait(client, names, started, before, params.get("wait_timeout"))
            latest = self._results(client, names)
            for test in tests:
                entry = latest.get(test["disk"]) or {}
                newest = (entry.get("tests") or [None])[0]
                test["result"] = dict((k, newest.get(k)) for k in RESULT_KEYS) if newest else None
            result["passed"] = all(t["result"] and t["result"]["status"] == "SUCCESS" for t in tests)
        if params.get("include_attributes"):
            self.action = "read SMART attributes"
            for test in tests:
                test["attributes"] = client.call("disk.smart_attributes", test["disk"])
        self.action = None
        return self.changed, result

    @staticmethod
    def _results(client, names):
        rows = client.query("smart.test.results", [["disk", "in", names]]) or []
        return dict((row.get("disk"), row) for row in rows if isinstance(row, dict))

    def _wait(self, client, names, started, before, timeout):
        """Poll the self-test logs until every disk's test is over (a new entry, no test running)."""
        ends = [a.get("expected_result_time") for a in started if isinstance(a.get("expected_result_time"), dict)]
        now_ms = self.clock() * 1000
        estimate = max([(e["$date"] - now_ms) / 1000.0 for e in ends] + [0.0])
        if timeout is None:
            timeout = estimate * 1.1 + WAIT_MARGIN
        interval = min(max(estimate / 20.0, 0.5), 30.0)
        counts = dict((n, len((before.get(n) or {}).get("tests") or [])) for n in names)

        def done(rows):
            return all(rows.get(n) and rows[n].get("current_test") is None
                       and len(rows[n].get("tests") or []) > counts[n] for n in names)

        self.action = "wait for the SMART tests on %s (estimated %d s)" % (", ".join(names), int(estimate))
        waiter = self.waiter or Waiter()
        waiter.wait(lambda: self._results(client, names), done, timeout, interval=interval,
                    what="the SMART tests to finish")


class SmartScheduleResource(Resource):
    """A periodic SMART test task, identified by its type and its disks (or all disks)."""

    NAME = "SMART test schedule"
    NAMESPACE = "smart.test"
    RESULT_KEY = "smart_test"
    IDENTITY = ("type", "disks")
    ERROR_PREFIXES = ("smart_test_create", "smart_test_update", "smart_test", "data")
    FIELDS = (
        Field("type", parse=parse_type),
        Field("disks", compare="set"),
        Field("schedule", compare="subset", parse=parse_smart_schedule),
        Field("description", api="desc"),
    )

    def __init__(self):
        Resource.__init__(self)
        self.disk_map = DiskMap([])

    def label(self, params):
        disks = params.get("disks") or []
        return "%s on %s" % (str(params.get("type") or "SHORT").upper(), ", ".join(disks))

    def desired(self, params):
        desired = Resource.desired(self, params)
        desired["disks"] = parse_disks(params.get("disks"))
        return desired

    def find(self, ctx):
        ctx.action = None  # a refusal of this release, not a failed look-up
        require_smart(ctx.caps)
        ctx.action = "look up %s" % ctx.what
        self.disk_map = DiskMap(ctx.client.query("disk.query"))
        disks = ctx.desired["disks"]
        if disks != ALL:
            ctx.action = None
            ctx.desired["disks"] = disks = self.disk_map.resolve(disks)
        wanted = None if disks == ALL else set(self.disk_map.identifier(n) for n in disks)
        for task in ctx.client.query("smart.test.query", [["type", "=", ctx.desired["type"]]]) or []:
            if disks == ALL and task.get("all_disks"):
                return task
            if wanted is not None and not task.get("all_disks") and set(task.get("disks") or []) == wanted:
                return task
        return None

    def reread(self, ctx, record):
        if isinstance(record, dict) and record.get("id") is not None:
            return ctx.client.get_one("smart.test.query", [["id", "=", record["id"]]])
        return self.find(ctx)

    def normalize(self, record, caps=None):
        result = Resource.normalize(self, record, caps)
        result["disks"] = ALL if record.get("all_disks") else [self.disk_map.name(i) for i in record.get("disks") or []]
        return result

    def create_params(self, ctx):
        desired = ctx.desired
        data = {"type": desired["type"], "all_disks": desired["disks"] == ALL,
                "disks": [] if desired["disks"] == ALL else [self.disk_map.identifier(n) for n in desired["disks"]]}
        if "schedule" in desired:
            data["schedule"] = desired["schedule"]
        if "description" in desired:
            data["desc"] = desired["description"]
        return [data]
