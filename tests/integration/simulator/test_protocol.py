"""Wire protocol of the simulator: endpoints, JSON-RPC framing, errors, limits (protocol.md §1, §2, §4, §9)."""
import json
import ssl
import time
import urllib.error
import urllib.request

import pytest
import websocket

from tests.simulator.pytest_plugin import SimClient

VERSIONS = {
    "25.04": ["v25.04.0", "v25.04.1", "v25.04.2"],
    "25.10": ["v25.04.0", "v25.04.1", "v25.04.2", "v25.10.0", "v25.10.1", "v25.10.2", "v25.10.3", "v25.10.4",
              "v25.10.5"],
    "26": ["v25.04.0", "v25.04.1", "v25.04.2", "v25.10.0", "v25.10.1", "v25.10.2", "v25.10.3", "v25.10.4",
           "v26.0.0"],
}


def http_get(sim, path):
    ctx = ssl.create_default_context(cafile=sim.ca_file) if sim.tls else None
    try:
        with urllib.request.urlopen(sim.http_url + path, context=ctx, timeout=5) as resp:
            return resp.status, resp.headers.get("Content-Type"), resp.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.headers.get("Content-Type"), exc.read()


def padded(length, msg_id=1, method="core.ping"):
    """A request frame of exactly ``length`` characters (extra members are ignored by the server)."""
    base = {"jsonrpc": "2.0", "id": msg_id, "method": method, "params": [], "pad": ""}
    text = json.dumps(base)
    base["pad"] = "x" * (length - len(text))
    text = json.dumps(base)
    assert len(text) == length
    return text


# --- endpoints -----------------------------------------------------------------------------------
def test_api_versions(sim):
    status, ctype, body = http_get(sim, "/api/versions")
    assert (status, ctype) == (200, "application/json")
    assert json.loads(body) == VERSIONS[sim.profile.name]


def test_boot_id_endpoint_from_25_10(sim, sim_client):
    status, _ctype, body = http_get(sim, "/api/boot_id")
    client = sim_client(sim)
    boot_id = client.request("system.boot_id")
    if sim.profile.name == "25.04":
        assert status == 404
    else:
        assert status == 200
        assert json.loads(body) == boot_id


def test_unknown_paths_are_404(sim):
    assert http_get(sim, "/api/v99")[0] == 404
    assert http_get(sim, "/websocketx")[0] == 404
    with pytest.raises(websocket.WebSocketBadStatusException) as exc:
        SimClient(sim.url_for("/api/v99.0.0"), sim.ca_file)
    assert exc.value.status_code == 404


def test_every_listed_version_path_serves_json_rpc(sim):
    for version in VERSIONS[sim.profile.name] + ["current"]:
        client = SimClient(sim.url_for("/api/" + version), sim.ca_file)
        try:
            assert client.call("system.boot_id", msg_id="b")["id"] == "b"
        finally:
            client.close()


def test_tls_certificate_verifies_against_the_ca_file(sim):
    ctx = ssl.create_default_context(cafile=sim.ca_file)
    assert ctx.verify_mode == ssl.CERT_REQUIRED
    status = http_get(sim, "/api/versions")[0]
    assert status == 200
    system_cas = ssl.get_default_verify_paths().cafile or "/etc/ssl/certs/ca-certificates.crt"
    with pytest.raises(ssl.SSLError):
        websocket.create_connection(sim.url, timeout=5, sslopt={"cert_reqs": ssl.CERT_REQUIRED, "ca_certs": system_cas})


def test_plain_ws_without_tls(sim_factory):
    server = sim_factory("25.10", tls=False)
    assert server.url.startswith("ws://127.0.0.1:")
    assert server.ca_file is None
    client = SimClient(server.url)
    assert client.call("core.ping", msg_id=7) == {"jsonrpc": "2.0", "result": "pong", "id": 7}
    client.close()


# --- framing -------------------------------------------------------------------------------------
@pytest.mark.parametrize("text,message", [
    ("not json", "Expecting value: line 1 column 1 (char 0)"),
    ("{", "Expecting property name enclosed in double quotes: line 1 column 2 (char 1)"),
    ("[]", "Batch messages are not supported at this time"),
    ('[{"jsonrpc": "2.0", "id": 1, "method": "core.ping"}]', "Batch messages are not supported at this time"),
    ('"core.ping"', "Invalid Message Format"),
    ("5", "Invalid Message Format"),
    ("null", "Invalid Message Format"),
])
def test_parse_errors_keep_the_connection_open(sim, sim_client, text, message):
    client = sim_client(sim)
    client.send(text)
    assert client.recv() == {"jsonrpc": "2.0", "error": {"code": -32700, "message": message}, "id": None}
    assert client.call("system.boot_id", msg_id=2)["id"] == 2


