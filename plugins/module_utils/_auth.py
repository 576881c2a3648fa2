# -*- coding: utf-8 -*-
# Copyright: (c) 2026, nasops maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
#
# PRIVATE: internal use only. This module is not part of the public API of the
# nasops.truenas collection and may change at any time without notice.

"""Authentication mechanisms: small classes with ``NAME``, ``OPTIONS``, ``validate(url)`` (local
checks only, no network) and ``authenticate(rpc, reconnect=False)``.

``select_auth()`` picks one from the connection options. Logins go through ``auth.login_ex``
(``auth.login_with_api_key`` only for an API key without a username); a failed login is a
*result* (``response_type``), and each one becomes a TrueNASAuthError that says what to do.
Secrets are only ever placed in ``auth.*`` payloads, which the JSON-RPC layer never logs.

API keys with a username use SCRAM-SHA-512 (RFC 5802 with SHA-512, as TrueNAS 26 implements it)
when ``auth.mechanism_choices`` offers ``SCRAM``: the key never crosses the wire. Otherwise
``API_KEY_PLAIN``. Once SCRAM was chosen for a connection's credentials, a failed SCRAM login is
an error; it never falls back to sending the key in plain text.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import base64
import hashlib
import hmac
import ipaddress
import os

from ansible_collections.nasops.truenas.plugins.module_utils._errors import (
    TrueNASAuthError,
    TrueNASError,
    TrueNASOptionError,
    TrueNASUnsupportedError,
)

LOGIN_OPTIONS = {"user_info": False}

SCRAM = "SCRAM"
SCRAM_MIN_ITERATIONS = 50000
SCRAM_MAX_ITERATIONS = 5000000
SCRAM_NONCE_BYTES = 32
# The text of TrueNAS 25.04.2 - 25.10.x's error for auth.mechanism_choices before login: there is no
# SCRAM on those releases.
MECHANISM_CHOICES_BUG = "may_create_auth_token"
LOOPBACK_NAMES = ("localhost", "localhost.", "localhost.localdomain")


def is_loopback(host):
    """True for ``localhost``, 127.0.0.0/8 and ::1 (nothing resolved, nothing guessed)."""
    if not isinstance(host, str) or not host:
        return False
    host = host.strip("[]").lower()
    if host in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host.split("%", 1)[0]).is_loopback
    except ValueError:
        return False


def url_scheme_and_host(url):
    """``("ws"|"wss", host)`` of a WebSocket URL."""
    scheme, rest = url.split("://", 1) if "://" in url else ("", url)
    hostport = rest.split("/", 1)[0]
    if hostport.startswith("["):
        host = hostport[1:].split("]", 1)[0]
    elif hostport.count(":") == 1:
        host = hostport.split(":", 1)[0]
    else:
        host = hostport
    return scheme.lower(), host


def _check_text(name, value):
    if value is None:
        return
    if not isinstance(value, str):
        raise TrueNASOptionError("%s must be a string" % name, option=name)
    if not value.strip():
        raise TrueNASOptionError("%s must not be empty" % name, option=name)


# ---- SCRAM-SHA-512 ------------------------------------------------------------------------------

def _b64(data):
    return base64.b64encode(data).decode("ascii")


def _scram_name(text):
    """RFC 5802 ``saslname``: ``=`` and ``,`` escaped."""
    return text.replace("=", "=3D").replace(",", "=2C")


def _scram_attributes(message):
    """``"r=abc,s=def,i=1"`` -> ``{"r": "abc", "s": "def", "i": "1"}``; ValueError when malformed."""
    out = {}
    for part in message.split(","):
        key, sep, value = part.partition("=")
        if not sep or len(key) != 1 or key in out:
            raise ValueError("malformed SCRAM message %r" % (message,))
        out[key] = value
    return out


def scram_keys(secret, salt, iterations):
    """``(client_key, stored_key, server_key)`` of ``secret`` (bytes) for ``salt`` and ``iterations``.

    SaltedPassword = PBKDF2-HMAC-SHA512(secret, salt, iterations); ClientKey = HMAC(SaltedPassword,
    "Client Key"); StoredKey = SHA512(ClientKey); ServerKey = HMAC(SaltedPassword, "Server Key").
    """
    salted = hashlib.pbkdf2_hmac("sha512", secret, salt, iterations)
    client_key = hmac.new(salted, b"Client Key", hashlib.sha512).digest()
    server_key = hmac.new(salted, b"Server Key", hashlib.sha512).digest()
    return client_key, hashlib.sha512(client_key).digest(), server_key


class ScramClient:
    """The client side of one SCRAM-SHA-512 exchange for a TrueNAS API key ``<id>-<secret>``.

    ``first()`` is the client-first-message (``n,,n=<user>:<key id>,r=<nonce>``), ``final(server_first)``
    the client-final-message with the proof, and ``verify(server_final)`` checks the server's
    signature (``v=``), which proves the server knows the key too. Raises TrueNASAuthError for a
    server message that does not fit this exchange.
    """

    def __init__(self, username, key_id, secret, nonce=None):
        self.username = username
        self.key_id = key_id
        self._secret = secret.encode("utf-8")
        self.nonce = nonce if nonce is not None else os.urandom(SCRAM_NONCE_BYTES)
        self.client_first_bare = "n=%s:%d,r=%s" % (_scram_name(username), key_id, _b64(self.nonce))
        self._server_key = None
        self._auth_message = None

    def first(self):
        return "n,," + self.client_first_bare

    def final(self, server_first):
        try:
            attrs = _scram_attributes(server_first)
            combined = base64.b64decode(attrs["r"], validate=True)
            salt = base64.b64decode(attrs["s"], validate=True)
            iterations = int(attrs["i"])
        except (KeyError, ValueError, TypeError) as exc:
            raise TrueNASAuthError("auth.login_ex: the server's SCRAM challenge is malformed (%s)" % exc,
                                   method="auth.login_ex")
        if len(combined) <= len(self.nonce) or not hmac.compare_digest(combined[:len(self.nonce)], self.nonce):
            raise TrueNASAuthError("auth.login_ex: the server's SCRAM challenge does not continue this client's "
                                   "nonce", method="auth.login_ex")
        if not SCRAM_MIN_ITERATIONS <= iterations <= SCRAM_MAX_ITERATIONS or not salt:
            raise TrueNASAuthError("auth.login_ex: the server's SCRAM challenge asks for %d iterations (allowed: %d "
                                   "to %d)" % (iterations, SCRAM_MIN_ITERATIONS, SCRAM_MAX_ITERATIONS),
                                   method="auth.login_ex")
        client_key, stored_key, self._server_key = scram_keys(self._secret, salt, iterations)
        without_proof = "c=%s,r=%s" % (_b64(b"n,,"), attrs["r"])
        self._auth_message = ",".join((self.client_first_bare, server_first, without_proof)).encode("utf-8")
        signature = hmac.new(stored_key, self._auth_message, hashlib.sha512).digest()
        proof = bytes(a ^ b for a, b in zip(client_key, signature))
        return "%s,p=%s" % (without_proof, _b64(proof))

    def verify(self, server_final):
        """True when ``v=`` of ``server_final`` is the signature only the key's owner can compute."""
        if self._server_key is None:
            return False
        try:
            given = base64.b64decode(_scram_attributes(server_final)["v"], validate=True)
        except (KeyError, ValueError, TypeError):
            return False
        expected = hmac.new(self._server_key, self._auth_message, hashlib.sha512).digest()
        return hmac.compare_digest(given, expected)


