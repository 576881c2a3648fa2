"""pool.snapshottask.* on the simulator: one shape on every profile, defaults and schedule merging,
the server's dataset / exclude / naming-schema / cron rules, events."""
import pytest


@pytest.fixture
def c(sim, sim_client):
    return sim_client(sim, login=True)


def invalid(c, method, *params):
    msg = c.call(method, *params)
    assert "error" in msg, msg
    assert msg["error"]["code"] == -32602, msg
    return msg["error"]["data"]["extra"]


SCHEDULE = {"minute": "00", "hour": "*", "dom": "*", "month": "*", "dow": "*", "begin": "00:00", "end": "23:59"}


def test_create_fills_defaults_and_query_finds_it(c):
    task = c.request("pool.snapshottask.create", {"dataset": "tank/vms", "schedule": {"minute": "15"}})
    assert task == {
        "id": 1, "dataset": "tank/vms", "recursive": False, "lifetime_value": 2, "lifetime_unit": "WEEK",
        "enabled": True, "exclude": [], "naming_schema": "auto-%Y-%m-%d_%H-%M", "allow_empty": True,
        "schedule": dict(SCHEDULE, minute="15"), "state": {"state": "PENDING"}, "vmware_sync": False,
    }
    assert c.request("pool.snapshottask.get_instance", 1) == task
    assert c.request("pool.snapshottask.query", [["dataset", "=", "tank/vms"],
                                                 ["naming_schema", "=", "auto-%Y-%m-%d_%H-%M"]]) == [task]


def test_update_merges_the_schedule_and_delete_returns_true(c):
    c.request("pool.snapshottask.create", {"dataset": "tank/vms", "recursive": True, "exclude": ["tank/vms/x"]})
    task = c.request("pool.snapshottask.update", 1, {"schedule": {"hour": "2"}, "lifetime_unit": "DAY"})
    assert task["schedule"] == dict(SCHEDULE, hour="2")
    assert task["lifetime_unit"] == "DAY"
    assert task["exclude"] == ["tank/vms/x"]
    assert c.request("pool.snapshottask.delete", 1) is True
    assert c.request("pool.snapshottask.query") == []
    msg = c.call("pool.snapshottask.delete", 1)
    assert msg["error"]["data"]["extra"][0][2] == 2  # ENOENT: does not exist


def test_server_rules(c):
    assert invalid(c, "pool.snapshottask.create", {"dataset": "tank/nope", "exclude": ["tank/other"]}) == [
        ["periodic_snapshot_create.dataset", "Dataset not found", 22],
        ["periodic_snapshot_create.exclude",
         "Excluding datasets is not necessary for non-recursive periodic snapshot tasks", 22],
        ["periodic_snapshot_create.exclude.0",
         "Excluded dataset should be a child or other descendant of the selected dataset", 22],
    ]
    assert invalid(c, "pool.snapshottask.create", {"dataset": "tank/vms", "naming_schema": "auto-%Y"}) == [
        ["data.naming_schema", "Value error, %m must be present in snapshot naming schema", 22],
    ]
    assert invalid(c, "pool.snapshottask.create", {"dataset": "tank/vms", "schedule": {"minute": "75"}}) == [
        ["data.schedule", "Value error, Please ensure fields match cron syntax", 22],
    ]


def test_model_errors(c):
    assert invalid(c, "pool.snapshottask.create", {"dataset": "tank/vms", "lifetime_unit": "DECADE", "x": 1}) == [
        ["data.lifetime_unit", "Input should be 'HOUR', 'DAY', 'WEEK', 'MONTH' or 'YEAR'", 22],
        ["data.x", "Extra inputs are not permitted", 22],
    ]


def test_events(sim, c):
    c.request("core.subscribe", "pool.snapshottask.query")
    c.request("pool.snapshottask.create", {"dataset": "tank/vms"})
    event = c.wait_event(lambda m: m.get("params", {}).get("collection") == "pool.snapshottask.query")
    assert event["params"]["msg"] == "added"
    assert event["params"]["id"] == 1
