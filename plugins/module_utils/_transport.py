# -*- coding: utf-8 -*-
# Copyright: (c) 2026, nasops maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
#
# PRIVATE: internal use only. This module is not part of the public API of the
# nasops.truenas collection and may change at any time without notice.

"""The WebSocket transport: one ``websocket-client`` connection, its TLS context, close codes
and the translation of every socket, TLS and handshake failure into a TrueNASConnectionError
that says what to change."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import socket
import ssl
import struct
import time

try:
    import websocket
except ImportError:  # reported before connecting: _client.websocket_import_error()
    websocket = None

from ansible_collections.nasops.truenas.plugins.module_utils._errors import (
    TrueNASConnectionError,
    TrueNASOptionError,
)

REDIRECT_STATUSES = (301, 302, 303, 307, 308)

OPCODE_TEXT = 0x1
OPCODE_CLOSE = 0x8

_NOT_TLS_MARKERS = (
    "wrong_version_number",
    "wrong version number",
    "record layer failure",
    "packet length too long",
    "unknown_protocol",
    "unknown protocol",
    "http request",
)

CLOSE_EXPLANATIONS = {
    1000: "the session was ended by the server (normal closure)",
    1001: "the server is going away (restarting or shutting down)",
    1003: "the server refused a non-text frame",
    1007: "message larger than 8 kB before authentication, or invalid JSON",
    1008: "this client's address is not in the TrueNAS UI allowlist (System > General > UI allowlist)",
    1009: "request larger than 64 kB (the limit for authenticated connections)",
    1011: "internal server error",
}


def _websocket_exception(name):
    """A websocket-client exception class by its public name (a never-raised stand-in if absent)."""
    if websocket is None:
        return _Never
    return getattr(websocket, name, _Never)


class _Never(Exception):
    """Stands in for exception classes that are not available."""


def build_ssl_context(validate_certs=True, ca_path=None, environ=None):
    """One ``ssl.SSLContext`` for ``wss://`` connections.

    ``validate_certs`` false disables verification entirely. ``ca_path`` is a CA bundle file or a
    directory of hashed certificates; without it, ``SSL_CERT_FILE`` from ``environ`` (default
    ``os.environ``) is honoured, else the system trust store is used.
    """
    if environ is None:
        environ = os.environ
    if not validate_certs:
        # No trust store: loading the system's takes longer than the whole TLS handshake.
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
        return context
    cafile = capath = None
    source = "ca_path"
    if ca_path:
        path = os.path.expanduser(ca_path)
        if os.path.isdir(path):
            capath = path
        elif os.path.isfile(path):
            cafile = path
        else:
            raise TrueNASOptionError(
                "ca_path: %s does not exist (give a PEM CA bundle file or a directory of hashed CA certificates)" % ca_path,
                option="ca_path",
            )
    else:
        env_file = environ.get("SSL_CERT_FILE")
        if env_file and os.path.isfile(env_file):
            cafile = env_file
            source = "SSL_CERT_FILE"
    try:
        return ssl.create_default_context(cafile=cafile, capath=capath)
    except (ssl.SSLError, OSError, ValueError) as exc:
        where = cafile or capath
        raise TrueNASOptionError(
            "%s: cannot load CA certificates from %s: %s" % (source, where, _reason(exc)),
            option="ca_path",
        )


def _reason(exc):
    text = getattr(exc, "strerror", None) or getattr(exc, "reason", None) or str(exc) or type(exc).__name__
    return str(text)


def close_message(code, reason):
    """A sentence for a WebSocket close frame."""
    if code is None:
        return "the server closed the connection (close frame without a status code)"
    text = "the server closed the connection with code %d" % code
    if reason:
        text += " (%s)" % reason
    explanation = CLOSE_EXPLANATIONS.get(code)
    if explanation:
        text += ": " + explanation
    return text


def parse_close_frame(data):
    """``(code, reason)`` of a close frame's payload (code None when absent)."""
    if isinstance(data, str):
        data = data.encode("utf-8", "replace")
    if not data or len(data) < 2:
        return None, ""
    code = struct.unpack("!H", data[:2])[0]
    return code, data[2:].decode("utf-8", "replace")