@pytest.mark.parametrize("request_obj,message", [
    ({"id": 1, "method": "core.ping"}, "Missing 'jsonrpc' member"),
    ({"jsonrpc": "1.0", "id": 1, "method": "core.ping"}, "'jsonrpc' member must be of type string and must be exactly '2.0'"),
    ({"jsonrpc": 2.0, "id": 1, "method": "core.ping"}, "'jsonrpc' member must be of type string and must be exactly '2.0'"),
    ({"jsonrpc": "2.0", "id": 1.5, "method": "core.ping"}, "'id' member must be of type null, string or number"),
    ({"jsonrpc": "2.0", "id": [1], "method": "core.ping"}, "'id' member must be of type null, string or number"),
    ({"jsonrpc": "2.0", "id": {"a": 1}}, "'id' member must be of type null, string or number"),
    ({"jsonrpc": "2.0", "id": 1}, "Missing 'method' member"),
    ({"jsonrpc": "2.0", "id": 1, "method": 5}, "'method' member must be of type string"),
    ({"jsonrpc": "2.0", "id": 1, "method": ""}, "'method' member must be of type string"),
    ({"jsonrpc": "2.0", "id": 1, "method": "core.ping", "params": {}}, "'params' member must be of type array"),
    ({"jsonrpc": "2.0", "id": 1, "method": "core.ping", "params": None}, "'params' member must be of type array"),
    ({"jsonrpc": "2.0", "id": 1, "method": "nope", "params": "x"}, "'params' member must be of type array"),
    ({"id": 1.5, "method": 5}, "Missing 'jsonrpc' member"),
])
def test_invalid_requests_in_order(sim, sim_client, request_obj, message):
    client = sim_client(sim)
    client.send(request_obj)
    assert client.recv() == {"jsonrpc": "2.0", "error": {"code": -32600, "message": message},
                             "id": request_obj["id"]}


def test_invalid_requests_without_id_get_no_reply(sim, sim_client):
    client = sim_client(sim)
    client.send({"jsonrpc": "1.0", "method": "core.ping"})
    client.send({"jsonrpc": "2.0", "method": 5})
    client.send({"jsonrpc": "2.0", "method": "no.such.method"})
    client.send({"jsonrpc": "2.0", "method": "system.info"})
    assert client.call("system.boot_id", msg_id="last")["id"] == "last"
    assert client.events == []
    assert client.replies == {}


def test_notifications_run_but_are_never_answered(sim, sim_client):
    client = sim_client(sim, login=True)
    sim.reset_counters()
    client.send({"jsonrpc": "2.0", "method": "core.ping"})
    client.send({"jsonrpc": "2.0", "method": "core.ping", "params": []})
    client.send({"jsonrpc": "2.0", "method": "auth.logout", "params": []})
    reply = client.call("system.info", msg_id=9)
    assert reply["error"]["data"]["error"] == 207
    assert sim.counters_snapshot()["calls"] == {"auth.logout": 1, "core.ping": 2, "system.info": 1}


def test_null_and_boolean_ids_are_answered(sim, sim_client):
    client = sim_client(sim)
    client.send({"jsonrpc": "2.0", "id": None, "method": "system.boot_id"})
    assert client.recv() == {"jsonrpc": "2.0", "result": sim.boot_id, "id": None}
    client.send({"jsonrpc": "2.0", "id": True, "method": "system.boot_id"})
    assert client.recv() == {"jsonrpc": "2.0", "result": sim.boot_id, "id": True}


def test_missing_params_mean_no_params(sim, sim_client):
    client = sim_client(sim, login=True)
    client.send({"jsonrpc": "2.0", "id": "x", "method": "core.ping", "extra_member": 1})
    assert client.recv() == {"jsonrpc": "2.0", "result": "pong", "id": "x"}


