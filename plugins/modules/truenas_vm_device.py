#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) nasops contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r"""
module: truenas_vm_device
short_description: Manage the devices of a virtual machine on TrueNAS SCALE
version_added: 0.1.0
description:
  - Add, update and remove one device (disk, CD-ROM, network card, display, raw file, PCI or USB passthrough) of a
    virtual machine on TrueNAS SCALE 25.04 (25.04.2 and later), 25.10 and 26.
  - The device is attached to the VM named O(vm). Among the devices of that VM it is identified by its O(dtype) and
    one key per type. V(DISK), V(RAW) and V(CDROM) by their path (a zvol name in O(zvol) means the path
    C(/dev/zvol/<zvol>)). V(NIC) by O(mac), or by O(nic_attach) when no MAC is given. V(DISPLAY) by its O(type).
    V(PCI) by O(pptdev). V(USB) by O(device), or by O(usb) when no device is given.
  - Each type takes its own options; an option that does not belong to the type is refused with a clear message.
    Options that are not set are left as they are on an existing device; a new device gets the TrueNAS defaults.
  - To manage all devices of a VM in one task, use the O(nasops.truenas.truenas_vm#module:devices) option of
    M(nasops.truenas.truenas_vm), which takes the same options per device.
author:
  - nasops maintainers (@nasops)
extends_documentation_fragment:
  - nasops.truenas.connection
  - nasops.truenas.attributes
  - nasops.truenas.attributes.actiongroup
attributes:
  check_mode:
    details:
      - Values TrueNAS computes when a device is created (a generated MAC address, serial number or display port)
        are not known in check mode.
options:
  vm:
    description:
      - Name of the virtual machine the device belongs to. The VM must exist, except with O(state=absent).
    type: str
    required: true
  state:
    description:
      - V(present) adds the device or updates it to match the options given.
      - V(absent) removes the device if it exists. TrueNAS refuses to remove a device while its VM is running; see
        O(restart_if_needed).
    type: str
    choices: [present, absent]
    default: present
  dtype:
    description:
      - Type of the device.
      - V(DISK) is a zvol, V(RAW) a disk image file, V(CDROM) an ISO image, V(NIC) a network card, V(DISPLAY) a SPICE
        or VNC display, V(PCI) a PCI passthrough device and V(USB) a USB passthrough device.
    type: str
    required: true
    choices: [DISK, CDROM, NIC, DISPLAY, RAW, PCI, USB]
  order:
    description:
      - Boot and bus order of the device among the VM's devices; lower comes first.
      - TrueNAS moves other devices of the VM whose order is taken. Without it TrueNAS reports 1000 for CD-ROMs,
        1001 for disks and raw files, and 1002 for the rest.
    type: int
  path:
    description:
      - V(DISK) (instead of O(zvol)) the zvol device path, which starts with C(/dev/zvol/).
      - V(RAW) the path of the image file, inside a pool (C(/mnt/...)).
      - V(CDROM) the path of the ISO image, inside a pool (C(/mnt/...)). The file must exist on the TrueNAS; before a
        CD-ROM is added (also in check mode) the module checks that it does, and a missing file fails the task naming
        O(path) without any change.
      - Identifies V(DISK), V(RAW) and V(CDROM) devices.
    type: str
  zvol:
    description:
      - V(DISK) only. Name of the zvol, such as V(tank/vms/web); the device path is C(/dev/zvol/<zvol>).
      - Cannot be combined with O(path).
    type: str
  create_zvol:
    description:
      - V(DISK) only. Create the zvol O(zvol) of size O(size) when the device is added.
      - If a zvol of that name exists already, it is attached as it is. Its parent dataset must exist.
      - Used only when the device is added, so it never reports a difference on an existing device.
    type: bool
  size:
    description:
      - V(DISK) with O(create_zvol=true) the size of the new zvol, in bytes or as a human size such as V(20G)
        (binary units). It is rounded up to the block size TrueNAS chooses for the pool. A size over 80% of the free
        space of the parent dataset is refused, as TrueNAS does. It is used only when the zvol is created; grow an
        existing zvol with M(nasops.truenas.truenas_dataset).
      - V(RAW) the size of the image file. Required to create a new file; a different size resizes the file.
    type: raw
  exists:
    description:
      - V(RAW) only. V(true) when the image file O(path) exists already; V(false) (the TrueNAS default) lets TrueNAS
        create it with O(size). Used only when the device is added.
    type: bool
  boot:
    description:
      - V(RAW) only. Boot from this image file.
    type: bool
  bus:
    description:
      - V(DISK) and V(RAW). The emulated disk controller (the C(type) attribute of the TrueNAS API).
        TrueNAS uses V(AHCI) by default; V(VIRTIO) is faster but needs VirtIO drivers in the guest.
    type: str
    choices: [AHCI, VIRTIO]
  logical_sectorsize:
    description:
      - V(DISK) and V(RAW). Logical sector size presented to the guest; unset lets TrueNAS choose.
    type: int
    choices: [512, 4096]
  physical_sectorsize:
    description:
      - V(DISK) and V(RAW). Physical sector size presented to the guest. Needs O(logical_sectorsize).
    type: int
    choices: [512, 4096]
  iotype:
    description:
      - V(DISK) and V(RAW). I/O mode of the disk; TrueNAS uses V(THREADS) by default.
    type: str
    choices: [NATIVE, THREADS, IO_URING]
  serial:
    description:
      - V(DISK) and V(RAW). Serial number shown to the guest. TrueNAS generates one when the device is added; it
        cannot be changed afterwards, so a different value on an existing device is an error.
    type: str
  nic_attach:
    description:
      - V(NIC) only. Host interface or bridge the network card is attached to, such as V(br0). Unset means the
        interface of the default route, chosen when the VM starts.
      - An interface or bridge TrueNAS does not have is refused with the list of those it has (on TrueNAS 26 the
        bridges and the parent interfaces of MACVLAN NICs).
      - Identifies the NIC when O(mac) is not given.
    type: str
  mac:
    description:
      - V(NIC) only. MAC address of the network card, six hex pairs such as V(00:a0:98:12:34:56) (also written with
        dashes or without separators; compared case-insensitively). Multicast addresses are refused.
      - When a NIC is added without a MAC, the module asks TrueNAS for a random one (C(vm.random_mac)) and stores it,
        because TrueNAS would otherwise draw a new MAC every time the VM starts. Later runs keep that MAC.
    type: str
  type:
    description:
      - V(NIC) the emulated network card, V(E1000) (the TrueNAS default) or V(VIRTIO).
      - V(DISPLAY) the display protocol, V(SPICE) (the default) or V(VNC). VNC needs TrueNAS 25.10 or later.
        It identifies the display, as a VM can have one SPICE and one VNC display.
    type: str
    choices: [E1000, VIRTIO, SPICE, VNC]
  trust_guest_rx_filters:
    description:
      - V(NIC) only. Let the guest change the receive filters (for example for multicast). Needs O(type=VIRTIO) and
        an O(nic_attach) that is not a bridge.
    type: bool
  display_port:
    description:
      - V(DISPLAY) only. TCP port of the display (the C(port) attribute of the TrueNAS API), 5900 to 65535. Unset
        lets TrueNAS pick a free port when the display is added. A port used by another display is refused.
    type: int
  web_port:
    description:
      - V(DISPLAY) only. TCP port of the web client, 5900 to 65535, different from O(display_port). Unset lets TrueNAS
        pick.
    type: int
  bind:
    description:
      - V(DISPLAY) only. Address the display listens on, one of those TrueNAS offers (C(vm.device.bind_choices)),
        such as V(0.0.0.0). TrueNAS uses V(127.0.0.1) by default.
    type: str
  display_password:
    description:
      - V(DISPLAY) only. Password of the display (the C(password) attribute of the TrueNAS API). Required when the
        display is added; at most 8 characters for VNC.
      - Never shown in the output or the diff. How changes are detected is set by O(update_password).
    type: str
  update_password:
    description:
      - V(DISPLAY) only. When to send O(display_password) for an existing display.
      - V(always) compares O(display_password) with the password TrueNAS returns and updates it when they differ. TrueNAS
        returns display passwords to administrators and to users with the VM write roles; when it returns the
        password masked, it cannot be compared and is left alone with a warning.
      - V(on_create) sets the password only when the display is added.
    type: str
    choices: [always, on_create]
    default: always
  web:
    description:
      - V(DISPLAY) only. Offer the display in the web client. Must be V(false) for VNC displays.
    type: bool
  resolution:
    description:
      - V(DISPLAY) only. Screen resolution; TrueNAS uses V(1024x768) by default.
    type: str
    choices: ["1920x1200", "1920x1080", "1600x1200", "1600x900", "1400x1050", "1280x1024", "1280x720", "1024x768",
              "800x600", "640x480"]
  wait:
    description:
      - V(DISPLAY) only. Wait for a client to connect to the display before the VM boots.
    type: bool
  pptdev:
    description:
      - V(PCI) only. The PCI device to pass through, as TrueNAS names it, such as V(pci_0000_01_00_0). Identifies the
        device.
    type: str
  usb:
    description:
      - V(USB) only. The USB device to pass through, by vendor and product id. Give O(usb) or O(device), not both.
    type: dict
    suboptions:
      vendor_id:
        description: Vendor id in hex, such as V(0x046d).
        type: str
        required: true
      product_id:
        description: Product id in hex, such as V(0xc52b).
        type: str
        required: true
  device:
    description:
      - V(USB) only. The USB device to pass through, as TrueNAS names it (C(vm.device.usb_passthrough_choices)).
    type: str
  controller_type:
    description:
      - V(USB) only. The emulated USB controller; TrueNAS uses V(nec-xhci) by default.
    type: str
    choices: [piix3-uhci, piix4-uhci, ehci, ich9-ehci1, vt82c686b-uhci, pci-ohci, nec-xhci, qemu-xhci]
  delete_zvol:
    description:
      - With O(state=absent) and a V(DISK) device, also destroy its zvol. By default the zvol is kept.
    type: bool
    default: false
  restart_if_needed:
    description:
      - When the device is to be removed or changed and its VM is running (or suspended), stop the VM first, make
        the change, and start the VM again, waiting each time until the VM reads STOPPED or RUNNING. The result has
        RV(power_cycled=true).
      - The VM is stopped with an ACPI shutdown request; see O(force_after_timeout). A suspended VM is powered off.
      - When TrueNAS refuses the change after the VM was stopped for it, the VM is started again before the task
        fails, and the failure message says whether that start worked.
      - Without it, removing or changing a device of a running VM fails before anything is changed (in check mode
        too), saying to set this option or to stop the VM first. Adding a device needs no stop.
    type: bool
    default: false
  force_after_timeout:
    description:
      - With O(restart_if_needed), power the VM off when the guest has not shut down within its shutdown timeout
        after the ACPI request. Without it, a guest that ignores the request makes the task fail when
        O(wait_timeout) runs out, and the device is left as it was.
    type: bool
    default: false
  wait_timeout:
    description:
      - With O(restart_if_needed), how many seconds to wait for the VM to stop and to run again.
    type: int
    default: 120
notes:
  - Virtual machines came back in TrueNAS 25.04.2 (25.04.0 and 25.04.1 have none); this module needs 25.04.2 or later.
  - Devices added to a running VM take effect when the VM is next started. Removing or changing a device needs the
    VM stopped; see O(restart_if_needed).
  - Validation errors of TrueNAS name the module option, for example C(display_port) for a display port
    already in use.
  - On TrueNAS 25.04 an update of a device's attributes resets every attribute it does not send, so the module
    sends all stored attributes of the device with the change (and C(dtype)). When TrueNAS returns the display
    password masked (the connecting user lacks the VM_DEVICE_WRITE role), a change of another display attribute
    needs O(display_password) as well and fails before any change otherwise.
seealso:
  - module: nasops.truenas.truenas_vm
  - module: nasops.truenas.truenas_vm_info
  - module: nasops.truenas.truenas_dataset
"""

EXAMPLES = r"""
- name: Add a 40 GiB VirtIO disk on a new zvol
  nasops.truenas.truenas_vm_device:
    host: nas.example.com
    username: admin
    api_key: "{{ truenas_api_key }}"
    vm: web
    dtype: DISK
    zvol: tank/vms/web-root
    create_zvol: true
    size: 40G
    bus: VIRTIO

- name: Manage the other devices with the connection set once
  module_defaults:
    group/nasops.truenas.truenas:
      host: nas.example.com
      username: admin
      api_key: "{{ truenas_api_key }}"
  block:
    - name: Attach an installer ISO
      nasops.truenas.truenas_vm_device:
        vm: web
        dtype: CDROM
        path: /mnt/tank/isos/ubuntu-24.04.iso
        order: 1000

    - name: Add a VirtIO network card on br0 (TrueNAS picks the MAC once; later runs keep it)
      nasops.truenas.truenas_vm_device:
        vm: web
        dtype: NIC
        nic_attach: br0
        type: VIRTIO

    - name: Add a SPICE display on all addresses
      nasops.truenas.truenas_vm_device:
        vm: web
        dtype: DISPLAY
        type: SPICE
        bind: 0.0.0.0
        display_port: 5910
        display_password: "{{ vm_display_password }}"
        resolution: 1920x1080

    - name: Detach the ISO, stopping the VM for it if it runs and starting it again
      nasops.truenas.truenas_vm_device:
        vm: web
        dtype: CDROM
        path: /mnt/tank/isos/ubuntu-24.04.iso
        state: absent
        restart_if_needed: true
        force_after_timeout: true

    - name: Remove a disk and destroy its zvol
      nasops.truenas.truenas_vm_device:
        vm: web
        dtype: DISK
        zvol: tank/vms/web-scratch
        state: absent
        delete_zvol: true
"""

RETURN = r"""
power_cycled:
  description:
    - Whether the VM was stopped to remove or change the device and started again (O(restart_if_needed)). In check
      mode, whether it would be.
  returned: always
  type: bool
  sample: false
device:
  description:
    - The device as TrueNAS reports it after the run, with option names. Only the options of its O(dtype) are
      present, and O(display_password) is masked.
    - In check mode, the predicted device. Empty after O(state=absent).
  returned: always
  type: dict
  contains:
    id:
      description: TrueNAS id of the device. Not present in check mode when the device would be added.
      type: int
      sample: 12
    vm:
      description: Name of the VM.
      type: str
      sample: web
    vm_id:
      description: TrueNAS id of the VM.
      type: int
      sample: 3
    dtype:
      description: Type of the device.
      type: str
      sample: DISK
    order:
      description: Order of the device among the VM's devices.
      type: int
      sample: 1001
    path:
      description: Path of a DISK, RAW or CDROM device.
      type: str
      sample: /dev/zvol/tank/vms/web-root
    zvol:
      description: Zvol name of a DISK device.
      type: str
      sample: tank/vms/web-root
    bus:
      description: Disk controller of a DISK or RAW device.
      type: str
      sample: VIRTIO
    serial:
      description: Serial number of a DISK or RAW device.
      type: str
      sample: x7Gk2LpQ
    mac:
      description: MAC address of a NIC, lower case.
      type: str
      sample: "00:a0:98:3b:1c:7e"
    nic_attach:
      description: Interface or bridge of a NIC.
      type: str
      sample: br0
    type:
      description: Card type of a NIC, or protocol of a DISPLAY.
      type: str
      sample: SPICE
    display_port:
      description: Port of a DISPLAY.
      type: int
      sample: 5910
    web_port:
      description: Web client port of a DISPLAY.
      type: int
      sample: 5911
    display_password:
      description: Password of a DISPLAY, always masked.
      type: str
      sample: "********"
broker_fallback:
  description:
    - Why the session broker could not be used, so that the module connected to TrueNAS directly.
    - Only present then; the module works the same way either way.
  returned: when the session broker could not be used
  type: str
  sample: "the directory /run/user/1000/nasops.truenas has mode 0777: other users may use it (it must be 0700)"
"""

# First: the module_utils imported after it load through the compiled-code cache (faster start-up).
from ansible_collections.nasops.truenas.plugins.module_utils import _codecache  # noqa: F401 pylint: disable=unused-import
from ansible_collections.nasops.truenas.plugins.module_utils._module import TrueNASModule
from ansible_collections.nasops.truenas.plugins.module_utils._resources.vm_device import (
    VmDeviceResource,
    device_argument_spec,
)


def argument_spec():
    spec = dict(
        vm=dict(type="str", required=True),
        state=dict(type="str", default="present", choices=["present", "absent"]),
        delete_zvol=dict(type="bool", default=False),
        restart_if_needed=dict(type="bool", default=False),
        force_after_timeout=dict(type="bool", default=False),
        wait_timeout=dict(type="int", default=120),
    )
    spec.update(device_argument_spec())
    return spec


def main():
    module = TrueNASModule(argument_spec=argument_spec(), supports_check_mode=True)
    module.run_resource(VmDeviceResource)


if __name__ == "__main__":
    main()
