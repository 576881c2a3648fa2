# Copyright (c) nasops contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

import pytest

from ansible_collections.nasops.truenas.plugins.module_utils._resources.scrub import scan_state
from ansible_collections.nasops.truenas.plugins.modules import truenas_pool_scrub

MAIN = truenas_pool_scrub.main
SCHEDULE = {"minute": "00", "hour": "00", "dom": "*", "month": "*", "dow": "7"}
FINISHED = {"function": "SCRUB", "state": "FINISHED", "percentage": 100.0, "errors": 0, "pause": None,
            "start_time": None, "end_time": None}
RUNNING = dict(FINISHED, state="SCANNING", percentage=40.0)


@pytest.fixture
def nas(fake_client):
    fake_client.pool_scan = FINISHED
    fake_client.respond("pool.query", lambda filters, options: [
        {"id": 1, "name": "tank", "scan": fake_client.pool_scan}] if filters == [["name", "=", "tank"]] else [])
    fake_client.table("pool.scrub", [{"id": 5, "pool": 1, "pool_name": "tank", "threshold": 35, "description": "",
                                      "schedule": SCHEDULE, "enabled": True}])
    return fake_client


def test_update_schedule_sends_the_merged_schedule(run_module, nas):
    result = run_module(MAIN, {"pool": "tank", "schedule": {"hour": "3"}, "threshold": 7})
    assert result["changed"] is True
    assert nas.calls_to("pool.scrub.update")[0].params == [5, {"schedule": dict(SCHEDULE, hour="3"), "threshold": 7}]
    assert nas.calls_to("pool.scrub.query")[0].params[0] == [["pool", "=", 1]]


@pytest.mark.parametrize("scan, action, expected", [
    (FINISHED, "start", ("pool.scrub", [1, "START"])),
    (RUNNING, "start", None),
    (dict(RUNNING, pause={"$date": 1}), "start", ("pool.scrub", [1, "START"])),
    (RUNNING, "pause", ("pool.scrub", [1, "PAUSE"])),
    (FINISHED, "pause", None),
    (dict(RUNNING, pause={"$date": 1}), "stop", ("pool.scrub", [1, "STOP"])),
    (FINISHED, "stop", None),
])
def test_actions_are_idempotent(run_module, nas, scan, action, expected):
    nas.pool_scan = scan
    nas.respond("pool.scrub", None)
    args = {"pool": "tank", "action": action}
    if action == "start":
        args["wait"] = True
    check = run_module(MAIN, args, check_mode=True)
    assert check["changed"] is (expected is not None)
    nas.assert_no_mutation()
    result = run_module(MAIN, args)
    assert result["changed"] is (expected is not None)
    made = [(c.method, c.params) for c in nas.mutations]
    assert made == ([expected] if expected else [])
    if expected:
        assert nas.calls_to("pool.scrub")[0].job is True


def test_start_without_wait_keeps_the_job_id(run_module, nas):
    nas.respond("pool.scrub.scrub", 77)
    result = run_module(MAIN, {"pool": "tank", "action": "start"})
    assert result["job_id"] == 77
    call = nas.calls_to("pool.scrub.scrub")[0]
    assert (call.params, call.job) == (["tank", "START"], False)


def test_scan_state():
    assert scan_state({"function": "SCRUB", "state": "SCANNING", "paused": False}) == "running"
    assert scan_state({"function": "SCRUB", "state": "SCANNING", "paused": True}) == "paused"
    assert scan_state({"function": "RESILVER", "state": "SCANNING", "paused": False}) == "idle"
    assert scan_state({}) == "idle"
