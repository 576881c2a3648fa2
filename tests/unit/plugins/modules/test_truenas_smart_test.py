# Copyright (c) nasops contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

import pytest

from ansible_collections.nasops.truenas.plugins.module_utils._compare import OptionError
from ansible_collections.nasops.truenas.plugins.module_utils._errors import TrueNASTimeoutError
from ansible_collections.nasops.truenas.plugins.module_utils._resources.smart import (
    SmartTestRun,
    parse_disks,
    parse_smart_schedule,
)
from ansible_collections.nasops.truenas.plugins.module_utils._waiter import Waiter
from ansible_collections.nasops.truenas.plugins.modules import truenas_smart_test

MAIN = truenas_smart_test.main
DISKS = [{"name": "sda", "serial": "S-A", "identifier": "{serial}S-A"},
         {"name": "sdb", "serial": "S-B", "identifier": "{serial}S-B"}]


class Clock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now

    def sleep(self, seconds):
        self.now += seconds


@pytest.fixture
def nas(fake_client):
    fake_client.set_version("25.04.2.6")
    fake_client.respond("disk.query", DISKS)
    return fake_client


@pytest.mark.parametrize("version", ["25.10.5", "26.0.0"])
def test_refused_on_25_10_and_later_before_any_smart_call(run_module, fake_client, version):
    fake_client.set_version(version)
    for args in ({"disks": ["sda"]}, {"disks": ["sda"], "schedule": {"hour": "3"}}):
        result = run_module(MAIN, args)
        assert result["failed"] is True
        assert "removed from the TrueNAS API in TrueNAS 25.10, and this server runs %s" % version in result["msg"]
    assert fake_client.calls == []


def test_check_mode_starts_nothing(run_module, nas):
    nas.respond("smart.test.results", [])
    result = run_module(MAIN, {"disks": ["S-B"], "type": "LONG"}, check_mode=True)
    assert result["changed"] is True
    assert result["smart_test"]["tests"][0]["disk"] == "sdb"
    assert "smart.test.manual_test" not in nas.methods


def test_wait_follows_the_estimated_duration(nas):
    clock = Clock()
    logs = {"before": [{"disk": "sda", "tests": [], "current_test": None}]}
    nas.respond("smart.test.results", lambda filters, options: logs["before"] if clock.now < 1100 else [
        {"disk": "sda", "tests": [{"description": "Short offline", "status": "SUCCESS"}], "current_test": None}])
    nas.respond("smart.test.manual_test", [{"disk": "sda", "identifier": "{serial}S-A", "error": None, "job": 4,
                                            "expected_result_time": {"$date": 1120 * 1000}}])
    run = SmartTestRun(waiter=Waiter(clock=clock, sleep=clock.sleep), clock=clock)
    changed, result = run.run(nas, {"disks": ["sda"], "type": "SHORT", "wait": True})
    assert changed is True
    assert result["passed"] is True
    assert result["tests"][0]["result"]["status"] == "SUCCESS"
    assert nas.calls_to("smart.test.manual_test")[0].params == [[{"identifier": "{serial}S-A", "type": "SHORT"}]]
    assert 1100 <= clock.now <= 1110  # polled every estimate/20 seconds


def test_wait_times_out_after_the_estimate_and_margin(nas):
    clock = Clock()
    # idle before the start, then running for ever
    nas.respond("smart.test.results", [{"disk": "sda", "tests": [], "current_test": None}],
                [{"disk": "sda", "tests": [], "current_test": {"progress": 10}}])
    nas.respond("smart.test.manual_test", [{"disk": "sda", "identifier": "{serial}S-A", "error": None, "job": 4,
                                            "expected_result_time": {"$date": 1100 * 1000}}])
    run = SmartTestRun(waiter=Waiter(clock=clock, sleep=clock.sleep), clock=clock)
    with pytest.raises(TrueNASTimeoutError, match="the SMART tests to finish"):
        run.run(nas, {"disks": ["sda"], "type": "SHORT", "wait": True})
    assert run.changed is True
    assert clock.now == pytest.approx(1000 + 100 * 1.1 + 60)


def test_schedule_payload_uses_identifiers(run_module, nas):
    nas.table("smart.test", [])
    result = run_module(MAIN, {"disks": ["sda", "S-B"], "schedule": {"hour": "3", "dow": "sun"}})
    assert result["changed"] is True, result
    assert nas.calls_to("smart.test.create")[0].params == [{
        "type": "SHORT", "all_disks": False, "disks": ["{serial}S-A", "{serial}S-B"],
        "schedule": {"hour": "3", "dow": "sun"}}]


def test_parsers():
    assert parse_disks(["ALL"]) == "all"
    assert parse_disks(["sda", "sda", "sdb"]) == ["sda", "sdb"]
    with pytest.raises(OptionError):
        parse_disks([])
    with pytest.raises(ValueError, match="tests start on the hour"):
        parse_smart_schedule({"minute": "5"})


def test_a_disk_already_testing_is_followed_not_started_again(nas):
    clock = Clock()
    nas.respond("smart.test.results", [{"disk": "sda", "tests": [], "current_test": {"progress": 40}}],
                [{"disk": "sda", "tests": [{"description": "Short offline", "status": "SUCCESS"}],
                  "current_test": None}])
    run = SmartTestRun(waiter=Waiter(clock=clock, sleep=clock.sleep), clock=clock)
    changed, result = run.run(nas, {"disks": ["sda"], "type": "SHORT", "wait": True})
    assert changed is False and run.changed is False
    assert nas.calls_to("smart.test.manual_test") == []
    assert result["tests"][0]["already_running"] is True
    assert result["tests"][0]["result"]["status"] == "SUCCESS" and result["passed"] is True
