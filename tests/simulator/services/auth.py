"""Authentication: ``auth.*`` and ``api_key.*``.

Seed section ``users`` (a list)::

    users:
      - username: admin                 # required
        password: "..."                 # required (stored hashed)
        uid: 950                        # default 3000 + index
        gid: 950                        # default: uid
        full_name: Local Administrator
        home: /home/admin
        shell: /usr/bin/zsh
        roles: [FULL_ADMIN]             # FULL_ADMIN, READONLY_ADMIN, or [] (no API access)
        otp_secret: JBSWY3DPEHPK3PXP    # base32 TOTP secret: password logins then need an OTP
        locked: false                   # true: every login fails (AUTH_ERR)
        password_expired: false         # true: password logins answer EXPIRED
        api_keys:
          - id: 1                       # the "<id>-" of the key
            name: ansible
            key: <64 letters and digits>
            expires_at: null            # ISO-8601; in the past: logins answer EXPIRED
            revoked: false

State: ``state.data["users"][<id>]`` (``password_hash``, no clear password) and
``state.data["api_keys"][<id>]`` (``keyhash`` and, for SCRAM, ``scram``: salt, iterations, StoredKey,
ServerKey; never the key). Tokens from ``auth.generate_token`` live in
memory (``server.tokens``).
"""
import asyncio
import base64
import datetime
import errno
import hashlib
import hmac
import random
import secrets
import string
import struct
import time

from ..errors import CallError, InstanceNotFound, ValidationError, ValidationErrors
from ..registry import method, seed_loader
from ..schema import MethodSchema
from ..server import Session
from ..state import date_value

KEY_ALPHABET = string.ascii_letters + string.digits
OTP_INTERVAL = 30
OTP_DIGITS = 6
MAX_OTP_ATTEMPTS = 3
INSECURE_REASON = "Attempt to use over an insecure transport"
MECHANISMS = ("API_KEY_PLAIN", "PASSWORD_PLAIN", "TOKEN_PLAIN", "OTP_TOKEN")
# 26: SCRAM-SHA-512 for API keys (RFC 5802 with SHA-512; nonces are 32 random bytes, the server's
# appended to the client's, both base64-encoded as one value).
MECHANISMS_26 = MECHANISMS + ("SCRAM",)
# The real server stores keys with 500000 iterations; the simulator uses the smallest count the
# TrueNAS SCRAM library accepts (50000) so that each login costs a client milliseconds, not a second.
SCRAM_ITERATIONS = 50000
SCRAM_NONCE_BYTES = 32
SCRAM_NO_BINDING = base64.b64encode(b"n,,").decode()


# --- secrets -------------------------------------------------------------------------------------
def hash_password(password, salt=None):
    salt = salt or secrets.token_hex(8)
    digest = hashlib.sha256((salt + ":" + password).encode()).hexdigest()
    return "sha256$%s$%s" % (salt, digest)


def check_password(password, stored):
    if not isinstance(password, str) or not stored:
        return False
    parts = stored.split("$", 2)
    if len(parts) != 3:
        return False
    salt = parts[1]
    return hmac.compare_digest(hash_password(password, salt), stored)


def hash_key(key):
    return hashlib.sha256(key.encode()).hexdigest()


_SCRAM_CACHE = {}


def scram_verifier(key_id, material, salt=None, iterations=SCRAM_ITERATIONS):
    """What the server keeps for SCRAM logins with key ``<key_id>-<material>``: salt, iterations,
    StoredKey = SHA512(HMAC(SaltedPassword, "Client Key")) and ServerKey = HMAC(SaltedPassword,
    "Server Key"), SaltedPassword being PBKDF2-HMAC-SHA512 of the material (the part after the
    ``<id>-``). Base64 text, so the state file stays JSON. The same key gets the same salt (cached)."""
    if salt is None:
        salt = hashlib.sha256(("scram:%d:%s" % (key_id, material)).encode()).digest()[:16]
    cache_key = (material, salt, iterations)
    if cache_key not in _SCRAM_CACHE:
        salted = hashlib.pbkdf2_hmac("sha512", material.encode(), salt, iterations)
        client_key = hmac.new(salted, b"Client Key", hashlib.sha512).digest()
        _SCRAM_CACHE[cache_key] = {
            "salt": base64.b64encode(salt).decode(),
            "iterations": iterations,
            "stored_key": base64.b64encode(hashlib.sha512(client_key).digest()).decode(),
            "server_key": base64.b64encode(hmac.new(salted, b"Server Key", hashlib.sha512).digest()).decode(),
        }
    return dict(_SCRAM_CACHE[cache_key])


