# Copyright (c) nasops contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""truenas_service, truenas_service_info and the settings modules with a fake client: the method
per version, waiting for the reported state, check mode, names, and settings payloads."""

import pytest

from ansible_collections.nasops.truenas.plugins.modules import (
    truenas_service,
    truenas_service_ftp,
    truenas_service_info,
    truenas_service_nfs,
    truenas_service_smb,
    truenas_service_ssh,
)

ROWS = [
    {"id": 1, "service": "cifs", "enable": False, "state": "STOPPED", "pids": []},
    {"id": 6, "service": "ssh", "enable": True, "state": "RUNNING", "pids": [812]},
]


@pytest.fixture
def nas(fake_client):
    fake_client.table("service", ROWS)

    def control(verb, name, options=None):
        row = next(r for r in fake_client.tables["service"].rows if r["service"] == name)
        row["state"] = "STOPPED" if verb == "STOP" else "RUNNING"
        row["pids"] = [] if verb == "STOP" else [900]
        return True

    def update(id_, data):
        row = next(r for r in fake_client.tables["service"].rows if r["id"] == id_)
        row["enable"] = data["enable"]
        return id_

    fake_client.respond("service.control", control)
    fake_client.respond("service.start", lambda name: control("START", name))
    fake_client.respond("service.update", update)
    return fake_client


def test_start_uses_service_control_and_rereads(run_module, nas):
    result = run_module(truenas_service.main, {"name": "samba", "state": "started", "enabled": True}, diff=True)
    assert result["changed"] is True
    assert [c.method for c in nas.mutations] == ["service.update", "service.control"]
    assert nas.calls_to("service.update")[0].params == [1, {"enable": True}]
    control = nas.calls_to("service.control")[0]
    assert control.params == ["START", "cifs", {"timeout": 120}] and control.job is True
    assert result["service"] == {"id": 1, "name": "cifs", "enabled": True, "state": "RUNNING", "pids": [900]}
    assert result["diff"]["before"] == {"name": "cifs", "enabled": False, "state": "STOPPED"}


def test_25_04_uses_service_start(run_module, nas):
    nas.set_version("25.04.2.6")
    result = run_module(truenas_service.main, {"name": "smb", "state": "started"})
    assert result["changed"] is True
    assert [c.method for c in nas.mutations] == ["service.start"]
    assert nas.calls_to("service.start")[0].params == ["cifs"]


def test_running_service_is_unchanged_and_check_mode_predicts(run_module, nas):
    assert run_module(truenas_service.main, {"name": "SSH", "state": "started", "enabled": True})["changed"] is False
    check = run_module(truenas_service.main, {"name": "ssh", "state": "stopped"}, check_mode=True)
    assert check["changed"] is True and check["service"]["state"] == "STOPPED"
    restarted = run_module(truenas_service.main, {"name": "ssh", "state": "restarted"}, check_mode=True)
    assert restarted["changed"] is True
    nas.assert_no_mutation()


def test_restarted_always_changes_and_reloaded_starts_a_stopped_service(run_module, nas):
    assert run_module(truenas_service.main, {"name": "ssh", "state": "restarted"})["changed"] is True
    assert run_module(truenas_service.main, {"name": "smb", "state": "reloaded"})["changed"] is True
    assert [c.params[:2] for c in nas.calls_to("service.control")] == [["RESTART", "ssh"], ["START", "cifs"]]


def test_waits_until_the_state_is_reported(run_module, nas):
    states = iter(["STOPPED", "RUNNING"])
    original = nas._answer

    def lagging(method, params):
        rows = original(method, params)
        if method == "service.query" and params[0] == [["id", "=", 1]]:
            for row in rows:
                row["state"] = next(states, "RUNNING")
        return rows

    nas._answer = lagging
    result = run_module(truenas_service.main, {"name": "cifs", "state": "started"})
    assert result["changed"] is True and result["service"]["state"] == "RUNNING"
    assert len([c for c in nas.calls_to("service.query") if c.params[0] == [["id", "=", 1]]]) >= 2


def test_failure_to_start_is_reported(run_module, nas):
    nas.respond("service.control", False)
    result = run_module(truenas_service.main, {"name": "cifs", "state": "started"})
    assert result["failed"] is True and result["changed"] is True
    assert result["msg"] == "service 'cifs' did not start: TrueNAS reports it STOPPED"


def test_unknown_service_lists_the_known_ones(run_module, nas):
    result = run_module(truenas_service.main, {"name": "gopher", "state": "started"})
    assert result["msg"] == ("name: TrueNAS 25.10.5 has no service 'gopher'; the services on this server are cifs, "
                             "ssh (smb means cifs, iscsi means iscsitarget)")
    nas.assert_no_mutation()


def test_info_lists_services(run_module, nas):
    result = run_module(truenas_service_info.main, {"name": ["smb", "ssh"]})
    assert nas.calls[0].params == [[["service", "in", ["cifs", "ssh"]]], {"order_by": ["service"]}]
    assert result["services"] == [{"id": 1, "name": "cifs", "enabled": False, "state": "STOPPED", "pids": []},
                                  {"id": 6, "name": "ssh", "enabled": True, "state": "RUNNING", "pids": [812]}]


FTP = {"id": 1, "port": 21, "clients": 5, "timeout": 600, "onlylocal": False, "filemask": "077", "banner": "",
       "passiveportsmin": 0, "passiveportsmax": 0, "anonpath": None, "onlyanonymous": False}


@pytest.fixture
def settings(fake_client):
    store = {"ftp": dict(FTP),
             "ssh": {"id": 1, "tcpport": 22, "weak_ciphers": ["AES128-CBC"], "passwordauth": False,
                     "host_ed25519_key": "PRIVATE", "host_ed25519_key_pub": "ssh-ed25519 AAAA"},
             "smb": {"id": 1, "netbiosname": "truenas", "workgroup": "WORKGROUP", "encryption": "DEFAULT"},
             "nfs": {"id": 1, "protocols": ["NFSV3", "NFSV4"], "servers": None}}
    for name in store:
        fake_client.respond("%s.config" % name, lambda name=name: dict(store[name]))
        fake_client.respond("%s.update" % name, lambda data, name=name: store[name].update(data) or dict(store[name]))
    fake_client.store = store
    return fake_client


def test_ftp_sends_only_changes_with_api_names(run_module, settings):
    result = run_module(truenas_service_ftp.main, {"ftp_port": 2121, "idle_timeout": 600, "filemask": "027"},
                        diff=True)
    assert result["changed"] is True
    assert settings.calls_to("ftp.update")[0].params == [{"port": 2121, "filemask": "027"}]
    assert result["diff"]["before"]["ftp_port"] == 21 and result["diff"]["after"]["ftp_port"] == 2121
    assert result["ftp"]["idle_timeout"] == 600
    assert run_module(truenas_service_ftp.main, {"ftp_port": 2121})["changed"] is False


@pytest.mark.parametrize("module, args, message", [
    (truenas_service_ftp, {"passiveportsmin": 60000, "passiveportsmax": 50000},
     "passiveportsmax: must not be lower than passiveportsmin (60000)"),
    (truenas_service_ftp, {"filemask": "99"}, "filemask: must be three octal digits such as 022, got '99'"),
    (truenas_service_ssh, {"tcpport": 70000}, "tcpport: must be a TCP port between 1 and 65535, got 70000"),
    (truenas_service_smb, {"netbiosname": "a", "workgroup": "A"}, "netbiosname: must differ from workgroup (A)"),
    (truenas_service_nfs, {"protocols": ["NFSV5"]}, "protocols: 'NFSV5' is not a protocol; use NFSV3 and/or NFSV4"),
    (truenas_service_nfs, {"servers": 0}, "servers: must be between 1 and 256, got 0"),
    (truenas_service_nfs, {"protocols": ["NFSV3"], "v4_krb": True}, "v4_krb: needs NFSV4 in protocols"),
])
def test_settings_validation_needs_no_server(run_module, settings, module, args, message):
    result = run_module(module.main, args)
    assert result["failed"] is True and result["msg"] == message
    assert settings.calls == []


def test_ssh_never_returns_private_keys(run_module, settings):
    result = run_module(truenas_service_ssh.main, {"weak_ciphers": [], "passwordauth": True}, diff=True)
    assert settings.calls_to("ssh.update")[0].params == [{"weak_ciphers": [], "passwordauth": True}]
    assert "PRIVATE" not in repr(result) and result["ssh"]["host_ed25519_key_pub"] == "ssh-ed25519 AAAA"


def test_smb_and_nfs_compare_case_and_order_insensitively(run_module, settings):
    assert run_module(truenas_service_smb.main, {"encryption": "default"})["changed"] is False
    assert run_module(truenas_service_nfs.main, {"protocols": ["nfsv4", "NFSv3"]})["changed"] is False
    check = run_module(truenas_service_nfs.main, {"protocols": ["nfs4"]}, check_mode=True)
    assert check["changed"] is True and check["nfs"]["protocols"] == ["NFSV4"]
    settings.assert_no_mutation()
