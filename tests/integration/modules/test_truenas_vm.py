# Copyright (c) nasops contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""truenas_vm, truenas_vm_device and truenas_vm_info against the simulator, on every profile with VMs.

``test_vm_lifecycle_playbook`` runs ``playbooks/vm_lifecycle.yml`` (create with disk, CD-ROM, NIC and
display, idempotent reruns, check mode, CPU/memory update, start/stop/restart with waits, device
removal, delete with zvols) with ansible-playbook; the three profiles run at the same time. The
other tests run single modules and check the simulator's state and call log out of band.
"""

import json
import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from tests.simulator.pytest_plugin import api_key_login_calls, SHARED_OPTIONS
from tests.simulator.server import SimServer

ROOT = Path(__file__).resolve().parents[3]
BIN = Path(sys.executable).parent
PLAYBOOK = ROOT / "tests" / "integration" / "playbooks" / "vm_lifecycle.yml"
PROFILES = ("25.04", "25.10", "26")
SECRET = "Sp1ce-Pa55"

pytestmark = pytest.mark.timeout(240)


class PlaybookRun:
    """One profile's simulator and ansible-playbook run, started in the background."""

    def __init__(self, profile, workdir):
        self.profile = profile
        self.workdir = workdir
        self.state_file = workdir / "state.json"
        self.server = SimServer(profile, state_file=str(self.state_file), **SHARED_OPTIONS).start_background()
        self.result = None
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self):
        extra = self.workdir / "vars.json"
        extra.write_text(json.dumps({
            "sim_url": self.server.url, "sim_api_key": self.server.credentials["api_key"],
            "sim_username": self.server.credentials["username"], "sim_ca": self.server.ca_file,
            "state_file": str(self.state_file), "truenas_version": self.profile, "display_secret": SECRET,
        }))
        link = self.workdir / "collections" / "ansible_collections" / "nasops" / "truenas"
        link.parent.mkdir(parents=True)
        link.symlink_to(ROOT, target_is_directory=True)
        env = dict(os.environ)
        for name in list(env):
            if name.startswith(("TRUENAS_", "ANSIBLE_")):
                del env[name]
        env.update(ANSIBLE_COLLECTIONS_PATH=str(self.workdir / "collections"),
                   ANSIBLE_HOME=str(self.workdir / "ansible-home"), ANSIBLE_NOCOLOR="1",
                   ANSIBLE_LOCALHOST_WARNING="0", ANSIBLE_INVENTORY_UNPARSED_WARNING="0",
                   ANSIBLE_PYTHON_INTERPRETER=sys.executable)
        proc = subprocess.run([str(BIN / "ansible-playbook"), str(PLAYBOOK), "-e", "@%s" % extra],
                              cwd=self.workdir, env=env, capture_output=True, text=True, timeout=220, check=False)
        self.result = (proc.returncode, proc.stdout + proc.stderr)

    def wait(self):
        self.thread.join(230)
        return self.result

    def stop(self):
        self.server.stop_background()


@pytest.fixture(scope="module")
def playbook_runs(request, tmp_path_factory):
    """Start the playbook on every selected profile at once; each test waits for its own."""
    selected = [item.callspec.params["profile"] for item in request.session.items
                if getattr(item, "originalname", None) == "test_vm_lifecycle_playbook" and hasattr(item, "callspec")]
    runs = {}
    for profile in [p for p in PROFILES if p in selected]:
        run = PlaybookRun(profile, tmp_path_factory.mktemp("vm-%s" % profile))
        run.server.reset_counters()
        runs[profile] = run
    for run in runs.values():
        run.thread.start()
    yield runs
    for run in runs.values():
        run.wait()
        run.stop()


@pytest.mark.parametrize("profile", PROFILES)
def test_vm_lifecycle_playbook(profile, playbook_runs):
    run = playbook_runs[profile]
    rc, output = run.wait()
    assert rc == 0, output
    assert "failed=0" in output and "ignored=2" in output
    assert SECRET not in output
    assert run.server.credentials["api_key"] not in output

    # Out of band: exactly the mutating calls the steps need reached TrueNAS; check-mode runs,
    # idempotent runs and refused input made none.
    assert len(run.server.calls("vm.create")) == 1
    assert len(run.server.calls("vm.update")) == 2
    assert len(run.server.calls("vm.start")) == 1
    assert len(run.server.calls("vm.restart")) == 1
    assert len(run.server.calls("vm.stop")) == 1
    assert len(run.server.calls("vm.delete")) == 1
    assert len(run.server.calls("vm.random_mac")) == 1
    assert len(run.server.calls("vm.device.create")) == (4 if profile == "25.04" else 5)
    assert len(run.server.calls("vm.device.delete")) == 2
    assert run.server.state_dump("vms") == {}


