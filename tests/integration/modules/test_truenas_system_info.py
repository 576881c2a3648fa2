# Copyright (c) nasops contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""truenas_system_info against the simulator on every profile, checked against the simulator's state."""

import pytest

pytestmark = pytest.mark.timeout(120)


def test_system_facts_match_the_simulator(sim, run_module):
    config = sim.state_dump("system")["config"]
    result = run_module("truenas_system_info", {}, check=True)
    assert result["changed"] is False
    assert result["failed"] is False, result
    system = result["system"]
    assert system["version"] == sim.profile.product_version
    assert system["hostname"] == config["hostname"]
    assert system["memory"] == {"total": config["physmem"], "ecc": config["ecc_memory"]}
    assert system["cpu"] == {"model": config["model"], "cores": config["cores"], "physical_cores": config["physical_cores"]}
    assert system["loadavg"] == config["loadavg"]
    assert system["uptime_seconds"] >= config["uptime_seconds"]
    assert system["timezone"] == config["timezone"]
    assert system["system_serial"] == config["system_serial"]
    assert system["buildtime"] == "2025-10-01T00:00:00+00:00"
    assert system["boottime"] < system["datetime"]


def _next_patch(version):
    parts = version.split(".")
    parts[-1] = str(int(parts[-1]) + 1)
    return ".".join(parts)


def test_updates_and_alerts(sim, run_inproc):
    sim.reset_counters()
    result = run_inproc("truenas_system_info", {"include_updates": True, "include_alerts": True})
    assert result["failed"] is False, result
    updates = result["system"]["updates"]
    assert (updates["status"], updates["available"]) == ("AVAILABLE", True)
    assert updates["version"] == _next_patch(sim.profile.product_version)
    method = "update.check_available" if sim.profile.name == "25.04" else "update.status"
    assert len(sim.calls(method)) == 1
    assert updates["train"] == (None if sim.profile.name == "25.04" else "TrueNAS-SCALE-Stable")
    # only reads: nothing was downloaded or applied
    assert [c["method"] for c in sim.calls() if c["method"].startswith("update.")] == [method]
    alerts = result["system"]["alerts"]
    assert [(a["klass"], a["level"], a["dismissed"]) for a in alerts] == [("PoolNotRedundant", "WARNING", False)]
    assert alerts[0]["datetime"].startswith("2025-09-30T10:00:00")
    everything = run_inproc("truenas_system_info", {"include_alerts": True, "include_dismissed_alerts": True})
    assert [a["klass"] for a in everything["system"]["alerts"]] == ["PoolNotRedundant", "SSHLoginFailures"]
    assert "updates" not in everything["system"]


def test_update_errors_are_reported_not_raised(sim, run_inproc):
    def fail():
        sim.state.data["update"]["error"] = {"errname": "ENONET", "reason": "Unable to reach the update server"}
    sim.run(fail)
    result = run_inproc("truenas_system_info", {"include_updates": True})
    assert result["failed"] is False, result
    updates = result["system"]["updates"]
    assert (updates["status"], updates["available"], updates["version"]) == ("ERROR", False, None)
    assert "Unable to reach the update server" in updates["error"]["reason"]


def test_realtime_stats(sim, run_inproc, run_module):
    sim.run(lambda: sim.state.data.__setitem__("realtime_interval", 0.05))
    result = run_module("truenas_system_info", {"include_stats": True, "stats_timeout": 20})
    assert result["failed"] is False, result
    stats = result["system"]["stats"]
    config = sim.state_dump("system")["config"]
    assert 0 <= stats["cpu"]["usage"] <= 100
    assert len(stats["cpu"]["cores"]) == config["cores"]
    assert stats["memory"]["physical_memory_total"] == config["physmem"]
    assert stats["network"]["enp1s0"]["link_up"] is True
    assert set(stats["disks"]) == {"busy", "read_bytes", "write_bytes", "read_ops", "write_ops"}
    assert sorted(stats["pools"]) == ["backup", "tank"]
    assert "demand_data_hit_percentage" in stats["zfs"]
    # the subscription was ended: no connection is left subscribed
    assert sim.run(lambda: [n for c in sim.connections for n in c.subscriptions.values()
                            if n == "reporting.realtime"]) == []


def test_examples_run(sim, run_inproc):
    from tests.integration.modules._examples import example_steps

    sim.run(lambda: sim.state.data.__setitem__("realtime_interval", 0.05))
    steps = example_steps("truenas_system_info")
    assert len(steps) == 3
    for name, args, check in steps:
        result = run_inproc("truenas_system_info", args, check=check)
        assert result["failed"] is False, (name, result)
    assert "stats" in result["system"] and "updates" in result["system"] and "alerts" in result["system"]
