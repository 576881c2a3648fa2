"""update.status (25.10+), update.check_available (25.04) and alert.list on the simulator."""
import jsonschema
import pytest

from tests.simulator import schema


@pytest.fixture
def c(sim, sim_client):
    return sim_client(sim, login=True)


def returns_ok(method, value):
    spec = schema.get(method).returns
    jsonschema.validate({"result": value}, spec)


@pytest.mark.sim_profiles("25.10", "26")
def test_update_status(sim, c):
    status = c.request("update.status")
    assert status["code"] == "NORMAL"
    assert status["status"]["new_version"]["version"] > sim.profile.product_version
    returns_ok("update.status", status)
    assert c.call("update.check_available")["error"]["code"] == -32601


@pytest.mark.sim_profiles("25.10", "26")
def test_update_status_never_raises(sim, c):
    sim.run(lambda: sim.state.data["update"].update(error={"errname": "EREBOOTREQUIRED", "reason": "Reboot first"}))
    status = c.request("update.status")
    assert (status["code"], status["status"], status["error"]) == (
        "ERROR", None, {"errname": "EREBOOTREQUIRED", "reason": "Reboot first"})
    returns_ok("update.status", status)


@pytest.mark.sim_profiles("25.04")
def test_check_available_25_04(sim, c):
    found = c.request("update.check_available")
    assert found["status"] == "AVAILABLE"
    assert c.call("update.status")["error"]["code"] == -32601
    sim.run(lambda: sim.state.data["update"].update(available=False))
    assert c.request("update.check_available") == {"status": "UNAVAILABLE"}


def test_alert_list(sim, c):
    alerts = c.request("alert.list")
    assert [(a["klass"], a["level"], a["dismissed"]) for a in alerts] == [
        ("PoolNotRedundant", "WARNING", False), ("SSHLoginFailures", "INFO", True)]
    if sim.profile.name != "25.04":
        returns_ok("alert.list", [dict(a, datetime="2025-09-30T10:00:00Z", last_occurrence="2025-09-30T10:00:00Z")
                                  for a in alerts])
    c.request("pool.scrub.run", "nope")
    assert "ScrubNotStarted" in [a["klass"] for a in c.request("alert.list")]


def test_realtime_event_source(sim, c):
    sim.run(lambda: sim.state.data.__setitem__("realtime_interval", 0.05))
    sub = c.request("core.subscribe", "reporting.realtime")
    event = c.wait_event(lambda m: m.get("params", {}).get("collection") == "reporting.realtime", timeout=5)
    fields = event["params"]["fields"]
    assert event["params"]["msg"] == "added"
    assert set(fields) == {"cpu", "disks", "interfaces", "memory", "zfs", "pools"}
    assert 0 <= fields["cpu"]["cpu"]["usage"] <= 100
    assert len([k for k in fields["cpu"] if k != "cpu"]) == sim.state_dump("system")["config"]["cores"]
    assert fields["memory"]["physical_memory_total"] == sim.state_dump("system")["config"]["physmem"]
    assert "enp1s0" in fields["interfaces"]
    assert sorted(fields["pools"]) == ["backup", "tank"]
    spec = dict(schema_fields())
    jsonschema.validate(fields, spec)
    c.request("core.unsubscribe", sub)


def schema_fields():
    import json
    import os
    path = os.path.join(os.path.dirname(schema.__file__), "schemas", "_index.additions.json")
    with open(path, encoding="utf-8") as f:
        return json.load(f)["events"]["reporting.realtime"]["fields"]
