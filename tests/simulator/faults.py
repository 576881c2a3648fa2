"""Fault injection and the ``test.*`` methods (only with ``--test-hooks``; otherwise -32601).

``test.fault`` takes ``[kind, options={}]``:

=======================  ===============================================================================
kind                     options
=======================  ===============================================================================
``drop_after_messages``  ``count`` (int >= 1), ``scope`` ``"next"`` (default: the next connection opened)
                         or ``"self"`` (the calling connection). The ``count``-th message that connection
                         receives is read and never answered; the TCP connection is dropped without a
                         close frame.
``drop_during_job_wait`` The connection that starts the next job is dropped while it waits: right after
                         the job id is sent (legacy jobs) or once the job runs (new-style jobs).
``delay``                ``seconds`` (number), ``method`` (only that method; default every method),
                         ``count`` (how many replies; default until cleared). Replies are held back.
``fail_next``            ``method`` (required), ``code`` (-32001 default, -32602, -32000, -32601,
                         -32603), ``errno`` (default 14 EFAULT), ``message``, ``attribute`` (for -32602),
                         ``extra``, ``count`` (default 1). The next call(s) of ``method`` fail so.
``idle_drop``            ``seconds``: drop connections after that long without server->client traffic
                         (0 turns it off). Applies to every connection at once.
``clear``                every armed fault is removed (``idle_drop`` returns to the start value).
=======================  ===============================================================================

``test.job([options])`` is a job for exercising clients: it runs the configured job duration in
``steps`` (default 2) progress steps ("Step i of n"), then returns ``result`` or fails with ``fail``
(``"CallError"`` with ``errno``/``message``, or ``"ValidationErrors"``).

Also: ``test.counters``, ``test.reset_counters`` (counters and call log), ``test.call_log([filters,
options])`` (a query over the logged calls), ``test.state([kind])``, ``test.set_job_duration(seconds,
method=null)`` and ``test.reset`` (back to the seed).
"""
import errno

from . import schema
from .errors import CallError, ValidationErrors
from .registry import method

FAULT_KINDS = ("drop_after_messages", "drop_during_job_wait", "delay", "fail_next", "idle_drop", "clear")
ERROR_CODES = (-32001, -32602, -32000, -32601, -32603)


class InjectedError(Exception):
    """A JSON-RPC error put on the wire as is (``code``, ``message``, optional ``data``)."""

    def __init__(self, code, message, data=None):
        super().__init__(message)
        self.code = code
        self.message = message
        self.data = data


class Faults:
    """The armed faults of one server."""

    def __init__(self):
        self.clear()

    def clear(self):
        self.drop_after = []
        self.job_drops = 0
        self.delays = []
        self.failures = {}

    def on_connect(self, conn):
        if self.drop_after:
            conn.drop_after = conn.messages + self.drop_after.pop(0)

    def take_job_drop(self):
        if self.job_drops:
            self.job_drops -= 1
            return True
        return False

    def delay_for(self, name):
        total = 0.0
        for entry in list(self.delays):
            if entry["method"] not in (None, name):
                continue
            total += entry["seconds"]
            if entry["count"] is not None:
                entry["count"] -= 1
                if entry["count"] <= 0:
                    self.delays.remove(entry)
        return total

    def take_failure(self, name):
        queue = self.failures.get(name)
        if not queue:
            return None
        spec = queue[0]
        spec["count"] -= 1
        if spec["count"] <= 0:
            queue.pop(0)
        return build_error(spec)


def build_error(spec):
    code = spec["code"]
    message = spec["message"]
    if code == -32001:
        return CallError(message, spec["errno"], spec["extra"])
    if code == -32602:
        return ValidationErrors([(spec["attribute"], message, spec["errno"])])
    names = {-32000: "Maximum number of concurrent calls (20) has exceeded", -32601: "Method does not exist",
             -32603: "Failed to JSON serialize server message"}
    return InjectedError(code, spec.get("wire_message") or names[code])


def _choices(values):
    parts = [repr(v) for v in values]
    return ", ".join(parts[:-1]) + " or " + parts[-1]


def _check(options, key, kinds, required=False, default=None, minimum=None):
    if key not in options:
        if required:
            raise ValidationErrors([("options.%s" % key, "Field required", errno.EINVAL)])
        return default
    value = options[key]
    bad = isinstance(value, bool) and bool not in kinds
    if bad or not isinstance(value, kinds):
        raise ValidationErrors([("options.%s" % key, "Input has the wrong type", errno.EINVAL)])
    if minimum is not None and value is not None and value < minimum:
        raise ValidationErrors([("options.%s" % key, "Input should be greater than or equal to %s" % minimum,
                                 errno.EINVAL)])
    return value


