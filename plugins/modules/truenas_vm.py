#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) nasops contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r"""
module: truenas_vm
short_description: Manage virtual machines on TrueNAS SCALE
version_added: 0.1.0
description:
  - Create, update, start, stop, restart and delete virtual machines on TrueNAS SCALE 25.04 (25.04.2 and later), 25.10
    and 26.
  - A VM is identified by its O(name). Options that are not set are left as they are on an existing VM; a new VM gets
    the TrueNAS defaults for them.
  - With O(devices), one task also converges the VM's devices (disks, CD-ROMs, network cards, displays, ...), with the
    same options per device as M(nasops.truenas.truenas_vm_device).
  - An unchanged run costs a single query, as TrueNAS returns each VM with its devices and status.
author:
  - nasops maintainers (@nasops)
extends_documentation_fragment:
  - nasops.truenas.connection
  - nasops.truenas.attributes
  - nasops.truenas.attributes.actiongroup
attributes:
  check_mode:
    details:
      - The predicted VM has the options given; values TrueNAS computes on creation (id, UUID, MAC addresses, display
        ports) are not known in check mode. The predicted status is the one the requested O(state) leads to.
  diff_mode:
    details:
      - The diff covers the VM's options and its devices (display passwords masked), not its power status.
options:
  name:
    description:
      - Name of the VM. TrueNAS allows letters, digits and underscores only.
    type: str
    required: true
  state:
    description:
      - V(present) creates the VM or updates it to match the options given, without touching its power state.
      - V(started) does the same and makes sure the VM runs (a suspended VM is resumed).
      - V(stopped) does the same and shuts the VM down with an ACPI request (see O(force_after_timeout)); a suspended
        VM is powered off.
      - V(poweroff) does the same and powers the VM off at once, like pulling the plug.
      - V(restarted) does the same and then always restarts the VM (starts it when it is stopped); it always reports
        a change.
      - V(absent) deletes the VM and its devices. A running VM is shut down first (powered off if it does not stop
        within its O(shutdown_timeout)), unless O(force) is set. See O(delete_zvols).
    type: str
    choices: [present, absent, started, stopped, restarted, poweroff]
    default: present
  description:
    description:
      - Free-form description of the VM.
    type: str
  vcpus:
    description:
      - Number of virtual CPU sockets. TrueNAS uses 1 by default.
      - O(vcpus) x O(cores) x O(threads) must not exceed 255, the most TrueNAS supports.
    type: int
  cores:
    description:
      - Cores per virtual CPU socket. TrueNAS uses 1 by default.
    type: int
  threads:
    description:
      - Threads per core. TrueNAS uses 1 by default.
    type: int
  memory:
    description:
      - Memory of the VM, in MiB (V(4096)) or as a human size (V(4G), V(512MiB); binary units) that is a whole number of
        MiB. At least 20 MiB. Required to create a VM.
    type: raw
  min_memory:
    description:
      - Minimum memory for memory ballooning, in MiB or as a human size like O(memory); not more than O(memory).
      - V(0) removes the minimum.
    type: raw
  cpu_mode:
    description:
      - CPU model presented to the guest. TrueNAS uses V(CUSTOM) by default.
    type: str
    choices: [CUSTOM, HOST-MODEL, HOST-PASSTHROUGH]
  cpu_model:
    description:
      - CPU model for O(cpu_mode=CUSTOM), one of C(vm.cpu_model_choices) such as V(Haswell). An empty string removes it.
    type: str
  bootloader:
    description:
      - Firmware of the VM. V(UEFI) (the default) or V(UEFI_CSM), which TrueNAS shows as "Legacy BIOS".
    type: str
    choices: [UEFI, UEFI_CSM]
  bootloader_ovmf:
    description:
      - UEFI firmware file, one of C(vm.bootloader_ovmf_choices) such as V(OVMF_CODE_4M.fd). Unset lets TrueNAS choose
        when the VM is created.
      - From TrueNAS 25.10 on it can only be set when the VM is created; a different value for an existing VM is an
        error naming the TrueNAS version.
    type: str
  enable_secure_boot:
    description:
      - Enable UEFI secure boot. Needs a q35 O(machine_type) and a C(secboot) O(bootloader_ovmf); TrueNAS picks both
        when they are unset.
      - From TrueNAS 25.10 on it can only be set when the VM is created; a different value for an existing VM is an
        error naming the TrueNAS version.
    type: bool
  trusted_platform_module:
    description:
      - Give the VM a virtual TPM.
    type: bool
  autostart:
    description:
      - Start the VM when TrueNAS boots. TrueNAS enables it for new VMs.
    type: bool
  time:
    description:
      - Whether the guest's hardware clock runs in V(LOCAL) time (the default) or V(UTC).
    type: str
    choices: [LOCAL, UTC]
  shutdown_timeout:
    description:
      - Seconds TrueNAS waits for the guest to shut down after an ACPI request, 5 to 300. TrueNAS uses 90 by default.
    type: int
  arch_type:
    description:
      - Guest architecture, one of C(vm.guest_architecture_and_machine_choices) such as V(x86_64). An empty string
        removes it.
    type: str
  machine_type:
    description:
      - Machine type for O(arch_type), such as V(pc-q35-6.2). Needs O(arch_type). An empty string removes it.
    type: str
  command_line_args:
    description:
      - Extra arguments for the hypervisor, written like a shell command line.
    type: str
  hide_from_msr:
    description:
      - Hide the KVM hypervisor from the guest's MSR discovery (some GPU drivers need this).
    type: bool
  ensure_display_device:
    description:
      - Give the guest a VGA display even without a DISPLAY device. TrueNAS enables it for new VMs.
    type: bool
  devices:
    description:
      - Devices of the VM. Each entry takes the options of M(nasops.truenas.truenas_vm_device) (without C(vm)) and
        is matched with an existing device by the same identity, per O(devices[].dtype).
      - Matched devices are updated to match the options given, missing ones are added, entries with
        O(devices[].state=absent) are removed. Other devices are kept unless O(purge_devices=true).
      - Device changes are applied after the VM's own options, in the order removals, updates, additions. If adding a
        device to a VM this task created fails, the VM is deleted again (with the zvols this task created), so no
        half-built VM is left; for an existing VM the error lists what was already done.
      - Removing or changing a device of a running VM needs the VM stopped; see O(restart_if_needed).
      - The devices listed converge to exactly that list. A device the VM has more often than listed (the same
        identity twice) is removed with O(purge_devices=true) and reported in a warning naming the device ids
        otherwise. Tasks converging the same VM at the same time add each device once.
      - Unset means the devices are left alone.
    type: list
    elements: dict
    suboptions:
      state:
        description:
          - V(present) adds or updates the device, V(absent) removes it.
        type: str
        choices: [present, absent]
        default: present
      dtype:
        description:
          - Type of the device.
        type: str
        required: true
        choices: [DISK, CDROM, NIC, DISPLAY, RAW, PCI, USB]
      order:
        description:
          - Boot and bus order of the device.
        type: int
      path:
        description:
          - V(DISK) zvol path (C(/dev/zvol/...)) instead of O(devices[].zvol); V(RAW) image file; V(CDROM) ISO image.
            Identifies these devices.
          - The ISO image of a V(CDROM) device must exist on the TrueNAS (inside a pool, C(/mnt/...)). Before anything
            is changed, also in check mode, the module checks each CD-ROM it is going to add; a missing file fails the
            task naming O(devices[].path), before a new VM is created.
        type: str
      zvol:
        description:
          - V(DISK) only. Zvol name such as V(tank/vms/web).
        type: str
      create_zvol:
        description:
          - V(DISK) only. Create the zvol with O(devices[].size) when the device is added (an existing zvol is
            attached as it is).
        type: bool
      size:
        description:
          - V(DISK) with O(devices[].create_zvol=true) the size of the new zvol (rounded up to its block size);
            V(RAW) the size of the image file. Bytes or a human size such as V(20G).
        type: raw
      exists:
        description:
          - V(RAW) only. The image file exists already.
        type: bool
      boot:
        description:
          - V(RAW) only. Boot from this image file.
        type: bool
      bus:
        description:
          - V(DISK) and V(RAW). Disk controller.
        type: str
        choices: [AHCI, VIRTIO]
      logical_sectorsize:
        description:
          - V(DISK) and V(RAW). Logical sector size.
        type: int
        choices: [512, 4096]
      physical_sectorsize:
        description:
          - V(DISK) and V(RAW). Physical sector size; needs O(devices[].logical_sectorsize).
        type: int
        choices: [512, 4096]
      iotype:
        description:
          - V(DISK) and V(RAW). I/O mode.
        type: str
        choices: [NATIVE, THREADS, IO_URING]
      serial:
        description:
          - V(DISK) and V(RAW). Serial number; set only when the device is added.
        type: str
      nic_attach:
        description:
          - V(NIC) only. Interface or bridge, such as V(br0). Identifies the NIC when no MAC is given.
        type: str
      mac:
        description:
          - V(NIC) only. MAC address. Without it, a random MAC is stored when the NIC is added and kept afterwards.
        type: str
      type:
        description:
          - V(NIC) V(E1000) or V(VIRTIO); V(DISPLAY) V(SPICE) or V(VNC) (TrueNAS 25.10 and later), which identifies
            the display.
        type: str
        choices: [E1000, VIRTIO, SPICE, VNC]
      trust_guest_rx_filters:
        description:
          - V(NIC) only. Let the guest change receive filters.
        type: bool
      display_port:
        description:
          - V(DISPLAY) only. Display port, 5900 to 65535.
        type: int
      web_port:
        description:
          - V(DISPLAY) only. Web client port, 5900 to 65535.
        type: int
      bind:
        description:
          - V(DISPLAY) only. Listen address.
        type: str
      display_password:
        description:
          - V(DISPLAY) only. Display password, required to add a display; never shown in output or diff.
        type: str
      update_password:
        description:
          - V(DISPLAY) only. V(always) updates the password when it differs from the one TrueNAS returns, V(on_create)
            sets it only when the display is added. See M(nasops.truenas.truenas_vm_device).
        type: str
        choices: [always, on_create]
        default: always
      web:
        description:
          - V(DISPLAY) only. Offer the web client (SPICE only).
        type: bool
      resolution:
        description:
          - V(DISPLAY) only. Screen resolution.
        type: str
        choices: ["1920x1200", "1920x1080", "1600x1200", "1600x900", "1400x1050", "1280x1024", "1280x720", "1024x768",
                  "800x600", "640x480"]
      wait:
        description:
          - V(DISPLAY) only. Wait for a client before booting.
        type: bool
      pptdev:
        description:
          - V(PCI) only. PCI passthrough device, such as V(pci_0000_01_00_0).
        type: str
      usb:
        description:
          - V(USB) only. USB device by vendor and product id.
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
          - V(USB) only. USB device as TrueNAS names it.
        type: str
      controller_type:
        description:
          - V(USB) only. Emulated USB controller.
        type: str
        choices: [piix3-uhci, piix4-uhci, ehci, ich9-ehci1, vt82c686b-uhci, pci-ohci, nec-xhci, qemu-xhci]
  purge_devices:
    description:
      - Remove the devices of the VM that O(devices) does not list. Needs O(devices).
    type: bool
    default: false
  restart_if_needed:
    description:
      - When the definition or the devices of a running VM change (with O(state=present) or O(state=started)),
        restart it so that the changes take effect, and wait until it runs again.
      - Without it, the VM keeps running with its old configuration and the result has RV(restart_required=true).
      - Removing or changing devices (O(devices[].state=absent), O(purge_devices), a changed device option) needs
        the VM stopped, as TrueNAS refuses to remove a device of a running VM. With this option the VM is stopped
        first (an ACPI shutdown, powered off after its shutdown timeout with O(force_after_timeout); a suspended VM
        is powered off), the devices are changed, and the VM is started again; the result has
        RV(power_cycled=true). Without it such a change fails before anything is changed, in check mode too, saying
        to set this option or to stop the VM. With O(state=stopped), O(state=poweroff) or O(state=restarted) the VM
        is stopped first anyway. Adding devices needs no stop.
    type: bool
    default: false
  wait:
    description:
      - After starting, stopping, powering off or restarting the VM, wait until TrueNAS reports its status as
        V(RUNNING) or V(STOPPED).
      - The C(vm.stop) and C(vm.restart) jobs are always waited for; this waits for the status on top of them.
    type: bool
    default: true
  wait_timeout:
    description:
      - Seconds to wait for the status with O(wait), and at least the time the stop and restart jobs may take.
    type: int
    default: 120
  force_after_timeout:
    description:
      - With O(state=stopped), or when the VM is stopped to change its devices (O(restart_if_needed)), power the VM
        off when the guest has not shut down O(shutdown_timeout) seconds after the ACPI request. Without it, a guest
        that ignores the request keeps running and the module fails when O(wait_timeout) runs out.
    type: bool
    default: false
  delete_zvols:
    description:
      - With O(state=absent), also destroy the zvols of the VM's DISK devices (recursively, with their snapshots).
    type: bool
    default: false
  force:
    description:
      - With O(state=absent), delete the VM without shutting it down first, and even when TrueNAS cannot read its
        status or destroy its zvols.
    type: bool
    default: false
