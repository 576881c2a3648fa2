"""service.* and the ftp/ssh/smb/nfs settings on the simulator, on every profile: the table per
release, control verbs (job on 25.10+, plain calls on 25.04/25.10), boot flag, failures, and the
settings' validation and effect on a running service."""
import copy
import time

import pytest


@pytest.fixture
def c(sim, sim_client):
    return sim_client(sim, login=True)


def invalid(c, method, *params):
    msg = c.call(method, *params)
    assert "error" in msg, msg
    assert msg["error"]["code"] == -32602, msg
    return [tuple(e[:2]) for e in msg["error"]["data"]["extra"]]


def control(sim, c, verb, name, options=None):
    """service.control where it exists (a job: the final result), else service.<verb>."""
    params = [options] if options is not None else []
    if sim.profile.name == "25.04":
        return c.request("service.%s" % verb.lower(), name, *params)
    return wait_job(c, c.request("service.control", verb, name, *params))


def wait_job(c, job_id):
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        job = c.request("core.get_jobs", [["id", "=", job_id]])[0]
        if job["state"] in ("SUCCESS", "FAILED", "ABORTED"):
            assert job["state"] == "SUCCESS", job
            return job["result"]
        time.sleep(0.05)
    raise AssertionError("job %s did not finish" % job_id)


def state_of(c, name):
    return c.request("service.query", [["service", "=", name]], {"get": True})


def test_table_per_release(sim, c):
    names = [row["service"] for row in c.request("service.query")]
    expected = ["cifs", "ftp", "iscsitarget", "nfs", "snmp", "ssh", "ups"]
    if sim.profile.at_least("25.10"):
        expected.append("nvmet")
    if sim.profile.at_least("26"):
        expected.append("webshare")
    assert names == expected
    row = state_of(c, "ssh")
    assert (row["enable"], row["state"], row["pids"]) == (False, "STOPPED", [])
    unknown = c.request("service.query", [], {"extra": {"include_state": False}})
    assert {row["state"] for row in unknown} == {"UNKNOWN"}


def test_control_verbs(sim, c):
    assert control(sim, c, "START", "ssh") is True
    started = state_of(c, "ssh")
    assert started["state"] == "RUNNING" and len(started["pids"]) == 1
    assert control(sim, c, "RELOAD", "ssh") is True
    assert state_of(c, "ssh")["pids"] == started["pids"]
    assert control(sim, c, "RESTART", "ssh") is True
    assert state_of(c, "ssh")["pids"] != started["pids"]
    assert control(sim, c, "STOP", "ssh") is True
    assert state_of(c, "ssh")["state"] == "STOPPED"
    assert control(sim, c, "RELOAD", "ssh") is False
    assert state_of(c, "ssh")["state"] == "STOPPED"
    assert control(sim, c, "START", "cron") is True  # a pseudo service
    if sim.profile.at_least("26"):
        assert c.call("service.start", "ssh")["error"]["code"] == -32601
    else:
        assert c.request("service.start", "nfs") is True


def test_unknown_name_fails_and_26_names(sim, c):
    if sim.profile.name == "25.04":
        msg = c.call("service.start", "nosuch")
        assert msg["error"]["data"]["reason"] == "MatchNotFound()"
        return
    job_id = c.request("service.control", "START", "nosuch")
    job = None
    for _unused in range(200):
        job = c.request("core.get_jobs", [["id", "=", job_id]])[0]
        if job["state"] != "RUNNING" and job["state"] != "WAITING":
            break
        time.sleep(0.05)
    assert job["state"] == "FAILED"
    mdns = "mdns"
    if sim.profile.at_least("26"):
        job_id = c.request("service.control", "START", mdns)
        assert wait_job_state(c, job_id) == "FAILED"
    else:
        assert control(sim, c, "START", mdns) is True


def wait_job_state(c, job_id):
    for _unused in range(200):
        job = c.request("core.get_jobs", [["id", "=", job_id]])[0]
        if job["state"] not in ("RUNNING", "WAITING"):
            return job["state"]
        time.sleep(0.05)
    return None


def test_boot_flag_by_id_or_name(c):
    ssh = state_of(c, "ssh")
    assert c.request("service.update", "ssh", {"enable": True}) == ssh["id"]
    assert state_of(c, "ssh")["enable"] is True
    assert c.request("service.update", str(ssh["id"]), {"enable": False}) == ssh["id"]
    assert state_of(c, "ssh")["enable"] is False
    assert c.call("service.update", 999, {"enable": True})["error"]["code"] == -32602


