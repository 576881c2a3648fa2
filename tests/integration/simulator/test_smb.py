"""sharing.smb.* on the simulator: the 25.04 flat shape with presets, the 25.10/26 purpose+options
shape with its model rules and legacy shim, service validation, CRUD events and helpers."""
import uuid

import pytest

APPLE_EXT = ("Apple SMB2/3 protocol extension support is required by this parameter. This feature may be "
             "enabled in the general SMB server configuration.")


@pytest.fixture
def c(sim, sim_client):
    """A logged-in client of the shared simulator of this test's profile."""
    return sim_client(sim, login=True)


def error(c, method, *params):
    msg = c.call(method, *params)
    assert "error" in msg, msg
    return msg["error"]


def invalid(c, method, *params):
    """The validation triples of a -32602 reply."""
    err = error(c, method, *params)
    assert err["code"] == -32602, err
    assert err["data"]["error"] == 22
    return err["data"]["extra"]


def audit_default():
    return {"enable": False, "watch_list": [], "ignore_list": []}


# ---------------------------------------------------------------------------------------------
# 25.04: flat fields and presets
# ---------------------------------------------------------------------------------------------

def flat_entry(**changes):
    entry = {
        "id": 1, "purpose": "DEFAULT_SHARE", "path": "/mnt/tank/media", "path_suffix": "", "home": False,
        "name": "media", "comment": "", "ro": False, "browsable": True, "timemachine": False, "recyclebin": False,
        "guestok": False, "abe": False, "hostsallow": [], "hostsdeny": [], "aapl_name_mangling": False,
        "acl": True, "durablehandle": True, "shadowcopy": True, "streams": True, "fsrvp": False, "auxsmbconf": "",
        "enabled": True, "afp": False, "audit": audit_default(), "timemachine_quota": 0, "vuid": "",
        "path_local": "/mnt/tank/media", "locked": False,
    }
    entry.update(changes)
    return entry


@pytest.mark.sim_profiles("25.04")
def test_2504_default_preset_overwrites_flags(c):
    share = c.request("sharing.smb.create", {
        "name": "media", "path": "/mnt/tank/media", "ro": True, "abe": True, "home": True, "guestok": True,
        "hostsallow": ["10.0.0.0/8"], "streams": False, "comment": "films",
    })
    assert share == flat_entry(guestok=True, comment="films")
    assert c.request("sharing.smb.get_instance", 1) == share


@pytest.mark.sim_profiles("25.04")
def test_2504_no_preset_keeps_values_and_update_reapplies_presets(c):
    share = c.request("sharing.smb.create", {
        "name": "media", "path": "/mnt/tank/media", "purpose": "NO_PRESET", "ro": True,
        "hostsallow": ["10.0.0.0/8"], "streams": False,
    })
    assert share == flat_entry(purpose="NO_PRESET", ro=True, hostsallow=["10.0.0.0/8"], streams=False)
    updated = c.request("sharing.smb.update", 1, {"purpose": "DEFAULT_SHARE", "comment": "now default"})
    assert updated == flat_entry(comment="now default")
    kept = c.request("sharing.smb.update", 1, {"purpose": "NO_PRESET", "ro": True})
    assert kept == flat_entry(purpose="NO_PRESET", comment="now default", ro=True)


@pytest.mark.sim_profiles("25.04")
def test_2504_legacy_argument_errors(c):
    assert invalid(c, "sharing.smb.create", {"name": "x", "path": "/mnt/tank/media", "foo": 1, "ro": "yes"}) == [
        ["sharingsmb_create.foo", "Field was not expected", 22],
        ["sharingsmb_create.ro", "Not a boolean", 22],
    ]
    assert invalid(c, "sharing.smb.create", {"path": "/mnt/tank/media", "purpose": "DEFAULT"}) == [
        ["sharingsmb_create.purpose", "Invalid choice: DEFAULT", 22],
        ["sharingsmb_create.name", "attribute required", 22],
    ]
    assert invalid(c, "sharing.smb.create", {"name": "n" * 81, "path": "/mnt/tank/media"}) == [
        ["sharingsmb_create.name", "The value may not be longer than 80 characters", 22],
    ]
    err = error(c, "sharing.smb.create", {"name": "x", "path": "/mnt/tank/media"}, 2)
    assert err["code"] == -32001
    assert err["data"]["reason"] == "[EFAULT] Too many arguments (expected 1, found 2)"
    assert invalid(c, "sharing.smb.delete", "1") == [["id", "Not an integer", 22]]


