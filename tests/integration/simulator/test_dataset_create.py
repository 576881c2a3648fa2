"""pool.dataset.create on the simulator: the FILESYSTEM | VOLUME union, defaults, business rules,
space accounting, encryption, share_type side effects and events."""
import copy

import pytest

from tests.simulator.pytest_plugin import SimCallError
from tests.simulator.services import dataset as storage
from tests.simulator.state import DEFAULT_SEED, load_seed_file

GiB = 1024 ** 3
SEED = load_seed_file(DEFAULT_SEED)


@pytest.fixture
def c(sim, sim_client):
    return sim_client(sim, login=True)


def failure(c, method, *params):
    """The error object of a call that must fail."""
    with pytest.raises(SimCallError) as exc:
        c.request(method, *params)
    return exc.value.error


def triples(c, method, *params):
    error = failure(c, method, *params)
    assert error["code"] == -32602, error
    return error["data"]["extra"]


def p10(parsed, raw, value, source, info=None):
    return {"parsed": parsed, "rawvalue": raw, "value": value, "source": source, "source_info": info}


# --- the union and defaults -----------------------------------------------------------------------


def test_minimal_filesystem_gets_defaults_and_event(sim, c):
    c.request("core.subscribe", "pool.dataset.query")
    entry = c.request("pool.dataset.create", {"name": "tank/projects"})
    assert entry == c.request("pool.dataset.get_instance", "tank/projects")
    assert (entry["id"], entry["type"], entry["mountpoint"]) == ("tank/projects", "FILESYSTEM", "/mnt/tank/projects")
    assert entry["compression"]["source"] == "INHERITED" and entry["compression"]["rawvalue"] == "lz4"
    assert entry["sync"]["source"] == "DEFAULT"
    assert entry["casesensitivity"]["rawvalue"] == "sensitive"
    assert entry["used"]["parsed"] == 98304
    event = c.wait_event(lambda e: e.get("method") == "collection_update"
                         and e["params"]["collection"] == "pool.dataset.query")
    assert event["params"] == {"msg": "added", "collection": "pool.dataset.query", "id": "tank/projects",
                               "fields": entry}


@pytest.mark.sim_profiles("25.10", "26")
def test_volsize_alone_makes_a_volume_with_refreservation(sim, c):
    data = {"name": "tank/vms/disk0", "volsize": GiB}
    if sim.profile.at_least("26"):
        # 26: a missing type is FILESYSTEM, so a zvol needs type VOLUME.
        assert triples(c, "pool.dataset.create", data) == [
            ["data.FILESYSTEM.volsize", "Extra inputs are not permitted", 22]]
        data["type"] = "VOLUME"
    entry = c.request("pool.dataset.create", data)
    assert entry["type"] == "VOLUME" and entry["mountpoint"] is None
    # 65536 blocks of 16K need 64 + 1 indirect blocks on top of the 7 metadnode levels: 72 blocks,
    # counted twice (metadata copies) at 128K each: 1073741824 + 72 * 2 * 131072.
    assert entry["refreservation"] == p10(1092616192, "1092616192", "1.02 GiB", "LOCAL")
    assert entry["usedbyrefreservation"]["parsed"] == 1092616192 - 57344
    assert entry["used"]["parsed"] == 1092616192
    assert entry["volblocksize"]["value"] == "16K"


@pytest.mark.sim_profiles("25.04")
def test_volume_needs_volsize_25_04(c):
    assert triples(c, "pool.dataset.create", {"name": "tank/v", "type": "VOLUME"}) == [
        ["pool_dataset_create.volsize", "This field is required for VOLUME", 22]]


@pytest.mark.sim_profiles("25.10")
def test_union_errors_report_both_branches(c):
    assert triples(c, "pool.dataset.create", {"name": "tank/v", "type": "VOLUME"}) == [
        ["data.PoolDatasetCreateFilesystem.type", "Input should be 'FILESYSTEM'", 22],
        ["data.PoolDatasetCreateVolume.volsize", "Field required", 22]]
    assert triples(c, "pool.dataset.create", {"name": "tank/v", "volsize": "10G"}) == [
        ["data.PoolDatasetCreateFilesystem.volsize", "Extra inputs are not permitted", 22],
        ["data.PoolDatasetCreateVolume.volsize", "Input should be a valid integer", 22]]


