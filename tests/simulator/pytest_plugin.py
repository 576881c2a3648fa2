"""pytest fixtures that run the TrueNAS simulator (loaded from ``tests/conftest.py``).

Fixtures
--------
``sim``
    A running :class:`~tests.simulator.server.SimServer`, parametrised over the profiles 25.04, 25.10
    and 26 (restrict with ``@pytest.mark.sim_profiles("25.10", "26")``). One in-process server per
    profile and test session (TLS on, test hooks on, rate limit off, jobs 0.05 s, failed OTP/token
    logins answer at once), reset to the seed before every test. Out of band: ``sim.state``,
    ``sim.state_dump()``, ``sim.counters_snapshot()``, ``sim.calls()``, ``sim.fault(...)``,
    ``sim.set_job_duration(...)``, ``sim.job(id)``, ``sim.reset()``; ``sim.url``, ``sim.ca_file``,
    ``sim.credentials`` (``username``, ``password``, ``api_key``).
``sim_factory``
    ``sim_factory(profile="25.10", **options)`` starts a fresh in-process server with other options
    (``tls=False``, ``treat_plain_as_remote=True``, ``test_hooks=False``, ``rate_limit=True``,
    ``idle_drop=1``, ``state_file=...``, ``seed=...``); stopped after the test.
``sim_client``
    ``sim_client(server, login=False, path="/api/current")`` connects a :class:`SimClient`;
    closed after the test.
``sim_process``
    ``sim_process("--profile", "26", "--no-tls", ...)`` starts ``tests/simulator/truenas-sim`` and
    returns a :class:`SimProcess` with the printed ``info``; terminated after the test.
"""
import json
import os
import select
import signal
import ssl
import struct
import subprocess
import time

import pytest
import websocket

from .profiles import ALL_NAMES, NAMES
from .server import SimServer

SIM_SCRIPT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "truenas-sim")
SHARED_OPTIONS = {"tls": True, "test_hooks": True, "rate_limit": False, "job_duration": 0.05,
                  "fail_delay": (0.0, 0.0), "rate_limit_delay": (0.01, 0.02)}


def api_key_login_calls(profile):
    """The calls of one API key login with a username by the collection on ``profile``: asking for
    the mechanisms, then SCRAM (two steps) where offered (26), else ``API_KEY_PLAIN``."""
    if profile.login_v26:
        return ["auth.mechanism_choices", "auth.login_ex", "auth.login_ex_continue"]
    return ["auth.mechanism_choices", "auth.login_ex"]


class ConnectionDropped(Exception):
    """The TCP connection closed without a WebSocket close frame."""


class RemoteClosed(Exception):
    """The server sent a close frame."""

    def __init__(self, code, reason):
        super().__init__("closed %s %s" % (code, reason))
        self.code = code
        self.reason = reason


class SimCallError(Exception):
    """A JSON-RPC error reply; ``error`` is the error object."""

    def __init__(self, error):
        super().__init__("%s %s" % (error.get("code"), error.get("message")))
        self.error = error


class SimClient:
    """A small synchronous JSON-RPC client for tests (websocket-client)."""

    def __init__(self, url, ca_file=None, timeout=10):
        self.url = url
        self.ca_file = ca_file
        self.timeout = timeout
        self.events = []
        self.replies = {}
        self.next_id = 0
        sslopt = {"ca_certs": ca_file} if url.startswith("wss:") else None
        self.ws = websocket.create_connection(url, timeout=timeout, sslopt=sslopt)

    def close(self):
        try:
            self.ws.close()
        except (OSError, websocket.WebSocketException):
            pass

    def send(self, message):
        """Send a dict (as JSON), a str as a text frame, or bytes as a binary frame."""
        if isinstance(message, bytes):
            self.ws.send_binary(message)
        elif isinstance(message, str):
            self.ws.send(message)
        else:
            self.ws.send(json.dumps(message))

    def ping_frame(self):
        """Send a WebSocket ping frame (the server answers with a pong)."""
        self.ws.ping()

    def recv(self, timeout=None):
        """The next message (parsed). RemoteClosed / ConnectionDropped when the connection ends."""
        self.ws.settimeout(self.timeout if timeout is None else timeout)
        while True:
            opcode, frame = self._frame()
            if opcode not in (websocket.ABNF.OPCODE_PING, websocket.ABNF.OPCODE_PONG):
                break
        if opcode == websocket.ABNF.OPCODE_CLOSE:
            data = frame.data or b""
            code = struct.unpack("!H", data[:2])[0] if len(data) >= 2 else None
            raise RemoteClosed(code, data[2:].decode("utf-8", "replace"))
        if opcode == websocket.ABNF.OPCODE_TEXT:
            return json.loads(frame.data.decode("utf-8"))
        raise AssertionError("unexpected frame opcode %s" % opcode)

    def _frame(self):
        try:
            return self.ws.recv_data_frame(True)
        except websocket.WebSocketTimeoutException:
            raise TimeoutError("no message within %s s" % self.ws.gettimeout()) from None
        except websocket.WebSocketConnectionClosedException:
            raise ConnectionDropped() from None
        except (ConnectionResetError, BrokenPipeError, ssl.SSLError):
            raise ConnectionDropped() from None

    def pump(self, timeout=None):
        """Read one message and file it under replies (by id) or events."""
        msg = self.recv(timeout)
        if "id" in msg and ("result" in msg or "error" in msg):
            self.replies[json.dumps(msg["id"])] = msg
        else:
            self.events.append(msg)
        return msg

    def reply(self, msg_id, timeout=None):
        """Wait for the reply with this id."""
        key = json.dumps(msg_id)
        deadline = time.monotonic() + (self.timeout if timeout is None else timeout)
        while key not in self.replies:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError("no reply to id %r" % (msg_id,))
            self.pump(remaining)
        return self.replies.pop(key)

    def start(self, method, *params, msg_id=None):
        """Send a call without waiting; its id."""
        if msg_id is None:
            self.next_id += 1
            msg_id = self.next_id
        self.send({"jsonrpc": "2.0", "id": msg_id, "method": method, "params": list(params)})
        return msg_id

    def call(self, method, *params, msg_id=None, timeout=None):
        """The full reply message of a call."""
        return self.reply(self.start(method, *params, msg_id=msg_id), timeout)

    def request(self, method, *params, timeout=None):
        """The result of a call; SimCallError for an error reply."""
        msg = self.call(method, *params, timeout=timeout)
        if "error" in msg:
            raise SimCallError(msg["error"])
        return msg["result"]

    def login(self, username, password):
        result = self.request("auth.login_ex", {"mechanism": "PASSWORD_PLAIN", "username": username,
                                                "password": password, "login_options": {"user_info": False}})
        assert result["response_type"] == "SUCCESS", result
        return result

    def wait_event(self, predicate, timeout=None):
        """The first event (already received or coming) for which ``predicate(event)`` is true."""
        deadline = time.monotonic() + (self.timeout if timeout is None else timeout)
        index = 0
        while True:
            while index < len(self.events):
                event = self.events[index]
                index += 1
                if predicate(event):
                    return event
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError("no matching event")
            self.pump(remaining)

    def wait_closed(self, timeout=None):
        """``(code, reason)`` of a close frame, or None when the TCP connection just dropped."""
        deadline = time.monotonic() + (self.timeout if timeout is None else timeout)
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError("the connection is still open")
            try:
                self.pump(remaining)
            except RemoteClosed as exc:
                return exc.code, exc.reason
            except ConnectionDropped:
                return None


