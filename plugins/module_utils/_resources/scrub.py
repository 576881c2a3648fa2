# nasops.truenas: PRIVATE, internal use only. Not a public API; it may change without notice.
# Copyright (c) nasops contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Descriptor of a pool's scrubs: the periodic scrub task (``pool.scrub`` CRUD, one per pool) and
the scrub itself as an action (``start``, ``pause``, ``stop``) converged from the pool's ``scan``.

The task is identified by its pool (name in options, id in the API). TrueNAS creates one with its
defaults for every new pool; ``state=absent`` deletes it.

Actions are idempotent: ``start`` is a change unless a scrub is running (a paused one is
resumed); ``pause`` only when a scrub runs unpaused; ``stop`` only when one runs or is paused.
``pool.scrub`` is a job that lasts as long as a started scrub: with ``wait`` it is followed to the
end; without, ``pool.scrub.scrub`` (the same action by pool name) is called and only its job id is
kept, so the scrub carries on in the background.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ansible_collections.nasops.truenas.plugins.module_utils._compare import OptionError
from ansible_collections.nasops.truenas.plugins.module_utils._resource import Field, Resource
from ansible_collections.nasops.truenas.plugins.module_utils._resources.pool import scan_value
from ansible_collections.nasops.truenas.plugins.module_utils._resources.snapshot_task import parse_schedule

SCHEDULE_KEYS = ("minute", "hour", "dom", "month", "dow")
ACTIONS = ("start", "pause", "stop")


def parse_scrub_schedule(value):
    if isinstance(value, dict) and (value.get("begin") is not None or value.get("end") is not None):
        raise ValueError("scrub schedules have no begin/end window; use %s" % ", ".join(SCHEDULE_KEYS))
    return parse_schedule(value)


def parse_threshold(value):
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValueError("must be a number of days, 0 or more, got %r" % (value,))
    return value


def scan_state(scan):
    """``running``, ``paused`` or ``idle`` from a pool's normalised scan."""
    if scan.get("function") == "SCRUB" and scan.get("state") == "SCANNING":
        return "paused" if scan.get("paused") else "running"
    return "idle"


class ScrubResource(Resource):
    NAME = "scrub task"
    NAMESPACE = "pool.scrub"
    RESULT_KEY = "scrub"
    IDENTITY = ("pool",)
    ERROR_PREFIXES = ("data", "pool_scrub_create", "pool_scrub_update")
    JOBS = frozenset(["pool.scrub"])
    FIELDS = (
        Field("pool", api="pool_name"),
        Field("threshold", parse=parse_threshold),
        Field("description"),
        Field("schedule", compare="subset", parse=parse_scrub_schedule),
        Field("enabled"),
        Field("scan", output_only=True, from_api=scan_value),
    )

    def __init__(self):
        Resource.__init__(self)
        self.job_id = None

    def label(self, params):
        return "of pool '%s'" % params.get("pool") if params.get("pool") else ""

    def validate(self, desired, params):
        if params.get("action") and params.get("state") == "absent":
            raise OptionError("action", "cannot be combined with state=absent")
        if params.get("wait") and params.get("action") != "start":
            raise OptionError("wait", "only applies to action=start")
        if (params.get("wait_timeout") or 0) <= 0:
            raise OptionError("wait_timeout", "must be a positive number of seconds")

    def _pool(self, ctx):
        pool = ctx.client.get_one("pool.query", [["name", "=", ctx.desired["pool"]]])
        if pool is None:
            ctx.action = None  # a wrong option, not a failed look-up
            raise OptionError("pool", "pool '%s' does not exist" % ctx.desired["pool"])
        return pool

    def _with_scan(self, raw, pool):
        if raw is None:
            return None
        return dict(raw, pool_name=pool["name"], scan=pool.get("scan"))

    def find(self, ctx):
        self._pool_record = pool = self._pool(ctx)
        raw = ctx.client.get_one("pool.scrub.query", [["pool", "=", pool["id"]]])
        return self._with_scan(raw, pool)

    def reread(self, ctx, record):
        self._pool_record = pool = self._pool(ctx)
        ident = record.get("id") if isinstance(record, dict) else None
        filters = [["id", "=", ident]] if ident is not None else [["pool", "=", pool["id"]]]
        return self._with_scan(ctx.client.get_one("pool.scrub.query", filters), pool)

    def create_params(self, ctx):
        data = self.payload(dict((k, v) for k, v in ctx.desired.items() if k != "pool"))
        data["pool"] = self._pool_record["id"]
        return [data]

    def post_apply(self, ctx, after):
        action = ctx.params.get("action")
        after = dict(after)
        if not action:
            return False, after
        pool = self._pool_record
        scan = scan_value(pool.get("scan"))
        state = scan_state(scan)
        needed = {"start": state != "running", "pause": state == "running", "stop": state != "idle"}[action]
        if not needed:
            return False, after
        if ctx.check_mode:
            after["scan"] = dict(scan, state="SCANNING" if action != "stop" else "CANCELED", function="SCRUB",
                                 paused=action == "pause")
            return True, after
        what = "%s the scrub of pool '%s'" % (action, pool["name"])
        if action == "start" and not ctx.params.get("wait"):
            self.job_id = ctx.write("pool.scrub.scrub", pool["name"], "START", action=what)
        else:
            timeout = ctx.params.get("wait_timeout") if action == "start" else None
            ctx.write("pool.scrub", pool["id"], action.upper(), action=what, timeout=timeout)
        return True, after

    def result_extra(self):
        return {"job_id": self.job_id} if self.job_id is not None else {}