def arm(server, kind, options=None, connection=None):
    """Arm a fault on ``server`` (what ``test.fault`` does); ValidationErrors for bad input."""
    options = options or {}
    if not isinstance(options, dict):
        raise ValidationErrors([("options", "Input should be a valid dictionary", errno.EINVAL)])
    faults = server.faults
    if kind == "drop_after_messages":
        count = _check(options, "count", (int,), required=True, minimum=1)
        scope = _check(options, "scope", (str,), default="next")
        if scope == "self" and connection is not None:
            connection.drop_after = connection.messages + count
        elif scope in ("next", "self"):
            faults.drop_after.append(count)
        else:
            raise ValidationErrors([("options.scope", "Input should be 'next' or 'self'", errno.EINVAL)])
    elif kind == "drop_during_job_wait":
        faults.job_drops += 1
    elif kind == "delay":
        seconds = _check(options, "seconds", (int, float), required=True, minimum=0)
        name = _check(options, "method", (str, type(None)))
        count = _check(options, "count", (int, type(None)), minimum=1)
        faults.delays.append({"seconds": float(seconds), "method": name, "count": count})
    elif kind == "fail_next":
        name = _check(options, "method", (str,), required=True)
        code = _check(options, "code", (int,), default=-32001)
        if code not in ERROR_CODES:
            raise ValidationErrors([("options.code", "Input should be %s" % _choices(ERROR_CODES), errno.EINVAL)])
        spec = {
            "code": code,
            "errno": _check(options, "errno", (int,), default=errno.EFAULT),
            "message": _check(options, "message", (str,), default="Injected failure"),
            "attribute": _check(options, "attribute", (str, type(None)), default=""),
            "extra": options.get("extra"),
            "count": _check(options, "count", (int,), default=1, minimum=1),
        }
        faults.failures.setdefault(name, []).append(spec)
    elif kind == "idle_drop":
        seconds = _check(options, "seconds", (int, float), required=True, minimum=0)
        server.idle_drop = float(seconds)
    elif kind == "clear":
        faults.clear()
        server.idle_drop = server.initial_idle_drop
    else:
        raise ValidationErrors([("kind", "Input should be %s" % _choices(FAULT_KINDS), errno.EINVAL)])
    return True


@method("test.fault", test_hook=True, no_auth=True, rate_limit=False, schema=False)
def test_fault(ctx, kind, options=None):
    """Arm a fault (see tests/simulator/faults.py)."""
    return arm(ctx.server, kind, options, ctx.connection)


@method("test.counters", test_hook=True, no_auth=True, rate_limit=False, schema=False)
def test_counters(ctx):
    """Calls per method, connections, logins and API keys presented (count, over TLS, in plain)."""
    return ctx.server.counters.snapshot()


@method("test.reset_counters", test_hook=True, no_auth=True, rate_limit=False, schema=False)
def test_reset_counters(ctx):
    """Zero the counters and empty the call log."""
    ctx.server.counters.reset()
    ctx.server.call_log.clear()
    return True


@method("test.call_log", test_hook=True, no_auth=True, rate_limit=False, schema=False)
def test_call_log(ctx, filters=None, options=None):
    """The logged calls (secrets masked), as a query: ``[filters, options]``."""
    return ctx.query(list(ctx.server.call_log), filters or [], options or {})


@method("test.state", test_hook=True, no_auth=True, rate_limit=False, schema=False)
def test_state(ctx, kind=None):
    """A dump of the whole state, or of one kind of object."""
    if kind is None:
        return ctx.state.dump()
    if kind not in ctx.state.data:
        raise CallError("No such kind of object: %s" % kind, errno.ENOENT)
    return ctx.state.dump()[kind]


@method("test.set_job_duration", test_hook=True, no_auth=True, rate_limit=False, schema=False)
def test_set_job_duration(ctx, seconds, method_name=None):
    """How long jobs take (all, or one method's)."""
    if isinstance(seconds, bool) or not isinstance(seconds, (int, float)) or seconds < 0:
        raise ValidationErrors([("seconds", "Input should be a number greater than or equal to 0", errno.EINVAL)])
    if method_name is not None and not isinstance(method_name, str):
        raise ValidationErrors([("method", "Input should be a valid string", errno.EINVAL)])
    ctx.server.jobs.set_duration(float(seconds), method_name)
    return True


@method("test.reset", test_hook=True, no_auth=True, rate_limit=False, schema=False)
def test_reset(ctx):
    """Back to the seed: state, jobs, tokens, counters, faults, call log and rate limit."""
    ctx.server.reset_state()
    return True


TEST_JOB_SCHEMA = schema.register("test.job", ("options",), {
    "type": "object", "additionalProperties": False,
    "properties": {"options": {"$ref": "#/$defs/TestJobOptions", "default": {}}},
    "$defs": {"TestJobOptions": {
        "type": "object", "title": "TestJobOptions", "additionalProperties": False,
        "properties": {
            "steps": {"type": "integer", "minimum": 0, "maximum": 100, "default": 2},
            "result": {"default": None},
            "fail": {"anyOf": [{"enum": ["CallError", "ValidationErrors"], "type": "string"}, {"type": "null"}],
                     "default": None},
            "errno": {"type": "integer", "default": 14},
            "message": {"type": "string", "maxLength": 1024, "default": "Job failed"},
        },
    }},
}, job=True)


@method("test.job", job=True, test_hook=True, abortable=True)
async def test_job(ctx, job, options=None):
    """A job of the configured duration, in progress steps; returns ``result`` or fails as asked."""
    if not ctx.profile.validate_schemas:
        TEST_JOB_SCHEMA.validate([] if options is None else [options])
    options = options or {}
    steps = options.get("steps", 2)
    for index in range(1, steps + 1):
        await job.sleep(job.duration / steps)
        job.set_progress(index * 100 // (steps + 1), "Step %d of %d" % (index, steps))
    if not steps:
        await job.sleep()
    fail = options.get("fail")
    if fail == "CallError":
        raise CallError(options.get("message", "Job failed"), options.get("errno", errno.EFAULT))
    if fail == "ValidationErrors":
        raise ValidationErrors([("options.result", options.get("message", "Job failed"), options.get("errno", 22))])
    return options.get("result")