# ---- single module runs on the shared simulator ------------------------------------------------

VM = {"name": "perf", "memory": 1024, "devices": [
    {"dtype": "DISK", "zvol": "tank/vms/perf_root", "create_zvol": True, "size": "1G"},
    {"dtype": "CDROM", "path": "/mnt/tank/isos/talos-1.8.iso"},
    {"dtype": "NIC", "nic_attach": "br0"},
    {"dtype": "DISPLAY", "display_password": SECRET, "bind": "0.0.0.0"},
]}


def test_unchanged_run_costs_one_query(sim, run_module):
    created = run_module("truenas_vm", VM)
    assert created["changed"] is True, created
    sim.reset_counters()
    rerun = run_module("truenas_vm", VM)
    assert rerun["changed"] is False, rerun
    assert [c["method"] for c in sim.calls()] == api_key_login_calls(sim.profile) + ["system.version_short", "vm.query"]
    assert SECRET not in json.dumps(rerun) and SECRET not in rerun["_stderr"]


def test_failed_device_rolls_back_the_new_vm(sim, run_module):
    # A display port another VM's display uses: only TrueNAS finds that, when the device is added.
    other = run_module("truenas_vm", {"name": "other", "memory": 512, "devices": [
        {"dtype": "DISPLAY", "display_password": SECRET, "display_port": 5950, "web_port": 5951}]})
    assert other["changed"] is True, other
    args = {"name": "half", "memory": 1024, "devices": [
        {"dtype": "DISK", "zvol": "tank/vms/half_root", "create_zvol": True, "size": "1G"},
        {"dtype": "DISPLAY", "display_password": SECRET, "display_port": 5950, "web_port": 5960}]}
    result = run_module("truenas_vm", args)
    assert result["failed"] is True
    assert result["changed"] is False
    assert result["msg"] == ("Failed to add SPICE display to VM 'half' (rolled back: the VM 'half' this task created was "
                             "deleted again): devices[1].display_port: Specified display port(5950) is already in use "
                             "by another Display device")
    assert result["error"]["errors"][0]["option"] == "devices[1].display_port"
    assert [vm["name"] for vm in sim.state_dump("vms").values()] == ["other"]
    assert [d["attributes"]["dtype"] for d in sim.state_dump("vm_devices").values()] == ["DISPLAY"]
    assert "tank/vms/half_root" not in sim.state_dump("datasets")
    assert [c["params"][1] for c in sim.calls("vm.delete")] == [{"zvols": False, "force": True}]
    assert SECRET not in json.dumps(result)


@pytest.mark.parametrize("check", [False, True])
def test_missing_iso_on_create_creates_no_vm(sim, run_module, check):
    sim.reset_counters()
    result = run_module("truenas_vm", {"name": "noiso", "memory": 1024, "state": "started", "devices": [
        {"dtype": "DISK", "zvol": "tank/vms/noiso_root", "create_zvol": True, "size": "1G"},
        {"dtype": "CDROM", "path": "/mnt/tank/isos/missing.iso"},
        {"dtype": "NIC", "nic_attach": "br0"}]}, check=check)
    assert result["failed"] is True
    assert result["changed"] is False
    assert result["msg"] == ("devices[1].path: the ISO file /mnt/tank/isos/missing.iso does not exist on the TrueNAS; "
                             "upload it first or correct the path")
    assert "vm" not in result
    assert sim.state_dump("vms") == {}
    assert sim.state_dump("vm_devices") == {}
    assert "tank/vms/noiso_root" not in sim.state_dump("datasets")
    methods = [c["method"] for c in sim.calls()]
    assert "vm.create" not in methods
    # Devices are checked in list order: the disk's zvol parent and block size, then the ISO file.
    assert methods == api_key_login_calls(sim.profile) + [
        "system.version_short", "vm.query", "pool.dataset.query", "pool.dataset.recommended_zvol_blocksize",
        "filesystem.stat"]
    assert sim.calls("filesystem.stat")[0]["params"] == ["/mnt/tank/isos/missing.iso"]


