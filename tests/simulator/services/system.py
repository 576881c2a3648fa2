"""``system.*`` facts, ``core.ping``, ``core.get_methods`` and the other pre-login helpers.

Seed section ``system`` (every key optional)::

    system:
      hostname: truenas
      physmem: 68719476736            # bytes
      model: AMD EPYC 7302P 16-Core Processor
      cores: 32
      physical_cores: 16
      timezone: UTC
      ecc_memory: true
      system_serial: null
      system_product: null
      system_product_version: null
      system_manufacturer: null
      license: null
      buildtime: "2025-10-01T00:00:00+00:00"   # ISO-8601
      uptime_seconds: 273906.12                # at start; grows with wall time
      loadavg: [0.12, 0.2, 0.18]
      login_banner: ""

Stored as ``state.data["system"]["config"]``.
"""
import datetime
import errno
import time

from .. import registry, schema
from ..errors import ValidationErrors
from ..registry import method, seed_loader

DEFAULTS = {
    "hostname": "truenas",
    "physmem": 68719476736,
    "model": "AMD EPYC 7302P 16-Core Processor",
    "cores": 32,
    "physical_cores": 16,
    "timezone": "UTC",
    "ecc_memory": True,
    "system_serial": None,
    "system_product": None,
    "system_product_version": None,
    "system_manufacturer": None,
    "license": None,
    "buildtime": "2025-10-01T00:00:00+00:00",
    "uptime_seconds": 273906.12,
    "loadavg": [0.12, 0.2, 0.18],
    "login_banner": "",
}


def _epoch(text):
    when = datetime.datetime.fromisoformat(str(text))
    if when.tzinfo is None:
        when = when.replace(tzinfo=datetime.timezone.utc)
    return int(when.timestamp())


@seed_loader
def load_system(state, seed):
    """``state.data["system"]["config"]`` from the ``system`` section."""
    section = seed.get("system") or {}
    if not isinstance(section, dict):
        raise ValueError("seed section system must be a mapping")
    unknown = sorted(set(section) - set(DEFAULTS))
    if unknown:
        raise ValueError("seed section system: unknown keys %s" % ", ".join(unknown))
    config = dict(DEFAULTS)
    config.update(section)
    try:
        config["buildtime"] = _epoch(config["buildtime"])
    except ValueError:
        raise ValueError("seed section system: buildtime must be an ISO-8601 timestamp") from None
    state.kind("system")["config"] = config


def config(ctx):
    return ctx.state.data.get("system", {}).get("config") or dict(DEFAULTS, buildtime=_epoch(DEFAULTS["buildtime"]))


def _uptime_text(seconds):
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    clock = "%d:%02d:%05.2f" % (hours, minutes, secs)
    if days >= 1:
        return "%d day%s, %s" % (days, "" if days == 1 else "s", clock)
    return clock


@method("system.info")
def info(ctx):
    """Hardware and software facts of the system."""
    cfg = config(ctx)
    now = time.time()
    uptime = float(cfg["uptime_seconds"]) + (now - ctx.server.started_at)
    return {
        "version": ctx.profile.product_version,
        "buildtime": {"$date": int(cfg["buildtime"]) * 1000},
        "hostname": cfg["hostname"],
        "physmem": cfg["physmem"],
        "model": cfg["model"],
        "cores": cfg["cores"],
        "physical_cores": cfg["physical_cores"],
        "loadavg": list(cfg["loadavg"]),
        "uptime": _uptime_text(uptime),
        "uptime_seconds": round(uptime, 2),
        "system_serial": cfg["system_serial"],
        "system_product": cfg["system_product"],
        "system_product_version": cfg["system_product_version"],
        "license": cfg["license"],
        "boottime": {"$date": int(now - uptime) * 1000},
        "datetime": {"$date": int(now) * 1000},
        "timezone": cfg["timezone"],
        "system_manufacturer": cfg["system_manufacturer"],
        "ecc_memory": cfg["ecc_memory"],
    }


@method("system.version")
def version(ctx):
    """``"TrueNAS-<version>"``."""
    return ctx.profile.version_string


@method("system.version_short")
def version_short(ctx):
    """The product version, e.g. ``"25.10.5"``."""
    return ctx.profile.product_version


