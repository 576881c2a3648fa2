# Copyright (c) nasops contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The dataset descriptor: option parsers, normalisation of 25.04 and 25.10 records, comparators.

Also home of ``dataset_record`` (a ``pool.dataset.query`` entry shaped like TrueNAS sends it) and
``DatasetServer`` (stateful pool.dataset.* answers for the fake client), used by the module tests.
"""

import copy
import datetime

import pytest

from ansible_collections.nasops.truenas.plugins.module_utils._compare import OptionError
from ansible_collections.nasops.truenas.plugins.module_utils._errors import TrueNASError
from ansible_collections.nasops.truenas.plugins.module_utils._resources import dataset as ds
from ansible_collections.nasops.truenas.plugins.module_utils._resources.dataset import DatasetResource
from ansible_collections.nasops.truenas.plugins.module_utils._versions import Capabilities

GiB = 1024 ** 3
CREATED = datetime.datetime(2025, 10, 1, 12, 0, tzinfo=datetime.timezone.utc)

ENUMS = ("compression", "sync", "snapdir", "deduplication", "casesensitivity", "acltype", "aclmode")
ON_OFF = ("atime", "exec", "readonly", "checksum")
SIZES = ("used", "available", "usedbydataset", "usedbysnapshots", "usedbychildren", "volsize")
LIMITS = ("quota", "refquota", "reservation", "refreservation")
BLOCKS = ("recordsize", "volblocksize")
FILESYSTEM_ONLY = ("atime", "recordsize", "quota", "refquota", "casesensitivity", "acltype", "aclmode")

DEFAULTS = {
    "compression": ("LZ4", "INHERITED"), "atime": ("ON", "DEFAULT"), "exec": ("ON", "DEFAULT"),
    "readonly": ("OFF", "DEFAULT"), "recordsize": (131072, "DEFAULT"), "sync": ("STANDARD", "DEFAULT"),
    "snapdir": ("HIDDEN", "DEFAULT"), "copies": (1, "DEFAULT"), "deduplication": ("OFF", "DEFAULT"),
    "checksum": ("ON", "DEFAULT"), "quota": (0, "DEFAULT"), "refquota": (0, "DEFAULT"), "reservation": (0, "DEFAULT"),
    "refreservation": (0, "DEFAULT"), "casesensitivity": ("SENSITIVE", "NONE"), "acltype": ("POSIX", "INHERITED"),
    "aclmode": ("DISCARD", "INHERITED"), "used": (98304, "NONE"), "available": (500 * GiB, "NONE"),
    "usedbydataset": (98304, "NONE"), "usedbysnapshots": (0, "NONE"), "usedbychildren": (0, "NONE"),
}


def _human(size, modern):
    if modern:
        return "%d bytes" % size if size < 1024 else "%g KiB" % (size / 1024.0)
    return "%dB" % size if size < 1024 else "%gK" % (size / 1024.0)


def _block_text(size):
    return "%dK" % (size // 1024) if size < 1024 ** 2 else "%dM" % (size // 1024 ** 2)


def prop(option, value, source="LOCAL", modern=True):
    """A TrueNAS property dict for ``option`` holding ``value`` (API vocabulary)."""
    out = {"source": source}
    if option in ENUMS:
        out.update(parsed=value.lower(), rawvalue=value.lower(), value=value)
    elif option in ON_OFF:
        out.update(parsed=value == "ON" if value in ("ON", "OFF") else None, rawvalue=value.lower(), value=value)
    elif option in SIZES:
        out.update(parsed=value, rawvalue=str(value), value=_human(value, modern))
    elif option in LIMITS:
        if value:
            out.update(parsed=value, rawvalue=str(value), value=_human(value, modern))
        else:
            out.update(parsed=None, rawvalue="0", value=None if modern else "none")
    elif option in BLOCKS:
        out.update(parsed=value, rawvalue=str(value), value=_block_text(value))
    elif option == "copies":
        out.update(parsed=value, rawvalue=str(value), value=str(value))
    else:
        out.update(parsed=value, rawvalue=str(value), value=value)
    if modern:
        out["source_info"] = None
    return out


def dataset_record(name, dtype="FILESYSTEM", props=None, comments=None, user=None, modern=True, encryption=None,
                   snapshot_count=None):
    """A ``pool.dataset.query`` entry as TrueNAS 25.10 (``modern``) or 25.04 sends it.

    ``props``: option -> value (LOCAL) or (value, source); ``user``: user property -> value or
    (value, source); ``encryption``: None, or {"root", "algorithm", "key_format", "pbkdf2iters"}.
    """
    values = dict(DEFAULTS)
    if dtype == "VOLUME":
        for option in FILESYSTEM_ONLY:
            values.pop(option)
        values.update(volsize=(10 * GiB, "LOCAL"), volblocksize=(16384, "NONE"), refreservation=(10 * GiB + 1048576, "LOCAL"))
    for option, value in (props or {}).items():
        values[option] = value if isinstance(value, tuple) else (value, "LOCAL")
    record = {"id": name, "name": name, "pool": name.split("/")[0], "type": dtype,
              "mountpoint": "/mnt/" + name if dtype == "FILESYSTEM" else None, "children": []}
    enc = encryption or {}
    record.update(encrypted=bool(encryption), encryption_root=enc.get("root"), key_loaded=bool(encryption),
                  locked=False)
    for option, (value, source) in values.items():
        record[option] = prop(option, value, source, modern)
    record["creation"] = {"parsed": CREATED, "rawvalue": "1759320000", "value": "Wed Oct  1 12:00 2025", "source": "NONE"}
    record["origin"] = {"parsed": "", "rawvalue": "", "value": "", "source": "NONE"}
    record["encryption_algorithm"] = {"parsed": (enc.get("algorithm") or "off").lower(), "rawvalue": "",
                                      "value": enc.get("algorithm"), "source": "NONE"}
    record["key_format"] = {"parsed": "", "rawvalue": "", "value": enc.get("key_format"), "source": "NONE"}
    iters = enc.get("pbkdf2iters", 0)
    record["pbkdf2iters"] = {"parsed": iters, "rawvalue": str(iters), "value": str(iters), "source": "NONE"}
    user_props = {}
    for key, value in (user or {}).items():
        value, source = value if isinstance(value, tuple) else (value, "LOCAL")
        user_props[key] = {"parsed": value, "rawvalue": value, "value": value, "source": source}
    if comments is not None:
        item = {"parsed": comments, "rawvalue": comments, "value": comments, "source": "LOCAL"}
        if modern:
            user_props["comments"] = item
        else:
            record["comments"] = item
    record["user_properties"] = user_props
    if snapshot_count is not None:
        record["snapshot_count"] = snapshot_count
    return record


def _match(record, flt):
    field, op, value = flt
    actual = record.get(field)
    if op == "=":
        return actual == value
    if op == "in":
        return actual in value
    if op == "^":
        return isinstance(actual, str) and actual.startswith(value)
    raise AssertionError("filter %r not supported here" % (flt,))


class DatasetServer:
    """pool.dataset.* of one fake TrueNAS: records by id, a little of the server's behaviour."""

    API = {"compression", "atime", "exec", "readonly", "recordsize", "sync", "snapdir", "copies", "deduplication",
           "checksum", "quota", "refquota", "reservation", "refreservation", "casesensitivity", "acltype", "aclmode",
           "volsize", "volblocksize"}

    def __init__(self, client, records=(), modern=True, snapshot_counts=None, blocksize="16K"):
        self.client = client
        self.modern = modern
        self.records = dict((r["id"], copy.deepcopy(r)) for r in records)
        self.snapshot_counts = dict(snapshot_counts or {})
        client.respond("pool.dataset.query", self.query)
        client.respond("pool.dataset.create", self.create)
        client.respond("pool.dataset.update", self.update)
        client.respond("pool.dataset.delete", self.delete)
        client.respond("pool.dataset.recommended_zvol_blocksize", blocksize)

    def query(self, filters, options):
        rows = [copy.deepcopy(r) for name, r in sorted(self.records.items()) if all(_match(r, f) for f in filters)]
        if (options.get("extra") or {}).get("snapshots_count"):
            for row in rows:
                row["snapshot_count"] = self.snapshot_counts.get(row["id"], 0)
        return rows

    def _value(self, key, value):
        if key in BLOCKS:
            return ds.to_bytes(value)
        if key in ("atime", "exec", "readonly"):
            return value
        return value

    def create(self, data):
        name = data["name"]
        props = {}
        for key, value in data.items():
            if key in self.API:
                props[key] = self._value(key, value)
        encryption = None
        if data.get("encryption"):
            options = data.get("encryption_options") or {}
            encryption = {"root": name, "algorithm": options.get("algorithm", "AES-256-GCM"),
                          "key_format": "PASSPHRASE" if "passphrase" in options else "HEX",
                          "pbkdf2iters": options.get("pbkdf2iters", 350000) if "passphrase" in options else 0}
        user = dict((item["key"], item["value"]) for item in data.get("user_properties", []))
        if data.get("type") == "VOLUME" and not data.get("sparse"):
            props.setdefault("refreservation", data["volsize"] + 1048576)
        if data.get("type") == "VOLUME" and data.get("sparse"):
            props.setdefault("refreservation", (0, "DEFAULT"))
        record = dataset_record(name, data.get("type", "FILESYSTEM"), props, comments=data.get("comments"), user=user,
                                modern=self.modern, encryption=encryption)
        self.records[name] = record
        return copy.deepcopy(record)

    def update(self, ident, data):
        record = self.records[ident]
        for key, value in data.items():
            if key in self.API:
                if value == "INHERIT":
                    default, source = DEFAULTS[key]
                    record[key] = prop(key, default, "INHERITED" if source == "INHERITED" else "DEFAULT", self.modern)
                else:
                    record[key] = prop(key, self._value(key, value), "LOCAL", self.modern)
            elif key == "comments":
                item = {"parsed": value, "rawvalue": value, "value": value, "source": "LOCAL"}
                if self.modern:
                    record["user_properties"]["comments"] = item
                else:
                    record["comments"] = item
        for item in data.get("user_properties_update", []):
            if item.get("remove"):
                record["user_properties"].pop(item["key"], None)
            else:
                record["user_properties"][item["key"]] = {"parsed": item["value"], "rawvalue": item["value"],
                                                          "value": item["value"], "source": "LOCAL"}
        return copy.deepcopy(record)

    def delete(self, ident, options=None):
        del self.records[ident]
        return True


