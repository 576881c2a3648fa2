"""The TrueNAS simulator server: HTTP + WebSocket JSON-RPC 2.0 on 127.0.0.1.

``SimServer(profile="25.10", tls=True, ...)`` serves ``GET /api/versions``, ``GET /api/boot_id``
(25.10+) and the JSON-RPC endpoints ``/api/current`` and ``/api/vX.Y.Z``. It can run in the current
event loop (``await server.start()``) or on a background thread (``server.start_background()``),
which is what the pytest fixtures and the CLI use.

A call goes: frame checks (text only, size limits) -> JSON/ejson decode -> request checks (-32700,
-32600, in the TrueNAS order) -> method lookup (-32601) -> in-flight limit (-32000) -> its own task:
authentication and rate limit -> faults -> params (signature, schema) -> handler or job -> reply.
"""
import asyncio
import concurrent.futures
import datetime
import errno
import ipaddress
import json
import logging
import os
import random
import re
import shutil
import ssl
import tempfile
import threading
import time
import traceback
import uuid

import websockets
from websockets.asyncio.server import ServerConnection, serve
from websockets.datastructures import Headers
from websockets.http11 import Response

from . import profiles as _profiles
from . import query as _query
from . import registry, schema
from .errors import ENOMETHOD, ENOTAUTHENTICATED, CallError, MatchNotFound, ValidationErrors, errname
from .faults import Faults, InjectedError
from .jobs import JobManager, mask_params
from .state import DEFAULT_SEED, State, date_value, load_seed_file

log = logging.getLogger("tests.simulator")

MAX_IN_FLIGHT = 20
MAX_RUNNING = 10
ANON_MESSAGE_LIMIT = 8192
AUTH_MESSAGE_LIMIT = 65536
FRAME_LIMIT = 4 * 1024 * 1024
RATE_LIMIT_CALLS = 20
RATE_LIMIT_WINDOW = 60.0
RATE_LIMIT_CACHE_CLEAR = 600.0
RATE_LIMIT_CACHE_MAX = 100
CALL_LOG_MAX = 10000

JSONRPC_PARSE_ERROR = -32700
JSONRPC_INVALID_REQUEST = -32600
JSONRPC_METHOD_NOT_FOUND = -32601
JSONRPC_INVALID_PARAMS = -32602
JSONRPC_INTERNAL_ERROR = -32603
JSONRPC_TOO_MANY_CONCURRENT_CALLS = -32000
JSONRPC_CALL_ERROR = -32001

CORE_READ_METHODS = frozenset({
    "core.ping", "core.get_jobs", "core.subscribe", "core.unsubscribe", "core.set_options", "core.get_methods",
    "core.job_wait",
})


# --- ejson -------------------------------------------------------------------------------------
def ejson_default(value):
    """JSON form of the extended types (``$date``, ``$set``, ``$time``, ``$type: date``, interfaces)."""
    if isinstance(value, datetime.datetime):
        return date_value(value)
    if isinstance(value, datetime.date):
        return {"$type": "date", "$value": value.isoformat()}
    if isinstance(value, datetime.time):
        return {"$time": value.strftime("%H:%M:%S")}
    if isinstance(value, (set, frozenset)):
        return {"$set": list(value)}
    if isinstance(value, ipaddress.IPv4Interface):
        return {"$ipv4_interface": str(value)}
    if isinstance(value, ipaddress.IPv6Interface):
        return {"$ipv6_interface": str(value)}
    raise TypeError("Object of type %s is not JSON serializable" % type(value).__name__)


