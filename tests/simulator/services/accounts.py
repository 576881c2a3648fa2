"""Local accounts: ``user.*`` and ``group.*``.

Users share ``state.data["users"]`` with ``services/auth.py`` (which seeds the login users from
the ``users`` section and checks their passwords); this module adds the account fields to those
records, seeds the built-in users and groups, and gives each seeded user a primary group named
after it (gid = the user's ``gid``).

Seed section ``groups`` (a list, optional)::

    groups:
      - name: media                     # required
        gid: 3100                       # default: next free gid >= 3000
        smb: true
        members: [admin]                # usernames (secondary members)

State: ``state.data["groups"][<id>]`` (``name``, ``gid``, ``builtin``, ``smb``, ``sudo_commands``,
``sudo_commands_nopasswd``, ``members``: user row ids); user records gain ``group_id`` (primary
group row id), ``groups`` (secondary group row ids) and the other ``user.create`` fields.

Rules as the middleware applies them (``plugins/account.py``; see the README, "Accounts"): an
omitted uid/gid is the lowest free id >= 3000; ``user.create`` needs exactly one of ``group`` or
``group_create``; ``password`` is required unless ``password_disabled``/``random_password``; SMB
users join ``builtin_users`` and cannot have the password disabled; ``sshpubkey`` needs a home under
/mnt; ``home_create`` creates ``<home>/<username>``; built-in and immutable accounts cannot be
deleted, nor can the caller's own user.
"""
import errno
import posixpath
import re
import secrets
import string

from .. import query as sim_query
from ..errors import CallError, InstanceNotFound, ValidationErrors
from ..registry import method, seed_loader
from . import dataset as storage
from .auth import hash_password

MIN_AUTO_XID = 3000
MAX_XID = 90000000
NO_HOME = "/var/empty"
DEFAULT_SHELL = "/usr/bin/zsh"
NAME_RE = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]*\$?$")

# (name, gid) of the built-in groups; (username, uid, primary group, home) of the built-in users.
BUILTIN_GROUPS = (
    ("root", 0), ("wheel", 0), ("builtin_administrators", 544), ("builtin_users", 545), ("apps", 568),
    ("nogroup", 65534),
)
BUILTIN_USERS = (
    ("root", 0, "root", "/root", "/usr/bin/zsh"), ("daemon", 1, "nogroup", "/usr/sbin", "/usr/sbin/nologin"),
    ("apps", 568, "apps", "/var/empty", "/usr/sbin/nologin"),
    ("nobody", 65534, "nogroup", "/nonexistent", "/usr/sbin/nologin"),
)
IMMUTABLE = ("root",)


# --- seed ----------------------------------------------------------------------------------------
def users(state):
    return state.kind("users")


def groups(state):
    return state.kind("groups")


def _new_group(state, name, gid, builtin=False, smb=False):
    group_id = state.next_id("groups")
    rec = {"id": group_id, "name": name, "group": name, "gid": gid, "builtin": builtin, "smb": smb,
           "sudo_commands": [], "sudo_commands_nopasswd": [], "members": [], "userns_idmap": None, "roles": []}
    groups(state)[str(group_id)] = rec
    return rec


def group_by_name(state, name):
    for rec in groups(state).values():
        if rec["name"] == name:
            return rec
    return None


def _account_defaults(rec):
    rec.setdefault("group_id", None)
    rec.setdefault("groups", [])
    rec.setdefault("email", None)
    rec.setdefault("smb", True)
    rec.setdefault("password_disabled", False)
    rec.setdefault("ssh_password_enabled", False)
    rec.setdefault("sshpubkey", None)
    rec.setdefault("sudo_commands", [])
    rec.setdefault("sudo_commands_nopasswd", [])
    rec.setdefault("builtin", False)
    rec.setdefault("immutable", False)
    rec.setdefault("userns_idmap", None)
    rec.setdefault("home_mode", "700")
    return rec