@method("system.product_type")
def product_type(ctx):
    """``"COMMUNITY_EDITION"``."""
    return "COMMUNITY_EDITION"


@method("system.boot_id", no_auth=True)
def boot_id(ctx):
    """A random id that changes when the system (the simulator) restarts."""
    return ctx.server.boot_id


@method("system.ready")
def ready(ctx):
    """Whether the system finished booting."""
    return True


@method("system.state")
def system_state(ctx):
    """``"BOOTING"``, ``"READY"`` or ``"SHUTTING_DOWN"``."""
    return "READY"


@method("system.advanced.login_banner", no_auth=True)
def login_banner(ctx):
    """The banner shown before login."""
    return config(ctx).get("login_banner", "")


@method("truenas.managed_by_truecommand", no_auth=True)
def managed_by_truecommand(ctx):
    """Whether TrueCommand manages this system."""
    return False


@method("user.has_local_administrator_set_up", no_auth=True)
def has_local_administrator_set_up(ctx):
    """Whether a local administrator account exists."""
    return any("FULL_ADMIN" in (u.get("roles") or []) for u in ctx.state.data.get("users", {}).values())


@method("core.ping", no_auth=("25.10", "26"))
def ping(ctx):
    """``"pong"``."""
    return "pong"


# --- core.get_methods ---------------------------------------------------------------------------
def _entry(ctx, m):
    entry = schema.get(m.name, ctx.profile.schema_set)
    accepts = entry.accepts_list() if entry is not None else _signature_accepts(m)
    returns = entry.returns_list() if entry is not None else [{}]
    last = m.name.rsplit(".", 1)[-1]
    out = {
        "description": m.description,
        "cli_description": (m.description or "").split("\n", 1)[0] or None,
        "examples": {"cli": None, "rest": None, "websocket": None},
        "item_method": False,
        "no_auth_required": m.allowed_before_auth(ctx.profile.name),
        "filterable": last == "query" or m.name == "core.get_jobs",
        "filterable_schema": None,
        "pass_application": False,
        "require_websocket": False,
        "job": m.job,
        "downloadable": False,
        "uploadable": False,
        "check_pipes": False,
        "roles": ["FULL_ADMIN"] if not m.allowed_before_auth(ctx.profile.name) else [],
        "accepts": accepts,
        "returns": returns,
    }
    if ctx.profile.name == "25.04":
        out["extra_methods"] = []
    if ctx.profile.at_least("26"):
        del out["item_method"]
        del out["require_websocket"]
        out["no_authz_required"] = out["no_auth_required"]
        out["cli_private"] = False
    return out


def _signature_accepts(m):
    minimum, maximum, names = m.signature()
    return [{"_name_": n, "_required_": i < minimum, "title": n} for i, n in enumerate(names)]


@method("core.get_methods", no_auth=("25.04",), schema=False)
def get_methods(ctx, service=None, target="WS"):
    """Every method callable here, with its argument schemas: ``[service=null, target="WS"]``."""
    if service is not None and not isinstance(service, str):
        raise ValidationErrors([("service", "Input should be a valid string", errno.EINVAL)])
    if target not in ("WS", "CLI", "REST"):
        raise ValidationErrors([("target", "Input should be 'WS', 'CLI' or 'REST'", errno.EINVAL)])
    authenticated = ctx.session is not None
    out = {}
    for m in registry.available(ctx.profile.name, ctx.server.test_hooks):
        if not authenticated and not m.allowed_before_auth(ctx.profile.name):
            continue
        if m.private:
            continue
        if service is not None and m.name.rsplit(".", 1)[0] != service:
            continue
        out[m.name] = _entry(ctx, m)
    return out


@method("core.get_services", no_auth=("25.04",), schema=False)
def get_services(ctx, target="WS"):
    """Services and their types: ``{"<service>": {"config": {...}, "type": ...}}``."""
    if target not in ("WS", "CLI", "REST"):
        raise ValidationErrors([("target", "Input should be 'WS', 'CLI' or 'REST'", errno.EINVAL)])
    out = {}
    for m in registry.available(ctx.profile.name, ctx.server.test_hooks):
        service, _dot, last = m.name.rpartition(".")
        if not service:
            continue
        entry = out.setdefault(service, {"config": {"namespace": service, "private": False}, "type": "service"})
        if last == "query":
            entry["type"] = "crud"
    return out