def test_failing_service_with_and_without_silent(sim, sim_factory, sim_client):
    seed = copy.deepcopy(sim.seed)
    seed["services"] = {"ups": {"fails": True}, "ssh": {"enable": True, "state": "RUNNING"}}
    server = sim_factory(sim.profile.name, seed=seed)
    c = sim_client(server, login=True)
    assert state_of(c, "ssh")["state"] == "RUNNING" and state_of(c, "ssh")["enable"] is True
    assert control(server, c, "START", "ups") is False
    assert state_of(c, "ups")["state"] == "STOPPED"
    if server.profile.name == "25.04":
        msg = c.call("service.start", "ups", {"silent": False})
        assert "error" in msg and "failed to start" in msg["error"]["data"]["reason"]


def test_ftp_settings(sim, c):
    cfg = c.request("ftp.config")
    assert (cfg["port"], cfg["clients"], cfg["onlyanonymous"]) == (21, 5, False)
    new = c.request("ftp.update", {"port": 2121, "clients": 20, "passiveportsmin": 50000, "passiveportsmax": 50100,
                                   "onlylocal": True, "banner": "hello"})
    assert (new["port"], new["clients"], new["passiveportsmax"], new["banner"]) == (2121, 20, 50100, "hello")
    assert c.request("ftp.config") == new
    errors = invalid(c, "ftp.update", {"passiveportsmin": 80, "onlyanonymous": True, "tls": True})
    assert errors == [("ftp_update.passiveportsmin", "This value must be 0 or between 1024 and 65535"),
                      ("ftp_update.anonpath", "This field is required for anonymous login"),
                      ("ftp_update.ssltls_certificate", "Please provide a valid certificate id when TLS is enabled")]
    assert c.request("ftp.update", {"onlyanonymous": True, "anonpath": "/mnt/tank/media"})["anonpath"] == \
        "/mnt/tank/media"


def test_ssh_settings_reload_running_service(sim, c):
    cfg = c.request("ssh.config")
    assert cfg["tcpport"] == 22 and cfg["host_ed25519_key_pub"].startswith("ssh-ed25519 ")
    control(sim, c, "START", "ssh")
    pids = state_of(c, "ssh")["pids"]
    new = c.request("ssh.update", {"tcpport": 2222, "passwordauth": True, "password_login_groups": ["wheel"],
                                   "bindiface": ["enp1s0"]})
    assert (new["tcpport"], new["passwordauth"], new["bindiface"]) == (2222, True, ["enp1s0"])
    assert state_of(c, "ssh")["pids"] == pids  # reloaded, not restarted
    errors = invalid(c, "ssh.update", {"bindiface": ["eth9"], "password_login_groups": ["nosuch"]})
    assert errors == [("data.bindiface", "eth9 is not a valid interface"),
                      ("data.password_login_groups.0", "Group nosuch not found")]


def test_smb_settings_restart_running_service(sim, c):
    cfg = c.request("smb.config")
    assert (cfg["netbiosname"], cfg["workgroup"], cfg["encryption"]) == ("truenas", "WORKGROUP", "DEFAULT")
    control(sim, c, "START", "cifs")
    pids = state_of(c, "cifs")["pids"]
    protocol = {"minimum_protocol": "SMB2"} if sim.profile.name == "26" else {"enable_smb1": False}
    new = c.request("smb.update", dict({"netbiosname": "nas01", "description": "Files", "bindip": ["127.0.0.1"]},
                                       **protocol))
    assert (new["netbiosname"], new["description"], new["bindip"]) == ("nas01", "Files", ["127.0.0.1"])
    assert state_of(c, "cifs")["pids"] != pids
    errors = invalid(c, "smb.update", {"netbiosname": "WORKGROUP", "guest": "ghost", "bindip": ["10.99.0.1"]})
    assert errors == [("smb_update.netbiosname", "NetBIOS name and workgroup must be different"),
                      ("smb_update.guest", "ghost: user does not exist"),
                      ("smb_update.bindip.0", "IP address 10.99.0.1 is not configured on this system")]


def test_nfs_settings(sim, c):
    cfg = c.request("nfs.config")
    assert cfg["protocols"] == ["NFSV3", "NFSV4"] and cfg["servers"] is None
    new = c.request("nfs.update", {"servers": 8, "protocols": ["NFSV4"], "mountd_port": 618})
    assert (new["servers"], new["protocols"], new["mountd_port"]) == (8, ["NFSV4"], 618)
    errors = invalid(c, "nfs.update", {"mountd_port": 20049, "protocols": ["NFSV3"], "v4_krb": True})
    assert errors == [("nfs_update.mountd_port", "Port 20049 is reserved for NFS over RDMA"),
                      ("nfs_update.v4_krb", "NFSv4 must be enabled for Kerberos")]
    if sim.profile.validate_schemas:
        assert invalid(c, "nfs.update", {"servers": 0}) == [
            ("nfs_update.servers", "Input should be greater than or equal to 1")]