def ejson_hook(obj):
    """Decode the extended types of incoming messages."""
    if len(obj) == 1:
        if "$date" in obj and isinstance(obj["$date"], (int, float)) and not isinstance(obj["$date"], bool):
            return datetime.datetime.fromtimestamp(obj["$date"] // 1000, tz=datetime.timezone.utc)
        if "$set" in obj and isinstance(obj["$set"], list):
            try:
                return set(obj["$set"])
            except TypeError:
                return obj
        if "$time" in obj and isinstance(obj["$time"], str):
            try:
                return datetime.time.fromisoformat(obj["$time"])
            except ValueError:
                return obj
        for key in ("$ipv4_interface", "$ipv6_interface"):
            if key in obj and isinstance(obj[key], str):
                try:
                    return ipaddress.ip_interface(obj[key])
                except ValueError:
                    return obj
    elif len(obj) == 2 and obj.get("$type") == "date" and isinstance(obj.get("$value"), str):
        try:
            return datetime.date.fromisoformat(obj["$value"])
        except ValueError:
            return obj
    return obj


def ejson_dumps(obj):
    return json.dumps(obj, default=ejson_default, separators=(",", ":"))


def ejson_loads(text):
    return json.loads(text, object_hook=ejson_hook)


# --- TLS ---------------------------------------------------------------------------------------
def make_certificates(directory):
    """A self-signed CA and a server certificate for 127.0.0.1/::1/localhost, as PEM files.

    Returns ``(ca_file, cert_file, key_file)``.
    """
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    now = datetime.datetime.now(datetime.timezone.utc)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "TrueNAS simulator test CA")])
    ca_cert = (
        x509.CertificateBuilder()
        .subject_name(ca_name).issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=30))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(x509.KeyUsage(
            digital_signature=True, content_commitment=False, key_encipherment=False, data_encipherment=False,
            key_agreement=False, key_cert_sign=True, crl_sign=True, encipher_only=False, decipher_only=False),
            critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")]))
        .issuer_name(ca_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=30))
        .add_extension(x509.SubjectAlternativeName([
            x509.DNSName("localhost"),
            x509.IPAddress(ipaddress.ip_address("127.0.0.1")),
            x509.IPAddress(ipaddress.ip_address("::1")),
        ]), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    os.makedirs(directory, exist_ok=True)
    ca_file = os.path.join(directory, "ca.pem")
    cert_file = os.path.join(directory, "server.pem")
    key_file = os.path.join(directory, "server.key")
    with open(ca_file, "wb") as f:
        f.write(ca_cert.public_bytes(serialization.Encoding.PEM))
    with open(cert_file, "wb") as f:
        f.write(cert.public_bytes(serialization.Encoding.PEM))
    fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                  serialization.NoEncryption()))
    return ca_file, cert_file, key_file


# --- sessions and counters -----------------------------------------------------------------------
# Methods a 25.04 API version cannot reach on a 25.10+ server: their models are not in the v25.04
# packages that 25.10 ships (methods.md 0.3), so the call fails with ENOMETHOD. vm.* and vm.device.*
# exist in v25.04.2 only.
OLD_ENDPOINT_MISSING = ("pool.dataset.create", "pool.dataset.update", "pool.dataset.delete", "sharing.smb.create",
                        "sharing.smb.update", "sharing.smb.delete")
OLD_ENDPOINT_MISSING_PREFIXES = ("pool.snapshot.",)


def not_in_version(profile, api_path, name):
    """True when ``name`` exists on this server but not in the older API version of ``api_path``."""
    if not api_path.startswith("/api/v25.04") or not profile.at_least("25.10"):
        return False
    if name in OLD_ENDPOINT_MISSING or name.startswith(OLD_ENDPOINT_MISSING_PREFIXES):
        return True
    return name.startswith("vm.") and api_path != "/api/v25.04.2"


def is_read_method(name):
    """Methods a READONLY_ADMIN may call."""
    if name in CORE_READ_METHODS or name.startswith("auth."):
        return True
    last = name.rsplit(".", 1)[-1]
    if name.startswith("system.") and last not in ("reboot", "shutdown"):
        return True
    return (last in ("query", "get_instance", "config") or last.endswith("_choices") or last.startswith("get_")
            or last in ("status", "flags", "stat"))


class Session:
    """An authenticated connection's credentials."""

    def __init__(self, user, cred_type, api_key=None, token=None):
        self.user = user
        self.username = user["username"]
        self.cred_type = cred_type
        self.api_key = api_key
        self.token = token
        self.login_at = date_value()
        self.login_id = str(uuid.uuid4())
        self.validator = None

    @property
    def roles(self):
        return self.user.get("roles") or []

    @property
    def full_admin(self):
        return "FULL_ADMIN" in self.roles

    def may_call(self, name):
        if self.full_admin:
            return True
        if "READONLY_ADMIN" in self.roles:
            return is_read_method(name)
        return name.startswith("auth.") or name in ("core.ping", "core.set_options", "system.version",
                                                    "system.version_short", "core.get_jobs")

    def alive(self):
        return self.validator is None or self.validator()

    def credentials(self):
        data = {"username": self.username, "login_id": self.login_id, "login_at": self.login_at}
        if self.api_key is not None:
            data["api_key"] = {"id": self.api_key["id"], "name": self.api_key.get("name")}
        return {"type": self.cred_type, "data": data}


class Counters:
    """Calls per method, connections, logins and API keys presented on the wire."""

    def __init__(self):
        self.reset()

    def reset(self):
        self.calls = {}
        self.connections = 0
        self.logins = 0
        self.login_failures = 0
        self.api_keys_presented = {}

    def call(self, name):
        self.calls[name] = self.calls.get(name, 0) + 1

    def api_key_presented(self, key_id, tls):
        entry = self.api_keys_presented.setdefault(str(key_id), {"count": 0, "tls": 0, "plain": 0})
        entry["count"] += 1
        entry["tls" if tls else "plain"] += 1

    def snapshot(self):
        return {
            "calls": dict(sorted(self.calls.items())),
            "connections": self.connections,
            "logins": self.logins,
            "login_failures": self.login_failures,
            "api_keys_presented": {k: dict(v) for k, v in sorted(self.api_keys_presented.items())},
        }


