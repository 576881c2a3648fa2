# nasops.truenas: PRIVATE, internal use only. Not a public API; it may change without notice.
# Copyright (c) nasops contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Descriptor of SMB shares (``sharing.smb``).

Users see one option vocabulary; the descriptor translates it to the shape the server speaks
(capability ``smb_shape``):

* ``flat`` (TrueNAS 25.04): every setting is a top-level field (``ro``, ``abe``, ``guestok``,
  ``hostsallow``, ...) and ``purpose`` names a preset that overwrites some of them whenever the
  share is saved, unless it is ``NO_PRESET``.
* ``purpose_options`` (TrueNAS 25.10 and later): a few top-level fields (``readonly``,
  ``access_based_share_enumeration``, ...) plus ``purpose`` and a per-purpose ``options``
  object. Most flags exist only under ``LEGACY_SHARE``; ``options`` is replaced wholesale on
  update, so the full merged set is sent.

User purposes map to both shapes through :data:`PURPOSES`. Which options a purpose can express
is declared once (:data:`OPTION_KEYS`, :data:`PRESET_FORCES`); when the user gives no purpose
and an option needs another one, the share becomes (or stays) a ``legacy`` share.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import copy
import unicodedata

from ansible_collections.nasops.truenas.plugins.module_utils._compare import Comparator, OptionError, get as get_comparator
from ansible_collections.nasops.truenas.plugins.module_utils._compare import normalize_path, path_from_api
from ansible_collections.nasops.truenas.plugins.module_utils._errors import TrueNASValidationError
from ansible_collections.nasops.truenas.plugins.module_utils._resource import Field, Resource
from ansible_collections.nasops.truenas.plugins.module_utils._sizes import to_bytes

FLAT = "flat"
PURPOSE_OPTIONS = "purpose_options"

# User purpose -> API purpose per shape. A purpose missing from a shape does not exist there.
PURPOSES = {
    "default": {FLAT: "DEFAULT_SHARE", PURPOSE_OPTIONS: "DEFAULT_SHARE"},
    "legacy": {FLAT: "NO_PRESET", PURPOSE_OPTIONS: "LEGACY_SHARE"},
    "timemachine": {FLAT: "TIMEMACHINE", PURPOSE_OPTIONS: "TIMEMACHINE_SHARE"},
    "multiprotocol": {FLAT: "MULTI_PROTOCOL_NFS", PURPOSE_OPTIONS: "MULTIPROTOCOL_SHARE"},
    "private_datasets": {FLAT: "PRIVATE_DATASETS", PURPOSE_OPTIONS: "PRIVATE_DATASETS_SHARE"},
    "time_locked": {FLAT: "WORM_DROPBOX", PURPOSE_OPTIONS: "TIME_LOCKED_SHARE"},
    "veeam_repository": {FLAT: "VEEAM_REPOSITORY_SHARE", PURPOSE_OPTIONS: "VEEAM_REPOSITORY_SHARE"},
    "fcp": {PURPOSE_OPTIONS: "FCP_SHARE"},
}
PURPOSE_CHOICES = sorted(PURPOSES)
# API purposes that users cannot request but may find on a server (read back only).
READ_ONLY_PURPOSES = {
    FLAT: {"ENHANCED_TIMEMACHINE": "enhanced_timemachine"},
    PURPOSE_OPTIONS: {"EXTERNAL_SHARE": "external"},
}