notes:
  - Virtual machines came back in TrueNAS 25.04.2 (25.04.0 and 25.04.1 have none); this module needs 25.04.2 or later.
  - TrueNAS applies a changed definition to a running VM when it is next started; see O(restart_if_needed).
  - Starting a VM fails when TrueNAS cannot guarantee its memory.
  - Validation errors of TrueNAS name the module option, for example C(devices[1].display_port) for a display port
    already in use.
seealso:
  - module: nasops.truenas.truenas_vm_device
  - module: nasops.truenas.truenas_vm_info
  - module: nasops.truenas.truenas_dataset
"""

EXAMPLES = r"""
- name: A VM with a new disk, an installer ISO, a network card and a display, running
  nasops.truenas.truenas_vm:
    host: nas.example.com
    username: admin
    api_key: "{{ truenas_api_key }}"
    name: web
    description: Web server
    vcpus: 1
    cores: 2
    threads: 1
    memory: 4G
    bootloader: UEFI
    state: started
    devices:
      - dtype: DISK
        zvol: tank/vms/web-root
        create_zvol: true
        size: 40G
        bus: VIRTIO
      - dtype: CDROM
        path: /mnt/tank/isos/ubuntu-24.04.iso
      - dtype: NIC
        nic_attach: br0
        type: VIRTIO
      - dtype: DISPLAY
        type: SPICE
        bind: 0.0.0.0
        display_password: "{{ vm_display_password }}"

