# -*- coding: utf-8 -*-
# Copyright: (c) 2026, nasops maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
#
# PRIVATE: internal use only. This module is not part of the public API of the
# nasops.truenas collection and may change at any time without notice.

"""``ConnectionSettings`` and ``TrueNASClient``: one authenticated JSON-RPC connection per run.

::

    settings = ConnectionSettings.from_mapping(params)
    with TrueNASClient(settings, log=debug) as client:
        client.connect()                  # WebSocket, login, system.version_short
        client.caps.smb_shape
        client.query("pool.dataset.query", [["name", "=", "tank/a"]])
        client.call("vm.stop", 3, {"force": True}, job=True, progress=report)

Retry policy: a connect that was refused or timed out is retried with backoff; a request that
was never written may be sent on a fresh connection; a request that was written is never sent
again, except read-only calls (``query``, ``get_one`` and methods such as ``vm.status``, see
``is_read_only``). Jobs are followed by id through
``core.get_jobs`` events with polling as fallback, across reconnects, never re-run.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import importlib.util
import ipaddress
import math
import time

from urllib.parse import urlsplit

from ansible_collections.nasops.truenas.plugins.module_utils._auth import select_auth, url_scheme_and_host
from ansible_collections.nasops.truenas.plugins.module_utils._errors import (
    TrueNASBusyError,
    TrueNASConnectionError,
    TrueNASError,
    TrueNASJobError,
    TrueNASJobValidationError,
    TrueNASOptionError,
    TrueNASTimeoutError,
    errname_of,
    format_triples,
    parse_error_triples,
)
from ansible_collections.nasops.truenas.plugins.module_utils._jsonrpc import MASK, JSONRPCConnection, redact
from ansible_collections.nasops.truenas.plugins.module_utils._versions import Capabilities, parse_version

__all__ = ["ConnectionSettings", "TrueNASClient", "websocket_import_error"]


def websocket_import_error():
    """None when the websocket-client library can be found, else why not; without importing it."""
    try:
        found = importlib.util.find_spec("websocket") is not None
    except (ImportError, ValueError) as exc:
        return "%s: %s" % (type(exc).__name__, exc)
    return None if found else "ModuleNotFoundError: No module named 'websocket'"


def _transport_module():
    """``_transport`` (websocket-client and ssl: about 8 ms to import), imported when a direct
    connection is opened: a module run served by the session broker never needs it."""
    from ansible_collections.nasops.truenas.plugins.module_utils import _transport

    return _transport


DEFAULT_TIMEOUT = 60.0
# Longest wait for one attempt to open the connection (the timeout option, if lower, wins).
CONNECT_TIMEOUT = 10.0
# TrueNAS answers the 21st unauthenticated call of a method from one address within a fixed 60 s
# window with EBUSY "Rate Limit Exceeded"; logins are such calls. Waiting out the window is the
# only remedy, so a rate-limited login is retried for at most this long.
LOGIN_RATE_LIMIT_WAIT = 75.0
LOGIN_RATE_LIMIT_RETRY = 10.0
RATE_LIMIT_WARNING = ("TrueNAS allows 20 logins per minute from one address and refused this one; "
                      "waited for the next minute. Playbooks with many TrueNAS tasks per minute run slower for this.")
API_PATH = "/api/current"
JOBS_COLLECTION = "core.get_jobs"
TERMINAL_STATES = ("SUCCESS", "FAILED", "ABORTED")
_TRUE = ("true", "yes", "on", "1", "y", "t")
_FALSE = ("false", "no", "off", "0", "n", "f")


def _option_text(name, value):
    if value is None:
        return None
    if not isinstance(value, str):
        raise TrueNASOptionError("%s must be a string, got %s" % (name, type(value).__name__), option=name)
    value = value.strip()
    if not value:
        raise TrueNASOptionError("%s must not be empty" % name, option=name)
    return value


def _option_secret(name, value):
    """Like _option_text, but the value itself never appears in a message."""
    if value is None:
        return None
    if not isinstance(value, str):
        raise TrueNASOptionError("%s must be a string" % name, option=name)
    if not value.strip():
        raise TrueNASOptionError("%s must not be empty" % name, option=name)
    return value


def _option_port(value):
    if value is None:
        return None
    if isinstance(value, bool):
        raise TrueNASOptionError("port must be an integer between 1 and 65535", option="port")
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value.strip())
    if not isinstance(value, int) or not 1 <= value <= 65535:
        raise TrueNASOptionError("port must be an integer between 1 and 65535, got %r" % (value,), option="port")
    return value


def _option_bool(name, value, default):
    if value is None:
        return default
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in _TRUE:
        return True
    if isinstance(value, str) and value.strip().lower() in _FALSE:
        return False
    raise TrueNASOptionError("%s must be a boolean, got %r" % (name, value), option=name)


def _option_timeout(value):
    if value is None:
        return DEFAULT_TIMEOUT
    if isinstance(value, bool):
        raise TrueNASOptionError("timeout must be a number of seconds greater than 0", option="timeout")
    if isinstance(value, str):
        try:
            value = float(value.strip())
        except ValueError:
            raise TrueNASOptionError("timeout must be a number of seconds greater than 0, got %r" % (value,),
                                     option="timeout")
    if not isinstance(value, (int, float)) or math.isnan(value) or math.isinf(value) or value <= 0:
        raise TrueNASOptionError("timeout must be a number of seconds greater than 0, got %r" % (value,), option="timeout")
    return float(value)


def _host_part(host):
    """``host`` as it goes into a URL (IPv6 literals in brackets); rejects URLs and ports."""
    if "://" in host:
        raise TrueNASOptionError(
            "host must be a host name or address, not a URL (%s); to choose ws:// or wss:// yourself, use url instead"
            % host, option="host")
    if "/" in host or "@" in host or " " in host:
        raise TrueNASOptionError("host must be a host name or address, got %r (use url for a full address)" % host,
                                 option="host")
    bare = host[1:-1] if host.startswith("[") and host.endswith("]") else host
    if ":" in bare:
        try:
            ipaddress.IPv6Address(bare.split("%", 1)[0])
        except ValueError:
            raise TrueNASOptionError("host must not include a port (%s): put the port in the port option" % host,
                                     option="host")
        return "[%s]" % bare
    return host


class ConnectionSettings:
    """Validated connection options. Build it with ``from_mapping(params)``.

    ``endpoint`` is the WebSocket URL: ``wss://<host>[:<port>]/api/current`` for ``host``, or
    ``url`` (``ws://`` or ``wss://``; ``/api/current`` is added when it has no path).
    ``auth`` is the selected mechanism (see ``_auth.select_auth``), already validated: an API key
    over ``ws://`` to a non-loopback host is refused here, before anything is connected.
    """

    FIELDS = ("host", "url", "port", "api_key", "username", "password", "otp_token", "validate_certs", "ca_path",
              "timeout")

    def __init__(self, host=None, url=None, port=None, api_key=None, username=None, password=None, otp_token=None,
                 validate_certs=None, ca_path=None, timeout=None):
        self.host = _option_text("host", host)
        self.url = _option_text("url", url)
        self.port = _option_port(port)
        self.username = _option_text("username", username)
        self.api_key = _option_secret("api_key", api_key)
        self.password = _option_secret("password", password)
        self.otp_token = _option_secret("otp_token", otp_token)
        self.validate_certs = _option_bool("validate_certs", validate_certs, True)
        self.ca_path = _option_text("ca_path", ca_path)
        self.timeout = _option_timeout(timeout)
        self.endpoint = self._endpoint()
        self.scheme, self.endpoint_host = url_scheme_and_host(self.endpoint)
        self.auth = select_auth(api_key=self.api_key, username=self.username, password=self.password,
                                otp_token=self.otp_token)
        self.auth.validate(self.endpoint)

    @classmethod
    def from_mapping(cls, mapping):
        """Settings from any mapping holding (some of) ``FIELDS``; other keys are ignored."""
        if mapping is None:
            mapping = {}
        return cls(**dict((name, mapping.get(name)) for name in cls.FIELDS))

    @property
    def secrets(self):
        return tuple(s for s in (self.api_key, self.password, self.otp_token) if s)

    def __repr__(self):
        return "ConnectionSettings(endpoint=%r, auth=%r, validate_certs=%r, ca_path=%r, timeout=%r)" % (
            self.endpoint, self.auth.NAME, self.validate_certs, self.ca_path, self.timeout)

    def _endpoint(self):
        if self.host and self.url:
            raise TrueNASOptionError("host and url are mutually exclusive: give one of them", option="url")
        if not self.host and not self.url:
            raise TrueNASOptionError("set host (or url) to the TrueNAS address", option="host")
        if self.host:
            netloc = _host_part(self.host)
            if self.port:
                netloc += ":%d" % self.port
            return "wss://%s%s" % (netloc, API_PATH)
        return self._endpoint_from_url()

    def _endpoint_from_url(self):
        url = self.url
        scheme = url.split("://", 1)[0].lower() if "://" in url else ""
        if scheme not in ("ws", "wss"):
            hint = ""
            if scheme in ("http", "https"):
                hint = " (use %s:// for %s://)" % ("wss" if scheme == "https" else "ws", scheme)
            raise TrueNASOptionError("url must start with ws:// or wss://, got %r%s" % (url, hint), option="url")
        try:
            parts = urlsplit(url)
            url_port = parts.port
        except ValueError as exc:
            raise TrueNASOptionError("url %r is not a valid URL: %s" % (url, exc), option="url")
        if parts.username is not None or parts.password is not None:
            raise TrueNASOptionError("url must not contain credentials; use username, password or api_key",
                                     option="url")
        if not parts.hostname:
            raise TrueNASOptionError("url %r has no host" % url, option="url")
        if parts.fragment:
            raise TrueNASOptionError("url must not contain a fragment (#...)", option="url")
        if url_port is not None and self.port is not None and url_port != self.port:
            raise TrueNASOptionError("port %d conflicts with the port in url (%d)" % (self.port, url_port),
                                     option="port")
        port = url_port if url_port is not None else self.port
        host = parts.hostname
        netloc = "[%s]" % host if ":" in host else host
        if port is not None:
            netloc += ":%d" % port
        path = parts.path
        if path in ("", "/"):
            path = API_PATH
        elif path.rstrip("/") == "/websocket":
            raise TrueNASOptionError(
                "url points at the legacy /websocket endpoint; this collection uses the JSON-RPC API at %s "
                "(TrueNAS 25.04 or later)" % API_PATH, option="url")
        query = "?" + parts.query if parts.query else ""
        return "%s://%s%s%s" % (scheme, netloc, path, query)


def _default_transport(url, ssl_context, connect_timeout):
    return _transport_module().WebSocketTransport(url, ssl_context=ssl_context, connect_timeout=connect_timeout)


class _JobFollower:
    """The state of one job as seen through events and polls."""

    def __init__(self, method, job_id, progress, log):
        self.method = method
        self.job_id = job_id
        self.progress = progress
        self.log = log
        self.state = None
        self.last_progress = None
        self.final = None

    def update(self, job):
        """Take a job object in; True once it is in a terminal state."""
        if not isinstance(job, dict) or self.final is not None:
            return self.final is not None
        state = job.get("state")
        info = job.get("progress") if isinstance(job.get("progress"), dict) else {}
        percent = info.get("percent")
        if not isinstance(percent, (int, float)) or isinstance(percent, bool):
            percent = None
        description = info.get("description") if isinstance(info.get("description"), str) else ""
        if (percent, description) != self.last_progress and (percent is not None or description):
            self.last_progress = (percent, description)
            self.log("job %d %s: %s%% %s" % (self.job_id, state, percent if percent is not None else "?", description))
            if self.progress is not None:
                self.progress(percent, description)
        if isinstance(state, str):
            self.state = state
        if state in TERMINAL_STATES:
            self.final = job
            return True
        return False

    def outcome(self):
        job = self.final
        state = job.get("state")
        if state == "SUCCESS":
            return job.get("result")
        if state == "ABORTED":
            raise TrueNASJobError("%s: job %d was aborted" % (self.method, self.job_id), method=self.method,
                                  job_id=self.job_id, state=state)
        exc_info = job.get("exc_info") if isinstance(job.get("exc_info"), dict) else {}
        errno = exc_info.get("errno")
        if not isinstance(errno, int) or isinstance(errno, bool):
            errno = None
        trace = job.get("exception") if isinstance(job.get("exception"), str) else None
        common = dict(method=self.method, job_id=self.job_id, state=state, trace=trace, details=exc_info.get("extra"))
        if exc_info.get("type") == "VALIDATION":
            errors = parse_error_triples(exc_info.get("extra"))
            text = format_triples(errors) if errors else _one_line(job.get("error")) or "validation failed"
            validation_errno = errno if errno is not None else 22
            raise TrueNASJobValidationError("%s: job %d failed: %s" % (self.method, self.job_id, text),
                                            errors=errors, errno=validation_errno, errname=errname_of(validation_errno), **common)
        text = _one_line(job.get("error")) or _one_line(exc_info.get("repr")) or "no error text"
        raise TrueNASJobError("%s: job %d failed: %s" % (self.method, self.job_id, text), errno=errno, **common)


READ_ONLY_ACTIONS = frozenset((
    "query", "get_instance", "config", "status", "version", "version_short", "info", "get_jobs", "ping",
    "stat", "get_disks", "get_available_memory", "maximum_supported_vcpus", "random_mac", "port_wizard",
))


def is_read_only(method):
    """Whether ``method`` only reads, so that it may be sent again after a dropped connection."""
    action = method.rsplit(".", 1)[-1]
    return action in READ_ONLY_ACTIONS or action.endswith("_choices")


def _is_rate_limit(exc):
    """Whether ``exc`` is the server's unauthenticated-call rate limit (EBUSY "Rate Limit Exceeded")."""
    return exc.errno == 16 and "rate limit" in (exc.message or "").lower()


def _one_line(text):
    if not isinstance(text, str):
        return ""
    return "; ".join(line.strip() for line in text.splitlines() if line.strip())


class ClientBase:
    """What every client offers besides its calls: a context manager, the server's version and
    capabilities (connecting on first use), and masking of the settings' secrets in texts.
    Subclasses set ``settings``, ``_version``, ``_version_string`` and ``_caps`` and define
    ``connect()`` and ``close()``."""

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc_value, tb):
        self.close()
        return False

    @property
    def version(self):
        """The product version as a tuple, e.g. ``(25, 10, 5)`` (connects if needed)."""
        if self._version is None:
            self.connect()
        return self._version

    @property
    def version_string(self):
        """The product version as TrueNAS reports it, e.g. ``"25.10.5"`` (connects if needed)."""
        if self._version_string is None:
            self.connect()
        return self._version_string

    @property
    def caps(self):
        """The ``_versions.Capabilities`` of the server (connects if needed)."""
        if self._caps is None:
            self.connect()
        return self._caps

    def _scrub_text(self, text):
        if not isinstance(text, str):
            return text
        for secret in self.settings.secrets:
            text = text.replace(secret, MASK)
        return text


