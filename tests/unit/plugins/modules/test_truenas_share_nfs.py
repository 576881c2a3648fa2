# Copyright (c) nasops contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

import ipaddress
import json

import pytest

from ansible_collections.nasops.truenas.plugins.module_utils._errors import TrueNASConnectionError
from ansible_collections.nasops.truenas.plugins.modules import truenas_share_nfs
from ansible_collections.nasops.truenas.plugins.module_utils._resources.nfs import NfsShareResource

MAIN = truenas_share_nfs.main

SERVER_DEFAULTS = {
    "aliases": [], "comment": "", "networks": [], "hosts": [], "ro": False, "maproot_user": None,
    "maproot_group": None, "mapall_user": None, "mapall_group": None, "security": [], "enabled": True,
    "locked": False, "expose_snapshots": False,
}

MEDIA = {
    "id": 1, "path": "/mnt/tank/media", "comment": "Media library", "enabled": True, "readonly": True,
    "networks": ["192.168.1.0/24"], "hosts": [], "maproot_user": None, "maproot_group": None, "mapall_user": None,
    "mapall_group": None, "security": [], "expose_snapshots": False, "locked": False,
}
MEDIA_VIEW = dict((k, v) for k, v in MEDIA.items() if k not in ("id", "locked"))


def server_normalise(row):
    """What TrueNAS does on save: networks rewritten with ip_network(strict=False)."""
    row["networks"] = [str(ipaddress.ip_network(n, strict=False)) for n in row["networks"]]
    return row


@pytest.fixture
def nas(fake_client, rpc_fixture):
    fake_client.table("sharing.nfs", rpc_fixture("sharing.nfs.query", "two_shares")["result"],
                      defaults=SERVER_DEFAULTS, transform=server_normalise)
    return fake_client


def test_create(run_module, nas):
    result = run_module(MAIN, {
        "path": "/mnt/tank/new", "comment": "new share", "networks": ["10.0.0.5", "192.168.7.9/24"],
        "hosts": ["client1.example.com"], "readonly": False,
    })
    assert result["changed"] is True
    assert nas.methods == ["sharing.nfs.query", "sharing.nfs.create", "sharing.nfs.query"]
    assert nas.calls_to("sharing.nfs.create")[0].params == [{
        "path": "/mnt/tank/new", "comment": "new share", "networks": ["10.0.0.5/32", "192.168.7.0/24"],
        "hosts": ["client1.example.com"], "ro": False,
    }]
    assert result["nfs_share"] == {
        "id": 3, "path": "/mnt/tank/new", "comment": "new share", "enabled": True, "readonly": False,
        "networks": ["10.0.0.5/32", "192.168.7.0/24"], "hosts": ["client1.example.com"], "maproot_user": None,
        "maproot_group": None, "mapall_user": None, "mapall_group": None, "security": [], "expose_snapshots": False,
        "locked": False,
    }
    assert "diff" not in result
    assert result.get("warnings") in (None, [])


def test_create_then_second_run_is_unchanged(run_module, nas):
    args = {"path": "/mnt/tank/new", "networks": ["10.0.0.5"], "security": ["sys"]}
    assert run_module(MAIN, args)["changed"] is True
    nas.calls.clear()
    result = run_module(MAIN, args)
    assert result["changed"] is False
    assert nas.methods == ["sharing.nfs.query"]


def test_unchanged_with_equivalent_values(run_module, nas):
    result = run_module(MAIN, {
        "path": "/mnt/tank/backups", "hosts": ["192.168.1.20", "backup1.example.com"], "security": ["sys"],
        "maproot_user": "root", "readonly": False, "comment": "",
    })
    assert result["changed"] is False
    assert nas.methods == ["sharing.nfs.query"]
    assert nas.calls[0].params == [[["path", "in", ["/mnt/tank/backups", "/mnt/tank/backups/"]]], {}]


def test_unchanged_when_networks_written_differently(run_module, nas):
    result = run_module(MAIN, {"path": "/mnt/tank/media", "networks": ["192.168.1.77/24"]})
    assert result["changed"] is False
    assert result["nfs_share"] == MEDIA


def test_update_sends_only_changes_with_api_names(run_module, nas):
    result = run_module(MAIN, {"path": "/mnt/tank/media", "readonly": False, "comment": "Media library",
                               "networks": ["192.168.1.0/24", "10.1.0.0/16"]})
    assert result["changed"] is True
    assert nas.methods == ["sharing.nfs.query", "sharing.nfs.update", "sharing.nfs.query"]
    assert nas.calls_to("sharing.nfs.update")[0].params == [1, {"ro": False, "networks": ["192.168.1.0/24", "10.1.0.0/16"]}]
    assert result["nfs_share"] == dict(MEDIA, readonly=False, networks=["192.168.1.0/24", "10.1.0.0/16"])


