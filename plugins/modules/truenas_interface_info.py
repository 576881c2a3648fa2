#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) nasops contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r"""
module: truenas_interface_info
short_description: Read the network interfaces of TrueNAS SCALE
version_added: 0.1.0
description:
  - Return the network interfaces of TrueNAS SCALE 25.04, 25.10 and 26, sorted by name, each with its configuration
    (the same shape as the C(interface) that M(nasops.truenas.truenas_interface) returns) and the applied state.
author:
  - nasops maintainers (@nasops)
extends_documentation_fragment:
  - nasops.truenas.connection
  - nasops.truenas.attributes.info_module
  - nasops.truenas.attributes.actiongroup
options:
  name:
    description:
      - Return only these interfaces. Names that match no interface are not an error.
    type: list
    elements: str
seealso:
  - module: nasops.truenas.truenas_interface
"""

EXAMPLES = r"""
- name: Read every interface
  nasops.truenas.truenas_interface_info:
    host: nas.example.com
    username: admin
    api_key: "{{ truenas_api_key }}"
  register: result

- name: Show the addresses in use
  ansible.builtin.debug:
    msg: "{{ item.name }}: {{ item.state.aliases | join(', ') }}"
  loop: "{{ result.interfaces }}"
"""

RETURN = r"""
interfaces:
  description:
    - The interfaces, sorted by name. C(state) is what is applied now; the other keys are the configuration, which
      differs from it while a change is pending.
  returned: always
  type: list
  elements: dict
  sample:
    - id: enp1s0
      name: enp1s0
      type: PHYSICAL
      description: ""
      ipv4_dhcp: false
      ipv6_auto: false
      aliases: [192.168.1.10/24]
      mtu: null
      bridge_members: []
      lag_protocol: NONE
      lag_ports: []
      xmit_hash_policy: null
      lacpdu_rate: null
      vlan_parent_interface: null
      vlan_tag: null
      vlan_pcp: null
      state:
        aliases: [192.168.1.10/24]
        mtu: 1500
        link_state: LINK_STATE_UP
        link_address: "52:54:00:12:34:56"
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
from ansible_collections.nasops.truenas.plugins.module_utils._resources.interface import gather_interfaces


def argument_spec():
    return dict(name=dict(type="list", elements="str"))


def main():
    module = TrueNASModule(argument_spec=argument_spec(), supports_check_mode=True)
    module.run_info(gather_interfaces, "interfaces", "read interfaces")


if __name__ == "__main__":
    main()
