# Copyright (c) nasops contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""truenas_user, truenas_group and their _info modules against the simulator, on every profile.

Each flow is CHECK -> apply -> idempotent CHECK -> idempotent; TrueNAS itself is checked out of
band through the simulator's state, and the call counters show which changes reached it.
"""

import pytest

pytestmark = pytest.mark.timeout(300)

PASSWORD = "Alice-Secret-Passw0rd"


def stored_user(sim, name):
    found = [u for u in sim.state.data["users"].values() if u["username"] == name]
    return found[0] if found else None


def stored_group(sim, name):
    found = [g for g in sim.state.data["groups"].values() if g["name"] == name]
    return found[0] if found else None


def group_names(sim, ids):
    return sorted(sim.state.data["groups"][str(i)]["name"] for i in ids)


def converge(run, module, args, diff=True):
    """CHECK -> apply -> CHECK -> apply; returns (check, apply) of the first pair after asserting the
    second pair is unchanged."""
    check = run(module, args, check=True, diff=diff)
    applied = run(module, args, diff=diff)
    again_check = run(module, args, check=True)
    again = run(module, args)
    for result in (check, applied, again_check, again):
        assert not result["failed"], result
    assert check["changed"] and applied["changed"], (check, applied)
    assert not again_check["changed"] and not again["changed"], (again_check, again)
    return check, applied


def test_user_lifecycle(sim, run_inproc):
    run_inproc("truenas_group", {"name": "media", "gid": 4100, "smb": False})
    args = {"name": "alice", "full_name": "Alice Example", "user_password": PASSWORD, "email": "alice@example.com",
            "home": "/mnt/tank/media", "home_create": True, "home_mode": "750", "groups": ["media"],
            "sshpubkey": "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIB alice@laptop\n", "shell": "/usr/bin/bash"}
    creates = len(sim.calls("user.create"))
    check, created = converge(run_inproc, "truenas_user", args)
    assert len(sim.calls("user.create")) == creates + 1
    assert check["diff"]["before"] == {} and check["user"]["home"] == "/mnt/tank/media/alice"
    user = created["user"]
    assert (user["name"], user["group"], user["groups"], user["home"], user["uid"]) == (
        "alice", "alice", ["media"], "/mnt/tank/media/alice", 3000)
    stored = stored_user(sim, "alice")
    assert stored["home"] == "/mnt/tank/media/alice" and stored["email"] == "alice@example.com"
    assert group_names(sim, stored["groups"]) == ["builtin_users", "media"]
    assert sim.state.data["groups"][str(stored["group_id"])]["name"] == "alice"
    assert PASSWORD not in repr(created) and PASSWORD not in repr(check)

    # Update: groups replaced (builtin_users stays, TrueNAS manages it), locked, sudo.
    run_inproc("truenas_group", {"name": "backup", "smb": False})
    update = {"name": "alice", "groups": ["backup"], "locked": True, "sudo_commands": ["/usr/bin/ls"]}
    check, updated = converge(run_inproc, "truenas_user", update)
    assert check["diff"]["before"]["groups"] == ["media"] and check["diff"]["after"]["groups"] == ["backup"]
    assert updated["user"]["groups"] == ["backup"] and updated["user"]["locked"] is True
    stored = stored_user(sim, "alice")
    assert group_names(sim, stored["groups"]) == ["backup", "builtin_users"] and stored["locked"] is True

    # append keeps the other groups
    check, appended = converge(run_inproc, "truenas_user", {"name": "alice", "groups": ["media"], "append": True})
    assert appended["user"]["groups"] == ["backup", "media"]

    # A new uid is refused, naming the option, and nothing is sent.
    updates = len(sim.calls("user.update"))
    refused = run_inproc("truenas_user", {"name": "alice", "uid": 4242})
    assert refused["failed"] and refused["msg"].startswith("uid: cannot be changed on the existing user 'alice'")
    assert len(sim.calls("user.update")) == updates

    # update_password: always sets the password each run and reports a change.
    pw = {"name": "alice", "user_password": "Another-Passw0rd", "update_password": "always"}
    result = run_inproc("truenas_user", pw)
    assert result["changed"] and len(sim.calls("user.update")) == updates + 1
    assert "Another-Passw0rd" not in repr(result)
    assert not run_inproc("truenas_user", {"name": "alice", "user_password": "x-y-z-Passw0rd"})["changed"]

    # Delete, with the user's own group.
    check, deleted = converge(run_inproc, "truenas_user", {"name": "alice", "state": "absent"})
    assert check["diff"]["after"] == {} and deleted["user"] == {}
    assert stored_user(sim, "alice") is None and stored_group(sim, "alice") is None


def test_user_errors(sim, run_inproc):
    refused = run_inproc("truenas_user", {"name": "root", "state": "absent"}, check=True)
    assert refused["failed"] and "built-in account of TrueNAS" in refused["msg"] and refused["msg"].startswith("state:")
    refused = run_inproc("truenas_user", {"name": "admin", "state": "absent"})
    assert refused["failed"] and "built-in account" in refused["msg"] and "uid 950" in refused["msg"]
    assert sim.calls("user.delete") == []
    missing = run_inproc("truenas_user", {"name": "zed", "full_name": "Zed"})
    assert missing["failed"] and missing["msg"].startswith("user_password: is required to create user 'zed'")
    missing = run_inproc("truenas_user", {"name": "zed", "user_password": PASSWORD, "groups": ["nosuch"]})
    assert missing["failed"] and missing["msg"] == "groups: no local group named 'nosuch' exists on TrueNAS"
    bad = run_inproc("truenas_user", {"name": "zed", "user_password": PASSWORD, "home_mode": "600",
                                      "home": "/mnt/tank/media"})
    assert bad["failed"] and bad["msg"].startswith("home_mode: must give the owner at least read and execute")
    bad = run_inproc("truenas_user", {"name": "zed", "user_password": PASSWORD, "home": "/mnt/tank/nowhere"})
    assert bad["failed"] and bad["msg"].startswith("Failed to create user 'zed': home: ")
    assert sim.calls("user.create") != [] and stored_user(sim, "zed") is None


def test_service_account_and_primary_group(sim, run_inproc):
    run_inproc("truenas_group", {"name": "svc"})
    args = {"name": "backup", "password_disabled": True, "group": "svc", "sudo_commands_nopasswd": ["ALL"]}
    check, created = converge(run_inproc, "truenas_user", args)
    assert created["user"]["smb"] is False and created["user"]["group"] == "svc"
    assert created["user"]["full_name"] == "backup"
    assert stored_user(sim, "backup")["password_hash"] is None
    # delete_group: false keeps the primary group, even when no other user has it.
    run_inproc("truenas_user", {"name": "backup", "state": "absent", "delete_group": False})
    assert stored_user(sim, "backup") is None and stored_group(sim, "svc") is not None


def test_group_lifecycle(sim, run_inproc):
    for name in ("u1", "u2"):
        run_inproc("truenas_user", {"name": name, "user_password": PASSWORD, "smb": False})
    args = {"name": "team", "gid": 4200, "users": ["u1", "u2"], "sudo_commands": ["/usr/bin/ls"]}
    check, created = converge(run_inproc, "truenas_group", args)
    assert check["group"]["users"] == ["u1", "u2"] and check["diff"]["before"] == {}
    assert created["group"]["gid"] == 4200 and created["group"]["users"] == ["u1", "u2"]
    team = stored_group(sim, "team")
    assert team["id"] in stored_user(sim, "u1")["groups"] and team["id"] in stored_user(sim, "u2")["groups"]

    check, updated = converge(run_inproc, "truenas_group", {"name": "team", "users": ["u2"], "smb": False})
    assert check["diff"]["before"]["users"] == ["u1", "u2"] and updated["group"]["users"] == ["u2"]
    assert team["id"] not in stored_user(sim, "u1")["groups"]
    check, appended = converge(run_inproc, "truenas_group", {"name": "team", "users": ["u1"], "append": True})
    assert appended["group"]["users"] == ["u1", "u2"]

    bad = run_inproc("truenas_group", {"name": "team", "users": ["ghost"]})
    assert bad["failed"] and bad["msg"] == "users: no local user named 'ghost' exists on TrueNAS"
    refused = run_inproc("truenas_group", {"name": "builtin_users", "state": "absent"})
    assert refused["failed"] and "built-in account of TrueNAS" in refused["msg"]
    refused = run_inproc("truenas_group", {"name": "team", "gid": 1})
    assert refused["failed"] and refused["msg"].startswith("gid: cannot be changed")

    check, deleted = converge(run_inproc, "truenas_group", {"name": "team", "state": "absent"})
    assert stored_group(sim, "team") is None and deleted["group"] == {}


def test_info_modules(sim, run_inproc, run_module):
    run_inproc("truenas_user", {"name": "alice", "user_password": PASSWORD, "smb": False})
    run_inproc("truenas_group", {"name": "media", "users": ["alice"]})
    users = run_module("truenas_user_info", {"builtin": False})
    assert not users["failed"] and not users["changed"], users
    by_name = dict((u["name"], u) for u in users["users"])
    assert "root" not in by_name and by_name["alice"]["groups"] == ["media"]
    assert [u["uid"] for u in users["users"]] == sorted(u["uid"] for u in users["users"])
    root = run_inproc("truenas_user_info", {"name": ["root"]}, check=True)["users"]
    assert [(u["name"], u["uid"], u["builtin"]) for u in root] == [("root", 0, True)]
    groups = run_module("truenas_group_info", {"name": ["media", "builtin_users"]})
    assert not groups["failed"], groups
    assert dict((g["name"], g["users"]) for g in groups["groups"])["media"] == ["alice"]
    assert sorted(g["name"] for g in groups["groups"]) == ["builtin_users", "media"]


def test_modules_run_as_ansible_runs_them(sim, run_module):
    created = run_module("truenas_user", {"name": "carol", "user_password": PASSWORD, "full_name": "Carol"}, diff=True)
    assert created["changed"] and not created["failed"], created
    assert PASSWORD not in created["_stderr"] and PASSWORD not in repr(created)
    again = run_module("truenas_user", {"name": "carol", "user_password": PASSWORD, "full_name": "Carol"})
    assert not again["changed"] and not again["failed"], again
    group = run_module("truenas_group", {"name": "carols", "users": ["carol"]})
    assert group["changed"] and group["group"]["users"] == ["carol"], group