# Keys of ``options`` per purpose on the purpose_options shape.
_HOSTS = ("hostsallow", "hostsdeny")
OPTION_KEYS = {
    "DEFAULT_SHARE": ("aapl_name_mangling",) + _HOSTS,
    "MULTIPROTOCOL_SHARE": ("aapl_name_mangling",) + _HOSTS,
    "LEGACY_SHARE": ("recyclebin", "path_suffix", "guestok", "streams", "durablehandle", "shadowcopy", "fsrvp",
                     "home", "acl", "afp", "timemachine", "timemachine_quota", "aapl_name_mangling", "vuid",
                     "auxsmbconf") + _HOSTS,
    "TIMEMACHINE_SHARE": ("timemachine_quota", "auto_snapshot", "auto_dataset_creation", "dataset_naming_schema",
                          "vuid") + _HOSTS,
    "TIME_LOCKED_SHARE": ("grace_period", "aapl_name_mangling") + _HOSTS,
    "PRIVATE_DATASETS_SHARE": ("dataset_naming_schema", "auto_quota", "aapl_name_mangling") + _HOSTS,
    "EXTERNAL_SHARE": ("remote_path",),
    "VEEAM_REPOSITORY_SHARE": _HOSTS,
    "FCP_SHARE": ("aapl_name_mangling",) + _HOSTS,
}
# TrueNAS 25.10.0 (capability ``smb_hosts_and_fcp`` false): DEFAULT_SHARE options have no
# hostsallow/hostsdeny and there is no FCP_SHARE purpose; both came with 25.10.1.
EARLY_OPTION_KEYS = dict(OPTION_KEYS, DEFAULT_SHARE=("aapl_name_mangling",))
EARLY_MISSING_PURPOSES = ("FCP_SHARE",)


def option_keys(api_name, caps=None):
    """The ``options`` keys of purpose ``api_name`` on this release (``caps``; None: the newest)."""
    table = OPTION_KEYS if caps is None or caps.get("smb_hosts_and_fcp", True) else EARLY_OPTION_KEYS
    return table.get(api_name, ())


# Options that live at the top level of a share in both shapes (every purpose has them).
TOP_LEVEL = ("name", "path", "purpose", "comment", "enabled", "browsable", "readonly", "access_based_enumeration",
             "audit")
# Options that do not depend on the purpose.
PLANNED = ("name", "purpose")
# Options that live in ``options`` on the purpose_options shape: option -> options key.
OPTION_FIELDS = {
    "guest_ok": "guestok",
    "hosts_allow": "hostsallow",
    "hosts_deny": "hostsdeny",
    "timemachine": "timemachine",
    "timemachine_quota": "timemachine_quota",
    "recycle_bin": "recyclebin",
    "shadow_copies": "shadowcopy",
    "auxiliary_parameters": "auxsmbconf",
}
# Field names of the flat shape, where they differ from the option.
FLAT_NAMES = dict(OPTION_FIELDS, readonly="ro", access_based_enumeration="abe")
PO_NAMES = {"access_based_enumeration": "access_based_share_enumeration"}

# Values a new LEGACY_SHARE or TIMEMACHINE_SHARE gets for the settings not sent (user options).
OPTION_DEFAULTS = {"guest_ok": False, "recycle_bin": False, "shadow_copies": True, "auxiliary_parameters": "",
                   "timemachine": False, "timemachine_quota": 0, "hosts_allow": [], "hosts_deny": []}

# Values the 25.04 presets write over the user's ones each time a share is saved (user options).
PRESET_FORCES = {
    "DEFAULT_SHARE": {"readonly": False, "browsable": True, "timemachine": False, "recycle_bin": False,
                      "access_based_enumeration": False, "hosts_allow": [], "hosts_deny": [], "shadow_copies": True},
    "TIMEMACHINE": {"timemachine": True},
    "ENHANCED_TIMEMACHINE": {"timemachine": True},
}
# The 25.10 purpose a 25.04 preset became on upgrade; a preset offers what that purpose offers.
FLAT_EQUIVALENT = {
    "NO_PRESET": "LEGACY_SHARE",
    "DEFAULT_SHARE": "DEFAULT_SHARE",
    "TIMEMACHINE": "TIMEMACHINE_SHARE",
    "ENHANCED_TIMEMACHINE": "TIMEMACHINE_SHARE",
    "MULTI_PROTOCOL_NFS": "MULTIPROTOCOL_SHARE",
    "PRIVATE_DATASETS": "PRIVATE_DATASETS_SHARE",
    "WORM_DROPBOX": "TIME_LOCKED_SHARE",
    "VEEAM_REPOSITORY_SHARE": "VEEAM_REPOSITORY_SHARE",
}