@pytest.mark.sim_profiles("26")
def test_create_is_discriminated_by_type_26(c):
    assert triples(c, "pool.dataset.create", {"name": "tank/v", "type": "VOLUME"}) == [
        ["data.VOLUME.volsize", "Field required", 22]]
    assert triples(c, "pool.dataset.create", {"name": "tank/v", "type": "VOLUME", "volsize": "10G"}) == [
        ["data.VOLUME.volsize", "Input should be a valid integer", 22]]
    msg = "Value error, Please provide a valid dataset name according to ZFS standards"
    assert triples(c, "pool.dataset.create", {"name": "tank/bad*name"}) == [["data.FILESYSTEM.name", msg, 22]]
    assert triples(c, "pool.dataset.create", {"name": "tank/vol", "volsize": GiB, "atime": "OFF"}) == [
        ["data.FILESYSTEM.volsize", "Extra inputs are not permitted", 22]]
    assert triples(c, "pool.dataset.create", {"name": "tank/vol", "type": "VOLUME", "volsize": GiB,
                                              "atime": "OFF"}) == [["data.VOLUME.atime", "Extra inputs are not permitted", 22]]


@pytest.mark.sim_profiles("26")
def test_encryption_options_26(c):
    too_few = {"passphrase": "long-enough-passphrase", "pbkdf2iters": 500000}
    assert triples(c, "pool.dataset.create", {"name": "tank/p", "encryption": True, "inherit_encryption": False,
                                              "encryption_options": too_few}) == [
        ["data.FILESYSTEM.encryption_options.pbkdf2iters", "Input should be greater than or equal to 1300000", 22]]
    assert triples(c, "pool.dataset.create", {"name": "tank/k", "encryption": True, "inherit_encryption": False,
                                              "encryption_options": {"generate_key": True,
                                                                     "algorithm": "AES-256-GCM"}}) == [
        ["data.FILESYSTEM.encryption_options.algorithm", "Extra inputs are not permitted", 22]]
    entry = c.request("pool.dataset.create", {"name": "tank/p", "encryption": True, "inherit_encryption": False,
                                              "encryption_options": {"passphrase": "long-enough-passphrase"}})
    assert entry["pbkdf2iters"]["parsed"] == 1300000
    assert entry["encryption_algorithm"]["value"] == "AES-256-GCM"


@pytest.mark.sim_profiles("25.10")
def test_invalid_zfs_name_fails_in_both_branches(c):
    msg = "Value error, Please provide a valid dataset name according to ZFS standards"
    assert triples(c, "pool.dataset.create", {"name": "tank/bad*name"}) == [
        ["data.PoolDatasetCreateFilesystem.name", msg, 22],
        ["data.PoolDatasetCreateVolume.name", msg, 22],
        ["data.PoolDatasetCreateVolume.volsize", "Field required", 22]]
    assert triples(c, "pool.dataset.create", {"name": "tank//x", "volsize": GiB}) == [
        ["data.PoolDatasetCreateFilesystem.name", msg, 22],
        ["data.PoolDatasetCreateFilesystem.volsize", "Extra inputs are not permitted", 22],
        ["data.PoolDatasetCreateVolume.name", msg, 22]]


@pytest.mark.sim_profiles("25.04")
def test_invalid_name_25_04(c):
    assert triples(c, "pool.dataset.create", {"name": "tank/bad*name"}) == [
        ["pool_dataset_create.name", "Invalid dataset name", 22]]
    assert triples(c, "pool.dataset.create", {"name": "tank/x", "compression": "lz4", "bogus": 1}) == [
        ["pool_dataset_create.compression", "Invalid choice: lz4", 22],
        ["pool_dataset_create.bogus", "Field was not expected", 22]]


# --- business rules (attribute prefix pool_dataset_create.) ---------------------------------------


