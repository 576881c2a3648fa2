"""Jobs (protocol.md §5): ids, the job object, legacy and new-style calls, events, abort, wait, get_jobs."""
import time

import pytest

TERMINAL = ("SUCCESS", "FAILED", "ABORTED")


def logged_in(sim, sim_client, subscribe=True):
    client = sim_client(sim, login=True)
    if subscribe:
        client.request("core.subscribe", "core.get_jobs")
    return client


def new_style(client):
    return client.request("core.set_options", {"legacy_jobs": False})


def job_events(client, job_id, terminal_events, timeout=10):
    """Every core.get_jobs event of ``job_id`` until ``terminal_events`` terminal ones were seen."""
    deadline = time.monotonic() + timeout
    while True:
        seen = [e for e in client.events
                if e.get("method") == "collection_update" and e["params"].get("id") == job_id]
        if sum(1 for e in seen if e["params"]["fields"]["state"] in TERMINAL) >= terminal_events:
            return seen
        client.pump(deadline - time.monotonic())


def no_more_events(client, job_id, wait=0.15):
    end = time.monotonic() + wait
    while time.monotonic() < end:
        try:
            client.pump(end - time.monotonic())
        except TimeoutError:
            break
        except OSError:
            break
    return [e for e in client.events if e.get("params", {}).get("id") == job_id]


def steps(events):
    return [(e["params"]["msg"], e["params"]["fields"]["state"], e["params"]["fields"]["progress"]["percent"],
             e["params"]["fields"]["progress"]["description"]) for e in events]


def stable(job):
    """The job object with the values that change from run to run replaced."""
    job = dict(job)
    for key in ("time_started", "time_finished"):
        if job[key] is not None:
            assert list(job[key]) == ["$date"] and job[key]["$date"] % 1000 == 0
            job[key] = "DATE"
    if job["credentials"] is not None:
        data = dict(job["credentials"]["data"])
        assert len(data.pop("login_id")) == 36
        assert list(data.pop("login_at")) == ["$date"]
        job["credentials"] = {"type": job["credentials"]["type"], "data": data}
    if job["exception"] is not None:
        assert job["exception"].startswith("Traceback (most recent call last):\n")
        job["exception"] = "TRACEBACK"
    return job


def expected_job(sim, job_id, message_ids, **changes):
    job = {"id": job_id}
    if sim.profile.name != "25.04":
        job["message_ids"] = message_ids
    job.update({
        "method": "test.job", "arguments": [], "transient": False, "description": None, "abortable": True,
        "logs_path": None, "logs_excerpt": None, "progress": {"percent": 0, "description": "", "extra": None},
        "result": None, "result_encoding_error": None, "error": None, "exception": None, "exc_info": None,
        "state": "WAITING", "time_started": "DATE", "time_finished": None,
        "credentials": {"type": "LOGIN_PASSWORD", "data": {"username": "admin"}},
    })
    job.update(changes)
    return job


# --- legacy mode ---------------------------------------------------------------------------------
def test_legacy_call_returns_the_job_id_at_once(sim, sim_client):
    client = logged_in(sim, sim_client, subscribe=False)
    sim.set_job_duration(0.5)
    assert client.call("test.job", msg_id="a1") == {"jsonrpc": "2.0", "result": 1, "id": "a1"}
    assert sim.job(1)["state"] in ("WAITING", "RUNNING")
    assert client.request("test.job") == 2


def test_events_of_a_successful_job(sim, sim_client):
    client = logged_in(sim, sim_client)
    job_id = client.request("test.job", {"steps": 2, "result": {"ok": 1}})
    events = job_events(client, job_id, 2)
    assert steps(events) == [
        ("added", "WAITING", 0, ""),
        ("changed", "RUNNING", 0, ""),
        ("changed", "RUNNING", 33, "Step 1 of 2"),
        ("changed", "RUNNING", 66, "Step 2 of 2"),
        ("changed", "SUCCESS", 100, "Step 2 of 2"),
        ("changed", "SUCCESS", 100, "Step 2 of 2"),
    ]
    assert no_more_events(client, job_id) == events
    first = events[0]
    assert first["jsonrpc"] == "2.0" and first["method"] == "collection_update"
    assert sorted(first["params"]) == ["collection", "fields", "id", "msg"]
    assert first["params"]["collection"] == "core.get_jobs"
    message_ids = [client.next_id]
    assert stable(events[-1]["params"]["fields"]) == expected_job(
        sim, job_id, message_ids, arguments=[{"steps": 2, "result": {"ok": 1}}],
        progress={"percent": 100, "description": "Step 2 of 2", "extra": None}, result={"ok": 1},
        state="SUCCESS", time_finished="DATE")
    assert stable(events[0]["params"]["fields"]) == expected_job(
        sim, job_id, message_ids, arguments=[{"steps": 2, "result": {"ok": 1}}])


