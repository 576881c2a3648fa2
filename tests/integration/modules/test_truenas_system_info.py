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