@seed_loader
def load_accounts(state, seed):
    """Built-in groups and users, a primary group per seeded user, the ``groups`` section."""
    for name, gid in BUILTIN_GROUPS:
        _new_group(state, name, gid, builtin=True, smb=name in ("builtin_administrators", "builtin_users"))
    admins = group_by_name(state, "builtin_administrators")
    for rec in list(users(state).values()):
        _account_defaults(rec)
        group = group_by_name(state, rec["username"]) or _new_group(state, rec["username"], rec.get("gid", rec["uid"]))
        rec["group_id"] = group["id"]
        if "FULL_ADMIN" in (rec.get("roles") or []):
            rec["groups"] = [admins["id"]]
    for username, uid, group_name, home, shell in BUILTIN_USERS:
        user_id = state.next_id("users")
        users(state)[str(user_id)] = _account_defaults({
            "id": user_id, "username": username, "uid": uid, "gid": group_by_name(state, group_name)["gid"],
            "group_id": group_by_name(state, group_name)["id"], "full_name": username, "home": home, "shell": shell,
            "roles": [], "password_hash": None, "otp_secret": None, "locked": False, "password_expired": False,
            "builtin": True, "immutable": username in IMMUTABLE, "smb": False, "password_disabled": True,
        })
    for index, entry in enumerate(seed.get("groups") or []):
        where = "seed section groups[%d]" % index
        if not isinstance(entry, dict) or not entry.get("name"):
            raise ValueError("%s: name is required" % where)
        if group_by_name(state, entry["name"]):
            raise ValueError("%s: group %s already exists" % (where, entry["name"]))
        rec = _new_group(state, entry["name"], entry.get("gid") or next_xid(state, "groups"),
                         smb=bool(entry.get("smb", True)))
        for username in entry.get("members") or []:
            user = find_user(state, username)
            if user is None:
                raise ValueError("%s: no user %s" % (where, username))
            user["groups"].append(rec["id"])


# --- helpers -------------------------------------------------------------------------------------
def find_user(state, username):
    for rec in users(state).values():
        if rec.get("username") == username:
            return rec
    return None


def next_xid(state, kind):
    """The lowest free uid (``users``) or gid (``groups``) >= 3000, filling gaps."""
    key = "uid" if kind == "users" else "gid"
    used = set(rec.get(key) for rec in state.kind(kind).values())
    xid = MIN_AUTO_XID
    while xid in used:
        xid += 1
    return xid


def _sid(rec, base):
    return "S-1-5-21-3510196835-1102441580-3562440349-%d" % (base + rec["id"]) if rec.get("smb") else None


def members_of(state, group_id):
    return sorted(rec["id"] for rec in users(state).values() if group_id in (rec.get("groups") or []))


def user_entry(ctx, rec):
    """The ``user.query`` row of a stored user."""
    state = ctx.state
    group = groups(state).get(str(rec.get("group_id"))) or {}
    out = {
        "id": rec["id"], "uid": rec["uid"], "username": rec["username"],
        "unixhash": "*" if rec.get("password_disabled") or not rec.get("password_hash") else "$6$rounds=656000$redacted",
        "smbhash": "*", "home": rec.get("home", NO_HOME), "shell": rec.get("shell", DEFAULT_SHELL),
        "full_name": rec.get("full_name", ""), "builtin": rec["builtin"], "smb": rec["smb"],
        "userns_idmap": rec.get("userns_idmap"),
        "group": {"id": group.get("id"), "bsdgrp_gid": group.get("gid"), "bsdgrp_group": group.get("name"),
                  "bsdgrp_builtin": group.get("builtin", False), "bsdgrp_smb": group.get("smb", False),
                  "bsdgrp_sudo_commands": list(group.get("sudo_commands") or []),
                  "bsdgrp_sudo_commands_nopasswd": list(group.get("sudo_commands_nopasswd") or [])},
        "groups": list(rec.get("groups") or []),
        "password_disabled": rec["password_disabled"], "ssh_password_enabled": rec["ssh_password_enabled"],
        "sshpubkey": rec.get("sshpubkey"), "locked": bool(rec.get("locked")),
        "sudo_commands": list(rec["sudo_commands"]), "sudo_commands_nopasswd": list(rec["sudo_commands_nopasswd"]),
        "email": rec.get("email"), "local": True, "immutable": rec["immutable"],
        "twofactor_auth_configured": bool(rec.get("otp_secret")), "sid": _sid(rec, 20000),
        "last_password_change": None, "password_age": None, "password_history": None,
        "password_change_required": bool(rec.get("password_expired")), "roles": list(rec.get("roles") or []),
        "api_keys": sorted(k["id"] for k in state.data.get("api_keys", {}).values()
                           if k.get("username") == rec["username"]),
    }
    if ctx.profile.at_least("26"):
        out["webshare"] = bool(rec.get("webshare", False))
    return out


