"""Test hooks and fault injection (tests/simulator/faults.py)."""
import time

import pytest

from tests.simulator.profiles import NAMES
from tests.simulator.pytest_plugin import SimClient
from tests.simulator.server import SimServer

HOOKS = ("test.fault", "test.counters", "test.reset_counters", "test.call_log", "test.state",
         "test.set_job_duration", "test.reset", "test.job")


def wait_until(predicate, timeout=5):
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "condition not reached"
        time.sleep(0.02)


def test_hooks_do_not_exist_without_the_option(sim_factory):
    server = sim_factory("25.10", test_hooks=False)
    client = SimClient(server.url, server.ca_file)
    client.login("admin", server.credentials["password"])
    for name in HOOKS:
        assert client.call(name, msg_id=name) == {"jsonrpc": "2.0", "id": name, "error": {
            "code": -32601, "message": "Method does not exist"}}
    assert not [m for m in client.request("core.get_methods") if m.startswith("test.")]
    client.close()


def test_hooks_exist_with_the_option(sim, sim_client):
    client = sim_client(sim, login=True)
    methods = client.request("core.get_methods", "test")
    assert set(HOOKS) <= set(methods)


# --- connection drops ----------------------------------------------------------------------------
def test_drop_after_messages_for_the_next_connection(sim, sim_client):
    sim.fault("drop_after_messages", count=2)
    client = sim_client(sim)
    assert client.request("system.boot_id") == sim.boot_id
    client.start("system.boot_id")
    assert client.wait_closed() is None
    assert sim.counters_snapshot()["calls"] == {"system.boot_id": 1}
    later = sim_client(sim)
    assert later.request("system.boot_id") == sim.boot_id
    assert later.request("system.boot_id") == sim.boot_id


def test_drop_after_messages_for_the_calling_connection(sim, sim_client):
    client = sim_client(sim)
    assert client.request("test.fault", "drop_after_messages", {"count": 1, "scope": "self"}) is True
    client.start("system.boot_id")
    assert client.wait_closed() is None


def test_drop_during_job_wait_legacy(sim, sim_client):
    client = sim_client(sim, login=True)
    sim.set_job_duration(0.3)
    sim.fault("drop_during_job_wait")
    job_id = client.request("test.job", {"result": "kept"})
    assert job_id == 1
    assert client.wait_closed() is None
    wait_until(lambda: sim.job(1)["state"] == "SUCCESS")
    assert sim.job(1)["result"] == "kept"
    other = sim_client(sim, login=True)
    assert other.request("test.job") == 2
    assert other.request("core.ping") == "pong"


@pytest.mark.sim_profiles("25.10", "26")
def test_drop_during_job_wait_new_style(sim, sim_client):
    client = sim_client(sim, login=True)
    client.request("core.set_options", {"legacy_jobs": False})
    sim.set_job_duration(0.3)
    sim.fault("drop_during_job_wait")
    client.start("test.job")
    assert client.wait_closed() is None
    wait_until(lambda: sim.job(1) is not None and sim.job(1)["state"] == "SUCCESS")


# --- delays and failures -------------------------------------------------------------------------
def test_delay_replies(sim, sim_client):
    client = sim_client(sim, login=True)
    assert client.request("test.fault", "delay", {"seconds": 0.3, "method": "core.ping", "count": 1}) is True
    start = time.monotonic()
    assert client.request("core.ping") == "pong"
    assert time.monotonic() - start >= 0.3
    assert sim.run(lambda: list(sim.faults.delays)) == []
    assert client.request("core.ping") == "pong"


def test_fail_next_call_error(sim, sim_client):
    client = sim_client(sim, login=True)
    sim.fault("fail_next", method="system.info", errno=16, message="busy now")
    error = client.call("system.info", msg_id=1)["error"]
    assert error["code"] == -32001 and error["message"] == "Method call error"
    data = error["data"]
    assert (data["error"], data["errname"], data["reason"], data["extra"]) == (16, "EBUSY", "[EBUSY] busy now", None)
    assert data["trace"]["class"] == "CallError"
    assert client.request("system.info")["hostname"] == "truenas-sim"


def test_fail_next_validation_error(sim, sim_client):
    client = sim_client(sim, login=True)
    sim.fault("fail_next", method="core.ping", code=-32602, attribute="data.name", errno=17, message="exists",
              count=2)
    for _unused in range(2):
        error = client.call("core.ping")["error"]
        assert error["code"] == -32602
        assert error["data"]["extra"] == [["data.name", "exists", 17]]
        assert error["data"]["reason"] == "[EEXIST] data.name: exists\n"
    assert client.request("core.ping") == "pong"


@pytest.mark.parametrize("code,message", [
    (-32000, "Maximum number of concurrent calls (20) has exceeded"),
    (-32601, "Method does not exist"),
    (-32603, "Failed to JSON serialize server message"),
])
def test_fail_next_protocol_errors(sim, sim_client, code, message):
    client = sim_client(sim, login=True)
    sim.fault("fail_next", method="core.ping", code=code)
    assert client.call("core.ping", msg_id=5) == {"jsonrpc": "2.0", "error": {"code": code, "message": message},
                                                  "id": 5}