def test_a_job_already_at_100_percent_reports_success_once(sim, sim_client):
    client = logged_in(sim, sim_client)
    job_id = client.request("test.job", {"steps": 0})
    events = job_events(client, job_id, 2)
    assert steps(events) == [("added", "WAITING", 0, ""), ("changed", "RUNNING", 0, ""),
                             ("changed", "SUCCESS", 100, ""), ("changed", "SUCCESS", 100, "")]


def test_message_ids_only_from_25_10_and_only_truthy(sim, sim_client):
    client = logged_in(sim, sim_client, subscribe=False)
    first = client.call("test.job", msg_id="req-7")["result"]
    second = client.call("test.job", msg_id=0)["result"]
    jobs = client.request("core.get_jobs", [], {"order_by": ["id"]})
    if sim.profile.name == "25.04":
        assert "message_ids" not in jobs[0] and "message_ids" not in jobs[1]
    else:
        assert [(j["id"], j["message_ids"]) for j in jobs] == [(first, ["req-7"]), (second, [])]


def test_validation_inside_the_job_in_legacy_mode(sim, sim_client):
    client = logged_in(sim, sim_client)
    job_id = client.request("test.job", {"steps": "2"})
    assert isinstance(job_id, int)
    events = job_events(client, job_id, 1)
    assert steps(events) == [("added", "WAITING", 0, ""), ("changed", "RUNNING", 0, ""),
                             ("changed", "FAILED", 0, "")]
    job = stable(events[-1]["params"]["fields"])
    assert job["error"] == "[EINVAL] options.steps: Input should be a valid integer\n"
    assert job["exc_info"] == {
        "repr": "ValidationErrors([('options.steps', 'Input should be a valid integer', 22)])",
        "type": "VALIDATION", "errno": None, "extra": [["options.steps", "Input should be a valid integer", 22]]}
    assert job["exception"] == "TRACEBACK"
    assert no_more_events(client, job_id) == events


def test_call_error_inside_the_job(sim, sim_client):
    client = logged_in(sim, sim_client)
    job_id = client.request("test.job", {"fail": "CallError", "errno": 2, "message": "boom", "steps": 1})
    job = stable(job_events(client, job_id, 1)[-1]["params"]["fields"])
    assert (job["state"], job["error"], job["result"]) == ("FAILED", "[ENOENT] boom", None)
    assert job["exc_info"] == {"repr": "CallError('boom', 2, None)", "type": "CallError", "errno": 2, "extra": None}
    assert job["progress"] == {"percent": 50, "description": "Step 1 of 1", "extra": None}


# --- new-style jobs ------------------------------------------------------------------------------
def test_set_options_per_profile(sim, sim_client):
    client = sim_client(sim)
    result = new_style(client)
    if sim.profile.name == "25.04":
        assert result is None
    else:
        assert result == {"legacy_jobs": False, "private_methods": False, "py_exceptions": False}
        assert client.request("core.set_options", {"legacy_jobs": True, "unknown": 1}) == {
            "legacy_jobs": True, "private_methods": False, "py_exceptions": False}
    error = client.call("core.set_options", {"py_exceptions": "yes"})["error"]
    assert error["data"]["extra"] == [["options.py_exceptions", "Input should be a valid boolean", 22]]


def test_new_style_call_returns_the_result(sim, sim_client):
    client = logged_in(sim, sim_client, subscribe=False)
    new_style(client)
    reply = client.call("test.job", {"result": [1, 2]}, msg_id="n1")
    if sim.profile.name == "25.04":
        assert reply == {"jsonrpc": "2.0", "result": 1, "id": "n1"}
    else:
        assert reply == {"jsonrpc": "2.0", "result": [1, 2], "id": "n1"}
        assert sim.job(1)["state"] == "SUCCESS"


