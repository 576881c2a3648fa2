# Copyright (c) nasops contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""ConnectionSettings and TrueNASClient against a scripted TrueNAS with a controlled clock."""

import pytest

from ansible_collections.nasops.truenas.plugins.module_utils import _client
from ansible_collections.nasops.truenas.plugins.module_utils._client import ConnectionSettings, TrueNASClient
from ansible_collections.nasops.truenas.plugins.module_utils._errors import (
    TrueNASAuthError,
    TrueNASBusyError,
    TrueNASConnectionError,
    TrueNASError,
    TrueNASJobError,
    TrueNASJobValidationError,
    TrueNASOptionError,
    TrueNASTimeoutError,
    TrueNASUnsupportedError,
    TrueNASValidationError,
)

from .conftest import API_KEY, NO_REPLY, OTP, PASSWORD, WireError

BASE = {"host": "nas.example", "api_key": API_KEY, "username": "admin"}
LOCAL = {"url": "ws://127.0.0.1:6000/api/current", "api_key": API_KEY, "username": "admin"}


def settings(**overrides):
    mapping = dict(BASE)
    mapping.update(overrides)
    return ConnectionSettings.from_mapping(mapping)


@pytest.fixture
def lines():
    return []


@pytest.fixture
def make(server, clock, lines):
    def build(mapping=None, **kwargs):
        options = dict(LOCAL)
        options.update(mapping or {})
        kwargs.setdefault("keepalive_interval", 20.0)
        return TrueNASClient(ConnectionSettings.from_mapping(options), log=lines.append,
                             transport_factory=server.transport_factory, clock=clock, sleep=clock.sleep, **kwargs)

    return build


def busy_error():
    return WireError({"code": -32000, "message": "Maximum number of concurrent calls (20) has exceeded"})


# -- settings ------------------------------------------------------------------------------------

@pytest.mark.parametrize("overrides, endpoint", [
    ({}, "wss://nas.example/api/current"),
    ({"port": 8443}, "wss://nas.example:8443/api/current"),
    ({"port": "8443"}, "wss://nas.example:8443/api/current"),
    ({"host": "10.0.0.5"}, "wss://10.0.0.5/api/current"),
    ({"host": "fd00::5"}, "wss://[fd00::5]/api/current"),
    ({"host": "[fd00::5]", "port": 444}, "wss://[fd00::5]:444/api/current"),
    ({"host": None, "url": "wss://nas.example"}, "wss://nas.example/api/current"),
    ({"host": None, "url": "WSS://nas.example:8443/"}, "wss://nas.example:8443/api/current"),
    ({"host": None, "url": "wss://nas.example/api/v25.10.5"}, "wss://nas.example/api/v25.10.5"),
    ({"host": None, "url": "wss://nas.example", "port": 9443}, "wss://nas.example:9443/api/current"),
    ({"host": None, "url": "ws://127.0.0.1:6000/api/current"}, "ws://127.0.0.1:6000/api/current"),
    ({"host": None, "url": "wss://[::1]:9000/api/current"}, "wss://[::1]:9000/api/current"),
])
def test_endpoints(overrides, endpoint):
    assert settings(**overrides).endpoint == endpoint