def split_api_key(api_key):
    """``"12-abc..."`` -> ``(12, "abc...")``; None when the key is not in the TrueNAS form."""
    key_id, sep, secret = api_key.partition("-")
    if not sep or not secret or not key_id.isdigit():
        return None
    return int(key_id), secret


class AuthMechanism:
    NAME = None
    OPTIONS = ()

    def describe(self):
        return self.NAME

    def validate(self, url):
        raise NotImplementedError

    def authenticate(self, rpc, reconnect=False):
        raise NotImplementedError

    @staticmethod
    def _response_type(result, method):
        if not isinstance(result, dict) or not isinstance(result.get("response_type"), str):
            raise TrueNASAuthError(
                "%s: unexpected reply from the server (no response_type); is this TrueNAS 25.04 or later?" % method,
                method=method,
            )
        return result["response_type"]

    @staticmethod
    def _redirect(result, method):
        urls = result.get("urls") if isinstance(result.get("urls"), list) else []
        where = ", ".join(str(u) for u in urls) or "(no URL given)"
        return TrueNASAuthError(
            "%s: this TrueNAS controller is the HA standby; connect to the active controller instead: %s" % (method, where),
            method=method,
        )


class ApiKeyAuth(AuthMechanism):
    """API key login: ``API_KEY_PLAIN`` with ``username``, or ``auth.login_with_api_key`` without."""

    NAME = "api_key"
    OPTIONS = ("api_key", "username")

    def __init__(self, api_key, username=None):
        self._api_key = api_key
        self.username = username
        self.insecure_transport = False
        # None until the first login asks the server; then True (SCRAM) or False (API_KEY_PLAIN)
        # for every later login of these credentials.
        self.use_scram = None

    def describe(self):
        if self.username:
            return "api_key (user %s)" % self.username
        return "api_key"

    def validate(self, url):
        _check_text("api_key", self._api_key)
        _check_text("username", self.username)
        scheme, host = url_scheme_and_host(url)
        self.insecure_transport = scheme != "wss"
        if scheme == "ws" and not is_loopback(host):
            raise TrueNASAuthError(
                "refusing to send api_key over unencrypted ws:// to %s: TrueNAS revokes an API key the moment it is "
                "used over an insecure transport. Use wss:// (the default when you give host), or connect to a "
                "loopback address (for example through an SSH tunnel)." % host
            )

    def authenticate(self, rpc, reconnect=False):
        if not self.username:
            method = "auth.login_with_api_key"
            result = rpc.call(method, self._api_key)
            if result is True:
                return
            if result is False:
                raise TrueNASAuthError(
                    "%s: the API key was rejected (wrong, revoked or expired key). Set username as well to get a "
                    "more precise answer from auth.login_ex." % method, method=method)
            raise TrueNASAuthError("%s: unexpected reply from the server" % method, method=method)
        if self.use_scram is None:
            self.use_scram = SCRAM in self._mechanisms(rpc)
        if self.use_scram:
            self._scram_login(rpc)
            return
        method = "auth.login_ex"
        result = rpc.call(method, {
            "mechanism": "API_KEY_PLAIN",
            "username": self.username,
            "api_key": self._api_key,
            "login_options": dict(LOGIN_OPTIONS),
        })
        self._check_plain(result, method)

    @staticmethod
    def _mechanisms(rpc):
        """The login mechanisms the server offers; ``[]`` where it cannot say (no SCRAM there)."""
        try:
            choices = rpc.call("auth.mechanism_choices")
        except TrueNASUnsupportedError:
            return []
        except TrueNASError as exc:
            if MECHANISM_CHOICES_BUG in str(exc):
                return []
            raise
        return [c for c in choices if isinstance(c, str)] if isinstance(choices, list) else []

    def _scram_login(self, rpc):
        parts = split_api_key(self._api_key)
        if parts is None:
            raise TrueNASAuthError("api_key is not a TrueNAS API key: it has the form <id>-<key>, such as 1-AbC...",
                                   method="auth.login_ex")
        exchange = ScramClient(self.username, parts[0], parts[1])
        method = "auth.login_ex"
        result = rpc.call(method, {"mechanism": SCRAM, "scram_type": "CLIENT_FIRST_MESSAGE",
                                   "rfc_str": exchange.first(), "login_options": dict(LOGIN_OPTIONS)})
        self._scram_step(result, method, "SERVER_FIRST_RESPONSE")
        method = "auth.login_ex_continue"
        result = rpc.call(method, {"mechanism": SCRAM, "scram_type": "CLIENT_FINAL_MESSAGE",
                                   "rfc_str": exchange.final(result["rfc_str"])})
        self._scram_step(result, method, "SERVER_FINAL_RESPONSE")
        if not exchange.verify(result["rfc_str"]):
            raise TrueNASAuthError(
                "%s: the server accepted the SCRAM login but could not prove that it knows the API key of user %s; "
                "refusing to use this connection (is it really your TrueNAS?)" % (method, self.username),
                method=method)

    def _scram_step(self, result, method, expected):
        response = self._response_type(result, method)
        if response == "SCRAM_RESPONSE" and result.get("scram_type") == expected and isinstance(
                result.get("rfc_str"), str):
            return
        if response in ("SCRAM_RESPONSE", "SUCCESS"):
            raise TrueNASAuthError("%s: unexpected SCRAM reply (%s %s)" % (method, response, result.get("scram_type")),
                                   method=method)
        self._check_plain(result, method, scram=True)

    def _check_plain(self, result, method, scram=False):
        response = self._response_type(result, method)
        if response == "SUCCESS" and not scram:
            return
        if response == "AUTH_ERR":
            raise TrueNASAuthError(
                "%s: authentication failed%s: the API key is wrong, revoked, or does not belong to user %s"
                % (method, " (SCRAM)" if scram else "", self.username), method=method)
        if response == "EXPIRED":
            text = "%s: the API key of user %s was revoked or has expired; it must be reset (or a new key created)" % (
                method, self.username)
            if self.insecure_transport:
                text += ". TrueNAS revokes API keys used over an insecure transport; connect with wss://"
            raise TrueNASAuthError(text, method=method)
        if response == "OTP_REQUIRED":
            raise TrueNASAuthError("%s: the server asked for a one-time password after an API key login" % method,
                                   method=method)
        if response == "REDIRECT":
            raise self._redirect(result, method)
        if response == "DENIED":
            raise TrueNASAuthError("%s: user %s is not allowed to use the API" % (method, self.username), method=method)
        raise TrueNASAuthError("%s: unexpected login response %s" % (method, response), method=method)


