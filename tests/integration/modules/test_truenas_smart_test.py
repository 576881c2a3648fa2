# Copyright (c) nasops contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""truenas_smart_test against the simulator: on 25.04 tests run (check mode, background, waiting
for results, attributes) and periodic tasks go CHECK -> apply -> idempotent; on 25.10 and 26 the
module fails before any SMART call, naming the release. The module's EXAMPLES run on 25.04.
"""
import pytest

from tests.integration.modules._examples import example_steps

pytestmark = pytest.mark.timeout(120)

SMART = ("smart.test.manual_test", "smart.test.create", "smart.test.update", "smart.test.delete")


def smart_calls(sim):
    return [c["method"] for c in sim.calls() if c["method"].startswith(("smart.", "disk.smart"))]


def log(sim, disk):
    return sim.state_dump("disks")[disk]["smart_tests"]


@pytest.fixture
def run(run_inproc):
    return lambda args, **kwargs: run_inproc("truenas_smart_test", args, **kwargs)


@pytest.mark.sim_profiles("25.04")
def test_run_and_wait(sim, run, run_module):
    check = run({"disks": ["sdg", "ZL2KX0000008"]}, check=True)
    assert check["changed"] is True
    assert [t["disk"] for t in check["smart_test"]["tests"]] == ["sdg", "sdh"]
    assert not [m for m in smart_calls(sim) if m in SMART]

    before = len(log(sim, "sdg"))
    waited = run_module("truenas_smart_test", {"disks": ["sdg", "ZL2KX0000008"], "type": "SHORT", "wait": True,
                                               "include_attributes": True})
    assert waited["failed"] is False, waited
    assert waited["changed"] is True
    assert waited["smart_test"]["passed"] is True
    tests = waited["smart_test"]["tests"]
    assert [(t["disk"], t["result"]["status"], t["result"]["description"]) for t in tests] == [
        ("sdg", "SUCCESS", "Short offline"), ("sdh", "SUCCESS", "Short offline")]
    assert len(log(sim, "sdg")) == before + 1
    assert [a["name"] for a in tests[0]["attributes"]][:2] == ["Raw_Read_Error_Rate", "Reallocated_Sector_Ct"]
    assert len(sim.calls("smart.test.manual_test")) == 1


@pytest.mark.sim_profiles("25.04")
def test_failing_disk_and_background_run(sim, run):
    sim.run(lambda: sim.state.data["disks"]["sdi"].update(smart_fail=True))
    failed = run({"disks": ["sdi"], "wait": True})
    assert failed["failed"] is False
    assert failed["smart_test"]["passed"] is False
    assert failed["smart_test"]["tests"][0]["result"]["status_verbose"] == "Completed: read failure"
    started = run({"disks": ["all"], "type": "CONVEYANCE"})
    assert started["changed"] is True
    names = [t["disk"] for t in started["smart_test"]["tests"]]
    assert names == sorted(sim.state_dump("disks"), key=lambda n: (len(n), n))
    assert all(isinstance(t["job_id"], int) and t["expected_result_time"] for t in started["smart_test"]["tests"])
    calls = len(sim.calls("smart.test.manual_test"))
    # sda still runs the conveyance test: it is followed, not started again (TrueNAS would refuse)
    busy = run({"disks": ["sda"]})
    assert busy["failed"] is False and busy["changed"] is False, busy
    assert [(t["disk"], t["already_running"]) for t in busy["smart_test"]["tests"]] == [("sda", True)]
    assert len(sim.calls("smart.test.manual_test")) == calls
    waited = run({"disks": ["sda"], "wait": True})
    assert waited["changed"] is False and waited["smart_test"]["tests"][0]["result"]["status"] == "SUCCESS", waited


@pytest.mark.sim_profiles("25.04")
def test_schedule_lifecycle(sim, run):
    args = {"disks": ["sda", "sdb"], "type": "SHORT", "schedule": {"hour": "3", "dow": "0"}, "description": "weekly"}
    check = run(args, check=True, diff=True)
    assert check["changed"] is True and check["diff"]["before"] == {}
    assert sim.state_dump("smart_tasks") in ({}, None)
    created = run(args)
    assert created["changed"] is True, created
    stored = list(sim.state_dump("smart_tasks").values())
    assert len(stored) == 1
    assert stored[0]["schedule"] == {"hour": "3", "dom": "*", "month": "*", "dow": "0"}
    assert created["smart_test"]["disks"] == ["sda", "sdb"]
    sim.reset_counters()
    assert run(dict(args, disks=["sdb", "WD-WCC4E0000001"]), check=True)["changed"] is False
    assert run(args)["changed"] is False
    assert not [m for m in smart_calls(sim) if m in SMART]
    updated = run(dict(args, schedule={"hour": "4"}))
    assert updated["changed"] is True
    assert list(sim.state_dump("smart_tasks").values())[0]["schedule"]["hour"] == "4"
    overlap = run({"disks": ["sdb"], "type": "SHORT", "schedule": {"hour": "5"}})
    assert overlap["failed"] is True
    assert overlap["msg"] == ("Failed to create SMART test schedule SHORT on sdb: disks: The following disks already "
                              "have SHORT test: sdb")
    absent = {"disks": ["sda", "sdb"], "type": "SHORT", "state": "absent"}
    assert run(absent, check=True)["changed"] is True
    assert run(absent)["changed"] is True
    assert sim.state_dump("smart_tasks") == {}
    assert run(absent)["changed"] is False


@pytest.mark.sim_profiles("25.04")
def test_bad_input(sim, run):
    assert run({"disks": ["sdz"]})["msg"] == (
        "disks: disk 'sdz' was not found by name or serial; disks: nvme0n1, sda, sdb, sdc, sdd, sde, sdf, sdg, sdh, sdi")
    assert run({"disks": ["all", "sda"]})["msg"] == "disks: 'all' cannot be combined with disk names"
    assert run({"disks": ["sda"], "schedule": {"hour": "25"}})["msg"].startswith("schedule: hour '25' is not cron")
    assert not [m for m in smart_calls(sim) if m in SMART]


@pytest.mark.sim_profiles("25.10", "26")
@pytest.mark.parametrize("args", [{"disks": ["sda"], "wait": True}, {"disks": ["sda"], "schedule": {"hour": "3"}}])
def test_refused_from_25_10_before_any_smart_call(sim, run, args):
    result = run(args)
    assert result["failed"] is True
    assert result["changed"] is False
    assert result["msg"].startswith("SMART tests and their schedules were removed from the TrueNAS API in TrueNAS "
                                    "25.10, and this server runs %s" % sim.profile.product_version)
    assert smart_calls(sim) == []
    assert [c["method"] for c in sim.calls() if not c["method"].startswith(("auth.", "system.", "core."))] == []


@pytest.mark.sim_profiles("25.04")
def test_examples_run(sim, run):
    steps = example_steps("truenas_smart_test")
    assert len(steps) == 4
    for name, args, check in steps:
        result = run(args, check=check)
        assert result["failed"] is False, (name, result)
    assert sim.state_dump("smart_tasks") == {}
    assert len(sim.calls("smart.test.manual_test")) == 2
