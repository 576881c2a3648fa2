# Copyright (c) nasops contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Share paths written differently name the same directory: ``/mnt/tank/media/``,
``/mnt/tank//media`` and ``/mnt/tank/media`` are one NFS export and one SMB path. The modules send
one spelling and compare in it, so the second spelling converges instead of failing with
"Export conflict" or updating the path back and forth."""

import pytest

from tests.simulator.pytest_plugin import SimClient

pytestmark = pytest.mark.timeout(300)

SPELLINGS = ["/mnt/tank/media/", "/mnt/tank/media", "/mnt/tank//media", "/mnt/tank/./media//"]


@pytest.fixture(scope="module")
def path_sim(tmp_path_factory):
    from tests.bench import harness

    sim = harness.Simulator(str(tmp_path_factory.mktemp("paths")), job_duration=0.05)
    sim.start()
    yield sim
    sim.stop()


@pytest.fixture
def psim(path_sim):
    path_sim.reset()
    path_sim.reset_counters()
    return path_sim


def admin_call(sim, method, *params):
    """A call on a connection of its own, logged in as the admin: state made without the modules."""
    client = SimClient(sim.url, sim.ca_file, timeout=30)
    try:
        client.login(sim.info["username"], sim.info["password"])
        return client.request(method, *params)
    finally:
        client.close()


def test_nfs_export_with_and_without_trailing_slash_is_one_export(psim, module_quick):
    first = module_quick(psim, "truenas_share_nfs", {"path": SPELLINGS[0], "comment": "media"})
    assert not first.failed, first.result["msg"]
    assert first.changed is True
    assert first.result["nfs_share"]["path"] == "/mnt/tank/media"
    assert [s["path"] for s in psim.state("nfs_shares").values()] == ["/mnt/tank/media"]

    for path in SPELLINGS[1:] + SPELLINGS[:1]:
        again = module_quick(psim, "truenas_share_nfs", {"path": path, "comment": "media"})
        assert not again.failed, (path, again.result["msg"])
        assert again.changed is False, path
    assert len(psim.state("nfs_shares")) == 1
    assert len(psim.calls("sharing.nfs.create")) == 1


def test_an_export_stored_with_a_trailing_slash_is_found(psim, module_quick):
    """A share made before paths were normalised (stored as ``/mnt/tank/media/``) is the same
    export: found, not created a second time."""
    admin_call(psim, "sharing.nfs.create", {"path": "/mnt/tank/media/", "comment": "old"})
    run = module_quick(psim, "truenas_share_nfs", {"path": "/mnt/tank/media", "comment": "old"})
    assert not run.failed, run.result["msg"]
    assert run.changed is False
    assert len(psim.state("nfs_shares")) == 1
    assert len(psim.calls("sharing.nfs.create")) == 1      # the one made above


def test_nfs_path_going_up_is_refused_before_the_server(psim, module_quick):
    run = module_quick(psim, "truenas_share_nfs", {"path": "/mnt/tank/../media"})
    assert run.failed
    assert "path" in run.result["msg"] and ".." in run.result["msg"]
    assert psim.calls("sharing.nfs.query") == []


def test_smb_path_spellings_are_one_path(psim, module_quick):
    first = module_quick(psim, "truenas_share_smb", {"name": "media2", "path": SPELLINGS[0]})
    assert not first.failed, first.result["msg"]
    assert first.result["smb_share"]["path"] == "/mnt/tank/media"
    for path in SPELLINGS[1:]:
        again = module_quick(psim, "truenas_share_smb", {"name": "media2", "path": path})
        assert not again.failed, (path, again.result["msg"])
        assert again.changed is False, path
    assert psim.calls("sharing.smb.update") == []
