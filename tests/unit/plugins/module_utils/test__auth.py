# Copyright (c) nasops contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Authentication mechanisms: option selection, local validation and every login outcome."""

import pytest

from ansible_collections.nasops.truenas.plugins.module_utils._auth import (
    ApiKeyAuth,
    PasswordAuth,
    is_loopback,
    select_auth,
)
from ansible_collections.nasops.truenas.plugins.module_utils._client import ConnectionSettings, TrueNASClient
from ansible_collections.nasops.truenas.plugins.module_utils._errors import (
    TrueNASAuthError,
    TrueNASBusyError,
    TrueNASOptionError,
)

from .conftest import API_KEY, OTP, PASSWORD, WireError


class StubRPC:
    """Answers calls from a list of results; records (method, params)."""

    def __init__(self, *results):
        self.results = list(results)
        self.calls = []

    def call(self, method, *params, **kwargs):
        self.calls.append((method, params))
        result = self.results.pop(0)
        if isinstance(result, Exception):
            raise result
        return result


def api_key_auth(username="admin", url="wss://nas.example/api/current"):
    auth = ApiKeyAuth(API_KEY, username=username)
    auth.validate(url)
    return auth


def password_auth(otp_token=None, url="wss://nas.example/api/current"):
    auth = PasswordAuth("admin", PASSWORD, otp_token=otp_token)
    auth.validate(url)
    return auth


# -- option selection ----------------------------------------------------------------------------

@pytest.mark.parametrize("options, message, option", [
    ({"api_key": API_KEY, "password": PASSWORD, "username": "admin"},
     "api_key and password are mutually exclusive: give one of them", "api_key"),
    ({"api_key": API_KEY, "otp_token": OTP}, "otp_token is only used with username and password, not with api_key",
     "otp_token"),
    ({"password": PASSWORD}, "password needs username", "username"),
    ({"username": "admin"}, "username needs password (or api_key)", "password"),
    ({"otp_token": OTP}, "otp_token needs username and password", "password"),
    ({}, "no credentials: set api_key (with username), or username and password", "api_key"),
    ({"api_key": ""}, "api_key must not be empty", "api_key"),
    ({"api_key": 12345}, "api_key must be a string", "api_key"),
    ({"username": "admin", "password": "   "}, "password must not be empty", "password"),
])
def test_bad_option_combinations_name_the_options(options, message, option):
    with pytest.raises(TrueNASOptionError) as info:
        select_auth(**options)
    assert info.value.message == message
    assert info.value.option == option
    assert PASSWORD not in info.value.message and API_KEY not in info.value.message


def test_selection():
    assert isinstance(select_auth(api_key=API_KEY, username="admin"), ApiKeyAuth)
    assert isinstance(select_auth(api_key=API_KEY), ApiKeyAuth)
    chosen = select_auth(username="admin", password=PASSWORD, otp_token=OTP)
    assert isinstance(chosen, PasswordAuth)
    assert chosen.describe() == "password (user admin)"


@pytest.mark.parametrize("host, loopback", [
    ("localhost", True), ("LOCALHOST", True), ("127.0.0.1", True), ("127.8.9.10", True), ("::1", True),
    ("[::1]", True), ("10.0.0.5", False), ("nas.example", False), ("128.0.0.1", False), ("localhost.evil", False),
    ("", False),
])
def test_is_loopback(host, loopback):
    assert is_loopback(host) is loopback


# -- API keys ------------------------------------------------------------------------------------

@pytest.mark.parametrize("url", ["ws://10.0.0.5/api/current", "ws://nas.example:8080/api/current",
                                 "ws://[fd00::5]/api/current"])
def test_api_key_over_plain_ws_to_a_remote_host_is_refused(url):
    auth = ApiKeyAuth(API_KEY, username="admin")
    with pytest.raises(TrueNASAuthError) as info:
        auth.validate(url)
    assert info.value.message.startswith("refusing to send api_key over unencrypted ws:// to ")
    assert "TrueNAS revokes an API key the moment it is used over an insecure transport" in info.value.message
    assert API_KEY not in info.value.message


@pytest.mark.parametrize("url", ["ws://127.0.0.1:8080/api/current", "ws://localhost/api/current",
                                 "ws://[::1]:6000/api/current", "wss://10.0.0.5/api/current"])
def test_api_key_over_loopback_or_tls_is_allowed(url):
    ApiKeyAuth(API_KEY, username="admin").validate(url)


def test_refusal_happens_before_anything_is_connected_or_sent(server, clock):
    with pytest.raises(TrueNASAuthError):
        ConnectionSettings.from_mapping({"url": "ws://10.1.2.3/api/current", "api_key": API_KEY, "username": "admin"})
    settings = ConnectionSettings.from_mapping({"url": "ws://127.0.0.1/api/current", "api_key": API_KEY,
                                                "username": "admin"})
    settings.endpoint = "ws://10.1.2.3/api/current"
    client = TrueNASClient(settings, transport_factory=server.transport_factory, clock=clock, sleep=clock.sleep)
    with pytest.raises(TrueNASAuthError) as info:
        client.connect()
    assert "refusing to send api_key" in info.value.message
    assert server.connect_attempts == 0
    assert server.requests == []


