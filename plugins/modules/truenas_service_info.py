#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) nasops contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r"""
module: truenas_service_info
short_description: Read the services of TrueNAS SCALE
version_added: 0.1.0
description:
  - Return the system services of TrueNAS SCALE 25.04, 25.10 and 26 with whether they start at boot, whether they
    run, and their process ids, sorted by name.
author:
  - nasops maintainers (@nasops)
extends_documentation_fragment:
  - nasops.truenas.connection
  - nasops.truenas.attributes.info_module
  - nasops.truenas.attributes.actiongroup
options:
  name:
    description:
      - Return only these services. The names users know are accepted as in M(nasops.truenas.truenas_service)
        (V(smb) for V(cifs)). Names that match no service are not an error.
    type: list
    elements: str
seealso:
  - module: nasops.truenas.truenas_service
"""

EXAMPLES = r"""
- name: Read every service
  nasops.truenas.truenas_service_info:
    host: nas.example.com
    username: admin
    api_key: "{{ truenas_api_key }}"
  register: result

- name: List the running services
  ansible.builtin.debug:
    msg: "{{ result.services | selectattr('state', 'equalto', 'RUNNING') | map(attribute='name') | list }}"
"""

RETURN = r"""
services:
  description: The services, sorted by name.
  returned: always
  type: list
  elements: dict
  sample:
    - id: 9
      name: cifs
      enabled: true
      state: RUNNING
      pids: [2314]
    - id: 11
      name: ssh
      enabled: false
      state: STOPPED
      pids: []
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
from ansible_collections.nasops.truenas.plugins.module_utils._resources.service import gather_services


def argument_spec():
    return dict(name=dict(type="list", elements="str"))


def main():
    module = TrueNASModule(argument_spec=argument_spec(), supports_check_mode=True)
    module.run_info(gather_services, "services", "read services")


if __name__ == "__main__":
    main()