@pytest.mark.parametrize("overrides, message, option", [
    ({"host": "https://nas.example"}, "host must be a host name or address, not a URL (https://nas.example); to choose "
                                      "ws:// or wss:// yourself, use url instead", "host"),
    ({"host": "nas.example:8443"}, "host must not include a port (nas.example:8443): put the port in the port option",
     "host"),
    ({"host": "nas.example/api"}, "host must be a host name or address, got 'nas.example/api' (use url for a full "
                                  "address)", "host"),
    ({"host": None}, "set host (or url) to the TrueNAS address", "host"),
    ({"url": "wss://nas.example"}, "host and url are mutually exclusive: give one of them", "url"),
    ({"host": None, "url": "https://nas.example"}, "url must start with ws:// or wss://, got 'https://nas.example' "
                                                   "(use wss:// for https://)", "url"),
    ({"host": None, "url": "nas.example"}, "url must start with ws:// or wss://, got 'nas.example'", "url"),
    ({"host": None, "url": "wss://nas.example/websocket"}, "url points at the legacy /websocket endpoint; this "
                                                           "collection uses the JSON-RPC API at /api/current (TrueNAS "
                                                           "25.04 or later)", "url"),
    ({"host": None, "url": "wss://admin:pw@nas.example"}, "url must not contain credentials; use username, password or "
                                                          "api_key", "url"),
    ({"host": None, "url": "wss://nas.example:8443", "port": 443}, "port 443 conflicts with the port in url (8443)",
     "port"),
    ({"host": None, "url": "wss://nas.example:99999"}, None, "url"),
    ({"host": None, "url": "wss://"}, "url 'wss://' has no host", "url"),
    ({"port": 0}, "port must be an integer between 1 and 65535, got 0", "port"),
    ({"port": "https"}, "port must be an integer between 1 and 65535, got 'https'", "port"),
    ({"port": True}, "port must be an integer between 1 and 65535", "port"),
    ({"timeout": 0}, "timeout must be a number of seconds greater than 0, got 0", "timeout"),
    ({"timeout": "soon"}, "timeout must be a number of seconds greater than 0, got 'soon'", "timeout"),
    ({"timeout": True}, "timeout must be a number of seconds greater than 0", "timeout"),
    ({"validate_certs": "maybe"}, "validate_certs must be a boolean, got 'maybe'", "validate_certs"),
    ({"host": 5}, "host must be a string, got int", "host"),
    ({"ca_path": ""}, "ca_path must not be empty", "ca_path"),
])
def test_bad_settings_name_the_option(overrides, message, option):
    with pytest.raises(TrueNASOptionError) as info:
        settings(**overrides)
    if message is not None:
        assert info.value.message == message
    assert info.value.option == option
    assert API_KEY not in info.value.message


def test_settings_values_and_repr():
    built = ConnectionSettings.from_mapping(dict(BASE, timeout="30", validate_certs="no", ca_path="/etc/ca.pem",
                                                 state="present", name="ignored"))
    assert built.timeout == 30.0
    assert built.validate_certs is False
    assert built.ca_path == "/etc/ca.pem"
    assert built.auth.NAME == "api_key"
    assert API_KEY not in repr(built)
    assert repr(built) == ("ConnectionSettings(endpoint='wss://nas.example/api/current', auth='api_key', "
                           "validate_certs=False, ca_path='/etc/ca.pem', timeout=30.0)")
    defaults = settings()
    assert defaults.timeout == 60.0 and defaults.validate_certs is True


# -- connecting ----------------------------------------------------------------------------------

def test_connect_logs_in_and_reads_the_version_once(make, server):
    client = make()
    client.connect()
    client.connect()
    assert server.methods() == ["auth.mechanism_choices", "auth.login_ex", "system.version_short"]
    assert client.version == (25, 10, 1)
    assert client.version_string == "25.10.1"
    assert client.caps.smb_shape == "purpose_options"
    assert server.connect_attempts == 1


def test_version_and_caps_connect_lazily(make, server):
    server.version = "25.04.2.6"
    client = make()
    assert client.caps.snapshot_namespace == "zfs.snapshot"
    assert client.version == (25, 4, 2, 6)
    assert server.methods() == ["auth.mechanism_choices", "auth.login_ex", "system.version_short"]


def test_an_unchanged_run_costs_one_connection_and_four_calls(make, server):
    server.handlers["pool.dataset.query"] = lambda ctx, filters, options: [{"id": "tank/a", "name": "tank/a"}]
    with make() as client:
        assert client.get_one("pool.dataset.query", [["id", "=", "tank/a"]]) == {"id": "tank/a", "name": "tank/a"}
    assert server.methods() == ["auth.mechanism_choices", "auth.login_ex", "system.version_short", "pool.dataset.query"]
    assert server.params_of("pool.dataset.query") == [[[["id", "=", "tank/a"]], {"limit": 2}]]
    assert server.connect_attempts == 1
    assert server.transports[0].closed_by_client is True


def test_old_truenas_is_refused_and_the_socket_closed(make, server):
    server.version = "24.10.2.4"
    client = make()
    with pytest.raises(TrueNASUnsupportedError) as info:
        client.connect()
    assert info.value.message.startswith("unsupported version: TrueNAS 24.10.2.4 is older than 25.04")
    assert server.transports[0].closed_by_client is True


def test_transient_connect_failures_are_retried_with_backoff(make, server, clock):
    server.connect_errors = [TrueNASConnectionError("connection refused by nas:443", transient=True),
                             TrueNASConnectionError("timed out after 10 s connecting to nas:443", transient=True)]
    client = make()
    client.connect()
    assert server.connect_attempts == 3
    assert clock.sleeps == [1.0, 2.0]


