"""The session broker against the simulator: one login shared by module runs, its lifecycle,
its security checks, its fallback, and errors crossing it unchanged."""
import json
import os
import signal
import socket
import stat
import subprocess
import sys
import time

import pytest

from tests.bench import harness
from tests.integration.broker.brokerkit import (
    alive,
    broker_pids,
    run_clients,
    settings_for,
    wait_gone,
)

from ansible_collections.nasops.truenas.plugins.module_utils import _broker
from ansible_collections.nasops.truenas.plugins.module_utils._client import TrueNASClient
from ansible_collections.nasops.truenas.plugins.module_utils._errors import TrueNASError

pytestmark = [pytest.mark.sim_profiles("25.10"), pytest.mark.timeout(300)]


def logins(sim):
    return sim.counters_snapshot()["logins"]


# ---- sharing one login -----------------------------------------------------------------------

def test_first_use_starts_the_broker_and_later_runs_reuse_it(sim, open_client, runtime):
    sim.reset_counters()
    first = open_client(settings_for(sim))
    assert isinstance(first, _broker.BrokerClient)
    assert first.started_broker is True
    assert first.version_string == "25.10.5"
    assert first.caps.version == (25, 10, 5)
    assert len(first.query("pool.dataset.query")) > 0
    first.close()
    path = first.socket_path
    info = os.lstat(path)
    assert stat.S_ISSOCK(info.st_mode) and stat.S_IMODE(info.st_mode) == 0o600
    assert stat.S_IMODE(os.lstat(os.path.dirname(path)).st_mode) == 0o700

    second = open_client(settings_for(sim))
    assert second.started_broker is False
    assert second.broker_pid == first.broker_pid
    assert second.get_one("pool.query", [["name", "=", "tank"]])["name"] == "tank"
    assert logins(sim) == 1
    assert sim.counters_snapshot()["connections"] == 1
    assert broker_pids(runtime) == [first.broker_pid]


def test_a_different_credential_gets_its_own_broker(sim, open_client):
    sim.reset_counters()
    by_key = open_client(settings_for(sim))
    by_password = open_client(settings_for(sim, api_key=None, password=sim.credentials["password"]))
    assert by_key.broker_pid != by_password.broker_pid
    assert by_key.socket_path != by_password.socket_path
    wrong = settings_for(sim, api_key=None, password="not-the-password")
    with pytest.raises(TrueNASError) as info:
        open_client(wrong)
    assert type(info.value).__name__ == "TrueNASAuthError"
    assert "wrong username or password" in info.value.message
    assert logins(sim) == 2
    assert sim.counters_snapshot()["login_failures"] == 1


def test_the_socket_name_reveals_nothing(sim, open_client):
    client = open_client(settings_for(sim))
    name = os.path.basename(client.socket_path)
    assert len(name) == len("0" * 32 + ".sock")
    for secret in (sim.credentials["api_key"], sim.credentials["username"], "127.0.0.1", str(sim.port)):
        assert secret not in name


def test_two_simultaneous_first_runs_start_one_broker(sim, runtime):
    sim.reset_counters()
    outputs = run_clients(sim, runtime, 2)
    assert sorted(o["started"] for o in outputs) == [False, True]
    assert len({o["pid"] for o in outputs}) == 1
    assert logins(sim) == 1
    assert len(broker_pids(runtime)) == 1


def test_ten_parallel_clients_share_one_session(sim, runtime):
    sim.reset_counters()
    sim.set_job_duration(0.3)
    outputs = run_clients(sim, runtime, 10, queries=25, job="done")
    assert all(o["type"] == "BrokerClient" for o in outputs)
    assert len({o["pid"] for o in outputs}) == 1
    assert all(len(o["results"]) == 25 for o in outputs)
    assert all(o["job"] == "done" for o in outputs)
    counters = sim.counters_snapshot()
    assert counters["logins"] == 1
    assert counters["connections"] == 1
    assert counters["calls"]["pool.dataset.query"] == 250