CAPS_NEW = Capabilities("25.10.5")
CAPS_OLD = Capabilities("25.04.2")


# ---- parsers ------------------------------------------------------------------------------------


@pytest.mark.parametrize("value, expected", [
    ("lz4", "LZ4"), ("LZ4", "LZ4"), (" Zstd-3 ", "ZSTD-3"), (False, "OFF"), (True, "ON"), ("inherit", "INHERIT"),
    ("gzip-9", "GZIP-9"), ("zstd-fast-1000", "ZSTD-FAST-1000"),
])
def test_compression_parser_is_case_insensitive(value, expected):
    assert ds.enum(ds.COMPRESSION, inherit=True)(value) == expected


def test_enum_parser_rejects_typos_with_the_choices():
    with pytest.raises(ValueError) as err:
        ds.enum(ds.SYNC, inherit=True)("standrd")
    assert str(err.value) == "'standrd' is not a valid choice; use one of standard, always, disabled, inherit (case-insensitive)"
    with pytest.raises(ValueError) as err:
        ds.enum(ds.CASES)("inherit")
    assert "use one of sensitive, insensitive (case-insensitive)" in str(err.value)
    with pytest.raises(ValueError) as err:
        ds.enum(ds.ACLTYPES, inherit=True)(True)
    assert str(err.value) == "True is not a valid choice; use one of off, nfsv4, posix, inherit (case-insensitive)"