- name: Manage VMs with the connection set once
  module_defaults:
    group/nasops.truenas.truenas:
      host: nas.example.com
      username: admin
      api_key: "{{ truenas_api_key }}"
  block:
    - name: More memory and CPUs; restart the VM if it runs
      nasops.truenas.truenas_vm:
        name: web
        memory: 8192
        cores: 4
        restart_if_needed: true

    - name: Drop the ISO, keep exactly these devices; stop the VM for it if it runs, then start it again
      nasops.truenas.truenas_vm:
        name: web
        purge_devices: true
        restart_if_needed: true
        force_after_timeout: true
        devices:
          - dtype: DISK
            zvol: tank/vms/web-root
          - dtype: NIC
            nic_attach: br0
          - dtype: DISPLAY
            type: SPICE
            display_password: "{{ vm_display_password }}"

    - name: Shut the VM down, powering it off if the guest ignores the request
      nasops.truenas.truenas_vm:
        name: web
        state: stopped
        force_after_timeout: true

    - name: Delete the VM and its zvols
      nasops.truenas.truenas_vm:
        name: web
        state: absent
        delete_zvols: true
"""

RETURN = r"""
vm:
  description:
    - The VM as TrueNAS reports it after the run, with option names, its status and its devices.
    - In check mode, the predicted VM. Empty after O(state=absent).
  returned: always
  type: dict
  contains:
    id:
      description: TrueNAS id of the VM. Not present in check mode when the VM would be created.
      type: int
      sample: 3
    name:
      description: Name of the VM.
      type: str
      sample: web
    description:
      description: Description of the VM.
      type: str
      sample: Web server
    vcpus:
      description: Virtual CPU sockets.
      type: int
      sample: 1
    cores:
      description: Cores per socket.
      type: int
      sample: 2
    threads:
      description: Threads per core.
      type: int
      sample: 1
    memory:
      description: Memory in MiB.
      type: int
      sample: 4096
    min_memory:
      description: Minimum memory in MiB, or null.
      type: int
      sample: null
    cpu_mode:
      description: CPU mode.
      type: str
      sample: CUSTOM
    bootloader:
      description: Firmware.
      type: str
      sample: UEFI
    bootloader_ovmf:
      description: UEFI firmware file.
      type: str
      sample: OVMF_CODE_4M.fd
    autostart:
      description: Whether the VM starts when TrueNAS boots.
      type: bool
      sample: true
    shutdown_timeout:
      description: Seconds TrueNAS waits for an ACPI shutdown.
      type: int
      sample: 90
    uuid:
      description: UUID of the VM.
      type: str
      sample: 5f0e7c4e-8a57-4b52-9c3c-1f6d1a0e2b11
    status:
      description:
        - Power status as TrueNAS reports it. C(state) is V(RUNNING), V(STOPPED), V(SUSPENDED) or V(ERROR).
      type: dict
      sample: {"state": "RUNNING", "pid": 4211, "domain_state": "RUNNING"}
    display_available:
      description: Whether the VM has a display device.
      type: bool
      sample: true
    devices:
      description:
        - Devices of the VM with option names (as in M(nasops.truenas.truenas_vm_device)), each with C(id), C(dtype),
          C(order) and the options of its type. Display passwords are masked.
      type: list
      elements: dict
      sample:
        - {"id": 7, "dtype": "DISK", "order": 1001, "path": "/dev/zvol/tank/vms/web-root", "zvol": "tank/vms/web-root",
           "bus": "VIRTIO", "iotype": "THREADS", "logical_sectorsize": null, "physical_sectorsize": null,
           "serial": "x7Gk2LpQ"}
        - {"id": 8, "dtype": "NIC", "order": 1002, "type": "VIRTIO", "nic_attach": "br0", "mac": "00:a0:98:3b:1c:7e",
           "trust_guest_rx_filters": false}