def group_entry(ctx, rec):
    """The ``group.query`` row of a stored group (``users``: the secondary members)."""
    return {
        "id": rec["id"], "gid": rec["gid"], "name": rec["name"], "builtin": rec["builtin"],
        "sudo_commands": list(rec["sudo_commands"]), "sudo_commands_nopasswd": list(rec["sudo_commands_nopasswd"]),
        "smb": rec["smb"], "userns_idmap": rec.get("userns_idmap"), "group": rec["name"], "local": True,
        "sid": _sid(rec, 30000), "roles": list(rec.get("roles") or []), "users": members_of(ctx.state, rec["id"]),
        "immutable": rec["builtin"] and rec["gid"] in (0, 544, 545),
    }


def _save(ctx):
    saver = getattr(ctx.state, "save", None)
    if saver is not None:
        saver()


def _check_name(verrors, attribute, name, what):
    if not isinstance(name, str) or not name:
        verrors.add(attribute, "Input should be a valid string")
    elif not NAME_RE.match(name):
        verrors.add(attribute, "%s may contain only letters, digits, '.', '-', '_' and a final '$', and may not "
                               "begin with '-' or '.'" % what)


def _check_commands(verrors, schema, data):
    for key in ("sudo_commands", "sudo_commands_nopasswd"):
        value = data.get(key)
        if value is None:
            continue
        if not isinstance(value, list) or not all(isinstance(c, str) and c for c in value):
            verrors.add("%s.%s" % (schema, key), "Input should be a valid list of non-empty strings")


def _check_groups(ctx, verrors, schema, data):
    for index, group_id in enumerate(data.get("groups") or []):
        if str(group_id) not in groups(ctx.state):
            verrors.add("%s.groups.%d" % (schema, index), "Group %s not found" % group_id, errno.ENOENT)


def _check_home(ctx, verrors, schema, data, username):
    """home, home_create, home_mode and sshpubkey rules; returns the home to store."""
    home = data.get("home", NO_HOME)
    mode = data.get("home_mode")
    if mode is not None:
        if not isinstance(mode, str) or not re.match(r"^[0-7]{3}$", mode):
            verrors.add("%s.home_mode" % schema, "Please provide a valid value for home_mode attribute")
        elif int(mode[0]) & 5 != 5:
            verrors.add("%s.home_mode" % schema, "Home directory mode must grant the owner at least read and execute")
    if home == NO_HOME:
        if data.get("home_create"):
            verrors.add("%s.home_create" % schema, "Home directory creation requires a path under /mnt")
    elif not isinstance(home, str) or not home.startswith("/mnt/") or not storage.path_exists(ctx.state, home):
        verrors.add("%s.home" % schema, 'The path for the home directory "%s" must include a volume or dataset.' % home)
    elif data.get("home_create"):
        home = posixpath.join(posixpath.normpath(home), username)
    if data.get("sshpubkey") and not home.startswith("/mnt/"):
        verrors.add("%s.sshpubkey" % schema, "The home directory is not writable. Leave this field blank.")
    return home


def _make_home(ctx, home):
    if home.startswith("/mnt/") and not storage.path_exists(ctx.state, home):
        storage.add_file(ctx.state, home, kind="DIRECTORY")


def _builtin_users_group(ctx, rec):
    group = group_by_name(ctx.state, "builtin_users")
    if group and rec["smb"] and group["id"] not in rec["groups"]:
        rec["groups"].append(group["id"])


# --- user.* --------------------------------------------------------------------------------------
@method("user.query")
def user_query(ctx, filters=None, options=None):
    """Local users (built-in ones included) as ``user.query`` rows."""
    rows = [user_entry(ctx, rec) for rec in sorted(users(ctx.state).values(), key=lambda r: r["id"])]
    return ctx.query(rows, filters, options)


@method("user.get_instance")
def user_get_instance(ctx, id_, options=None):
    """One user by row id."""
    rows = [user_entry(ctx, rec) for rec in users(ctx.state).values()]
    return sim_query.get_instance(rows, id_, "User", options=options)