def test_unknown_method(sim, sim_client):
    client = sim_client(sim)
    assert client.call("no.such.method", msg_id=3) == {
        "jsonrpc": "2.0", "error": {"code": -32601, "message": "Method does not exist"}, "id": 3}


def test_binary_frames_close_with_1003(sim, sim_client):
    client = sim_client(sim)
    client.send(b'{"jsonrpc": "2.0", "id": 1, "method": "core.ping"}')
    assert client.wait_closed() == (1003, "Invalid websocket message type: <WSMsgType.BINARY: 2>")


# --- size limits ---------------------------------------------------------------------------------
def test_anonymous_limit_8192_characters(sim, sim_client):
    client = sim_client(sim)
    client.send(padded(8192, method="system.boot_id"))
    assert client.recv()["result"] == sim.boot_id
    client.send(padded(8193, method="system.boot_id"))
    assert client.wait_closed() == (1007, "Anonymous connection max message length is 8 kB")


def test_limit_counts_characters_not_bytes(sim, sim_client):
    client = sim_client(sim)
    base = {"jsonrpc": "2.0", "id": 1, "method": "system.boot_id", "pad": ""}
    base["pad"] = "é" * (8192 - len(json.dumps(base, ensure_ascii=False)))
    text = json.dumps(base, ensure_ascii=False)
    assert len(text) == 8192 and len(text.encode()) > 8192
    client.send(text)
    assert client.recv()["result"] == sim.boot_id


def test_authenticated_limit_65536_characters(sim, sim_client):
    client = sim_client(sim, login=True)
    client.send(padded(65536, msg_id=5))
    assert client.recv() == {"jsonrpc": "2.0", "result": "pong", "id": 5}
    client.send(padded(65537, msg_id=6))
    assert client.wait_closed() == (1009, "Max message length is 64 kB")


# --- errors --------------------------------------------------------------------------------------
def test_not_authenticated_error_object(sim, sim_client):
    client = sim_client(sim)
    error = client.call("system.info", msg_id=1)["error"]
    assert error["code"] == -32001
    assert error["message"] == "Method call error"
    data = error["data"]
    assert sorted(data) == ["errname", "error", "extra", "reason", "trace"]
    assert (data["error"], data["errname"], data["reason"], data["extra"]) == (
        207, "ENOTAUTHENTICATED", "[ENOTAUTHENTICATED] Not authenticated", None)
    trace = data["trace"]
    assert trace["class"] == "CallError"
    assert trace["repr"] == "CallError('Not authenticated', 207, None)"
    assert trace["formatted"].startswith("Traceback (most recent call last):\n")
    if sim.profile.name == "26":
        assert sorted(trace) == ["class", "formatted", "repr"]
    else:
        assert sorted(trace) == ["class", "formatted", "frames", "repr"]
        assert trace["frames"] and sorted(trace["frames"][0]) == ["filename", "line", "lineno", "method"]


def test_validation_error_object(sim, sim_client):
    client = sim_client(sim, login=True)
    error = client.call("core.get_jobs", [], {"bogus": 1, "count": "yes"})["error"]
    assert error["code"] == -32602
    assert error["message"] == "Invalid params"
    data = error["data"]
    assert data["error"] == 22
    assert data["errname"] == "EINVAL"
    assert data["extra"] == [["options.bogus", "Extra inputs are not permitted", 22],
                             ["options.count", "Input should be a valid boolean", 22]]
    assert data["reason"] == ("[EINVAL] options.bogus: Extra inputs are not permitted\n"
                              "[EINVAL] options.count: Input should be a valid boolean\n")
    assert data["trace"]["class"] == "ValidationErrors"


def test_instance_not_found_shape(sim, sim_client):
    client = sim_client(sim, login=True)
    error = client.call("core.job_abort", 5)["error"]
    assert error["code"] == -32602
    assert error["data"]["extra"] == [[None, "Job with id 5 does not exist", 2]]
    assert error["data"]["reason"] == "[ENOENT] None: Job with id 5 does not exist"
    assert error["data"]["error"] == 22


def test_too_many_arguments_per_profile(sim, sim_client):
    client = sim_client(sim, login=True)
    error = client.call("core.ping", 1)["error"]
    if sim.profile.name == "25.04":
        assert error["code"] == -32001
        assert error["data"]["reason"] == "[EFAULT] Too many arguments (expected 0, found 1)"
    else:
        assert error["code"] == -32602
        assert error["data"]["extra"] == [["", "Too many arguments (expected 0, found 1)", 22]]


