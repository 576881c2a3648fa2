# Copyright (c) nasops contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""truenas_network_config against the simulator, on every profile, checked out of band."""

import pytest

pytestmark = pytest.mark.timeout(300)


def stored(sim):
    return sim.state.data["network_configuration"]["config"]


def test_converge_and_clear(sim, run_inproc, run_module):
    args = {"hostname": "nas01", "domain": "example.com", "nameservers": ["192.168.1.1", "1.1.1.1"],
            "ipv4gateway": "192.168.1.1", "hosts": ["192.168.1.20   backup1.example.com backup1"],
            "domains": ["lab.example.com"]}
    check = run_inproc("truenas_network_config", args, check=True, diff=True)
    assert check["changed"] and stored(sim)["hostname"] == "truenas-sim"
    assert check["diff"]["before"]["nameservers"] == [] and check["diff"]["after"]["nameservers"] == [
        "192.168.1.1", "1.1.1.1"]
    applied = run_module("truenas_network_config", args, diff=True)
    assert applied["changed"] and not applied["failed"], applied
    cfg = stored(sim)
    assert (cfg["hostname"], cfg["nameserver1"], cfg["nameserver2"], cfg["nameserver3"], cfg["ipv4gateway"]) == (
        "nas01", "192.168.1.1", "1.1.1.1", "", "192.168.1.1")
    assert cfg["hosts"] == ["192.168.1.20 backup1.example.com backup1"]
    assert sim.state.data["system"]["config"]["hostname"] == "nas01"
    assert applied["network"]["hosts"] == ["192.168.1.20 backup1.example.com backup1"]
    for check_mode in (True, False):
        assert not run_inproc("truenas_network_config", args, check=check_mode)["changed"]
    assert len(sim.calls("network.configuration.update")) == 1

    cleared = run_inproc("truenas_network_config", {"nameservers": ["1.1.1.1"], "hosts": [], "ipv4gateway": ""})
    assert cleared["changed"] and cleared["network"]["nameservers"] == ["1.1.1.1"]
    assert (stored(sim)["nameserver1"], stored(sim)["nameserver2"], stored(sim)["hosts"]) == ("1.1.1.1", "", [])


@pytest.mark.parametrize("args, message", [
    ({"hostname": "bad_name"}, "hostname: 'bad_name' is not a host name"),
    ({"nameservers": ["1.1.1.1", "1.1.1.1"]}, "nameservers: 1.1.1.1 is listed more than once"),
    ({"nameservers": ["1.1.1.1", "8.8.8.8", "9.9.9.9", "8.8.4.4"]}, "nameservers: TrueNAS takes at most three"),
    ({"ipv4gateway": "fe80::1"}, "ipv4gateway: fe80::1 is not an IPv4 address"),
    ({"hosts": ["nas01"]}, "hosts: entries must be '<IP address> <host name> [<alias>...]'"),
    ({"httpproxy": "proxy:3128"}, "httpproxy: must be a URL such as http://proxy.example.com:3128"),
])
def test_bad_input_names_the_option(sim, run_inproc, args, message):
    result = run_inproc("truenas_network_config", args)
    assert result["failed"] and result["msg"].startswith(message), result["msg"]
    assert sim.calls("network.configuration.update") == []


def test_server_validation_maps_to_the_option(sim, run_inproc):
    domains = ["a.example", "b.example", "c.example", "d.example", "e.example", "f.example"]
    result = run_inproc("truenas_network_config", {"domains": domains})
    assert result["failed"] and result["msg"] == ("Failed to update network configuration: domains: No more than 5 "
                                                  "search domains are allowed")
