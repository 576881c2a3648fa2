# Copyright (c) nasops contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""truenas_vm_device through the fake client and the in-memory TrueNAS of test_truenas_vm."""

import json

import pytest

from ansible_collections.nasops.truenas.plugins.module_utils._errors import TrueNASTimeoutError
from ansible_collections.nasops.truenas.plugins.modules import truenas_vm_device

from .test_truenas_vm import (
    GIB,
    RUNNING,
    SECRET,
    SUSPENDED,
    FakeTrueNAS,
    call_error,
    mutations,
    seed_web,
    validation_error,
    warning_texts,
)

MAIN = truenas_vm_device.main


@pytest.fixture
def nas(fake_client):
    backend = FakeTrueNAS(fake_client)
    seed_web(backend)
    return backend


def test_add_disk_on_a_new_zvol(run_module, nas, fake_client):
    result = run_module(MAIN, {"vm": "web", "dtype": "DISK", "zvol": "tank/vms/data", "create_zvol": True,
                               "size": "3G", "bus": "VIRTIO", "order": 1005})
    assert result["changed"] is True
    assert fake_client.methods == ["vm.query", "pool.dataset.query", "pool.dataset.recommended_zvol_blocksize",
                                   "vm.device.create", "vm.device.query"]
    assert fake_client.calls_to("pool.dataset.query")[0].params == [
        [["id", "in", ["tank/vms/data", "tank/vms"]]],
        {"extra": {"retrieve_children": False, "properties": ["available", "volsize"]}}]
    assert fake_client.calls_to("vm.device.create")[0].params == [{
        "vm": 1, "order": 1005, "attributes": {"dtype": "DISK", "type": "VIRTIO", "create_zvol": True,
                                               "zvol_name": "tank/vms/data", "zvol_volsize": 3 * GIB}}]
    assert result["device"] == {
        "id": 5, "vm": "web", "vm_id": 1, "dtype": "DISK", "order": 1005, "path": "/dev/zvol/tank/vms/data",
        "zvol": "tank/vms/data", "bus": "VIRTIO", "logical_sectorsize": None, "physical_sectorsize": None,
        "iotype": "THREADS", "serial": "SER00005",
    }
    fake_client.calls.clear()
    rerun = run_module(MAIN, {"vm": "web", "dtype": "DISK", "zvol": "tank/vms/data", "create_zvol": True,
                              "size": "3G", "bus": "VIRTIO", "order": 1005})
    assert rerun["changed"] is False
    assert fake_client.methods == ["vm.query"]


def test_nic_gets_a_stored_mac(run_module, nas, fake_client):
    result = run_module(MAIN, {"vm": "web", "dtype": "NIC", "nic_attach": "br1"})
    assert result["changed"] is True
    assert fake_client.calls_to("vm.device.create")[0].params == [
        {"vm": 1, "attributes": {"dtype": "NIC", "nic_attach": "br1", "mac": "00:a0:98:00:00:01"}}]
    assert result["device"]["mac"] == "00:a0:98:00:00:01"
    fake_client.calls.clear()
    assert run_module(MAIN, {"vm": "web", "dtype": "NIC", "nic_attach": "br1"})["changed"] is False
    assert "vm.random_mac" not in fake_client.methods


def test_nic_by_mac_updates_attachment(run_module, nas, fake_client):
    result = run_module(MAIN, {"vm": "web", "dtype": "NIC", "mac": "00A098AABBCC", "nic_attach": "br1"}, diff=True)
    assert result["changed"] is True
    assert fake_client.calls_to("vm.device.update")[0].params == [3, {"attributes": {"nic_attach": "br1"}}]
    assert result["diff"]["before"]["nic_attach"] == "br0"
    assert result["diff"]["after"]["nic_attach"] == "br1"
    assert result["diff"]["after"]["mac"] == "00:a0:98:aa:bb:cc"


