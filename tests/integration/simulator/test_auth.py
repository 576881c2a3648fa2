"""Authentication (protocol.md §3): login_ex outcomes, OTP, tokens, API keys, revocation, pre-auth rules."""
import base64
import copy
import hashlib
import hmac
import json
import time

import pytest

from tests.simulator.profiles import NAMES
from tests.simulator.pytest_plugin import SimClient
from tests.simulator.services import auth as auth_service
from tests.simulator.services.auth import totp
from tests.simulator.state import DEFAULT_SEED, load_seed_file

ADMIN_ME = {
    "pw_name": "admin", "pw_gecos": "Local Administrator", "pw_dir": "/home/admin", "pw_shell": "/usr/bin/zsh",
    "pw_uid": 950, "pw_gid": 950, "grouplist": None, "sid": None, "source": "LOCAL", "local": True,
    "attributes": {},
    "two_factor_config": {"provisioning_uri": None, "secret_configured": False, "interval": 30, "otp_digits": 6},
    "privilege": {"roles": {"$set": ["FULL_ADMIN", "READONLY_ADMIN"]}, "allowlist": [{"method": "*", "resource": "*"}],
                  "web_shell": True, "webui_access": True},
    "account_attributes": ["LOCAL", "SYS_ADMIN"],
}


def sorted_roles(me):
    me = copy.deepcopy(me)
    me["privilege"]["roles"]["$set"] = sorted(me["privilege"]["roles"]["$set"])
    return me


def password(sim, username="admin", pw=None, **options):
    data = {"mechanism": "PASSWORD_PLAIN", "username": username,
            "password": pw if pw is not None else sim.credentials["password"]}
    if options:
        data["login_options"] = options
    return data


def api_key(sim, key=None, username="admin"):
    return {"mechanism": "API_KEY_PLAIN", "username": username, "api_key": key or sim.credentials["api_key"]}


def otp_secret(sim):
    return next(u["otp_secret"] for u in sim.seed["users"] if u["username"] == "otpuser")


def otp_password(sim):
    return next(u["password"] for u in sim.seed["users"] if u["username"] == "otpuser")


def success(sim, user_info=None):
    out = {"response_type": "SUCCESS", "user_info": user_info, "authenticator": "LEVEL_1"}
    if sim.profile.name == "26":
        out["reconnect_token"] = None
    return out


def assert_not_authenticated(client):
    assert client.call("system.info")["error"]["data"]["error"] == 207


# --- PASSWORD_PLAIN ------------------------------------------------------------------------------
def test_password_success_with_user_info(sim, sim_client):
    client = sim_client(sim)
    result = client.request("auth.login_ex", password(sim))
    result["user_info"] = sorted_roles(result["user_info"])
    assert result == success(sim, ADMIN_ME)
    assert sorted_roles(client.request("auth.me")) == ADMIN_ME


def test_password_success_without_user_info(sim, sim_client):
    client = sim_client(sim)
    assert client.request("auth.login_ex", password(sim, user_info=False)) == success(sim)
    assert client.request("system.version") == "TrueNAS-" + sim.profile.product_version


@pytest.mark.parametrize("username,pw", [("admin", "wrong"), ("nobody", "x"), ("otpuser", "wrong")])
def test_bad_credentials_are_a_result(sim, sim_client, username, pw):
    client = sim_client(sim)
    assert client.call("auth.login_ex", password(sim, username, pw), msg_id=4) == {
        "jsonrpc": "2.0", "result": {"response_type": "AUTH_ERR"}, "id": 4}
    assert_not_authenticated(client)
    counters = sim.counters_snapshot()
    assert (counters["logins"], counters["login_failures"]) == (0, 1)


def test_new_login_replaces_the_session(sim, sim_client):
    client = sim_client(sim, login=True)
    viewer = next(u["password"] for u in sim.seed["users"] if u["username"] == "viewer")
    assert client.request("auth.login_ex", password(sim, "viewer", viewer, user_info=False)) == success(sim)
    assert client.request("auth.me")["pw_name"] == "viewer"


def test_read_only_admin_is_not_authorized_to_write(sim, sim_client):
    client = sim_client(sim)
    viewer = next(u["password"] for u in sim.seed["users"] if u["username"] == "viewer")
    client.login("viewer", viewer)
    assert client.request("system.info")["hostname"] == "truenas-sim"
    assert client.request("core.get_jobs") == []
    error = client.call("api_key.create", {"name": "x", "username": "viewer"})["error"]
    assert error["code"] == -32001
    assert (error["data"]["error"], error["data"]["reason"]) == (13, "[EACCES] Not authorized")


