#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) nasops contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r"""
module: truenas_interface
short_description: Manage network interfaces of TrueNAS SCALE with automatic rollback
version_added: 0.1.0
description:
  - Configure physical interfaces (static addresses, DHCP, MTU, description) and create, update and delete bridges,
    link aggregations and VLANs on TrueNAS SCALE 25.04, 25.10 and 26.
  - Changes are applied the way the web interface does. The module stages the change, commits it with a check-in
    timeout (O(checkin_timeout)), then checks in over a new connection to the address the NAS has afterwards (see
    O(checkin_host)). If that connection cannot be made in time, TrueNAS rolls the change back by itself; the module
    waits for the rollback and fails with a message saying so, and RV(rolled_back) is true.
  - A staged change is rolled back when the run fails before committing, so no pending change is left behind. The
    module refuses to run while TrueNAS holds interface changes it did not make, since committing would apply them
    too.
author:
  - nasops maintainers (@nasops)
extends_documentation_fragment:
  - nasops.truenas.connection
  - nasops.truenas.attributes
  - nasops.truenas.attributes.actiongroup
options:
  name:
    description:
      - Name of the interface, such as V(enp1s0), V(br0), V(bond0) or V(vlan10). Bridges must be named C(br<N>), link
        aggregations C(bond<N>) and VLANs C(vlan<N>).
    type: str
    required: true
  type:
    description:
      - Kind of interface; required to create one. Physical interfaces exist already and cannot be created.
        V(lag) and V(bond) mean V(link_aggregation).
      - A different type on an existing interface is an error.
    type: str
    choices: [physical, bridge, link_aggregation, lag, bond, vlan]
  state:
    description:
      - V(present) creates the interface or updates it to match the options given.
      - V(absent) deletes a bridge, link aggregation or VLAN; physical interfaces cannot be deleted.
    type: str
    choices: [present, absent]
    default: present
  description:
    description:
      - Free-form description.
    type: str
  ipv4_dhcp:
    description:
      - Get an IPv4 address by DHCP. TrueNAS allows DHCP on one interface only.
    type: bool
  ipv6_auto:
    description:
      - Configure IPv6 by router advertisements (SLAAC).
    type: bool
  aliases:
    description:
      - Static addresses with prefix length, such as V(192.168.1.10/24) or V(fd00::10/64). Order does not matter.
        V([]) removes every static address.
    type: list
    elements: str
  mtu:
    description:
      - MTU, 68 to 9216.
    type: int
  bridge_members:
    description:
      - Interfaces in the bridge (type V(bridge)). Order does not matter.
    type: list
    elements: str
  lag_protocol:
    description:
      - Link aggregation protocol (type V(link_aggregation)), V(LACP), V(FAILOVER), V(LOADBALANCE), V(ROUNDROBIN) or
        V(NONE); required to create one.
    type: str
  lag_ports:
    description:
      - Physical interfaces in the link aggregation, in order (for V(FAILOVER) the first is the primary). They must
        have no addresses.
    type: list
    elements: str
  xmit_hash_policy:
    description:
      - Transmit hash policy for V(LACP) and V(LOADBALANCE), V(LAYER2), V(LAYER2+3) (the TrueNAS default) or
        V(LAYER3+4).
    type: str
  lacpdu_rate:
    description:
      - LACPDU rate for V(LACP), V(SLOW) (the TrueNAS default) or V(FAST).
    type: str
  vlan_parent_interface:
    description:
      - Interface that carries the VLAN (type V(vlan)); required to create one.
    type: str
  vlan_tag:
    description:
      - VLAN id, 1 to 4094 (type V(vlan)); required to create one.
    type: int
  vlan_pcp:
    description:
      - Priority code point of the VLAN, 0 to 7.
    type: int
  checkin_timeout:
    description:
      - Seconds TrueNAS waits for the check-in before it rolls the change back; at least 10.
    type: int
    default: 60
  checkin_host:
    description:
      - Address or name the controller reaches TrueNAS at after the change, used for the check-in connection (with
        the module's credentials, port and certificate settings).
      - Default is the module's own O(host) (or the host of O(url)); when the change removes that address from this
        interface, the first address of O(aliases) instead.
    type: str
notes:
  - In check mode the module only reports the change it would stage; nothing is staged, committed or checked in.
  - The check-in connection is a second connection, opened after the commit; the module's own connection is used
    again to confirm a rollback.
seealso:
  - module: nasops.truenas.truenas_interface_info
  - module: nasops.truenas.truenas_network_config
"""

EXAMPLES = r"""
- name: A static address and jumbo frames on the first NIC
  nasops.truenas.truenas_interface:
    host: nas.example.com
    username: admin
    api_key: "{{ truenas_api_key }}"
    name: enp1s0
    ipv4_dhcp: false
    aliases: [192.168.1.10/24]
    mtu: 9000

- name: Network interfaces with the connection set once
  module_defaults:
    group/nasops.truenas.truenas:
      host: nas.example.com
      username: admin
      api_key: "{{ truenas_api_key }}"
  block:
    - name: Move the NAS to a new address; check in there, or TrueNAS rolls back after 60 s
      nasops.truenas.truenas_interface:
        name: enp1s0
        aliases: [192.168.1.20/24]
        checkin_host: 192.168.1.20

    - name: LACP bond of two ports
      nasops.truenas.truenas_interface:
        name: bond0
        type: link_aggregation
        lag_protocol: LACP
        lag_ports: [enp2s0, enp3s0]

    - name: VLAN 10 on the bond with an address
      nasops.truenas.truenas_interface:
        name: vlan10
        type: vlan
        vlan_parent_interface: bond0
        vlan_tag: 10
        aliases: [10.0.10.5/24]

    - name: A bridge for virtual machines
      nasops.truenas.truenas_interface:
        name: br1
        type: bridge
        bridge_members: [vlan10]

    - name: Remove the bridge
      nasops.truenas.truenas_interface:
        name: br1
        state: absent
"""

RETURN = r"""
interface:
  description:
    - The interface as configured on TrueNAS after the run, with option names. In check mode, the predicted one.
      Empty after O(state=absent).
  returned: always
  type: dict
  contains:
    id:
      description: TrueNAS id of the interface (its name).
      type: str
      sample: enp1s0
    name:
      description: Name.
      type: str
      sample: enp1s0
    type:
      description: C(PHYSICAL), C(BRIDGE), C(LINK_AGGREGATION) or C(VLAN).
      type: str
      sample: PHYSICAL
    description:
      description: Description.
      type: str
      sample: ""
    ipv4_dhcp:
      description: Whether IPv4 comes from DHCP.
      type: bool
      sample: false
    ipv6_auto:
      description: Whether IPv6 autoconfiguration is on.
      type: bool
      sample: false
    aliases:
      description: Static addresses with prefix length.
      type: list
      elements: str
      sample: [192.168.1.10/24]
    mtu:
      description: MTU, or null for the default.
      type: int
      sample: 9000
    bridge_members:
      description: Bridge members.
      type: list
      elements: str
      sample: []
    lag_protocol:
      description: Link aggregation protocol.
      type: str
      sample: NONE
    lag_ports:
      description: Link aggregation ports.
      type: list
      elements: str
      sample: []
    vlan_parent_interface:
      description: Parent of a VLAN, or null.
      type: str
      sample: null
    vlan_tag:
      description: VLAN id, or null.
      type: int
      sample: null
    vlan_pcp:
      description: VLAN priority, or null.
      type: int
      sample: null
rolled_back:
  description: True when TrueNAS rolled the change back because the check-in did not come in time.
  returned: always
  type: bool
  sample: false
checked_in_at:
  description: The address the module checked in at after committing a change.
  returned: when a change was committed and checked in
  type: str
  sample: 192.168.1.20
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
from ansible_collections.nasops.truenas.plugins.module_utils._resources.interface import InterfaceResource


def argument_spec():
    return dict(
        name=dict(type="str", required=True),
        type=dict(type="str", choices=["physical", "bridge", "link_aggregation", "lag", "bond", "vlan"]),
        state=dict(type="str", default="present", choices=["present", "absent"]),
        description=dict(type="str"),
        ipv4_dhcp=dict(type="bool"),
        ipv6_auto=dict(type="bool"),
        aliases=dict(type="list", elements="str"),
        mtu=dict(type="int"),
        bridge_members=dict(type="list", elements="str"),
        lag_protocol=dict(type="str"),
        lag_ports=dict(type="list", elements="str"),
        xmit_hash_policy=dict(type="str"),
        lacpdu_rate=dict(type="str"),
        vlan_parent_interface=dict(type="str"),
        vlan_tag=dict(type="int"),
        vlan_pcp=dict(type="int"),
        checkin_timeout=dict(type="int", default=60),
        checkin_host=dict(type="str"),
    )


def main():
    module = TrueNASModule(argument_spec=argument_spec(), supports_check_mode=True)
    module.run_resource(InterfaceResource)


if __name__ == "__main__":
    main()