def test_name_rules(c):
    assert triples(c, "pool.dataset.create", {"name": "tank"}) == [
        ["pool_dataset_create.name", "You need a full name, e.g. pool/newdataset", 22]]
    assert triples(c, "pool.dataset.create", {"name": "tank/trailing "}) == [
        ["pool_dataset_create.name", "Trailing spaces are not permitted in dataset names", 22]]


@pytest.mark.sim_profiles("25.10", "26")
def test_missing_parent_messages_25_10(c):
    assert triples(c, "pool.dataset.create", {"name": "nopool/x"}) == [
        ["pool_dataset_create.name", "zpool (nopool) does not exist.", 22]]
    assert triples(c, "pool.dataset.create", {"name": "tank/a/b"}) == [
        ["pool_dataset_create.name", "Parent dataset (tank/a) does not exist.", 22]]


@pytest.mark.sim_profiles("25.04")
def test_missing_parent_message_25_04(c):
    for name in ("nopool/x", "tank/a/b"):
        assert triples(c, "pool.dataset.create", {"name": name}) == [
            ["pool_dataset_create.name", "Parent dataset does not exist for specified name", 22]]


def test_create_ancestors(c):
    entry = c.request("pool.dataset.create", {"name": "tank/a/b/c", "create_ancestors": True, "atime": "OFF"})
    assert entry["atime"]["source"] == "LOCAL"
    ids = [r["id"] for r in c.request("pool.dataset.query", [["OR", [["id", "=", "tank/a"], ["id", "^", "tank/a/"]]]],
                                      {"select": ["id"]})]
    assert ids == ["tank/a", "tank/a/b", "tank/a/b/c"]
    assert c.request("pool.dataset.get_instance", "tank/a")["atime"]["source"] == "DEFAULT"
    assert triples(c, "pool.dataset.create", {"name": "nopool/a/b", "create_ancestors": True}) == [
        ["pool_dataset_create.name", "Please specify a pool which exists for the dataset/volume to be created", 22]]


def test_internal_parent_is_refused(sim, c):
    sim.run(lambda: storage.insert_record(sim.state, storage.new_record(sim.state, "tank/.system")))
    assert triples(c, "pool.dataset.create", {"name": "tank/.system/mine"}) == [
        ["pool_dataset_create.name",
         "'tank/.system/mine' is using system internal managed dataset. Please specify a different parent.", 22]]


def test_readonly_parent(c):
    c.request("pool.dataset.update", "tank/media", {"readonly": "ON"})
    assert triples(c, "pool.dataset.create", {"name": "tank/media/new"}) == [
        ["pool_dataset_create.readonly", "Turn off readonly mode on tank/media to create new", 22]]


def test_existing_path_is_the_duplicate_filesystem_case(c):
    assert triples(c, "pool.dataset.create", {"name": "tank/vms"}) == [
        ["pool_dataset_create.name", "Path /mnt/tank/vms already exists", 22]]
    assert triples(c, "pool.dataset.create", {"name": "tank/isos/ubuntu-24.04.iso"}) == [
        ["pool_dataset_create.name", "Path /mnt/tank/isos/ubuntu-24.04.iso already exists", 22]]


def test_duplicate_zvol_is_a_call_error(c):
    c.request("pool.dataset.create", {"name": "tank/vms/disk0", "type": "VOLUME", "volsize": GiB, "sparse": True})
    error = failure(c, "pool.dataset.create", {"name": "tank/vms/disk0", "type": "VOLUME", "volsize": GiB,
                                               "sparse": True})
    assert error["code"] == -32001
    assert (error["data"]["error"], error["data"]["errname"], error["data"]["reason"]) == (
        14, "EFAULT", "[EFAULT] Failed to create dataset: dataset already exists")


def test_parent_volume_and_locked_parent(sim, c):
    c.request("pool.dataset.create", {"name": "tank/vms/disk0", "type": "VOLUME", "volsize": GiB, "sparse": True})
    assert triples(c, "pool.dataset.create", {"name": "tank/vms/disk0/x"}) == [
        ["pool_dataset_create.name", "tank/vms/disk0: parent may not be a ZFS volume", 22]]
    c.request("pool.dataset.create", {"name": "tank/vault", "encryption": True, "inherit_encryption": False,
                                      "encryption_options": {"generate_key": True}})

    def lock():
        sim.state.data["datasets"]["tank/vault"]["encryption"]["key_loaded"] = False
    sim.run(lock)
    assert triples(c, "pool.dataset.create", {"name": "tank/vault/x"}) == [
        ["pool_dataset_create.name", "tank/vault must be unlocked to create tank/vault/x.", 22]]