class RateLimiter:
    """Unauthenticated calls: the 21st call per (method, IP) in a fixed 60 s window gets EBUSY."""

    def __init__(self, delay=(1.0, 10.0)):
        self.delay = delay
        self.cache = {}
        self.cleared = time.monotonic()

    def clear(self):
        self.cache.clear()
        self.cleared = time.monotonic()

    def allow(self, method, ip):
        now = time.monotonic()
        if now - self.cleared >= RATE_LIMIT_CACHE_CLEAR:
            self.clear()
        if len(self.cache) == RATE_LIMIT_CACHE_MAX:
            return False
        key = "%s_##_%s" % (method, ip)
        entry = self.cache.get(key)
        if entry is None or now - entry[0] >= RATE_LIMIT_WINDOW:
            self.cache[key] = [now, 1]
            return True
        if entry[1] >= RATE_LIMIT_CALLS:
            return False
        entry[1] += 1
        return True

    async def reject(self):
        low, high = self.delay
        await asyncio.sleep(random.uniform(low, high) if high > low else low)
        raise CallError("Rate Limit Exceeded", errno.EBUSY)


# --- connections ---------------------------------------------------------------------------------
class _TransportTap:
    """The connection's transport, noting the time of every write (server->client traffic)."""

    def __init__(self, transport, on_write):
        self._transport = transport
        self._on_write = on_write

    def write(self, data):
        self._on_write()
        self._transport.write(data)

    def writelines(self, chunks):
        self._on_write()
        self._transport.writelines(chunks)

    def __getattr__(self, name):
        return getattr(self._transport, name)


class _SimServerConnection(ServerConnection):
    last_write = 0.0

    def _touch(self):
        self.last_write = time.monotonic()

    def connection_made(self, transport):
        self._touch()
        super().connection_made(_TransportTap(transport, self._touch))


class Connection:
    """One client connection and its JSON-RPC state."""

    def __init__(self, server, ws, conn_id):
        self.server = server
        self.ws = ws
        self.id = conn_id
        remote = ws.remote_address or ("127.0.0.1", 0)
        self.remote_ip = remote[0]
        self.remote_port = remote[1]
        self.tls = server.tls
        self.session = None
        self.otp = None
        request = getattr(ws, "request", None)
        # The endpoint: "/api/current" or "/api/vX.Y.Z".
        self.api_path = (getattr(request, "path", None) or "/api/current").split("?", 1)[0]
        # A SCRAM exchange between its first and final message (26).
        self.scram = None
        self.legacy_jobs = True
        self.py_exceptions = False
        self.private_methods = False
        self.subscriptions = {}
        self.in_flight = 0
        self.semaphore = asyncio.Semaphore(MAX_RUNNING)
        self.tasks = set()
        self.queue = asyncio.Queue()
        self.closed = False
        self.messages = 0
        self.drop_after = None
        self.drop_after_reply = set()

    @property
    def loopback(self):
        try:
            return ipaddress.ip_address(self.remote_ip).is_loopback
        except ValueError:
            return False

    @property
    def secure_transport(self):
        """TLS, or a loopback peer (unless the server treats plain connections as remote)."""
        if self.tls:
            return True
        return self.loopback and not self.server.treat_plain_as_remote

    @property
    def origin(self):
        return "%s:%s" % (self.remote_ip, self.remote_port)

    def send(self, text, after=None):
        if not self.closed:
            self.queue.put_nowait((text, after))

    def subscribed(self, collection):
        for name in self.subscriptions.values():
            if name == collection or name == "*":
                return True
        return False

    def can_see_job(self, job):
        session = self.session
        if session is None:
            return False
        return session.full_admin or job.owner == session.username

    def abort(self):
        """Drop the TCP connection without a close frame."""
        self.closed = True
        transport = self.ws.transport
        if transport is not None:
            transport.abort()

    async def writer(self):
        while True:
            text, after = await self.queue.get()
            try:
                await self.ws.send(text)
            except websockets.ConnectionClosed:
                return
            if after is not None:
                after()

    async def idle_watch(self):
        while not self.closed:
            idle = self.server.idle_drop
            if not idle:
                await asyncio.sleep(0.25)
                continue
            elapsed = time.monotonic() - self.ws.last_write
            if elapsed >= idle:
                log.info("connection %s: no server traffic for %.1f s, dropping", self.id, elapsed)
                self.abort()
                return
            await asyncio.sleep(min(idle - elapsed, 0.25))


