# Copyright (c) nasops contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The WebSocket transport over a scripted fake websocket-client object: frames, close codes,
timeouts, every connect failure message, and the TLS context."""

import datetime
import errno
import socket
import ssl
import struct
import types

import pytest
import websocket
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from ansible_collections.nasops.truenas.plugins.module_utils._errors import TrueNASConnectionError, TrueNASOptionError
from ansible_collections.nasops.truenas.plugins.module_utils._transport import (
    WebSocketTransport,
    build_ssl_context,
    close_message,
    parse_close_frame,
)

TEXT, BINARY, CLOSE, PING, PONG = 0x1, 0x2, 0x8, 0x9, 0xA


class FakeWebSocket:
    """Stands in for websocket.WebSocket: scripted connect outcome and received frames."""

    instances = []

    def __init__(self, sslopt=None, enable_multithread=True, **kwargs):
        self.sslopt = sslopt
        self.enable_multithread = enable_multithread
        self.connect_calls = []
        self.connect_error = None
        self.status = 101
        self.headers = {}
        self.frames = []
        self.sent = []
        self.timeouts = []
        self.send_error = None
        self.closed = False
        self.shut = False
        FakeWebSocket.instances.append(self)

    def connect(self, url, **options):
        self.connect_calls.append((url, options))
        if self.connect_error is not None:
            raise self.connect_error

    def getstatus(self):
        return self.status

    def getheaders(self):
        return self.headers

    def settimeout(self, timeout):
        self.timeouts.append(timeout)

    def send(self, text):
        if self.send_error is not None:
            raise self.send_error
        self.sent.append(text)

    def recv_data_frame(self, control_frame=False):
        item = self.frames.pop(0) if self.frames else websocket.WebSocketTimeoutException("timed out")
        if isinstance(item, BaseException):
            raise item
        opcode, data = item
        return opcode, types.SimpleNamespace(data=data)

    def close(self, status=1000, reason=b"", timeout=3):
        self.closed = True

    def shutdown(self):
        self.shut = True


def make_transport(url="wss://nas.example/api/current", setup=None, context=None, connect=True):
    FakeWebSocket.instances = []

    def factory(**kwargs):
        ws = FakeWebSocket(**kwargs)
        if setup:
            setup(ws)
        return ws

    transport = WebSocketTransport(url, ssl_context=context, connect_timeout=7.5, websocket_factory=factory)
    if connect:
        transport.connect()
    return transport


def close_payload(code, reason=b""):
    return struct.pack("!H", code) + reason


def connect_failure(error, url="wss://nas.example/api/current", status=None, headers=None):
    def setup(ws):
        ws.connect_error = error
        if status is not None:
            ws.status = status
        if headers is not None:
            ws.headers = headers

    with pytest.raises(TrueNASConnectionError) as info:
        make_transport(url, setup=setup)
    assert FakeWebSocket.instances[0].shut is True
    return info.value


# -- connecting and frames -------------------------------------------------------------------------

def test_connect_uses_the_context_timeout_and_no_redirects():
    context = ssl.create_default_context()
    transport = make_transport(context=context)
    ws = FakeWebSocket.instances[0]
    assert ws.sslopt == {"context": context}
    assert ws.enable_multithread is False
    assert ws.connect_calls == [("wss://nas.example/api/current", {"timeout": 7.5, "redirect_limit": 0})]
    assert transport.connected is True
    assert transport.where == "nas.example:443"


def test_plain_ws_gets_no_ssl_options():
    make_transport("ws://127.0.0.1:6000/api/current", context=ssl.create_default_context())
    assert FakeWebSocket.instances[0].sslopt == {}


def test_text_frames_are_returned_and_control_frames_skipped():
    def setup(ws):
        ws.frames = [(PING, b""), (PONG, b""), (BINARY, b"\x00"), (TEXT, b'{"id": 1}'), (TEXT, "caf\u00e9")]

    transport = make_transport(setup=setup)
    assert transport.recv(5) == '{"id": 1}'
    assert transport.recv(5) == "caf\u00e9"
    assert transport.recv(5) is None


def test_send_sets_a_timeout_and_writes():
    transport = make_transport()
    transport.send('{"x": 1}')
    ws = FakeWebSocket.instances[0]
    assert ws.sent == ['{"x": 1}']
    assert ws.timeouts == [7.5]


@pytest.mark.parametrize("code, reason, message", [
    (1009, b"Max message length is 64 kB", "the server closed the connection with code 1009 (Max message length is "
                                           "64 kB): request larger than 64 kB (the limit for authenticated "
                                           "connections)"),
    (1007, b"Anonymous connection max message length is 8 kB",
     "the server closed the connection with code 1007 (Anonymous connection max message length is 8 kB): message "
     "larger than 8 kB before authentication, or invalid JSON"),
    (1008, b"You are not allowed to access this resource",
     "the server closed the connection with code 1008 (You are not allowed to access this resource): this client's "
     "address is not in the TrueNAS UI allowlist (System > General > UI allowlist)"),
    (1000, b"", "the server closed the connection with code 1000: the session was ended by the server (normal "
                "closure)"),
    (4000, b"custom", "the server closed the connection with code 4000 (custom)"),
])
def test_close_frames_keep_code_and_reason(code, reason, message):
    def setup(ws):
        ws.frames = [(CLOSE, close_payload(code, reason))]

    transport = make_transport(setup=setup)
    with pytest.raises(TrueNASConnectionError) as info:
        transport.recv(5)
    assert info.value.message == message
    assert info.value.close_code == code
    assert info.value.close_reason == reason.decode()
    assert transport.connected is False


def test_close_frame_without_code():
    assert parse_close_frame(b"") == (None, "")
    assert close_message(None, "") == "the server closed the connection (close frame without a status code)"


def test_dropped_connection_while_reading():
    def setup(ws):
        ws.frames = [websocket.WebSocketConnectionClosedException("Connection to remote host was lost.")]

    transport = make_transport(setup=setup)
    with pytest.raises(TrueNASConnectionError) as info:
        transport.recv(5)
    assert info.value.message == ("the server at nas.example:443 dropped the connection without a close frame "
                                  "(TrueNAS 25.x behind nginx drops connections idle for 60 s; or the server "
                                  "restarted)")
    with pytest.raises(TrueNASConnectionError) as info:
        transport.recv(5)
    assert info.value.message == "not connected to nas.example:443"


def test_broken_send():
    def setup(ws):
        ws.send_error = BrokenPipeError(errno.EPIPE, "Broken pipe")

    transport = make_transport(setup=setup)
    with pytest.raises(TrueNASConnectionError) as info:
        transport.send("x")
    assert "dropped the connection without a close frame" in info.value.message
    assert transport.connected is False


def test_close_is_idempotent():
    transport = make_transport()
    transport.close()
    transport.close()
    assert FakeWebSocket.instances[0].closed is True
    assert transport.connected is False


# -- connect failures ------------------------------------------------------------------------------

def test_certificate_verification_failure_names_the_options():
    error = ssl.SSLCertVerificationError(1, "[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed")
    error.verify_message = "self-signed certificate"
    exc = connect_failure(error)
    assert exc.message == ("TLS certificate verification failed for nas.example:443: self-signed certificate. Set "
                           "ca_path to the CA certificate that signed the TrueNAS certificate (or SSL_CERT_FILE), or "
                           "set validate_certs to false to skip verification (insecure).")
    assert exc.transient is False


def test_tls_to_a_plain_http_port():
    exc = connect_failure(ssl.SSLError(1, "[SSL: WRONG_VERSION_NUMBER] wrong version number (_ssl.c:1006)"),
                          url="wss://nas.example:80/api/current")
    assert exc.message == ("TLS handshake with nas.example:80 failed: the port does not speak TLS (plain HTTP?). "
                           "Use ws:// for a plain HTTP port, or the HTTPS port (443) with wss://.")


def test_eof_during_the_tls_handshake():
    exc = connect_failure(ssl.SSLEOFError(8, "[SSL: UNEXPECTED_EOF_WHILE_READING] EOF occurred in violation of "
                                             "protocol (_ssl.c:1006)"), url="wss://nas.example:80/api/current")
    assert exc.message == ("TLS handshake with nas.example:80 failed: the server closed the connection during the "
                           "handshake; the port may not speak TLS (plain HTTP?). Use ws:// for a plain HTTP port, or "
                           "the HTTPS port (443) with wss://.")


def test_plain_http_to_an_https_port():
    body = b"<html><center>The plain HTTP request was sent to HTTPS port</center></html>"
    exc = connect_failure(websocket.WebSocketBadStatusException("Handshake status 400", 400, "Bad Request", {}, body),
                          url="ws://nas.example:443/api/current")
    assert exc.message == ("plain HTTP request sent to the HTTPS port nas.example:443: use wss:// for this port (or "
                           "ws:// with the HTTP port).")


def test_404_says_25_04_is_required():
    exc = connect_failure(websocket.WebSocketBadStatusException("Handshake status 404", 404, "Not Found", {}, b""))
    assert exc.message == ("no JSON-RPC API at wss://nas.example/api/current (HTTP 404). TrueNAS older than 25.04 "
                           "only has the legacy /websocket endpoint; TrueNAS 25.04 or later is required (or the url "
                           "path is wrong).")


def test_redirect_to_https():
    exc = connect_failure(websocket.WebSocketException("Redirect limit exhausted"), url="ws://nas.example/api/current",
                          status=307, headers={"location": "https://nas.example:443/api/current"})
    assert exc.message == ("the server redirects the WebSocket handshake (HTTP 307 to "
                           "https://nas.example:443/api/current): TrueNAS redirects HTTP to HTTPS (UI setting "
                           "'HTTPS redirect'). Use wss:// (port 443) instead of ws://.")


def test_redirect_reported_as_bad_status():
    exc = connect_failure(websocket.WebSocketBadStatusException("Handshake status 301", 301, "Moved", {}, None),
                          url="wss://nas.example/api/current")
    assert exc.message == ("the server redirects the WebSocket handshake (HTTP 301); WebSocket clients do not follow "
                           "redirects: connect to the target address instead.")


def test_other_statuses():
    exc = connect_failure(websocket.WebSocketBadStatusException("Handshake status 502", 502, "Bad Gateway", {}, b""))
    assert exc.message == ("the WebSocket handshake with wss://nas.example/api/current failed with HTTP 502 Bad "
                           "Gateway (the TrueNAS middleware may be starting or down)")


def test_dns_failure():
    exc = connect_failure(websocket.WebSocketAddressException(socket.gaierror(-2, "Name or service not known")),
                          url="wss://no-such-host.invalid/api/current")
    assert exc.message.startswith("cannot resolve host name 'no-such-host.invalid' (DNS lookup failed: ")
    assert exc.transient is False


def test_refused_and_timeout_are_transient():
    exc = connect_failure(ConnectionRefusedError(errno.ECONNREFUSED, "Connection refused"))
    assert exc.message == ("connection refused by nas.example:443 (nothing listens on that port; check host, port "
                           "and that the TrueNAS web service is running)")
    assert exc.transient is True
    exc = connect_failure(socket.timeout("timed out"))
    assert exc.message == "timed out after 7.5 s connecting to nas.example:443"
    assert exc.transient is True
    exc = connect_failure(websocket.WebSocketTimeoutException("timed out"))
    assert exc.transient is True


def test_reset_during_the_handshake():
    exc = connect_failure(ConnectionResetError(errno.ECONNRESET, "Connection reset by peer"),
                          url="ws://nas.example:443/api/current")
    assert exc.message == ("the server at nas.example:443 closed the connection during the WebSocket handshake. If "
                           "this port serves HTTPS, use wss://.")


def test_other_os_errors():
    exc = connect_failure(OSError(errno.EHOSTUNREACH, "No route to host"))
    assert exc.message == "cannot connect to nas.example:443: No route to host"


# -- TLS context -----------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def ca_pem(tmp_path_factory):
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "nasops test CA")])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(days=1))
            .not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))
    path = tmp_path_factory.mktemp("ca") / "ca.pem"
    path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return path


def test_validate_certs_false_disables_verification():
    context = build_ssl_context(validate_certs=False, environ={"SSL_CERT_FILE": "/nonexistent"})
    assert context.verify_mode == ssl.CERT_NONE
    assert context.check_hostname is False
    assert context.get_ca_certs() == []  # no trust store is loaded when nothing is verified
    assert context.minimum_version >= ssl.TLSVersion.TLSv1_2


def test_ca_file_is_the_trust_anchor(ca_pem):
    context = build_ssl_context(ca_path=str(ca_pem), environ={})
    assert context.verify_mode == ssl.CERT_REQUIRED and context.check_hostname is True
    assert [c["subject"] for c in context.get_ca_certs()] == [((("commonName", "nasops test CA"),),)]


def test_ca_directory_is_accepted(ca_pem):
    context = build_ssl_context(ca_path=str(ca_pem.parent), environ={})
    assert context.verify_mode == ssl.CERT_REQUIRED


def test_ssl_cert_file_is_honoured(ca_pem):
    context = build_ssl_context(environ={"SSL_CERT_FILE": str(ca_pem)})
    assert [c["subject"] for c in context.get_ca_certs()] == [((("commonName", "nasops test CA"),),)]


def test_missing_and_broken_ca_paths(tmp_path):
    with pytest.raises(TrueNASOptionError) as info:
        build_ssl_context(ca_path=str(tmp_path / "nope.pem"), environ={})
    assert info.value.message == ("ca_path: %s does not exist (give a PEM CA bundle file or a directory of hashed CA "
                                  "certificates)" % (tmp_path / "nope.pem"))
    assert info.value.option == "ca_path"
    broken = tmp_path / "broken.pem"
    broken.write_text("not a certificate")
    with pytest.raises(TrueNASOptionError) as info:
        build_ssl_context(ca_path=str(broken), environ={})
    assert info.value.message.startswith("ca_path: cannot load CA certificates from %s: " % broken)