@pytest.mark.sim_profiles("25.04")
def test_type_specific_keys_25_04(c):
    assert triples(c, "pool.dataset.create", {"name": "tank/fs", "volblocksize": "16K", "sparse": True}) == [
        ["pool_dataset_create.sparse", "This field is not valid for FILESYSTEM", 22],
        ["pool_dataset_create.volblocksize", "This field is not valid for FILESYSTEM", 22]]
    assert triples(c, "pool.dataset.create", {"name": "tank/vol", "type": "VOLUME", "volsize": GiB,
                                              "recordsize": "1M", "atime": "OFF"}) == [
        ["pool_dataset_create.atime", "This field is not valid for VOLUME", 22],
        ["pool_dataset_create.recordsize", "This field is not valid for VOLUME", 22]]


@pytest.mark.sim_profiles("25.10")
def test_type_specific_keys_are_caught_by_the_union_25_10(c):
    assert triples(c, "pool.dataset.create", {"name": "tank/vol", "volsize": GiB, "atime": "OFF"}) == [
        ["data.PoolDatasetCreateFilesystem.volsize", "Extra inputs are not permitted", 22],
        ["data.PoolDatasetCreateVolume.atime", "Extra inputs are not permitted", 22]]


def test_volume_size_rules(c):
    assert triples(c, "pool.dataset.create", {"name": "tank/vms/odd", "type": "VOLUME", "volsize": GiB + 512}) == [
        ["pool_dataset_create.volsize", "Volume size should be a multiple of volume block size", 22]]
    # backup (one 2 TB SSD) offers 1937884250112 bytes to backup/*: 80 % of it is 1550307400089.6.
    assert c.request("pool.dataset.get_instance", "backup")["available"]["parsed"] == 1937884250112
    too_big = 1550307409920  # the first 16K multiple above 80 %
    assert triples(c, "pool.dataset.create", {"name": "backup/big", "type": "VOLUME", "volsize": too_big,
                                              "sparse": True}) == [
        ["pool_dataset_create.volsize", "It is not recommended to use more than 80% of your available space for VOLUME",
         22]]
    fits = too_big - 16384
    assert c.request("pool.dataset.create", {"name": "backup/big", "type": "VOLUME", "volsize": fits,
                                             "sparse": True})["volsize"]["parsed"] == fits


def test_force_size_and_finite_pool_space(c):
    whole = 1937884250112 // 16384 * 16384
    error = failure(c, "pool.dataset.create", {"name": "backup/huge", "type": "VOLUME", "volsize": whole,
                                               "force_size": True})
    assert error["code"] == -32001 and error["data"]["reason"] == "[EFAULT] Failed to create dataset: out of space"
    entry = c.request("pool.dataset.create", {"name": "backup/huge", "type": "VOLUME", "volsize": whole,
                                              "force_size": True, "sparse": True})
    assert entry["refreservation"]["parsed"] is None
    half = 900 * GiB
    c.request("pool.dataset.create", {"name": "backup/thick", "type": "VOLUME", "volsize": half})
    root = c.request("pool.dataset.get_instance", "backup", {"extra": {"retrieve_children": False}})
    thick = c.request("pool.dataset.get_instance", "backup/thick")
    assert root["used"]["parsed"] + root["available"]["parsed"] == 1937884348416
    assert root["usedbychildren"]["parsed"] == thick["used"]["parsed"] + entry["used"]["parsed"]
    assert thick["refreservation"]["parsed"] > half
    assert triples(c, "pool.dataset.create", {"name": "backup/more", "type": "VOLUME", "volsize": 900 * GiB}) == [
        ["pool_dataset_create.volsize", "It is not recommended to use more than 80% of your available space for VOLUME",
         22]]


