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
