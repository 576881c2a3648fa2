# Copyright (c) nasops contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""truenas_service, truenas_service_info and the four service-settings modules against the
simulator, on every profile: CHECK -> apply -> idempotent CHECK -> idempotent, checked out of band
through the simulator's state and call counters."""

import copy

import pytest

pytestmark = pytest.mark.timeout(300)


def row(sim, name):
    return next(r for r in sim.state.data["services"].values() if r["service"] == name)


def converge(run, module, args):
    check = run(module, args, check=True, diff=True)
    applied = run(module, args, diff=True)
    again_check = run(module, args, check=True)
    again = run(module, args)
    for result in (check, applied, again_check, again):
        assert not result["failed"], result
    assert check["changed"] and applied["changed"], (check, applied)
    assert not again_check["changed"] and not again["changed"], (again_check, again)
    return check, applied


def control_calls(sim):
    return len(sim.calls("service.control")) + sum(
        len(sim.calls("service.%s" % verb)) for verb in ("start", "stop", "restart", "reload"))


def test_start_enable_stop(sim, run_inproc):
    check, started = converge(run_inproc, "truenas_service", {"name": "SMB", "enabled": True, "state": "started"})
    assert check["service"]["state"] == "RUNNING" and row(sim, "cifs")["enable"] is True
    assert check["diff"] == {"before": {"name": "cifs", "enabled": False, "state": "STOPPED"},
                             "after": {"name": "cifs", "enabled": True, "state": "RUNNING"}}
    assert started["service"]["name"] == "cifs" and started["service"]["state"] == "RUNNING"
    assert row(sim, "cifs")["state"] == "RUNNING" and started["service"]["pids"] == row(sim, "cifs")["pids"]
    # The version decides the method: a job on 25.10+, the plain call on 25.04.
    if sim.profile.name == "25.04":
        assert len(sim.calls("service.start")) == 1 and sim.calls("service.control") == []
    else:
        assert len(sim.calls("service.control")) == 1
    check, stopped = converge(run_inproc, "truenas_service", {"name": "cifs", "state": "stopped"})
    assert stopped["service"]["state"] == "STOPPED" and row(sim, "cifs")["state"] == "STOPPED"
    assert row(sim, "cifs")["enable"] is True
    assert control_calls(sim) == 2


def test_restart_and_reload_always_change(sim, run_inproc):
    run_inproc("truenas_service", {"name": "nfs", "state": "started"})
    pids = row(sim, "nfs")["pids"]
    check = run_inproc("truenas_service", {"name": "nfs", "state": "restarted"}, check=True)
    assert check["changed"] and row(sim, "nfs")["pids"] == pids
    for _unused in range(2):
        restarted = run_inproc("truenas_service", {"name": "nfs", "state": "restarted"})
        assert restarted["changed"] and restarted["service"]["state"] == "RUNNING"
    assert row(sim, "nfs")["pids"] != pids
    reloaded = run_inproc("truenas_service", {"name": "nfs", "state": "reloaded"})
    assert reloaded["changed"] and reloaded["service"]["pids"] == row(sim, "nfs")["pids"]
    # reloaded on a stopped service starts it
    stopped = run_inproc("truenas_service", {"name": "ftp", "state": "reloaded"})
    assert stopped["changed"] and row(sim, "ftp")["state"] == "RUNNING"


def test_errors(sim, run_inproc):
    unknown = run_inproc("truenas_service", {"name": "nosuch", "state": "started"})
    expected = "name: TrueNAS %s has no service 'nosuch'; the services on this server are cifs, ftp, " % (
        sim.profile.product_version)
    assert unknown["failed"] and unknown["msg"].startswith(expected)
    nvmet = run_inproc("truenas_service", {"name": "nvme", "enabled": True})
    assert nvmet["failed"] == (sim.profile.name == "25.04"), nvmet
    assert control_calls(sim) == 0


def test_service_that_fails_to_start(sim, sim_factory, run_inproc):
    seed = copy.deepcopy(sim.seed)
    seed["services"] = {"ups": {"fails": True}}
    broken = sim_factory(sim.profile.name, seed=seed)
    result = run_inproc("truenas_service", {"name": "ups", "state": "started", "wait_timeout": 5,
                                            "url": broken.url, "ca_path": broken.ca_file})
    assert result["failed"] and result["msg"] == "service 'ups' did not start: TrueNAS reports it STOPPED", result
    assert result["changed"] is True  # a start was attempted


def test_service_info(sim, run_inproc, run_module):
    run_inproc("truenas_service", {"name": "ssh", "state": "started", "enabled": True})
    everything = run_module("truenas_service_info", {})
    assert not everything["failed"] and not everything["changed"], everything
    names = [s["name"] for s in everything["services"]]
    assert names == sorted(names) and "cifs" in names and ("webshare" in names) == (sim.profile.name == "26")
    some = run_inproc("truenas_service_info", {"name": ["ssh", "smb"]}, check=True)["services"]
    assert [(s["name"], s["enabled"], s["state"]) for s in some] == [
        ("cifs", False, "STOPPED"), ("ssh", True, "RUNNING")]
    assert some[1]["pids"] == row(sim, "ssh")["pids"]