INVALID_NAME_CHARS = '%<>*?|/\\+=;:",[]'
RESERVED_NAMES = ("global", "printers", "homes", "admin$", "ipc$")
_HOST_FORBIDDEN = (",", "'", '"')


# ---- parsing -------------------------------------------------------------------------------

def parse_name(value):
    if not value:
        raise ValueError("must not be empty")
    if len(value) > 80:
        raise ValueError("must be at most 80 characters, got %d" % len(value))
    bad = sorted(set(value) & set(INVALID_NAME_CHARS))
    if bad:
        raise ValueError("%r contains characters SMB share names cannot have: %s" % (value, " ".join(bad)))
    if any(unicodedata.category(ch) == "Cc" for ch in value):
        raise ValueError("%r contains control characters" % value)
    if value.lower() in RESERVED_NAMES:
        raise ValueError("%r is reserved by Samba; choose another name" % value)
    return value


def parse_path(value):
    """One spelling of the path (no trailing or doubled slashes, no ``.`` parts)."""
    return normalize_path(value)


def parse_hosts(value):
    hosts = []
    for item in value:
        if not isinstance(item, str):
            raise ValueError("entries must be strings (host names, IP addresses or networks), got %r of type %s"
                             % (item, type(item).__name__))
        host = item.strip()
        if not host:
            raise ValueError("entries must not be empty")
        if any(ch.isspace() for ch in host) or any(ch in host for ch in _HOST_FORBIDDEN):
            raise ValueError("%r is not one host, address or network: spaces, commas and quotes are not allowed; "
                             "list each entry separately" % item)
        if host not in hosts:
            hosts.append(host)
    return hosts


def _aux_lines(value):
    if isinstance(value, str):
        lines = value.splitlines()
    elif isinstance(value, (list, tuple)):
        lines = []
        for item in value:
            if not isinstance(item, str):
                raise ValueError("must be a string or a list of strings, got an entry %r of type %s"
                                 % (item, type(item).__name__))
            lines.extend(item.splitlines())
    else:
        raise ValueError("must be a string or a list of strings, got %s" % type(value).__name__)
    return [line.strip() for line in lines if line.strip()]


def parse_aux(value):
    """smb.conf lines: each ``parameter = value`` (or a ``#``/``;`` comment); no sections."""
    lines = _aux_lines(value)
    for line in lines:
        if line[0] in "#;":
            continue
        if line.startswith("["):
            raise ValueError("%r: sections are not allowed, only 'parameter = value' lines" % line)
        key, sep, _rest = line.partition("=")
        if not sep or not key.strip():
            raise ValueError("%r is not a 'parameter = value' line" % line)
    return "\n".join(lines)


def aux_from_api(value):
    return "\n".join(line.strip() for line in value.splitlines() if line.strip())


def parse_audit(value):
    audit = {}
    for key in ("enable", "watch_list", "ignore_list"):
        item = value.get(key)
        if item is None:
            continue
        if key != "enable":
            groups = []
            for group in item:
                if not isinstance(group, str) or not group.strip():
                    raise ValueError("%s entries must be group names, got %r" % (key, group))
                if group.strip() not in groups:
                    groups.append(group.strip())
            item = groups
        audit[key] = item
    return audit


def audit_from_api(value):
    return dict((key, copy.deepcopy(value[key])) for key in ("enable", "watch_list", "ignore_list") if key in value)


def parse_quota(value):
    return to_bytes(value)


class AuditComparator(Comparator):
    """The keys of ``audit`` the user gave; group lists compared as sets. TrueNAS merges
    ``audit`` into the stored value, and so does the prediction."""

    name = "audit"
    _lists = get_comparator("set")

    def equal(self, desired, current):
        if not isinstance(current, dict):
            return not desired
        for key, value in desired.items():
            if key in ("watch_list", "ignore_list"):
                if not self._lists.equal(value, current.get(key)):
                    return False
            elif value != current.get(key):
                return False
        return True

    def merge(self, current, desired):
        merged = dict(current or {})
        merged.update(desired)
        return merged


# ---- what each purpose can express ---------------------------------------------------------

