#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) nasops contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r"""
module: truenas_vm_info
short_description: Read the virtual machines of TrueNAS SCALE
version_added: 0.1.0
description:
  - Return the virtual machines of TrueNAS SCALE 25.04 (25.04.2 and later), 25.10 and 26 with their options, power
    status, devices and display ports, read with one query.
  - All VMs, or only the one named O(name), or those whose name starts with O(name_prefix).
author:
  - nasops maintainers (@nasops)
extends_documentation_fragment:
  - nasops.truenas.connection
  - nasops.truenas.attributes.info_module
  - nasops.truenas.attributes.actiongroup
options:
  name:
    description:
      - Return only the VM with this name (an empty list when there is none).
      - Cannot be combined with O(name_prefix).
    type: str
  name_prefix:
    description:
      - Return only the VMs whose name starts with this text (case-sensitive).
    type: str
notes:
  - Virtual machines came back in TrueNAS 25.04.2 (25.04.0 and 25.04.1 have none); this module needs 25.04.2 or later.
  - Display passwords are always masked.
seealso:
  - module: nasops.truenas.truenas_vm
  - module: nasops.truenas.truenas_vm_device
"""

EXAMPLES = r"""
- name: Read every VM
  nasops.truenas.truenas_vm_info:
    host: nas.example.com
    username: admin
    api_key: "{{ truenas_api_key }}"
  register: all_vms

- name: Show the names of the running VMs
  ansible.builtin.debug:
    msg: "{{ all_vms.vms | selectattr('status.state', 'equalto', 'RUNNING') | map(attribute='name') | list }}"

- name: Read the Kubernetes nodes, connection set once for the group
  module_defaults:
    group/nasops.truenas.truenas:
      host: nas.example.com
      username: admin
      api_key: "{{ truenas_api_key }}"
  block:
    - name: VMs whose name starts with k8s_
      nasops.truenas.truenas_vm_info:
        name_prefix: k8s_
      register: k8s

    - name: Their SPICE ports
      ansible.builtin.debug:
        msg: "{{ item.name }}: {{ item.displays | map(attribute='port') | list }}"
      loop: "{{ k8s.vms }}"
"""

RETURN = r"""
vms:
  description:
    - The matching VMs, in the order TrueNAS returns them (by id), with the option names of
      M(nasops.truenas.truenas_vm).
  returned: always
  type: list
  elements: dict
  contains:
    id:
      description: TrueNAS id of the VM.
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
    autostart:
      description: Whether the VM starts when TrueNAS boots.
      type: bool
      sample: true
    bootloader:
      description: Firmware, V(UEFI) or V(UEFI_CSM).
      type: str
      sample: UEFI
    uuid:
      description: UUID of the VM.
      type: str
      sample: 5f0e7c4e-8a57-4b52-9c3c-1f6d1a0e2b11
    status:
      description: Power status; C(state) is V(RUNNING), V(STOPPED), V(SUSPENDED) or V(ERROR).
      type: dict
      sample: {"state": "STOPPED", "pid": null, "domain_state": "SHUTOFF"}
    display_available:
      description: Whether the VM has a display device.
      type: bool
      sample: true
    devices:
      description:
        - Devices with option names (as in M(nasops.truenas.truenas_vm_device)), each with C(id), C(dtype), C(order)
          and the options of its type. Display passwords are masked.
      type: list
      elements: dict
      sample:
        - {"id": 9, "dtype": "DISPLAY", "order": 1002, "type": "SPICE", "display_port": 5900, "web_port": 5901,
           "bind": "0.0.0.0", "display_password": "********", "web": true, "resolution": "1024x768", "wait": false}
    displays:
      description: Display devices of the VM with their ports, in short.
      type: list
      elements: dict
      sample: [{"type": "SPICE", "port": 5900, "web_port": 5901, "bind": "0.0.0.0", "web": true}]
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
from ansible_collections.nasops.truenas.plugins.module_utils._resources.vm import SECRETS, gather_vms


def argument_spec():
    return dict(
        name=dict(type="str"),
        name_prefix=dict(type="str"),
    )


def main():
    module = TrueNASModule(argument_spec=argument_spec(), supports_check_mode=True,
                           mutually_exclusive=[("name", "name_prefix")])
    module.run_info(gather_vms, "vms", "read VMs", secrets=SECRETS)


if __name__ == "__main__":
    main()
