# Copyright (c) nasops contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The shipped playbooks run as their comments say, against a fresh simulator, twice.

``playbooks/`` is copied to a temporary directory (k8s_cluster.yml writes its node inventory next
to itself) and each playbook is run with the command line of its header comment: with the
example inventory ``playbooks/inventory-example``, or with the ``TRUENAS_*`` environment. The
second run must change nothing.

Only what ``SUBSTITUTIONS`` lists differs from the example inventory, each with its reason.
``playbooks/awx_credential_type.yml`` needs an AWX controller; test_awx_credential_type.py runs it
against a recording stand-in of ``awx.awx.credential_type``.
"""

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
BIN = ROOT / ".venv" / "bin"
DISPLAY_PASSWORD = "example-display-Passw0rd"

pytestmark = [pytest.mark.timeout(900), pytest.mark.sim_profiles("25.10")]


def substitutions(sim):
    """variable -> (value, reason): extra variables over the example inventory."""
    port = int(re.match(r"^wss?://127\.0\.0\.1:(\d+)/", sim.url).group(1))
    return {
        "truenas_host": ("127.0.0.1", "the simulator listens on 127.0.0.1 only"),
        "truenas_port": (port, "on a free port"),
        "truenas_ca_path": (sim.ca_file, "its certificate is signed by a CA it generates at start"),
        "vault_truenas_api_key": (sim.credentials["api_key"], "the vault file the inventory's comment asks for: "
                                                              "the API key of the simulator's admin user"),
        "vault_k8s_display_password": (DISPLAY_PASSWORD, "the same vault file: the SPICE display password"),
    }


def playbook_env(truenas_env, tmp_path, connection_from_env):
    env = dict(truenas_env)
    if not connection_from_env:
        for name in list(env):
            if name.startswith("TRUENAS_"):
                del env[name]
    env["ANSIBLE_LOCAL_TEMP"] = str(tmp_path / "ansible-tmp")
    env["ANSIBLE_HOME"] = str(tmp_path / "ansible-home")
    return env


def run(args, env, cwd):
    proc = subprocess.run([str(BIN / "ansible-playbook")] + args, env=env, cwd=str(cwd), capture_output=True,
                          text=True, timeout=600, check=False)
    output = proc.stdout + proc.stderr
    recap = re.findall(r"^localhost\s*:\s*(.*)$", output, re.M)
    stats = dict((k, int(v)) for k, v in re.findall(r"(\w+)=(\d+)", recap[-1])) if recap else {}
    return proc.returncode, stats, output


@pytest.fixture
def copy(tmp_path):
    work = tmp_path / "work"
    shutil.copytree(str(ROOT / "playbooks"), str(work / "playbooks"))
    return work


def test_substitutions_name_only_variables_of_the_example_inventory(sim):
    group_vars = ROOT / "playbooks" / "inventory-example" / "group_vars" / "all"
    text = "\n".join(p.read_text() for p in sorted(group_vars.glob("*.yml")))
    defined = set()
    for path in group_vars.glob("*.yml"):
        defined |= set(yaml.safe_load(path.read_text()))
    for name in substitutions(sim):
        if name.startswith("vault_"):
            assert "{{ %s }}" % name in text, name
        elif name != "truenas_port":
            assert name in defined, name


def test_k8s_cluster_with_the_example_inventory(sim, truenas_env, tmp_path, copy):
    env = playbook_env(truenas_env, tmp_path, connection_from_env=False)
    extra = ["-e", json.dumps(dict((k, v) for k, (v, _reason) in substitutions(sim).items()))]
    inventory = ["-i", "playbooks/inventory-example"]
    for attempt in ("first", "second"):
        rc, stats, output = run(inventory + ["playbooks/k8s_cluster.yml"] + extra, env, copy)
        assert rc == 0 and stats.get("failed") == 0, "%s run:\n%s" % (attempt, output)
        if attempt == "second":
            assert stats.get("changed") == 0, output
        assert DISPLAY_PASSWORD not in output and sim.credentials["api_key"] not in output
    vms = sim.state_dump("vms")
    names = sorted(vm["name"] for vm in vms.values())
    assert len(names) == 6, names
    nodes = yaml.safe_load((copy / "playbooks" / "k8s_nodes.yml").read_text())
    assert nodes, "k8s_cluster.yml wrote no node inventory"

    for attempt in ("first", "second"):
        rc, stats, output = run(inventory + ["playbooks/k8s_cluster_destroy.yml"] + extra, env, copy)
        assert rc == 0 and stats.get("failed") == 0, "destroy, %s run:\n%s" % (attempt, output)
        if attempt == "second":
            assert stats.get("changed") == 0, output
    assert sim.state_dump("vms") == {}


def test_storage_with_the_example_inventory(sim, truenas_env, tmp_path, copy):
    env = playbook_env(truenas_env, tmp_path, connection_from_env=False)
    extra = ["-e", json.dumps(dict((k, v) for k, (v, _reason) in substitutions(sim).items()))]
    for attempt in ("first", "second"):
        rc, stats, output = run(["-i", "playbooks/inventory-example", "playbooks/storage.yml"] + extra, env, copy)
        assert rc == 0 and stats.get("failed") == 0, "%s run:\n%s" % (attempt, output)
        if attempt == "second":
            assert stats.get("changed") == 0, output
    assert {"tank/media", "tank/backups", "tank/k8s"} <= set(sim.state_dump("datasets"))


def test_storage_with_the_environment(sim, truenas_env, tmp_path, copy):
    """``ansible-playbook playbooks/storage.yml -e storage_pool=tank -e storage_network=10.0.0.0/24``."""
    env = playbook_env(truenas_env, tmp_path, connection_from_env=True)
    for attempt in ("first", "second"):
        rc, stats, output = run(["playbooks/storage.yml", "-e", "storage_pool=tank",
                                 "-e", "storage_network=10.0.0.0/24"], env, copy)
        assert rc == 0 and stats.get("failed") == 0, "%s run:\n%s" % (attempt, output)
        if attempt == "second":
            assert stats.get("changed") == 0, output
    assert {"tank/media", "tank/backups", "tank/k8s"} <= set(sim.state_dump("datasets"))


def test_every_playbook_is_run_here_or_elsewhere():
    here = {"k8s_cluster.yml", "k8s_cluster_destroy.yml", "storage.yml"}
    elsewhere = {"awx_credential_type.yml"}  # test_awx_credential_type.py
    shipped = set(p.name for p in (ROOT / "playbooks").glob("*.yml")) - {"requirements.yml"}
    assert shipped == here | elsewhere
