# Copyright (c) nasops contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""truenas_snapshot_task against the simulator on every profile: create, update and delete as
CHECK -> apply -> idempotent CHECK -> idempotent, bad input and server refusals, and the module's
EXAMPLES. The simulator's state is read out of band between the steps. The first create runs the
module as Ansible does (a subprocess); the other steps run ``main()`` in this process.
"""
import pytest

from tests.integration.modules._examples import example_steps

pytestmark = pytest.mark.timeout(120)


def tasks(sim):
    return sorted(sim.state_dump("snapshot_tasks").values(), key=lambda t: t["id"])


def writes(sim):
    return [c["method"] for c in sim.calls() if c["method"].split(".")[-1] in ("create", "update", "delete")]


@pytest.fixture
def run(run_inproc):
    return lambda args, **kwargs: run_inproc("truenas_snapshot_task", args, **kwargs)


def test_lifecycle(sim, run, run_module):
    args = {"dataset": "tank/vms", "recursive": True, "exclude": ["tank/vms/scratch"], "lifetime_value": 3,
            "lifetime_unit": "DAY", "schedule": {"minute": "0", "hour": "*/4"}}
    check = run(args, check=True, diff=True)
    assert check["changed"] is True
    assert check["diff"]["before"] == {}
    assert check["diff"]["after"]["dataset"] == "tank/vms"
    assert tasks(sim) == []

    created = run_module("truenas_snapshot_task", args)
    assert created["changed"] is True, created
    stored = tasks(sim)
    assert len(stored) == 1
    assert stored[0]["recursive"] is True
    assert stored[0]["exclude"] == ["tank/vms/scratch"]
    assert stored[0]["lifetime_value"] == 3 and stored[0]["lifetime_unit"] == "DAY"
    assert stored[0]["schedule"]["hour"] == "*/4" and stored[0]["schedule"]["dom"] == "*"
    assert created["snapshot_task"]["id"] == stored[0]["id"]
    assert created["snapshot_task"]["naming_schema"] == "auto-%Y-%m-%d_%H-%M"

    sim.reset_counters()
    assert run(args, check=True)["changed"] is False
    assert run(args)["changed"] is False
    assert writes(sim) == []

    update = {"dataset": "tank/vms", "schedule": {"hour": "2"}, "enabled": False}
    check = run(update, check=True, diff=True)
    assert check["changed"] is True
    assert check["diff"]["before"]["enabled"] is True and check["diff"]["after"]["enabled"] is False
    assert tasks(sim)[0]["enabled"] is True
    assert writes(sim) == []
    updated = run(update)
    assert updated["changed"] is True
    stored = tasks(sim)[0]
    assert stored["enabled"] is False
    assert stored["schedule"]["hour"] == "2" and stored["schedule"]["minute"] == "0"
    sim.reset_counters()
    assert run(update, check=True)["changed"] is False
    assert run(update)["changed"] is False
    assert writes(sim) == []

    # another naming schema on the same dataset is another task
    other = run({"dataset": "tank/vms", "naming_schema": "weekly-%Y%m%d-%H%M", "schedule": {"dow": "sun"}})
    assert other["changed"] is True
    assert len(tasks(sim)) == 2

    delete = {"dataset": "tank/vms", "state": "absent"}
    assert run(delete, check=True)["changed"] is True
    assert len(tasks(sim)) == 2
    deleted = run(delete)
    assert deleted["changed"] is True and deleted["snapshot_task"] == {}
    assert [t["naming_schema"] for t in tasks(sim)] == ["weekly-%Y%m%d-%H%M"]
    sim.reset_counters()
    assert run(delete, check=True)["changed"] is False
    assert run(delete)["changed"] is False
    assert writes(sim) == []


@pytest.mark.parametrize("args, message", [
    ({"dataset": "tank/nope"},
     "Failed to create snapshot task 'tank/nope' (auto-%Y-%m-%d_%H-%M): dataset: Dataset not found"),
    ({"dataset": "tank/vms", "naming_schema": "auto-%Y-%m"},
     "naming_schema: %d must be present in the naming schema (got 'auto-%Y-%m')"),
    ({"dataset": "tank/vms", "schedule": {"hour": "25"}},
     "schedule: hour '25' is not cron syntax (*, 0-23, ranges a-b, lists a,b, steps */n)"),
    ({"dataset": "tank/vms", "exclude": ["tank/media"], "recursive": True},
     "exclude: 'tank/media' is not a child dataset of tank/vms; list descendants such as tank/vms/tmp"),
])
def test_bad_input_changes_nothing(sim, run, args, message):
    sim.reset_counters()
    result = run(args)
    assert result["failed"] is True
    assert result["changed"] is False
    assert result["msg"] == message
    assert tasks(sim) == []
    assert writes(sim) in ([], ["pool.snapshottask.create"])


def test_examples_run(sim, run):
    steps = example_steps("truenas_snapshot_task")
    assert len(steps) == 4
    for name, args, check in steps:
        result = run(args, check=check)
        assert result["failed"] is False, (name, result)
    stored = dict(((t["dataset"], t["naming_schema"]), t) for t in tasks(sim))
    assert sorted(stored) == [("tank/media", "nightly-%Y%m%d-%H%M"), ("tank/vms", "auto-%Y-%m-%d_%H-%M")]
    assert stored[("tank/media", "nightly-%Y%m%d-%H%M")]["enabled"] is False
    assert stored[("tank/vms", "auto-%Y-%m-%d_%H-%M")]["exclude"] == ["tank/vms/scratch"]
    for name, args, check in steps:
        assert run(args, check=check)["changed"] is False, name