def test_connect_retries_are_bounded(make, server):
    server.connect_errors = [TrueNASConnectionError("connection refused by nas:443", transient=True)] * 5
    with pytest.raises(TrueNASConnectionError) as info:
        make().connect()
    # the message says the total, the attempts and which option changes it
    assert info.value.message == (
        "connection refused by nas:443; gave up after 3 attempts in 3 s in all (each attempt waits up to 10 s: the "
        "timeout option, capped at 10 s)")
    assert server.connect_attempts == 3


def test_a_single_connect_attempt_keeps_its_own_message(make, server):
    server.connect_errors = [TrueNASConnectionError("connection refused by nas:443", transient=True)]
    client = make(connect_retries=0)
    with pytest.raises(TrueNASConnectionError) as info:
        client.connect()
    assert info.value.message == "connection refused by nas:443"


def test_permanent_connect_failures_are_not_retried(make, server, clock):
    server.connect_errors = [TrueNASConnectionError("cannot resolve host name 'nas' (DNS lookup failed: x)")]
    with pytest.raises(TrueNASConnectionError):
        make().connect()
    assert server.connect_attempts == 1
    assert clock.sleeps == []


def test_connect_timeout_is_bounded_by_settings(make, server):
    make({"timeout": 4}).connect()
    assert server.transports[0].connect_timeout == 4
    make().connect()
    assert server.transports[1].connect_timeout == 10.0


# -- calls -----------------------------------------------------------------------------------------

def test_call_returns_results_and_raises_mapped_errors(make, server):
    server.handlers["vm.start"] = lambda ctx, vm_id, options=None: None
    server.handlers["vm.create"] = lambda ctx, data: (never for never in ()).throw(WireError({
        "code": -32602, "message": "Invalid params",
        "data": {"error": 22, "extra": [["vm_create.memory", "Input should be a valid integer", 22]]}}))
    client = make()
    assert client.call("vm.start", 3, {"overcommit": False}) is None
    with pytest.raises(TrueNASValidationError) as info:
        client.call("vm.create", {"memory": "lots"})
    assert info.value.errors == [("vm_create.memory", "Input should be a valid integer", 22)]


def test_call_timeout_default_and_override(make, server, clock):
    server.handlers["pool.export"] = lambda ctx, *a: NO_REPLY
    client = make({"timeout": 30})
    client.connect()
    start = clock.now
    with pytest.raises(TrueNASTimeoutError) as info:
        client.call("pool.export", 1)
    assert clock.now - start == pytest.approx(30)
    assert info.value.message.startswith("pool.export: no reply within 30 s")
    start = clock.now
    with pytest.raises(TrueNASTimeoutError):
        client.call("pool.export", 1, timeout=2.5)
    assert clock.now - start == pytest.approx(2.5)
    with pytest.raises(TrueNASOptionError):
        client.call("pool.export", 1, timeout=-1)
    with pytest.raises(TypeError):
        client.call("pool.export", 1, wait=True)


def test_a_written_request_is_never_resent(make, server):
    def create(ctx, data):
        server.drop(0.5)
        return NO_REPLY

    server.handlers["pool.dataset.create"] = create
    client = make()
    with pytest.raises(TrueNASConnectionError) as info:
        client.call("pool.dataset.create", {"name": "tank/a"})
    assert info.value.sent is True
    assert "the request had been sent and may have run on the server" in info.value.message
    assert server.methods().count("pool.dataset.create") == 1


def test_a_read_only_call_is_repeated_after_a_dropped_connection(make, server):
    answers = ["drop", {"state": "STOPPED", "pid": None, "domain_state": "SHUTOFF"}]

    def status(ctx, vm_id):
        answer = answers.pop(0)
        if answer == "drop":
            server.drop(0)
            return NO_REPLY
        return answer

    server.handlers["vm.status"] = status
    client = make()
    assert client.call("vm.status", 3) == {"state": "STOPPED", "pid": None, "domain_state": "SHUTOFF"}
    assert server.params_of("vm.status") == [[3], [3]]
    assert server.connect_attempts == 2