def test_ambiguous_nic_needs_a_mac(run_module, nas, fake_client):
    run_module(MAIN, {"vm": "web", "dtype": "NIC", "mac": "00:a0:98:00:11:22", "nic_attach": "br0"})
    result = run_module(MAIN, {"vm": "web", "dtype": "NIC", "nic_attach": "br0", "type": "E1000"})
    assert result["failed"] is True
    assert result["msg"] == "nic_attach: 2 NIC devices of VM 'web' match nic_attach='br0'; give mac to say which NIC"


def test_display_update_and_password_handling(run_module, nas, fake_client):
    base = {"vm": "web", "dtype": "DISPLAY", "display_password": SECRET}
    assert run_module(MAIN, base)["changed"] is False
    result = run_module(MAIN, dict(base, display_port=5990, resolution="1920x1080"), diff=True)
    assert result["changed"] is True
    assert fake_client.calls_to("vm.device.update")[0].params == [
        4, {"attributes": {"port": 5990, "resolution": "1920x1080"}}]
    assert result["device"]["display_password"] == "********"
    assert result["diff"]["before"]["display_password"] == "********"
    changed = run_module(MAIN, dict(base, display_password="An0ther"), diff=True)
    assert changed["changed"] is True
    assert fake_client.calls_to("vm.device.update")[1].params == [4, {"attributes": {"password": "An0ther"}}]
    assert "An0ther" not in json.dumps(changed) and SECRET not in json.dumps(result)
    kept = run_module(MAIN, dict(base, display_password="Third", update_password="on_create"))
    assert kept["changed"] is False
    assert nas.devices[4]["attributes"]["password"] == "An0ther"


def test_masked_password_warns(run_module, nas, fake_client):
    nas.devices[4]["attributes"]["password"] = "********"
    result = run_module(MAIN, {"vm": "web", "dtype": "DISPLAY", "display_password": "x"})
    assert result["changed"] is False
    assert warning_texts(result) == [
        "VM device SPICE display of VM 'web': TrueNAS returned the display password masked, so it cannot be compared "
        "and was left as it is; connect as a user with the VM_DEVICE_WRITE role to manage it"]


def test_display_needs_a_password_to_be_added(run_module, nas, fake_client):
    result = run_module(MAIN, {"vm": "web", "dtype": "DISPLAY", "type": "VNC", "web": False})
    assert result["failed"] is True
    assert result["msg"] == "display_password: is required to create a DISPLAY device; TrueNAS refuses display devices " \
                            "without one"
    assert mutations(fake_client) == []


def test_port_in_use_names_the_option(run_module, nas, fake_client):
    nas.fail["vm.device.create"] = validation_error("vm.device.create", (
        "attributes.port", "Specified display port(5908) is already in use by another Display device", 22))
    result = run_module(MAIN, {"vm": "web", "dtype": "DISPLAY", "type": "VNC", "display_password": "pw", "web": False,
                               "display_port": 5908})
    assert result["failed"] is True
    assert result["msg"] == ("Failed to create VM device VNC display of VM 'web': display_port: Specified display "
                             "port(5908) is already in use by another Display device")
    assert result["error"]["errors"] == [{"attribute": "attributes.port", "option": "display_port", "errno": 22,
                                          "message": "Specified display port(5908) is already in use by another "
                                                     "Display device"}]


def test_pydantic_error_paths_are_translated(run_module, nas, fake_client):
    nas.fail["vm.device.update"] = validation_error("vm.device.update", (
        "port", "Input should be greater than or equal to 5900", 22))
    result = run_module(MAIN, {"vm": "web", "dtype": "DISPLAY", "display_port": 5999})
    assert result["msg"] == ("Failed to update VM device SPICE display of VM 'web': display_port: Input should be "
                             "greater than or equal to 5900")


def test_serial_cannot_change(run_module, nas, fake_client):
    result = run_module(MAIN, {"vm": "web", "dtype": "DISK", "zvol": "tank/vms/web_root", "serial": "OTHER"})
    assert result["failed"] is True
    assert result["msg"] == (
        "serial: cannot be changed on the existing VM device DISK '/dev/zvol/tank/vms/web_root' of VM 'web' (current "
        "'SER00001', requested 'OTHER'); it can only be set when the VM device is created")


