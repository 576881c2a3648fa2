# Copyright (c) nasops contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Every module's EXAMPLES block runs against the simulator as written, in order, twice.

Each module's examples become the tasks of one playbook, run on a freshly reset simulator and
then run again (a user re-runs a playbook; the second run must succeed too). Nothing of the
examples is changed except what the tables below list, each with its reason:

- ``SUBSTITUTIONS``: text replaced in the EXAMPLES block before it runs.
- ``VARIABLES``: the variables the examples take from the user's inventory or vault.
- ``SETUP``: what must exist on the NAS before a module's examples, made out of band.
- ``EXPECTED_FAILURES``: steps that fail today because of a known defect; the step must fail
  with that message (the test fails when it starts to pass, so the entry gets removed).

The examples run on the 25.10 profile (truenas_system_info's example requires 25.10 or later),
except those of the modules in ``PROFILE_OF``, which work with another release only.
"""

import ast
import re
import time
from pathlib import Path

import pytest
import yaml

from tests.integration.modules.test_examples_accounts import MODULES as ACCOUNT_MODULES

ROOT = Path(__file__).resolve().parents[2]
# Modules whose EXAMPLES run, in order and on every profile, in a test of their own (one playbook
# for the family, the account and network examples building on each other).
OWN_EXAMPLES_TEST = "tests/integration/modules/test_examples_accounts.py"
ALL_MODULES = sorted(p.stem for p in (ROOT / "plugins" / "modules").glob("truenas_*.py"))
MODULES = [m for m in ALL_MODULES if m not in ACCOUNT_MODULES]

pytestmark = [pytest.mark.timeout(600), pytest.mark.sim_profiles("25.10")]

# (text in the examples, replacement, reason)
SUBSTITUTIONS = (
    ("host: nas.example.com", "host: 127.0.0.1",
     "the simulator listens on 127.0.0.1 only; its free port and its generated CA reach the modules through "
     "TRUENAS_PORT and TRUENAS_CA_PATH, options the examples leave to the environment"),
)

DISPLAY_PASSWORD = "example-display-Passw0rd"


def variables(sim):
    """name -> (value, reason): the variables the examples expect from the user."""
    return {
        "truenas_api_key": (sim.credentials["api_key"], "the API key of the simulator's admin user"),
        "vault_private_passphrase": ("example-passphrase-of-16+chars", "a passphrase the user keeps in a vault"),
        "vm_display_password": (DISPLAY_PASSWORD, "a display password the user keeps in a vault"),
    }


def add_groups(state, names):
    groups = state.data.setdefault("groups", {})
    for offset, name in enumerate(names):
        gid = 4000 + len(groups) + offset
        groups[str(gid)] = {"id": gid, "gid": gid, "group": name, "name": name, "builtin": False}


def add_user(state, name):
    users = state.data.setdefault("users", {})
    ident = max([int(k) for k in users] + [0]) + 1
    users[str(ident)] = {"id": ident, "username": name, "uid": 3100 + ident, "gid": 3100 + ident, "full_name": name,
                         "home": "/var/empty", "shell": "/usr/sbin/nologin", "roles": [], "password_hash": "!",
                         "otp_secret": None, "locked": True, "password_expired": False}


def setup_share_nfs(sim, run_module):
    # The examples export existing datasets, and map root to an existing user and group.
    for name in ("tank/backups", "tank/scratch"):
        assert not run_module("truenas_dataset", {"name": name})["failed"]
    sim.run(lambda: (add_user(sim.state, "backup"), add_groups(sim.state, ["backup"])))


def enable_apple_extensions(state):
    from tests.simulator.services import sharing
    sharing.sharing_config(state)["smb"]["aapl_extensions"] = True


def setup_share_smb(sim, run_module):
    # Shares of existing datasets (docs is created by the example itself, with create_path); the
    # audit example watches two existing groups; a Time Machine share needs the Apple SMB2/3
    # protocol extensions on in the SMB service (as the example's comment says).
    for name in ("tank/public", "tank/timemachine", "tank/scans"):
        assert not run_module("truenas_dataset", {"name": name, "share_type": "smb"})["failed"]
    sim.run(lambda: (add_groups(sim.state, ["finance", "hr"]), enable_apple_extensions(sim.state)))
    # The share the rename example renames, made by hand before.
    assert not run_module("truenas_share_smb", {"name": "scans", "path": "/mnt/tank/scans"})["failed"]


def setup_vm_device(sim, run_module):
    # The examples add devices to an existing VM "web", and remove its scratch disk at the end.
    result = run_module("truenas_vm", {"name": "web", "memory": "4G", "state": "stopped", "devices": [
        {"dtype": "DISK", "zvol": "tank/vms/web-scratch", "create_zvol": True, "size": "10G"}]})
    assert not result["failed"], result


def setup_vm_info(sim, run_module):
    # The examples list VMs, among them the Kubernetes nodes whose names start with k8s_.
    for name in ("k8s_cp01", "k8s_worker01"):
        result = run_module("truenas_vm", {"name": name, "memory": "2G", "state": "stopped", "devices": [
            {"dtype": "DISPLAY", "type": "SPICE", "display_password": DISPLAY_PASSWORD}]})
        assert not result["failed"], result


SETUP = {
    "truenas_share_nfs": setup_share_nfs,
    "truenas_share_smb": setup_share_smb,
    "truenas_vm_device": setup_vm_device,
    "truenas_vm_info": setup_vm_info,
}

# (module, task name) -> text of the expected error, with the defect that causes it (none today).
EXPECTED_FAILURES = {}


def examples_of(module):
    path = ROOT / "plugins" / "modules" / ("%s.py" % module)
    for node in ast.parse(path.read_text()).body:
        if isinstance(node, ast.Assign) and any(getattr(t, "id", None) == "EXAMPLES" for t in node.targets):
            return node.value.value
    raise AssertionError("%s has no EXAMPLES" % module)


def substituted(text):
    for old, new, _reason in SUBSTITUTIONS:
        text = text.replace(old, new)
    return text


def task_names(tasks):
    for task in tasks:
        yield task.get("name")
        yield from task_names(task.get("block") or [])


def mark_expected_failures(module, tasks):
    """Let the expected failures fail, and check that they do, with the expected message."""
    result = []
    for index, task in enumerate(tasks):
        if "block" in task:
            task = dict(task, block=mark_expected_failures(module, task["block"]))
        expected = EXPECTED_FAILURES.get((module, task.get("name")))
        if expected is None:
            result.append(task)
            continue
        register = "expected_failure_%d" % index
        result.append(dict(task, ignore_errors=True, register=register))
        result.append({"name": "Expected failure: %s" % task["name"], "ansible.builtin.assert": {
            "that": ["%s is failed" % register, "%r in %s.msg" % (expected, register)]}})
    return result


def example_playbook(module, sim):
    tasks = yaml.safe_load(substituted(examples_of(module)))
    return [{
        "name": "EXAMPLES of %s" % module,
        "hosts": "localhost",
        "gather_facts": False,
        "vars": dict((name, value) for name, (value, _reason) in variables(sim).items()),
        "tasks": mark_expected_failures(module, tasks),
    }]


def example_env(sim):
    """The connection the examples do not give: port and CA of the simulator; no URL, since the
    examples set a host (the two exclude each other)."""
    port = re.match(r"^wss?://127\.0\.0\.1:(\d+)/", sim.url).group(1)
    return {"TRUENAS_URL": "", "TRUENAS_PORT": port, "TRUENAS_CA_PATH": sim.ca_file,
            "TRUENAS_USERNAME": "", "TRUENAS_API_KEY": ""}


def test_tables_name_only_what_the_examples_use():
    texts = dict((module, examples_of(module)) for module in MODULES)
    everything = "\n".join(texts.values())
    for old, _new, reason in SUBSTITUTIONS:
        assert old in everything and reason
    for module, _name in EXPECTED_FAILURES:
        assert module in MODULES
    for (module, name), message in EXPECTED_FAILURES.items():
        assert name in set(task_names(yaml.safe_load(texts[module]))), (module, name)
        assert message
    assert set(SETUP) <= set(MODULES)


class StubServer:
    """What ``variables`` reads of a simulator, for the checks that start none."""
    credentials = {"api_key": "1-" + "k" * 64}


def test_every_variable_of_the_examples_is_in_the_table():
    used = set()
    for module in MODULES:
        used |= set(re.findall(r"\{\{\s*([a-z_][a-z0-9_]*)\s*\}\}", examples_of(module)))
    listed = set(variables(StubServer()))
    assert used == listed


# module -> (simulator profile, why not 25.10)
PROFILE_OF = {
    "truenas_smart_test": ("25.04", "TrueNAS removed SMART tests from its API in 25.10"),
}
CASES = [(PROFILE_OF.get(module, ("25.10", ""))[0], module) for module in MODULES]
# module -> (seconds to wait before the second run, why)
BETWEEN_RUNS = {
    "truenas_smart_test": (3.5, "the first run leaves a LONG self-test running in the background (3 s in the "
                                "simulator); TrueNAS refuses a new self-test on a disk while one runs"),
}


def test_every_module_has_its_examples_run():
    assert set(ALL_MODULES) == set(MODULES) | set(ACCOUNT_MODULES)
    assert (ROOT / OWN_EXAMPLES_TEST).exists()


def test_profile_table_names_modules():
    assert set(PROFILE_OF) <= set(MODULES) and all(reason for _profile, reason in PROFILE_OF.values())
    assert set(BETWEEN_RUNS) <= set(MODULES) and all(reason for _seconds, reason in BETWEEN_RUNS.values())


@pytest.mark.parametrize("sim, module", CASES, indirect=["sim"], ids=["%s-%s" % case for case in CASES])
def test_examples_run_against_the_simulator(sim, run_module, run_playbook, tmp_path, module):
    if module in SETUP:
        SETUP[module](sim, run_module)
    playbook = tmp_path / ("%s-examples.yml" % module)
    playbook.write_text(yaml.safe_dump(example_playbook(module, sim), sort_keys=False))
    env = example_env(sim)
    first = run_playbook(str(playbook), env=env)
    assert first.rc == 0 and first.failed == 0, first.output
    assert first.stats.get("ok", 0) > 0, first.output
    if module in BETWEEN_RUNS:
        time.sleep(BETWEEN_RUNS[module][0])
    again = run_playbook(str(playbook), env=env)
    assert again.rc == 0 and again.failed == 0, "second run:\n%s" % again.output
    secrets = [DISPLAY_PASSWORD, sim.credentials["api_key"], "example-passphrase-of-16+chars"]
    for run in (first, again):
        assert not [s for s in secrets if s in run.output], "a secret in the output of %s" % module
