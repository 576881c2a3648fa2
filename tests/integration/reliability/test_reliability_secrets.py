# Copyright (c) nasops contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Every integration playbook, rerun at ``-vvv`` (with ``--diff`` where it applies), must not show
a single secret it used: API keys, passwords, display passwords, encryption passphrases.

Runs, all at the same time, each against its own simulator (profile 25.10):

* every ``tests/integration/playbooks/*.yml``, with the variables their tests pass (``sim_url``,
  ``sim_api_key``, ``sim_username``, ``sim_ca``, ``state_file``, ``truenas_version``,
  ``truenas_product_version``, ``display_secret``);
* ``playbooks/k8s_cluster.yml`` with an API key and with a password, and
  ``playbooks/k8s_cluster_destroy.yml``, all with a display password;
* a playbook of its own that uses a password login, an encryption passphrase, a display
  password, and fails on purpose with a wrong password, a wrong API key and a refused passphrase.

The secrets searched for: every password and API key of the simulator's seed (the bare key and
``<id>-<key>``), the display and encryption secrets passed in, and every literal value of a
``password``/``display_password``/``passphrase``/``api_key``/``otp_token`` key in the playbook.
"""

import glob
import json
import os
import subprocess
import sys
import time

import pytest
import yaml

from tests.bench import harness
from tests.simulator.profiles import PROFILES

pytestmark = pytest.mark.timeout(900)

PROFILE = "25.10"
DISPLAY_SECRET = "Vvv-Display-Secret9"
PASSPHRASE = "vvv-passphrase-Secret-8"
SHORT_PASSPHRASE = "short1"
WRONG_PASSWORD = "Wrong-Passw0rd-vvv"
WRONG_API_KEY = "1-WrongKeyvvvWrongKeyvvvWrongKeyvvvWrongKeyvvvWrongKeyvvvWrongKey1"
SECRET_KEYS = ("password", "display_password", "passphrase", "api_key", "otp_token")
INTEGRATION = sorted(glob.glob(os.path.join(harness.ROOT, "tests", "integration", "playbooks", "*.yml")))
K8S = os.path.join(harness.ROOT, "playbooks", "k8s_cluster.yml")
K8S_DESTROY = os.path.join(harness.ROOT, "playbooks", "k8s_cluster_destroy.yml")


def literal_secrets(node):
    """String values of secret-named keys anywhere in a parsed playbook (templates skipped)."""
    found = []
    if isinstance(node, dict):
        for key, value in node.items():
            if key in SECRET_KEYS and isinstance(value, str) and "{{" not in value and len(value) >= 6:
                found.append(value)
            else:
                found.extend(literal_secrets(value))
    elif isinstance(node, list):
        for item in node:
            found.extend(literal_secrets(item))
    return found


def own_playbook():
    """Password login, passphrase, display password, and failures that carry secrets.

    The secrets come in as variables, as they should: ansible-core 2.19 quotes the lines of the
    playbook around a failed task, so a secret written into the playbook itself would be shown
    by Ansible whatever the module does.
    """
    defaults = {"url": "{{ sim_url }}", "username": "{{ sim_username }}", "password": "{{ sim_password }}",
                "ca_path": "{{ sim_ca }}"}
    vm = {"name": "vvv", "memory": 1024, "devices": [
        {"dtype": "NIC", "nic_attach": "br0"},
        {"dtype": "DISPLAY", "type": "SPICE", "display_password": "{{ display_secret }}"}]}
    encrypted = {"name": "tank/vvv-secret", "encryption": True,
                 "encryption_options": {"passphrase": "{{ passphrase }}"}}
    tasks = [
        {"name": "Encrypted dataset (check mode)", "nasops.truenas.truenas_dataset": encrypted, "check_mode": True},
        {"name": "Encrypted dataset", "nasops.truenas.truenas_dataset": encrypted},
        {"name": "Encrypted dataset again", "nasops.truenas.truenas_dataset": encrypted},
        {"name": "VM with a display password", "nasops.truenas.truenas_vm": vm},
        {"name": "VM again", "nasops.truenas.truenas_vm": vm},
        {"name": "Display device on its own", "nasops.truenas.truenas_vm_device": {
            "vm": "vvv", "dtype": "DISPLAY", "type": "SPICE", "display_password": "{{ display_secret }}-new"}},
        {"name": "Passphrase TrueNAS refuses (too short)", "ignore_errors": True,
         "nasops.truenas.truenas_dataset": {"name": "tank/vvv-short", "encryption": True,
                                            "encryption_options": {"passphrase": "{{ short_passphrase }}"}}},
        {"name": "Wrong password", "ignore_errors": True,
         "nasops.truenas.truenas_pool_info": {"password": "{{ wrong_password }}"}},
        {"name": "Wrong API key", "ignore_errors": True,
         "nasops.truenas.truenas_pool_info": {"password": None, "api_key": "{{ wrong_api_key }}"}},
        {"name": "Delete the VM", "nasops.truenas.truenas_vm": {"name": "vvv", "state": "absent"}},
    ]
    return [{"name": "secrets at -vvv", "hosts": "localhost", "gather_facts": False,
             "module_defaults": {"group/nasops.truenas.truenas": defaults}, "tasks": tasks}]


class Case:
    """One playbook run at -vvv against its own simulator."""

    def __init__(self, name, path, extra_vars=None, env=None, setup=None, secrets=(), expect_ignored=None):
        self.name = name
        self.path = path
        self.extra_vars = extra_vars or {}
        self.env = env or {}
        self.setup = setup
        self.secrets = list(secrets)
        self.expect_ignored = expect_ignored
        self.sim = None
        self.proc = None
        self.run = None


def smb_setup(sim):
    """What tests/integration/modules/test_truenas_share_smb.py sets up: Apple extensions on."""
    client = harness.SimClient(sim.url, sim.ca_file)
    try:
        client.login(sim.info["username"], sim.info["password"])
        client.request("test.sharing_config", {"smb": {"aapl_extensions": True}})
    finally:
        client.close()


SETUPS = {"share_smb.yml": smb_setup}


def cases(workdir):
    result = []
    for path in INTEGRATION:
        name = os.path.basename(path)
        result.append(Case(name, path, setup=SETUPS.get(name), secrets=[DISPLAY_SECRET]))
    k8s_vars = {"k8s_cluster_vms_display_password": DISPLAY_SECRET}
    result.append(Case("k8s_cluster.yml (api key)", K8S, k8s_vars, secrets=[DISPLAY_SECRET]))
    result.append(Case("k8s_cluster.yml (password)", K8S, dict(k8s_vars, truenas_password="{password}"),
                       env={"TRUENAS_API_KEY": ""}, secrets=[DISPLAY_SECRET]))
    result.append(Case("k8s_cluster_destroy.yml", K8S_DESTROY, k8s_vars, secrets=[DISPLAY_SECRET]))
    own = harness.write_playbook(os.path.join(workdir, "own.yml"), own_playbook())
    own_vars = {"sim_password": "{password}", "passphrase": PASSPHRASE, "short_passphrase": SHORT_PASSPHRASE,
                "wrong_password": WRONG_PASSWORD, "wrong_api_key": WRONG_API_KEY}
    result.append(Case("own secrets playbook", own, own_vars, env={"TRUENAS_API_KEY": ""},
                       secrets=[DISPLAY_SECRET, DISPLAY_SECRET + "-new", PASSPHRASE, SHORT_PASSPHRASE, WRONG_PASSWORD,
                                WRONG_API_KEY],
                       expect_ignored=3))
    return result


def start(case, workdir):
    state_file = os.path.join(workdir, "state.json")
    case.sim = harness.Simulator(os.path.join(workdir, "sim"), profile=PROFILE, state_file=state_file,
                                 job_duration=0.05).start()
    if case.setup:
        case.setup(case.sim)
    password = case.sim.info["password"]
    evars = {"sim_url": case.sim.url, "sim_api_key": case.sim.info["api_key"], "sim_username": case.sim.info["username"],
             "sim_ca": case.sim.ca_file, "state_file": state_file, "truenas_version": PROFILE,
             "truenas_product_version": PROFILES[PROFILE].product_version, "display_secret": DISPLAY_SECRET,
             "ansible_python_interpreter": sys.executable}
    evars.update((k, v.format(password=password) if isinstance(v, str) else v) for k, v in case.extra_vars.items())
    vars_file = os.path.join(workdir, "vars.json")
    with open(vars_file, "w", encoding="utf-8") as handle:
        json.dump(evars, handle)
    env = case.sim.env(ANSIBLE_LOCAL_TEMP=os.path.join(workdir, "tmp"), ANSIBLE_HOME=os.path.join(workdir, "home"))
    for key, value in case.env.items():
        if value:
            env[key] = value
        else:
            env.pop(key, None)
    cmd = [os.path.join(harness.VENV_BIN, "ansible-playbook"), "-i", "localhost,", "-c", "local", "-vvv", "--diff",
           case.path, "-e", "@" + vars_file]
    case.started = time.monotonic()
    case.proc = subprocess.Popen(cmd, env=env, cwd=workdir, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                 text=True)
    with open(case.path, encoding="utf-8") as handle:
        case.secrets += literal_secrets(yaml.safe_load(handle))
    case.secrets += case.sim.secrets()


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    base = str(tmp_path_factory.mktemp("vvv"))
    all_cases = cases(base)
    try:
        for index, case in enumerate(all_cases):
            workdir = os.path.join(base, "case%d" % index)
            os.makedirs(workdir)
            start(case, workdir)
        for case in all_cases:
            output = case.proc.communicate(timeout=800)[0]
            case.run = harness.PlaybookRun(case.proc.returncode, output, "", time.monotonic() - case.started)
        yield dict((case.name, case) for case in all_cases)
    finally:
        for case in all_cases:
            if case.proc is not None and case.proc.poll() is None:
                case.proc.kill()
                case.proc.communicate()
            if case.sim is not None:
                case.sim.stop()


NAMES = [os.path.basename(p) for p in INTEGRATION] + [
    "k8s_cluster.yml (api key)", "k8s_cluster.yml (password)", "k8s_cluster_destroy.yml", "own secrets playbook"]


def test_there_are_playbooks_to_check():
    assert INTEGRATION, "no tests/integration/playbooks/*.yml found"
    assert os.path.exists(K8S) and os.path.exists(K8S_DESTROY)


@pytest.mark.parametrize("name", NAMES)
def test_no_secret_at_vvv(runs, name):
    case = runs[name]
    output = case.run.output
    assert "<localhost> EXEC" in output or "ESTABLISH LOCAL CONNECTION" in output   # -vvv really was on
    assert len(set(s for s in case.secrets if s)) >= 4
    assert harness.find_secrets(output, case.secrets) == []
    if case.expect_ignored:
        for secret in (WRONG_PASSWORD, WRONG_API_KEY, SHORT_PASSPHRASE):
            assert secret in case.secrets
    assert case.run.rc == 0, output[-5000:]
    assert case.run.stats.get("failed") == 0
    if case.expect_ignored is not None:
        assert case.run.stats.get("ignored", 0) == case.expect_ignored, output[-5000:]
