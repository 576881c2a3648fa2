#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) nasops contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r"""
module: truenas_system_info
short_description: Read system facts of TrueNAS SCALE
version_added: 0.1.0
description:
  - Return the version, host name, uptime, memory, CPU and load of TrueNAS SCALE 25.04, 25.10 and 26
    (C(system.info)).
author:
  - nasops maintainers (@nasops)
extends_documentation_fragment:
  - nasops.truenas.connection
  - nasops.truenas.attributes.info_module
  - nasops.truenas.attributes.actiongroup
options: {}
seealso:
  - module: nasops.truenas.truenas_pool_info
  - module: nasops.truenas.truenas_disk_info
"""

EXAMPLES = r"""
- name: Read the system facts
  nasops.truenas.truenas_system_info:
    host: nas.example.com
    username: admin
    api_key: "{{ truenas_api_key }}"
  register: result

- name: Require TrueNAS 25.10 or later, with the connection set once
  module_defaults:
    group/nasops.truenas.truenas:
      host: nas.example.com
      username: admin
      api_key: "{{ truenas_api_key }}"
  block:
    - name: Read the system facts
      nasops.truenas.truenas_system_info:
      register: facts

    - name: Check the version
      ansible.builtin.assert:
        that: facts.system.version is version('25.10', '>=')
"""

RETURN = r"""
system:
  description: The system facts.
  returned: always
  type: dict
  contains:
    version:
      description: TrueNAS version.
      type: str
      sample: 25.10.1
    hostname:
      description: Host name.
      type: str
      sample: truenas
    uptime:
      description: Uptime in words, as TrueNAS shows it.
      type: str
      sample: "3 days, 4:05:06.12"
    uptime_seconds:
      description: Uptime in seconds.
      type: float
      sample: 273906.12
    boottime:
      description: Boot time, ISO-8601 (UTC).
      type: str
      sample: "2025-10-12T08:00:00+00:00"
    datetime:
      description: Current time of the system, ISO-8601 (UTC).
      type: str
      sample: "2025-10-15T12:05:06+00:00"
    buildtime:
      description: Build time of the TrueNAS version, ISO-8601 (UTC).
      type: str
      sample: "2025-10-01T00:00:00+00:00"
    timezone:
      description: Time zone.
      type: str
      sample: UTC
    loadavg:
      description: Load averages over 1, 5 and 15 minutes.
      type: list
      elements: float
      sample: [0.12, 0.2, 0.18]
    memory:
      description: Physical memory.
      type: dict
      contains:
        total:
          description: Physical memory in bytes.
          type: int
          sample: 68719476736
        ecc:
          description: Whether the memory is ECC.
          type: bool
          sample: true
    cpu:
      description: Processor.
      type: dict
      contains:
        model:
          description: CPU model.
          type: str
          sample: AMD EPYC 7302P 16-Core Processor
        cores:
          description: Logical cores.
          type: int
          sample: 32
        physical_cores:
          description: Physical cores.
          type: int
          sample: 16
    system_product:
      description: Hardware product name, or null.
      type: str
      sample: null
    system_product_version:
      description: Hardware product version, or null.
      type: str
      sample: null
    system_manufacturer:
      description: Hardware manufacturer, or null.
      type: str
      sample: null
    system_serial:
      description: Hardware serial number, or null.
      type: str
      sample: null
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
from ansible_collections.nasops.truenas.plugins.module_utils._resources.system import SystemResource


def argument_spec():
    return {}


def main():
    module = TrueNASModule(argument_spec=argument_spec(), supports_check_mode=True)
    resource = SystemResource()
    module.run_info(resource.gather, resource.RESULT_KEY, "read the system facts")


if __name__ == "__main__":
    main()