class PasswordAuth(AuthMechanism):
    """``PASSWORD_PLAIN`` login, continued with ``OTP_TOKEN`` when the account has 2FA.

    The one-time password is used at most once: a later re-authentication (after a dropped
    connection) that needs an OTP fails clearly instead of replaying it.
    """

    NAME = "password"
    OPTIONS = ("username", "password", "otp_token")

    def __init__(self, username, password, otp_token=None):
        self.username = username
        self._password = password
        self._otp_token = otp_token
        self.otp_used = False
        self.insecure_transport = False
        self.warnings = []

    def describe(self):
        return "password (user %s)" % self.username

    def validate(self, url):
        _check_text("username", self.username)
        _check_text("password", self._password)
        _check_text("otp_token", self._otp_token)
        scheme, host = url_scheme_and_host(url)
        self.insecure_transport = scheme != "wss"
        self.warnings = []
        if scheme == "ws" and not is_loopback(host):
            self.warnings.append(
                "the password for %s is sent unencrypted over ws:// to %s; use wss:// to protect it" % (self.username, host))

    def authenticate(self, rpc, reconnect=False):
        method = "auth.login_ex"
        result = rpc.call(method, {
            "mechanism": "PASSWORD_PLAIN",
            "username": self.username,
            "password": self._password,
            "login_options": dict(LOGIN_OPTIONS),
        })
        response = self._response_type(result, method)
        if response == "OTP_REQUIRED":
            self._continue_with_otp(rpc)
            return
        self._check_final(response, result, method, after_otp=False)

    def _continue_with_otp(self, rpc):
        if not self._otp_token:
            raise TrueNASAuthError(
                "auth.login_ex: user %s has two-factor authentication enabled: set otp_token to a current one-time "
                "password" % self.username, method="auth.login_ex")
        if self.otp_used:
            raise TrueNASAuthError(
                "auth.login_ex: re-authentication after the connection was lost needs a new one-time password; "
                "otp_token was already used and is never sent twice", method="auth.login_ex")
        method = "auth.login_ex_continue"
        self.otp_used = True
        result = rpc.call(method, {"mechanism": "OTP_TOKEN", "otp_token": self._otp_token})
        response = self._response_type(result, method)
        self._check_final(response, result, method, after_otp=True)

    def _check_final(self, response, result, method, after_otp):
        if response == "SUCCESS":
            return
        if after_otp and response in ("OTP_REQUIRED", "AUTH_ERR"):
            raise TrueNASAuthError(
                "%s: invalid OTP: otp_token was rejected for user %s (wrong or expired one-time password)"
                % (method, self.username), method=method)
        if response == "AUTH_ERR":
            raise TrueNASAuthError(
                "%s: authentication failed: wrong username or password for user %s" % (method, self.username),
                method=method)
        if response == "EXPIRED":
            raise TrueNASAuthError(
                "%s: the password or account of user %s has expired (or a password change is required); "
                "change it in TrueNAS first" % (method, self.username), method=method)
        if response == "REDIRECT":
            raise self._redirect(result, method)
        if response == "DENIED":
            raise TrueNASAuthError("%s: user %s is not allowed to use the API" % (method, self.username), method=method)
        raise TrueNASAuthError("%s: unexpected login response %s" % (method, response), method=method)


# Selector, in alphabetical order.
MECHANISMS = {
    ApiKeyAuth.NAME: ApiKeyAuth,
    PasswordAuth.NAME: PasswordAuth,
}


def select_auth(api_key=None, username=None, password=None, otp_token=None):
    """The mechanism the given options ask for; conflicting or incomplete sets raise
    TrueNASOptionError naming the options."""
    for name, value in (("api_key", api_key), ("username", username), ("password", password), ("otp_token", otp_token)):
        _check_text(name, value)
    if api_key and password:
        raise TrueNASOptionError("api_key and password are mutually exclusive: give one of them", option="api_key")
    if api_key:
        if otp_token:
            raise TrueNASOptionError("otp_token is only used with username and password, not with api_key",
                                     option="otp_token")
        return MECHANISMS["api_key"](api_key, username=username)
    if password:
        if not username:
            raise TrueNASOptionError("password needs username", option="username")
        return MECHANISMS["password"](username, password, otp_token=otp_token)
    if otp_token:
        raise TrueNASOptionError("otp_token needs username and password", option="password")
    if username:
        raise TrueNASOptionError("username needs password (or api_key)", option="password")
    raise TrueNASOptionError("no credentials: set api_key (with username), or username and password", option="api_key")