def test_check_mode_add(run_module, nas, fake_client):
    result = run_module(MAIN, {"vm": "web", "dtype": "RAW", "path": "/mnt/tank/vms/disk.img", "size": "1G",
                               "boot": True}, check_mode=True, diff=True)
    assert result["changed"] is True
    assert mutations(fake_client) == []
    assert result["device"] == {"vm": "web", "dtype": "RAW", "path": "/mnt/tank/vms/disk.img", "size": GIB,
                                "boot": True}
    assert result["diff"] == {"before": {}, "after": result["device"]}


def test_raw_resize(run_module, nas, fake_client):
    run_module(MAIN, {"vm": "web", "dtype": "RAW", "path": "/mnt/tank/vms/disk.img", "size": "1G"})
    assert run_module(MAIN, {"vm": "web", "dtype": "RAW", "path": "/mnt/tank/vms/disk.img",
                             "size": 1073741824})["changed"] is False
    result = run_module(MAIN, {"vm": "web", "dtype": "RAW", "path": "/mnt/tank/vms/disk.img", "size": "2G"})
    assert result["changed"] is True
    assert fake_client.calls_to("vm.device.update")[0].params == [5, {"attributes": {"size": 2 * GIB}}]


def test_remove_disk_with_its_zvol(run_module, nas, fake_client):
    result = run_module(MAIN, {"vm": "web", "dtype": "DISK", "zvol": "tank/vms/web_root", "state": "absent",
                               "delete_zvol": True})
    assert result["changed"] is True
    assert result["device"] == {}
    assert fake_client.calls_to("vm.device.delete")[0].params == [1, {"zvol": True, "raw_file": False, "force": False}]
    again = run_module(MAIN, {"vm": "web", "dtype": "DISK", "zvol": "tank/vms/web_root", "state": "absent"})
    assert again["changed"] is False


RUNNING_ARGS = {"vm": "web", "dtype": "CDROM", "path": "/mnt/tank/isos/ubuntu.iso", "state": "absent"}


@pytest.mark.parametrize("check_mode", [False, True])
def test_remove_from_running_vm_fails_before_any_change(run_module, nas, fake_client, check_mode):
    nas.power[1] = dict(RUNNING)
    result = run_module(MAIN, RUNNING_ARGS, check_mode=check_mode)
    assert result["failed"] is True
    assert result["changed"] is False
    assert result["msg"] == (
        "restart_if_needed: is needed to remove CDROM '/mnt/tank/isos/ubuntu.iso' of VM 'web', which is RUNNING: "
        "TrueNAS removes and changes devices only while the VM is stopped. Set restart_if_needed: true to stop the VM, "
        "make the change and start it again, or stop the VM first")
    assert mutations(fake_client) == []
    assert len(nas.devices) == 4


def test_remove_from_running_vm_with_restart_if_needed(run_module, nas, fake_client):
    nas.power[1] = dict(RUNNING)
    result = run_module(MAIN, dict(RUNNING_ARGS, restart_if_needed=True, wait_timeout=30))
    assert not result.get("failed"), result["msg"]
    assert result["changed"] is True
    assert result["power_cycled"] is True
    assert mutations(fake_client) == ["vm.stop", "vm.device.delete", "vm.start"]
    stop = fake_client.calls_to("vm.stop")[0]
    assert stop.params == [1, {"force": False, "force_after_timeout": False}]
    assert stop.job is True
    assert nas.power[1]["state"] == "RUNNING"
    assert [d["attributes"]["dtype"] for d in nas.devices.values()] == ["DISK", "NIC", "DISPLAY"]
    again = run_module(MAIN, dict(RUNNING_ARGS, restart_if_needed=True))
    assert again["changed"] is False
    assert again["power_cycled"] is False