class SimProcess:
    """A simulator started with the CLI; ``info`` is the JSON line it printed."""

    def __init__(self, args, timeout=30, env=None):
        self.args = list(args)
        self.proc = subprocess.Popen([SIM_SCRIPT] + self.args, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                     env=env, text=True)
        self.info = self._read_info(timeout)

    def _read_info(self, timeout):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            ready = select.select([self.proc.stdout], [], [], 0.1)[0]
            if ready:
                line = self.proc.stdout.readline()
                if line:
                    return json.loads(line)
            if self.proc.poll() is not None:
                break
        self.stop()
        raise RuntimeError("truenas-sim did not start: %s" % (self.proc.stderr.read() or "no output"))

    def stop(self, sig=signal.SIGTERM, timeout=10):
        """Send ``sig`` and wait; the exit code."""
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout)
        for stream in (self.proc.stdout, self.proc.stderr):
            if stream and not stream.closed:
                stream.close()
        return self.proc.returncode


def pytest_configure(config):
    config.addinivalue_line("markers", "sim_profiles(*names): run a `sim` test only on these simulator profiles")


def pytest_generate_tests(metafunc):
    if "sim" not in metafunc.fixturenames:
        return
    for marker in metafunc.definition.iter_markers("parametrize"):
        names = marker.args[0]
        if "sim" in ([n.strip() for n in names.split(",")] if isinstance(names, str) else names):
            return  # the test chooses its profiles itself
    marker = metafunc.definition.get_closest_marker("sim_profiles")
    names = tuple(marker.args) if marker else NAMES
    unknown = [n for n in names if n not in ALL_NAMES]
    if unknown:
        raise ValueError("sim_profiles: unknown profiles %s" % ", ".join(unknown))
    metafunc.parametrize("sim", names, indirect=True, ids=["sim%s" % n for n in names])


@pytest.fixture(scope="session")
def _sim_shared():
    servers = {}
    yield servers
    for server in servers.values():
        server.stop_background()


@pytest.fixture
def sim(request, _sim_shared):
    name = request.param
    server = _sim_shared.get(name)
    if server is None:
        server = SimServer(name, **SHARED_OPTIONS).start_background()
        _sim_shared[name] = server
    else:
        server.reset()
    return server


@pytest.fixture
def sim_factory():
    started = []

    def factory(profile="25.10", **options):
        opts = dict(SHARED_OPTIONS)
        opts.update(options)
        server = SimServer(profile, **opts).start_background()
        started.append(server)
        return server

    yield factory
    for server in started:
        server.stop_background()


@pytest.fixture
def sim_client():
    clients = []

    def factory(server, login=False, path="/api/current", timeout=10):
        client = SimClient(server.url_for(path), server.ca_file, timeout)
        clients.append(client)
        if login:
            client.login(server.credentials["username"], server.credentials["password"])
        return client

    yield factory
    for client in clients:
        client.close()


@pytest.fixture
def sim_process():
    procs = []

    def factory(*args, timeout=30, env=None):
        proc = SimProcess(args, timeout, env)
        procs.append(proc)
        return proc

    yield factory
    for proc in procs:
        proc.stop()
