"""pool.dataset.update on the simulator: update-only keys, INHERIT, quotas, grow-only volsize, user
properties and the CHANGED event."""
import pytest

from tests.simulator.pytest_plugin import SimCallError

GiB = 1024 ** 3


@pytest.fixture
def c(sim, sim_client):
    return sim_client(sim, login=True)


def failure(c, method, *params):
    with pytest.raises(SimCallError) as exc:
        c.request(method, *params)
    return exc.value.error


def triples(c, method, *params):
    error = failure(c, method, *params)
    assert error["code"] == -32602, error
    return error["data"]["extra"]


def prop(entry, key):
    return entry[key]["value"], entry[key]["source"]


def test_set_then_inherit(c):
    entry = c.request("pool.dataset.update", "tank/vms", {"compression": "ZSTD-3", "sync": "ALWAYS", "atime": "OFF"})
    assert [prop(entry, k) for k in ("compression", "sync", "atime")] == [
        ("ZSTD-3", "LOCAL"), ("ALWAYS", "LOCAL"), ("OFF", "LOCAL")]
    entry = c.request("pool.dataset.update", "tank/vms", {"compression": "INHERIT", "sync": "INHERIT"})
    assert [prop(entry, k) for k in ("compression", "sync", "atime")] == [
        ("LZ4", "INHERITED"), ("STANDARD", "DEFAULT"), ("OFF", "LOCAL")]
    assert entry == c.request("pool.dataset.get_instance", "tank/vms")


def test_changed_event_carries_the_entry(c):
    c.request("core.subscribe", "pool.dataset.query")
    entry = c.request("pool.dataset.update", "tank/isos", {"readonly": "ON"})
    event = c.wait_event(lambda e: e.get("method") == "collection_update")
    assert event["params"] == {"msg": "changed", "collection": "pool.dataset.query", "id": "tank/isos",
                               "fields": entry}
    assert entry["readonly"]["parsed"] is True


@pytest.mark.sim_profiles("25.10", "26")
def test_comments_inherit_is_stored_literally_other_tn_props_inherit(c):
    entry = c.request("pool.dataset.update", "tank/vms", {"comments": "INHERIT", "quota_warning": 75})
    assert entry["user_properties"]["comments"]["value"] == "INHERIT"
    assert entry["user_properties"]["quota_warning"]["value"] == "75"
    entry = c.request("pool.dataset.update", "tank/vms", {"quota_warning": "INHERIT"})
    assert "quota_warning" not in entry["user_properties"]


@pytest.mark.sim_profiles("25.10", "26")
def test_create_only_keys_are_extra_inputs_25_10(c):
    assert triples(c, "pool.dataset.update", "tank/vms", {"name": "tank/x", "casesensitivity": "SENSITIVE",
                                                          "share_type": "SMB", "encryption": True}) == [
        ["data.name", "Extra inputs are not permitted", 22],
        ["data.casesensitivity", "Extra inputs are not permitted", 22],
        ["data.share_type", "Extra inputs are not permitted", 22],
        ["data.encryption", "Extra inputs are not permitted", 22]]


@pytest.mark.sim_profiles("25.04")
def test_create_only_keys_are_refused_25_04(c):
    assert triples(c, "pool.dataset.update", "tank/vms", {"volblocksize": "16K", "type": "VOLUME"}) == [
        ["pool_dataset_update.volblocksize", "Field was not expected", 22],
        ["pool_dataset_update.type", "Field was not expected", 22]]


def test_unknown_id(c):
    assert triples(c, "pool.dataset.update", "tank/x", {"atime": "OFF"}) == [["id", "tank/x does not exist", 2]]