def test_remove_from_running_vm_in_check_mode_predicts_the_power_cycle(run_module, nas, fake_client):
    nas.power[1] = dict(RUNNING)
    result = run_module(MAIN, dict(RUNNING_ARGS, restart_if_needed=True), check_mode=True)
    assert result["changed"] is True
    assert result["power_cycled"] is True
    assert mutations(fake_client) == []


def test_remove_from_suspended_vm_powers_it_off(run_module, nas, fake_client):
    nas.power[1] = dict(SUSPENDED)
    result = run_module(MAIN, dict(RUNNING_ARGS, restart_if_needed=True, wait_timeout=30))
    assert result["changed"] is True
    assert mutations(fake_client) == ["vm.poweroff", "vm.device.delete", "vm.start"]


def test_a_guest_ignoring_the_shutdown_leaves_the_device(run_module, nas, fake_client):
    nas.power[1] = dict(RUNNING)
    nas.stop_leaves_running = True
    result = run_module(MAIN, dict(RUNNING_ARGS, restart_if_needed=True, wait_timeout=1))
    assert result["failed"] is True
    assert "force_after_timeout" in result["msg"]
    assert "vm.device.delete" not in mutations(fake_client)
    assert len(nas.devices) == 4


def test_force_after_timeout_is_passed_to_the_stop(run_module, nas, fake_client):
    nas.power[1] = dict(RUNNING)
    nas.stop_leaves_running = True
    result = run_module(MAIN, dict(RUNNING_ARGS, restart_if_needed=True, force_after_timeout=True, wait_timeout=30))
    assert result["changed"] is True
    assert fake_client.calls_to("vm.stop")[0].params == [1, {"force": False, "force_after_timeout": True}]


def test_change_on_running_vm_needs_restart_if_needed(run_module, nas, fake_client):
    nas.power[1] = dict(RUNNING)
    args = {"vm": "web", "dtype": "NIC", "mac": "00:a0:98:aa:bb:cc", "type": "E1000"}
    result = run_module(MAIN, args)
    assert result["failed"] is True
    assert result["msg"].startswith("restart_if_needed: is needed to change type of NIC '00:a0:98:aa:bb:cc' of VM 'web'")
    assert mutations(fake_client) == []
    result = run_module(MAIN, dict(args, restart_if_needed=True, wait_timeout=30))
    assert result["changed"] is True
    assert mutations(fake_client) == ["vm.stop", "vm.device.update", "vm.start"]
    assert result["device"]["type"] == "E1000"


def test_a_change_without_answer_on_a_stopped_vm_still_starts_it_again(run_module, nas, fake_client):
    """The update took effect but its reply never came: confirmed by reading back, and the VM that
    was stopped for it is started again."""
    nas.power[1] = dict(RUNNING)

    def update(device_id, data):
        nas.device_update(device_id, data)
        raise TrueNASTimeoutError("vm.device.update: no reply within 3 s", method="vm.device.update")

    fake_client.respond("vm.device.update", update)
    args = {"vm": "web", "dtype": "NIC", "mac": "00:a0:98:aa:bb:cc", "type": "E1000", "restart_if_needed": True,
            "wait_timeout": 30}
    result = run_module(MAIN, args)
    assert not result.get("failed"), result["msg"]
    assert result["changed"] is True
    assert result["power_cycled"] is True
    assert mutations(fake_client) == ["vm.stop", "vm.device.update", "vm.start"]
    assert nas.power[1]["state"] == "RUNNING"
    assert any("the update call got no answer" in w for w in warning_texts(result))


