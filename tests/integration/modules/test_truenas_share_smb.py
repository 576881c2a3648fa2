# Copyright (c) nasops contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""truenas_share_smb run by ansible-playbook against the simulator, on every profile.

``tests/integration/playbooks/share_smb.yml`` runs CHECK -> apply -> idempotent CHECK ->
idempotent for create, each option family, purpose, rename, create_path and delete, plus
refused input. Between steps it reads the simulator's state file (written on every change) to
check TrueNAS itself, never the module's own output. Afterwards the simulator's call log shows
which mutating calls really reached the server.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.simulator.profiles import NAMES, PROFILES

ROOT = Path(__file__).resolve().parents[3]
BIN = Path(sys.executable).parent
PLAYBOOK = ROOT / "tests" / "integration" / "playbooks" / "share_smb.yml"

pytestmark = pytest.mark.timeout(240)


@pytest.fixture
def collections_path(tmp_path):
    """An ANSIBLE_COLLECTIONS_PATH holding this checkout as nasops.truenas."""
    link = tmp_path / "collections" / "ansible_collections" / "nasops" / "truenas"
    link.parent.mkdir(parents=True)
    link.symlink_to(ROOT, target_is_directory=True)
    return tmp_path / "collections"


def mutations(server, prefix):
    return [call["method"] for call in server.calls()
            if call["method"].startswith(prefix) and not call["method"].endswith(".query")]


def start_playbook(profile, server, state_file, tmp_path, collections_path):
    """Start ansible-playbook on share_smb.yml against ``server``; the Popen."""
    work = tmp_path / profile
    work.mkdir()
    extra = work / "vars.json"
    extra.write_text(json.dumps({
        "sim_url": server.url,
        "sim_api_key": server.credentials["api_key"],
        "sim_username": server.credentials["username"],
        "sim_ca": server.ca_file,
        "state_file": str(state_file),
        "truenas_version": profile,
        "truenas_product_version": PROFILES[profile].product_version,
    }))
    env = dict(os.environ)
    for name in list(env):
        if name.startswith(("TRUENAS_", "ANSIBLE_")):
            del env[name]
    env.update(ANSIBLE_COLLECTIONS_PATH=str(collections_path), ANSIBLE_HOME=str(work / "ansible-home"),
               ANSIBLE_LOCAL_TEMP=str(work / "tmp"), ANSIBLE_NOCOLOR="1", ANSIBLE_LOCALHOST_WARNING="0",
               ANSIBLE_INVENTORY_UNPARSED_WARNING="0", ANSIBLE_PYTHON_INTERPRETER=sys.executable,
               ANSIBLE_PIPELINING="1")
    return subprocess.Popen([str(BIN / "ansible-playbook"), str(PLAYBOOK), "-e", "@%s" % extra], cwd=work, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def test_share_smb_playbook_on_every_profile(sim_factory, sim_client, tmp_path, collections_path):
    """The three profiles run at the same time, each against its own simulator."""
    runs = {}
    for profile in NAMES:
        state_file = tmp_path / ("state-%s.json" % profile)
        server = sim_factory(profile, state_file=str(state_file))
        # Time Machine shares need Apple SMB2/3 extensions in the SMB service.
        admin = sim_client(server, login=True)
        config = admin.request("test.sharing_config", {"smb": {"aapl_extensions": True}})
        assert config["smb"]["aapl_extensions"] is True
        admin.close()
        server.reset_counters()
        runs[profile] = (server, start_playbook(profile, server, state_file, tmp_path, collections_path))

    outputs = {}
    for profile, (server, proc) in runs.items():
        try:
            outputs[profile] = (proc.communicate(timeout=220)[0], proc.returncode)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.communicate()

    for profile, (server, _proc) in runs.items():
        output, returncode = outputs[profile]
        assert returncode == 0, "profile %s:\n%s" % (profile, output)
        assert "failed=0" in output
        assert server.credentials["api_key"] not in output

        # Out of band: only the applying runs reached TrueNAS with changes. Every check-mode run,
        # idempotent run and refused input made none, except the path TrueNAS itself refused.
        assert mutations(server, "sharing.smb.") == [
            "sharing.smb.create",   # media
            "sharing.smb.update",   # share settings
            "sharing.smb.update",   # legacy flags
            "sharing.smb.update",   # Time Machine
            "sharing.smb.update",   # audit
            "sharing.smb.update",   # purpose
            "sharing.smb.update",   # rename
            "sharing.smb.create",   # scratch
            "sharing.smb.create",   # the path that does not exist (refused by TrueNAS)
            "sharing.smb.delete",
            "sharing.smb.delete",
        ], profile
        assert mutations(server, "pool.dataset.") == ["pool.dataset.create"], profile
        assert [c["params"] for c in server.calls("pool.dataset.create")] == [[{"name": "tank/scratch",
                                                                                "share_type": "SMB"}]]
        assert server.state_dump("smb_shares") == {}
        assert "tank/scratch" in server.state_dump("datasets")