def test_api_key_login_payload():
    rpc = StubRPC({"response_type": "SUCCESS", "user_info": None, "authenticator": "LEVEL_1"})
    api_key_auth().authenticate(rpc)
    assert rpc.calls == [("auth.login_ex", ({"mechanism": "API_KEY_PLAIN", "username": "admin", "api_key": API_KEY,
                                             "login_options": {"user_info": False}},))]


def test_api_key_without_username_uses_the_legacy_method():
    rpc = StubRPC(True)
    api_key_auth(username=None).authenticate(rpc)
    assert rpc.calls == [("auth.login_with_api_key", (API_KEY,))]
    with pytest.raises(TrueNASAuthError) as info:
        api_key_auth(username=None).authenticate(StubRPC(False))
    assert info.value.message == ("auth.login_with_api_key: the API key was rejected (wrong, revoked or expired key). "
                                  "Set username as well to get a more precise answer from auth.login_ex.")


@pytest.mark.parametrize("result, message", [
    ({"response_type": "AUTH_ERR"},
     "auth.login_ex: authentication failed: the API key is wrong, revoked, or does not belong to user admin"),
    ({"response_type": "EXPIRED"},
     "auth.login_ex: the API key of user admin was revoked or has expired; it must be reset (or a new key created)"),
    ({"response_type": "REDIRECT", "urls": ["https://10.0.0.11", "https://nas-b.example"]},
     "auth.login_ex: this TrueNAS controller is the HA standby; connect to the active controller instead: "
     "https://10.0.0.11, https://nas-b.example"),
    ({"response_type": "DENIED"}, "auth.login_ex: user admin is not allowed to use the API"),
    ({"response_type": "SCRAM_RESPONSE"}, "auth.login_ex: unexpected login response SCRAM_RESPONSE"),
    ({"response_type": "OTP_REQUIRED", "username": "admin"},
     "auth.login_ex: the server asked for a one-time password after an API key login"),
    ("yes", "auth.login_ex: unexpected reply from the server (no response_type); is this TrueNAS 25.04 or later?"),
])
def test_api_key_outcomes(result, message):
    with pytest.raises(TrueNASAuthError) as info:
        api_key_auth().authenticate(StubRPC(result))
    assert info.value.message == message
    assert API_KEY not in info.value.message


def test_expired_key_over_plain_ws_explains_the_revocation():
    auth = api_key_auth(url="ws://127.0.0.1:9000/api/current")
    with pytest.raises(TrueNASAuthError) as info:
        auth.authenticate(StubRPC({"response_type": "EXPIRED"}))
    assert info.value.message == (
        "auth.login_ex: the API key of user admin was revoked or has expired; it must be reset (or a new key "
        "created). TrueNAS revokes API keys used over an insecure transport; connect with wss://")


def test_login_errors_propagate_mapped():
    busy = TrueNASBusyError("auth.login_ex: [EBUSY] Rate Limit Exceeded", retryable=False)
    with pytest.raises(TrueNASBusyError):
        api_key_auth().authenticate(StubRPC(busy))


# -- passwords and OTP ---------------------------------------------------------------------------

def test_password_login_payload():
    rpc = StubRPC({"response_type": "SUCCESS", "user_info": None})
    password_auth().authenticate(rpc)
    assert rpc.calls == [("auth.login_ex", ({"mechanism": "PASSWORD_PLAIN", "username": "admin",
                                             "password": PASSWORD, "login_options": {"user_info": False}},))]


@pytest.mark.parametrize("result, message", [
    ({"response_type": "AUTH_ERR"}, "auth.login_ex: authentication failed: wrong username or password for user admin"),
    ({"response_type": "EXPIRED"}, "auth.login_ex: the password or account of user admin has expired (or a password "
                                   "change is required); change it in TrueNAS first"),
    ({"response_type": "REDIRECT", "urls": []}, "auth.login_ex: this TrueNAS controller is the HA standby; connect to "
                                                "the active controller instead: (no URL given)"),
    ({"response_type": "DENIED"}, "auth.login_ex: user admin is not allowed to use the API"),
    ({"response_type": "OTP_REQUIRED", "username": "admin"},
     "auth.login_ex: user admin has two-factor authentication enabled: set otp_token to a current one-time password"),
])
def test_password_outcomes(result, message):
    with pytest.raises(TrueNASAuthError) as info:
        password_auth().authenticate(StubRPC(result))
    assert info.value.message == message
    assert PASSWORD not in info.value.message


def test_otp_flow_sends_the_token_once_with_login_ex_continue():
    rpc = StubRPC({"response_type": "OTP_REQUIRED", "username": "admin"}, {"response_type": "SUCCESS"})
    auth = password_auth(otp_token=OTP)
    auth.authenticate(rpc)
    assert [c[0] for c in rpc.calls] == ["auth.login_ex", "auth.login_ex_continue"]
    assert rpc.calls[1][1] == ({"mechanism": "OTP_TOKEN", "otp_token": OTP},)
    assert auth.otp_used is True