def new_key_material():
    return "".join(secrets.choice(KEY_ALPHABET) for _unused in range(64))


def totp(secret, at=None, step_offset=0):
    """The RFC 6238 TOTP code (HMAC-SHA1, 30 s, 6 digits) of a base32 ``secret`` at time ``at``."""
    cleaned = secret.replace(" ", "").upper()
    key = base64.b32decode(cleaned + "=" * (-len(cleaned) % 8))
    counter = int((time.time() if at is None else at) // OTP_INTERVAL) + step_offset
    digest = hmac.new(key, struct.pack(">Q", counter), hashlib.sha1).digest()
    offset = digest[-1] & 0x0F
    code = (struct.unpack(">I", digest[offset:offset + 4])[0] & 0x7FFFFFFF) % (10 ** OTP_DIGITS)
    return "%0*d" % (OTP_DIGITS, code)


def check_totp(secret, token):
    if not isinstance(token, str) or not secret:
        return False
    return any(hmac.compare_digest(totp(secret, step_offset=o), token) for o in (-1, 0, 1))


# --- seed ----------------------------------------------------------------------------------------
def _iso_date(text, where):
    if text is None:
        return None
    try:
        when = datetime.datetime.fromisoformat(str(text))
    except ValueError:
        raise ValueError("%s: %r is not an ISO-8601 timestamp" % (where, text)) from None
    return date_value(when)


@seed_loader
def load_users(state, seed):
    """``state.data["users"]`` and ``state.data["api_keys"]`` from the ``users`` section."""
    users = state.kind("users")
    keys = state.kind("api_keys")
    for index, entry in enumerate(seed.get("users") or []):
        where = "seed section users[%d]" % index
        if not isinstance(entry, dict) or not entry.get("username") or not isinstance(entry.get("password"), str):
            raise ValueError("%s: username and password are required" % where)
        if entry.get("otp_secret"):
            try:
                totp(entry["otp_secret"])
            except (ValueError, TypeError):
                raise ValueError("%s: otp_secret is not base32" % where) from None
        user_id = index + 1
        uid = entry.get("uid", 3000 + index)
        users[str(user_id)] = {
            "id": user_id,
            "username": entry["username"],
            "uid": uid,
            "gid": entry.get("gid", uid),
            "full_name": entry.get("full_name", entry["username"]),
            "home": entry.get("home", "/home/%s" % entry["username"]),
            "shell": entry.get("shell", "/usr/bin/zsh"),
            "roles": list(entry.get("roles", ["FULL_ADMIN"])),
            "password_hash": hash_password(entry["password"]),
            "otp_secret": entry.get("otp_secret"),
            "locked": bool(entry.get("locked", False)),
            "password_expired": bool(entry.get("password_expired", False)),
        }
        for k_index, key in enumerate(entry.get("api_keys") or []):
            kwhere = "%s.api_keys[%d]" % (where, k_index)
            material = key.get("key") if isinstance(key, dict) else None
            if not isinstance(material, str) or len(material) != 64 or any(c not in KEY_ALPHABET for c in material):
                raise ValueError("%s: key must be 64 letters and digits" % kwhere)
            key_id = key.get("id")
            if not isinstance(key_id, int) or str(key_id) in keys:
                raise ValueError("%s: id must be a unique integer" % kwhere)
            keys[str(key_id)] = {
                "id": key_id,
                "name": key.get("name", "key%d" % key_id),
                "username": entry["username"],
                "user_identifier": uid,
                "keyhash": hash_key("%d-%s" % (key_id, material)),
                "scram": scram_verifier(key_id, material),
                "created_at": date_value(),
                "expires_at": _iso_date(key.get("expires_at"), kwhere),
                "local": True,
                "revoked": bool(key.get("revoked", False)),
                "revoked_reason": None,
            }


# --- schemas of the login methods ----------------------------------------------------------------
def _login_schema(v26, only_otp=False):
    options = {"type": "object", "title": "AuthLoginOptions", "additionalProperties": False,
               "properties": {"user_info": {"type": "boolean", "default": True}}}
    if v26:
        options["properties"]["reconnect_token"] = {"type": "boolean", "default": False}
    text = {"type": "string", "maxLength": 1024}

    def variant(title, tag, fields):
        props = {"mechanism": {"const": tag, "type": "string"}}
        props.update({f: text for f in fields})
        props["login_options"] = {"$ref": "#/$defs/AuthLoginOptions"}
        return {"type": "object", "title": title, "additionalProperties": False, "properties": props,
                "required": ["mechanism"] + list(fields)}

    defs = {
        "AuthLoginOptions": options,
        "AuthSCRAM": {"type": "object", "title": "AuthSCRAM", "additionalProperties": False, "properties": {
            "mechanism": {"const": "SCRAM", "type": "string"},
            "scram_type": {"enum": ["CLIENT_FIRST_MESSAGE", "CLIENT_FINAL_MESSAGE"], "type": "string"},
            "rfc_str": text,
            "login_options": {"$ref": "#/$defs/AuthLoginOptions"}}, "required": ["mechanism", "scram_type", "rfc_str"]},
        "AuthApiKeyPlain": variant("AuthApiKeyPlain", "API_KEY_PLAIN", ("username", "api_key")),
        "AuthPasswordPlain": variant("AuthPasswordPlain", "PASSWORD_PLAIN", ("username", "password")),
        "AuthTokenPlain": variant("AuthTokenPlain", "TOKEN_PLAIN", ("token",)),
        "AuthOTPToken": variant("AuthOTPToken", "OTP_TOKEN", ("otp_token",)),
    }
    if only_otp and not v26:
        login_data = {"$ref": "#/$defs/AuthOTPToken"}
    else:
        if only_otp:
            mapping = {"OTP_TOKEN": "#/$defs/AuthOTPToken"}
        else:
            mapping = {"API_KEY_PLAIN": "#/$defs/AuthApiKeyPlain", "PASSWORD_PLAIN": "#/$defs/AuthPasswordPlain",
                       "TOKEN_PLAIN": "#/$defs/AuthTokenPlain", "OTP_TOKEN": "#/$defs/AuthOTPToken"}
        if v26:
            mapping["SCRAM"] = "#/$defs/AuthSCRAM"
        login_data = {"discriminator": {"propertyName": "mechanism", "mapping": mapping},
                      "oneOf": [{"$ref": ref} for ref in mapping.values()]}
    accepts = {"type": "object", "additionalProperties": False, "$defs": defs,
               "properties": {"login_data": login_data}, "required": ["login_data"]}
    return MethodSchema("auth.login_ex_continue" if only_otp else "auth.login_ex", ("login_data",), accepts)


LOGIN_SCHEMAS = {
    (False, False): _login_schema(False), (True, False): _login_schema(True),
    (False, True): _login_schema(False, True), (True, True): _login_schema(True, True),
}
TOKEN_SCHEMA = MethodSchema("auth.generate_token", ("ttl", "attrs", "match_origin", "single_use"), {
    "type": "object", "additionalProperties": False,
    "properties": {
        "ttl": {"anyOf": [{"type": "integer"}, {"type": "null"}], "default": 600},
        "attrs": {"type": "object", "default": {}},
        "match_origin": {"type": "boolean", "default": True},
        "single_use": {"type": "boolean", "default": False},
    },
})


# --- helpers -------------------------------------------------------------------------------------
def find_user(state, username):
    for user in state.data.get("users", {}).values():
        if user["username"] == username:
            return user
    return None


def me(user, session=None):
    """The ``auth.me`` object of ``user``."""
    roles = list(user.get("roles") or [])
    full = "FULL_ADMIN" in roles
    if full:
        roles = sorted(set(roles) | {"READONLY_ADMIN"})
    attributes = ["LOCAL"]
    if full:
        attributes.append("SYS_ADMIN")
    if user.get("otp_secret"):
        attributes.append("2FA")
    if session is not None and session.cred_type == "API_KEY":
        attributes.append("API_KEY")
    return {
        "pw_name": user["username"],
        "pw_gecos": user.get("full_name", ""),
        "pw_dir": user.get("home"),
        "pw_shell": user.get("shell"),
        "pw_uid": user.get("uid"),
        "pw_gid": user.get("gid"),
        "grouplist": None,
        "sid": None,
        "source": "LOCAL",
        "local": True,
        "attributes": {},
        "two_factor_config": {"provisioning_uri": None, "secret_configured": bool(user.get("otp_secret")),
                              "interval": OTP_INTERVAL, "otp_digits": OTP_DIGITS},
        "privilege": {"roles": set(roles), "allowlist": [{"method": "*", "resource": "*"}] if full else [],
                      "web_shell": full, "webui_access": bool(roles)},
        "account_attributes": attributes,
    }


async def _fail_delay(ctx):
    low, high = ctx.server.fail_delay
    if high > 0:
        await asyncio.sleep(random.uniform(low, high) if high > low else low)


def _failure(ctx, response_type="AUTH_ERR"):
    ctx.counters.login_failures += 1
    return {"response_type": response_type}


def _success(ctx, session, login_data):
    ctx.connection.session = session
    ctx.connection.otp = None
    ctx.counters.logins += 1
    options = login_data.get("login_options") or {}
    result = {
        "response_type": "SUCCESS",
        "user_info": me(session.user, session) if options.get("user_info", True) else None,
        "authenticator": "LEVEL_1",
    }
    if ctx.profile.login_v26:
        result["reconnect_token"] = secrets.token_urlsafe(48) if options.get("reconnect_token") else None
    return result


def _no_api_access(ctx):
    return _failure(ctx, "DENIED" if ctx.profile.login_v26 else "AUTH_ERR")


def _key_expired(key):
    expires = key.get("expires_at")
    return isinstance(expires, dict) and expires.get("$date", 0) <= time.time() * 1000


def _present_key(ctx, api_key):
    prefix = api_key.split("-", 1)[0] if isinstance(api_key, str) else ""
    ctx.counters.api_key_presented(prefix if prefix.isdigit() else "invalid", ctx.connection.tls)


def revoke_key(ctx, key):
    key["revoked"] = True
    key["expires_at"] = {"$date": 0}
    if ctx.profile.at_least("25.10"):
        key["revoked_reason"] = INSECURE_REASON


async def _api_key_plain(ctx, data):
    _present_key(ctx, data["api_key"])
    prefix = data["api_key"].partition("-")[0]
    key = ctx.state.get("api_keys", prefix) if prefix.isdigit() else None
    user = find_user(ctx.state, data["username"])
    if (key is None or user is None or key["username"] != user["username"] or key["revoked"] or user["locked"]
            or not hmac.compare_digest(key["keyhash"], hash_key(data["api_key"]))):
        return _failure(ctx)
    if _key_expired(key):
        return _failure(ctx, "EXPIRED")
    if not ctx.connection.secure_transport:
        revoke_key(ctx, key)
        return _failure(ctx, "EXPIRED")
    if not user.get("roles"):
        return _no_api_access(ctx)
    return _success(ctx, Session(user, "API_KEY", api_key=key), data)


async def _password_plain(ctx, data):
    user = find_user(ctx.state, data["username"])
    if user is None or user["locked"] or not check_password(data["password"], user["password_hash"]):
        return _failure(ctx)
    if user.get("password_expired"):
        return _failure(ctx, "EXPIRED")
    if not user.get("roles"):
        return _no_api_access(ctx)
    if user.get("otp_secret"):
        ctx.connection.otp = {"user_id": user["id"], "attempts": 0, "login_data": data}
        return {"response_type": "OTP_REQUIRED", "username": user["username"]}
    return _success(ctx, Session(user, "LOGIN_PASSWORD"), data)


async def _otp_token(ctx, data):
    pending = ctx.connection.otp
    if pending is None:
        raise CallError("OTP_TOKEN: no authentication in progress", errno.EINVAL)
    user = ctx.state.get("users", pending["user_id"])
    if user is not None and check_totp(user.get("otp_secret"), data["otp_token"]):
        return _success(ctx, Session(user, "LOGIN_TWOFACTOR"), data)
    await _fail_delay(ctx)
    if pending["attempts"] >= MAX_OTP_ATTEMPTS or user is None:
        ctx.connection.otp = None
        return _failure(ctx)
    pending["attempts"] += 1
    return {"response_type": "OTP_REQUIRED", "username": user["username"]}


def token_alive(server, token, origin_ip=None, refresh=True):
    entry = server.tokens.get(token)
    if entry is None:
        return False
    now = time.monotonic()
    if now >= entry["last_used"] + entry["ttl"]:
        server.tokens.pop(token, None)
        return False
    if origin_ip is not None and entry["match_origin"] and entry["ip"] != origin_ip:
        return False
    if refresh:
        entry["last_used"] = now
    return True


async def _token_plain(ctx, data):
    server = ctx.server
    token = data["token"]
    entry = server.tokens.get(token)
    if entry is None or entry["attrs"] or not token_alive(server, token, ctx.connection.remote_ip):
        await _fail_delay(ctx)
        return _failure(ctx)
    user = ctx.state.get("users", entry["user_id"])
    if user is None or user["locked"]:
        await _fail_delay(ctx)
        return _failure(ctx)
    if entry["single_use"]:
        server.tokens.pop(token, None)
        session = Session(user, "TOKEN")
    else:
        session = Session(user, "TOKEN", token=token)
        session.validator = lambda: token_alive(server, token)
    return _success(ctx, session, data)


def _scram_name(text):
    return text.replace("=2C", ",").replace("=3D", "=")


def _scram_attributes(message):
    out = {}
    for part in message.split(","):
        key, sep, value = part.partition("=")
        if not sep or len(key) != 1 or key in out:
            return None
        out[key] = value
    return out


def _b64decode(text):
    try:
        return base64.b64decode(text, validate=True)
    except (ValueError, TypeError):
        return None


async def _scram_first(ctx, data):
    """CLIENT_FIRST_MESSAGE ``n,,n=<user>:<key id>,r=<nonce>``: SERVER_FIRST_RESPONSE, or AUTH_ERR for
    an unknown user or key (the same answer, so names cannot be probed)."""
    ctx.connection.scram = None
    header, sep, bare = data["rfc_str"].partition(",,")
    attrs = _scram_attributes(bare) if sep and header in ("n", "y") else None
    nonce = _b64decode(attrs.get("r", "")) if attrs else None
    if not attrs or set(attrs) != {"n", "r"} or nonce is None or len(nonce) not in (32, 64):
        await _fail_delay(ctx)
        return _failure(ctx)
    username, _sep, key_id = _scram_name(attrs["n"]).rpartition(":")
    user = find_user(ctx.state, username)
    key = ctx.state.get("api_keys", key_id) if key_id.isdigit() else None
    if user is None or key is None or key["username"] != username or key["revoked"] or user["locked"] \
            or not key.get("scram"):
        await _fail_delay(ctx)
        return _failure(ctx)
    verifier = key["scram"]
    combined = base64.b64encode(nonce + secrets.token_bytes(SCRAM_NONCE_BYTES)).decode()
    server_first = "r=%s,s=%s,i=%d" % (combined, verifier["salt"], verifier["iterations"])
    ctx.connection.scram = {"user_id": user["id"], "key_id": key["id"], "client_first_bare": bare,
                            "server_first": server_first, "nonce": combined, "header": header}
    return {"response_type": "SCRAM_RESPONSE", "scram_type": "SERVER_FIRST_RESPONSE", "rfc_str": server_first,
            "user_info": None}


async def _scram_final(ctx, data):
    """CLIENT_FINAL_MESSAGE ``c=biws,r=<nonce>,p=<proof>``: logged in when H(proof XOR
    HMAC(StoredKey, AuthMessage)) is the StoredKey; SERVER_FINAL_RESPONSE ``v=<server signature>``."""
    pending = ctx.connection.scram
    if pending is None:
        raise CallError("SCRAM: no authentication in progress", errno.EINVAL)
    ctx.connection.scram = None
    attrs = _scram_attributes(data["rfc_str"])
    user = ctx.state.get("users", pending["user_id"])
    key = ctx.state.get("api_keys", pending["key_id"])
    proof = _b64decode(attrs.get("p", "")) if attrs else None
    binding = base64.b64encode((pending["header"] + ",,").encode()).decode()
    if (attrs is None or set(attrs) != {"c", "r", "p"} or attrs["c"] != binding or attrs["r"] != pending["nonce"]
            or proof is None or user is None or key is None or not key.get("scram")):
        await _fail_delay(ctx)
        return _failure(ctx)
    verifier = key["scram"]
    auth_message = ",".join((pending["client_first_bare"], pending["server_first"],
                             "c=%s,r=%s" % (attrs["c"], attrs["r"]))).encode()
    stored_key = base64.b64decode(verifier["stored_key"])
    signature = hmac.new(stored_key, auth_message, hashlib.sha512).digest()
    if len(proof) != len(signature):
        await _fail_delay(ctx)
        return _failure(ctx)
    client_key = bytes(a ^ b for a, b in zip(proof, signature))
    if not hmac.compare_digest(hashlib.sha512(client_key).digest(), stored_key):
        await _fail_delay(ctx)
        return _failure(ctx)
    if key["revoked"] or user["locked"]:
        return _failure(ctx)
    if _key_expired(key):
        return _failure(ctx, "EXPIRED")
    if not user.get("roles"):
        return _no_api_access(ctx)
    session = Session(user, "API_KEY", api_key=key)
    _success(ctx, session, {"login_options": {"user_info": False}})
    server_signature = hmac.new(base64.b64decode(verifier["server_key"]), auth_message, hashlib.sha512).digest()
    return {"response_type": "SCRAM_RESPONSE", "scram_type": "SERVER_FINAL_RESPONSE",
            "rfc_str": "v=" + base64.b64encode(server_signature).decode(), "user_info": me(user, session)}


async def _scram(ctx, data):
    if data["scram_type"] == "CLIENT_FIRST_MESSAGE":
        return await _scram_first(ctx, data)
    return await _scram_final(ctx, data)


HANDLERS = {"API_KEY_PLAIN": _api_key_plain, "PASSWORD_PLAIN": _password_plain, "TOKEN_PLAIN": _token_plain,
            "OTP_TOKEN": _otp_token, "SCRAM": _scram}


async def login_ex_impl(ctx, login_data, only_otp=False):
    LOGIN_SCHEMAS[(ctx.profile.login_v26, only_otp)].validate([login_data])
    mechanism = login_data["mechanism"]
    if mechanism != "OTP_TOKEN":
        ctx.connection.otp = None
    if mechanism != "SCRAM" or login_data.get("scram_type") == "CLIENT_FIRST_MESSAGE":
        ctx.connection.scram = None
    return await HANDLERS[mechanism](ctx, login_data)


# --- methods -------------------------------------------------------------------------------------
@method("auth.login_ex", no_auth=True, schema=False)
async def login_ex(ctx, login_data):
    """Log in with one mechanism; the result's ``response_type`` tells the outcome."""
    return await login_ex_impl(ctx, login_data)


@method("auth.login_ex_continue", no_auth=True, schema=False)
async def login_ex_continue(ctx, login_data):
    """The next step of a login (``OTP_TOKEN`` after ``OTP_REQUIRED``)."""
    return await login_ex_impl(ctx, login_data, only_otp=True)


def _require_str(value, attribute):
    if not isinstance(value, str):
        raise ValidationErrors([(attribute, "Input should be a valid string", errno.EINVAL)])


@method("auth.login", no_auth=True, schema=False)
async def login(ctx, username, password, otp_token=None):
    """Password login; true or false."""
    _require_str(username, "username")
    _require_str(password, "password")
    if otp_token is not None:
        _require_str(otp_token, "otp_token")
    ctx.connection.otp = None
    data = {"mechanism": "PASSWORD_PLAIN", "username": username, "password": password}
    result = await _password_plain(ctx, data)
    if result["response_type"] == "OTP_REQUIRED":
        if otp_token is None:
            ctx.connection.otp = None
            return False
        result = await _otp_token(ctx, {"mechanism": "OTP_TOKEN", "otp_token": otp_token})
    ctx.connection.otp = None
    return result["response_type"] == "SUCCESS"


@method("auth.login_with_api_key", no_auth=True, schema=False)
async def login_with_api_key(ctx, api_key):
    """API key login (the owner comes from the ``<id>-`` prefix); true or false."""
    _require_str(api_key, "api_key")
    prefix = api_key.split("-", 1)[0]
    key = ctx.state.get("api_keys", prefix) if prefix.isdigit() else None
    if key is None:
        _present_key(ctx, api_key)
        await _fail_delay(ctx)
        ctx.counters.login_failures += 1
        return False
    ctx.connection.otp = None
    result = await _api_key_plain(ctx, {"mechanism": "API_KEY_PLAIN", "username": key["username"],
                                        "api_key": api_key})
    return result["response_type"] == "SUCCESS"


@method("auth.login_with_token", no_auth=True, schema=False)
async def login_with_token(ctx, token):
    """Token login; true or false."""
    _require_str(token, "token")
    ctx.connection.otp = None
    result = await _token_plain(ctx, {"mechanism": "TOKEN_PLAIN", "token": token})
    return result["response_type"] == "SUCCESS"


@method("auth.me", schema=False)
def auth_me(ctx):
    """The logged-in user."""
    return me(ctx.session.user, ctx.session)


@method("auth.logout", schema=False)
def logout(ctx):
    """End the session; the connection stays open, unauthenticated."""
    session = ctx.session
    if session.token is not None:
        ctx.server.tokens.pop(session.token, None)
    ctx.connection.session = None
    ctx.connection.otp = None
    return True


@method("auth.generate_token", schema=False)
def generate_token(ctx, ttl=600, attrs=None, match_origin=True, single_use=False):
    """A token for ``TOKEN_PLAIN`` logins: ``[ttl=600, attrs={}, match_origin=true, single_use=false]``."""
    params = [ttl, {} if attrs is None else attrs, match_origin, single_use]
    TOKEN_SCHEMA.validate(params)
    if ctx.session.cred_type == "LOGIN_ONETIME_PASSWORD":
        raise CallError("Tokens may not be generated by sessions authenticated with a one-time password",
                        errno.EOPNOTSUPP)
    token = secrets.token_urlsafe(48)
    ctx.server.tokens[token] = {
        "user_id": ctx.session.user["id"],
        "ttl": 600 if ttl is None else ttl,
        "last_used": time.monotonic(),
        "attrs": params[1],
        "match_origin": match_origin,
        "ip": ctx.connection.remote_ip,
        "single_use": single_use,
    }
    return token


@method("auth.mechanism_choices", no_auth=True, schema=False)
def mechanism_choices(ctx):
    """The login mechanisms this server accepts."""
    if ctx.session is None and not ctx.profile.mechanism_choices_before_auth:
        raise AttributeError("'NoneType' object has no attribute 'may_create_auth_token'")
    return list(MECHANISMS_26 if ctx.profile.login_v26 else MECHANISMS)


# --- api_key.* -----------------------------------------------------------------------------------
def key_entry(ctx, key):
    out = {k: key[k] for k in ("id", "name", "username", "user_identifier", "created_at", "expires_at", "local",
                               "revoked")}
    if ctx.profile.at_least("25.10"):
        out["revoked_reason"] = key.get("revoked_reason")
    return out


@method("api_key.query", schema=False)
def api_key_query(ctx, filters=None, options=None):
    """API keys (never their material)."""
    keys = ctx.state.data.get("api_keys", {})
    return ctx.query([key_entry(ctx, k) for k in keys.values()], filters or [], options or {})


@method("api_key.get_instance", schema=False)
def api_key_get_instance(ctx, ident, options=None):
    """One API key."""
    key = ctx.state.get("api_keys", ident)
    if key is None or isinstance(ident, bool) or not isinstance(ident, int):
        raise InstanceNotFound("ApiKey", ident)
    return key_entry(ctx, key)


def _key_data(ctx, data, schema_name, create):
    if not isinstance(data, dict):
        raise ValidationErrors([(schema_name, "Input should be a valid dictionary", errno.EINVAL)])
    allowed = {"name", "username", "expires_at"} if create else {"name", "expires_at", "reset"}
    verrors = ValidationErrors()
    for key in data:
        if key not in allowed:
            verrors.add("%s.%s" % (schema_name, key), "Extra inputs are not permitted")
    if create:
        for key in ("name", "username"):
            if key not in data:
                verrors.add("%s.%s" % (schema_name, key), "Field required")
    if "name" in data and (not isinstance(data["name"], str) or not data["name"]):
        verrors.add("%s.name" % schema_name, "String should have at least 1 character")
    if "reset" in data and not isinstance(data["reset"], bool):
        verrors.add("%s.reset" % schema_name, "Input should be a valid boolean")
    expires = data.get("expires_at")
    if expires is not None and not isinstance(expires, datetime.datetime):
        verrors.add("%s.expires_at" % schema_name, "Input should be a valid datetime")
    verrors.raise_if_any()
    if create and find_user(ctx.state, data["username"]) is None:
        raise ValidationError("%s.username" % schema_name, "%s: user does not exist" % data["username"],
                              errno.ENOENT)


def _issue(ctx, key):
    material = new_key_material()
    full = "%d-%s" % (key["id"], material)
    key["keyhash"] = hash_key(full)
    key["scram"] = scram_verifier(key["id"], material, salt=secrets.token_bytes(16))
    key["revoked"] = False
    key["revoked_reason"] = None
    if isinstance(key.get("expires_at"), dict) and key["expires_at"].get("$date") == 0:
        key["expires_at"] = None
    entry = key_entry(ctx, key)
    entry["key"] = full
    return entry


@method("api_key.create", schema=False)
def api_key_create(ctx, data):
    """A new API key; the result's ``key`` is shown only here."""
    _key_data(ctx, data, "api_key_create", True)
    user = find_user(ctx.state, data["username"])
    key_id = ctx.state.next_id("api_keys")
    key = {"id": key_id, "name": data["name"], "username": user["username"], "user_identifier": user["uid"],
           "keyhash": "", "created_at": date_value(),
           "expires_at": date_value(data["expires_at"]) if data.get("expires_at") else None,
           "local": True, "revoked": False, "revoked_reason": None}
    ctx.state.put("api_keys", key)
    return _issue(ctx, key)


@method("api_key.update", schema=False)
def api_key_update(ctx, ident, data):
    """Rename a key, change its expiry, or ``reset`` it (new key material, not revoked)."""
    key = ctx.state.get("api_keys", ident)
    if key is None or isinstance(ident, bool) or not isinstance(ident, int):
        raise InstanceNotFound("ApiKey", ident)
    _key_data(ctx, data, "api_key_update", False)
    if "name" in data:
        key["name"] = data["name"]
    if "expires_at" in data:
        key["expires_at"] = date_value(data["expires_at"]) if data["expires_at"] else None
    if data.get("reset"):
        return _issue(ctx, key)
    return key_entry(ctx, key)


@method("api_key.delete", schema=False)
def api_key_delete(ctx, ident):
    """Delete a key."""
    if ctx.state.get("api_keys", ident) is None or isinstance(ident, bool) or not isinstance(ident, int):
        raise InstanceNotFound("ApiKey", ident)
    ctx.state.delete("api_keys", ident)
    return True