@pytest.mark.sim_profiles("25.04")
def test_2504_service_validation_uses_path_local(c):
    assert invalid(c, "sharing.smb.create", {"name": "x", "path": "/mnt/nopool/media"}) == [
        ["sharingsmb_create.path_local", "The path must reside within a pool mount point", 22],
    ]
    assert invalid(c, "sharing.smb.create", {"name": "x", "path": "/mnt/tank/missing"}) == [
        ["sharingsmb_create.path_local", "Path does not exist.", 2],
    ]
    assert invalid(c, "sharing.smb.create", {"name": "a/b", "path": "/mnt/tank/media"}) == [
        ["sharingsmb_create.name", "a/b: share name contains the following invalid characters: /", 22],
    ]
    c.request("sharing.smb.create", {"name": "Home", "path": "/mnt/tank/media", "purpose": "NO_PRESET",
                                     "home": True})
    assert invalid(c, "sharing.smb.create", {"name": "HOME", "path": "/mnt/tank/apps", "purpose": "NO_PRESET",
                                             "home": True}) == [
        ["sharingsmb_create.home", "Only one share is allowed to be a home share.", 22],
        ["sharingsmb_create.name", "Share names are case-insensitive and must be unique", 22],
    ]


@pytest.mark.sim_profiles("25.04")
def test_2504_timemachine_needs_apple_extensions_and_gets_vuid(c):
    assert invalid(c, "sharing.smb.create", {"name": "tm", "path": "/mnt/tank/media", "purpose": "TIMEMACHINE"}) == [
        ["sharingsmb_create.timemachine", APPLE_EXT, 22],
    ]
    c.request("test.sharing_config", {"smb": {"aapl_extensions": True}})
    share = c.request("sharing.smb.create", {"name": "tm", "path": "/mnt/tank/media", "purpose": "TIMEMACHINE"})
    assert share["timemachine"] is True
    assert uuid.UUID(share["vuid"]).version == 4


@pytest.mark.sim_profiles("25.04")
def test_2504_presets(c):
    presets = c.request("sharing.smb.presets")
    assert sorted(presets) == sorted([
        "NO_PRESET", "DEFAULT_SHARE", "TIMEMACHINE", "ENHANCED_TIMEMACHINE", "MULTI_PROTOCOL_NFS",
        "PRIVATE_DATASETS", "WORM_DROPBOX", "VEEAM_REPOSITORY_SHARE",
    ])
    assert presets["NO_PRESET"] == {"verbose_name": "No presets", "params": {}, "cluster": False}
    assert presets["DEFAULT_SHARE"] == {
        "verbose_name": "Default share parameters", "cluster": False,
        "params": {"path_suffix": "", "home": False, "ro": False, "browsable": True, "timemachine": False,
                   "recyclebin": False, "abe": False, "hostsallow": [], "hostsdeny": [],
                   "aapl_name_mangling": False, "acl": True, "durablehandle": True, "shadowcopy": True,
                   "streams": True, "fsrvp": False},
    }


# ---------------------------------------------------------------------------------------------
# 25.10 / 26: purpose + options
# ---------------------------------------------------------------------------------------------

def entry(sim, **changes):
    out = {
        "id": 1, "purpose": "DEFAULT_SHARE", "name": "media", "path": "/mnt/tank/media", "enabled": True,
        "comment": "", "readonly": False, "browsable": True, "access_based_share_enumeration": False,
        "locked": False, "audit": audit_default(),
        "options": {"aapl_name_mangling": False, "hostsallow": [], "hostsdeny": []},
    }
    if sim.profile.name == "26":
        out.update({"dataset": "tank/media", "relative_path": "", "tier": None})
    out.update(changes)
    return out


