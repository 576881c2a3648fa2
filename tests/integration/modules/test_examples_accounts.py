# Copyright (c) nasops contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The EXAMPLES of the account, service and network modules, run by ansible-playbook against the
simulator on every profile.

Each module's EXAMPLES are read from the module file and run as they are, with three
substitutions: the connection options (``host``, ``username``, ``api_key`` and the
``module_defaults`` blocks) are replaced by one play-level ``module_defaults`` pointing at the
simulator; variables the examples leave to the user (passwords, the API key) are defined; and the
addresses the examples give for the NAS (``checkin_host``) become the simulator's. The seed holds
what the examples expect to exist (users, groups, datasets and NICs of a real system).
"""

import ast
import copy
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests.simulator.profiles import NAMES
from tests.simulator.state import DEFAULT_SEED, load_seed_file

ROOT = Path(__file__).resolve().parents[3]
BIN = Path(sys.executable).parent
CONNECTION = ("host", "username", "api_key")

pytestmark = pytest.mark.timeout(600)

# In dependency order: groups before the users and SSH settings that name them (the users the group
# examples list are seeded).
MODULES = ("truenas_network_config", "truenas_interface", "truenas_interface_info", "truenas_group",
           "truenas_user", "truenas_user_info", "truenas_group_info", "truenas_service_ftp", "truenas_service_ssh",
           "truenas_service_smb", "truenas_service_nfs", "truenas_service", "truenas_service_info")


def examples(module):
    tree = ast.parse((ROOT / "plugins" / "modules" / ("%s.py" % module)).read_text())
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(getattr(t, "id", None) == "EXAMPLES" for t in node.targets):
            return yaml.safe_load(node.value.value)
    raise AssertionError("%s has no EXAMPLES" % module)


def strip_connection(task):
    task = copy.deepcopy(task)
    task.pop("module_defaults", None)
    for key, value in task.items():
        if key.startswith("nasops.truenas.") and isinstance(value, dict):
            for option in CONNECTION:
                value.pop(option, None)
            if "checkin_host" in value:
                value["checkin_host"] = "{{ sim_host }}"
    if "block" in task:
        task["block"] = [strip_connection(t) for t in task["block"]]
    return task


def seed_for(base):
    seed = copy.deepcopy(base)
    seed["users"] = seed["users"] + [
        {"username": name, "password": "Example-Passw0rd-%s" % name, "uid": 3200 + index, "roles": []}
        for index, name in enumerate(("alice", "bob", "carol"))]
    seed["datasets"] = seed["datasets"] + [{"name": "tank/homes"}, {"name": "tank/ftp"}]
    seed["network"] = {"interfaces": [{"name": "enp1s0", "addresses": ["192.168.1.10/24"]}, "enp2s0", "enp3s0"],
                       "bridges": [{"name": "br0", "members": []}]}
    return seed


@pytest.fixture
def collections_path(tmp_path):
    link = tmp_path / "collections" / "ansible_collections" / "nasops" / "truenas"
    link.parent.mkdir(parents=True)
    link.symlink_to(ROOT, target_is_directory=True)
    return tmp_path / "collections"


@pytest.mark.parametrize("profile", NAMES)
def test_examples_run_against_the_simulator(profile, sim_factory, tmp_path, collections_path):
    server = sim_factory(profile, seed=seed_for(load_seed_file(DEFAULT_SEED)), state_file=str(tmp_path / "state.json"))
    tasks = []
    for module in MODULES:
        for task in examples(module):
            task = strip_connection(task)
            task["name"] = "%s: %s" % (module, task.get("name", "example"))
            tasks.append(task)
    play = [{
        "name": "EXAMPLES against the simulator",
        "hosts": "localhost",
        "gather_facts": False,
        "module_defaults": {"group/nasops.truenas.truenas": {
            "url": "{{ sim_url }}", "api_key": "{{ truenas_api_key }}", "username": "{{ sim_username }}",
            "ca_path": "{{ sim_ca }}"}},
        "vars": {"alice_password": "Alice-Passw0rd-1", "ftp_password": "Ftp-Passw0rd-1"},
        "tasks": tasks,
    }]
    playbook = tmp_path / "examples.yml"
    playbook.write_text(yaml.safe_dump(play, sort_keys=False))
    extra = tmp_path / "vars.json"
    extra.write_text(json.dumps({"sim_url": server.url, "truenas_api_key": server.credentials["api_key"],
                                 "sim_username": server.credentials["username"], "sim_ca": server.ca_file,
                                 "sim_host": "127.0.0.1"}))
    env = dict((k, v) for k, v in os.environ.items() if not k.startswith(("TRUENAS_", "ANSIBLE_")))
    env.update(ANSIBLE_COLLECTIONS_PATH=str(collections_path), ANSIBLE_HOME=str(tmp_path / "ansible-home"),
               ANSIBLE_NOCOLOR="1", ANSIBLE_LOCALHOST_WARNING="0", ANSIBLE_INVENTORY_UNPARSED_WARNING="0",
               ANSIBLE_PYTHON_INTERPRETER=sys.executable)
    proc = subprocess.run([str(BIN / "ansible-playbook"), str(playbook), "-e", "@%s" % extra], cwd=tmp_path,
                          env=env, capture_output=True, text=True, timeout=580, check=False)
    output = proc.stdout + proc.stderr
    assert proc.returncode == 0, output
    assert "failed=0" in output
    assert server.credentials["api_key"] not in output

    state = server.state_dump()
    users = dict((u["username"], u) for u in state["users"].values())
    assert users["alice"]["home"] == "/mnt/tank/homes/alice" and users["bob"]["locked"] is True
    assert users["ftpuser"]["home"] == "/mnt/tank/ftp/ftpuser" and "olduser" not in users
    groups = dict((g["name"], g) for g in state["groups"].values())
    assert groups["media"]["gid"] == 3100 and groups["operators"]["sudo_commands_nopasswd"] == [
        "/usr/sbin/zfs", "/usr/sbin/zpool"]
    services = dict((s["service"], s) for s in state["services"].values())
    assert services["ssh"]["state"] == "RUNNING" and services["ftp"]["state"] == "STOPPED"
    assert services["cifs"]["enable"] is True and services["nfs"]["state"] == "RUNNING"
    assert state["network_configuration"]["config"]["hostname"] == "nas01"
    interfaces = state["interfaces"]
    assert interfaces["snapshot"] is None
    assert [a["address"] for a in interfaces["applied"]["enp1s0"]["aliases"]] == ["192.168.1.20"]
    assert interfaces["applied"]["vlan10"]["vlan_parent_interface"] == "bond0"
    assert "br1" not in interfaces["applied"]