def test_quotas(c):
    entry = c.request("pool.dataset.update", "tank/media", {"quota": 10 * GiB, "refquota": GiB})
    assert entry["quota"]["parsed"] == 10 * GiB and entry["quota"]["source"] == "LOCAL"
    assert entry["available"]["parsed"] == GiB - 98304
    entry = c.request("pool.dataset.update", "tank/media", {"quota": 0, "refquota": None})
    assert entry["quota"]["parsed"] is None and entry["quota"]["source"] == "DEFAULT"
    assert entry["refquota"]["rawvalue"] == "0"
    c.request("pool.dataset.create", {"name": "tank/media/big", "refreservation": 2 * GiB})
    assert triples(c, "pool.dataset.update", "tank/media", {"quota": GiB}) == [
        ["pool_dataset_update.quota", "size is less than current used or reserved space", 22]]
    assert c.request("pool.dataset.get_instance", "tank/media")["quota"]["parsed"] is None


@pytest.mark.sim_profiles("25.10", "26")
def test_small_quota_is_a_schema_error_25_10(c):
    assert triples(c, "pool.dataset.update", "tank/media", {"quota": 1024}) == [
        ["data.quota.int", "Input should be greater than or equal to 1073741824", 22],
        ["data.quota.literal[0,None]", "Input should be 0 or None", 22]]


def test_volsize_grows_only(c):
    c.request("pool.dataset.create", {"name": "tank/vms/disk0", "type": "VOLUME", "volsize": GiB})
    entry = c.request("pool.dataset.update", "tank/vms/disk0", {"volsize": 2 * GiB})
    assert entry["volsize"]["parsed"] == 2 * GiB
    # the automatic refreservation follows: 2 GiB + (7 + 128 + 1) * 2 * 128K
    assert entry["refreservation"]["parsed"] == 2147483648 + 136 * 2 * 131072
    assert triples(c, "pool.dataset.update", "tank/vms/disk0", {"volsize": GiB}) == [
        ["pool_dataset_update.volsize", "You cannot shrink a zvol from GUI, this may lead to data loss.", 22]]
    assert triples(c, "pool.dataset.update", "tank/vms/disk0", {"volsize": 2 * GiB + 512}) == [
        ["pool_dataset_update.volsize", "Volume size should be a multiple of volume block size", 22]]


