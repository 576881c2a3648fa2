# Copyright (c) nasops contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""TrueNASClient against the TrueNAS simulator over real sockets: TLS, logins, errors, jobs,
dropped connections and the idle drop. Every test also checks (through the ``guard`` fixture)
that no secret it used shows up in a log line or an exception text."""

import copy
import socket

import pytest

from tests.simulator.pytest_plugin import api_key_login_calls

from ansible_collections.nasops.truenas.plugins.module_utils._auth import PasswordAuth
from ansible_collections.nasops.truenas.plugins.module_utils._errors import (
    TrueNASAuthError,
    TrueNASConnectionError,
    TrueNASJobError,
    TrueNASJobValidationError,
    TrueNASNotFoundError,
    TrueNASUnsupportedError,
    TrueNASValidationError,
)
from ansible_collections.nasops.truenas.plugins.module_utils._jsonrpc import JSONRPCConnection
from ansible_collections.nasops.truenas.plugins.module_utils._transport import WebSocketTransport, build_ssl_context
from tests.simulator.services.auth import totp
from tests.simulator.state import DEFAULT_SEED, load_seed_file

pytestmark = pytest.mark.timeout(60)

VERSIONS = {"25.04": ((25, 4, 2, 6), "zfs.snapshot"), "25.10": ((25, 10, 5), "pool.snapshot"),
            "26": ((26, 0, 0), "pool.snapshot")}


def user(server, name):
    return next(u for u in server.seed["users"] if u["username"] == name)


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# -- logins over wss and ws ------------------------------------------------------------------------

def test_api_key_over_wss_with_the_ca(sim, connect_to):
    client = connect_to(sim)
    client.connect()
    version, namespace = VERSIONS[sim.profile.name]
    assert client.version == version
    assert client.caps.snapshot_namespace == namespace
    assert sorted(p["name"] for p in client.query("pool.query", [], {"select": ["name"]})) == ["backup", "tank"]
    assert client.get_one("pool.query", [["name", "=", "tank"]], {"select": ["name"]}) == {"name": "tank"}
    assert client.get_one("pool.query", [["name", "=", "nope"]]) is None
    client.close()
    counters = sim.counters_snapshot()
    assert counters["connections"] == 1
    logins = dict((name, api_key_login_calls(sim.profile).count(name)) for name in api_key_login_calls(sim.profile))
    assert counters["calls"] == dict(logins, **{"system.version_short": 1, "pool.query": 3})
    if sim.profile.login_v26:
        # SCRAM: the key itself never reached the server.
        assert counters["api_keys_presented"] == {}
    else:
        assert counters["api_keys_presented"] == {"1": {"count": 1, "tls": 1, "plain": 0}}


def test_password_login(sim, connect_to):
    client = connect_to(sim, api_key=None, password=sim.credentials["password"])
    assert client.version_string == sim.profile.product_version
    assert client.warnings == []
    assert sim.calls("auth.login_ex")[0]["params"][0]["mechanism"] == "PASSWORD_PLAIN"


@pytest.mark.sim_profiles("25.10")
def test_api_key_without_username_uses_the_legacy_login(sim, connect_to):
    client = connect_to(sim, username=None)
    client.connect()
    assert [c["method"] for c in sim.calls()][:2] == ["auth.login_with_api_key", "system.version_short"]


def test_plain_ws_on_loopback(sim_factory, connect_to):
    server = sim_factory("25.10", tls=False)
    assert server.url.startswith("ws://127.0.0.1:")
    client = connect_to(server, ca_path=None)
    assert client.version == (25, 10, 5)
    client = connect_to(server, ca_path=None, api_key=None, password=server.credentials["password"])
    client.connect()
    assert client.warnings == []
    assert server.counters_snapshot()["api_keys_presented"] == {"1": {"count": 1, "tls": 0, "plain": 1}}


def test_otp_login_and_wrong_otp(sim, connect_to, guard):
    otp_user = user(sim, "otpuser")
    code = totp(otp_user["otp_secret"])
    wrong = "%06d" % ((int(code) + 500000) % 1000000)
    guard.secret(code, wrong)
    client = connect_to(sim, api_key=None, username="otpuser", password=otp_user["password"], otp_token=code)
    client.connect()
    assert [c["method"] for c in sim.calls()][:3] == ["auth.login_ex", "auth.login_ex_continue", "system.version_short"]
    missing = connect_to(sim, api_key=None, username="otpuser", password=otp_user["password"])
    exc = guard.error(TrueNASAuthError, missing.connect)
    assert exc.message == ("auth.login_ex: user otpuser has two-factor authentication enabled: set otp_token to a "
                           "current one-time password")
    bad = connect_to(sim, api_key=None, username="otpuser", password=otp_user["password"], otp_token=wrong)
    exc = guard.error(TrueNASAuthError, bad.connect)
    assert exc.message == ("auth.login_ex_continue: invalid OTP: otp_token was rejected for user otpuser (wrong or "
                           "expired one-time password)")


def test_bad_credentials(sim, connect_to, guard):
    guard.secret("not-the-password", "1-" + "x" * 64)
    client = connect_to(sim, api_key=None, password="not-the-password")
    exc = guard.error(TrueNASAuthError, client.connect)
    assert exc.message == "auth.login_ex: authentication failed: wrong username or password for user admin"
    client = connect_to(sim, api_key="1-" + "x" * 64)
    exc = guard.error(TrueNASAuthError, client.connect)
    if sim.profile.login_v26:
        # SCRAM: the server refuses the proof of the second step.
        assert exc.message == ("auth.login_ex_continue: authentication failed (SCRAM): the API key is wrong, revoked, "
                               "or does not belong to user admin")
        assert sim.calls("auth.login_ex")[-1]["params"][0]["mechanism"] == "SCRAM"
    else:
        assert exc.message == ("auth.login_ex: authentication failed: the API key is wrong, revoked, or does not "
                               "belong to user admin")
    assert client.connected is False


def test_revoked_key_flow(sim_factory, connect_to, guard):
    server = sim_factory("25.10", tls=False, treat_plain_as_remote=True)
    client = connect_to(server, ca_path=None)
    exc = guard.error(TrueNASAuthError, client.connect)
    assert exc.message == (
        "auth.login_ex: the API key of user admin was revoked or has expired; it must be reset (or a new key "
        "created). TrueNAS revokes API keys used over an insecure transport; connect with wss://")
    keys = server.state_dump("api_keys")
    assert keys["1"]["revoked"] is True
    again = connect_to(server, ca_path=None)
    exc = guard.error(TrueNASAuthError, again.connect)
    assert exc.message == ("auth.login_ex: authentication failed: the API key is wrong, revoked, or does not belong "
                           "to user admin")


def test_api_key_to_a_remote_plain_host_is_refused_before_connecting(sim, connect_to, guard):
    with pytest.raises(TrueNASAuthError) as info:
        connect_to(None, url="ws://192.0.2.10/api/current", username="admin", api_key=sim.credentials["api_key"])
    guard.record(info.value)
    assert info.value.message.startswith("refusing to send api_key over unencrypted ws:// to 192.0.2.10")
    assert sim.counters_snapshot()["connections"] == 0


# -- TLS -------------------------------------------------------------------------------------------

@pytest.mark.sim_profiles("25.10")
def test_validate_certs_false_accepts_the_self_signed_server(sim, connect_to):
    client = connect_to(sim, ca_path=None, validate_certs=False)
    assert client.version == (25, 10, 5)


@pytest.mark.sim_profiles("25.10")
def test_unknown_ca_fails_verification_clearly(sim, connect_to, guard, monkeypatch):
    monkeypatch.delenv("SSL_CERT_FILE", raising=False)
    client = connect_to(sim, ca_path=None, connect_retries=0)
    exc = guard.error(TrueNASConnectionError, client.connect)
    assert exc.message.startswith("TLS certificate verification failed for 127.0.0.1:%d: " % sim.port)
    assert "Set ca_path to the CA certificate" in exc.message and "validate_certs to false" in exc.message


@pytest.mark.sim_profiles("25.10")
def test_wrong_ca_fails_verification_clearly(sim, sim_factory, connect_to, guard):
    other = sim_factory("25.10")
    client = connect_to(sim, ca_path=other.ca_file)
    exc = guard.error(TrueNASConnectionError, client.connect)
    assert exc.message.startswith("TLS certificate verification failed for 127.0.0.1:%d: " % sim.port)


@pytest.mark.sim_profiles("25.10")
def test_ssl_cert_file_is_honoured(sim, connect_to, monkeypatch):
    monkeypatch.setenv("SSL_CERT_FILE", sim.ca_file)
    client = connect_to(sim, ca_path=None)
    assert client.version == (25, 10, 5)


# -- handshake and transport failures --------------------------------------------------------------

@pytest.mark.sim_profiles("25.10")
def test_unknown_api_path_says_25_04_is_required(sim, connect_to, guard):
    client = connect_to(sim, url=sim.url_for("/api/v99"))
    exc = guard.error(TrueNASConnectionError, client.connect)
    assert exc.message == ("no JSON-RPC API at %s (HTTP 404). TrueNAS older than 25.04 only has the legacy "
                           "/websocket endpoint; TrueNAS 25.04 or later is required (or the url path is wrong)."
                           % sim.url_for("/api/v99"))


@pytest.mark.sim_profiles("25.10")
def test_plain_ws_to_the_tls_port(sim, connect_to, guard):
    client = connect_to(sim, url="ws://127.0.0.1:%d/api/current" % sim.port, api_key=None,
                        password=sim.credentials["password"], timeout=5)
    exc = guard.error(TrueNASConnectionError, client.connect)
    assert exc.message == ("the server at 127.0.0.1:%d closed the connection during the WebSocket handshake. If this "
                           "port serves HTTPS, use wss://." % sim.port)


def test_tls_to_a_plain_port(sim_factory, connect_to, guard):
    server = sim_factory("25.10", tls=False)
    client = connect_to(server, url="wss://127.0.0.1:%d/api/current" % server.port, ca_path=None)
    exc = guard.error(TrueNASConnectionError, client.connect)
    assert exc.message == ("TLS handshake with 127.0.0.1:%d failed: the server closed the connection during the "
                           "handshake; the port may not speak TLS (plain HTTP?). Use ws:// for a plain HTTP port, or "
                           "the HTTPS port (443) with wss://." % server.port)


def test_refused_connection_is_retried_then_reported(connect_to, guard):
    port = free_port()
    slept = []
    client = connect_to(None, url="ws://127.0.0.1:%d/api/current" % port, username="admin",
                        password="irrelevant-pw", connect_retries=1, sleep=slept.append)
    exc = guard.error(TrueNASConnectionError, client.connect)
    assert exc.message == ("connection refused by 127.0.0.1:%d (nothing listens on that port; check host, port and "
                           "that the TrueNAS web service is running); gave up after 2 attempts in 0 s in all (each "
                           "attempt waits up to 10 s: the timeout option, capped at 10 s)" % port)
    assert exc.transient is True
    assert guard.texts.count("connecting to ws://127.0.0.1:%d/api/current" % port) == 2
    assert slept == [1.0]


@pytest.mark.sim_profiles("25.10")
def test_close_codes_1007_and_1009_are_read(sim):
    context = build_ssl_context(ca_path=sim.ca_file)
    anonymous = WebSocketTransport(sim.url, ssl_context=context)
    anonymous.connect()
    anonymous.send('{"jsonrpc": "2.0", "id": 1, "method": "core.ping", "params": ["%s"]}' % ("x" * 9000))
    with pytest.raises(TrueNASConnectionError) as info:
        anonymous.recv(5)
    assert info.value.close_code == 1007
    assert info.value.message == ("the server closed the connection with code 1007 (Anonymous connection max message "
                                  "length is 8 kB): message larger than 8 kB before authentication, or invalid JSON")

    transport = WebSocketTransport(sim.url, ssl_context=context)
    transport.connect()
    rpc = JSONRPCConnection(transport)
    auth = PasswordAuth(sim.credentials["username"], sim.credentials["password"])
    auth.validate(sim.url)
    auth.authenticate(rpc)
    transport.send('{"jsonrpc": "2.0", "id": 9, "method": "core.ping", "params": ["%s"]}' % ("x" * 70000))
    with pytest.raises(TrueNASConnectionError) as info:
        transport.recv(5)
    assert info.value.close_code == 1009
    assert info.value.message == ("the server closed the connection with code 1009 (Max message length is 64 kB): "
                                  "request larger than 64 kB (the limit for authenticated connections)")
    transport.close()


@pytest.mark.sim_profiles("25.10")
def test_server_closing_on_us_after_the_request_was_sent(sim, connect_to, guard):
    client = connect_to(sim)
    client.connect()
    sim.fault("drop_after_messages", count=1, scope="next")
    client.close()
    exc = guard.error(TrueNASConnectionError, client.connect)
    assert exc.message.startswith("auth.login_ex: the server at 127.0.0.1:%d dropped the connection" % sim.port)
    assert exc.message.endswith("the request had been sent and may have run on the server")
    assert exc.sent is True


# -- errors ----------------------------------------------------------------------------------------

def test_validation_and_not_found_errors(sim, connect_to, guard):
    client = connect_to(sim)
    exc = guard.error(TrueNASValidationError, client.call, "pool.scrub.run", 5)
    assert exc.errors and exc.errors[0][0] == "name"
    exc = guard.error(TrueNASNotFoundError, client.call, "pool.get_instance", 999)
    assert exc.message == "pool.get_instance: [ENOENT] Pool 999 does not exist"


@pytest.mark.sim_profiles("25.04")
def test_missing_method_is_unsupported(sim, connect_to, guard):
    client = connect_to(sim)
    exc = guard.error(TrueNASUnsupportedError, client.query, "pool.snapshot.query")
    assert exc.message == "pool.snapshot.query: method does not exist on this TrueNAS version"


@pytest.mark.sim_profiles("25.10")
def test_busy_queries_are_retried(sim, connect_to):
    client = connect_to(sim)
    client.connect()
    sim.fault("fail_next", method="pool.query", code=-32000, count=2)
    assert len(client.query("pool.query")) == 2
    assert sim.counters_snapshot()["calls"]["pool.query"] == 3


# -- jobs ------------------------------------------------------------------------------------------

def test_job_wait_through_events_with_progress(sim, connect_to):
    client = connect_to(sim)
    seen = []
    assert client.call("pool.scrub", 1, "START", job=True, progress=lambda p, d: seen.append((p, d))) is None
    assert seen[-1] == (100, "Scrub finished")
    percents = [p for p, _description in seen]
    assert percents == sorted(percents)
    assert len(sim.calls("pool.scrub")) == 1
    assert len(sim.calls("core.subscribe")) == 1
    pool = client.get_one("pool.query", [["id", "=", 1]], {"select": ["scan"]})
    assert pool["scan"]["state"] == "FINISHED"


def test_job_failure_is_reported_with_the_job_id(sim, connect_to, guard):
    client = connect_to(sim)
    exc = guard.error(TrueNASJobError, client.call, "pool.scrub", 999, "START", job=True)
    assert isinstance(exc, TrueNASJobValidationError)
    assert exc.state == "FAILED" and isinstance(exc.job_id, int)
    assert exc.message == "pool.scrub: job %d failed: [ENOENT] Pool 999 does not exist" % exc.job_id
    assert sim.job(exc.job_id)["state"] == "FAILED"


def test_connection_dropped_during_a_job_wait(sim, connect_to, guard):
    client = connect_to(sim)
    client.connect()
    sim.fault("drop_during_job_wait")
    assert client.call("pool.scrub", 2, "START", job=True) is None
    assert sim.counters_snapshot()["connections"] == 2
    assert len(sim.calls("pool.scrub")) == 1
    assert any(t.startswith("lost the connection while waiting for job ") for t in guard.texts)
    assert sim.calls("core.get_jobs")[0]["params"][0][0][:2] == ["id", "="]


@pytest.mark.sim_profiles("25.10")
def test_drop_during_a_job_wait_after_an_otp_login(sim, connect_to, guard):
    otp_user = user(sim, "otpuser")
    code = totp(otp_user["otp_secret"])
    guard.secret(code)
    client = connect_to(sim, api_key=None, username="otpuser", password=otp_user["password"], otp_token=code)
    client.connect()
    sim.fault("drop_during_job_wait")
    exc = guard.error(TrueNASAuthError, client.call, "pool.scrub", 1, "START", job=True)
    assert exc.message.startswith("pool.scrub: lost the connection while waiting for job %d and could not reconnect: "
                                  % exc.job_id)
    assert "otp_token was already used and is never sent twice" in exc.message
    assert len(sim.calls("auth.login_ex_continue")) == 1
    assert len(sim.calls("pool.scrub")) == 1


def seed_with_vm(shutdown_seconds):
    seed = copy.deepcopy(load_seed_file(DEFAULT_SEED))
    seed["vms"] = {"machines": [{"name": "slowvm", "memory": 512, "status": "RUNNING",
                                 "shutdown_seconds": shutdown_seconds}]}
    return seed


def test_keepalive_survives_the_idle_drop_during_a_silent_job(sim_factory, connect_to):
    server = sim_factory("25.10", idle_drop=2, seed=seed_with_vm(3.0))
    client = connect_to(server, keepalive_interval=0.5)
    vm = client.get_one("vm.query", [["name", "=", "slowvm"]])
    assert client.call("vm.stop", vm["id"], job=True, timeout=30) is None
    counters = server.counters_snapshot()
    assert counters["connections"] == 1
    assert counters["calls"]["core.ping"] >= 4
    assert client.get_one("vm.query", [["id", "=", vm["id"]]])["status"]["state"] == "STOPPED"


def test_without_keepalive_the_idle_drop_hits_and_the_job_is_still_followed(sim_factory, connect_to, guard):
    server = sim_factory("25.10", idle_drop=2, seed=seed_with_vm(3.0))
    client = connect_to(server, keepalive_interval=None, poll_interval=10, max_poll_interval=10)
    vm = client.get_one("vm.query", [["name", "=", "slowvm"]])
    assert client.call("vm.stop", vm["id"], job=True, timeout=30) is None
    counters = server.counters_snapshot()
    assert counters["connections"] == 2
    assert counters["calls"]["vm.stop"] == 1
    assert "core.ping" not in counters["calls"]
    assert any("dropped the connection without a close frame" in t for t in guard.texts)


@pytest.mark.sim_profiles("25.10")
def test_keepalive_during_a_long_plain_call(sim_factory, connect_to, guard):
    server = sim_factory("25.10", idle_drop=1)
    client = connect_to(server, keepalive_interval=0.3)
    client.connect()
    server.fault("delay", seconds=2, method="pool.query", count=1)
    assert len(client.query("pool.query")) == 2
    assert server.counters_snapshot()["connections"] == 1
    quiet = connect_to(server, keepalive_interval=None)
    quiet.connect()
    server.fault("delay", seconds=2, method="pool.dataset.create", count=1)
    exc = guard.error(TrueNASConnectionError, quiet.call, "pool.dataset.create", {"name": "tank/x"})
    assert exc.sent is True
    assert "dropped the connection without a close frame" in exc.message