LEGACY_DEFAULTS = {
    "recyclebin": False, "path_suffix": None, "hostsallow": [], "hostsdeny": [], "guestok": False, "streams": True,
    "durablehandle": True, "shadowcopy": True, "fsrvp": False, "home": False, "acl": True, "afp": False,
    "timemachine": False, "timemachine_quota": 0, "aapl_name_mangling": False, "vuid": None, "auxsmbconf": "",
}


@pytest.mark.sim_profiles("25.10", "26")
def test_create_default_share(sim, c):
    share = c.request("sharing.smb.create", {"name": "media", "path": "/mnt/tank/media"})
    assert share == entry(sim)
    assert c.request("sharing.smb.query", [["name", "=", "media"]]) == [entry(sim)]


@pytest.mark.sim_profiles("26")
def test_26_location_fields_for_a_subdirectory(sim, c):
    share = c.request("sharing.smb.create", {"name": "isos", "path": "/mnt/tank/isos/ubuntu-24.04.iso"})
    assert (share["dataset"], share["relative_path"], share["tier"]) == ("tank/isos", "ubuntu-24.04.iso", None)


@pytest.mark.sim_profiles("25.10", "26")
def test_legacy_input_shim(sim, c):
    share = c.request("sharing.smb.create", {
        "name": "media", "path": "/mnt/tank/media", "purpose": "DEFAULT_SHARE", "ro": True, "abe": True,
        "guestok": True, "home": True, "hostsallow": ["10.0.0.0/8"],
    })
    assert share == entry(sim, readonly=True, access_based_share_enumeration=True)
    assert invalid(c, "sharing.smb.create", {"name": "x", "path": "/mnt/tank/media", "ro": True}) == [
        ["data.ro", "Extra inputs are not permitted", 22],
    ]
    assert invalid(c, "sharing.smb.create", {"name": "x", "path": "/mnt/tank/media", "purpose": "NO_PRESET"}) == [
        ["data.purpose", "Input should be 'DEFAULT_SHARE', 'LEGACY_SHARE', 'TIMEMACHINE_SHARE', "
                         "'MULTIPROTOCOL_SHARE', 'TIME_LOCKED_SHARE', 'PRIVATE_DATASETS_SHARE', 'EXTERNAL_SHARE', "
                         "'VEEAM_REPOSITORY_SHARE' or 'FCP_SHARE'", 22],
    ]
    worm = c.request("sharing.smb.create", {"name": "worm", "path": "/mnt/tank/apps", "purpose": "WORM_DROPBOX"})
    assert worm["purpose"] == "TIME_LOCKED_SHARE"
    assert worm["options"] == {"grace_period": 900, "aapl_name_mangling": False, "hostsallow": [], "hostsdeny": []}


@pytest.mark.sim_profiles("25.10", "26")
def test_model_rules(c):
    assert invalid(c, "sharing.smb.create", {"name": "x", "path": "/mnt/tank/media", "options": {}}) == [
        ["data", "Value error, You must set `purpose` if you set `options`.", 22],
    ]
    assert invalid(c, "sharing.smb.create", {"name": "x", "path": "/mnt/tank/media", "purpose": "DEFAULT_SHARE",
                                             "options": {"guestok": True}}) == [
        ["data.options.DEFAULT_SHARE.guestok", "Extra inputs are not permitted", 22],
    ]
    assert invalid(c, "sharing.smb.create", {"name": "x", "path": "/mnt/tank/media", "purpose": "LEGACY_SHARE",
                                             "options": {"timemachine_quota": -1, "streams": 1}}) == [
        ["data.options.LEGACY_SHARE.streams", "Input should be a valid boolean", 22],
        ["data.options.LEGACY_SHARE.timemachine_quota", "Input should be greater than or equal to 0", 22],
    ]
    assert invalid(c, "sharing.smb.create", {"name": "x", "path": "EXTERNAL", "purpose": "EXTERNAL_SHARE"}) == [
        ["data.options.EXTERNAL_SHARE.remote_path", "Field required", 22],
    ]
    assert invalid(c, "sharing.smb.create", {"name": "x", "path": "/mnt/tank/media", "purpose": "EXTERNAL_SHARE",
                                             "options": {"remote_path": ["srv\\share"]}}) == [
        ["data", 'Value error, You must set `path` to "EXTERNAL" for external shares.', 22],
    ]
    assert invalid(c, "sharing.smb.create", {"name": "a:b/c", "path": "/mnt/tank/media"}) == [
        ["data.name", "Value error, a:b/c: share name contains the following invalid characters: /, :", 22],
    ]
    assert invalid(c, "sharing.smb.create", {"name": "Homes", "path": "/mnt/tank/media"}) == [
        ["data.name", "Value error, Homes is a reserved section name, please select another one", 22],
    ]
    assert invalid(c, "sharing.smb.create", {"path": "/mnt/tank/media", "audit": {"enable": "yes"}}) == [
        ["data.name", "Field required", 22],
        ["data.audit.enable", "Input should be a valid boolean", 22],
    ]