def test_a_request_on_a_broken_connection_goes_to_a_fresh_one(make, server):
    server.handlers["pool.dataset.create"] = lambda ctx, data: {"id": data["name"]}
    client = make()
    client.connect()
    server.transports[0].open = False
    assert client.call("pool.dataset.create", {"name": "tank/a"}) == {"id": "tank/a"}
    assert server.methods(0) == ["auth.mechanism_choices", "auth.login_ex", "system.version_short"]
    assert server.methods(1) == ["auth.login_ex", "pool.dataset.create"]


def test_queries_retry_busy_and_dropped_connections(make, server, clock):
    answers = [busy_error(), "drop", [{"id": 1}]]

    def query(ctx, filters, options):
        answer = answers.pop(0)
        if isinstance(answer, WireError):
            raise answer
        if answer == "drop":
            server.drop(0)
            return NO_REPLY
        return answer

    server.handlers["pool.query"] = query
    client = make()
    assert client.query("pool.query") == [{"id": 1}]
    assert server.params_of("pool.query") == [[[], {}]] * 3
    assert clock.sleeps == [0.5]
    assert server.connect_attempts == 2


def test_busy_retries_are_bounded_and_calls_are_not_retried(make, server):
    def busy(ctx, *params):
        raise busy_error()

    server.handlers["pool.query"] = busy
    server.handlers["pool.create"] = busy
    client = make()
    with pytest.raises(TrueNASBusyError):
        client.query("pool.query")
    assert server.methods().count("pool.query") == 3
    with pytest.raises(TrueNASBusyError) as info:
        client.call("pool.create", {})
    assert info.value.retryable is True
    assert server.methods().count("pool.create") == 1


def test_get_one(make, server):
    rows = {"none": [], "one": [{"id": 1}], "two": [{"id": 1}, {"id": 2}]}
    server.handlers["sharing.nfs.query"] = lambda ctx, filters, options: rows[filters[0][2]]
    client = make()
    assert client.get_one("sharing.nfs.query", [["path", "=", "none"]]) is None
    assert client.get_one("sharing.nfs.query", [["path", "=", "one"]]) == {"id": 1}
    with pytest.raises(TrueNASError) as info:
        client.get_one("sharing.nfs.query", [["path", "=", "two"]])
    assert info.value.message == ("sharing.nfs.query: more than one record matches [['path', '=', 'two']]; expected "
                                  "at most one")
    client.get_one("sharing.nfs.query", [["path", "=", "one"]], {"limit": 1, "select": ["id"]})
    assert server.params_of("sharing.nfs.query")[-1] == [[["path", "=", "one"]], {"limit": 1, "select": ["id"]}]


def test_secrets_are_scrubbed_from_error_messages_and_logs(make, server, lines):
    def echo(ctx, data):
        raise WireError({"code": -32001, "message": "Method call error", "data": {
            "error": 22, "errname": "EINVAL", "reason": "[EINVAL] bad value %s" % data["password"],
            "trace": {"class": "CallError", "formatted": "Traceback: password=%s" % data["password"]}}})

    server.handlers["user.update"] = echo
    client = make({"api_key": None, "password": PASSWORD})
    with pytest.raises(TrueNASError) as info:
        client.call("user.update", {"password": PASSWORD})
    assert info.value.message == "user.update: [EINVAL] bad value ********"
    assert info.value.trace == "Traceback: password=********"
    assert PASSWORD not in "\n".join(lines)


# -- jobs ------------------------------------------------------------------------------------------

RUNNING = {"state": "RUNNING", "progress": {"percent": 10, "description": "Stopping", "extra": None}}
HALF = {"progress": {"percent": 50, "description": "Waiting for guest", "extra": None}}
DONE = {"state": "SUCCESS", "result": {"stopped": True},
        "progress": {"percent": 100, "description": "Waiting for guest", "extra": None}}


def test_job_success_through_events_with_progress(make, server, clock):
    server.job_method("vm.stop", [(1, RUNNING), (2, HALF), (3, DONE), (3, {"_duplicate": True})])
    client = make()
    seen = []
    start = clock.now
    assert client.call("vm.stop", 3, {"force": True}, job=True, progress=lambda p, d: seen.append((p, d))) == \
        {"stopped": True}
    assert seen == [(0, ""), (10, "Stopping"), (50, "Waiting for guest"), (100, "Waiting for guest")]
    assert server.methods() == ["auth.mechanism_choices", "auth.login_ex", "system.version_short", "core.subscribe", "vm.stop"]
    assert server.params_of("core.subscribe") == [["core.get_jobs"]]
    assert clock.now - start == pytest.approx(3)