def test_more_calls_than_the_server_allows_in_flight_wait_their_turn(sim, open_client):
    # 30 clients each with a slow call at once: the broker keeps at most 20 in flight, never fails
    import threading

    sim.fault("delay", seconds=0.5, method="pool.query", count=30)
    settings = settings_for(sim)
    clients = [open_client(settings) for _index in range(30)]
    results, errors = [], []

    def one(client):
        try:
            results.append(client.query("pool.query"))
        except TrueNASError as exc:
            errors.append(exc)

    threads = [threading.Thread(target=one, args=(c,)) for c in clients]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert errors == []
    assert len(results) == 30


# ---- lifecycle -------------------------------------------------------------------------------

def test_idle_broker_exits_and_removes_its_socket(sim, open_client):
    client = open_client(settings_for(sim), idle_timeout=1)
    pid, path = client.broker_pid, client.socket_path
    client.query("pool.query")
    assert alive(pid)
    time.sleep(0.5)
    assert alive(pid), "a broker with a connected client must not exit"
    client.close()
    assert wait_gone(pid, 10)
    assert not os.path.exists(path)


def test_maximum_lifetime_hands_over_to_a_new_broker(sim, open_client):
    sim.reset_counters()
    first = open_client(settings_for(sim), lifetime=1)
    first.query("pool.query")
    first.close()
    time.sleep(1.5)
    second = open_client(settings_for(sim), lifetime=1)
    assert second.started_broker is True
    assert second.broker_pid != first.broker_pid
    assert second.query("pool.query")
    assert wait_gone(first.broker_pid, 10)
    assert logins(sim) == 2


def test_a_killed_broker_is_replaced(sim, open_client):
    first = open_client(settings_for(sim))
    first.close()
    os.kill(first.broker_pid, signal.SIGKILL)
    assert wait_gone(first.broker_pid, 10)
    assert os.path.exists(first.socket_path), "the stale socket is left behind by the kill"
    second = open_client(settings_for(sim))
    assert second.started_broker is True
    assert second.broker_pid != first.broker_pid
    assert second.query("pool.query")


def test_a_hung_broker_is_detected_and_replaced(sim, open_client, monkeypatch):
    first = open_client(settings_for(sim))
    first.close()
    os.kill(first.broker_pid, signal.SIGSTOP)
    try:
        monkeypatch.setattr(_broker, "HELLO_TIMEOUT", 1.0)
        second = open_client(settings_for(sim))
        assert second.started_broker is True
        assert second.broker_pid != first.broker_pid
        assert second.query("pool.query")
        assert wait_gone(first.broker_pid, 10)
    finally:
        if alive(first.broker_pid):
            os.kill(first.broker_pid, signal.SIGKILL)


def test_a_broker_that_dies_in_the_middle_of_a_read_is_replaced(sim, open_client):
    sim.fault("delay", seconds=1.0, method="pool.query", count=1)
    client = open_client(settings_for(sim))
    pid = client.broker_pid
    import threading
    killer = threading.Timer(0.3, os.kill, args=(pid, signal.SIGKILL))
    killer.start()
    result = client.query("pool.query")
    killer.join()
    assert result and result[0]["name"] == "tank"
    assert client.broker_pid != pid


def test_a_write_in_progress_when_the_broker_dies_is_reported_not_repeated(sim, open_client):
    sim.fault("delay", seconds=1.0, method="pool.dataset.create", count=1)
    client = open_client(settings_for(sim))
    import threading
    killer = threading.Timer(0.3, os.kill, args=(client.broker_pid, signal.SIGKILL))
    killer.start()
    with pytest.raises(TrueNASError) as info:
        client.call("pool.dataset.create", {"name": "tank/broker-died"})
    killer.join()
    assert type(info.value).__name__ == "TrueNASConnectionError"
    assert info.value.sent is True
    assert "may have run on the server" in info.value.message
    time.sleep(1.2)
    assert len(sim.calls("pool.dataset.create")) == 1


def test_the_websocket_dropped_during_a_job_is_followed_by_id(sim, open_client):
    sim.reset()
    sim.set_job_duration(1.0)
    client = open_client(settings_for(sim))
    sim.fault("drop_during_job_wait")
    progress = []
    result = client.call("test.job", {"result": "finished"}, job=True, progress=lambda p, d: progress.append(p))
    assert result == "finished"
    assert logins(sim) == 2          # the broker logged in again to follow the job
    jobs = sim.run(lambda: [job.method for job in sim.jobs.jobs.values()])
    assert jobs == ["test.job"]                  # followed by id, never started again