@pytest.mark.parametrize("value, expected", [
    (True, True), (False, False), ("on", True), ("OFF", False), ("yes", True), ("no", False), ("Inherit", "INHERIT"),
])
def test_on_off_parser(value, expected):
    assert ds.on_off(value) is expected if isinstance(expected, bool) else ds.on_off(value) == expected


def test_on_off_parser_rejects_other_words():
    with pytest.raises(ValueError) as err:
        ds.on_off("maybe")
    assert str(err.value) == "expected true, false or inherit, got 'maybe'"


@pytest.mark.parametrize("value, expected", [
    ("128K", 131072), ("1M", 1048576), (512, 512), ("16 KiB", 16384), ("inherit", "INHERIT"), ("16M", 16777216),
])
def test_recordsize_parser(value, expected):
    assert ds.parse_recordsize(value) == expected


@pytest.mark.parametrize("value", ["100K", "256", "32M", "1.5K", "big"])
def test_recordsize_parser_rejects_sizes_that_are_not_block_sizes(value):
    with pytest.raises(ValueError):
        ds.parse_recordsize(value)


def test_volblocksize_parser_limits():
    assert ds.parse_volblocksize("128K") == 131072
    with pytest.raises(ValueError) as err:
        ds.parse_volblocksize("256K")
    assert str(err.value) == "'256K' is not a valid block size: use a power of two from 512 bytes to 128 KiB, such as 16K"


