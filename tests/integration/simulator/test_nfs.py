"""sharing.nfs.* on the simulator: one shape on every profile (26 adds three output fields), network
normalisation, host/network and export-conflict rules, map users, security, path rules, events."""
import pytest


@pytest.fixture
def c(sim, sim_client):
    return sim_client(sim, login=True)


def invalid(c, method, *params):
    msg = c.call(method, *params)
    assert "error" in msg, msg
    assert msg["error"]["code"] == -32602, msg
    return msg["error"]["data"]["extra"]


def entry(sim, **changes):
    out = {
        "id": 1, "path": "/mnt/tank/media", "aliases": [], "comment": "", "networks": [], "hosts": [], "ro": False,
        "maproot_user": None, "maproot_group": None, "mapall_user": None, "mapall_group": None, "security": [],
        "enabled": True, "expose_snapshots": False, "locked": False,
    }
    if sim.profile.name == "26":
        out.update({"dataset": "tank/media", "relative_path": "", "tier": None})
    out.update(changes)
    return out


def test_create_normalises_networks(sim, c):
    share = c.request("sharing.nfs.create", {
        "path": "/mnt/tank/media", "networks": ["10.0.0.5", "192.168.7.9/24", "fd00::1/64"], "hosts": ["nas1"],
        "aliases": ["/ignored"], "comment": "media", "ro": True, "maproot_user": "root", "maproot_group": "wheel",
        "security": ["SYS", "KRB5"],
    })
    assert share == entry(sim, networks=["10.0.0.5/32", "192.168.7.0/24", "fd00::/64"], hosts=["nas1"],
                          comment="media", ro=True, maproot_user="root", maproot_group="wheel",
                          security=["SYS", "KRB5"])
    assert c.request("sharing.nfs.get_instance", 1) == share
    assert c.request("sharing.nfs.query", [["networks", "rin", "10.0.0.5/32"]], {"select": ["id"]}) == [{"id": 1}]


def test_model_errors(c):
    assert invalid(c, "sharing.nfs.create", {"path": "", "ro": 1, "security": ["SYS", "KRB9"], "foo": True}) == [
        ["data.path", "String should have at least 1 character", 22],
        ["data.ro", "Input should be a valid boolean", 22],
        ["data.security.1", "Input should be 'SYS', 'KRB5', 'KRB5I' or 'KRB5P'", 22],
        ["data.foo", "Extra inputs are not permitted", 22],
    ]
    assert invalid(c, "sharing.nfs.create") == [["data", "Field required", 22]]
    assert invalid(c, "sharing.nfs.update", "1", {}) == [["id", "Input should be a valid integer", 22]]


def test_network_and_host_rules(c):
    assert invalid(c, "sharing.nfs.create", {
        "path": "/mnt/tank/media", "networks": ["0.0.0.0/0", "bogus", "10.1.0.0/16", "10.1.2.0/24"],
    }) == [
        ["sharingnfs_create.networks", "Do not use 0.0.0.0/0 to represent all-networks. No entry is required to "
                                       "represent all-networks.", 22],
        ["sharingnfs_create.networks", "The following do not appear to be valid IPv4 or IPv6 networks: bogus", 22],
        ["sharingnfs_create.networks", "The following networks overlap: 10.1.0.0/16, 10.1.2.0/24", 22],
    ]
    assert invalid(c, "sharing.nfs.create", {"path": "/mnt/tank/media", "networks": ["10.0.0.5", "10.0.0.5/32"],
                                             "hosts": ["a b", "h'1", "h2", "h2"]}) == [
        ["sharingnfs_create.networks", "Entries must be unique: 10.0.0.5/32", 22],
        ["sharingnfs_create.hosts", "Cannot contain spaces or quotes: a b", 22],
        ["sharingnfs_create.hosts", "Cannot contain spaces or quotes: h'1", 22],
        ["sharingnfs_create.hosts", "Entries must be unique: h2", 22],
    ]


def test_map_users_security_and_licence(c):
    assert invalid(c, "sharing.nfs.create", {
        "path": "/mnt/tank/media", "maproot_group": "wheel", "mapall_user": "ghost", "mapall_group": "ghosts",
        "expose_snapshots": True,
    }) == [
        ["sharingnfs_create.maproot_user", "This field is required when map group is specified", 22],
        ["sharingnfs_create.mapall_user", "User not found: ghost", 22],
        ["sharingnfs_create.mapall_group", "Group not found: ghosts", 22],
        ["sharingnfs_create.mapall_group", "maproot_group disqualifies mapall_group", 22],
        ["sharingnfs_create.expose_snapshots", "This is an enterprise feature and may not be enabled without a "
                                               "valid license.", 22],
    ]
    assert invalid(c, "sharing.nfs.create", {"path": "/mnt/tank/media", "maproot_user": "root",
                                             "mapall_user": "admin"}) == [
        ["sharingnfs_create.mapall_user", "maproot_user disqualifies mapall_user", 22],
    ]
    c.request("test.sharing_config", {"nfs": {"protocols": ["NFSV3"]}, "enterprise": True})
    assert invalid(c, "sharing.nfs.create", {"path": "/mnt/tank/media", "security": ["KRB5", "SYS", "KRB5P"]}) == [
        ["sharingnfs_create.security", "The following security flavor(s) require NFSv4 to be enabled: KRB5, "
                                       "KRB5P.", 22],
    ]
    share = c.request("sharing.nfs.create", {"path": "/mnt/tank/media", "expose_snapshots": True,
                                             "mapall_user": "admin", "mapall_group": "admin"})
    assert (share["expose_snapshots"], share["mapall_user"], share["mapall_group"]) == (True, "admin", "admin")