class WebSocketTransport:
    """A text-frame WebSocket connection to ``url`` (``ws://`` or ``wss://``).

    ``connect()`` opens it; ``send(text)``, ``recv(timeout)`` (a text frame, or None when
    ``timeout`` passed) and ``close()`` use it. Failures raise TrueNASConnectionError; connect
    failures worth retrying (refused, timed out) carry ``transient=True``.
    """

    def __init__(self, url, ssl_context=None, connect_timeout=10.0, send_timeout=None, websocket_factory=None, clock=None):
        self.url = url
        self._ssl_context = ssl_context
        self.connect_timeout = connect_timeout
        self.send_timeout = send_timeout or connect_timeout
        self._factory = websocket_factory
        self._clock = clock or time.monotonic
        self._ws = None
        parsed = _split_url(url)
        self.scheme, self.host, self.port, self.path = parsed

    @property
    def connected(self):
        return self._ws is not None

    @property
    def where(self):
        host = "[%s]" % self.host if ":" in self.host else self.host
        return "%s:%d" % (host, self.port)

    def connect(self):
        if self._ws is not None:
            return
        factory = self._factory
        if factory is None:
            if websocket is None:
                raise TrueNASConnectionError("the websocket-client Python package is required (pip install websocket-client)")
            factory = websocket.WebSocket
        sslopt = {"context": self._ssl_context} if (self.scheme == "wss" and self._ssl_context is not None) else {}
        ws = factory(sslopt=sslopt, enable_multithread=False)
        try:
            ws.connect(self.url, timeout=self.connect_timeout, redirect_limit=0)
            status = ws.getstatus()
            if status in REDIRECT_STATUSES:
                raise _websocket_exception("WebSocketException")("Redirect limit exhausted")
        except Exception as exc:  # pylint: disable=broad-except
            error = self._connect_error(exc, ws)
            _quiet_shutdown(ws)
            raise error
        self._ws = ws

    # -- failure translation -------------------------------------------------------------

    def _connect_error(self, exc, ws):
        where = self.where
        if isinstance(exc, ssl.SSLCertVerificationError):
            detail = getattr(exc, "verify_message", None) or _reason(exc)
            return TrueNASConnectionError(
                "TLS certificate verification failed for %s: %s. Set ca_path to the CA certificate that signed the "
                "TrueNAS certificate (or SSL_CERT_FILE), or set validate_certs to false to skip verification (insecure)."
                % (where, detail)
            )
        if isinstance(exc, ssl.SSLError):
            text = str(exc).lower()
            if any(marker in text for marker in _NOT_TLS_MARKERS):
                return TrueNASConnectionError(
                    "TLS handshake with %s failed: the port does not speak TLS (plain HTTP?). Use ws:// for a plain "
                    "HTTP port, or the HTTPS port (443) with wss://." % where
                )
            if "eof" in text:
                return TrueNASConnectionError(
                    "TLS handshake with %s failed: the server closed the connection during the handshake; the port "
                    "may not speak TLS (plain HTTP?). Use ws:// for a plain HTTP port, or the HTTPS port (443) with "
                    "wss://." % where)
            return TrueNASConnectionError("TLS handshake with %s failed: %s" % (where, _reason(exc)))
        if isinstance(exc, _websocket_exception("WebSocketBadStatusException")):
            return self._status_error(getattr(exc, "status_code", None), getattr(exc, "resp_headers", None),
                                      getattr(exc, "resp_body", None), getattr(exc, "status_message", None))
        status = _safe_status(ws)
        if status in REDIRECT_STATUSES:
            return self._status_error(status, _safe_headers(ws), None, None)
        if isinstance(exc, (socket.gaierror, _websocket_exception("WebSocketAddressException"))):
            return TrueNASConnectionError("cannot resolve host name %r (DNS lookup failed: %s)" % (self.host, _reason(exc)))
        if isinstance(exc, ConnectionRefusedError):
            return TrueNASConnectionError(
                "connection refused by %s (nothing listens on that port; check host, port and that the TrueNAS web "
                "service is running)" % where, transient=True)
        if isinstance(exc, (socket.timeout, TimeoutError, _websocket_exception("WebSocketTimeoutException"))):
            return TrueNASConnectionError(
                "timed out after %g s connecting to %s" % (self.connect_timeout, where), transient=True)
        if isinstance(exc, (ConnectionResetError, BrokenPipeError, _websocket_exception("WebSocketConnectionClosedException"))):
            hint = " If this port serves HTTPS, use wss://." if self.scheme == "ws" else ""
            return TrueNASConnectionError(
                "the server at %s closed the connection during the WebSocket handshake.%s" % (where, hint))
        if isinstance(exc, OSError):
            return TrueNASConnectionError("cannot connect to %s: %s" % (where, _reason(exc)))
        return TrueNASConnectionError("WebSocket handshake with %s failed: %s" % (self.url, _reason(exc)))

    def _status_error(self, status, headers, body, status_message):
        headers = headers or {}
        location = headers.get("location") or headers.get("Location")
        if isinstance(body, bytes):
            body = body.decode("utf-8", "replace")
        body = body or ""
        if status in REDIRECT_STATUSES:
            target = " to %s" % location if location else ""
            if self.scheme == "ws":
                return TrueNASConnectionError(
                    "the server redirects the WebSocket handshake (HTTP %d%s): TrueNAS redirects HTTP to HTTPS "
                    "(UI setting 'HTTPS redirect'). Use wss:// (port 443) instead of ws://." % (status, target))
            return TrueNASConnectionError(
                "the server redirects the WebSocket handshake (HTTP %d%s); WebSocket clients do not follow "
                "redirects: connect to the target address instead." % (status, target))
        if status == 400 and "plain http request was sent to https port" in body.lower():
            return TrueNASConnectionError(
                "plain HTTP request sent to the HTTPS port %s: use wss:// for this port (or ws:// with the HTTP "
                "port)." % self.where)
        if status == 404:
            return TrueNASConnectionError(
                "no JSON-RPC API at %s (HTTP 404). TrueNAS older than 25.04 only has the legacy /websocket "
                "endpoint; TrueNAS 25.04 or later is required (or the url path is wrong)." % self.url)
        if status in (401, 403):
            return TrueNASConnectionError(
                "the server refused the WebSocket handshake at %s (HTTP %d%s)" % (self.url, status,
                                                                                  " " + status_message if status_message else ""))
        text = "the WebSocket handshake with %s failed with HTTP %s" % (self.url, status)
        if status_message:
            text += " %s" % status_message
        if status in (502, 503, 504):
            text += " (the TrueNAS middleware may be starting or down)"
        return TrueNASConnectionError(text)

    # -- I/O -----------------------------------------------------------------------------

    def _broken(self, exc):
        self._drop()
        if isinstance(exc, _websocket_exception("WebSocketConnectionClosedException")) or isinstance(
                exc, (ConnectionResetError, BrokenPipeError, EOFError)):
            return TrueNASConnectionError(
                "the server at %s dropped the connection without a close frame (TrueNAS 25.x behind nginx drops "
                "connections idle for 60 s; or the server restarted)" % self.where)
        return TrueNASConnectionError("the connection to %s broke: %s" % (self.where, _reason(exc)))

    def send(self, text):
        ws = self._ws
        if ws is None:
            raise TrueNASConnectionError("not connected to %s" % self.where)
        try:
            ws.settimeout(self.send_timeout)
            ws.send(text)
        except (_websocket_exception("WebSocketTimeoutException"), socket.timeout):
            self._drop()
            raise TrueNASConnectionError("sending to %s timed out after %g s" % (self.where, self.send_timeout))
        except (OSError, EOFError, _websocket_exception("WebSocketException")) as exc:
            raise self._broken(exc)

    def recv(self, timeout):
        """The next text frame, or None when ``timeout`` seconds pass without one."""
        ws = self._ws
        if ws is None:
            raise TrueNASConnectionError("not connected to %s" % self.where)
        deadline = self._clock() + timeout
        while True:
            remaining = deadline - self._clock()
            if remaining <= 0:
                return None
            try:
                ws.settimeout(remaining)
                opcode, frame = ws.recv_data_frame(True)
            except (_websocket_exception("WebSocketTimeoutException"), socket.timeout):
                return None
            except (OSError, EOFError, _websocket_exception("WebSocketException")) as exc:
                raise self._broken(exc)
            data = getattr(frame, "data", frame)
            if opcode == OPCODE_TEXT:
                if isinstance(data, bytes):
                    return data.decode("utf-8", "replace")
                return data
            if opcode == OPCODE_CLOSE:
                code, reason = parse_close_frame(data)
                self._drop()
                raise TrueNASConnectionError(close_message(code, reason), close_code=code, close_reason=reason)
            # ping, pong and binary frames carry nothing for us

    def selectable(self):
        """The socket to wait on with ``select`` (None when not connected)."""
        ws = self._ws
        return getattr(ws, "sock", None) if ws is not None else None

    def pending(self):
        """Bytes already decrypted and buffered by TLS, which ``select`` does not see."""
        sock = self.selectable()
        if isinstance(sock, ssl.SSLSocket):
            try:
                return sock.pending()
            except (OSError, ValueError):
                return 0
        return 0

    def _drop(self):
        ws, self._ws = self._ws, None
        _quiet_shutdown(ws)

    def close(self):
        ws, self._ws = self._ws, None
        if ws is None:
            return
        try:
            ws.close(timeout=1)
        except Exception:  # pylint: disable=broad-except
            pass
        _quiet_shutdown(ws)


def _quiet_shutdown(ws):
    if ws is None:
        return
    try:
        ws.shutdown()
    except Exception:  # pylint: disable=broad-except
        pass


def _safe_status(ws):
    try:
        return ws.getstatus()
    except Exception:  # pylint: disable=broad-except
        return None


def _safe_headers(ws):
    try:
        return ws.getheaders() or {}
    except Exception:  # pylint: disable=broad-except
        return {}


def _split_url(url):
    """``(scheme, host, port, path)`` of a ws/wss URL already validated by the client layer."""
    scheme, rest = url.split("://", 1)
    scheme = scheme.lower()
    hostport, slash, path = rest.partition("/")
    path = slash + path
    if hostport.startswith("["):
        host, tail = hostport[1:].split("]", 1) if "]" in hostport else (hostport[1:], "")
        port_text = tail[1:] if tail.startswith(":") else ""
    elif hostport.count(":") == 1:
        host, port_text = hostport.split(":")
    else:
        host, port_text = hostport, ""
    port = int(port_text) if port_text.isdigit() else (443 if scheme == "wss" else 80)
    return scheme, host, port, path or "/"
