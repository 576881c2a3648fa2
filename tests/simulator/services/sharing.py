"""SMB and NFS shares: ``sharing.smb.*`` and ``sharing.nfs.*``.

Shapes per profile (methods.md sections 4 and 5):

* ``25.04``: SMB shares use the legacy flat fields (``ro``, ``abe``, ``guestok``, ...) and
  ``purpose`` presets that overwrite the caller's values unless ``purpose`` is ``NO_PRESET``.
  Entries carry ``vuid``, ``path_local`` and ``locked``. Validation follows the legacy
  ``@accepts`` layer (``sharingsmb_create.<field>`` / ``Field was not expected``).
* ``25.10`` and ``26``: SMB shares use ``purpose`` plus a per-purpose ``options`` object, with
  the legacy input shim, per-purpose option defaults, ``options`` replaced wholesale on update
  and ``audit`` merged. ``26`` adds the output fields ``dataset``, ``relative_path`` and ``tier``.
* NFS shares have the same shape on every profile (``26`` adds the same three output fields).

Service configuration that the checks consult (``state.data["sharing"]["config"]``)::

    {"smb": {"aapl_extensions": false, "enable_smb1": false, "mdns": true},
     "nfs": {"protocols": ["NFSV3", "NFSV4"]},
     "enterprise": false}

The optional seed section ``sharing`` is a patch over it (``enterprise`` defaults to true when
``system.license`` is set); tests change it through the test hook ``test.sharing_config [patch]``
(deep-merged).

The share models are checked here rather than by the schema pass, because the real server rewrites
legacy SMB input before its models see it: :func:`check_model` validates a dict against a field
table and produces the same ``(attribute, message)`` pairs as the strict pydantic models (or, with
``legacy=True``, as the 25.04 ``@accepts`` layer). Storage lookups go through ``dataset.py``.
"""
import copy
import errno
import ipaddress
import posixpath
import re
import unicodedata
import uuid

from .. import query as sim_query
from ..errors import CallError, InstanceNotFound, ValidationErrors
from ..registry import method, seed_loader
from . import dataset as storage

# ---------------------------------------------------------------------------------------------
# A small strict-model checker
# ---------------------------------------------------------------------------------------------

REQUIRED = object()


class F:
    """One field of a model table used by :func:`check_model`.

    ``kind`` is ``bool``, ``int``, ``str``, ``list``, ``dict`` (a free dict), ``model`` (a nested
    table in ``model``) or ``any``. ``choices`` makes it a literal/enum; ``null`` allows None.
    """

    def __init__(self, kind, default=REQUIRED, null=False, choices=None, ge=None, le=None,
                 min_len=None, max_len=1024, pattern=None, items=None, model=None, model_name=None):
        self.kind = kind
        self.default = default
        self.null = null
        self.choices = choices
        self.ge = ge
        self.le = le
        self.min_len = min_len
        self.max_len = max_len
        self.pattern = pattern
        self.items = items
        self.model = model
        self.model_name = model_name
        self.pattern_re = re.compile(pattern) if pattern is not None else None

    def default_value(self):
        return copy.deepcopy(self.default)


def _join(loc, name):
    if loc in (None, ""):
        return str(name)
    return "%s.%s" % (loc, name)


def _literal_text(choices):
    parts = []
    for c in choices:
        parts.append("'%s'" % c if isinstance(c, str) else repr(c))
    if len(parts) == 1:
        return parts[0]
    return "%s or %s" % (", ".join(parts[:-1]), parts[-1])


_PYDANTIC = {
    "missing": "Field required",
    "extra": "Extra inputs are not permitted",
    "bool": "Input should be a valid boolean",
    "int": "Input should be a valid integer",
    "str": "Input should be a valid string",
    "list": "Input should be a valid list",
    "dict": "Input should be a valid dictionary",
}

_LEGACY = {
    "missing": "attribute required",
    "extra": "Field was not expected",
    "bool": "Not a boolean",
    "int": "Not an integer",
    "str": "Not a string",
    "list": "Not a list",
    "dict": "Not a dictionary",
    "model": "Not a dictionary",
    "null": "null not allowed",
}


def _is_int(value):
    return isinstance(value, int) and not isinstance(value, bool)


def _check_value(field, value, loc, errors, legacy, partial):
    """Validate one value; returns the cleaned value (errors are appended to ``errors``)."""
    msgs = _LEGACY if legacy else _PYDANTIC
    if value is None:
        if field.null or (field.choices is not None and None in field.choices):
            return None
        if legacy:
            errors.append((loc, msgs["null"]))
            return value
    kind = field.kind
    if field.choices is not None:
        if not any(c is value or (type(c) is type(value) and c == value) for c in field.choices):
            if legacy:
                errors.append((loc, "Invalid choice: %s" % (value,)))
            else:
                errors.append((loc, "Input should be %s" % _literal_text(field.choices)))
        return value
    if kind == "any":
        return value
    if kind == "bool":
        if not isinstance(value, bool):
            errors.append((loc, msgs["bool"]))
        return value
    if kind == "int":
        if not _is_int(value):
            errors.append((loc, msgs["int"]))
            return value
        if field.ge is not None and value < field.ge:
            errors.append((loc, "Input should be greater than or equal to %d" % field.ge))
        elif field.le is not None and value > field.le:
            errors.append((loc, "Input should be less than or equal to %d" % field.le))
        return value
    if kind == "str":
        if not isinstance(value, str):
            errors.append((loc, msgs["str"]))
            return value
        if field.min_len and len(value) < field.min_len:
            errors.append((loc, "String should have at least %d character%s" % (
                field.min_len, "" if field.min_len == 1 else "s")))
        elif field.max_len is not None and len(value) > field.max_len:
            if legacy:
                errors.append((loc, "The value may not be longer than %d characters" % field.max_len))
            else:
                errors.append((loc, "String should have at most %d characters" % field.max_len))
        elif field.pattern is not None and not field.pattern_re.search(value):
            errors.append((loc, "String should match pattern '%s'" % field.pattern))
        return value
    if kind == "list":
        if not isinstance(value, list):
            errors.append((loc, msgs["list"]))
            return value
        if field.items is None:
            return list(value)
        return [_check_value(field.items, v, _join(loc, i), errors, legacy, partial) for i, v in enumerate(value)]
    if kind == "dict":
        if not isinstance(value, dict):
            errors.append((loc, msgs["dict"]))
        return value
    if kind == "model":
        if not isinstance(value, dict):
            if legacy:
                errors.append((loc, msgs["model"]))
            else:
                errors.append((loc, "Input should be a valid dictionary or instance of %s" % field.model_name))
            return value
        return check_model(field.model, value, loc, errors, partial=partial, legacy=legacy)
    raise ValueError("unknown field kind %s" % kind)