@pytest.mark.parametrize("second", [{"response_type": "OTP_REQUIRED", "username": "admin"},
                                    {"response_type": "AUTH_ERR"}])
def test_wrong_otp_says_invalid_otp(second):
    rpc = StubRPC({"response_type": "OTP_REQUIRED", "username": "admin"}, second)
    with pytest.raises(TrueNASAuthError) as info:
        password_auth(otp_token=OTP).authenticate(rpc)
    assert info.value.message == ("auth.login_ex_continue: invalid OTP: otp_token was rejected for user admin "
                                  "(wrong or expired one-time password)")
    assert OTP not in info.value.message


def test_otp_is_never_replayed_on_reconnect():
    auth = password_auth(otp_token=OTP)
    auth.authenticate(StubRPC({"response_type": "OTP_REQUIRED"}, {"response_type": "SUCCESS"}))
    again = StubRPC({"response_type": "OTP_REQUIRED", "username": "admin"})
    with pytest.raises(TrueNASAuthError) as info:
        auth.authenticate(again, reconnect=True)
    assert info.value.message == ("auth.login_ex: re-authentication after the connection was lost needs a new "
                                  "one-time password; otp_token was already used and is never sent twice")
    assert [c[0] for c in again.calls] == ["auth.login_ex"]


def test_otp_token_given_but_not_needed_is_not_sent():
    rpc = StubRPC({"response_type": "SUCCESS"})
    auth = password_auth(otp_token=OTP)
    auth.authenticate(rpc)
    assert [c[0] for c in rpc.calls] == ["auth.login_ex"]
    assert auth.otp_used is False


def test_password_over_plain_ws_to_a_remote_host_warns():
    auth = PasswordAuth("admin", PASSWORD)
    auth.validate("ws://10.0.0.5/api/current")
    assert auth.warnings == ["the password for admin is sent unencrypted over ws:// to 10.0.0.5; use wss:// to "
                             "protect it"]
    auth.validate("ws://127.0.0.1/api/current")
    assert auth.warnings == []


# -- through the client --------------------------------------------------------------------------

def make_client(server, clock, lines, **options):
    mapping = {"url": "ws://127.0.0.1:6000/api/current", "username": "admin", "password": PASSWORD}
    mapping.update(options)
    return TrueNASClient(ConnectionSettings.from_mapping(mapping), log=lines.append,
                         transport_factory=server.transport_factory, clock=clock, sleep=clock.sleep)


def test_failed_login_closes_the_socket(server, clock):
    server.handlers["auth.login_ex"] = lambda ctx, data: {"response_type": "AUTH_ERR"}
    client = make_client(server, clock, [])
    with pytest.raises(TrueNASAuthError):
        client.connect()
    assert server.transports[0].closed_by_client is True
    assert client.connected is False
    assert server.methods() == ["auth.login_ex"]


def test_login_error_reply_closes_the_socket(server, clock):
    def login(ctx, data):
        raise WireError({"code": -32001, "message": "Method call error",
                         "data": {"error": 16, "errname": "EBUSY", "reason": "[EBUSY] Rate Limit Exceeded"}})

    server.handlers["auth.login_ex"] = login
    client = make_client(server, clock, [])
    client.login_rate_limit_wait = 0
    with pytest.raises(TrueNASBusyError) as info:
        client.connect()
    assert info.value.message == "auth.login_ex: [EBUSY] Rate Limit Exceeded"
    assert info.value.retryable is False
    assert server.transports[0].closed_by_client is True
    assert server.connect_attempts == 1


def test_password_warning_reaches_log_and_warnings(server, clock):
    lines = []
    client = make_client(server, clock, lines, url="ws://10.9.8.7/api/current")
    client.connect()
    warning = "the password for admin is sent unencrypted over ws:// to 10.9.8.7; use wss:// to protect it"
    assert client.warnings == [warning]
    assert "WARNING: " + warning in lines
    assert PASSWORD not in "\n".join(lines)


def test_otp_login_through_the_client_and_no_replay_after_a_drop(server, clock):
    logins = []

    def login(ctx, data):
        logins.append(data["mechanism"])
        return {"response_type": "OTP_REQUIRED", "username": "admin"}

    def login_continue(ctx, data):
        logins.append(data["mechanism"])
        return {"response_type": "SUCCESS"} if data["otp_token"] == OTP else {"response_type": "OTP_REQUIRED"}

    server.handlers["auth.login_ex"] = login
    server.handlers["auth.login_ex_continue"] = login_continue
    client = make_client(server, clock, [], otp_token=OTP)
    client.connect()
    assert logins == ["PASSWORD_PLAIN", "OTP_TOKEN"]
    client.close()
    with pytest.raises(TrueNASAuthError) as info:
        client.connect()
    assert "otp_token was already used and is never sent twice" in info.value.message
    assert logins == ["PASSWORD_PLAIN", "OTP_TOKEN", "PASSWORD_PLAIN"]
