# Copyright (c) nasops contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""truenas_share_smb on TrueNAS 25.10.0, whose SMB model lacks what 25.10.1 added: DEFAULT_SHARE
``hostsallow``/``hostsdeny`` and the FCP_SHARE purpose. The module must say so, naming the release,
before any change (25.10 is the newest 25.10 release, for comparison)."""

import pytest

pytestmark = pytest.mark.timeout(120)

MUTATIONS = ("sharing.smb.create", "sharing.smb.update", "sharing.smb.delete")


@pytest.fixture
def run(run_inproc):
    return lambda args, **kwargs: run_inproc("truenas_share_smb", args, **kwargs)


def mutations(sim):
    return [c["method"] for c in sim.calls() if c["method"] in MUTATIONS]


@pytest.mark.sim_profiles("25.10.0", "25.10")
def test_default_share_hosts_and_fcp_by_patch_release(sim, run):
    early = sim.profile.product_version == "25.10.0"
    share = {"name": "media", "path": "/mnt/tank/media", "purpose": "default", "hosts_allow": ["10.0.0.0/24"]}
    sim.reset_counters()
    result = run(share)
    if early:
        assert result["failed"] is True and result["changed"] is False, result
        assert result["msg"] == (
            "hosts_allow: cannot be set with purpose 'default' on TrueNAS 25.10.0 (shares of that purpose have it from "
            "TrueNAS 25.10.1 on, legacy shares have it); use purpose: legacy or leave purpose unset")
        assert mutations(sim) == []
    else:
        assert result["changed"] is True, result
        assert result["smb_share"]["hosts_allow"] == ["10.0.0.0/24"]

    fcp = run({"name": "fcp", "path": "/mnt/tank/media", "purpose": "fcp"})
    if early:
        assert fcp["failed"] is True and fcp["changed"] is False
        assert fcp["msg"] == "purpose: 'fcp' is not available on TrueNAS 25.10.0 (it needs TrueNAS 25.10.1 or later)"
        assert mutations(sim) == []
    else:
        # 25.10.1+ has the purpose; this server refuses it for its SMB settings (Apple extensions off).
        assert "not available" not in fcp["msg"] and "sharing.smb.create" in mutations(sim)


@pytest.mark.sim_profiles("25.10.0")
def test_hosts_without_purpose_become_a_legacy_share_on_25_10_0(sim, run):
    created = run({"name": "media", "path": "/mnt/tank/media", "hosts_allow": ["10.0.0.0/24"]})
    assert created["changed"] is True, created
    assert created["smb_share"]["purpose"] == "legacy" and created["smb_share"]["hosts_allow"] == ["10.0.0.0/24"]
    plain = run({"name": "plain", "path": "/mnt/tank/media"}, check=True)
    assert plain["changed"] is True and plain["smb_share"]["purpose"] == "default"
    again = run({"name": "media", "path": "/mnt/tank/media", "hosts_allow": ["10.0.0.0/24"]})
    assert again["changed"] is False, again
