# nasops.truenas: PRIVATE, internal use only. Not a public API; it may change without notice.
# Copyright (c) nasops contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Descriptors of local users (``user.*``) and groups (``group.*``); one shape on 25.04, 25.10, 26.

Users and groups refer to each other by row id in the API (a user's ``group`` and ``groups``, a
group's ``users``); the options use names. ``find`` resolves the names the user gave to ids
(failing on unknown names before any change) and adds the names of the current references to
the record (``group_names``, ``user_names``), so comparisons are by name.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import posixpath
import re

from ansible_collections.nasops.truenas.plugins.module_utils._compare import Comparator, OptionError
from ansible_collections.nasops.truenas.plugins.module_utils._resource import Field, Resource

NO_HOME = "/var/empty"
# The group TrueNAS adds every SMB user to by itself; it follows the smb option.
SMB_GROUP = "builtin_users"
# uids and gids below this are system accounts.
SYSTEM_ID_LIMIT = 1000
_NAME = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]*\$?$")


class UnionComparator(Comparator):
    """Lists of names where the desired names must be present and others may stay (``append``)."""

    name = "union"

    def equal(self, desired, current):
        return set(desired or []) <= set(current or [])

    def merge(self, current, desired):
        merged = list(current or [])
        merged.extend(item for item in desired or [] if item not in merged)
        return merged


def parse_name(value):
    if not _NAME.match(value):
        raise ValueError("%r is not a valid name: use letters, digits, '.', '-' and '_' (not first), and "
                         "optionally a final '$'" % value)
    return value


def parse_names(value):
    names = []
    for item in value:
        parse_name(item)
        if item not in names:
            names.append(item)
    return names


def parse_id(value):
    if value < 0 or value > 90000000:
        raise ValueError("must be between 0 and 90000000, got %d" % value)
    return value


def parse_home(value):
    value = value.rstrip("/") or "/"
    if value != NO_HOME and not value.startswith("/mnt/"):
        raise ValueError("must be %s (no home directory) or a path inside a pool such as /mnt/tank/homes, got %r"
                         % (NO_HOME, value))
    return posixpath.normpath(value)


def parse_mode(value):
    if not re.match(r"^[0-7]{3}$", value):
        raise ValueError("must be three octal digits such as 700, got %r" % value)
    if int(value[0]) & 5 != 5:
        raise ValueError("must give the owner at least read and execute permission (7xx or 5xx), got %s" % value)
    return value


def parse_key(value):
    return value.strip() or None


def key_from_api(value):
    return value.strip() or None


def optional_text(value):
    return value or None


def _by_ids(client, method, ids, key):
    """``{id: name}`` of the rows of ``method`` with the given ids (one query)."""
    ids = sorted(set(ids))
    if not ids:
        return {}
    rows = client.query(method, [["id", "in", ids]], {"select": ["id", key]})
    return dict((row["id"], row[key]) for row in rows)


def _by_names(client, method, names, key, option):
    """``{name: row}`` for ``names``; OptionError naming ``option`` for names that do not exist."""
    names = sorted(set(names))
    if not names:
        return {}
    rows = client.query(method, [[key, "in", names]])
    found = dict((row[key], row) for row in rows)
    missing = [name for name in names if name not in found]
    if missing:
        what = "group" if method.startswith("group") else "user"
        raise OptionError(option, "no local %s named %s exists on TrueNAS" % (what, ", ".join("'%s'" % n for n in missing)))
    return found


def _membership_field(option, api, append):
    return Field(option, api=api, compare=UnionComparator() if append else "set", parse=parse_names)


def _refuse_builtin(ctx, resource, raw, id_key):
    """OptionError when a built-in account would be deleted (also in check mode)."""
    if raw is None or (ctx.params.get("state") or "present") not in resource.ABSENT_STATES:
        return
    number = raw.get(id_key)
    if raw.get("builtin") or raw.get("immutable") or (isinstance(number, int) and number < SYSTEM_ID_LIMIT):
        raise OptionError("state", "%s is a built-in account of TrueNAS (%s %s) and cannot be deleted"
                          % (ctx.what, id_key, number))