# --- validation ----------------------------------------------------------------------------------
@pytest.mark.parametrize("login_data,extra", [
    ({"username": "admin", "password": "x"}, [["login_data.mechanism", "Field required", 22]]),
    ({"mechanism": "SSO", "username": "admin"},
     [["login_data", "Input tag 'SSO' found using 'mechanism' does not match any of the expected tags: "
                     "'API_KEY_PLAIN', 'PASSWORD_PLAIN', 'TOKEN_PLAIN', 'OTP_TOKEN'", 22]]),
    ({"mechanism": "PASSWORD_PLAIN", "username": "admin"},
     [["login_data.PASSWORD_PLAIN.password", "Field required", 22]]),
    ({"mechanism": "PASSWORD_PLAIN", "username": "admin", "password": 5, "otp": "1"},
     [["login_data.PASSWORD_PLAIN.password", "Input should be a valid string", 22],
      ["login_data.PASSWORD_PLAIN.otp", "Extra inputs are not permitted", 22]]),
    ({"mechanism": "API_KEY_PLAIN", "api_key": "1-x"}, [["login_data.API_KEY_PLAIN.username", "Field required", 22]]),
    ({"mechanism": "PASSWORD_PLAIN", "username": "admin", "password": "x", "login_options": {"user_info": "no"}},
     [["login_data.PASSWORD_PLAIN.login_options.user_info", "Input should be a valid boolean", 22]]),
    ("admin", [["login_data", "Input should be a valid dictionary or object to extract fields from", 22]]),
])
def test_login_ex_validation(sim, sim_client, login_data, extra):
    client = sim_client(sim)
    error = client.call("auth.login_ex", login_data)["error"]
    assert error["code"] == -32602
    if sim.profile.login_v26 and login_data == {"mechanism": "SSO", "username": "admin"}:
        extra = [["login_data", extra[0][1] + ", 'SCRAM'", 22]]
    assert error["data"]["extra"] == extra


def test_reconnect_token_option_only_on_26(sim, sim_client):
    client = sim_client(sim)
    reply = client.call("auth.login_ex", password(sim, user_info=False, reconnect_token=True))
    if sim.profile.name == "26":
        assert reply["result"]["response_type"] == "SUCCESS"
        assert isinstance(reply["result"]["reconnect_token"], str)
    else:
        assert reply["error"]["data"]["extra"] == [
            ["login_data.PASSWORD_PLAIN.login_options.reconnect_token", "Extra inputs are not permitted", 22]]


# --- OTP -----------------------------------------------------------------------------------------
def test_otp_flow(sim, sim_client):
    client = sim_client(sim)
    first = client.request("auth.login_ex", password(sim, "otpuser", otp_password(sim)))
    assert first == {"response_type": "OTP_REQUIRED", "username": "otpuser"}
    assert_not_authenticated(client)
    result = client.request("auth.login_ex_continue", {"mechanism": "OTP_TOKEN", "otp_token": totp(otp_secret(sim))})
    assert result["response_type"] == "SUCCESS"
    me = result["user_info"]
    assert me["pw_name"] == "otpuser"
    assert me["two_factor_config"]["secret_configured"] is True
    assert me["account_attributes"] == ["LOCAL", "SYS_ADMIN", "2FA"]
    assert client.request("auth.me")["pw_name"] == "otpuser"


def test_otp_three_retries_then_auth_err(sim, sim_client):
    client = sim_client(sim)
    client.request("auth.login_ex", password(sim, "otpuser", otp_password(sim)))
    wrong = {"mechanism": "OTP_TOKEN", "otp_token": "000000" if totp(otp_secret(sim)) != "000000" else "111111"}
    for _unused in range(3):
        assert client.request("auth.login_ex_continue", wrong) == {"response_type": "OTP_REQUIRED",
                                                                   "username": "otpuser"}
    assert client.request("auth.login_ex_continue", wrong) == {"response_type": "AUTH_ERR"}
    error = client.call("auth.login_ex_continue", wrong)["error"]
    assert error["code"] == -32001
    assert (error["data"]["error"], error["data"]["reason"]) == (22, "[EINVAL] OTP_TOKEN: no authentication in progress")


