# Copyright (c) nasops contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Authentication mechanisms: option selection, local validation and every login outcome."""

import base64
import hashlib
import hmac

import pytest

from ansible_collections.nasops.truenas.plugins.module_utils._auth import (
    ApiKeyAuth,
    PasswordAuth,
    ScramClient,
    is_loopback,
    scram_keys,
    select_auth,
)
from ansible_collections.nasops.truenas.plugins.module_utils._client import ConnectionSettings, TrueNASClient
from ansible_collections.nasops.truenas.plugins.module_utils._errors import (
    TrueNASAuthError,
    TrueNASBusyError,
    TrueNASOptionError,
    error_from_wire,
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


def api_key_auth(username="admin", url="wss://nas.example/api/current", use_scram=False):
    """An ApiKeyAuth whose SCRAM decision is already made (``use_scram=None``: asked at login)."""
    auth = ApiKeyAuth(API_KEY, username=username)
    auth.validate(url)
    auth.use_scram = use_scram
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


# -- SCRAM-SHA-512 (TrueNAS 26) -------------------------------------------------------------------
# Known vectors: the RFC 7677 inputs adapted to TrueNAS's SCRAM (SHA-512, an API key "<id>-<secret>"
# whose secret is the password and whose id follows the user name, raw nonces in base64, at least
# 50000 iterations), computed with an independent SCRAM-SHA-512 implementation.
SCRAM_NONCE = bytes(range(1, 31))
SCRAM_SERVER_FIRST = ("r=AQIDBAUGBwgJCgsMDQ4PEBESExQVFhcYGRobHB0eZWZnaGlqa2xtbm9wcXJzdHV2d3h5ent8fX5/gIGCg4Q=,"
                      "s=W22ZaJ0SNY7soEsUEjb6gQ==,i=50000")
SCRAM_CLIENT_FINAL = ("c=biws,r=AQIDBAUGBwgJCgsMDQ4PEBESExQVFhcYGRobHB0eZWZnaGlqa2xtbm9wcXJzdHV2d3h5ent8fX5/gIGCg4Q=,"
                      "p=l4R8y1LMUfbzxoXTMnd0H1u+cEAzNBMNlGrq+RB41amNChHzkvnHPUBvegDaWfE1Zp/unWAP70z3P/KhvjeTmA==")
SCRAM_SERVER_FINAL = "v=qboE6s5E3G0KdoIFnK9cLtrcqAfA2oEFslfZhajA6NXJmb/5BpLkPgL4Y0AB+qYGqXUXWd8O7syOoIORnFIO+A=="
SCRAM_STORED_KEY = "EseCQKWxqqAA+vgGCYIwvTkUSPM/73HJ9XwfYW4OmGXE7ExoOSEGk+0pQeD1/DWPV5V/tTKCLQRMlLZ1fRyUPQ=="
SCRAM_SERVER_KEY = "WLNhJ+FWmbOSqkk/ECF3e/yHfElxRCScVhUalI4SqWHQSMZbJtmA48h/tP4gkzR7155794ehi2pQa0Ph9WpjQQ=="


def test_scram_known_vectors():
    exchange = ScramClient("user", 7, "pencil", nonce=SCRAM_NONCE)
    assert exchange.first() == "n,,n=user:7,r=AQIDBAUGBwgJCgsMDQ4PEBESExQVFhcYGRobHB0e"
    assert exchange.final(SCRAM_SERVER_FIRST) == SCRAM_CLIENT_FINAL
    assert exchange.verify(SCRAM_SERVER_FINAL) is True
    assert exchange.verify("v=" + SCRAM_SERVER_FINAL[3:].replace("q", "Q", 1)) is False
    _client, stored, server = scram_keys(b"pencil", base64.b64decode("W22ZaJ0SNY7soEsUEjb6gQ=="), 50000)
    assert (base64.b64encode(stored).decode(), base64.b64encode(server).decode()) == (SCRAM_STORED_KEY, SCRAM_SERVER_KEY)


@pytest.mark.parametrize("server_first, message", [
    ("r=AAAA,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=50000", "does not continue this client's nonce"),
    (SCRAM_SERVER_FIRST.replace("i=50000", "i=4096"), "asks for 4096 iterations (allowed: 50000 to 5000000)"),
    ("s=W22ZaJ0SNY7soEsUEjb6gQ==,i=50000", "malformed"),
])
def test_scram_refuses_a_wrong_challenge(server_first, message):
    with pytest.raises(TrueNASAuthError) as info:
        ScramClient("user", 7, "pencil", nonce=SCRAM_NONCE).final(server_first)
    assert message in info.value.message


def scram_rpc(final_result=None, choices=("API_KEY_PLAIN", "PASSWORD_PLAIN", "TOKEN_PLAIN", "OTP_TOKEN", "SCRAM")):
    """A stub 26 server for the key API_KEY ("7-<secret>") of user admin, answering the SCRAM steps."""
    secret = API_KEY.split("-", 1)[1]

    class Rpc(StubRPC):
        def call(self, method, *params, **kwargs):
            self.calls.append((method, params))
            if method == "auth.mechanism_choices":
                return list(choices)
            data = params[0]
            if data["scram_type"] == "CLIENT_FIRST_MESSAGE":
                self.bare = data["rfc_str"][3:]
                nonce = data["rfc_str"].rsplit("r=", 1)[1]
                combined = base64.b64encode(base64.b64decode(nonce) + b"S" * 32).decode()
                self.server_first = "r=%s,s=%s,i=50000" % (combined, base64.b64encode(b"salt" * 4).decode())
                return {"response_type": "SCRAM_RESPONSE", "scram_type": "SERVER_FIRST_RESPONSE",
                        "rfc_str": self.server_first, "user_info": None}
            if final_result is not None:
                return final_result
            _c, stored, server_key = scram_keys(secret.encode(), b"salt" * 4, 50000)
            without_proof = data["rfc_str"].rsplit(",p=", 1)[0]
            message = ",".join((self.bare, self.server_first, without_proof)).encode()
            signature = hmac.new(server_key, message, hashlib.sha512).digest()
            return {"response_type": "SCRAM_RESPONSE", "scram_type": "SERVER_FINAL_RESPONSE",
                    "rfc_str": "v=" + base64.b64encode(signature).decode(), "user_info": None}

    return Rpc()


def test_scram_when_offered_and_the_key_never_crosses_the_wire():
    auth = api_key_auth(use_scram=None)
    rpc = scram_rpc()
    auth.authenticate(rpc)
    assert [c[0] for c in rpc.calls] == ["auth.mechanism_choices", "auth.login_ex", "auth.login_ex_continue"]
    first, final = rpc.calls[1][1][0], rpc.calls[2][1][0]
    assert (first["mechanism"], first["scram_type"]) == ("SCRAM", "CLIENT_FIRST_MESSAGE")
    assert first["rfc_str"].startswith("n,,n=admin:7,r=")
    assert (final["mechanism"], final["scram_type"]) == ("SCRAM", "CLIENT_FINAL_MESSAGE")
    assert API_KEY.split("-", 1)[1] not in repr(rpc.calls)
    # A later login (after a dropped connection) keeps SCRAM without asking again.
    again = scram_rpc()
    auth.authenticate(again, reconnect=True)
    assert [c[0] for c in again.calls] == ["auth.login_ex", "auth.login_ex_continue"]


def wire_error(code, errno=None, errname=None, reason=None):
    """A TrueNASError as the client makes it from a JSON-RPC error of auth.mechanism_choices."""
    data = {"error": errno, "errname": errname, "reason": reason, "extra": None} if errno is not None else None
    error = {"code": code, "message": reason or "Method does not exist", "data": data}
    return error_from_wire(error, "auth.mechanism_choices")


@pytest.mark.parametrize("choices", [
    ["API_KEY_PLAIN", "PASSWORD_PLAIN", "TOKEN_PLAIN", "OTP_TOKEN"],                        # 25.04.0/.1
    wire_error(-32001, 22, "EINVAL", "'NoneType' object has no attribute 'may_create_auth_token'"),  # 25.04.2-25.10
    wire_error(-32601),
])
def test_plain_where_scram_is_not_offered(choices):
    auth = api_key_auth(use_scram=None)
    rpc = StubRPC(choices, {"response_type": "SUCCESS", "user_info": None})
    auth.authenticate(rpc)
    assert [c[0] for c in rpc.calls] == ["auth.mechanism_choices", "auth.login_ex"]
    assert rpc.calls[1][1][0]["mechanism"] == "API_KEY_PLAIN"
    assert auth.use_scram is False


def test_other_errors_of_mechanism_choices_are_not_a_reason_for_plain():
    busy = wire_error(-32001, 16, "EBUSY", "Rate limit exceeded")
    auth = api_key_auth(use_scram=None)
    rpc = StubRPC(busy)
    with pytest.raises(TrueNASBusyError):
        auth.authenticate(rpc)
    assert [c[0] for c in rpc.calls] == ["auth.mechanism_choices"]


@pytest.mark.parametrize("final_result, message", [
    ({"response_type": "AUTH_ERR"}, "auth.login_ex_continue: authentication failed (SCRAM): the API key is wrong, "
                                    "revoked, or does not belong to user admin"),
    ({"response_type": "EXPIRED"}, "auth.login_ex_continue: the API key of user admin was revoked or has expired"),
    ({"response_type": "DENIED"}, "auth.login_ex_continue: user admin is not allowed to use the API"),
    ({"response_type": "SCRAM_RESPONSE", "scram_type": "SERVER_FINAL_RESPONSE", "rfc_str": "v=" + "A" * 88},
     "the server accepted the SCRAM login but could not prove that it knows the API key of user admin"),
    ({"response_type": "SUCCESS", "user_info": None}, "unexpected SCRAM reply (SUCCESS None)"),
])
def test_a_failed_scram_login_never_falls_back_to_plain(final_result, message):
    auth = api_key_auth(use_scram=None)
    rpc = scram_rpc(final_result)
    with pytest.raises(TrueNASAuthError) as info:
        auth.authenticate(rpc)
    assert message in info.value.message
    assert [c[0] for c in rpc.calls] == ["auth.mechanism_choices", "auth.login_ex", "auth.login_ex_continue"]
    assert all(c[1][0].get("mechanism") != "API_KEY_PLAIN" for c in rpc.calls if c[1])
    assert API_KEY not in info.value.message
    # Reconnecting uses SCRAM again, never the plain key.
    retry = scram_rpc(final_result)
    with pytest.raises(TrueNASAuthError):
        auth.authenticate(retry, reconnect=True)
    assert "API_KEY_PLAIN" not in repr(retry.calls)


def test_scram_needs_a_key_of_the_truenas_form():
    auth = ApiKeyAuth("not-a-numbered-key", username="admin")
    auth.validate("wss://nas.example/api/current")
    rpc = scram_rpc()
    with pytest.raises(TrueNASAuthError) as info:
        auth.authenticate(rpc)
    assert info.value.message == "api_key is not a TrueNAS API key: it has the form <id>-<key>, such as 1-AbC..."
    assert [c[0] for c in rpc.calls] == ["auth.mechanism_choices"]