@pytest.mark.sim_profiles("25.10", "26")
def test_new_style_errors(sim, sim_client):
    client = logged_in(sim, sim_client, subscribe=False)
    new_style(client)
    error = client.call("test.job", {"steps": "x"})["error"]
    assert error["code"] == -32602
    assert error["data"]["extra"] == [["options.steps", "Input should be a valid integer", 22]]
    error = client.call("test.job", {"fail": "CallError", "errno": 16, "message": "busy"})["error"]
    assert error["code"] == -32001
    assert (error["data"]["error"], error["data"]["reason"]) == (16, "[EBUSY] busy")
    assert [j["state"] for j in client.request("core.get_jobs")] == ["FAILED", "FAILED"]


@pytest.mark.sim_profiles("25.10", "26")
def test_new_style_job_holds_its_slot(sim, sim_client):
    client = logged_in(sim, sim_client, subscribe=False)
    new_style(client)
    sim.set_job_duration(0.5)
    ids = [client.start("test.job") for _unused in range(20)]
    refused = client.call("core.ping")
    assert refused["error"]["code"] == -32000
    assert [client.reply(i)["result"] for i in ids] == [None] * 20


# --- core.get_jobs, abort, wait ------------------------------------------------------------------
def test_get_jobs_query(sim, sim_client):
    client = logged_in(sim, sim_client)
    a = client.request("test.job", {"result": "a"})
    b = client.request("test.job", {"fail": "CallError"})
    job_events(client, a, 2)
    job_events(client, b, 1)
    assert client.request("core.get_jobs", [["id", "=", b]], {"select": ["id", "state", "error"]}) == [
        {"id": b, "state": "FAILED", "error": "[EFAULT] Job failed"}]
    assert client.request("core.get_jobs", [["state", "=", "SUCCESS"]], {"get": True})["result"] == "a"
    assert client.request("core.get_jobs", [], {"count": True}) == 2
    assert [j["id"] for j in client.request("core.get_jobs", [], {"order_by": ["-id"]})] == [b, a]
    assert client.request("core.get_jobs", [["method", "=", "test.job"], ["arguments.0.result", "=", "a"]],
                          {"select": ["id"]}) == [{"id": a}]


def test_job_ids_count_up_from_one_per_server(sim, sim_client):
    client = logged_in(sim, sim_client, subscribe=False)
    assert [client.request("test.job") for _unused in range(3)] == [1, 2, 3]


def test_abort_a_running_job(sim, sim_client):
    client = logged_in(sim, sim_client)
    sim.set_job_duration(5)
    job_id = client.request("test.job")
    client.wait_event(lambda e: e["params"].get("id") == job_id and e["params"]["fields"]["state"] == "RUNNING")
    assert client.call("core.job_abort", job_id, msg_id="ab") == {"jsonrpc": "2.0", "result": None, "id": "ab"}
    job = stable(job_events(client, job_id, 1)[-1]["params"]["fields"])
    assert (job["state"], job["error"], job["exc_info"], job["time_finished"]) == ("ABORTED", None, None, "DATE")
    assert client.request("core.job_abort", job_id) is None
    assert sim.job(job_id)["state"] == "ABORTED"


@pytest.mark.sim_profiles("25.10", "26")
def test_aborted_new_style_call_returns_null(sim, sim_client):
    caller = logged_in(sim, sim_client, subscribe=False)
    new_style(caller)
    sim.set_job_duration(5)
    msg_id = caller.start("test.job")
    watcher = logged_in(sim, sim_client, subscribe=False)
    deadline = time.monotonic() + 5
    while sim.job(1) is None or sim.job(1)["state"] != "RUNNING":
        assert time.monotonic() < deadline
        time.sleep(0.01)
    watcher.request("core.job_abort", 1)
    assert caller.reply(msg_id)["result"] is None


def test_abort_unknown_and_finished_jobs(sim, sim_client):
    client = logged_in(sim, sim_client)
    error = client.call("core.job_abort", 99)["error"]
    assert error["code"] == -32602
    assert error["data"]["extra"] == [[None, "Job with id 99 does not exist", 2]]
    job_id = client.request("test.job")
    job_events(client, job_id, 2)
    assert client.request("core.job_abort", job_id) is None
    assert sim.job(job_id)["state"] == "SUCCESS"