class UserResource(Resource):
    NAME = "user"
    NAMESPACE = "user"
    RESULT_KEY = "user"
    IDENTITY = ("name",)
    ERROR_PREFIXES = ("user_create", "user_update", "data")
    FIELDS = (
        Field("name", api="username", parse=parse_name),
        Field("full_name"),
        Field("email", parse=optional_text),
        Field("uid", parse=parse_id, create_only=True),
        Field("group", api="group.bsdgrp_group", parse=parse_name),
        Field("groups", api="group_names", compare="set", parse=parse_names),
        Field("home", parse=parse_home),
        Field("shell"),
        Field("password_disabled"),
        Field("ssh_password_enabled"),
        Field("locked"),
        Field("smb"),
        Field("sshpubkey", parse=parse_key, from_api=key_from_api),
        Field("sudo_commands", compare="set"),
        Field("sudo_commands_nopasswd", compare="set"),
        Field("builtin", output_only=True),
        Field("immutable", output_only=True),
        Field("gid", api="group.bsdgrp_gid", output_only=True),
        Field("sid", output_only=True),
    )

    def __init__(self):
        Resource.__init__(self)
        self._groups = {}
        self._existed = False

    def desired(self, params):
        self.fields["groups"] = _membership_field("groups", "group_names", params.get("append"))
        desired = Resource.desired(self, params)
        if "groups" in desired:
            desired["groups"] = [name for name in desired["groups"] if name != SMB_GROUP]
        if params.get("home_mode") is not None:
            try:
                parse_mode(params["home_mode"])
            except ValueError as exc:
                raise OptionError("home_mode", str(exc))
        if params.get("home_create") and desired.get("home", NO_HOME) == NO_HOME:
            raise OptionError("home_create", "needs home set to the directory inside a pool in which the home "
                                             "directory is created, such as /mnt/tank/homes")
        if params.get("home_create"):
            # TrueNAS creates <home>/<username> and stores that path.
            desired["home"] = posixpath.join(desired["home"], desired["name"])
        if desired.get("sshpubkey") and "home" in desired:
            self._check_key_home(desired["home"])
        if desired.get("password_disabled") and params.get("user_password"):
            raise OptionError("user_password", "cannot be combined with password_disabled: true")
        if desired.get("password_disabled") and desired.get("smb"):
            raise OptionError("password_disabled", "cannot be true for an SMB user (smb: true); TrueNAS needs the "
                                                   "password for SMB authentication")
        return desired

    # ---- reading -----------------------------------------------------------------------------

    def query_filters(self, desired):
        return [["username", "=", desired["name"]], ["local", "=", True]]

    def find(self, ctx):
        try:
            return self._find(ctx)
        except OptionError:
            ctx.action = None  # about the options, not about looking the user up
            raise

    def _find(self, ctx):
        raw = self._decorate(ctx, ctx.client.get_one("user.query", self.query_filters(ctx.desired)))
        _refuse_builtin(ctx, self, raw, "uid")
        self._existed = raw is not None
        if (ctx.params.get("state") or "present") in self.ABSENT_STATES:
            return raw
        names = list(ctx.desired.get("groups") or [])
        if ctx.desired.get("group"):
            names.append(ctx.desired["group"])
        self._groups = dict((name, row["id"]) for name, row in
                            _by_names(ctx.client, "group.query", names, "name", "groups").items())
        if ctx.desired.get("sshpubkey") and "home" not in ctx.desired:
            self._check_key_home(raw.get("home", NO_HOME) if raw else NO_HOME)
        group = ctx.desired.get("group")
        if raw is None:
            if group and group not in self._groups and group != ctx.desired["name"]:
                raise OptionError("group", "no local group named '%s' exists on TrueNAS; create it first, or leave "
                                           "group unset (or set it to the user name) to create a group named after "
                                           "the user" % group)
            if not ctx.params.get("user_password") and not ctx.desired.get("password_disabled"):
                raise OptionError("user_password", "is required to create %s unless password_disabled is true" % ctx.what)
        elif group and group not in self._groups:
            raise OptionError("group", "no local group named '%s' exists on TrueNAS" % group)
        return raw

    @staticmethod
    def _check_key_home(home):
        if not home.startswith("/mnt/"):
            raise OptionError("sshpubkey", "needs a home directory inside a pool (home under /mnt), not %s" % home)

    def reread(self, ctx, record):
        return self._decorate(ctx, Resource.reread(self, ctx, record))

    def _decorate(self, ctx, raw):
        if raw is None:
            return None
        raw = dict(raw)
        names = _by_ids(ctx.client, "group.query", raw.get("groups") or [], "name")
        raw["group_names"] = sorted(names.get(i, str(i)) for i in raw.get("groups") or [] if names.get(i) != SMB_GROUP)
        raw["_group_ids"] = dict((name, i) for i, name in names.items())
        return raw

    # ---- writing -----------------------------------------------------------------------------

    def _payload(self, ctx, values, record):
        data = {}
        params = ctx.params
        for option, value in values.items():
            if option in ("group", "groups", "home"):
                continue
            data[self.fields[option].api] = self.fields[option].api_value(value)
        if "group" in values and values["group"] in self._groups:
            data["group"] = self._groups[values["group"]]
        if "groups" in values:
            known = dict(record.get("_group_ids") or {}) if record else {}
            known.update(self._groups)
            ids = [known[name] for name in values["groups"]]
            # builtin_users follows smb (TrueNAS manages it): kept as it is.
            smb_group = (record or {}).get("_group_ids", {}).get(SMB_GROUP)
            if smb_group is not None and smb_group not in ids:
                ids.append(smb_group)
            data["groups"] = ids
        if "home" in values:
            data["home"] = parse_home(params["home"]) if params.get("home") else values["home"]
            if params.get("home_create"):
                data["home_create"] = True
            if params.get("home_mode"):
                data["home_mode"] = params["home_mode"]
        return data

    def create_params(self, ctx):
        data = self._payload(ctx, ctx.desired, None)
        data.setdefault("full_name", ctx.desired["name"])
        if "group" not in data:
            data["group_create"] = True
        if ctx.desired.get("password_disabled") and "smb" not in ctx.desired:
            data["smb"] = False
        if ctx.params.get("user_password"):
            data["password"] = ctx.params["user_password"]
        return [data]

    def update_params(self, ctx, record, changes):
        return [record["id"], self._payload(ctx, changes, record)]

    def delete_params(self, ctx, record):
        return [record["id"], {"delete_group": bool(ctx.params.get("delete_group", True))}]

    def post_apply(self, ctx, after):
        """``update_password: always`` sets the password of an existing user on every run."""
        if ctx.params.get("user_password") and ctx.params.get("update_password") == "always" and self._existed:
            if not ctx.check_mode:
                ctx.write("user.update", after["id"], {"password": ctx.params["user_password"]},
                          action="set the password of %s" % ctx.what)
            return True, after
        return False, after


