# Copyright (c) nasops contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Version parsing and the declared capability map."""

import pytest

from ansible_collections.nasops.truenas.plugins.module_utils._errors import TrueNASError, TrueNASUnsupportedError
from ansible_collections.nasops.truenas.plugins.module_utils._versions import (
    CAPABILITY_RULES,
    Capabilities,
    format_version,
    parse_version,
    version_suffix,
)


@pytest.mark.parametrize("text, expected", [
    ("25.10.5", (25, 10, 5)),
    ("25.04.2.6", (25, 4, 2, 6)),
    ("26.0.0-BETA.3", (26, 0, 0)),
    ("TrueNAS-25.10.1", (25, 10, 1)),
    ("TrueNAS-SCALE-24.10.2.4", (24, 10, 2, 4)),
    ("25.04", (25, 4)),
    ("25.10.0.1", (25, 10, 0, 1)),
    ((25, 10, 5), (25, 10, 5)),
])
def test_parse_version(text, expected):
    assert parse_version(text) == expected


@pytest.mark.parametrize("text", ["", "TrueNAS", "25", None, 25.1, ["a"]])
def test_unparsable_versions_raise(text):
    with pytest.raises(TrueNASError, match="cannot read a TrueNAS version"):
        parse_version(text)


def test_version_suffix_and_format():
    assert version_suffix("26.0.0-BETA.3") == "BETA.3"
    assert version_suffix("25.10.1") is None
    assert format_version((25, 4, 2)) == "25.04.2"
    assert format_version((25, 10)) == "25.10"
    assert format_version((26, 0, 0)) == "26.0.0"


OLD = {"pbkdf2iters_min": 100000, "smb_hosts_and_fcp": True, "smart_tests": True,
       "vm_device_update_full": True, "update_status_method": "update.check_available", "service_control": False,
       "smb_enable_smb1": True, "smb_minimum_protocol": False}
NEW = {"pbkdf2iters_min": 100000, "smb_hosts_and_fcp": True, "smart_tests": False,
       "vm_device_update_full": False, "update_status_method": "update.status", "service_control": True,
       "smb_enable_smb1": True, "smb_minimum_protocol": False}
R25_10 = {"smb_shape": "purpose_options", "snapshot_namespace": "pool.snapshot",
          "vm_device_dtype": "attributes", "vms": True, "display_types": ["SPICE", "VNC"],
          "vm_update_secure_boot": False, "new_style_jobs": True, "ping_before_auth": True,
          "dataset_tn_props_in_user_properties": True, "query_limit_max": 10000}


@pytest.mark.parametrize("version, expected", [
    ("25.04.0", dict(OLD, **{"smb_shape": "flat", "snapshot_namespace": "zfs.snapshot", "vm_device_dtype": "attributes",
                             "vms": False, "display_types": ["SPICE"], "vm_update_secure_boot": True,
                             "new_style_jobs": False, "ping_before_auth": False,
                             "dataset_tn_props_in_user_properties": False, "query_limit_max": None})),
    ("25.04.2.6", dict(OLD, **{"smb_shape": "flat", "snapshot_namespace": "zfs.snapshot",
                               "vm_device_dtype": "attributes", "vms": True, "display_types": ["SPICE"],
                               "vm_update_secure_boot": True, "new_style_jobs": False, "ping_before_auth": False,
                               "dataset_tn_props_in_user_properties": False, "query_limit_max": None})),
    ("25.10.0", dict(R25_10, **dict(NEW, smb_hosts_and_fcp=False))),
    ("25.10.1", dict(R25_10, **NEW)),
    ("25.10.5", dict(R25_10, **NEW)),
    ("26.0.0-BETA.3", dict(R25_10, **dict(NEW, pbkdf2iters_min=1300000, smb_enable_smb1=False,
                                          smb_minimum_protocol=True))),
])
def test_capability_table(version, expected):
    caps = Capabilities(version)
    assert caps.as_dict() == expected
    assert caps.smb_shape == expected["smb_shape"]
    assert caps["vms"] is expected["vms"]
    assert set(CAPABILITY_RULES) == set(expected)


def test_capability_lists_are_copies():
    caps = Capabilities("25.10.1")
    caps.display_types.append("RDP")
    assert Capabilities("25.10.1").display_types == ["SPICE", "VNC"]


@pytest.mark.parametrize("version", ["24.10.2.4", "TrueNAS-24.04.2", "13.0"])
def test_older_than_25_04_is_unsupported(version):
    with pytest.raises(TrueNASUnsupportedError) as info:
        Capabilities(version)
    assert info.value.message.startswith("unsupported version: TrueNAS %s is older than 25.04" % version)


def test_require_names_option_and_needed_version():
    caps = Capabilities("25.04.1")
    with pytest.raises(TrueNASUnsupportedError) as info:
        caps.require("vms", option="name")
    assert info.value.message == "option 'name' needs TrueNAS 25.04.2 or later (this server runs 25.04.1)"
    with pytest.raises(TrueNASUnsupportedError) as info:
        caps.require("ping_before_auth")
    assert info.value.message == "'ping_before_auth' needs TrueNAS 25.10 or later (this server runs 25.04.1)"


def test_require_of_a_capability_that_went_away():
    caps = Capabilities("25.10.5")
    with pytest.raises(TrueNASUnsupportedError) as info:
        caps.require("vm_update_secure_boot", option="secure_boot")
    assert info.value.message == ("option 'secure_boot' is only supported on TrueNAS before 25.10 "
                                  "(this server runs 25.10.5)")


def test_require_passes_and_rejects_unknown_names():
    caps = Capabilities("25.10.5")
    assert caps.require("vms", option="name") is None
    with pytest.raises(ValueError):
        caps.require("flying")


def test_patch_release_gate_names_the_release():
    with pytest.raises(TrueNASUnsupportedError) as exc:
        Capabilities("25.10.0").require("smb_hosts_and_fcp", "hosts_allow")
    assert str(exc.value) == "option 'hosts_allow' needs TrueNAS 25.10.1 or later (this server runs 25.10.0)"
    Capabilities("25.10.1").require("smb_hosts_and_fcp", "hosts_allow")
    Capabilities("25.04.2").require("smb_hosts_and_fcp", "hosts_allow")