@pytest.mark.sim_profiles("25.10", "26")
def test_external_share(sim, c):
    share = c.request("sharing.smb.create", {"name": "dfs", "path": "EXTERNAL", "purpose": "EXTERNAL_SHARE",
                                             "options": {"remote_path": ["srv1\\data", "srv2\\data"]}})
    expected = entry(sim, name="dfs", path="EXTERNAL", purpose="EXTERNAL_SHARE", locked=None,
                     options={"remote_path": ["srv1\\data", "srv2\\data"]})
    if sim.profile.name == "26":
        expected.update({"dataset": None, "relative_path": None})
    assert share == expected
    assert invalid(c, "sharing.smb.create", {"name": "x", "path": "EXTERNAL"}) == [
        ["sharingsmb_create.path", "External paths may only be set for shares with an EXTERNAL_SHARE purpose", 22],
    ]


@pytest.mark.sim_profiles("25.10", "26")
def test_service_validation(c):
    c.request("sharing.smb.create", {"name": "Media", "path": "/mnt/tank/media"})
    assert invalid(c, "sharing.smb.create", {"name": "MEDIA", "path": "/mnt/tank/apps"}) == [
        ["sharingsmb_create.name", "Share names are case-insensitive and must be unique", 22],
    ]
    assert invalid(c, "sharing.smb.create", {"name": "x", "path": "/srv/data"}) == [
        ["sharingsmb_create.path", "The path must reside within a pool mount point", 22],
    ]
    assert invalid(c, "sharing.smb.create", {"name": "x", "path": "/mnt/tank/media/none"}) == [
        ["sharingsmb_create.path", "Path does not exist.", 2],
    ]
    assert invalid(c, "sharing.smb.create", {"name": "x", "path": "/mnt/tank/apps", "purpose": "LEGACY_SHARE",
                                             "options": {"vuid": "not-a-uuid", "afp": True}}) == [
        ["sharingsmb_create.options.afp", APPLE_EXT, 22],
        ["sharingsmb_create.options.vuid", "Invalid UUID", 22],
    ]
    assert invalid(c, "sharing.smb.create", {"name": "x", "path": "/mnt/tank/apps",
                                             "audit": {"enable": True}}) == [
        ["sharingsmb_create.audit.enable", "Watch list or ignore list is required to enable auditing for an SMB "
                                           "share.", 22],
    ]
    assert invalid(c, "sharing.smb.create", {"name": "x", "path": "/mnt/tank/apps",
                                             "audit": {"enable": True, "watch_list": ["wheel", "ghosts"]}}) == [
        ["sharingsmb_create.audit.watch_list.1", "ghosts: group does not exist.", 22],
    ]
    c.request("test.sharing_config", {"smb": {"enable_smb1": True}})
    assert invalid(c, "sharing.smb.create", {"name": "x", "path": "/mnt/tank/apps",
                                             "audit": {"enable": True, "ignore_list": ["wheel"]}}) == [
        ["sharingsmb_create.audit.enable", "SMB auditing is not supported if SMB1 protocol is enabled", 22],
    ]
    c.request("sharing.smb.create", {"name": "h1", "path": "/mnt/tank/apps", "purpose": "LEGACY_SHARE",
                                     "options": {"home": True}})
    assert invalid(c, "sharing.smb.create", {"name": "h2", "path": "/mnt/tank/vms", "purpose": "LEGACY_SHARE",
                                             "options": {"home": True, "auxsmbconf": "no equals sign"}}) == [
        ["sharingsmb_create.options.home", "Only one share is allowed to be a home share.", 22],
        ["sharingsmb_create.options.auxsmbconf",
         "Auxiliary parameters rejected because they would break the SMB server", 22],
    ]