def test_missing_argument(sim, sim_client):
    client = sim_client(sim, login=True)
    error = client.call("core.subscribe")["error"]
    assert error["code"] == -32602
    assert error["data"]["extra"] == [["event", "Field required", 22]]


def test_schema_validation_only_from_25_10(sim, sim_client):
    client = sim_client(sim, login=True)
    # 25.04 checks query-options in filter_list, 25.10+ against the schema: the same triple
    reply = client.call("pool.dataset.query", [], {"limit": "5"})
    assert reply["error"]["data"]["extra"] == [["options.limit", "Input should be a valid integer", 22]]
    reply = client.call("pool.dataset.query", [], {}, 3)
    if sim.profile.name == "25.04":
        assert reply["error"]["code"] == -32001
    else:
        assert reply["error"]["data"]["extra"] == [["", "Too many arguments (expected 2, found 3)", 22]]


# --- ejson ---------------------------------------------------------------------------------------
def test_ejson_dates_and_sets_out(sim, sim_client):
    client = sim_client(sim)
    result = client.request("auth.login_ex", {"mechanism": "PASSWORD_PLAIN", "username": "admin",
                                              "password": sim.credentials["password"]})
    roles = result["user_info"]["privilege"]["roles"]
    assert list(roles) == ["$set"]
    assert sorted(roles["$set"]) == ["FULL_ADMIN", "READONLY_ADMIN"]
    info = client.request("system.info")
    assert info["buildtime"] == {"$date": 1759276800000}
    assert info["datetime"]["$date"] % 1000 == 0
    assert abs(info["datetime"]["$date"] / 1000 - time.time()) < 5


def test_ejson_dates_in(sim, sim_client):
    client = sim_client(sim, login=True)
    created = client.request("api_key.create", {"name": "dated", "username": "admin",
                                                "expires_at": {"$date": 4102444800000}})
    assert created["expires_at"] == {"$date": 4102444800000}
    assert client.request("api_key.query", [["name", "=", "dated"]], {"get": True, "select": ["expires_at"]}) == {
        "expires_at": {"$date": 4102444800000}}
    error = client.call("api_key.create", {"name": "iso", "username": "admin",
                                           "expires_at": "2100-01-01T00:00:00Z"})["error"]
    assert error["data"]["extra"] == [["api_key_create.expires_at", "Input should be a valid datetime", 22]]


# --- concurrency ---------------------------------------------------------------------------------
def test_twenty_calls_in_flight_and_the_21st_is_refused(sim, sim_client):
    client = sim_client(sim, login=True)
    sim.fault("delay", seconds=0.3, method="core.ping")
    start = time.monotonic()
    ids = [client.start("core.ping") for _unused in range(21)]
    assert client.pump() == {"jsonrpc": "2.0", "error": {
        "code": -32000, "message": "Maximum number of concurrent calls (20) has exceeded"}, "id": ids[-1]}
    for msg_id in ids[:20]:
        assert client.reply(msg_id)["result"] == "pong"
    # ten run at once: the twenty delayed replies need two rounds
    assert time.monotonic() - start >= 0.55
    assert client.call("core.ping", msg_id="after")["result"] == "pong"


def test_replies_come_back_out_of_order(sim, sim_client):
    client = sim_client(sim, login=True)
    sim.fault("delay", seconds=0.3, method="system.info", count=1)
    slow = client.start("system.info")
    fast = client.start("core.ping")
    first = client.pump()
    assert first["id"] == fast
    assert client.reply(slow)["result"]["hostname"] == "truenas-sim"


def test_get_methods_describes_methods_and_jobs(sim, sim_client):
    client = sim_client(sim, login=True)
    methods = client.request("core.get_methods")
    assert methods["core.ping"]["no_auth_required"] is (sim.profile.name != "25.04")
    assert methods["test.job"]["job"] is True
    assert methods["system.info"]["job"] is False
    query = methods["pool.dataset.query"]
    assert [a["_name_"] for a in query["accepts"]] == ["filters", "options"]
    assert query["filterable"] is True
    assert query["accepts"][1]["properties"]["limit"]["type"] == "integer"
    if sim.profile.name == "26":
        assert "item_method" not in query and query["cli_private"] is False
    else:
        assert query["item_method"] is False
    only_core = client.request("core.get_methods", "core")
    assert "core.ping" in only_core and "system.info" not in only_core