@pytest.mark.parametrize("kind,options,extra", [
    ("explode", {}, [["kind", "Input should be 'drop_after_messages', 'drop_during_job_wait', 'delay', "
                              "'fail_next', 'idle_drop' or 'clear'", 22]]),
    ("drop_after_messages", {}, [["options.count", "Field required", 22]]),
    ("drop_after_messages", {"count": 0}, [["options.count", "Input should be greater than or equal to 1", 22]]),
    ("fail_next", {"method": "core.ping", "code": 1}, [["options.code", "Input should be -32001, -32602, -32000, "
                                                                        "-32601 or -32603", 22]]),
    ("delay", {"seconds": "1"}, [["options.seconds", "Input has the wrong type", 22]]),
])
def test_fault_validation(sim, sim_client, kind, options, extra):
    client = sim_client(sim)
    error = client.call("test.fault", kind, options)["error"]
    assert error["code"] == -32602
    assert error["data"]["extra"] == extra


def test_clear_removes_faults(sim, sim_client):
    client = sim_client(sim, login=True)
    client.request("test.fault", "fail_next", {"method": "core.ping"})
    client.request("test.fault", "idle_drop", {"seconds": 0.2})
    assert client.request("test.fault", "clear") is True
    assert sim.idle_drop == sim.profile.idle_timeout
    time.sleep(0.3)
    assert client.request("core.ping") == "pong"


# --- idle drop -----------------------------------------------------------------------------------
def test_idle_drop_defaults_per_profile():
    assert [SimServer(name).idle_drop for name in NAMES] == [60.0, 60.0, 3600.0]
    assert SimServer("25.10", idle_drop=0).idle_drop == 0.0


def test_idle_connection_is_dropped_without_close_frame(sim_factory):
    server = sim_factory("25.10", idle_drop=0.4)
    client = SimClient(server.url, server.ca_file)
    start = time.monotonic()
    assert client.wait_closed(timeout=3) is None
    assert 0.35 <= time.monotonic() - start < 2
    client.close()


def test_server_traffic_keeps_a_connection_alive(sim_factory):
    server = sim_factory("25.10", idle_drop=0.8)
    pinger = SimClient(server.url, server.ca_file)
    framer = SimClient(server.url, server.ca_file)
    try:
        pinger.login("admin", server.credentials["password"])
        for _unused in range(8):
            assert pinger.request("core.ping") == "pong"
            framer.ping_frame()
            time.sleep(0.15)
        assert pinger.request("core.ping") == "pong"
        assert framer.request("system.boot_id") == server.boot_id
    finally:
        pinger.close()
        framer.close()


def test_idle_drop_set_at_run_time(sim, sim_client):
    client = sim_client(sim)
    assert client.request("test.fault", "idle_drop", {"seconds": 0.3}) is True
    assert client.wait_closed(timeout=3) is None


def test_a_long_job_without_progress_is_dropped_while_waiting(sim_factory):
    server = sim_factory("25.10", idle_drop=0.4, job_duration=1.0)
    client = SimClient(server.url, server.ca_file)
    client.login("admin", server.credentials["password"])
    client.request("core.set_options", {"legacy_jobs": False})
    client.start("test.job", {"steps": 0})
    assert client.wait_closed(timeout=3) is None
    client.close()


# --- counters, call log, state -------------------------------------------------------------------
def test_counters(sim, sim_client):
    client = sim_client(sim)
    client.request("auth.login_ex", {"mechanism": "PASSWORD_PLAIN", "username": "admin", "password": "bad"})
    client.login("admin", sim.credentials["password"])
    client.request("core.ping")
    client.request("core.ping")
    client.request("test.counters")
    expected = {"calls": {"auth.login_ex": 2, "core.ping": 2}, "connections": 1, "logins": 1, "login_failures": 1,
                "api_keys_presented": {}}
    assert client.request("test.counters") == expected
    assert sim.counters_snapshot() == expected
    assert client.request("test.reset_counters") is True
    assert client.request("test.counters") == {"calls": {}, "connections": 0, "logins": 0, "login_failures": 0,
                                               "api_keys_presented": {}}
    assert client.request("test.call_log") == []


def test_call_log(sim, sim_client):
    client = sim_client(sim)
    client.call("auth.login", "admin", sim.credentials["password"], msg_id="l")
    client.call("core.ping", msg_id="p")
    log = client.request("test.call_log", [["method", "=", "core.ping"]])
    assert len(log) == 1
    entry = log[0]
    assert isinstance(entry.pop("seq"), int) and isinstance(entry.pop("connection"), int)
    assert entry == {"method": "core.ping", "id": "p", "params": [], "authenticated": True, "username": "admin"}
    assert client.request("test.call_log", [], {"select": ["method", "params", "authenticated"]}) == [
        {"method": "auth.login", "params": ["admin", "********"], "authenticated": False},
        {"method": "core.ping", "params": [], "authenticated": True},
    ]
    assert [e["method"] for e in sim.calls()] == ["auth.login", "core.ping"]


def test_state_dump_and_reset(sim, sim_client):
    client = sim_client(sim, login=True)
    assert client.request("test.state", "system")["config"]["hostname"] == "truenas-sim"
    assert sorted(client.request("test.state", "api_keys")) == ["1", "2"]
    created = client.request("api_key.create", {"name": "extra", "username": "admin"})
    assert created["id"] == 3
    assert sorted(client.request("test.state")["api_keys"]) == ["1", "2", "3"]
    assert sim.state_dump("api_keys")["3"]["name"] == "extra"
    error = client.call("test.state", "nothing")["error"]
    assert (error["code"], error["data"]["reason"]) == (-32001, "[ENOENT] No such kind of object: nothing")
    assert client.request("test.reset") is True
    assert sorted(client.request("test.state", "api_keys")) == ["1", "2"]