@method("user.create")
def user_create(ctx, user_create):
    """Create a local user; the entry plus ``password`` (given or generated, else null)."""
    data = dict(user_create) if isinstance(user_create, dict) else {}
    schema = "user_create"
    state = ctx.state
    verrors = ValidationErrors()
    for key in ("username", "full_name"):
        if key not in data:
            verrors.add("%s.%s" % (schema, key), "Field required")
    verrors.raise_if_any()
    username = data["username"]
    _check_name(verrors, "%s.username" % schema, username, "Username")
    if find_user(state, username):
        verrors.add("%s.username" % schema, 'The username "%s" already exists.' % username, errno.EEXIST)
    uid = data.get("uid")
    if uid is not None and any(rec["uid"] == uid for rec in users(state).values()):
        verrors.add("%s.uid" % schema, "Uid %d is already used." % uid, errno.EEXIST)
    if bool(data.get("group") is not None) == bool(data.get("group_create")):
        verrors.add("%s.group" % schema, "Enter either a group name or create a new group to continue.")
    elif data.get("group") is not None and str(data["group"]) not in groups(state):
        verrors.add("%s.group" % schema, "Group %s not found" % data["group"], errno.ENOENT)
    password = data.get("password")
    if data.get("password_disabled") or data.get("random_password"):
        if password is not None:
            verrors.add("%s.password" % schema, "Password may not be set together with password_disabled or "
                                                "random_password")
    elif password is None:
        verrors.add("%s.password" % schema, "Password is required")
    smb = data.get("smb", True)
    if smb and data.get("password_disabled"):
        verrors.add("%s.password_disabled" % schema, "Password authentication may not be disabled for SMB users.")
    _check_groups(ctx, verrors, schema, data)
    _check_commands(verrors, schema, data)
    home = _check_home(ctx, verrors, schema, data, username)
    verrors.raise_if_any()

    if data.get("random_password"):
        password = "".join(secrets.choice(string.ascii_letters + string.digits) for _unused in range(20))
    if data.get("group_create"):
        group = group_by_name(state, username) or _new_group(state, username, next_xid(state, "groups"))
    else:
        group = groups(state)[str(data["group"])]
    if data.get("home_create"):
        _make_home(ctx, home)
    user_id = state.next_id("users")
    rec = _account_defaults({
        "id": user_id, "username": username, "uid": uid if uid is not None else next_xid(state, "users"),
        "gid": group["gid"], "group_id": group["id"], "groups": list(dict.fromkeys(data.get("groups") or [])),
        "full_name": data["full_name"], "home": home, "shell": data.get("shell", DEFAULT_SHELL),
        "email": data.get("email"), "smb": smb, "password_disabled": bool(data.get("password_disabled")),
        "ssh_password_enabled": bool(data.get("ssh_password_enabled")), "sshpubkey": data.get("sshpubkey"),
        "locked": bool(data.get("locked")), "sudo_commands": list(data.get("sudo_commands") or []),
        "sudo_commands_nopasswd": list(data.get("sudo_commands_nopasswd") or []),
        "userns_idmap": data.get("userns_idmap"), "home_mode": data.get("home_mode", "700"),
        "password_hash": hash_password(password) if password else None, "roles": [], "otp_secret": None,
        "password_expired": False,
    })
    _builtin_users_group(ctx, rec)
    users(state)[str(user_id)] = rec
    _save(ctx)
    out = user_entry(ctx, rec)
    out["password"] = password if (data.get("random_password") or password) else None
    return out


