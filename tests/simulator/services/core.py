"""``core.*``: connection options, subscriptions and jobs."""
import errno
import uuid

from ..errors import CallError, ValidationError, ValidationErrors
from .. import registry
from ..registry import method

OPTION_KEYS_2510 = ("legacy_jobs", "private_methods", "py_exceptions")
OPTION_KEYS_2504 = ("py_exceptions",)


@method("core.set_options", no_auth=True, rate_limit=False, schema=False)
def set_options(ctx, options):
    """Per-connection options. 25.04: returns null. 25.10+: the options dict (``legacy_jobs``...)."""
    if not isinstance(options, dict):
        raise ValidationErrors([("options", "Input should be a valid dictionary or instance of CoreSetOptions",
                                 errno.EINVAL)])
    known = OPTION_KEYS_2510 if ctx.profile.legacy_jobs_option else OPTION_KEYS_2504
    verrors = ValidationErrors()
    for key in known:
        if key in options and not isinstance(options[key], bool):
            verrors.add("options.%s" % key, "Input should be a valid boolean")
    verrors.raise_if_any()
    conn = ctx.connection
    for key in known:
        if key in options:
            setattr(conn, key, options[key])
    if not ctx.profile.legacy_jobs_option:
        return None
    return {"legacy_jobs": conn.legacy_jobs, "private_methods": conn.private_methods,
            "py_exceptions": conn.py_exceptions}


@method("core.subscribe", schema=False)
def subscribe(ctx, event):
    """Subscribe to an event (``"core.get_jobs"``, ``"pool.dataset.query"``, ``"*"``...); a subscription id."""
    if not isinstance(event, str):
        raise ValidationErrors([("event", "Input should be a valid string", errno.EINVAL)])
    sub_id = str(uuid.uuid4())
    ctx.connection.subscriptions[sub_id] = event
    start = registry.EVENT_SOURCES.get(event.split(":", 1)[0])
    if start is not None:
        start(ctx, event, sub_id)
    return sub_id


@method("core.unsubscribe", schema=False)
def unsubscribe(ctx, subscription_id):
    """End a subscription (unknown ids do nothing)."""
    if not isinstance(subscription_id, str):
        raise ValidationErrors([("id_", "Input should be a valid string", errno.EINVAL)])
    ctx.connection.subscriptions.pop(subscription_id, None)
    return None


def _visible(ctx, job):
    session = ctx.session
    return session is not None and (session.full_admin or job.owner == session.username)


def _job_or_error(ctx, job_id):
    job = ctx.jobs.get(job_id) if isinstance(job_id, int) and not isinstance(job_id, bool) else None
    if job is None:
        raise ValidationError(None, "Job with id %s does not exist" % (job_id,), errno.ENOENT)
    return job


@method("core.get_jobs", schema=False)
def get_jobs(ctx, filters=None, options=None):
    """Jobs as a query method (``[filters, options]``)."""
    filters = [] if filters is None else filters
    jobs = ctx.jobs
    candidates = None
    if (isinstance(filters, list) and len(filters) == 1 and isinstance(filters[0], list) and len(filters[0]) == 3
            and filters[0][0] == "id" and filters[0][1] == "=" and isinstance(filters[0][2], int)
            and not isinstance(filters[0][2], bool)):
        job = jobs.get(filters[0][2])
        candidates = [job] if job is not None else []
    if candidates is None:
        candidates = list(jobs.jobs.values())
    rows = [job.to_dict() for job in candidates if _visible(ctx, job)]
    return ctx.query(rows, filters, options)


@method("core.job_abort", schema=False)
def job_abort(ctx, job_id):
    """Abort a job (a RUNNING job is cancelled; a finished one is left alone); null."""
    job = _job_or_error(ctx, job_id)
    if not _visible(ctx, job):
        raise CallError("Job is not owned by current session", errno.EPERM)
    ctx.jobs.abort(job.id)
    return None


@method("core.job_wait", job=True, schema=False)
async def job_wait(ctx, job, job_id):
    """A job that ends as the job ``job_id`` ends (same result or error)."""
    target = _job_or_error(ctx, job_id)
    await target.wait()
    if target.raised is not None:
        raise target.raised
    return target.result


@method("core.bulk", job=True, schema=False)
async def bulk(ctx, job, method_name, params, description=None):
    """Call ``method_name`` once per params list; ``[{job_id, result, error}, ...]``."""
    if not isinstance(method_name, str):
        raise ValidationErrors([("method", "Input should be a valid string", errno.EINVAL)])
    if not isinstance(params, list) or not all(isinstance(p, list) for p in params):
        raise ValidationErrors([("params", "Input should be a valid list of lists", errno.EINVAL)])
    server = ctx.server
    m = server.lookup_for(ctx.connection, method_name)
    out = []
    for index, args in enumerate(params):
        job.set_progress(int(index * 100 / max(len(params), 1)), description or "Running %s" % method_name)
        entry = {"job_id": None, "result": None, "error": None}
        try:
            if m is None:
                raise CallError("Method %r not found" % method_name, errno.ENOENT)
            if m.job:
                sub = await server.run_job(ctx.connection, m, args)
                entry["job_id"] = sub.id
                await sub.wait()
                if sub.raised is not None:
                    raise sub.raised
                entry["result"] = sub.result
            else:
                entry["result"] = await server.run_plain(ctx.connection, m, args)
        except Exception as exc:  # each failure is reported in its entry
            entry["error"] = str(exc) or repr(exc)
        out.append(entry)
    return out
