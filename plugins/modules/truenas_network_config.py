#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) nasops contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r"""
module: truenas_network_config
short_description: Configure host name, DNS, gateways, proxy and hosts entries of TrueNAS SCALE
version_added: 0.1.0
description:
  - Configure the global network settings of TrueNAS SCALE 25.04, 25.10 and 26 (C(network.configuration.update)),
    that is the host name and domain, name servers, default gateways, HTTP proxy, search domains and C(/etc/hosts)
    entries.
  - Only the options that are set are compared and changed; the others keep their current values.
  - TrueNAS applies the change at once. Changing the IPv4 gateway of the address the controller uses can cut the
    connection; interface addresses are managed with M(nasops.truenas.truenas_interface), which can roll back.
author:
  - nasops maintainers (@nasops)
extends_documentation_fragment:
  - nasops.truenas.connection
  - nasops.truenas.attributes
  - nasops.truenas.attributes.actiongroup
options:
  hostname:
    description:
      - Host name of the system (one label, such as V(nas01)).
    type: str
  domain:
    description:
      - Domain name of the system, such as V(example.com).
    type: str
  nameservers:
    description:
      - Name servers (IP addresses), at most three, in the order they are used. V([]) removes them all.
    type: list
    elements: str
  ipv4gateway:
    description:
      - Default IPv4 gateway. An empty string removes it (for example to use the one from DHCP).
    type: str
  ipv6gateway:
    description:
      - Default IPv6 gateway. An empty string removes it.
    type: str
  httpproxy:
    description:
      - HTTP proxy used by TrueNAS for updates and other downloads, such as V(http://proxy.example.com:3128). An empty
        string removes it.
    type: str
  hosts:
    description:
      - Entries of C(/etc/hosts), each C(<IP address> <host name> [<alias>...]), in order. V([]) removes them all.
        Runs of white space are treated as one space.
    type: list
    elements: str
  domains:
    description:
      - Extra DNS search domains. Order does not matter.
    type: list
    elements: str
seealso:
  - module: nasops.truenas.truenas_interface
  - module: nasops.truenas.truenas_system_info
"""

EXAMPLES = r"""
- name: Host name, DNS and gateway
  nasops.truenas.truenas_network_config:
    host: nas.example.com
    username: admin
    api_key: "{{ truenas_api_key }}"
    hostname: nas01
    domain: example.com
    nameservers: [192.168.1.1, 1.1.1.1]
    ipv4gateway: 192.168.1.1
    hosts:
      - 192.168.1.20 backup1.example.com backup1

- name: Use a proxy for downloads
  nasops.truenas.truenas_network_config:
    host: nas.example.com
    username: admin
    api_key: "{{ truenas_api_key }}"
    httpproxy: http://proxy.example.com:3128
"""

RETURN = r"""
network:
  description:
    - The configuration as TrueNAS reports it after the run, with option names. In check mode, the predicted one.
  returned: always
  type: dict
  contains:
    id:
      description: TrueNAS id of the settings row (always 1).
      type: int
      sample: 1
    hostname:
      description: Host name.
      type: str
      sample: nas01
    domain:
      description: Domain name.
      type: str
      sample: example.com
    nameservers:
      description: Name servers in order.
      type: list
      elements: str
      sample: [192.168.1.1, 1.1.1.1]
    ipv4gateway:
      description: Default IPv4 gateway, or an empty string.
      type: str
      sample: 192.168.1.1
    ipv6gateway:
      description: Default IPv6 gateway, or an empty string.
      type: str
      sample: ""
    httpproxy:
      description: HTTP proxy, or an empty string.
      type: str
      sample: ""
    hosts:
      description: Entries of C(/etc/hosts).
      type: list
      elements: str
      sample: [192.168.1.20 backup1.example.com backup1]
    domains:
      description: Extra DNS search domains.
      type: list
      elements: str
      sample: []
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
from ansible_collections.nasops.truenas.plugins.module_utils._resources.network import NetworkConfigResource


def argument_spec():
    return dict(
        hostname=dict(type="str"),
        domain=dict(type="str"),
        nameservers=dict(type="list", elements="str"),
        ipv4gateway=dict(type="str"),
        ipv6gateway=dict(type="str"),
        httpproxy=dict(type="str"),
        hosts=dict(type="list", elements="str"),
        domains=dict(type="list", elements="str"),
    )


def main():
    module = TrueNASModule(argument_spec=argument_spec(), supports_check_mode=True)
    module.run_resource(NetworkConfigResource)


if __name__ == "__main__":
    main()
