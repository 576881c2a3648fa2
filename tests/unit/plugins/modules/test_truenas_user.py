# Copyright (c) nasops contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""truenas_user, truenas_group, truenas_user_info and truenas_group_info with a fake client:
the calls made, payloads with ids for names, check mode, diff, refusals and secrets."""

import copy

import pytest

from ansible_collections.nasops.truenas.plugins.modules import (
    truenas_group,
    truenas_group_info,
    truenas_user,
    truenas_user_info,
)

SECRET = "Very-Secret-Passw0rd"

GROUPS = [
    {"id": 1, "gid": 0, "name": "root", "builtin": True, "smb": False, "sudo_commands": [],
     "sudo_commands_nopasswd": [], "users": [], "local": True, "sid": None},
    {"id": 2, "gid": 545, "name": "builtin_users", "builtin": True, "smb": True, "sudo_commands": [],
     "sudo_commands_nopasswd": [], "users": [10], "local": True, "sid": "S-1-5-32-545"},
    {"id": 3, "gid": 3000, "name": "alice", "builtin": False, "smb": False, "sudo_commands": [],
     "sudo_commands_nopasswd": [], "users": [], "local": True, "sid": None},
    {"id": 4, "gid": 3100, "name": "media", "builtin": False, "smb": True, "sudo_commands": [],
     "sudo_commands_nopasswd": [], "users": [10], "local": True, "sid": "S-1-5-21-1-2-3-30004"},
    {"id": 5, "gid": 3101, "name": "backup", "builtin": False, "smb": True, "sudo_commands": [],
     "sudo_commands_nopasswd": [], "users": [], "local": True, "sid": "S-1-5-21-1-2-3-30005"},
]


def user_row(id_, name, uid, group, groups, builtin=False, smb=True, **extra):
    group_id = group["id"]
    row = {
        "id": id_, "uid": uid, "username": name, "full_name": name.title(), "email": None, "home": "/var/empty",
        "shell": "/usr/bin/zsh", "builtin": builtin, "immutable": builtin, "smb": smb,
        "group": {"id": group_id, "bsdgrp_gid": group["gid"], "bsdgrp_group": group["name"]},
        "groups": groups, "password_disabled": False, "ssh_password_enabled": False, "sshpubkey": None,
        "locked": False, "sudo_commands": [], "sudo_commands_nopasswd": [], "local": True, "sid": None,
    }
    row.update(extra)
    return row


class Accounts:
    """user.* and group.* over two lists, with ids for names as TrueNAS has them."""

    def __init__(self, client):
        self.client = client
        self.groups = copy.deepcopy(GROUPS)
        self.users = [user_row(1, "root", 0, self.groups[0], [], builtin=True, smb=False),
                      user_row(10, "alice", 3000, self.groups[2], [2, 4])]
        client.table("group", [])
        client.table("user", [])
        client.tables["group"].rows = self.groups
        client.tables["user"].rows = self.users
        client.respond("user.create", self.user_create)
        client.respond("user.update", self.user_update)
        client.respond("user.delete", lambda id_, options: id_)
        client.respond("group.create", self.group_create)
        client.respond("group.update", self.group_update)

    def user_create(self, data):
        if data.get("group_create"):
            self.groups.append(dict(GROUPS[2], id=6, gid=3001, name=data["username"]))
            group = self.groups[-1]
        else:
            group = next(g for g in self.groups if g["id"] == data["group"])
        row = user_row(11, data["username"], 3001, group, list(data.get("groups", [])))
        for key in ("full_name", "home", "shell", "smb", "password_disabled", "locked", "sudo_commands"):
            if key in data:
                row[key] = data[key]
        if data.get("home_create"):
            row["home"] = data["home"] + "/" + data["username"]
        self.users.append(row)
        return dict(row, password=data.get("password"))

    def user_update(self, id_, data):
        row = next(u for u in self.users if u["id"] == id_)
        for key, value in data.items():
            if key not in ("password", "group", "home_create", "home_mode"):
                row[key] = value
        return row

    def group_create(self, data):
        row = dict(GROUPS[4], id=7, gid=data.get("gid", 3002), name=data["name"], users=data.get("users", []))
        self.groups.append(row)
        return 7

    def group_update(self, id_, data):
        row = next(g for g in self.groups if g["id"] == id_)
        row.update(data)
        return id_


@pytest.fixture
def nas(fake_client):
    return Accounts(fake_client)


def test_unchanged_user_makes_only_reads(run_module, nas):
    result = run_module(truenas_user.main, {"name": "alice", "groups": ["media"], "full_name": "Alice",
                                            "user_password": SECRET})
    assert result["changed"] is False
    assert nas.client.mutations == []
    assert nas.client.methods == ["user.query", "group.query", "group.query"]
    assert nas.client.calls[0].params[0] == [["username", "=", "alice"], ["local", "=", True]]
    # builtin_users follows smb and is not listed.
    assert result["user"]["groups"] == ["media"]
    assert result["user"]["group"] == "alice" and result["user"]["gid"] == 3000


def test_create_sends_ids_and_password_and_hides_it(run_module, nas):
    result = run_module(truenas_user.main, {
        "name": "bob", "user_password": SECRET, "groups": ["media", "backup"], "home": "/mnt/tank/homes",
        "home_create": True, "home_mode": "750",
    }, diff=True)
    assert result["changed"] is True
    create = nas.client.calls_to("user.create")[0].params[0]
    assert create == {"username": "bob", "full_name": "bob", "groups": [4, 5], "home": "/mnt/tank/homes",
                      "home_create": True, "home_mode": "750", "group_create": True, "password": SECRET}
    assert result["user"]["home"] == "/mnt/tank/homes/bob"
    assert result["diff"]["before"] == {} and result["diff"]["after"]["groups"] == ["backup", "media"]
    assert SECRET not in repr(result)
    assert result.get("warnings") in (None, [])


def test_create_with_existing_primary_group(run_module, nas):
    run_module(truenas_user.main, {"name": "bob", "user_password": SECRET, "group": "media", "smb": False})
    assert nas.client.calls_to("user.create")[0].params[0] == {
        "username": "bob", "full_name": "bob", "group": 4, "smb": False, "password": SECRET}


def test_update_replaces_groups_keeping_builtin_users(run_module, nas):
    result = run_module(truenas_user.main, {"name": "alice", "groups": ["backup"], "locked": True}, diff=True)
    assert result["changed"] is True
    assert nas.client.calls_to("user.update")[0].params == [10, {"groups": [5, 2], "locked": True}]
    assert result["diff"]["before"]["groups"] == ["media"]
    assert result["diff"]["after"]["groups"] == ["backup"]


def test_append_adds_only_missing_groups(run_module, nas):
    assert run_module(truenas_user.main, {"name": "alice", "groups": ["media"], "append": True})["changed"] is False
    result = run_module(truenas_user.main, {"name": "alice", "groups": ["backup"], "append": True})
    assert nas.client.calls_to("user.update")[0].params == [10, {"groups": [4, 5, 2]}]
    assert result["user"]["groups"] == ["backup", "media"]


def test_check_mode_predicts_without_mutation(run_module, nas):
    created = run_module(truenas_user.main, {"name": "bob", "user_password": SECRET, "groups": ["media"]},
                         check_mode=True, diff=True)
    updated = run_module(truenas_user.main, {"name": "alice", "shell": "/usr/bin/bash"}, check_mode=True)
    deleted = run_module(truenas_user.main, {"name": "alice", "state": "absent"}, check_mode=True, diff=True)
    nas.client.assert_no_mutation()
    assert created["changed"] and created["user"] == {"name": "bob", "groups": ["media"]}
    assert updated["changed"] and updated["user"]["shell"] == "/usr/bin/bash"
    assert deleted["changed"] and deleted["diff"]["after"] == {} and deleted["diff"]["before"]["name"] == "alice"


def test_ssh_key_needs_the_current_home_in_a_pool(run_module, nas):
    result = run_module(truenas_user.main, {"name": "alice", "sshpubkey": "ssh-ed25519 AAAA alice"})
    assert result["msg"] == "sshpubkey: needs a home directory inside a pool (home under /mnt), not /var/empty"
    nas.client.assert_no_mutation()


def test_update_password_always_and_on_create(run_module, nas):
    assert run_module(truenas_user.main, {"name": "alice", "user_password": SECRET})["changed"] is False
    result = run_module(truenas_user.main, {"name": "alice", "user_password": SECRET, "update_password": "always"})
    assert result["changed"] is True
    assert nas.client.calls_to("user.update")[0].params == [10, {"password": SECRET}]
    assert SECRET not in repr(result)
    check = run_module(truenas_user.main, {"name": "alice", "user_password": SECRET, "update_password": "always"},
                       check_mode=True)
    assert check["changed"] is True and len(nas.client.calls_to("user.update")) == 1


def test_delete_sends_delete_group(run_module, nas):
    result = run_module(truenas_user.main, {"name": "alice", "state": "absent", "delete_group": False})
    assert result == {"changed": True, "user": {}, "invocation": result["invocation"]}
    assert nas.client.calls_to("user.delete")[0].params == [10, {"delete_group": False}]
    assert run_module(truenas_user.main, {"name": "nobody-here", "state": "absent"})["changed"] is False


@pytest.mark.parametrize("args, message", [
    ({"name": "root", "state": "absent"},
     "state: user 'root' is a built-in account of TrueNAS (uid 0) and cannot be deleted"),
    ({"name": "bob"}, "user_password: is required to create user 'bob' unless password_disabled is true"),
    ({"name": "bob", "user_password": SECRET, "group": "nosuch"},
     "groups: no local group named 'nosuch' exists on TrueNAS"),
    ({"name": "alice", "uid": 4000},
     "uid: cannot be changed on the existing user 'alice' (current 3000, requested 4000); it can only be set when "
     "the user is created"),
])
def test_refusals_name_the_option_and_change_nothing(run_module, nas, args, message):
    result = run_module(truenas_user.main, args, check_mode=args.get("state") == "absent")
    assert result["failed"] is True
    assert result["msg"] == message
    nas.client.assert_no_mutation()


@pytest.mark.parametrize("args, message", [
    ({"name": "-bad"}, "name: '-bad' is not a valid name"),
    ({"name": "bob", "home_mode": "640", "home": "/mnt/tank"}, "home_mode: must give the owner at least read"),
    ({"name": "bob", "home": "/home/bob"}, "home: must be /var/empty (no home directory) or a path inside a pool"),
    ({"name": "bob", "home_create": True}, "home_create: needs home set to the directory inside a pool"),
    ({"name": "bob", "sshpubkey": "ssh-ed25519 AAAA", "home": "/var/empty"},
     "sshpubkey: needs a home directory inside a pool"),
    ({"name": "bob", "password_disabled": True, "smb": True}, "password_disabled: cannot be true for an SMB user"),
    ({"name": "bob", "password_disabled": True, "user_password": SECRET},
     "user_password: cannot be combined with password_disabled: true"),
    ({"name": "bob", "uid": -1}, "uid: must be between 0 and 90000000"),
])
def test_local_validation_needs_no_server(run_module, nas, args, message):
    result = run_module(truenas_user.main, args)
    assert result["failed"] is True
    assert result["msg"].startswith(message), result["msg"]
    assert nas.client.calls == []
    assert SECRET not in repr(result)


def test_group_converges_members_by_name(run_module, nas):
    unchanged = run_module(truenas_group.main, {"name": "media", "users": ["alice"], "smb": True})
    assert unchanged["changed"] is False and unchanged["group"]["users"] == ["alice"]
    assert nas.client.mutations == []
    result = run_module(truenas_group.main, {"name": "backup", "users": ["alice"], "sudo_commands": ["ALL"]},
                        diff=True)
    assert nas.client.calls_to("group.update")[0].params == [5, {"users": [10], "sudo_commands": ["ALL"]}]
    assert result["diff"] == {
        "before": {"name": "backup", "gid": 3101, "smb": True, "sudo_commands": [], "sudo_commands_nopasswd": [],
                   "users": []},
        "after": {"name": "backup", "gid": 3101, "smb": True, "sudo_commands": ["ALL"], "sudo_commands_nopasswd": [],
                  "users": ["alice"]},
    }


def test_group_create_append_and_refusals(run_module, nas):
    created = run_module(truenas_group.main, {"name": "team", "gid": 4000, "users": ["alice"]})
    assert created["changed"] and nas.client.calls_to("group.create")[0].params == [
        {"name": "team", "gid": 4000, "users": [10]}]
    assert created["group"]["users"] == ["alice"]
    assert run_module(truenas_group.main, {"name": "media", "users": [], "append": True})["changed"] is False
    ghost = run_module(truenas_group.main, {"name": "media", "users": ["ghost"]})
    assert ghost["msg"] == "users: no local user named 'ghost' exists on TrueNAS"
    builtin = run_module(truenas_group.main, {"name": "builtin_users", "state": "absent"}, check_mode=True)
    assert builtin["failed"] and "built-in account of TrueNAS (gid 545)" in builtin["msg"]
    assert len(nas.client.mutations) == 1


def test_info_modules(run_module, nas):
    users = run_module(truenas_user_info.main, {"builtin": False})
    assert nas.client.calls[0].params == [[["local", "=", True], ["builtin", "=", False]], {"order_by": ["uid"]}]
    assert [u["name"] for u in users["users"]] == ["alice"]
    assert users["users"][0]["groups"] == ["media"] and users["changed"] is False
    nas.client.calls.clear()
    groups = run_module(truenas_group_info.main, {"name": ["media", "root"]})
    assert nas.client.calls[0].params[0] == [["local", "=", True], ["name", "in", ["media", "root"]]]
    assert dict((g["name"], g["users"]) for g in groups["groups"]) == {"root": [], "media": ["alice"]}
    nas.client.assert_no_mutation()
