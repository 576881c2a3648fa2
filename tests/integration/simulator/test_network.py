"""network.configuration.* on the simulator, on every profile: defaults, applying at once, the
host name shared with system.info, and validation."""
import copy
import time

import pytest


@pytest.fixture
def c(sim, sim_client):
    return sim_client(sim, login=True)


def invalid(c, method, *params):
    msg = c.call(method, *params)
    assert "error" in msg, msg
    assert msg["error"]["code"] == -32602, msg
    return [tuple(e[:2]) for e in msg["error"]["data"]["extra"]]


def test_defaults_and_update(c):
    cfg = c.request("network.configuration.config")
    assert (cfg["id"], cfg["hostname"], cfg["nameserver1"], cfg["hosts"]) == (1, "truenas-sim", "", [])
    assert cfg["service_announcement"] == {"netbios": False, "mdns": True, "wsd": True}
    new = c.request("network.configuration.update", {"hostname": "nas01", "nameserver1": "1.1.1.1",
                                                     "ipv4gateway": "192.168.1.1", "hosts": ["10.0.0.2 db"]})
    assert (new["hostname"], new["hostname_local"], new["nameserver1"], new["state"]["ipv4gateway"]) == (
        "nas01", "nas01", "1.1.1.1", "192.168.1.1")
    assert c.request("network.configuration.config") == new
    assert c.request("system.info")["hostname"] == "nas01"


def test_validation(c):
    errors = invalid(c, "network.configuration.update", {
        "hostname": "-bad", "ipv4gateway": "::1", "nameserver2": "8.8.8.8", "hosts": ["nohost"],
        "httpproxy": "proxy"})
    assert errors == [
        ("data.hostname", "Invalid hostname: use letters, digits and '-' (not first or last), at most 63 characters"),
        ("data.ipv4gateway", "::1 is not an IPv4 address"),
        ("data.nameserver2", "nameserver1 must be set before nameserver2"),
        ("data.hosts.0", "Entries must be '<IP address> <host name> [<alias>...]'"),
        ("data.httpproxy", "Must be a URL such as http://proxy.example.com:3128"),
    ]
    errors = invalid(c, "network.configuration.update", {"nameserver1": "1.1.1.1", "nameserver2": "1.1.1.1"})
    assert errors == [("data.nameserver2", "Duplicate nameserver 1.1.1.1")]


LAG_SEED_NETWORK = {"interfaces": ["enp1s0", "enp2s0", "enp3s0"], "bridges": [{"name": "br0", "members": ["enp1s0"]}]}


def test_interfaces_seeded_from_the_network_section(c):
    rows = c.request("interface.query")
    assert [(r["name"], r["type"]) for r in rows] == [("br0", "BRIDGE"), ("br1", "BRIDGE"), ("enp1s0", "PHYSICAL")]
    br0 = rows[0]
    assert br0["bridge_members"] == ["enp1s0"] and br0["state"]["cloned"] is True
    assert c.request("interface.has_pending_changes") is False
    assert c.request("interface.checkin_waiting") is None


def test_pending_commit_checkin(c):
    before = c.request("interface.query", [["name", "=", "enp1s0"]], {"get": True})["state"]["aliases"]
    alias = {"type": "INET", "address": "192.168.5.10", "netmask": 24}
    new = c.request("interface.update", "enp1s0", {"aliases": [alias], "mtu": 9000})
    assert new["aliases"] == [{"type": "INET", "address": "192.168.5.10", "netmask": 24}]
    assert new["state"]["aliases"] == before and new["state"]["mtu"] == 1500  # not applied yet
    assert c.request("interface.has_pending_changes") is True
    assert c.request("interface.commit", {"rollback": True, "checkin_timeout": 30}) is None
    assert 28 <= c.request("interface.checkin_waiting") <= 30
    applied = c.request("interface.query", [["name", "=", "enp1s0"]], {"get": True})
    assert applied["state"]["aliases"][0]["broadcast"] == "192.168.5.255" and applied["state"]["mtu"] == 9000
    assert c.request("interface.checkin") is None
    assert c.request("interface.has_pending_changes") is False
    assert c.request("interface.checkin_waiting") is None


def test_no_checkin_rolls_back_by_itself(sim, c):
    c.request("interface.update", "enp1s0", {"description": "uplink"})
    c.request("interface.commit", {"rollback": True, "checkin_timeout": 1})
    assert c.request("interface.query", [["name", "=", "enp1s0"]], {"get": True})["description"] == "uplink"
    time.sleep(1.3)
    # The timer already restored the snapshot (the state file shows it without any call).
    assert sim.state.data["interfaces"]["config"]["enp1s0"]["description"] == ""
    assert c.request("interface.has_pending_changes") is False
    assert c.request("interface.checkin_waiting") is None


def test_create_and_delete_virtual_interfaces(sim, sim_factory, sim_client):
    seed = copy.deepcopy(sim.seed)
    seed["network"] = LAG_SEED_NETWORK
    server = sim_factory(sim.profile.name, seed=seed)
    c = sim_client(server, login=True)
    lag = c.request("interface.create", {"type": "LINK_AGGREGATION", "lag_protocol": "LACP",
                                         "lag_ports": ["enp2s0", "enp3s0"]})
    assert lag["name"] == "bond0" and lag["lag_ports"] == ["enp2s0", "enp3s0"]
    vlan = c.request("interface.create", {"type": "VLAN", "name": "vlan10", "vlan_parent_interface": "bond0",
                                          "vlan_tag": 10})
    assert vlan["vlan_tag"] == 10
    c.request("interface.commit", {"rollback": False})
    assert c.request("interface.has_pending_changes") is False
    bond = c.request("interface.query", [["name", "=", "bond0"]], {"get": True})
    assert (bond["state"]["xmit_hash_policy"], bond["state"]["lacpdu_rate"]) == ("LAYER2+3", "SLOW")
    errors = invalid(c, "interface.create", {"type": "VLAN", "name": "vlan11", "vlan_parent_interface": "bond0",
                                             "vlan_tag": 10})
    assert errors == [("interface_create.vlan_tag", "VLAN tag 10 is already used on bond0 by vlan10")]
    errors = invalid(c, "interface.create", {"type": "BRIDGE", "name": "br5", "bridge_members": ["enp1s0"]})
    assert errors == [("interface_create.bridge_members.0", "Interface enp1s0 is currently in use by br0")]
    msg = c.call("interface.delete", "bond0")
    assert msg["error"]["data"]["extra"][0][1] == "The following VLANs depend on this interface: vlan10"
    assert c.request("interface.delete", "vlan10") == "vlan10"
    assert c.request("interface.rollback") is None
    assert "vlan10" in [r["name"] for r in c.request("interface.query")]


def test_interface_validation(sim, c):
    errors = invalid(c, "interface.update", "enp1s0", {"aliases": [{"type": "INET", "address": "10.0.0.300",
                                                                    "netmask": 24}]})
    assert errors == [("interface_update.aliases.0", "10.0.0.300/24 is not a valid address and netmask")]
    errors = invalid(c, "interface.update", "enp1s0", {"mtu": 20000})
    # The schema (25.10+) checks the bound first and names the argument.
    assert [e[0] for e in errors] == ["data.mtu" if sim.profile.validate_schemas else "interface_update.mtu"]
    assert c.request("interface.has_pending_changes") is False