def test_otp_without_authentication_in_progress(sim, sim_client):
    client = sim_client(sim)
    for name in ("auth.login_ex", "auth.login_ex_continue"):
        error = client.call(name, {"mechanism": "OTP_TOKEN", "otp_token": "123456"})["error"]
        assert error["data"]["reason"] == "[EINVAL] OTP_TOKEN: no authentication in progress"
        assert error["data"]["errname"] == "EINVAL"


def test_another_mechanism_drops_the_otp_attempt(sim, sim_client):
    client = sim_client(sim)
    assert client.request("auth.login_ex", password(sim, "otpuser", otp_password(sim)))["response_type"] == \
        "OTP_REQUIRED"
    assert client.request("auth.login_ex", password(sim, "admin", "wrong")) == {"response_type": "AUTH_ERR"}
    error = client.call("auth.login_ex_continue", {"mechanism": "OTP_TOKEN", "otp_token": totp(otp_secret(sim))})
    assert error["error"]["data"]["reason"] == "[EINVAL] OTP_TOKEN: no authentication in progress"


def test_login_ex_continue_accepts_only_otp(sim, sim_client):
    client = sim_client(sim)
    error = client.call("auth.login_ex_continue", password(sim))["error"]
    if sim.profile.login_v26:
        # 26: OTP_TOKEN or the second SCRAM step.
        assert error["data"]["extra"] == [
            ["login_data", "Input tag 'PASSWORD_PLAIN' found using 'mechanism' does not match any of the expected "
                           "tags: 'OTP_TOKEN', 'SCRAM'", 22]]
        return
    assert error["data"]["extra"] == [
        ["login_data.mechanism", "Input should be 'OTP_TOKEN'", 22],
        ["login_data.otp_token", "Field required", 22],
        ["login_data.username", "Extra inputs are not permitted", 22],
        ["login_data.password", "Extra inputs are not permitted", 22],
    ]


# --- API keys ------------------------------------------------------------------------------------
def test_api_key_over_tls(sim, sim_client):
    client = sim_client(sim)
    result = client.request("auth.login_ex", api_key(sim))
    expected_me = dict(ADMIN_ME, account_attributes=["LOCAL", "SYS_ADMIN", "API_KEY"])
    result["user_info"] = sorted_roles(result["user_info"])
    assert result == success(sim, expected_me)
    assert sorted_roles(client.request("auth.me")) == expected_me
    assert sim.counters_snapshot()["api_keys_presented"] == {"1": {"count": 1, "tls": 1, "plain": 0}}
    assert sim.state_dump("api_keys")["1"]["revoked"] is False


def test_api_key_login_result(sim, sim_client):
    client = sim_client(sim)
    result = client.request("auth.login_ex", dict(api_key(sim), login_options={"user_info": False}))
    assert result == success(sim)


@pytest.mark.parametrize("key,username,presented", [
    (None, "otpuser", "1"),
    ("1-" + "a" * 64, "admin", "1"),
    ("garbage", "admin", "invalid"),
    ("9-" + "a" * 64, "admin", "9"),
])
def test_wrong_api_keys(sim, sim_client, key, username, presented):
    client = sim_client(sim)
    assert client.request("auth.login_ex", api_key(sim, key, username)) == {"response_type": "AUTH_ERR"}
    assert_not_authenticated(client)
    assert sim.counters_snapshot()["api_keys_presented"] == {presented: {"count": 1, "tls": 1, "plain": 0}}


@pytest.mark.parametrize("profile", NAMES)
def test_valid_key_over_insecure_transport_is_revoked(sim_factory, profile):
    server = sim_factory(profile, tls=False, treat_plain_as_remote=True)
    client = SimClient(server.url)
    try:
        assert client.request("auth.login_ex", api_key(server)) == {"response_type": "EXPIRED"}
        assert_not_authenticated(client)
        key = server.state_dump("api_keys")["1"]
        assert key["revoked"] is True
        assert key["revoked_reason"] == (None if profile == "25.04" else "Attempt to use over an insecure transport")
        assert client.request("auth.login_ex", api_key(server)) == {"response_type": "AUTH_ERR"}
        assert server.counters_snapshot()["api_keys_presented"] == {"1": {"count": 2, "tls": 0, "plain": 2}}
        # passwords are not penalised; the key shows as revoked; a reset issues new material
        client.login("admin", server.credentials["password"])
        entry = client.request("api_key.get_instance", 1)
        assert entry["revoked"] is True
        assert ("revoked_reason" in entry) is (profile != "25.04")
        reset = client.request("api_key.update", 1, {"reset": True})
        assert reset["revoked"] is False
        assert reset["key"].startswith("1-") and len(reset["key"]) == 66
        assert reset["key"] != server.credentials["api_key"]
    finally:
        client.close()