def test_the_added_event_before_the_reply_and_an_instant_finish(make, server):
    def instant(ctx, *params):
        job_id = server.start_job("pool.scrub", [])
        server.broadcast("changed", dict(server.jobs[job_id], state="SUCCESS", result=None))
        return job_id

    server.handlers["pool.scrub"] = instant
    client = make()
    assert client.call("pool.scrub", 1, "START", job=True) is None
    assert "core.get_jobs" not in server.methods()


def test_events_of_other_jobs_are_ignored(make, server):
    server.start_job("other.job", [(0.5, {"state": "FAILED", "error": "[EFAULT] not ours"})])
    server.job_method("vm.stop", [(1, DONE)])
    assert make().call("vm.stop", 3, job=True) == {"stopped": True}


def test_second_job_reuses_the_subscription(make, server):
    server.job_method("vm.stop", [(1, DONE)])
    client = make()
    client.call("vm.stop", 1, job=True)
    client.call("vm.stop", 2, job=True)
    assert server.methods().count("core.subscribe") == 1


def test_polling_when_subscribing_fails(make, server, clock):
    def refuse(ctx, name):
        raise WireError({"code": -32001, "message": "Method call error",
                         "data": {"error": 13, "errname": "EACCES", "reason": "[EACCES] Not authorized"}})

    server.handlers["core.subscribe"] = refuse
    server.job_method("vm.stop", [(1, RUNNING), (6, DONE)])
    client = make()
    seen = []
    assert client.call("vm.stop", 3, job=True, progress=lambda p, d: seen.append(p)) == {"stopped": True}
    # polls at 0, 2 and 6 s (backoff 2, 4)
    assert server.methods().count("core.get_jobs") == 3
    assert server.params_of("core.get_jobs")[0] == [[["id", "=", 41]]]
    assert seen == [0, 10, 100]
    assert clock.now == pytest.approx(1006)
    client.call("vm.stop", 4, job=True)
    assert server.methods().count("core.subscribe") == 1


def test_polling_fallback_when_events_do_not_come(make, server, clock):
    server.job_method("vm.stop", [(1.5, DONE)])
    server.handlers["core.subscribe"] = lambda ctx, name: "accepted-but-silent"
    client = make()
    start = clock.now
    assert client.call("vm.stop", 3, job=True) == {"stopped": True}
    # polls after 1 s (still WAITING) and 2 s later (SUCCESS)
    assert server.methods().count("core.get_jobs") == 2
    assert clock.now - start == pytest.approx(3)


def test_job_failure_carries_id_errno_and_trace(make, server):
    server.job_method("vm.stop", [(1, {"state": "FAILED", "error": "[EFAULT] Unable to stop 'vm1'",
                                       "exception": "Traceback (most recent call last): ...",
                                       "exc_info": {"repr": "CallError()", "type": "CallError", "errno": 14,
                                                    "extra": None}})])
    with pytest.raises(TrueNASJobError) as info:
        make().call("vm.stop", 3, job=True)
    exc = info.value
    assert not isinstance(exc, TrueNASValidationError)
    assert exc.message == "vm.stop: job 41 failed: [EFAULT] Unable to stop 'vm1'"
    assert (exc.job_id, exc.state, exc.errno, exc.errname) == (41, "FAILED", 14, "EFAULT")
    assert exc.trace == "Traceback (most recent call last): ..."


def test_job_validation_failure_is_a_validation_error_too(make, server):
    server.job_method("pool.scrub", [(1, {"state": "FAILED", "error": "[ENOENT] None: Pool 9 does not exist",
                                          "exc_info": {"repr": "x", "type": "VALIDATION", "errno": None,
                                                       "extra": [["pool_scrub.id", "Pool 9 does not exist", 2]]}})])
    with pytest.raises(TrueNASJobValidationError) as info:
        make().call("pool.scrub", 9, "START", job=True)
    exc = info.value
    assert isinstance(exc, TrueNASValidationError) and isinstance(exc, TrueNASJobError)
    assert exc.errors == [("pool_scrub.id", "Pool 9 does not exist", 2)]
    assert exc.message == "pool.scrub: job 41 failed: [ENOENT] pool_scrub.id: Pool 9 does not exist"
    assert exc.job_id == 41


