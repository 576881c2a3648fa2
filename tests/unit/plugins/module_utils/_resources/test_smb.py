# Copyright (c) nasops contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The SMB share descriptor on its own: parsing, the purpose vocabulary, what each purpose can
express on each shape, normalising both record shapes and translating error attributes."""

import pytest

from ansible_collections.nasops.truenas.plugins.module_utils._compare import OptionError
from ansible_collections.nasops.truenas.plugins.module_utils._resources import smb
from ansible_collections.nasops.truenas.plugins.module_utils._resources.smb import SmbShareResource
from ansible_collections.nasops.truenas.plugins.module_utils._versions import Capabilities

FLAT_CAPS = Capabilities("25.04.2.6")
PO_CAPS = Capabilities("25.10.5")
AUDIT = {"enable": False, "watch_list": [], "ignore_list": []}


@pytest.fixture
def resource():
    return SmbShareResource()


# ---- parsing --------------------------------------------------------------------------------------

@pytest.mark.parametrize("value", ["media", "Media Library", "a" * 80, "x$", "ümlaut"])
def test_good_names(value):
    assert smb.parse_name(value) == value


@pytest.mark.parametrize("value, reason", [
    ("", "must not be empty"),
    ("a" * 81, "must be at most 80 characters, got 81"),
    ("a;b,c", "'a;b,c' contains characters SMB share names cannot have: , ;"),
    ("tab\there", "'tab\\there' contains control characters"),
    ("IPC$", "'IPC$' is reserved by Samba; choose another name"),
    ("global", "'global' is reserved by Samba; choose another name"),
])
def test_bad_names(value, reason):
    with pytest.raises(ValueError) as info:
        smb.parse_name(value)
    assert str(info.value) == reason


def test_paths_lose_trailing_slashes():
    assert smb.parse_path("/mnt/tank/media//") == "/mnt/tank/media"
    assert smb.parse_path("/") == "/"
    with pytest.raises(ValueError):
        smb.parse_path("mnt/tank")


def test_hosts_are_stripped_and_deduplicated():
    assert smb.parse_hosts([" 10.0.0.0/8", "host.example.com", "10.0.0.0/8", "192.168.1."]) == [
        "10.0.0.0/8", "host.example.com", "192.168.1."]
    for bad in (["a,b"], ["'a'"], ['"a"'], ["a b"], [None], [["a"]]):
        with pytest.raises(ValueError):
            smb.parse_hosts(bad)


def test_auxiliary_parameters_from_text_or_lines():
    text = "  oplocks = no\n\n# a comment\nlevel2 oplocks=no  \n"
    assert smb.parse_aux(text) == "oplocks = no\n# a comment\nlevel2 oplocks=no"
    assert smb.parse_aux(["oplocks = no", "; comment", "a = b\nc = d"]) == "oplocks = no\n; comment\na = b\nc = d"
    assert smb.parse_aux("") == ""
    assert smb.aux_from_api("oplocks = no\n\n") == "oplocks = no"
    for bad, reason in (("= x", "'= x' is not a 'parameter = value' line"),
                        ("[share]", "'[share]': sections are not allowed, only 'parameter = value' lines"),
                        ([1], "must be a string or a list of strings, got an entry 1 of type int"),
                        (3, "must be a string or a list of strings, got int")):
        with pytest.raises(ValueError) as info:
            smb.parse_aux(bad)
        assert str(info.value) == reason


def test_audit_keeps_given_keys():
    assert smb.parse_audit({"enable": True, "watch_list": ["a", " b", "a"], "ignore_list": None}) == {
        "enable": True, "watch_list": ["a", "b"]}
    assert smb.parse_audit({"enable": None, "watch_list": None, "ignore_list": None}) == {}


def test_audit_comparator():
    comparator = smb.AuditComparator()
    current = {"enable": True, "watch_list": ["a", "b"], "ignore_list": []}
    assert comparator.equal({"watch_list": ["b", "a"]}, current)
    assert comparator.equal({}, current)
    assert not comparator.equal({"enable": False}, current)
    assert not comparator.equal({"ignore_list": ["c"]}, current)
    assert not comparator.equal({"enable": True}, None)
    assert comparator.merge(current, {"ignore_list": ["c"]}) == {"enable": True, "watch_list": ["a", "b"],
                                                                 "ignore_list": ["c"]}


# ---- the purpose vocabulary ----------------------------------------------------------------------

@pytest.mark.parametrize("purpose, flat, po", [
    ("default", "DEFAULT_SHARE", "DEFAULT_SHARE"),
    ("legacy", "NO_PRESET", "LEGACY_SHARE"),
    ("timemachine", "TIMEMACHINE", "TIMEMACHINE_SHARE"),
    ("multiprotocol", "MULTI_PROTOCOL_NFS", "MULTIPROTOCOL_SHARE"),
    ("private_datasets", "PRIVATE_DATASETS", "PRIVATE_DATASETS_SHARE"),
    ("time_locked", "WORM_DROPBOX", "TIME_LOCKED_SHARE"),
    ("veeam_repository", "VEEAM_REPOSITORY_SHARE", "VEEAM_REPOSITORY_SHARE"),
    ("fcp", None, "FCP_SHARE"),
])
def test_purposes_map_both_ways(purpose, flat, po):
    assert smb.api_purpose(purpose, "flat") == flat
    assert smb.api_purpose(purpose, "purpose_options") == po
    if flat:
        assert smb.user_purpose(flat, "flat") == purpose
    assert smb.user_purpose(po, "purpose_options") == purpose


def test_purposes_users_cannot_set_are_named_when_read():
    assert smb.user_purpose("ENHANCED_TIMEMACHINE", "flat") == "enhanced_timemachine"
    assert smb.user_purpose("EXTERNAL_SHARE", "purpose_options") == "external"
    assert smb.user_purpose("NEW_KIND_SHARE", "purpose_options") == "new_kind"


@pytest.mark.parametrize("shape, purpose, option, value, ok", [
    ("purpose_options", "DEFAULT_SHARE", "readonly", True, True),
    ("purpose_options", "DEFAULT_SHARE", "hosts_allow", ["a"], True),
    ("purpose_options", "DEFAULT_SHARE", "guest_ok", False, False),
    ("purpose_options", "DEFAULT_SHARE", "auxiliary_parameters", "", False),
    ("purpose_options", "DEFAULT_SHARE", "timemachine", False, True),
    ("purpose_options", "DEFAULT_SHARE", "timemachine", True, False),
    ("purpose_options", "DEFAULT_SHARE", "timemachine_quota", 0, False),
    ("purpose_options", "TIMEMACHINE_SHARE", "timemachine", True, True),
    ("purpose_options", "TIMEMACHINE_SHARE", "timemachine", False, False),
    ("purpose_options", "TIMEMACHINE_SHARE", "timemachine_quota", 5, True),
    ("purpose_options", "TIMEMACHINE_SHARE", "recycle_bin", True, False),
    ("purpose_options", "LEGACY_SHARE", "recycle_bin", True, True),
    ("purpose_options", "LEGACY_SHARE", "timemachine", True, True),
    ("purpose_options", "EXTERNAL_SHARE", "hosts_allow", [], False),
    ("flat", "NO_PRESET", "guest_ok", True, True),
    ("flat", "NO_PRESET", "readonly", True, True),
    ("flat", "DEFAULT_SHARE", "readonly", True, False),
    ("flat", "DEFAULT_SHARE", "readonly", False, True),
    ("flat", "DEFAULT_SHARE", "hosts_allow", [], True),
    ("flat", "DEFAULT_SHARE", "hosts_allow", ["a"], False),
    ("flat", "DEFAULT_SHARE", "shadow_copies", True, False),
    ("flat", "MULTI_PROTOCOL_NFS", "readonly", True, True),
    ("flat", "TIMEMACHINE", "timemachine", False, False),
    ("flat", "TIMEMACHINE", "timemachine_quota", 10, True),
    ("flat", "ENHANCED_TIMEMACHINE", "timemachine", True, True),
])
def test_what_each_purpose_expresses(resource, shape, purpose, option, value, ok):
    assert smb.expresses(shape, purpose, option, value, resource.fields[option].comparator)[0] is ok


# ---- normalising ---------------------------------------------------------------------------------

def test_normalize_flat_record(resource):
    record = {
        "id": 3, "purpose": "NO_PRESET", "path": "/mnt/tank/pub", "path_suffix": "", "home": False, "name": "pub",
        "comment": "c", "ro": True, "browsable": False, "timemachine": False, "recyclebin": True, "guestok": True,
        "abe": True, "hostsallow": ["a"], "hostsdeny": ["b"], "aapl_name_mangling": False, "acl": True,
        "durablehandle": True, "shadowcopy": False, "streams": True, "fsrvp": False, "auxsmbconf": "x = 1\n",
        "enabled": True, "afp": False, "audit": AUDIT, "timemachine_quota": 0, "vuid": "", "path_local": "/mnt/tank/pub",
        "locked": False,
    }
    assert resource.normalize(record, FLAT_CAPS) == {
        "id": 3, "name": "pub", "path": "/mnt/tank/pub", "purpose": "legacy", "comment": "c", "enabled": True,
        "browsable": False, "readonly": True, "access_based_enumeration": True, "guest_ok": True, "hosts_allow": ["a"],
        "hosts_deny": ["b"], "timemachine": False, "timemachine_quota": 0, "recycle_bin": True, "shadow_copies": False,
        "audit": AUDIT, "auxiliary_parameters": "x = 1", "locked": False,
    }


def test_normalize_purpose_options_record(resource):
    record = {
        "id": 4, "purpose": "TIMEMACHINE_SHARE", "name": "tm", "path": "/mnt/tank/tm", "enabled": True, "comment": "",
        "readonly": False, "browsable": True, "access_based_share_enumeration": False, "locked": None, "audit": AUDIT,
        "options": {"purpose": "TIMEMACHINE_SHARE", "timemachine_quota": 2048, "auto_snapshot": False,
                    "auto_dataset_creation": False, "dataset_naming_schema": None, "vuid": "v", "hostsallow": [],
                    "hostsdeny": ["x"]},
        "dataset": "tank/tm", "relative_path": "", "tier": None,
    }
    assert resource.normalize(record, PO_CAPS) == {
        "id": 4, "name": "tm", "path": "/mnt/tank/tm", "purpose": "timemachine", "comment": "", "enabled": True,
        "browsable": True, "readonly": False, "access_based_enumeration": False, "guest_ok": None, "hosts_allow": [],
        "hosts_deny": ["x"], "timemachine": True, "timemachine_quota": 2048, "recycle_bin": None,
        "shadow_copies": None, "audit": AUDIT, "auxiliary_parameters": None, "locked": None, "dataset": "tank/tm",
        "relative_path": "",
    }


def test_normalize_guesses_the_shape_without_capabilities(resource):
    flat = resource.normalize({"id": 1, "name": "a", "purpose": "NO_PRESET", "ro": False, "guestok": True})
    assert (flat["purpose"], flat["guest_ok"]) == ("legacy", True)
    po = resource.normalize({"id": 1, "name": "a", "purpose": "DEFAULT_SHARE", "readonly": False,
                             "options": {"hostsallow": [], "hostsdeny": [], "aapl_name_mangling": False}})
    assert (po["purpose"], po["guest_ok"], po["timemachine"]) == ("default", None, False)


# ---- errors and names ----------------------------------------------------------------------------

@pytest.mark.parametrize("attribute, option", [
    ("sharingsmb_create.path_local", "path"),
    ("sharingsmb_update.ro", "readonly"),
    ("sharingsmb_create.abe", "access_based_enumeration"),
    ("sharingsmb_create.guestok", "guest_ok"),
    ("data.access_based_share_enumeration", "access_based_enumeration"),
    ("data.options.LEGACY_SHARE.guestok", "guest_ok"),
    ("data.options.LEGACY_SHARE.recyclebin", "recycle_bin"),
    ("sharingsmb_update.options.auxsmbconf", "auxiliary_parameters"),
    ("sharingsmb_create.options.hostsallow.0", "hosts_allow.0"),
    ("sharingsmb_update.audit.enable", "audit.enable"),
    ("sharingsmb_create.name", "name"),
])
def test_option_for(resource, attribute, option):
    assert resource.option_for(attribute) == option


def test_new_name_is_checked_locally(resource):
    resource.validate({}, {"name": "a", "new_name": "ok", "state": "present"})
    with pytest.raises(OptionError) as info:
        resource.validate({}, {"name": "a", "new_name": "b|c", "state": "present"})
    assert str(info.value) == "new_name: 'b|c' contains characters SMB share names cannot have: |"


def test_every_user_option_has_a_home_in_both_shapes():
    options = set(f.option for f in SmbShareResource.FIELDS if not f.output_only)
    assert options == set(smb.TOP_LEVEL) | set(smb.OPTION_FIELDS)
    assert set(smb.FLAT_NAMES) <= options
    # A legacy share can hold every option, so falling back to it always works.
    assert set(smb.OPTION_FIELDS.values()) <= set(smb.OPTION_KEYS["LEGACY_SHARE"])
    assert sorted(k for k, v in smb.FLAT_EQUIVALENT.items() if v == "LEGACY_SHARE") == ["NO_PRESET"]
    assert set(smb.OPTION_DEFAULTS) == set(smb.OPTION_FIELDS)