def test_wrong_key_over_insecure_transport_is_not_revoked(sim_factory):
    server = sim_factory("25.10", tls=False, treat_plain_as_remote=True)
    client = SimClient(server.url)
    assert client.request("auth.login_ex", api_key(server, "1-" + "b" * 64)) == {"response_type": "AUTH_ERR"}
    assert server.state_dump("api_keys")["1"]["revoked"] is False
    client.close()


def test_plain_ws_from_loopback_is_secure(sim_factory):
    server = sim_factory("25.10", tls=False)
    client = SimClient(server.url)
    assert client.request("auth.login_ex", api_key(server))["response_type"] == "SUCCESS"
    assert server.state_dump("api_keys")["1"]["revoked"] is False
    assert server.counters_snapshot()["api_keys_presented"] == {"1": {"count": 1, "tls": 0, "plain": 1}}
    client.close()


def test_tls_is_secure_even_when_plain_counts_as_remote(sim_factory):
    server = sim_factory("25.10", tls=True, treat_plain_as_remote=True)
    client = SimClient(server.url, server.ca_file)
    assert client.request("auth.login_ex", api_key(server))["response_type"] == "SUCCESS"
    client.close()


def test_legacy_api_key_login_also_revokes(sim_factory):
    server = sim_factory("25.04", tls=False, treat_plain_as_remote=True)
    client = SimClient(server.url)
    assert client.request("auth.login_with_api_key", server.credentials["api_key"]) is False
    assert server.state_dump("api_keys")["1"]["revoked"] is True
    assert client.request("auth.login_with_api_key", "77-" + "x" * 64) is False
    assert server.counters_snapshot()["api_keys_presented"] == {"1": {"count": 1, "tls": 0, "plain": 1},
                                                                "77": {"count": 1, "tls": 0, "plain": 1}}
    client.close()


def seed_with(**changes):
    seed = load_seed_file(DEFAULT_SEED)
    extra_users = changes.pop("users", [])
    seed["users"] = seed["users"] + extra_users
    for user in seed["users"]:
        if user["username"] == "admin":
            user["api_keys"][0].update(changes.pop("admin_key", {}))
    return seed


@pytest.mark.parametrize("profile", NAMES)
def test_account_states(sim_factory, profile):
    server = sim_factory(profile, seed=seed_with(
        admin_key={"expires_at": "2020-01-01T00:00:00+00:00"},
        users=[{"username": "locked", "password": "pw-locked", "locked": True},
               {"username": "old", "password": "pw-old", "password_expired": True},
               {"username": "noaccess", "password": "pw-none", "roles": []}]))
    client = SimClient(server.url, server.ca_file)
    try:
        assert client.request("auth.login_ex", api_key(server)) == {"response_type": "EXPIRED"}
        assert client.request("auth.login_ex", password(server, "locked", "pw-locked")) == {"response_type": "AUTH_ERR"}
        assert client.request("auth.login_ex", password(server, "old", "pw-old")) == {"response_type": "EXPIRED"}
        assert client.request("auth.login_ex", password(server, "noaccess", "pw-none")) == {
            "response_type": "DENIED" if profile == "26" else "AUTH_ERR"}
        assert_not_authenticated(client)
    finally:
        client.close()


# --- tokens --------------------------------------------------------------------------------------
def test_token_login(sim, sim_client):
    owner = sim_client(sim, login=True)
    token = owner.request("auth.generate_token")
    assert isinstance(token, str) and len(token) == 64
    client = sim_client(sim)
    result = client.request("auth.login_ex", {"mechanism": "TOKEN_PLAIN", "token": token,
                                              "login_options": {"user_info": False}})
    assert result == success(sim)
    assert client.request("auth.me")["pw_name"] == "admin"