def check_model(fields, data, loc, errors, partial=False, legacy=False):
    """Validate ``data`` against the field table ``fields``.

    Returns a new dict: every known key of ``data`` plus (unless ``partial``) the defaults of
    omitted fields. Problems are appended to ``errors`` as ``(attribute, message)`` in the order
    the real models report them: declared fields first, then unexpected keys.
    """
    msgs = _LEGACY if legacy else _PYDANTIC
    out = {}
    extras = [(_join(loc, name), msgs["extra"]) for name in data if name not in fields]
    if legacy:
        # The @accepts layer reports unexpected keys before it checks the declared ones.
        errors.extend(extras)
    for name, field in fields.items():
        if name in data:
            out[name] = _check_value(field, data[name], _join(loc, name), errors, legacy, partial)
        elif partial:
            continue
        elif field.default is REQUIRED:
            errors.append((_join(loc, name), msgs["missing"]))
        else:
            out[name] = field.default_value()
    if not legacy:
        errors.extend(extras)
    return out


def raise_errors(errors, errno_=errno.EINVAL):
    """Raise ValidationErrors for a list of ``(attribute, message)`` pairs, if any."""
    if errors:
        raise ValidationErrors([(a, m, errno_) for a, m in errors])


def take_args(args, names, defaults, legacy=False):
    """Positional arguments of a method validated by hand (``schema=False``).

    ``defaults`` maps an argument name to its default; a name without a default is required.
    """
    if len(args) > len(names):
        msg = "Too many arguments (expected %d, found %d)" % (len(names), len(args))
        if legacy:
            raise CallError(msg)
        raise ValidationErrors([("", msg, errno.EINVAL)])
    out = []
    for i, name in enumerate(names):
        if i < len(args):
            out.append(args[i])
        elif name in defaults:
            out.append(copy.deepcopy(defaults[name]))
        else:
            raise ValidationErrors([(name, "attribute required" if legacy else "Field required", errno.EINVAL)])
    return out


def check_id(value, name="id", legacy=False):
    """An integer id argument (``Input should be a valid integer`` / ``Not an integer``)."""
    if not _is_int(value):
        message = "Not an integer" if legacy else "Input should be a valid integer"
        raise ValidationErrors([(name, message, errno.EINVAL)])
    return value


# ---------------------------------------------------------------------------------------------
# Storage, users and configuration lookups (state.data["pools" / "datasets" / "files" / ...])
# ---------------------------------------------------------------------------------------------

BOOT_POOLS = storage.BOOT_POOLS


def _records(state, kind):
    value = state.data.get(kind) or {}
    if isinstance(value, dict):
        return list(value.values())
    return list(value)


def pool_names(state):
    """Names of the imported data pools."""
    return [p.get("name") for p in storage.pools(state).values() if p.get("name") not in BOOT_POOLS]


def datasets(state):
    """Stored dataset records keyed by full name (``dataset.py`` shape)."""
    return storage.datasets(state)


def dataset_type(rec):
    return rec.get("type") or "FILESYSTEM"


def dataset_for_path(state, path):
    """The name of the filesystem dataset holding ``path``, or None."""
    if not isinstance(path, str):
        return None
    return storage.dataset_for_path(state, path)


def path_exists(state, path):
    return isinstance(path, str) and storage.path_exists(state, path)


def path_is_symlink(state, path):
    return storage.path_type(state, path) == "SYMLINK"


def file_record(state, path):
    """The files-registry entry of ``path`` (a file or directory below /mnt), or None."""
    return storage.files(state).get(posixpath.normpath(path))


def add_file(state, path, size=0, kind="FILE"):
    """Register a file created by a service (a RAW disk image)."""
    return storage.add_file(state, path, size, kind)


def remove_file(state, path):
    return storage.remove_file(state, path)


def in_pool(state, path):
    """True when ``path`` is ``/mnt/<pool>`` or below it for an imported pool."""
    if not isinstance(path, str) or not path.startswith("/mnt/"):
        return False
    norm = posixpath.normpath(path)
    for name in pool_names(state):
        root = "/mnt/" + name
        if norm == root or norm.startswith(root + "/"):
            return True
    return False


BUILTIN_USERS = ("root", "nobody", "daemon", "www-data", "apps")
BUILTIN_GROUPS = ("root", "wheel", "nogroup", "nobody", "builtin_users", "builtin_administrators", "apps")


def user_exists(state, name):
    if name in BUILTIN_USERS:
        return True
    return any(name in (u.get("username"), u.get("name")) for u in _records(state, "users"))


def group_exists(state, name):
    if name in BUILTIN_GROUPS:
        return True
    for g in _records(state, "groups"):
        if name in (g.get("group"), g.get("name")):
            return True
    for u in _records(state, "users"):
        grp = u.get("group")
        if isinstance(grp, dict):
            grp = grp.get("bsdgrp_group") or grp.get("group") or grp.get("name")
        if name == grp or name == u.get("username"):
            return True
        if name in (u.get("groups_names") or u.get("group_names") or []):
            return True
    return False


def smb_user_count(state):
    return sum(1 for u in _records(state, "users") if u.get("smb", True))


CONFIG_KIND = "sharing"
DEFAULT_SHARING_CONFIG = {
    "smb": {"aapl_extensions": False, "enable_smb1": False, "mdns": True},
    "nfs": {"protocols": ["NFSV3", "NFSV4"]},
    "enterprise": False,
}


def _licensed(state):
    system = (state.data.get("system") or {}).get("config") or {}
    return bool(system.get("license"))


def _merge(base, patch):
    for key, value in patch.items():
        if isinstance(value, dict) and isinstance(base.get(key), dict):
            _merge(base[key], value)
        else:
            base[key] = copy.deepcopy(value)
    return base


def sharing_config(state):
    """The SMB/NFS service configuration (created with the defaults when missing)."""
    holder = state.data.setdefault(CONFIG_KIND, {})
    cfg = holder.get("config")
    if not isinstance(cfg, dict):
        cfg = copy.deepcopy(DEFAULT_SHARING_CONFIG)
        cfg["enterprise"] = _licensed(state)
        holder["config"] = cfg
    return cfg


def session_roles(ctx):
    """Roles of the calling session; None for internal calls (no connection)."""
    session = getattr(ctx, "session", None)
    if session is None:
        return None
    return list(getattr(session, "roles", None) or [])


def is_full_admin(ctx):
    """True for FULL_ADMIN sessions and internal calls."""
    roles = session_roles(ctx)
    return roles is None or "FULL_ADMIN" in roles