def test_a_job_of_several_minutes_through_the_broker(sim, open_client):
    # keepalive pings (every 20 s) keep the shared connection open while the job runs
    sim.set_job_duration(45.0)
    client = open_client(settings_for(sim, timeout=120))
    started = time.monotonic()
    assert client.call("test.job", {"result": "long", "steps": 3}, job=True) == "long"
    assert time.monotonic() - started >= 44


@pytest.fixture
def process_sim(tmp_path):
    started = []

    def start(**options):
        server = harness.Simulator(str(tmp_path / ("sim%d" % len(started))), **options)
        started.append(server)
        return server.start()

    yield start
    for server in started:
        server.stop()


def test_server_restart_logs_in_again(process_sim, open_client, tmp_path):
    server = process_sim(state_file=str(tmp_path / "state.json"))
    settings = settings_for(server)
    client = open_client(settings)
    assert client.query("pool.query")
    client.close()
    server.restart(sig=signal.SIGKILL)
    again = open_client(settings)
    assert again.started_broker is False          # the same broker
    assert again.broker_pid == client.broker_pid
    assert again.query("pool.query")
    assert server.counters()["logins"] == 1        # one new login after the restart


def test_server_idle_drop_is_prevented_by_keepalive(sim_factory, open_client, runtime):
    # the server drops connections quiet for 3 s; the broker pings every second here (20 s by default,
    # against the 60 s of TrueNAS 25.x)
    runtime["NASOPS_TRUENAS_BROKER_KEEPALIVE"] = "1"
    server = sim_factory("25.10", idle_drop=3)
    client = open_client(settings_for(server))
    server.reset_counters()
    time.sleep(7)
    assert client.query("pool.query")
    assert server.counters_snapshot()["logins"] == 0


# ---- security --------------------------------------------------------------------------------

def test_no_secret_on_the_broker_command_line_or_environment(sim, runtime):
    env = dict(runtime, TRUENAS_PASSWORD=sim.credentials["password"], TRUENAS_API_KEY=sim.credentials["api_key"],
               SOME_TOKEN=sim.credentials["password"])
    outputs = run_clients(sim, env, 1, settings=dict(url=sim.url, username=sim.credentials["username"],
                                                     password=sim.credentials["password"], ca_path=sim.ca_file))
    pid = outputs[0]["pid"]
    secrets = [sim.credentials["password"].encode(), sim.credentials["api_key"].encode()]
    with open("/proc/%d/cmdline" % pid, "rb") as handle:
        cmdline = handle.read()
    with open("/proc/%d/environ" % pid, "rb") as handle:
        environ = handle.read()
    ps = subprocess.run(["ps", "-eo", "pid,args"], capture_output=True, check=True).stdout
    for secret in secrets:
        assert secret not in cmdline
        assert secret not in environ
        assert secret not in ps
    assert b"TRUENAS_" not in environ
    title = cmdline.split(b"\0")
    assert b"nasops.truenas session broker: admin at " + sim.url.encode() in title
    with open("/proc/%d/comm" % pid, "rb") as handle:
        assert handle.read().strip() == b"truenas-broker"
    # nothing of the secrets was written below the runtime directory either
    for folder, _dirs, files in os.walk(runtime["XDG_RUNTIME_DIR"]):
        for name in files:
            full = os.path.join(folder, name)
            if stat.S_ISREG(os.lstat(full).st_mode):
                with open(full, "rb") as handle:
                    data = handle.read()
                assert all(secret not in data for secret in secrets)