def test_token_rules(sim, sim_client):
    owner = sim_client(sim, login=True)
    with_attrs = owner.request("auth.generate_token", 600, {"filename": "x"})
    once = owner.request("auth.generate_token", 600, {}, True, True)
    client = sim_client(sim)
    token = {"mechanism": "TOKEN_PLAIN"}
    assert client.request("auth.login_ex", dict(token, token=with_attrs)) == {"response_type": "AUTH_ERR"}
    assert client.request("auth.login_ex", dict(token, token="not-a-token")) == {"response_type": "AUTH_ERR"}
    assert client.request("auth.login_ex", dict(token, token=once))["response_type"] == "SUCCESS"
    other = sim_client(sim)
    assert other.request("auth.login_ex", dict(token, token=once)) == {"response_type": "AUTH_ERR"}


def test_token_expires_and_token_sessions_idle_out(sim, sim_client):
    owner = sim_client(sim, login=True)
    short = owner.request("auth.generate_token", 1)
    client = sim_client(sim)
    assert client.request("auth.login_ex", {"mechanism": "TOKEN_PLAIN", "token": short})["response_type"] == "SUCCESS"
    assert client.request("core.ping") == "pong"
    time.sleep(1.2)
    assert_not_authenticated(client)
    assert client.request("auth.login_with_token", short) is False


def test_generate_token_validation_and_auth(sim, sim_client):
    client = sim_client(sim)
    assert client.call("auth.generate_token")["error"]["data"]["error"] == 207
    client.login("admin", sim.credentials["password"])
    error = client.call("auth.generate_token", "600")["error"]
    assert error["data"]["extra"] == [["ttl", "Input should be a valid integer", 22]]


def test_logout_destroys_a_token_session(sim, sim_client):
    owner = sim_client(sim, login=True)
    token = owner.request("auth.generate_token")
    client = sim_client(sim)
    assert client.request("auth.login_with_token", token) is True
    assert client.request("auth.logout") is True
    assert_not_authenticated(client)
    assert client.request("auth.login_with_token", token) is False


# --- legacy login methods ------------------------------------------------------------------------
def test_legacy_logins_return_booleans(sim, sim_client):
    client = sim_client(sim)
    assert client.request("auth.login", "admin", "wrong") is False
    assert client.request("auth.login", "otpuser", otp_password(sim)) is False
    assert client.request("auth.login", "otpuser", otp_password(sim), "000000" if totp(otp_secret(sim)) != "000000"
                          else "111111") is False
    assert client.request("auth.login", "otpuser", otp_password(sim), totp(otp_secret(sim))) is True
    assert client.request("auth.me")["pw_name"] == "otpuser"
    other = sim_client(sim)
    assert other.request("auth.login_with_api_key", sim.credentials["api_key"]) is True
    assert other.request("auth.me")["pw_name"] == "admin"
    assert other.request("auth.login_with_token", "nope") is False


def test_logout_keeps_the_connection_open(sim, sim_client):
    client = sim_client(sim, login=True)
    assert client.request("auth.logout") is True
    assert_not_authenticated(client)
    assert client.request("system.boot_id") == sim.boot_id


# --- before login --------------------------------------------------------------------------------
ALLOWED = {
    "core.ping": {"25.04": None, "25.10": "pong", "26": "pong"},
    "system.boot_id": "BOOT",
    "core.set_options": "OPTIONS",
    "system.advanced.login_banner": "",
    "truenas.managed_by_truecommand": False,
    "user.has_local_administrator_set_up": True,
}


@pytest.mark.parametrize("name", sorted(ALLOWED))
def test_calls_allowed_before_login(sim, sim_client, name):
    client = sim_client(sim)
    params = [{}] if name == "core.set_options" else []
    reply = client.call(name, *params)
    expected = ALLOWED[name]
    if isinstance(expected, dict):
        expected = expected[sim.profile.name]
    if expected is None:
        assert reply["error"]["data"]["reason"] == "[ENOTAUTHENTICATED] Not authenticated"
    elif expected == "BOOT":
        assert reply["result"] == sim.boot_id
    elif expected == "OPTIONS":
        assert reply["result"] == (None if sim.profile.name == "25.04" else
                                   {"legacy_jobs": True, "private_methods": False, "py_exceptions": False})
    else:
        assert reply["result"] == expected


@pytest.mark.parametrize("name", ["system.info", "auth.me", "core.get_jobs", "core.subscribe", "system.version",
                                  "pool.dataset.query", "auth.generate_token", "auth.logout"])