def query_items(ctx, items, filters, options):
    """``filter_list`` with the call's profile (query-filters and query-options)."""
    return ctx.query(items, filters, options)


def get_instance(ctx, items, ident, verbose_name, options=None):
    """``<svc>.get_instance``: one entry or InstanceNotFound (-32602, ENOENT)."""
    sim_query.validate_options(options, ctx.profile)
    return sim_query.get_instance(items, ident, verbose_name, options=options)


def emit(ctx, collection, msg, id_, fields=None):
    emitter = getattr(ctx, "emit", None)
    if emitter is not None:
        emitter(collection, msg, id=id_, fields=fields)


def save(ctx):
    saver = getattr(ctx.state, "save", None)
    if saver is not None:
        saver()


def share_location(state, path):
    """``(dataset, relative_path)`` for the 26 output fields."""
    name = dataset_for_path(state, path) if isinstance(path, str) and path.startswith("/mnt/") else None
    if name is None:
        return None, None
    rel = posixpath.normpath(path)[len("/mnt/" + name):].lstrip("/")
    return name, rel


def path_locked(state, path):
    """``locked`` of a share: its dataset (or an encryption root above it) is locked; None off-pool."""
    name = dataset_for_path(state, path) if isinstance(path, str) and path.startswith("/mnt/") else None
    if name is None:
        return None
    return storage.is_locked(state, name)


# ---------------------------------------------------------------------------------------------
# SMB
# ---------------------------------------------------------------------------------------------

SMB_KIND = "smb_shares"
NFS_KIND = "nfs_shares"
APPLE_EXT_MSG = ("Apple SMB2/3 protocol extension support is required by this parameter. "
                 "This feature may be enabled in the general SMB server configuration.")
INVALID_SHARE_CHARS = set('%<>*?|/\\+=;:",[]')
RESERVED_SHARE_NAMES = ("global", "printers", "homes", "admin$", "ipc$")


def smb_name_problem(name):
    """The share-name rule of the SMB models, or None when the name is fine."""
    if len(name) > 80:
        return "Share name exceeds maximum length of 80 characters"
    bad = sorted(INVALID_SHARE_CHARS & set(name))
    if bad:
        return "%s: share name contains the following invalid characters: %s" % (name, ", ".join(bad))
    if any(unicodedata.category(ch) == "Cc" for ch in name):
        return "%s: share name contains unicode control characters" % name
    if name.lower() in RESERVED_SHARE_NAMES:
        return "%s is a reserved section name, please select another one" % name
    return None


def _valid_uuid(value):
    try:
        uuid.UUID(str(value))
    except ValueError:
        return False
    return True


# --- 25.04: flat fields and presets ---

AUDIT_FIELDS = {
    "enable": F("bool", False),
    "watch_list": F("list", [], items=F("str")),
    "ignore_list": F("list", [], items=F("str")),
}

SMB_2504_PURPOSES = ["NO_PRESET", "DEFAULT_SHARE", "TIMEMACHINE", "ENHANCED_TIMEMACHINE", "MULTI_PROTOCOL_NFS",
                     "PRIVATE_DATASETS", "WORM_DROPBOX", "VEEAM_REPOSITORY_SHARE"]

SMB_2504_FIELDS = {
    "purpose": F("str", "DEFAULT_SHARE", choices=SMB_2504_PURPOSES),
    "path": F("str"),
    "path_suffix": F("str", ""),
    "home": F("bool", False),
    "name": F("str", max_len=80),
    "comment": F("str", ""),
    "ro": F("bool", False),
    "browsable": F("bool", True),
    "timemachine": F("bool", False),
    "recyclebin": F("bool", False),
    "guestok": F("bool", False),
    "abe": F("bool", False),
    "hostsallow": F("list", [], items=F("str")),
    "hostsdeny": F("list", [], items=F("str")),
    "aapl_name_mangling": F("bool", False),
    "acl": F("bool", True),
    "durablehandle": F("bool", True),
    "shadowcopy": F("bool", True),
    "streams": F("bool", True),
    "fsrvp": F("bool", False),
    "auxsmbconf": F("str", "", max_len=None),
    "enabled": F("bool", True),
    "afp": F("bool", False),
    "audit": F("model", {"enable": False, "watch_list": [], "ignore_list": []}, model=AUDIT_FIELDS,
               model_name="SmbAuditConfig"),
    "timemachine_quota": F("int", 0),
}

SMB_2504_PRESETS = {
    "NO_PRESET": ("No presets", {}),
    "DEFAULT_SHARE": ("Default share parameters", {
        "path_suffix": "", "home": False, "ro": False, "browsable": True, "timemachine": False,
        "recyclebin": False, "abe": False, "hostsallow": [], "hostsdeny": [], "aapl_name_mangling": False,
        "acl": True, "durablehandle": True, "shadowcopy": True, "streams": True, "fsrvp": False,
    }),
    "TIMEMACHINE": ("Basic time machine share", {
        "path_suffix": "", "timemachine": True,
    }),
    "ENHANCED_TIMEMACHINE": ("Multi-user time machine", {
        "path_suffix": "%U", "timemachine": True,
        "auxsmbconf": "zfs_core:zfs_auto_create=true\nzfs_core:base_user_quota=1T",
    }),
    "MULTI_PROTOCOL_NFS": ("Multi-protocol (NFSv4/SMB) shares", {
        "streams": True, "durablehandle": False,
        "auxsmbconf": "oplocks = no\nlevel2 oplocks = no\nstrict locking = yes",
    }),
    "PRIVATE_DATASETS": ("Private SMB Datasets and Shares", {
        "path_suffix": "%U", "auxsmbconf": "zfs_core:zfs_auto_create=true",
    }),
    "WORM_DROPBOX": ("SMB WORM. Files become readonly via SMB after 5 minutes", {
        "path_suffix": "", "auxsmbconf": "worm:grace_period = 300",
    }),
    "VEEAM_REPOSITORY_SHARE": ("Veeam Repository Share", {
        "path_suffix": "", "durablehandle": True, "streams": True,
    }),
}


def smb_2504_apply_preset(data):
    """What ``apply_presets`` does before a 25.04 share is stored."""
    _verbose, params = SMB_2504_PRESETS[data["purpose"]]
    params = copy.deepcopy(params)
    preset_aux = params.pop("auxsmbconf", "")
    data.update(params)
    if preset_aux:
        lines = [line for line in preset_aux.split("\n") if line.strip()]
        for line in (data.get("auxsmbconf") or "").split("\n"):
            if line.strip() and line not in lines:
                lines.append(line)
        data["auxsmbconf"] = "\n".join(lines)
    return data