def test_job_wait(sim, sim_client):
    client = logged_in(sim, sim_client)
    target = client.request("test.job", {"result": "done"})
    waiter = client.request("core.job_wait", target)
    assert waiter == target + 1
    job = job_events(client, waiter, 2)[-1]["params"]["fields"]
    assert (job["method"], job["state"], job["result"]) == ("core.job_wait", "SUCCESS", "done")
    assert job["arguments"] == [target]
    missing = client.request("core.job_wait", 99)
    job = job_events(client, missing, 1)[-1]["params"]["fields"]
    assert job["state"] == "FAILED"
    assert job["exc_info"]["type"] == "VALIDATION"
    assert job["exc_info"]["extra"] == [[None, "Job with id 99 does not exist", 2]]


@pytest.mark.sim_profiles("25.10", "26")
def test_job_wait_new_style(sim, sim_client):
    client = logged_in(sim, sim_client, subscribe=False)
    target = client.request("test.job", {"result": 42})
    new_style(client)
    assert client.request("core.job_wait", target) == 42
    error = client.call("core.job_wait", 99)["error"]
    assert error["code"] == -32602
    assert error["data"]["extra"] == [[None, "Job with id 99 does not exist", 2]]


def test_job_duration_hook(sim, sim_client):
    client = logged_in(sim, sim_client)
    assert client.request("test.set_job_duration", 0.4, "test.job") is True
    start = time.monotonic()
    job_id = client.request("test.job", {"steps": 0})
    job_events(client, job_id, 2)
    assert time.monotonic() - start >= 0.4
    error = client.call("test.set_job_duration", -1)["error"]
    assert error["data"]["extra"] == [["seconds", "Input should be a number greater than or equal to 0", 22]]


def test_jobs_of_other_users_are_invisible_to_non_admins(sim, sim_client):
    admin = logged_in(sim, sim_client)
    viewer = sim_client(sim)
    viewer.login("viewer", next(u["password"] for u in sim.seed["users"] if u["username"] == "viewer"))
    viewer.request("core.subscribe", "core.get_jobs")
    job_id = admin.request("test.job")
    job_events(admin, job_id, 2)
    assert viewer.request("core.get_jobs") == []
    assert viewer.events == []
    error = viewer.call("core.job_abort", job_id)["error"]
    assert (error["code"], error["data"]["reason"]) == (-32001, "[EACCES] Not authorized")


def test_credentials_of_an_api_key_job(sim, sim_client):
    client = sim_client(sim)
    assert client.request("auth.login_ex", {"mechanism": "API_KEY_PLAIN", "username": "admin",
                                            "api_key": sim.credentials["api_key"]})["response_type"] == "SUCCESS"
    job_id = client.request("test.job")
    credentials = stable(sim.job(job_id))["credentials"]
    assert credentials == {"type": "API_KEY", "data": {"username": "admin", "api_key": {"id": 1, "name": "ansible"}}}


def test_unsubscribe_stops_events(sim, sim_client):
    client = logged_in(sim, sim_client, subscribe=False)
    sub = client.request("core.subscribe", "core.get_jobs")
    assert len(sub) == 36
    assert client.request("core.unsubscribe", sub) is None
    assert client.request("core.unsubscribe", "unknown") is None
    job_id = client.request("test.job")
    deadline = time.monotonic() + 5
    while sim.job(job_id)["state"] != "SUCCESS":
        assert time.monotonic() < deadline
        time.sleep(0.02)
    assert no_more_events(client, job_id) == []


def test_star_subscription_receives_job_events(sim, sim_client):
    client = logged_in(sim, sim_client, subscribe=False)
    client.request("core.subscribe", "*")
    client.request("core.subscribe", "core.get_jobs")
    job_id = client.request("test.job", {"steps": 0})
    events = job_events(client, job_id, 2)
    assert len(events) == 4


def test_bulk(sim, sim_client):
    client = logged_in(sim, sim_client)
    job_id = client.request("core.bulk", "core.ping", [[], [], [1]])
    job = job_events(client, job_id, 2)[-1]["params"]["fields"]
    assert job["state"] == "SUCCESS"
    result = job["result"]
    assert result[:2] == [{"job_id": None, "result": "pong", "error": None}] * 2
    assert result[2]["job_id"] is None and result[2]["result"] is None
    assert "Too many arguments (expected 0, found 1)" in result[2]["error"]