def test_everything_else_needs_login(sim, sim_client, name):
    client = sim_client(sim)
    error = client.call(name)["error"]
    assert error["code"] == -32001
    assert error["data"]["reason"] == "[ENOTAUTHENTICATED] Not authenticated"


def test_mechanism_choices_before_login(sim, sim_client):
    client = sim_client(sim)
    reply = client.call("auth.mechanism_choices")
    mechanisms = ["API_KEY_PLAIN", "PASSWORD_PLAIN", "TOKEN_PLAIN", "OTP_TOKEN"]
    if sim.profile.name == "26":
        mechanisms.append("SCRAM")
        assert reply["result"] == mechanisms
    else:
        data = reply["error"]["data"]
        assert (data["error"], data["reason"]) == (22, "'NoneType' object has no attribute 'may_create_auth_token'")
    client.login("admin", sim.credentials["password"])
    assert client.request("auth.mechanism_choices") == mechanisms


# --- rate limit ----------------------------------------------------------------------------------
def test_rate_limit_of_unauthenticated_calls(sim_factory):
    server = sim_factory("25.10", rate_limit=True, rate_limit_delay=(0.05, 0.05))
    client = SimClient(server.url, server.ca_file)
    other = SimClient(server.url, server.ca_file)
    try:
        for _unused in range(20):
            assert client.request("system.boot_id") == server.boot_id
        start = time.monotonic()
        error = client.call("system.boot_id")["error"]
        assert time.monotonic() - start >= 0.05
        assert error["code"] == -32001
        assert (error["data"]["error"], error["data"]["errname"], error["data"]["reason"]) == (
            16, "EBUSY", "[EBUSY] Rate Limit Exceeded")
        # per IP, not per connection; each method has its own counter; set_options is exempt
        assert other.call("system.boot_id")["error"]["data"]["error"] == 16
        for _unused in range(25):
            assert other.request("core.set_options", {}) == {"legacy_jobs": True, "private_methods": False,
                                                             "py_exceptions": False}
        other.login("admin", server.credentials["password"])
        for _unused in range(25):
            assert other.request("system.boot_id") == server.boot_id
    finally:
        client.close()
        other.close()


# --- secrets -------------------------------------------------------------------------------------
def test_secrets_stay_out_of_the_call_log_and_state_dump(sim, sim_client):
    client = sim_client(sim)
    client.request("auth.login_ex", api_key(sim))
    client.request("auth.login", "admin", sim.credentials["password"])
    client.request("auth.login_ex", password(sim, "otpuser", otp_password(sim)))
    assert sim.calls("auth.login_ex")[0]["params"] == [
        {"mechanism": "API_KEY_PLAIN", "username": "admin", "api_key": "********"}]
    assert sim.calls("auth.login")[0]["params"] == ["admin", "********"]
    dump = json.dumps([sim.calls(), sim.state_dump()])
    for secret in (sim.credentials["password"], sim.credentials["api_key"].split("-", 1)[1], otp_password(sim),
                   otp_secret(sim)):
        assert secret not in dump


# --- SCRAM-SHA-512 (26) --------------------------------------------------------------------------
# Computed by hand here (hashlib/hmac), independently of the collection's client.

def _hmac(key, data):
    return hmac.new(key, data, hashlib.sha512).digest()


def scram_first(nonce, username="admin", key_id=1):
    return {"mechanism": "SCRAM", "scram_type": "CLIENT_FIRST_MESSAGE",
            "rfc_str": "n,,n=%s:%d,r=%s" % (username, key_id, base64.b64encode(nonce).decode())}


def scram_final(secret, nonce, server_first, username="admin", key_id=1, tamper=False):
    attrs = dict(part.split("=", 1) for part in server_first.split(","))
    salted = hashlib.pbkdf2_hmac("sha512", secret.encode(), base64.b64decode(attrs["s"]), int(attrs["i"]))
    client_key = _hmac(salted, b"Client Key")
    without_proof = "c=biws,r=" + attrs["r"]
    message = "n=%s:%d,r=%s,%s,%s" % (username, key_id, base64.b64encode(nonce).decode(), server_first, without_proof)
    proof = bytes(a ^ b for a, b in zip(client_key, _hmac(hashlib.sha512(client_key).digest(), message.encode())))
    if tamper:
        proof = bytes([proof[0] ^ 1]) + proof[1:]
    data = {"mechanism": "SCRAM", "scram_type": "CLIENT_FINAL_MESSAGE",
            "rfc_str": "%s,p=%s" % (without_proof, base64.b64encode(proof).decode())}
    return data, _hmac(_hmac(salted, b"Server Key"), message.encode())


