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
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import ipaddress

from ansible_collections.nasops.truenas.plugins.module_utils._errors import (
    TrueNASAuthError,
    TrueNASOptionError,
)

LOGIN_OPTIONS = {"user_info": False}
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
        method = "auth.login_ex"
        result = rpc.call(method, {
            "mechanism": "API_KEY_PLAIN",
            "username": self.username,
            "api_key": self._api_key,
            "login_options": dict(LOGIN_OPTIONS),
        })
        response = self._response_type(result, method)
        if response == "SUCCESS":
            return
        if response == "AUTH_ERR":
            raise TrueNASAuthError(
                "%s: authentication failed: the API key is wrong, revoked, or does not belong to user %s"
                % (method, self.username), method=method)
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
