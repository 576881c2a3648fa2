"""user.* and group.* on the simulator: built-ins, uid/gid allocation, primary group rules,
passwords, SMB users, home directories, memberships, deletion rules; every profile."""
import pytest


@pytest.fixture
def c(sim, sim_client):
    return sim_client(sim, login=True)


def invalid(c, method, *params):
    msg = c.call(method, *params)
    assert "error" in msg, msg
    assert msg["error"]["code"] == -32602, msg
    return [tuple(e[:2]) for e in msg["error"]["data"]["extra"]]


def failure(c, method, *params):
    msg = c.call(method, *params)
    assert "error" in msg, msg
    return msg["error"]


def one(c, namespace, **filters):
    rows = c.request(namespace + ".query", [[k, "=", v] for k, v in filters.items()])
    assert len(rows) == 1, rows
    return rows[0]


def test_builtins_are_seeded(sim, c):
    root = one(c, "user", username="root")
    assert (root["uid"], root["builtin"], root["immutable"], root["group"]["bsdgrp_group"]) == (0, True, True, "root")
    admin = one(c, "user", username="admin")
    assert (admin["uid"], admin["builtin"], admin["group"]["bsdgrp_gid"]) == (950, False, 950)
    administrators = one(c, "group", name="builtin_administrators")
    assert administrators["builtin"] is True and admin["id"] in administrators["users"]
    assert administrators["id"] in admin["groups"]
    assert ("webshare" in admin) == (sim.profile.name == "26")


def test_create_allocates_lowest_free_ids_and_group(c):
    created = c.request("user.create", {"username": "alice", "full_name": "Alice", "password": "pw-alice-123",
                                        "group_create": True, "smb": False})
    assert created["password"] == "pw-alice-123"
    # 3001 and 3002 are taken by the seeded otpuser and viewer: the gap at 3000 is filled first.
    assert created["uid"] == 3000
    assert created["group"]["bsdgrp_group"] == "alice"
    group = one(c, "group", name="alice")
    assert group["gid"] == created["group"]["bsdgrp_gid"] and group["smb"] is False
    second = c.request("user.create", {"username": "bob", "full_name": "Bob", "password": "pw-bob-1234",
                                       "group": group["id"], "smb": False})
    assert second["uid"] == 3003 and second["group"]["id"] == group["id"]
    assert c.request("group.create", {"name": "media"}) == one(c, "group", name="media")["id"]


def test_create_rules(sim, c):
    group = one(c, "group", name="builtin_users")["id"]
    errors = invalid(c, "user.create", {"username": "x1", "full_name": "X", "password": "p"})
    assert errors == [("user_create.group", "Enter either a group name or create a new group to continue.")]
    errors = invalid(c, "user.create", {"username": "x1", "full_name": "X", "group": group})
    assert errors == [("user_create.password", "Password is required")]
    errors = invalid(c, "user.create", {"username": "x1", "full_name": "X", "group": group,
                                        "password_disabled": True})
    assert errors == [("user_create.password_disabled", "Password authentication may not be disabled for SMB users.")]
    errors = invalid(c, "user.create", {"username": "admin", "full_name": "X", "group": group, "password": "p",
                                        "uid": 950})
    assert errors == [("user_create.username", 'The username "admin" already exists.'),
                      ("user_create.uid", "Uid 950 is already used.")]
    errors = invalid(c, "user.create", {"username": "x1", "full_name": "X", "group": group, "password": "p",
                                        "sshpubkey": "ssh-ed25519 AAAA x1"})
    assert errors == [("user_create.sshpubkey", "The home directory is not writable. Leave this field blank.")]
    errors = invalid(c, "user.create", {"username": "x1", "full_name": "X", "group": group, "password": "p",
                                        "home": "/mnt/tank/nowhere", "home_mode": "600"})
    assert [e[0] for e in errors] == ["user_create.home_mode", "user_create.home"]
    if sim.profile.validate_schemas:
        errors = invalid(c, "user.create", {"username": "x1", "full_name": "X", "group": group, "password": "p",
                                            "bogus": 1})
        assert errors == [("user_create.bogus", "Extra inputs are not permitted")]


def test_smb_user_joins_builtin_users_and_home_create(c):
    created = c.request("user.create", {"username": "carol", "full_name": "Carol", "password": "pw-carol-12",
                                        "group_create": True, "home": "/mnt/tank/media", "home_create": True,
                                        "sshpubkey": "ssh-ed25519 AAAAC3 carol@laptop"})
    assert created["home"] == "/mnt/tank/media/carol"
    assert created["groups"] == [one(c, "group", name="builtin_users")["id"]]
    assert created["sid"] is not None and created["smb"] is True
    assert c.request("filesystem.stat", "/mnt/tank/media/carol")["type"] == "DIRECTORY"


def test_update_and_memberships(c):
    media = c.request("group.create", {"name": "media", "gid": 4000, "smb": False})
    created = c.request("user.create", {"username": "dave", "full_name": "Dave", "password": "pw-dave-123",
                                        "group_create": True, "smb": False, "groups": [media]})
    assert one(c, "group", name="media")["users"] == [created["id"]]
    updated = c.request("user.update", created["id"], {"full_name": "David", "groups": [], "locked": True,
                                                       "sudo_commands": ["/usr/bin/ls"]})
    assert (updated["full_name"], updated["groups"], updated["locked"]) == ("David", [], True)
    assert one(c, "group", name="media")["users"] == []
    assert c.request("group.update", media, {"users": [created["id"]], "sudo_commands_nopasswd": ["ALL"]}) == media
    assert one(c, "user", username="dave")["groups"] == [media]
    errors = invalid(c, "user.update", one(c, "user", username="root")["id"], {"username": "toor"})
    assert errors == [("user_update.username", "Renaming a built-in user is not allowed.")]
    errors = invalid(c, "group.update", media, {"users": [999]})
    assert errors == [("group_update.users.0", "User 999 not found")]


def test_delete_rules(c):
    root = one(c, "user", username="root")
    assert failure(c, "user.delete", root["id"])["data"]["error"] == 1  # EPERM
    admin = one(c, "user", username="admin")
    assert failure(c, "user.delete", admin["id"])["data"]["error"] == 1  # the caller's own user
    assert failure(c, "group.delete", one(c, "group", name="wheel")["id"])["data"]["error"] == 1
    created = c.request("user.create", {"username": "erin", "full_name": "Erin", "password": "pw-erin-123",
                                        "group_create": True, "smb": False})
    assert c.request("user.delete", created["id"]) == created["id"]
    assert c.request("user.query", [["username", "=", "erin"]]) == []
    assert c.request("group.query", [["name", "=", "erin"]]) == []
    shared = c.request("group.create", {"name": "shared"})
    kept = c.request("user.create", {"username": "fred", "full_name": "Fred", "password": "pw-fred-123",
                                     "group": shared, "smb": False})
    assert c.request("group.delete", shared) == shared
    assert one(c, "user", username="fred")["group"]["bsdgrp_group"] == "nogroup"
    assert kept["id"] == one(c, "user", username="fred")["id"]
