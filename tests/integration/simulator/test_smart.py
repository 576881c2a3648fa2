"""SMART on the simulator: manual tests that finish after a simulated duration (25.04), their
wait job and results, periodic test tasks, attributes; none of it exists on 25.10 and 26."""
import time

import pytest


@pytest.fixture
def c(sim, sim_client):
    return sim_client(sim, login=True)


def wait_job(sim, job_id, timeout=10):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job = sim.job(job_id)
        if job["state"] in ("SUCCESS", "FAILED", "ABORTED"):
            return job
        time.sleep(0.02)
    raise AssertionError("job %s did not finish" % job_id)


@pytest.mark.sim_profiles("25.04")
def test_manual_test_runs_for_its_duration(sim, c):
    choices = c.request("smart.test.disk_choices")
    ident = [i for i, name in choices.items() if name == "sdg"][0]
    started = c.request("smart.test.manual_test", [{"identifier": ident, "type": "SHORT"}])
    assert [(r["disk"], r["identifier"], r["error"]) for r in started] == [("sdg", ident, None)]
    assert isinstance(started[0]["job"], int)
    assert started[0]["expected_result_time"]["$date"] > time.time() * 1000
    running = c.request("smart.test.results", [["disk", "=", "sdg"]], {"get": True})
    assert running["current_test"]["progress"] < 100
    again = c.request("smart.test.manual_test", [{"identifier": ident, "type": "LONG"}])
    assert again[0]["error"].startswith("Can't start a new self-test")
    assert wait_job(sim, started[0]["job"])["state"] == "SUCCESS"
    done = c.request("smart.test.results", [["disk", "=", "sdg"]], {"get": True})
    assert done["current_test"] is None
    assert (done["tests"][0]["description"], done["tests"][0]["status"]) == ("Short offline", "SUCCESS")
    assert len(done["tests"]) == 2


@pytest.mark.sim_profiles("25.04")
def test_manual_test_refusals(c):
    msg = c.call("smart.test.manual_test", [{"identifier": "{serial}NOPE", "type": "SHORT"}])
    assert msg["error"]["data"]["extra"] == [
        ["disks.0.identifier", "{serial}NOPE is not valid. Please provide a valid disk identifier.", 22]]
    assert c.call("smart.test.manual_test", [])["error"]["data"]["extra"] == [
        ["disks", "Please specify at least one disk.", 22]]


@pytest.mark.sim_profiles("25.04")
def test_periodic_tasks(c):
    idents = dict((name, ident) for ident, name in c.request("smart.test.disk_choices").items())
    task = c.request("smart.test.create", {"type": "SHORT", "disks": [idents["sda"], idents["sdb"]],
                                           "schedule": {"hour": "3", "dow": "0"}, "desc": "weekly"})
    assert task == {"id": 1, "type": "SHORT", "disks": [idents["sda"], idents["sdb"]], "all_disks": False,
                    "desc": "weekly", "schedule": {"hour": "3", "dom": "*", "month": "*", "dow": "0"}}
    refused = c.call("smart.test.create", {"type": "SHORT", "disks": [idents["sdb"]]})
    assert refused["error"]["data"]["extra"] == [
        ["smart_test_create.disks", "The following disks already have SHORT test: sdb", 22]]
    assert c.call("smart.test.create", {"type": "LONG"})["error"]["data"]["extra"] == [
        ["smart_test_create.disks", "This field is required", 22]]
    updated = c.request("smart.test.update", 1, {"schedule": {"hour": "4"}})
    assert updated["schedule"] == {"hour": "4", "dom": "*", "month": "*", "dow": "0"}
    assert c.request("smart.test.delete", 1) is True
    assert c.request("smart.test.query") == []


@pytest.mark.sim_profiles("25.04")
def test_attributes(c):
    attributes = c.request("disk.smart_attributes", "sda")
    temperature = [a for a in attributes if a["name"] == "Temperature_Celsius"][0]
    assert temperature["raw"]["value"] == 33


@pytest.mark.sim_profiles("25.10", "26")
@pytest.mark.parametrize("method", ["smart.test.manual_test", "smart.test.query", "smart.test.create",
                                    "disk.smart_attributes"])
def test_gone_from_25_10(c, method):
    assert c.call(method)["error"]["code"] == -32601