def test_aborted_job(make, server):
    server.job_method("vm.stop", [(1, {"state": "ABORTED"})])
    with pytest.raises(TrueNASJobError) as info:
        make().call("vm.stop", 3, job=True)
    assert info.value.message == "vm.stop: job 41 was aborted"
    assert info.value.state == "ABORTED"


def test_job_timeout_names_the_job(make, server, clock):
    server.job_method("pool.scrub", [(1, RUNNING), (500, DONE)])
    client = make()
    client.connect()
    start = clock.now
    with pytest.raises(TrueNASTimeoutError) as info:
        client.call("pool.scrub", 1, "START", job=True, timeout=30)
    assert info.value.job_id == 41
    assert info.value.message == ("pool.scrub: job 41 did not finish within 30 s (last state RUNNING); it may still be "
                                  "running on the server")
    assert clock.now - start == pytest.approx(30)


def test_job_not_found_several_times_is_an_error(make, server):
    server.handlers["core.subscribe"] = lambda ctx, name: (never for never in ()).throw(WireError({"code": -32001}))
    server.handlers["vm.stop"] = lambda ctx, *params: 777
    with pytest.raises(TrueNASJobError) as info:
        make().call("vm.stop", 3, job=True)
    assert info.value.message == "vm.stop: job 777 was not found on the server (3 polls in a row)"
    assert server.methods().count("core.get_jobs") == 3


def test_a_non_integer_job_id_is_an_error(make, server):
    server.handlers["vm.stop"] = lambda ctx, *params: "41"
    with pytest.raises(TrueNASError) as info:
        make().call("vm.stop", 3, job=True)
    assert info.value.message == "vm.stop: expected a job id from the server, got str"


def test_dropped_connection_during_a_job_wait_follows_the_same_job(make, server, lines):
    def stop(ctx, *params):
        job_id = server.start_job("vm.stop", [(1, RUNNING), (10, DONE)])
        server.drop(2)
        return job_id

    server.handlers["vm.stop"] = stop
    client = make()
    assert client.call("vm.stop", 3, job=True) == {"stopped": True}
    assert server.methods().count("vm.stop") == 1
    assert server.methods(0) == ["auth.mechanism_choices", "auth.login_ex", "system.version_short", "core.subscribe", "vm.stop"]
    assert server.methods(1)[:3] == ["auth.login_ex", "core.subscribe", "core.get_jobs"]
    assert server.params_of("core.get_jobs")[0] == [[["id", "=", 41]]]
    assert any(line.startswith("lost the connection while waiting for job 41") for line in lines)


def test_drop_before_the_job_id_arrives_is_not_repeated(make, server):
    def stop(ctx, *params):
        server.drop(0.5)
        return NO_REPLY

    server.handlers["vm.stop"] = stop
    with pytest.raises(TrueNASConnectionError) as info:
        make().call("vm.stop", 3, job=True)
    assert info.value.message.endswith("no job id was received, so the job cannot be followed, and the call is not "
                                       "repeated")
    assert server.methods().count("vm.stop") == 1


def test_drop_during_a_job_wait_after_an_otp_login_fails_clearly(make, server):
    server.handlers["auth.login_ex"] = lambda ctx, data: {"response_type": "OTP_REQUIRED", "username": "admin"}
    server.handlers["auth.login_ex_continue"] = lambda ctx, data: {"response_type": "SUCCESS"}

    def stop(ctx, *params):
        job_id = server.start_job("vm.stop", [(1, RUNNING), (10, DONE)])
        server.drop(2)
        return job_id

    server.handlers["vm.stop"] = stop
    client = make({"api_key": None, "password": PASSWORD, "otp_token": OTP})
    with pytest.raises(TrueNASAuthError) as info:
        client.call("vm.stop", 3, job=True)
    assert info.value.message == (
        "vm.stop: lost the connection while waiting for job 41 and could not reconnect: auth.login_ex: "
        "re-authentication after the connection was lost needs a new one-time password; otp_token was already used "
        "and is never sent twice; job 41 may still be running on the server")
    assert info.value.job_id == 41
    assert server.methods().count("auth.login_ex_continue") == 1