def user_purpose(api_purpose, shape):
    """The user word for an API purpose (unknown ones lower-cased, without ``_SHARE``)."""
    for name, names in PURPOSES.items():
        if names.get(shape) == api_purpose:
            return name
    known = READ_ONLY_PURPOSES.get(shape, {})
    if api_purpose in known:
        return known[api_purpose]
    if isinstance(api_purpose, str):
        text = api_purpose.lower()
        return text[:-len("_share")] if text.endswith("_share") else text
    return api_purpose


def api_purpose(purpose, shape):
    """The API purpose for a user purpose, or None when the shape has no such purpose."""
    names = PURPOSES.get(purpose)
    return names.get(shape) if names else None


def _po_expresses(api_name, option, value, caps=None):
    """Can a purpose_options share of purpose ``api_name`` hold ``option=value``?"""
    if option in TOP_LEVEL:
        return True, None
    keys = option_keys(api_name, caps)
    if OPTION_FIELDS.get(option) in OPTION_KEYS.get(api_name, ()) and OPTION_FIELDS[option] not in keys:
        return False, "shares of that purpose have it from TrueNAS 25.10.1 on, legacy shares have it"
    if option == "timemachine" and "timemachine" not in keys:
        # A time machine purpose is one; any other purpose without the flag is not.
        implied = api_name == "TIMEMACHINE_SHARE"
        return value is implied, "shares of that purpose are %s Time Machine targets" % ("always" if implied else "never")
    if OPTION_FIELDS[option] in keys:
        return True, None
    return False, "shares of that purpose have no such setting, legacy shares have it"


def expresses(shape, api_name, option, value, comparator=None, caps=None):
    """``(True, None)`` or ``(False, reason)``: can purpose ``api_name`` hold ``option=value``?"""
    if shape == FLAT:
        ok, reason = _po_expresses(FLAT_EQUIVALENT.get(api_name, "LEGACY_SHARE"), option, value)
        if not ok:
            return ok, reason
        forced = PRESET_FORCES.get(api_name, {})
        if option in forced and not (comparator or get_comparator("strict")).equal(value, forced[option]):
            return False, "the %s preset sets it to %s every time the share is saved" % (
                api_name, _show(forced[option]))
        return True, None
    return _po_expresses(api_name, option, value, caps)


def _show(value):
    if isinstance(value, bool):
        return "true" if value else "false"
    return repr(value)


def _user_label(value):
    return "'%s'" % value