def test_size_parsers():
    assert ds.parse_volsize("10G") == 10 * GiB
    assert ds.parse_volsize("10GiB") == 10 * GiB
    assert ds.parse_volsize(1048576) == 1048576
    assert ds.parse_size("none") == 0
    assert ds.parse_size("1.5T") == 1649267441664
    assert ds.parse_quota(0) == 0
    assert ds.parse_quota("1G") == GiB
    with pytest.raises(ValueError) as err:
        ds.parse_quota("512M")
    assert str(err.value) == "'512M' is below the TrueNAS minimum of 1 GiB (1073741824 bytes); use 0 to remove the quota"
    with pytest.raises(ValueError) as err:
        ds.parse_volsize("ten gigs")
    assert "'ten gigs' is not a valid size" in str(err.value)
    with pytest.raises(ValueError):
        ds.parse_volsize(0)


@pytest.mark.parametrize("value, expected", [(1, 1), ("3", 3), ("inherit", "INHERIT"), (2.0, 2)])
def test_copies_parser(value, expected):
    assert ds.parse_copies(value) == expected


@pytest.mark.parametrize("value", [0, 4, "two", True, 1.5])
def test_copies_parser_rejects(value):
    with pytest.raises(ValueError):
        ds.parse_copies(value)


def test_user_properties_parser():
    assert ds.parse_user_properties({"org.example:owner": "ops", "org.example:n": 3, "org.example:gone": None}) == {
        "org.example:owner": "ops", "org.example:n": "3", "org.example:gone": None}
    for bad, text in (
        ({"owner": "ops"}, "'owner' is not a user property name; use namespace:property in lower case"),
        ({"Org.Example:x": "1"}, "'Org.Example:x' is not a user property name"),
        ({"org.freenas:description": "x"}, "org.freenas:description is managed by TrueNAS; use the comments option"),
        ({"org.freenas:quota_warning": "80"}, "org.freenas:quota_warning is managed by TrueNAS"),
        ({"org.example:flag": True}, "the value of org.example:flag is a boolean; quote it"),
    ):
        with pytest.raises(ValueError) as err:
            ds.parse_user_properties(bad)
        assert str(err.value).startswith(text)


def test_encryption_options_parser():
    assert ds.parse_encryption_options({"passphrase": "longenough", "algorithm": "aes-128-ccm", "key": None,
                                        "generate_key": None, "pbkdf2iters": None}) == {
        "passphrase": "longenough", "algorithm": "AES-128-CCM"}
    cases = (
        ({"passphrase": "short"}, "encryption_options.passphrase: must be at least 8 characters long"),
        ({"key": "abc"}, "encryption_options.key: must be 64 hexadecimal characters (a 256-bit key)"),
        ({"algorithm": "rot13"}, "encryption_options.algorithm: 'rot13' is not a valid choice"),
        ({"pbkdf2iters": 10}, "encryption_options.pbkdf2iters: must be at least 100000 (at least 1300000 on TrueNAS 26)"),
        ({"passphrase": "longenough", "generate_key": True},
         "encryption_options: set only one of passphrase, key and generate_key, not passphrase and generate_key"),
    )
    for value, text in cases:
        with pytest.raises(OptionError) as err:
            ds.parse_encryption_options(value)
        assert str(err.value).startswith(text)
        assert "short" not in str(err.value) or "short" not in value.get("passphrase", "")


def test_dataset_name_validation():
    assert ds.valid_dataset_name("tank/a b/c-d.e:f_g") == "tank/a b/c-d.e:f_g"
    for bad, text in (
        ("tank//a", "has an empty component"),
        ("/tank/a", "has an empty component"),
        ("tank/a@snap", "components may only hold"),
        ("1tank/a", "the pool name must start with a letter"),
        ("tank/a ", "trailing spaces are not allowed"),
        ("tank/" + "x" * 260, "longer than 255 characters"),
    ):
        with pytest.raises(ValueError) as err:
            ds.valid_dataset_name(bad)
        assert text in str(err.value)


def test_block_api_texts():
    assert [ds.block_api(v) for v in (512, 16384, 131072, 1048576, "INHERIT")] == ["512", "16K", "128K", "1M", "INHERIT"]