@method("user.update")
def user_update(ctx, id_, user_update):
    """Update a local user; the updated entry."""
    state = ctx.state
    rec = users(state).get(str(id_))
    if rec is None:
        raise InstanceNotFound("User", id_)
    data = dict(user_update) if isinstance(user_update, dict) else {}
    schema = "user_update"
    verrors = ValidationErrors()
    if "username" in data and data["username"] != rec["username"]:
        if rec["builtin"]:
            verrors.add("%s.username" % schema, "Renaming a built-in user is not allowed.", errno.EPERM)
        _check_name(verrors, "%s.username" % schema, data["username"], "Username")
        if find_user(state, data["username"]):
            verrors.add("%s.username" % schema, 'The username "%s" already exists.' % data["username"], errno.EEXIST)
    if rec["immutable"]:
        for key in ("group", "home", "home_create", "smb"):
            if key in data:
                verrors.add("%s.%s" % (schema, key), "This attribute cannot be changed for an immutable user.",
                            errno.EPERM)
    if "group" in data and str(data["group"]) not in groups(state):
        verrors.add("%s.group" % schema, "Group %s not found" % data["group"], errno.ENOENT)
    if data.get("password_disabled") and data.get("password"):
        verrors.add("%s.password" % schema, "Password may not be set together with password_disabled")
    smb = data.get("smb", rec["smb"])
    if smb and data.get("password_disabled", rec["password_disabled"]):
        verrors.add("%s.password_disabled" % schema, "Password authentication may not be disabled for SMB users.")
    if smb and not rec["smb"] and not data.get("password"):
        verrors.add("%s.smb" % schema, "Password must be changed in order to enable SMB authentication.")
    _check_groups(ctx, verrors, schema, data)
    _check_commands(verrors, schema, data)
    username = data.get("username", rec["username"])
    home = rec["home"]
    if "home" in data or data.get("home_create") or "sshpubkey" in data or "home_mode" in data:
        probe = {"home": data.get("home", rec["home"]), "home_create": data.get("home_create"),
                 "home_mode": data.get("home_mode"), "sshpubkey": data.get("sshpubkey", rec.get("sshpubkey"))}
        home = _check_home(ctx, verrors, schema, probe, username)
    verrors.raise_if_any()

    for key in ("username", "full_name", "shell", "email", "smb", "password_disabled", "ssh_password_enabled",
                "sshpubkey", "locked", "sudo_commands", "sudo_commands_nopasswd", "userns_idmap", "home_mode"):
        if key in data:
            rec[key] = data[key]
    if "groups" in data:
        rec["groups"] = list(dict.fromkeys(data["groups"]))
    if "group" in data:
        group = groups(state)[str(data["group"])]
        rec["group_id"], rec["gid"] = group["id"], group["gid"]
    if data.get("home_create"):
        _make_home(ctx, home)
    rec["home"] = home
    if data.get("password"):
        rec["password_hash"] = hash_password(data["password"])
    if rec["password_disabled"]:
        rec["password_hash"] = None
    _builtin_users_group(ctx, rec)
    _save(ctx)
    return user_entry(ctx, rec)


@method("user.delete")
def user_delete(ctx, id_, options=None):
    """Delete a local user (and its primary group, unless another user has it); the row id."""
    state = ctx.state
    rec = users(state).get(str(id_))
    if rec is None:
        raise InstanceNotFound("User", id_)
    options = options or {}
    if rec["builtin"] or rec["immutable"]:
        raise CallError("Cannot delete a built-in user", errno.EPERM)
    session = ctx.session
    if session is not None and getattr(session, "username", None) == rec["username"]:
        raise CallError("Cannot delete the currently active user", errno.EPERM)
    del users(state)[str(id_)]
    for key in [k for k, v in state.data.get("api_keys", {}).items() if v.get("username") == rec["username"]]:
        del state.data["api_keys"][key]
    group = groups(state).get(str(rec.get("group_id")))
    if (options.get("delete_group", True) and group and not group["builtin"]
            and not any(u.get("group_id") == group["id"] for u in users(state).values())):
        del groups(state)[str(group["id"])]
        for other in users(state).values():
            if group["id"] in other["groups"]:
                other["groups"].remove(group["id"])
    _save(ctx)
    return rec["id"]


# --- group.* -------------------------------------------------------------------------------------
@method("group.query")
def group_query(ctx, filters=None, options=None):
    """Local groups (built-in ones included) as ``group.query`` rows."""
    rows = [group_entry(ctx, rec) for rec in sorted(groups(ctx.state).values(), key=lambda r: r["id"])]
    return ctx.query(rows, filters, options)


@method("group.get_instance", schema=False)
def group_get_instance(ctx, id_, options=None):
    """One group by row id."""
    rows = [group_entry(ctx, rec) for rec in groups(ctx.state).values()]
    return sim_query.get_instance(rows, id_, "Group", options=options)