class CallContext:
    """What a handler receives as ``ctx``."""

    __slots__ = ("server", "connection", "method", "message_id", "job")

    def __init__(self, server, connection, method=None, message_id=None):
        self.server = server
        self.connection = connection
        self.method = method
        self.message_id = message_id
        self.job = None

    @property
    def state(self):
        return self.server.state

    @property
    def profile(self):
        return self.server.profile

    @property
    def session(self):
        return self.connection.session if self.connection is not None else None

    @property
    def counters(self):
        return self.server.counters

    @property
    def jobs(self):
        return self.server.jobs

    def emit(self, collection, msg, id=None, fields=None):
        """Send a ``collection_update`` event to every connection subscribed to ``collection``."""
        self.server.emit(collection, msg, id=id, fields=fields)

    def query(self, items, filters=None, options=None, index=None, key="id"):
        """``filter_list`` for this call's profile."""
        return _query.filter_list(items, filters, options, profile=self.server.profile, index=index, key=key)

    def _internal(self, name):
        m = registry.lookup(name, self.server.profile.name, test_hooks=True)
        if m is None:
            raise CallError("Method %r not found" % name, errno.ENOENT)
        return m

    def call(self, name, *params):
        """Call a plain (synchronous, non-job) method internally: no auth, no schema."""
        m = self._internal(name)
        if m.job or m.is_async:
            raise RuntimeError("%s is a job or a coroutine; use `await ctx.call_async(...)`" % name)
        return m.handler(CallContext(self.server, self.connection, m, None), *params)

    async def call_async(self, name, *params):
        """Call any method internally; a job method runs as a job (credentials null) and is waited for."""
        m = self._internal(name)
        ctx = CallContext(self.server, self.connection, m, None)
        if m.job:
            job = self.server.jobs.create(m.name, mask_params(m.name, params), abortable=m.abortable)

            async def runner(j):
                ctx.job = j
                return await m.handler(ctx, j, *params)

            self.server.jobs.start(job, runner)
            await job.wait()
            if job.raised is not None:
                raise job.raised
            return job.result
        result = m.handler(ctx, *params)
        if asyncio.iscoroutine(result):
            result = await result
        return result


