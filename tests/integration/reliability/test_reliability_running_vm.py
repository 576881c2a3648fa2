# Copyright (c) nasops contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Removing and changing devices of a running VM, against the simulator (which, like TrueNAS,
refuses to remove a device of a running VM).

The ``truenas_vm`` examples run in order: create and start, more memory, then drop the ISO while
the VM runs. Without ``restart_if_needed`` the change fails before anything is changed (check mode
says so too); with it the VM is stopped, changed and started again. ``truenas_vm_device`` "Detach
the ISO" behaves the same.
"""

import pytest

pytestmark = pytest.mark.timeout(300)

ISO = "/mnt/tank/isos/talos-1.8.iso"
DEVICES = [
    {"dtype": "DISK", "zvol": "tank/vms/runvm-root", "create_zvol": True, "size": "1G", "bus": "VIRTIO"},
    {"dtype": "CDROM", "path": ISO},
    {"dtype": "NIC", "nic_attach": "br0", "type": "VIRTIO"},
    {"dtype": "DISPLAY", "type": "SPICE", "bind": "0.0.0.0", "display_password": "run-vm-display"},
]
KEEP = [
    {"dtype": "DISK", "zvol": "tank/vms/runvm-root"},
    {"dtype": "NIC", "nic_attach": "br0"},
    {"dtype": "DISPLAY", "type": "SPICE", "display_password": "run-vm-display"},
]
MUTATING = ("vm.update", "vm.stop", "vm.start", "vm.restart", "vm.poweroff", "vm.device.delete", "vm.device.update",
            "vm.device.create")


@pytest.fixture(scope="module")
def vm_sim(tmp_path_factory):
    from tests.bench import harness

    sim = harness.Simulator(str(tmp_path_factory.mktemp("running-vm")), job_duration=0.05)
    sim.start()
    yield sim
    sim.stop()


@pytest.fixture
def running(vm_sim, module_quick):
    """A fresh simulator with the example VM created and running (the first two examples)."""
    vm_sim.reset()
    created = module_quick(vm_sim, "truenas_vm", {"name": "runvm", "memory": "1G", "state": "started",
                                                  "devices": DEVICES})
    assert not created.failed, created.result["msg"]
    more = module_quick(vm_sim, "truenas_vm", {"name": "runvm", "memory": 2048, "restart_if_needed": True})
    assert not more.failed, more.result["msg"]
    vm_sim.reset_counters()
    return vm_sim


def state_of(sim):
    (vm,) = sim.objects("vms", name="runvm")
    return sim.state("vm_runtime")[str(vm["id"])]["state"]


def dtypes(sim):
    (vm,) = sim.objects("vms", name="runvm")
    return sorted(d["attributes"]["dtype"] for d in sim.state("vm_devices").values() if d["vm"] == vm["id"])


def mutations(sim):
    return [m for m in MUTATING for _call in sim.calls(m)]


@pytest.mark.parametrize("check", [False, True])
def test_dropping_the_iso_of_a_running_vm_fails_before_any_change(running, module_quick, check):
    run = module_quick(running, "truenas_vm", {"name": "runvm", "purge_devices": True, "devices": KEEP}, check=check)
    assert run.failed
    assert run.changed is False
    assert run.result["msg"].startswith("restart_if_needed: is needed to remove CDROM '%s' of VM 'runvm', which is "
                                        "RUNNING" % ISO)
    assert "set restart_if_needed: true" in run.result["msg"].lower()
    assert mutations(running) == []
    assert dtypes(running) == ["CDROM", "DISK", "DISPLAY", "NIC"]


def test_dropping_the_iso_of_a_running_vm_with_restart_if_needed(running, module_quick):
    args = {"name": "runvm", "purge_devices": True, "restart_if_needed": True, "force_after_timeout": True,
            "devices": KEEP}
    check = module_quick(running, "truenas_vm", args, check=True)
    assert not check.failed, check.result["msg"]
    assert check.changed is True and check.result["power_cycled"] is True
    assert mutations(running) == []

    run = module_quick(running, "truenas_vm", args)
    assert not run.failed, run.result["msg"]
    assert run.changed is True
    assert run.result["power_cycled"] is True
    assert run.result["restart_required"] is False
    assert run.result["vm"]["status"]["state"] == "RUNNING"
    assert state_of(running) == "RUNNING"
    assert dtypes(running) == ["DISK", "DISPLAY", "NIC"]
    assert mutations(running) == ["vm.stop", "vm.start", "vm.device.delete"]   # grouped by method

    again = module_quick(running, "truenas_vm", args)
    assert not again.failed, again.result["msg"]
    assert again.changed is False


def test_detaching_the_iso_with_truenas_vm_device(running, module_quick):
    args = {"vm": "runvm", "dtype": "CDROM", "path": ISO, "state": "absent"}
    refused = module_quick(running, "truenas_vm_device", args)
    assert refused.failed and refused.changed is False
    assert refused.result["msg"].startswith("restart_if_needed: is needed to remove CDROM")
    refused_check = module_quick(running, "truenas_vm_device", args, check=True)
    assert refused_check.failed
    assert mutations(running) == []

    run = module_quick(running, "truenas_vm_device", dict(args, restart_if_needed=True, force_after_timeout=True))
    assert not run.failed, run.result["msg"]
    assert run.changed is True
    assert run.result["power_cycled"] is True
    assert state_of(running) == "RUNNING"
    assert dtypes(running) == ["DISK", "DISPLAY", "NIC"]