def test_a_planted_socket_of_another_owner_is_refused(sim, open_client):
    client = open_client(settings_for(sim))
    path = client.socket_path
    client.close()
    os.kill(client.broker_pid, signal.SIGKILL)
    assert wait_gone(client.broker_pid, 10)
    os.unlink(path)
    planted = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    planted.bind(path)
    planted.listen(1)
    try:
        os.chown(path, 65534, 65534)
        fallback = open_client(settings_for(sim))
        assert isinstance(fallback, TrueNASClient)
        assert "refusing the socket" in fallback.broker_fallback
        assert "owned by uid 65534" in fallback.broker_fallback
        assert fallback.query("pool.query")
    finally:
        planted.close()


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root to run a listener as another user")
def test_a_broker_running_as_another_user_is_refused(sim, open_client):
    client = open_client(settings_for(sim))
    path = client.socket_path
    client.close()
    os.kill(client.broker_pid, signal.SIGKILL)
    assert wait_gone(client.broker_pid, 10)
    os.unlink(path)
    # the socket file is ours, but the process listening behind it is uid 65534
    bound = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    bound.bind(path)
    listener = subprocess.Popen(
        ["setpriv", "--reuid", "65534", "--regid", "65534", "--clear-groups", sys.executable, "-c",
         "import socket,time;s=socket.socket(fileno=%d);s.listen(1);print('up',flush=True);time.sleep(60)"
         % bound.fileno()],
        pass_fds=(bound.fileno(),), stdout=subprocess.PIPE)
    try:
        assert listener.stdout.readline().strip() == b"up"
        bound.close()
        fallback = open_client(settings_for(sim))
        assert isinstance(fallback, TrueNASClient)
        assert "runs as uid 65534" in fallback.broker_fallback
    finally:
        listener.kill()
        listener.wait()


def test_a_client_that_cannot_prove_the_credential_is_refused(sim, open_client):
    client = open_client(settings_for(sim))
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.settimeout(5)
    sock.connect(client.socket_path)
    hello = _broker.recv_frame(sock)
    _broker.send_frame(sock, {"proof": _broker.proof(b"wrong key" * 4, bytes.fromhex(hello["hello"]), b"client")})
    assert _broker.recv_frame(sock) == {"refused": "wrong credential proof"}
    with pytest.raises((EOFError, OSError)):
        _broker.recv_frame(sock)
    sock.close()


# ---- fallback --------------------------------------------------------------------------------

def test_a_shared_runtime_directory_means_a_direct_connection(sim, open_client, runtime):
    loose = os.path.join(runtime["XDG_RUNTIME_DIR"], "nasops.truenas")
    os.makedirs(loose, exist_ok=True)
    os.chmod(loose, 0o777)
    client = open_client(settings_for(sim))
    assert isinstance(client, TrueNASClient)
    assert client.broker_fallback.startswith("the directory %s has mode 0777" % loose)
    assert client.query("pool.query")


def test_no_writable_home_means_a_direct_connection(sim, open_client, runtime, tmp_path):
    home = tmp_path / "ro-home"
    home.mkdir()
    os.chmod(str(home), 0o500)
    env = dict(runtime, HOME=str(home))
    env.pop("XDG_RUNTIME_DIR")
    if os.geteuid() == 0:
        # root writes anywhere; a file where the directory should be stands for a read-only home
        (home / ".cache").write_text("not a directory")
    client = open_client(settings_for(sim), environ=env)
    assert isinstance(client, TrueNASClient)
    assert "cannot create" in client.broker_fallback
    assert client.query("pool.query")


def test_broker_turned_off_connects_directly_without_a_note(sim, open_client, runtime):
    client = open_client(settings_for(sim), idle_timeout=0)
    assert isinstance(client, TrueNASClient)
    assert client.broker_fallback is None
    assert broker_pids(runtime) == []


def test_a_module_run_reports_the_fallback(sim, runtime, tmp_path):
    loose = os.path.join(runtime["XDG_RUNTIME_DIR"], "nasops.truenas")
    os.makedirs(loose, exist_ok=True)
    os.chmod(loose, 0o777)
    env = dict(harness.ansible_env(), XDG_RUNTIME_DIR=runtime["XDG_RUNTIME_DIR"])
    args = {"url": sim.url, "username": sim.credentials["username"], "api_key": sim.credentials["api_key"],
            "ca_path": sim.ca_file}
    run = harness.run_module("truenas_pool_info", args, env, str(tmp_path))
    assert run.result.get("failed") is not True, run.result
    assert "has mode 0777" in run.result["broker_fallback"]
    os.chmod(loose, 0o700)
    run = harness.run_module("truenas_pool_info", args, env, str(tmp_path))
    assert "broker_fallback" not in run.result


# ---- errors cross the broker unchanged -------------------------------------------------------

