# Copyright (c) nasops contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The VM descriptor of ``_resources/vm.py``: value parsing, limits, normalising, info helpers and
error translation, without a module around it."""

import pytest

from ansible_collections.nasops.truenas.plugins.module_utils._compare import OptionError
from ansible_collections.nasops.truenas.plugins.module_utils._resources import vm as vmres
from ansible_collections.nasops.truenas.plugins.module_utils._resources.vm_device import parse_device

ENTRY = {
    "id": 3, "name": "web", "description": "", "vcpus": 1, "cores": 2, "threads": 1, "memory": 2048,
    "min_memory": None, "cpu_mode": "CUSTOM", "cpu_model": None, "bootloader": "UEFI",
    "bootloader_ovmf": "OVMF_CODE_4M.fd", "enable_secure_boot": False, "trusted_platform_module": False,
    "autostart": True, "time": "LOCAL", "shutdown_timeout": 90, "arch_type": None, "machine_type": None,
    "command_line_args": "", "hide_from_msr": False, "ensure_display_device": True, "uuid": "u-1",
    "cpuset": None, "suspend_on_snapshot": False, "display_available": True,
    "status": {"state": "RUNNING", "pid": 12, "domain_state": "RUNNING"},
    "devices": [
        {"id": 7, "vm": 3, "order": 1002, "attributes": {
            "dtype": "DISPLAY", "type": "VNC", "port": 5900, "web_port": 5901, "bind": "0.0.0.0",
            "password": "pw", "web": False, "resolution": "1024x768", "wait": False}},
        {"id": 8, "vm": 3, "order": 1000, "attributes": {"dtype": "CDROM", "path": "/mnt/tank/a.iso"}},
    ],
}


@pytest.mark.parametrize("value, mib", [
    (4096, 4096), ("4096", 4096), ("4G", 4096), ("4 GiB", 4096), ("512MiB", 512), ("1.5G", 1536), (20, 20),
    ("20480K", 20),
])
def test_parse_mib(value, mib):
    assert vmres.parse_mib(value) == mib


@pytest.mark.parametrize("value, message", [
    (19, "must be at least 20 MiB, got 19 MiB"),
    ("1M", "must be at least 20 MiB, got 1 MiB"),
    ("100K", "'100K' is not a whole number of MiB"),
    (True, "expected a size in MiB or such as 4G, got True"),
    ("-1G", "size must not be negative, got '-1G'"),
    # A bare number means MiB here, so the message must not speak of bytes.
    ("4 gigs", "'4 gigs' is not a valid size: use a number of MiB, or a size such as 4G or 512MiB"),
    ("4.5", "'4.5' is not a valid size: use a number of MiB, or a size such as 4G or 512MiB"),
    ([4], "[4] is not a valid size: use a number of MiB, or a size such as 4G or 512MiB"),
])
def test_parse_mib_errors(value, message):
    with pytest.raises(ValueError) as err:
        vmres.parse_mib(value)
    assert str(err.value) == message


def test_other_parsers():
    assert vmres.parse_min_memory(0) is None
    assert vmres.parse_min_memory("0") is None
    assert vmres.parse_min_memory("1G") == 1024
    assert vmres.parse_shutdown_timeout(5) == 5
    assert vmres.parse_shutdown_timeout(300) == 300
    with pytest.raises(ValueError):
        vmres.parse_shutdown_timeout(301)
    with pytest.raises(ValueError):
        vmres.parse_count(0)
    assert vmres.parse_command_line("-cpu host,+x2apic -smbios 'type=1,serial=a b'") == \
        "-cpu host,+x2apic -smbios 'type=1,serial=a b'"
    assert vmres.optional_text("") is None
    assert vmres.optional_text("Haswell") == "Haswell"
    assert vmres.parse_name("k8s_cp_1") == "k8s_cp_1"
    with pytest.raises(ValueError):
        vmres.parse_name("web.example")


def test_limits():
    vmres.VmResource._check_limits({"vcpus": 255})
    vmres.VmResource._check_limits({"vcpus": 5, "cores": 51})
    with pytest.raises(OptionError) as err:
        vmres.VmResource._check_limits({"cores": 16, "threads": 16})
    assert err.value.option == "vcpus"
    vmres.VmResource._check_limits({"memory": 1024, "min_memory": 1024})
    with pytest.raises(OptionError) as err:
        vmres.VmResource._check_limits({"memory": 1024, "min_memory": 1025})
    assert str(err.value) == "min_memory: 1025 MiB is more than memory (1024 MiB)"


def test_normalize_and_info():
    vm = vmres.vm_info(ENTRY)
    assert vm["id"] == 3 and vm["memory"] == 2048 and vm["uuid"] == "u-1"
    assert "cpuset" not in vm and "suspend_on_snapshot" not in vm
    assert vm["status"]["state"] == "RUNNING"
    assert vm["devices"] == [
        {"id": 7, "dtype": "DISPLAY", "order": 1002, "type": "VNC", "display_port": 5900, "web_port": 5901,
         "bind": "0.0.0.0", "display_password": "pw", "web": False, "resolution": "1024x768", "wait": False},
        {"id": 8, "dtype": "CDROM", "order": 1000, "path": "/mnt/tank/a.iso"},
    ]
    assert vm["displays"] == [{"type": "VNC", "port": 5900, "web_port": 5901, "bind": "0.0.0.0", "web": False}]
    assert vmres.SECRETS == ("devices.display_password",)
    assert vmres.VmResource().secret_options() == ["devices.display_password"]


def test_info_filters():
    assert vmres.info_filters() == []
    assert vmres.info_filters(name="web") == [["name", "=", "web"]]
    assert vmres.info_filters(name_prefix="k8s_") == [["name", "^", "k8s_"]]


def test_desired_parses_devices_with_their_index():
    resource = vmres.VmResource()
    device = dict((name, None) for name in ("dtype", "order", "path", "zvol", "create_zvol", "size", "exists", "boot",
                                            "bus", "logical_sectorsize", "physical_sectorsize", "iotype", "serial",
                                            "nic_attach", "mac", "type", "trust_guest_rx_filters", "display_port",
                                            "web_port", "bind", "display_password", "web", "resolution", "wait",
                                            "pptdev", "usb", "device", "controller_type"))
    params = {"name": "web", "memory": "1G", "devices": [
        dict(device, dtype="CDROM", path="/mnt/tank/a.iso", state="present", update_password="always"),
        dict(device, dtype="NIC", mac="bad", state="present", update_password="always")]}
    with pytest.raises(OptionError) as err:
        resource.desired(params)
    assert err.value.option == "devices[1].mac"
    params["devices"].pop()
    desired = resource.desired(params)
    assert desired == {"name": "web", "memory": 1024}
    assert [spec.describe() for spec in resource.specs] == ["CDROM '/mnt/tank/a.iso'"]


def test_option_for_follows_the_device_call():
    resource = vmres.VmResource()
    assert resource.option_for("vm_update.memory") == "memory"
    assert resource.option_for("vm_create.cpu_model") == "cpu_model"
    resource.device_call = parse_device(dict(dtype="DISPLAY", display_password="x", update_password="always"),
                                        "devices[4].")
    assert resource.option_for("attributes.port") == "devices[4].display_port"
    assert resource.option_for("vm_device_create.attributes.DISPLAY.bind") == "devices[4].bind"