class GroupResource(Resource):
    NAME = "group"
    NAMESPACE = "group"
    RESULT_KEY = "group"
    IDENTITY = ("name",)
    ERROR_PREFIXES = ("group_create", "group_update", "data")
    FIELDS = (
        Field("name", parse=parse_name),
        Field("gid", parse=parse_id, create_only=True),
        Field("smb"),
        Field("sudo_commands", compare="set"),
        Field("sudo_commands_nopasswd", compare="set"),
        Field("users", api="user_names", compare="set", parse=parse_names),
        Field("builtin", output_only=True),
        Field("sid", output_only=True),
    )

    def __init__(self):
        Resource.__init__(self)
        self._users = {}

    def desired(self, params):
        self.fields["users"] = _membership_field("users", "user_names", params.get("append"))
        return Resource.desired(self, params)

    def query_filters(self, desired):
        return [["name", "=", desired["name"]], ["local", "=", True]]

    def find(self, ctx):
        try:
            return self._find(ctx)
        except OptionError:
            ctx.action = None  # about the options, not about looking the group up
            raise

    def _find(self, ctx):
        raw = self._decorate(ctx, ctx.client.get_one("group.query", self.query_filters(ctx.desired)))
        _refuse_builtin(ctx, self, raw, "gid")
        if (ctx.params.get("state") or "present") not in self.ABSENT_STATES:
            self._users = dict((name, row["id"]) for name, row in
                               _by_names(ctx.client, "user.query", ctx.desired.get("users") or [], "username",
                                         "users").items())
        return raw

    def reread(self, ctx, record):
        return self._decorate(ctx, Resource.reread(self, ctx, record))

    def _decorate(self, ctx, raw):
        if raw is None:
            return None
        raw = dict(raw)
        names = _by_ids(ctx.client, "user.query", raw.get("users") or [], "username")
        raw["user_names"] = sorted(names.get(i, str(i)) for i in raw.get("users") or [])
        raw["_user_ids"] = dict((name, i) for i, name in names.items())
        return raw

    def _payload(self, values, record):
        data = {}
        for option, value in values.items():
            if option == "users":
                known = dict(record.get("_user_ids") or {}) if record else {}
                known.update(self._users)
                data["users"] = [known[name] for name in value]
            else:
                data[self.fields[option].api] = value
        return data

    def create_params(self, ctx):
        return [self._payload(ctx.desired, None)]

    def update_params(self, ctx, record, changes):
        return [record["id"], self._payload(changes, record)]


def _user_filters(params):
    filters = [["local", "=", True]]
    if params.get("name"):
        filters.append(["username", "in", params["name"]])
    if params.get("builtin") is not None:
        filters.append(["builtin", "=", params["builtin"]])
    return filters


def gather_users(client, params):
    """truenas_user_info: local users (by name, built-in or not), with group names."""
    resource = UserResource()
    rows = client.query("user.query", _user_filters(params), {"order_by": ["uid"]})
    names = _by_ids(client, "group.query", [i for row in rows for i in row.get("groups") or []], "name")
    result = []
    for row in rows:
        row = dict(row)
        row["group_names"] = sorted(names.get(i, str(i)) for i in row.get("groups") or [] if names.get(i) != SMB_GROUP)
        result.append(resource.normalize(row, client.caps))
    return result


def gather_groups(client, params):
    """truenas_group_info: local groups (by name, built-in or not), with member names."""
    resource = GroupResource()
    filters = [["local", "=", True]]
    if params.get("name"):
        filters.append(["name", "in", params["name"]])
    if params.get("builtin") is not None:
        filters.append(["builtin", "=", params["builtin"]])
    rows = client.query("group.query", filters, {"order_by": ["gid"]})
    names = _by_ids(client, "user.query", [i for row in rows for i in row.get("users") or []], "username")
    result = []
    for row in rows:
        row = dict(row)
        row["user_names"] = sorted(names.get(i, str(i)) for i in row.get("users") or [])
        result.append(resource.normalize(row, client.caps))
    return result