# --- 25.10 / 26: purpose + options ---

HOSTS = {"hostsallow": F("list", [], items=F("str")), "hostsdeny": F("list", [], items=F("str"))}

SMB_OPTIONS = {
    "DEFAULT_SHARE": ("DefaultOpt", {"aapl_name_mangling": F("bool", False), **HOSTS}),
    "LEGACY_SHARE": ("LegacyOpt", {
        "recyclebin": F("bool", False),
        "path_suffix": F("str", None, null=True, min_len=1),
        **HOSTS,
        "guestok": F("bool", False),
        "streams": F("bool", True),
        "durablehandle": F("bool", True),
        "shadowcopy": F("bool", True),
        "fsrvp": F("bool", False),
        "home": F("bool", False),
        "acl": F("bool", True),
        "afp": F("bool", False),
        "timemachine": F("bool", False),
        "timemachine_quota": F("int", 0, ge=0, le=109951162777600),
        "aapl_name_mangling": F("bool", False),
        "vuid": F("str", None, null=True, min_len=1),
        "auxsmbconf": F("str", ""),
    }),
    "TIMEMACHINE_SHARE": ("TimeMachineOpt", {
        "timemachine_quota": F("int", 0, ge=0, le=109951162777600),
        "auto_snapshot": F("bool", False),
        "auto_dataset_creation": F("bool", False),
        "dataset_naming_schema": F("str", None, null=True),
        "vuid": F("str", None, null=True, min_len=1),
        **HOSTS,
    }),
    "MULTIPROTOCOL_SHARE": ("MultiprotocolOpt", {"aapl_name_mangling": F("bool", False), **HOSTS}),
    "TIME_LOCKED_SHARE": ("TimeLockedOpt", {
        "grace_period": F("int", 900, ge=60, le=15552000),
        "aapl_name_mangling": F("bool", False),
        **HOSTS,
    }),
    "PRIVATE_DATASETS_SHARE": ("PrivateDatasetOpt", {
        "dataset_naming_schema": F("str", None, null=True),
        "auto_quota": F("int", 0, ge=0),
        "aapl_name_mangling": F("bool", False),
        **HOSTS,
    }),
    "EXTERNAL_SHARE": ("ExternalOpt", {"remote_path": F("list", items=F("str", min_len=1))}),
    "VEEAM_REPOSITORY_SHARE": ("VeeamRepositoryOpt", dict(HOSTS)),
    "FCP_SHARE": ("FCPStorageOpt", {"aapl_name_mangling": F("bool", True, choices=[True]), **HOSTS}),
}
SMB_PURPOSES = list(SMB_OPTIONS)
SMB_PURPOSE_ORDER = ["DEFAULT_SHARE", "LEGACY_SHARE", "TIMEMACHINE_SHARE", "MULTIPROTOCOL_SHARE", "TIME_LOCKED_SHARE",
                     "PRIVATE_DATASETS_SHARE", "EXTERNAL_SHARE", "VEEAM_REPOSITORY_SHARE", "FCP_SHARE"]

SMB_FIELDS = {
    "purpose": F("str", "DEFAULT_SHARE", choices=SMB_PURPOSE_ORDER),
    "name": F("str"),
    "path": F("str", min_len=1),
    "enabled": F("bool", True),
    "comment": F("str", ""),
    "readonly": F("bool", False),
    "browsable": F("bool", True),
    "access_based_share_enumeration": F("bool", False),
    "audit": F("model", {"enable": False, "watch_list": [], "ignore_list": []},
               model={"enable": F("bool", False), "watch_list": F("list", [], items=F("str", min_len=1)),
                      "ignore_list": F("list", [], items=F("str", min_len=1))},
               model_name="SmbAuditConfig"),
    "options": F("any", None),
}

# 25.10.0: DEFAULT_SHARE options have no hostsallow/hostsdeny and there is no FCP_SHARE (both came
# with 25.10.1); the profile flag ``smb_hosts_and_fcp`` is false there.
SMB_OPTIONS_2510_0 = dict((k, v) for k, v in SMB_OPTIONS.items() if k != "FCP_SHARE")
SMB_OPTIONS_2510_0["DEFAULT_SHARE"] = ("DefaultOpt", {"aapl_name_mangling": F("bool", False)})
SMB_PURPOSE_ORDER_2510_0 = [p for p in SMB_PURPOSE_ORDER if p != "FCP_SHARE"]
SMB_FIELDS_2510_0 = dict(SMB_FIELDS, purpose=F("str", "DEFAULT_SHARE", choices=SMB_PURPOSE_ORDER_2510_0))


def smb_tables(profile):
    """``(fields, options per purpose, purposes in order)`` of this release's SMB share model."""
    if profile is not None and not getattr(profile, "smb_hosts_and_fcp", True):
        return SMB_FIELDS_2510_0, SMB_OPTIONS_2510_0, SMB_PURPOSE_ORDER_2510_0
    return SMB_FIELDS, SMB_OPTIONS, SMB_PURPOSE_ORDER


SMB_LEGACY_TOP_LEVEL = ("path_suffix", "home", "timemachine", "recyclebin", "guestok", "hostsallow", "hostsdeny",
                        "aapl_name_mangling", "acl", "durablehandle", "shadowcopy", "streams", "fsrvp", "auxsmbconf",
                        "afp", "timemachine_quota", "vuid", "path_local", "locked")


def smb_legacy_shim(data):
    """``normalize_legacy_fields``: runs only when ``purpose`` is present."""
    if not isinstance(data, dict) or "purpose" not in data:
        return data
    data = dict(data)
    if "ro" in data:
        data["readonly"] = data.pop("ro")
    if "abe" in data:
        data["access_based_share_enumeration"] = data.pop("abe")
    purpose = data["purpose"]
    if purpose == "TIMEMACHINE":
        data["purpose"] = "TIMEMACHINE_SHARE"
    elif purpose == "ENHANCED_TIMEMACHINE":
        data["purpose"] = "TIMEMACHINE_SHARE"
        opts = data.get("options")
        if opts is None or isinstance(opts, dict):
            opts = dict(opts or {})
            opts["auto_dataset_creation"] = True
            opts["auto_snapshot"] = True
            data["options"] = opts
    elif purpose == "WORM_DROPBOX":
        data["purpose"] = "TIME_LOCKED_SHARE"
    for key in SMB_LEGACY_TOP_LEVEL:
        data.pop(key, None)
    return data