def _check_members(ctx, verrors, schema, data):
    for index, user_id in enumerate(data.get("users") or []):
        if str(user_id) not in users(ctx.state):
            verrors.add("%s.users.%d" % (schema, index), "User %s not found" % user_id, errno.ENOENT)


def _set_members(ctx, rec, user_ids):
    for user in users(ctx.state).values():
        listed = user["id"] in user_ids
        if listed and rec["id"] not in user["groups"]:
            user["groups"].append(rec["id"])
        elif not listed and rec["id"] in user["groups"]:
            user["groups"].remove(rec["id"])


@method("group.create")
def group_create(ctx, group_create):
    """Create a group; the new row id."""
    data = dict(group_create) if isinstance(group_create, dict) else {}
    schema = "group_create"
    state = ctx.state
    verrors = ValidationErrors()
    if "name" not in data:
        verrors.add("%s.name" % schema, "Field required")
        verrors.raise_if_any()
    _check_name(verrors, "%s.name" % schema, data["name"], "Group name")
    if group_by_name(state, data["name"]):
        verrors.add("%s.name" % schema, 'A Group with the name "%s" already exists.' % data["name"], errno.EEXIST)
    gid = data.get("gid")
    if gid is not None and any(g["gid"] == gid for g in groups(state).values()):
        verrors.add("%s.gid" % schema, "Gid %d is already used." % gid, errno.EEXIST)
    _check_members(ctx, verrors, schema, data)
    _check_commands(verrors, schema, data)
    verrors.raise_if_any()
    rec = _new_group(state, data["name"], gid if gid is not None else next_xid(state, "groups"),
                     smb=data.get("smb", True))
    rec["sudo_commands"] = list(data.get("sudo_commands") or [])
    rec["sudo_commands_nopasswd"] = list(data.get("sudo_commands_nopasswd") or [])
    rec["userns_idmap"] = data.get("userns_idmap")
    _set_members(ctx, rec, data.get("users") or [])
    _save(ctx)
    return rec["id"]


@method("group.update")
def group_update(ctx, id_, group_update):
    """Update a group (``users`` replaces the secondary members); the row id."""
    state = ctx.state
    rec = groups(state).get(str(id_))
    if rec is None:
        raise InstanceNotFound("Group", id_)
    data = dict(group_update) if isinstance(group_update, dict) else {}
    schema = "group_update"
    verrors = ValidationErrors()
    if "name" in data and data["name"] != rec["name"]:
        if rec["builtin"]:
            verrors.add("%s.name" % schema, "Renaming a built-in group is not allowed.", errno.EPERM)
        _check_name(verrors, "%s.name" % schema, data["name"], "Group name")
        if group_by_name(state, data["name"]):
            verrors.add("%s.name" % schema, 'A Group with the name "%s" already exists.' % data["name"], errno.EEXIST)
    _check_members(ctx, verrors, schema, data)
    _check_commands(verrors, schema, data)
    verrors.raise_if_any()
    for key in ("name", "smb", "sudo_commands", "sudo_commands_nopasswd", "userns_idmap"):
        if key in data:
            rec[key] = data[key]
    rec["group"] = rec["name"]
    if "users" in data:
        _set_members(ctx, rec, data["users"])
    _save(ctx)
    return rec["id"]


@method("group.delete")
def group_delete(ctx, id_, options=None):
    """Delete a group; users whose primary group it was are deleted (``delete_users``) or moved to
    ``nogroup``. The row id."""
    state = ctx.state
    rec = groups(state).get(str(id_))
    if rec is None:
        raise InstanceNotFound("Group", id_)
    if rec["builtin"]:
        raise CallError("A built-in group cannot be deleted.", errno.EPERM)
    options = options or {}
    nogroup = group_by_name(state, "nogroup")
    for user in list(users(state).values()):
        if rec["id"] in user["groups"]:
            user["groups"].remove(rec["id"])
        if user.get("group_id") == rec["id"]:
            if options.get("delete_users"):
                del users(state)[str(user["id"])]
            else:
                user["group_id"], user["gid"] = nogroup["id"], nogroup["gid"]
    del groups(state)[str(id_)]
    _save(ctx)
    return rec["id"]