def test_update_clears_mapping_and_networks(run_module, nas):
    result = run_module(MAIN, {"path": "/mnt/tank/backups", "maproot_user": "", "maproot_group": "", "hosts": []})
    assert result["changed"] is True
    assert nas.calls_to("sharing.nfs.update")[0].params == [2, {"maproot_user": None, "maproot_group": None, "hosts": []}]
    assert result["nfs_share"]["maproot_user"] is None
    assert result["nfs_share"]["hosts"] == []


def test_diff_mode_update(run_module, nas):
    result = run_module(MAIN, {"path": "/mnt/tank/media", "enabled": False}, diff=True)
    assert result["diff"] == {"before": MEDIA_VIEW, "after": dict(MEDIA_VIEW, enabled=False)}


def test_diff_mode_create_and_delete(run_module, nas):
    created = run_module(MAIN, {"path": "/mnt/tank/new", "comment": "c"}, diff=True)
    assert created["diff"]["before"] == {}
    assert created["diff"]["after"]["path"] == "/mnt/tank/new"
    assert created["diff"]["after"]["comment"] == "c"
    deleted = run_module(MAIN, {"path": "/mnt/tank/media", "state": "absent"}, diff=True)
    assert deleted["diff"] == {"before": MEDIA_VIEW, "after": {}}


def test_check_mode_create_makes_no_mutating_call(run_module, nas):
    result = run_module(MAIN, {"path": "/mnt/tank/new", "networks": ["10.0.0.0/8"], "enabled": True},
                        check_mode=True, diff=True)
    assert result["changed"] is True
    nas.assert_no_mutation()
    assert nas.methods == ["sharing.nfs.query"]
    assert result["nfs_share"] == {"path": "/mnt/tank/new", "networks": ["10.0.0.0/8"], "enabled": True}
    assert result["diff"] == {"before": {}, "after": {"path": "/mnt/tank/new", "networks": ["10.0.0.0/8"], "enabled": True}}
    assert len(nas.tables["sharing.nfs"].rows) == 2


def test_check_mode_update_predicts(run_module, nas):
    result = run_module(MAIN, {"path": "/mnt/tank/media", "security": ["krb5", "sys"]}, check_mode=True)
    assert result["changed"] is True
    nas.assert_no_mutation()
    assert result["nfs_share"] == dict(MEDIA, security=["KRB5", "SYS"])


def test_check_mode_delete(run_module, nas):
    result = run_module(MAIN, {"path": "/mnt/tank/media", "state": "absent"}, check_mode=True)
    assert result["changed"] is True
    assert result["nfs_share"] == {}
    nas.assert_no_mutation()
    assert len(nas.tables["sharing.nfs"].rows) == 2


def test_delete(run_module, nas):
    result = run_module(MAIN, {"path": "/mnt/tank/media", "state": "absent"})
    assert result["changed"] is True
    assert nas.methods == ["sharing.nfs.query", "sharing.nfs.delete"]
    assert nas.calls_to("sharing.nfs.delete")[0].params == [1]
    assert [r["path"] for r in nas.tables["sharing.nfs"].rows] == ["/mnt/tank/backups"]


def test_absent_when_missing_is_unchanged(run_module, nas):
    result = run_module(MAIN, {"path": "/mnt/tank/none", "state": "absent"})
    assert result["changed"] is False
    assert result["nfs_share"] == {}
    assert nas.methods == ["sharing.nfs.query"]


def test_returns_fields_of_truenas_26(run_module, fake_client, rpc_fixture):
    fake_client.set_version("26.0.0")
    row = dict(rpc_fixture("sharing.nfs.query", "two_shares")["result"][0], dataset="tank/media", relative_path="",
               tier=None)
    fake_client.table("sharing.nfs", [row])
    result = run_module(MAIN, {"path": "/mnt/tank/media"})
    assert result["nfs_share"] == dict(MEDIA, dataset="tank/media", relative_path="")