@pytest.mark.sim_profiles("25.10", "26")
def test_timemachine_share(c):
    assert invalid(c, "sharing.smb.create", {"name": "tm", "path": "/mnt/tank/media",
                                             "purpose": "TIMEMACHINE_SHARE"}) == [
        ["sharingsmb_create.purpose", APPLE_EXT, 22],
    ]
    c.request("test.sharing_config", {"smb": {"aapl_extensions": True, "mdns": False}})
    assert invalid(c, "sharing.smb.create", {"name": "tm", "path": "/mnt/tank/media",
                                             "purpose": "TIMEMACHINE_SHARE"}) == [
        ["sharingsmb_create.purpose", "mDNS must be enabled in order to use an SMB share as a time machine "
                                      "target.", 22],
    ]
    c.request("test.sharing_config", {"smb": {"mdns": True}})
    share = c.request("sharing.smb.create", {"name": "tm", "path": "/mnt/tank/media",
                                             "purpose": "ENHANCED_TIMEMACHINE"})
    vuid = share["options"].pop("vuid")
    assert uuid.UUID(vuid).version == 4
    assert share["purpose"] == "TIMEMACHINE_SHARE"
    assert share["options"] == {"timemachine_quota": 0, "auto_snapshot": True, "auto_dataset_creation": True,
                                "dataset_naming_schema": None, "hostsallow": [], "hostsdeny": []}


@pytest.mark.sim_profiles("25.10", "26")
def test_update_replaces_options_and_merges_audit(sim, c):
    c.request("sharing.smb.create", {
        "name": "media", "path": "/mnt/tank/media", "purpose": "LEGACY_SHARE",
        "options": {"guestok": True, "recyclebin": True}, "audit": {"enable": True, "watch_list": ["wheel"]},
    })
    updated = c.request("sharing.smb.update", 1, {"purpose": "LEGACY_SHARE", "options": {"recyclebin": True},
                                                  "audit": {"ignore_list": ["nogroup"]}})
    assert updated == entry(sim, purpose="LEGACY_SHARE", options=dict(LEGACY_DEFAULTS, recyclebin=True),
                            audit={"enable": True, "watch_list": ["wheel"], "ignore_list": ["nogroup"]})
    same = c.request("sharing.smb.update", 1, {"purpose": "LEGACY_SHARE", "comment": "kept"})
    assert same["options"] == dict(LEGACY_DEFAULTS, recyclebin=True)
    moved = c.request("sharing.smb.update", 1, {"purpose": "MULTIPROTOCOL_SHARE"})
    assert moved["options"] == {"aapl_name_mangling": False, "hostsallow": [], "hostsdeny": []}
    assert invalid(c, "sharing.smb.update", 1, {"options": {"hostsallow": []}}) == [
        ["data", "Value error, You must set `purpose` if you set `options`.", 22],
    ]


@pytest.mark.sim_profiles("25.10", "26")
def test_presets_and_precheck(c):
    assert c.request("sharing.smb.presets") == {name: {"verbose_name": name} for name in [
        "DEFAULT_SHARE", "LEGACY_SHARE", "TIMEMACHINE_SHARE", "MULTIPROTOCOL_SHARE", "TIME_LOCKED_SHARE",
        "PRIVATE_DATASETS_SHARE", "EXTERNAL_SHARE", "VEEAM_REPOSITORY_SHARE", "FCP_SHARE"]}
    assert c.request("sharing.smb.share_precheck", {"name": "media"}) is None
    c.request("sharing.smb.create", {"name": "media", "path": "/mnt/tank/media"})
    assert invalid(c, "sharing.smb.share_precheck", {"name": "MEDIA"}) == [
        ["sharing.smb.share_precheck.name", "Share with this name already exists.", 17],
    ]


