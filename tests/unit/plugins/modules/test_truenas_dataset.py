# Copyright (c) nasops contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""truenas_dataset through the fake client: the calls it makes, idempotence, check and diff mode,
version differences and every kind of bad input."""

import json

import pytest

from ansible_collections.nasops.truenas.plugins.module_utils._errors import TrueNASError, TrueNASValidationError
from ansible_collections.nasops.truenas.plugins.module_utils._resources.dataset import QUERY_PROPERTIES
from ansible_collections.nasops.truenas.plugins.modules import truenas_dataset

from tests.unit.plugins.module_utils._resources.test_dataset import GiB, DatasetServer, dataset_record

MAIN = truenas_dataset.main
PASSPHRASE = "correct-horse-battery"


def seed(modern=True):
    return [
        dataset_record("tank", props={"compression": "LZ4", "acltype": "POSIX", "aclmode": "DISCARD"}, modern=modern),
        dataset_record("tank/apps", comments="Applications", modern=modern),
        dataset_record("tank/apps/db", props={"compression": "ZSTD", "quota": 20 * GiB}, user={"org.example:owner": "dba"},
                       modern=modern),
        dataset_record("tank/vm", "VOLUME", modern=modern),
        dataset_record("backup", modern=modern),
    ]


@pytest.fixture
def nas(fake_client):
    DatasetServer(fake_client, seed())
    return fake_client


@pytest.fixture
def old_nas(fake_client):
    fake_client.set_version("25.04.2")
    DatasetServer(fake_client, seed(modern=False), modern=False)
    return fake_client


def reads(client):
    return [c for c in client.calls if c.method == "pool.dataset.query"]


# ---- create ---------------------------------------------------------------------------------------


def test_create_filesystem(run_module, nas):
    result = run_module(MAIN, {
        "name": "tank/apps/web", "compression": "zstd", "atime": False, "quota": "10G", "recordsize": "1M",
        "comments": "Web", "user_properties": {"org.example:owner": "web", "org.example:gone": None},
        "sync": "Always", "copies": 2,
    })
    assert result["changed"] is True
    assert nas.methods == ["pool.dataset.query", "pool.dataset.query", "pool.dataset.create", "pool.dataset.query"]
    assert nas.calls[1].params[0] == [["id", "in", ["tank", "tank/apps"]]]
    assert nas.calls_to("pool.dataset.create")[0].params == [{
        "name": "tank/apps/web", "type": "FILESYSTEM", "compression": "ZSTD", "atime": "OFF", "quota": 10 * GiB,
        "recordsize": "1M", "comments": "Web", "sync": "ALWAYS", "copies": 2,
        "user_properties": [{"key": "org.example:owner", "value": "web"}],
    }]
    dataset = result["dataset"]
    assert dataset["name"] == "tank/apps/web"
    assert (dataset["compression"], dataset["atime"], dataset["quota"], dataset["recordsize"]) == ("ZSTD", False, 10 * GiB, 1048576)
    assert dataset["comments"] == "Web"
    assert dataset["user_properties"] == {"org.example:owner": "web"}
    assert dataset["source"]["compression"] == "LOCAL"
    assert result.get("warnings") in (None, [])


def test_create_volume_rounds_the_size_up_to_the_recommended_block_size(run_module, nas):
    result = run_module(MAIN, {"name": "tank/disk0", "volsize": 10000000, "sparse": True})
    assert result["changed"] is True
    assert nas.calls_to("pool.dataset.recommended_zvol_blocksize")[0].params == ["tank"]
    assert nas.calls_to("pool.dataset.create")[0].params == [{
        "name": "tank/disk0", "type": "VOLUME", "volsize": 10010624, "volblocksize": "16K", "sparse": True}]
    assert result["dataset"]["volsize"] == 10010624
    assert result["dataset"]["sparse"] is True


def test_create_volume_with_its_own_block_size(run_module, nas):
    result = run_module(MAIN, {"name": "tank/disk1", "type": "ZVOL", "volsize": "1000K", "volblocksize": "64K"})
    assert result["changed"] is True
    assert "pool.dataset.recommended_zvol_blocksize" not in nas.methods
    assert nas.calls_to("pool.dataset.create")[0].params[0]["volsize"] == 1048576
    assert nas.calls_to("pool.dataset.create")[0].params[0]["volblocksize"] == "64K"


def test_create_with_ancestors(run_module, nas):
    result = run_module(MAIN, {"name": "tank/new/deep/leaf", "create_ancestors": True})
    assert result["changed"] is True
    assert nas.calls_to("pool.dataset.create")[0].params == [
        {"name": "tank/new/deep/leaf", "type": "FILESYSTEM", "create_ancestors": True}]


def test_create_inherit_is_not_sent(run_module, nas):
    result = run_module(MAIN, {"name": "tank/plain", "compression": "inherit", "atime": "inherit"})
    assert result["changed"] is True
    assert nas.calls_to("pool.dataset.create")[0].params == [{"name": "tank/plain", "type": "FILESYSTEM"}]
    assert result["dataset"]["compression"] == "LZ4"
    assert result.get("warnings") in (None, [])


def test_create_encrypted_dataset_keeps_the_passphrase_secret(run_module, nas, capsys):
    args = {"name": "tank/secret", "encryption": True,
            "encryption_options": {"passphrase": PASSPHRASE, "algorithm": "aes-256-gcm"}}
    result = run_module(MAIN, args, diff=True)
    assert result["changed"] is True
    assert nas.calls_to("pool.dataset.create")[0].params == [{
        "name": "tank/secret", "type": "FILESYSTEM", "encryption": True, "inherit_encryption": False,
        "encryption_options": {"passphrase": PASSPHRASE, "algorithm": "AES-256-GCM"}}]
    assert result["dataset"]["encryption"] is True
    assert result["dataset"]["encryption_options"] == {"algorithm": "AES-256-GCM", "pbkdf2iters": 350000}
    assert result["diff"]["after"]["encryption_options"] == "********"
    assert PASSPHRASE not in json.dumps(result)
    nas.calls.clear()
    again = run_module(MAIN, args)
    assert again["changed"] is False
    assert nas.methods == ["pool.dataset.query"]


def test_check_mode_create_predicts_and_masks(run_module, nas):
    args = {"name": "tank/secret", "encryption": True, "encryption_options": {"passphrase": PASSPHRASE},
            "quota": "2G"}
    result = run_module(MAIN, args, check_mode=True, diff=True)
    assert result["changed"] is True
    assert [c.method for c in nas.mutations] == []
    assert result["dataset"] == {"name": "tank/secret", "type": "FILESYSTEM", "quota": 2 * GiB, "encryption": True,
                                 "encryption_options": {"passphrase": "********"}}
    assert result["diff"]["before"] == {}
    assert result["diff"]["after"]["quota"] == 2 * GiB
    assert PASSPHRASE not in json.dumps(result)


def test_encryption_without_a_key_source_fails_before_creating(run_module, nas):
    result = run_module(MAIN, {"name": "tank/secret", "encryption": True})
    assert result["failed"] is True
    assert result["msg"] == ("Failed to create dataset 'tank/secret': encryption_options: a new encrypted dataset needs a "
                             "passphrase, a key or generate_key: true")
    nas.assert_no_mutation()


# ---- idempotence and updates ----------------------------------------------------------------------


def test_unchanged_run_costs_one_query(run_module, nas):
    result = run_module(MAIN, {"name": "tank/apps/db", "compression": "zstd", "quota": "20GiB",
                               "user_properties": {"org.example:owner": "dba"}})
    assert result["changed"] is False
    assert nas.methods == ["pool.dataset.query"]
    filters, options = nas.calls[0].params
    assert filters == [["id", "=", "tank/apps/db"]]
    assert options["extra"] == {"retrieve_children": False, "properties": list(QUERY_PROPERTIES),
                                "retrieve_user_props": True}


def test_inherited_value_equal_to_the_request_is_no_change(run_module, nas):
    result = run_module(MAIN, {"name": "tank/apps", "compression": "lz4", "acltype": "posix", "comments": "Applications"})
    assert result["changed"] is False
    assert result["dataset"]["source"]["compression"] == "INHERITED"
    nas.assert_no_mutation()


def test_inherit_of_a_local_value_is_a_change(run_module, nas):
    result = run_module(MAIN, {"name": "tank/apps/db", "compression": "inherit"}, diff=True)
    assert result["changed"] is True
    assert nas.calls_to("pool.dataset.update")[0].params == ["tank/apps/db", {"compression": "INHERIT"}]
    assert result["dataset"]["compression"] == "LZ4"
    assert result["dataset"]["source"]["compression"] == "INHERITED"
    assert result["diff"]["before"]["compression"] == "ZSTD"
    assert result["diff"]["after"]["compression"] == "LZ4"
    assert result.get("warnings") in (None, [])
    nas.calls.clear()
    again = run_module(MAIN, {"name": "tank/apps/db", "compression": "inherit"})
    assert again["changed"] is False
    assert nas.methods == ["pool.dataset.query"]


def test_update_several_properties(run_module, nas):
    result = run_module(MAIN, {
        "name": "tank/apps/db", "atime": "off", "quota": 0, "readonly": True, "checksum": "sha256",
        "user_properties": {"org.example:owner": None, "org.example:tier": "gold", "org.example:absent": None},
        "comments": "Database",
    })
    assert result["changed"] is True
    assert nas.calls_to("pool.dataset.update")[0].params == ["tank/apps/db", {
        "atime": "OFF", "quota": 0, "readonly": "ON", "checksum": "SHA256", "comments": "Database",
        "user_properties_update": [{"key": "org.example:owner", "remove": True},
                                   {"key": "org.example:tier", "value": "gold"}],
    }]
    dataset = result["dataset"]
    assert (dataset["atime"], dataset["quota"], dataset["readonly"], dataset["checksum"]) == (False, 0, True, "SHA256")
    assert dataset["user_properties"] == {"org.example:tier": "gold"}
    assert dataset["comments"] == "Database"


def test_check_mode_update_makes_no_change(run_module, nas):
    result = run_module(MAIN, {"name": "tank/apps/db", "quota": "30G", "compression": "lz4"}, check_mode=True, diff=True)
    assert result["changed"] is True
    nas.assert_no_mutation()
    assert nas.methods == ["pool.dataset.query"]
    assert result["dataset"]["quota"] == 30 * GiB
    assert result["diff"]["before"]["quota"] == 20 * GiB
    assert result["diff"]["after"]["quota"] == 30 * GiB
    assert result["diff"]["after"]["compression"] == "LZ4"


def test_grow_a_volume(run_module, nas):
    result = run_module(MAIN, {"name": "tank/vm", "volsize": "20G"})
    assert result["changed"] is True
    assert nas.calls_to("pool.dataset.update")[0].params == ["tank/vm", {"volsize": 20 * GiB}]
    assert "pool.dataset.recommended_zvol_blocksize" not in nas.methods


def test_volume_size_is_rounded_to_its_block_size_before_comparing(run_module, nas):
    result = run_module(MAIN, {"name": "tank/vm", "volsize": 10 * GiB - 100})
    assert result["changed"] is False
    nas.assert_no_mutation()


def test_comments_on_25_04_are_top_level(run_module, old_nas):
    result = run_module(MAIN, {"name": "tank/apps", "comments": "Applications"})
    assert result["changed"] is False
    assert "comments" in old_nas.calls[0].params[1]["extra"]["properties"]
    changed = run_module(MAIN, {"name": "tank/apps", "comments": "Apps"})
    assert changed["changed"] is True
    assert old_nas.calls_to("pool.dataset.update")[0].params == ["tank/apps", {"comments": "Apps"}]
    assert changed["dataset"]["comments"] == "Apps"


# ---- delete ---------------------------------------------------------------------------------------


def test_delete(run_module, nas):
    result = run_module(MAIN, {"name": "tank/vm", "state": "absent", "force": True}, diff=True)
    assert result["changed"] is True
    assert result["dataset"] == {}
    assert nas.calls_to("pool.dataset.delete")[0].params == ["tank/vm", {"recursive": False, "force": True}]
    assert result["diff"]["after"] == {}
    assert result["diff"]["before"]["name"] == "tank/vm"


def test_delete_with_children_needs_recursive(run_module, nas):
    result = run_module(MAIN, {"name": "tank/apps", "state": "absent"})
    assert result["failed"] is True
    assert result["msg"] == ("Failed to delete dataset 'tank/apps': recursive: dataset 'tank/apps' has child datasets "
                             "(tank/apps/db); set recursive: true to delete them with it")
    nas.assert_no_mutation()
    result = run_module(MAIN, {"name": "tank/apps", "state": "absent", "recursive": True})
    assert result["changed"] is True
    assert nas.calls_to("pool.dataset.delete")[0].params == ["tank/apps", {"recursive": True, "force": False}]


def test_delete_with_snapshots_needs_recursive(run_module, fake_client):
    DatasetServer(fake_client, seed(), snapshot_counts={"tank/vm": 2})
    result = run_module(MAIN, {"name": "tank/vm", "state": "absent"}, check_mode=True)
    assert result["failed"] is True
    assert result["msg"].endswith("recursive: dataset 'tank/vm' has 2 snapshots; set recursive: true to delete them with it")
    assert fake_client.calls[0].params[1]["extra"]["snapshots_count"] is True


def test_delete_missing_is_no_change(run_module, nas):
    result = run_module(MAIN, {"name": "tank/none", "state": "absent"})
    assert result["changed"] is False
    assert nas.methods == ["pool.dataset.query"]


def test_delete_a_pool_root_is_refused(run_module, nas):
    result = run_module(MAIN, {"name": "backup", "state": "absent", "recursive": True})
    assert result["failed"] is True
    assert result["msg"] == "Failed to delete dataset 'backup': name: 'backup' is the root dataset of pool 'backup' and cannot be deleted"
    nas.assert_no_mutation()


def test_check_mode_delete(run_module, nas):
    result = run_module(MAIN, {"name": "tank/vm", "state": "absent"}, check_mode=True)
    assert result["changed"] is True
    nas.assert_no_mutation()


# ---- bad input --------------------------------------------------------------------------------------


@pytest.mark.parametrize("args, message", [
    ({"volsize": "ten gigs"}, "volsize: 'ten gigs' is not a valid size"),
    ({"quota": "5Q"}, "quota: '5Q' is not a valid size"),
    ({"compression": "lz5"}, "compression: 'lz5' is not a valid choice; use one of on, off, lz4"),
    ({"sync": "sometimes"}, "sync: 'sometimes' is not a valid choice; use one of standard, always, disabled, inherit"),
    ({"type": "block"}, "type: 'block' is not a valid choice; use one of filesystem, volume"),
    ({"recordsize": "100K"}, "recordsize: '100K' is not a valid record size"),
    ({"atime": "sometimes"}, "atime: expected true, false or inherit, got 'sometimes'"),
    ({"user_properties": {"nocolon": "x"}}, "user_properties: 'nocolon' is not a user property name"),
    ({"volsize": "1G", "atime": False}, "atime: only applies to filesystems, and volsize makes this a volume"),
    ({"type": "filesystem", "volsize": "1G"}, "volsize: only applies to volumes (zvols), and type is filesystem"),
    ({"name": "tank//x"}, "name: 'tank//x' is not a dataset name"),
])
def test_bad_values_fail_before_any_call(run_module, nas, args, message):
    params = {"name": "tank/apps/new"}
    params.update(args)
    result = run_module(MAIN, params)
    assert result["failed"] is True
    assert result["msg"].startswith(message)
    assert nas.calls == []


def test_missing_parent_without_create_ancestors(run_module, nas):
    result = run_module(MAIN, {"name": "tank/nope/x"})
    assert result["failed"] is True
    assert result["msg"] == ("Failed to create dataset 'tank/nope/x': name: parent dataset 'tank/nope' does not exist; "
                             "set create_ancestors: true to create it")
    nas.assert_no_mutation()


def test_unknown_pool(run_module, nas):
    result = run_module(MAIN, {"name": "nopool/x", "create_ancestors": True}, check_mode=True)
    assert result["failed"] is True
    assert result["msg"] == "Failed to create dataset 'nopool/x': name: pool 'nopool' does not exist"
    nas.assert_no_mutation()


def test_parent_is_a_volume(run_module, nas):
    result = run_module(MAIN, {"name": "tank/vm/x"})
    assert result["msg"] == "Failed to create dataset 'tank/vm/x': name: 'tank/vm' is a volume and cannot hold datasets"


def test_new_dataset_needs_a_full_name(run_module, nas):
    result = run_module(MAIN, {"name": "newpool"})
    assert result["msg"] == ("Failed to create dataset 'newpool': name: dataset 'newpool' does not exist; a new dataset "
                             "needs a full name such as newpool/data")


def test_volume_needs_a_size(run_module, nas):
    result = run_module(MAIN, {"name": "tank/v", "type": "volume"})
    assert result["msg"] == "Failed to create dataset 'tank/v': volsize: is required to create a volume"


def test_volsize_on_an_existing_filesystem(run_module, nas):
    result = run_module(MAIN, {"name": "tank/apps", "volsize": "1G"})
    assert result["failed"] is True
    assert result["msg"] == ("Failed to update dataset 'tank/apps': volsize: only applies to volumes (zvols), and "
                             "'tank/apps' is a filesystem")
    nas.assert_no_mutation()


def test_filesystem_option_on_an_existing_volume(run_module, nas):
    result = run_module(MAIN, {"name": "tank/vm", "recordsize": "128K"})
    assert result["msg"] == "Failed to update dataset 'tank/vm': recordsize: only applies to filesystems, and 'tank/vm' is a volume"


def test_shrinking_a_volume_is_refused(run_module, nas):
    result = run_module(MAIN, {"name": "tank/vm", "volsize": "5G"})
    assert result["failed"] is True
    assert result["msg"] == ("Failed to update dataset 'tank/vm': volsize: cannot shrink volume 'tank/vm' from 10 GiB to "
                             "5 GiB; TrueNAS only grows volumes")
    nas.assert_no_mutation()


@pytest.mark.parametrize("args, option, detail", [
    ({"name": "tank/apps", "casesensitivity": "insensitive"}, "casesensitivity", "current 'SENSITIVE', requested 'INSENSITIVE'"),
    ({"name": "tank/vm", "volblocksize": "64K"}, "volblocksize", "current 16384, requested 65536"),
    ({"name": "tank/apps", "type": "volume", "volsize": "1G"}, "type", "current 'FILESYSTEM', requested 'VOLUME'"),
    ({"name": "tank/vm", "sparse": True}, "sparse", "current False, requested True"),
])
def test_create_only_differences_are_errors(run_module, nas, args, option, detail):
    result = run_module(MAIN, args)
    assert result["failed"] is True
    assert result["msg"] == ("%s: cannot be changed on the existing dataset '%s' (%s); it can only be set when the "
                             "dataset is created" % (option, args["name"], detail))
    nas.assert_no_mutation()


def test_changing_the_encryption_of_an_existing_dataset_never_shows_the_secret(run_module, fake_client):
    encryption = {"root": "tank/secret", "algorithm": "AES-256-GCM", "key_format": "PASSPHRASE", "pbkdf2iters": 350000}
    records = seed() + [dataset_record("tank/secret", encryption=encryption)]
    DatasetServer(fake_client, records)
    result = run_module(MAIN, {"name": "tank/secret", "encryption": True,
                               "encryption_options": {"passphrase": PASSPHRASE, "algorithm": "AES-128-GCM"}})
    assert result["failed"] is True
    assert result["msg"] == ("encryption_options: cannot be changed on the existing dataset 'tank/secret' (current "
                             "********, requested ********); it can only be set when the dataset is created")
    assert PASSPHRASE not in json.dumps(result)
    fake_client.assert_no_mutation()


def test_server_validation_error_names_the_option(run_module, nas):
    nas.respond("pool.dataset.create", TrueNASValidationError(
        "pool.dataset.create: [EINVAL] pool_dataset_create.volsize: It is not recommended to use more than 80% of "
        "your available space for VOLUME", method="pool.dataset.create",
        errors=[("pool_dataset_create.volsize", "It is not recommended to use more than 80% of your available space "
                 "for VOLUME", 22)]))
    result = run_module(MAIN, {"name": "tank/huge", "volsize": "100T"})
    assert result["failed"] is True
    assert result["changed"] is False
    assert result["msg"] == ("Failed to create dataset 'tank/huge': volsize: It is not recommended to use more than 80% "
                             "of your available space for VOLUME")
    assert result["error"]["errors"][0]["option"] == "volsize"


def test_server_error_while_deleting(run_module, nas):
    nas.respond("pool.dataset.delete", TrueNASError(
        "pool.dataset.delete: [EBUSY] Failed to delete dataset: cannot destroy 'tank/vm': dataset is busy",
        method="pool.dataset.delete", errno=16, errname="EBUSY"))
    result = run_module(MAIN, {"name": "tank/vm", "state": "absent"})
    assert result["failed"] is True
    assert result["msg"] == ("Failed to delete dataset 'tank/vm': [EBUSY] Failed to delete dataset: cannot destroy "
                             "'tank/vm': dataset is busy")