def test_iso_date_forms():
    assert ds.iso_date(CREATED) == "2025-10-01T12:00:00+00:00"
    assert ds.iso_date({"$date": 1759320000000}) == "2025-10-01T12:00:00+00:00"
    assert ds.iso_date(1759320000) == "2025-10-01T12:00:00+00:00"
    assert ds.iso_date(datetime.datetime(2025, 10, 1, 12, 0)) == "2025-10-01T12:00:00+00:00"
    assert ds.iso_date(None) is None


# ---- normalisation ------------------------------------------------------------------------------


def test_normalize_filesystem_25_10():
    record = dataset_record("tank/apps", props={"atime": "OFF", "quota": 2 * GiB, "recordsize": (1048576, "INHERITED")},
                            comments="Apps", user={"org.example:owner": "ops", "org.example:site": ("dc1", "INHERITED")})
    record["user_properties"]["quota_warning"] = {"parsed": "80", "rawvalue": "80", "value": "80", "source": "LOCAL"}
    result = DatasetResource().normalize(record, CAPS_NEW)
    assert result == {
        "id": "tank/apps", "name": "tank/apps", "type": "FILESYSTEM", "pool": "tank", "mountpoint": "/mnt/tank/apps",
        "comments": "Apps", "compression": "LZ4", "atime": False, "exec": True, "readonly": False,
        "recordsize": 1048576, "sync": "STANDARD", "snapdir": "HIDDEN", "copies": 1, "deduplication": "OFF",
        "checksum": "ON", "quota": 2 * GiB, "refquota": 0, "reservation": 0, "refreservation": 0,
        "casesensitivity": "SENSITIVE", "acltype": "POSIX", "aclmode": "DISCARD",
        "user_properties": {"org.example:owner": "ops", "org.example:site": "dc1"},
        "encryption": False, "encrypted": False, "encryption_root": None, "key_loaded": False, "locked": False,
        "encryption_algorithm": None, "key_format": None, "used": 98304, "available": 500 * GiB,
        "usedbydataset": 98304, "usedbysnapshots": 0, "usedbychildren": 0, "creation": "2025-10-01T12:00:00+00:00",
        "origin": None,
        "source": {"compression": "INHERITED", "atime": "LOCAL", "exec": "DEFAULT", "readonly": "DEFAULT",
                   "recordsize": "INHERITED", "sync": "DEFAULT", "snapdir": "DEFAULT", "copies": "DEFAULT",
                   "deduplication": "DEFAULT", "checksum": "DEFAULT", "acltype": "INHERITED", "aclmode": "INHERITED"},
    }


def test_normalize_reads_comments_where_each_version_keeps_them():
    new = dataset_record("tank/a", comments="new place", modern=True)
    old = dataset_record("tank/a", comments="old place", modern=False)
    assert "comments" not in new and new["user_properties"]["comments"]["value"] == "new place"
    assert DatasetResource().normalize(new, CAPS_NEW)["comments"] == "new place"
    assert DatasetResource().normalize(old, CAPS_OLD)["comments"] == "old place"
    assert DatasetResource().normalize(new, None)["comments"] == "new place"
    assert DatasetResource().normalize(old, None)["comments"] == "old place"
    assert DatasetResource().normalize(dataset_record("tank/a"), CAPS_NEW)["comments"] == ""


def test_normalize_sizes_use_parsed_not_the_version_specific_text():
    new = DatasetResource().normalize(dataset_record("tank/a", props={"quota": 10 * GiB}, modern=True), CAPS_NEW)
    old = DatasetResource().normalize(dataset_record("tank/a", props={"quota": 10 * GiB}, modern=False), CAPS_OLD)
    assert new["quota"] == old["quota"] == 10 * GiB
    assert new["refquota"] == old["refquota"] == 0


def test_normalize_volume_sparse_and_encryption():
    record = dataset_record("tank/vol", "VOLUME", props={"refreservation": (0, "DEFAULT")},
                            encryption={"root": "tank/vol", "algorithm": "AES-256-GCM", "key_format": "PASSPHRASE",
                                        "pbkdf2iters": 350000})
    result = DatasetResource().normalize(record, CAPS_NEW)
    assert result["sparse"] is True
    assert result["volsize"] == 10 * GiB and result["volblocksize"] == 16384
    assert result["encryption"] is True
    assert result["encryption_options"] == {"algorithm": "AES-256-GCM", "pbkdf2iters": 350000}
    assert "atime" not in result and "recordsize" not in result
    thick = DatasetResource().normalize(dataset_record("tank/vol", "VOLUME"), CAPS_NEW)
    assert thick["sparse"] is False