@pytest.mark.parametrize("args, message", [
    ({"networks": ["10.0.0.300"]}, "networks: '10.0.0.300' is not a valid IPv4 or IPv6 network"),
    ({"networks": ["0.0.0.0/0"]}, "networks: 0.0.0.0/0 means every network; leave networks empty to allow all networks"),
    ({"networks": ["::/0"]}, "networks: ::/0 means every network; leave networks empty to allow all networks"),
    ({"networks": ["10.0.0.1/24", "10.0.0.0/24"]}, "networks: 10.0.0.0/24 is listed more than once"),
    ({"networks": ["10.0.0.0/8", "10.1.0.0/16"]}, "networks: 10.1.0.0/16 overlaps 10.0.0.0/8; list each network once"),
    ({"networks": [""]}, "networks: entries must be networks in CIDR notation such as 192.168.1.0/24, got ''"),
    ({"hosts": [{"name": "a"}]},
     "hosts: \"{'name': 'a'}\" is not a host name or IP address: spaces and quotes are not allowed"),
    ({"hosts": ["bad host"]}, "hosts: 'bad host' is not a host name or IP address: spaces and quotes are not allowed"),
    ({"hosts": ["a", "a"]}, "hosts: a is listed more than once"),
    ({"hosts": [None]}, "hosts: entries must be host names or IP addresses, got ''"),
    ({"security": ["SYS", "NTLM"]}, "security: 'NTLM' is not a security flavor; use SYS, KRB5, KRB5I, KRB5P"),
    ({"path": "mnt/tank/x"}, "path: must be an absolute path inside a pool, such as /mnt/tank/share, got 'mnt/tank/x'"),
    ({"maproot_user": "root", "mapall_user": "nobody"}, "mapall_user: cannot be combined with maproot_user; set one of them"),
    ({"state": "gone"}, "value of state must be one of: present, absent, got: gone"),
    ({"readonly": "maybe"}, "argument 'readonly' is of type str and we were unable to convert to bool: "
                            "The value 'maybe' is not a valid boolean."),
])
def test_bad_input_names_the_option_and_sends_nothing(run_module, nas, args, message):
    full = {"path": "/mnt/tank/media"}
    full.update(args)
    result = run_module(MAIN, full)
    assert result["failed"] is True
    assert result["msg"].startswith(message)
    assert "Traceback" not in result["msg"]
    assert nas.calls == []


def test_missing_path_is_reported(run_module, nas):
    result = run_module(MAIN, {"comment": "x"})
    assert result["msg"] == "missing required arguments: path"
    assert nas.calls == []


def test_server_validation_error_names_the_option(run_module, fake_client, wire_error):
    fake_client.respond("sharing.nfs.query", [])
    fake_client.respond("sharing.nfs.create", wire_error("sharing.nfs.create", "path_outside_pool"))
    result = run_module(MAIN, {"path": "/srv/share"})
    assert result["failed"] is True
    assert result["changed"] is False
    assert result["msg"] == "Failed to create NFS share '/srv/share': path: The path must reside within a pool mount point"
    assert result["error"]["errors"][0]["option"] == "path"
    assert result["error"]["method"] == "sharing.nfs.create"


def test_server_error_on_update_translates_schema_prefix(run_module, nas, wire_error):
    nas.respond("sharing.nfs.update", wire_error("sharing.nfs.update", "user_not_found"))
    result = run_module(MAIN, {"path": "/mnt/tank/media", "maproot_user": "nobody2"})
    assert result["msg"] == "Failed to update NFS share '/mnt/tank/media': maproot_user: User not found: nobody2"
    assert result["changed"] is False


def test_two_shares_with_the_same_path_fail(run_module, fake_client, rpc_fixture):
    rows = rpc_fixture("sharing.nfs.query", "two_shares")["result"]
    rows[1]["path"] = rows[0]["path"]
    fake_client.table("sharing.nfs", rows)
    result = run_module(MAIN, {"path": "/mnt/tank/media", "comment": "x"})
    assert result["failed"] is True
    assert result["msg"].startswith("Failed to look up NFS share '/mnt/tank/media': ")
    fake_client.assert_no_mutation()


def test_secrets_of_the_connection_never_appear(run_module, nas):
    password = "Very-Secret-Pw1"
    result = run_module(MAIN, {"path": "/mnt/tank/media", "password": password, "username": "admin"}, diff=True)
    assert password not in json.dumps(result)
    assert "k" * 64 not in json.dumps(result)


def test_module_file_stays_thin():
    source = open(truenas_share_nfs.__file__).read()
    code = source.split('RETURN = r"""', 1)[1].split('"""', 1)[1]
    assert "sharing.nfs" not in code
    assert len([line for line in code.splitlines() if line.strip()]) <= 40


def test_argument_spec_matches_descriptor_options():
    spec = truenas_share_nfs.argument_spec()
    options = set(f.option for f in NfsShareResource.FIELDS if not f.output_only)
    assert options == set(spec) - {"state"}


def test_failure_after_create_reports_change_and_what_exists(run_module, fake_client):
    created = dict(SERVER_DEFAULTS, id=9, path="/mnt/tank/new", comment="c")
    fake_client.respond("sharing.nfs.query", [], TrueNASConnectionError("the connection to 127.0.0.1:443 broke"))
    fake_client.respond("sharing.nfs.create", created)
    result = run_module(MAIN, {"path": "/mnt/tank/new", "comment": "c"})
    assert result["failed"] is True
    assert result["changed"] is True
    assert result["msg"] == "Failed to read back NFS share '/mnt/tank/new': the connection to 127.0.0.1:443 broke"
    assert result["nfs_share"]["id"] == 9
    assert result["nfs_share"]["comment"] == "c"
    assert result["error"]["type"] == "TrueNASConnectionError"
