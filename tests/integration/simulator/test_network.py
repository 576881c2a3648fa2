"""network.configuration.* on the simulator, on every profile: defaults, applying at once, the
host name shared with system.info, and validation."""
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