# --- the server ----------------------------------------------------------------------------------
class SimServer:
    """A simulated TrueNAS; see the module docstring for the options."""

    def __init__(self, profile="25.10", *, tls=True, port=0, host="127.0.0.1", seed=None, state_file=None,
                 workdir=None, treat_plain_as_remote=False, test_hooks=False, job_duration=0.2, idle_drop=None,
                 rate_limit=True, rate_limit_delay=(1.0, 10.0), fail_delay=(1.0, 2.0)):
        from . import services

        services.load_all()
        self.profile = profile if isinstance(profile, _profiles.Profile) else _profiles.get(profile)
        self.tls = bool(tls)
        self.host = host
        self.requested_port = int(port)
        self.port = None
        self.treat_plain_as_remote = bool(treat_plain_as_remote)
        self.test_hooks = bool(test_hooks)
        self.idle_drop = self.profile.idle_timeout if idle_drop is None else float(idle_drop)
        self.initial_idle_drop = self.idle_drop
        self.rate_limit = bool(rate_limit)
        self.fail_delay = tuple(fail_delay)
        self.limiter = RateLimiter(tuple(rate_limit_delay))
        if seed is None:
            seed = DEFAULT_SEED
        self.seed = load_seed_file(seed) if isinstance(seed, (str, os.PathLike)) else seed
        self.state = State(state_file)
        self.initial_job_duration = float(job_duration)
        self.jobs = JobManager(self.profile, self.initial_job_duration, self._job_event)
        self.counters = Counters()
        self.faults = Faults()
        self.call_log = []
        self.call_seq = 0
        self.connections = set()
        self.conn_seq = 0
        self.boot_id = str(uuid.uuid4())
        self.started_at = time.time()
        self.tokens = {}
        self._own_workdir = workdir is None
        self.workdir = workdir or tempfile.mkdtemp(prefix="truenas-sim-")
        self.ca_file = None
        self._ssl = None
        self._server = None
        self.loop = None
        self._thread = None
        self._stopped = None
        self.credentials = self._seed_credentials()
        self.ws_paths = frozenset(["/api/current"] + ["/api/" + v for v in self.profile.api_versions + ("v24.10",)])

    def _seed_credentials(self):
        users = self.seed.get("users") or []
        admin = next((u for u in users if "FULL_ADMIN" in (u.get("roles") or ["FULL_ADMIN"])), users[0] if users else {})
        keys = admin.get("api_keys") or []
        api_key = "%s-%s" % (keys[0]["id"], keys[0]["key"]) if keys else None
        return {"username": admin.get("username"), "password": admin.get("password"), "api_key": api_key}

    # --- lifecycle ---------------------------------------------------------------------------
    @property
    def scheme(self):
        return "wss" if self.tls else "ws"

    @property
    def url(self):
        return "%s://%s:%s/api/current" % (self.scheme, self.host, self.port)

    def url_for(self, path="/api/current"):
        return "%s://%s:%s%s" % (self.scheme, self.host, self.port, path)

    @property
    def http_url(self):
        return "%s://%s:%s" % ("https" if self.tls else "http", self.host, self.port)

    def info(self):
        """What the CLI prints: url, ca_file, username, password, api_key, profile."""
        return {
            "url": self.url,
            "ca_file": self.ca_file,
            "username": self.credentials["username"],
            "password": self.credentials["password"],
            "api_key": self.credentials["api_key"],
            "profile": self.profile.name,
        }

    def load_state(self):
        if not self.state.restore():
            self.state.load_seed(self.seed)
            self.state.save(force=True)

    def reset_state(self):
        """Back to the seed: state, jobs, tokens, counters, faults, call log, rate limit."""
        self.state.load_seed(self.seed)
        self.state.save(force=True)
        self.jobs.cancel_all()
        self.jobs.jobs.clear()
        self.jobs.last_id = 0
        self.jobs.set_duration(self.initial_job_duration)
        self.tokens.clear()
        self.counters.reset()
        self.faults.clear()
        self.idle_drop = self.initial_idle_drop
        self.call_log.clear()
        self.limiter.clear()

    async def start(self):
        self.loop = asyncio.get_running_loop()
        self.load_state()
        if self.tls:
            self.ca_file, cert_file, key_file = make_certificates(self.workdir)
            self._ssl = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            self._ssl.load_cert_chain(cert_file, key_file)
        self._server = await serve(
            self._handle, self.host, self.requested_port, ssl=self._ssl,
            process_request=self._process_request, create_connection=_SimServerConnection,
            ping_interval=None, max_size=FRAME_LIMIT, max_queue=64, server_header="nginx",
            logger=logging.getLogger("tests.simulator.websockets"),
        )
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def stop(self):
        if self._server is None:
            return
        self.jobs.cancel_all()
        for conn in list(self.connections):
            conn.closed = True
            for task in conn.tasks:
                task.cancel()
        self._server.close(close_connections=True)
        try:
            await asyncio.wait_for(self._server.wait_closed(), 5)
        except asyncio.TimeoutError:
            for conn in list(self.connections):
                conn.abort()
        self._server = None
        self.state.save()
        if self._own_workdir:
            shutil.rmtree(self.workdir, ignore_errors=True)

    def start_background(self, timeout=15):
        """Run the server on its own thread and event loop; returns once it is listening."""
        started = concurrent.futures.Future()

        def main():
            loop = asyncio.new_event_loop()
            self._stopped = asyncio.Event()

            async def runner():
                try:
                    await self.start()
                except BaseException as exc:
                    started.set_exception(exc)
                    return
                started.set_result(True)
                await self._stopped.wait()
                await self.stop()

            try:
                loop.run_until_complete(runner())
            finally:
                loop.run_until_complete(loop.shutdown_asyncgens())
                loop.close()

        self._thread = threading.Thread(target=main, name="truenas-sim-%s" % self.profile.name, daemon=True)
        self._thread.start()
        started.result(timeout)
        return self

    def stop_background(self, timeout=15):
        if self._thread is None:
            return
        if self.loop is not None and not self.loop.is_closed():
            self.loop.call_soon_threadsafe(self._stopped.set)
        self._thread.join(timeout)
        self._thread = None

    def run(self, fn, *args, timeout=10):
        """Run ``fn(*args)`` on the server's loop (thread-safe out-of-band access); its result."""
        if self._thread is None or threading.current_thread() is self._thread:
            return fn(*args)

        async def call():
            result = fn(*args)
            if asyncio.iscoroutine(result):
                result = await result
            return result

        return asyncio.run_coroutine_threadsafe(call(), self.loop).result(timeout)

    # --- out-of-band access (thread-safe; the same data as the test.* methods) -------------------
    def reset(self):
        """Back to the seed (state, jobs, tokens, counters, faults, call log, rate limit)."""
        self.run(self.reset_state)

    def counters_snapshot(self):
        return self.run(self.counters.snapshot)

    def reset_counters(self):
        def reset():
            self.counters.reset()
            self.call_log.clear()
        self.run(reset)

    def calls(self, method=None):
        """The call log (secrets masked), optionally only the calls of ``method``."""
        return self.run(lambda: [dict(e) for e in self.call_log if method is None or e["method"] == method])

    def state_dump(self, kind=None):
        def dump():
            data = self.state.dump()
            return data if kind is None else data.get(kind, {})
        return self.run(dump)

    def fault(self, kind, **options):
        """Arm a fault (see ``faults.py``) for connections opened afterwards."""
        from .faults import arm

        return self.run(arm, self, kind, options)

    def set_job_duration(self, seconds, method=None):
        self.run(self.jobs.set_duration, float(seconds), method)

    def job(self, job_id):
        """The job object of ``job_id`` (or None)."""
        def get():
            job = self.jobs.get(job_id)
            return job.to_dict() if job is not None else None
        return self.run(get)

    # --- HTTP ---------------------------------------------------------------------------------
    def _json_response(self, status, reason, value):
        body = json.dumps(value).encode()
        headers = Headers([("Content-Type", "application/json"), ("Content-Length", str(len(body)))])
        return Response(status, reason, headers, body)

    def _process_request(self, connection, request):
        path = request.path.split("?", 1)[0]
        if path == "/api/versions":
            return self._json_response(200, "OK", list(self.profile.api_versions))
        if path == "/api/boot_id" and self.profile.at_least("25.10"):
            return self._json_response(200, "OK", self.boot_id)
        if path in self.ws_paths:
            return None
        return connection.respond(404, "404: Not Found\n")

    # --- WebSocket ----------------------------------------------------------------------------
    async def _handle(self, ws):
        self.conn_seq += 1
        conn = Connection(self, ws, self.conn_seq)
        self.connections.add(conn)
        self.counters.connections += 1
        self.faults.on_connect(conn)
        writer = asyncio.ensure_future(conn.writer())
        watcher = asyncio.ensure_future(conn.idle_watch())
        try:
            while not conn.closed:
                try:
                    message = await ws.recv()
                except websockets.ConnectionClosed:
                    break
                conn.messages += 1
                if conn.drop_after is not None and conn.messages >= conn.drop_after:
                    conn.abort()
                    break
                if not isinstance(message, str):
                    conn.closed = True
                    await ws.close(1003, "Invalid websocket message type: <WSMsgType.BINARY: 2>")
                    break
                if conn.session is not None and not conn.session.alive():
                    conn.session = None
                if conn.session is None:
                    if len(message) > ANON_MESSAGE_LIMIT:
                        conn.closed = True
                        await ws.close(1007, "Anonymous connection max message length is 8 kB")
                        break
                elif len(message) > AUTH_MESSAGE_LIMIT:
                    conn.closed = True
                    await ws.close(1009, "Max message length is 64 kB")
                    break
                self._on_message(conn, message)
        finally:
            conn.closed = True
            self.connections.discard(conn)
            watcher.cancel()
            if self.profile.cancel_calls_on_disconnect:
                for task in list(conn.tasks):
                    task.cancel()
            try:
                await asyncio.wait_for(self._drain(conn), 1)
            except asyncio.TimeoutError:
                pass
            writer.cancel()

    async def _drain(self, conn):
        while not conn.queue.empty() and conn.ws.state is websockets.State.OPEN:
            await asyncio.sleep(0.01)

    def _reply_error(self, conn, msg_id, code, message, data=None):
        error = {"code": code, "message": message}
        if data is not None:
            error["data"] = data
        conn.send(ejson_dumps({"jsonrpc": "2.0", "error": error, "id": msg_id}))

    def _on_message(self, conn, text):
        try:
            msg = ejson_loads(text)
        except ValueError as exc:
            self._reply_error(conn, None, JSONRPC_PARSE_ERROR, str(exc))
            return
        if isinstance(msg, list):
            self._reply_error(conn, None, JSONRPC_PARSE_ERROR, "Batch messages are not supported at this time")
            return
        if not isinstance(msg, dict):
            self._reply_error(conn, None, JSONRPC_PARSE_ERROR, "Invalid Message Format")
            return
        has_id = "id" in msg
        msg_id = msg.get("id")
        problem = None
        if "jsonrpc" not in msg:
            problem = "Missing 'jsonrpc' member"
        elif msg["jsonrpc"] != "2.0" or not isinstance(msg["jsonrpc"], str):
            problem = "'jsonrpc' member must be of type string and must be exactly '2.0'"
        elif not (msg_id is None or isinstance(msg_id, (str, int))):
            problem = "'id' member must be of type null, string or number"
        elif "method" not in msg:
            problem = "Missing 'method' member"
        elif not isinstance(msg["method"], str) or not msg["method"]:
            problem = "'method' member must be of type string"
        elif "params" in msg and not isinstance(msg["params"], list):
            problem = "'params' member must be of type array"
        if problem is not None:
            if has_id:
                self._reply_error(conn, msg_id, JSONRPC_INVALID_REQUEST, problem)
            return
        name = msg["method"]
        m = registry.lookup(name, self.profile.name, self.test_hooks)
        if m is None:
            if isinstance(name, str) and not name.startswith("test."):
                # Logged too (params left out), so tests can prove a client never calls what a release lacks.
                self._log_unknown(conn, name, msg_id)
            if has_id:
                self._reply_error(conn, msg_id, JSONRPC_METHOD_NOT_FOUND, "Method does not exist")
            return
        if conn.in_flight >= MAX_IN_FLIGHT:
            if has_id:
                self._reply_error(conn, msg_id, JSONRPC_TOO_MANY_CONCURRENT_CALLS,
                                  "Maximum number of concurrent calls (%d) has exceeded" % MAX_IN_FLIGHT)
            return
        conn.in_flight += 1
        task = self.loop.create_task(self._run_call(conn, m, msg.get("params", []), msg_id, has_id))
        conn.tasks.add(task)
        task.add_done_callback(conn.tasks.discard)

    def _log_unknown(self, conn, name, msg_id):
        self.call_seq += 1
        self.call_log.append({
            "seq": self.call_seq, "connection": conn.id, "method": name, "id": msg_id, "params": None,
            "authenticated": conn.session is not None,
            "username": conn.session.username if conn.session is not None else None, "error": JSONRPC_METHOD_NOT_FOUND,
        })
        if len(self.call_log) > CALL_LOG_MAX:
            del self.call_log[:len(self.call_log) - CALL_LOG_MAX]

    def _log_call(self, conn, m, params, msg_id):
        self.call_seq += 1
        self.call_log.append({
            "seq": self.call_seq, "connection": conn.id, "method": m.name, "id": msg_id,
            "params": mask_params(m.name, params), "authenticated": conn.session is not None,
            "username": conn.session.username if conn.session is not None else None,
        })
        if len(self.call_log) > CALL_LOG_MAX:
            del self.call_log[:len(self.call_log) - CALL_LOG_MAX]

    async def _run_call(self, conn, m, params, msg_id, has_id):
        token = _query.current_profile.set(self.profile)
        reply = None
        try:
            async with conn.semaphore:
                try:
                    result = await self._dispatch(conn, m, params, msg_id, has_id)
                finally:
                    delay = self.faults.delay_for(m.name)
                    if delay:
                        await asyncio.sleep(delay)
            reply = {"jsonrpc": "2.0", "result": result, "id": msg_id}
        except asyncio.CancelledError:
            conn.in_flight -= 1
            raise
        except Exception as exc:  # every failure becomes a JSON-RPC error
            code, message, data = self.error_object(exc)
            error = {"code": code, "message": message}
            if data is not None:
                error["data"] = data
            reply = {"jsonrpc": "2.0", "error": error, "id": msg_id}
        finally:
            try:
                _query.current_profile.reset(token)
            except ValueError:  # the coroutine is being closed from outside its context (the server stopped mid-delay)
                pass
        conn.in_flight -= 1
        if has_id:
            try:
                text = ejson_dumps(reply)
            except (TypeError, ValueError) as exc:
                log.warning("cannot serialise the reply of %s: %s", m.name, exc)
                data = self._data(14, "[EFAULT] %s" % exc, exc)
                text = ejson_dumps({"jsonrpc": "2.0", "error": {
                    "code": JSONRPC_INTERNAL_ERROR, "message": "Failed to JSON serialize server message",
                    "data": data}, "id": msg_id})
            after = conn.abort if msg_id in conn.drop_after_reply and msg_id is not None else None
            conn.send(text, after)
        self._persist()

    def _persist(self):
        if self.state.path:
            try:
                self.state.save()
            except (OSError, TypeError, ValueError) as exc:
                log.error("cannot save the state to %s: %s", self.state.path, exc)

    async def _dispatch(self, conn, m, params, msg_id, has_id):
        if not m.test_hook:
            self.counters.call(m.name)
            self._log_call(conn, m, params, msg_id)
        session = conn.session
        if session is None:
            if not m.allowed_before_auth(self.profile.name):
                raise CallError("Not authenticated", ENOTAUTHENTICATED)
            if m.rate_limit and self.rate_limit and not self.limiter.allow(m.name, conn.remote_ip):
                await self.limiter.reject()
        elif not session.may_call(m.name):
            raise CallError("Not authorized", errno.EACCES)
        failure = self.faults.take_failure(m.name)
        if failure is not None:
            raise failure
        if not_in_version(self.profile, conn.api_path, m.name):
            namespace, _dot, last = m.name.rpartition(".")
            raise CallError("Method '%s' not found in '%s'" % (last, namespace), ENOMETHOD)
        ctx = CallContext(self, conn, m, msg_id)
        if m.job:
            return await self._start_job(ctx, conn, m, params, msg_id if has_id else None)
        self.check_params(m, params)
        result = m.handler(ctx, *params)
        if asyncio.iscoroutine(result):
            result = await result
        return result

    def check_params(self, m, params):
        """Signature and (25.10+) schema checks; ValidationErrors naming the argument."""
        if self.profile.validate_schemas and m.schema:
            entry = schema.get(m.name, self.profile.schema_set)
            if entry is not None:
                entry.validate(params)
                return
        minimum, maximum, names = m.signature()
        if 0 <= maximum < len(params):
            message = "Too many arguments (expected %d, found %d)" % (maximum, len(params))
            if self.profile.validate_schemas:
                raise ValidationErrors([("", message, errno.EINVAL)])
            raise CallError(message, errno.EFAULT)
        if len(params) < minimum:
            raise ValidationErrors([(n, "Field required", errno.EINVAL) for n in names[len(params):minimum]])

    def lookup_for(self, conn, name):
        """The Method ``name`` if this connection may call it now, else None."""
        m = registry.lookup(name, self.profile.name, self.test_hooks)
        if m is None:
            return None
        session = conn.session if conn is not None else None
        if session is None:
            return m if m.allowed_before_auth(self.profile.name) else None
        return m if session.may_call(m.name) else None

    def run_job(self, conn, m, params, msg_id=None, ctx=None, before=None):
        """Create and start a job of ``m`` for ``conn``; returns the Job."""
        session = conn.session if conn is not None else None
        job = self.jobs.create(
            m.name, mask_params(m.name, params), credentials=session.credentials() if session else None,
            message_id=msg_id, owner=session.username if session else None, abortable=m.abortable)
        ctx = ctx or CallContext(self, conn, m, msg_id)

        async def runner(j):
            if before is not None:
                before()
            ctx.job = j
            try:
                self.check_params(m, params)
                return await m.handler(ctx, j, *params)
            finally:
                self._persist()

        self.jobs.start(job, runner)
        return job

    async def run_plain(self, conn, m, params):
        """Call the plain method ``m`` as ``conn`` (params checked); its result."""
        self.check_params(m, params)
        result = m.handler(CallContext(self, conn, m, None), *params)
        if asyncio.iscoroutine(result):
            result = await result
        return result

    async def _start_job(self, ctx, conn, m, params, msg_id):
        new_style = not conn.legacy_jobs and self.profile.legacy_jobs_option
        drop = self.faults.take_job_drop()
        job = self.run_job(conn, m, params, msg_id, ctx, before=conn.abort if drop and new_style else None)
        if not new_style:
            if drop:
                conn.drop_after_reply.add(msg_id)
            return job.id
        await job.wait()
        if job.raised is not None:
            raise job.raised
        return job.result

    # --- errors and events --------------------------------------------------------------------
    def _data(self, code, reason, exc, extra=None):
        formatted = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
        trace = {"class": type(exc).__name__}
        if self.profile.trace_frames:
            frames = []
            for frame in traceback.extract_tb(exc.__traceback__):
                frames.append({"filename": frame.filename, "lineno": frame.lineno, "method": frame.name,
                               "line": frame.line})
            trace["frames"] = frames
        trace["formatted"] = formatted
        trace["repr"] = repr(exc)
        return {"error": code, "errname": errname(code), "reason": reason, "trace": trace, "extra": extra}

    def error_object(self, exc):
        """``(code, message, data)`` of the JSON-RPC error for ``exc``."""
        if isinstance(exc, InjectedError):
            return exc.code, exc.message, exc.data
        if isinstance(exc, ValidationErrors):
            extra = [list(e) for e in exc.errors]
            return JSONRPC_INVALID_PARAMS, "Invalid params", self._data(errno.EINVAL, exc.reason, exc, extra)
        if isinstance(exc, CallError):
            return JSONRPC_CALL_ERROR, "Method call error", self._data(exc.errno, exc.reason, exc, exc.extra)
        if isinstance(exc, MatchNotFound):
            return JSONRPC_CALL_ERROR, "Method call error", self._data(errno.EINVAL, exc.reason, exc)
        if not isinstance(exc, (TypeError, ValueError, KeyError, AttributeError, LookupError, re.error)):
            log.exception("unexpected error", exc_info=exc)
        reason = str(exc) or repr(exc)
        return JSONRPC_CALL_ERROR, "Method call error", self._data(errno.EINVAL, reason, exc)

    def emit(self, collection, msg, id=None, fields=None, job=None):
        params = {"msg": msg.lower(), "collection": collection}
        if id is not None:
            params["id"] = id
        if fields is not None and params["msg"] in ("added", "changed"):
            params["fields"] = fields
        text = None
        for conn in list(self.connections):
            if conn.closed or not conn.subscriptions or not conn.subscribed(collection):
                continue
            if job is not None and not conn.can_see_job(job):
                continue
            if text is None:
                try:
                    text = ejson_dumps({"jsonrpc": "2.0", "method": "collection_update", "params": params})
                except (TypeError, ValueError) as exc:
                    log.warning("cannot serialise an event of %s: %s", collection, exc)
                    return
            conn.send(text)

    def _job_event(self, job, msg):
        self.emit("core.get_jobs", msg, id=job.id, fields=job.to_dict(), job=job)