def test_path_rules(c):
    assert invalid(c, "sharing.nfs.create", {"path": "/srv/export"}) == [
        ["sharingnfs_create.path", "The path must reside within a pool mount point", 22],
    ]
    msg = c.call("sharing.nfs.create", {"path": "/mnt/tank/missing"})
    assert msg["error"]["code"] == -32001
    assert msg["error"]["data"]["error"] == 2
    assert msg["error"]["data"]["reason"] == "[ENOENT] Path /mnt/tank/missing not found"


def test_same_path_allowed_only_without_overlap(sim, c):
    c.request("sharing.nfs.create", {"path": "/mnt/tank/media", "networks": ["10.0.0.0/24"]})
    second = c.request("sharing.nfs.create", {"path": "/mnt/tank/media", "networks": ["10.0.1.0/24"],
                                              "hosts": ["client.example"]})
    assert second == entry(sim, id=2, networks=["10.0.1.0/24"], hosts=["client.example"])
    conflict = "ERROR - Export conflict. Another share with the same path exports /mnt/tank/media for %s"
    assert invalid(c, "sharing.nfs.create", {"path": "/mnt/tank/media", "networks": ["10.0.0.128/25"]}) == [
        ["sharingnfs_create.path", conflict % "10.0.0.128/25", 22],
    ]
    assert invalid(c, "sharing.nfs.create", {"path": "/mnt/tank/media", "hosts": ["10.0.1.7", "client.example"]}) == [
        ["sharingnfs_create.path", conflict % "10.0.1.7, client.example", 22],
    ]
    assert invalid(c, "sharing.nfs.create", {"path": "/mnt/tank/media"}) == [
        ["sharingnfs_create.path", conflict % "everyone", 22],
    ]
    assert invalid(c, "sharing.nfs.update", 2, {"networks": ["10.0.0.0/16"]}) == [
        ["sharingnfs_update.path", conflict % "10.0.0.0/16", 22],
    ]
    assert c.request("sharing.nfs.create", {"path": "/mnt/tank/apps"})["id"] == 3


def test_update_delete_and_events(sim, c):
    c.request("core.subscribe", "sharing.nfs.query")
    c.request("sharing.nfs.create", {"path": "/mnt/tank/media"})
    updated = c.request("sharing.nfs.update", 1, {"comment": "x", "networks": ["10.9.9.9/8"]})
    assert updated == entry(sim, comment="x", networks=["10.0.0.0/8"])
    event = c.wait_event(lambda e: e["params"]["msg"] == "changed")
    assert event["params"] == {"msg": "changed", "collection": "sharing.nfs.query", "id": 1, "fields": updated}
    assert invalid(c, "sharing.nfs.update", 1, {"maproot_user": "nobody-here"}) == [
        ["sharingnfs_update.maproot_user", "User not found: nobody-here", 22],
    ]
    assert c.request("sharing.nfs.delete", 1) is True
    event = c.wait_event(lambda e: e["params"]["msg"] == "removed")
    assert event["params"] == {"msg": "removed", "collection": "sharing.nfs.query", "id": 1}
    assert invalid(c, "sharing.nfs.get_instance", 1) == [[None, "SharingNFS 1 does not exist", 2]]
    assert invalid(c, "sharing.nfs.delete", 1) == [[None, "SharingNFS 1 does not exist", 2]]


def test_sharing_config_hook_checks_its_input(c):
    assert invalid(c, "test.sharing_config", {"smb": 5, "nfs": {"protocols": ["NFSV5"]}, "x": 1}) == [
        ["patch.smb", "Input should be a valid dictionary or instance of SmbConfig", 22],
        ["patch.nfs.protocols.0", "Input should be 'NFSV3' or 'NFSV4'", 22],
        ["patch.x", "Extra inputs are not permitted", 22],
    ]
    assert c.request("test.sharing_config", {"nfs": {"protocols": ["NFSV4"]}}) == {
        "smb": {"aapl_extensions": False, "enable_smb1": False, "mdns": True}, "nfs": {"protocols": ["NFSV4"]},
        "enterprise": False}