def test_ftp_settings(sim, run_inproc):
    args = {"ftp_port": 2121, "clients": 20, "passiveportsmin": 50000, "passiveportsmax": 50100, "onlylocal": True,
            "filemask": "027", "idle_timeout": 900}
    check, applied = converge(run_inproc, "truenas_service_ftp", args)
    assert check["diff"]["before"]["ftp_port"] == 21 and check["diff"]["after"]["ftp_port"] == 2121
    stored = sim.state.data["service_config"]["ftp"]
    assert (stored["port"], stored["clients"], stored["timeout"], stored["filemask"]) == (2121, 20, 900, "027")
    assert applied["ftp"]["idle_timeout"] == 900 and applied["ftp"]["passiveportsmax"] == 50100
    bad = run_inproc("truenas_service_ftp", {"passiveportsmin": 80})
    assert bad["failed"] and bad["msg"] == "passiveportsmin: must be 0 (any port) or between 1024 and 65535, got 80"
    refused = run_inproc("truenas_service_ftp", {"onlyanonymous": True})
    assert refused["failed"] and refused["msg"] == (
        "Failed to update FTP service settings: anonpath: This field is required for anonymous login")
    assert len(sim.calls("ftp.update")) == 2


def test_ftp_users_recipe(sim, run_inproc):
    """The EXAMPLES recipe: a local user with a home directory, FTP settings, the service running."""
    user = run_inproc("truenas_user", {"name": "ftpuser", "user_password": "Ftp-Passw0rd-1", "smb": False,
                                       "home": "/mnt/tank/media", "home_create": True, "home_mode": "750",
                                       "shell": "/usr/sbin/nologin"})
    assert user["changed"] and user["user"]["home"] == "/mnt/tank/media/ftpuser", user
    run_inproc("truenas_service_ftp", {"onlylocal": True, "defaultroot": True})
    service = run_inproc("truenas_service", {"name": "ftp", "enabled": True, "state": "started"})
    assert service["service"]["state"] == "RUNNING" and row(sim, "ftp")["enable"] is True


def test_ssh_settings_reload_a_running_service(sim, run_inproc):
    run_inproc("truenas_service", {"name": "ssh", "state": "started"})
    pids = row(sim, "ssh")["pids"]
    args = {"tcpport": 2222, "passwordauth": True, "password_login_groups": ["wheel"], "weak_ciphers": [],
            "sftp_log_level": "info"}
    check, applied = converge(run_inproc, "truenas_service_ssh", args)
    stored = sim.state.data["service_config"]["ssh"]
    assert (stored["tcpport"], stored["weak_ciphers"], stored["sftp_log_level"]) == (2222, [], "INFO")
    assert applied["ssh"]["host_ed25519_key_pub"].startswith("ssh-ed25519 ")
    assert "host_ed25519_key" not in applied["ssh"] and "PRIVATE KEY" not in repr(applied)
    assert row(sim, "ssh")["pids"] == pids
    bad = run_inproc("truenas_service_ssh", {"bindiface": ["eth9"]})
    assert bad["failed"] and bad["msg"] == "Failed to update SSH service settings: bindiface: eth9 is not a valid interface"


def test_smb_and_nfs_settings_restart_running_services(sim, run_inproc):
    run_inproc("truenas_service", {"name": "smb", "state": "started"})
    pids = row(sim, "cifs")["pids"]
    check, applied = converge(run_inproc, "truenas_service_smb", {"netbiosname": "nas01", "description": "Files",
                                                                  "encryption": "desired", "aapl_extensions": True})
    assert applied["smb"]["encryption"] == "DESIRED" and row(sim, "cifs")["pids"] != pids
    assert sim.state.data["sharing"]["config"]["smb"]["netbiosname"] == "nas01"
    bad = run_inproc("truenas_service_smb", {"netbiosname": "home", "workgroup": "HOME"})
    assert bad["failed"] and bad["msg"] == "netbiosname: must differ from workgroup (HOME)"
    refused = run_inproc("truenas_service_smb", {"guest": "ghost"})
    assert refused["msg"] == "Failed to update SMB service settings: guest: ghost: user does not exist"

    check, applied = converge(run_inproc, "truenas_service_nfs", {"protocols": ["nfs4"], "servers": 16})
    assert applied["nfs"]["protocols"] == ["NFSV4"] and applied["nfs"]["servers"] == 16
    assert sim.state.data["sharing"]["config"]["nfs"]["protocols"] == ["NFSV4"]
    bad = run_inproc("truenas_service_nfs", {"mountd_port": 20049})
    assert bad["failed"] and bad["msg"] == "mountd_port: 20049 is reserved for NFS over RDMA"


def test_settings_modules_run_as_ansible_runs_them(sim, run_module):
    for module, args, key in (("truenas_service_ftp", {"banner": "hi"}, "ftp"),
                              ("truenas_service_ssh", {"compression": True}, "ssh"),
                              ("truenas_service_smb", {"description": "x"}, "smb"),
                              ("truenas_service_nfs", {"allow_nonroot": True}, "nfs"),
                              ("truenas_service", {"name": "snmp", "state": "started"}, "service")):
        result = run_module(module, args)
        assert result["changed"] and not result["failed"] and key in result, result


def test_smb_protocol_option_of_each_release(sim, run_module):
    """26 replaced enable_smb1 with minimum_protocol: each is refused, naming the release, where it
    does not exist, before any change."""
    new, old = ("minimum_protocol", "enable_smb1") if sim.profile.name == "26" else ("enable_smb1", "minimum_protocol")
    value = {"minimum_protocol": "SMB3", "enable_smb1": True}
    refused = run_module("truenas_service_smb", {old: value[old]})
    assert refused["failed"] is True and refused["changed"] is False
    assert "option '%s'" % old in refused["msg"] and sim.profile.product_version in refused["msg"], refused["msg"]
    done = run_module("truenas_service_smb", {new: value[new]})
    assert not done["failed"], done["msg"]
    assert done["changed"] is True and done["smb"][new] == value[new]
    assert run_module("truenas_service_smb", {new: value[new]})["changed"] is False