@pytest.mark.parametrize("method, args", [
    ("vm.device.update", {"vm": "web", "dtype": "NIC", "mac": "00:a0:98:aa:bb:cc", "type": "E1000"}),
    ("vm.device.delete", RUNNING_ARGS),
])
def test_a_vm_stopped_for_a_failing_device_change_is_started_again(run_module, nas, fake_client, method, args):
    nas.power[1] = dict(RUNNING)
    nas.fail[method] = call_error(method, "device busy")
    result = run_module(MAIN, dict(args, restart_if_needed=True, wait_timeout=30))
    assert result["failed"] is True
    assert result["changed"] is True
    assert "device busy" in result["msg"]
    assert "(the VM, stopped for the change, was started again)" in result["msg"]
    assert mutations(fake_client) == ["vm.stop", method, "vm.start"]
    assert nas.power[1]["state"] == "RUNNING"
    assert len(nas.devices) == 4


def test_a_vm_that_cannot_be_started_again_after_a_failing_change_says_so(run_module, nas, fake_client):
    nas.power[1] = dict(RUNNING)
    nas.fail["vm.device.delete"] = call_error("vm.device.delete", "device busy")
    nas.fail["vm.start"] = call_error("vm.start", "not enough memory")
    result = run_module(MAIN, dict(RUNNING_ARGS, restart_if_needed=True, wait_timeout=30))
    assert result["failed"] is True
    assert "device busy" in result["msg"]
    assert "could not be started again" in result["msg"] and "not enough memory" in result["msg"]
    assert mutations(fake_client) == ["vm.stop", "vm.device.delete", "vm.start"]
    assert nas.power[1]["state"] == "STOPPED"


def test_a_vm_whose_start_after_the_change_fails_is_not_started_twice(run_module, nas, fake_client):
    nas.power[1] = dict(RUNNING)
    nas.fail["vm.start"] = call_error("vm.start", "not enough memory")
    result = run_module(MAIN, dict(RUNNING_ARGS, restart_if_needed=True, wait_timeout=30))
    assert result["failed"] is True
    assert "not enough memory" in result["msg"]
    assert mutations(fake_client) == ["vm.stop", "vm.device.delete", "vm.start"]


def test_adding_to_running_vm_needs_no_stop(run_module, nas, fake_client):
    nas.power[1] = dict(RUNNING)
    result = run_module(MAIN, {"vm": "web", "dtype": "CDROM", "path": "/mnt/tank/isos/x.iso"})
    assert result["changed"] is True
    assert result["power_cycled"] is False
    assert "vm.stop" not in mutations(fake_client)


def test_missing_vm(run_module, nas, fake_client):
    result = run_module(MAIN, {"vm": "nope", "dtype": "CDROM", "path": "/mnt/tank/isos/ubuntu.iso"})
    assert result["failed"] is True
    assert result["msg"] == "vm: no VM named 'nope' exists on this TrueNAS"
    absent = run_module(MAIN, {"vm": "nope", "dtype": "CDROM", "path": "/mnt/tank/isos/ubuntu.iso", "state": "absent"})
    assert absent["changed"] is False


def test_add_cdrom_checks_the_iso_first(run_module, nas, fake_client):
    args = {"vm": "web", "dtype": "CDROM", "path": "/mnt/tank/isos/x.iso"}
    result = run_module(MAIN, args)
    assert result["changed"] is True
    assert fake_client.methods == ["vm.query", "filesystem.stat", "vm.device.create", "vm.device.query"]
    assert fake_client.calls_to("filesystem.stat")[0].params == ["/mnt/tank/isos/x.iso"]
    assert result["device"] == {"id": 5, "vm": "web", "vm_id": 1, "dtype": "CDROM", "order": 1000,
                                "path": "/mnt/tank/isos/x.iso"}
    fake_client.calls.clear()
    del nas.files["/mnt/tank/isos/x.iso"]
    # The device exists: nothing is read beyond the VM, even though the file has gone since.
    assert run_module(MAIN, args)["changed"] is False
    assert fake_client.methods == ["vm.query"]