def test_scram_verifier_known_vector():
    # RFC 7677's salt and password, SHA-512, 50000 iterations (checked with an independent implementation).
    verifier = auth_service.scram_verifier(7, "pencil", salt=base64.b64decode("W22ZaJ0SNY7soEsUEjb6gQ=="),
                                           iterations=50000)
    assert verifier == {
        "salt": "W22ZaJ0SNY7soEsUEjb6gQ==", "iterations": 50000,
        "stored_key": "EseCQKWxqqAA+vgGCYIwvTkUSPM/73HJ9XwfYW4OmGXE7ExoOSEGk+0pQeD1/DWPV5V/tTKCLQRMlLZ1fRyUPQ==",
        "server_key": "WLNhJ+FWmbOSqkk/ECF3e/yHfElxRCScVhUalI4SqWHQSMZbJtmA48h/tP4gkzR7155794ehi2pQa0Ph9WpjQQ=="}


@pytest.mark.sim_profiles("26")
def test_scram_login(sim, sim_client):
    client = sim_client(sim)
    secret = sim.credentials["api_key"].split("-", 1)[1]
    nonce = bytes(range(32))
    first = client.request("auth.login_ex", scram_first(nonce))
    assert (first["response_type"], first["scram_type"], first["user_info"]) == (
        "SCRAM_RESPONSE", "SERVER_FIRST_RESPONSE", None)
    attrs = dict(part.split("=", 1) for part in first["rfc_str"].split(","))
    combined = base64.b64decode(attrs["r"])
    assert combined[:32] == nonce and len(combined) == 64 and attrs["i"] == "50000"
    assert client.call("pool.query")["error"]["data"]["error"] == 207  # not logged in yet
    data, server_signature = scram_final(secret, nonce, first["rfc_str"])
    final = client.request("auth.login_ex_continue", data)
    assert (final["response_type"], final["scram_type"]) == ("SCRAM_RESPONSE", "SERVER_FINAL_RESPONSE")
    assert base64.b64decode(final["rfc_str"][2:]) == server_signature
    assert final["user_info"]["pw_name"] == "admin"
    assert sorted(p["name"] for p in client.request("pool.query")) == ["backup", "tank"]
    assert secret not in json.dumps(sim.calls())
    assert sim.counters_snapshot()["api_keys_presented"] == {}


@pytest.mark.sim_profiles("26")
def test_scram_failures(sim, sim_client):
    client = sim_client(sim)
    secret = sim.credentials["api_key"].split("-", 1)[1]
    nonce = bytes(range(32))
    # A wrong proof: AUTH_ERR, not logged in.
    first = client.request("auth.login_ex", scram_first(nonce))
    data, _sig = scram_final(secret, nonce, first["rfc_str"], tamper=True)
    assert client.request("auth.login_ex_continue", data) == {"response_type": "AUTH_ERR"}
    assert client.call("pool.query")["error"]["data"]["error"] == 207
    # The final step without a first one.
    error = client.call("auth.login_ex_continue", data)["error"]
    assert (error["code"], error["data"]["reason"]) == (-32001, "[EINVAL] SCRAM: no authentication in progress")
    # An unknown key or a key of another user: AUTH_ERR at once.
    assert client.request("auth.login_ex", scram_first(nonce, key_id=99)) == {"response_type": "AUTH_ERR"}
    assert client.request("auth.login_ex", scram_first(nonce, username="viewer")) == {"response_type": "AUTH_ERR"}
    # A final message for another nonce.
    first = client.request("auth.login_ex", scram_first(nonce))
    other = first["rfc_str"].replace("r=AAEC", "r=AAED", 1)
    data, _sig = scram_final(secret, nonce, other)
    assert client.request("auth.login_ex_continue", data) == {"response_type": "AUTH_ERR"}


@pytest.mark.sim_profiles("25.04", "25.10")
def test_no_scram_before_26(sim, sim_client):
    client = sim_client(sim)
    error = client.call("auth.login_ex", scram_first(bytes(32)))["error"]
    assert error["code"] == -32602
    assert "Input tag 'SCRAM' found using 'mechanism' does not match" in error["data"]["extra"][0][1]