def test_get_methods_before_login_only_on_25_04(sim, sim_client):
    client = sim_client(sim)
    reply = client.call("core.get_methods")
    if sim.profile.name == "25.04":
        names = set(reply["result"])
        assert {"auth.login_ex", "core.set_options", "system.boot_id"} <= names
        assert "system.info" not in names and "core.ping" not in names
    else:
        assert reply["error"]["data"]["error"] == 207


# --- system facts --------------------------------------------------------------------------------
PRODUCT = {"25.04": "25.04.2.6", "25.10": "25.10.5", "26": "26.0.0"}


def test_system_methods(sim, sim_client):
    client = sim_client(sim, login=True)
    info = client.request("system.info")
    assert sorted(info) == sorted([
        "version", "buildtime", "hostname", "physmem", "model", "cores", "physical_cores", "loadavg", "uptime",
        "uptime_seconds", "system_serial", "system_product", "system_product_version", "license", "boottime",
        "datetime", "timezone", "system_manufacturer", "ecc_memory"])
    fixed = {k: info[k] for k in ("version", "hostname", "physmem", "model", "cores", "physical_cores", "loadavg",
                                  "system_serial", "system_product", "system_product_version", "license",
                                  "timezone", "system_manufacturer", "ecc_memory")}
    assert fixed == {
        "version": PRODUCT[sim.profile.name], "hostname": "truenas-sim", "physmem": 68719476736,
        "model": "AMD EPYC 7302P 16-Core Processor", "cores": 32, "physical_cores": 16, "loadavg": [0.12, 0.2, 0.18],
        "system_serial": "SIM-0001", "system_product": "TrueNAS Simulator", "system_product_version": "1.0",
        "license": None, "timezone": "UTC", "system_manufacturer": "nasops", "ecc_memory": True}
    # The uptime grows with the server's wall time from the seeded 273906.12 s (3 days, 4:05:06).
    assert info["uptime_seconds"] >= 273906.12
    days, rest = info["uptime"].split(" days, ")
    hours, minutes, seconds = rest.split(":")
    assert abs(int(days) * 86400 + int(hours) * 3600 + int(minutes) * 60 + float(seconds)
               - info["uptime_seconds"]) < 1.0
    assert info["boottime"]["$date"] <= info["datetime"]["$date"]
    assert client.request("system.version") == "TrueNAS-" + PRODUCT[sim.profile.name]
    assert client.request("system.version_short") == PRODUCT[sim.profile.name]
    assert client.request("system.product_type") == "COMMUNITY_EDITION"
    assert client.request("system.ready") is True
    assert client.request("system.state") == "READY"
    assert client.request("system.boot_id") == sim.boot_id
    services = client.request("core.get_services")
    assert services["core"]["type"] == "service"
    assert services["pool.dataset"]["type"] == "crud"


@pytest.mark.sim_profiles("25.10", "26")
def test_older_version_endpoint_lacks_the_newer_models(sim, sim_client):
    """/api/v25.04.x on a 25.10+ server: methods whose models the old version lacks answer ENOMETHOD
    (-32001, errno 201), not -32601; the current endpoint and the server's own version work."""
    old = sim_client(sim, login=True, path="/api/v25.04.2")
    error = old.call("pool.dataset.create", {"name": "tank/x"})["error"]
    assert (error["code"], error["data"]["error"], error["data"]["reason"]) == (
        -32001, 201, "[ENOMETHOD] Method 'create' not found in 'pool.dataset'")
    assert "tank/x" not in sim.state_dump("datasets")
    assert old.call("pool.snapshot.query")["error"]["data"]["error"] == 201
    assert old.call("no.such.method")["error"]["code"] == -32601
    assert isinstance(old.request("vm.query"), list)  # vm.* exists in v25.04.2
    older = sim_client(sim, login=True, path="/api/v25.04.1")
    assert older.call("vm.query")["error"]["data"]["reason"] == "[ENOMETHOD] Method 'query' not found in 'vm'"
    current = sim_client(sim, login=True, path="/api/current")
    assert current.request("pool.dataset.create", {"name": "tank/x"})["id"] == "tank/x"