def test_recordsize_small_blocks_and_acl_rules(c):
    assert triples(c, "pool.dataset.create", {"name": "tank/x", "recordsize": "3K"}) == [
        ["pool_dataset_create.recordsize", "'3K' is an invalid recordsize.", 22]]
    assert triples(c, "pool.dataset.create", {"name": "tank/x", "special_small_block_size": 3000}) == [
        ["pool_dataset_create.special_small_block_size", "This field must be zero or a power of 2 from 512B to 1M", 22]]
    assert triples(c, "pool.dataset.create", {"name": "tank/x", "acltype": "POSIX", "aclmode": "PASSTHROUGH"}) == [
        ["pool_dataset_create.aclmode", "Must be set to DISCARD when acltype is POSIX or OFF", 22]]
    assert triples(c, "pool.dataset.create", {"name": "tank/x", "acltype": "NFSV4", "aclmode": "DISCARD"}) == [
        ["pool_dataset_create.aclmode", "DISCARD aclmode may not be set for NFSv4 acl type", 22]]
    assert triples(c, "pool.dataset.create", {"name": "tank/x", "aclmode": "RESTRICTED"}) == [
        ["pool_dataset_create.aclmode", "Must be set to DISCARD when acltype is POSIX or OFF", 22]]
    entry = c.request("pool.dataset.create", {"name": "tank/x", "acltype": "NFSV4", "recordsize": "1M",
                                              "special_small_block_size": 65536})
    assert (entry["acltype"]["value"], entry["acltype"]["source"]) == ("NFSV4", "LOCAL")
    assert (entry["aclmode"]["value"], entry["aclmode"]["source"]) == ("PASSTHROUGH", "LOCAL")
    assert entry["recordsize"]["parsed"] == 1048576
    assert entry["special_small_block_size"]["parsed"] == 65536


def test_several_errors_are_reported_together(c):
    assert triples(c, "pool.dataset.create", {"name": "tank/vms", "recordsize": "3K", "acltype": "OFF",
                                              "aclmode": "RESTRICTED"}) == [
        ["pool_dataset_create.name", "Path /mnt/tank/vms already exists", 22],
        ["pool_dataset_create.recordsize", "'3K' is an invalid recordsize.", 22],
        ["pool_dataset_create.aclmode", "Must be set to DISCARD when acltype is POSIX or OFF", 22]]


def test_share_type_side_effects(c):
    smb = c.request("pool.dataset.create", {"name": "tank/smb", "share_type": "SMB"})
    assert [smb[k]["value"] for k in ("casesensitivity", "acltype", "aclmode")] == ["INSENSITIVE", "NFSV4", "RESTRICTED"]
    apps = c.request("pool.dataset.create", {"name": "tank/apps/db", "share_type": "APPS"})
    assert [apps[k]["value"] for k in ("casesensitivity", "atime", "acltype", "aclmode")] == [
        "SENSITIVE", "OFF", "NFSV4", "PASSTHROUGH"]
    child = c.request("pool.dataset.create", {"name": "tank/smb/inner"})
    assert (child["casesensitivity"]["value"], child["casesensitivity"]["source"]) == ("INSENSITIVE", "NONE")
    assert child["aclmode"] == {**child["aclmode"], "value": "RESTRICTED", "source": "INHERITED"}


# --- encryption -------------------------------------------------------------------------------------


def test_encryption_rules(c):
    assert triples(c, "pool.dataset.create", {"name": "tank/enc", "encryption": True,
                                              "encryption_options": {"passphrase": "long enough"}}) == [
        ["pool_dataset_create.inherit_encryption", "Must be disabled when encryption is enabled.", 22]]
    c.request("pool.dataset.create", {"name": "tank/enc", "encryption": True, "inherit_encryption": False,
                                      "encryption_options": {"passphrase": "long enough"}})
    assert triples(c, "pool.dataset.create", {"name": "tank/enc/plain", "inherit_encryption": False}) == [
        ["pool_dataset_create.encryption", "Cannot create an unencrypted dataset within an encrypted dataset (tank/enc).",
         22]]
    assert triples(c, "pool.dataset.create", {"name": "tank/enc/keyed", "encryption": True,
                                              "inherit_encryption": False,
                                              "encryption_options": {"generate_key": True}}) == [
        ["pool_dataset_create.encryption", "Passphrase encrypted datasets cannot have children encrypted with a key.",
         22]]
    inherited = c.request("pool.dataset.create", {"name": "tank/enc/child"})
    assert (inherited["encrypted"], inherited["encryption_root"], inherited["key_format"]["value"]) == (
        True, "tank/enc", "PASSPHRASE")


