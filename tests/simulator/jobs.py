"""Jobs: integer ids from 1, the TrueNAS job object, progress and ``core.get_jobs`` events.

A job handler is ``async def handler(ctx, job, *params)``. It may call ``job.set_progress(percent,
description, extra)`` and ``await job.sleep()`` (the configured job duration of its method) or
``await job.sleep(seconds)``. Its return value becomes ``result``; an exception fails the job
(``ValidationErrors`` as ``exc_info.type == "VALIDATION"``). Arguments are validated inside the job,
so a job call with bad params still creates a job.
"""
import asyncio
import traceback

from .errors import CallError, MatchNotFound, ValidationErrors
from .state import date_value

MAX_JOBS = 1000
SECRET_MASK = "********"
SECRET_KEYS = frozenset({
    "password", "api_key", "token", "otp_token", "passphrase", "key", "secret", "old_password",
    "new_password", "otp_secret",
})
# Positional secrets of some methods (their params are not dicts).
SECRET_PARAMS = {
    "auth.login": (1, 2),
    "auth.login_with_api_key": (0,),
    "auth.login_with_token": (0,),
}

WAITING, RUNNING, SUCCESS, FAILED, ABORTED = "WAITING", "RUNNING", "SUCCESS", "FAILED", "ABORTED"
TERMINAL = (SUCCESS, FAILED, ABORTED)