@pytest.mark.parametrize("check_mode", [False, True])
def test_missing_iso_is_refused_without_a_change(run_module, nas, fake_client, check_mode):
    result = run_module(MAIN, {"vm": "web", "dtype": "CDROM", "path": "/mnt/tank/isos/missing.iso", "order": 999},
                        check_mode=check_mode)
    assert result["failed"] is True
    assert result["changed"] is False
    assert result["msg"] == ("path: the ISO file /mnt/tank/isos/missing.iso does not exist on the TrueNAS; upload it "
                             "first or correct the path")
    assert fake_client.methods == ["vm.query", "filesystem.stat"]
    assert mutations(fake_client) == []
    assert len(nas.devices) == 4


def test_removing_a_cdrom_reads_no_file(run_module, nas, fake_client):
    result = run_module(MAIN, {"vm": "web", "dtype": "CDROM", "path": "/mnt/tank/isos/ubuntu.iso", "state": "absent"})
    assert result["changed"] is True
    assert fake_client.calls_to("filesystem.stat") == []


def test_usb_and_pci(run_module, nas, fake_client):
    usb = run_module(MAIN, {"vm": "web", "dtype": "USB", "usb": {"vendor_id": "0x046D", "product_id": "0xC52B"}},
                     check_mode=True)
    assert usb["device"]["usb"] == {"vendor_id": "0x046d", "product_id": "0xc52b"}
    pci = run_module(MAIN, {"vm": "web", "dtype": "PCI"})
    assert pci["msg"] == "pptdev: is required for a PCI device (a passthrough device id such as pci_0000_01_00_0)"


@pytest.mark.parametrize("args, message", [
    ({"dtype": "DISK", "zvol": "tank/vms/x", "display_port": 5900, "bind": "0.0.0.0"},
     "display_port, bind: are not options for DISK devices; a DISK device takes path, zvol, create_zvol, size, bus, "
     "logical_sectorsize, physical_sectorsize, iotype, serial"),
    ({"dtype": "NIC", "update_password": "on_create"},
     "update_password: is not an option for NIC devices; a NIC device takes nic_attach, mac, type, "
     "trust_guest_rx_filters"),
    ({"dtype": "NIC", "type": "SPICE"}, "type: a NIC device's type is one of E1000, VIRTIO, got SPICE"),
    ({"dtype": "NIC", "mac": "ff:00:00:00:00:01"},
     "mac: ff:00:00:00:00:01 starts with ff (a broadcast/multicast prefix), which TrueNAS refuses"),
    ({"dtype": "DISK", "path": "/mnt/tank/disk.img"},
     "path: a DISK device uses a zvol: the path must start with /dev/zvol/, got '/mnt/tank/disk.img'; use a RAW "
     "device for image files"),
    ({"dtype": "DISK", "zvol": "tank/vms/x", "size": "1G"},
     "size: is only used with create_zvol: true; the size of an existing zvol is managed with its dataset"),
    ({"dtype": "DISK", "zvol": "tank/vms/x", "create_zvol": True},
     "size: is required with create_zvol: true (the size of the new zvol, such as 20G)"),
    ({"dtype": "CDROM", "path": "ubuntu.iso"},
     "path: must be a file inside a pool, such as /mnt/tank/isos/installer.iso, got 'ubuntu.iso'"),
    ({"dtype": "DISPLAY", "display_port": 80, "display_password": "x"}, "display_port: must be between 5900 and 65535, got 80"),
    ({"dtype": "CDROM", "path": "/mnt/tank/a.iso", "delete_zvol": True}, "delete_zvol: only applies to DISK devices"),
])
def test_bad_input(run_module, nas, fake_client, args, message):
    result = run_module(MAIN, dict({"vm": "web"}, **args))
    assert result["failed"] is True
    assert result["msg"] == message
    assert fake_client.calls == []


def test_vnc_on_25_04(run_module, nas, fake_client):
    fake_client.set_version("25.04.2.6")
    result = run_module(MAIN, {"vm": "web", "dtype": "DISPLAY", "type": "VNC", "display_password": "pw", "web": False})
    assert result["msg"] == "type: VNC displays are not supported by TrueNAS 25.04.2.6; it supports SPICE"
    assert mutations(fake_client) == []