def test_secrets_never_come_back(sim, c):
    c.request("core.subscribe", "pool.dataset.query")
    passphrase = "s3cret-Passphrase-value"
    key = "ab" * 32
    iters = 1300000 if sim.profile.at_least("26") else 500000
    keyed_options = {"key": key} if sim.profile.at_least("26") else {"key": key, "algorithm": "AES-128-CCM"}
    entry = c.request("pool.dataset.create", {"name": "tank/p", "encryption": True, "inherit_encryption": False,
                                              "encryption_options": {"passphrase": passphrase, "pbkdf2iters": iters}})
    keyed = c.request("pool.dataset.create", {"name": "tank/k", "encryption": True, "inherit_encryption": False,
                                              "encryption_options": keyed_options})
    assert entry["pbkdf2iters"]["parsed"] == iters
    algorithm = "AES-256-GCM" if sim.profile.at_least("26") else "AES-128-CCM"
    assert keyed["encryption_algorithm"]["value"] == algorithm and keyed["key_format"]["value"] == "HEX"
    c.wait_event(lambda e: e.get("params", {}).get("id") == "tank/k")
    seen = repr([entry, keyed, c.events, sim.state_dump(), sim.calls("pool.dataset.create")])
    assert passphrase not in seen and key not in seen


# --- dRAID pools ------------------------------------------------------------------------------------


def test_draid_block_sizes(sim_factory, sim_client):
    seed = copy.deepcopy(SEED)
    seed["disks"] += [{"name": "sd%s" % x, "size": 2 * 10 ** 12} for x in "ghijk"]
    draid = {"type": "DRAID1", "disks": ["sdg", "sdh", "sdi", "sdj", "sdk"]}
    seed["pools"].append({"name": "wide", "topology": {"data": [draid]}})
    server = sim_factory("25.10", tls=False, seed=seed)
    c = sim_client(server, login=True)
    assert triples(c, "pool.dataset.create", {"name": "wide/v", "volsize": GiB, "volblocksize": "16K"}) == [
        ["pool_dataset_create.volblocksize", "Volume block size must be greater than or equal to 32K for dRAID pools",
         22]]
    entry = c.request("pool.dataset.create", {"name": "wide/v", "volsize": GiB})
    assert entry["volblocksize"]["value"] == "128K"
    assert c.request("pool.dataset.recommended_zvol_blocksize", "wide") == "128K"
    assert c.request("pool.dataset.recordsize_choices", "wide") == ["128K", "256K", "512K", "1M", "2M", "4M", "8M", "16M"]


def test_sizes_zfs_refuses(c):
    for data, reason in (
            ({"name": "tank/z", "type": "VOLUME", "volsize": 0}, "volume size cannot be zero"),
            ({"name": "tank/z", "refreservation": -16384}, "bad numeric value '-16384'")):
        error = failure(c, "pool.dataset.create", data)
        assert (error["code"], error["data"]["reason"]) == (-32001, "[EFAULT] Failed to create dataset: " + reason)
    assert c.request("pool.dataset.query", [["id", "=", "tank/z"]]) == []


def test_out_of_space_creates_no_ancestors(c):
    error = failure(c, "pool.dataset.create", {"name": "backup/a/b/vol", "type": "VOLUME", "volsize": 4 * 1024 * GiB,
                                               "create_ancestors": True, "force_size": True})
    assert error["data"]["reason"] == "[EFAULT] Failed to create dataset: out of space"
    assert c.request("pool.dataset.query", [["pool", "=", "backup"]], {"select": ["id"]}) == [{"id": "backup"}]