@pytest.mark.sim_profiles("25.10.0", "25.10")
def test_25_10_0_has_no_default_share_hosts_and_no_fcp(sim, c):
    early = sim.profile.product_version == "25.10.0"
    hosts = {"name": "media", "path": "/mnt/tank/media", "purpose": "DEFAULT_SHARE",
             "options": {"hostsallow": ["10.0.0.0/24"]}}
    if early:
        assert invalid(c, "sharing.smb.create", hosts) == [
            ["data.options.DEFAULT_SHARE.hostsallow", "Extra inputs are not permitted", 22]]
        assert "FCP_SHARE" not in c.request("sharing.smb.presets")
        refused = invalid(c, "sharing.smb.create", {"name": "fcp", "path": "/mnt/tank/media", "purpose": "FCP_SHARE"})
        assert refused[0][0] == "data.purpose" and "'FCP_SHARE'" not in refused[0][1]
        # LEGACY_SHARE keeps its hosts on 25.10.0.
        legacy = c.request("sharing.smb.create", {"name": "legacy", "path": "/mnt/tank/media",
                                                  "purpose": "LEGACY_SHARE", "options": {"hostsallow": ["10.0.0.1"]}})
        assert legacy["options"]["hostsallow"] == ["10.0.0.1"]
        assert c.request("sharing.smb.create", {"name": "media", "path": "/mnt/tank/media"})["options"] == {
            "aapl_name_mangling": False}
    else:
        assert c.request("sharing.smb.create", hosts)["options"]["hostsallow"] == ["10.0.0.0/24"]
        assert "FCP_SHARE" in c.request("sharing.smb.presets")
    assert c.request("system.version_short") == sim.profile.product_version


# ---------------------------------------------------------------------------------------------
# every profile
# ---------------------------------------------------------------------------------------------

def test_get_instance_delete_and_events(sim, c):
    c.request("core.subscribe", "sharing.smb.query")
    assert invalid(c, "sharing.smb.get_instance", 5) == [[None, "SharingSMB 5 does not exist", 2]]
    share = c.request("sharing.smb.create", {"name": "media", "path": "/mnt/tank/media"})
    added = c.wait_event(lambda e: e["params"]["collection"] == "sharing.smb.query")
    assert added["params"] == {"msg": "added", "collection": "sharing.smb.query", "id": 1, "fields": share}
    changed = c.request("sharing.smb.update", 1, {"comment": "films"})
    assert changed["comment"] == "films"
    event = c.wait_event(lambda e: e["params"]["msg"] == "changed")
    assert event["params"]["fields"] == changed
    assert c.request("sharing.smb.delete", 1) is True
    event = c.wait_event(lambda e: e["params"]["msg"] == "removed")
    assert event["params"] == {"msg": "removed", "collection": "sharing.smb.query", "id": 1}
    assert c.request("sharing.smb.query") == []
    assert invalid(c, "sharing.smb.delete", 1) == [[None, "SharingSMB 1 does not exist", 2]]


def test_locked_dataset_is_reported(sim, c):
    c.request("sharing.smb.create", {"name": "media", "path": "/mnt/tank/media"})

    def lock():
        sim.state.data["datasets"]["tank/media"]["encryption"] = {
            "root": "tank/media", "key_format": "passphrase", "algorithm": "aes-256-gcm", "pbkdf2iters": 350000,
            "key_loaded": False, "secret_sha256": "0" * 64}

    sim.run(lock)
    assert c.request("sharing.smb.get_instance", 1)["locked"] is True


def test_precheck_without_smb_users(sim, c):
    def no_smb_users():
        for user in sim.state.data["users"].values():
            user["smb"] = False

    sim.run(no_smb_users)
    assert invalid(c, "sharing.smb.share_precheck", {}) == [
        ["sharing.smb.share_precheck", "TrueNAS server must be joined to a directory service or have at least one "
                                       "local SMB user before creating an SMB share.", 22],
    ]
