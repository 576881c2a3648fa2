# Copyright (c) nasops contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""truenas_interface and truenas_interface_info against the simulator, on every profile: an address
change committed and checked in over a fresh connection, one whose check-in cannot connect and is
rolled back by TrueNAS, virtual interfaces, refusals, and no pending change left behind."""

import copy

import pytest

pytestmark = pytest.mark.timeout(300)


def config(sim, name):
    return sim.state.data["interfaces"]["config"].get(name)


def applied(sim, name):
    return sim.state.data["interfaces"]["applied"].get(name)


def pending(sim):
    return sim.state.data["interfaces"]["snapshot"] is not None


def converge(run, args):
    check = run("truenas_interface", args, check=True, diff=True)
    done = run("truenas_interface", args, diff=True)
    again_check = run("truenas_interface", args, check=True)
    again = run("truenas_interface", args)
    for result in (check, done, again_check, again):
        assert not result["failed"], result
    assert check["changed"] and done["changed"], (check, done)
    assert not again_check["changed"] and not again["changed"], (again_check, again)
    return check, done


def test_address_change_is_committed_and_checked_in(sim, run_inproc):
    args = {"name": "enp1s0", "aliases": ["192.168.1.10/24", "10.20.0.5/16"], "mtu": 9000,
            "description": "uplink"}
    check, done = converge(run_inproc, args)
    # Check mode staged nothing; the real run committed, checked in and left nothing pending.
    assert check["diff"]["before"]["aliases"] == ["192.168.1.10/24"]
    assert sorted(check["interface"]["aliases"]) == ["10.20.0.5/16", "192.168.1.10/24"]
    assert done["rolled_back"] is False and done["checked_in_at"] == "127.0.0.1"
    assert [a["address"] for a in applied(sim, "enp1s0")["aliases"]] == ["192.168.1.10", "10.20.0.5"]
    assert applied(sim, "enp1s0")["mtu"] == 9000 and not pending(sim)
    assert len(sim.calls("interface.update")) == 1 and len(sim.calls("interface.commit")) == 1
    assert len(sim.calls("interface.checkin")) == 1
    # The check-in came over a fresh connection, not the one that staged and committed the change.
    assert sim.calls("interface.checkin")[0]["connection"] != sim.calls("interface.commit")[0]["connection"]
    assert sim.calls("interface.commit")[0]["params"] == [{"rollback": True, "checkin_timeout": 60}]


def test_no_checkin_means_rollback(sim, run_inproc):
    # The controller "moves" to an address the NAS does not answer on: the check-in cannot connect.
    result = run_inproc("truenas_interface", {"name": "enp1s0", "aliases": ["192.168.1.99/24"],
                                              "checkin_host": "127.0.0.2", "checkin_timeout": 10})
    assert result["failed"] is True and result["rolled_back"] is True and result["changed"] is False, result
    assert result["msg"].startswith("interface 'enp1s0' was changed, but the controller could not reach TrueNAS at "
                                    "127.0.0.2 within the 10 s check-in timeout")
    assert result["msg"].endswith("TrueNAS rolled the change back by itself")
    assert sim.calls("interface.checkin") == []
    assert [a["address"] for a in config(sim, "enp1s0")["aliases"]] == ["192.168.1.10"]
    assert [a["address"] for a in applied(sim, "enp1s0")["aliases"]] == ["192.168.1.10"]
    assert not pending(sim)


def test_virtual_interfaces(sim, sim_factory, run_inproc):
    seed = copy.deepcopy(sim.seed)
    seed["network"] = {"interfaces": ["enp1s0", "enp2s0", "enp3s0"], "bridges": [{"name": "br0",
                                                                                  "members": ["enp1s0"]}]}
    server = sim_factory(sim.profile.name, seed=seed)
    conn = {"url": server.url, "ca_path": server.ca_file}

    def run(module, args, **kwargs):
        return run_inproc(module, dict(args, **conn), **kwargs)

    converge(run, {"name": "bond0", "type": "lag", "lag_protocol": "lacp", "lag_ports": ["enp2s0", "enp3s0"],
                   "xmit_hash_policy": "layer2+3"})
    assert server.state.data["interfaces"]["applied"]["bond0"]["lag_ports"] == ["enp2s0", "enp3s0"]
    check, vlan = converge(run, {"name": "vlan10", "type": "vlan", "vlan_parent_interface": "bond0", "vlan_tag": 10,
                                 "aliases": ["10.0.10.5/24"]})
    assert check["diff"]["before"] == {} and vlan["interface"]["vlan_tag"] == 10
    converge(run, {"name": "br1", "type": "bridge", "bridge_members": ["vlan10"]})
    assert server.state.data["interfaces"]["applied"]["br1"]["bridge_members"] == ["vlan10"]

    refused = run("truenas_interface", {"name": "bond0", "state": "absent"})
    assert refused["failed"] and refused["msg"] == ("Failed to delete interface 'bond0': name: The following VLANs "
                                                    "depend on this interface: vlan10"), refused
    assert server.state.data["interfaces"]["snapshot"] is None  # nothing left pending
    converge(run, {"name": "br1", "bridge_members": [], "state": "absent"})
    converge(run, {"name": "vlan10", "state": "absent"})
    assert "vlan10" not in server.state.data["interfaces"]["applied"]

    bad = run("truenas_interface", {"name": "vlan11", "type": "vlan", "vlan_parent_interface": "bond0",
                                    "vlan_tag": 5000})
    assert bad["failed"] and bad["msg"] == "vlan_tag: must be between 1 and 4094, got 5000"
    refused = run("truenas_interface", {"name": "bond1", "type": "bridge", "bridge_members": ["enp1s0"]})
    assert refused["failed"] and refused["msg"].startswith("Failed to create interface 'bond1': name: ")
    assert server.state.data["interfaces"]["snapshot"] is None


def test_refusals(sim, run_inproc):
    physical = run_inproc("truenas_interface", {"name": "enp1s0", "state": "absent"}, check=True)
    assert physical["failed"] and physical["msg"].startswith("state: interface 'enp1s0' is a physical interface")
    missing = run_inproc("truenas_interface", {"name": "br7", "bridge_members": ["enp1s0"]})
    assert missing["failed"] and missing["msg"].startswith("type: is required to create interface 'br7'")
    wrong = run_inproc("truenas_interface", {"name": "enp1s0", "vlan_tag": 5})
    assert wrong["failed"] and wrong["msg"] == "vlan_tag: only applies to type vlan, not physical"
    duplicate = run_inproc("truenas_interface", {"name": "br1", "aliases": ["192.168.1.10/24"]})
    assert duplicate["failed"] and duplicate["msg"] == ("Failed to update interface 'br1': aliases.0: The address "
                                                        "192.168.1.10 is already in use by enp1s0")
    assert not pending(sim) and sim.calls("interface.commit") == []
    # Someone else's staged change: refused before anything is sent.
    updates = len(sim.calls("interface.update"))
    sim.state.data["interfaces"]["snapshot"] = copy.deepcopy(sim.state.data["interfaces"]["config"])
    foreign = run_inproc("truenas_interface", {"name": "enp1s0", "mtu": 1400}, check=True)
    assert foreign["failed"] and "holds interface changes that were not committed" in foreign["msg"]
    assert len(sim.calls("interface.update")) == updates


def test_info(sim, run_inproc, run_module):
    run_inproc("truenas_interface", {"name": "br1", "aliases": ["10.1.0.1/24"]})
    result = run_module("truenas_interface_info", {})
    assert not result["failed"] and not result["changed"], result
    by_name = dict((i["name"], i) for i in result["interfaces"])
    assert sorted(by_name) == ["br0", "br1", "enp1s0"]
    assert by_name["br1"]["aliases"] == ["10.1.0.1/24"] and by_name["br1"]["state"]["aliases"] == ["10.1.0.1/24"]
    assert by_name["br0"]["bridge_members"] == ["enp1s0"] and by_name["enp1s0"]["type"] == "PHYSICAL"
    some = run_inproc("truenas_interface_info", {"name": ["enp1s0"]}, check=True)["interfaces"]
    assert [i["name"] for i in some] == ["enp1s0"]