def test_volsize_80_percent_rule_uses_available_plus_used(c):
    c.request("pool.dataset.create", {"name": "backup/v", "type": "VOLUME", "volsize": 1024 * GiB, "sparse": True})
    entry = c.request("pool.dataset.get_instance", "backup/v")
    limit = (entry["available"]["parsed"] + entry["used"]["parsed"]) * 0.8
    too_big = (int(limit) // 16384 + 1) * 16384
    assert triples(c, "pool.dataset.update", "backup/v", {"volsize": too_big}) == [
        ["pool_dataset_update.volsize", "It is not recommended to use more than 80% of your available space for VOLUME",
         22]]
    assert c.request("pool.dataset.update", "backup/v", {"volsize": too_big, "force_size": True})["volsize"][
        "parsed"] == too_big


def test_volume_only_and_filesystem_only_keys(c):
    c.request("pool.dataset.create", {"name": "tank/vms/disk0", "type": "VOLUME", "volsize": GiB, "sparse": True})
    assert triples(c, "pool.dataset.update", "tank/vms", {"volsize": GiB}) == [
        ["pool_dataset_update.volsize", "This field is not valid for FILESYSTEM", 22]]
    assert triples(c, "pool.dataset.update", "tank/vms/disk0", {"recordsize": "1M"}) == [
        ["pool_dataset_update.recordsize", "This field is not valid for VOLUME", 22]]


def test_user_properties_replace_all_and_update(c):
    entry = c.request("pool.dataset.update", "tank/media", {"user_properties": [
        {"key": "org.example:a", "value": "1"}, {"key": "org.example:b", "value": "2"}]})
    keys = sorted(k for k in entry["user_properties"] if k.startswith("org."))
    assert keys == ["org.example:a", "org.example:b"]
    entry = c.request("pool.dataset.update", "tank/media", {"user_properties": [{"key": "org.example:c", "value": "3"}]})
    assert sorted(k for k in entry["user_properties"] if k.startswith("org.")) == ["org.example:c"]
    entry = c.request("pool.dataset.update", "tank/media", {"user_properties_update": [
        {"key": "org.example:c", "remove": True}, {"key": "org.example:d", "value": "4"}]})
    assert {k: v["value"] for k, v in entry["user_properties"].items() if k.startswith("org.")} == {"org.example:d": "4"}
    assert triples(c, "pool.dataset.update", "tank/media", {
        "user_properties": [], "user_properties_update": [{"key": "org.example:d", "remove": True}]}) == [
        ["pool_dataset_update.user_properties_update",
         'Should not be specified when "user_properties" are explicitly specified', 22]]
    assert triples(c, "pool.dataset.update", "tank/media", {"user_properties_update": [
        {"key": "org.example:d", "value": "5", "remove": True}, {"key": "org.example:e"}]}) == [
        ["pool_dataset_update.user_properties_update.0.remove", 'When "value" is specified, this cannot be set', 22],
        ["pool_dataset_update.user_properties_update.1.value", 'Either "value" or "remove" must be specified', 22]]


@pytest.mark.sim_profiles("25.10", "26")
def test_user_property_key_pattern_25_10(c):
    assert triples(c, "pool.dataset.update", "tank/media", {"user_properties": [{"key": "nocolon", "value": "x"}]}) == [
        ["data.user_properties.0.key", "String should match pattern '.*:.*'", 22]]


def test_acltype_forces_aclmode(c):
    entry = c.request("pool.dataset.update", "tank/media", {"acltype": "NFSV4"})
    assert prop(entry, "acltype") == ("NFSV4", "LOCAL") and prop(entry, "aclmode") == ("PASSTHROUGH", "LOCAL")
    entry = c.request("pool.dataset.update", "tank/media", {"aclmode": "RESTRICTED"})
    assert prop(entry, "aclmode") == ("RESTRICTED", "LOCAL")
    entry = c.request("pool.dataset.update", "tank/media", {"acltype": "POSIX"})
    assert prop(entry, "acltype") == ("POSIX", "LOCAL") and prop(entry, "aclmode") == ("DISCARD", "LOCAL")
    assert triples(c, "pool.dataset.update", "tank/media", {"aclmode": "PASSTHROUGH"}) == [
        ["pool_dataset_update.aclmode", "Must be set to DISCARD when acltype is POSIX or OFF", 22]]
    assert triples(c, "pool.dataset.update", "tank/media", {"acltype": "NFSV4", "aclmode": "DISCARD"}) == [
        ["pool_dataset_update.aclmode", "DISCARD aclmode may not be set for NFSv4 acl type", 22]]
    entry = c.request("pool.dataset.update", "tank/media", {"acltype": "INHERIT", "aclmode": "INHERIT"})
    assert prop(entry, "acltype") == ("POSIX", "INHERITED") and prop(entry, "aclmode") == ("DISCARD", "INHERITED")


def test_acltype_change_under_an_smb_share(c):
    c.request("pool.dataset.create", {"name": "tank/media/shows"})
    c.request("sharing.smb.create", {"name": "shows", "path": "/mnt/tank/media/shows"})
    assert triples(c, "pool.dataset.update", "tank/media", {"acltype": "NFSV4"}) == [
        ["pool_dataset_update.acltype",
         "This dataset is hosting SMB shares. ACL type may not be changed while SMB shares are configured on it.", 22]]
    assert prop(c.request("pool.dataset.update", "tank/media", {"atime": "OFF"}), "atime") == ("OFF", "LOCAL")


def test_reservation_beyond_the_pool_fails(c):
    assert triples(c, "pool.dataset.update", "backup", {"refreservation": 4 * 1024 * GiB}) == [
        ["pool_dataset_update.refreservation", "size is greater than available space", 22]]
    assert c.request("pool.dataset.get_instance", "backup")["refreservation"]["parsed"] is None


def test_negative_reservation_is_refused(c):
    assert triples(c, "pool.dataset.update", "tank/vms", {"reservation": -1}) == [
        ["pool_dataset_update.reservation", "bad numeric value '-1'", 22]]