class TrueNASClient(ClientBase):
    """A TrueNAS JSON-RPC client for one run: ``connect()``, ``call()``, ``query()``, ``get_one()``,
    ``close()``; also a context manager (closes on exit).

    ``log`` receives redacted debug lines (never secrets, never call results).
    ``keepalive_interval``: during long waits ``core.ping`` is sent at least this often (seconds).
    ``warnings`` collects warnings for the user (e.g. a password sent over plain ``ws://``).
    """

    def __init__(self, settings, log=None, keepalive_interval=20.0, poll_interval=1.0, max_poll_interval=5.0,
                 connect_retries=2, max_reconnects=3, max_not_found=3, transport_factory=None, clock=None,
                 sleep=None, login_rate_limit_wait=LOGIN_RATE_LIMIT_WAIT):
        if not isinstance(settings, ConnectionSettings):
            settings = ConnectionSettings.from_mapping(settings)
        self.settings = settings
        self._user_log = log
        self.keepalive_interval = keepalive_interval
        self.poll_interval = poll_interval
        self.max_poll_interval = max_poll_interval
        self.connect_retries = connect_retries
        self.max_reconnects = max_reconnects
        self.max_not_found = max_not_found
        self.login_rate_limit_wait = login_rate_limit_wait
        self._transport_factory = transport_factory or _default_transport
        self._clock = clock or time.monotonic
        self._sleep = sleep or time.sleep
        self._rpc = None
        self._ssl_context = None
        self._events = False
        self._version = None
        self._version_string = None
        self._caps = None
        self.warnings = []
        self.connections = 0

    # -- logging and scrubbing -----------------------------------------------------------

    def _log(self, message):
        if self._user_log is not None:
            self._user_log(self._scrub_text(message))

    def _scrubbed(self, exc):
        message = self._scrub_text(exc.message)
        if message != exc.message:
            exc.message = message
            exc.args = (message,)
        exc.trace = self._scrub_text(exc.trace)
        return exc

    # -- connection ----------------------------------------------------------------------

    @property
    def connected(self):
        return self._rpc is not None and not self._rpc.closed

    def connect(self):
        """Open the WebSocket, log in and read the version; no-op when already connected."""
        if self.connected:
            return self
        try:
            self._open(reconnect=self.connections > 0)
        except TrueNASError as exc:
            raise self._scrubbed(exc)
        return self

    def close(self):
        """Close the connection (idempotent, never raises)."""
        rpc, self._rpc = self._rpc, None
        self._events = False
        if rpc is not None:
            rpc.close()
            self._log("closed the connection to %s" % self.settings.endpoint)

    def detach(self):
        """Hand the open, logged-in connection over: ``(transport, last request id)``; the client
        forgets it (the session broker multiplexes it from then on)."""
        rpc, self._rpc = self._rpc, None
        self._events = False
        rpc.keepalive_enabled = False
        return rpc.transport, rpc.last_id

    def _open(self, reconnect=False):
        settings = self.settings
        auth = settings.auth
        auth.validate(settings.endpoint)
        for warning in getattr(auth, "warnings", ()):
            if warning not in self.warnings:
                self.warnings.append(warning)
                self._log("WARNING: " + warning)
        if settings.scheme == "wss" and self._ssl_context is None:
            self._ssl_context = _transport_module().build_ssl_context(settings.validate_certs, settings.ca_path)
        deadline = self._clock() + max(self.login_rate_limit_wait, 0)
        while True:
            try:
                self._open_once(auth, reconnect)
                return
            except TrueNASBusyError as exc:
                if not _is_rate_limit(exc) or self._clock() >= deadline:
                    raise
                if RATE_LIMIT_WARNING not in self.warnings:
                    self.warnings.append(RATE_LIMIT_WARNING)
                delay = min(LOGIN_RATE_LIMIT_RETRY, max(deadline - self._clock(), 0.0))
                self._log("login rate-limited by the server; retrying in %g s" % delay)
                self._sleep(delay)

    def _open_once(self, auth, reconnect):
        transport = self._connect_transport()
        rpc = JSONRPCConnection(transport, log=self._log, clock=self._clock, keepalive_interval=self.keepalive_interval)
        try:
            self._log("logging in with %s" % auth.describe())
            auth.authenticate(rpc, reconnect=reconnect)
            rpc.keepalive_enabled = True
            if self._version is None:
                self._read_version(rpc)
        except BaseException:
            rpc.close()
            raise
        self._rpc = rpc
        self._events = False
        self.connections += 1

    def _connect_transport(self):
        settings = self.settings
        connect_timeout = min(settings.timeout, CONNECT_TIMEOUT)
        delay = 1.0
        attempts = 1 + max(self.connect_retries, 0)
        started = self._clock()
        for attempt in range(attempts):
            self._log("connecting to %s" % settings.endpoint)
            transport = self._transport_factory(settings.endpoint, self._ssl_context, connect_timeout)
            try:
                transport.connect()
                return transport
            except TrueNASConnectionError as exc:
                if not exc.transient:
                    raise
                if attempt == attempts - 1:
                    if attempts > 1:
                        exc.message = (
                            "%s; gave up after %d attempts in %.0f s in all (each attempt waits up to %g s: the "
                            "timeout option, capped at %g s)"
                            % (exc.message, attempts, self._clock() - started, connect_timeout, CONNECT_TIMEOUT))
                        exc.args = (exc.message,)
                    raise
                self._log("%s; retrying in %g s" % (exc.message, delay))
                self._sleep(delay)
                delay *= 2
        raise TrueNASConnectionError("cannot connect to %s" % settings.endpoint)  # pragma: no cover

    def _read_version(self, rpc):
        method = "system.version_short"
        text = rpc.call(method, timeout=self.settings.timeout)
        if not isinstance(text, str):
            raise TrueNASError("%s: expected a version string, got %s" % (method, type(text).__name__), method=method)
        version = parse_version(text)
        caps = Capabilities(version, version_string=text)
        self._version, self._version_string, self._caps = version, text, caps
        self._log("TrueNAS %s" % text)

    def _reconnect(self):
        self.close()
        self._log("reconnecting to %s" % self.settings.endpoint)
        self._open(reconnect=True)

    # -- calls ---------------------------------------------------------------------------

    def _timeout(self, timeout):
        if timeout is None:
            return self.settings.timeout
        if isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or timeout <= 0:
            raise TrueNASOptionError("timeout must be a number of seconds greater than 0, got %r" % (timeout,),
                                     option="timeout")
        return float(timeout)

    def _send(self, method, params):
        """Write a request, reconnecting once when the connection was found broken *before* the
        request was written."""
        if not self.connected:
            self._reconnect()
        try:
            return self._rpc.request(method, params)
        except TrueNASConnectionError as exc:
            if exc.sent is not False:
                raise
            self._log("%s; reconnecting (the request was not sent)" % exc.message)
            self._reconnect()
            return self._rpc.request(method, params)

    def call(self, method, *params, job=False, timeout=None, progress=None):
        """Call ``method(*params)`` and return its result.

        ``timeout``: seconds (default ``settings.timeout``; for jobs the overall wait). ``job``: the
        method is a job: wait for it and return the job's result. ``progress``:
        ``progress(percent, description)`` is called while a job runs.
        """
        try:
            timeout = self._timeout(timeout)
            self.connect()
            if job:
                return self._call_job(method, params, timeout, progress)
            if is_read_only(method):
                return self._read(method, params, timeout)
            request_id = self._send(method, params)
            return self._rpc.wait(request_id, timeout, method)
        except TrueNASError as exc:
            raise self._scrubbed(exc)

    def query(self, method, filters=None, options=None, timeout=None):
        """``method(filters, options)``: a list (or what ``count``/``get`` options make of it).

        Read-only, so a dropped connection or a "too many concurrent calls" answer is retried.
        """
        params = (list(filters or []), dict(options or {}))
        try:
            timeout = self._timeout(timeout)
            self.connect()
            return self._read(method, params, timeout)
        except TrueNASError as exc:
            raise self._scrubbed(exc)

    def _read(self, method, params, timeout):
        """A read-only call: a dropped connection or a "too many concurrent calls" answer is retried."""
        attempts = 3
        delay = 0.5
        for attempt in range(attempts):
            try:
                request_id = self._send(method, params)
                return self._rpc.wait(request_id, timeout, method)
            except TrueNASBusyError as exc:
                if not exc.retryable or attempt == attempts - 1:
                    raise
                self._log("%s; retrying in %g s" % (exc.message, delay))
                self._sleep(delay)
                delay *= 2
            except TrueNASConnectionError as exc:
                if attempt == attempts - 1:
                    raise
                self._log("%s; reconnecting to repeat the read-only call" % exc.message)
                self._reconnect()
        raise TrueNASError("%s: no result" % method, method=method)  # pragma: no cover

    def get_one(self, method, filters, options=None, timeout=None):
        """The single record ``method`` returns for ``filters``, or None; more than one -> TrueNASError."""
        options = dict(options or {})
        if "limit" not in options and not options.get("get") and not options.get("count"):
            options["limit"] = 2
        result = self.query(method, filters, options, timeout=timeout)
        if not isinstance(result, list):
            raise TrueNASError("%s: expected a list of records, got %s" % (method, type(result).__name__), method=method)
        if not result:
            return None
        if len(result) > 1:
            raise TrueNASError(
                "%s: more than one record matches %s; expected at most one" % (method, redact(list(filters or []))),
                method=method)
        return result[0]

    def next_event(self, collection, timeout=None):
        """Subscribe to ``collection`` (an event source such as ``reporting.realtime``, or a query
        collection), wait for one ``collection_update`` of it, unsubscribe, and return the event's
        params (``msg``, ``collection``, ``id``, ``fields``). Raises TrueNASTimeoutError when none
        arrives within ``timeout`` seconds (default ``settings.timeout``). Not for ``core.get_jobs``,
        which the client follows itself.
        """
        try:
            timeout = self._timeout(timeout)
            if collection == JOBS_COLLECTION:
                raise TrueNASError("next_event: %s is followed by the client itself" % collection)
            self.connect()
            rpc = self._rpc
            deadline = self._clock() + timeout
            rpc.watch(collection)
            try:
                subscription = rpc.call("core.subscribe", collection, timeout=timeout)
                try:
                    while True:
                        events = rpc.take_notifications(collection)
                        if events:
                            return events[0]
                        remaining = deadline - self._clock()
                        if remaining <= 0:
                            raise TrueNASTimeoutError("no %s event within %g s" % (collection, timeout),
                                                      method="core.subscribe")
                        rpc.pump(remaining)
                finally:
                    if not rpc.closed:
                        try:
                            rpc.call("core.unsubscribe", subscription, timeout=min(timeout, 30.0))
                        except TrueNASError as exc:
                            self._log("could not unsubscribe from %s: %s" % (collection, exc.message))
            finally:
                rpc.unwatch(collection)
        except TrueNASError as exc:
            raise self._scrubbed(exc)

    # -- jobs ----------------------------------------------------------------------------

    def _ensure_job_events(self):
        if self._events is not False:
            return
        self._rpc.watch(JOBS_COLLECTION)
        try:
            self._rpc.call("core.subscribe", JOBS_COLLECTION, timeout=min(self.settings.timeout, 30.0))
            self._events = True
        except TrueNASConnectionError:
            raise
        except TrueNASError as exc:
            self._log("job events unavailable (%s); polling instead" % exc.message)
            self._rpc.unwatch(JOBS_COLLECTION)
            self._events = None

    def _call_job(self, method, params, timeout, progress):
        deadline = self._clock() + timeout
        self._ensure_job_events()
        self._rpc.take_notifications(JOBS_COLLECTION)
        request_id = self._send(method, params)
        try:
            job_id = self._rpc.wait(request_id, max(deadline - self._clock(), 0.001), method)
        except TrueNASConnectionError as exc:
            raise TrueNASConnectionError(
                "%s; no job id was received, so the job cannot be followed, and the call is not repeated" % exc.message,
                method=method, sent=exc.sent, close_code=exc.close_code, close_reason=exc.close_reason)
        if not isinstance(job_id, int) or isinstance(job_id, bool):
            raise TrueNASError("%s: expected a job id from the server, got %s" % (method, type(job_id).__name__),
                               method=method)
        self._log("%s started job %d" % (method, job_id))
        return self._wait_job(method, job_id, deadline, timeout, progress)

    def _poll_job(self, follower, deadline):
        remaining = max(min(deadline - self._clock(), self.settings.timeout), 1.0)
        jobs = self._rpc.call(JOBS_COLLECTION, [["id", "=", follower.job_id]], timeout=remaining)
        if isinstance(jobs, list) and jobs and isinstance(jobs[0], dict):
            follower.update(jobs[0])
            return True
        return False

    def _wait_job(self, method, job_id, deadline, timeout, progress):
        follower = _JobFollower(method, job_id, progress, self._log)
        interval = self.poll_interval
        next_poll = self._clock() + interval if self._events else self._clock()
        not_found = 0
        reconnects = 0
        lost = None
        while True:
            try:
                if lost is not None:
                    self._log("lost the connection while waiting for job %d (%s); reconnecting to follow it"
                              % (job_id, lost.message))
                    try:
                        self._reconnect()
                        self._ensure_job_events()
                    except TrueNASConnectionError:
                        raise
                    except TrueNASError as exc:
                        raise self._job_context(exc, method, job_id)
                    lost = None
                    interval = self.poll_interval
                    next_poll = self._clock()
                if self._events:
                    for event in self._rpc.take_notifications(JOBS_COLLECTION):
                        fields = event.get("fields")
                        if event.get("id") == job_id and isinstance(fields, dict):
                            follower.update(fields)
                            next_poll = self._clock() + interval
                if follower.final is not None:
                    return follower.outcome()
                now = self._clock()
                if now >= deadline:
                    raise TrueNASTimeoutError(
                        "%s: job %d did not finish within %g s (last state %s); it may still be running on the server"
                        % (method, job_id, timeout, follower.state or "unknown"), method=method, job_id=job_id)
                if now >= next_poll:
                    try:
                        found = self._poll_job(follower, deadline)
                    except TrueNASTimeoutError:
                        found = True
                    if found:
                        not_found = 0
                    else:
                        not_found += 1
                        if not_found >= self.max_not_found:
                            raise TrueNASJobError(
                                "%s: job %d was not found on the server (%d polls in a row)" % (method, job_id, not_found),
                                method=method, job_id=job_id, state=follower.state)
                    if follower.final is not None:
                        return follower.outcome()
                    interval = min(interval * 2, self.max_poll_interval)
                    next_poll = self._clock() + interval
                    continue
                self._rpc.pump(min(deadline, next_poll) - now)
            except TrueNASConnectionError as exc:
                reconnects += 1
                if reconnects > self.max_reconnects:
                    raise TrueNASConnectionError(
                        "%s: lost the connection while waiting for job %d (%s); gave up after %d reconnects; job %d "
                        "may still be running on the server" % (method, job_id, exc.message, self.max_reconnects, job_id),
                        method=method, close_code=exc.close_code, close_reason=exc.close_reason)
                if lost is not None:
                    # the reconnect itself failed: back off before the next attempt
                    self._sleep(min(2.0 ** reconnects, 10.0))
                lost = exc

    @staticmethod
    def _job_context(exc, method, job_id):
        exc.message = "%s: lost the connection while waiting for job %d and could not reconnect: %s; job %d may " \
                      "still be running on the server" % (method, job_id, exc.message, job_id)
        exc.args = (exc.message,)
        exc.job_id = job_id
        return exc