def smb_options(purpose, options, loc, errors, fill=True, table=None):
    """Validate ``options`` for ``purpose`` (None = that purpose's defaults)."""
    model_name, fields = (table or SMB_OPTIONS)[purpose]
    if options is None:
        options = {}
    if not isinstance(options, dict):
        errors.append((loc, "Input should be a valid dictionary or instance of %s" % model_name))
        return None
    options = dict(options)
    injected = options.pop("purpose", purpose)
    if injected != purpose:
        errors.append((_join(_join(loc, purpose), "purpose"), "Input should be '%s'" % purpose))
    return check_model(fields, options, _join(loc, purpose), errors, partial=not fill)


def smb_2510_model(data, loc, update, profile=None):
    """The pydantic part of SmbShareCreate / SmbShareUpdate: returns (clean, errors)."""
    fields, table, _order = smb_tables(profile)
    errors = []
    if not isinstance(data, dict):
        errors.append((loc, "Input should be a valid dictionary or instance of %s" % (
            "SmbShareUpdate" if update else "SmbShareCreate")))
        return None, errors
    data = smb_legacy_shim(data)
    if "options" in data and "purpose" not in data:
        errors.append((loc, "Value error, You must set `purpose` if you set `options`."))
        return None, errors
    clean = check_model(fields, {k: v for k, v in data.items() if k != "options"}, loc, errors, partial=update)
    if "name" in clean and isinstance(clean["name"], str) and not any(a == _join(loc, "name") for a, _m in errors):
        problem = smb_name_problem(clean["name"])
        if problem:
            errors.append((_join(loc, "name"), "Value error, " + problem))
    purpose = clean.get("purpose")
    if isinstance(purpose, str) and purpose in table:
        if "options" in data or not update:
            clean["options"] = smb_options(purpose, data.get("options"), _join(loc, "options"), errors, table=table)
        if purpose == "EXTERNAL_SHARE" and clean.get("path") not in (None, "EXTERNAL") and not errors:
            errors.append((loc, 'Value error, You must set `path` to "EXTERNAL" for external shares.'))
    elif "options" in data:
        clean["options"] = data["options"]
    return clean, errors