def mask(value):
    """``value`` with every secret-looking key replaced by ``"********"``."""
    if isinstance(value, dict):
        return {k: (SECRET_MASK if k in SECRET_KEYS and v is not None else mask(v)) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [mask(v) for v in value]
    return value


def mask_params(method, params):
    """The params of a call as they may be shown (job ``arguments``, call log)."""
    out = mask(list(params))
    for index in SECRET_PARAMS.get(method, ()):
        if index < len(out) and out[index] is not None:
            out[index] = SECRET_MASK
    return out


def exc_info(exc):
    """``(error, exc_info)`` of a failed job."""
    if isinstance(exc, ValidationErrors):
        return str(exc), {"repr": repr(exc), "type": "VALIDATION", "errno": None,
                          "extra": [list(e) for e in exc.errors]}
    if isinstance(exc, CallError):
        return str(exc), {"repr": repr(exc), "type": type(exc).__name__, "errno": exc.errno, "extra": exc.extra}
    if isinstance(exc, MatchNotFound):
        return str(exc), {"repr": repr(exc), "type": "MatchNotFound", "errno": exc.errno, "extra": None}
    return str(exc) or repr(exc), {"repr": repr(exc), "type": type(exc).__name__, "errno": None, "extra": None}


class Job:
    """One job; see the module docstring."""

    def __init__(self, manager, job_id, method, arguments, credentials, message_id, owner, abortable=False):
        self.manager = manager
        self.id = job_id
        self.method = method
        self.arguments = arguments
        self.credentials = credentials
        self.message_ids = [message_id] if message_id else []
        self.owner = owner
        self.abortable = abortable
        self.description = None
        self.transient = False
        self.state = WAITING
        self.progress = {"percent": 0, "description": "", "extra": None}
        self.result = None
        self.error = None
        self.exception = None
        self.exc_info = None
        self.time_started = date_value()
        self.time_finished = None
        self.task = None
        self.finished = asyncio.Event()
        self.raised = None
        self.abort_requested = False

    @property
    def duration(self):
        """Seconds this job's method is configured to take (``--job-duration``, ``test.set_job_duration``)."""
        return self.manager.duration_for(self.method)

    async def sleep(self, seconds=None):
        """Wait ``seconds`` (default: the configured duration of this method) as a running job."""
        await asyncio.sleep(self.duration if seconds is None else seconds)

    def set_progress(self, percent=None, description=None, extra=None):
        """Update progress; an event is sent only when something changed."""
        changed = False
        if percent is not None:
            percent = int(percent)
            if percent != self.progress["percent"]:
                self.progress["percent"] = percent
                changed = True
        if description and description != self.progress["description"]:
            self.progress["description"] = description
            changed = True
        if extra and extra != self.progress["extra"]:
            self.progress["extra"] = extra
            changed = True
        if changed:
            self.manager.notify(self, "changed")

    def to_dict(self, profile=None):
        profile = profile or self.manager.profile
        out = {"id": self.id}
        if profile.message_ids:
            out["message_ids"] = list(self.message_ids)
        out.update({
            "method": self.method,
            "arguments": self.arguments,
            "transient": self.transient,
            "description": self.description,
            "abortable": self.abortable,
            "logs_path": None,
            "logs_excerpt": None,
            "progress": dict(self.progress),
            "result": self.result,
            "result_encoding_error": None,
            "error": self.error,
            "exception": self.exception,
            "exc_info": self.exc_info,
            "state": self.state,
            "time_started": self.time_started,
            "time_finished": self.time_finished,
            "credentials": self.credentials,
        })
        return out

    async def wait(self):
        """Wait until the job is SUCCESS, FAILED or ABORTED."""
        await self.finished.wait()


class JobManager:
    """Every job of one server."""

    def __init__(self, profile, duration=0.2, notify=None):
        self.profile = profile
        self.jobs = {}
        self.last_id = 0
        self.duration = duration
        self.durations = {}
        self._notify = notify

    def duration_for(self, method):
        return self.durations.get(method, self.duration)

    def set_duration(self, seconds, method=None):
        if method:
            self.durations[method] = seconds
        else:
            self.duration = seconds
            self.durations.clear()

    def notify(self, job, msg):
        if self._notify is not None:
            self._notify(job, msg)

    def items(self):
        return [job.to_dict() for job in self.jobs.values()]

    def get(self, job_id):
        return self.jobs.get(job_id)

    def create(self, method, arguments, credentials=None, message_id=None, owner=None, abortable=False):
        """A new WAITING job (the ``added`` event is sent); start it with :meth:`start`."""
        self.last_id += 1
        job = Job(self, self.last_id, method, arguments, credentials, message_id, owner, abortable)
        self.jobs[job.id] = job
        self._trim()
        self.notify(job, "added")
        return job

    def _trim(self):
        if len(self.jobs) <= MAX_JOBS:
            return
        for job_id in list(self.jobs):
            if len(self.jobs) <= MAX_JOBS:
                break
            if self.jobs[job_id].state in TERMINAL:
                del self.jobs[job_id]

    def start(self, job, runner):
        """Run ``await runner(job)`` as the job body in its own task."""
        job.task = asyncio.get_running_loop().create_task(self._run(job, runner))
        return job

    async def _run(self, job, runner):
        try:
            await asyncio.sleep(0)
            if job.abort_requested:
                raise asyncio.CancelledError()
            job.state = RUNNING
            self.notify(job, "changed")
            result = await runner(job)
        except asyncio.CancelledError:
            job.state = ABORTED
            job.time_finished = date_value()
            self.notify(job, "changed")
        except Exception as exc:  # every failure of a job body is reported in the job
            job.error, job.exc_info = exc_info(exc)
            job.exception = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
            job.raised = exc
            job.state = FAILED
            job.time_finished = date_value()
            self.notify(job, "changed")
        else:
            job.result = result
            job.state = SUCCESS
            job.time_finished = date_value()
            if job.progress["percent"] != 100:
                job.set_progress(100, "")
            self.notify(job, "changed")
        finally:
            job.finished.set()

    def abort(self, job_id):
        job = self.jobs.get(job_id)
        if job is None:
            return False
        if job.state in TERMINAL:
            return True
        job.abort_requested = True
        if job.task is not None and job.state == RUNNING:
            job.task.cancel()
        return True

    def cancel_all(self):
        for job in self.jobs.values():
            if job.task is not None and not job.task.done():
                job.task.cancel()