ERROR_CASES = [
    ("validation", lambda c: c.call("pool.dataset.create", {"name": "tank", "type": "FILESYSTEM"})),
    ("not found", lambda c: c.call("pool.dataset.get_instance", "tank/missing")),
    ("no such method", lambda c: c.call("no.such.method")),
    ("call error", lambda c: c.call("pool.dataset.delete", "tank/missing")),
    ("job failed", lambda c: c.call("test.job", {"fail": "CallError", "errno": 16, "message": "busy disk"}, job=True)),
    ("job validation", lambda c: c.call("test.job", {"fail": "ValidationErrors"}, job=True)),
    ("timeout", lambda c: c.call("pool.query", timeout=0.5)),
    ("bad timeout", lambda c: c.call("pool.query", timeout=-1)),
]


def _error_of(client, action):
    with pytest.raises(TrueNASError) as info:
        action(client)
    return info.value


@pytest.mark.parametrize("case", [c[0] for c in ERROR_CASES])
def test_every_error_type_crosses_the_broker_unchanged(sim, open_client, case):
    action = dict(ERROR_CASES)[case]
    direct = TrueNASClient(settings_for(sim))
    if case == "timeout":
        sim.fault("delay", seconds=1.5, method="pool.query", count=2)
    try:
        expected = _error_of(direct, action)
    finally:
        direct.close()
    brokered = open_client(settings_for(sim))
    assert isinstance(brokered, _broker.BrokerClient)
    got = _error_of(brokered, action)
    assert type(got) is type(expected)
    got_text = json.dumps(vars(got), sort_keys=True, default=str)
    expected_text = json.dumps(vars(expected), sort_keys=True, default=str)
    got_args, expected_args = repr(got.args), repr(expected.args)
    if case in ("job failed", "job validation"):
        # job ids differ between the two runs; everything else is the same
        assert got.job_id != expected.job_id
        for name, job_id in (("got", got.job_id), ("expected", expected.job_id)):
            for old, new in (('"job_id": %d' % job_id, '"job_id": N'), ("job %d " % job_id, "job N ")):
                if name == "got":
                    got_text, got_args = got_text.replace(old, new), got_args.replace(old, new)
                else:
                    expected_text, expected_args = expected_text.replace(old, new), expected_args.replace(old, new)
    assert got_text == expected_text
    assert got_args == expected_args


def test_error_round_trip_keeps_class_and_fields():
    from ansible_collections.nasops.truenas.plugins.module_utils import _errors

    samples = [
        _errors.TrueNASValidationError("m: bad", errors=[("a.b", "bad", 22)], method="m", errno=22, code=-32602),
        _errors.TrueNASJobValidationError("m: job 3 failed", job_id=3, state="FAILED", errors=[("x", "y", 22)],
                                          method="m", errno=22, details=[["x", "y", 22]]),
        _errors.TrueNASConnectionError("lost", sent=True, close_code=1001, close_reason="bye", method="m"),
        _errors.TrueNASTimeoutError("slow", job_id=7, method="m"),
        _errors.TrueNASBusyError("busy", retryable=True, code=-32000),
        _errors.TrueNASOptionError("timeout must be ...", option="timeout"),
    ]
    for exc in samples:
        wire = json.loads(json.dumps(_broker.error_to_wire(exc)))
        back = _broker.error_from_wire_dict(wire)
        assert type(back) is type(exc)
        assert vars(back) == vars(exc)
        assert back.args == exc.args


def test_events_through_the_broker_share_one_subscription(sim, open_client):
    first = open_client(settings_for(sim))
    second = open_client(settings_for(sim))
    sim.reset_counters()
    for client in (first, second, first):
        event = client.next_event("reporting.realtime", timeout=15)
        assert event["collection"] == "reporting.realtime"
        assert "cpu" in event["fields"]
    # each wait subscribes and, as the last one out, unsubscribes again (without waiting for the
    # answer): nothing keeps streaming
    deadline = time.monotonic() + 5
    while True:
        calls = sim.counters_snapshot()["calls"]
        if calls.get("core.unsubscribe") == 3 or time.monotonic() > deadline:
            break
        time.sleep(0.05)
    assert calls.get("core.subscribe") == calls.get("core.unsubscribe") == 3