def test_missing_iso_on_an_existing_vm_changes_nothing(sim, run_module):
    assert run_module("truenas_vm", VM)["changed"] is True
    before = sim.state_dump()
    result = run_module("truenas_vm", dict(VM, memory=2048, devices=VM["devices"] + [
        {"dtype": "CDROM", "path": "/mnt/tank/isos/missing.iso"}]))
    assert result["failed"] is True
    assert result["changed"] is False
    assert result["msg"].startswith("devices[4].path: the ISO file /mnt/tank/isos/missing.iso does not exist")
    device = run_module("truenas_vm_device", {"vm": "perf", "dtype": "CDROM", "path": "/mnt/tank/isos/gone.iso"})
    assert device["failed"] is True
    assert device["msg"] == ("path: the ISO file /mnt/tank/isos/gone.iso does not exist on the TrueNAS; upload it "
                             "first or correct the path")
    assert sim.state_dump("vms") == before["vms"]
    assert sim.state_dump("vm_devices") == before["vm_devices"]
    assert sim.calls("vm.update") == [] and len(sim.calls("vm.device.create")) == 4


def test_iso_that_exists_is_added_to_an_existing_vm(sim, run_module):
    assert run_module("truenas_vm", {"name": "cd", "memory": 512})["changed"] is True
    result = run_module("truenas_vm_device", {"vm": "cd", "dtype": "CDROM", "path": "/mnt/tank/isos/ubuntu-24.04.iso"})
    assert result["changed"] is True, result
    assert [d["attributes"] for d in sim.state_dump("vm_devices").values()] == [
        {"dtype": "CDROM", "path": "/mnt/tank/isos/ubuntu-24.04.iso"}]
    assert sim.calls("filesystem.stat")[-1]["params"] == ["/mnt/tank/isos/ubuntu-24.04.iso"]


def test_zvol_bigger_than_the_pool_is_refused_before_anything_changes(sim, run_module):
    result = run_module("truenas_vm", {"name": "huge", "memory": 1024, "devices": [
        {"dtype": "DISK", "zvol": "tank/vms/huge", "create_zvol": True, "size": "100T"}]})
    assert result["failed"] is True
    assert result["msg"].startswith("devices[0].size: 100 TiB is more than 80% of the ")
    assert sim.calls("vm.create") == []


@pytest.mark.sim_profiles("25.10")
def test_guest_ignoring_acpi(sim, sim_client, run_module):
    created = run_module("truenas_vm", {"name": "stubborn", "memory": 512, "shutdown_timeout": 5, "state": "started"})
    assert created["vm"]["status"]["state"] == "RUNNING"
    client = sim_client(sim, login=True)
    client.request("test.vm_guest_behaviour", created["vm"]["id"], {"ignores_acpi": True})

    stuck = run_module("truenas_vm", {"name": "stubborn", "state": "stopped", "wait_timeout": 1})
    assert stuck["failed"] is True
    assert stuck["changed"] is True
    assert "set force_after_timeout: true" in stuck["msg"]
    assert client.request("vm.status", created["vm"]["id"])["state"] == "RUNNING"

    forced = run_module("truenas_vm", {"name": "stubborn", "state": "stopped", "force_after_timeout": True})
    assert forced["changed"] is True
    assert forced["vm"]["status"]["state"] == "STOPPED"
    assert client.request("vm.status", created["vm"]["id"])["state"] == "STOPPED"
    assert [c["params"][1] for c in sim.calls("vm.stop")] == [
        {"force": False, "force_after_timeout": False}, {"force": False, "force_after_timeout": True}]


@pytest.mark.sim_profiles("25.04", "26")
def test_secure_boot_update_depends_on_the_version(sim, run_module):
    assert run_module("truenas_vm", {"name": "sb", "memory": 512})["changed"] is True
    result = run_module("truenas_vm", {"name": "sb", "enable_secure_boot": True, "bootloader_ovmf": "OVMF_CODE_4M.secboot.fd",
                                       "arch_type": "x86_64", "machine_type": "pc-q35-6.2"})
    vm = [v for v in sim.state_dump("vms").values() if v["name"] == "sb"][0]
    if sim.profile.name == "25.04":
        assert result["changed"] is True, result
        assert vm["enable_secure_boot"] is True
    else:
        assert result["failed"] is True
        assert result["msg"].startswith("bootloader_ovmf: cannot be changed on the existing VM 'sb' on TrueNAS 26")
        assert vm["enable_secure_boot"] is False