def test_reconnects_during_a_job_wait_are_bounded(make, server):
    def stop(ctx, *params):
        job_id = server.start_job("vm.stop", [(100, DONE)])
        server.drop(1)
        return job_id

    def login(ctx, data):
        if len(server.transports) > 1:
            server.drop(1, conn=ctx.conn)
        return {"response_type": "SUCCESS"}

    server.handlers["vm.stop"] = stop
    server.handlers["auth.login_ex"] = login
    with pytest.raises(TrueNASConnectionError) as info:
        make().call("vm.stop", 3, job=True)
    assert info.value.message.startswith("vm.stop: lost the connection while waiting for job 41 (")
    assert info.value.message.endswith("gave up after 3 reconnects; job 41 may still be running on the server")
    assert server.methods().count("vm.stop") == 1


def test_keepalive_survives_the_idle_drop_during_a_long_job(make, server):
    server.idle_limit = 60
    server.job_method("pool.scrub", [(150, DONE)], broadcast_added=False)
    client = make(keepalive_interval=20, max_poll_interval=1000, poll_interval=1000)
    assert client.call("pool.scrub", 1, "START", job=True, timeout=300) == {"stopped": True}
    assert server.idle_drops == 0
    assert server.connect_attempts == 1
    # one ping every 20 s of the 150 s wait
    assert server.methods().count("core.ping") == 7


def test_without_keepalive_the_idle_drop_happens_and_the_job_is_still_followed(make, server):
    server.idle_limit = 60
    server.job_method("pool.scrub", [(150, DONE)], broadcast_added=False)
    client = make(keepalive_interval=None, max_poll_interval=1000, poll_interval=1000)
    assert client.call("pool.scrub", 1, "START", job=True, timeout=300) == {"stopped": True}
    assert server.idle_drops >= 1
    assert server.methods().count("pool.scrub") == 1
    assert "core.ping" not in server.methods()


def test_keepalive_also_covers_long_plain_calls(make, server):
    server.idle_limit = 60

    def slow(ctx, *params):
        ctx.delay_reply(100)
        return "done"

    server.handlers["system.debug_generate"] = slow
    client = make(keepalive_interval=20)
    assert client.call("system.debug_generate", timeout=200) == "done"
    assert server.idle_drops == 0


# -- login rate limit ---------------------------------------------------------------------------

def rate_limited():
    return WireError({"code": -32001, "message": "Method call error", "data": {
        "error": 16, "errname": "EBUSY", "reason": "[EBUSY] Rate Limit Exceeded", "trace": None, "extra": None}})


def test_a_rate_limited_login_waits_for_the_next_window(make, server, clock):
    answers = [rate_limited(), rate_limited()]

    def login(ctx, data):
        if answers:
            raise answers.pop(0)
        return {"response_type": "SUCCESS", "user_info": None, "authenticator": "LEVEL_1"}

    server.handlers["auth.login_ex"] = login
    client = make()
    client.connect()
    assert client.version_string == "25.10.1"
    assert clock.sleeps == [10.0, 10.0]
    assert server.methods().count("auth.login_ex") == 3
    assert server.connect_attempts == 3
    assert any("20 logins per minute" in w for w in client.warnings)


def test_the_login_rate_limit_wait_is_bounded(make, server, clock):
    def login(ctx, data):
        raise rate_limited()

    server.handlers["auth.login_ex"] = login
    client = make(login_rate_limit_wait=25.0)
    with pytest.raises(TrueNASBusyError) as info:
        client.connect()
    assert "Rate Limit Exceeded" in info.value.message
    assert clock.sleeps == [10.0, 10.0, 5.0]
    assert server.methods().count("auth.login_ex") == 4


def test_other_busy_login_errors_are_not_waited_for(make, server, clock):
    def login(ctx, data):
        raise busy_error()

    server.handlers["auth.login_ex"] = login
    with pytest.raises(TrueNASBusyError):
        make().connect()
    assert clock.sleeps == []
    assert server.methods().count("auth.login_ex") == 1


# ---- websocket-client, found without importing it ------------------------------------------


def test_websocket_import_error_is_none_when_the_library_is_installed():
    assert _client.websocket_import_error() is None


def test_websocket_import_error_says_what_is_missing(monkeypatch):
    monkeypatch.setattr(_client.importlib.util, "find_spec", lambda name: None)
    assert _client.websocket_import_error() == "ModuleNotFoundError: No module named 'websocket'"


def test_websocket_import_error_reports_a_broken_installation(monkeypatch):
    def broken(name):
        raise ValueError("websocket.__spec__ is None")

    monkeypatch.setattr(_client.importlib.util, "find_spec", broken)
    assert _client.websocket_import_error() == "ValueError: websocket.__spec__ is None"