class SmbService:
    """Business logic shared by the SMB methods; ``legacy`` is the 25.04 flat shape."""

    verbose = "SharingSMB"

    def __init__(self, ctx):
        self.ctx = ctx
        self.state = ctx.state
        self.legacy = not ctx.profile.at_least("25.10")
        self.v26 = ctx.profile.at_least("26")

    def table(self):
        return self.state.data.setdefault(SMB_KIND, {})

    def extend(self, rec):
        out = copy.deepcopy(rec)
        path = out.get("path")
        if self.legacy:
            out["path_local"] = path
            out["locked"] = path_locked(self.state, path)
        else:
            out["locked"] = None if path == "EXTERNAL" else path_locked(self.state, path)
            if self.v26:
                ds, rel = share_location(self.state, path)
                out["dataset"] = ds
                out["relative_path"] = rel
                out["tier"] = None
        return out

    def entries(self):
        return [self.extend(rec) for _key, rec in sorted(self.table().items(), key=lambda kv: int(kv[0]))]

    def get(self, id_):
        rec = self.table().get(str(id_))
        if rec is None:
            raise InstanceNotFound(self.verbose, id_)
        return rec

    # --- validation shared by both shapes ---

    def validate_common(self, verrors, schema, data, old):
        name = data.get("name")
        if isinstance(name, str):
            for rec in self.table().values():
                if old is not None and rec["id"] == old["id"]:
                    continue
                if rec["name"].casefold() == name.casefold():
                    verrors.add("%s.name" % schema, "Share names are case-insensitive and must be unique")
                    break
        audit = data.get("audit") or {}
        cfg = sharing_config(self.state)
        if audit.get("enable"):
            if cfg["smb"].get("enable_smb1"):
                verrors.add("%s.audit.enable" % schema, "SMB auditing is not supported if SMB1 protocol is enabled")
            if not audit.get("watch_list") and not audit.get("ignore_list"):
                verrors.add("%s.audit.enable" % schema,
                            "Watch list or ignore list is required to enable auditing for an SMB share.")
        for key in ("watch_list", "ignore_list"):
            for i, group in enumerate(audit.get(key) or []):
                if not group_exists(self.state, group):
                    verrors.add("%s.audit.%s.%d" % (schema, key, i), "%s: group does not exist." % group)

    def validate_path(self, verrors, attr, path):
        if not in_pool(self.state, path):
            verrors.add(attr, "The path must reside within a pool mount point")
        elif not path_exists(self.state, path):
            verrors.add(attr, "Path does not exist.", errno.ENOENT)
        elif path_is_symlink(self.state, path):
            verrors.add(attr, "%s: path is a symbolic link" % path)
        elif dataset_for_path(self.state, path) is None:
            verrors.add(attr, "%s: path is not a ZFS dataset" % path)

    def check_aux(self, verrors, attr, aux):
        if not aux:
            return
        if not is_full_admin(self.ctx):
            verrors.add(attr, "Changes to auxiliary parameters for SMB shares are restricted to users with full "
                              "administrative privileges.")
            return
        for line in aux.splitlines():
            text = line.strip()
            if not text or text[0] in "#;":
                continue
            if "=" not in text or not text.split("=", 1)[0].strip():
                verrors.add(attr, "Auxiliary parameters rejected because they would break the SMB server")
                return

    # --- 25.04 ---

    def validate_2504(self, data, old, schema):
        verrors = ValidationErrors()
        problem = smb_name_problem(data["name"])
        if problem:
            verrors.add("%s.name" % schema, problem)
        path = data["path"]
        if not path.startswith("EXTERNAL:"):
            self.validate_path(verrors, "%s.path_local" % schema, path)
        if data["home"]:
            for rec in self.table().values():
                if rec.get("home") and (old is None or rec["id"] != old["id"]):
                    verrors.add("%s.home" % schema, "Only one share is allowed to be a home share.")
                    break
        cfg = sharing_config(self.state)["smb"]
        if data["timemachine"] and not cfg.get("mdns", True):
            verrors.add("%s.timemachine" % schema,
                        "mDNS must be enabled in order to use an SMB share as a time machine target.")
        if data["timemachine"] and not cfg.get("aapl_extensions"):
            verrors.add("%s.timemachine" % schema, APPLE_EXT_MSG)
        if data["afp"] and not cfg.get("aapl_extensions"):
            verrors.add("%s.afp" % schema, APPLE_EXT_MSG)
        self.validate_common(verrors, schema, data, old)
        if data["auxsmbconf"] != (old or {}).get("auxsmbconf", ""):
            self.check_aux(verrors, "%s.auxsmbconf" % schema, data["auxsmbconf"])
        verrors.raise_if_any()

    def create_2504(self, data):
        schema = "sharingsmb_create"
        errors = []
        if not isinstance(data, dict):
            raise ValidationErrors([(schema, "Not a dictionary", errno.EINVAL)])
        clean = check_model(SMB_2504_FIELDS, data, schema, errors, legacy=True)
        raise_errors(errors)
        smb_2504_apply_preset(clean)
        self.validate_2504(clean, None, schema)
        clean["vuid"] = str(uuid.uuid4()) if clean["timemachine"] else ""
        return clean

    def update_2504(self, old, data):
        schema = "sharingsmb_update"
        errors = []
        if not isinstance(data, dict):
            raise ValidationErrors([(schema, "Not a dictionary", errno.EINVAL)])
        patch = check_model(SMB_2504_FIELDS, data, schema, errors, partial=True, legacy=True)
        raise_errors(errors)
        new = copy.deepcopy(old)
        audit = patch.pop("audit", None)
        new.update(patch)
        if audit is not None:
            new["audit"].update(audit)
        smb_2504_apply_preset(new)
        self.validate_2504(new, old, schema)
        if new["timemachine"] and not new.get("vuid"):
            new["vuid"] = str(uuid.uuid4())
        return new

    # --- 25.10 / 26 ---

    def validate_2510(self, data, old, schema):
        verrors = ValidationErrors()
        purpose = data["purpose"]
        path = data["path"]
        opts = data["options"]
        if purpose == "EXTERNAL_SHARE":
            pass
        elif path == "EXTERNAL" or path.startswith("EXTERNAL"):
            verrors.add("%s.path" % schema, "External paths may only be set for shares with an EXTERNAL_SHARE purpose")
        else:
            self.validate_path(verrors, "%s.path" % schema, path)
        if purpose == "LEGACY_SHARE" and opts.get("home"):
            for rec in self.table().values():
                if old is not None and rec["id"] == old["id"]:
                    continue
                if rec.get("purpose") == "LEGACY_SHARE" and (rec.get("options") or {}).get("home"):
                    verrors.add("%s.options.home" % schema, "Only one share is allowed to be a home share.")
                    break
        cfg = sharing_config(self.state)
        smb = cfg["smb"]
        if purpose == "TIMEMACHINE_SHARE" and not smb.get("mdns", True):
            verrors.add("%s.purpose" % schema,
                        "mDNS must be enabled in order to use an SMB share as a time machine target.")
        if purpose in ("TIMEMACHINE_SHARE", "FCP_SHARE") and not smb.get("aapl_extensions"):
            verrors.add("%s.purpose" % schema, APPLE_EXT_MSG)
        if purpose == "LEGACY_SHARE" and opts.get("afp") and not smb.get("aapl_extensions"):
            verrors.add("%s.options.afp" % schema, APPLE_EXT_MSG)
        if purpose == "VEEAM_REPOSITORY_SHARE" and not cfg.get("enterprise"):
            verrors.add("%s.purpose" % schema, "This is an enterprise feature and may not be enabled without a "
                                               "valid license.")
        if opts.get("vuid") is not None and not _valid_uuid(opts["vuid"]):
            verrors.add("%s.options.vuid" % schema, "Invalid UUID")
        self.validate_common(verrors, schema, data, old)
        if purpose == "LEGACY_SHARE":
            old_aux = ((old or {}).get("options") or {}).get("auxsmbconf", "")
            if opts.get("auxsmbconf", "") != old_aux:
                self.check_aux(verrors, "%s.options.auxsmbconf" % schema, opts.get("auxsmbconf", ""))
        verrors.raise_if_any()

    @staticmethod
    def fill_vuid(data):
        opts = data["options"]
        if data["purpose"] == "TIMEMACHINE_SHARE" and not opts.get("vuid"):
            opts["vuid"] = str(uuid.uuid4())
        elif data["purpose"] == "LEGACY_SHARE" and opts.get("timemachine") and not opts.get("vuid"):
            opts["vuid"] = str(uuid.uuid4())

    def create_2510(self, data):
        clean, errors = smb_2510_model(data, "data", update=False, profile=self.ctx.profile)
        raise_errors(errors)
        self.validate_2510(clean, None, "sharingsmb_create")
        self.fill_vuid(clean)
        return clean

    def update_2510(self, old, data):
        patch, errors = smb_2510_model(data, "data", update=True, profile=self.ctx.profile)
        raise_errors(errors)
        new = copy.deepcopy(old)
        audit = patch.pop("audit", None)
        if "purpose" in patch and "options" not in patch and patch["purpose"] != old["purpose"]:
            patch["options"] = smb_options(patch["purpose"], None, "data.options", [],
                                           table=smb_tables(self.ctx.profile)[1])
        new.update(patch)
        if audit is not None:
            new["audit"].update(audit)
        if new["purpose"] == "EXTERNAL_SHARE" and new["path"] != "EXTERNAL":
            raise ValidationErrors([("data", 'Value error, You must set `path` to "EXTERNAL" for external shares.',
                                     errno.EINVAL)])
        self.validate_2510(new, old, "sharingsmb_update")
        self.fill_vuid(new)
        return new

    # --- CRUD ---

    def create(self, data):
        clean = self.create_2504(data) if self.legacy else self.create_2510(data)
        id_ = self.state.next_id(SMB_KIND)
        rec = {"id": id_}
        rec.update(clean)
        self.table()[str(id_)] = rec
        save(self.ctx)
        entry = self.extend(rec)
        emit(self.ctx, "sharing.smb.query", "ADDED", id_, entry)
        return entry

    def update(self, id_, data):
        old = self.get(id_)
        new = self.update_2504(old, data) if self.legacy else self.update_2510(old, data)
        new["id"] = old["id"]
        self.table()[str(old["id"])] = new
        save(self.ctx)
        entry = self.extend(new)
        emit(self.ctx, "sharing.smb.query", "CHANGED", old["id"], entry)
        return entry

    def delete(self, id_):
        rec = self.get(id_)
        del self.table()[str(rec["id"])]
        save(self.ctx)
        emit(self.ctx, "sharing.smb.query", "REMOVED", rec["id"])
        return True


def _legacy(ctx):
    return not ctx.profile.at_least("25.10")


@method("sharing.smb.query")
def smb_query(ctx, filters=None, options=None):
    return query_items(ctx, SmbService(ctx).entries(), filters, options)


@method("sharing.smb.get_instance")
def smb_get_instance(ctx, id_, options=None):
    svc = SmbService(ctx)
    return get_instance(ctx, svc.entries(), id_, svc.verbose, options)


@method("sharing.smb.create", schema=False)
def smb_create(ctx, *args):
    legacy = _legacy(ctx)
    (data,) = take_args(args, ["sharingsmb_create" if legacy else "data"], {}, legacy=legacy)
    return SmbService(ctx).create(data)