restart_required:
  description:
    - True when the definition or the devices of a running VM changed and the VM was not restarted, so the changes
      take effect only at its next start. See O(restart_if_needed).
  returned: always
  type: bool
  sample: false
broker_fallback:
  description:
    - Why the session broker could not be used, so that the module connected to TrueNAS directly.
    - Only present then; the module works the same way either way.
  returned: when the session broker could not be used
  type: str
  sample: "the directory /run/user/1000/nasops.truenas has mode 0777: other users may use it (it must be 0700)"
power_cycled:
  description:
    - True when the running VM was stopped to remove or change devices and started again (O(restart_if_needed)).
      In check mode, whether it would be.
  returned: always
  type: bool
  sample: false
"""

# First: the module_utils imported after it load through the compiled-code cache (faster start-up).
from ansible_collections.nasops.truenas.plugins.module_utils import _codecache  # noqa: F401 pylint: disable=unused-import
from ansible_collections.nasops.truenas.plugins.module_utils._module import TrueNASModule
from ansible_collections.nasops.truenas.plugins.module_utils._resources.vm import (
    BOOTLOADERS,
    CPU_MODES,
    STATES,
    TIMES,
    VmResource,
)
from ansible_collections.nasops.truenas.plugins.module_utils._resources.vm_device import device_argument_spec


def argument_spec():
    device = device_argument_spec()
    device["state"] = dict(type="str", default="present", choices=["present", "absent"])
    return dict(
        name=dict(type="str", required=True),
        state=dict(type="str", default="present", choices=list(STATES)),
        description=dict(type="str"),
        vcpus=dict(type="int"),
        cores=dict(type="int"),
        threads=dict(type="int"),
        memory=dict(type="raw"),
        min_memory=dict(type="raw"),
        cpu_mode=dict(type="str", choices=list(CPU_MODES)),
        cpu_model=dict(type="str"),
        bootloader=dict(type="str", choices=list(BOOTLOADERS)),
        bootloader_ovmf=dict(type="str"),
        enable_secure_boot=dict(type="bool"),
        trusted_platform_module=dict(type="bool"),
        autostart=dict(type="bool"),
        time=dict(type="str", choices=list(TIMES)),
        shutdown_timeout=dict(type="int"),
        arch_type=dict(type="str"),
        machine_type=dict(type="str"),
        command_line_args=dict(type="str"),
        hide_from_msr=dict(type="bool"),
        ensure_display_device=dict(type="bool"),
        devices=dict(type="list", elements="dict", options=device),
        purge_devices=dict(type="bool", default=False),
        restart_if_needed=dict(type="bool", default=False),
        wait=dict(type="bool", default=True),
        wait_timeout=dict(type="int", default=120),
        force_after_timeout=dict(type="bool", default=False),
        delete_zvols=dict(type="bool", default=False),
        force=dict(type="bool", default=False),
    )


def main():
    module = TrueNASModule(argument_spec=argument_spec(), supports_check_mode=True)
    module.run_resource(VmResource)


if __name__ == "__main__":
    main()
