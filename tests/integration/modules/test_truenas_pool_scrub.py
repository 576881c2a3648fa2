# Copyright (c) nasops contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""truenas_pool_scrub against the simulator on every profile: the scrub task (update, delete,
re-create) as CHECK -> apply -> idempotent CHECK -> idempotent, scrub start/pause/stop as
idempotent actions with and without waiting, bad input, and the module's EXAMPLES. The
simulator's state is read out of band between the steps.
"""
import time

import pytest

from tests.integration.modules._examples import example_steps

pytestmark = pytest.mark.timeout(180)

WRITES = ("pool.scrub.create", "pool.scrub.update", "pool.scrub.delete", "pool.scrub", "pool.scrub.scrub")


def task(sim, pool_id=1):
    found = [t for t in sim.state_dump("scrub_tasks").values() if t["pool"] == pool_id]
    return found[0] if found else None


def scan(sim, name="tank"):
    return [p for p in sim.state_dump("pools").values() if p["name"] == name][0]["scan"]


def writes(sim):
    return [c["method"] for c in sim.calls() if c["method"] in WRITES]


@pytest.fixture
def run(run_inproc):
    return lambda args, **kwargs: run_inproc("truenas_pool_scrub", args, **kwargs)


def test_schedule_lifecycle(sim, run, run_module):
    args = {"pool": "tank", "threshold": 14, "schedule": {"minute": "0", "hour": "3", "dow": "6"}}
    check = run(args, check=True, diff=True)
    assert check["changed"] is True, check
    assert check["diff"]["before"]["threshold"] == 35 and check["diff"]["after"]["threshold"] == 14
    assert task(sim)["threshold"] == 35
    updated = run_module("truenas_pool_scrub", args)
    assert updated["changed"] is True, updated
    stored = task(sim)
    assert stored["threshold"] == 14
    assert stored["schedule"] == {"minute": "0", "hour": "3", "dom": "*", "month": "*", "dow": "6"}
    assert updated["scrub"]["pool"] == "tank"
    sim.reset_counters()
    assert run(args, check=True)["changed"] is False
    assert run(args)["changed"] is False
    assert writes(sim) == []

    absent = {"pool": "tank", "state": "absent"}
    assert run(absent, check=True)["changed"] is True
    assert task(sim) is not None
    assert run(absent)["changed"] is True
    assert task(sim) is None
    assert run(absent)["changed"] is False
    created = run({"pool": "tank", "enabled": False})
    assert created["changed"] is True
    assert (task(sim)["enabled"], task(sim)["threshold"]) == (False, 35)
    assert [c["params"][0] for c in sim.calls("pool.scrub.create")] == [{"enabled": False, "pool": 1}]


def test_start_wait_is_idempotent_while_running(sim, run):
    sim.set_job_duration(0.5, "pool.scrub")
    check = run({"pool": "tank", "action": "start"}, check=True)
    assert check["changed"] is True
    assert check["scrub"]["scan"]["state"] == "SCANNING"
    assert writes(sim) == []
    done = run({"pool": "tank", "action": "start", "wait": True, "wait_timeout": 60})
    assert done["changed"] is True, done
    assert done["scrub"]["scan"]["state"] == "FINISHED"
    assert scan(sim)["state"] == "FINISHED"
    assert "job_id" not in done
    # nothing runs now: pause and stop have nothing to do
    sim.reset_counters()
    assert run({"pool": "tank", "action": "pause"})["changed"] is False
    assert run({"pool": "tank", "action": "stop"})["changed"] is False
    assert writes(sim) == []


def test_background_start_pause_stop(sim, run):
    def set_scrub_seconds():
        [p for p in sim.state.data["pools"].values() if p["name"] == "tank"][0]["scrub_seconds"] = 30.0
    sim.run(set_scrub_seconds)
    started = run({"pool": "tank", "action": "start"})
    assert started["changed"] is True, started
    assert isinstance(started["job_id"], int)
    assert started["scrub"]["scan"]["state"] == "SCANNING"
    assert run({"pool": "tank", "action": "start"})["changed"] is False
    paused = run({"pool": "tank", "action": "pause"})
    assert paused["changed"] is True
    assert scan(sim)["pause"] is not None
    assert run({"pool": "tank", "action": "pause"})["changed"] is False
    stopped = run({"pool": "tank", "action": "stop"})
    assert stopped["changed"] is True
    assert scan(sim)["state"] == "CANCELED"
    assert run({"pool": "tank", "action": "stop"})["changed"] is False
    deadline = time.monotonic() + 10
    while sim.job(started["job_id"])["state"] not in ("SUCCESS", "FAILED") and time.monotonic() < deadline:
        time.sleep(0.05)
    assert sim.job(started["job_id"])["state"] == "SUCCESS"  # the background job ends with the cancelled scrub


@pytest.mark.parametrize("args, message", [
    ({"pool": "nope"}, "pool: pool 'nope' does not exist"),
    ({"pool": "tank", "schedule": {"hour": "24"}},
     "schedule: hour '24' is not cron syntax (*, 0-23, ranges a-b, lists a,b, steps */n)"),
    ({"pool": "tank", "threshold": -1}, "threshold: must be a number of days, 0 or more, got -1"),
    ({"pool": "tank", "action": "stop", "state": "absent"}, "action: cannot be combined with state=absent"),
    ({"pool": "tank", "action": "pause", "wait": True}, "wait: only applies to action=start"),
])
def test_bad_input(sim, run, args, message):
    result = run(args)
    assert result["failed"] is True
    assert result["msg"] == message
    assert writes(sim) == []


def test_examples_run(sim, run):
    steps = example_steps("truenas_pool_scrub")
    assert len(steps) == 4
    for name, args, check in steps:
        result = run(args, check=check)
        assert result["failed"] is False, (name, result)
    assert task(sim)["threshold"] == 14
    assert scan(sim)["state"] == "FINISHED"
    assert len(sim.calls("pool.scrub.scrub")) == 1