@method("sharing.smb.update", schema=False)
def smb_update(ctx, *args):
    legacy = _legacy(ctx)
    id_, data = take_args(args, ["id", "sharingsmb_update" if legacy else "data"], {"sharingsmb_update": {}},
                          legacy=legacy)
    check_id(id_, legacy=legacy)
    return SmbService(ctx).update(id_, data)


@method("sharing.smb.delete")
def smb_delete(ctx, id_):
    check_id(id_, legacy=_legacy(ctx))
    return SmbService(ctx).delete(id_)


@method("sharing.smb.presets")
def smb_presets(ctx):
    if _legacy(ctx):
        return {name: {"verbose_name": verbose, "params": copy.deepcopy(params), "cluster": False}
                for name, (verbose, params) in SMB_2504_PRESETS.items()}
    return {name: {"verbose_name": name} for name in smb_tables(ctx.profile)[2]}


@method("sharing.smb.share_precheck")
def smb_share_precheck(ctx, data=None):
    data = {} if data is None else data
    if not isinstance(data, dict):
        raise ValidationErrors([("smb_share_precheck", "Input should be a valid dictionary or instance of "
                                                       "SharingSMBSharePrecheckArgs", errno.EINVAL)])
    verrors = ValidationErrors()
    if smb_user_count(ctx.state) == 0:
        verrors.add("sharing.smb.share_precheck", "TrueNAS server must be joined to a directory service or have "
                                                  "at least one local SMB user before creating an SMB share.")
    name = data.get("name")
    if name is not None:
        for rec in SmbService(ctx).table().values():
            if rec["name"].casefold() == str(name).casefold():
                verrors.add("sharing.smb.share_precheck.name", "Share with this name already exists.", errno.EEXIST)
                break
    verrors.raise_if_any()
    return None


# ---------------------------------------------------------------------------------------------
# NFS
# ---------------------------------------------------------------------------------------------

NFS_FIELDS = {
    "path": F("str", min_len=1),
    "aliases": F("list", [], items=F("str", min_len=1)),
    "comment": F("str", ""),
    "networks": F("list", [], items=F("str", min_len=1)),
    "hosts": F("list", [], items=F("str", min_len=1)),
    "ro": F("bool", False),
    "maproot_user": F("str", None, null=True),
    "maproot_group": F("str", None, null=True),
    "mapall_user": F("str", None, null=True),
    "mapall_group": F("str", None, null=True),
    "security": F("list", [], items=F("str", choices=["SYS", "KRB5", "KRB5I", "KRB5P"])),
    "enabled": F("bool", True),
    "expose_snapshots": F("bool", False),
}
ALL_NETWORKS = (ipaddress.ip_network("0.0.0.0/0"), ipaddress.ip_network("::/0"))


def _host_network(host):
    try:
        return ipaddress.ip_network(host, strict=False)
    except ValueError:
        return None