class SmbShareResource(Resource):
    NAME = "SMB share"
    NAMESPACE = "sharing.smb"
    RESULT_KEY = "smb_share"
    IDENTITY = ("name",)
    ERROR_PREFIXES = ("data.options.*", "data", "sharingsmb_create", "sharingsmb_update")
    FIELDS = (
        Field("name", parse=parse_name),
        Field("path", parse=parse_path, from_api=path_from_api, api_aliases=("path_local",)),
        Field("purpose"),
        Field("comment"),
        Field("enabled"),
        Field("browsable"),
        Field("readonly", api_aliases=("ro",)),
        Field("access_based_enumeration", api="access_based_share_enumeration", api_aliases=("abe",)),
        Field("guest_ok", api="options.guestok", api_aliases=("guestok",)),
        Field("hosts_allow", api="options.hostsallow", compare="set", parse=parse_hosts, api_aliases=("hostsallow",)),
        Field("hosts_deny", api="options.hostsdeny", compare="set", parse=parse_hosts, api_aliases=("hostsdeny",)),
        Field("timemachine", api="options.timemachine", api_aliases=("timemachine",)),
        Field("timemachine_quota", api="options.timemachine_quota", compare="size", parse=parse_quota,
              api_aliases=("timemachine_quota",)),
        Field("recycle_bin", api="options.recyclebin", api_aliases=("recyclebin",)),
        Field("shadow_copies", api="options.shadowcopy", api_aliases=("shadowcopy",)),
        Field("audit", compare=AuditComparator(), parse=parse_audit, from_api=audit_from_api),
        Field("auxiliary_parameters", api="options.auxsmbconf", parse=parse_aux, from_api=aux_from_api,
              api_aliases=("auxsmbconf",)),
        Field("locked", output_only=True),
        Field("dataset", output_only=True),
        Field("relative_path", output_only=True),
    )

    def __init__(self):
        super(SmbShareResource, self).__init__()
        self.rename_to = None
        self.current = None
        self.caps = None

    # ---- local validation --------------------------------------------------------------------

    def validate(self, desired, params):
        path = desired.get("path")
        if params.get("create_path") and path is not None and (not path.startswith("/mnt/") or path.count("/") < 3):
            raise OptionError("create_path", "can only create a dataset below a pool, /mnt/<pool>/<dataset>; "
                                             "path is %r" % path)
        new_name = params.get("new_name")
        if new_name is None:
            return
        if (params.get("state") or "present") == "absent":
            raise OptionError("new_name", "cannot be used with state=absent; delete the share by its name")
        try:
            parse_name(new_name)
        except ValueError as exc:
            raise OptionError("new_name", str(exc))

    # ---- reading -----------------------------------------------------------------------------

    @staticmethod
    def _names(ctx):
        name = ctx.desired["name"]
        new_name = ctx.params.get("new_name")
        return name, (None if new_name == name else new_name)

    def _query(self, ctx):
        """The shares named ``name`` or ``new_name``, ignoring case as SMB does (one query)."""
        names = [name for name in self._names(ctx) if name is not None]
        return ctx.client.query(self.method("query"), [["name", "Cin", names]])

    def _resolve(self, ctx, rows):
        """The record named ``name``, or the one named ``new_name`` once the rename happened;
        sets :attr:`rename_to`."""
        name, new_name = self._names(ctx)
        by_name = [row for row in rows if row.get("name", "").casefold() == name.casefold()]
        if len(by_name) > 1:
            raise OptionError("name", "%d SMB shares are named %r (ignoring case); TrueNAS should not allow that"
                              % (len(by_name), name))
        if new_name is None:
            return by_name[0] if by_name else None
        target = [row for row in rows if row.get("name", "").casefold() == new_name.casefold()
                  and (not by_name or row.get("id") != by_name[0].get("id"))]
        if by_name and target:
            raise OptionError("new_name", "cannot rename SMB share '%s' to '%s': a share named '%s' already exists "
                                          "(share names are case-insensitive)" % (name, new_name, target[0]["name"]))
        record = by_name[0] if by_name else (target[0] if target else None)
        if record is None:
            raise OptionError("new_name", "cannot rename SMB share '%s' to '%s': neither share exists; "
                                          "use name: %s without new_name to create it" % (name, new_name, new_name))
        if record["name"] != new_name:
            self.rename_to = new_name
        return record

    def find(self, ctx):
        rows = self._query(ctx)
        # What follows is about the options, not the look-up: errors name options alone.
        ctx.action = None
        record = self._resolve(ctx, rows)
        if (ctx.params.get("state") or "present") not in self.ABSENT_STATES:
            self.plan(ctx, record)
        return record

    def reread(self, ctx, record):
        if isinstance(record, dict) and record.get(self.PRIMARY_KEY) is not None:
            return ctx.client.get_one(self.method("query"), [[self.PRIMARY_KEY, "=", record[self.PRIMARY_KEY]]])
        return self._resolve(ctx, self._query(ctx))

    def normalize(self, record, caps=None):
        result = super(SmbShareResource, self).normalize(record, caps)
        shape = caps.smb_shape if caps is not None else (FLAT if "ro" in record else PURPOSE_OPTIONS)
        if "purpose" in record:
            result["purpose"] = user_purpose(record["purpose"], shape)
        if shape == PURPOSE_OPTIONS and "purpose" in record:
            keys = OPTION_KEYS.get(record["purpose"], ())
            options = record.get("options") or {}
            for option, key in OPTION_FIELDS.items():
                if key in keys and key in options:
                    continue
                if option == "timemachine":
                    result[option] = record["purpose"] == "TIMEMACHINE_SHARE"
                else:
                    # The purpose has no such setting.
                    result[option] = None
        order = [self.PRIMARY_KEY] + [field.option for field in self.FIELDS]
        return dict((key, result[key]) for key in order if key in result)

    # ---- planning ----------------------------------------------------------------------------

    def plan(self, ctx, record):
        """Choose the purpose and check every option can be expressed; before any change.

        Without a purpose from the user, sets ``ctx.desired["purpose"]`` to ``legacy`` when an
        option needs it (and to ``default`` for a new share otherwise), so that comparison,
        prediction and diff show the purpose that will be sent.
        """
        shape = ctx.caps.smb_shape
        desired = ctx.desired
        version = ctx.caps.version_string
        self.current = None
        requested = desired.get("purpose")
        if requested is not None and api_purpose(requested, shape) is None:
            raise OptionError("purpose", "%s is not available on TrueNAS %s (it needs TrueNAS 25.10 or later)"
                              % (_user_label(requested), version))
        if requested is not None and api_purpose(requested, shape) in EARLY_MISSING_PURPOSES and \
                not ctx.caps.get("smb_hosts_and_fcp", True):
            raise OptionError("purpose", "%s is not available on TrueNAS %s (it needs TrueNAS 25.10.1 or later)"
                              % (_user_label(requested), version))
        self.caps = ctx.caps
        if record is None:
            if "path" not in desired:
                raise OptionError("path", "is required to create %s (no share of that name exists)"
                                  % ctx.what)
            current = None
            relevant = [option for option in desired if option not in PLANNED]
            current_api = api_purpose("default", shape)
        else:
            current = self.normalize(record, ctx.caps)
            self.current = current
            relevant = [option for option, value in desired.items()
                        if option not in PLANNED and not self.fields[option].comparator.equal(value, current.get(option))]
            current_api = record.get("purpose")
            if requested is not None and requested != current.get("purpose"):
                # A new purpose must hold every option given, changed or not.
                relevant = [option for option in desired if option not in PLANNED]
        target = api_purpose(requested, shape) if requested is not None else current_api
        problems = self.problems(shape, target, relevant, desired)
        if problems and requested is None:
            legacy = api_purpose("legacy", shape)
            if not self.problems(shape, legacy, relevant, desired):
                desired["purpose"] = "legacy"
                return
        if not problems and requested is None and record is None:
            # A new share is created with the purpose it will read back with.
            desired["purpose"] = "default"
        if problems:
            purpose = requested if requested is not None else user_purpose(target, shape)
            if len(problems) == 1:
                why = problems[0][1]
            else:
                why = "; ".join("%s: %s" % item for item in problems)
            raise OptionError(", ".join(option for option, reason in problems),
                              "cannot be set with purpose %s on TrueNAS %s (%s); use purpose: legacy%s"
                              % (_user_label(purpose), version, why, " or leave purpose unset" if requested else ""))

    def problems(self, shape, api_name, options, desired):
        """``[(option, reason)]`` for the ``options`` a share of purpose ``api_name`` cannot hold."""
        problems = []
        for option in options:
            ok, reason = expresses(shape, api_name, option, desired[option], self.fields[option].comparator,
                                   self.caps)
            if not ok:
                problems.append((option, reason))
        return problems

    # ---- writing -----------------------------------------------------------------------------

    def create_params(self, ctx):
        shape = ctx.caps.smb_shape
        desired = dict(ctx.desired)
        if shape == FLAT:
            data = self._flat_payload(desired)
        else:
            data = self._po_top_payload(desired)
            options_given = [option for option in desired if option in OPTION_FIELDS]
            purpose = desired.get("purpose")
            if purpose is not None or options_given:
                api_name = api_purpose(purpose or "default", shape)
                data["purpose"] = api_name
                data["options"] = self._po_options(api_name, {}, desired)
        if ctx.params.get("create_path"):
            self.ensure_path(ctx, desired["path"])
        return [data]

    def update_params(self, ctx, record, changes):
        shape = ctx.caps.smb_shape
        if shape == FLAT:
            data = self._flat_payload(changes)
        else:
            data = self._po_top_payload(changes)
            if "purpose" in changes or any(option in OPTION_FIELDS for option in changes):
                api_name = api_purpose(changes["purpose"], shape) if "purpose" in changes else record["purpose"]
                base = self._carried_options(record, api_name)
                data["purpose"] = api_name
                data["options"] = self._po_options(api_name, base, changes)
        if self.rename_to is not None:
            data["name"] = self.rename_to
        if "path" in changes and ctx.params.get("create_path"):
            self.ensure_path(ctx, changes["path"])
        return [record[self.PRIMARY_KEY], data]

    def post_apply(self, ctx, after):
        if ctx.check_mode and self.current is not None and after.get("purpose") != self.current.get("purpose"):
            after = self.predict_purpose_change(ctx, after)
        if self.rename_to is None or after.get("name") == self.rename_to:
            return False, after
        if ctx.check_mode:
            return True, dict(after, name=self.rename_to)
        ctx.write(self.method("update"), after[self.PRIMARY_KEY], {"name": self.rename_to},
                  action="rename %s to '%s'" % (ctx.what, self.rename_to))
        return True, after

    def predict_purpose_change(self, ctx, after):
        """Check mode: the settings TrueNAS resets when an existing share changes purpose."""
        shape = ctx.caps.smb_shape
        after = dict(after)
        api_name = api_purpose(after["purpose"], shape)
        if shape == FLAT:
            for option, value in PRESET_FORCES.get(api_name, {}).items():
                after[option] = copy.deepcopy(value)
            return after
        keys = option_keys(api_name, ctx.caps)
        old_api = api_purpose(self.current.get("purpose"), shape)
        for option, key in OPTION_FIELDS.items():
            if option in ctx.desired:
                continue
            if option == "timemachine" and key not in keys:
                after[option] = api_name == "TIMEMACHINE_SHARE"
            elif key not in keys:
                after[option] = None
            elif key not in option_keys(old_api, ctx.caps):
                carried = option == "timemachine" and old_api == "TIMEMACHINE_SHARE"
                after[option] = True if carried else copy.deepcopy(OPTION_DEFAULTS[option])
        return after

    def _flat_payload(self, values):
        data = {}
        for option, value in values.items():
            if option == "purpose":
                value = api_purpose(value, FLAT)
            data[FLAT_NAMES.get(option, option)] = value
        return data

    @staticmethod
    def _po_top_payload(values):
        data = {}
        for option, value in values.items():
            if option in TOP_LEVEL and option != "purpose":
                data[PO_NAMES.get(option, option)] = value
        return data

    @staticmethod
    def _carried_options(record, api_name):
        """The current ``options`` that the (possibly new) purpose ``api_name`` also has."""
        options = dict(record.get("options") or {})
        options.pop("purpose", None)
        keys = OPTION_KEYS.get(api_name, ())
        carried = dict((key, value) for key, value in options.items() if key in keys)
        if record.get("purpose") == "TIMEMACHINE_SHARE" and "timemachine" in keys:
            carried["timemachine"] = True
        return carried

    @staticmethod
    def _po_options(api_name, base, values):
        """The full ``options`` for ``api_name``: ``base`` with the option values applied."""
        options = copy.deepcopy(base)
        keys = OPTION_KEYS.get(api_name, ())
        for option, key in OPTION_FIELDS.items():
            if option in values and key in keys:
                options[key] = values[option]
        return options

    def ensure_path(self, ctx, path):
        """``create_path``: create the dataset ``/mnt/<dataset>`` unless it exists (the path was
        checked by :meth:`validate`)."""
        dataset = path[len("/mnt/"):]
        found = ctx.client.query("pool.dataset.query", [["id", "=", dataset]],
                                 {"extra": {"retrieve_children": False, "properties": []}})
        if found:
            return
        try:
            ctx.write("pool.dataset.create", {"name": dataset, "share_type": "SMB"},
                      action="create dataset '%s' for %s" % (dataset, ctx.what))
        except TrueNASValidationError as exc:
            raise OptionError("path", "; ".join(message for _attribute, message, _errno in exc.errors) or str(exc))