def test_inherited_encryption_is_not_an_encryption_root():
    record = dataset_record("tank/sec/child", encryption={"root": "tank/sec", "algorithm": "AES-256-GCM",
                                                          "key_format": "PASSPHRASE"})
    result = DatasetResource().normalize(record, CAPS_NEW)
    assert result["encrypted"] is True and result["encryption"] is False
    assert "encryption_options" not in result


def test_query_options_ask_only_for_what_is_normalised():
    new = ds.dataset_query_options(CAPS_NEW)
    old = ds.dataset_query_options(CAPS_OLD, snapshot_count=True)
    assert new["extra"]["retrieve_children"] is False
    assert new["extra"]["retrieve_user_props"] is True
    assert "comments" not in new["extra"]["properties"]
    assert old["extra"]["properties"] == list(ds.QUERY_PROPERTIES) + ["comments"]
    assert old["extra"]["snapshots_count"] is True


# ---- comparators and error mapping -------------------------------------------------------------


def test_user_properties_comparator():
    cmp = ds.UserProperties()
    current = {"org.a:x": "1", "org.a:y": "2"}
    assert cmp.equal({"org.a:x": "1"}, current)
    assert not cmp.equal({"org.a:x": "2"}, current)
    assert cmp.equal({"org.a:z": None}, current)
    assert not cmp.equal({"org.a:y": None}, current)
    assert cmp.merge(current, {"org.a:y": None, "org.a:z": "3"}) == {"org.a:x": "1", "org.a:z": "3"}


def test_inheritable_size_comparator():
    cmp = ds.InheritableSize()
    assert cmp.equal(131072, "128K")
    assert not cmp.equal("INHERIT", 131072)
    assert cmp.equal("INHERIT", "INHERIT")


def test_encryption_options_comparator_never_looks_at_secrets():
    cmp = ds.EncryptionOptions()
    current = {"algorithm": "AES-256-GCM", "pbkdf2iters": 350000}
    assert cmp.equal({"passphrase": "anything-at-all"}, current)
    assert cmp.equal({"algorithm": "AES-256-GCM"}, current)
    assert not cmp.equal({"algorithm": "AES-128-CCM"}, current)
    assert not cmp.equal({"pbkdf2iters": 500000}, current)


@pytest.mark.parametrize("attribute, option", [
    ("pool_dataset_create.volsize", "volsize"),
    ("data.PoolDatasetCreateVolume.volsize", "volsize"),
    ("data.PoolDatasetCreateFilesystem.name", "name"),
    ("pool_dataset_update.user_properties_update.0.value", "user_properties.0.value"),
    ("pool_dataset_update.comments", "comments"),
    ("pool_dataset_create.encryption_options.passphrase", "encryption_options.passphrase"),
    ("data.deduplication", "deduplication"),
])
def test_validation_attributes_map_to_options(attribute, option):
    assert DatasetResource().option_for(attribute) == option


def test_secret_paths():
    assert DatasetResource().secret_options() == ["encryption_options.passphrase", "encryption_options.key"]


def test_desired_validation_names_the_option():
    resource = DatasetResource()
    params = {"name": "tank/a", "volsize": "1G", "recordsize": "128K"}
    with pytest.raises(OptionError) as err:
        resource.validate(resource.desired(params), params)
    assert str(err.value) == "recordsize: only applies to filesystems, and volsize makes this a volume"
    params = {"name": "tank/a", "type": "filesystem", "sparse": True}
    with pytest.raises(OptionError) as err:
        resource.validate(resource.desired(params), params)
    assert str(err.value) == "sparse: only applies to volumes (zvols), and type is filesystem"
    params = {"name": "tank/a", "encryption_options": {"passphrase": "longenough"}}
    with pytest.raises(OptionError) as err:
        resource.validate(resource.desired(params), params)
    assert str(err.value) == "encryption_options: only applies together with encryption: true"


def test_recommended_block_size_answer_is_checked(fake_client):
    fake_client.respond("pool.dataset.recommended_zvol_blocksize", "huge")

    class Ctx:
        client = fake_client

    with pytest.raises(TrueNASError) as err:
        DatasetResource()._recommended_block_size(Ctx, "tank")
    assert str(err.value) == "pool.dataset.recommended_zvol_blocksize: unexpected answer 'huge'"