class NfsService:
    verbose = "SharingNFS"

    def __init__(self, ctx):
        self.ctx = ctx
        self.state = ctx.state
        self.v26 = ctx.profile.at_least("26")

    def table(self):
        return self.state.data.setdefault(NFS_KIND, {})

    def extend(self, rec):
        out = copy.deepcopy(rec)
        out["locked"] = path_locked(self.state, out["path"])
        if self.v26:
            ds, rel = share_location(self.state, out["path"])
            out["dataset"] = ds
            out["relative_path"] = rel
            out["tier"] = None
        return out

    def entries(self):
        return [self.extend(rec) for _key, rec in sorted(self.table().items(), key=lambda kv: int(kv[0]))]

    def get(self, id_):
        rec = self.table().get(str(id_))
        if rec is None:
            raise InstanceNotFound(self.verbose, id_)
        return rec

    def normalise_networks(self, verrors, schema, networks):
        out = []
        invalid = []
        for net in networks:
            try:
                parsed = ipaddress.ip_network(net, strict=False)
            except ValueError:
                invalid.append(net)
                continue
            if parsed in ALL_NETWORKS:
                verrors.add("%s.networks" % schema, "Do not use %s to represent all-networks. No entry is required "
                                                    "to represent all-networks." % net)
                continue
            out.append(parsed)
        if invalid:
            verrors.add("%s.networks" % schema,
                        "The following do not appear to be valid IPv4 or IPv6 networks: %s" % ", ".join(invalid))
        seen = []
        for net in out:
            if net in seen:
                verrors.add("%s.networks" % schema, "Entries must be unique: %s" % net)
                return [str(n) for n in out]
            seen.append(net)
        for i, a in enumerate(out):
            for b in out[i + 1:]:
                if a.version == b.version and a.overlaps(b):
                    verrors.add("%s.networks" % schema, "The following networks overlap: %s, %s" % (a, b))
                    return [str(n) for n in out]
        return [str(n) for n in out]

    @staticmethod
    def check_hosts(verrors, schema, hosts):
        for host in hosts:
            if any(ch.isspace() for ch in host) or '"' in host or "'" in host:
                verrors.add("%s.hosts" % schema, "Cannot contain spaces or quotes: %s" % host)
        dups = sorted({h for h in hosts if hosts.count(h) > 1})
        if dups:
            verrors.add("%s.hosts" % schema, "Entries must be unique: %s" % ", ".join(dups))

    def export_conflicts(self, verrors, schema, data, old):
        others = [r for r in self.table().values()
                  if r["path"].rstrip("/") == data["path"].rstrip("/") and (old is None or r["id"] != old["id"])]
        if not others:
            return
        used = []
        used_hosts = set()
        for rec in others:
            if not rec["hosts"] and not rec["networks"]:
                used.extend(ALL_NETWORKS)
            for net in rec["networks"]:
                used.append(ipaddress.ip_network(net, strict=False))
            for host in rec["hosts"]:
                net = _host_network(host)
                if net is None:
                    used_hosts.add(host)
                else:
                    used.append(net)

        def clashes(net):
            return any(net.version == u.version and net.overlaps(u) for u in used)

        targets = []
        if not data["hosts"] and not data["networks"]:
            if used or used_hosts:
                targets.append("everyone")
        for net in data["networks"]:
            if clashes(ipaddress.ip_network(net, strict=False)):
                targets.append(net)
        for host in data["hosts"]:
            net = _host_network(host)
            if (net is not None and clashes(net)) or host in used_hosts or (net is None and any(
                    u.prefixlen == 0 for u in used)):
                targets.append(host)
        if targets:
            verrors.add("%s.path" % schema, "ERROR - Export conflict. Another share with the same path exports %s "
                                            "for %s" % (data["path"], ", ".join(targets)))

    def validate(self, data, old, schema):
        verrors = ValidationErrors()
        path = data["path"]
        if not in_pool(self.state, path):
            verrors.add("%s.path" % schema, "The path must reside within a pool mount point")
        elif path_is_symlink(self.state, path):
            verrors.add("%s.path" % schema, "Symbolic links are not allowed: %s." % path)
        elif not path_exists(self.state, path):
            raise CallError("Path %s not found" % path, errno.ENOENT)
        data["networks"] = self.normalise_networks(verrors, schema, data["networks"])
        self.check_hosts(verrors, schema, data["hosts"])
        for kind in ("maproot", "mapall"):
            user, group = data["%s_user" % kind], data["%s_group" % kind]
            if group and not user:
                verrors.add("%s.%s_user" % (schema, kind), "This field is required when map group is specified")
            if user and not user_exists(self.state, user):
                verrors.add("%s.%s_user" % (schema, kind), "User not found: %s" % user)
            if group and not group_exists(self.state, group):
                verrors.add("%s.%s_group" % (schema, kind), "Group not found: %s" % group)
        if data["maproot_user"] and data["mapall_user"]:
            verrors.add("%s.mapall_user" % schema, "maproot_user disqualifies mapall_user")
        if data["maproot_group"] and data["mapall_group"]:
            verrors.add("%s.mapall_group" % schema, "maproot_group disqualifies mapall_group")
        cfg = sharing_config(self.state)
        non_sys = [s for s in data["security"] if s != "SYS"]
        if non_sys and "NFSV4" not in cfg["nfs"].get("protocols", []):
            verrors.add("%s.security" % schema, "The following security flavor(s) require NFSv4 to be enabled: "
                                                "%s." % ", ".join(non_sys))
        if data["expose_snapshots"] and not cfg.get("enterprise"):
            verrors.add("%s.expose_snapshots" % schema,
                        "This is an enterprise feature and may not be enabled without a valid license.")
        if not verrors:
            self.export_conflicts(verrors, schema, data, old)
        data["aliases"] = []
        verrors.raise_if_any()
        return data

    def create(self, data):
        errors = []
        if not isinstance(data, dict):
            raise ValidationErrors([("data", "Input should be a valid dictionary or instance of NfsShareCreate",
                                     errno.EINVAL)])
        clean = check_model(NFS_FIELDS, data, "data", errors)
        raise_errors(errors)
        clean = self.validate(clean, None, "sharingnfs_create")
        id_ = self.state.next_id(NFS_KIND)
        rec = {"id": id_}
        rec.update(clean)
        self.table()[str(id_)] = rec
        save(self.ctx)
        entry = self.extend(rec)
        emit(self.ctx, "sharing.nfs.query", "ADDED", id_, entry)
        return entry

    def update(self, id_, data):
        old = self.get(id_)
        errors = []
        if not isinstance(data, dict):
            raise ValidationErrors([("data", "Input should be a valid dictionary or instance of NfsShareUpdate",
                                     errno.EINVAL)])
        patch = check_model(NFS_FIELDS, data, "data", errors, partial=True)
        raise_errors(errors)
        new = copy.deepcopy(old)
        new.update(patch)
        new = self.validate(new, old, "sharingnfs_update")
        new["id"] = old["id"]
        self.table()[str(old["id"])] = new
        save(self.ctx)
        entry = self.extend(new)
        emit(self.ctx, "sharing.nfs.query", "CHANGED", old["id"], entry)
        return entry

    def delete(self, id_):
        rec = self.get(id_)
        del self.table()[str(rec["id"])]
        save(self.ctx)
        emit(self.ctx, "sharing.nfs.query", "REMOVED", rec["id"])
        return True


@method("sharing.nfs.query")
def nfs_query(ctx, filters=None, options=None):
    return query_items(ctx, NfsService(ctx).entries(), filters, options)


@method("sharing.nfs.get_instance")
def nfs_get_instance(ctx, id_, options=None):
    svc = NfsService(ctx)
    return get_instance(ctx, svc.entries(), id_, svc.verbose, options)


@method("sharing.nfs.create", schema=False)
def nfs_create(ctx, *args):
    (data,) = take_args(args, ["data"], {})
    return NfsService(ctx).create(data)


@method("sharing.nfs.update", schema=False)
def nfs_update(ctx, *args):
    id_, data = take_args(args, ["id", "data"], {"data": {}})
    check_id(id_)
    return NfsService(ctx).update(id_, data)


@method("sharing.nfs.delete")
def nfs_delete(ctx, id_):
    check_id(id_)
    return NfsService(ctx).delete(id_)


# ---------------------------------------------------------------------------------------------
# Test hook and seed
# ---------------------------------------------------------------------------------------------

CONFIG_FIELDS = {
    "smb": F("model", model={"aapl_extensions": F("bool"), "enable_smb1": F("bool"), "mdns": F("bool")},
             model_name="SmbConfig"),
    "nfs": F("model", model={"protocols": F("list", items=F("str", choices=["NFSV3", "NFSV4"]))},
             model_name="NfsConfig"),
    "enterprise": F("bool"),
}


@method("test.sharing_config", test_hook=True, schema=False)
def hook_sharing_config(ctx, patch=None):
    """Deep-merge ``patch`` into the SMB/NFS service configuration; returns the result."""
    cfg = sharing_config(ctx.state)
    if patch is not None:
        errors = []
        if not isinstance(patch, dict):
            errors.append(("patch", "Input should be a valid dictionary"))
        else:
            check_model(CONFIG_FIELDS, patch, "patch", errors, partial=True)
        raise_errors(errors)
        _merge(cfg, patch)
        save(ctx)
    return copy.deepcopy(cfg)


@seed_loader
def load_sharing_seed(state, seed):
    """Seed section ``sharing`` (optional): a patch over :data:`DEFAULT_SHARING_CONFIG`."""
    cfg = copy.deepcopy(DEFAULT_SHARING_CONFIG)
    cfg["enterprise"] = _licensed(state)
    section = (seed or {}).get("sharing")
    if section is not None:
        errors = []
        if not isinstance(section, dict):
            errors.append(("sharing", "Input should be a valid dictionary"))
        else:
            check_model(CONFIG_FIELDS, section, "sharing", errors, partial=True)
        if errors:
            raise ValueError("seed section sharing: " + "; ".join("%s: %s" % e for e in errors))
        _merge(cfg, section)
    state.data[CONFIG_KIND] = {"config": cfg}
    state.data.setdefault(SMB_KIND, {})
    state.data.setdefault(NFS_KIND, {})
